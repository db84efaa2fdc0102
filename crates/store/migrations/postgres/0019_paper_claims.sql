-- Paper claims on the CMS-1500 (02/12) form (issue 6; PostgreSQL). Kept in step with the other
-- backend's 0019_paper_claims.sql by the schema test.

-- How the practice's printer lines up with the pre-printed red form: the data is moved right and
-- down by these many points (1/72 inch; negative moves left or up), at most an inch either way.
-- One row per practice, written the first time someone saves the offsets; no row means 0, 0.
CREATE TABLE claim_form_settings (
    practice_id TEXT NOT NULL,
    offset_right_points BIGINT NOT NULL CHECK (offset_right_points BETWEEN -72 AND 72),
    offset_down_points BIGINT NOT NULL CHECK (offset_down_points BETWEEN -72 AND 72),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id)
);

-- One run of "Print paper claims": the ready claims of payers that take no electronic claims,
-- printed as one PDF and marked sent in the same transaction. The PDF is kept in the blob store
-- (blob_id, its sha256 repeated so a reprint can check the bytes) so the very pages that were
-- mailed can be printed again. print_number comes from the counter 'claim_paper_print'; form is
-- how it was printed: 'plain' paper or the pre-printed 'red' form (with the offsets of the day).
CREATE TABLE claim_paper_print (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    print_number BIGINT NOT NULL,
    form TEXT NOT NULL CHECK (form IN ('plain', 'red')),
    blob_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    claim_count BIGINT NOT NULL CHECK (claim_count > 0),
    sheet_count BIGINT NOT NULL CHECK (sheet_count >= claim_count),
    total_charge_cents BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT claim_paper_print_number_unique UNIQUE (practice_id, print_number),
    FOREIGN KEY (practice_id, blob_id) REFERENCES blob (practice_id, id)
);

-- The claims a print holds, in the order printed. A claim is printed (and sent) once by a run;
-- printing it again is a reprint of the stored file.
CREATE TABLE claim_paper_print_claim (
    practice_id TEXT NOT NULL,
    print_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    claim_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, print_id, position),
    FOREIGN KEY (practice_id, print_id) REFERENCES claim_paper_print (practice_id, id),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id)
);
CREATE INDEX claim_paper_print_by_claim ON claim_paper_print_claim (practice_id, claim_id);
