"""Many processes writing one firm at once: writers take turns (BEGIN
IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so no write is lost and
the audit chain stays one line that verifies."""
import collections
import subprocess
import sys

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


# One client's day, run by one writer process: answers to a sent request, a
# job moved by hand into a stage whose automation sends a request, that
# request answered and submitted (automove takes the job on), a decision on
# each of two documents, a second job moved to the last stage, and the first
# request submitted. Every step is one command, so one write transaction.
CLIENT_DAY = r"""
import json, os, subprocess, sys
i, rid, job, job2, approve, disapprove = sys.argv[1:]
by = f"c{i}@w.test"
def run(*args):
    p = subprocess.run([os.environ["P"], "--json", *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{args}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout) if p.stdout.strip() else None
run("request", "answer", rid, "--question", "1", "--value", f"first {i}", "--by", by)
run("request", "answer", rid, "--question", "2", "--value", f"second {i}", "--by", by)
moved = run("job", "move", job, "--next")
[item] = moved["items"]
auto = str(item["id"])
run("request", "answer", auto, "--question", "1", "--value", f"auto {i}", "--by", by)
run("approval", "approve", approve, "--by", by)
run("request", "submit", auto, "--by", by)
run("approval", "disapprove", disapprove, "--reason", f"wrong year {i}", "--comment", f"from {i}", "--by", by)
run("job", "move", job2, "--to", "Done")
run("request", "submit", rid, "--by", by)
print(auto)
"""


def test_eight_clients_answer_move_and_decide_at_once_and_every_write_is_there(firm, tmp_path):
    (tmp_path / "t.toml").write_text('name = "details"\ntitle = "Details"\n'
                                     '[[question]]\ntype = "text"\nprompt = "Your name"\n')
    doc = tmp_path / "return.pdf"
    doc.write_bytes(b"%PDF-1.4 the return")
    firm.ok("template", "add", "--file", tmp_path / "t.toml")
    firm.ok("pipeline", "create", "Tax", "--stage", "Intake", "--stage", "Collect", "--stage", "Review",
            "--stage", "Done")
    firm.ok("pipeline", "stage", "edit", "Tax", "Collect", "--automove", "on")
    firm.ok("pipeline", "automation", "add", "Tax", "Collect", "--send-request", "details")
    firm.ok("folder", "add", "Client documents", "--client-can-view")
    plan = []
    for i in range(WRITERS):
        a = f"W{i}"
        firm.ok("account", "add", a)
        firm.ok("contact", "add", "--account", a, "--name", f"C{i}", "--email", f"c{i}@w.test", "--portal")
        rid = str(firm.json("request", "create", "--account", a, "--title", f"Q{i}", "--draft")["id"])
        firm.ok("request", "question", "add", rid, "--type", "text", "--prompt", "One")
        firm.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Two")
        firm.ok("request", "send", rid)
        job = str(firm.json("job", "create", "--account", a, "--pipeline", "Tax")["id"])
        job2 = str(firm.json("job", "create", "--account", a, "--pipeline", "Tax")["id"])
        docs = [str(firm.json("doc", "add", "--account", a, doc, "--folder", "Client documents")["id"])
                for _ in range(2)]
        # The approved one holds the second job in Intake until it is approved.
        approvals = [str(firm.json("approval", "request", docs[0], "--job", job2)["id"]),
                     str(firm.json("approval", "request", docs[1])["id"])]
        plan.append((rid, job, job2, *approvals))
    before = collections.Counter(e["action"] for e in firm.json("audit"))

    procs = [subprocess.Popen([sys.executable, "-c", CLIENT_DAY, str(i), *plan[i]],
                              env={**firm.env, "P": BIN, "PRACTICE_BUSY_TIMEOUT_MS": "60000"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(WRITERS)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    autos = [out.strip() for out, _ in outs]

    for i, (rid, job, job2, approved, disapproved) in enumerate(plan):
        r = firm.json("request", "show", rid)
        assert r["status"] == "submitted" and [q["answer"] for q in r["questions"]] == [f"first {i}", f"second {i}"]
        auto = firm.json("request", "show", autos[i])
        assert auto["status"] == "submitted" and [q["answer"] for q in auto["questions"]] == [f"auto {i}"]
        # The automation's request was submitted, automove took the job on to Review.
        assert firm.json("job", "show", job)["stage"] == "Review"
        assert firm.json("job", "show", job2)["stage"] == "Done"
        assert firm.json("approval", "show", approved)["status"] == "approved"
        d = firm.json("approval", "show", disapproved)
        assert d["status"] == "disapproved" and d["reasons"] == [f"wrong year {i}"] and d["comment"] == f"from {i}"
    after = collections.Counter(e["action"] for e in firm.json("audit"))
    made = after - before
    assert made["answered"] == 3 * WRITERS, made
    assert made["submitted"] == 2 * WRITERS, made
    assert made["moved"] == 3 * WRITERS, made  # by hand twice, and automove once, per writer
    assert made["approved"] == WRITERS and made["disapproved"] == WRITERS, made
    moves = [e for e in firm.json("audit") if e["action"] == "moved" and e["details"].get("cause") == "automove"]
    assert sorted(e["item"] for e in moves) == sorted(f"job:{p[1]}" for p in plan)
    verified = firm.json("audit", "--verify")
    assert verified["ok"] is True, verified


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
