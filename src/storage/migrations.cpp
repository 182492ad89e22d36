#include "practice/storage/migrations.hpp"

#include <algorithm>

#include "practice/error.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string_view>

namespace practice::storage {

namespace {

// "PRAC" in ASCII: marks the file as practice's so a foreign SQLite file is refused.
constexpr int64_t k_application_id = 0x50524143;

// Forward-only. Never edit a migration once released: add the next one.
constexpr std::array<std::string_view, 14> k_migrations = {
    // 1: firm, staff, accounts, contacts, the audit trail.
    R"sql(
CREATE TABLE firm (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  name       TEXT NOT NULL,
  email      TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE staff (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL,
  email             TEXT NOT NULL COLLATE NOCASE,
  role              TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  view_all_accounts INTEGER NOT NULL DEFAULT 0 CHECK (view_all_accounts IN (0, 1)),
  created_at        TEXT NOT NULL,
  removed_at        TEXT
) STRICT;
CREATE UNIQUE INDEX staff_email ON staff (email) WHERE removed_at IS NULL;

CREATE TABLE accounts (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL CHECK (type IN ('individual', 'company')),
  created_at  TEXT NOT NULL,
  archived_at TEXT
) STRICT;
CREATE INDEX accounts_name ON accounts (name COLLATE NOCASE);

CREATE TABLE account_staff (
  account_id  INTEGER NOT NULL REFERENCES accounts (id),
  staff_id    INTEGER NOT NULL REFERENCES staff (id),
  assigned_at TEXT NOT NULL,
  PRIMARY KEY (account_id, staff_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX account_staff_staff ON account_staff (staff_id);

CREATE TABLE contacts (
  id         INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  name       TEXT NOT NULL,
  email      TEXT NOT NULL COLLATE NOCASE,
  notify     INTEGER NOT NULL DEFAULT 1 CHECK (notify IN (0, 1)),
  portal     INTEGER NOT NULL DEFAULT 0 CHECK (portal IN (0, 1)),
  created_at TEXT NOT NULL,
  removed_at TEXT
) STRICT;
CREATE INDEX contacts_account ON contacts (account_id) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX contacts_account_email ON contacts (account_id, email) WHERE removed_at IS NULL;
CREATE INDEX contacts_email ON contacts (email);

-- Append-only; each row's hash chains over the previous row's (see audit_log.cpp).
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('staff', 'contact', 'third_party', 'system', 'os_user')),
  actor_id   INTEGER,
  actor      TEXT NOT NULL,
  account_id INTEGER,
  item       TEXT NOT NULL,
  action     TEXT NOT NULL,
  details    TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
) STRICT;
CREATE INDEX audit_account ON audit (account_id, id);
CREATE INDEX audit_item ON audit (item, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
)sql",
    // 2: the outbox: one row = one message to one recipient (see mail/outbox_store.cpp).
    R"sql(
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  dedupe_key       TEXT NOT NULL UNIQUE,
  kind             TEXT NOT NULL,
  item             TEXT,
  account_id       INTEGER,
  rcpt             TEXT NOT NULL,
  message_id       TEXT NOT NULL UNIQUE,
  subject          TEXT NOT NULL,
  message          BLOB NOT NULL,
  state            TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  uncertain        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  first_attempt_at TEXT,
  lease_owner      TEXT,
  lease_until      TEXT,
  last_code        INTEGER,
  last_reply       TEXT,
  created_at       TEXT NOT NULL,
  sent_at          TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_item ON outbox (item);
)sql",
    // 3: client requests, their templates, answers and the content-addressed file store.
    R"sql(
CREATE TABLE request_templates (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL COLLATE NOCASE UNIQUE,
  definition        TEXT NOT NULL,
  created_at        TEXT NOT NULL
) STRICT;

CREATE TABLE requests (
  id                INTEGER PRIMARY KEY,
  account_id        INTEGER NOT NULL REFERENCES accounts (id),
  template_name     TEXT,
  title             TEXT NOT NULL,
  message           TEXT,
  login             INTEGER NOT NULL DEFAULT 1 CHECK (login IN (0, 1)),
  status            TEXT NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'pending', 'in_progress', 'submitted', 'completed', 'cancelled')),
  reminders_on      INTEGER NOT NULL DEFAULT 1 CHECK (reminders_on IN (0, 1)),
  remind_every_days INTEGER NOT NULL DEFAULT 3,
  reminder_count    INTEGER NOT NULL DEFAULT 1,
  reminders_sent    INTEGER NOT NULL DEFAULT 0,
  last_notified_at  TEXT,
  created_by        TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  sent_at           TEXT,
  submitted_at      TEXT,
  completed_at      TEXT,
  cancelled_at      TEXT,
  cancel_reason     TEXT,
  last_activity_at  TEXT NOT NULL
) STRICT;
CREATE INDEX requests_account ON requests (account_id);
CREATE INDEX requests_status ON requests (status);

CREATE TABLE request_questions (
  id         INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests (id),
  position   INTEGER NOT NULL,
  type       TEXT NOT NULL
             CHECK (type IN ('text', 'paragraph', 'yesno', 'choice', 'multichoice', 'date', 'number', 'file')),
  prompt     TEXT NOT NULL,
  options    TEXT NOT NULL DEFAULT '[]',
  required   INTEGER NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
  UNIQUE (request_id, position)
) STRICT;

CREATE TABLE request_recipients (
  id         INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests (id),
  contact_id INTEGER REFERENCES contacts (id),
  name       TEXT NOT NULL DEFAULT '',
  email      TEXT NOT NULL COLLATE NOCASE,
  generation INTEGER NOT NULL DEFAULT 1,
  UNIQUE (request_id, email)
) STRICT;

CREATE TABLE request_answers (
  question_id INTEGER PRIMARY KEY REFERENCES request_questions (id),
  value       TEXT NOT NULL,
  answered_by TEXT NOT NULL,
  answered_at TEXT NOT NULL
) STRICT;

-- The content-addressed store's index: one row per stored file content.
CREATE TABLE stored_files (
  sha256     TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE request_answer_files (
  id          INTEGER PRIMARY KEY,
  question_id INTEGER NOT NULL REFERENCES request_questions (id),
  sha256      TEXT NOT NULL REFERENCES stored_files (sha256),
  name        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  uploaded_at TEXT NOT NULL
) STRICT;
CREATE INDEX request_answer_files_question ON request_answer_files (question_id);
)sql",
    // 4: pipelines of stages, their automations, jobs and the items linked to them.
    R"sql(
CREATE TABLE pipelines (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE stages (
  id          INTEGER PRIMARY KEY,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines (id),
  name        TEXT NOT NULL COLLATE NOCASE,
  position    INTEGER NOT NULL,
  automove    INTEGER NOT NULL DEFAULT 0 CHECK (automove IN (0, 1)),
  removed_at  TEXT,
  UNIQUE (pipeline_id, name)
) STRICT;

CREATE TABLE stage_automations (
  id                INTEGER PRIMARY KEY,
  stage_id          INTEGER NOT NULL REFERENCES stages (id),
  kind              TEXT NOT NULL CHECK (kind IN ('send_request')),
  template_name     TEXT NOT NULL,
  reminders_on      INTEGER,
  remind_every_days INTEGER,
  reminder_count    INTEGER,
  login             INTEGER,
  created_at        TEXT NOT NULL
) STRICT;

CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts (id),
  pipeline_id INTEGER NOT NULL REFERENCES pipelines (id),
  stage_id    INTEGER NOT NULL REFERENCES stages (id),
  title       TEXT NOT NULL,
  assignee_id INTEGER REFERENCES staff (id),
  due_date    TEXT,
  created_at  TEXT NOT NULL,
  moved_at    TEXT NOT NULL,
  archived_at TEXT
) STRICT;
CREATE INDEX jobs_account ON jobs (account_id);
CREATE INDEX jobs_stage ON jobs (stage_id);

-- An item (a request; later an approval) linked to a job, remembering the
-- stage the job was in when it was linked: the items that count for a stage.
CREATE TABLE job_links (
  id        INTEGER PRIMARY KEY,
  job_id    INTEGER NOT NULL REFERENCES jobs (id),
  item_kind TEXT NOT NULL CHECK (item_kind IN ('request', 'approval')),
  item_id   INTEGER NOT NULL,
  stage_id  INTEGER NOT NULL REFERENCES stages (id),
  linked_at TEXT NOT NULL,
  UNIQUE (job_id, item_kind, item_id)
) STRICT;
CREATE INDEX job_links_item ON job_links (item_kind, item_id);
)sql",
    // 5: folders, documents and their approvals.
    R"sql(
