"""Mail through the outbox to a real SMTP server (aiosmtpd on 127.0.0.1) that injects faults."""
import os
import random
import socket
import time

import pytest

from conftest import assert_refused
from mailserver import SmtpServer, make_ca, smtp_config


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


@pytest.fixture
def mailfirm(firm):
    firm.write_config('user = "alice@acme.test"\n')
    return firm


def use_smtp(p, port, security="none", extra=""):
    p.write_config('user = "alice@acme.test"\n' + smtp_config(port, security, extra))


def outbox(p, status=None):
    args = ["outbox", "--limit", "100000"] + (["--status", status] if status else [])
    return p.json(*args)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_test_message_reaches_the_server(mailfirm, servers):
    srv = servers("--keep-content")
    use_smtp(mailfirm, srv.port)
    r = mailfirm.json("outbox", "test", "--to", "maria@ionescu.test", "--subject", "Olá")
    assert r["queued"] == 1 and r["sent"] == 1
    [msg] = srv.messages()
    assert msg["to"] == ["maria@ionescu.test"]
    assert msg["mail_from"] == "office@acme.test"
    row = mailfirm.json("outbox", "show", str(r["ids"][0]))
    assert row["status"] == "sent" and row["attempts"] == 1 and row["last_code"] == 250
    assert msg["message_id"] == row["message_id"]
    # EHLO carries the firm's domain, not the machine's name.
    assert srv.events("ehlo")[0]["name"] == "acme.test"


def test_connection_is_reused_for_successive_messages(mailfirm, servers):
    srv = servers()
    use_smtp(mailfirm, srv.port, extra="connections = 1\n")
    to = [a for i in range(30) for a in ("--to", f"c{i}@client.test")]
    assert mailfirm.json("outbox", "test", *to)["sent"] == 30
    assert len(srv.messages()) == 30
    assert len(srv.events("ehlo")) == 1


def test_parallel_connections_deliver_each_message_once(mailfirm, servers):
    srv = servers()
    use_smtp(mailfirm, srv.port)  # the default: 4 connections
    to = [a for i in range(200) for a in ("--to", f"c{i}@client.test")]
    assert mailfirm.json("outbox", "test", *to)["sent"] == 200
    got = sorted(m["to"][0] for m in srv.messages())
    assert got == sorted(f"c{i}@client.test" for i in range(200))
    assert len(srv.events("ehlo")) == 4
    assert all(r["attempts"] == 1 and r["status"] == "sent" for r in outbox(mailfirm))


def test_a_relay_allowing_fewer_connections_gets_fewer_not_a_stopped_run(mailfirm, servers):
    srv = servers("--max-sessions", "2")
    use_smtp(mailfirm, srv.port, extra="connections = 4\n")
    to = [a for i in range(100) for a in ("--to", f"c{i}@client.test")]
    r = mailfirm.json("outbox", "test", *to)
    assert (r["sent"], r["deferred"], r["failed"]) == (100, 0, 0)
    assert sorted(m["to"][0] for m in srv.messages()) == sorted(f"c{i}@client.test" for i in range(100))
    assert len(srv.events("turned_away")) >= 1
    assert len(srv.events("ehlo")) == 2
    # A message whose connection was turned away was not the message's fault.
    assert all(row["attempts"] == 1 for row in outbox(mailfirm))


def test_451_on_ten_percent_of_1000_all_delivered_after_retries(mailfirm, servers):
    srv = servers("--p451", "0.10", "--seed", "7")
    use_smtp(mailfirm, srv.port)
    to = [a for i in range(1000) for a in ("--to", f"client{i}@client.test")]
    first = mailfirm.json("--now", "2026-03-02T09:00:00Z", "outbox", "test", *to)
    assert first["queued"] == 1000
    assert 50 < first["deferred"] < 160 and first["failed"] == 0
    now = 9
    for _ in range(12):
        if not outbox(mailfirm, "queued"):
            break
        now += 5  # hours: past any backoff of the first attempts
        r = mailfirm.run("--json", "--now", f"2026-03-02T{now:02d}:00:00Z" if now < 24 else
                         f"2026-03-03T{now - 24:02d}:00:00Z", "outbox", "flush")
        assert r.code in (0, 75), r
    rows = outbox(mailfirm)
    assert {r["status"] for r in rows} == {"sent"}
    assert len(rows) == 1000
    retried = [r for r in rows if r["attempts"] >= 2]
    assert len(retried) == len({e["message_id"] for e in srv.events("reject")})
    ids = [m["message_id"] for m in srv.messages()]
    assert len(ids) == 1000 and len(set(ids)) == 1000


