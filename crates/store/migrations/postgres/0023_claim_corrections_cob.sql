-- Corrected and secondary claims (issue 6, resubmission and COB; PostgreSQL). Kept in step with the
-- other backend's 0023_claim_corrections_cob.sql by the schema test.

-- The links between claims of one encounter. A replacement (frequency 7) or a void (8) is a new
-- claim row naming the claim it corrects (corrects_claim_id), so the original keeps its own
-- history and the payer's answers to it; the original is closed when its correction is sent.
-- A secondary claim names the primary claim (primary_claim_id) and the primary's adjudication
-- its 2320/2430 loops were written from (primary_adjudication_id).
ALTER TABLE claim ADD COLUMN corrects_claim_id TEXT;
ALTER TABLE claim ADD COLUMN primary_claim_id TEXT;
ALTER TABLE claim ADD COLUMN primary_adjudication_id TEXT;
CREATE INDEX claim_by_corrected ON claim (practice_id, corrects_claim_id);
CREATE INDEX claim_by_primary ON claim (practice_id, primary_claim_id);

-- What a payer decided on a claim: entered by hand from a paper EOB, or (issue 7) posted from an
-- 835, which writes the same rows through the same function (source 'remittance' with its
-- remittance_id). Never updated: a later decision (a reversal, an appeal's outcome) is a new row;
-- the latest by created_at is the payer's current word.
CREATE TABLE claim_adjudication (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'remittance')),
    remittance_id TEXT,
    adjudicated_on TEXT NOT NULL,
    paid_cents BIGINT NOT NULL CHECK (paid_cents >= 0),
    payer_claim_control_number TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id)
);
CREATE INDEX claim_adjudication_by_claim ON claim_adjudication (practice_id, claim_id, created_at);

-- The payer's decision on each service line (line_number of encounter_line): charge as billed,
-- paid amount and units (SVD02, SVD05).
CREATE TABLE claim_adjudication_line (
    practice_id TEXT NOT NULL,
    adjudication_id TEXT NOT NULL,
    line_number BIGINT NOT NULL CHECK (line_number BETWEEN 1 AND 50),
    procedure_code TEXT NOT NULL,
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL CHECK (paid_cents >= 0),
    paid_units BIGINT NOT NULL CHECK (paid_units >= 0),
    PRIMARY KEY (practice_id, adjudication_id, line_number),
    FOREIGN KEY (practice_id, adjudication_id) REFERENCES claim_adjudication (practice_id, id)
);

-- The adjustments (CAS) of an adjudication: line_number 0 for the claim's own, else the line's.
-- group_code CO contractual, PR patient responsibility, OA other, PI payer initiated, CR
-- correction (the 835's); reason_code a CARC; a positive amount reduces the payment.
CREATE TABLE claim_adjustment (
    practice_id TEXT NOT NULL,
    adjudication_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    line_number BIGINT NOT NULL CHECK (line_number BETWEEN 0 AND 50),
    group_code TEXT NOT NULL CHECK (group_code IN ('CO', 'PR', 'OA', 'PI', 'CR')),
    reason_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    quantity TEXT,
    PRIMARY KEY (practice_id, adjudication_id, position),
    FOREIGN KEY (practice_id, adjudication_id) REFERENCES claim_adjudication (practice_id, id)
);
