"""The client portal over HTTP: `practice portal serve` as a child process, a
real SMTP server (aiosmtpd) behind it, and the CLI to set things up and look."""
import datetime
import email
import email.policy
import hashlib
import html
import itertools
import json
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import BIN, POSTGRES, Practice, SqliteDatabase, sqlite_only, who
from mailserver import SmtpServer, smtp_config
from portal_support import PortalServer, csrf_of, link_path

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
JSON = {"Accept": "application/json"}
TEXT = ["--type", "text", "--prompt", "Legal name"]
WRONG_CSRF = "0" * 40
TEMPLATES = Path(__file__).resolve().parents[2] / "share" / "practice" / "templates" / "requests"
_addresses = itertools.count(1)


def fresh_address():
    """A client address of its own (127.0.0.1 is a trusted proxy by default),
    so that the per-address 404 limit does not spill from one check to the next."""
    n = next(_addresses)
    return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}


def configure(p, base_url="http://portal.acme.test", portal="", extra=""):
    p.write_config('user = "alice@acme.test"\n[firm]\nnotify = ["office@acme.test"]\n'
                   f'[portal]\nbase_url = "{base_url}"\n{portal}{extra}' + smtp_config(p.srv.port))


@pytest.fixture
def office(firm, tmp_path):
    """Smith (John and Jane, both with portal access; Jane without notify),
    Rossi (Giulia, no portal access), a folder clients can view, a real SMTP server."""
    firm.srv = SmtpServer(tmp_path, "--keep-content")
    configure(firm)
    firm.ok("account", "add", "Smith")
    firm.ok("contact", "add", "--account", "Smith", "--name", "John Smith", "--email", "john@smith.test",
            "--portal")
    firm.ok("contact", "add", "--account", "Smith", "--name", "Jane Smith", "--email", "jane@smith.test",
            "--portal", "--no-notify")
    firm.ok("account", "add", "Rossi")
    firm.ok("contact", "add", "--account", "Rossi", "--name", "Giulia Rossi", "--email", "giulia@rossi.test")
    firm.ok("folder", "add", "Client documents", "--client-can-view")
    yield firm
    firm.srv.stop()


@pytest.fixture
def portal(office):
    """Starts `practice portal serve` for the office (stopped at the end)."""
    started = []

    def start(*args, env=None):
        s = PortalServer(office, *args, env=env)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def new_request(p, *questions, account="Smith", title="Missing details", login=False, to=(), message=None,
                job=None, env=None):
    args = ["request", "create", "--account", account, "--title", title, "--draft"]
    args += [] if login else ["--no-login"]
    for t in to:
        args += ["--to", t]
    args += ["--message", message] if message else []
    args += ["--job", job] if job else []
    rid = str(p.json(*args, env=env)["id"])
    for q in questions or [TEXT]:
        p.ok("request", "question", "add", rid, *q, env=env)
    p.ok("request", "send", rid, env=env)
    return rid


def token_of(p, rid, to=None):
    links = p.json("request", "show", rid, "--links")["links"]
    return next(link["token"] for link in links if to is None or link["email"] == to)


def mails(p, to=None):
    out = []
    for raw in p.srv.contents():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if to is None or m["To"].addresses[0].addr_spec == to:
            out.append(m)
    return out


def new_approval(p, account="Rossi", to="giulia@rossi.test", desc="Your 2025 return",
                 message="Please check page 2.", content=b"%PDF-1.4 the return", env=None):
    folder = p.root / f"doc-{time.monotonic_ns()}"
    folder.mkdir()
    doc = folder / "2025 return.pdf"
    doc.write_bytes(content)
    d = p.json("doc", "add", "--account", account, doc, "--folder", "Client documents", "--description", desc,
               env=env)
    a = p.json("approval", "request", str(d["id"]), "--message", message, env=env)
    return str(a["id"]), link_path(mails(p, to)[-1].get_content())


def answers(p, rid):
    return [q["answer"] for q in p.json("request", "show", rid)["questions"]]


def wait_for(what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def settle(p):
    """Waits until the portal's mail thread has delivered what it was handed."""
    wait_for(lambda: not [r for r in p.json("outbox", "--limit", "1000") if r["status"] in ("queued", "sending")])


def assert_secured(headers):
    assert headers["content-security-policy"] == CSP
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def section(page: bytes, n: int) -> bytes:
    """The markup of question n on a request page."""
    m = re.search(rb'<section class="question[^"]*" id="q%d">(.*?)</section>' % n, page, re.S)
    assert m, f"no question {n} on the page"
    return m.group(0)


def code_mails(p, to):
    return [m for m in mails(p, to) if "your code to sign in" in m["Subject"]]


def code_in(message) -> str:
    m = re.search(r"^\s+(\d{6})\s*$", message.get_content(), re.M)
    assert m, "no code in the email"
    return m.group(1)


def ask_code(p, srv, path, to, headers=None):
    """Asks for a code on a login-required link; returns (code, csrf) once the
    portal's mail thread has delivered it to the SMTP server."""
    before = len(code_mails(p, to))
    status, _, page = srv.get(path, headers=headers)
    assert status == 200 and (b"Email me a code" in page or b"Email me a new code" in page)
    csrf = csrf_of(page)
    status, h, page = srv.post(path + "/code", {"csrf": csrf}, headers=headers)
    assert status == 303 and h["location"] == path, page
    status, _, page = srv.get(path, headers=headers)
    assert status == 200 and b"We sent a code" in page
    fresh = wait_for(lambda: code_mails(p, to)[before:])
    assert len(fresh) == 1
    return code_in(fresh[0]), csrf


def sign_in(p, srv, path, to, headers=None):
    """Signs in with an emailed code; returns the Set-Cookie header."""
    code, csrf = ask_code(p, srv, path, to, headers)
    status, h, _ = srv.post("/login", {"csrf": csrf, "link": path.split("/")[2], "code": code}, headers=headers)
    assert status == 303 and h["location"] == path
    return h["set-cookie"]


def cookie_of(set_cookie: str) -> dict:
    return {"Cookie": set_cookie.split(";")[0]}


def iso(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- every route --------------------------------------------------------------------------------------------------

def test_healthz_answers_exactly_ok(office, portal):
    srv = portal()
    status, h, body = srv.get("/healthz")
    assert (status, body) == (200, b"ok")
    assert h["content-type"].startswith("text/plain")
    assert_secured(h)
    status, h, body = srv.request("HEAD", "/healthz")
    assert (status, body) == (200, b"")


def test_healthz_says_nothing_about_the_database(office, portal):
    tok = token_of(office, new_request(office))
    srv = portal()
    office.make_unavailable()
    status, h, body = srv.get("/healthz")
    assert (status, body) == (200, b"ok")
    assert_secured(h)
    # Everything else fails, with the security headers still on and nothing of the cause shown.
    for path in ("/", "/r/" + tok):
        status, h, body = srv.get(path)
        assert status == 500, path
        assert_secured(h)
        assert b"on our side" in body and str(office.root).encode() not in body
    status, h, body = srv.post(f"/r/{tok}/answers/1", {"csrf": WRONG_CSRF}, headers=JSON)
    assert status == 500 and json.loads(body)["error"]["code"] == "internal"
    assert_secured(h)


def test_request_page_shows_title_message_questions_answers_and_progress(office, portal):
    rid = new_request(office, TEXT, ["--type", "number", "--prompt", "How much?"],
                      ["--type", "yesno", "--prompt", "Did you move?", "--optional"],
                      title="Missing 1099", message="Your bank's form, please.")
    office.ok("request", "answer", rid, "--question", "1", "--value", "John Q. Smith & Sons")
    srv = portal()
    status, h, page = srv.get("/r/" + token_of(office, rid))
    assert status == 200 and h["content-type"] == "text/html; charset=utf-8"
    assert_secured(h)
    text = html.unescape(page.decode())
    assert "Acme CPA" in text and "<h1>Missing 1099</h1>" in text
    assert '<p class="message">Your bank\'s form, please.</p>' in text
    assert "Legal name" in text and "How much?" in text and "Did you move?" in text
    assert 'value="John Q. Smith &amp; Sons"' in section(page, 1).decode()  # escaped once
    assert b"Saved" in section(page, 1) and b"Saved" not in section(page, 2)
    assert b"(optional)" in section(page, 3) and b"(optional)" not in section(page, 1)
    assert re.search(r"<span data-answered>1</span> of <span data-total>3</span> answered", text)
    assert "Submit to Acme CPA" in text
    assert "<script>" not in text and "style=" not in text  # no inline script or style
    # Nothing else about the account: no staff names.
    assert "Alice" not in text and "alice@acme.test" not in text


def test_static_assets_are_served_by_the_binary(office, portal):
    srv = portal()
    status, h, css = srv.get("/static/portal.css")
    assert status == 200 and h["content-type"].startswith("text/css") and len(css) > 0
    assert_secured(h)
    status, h, js = srv.get("/static/portal.js")
    assert status == 200 and h["content-type"].startswith("text/javascript") and len(js) > 0
    assert srv.get("/static/other.js")[0] == 404


def test_form_post_saves_the_answer_and_redirects(office, portal):
    rid = new_request(office, TEXT, ["--type", "multichoice", "--prompt", "Which?", "--option", "A",
                                     "--option", "B", "--option", "C"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    status, h, body = srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "Smith Holdings"})
    assert status == 303 and h["location"] == f"/r/{tok}#q1" and body == b""
    assert_secured(h)
    status, h, _ = srv.post(f"/r/{tok}/answers/2", [("csrf", csrf), ("value", "C"), ("value", "A")])
    assert status == 303
    assert answers(office, rid) == ["Smith Holdings", ["C", "A"]]
    shown = office.json("request", "show", rid)
    assert shown["status"] == "in_progress"
    page = srv.get("/r/" + tok)[2]
    assert b'value="C" checked' in section(page, 2) and b'value="B" checked' not in section(page, 2)
    assert b'value="Smith Holdings"' in section(page, 1)
    # An empty value clears the answer.
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "  "})[0] == 303
    assert answers(office, rid) == [None, ["C", "A"]]


