-- Byte order for the text columns the store scans by prefix.
--
-- The store finds "every token starting with p" as `token >= p AND token < p || '~'` (and audit
-- actions the same way), which holds only when text compares byte by byte, as SQLite's BINARY
-- collation does. A PostgreSQL database created with a linguistic collation (initdb's default
-- on most systems, e.g. en_US.UTF-8 or an ICU locale) orders 'n:johnson' after 'n:john~', so a
-- search for "john" missed Johnson. COLLATE "C" makes these columns (and their indexes) compare
-- bytes whatever the database's collation. Both values are ASCII.
ALTER TABLE patient_search_token ALTER COLUMN token TYPE TEXT COLLATE "C";
ALTER TABLE audit_event ALTER COLUMN action TYPE TEXT COLLATE "C";
