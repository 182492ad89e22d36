"""Defects found in the field trial (issue 13), each pinned by the command that showed it."""
import email
import email.policy
import fcntl
import json
import os
import pty
import select
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import BIN, assert_refused, sqlite_only, who
from mailserver import SmtpServer, smtp_config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "share" / "practice" / "templates" / "requests" / "medical-receipts.toml"


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(*args, port=0):
        s = SmtpServer(tmp_path, *args, port=port)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def use_smtp(p, port, security="none"):
    p.write_config('user = "alice@acme.test"\n' + smtp_config(port, security))


def use_files(p, tmp_path):
    p.write_config(f'user = "alice@acme.test"\n[mail]\ntransport = "file"\ndir = "{tmp_path}/eml"\n')
    return tmp_path / "eml"


def outbox(p):
    return p.json("outbox", "--limit", "1000")


def error_lines(r):
    lines = r.err.splitlines()
    assert lines and lines[0].startswith("practice: error: "), r
    assert all(l.startswith("hint: ") for l in lines[1:]), r
    return lines


@pytest.fixture
def client(firm):
    """The firm with a client who has a portal login, and a draft request with one question."""
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John Smith", "--email", "john@smith.test",
            "--portal")
    r = firm.json("request", "create", "--account", "Smith", "--title", "Receipts", "--draft")
    firm.ok("request", "question", "add", str(r["id"]), "--type", "file", "--prompt", "Your receipts")
    firm.rid = str(r["id"])
    return firm


# 6. `outbox test` is a set-up check: nothing sent is a failure, with the reason.

def test_outbox_test_with_the_server_down_exits_69_with_the_reason(firm):
    use_smtp(firm, closed_port())
    r = firm.run("--json", "outbox", "test", "--to", "maria@ionescu.test")
    assert r.code == 69, r
    assert r.json["sent"] == 0 and r.json["deferred"] == 1
    assert json.loads(r.err)["error"]["code"] == "mail_unavailable"
    r = firm.run("outbox", "test", "--to", "maria@ionescu.test")
    assert r.code == 69, r
    first = error_lines(r)[0]
    assert "not sent" in first and "connect" in first.lower(), r
    # What was not sent stays queued for `outbox flush`, as flush leaves it.
    assert {m["status"] for m in outbox(firm)} == {"queued"}


def test_outbox_test_refused_starttls_exits_69(firm, servers):
    srv = servers()  # plain: offers no STARTTLS
    use_smtp(firm, srv.port, "starttls")
    r = firm.run("outbox", "test", "--to", "a@client.test", "--to", "b@client.test")
    assert r.code == 69, r
    assert "none of the 2 test messages was sent" in error_lines(r)[0], r
    assert not srv.events("rcpt") and not srv.messages()


def test_outbox_test_temporary_refusal_exits_75(firm, servers):
    srv = servers()
    use_smtp(firm, srv.port)
    r = firm.run("--json", "outbox", "test", "--to", "rcpt451-anna@client.test")
    assert r.code == 75, r
    assert r.json["sent"] == 0 and r.json["deferred"] == 1
    error = json.loads(r.err)["error"]
    assert error["code"] == "busy" and "451" in error["message"], r


def test_outbox_test_without_a_transport_is_refused_before_queuing(firm):
    firm.write_config('user = "alice@acme.test"\n')
    assert_refused(firm, 78, "outbox", "test", "--to", "a@client.test", contains="no mail transport")


def test_outbox_test_that_reaches_the_server_exits_0(firm, servers):
    srv = servers()
    use_smtp(firm, srv.port)
    r = firm.json("outbox", "test", "--to", "a@client.test", "--to", "rcpt451-b@client.test")
    assert r["sent"] == 1 and r["deferred"] == 1  # the set-up works; one address said later
    assert len(srv.messages()) == 1


# 7. Overlapping cron runs: the lock held by another run is no news off a terminal.

