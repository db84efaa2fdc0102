-- Bill attachments (SQLite): the scanned bill a vendor sent, kept with the bill. Kept in step with
-- the other backend's 0012_bill_attachments.sql by the schema test.

-- One file attached to a bill. The bytes live in the blob store (table blob, migration 0001;
-- files under the data dir), blob_id points at them and sha256 repeats the blob's hash so a
-- download can check the bytes it reads. content_type is what medoffice recognised from the
-- file's first bytes (application/pdf, image/png, image/jpeg), never what the browser claimed;
-- filename is the uploader's name for the file, shown and offered on download only. A bill and
-- its attachments are written in the same transaction as the bill's journal entry.
CREATE TABLE bill_attachment (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    bill_id TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, bill_id) REFERENCES bill (practice_id, id),
    FOREIGN KEY (practice_id, blob_id) REFERENCES blob (practice_id, id)
);
CREATE INDEX bill_attachment_by_bill ON bill_attachment (practice_id, bill_id);
