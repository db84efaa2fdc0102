-- Encounters, charges and electronic claims (issue 6, second part; PostgreSQL). Kept in step with the other
-- backend's 0017_encounters_claims.sql by the schema test.

-- What a claim needs of the practice as billing provider (loop 2010AA) and submitter (1000A):
-- the group NPI (NULL: each encounter's billing provider bills in their own name), the tax id
-- (REF*EI, nine digits), the taxonomy (PRV*BI), the nine-digit ZIP the guide requires of a
-- billing address, the submitter id the clearinghouse assigned, and whether files are sent as
-- test (ISA15 T, the default until the clearinghouse has certified the practice) or production.
ALTER TABLE practice ADD COLUMN billing_npi TEXT;
ALTER TABLE practice ADD COLUMN tax_id TEXT;
ALTER TABLE practice ADD COLUMN taxonomy_code TEXT;
ALTER TABLE practice ADD COLUMN billing_postal_code TEXT;
ALTER TABLE practice ADD COLUMN submitter_id TEXT;
ALTER TABLE practice ADD COLUMN claims_usage TEXT NOT NULL DEFAULT 'test' CHECK (claims_usage IN ('test', 'production'));
-- The rendering provider's taxonomy (PRV*PE), optional on a claim.
ALTER TABLE provider ADD COLUMN taxonomy_code TEXT;

-- A visit as coded: who saw the patient, where, when, and (through its diagnoses and lines) what
-- was done and why. status 'open' while it is being coded, 'posted' once its charges are in the
-- ledger (then it no longer changes: a correction is a replacement claim). coverage_id is the
-- primary coverage the claim went to (NULL: self-pay).
CREATE TABLE encounter (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    appointment_id TEXT,
    rendering_provider_id TEXT NOT NULL,
    billing_provider_id TEXT NOT NULL,
    place_of_service TEXT NOT NULL,
    service_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'posted')),
    coverage_id TEXT,
    journal_entry_id TEXT,
    claim_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    posted_at TEXT,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, rendering_provider_id) REFERENCES provider (practice_id, id),
    FOREIGN KEY (practice_id, billing_provider_id) REFERENCES provider (practice_id, id)
);
CREATE INDEX encounter_by_patient ON encounter (practice_id, patient_id, service_date);
-- One encounter per appointment.
CREATE UNIQUE INDEX encounter_appointment_unique ON encounter (practice_id, appointment_id);

-- The encounter's diagnoses in claim order (position 1 is the principal, HI01), at most 12.
CREATE TABLE encounter_diagnosis (
    practice_id TEXT NOT NULL,
    encounter_id TEXT NOT NULL,
    position BIGINT NOT NULL CHECK (position BETWEEN 1 AND 12),
    code TEXT NOT NULL,
    PRIMARY KEY (practice_id, encounter_id, position),
    FOREIGN KEY (practice_id, encounter_id) REFERENCES encounter (practice_id, id)
);
-- A patient's recent diagnoses, offered first on the superbill.
CREATE INDEX encounter_diagnosis_by_code ON encounter_diagnosis (practice_id, code);

-- The service lines. modifiers: up to four two-character codes joined by ','; pointers: 1 to 4
-- positions of encounter_diagnosis joined by ',' (the claim's SV107).
CREATE TABLE encounter_line (
    practice_id TEXT NOT NULL,
    encounter_id TEXT NOT NULL,
    line_number BIGINT NOT NULL CHECK (line_number BETWEEN 1 AND 50),
    procedure_code TEXT NOT NULL,
    modifiers TEXT NOT NULL,
    units BIGINT NOT NULL CHECK (units BETWEEN 1 AND 999),
    charge_cents BIGINT NOT NULL CHECK (charge_cents >= 0),
    pointers TEXT NOT NULL,
    service_date TEXT NOT NULL,
    PRIMARY KEY (practice_id, encounter_id, line_number),
    FOREIGN KEY (practice_id, encounter_id) REFERENCES encounter (practice_id, id)
);

-- A claim to a payer for one encounter. claim_number comes from the 'claim' counter and is the
-- patient control number (CLM01) the payer sends back on 277CA and 835. frequency_code 1
-- original, 7 replacement, 8 void (the last two with the payer's claim control number, REF*F8).
-- version guards status changes against a concurrent change (compare and set).
CREATE TABLE claim (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    claim_number BIGINT NOT NULL,
    encounter_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    coverage_id TEXT NOT NULL,
    rendering_provider_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'ready', 'sent', 'accepted', 'rejected', 'paid', 'partially_paid', 'denied', 'appealed', 'closed')),
    frequency_code TEXT NOT NULL CHECK (frequency_code IN ('1', '7', '8')),
    payer_claim_control_number TEXT,
    total_charge_cents BIGINT NOT NULL CHECK (total_charge_cents >= 0),
    service_date TEXT NOT NULL,
    batch_id TEXT,
    scrubbed_at TEXT,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT claim_number_unique UNIQUE (practice_id, claim_number),
    FOREIGN KEY (practice_id, encounter_id) REFERENCES encounter (practice_id, id),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id)
);
-- The worklists: a status, then payer or provider, oldest first.
CREATE INDEX claim_by_status ON claim (practice_id, status, service_date);

-- Every status change of a claim, numbered per claim (the history shown on the claim; the audit
-- trail holds the same change with who and from where).
CREATE TABLE claim_status_event (
    practice_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (practice_id, claim_id, seq),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id)
);

-- What the scrubber found on a claim at its last run, in plain words (replaced at each run).
CREATE TABLE claim_problem (
    practice_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    rule TEXT NOT NULL,
    field TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (practice_id, claim_id, position),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id)
);

-- An 837P file as written: one per receiver and export, kept whole (a few hundred kilobytes at
-- most) so it can be downloaded again and compared with the clearinghouse's acknowledgements.
-- The control numbers come from the counters 'x12_interchange' and 'x12_group'.
CREATE TABLE claim_batch (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    batch_number BIGINT NOT NULL,
    payer_id TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    interchange_control_number BIGINT NOT NULL,
    group_control_number BIGINT NOT NULL,
    usage TEXT NOT NULL CHECK (usage IN ('test', 'production')),
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    claim_count BIGINT NOT NULL,
    total_charge_cents BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT claim_batch_interchange_unique UNIQUE (practice_id, interchange_control_number)
);
