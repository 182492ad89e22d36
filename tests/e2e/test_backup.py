"""doctor, backup and restore: a firm can tell whether its installation is
healthy, and move or recover it whole (database, link key, stored files)."""
import io
import os
import shutil
import stat
import subprocess
import tarfile
import time

import pytest

from conftest import BIN, POSTGRES, Practice, assert_refused, sqlite_only

# On PostgreSQL, backup and restore refuse and name pg_dump (test_backup_on_postgres_names_pg_dump).
BACKUP_IS_SQLITES = sqlite_only("backup and restore copy a SQLite firm; a server is backed up with pg_dump")
from mailserver import SmtpServer, smtp_config
from test_reminders import day, seed_due_requests


@pytest.fixture
def office(firm, tmp_path):
    firm.write_config('user = "alice@acme.test"\n[portal]\nbase_url = "https://portal.acme.test"\n'
                      '[mail]\ntransport = "file"\ndir = "mail"\n')
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    firm.ok("folder", "add", "Client documents", "--client-can-view")
    doc = tmp_path / "return.pdf"
    doc.write_bytes(b"%PDF-1.4 the 2025 return")
    firm.doc = firm.json("doc", "add", "--account", "Smith", doc, "--folder", "Client documents")
    r = firm.json("request", "create", "--account", "Smith", "--title", "Receipts", "--draft")
    firm.ok("request", "question", "add", str(r["id"]), "--type", "text", "--prompt", "Q")
    firm.ok("request", "send", str(r["id"]))
    firm.rid = str(r["id"])
    return firm


def checks(p):
    r = p.run("--json", "doctor")
    return r, {c["check"]: c for c in r.json["checks"]}


def test_doctor_on_a_healthy_firm_passes_every_check(office):
    r, by = checks(office)
    assert r.code == 0, r
    assert r.json["ok"] is True
    assert list(by) == ["database", "schema", "audit", "files", "link key", "config"]
    assert all(c["ok"] for c in by.values())
    head = office.ok("audit", "--verify").out
    assert by["audit"]["detail"].split("head ")[1] in head
    assert by["files"]["detail"].startswith("1 stored files present")
    human = office.ok("doctor").out
    assert all(line.startswith("ok") for line in human.splitlines()), human


def test_doctor_names_each_problem_and_exits_with_the_first_ones_code(office):
    key = office.key_file
    key.chmod(0o644)
    r = office.run("doctor")
    assert r.code == 77, r
    assert "FAIL  link key" in r.out and "chmod 600" in r.out
    assert r.err.startswith("practice: error: 1 check failed: link key")
    key.chmod(0o600)
    office.lift_audit_guard()
    office.sql("UPDATE audit SET action = 'forged' WHERE id = 2")
    r, by = checks(office)
    assert r.code == 65 and not by["audit"]["ok"] and by["audit"]["detail"].startswith("row 2")
    assert by["files"]["ok"] and by["database"]["ok"]


@sqlite_only("the stored files are in the files/ folder beside the SQLite file")
def test_doctor_finds_a_stored_file_damaged_or_missing(office):
    [stored] = list((office.db.parent / "files").rglob("*"))[-1:]
    content = stored.read_bytes()
    stored.write_bytes(b"tampered")
    r, by = checks(office)
    assert r.code == 65 and not by["files"]["ok"] and "damaged" in by["files"]["detail"]
    stored.unlink()
    r, by = checks(office)
    assert r.code == 66 and "missing" in by["files"]["detail"]
    stored.write_bytes(content)
    r, by = checks(office)
    assert r.code == 0 and by["files"]["ok"], r


def test_doctor_without_a_database_says_so(practice):
    r = practice.run("--json", "doctor")
    assert r.code == 66
    assert r.json["checks"][0]["check"] == "database" and r.json["checks"][0]["ok"] is False


