"""`account import` and one record per client: a firm gets its clients in
from a spreadsheet's CSV, twice without harm, and `account add` no longer
makes silent duplicates."""
import pytest
from conftest import assert_refused

HEADER = "name,type,contact_name,contact_email,notify,portal,language,assigned\n"
FIFTY = HEADER + "".join(
    f"Client {i:02d},{'company' if i % 2 else 'individual'},Person {i:02d},p{i:02d}@clients.test,yes,"
    f"{'yes' if i % 3 == 0 else 'no'},{['en', 'pt', 'ro', 'it'][i % 4]},{'alice@acme.test' if i < 10 else ''}\n"
    for i in range(50))


def write(p, name, text, encoding="utf-8"):
    path = p.root / name
    path.write_bytes(text.encode(encoding))
    return path


def test_fifty_clients_in_then_the_same_file_again_changes_nothing(firm):
    f = write(firm, "clients.csv", FIFTY)
    first = firm.json("account", "import", f)
    assert first == {"accounts_created": 50, "accounts_existing": 0, "contacts_created": 50,
                     "contacts_existing": 0, "assignments_created": 10, "dry_run": False}
    accounts = firm.json("account", "list")
    assert len(accounts) == 50
    c = firm.json("contact", "show", "p08@clients.test")
    assert (c["account"], c["name"], c["notify"], c["portal"], c["language"]) == (
        "Client 08", "Person 08", True, False, "en")
    assert firm.json("contact", "show", "p03@clients.test")["portal"] is True
    assert firm.json("account", "show", "Client 01")["type"] == "company"
    before = firm.dump()
    again = firm.json("account", "import", f)
    assert again == {"accounts_created": 0, "accounts_existing": 50, "contacts_created": 0,
                     "contacts_existing": 50, "assignments_created": 0, "dry_run": False}
    assert firm.dump() == before
    r = firm.ok("account", "import", f)
    assert r.out == ("Added 0 accounts and 0 contacts (50 accounts and 50 contacts already there): "
                     "nothing to change\n")


def test_several_rows_of_one_account_add_its_contacts_and_existing_ones_are_reused(firm):
    firm.ok("account", "add", "Rossi SRL", "--type", "company")
    firm.ok("contact", "add", "--account", "Rossi SRL", "--name", "Giulia", "--email", "giulia@rossi.test")
    f = write(firm, "c.csv", "name,contact_name,contact_email\n"
                             "rossi srl,Giulia R.,GIULIA@rossi.test\n"
                             "Rossi SRL,Marco,marco@rossi.test\n"
                             "Rossi SRL,Marco again,marco@rossi.test\n")
    got = firm.json("account", "import", f)
    assert got["accounts_created"] == 0 and got["accounts_existing"] == 1
    # Giulia was there (emails match in any case); Marco is added once.
    assert got["contacts_created"] == 1 and got["contacts_existing"] == 1
    names = sorted(c["name"] for c in firm.json("contact", "list", "--account", "Rossi SRL"))
    assert names == ["Giulia", "Marco"]  # an existing contact is left as it is


def test_semicolons_quotes_line_breaks_bom_and_crlf_as_spreadsheets_write_them(firm):
    text = ("\ufeffname;type;contact_name;contact_email\r\n"
            "\"Silva, Costa & Filhos; Lda\";company;\"Ana \"\"Nita\"\" Silva\";ana@silva.test\r\n"
            "\r\n"
            "Ștefănescu Ion;individual;;ion@stefanescu.test\r\n")
    f = write(firm, "pt.csv", text)
    got = firm.json("account", "import", f)
    assert got["accounts_created"] == 2 and got["contacts_created"] == 2
    c = firm.json("contact", "show", "ana@silva.test")
    assert c["account"] == "Silva, Costa & Filhos; Lda" and c["name"] == 'Ana "Nita" Silva'
    # An individual without a contact name is their own contact.
    assert firm.json("contact", "show", "ion@stefanescu.test")["name"] == "Ștefănescu Ion"


def test_standard_input_and_a_dry_run_that_changes_nothing(firm):
    before = firm.dump()
    r = firm.ok("account", "import", "-", "--dry-run", input=FIFTY)
    assert r.out.startswith("Would add 50 accounts and 50 contacts") and "nothing changed (--dry-run)" in r.out
    assert firm.dump() == before
    assert firm.json("account", "import", "-", input=FIFTY)["accounts_created"] == 50


