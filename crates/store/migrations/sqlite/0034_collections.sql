-- Collections and refunds (issue 7; SQLite): the follow-up worklist's notes, dunning letters,
-- payment plans, the collection agency hand-off with its bad-debt write-offs, recoveries, and
-- refunds of credit balances. Balances are never stored: they are the journal's lines on
-- AR - Patients (1110). Every money row names the journal entry posted with it.

-- A follow-up note on a patient's account, with the next action's date; the latest note is the
-- one the worklist shows. Kept, never edited, as the history of the follow-up.
CREATE TABLE collection_note (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    note TEXT NOT NULL,
    next_action_date TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX collection_note_by_patient ON collection_note (practice_id, patient_id, created_at);

-- A past-due letter. A level (1 at 30, 2 at 60, 3 at 90 days past due) is sent to a patient
-- once: the unique key makes a second run (or two runs at once) send nothing new. body is the
-- letter's text as printed; the PDF is rendered from it on demand.
CREATE TABLE dunning_letter (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    level BIGINT NOT NULL CHECK (level IN (1, 2, 3)),
    letter_date TEXT NOT NULL,
    days_past_due BIGINT NOT NULL,
    balance_cents BIGINT NOT NULL,
    body TEXT NOT NULL,
    outgoing_mail_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT dunning_letter_once UNIQUE (practice_id, patient_id, level)
);

-- A payment plan: the total the patient agreed to pay in monthly installments on a day of the
-- month from a start date. The schedule and missed installments are derived from the patient's
-- payments; status is active, completed (the balance was paid) or cancelled (with a reason).
-- One active plan per patient.
CREATE TABLE payment_plan (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    total_cents BIGINT NOT NULL CHECK (total_cents > 0),
    monthly_cents BIGINT NOT NULL CHECK (monthly_cents > 0),
    day_of_month BIGINT NOT NULL CHECK (day_of_month BETWEEN 1 AND 28),
    start_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
    completed_on TEXT,
    cancelled_on TEXT,
    cancel_reason TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE UNIQUE INDEX payment_plan_one_active ON payment_plan (practice_id, patient_id) WHERE status = 'active';

-- A file of accounts handed to a collection agency, kept whole (CSV) to download again.
CREATE TABLE collection_agency_export (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    journal_entry_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);

-- A balance written off to bad debt (Dr 6500 / Cr 1110): handed to the agency (export_id set)
-- or a small balance adjusted with a reason.
CREATE TABLE bad_debt_write_off (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('agency', 'adjustment')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    reason TEXT NOT NULL,
    export_id TEXT,
    journal_entry_id TEXT NOT NULL,
    write_off_date TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX bad_debt_write_off_by_patient ON bad_debt_write_off (practice_id, patient_id);

-- The accounts sent to collections: flagged once per patient (the primary key), so an account is
-- never handed over twice; no more letters go to it.
CREATE TABLE collection_account (
    practice_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    export_id TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    PRIMARY KEY (practice_id, patient_id)
);

-- A payment after a write-off first restores the receivable it pays (Dr 1110 / Cr 6500), up to
-- what was written off and not yet recovered; one row per payment (the primary key).
CREATE TABLE bad_debt_recovery (
    practice_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    journal_entry_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, payment_id)
);
CREATE INDEX bad_debt_recovery_by_patient ON bad_debt_recovery (practice_id, patient_id);

-- A refund of a credit balance (Dr 1110 / Cr 1000): by check, card or ACH with its reference.
CREATE TABLE patient_refund (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    method TEXT NOT NULL CHECK (method IN ('check', 'card', 'ach')),
    reference TEXT NOT NULL,
    refund_date TEXT NOT NULL,
    journal_entry_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX patient_refund_by_patient ON patient_refund (practice_id, patient_id);
