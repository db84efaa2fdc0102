-- Medical files (issue 8; SQLite): documents of every kind with their versions, the retention
-- rule of each category, destruction records and releases of records. A version's bytes are a
-- blob (encrypted at rest in the blob store); a new version never erases an old one.

CREATE TABLE document (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    -- A category key from medoffice_domain::documents (referral, eob, payer_contract, licence, ...).
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The date the document bears (YYYY-MM-DD), the basis of retention for most categories.
    document_date TEXT NOT NULL,
    patient_id TEXT,
    payer_id TEXT,
    vendor_id TEXT,
    claim_id TEXT,
    current_version BIGINT NOT NULL,
    -- Lower-case title, description and the text layer of the current version, for search.
    search_text TEXT NOT NULL,
    -- active or destroyed.
    status TEXT NOT NULL CHECK (status IN ('active', 'destroyed')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX document_by_patient ON document (practice_id, patient_id, document_date);
CREATE INDEX document_by_category ON document (practice_id, category, document_date);

CREATE TABLE document_version (
    practice_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- The blob holding the bytes; NULL once the document was destroyed.
    blob_id TEXT,
    -- The uploaded file's name, shown only, never used as a path.
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    page_count BIGINT NOT NULL,
    -- The text layer of a PDF (empty for images and scans without one).
    text_content TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, document_id, version)
);

-- The retention rule of a category, when the office manager changed the default.
CREATE TABLE retention_rule (
    practice_id TEXT NOT NULL,
    category TEXT NOT NULL,
    -- last_visit, document_date or permanent.
    basis TEXT NOT NULL CHECK (basis IN ('last_visit', 'document_date', 'permanent')),
    years BIGINT NOT NULL,
    -- For patient records: a minor's records are kept until this age plus years_after_majority.
    majority_age BIGINT NOT NULL,
    years_after_majority BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, category)
);

-- What was destroyed, when, by whom and under which rule: kept for ever, bytes gone.
CREATE TABLE document_destruction (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    patient_id TEXT,
    document_date TEXT NOT NULL,
    versions BIGINT NOT NULL,
    -- The content hashes of the destroyed versions, comma-separated.
    sha256s TEXT NOT NULL,
    rule TEXT NOT NULL,
    eligible_on TEXT NOT NULL,
    method TEXT NOT NULL,
    destroyed_by TEXT NOT NULL,
    destroyed_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT document_destruction_once UNIQUE (practice_id, document_id)
);

-- A release of records: the documents sent for a records request, as one PDF with its cover
-- letter; the disclosure of the patient's information recorded.
CREATE TABLE records_release (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    -- The records request in the mail room it fulfilled, when there was one, and the disclosure
    -- written to the patient's accounting of disclosures.
    records_request_id TEXT,
    disclosure_id TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_address TEXT NOT NULL,
    purpose TEXT NOT NULL,
    letter_id TEXT,
    blob_id TEXT NOT NULL,
    page_count BIGINT NOT NULL,
    released_by TEXT NOT NULL,
    released_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX records_release_by_patient ON records_release (practice_id, patient_id, released_at);

CREATE TABLE records_release_document (
    practice_id TEXT NOT NULL,
    release_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, release_id, document_id)
);