CREATE TABLE folders (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL COLLATE NOCASE UNIQUE,
  client_can_view INTEGER NOT NULL DEFAULT 0 CHECK (client_can_view IN (0, 1)),
  created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE documents (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts (id),
  folder_id   INTEGER REFERENCES folders (id),
  name        TEXT NOT NULL,
  description TEXT,
  sha256      TEXT NOT NULL REFERENCES stored_files (sha256),
  size        INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at TEXT NOT NULL
) STRICT;
CREATE INDEX documents_account ON documents (account_id);

CREATE TABLE approvals (
  id                INTEGER PRIMARY KEY,
  document_id       INTEGER NOT NULL REFERENCES documents (id),
  account_id        INTEGER NOT NULL REFERENCES accounts (id),
  status            TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'disapproved', 'cancelled')),
  message           TEXT,
  reminders_on      INTEGER NOT NULL DEFAULT 1 CHECK (reminders_on IN (0, 1)),
  remind_every_days INTEGER NOT NULL DEFAULT 3,
  reminder_count    INTEGER NOT NULL DEFAULT 1,
  reminders_sent    INTEGER NOT NULL DEFAULT 0,
  last_notified_at  TEXT,
  requested_by      TEXT NOT NULL,
  requested_at      TEXT NOT NULL,
  decided_by        TEXT,
  decided_at        TEXT,
  reasons           TEXT NOT NULL DEFAULT '[]',
  comment           TEXT,
  cancelled_at      TEXT
) STRICT;
CREATE INDEX approvals_account ON approvals (account_id, status);
CREATE INDEX approvals_document ON approvals (document_id);
)sql",
    // 6: pausing a client's reminders.
    R"sql(
