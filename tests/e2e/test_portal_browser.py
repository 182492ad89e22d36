"""The client portal in a real browser (headless Chromium through selenium),
played as the client would: from the link in the email received by a real
SMTP server, with and without JavaScript, on a phone and on a desktop.

Screenshots go to $PRACTICE_SCREENSHOTS (or a temporary folder)."""
import base64
import email
import email.policy
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BIN, Practice, who
from mailserver import SmtpServer, smtp_config
from portal_support import PortalServer, link_path

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (360, 740)
DESKTOP = (1280, 900)
FIRM = "Acme CPA"


# ---------------------------------------------------------------------------
# The office: one firm, one SMTP server and one portal for the whole module.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal(PortalServer):
    """`practice portal serve` on a port chosen before start, so that the
    config's base_url (read at start) can name it."""

    def __init__(self, p, port):
        self.log_path = p.root / "portal.log"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([BIN, "portal", "serve",
                                      "--listen", f"127.0.0.1:{port}"],
                                     env=p.env, stdout=subprocess.DEVNULL, stderr=self._log)
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while "listening on" not in self.log_path.read_text():
            assert self.proc.poll() is None, f"portal exited {self.proc.returncode}: {self.log()}"
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"portal did not start: {self.log()}")
            time.sleep(0.02)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    root = tmp_path_factory.mktemp("office")
    p = Practice(root)
    srv = SmtpServer(root, "--keep-content")
    portal = None
    try:
        port = free_port()
        p.ok("init", "--firm", FIRM, "--email", "office@acme.test")
        p.ok("staff", "add", "Alice Silva", "--email", "alice@acme.test")
        p.env["PRACTICE_USER"] = "alice@acme.test"
        p.write_config('user = "alice@acme.test"\n[firm]\nnotify = ["office@acme.test"]\n'
                       f'[portal]\nbase_url = "http://127.0.0.1:{port}"\n' + smtp_config(srv.port))
        # A family whose contact needs no sign-in, and a company whose contact signs in.
        p.ok("account", "add", "Ionescu Family")
        p.ok("contact", "add", "--account", "Ionescu Family", "--name", "Maria Ionescu",
             "--email", "maria@ionescu.test")
        p.ok("account", "add", "Rossi SRL", "--type", "company")
        p.ok("contact", "add", "--account", "Rossi SRL", "--name", "Giulia Rossi",
             "--email", "giulia@rossi.test", "--portal")
        p.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Waiting on client",
             "--stage", "Preparation", "--stage", "Done")
        p.ok("pipeline", "stage", "edit", "Tax return", "Waiting on client", "--automove", "on")
        p.ok("folder", "add", "Client documents", "--client-can-view")
        portal = Portal(p, port)
        p.srv, p.portal = srv, portal
        p.shots = Path(os.environ.get("PRACTICE_SCREENSHOTS") or root / "screenshots")
        p.shots.mkdir(parents=True, exist_ok=True)
        yield p
    finally:
        code = portal.stop() if portal else 0
        srv.stop()
    assert code == 0, portal.log()


def mails_to(p, to):
    out = []
    for raw in p.srv.contents():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if m["To"].addresses[0].addr_spec == to:
            out.append(m)
    return out


def body_of(m):
    part = m.get_body(preferencelist=("plain", "html"))
    return part.get_content()


def link_in_mail(p, to, subject_part):
    """The portal link of the newest email to `to` whose subject names `subject_part`."""
    found = [m for m in mails_to(p, to) if subject_part in m["Subject"]]
    assert found, f"no email to {to} about {subject_part!r}: {[m['Subject'] for m in mails_to(p, to)]}"
    return p.portal.base + link_path(body_of(found[-1]))