def hold_delivery_lock(p):
    fd = os.open(str(p.db) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def run_with_stderr_on_a_terminal(p, *args):
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([BIN, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                              env=p.env, timeout=60)
    finally:
        os.close(slave)
    err = b""
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    return proc.returncode, proc.stdout.decode(), err.decode()


@sqlite_only("the test holds the delivery lock as the file beside the SQLite database (practice.db.lock); "
             "how PostgreSQL's run holds it is the driver's choice, so a holder for it belongs here once it is made")
def test_remind_run_while_another_run_delivers_is_silent_off_a_terminal(client, tmp_path):
    use_files(client, tmp_path)
    client.ok("--now", "2026-03-02T10:00:00Z", "request", "send", client.rid)
    lock = hold_delivery_lock(client)
    try:
        r = client.run("--now", "2026-03-05T10:00:00Z", "remind", "--run")
        assert r.code == 0, r
        assert r.err == "" and r.out == "", r  # cron mails nobody
        verbose = client.run("-v", "--now", "2026-03-05T10:00:00Z", "remind", "--run")
        assert verbose.code == 0 and "another delivery run is in progress" in verbose.err, verbose
        code, _, err = run_with_stderr_on_a_terminal(client, "--now", "2026-03-05T10:00:00Z", "remind", "--run")
        assert code == 0 and "another delivery run is in progress" in err, err
        quiet = client.run("-q", "--now", "2026-03-05T10:00:00Z", "remind", "--run")
        assert quiet.code == 0 and quiet.err == "", quiet
        assert_refused(client, 64, "-q", "-v", "remind", "--run")
    finally:
        os.close(lock)
    # The reminder queued meanwhile goes out with the next run.
    r = client.json("--now", "2026-03-05T10:05:00Z", "remind", "--run")
    assert r["sent"] >= 1


# 8. The config is checked before any change: a bad smtp.url is exit 78, nothing sent or queued.

@pytest.mark.parametrize("url", ["gopher://mail.acme.test", "smtp://", "smtp://:587", "smtp://mail.acme.test:0",
                                 "smtp://mail.acme.test:70000", "mail.acme.test:587"])
def test_invalid_smtp_url_is_refused_before_request_send_changes_anything(client, url):
    client.write_config(f'user = "alice@acme.test"\n[mail]\ntransport = "smtp"\n[smtp]\nurl = "{url}"\n')
    r = assert_refused(client, 78, "request", "send", client.rid, contains="'smtp.url'")
    assert url in r.err
    # (assert_refused saw the database unchanged; every command refuses this config)
    assert client.sql("SELECT status FROM requests WHERE id = ?", client.rid) == [("draft",)]
    assert client.sql("SELECT count(*) FROM outbox") == [(0,)]


# 10. `init` never changes the firm; `firm show` and `firm edit` do what it used to.

def from_header(eml_dir):
    """Display name and address of the newest message's From:."""
    [f] = sorted(eml_dir.glob("*.eml"), key=os.path.getmtime)[-1:]
    [sender] = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["From"].addresses
    return sender.display_name, sender.addr_spec


def test_init_on_an_existing_database_never_renames_the_firm(firm, tmp_path):
    eml = use_files(firm, tmp_path)
    r = firm.run("init", "--firm", "Beta Books", "--email", "beta@beta.test")
    assert r.code == 0, r
    assert "was already there" in r.out
    assert "firm edit" in r.err  # says what it did not do, and how to
    shown = firm.json("firm", "show")
    assert shown["name"] == "Acme CPA" and shown["email"] == "office@acme.test"
    firm.ok("outbox", "test", "--to", "a@client.test")
    assert from_header(eml) == ("Acme CPA", "office@acme.test")


def test_firm_show_and_edit(firm, tmp_path):
    eml = use_files(firm, tmp_path)
    shown = firm.json("firm", "show")
    assert list(shown) == ["name", "email", "language", "created_at"]
    assert shown["created_at"].endswith("Z")
    human = firm.ok("firm", "show").out
    assert "Acme CPA" in human and "office@acme.test" in human
    edited = firm.json("firm", "edit", "--name", "Acme & Co", "--email", "hello@acme.test")
    assert edited == {"name": "Acme & Co", "email": "hello@acme.test", "language": "en",
                      "created_at": shown["created_at"]}
    firm.ok("outbox", "test", "--to", "a@client.test")
    assert from_header(eml) == ("Acme & Co", "hello@acme.test")
    [entry] = [e for e in firm.json("audit", "--item", "firm:1") if e["action"] == "edited"]
    assert who(entry) == "alice@acme.test"
    assert entry["details"]["changed"]["name"] == ["Acme CPA", "Acme & Co"]
    assert_refused(firm, 65, "firm", "edit", "--email", "not-an-address", contains="not a valid email")
    assert_refused(firm, 64, "firm", "edit")


def test_firm_edit_is_for_owners_and_admins(firm):
    firm.ok("staff", "add", "Bob", "--email", "bob@acme.test")
    firm.ok("staff", "add", "Ann", "--email", "ann@acme.test", "--role", "admin")
    assert_refused(firm, 77, "--as", "bob@acme.test", "firm", "edit", "--name", "Bob's", contains="owner or an admin")
    assert firm.json("--as", "ann@acme.test", "firm", "edit", "--name", "Ann's")["name"] == "Ann's"
    assert firm.json("--as", "bob@acme.test", "firm", "show")["name"] == "Ann's"  # anyone may look


# 12. A template a stage automation sends cannot be removed.

def test_template_remove_is_refused_while_an_automation_sends_it(firm):
    firm.ok("template", "add", "--file", TEMPLATE)
    firm.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Documents", "--stage", "Done")
    p = firm.json("pipeline", "automation", "add", "Tax return", "Documents", "--send-request", "medical-receipts")
    automation = p["stages"][1]["automations"][0]["id"]
    r = assert_refused(firm, 65, "template", "remove", "medical-receipts", contains='pipeline "Tax return"')
    assert 'stage "Documents"' in r.err and f"automation remove {automation}" in r.err
    # Moves into the stage still work because the template is still there.
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    job = firm.json("job", "create", "--account", "Smith", "--pipeline", "Tax return")
    firm.ok("job", "move", str(job["id"]), "--to", "Documents")
    firm.ok("pipeline", "automation", "remove", str(automation))
    firm.ok("template", "remove", "medical-receipts")
    assert firm.json("template", "list") == []
    [entry] = [e for e in firm.json("audit", "--item", "template:1") if e["action"] == "removed"]
    assert entry["details"]["name"] == "medical-receipts"


# 13. A refused `request create` names nothing the rollback took away.

def test_refused_request_create_hints_only_at_what_exists(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    r = assert_refused(firm, 65, "request", "create", "--account", "Smith", "--title", "Receipts",
                       contains="question")
    assert "request 1" not in r.err and "add 1" not in r.err and "send 1" not in r.err, r
    assert "--draft" in r.err
    assert firm.sql("SELECT count(*) FROM requests") == [(0,)]


# 14. Input that must be refused.

def test_an_empty_now_is_refused_not_the_real_clock(firm):
    r = assert_refused(firm, 65, "--now", "", "account", "add", "Smith", contains="--now")
    assert "empty" in r.err
    assert_refused(firm, 65, "--now", "", "account", "list", contains="--now")


INTEGERS = [
    ["outbox", "--limit", " 3"],
    ["outbox", "--limit", "0x10"],
    ["outbox", "show", "0x1"],
    ["outbox", "flush", "--limit", "1e3"],
    ["request", "show", " 1"],
    ["request", "show", "0x1"],
    ["request", "answer", "1", "--question", "0x1", "--value", "x"],
    ["request", "create", "--account", "Smith", "--title", "T", "--draft", "--reminders", "0x2"],
    ["request", "create", "--account", "Smith", "--title", "T", "--draft", "--job", "+1"],
    ["request", "question", "remove", "1", " 1"],
    ["job", "show", "0x1"],
    ["approval", "show", "0x1"],
    ["doc", "show", " 1"],
    ["remind", "--run", "--limit", "0x10"],
    ["pipeline", "stage", "add", "Tax return", "Review", "--position", " 1"],
    ["pipeline", "automation", "remove", "0x1"],
]


@pytest.mark.parametrize("args", INTEGERS, ids=[" ".join(a) for a in INTEGERS])
def test_integers_are_strict_decimal(client, args):
    client.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Done")
    assert_refused(client, 64, *args, contains="is not a whole number")


def test_leading_zeros_are_decimal_not_octal(client):
    for i in range(9):
        client.ok("request", "create", "--account", "Smith", "--title", f"R{i}", "--draft")
    assert client.json("request", "show", "010")["id"] == 10
    assert client.json("request", "show", "08")["id"] == 8


SEPARATORS = ["\u2028", "\u2029", "\u0085"]


@pytest.mark.parametrize("sep", SEPARATORS, ids=["U+2028", "U+2029", "NEL"])
def test_line_and_paragraph_separators_are_refused_in_names_and_titles(client, sep):
    for args in (["account", "add", f"Smith{sep}Jones"],
                 ["staff", "add", f"Eve{sep}Mallory", "--email", "eve@acme.test"],
                 ["pipeline", "create", f"Tax{sep}return", "--stage", "One"],
                 ["request", "create", "--account", "Smith", "--title", f"Receipts{sep}2025", "--draft"],
                 ["request", "edit", client.rid, "--title", f"Receipts{sep}"]):
        assert_refused(client, 65, *args, contains="line break")
    # The other C1 controls (here CSI, U+009B) are control characters as C0 ones are.
    assert_refused(client, 65, "account", "add", "Smith\u009b31m", contains="control characters")


def test_audit_refuses_an_unknown_item_kind(firm):
    r = assert_refused(firm, 65, "audit", "--item", "invoice:1", contains='"invoice"')
    for kind in ("request", "approval", "job"):
        assert kind in r.err
    assert_refused(firm, 65, "audit", "--item", "reqest:1", contains='did you mean "request"')
    assert firm.json("audit", "--item", "staff:1")[0]["action"] == "created"


def test_a_fifo_is_refused_at_once_not_read_for_ever(client, tmp_path):
    fifo = tmp_path / "receipts.pdf"
    os.mkfifo(fifo)
    assert_refused(client, 65, "doc", "add", "--account", "Smith", fifo, contains="not a regular file", timeout=10)
    client.ok("request", "send", client.rid)
    assert_refused(client, 65, "request", "answer", client.rid, "--question", "1", "--file", fifo,
                   contains="not a regular file", timeout=10)
    assert_refused(client, 65, "doc", "add", "--account", "Smith", tmp_path, contains="not a regular file")
    assert_refused(client, 65, "doc", "add", "--account", "Smith", "/dev/null", contains="not a regular file")


def test_template_show_json_has_the_real_id(firm):
    first = firm.json("template", "add", "--file", TEMPLATE)
    shown = firm.json("template", "show", "medical-receipts")
    assert shown["id"] == first["id"] != 0
    assert firm.json("template", "show", str(first["id"]))["name"] == "medical-receipts"


def test_request_export_takes_an_empty_folder_and_refuses_a_full_one(client, tmp_path):
    client.ok("request", "send", client.rid)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = client.json("request", "export", client.rid, "--dir", empty)
    assert (empty / "answers.json").exists() and r["files"] == [f"{empty}/answers.json"]
    assert_refused(client, 65, "request", "export", client.rid, "--dir", empty, contains="not empty")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert_refused(client, 65, "request", "export", client.rid, "--dir", a_file, contains="not a folder")
    client.ok("request", "export", client.rid, "--dir", tmp_path / "new")
    assert (tmp_path / "new" / "answers.json").exists()


# 15. Under --json, exports are JSON too.

def test_pipeline_and_template_export_print_json_under_json(firm):
    firm.ok("template", "add", "--file", TEMPLATE)
    firm.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Documents")
    firm.ok("pipeline", "automation", "add", "Tax return", "Documents", "--send-request", "medical-receipts",
            "--reminders", "2")
    p = firm.json("pipeline", "export", "Tax return")
    assert p["name"] == "Tax return"
    assert [s["name"] for s in p["stages"]] == ["Intake", "Documents"]
    [a] = p["stages"][1]["automations"]
    assert a["send_request"] == "medical-receipts" and a["reminders"]["count"] == 2 and a["login"] is None
    t = firm.json("template", "export", "medical-receipts")
    shown = firm.json("template", "show", "medical-receipts")
    assert t == {k: v for k, v in shown.items() if k != "id"}
    # Without --json they stay the TOML that import and add take back, with the same content.
    toml_p = tomllib.loads(firm.ok("pipeline", "export", "Tax return").out)
    assert toml_p["name"] == p["name"] and [s["name"] for s in toml_p["stage"]] == ["Intake", "Documents"]
    assert toml_p["stage"][1]["automation"][0]["reminder_count"] == 2
    toml_t = tomllib.loads(firm.ok("template", "export", "medical-receipts").out)
    assert (toml_t["name"], toml_t["title"]) == (t["name"], t["title"])
    assert [q["prompt"] for q in toml_t["question"]] == [q["prompt"] for q in t["questions"]]
