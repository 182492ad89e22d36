#!/usr/bin/python3
"""Start-up and listing speed: practice against the sqlite3 CLI.

Prints, side by side in one run, the wall time of `practice --version`, of
`practice account list --json` on a database of 10,000 accounts, and of the
sqlite3 CLI running the equivalent query with JSON output.
Target (issue 2): account list within 2x of sqlite3 and under 20 ms.

Usage: bench/foundation.py [PATH/TO/practice]   (default: build/src/practice)
"""
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "src" / "practice")
RUNS = 40
ACCOUNTS = 10_000

EQUIVALENT_SQL = """
SELECT a.id, a.name, a.type,
       (SELECT count(*) FROM contacts c WHERE c.account_id = a.id AND c.removed_at IS NULL) AS contact_count,
       (SELECT json_group_array(json_object('id', s.id, 'name', s.name, 'email', s.email))
          FROM account_staff x JOIN staff s ON s.id = x.staff_id WHERE x.account_id = a.id) AS assigned,
       a.created_at, a.archived_at
FROM accounts a WHERE a.archived_at IS NULL ORDER BY a.name COLLATE NOCASE, a.id;
"""


def timed(cmd, env):
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        env = dict(os.environ, PRACTICE_DB=str(db), HOME=tmp, PRACTICE_CONFIG="")
        subprocess.run([BIN, "-q", "init", "--firm", "Bench CPA"], env=env, check=True)
        subprocess.run([BIN, "-q", "staff", "add", "Alice", "--email", "alice@bench.test"], env=env, check=True)
        con = sqlite3.connect(db)
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
        out = subprocess.run([BIN, "--json", "account", "list"], env=env, capture_output=True, check=True)
        assert out.stdout.count(b'"id"') >= ACCOUNTS, "practice listed fewer accounts than expected"

        rows = [
            ("practice --version", timed([BIN, "--version"], env)),
            ("practice account list --json (10,000)", timed([BIN, "--json", "account", "list"], env)),
            ("sqlite3 -json, same query (10,000)", timed(["sqlite3", "-json", str(db), EQUIVALENT_SQL], env)),
        ]
        print(f"{'command':<42} {'median ms':>10} {'min ms':>8}")
        for name, (med, low) in rows:
            print(f"{name:<42} {med:>10.2f} {low:>8.2f}")
        ratio = rows[1][1][0] / rows[2][1][0]
        print(f"\naccount list / sqlite3: {ratio:.2f}x (target <= 2x); "
              f"account list median {rows[1][1][0]:.1f} ms (target < 20 ms)")


if __name__ == "__main__":
    main()
