#!/usr/bin/python3
"""Every daily command on a large firm, on SQLite and PostgreSQL, against the sqlite3 CLI (issues 16, 17).

Builds a firm with tests/bench/practice_make_firm (10,000 accounts, 30,000
contacts, 100,000 jobs, 300,000 requests of 5 questions, 100,000 documents
with approvals, 1,000,000 audit rows, 300,000 outbox rows), copies it to a
PostgreSQL database with `practice db migrate --to`, then times each command
with --json on both next to the sqlite3 CLI running SQL that returns the same
rows, in one run (the three take turns going first, RUNS times each, five
times that for a point command), and prints the medians, the median of the
runs' ratios and the peak memory of each (ru_maxrss from wait4).
Before timing, each command is run once and its rows compared (by id, in
order; --strict compares every field): practice on SQLite against sqlite3;
practice on PostgreSQL against practice on SQLite, always every field.

SQLite targets: a point command (one record, or one account's records) under
10 ms and at most 1.5x sqlite3; a whole-firm list at most 1.5x sqlite3 and
under 32 MB; audit --verify at least 1,000,000 rows/s and under 32 MB;
remind --run --dry-run under 1 s.
PostgreSQL targets (loading libpq's libraries and a connection's start-up,
about 20 ms here, and a server round trip per statement, where SQLite reads a
file in the process): a point command
under 25 ms; a whole-firm list at most 2x practice on SQLite and under 32 MB;
audit --verify at least 500,000 rows/s and under 32 MB; remind --run
--dry-run under 2 s.

PostgreSQL: a throwaway cluster (scripts/pg-cluster) in a temporary folder
under /tmp, stopped at the end; or --pg-url, the URL of a maintenance
database on an existing server, where a database is made for the run and
dropped after it; or --pg-firm, a database `db migrate` already filled from
--db's firm, used as it is; --no-postgres: SQLite only.

Usage: bench/large_firm.py [--db FIRM.db] [--scale F] [--runs N] [--strict] [--only NAME]
                           [--pg-url URL | --pg-firm URL | --no-postgres] [PATH/TO/practice]
  (default practice: build/src/practice; the firm is built in a temporary
  folder unless --db names one practice_make_firm built)
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-03-02T10:00:00Z"       # the generator's "today"
WEEK_AGO = "2026-02-23T10:00:00Z"  # NOW - 7d
ACCOUNT = "Client 00017"


def b(expr):
    """A 0/1 SQL expression as a JSON boolean."""
    return f"json(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"


ACCOUNT_ID = f"(SELECT id FROM accounts WHERE name = '{ACCOUNT}' COLLATE NOCASE)"

ACCOUNT_OBJECT = f"""json_object('id', a.id, 'name', a.name, 'type', a.type,
  'contact_count', (SELECT count(*) FROM contacts c WHERE c.account_id = a.id AND c.removed_at IS NULL),
  'assigned', (SELECT json_group_array(json_object('id', s.id, 'name', s.name, 'email', s.email))
               FROM (SELECT s.id, s.name, s.email FROM account_staff x JOIN staff s ON s.id = x.staff_id
                     WHERE x.account_id = a.id ORDER BY s.name, s.id) s),
  'created_at', a.created_at, 'archived_at', a.archived_at, 'reminders_paused', {b('a.reminders_paused')},
  'reminders_paused_until', a.reminders_paused_until)"""

REQUEST_OBJECT = f"""json_object('id', r.id, 'account_id', r.account_id, 'account', a.name, 'title', r.title,
  'message', r.message, 'template', r.template_name, 'login', {b('r.login')}, 'status', r.status,
  'answered', (SELECT count(*) FROM request_questions q JOIN request_answers x ON x.question_id = q.id
               WHERE q.request_id = r.id),
  'question_count', (SELECT count(*) FROM request_questions q WHERE q.request_id = r.id),
  'reminders', json_object('on', {b('r.reminders_on')}, 'every_days', r.remind_every_days,
                           'count', r.reminder_count, 'sent', r.reminders_sent),
  'created_by', r.created_by, 'created_at', r.created_at, 'sent_at', r.sent_at,
  'last_notified_at', r.last_notified_at, 'submitted_at', r.submitted_at, 'completed_at', r.completed_at,
  'cancelled_at', r.cancelled_at, 'cancel_reason', r.cancel_reason, 'last_activity_at', r.last_activity_at)"""


def request_list(where):
    return f"""SELECT {REQUEST_OBJECT} FROM requests r JOIN accounts a ON a.id = r.account_id
