"""Shared fixtures: run the built `practice` binary in an isolated home.

Every test runs against one of two databases, chosen by
PRACTICE_TEST_BACKEND:

- `sqlite` (the default): the product's own file under HOME.
- `postgres`: a fresh database of its own on the cluster at
  PRACTICE_TEST_PG_URL (scripts/pg-cluster starts one), named to the
  binary by PRACTICE_DB, with the link key in the file the config's
  `[database] key_file` names. It is dropped when the test ends.

Tests reach the database only through `Practice` (`sql`, `dump`, `exists`,
`transaction`, ...), never with sqlite3 or psycopg2 of their own, so the same
test states the same thing on either. What only SQLite has (its file, WAL,
the files beside it) is marked `sqlite_only(reason)`.
"""
import contextlib
import hashlib
import itertools
import json
import os
import re
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path

import pytest

BIN = os.environ.get("PRACTICE_BIN") or str(
    Path(__file__).resolve().parents[2] / "build" / "src" / "practice")

BACKEND = os.environ.get("PRACTICE_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError(f"PRACTICE_TEST_BACKEND={BACKEND!r}: expected 'sqlite' or 'postgres'")
POSTGRES = BACKEND == "postgres"
PG_URL = os.environ.get("PRACTICE_TEST_PG_URL", "")

if POSTGRES and not PG_URL:
    raise RuntimeError("PRACTICE_TEST_BACKEND=postgres needs PRACTICE_TEST_PG_URL, the URL of a "
                       "cluster's maintenance database (scripts/pg-cluster start DIR prints one)")
if PG_URL:
    # Also in the SQLite pass when a cluster is given: db migrate's target.
    import psycopg2
    import psycopg2.extras
    from psycopg2 import sql as pgsql
# What a statement the database refuses raises, whichever it is.
DB_ERRORS = (psycopg2.Error,) if POSTGRES else (sqlite3.DatabaseError,)


def sqlite_only(reason):
    """Skips a test on PostgreSQL: for what only the SQLite file has."""
    return pytest.mark.skipif(POSTGRES, reason=f"SQLite only: {reason}")


def needs_pg_cluster(reason):
    """Skips a test when no PostgreSQL cluster is given (PRACTICE_TEST_PG_URL),
    whichever database the pass runs on: for a test that needs a PostgreSQL
    database besides its own (Practice.postgres_database)."""
    return pytest.mark.skipif(not PG_URL, reason=f"no PostgreSQL cluster (PRACTICE_TEST_PG_URL): {reason}")


def pytest_report_header(config):
    return f"practice database: {BACKEND}" + (f" ({PG_URL})" if POSTGRES else "")


# --- SQLite ----------------------------------------------------------------

class SqliteDatabase:
    """The product's SQLite file at `path`."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def arg(self):
        """What --db and PRACTICE_DB take to name this database."""
        return str(self.path)

    def exists(self):
        return self.path.exists()

    def _connect(self):
        return contextlib.closing(sqlite3.connect(self.path, isolation_level=None))

    def sql(self, statement, *params):
        with self._connect() as con:
            return con.execute(statement, params).fetchall()

    @contextlib.contextmanager
    def transaction(self):
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(con.execute, con.executemany)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def dump(self):
        with self._connect() as con:
            return "\n".join(con.iterdump())

    def stored_bytes(self):
        """Every byte the database keeps: the file, its WAL and journal."""
        data = b""
        for suffix in ("", "-wal", "-shm", "-journal"):
            f = Path(str(self.path) + suffix)
            if f.is_file():
                data += f.read_bytes()
        return data

    def integrity_ok(self):
        return self.sql("PRAGMA integrity_check") == [("ok",)]

    def set_schema_version(self, version):
        self.sql(f"PRAGMA user_version = {int(version)}")

    def lift_audit_guard(self):
        """Drops what makes the audit table append-only, as an attacker would."""
        self.sql("DROP TRIGGER IF EXISTS audit_no_update")
        self.sql("DROP TRIGGER IF EXISTS audit_no_delete")

    @contextlib.contextmanager
    def holding_write_lock(self, *statements):
        """Another writer in the middle of a transaction: it holds the write
        lock (and has run `statements`) until the block ends, then rolls back."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for s in statements:
                    con.execute(s)
                yield
            finally:
                con.execute("ROLLBACK")

    def make_unavailable(self, away: Path):
        """The database goes away under a running program."""
        away.mkdir(exist_ok=True)
        for f in self.path.parent.glob(self.path.name + "*"):
            f.rename(away / f.name)

    def drop(self):
        pass


# --- PostgreSQL --------------------------------------------------------------

_counter = itertools.count(1)
_live = []  # the PostgreSQL databases made and not yet dropped


def _pg_url(dbname):
    """PG_URL with its database replaced by `dbname`."""
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(dbname)))


