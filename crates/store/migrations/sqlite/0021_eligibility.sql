-- Eligibility (issue 6; SQLite): 270 requests written to ask payers whether a patient's coverage is
-- active and what the visit will cost them, and the 271 answers read back into each coverage's
-- history. Kept in step with the other backend's 0021_eligibility.sql by the schema test.

-- One 270 file, kept whole (a few kilobytes per hundred patients) so it can be downloaded again.
-- kind: 'patient' (one patient's coverages) or 'schedule' (every booked patient of service_date).
-- ISA13/GS06 come from the counters x12_interchange and x12_group that claim batches use too, so
-- an interchange number is never repeated by this sender whatever the file.
CREATE TABLE eligibility_request (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    request_number BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('patient', 'schedule')),
    service_date TEXT NOT NULL,
    interchange_control_number BIGINT NOT NULL,
    group_control_number BIGINT NOT NULL,
    usage TEXT NOT NULL CHECK (usage IN ('test', 'production')),
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    inquiry_count BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT eligibility_request_interchange_unique UNIQUE (practice_id, interchange_control_number)
);
CREATE INDEX eligibility_request_by_time ON eligibility_request (practice_id, created_at);

-- Each person asked about: the TRN02 trace number (from the counter eligibility_trace, unique per
-- practice) is how a 271 answer finds its way back to the patient and the coverage.
CREATE TABLE eligibility_inquiry (
    practice_id TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    request_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    coverage_id TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, trace_number),
    FOREIGN KEY (practice_id, request_id) REFERENCES eligibility_request (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, coverage_id) REFERENCES coverage (practice_id, id)
);
CREATE INDEX eligibility_inquiry_by_request ON eligibility_inquiry (practice_id, request_id);

-- One imported 271 file, kept whole, keyed by its SHA-256 so the same file imported twice adds
-- nothing the second time. The counts are the import's result as first answered.
CREATE TABLE eligibility_response_file (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    matched_count BIGINT NOT NULL,
    unmatched_count BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT eligibility_response_file_unique UNIQUE (practice_id, sha256)
);
CREATE INDEX eligibility_response_file_by_time ON eligibility_response_file (practice_id, imported_at);

-- What the payer said about one coverage, one row per answer (history kept; the latest by
-- checked_at is what check-in shows). status: active, inactive, or unknown (the payer could not
-- answer: rejection holds its AAA reasons in words). Amounts in cents and the co-insurance in
-- basis points (2000 = 20%), NULL when the payer did not say. messages: the MSG lines, one a line.
CREATE TABLE eligibility_result (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    response_file_id TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    coverage_id TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'unknown')),
    plan_name TEXT,
    copay_cents BIGINT CHECK (copay_cents >= 0),
    deductible_remaining_cents BIGINT CHECK (deductible_remaining_cents >= 0),
    coinsurance_basis_points BIGINT CHECK (coinsurance_basis_points BETWEEN 0 AND 10000),
    messages TEXT NOT NULL,
    rejection TEXT,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, response_file_id) REFERENCES eligibility_response_file (practice_id, id),
    FOREIGN KEY (practice_id, trace_number) REFERENCES eligibility_inquiry (practice_id, trace_number),
    FOREIGN KEY (practice_id, coverage_id) REFERENCES coverage (practice_id, id)
);
CREATE INDEX eligibility_result_by_coverage ON eligibility_result (practice_id, coverage_id, checked_at);