WHERE {where} ORDER BY r.last_activity_at DESC, r.id DESC;"""


REQUEST_SHOW = f"""SELECT json_insert(json_remove({REQUEST_OBJECT}, '$.answered', '$.question_count'),
  '$.answered', (SELECT count(*) FROM request_questions q JOIN request_answers x ON x.question_id = q.id
                 WHERE q.request_id = r.id),
  '$.question_count', (SELECT count(*) FROM request_questions q WHERE q.request_id = r.id),
  '$.questions', (SELECT json_group_array(json(o)) FROM (
     SELECT json_object('number', q.position, 'type', q.type, 'prompt', q.prompt, 'options', json(q.options),
                        'required', {b('q.required')}, 'answer', json(x.value), 'answered_by', x.answered_by,
                        'answered_at', x.answered_at,
                        'files', (SELECT json_group_array(json_object('id', f.id, 'name', f.name, 'sha256', f.sha256,
                                                                       'size', f.size, 'uploaded_at', f.uploaded_at))
                                  FROM request_answer_files f WHERE f.question_id = q.id AND x.value IS NOT NULL)) AS o
     FROM request_questions q LEFT JOIN request_answers x ON x.question_id = q.id
     WHERE q.request_id = r.id ORDER BY q.position)),
  '$.recipients', (SELECT json_group_array(json(o)) FROM (
     SELECT json_object('email', rc.email, 'name', rc.name, 'contact_id', rc.contact_id,
                        'third_party', {b('rc.contact_id IS NULL')}) AS o
     FROM request_recipients rc WHERE rc.request_id = r.id ORDER BY rc.id)),
  '$.links_active', {b("r.status IN ('pending', 'in_progress')")})
FROM requests r JOIN accounts a ON a.id = r.account_id WHERE r.id = {{R}};"""

CLIENT_KINDS = "('request', 'approval', 'reminder', 'resend')"

TODO = f"""SELECT json_object('kind', kind, 'id', id, 'title', title, 'status', status,
                   'last_notified_at', coalesce(last_sent, recorded)) FROM (
  SELECT 'request' AS kind, r.id AS id, r.title AS title, r.status AS status,
         coalesce(r.last_notified_at, r.sent_at) AS recorded,
         (SELECT max(o.sent_at) FROM outbox o
          WHERE o.item = 'request:' || r.id AND o.kind IN {CLIENT_KINDS} AND o.state = 'sent') AS last_sent
  FROM requests r WHERE r.account_id = {ACCOUNT_ID} AND r.status IN ('pending', 'in_progress')
  UNION ALL
  SELECT 'approval', p.id, d.name, p.status, coalesce(p.last_notified_at, p.requested_at),
         (SELECT max(o.sent_at) FROM outbox o
          WHERE o.item = 'approval:' || p.id AND o.kind IN {CLIENT_KINDS} AND o.state = 'sent')
  FROM approvals p JOIN documents d ON d.id = p.document_id
  WHERE p.account_id = {ACCOUNT_ID} AND p.status = 'pending')
ORDER BY coalesce(last_sent, recorded) DESC, kind, id DESC;"""


def audit_list(where):
    return f"""SELECT json_object('id', id, 'at', at, 'actor', actor, 'actor_kind', actor_kind, 'actor_id', actor_id,
                   'account_id', account_id, 'item', item, 'action', action, 'details', json(details), 'hash', hash)
