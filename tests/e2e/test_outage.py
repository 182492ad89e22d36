"""After a mail outage (issue 13): one reminder per item and client, dated when it went out;
RFC 5321's wait for the final reply; a message a killed run left past its final dot is flagged;
the outbox shows each failure's reason once."""
import datetime
import email
import email.policy
import email.utils
import signal
import socket
import subprocess
import time

import pytest

from conftest import BIN
from mailserver import SmtpServer, smtp_config


def at(day, hour=10):
    """December `day`, 2026 (the 1st is a Tuesday), at `hour` UTC."""
    return f"2026-12-{day:02d}T{hour:02d}:00:00Z"


def when(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def received(srv):
    """The messages the server accepted, parsed, with who they were for."""
    out = []
    for event, raw in zip(srv.messages(), srv.contents()):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append({"to": event["to"][0], "subject": str(msg["Subject"]), "message_id": event["message_id"],
                    "date": email.utils.parsedate_to_datetime(str(msg["Date"]))})
    return out


def reminders(srv):
    return [m for m in received(srv) if m["subject"].startswith("Reminder")]


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(*args, port=0):
        s = SmtpServer(tmp_path, "--keep-content", *args, port=port)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def office(firm):
    """Smith with two contacts who get email, and a third who does not."""
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test")
    firm.ok("contact", "add", "--account", "Smith", "--name", "Jane", "--email", "jane@smith.test")
    firm.ok("contact", "add", "--account", "Smith", "--name", "Quiet", "--email", "quiet@smith.test", "--no-notify")
    return firm


def use(p, port, extra=""):
    p.write_config('user = "alice@acme.test"\n' + smtp_config(port) + extra +
                   "\n[reminders]\ncount = 2\nevery_days = 3\n")


def new_request(p, title, day):
    r = p.json("--now", at(day), "request", "create", "--account", "Smith", "--title", title, "--draft",
               "--no-login")
    p.ok("request", "question", "add", str(r["id"]), "--type", "text", "--prompt", "Q")
    p.ok("--now", at(day), "request", "send", str(r["id"]))
    return r["id"]


def remind(p, day, hour=10):
    return p.run("--json", "--now", at(day, hour), "remind", "--run")


def test_after_four_days_down_each_client_gets_one_reminder_per_item_dated_when_it_went_out(office, servers):
    port = free_port()
    srv = servers(port=port)
    use(office, port)
    ids = [new_request(office, "Receipts", 1), new_request(office, "Bank statements", 1)]
    assert len(received(srv)) == 4  # each request to John and Jane, on the 1st
    srv.stop()  # down from the 4th to the 8th: connections refused
    for day in (4, 5, 6, 7):
        r = remind(office, day)
        assert r.code == 75, r  # deferred: nothing lost, nothing failed
        assert r.json["failed"] == 0
    # Reminder 2 would be due on the 7th, but reminder 1 has not reached anyone.
    held = office.json("--now", at(7), "remind", "--list")
    assert len(held) == 2 and not any(p["due"] for p in held)
    assert all("held until the email queued 2026-12-04 reaches the client" in p["reason"] for p in held)
    srv = servers(port=port)
    r = remind(office, 8)
    assert r.code == 0, r

    got = reminders(srv)
    per_client = sorted(m["to"] for m in got)
    assert per_client == ["jane@smith.test"] * 2 + ["john@smith.test"] * 2  # one per item each
    # Dated when they went out (the 8th), not when they were queued (the 4th).
    assert {m["date"] for m in got} == {when(at(8))}
    assert len({m["message_id"] for m in got}) == 4

    # The next reminder counts from the 8th, when the client actually got one.
    todo = office.json("todo", "Smith")
    assert {t["last_notified_at"] for t in todo} == {at(8)}
    planned = office.json("--now", at(8), "remind", "--list")
    assert {(p["id"], p["number"], p["send_at"]) for p in planned} == {(i, 2, at(11)) for i in ids}
    assert remind(office, 10).json["due"] == 0
    r = remind(office, 11)
    assert r.code == 0 and r.json["due"] == 2 and r.json["sent"] == 4, r
    assert sorted(m["date"] for m in reminders(srv)) == [when(at(8))] * 4 + [when(at(11))] * 4
    for i in ids:
        assert office.json("request", "show", str(i))["reminders"]["sent"] == 2


def test_an_older_reminder_waiting_for_a_recipient_is_superseded_by_the_newer_one(office, servers, tmp_path):
    refuse = tmp_path / "refuse"
    srv = servers("--refuse-file", str(refuse))
    use(office, srv.port)
    rid = new_request(office, "Receipts", 1)
    refuse.write_text("jane@smith.test\n")  # Jane's mailbox is busy from the 4th
    for day in (4, 5, 6):
        remind(office, day)
    # Reminder 2 is due on the 7th (three days after John got reminder 1):
    # Jane's reminder 1, still waiting, must not go out with it.
    r = remind(office, 7)
    assert r.json["cancelled"] == 1, r
    refuse.unlink()
    assert remind(office, 8).code == 0

    got = reminders(srv)
    assert sorted(m["to"] for m in got) == ["jane@smith.test", "john@smith.test", "john@smith.test"]
    [jane] = [m for m in got if m["to"] == "jane@smith.test"]
    assert jane["date"] == when(at(8))

    rows = [x for x in office.json("outbox", "--limit", "100") if x["kind"] == "reminder"]
    [cancelled] = [x for x in rows if x["status"] == "cancelled"]
    assert cancelled["email"] == "jane@smith.test"
    assert cancelled["last_reply"].startswith("superseded by reminder 2 (outbox ")
    assert "superseded by reminder 2" in office.ok("outbox", "--status", "cancelled").out
    audit = [e for e in office.json("audit", "--item", f"request:{rid}") if e["action"] == "reminder_cancelled"]
    assert len(audit) == 1 and audit[0]["details"]["reason"] == cancelled["last_reply"]
    assert audit[0]["actor_kind"] == "system"
    # Still counted: two reminders used, none left.
    assert office.json("request", "show", str(rid))["reminders"]["sent"] == 2
    assert remind(office, 20).json["due"] == 0


def test_a_relay_that_answers_the_final_dot_after_35_seconds_gets_one_copy(firm, servers):
    """The only slow test: libcurl's defaults or a 30 s reply limit would give up and send again."""
    srv = servers()
    firm.write_config('user = "alice@acme.test"\n[mail]\ntransport = "smtp"\n[smtp]\n'
                      f'url = "smtp://127.0.0.1:{srv.port}"\nsecurity = "none"\n')  # default timeouts
    started = time.monotonic()
    r = firm.run("--json", "--now", at(1), "outbox", "test", "--to", "slow35-anna@client.test", timeout=120)
    assert time.monotonic() - started >= 35
    assert r.json["sent"] == 1, r
    # A later run has nothing left to send.
    flush = firm.run("--json", "--now", at(1, 14), "outbox", "flush")
    assert flush.code == 0 and flush.json["claimed"] == 0, flush
    assert len(srv.messages()) == 1
    [row] = firm.json("outbox")
    assert (row["status"], row["attempts"], row["uncertain"]) == ("sent", 1, 0)


def test_a_message_past_its_final_dot_when_the_run_was_killed_is_flagged_uncertain(firm, servers):
    srv = servers()
    firm.write_config('user = "alice@acme.test"\n' + smtp_config(srv.port))
    # The server keeps the message at once and answers 3 s later.
    proc = subprocess.Popen([BIN, "--now", at(1), "outbox", "test", "--to", "late3-anna@client.test"],
                            env=firm.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not srv.events("data") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.events("data"), "the message never reached its final dot"
    proc.send_signal(signal.SIGKILL)  # past the final dot, waiting for the reply
    proc.wait()
    assert firm.integrity_ok()
    [(state,)] = firm.sql("SELECT state FROM outbox")
    assert state == "sending"

    # The next run takes the dead run's row over and sends it again: the one
    # possible duplicate, marked as such.
    r = firm.run("--json", "--now", at(1, 11), "outbox", "flush")
    assert r.code == 0 and r.json["sent"] == 1, r
    [row] = firm.json("outbox")
    assert row["status"] == "sent" and row["uncertain"] == 1
    assert "sent (uncertain)" in firm.ok("outbox").out
    assert "sent (uncertain)" in firm.ok("outbox", "show", str(row["id"])).out
    # Both copies are the same message: one Message-ID, one Date.
    copies = received(srv)
    assert len(copies) == 2
    assert {m["message_id"] for m in copies} == {row["message_id"]}
    assert {m["date"] for m in copies} == {when(at(1))}


def test_the_outbox_shows_the_servers_reply_once_and_the_reason_for_a_refusal(firm, servers):
    port = free_port()
    firm.write_config('user = "alice@acme.test"\n' + smtp_config(port))
    firm.run("--now", at(1), "outbox", "test", "--to", "a@client.test")  # nobody listening
    [refused] = firm.json("outbox")
    assert refused["status"] == "queued" and refused["attempts"] == 0
    assert refused["last_code"] is None and "connect" in refused["last_reply"].lower()
    assert " ms" not in refused["last_reply"]
    line = firm.ok("outbox").out.splitlines()[1]
    assert "connect" in line.lower() and not line.rstrip().endswith("-")

    srv = servers(port=port)
    firm.run("--now", at(1), "outbox", "test", "--to", "data554-b@client.test")
    [failed] = firm.json("outbox", "--status", "failed")
    assert failed["last_code"] == 554 and failed["last_reply"] == "554 5.7.1 rejected by policy"
    shown = firm.ok("outbox", "--status", "failed").out
    assert "554 5.7.1 rejected by policy" in shown and "554 554" not in shown

    # A plain server when STARTTLS is required: refused before any reply.
    firm.write_config('user = "alice@acme.test"\n' + smtp_config(srv.port, "starttls"))
    firm.run("--now", at(1), "outbox", "flush")
    [again] = [x for x in firm.json("outbox") if x["id"] == refused["id"]]
    assert again["status"] == "queued" and again["attempts"] == 0
    assert again["last_code"] is None and "STARTTLS" in again["last_reply"]
    assert "STARTTLS" in firm.ok("outbox", "show", str(again["id"])).out
