-- Recurring journal entries (PostgreSQL): templates of entries that post on a schedule (monthly
-- rent, depreciation, a prepaid expense used up, deferred revenue earned). Kept in step with
-- ../sqlite/0015_recurring_entries.sql by the schema test.

-- A template. frequency is domain::ledger::recurring::Frequency ('monthly', 'quarterly',
-- 'yearly'); day_of_month 1 to 31, where a day past a month's end is that month's last day (31:
-- always the last day). end_date and max_occurrences are optional ends. Occurrences are counted
-- from 0 from start_date; next_index is the first one not yet posted and next_due its date (NULL
-- once the template has ended), which is what a run reads. Each occurrence posts with the
-- idempotency key 'recurring:<id>:<YYYY-MM-DD>', so a run repeated, or two at once, posts it
-- once. An occurrence dated in a closed month is skipped by a run and stays due (next_index does
-- not pass it) until the month is reopened. active = 0: paused.
CREATE TABLE recurring_template (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    memo TEXT NOT NULL,
    frequency TEXT NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'yearly')),
    day_of_month BIGINT NOT NULL CHECK (day_of_month BETWEEN 1 AND 31),
    start_date TEXT NOT NULL,
    end_date TEXT,
    max_occurrences BIGINT CHECK (max_occurrences > 0),
    next_index BIGINT NOT NULL CHECK (next_index >= 0),
    next_due TEXT,
    total_cents BIGINT NOT NULL CHECK (total_cents > 0),
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX recurring_template_by_due ON recurring_template (practice_id, active, next_due);

-- A template's lines: an account by number (as posted, checked open when the template is saved
-- and again by each posting) and a debit or a credit, never both or zero.
CREATE TABLE recurring_template_line (
    practice_id TEXT NOT NULL,
    template_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    account_number TEXT NOT NULL,
    debit_cents BIGINT NOT NULL CHECK (debit_cents >= 0),
    credit_cents BIGINT NOT NULL CHECK (credit_cents >= 0),
    memo TEXT,
    PRIMARY KEY (practice_id, template_id, line_number),
    CHECK ((debit_cents > 0 AND credit_cents = 0) OR (debit_cents = 0 AND credit_cents > 0)),
    FOREIGN KEY (practice_id, template_id) REFERENCES recurring_template (practice_id, id)
);