FROM audit WHERE {where} ORDER BY id;"""


# The items linked to jobs, with what automove and `job list --blocked` make of them.
JOB_ITEMS = f"""WITH items AS (
  SELECT l.job_id, l.id AS lid, l.item_kind AS kind, l.item_id AS id, l.stage_id, st.name AS stage,
         coalesce(r.title, d.name) AS title, coalesce(r.status, p.status) AS status,
         CASE WHEN l.item_kind = 'request' THEN
                CASE WHEN r.status IN ('submitted', 'completed') THEN 'done'
                     WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'waiting' END
              WHEN p.status = 'approved' THEN 'done'
              WHEN p.status = 'cancelled' OR (p.status = 'disapproved' AND (
                     EXISTS (SELECT 1 FROM approvals p2 WHERE p2.document_id = p.document_id AND p2.id > p.id)
                     OR EXISTS (SELECT 1 FROM job_links l2 WHERE l2.job_id = l.job_id AND l2.item_kind = 'approval'
                                AND l2.stage_id = l.stage_id AND l2.id > l.id))) THEN 'cancelled'
              ELSE 'waiting' END AS state,
         CASE WHEN l.item_kind = 'approval' THEN
                CASE WHEN p.status = 'pending' THEN 'the client to approve or disapprove the document'
                     ELSE 'the firm to fix the document and request approval again' END
              WHEN r.status = 'draft' THEN
                CASE WHEN (SELECT count(*) FROM request_recipients rr WHERE rr.request_id = r.id) > 0
                       THEN 'the firm to send it'
                     WHEN r.login THEN 'the firm to send it: no contact of the account has notify on and portal access'
                     ELSE 'the firm to send it: no contact of the account has notify on' END
              WHEN r.status = 'pending' THEN 'the client to answer (' ||
                (SELECT count(*) FROM request_questions q WHERE q.request_id = r.id) || ' questions)'
              WHEN r.status = 'in_progress' THEN 'the client to finish and submit (' ||
                (SELECT count(*) FROM request_questions q JOIN request_answers x ON x.question_id = q.id
                 WHERE q.request_id = r.id) || '/' ||
                (SELECT count(*) FROM request_questions q WHERE q.request_id = r.id) || ' answered)'
              ELSE 'nothing' END AS waiting_for
  FROM job_links l JOIN stages st ON st.id = l.stage_id
  LEFT JOIN requests r ON l.item_kind = 'request' AND r.id = l.item_id
  LEFT JOIN approvals p ON l.item_kind = 'approval' AND p.id = l.item_id
  LEFT JOIN documents d ON d.id = p.document_id)"""


def item_object(stage_expr):
    return f"""json_object('kind', i.kind, 'id', i.id, 'title', i.title, 'status', i.status, 'stage', i.stage,
       'done', {b("i.state = 'done'")}, 'blocking', {b(f"i.stage_id = {stage_expr} AND i.state = 'waiting'")},
       'waiting_for', CASE WHEN i.state = 'waiting' THEN i.waiting_for END)"""


def job_list(where, blocked=False):
    # Each job's items once, as JSON; blocked_by is the items that block.
    blocked_by = ("(SELECT json_group_array(json(x.value)) FROM json_each(t.items) x "
                  "WHERE x.value ->> 'blocking')")
    return f"""{JOB_ITEMS}
SELECT json_object('id', t.id, 'account_id', t.account_id, 'account', t.account, 'pipeline_id', t.pipeline_id,
  'pipeline', t.pipeline, 'stage_id', t.stage_id, 'stage', t.stage, 'title', t.title, 'assignee', json(t.assignee),
  'due_date', t.due_date, 'created_at', t.created_at, 'moved_at', t.moved_at, 'archived_at', t.archived_at,
  'items', json(t.items), 'blocked_by', {blocked_by})
FROM (SELECT j.id, j.account_id, a.name AS account, j.pipeline_id, p.name AS pipeline, j.stage_id, s.name AS stage,
        j.title, CASE WHEN st.id IS NOT NULL THEN json_object('id', st.id, 'name', st.name, 'email', st.email) END
          AS assignee, j.due_date, j.created_at, j.moved_at, j.archived_at,
        (SELECT json_group_array(json(o)) FROM (SELECT {item_object("j.stage_id")} AS o
         FROM items i WHERE i.job_id = j.id ORDER BY i.lid)) AS items
      FROM jobs j JOIN accounts a ON a.id = j.account_id JOIN pipelines p ON p.id = j.pipeline_id
      JOIN stages s ON s.id = j.stage_id LEFT JOIN staff st ON st.id = j.assignee_id
      WHERE {where} ORDER BY j.id) t
{"WHERE EXISTS (SELECT 1 FROM json_each(t.items) x WHERE x.value ->> 'blocking')" if blocked else ""};"""


APPROVAL_OBJECT = f"""json_object('id', p.id, 'document_id', d.id, 'document', d.name, 'account_id', d.account_id,
  'account', a.name, 'description', d.description, 'uploaded_by', d.uploaded_by, 'status', p.status,
  'message', p.message, 'requested_by', p.requested_by, 'requested_at', p.requested_at,
  'decided_by', p.decided_by, 'decided_at', p.decided_at,
  'disapproved_at', CASE WHEN p.status = 'disapproved' THEN p.decided_at END, 'reasons', json(p.reasons),
  'comment', p.comment, 'reminders', json_object('on', {b('p.reminders_on')}, 'every_days', p.remind_every_days,
                                                 'count', p.reminder_count, 'sent', p.reminders_sent),
  'last_notified_at', p.last_notified_at, 'cancelled_at', p.cancelled_at)"""


def approval_list(where):
    return f"""SELECT {APPROVAL_OBJECT} FROM approvals p JOIN documents d ON d.id = p.document_id
