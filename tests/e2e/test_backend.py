"""The tests' database layer itself (conftest.py), on whichever database this
run uses: a table made by hand, read back through sql(), dump() and the
rest. No practice binary involved, so it holds before the product does."""
import contextlib
import sqlite3

import pytest

from conftest import DB_ERRORS, POSTGRES, Practice

if POSTGRES:
    import psycopg2


@contextlib.contextmanager
def raw(p: Practice):
    """A connection of the database's own driver, not the layer under test."""
    if POSTGRES:
        con = psycopg2.connect(p.db_arg)
        con.autocommit = True
    else:
        p.db.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(p.db, isolation_level=None)
    try:
        yield con
    finally:
        con.close()


def run(con, *statements):
    cur = con.cursor()
    for s in statements:
        cur.execute(s)
    cur.close()


SERIAL = "SERIAL PRIMARY KEY" if POSTGRES else "INTEGER PRIMARY KEY"
BLOB = "BYTEA" if POSTGRES else "BLOB"


@pytest.fixture
def hand_made(practice):
    with raw(practice) as con:
        run(con, f"CREATE TABLE things (id {SERIAL}, name TEXT NOT NULL, size INTEGER, data {BLOB})",
            "CREATE TABLE alpha (x INTEGER)",
            "INSERT INTO things (name, size, data) VALUES ('b?x', 2, NULL)",
            "INSERT INTO things (name, size, data) VALUES ('a%y', NULL, NULL)",
            "INSERT INTO alpha (x) VALUES (3)")
    return practice


def test_a_fresh_database_is_empty_and_not_a_practice_one(practice):
    assert not practice.exists()
    if POSTGRES:
        assert practice.dump() == ""
        assert practice.env["PRACTICE_DB"] == practice.db_arg
        assert practice.sql("SELECT current_database()") == [(practice.database.name,)]


def test_sql_takes_sqlite_placeholders_and_gives_tuples(hand_made):
    p = hand_made
    assert p.sql("SELECT name, size FROM things WHERE size = ?", 2) == [("b?x", 2)]
    # A ? or % inside quotes is text, not a placeholder.
    assert p.sql("SELECT id FROM things WHERE name = 'b?x' AND size = ?", 2) == [(1,)]
    assert p.sql("SELECT name FROM things WHERE name LIKE '%\\%%' ESCAPE '\\' AND id = ?", 2) == [("a%y",)]
    assert p.sql("SELECT name FROM things WHERE name LIKE 'a%'") == [("a%y",)]
    assert p.sql("SELECT ?2 || ?1", "one", "two") == [("twoone",)]
    assert p.sql("UPDATE things SET data = ? WHERE id = 1", b"\x00\xffbytes") == []
    assert p.sql("SELECT data FROM things WHERE id = 1") == [(b"\x00\xffbytes",)]
    assert p.sql("SELECT count(*) FROM things") == [(2,)]
    with pytest.raises(DB_ERRORS):
        p.sql("SELECT * FROM no_such_table")


def test_dump_shows_every_table_and_row_and_any_change(hand_made):
    p = hand_made
    d = p.dump()
    assert d == p.dump()
    assert d.index("alpha") < d.index("things")
    for text in ("b?x", "a%y", "3"):
        assert text in d
    p.sql("UPDATE things SET size = 3 WHERE id = 1")
    assert p.dump() != d
    p.sql("UPDATE things SET size = 2 WHERE id = 1")
    assert p.dump() == d
    p.sql("DELETE FROM alpha")
    assert p.dump() != d


def test_a_rolled_back_insert_leaves_the_dump_as_it_was(hand_made):
    """On PostgreSQL it still takes a number from the id sequence: the dump
    leaves sequences out, so a refused command that used an id changed nothing."""
    p = hand_made
    before = p.dump()
    with pytest.raises(RuntimeError):
        with p.transaction() as tx:
            tx.execute("INSERT INTO things (name) VALUES (?)", "doomed")
            assert tx.execute("SELECT count(*) FROM things").fetchall() == [(3,)]
            raise RuntimeError("refused")
    assert p.dump() == before


