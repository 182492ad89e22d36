"""Test helpers: the fault-injecting SMTP server as a child process, and a throwaway CA."""
import base64
import json
import subprocess
import time
from pathlib import Path

SERVER = Path(__file__).resolve().parent / "smtp_server.py"


class SmtpServer:
    def __init__(self, tmp: Path, *args, port=0):
        self.log = tmp / f"smtp-{time.monotonic_ns()}.log"
        self.log.touch()
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", str(SERVER), "--log", str(self.log), "--port", str(port), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "ready", f"server did not start: {line}"
        self.port = int(line[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def events(self, kind=None):
        out = []
        for line in self.log.read_text().splitlines():
            e = json.loads(line)
            if kind is None or e["event"] == kind:
                out.append(e)
        return out

    def messages(self):
        return self.events("message")

    def contents(self):
        return [base64.b64decode(m["content"]) for m in self.messages()]


def make_ca(tmp: Path):
    """A CA and a server certificate for 127.0.0.1, made with openssl."""
    ca_key, ca_crt = tmp / "ca.key", tmp / "ca.crt"
    key, csr, crt = tmp / "server.key", tmp / "server.csr", tmp / "server.crt"
    ext = tmp / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=practice test CA", "-keyout", ca_key, "-out", ca_crt)
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", key, "-out", csr)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
        "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
    return {"ca": ca_crt, "cert": crt, "key": key}


def smtp_config(port, security="none", extra=""):
    return (f'[mail]\ntransport = "smtp"\n[smtp]\nurl = "smtp://127.0.0.1:{port}"\n'
            f'security = "{security}"\ntimeout_seconds = 20\nconnect_timeout_seconds = 5\n{extra}')