JOIN accounts a ON a.id = d.account_id WHERE {where} ORDER BY p.requested_at DESC, p.id DESC;"""


OUTBOX = f"""SELECT json_object('id', id, 'kind', kind, 'item', item, 'account_id', account_id, 'to', rcpt,
  'subject', subject, 'message_id', message_id, 'state', state, 'attempts', attempts, 'uncertain', uncertain,
  'next_attempt_at', CASE WHEN state = 'queued' THEN next_attempt_at END, 'last_code', last_code,
  'last_reply', last_reply, 'created_at', created_at, 'sent_at', sent_at)
FROM outbox ORDER BY id DESC LIMIT 100;"""

# The items awaiting a client and their reminders, planned with the default
# calendar (Monday to Friday, UTC, no send window): what `remind` plans.
PLAN = f"""WITH items AS (
  SELECT 'request' AS kind, r.id AS id, r.account_id AS account_id, a.name AS account_name, r.title AS title,
         r.reminders_on AS reminders_on, r.remind_every_days AS every_days, r.reminder_count AS reminder_count,
         r.reminders_sent AS reminders_sent, coalesce(r.last_notified_at, r.sent_at, r.created_at) AS recorded,
         'request:' || r.id AS item,
         EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
                 WHERE l.item_kind = 'request' AND l.item_id = r.id AND j.archived_at IS NOT NULL) AS stopped,
         a.reminders_paused AS paused, a.reminders_paused_until AS paused_until
  FROM requests r JOIN accounts a ON a.id = r.account_id WHERE r.status IN ('pending', 'in_progress')
  UNION ALL
  SELECT 'approval', p.id, p.account_id, a.name, d.name, p.reminders_on, p.remind_every_days, p.reminder_count,
         p.reminders_sent, coalesce(p.last_notified_at, p.requested_at), 'approval:' || p.id,
         EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
                 WHERE l.item_kind = 'approval' AND l.item_id = p.id AND j.archived_at IS NOT NULL),
         a.reminders_paused, a.reminders_paused_until
  FROM approvals p JOIN documents d ON d.id = p.document_id JOIN accounts a ON a.id = p.account_id
  WHERE p.status = 'pending'),
with_sent AS (
  SELECT i.*, (SELECT max(o.sent_at) FROM outbox o
               WHERE o.item = i.item AND o.kind IN {CLIENT_KINDS} AND o.state = 'sent') AS last_sent
  FROM items i WHERE i.reminders_on AND i.reminders_sent < i.reminder_count AND NOT i.stopped
                 AND NOT (i.paused AND i.paused_until IS NULL)
  LIMIT -1 OFFSET 0),  -- not flattened into its users, which would repeat last_sent's subquery
timed AS (
  SELECT x.*, coalesce(last_sent, recorded) AS last_notified,
         (SELECT min(o.created_at) FROM outbox o
          WHERE o.item = x.item AND o.kind IN {CLIENT_KINDS} AND o.state IN ('queued', 'sending')
            AND (x.last_sent IS NULL OR o.created_at > x.last_sent)) AS waiting_since,
         strftime('%Y-%m-%dT%H:%M:%SZ', coalesce(last_sent, recorded), '+' || every_days || ' days') AS nominal
  FROM with_sent x LIMIT -1 OFFSET 0),
held AS (
  SELECT t.*, CASE WHEN paused AND paused_until > nominal THEN paused_until ELSE nominal END AS earliest FROM t AS t),
planned AS (
  SELECT h.*, CASE strftime('%w', earliest) WHEN '6' THEN date(earliest, '+2 days') || 'T00:00:00Z'
                                            WHEN '0' THEN date(earliest, '+1 days') || 'T00:00:00Z'
                                            ELSE earliest END AS send_at,
         (unixepoch('{NOW}') - unixepoch(last_notified)) AS secs
  FROM held h),
aged AS (SELECT p.*, secs / 86400 - (secs < 0 AND secs % 86400 != 0) AS ago FROM planned p)
SELECT json_object('kind', kind, 'id', id, 'account_id', account_id, 'account', account_name, 'title', title,
  'number', reminders_sent + 1, 'of', reminder_count, 'due_at', nominal, 'send_at', send_at,
  'due', {b(f"send_at <= '{NOW}' AND waiting_since IS NULL")},
  'reason', 'last notified ' || date(last_notified) || ', ' || ago || ' day' || CASE WHEN ago = 1 THEN '' ELSE 's' END
            || ' ago; reminder ' || (reminders_sent + 1) || ' of ' || reminder_count
            || CASE WHEN waiting_since IS NOT NULL THEN '; held until the email queued ' || date(waiting_since)
                    || ' reaches the client' ELSE '' END)
