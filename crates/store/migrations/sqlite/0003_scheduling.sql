-- Scheduling (SQLite): locations, appointment types, providers' weekly templates, exceptions,
-- holidays, appointments and their history. Kept in step with ../postgres/0003_scheduling.sql by
-- `schema::both_backends_migrate_to_the_same_tables_columns_and_nullability`; the two differ only in
-- how the database refuses a double booking (here triggers, there an exclusion constraint).
-- Column types are TEXT and BIGINT only (the Any driver's types; see 0001).

-- Where appointments happen. A practice with one office has one row; the address is optional
-- because a new practice may set up scheduling before it has typed its addresses.
CREATE TABLE location (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);

-- What may be booked (domain::scheduling::appointment_types): a name, a default length (5..480
-- minutes, checked by the domain), a display colour '#rrggbb', and which patients it is for.
CREATE TABLE appointment_type (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
    colour TEXT NOT NULL,
    patient_kind TEXT NOT NULL CHECK (patient_kind IN ('new', 'established', 'any')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX appointment_type_by_name ON appointment_type (practice_id, name);

-- Which providers offer a type. A link row rather than a list in a column, so "the types a
-- provider offers" is an index scan.
CREATE TABLE appointment_type_provider (
    practice_id TEXT NOT NULL,
    appointment_type_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, appointment_type_id, provider_id),
    FOREIGN KEY (practice_id, appointment_type_id) REFERENCES appointment_type (practice_id, id),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id)
);
CREATE INDEX appointment_type_provider_by_provider ON appointment_type_provider (practice_id, provider_id, appointment_type_id);

-- A provider's weekly template (domain::scheduling::calendar::TemplateEntry). weekday is ISO
-- (1 Monday .. 7 Sunday); times are minutes from local midnight, half-open [start, end), because
-- the Any driver has no time type and minutes compare as numbers. 'work' entries may list the
-- appointment types they take (allowed_type_ids, comma-separated ids; NULL = any type) and whether
-- they may be overbooked (allow_overbook 0/1: no booleans through the Any driver); 'block' entries
-- (lunch, admin time) carry a reason. Overlapping work entries are refused by the domain
-- (check_week) before anything is written.
CREATE TABLE schedule_template_entry (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute BIGINT NOT NULL CHECK (start_minute BETWEEN 0 AND 1440),
    end_minute BIGINT NOT NULL CHECK (end_minute BETWEEN 0 AND 1440),
    kind TEXT NOT NULL CHECK (kind IN ('work', 'block')),
    reason TEXT,
    allowed_type_ids TEXT,
    allow_overbook BIGINT NOT NULL CHECK (allow_overbook IN (0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT schedule_template_entry_times CHECK (start_minute < end_minute),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id),
    FOREIGN KEY (practice_id, location_id) REFERENCES location (practice_id, id)
);
CREATE INDEX schedule_template_entry_by_provider ON schedule_template_entry (practice_id, provider_id, weekday, start_minute);

-- A change to one provider's template on one date (domain::scheduling::calendar::DayException):
-- 'closed', or 'replace_hours' / 'extra_hours' at location_id with ranges as
-- 'start-end,start-end' in minutes from midnight. At most one per provider and date, as the
-- domain's ProviderCalendar requires; the unique constraint keeps two desks from adding two.
CREATE TABLE schedule_exception (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('closed', 'replace_hours', 'extra_hours')),
    location_id TEXT,
    ranges TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT schedule_exception_one_per_day UNIQUE (practice_id, provider_id, date),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id)
);

-- Days the whole practice is closed. One row per date.
CREATE TABLE practice_holiday (
    practice_id TEXT NOT NULL,
    date TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, date)
);