ALTER TABLE accounts ADD COLUMN reminders_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN reminders_paused_until TEXT;
)sql",
    // 7: the client portal's one-time codes and sessions. Neither secret is
    // stored: a code is derived from the link key and the row's nonce, a
    // session is kept by the SHA-256 of its id.
    R"sql(
CREATE TABLE portal_codes (
  id         INTEGER PRIMARY KEY,
  email      TEXT NOT NULL COLLATE NOCASE,
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  nonce      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  tries_left INTEGER NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('open', 'used', 'replaced', 'exhausted'))
) STRICT;
CREATE INDEX portal_codes_email ON portal_codes (email, id);
CREATE TABLE portal_sessions (
  id_hash      TEXT PRIMARY KEY,
  contact_id   INTEGER NOT NULL REFERENCES contacts (id),
  account_id   INTEGER NOT NULL REFERENCES accounts (id),
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  ended_at     TEXT
) STRICT;
)sql",
    // 8: the outbox remembers when a message was first handed to the server
    // (its Date header, kept on retries) and whether an attempt is past its
    // final dot without its result recorded (a run killed there leaves a
    // possible duplicate: the row is flagged uncertain when taken over).
    R"sql(
ALTER TABLE outbox ADD COLUMN dated_at TEXT;
ALTER TABLE outbox ADD COLUMN handed_over_at TEXT;
)sql",
    // 9: the language a contact reads (NULL: the firm's).
    R"sql(
ALTER TABLE contacts ADD COLUMN language TEXT;
)sql",
    // 10: removing a document keeps its row (its approvals and audit rows name it).
    R"sql(
ALTER TABLE documents ADD COLUMN removed_at TEXT;
)sql",
    // 11: records name who acted as the audit trail does (kind and id beside
    // the name), so output can show people as {id, name, email}. Existing rows
    // are matched by email: staff first for what staff do (create, upload,
    // request), contacts first for what clients do (answer, decide).
    R"sql(
ALTER TABLE requests ADD COLUMN created_by_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE requests ADD COLUMN created_by_id INTEGER;
UPDATE requests SET created_by_id = (SELECT s.id FROM staff s WHERE s.email = requests.created_by
    ORDER BY s.removed_at IS NOT NULL, s.id DESC LIMIT 1);
UPDATE requests SET created_by_kind = 'staff' WHERE created_by_id IS NOT NULL;
UPDATE requests SET created_by_id = (SELECT c.id FROM contacts c WHERE c.account_id = requests.account_id
    AND c.email = requests.created_by ORDER BY c.removed_at IS NOT NULL, c.id DESC LIMIT 1)
  WHERE created_by_id IS NULL;
UPDATE requests SET created_by_kind = 'contact' WHERE created_by_id IS NOT NULL AND created_by_kind = 'system';
UPDATE requests SET created_by_kind = CASE WHEN created_by = 'system' THEN 'system'
    WHEN instr(created_by, '@') > 0 THEN 'third_party' ELSE 'os_user' END
  WHERE created_by_id IS NULL;
ALTER TABLE request_answers ADD COLUMN answered_by_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE request_answers ADD COLUMN answered_by_id INTEGER;
UPDATE request_answers SET answered_by_id = (SELECT c.id FROM contacts c WHERE c.account_id = (SELECT r.account_id FROM request_questions q
    JOIN requests r ON r.id = q.request_id WHERE q.id = request_answers.question_id)
    AND c.email = request_answers.answered_by ORDER BY c.removed_at IS NOT NULL, c.id DESC LIMIT 1);
UPDATE request_answers SET answered_by_kind = 'contact' WHERE answered_by_id IS NOT NULL;
UPDATE request_answers SET answered_by_id = (SELECT s.id FROM staff s WHERE s.email = request_answers.answered_by
    ORDER BY s.removed_at IS NOT NULL, s.id DESC LIMIT 1)
  WHERE answered_by_id IS NULL;
UPDATE request_answers SET answered_by_kind = 'staff' WHERE answered_by_id IS NOT NULL AND answered_by_kind = 'system';
UPDATE request_answers SET answered_by_kind = CASE WHEN answered_by = 'system' THEN 'system'
    WHEN instr(answered_by, '@') > 0 THEN 'third_party' ELSE 'os_user' END
  WHERE answered_by_id IS NULL;