def test_554_on_five_percent_fails_exactly_those_after_one_attempt(mailfirm, servers):
    srv = servers("--p554", "0.05", "--seed", "3")
    use_smtp(mailfirm, srv.port)
    to = [a for i in range(1000) for a in ("--to", f"client{i}@client.test")]
    r = mailfirm.json("outbox", "test", *to)
    rejected = {e["message_id"] for e in srv.events("reject")}
    assert 20 < len(rejected) < 80
    failed = outbox(mailfirm, "failed")
    assert {f["message_id"] for f in failed} == rejected
    assert all(f["attempts"] == 1 and f["last_code"] == 554 and "rejected by policy" in f["last_reply"]
               for f in failed)
    assert r["failed"] == len(rejected) and r["sent"] == 1000 - len(rejected)
    human = mailfirm.ok("outbox", "--status", "failed").out
    assert "554 5.7.1 rejected by policy" in human


def test_server_down_for_a_whole_run_then_back(mailfirm, servers):
    port = free_port()
    use_smtp(mailfirm, port)
    to = [a for i in range(20) for a in ("--to", f"c{i}@client.test")]
    r = mailfirm.run("--json", "outbox", "test", *to)
    assert r.code == 69, r  # a set-up check that sent nothing fails; the messages stay queued
    assert r.json["sent"] == 0 and r.json["deferred"] == 20
    assert "stay queued" in r.err
    flush = mailfirm.run("--json", "outbox", "flush")
    assert flush.code == 75, flush
    assert flush.json["failed"] == 0
    rows = outbox(mailfirm)
    assert {x["status"] for x in rows} == {"queued"} and {x["attempts"] for x in rows} == {0}
    srv = servers(port=port)
    assert mailfirm.json("outbox", "flush")["sent"] == 20
    assert len(srv.messages()) == 20


def test_connection_dropped_after_the_final_dot(mailfirm, servers):
    srv = servers()
    use_smtp(mailfirm, srv.port)
    to = ["--to", "dropkeep-anna@client.test", "--to", "bob@client.test"]
    r = mailfirm.json("--now", "2026-03-02T09:00:00Z", "outbox", "test", *to)
    assert r["sent"] == 1 and r["deferred"] == 1
    [row] = outbox(mailfirm, "queued")
    assert row["uncertain"] == 1 and row["attempts"] == 1 and row["last_code"] == 354
    # The server kept it, so the next attempt makes the one possible extra copy.
    srv.stop()
    srv2 = servers()
    use_smtp(mailfirm, srv2.port)
    mailfirm.sql("UPDATE outbox SET rcpt = 'anna@client.test' WHERE id = ?", row["id"])
    assert mailfirm.json("--now", "2026-03-02T12:00:00Z", "outbox", "flush")["sent"] == 1
    first = [m for m in srv.messages() if m["to"] == ["dropkeep-anna@client.test"]]
    second = srv2.messages()
    assert len(first) == 1 and len(second) == 1
    assert first[0]["message_id"] == second[0]["message_id"] == row["message_id"]
    done = mailfirm.json("outbox", "show", str(row["id"]))
    assert done["status"] == "sent" and done["uncertain"] == 1


