-- The audit trail sealed with HMAC-SHA256 (issue 9). Each record names how it is chained:
-- 'hmac-sha256' (sealed under the audit key, a secret kept in a file outside the database, whose
-- public id is key_id) or 'sha256' (a plain hash, for the records written before this migration;
-- the first sealed record chains to the last of them, which anchors them). See domain::audit.
-- Adding columns fires no row trigger, so the append-only triggers of 0001 stay in place and
-- still refuse every UPDATE and DELETE of audit_event.
ALTER TABLE audit_event ADD COLUMN chain_scheme TEXT NOT NULL DEFAULT 'sha256';
ALTER TABLE audit_event ADD COLUMN key_id TEXT;

-- The audit report filters and sorts by user name and action within a practice.
CREATE INDEX audit_event_by_username ON audit_event (practice_id, username, seq);
CREATE INDEX audit_event_by_action ON audit_event (practice_id, action, seq);