def tax_request(p, title, job=True):
    """A no-login request with text, date, choice, multichoice and file questions (all
    required) and an optional number, linked to a job waiting in an automove stage."""
    jid = None
    if job:
        jid = p.json("job", "create", "--account", "Ionescu Family", "--pipeline", "Tax return",
                     "--stage", "Waiting on client", "--title", title)["id"]
    r = p.json("request", "create", "--account", "Ionescu Family", "--title", title,
               "--message", "A few things for your 2025 return.\nThank you!", "--no-login", "--draft",
               *(["--job", jid] if jid else []))
    rid = str(r["id"])
    for args in (["--type", "text", "--prompt", "Your full legal name"],
                 ["--type", "date", "--prompt", "Date you moved house"],
                 ["--type", "choice", "--prompt", "Filing status", "--option", "Single",
                  "--option", "Married filing jointly", "--option", "Head of household"],
                 ["--type", "multichoice", "--prompt", "Income you had in 2025", "--option", "Wages",
                  "--option", "Interest", "--option", "Dividends", "--option", "Rental income"],
                 ["--type", "file", "--prompt", "Your W-2 forms"],
                 ["--type", "number", "--prompt", "Charitable gifts (total)", "--optional"]):
        p.ok("request", "question", "add", rid, *args)
    p.ok("request", "send", rid)
    return rid, (str(jid) if jid else None), link_in_mail(p, "maria@ionescu.test", title)


# ---------------------------------------------------------------------------
# The browser.

def make_browser(tmp_path, js=True, size=DESKTOP):
    o = Options()
    o.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--lang=en-US", f"--window-size={size[0]},{size[1]}"):
        o.add_argument(a)
    profile = tmp_path / f"chromium-{time.monotonic_ns()}"
    o.add_argument(f"--user-data-dir={profile}")
    prefs = {"intl.accept_languages": "en-US"}
    if not js:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    o.add_experimental_option("prefs", prefs)
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    viewport(d, size)
    return d


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    d = make_browser(tmp_path_factory.mktemp("browser"))
    yield d
    d.quit()


@pytest.fixture(scope="module")
def nojs_browser(tmp_path_factory):
    d = make_browser(tmp_path_factory.mktemp("browser-nojs"), js=False)
    yield d
    d.quit()


def viewport(d, size):
    phone = size[0] < 600
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": size[0], "height": size[1], "deviceScaleFactor": 2 if phone else 1,
                       "mobile": phone})


def wait(d, timeout=10):
    return WebDriverWait(d, timeout, poll_frequency=0.05)


def console_errors(d):
    return [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]


def until(d, condition, what, timeout=10):
    """Wait for `condition`; on time-out say what was awaited, and what the browser complained of."""
    try:
        return wait(d, timeout).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what} on {page_summary(d)}; "
                             f"browser console: {console_errors(d)}") from None


def page_summary(d):
    try:
        main = css(d, "main").text[:300]
    except WebDriverException:
        main = d.page_source[:300]
    return f"{d.current_url} (HTTP {http_status(d)}): {main!r}"


def http_status(d):
    return d.execute_script("const n = performance.getEntriesByType('navigation')[0];"
                            "return n ? n.responseStatus : null;")


def wait_status(d, n, text):
    until(d, lambda d: status_of(d, n) == text,
          f"question {n} to say {text!r} (it says {status_of(d, n)!r})")


def css(d, selector):
    return d.find_element(By.CSS_SELECTOR, selector)


def status_of(d, n):
    return css(d, f"#q{n} [data-status]").text


def page_id(d):
    return d.execute_script("return performance.timeOrigin")


def wait_new_page(d, before, what):
    """Wait until another document than `before` (a page_id) is loaded completely."""
    def loaded(d):
        try:
            return page_id(d) != before and d.execute_script("return document.readyState") == "complete"
        except WebDriverException:  # between two documents
            return False
    until(d, loaded, what)


def open_page(d, url):
    """Load a page and wait until it is there."""
    d.get(url)
    wait(d).until(lambda d: d.execute_script("return document.readyState") == "complete")


def post_and_wait(d, button, status=200):
    """Click a button of a plain form, wait for the page it leads to (after the
    redirect) and check its HTTP status."""
    before = page_id(d)
    label = button.text
    button.click()
    wait_new_page(d, before, f"the page after pressing {label!r}")
    got = http_status(d)
    assert got == status, f"pressing {label!r} led to HTTP {got}, not {status}: {page_summary(d)}"


