"""Client requests end to end: templates, sending, answers, submit, complete, cancel, files."""
import email
import email.policy
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from conftest import POSTGRES, assert_refused, who
from mailserver import SmtpServer, smtp_config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "share" / "practice" / "templates" / "requests" / "medical-receipts.toml"


@pytest.fixture
def office(firm, tmp_path):
    """A firm with an SMTP server, a portal URL, a client with two contacts (one without notify)."""
    srv = SmtpServer(tmp_path, "--keep-content")
    firm.write_config('user = "alice@acme.test"\n[firm]\nnotify = ["office@acme.test"]\n'
                      '[portal]\nbase_url = "https://portal.acme.test"\n'
                      + smtp_config(srv.port))
    firm.ok("staff", "add", "Bob", "--email", "bob@acme.test")
    firm.ok("account", "add", "Ionescu Family")
    firm.ok("account", "assign", "Ionescu Family", "bob@acme.test")
    firm.ok("contact", "add", "--account", "Ionescu Family", "--name", "Maria Ionescu",
            "--email", "maria@ionescu.test", "--portal")
    firm.ok("contact", "add", "--account", "Ionescu Family", "--name", "Andrei Ionescu",
            "--email", "andrei@ionescu.test", "--no-notify")
    firm.srv = srv
    yield firm
    srv.stop()


def mails(p, to=None):
    out = []
    for raw in p.srv.contents():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if to is None or m["To"].addresses[0].addr_spec == to:
            out.append(m)
    return out


def test_template_round_trip(office, tmp_path):
    added = office.json("template", "add", "--file", TEMPLATE)
    assert added["name"] == "medical-receipts" and len(added["questions"]) == 4
    first = office.ok("template", "export", "medical-receipts").out
    saved = tmp_path / "exported.toml"
    saved.write_text(first)
    office.ok("template", "remove", "medical-receipts")
    assert office.json("template", "list") == []
    office.ok("template", "add", "--file", saved)
    assert office.ok("template", "export", "medical-receipts").out == first
    assert_refused(office, 65, "template", "add", "--file", saved, contains="exists already")


def test_shipped_templates_all_load(office):
    for f in sorted((ROOT / "share" / "practice" / "templates" / "requests").glob("*.toml")):
        office.ok("template", "add", "--file", f)
    assert len(office.json("template", "list")) == 4


def test_bad_template_files(office, tmp_path):
    bad = tmp_path / "bad.toml"
    for text, needle in [
        ('title = "T"\n[[question]]\ntype = "choice"\nprompt = "Pick"\noptions = ["A"]\n', "two distinct options"),
        ('title = "T"\n[[question]]\ntype = "colour"\nprompt = "x"\n', "is not one of"),
        ('title = "T"\ncolour = 1\n', "unknown key 'colour'"),
        ('[[question]]\ntype = "text"\nprompt = "x"\n', "'title'"),
        ('title = "T"\n[[question]]\ntype = "text"\nprompt = "a\\nb"\n', "line break"),
    ]:
        bad.write_text(text)
        assert_refused(office, 65, "template", "add", "--file", bad, contains=needle)


def test_send_from_template_to_notify_contacts_with_working_links(office):
    office.ok("template", "add", "--file", TEMPLATE)
    r = office.json("request", "create", "--account", "Ionescu Family", "--template", "medical-receipts")
    assert r["status"] == "pending" and r["mail"]["sent"] == 1
    assert [x["email"] for x in r["recipients"]] == ["maria@ionescu.test"]  # Andrei has notify off
    assert r["reminders"] == {"on": True, "every_days": 3, "count": 2, "sent": 0}
    [m] = mails(office, "maria@ionescu.test")
    body = m.get_content()
    assert "Missing medical receipts" in m["Subject"]
    assert "Upload your receipts" in body and "health insurance" in body
    links = office.json("request", "show", str(r["id"]), "--links")["links"]
    assert len(links) == 1 and links[0]["active"]
    assert links[0]["url"] in body
    assert re.fullmatch(rf"{r['id']}\.\d+\.[0-9a-f]{{64}}", links[0]["token"])
    assert not mails(office, "andrei@ionescu.test")