def test_json_autosave_returns_progress(office, portal):
    rid = new_request(office, TEXT, ["--type", "number", "--prompt", "How much?"],
                      ["--type", "date", "--prompt", "When?"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    status, h, body = srv.post(f"/r/{tok}/answers/2", {"csrf": csrf, "value": "1250.50"}, headers=JSON)
    assert status == 200 and h["content-type"] == "application/json"
    assert_secured(h)
    assert json.loads(body) == {"ok": True, "answered": 1, "total": 3}
    status, _, body = srv.post(f"/r/{tok}/answers/3", {"csrf": csrf, "value": "2026-01-15"}, headers=JSON)
    assert json.loads(body) == {"ok": True, "answered": 2, "total": 3}
    # Saving the same question again does not count twice.
    status, _, body = srv.post(f"/r/{tok}/answers/3", {"csrf": csrf, "value": "2026-01-16"}, headers=JSON)
    assert json.loads(body) == {"ok": True, "answered": 2, "total": 3}
    assert answers(office, rid) == [None, "1250.50", "2026-01-16"]
    # Leaving and coming back shows everything saved so far.
    page = srv.get("/r/" + tok)[2]
    assert b'value="2026-01-16"' in section(page, 3)
    assert b"<span data-answered>2</span>" in page


@sqlite_only("checkpoints of SQLite's WAL into its main file")
def test_autosaves_reach_the_database_file_without_waiting_for_sqlites_threshold(office, portal, tmp_path):
    """The portal's workers leave checkpoints to a thread of their own: a
    handful of autosaves is in the database file itself, not only its WAL,
    within a moment (SQLite's own would wait for 1,000 pages)."""
    rid = new_request(office)
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "Checkpointed Ltd"}, headers=JSON)[0] == 200

    def in_main_file():
        copy = tmp_path / f"main-{time.monotonic_ns()}.db"
        shutil.copyfile(office.db, copy)  # the file alone: its -wal stays behind
        return SqliteDatabase(copy).sql(
            "SELECT count(*) FROM request_answers WHERE value LIKE '%Checkpointed Ltd%'") == [(1,)]

    assert wait_for(in_main_file, timeout=5)


def test_submit_redirects_and_the_page_turns_read_only(office, portal):
    rid = new_request(office, TEXT, ["--type", "yesno", "--prompt", "Did you move?"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"})[0] == 303
    assert srv.post(f"/r/{tok}/answers/2", {"csrf": csrf, "value": "no"})[0] == 303
    status, h, body = srv.post(f"/r/{tok}/submit", {"csrf": csrf})
    assert status == 303 and h["location"] == f"/r/{tok}" and body == b""
    assert office.json("request", "show", rid)["status"] == "submitted"
    status, _, page = srv.get("/r/" + tok)
    assert status == 200
    assert b"You submitted this on" in page and b"<form" not in page
    assert b"John" in section(page, 1) and b"No" in section(page, 2)


def test_submit_as_json(office, portal):
    rid = new_request(office)
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"}, headers=JSON)
    status, _, body = srv.post(f"/r/{tok}/submit", {"csrf": csrf}, headers=JSON)
    assert status == 200 and json.loads(body)["ok"] is True
    assert office.json("request", "show", rid)["status"] == "submitted"


def test_approval_page_and_the_document_as_an_attachment(office, portal):
    aid, path = new_approval(office, content=b"<html><script>alert(1)</script></html>")
    srv = portal()
    status, h, page = srv.get(path)
    assert status == 200
    assert_secured(h)
    text = page.decode()
    assert "2025 return.pdf" in text and "Your 2025 return" in text and "Please check page 2." in text
    assert f'href="{path}/document"' in text and "Approve" in text and "Disapprove" in text
    status, h, body = srv.get(path + "/document")
    assert status == 200 and body == b"<html><script>alert(1)</script></html>"
    assert h["content-disposition"].startswith("attachment")
    assert 'filename="2025 return.pdf"' in h["content-disposition"]
    assert h["content-type"] == "application/octet-stream"
    assert_secured(h)
    assert office.json("approval", "show", aid)["status"] == "pending"


def test_approve_redirects_and_tells_the_firm(office, portal):
    aid, path = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get(path)[2])
    status, h, body = srv.post(path + "/approve", {"csrf": csrf})
    assert status == 303 and h["location"] == path and body == b""
    shown = office.json("approval", "show", aid)
    assert shown["status"] == "approved" and who(shown, "decided_by") == "giulia@rossi.test"
    page = srv.get(path)[2]
    assert b"You approved this on" in page and b"<form" not in page
    # The firm is told (queued in the outbox, delivered by the portal's mail thread).
    notices = [r for r in office.json("outbox", "--limit", "1000") if r["email"] == "office@acme.test"]
    assert len(notices) == 1 and notices[0]["item"] == f"approval:{aid}"
    wait_for(lambda: mails(office, "office@acme.test"))
    log = office.json("audit", "--item", f"approval:{aid}")
    [row] = [e for e in log if e["action"] == "approved"]
    assert row["actor_kind"] == "contact" and who(row) == "giulia@rossi.test"
    assert row["details"]["via"] == "portal"


def test_disapprove_with_reasons_and_a_comment(office, portal):
    aid, path = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get(path)[2])
    status, h, _ = srv.post(path + "/disapprove", [("csrf", csrf), ("reason", "Wrong year"), ("reason", ""),
                                                   ("reason", "Missing page 3"), ("comment", "Call me")])
    assert status == 303 and h["location"] == path
    shown = office.json("approval", "show", aid)
    assert shown["status"] == "disapproved" and shown["reasons"] == ["Wrong year", "Missing page 3"]
    assert shown["comment"] == "Call me"
    page = srv.get(path)[2]
    assert b"You disapproved this on" in page and b"<li>Missing page 3</li>" in page and b"<form" not in page
    notices = [r for r in office.json("outbox", "--limit", "1000") if r["email"] == "office@acme.test"]
    assert len(notices) == 1 and notices[0]["item"] == f"approval:{aid}"
    [row] = [e for e in office.json("audit", "--item", f"approval:{aid}") if e["action"] == "disapproved"]
    assert (row["actor_kind"], who(row), row["details"]["via"]) == ("contact", "giulia@rossi.test", "portal")


def test_approve_as_json(office, portal):
    aid, path = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get(path)[2])
    status, _, body = srv.post(path + "/approve", {"csrf": csrf}, headers=JSON)
    assert status == 200 and json.loads(body) == {"ok": True}
    assert office.json("approval", "show", aid)["status"] == "approved"


def test_home_without_a_session_says_to_open_the_link_and_nothing_else(office, portal):
    rid = new_request(office, title="Secret title")
    srv = portal()
    status, h, page = srv.get("/")
    assert status == 200
    assert_secured(h)
    assert b"open the link in the email" in page
    assert b"Secret title" not in page and b"/r/" not in page and b"<form" not in page
    assert office.json("request", "show", rid)["status"] == "pending"


# --- security headers and the one 404 -----------------------------------------------------------------------------

