-- The scheduled daily backup (issue 9), a practice setting: `medoffice serve` writes an encrypted
-- backup of the whole database and the stored files into `folder` once a day at `hour` (the
-- practice's local time) and keeps the `keep_count` newest backup files there, deleting older
-- ones. `enabled` is 0 or 1 (no boolean columns: one schema for both databases).
-- `last_run_date` (YYYY-MM-DD, local) is claimed by the server that runs the day's backup with a
-- conditional update, so two servers on one database never both run it; `last_result` and
-- `last_file` say how the last run went, for the admin page.
CREATE TABLE backup_schedule (
    practice_id TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 0,
    folder TEXT NOT NULL,
    hour BIGINT NOT NULL,
    keep_count BIGINT NOT NULL,
    last_run_date TEXT,
    last_run_at TEXT,
    last_result TEXT,
    last_file TEXT,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id),
    CONSTRAINT backup_schedule_hour CHECK (hour >= 0 AND hour <= 23),
    CONSTRAINT backup_schedule_keep CHECK (keep_count >= 1 AND keep_count <= 365)
);
