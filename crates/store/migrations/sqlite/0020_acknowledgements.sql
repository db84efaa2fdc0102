-- Acknowledgements (issue 6; SQLite): the 999 and 277CA files a clearinghouse or payer sends back about
-- the claims we sent, and what each said. Kept in step with the other backend's
-- 0020_acknowledgements.sql by the schema test.

-- One imported file, kept whole (a few kilobytes), keyed by its SHA-256 so the same file imported
-- twice is recognised and changes nothing the second time. kind: '999' or '277ca'. The counts are
-- the import's result as first answered (claims matched, accepted, rejected; items unmatched).
CREATE TABLE acknowledgement_file (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('999', '277ca')),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    matched_count BIGINT NOT NULL,
    accepted_count BIGINT NOT NULL,
    rejected_count BIGINT NOT NULL,
    unmatched_count BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT acknowledgement_file_unique UNIQUE (practice_id, sha256)
);
CREATE INDEX acknowledgement_file_by_time ON acknowledgement_file (practice_id, imported_at);

-- What a file said, item by item: a 999 set about one of our batches (batch_id), a 277CA claim
-- (claim_id), or an item that matched nothing we sent (both NULL: reported, never guessed).
-- outcome: accepted, rejected, pending (the claim waits for the next answer), unmatched, or
-- ignored (the claim had moved on and was left as it is). reference: what the file named (the
-- group and set control numbers, or the patient control number); codes: the codes as sent
-- (`A7:562:85`, `IK5 R 5`); reasons: the same in plain words, one a line.
CREATE TABLE acknowledgement_item (
    practice_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    batch_id TEXT,
    claim_id TEXT,
    reference TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'pending', 'unmatched', 'ignored')),
    codes TEXT NOT NULL,
    reasons TEXT NOT NULL,
    payer_claim_control_number TEXT,
    PRIMARY KEY (practice_id, file_id, position),
    FOREIGN KEY (practice_id, file_id) REFERENCES acknowledgement_file (practice_id, id)
);
-- A claim's acknowledgements (its page shows why it was rejected) and a batch's.
CREATE INDEX acknowledgement_item_by_claim ON acknowledgement_item (practice_id, claim_id);
CREATE INDEX acknowledgement_item_by_batch ON acknowledgement_item (practice_id, batch_id);
-- Finding a claim by its patient control number (CLM01 = MO + claim_number) is the claim_number_unique key.