def test_security_headers_on_every_kind_of_response(office, portal):
    configure(office, extra="[files]\nmax_size_mb = 1\n")
    rid = new_request(office, ["--type", "date", "--prompt", "When?"], ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    login_rid = new_request(office, login=True)
    login_tok = token_of(office, login_rid)
    _, apath = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    seen = {}

    def check(what, response, status):
        got, h, _ = response
        assert got == status, what
        assert_secured(h)
        seen[what] = got

    check("page", srv.get("/r/" + tok), 200)
    check("head", srv.request("HEAD", "/r/" + tok), 200)
    check("home", srv.get("/"), 200)
    check("sign-in page", srv.get("/r/" + login_tok), 200)
    check("approval", srv.get(apath), 200)
    check("document", srv.get(apath + "/document"), 200)
    check("css", srv.get("/static/portal.css"), 200)
    check("json", srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "2026-01-01"}, headers=JSON), 200)
    check("redirect", srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "2026-01-02"}), 303)
    check("unknown link", srv.get("/r/1.1." + "0" * 64, headers=fresh_address()), 404)
    check("unknown route", srv.get("/nowhere"), 404)
    check("forged post", srv.post(f"/r/{tok}/answers/1", {"csrf": WRONG_CSRF, "value": "x"}), 403)
    check("cross-site", srv.post(f"/r/{tok}/answers/1", {"csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"}),
          403)
    check("no session", srv.post(f"/r/{login_tok}/answers/1", {"csrf": csrf_of(srv.get("/r/" + login_tok)[2]),
                                                               "value": "x"}), 403)
    check("bad date", srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "2026-02-30"}), 422)
    check("bad date json", srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x"}, headers=JSON), 422)
    check("missing answers", srv.post(f"/r/{tok}/submit", {"csrf": csrf}), 422)
    check("too large", srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "big.bin", b"x" * 1_100_000)]),
          413)
    check("method", srv.request("PUT", "/r/" + tok, body=b""), 405)
    check("code wait", srv.post(f"/r/{login_tok}/code", {"csrf": csrf_of(srv.get("/r/" + login_tok)[2])}), 303)
    check("code again", srv.post(f"/r/{login_tok}/code", {"csrf": csrf_of(srv.get("/r/" + login_tok)[2])}), 429)
    acsrf = csrf_of(srv.get(apath)[2])
    check("approve", srv.post(apath + "/approve", {"csrf": acsrf}), 303)
    check("decided", srv.post(apath + "/approve", {"csrf": acsrf}), 409)
    assert len(seen) == 23


def test_every_dead_link_gets_the_same_404(office, portal):
    rid = new_request(office)
    tok = token_of(office, rid)
    revoked_rid = new_request(office)
    revoked = token_of(office, revoked_rid)
    office.ok("request", "relink", revoked_rid)
    cancelled_rid = new_request(office)
    cancelled = token_of(office, cancelled_rid)
    office.ok("request", "cancel", cancelled_rid)
    other_rid = new_request(office, to=["john@smith.test", "jane@smith.test"])
    jane = token_of(office, other_rid, "jane@smith.test")
    aid, apath = new_approval(office)
    atok = apath.split("/")[2]
    cancelled_aid, cancelled_apath = new_approval(office)
    office.ok("approval", "cancel", cancelled_aid)
    hexpart = tok.split(".")[2]
    forged = tok[:-1] + ("0" if tok[-1] != "0" else "1")
    dead = {
        "unknown request": f"1000.1.{hexpart}",
        "malformed": "not-a-token",
        "short": tok[:-2],
        "forged": forged,
        "upper case": tok.upper(),
        "other recipient": jane.split(".")[0] + "." + tok.split(".")[1] + "." + jane.split(".")[2],
        "other request": f"{other_rid}.{tok.split('.')[1]}.{hexpart}",
        "revoked": revoked,
        "cancelled": cancelled,
    }
    dead_approvals = {
        "forged approval": atok[:-1] + ("0" if atok[-1] != "0" else "1"),
        "unknown approval": f"a999.{atok.split('.')[1]}",
        "cancelled approval": cancelled_apath.split("/")[2],
        "malformed approval": "a1.xyz",
    }
    srv = portal()
    status, _, reference = srv.get("/r/garbage", headers=fresh_address())
    assert status == 404 and b"This link does not work" in reference
    # Positive controls: the live links open.
    assert srv.get("/r/" + tok)[0] == 200 and srv.get("/r/" + jane)[0] == 200 and srv.get(apath)[0] == 200
    for what, t in dead.items():
        for path in (f"/r/{t}", f"/r/{t}/answers/1", f"/r/{t}/submit"):
            method = srv.get if path.count("/") == 2 else (lambda p, headers: srv.post(p, {"csrf": WRONG_CSRF},
                                                                                        headers=headers))
            status, h, body = method(path, headers=fresh_address())
            assert status == 404, (what, path)
            assert body == reference, (what, path)
            assert_secured(h)
        # A request token is no approval token.
        assert srv.get(f"/a/{t}", headers=fresh_address())[2] == reference, what
    for what, t in dead_approvals.items():
        for path in (f"/a/{t}", f"/a/{t}/document"):
            status, _, body = srv.get(path, headers=fresh_address())
            assert (status, body) == (404, reference), (what, path)
        status, _, body = srv.post(f"/a/{t}/approve", {"csrf": WRONG_CSRF}, headers=fresh_address())
        assert (status, body) == (404, reference), what
    # An approval token is no request token; a login for a dead link is the same 404.
    assert srv.get(f"/r/{atok}", headers=fresh_address())[2] == reference
    assert srv.post("/login", {"csrf": WRONG_CSRF, "link": revoked, "code": "123456"},
                    headers=fresh_address())[2] == reference
    assert office.json("approval", "show", aid)["status"] == "pending"


def test_expired_links_get_the_same_404(office, portal):
    configure(office, portal="link_expiry_days = 30\n")
    sent = {"PRACTICE_NOW": "2026-03-02T09:00:00Z"}
    rid = new_request(office, env=sent)
    tok = token_of(office, rid)
    _, apath = new_approval(office, env=sent)
    before = portal(env={"PRACTICE_NOW": "2026-03-31T09:00:00Z"})
    assert before.get("/r/" + tok)[0] == 200 and before.get(apath)[0] == 200
    after = portal(env={"PRACTICE_NOW": "2026-04-01T09:00:01Z"})
    status, _, reference = after.get("/r/unknown", headers=fresh_address())
    assert status == 404
    for path in ("/r/" + tok, apath, apath + "/document"):
        status, _, body = after.get(path, headers=fresh_address())
        assert (status, body) == (404, reference), path
    csrf = csrf_of(before.get("/r/" + tok)[2])
    status, _, body = after.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "late"}, headers=fresh_address())
    assert (status, body) == (404, reference)
    assert answers(office, rid) == [None]
    # A resend makes the link live again: expiry counts from the last email.
    office.ok("request", "resend", rid, env={"PRACTICE_NOW": "2026-04-01T09:00:00Z"})
    assert after.get("/r/" + tok)[0] == 200


# --- GET and HEAD change nothing ----------------------------------------------------------------------------------

def test_get_and_head_change_nothing(office, portal):
    rid = new_request(office, ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    login_rid = new_request(office, login=True)
    login_tok = token_of(office, login_rid)
    aid, apath = new_approval(office)
    _, smith_apath = new_approval(office, account="Smith", to="john@smith.test")
    srv = portal()
    # An uploaded file, so the remove route exists too.
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    assert srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "a.pdf", b"%PDF a")])[0] == 303
    [f] = office.json("request", "show", rid)["questions"][0]["files"]
    before = office.dump()
    sent_before = len(office.srv.messages())
    paths = ["/", "/healthz", "/static/portal.css", "/static/portal.js", f"/r/{tok}", f"/r/{login_tok}", apath,
             apath + "/document", smith_apath, smith_apath + "/document",
             # GET on the routes that take POST: never an action.
             f"/r/{tok}/submit", f"/r/{tok}/answers/1", f"/r/{tok}/answers/1/files/{f['id']}/remove",
             f"/r/{login_tok}/code", smith_apath + "/code", apath + "/approve", apath + "/disapprove", "/login",
             "/logout"]
    for path in paths:
        for method in ("GET", "HEAD"):
            status, h, _ = srv.request(method, path, headers=fresh_address())
            assert status in (200, 403, 404), (method, path, status)
            assert_secured(h)
    page = srv.get(f"/r/{login_tok}")[2]
    assert b"Email me a code" in page
    assert srv.get(smith_apath)[2].count(b"Email me a code") == 1
    assert office.dump() == before
    # Signed in: the pages a session opens change nothing either.
    session = cookie_of(sign_in(office, srv, f"/r/{login_tok}", "john@smith.test"))
    settle(office)
    before = office.dump()
    sent_before = len(office.srv.messages())
    for path in ("/", f"/r/{login_tok}", smith_apath, smith_apath + "/document"):
        for method in ("GET", "HEAD"):
            assert srv.request(method, path, headers=session)[0] == 200, (method, path)
    assert b"Legal name" in srv.get(f"/r/{login_tok}", headers=session)[2]
    assert office.dump() == before  # no code queued, so none sent
    assert len(office.srv.messages()) == sent_before
    assert office.json("request", "show", rid)["status"] == "in_progress"
    assert office.json("approval", "show", aid)["status"] == "pending"


# --- CSRF and origins ---------------------------------------------------------------------------------------------

def test_posts_without_the_right_csrf_token_are_refused_and_change_nothing(office, portal):
    rid = new_request(office, TEXT, ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    other = token_of(office, new_request(office))
    login_tok = token_of(office, new_request(office, login=True))
    _, apath = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    assert srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "a.pdf", b"%PDF a")])[0] == 303
    [f] = office.json("request", "show", rid)["questions"][1]["files"]
    srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"})
    other_csrf = csrf_of(srv.get("/r/" + other)[2])
    before = office.dump()
    sent_before = len(office.srv.messages())
    for bad in ({}, {"csrf": ""}, {"csrf": WRONG_CSRF}, {"csrf": other_csrf}, {"csrf": csrf[:-1]}):
        for path, fields in ((f"/r/{tok}/answers/1", {"value": "Forged"}), (f"/r/{tok}/submit", {}),
                             (f"/r/{tok}/answers/2/files/{f['id']}/remove", {}),
                             (apath + "/approve", {}), (apath + "/disapprove", {"reason": "Forged"}),
                             (f"/r/{login_tok}/code", {}), ("/login", {"link": login_tok, "code": "123456"})):
            status, h, body = srv.post(path, {**fields, **bad})
            assert status == 403, (path, bad, status)
            assert_secured(h)
            assert b"reload it and try again" in body
        status, _, _ = srv.upload(f"/r/{tok}/answers/2", bad, [("file", "b.pdf", b"%PDF b")])
        assert status == 403
        status, _, body = srv.post(f"/r/{tok}/answers/1", {**bad, "value": "Forged"}, headers=JSON)
        assert status == 403 and json.loads(body)["error"]["code"] == "forbidden"
    assert office.dump() == before
    assert len(office.srv.messages()) == sent_before