@pytest.mark.parametrize("text,where", [
    (HEADER + "Good,company,G,g@x.test,,,,\nBad,company,B,not-an-email,,,,\n",
     "line 3, column 4 (contact_email)"),
    (HEADER + "Good,company,G,g@x.test,,,,\nBad,sole trader,B,b@x.test,,,,\n", "line 3, column 2 (type)"),
    (HEADER + "Good,company,G,g@x.test,maybe,,,\n", "line 2, column 5 (notify)"),
    (HEADER + "Good,company,G,g@x.test,,,klingon,\n", "line 2, column 7 (language)"),
    (HEADER + "Good,company,G,g@x.test,,,,nobody@acme.test\n", "line 2, column 8 (assigned)"),
    (HEADER + ",company,G,g@x.test,,,,\n", "line 2, column 1 (name)"),
    (HEADER + "Good,company,G,,,,,\n", "line 2, column 4 (contact_email)"),
    ("name,emial\nX,y\n", "line 1, column 2 (emial)"),
    ("type\ncompany\n", "line 1: the header has no column \"name\""),
    ("name\n\"unclosed\n", "line 2"),
    (HEADER + "A,company,G,g@x.test,,,,,extra\n", "line 2: 9 fields"),
])
def test_a_bad_line_names_line_and_column_and_imports_nothing(firm, text, where):
    f = write(firm, "bad.csv", text)
    code = 66 if "nobody@" in text else 65
    r = assert_refused(firm, code, "account", "import", f, contains=where)
    assert "bad.csv" in r.err
    assert firm.json("account", "list") == []


def test_text_that_is_not_utf8_is_refused_with_what_to_do(firm):
    f = write(firm, "latin1.csv", "name\nJoão\n", encoding="latin-1")
    r = assert_refused(firm, 65, "account", "import", f, contains="line 2, column 1: the text is not UTF-8")
    assert "CSV UTF-8" in r.err


def test_a_missing_file_is_66_and_an_empty_one_65(firm):
    assert_refused(firm, 66, "account", "import", firm.root / "nope.csv")
    assert_refused(firm, 65, "account", "import", write(firm, "empty.csv", ""), contains="the file is empty")


def test_account_add_refuses_a_name_an_active_account_has(firm):
    firm.ok("account", "add", "Smith Holdings")
    r = assert_refused(firm, 65, "account", "add", "smith holdings",
                       contains='account 1 is already named "Smith Holdings"')
    assert "--allow-duplicate" in r.err
    second = firm.json("account", "add", "Smith Holdings", "--allow-duplicate")
    assert second["id"] == 2
    # Two active ones: a name is ambiguous, and says which they are.
    assert_refused(firm, 65, "account", "show", "Smith Holdings", contains="ambiguous")
    # Archived ones neither block a name nor get in the way of a reference.
    firm.ok("account", "archive", "2")
    assert firm.json("account", "show", "Smith Holdings")["id"] == 1
    firm.ok("account", "archive", "1")
    third = firm.json("account", "add", "Smith Holdings")
    assert firm.json("account", "show", "Smith Holdings")["id"] == third["id"]
    firm.ok("contact", "add", "--account", "Smith Holdings", "--name", "J", "--email", "j@smith.test")
    # Renaming onto an active account's name is refused as adding is; a case change of its own name is not.
    firm.ok("account", "add", "Jones")
    before = firm.dump()
    assert_refused(firm, 65, "account", "edit", "Jones", "--name", "SMITH HOLDINGS",
                   contains=f'account {third["id"]} is already named "Smith Holdings"')
    assert firm.dump() == before
    assert firm.json("account", "edit", "Jones", "--name", "JONES")["name"] == "JONES"
    # Unarchiving one whose name an active account now has is refused too, naming both.
    assert_refused(firm, 65, "account", "unarchive", "1",
                   contains=f'account {third["id"]} is already named "Smith Holdings"; unarchived, account 1')


def test_contact_language_is_kept_and_checked(firm):
    firm.ok("account", "add", "Rossi")
    c = firm.json("contact", "add", "--account", "Rossi", "--name", "Giulia", "--email", "g@rossi.test",
                  "--language", "IT")
    assert c["language"] == "it"
    assert_refused(firm, 65, "contact", "add", "--account", "Rossi", "--name", "M", "--email", "m@rossi.test",
                   "--language", "de", contains='does not write client text in "de"')
    assert firm.json("contact", "edit", "g@rossi.test", "--language", "ro")["language"] == "ro"
    assert firm.json("contact", "edit", "g@rossi.test", "--language", "")["language"] is None
    assert firm.json("contact", "show", "g@rossi.test")["language"] is None
