"""Bad input: one clear line, the documented exit code, an unchanged database."""
import json

import pytest

from conftest import assert_refused

BAD = [
    # (exit code, args, text in the error)
    (65, ["contact", "add", "--account", "Smith", "--name", "J", "--email", "not-an-email"], "not a valid email"),
    (65, ["contact", "add", "--account", "Smith", "--name", "J", "--email", "j@x.test\r\nRCPT TO:<e@x.test>"], "line break"),
    (65, ["staff", "add", "Eve", "--email", "eve@acme"], "not a valid email"),
    (66, ["account", "show", "999"], "no account with id 999"),
    (66, ["contact", "add", "--account", "Nobody", "--name", "J", "--email", "j@x.test"], "no account named"),
    (66, ["contact", "show", "77"], "no contact"),
    (64, ["account", "list", "--bogus"], "--bogus"),
    (64, ["account", "frobnicate"], "frobnicate"),
    (64, ["staff", "add", "Eve"], "--email"),
    (65, ["account", "add", ""], "must not be empty"),
    (65, ["account", "add", "   "], "must not be empty"),
    (65, ["account", "add", "two\nlines"], "line break"),
    (65, ["account", "add", "tab\x07bell"], "control characters"),
    (65, ["account", "add", "x" * 500], "too long"),
    (65, ["account", "add", "Smith", "--type", "alien"], "is not one of"),
    (65, ["staff", "add", "Eve", "--email", "eve@acme.test", "--role", "god"], "is not one of"),
    (65, ["account", "edit", "Smith", "--name", "a\nb"], "line break"),
    (65, ["audit", "--item", "account"], "KIND:ID"),
    (65, ["audit", "--since", "last tuesday"], "is not a time"),
    (65, ["--now", "tomorrow", "account", "add", "X"], "ISO 8601"),
    (65, ["account", "archive", "Jones"], None),  # archived already below
    (65, ["account", "assign", "Smith", "alice@acme.test"], "already assigned"),
]


@pytest.fixture
def seeded(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("account", "add", "Jones")
    firm.ok("account", "archive", "Jones")
    firm.ok("account", "assign", "Smith", "alice@acme.test")
    return firm


@pytest.mark.parametrize("code,args,text", BAD, ids=[" ".join(a)[:40] for _, a, _ in BAD])
def test_bad_input_is_refused_cleanly(seeded, code, args, text):
    assert_refused(seeded, code, *args, contains=text)


def test_errors_in_json_mode_are_json_on_stderr(seeded):
    before = seeded.dump()
    r = seeded.run("--json", "account", "show", "999")
    assert r.code == 66 and r.out == ""
    err = json.loads(r.err)
    assert err["error"]["code"] == "not_found"
    assert "999" in err["error"]["message"]
    r = seeded.run("account", "list", "--json", "--bogus")
    assert r.code == 64 and json.loads(r.err)["error"]["code"] == "usage"
    assert seeded.dump() == before


def test_help_and_version_need_no_database(practice):
    r = practice.ok("--version")
    assert r.out.startswith("practice ")
    for args in (["--help"], ["account", "--help"], ["contact", "add", "--help"]):
        r = practice.ok(*args)
        assert "Usage" in r.out or "Options" in r.out or "OPTIONS" in r.out
    assert not practice.exists()


def test_unknown_command_suggests(practice):
    r = practice.run("acount", "list")
    assert r.code == 64
    assert 'did you mean "account"' in r.err