FROM aged $WHERE;""".replace("FROM t AS t", "FROM timed AS t")

# audit --verify: a hash over the same encoding of every row (the shell's
# sha3, as sqlite3 has no SHA-256), every column read.
VERIFY = """SELECT count(*), sum(length(sha3(prev_hash || char(10) || json_array(id, at, actor_kind, actor_id, actor,
  account_id, item, action, details), 256))) + sum(length(hash)) FROM audit;"""

POINT, LIST, VERIFY_KIND, DRY = "point", "list", "verify", "dry"


def commands(params):
    R, J = params["R"], params["J"]
    return [
        ("account list", LIST, ["account", "list"],
         f"SELECT {ACCOUNT_OBJECT} FROM accounts a WHERE a.archived_at IS NULL ORDER BY a.name COLLATE NOCASE, a.id;"),
        ("request list --account A", POINT, ["request", "list", "--account", ACCOUNT],
         request_list(f"r.account_id = {ACCOUNT_ID}")),
        ("request show R", POINT, ["request", "show", str(R)], REQUEST_SHOW.replace("{R}", str(R))),
        ("todo A", POINT, ["todo", ACCOUNT], TODO),
        ("audit --item request:R", POINT, ["audit", "--item", f"request:{R}"], audit_list(f"item = 'request:{R}'")),
        ("job list", LIST, ["job", "list"], job_list("j.archived_at IS NULL")),
        ("approval list --status pending", LIST, ["approval", "list", "--status", "pending"],
         approval_list("p.status = 'pending'")),
        ("account list --pending-approvals", LIST, ["account", "list", "--pending-approvals"],
         f"SELECT {ACCOUNT_OBJECT} FROM accounts a WHERE a.archived_at IS NULL AND a.id IN (SELECT account_id "
         "FROM approvals WHERE status = 'pending') ORDER BY a.name COLLATE NOCASE, a.id;"),
        ("request list --status pending", LIST, ["request", "list", "--status", "pending"],
         request_list("r.status = 'pending'")),
        ("remind --list", LIST, ["remind", "--list"], PLAN.replace("$WHERE", "ORDER BY send_at")),
        ("audit --verify", VERIFY_KIND, ["audit", "--verify"], VERIFY),
        ("job list --blocked", LIST, ["job", "list", "--blocked"], job_list("j.archived_at IS NULL", blocked=True)),
        ("job show J", POINT, ["job", "show", str(J)], job_list(f"j.id = {J}")),
        ("approval list --account A", POINT, ["approval", "list", "--account", ACCOUNT],
         approval_list(f"p.account_id = {ACCOUNT_ID}")),
        ("outbox", POINT, ["outbox"], OUTBOX),
        ("remind --run --dry-run", DRY, ["remind", "--run", "--dry-run"],
         PLAN.replace("$WHERE", f"WHERE send_at <= '{NOW}' AND waiting_since IS NULL")),
        ("request list --job J", POINT, ["request", "list", "--job", str(J)],
         request_list(f"r.id IN (SELECT item_id FROM job_links WHERE job_id = {J} AND item_kind = 'request')")),
        ("approval list --job J", POINT, ["approval", "list", "--job", str(J)],
         approval_list(f"p.id IN (SELECT item_id FROM job_links WHERE job_id = {J} AND item_kind = 'approval')")),
        ("audit --account A --since 7d", POINT, ["audit", "--account", ACCOUNT, "--since", "7d"],
         audit_list(f"account_id = {ACCOUNT_ID} AND at >= '{WEEK_AGO}'")),
    ]


def run_once(measure, cmd, env):
    """Wall milliseconds and peak resident MB of one run, output discarded
    (measured by bench/measure.c: see there why not from here)."""
    out = subprocess.run([measure, *cmd], env=env, capture_output=True, text=True, check=True).stdout.split()
    us, kb, status = int(out[0]), int(out[1]), int(out[2])
    if status != 0:
        sys.exit(f"{cmd} exited {status}")
    return us / 1000, kb / 1024


def practice_rows(out):
    value = json.loads(out)
    return value if isinstance(value, list) else [value]


def sqlite_rows(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def key(row):
    return (row.get("kind", ""), row.get("id"))


def compare(name, kind, a, b, strict):
    """'' when rows `a` and `b` (lists of objects) are the same, else what differs."""
    # remind plans: practice sorts by send_at only (or keeps the plan's
    # order), so rows with the same send_at may come in either order.
    unordered = name.startswith("remind")
    ak, bk = [key(r) for r in a], [key(r) for r in b]
    if unordered:
        ak, bk = sorted(ak), sorted(bk)
    if ak != bk:
        first = next((i for i, (x, y) in enumerate(zip(ak, bk)) if x != y), min(len(ak), len(bk)))
        return f"{len(a)} rows vs {len(b)}; first difference at {first}"
    if strict:
        xs, ys = (sorted(a, key=key), sorted(b, key=key)) if unordered else (a, b)
        for x, y in zip(xs, ys):
            if x != y:
                diff = [k for k in set(x) | set(y) if x.get(k) != y.get(k)]
                return f"row {key(x)} differs in {diff}: {[(x.get(k), y.get(k)) for k in diff][:2]}"
    return ""


def check(name, kind, p_out, s_out, strict):
    """'' when practice and sqlite3 return the same rows, else what differs."""
    if kind == VERIFY_KIND:
        rows = json.loads(p_out)
        count = int(s_out.split("|")[0])
        return "" if rows["ok"] and rows["rows"] == count else f"verify says {rows}, sqlite3 counts {count}"
    return compare(name, kind, practice_rows(p_out), sqlite_rows(s_out), strict)


def check_pg(name, kind, pg_out, sq_out):
    """'' when practice returns the same rows on PostgreSQL as on SQLite, every
    field alike, else what differs."""
    if kind == VERIFY_KIND:
        pg, sq = json.loads(pg_out), json.loads(sq_out)
        return "" if pg["ok"] and pg["rows"] == sq["rows"] else f"verify says {pg} on PostgreSQL, {sq} on SQLite"
    return compare(name, kind, practice_rows(pg_out), practice_rows(sq_out), strict=True)


def target(kind, name, med, ratio, peak, verify_rows):
    if kind == POINT:
        return med < 10 and ratio <= 1.5, "< 10 ms, <= 1.5x"
    if kind == LIST:
        return ratio <= 1.5 and peak < 32, "<= 1.5x, < 32 MB"
    if kind == VERIFY_KIND:
        return verify_rows / (med / 1000) >= 1_000_000 and peak < 32, ">= 1M rows/s, < 32 MB"
    return med < 1000, "< 1 s"


def target_pg(kind, med, ratio_sq, peak, verify_rows):
    """PostgreSQL's targets; `ratio_sq` is against practice on SQLite (see the docstring for why)."""
    if kind == POINT:
        return med < 25, "< 25 ms"
    if kind == LIST:
        return ratio_sq <= 2 and peak < 32, "<= 2x SQLite, < 32 MB"
    if kind == VERIFY_KIND:
        return verify_rows / (med / 1000) >= 500_000 and peak < 32, ">= 500k rows/s, < 32 MB"
    return med < 2000, "< 2 s"


