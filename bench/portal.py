#!/usr/bin/python3
"""Client portal under load: page views and autosaves while reminders go out.

Builds a firm of 10,000 accounts (one contact each), sends LINKS no-login
requests of four questions through `practice request create` (one per
account, so LINKS links), backdates them and seeds 10,000 more pending
requests so that `practice remind --run` has that many reminders due. Then
starts `practice portal serve` on 127.0.0.1 and loads it with wrk
(bench/portal_load.lua), 50 connections and 2 threads, SECONDS per phase:
  1. page views only: GET /r/TOKEN;
  2. autosaves only: POST /r/TOKEN/answers/N, Accept: application/json,
     form body csrf=...&value=... (the CSRF token read from each page);
  3. mixed: 25 connections viewing pages and 25 autosaving (one wrk thread
     each, so each kind has its own latency figures) while
     `practice remind --run` queues and delivers the due reminders to
     Postfix's smtp-sink (the file transport into a temporary folder if
     smtp-sink cannot be had).
Prints requests/s, p50/p99 latency as wrk sees it (waits for a busy worker
included), the responses that were not 2xx, and the portal's peak memory
(VmHWM), side by side with the CLI's `practice request show N --json` on the
same request (median and p99 of repeated runs, calls/s, peak memory). Then
the portal's own p99/max per kind from its request log: far below wrk's
means requests waited for a worker busy with another connection. Portal,
wrk and remind share the machine's CPUs (nothing pinned): the portal on a
small server. It runs a private copy of the binary (a rebuild meanwhile does
not touch it) and says so when the CPUs were busy before it started.
Targets (portal issue): p99 < 50 ms for page and autosave, >= 1,000 page
views/s on a 2-core machine, portal RSS < 64 MB.

Usage: bench/portal.py [PATH/TO/practice] [SECONDS]   (default build/src/practice, 10)
  BENCH_PORTAL_THREADS=N passes --threads N to the portal (default: its own, 4);
  BENCH_PORTAL_LINKS=N sends N requests (default 2,000, so that the per-link limit
  of 120 changes at once, then 4/s, does not answer the autosaves; at least 50).
  Installs postfix for smtp-sink if missing, as bench/mail.py does.
"""
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "src" / "practice")
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
LUA = ROOT / "bench" / "portal_load.lua"
SINK = "/usr/sbin/smtp-sink"
ACCOUNTS = 10_000
LINKS = max(50, int(os.environ.get("BENCH_PORTAL_LINKS", "2000")))  # a link takes 4 autosaves/s past a burst of 120
REMINDERS = 10_000  # due reminders besides the LINKS requests' own
THREADS = os.environ.get("BENCH_PORTAL_THREADS")
CONNECTIONS = 50
RUNS = 40
STAFF = "alice@bench.test"

