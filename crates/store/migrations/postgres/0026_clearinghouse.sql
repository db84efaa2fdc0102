-- The practice's clearinghouse (PostgreSQL; kept in step with ../sqlite/0026_clearinghouse.sql, the
-- same SQL). A practice that sends its claims through a clearinghouse names it once (its
-- interchange id, ISA08 and the 837P's 1000B receiver, and its name): every export is then ONE
-- file to it, whatever the payers. Without one, each payer's claims go in a file of their own
-- addressed to the payer's electronic id (a payer that takes claims directly).
ALTER TABLE practice ADD COLUMN clearinghouse_id TEXT;
ALTER TABLE practice ADD COLUMN clearinghouse_name TEXT;