def pg_url_with(url, dbname):
    """`url` (a libpq URL) with its database replaced by `dbname`."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(dbname)))


def shown(url):
    """`url` without its password, to print."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}@{netloc}"))


class Postgres:
    """Where the firm runs on PostgreSQL: a throwaway cluster of our own, or a
    database made on a server --pg-url names, or the firm --pg-firm names."""

    def __init__(self):
        self.cluster = None
        self.maintenance = None
        self.made = None
        self.url = None

    def open(self, args):
        """Readies the database; close() undoes what this did, even half way."""
        self.maintenance = args.pg_url
        if args.pg_firm:
            self.url = args.pg_firm
            return
        if not self.maintenance:
            # The postgres user must enter the cluster's folder, and its
            # socket path must stay short: a folder of our own under /tmp.
            parent = tempfile.mkdtemp(prefix="pgbench.", dir="/tmp")
            os.chmod(parent, 0o755)
            self.cluster = os.path.join(parent, "c")
            self.maintenance = subprocess.run([str(ROOT / "scripts" / "pg-cluster"), "start", self.cluster],
                                              check=True, capture_output=True, text=True).stdout.strip()
        self.made = f"practice_bench_{os.getpid()}"
        self.admin(f'CREATE DATABASE "{self.made}"')
        self.url = pg_url_with(self.maintenance, self.made)

    def admin(self, statement):
        import psycopg2  # only a PostgreSQL run needs it
        con = psycopg2.connect(self.maintenance)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(statement)
        finally:
            con.close()

    def size_mb(self):
        import psycopg2
        with psycopg2.connect(self.url) as con, con.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            return cur.fetchone()[0] / 1e6

    def close(self):
        if self.cluster:
            subprocess.run([str(ROOT / "scripts" / "pg-cluster"), "stop", self.cluster], check=True)
            os.rmdir(os.path.dirname(self.cluster))
        elif self.made:
            self.admin(f'DROP DATABASE "{self.made}" WITH (FORCE)')


