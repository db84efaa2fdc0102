-- Mailings (issue 8; SQLite): fliers and newsletters to a filtered list of patients.
--
-- A patient may refuse mailings, postal and e-mail separately: one row per refused channel, with
-- when and by whom it was recorded. Clearing an opt-out deletes its row; the audit trail keeps
-- the history. Opt-outs are about mailings only: letters about the patient's own care and bills
-- are not affected.
CREATE TABLE patient_mailing_opt_out (
    practice_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, patient_id, channel),
    CONSTRAINT patient_mailing_opt_out_channel CHECK (channel IN ('postal', 'email')),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);

-- A mailing as sent: the filter it was drawn with (JSON, as the form gave it, to redo or audit
-- it), the channel, the text (a letter template's text at the time, or typed) and the counts.
-- template_key is NULL for typed text.
CREATE TABLE mailing (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    channel TEXT NOT NULL,
    filter_json TEXT NOT NULL,
    template_key TEXT,
    body TEXT NOT NULL,
    recipient_count BIGINT NOT NULL,
    excluded_count BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT mailing_channel CHECK (channel IN ('postal', 'email')),
    CONSTRAINT mailing_counts CHECK (recipient_count >= 0 AND excluded_count >= 0)
);
CREATE INDEX mailing_by_date ON mailing (practice_id, created_at);

-- Every patient the filter matched: a recipient (excluded_reason NULL) with the address as it
-- was used (postal lines joined by line breaks, or the e-mail address), the text as rendered for
-- them and the outgoing mail entry that logs it; or an excluded patient with the reason (a code
-- the application explains). seq is the print order (labels, envelopes and fliers line up).
-- email_status follows an e-mail recipient's sending: pending, sent or failed (with the error).
CREATE TABLE mailing_recipient (
    practice_id TEXT NOT NULL,
    mailing_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    excluded_reason TEXT,
    excluded_detail TEXT,
    body TEXT,
    outgoing_mail_id TEXT,
    email_status TEXT,
    email_error TEXT,
    emailed_at TEXT,
    PRIMARY KEY (practice_id, mailing_id, patient_id),
    CONSTRAINT mailing_recipient_channel CHECK (channel IN ('postal', 'email')),
    CONSTRAINT mailing_recipient_reason CHECK (excluded_reason IS NULL OR excluded_reason IN
        ('merged', 'opted_out', 'no_address', 'bad_address', 'no_email', 'merge_fields')),
    CONSTRAINT mailing_recipient_included_has_address CHECK (excluded_reason IS NOT NULL OR (address IS NOT NULL AND body IS NOT NULL)),
    CONSTRAINT mailing_recipient_email_status CHECK (email_status IS NULL OR email_status IN ('pending', 'sent', 'failed')),
    FOREIGN KEY (practice_id, mailing_id) REFERENCES mailing (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);
CREATE INDEX mailing_recipient_by_seq ON mailing_recipient (practice_id, mailing_id, seq);
CREATE INDEX mailing_recipient_by_patient ON mailing_recipient (practice_id, patient_id);
