"""Every command's --json keys are the ones its man page lists under JSON
FIELDS, and every field a man page lists is one a command prints: the two
cannot drift apart.

Each JSON FIELDS entry (.TP, then .B naming the commands) begins with the
record's own fields up to the first ';' or '.', nested objects in {} and
arrays of objects in [{}]; the rest of the entry names what other commands
add. The record's fields must equal the keys of the first command mapped to
the entry (nested keys too); every key any mapped command prints, at any
depth, must be named somewhere in the entry. Parenthesised text is prose.
"""
import json
import re
from pathlib import Path

import pytest

from conftest import POSTGRES

MAN = Path(__file__).resolve().parents[2] / "man"

# Entry name -> commands whose JSON it describes; the first prints exactly the
# record's fields. Each yields one object (lists: every row is checked).
COMMANDS = {
    "staff": [["staff", "list"], ["staff", "show", "1"]],
    "account": [["account", "list"], ["account", "show", "Smith"]],
    "account import": [["account", "import", "{csv}", "--dry-run"]],
    "contact": [["contact", "list"]],
    "audit": [["audit"]],
    "audit --verify": [["audit", "--verify"]],
    "outbox": [["outbox"], ["outbox", "show", "1"]],
    "outbox flush": [["outbox", "flush"]],
    "outbox test, outbox retry": [["outbox", "test", "--to", "me@acme.test"], ["outbox", "retry", "--all-failed"]],
    "remind --run": [["remind", "--run"]],
    "remind --list, remind --run --dry-run": [["remind", "--list"], ["remind", "--run", "--dry-run"]],
    "todo": [["todo", "Smith"]],
    "init": [["init"]],
    "firm show, firm edit": [["firm", "show"], ["firm", "edit", "--name", "Acme CPA"]],
    "config show": [["config", "show"]],
    "config check": [["config", "check"], ["config", "check", "--mail"]],
    "doctor": [["doctor"], ["doctor", "--mail"]],
    "backup": [["backup", "{tar}"]],
    "restore": [["--db", "{copy}", "--config", "{copy_config}", "restore", "{tar}"]],
    "errors": [["account", "show", "Nobody"]],
    # Its target is a PostgreSQL database of its own: test_db_migrate.py compares its whole JSON.
    "db migrate": [],
    "request": [["request", "list"], ["request", "show", "1", "--links"],
                ["request", "create", "--account", "Smith", "--title", "More", "--draft"]],
    "template": [["template", "list"]],
    "approval": [["approval", "list"], ["approval", "show", "1"]],
    "document": [["doc", "list"], ["doc", "show", "1"]],
    "folder": [["folder", "list"]],
    "job": [["job", "list"], ["job", "show", "1"], ["job", "move", "1", "--next"]],
    "pipeline": [["pipeline", "list"]],
}

# Values whose keys are data, not fields.
FREE_FORM = {"details", "answer", "value"}