def migrate(practice, db, pg, env, config):
    """The firm in `db` copied to `pg.url` by the product; seconds it took."""
    started = time.monotonic()
    out = subprocess.run([practice, "--json", "db", "migrate", "--to", pg.url],
                         env=dict(env, PRACTICE_DB=db, PRACTICE_CONFIG=str(config)), capture_output=True, text=True)
    took = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"db migrate --to {shown(pg.url)} exited {out.returncode}: {out.stderr.strip()}")
    print(f"db migrate: {json.loads(out.stdout)['rows']:,} rows in {took:.1f} s")
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("practice", nargs="?", default=str(ROOT / "build" / "src" / "practice"))
    ap.add_argument("--db", help="a firm practice_make_firm built (else one is built in a temporary folder)")
    ap.add_argument("--scale", default="1", help="with no --db: the generator's --scale")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--strict", action="store_true", help="compare every field, not only the rows' ids")
    ap.add_argument("--only", action="append", help="only the commands whose name starts so (repeatable)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--pg-url", help="a maintenance database's URL: the run's database is made there and dropped "
                                        "(else a throwaway cluster is started)")
    where.add_argument("--pg-firm", help="the URL of a database `practice db migrate` already filled from --db "
                                         "(kept as it is)")
    where.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = ap.parse_args()
    if args.pg_firm and not args.db:
        ap.error("--pg-firm needs --db, the firm it was migrated from")
    if not os.path.exists("/usr/bin/sqlite3"):
        subprocess.run([str(ROOT / "scripts" / "install-deps")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        pg = None if args.no_postgres else Postgres()
        try:
            if pg:
                pg.open(args)
            run(args, tmp, pg)
        finally:
            if pg:
                pg.close()


def run(args, tmp, pg):
    db = args.db
    if not db:
        db = str(Path(tmp) / "firm.db")
        generator = Path(args.practice).resolve().parents[1] / "tests" / "bench" / "practice_make_firm"
        out = subprocess.run([str(generator), db, "--scale", args.scale], check=True, capture_output=True,
                             text=True)
        print(f"generator: {out.stdout.strip()}")
    measure = str(Path(tmp) / "measure")
    subprocess.run(["cc", "-O2", "-o", measure, str(ROOT / "bench" / "measure.c")], check=True)
    con = sqlite3.connect(db)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("accounts", "requests", "jobs", "approvals", "audit", "outbox")}
    account = con.execute("SELECT id FROM accounts WHERE name = ?", (ACCOUNT,)).fetchone()[0]
    # An account's request in progress (questions, some answers), and a
    # job of the account with requests and approvals linked.
    R = con.execute("SELECT min(id) FROM requests WHERE account_id = ? AND status = 'in_progress'",
                    (account,)).fetchone()[0]
    J = con.execute("SELECT min(job_id) FROM job_links l JOIN jobs j ON j.id = l.job_id "
                    "WHERE j.account_id = ? AND l.item_kind = 'approval'", (account,)).fetchone()[0]
    con.close()
    home = Path(tmp) / "home"
    home.mkdir()
    env = dict(os.environ, PRACTICE_DB=db, PRACTICE_CONFIG="", PRACTICE_NOW=NOW, HOME=str(home),
               PRACTICE_USER="staff1@large.test")
    env.pop("PRACTICE_SCREENSHOTS", None)
    pg_env = None
    if pg:
        # On PostgreSQL the link key lives in the file [database] key_file names.
        config = Path(tmp) / "pg.toml"
        config.write_text(f"[database]\nkey_file = {json.dumps(str(Path(tmp) / 'pg.key'))}\n")
        if not args.pg_firm:
            migrate(args.practice, db, pg, env, config)
        pg_env = dict(env, PRACTICE_DB=pg.url, PRACTICE_CONFIG=str(config))
    print(f"firm: {counts['accounts']:,} accounts, {counts['requests']:,} requests, {counts['jobs']:,} jobs, "
          f"{counts['approvals']:,} approvals, {counts['audit']:,} audit rows, {counts['outbox']:,} outbox rows, "
          f"{os.path.getsize(db) / 1e6:.0f} MB" + (f" ({pg.size_mb():.0f} MB on PostgreSQL)" if pg else "")
          + f"; A = {ACCOUNT!r}, R = {R}, J = {J}; medians of {args.runs}\n")
    if pg:
        print(f"{'command':<34} {'SQLite':>9} {'Postgres':>9} {'sqlite3':>9} {'SQ/s3':>6} {'PG/s3':>6} "
              f"{'PG/SQ':>6} {'SQ.peak':>7} {'PG.peak':>7} {'s3.peak':>7}  {'rows':>7}  targets")
    else:
        print(f"{'command':<34} {'practice':>9} {'sqlite3':>9} {'ratio':>6} {'peak':>7} {'sq.peak':>7}  "
              f"{'rows':>7}  target")
    missed = 0
    for name, kind, argv, sql in commands({"R": R, "J": J}):
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        p_cmd = [args.practice, "--json", *argv]
        s_cmd = ["sqlite3", "-list", db, sql]
        runners = [("sq", p_cmd, env), ("s3", s_cmd, env)] + ([("pg", p_cmd, pg_env)] if pg else [])
        outs = {}
        for who, cmd, e in runners:
            out = subprocess.run(cmd, env=e, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{name} ({who}): exited {out.returncode}: {out.stderr.strip()}")
            outs[who] = out.stdout
        differs = check(name, kind, outs["sq"], outs["s3"], args.strict)
        pg_differs = check_pg(name, kind, outs["pg"], outs["sq"]) if pg else ""
        rows = json.loads(outs["sq"])["rows"] if kind == VERIFY_KIND else len(practice_rows(outs["sq"]))
        times = {who: [] for who, _, _ in runners}
        peaks = {who: 0.0 for who, _, _ in runners}
        # A point command takes a few milliseconds, where a shared machine's
        # noise is widest: it gets five times the runs.
        for i in range(args.runs * (5 if kind == POINT else 1)):
            # Each goes first in turn, so none always runs on a warmer cache.
            shift = i % len(runners)
            for who, cmd, e in runners[shift:] + runners[:shift]:
                ms, peak = run_once(measure, cmd, e)
                times[who].append(ms)
                peaks[who] = max(peaks[who], peak)
        med = {who: statistics.median(t) for who, t in times.items()}

        # Ratios run by run, so a drift of the machine's speed cancels.
        def ratio(a, b):
            return statistics.median(x / y for x, y in zip(times[a], times[b]))

        ok, goal = target(kind, name, med["sq"], ratio("sq", "s3"), peaks["sq"], rows)
        missed += 0 if ok and not differs else 1
        note = f"{'ok' if ok else 'MISSED'} ({goal})" + (f"; ROWS DIFFER: {differs}" if differs else "")
        if kind == VERIFY_KIND:
            note += f"; {rows / (med['sq'] / 1000) / 1e6:.2f}M rows/s"
        if not pg:
            print(f"{name:<34} {med['sq']:>7.1f}ms {med['s3']:>7.1f}ms {ratio('sq', 's3'):>5.2f}x "
                  f"{peaks['sq']:>5.0f}MB {peaks['s3']:>5.0f}MB  {rows:>7,}  {note}", flush=True)
            continue
        pg_ok, pg_goal = target_pg(kind, med["pg"], ratio("pg", "sq"), peaks["pg"], rows)
        missed += 0 if pg_ok and not pg_differs else 1
        pg_note = f"{'ok' if pg_ok else 'MISSED'} ({pg_goal})" + (
            f"; PG ROWS DIFFER: {pg_differs}" if pg_differs else "")
        if kind == VERIFY_KIND:
            pg_note += f"; {rows / (med['pg'] / 1000) / 1e6:.2f}M rows/s"
        print(f"{name:<34} {med['sq']:>7.1f}ms {med['pg']:>7.1f}ms {med['s3']:>7.1f}ms {ratio('sq', 's3'):>5.2f}x "
              f"{ratio('pg', 's3'):>5.2f}x {ratio('pg', 'sq'):>5.2f}x {peaks['sq']:>5.0f}MB {peaks['pg']:>5.0f}MB "
              f"{peaks['s3']:>5.0f}MB  {rows:>7,}  SQLite {note} | PG {pg_note}", flush=True)
    print(f"\n{'every target met' if missed == 0 else f'{missed} missed or differing'}")


if __name__ == "__main__":
    main()