def test_reply_timeout_on_message_1_of_5_does_not_hold_up_the_rest(mailfirm, servers):
    srv = servers()
    use_smtp(mailfirm, srv.port, extra="")
    mailfirm.write_config(mailfirm.config.read_text().replace("timeout_seconds = 20", "timeout_seconds = 2"))
    to = ["--to", "slow5-first@client.test"] + [a for i in range(2, 6) for a in ("--to", f"m{i}@client.test")]
    started = time.monotonic()
    r = mailfirm.json("outbox", "test", *to)
    elapsed = time.monotonic() - started
    assert r["sent"] == 4 and r["deferred"] == 1
    assert elapsed < 5
    got = {m["to"][0] for m in srv.messages() if not m["to"][0].startswith("slow")}
    assert got == {f"m{i}@client.test" for i in range(2, 6)}


def test_no_transport_keeps_mail_queued_and_says_so(mailfirm):
    mailfirm.ok("account", "add", "Smith")
    mailfirm.ok("contact", "add", "--account", "Smith", "--name", "Ann", "--email", "a@client.test", "--portal")
    rid = str(mailfirm.json("request", "create", "--account", "Smith", "--title", "T", "--draft")["id"])
    mailfirm.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Q")
    r = mailfirm.run("--json", "request", "send", rid)
    assert r.code == 0 and r.json["mail"]["queued"] == 1 and r.json["mail"]["sent"] == 0, r
    assert "no mail transport" in r.err
    assert_refused(mailfirm, 78, "outbox", "flush", contains="no mail transport")
    # A set-up check with nothing to send through is refused before it queues anything.
    assert_refused(mailfirm, 78, "outbox", "test", "--to", "a@client.test", contains="no mail transport")


def test_file_transport_writes_one_eml_per_message(mailfirm, tmp_path):
    mailfirm.write_config(f'user = "alice@acme.test"\n[mail]\ntransport = "file"\ndir = "{tmp_path}/eml"\n')
    r = mailfirm.json("outbox", "test", "--to", "a@client.test", "--to", "b@client.test")
    assert r["sent"] == 2
    files = sorted((tmp_path / "eml").glob("*.eml"))
    assert len(files) == 2
    for f in files:
        assert oct(f.stat().st_mode & 0o777) == "0o600"
    import subprocess
    from conftest import BIN
    for i in r["ids"]:
        name = mailfirm.json("outbox", "show", str(i))["message_id"].strip("<>") + ".eml"
        raw = subprocess.run([BIN, "outbox", "show", str(i), "--raw"], capture_output=True,
                             env=mailfirm.env, check=True).stdout
        assert (tmp_path / "eml" / name).read_bytes() == raw


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


def test_starttls_with_the_right_ca_and_password(mailfirm, servers, ca):
    srv = servers("--cert", ca["cert"], "--key", ca["key"], "--auth", "office:s3cret-pw")
    use_smtp(mailfirm, srv.port, "starttls",
             f'ca_file = "{ca["ca"]}"\nusername = "office"\npassword_env = "SMTP_PW"\n')
    r = mailfirm.json("outbox", "test", "--to", "a@client.test", "--to", "b@client.test",
                      env={"SMTP_PW": "s3cret-pw"})
    assert r["sent"] == 2
    assert len(srv.messages()) == 2


def test_wrong_password_stops_after_one_connection_and_never_shows_it(mailfirm, servers, ca):
    srv = servers("--cert", ca["cert"], "--key", ca["key"], "--auth", "office:right-pw")
    use_smtp(mailfirm, srv.port, "starttls",
             f'ca_file = "{ca["ca"]}"\nusername = "office"\npassword_command = "echo wr0ng-pw-123"\n')
    to = [a for i in range(10) for a in ("--to", f"c{i}@client.test")]
    r = mailfirm.run("--json", "outbox", "test", *to)
    assert r.code == 69 and r.json["sent"] == 0, r
    before = mailfirm.dump()
    flush = mailfirm.run("outbox", "flush")
    assert flush.code in (69, 78), flush
    assert mailfirm.dump() == before  # nothing counted against the messages
    assert len(srv.events("auth")) == 2  # one connection per run, not one per message
    assert not srv.messages()
    for out in (r.out, r.err, flush.out, flush.err, mailfirm.ok("--json", "outbox").out):
        assert "wr0ng-pw-123" not in out


