-- Byte order for the text columns the store scans by prefix: see ../postgres/0002. SQLite already
-- compares text byte by byte (the BINARY collation), so nothing changes here; this file keeps the
-- two migration sets in step.
SELECT 1;
