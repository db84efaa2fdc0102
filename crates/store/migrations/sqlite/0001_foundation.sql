-- medoffice foundation schema (SQLite). Kept in step with ../postgres/0001_foundation.sql by the
-- use-case suite test `schema::both_backends_migrate_to_the_same_tables_columns_and_nullability`.
--
-- Why the types are plain: the store talks to both databases through sqlx's Any driver, which
-- carries TEXT and BIGINT (and floats, blobs) but not dates, booleans or numerics. So:
--   * ids are TEXT (UUID v7, time-ordered); money is BIGINT cents;
--   * dates are TEXT 'YYYY-MM-DD'; instants are TEXT RFC 3339 UTC with microseconds
--     ('2026-11-28T10:00:00.000000Z'), which sort correctly as text;
--   * flags are nullable instants ('disabled_at', 'revoked_at') instead of booleans: they say when.
-- Tenancy: every practice-scoped row carries practice_id and its keys and indexes lead with it,
-- so a billing service can distribute every table by practice_id (Citus) without a rewrite.

CREATE TABLE practice (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    phone TEXT,
    address_line1 TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    created_at TEXT NOT NULL
);

-- Staff accounts. Usernames are unique within a practice.
CREATE TABLE app_user (
    practice_id TEXT NOT NULL REFERENCES practice (id),
    id TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'front_desk', 'biller', 'bookkeeper', 'provider')),
    password_hash TEXT NOT NULL,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT app_user_username_unique UNIQUE (practice_id, username)
);
CREATE INDEX app_user_by_username ON app_user (username);

-- Server-side sessions. The cookie holds practice id and a random secret; only the secret's
-- SHA-256 is stored, so a copy of the database cannot be used to hijack a session.
CREATE TABLE user_session (
    practice_id TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    user_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT,
    ip TEXT,
    user_agent TEXT,
    PRIMARY KEY (practice_id, id_hash),
    FOREIGN KEY (practice_id, user_id) REFERENCES app_user (practice_id, id)
);
CREATE INDEX user_session_by_user ON user_session (practice_id, user_id);

-- API bearer tokens for machine clients; stored as hashes like sessions.
CREATE TABLE api_token (
    practice_id TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    user_id TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (practice_id, id_hash),
    FOREIGN KEY (practice_id, user_id) REFERENCES app_user (practice_id, id)
);

-- Failed logins, for rate limiting; keyed by 'user:<name>' and 'ip:<address>'. Not practice
-- scoped: an attacker's username may not exist. Rows older than the window are pruned.
CREATE TABLE login_failure (
    throttle_key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failure_by_key ON login_failure (throttle_key, at);

-- Per-practice counters (MRNs now; X12 control numbers later). Incremented with
-- UPDATE ... RETURNING inside the caller's transaction, so numbers are never handed out twice.
CREATE TABLE counter (
    practice_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (practice_id, name)
);

-- The append-only audit trail, chained by hash per practice (see domain::audit).
-- audit_head holds each practice's last (seq, hash); updating it serialises writers of one
-- practice's chain on PostgreSQL (row lock) as SQLite's single writer does anyway.
CREATE TABLE audit_head (
    practice_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_event (
    practice_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id TEXT,
    record_type TEXT NOT NULL,
    record_id TEXT,
    ip TEXT,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (practice_id, seq)
);
CREATE INDEX audit_event_by_patient ON audit_event (practice_id, patient_id, seq);
CREATE INDEX audit_event_by_user ON audit_event (practice_id, user_id, seq);
CREATE INDEX audit_event_by_at ON audit_event (practice_id, at);
-- Append-only, enforced by the database itself.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;

-- Insurance companies the practice bills. payer_code is the electronic payer id (NM109 of 2010BB).
CREATE TABLE payer (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    payer_code TEXT NOT NULL,
    claim_filing_indicator TEXT NOT NULL,
    phone TEXT,
    address_line1 TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX payer_by_name ON payer (practice_id, name);

-- Rendering and billing providers.
CREATE TABLE provider (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    credentials TEXT,
    npi TEXT NOT NULL,
    specialty TEXT,
    colour TEXT NOT NULL,
    user_id TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT provider_npi_unique UNIQUE (practice_id, npi)
);

-- Stored files (card images now; documents later). The bytes live in the blob store (the data
-- dir by default) under storage_key, never under a name the user chose.
CREATE TABLE blob (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);

-- Patients. mrn is assigned by medoffice (counter 'mrn', with a Luhn check digit).
-- merged_into is set when an admin merged this record into another: it then stays for history
-- but no longer shows in searches, and everything attached to it has moved to the survivor.
CREATE TABLE patient (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    mrn TEXT NOT NULL,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    middle_name TEXT,
    preferred_name TEXT,
    suffix TEXT,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    phone_mobile TEXT,
    phone_home TEXT,
    phone_work TEXT,
    preferred_phone TEXT NOT NULL,
    email TEXT,
    preferred_contact TEXT NOT NULL,
    language TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    emergency_contact_name TEXT,
    emergency_contact_relationship TEXT,
    emergency_contact_phone TEXT,
    guarantor_family_name TEXT,
    guarantor_given_name TEXT,
    guarantor_relationship TEXT,
    guarantor_birth_date TEXT,
    guarantor_phone TEXT,
    guarantor_address_line1 TEXT,
    guarantor_address_line2 TEXT,
    guarantor_city TEXT,
    guarantor_state TEXT,
    guarantor_postal_code TEXT,
    merged_into TEXT,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT patient_mrn_unique UNIQUE (practice_id, mrn)
);
CREATE INDEX patient_by_name ON patient (practice_id, family_name, given_name);
CREATE INDEX patient_by_birth_date ON patient (practice_id, birth_date);

-- Search tokens (see domain::search): range scans on (practice_id, token) answer any part of a
-- name, a phone, a birth date, an MRN or a member id the same way on both databases.
CREATE TABLE patient_search_token (
    practice_id TEXT NOT NULL,
    token TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, token, patient_id)
);
-- Covering, so checking a candidate's other words reads only this index.
CREATE INDEX patient_search_token_by_patient ON patient_search_token (practice_id, patient_id, token);

-- Insurance coverages. priority 1 primary, 2 secondary, 3 tertiary; the rule "no two coverages
-- of one priority on the same day" is checked by the use case (domain::patients).
CREATE TABLE coverage (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    group_number TEXT,
    plan_name TEXT,
    priority BIGINT NOT NULL CHECK (priority BETWEEN 1 AND 3),
    relationship_to_subscriber TEXT NOT NULL,
    subscriber_family_name TEXT,
    subscriber_given_name TEXT,
    subscriber_birth_date TEXT,
    subscriber_sex TEXT,
    copay_cents BIGINT NOT NULL CHECK (copay_cents >= 0),
    start_date TEXT NOT NULL,
    end_date TEXT,
    card_front_blob_id TEXT,
    card_back_blob_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id)
);
CREATE INDEX coverage_by_patient ON coverage (practice_id, patient_id);
CREATE INDEX coverage_by_member ON coverage (practice_id, member_id);

-- Merges done by an admin: which record survived, which was folded into it.
CREATE TABLE patient_merge (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    survivor_id TEXT NOT NULL,
    merged_id TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