ALTER TABLE documents ADD COLUMN uploaded_by_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE documents ADD COLUMN uploaded_by_id INTEGER;
UPDATE documents SET uploaded_by_id = (SELECT s.id FROM staff s WHERE s.email = documents.uploaded_by
    ORDER BY s.removed_at IS NOT NULL, s.id DESC LIMIT 1);
UPDATE documents SET uploaded_by_kind = 'staff' WHERE uploaded_by_id IS NOT NULL;
UPDATE documents SET uploaded_by_id = (SELECT c.id FROM contacts c WHERE c.account_id = documents.account_id
    AND c.email = documents.uploaded_by ORDER BY c.removed_at IS NOT NULL, c.id DESC LIMIT 1)
  WHERE uploaded_by_id IS NULL;
UPDATE documents SET uploaded_by_kind = 'contact' WHERE uploaded_by_id IS NOT NULL AND uploaded_by_kind = 'system';
UPDATE documents SET uploaded_by_kind = CASE WHEN uploaded_by = 'system' THEN 'system'
    WHEN instr(uploaded_by, '@') > 0 THEN 'third_party' ELSE 'os_user' END
  WHERE uploaded_by_id IS NULL;
ALTER TABLE approvals ADD COLUMN requested_by_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE approvals ADD COLUMN requested_by_id INTEGER;
UPDATE approvals SET requested_by_id = (SELECT s.id FROM staff s WHERE s.email = approvals.requested_by
    ORDER BY s.removed_at IS NOT NULL, s.id DESC LIMIT 1);
UPDATE approvals SET requested_by_kind = 'staff' WHERE requested_by_id IS NOT NULL;
UPDATE approvals SET requested_by_id = (SELECT c.id FROM contacts c WHERE c.account_id = approvals.account_id
    AND c.email = approvals.requested_by ORDER BY c.removed_at IS NOT NULL, c.id DESC LIMIT 1)
  WHERE requested_by_id IS NULL;
UPDATE approvals SET requested_by_kind = 'contact' WHERE requested_by_id IS NOT NULL AND requested_by_kind = 'system';
UPDATE approvals SET requested_by_kind = CASE WHEN requested_by = 'system' THEN 'system'
    WHEN instr(requested_by, '@') > 0 THEN 'third_party' ELSE 'os_user' END
  WHERE requested_by_id IS NULL;
ALTER TABLE approvals ADD COLUMN decided_by_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE approvals ADD COLUMN decided_by_id INTEGER;
UPDATE approvals SET decided_by_id = (SELECT c.id FROM contacts c WHERE c.account_id = approvals.account_id
    AND c.email = approvals.decided_by ORDER BY c.removed_at IS NOT NULL, c.id DESC LIMIT 1);
UPDATE approvals SET decided_by_kind = 'contact' WHERE decided_by_id IS NOT NULL;
UPDATE approvals SET decided_by_id = (SELECT s.id FROM staff s WHERE s.email = approvals.decided_by
    ORDER BY s.removed_at IS NOT NULL, s.id DESC LIMIT 1)
  WHERE decided_by_id IS NULL;
UPDATE approvals SET decided_by_kind = 'staff' WHERE decided_by_id IS NOT NULL AND decided_by_kind = 'system';
UPDATE approvals SET decided_by_kind = CASE WHEN decided_by = 'system' THEN 'system'
    WHEN instr(decided_by, '@') > 0 THEN 'third_party' ELSE 'os_user' END
  WHERE decided_by_id IS NULL AND decided_by IS NOT NULL;
)sql",
    // 12: the language the firm writes to clients in (NULL: the config's, else
    // English), and the one a third party reads a request in (NULL: the
    // firm's; a contact's comes from the contact).
    R"sql(
ALTER TABLE firm ADD COLUMN language TEXT;
ALTER TABLE request_recipients ADD COLUMN language TEXT;
)sql",
    // 13: indexes for large firms (tests/unit/storage/test_query_plan.cpp
    // holds the stores' statements to them): a list reads its rows in the
    // order it prints them, so nothing is sorted or held, and a filter reads
    // only its rows. An index ends in the rowid, which breaks ties (id DESC).
    // requests_status and approvals_account stay: the reminders walk the
    // pending requests in rowid order through the first (their outbox rows
    // and links then come in index order too), and the second answers an
    // account's pending approvals.
    R"sql(
