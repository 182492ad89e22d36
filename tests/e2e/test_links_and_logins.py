"""Issue 13 #3 and #11: a client's live link is never stored (the outbox keeps
a slot, delivery puts the link in), and one rule decides who can be sent a
request that needs a login, on every path."""
import re

import pytest

from conftest import assert_refused
from mailserver import SmtpServer, smtp_config

MON = "2026-03-02T10:00:00Z"


@pytest.fixture
def office(firm, tmp_path):
    srv = SmtpServer(tmp_path, "--keep-content")
    firm.write_config('user = "alice@acme.test"\n[portal]\nbase_url = "https://portal.acme.test"\n'
                      + smtp_config(srv.port))
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    firm.ok("contact", "add", "--account", "Smith", "--name", "Jane", "--email", "jane@smith.test")
    firm.srv = srv
    yield firm
    srv.stop()


def tokens_in(p):
    """Every portal token in every message the SMTP server received."""
    out = set()
    for raw in p.srv.contents():
        text = raw.decode("utf-8", "replace").replace("=\r\n", "").replace("=\n", "")
        out.update(re.findall(r"https://portal\.acme\.test/[ra]/([0-9a-z.]+)", text))
    return out


def database_bytes(p):
    # The link key itself lives apart from the database, by design.
    return p.stored_bytes()


def test_no_link_of_any_email_sent_is_in_the_database_files(office, tmp_path):
    r = office.json("--now", MON, "request", "create", "--account", "Smith", "--title", "Receipts", "--draft")
    rid = str(r["id"])
    office.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Q")
    office.ok("--now", MON, "request", "send", rid)
    office.ok("--now", MON, "request", "resend", rid, "--message", "Any news?")
    office.ok("--now", "2026-03-06T10:00:00Z", "remind", "--run")
    office.ok("folder", "add", "Client documents", "--client-can-view")
    doc = tmp_path / "return.pdf"
    doc.write_bytes(b"%PDF-1.4 the return")
    office.ok("doc", "add", "--account", "Smith", str(doc), "--folder", "Client documents")
    office.ok("--now", MON, "approval", "request", "1")
    office.ok("--now", MON, "approval", "resend", "1")
    raws = [m.decode("utf-8", "replace") for m in office.srv.contents()]
    assert any("\r\nSubject: Reminder" in m for m in raws), "no reminder went out"
    tokens = tokens_in(office)
    # Request, resend and reminder to John; approval and its resend to John and Jane.
    assert len(tokens) >= 3, tokens
    # Quoted-printable soft breaks undone, so a link split over two lines counts.
    stored = database_bytes(office).replace(b"=\r\n", b"")
    for t in tokens:
        assert t.encode() not in stored, "a live link is in the database files"
        assert t.split(".")[-1].encode() not in stored
    # What the outbox keeps instead is a slot, filled in only at delivery.
    assert b"PRACTICE-LINK-SLOT" in stored
    # And the links in the emails open: the CLI computes the same ones.
    links = office.json("request", "show", rid, "--links")["links"]
    assert {l["token"] for l in links} <= tokens


def test_a_relinked_recipient_gets_the_new_link_in_mail_queued_before(office):
    office.write_config('user = "alice@acme.test"\n[portal]\nbase_url = "https://portal.acme.test"\n'
                        '[mail]\ntransport = "smtp"\n[smtp]\nurl = "smtp://127.0.0.1:9"\nconnect_timeout_seconds = 1\n')
    r = office.json("--now", MON, "request", "create", "--account", "Smith", "--title", "Receipts", "--draft")
    rid = str(r["id"])
    office.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Q")
    office.ok("--now", MON, "request", "send", rid)  # queued: the server is down
    office.ok("request", "relink", rid)
    office.write_config('user = "alice@acme.test"\n[portal]\nbase_url = "https://portal.acme.test"\n'
                        + smtp_config(office.srv.port))
    office.ok("outbox", "flush")
    [token] = tokens_in(office)
    assert token == office.json("request", "show", rid, "--links")["links"][0]["token"]


def test_a_login_request_is_refused_for_a_contact_without_portal_access(office):
    before = office.dump()
    assert_refused(office, 65, "request", "create", "--account", "Smith", "--title", "X", "--to", "jane@smith.test",
                   "--draft", contains="no portal access")
    assert office.dump() == before
    # The same contact is fine without a login.
    office.ok("request", "create", "--account", "Smith", "--title", "X", "--to", "jane@smith.test",
              "--no-login", "--draft")


def test_without_to_a_login_request_goes_only_to_contacts_who_can_sign_in(office):
    r = office.json("request", "create", "--account", "Smith", "--title", "X", "--draft")
    assert [x["email"] for x in r["recipients"]] == ["john@smith.test"]
    office.ok("account", "add", "Jones")
    office.ok("contact", "add", "--account", "Jones", "--name", "Bob", "--email", "bob@jones.test")
    d = office.json("request", "create", "--account", "Jones", "--title", "X", "--draft")
    office.ok("request", "question", "add", str(d["id"]), "--type", "text", "--prompt", "Q")
    assert_refused(office, 65, "request", "send", str(d["id"]), contains="portal access")


def test_an_automation_that_can_reach_nobody_makes_a_draft_that_job_show_explains(office, tmp_path):
    tpl = tmp_path / "t.toml"
    tpl.write_text('name = "docs"\ntitle = "Documents"\n[[question]]\ntype = "text"\nprompt = "Q"\n')
    office.ok("template", "add", "--file", str(tpl))
    office.ok("account", "add", "Jones")
    office.ok("contact", "add", "--account", "Jones", "--name", "Bob", "--email", "bob@jones.test")
    office.ok("pipeline", "create", "Tax", "--stage", "Intake", "--stage", "Missing", "--stage", "Done")
    office.ok("pipeline", "automation", "add", "Tax", "Missing", "--send-request", "docs")
    office.ok("job", "create", "--account", "Jones", "--pipeline", "Tax")
    office.ok("job", "move", "1", "--next")
    job = office.json("job", "show", "1")
    [item] = job["items"]
    assert item["status"] == "draft"
    assert "portal access" in item["waiting_for"], item
    assert office.srv.messages() == []
