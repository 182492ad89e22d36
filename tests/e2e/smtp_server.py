#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) on 127.0.0.1 that injects faults, for tests.

Run as a child process: it prints "ready PORT" once listening, logs every
event as a JSON line to --log, and stops when its stdin closes. A "data"
event is logged the moment a message's final dot has arrived, before any
slowN wait and before the reply.

Faults are chosen per message:
- by a tag at the start of the recipient's local part:
  rcpt451- rcpt550- data451- data554- dropkeep- (accept, then cut the
  connection before the reply) dropdata- (cut before accepting) slowN-
  (wait N seconds before the final reply, then accept) lateN- (accept at
  once, then wait N seconds before saying so: a client gone meanwhile
  leaves the message delivered);
- --max-sessions N: a connection beyond N open at once is greeted with
  "421 too many connections" and closed, as relays with a limit do;
- --refuse-file PATH: while PATH exists, RCPT to an address listed in it
  (one a line) gets "451 4.2.1 mailbox busy": a fault a test turns on and off;
- or at random with --p451 / --p554 (seeded by --seed): 554 is decided by
  the Message-ID alone, so a message is either always or never refused;
  451 is drawn again on every attempt.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import random
import re
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

TAG = re.compile(r"^(rcpt451|rcpt550|data451|data554|dropkeep|dropdata|slow\d+|late\d+)-")
MID = re.compile(rb"(?im)^Message-ID:\s*(<[^>\r\n]*>)")


class FaultHandler:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.attempts = {}
        self.rng = random.Random(args.seed)
        self.open_sessions = 0

    def log(self, **event):
        with self.lock, open(self.args.log, "a") as f:
            f.write(json.dumps(event) + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.log(event="ehlo", name=hostname, peer=str(session.peer))
        return responses

    def refused(self, address):
        try:
            with open(self.args.refuse_file) as f:
                return address.lower() in {line.strip().lower() for line in f}
        except (OSError, TypeError):
            return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.log(event="rcpt", to=address)
        if self.refused(address):
            self.log(event="reject", code=451, to=[address])
            return "451 4.2.1 mailbox busy, try again later"
        tag = (m := TAG.match(address)) and m.group(1)
        if tag == "rcpt451":
            return "451 4.3.0 try again later"
        if tag == "rcpt550":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        mid = (m := MID.search(raw)) and m.group(1).decode()
        tags = {m.group(1) for a in envelope.rcpt_tos if (m := TAG.match(a))}
        with self.lock:
            attempt = self.attempts[mid] = self.attempts.get(mid, 0) + 1
        self.log(event="data", message_id=mid, to=envelope.rcpt_tos)
        for t in tags:
            if t.startswith("slow"):
                await asyncio.sleep(int(t[4:]))
        late = [int(t[4:]) for t in tags if t.startswith("late")]
        if late:
            self.record(envelope, mid, raw)
            await asyncio.sleep(max(late))
            return "250 2.0.0 queued"
        if self.args.p554:
            h = int(hashlib.sha256(f"{self.args.seed}:{mid}".encode()).hexdigest(), 16)
            if (h % 10_000) < self.args.p554 * 10_000:
                tags.add("data554")
        if self.args.p451:
            h = int(hashlib.sha256(f"{self.args.seed}:{mid}:{attempt}".encode()).hexdigest(), 16)
            if (h % 10_000) < self.args.p451 * 10_000:
                tags.add("data451")
        if "data554" in tags:
            self.log(event="reject", code=554, message_id=mid, to=envelope.rcpt_tos)
            return "554 5.7.1 rejected by policy"
        if "data451" in tags:
            self.log(event="reject", code=451, message_id=mid, to=envelope.rcpt_tos)
            return "451 4.7.1 greylisted, retry later"
        if "dropkeep" in tags:
            self.record(envelope, mid, raw)
        if tags & {"dropkeep", "dropdata"}:
            server.transport.abort()
            return "451 unreachable"
        self.record(envelope, mid, raw)
        return "250 2.0.0 queued"

    def record(self, envelope, mid, raw):
        event = dict(event="message", to=envelope.rcpt_tos, mail_from=envelope.mail_from,
                     size=len(raw), message_id=mid,
                     sha256=hashlib.sha256(raw).hexdigest())
        if self.args.keep_content:
            event["content"] = base64.b64encode(raw).decode()
        self.log(**event)


class LimitedSMTP(SMTP):
    """Turns away connections beyond the handler's max_sessions."""

    def connection_made(self, transport):
        h = self.event_handler
        with h.lock:
            h.open_sessions += 1
            over = h.args.max_sessions and h.open_sessions > h.args.max_sessions
        self._turned_away = over
        if over:
            h.log(event="turned_away")
            transport.write(b"421 4.7.0 too many connections\r\n")
            transport.close()
            return
        super().connection_made(transport)

    def connection_lost(self, exc):
        h = self.event_handler
        with h.lock:
            h.open_sessions -= 1
        if not self._turned_away:
            super().connection_lost(exc)


class LimitedController(Controller):
    def factory(self):
        return LimitedSMTP(self.handler, **self.SMTP_kwargs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", help="user:password required (after STARTTLS)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--p451", type=float, default=0.0)
    p.add_argument("--p554", type=float, default=0.0)
    p.add_argument("--keep-content", action="store_true")
    p.add_argument("--max-sessions", type=int, default=0)
    p.add_argument("--refuse-file")
    args = p.parse_args()

    handler = FaultHandler(args)
    kw = {"timeout": 300, "data_size_limit": 10 * 1024 * 1024}
    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
    if ctx and not args.implicit_tls:
        kw.update(tls_context=ctx, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            handler.log(event="auth", ok=ok)
            return AuthResult(success=ok, handled=False)

        kw.update(authenticator=authenticator, auth_required=True)
    # Port 0 is not supported by Controller (it probes the port): pick one here.
    import socket
    port = args.port
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    if args.implicit_tls:
        controller = LimitedController(handler, hostname="127.0.0.1", port=port, ssl_context=ctx, **kw)
    else:
        controller = LimitedController(handler, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    print(f"ready {port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
