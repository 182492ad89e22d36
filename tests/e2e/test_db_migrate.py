"""db migrate: a SQLite firm copied whole into an empty PostgreSQL database,
which then runs the firm as it ran on SQLite.

Which pass runs what: the source of a migration is a SQLite firm, so the copy
itself runs in the plain (SQLite) pass, where the fixture's firm is a SQLite
file, into a database of its own on the cluster PRACTICE_TEST_PG_URL names
(CTest gives e2e.test_db_migrate the cluster; without one those tests are
skipped). In the PostgreSQL pass the fixture's firm is on PostgreSQL, and what
is tested there is that such a firm is refused; the refusals that need no
source at all run in both."""
import hashlib
import hmac
import json
import stat
import time

import pytest

from conftest import POSTGRES, Practice, assert_refused, needs_pg_cluster, sqlite_only

source_is_sqlite = sqlite_only("the source of a migration is a SQLite firm; in the PostgreSQL pass the fixture's "
                               "firm is on PostgreSQL (test_a_firm_on_postgresql_is_refused)")
cluster = needs_pg_cluster("the target of a migration is a PostgreSQL database")

DOC = b"%PDF-1.4 the 2025 return\n" + bytes(range(256)) * 40
RECEIPT = b"\x89PNG\r\n\x1a\n a receipt, not UTF-8: \xff\xfe\x00\x01"


@pytest.fixture
def office(firm, tmp_path):
    """A SQLite firm with something in every kind of table: staff, accounts,
    contacts, a pipeline with a job, a template, a request with a text and a
    file answer, a document with an approval, mail sent through the file
    transport, and the audit rows of all that."""
    firm.write_config('user = "alice@acme.test"\n[portal]\nbase_url = "https://portal.acme.test"\n'
                      '[mail]\ntransport = "file"\ndir = "mail"\n')
    firm.ok("staff", "add", "Bob Mendes", "--email", "bob@acme.test", "--role", "member")
    firm.ok("account", "add", "Smith")
    firm.ok("account", "add", "Rossi SRL", "--type", "company")
    firm.ok("account", "assign", "Smith", "bob@acme.test")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    firm.ok("contact", "add", "--account", "Rossi SRL", "--name", "Giulia", "--email", "giulia@rossi.test",
            "--language", "it")
    firm.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Review")
    job = firm.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--title", "2025 return")
    firm.ok("folder", "add", "Client documents", "--client-can-view")
    doc = tmp_path / "return.pdf"
    doc.write_bytes(DOC)
    firm.doc = firm.json("doc", "add", "--account", "Smith", doc, "--folder", "Client documents",
                         "--description", "Your 2025 return")
    firm.approval = firm.json("approval", "request", str(firm.doc["id"]), "--job", str(job["id"]))
    firm.ok("approval", "approve", str(firm.approval["id"]), "--by", "john@smith.test")
    r = firm.json("request", "create", "--account", "Smith", "--title", "Receipts", "--draft",
                  "--message", "Ce qu'il nous faut: les reçus")
    rid = str(r["id"])
    firm.ok("request", "question", "add", rid, "--type", "text", "--prompt", "Your employer?")
    firm.ok("request", "question", "add", rid, "--type", "file", "--prompt", "The receipts")
    firm.ok("request", "send", rid)
    firm.ok("request", "answer", rid, "--question", "1", "--value", "Acme Ltd — Zürich", "--by", "john@smith.test")
    receipt = tmp_path / "receipt.png"
    receipt.write_bytes(RECEIPT)
    firm.ok("request", "answer", rid, "--question", "2", "--file", receipt, "--by", "john@smith.test")
    firm.ok("request", "link", rid, "--job", str(job["id"]))
    firm.rid = rid
    firm.job = job
    return firm