DEFINITION = """title = "Year-end questions"
message = "A few questions to finish your return."
login = false
[reminders]
every_days = 3
count = 2
[[question]]
type = "text"
prompt = "Your employer's name"
[[question]]
type = "paragraph"
prompt = "Anything else we should know?"
[[question]]
type = "number"
prompt = "How many dependants?"
[[question]]
type = "yesno"
prompt = "Did you move house this year?"
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, what):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on 127.0.0.1:{port}")


def have_sink():
    if not os.path.exists(SINK):
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], stdout=subprocess.DEVNULL,
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if r.returncode != 0:
            print("note: no smtp-sink (installing postfix failed): reminders go to the file transport",
                  file=sys.stderr)
    return os.path.exists(SINK)


def build_firm(tmp, env):
    run = lambda *a, **kw: subprocess.run([BIN, "-q", *a], env=env, check=True, **kw)
    run("init", "--firm", "Bench CPA", "--email", "office@bench.test")
    run("staff", "add", "Alice", "--email", STAFF)
    con = sqlite3.connect(tmp / "p.db")
    with con:
        con.executemany(
            "INSERT INTO accounts (name, type, created_at) VALUES (?, ?, '2026-01-01T00:00:00Z')",
            ((f"Client {i:05d}", "company" if i % 3 == 0 else "individual") for i in range(ACCOUNTS)))
        con.executemany(
            "INSERT INTO contacts (account_id, name, email, created_at) VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
            ((i, f"Contact {i}", f"c{i}@client.test") for i in range(1, ACCOUNTS + 1)))
        con.executemany(
            "INSERT INTO account_staff (account_id, staff_id, assigned_at) VALUES (?, 1, '2026-01-01T00:00:00Z')",
            ((i,) for i in range(1, ACCOUNTS + 1, 2)))
    con.close()
    # The portal's requests, through the CLI: sent at once (their emails to the file transport).
    (tmp / "request.toml").write_text(DEFINITION)
    names = "".join(f"Client {i:05d}\n" for i in range(LINKS))
    out = run("--json", "--as", STAFF, "request", "create", "--account", "-", "--file", str(tmp / "request.toml"),
              input=names, capture_output=True, text=True)
    created = json.loads(out.stdout)
    assert len(created) == LINKS and all(r["status"] == "pending" for r in created), out.stdout[:300]
    # Ten days ago, so every request has a reminder due; 10,000 more like reminders.py seeds them.
    t0 = (datetime.now(timezone.utc) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    con = sqlite3.connect(tmp / "p.db")
    with con:
        con.execute("UPDATE requests SET created_at = ?1, sent_at = ?1, last_notified_at = ?1, last_activity_at = ?1",
                    (t0,))
        # Their emails too: reminders count from when the last one reached the client.
        have = {row[1] for row in con.execute("PRAGMA table_info(outbox)")}
        times = [c for c in ("created_at", "next_attempt_at", "first_attempt_at", "sent_at", "dated_at",
                             "handed_over_at") if c in have]
        con.execute("UPDATE outbox SET " + ", ".join(f"{c} = CASE WHEN {c} IS NULL THEN NULL ELSE ?1 END"
                                                     for c in times), (t0,))
        first = con.execute("SELECT max(id) FROM requests").fetchone()[0] + 1
        con.executemany(
            "INSERT INTO requests (account_id, title, login, status, reminders_on, remind_every_days, reminder_count, "
            "created_by, created_at, sent_at, last_notified_at, last_activity_at) "
            "VALUES (?, ?, 0, 'pending', 1, 3, 2, ?, ?, ?, ?, ?)",
            [(i % ACCOUNTS + 1, f"Documents {i}", STAFF, t0, t0, t0, t0) for i in range(REMINDERS)])
        con.execute("INSERT INTO request_recipients (request_id, contact_id, name, email) "
                    "SELECT r.id, c.id, c.name, c.email FROM requests r JOIN contacts c ON c.account_id = r.account_id "
                    "WHERE r.id >= ?", (first,))
        con.execute("INSERT INTO request_questions (request_id, position, type, prompt) "
                    "SELECT id, 1, 'file', 'Your P60' FROM requests WHERE id >= ?", (first,))
    con.close()
    return [r["id"] for r in created]


def links_of(ids, env):
    out = []
    for i in ids:
        r = subprocess.run([BIN, "--json", "--as", STAFF, "request", "show", str(i), "--links"], env=env,
                           capture_output=True, check=True)
        out += [(i, link["token"]) for link in json.loads(r.stdout)["links"] if link["active"]]
    return out


def csrf_of(port, token):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/r/{token}", timeout=10) as page:
        found = set(re.findall(r'name="csrf" value="([^"]+)"', page.read().decode()))
    assert len(found) == 1, f"expected one CSRF token on the page, found {len(found)}"
    return found.pop()


def wrk(port, links_file, mode, connections, threads):
    return subprocess.Popen(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{SECONDS}s", "--timeout", "10s", "--latency",
         "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(links_file), mode, str(threads)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(proc):
    out, err = proc.communicate(timeout=SECONDS + 60)
    line = next((l for l in out.splitlines() if l.startswith("BENCH ")), None)
    assert proc.returncode == 0 and line, f"wrk failed: {err or out}"
    r = json.loads(line[6:])
    r["rate"] = r["requests"] / (r["duration_us"] / 1e6)
    r["non2xx"] = sum(n for code, n in r["codes"].items() if not code.startswith("2"))
    r["errors_total"] = sum(r["errors"].values()) + r["bad_body"]
    return r


def log_ms(log, start):
    """The portal's own p99 and max milliseconds, pages and autosaves, from its log past `start` bytes."""
    page, save = [], []
    with open(log, "rb") as f:
        f.seek(start)
        for line in f.read().decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 5 and parts[4].endswith("ms"):
                (save if parts[1] == "POST" else page).append(float(parts[4][:-2]))
    p99 = lambda xs: (statistics.quantiles(xs, n=100)[98], max(xs)) if len(xs) > 1 else (float("nan"),) * 2
    return p99(page), p99(save)


