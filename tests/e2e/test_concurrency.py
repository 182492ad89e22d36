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


def test_lists_longer_than_one_batch_come_whole_and_in_order(firm, tmp_path):
    # On PostgreSQL a list comes from a cursor 500 rows at a time: 1,234
    # accounts cross two batch boundaries, and the audit trail's verification
    # reads every row the same way.
    count = 1234
    f = tmp_path / "many.csv"
    f.write_text("name,type,contact_name,contact_email,notify,portal,language,assigned\n" + "".join(
        f"Client {i:05d},company,Person {i},p{i}@many.test,yes,no,,\n" for i in range(count)))
    firm.ok("account", "import", f)
    names = [a["name"] for a in firm.json("account", "list")]
    assert names == [f"Client {i:05d}" for i in range(count)]
    entries = firm.json("audit")
    assert [e["id"] for e in entries] == list(range(1, len(entries) + 1)) and len(entries) > 2 * count
    assert firm.json("audit", "--verify")["rows"] == len(entries)
    # A list read part-way inside a transaction leaves nothing open behind it.
    assert len(firm.json("audit", "--limit", "3")) == 3
    firm.ok("account", "add", "After")
