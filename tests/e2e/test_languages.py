"""Clients read practice in their own language: the request and the reminder
each contact of one account gets, as a real SMTP server received them, and a
third party's, while staff keep reading English. (A Romanian client's portal
page in a browser: test_portal_browser.py; every catalogue complete:
tests/unit/i18n/test_catalogue.cpp.)"""
import email
import email.policy

from conftest import assert_refused
from mailserver import SmtpServer, smtp_config

MON = "2026-03-02T10:00:00Z"  # a Monday
THU = "2026-03-05T10:00:00Z"  # three days on: the reminder is due


def received(srv):
    """Every message the server got: (raw bytes, parsed message)."""
    return [(raw, email.message_from_bytes(raw, policy=email.policy.default)) for raw in srv.contents()]


def to(msgs, address):
    return [(raw, m) for raw, m in msgs if m["To"].addresses[0].addr_spec == address]


def text(m):
    return m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_each_contact_gets_the_request_and_the_reminder_in_their_language(firm, tmp_path):
    srv = SmtpServer(tmp_path, "--keep-content")
    try:
        firm.write_config('user = "alice@acme.test"\n[firm]\nnotify = ["office@acme.test"]\nlanguage = "ro"\n'
                          '[portal]\nbase_url = "https://portal.acme.test"\nlink_expiry_days = 30\n'
                          + smtp_config(srv.port))
        # The firm's language: its record's, else the config's, else English.
        assert firm.json("firm", "show")["language"] == "ro"
        assert "ro (Română, from [firm] language" in firm.ok("firm", "show").out
        firm.ok("account", "add", "São Paulo Ltda", "--type", "company")
        ana = firm.json("contact", "add", "--account", "São Paulo Ltda", "--name", "Ana Costa",
                        "--email", "ana@saopaulo.test", "--language", "PT")
        assert ana["language"] == "pt"
        firm.ok("contact", "add", "--account", "São Paulo Ltda", "--name", "Giulia Rossi",
                "--email", "giulia@saopaulo.test", "--language", "it")
        firm.ok("contact", "add", "--account", "São Paulo Ltda", "--name", "Ion Popescu",
                "--email", "ion@saopaulo.test")
        assert "language: the firm's" in firm.ok("contact", "show", "ion@saopaulo.test").out
        assert_refused(firm, 65, "contact", "edit", "ion@saopaulo.test", "--language", "de",
                       contains='does not write client text in "de"')
        assert_refused(firm, 65, "firm", "edit", "--language", "klingon", contains="use one of en, it, pt or ro")
        # Completion offers the languages there are.
        assert firm.ok("__complete", "contact", "add", "--language").out.split() == ["en", "it", "pt", "ro", ":"]

        rid = str(firm.json("--now", MON, "request", "create", "--account", "São Paulo Ltda",
                            "--title", "Recibos médicos", "--no-login", "--draft")["id"])
        firm.ok("request", "question", "add", rid, "--type", "text", "--prompt", "NIF")
        firm.ok("request", "question", "add", rid, "--type", "yesno", "--prompt", "Seguro de saúde?", "--optional")
        firm.ok("--now", MON, "request", "send", rid)
        assert firm.json("remind", "--run", "--now", THU)["sent"] == 3

        msgs = received(srv)
        # Portuguese: the request, then the reminder.
        (raw_req, req), (_, rem) = to(msgs, "ana@saopaulo.test")
        assert b"\r\nSubject: =?UTF-8?B?" in raw_req  # RFC 2047: the subject has an é
        assert req["Subject"] == "Acme CPA: Recibos médicos"
        assert req["Content-Language"] == "pt"
        body = text(req)
        assert body.startswith("Olá, Ana Costa,\n")
        assert "Acme CPA precisa de algumas informações (2 perguntas):" in body
        assert "2. Seguro de saúde? (opcional)" in body and "Escolha entre: sim / não" in body
        assert "O link funciona até 31/03/2026." in body and "https://portal.acme.test/r/" in body
        assert "Com os nossos agradecimentos,\nAcme CPA" in body
        assert rem["Subject"] == "Lembrete: Recibos médicos" and rem["Content-Language"] == "pt"
        body = text(rem)
        assert "Lembramos que Acme CPA ainda aguarda: Recibos médicos." in body
        assert "O pedido foi enviado pela primeira vez em 02/03/2026." in body
        assert "O link funciona até 03/04/2026." in body  # 30 days from the reminder

        # Italian, the same two emails.
        (_, req), (_, rem) = to(msgs, "giulia@saopaulo.test")
        assert req["Subject"] == "Acme CPA: Recibos médicos" and req["Content-Language"] == "it"
        body = text(req)
        assert body.startswith("Gentile Giulia Rossi,\n")
        assert "Acme CPA ha bisogno di alcune informazioni da Lei (2 domande):" in body
        assert "(facoltativa)" in body and "Scelga tra: sì / no" in body
        assert "Il link è valido fino al 31/03/2026." in body
        assert rem["Subject"] == "Promemoria: Recibos médicos" and rem["Content-Language"] == "it"
        assert "La richiesta Le è stata inviata per la prima volta il 02/03/2026." in text(rem)

        # No language of his own: the firm's (the config's Romanian).
        (_, req), (_, rem) = to(msgs, "ion@saopaulo.test")
        assert req["Content-Language"] == "ro" and text(req).startswith("Bună ziua, Ion Popescu,\n")
        assert "(2 întrebări)" in text(req) and "Linkul este valabil până la 31.03.2026." in text(req)
        assert rem["Subject"] == "Memento: Recibos médicos"
        assert "prima dată pe 02.03.2026" in text(rem)

        # A third party named as "Name <address>", in the language asked for,
        # told whom it is about; `firm edit --language` now outranks the config.
        firm.ok("firm", "edit", "--language", "it")
        assert_refused(firm, 65, "request", "create", "--account", "São Paulo Ltda", "--title", "Extrato",
                       "--to", "ana@saopaulo.test", "--language", "pt", "--no-login", "--draft",
                       contains="--language is for recipients who are not contacts")
        third = firm.json("--now", MON, "request", "create", "--account", "São Paulo Ltda", "--title", "Extrato",
                          "--to", "Gerente Itaú <gerente@itau.test>", "--to", "bank@itau.test",
                          "--language", "pt", "--no-login", "--draft")
        assert [(r["name"], r["email"], r["third_party"], r["language"]) for r in third["recipients"]] == [
            ("Gerente Itaú", "gerente@itau.test", True, "pt"), ("", "bank@itau.test", True, "pt")]
        assert "Gerente Itaú <gerente@itau.test> (third party, pt)" in firm.ok("request", "show", str(third["id"])).out
        firm.ok("request", "question", "add", str(third["id"]), "--type", "number", "--prompt", "Saldo")
        firm.ok("request", "edit", str(third["id"]), "--language", "ro")
        firm.ok("--now", MON, "request", "send", str(third["id"]))
        msgs = received(srv)
        (_, named), = to(msgs, "gerente@itau.test")
        assert named["Subject"] == "Acme CPA: Extrato (São Paulo Ltda)" and named["Content-Language"] == "ro"
        assert text(named).startswith("Bună ziua, Gerente Itaú,\n")
        assert ("În numele clientului său, São Paulo Ltda, Acme CPA are nevoie de câteva informații de la "
                "dumneavoastră (1 întrebare):") in text(named)
        (_, unnamed), = to(msgs, "bank@itau.test")
        assert text(unnamed).startswith("Bună ziua,\n")

        # Staff read English whatever the clients read: the firm's notice, and the CLI.
        firm.ok("request", "answer", rid, "--question", "1", "--value", "123456789", "--by", "ana@saopaulo.test")
        firm.ok("request", "submit", rid, "--by", "ana@saopaulo.test")
        (_, notice), = to(received(srv), "office@acme.test")
        assert notice["Subject"] == "Submitted: Recibos médicos (São Paulo Ltda)"
        assert notice["Content-Language"] == "en"
        shown = firm.json("request", "show", rid)
        assert shown["sent_at"] == MON  # JSON keeps ISO 8601
        assert [r["language"] for r in shown["recipients"]] == ["pt", "it", None]
    finally:
        srv.stop()
