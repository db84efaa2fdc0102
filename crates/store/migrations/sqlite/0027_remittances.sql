-- Remittances (issue 7; SQLite): the X12 835 payments imported and posted. Kept in step with the
-- other backend's 0027_remittances.sql by the schema test.

-- One 835 transaction set (one payment from one payer), kept whole. payer_identifier is the id
-- the payer gives itself in the file (N1*PR N104 or REF*2U, else TRN03); with the trace number
-- (TRN02, the check or EFT number) it is the key against posting the same payment twice, even
-- when two imports run at once (the second waits on this key, then posts nothing). The totals
-- are what the import posted: paid, adjusted (CO/OA/PI/CR), moved to the patient (PR).
CREATE TABLE remittance (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    payer_identifier TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    payment_date TEXT,
    total_paid_cents BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    claims_matched BIGINT NOT NULL,
    claims_unmatched BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    adjustment_cents BIGINT NOT NULL,
    patient_responsibility_cents BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT remittance_unique UNIQUE (practice_id, payer_identifier, trace_number)
);
CREATE INDEX remittance_by_time ON remittance (practice_id, imported_at);

-- Each claim (CLP) of a remittance and what became of it. outcome: paid, partially_paid,
-- denied (posted), or unmatched (nothing posted: claim_id names our claim when it was found but
-- could not be posted, reason says why in plain words). The amounts are the payer's (CLP04 and
-- the CAS by group); journal_entry_id, adjudication_id and secondary_claim_id what the posting made.
CREATE TABLE remittance_claim (
    practice_id TEXT NOT NULL,
    remittance_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    patient_control_number TEXT NOT NULL,
    claim_id TEXT,
    status_code TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('paid', 'partially_paid', 'denied', 'unmatched')),
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    adjustment_cents BIGINT NOT NULL,
    patient_responsibility_cents BIGINT NOT NULL,
    reason TEXT NOT NULL,
    journal_entry_id TEXT,
    adjudication_id TEXT,
    secondary_claim_id TEXT,
    PRIMARY KEY (practice_id, remittance_id, position)
);
CREATE INDEX remittance_claim_by_claim ON remittance_claim (practice_id, claim_id);
