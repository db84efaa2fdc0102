-- Rooms of a location (PostgreSQL): exam rooms, a procedure room, where a patient waits for the
-- provider once checked in. Kept in step with ../sqlite/0008_rooms.sql by the schema test.

-- A room belongs to one location. It is deactivated rather than deleted (active 0/1: the Any
-- driver has no booleans), so appointments that were in it keep pointing at a real row and the
-- "in room" step of the day simply stops offering it. Names are unique within a location, so the
-- front desk never has to choose between two "Exam 1".
CREATE TABLE room (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    name TEXT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CONSTRAINT room_name_unique UNIQUE (practice_id, location_id, name),
    FOREIGN KEY (practice_id, location_id) REFERENCES location (practice_id, id)
);

-- The room the patient was put in (the "in room" step); NULL until then. No foreign key: SQLite
-- cannot add a composite one to an existing table, and both backends must hold the same rules,
-- so the use case that sets it checks that the room is an active room of the appointment's
-- location.
ALTER TABLE appointment ADD COLUMN room_id TEXT;
