"""Documents and approvals end to end against a real SMTP server."""
import email
import email.policy

import pytest

from conftest import assert_refused, who
from mailserver import SmtpServer, smtp_config


@pytest.fixture
def office(firm, tmp_path):
    srv = SmtpServer(tmp_path, "--keep-content")
    firm.write_config('user = "alice@acme.test"\n[firm]\nnotify = ["office@acme.test"]\n'
                      '[portal]\nbase_url = "https://portal.acme.test"\n' + smtp_config(srv.port))
    for name, contacts in (("Smith", [("John", "john@smith.test", True), ("Jane", "jane@smith.test", False)]),
                           ("Rossi", [("Giulia", "giulia@rossi.test", True)])):
        firm.ok("account", "add", name)
        for cname, mail, notify in contacts:
            firm.ok("contact", "add", "--account", name, "--name", cname, "--email", mail,
                    *([] if notify else ["--no-notify"]))
    firm.ok("folder", "add", "Internal")
    firm.ok("folder", "add", "Client documents", "--client-can-view")
    doc = tmp_path / "2025 return.pdf"
    doc.write_bytes(b"%PDF-1.4 the return")
    firm.doc = doc
    firm.srv = srv
    yield firm
    srv.stop()


def recipients(p):
    return sorted(m["to"][0] for m in p.srv.messages())


def add_doc(p, account="Smith", folder="Client documents", desc="Your 2025 return"):
    return p.json("doc", "add", "--account", account, p.doc, "--folder", folder, "--description", desc)


def test_private_folder_is_refused_naming_the_folder(office):
    d = add_doc(office, folder="Internal")
    r = assert_refused(office, 65, "approval", "request", str(d["id"]), contains='"Internal"')
    assert "--client-can-view on" in r.err
    office.ok("folder", "edit", "Internal", "--client-can-view", "on")
    office.ok("approval", "request", str(d["id"]))


def test_request_reaches_notify_contacts_and_duplicates_are_refused(office):
    d = add_doc(office)
    assert d["client_can_view"] and d["size"] == len(office.doc.read_bytes())
    a = office.json("approval", "request", str(d["id"]), "--message", "Please check page 2.")
    assert a["status"] == "pending" and a["mail"]["sent"] == 1
    assert recipients(office) == ["john@smith.test"]
    body = email.message_from_bytes(office.srv.contents()[0], policy=email.policy.default).get_content()
    assert "2025 return.pdf" in body and "Please check page 2." in body and "https://portal.acme.test/a/" in body
    assert_refused(office, 65, "approval", "request", str(d["id"]), contains="pending already")


def test_disapprove_needs_a_reason_then_shows_them_and_tells_the_firm(office):
    d = add_doc(office)
    a = office.json("approval", "request", str(d["id"]))
    aid = str(a["id"])
    assert_refused(office, 65, "approval", "disapprove", aid, contains="at least one --reason")
    r = office.json("approval", "disapprove", aid, "--reason", "Wrong year", "--reason", "Missing page",
                    "--comment", "Call me", "--by", "john@smith.test")
    assert r["status"] == "disapproved" and r["reasons"] == ["Wrong year", "Missing page"]
    shown = office.json("approval", "show", aid)
    assert shown["comment"] == "Call me" and who(shown, "decided_by") == "john@smith.test"
    assert shown["disapproved_at"] is not None
    human = office.ok("approval", "show", aid).out
    assert "Wrong year; Missing page" in human
    notices = [m for m in office.srv.messages() if m["to"] == ["office@acme.test"]]
    assert len(notices) == 1
    assert_refused(office, 65, "approval", "approve", aid)
    # The firm fixes it and asks again: a new approval.
    again = office.json("approval", "request", str(d["id"]))
    assert again["id"] != a["id"]


def test_approval_moves_a_linked_job_and_disapproval_does_not(office):
    office.ok("pipeline", "create", "Returns", "--stage", "Review", "--stage", "Filing", "--stage", "Done")
    office.ok("pipeline", "stage", "edit", "Returns", "Review", "--automove", "on")
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Returns")
    jid = str(job["id"])
    d = add_doc(office)
    first = office.json("approval", "request", str(d["id"]), "--job", jid)
    office.ok("approval", "disapprove", str(first["id"]), "--reason", "Typo")
    shown = office.json("job", "show", jid)
    assert shown["stage"] == "Review"
    assert shown["blocked_by"][0]["kind"] == "approval"
    second = office.json("approval", "request", str(d["id"]))
    office.ok("job", "link", jid, "--approval", str(second["id"]))
    office.ok("approval", "approve", str(second["id"]), "--by", "John")
    assert office.json("job", "show", jid)["stage"] == "Filing"
    moves = [e for e in office.json("audit", "--item", f"job:{jid}") if e["action"] == "moved"]
    assert moves[-1]["details"]["trigger"] == f"approval:{second['id']} approved"


def test_a_fixed_document_uploaded_anew_supersedes_the_disapproved_one(office, tmp_path):
    office.ok("pipeline", "create", "Returns", "--stage", "Review", "--stage", "Done")
    office.ok("pipeline", "stage", "edit", "Returns", "Review", "--automove", "on")
    jid = str(office.json("job", "create", "--account", "Smith", "--pipeline", "Returns")["id"])
    d1 = add_doc(office)
    a1 = office.json("approval", "request", str(d1["id"]), "--job", jid)
    office.ok("approval", "disapprove", str(a1["id"]), "--reason", "Typo")
    office.doc.write_bytes(b"%PDF-1.4 the return, fixed")
    d2 = add_doc(office)
    a2 = office.json("approval", "request", str(d2["id"]), "--job", jid)
    assert [b["id"] for b in office.json("job", "show", jid)["blocked_by"]] == [a2["id"]]
    office.ok("approval", "approve", str(a2["id"]))
    assert office.json("job", "show", jid)["stage"] == "Done"


