"""staff, account and contact commands, as a new user would try them."""
from conftest import assert_refused, who


def test_first_staff_member_is_owner_and_needs_no_actor(practice):
    practice.ok("init")
    s = practice.json("staff", "add", "Alice Silva", "--email", "alice@acme.test")
    assert s["role"] == "owner"
    assert s["id"] == 1
    assert s["removed_at"] is None


def test_staff_lifecycle(firm):
    bob = firm.json("staff", "add", "Bob", "--email", "bob@acme.test", "--role", "admin")
    assert bob["role"] == "admin"
    firm.ok("staff", "add", "Carol", "--email", "carol@acme.test", "--view-all-accounts")
    names = [s["name"] for s in firm.json("staff", "list")]
    assert names == ["Alice Silva", "Bob", "Carol"]
    edited = firm.json("staff", "edit", "Carol", "--role", "admin", "--view-all-accounts", "off")
    assert edited["role"] == "admin" and edited["view_all_accounts"] is False
    firm.ok("staff", "remove", "bob@acme.test")
    assert [s["name"] for s in firm.json("staff", "list")] == ["Alice Silva", "Carol"]
    assert len(firm.json("staff", "list", "--all")) == 3
    shown = firm.json("staff", "show", "1")
    assert shown["email"] == "alice@acme.test" and shown["accounts"] == []


def test_staff_permissions(firm):
    firm.ok("staff", "add", "Bob", "--email", "bob@acme.test")
    assert_refused(firm, 77, "--as", "bob@acme.test", "staff", "add", "Eve", "--email", "eve@acme.test")
    assert_refused(firm, 65, "staff", "remove", "alice@acme.test", contains="last owner")
    assert_refused(firm, 65, "staff", "add", "Alice 2", "--email", "ALICE@acme.test",
                   contains="already has the email")


def test_actor_resolution(firm):
    firm.ok("staff", "add", "Bob", "--email", "bob@acme.test")
    # No actor at all once staff exist.
    assert_refused(firm, 77, "account", "add", "Smith", env={"PRACTICE_USER": ""},
                   contains="no acting staff member")
    # An actor that is no staff member.
    assert_refused(firm, 77, "--as", "mallory@acme.test", "account", "add", "Smith")
    # By name through --as, by config user.
    firm.ok("--as", "Bob", "account", "add", "Smith")
    firm.write_config('user = "bob@acme.test"\n')
    firm.ok("account", "add", "Jones", env={"PRACTICE_USER": ""})
    actors = [who(e) for e in firm.json("audit") if e["action"] == "created" and e["item"].startswith("account")]
    assert actors == ["bob@acme.test", "bob@acme.test"]


def test_accounts(firm):
    a = firm.json("account", "add", "Smith Family")
    assert a == {"id": 1, "name": "Smith Family", "type": "individual", "contact_count": 0,
                 "assigned": [], "created_at": a["created_at"], "archived_at": None,
                 "reminders_paused": False, "reminders_paused_until": None}
    firm.ok("account", "add", "Rossi SRL", "--type", "company")
    assert [x["name"] for x in firm.json("account", "list")] == ["Rossi SRL", "Smith Family"]
    firm.ok("account", "edit", "Smith Family", "--name", "Smith Household")
    firm.ok("account", "assign", "1", "alice@acme.test")
    shown = firm.json("account", "show", "Smith Household")
    assert shown["assigned"][0]["email"] == "alice@acme.test"
    assert [x["name"] for x in firm.json("account", "list", "--assigned", "alice@acme.test")] == ["Smith Household"]
    firm.ok("account", "unassign", "1", "alice@acme.test")
    firm.ok("account", "archive", "Rossi SRL")
    assert [x["name"] for x in firm.json("account", "list")] == ["Smith Household"]
    archived = [x for x in firm.json("account", "list", "--archived") if x["archived_at"]]
    assert [x["name"] for x in archived] == ["Rossi SRL"]
    firm.ok("account", "unarchive", "Rossi SRL")
    assert len(firm.json("account", "list")) == 2


def test_human_output_is_a_table_without_colour_off_a_terminal(firm):
    firm.ok("account", "add", "Smith")
    out = firm.ok("account", "list").out
    assert out.splitlines()[0].split() == ["ID", "NAME", "TYPE", "CONTACTS", "ASSIGNED"]
    assert "\x1b[" not in out
    assert "Smith" in out.splitlines()[1]


def test_empty_lists(firm):
    assert firm.json("account", "list") == []
    assert firm.json("contact", "list") == []
    r = firm.ok("account", "list")
    assert r.out == ""
    assert firm.ok("-q", "account", "list").err == ""


def test_global_options_before_or_after_the_subcommand(firm):
    firm.ok("account", "add", "Smith")
    assert firm.ok("account", "list", "--json").json == firm.ok("--json", "account", "list").json
    assert firm.run("account", "list", "--db", firm.db_arg).code == 0


