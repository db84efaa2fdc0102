-- Remittances, part two (issue 7; PostgreSQL): several payments per file, paper EOBs,
-- reversals, provider-level adjustments, adjustment and remark detail, underpayments. Kept in step
-- with the other backend's 0028_remittance_detail.sql by the schema test.

-- source: '835' for a file imported, 'paper' for a paper EOB keyed by hand (the same posting).
-- provider_adjustment_cents: the PLB amounts posted (positive took money from the payment).
ALTER TABLE remittance ADD COLUMN source TEXT NOT NULL DEFAULT '835' CHECK (source IN ('835', 'paper'));
ALTER TABLE remittance ADD COLUMN provider_adjustment_cents BIGINT NOT NULL DEFAULT 0;

-- remittance_claim gains: the payer's claim control number (CLP07, how a later reversal finds the
-- posting), the claim-level remark codes (MOA/MIA, space-separated), the links between a posting
-- and its reversal, and the outcome 'reversed' (a CLP02 22 that took an earlier posting back).
ALTER TABLE remittance_claim ADD COLUMN payer_claim_control_number TEXT;
ALTER TABLE remittance_claim ADD COLUMN remarks TEXT NOT NULL DEFAULT '';
ALTER TABLE remittance_claim ADD COLUMN reversed_by_remittance_id TEXT;
ALTER TABLE remittance_claim ADD COLUMN reverses_remittance_id TEXT;
ALTER TABLE remittance_claim DROP CONSTRAINT remittance_claim_outcome_check;
ALTER TABLE remittance_claim ADD CONSTRAINT remittance_claim_outcome_check
    CHECK (outcome IN ('paid', 'partially_paid', 'denied', 'unmatched', 'reversed'));
CREATE INDEX remittance_claim_by_control ON remittance_claim (practice_id, payer_claim_control_number);

-- The CAS of each claim (line_position 0) and of each of its service lines (1, 2...), in file order.
CREATE TABLE remittance_adjustment (
    practice_id TEXT NOT NULL,
    remittance_id TEXT NOT NULL,
    claim_position BIGINT NOT NULL,
    line_position BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    group_code TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (practice_id, remittance_id, claim_position, line_position, seq)
);

-- Each service line (SVC) of a claim posted: what the payer allowed (AMT*B6, else paid plus the
-- patient's share) against what the payer's fee schedule says it should (payer_allowed_fee);
-- short_cents > 0 flags an underpayment.
CREATE TABLE remittance_line (
    practice_id TEXT NOT NULL,
    remittance_id TEXT NOT NULL,
    claim_position BIGINT NOT NULL,
    line_position BIGINT NOT NULL,
    claim_id TEXT,
    procedure_code TEXT NOT NULL,
    modifiers TEXT NOT NULL,
    service_date TEXT,
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    allowed_cents BIGINT NOT NULL,
    expected_cents BIGINT,
    short_cents BIGINT NOT NULL,
    remarks TEXT NOT NULL,
    PRIMARY KEY (practice_id, remittance_id, claim_position, line_position)
);
CREATE INDEX remittance_line_short ON remittance_line (practice_id, short_cents);

-- Provider-level adjustments (PLB): posted to the account named, or unmatched (nothing posted for
-- it; the file then still has to balance). claim_id when the reference is one of our claims.
CREATE TABLE remittance_provider_adjustment (
    practice_id TEXT NOT NULL,
    remittance_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    provider_id TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reference TEXT,
    amount_cents BIGINT NOT NULL,
    claim_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('posted', 'unmatched')),
    account TEXT,
    note TEXT NOT NULL,
    PRIMARY KEY (practice_id, remittance_id, position)
);