def counts(p):
    """The SQLite firm's tables and the rows in them."""
    tables = [t for (t,) in p.sql("SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite%' ORDER BY name")]
    return {t: p.sql(f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def runs_on(p, target, tmp_path, key_file):
    """A user whose firm is `target`, with a config of its own naming `key_file`."""
    there = Practice(tmp_path / "there")
    there.env["PRACTICE_DB"] = target.arg
    there.env["PRACTICE_USER"] = "alice@acme.test"
    there.config.parent.mkdir(parents=True, exist_ok=True)
    there.config.write_text(p.config.read_text() + f"[database]\nkey_file = {json.dumps(str(key_file))}\n")
    return there


@source_is_sqlite
@cluster
def test_a_sqlite_firm_moves_to_postgresql_whole_and_runs_there(office, tmp_path):
    target = office.postgres_database("target")
    before = counts(office)
    started = time.monotonic()
    got = office.json("db", "migrate", "--to", target.arg)
    took = time.monotonic() - started
    assert got == {"to": target.arg, "tables": len(before), "rows": sum(before.values()), "files": 2,
                   "file_bytes": len(DOC) + len(RECEIPT), "audit_rows": before["audit"],
                   "key_file": str(office.key_file)}
    assert took < 30, f"the migration took {took:.1f} s"
    # Every row of every table, and each stored file's bytes beside them.
    for table, n in before.items():
        assert target.sql(f'SELECT count(*) FROM "{table}"') == [(n,)], table
    assert target.sql("SELECT count(*) FROM stored_file_contents") == [(2,)]
    [(message,)] = target.sql("SELECT message FROM outbox ORDER BY id LIMIT 1")
    [(source_message,)] = office.sql("SELECT message FROM outbox ORDER BY id LIMIT 1")
    assert message.encode() == source_message

    there = runs_on(office, target, tmp_path, office.key_file)
    for args in (["account", "list"], ["contact", "list"], ["staff", "list"], ["job", "show", office.job["id"]],
                 ["request", "show", office.rid, "--links"], ["approval", "show", office.approval["id"]],
                 ["doc", "list"], ["audit"], ["audit", "--verify"], ["outbox"], ["firm", "show"]):
        assert there.json(*args) == office.json(*args), args
    assert there.ok("audit", "--verify").out == office.ok("audit", "--verify").out
    assert there.ok("doctor").code == 0
    out = tmp_path / "copy.pdf"
    there.ok("doc", "export", office.doc["id"], "--to", out)
    assert out.read_bytes() == DOC
    exported = tmp_path / "answers"
    there.ok("request", "export", office.rid, "--dir", exported)
    assert RECEIPT in [f.read_bytes() for f in exported.rglob("*") if f.is_file()]

    # New rows come after the copied ones, and the chain goes on.
    last = max(a["id"] for a in office.json("account", "list"))
    assert there.json("account", "add", "New Client")["id"] == last + 1
    contact = there.json("contact", "add", "--account", "New Client", "--name", "Ana", "--email", "ana@new.test")
    assert contact["id"] == max(c["id"] for c in office.json("contact", "list")) + 1
    verified = there.json("audit", "--verify")
    assert verified["ok"] and verified["rows"] > before["audit"]
    # The source is as it was.
    assert counts(office) == before


@source_is_sqlite
@cluster
def test_a_second_migration_into_the_same_database_is_refused(office):
    target = office.postgres_database("target")
    office.ok("db", "migrate", "--to", target.arg)
    copied = target.dump()
    r = assert_refused(office, 65, "db", "migrate", "--to", target.arg, contains="is not empty")
    assert "table accounts" in r.err
    assert target.dump() == copied


@source_is_sqlite
@cluster
def test_a_database_with_a_table_of_its_own_is_refused_and_left_alone(office):
    target = office.postgres_database("target")
    target.sql("CREATE TABLE notes (body text)")
    target.sql("INSERT INTO notes VALUES ('keep me')")
    assert_refused(office, 65, "db", "migrate", "--to", target.arg, contains="table notes")
    assert target.sql("SELECT body FROM notes") == [("keep me",)]
    assert not target.exists()


@source_is_sqlite
@cluster
def test_a_copy_that_fails_half_way_leaves_the_target_empty(office):
    target = office.postgres_database("target")
    sha = office.doc["sha256"]
    stored = office.db.parent / "files" / sha[:2] / sha
    content = stored.read_bytes()
    stored.unlink()
    assert_refused(office, 66, "db", "migrate", "--to", target.arg, contains=sha)
    # Not even the schema: the target takes the copy again once the file is back.
    assert target.dump() == ""
    stored.write_bytes(content)
    office.ok("db", "migrate", "--to", target.arg)


@source_is_sqlite
@cluster
def test_a_broken_audit_chain_is_refused_before_anything_is_copied(office):
    target = office.postgres_database("target")
    office.lift_audit_guard()
    office.sql("UPDATE audit SET action = 'forged' WHERE id = 3")
    assert_refused(office, 65, "db", "migrate", "--to", target.arg, contains="fails at row 3")
    assert target.dump() == ""


@source_is_sqlite
@cluster
def test_the_configured_key_file_gets_the_firms_key_or_must_hold_it(office, tmp_path):
    key = office.key_file.read_bytes()
    # A key file of another firm: refused, nothing copied.
    other = tmp_path / "other.key"
    other.write_bytes(b"x" * 32)
    other.chmod(0o600)
    config = office.config.read_text()
    office.config.write_text(config + f"[database]\nkey_file = {json.dumps(str(other))}\n")
    target = office.postgres_database("target")
    assert_refused(office, 65, "db", "migrate", "--to", target.arg, contains="another link key")
    assert target.dump() == "" and other.read_bytes() == b"x" * 32
    # A key file not there yet: the firm's key is copied there, 0600.
    new = tmp_path / "keys" / "acme.key"
    new.parent.mkdir()
    office.config.write_text(config + f"[database]\nkey_file = {json.dumps(str(new))}\n")
    r = office.ok("db", "migrate", "--to", target.arg)
    assert f"Copied its link key to {new}" in r.out
    assert new.read_bytes() == key and stat.S_IMODE(new.stat().st_mode) == 0o600
    assert key.hex() not in r.out and key.hex() not in r.err


@source_is_sqlite
@cluster
def test_a_firm_without_a_link_key_is_told_where_it_will_be(firm, tmp_path):
    firm.ok("account", "add", "Smith")
    # A firm made before init made the key: no key, and so no fingerprint.
    firm.key_file.unlink()
    firm.sql("DELETE FROM link_key")
    r = firm.ok("db", "migrate", "--to", firm.postgres_database("one").arg)
    assert "no link key yet: set [database] key_file" in r.out
    key = tmp_path / "acme.key"
    firm.write_config(f"[database]\nkey_file = {json.dumps(str(key))}\n")
    r = firm.ok("db", "migrate", "--to", firm.postgres_database("two").arg)
    assert f"the first link made creates it in {key}" in r.out
    assert not key.exists() and not firm.key_file.exists()


@source_is_sqlite
@cluster
def test_the_summary_names_the_counts_and_the_key_file_to_name(office):
    target = office.postgres_database("target")
    r = office.ok("db", "migrate", "--to", target.arg)
    first, second = r.out.splitlines()
    assert first.startswith(f"Copied the firm to {target.arg}: ")
    assert " tables, " in first and " rows, 2 files (" in first and "audit chain of " in first
    assert str(office.key_file) in second and "key_file" in second


@source_is_sqlite
@cluster
def test_a_password_in_the_url_is_never_printed(office):
    target = office.postgres_database("target")
    # The test cluster trusts local connections, so any password will do.
    url = target.arg.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    got = office.json("db", "migrate", "--to", url)
    assert "s3cret" not in json.dumps(got) and got["to"] == target.arg


@source_is_sqlite
@cluster
def test_a_database_that_does_not_exist_is_not_found(office):
    target = office.postgres_database("target")
    missing = target.arg.replace(target.name, target.name + "_missing")
    r = assert_refused(office, 66, "db", "migrate", "--to", missing, contains="does not exist")
    assert "createdb" in r.err


@source_is_sqlite
def test_a_server_that_cannot_be_reached_is_a_configuration_error(office, tmp_path):
    url = f"postgresql://practice@/acme?host={tmp_path}/no-server-here"
    r = assert_refused(office, 78, "db", "migrate", "--to", url, contains="cannot connect")
    assert "--to" in r.err


@pytest.mark.parametrize("to", ["/srv/practice/new.db", "sqlite:///srv/new.db", "mysql://db/acme", ""])
def test_a_target_that_is_not_postgresql_is_refused(firm, to):
    assert_refused(firm, 65, "db", "migrate", "--to", to, contains="is not a PostgreSQL URL")


def test_a_firm_on_postgresql_is_refused(firm):
    # In the PostgreSQL pass the fixture's firm is there already; in the
    # SQLite pass --db names one (it is refused before it is reached).
    source = [] if POSTGRES else ["--db", "postgresql://practice@db.invalid/acme"]
    target = "postgresql://practice@db.invalid/other"
    r = assert_refused(firm, 64, *source, "db", "migrate", "--to", target, contains="copies a SQLite firm")
    assert "--db" in r.err


def test_migrate_needs_to(firm):
    r = firm.run("db", "migrate")
    assert r.code == 64 and "--to" in r.err, r


def fingerprint_of(key):
    return hmac.new(key, b"practice-link-key-fingerprint:v1", hashlib.sha256).hexdigest()


@source_is_sqlite
@cluster
def test_the_target_keeps_the_fingerprint_of_the_firms_key_and_checks_it(office, tmp_path):
    key = office.key_file.read_bytes()
    assert office.sql("SELECT fingerprint FROM link_key") == [(fingerprint_of(key),)]
    target = office.postgres_database("target")
    office.ok("db", "migrate", "--to", target.arg)
    assert target.sql("SELECT fingerprint FROM link_key") == [(fingerprint_of(key),)]
    # A machine given another key file is refused there, and so is one given none.
    other = tmp_path / "other.key"
    other.write_bytes(b"y" * 32)
    other.chmod(0o600)
    there = runs_on(office, target, tmp_path, other)
    assert_refused(there, 78, "request", "show", office.rid, "--links", contains="is not this firm's")
    other.unlink()
    assert_refused(there, 78, "request", "show", office.rid, "--links", contains="copy it")
    assert not other.exists()


@source_is_sqlite
@cluster
def test_a_firm_made_before_fingerprints_gets_its_keys_on_the_target(office):
    office.sql("DELETE FROM link_key")
    key = office.key_file.read_bytes()
    target = office.postgres_database("target")
    office.ok("db", "migrate", "--to", target.arg)
    assert target.sql("SELECT fingerprint FROM link_key") == [(fingerprint_of(key),)]


@source_is_sqlite
@cluster
def test_a_firm_whose_key_is_missing_is_not_migrated(office, tmp_path):
    office.key_file.rename(tmp_path / "aside.key")
    target = office.postgres_database("target")
    assert_refused(office, 78, "db", "migrate", "--to", target.arg, contains="is missing")
    assert target.dump() == ""