def test_server_without_starttls_is_refused_when_tls_is_required(mailfirm, servers, ca):
    srv = servers()  # plain, no STARTTLS
    use_smtp(mailfirm, srv.port, "starttls", f'ca_file = "{ca["ca"]}"\n')
    mailfirm.run("outbox", "test", "--to", "a@client.test")
    r = mailfirm.run("outbox", "flush")
    assert r.code == 69, r
    assert not srv.events("rcpt") and not srv.messages()
    assert outbox(mailfirm)[0]["status"] == "queued"


def test_untrusted_certificate_is_refused(mailfirm, servers, ca):
    srv = servers("--cert", ca["cert"], "--key", ca["key"])
    use_smtp(mailfirm, srv.port, "starttls")  # no ca_file: the test CA is not trusted
    mailfirm.run("outbox", "test", "--to", "a@client.test")
    r = mailfirm.run("outbox", "flush")
    assert r.code == 69, r
    assert "certificate" in r.err.lower() or "ssl" in r.err.lower()
    assert not srv.events("rcpt") and not srv.messages()


INJECTIONS = ["\r\nRCPT TO:<evil@x.test>", "\nBcc: evil@x.test", "\r", "\n", "\r\n", ">\r\nDATA",
              "\r\n.\r\nMAIL FROM:<e@x.test>", "\u2028", "\x0b", "\x0c", "\x1b[31m", "\x7f"]


def vectors(n=1000):
    rng = random.Random(1047)
    out = []
    while len(out) < n:
        inj = rng.choice(INJECTIONS)
        where = rng.choice(["to-end", "to-mid", "to-local", "subject"])
        base = f"user{len(out)}@client.test"
        if where == "to-end":
            out.append(["--to", base + inj])
        elif where == "to-mid":
            out.append(["--to", base.replace("@", inj + "@")])
        elif where == "to-local":
            out.append(["--to", inj + base])
        else:
            if inj in ("\u2028", "\x1b[31m", "\x7f", "\x0b", "\x0c"):
                continue  # not line breaks: allowed (encoded) in a subject
            out.append(["--to", base, "--subject", f"Hello{inj}Bcc: evil@x.test"])
    return out


def test_1000_injection_vectors_never_reach_the_server(mailfirm, servers):
    srv = servers()
    use_smtp(mailfirm, srv.port)
    for args in vectors():
        r = mailfirm.run("outbox", "test", *args)
        assert r.code == 65, (args, r)
    assert srv.events() == []
    assert outbox(mailfirm) == []


BODIES = {
    "dots": ".leading dot\n..two dots\n.\nend\n",
    "bare_lf": "line one\nline two\n\nline four",
    "lone_dot_crlf": "before\r\n.\r\nafter\r\n",
    "mixed": "a\rb\nc\r\n.\r.\n\n. \n",
    "one_mb": ("0123456789abcdef" * 64 + "\n.\n") * 1000,
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_bodies_arrive_byte_identical(mailfirm, servers, tmp_path, name):
    srv = servers("--keep-content")
    use_smtp(mailfirm, srv.port)
    body = tmp_path / "body.txt"
    body.write_bytes(BODIES[name].encode())
    r = mailfirm.json("outbox", "test", "--to", "a@client.test", "--body-file", str(body))
    assert r["sent"] == 1
    import subprocess
    from conftest import BIN
    raw = subprocess.run([BIN, "outbox", "show", str(r["ids"][0]), "--raw"], capture_output=True,
                         env=mailfirm.env, check=True).stdout
    [got] = srv.contents()
    assert got == raw
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(l) for l in raw.split(b"\r\n")) <= 998
    # And the text comes back out of the MIME encoding unchanged (line endings aside).
    import email
    import email.policy
    parsed = email.message_from_bytes(got, policy=email.policy.default)
    text = parsed.get_content().replace("\r\n", "\n").replace("\r", "\n")
    assert BODIES[name].replace("\r\n", "\n").replace("\r", "\n") in text


