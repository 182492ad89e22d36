"""The tamper-evident audit trail."""
from conftest import BIN, DB_ERRORS, assert_refused, who


def test_every_change_is_audited_with_its_actor_and_time(firm):
    firm.ok("staff", "add", "Bob", "--email", "bob@acme.test")
    firm.ok("--now", "2026-03-01T09:00:00Z", "account", "add", "Smith")
    firm.ok("account", "assign", "Smith", "Bob")
    firm.ok("--as", "bob@acme.test", "contact", "add", "--account", "Smith", "--name", "J",
            "--email", "j@smith.test")
    firm.ok("--as", "Bob", "contact", "edit", "j@smith.test", "--portal", "on")
    firm.ok("account", "archive", "Smith")
    log = firm.json("audit")
    summary = [(who(e), e["item"], e["action"]) for e in log]
    assert summary == [
        ("root" if summary[0][0] == "root" else summary[0][0], "firm:1", "created"),
        (summary[1][0], "staff:1", "created"),
        ("alice@acme.test", "staff:2", "created"),
        ("alice@acme.test", "account:1", "created"),
        ("alice@acme.test", "account:1", "assigned"),
        ("bob@acme.test", "contact:1", "created"),
        ("bob@acme.test", "contact:1", "edited"),
        ("alice@acme.test", "account:1", "archived"),
    ]
    assert log[3]["at"] == "2026-03-01T09:00:00Z"
    assert log[6]["details"] == {"changed": {"portal": [False, True]}}
    assert log[0]["actor_kind"] == "os_user" and log[0]["actor"]["id"] is None and log[0]["actor"]["email"] is None
    # A staff actor is the staff member as they are now: id, name, email.
    assert log[2]["actor_kind"] == "staff" and log[2]["actor"] == {"id": 1, "name": "Alice Silva",
                                                                   "email": "alice@acme.test"}
    # Filters.
    assert [e["id"] for e in firm.json("audit", "--account", "Smith")] == [4, 5, 6, 7, 8]
    assert [e["action"] for e in firm.json("audit", "--item", "contact:1")] == ["created", "edited"]
    assert [e["id"] for e in firm.json("audit", "--since", "2026-03-01")] != []
    ok = firm.json("audit", "--verify")
    assert ok["ok"] is True and ok["rows"] == 8 and ok["bad_row"] is None


def test_failed_commands_leave_no_audit_row(firm):
    firm.ok("account", "add", "Smith")
    n = len(firm.json("audit"))
    firm.run("contact", "add", "--account", "Smith", "--name", "J", "--email", "bad")
    firm.run("account", "add", "")
    assert len(firm.json("audit")) == n


