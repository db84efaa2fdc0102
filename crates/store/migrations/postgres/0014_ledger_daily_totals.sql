-- Each account's debits and credits per day (PostgreSQL), so the reports read a few rows per
-- account and day instead of every journal line: at a million entries a trial balance summing
-- journal_line takes seconds, summing ledger_daily_total milliseconds. Kept in step with
-- ../sqlite/0014_ledger_daily_totals.sql by the schema test.
--
-- The table is derived from journal_line and written in the same transaction as the lines, by
-- the one writer of lines (store::ledger::insert_entry, and insert_entries_in_bulk for generated
-- books): a row is the sum of the lines of its practice, account and date, always. Lines are
-- append-only and a correction is a reversal (more debits or credits, never fewer), so a row's
-- totals only grow and a row is never deleted; the trigger below refuses anything else.
-- Reports that need a line's party (subledgers, aging) still read journal_line.
--
-- Locking: a posting upserts one row per account of its date and holds that row's lock until it
-- commits, so concurrent postings to the same account and day (the cash account at the front
-- desk) queue there, one commit after the other; postings to other accounts or days do not wait.
-- insert_entry upserts an entry's accounts in account id order, so two postings never take two
-- rows in opposite orders and deadlock.
CREATE TABLE ledger_daily_total (
    practice_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    entry_date TEXT NOT NULL,
    debit_cents BIGINT NOT NULL CHECK (debit_cents >= 0),
    credit_cents BIGINT NOT NULL CHECK (credit_cents >= 0),
    PRIMARY KEY (practice_id, account_id, entry_date),
    FOREIGN KEY (practice_id, account_id) REFERENCES ledger_account (practice_id, id)
);

-- The lines posted before this migration.
INSERT INTO ledger_daily_total (practice_id, account_id, entry_date, debit_cents, credit_cents)
SELECT practice_id, account_id, entry_date, CAST(SUM(debit_cents) AS BIGINT), CAST(SUM(credit_cents) AS BIGINT)
FROM journal_line GROUP BY practice_id, account_id, entry_date;

CREATE FUNCTION ledger_daily_total_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.practice_id = OLD.practice_id AND NEW.account_id = OLD.account_id AND NEW.entry_date = OLD.entry_date
            AND NEW.debit_cents >= OLD.debit_cents AND NEW.credit_cents >= OLD.credit_cents THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'ledger_daily_total only grows: post a reversal';
END;
$$;
CREATE TRIGGER ledger_daily_total_only_grows BEFORE UPDATE OR DELETE ON ledger_daily_total
    FOR EACH ROW EXECUTE FUNCTION ledger_daily_total_only_grows();
CREATE TRIGGER ledger_daily_total_no_truncate BEFORE TRUNCATE ON ledger_daily_total
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_daily_total_only_grows();
