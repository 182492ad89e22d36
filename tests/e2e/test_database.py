"""init, database location and settings, migrations, busy database."""
import stat
import time

from conftest import POSTGRES, assert_refused, sqlite_only


def test_commands_before_init_exit_66_with_hint(practice):
    r = assert_refused(practice, 66, "account", "list")
    assert "practice init" in r.err
    assert not practice.exists()


def test_init_creates_the_database_and_the_firm(practice):
    r = practice.ok("init", "--firm", "Acme CPA", "--email", "office@acme.test")
    assert "Created the database" in r.out
    assert practice.exists()
    assert practice.sql("SELECT name, email FROM firm") == [("Acme CPA", "office@acme.test")]


@sqlite_only("the file's place, permissions and journal mode")
def test_init_creates_private_database_in_xdg_data_home(practice):
    practice.ok("init", "--firm", "Acme CPA", "--email", "office@acme.test")
    assert stat.S_IMODE(practice.db.stat().st_mode) == 0o600
    assert stat.S_IMODE(practice.db.parent.stat().st_mode) == 0o700
    assert practice.sql("PRAGMA journal_mode") == [("wal",)]


def test_init_again_is_harmless(practice):
    practice.ok("init", "--firm", "Acme CPA")
    before = practice.dump()
    r = practice.json("init")
    assert r["created"] is False
    assert r["migrations_applied"] == 0
    assert r["firm"]["name"] == "Acme CPA"
    assert practice.dump() == before


def test_db_flag_and_env_name_the_database(practice):
    explicit = practice.spare_database("explicit")
    practice.ok("--db", explicit.arg, "init")
    assert explicit.exists()
    from_env = practice.spare_database("env")
    practice.ok("init", env={"PRACTICE_DB": from_env.arg})
    assert from_env.exists()
    assert not practice.exists()


@sqlite_only("where the SQLite file goes by default, and its folder made on the way")
def test_db_flag_makes_the_folder_and_the_default_is_in_xdg_data_home(practice, tmp_path):
    explicit = tmp_path / "x" / "explicit.db"
    practice.ok("--db", explicit, "init")
    assert explicit.exists()
    xdg = tmp_path / "xdg"
    practice.ok("init", env={"XDG_DATA_HOME": str(xdg)})
    assert (xdg / "practice" / "practice.db").exists()
    assert not practice.db.exists()


@sqlite_only("SQLite enforces foreign keys only on connections that ask; PostgreSQL always does")
def test_the_products_own_connections_enforce_foreign_keys(firm):
    # A trigger takes the account away just before the product's insert of a
    # contact that points at it: only enforced foreign keys refuse that insert.
    firm.ok("account", "add", "Smith")
    firm.sql("CREATE TRIGGER orphan_maker BEFORE INSERT ON contacts BEGIN "
             "DELETE FROM accounts WHERE id = NEW.account_id; END")
    before = firm.dump()
    r = firm.run("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test")
    assert r.code != 0, r
    assert firm.dump() == before
    assert firm.sql("PRAGMA foreign_key_check") == []


def test_newer_schema_is_refused_with_78(firm):
    firm.set_schema_version(99)
    r = assert_refused(firm, 78, "account", "list", contains="newer practice")
    assert "schema 99" in r.err


def test_a_database_of_something_else_is_refused(practice):
    other = practice.spare_database("other")
    other.sql("CREATE TABLE t (x integer)")
    if not POSTGRES:
        other.sql("PRAGMA user_version = 4")  # a schema version, but not in practice's file
    assert_refused(practice, 78, "--db", other.arg, "account", "list", contains="not a practice database")


@sqlite_only("a file that is not an SQLite database")
def test_not_a_database_file_is_refused(practice, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    r = practice.run("--db", junk, "account", "list")
    assert r.code == 78, r


def test_busy_database_exits_75_and_changes_nothing(firm):
    # Another writer holds the write lock for longer than our timeout.
    with firm.holding_write_lock():
        started = time.monotonic()
        r = firm.run("account", "add", "Smith", env={"PRACTICE_BUSY_TIMEOUT_MS": "200"})
        assert r.code == 75, r
        assert "busy" in r.err
        assert time.monotonic() - started < 2.5
    assert firm.json("account", "list") == []


def test_reads_do_not_wait_for_a_writer(firm):
    firm.ok("account", "add", "Smith")
    with firm.holding_write_lock("UPDATE accounts SET name = 'X'"):
        names = [a["name"] for a in firm.json("account", "list",
                                               env={"PRACTICE_BUSY_TIMEOUT_MS": "100"})]
        assert names == ["Smith"]  # the reader sees the last commit