def test_a_foreign_origin_is_refused(office, portal):
    rid = new_request(office)
    tok = token_of(office, rid)
    _, apath = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    acsrf = csrf_of(srv.get(apath)[2])
    before = office.dump()
    for origin in ("https://evil.test", "null", "http://portal.acme.test.evil.test", f"https://127.0.0.1:{srv.port}"):
        status, h, _ = srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x"}, headers={"Origin": origin})
        assert status == 403, origin
        assert_secured(h)
        assert srv.post(apath + "/approve", {"csrf": acsrf}, headers={"Origin": origin})[0] == 403
        assert srv.post(f"/r/{tok}/submit", {"csrf": csrf}, headers={"Origin": origin})[0] == 403
    assert office.dump() == before
    # Our own origins pass: the base URL's and the one the browser reached.
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "a"},
                    headers={"Origin": "http://portal.acme.test"})[0] == 303
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "b"},
                    headers={"Origin": f"http://127.0.0.1:{srv.port}"})[0] == 303
    assert answers(office, rid) == ["b"]
    # A browser's own form post under no-referrer says "Origin: null" with
    # Sec-Fetch-Site: same-origin; from anywhere else "null" stays refused.
    for site in ("same-site", "none"):
        assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "c"},
                        headers={"Origin": "null", "Sec-Fetch-Site": site})[0] == 403
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": WRONG_CSRF, "value": "c"},
                    headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})[0] == 403
    assert answers(office, rid) == ["b"]
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "c"},
                    headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})[0] == 303
    assert answers(office, rid) == ["c"]


def test_cross_site_fetches_are_refused(office, portal):
    rid = new_request(office)
    tok = token_of(office, rid)
    _, apath = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    acsrf = csrf_of(srv.get(apath)[2])
    before = office.dump()
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x"}, headers=cross)[0] == 403
    assert srv.post(f"/r/{tok}/submit", {"csrf": csrf}, headers=cross)[0] == 403
    assert srv.post(apath + "/approve", {"csrf": acsrf}, headers=cross)[0] == 403
    assert office.dump() == before
    assert srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x"},
                    headers={"Sec-Fetch-Site": "same-origin"})[0] == 303
    assert answers(office, rid) == ["x"]


# --- 409 once closed ----------------------------------------------------------------------------------------------

def test_after_submit_every_post_gets_409_and_changes_nothing(office, portal):
    rid = new_request(office, TEXT, ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"})
    srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "a.pdf", b"%PDF a")])
    [f] = office.json("request", "show", rid)["questions"][1]["files"]
    assert srv.post(f"/r/{tok}/submit", {"csrf": csrf})[0] == 303
    settle(office)
    before = office.dump()
    for path, fields in ((f"/r/{tok}/answers/1", {"value": "Changed"}), (f"/r/{tok}/answers/1", {"value": ""}),
                         (f"/r/{tok}/submit", {}), (f"/r/{tok}/answers/2/files/{f['id']}/remove", {})):
        status, h, body = srv.post(path, {"csrf": csrf, **fields})
        assert status == 409, path
        assert_secured(h)
        assert b"already submitted" in body
    status, _, _ = srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "b.pdf", b"%PDF b")])
    assert status == 409
    status, _, body = srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x"}, headers=JSON)
    assert status == 409 and json.loads(body)["error"]["code"] == "closed"
    assert office.dump() == before
    # Completed by the firm: still read-only, still 409.
    office.ok("request", "complete", rid)
    status, _, page = srv.get("/r/" + tok)
    assert status == 200 and b"marked this request done" in page and b"<form" not in page
    before = office.dump()
    status, _, body = srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x"})
    assert status == 409 and b"marked this request done" in body
    assert office.dump() == before


def test_after_a_decision_every_post_gets_409_and_changes_nothing(office, portal):
    approved, apath = new_approval(office)
    disapproved, dpath = new_approval(office, desc="Engagement letter")
    srv = portal()
    acsrf = csrf_of(srv.get(apath)[2])
    dcsrf = csrf_of(srv.get(dpath)[2])
    assert srv.post(apath + "/approve", {"csrf": acsrf})[0] == 303
    assert srv.post(dpath + "/disapprove", {"csrf": dcsrf, "reason": "Typo"})[0] == 303
    settle(office)
    before = office.dump()
    for path, csrf in ((apath, acsrf), (dpath, dcsrf)):
        for action, fields in (("/approve", {}), ("/disapprove", {"reason": "Other"})):
            status, h, body = srv.post(path + action, {"csrf": csrf, **fields})
            assert status == 409, (path, action)
            assert_secured(h)
            assert b"already decided" in body
        status, _, body = srv.post(path + "/approve", {"csrf": csrf}, headers=JSON)
        assert status == 409 and json.loads(body)["error"]["code"] == "closed"
    assert office.dump() == before
    assert office.json("approval", "show", approved)["status"] == "approved"
    assert office.json("approval", "show", disapproved)["reasons"] == ["Typo"]
    # The document stays downloadable after the decision.
    assert srv.get(apath + "/document")[0] == 200


# --- 413 ------------------------------------------------------------------------------------------------------

def test_an_upload_over_the_limit_gets_413_and_stores_nothing(office, portal):
    configure(office, extra="[files]\nmax_size_mb = 1\n")
    rid = new_request(office, ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    before = office.dump()
    for size in (1_500_000, 1_100_000):
        status, h, body = srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf},
                                     [("file", "small.pdf", b"%PDF small"), ("file", "big.bin", b"x" * size)])
        assert status == 413, size
        assert_secured(h)
        assert b"1 MB" in body
        status, _, body = srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "big.bin", b"x" * size)],
                                     headers=JSON)
        assert status == 413 and json.loads(body)["error"]["code"] == "too_large"
    # Form fields are capped too.
    status, _, _ = srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "x" * 300_000})
    assert status == 413
    assert office.dump() == before
    assert answers(office, rid) == [None]
    if not POSTGRES:  # the store is the files/ folder beside the SQLite file
        store = office.db.parent / "files"
        assert [p for p in store.rglob("*") if p.is_file()] == []
    # Under the limit it is stored (and the upload's temporary file goes).
    assert srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "ok.bin", b"y" * 900_000)])[0] == 303
    [f] = office.json("request", "show", rid)["questions"][0]["files"]
    assert f["size"] == 900_000 and f["sha256"] == hashlib.sha256(b"y" * 900_000).hexdigest()
    if not POSTGRES:
        stored = wait_for(lambda: (lambda files: len(files) == 1 and files)([p for p in store.rglob("*")
                                                                               if p.is_file()]))
        assert stored[0].read_bytes() == b"y" * 900_000 and stored[0].parent.name != ".uploads"


# --- 422 ------------------------------------------------------------------------------------------------------

