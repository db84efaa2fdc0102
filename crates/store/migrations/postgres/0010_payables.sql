-- Accounts payable (PostgreSQL): vendors and the bills they send. Kept in step with the other backend's
-- 0010_payables.sql by the schema test.

-- A vendor. payment_terms is domain::ledger::terms::PaymentTerms as text ('net_30',
-- '2/10 net 30', 'due_on_receipt', 'day_of_month:15'); default_expense_account is an account
-- number a new bill's line starts on (blank: none). is_1099 marks a vendor whose payments are
-- reported on a 1099 (0/1).
CREATE TABLE vendor (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    contact TEXT,
    tax_id TEXT,
    default_expense_account TEXT,
    payment_terms TEXT NOT NULL,
    is_1099 BIGINT NOT NULL CHECK (is_1099 IN (0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX vendor_by_name ON vendor (practice_id, name);

-- A vendor's bill. The bill number is unique per vendor (a bill entered twice is refused).
-- due_date follows from the vendor's terms at entry. Entering a bill posts its journal entry
-- (Dr the lines' accounts, Cr Accounts payable) in the same transaction; journal_entry_id is it.
-- status is 'open' until paid.
CREATE TABLE bill (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    bill_number TEXT NOT NULL,
    bill_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    memo TEXT,
    total_cents BIGINT NOT NULL CHECK (total_cents > 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'paid')),
    journal_entry_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT bill_number_unique UNIQUE (practice_id, vendor_id, bill_number),
    FOREIGN KEY (practice_id, vendor_id) REFERENCES vendor (practice_id, id),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX bill_by_due ON bill (practice_id, status, due_date);

-- A bill's lines: an expense, asset or prepaid account (by number, as posted) and an amount.
CREATE TABLE bill_line (
    practice_id TEXT NOT NULL,
    bill_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    account_number TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    memo TEXT,
    PRIMARY KEY (practice_id, bill_id, line_number),
    FOREIGN KEY (practice_id, bill_id) REFERENCES bill (practice_id, id)
);
