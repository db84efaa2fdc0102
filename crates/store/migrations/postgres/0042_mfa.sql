-- Multi-factor authentication and session stages (issue 9, security; PostgreSQL).
--
-- A session is 'full' (signed in), 'mfa' (password right, the one-time code still to come) or
-- 'enrol' (password right, the practice requires MFA of the user's role and the user must enrol
-- before anything else). The half-signed-in stages open no page but their own.
ALTER TABLE user_session ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
CREATE INDEX user_session_open ON user_session (practice_id, ended_at, expires_at);

-- One row per user who enrolled or was asked to. `secret` is the confirmed TOTP secret (base32);
-- `pending_secret` an enrolment shown but not yet confirmed with a code. `last_used_step` is the
-- TOTP step of the last accepted code: a code of that step or an earlier one is never accepted
-- again. `enrol_required` (0/1) is set by an admin's password reset with MFA reset.
CREATE TABLE user_mfa (
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    secret TEXT,
    pending_secret TEXT,
    confirmed_at TEXT,
    last_used_step BIGINT NOT NULL DEFAULT -1,
    enrol_required BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, user_id),
    FOREIGN KEY (practice_id, user_id) REFERENCES app_user (practice_id, id)
);

-- Single-use recovery codes, stored as SHA-256 hashes; `used_at` is set when one is spent.
CREATE TABLE mfa_recovery_code (
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (practice_id, user_id, code_hash),
    FOREIGN KEY (practice_id, user_id) REFERENCES app_user (practice_id, id)
);

-- The practice's policy: the roles whose users must use MFA.
CREATE TABLE mfa_required_role (
    practice_id TEXT NOT NULL REFERENCES practice (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'front_desk', 'biller', 'bookkeeper', 'provider')),
    PRIMARY KEY (practice_id, role)
);