def test_ambiguous_and_near_miss_names(firm):
    firm.ok("account", "add", "Smith")
    firm.ok("account", "add", "Smith", "--allow-duplicate")
    r = assert_refused(firm, 65, "account", "show", "Smith", contains="ambiguous")
    assert "1 (" in r.err and "2 (" in r.err
    assert_refused(firm, 66, "account", "show", "Smyth", contains='did you mean "Smith"')
    assert_refused(firm, 66, "account", "show", "42", contains="no account with id 42")


def test_member_permissions_on_accounts(firm):
    firm.ok("staff", "add", "Bob", "--email", "bob@acme.test")
    firm.ok("staff", "add", "Vera", "--email", "vera@acme.test", "--view-all-accounts")
    firm.ok("account", "add", "Smith")
    assert_refused(firm, 77, "--as", "bob@acme.test", "account", "edit", "Smith", "--name", "X",
                   contains="not assigned")
    assert_refused(firm, 77, "--as", "bob@acme.test", "contact", "add", "--account", "Smith",
                   "--name", "J", "--email", "j@smith.test")
    assert_refused(firm, 77, "--as", "bob@acme.test", "account", "assign", "Smith", "bob@acme.test")
    firm.ok("--as", "vera@acme.test", "account", "edit", "Smith", "--name", "Smith Family")
    firm.ok("account", "assign", "Smith Family", "Bob")
    firm.ok("--as", "bob@acme.test", "contact", "add", "--account", "Smith Family", "--name", "J",
            "--email", "j@smith.test")
    # A member who adds an account is assigned to it.
    mine = firm.json("--as", "bob@acme.test", "account", "add", "Bob's client")
    assert [s["email"] for s in mine["assigned"]] == ["bob@acme.test"]


def test_contacts(firm):
    firm.ok("account", "add", "Smith")
    c = firm.json("contact", "add", "--account", "Smith", "--name", "John Smith",
                  "--email", "John@Smith.TEST", "--portal")
    assert c["email"] == "John@smith.test"
    assert c["notify"] is True and c["portal"] is True and c["account"] == "Smith"
    firm.ok("contact", "add", "--account", "1", "--name", "Jane", "--email", "jane@smith.test",
            "--no-notify")
    assert [x["notify"] for x in firm.json("contact", "list", "--account", "Smith")] == [False, True]
    firm.ok("contact", "edit", "jane@smith.test", "--notify", "on", "--name", "Jane Smith")
    assert firm.json("contact", "show", "Jane Smith")["notify"] is True
    assert_refused(firm, 65, "contact", "add", "--account", "Smith", "--name", "Dup",
                   "--email", "jane@smith.test", contains="already has a contact")
    assert_refused(firm, 65, "contact", "edit", "jane@smith.test", "--notify", "maybe")
    firm.ok("contact", "remove", "jane@smith.test")
    assert [x["name"] for x in firm.json("contact", "list")] == ["John Smith"]
    assert firm.json("account", "show", "Smith")["contact_count"] == 1
    # The same email at two accounts: ambiguous unless narrowed by --account.
    firm.ok("account", "add", "Jones")
    firm.ok("contact", "add", "--account", "Jones", "--name", "J2", "--email", "john@smith.test")
    assert_refused(firm, 65, "contact", "show", "john@smith.test", contains="ambiguous")
    assert firm.json("contact", "show", "john@smith.test", "--account", "Jones")["name"] == "J2"


def test_colour_only_on_a_terminal_and_never_with_no_color(firm):
    """`script` gives practice a real terminal."""
    import shlex
    import subprocess
    firm.ok("account", "add", "Smith")
    from conftest import BIN
    cmd = f"{shlex.quote(BIN)} account list"
    env = dict(firm.env, TERM="xterm")
    tty = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=env)
    assert "\x1b[1m" in tty.stdout
    env["NO_COLOR"] = "1"
    plain = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=env)
    assert "\x1b[" not in plain.stdout and "Smith" in plain.stdout


def test_confirmations_name_the_person_and_the_account_not_the_ids_typed(firm):
    firm.ok("staff", "add", "Bruno Costa", "--email", "bruno@acme.test")
    firm.ok("account", "add", "Smith")
    r = firm.ok("account", "assign", "1", "2")
    assert r.out == "Assigned Bruno Costa <bruno@acme.test> to account 1: Smith\n"
    r = firm.ok("account", "unassign", "Smith", "bruno@acme.test")
    assert r.out == "Unassigned Bruno Costa <bruno@acme.test> from account 1: Smith\n"


def test_an_empty_filtered_outbox_says_what_it_filtered(firm):
    firm.ok("outbox", "--status", "queued")
    r = firm.run("outbox", "--status", "queued")
    assert r.code == 0 and "no queued messages" in r.err + r.out
