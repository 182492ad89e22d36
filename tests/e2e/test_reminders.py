"""Automatic reminders with the clock moved by --now, against a real SMTP server."""
import random
import signal
import subprocess
import time

import pytest

from conftest import BIN, POSTGRES, assert_refused
from mailserver import SmtpServer, smtp_config

MON = "2026-03-02T10:00:00Z"  # a Monday


def day(n, hour=10):
    """Monday 2 March 2026 plus n days, at `hour` UTC."""
    import datetime
    d = datetime.datetime(2026, 3, 2, hour) + datetime.timedelta(days=n)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def office(firm, tmp_path):
    srv = SmtpServer(tmp_path)
    firm.cfg = 'user = "alice@acme.test"\n' + smtp_config(srv.port)
    firm.write_config(firm.cfg)
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    firm.ok("contact", "add", "--account", "Smith", "--name", "Jane", "--email", "jane@smith.test", "--portal")
    firm.ok("contact", "add", "--account", "Smith", "--name", "Quiet", "--email", "quiet@smith.test", "--no-notify")
    firm.srv = srv
    yield firm
    srv.stop()


def new_request(p, *flags, at=MON):
    r = p.json("--now", at, "request", "create", "--account", "Smith", "--title", "Receipts", "--draft", *flags)
    p.ok("request", "question", "add", str(r["id"]), "--type", "text", "--prompt", "Q")
    p.ok("--now", at, "request", "send", str(r["id"]))
    return str(r["id"])


def reminders_to(p):
    return sorted(m["to"][0] for m in p.srv.messages() if "Reminder" in m.get("subject", "Reminder"))


def run(p, at):
    r = p.run("--json", "--now", at, "remind", "--run")
    assert r.code == 0, r
    return r.json


def reminder_count(p):
    return len([e for e in p.srv.events("message")]) - p.sent_base


def test_defaults_one_reminder_per_notify_contact_after_3_days_then_nothing(office):
    new_request(office)
    office.sent_base = len(office.srv.messages())  # the two request emails
    assert run(office, day(2))["due"] == 0
    r = run(office, day(3))
    assert r["due"] == 1 and r["sent"] == 2
    assert reminder_count(office) == 2
    assert run(office, day(3))["due"] == 0  # a second run at the same moment queues nothing
    assert run(office, day(30))["due"] == 0
    assert reminder_count(office) == 2
    to = sorted(m["to"][0] for m in office.srv.messages()[office.sent_base:])
    assert to == ["jane@smith.test", "john@smith.test"]


def test_two_reminders_every_two_days(office):
    rid = new_request(office, "--remind-every", "2", "--reminders", "2")
    office.sent_base = len(office.srv.messages())
    assert run(office, day(1))["due"] == 0
    assert run(office, day(2))["due"] == 1
    assert run(office, day(3))["due"] == 0
    assert run(office, day(4))["due"] == 1
    assert run(office, day(8))["due"] == 0
    assert office.json("request", "show", rid)["reminders"]["sent"] == 2


def test_a_resend_restarts_the_day_count_and_keeps_the_count(office):
    rid = new_request(office)
    office.ok("--now", day(1), "request", "resend", rid, "--message", "Just checking")
    assert run(office, day(3))["due"] == 0
    assert run(office, day(4))["due"] == 1
    shown = office.json("request", "show", rid)
    assert shown["reminders"]["sent"] == 1
    assert [e["action"] for e in office.json("audit", "--item", f"request:{rid}")].count("resent") == 1
    # The to-do list puts the most recently notified first.
    other = new_request(office, at=day(5))
    assert [t["id"] for t in office.json("todo", "Smith")] == [int(other), int(rid)]


@pytest.mark.parametrize("stop", ["submit", "complete", "cancel", "archive_job"])
def test_reminders_stop_when_the_request_is_done_or_its_job_archived(office, stop):
    office.ok("pipeline", "create", "P", "--stage", "A", "--stage", "B")
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "P")
    rid = new_request(office)
    office.ok("job", "link", str(job["id"]), "--request", rid)
    if stop == "submit":
        office.ok("request", "answer", rid, "--question", "1", "--value", "x")
        office.ok("request", "submit", rid)
    elif stop == "complete":
        office.ok("request", "complete", rid)
    elif stop == "cancel":
        office.ok("request", "cancel", rid)
    else:
        office.ok("job", "archive", str(job["id"]))
    assert run(office, day(3))["due"] == 0


