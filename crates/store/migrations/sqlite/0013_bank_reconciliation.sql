-- Bank reconciliation (SQLite): imported bank statements and their lines, each line's match with
-- a ledger line of the cash account, and the reconciliations done. Kept in step with
-- ../postgres/0013_bank_reconciliation.sql by the schema test (the two are the same SQL).
--
-- journal_line is append-only (0009), so nothing here changes it: a line's match lives on the
-- bank line, and a reconciled ledger line is a row of bank_reconciled_line.

-- One imported file. account_id is the cash account (ledger_account.id) the statement is of.
-- ending_balance_cents/ending_date are what the file states (OFX LEDGERBAL, a CSV Balance
-- column), NULL when it does not; period_start/period_end the dates it covers.
CREATE TABLE bank_statement (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_format TEXT NOT NULL CHECK (file_format IN ('csv', 'ofx')),
    period_start TEXT,
    period_end TEXT,
    ending_balance_cents BIGINT,
    ending_date TEXT,
    line_count BIGINT NOT NULL,
    duplicate_count BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, account_id) REFERENCES ledger_account (practice_id, id)
);
CREATE INDEX bank_statement_by_account ON bank_statement (practice_id, account_id, imported_at);

-- One transaction of a statement, signed the bank's way (a deposit positive, a payment
-- negative). duplicate_key (domain::ledger::bank::duplicate_keys: the bank's FITID, or the
-- line's date, amount, description, check number and its occurrence in the file) is unique per
-- cash account, so importing a file again adds only the lines not seen before.
-- status: 'unmatched', 'matched' (to the ledger line matched_entry_id/matched_line_number,
-- which no other bank line may take: bank_statement_line_ledger_once) or 'ignored'.
CREATE TABLE bank_statement_line (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    line_date TEXT NOT NULL,
    description TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    fitid TEXT,
    check_number TEXT,
    transaction_type TEXT,
    duplicate_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unmatched', 'matched', 'ignored')),
    matched_entry_id TEXT,
    matched_line_number BIGINT,
    matched_by TEXT,
    matched_at TEXT,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT bank_statement_line_number_unique UNIQUE (practice_id, statement_id, line_number),
    CONSTRAINT bank_statement_line_once UNIQUE (practice_id, account_id, duplicate_key),
    CONSTRAINT bank_statement_line_ledger_once UNIQUE (practice_id, matched_entry_id, matched_line_number),
    CONSTRAINT bank_statement_line_match_status CHECK (
        (status = 'matched' AND matched_entry_id IS NOT NULL AND matched_line_number IS NOT NULL)
        OR (status <> 'matched' AND matched_entry_id IS NULL AND matched_line_number IS NULL)),
    FOREIGN KEY (practice_id, statement_id) REFERENCES bank_statement (practice_id, id),
    FOREIGN KEY (practice_id, matched_entry_id, matched_line_number) REFERENCES journal_line (practice_id, entry_id, line_number)
);
CREATE INDEX bank_statement_line_by_account ON bank_statement_line (practice_id, account_id, status, line_date);

-- A reconciliation: the cash account agreed with the bank's ending balance on a date (the
-- difference was zero). Once per account and date.
CREATE TABLE bank_reconciliation (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    statement_id TEXT,
    statement_end_date TEXT NOT NULL,
    ending_balance_cents BIGINT NOT NULL,
    cleared_balance_cents BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    reconciled_by TEXT NOT NULL,
    reconciled_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT bank_reconciliation_once UNIQUE (practice_id, account_id, statement_end_date),
    FOREIGN KEY (practice_id, account_id) REFERENCES ledger_account (practice_id, id)
);

-- The ledger lines a reconciliation cleared (journal_line itself never changes). A line is
-- reconciled once (the primary key); a reconciled line's bank match is not undone.
CREATE TABLE bank_reconciled_line (
    practice_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    reconciliation_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, entry_id, line_number),
    FOREIGN KEY (practice_id, entry_id, line_number) REFERENCES journal_line (practice_id, entry_id, line_number),
    FOREIGN KEY (practice_id, reconciliation_id) REFERENCES bank_reconciliation (practice_id, id)
);
CREATE INDEX bank_reconciled_line_by_reconciliation ON bank_reconciled_line (practice_id, reconciliation_id);