def roff_to_text(lines):
    out = []
    for line in lines:
        line = line.replace("\\-", "-").replace("\\(lq", '"').replace("\\(rq", '"')
        line = re.sub(r"\\f[BIRP]", "", line)
        if line.startswith((".B ", ".BR ", ".I ", ".IR ", ".IB ")):
            macro, rest = line.split(" ", 1)
            words = [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', rest)]
            # .B and .I set their words with spaces; .BR, .IR, .IB alternate fonts without.
            line = " ".join(words) if macro in (".B", ".I") else "".join(words)
        out.append(line)
    return " ".join(out)


def strip_prose(text):
    while True:
        shorter = re.sub(r"\([^()]*\)", "", text)
        if shorter == text:
            return text
        text = shorter


def man_entries():
    entries = {}
    for page in sorted(MAN.glob("*.1")):
        lines = page.read_text().splitlines()
        if ".SH JSON FIELDS" not in lines:
            continue
        section = lines[lines.index(".SH JSON FIELDS") + 1:]
        end = next((i for i, l in enumerate(section) if l.startswith(".SH")), len(section))
        section = section[:end]
        i = 0
        while i < len(section):
            if section[i] == ".TP":
                name = roff_to_text([section[i + 1]]).strip()
                j = i + 2
                while j < len(section) and section[j] != ".TP":
                    j += 1
                entries[name] = strip_prose(roff_to_text(section[i + 2:j]))
                i = j
            else:
                i += 1
    return entries


def parse_fields(text):
    """The record's own fields, up to the first ';' or '.' outside brackets:
    {name: None | nested dict}."""
    pos = 0

    def skip():
        nonlocal pos
        while pos < len(text) and text[pos] in " ,":
            pos += 1

    def parse_list(closer):
        nonlocal pos
        fields = {}
        while True:
            skip()
            if pos >= len(text) or text[pos] in ";." or text[pos] == closer:
                return fields
            m = re.compile(r"[a-z_][a-z0-9_]*").match(text, pos)
            assert m, f"cannot read a field name at {text[pos:pos + 40]!r}"
            pos = m.end()
            while pos < len(text) and text[pos] == " ":
                pos += 1
            nested = None
            if text.startswith("[{", pos):
                pos += 2
                nested = parse_list("}")
                assert text.startswith("}]", pos), text[pos:pos + 20]
                pos += 2
            elif text.startswith("{", pos):
                pos += 1
                nested = parse_list("}")
                pos += 1
            elif text.startswith("[", pos):  # [record]: another entry's fields
                pos = text.index("]", pos) + 1
            fields[m.group(0)] = nested

    return parse_list(None)


def keys_of(value, path=""):
    """Every (path, key) in a JSON value, free-form values left out."""
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if k not in FREE_FORM:
                out |= keys_of(v, k)
    elif isinstance(value, list):
        for v in value:
            out |= keys_of(v, path)
    return out


def compare(fields, obj, where):
    assert set(obj) == set(fields), (
        f"{where}: prints {sorted(set(obj) - set(fields))} the man page does not list, "
        f"lists {sorted(set(fields) - set(obj))} it does not print")
    for k, nested in fields.items():
        if nested is None:
            continue
        v = obj[k]
        if isinstance(v, list):
            for x in v:
                compare(nested, x, f"{where}.{k}[]")
        elif isinstance(v, dict):
            compare(nested, v, f"{where}.{k}")


@pytest.fixture
def busy_firm(firm, tmp_path):
    """A firm with one of everything, so every field has a value to show."""
    firm.write_config(f'user = "alice@acme.test"\n[mail]\ntransport = "file"\ndir = "{tmp_path}/eml"\n'
                      '[portal]\nbase_url = "https://portal.acme.test"\n')
    firm.env["PRACTICE_NOW"] = "2026-03-02T09:00:00Z"
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test",
            "--portal")
    rid = firm.json("request", "create", "--account", "Smith", "--title", "Papers", "--draft",
                     "--remind-every", "3")["id"]
    firm.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Tax number")
    firm.ok("request", "question", "add", rid, "--type", "file", "--prompt", "Statements")
    firm.ok("request", "send", rid)
    paper = tmp_path / "jan.pdf"
    paper.write_bytes(b"%PDF january")
    firm.ok("request", "answer", rid, "--question", "1", "--value", "DE1", "--by", "john@smith.test")
    firm.ok("request", "answer", rid, "--question", "2", "--file", paper, "--by", "john@smith.test")
    firm.ok("template", "add", "--file",
            Path(__file__).resolve().parents[2] / "share/practice/templates/requests/medical-receipts.toml")
    firm.ok("folder", "add", "Client documents", "--client-can-view")
    firm.ok("doc", "add", "--account", "Smith", paper, "--folder", "Client documents")
    firm.ok("approval", "request", "1", "--message", "Please look")
    firm.ok("approval", "approve", "1", "--by", "john@smith.test")
    firm.ok("pipeline", "create", "Tax", "--stage", "Intake", "--stage", "Done")
    firm.ok("job", "create", "--account", "Smith", "--pipeline", "Tax", "--assignee", "alice@acme.test")
    csv = tmp_path / "clients.csv"
    csv.write_text("name,contact_name,contact_email\nRossi,Giulia,giulia@rossi.test\n")
    # The restore goes to a database of its own, with a link key of its own.
    copy_config = tmp_path / "copy.toml"
    copy_config.write_text(firm.backend_config(firm.config.read_text(), key_file=tmp_path / "copy.key"))
    firm.fill = {"csv": str(csv), "tar": str(tmp_path / "firm.tar"), "copy": firm.spare_database("copy").arg,
                 "copy_config": str(copy_config)}
    return firm