def screenshot(d, shots, name):
    """A full-page screenshot at the phone and the desktop size: NAME-phone.png, NAME-desktop.png."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        viewport(d, size)
        m = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = d.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": m["width"], "height": m["height"], "scale": 1}})
        (shots / f"{name}-{label}.png").write_bytes(base64.b64decode(shot["data"]))
    viewport(d, DESKTOP)


# ---------------------------------------------------------------------------
# Checks every page passes.

def check_labels(d):
    """Every form control has an accessible name, from a <label for> or a fieldset's legend
    (or, for a button, its text); every <label for> names a control that exists."""
    problems = []
    for el in d.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), textarea, select"):
        ident = el.get_attribute("id")
        labelled = bool(ident and d.find_elements(By.CSS_SELECTOR, f'label[for="{ident}"]'))
        in_legend = bool(el.find_elements(By.XPATH, "ancestor::fieldset[legend[normalize-space()]]"))
        if el.is_displayed():
            name = el.accessible_name.strip()
        else:  # not shown yet: its label's text, as it will be
            name = " ".join(l.get_attribute("textContent").strip()
                            for l in d.find_elements(By.CSS_SELECTOR, f'label[for="{ident}"]'))
        if not (labelled or in_legend) or not name:
            problems.append(f"{el.get_attribute('outerHTML')[:120]} (name {name!r})")
    for el in d.find_elements(By.CSS_SELECTOR, "button, a[href]"):
        # (a control that is not shown has no accessible name until it is)
        if not (el.accessible_name.strip() if el.is_displayed() else el.get_attribute("textContent").strip()):
            problems.append(f"{el.get_attribute('outerHTML')[:120]} has no accessible name")
    for label in d.find_elements(By.CSS_SELECTOR, "label[for]"):
        if not d.find_elements(By.ID, label.get_attribute("for")):
            problems.append(f"label for missing #{label.get_attribute('for')}")
    ids = [e.get_attribute("id") for e in d.find_elements(By.CSS_SELECTOR, "[id]")]
    problems += [f"duplicate id {i}" for i in set(ids) if ids.count(i) > 1]
    assert not problems, "\n".join(problems)


def check_phone_fits(d):
    """At 360x740 the page never scrolls sideways."""
    viewport(d, PHONE)
    try:
        wide = d.execute_script("const e = document.documentElement;"
                                "return [e.scrollWidth, e.clientWidth, document.body.scrollWidth];")
        assert wide[0] <= wide[1] and wide[2] <= wide[1], f"horizontal scroll at 360 px: {wide}"
        assert wide[1] == PHONE[0]
    finally:
        viewport(d, DESKTOP)


def check_secure_page(d):
    """No inline script or style: the CSP would refuse it, and the console would say so."""
    html = d.page_source
    assert "<style" not in html and not re.search(r"<[^>]+\sstyle\s*=", html), "inline style"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "inline event handler"
    for s in d.find_elements(By.TAG_NAME, "script"):
        assert s.get_attribute("src"), "inline script"
    refused = [m for m in console_errors(d) if "Content Security Policy" in m]
    assert not refused, refused
    assert FIRM in css(d, "header.firm").text


def tab_to(d, selector, limit=60):
    """Load the page afresh and press TAB from the top until the element `selector` has
    the focus, which it shows; returns the element."""
    open_page(d, d.current_url)
    element = css(d, selector)
    ActionChains(d).send_keys(Keys.TAB).perform()
    assert d.switch_to.active_element.text == "Skip to content"
    for _ in range(limit):
        if d.switch_to.active_element == element:
            ring = d.execute_script("const s = getComputedStyle(arguments[0]);"
                                    "return [s.outlineStyle, s.outlineWidth];", element)
            assert ring[0] != "none" and ring[1] != "0px", f"no visible focus on {selector}: {ring}"
            return element
        ActionChains(d).send_keys(Keys.TAB).perform()
    raise AssertionError(f"{limit} TABs never reached {selector}")


# ---------------------------------------------------------------------------
# The tests.

def make_files(tmp_path):
    w2 = tmp_path / "W-2_2025_Employer_Incorporated_International_Holdings_copyB.pdf"
    w2.write_bytes(b"%PDF-1.4 W-2\n" + os.urandom(3 * 1024 * 1024))
    second = tmp_path / "W-2 second job.pdf"
    second.write_bytes(b"%PDF-1.4 second W-2\n" + b"x" * 5000)
    return w2, second


def test_request_with_javascript(office, browser, tmp_path):
    rid, jid, url = tax_request(office, "Documents for your 2025 return")
    w2, _ = make_files(tmp_path)
    first = make_browser(tmp_path)
    try:
        open_page(first, url)
        assert FIRM in css(first, "header.firm").text
        assert css(first, "h1").text == "Documents for your 2025 return"
        assert "0 of 6 answered" in css(first, "#progress").text
        assert "Every answer is saved as you give it" in css(first, "p.hint").text
        # The Save buttons are for pages without JavaScript.
        assert not css(first, "#q1 button.save").is_displayed()
        # Typing in a text field saves it by itself.
        css(first, "#a1").send_keys("Maria Elena Ionescu")
        wait_status(first, 1, "Saved")
        assert "1 of 6 answered" in css(first, "#progress").text
        # A choice saves on click.
        css(first, "#q3").find_element(By.XPATH, ".//label[contains(., 'Married filing jointly')]").click()
        wait_status(first, 3, "Saved")
        # A bad number is refused next to the question, with what was typed kept.
        css(first, "#a6").send_keys("about 300")
        wait_status(first, 6, "Not saved")
        assert "number" in css(first, "#q6 .error").text.lower()
        assert css(first, "#a6").get_attribute("value") == "about 300"
        assert css(first, "#a6").get_attribute("aria-invalid") == "true"
        assert css(first, "#a6").get_attribute("aria-describedby") == css(first, "#q6 .error").get_attribute("id")
        css(first, "#a6").clear()
        css(first, "#a6").send_keys("300")
        wait_status(first, 6, "Saved")
        assert not first.find_elements(By.CSS_SELECTOR, "#q6 .error")
        assert not css(first, "#a6").get_attribute("aria-invalid")
        # A file: the progress bar shows while it goes up, then it is listed.
        first.execute_script("""
            const bar = document.querySelector('#q5 progress.upload');
            const st = document.querySelector('#q5 [data-status]');
            sessionStorage.setItem('seen', JSON.stringify({visible: false, max: 0, said: []}));
            const note = () => {
              const s = JSON.parse(sessionStorage.getItem('seen'));
              s.visible = s.visible || !bar.hidden;
              s.max = Math.max(s.max, bar.value);
              if (st.textContent && !s.said.includes(st.textContent)) s.said.push(st.textContent);
              sessionStorage.setItem('seen', JSON.stringify(s));
            };
            new MutationObserver(note).observe(bar, {attributes: true});
            new MutationObserver(note).observe(st, {childList: true, characterData: true, subtree: true});
        """)
        css(first, "#a5").send_keys(str(w2))
        until(first, lambda d: d.find_elements(By.CSS_SELECTOR, "#q5 .files .file-name"), "the file to be listed")
        assert [e.text for e in first.find_elements(By.CSS_SELECTOR, "#q5 .files .file-name")] == [w2.name]
        seen = first.execute_script("return JSON.parse(sessionStorage.getItem('seen'))")
        assert seen["visible"] and seen["max"] == 100 and "Uploading…" in seen["said"], seen
        assert "4 of 6 answered" in css(first, "#progress").text
    finally:
        first.quit()

    # A new browser on the same link: everything saved so far is there.
    d = browser
    open_page(d, url)
    assert css(d, "#a1").get_attribute("value") == "Maria Elena Ionescu"
    assert css(d, "#q3 input[value='Married filing jointly']").is_selected()
    assert [e.text for e in d.find_elements(By.CSS_SELECTOR, "#q5 .files .file-name")] == [w2.name]
    assert css(d, "#a6").get_attribute("value") == "300"
    assert [status_of(d, n) for n in range(1, 7)] == ["Saved", "", "Saved", "", "", "Saved"]
    assert "4 of 6 answered" in css(d, "#progress").text
    # The rest: a date typed as a person types it, and two boxes ticked.
    css(d, "#a2").send_keys("06152025")
    wait_status(d, 2, "Saved")
    for label in ("Wages", "Interest"):
        css(d, "#q4").find_element(By.XPATH, f".//label[contains(., '{label}')]").click()
    wait_status(d, 4, "Saved")
    until(d, lambda d: "6 of 6 answered" in css(d, "#progress").text, "6 of 6 answered")
    shown = office.json("request", "show", rid)
    assert shown["status"] == "in_progress"
    answers = [q.get("answer") for q in shown["questions"]]
    assert answers[:4] == ["Maria Elena Ionescu", "2025-06-15", "Married filing jointly", ["Wages", "Interest"]], answers
    check_labels(d)
    check_secure_page(d)
    check_phone_fits(d)
    screenshot(d, office.shots, "request")
    # Submit with the keyboard alone: TAB from the top, then Enter.
    firm_mail = len(mails_to(office, "office@acme.test"))
    tab_to(d, "#submit button[type=submit]")
    before = page_id(d)
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait_new_page(d, before, "the page after Enter on Submit")
    until(d, lambda d: d.find_elements(By.CSS_SELECTOR, "p.notice"), "the submitted page")
    assert http_status(d) == 200, page_summary(d)
    assert "You submitted this" in css(d, "p.notice").text
    assert not d.find_elements(By.CSS_SELECTOR, "main form, main input, main textarea")
    assert "Maria Elena Ionescu" in css(d, "#q1").text and w2.name in css(d, "#q5").text
    screenshot(d, office.shots, "request-submitted")
    check_phone_fits(d)
    assert office.json("request", "show", rid)["status"] == "submitted"
    job = office.json("job", "show", jid)
    assert job["stage"] == "Preparation", job
    log = office.json("audit", "--item", f"request:{rid}")
    assert any(e["action"] == "submitted" and who(e) == "maria@ionescu.test" and e["actor_kind"] == "contact"
               and e["details"].get("via") == "portal" for e in log), log
    # The firm hears of it by email.
    until(d, lambda _: len(mails_to(office, "office@acme.test")) > firm_mail, "the firm's email about the submit")


def test_request_without_javascript(office, nojs_browser, tmp_path):
    d = nojs_browser
    rid, jid, url = tax_request(office, "Your 2025 papers")
    w2, second = make_files(tmp_path)
    open_page(d, url)
    assert "js" not in (css(d, "html").get_attribute("class") or "")
    for n in (1, 2, 3, 4, 6):
        assert css(d, f"#q{n} button.save").is_displayed()
    assert css(d, "#q5 button.save").text == "Upload"
    assert "Press Save (or Upload) under an answer to keep it" in css(d, "p.hint").text
    check_labels(d)
    check_phone_fits(d)

    def save(n, status=200):
        post_and_wait(d, css(d, f"#q{n} button.save"), status)

    css(d, "#a1").send_keys("Ion Ionescu")
    save(1)
    assert status_of(d, 1) == "Saved" and css(d, "#a1").get_attribute("value") == "Ion Ionescu"
    # Submitting too early names what is missing, and changes nothing.
    post_and_wait(d, css(d, "#submit button[type=submit]"), 422)
    assert "4 required questions still need an answer" in css(d, "#submit-error").text
    for n in (2, 3, 4, 5):
        assert "needs an answer" in css(d, f"#q{n} .error").text
    # A bad number: refused with the message by the question and what was typed kept.
    css(d, "#a6").send_keys("12abc")
    save(6, 422)
    assert css(d, "#a6").get_attribute("value") == "12abc"
    assert css(d, "#a6").get_attribute("aria-invalid") == "true" and css(d, "#q6 .error").text
    css(d, "#a6").clear()
    save(6)  # an empty optional answer clears it
    css(d, "#a2").send_keys("03012025")
    save(2)
    css(d, "#q3").find_element(By.XPATH, ".//label[contains(., 'Single')]").click()
    save(3)
    for label in ("Dividends", "Rental income"):
        css(d, "#q4").find_element(By.XPATH, f".//label[contains(., '{label}')]").click()
    save(4)
    # Two files at once with the Upload button, then one removed.
    css(d, "#a5").send_keys(f"{w2}\n{second}")
    save(5)
    assert sorted(e.text for e in d.find_elements(By.CSS_SELECTOR, "#q5 .files .file-name")) == \
        sorted([w2.name, second.name])
    post_and_wait(d, css(d, f"#q5 button[aria-label='Remove {second.name}']"))
    assert [e.text for e in d.find_elements(By.CSS_SELECTOR, "#q5 .files .file-name")] == [w2.name]
    assert "5 of 6 answered" in css(d, "#progress").text
    assert [status_of(d, n) for n in (1, 2, 3, 4)] == ["Saved"] * 4
    screenshot(d, office.shots, "request-nojs")
    post_and_wait(d, css(d, "#submit button[type=submit]"))
    assert "You submitted this" in css(d, "p.notice").text
    assert not d.find_elements(By.CSS_SELECTOR, "main form, main input")
    shown = office.json("request", "show", rid)
    assert shown["status"] == "submitted"
    answers = [q.get("answer") for q in shown["questions"]]
    assert answers[:4] == ["Ion Ionescu", "2025-03-01", "Single", ["Dividends", "Rental income"]], answers
    assert [f["name"] for f in shown["questions"][4]["files"]] == [w2.name]
    assert office.json("job", "show", jid)["stage"] == "Preparation"


def test_disapproval_with_two_reasons(office, browser, tmp_path):
    d = browser
    doc = tmp_path / "2025 Form 1040 – draft for review.pdf"
    doc.write_bytes(b"%PDF-1.4 the return")
    added = office.json("doc", "add", "--account", "Ionescu Family", doc, "--folder", "Client documents",
                        "--description", "Your 2025 federal return, ready to file.")
    a = office.json("approval", "request", str(added["id"]), "--message",
                    "Please check pages 1 and 2, especially the address and the bank account for the refund.")
    url = link_in_mail(office, "maria@ionescu.test", doc.name)
    assert "/a/" in url
    open_page(d, url)
    assert doc.name in css(d, "h1").text
    assert FIRM in css(d, "header.firm").text
    # With JavaScript only the first reason shows, and a button adds more.
    assert css(d, "#reason1").is_displayed() and not css(d, "#reason2").is_displayed()
    check_labels(d)
    check_secure_page(d)
    check_phone_fits(d)
    screenshot(d, office.shots, "approval")
    css(d, "#reason1").send_keys("The address is the old one")
    add = css(d, "button[data-add-reason]")
    add.click()
    assert d.switch_to.active_element == css(d, "#reason2")
    d.switch_to.active_element.send_keys("The refund should go to our joint account")
    css(d, "#comment").send_keys("Call me on Thursday if anything is unclear.")
    firm_mail = len(mails_to(office, "office@acme.test"))
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Disapprove']"))
    assert "You disapproved this" in css(d, "p.notice").text
    assert [li.text for li in d.find_elements(By.CSS_SELECTOR, "ul.reasons li")] == [
        "The address is the old one", "The refund should go to our joint account"]
    assert not d.find_elements(By.CSS_SELECTOR, "main form")
    screenshot(d, office.shots, "approval-disapproved")
    shown = office.json("approval", "show", str(a["id"]))
    assert shown["status"] == "disapproved"
    assert shown["reasons"] == ["The address is the old one", "The refund should go to our joint account"]
    assert shown["comment"] == "Call me on Thursday if anything is unclear."
    assert who(shown, "decided_by") == "maria@ionescu.test"
    human = office.ok("approval", "show", str(a["id"])).out
    assert "The address is the old one; The refund should go to our joint account" in human
    until(d, lambda _: len(mails_to(office, "office@acme.test")) > firm_mail, "the firm's email about the decision")


def test_approval_page_without_javascript(office, nojs_browser, tmp_path):
    d = nojs_browser
    doc = tmp_path / "Engagement letter 2025.pdf"
    doc.write_bytes(b"%PDF-1.4 engagement")
    added = office.json("doc", "add", "--account", "Ionescu Family", doc, "--folder", "Client documents")
    a = office.json("approval", "request", str(added["id"]))
    open_page(d, link_in_mail(office, "maria@ionescu.test", doc.name))
    # Without JavaScript three reason fields show, and no button that could not work.
    assert all(css(d, f"#reason{n}").is_displayed() for n in (1, 2, 3))
    assert not css(d, "button[data-add-reason]").is_displayed()
    check_labels(d)
    check_phone_fits(d)
    # Disapproving without a reason is refused, with the comment kept.
    css(d, "#comment").send_keys("Not yet")
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Disapprove']"), 422)
    assert "at least one reason" in css(d, "#reason-error").text
    assert css(d, "#comment").get_attribute("value") == "Not yet"
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Approve']"))
    assert "You approved this" in css(d, "p.notice").text
    assert office.json("approval", "show", str(a["id"]))["status"] == "approved"


def test_sign_in_page(office, browser):
    d = browser
    r = office.json("request", "create", "--account", "Rossi SRL", "--title", "Bank statements for 2025",
                    "--draft")
    rid = str(r["id"])
    office.ok("request", "question", "add", rid, "--type", "file", "--prompt", "Statements, January to December")
    office.ok("request", "send", rid)
    url = link_in_mail(office, "giulia@rossi.test", "Bank statements")
    open_page(d, url)
    assert css(d, "h1").text == "Bank statements for 2025"
    assert "g***@rossi.test" in css(d, "main").text
    assert not d.find_elements(By.CSS_SELECTOR, "input[type=file]")
    check_labels(d)
    check_secure_page(d)
    check_phone_fits(d)
    screenshot(d, office.shots, "signin")
    # The code comes by email, and opens the request.
    before = len(mails_to(office, "giulia@rossi.test"))
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Email me a code']"))
    assert "We sent a code" in css(d, "p.notice").text
    until(d, lambda _: len(mails_to(office, "giulia@rossi.test")) > before, "the email with the code")
    code = re.search(r"\b(\d{6})\b", body_of(mails_to(office, "giulia@rossi.test")[-1])).group(1)
    css(d, "#code").send_keys(code)
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Sign in']"))
    assert css(d, "h1").text == "Bank statements for 2025"
    assert d.find_elements(By.CSS_SELECTOR, "#q1 input[type=file]")
    check_labels(d)
    check_phone_fits(d)
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))
    assert css(d, "h1").text == "Welcome"


def test_an_answer_typed_just_before_submit_is_kept(office, browser):
    """Submit right after typing, before autosave's pause has passed: the answer is saved first."""
    d = browser
    r = office.json("request", "create", "--account", "Ionescu Family", "--title", "One last thing",
                    "--no-login", "--draft")
    rid = str(r["id"])
    office.ok("request", "question", "add", rid, "--type", "paragraph", "--prompt", "Anything we should know?")
    office.ok("request", "send", rid)
    open_page(d, link_in_mail(office, "maria@ionescu.test", "One last thing"))
    css(d, "#a1").send_keys("We sold the car in May.")
    post_and_wait(d, css(d, "#submit button[type=submit]"))
    assert "You submitted this" in css(d, "p.notice").text
    shown = office.json("request", "show", rid)
    assert shown["status"] == "submitted" and shown["questions"][0]["answer"] == "We sold the car in May."


