-- Patient statements and late charges (issue 7; PostgreSQL). Kept in step with the other backend's
-- 0032_statements.sql by the schema test.
--
-- The journal is the truth about money: a statement stores what it printed (it is a document
-- sent to a person, so it must be shown again exactly as sent), and a late charge posts its
-- entry (Dr AR - Patients 1110 with the patient / Cr Finance charge income 4200) in the same
-- transaction as its row. Amounts pending with insurance (1100) are never due on a statement
-- and never charged.

-- The practice's statement terms (one row; absent means the defaults: monthly on the 1st, Net 30,
-- a $5.00 minimum, no late charges). cycle: 'monthly' (one run on cycle_day for everyone) or
-- 'letter_groups' (four runs a month by family name: A-F the 1st week, G-L the 2nd, M-R the 3rd,
-- S-Z the 4th). The late-charge policy is domain::ledger::aging::LateChargePolicy's four numbers.
CREATE TABLE statement_settings (
    practice_id TEXT NOT NULL,
    cycle TEXT NOT NULL CHECK (cycle IN ('monthly', 'letter_groups')),
    cycle_day BIGINT NOT NULL CHECK (cycle_day BETWEEN 1 AND 28),
    net_days BIGINT NOT NULL CHECK (net_days BETWEEN 0 AND 120),
    minimum_balance_cents BIGINT NOT NULL CHECK (minimum_balance_cents >= 0),
    message TEXT,
    late_rate_basis_points BIGINT NOT NULL CHECK (late_rate_basis_points >= 0),
    late_flat_fee_cents BIGINT NOT NULL CHECK (late_flat_fee_cents >= 0),
    late_grace_days BIGINT NOT NULL CHECK (late_grace_days >= 0),
    late_minimum_cents BIGINT NOT NULL CHECK (late_minimum_cents >= 0),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id)
);

-- A patient account's statement preferences (absent: statements by mail). hold = 1 is the
-- "don't send statements" flag (BIGINT 0/1, as both backends read it the same way). delivery
-- 'email' is accepted only while the patient has an e-mail address on file.
CREATE TABLE statement_preference (
    practice_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    hold BIGINT NOT NULL CHECK (hold IN (0, 1)),
    delivery TEXT NOT NULL CHECK (delivery IN ('mail', 'email')),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, patient_id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);

-- One statement run: a date and a family-name group ('' for everyone). Running the same date
-- and group again adds only the statements still missing (the unique key).
CREATE TABLE statement_run (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    run_date TEXT NOT NULL,
    cycle_group TEXT NOT NULL,
    run_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT statement_run_once UNIQUE (practice_id, run_date, cycle_group)
);

-- A statement as sent. statement_number from the practice's 'statement' counter. The money
-- columns tie: previous_balance + charges - payments - adjustments = balance_due (the patient's
-- 1110 balance on statement_date); aging_* are domain::ledger::aging::Bucket's columns and
-- credit_cents the unapplied credit. delivery is how it went: 'mail' (in the run's printed
-- batch) or 'email' (accepted by the mail server); email_error says why an e-mail that was
-- wanted went by mail instead. One statement per patient and date (the idempotency key).
CREATE TABLE statement (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    statement_number BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    statement_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    previous_statement_id TEXT,
    previous_balance_cents BIGINT NOT NULL,
    charges_cents BIGINT NOT NULL,
    payments_cents BIGINT NOT NULL,
    adjustments_cents BIGINT NOT NULL,
    balance_due_cents BIGINT NOT NULL,
    insurance_pending_cents BIGINT NOT NULL,
    aging_current_cents BIGINT NOT NULL,
    aging_31_60_cents BIGINT NOT NULL,
    aging_61_90_cents BIGINT NOT NULL,
    aging_91_120_cents BIGINT NOT NULL,
    aging_over_120_cents BIGINT NOT NULL,
    credit_cents BIGINT NOT NULL,
    late_charge_policy TEXT NOT NULL,
    message TEXT,
    recipient_name TEXT NOT NULL,
    recipient_address TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('mail', 'email')),
    email_address TEXT,
    email_error TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT statement_number_unique UNIQUE (practice_id, statement_number),
    CONSTRAINT statement_once_a_day UNIQUE (practice_id, patient_id, statement_date),
    FOREIGN KEY (practice_id, run_id) REFERENCES statement_run (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);
CREATE INDEX statement_by_patient ON statement (practice_id, patient_id, statement_date);
CREATE INDEX statement_by_run ON statement (practice_id, run_id);

-- A statement's account lines as printed: the patient's AR - Patients lines not on an earlier
-- statement, each with its journal entry (so every entry is stated once, even one dated on the
-- day of a statement but posted after it). kind: 'charge', 'payment' or 'adjustment';
-- amount_cents signed as the balance moves (a payment is negative).
CREATE TABLE statement_line (
    practice_id TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    line_number BIGINT NOT NULL,
    entry_id TEXT NOT NULL,
    entry_date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'adjustment')),
    description TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (practice_id, statement_id, line_number),
    FOREIGN KEY (practice_id, statement_id) REFERENCES statement (practice_id, id)
);
CREATE INDEX statement_line_by_entry ON statement_line (practice_id, entry_id);

-- A late charge on a statement's past-due balance: at most one per statement (the unique key,
-- and the entry's idempotency key `patient_late_charge:<statement>`). A biller's reversal posts
-- the reversal entry and fills the reversal columns; the row stays, so the statement is never
-- charged again.
CREATE TABLE patient_late_charge (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    statement_id TEXT NOT NULL,
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
    CONSTRAINT patient_late_charge_once UNIQUE (practice_id, statement_id),
    FOREIGN KEY (practice_id, statement_id) REFERENCES statement (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX patient_late_charge_by_patient ON patient_late_charge (practice_id, patient_id, charge_date);
