-- The front desk's side of scheduling (PostgreSQL): recurring series, the link between a rescheduled
-- appointment and the one that replaced it, and the payments taken at the desk (co-pays at
-- check-in). Kept in step with ../sqlite/0004_front_desk.sql by the schema test.

-- A recurring series ("every 2 weeks, 6 times"): the rule as booked, so the series can be shown
-- and its remaining appointments found. Its appointments carry series_id.
CREATE TABLE appointment_series (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    appointment_type_id TEXT NOT NULL,
    every_n_weeks BIGINT NOT NULL CHECK (every_n_weeks BETWEEN 1 AND 52),
    occurrences BIGINT,
    until_date TEXT,
    first_start TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);

ALTER TABLE appointment ADD COLUMN series_id TEXT;
-- The appointment this one replaced (rescheduled_to points the other way).
ALTER TABLE appointment ADD COLUMN rescheduled_from TEXT;
CREATE INDEX appointment_by_series ON appointment (practice_id, series_id);

-- Money a patient handed over at the desk: a co-pay at check-in, a payment on a balance. The
-- amount is integer cents. receipt_number counts 1, 2, 3... per practice (counter 'receipt') and
-- is printed on the receipt. The ledger entry (debit cash/undeposited funds, credit patient
-- receivables) is posted by the bookkeeping module when it exists; ledger_entry_id stays NULL
-- until then. A payment taken by mistake is voided (voided_at/by/reason), never deleted.
CREATE TABLE patient_payment (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    appointment_id TEXT,
    purpose TEXT NOT NULL CHECK (purpose IN ('copay', 'balance', 'prepayment')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    method TEXT NOT NULL CHECK (method IN ('cash', 'check', 'card', 'other')),
    reference TEXT,
    receipt_number BIGINT NOT NULL,
    received_at TEXT NOT NULL,
    received_by TEXT NOT NULL,
    ledger_entry_id TEXT,
    voided_at TEXT,
    voided_by TEXT,
    void_reason TEXT,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT patient_payment_receipt_unique UNIQUE (practice_id, receipt_number),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);
CREATE INDEX patient_payment_by_patient ON patient_payment (practice_id, patient_id, received_at);
CREATE INDEX patient_payment_by_appointment ON patient_payment (practice_id, appointment_id);
CREATE INDEX patient_payment_by_day ON patient_payment (practice_id, received_at);
