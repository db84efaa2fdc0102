-- The practice's logo on its letterhead (issue 8; SQLite). One per practice: the office manager
-- uploads a PNG or JPEG (recognised by its first bytes, at most 1 MB and 4000 pixels a side); the
-- file's bytes are a blob in the blob store, and every letter PDF (single, batch, dunning) draws
-- it top left. A new upload replaces the row; the old blob stays, as blobs do, since letters
-- already printed embed their own copy. Removing the logo deletes the row.
CREATE TABLE letterhead_logo (
    practice_id TEXT NOT NULL PRIMARY KEY,
    blob_id TEXT NOT NULL,
    -- image/png or image/jpeg, from the file's first bytes (never the name or declared type).
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    width_px BIGINT NOT NULL,
    height_px BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
