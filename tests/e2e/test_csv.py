"""--csv on every list: RFC 4180, a header of the --json field names, the same values."""
import csv
import io
import json
import subprocess

import pytest

from conftest import BIN, Practice, assert_refused

# A comma, a quote and a line break: what naive CSV gets wrong.
TRICKY = 'Smith, "Jr"\nand Sons'
ACCOUNT = 'Smith, "Jr" & Sons'
LATER = "2026-03-20T10:00:00Z"

LISTS = [
    ["account", "list"],
    ["contact", "list"],
    ["staff", "list"],
    ["request", "list"],
    ["job", "list"],
    ["doc", "list"],
    ["folder", "list"],
    ["approval", "list"],
    ["outbox"],
    ["outbox", "list"],
    ["pipeline", "list"],
    ["pipeline", "automation", "list"],
    ["template", "list"],
    ["audit"],
    ["--now", LATER, "remind", "--list"],
    ["--now", LATER, "remind", "--run", "--dry-run"],
    ["todo", "1"],
]

TEMPLATE = '''name = "receipts"
title = "Receipts"
message = """Smith, "Jr"
and Sons"""

[reminders]
every_days = 3
count = 2

[[question]]
type = "text"
prompt = "Anything else, \\"briefly\\"?"
'''


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    root = tmp_path_factory.mktemp("csv")
    p = Practice(root)
    p.ok("init", "--firm", "Acme CPA", "--email", "office@acme.test")
    p.ok("staff", "add", "Alice Silva", "--email", "alice@acme.test")
    p.env["PRACTICE_USER"] = "alice@acme.test"
    p.write_config(f'user = "alice@acme.test"\n[mail]\ntransport = "file"\ndir = "{root}/eml"\n')
    p.ok("staff", "add", 'Bob "the" Builder, Jr', "--email", "bob@acme.test")
    p.ok("account", "add", ACCOUNT, "--type", "company")
    p.ok("account", "assign", "1", "bob@acme.test")
    p.ok("contact", "add", "--account", "1", "--name", 'John, "Jack"', "--email", "john@smith.test", "--portal")
    (root / "receipts.toml").write_text(TEMPLATE)
    p.ok("template", "add", "--file", root / "receipts.toml")
    p.ok("pipeline", "create", 'Tax, "2025"', "--stage", "Intake", "--stage", "Review")
    p.ok("pipeline", "automation", "add", 'Tax, "2025"', "Review", "--send-request", "receipts")
    p.ok("job", "create", "--account", "1", "--pipeline", 'Tax, "2025"', "--title", 'Return, "final"',
         "--assignee", "bob@acme.test")
    p.ok("--now", "2026-03-02T10:00:00Z", "request", "create", "--account", "1", "--template", "receipts",
         "--title", 'Receipts, "all"', "--message", TRICKY, "--job", "1")
    p.ok("folder", "add", 'Client, "docs"', "--client-can-view")
    doc = root / "return, 2025.pdf"
    doc.write_bytes(b"%PDF-1.4")
    p.ok("doc", "add", "--account", "1", doc, "--folder", 'Client, "docs"', "--description", TRICKY)
    p.ok("--now", "2026-03-02T10:00:00Z", "approval", "request", "1", "--message", TRICKY)
    p.ok("--now", "2026-03-02T10:00:00Z", "request", "resend", "1", "--message", TRICKY)  # into the audit trail
    # Names and titles are one line on the command line; what is stored prints whole all the same.
    for table, column in (("accounts", "name"), ("contacts", "name"), ("staff", "name"), ("jobs", "title"),
                          ("folders", "name"), ("pipelines", "name"), ("requests", "title"),
                          ("outbox", "subject")):
        p.sql(f"UPDATE {table} SET {column} = ? || {column} WHERE id = (SELECT max(id) FROM {table})",
              "Line one,\n")
    return p


def csv_of(p, *args):
    """stdout as bytes (CRLF kept) and parsed."""
    proc = subprocess.run([BIN, *map(str, args)], capture_output=True, env=p.env, timeout=60)
    assert proc.returncode == 0, proc
    assert proc.stderr == b"", proc
    return proc.stdout, list(csv.reader(io.StringIO(proc.stdout.decode(), newline="")))


def text(value):
    """A scalar or array as --csv prints it (man/practice.1, --csv)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(label(v) if isinstance(v, dict) else text(v) for v in value)
    return str(value)


def label(obj):
    for key in ("email", "name", "prompt"):
        if obj.get(key) is not None:
            return text(obj[key])
    if obj.get("kind") is not None and obj.get("id") is not None:
        return f"{obj['kind']} {obj['id']}"
    if obj.get("id") is not None:
        return text(obj["id"])
    return json.dumps(obj, separators=(",", ":"))


def flatten(obj, prefix=""):
    """path -> cell text; an object's keys as parent.child."""
    out = {}
    for key, value in obj.items():
        path = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = text(value)
    return out


