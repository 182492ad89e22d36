"""Shared fixtures: run the built `practice` binary in an isolated home."""
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

BIN = os.environ.get("PRACTICE_BIN") or str(
    Path(__file__).resolve().parents[2] / "build" / "src" / "practice")


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


class Practice:
    """One isolated user: own HOME, XDG folders, database and config."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.db = self.home / ".local/share/practice/practice.db"
        self.config = self.home / ".config/practice/config.toml"
        self.env = {
            "HOME": str(self.home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
            "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", ""),
            "TSAN_OPTIONS": os.environ.get("TSAN_OPTIONS", ""),
        }

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

    def write_config(self, text: str):
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)

    def dump(self):
        """The whole database as SQL text, to compare before and after."""
        con = sqlite3.connect(self.db)
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()

    def sql(self, statement, *params):
        con = sqlite3.connect(self.db, isolation_level=None)
        try:
            return con.execute(statement, params).fetchall()
        finally:
            con.close()


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
    nothing on stdout, and the database unchanged."""
    before = p.dump() if p.db.exists() else None
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
