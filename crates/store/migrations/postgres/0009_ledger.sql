-- The general ledger (PostgreSQL): chart of accounts, journal entries and their lines, closed
-- periods. Kept in step with ../sqlite/0009_ledger.sql by the schema test; the two differ only
-- in how the database refuses to change a posted entry (a trigger function here, triggers there).

-- The chart of accounts. number is what people and other modules use ("1110"); id is what
-- lines point to, so an account can be renumbered. account_type is one of domain::ledger's
-- types (contra types included); normal_balance follows from it and is stored so reports and
-- exports read it without the domain. An account with postings is closed (active = 0), never
-- deleted: its lines keep pointing to it.
CREATE TABLE ledger_account (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    account_type TEXT NOT NULL CHECK (account_type IN ('asset', 'contra_asset', 'liability', 'equity', 'contra_equity',
        'revenue', 'contra_revenue', 'expense', 'contra_expense')),
    normal_balance TEXT NOT NULL CHECK (normal_balance IN ('debit', 'credit')),
    parent_id TEXT,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT ledger_account_number_unique UNIQUE (practice_id, number)
);

-- A journal entry's header. entry_number counts 1, 2, 3... per practice (counter
-- 'journal_entry'). source_kind says which event made it ('manual', 'reversal', 'copay',
-- 'remittance', 'bill'...) and source_id which record. idempotency_key is unique per practice,
-- so the same event posted twice posts once (NULL: no key, e.g. a manual entry without one).
-- reversal_of links a reversal to the entry it undoes; unique, so an entry is reversed at most
-- once. Entries and their lines are append-only (triggers below): a correction is a reversal.
CREATE TABLE journal_entry (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    entry_number BIGINT NOT NULL,
    entry_date TEXT NOT NULL,
    memo TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_id TEXT,
    idempotency_key TEXT,
    reversal_of TEXT,
    total_cents BIGINT NOT NULL CHECK (total_cents > 0),
    posted_by TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT journal_entry_number_unique UNIQUE (practice_id, entry_number),
    CONSTRAINT journal_entry_idempotency_key_unique UNIQUE (practice_id, idempotency_key),
    CONSTRAINT journal_entry_reversed_once UNIQUE (practice_id, reversal_of),
    FOREIGN KEY (practice_id, reversal_of) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX journal_entry_by_date ON journal_entry (practice_id, entry_date, entry_number);
CREATE INDEX journal_entry_by_source ON journal_entry (practice_id, source_kind, source_id);

-- The lines of an entry: a debit or a credit in cents on one account, never both, never zero
-- (the CHECK). entry_date is copied from the entry so reports (trial balance as of a date,
-- an account's detail) read one index range of lines. patient_id, payer_id, vendor_id and
-- claim_id tie a line to its subledger.
CREATE TABLE journal_line (
    practice_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    entry_date TEXT NOT NULL,
    debit_cents BIGINT NOT NULL CHECK (debit_cents >= 0),
    credit_cents BIGINT NOT NULL CHECK (credit_cents >= 0),
    memo TEXT,
    patient_id TEXT,
    payer_id TEXT,
    vendor_id TEXT,
    claim_id TEXT,
    PRIMARY KEY (practice_id, entry_id, line_number),
    CONSTRAINT journal_line_one_side CHECK ((debit_cents > 0 AND credit_cents = 0) OR (debit_cents = 0 AND credit_cents > 0)),
    FOREIGN KEY (practice_id, entry_id) REFERENCES journal_entry (practice_id, id),
    FOREIGN KEY (practice_id, account_id) REFERENCES ledger_account (practice_id, id)
);
CREATE INDEX journal_line_by_account ON journal_line (practice_id, account_id, entry_date);
CREATE INDEX journal_line_by_date ON journal_line (practice_id, entry_date, account_id);
CREATE INDEX journal_line_by_patient ON journal_line (practice_id, patient_id);

-- Closed months ('2026-05'): nothing may be posted dated inside one. Reopening deletes the row
-- (admin only, audited by the use case).
CREATE TABLE ledger_closed_period (
    practice_id TEXT NOT NULL,
    period TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, period)
);

-- Posted entries are immutable, enforced by the database itself (like audit_event).
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: post a reversal', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER journal_entry_no_change BEFORE UPDATE OR DELETE ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_line_no_change BEFORE UPDATE OR DELETE ON journal_line
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_line_no_truncate BEFORE TRUNCATE ON journal_line
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