def _pg_translate(statement, params):
    """sqlite3's placeholders (`?`, `?NNN`) as psycopg2's, with the params in
    the order they are used. Quoted text and identifiers are left alone."""
    if not params:
        return statement, None
    out, used = [], []
    for token in re.split(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?\d*)", statement):
        if token.startswith("?"):
            used.append(params[int(token[1:]) - 1] if len(token) > 1 else params[len(used)])
            out.append("%s")
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out), tuple(used)


def _pg_value(v):
    return bytes(v) if isinstance(v, memoryview) else v


class PostgresDatabase:
    """A database of its own on the test cluster, made empty."""

    def __init__(self, label):
        digest = hashlib.sha1(f"{os.environ.get('PYTEST_CURRENT_TEST', '')} {label}".encode()).hexdigest()
        self.name = f"t_{digest[:12]}_{os.getpid()}_{next(_counter)}"
        with self._admin() as cur:
            cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(self.name)))
        _live.append(self)

    @property
    def arg(self):
        return _pg_url(self.name)

    @staticmethod
    @contextlib.contextmanager
    def _admin():
        con = psycopg2.connect(PG_URL)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                yield cur
        finally:
            con.close()

    @contextlib.contextmanager
    def _cursor(self, autocommit=True):
        con = psycopg2.connect(self.arg)
        con.autocommit = autocommit
        try:
            with con.cursor() as cur:
                yield con, cur
        finally:
            con.close()

    def _tables(self, cur):
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")
        return [t for (t,) in cur.fetchall()]

    def exists(self):
        """Whether the database holds a practice schema (the database itself
        always exists: practice is not the one to create it)."""
        with self._cursor() as (_, cur):
            cur.execute("SELECT to_regclass('public.schema_meta') IS NOT NULL")
            return cur.fetchone()[0]

    def sql(self, statement, *params):
        with self._cursor() as (_, cur):
            cur.execute(*_pg_translate(statement, params))
            return [tuple(map(_pg_value, row)) for row in cur.fetchall()] if cur.description else []

    @contextlib.contextmanager
    def transaction(self):
        with self._cursor(autocommit=False) as (con, cur):
            def execute(statement, params=()):
                cur.execute(*_pg_translate(statement, tuple(params)))
                return cur

            def executemany(statement, rows):
                rows = list(rows)
                if rows:
                    psycopg2.extras.execute_batch(cur, _pg_translate(statement, tuple(rows[0]))[0], rows,
                                                  page_size=500)
            yield _Tx(execute, executemany)
            con.commit()

    def dump(self):
        """Every table of the public schema in name order, with its columns
        and its rows in a fixed order, as text. Sequences are left out: a
        rolled-back insert still advances them."""
        out = []
        with self._cursor() as (_, cur):
            for t in self._tables(cur):
                cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position", (t,))
                out.append(f"TABLE {t} ({', '.join(f'{c} {ty}' for c, ty in cur.fetchall())})")
                cur.execute(pgsql.SQL("SELECT * FROM {}").format(pgsql.Identifier(t)))
                out.extend(sorted(repr(tuple(map(_pg_value, row))) for row in cur.fetchall()))
        return "\n".join(out)

    def stored_bytes(self):
        """Every value of every table, as the bytes it is stored as."""
        data = []
        with self._cursor() as (_, cur):
            for t in self._tables(cur):
                cur.execute(pgsql.SQL("SELECT * FROM {}").format(pgsql.Identifier(t)))
                for row in cur.fetchall():
                    for v in map(_pg_value, row):
                        data.append(v if isinstance(v, bytes) else str(v).encode())
        return b"\n".join(data)

    def integrity_ok(self):
        """PostgreSQL has no whole-database check like SQLite's; a killed client
        cannot damage the server's files. What can be asked: every table reads."""
        self.dump()
        return True

    def set_schema_version(self, version):
        self.sql("UPDATE schema_meta SET version = ?", int(version))

    def lift_audit_guard(self):
        # Whatever the triggers are called.
        self.sql("ALTER TABLE audit DISABLE TRIGGER USER")

    @contextlib.contextmanager
    def holding_write_lock(self, *statements):
        # EXCLUSIVE on every table: others may read, no one may write (SQLite's write lock).
        with self._cursor(autocommit=False) as (con, cur):
            tables = self._tables(cur)
            assert tables, "no tables to lock: the database holds no practice schema"
            cur.execute(pgsql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                pgsql.SQL(", ").join(map(pgsql.Identifier, tables))))
            for s in statements:
                cur.execute(s)
            try:
                yield
            finally:
                con.rollback()

    def make_unavailable(self, away: Path):
        with self._admin() as cur:
            cur.execute(pgsql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(
                pgsql.Identifier(self.name)))
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        (self.name,))

    def drop(self):
        with self._admin() as cur:
            cur.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                pgsql.Identifier(self.name)))
        if self in _live:
            _live.remove(self)