def test_bad_values_get_422_next_to_the_question_with_the_typed_text_kept(office, portal):
    rid = new_request(office, ["--type", "date", "--prompt", "When?"], ["--type", "number", "--prompt", "How much?"],
                      ["--type", "choice", "--prompt", "Which bank?", "--option", "BCR", "--option", "ING"],
                      ["--type", "yesno", "--prompt", "Did you move?"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    srv.post(f"/r/{tok}/answers/2", {"csrf": csrf, "value": "10"})
    before = office.dump()
    for n, typed in ((1, "2026-02-30"), (2, "12abc"), (3, "Revolut"), (4, "perhaps")):
        status, h, page = srv.post(f"/r/{tok}/answers/{n}", {"csrf": csrf, "value": typed})
        assert status == 422, n
        assert_secured(h)
        mine = section(page, n)
        assert b'class="error" role="alert"' in mine, n
        assert typed.encode() in re.search(rb'<p class="error"[^>]*>(.*?)</p>', mine).group(1), n
        for other in {1, 2, 3, 4} - {n}:
            assert b'class="error"' not in section(page, other)
        if n in (1, 2):
            assert f'value="{typed}"'.encode() in mine and b'aria-invalid="true"' in mine
        status, _, body = srv.post(f"/r/{tok}/answers/{n}", {"csrf": csrf, "value": typed}, headers=JSON)
        err = json.loads(body)["error"]
        assert status == 422 and err["code"] == "invalid_answer" and typed in err["message"]
    assert office.dump() == before
    assert answers(office, rid) == [None, "10", None, None]


def test_submit_with_required_answers_missing_names_them(office, portal):
    rid = new_request(office, ["--type", "text", "--prompt", "Legal name"],
                      ["--type", "date", "--prompt", "When?"], ["--type", "text", "--prompt", "Anything else?",
                                                                 "--optional"],
                      ["--type", "number", "--prompt", "How much?"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"})
    before = office.dump()
    status, h, page = srv.post(f"/r/{tok}/submit", {"csrf": csrf})
    assert status == 422
    assert_secured(h)
    assert b"2 required questions still need an answer" in page
    flagged = [n for n in (1, 2, 3, 4) if b'class="error"' in section(page, n)]
    assert flagged == [2, 4]
    status, _, body = srv.post(f"/r/{tok}/submit", {"csrf": csrf}, headers=JSON)
    err = json.loads(body)["error"]
    assert status == 422 and err["code"] == "missing_answers"
    assert "When?" in err["message"] and "How much?" in err["message"] and "Anything else?" not in err["message"]
    assert office.dump() == before
    assert office.json("request", "show", rid)["status"] == "in_progress"


def test_disapprove_without_a_reason_gets_422(office, portal):
    aid, apath = new_approval(office)
    srv = portal()
    csrf = csrf_of(srv.get(apath)[2])
    before = office.dump()
    status, h, page = srv.post(apath + "/disapprove", [("csrf", csrf), ("reason", "  "), ("reason", ""),
                                                      ("comment", "See my notes")])
    assert status == 422
    assert_secured(h)
    assert b"at least one reason" in page and b'aria-invalid="true"' in page
    assert b">See my notes</textarea>" in page
    status, _, body = srv.post(apath + "/disapprove", {"csrf": csrf}, headers=JSON)
    assert status == 422 and json.loads(body)["error"]["code"] == "invalid_decision"
    assert office.dump() == before
    assert office.json("approval", "show", aid)["status"] == "pending"


# --- 429 ------------------------------------------------------------------------------------------------------

def test_a_flood_of_404s_from_one_address_gets_429(office, portal):
    tok = token_of(office, new_request(office))
    srv = portal()
    flood = {"X-Forwarded-For": "203.0.113.7"}
    statuses = []
    for i in range(40):
        status, h, _ = srv.get(f"/r/{i}.1.{'ab' * 32}", headers=flood)
        statuses.append(status)
        if status == 429:
            assert int(h["retry-after"]) >= 1
            assert_secured(h)
            break
    assert statuses[0] == 404 and statuses[-1] == 429 and len(statuses) > 5
    # Posts from that address are limited too; another address is not.
    status, h, _ = srv.post(f"/r/9.1.{'ab' * 32}/submit", {"csrf": WRONG_CSRF}, headers=flood)
    assert status == 429 and int(h["retry-after"]) >= 1
    assert srv.get(f"/r/9.1.{'ab' * 32}", headers={"X-Forwarded-For": "203.0.113.8"})[0] == 404
    # The real link still opens for the flooded address.
    assert srv.get("/r/" + tok, headers=flood)[0] == 200


def test_a_second_code_email_within_a_minute_gets_429(office, portal):
    tok = token_of(office, new_request(office, login=True))
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    code, csrf = ask_code(office, srv, "/r/" + tok, "john@smith.test")
    settle(office)
    before = office.dump()
    status, h, page = srv.post(f"/r/{tok}/code", {"csrf": csrf})
    assert status == 429 and 1 <= int(h["retry-after"]) <= 60
    assert_secured(h)
    assert code.encode() not in page
    # Also from another address: the limit is the contact's.
    status, h, _ = srv.post(f"/r/{tok}/code", {"csrf": csrf}, headers=fresh_address())
    assert status == 429
    status, _, body = srv.post(f"/r/{tok}/code", {"csrf": csrf}, headers=JSON)
    assert status == 429 and json.loads(body)["error"]["code"] == "rate_limited"
    assert office.dump() == before
    assert len(code_mails(office, "john@smith.test")) == 1


# --- one-time codes and sessions -----------------------------------------------------------------------------

def test_a_login_required_request_shows_only_the_sign_in(office, portal):
    rid = new_request(office, ["--type", "text", "--prompt", "Your secret question"], login=True,
                      title="Tax ID", message="Private message")
    tok = token_of(office, rid)
    srv = portal()
    status, _, page = srv.get("/r/" + tok)
    assert status == 200
    assert b"<h1>Tax ID</h1>" in page and b"Email me a code" in page and b"j***@smith.test" in page
    assert b"Your secret question" not in page and b"Private message" not in page
    assert b"/answers/" not in page and b"/submit" not in page
    csrf = csrf_of(page)
    before = office.dump()
    for path, fields in ((f"/r/{tok}/answers/1", {"value": "x"}), (f"/r/{tok}/submit", {})):
        status, _, body = srv.post(path, {"csrf": csrf, **fields})
        assert status == 403 and b"Sign in" in body
    assert office.dump() == before


def test_sign_in_with_an_emailed_code(office, portal):
    rid = new_request(office, ["--type", "text", "--prompt", "Your secret question"], login=True)
    tok = token_of(office, rid)
    path = "/r/" + tok
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    code, csrf = ask_code(office, srv, path, "john@smith.test")
    assert re.fullmatch(r"\d{6}", code)
    [row] = [r for r in office.json("outbox", "--limit", "1000") if r["kind"] == "portal_code"]
    assert row["email"] == "john@smith.test" and row["status"] == "sent"
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    status, h, page = srv.post("/login", {"csrf": csrf, "link": tok, "code": wrong})
    assert status == 422 and "set-cookie" not in h
    assert_secured(h)
    assert b"That code is not right: 4 tries left." in page
    status, h, _ = srv.post("/login", {"csrf": csrf, "link": tok, "code": code[:3] + " " + code[3:]})
    assert status == 303 and h["location"] == path
    assert_secured(h)
    cookie = h["set-cookie"]
    name, rest = cookie.split("=", 1)
    attrs = [a.strip() for a in cookie.split(";")[1:]]
    assert name == "practice_session" and re.fullmatch(r"[0-9a-f]{64}", rest.split(";")[0])
    assert sorted(attrs) == sorted(["Path=/", "HttpOnly", "SameSite=Strict"])
    session = cookie_of(cookie)
    status, _, page = srv.get(path, headers=session)
    assert status == 200 and b"Your secret question" in page and b"Sign out" in page
    # The code is used up.
    assert srv.post("/login", {"csrf": csrf, "link": tok, "code": code})[0] == 422
    # With the session the questions take answers, as the contact.
    assert srv.post(f"{path}/answers/1", {"csrf": csrf, "value": "My answer"}, headers=session)[0] == 303
    assert answers(office, rid) == ["My answer"]
    rows = [e for e in office.json("audit", "--item", f"request:{rid}") if e["actor_kind"] != "staff"]
    assert rows and all((e["actor_kind"], who(e), e["details"]["via"]) == ("contact", "john@smith.test",
                                                                              "portal") for e in rows)
    # Sign-in is audited, the code is not in any of it.
    rows = [e for e in office.json("audit", "--item", "contact:1") if e["actor_kind"] != "staff"]
    assert [e["action"] for e in rows] == ["code_sent", "code_wrong", "signed_in"]
    for e in rows:
        assert (e["actor_kind"], who(e), e["details"]["via"]) == ("contact", "john@smith.test", "portal")
    # Logout ends it; a forged logout does not.
    home = srv.get("/", headers=session)[2]
    for bad in ({}, {"csrf": WRONG_CSRF}, {"csrf": csrf}):
        assert srv.post("/logout", bad, headers=session)[0] == 403
    assert b"Your secret question" in srv.get(path, headers=session)[2]
    status, h, _ = srv.post("/logout", {"csrf": csrf_of(home)}, headers=session)
    assert status == 303 and h["location"] == "/"
    assert "Max-Age=0" in h["set-cookie"] and h["set-cookie"].startswith("practice_session=;")
    assert b"Email me a code" in srv.get(path, headers=session)[2]
    assert b"open the link in the email" in srv.get("/", headers=session)[2]
    assert srv.post(f"{path}/answers/1", {"csrf": csrf, "value": "Again"}, headers=session)[0] == 403
    # Neither the code nor the session id is stored (database and WAL, while it runs and after), nor logged.
    sid = rest.split(";")[0]
    for blob in (office.stored_bytes(), (srv.stop(), office.stored_bytes())[1]):
        assert code.encode() not in blob and sid.encode() not in blob
    assert code not in srv.log() and sid not in srv.log()


def test_five_wrong_tries_end_the_code(office, portal):
    tok = token_of(office, new_request(office, login=True))
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    code, csrf = ask_code(office, srv, "/r/" + tok, "john@smith.test")
    wrong = "%06d" % ((int(code) + 500) % 1000000)
    for left in (4, 3, 2, 1):
        status, _, page = srv.post("/login", {"csrf": csrf, "link": tok, "code": wrong})
        assert status == 422
        assert f"{left} {'try' if left == 1 else 'tries'} left".encode() in page
        assert f'value="{wrong}"'.encode() in page
    status, _, page = srv.post("/login", {"csrf": csrf, "link": tok, "code": wrong})
    assert status == 422 and b"no longer works" in page
    status, h, page = srv.post("/login", {"csrf": csrf, "link": tok, "code": code})
    assert status == 422 and "set-cookie" not in h and b"no longer works" in page
    status, _, body = srv.post("/login", {"csrf": csrf, "link": tok, "code": code}, headers=JSON)
    assert status == 422 and json.loads(body)["error"]["code"] == "wrong_code"


def test_a_new_code_cancels_the_old_one(office, portal):
    tok = token_of(office, new_request(office, login=True))
    first = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    old, csrf = ask_code(office, first, "/r/" + tok, "john@smith.test")
    first.stop()
    second = portal(env={"PRACTICE_NOW": "2026-03-02T09:01:01Z"})
    new, _ = ask_code(office, second, "/r/" + tok, "john@smith.test")
    if new != old:
        status, h, _ = second.post("/login", {"csrf": csrf, "link": tok, "code": old})
        assert status == 422 and "set-cookie" not in h
    status, h, _ = second.post("/login", {"csrf": csrf, "link": tok, "code": new})
    assert status == 303 and "set-cookie" in h
    # An expired code does not work either (10 minutes).
    second.stop()
    third = portal(env={"PRACTICE_NOW": "2026-03-02T09:03:00Z"})
    code, _ = ask_code(office, third, "/r/" + tok, "john@smith.test")
    third.stop()
    late = portal(env={"PRACTICE_NOW": "2026-03-02T09:13:01Z"})
    status, h, _ = late.post("/login", {"csrf": csrf, "link": tok, "code": code})
    assert status == 422 and "set-cookie" not in h


def test_a_session_ends_after_twelve_idle_hours_not_while_in_use(office, portal):
    tok = token_of(office, new_request(office, ["--type", "text", "--prompt", "Secret"], login=True))
    path = "/r/" + tok
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    session = cookie_of(sign_in(office, srv, path, "john@smith.test"))
    csrf = csrf_of(section(srv.get(path, headers=session)[2], 1))
    srv.stop()
    at = lambda t: portal(env={"PRACTICE_NOW": t})
    srv = at("2026-03-02T20:00:00Z")  # 11 hours on: still signed in, and an answer keeps it alive
    assert b"Secret" in srv.get(path, headers=session)[2]
    assert srv.post(path + "/answers/1", {"csrf": csrf, "value": "x"}, headers=session)[0] == 303
    srv.stop()
    srv = at("2026-03-03T07:59:59Z")  # 23 hours after signing in, 12 hours less a second after the answer
    assert b"Secret" in srv.get(path, headers=session)[2]
    assert b"Your to-do list" in srv.get("/", headers=session)[2]
    srv.stop()
    srv = at("2026-03-03T08:00:00Z")  # 12 idle hours
    assert b"Email me a code" in srv.get(path, headers=session)[2]
    assert b"open the link in the email" in srv.get("/", headers=session)[2]
    assert srv.post(path + "/answers/1", {"csrf": csrf, "value": "y"}, headers=session)[0] == 403


def test_sign_in_from_an_approval_link(office, portal):
    aid, apath = new_approval(office, account="Smith", to="john@smith.test")
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    status, _, page = srv.get(apath)
    assert status == 200 and b"Email me a code" in page and b"/approve" not in page
    csrf = csrf_of(page)
    before = office.dump()
    assert srv.get(apath + "/document")[0] == 403
    assert srv.post(apath + "/approve", {"csrf": csrf})[0] == 403
    assert srv.post(apath + "/disapprove", {"csrf": csrf, "reason": "x"})[0] == 403
    assert office.dump() == before
    session = cookie_of(sign_in(office, srv, apath, "john@smith.test"))
    page = srv.get(apath, headers=session)[2]
    assert b"Your 2025 return" in page and b"/approve" in page
    status, h, body = srv.get(apath + "/document", headers=session)
    assert status == 200 and body == b"%PDF-1.4 the return" and h["content-disposition"].startswith("attachment")
    assert srv.post(apath + "/approve", {"csrf": csrf}, headers=session)[0] == 303
    shown = office.json("approval", "show", aid)
    assert shown["status"] == "approved" and who(shown, "decided_by") == "john@smith.test"


def test_the_session_cookie_over_https(office, portal):
    tok = token_of(office, new_request(office, ["--type", "text", "--prompt", "Secret"], login=True))
    path = "/r/" + tok
    # Behind a trusted proxy that says the client came over https.
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}
    cookie = sign_in(office, srv, path, "john@smith.test", proxied)
    assert cookie.startswith("__Host-practice=")
    attrs = sorted(a.strip() for a in cookie.split(";")[1:])
    assert attrs == sorted(["Path=/", "HttpOnly", "SameSite=Strict", "Secure"])
    assert "Domain" not in cookie
    assert b"Secret" in srv.get(path, headers={**proxied, **cookie_of(cookie)})[2]
    srv.stop()
    # A peer that is no trusted proxy cannot claim https.
    configure(office, portal='trusted_proxies = ["10.9.9.9"]\n')
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:02:00Z"})
    cookie = sign_in(office, srv, path, "john@smith.test", proxied)
    assert cookie.startswith("practice_session=") and "Secure" not in cookie
    srv.stop()
    # An https base URL.
    configure(office, base_url="https://portal.acme.test")
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:04:00Z"})
    cookie = sign_in(office, srv, path, "john@smith.test", {"Origin": "https://portal.acme.test"})
    assert cookie.startswith("__Host-practice=") and "; Secure" in cookie and "Path=/" in cookie
    assert b"Secret" in srv.get(path, headers=cookie_of(cookie))[2]
    # The plain-http cookie name does not count over https.
    value = cookie.split(";")[0].split("=", 1)[1]
    assert b"Email me a code" in srv.get(path, headers={"Cookie": f"practice_session={value}"})[2]


def test_the_to_do_list_shows_the_contacts_items_newest_first_and_nothing_else(office, portal):
    office.ok("account", "add", "Brown")
    office.ok("contact", "add", "--account", "Brown", "--name", "Bob Brown", "--email", "bob@brown.test", "--portal")
    at = lambda t: {"PRACTICE_NOW": f"2026-03-0{t}T09:00:00Z"}
    first = new_request(office, title="First request", login=True, env=at(1))
    _, smith_apath = new_approval(office, account="Smith", to="john@smith.test", desc="Letter", env=at(2))
    second = new_request(office, title="Second request", env=at(3))
    new_request(office, title="Jane only", to=["jane@smith.test"], login=True, env=at(3))
    brown = new_request(office, account="Brown", title="Brown request", login=True, env=at(3))
    done = new_request(office, title="Done already", env=at(3))
    office.ok("request", "complete", done, env=at(4))
    office.ok("request", "resend", first, env=at(5))
    srv = portal(env={"PRACTICE_NOW": "2026-03-06T09:00:00Z"})
    cookie = cookie_of(sign_in(office, srv, "/r/" + token_of(office, first), "john@smith.test"))
    status, h, page = srv.get("/", headers=cookie)
    assert status == 200
    assert_secured(h)
    titles = re.findall(rb'<span class="item-title">([^<]*)</span>', page)
    assert titles == [b"First request", b"Second request", b"2025 return.pdf"]
    hrefs = re.findall(rb'<a href="(/[ra]/[^"]+)">', page)
    assert hrefs[0].decode() == "/r/" + token_of(office, first)
    assert hrefs[1].decode() == "/r/" + token_of(office, second)
    assert hrefs[2].decode() == smith_apath
    assert b"Brown" not in page and b"Jane only" not in page and b"Done already" not in page
    # The session opens John's items only: not Jane's, not another account's.
    jane_tok = token_of(office, new_request(office, title="Jane again", to=["jane@smith.test"], login=True))
    assert b"Email me a code" in srv.get("/r/" + jane_tok, headers=cookie)[2]
    assert b"Email me a code" in srv.get("/r/" + token_of(office, brown), headers=cookie)[2]
    assert b"Legal name" in srv.get("/r/" + token_of(office, first), headers=cookie)[2]
    assert b"Download" in srv.get(smith_apath, headers=cookie)[2]
    # Jane (same account, no notify) gets her code too, and sees her own items only.
    jane = cookie_of(sign_in(office, srv, "/r/" + jane_tok, "jane@smith.test"))
    page = srv.get("/", headers=jane)[2]
    assert re.findall(rb'<span class="item-title">([^<]*)</span>', page) == [b"Jane again", b"Jane only"]
    assert b"Legal name" in srv.get("/r/" + jane_tok, headers=jane)[2]
    assert b"Email me a code" in srv.get("/r/" + token_of(office, first), headers=jane)[2]


# --- secrets stay out of logs, audit rows and error pages ---------------------------------------------------------

def test_tokens_never_appear_in_the_log_the_audit_trail_or_error_pages(office, portal):
    configure(office, extra="[files]\nmax_size_mb = 1\n")
    rid = new_request(office, TEXT, ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    login_tok = token_of(office, new_request(office, login=True))
    _, apath = new_approval(office)
    atok = apath.split("/")[2]
    srv = portal(env={"PRACTICE_NOW": "2026-03-02T09:00:00Z"})
    errors = []

    def keep(response):
        if response[0] >= 400 and response[0] != 422:
            errors.append(response)
        return response

    csrf = csrf_of(srv.get("/r/" + tok)[2])
    keep(srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"}))
    keep(srv.post(f"/r/{tok}/answers/1", {"csrf": WRONG_CSRF, "value": "John"}))
    keep(srv.post(f"/r/{tok}/answers/9", {"csrf": csrf, "value": "John"}))
    keep(srv.post(f"/r/{tok}/nothing", {"csrf": csrf}))
    keep(srv.get(f"/r/{tok}/nothing"))
    keep(srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "a.pdf", b"%PDF a")]))
    keep(srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "big.bin", b"x" * 1_200_000)]))
    keep(srv.post(f"/r/{tok}/answers/2/files/999/remove", {"csrf": csrf}))
    keep(srv.post(f"/r/{tok}/submit", {"csrf": csrf}))
    keep(srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "Late"}))
    keep(srv.get(f"/prefix/r/{tok}"))
    keep(srv.get(f"//r/{tok}"))
    keep(srv.get(f"/{tok}"))
    keep(srv.request("PUT", f"/r/{tok}", body=b""))
    keep(srv.get(apath))
    keep(srv.get(apath + "/document"))
    acsrf = csrf_of(srv.get(apath)[2])
    keep(srv.post(apath + "/approve", {"csrf": acsrf}))
    keep(srv.post(apath + "/approve", {"csrf": acsrf}))
    code, lcsrf = ask_code(office, srv, "/r/" + login_tok, "john@smith.test")
    keep(srv.post(f"/r/{login_tok}/code", {"csrf": lcsrf}))
    keep(srv.post("/login", {"csrf": lcsrf, "link": login_tok, "code": "000000" if code != "000000" else "1"}))
    keep(srv.post("/login", {"csrf": WRONG_CSRF, "link": login_tok, "code": code}))
    keep(srv.post(f"/r/{login_tok}/answers/1", {"csrf": lcsrf, "value": "x"}))
    assert {r[0] for r in errors} >= {403, 404, 405, 409, 413, 429}
    secrets = [tok, login_tok, atok] + [t.split(".")[-1] for t in (tok, login_tok, atok)]
    for status, _, body in errors:
        for s in secrets:
            assert s.encode() not in body, status
    srv.stop()
    log = srv.log()
    lines = log.splitlines()
    requests_logged = [line for line in lines if not line.startswith("practice: ")]
    assert len(requests_logged) >= 25
    for line in requests_logged:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (GET|HEAD|POST|PUT) /\S* \d{3} \d+\.\dms", line), line
    assert "/r/… 200" in log and "/r/…/answers/1 303" in log and "/a/…/document 200" in log
    assert "/prefix/r/… 404" in log and "//r/… 404" in log
    for s in secrets + [code]:
        assert s not in log
    trail = json.dumps(office.json("audit"))
    for s in secrets:
        assert s not in trail
    assert code not in trail


