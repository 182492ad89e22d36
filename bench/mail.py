#!/usr/bin/python3
"""Delivery throughput: practice's outbox against smtplib and a bare libcurl loop.

Queues 10,000 messages in a fresh practice database, then delivers the same
messages three ways to Postfix's smtp-sink on 127.0.0.1, sender and sink
each pinned to one CPU (taskset) for stable ratios:
  - practice outbox flush (claims, leases, one recorded result per message),
    with the default [smtp] connections (4; BENCH_SMTP_EXTRA="connections = 1"
    compares another setting);
  - Python's smtplib over one connection;
  - a bare libcurl loop reusing one handle (bench/curl_loop.c), no bookkeeping.
Prints messages per second side by side and practice's peak memory.
Targets (issue 3): practice >= 1.2x smtplib and >= 0.7x the bare loop; peak < 64 MB.

Usage: bench/mail.py [PATH/TO/practice] [COUNT]   (installs postfix for smtp-sink if missing)
"""
import os
import shutil
import socket
import sqlite3
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "src" / "practice")
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
SINK = "/usr/sbin/smtp-sink"
EXTRA = os.environ.get("BENCH_SMTP_EXTRA", "").replace("\\n", "\n")  # more [smtp] lines, to compare settings


CONNS = (EXTRA.split("connections", 1)[1].strip(" =\n").split()[0] if "connections" in EXTRA else "4") + " conn."


def need_sink():
    if not os.path.exists(SINK):
        subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_sink(port):
    proc = subprocess.Popen(["taskset", "-c", "1", SINK, "-u", "nobody", f"127.0.0.1:{port}", "256"])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("smtp-sink did not start")


def main():
    need_sink()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db = tmp / "bench.db"
        config = tmp / "config.toml"
        config.write_text("")
        env = dict(os.environ, PRACTICE_DB=str(db), PRACTICE_CONFIG=str(config), HOME=str(tmp))
        env.pop("PRACTICE_NOW", None)
        run = lambda *a: subprocess.run([BIN, "-q", *a], env=env, check=True)
        run("init", "--firm", "Bench CPA", "--email", "office@bench.test")
        to = [a for i in range(COUNT) for a in ("--to", f"client{i}@client.test")]
        run("outbox", "test", *to, "--body", "A short message body.\n" * 5)  # no transport: queued
        con = sqlite3.connect(db)
        rows = con.execute("SELECT rcpt, message FROM outbox ORDER BY id").fetchall()
        con.close()
        assert len(rows) == COUNT
        port = free_port()
        sink = start_sink(port)
        try:
            config.write_text(f'[mail]\ntransport = "smtp"\n[smtp]\nurl = "smtp://127.0.0.1:{port}"\n'
                              'security = "none"\n' + EXTRA)
            t0 = time.perf_counter()
            out = subprocess.run(["taskset", "-c", "0", "/usr/bin/time", "-f", "%M", BIN, "--json",
                                  "outbox", "flush"], env=env, capture_output=True, text=True)
            practice_s = time.perf_counter() - t0
            assert out.returncode == 0, out.stderr
            peak_kb = int(out.stderr.strip().splitlines()[-1])
            import json
            assert json.loads(out.stdout)["sent"] == COUNT, out.stdout

            msgs = tmp / "messages.bin"
            with open(msgs, "wb") as f:
                for rcpt, message in rows:
                    data = message if isinstance(message, bytes) else message.encode()
                    f.write(f"{rcpt}\n{len(data)}\n".encode() + data)
            loop = tmp / "curl_loop"
            subprocess.run(["cc", "-O2", "-o", str(loop), str(ROOT / "bench" / "curl_loop.c"), "-lcurl"],
                           check=True)
            t0 = time.perf_counter()
            subprocess.run(["taskset", "-c", "0", str(loop), f"smtp://127.0.0.1:{port}/bench.test",
                            "office@bench.test", str(msgs)], check=True, stdout=subprocess.DEVNULL)
            curl_s = time.perf_counter() - t0

            os.sched_setaffinity(0, {0})
            t0 = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as s:
                for rcpt, message in rows:
                    data = message if isinstance(message, bytes) else message.encode()
                    s.sendmail("office@bench.test", [rcpt], data)
            smtplib_s = time.perf_counter() - t0
        finally:
            sink.terminate()
            sink.wait()
    rate = lambda s: COUNT / s
    print(f"{'sender':<36} {'msg/s':>9} {'seconds':>8}")
    print(f"{'practice outbox flush, ' + CONNS:<36} {rate(practice_s):>9.0f} {practice_s:>8.2f}")
    print(f"{'python smtplib, one connection':<36} {rate(smtplib_s):>9.0f} {smtplib_s:>8.2f}")
    print(f"{'bare libcurl loop, one handle':<36} {rate(curl_s):>9.0f} {curl_s:>8.2f}")
    print(f"\npractice / smtplib: {smtplib_s / practice_s:.2f}x (target >= 1.2x); "
          f"practice / bare libcurl: {curl_s / practice_s:.2f}x (target >= 0.7x); "
          f"smtplib / bare libcurl: {curl_s / smtplib_s:.2f}x")
    print(f"practice peak memory: {peak_kb / 1024:.1f} MB (target < 64 MB)")


if __name__ == "__main__":
    main()
