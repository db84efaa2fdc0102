-- The denial worklist (issue 7; PostgreSQL). Kept in step with the other backend's 0029_denials.sql
-- by the schema test.

-- What a claim still owes in AR - Insurance is the sum of its journal lines on 1100 by claim_id
-- (never stored twice). The worklist reads it for every denied claim, and a write-off or a
-- transfer to the patient reads it again inside its transaction: without this index each read
-- would scan the whole journal.
CREATE INDEX journal_line_by_claim ON journal_line (practice_id, claim_id);
