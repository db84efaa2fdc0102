-- Claim status inquiries (issue 6: "ask the payer", 276 out, 277 back; SQLite). Kept in step with
-- the other backend's 0022_claim_status.sql by the schema test.

-- A 276 file as written: one per payer asked, kept whole (like claim_batch) so it can be
-- downloaded again. request_number comes from the counter 'claim_status_request'; ISA13 and
-- GS06 from the counters 'x12_interchange' and 'x12_group' the 837P files use, so no two files
-- of the practice share an interchange number.
CREATE TABLE claim_status_request (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    request_number BIGINT NOT NULL,
    payer_id TEXT NOT NULL,
    interchange_control_number BIGINT NOT NULL,
    group_control_number BIGINT NOT NULL,
    usage TEXT NOT NULL CHECK (usage IN ('test', 'production')),
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    claim_count BIGINT NOT NULL CHECK (claim_count > 0),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT claim_status_request_number_unique UNIQUE (practice_id, request_number),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id)
);

-- A claim asked about in a request, with the trace number its TRN carried (the key a 277
-- answer is matched by: unique per practice, so an answer names one claim).
CREATE TABLE claim_status_inquiry (
    practice_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    PRIMARY KEY (practice_id, request_id, claim_id),
    CONSTRAINT claim_status_trace_unique UNIQUE (practice_id, trace_number),
    FOREIGN KEY (practice_id, request_id) REFERENCES claim_status_request (practice_id, id),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id)
);
CREATE INDEX claim_status_inquiry_by_claim ON claim_status_inquiry (practice_id, claim_id);

-- A 277 file imported, kept whole with what matched.
CREATE TABLE claim_status_response (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    claims_matched BIGINT NOT NULL,
    claims_unmatched BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);

-- What the payer said about a claim, one row per status (STC composite), numbered per claim:
-- the claim page's "Payer says" history. words is the status in plain words as read at import.
-- Amounts are the payer's (STC04 charge, STC05 paid), for display: the 835 posts money.
CREATE TABLE claim_status_answer (
    practice_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    response_id TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    status_date TEXT,
    category TEXT NOT NULL,
    status_code TEXT NOT NULL,
    entity TEXT,
    words TEXT NOT NULL,
    charge_cents BIGINT,
    paid_cents BIGINT,
    payer_claim_control_number TEXT,
    adjudication_date TEXT,
    check_number TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, claim_id, seq),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id),
    FOREIGN KEY (practice_id, response_id) REFERENCES claim_status_response (practice_id, id)
);