def test_portal_actions_are_audited_as_the_client_and_tell_the_firm(office, portal):
    rid = new_request(office, TEXT, ["--type", "file", "--prompt", "Upload"])
    third = new_request(office, to=["helper@spouse.test"], title="For the helper")
    tok, third_tok = token_of(office, rid), token_of(office, third)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"}, headers=JSON)
    srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "a.pdf", b"%PDF a"), ("file", "b.pdf", b"%PDF b")])
    [fa, _] = office.json("request", "show", rid)["questions"][1]["files"]
    srv.post(f"/r/{tok}/answers/2/files/{fa['id']}/remove", {"csrf": csrf})
    assert srv.post(f"/r/{tok}/submit", {"csrf": csrf})[0] == 303
    rows = [e for e in office.json("audit", "--item", f"request:{rid}") if e["actor_kind"] != "staff"]
    assert len(rows) >= 4 and "submitted" in [e["action"] for e in rows]
    assert "file_removed" in [e["action"] for e in rows]
    for e in rows:
        assert (e["actor_kind"], who(e), e["details"].get("via")) == ("contact", "john@smith.test", "portal"), e
    # The firm hears of the submission: its notify address (and assigned staff), queued and delivered.
    notices = [r for r in office.json("outbox", "--limit", "1000") if r["item"] == f"request:{rid}"
               and r["email"] == "office@acme.test"]
    assert len(notices) == 1
    wait_for(lambda: [m for m in mails(office, "office@acme.test") if "Missing details" in m["Subject"]])
    # A third party with a no-login link acts as a third party.
    tcsrf = csrf_of(srv.get("/r/" + third_tok)[2])
    srv.post(f"/r/{third_tok}/answers/1", {"csrf": tcsrf, "value": "Helper"})
    srv.post(f"/r/{third_tok}/submit", {"csrf": tcsrf})
    rows = [e for e in office.json("audit", "--item", f"request:{third}") if e["actor_kind"] != "staff"]
    assert {e["action"] for e in rows} >= {"submitted"}
    for e in rows:
        assert (e["actor_kind"], who(e), e["details"].get("via")) == ("third_party", "helper@spouse.test",
                                                                         "portal"), e
    assert office.json("audit", "--verify")


