#!/usr/bin/python3
"""Reminder planning and sending speed.

Prints, in one run:
  - the wall time of `practice remind --run --dry-run` (planning only) over
    100,000 pending requests, of which 10% are due (target: under 1 s);
  - messages per second of `practice remind --run` (default 4 connections) sending 10,000 due
    reminders to Postfix's smtp-sink (planning, bookkeeping and delivery
    included), next to Python's smtplib sending the same messages over one
    connection (target: at least 1.2x smtplib). Sender and sink are pinned to
    one CPU each.

Usage: bench/reminders.py [PATH/TO/practice]   (installs postfix for smtp-sink if missing)
"""
import json
import os
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "src" / "practice")
SINK = "/usr/sbin/smtp-sink"
T0 = "2026-03-02T10:00:00Z"


def seed(db, count, due_every):
    con = sqlite3.connect(db)
    with con:
        con.executemany(
            "INSERT INTO requests (account_id, title, status, reminders_on, remind_every_days, reminder_count, "
            "created_by, created_at, sent_at, last_notified_at, last_activity_at) "
            "VALUES (1, ?, 'pending', 1, ?, 1, 'seed', ?, ?, ?, ?)",
            [(f"R{i}", 3 if i % due_every == 0 else 30, T0, T0, T0, T0) for i in range(count)])
        con.execute("INSERT INTO request_recipients (request_id, contact_id, name, email) "
                    "SELECT id, 1, 'Client', 'r' || id || '@client.test' FROM requests")
        con.execute("INSERT INTO request_questions (request_id, position, type, prompt) "
                    "SELECT id, 1, 'text', 'Q' FROM requests")
    con.close()


def fresh(tmp, name, config_text):
    d = Path(tmp) / name
    d.mkdir()
    (d / "config.toml").write_text(config_text)
    env = dict(os.environ, PRACTICE_DB=str(d / "p.db"), PRACTICE_CONFIG=str(d / "config.toml"), HOME=str(d))
    env.pop("PRACTICE_NOW", None)
    for args in (["init", "--firm", "Bench CPA", "--email", "office@bench.test"],
                 ["staff", "add", "A", "--email", "a@bench.test"], ["--as", "a@bench.test", "account", "add", "C"],
                 ["--as", "a@bench.test", "contact", "add", "--account", "C", "--name", "C", "--email", "c@client.test"]):
        subprocess.run([BIN, "-q", *args], env=env, check=True)
    return d, env


def main():
    if not os.path.exists(SINK):
        subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    smtp = f'[mail]\ntransport = "smtp"\n[smtp]\nurl = "smtp://127.0.0.1:{port}"\nsecurity = "none"\n' \
           '[reminders]\nbusiness_days = ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"]\n'
    with tempfile.TemporaryDirectory() as tmp:
        d, env = fresh(tmp, "plan", smtp)
        seed(d / "p.db", 100_000, 10)
        t = time.perf_counter()
        out = subprocess.run([BIN, "--json", "--now", "2026-03-05T10:00:00Z", "remind", "--run", "--dry-run"],
                             env=env, capture_output=True, check=True)
        plan_s = time.perf_counter() - t
        due = len(json.loads(out.stdout))

        d, env = fresh(tmp, "send", smtp)
        seed(d / "p.db", 10_000, 1)
        sink = subprocess.Popen(["taskset", "-c", "1", SINK, "-u", "nobody", f"127.0.0.1:{port}", "256"])
        time.sleep(0.5)
        try:
            t = time.perf_counter()
            r = subprocess.run(["taskset", "-c", "0", BIN, "--json", "--now", "2026-03-05T10:00:00Z", "remind",
                                "--run"], env=env, capture_output=True, text=True)
            send_s = time.perf_counter() - t
            assert r.returncode == 0, r.stderr
            sent = json.loads(r.stdout)["sent"]
            con = sqlite3.connect(d / "p.db")
            rows = con.execute("SELECT rcpt, message FROM outbox WHERE kind = 'reminder'").fetchall()
            con.close()
            os.sched_setaffinity(0, {0})
            t = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as c:
                for rcpt, message in rows:
                    c.sendmail("office@bench.test", [rcpt], message if isinstance(message, bytes) else message.encode())
            smtplib_s = time.perf_counter() - t
        finally:
            sink.terminate()
            sink.wait()
    print(f"planning 100,000 pending items ({due} due): {plan_s * 1000:.0f} ms (target < 1000 ms)")
    print(f"{'sender':<52} {'msg/s':>8}")
    print(f"{'practice remind --run (plan+queue+deliver, 4 conn.)':<52} {sent / send_s:>8.0f}")
    print(f"{'python smtplib, one connection':<52} {len(rows) / smtplib_s:>8.0f}")
    print(f"practice / smtplib: {smtplib_s / len(rows) * sent / send_s:.2f}x (target >= 1.2x)")


if __name__ == "__main__":
    main()