def test_direct_edit_is_refused_then_detected(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("account", "edit", "Smith", "--name", "Smith Family")
    firm.ok("account", "add", "Jones")
    # The database refuses plain edits of audit rows...
    try:
        firm.sql("UPDATE audit SET actor = 'mallory' WHERE id = 4")
        assert False, "the trigger should refuse"
    except DB_ERRORS as e:
        assert "append-only" in str(e)
    # ...and someone who drops the guard is caught by --verify.
    firm.lift_audit_guard()
    firm.sql("UPDATE audit SET details = '{\"name\":\"Smyth\"}' WHERE id = 4")
    r = assert_refused(firm, 65, "audit", "--verify", contains="audit row 4 was altered")
    r = firm.run("--json", "audit", "--verify")
    assert r.code == 65 and r.json["bad_row"] == 4 and r.json["ok"] is False


def test_removed_row_is_named(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("account", "add", "Jones")
    firm.lift_audit_guard()
    firm.sql("DELETE FROM audit WHERE id = 3")
    assert_refused(firm, 65, "audit", "--verify", contains="row 3 was removed")


def test_rehashed_row_still_breaks_the_chain(firm):
    """An attacker who recomputes the edited row's own hash is caught at the next row."""
    import hashlib
    import json
    firm.ok("account", "add", "Smith")
    firm.ok("account", "add", "Jones")
    firm.lift_audit_guard()
    row = firm.sql("SELECT id, at, actor_kind, actor_id, actor, account_id, item, action, details, prev_hash FROM audit WHERE id = 3")[0]
    details = '{"name":"Smyth","type":"individual"}'
    content = json.dumps([row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], details],
                         separators=(",", ":"), ensure_ascii=False)
    new_hash = hashlib.sha256((row[9] + "\n" + content).encode()).hexdigest()
    firm.sql("UPDATE audit SET details = ?, hash = ? WHERE id = 3", details, new_hash)
    assert_refused(firm, 65, "audit", "--verify", contains="audit row 4 does not follow row 3")


def test_audit_by_actor_time_window_and_limit(firm):
    firm.ok("staff", "add", "Bruno Costa", "--email", "bruno@acme.test", "--role", "admin")
    firm.ok("--now", "2026-03-01T09:00:00Z", "account", "add", "Smith")
    firm.ok("--now", "2026-03-05T09:00:00Z", "--as", "bruno@acme.test", "account", "add", "Jones")
    firm.ok("--now", "2026-03-09T09:00:00Z", "account", "add", "Rossi")
    by_bruno = firm.json("audit", "--actor", "Bruno Costa")
    assert [e["item"] for e in by_bruno] == ["account:2"]
    assert firm.json("audit", "--actor", "bruno@acme.test") == by_bruno
    alice = firm.json("audit", "--actor", "alice@acme.test")
    assert {e["item"] for e in alice} >= {"account:1", "account:3"}
    window = firm.json("audit", "--since", "2026-03-04", "--until", "2026-03-06")
    assert [e["item"] for e in window] == ["account:2"]
    # Relative times count from the clock (--now).
    recent = firm.json("--now", "2026-03-10T09:00:00Z", "audit", "--since", "2d", "--until", "now")
    assert [e["item"] for e in recent] == ["account:3"]
    assert firm.json("--now", "2026-03-10T09:00:00Z", "audit", "--since", "today", "--until", "now") == []
    last_two = firm.json("audit", "--limit", "2")
    everything = firm.json("audit")
    assert last_two == everything[-2:]
    assert firm.json("audit", "--actor", "nobody@client.test") == []
    assert_refused(firm, 65, "audit", "--since", "last week", contains='--since "last week" is not a time')
    assert_refused(firm, 65, "audit", "--limit", "0")


def test_audit_goes_through_the_pager_on_a_terminal_only(firm, tmp_path):
    import os
    import pty
    import subprocess
    firm.ok("account", "add", "Smith")
    seen = tmp_path / "paged.txt"
    pager = f"cat > {seen}"
    # Off a terminal: never the pager.
    r = firm.ok("audit", env={"PAGER": pager})
    assert "account:1" in r.out and not seen.exists()

    def on_pty(*args):
        main, sub = pty.openpty()
        env = dict(firm.env, PAGER=pager)
        p = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=sub, stderr=subprocess.PIPE, env=env)
        os.close(sub)
        out = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        p.wait(timeout=30)
        os.close(main)
        return p.returncode, out.decode()

    code, out = on_pty("audit")
    assert code == 0
    assert "account:1" in seen.read_text() and "account:1" not in out
    seen.unlink()
    code, out = on_pty("audit", "--no-pager")
    assert code == 0 and "account:1" in out and not seen.exists()


def test_a_pause_that_ends_in_the_past_is_refused(firm):
    firm.ok("account", "add", "Smith")
    assert_refused(firm, 65, "--now", "2026-03-10T09:00:00Z", "account", "edit", "Smith", "--pause-reminders",
                   "--until", "2026-03-01", contains="is in the past")
    a = firm.json("--now", "2026-03-10T09:00:00Z", "account", "edit", "Smith", "--pause-reminders", "--until", "2w")
    assert a["reminders_paused_until"] == "2026-03-24T09:00:00Z"