@BACKUP_IS_SQLITES
def test_a_backup_restores_elsewhere_to_the_same_firm_with_the_same_links(office, tmp_path):
    archive = tmp_path / "firm.tar"
    got = office.json("backup", archive)
    assert got["files"] == 1 and got["schema_version"] > 0
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    names = tarfile.open(archive).getnames()
    assert names[0] == "practice-backup/manifest.json"
    if not POSTGRES:  # the SQLite file and its key beside it, as they are
        assert names[1:3] == ["practice-backup/practice.db", "practice-backup/practice.db.key"]
    assert any(n.startswith("practice-backup/files/") for n in names)
    assert_refused(office, 65, "backup", archive, contains="already exists")

    (tmp_path / "elsewhere").mkdir()
    there = Practice(tmp_path / "elsewhere")
    there.write_config(office.config.read_text())
    there.env["PRACTICE_USER"] = "alice@acme.test"
    r = there.ok("restore", archive)
    assert r.out.startswith(f"Restored the firm from {archive}")
    assert there.ok("doctor").code == 0
    assert there.ok("audit", "--verify").out == office.ok("audit", "--verify").out
    links = lambda p: p.json("request", "show", office.rid, "--links")["links"]
    assert links(there) == links(office)
    out = tmp_path / "copy.pdf"
    there.ok("doc", "export", str(office.doc["id"]), "--to", out)
    assert out.read_bytes() == b"%PDF-1.4 the 2025 return"
    for f in [there.key_file] + ([] if POSTGRES else [there.db]):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600


@BACKUP_IS_SQLITES
def test_restore_never_overwrites_without_force(office, tmp_path):
    archive = tmp_path / "firm.tar"
    office.ok("backup", archive)
    office.ok("account", "add", "Added after the backup")
    r = assert_refused(office, 65, "restore", archive, contains="a database is already at")
    assert "--force" in r.err
    office.ok("restore", archive, "--force")
    assert [a["name"] for a in office.json("account", "list")] == ["Smith"]
    assert office.ok("doctor").code == 0


def bad_tar(path, members):
    with tarfile.open(path, "w") as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


@BACKUP_IS_SQLITES
def test_what_is_not_a_whole_backup_is_refused_before_anything_is_replaced(office, tmp_path):
    good = tmp_path / "firm.tar"
    office.ok("backup", good)
    raw = good.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(raw[: len(raw) // 2])
    other = bad_tar(tmp_path / "other.tar", [("etc/passwd", b"root:x:0:0")])
    escape = bad_tar(tmp_path / "escape.tar", [("practice-backup/../../x", b"x")])
    # One stored file's bytes changed: its hash no longer matches its name.
    with tarfile.open(good) as t:
        members = [(m.name, t.extractfile(m).read()) for m in t.getmembers()]
    damaged = bad_tar(tmp_path / "damaged.tar",
                      [(n, b"tampered" if "/files/" in n else d) for n, d in members])
    before = office.dump()
    key_before = office.key_file.read_bytes()
    for archive, why in ((cut, "not a practice backup"), (other, "not a practice backup"),
                         (escape, "not a practice backup"), (damaged, "does not match its hash")):
        assert_refused(office, 65, "restore", archive, "--force", contains=why)
        assert office.dump() == before
        assert office.key_file.read_bytes() == key_before
    assert_refused(office, 66, "restore", tmp_path / "missing.tar")
    if not POSTGRES:  # staging beside the SQLite file, cleaned up
        assert not list(office.db.parent.glob(".practice-tmp-*"))


@BACKUP_IS_SQLITES
def test_a_backup_taken_while_remind_runs_restores_to_a_firm_that_passes_doctor(firm, tmp_path):
    office = firm
    office.write_config('user = "alice@acme.test"\n[mail]\ntransport = "file"\ndir = "mail"\n')
    office.ok("account", "add", "Smith")
    office.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test")
    seed_due_requests(office, 3000)
    remind = subprocess.Popen([BIN, "--json", "--now", day(3), "remind", "--run"], env=office.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    taken = []
    try:
        time.sleep(0.2)
        while remind.poll() is None and len(taken) < 5:
            archive = tmp_path / f"during-{len(taken)}.tar"
            r = office.run("backup", archive)
            assert r.code == 0, r
            taken.append(archive)
    finally:
        out, err = remind.communicate(timeout=300)
    assert remind.returncode == 0, err
    assert taken, "remind --run ended before a backup started"
    (tmp_path / "restored").mkdir()
    there = Practice(tmp_path / "restored")
    there.write_config(office.config.read_text())
    there.ok("restore", taken[-1])
    r = there.run("--json", "doctor")
    assert r.code == 0, r
    assert there.run("audit", "--verify").code == 0


@pytest.mark.skipif(not POSTGRES, reason="the refusal is PostgreSQL's")
def test_backup_on_postgres_names_pg_dump(office, tmp_path):
    for args in (["backup", tmp_path / "b.tar"], ["restore", tmp_path / "b.tar"]):
        r = assert_refused(office, 64, *args, contains="this firm is on PostgreSQL")
        assert "pg_dump" in r.err
    assert not (tmp_path / "b.tar").exists()
