"""Many processes writing one firm at once: writers take turns (BEGIN
IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so no write is lost and
the audit chain stays one line that verifies."""
import subprocess

from conftest import BIN

WRITERS = 8
EACH = 6


def test_eight_writers_at_once_lose_nothing_and_keep_the_audit_chain(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test")
    # Each writer adds accounts with a contact each, sends a request, answers
    # and edits it: creates, updates and mail queued, interleaved with the others.
    script = " && ".join(
        f'"$P" account add "W$I-{k}" >/dev/null && '
        f'"$P" contact add --account "W$I-{k}" --name "C$I-{k}" --email "c$I-{k}@w.test" >/dev/null && '
        f'"$P" --json request create --account "W$I-{k}" --title "T$I-{k}" --draft >/dev/null'
        for k in range(EACH))
    procs = [subprocess.Popen(["sh", "-c", script], env={**firm.env, "P": BIN, "I": str(i),
                                                         "PRACTICE_BUSY_TIMEOUT_MS": "60000"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(WRITERS)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    accounts = {a["name"] for a in firm.json("account", "list")}
    assert accounts == {"Smith"} | {f"W{i}-{k}" for i in range(WRITERS) for k in range(EACH)}
    requests = firm.json("request", "list")
    assert sorted(r["title"] for r in requests) == sorted(f"T{i}-{k}" for i in range(WRITERS) for k in range(EACH))
    verified = firm.json("audit", "--verify")
    assert verified["ok"] is True, verified
    created = [e for e in firm.json("audit") if e["action"] == "created" and e["item"].startswith("account:")]
    assert len(created) == 1 + WRITERS * EACH