def test_every_json_key_is_in_its_man_page_and_every_listed_field_is_printed(busy_firm):
    entries = man_entries()
    assert set(entries) == set(COMMANDS), (
        f"man entries without commands here: {sorted(set(entries) - set(COMMANDS))}; "
        f"commands here without a man entry: {sorted(set(COMMANDS) - set(entries))}")
    # Last, in this order: what lists due reminders, what sends them, what replaces the database.
    later = ["remind --list, remind --run --dry-run", "remind --run", "restore"]
    for name in sorted(entries, key=lambda n: later.index(n) + 1 if n in later else 0):
        if POSTGRES and name in ("backup", "restore"):
            continue  # they copy a SQLite firm (test_backup.py has PostgreSQL's refusal)
        text = entries[name]
        words = set(re.findall(r"[a-z_][a-z0-9_]*", text))
        for ref in re.findall(r"\[([a-z]+)\]", text):  # [contact]: that entry's fields
            words |= set(re.findall(r"[a-z_][a-z0-9_]*", entries[ref]))
        for i, argv in enumerate(COMMANDS[name]):
            argv = [a.format(**busy_firm.fill) for a in argv]
            # The reminders are due a week on.
            now = "2026-03-09T09:00:00Z" if name.startswith("remind") else "2026-03-02T09:00:00Z"
            r = busy_firm.run("--json", *argv, env={"PRACTICE_NOW": now})
            out = r.err if name == "errors" else r.out
            assert name == "errors" or r.code == 0, (name, r)
            printed = json.loads(out)
            rows = printed if isinstance(printed, list) else [printed]
            assert rows, f"{' '.join(argv)} printed no rows to check"
            for row in rows:
                missing = keys_of(row) - words
                assert not missing, f"'{' '.join(argv)}' prints {sorted(missing)}, not in the man page's '{name}'"
                if i == 0:
                    compare(parse_fields(text), row, name)


def test_people_are_objects_with_their_kind(busy_firm):
    alice = {"id": 1, "name": "Alice Silva", "email": "alice@acme.test"}
    john = {"id": 1, "name": "John", "email": "john@smith.test"}
    r = busy_firm.json("request", "show", "1")
    assert (r["created_by"], r["created_by_kind"]) == (alice, "staff")
    assert [(q["answered_by"], q["answered_by_kind"]) for q in r["questions"]] == [(john, "contact")] * 2
    # One shape per question type: a file question's answer is its files.
    assert r["questions"][0]["answer"] == "DE1"
    assert r["questions"][1]["answer"] == r["questions"][1]["files"] and r["questions"][1]["files"][0]["name"] == "jan.pdf"
    a = busy_firm.json("approval", "show", "1")
    assert (a["requested_by"], a["uploaded_by"], a["decided_by"], a["decided_by_kind"]) == (alice, alice, john, "contact")
    # A renamed staff member shows as they are now; the audit trail keeps what it recorded.
    busy_firm.ok("staff", "edit", "1", "--name", "Alice Costa")
    assert busy_firm.json("request", "show", "1")["created_by"]["name"] == "Alice Costa"
    # The system acts as null, with its kind.
    rows = busy_firm.json("audit")
    assert rows[0]["actor_kind"] == "os_user" and rows[0]["actor"]["name"]
    assert all(e["actor"] is None for e in rows if e["actor_kind"] == "system")
    # A third party answering a request without login.
    rid = busy_firm.json("request", "create", "--account", "Smith", "--title", "Bank", "--draft", "--no-login")["id"]
    busy_firm.ok("request", "question", "add", rid, "--type", "yesno", "--prompt", "Joint account?")
    busy_firm.ok("request", "send", rid)
    busy_firm.ok("request", "answer", rid, "--question", "1", "--value", "y", "--by", "bank@bank.test")
    q = busy_firm.json("request", "show", rid)["questions"][0]
    assert (q["answer"], q["answered_by"], q["answered_by_kind"]) == (
        "yes", {"id": None, "name": None, "email": "bank@bank.test"}, "third_party")