def timed(cmd, env):
    """Median and p99 ms of RUNS runs, and the peak RSS (KB) of one more under /usr/bin/time."""
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)  # the first checkpoints the WAL the load left
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    # Not os.wait4: a child forked from Python reports Python's own peak as its own.
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True)
    return statistics.median(times), statistics.quantiles(times, n=100)[98], int(out.stderr.split()[-1])


def cpu_idle(seconds=1.0):
    """The share of CPU time idle over `seconds`: other work skews every figure."""
    read = lambda: [int(x) for x in open("/proc/stat").readline().split()[1:]]
    a = read()
    time.sleep(seconds)
    d = [y - x for x, y in zip(a, read())]
    return (d[3] + d[4]) / max(1, sum(d))


def main():
    global BIN
    sink_ok = have_sink()
    idle = cpu_idle()
    if idle < 0.9:
        print(f"note: the CPUs were only {idle:.0%} idle before the run: the figures are skewed", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # A private copy: a rebuild during the run neither changes nor breaks it.
        shutil.copy2(BIN, tmp / "practice")
        BIN = str(tmp / "practice")
        config = tmp / "config.toml"
        calendar = '[reminders]\nbusiness_days = ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"]\n'
        config.write_text(f'[mail]\ntransport = "file"\ndir = "{tmp}/sent-mail"\n' + calendar)
        env = dict(os.environ, PRACTICE_DB=str(tmp / "p.db"), PRACTICE_CONFIG=str(config), HOME=str(tmp))
        env.pop("PRACTICE_NOW", None)
        t = time.perf_counter()
        ids = build_firm(tmp, env)
        links = links_of(ids, env)
        build_s = time.perf_counter() - t

        sink_port, port = free_port(), free_port()
        sink = None
        if sink_ok:
            sink = subprocess.Popen([SINK, "-u", "nobody", f"127.0.0.1:{sink_port}", "256"])
            wait_port(sink_port, "smtp-sink")
            config.write_text(f'[mail]\ntransport = "smtp"\n[smtp]\nurl = "smtp://127.0.0.1:{sink_port}"\n'
                              'security = "none"\n' + calendar)
            mail_to = "smtp-sink"
        else:
            config.write_text(f'[mail]\ntransport = "file"\ndir = "{tmp}/reminder-mail"\n' + calendar)
            mail_to = "file transport"
        log = tmp / "portal.log"
        serve = [BIN, "portal", "serve", "--listen", f"127.0.0.1:{port}"] + (["--threads", THREADS] if THREADS else [])
        portal = subprocess.Popen(serve, env=env, stderr=open(log, "wb"), stdout=subprocess.DEVNULL)
        try:
            wait_port(port, "practice portal serve")
            links_file = tmp / "links.txt"
            links_file.write_text("".join(f"{token} {csrf_of(port, token)}\n" for _, token in links))
            phases = {}
            half = CONNECTIONS // 2
            for name, mode in (("page", "page"), ("save", "save")):
                at = log.stat().st_size
                phases[name] = wrk_result(wrk(port, links_file, mode, CONNECTIONS, 2))
                phases[name]["server"] = log_ms(log, at)
                time.sleep(1)
            at = log.stat().st_size
            page_w = wrk(port, links_file, "page", half, 1)
            save_w = wrk(port, links_file, "save", CONNECTIONS - half, 1)
            time.sleep(1)
            t = time.perf_counter()
            remind = subprocess.run([BIN, "--json", "remind", "--run"], env=env, capture_output=True, text=True,
                                    timeout=600)
            remind_s = time.perf_counter() - t
            phases["mixed page"] = wrk_result(page_w)
            phases["mixed save"] = wrk_result(save_w)
            mixed_server = log_ms(log, at)
            assert remind.returncode == 0, remind.stderr
            reminded = json.loads(remind.stdout)
            status = Path(f"/proc/{portal.pid}/status").read_text()
            hwm_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        finally:
            portal.send_signal(signal.SIGTERM)
            portal_rc = portal.wait(timeout=30)
            if sink:
                sink.terminate()
                sink.wait()
        assert portal_rc == 0, f"portal exited {portal_rc}: see its log"
        show_id = links[0][0]
        cli_med, cli_p99, cli_kb = timed([BIN, "request", "show", str(show_id), "--json"], env)

    cli_rate = f"{1000 / cli_med:,.0f} calls/s"
    ms = lambda us: f"{us / 1000:.2f} ms"
    rows = [("page views/s, page views only", f"{phases['page']['rate']:,.0f}", ">= 1,000", cli_rate),
            ("page p50", ms(phases["page"]["p50_us"]), "", f"{cli_med:.2f} ms"),
            ("page p99", ms(phases["page"]["p99_us"]), "< 50 ms", f"{cli_p99:.2f} ms"),
            ("autosaves/s, autosaves only", f"{phases['save']['rate']:,.0f}", "", cli_rate),
            ("autosave p50", ms(phases["save"]["p50_us"]), "", f"{cli_med:.2f} ms"),
            ("autosave p99", ms(phases["save"]["p99_us"]), "< 50 ms", f"{cli_p99:.2f} ms"),
            ("mixed + remind: page views/s", f"{phases['mixed page']['rate']:,.0f}", "", cli_rate),
            ("mixed + remind: page p50", ms(phases["mixed page"]["p50_us"]), "", f"{cli_med:.2f} ms"),
            ("mixed + remind: page p99", ms(phases["mixed page"]["p99_us"]), "< 50 ms", f"{cli_p99:.2f} ms"),
            ("mixed + remind: autosaves/s", f"{phases['mixed save']['rate']:,.0f}", "", cli_rate),
            ("mixed + remind: autosave p50", ms(phases["mixed save"]["p50_us"]), "", f"{cli_med:.2f} ms"),
            ("mixed + remind: autosave p99", ms(phases["mixed save"]["p99_us"]), "< 50 ms", f"{cli_p99:.2f} ms"),
            ("responses not 2xx, all phases", f"{sum(p['non2xx'] for p in phases.values())}", "0", ""),
            ("socket errors + bad bodies", f"{sum(p['errors_total'] for p in phases.values())}", "0", ""),
            ("peak memory (portal VmHWM)", f"{hwm_kb / 1024:.1f} MB", "< 64 MB", f"{cli_kb / 1024:.1f} MB")]
    print(f"portal: {ACCOUNTS:,} accounts, {len(links)} no-login links, {CONNECTIONS} connections, {SECONDS} s a phase, "
          f"{THREADS or 'default'} threads (firm built in {build_s:.1f} s)")
    print(f"{'figure':<34} {'measured':>12} {'target':>10}   yardstick: request show {show_id} --json")
    for name, measured, target, yard in rows:
        print(f"{name:<34} {measured:>12} {target:>10}   {yard}")
    for name, p in phases.items():
        if p["non2xx"] or p["errors_total"]:
            print(f"  {name}: status codes {p['codes']}, socket errors {p['errors']}, bad bodies {p['bad_body']}")
    print(f"\nremind --run during the mixed phase: {reminded['due']} due, {reminded['sent']} sent to {mail_to}, "
          f"{reminded['deferred']} deferred, {reminded['failed']} failed, in {remind_s:.1f} s "
          f"(started 1 s into the {SECONDS} s phase)")
    f = lambda v: f"{v[0]:.1f} / {v[1]:.0f} ms"
    print("portal's own p99 / max (its log: from the request's headers to its end, not the wait for a busy worker): "
          f"page {f(phases['page']['server'][0])}, autosave {f(phases['save']['server'][1])}; "
          f"mixed page {f(mixed_server[0])}, autosave {f(mixed_server[1])}")


if __name__ == "__main__":
    main()