class _Tx:
    """One transaction: execute(statement, params) and executemany(statement, rows)."""

    def __init__(self, execute, executemany):
        self._execute, self._executemany = execute, executemany

    def execute(self, statement, *params):
        return self._execute(statement, params)

    def executemany(self, statement, rows):
        self._executemany(statement, rows)


@pytest.fixture(autouse=True)
def _drop_the_databases_a_test_made():
    mark = len(_live)
    yield
    for db in _live[mark:][::-1]:
        db.drop()


def pytest_sessionfinish(session):
    for db in _live[::-1]:  # those module fixtures made
        db.drop()


# --- the product, run in an isolated home ---------------------------------------

class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<exit {self.code}\nstdout: {self.out!r}\nstderr: {self.err!r}>"


_GENERATED = re.compile(r"# practice tests: the database \(conftest\.py\)\n.*?# end of the database\n", re.S)


class Practice:
    """One isolated user: own HOME, XDG folders, database and config."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True)
        self.config = self.home / ".config/practice/config.toml"
        self.env = {
            "HOME": str(self.home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
            "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", ""),
            "TSAN_OPTIONS": os.environ.get("TSAN_OPTIONS", ""),
        }
        if POSTGRES:
            self.database = PostgresDatabase(str(root))
            self.key_file = root / "practice.key"
            self.env["PRACTICE_DB"] = self.database.arg
            self.write_config("")
        else:
            self.database = SqliteDatabase(self.home / ".local/share/practice/practice.db")
            self.key_file = Path(str(self.database.path) + ".key")

    # The database ------------------------------------------------------------

    @property
    def db(self):
        """The SQLite file: only for tests marked sqlite_only."""
        if POSTGRES:
            raise AttributeError("Practice.db is the SQLite file: use db_arg, exists(), sql() or dump(), "
                                 "or mark the test sqlite_only")
        return self.database.path

    @property
    def db_arg(self):
        """What --db and PRACTICE_DB take to name this user's database."""
        return self.database.arg

    def exists(self):
        """Whether the database is there (SQLite: the file; PostgreSQL: the schema)."""
        return self.database.exists()

    def spare_database(self, name):
        """Another, empty database (on SQLite a path not yet a file), dropped with the test."""
        return PostgresDatabase(f"{self.root} {name}") if POSTGRES else SqliteDatabase(self.root / f"{name}.db")

    def postgres_database(self, name):
        """Another, empty PostgreSQL database on the test cluster, in either
        pass, dropped with the test (mark the test needs_pg_cluster)."""
        if not PG_URL:
            raise RuntimeError("postgres_database needs PRACTICE_TEST_PG_URL: mark the test needs_pg_cluster")
        return PostgresDatabase(f"{self.root} {name}")

    def dump(self):
        """The whole database as text, to compare before and after."""
        return self.database.dump()

    def sql(self, statement, *params):
        """One statement (`?` placeholders); its rows as a list of tuples."""
        return self.database.sql(statement, *params)

    def transaction(self):
        """A context manager: one transaction, `.execute(statement, *params)` and
        `.executemany(statement, rows)` on it."""
        return self.database.transaction()

    def stored_bytes(self):
        """All the database keeps, as bytes: to show a secret is not in it."""
        return self.database.stored_bytes()

    def integrity_ok(self):
        """The database is sound (SQLite's integrity_check; PostgreSQL: every table reads)."""
        return self.database.integrity_ok()

    def set_schema_version(self, version):
        """Marks the database as of schema `version` (SQLite's user_version,
        PostgreSQL's schema_meta)."""
        self.database.set_schema_version(version)

    def lift_audit_guard(self):
        """What an attacker with the database's own access does first: turn off
        the triggers that keep the audit trail append-only."""
        self.database.lift_audit_guard()

    def holding_write_lock(self, *statements):
        """A context manager: another writer holds the database's write lock
        (having run `statements`) until the block ends; readers go on."""
        return self.database.holding_write_lock(*statements)

    def make_unavailable(self):
        """The database goes away under whatever runs (SQLite: its files moved aside)."""
        self.database.make_unavailable(self.root / "away")

    # The config ----------------------------------------------------------------

    def backend_config(self, text: str, key_file=None):
        """`text` with what the database needs: on PostgreSQL, `[database] key_file`
        (merged into the text's own [database] section, else appended; what
        another user's backend_config added is replaced). `key_file`: another
        than this user's, for a config of a second database."""
        text = _GENERATED.sub("", text)
        if not POSTGRES:
            return text
        line = f"key_file = {json.dumps(str(key_file or self.key_file))}"
        lines = text.splitlines(keepends=True)
        for i, l in enumerate(lines):
            if re.match(r"\s*\[\s*database\s*\]\s*(#.*)?$", l):
                section = itertools.takewhile(lambda s: not re.match(r"\s*\[", s), lines[i + 1:])
                if not any(re.match(r"\s*key_file\s*=", s) for s in section):
                    lines.insert(i + 1, line + "\n")
                return "".join(lines)
        if text and not text.endswith("\n"):
            text += "\n"
        return text + f"# practice tests: the database (conftest.py)\n[database]\n{line}\n# end of the database\n"

    def write_config(self, text: str):
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.backend_config(text))

    # Running it ----------------------------------------------------------------

    def run(self, *args, env=None, input=None, timeout=60):
        full_env = dict(self.env)
        full_env.update(env or {})
        proc = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True,
                              env=full_env, input=input, timeout=timeout)
        return Result(proc)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.code == 0, r
        return r

    def json(self, *args, **kw):
        return self.ok("--json", *args, **kw).json


