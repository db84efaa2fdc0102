-- Telephone messages (issue 4, the call pad): the practice's triage rules, callback deadlines and
-- inbox members, the messages themselves with their reply threads, and the telephone directory.
-- Identical on PostgreSQL and SQLite (checked by
-- `schema::both_backends_migrate_to_the_same_tables_columns_and_nullability`). Column types are TEXT
-- and BIGINT only (the Any driver's types; see 0001); yes/no columns are BIGINT 0/1.

-- The practice's callback promises (domain::messages::DeadlineSettings): an urgent message is
-- called back within urgent_minutes; one still unacknowledged escalation_minutes after its deadline
-- escalates to the office manager; a routine one by close_time ('HH:MM', local) of the
-- routine_business_days-th business day after it came in, on the workdays ('mon,tue,...') that are
-- not practice holidays (practice_holiday, 0003). discharge_window_days is how recent a hospital
-- discharge counts as "just discharged" on the call pad. No row: the defaults.
CREATE TABLE message_settings (
    practice_id TEXT NOT NULL,
    urgent_minutes BIGINT NOT NULL,
    escalation_minutes BIGINT NOT NULL,
    routine_business_days BIGINT NOT NULL,
    close_time TEXT NOT NULL,
    workdays TEXT NOT NULL,
    discharge_window_days BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id),
    CONSTRAINT message_settings_positive CHECK (urgent_minutes > 0 AND escalation_minutes > 0 AND routine_business_days > 0)
);

-- Who works a role inbox besides the role's own users (domain::messages::Inbox keys: 'nurse',
-- 'billing', 'scheduling', 'provider:<id>'). There is no nurse role: the nurse inbox is exactly
-- these members (and the providers), set by the office manager.
CREATE TABLE message_inbox_member (
    practice_id TEXT NOT NULL,
    inbox TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, inbox, user_id),
    FOREIGN KEY (practice_id, user_id) REFERENCES app_user (practice_id, id)
);

-- Triage rules, versioned: an edit inserts the next version of the rule_key; the highest version is
-- the rule in force, and a message names the key and version that fired, so what a receptionist saw
-- stays explained after the rule changes. The built-in set is copied in on first use (created_by
-- NULL, version 1). kind 'words' (terms: words or phrases, one a line), 'caller' (caller kinds)
-- or 'discharged'. position orders the rules (emergencies first); active 0 switches a rule off.
CREATE TABLE triage_rule (
    practice_id TEXT NOT NULL,
    rule_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    terms TEXT NOT NULL,
    instruction TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, rule_key, version),
    CONSTRAINT triage_rule_kind_known CHECK (kind IN ('words', 'caller', 'discharged')),
    CONSTRAINT triage_rule_active_flag CHECK (active IN (0, 1))
);

-- A telephone message. The caller is a patient (patient_id) or a name with a kind; what they want
-- (reason: domain::messages::Reason), the free text, whether a voicemail may carry details. urgency
-- is set by triage (triage_rule_key/version and the instruction shown) unless given. It waits in an
-- inbox (always set) and may be held by one person (assigned_user_id). status: new, acknowledged,
-- in_progress, waiting_on_patient, done. deadline_at is the callback deadline (UTC timestamp text,
-- fixed width, so text order is time order); escalation_level 0 none, 1 the inbox's other members,
-- 2 the office manager too. version guards concurrent changes.
CREATE TABLE phone_message (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT,
    caller_name TEXT NOT NULL,
    caller_kind TEXT NOT NULL,
    callback_phone TEXT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    voicemail_ok BIGINT NOT NULL,
    recently_discharged BIGINT NOT NULL,
    urgency TEXT NOT NULL,
    triage_rule_key TEXT,
    triage_rule_version BIGINT,
    instruction TEXT,
    inbox TEXT NOT NULL,
    assigned_user_id TEXT,
    status TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    escalation_level BIGINT NOT NULL,
    escalated_at TEXT,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    done_at TEXT,
    taken_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT phone_message_status_known CHECK (status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_patient', 'done')),
    CONSTRAINT phone_message_urgency_known CHECK (urgency IN ('urgent', 'routine')),
    CONSTRAINT phone_message_caller_kind_known CHECK (caller_kind IN ('patient', 'practice', 'hospital', 'pharmacy', 'lab', 'payer', 'other')),
    CONSTRAINT phone_message_escalation_level CHECK (escalation_level IN (0, 1, 2)),
    CONSTRAINT phone_message_flags CHECK (voicemail_ok IN (0, 1) AND recently_discharged IN (0, 1)),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, assigned_user_id) REFERENCES app_user (practice_id, id)
);
-- A person's open messages and an inbox's open messages (the inbox page and the nav count).
CREATE INDEX phone_message_by_assignee ON phone_message (practice_id, assigned_user_id, status);
CREATE INDEX phone_message_by_inbox ON phone_message (practice_id, inbox, status);
-- Messages past their deadline (escalation, the late view).
CREATE INDEX phone_message_by_deadline ON phone_message (practice_id, status, deadline_at);
-- A patient's messages (the chart).
CREATE INDEX phone_message_by_patient ON phone_message (practice_id, patient_id, created_at);

-- A message's thread, numbered: replies people write (kind 'reply') and what happened to it (kind
-- 'event': acknowledged, status changes, reassignments, escalations), each by whom (NULL for
-- escalation run by the clock) and when.
CREATE TABLE phone_message_entry (
    practice_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (practice_id, message_id, seq),
    CONSTRAINT phone_message_entry_kind_known CHECK (kind IN ('reply', 'event')),
    FOREIGN KEY (practice_id, message_id) REFERENCES phone_message (practice_id, id)
);

-- The practice's telephone directory: other practices, labs, pharmacies, payers' provider lines,
-- hospitals, anyone else, with notes ("ask for the referral coordinator").
CREATE TABLE directory_contact (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    phone TEXT,
    fax TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT directory_contact_kind_known CHECK (kind IN ('practice', 'lab', 'pharmacy', 'payer', 'hospital', 'other'))
);
CREATE INDEX directory_contact_by_name ON directory_contact (practice_id, name);