DROP INDEX requests_account;
CREATE INDEX requests_account ON requests (account_id, last_activity_at);
CREATE INDEX requests_status_activity ON requests (status, last_activity_at);
CREATE INDEX requests_activity ON requests (last_activity_at);
CREATE INDEX approvals_account_requested ON approvals (account_id, requested_at);
CREATE INDEX approvals_status ON approvals (status, requested_at);
CREATE INDEX approvals_requested ON approvals (requested_at);
-- A job's items in the order they were linked; an item's jobs without the links' rows.
CREATE INDEX job_links_job ON job_links (job_id);
DROP INDEX job_links_item;
CREATE INDEX job_links_item ON job_links (item_kind, item_id, job_id);
CREATE INDEX outbox_state ON outbox (state);
-- When an email about an item last reached the client, and whether a newer
-- one waits: from the index alone, without reading the messages, in one
-- seek on the item (an item has a few emails; a state or kind next to it
-- would make a seek per value of `kind IN (...)`).
DROP INDEX outbox_item;
CREATE INDEX outbox_item ON outbox (item, sent_at, created_at, state, kind);
)sql",
    // 14: the fingerprint of the firm's link key (requests::link_key_fingerprint),
    // never the key: every machine checks the key file it was given against it.
    // Filled the first time a key is used, so a firm made before is filled too.
    R"sql(
CREATE TABLE link_key (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  fingerprint TEXT NOT NULL
);
)sql",
};

// PostgreSQL's list, numbered as SQLite's: a firm at schema N has the same
// tables on either. Its first entry is SQLite's first 13 as they stand
// (PostgreSQL came in at 13); entries 2 to 13 are empty, and each migration
// from 14 on has a twin here. Text keeps SQLite's byte order (COLLATE "C":
// instants are ISO 8601 text, compared and sorted as SQLite does), and
// names and emails compare as SQLite's NOCASE does.
constexpr std::string_view k_postgres_schema = R"sql(
-- Text compared as SQLite's COLLATE NOCASE compares it (case-insensitive;
-- here for every script, not ASCII alone): the stores' SQL names it
-- unchanged, as PostgreSQL folds the unquoted name.
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE schema_meta (
  application TEXT COLLATE "C" NOT NULL CHECK (application = 'practice'),
  version     INTEGER NOT NULL
);

CREATE TABLE firm (
  id         BIGINT PRIMARY KEY CHECK (id = 1),
  name       TEXT COLLATE "C" NOT NULL,
  email      TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL,
  language   TEXT COLLATE "C"
);

CREATE TABLE staff (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name              TEXT COLLATE "C" NOT NULL,
  email             TEXT NOT NULL COLLATE nocase,
  role              TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  view_all_accounts INTEGER NOT NULL DEFAULT 0 CHECK (view_all_accounts IN (0, 1)),
  created_at        TEXT COLLATE "C" NOT NULL,
  removed_at        TEXT COLLATE "C"
);
CREATE UNIQUE INDEX staff_email ON staff (email) WHERE removed_at IS NULL;

CREATE TABLE accounts (
  id                     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name                   TEXT COLLATE "C" NOT NULL,
  type                   TEXT COLLATE "C" NOT NULL CHECK (type IN ('individual', 'company')),
  created_at             TEXT COLLATE "C" NOT NULL,
  archived_at            TEXT COLLATE "C",
  reminders_paused       INTEGER NOT NULL DEFAULT 0,
  reminders_paused_until TEXT COLLATE "C"
);
CREATE INDEX accounts_name ON accounts (name COLLATE nocase);

CREATE TABLE account_staff (
  account_id  BIGINT NOT NULL REFERENCES accounts (id),
  staff_id    BIGINT NOT NULL REFERENCES staff (id),
  assigned_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, staff_id)
);
CREATE INDEX account_staff_staff ON account_staff (staff_id);

