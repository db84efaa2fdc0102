-- Third-party invoices (issue 7; SQLite): bills of the practice to an employer, a school, an
-- attorney or another practice, with their own terms. Kept in step with the other backend's
-- 0031_invoices.sql by the schema test.
--
-- The journal is the truth about money: every invoice, payment, late charge and reversal below
-- posts its entry on AR - Other (1120) in the same transaction as its row, and the rows keep the
-- entry's id. The rows carry what the entries cannot: the party, the lines as printed, the
-- invoice number, the due date and which late charge belongs to which invoice.

-- A bill-to account. payment_terms is domain::ledger::terms::PaymentTerms as text ('net_30' by
-- default). The late-charge policy is domain::ledger::aging::LateChargePolicy's four numbers; all
-- zero (rate and fee) means none.
CREATE TABLE third_party (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('employer', 'school', 'attorney', 'practice', 'other')),
    contact TEXT,
    address TEXT,
    email TEXT,
    payment_terms TEXT NOT NULL,
    late_rate_basis_points BIGINT NOT NULL CHECK (late_rate_basis_points >= 0),
    late_flat_fee_cents BIGINT NOT NULL CHECK (late_flat_fee_cents >= 0),
    late_grace_days BIGINT NOT NULL CHECK (late_grace_days >= 0),
    late_minimum_cents BIGINT NOT NULL CHECK (late_minimum_cents >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX third_party_by_name ON third_party (practice_id, name);

-- An invoice. invoice_number comes from the practice's 'invoice' counter (shown INV-000123) and
-- is unique per practice. due_date follows from the party's terms at the invoice date (the terms
-- are copied, so a later change of terms leaves issued invoices alone). status: open,
-- partially_paid, paid (kept by the payment that changes it) or void (the entry reversed, dated
-- void_date; refused once a payment was applied).
CREATE TABLE invoice (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    third_party_id TEXT NOT NULL,
    invoice_number BIGINT NOT NULL,
    invoice_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    payment_terms TEXT NOT NULL,
    memo TEXT,
    total_cents BIGINT NOT NULL CHECK (total_cents > 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'partially_paid', 'paid', 'void')),
    journal_entry_id TEXT NOT NULL,
    void_date TEXT,
    void_reason TEXT,
    void_entry_id TEXT,
    voided_by TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT invoice_number_unique UNIQUE (practice_id, invoice_number),
    FOREIGN KEY (practice_id, third_party_id) REFERENCES third_party (practice_id, id),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX invoice_by_party ON invoice (practice_id, third_party_id, invoice_date);
CREATE INDEX invoice_by_status ON invoice (practice_id, status, due_date);

-- An invoice's lines as printed: free text, an optional date of service, an amount.
CREATE TABLE invoice_line (
    practice_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    description TEXT NOT NULL,
    service_date TEXT,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (practice_id, invoice_id, line_number),
    FOREIGN KEY (practice_id, invoice_id) REFERENCES invoice (practice_id, id)
);

-- A payment received on an invoice (check, ACH or card with its reference; never card data),
-- with its receipt number from the 'invoice_receipt' counter. Never more than the balance.
CREATE TABLE invoice_payment (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    receipt_number BIGINT NOT NULL,
    payment_date TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('check', 'ach', 'card')),
    reference TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    journal_entry_id TEXT NOT NULL,
    received_by TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, invoice_id) REFERENCES invoice (practice_id, id),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX invoice_payment_by_invoice ON invoice_payment (practice_id, invoice_id);

-- A late charge on an overdue invoice under its party's policy: at most one per invoice and day
-- (the unique key), and the job charges at most once in 30 days. A biller's reversal posts the
-- reversal entry and fills the reversal columns; the row stays, so the 30 days still count.
CREATE TABLE invoice_late_charge (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    charge_date TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    past_due_cents BIGINT NOT NULL,
    days_past_due BIGINT NOT NULL,
    journal_entry_id TEXT NOT NULL,
    reversal_date TEXT,
    reversal_reason TEXT,
    reversal_entry_id TEXT,
    reversed_by TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT invoice_late_charge_once_a_day UNIQUE (practice_id, invoice_id, charge_date),
    FOREIGN KEY (practice_id, invoice_id) REFERENCES invoice (practice_id, id),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
