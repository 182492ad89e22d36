"""init, database location and settings, migrations, busy database."""
import os
import sqlite3
import stat
import subprocess
import time

from conftest import assert_refused


def test_commands_before_init_exit_66_with_hint(practice):
    r = assert_refused(practice, 66, "account", "list")
    assert "practice init" in r.err
    assert not practice.db.exists()


def test_init_creates_private_database_in_xdg_data_home(practice):
    r = practice.ok("init", "--firm", "Acme CPA", "--email", "office@acme.test")
    assert "Created the database" in r.out
    assert stat.S_IMODE(practice.db.stat().st_mode) == 0o600
    assert stat.S_IMODE(practice.db.parent.stat().st_mode) == 0o700
    assert practice.sql("PRAGMA journal_mode") == [("wal",)]
    assert practice.sql("SELECT name, email FROM firm") == [("Acme CPA", "office@acme.test")]


def test_init_again_is_harmless(practice):
    practice.ok("init", "--firm", "Acme CPA")
    before = practice.dump()
    r = practice.json("init")
    assert r["created"] is False
    assert r["migrations_applied"] == 0
    assert r["firm"]["name"] == "Acme CPA"
    assert practice.dump() == before


def test_db_flag_env_and_xdg_data_home(practice, tmp_path):
    explicit = tmp_path / "x" / "explicit.db"
    practice.ok("--db", explicit, "init")
    assert explicit.exists()
    env_db = tmp_path / "env.db"
    practice.ok("init", env={"PRACTICE_DB": str(env_db)})
    assert env_db.exists()
    xdg = tmp_path / "xdg"
    practice.ok("init", env={"XDG_DATA_HOME": str(xdg)})
    assert (xdg / "practice" / "practice.db").exists()
    assert not practice.db.exists()


def test_every_connection_uses_wal_and_foreign_keys(firm):
    # A contact pointing at a missing account cannot exist.
    con = sqlite3.connect(firm.db)
    con.execute("PRAGMA foreign_keys=ON")
    try:
        con.execute("INSERT INTO contacts (account_id, name, email, created_at) "
                    "VALUES (42, 'x', 'x@y.test', '2026-01-01T00:00:00Z')")
        assert False, "orphan insert should fail"
    except sqlite3.IntegrityError:
        pass
    finally:
        con.close()


def test_newer_schema_is_refused_with_78(firm):
    firm.sql("PRAGMA user_version = 99")
    r = assert_refused(firm, 78, "account", "list", contains="newer practice")
    assert "schema 99" in r.err


def test_foreign_sqlite_file_is_refused(practice, tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()
    assert_refused(practice, 78, "--db", other, "account", "list", contains="not a practice database")


def test_not_a_database_file_is_refused(practice, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    r = practice.run("--db", junk, "account", "list")
    assert r.code == 78, r


def test_busy_database_exits_75_and_changes_nothing(firm):
    # Another writer holds the write lock for longer than our timeout.
    holder = subprocess.Popen(
        ["/usr/bin/python3", "-c",
         "import sqlite3,sys,time\n"
         "c=sqlite3.connect(sys.argv[1],isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE')\n"
         "print('locked',flush=True)\n"
         "time.sleep(3)\n", str(firm.db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        r = firm.run("account", "add", "Smith", env={"PRACTICE_BUSY_TIMEOUT_MS": "200"})
        assert r.code == 75, r
        assert "busy" in r.err
        assert time.monotonic() - started < 2.5
    finally:
        holder.wait()
    assert firm.json("account", "list") == []


def test_reads_do_not_wait_for_a_writer(firm):
    firm.ok("account", "add", "Smith")
    holder = subprocess.Popen(
        ["/usr/bin/python3", "-c",
         "import sqlite3,sys,time\n"
         "c=sqlite3.connect(sys.argv[1],isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE')\n"
         "c.execute(\"UPDATE accounts SET name='X'\")\n"
         "print('locked',flush=True)\n"
         "time.sleep(2)\n", str(firm.db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        names = [a["name"] for a in firm.json("account", "list",
                                               env={"PRACTICE_BUSY_TIMEOUT_MS": "100"})]
        assert names == ["Smith"]  # WAL: the reader sees the last commit
    finally:
        holder.wait()