@pytest.mark.parametrize("decision", ["approve", "disapprove"])
def test_approval_reminders_stop_on_either_decision(office, tmp_path, decision):
    office.ok("folder", "add", "Shared", "--client-can-view")
    f = tmp_path / "doc.pdf"
    f.write_bytes(b"%PDF")
    office.ok("doc", "add", "--account", "Smith", f, "--folder", "Shared")
    a = office.json("--now", MON, "approval", "request", "1")
    assert office.json("--now", day(3), "remind", "--list")[0]["kind"] == "approval"
    if decision == "approve":
        office.ok("approval", "approve", str(a["id"]))
    else:
        office.ok("approval", "disapprove", str(a["id"]), "--reason", "no")
    assert run(office, day(3))["due"] == 0


def test_a_reminder_due_on_saturday_goes_out_monday_at_the_windows_start(office):
    office.write_config(office.cfg + '\n[reminders]\ntimezone = "Europe/Bucharest"\nsend_window = "09:00-17:00"\n')
    new_request(office, at=day(3))  # Thursday 10:00 UTC, due Sunday
    [p] = office.json("--now", day(3), "remind", "--list")
    assert p["send_at"] == "2026-03-09T07:00:00Z"  # Monday 09:00 in Bucharest (UTC+2)
    assert run(office, day(6))["due"] == 0  # Sunday
    assert run(office, "2026-03-09T06:59:00Z")["due"] == 0
    assert run(office, "2026-03-09T07:00:00Z")["due"] == 1


def test_a_paused_account_gets_none_until_resumed(office):
    new_request(office)
    office.ok("account", "edit", "Smith", "--pause-reminders")
    assert run(office, day(5))["due"] == 0
    office.ok("account", "edit", "Smith", "--resume-reminders")
    assert run(office, day(5))["due"] == 1
    new_request(office, at=day(6))
    office.ok("--now", day(6), "account", "edit", "Smith", "--pause-reminders", "--until", "2026-03-20")
    assert run(office, day(10))["due"] == 0
    assert run(office, day(18))["due"] == 1


def test_dry_run_changes_nothing(office):
    new_request(office)
    before = office.dump()
    r = office.ok("--now", day(3), "remind", "--run", "--dry-run")
    assert "reminder 1 of 1" in r.out and "3 days ago" in r.out
    assert office.dump() == before


def test_no_transport_is_a_configuration_error(office):
    office.write_config('user = "alice@acme.test"\n')
    new_request(office)
    assert_refused(office, 78, "--now", day(3), "remind", "--run")


def seed_due_requests(p, count):
    """`count` sent requests, each with one recipient, all due for reminder 1 (fast, in SQL).
    Reminders on, every 3 days, 1 of them: the columns' defaults."""
    with p.transaction() as tx:
        tx.executemany(
            "INSERT INTO requests (account_id, title, status, created_by, created_at, sent_at, "
            "last_notified_at, last_activity_at) VALUES (1, ?, 'pending', 'seed', ?, ?, ?, ?)",
            [(f"R{i}", MON, MON, MON, MON) for i in range(count)])
        tx.execute("INSERT INTO request_recipients (request_id, contact_id, name, email) "
                   "SELECT id, 1, 'John', 'r' || id || '@client.test' FROM requests")
        tx.execute("INSERT INTO request_questions (request_id, position, type, prompt) "
                   "SELECT id, 1, 'text', 'Q' FROM requests")


# On PostgreSQL the runs may be on different machines; four at once there too.
@pytest.mark.parametrize("runs", [2, pytest.param(4, marks=pytest.mark.skipif(
    not POSTGRES, reason="on SQLite a second run already finds the delivery lock taken"))])
def test_runs_at_once_over_10000_due_reminders_send_each_once(office, runs):
    count = 10_000
    seed_due_requests(office, count)
    procs = [subprocess.Popen([BIN, "--json", "--now", day(3), "remind", "--run"], env=office.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(runs)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    got = [m["to"][0] for m in office.srv.messages()]
    assert len(got) == count and len(set(got)) == count
    assert office.sql("SELECT count(*) FROM requests WHERE reminders_sent = 1") == [(count,)]


def test_kills_during_a_run_lose_nothing(office):
    count, kills = 2000, 20
    seed_due_requests(office, count)
    rng = random.Random(1047)
    for _ in range(kills):
        p = subprocess.Popen([BIN, "--now", day(3), "remind", "--run"], env=office.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert office.integrity_ok()
    final = office.run("--json", "--now", day(3), "remind", "--run")
    assert final.code == 0, final
    # Whatever a kill interrupted is queued or taken over; flush what is left.
    office.run("outbox", "flush")
    got = [m["to"][0] for m in office.srv.messages()]
    assert len(set(got)) == count  # nothing lost
    assert len(got) - count <= kills  # at most one duplicate per kill
    assert office.sql("SELECT count(*) FROM requests WHERE reminders_sent = 1") == [(count,)]
    assert office.sql("SELECT count(*) FROM outbox WHERE state != 'sent'") == [(0,)]