def test_cancel_and_resend(office):
    d1 = add_doc(office)
    d2 = add_doc(office, desc="Engagement letter")
    d3 = add_doc(office, account="Rossi")
    a1 = office.json("approval", "request", str(d1["id"]))
    a2 = office.json("approval", "request", str(d2["id"]))
    a3 = office.json("approval", "request", str(d3["id"]))
    before = len(office.srv.messages())
    office.ok("approval", "cancel", str(a2["id"]))
    assert_refused(office, 65, "approval", "cancel", str(a2["id"]))
    assert_refused(office, 65, "approval", "resend", str(a2["id"]))
    one = office.json("approval", "resend", str(a1["id"]), "--message", "Reminder from Alice")
    assert one["mail"]["sent"] == 1
    allp = office.json("approval", "resend", "--all-pending")
    assert sorted(a["id"] for a in allp["approvals"]) == sorted([a1["id"], a3["id"]])
    rossi = office.json("approval", "resend", "--all-pending", "--account", "Rossi")
    assert [a["id"] for a in rossi["approvals"]] == [a3["id"]]
    assert len(office.srv.messages()) == before + 1 + 2 + 1
    assert_refused(office, 64, "approval", "resend")
    resent = [e for e in office.json("audit", "--item", f"approval:{a1['id']}") if e["action"] == "resent"]
    assert len(resent) == 2


def test_filters(office):
    d1 = add_doc(office)
    d2 = add_doc(office, account="Rossi")
    a1 = office.json("approval", "request", str(d1["id"]))
    a2 = office.json("approval", "request", str(d2["id"]))
    office.ok("approval", "approve", str(a2["id"]))
    assert [a["id"] for a in office.json("approval", "list", "--status", "pending")] == [a1["id"]]
    assert [a["id"] for a in office.json("approval", "list", "--account", "Rossi")] == [a2["id"]]
    assert [a["name"] for a in office.json("account", "list", "--pending-approvals")] == ["Smith"]
    table = office.ok("approval", "list", "--status", "approved").out.splitlines()
    assert table[0].split()[:3] == ["ID", "DOCUMENT", "ACCOUNT"] and len(table) == 2 and "Rossi" in table[1]
    assert office.json("approval", "list", "--status", "disapproved") == []
    assert_refused(office, 65, "approval", "list", "--status", "maybe")
    assert [d["id"] for d in office.json("doc", "list", "--account", "Rossi")] == [d2["id"]]
    assert len(office.json("doc", "list", "--folder", "Client documents")) == 2


def test_documents(office, tmp_path):
    d = add_doc(office)
    out = tmp_path / "copy.pdf"
    office.ok("doc", "export", str(d["id"]), "--to", out)
    assert out.read_bytes() == office.doc.read_bytes()
    assert_refused(office, 65, "doc", "export", str(d["id"]), "--to", out, contains="already exists")
    assert office.json("doc", "show", str(d["id"]))["folder"] == "Client documents"
    assert_refused(office, 66, "doc", "add", "--account", "Smith", tmp_path / "missing.pdf")
    assert_refused(office, 66, "doc", "add", "--account", "Smith", office.doc, "--folder", "Nope")
    assert_refused(office, 65, "folder", "add", "internal")


def test_a_document_uploaded_without_a_folder_can_be_put_in_one_and_then_sent_for_approval(office):
    d = office.json("doc", "add", "--account", "Smith", office.doc)
    did = str(d["id"])
    assert d["folder"] is None
    assert_refused(office, 65, "approval", "request", did)
    e = office.json("doc", "edit", did, "--folder", "Client documents", "--description", "The 2025 return")
    assert (e["folder"], e["client_can_view"], e["description"]) == ("Client documents", True, "The 2025 return")
    assert office.ok("doc", "edit", did, "--description", "The 2025 return").out.startswith("Saved document")
    edits = [x for x in office.json("audit", "--item", f"document:{did}") if x["action"] == "edited"]
    assert len(edits) == 1  # the same description again changed nothing
    assert edits[0]["details"]["changed"]["folder"] == [None, "Client documents"]
    a = office.json("approval", "request", did)
    # While the client decides, the document stays where they see it, and stays.
    r = assert_refused(office, 65, "doc", "edit", did, "--folder", "Internal", contains=f"approval {a['id']} pending")
    assert f"practice approval cancel {a['id']}" in r.err
    assert_refused(office, 65, "doc", "remove", did, contains=f"approval {a['id']} pending")
    office.ok("doc", "edit", did, "--description", "")  # a description may change
    assert office.json("doc", "show", did)["description"] is None
    assert_refused(office, 64, "doc", "edit", did, contains="nothing to change")


def test_a_removed_document_leaves_lists(office):
    d = add_doc(office)
    did = str(d["id"])
    a = office.json("approval", "request", did)
    office.ok("approval", "approve", str(a["id"]), "--by", "john@smith.test")
    gone = office.json("doc", "remove", did)
    assert gone["removed_at"] is not None
    assert office.json("doc", "list") == []
    assert_refused(office, 66, "doc", "show", did)
    assert_refused(office, 66, "doc", "remove", did)
    assert_refused(office, 66, "approval", "request", did)
    # The approval's history still names it.
    assert office.json("approval", "show", str(a["id"]))["document"] == "2025 return.pdf"
    assert any(x["action"] == "removed" for x in office.json("audit", "--item", f"document:{did}"))