-- Appointments. Times are the practice's local wall-clock time (scheduling is in local time; see
-- domain::scheduling): start_at/end_at as 'YYYY-MM-DDTHH:MM' for people and exports, and
-- start_minute/end_minute as minutes since 1970-01-01T00:00 local time, the numbers the
-- no-overlap rule and the range scans compare (half-open [start, end)). An appointment is 1 to
-- 1440 minutes long (the domain allows at most 480): the bound lets the no-overlap check scan a
-- provider's appointments that start at most a day before the new one instead of all of them.
-- status is domain::scheduling::AppointmentStatus::as_str; overbook is 0/1 (set when the template
-- allowed booking on top of another appointment). version is bumped by every update, so two desks
-- changing one appointment cannot overwrite each other (optimistic check in the store).
CREATE TABLE appointment (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    appointment_type_id TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL,
    status TEXT NOT NULL,
    overbook BIGINT NOT NULL,
    cancel_reason TEXT,
    cancelled_by TEXT,
    rescheduled_to TEXT,
    notes TEXT,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT appointment_status_known CHECK (status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed', 'cancelled', 'no_show', 'rescheduled')),
    CONSTRAINT appointment_overbook_flag CHECK (overbook IN (0, 1)),
    CONSTRAINT appointment_length CHECK (end_minute > start_minute AND end_minute - start_minute <= 1440),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, provider_id) REFERENCES provider (practice_id, id),
    FOREIGN KEY (practice_id, location_id) REFERENCES location (practice_id, id),
    FOREIGN KEY (practice_id, appointment_type_id) REFERENCES appointment_type (practice_id, id)
);
-- A provider's day or week (and the no-overlap probe on SQLite).
CREATE INDEX appointment_by_provider ON appointment (practice_id, provider_id, start_minute);
-- The day sheet of every provider.
CREATE INDEX appointment_by_start ON appointment (practice_id, start_minute);
-- A patient's appointments, for the chart.
CREATE INDEX appointment_by_patient ON appointment (practice_id, patient_id, start_minute);

-- An appointment's history: every status change (and booking, from_status NULL), who did it and
-- when, with a JSON detail (reason, who cancelled, the new appointment of a reschedule). seq
-- counts 1, 2, 3... per appointment; the appointment row's version check serialises writers.
CREATE TABLE appointment_event (
    practice_id TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT,
    from_status TEXT,
    to_status TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (practice_id, appointment_id, seq),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointment (practice_id, id)
);

-- Never double-book a provider, enforced by the database so two desks booking the same slot at
-- once cannot both succeed. An appointment "occupies" its time unless it is cancelled, a no-show or
-- rescheduled (AppointmentStatus::occupies_time) or was booked as an overbook. Two occupying,
-- non-overbook appointments of one provider may not overlap (half-open: back to back is fine).
-- SQLite has no exclusion constraints, so BEFORE INSERT / BEFORE UPDATE triggers probe
-- appointment_by_provider and abort with the constraint's name, which the store maps to
-- StoreError::Conflict("appointment_no_overlap") like PostgreSQL's. The probe is race-free because
-- SQLite has one writer at a time and the store's transactions are BEGIN IMMEDIATE (the check and
-- the write happen under the write lock). The lower bound start_minute > NEW.start_minute - 1440
-- (appointment_length) keeps the probe to a day of the provider's appointments.
CREATE TRIGGER appointment_no_overlap_insert BEFORE INSERT ON appointment
WHEN NEW.overbook = 0
    AND NEW.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')
BEGIN
    SELECT RAISE(ABORT, 'appointment_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointment a
        WHERE a.practice_id = NEW.practice_id
          AND a.provider_id = NEW.provider_id
          AND a.start_minute < NEW.end_minute
          AND a.start_minute > NEW.start_minute - 1440
          AND a.end_minute > NEW.start_minute
          AND a.overbook = 0
          AND a.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')
    );
END;

-- The same on a move, a change of provider, a status change back to occupying or an overbook
-- flag cleared. The row itself is skipped (it may overlap its own old time).
CREATE TRIGGER appointment_no_overlap_update
BEFORE UPDATE OF practice_id, provider_id, start_minute, end_minute, status, overbook ON appointment
WHEN NEW.overbook = 0
    AND NEW.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')
BEGIN
    SELECT RAISE(ABORT, 'appointment_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointment a
        WHERE a.practice_id = NEW.practice_id
          AND a.provider_id = NEW.provider_id
          AND a.start_minute < NEW.end_minute
          AND a.start_minute > NEW.start_minute - 1440
          AND a.end_minute > NEW.start_minute
          AND a.overbook = 0
          AND a.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')
          AND NOT (a.practice_id = OLD.practice_id AND a.id = OLD.id)
    );
END;
