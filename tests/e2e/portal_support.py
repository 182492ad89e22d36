"""Test helpers for the client portal: `practice portal serve` as a child
process on a free port, and a small HTTP client on the standard library."""
import http.client
import re
import subprocess
import time
import urllib.parse

from conftest import BIN


class PortalServer:
    """`practice portal serve` for one isolated Practice home."""

    def __init__(self, p, *args, env=None):
        full_env = dict(p.env)
        full_env.update(env or {})
        self.log_path = p.root / f"portal-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([BIN, "portal", "serve", "--listen", "127.0.0.1:0", *args],
                                     env=full_env, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + 20
        self.port = None
        while time.monotonic() < deadline and self.port is None:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log_path.read_text())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                raise AssertionError(f"portal exited {self.proc.returncode}: {self.log_path.read_text()}")
            else:
                time.sleep(0.02)
        assert self.port, f"portal did not start: {self.log_path.read_text()}"
        self.base = f"http://127.0.0.1:{self.port}"

    def log(self):
        return self.log_path.read_text()

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One HTTP exchange; returns (status, headers as a lower-case dict, body bytes)."""
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            con.request(method, path, body=body, headers=headers or {})
            r = con.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            con.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields=None, headers=None):
        """A form post (fields: dict or list of pairs)."""
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=urllib.parse.urlencode(fields or {}, doseq=True), headers=h)

    def upload(self, path, fields, files, headers=None):
        """A multipart post: files is a list of (field, filename, bytes)."""
        boundary = "----practice-test-boundary"
        parts = []
        for k, v in (fields.items() if isinstance(fields, dict) else fields):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for field, name, data in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                         f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        h = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h)


def csrf_of(html: bytes) -> str:
    m = re.search(rb'name="csrf" value="([0-9a-f]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1).decode()


def link_path(email_text: str) -> str:
    """The /r/TOKEN or /a/TOKEN path of the portal link in an email's text
    (quoted-printable soft breaks undone)."""
    text = email_text.replace("=\r\n", "").replace("=\n", "")
    m = re.search(r"https?://[^/\s]+(/[ra]/[0-9a-z.]+)", text)
    assert m, f"no portal link in: {text[:500]}"
    return m.group(1)
