"""Pipelines, jobs and automove, end to end against a real SMTP server."""
import email
import email.policy
from pathlib import Path

import pytest

from conftest import assert_refused, who
from mailserver import SmtpServer, smtp_config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "share" / "practice" / "templates" / "requests"


@pytest.fixture
def office(firm, tmp_path):
    srv = SmtpServer(tmp_path)
    firm.write_config('user = "alice@acme.test"\n' + smtp_config(srv.port))
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John Smith", "--email", "john@smith.test", "--portal")
    firm.ok("template", "add", "--file", TEMPLATES / "engagement-details.toml")
    firm.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Missing information",
            "--stage", "Preparation", "--stage", "Done")
    firm.ok("pipeline", "stage", "edit", "Tax return", "Missing information", "--automove", "on")
    firm.ok("pipeline", "automation", "add", "Tax return", "Missing information", "--send-request",
            "engagement-details", "--remind-every", "2", "--reminders", "2")
    firm.srv = srv
    yield firm
    srv.stop()


def answer_all(p, rid, by="john@smith.test"):
    p.ok("request", "answer", rid, "--question", "1", "--value", "Individual tax return", "--by", by)
    p.ok("request", "answer", rid, "--question", "2", "--value", "John Smith", "--by", by)
    p.ok("request", "answer", rid, "--question", "3", "--value", "no", "--by", by)


def test_the_hands_free_loop(office):
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--title", "2025 return")
    assert job["stage"] == "Intake" and job["items"] == []
    moved = office.json("job", "move", str(job["id"]), "--next")
    assert moved["stage"] == "Missing information"
    [item] = moved["items"]
    assert item["kind"] == "request" and item["status"] == "pending" and item["blocking"]
    assert moved["mail"]["sent"] == 1
    [msg] = office.srv.messages()
    assert msg["to"] == ["john@smith.test"]
    req = office.json("request", "show", str(item["id"]))
    assert req["reminders"]["every_days"] == 2 and req["reminders"]["count"] == 2
    assert [j["id"] for j in office.json("job", "list", "--blocked")] == [job["id"]]
    rid = str(item["id"])
    answer_all(office, rid)
    assert office.json("job", "show", str(job["id"]))["stage"] == "Missing information"
    office.ok("request", "submit", rid, "--by", "john@smith.test")
    after = office.json("job", "show", str(job["id"]))
    assert after["stage"] == "Preparation" and after["blocked_by"] == []
    assert office.json("job", "list", "--blocked") == []
    moves = [e for e in office.json("audit", "--item", f"job:{job['id']}") if e["action"] == "moved"]
    assert [(who(m), m["details"]["cause"], m["details"]["to"]) for m in moves] == [
        ("alice@acme.test", "manual", "Missing information"),
        ("system", "automove", "Preparation"),
    ]
    assert moves[1]["actor"] is None and moves[1]["actor_kind"] == "system"
    assert moves[1]["details"]["trigger"] == f"request:{rid} submitted"


def test_moves_only_when_every_item_in_the_stage_is_done(office):
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--stage", "Missing information")
    jid = str(job["id"])
    [auto] = job["items"]
    extra = office.json("request", "create", "--account", "Smith", "--title", "One more", "--draft", "--job", jid)
    office.ok("request", "question", "add", str(extra["id"]), "--type", "text", "--prompt", "Q")
    office.ok("request", "send", str(extra["id"]))
    answer_all(office, str(auto["id"]))
    office.ok("request", "submit", str(auto["id"]))
    assert office.json("job", "show", jid)["stage"] == "Missing information"
    # The firm completing the last one moves it too.
    office.ok("request", "complete", str(extra["id"]))
    assert office.json("job", "show", jid)["stage"] == "Preparation"


def test_a_cancelled_item_no_longer_holds_the_job(office):
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--stage", "Missing information")
    jid = str(job["id"])
    [auto] = job["items"]
    other = office.json("request", "create", "--account", "Smith", "--title", "Other", "--draft", "--job", jid)
    office.ok("request", "cancel", str(other["id"]))
    answer_all(office, str(auto["id"]))
    office.ok("request", "submit", str(auto["id"]))
    assert office.json("job", "show", jid)["stage"] == "Preparation"