def test_ad_hoc_draft_then_send_to_a_third_party_without_login(office):
    d = office.json("request", "create", "--account", "Ionescu Family", "--title", "Missing 1099",
                    "--message", "Your bank's form, please.", "--to", "helper@spouse.test", "--no-login",
                    "--draft")
    rid = str(d["id"])
    assert d["status"] == "draft" and d["recipients"][0]["third_party"] is True
    assert_refused(office, 65, "request", "send", rid, contains="no questions")
    office.ok("request", "question", "add", rid, "--type", "file", "--prompt", "Upload the 1099-INT")
    office.ok("request", "question", "add", rid, "--type", "choice", "--prompt", "Which bank?",
              "--option", "BCR", "--option", "ING")
    office.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Anything else?", "--optional")
    office.ok("request", "question", "remove", rid, "3")
    sent = office.json("request", "send", rid)
    assert sent["status"] == "pending" and sent["login"] is False
    [m] = mails(office, "helper@spouse.test")
    assert "Your bank's form, please." in m.get_content()
    assert len(mails(office)) == 1
    # Login-only requests refuse third parties.
    assert_refused(office, 65, "request", "create", "--account", "Ionescu Family", "--title", "X",
                   "--to", "stranger@else.test", contains="--no-login")


def test_answers_autosave_and_freeze_questions(office, tmp_path):
    r = office.json("request", "create", "--account", "Ionescu Family", "--title", "Questions",
                    "--draft")
    rid = str(r["id"])
    for args in (["--type", "yesno", "--prompt", "Did you move?"],
                 ["--type", "date", "--prompt", "When?"],
                 ["--type", "number", "--prompt", "How much?"],
                 ["--type", "multichoice", "--prompt", "Which?", "--option", "A", "--option", "B", "--option", "C"],
                 ["--type", "paragraph", "--prompt", "Tell us", "--optional"]):
        office.ok("request", "question", "add", rid, *args)
    office.ok("request", "send", rid)
    assert_refused(office, 65, "request", "answer", rid, "--question", "1", "--value", "perhaps")
    assert_refused(office, 65, "request", "answer", rid, "--question", "2", "--value", "2026-02-30")
    assert_refused(office, 65, "request", "answer", rid, "--question", "3", "--value", "12abc")
    assert_refused(office, 65, "request", "answer", rid, "--question", "4", "--value", "D")
    assert_refused(office, 66, "request", "answer", rid, "--question", "9", "--value", "x")
    assert_refused(office, 65, "request", "answer", rid, "--question", "1", "--value", "yes",
                   "--by", "nobody@else.test", contains="not a recipient")
    a = office.json("request", "answer", rid, "--question", "1", "--value", "Yes", "--by", "maria@ionescu.test")
    assert a["status"] == "in_progress" and a["questions"][0]["answer"] == "yes"
    office.ok("request", "answer", rid, "--question", "4", "--value", "c", "--value", "A", "--value", "C")
    assert office.json("request", "show", rid)["questions"][3]["answer"] == ["C", "A"]
    # Frozen once started; reminders may still change.
    assert_refused(office, 65, "request", "question", "add", rid, "--type", "text", "--prompt", "More?",
                   contains="frozen")
    assert_refused(office, 65, "request", "edit", rid, "--to", "andrei@ionescu.test")
    assert office.json("request", "edit", rid, "--no-reminders")["reminders"]["on"] is False
    # Submit with required answers missing names them and changes nothing.
    r = assert_refused(office, 65, "request", "submit", rid, contains="questions 2")
    assert "When?" in r.err and "How much?" in r.err and "Tell us" not in r.err
    office.ok("request", "answer", rid, "--question", "2", "--value", "2026-01-15")
    office.ok("request", "answer", rid, "--question", "3", "--value", "1250.50")
    s = office.json("request", "submit", rid, "--by", "Maria Ionescu")
    assert s["status"] == "submitted" and s["mail"]["queued"] == 2
    notices = {m["To"].addresses[0].addr_spec for m in mails(office) if m["Subject"].startswith("Submitted")}
    assert notices == {"office@acme.test", "bob@acme.test"}
    assert_refused(office, 65, "request", "answer", rid, "--question", "5", "--value", "late")
    log = office.json("audit", "--item", f"request:{rid}")
    actions = [(who(e), e["action"]) for e in log]
    assert ("maria@ionescu.test", "started") in actions and ("maria@ionescu.test", "submitted") in actions
    assert any(e["actor_kind"] == "contact" and e["details"].get("entered_by") == "alice@acme.test"
               for e in log)
    assert office.json("request", "show", rid, "--links")["links"][0]["active"] is False


def test_complete_and_cancel_from_allowed_states_only(office):
    def new(draft=True):
        args = ["request", "create", "--account", "Ionescu Family", "--title", "T"]
        r = office.json(*args, "--draft")
        office.ok("request", "question", "add", str(r["id"]), "--type", "text", "--prompt", "Q")
        if not draft:
            office.ok("request", "send", str(r["id"]))
        return str(r["id"])

    draft = new()
    assert_refused(office, 65, "request", "complete", draft)
    assert office.json("request", "cancel", draft, "--reason", "sent by mistake")["cancel_reason"] == "sent by mistake"
    assert_refused(office, 65, "request", "cancel", draft)
    pending = new(draft=False)
    assert office.json("request", "complete", pending)["status"] == "completed"
    assert_refused(office, 65, "request", "complete", pending)
    assert_refused(office, 65, "request", "cancel", pending)
    assert_refused(office, 65, "request", "send", pending)
    assert_refused(office, 65, "request", "answer", pending, "--question", "1", "--value", "x")
    statuses = {r["id"]: r["status"] for r in office.json("request", "list")}
    assert statuses == {int(draft): "cancelled", int(pending): "completed"}
    assert [r["id"] for r in office.json("request", "list", "--status", "completed")] == [int(pending)]


