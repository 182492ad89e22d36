"""The link key's fingerprint: the database keeps an HMAC of a fixed label
under the firm's key (never the key), so a machine whose key file is missing
or is another firm's is refused instead of making links no one can open."""
import hashlib
import hmac
import os

import pytest

from conftest import assert_refused


def fingerprint_of(key):
    return hmac.new(key, b"practice-link-key-fingerprint:v1", hashlib.sha256).hexdigest()


def stored(p):
    return [f for (f,) in p.sql("SELECT fingerprint FROM link_key")]


@pytest.fixture
def office(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John", "--email", "john@smith.test", "--portal")
    r = firm.json("request", "create", "--account", "Smith", "--title", "Receipts", "--draft")
    firm.rid = str(r["id"])
    firm.ok("request", "question", "add", firm.rid, "--type", "text", "--prompt", "Q")
    firm.ok("request", "send", firm.rid)
    return firm


def test_init_makes_the_key_and_keeps_its_fingerprint_never_the_key(office):
    key = office.key_file.read_bytes()
    assert stored(office) == [fingerprint_of(key)]
    assert key not in office.stored_bytes() and key.hex().encode() not in office.stored_bytes()
    links = office.json("request", "show", office.rid, "--links")["links"]
    assert links and all(fingerprint_of(key) not in l["token"] for l in links)


def test_a_missing_key_file_is_refused_and_no_key_is_made(office):
    office.key_file.unlink()
    r = assert_refused(office, 78, "request", "show", office.rid, "--links", contains=str(office.key_file))
    assert "is missing" in r.err and "copy it" in r.err and "machine that holds" in r.err
    assert not office.key_file.exists()
    # init on a second machine does not make a new key either.
    assert_refused(office, 78, "init", contains="is missing")
    assert not office.key_file.exists()


def test_another_firms_key_is_refused(office):
    mine = office.key_file.read_bytes()
    office.key_file.unlink()
    office.key_file.write_bytes(os.urandom(32))
    office.key_file.chmod(0o600)
    r = assert_refused(office, 78, "request", "show", office.rid, "--links", contains="is not this firm's")
    assert str(office.key_file) in r.err
    assert stored(office) == [fingerprint_of(mine)]


def test_the_first_link_of_a_firm_without_a_key_records_the_fingerprint(office):
    # A firm made before init made the key: no key file, no fingerprint.
    office.key_file.unlink()
    office.sql("DELETE FROM link_key")
    office.json("request", "show", office.rid, "--links")
    key = office.key_file.read_bytes()
    assert stored(office) == [fingerprint_of(key)]


def test_a_firm_made_before_fingerprints_records_its_existing_keys(office):
    key = office.key_file.read_bytes()
    office.sql("DELETE FROM link_key")
    first = office.json("request", "show", office.rid, "--links")["links"]
    assert stored(office) == [fingerprint_of(key)] and office.key_file.read_bytes() == key
    assert office.json("request", "show", office.rid, "--links")["links"] == first


def test_doctor_reports_a_missing_or_foreign_key(office):
    r = office.ok("doctor")
    assert "fingerprint matches" in r.out
    key = office.key_file.read_bytes()
    office.key_file.unlink()
    r = office.run("doctor")
    assert r.code != 0 and "FAIL  link key" in r.out and "copy it" in r.out
    office.key_file.write_bytes(os.urandom(32))
    office.key_file.chmod(0o600)
    r = office.run("doctor")
    assert r.code == 78 and "FAIL  link key" in r.out and "is not this firm's" in r.out
    assert key.hex() not in r.out + r.err