CREATE TABLE contacts (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  name       TEXT COLLATE "C" NOT NULL,
  email      TEXT NOT NULL COLLATE nocase,
  notify     INTEGER NOT NULL DEFAULT 1 CHECK (notify IN (0, 1)),
  portal     INTEGER NOT NULL DEFAULT 0 CHECK (portal IN (0, 1)),
  created_at TEXT COLLATE "C" NOT NULL,
  removed_at TEXT COLLATE "C",
  language   TEXT COLLATE "C"
);
CREATE INDEX contacts_account ON contacts (account_id) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX contacts_account_email ON contacts (account_id, email) WHERE removed_at IS NULL;
CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE audit (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at         TEXT COLLATE "C" NOT NULL,
  actor_kind TEXT COLLATE "C" NOT NULL CHECK (actor_kind IN ('staff', 'contact', 'third_party', 'system', 'os_user')),
  actor_id   BIGINT,
  actor      TEXT COLLATE "C" NOT NULL,
  account_id BIGINT,
  item       TEXT COLLATE "C" NOT NULL,
  action     TEXT COLLATE "C" NOT NULL,
  details    TEXT COLLATE "C" NOT NULL,
  prev_hash  TEXT COLLATE "C" NOT NULL,
  hash       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_account ON audit (account_id, id);
CREATE INDEX audit_item ON audit (item, id);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE TABLE outbox (
  id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  dedupe_key       TEXT COLLATE "C" NOT NULL UNIQUE,
  kind             TEXT COLLATE "C" NOT NULL,
  item             TEXT COLLATE "C",
  account_id       BIGINT,
  rcpt             TEXT COLLATE "C" NOT NULL,
  message_id       TEXT COLLATE "C" NOT NULL UNIQUE,
  subject          TEXT COLLATE "C" NOT NULL,
  message          TEXT COLLATE "C" NOT NULL,
  state            TEXT COLLATE "C" NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  uncertain        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT COLLATE "C" NOT NULL,
  first_attempt_at TEXT COLLATE "C",
  lease_owner      TEXT COLLATE "C",
  lease_until      TEXT COLLATE "C",
  last_code        INTEGER,
  last_reply       TEXT COLLATE "C",
  created_at       TEXT COLLATE "C" NOT NULL,
  sent_at          TEXT COLLATE "C",
  dated_at         TEXT COLLATE "C",
  handed_over_at   TEXT COLLATE "C"
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_state ON outbox (state);
CREATE INDEX outbox_item ON outbox (item, sent_at, created_at, state, kind);

CREATE TABLE request_templates (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name       TEXT NOT NULL COLLATE nocase UNIQUE,
  definition TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE requests (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  account_id        BIGINT NOT NULL REFERENCES accounts (id),
  template_name     TEXT COLLATE "C",
  title             TEXT COLLATE "C" NOT NULL,
  message           TEXT COLLATE "C",
  login             INTEGER NOT NULL DEFAULT 1 CHECK (login IN (0, 1)),
  status            TEXT COLLATE "C" NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'pending', 'in_progress', 'submitted', 'completed', 'cancelled')),
  reminders_on      INTEGER NOT NULL DEFAULT 1 CHECK (reminders_on IN (0, 1)),
  remind_every_days INTEGER NOT NULL DEFAULT 3,
  reminder_count    INTEGER NOT NULL DEFAULT 1,
  reminders_sent    INTEGER NOT NULL DEFAULT 0,
  last_notified_at  TEXT COLLATE "C",
  created_by        TEXT COLLATE "C" NOT NULL,
  created_at        TEXT COLLATE "C" NOT NULL,
  sent_at           TEXT COLLATE "C",
  submitted_at      TEXT COLLATE "C",
  completed_at      TEXT COLLATE "C",
  cancelled_at      TEXT COLLATE "C",
  cancel_reason     TEXT COLLATE "C",
  last_activity_at  TEXT COLLATE "C" NOT NULL,
  created_by_kind   TEXT COLLATE "C" NOT NULL DEFAULT 'system',
  created_by_id     BIGINT
);
CREATE INDEX requests_status ON requests (status);
CREATE INDEX requests_account ON requests (account_id, last_activity_at);
CREATE INDEX requests_status_activity ON requests (status, last_activity_at);
CREATE INDEX requests_activity ON requests (last_activity_at);

CREATE TABLE request_questions (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  request_id BIGINT NOT NULL REFERENCES requests (id),
  position   INTEGER NOT NULL,
  type       TEXT COLLATE "C" NOT NULL
             CHECK (type IN ('text', 'paragraph', 'yesno', 'choice', 'multichoice', 'date', 'number', 'file')),
  prompt     TEXT COLLATE "C" NOT NULL,
  options    TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  required   INTEGER NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
  UNIQUE (request_id, position)
);

CREATE TABLE request_recipients (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  request_id BIGINT NOT NULL REFERENCES requests (id),
  contact_id BIGINT REFERENCES contacts (id),
  name       TEXT COLLATE "C" NOT NULL DEFAULT '',
  email      TEXT NOT NULL COLLATE nocase,
  generation INTEGER NOT NULL DEFAULT 1,
  language   TEXT COLLATE "C",
  UNIQUE (request_id, email)
);

CREATE TABLE request_answers (
  question_id      BIGINT PRIMARY KEY REFERENCES request_questions (id),
  value            TEXT COLLATE "C" NOT NULL,
  answered_by      TEXT COLLATE "C" NOT NULL,
  answered_at      TEXT COLLATE "C" NOT NULL,
  answered_by_kind TEXT COLLATE "C" NOT NULL DEFAULT 'system',
  answered_by_id   BIGINT
);

CREATE TABLE stored_files (
  sha256     TEXT COLLATE "C" PRIMARY KEY,
  size       BIGINT NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE request_answer_files (
  id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  question_id BIGINT NOT NULL REFERENCES request_questions (id),
  sha256      TEXT COLLATE "C" NOT NULL REFERENCES stored_files (sha256),
  name        TEXT COLLATE "C" NOT NULL,
  size        BIGINT NOT NULL,
  uploaded_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX request_answer_files_question ON request_answer_files (question_id);
-- The contents themselves: a shared server needs no shared disk.
CREATE TABLE stored_file_contents (
  sha256  TEXT COLLATE "C" PRIMARY KEY REFERENCES stored_files (sha256),
  content BYTEA NOT NULL
);

CREATE TABLE pipelines (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name       TEXT NOT NULL COLLATE nocase UNIQUE,
  created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE stages (
  id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
  name        TEXT NOT NULL COLLATE nocase,
  position    INTEGER NOT NULL,
  automove    INTEGER NOT NULL DEFAULT 0 CHECK (automove IN (0, 1)),
  removed_at  TEXT COLLATE "C",
  UNIQUE (pipeline_id, name)
);

CREATE TABLE stage_automations (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  stage_id          BIGINT NOT NULL REFERENCES stages (id),
  kind              TEXT COLLATE "C" NOT NULL CHECK (kind IN ('send_request')),
  template_name     TEXT COLLATE "C" NOT NULL,
  reminders_on      INTEGER,
  remind_every_days INTEGER,
  reminder_count    INTEGER,
  login             INTEGER,
  created_at        TEXT COLLATE "C" NOT NULL
);

CREATE TABLE jobs (
  id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  account_id  BIGINT NOT NULL REFERENCES accounts (id),
  pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
  stage_id    BIGINT NOT NULL REFERENCES stages (id),
  title       TEXT COLLATE "C" NOT NULL,
  assignee_id BIGINT REFERENCES staff (id),
  due_date    TEXT COLLATE "C",
  created_at  TEXT COLLATE "C" NOT NULL,
  moved_at    TEXT COLLATE "C" NOT NULL,
  archived_at TEXT COLLATE "C"
);
CREATE INDEX jobs_account ON jobs (account_id);
CREATE INDEX jobs_stage ON jobs (stage_id);

CREATE TABLE job_links (
  id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  job_id    BIGINT NOT NULL REFERENCES jobs (id),
  item_kind TEXT COLLATE "C" NOT NULL CHECK (item_kind IN ('request', 'approval')),
  item_id   BIGINT NOT NULL,
  stage_id  BIGINT NOT NULL REFERENCES stages (id),
  linked_at TEXT COLLATE "C" NOT NULL,
  UNIQUE (job_id, item_kind, item_id)
);
CREATE INDEX job_links_job ON job_links (job_id);
CREATE INDEX job_links_item ON job_links (item_kind, item_id, job_id);

CREATE TABLE folders (
  id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name            TEXT NOT NULL COLLATE nocase UNIQUE,
  client_can_view INTEGER NOT NULL DEFAULT 0 CHECK (client_can_view IN (0, 1)),
  created_at      TEXT COLLATE "C" NOT NULL
);

CREATE TABLE documents (
  id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  account_id       BIGINT NOT NULL REFERENCES accounts (id),
  folder_id        BIGINT REFERENCES folders (id),
  name             TEXT COLLATE "C" NOT NULL,
  description      TEXT COLLATE "C",
  sha256           TEXT COLLATE "C" NOT NULL REFERENCES stored_files (sha256),
  size             BIGINT NOT NULL,
  uploaded_by      TEXT COLLATE "C" NOT NULL,
  uploaded_at      TEXT COLLATE "C" NOT NULL,
  removed_at       TEXT COLLATE "C",
  uploaded_by_kind TEXT COLLATE "C" NOT NULL DEFAULT 'system',
  uploaded_by_id   BIGINT
);
CREATE INDEX documents_account ON documents (account_id);

CREATE TABLE approvals (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  document_id       BIGINT NOT NULL REFERENCES documents (id),
  account_id        BIGINT NOT NULL REFERENCES accounts (id),
  status            TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'approved', 'disapproved', 'cancelled')),
  message           TEXT COLLATE "C",
  reminders_on      INTEGER NOT NULL DEFAULT 1 CHECK (reminders_on IN (0, 1)),
  remind_every_days INTEGER NOT NULL DEFAULT 3,
  reminder_count    INTEGER NOT NULL DEFAULT 1,
  reminders_sent    INTEGER NOT NULL DEFAULT 0,
  last_notified_at  TEXT COLLATE "C",
  requested_by      TEXT COLLATE "C" NOT NULL,
  requested_at      TEXT COLLATE "C" NOT NULL,
  decided_by        TEXT COLLATE "C",
  decided_at        TEXT COLLATE "C",
  reasons           TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  comment           TEXT COLLATE "C",
  cancelled_at      TEXT COLLATE "C",
  requested_by_kind TEXT COLLATE "C" NOT NULL DEFAULT 'system',
  requested_by_id   BIGINT,
  decided_by_kind   TEXT COLLATE "C" NOT NULL DEFAULT 'system',
  decided_by_id     BIGINT
);
CREATE INDEX approvals_account ON approvals (account_id, status);
CREATE INDEX approvals_document ON approvals (document_id);
CREATE INDEX approvals_account_requested ON approvals (account_id, requested_at);
CREATE INDEX approvals_status ON approvals (status, requested_at);
CREATE INDEX approvals_requested ON approvals (requested_at);

CREATE TABLE portal_codes (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  email      TEXT NOT NULL COLLATE nocase,
  contact_id BIGINT NOT NULL REFERENCES contacts (id),
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  nonce      TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  expires_at TEXT COLLATE "C" NOT NULL,
  tries_left INTEGER NOT NULL,
  state      TEXT COLLATE "C" NOT NULL CHECK (state IN ('open', 'used', 'replaced', 'exhausted'))
);
CREATE INDEX portal_codes_email ON portal_codes (email, id);

CREATE TABLE portal_sessions (
  id_hash      TEXT COLLATE "C" PRIMARY KEY,
  contact_id   BIGINT NOT NULL REFERENCES contacts (id),
  account_id   BIGINT NOT NULL REFERENCES accounts (id),
  created_at   TEXT COLLATE "C" NOT NULL,
  last_seen_at TEXT COLLATE "C" NOT NULL,
  ended_at     TEXT COLLATE "C"
);
)sql";

// 14: the link key's fingerprint, as SQLite's 14.
constexpr std::string_view k_postgres_link_key = R"sql(
CREATE TABLE link_key (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  fingerprint TEXT COLLATE "C" NOT NULL
);
)sql";