def test_a_portal_submission_moves_the_job_and_runs_the_next_stage(office, portal):
    office.ok("template", "add", "--file", TEMPLATES / "engagement-details.toml")
    office.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Missing information",
              "--stage", "Preparation", "--stage", "Done")
    office.ok("pipeline", "stage", "edit", "Tax return", "Missing information", "--automove", "on")
    office.ok("pipeline", "automation", "add", "Tax return", "Preparation", "--send-request", "engagement-details")
    job = office.json("job", "create", "--account", "Smith", "--pipeline", "Tax return", "--stage",
                      "Missing information")
    jid = str(job["id"])
    rid = new_request(office, TEXT, job=jid)
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    srv.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"})
    assert office.json("job", "show", jid)["stage"] == "Missing information"
    assert srv.post(f"/r/{tok}/submit", {"csrf": csrf})[0] == 303
    after = office.json("job", "show", jid)
    assert after["stage"] == "Preparation"
    moves = [e for e in office.json("audit", "--item", f"job:{jid}") if e["action"] == "moved"]
    assert moves[-1]["details"]["cause"] == "automove"
    assert moves[-1]["details"]["trigger"] == f"request:{rid} submitted"
    # The next stage's automation sent a new request, delivered by the portal.
    [new] = [i for i in after["items"] if i["kind"] == "request" and str(i["id"]) != rid]
    assert office.json("request", "show", str(new["id"]))["title"] == "Engagement details"
    wait_for(lambda: [m for m in mails(office, "john@smith.test") if "Engagement details" in m["Subject"]])


# --- files ----------------------------------------------------------------------------------------------------

def test_uploading_several_files_listing_and_removing_them(office, portal):
    rid = new_request(office, ["--type", "file", "--prompt", "Receipts"], ["--type", "file", "--prompt", "Other"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    one, two = b"%PDF-1.4 receipt one", b"%PDF-1.4 receipt two, longer"
    status, h, _ = srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf},
                              [("file", "one.pdf", one), ("file", "../../two.pdf", two)])
    assert status == 303 and h["location"] == f"/r/{tok}#q1"
    files = office.json("request", "show", rid)["questions"][0]["files"]
    assert len(files) == 2
    # More files add to those already there.
    three = b"%PDF-1.4 three"
    assert srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "three.pdf", three)])[0] == 303
    files = office.json("request", "show", rid)["questions"][0]["files"]
    assert [f["name"] for f in files][::2] == ["one.pdf", "three.pdf"]
    srv.post(f"/r/{tok}/answers/1/files/{files[2]['id']}/remove", {"csrf": csrf})
    files = office.json("request", "show", rid)["questions"][0]["files"]
    assert [f["sha256"] for f in files] == [hashlib.sha256(one).hexdigest(), hashlib.sha256(two).hexdigest()]
    assert "/" not in files[1]["name"]
    if not POSTGRES:  # the store is the files/ folder beside the SQLite file
        store = office.db.parent / "files"
        for f, data in zip(files, (one, two)):
            assert (store / f["sha256"][:2] / f["sha256"]).read_bytes() == data
    page = srv.get("/r/" + tok)[2]
    mine = section(page, 1)
    assert b"one.pdf" in mine and b"(20 bytes)" in mine and b"Add more files" in mine
    assert mine.count(b"/remove") == 2
    status, _, body = srv.upload(f"/r/{tok}/answers/2", {"csrf": csrf}, [("file", "x.txt", b"x")], headers=JSON)
    assert status == 200 and json.loads(body) == {"ok": True, "answered": 2, "total": 2}
    # A file of another question cannot be removed through this one.
    [other] = office.json("request", "show", rid)["questions"][1]["files"]
    before = office.dump()
    assert srv.post(f"/r/{tok}/answers/1/files/{other['id']}/remove", {"csrf": csrf})[0] == 404
    assert office.dump() == before
    status, h, _ = srv.post(f"/r/{tok}/answers/1/files/{files[0]['id']}/remove", {"csrf": csrf})
    assert status == 303
    left = office.json("request", "show", rid)["questions"][0]["files"]
    assert [f["id"] for f in left] == [files[1]["id"]]
    page = srv.get("/r/" + tok)[2]
    assert b"one.pdf" not in section(page, 1) and section(page, 1).count(b"/remove") == 1
    status, _, body = srv.post(f"/r/{tok}/answers/1/files/{files[1]['id']}/remove", {"csrf": csrf}, headers=JSON)
    assert json.loads(body) == {"ok": True, "answered": 1, "total": 2}
    assert answers(office, rid)[0] is None
    # No file chosen is a 422, not an empty answer (a browser sends an empty part).
    status, _, page = srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [])
    assert status == 422 and b"Choose a file" in section(page, 1)
    status, _, page = srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "", b"")])
    assert status == 422 and b"Choose a file" in section(page, 1)
    assert answers(office, rid)[0] is None
    if not POSTGRES:
        uploads = office.db.parent / "files" / ".uploads"
        wait_for(lambda: list(uploads.iterdir()) == [])


