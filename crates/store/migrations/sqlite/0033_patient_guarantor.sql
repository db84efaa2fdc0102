-- Guarantor family accounts (issue 7; SQLite): a patient may name another patient of the practice
-- as the person responsible for the bill (a parent for a child, a spouse). Kept in step with the
-- other backend's 0033_patient_guarantor.sql by the schema test.
--
-- One row per patient who has a guarantor; no row means the patient is responsible for their own
-- account. The app refuses a patient as their own guarantor and chains (a guarantor cannot have a
-- guarantor), so a family is always one guarantor and the patients who name them. Nothing about
-- money is stored here: the family's balances are read from the journal, patient by patient.
CREATE TABLE patient_guarantor (
    practice_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    guarantor_patient_id TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, patient_id),
    CONSTRAINT patient_guarantor_not_self CHECK (patient_id <> guarantor_patient_id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patient (practice_id, id),
    FOREIGN KEY (practice_id, guarantor_patient_id) REFERENCES patient (practice_id, id)
);
-- A guarantor's family: the patients who name them.
CREATE INDEX patient_guarantor_by_guarantor ON patient_guarantor (practice_id, guarantor_patient_id);