def test_retry_failed(mailfirm, servers):
    srv = servers()
    use_smtp(mailfirm, srv.port)
    r = mailfirm.run("--json", "outbox", "test", "--to", "data554-x@client.test")
    assert r.code == 69 and r.json["failed"] == 1, r  # the server refused the only test message
    [row] = outbox(mailfirm, "failed")
    assert_refused(mailfirm, 66, "outbox", "retry", "424242")
    again = mailfirm.json("outbox", "retry", "--all-failed")
    assert again["queued"] == 1 and again["failed"] == 1
    assert_refused(mailfirm, 64, "outbox", "retry")


def test_kills_during_flush_lose_nothing_and_duplicate_at_most_once_per_kill(mailfirm, servers):
    """SIGKILL a delivery run at random moments; the next run takes over the dead run's rows."""
    import signal
    import subprocess
    from conftest import BIN
    srv = servers()
    count, kills = 600, 8
    to = [a for i in range(count) for a in ("--to", f"c{i}@client.test")]
    use_smtp(mailfirm, free_port())  # nobody listening yet: the check fails (69), all stay queued
    assert mailfirm.run("outbox", "test", *to).code == 69
    use_smtp(mailfirm, srv.port)
    env = dict(mailfirm.env)
    rng = random.Random(9)
    for _ in range(kills):
        proc = subprocess.Popen([BIN, "outbox", "flush"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert mailfirm.integrity_ok()
    final = mailfirm.run("--json", "outbox", "flush")
    assert final.code == 0, final
    rows = outbox(mailfirm)
    assert len(rows) == count and {r["status"] for r in rows} == {"sent"}
    got = [m["message_id"] for m in srv.messages()]
    assert set(got) == {r["message_id"] for r in rows}  # nothing lost
    assert len(got) - count <= kills  # at most one extra copy per kill


def test_doctor_and_config_check_with_mail_open_a_session_and_send_nothing(mailfirm, servers, ca):
    srv = servers("--cert", ca["cert"], "--key", ca["key"], "--auth", "office:s3cret-pw")
    use_smtp(mailfirm, srv.port, "starttls",
             f'ca_file = "{ca["ca"]}"\nusername = "office"\npassword_env = "SMTP_PW"\n')
    before = mailfirm.dump()
    r = mailfirm.run("--json", "doctor", "--mail", env={"SMTP_PW": "s3cret-pw"})
    assert r.code == 0, r
    [mail] = [c for c in r.json["checks"] if c["check"] == "mail"]
    assert mail["ok"] and "EHLO, STARTTLS, AUTH and NOOP accepted" in mail["detail"], mail
    assert len(srv.events("auth")) == 1 and not srv.messages()  # logged in, sent nothing
    human = mailfirm.run("config", "check", "--mail", env={"SMTP_PW": "s3cret-pw"})
    assert human.code == 0 and "mail: smtp://127.0.0.1" in human.out, human
    assert mailfirm.dump() == before and not srv.messages()
    # A wrong password: 69 with the server's refusal, never the password.
    wrong = mailfirm.run("doctor", "--mail", env={"SMTP_PW": "wr0ng-pw-123"})
    assert wrong.code == 69 and "FAIL  mail" in wrong.out and "535" in wrong.out, wrong
    check = mailfirm.run("--json", "config", "check", "--mail", env={"SMTP_PW": "wr0ng-pw-123"})
    assert check.code == 69 and check.json["ok"] is False and "535" in check.json["mail"]["detail"], check
    assert all("wr0ng-pw-123" not in s for s in (wrong.out, wrong.err, check.out, check.err))
    # No server at all: 69, naming why.
    srv.stop()
    down = mailfirm.run("doctor", "--mail", env={"SMTP_PW": "s3cret-pw"})
    assert down.code == 69 and "FAIL  mail" in down.out, down
    assert "doctor" not in down.err or "1 check failed: mail" in down.err
    # Without --mail, doctor does not touch the network.
    assert mailfirm.run("doctor", env={"SMTP_PW": "x"}).code == 0
