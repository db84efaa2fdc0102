-- Waitlist and recalls (SQLite): patients who want an earlier slot and the slots offered to them
-- when one frees up; "see this patient again in 6 months" and the calls, letters and e-mails that
-- follow. Identical to ../postgres/0005_waitlist_recalls.sql (checked by
-- `schema::both_backends_migrate_to_the_same_tables_columns_and_nullability`).
-- Column types are TEXT and BIGINT only (the Any driver's types; see 0001).

-- A patient who wants an earlier appointment than the one they could get: what they want (a
-- provider, or any provider when provider_id is NULL; an appointment type), when they can come
-- (earliest_date..latest_date inclusive, 'YYYY-MM-DD'; part_of_day 'any', 'morning' (starting
-- before 12:00) or 'afternoon', as domain::scheduling::PartOfDay) and where the entry stands:
-- 'waiting' (nothing offered yet, or every offer declined), 'offered' (at least one open offer),
-- 'booked' (booked_appointment_id says which appointment) or 'removed'. created_by is the user
-- who added it. version is bumped by every change, so two desks cannot overwrite each other.
CREATE TABLE waitlist_entry (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    provider_id TEXT,
    appointment_type_id TEXT NOT NULL,
    earliest_date TEXT NOT NULL,
    latest_date TEXT NOT NULL,
    part_of_day TEXT NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    booked_appointment_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT waitlist_entry_status_known CHECK (status IN ('waiting', 'offered', 'booked', 'removed')),
    CONSTRAINT waitlist_entry_part_of_day_known CHECK (part_of_day IN ('any', 'morning', 'afternoon')),
    CONSTRAINT waitlist_entry_dates CHECK (earliest_date <= latest_date),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id),
    FOREIGN KEY (practice_id, appointment_type_id) REFERENCES appointment_type (practice_id, id)
);
-- The entries still looking for a slot on a date (the freed-slot match) and the waitlist page.
CREATE INDEX waitlist_entry_by_status ON waitlist_entry (practice_id, status, earliest_date);
-- A patient's entries.
CREATE INDEX waitlist_entry_by_patient ON waitlist_entry (practice_id, patient_id);

-- A freed slot offered to a waitlist entry: written when an appointment is cancelled or marked a
-- no-show while still in the future, in the same transaction, one row per matching entry. It
-- keeps the slot as it was freed (provider, location, the freed appointment's type, local times
-- as on appointment: 'YYYY-MM-DDTHH:MM' and minutes since 1970-01-01T00:00 local) so the offer
-- reads the same whatever happens to the freed appointment. status: 'open', 'booked' (the entry
-- was booked into it: booked_appointment_id), 'declined' (the patient said no) or 'withdrawn'
-- (the entry was booked elsewhere or removed). Whether an open offer's slot has been taken since
-- is not stored: it is read from the appointments each time the offer is shown.
CREATE TABLE waitlist_offer (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    freed_appointment_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    appointment_type_id TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL,
    status TEXT NOT NULL,
    booked_appointment_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT waitlist_offer_status_known CHECK (status IN ('open', 'booked', 'declined', 'withdrawn')),
    CONSTRAINT waitlist_offer_once_per_slot UNIQUE (practice_id, entry_id, freed_appointment_id),
    FOREIGN KEY (practice_id, entry_id) REFERENCES waitlist_entry (practice_id, id),
    FOREIGN KEY (practice_id, freed_appointment_id) REFERENCES appointment (practice_id, id)
);
-- The open offers, soonest first (the waitlist page).
CREATE INDEX waitlist_offer_by_status ON waitlist_offer (practice_id, status, start_minute);

-- "See this patient again in 6 months": a recall, due on due_date ('YYYY-MM-DD'), for a reason,
-- optionally with a provider. status is what people set: 'pending' (due, nobody has reached out
-- yet), 'contacted' (a call, letter or e-mail is recorded in recall_contact) or 'closed' (with
-- close_reason, closed_at, closed_by). Whether it is booked is not stored: a recall counts as
-- booked while the patient has an appointment holding its time that was booked on or after the
-- recall's created_at, read from the appointments each time, so booking needs to know nothing
-- of recalls.
CREATE TABLE recall (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    provider_id TEXT,
    reason TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    close_reason TEXT,
    closed_at TEXT,
    closed_by TEXT,
    notes TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT recall_status_known CHECK (status IN ('pending', 'contacted', 'closed')),
    CONSTRAINT recall_closed_with_reason CHECK (status <> 'closed' OR close_reason IS NOT NULL),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id)
);
-- The recall list by due date (overdue, this month, next month).
CREATE INDEX recall_by_due ON recall (practice_id, due_date);
-- A patient's recalls.
CREATE INDEX recall_by_patient ON recall (practice_id, patient_id, due_date);

-- Every attempt to reach a patient about a recall: a phone call with its outcome ('reached',
-- 'left_message', 'no_answer', 'wrong_number'), a letter or an e-mail ('sent'); who and when.
-- seq counts 1, 2, 3... per recall; the recall row's versioned update serialises writers.
CREATE TABLE recall_contact (
    practice_id TEXT NOT NULL,
    recall_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (practice_id, recall_id, seq),
    CONSTRAINT recall_contact_method_known CHECK (method IN ('phone', 'letter', 'email')),
    CONSTRAINT recall_contact_outcome_known CHECK (outcome IN ('reached', 'left_message', 'no_answer', 'wrong_number', 'sent')),
    FOREIGN KEY (practice_id, recall_id) REFERENCES recall (practice_id, id)
);