def header_of(objects):
    """The columns: every object's keys in the order first seen, an object's
    keys beside each other (audit details differ from row to row)."""
    def merge(node, obj):
        for key, value in obj.items():
            entry = node.setdefault(key, [False, {}])
            if isinstance(value, dict):
                merge(entry[1], value)
            elif value is not None:
                entry[0] = True

    def paths(node, prefix):
        for key, (scalar, children) in node.items():
            if scalar or not children:
                yield prefix + key
            yield from paths(children, prefix + key + ".")

    root = {}
    for obj in objects:
        merge(root, obj)
    return list(paths(root, ""))


@pytest.mark.parametrize("cmd", LISTS, ids=lambda c: " ".join(w for w in c if not w.startswith("20")))
def test_csv_is_the_json_list_as_rows(office, cmd):
    data = office.json(*cmd)
    assert data, "the fixture leaves something in every list"
    if cmd == ["audit"]:
        # Details differ from action to action: one column of their JSON text.
        data = [dict(o, details=json.dumps(o["details"], separators=(",", ":"), ensure_ascii=False)) for o in data]
    raw, rows = csv_of(office, *cmd, "--csv")
    header, body = rows[0], rows[1:]
    # The header: the keys of the first --json object, an object's as parent.child.
    assert header == list(flatten(data[0]))
    assert header == header_of(data)
    collapsed = []
    for h in header:
        if h.split(".")[0] not in collapsed:
            collapsed.append(h.split(".")[0])
    assert collapsed == list(data[0])
    # Every row holds what --json holds.
    assert len(body) == len(data)
    for obj, row in zip(data, body):
        assert len(row) == len(header)
        expected = flatten(obj)
        assert dict(zip(header, row)) == {h: expected.get(h, "") for h in header}
    # A comma, a quote and a line break come back whole.
    cells = [c for row in body for c in row]
    if cmd == ["audit"]:  # inside the details' JSON text, the line break is escaped
        assert any(json.dumps(TRICKY)[1:-1] in c for c in cells), body
    else:
        assert any("Line one,\n" in c or TRICKY in c for c in cells), body
        assert any('"' in c and "," in c and "\n" in c for c in cells)
    # CRLF ends every record; a bare LF only inside a quoted field.
    out = raw.decode()
    assert out.endswith("\r\n")
    bare_lf = out.replace("\r\n", "").count("\n")
    assert bare_lf == sum(c.count("\n") for c in cells)


def test_nested_values_are_flattened_or_joined_readably(office):
    [account] = [r for r in csv.DictReader(io.StringIO(csv_of(office, "account", "list", "--csv")[0].decode(),
                                                         newline=""))]
    assert account["name"] == "Line one,\n" + ACCOUNT
    assert account["assigned"] == "bob@acme.test"
    assert account["reminders_paused"] == "false"
    [job] = csv.DictReader(io.StringIO(csv_of(office, "job", "list", "--csv")[0].decode(), newline=""))
    assert job["assignee.email"] == "bob@acme.test" and job["assignee.name"] == 'Line one,\nBob "the" Builder, Jr'
    assert job["items"] == "request 1"
    [pipeline] = csv.DictReader(io.StringIO(csv_of(office, "pipeline", "list", "--csv")[0].decode(), newline=""))
    assert pipeline["stages"] == "Intake; Review"
    [approval] = csv.DictReader(io.StringIO(csv_of(office, "approval", "list", "--csv")[0].decode(), newline=""))
    assert approval["reminders.on"] == "true" and approval["message"] == TRICKY
    assert approval["decided_at"] == ""
    [tpl] = csv.DictReader(io.StringIO(csv_of(office, "template", "list", "--csv")[0].decode(), newline=""))
    assert tpl["questions"] == 'Anything else, "briefly"?' and tpl["reminders.every_days"] == "3"


def test_an_empty_list_prints_nothing(firm):
    r = firm.ok("contact", "list", "--csv")
    assert r.out == "" and r.err == ""


@pytest.mark.parametrize("args", [["account", "list", "--csv", "--json"], ["--json", "job", "list", "--csv"]])
def test_csv_with_json_is_a_usage_error(office, args):
    r = office.run(*args)
    assert r.code == 64 and r.out == "", r
    # With --json the error is JSON, as every error is: one line, one sentence.
    [line] = r.err.splitlines()
    error = json.loads(line)["error"]
    assert error["code"] == "usage" and "--csv" in error["message"] and "--json" in error["message"]


@pytest.mark.parametrize("cmd", [["account", "show", "1"], ["outbox", "retry", "1"], ["remind", "--run"],
                                 ["audit", "--verify"], ["account", "add", "Nope"]])
def test_csv_where_no_list_is_printed_is_a_usage_error_that_changes_nothing(office, cmd):
    assert_refused(office, 64, *cmd, "--csv", contains="--csv")


def test_completion_offers_csv_on_lists_only(office):
    def flags(*words):
        return subprocess.run([BIN, "__complete", *words], capture_output=True, text=True,
                              check=True).stdout.split()
    assert "--csv" in flags("account", "list")
    assert "--csv" in flags("outbox")
    assert "--csv" in flags("todo")
    assert "--csv" not in flags("account", "show")