def test_transaction_commits_many_rows_at_once(hand_made):
    p = hand_made
    with p.transaction() as tx:
        tx.executemany("INSERT INTO alpha (x) VALUES (?)", [(i,) for i in range(1000)])
        tx.execute("INSERT INTO things (name, size) SELECT 'n' || x, x FROM alpha WHERE x < ?", 3)
    assert p.sql("SELECT count(*), sum(x) FROM alpha") == [(1001, 3 + 999 * 1000 // 2)]
    assert p.sql("SELECT name FROM things WHERE size IS NOT NULL ORDER BY id") == [
        ("b?x",), ("n0",), ("n1",), ("n2",)]


def test_stored_bytes_has_what_the_tables_hold(hand_made):
    p = hand_made
    p.sql("UPDATE things SET data = ? WHERE id = 2", b"secret-bytes-\x01")
    assert b"secret-bytes-\x01" in p.stored_bytes()
    assert b"never-stored" not in p.stored_bytes()
    assert p.integrity_ok()


def test_exists_means_the_practice_schema_is_there(practice):
    with raw(practice) as con:
        if POSTGRES:
            run(con, "CREATE TABLE other (x integer)")
            assert not practice.exists()  # a table, but not practice's
            run(con, "CREATE TABLE schema_meta (version integer)", "INSERT INTO schema_meta VALUES (12)")
        else:
            run(con, "CREATE TABLE other (x)")  # SQLite: the file is the database
    assert practice.exists()
    practice.set_schema_version(99)
    if POSTGRES:
        assert practice.sql("SELECT version FROM schema_meta") == [(99,)]
    else:
        assert practice.sql("PRAGMA user_version") == [(99,)]


def audit_table(p):
    with raw(p) as con:
        if POSTGRES:
            run(con, "CREATE TABLE audit (id integer, action text)",
                "INSERT INTO audit VALUES (1, 'made')",
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
                "CREATE TRIGGER some_name BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION refuse()")
        else:
            run(con, "CREATE TABLE audit (id integer, action text)",
                "INSERT INTO audit VALUES (1, 'made')",
                "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
                "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END")


def test_lifting_the_audit_guard_lets_rows_be_forged(practice):
    audit_table(practice)
    with pytest.raises(DB_ERRORS, match="append-only"):
        practice.sql("UPDATE audit SET action = 'forged'")
    practice.lift_audit_guard()
    practice.sql("UPDATE audit SET action = 'forged'")
    practice.sql("DELETE FROM audit")
    assert practice.sql("SELECT count(*) FROM audit") == [(0,)]


def test_a_held_write_lock_lets_others_read_but_not_write(hand_made):
    p = hand_made
    with p.holding_write_lock("UPDATE alpha SET x = 4"):
        assert p.sql("SELECT x FROM alpha") == [(3,)]  # the last commit
        with raw(p) as con:
            if POSTGRES:
                run(con, "SET lock_timeout = '100ms'")
            else:
                con.execute("PRAGMA busy_timeout = 100")
            with pytest.raises(DB_ERRORS):
                run(con, "INSERT INTO things (name) VALUES ('waits')")
    assert p.sql("SELECT x FROM alpha") == [(3,)]  # rolled back
    p.sql("INSERT INTO things (name) VALUES ('now')")


def test_an_unavailable_database_refuses_connections(hand_made):
    p = hand_made
    p.make_unavailable()
    if POSTGRES:
        with pytest.raises(psycopg2.OperationalError):
            p.sql("SELECT 1")
    else:
        assert not p.db.exists()


# --- the config the database needs --------------------------------------------

def test_backend_config_leaves_the_tests_own_lines_where_they_were(practice):
    text = 'user = "alice@acme.test"\n[smtp]\nurl = "smtp://x:25"\n'
    merged = practice.backend_config(text)
    assert merged.startswith(text)  # line numbers in config errors stay true
    practice.write_config(text)
    assert practice.config.read_text() == merged
    if POSTGRES:
        assert f'[database]\nkey_file = "{practice.key_file}"\n' in merged
    else:
        assert merged == text


def test_backend_config_merges_into_a_database_section_and_replaces_another_users(practice, tmp_path):
    other = Practice(tmp_path / "other")
    inherited = other.backend_config('user = "x"\n') + "[files]\nmax_size_mb = 1\n"
    mine = practice.backend_config(inherited)
    assert mine.count("[database]") == (1 if POSTGRES else 0)
    assert str(other.root) not in mine and "[files]\nmax_size_mb = 1\n" in mine
    own = practice.backend_config('[database] # here\nurl = "x"\n[portal]\n')
    if POSTGRES:
        assert own == f'[database] # here\nkey_file = "{practice.key_file}"\nurl = "x"\n[portal]\n'
        given = '[database]\nkey_file = "/elsewhere"\n'
        assert practice.backend_config(given) == given  # the test's own choice stands
        assert str(tmp_path / "copy.key") in practice.backend_config(mine, key_file=tmp_path / "copy.key")
        assert str(practice.key_file) not in practice.backend_config(mine, key_file=tmp_path / "copy.key")


# --- PostgreSQL: one database per user, dropped with the test -------------------

made = []


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only: SQLite databases are files in the test's folder")
def test_each_user_gets_a_database_of_its_own(practice, tmp_path):
    (tmp_path / "second").mkdir()
    second = Practice(tmp_path / "second")
    spare = practice.spare_database("spare")
    names = {practice.database.name, second.database.name, spare.name}
    assert len(names) == 3
    assert practice.db_arg != second.db_arg and spare.arg.startswith("postgresql://")
    assert not spare.exists() and spare.sql("SELECT current_database()") == [(spare.name,)]
    made.extend(names)
    listed = {n for (n,) in practice.sql("SELECT datname FROM pg_database")}
    assert names <= listed


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only: SQLite databases are files in the test's folder")
def test_the_databases_of_the_previous_test_were_dropped(practice):
    assert made, "runs after test_each_user_gets_a_database_of_its_own"
    listed = {n for (n,) in practice.sql("SELECT datname FROM pg_database")}
    assert not set(made) & listed
