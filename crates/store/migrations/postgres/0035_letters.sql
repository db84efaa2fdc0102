-- Letters from templates (issue 8; PostgreSQL). A template is the practice's text with merge fields
-- ({{patient.full_name}}); the built-in ones are seeded from code for each practice on first use,
-- so a practice created later gets them too, and the office manager's edits are kept (version).

CREATE TABLE letter_template (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    -- A stable name for the CLI and the API (welcome, past_due_30, ...).
    template_key TEXT NOT NULL,
    name TEXT NOT NULL,
    -- patient, practice, insurer or billing: who the letter is for, to sort the list.
    audience TEXT NOT NULL,
    body TEXT NOT NULL,
    built_in BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT letter_template_key_unique UNIQUE (practice_id, template_key)
);

-- A letter as written: the rendered text kept as printed (the template may change later), the
-- PDF's bytes in the blob store, how it went out and the telephone message it answered.
CREATE TABLE letter (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    template_id TEXT NOT NULL,
    template_key TEXT NOT NULL,
    title TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    recipient_name TEXT,
    recipient_address TEXT,
    body TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    -- print or email.
    delivery TEXT NOT NULL CHECK (delivery IN ('print', 'email')),
    emailed_to TEXT,
    message_id TEXT,
    outgoing_mail_id TEXT,
    signed_by TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX letter_by_patient ON letter (practice_id, patient_id, created_at);
CREATE INDEX letter_by_date ON letter (practice_id, created_at);
