-- The mail room (PostgreSQL): incoming mail, the checks it brings, returned mail, records requests,
-- the accounting of disclosures and the outgoing mail log. Kept in step with the other backend's
-- 0025_mail_room.sql by the schema test.

-- One piece of incoming mail, logged the day it arrives. kind says what it is (and what follows
-- from it: a check to post, a bill to enter, a bad address, a records request). It may concern a
-- patient, a payer, a vendor or a claim. The scan is a blob (bytes in the blob store, like a bill's
-- attachment): content type recognised from the first bytes, sha256 repeated so a download can
-- check what it reads. It is routed to a user or to a role's pile and is open until someone marks
-- it done. bill_id is filled when a vendor bill from the mail is entered in accounts payable.
CREATE TABLE mail_item (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    received_date TEXT NOT NULL,
    sender TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('patient_payment', 'insurance_check', 'correspondence', 'records_request',
        'returned_mail', 'legal', 'vendor_bill', 'other')),
    summary TEXT,
    patient_id TEXT,
    payer_id TEXT,
    vendor_id TEXT,
    claim_id TEXT,
    routed_to_user_id TEXT,
    routed_to_role TEXT CHECK (routed_to_role IS NULL OR routed_to_role IN ('admin', 'front_desk', 'biller', 'bookkeeper', 'provider')),
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    done_at TEXT,
    done_by TEXT,
    scan_blob_id TEXT,
    scan_sha256 TEXT,
    scan_filename TEXT,
    scan_content_type TEXT CHECK (scan_content_type IS NULL OR scan_content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    scan_size_bytes BIGINT,
    bill_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id),
    FOREIGN KEY (practice_id, vendor_id) REFERENCES vendor (practice_id, id),
    FOREIGN KEY (practice_id, claim_id) REFERENCES claim (practice_id, id),
    FOREIGN KEY (practice_id, scan_blob_id) REFERENCES blob (practice_id, id),
    FOREIGN KEY (practice_id, bill_id) REFERENCES bill (practice_id, id)
);
CREATE INDEX mail_item_by_date ON mail_item (practice_id, received_date, id);
CREATE INDEX mail_item_by_patient ON mail_item (practice_id, patient_id);

-- A check (or money order) that came in the mail: a payment to post. Payment posting arrives with
-- the billing issue; until then the check waits as to_post. posted_ref names what posted it
-- (e.g. 'remittance:<id>' or 'payment:<id>') so the two can be linked later.
CREATE TABLE mail_payment (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    mail_item_id TEXT NOT NULL,
    check_number TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    payer_id TEXT,
    patient_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('to_post', 'posted')),
    posted_ref TEXT,
    posted_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT mail_payment_one_per_item UNIQUE (practice_id, mail_item_id),
    CONSTRAINT mail_payment_from_someone CHECK (payer_id IS NOT NULL OR patient_id IS NOT NULL),
    FOREIGN KEY (practice_id, mail_item_id) REFERENCES mail_item (practice_id, id),
    FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);
CREATE INDEX mail_payment_by_status ON mail_payment (practice_id, status, created_at);

-- A patient's address marked bad by returned mail: the patient is on the list to call until their
-- address is changed (cleared_at). At most one open flag per patient (partial unique index).
CREATE TABLE patient_bad_address (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    mail_item_id TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    cleared_at TEXT,
    cleared_by TEXT,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, mail_item_id) REFERENCES mail_item (practice_id, id)
);
CREATE UNIQUE INDEX patient_bad_address_open ON patient_bad_address (practice_id, patient_id) WHERE cleared_at IS NULL;

-- A request for a patient's records (HIPAA: answer within 30 days, due_date). The authorisation
-- on file is a scan like a mail item's. Fulfilment records when, how and how many pages; the
-- release itself is written to disclosure and the outgoing mail log in the same transaction.
CREATE TABLE records_request (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    requester_name TEXT NOT NULL,
    requester_kind TEXT NOT NULL CHECK (requester_kind IN ('patient', 'provider', 'attorney', 'insurer', 'government', 'other')),
    requested_what TEXT NOT NULL,
    purpose TEXT NOT NULL,
    received_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    mail_item_id TEXT,
    auth_blob_id TEXT,
    auth_sha256 TEXT,
    auth_filename TEXT,
    auth_content_type TEXT CHECK (auth_content_type IS NULL OR auth_content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    auth_size_bytes BIGINT,
    status TEXT NOT NULL CHECK (status IN ('open', 'fulfilled')),
    fulfilled_date TEXT,
    fulfilled_method TEXT CHECK (fulfilled_method IS NULL OR fulfilled_method IN ('usps_first_class', 'usps_certified', 'fax',
        'secure_email', 'pickup')),
    pages BIGINT CHECK (pages IS NULL OR pages > 0),
    fulfilled_by TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, mail_item_id) REFERENCES mail_item (practice_id, id),
    FOREIGN KEY (practice_id, auth_blob_id) REFERENCES blob (practice_id, id)
);
CREATE INDEX records_request_by_due ON records_request (practice_id, status, due_date);

-- The patient's accounting of disclosures (HIPAA 45 CFR 164.528): each release of their records,
-- with date, recipient, what, purpose and who released it. Append-only by use.
CREATE TABLE disclosure (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    disclosed_on TEXT NOT NULL,
    recipient TEXT NOT NULL,
    what TEXT NOT NULL,
    purpose TEXT NOT NULL,
    released_by TEXT NOT NULL,
    records_request_id TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, records_request_id) REFERENCES records_request (practice_id, id)
);
CREATE INDEX disclosure_by_patient ON disclosure (practice_id, patient_id, disclosed_on);

-- What left the office: to whom, how (certified mail needs its tracking number) and what it was
-- (about_kind and about_id: a statement, a letter, a paper claim, released records). Written by
-- the module that sends it, inside its own transaction.
CREATE TABLE outgoing_mail (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    sent_date TEXT NOT NULL,
    recipient TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('usps_first_class', 'usps_certified', 'fax', 'secure_email', 'pickup')),
    tracking_number TEXT,
    about_kind TEXT NOT NULL CHECK (about_kind IN ('statement', 'letter', 'paper_claim', 'records', 'other')),
    about_id TEXT,
    patient_id TEXT,
    description TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT outgoing_mail_certified_tracked CHECK (method <> 'usps_certified' OR tracking_number IS NOT NULL),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);
CREATE INDEX outgoing_mail_by_date ON outgoing_mail (practice_id, sent_date, id);
