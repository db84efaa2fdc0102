-- Bank deposits (issue 7; PostgreSQL): payments received sit in Undeposited funds (1010) until someone
-- takes them to the bank. Kept in step with the other backend's 0030_deposits.sql by the schema test.

-- One deposit: its journal entry (Dr the cash account for the total, Cr 1010 one line per item)
-- and, once undone, the reversal that undid it (an entry is never edited: a deposit is undone by
-- reversing its entry, with the reason). deposit_number counts 1, 2, 3... per practice (counter
-- 'deposit'), the number on the printed slip.
CREATE TABLE deposit (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    deposit_number BIGINT NOT NULL,
    deposit_date TEXT NOT NULL,
    account_id TEXT NOT NULL,
    total_cents BIGINT NOT NULL CHECK (total_cents > 0),
    item_count BIGINT NOT NULL CHECK (item_count > 0),
    memo TEXT NOT NULL,
    journal_entry_id TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at TEXT NOT NULL,
    reversal_entry_id TEXT,
    reversed_by TEXT,
    reversed_at TEXT,
    reversal_reason TEXT,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT deposit_number_unique UNIQUE (practice_id, deposit_number),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX deposit_by_date ON deposit (practice_id, deposit_date);

-- The items of a deposit: each a journal line debiting 1010 (a co-pay, a patient's payment, a
-- payer's check), with what the slip prints copied as it was on the day. held_key is
-- 'entry_id:line_number' while the deposit stands and NULL once it is undone: its unique key is
-- what keeps a received payment in at most one standing deposit, even when two desks deposit the
-- same check at the same moment (the second fails on it). NULLs never collide, so an undone
-- deposit keeps its items for the record and frees them.
CREATE TABLE deposit_item (
    practice_id TEXT NOT NULL,
    deposit_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    entry_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    received_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    from_name TEXT NOT NULL,
    method TEXT NOT NULL,
    check_number TEXT,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    patient_id TEXT,
    payer_id TEXT,
    held_key TEXT,
    PRIMARY KEY (practice_id, deposit_id, position),
    CONSTRAINT deposit_item_once UNIQUE (practice_id, held_key),
    FOREIGN KEY (practice_id, deposit_id) REFERENCES deposit (practice_id, id)
);
CREATE INDEX deposit_item_by_line ON deposit_item (practice_id, entry_id, line_number);

-- Bank reconciliation: the 835 trace number (TRN02) a bank line was matched by, when its
-- description named a remittance's trace (an EFT); NULL for every other match.
ALTER TABLE bank_statement_line ADD COLUMN match_trace_number TEXT;