def test_manual_move_with_pending_items(office):
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--stage", "Missing information")
    jid = str(job["id"])
    rid = str(job["items"][0]["id"])
    r = assert_refused(office, 65, "job", "move", jid, "--next", contains=f"request {rid}")
    assert "--pending" in r.err
    kept = office.json("job", "move", jid, "--next", "--pending", "keep")
    assert kept["stage"] == "Preparation"
    assert office.json("request", "show", rid)["status"] == "pending"
    # Back, and this time cancel what is pending in the stage.
    job2 = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--stage", "Missing information")
    rid2 = str(job2["items"][0]["id"])
    office.ok("job", "move", str(job2["id"]), "--to", "Done", "--pending", "cancel")
    assert office.json("request", "show", rid2)["status"] == "cancelled"
    assert_refused(office, 65, "job", "move", str(job2["id"]), "--next", contains="last stage")
    assert_refused(office, 65, "job", "move", jid, "--next", "--pending", "maybe")


def test_who_may_link(office):
    office.ok("staff", "add", "Mel", "--email", "mel@acme.test")
    office.ok("staff", "add", "Ada", "--email", "ada@acme.test", "--role", "admin")
    office.ok("staff", "add", "Vic", "--email", "vic@acme.test", "--view-all-accounts")
    office.ok("staff", "add", "Asa", "--email", "asa@acme.test")
    office.ok("account", "assign", "Smith", "asa@acme.test")
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return")
    jid = str(job["id"])
    ids = []
    for _ in range(4):
        r = office.json("request", "create", "--account", "Smith", "--title", "T", "--draft")
        ids.append(str(r["id"]))
    assert_refused(office, 77, "--as", "mel@acme.test", "job", "link", jid, "--request", ids[0])
    assert_refused(office, 77, "--as", "mel@acme.test", "request", "link", ids[0], "--job", jid)
    office.ok("--as", "asa@acme.test", "job", "link", jid, "--request", ids[0])
    office.ok("--as", "ada@acme.test", "job", "link", jid, "--request", ids[1])
    office.ok("--as", "vic@acme.test", "request", "link", ids[2], "--job", jid)
    linked = [i["id"] for i in office.json("job", "show", jid)["items"]]
    assert linked == [int(i) for i in ids[:3]]
    assert [r["id"] for r in office.json("request", "list", "--job", jid)] == sorted(linked, reverse=True)
    office.ok("request", "unlink", ids[2], "--job", jid)
    assert_refused(office, 66, "request", "unlink", ids[2], "--job", jid)


def test_pipeline_rules(office):
    assert_refused(office, 65, "pipeline", "stage", "edit", "Tax return", "Done", "--automove", "on",
                   contains="last stage")
    assert_refused(office, 65, "pipeline", "stage", "add", "Tax return", "After", "--automove", "on",
                   contains="last stage")
    office.ok("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--stage", "Preparation")
    assert_refused(office, 65, "pipeline", "stage", "remove", "Tax return", "Preparation", contains="holds 1 job")
    office.ok("pipeline", "stage", "add", "Tax return", "Review", "--position", "4")
    assert [s["name"] for s in office.json("pipeline", "show", "Tax return")["stages"]] == [
        "Intake", "Missing information", "Preparation", "Review", "Done"]
    office.ok("pipeline", "stage", "edit", "Tax return", "Review", "--rename", "Partner review")
    assert_refused(office, 66, "pipeline", "stage", "edit", "Tax return", "Partner reviw", contains="did you mean")
    assert_refused(office, 66, "pipeline", "automation", "add", "Tax return", "Intake", "--send-request", "nope")


def test_pipelines_round_trip_through_toml(office, tmp_path):
    text = office.ok("pipeline", "export", "Tax return").out
    f = tmp_path / "p.toml"
    f.write_text(text.replace("Tax return", "Bookkeeping"))
    p = office.json("pipeline", "import", f)
    assert p["name"] == "Bookkeeping"
    assert [s["automove"] for s in p["stages"]] == [False, True, False, False]
    assert p["stages"][1]["automations"][0]["send_request"] == "engagement-details"
    assert office.ok("pipeline", "export", "Bookkeeping").out == text.replace("Tax return", "Bookkeeping")


def test_archived_job_and_errors(office):
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--due", "2026-04-15",
                      "--assignee", "alice@acme.test")
    assert job["due_date"] == "2026-04-15" and job["assignee"]["email"] == "alice@acme.test"
    office.ok("job", "archive", str(job["id"]))
    assert office.json("job", "list") == []
    assert len(office.json("job", "list", "--archived")) == 1
    assert_refused(office, 65, "job", "move", str(job["id"]), "--next", contains="archived")
    assert_refused(office, 65, "job", "create", "--account", "Smith", "--pipeline", "Tax return", "--due", "soon")
    assert_refused(office, 66, "job", "create", "--account", "Smith", "--pipeline", "Tax retrun", contains="did you mean")
    assert_refused(office, 64, "job", "move", str(job["id"]))