def test_a_romanian_client_reads_everything_in_romanian(office, browser, tmp_path):
    """A contact whose language is ro, in a firm that writes English: the email, the
    sign-in page, the code's email, the request page (labels, the three plural forms,
    autosave's words, a refused submit) and the read-only page, all in Romanian."""
    d = browser
    office.ok("account", "add", "Popescu SRL", "--type", "company")
    office.ok("contact", "add", "--account", "Popescu SRL", "--name", "Ion Popescu", "--email", "ion@popescu.test",
              "--portal", "--language", "ro")
    optional = "".join(f'[[question]]\ntype = "text"\nprompt = "Observații {n}"\nrequired = false\n'
                       for n in range(4, 22))
    spec = tmp_path / "acte.toml"
    spec.write_text('title = "Acte pentru 2025"\n'
                    '[[question]]\ntype = "text"\nprompt = "Codul fiscal"\n'
                    '[[question]]\ntype = "yesno"\nprompt = "Ați avut angajați?"\n'
                    '[[question]]\ntype = "date"\nprompt = "Data înființării"\n' + optional)
    rid = str(office.json("request", "create", "--account", "Popescu SRL", "--file", spec)["id"])
    m = mails_to(office, "ion@popescu.test")[-1]
    assert m["Subject"] == f"{FIRM}: Acte pentru 2025" and m["Content-Language"] == "ro"
    assert "are nevoie de câteva informații de la dumneavoastră (21 de întrebări):" in body_of(m)

    # Sign in: the page, then the code by email, in Romanian.
    open_page(d, link_in_mail(office, "ion@popescu.test", "Acte pentru 2025"))
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ro"
    assert "Vom trimite un cod din 6 cifre la i***@popescu.test." in css(d, "main").text
    before = len(mails_to(office, "ion@popescu.test"))
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Trimiteți-mi un cod prin e-mail']"))
    assert css(d, "p.notice").text == "Am trimis un cod la i***@popescu.test. Este valabil 10 minute."
    until(d, lambda _: len(mails_to(office, "ion@popescu.test")) > before, "the email with the code")
    m = mails_to(office, "ion@popescu.test")[-1]
    assert m["Subject"] == f"{FIRM}: codul dumneavoastră de autentificare" and m["Content-Language"] == "ro"
    assert "Este valabil 10 minute, o singură dată." in body_of(m)
    css(d, "#code").send_keys(re.search(r"\b(\d{6})\b", body_of(m)).group(1))
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Autentificare']"))

    # The page: its labels and the plural forms (one, few, other).
    assert css(d, "h1").text == "Acte pentru 2025"
    assert css(d, "#progress").text == "Ați răspuns la 0 din 21 de întrebări"
    assert css(d, "label[for=a4]").text == "4. Observații 4 (opțional)"
    assert [e.text for e in d.find_elements(By.CSS_SELECTOR, "#q2 label.option")] == ["Da", "Nu"]
    assert "Fiecare răspuns se salvează imediat ce îl dați" in css(d, "p.hint").text
    assert css(d, "#submit button[type=submit]").text == f"Trimiteți către {FIRM}"
    assert css(d, "a.skip").get_attribute("textContent") == "Salt la conținut"
    assert css(d, "form.signout button").text == "Deconectare"
    css(d, "#a1").send_keys("RO12345678", Keys.TAB)  # leaving the field saves at once
    wait_status(d, 1, "Salvat")  # autosave's words come from the page (data-texts)
    assert css(d, "#progress").text == "Ați răspuns la 1 din 21 de întrebări"
    post_and_wait(d, css(d, "#submit button[type=submit]"), status=422)
    assert css(d, "#submit-error").text == "2 întrebări obligatorii nu au încă răspuns: vedeți mai jos."
    assert css(d, "#q2 .error").text == "Această întrebare are nevoie de un răspuns înainte de trimitere."
    css(d, "#a3").send_keys("03312026")
    wait_status(d, 3, "Salvat")
    post_and_wait(d, css(d, "#submit button[type=submit]"), status=422)
    assert css(d, "#submit-error").text == "1 întrebare obligatorie nu are încă răspuns: vedeți mai jos."
    css(d, "#q2").find_element(By.XPATH, ".//label[contains(., 'Da')]").click()
    wait_status(d, 2, "Salvat")
    english = ["Save", "Saved", "Submit", "answered", "optional", "Sign out", "Skip to content", "question"]
    shown = d.find_element(By.TAG_NAME, "body").get_attribute("textContent")
    assert not [w for w in english if w in shown], shown
    check_labels(d)
    check_secure_page(d)

    # Submitted: the read-only page writes dates as Romanians do.
    post_and_wait(d, css(d, "#submit button[type=submit]"))
    today = time.strftime("%d.%m.%Y", time.gmtime())
    assert css(d, "p.notice").text.startswith("Ați trimis această cerere pe ")
    assert css(d, "p.notice").text[len("Ați trimis această cerere pe "):][:10] in (
        today, time.strftime("%d.%m.%Y", time.gmtime(time.time() - 60)))
    assert css(d, "#q2 .answer").text == "Da" and css(d, "#q3 .answer").text == "31.03.2026"
    assert css(d, "#q4 .answer").text == "Fără răspuns"
    assert office.json("request", "show", rid)["questions"][2]["answer"] == "2026-03-31"  # ISO for staff
    post_and_wait(d, d.find_element(By.XPATH, "//button[normalize-space()='Deconectare']"))
    assert css(d, "h1").text == "Welcome"  # no one signed in: the firm's language
