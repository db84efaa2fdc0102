-- Calendar feeds (PostgreSQL; kept in step with ../sqlite/0007_calendar_feeds.sql by
-- `schema::both_backends_migrate_to_the_same_tables_columns_and_nullability`): a secret
-- address per provider that a doctor's own calendar app subscribes to (RFC 5545 iCalendar,
-- GET /calendar/<practice id>.<secret>.ics).
--
-- The address is the credential, so it is treated like a session cookie: 32 random bytes shown
-- once when the feed is made, and only their SHA-256 (hex) kept here, so a copy of the database
-- opens no feed. The practice id travels in the address beside the secret, so the lookup is keyed
-- by (practice_id, secret_hash) like every other lookup. A feed is never deleted: revoking sets
-- revoked_at (and who), and a revoked feed answers exactly as an unknown one does.
-- include_patient_names (0/1; no booleans through the Any driver) is the practice's choice per
-- feed; with 0 the events carry the appointment type and status, never a patient's name.
CREATE TABLE calendar_feed (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    include_patient_names BIGINT NOT NULL CHECK (include_patient_names IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_fetched_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT calendar_feed_secret_unique UNIQUE (practice_id, secret_hash),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id),
    FOREIGN KEY (practice_id, created_by) REFERENCES app_user (practice_id, id),
    FOREIGN KEY (practice_id, revoked_by) REFERENCES app_user (practice_id, id)
);
-- The admin page lists a practice's feeds by provider.
CREATE INDEX calendar_feed_by_provider ON calendar_feed (practice_id, provider_id, created_at);