@pytest.fixture
def practice(tmp_path):
    return Practice(tmp_path)


@pytest.fixture
def firm(practice):
    """An initialised firm with an owner acting by default."""
    practice.ok("init", "--firm", "Acme CPA", "--email", "office@acme.test")
    practice.ok("staff", "add", "Alice Silva", "--email", "alice@acme.test")
    practice.env["PRACTICE_USER"] = "alice@acme.test"
    return practice


def who(record, field="actor"):
    """A person field of a JSON record ({id, name, email}, or null for the
    system) as the audit trail names them: the email, else the name (an OS
    user), else the kind ("system")."""
    person = record[field]
    if person is None:
        return record[field + "_kind"]
    return person["email"] or person["name"]


def assert_refused(p: Practice, code: int, *args, contains=None, **kw):
    """The command fails with `code`, one error line (plus an optional hint),
    nothing on stdout, and the database unchanged (on PostgreSQL, where the
    database is always there, even an empty one)."""
    before = p.dump() if POSTGRES or p.exists() else None
    r = p.run(*args, **kw)
    assert r.code == code, r
    assert r.out == "", r
    lines = r.err.splitlines()
    assert lines and lines[0].startswith("practice: error: "), r
    assert all(l.startswith("hint: ") for l in lines[1:]), r
    if contains:
        assert contains in r.err, r
    if before is not None:
        assert p.dump() == before, "the database changed"
    return r
