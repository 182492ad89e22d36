"""config.toml: defaults, unknown keys, wrong types, private passwords."""
import os

import pytest

from conftest import POSTGRES, assert_refused, sqlite_only


@sqlite_only("on PostgreSQL the link key's file is named in the config, so the tests always write one")
def test_missing_default_config_means_defaults(firm):
    assert not firm.config.exists()
    firm.ok("account", "list")


def test_unknown_keys_warn_on_stderr(firm):
    firm.write_config('user = "alice@acme.test"\ncolour = "always"\n[smtp]\nurll = "x"\n')
    r = firm.ok("account", "list")
    assert "unknown config key 'colour'" in r.err
    assert "unknown config key 'smtp.urll'" in r.err
    assert str(firm.config) in r.err
    assert firm.ok("-q", "account", "list").err == ""


def test_wrong_type_exits_78_naming_key_and_file(firm):
    firm.write_config("[reminders]\nevery_days = \"three\"\n")
    r = assert_refused(firm, 78, "account", "add", "Smith", contains="'reminders.every_days'")
    assert str(firm.config) in r.err
    firm.write_config("[mail]\ntransport = \"pigeon\"\n")
    assert_refused(firm, 78, "account", "add", "Smith", contains="'mail.transport'")
    firm.write_config("[smtp]\nconnections = 0\n")
    assert_refused(firm, 78, "account", "add", "Smith", contains="'smtp.connections'")
    firm.write_config("not = [valid\n")
    assert_refused(firm, 78, "account", "add", "Smith", contains="line 1")


def test_explicit_missing_config_is_an_error(firm, tmp_path):
    assert_refused(firm, 78, "--config", tmp_path / "nope.toml", "account", "add", "Smith",
                   contains="cannot read the config file")


def test_config_path_from_env(firm, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(firm.backend_config("bogus_key = 1\n"))
    r = firm.ok("account", "list", env={"PRACTICE_CONFIG": str(other)})
    assert "bogus_key" in r.err


def test_password_in_a_readable_config_is_refused(firm):
    firm.write_config('[smtp]\nurl = "smtp://127.0.0.1:2525"\npassword = "hunter2"\n')
    os.chmod(firm.config, 0o644)
    r = assert_refused(firm, 78, "account", "add", "Smith", contains="chmod 600")
    assert "hunter2" not in r.err
    os.chmod(firm.config, 0o600)
    firm.ok("account", "add", "Smith")


def test_config_check_names_every_bad_and_unknown_key_then_passes_when_fixed(firm):
    firm.write_config('user = "alice@acme.test"\n[smtp]\nconnections = 99\n[portal]\nthreads = 0\nbogus = 1\n'
                      '[mail]\ntransport = "pigeon"\n')
    r = firm.run("config", "check")
    assert r.code == 78, r
    for key in ("'smtp.connections'", "'portal.threads'", "'portal.bogus'", "'mail.transport'"):
        assert key in r.out, key
    assert len(r.out.splitlines()) == 4
    assert r.err.startswith(f"practice: error: {firm.config} has 4 problems")
    j = firm.run("--json", "config", "check")
    assert j.code == 78 and j.json["ok"] is False and len(j.json["problems"]) == 4
    firm.write_config('user = "alice@acme.test"\n[smtp]\nconnections = 2\n')
    ok = firm.ok("config", "check")
    assert "every key is known and valid" in ok.out
    firm.write_config("not = [valid\n")
    assert "line 1" in firm.run("config", "check").out


def test_config_show_gives_each_value_and_its_source_and_never_a_secret(firm):
    firm.write_config('user = "alice@acme.test"\n[smtp]\nurl = "smtp://mail.acme.test:587"\n'
                      'password = "hunter2-secret"\n')
    firm.config.chmod(0o600)
    rows = {r["key"]: r for r in firm.json("config", "show")}
    assert rows["smtp.url"] == {"key": "smtp.url", "value": "smtp://mail.acme.test:587",
                                "source": f"{firm.config} line 3"}
    assert rows["smtp.connections"]["source"] == "default" and rows["smtp.connections"]["value"] == 4
    assert rows["smtp.password"]["value"] == "(hidden)"
    assert rows["database"]["value"] == firm.db_arg
    assert rows["acting staff"]["value"] == "alice@acme.test"
    human = firm.ok("config", "show").out
    assert "hunter2" not in human and "hunter2" not in firm.ok("--json", "config", "show").out
    assert "(hidden)" in human
    # A password in a file others can read is refused here too.
    firm.config.chmod(0o644)
    assert_refused(firm, 78, "config", "show", contains="other users can read it")


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only: [database] url names a server")
def test_database_url_in_the_config_names_the_database(practice):
    """Without --db or PRACTICE_DB, `[database] url` is the database."""
    url = practice.env.pop("PRACTICE_DB")
    practice.write_config(f'[database]\nurl = "{url}"\n')
    practice.ok("init", "--firm", "Acme CPA")
    assert practice.exists()
    assert practice.sql("SELECT name FROM firm") == [("Acme CPA",)]
    assert {r["key"]: r for r in practice.json("config", "show")}["database"]["value"] == url
