-- Code sets, payers' claim details and fee schedules (issue 6, first part; PostgreSQL). Kept in step with the
-- other backend's 0016_code_sets.sql by the schema test.

-- ICD-10-CM diagnoses: reference data shared by every practice of the database (public domain,
-- CDC/NCHS), loaded from data/icd10cm/ by `ensure_icd10cm_loaded` on first use. A later release
-- loads as another version beside this one: the key includes effective_from, so a code that
-- changed meaning keeps its old row for claims of earlier dates of service. code is dotted
-- (J02.0); claims drop the dot. billable is 1 for a leaf code that may go on a claim, 0 for a
-- category or subcategory header. search_text is the description lowercased with accents folded,
-- the text word searches scan (one expression for both databases, no per-row lower()).
-- code is COLLATE "C" (as in 0002): code prefix searches are byte-order range scans of the key.
CREATE TABLE diagnosis_code (
    code_set TEXT NOT NULL,
    version TEXT NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    billable BIGINT NOT NULL CHECK (billable IN (0, 1)),
    description TEXT NOT NULL,
    search_text TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    PRIMARY KEY (code_set, code, effective_from)
);
CREATE INDEX diagnosis_code_by_version ON diagnosis_code (code_set, version);

-- A version of a code set that loaded completely (the load's last write, in its transaction): the
-- check "is ICD-10-CM 2026 loaded?" reads one row, and a load interrupted half-way leaves none.
CREATE TABLE code_set_version (
    code_set TEXT NOT NULL,
    version TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    row_count BIGINT NOT NULL,
    billable_count BIGINT NOT NULL,
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (code_set, version)
);

-- CPT (AMA, licensed) and HCPCS Level II (CMS) procedure codes, per practice: each practice imports
-- its own licensed file, and demo practices get a small set with medoffice's own short labels
-- (source 'demo'). effective_from '0001-01-01' means "valid for any date" (an import without a
-- start date); a re-import updates the description of the code's row in place.
CREATE TABLE procedure_code (
    practice_id TEXT NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    effective_from TEXT NOT NULL,
    code_set TEXT NOT NULL CHECK (code_set IN ('cpt', 'hcpcs')),
    short_description TEXT NOT NULL,
    search_text TEXT NOT NULL,
    effective_to TEXT,
    source TEXT NOT NULL CHECK (source IN ('import', 'demo')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, code, effective_from)
);

-- What a claim needs of a payer besides its name and electronic id (payer_code, from 0001):
-- whether it takes electronic claims (else the CMS-1500 goes to the paper address: address_line1,
-- address_line2, city, state, postal_code), its timely-filing limit in days (NULL: not known, not
-- checked), and whether it is still offered (inactive payers stay on the coverages that name them).
-- claim_filing_indicator (0001) is SBR09, domain::coding::ClaimFilingIndicator.
ALTER TABLE payer ADD COLUMN address_line2 TEXT;
ALTER TABLE payer ADD COLUMN accepts_electronic_claims BIGINT NOT NULL DEFAULT 1 CHECK (accepts_electronic_claims IN (0, 1));
ALTER TABLE payer ADD COLUMN timely_filing_days BIGINT CHECK (timely_filing_days IS NULL OR timely_filing_days > 0);
ALTER TABLE payer ADD COLUMN active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE payer ADD COLUMN updated_at TEXT;

-- The practice's standard fee (what it charges every payer) per procedure code, and per code with
-- one modifier where the fee differs (modifier '' is "no modifier", so the key has no NULL).
CREATE TABLE standard_fee (
    practice_id TEXT NOT NULL,
    code TEXT NOT NULL,
    modifier TEXT NOT NULL,
    charge_cents BIGINT NOT NULL CHECK (charge_cents >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, code, modifier)
);

-- What a payer is expected to allow for a code (its contracted rate), the same key plus the payer.
-- Posting a remittance compares the paid amount with it; the charge stays the standard fee.
CREATE TABLE payer_allowed_fee (
    practice_id TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    code TEXT NOT NULL,
    modifier TEXT NOT NULL,
    allowed_cents BIGINT NOT NULL CHECK (allowed_cents >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, payer_id, code, modifier),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id)
);