def test_file_answers_go_to_the_store_and_names_cannot_escape(office, tmp_path):
    r = office.json("request", "create", "--account", "Ionescu Family", "--title", "Files", "--draft")
    rid = str(r["id"])
    office.ok("request", "question", "add", rid, "--type", "file", "--prompt", "Upload")
    office.ok("request", "send", rid)
    (tmp_path / "..evil").mkdir()
    src = tmp_path / "..evil" / "..%2f..%2fescape.pdf"
    src.write_bytes(b"%PDF-1.4 receipts")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    a = office.json("request", "answer", rid, "--question", "1", "--file", str(src), "--by", "maria@ionescu.test")
    [f] = a["questions"][0]["files"]
    assert f["sha256"] == digest and f["size"] == 17 and f["name"] == "_..%2f..%2fescape.pdf"
    if not POSTGRES:  # the store is the files/ folder beside the SQLite file
        store = office.db.parent / "files"
        stored = store / digest[:2] / digest
        assert stored.read_bytes() == src.read_bytes()
        assert oct(stored.stat().st_mode & 0o777) == "0o600"
        everything = [p for p in office.db.parent.rglob("*") if p.is_file()]
        assert all(str(p).startswith(str(store)) or p.parent == office.db.parent for p in everything)
    # Export keeps files inside the folder it makes.
    out = tmp_path / "export"
    office.ok("request", "export", rid, "--dir", out)
    doc = json.loads((out / "answers.json").read_text())
    assert doc["questions"][0]["files"][0]["sha256"] == digest
    files = [p for p in out.rglob("*") if p.is_file()]
    assert all(p.parent == out for p in files) and len(files) == 2
    assert_refused(office, 65, "request", "export", rid, "--dir", out, contains="already exists")
    # The size limit.
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    office.write_config(office.config.read_text() + "\n[files]\nmax_size_mb = 1\n")
    assert_refused(office, 65, "request", "answer", rid, "--question", "1", "--file", big, contains="limit")
    assert_refused(office, 66, "request", "answer", rid, "--question", "1", "--file", tmp_path / "missing.pdf")


def test_relink_revokes_the_old_link(office):
    r = office.json("request", "create", "--account", "Ionescu Family", "--title", "T", "--draft")
    office.ok("request", "question", "add", str(r["id"]), "--type", "text", "--prompt", "Q")
    office.ok("request", "send", str(r["id"]))
    before = office.json("request", "show", str(r["id"]), "--links")["links"][0]["token"]
    office.ok("request", "relink", str(r["id"]))
    after = office.json("request", "show", str(r["id"]), "--links")["links"][0]["token"]
    assert before != after
    key = office.key_file
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    stored = office.stored_bytes()
    assert key.read_bytes() not in stored and key.read_bytes().hex().encode() not in stored


def test_bulk_create_from_stdin(office):
    office.ok("account", "add", "Rossi SRL", "--type", "company")
    office.ok("contact", "add", "--account", "Rossi SRL", "--name", "Giulia", "--email", "giulia@rossi.test",
              "--portal")
    office.ok("template", "add", "--file", TEMPLATE)
    rs = office.json("request", "create", "--account", "-", "--template", "medical-receipts",
                     input="Ionescu Family\nRossi SRL\n")
    assert [r["account"] for r in rs] == ["Ionescu Family", "Rossi SRL"]
    assert {m["To"].addresses[0].addr_spec for m in mails(office)} == {"maria@ionescu.test", "giulia@rossi.test"}
    # One unknown account refuses the whole batch.
    assert_refused(office, 66, "request", "create", "--account", "-", "--template", "medical-receipts",
                   input="Rossi SRL\nNobody Ltd\n")


def test_unassigned_member_may_not_create(office):
    office.ok("staff", "add", "Carol", "--email", "carol@acme.test")
    assert_refused(office, 77, "--as", "carol@acme.test", "request", "create", "--account", "Ionescu Family",
                   "--title", "T", "--draft")
    office.ok("--as", "bob@acme.test", "request", "create", "--account", "Ionescu Family", "--title", "T", "--draft")