@sqlite_only("blocks the files/ folder beside the SQLite file")
def test_a_file_store_failure_is_a_500_that_shows_none_of_our_paths(office, portal):
    rid = new_request(office, ["--type", "file", "--prompt", "Upload"])
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    data = b"%PDF-1.4 receipt"
    blocker = office.db.parent / "files" / hashlib.sha256(data).hexdigest()[:2]
    blocker.write_bytes(b"a file where the store wants a folder")
    before = office.dump()
    for headers in ({}, JSON):
        status, h, body = srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "r.pdf", data)],
                                     headers=headers)
        assert status == 500
        assert_secured(h)
        assert b"on our side" in body
        assert str(office.root).encode() not in body and b".upload" not in body
    assert office.dump() == before
    assert "could not be stored" in srv.log()
    blocker.unlink()
    assert srv.upload(f"/r/{tok}/answers/1", {"csrf": csrf}, [("file", "r.pdf", data)])[0] == 303
    assert [f["name"] for f in office.json("request", "show", rid)["questions"][0]["files"]] == ["r.pdf"]


# --- running the server --------------------------------------------------------------------------------------

def test_serve_exits_69_naming_the_address_when_the_port_is_taken(office):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = office.run("portal", "serve", "--listen", f"127.0.0.1:{port}", timeout=20)
    assert r.code == 69, r
    assert f"127.0.0.1:{port}" in r.err and r.err.startswith("practice: error: ")


def test_serve_exits_66_without_a_database(tmp_path):
    p = Practice(tmp_path)
    r = p.run("portal", "serve", "--listen", "127.0.0.1:0", timeout=20)
    assert r.code == 66, r
    assert not p.exists()


def test_serve_finishes_the_request_in_flight_and_exits_0_on_sigterm(office, portal):
    rid = new_request(office)
    tok = token_of(office, rid)
    srv = portal()
    csrf = csrf_of(srv.get("/r/" + tok)[2])
    body = f"csrf={csrf}&value=Sent+while+stopping".encode()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as s:
        s.sendall(f"POST /r/{tok}/answers/1 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        # Taken in by now: a later connection has been answered (and a moment more for the headers).
        assert srv.get("/healthz")[0] == 200
        time.sleep(0.1)
        srv.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping" in srv.log())
        s.sendall(body[10:])
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 303"), reply
    assert srv.proc.wait(timeout=15) == 0
    assert answers(office, rid) == ["Sent while stopping"]
    # New connections are no longer taken.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


def test_serve_exits_0_on_sigint(office, portal):
    srv = portal()
    assert srv.get("/healthz")[0] == 200
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(timeout=15) == 0


def test_a_busy_database_gets_503_and_loses_nothing(office, portal):
    rid = new_request(office, TEXT, ["--type", "number", "--prompt", "How much?"])
    tok = token_of(office, rid)
    first = portal()
    csrf = csrf_of(first.get("/r/" + tok)[2])
    assert first.post(f"/r/{tok}/answers/1", {"csrf": csrf, "value": "John"}, headers=JSON)[0] == 200
    first.stop()
    with office.holding_write_lock():
        srv = portal(env={"PRACTICE_BUSY_TIMEOUT_MS": "300"})
        started = time.monotonic()
        status, h, body = srv.post(f"/r/{tok}/answers/2", {"csrf": csrf, "value": "12"}, headers=JSON)
        assert status == 503 and int(h["retry-after"]) >= 1
        assert time.monotonic() - started < 5
        assert_secured(h)
        assert json.loads(body)["error"]["code"] == "busy"
        status, h, page = srv.post(f"/r/{tok}/answers/2", {"csrf": csrf, "value": "12"})
        assert status == 503 and "retry-after" in h and b"try again" in page
        # Pages still read.
        status, _, page = srv.get("/r/" + tok)
        assert status == 200 and b'value="John"' in section(page, 1)
    status, _, body = srv.post(f"/r/{tok}/answers/2", {"csrf": csrf, "value": "12"}, headers=JSON)
    assert status == 200 and json.loads(body) == {"ok": True, "answered": 2, "total": 2}
    assert answers(office, rid) == ["John", "12"]


def test_twenty_clients_at_once_while_reminders_go_out(office, portal):
    spec = office.root / "q.toml"
    spec.write_text('title = "Numbers"\n[[question]]\ntype = "text"\nprompt = "Name"\n'
                    '[[question]]\ntype = "number"\nprompt = "Amount"\n'
                    '[[question]]\ntype = "multichoice"\nprompt = "Which"\noptions = ["A", "B", "C"]\n')
    past = {"PRACTICE_NOW": iso(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=4))}
    rids = [str(office.json("request", "create", "--account", "Smith", "--file", spec, "--no-login", env=past)["id"])
            for _ in range(20)]
    tokens = [token_of(office, rid) for rid in rids]
    sent_before = len(office.srv.messages())
    srv = portal()
    results = [None] * 20
    go = threading.Barrier(21)

    def client(i):
        tok = tokens[i]
        go.wait()
        got = []
        csrf = csrf_of(srv.get("/r/" + tok)[2])
        for n, value in ((1, f"Client {i}"), (2, f"{i}.5"), (3, ["C", "A"]), (1, f"Client {i} Ltd")):
            status, _, body = srv.post(f"/r/{tok}/answers/{n}", {"csrf": csrf, "value": value}, headers=JSON)
            got.append((status, json.loads(body)))
        results[i] = got

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    go.wait()
    remind = subprocess.Popen([BIN, "remind", "--run"], env=office.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    for t in threads:
        t.join(timeout=60)
    _, err = remind.communicate(timeout=60)
    assert remind.returncode == 0, err
    for i, got in enumerate(results):
        assert got is not None, i
        assert [s for s, _ in got] == [200] * 4, (i, got)
        assert [b["answered"] for _, b in got] == [1, 2, 3, 3]
    for i, rid in enumerate(rids):
        a = answers(office, rid)
        assert a == [f"Client {i} Ltd", f"{i}.5", ["C", "A"]], (i, a)
        assert office.json("request", "show", rid)["reminders"]["sent"] == 1
    assert len(office.srv.messages()) == sent_before + 20
    # Then all 20 submit at once while a delivery run (`outbox flush`, on slow
    # messages) holds the run lock: the portal's mail thread waits for it, and
    # every notice to the firm goes out exactly once.
    office.write_config('user = "alice@acme.test"\n[firm]\nnotify = ["office@acme.test"]\n')
    for n in (1, 2):
        new_request(office, to=[f"slow1-helper{n}@spouse.test"], title="Slow one")
    configure(office)
    flush = subprocess.Popen([BIN, "outbox", "flush"], env=office.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    wait_for(lambda: [e for e in office.srv.events("rcpt") if e["to"].startswith("slow1-")])
    submitted = [None] * 20

    def submit(i):
        csrf = csrf_of(srv.get("/r/" + tokens[i])[2])
        submitted[i] = srv.post(f"/r/{tokens[i]}/submit", {"csrf": csrf}, headers=JSON)[0]

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    _, err = flush.communicate(timeout=60)
    assert flush.returncode == 0, err
    assert submitted == [200] * 20
    settle(office)
    notices = [r for r in office.json("outbox", "--limit", "1000") if r["email"] == "office@acme.test"]
    assert len(notices) == 20 and {r["status"] for r in notices} == {"sent"}
    delivered = [m for m in mails(office, "office@acme.test")]
    assert len(delivered) == 20 and len({m["Message-ID"] for m in delivered}) == 20
    assert len([e for e in office.srv.messages() if e["to"][0].startswith("slow1-")]) == 2
    office.ok("audit", "--verify")
    assert office.integrity_ok()


def test_a_removed_document_is_served_to_nobody(office, portal):
    aid, path = new_approval(office)
    srv = portal()
    assert srv.get(path)[0] == 200
    office.ok("approval", "approve", aid, "--by", "giulia@rossi.test")
    assert srv.get(path + "/document")[0] == 200  # a decided approval still shows its document
    did = str(office.json("approval", "list")[0]["document_id"])
    office.ok("doc", "remove", did)
    for p in (path, path + "/document"):
        assert srv.get(p)[0] == 404
