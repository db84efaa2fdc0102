-- Appointment reminders (PostgreSQL): the practice's SMTP server, reminder rules per appointment
-- type, the reminders themselves (e-mail or the daily call list) with the patient's reply, and every
-- e-mail attempt. Kept in step with ../sqlite/0006_reminders.sql (identical here). Column types
-- are TEXT and BIGINT only (the Any driver's types; see 0001).

-- The practice's outgoing mail server, one row per practice, set by an administrator on
-- /admin/smtp. security is 'none' (plain SMTP, for a relay on the same machine or network),
-- 'starttls' (upgrade required: a server that does not offer it is refused, never a silent fall
-- back to plain text) or 'tls' (implicit TLS, usually port 465). The password is stored as given
-- until the security issue adds encryption at rest (see ARCHITECTURE.md).
CREATE TABLE smtp_settings (
    practice_id TEXT NOT NULL,
    host TEXT NOT NULL,
    port BIGINT NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security TEXT NOT NULL CHECK (security IN ('none', 'starttls', 'tls')),
    username TEXT,
    password TEXT,
    from_address TEXT NOT NULL,
    from_name TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (practice_id)
);

-- Reminder rules of one appointment type: days_before is a comma-separated list of whole days
-- before the appointment ('2', '7,2'; '' for none), checked by the application (0 to 30 each). A
-- type without a row gets the practice default (2 days before), so a new type reminds patients
-- without anyone remembering to set it up. A list in one row rather than a row per rule: the page
-- saves a type's rules as a whole, and "none" must be distinguishable from "never set".
CREATE TABLE appointment_type_reminder (
    practice_id TEXT NOT NULL,
    appointment_type_id TEXT NOT NULL,
    days_before TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, appointment_type_id),
    FOREIGN KEY (practice_id, appointment_type_id) REFERENCES appointment_type (practice_id, id)
);

-- One reminder per appointment and rule (days_before): the unique key makes a reminder run
-- idempotent, so running it twice sends once. channel 'email' goes through the practice's SMTP
-- server; 'call' puts the patient on the daily call list of list_date (the run's date), with the
-- phone number in recipient, or NULL when the record has neither phone nor e-mail ("no way to
-- reach"). status: pending (made, not yet tried), sending (claimed by one run while it talks to
-- the server; claimed_at lets a later run take over a crashed one), sent (the server accepted the
-- message: never set otherwise), failed (last attempt's error in detail; retried by the next run
-- or by hand), skipped (detail says why: superseded by a nearer rule, appointment no longer
-- scheduled), to_call, called. reply records the patient's answer to an e-mail or a call, with
-- who recorded it and when (the appointment's own status change is in its history).
CREATE TABLE appointment_reminder (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    days_before BIGINT NOT NULL CHECK (days_before BETWEEN 0 AND 30),
    patient_id TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'call')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'to_call', 'called')),
    recipient TEXT,
    list_date TEXT NOT NULL,
    attempts BIGINT NOT NULL CHECK (attempts >= 0),
    claimed_at TEXT,
    last_attempt_at TEXT,
    sent_at TEXT,
    detail TEXT,
    reply TEXT CHECK (reply IN ('confirmed', 'cancel_requested', 'left_message', 'no_answer', 'wrong_number')),
    reply_note TEXT,
    reply_at TEXT,
    reply_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT appointment_reminder_once UNIQUE (practice_id, appointment_id, days_before),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointment (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id)
);
-- A day's reminders and call list.
CREATE INDEX appointment_reminder_by_list_date ON appointment_reminder (practice_id, list_date, channel);
-- The failures (and pending ones) a run retries and the page lists first.
CREATE INDEX appointment_reminder_by_status ON appointment_reminder (practice_id, status, list_date);

-- Every attempt to send a reminder e-mail, in order: the server's answer when it accepted the
-- message, or the error (connection refused, 5xx reply...) when it did not. The reminder row keeps
-- only the latest; this keeps the story.
CREATE TABLE appointment_reminder_attempt (
    practice_id TEXT NOT NULL,
    reminder_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    recipient TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    detail TEXT NOT NULL,
    PRIMARY KEY (practice_id, reminder_id, seq),
    FOREIGN KEY (practice_id, reminder_id) REFERENCES appointment_reminder (practice_id, id)
);