constexpr std::array<std::string_view, 14> k_postgres_migrations = {k_postgres_schema, "", "", "", "", "", "", "",
                                                                     "", "", "", "", "", k_postgres_link_key};
static_assert(k_postgres_migrations.size() == k_migrations.size());

int64_t pragma_int(Database& db, std::string_view pragma) {
  Statement s(db, fmt::format("PRAGMA {}", pragma));
  return s.step() ? s.int64(0) : 0;
}

} // namespace

int latest_schema_version() { return static_cast<int>(k_migrations.size()); }

int schema_version(Database& db) {
  if (db.is_postgres()) {
    Statement exists(db, "SELECT to_regclass('schema_meta') IS NOT NULL");
    if (!exists.step() || exists.int64(0) == 0) {
      return 0;
    }
    Statement s(db, "SELECT version FROM schema_meta");
    return s.step() ? static_cast<int>(s.int64(0)) : 0;
  }
  return static_cast<int>(pragma_int(db, "user_version"));
}

int apply_migrations(Database& db) { return apply_migrations(db, latest_schema_version()); }

namespace {

// A database that holds tables and no practice schema belongs to something else.
void check_ours(Database& db, int current) {
  if (db.is_postgres()) {
    if (current == 0) {
      Statement s(db, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
      if (s.step() && s.int64(0) > 0) {
        throw ConfigError(fmt::format("{} is not a practice database: it has tables of its own", db.path()),
                          "give practice an empty database of its own (createdb), then run 'practice init'");
      }
    }
    return;
  }
  const int64_t app_id = pragma_int(db, "application_id");
  if (app_id != k_application_id && (app_id != 0 || current != 0)) {
    throw ConfigError(fmt::format("{} is not a practice database", db.path()),
                      "pass --db with the path of a practice database");
  }
}

void record_version(Database& db, int version) {
  if (db.is_postgres()) {
    if (version == 1) {
      Statement(db, "INSERT INTO schema_meta (application, version) VALUES ('practice', 1)").run();
    } else {
      Statement(db, "UPDATE schema_meta SET version = ?1").bind(1, version).run();
    }
    return;
  }
  db.exec(fmt::format("PRAGMA application_id={}", k_application_id));
  db.exec(fmt::format("PRAGMA user_version={}", version));
}

} // namespace

int apply_migrations(Database& db, int target) { return apply_migrations(db, target, MigrationTx::own); }

int apply_migrations(Database& db, int target, MigrationTx in) {
  const int current = schema_version(db);
  check_ours(db, current);
  if (current > latest_schema_version()) {
    throw ConfigError(fmt::format("the database {} was written by a newer practice (schema {} > {})",
                                  db.path(), current, latest_schema_version()),
                      "upgrade practice");
  }
  const auto& list = db.is_postgres() ? k_postgres_migrations : k_migrations;
  int applied = 0;
  for (int version = current + 1; version <= std::min(target, latest_schema_version()); ++version) {
    std::optional<Transaction> tx;
    if (in == MigrationTx::own) {
      tx.emplace(db, TxMode::write);
      // Another process may have migrated while we waited for the lock.
      if (schema_version(db) >= version) {
        continue;
      }
    }
    if (const auto sql = list[static_cast<size_t>(version - 1)]; !sql.empty()) {
      db.exec(sql);
    }
    record_version(db, version);
    if (tx) {
      tx->commit();
    }
    ++applied;
  }
  return applied;
}

} // namespace practice::storage
