-- Bank reconciliation, cleared without a bank line of their own (PostgreSQL; kept in step with
-- ../sqlite/0018_bank_cleared.sql, the same SQL). journal_line is still never changed.
--
-- A row clears one ledger line of a cash account:
--   kind 'history':  the bookkeeper's starting point, a line dated before the first statement
--                    (an opening balance, checks written before it) the bank has already cleared;
--   kind 'reversal': an entry and its reversal on the account, cleared together (they net to
--                    zero); pair_entry_id names the other entry of the pair;
--   kind 'batch':    a further ledger line of a deposit batch, one bank line (bank_line_id)
--                    matched with several ledger lines whose sum is its amount (the first ledger
--                    line stays the bank line's matched_entry_id).
-- A row may be undone (deleted) until a reconciliation clears the line (bank_reconciled_line).
CREATE TABLE bank_cleared_line (
    practice_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('history', 'reversal', 'batch')),
    pair_entry_id TEXT,
    bank_line_id TEXT,
    cleared_by TEXT NOT NULL,
    cleared_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, entry_id, line_number),
    CONSTRAINT bank_cleared_line_batch CHECK ((kind = 'batch') = (bank_line_id IS NOT NULL)),
    FOREIGN KEY (practice_id, entry_id, line_number) REFERENCES journal_line (practice_id, entry_id, line_number),
    FOREIGN KEY (practice_id, bank_line_id) REFERENCES bank_statement_line (practice_id, id)
);
CREATE INDEX bank_cleared_line_by_account ON bank_cleared_line (practice_id, account_id, kind);
CREATE INDEX bank_cleared_line_by_bank_line ON bank_cleared_line (practice_id, bank_line_id);
