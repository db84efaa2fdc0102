//! The general ledger's tables (migration 0009_ledger): `ledger_account`, `journal_entry`,
//! `journal_line`, `ledger_closed_period`, and (migration 0014) `ledger_daily_total`, each
//! account's debits and credits per day, which the reports read instead of the lines. Entries and
//! lines are only ever inserted (the database refuses UPDATE and DELETE on them), and only by
//! [`insert_entry`] (and [`insert_entries_in_bulk`] for generated books), which add to the daily
//! totals in the same transaction; the rules that make an entry postable are checked by the
//! caller (`medoffice_app::ledger::post_entry`) before these inserts.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};
use std::collections::BTreeMap;

/// An account of the chart.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AccountRow {
    pub practice_id: String,
    pub id: String,
    pub number: String,
    pub name: String,
    /// `asset`, `contra_asset`, ... (`domain::ledger::AccountType::as_str`).
    pub account_type: String,
    /// `debit` or `credit`.
    pub normal_balance: String,
    pub parent_id: Option<String>,
    /// 1 open, 0 closed (no new postings).
    pub active: i64,
    pub created_at: String,
}

/// A journal entry's header.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct EntryRow {
    pub practice_id: String,
    pub id: String,
    pub entry_number: i64,
    /// `YYYY-MM-DD`.
    pub entry_date: String,
    pub memo: String,
    pub source_kind: String,
    pub source_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub reversal_of: Option<String>,
    /// The entry's debits (= its credits).
    pub total_cents: i64,
    pub posted_by: String,
    pub posted_at: String,
}

/// One line of an entry.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct LineRow {
    pub practice_id: String,
    pub entry_id: String,
    pub line_number: i64,
    pub account_id: String,
    pub entry_date: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: Option<String>,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
}

/// An account's debits and credits over a range of dates.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AccountTotalsRow {
    pub account_id: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
}

/// A line with its entry's number and memo, for an account's detail.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AccountLineRow {
    pub entry_id: String,
    pub entry_number: i64,
    pub entry_date: String,
    pub entry_memo: String,
    pub line_memo: Option<String>,
    pub debit_cents: i64,
    pub credit_cents: i64,
}

/// Whether the practice has a chart yet.
pub async fn account_count(conn: &mut AnyConnection, practice_id: &str) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM ledger_account WHERE practice_id = $1").bind(practice_id).fetch_one(conn).await?;
    Ok(n)
}

/// Inserts an account; `Conflict("ledger_account_number_unique")` (or SQLite's column list) for a
/// number already used.
pub async fn insert_account(conn: &mut AnyConnection, a: &AccountRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO ledger_account (practice_id, id, number, name, account_type, normal_balance, parent_id, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&a.practice_id)
    .bind(&a.id)
    .bind(&a.number)
    .bind(&a.name)
    .bind(&a.account_type)
    .bind(&a.normal_balance)
    .bind(&a.parent_id)
    .bind(a.active)
    .bind(&a.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts an account of the default chart unless its number is taken (so two first uses at once
/// both succeed); `parent_number` is resolved to the parent's id in the same statement.
pub async fn insert_default_account(conn: &mut AnyConnection, a: &AccountRow, parent_number: Option<&str>) -> Result<()> {
    sqlx::query(
        "INSERT INTO ledger_account (practice_id, id, number, name, account_type, normal_balance, parent_id, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT p.id FROM ledger_account p WHERE p.practice_id = $1 AND p.number = $7), $8, $9) \
         ON CONFLICT (practice_id, number) DO NOTHING",
    )
    .bind(&a.practice_id)
    .bind(&a.id)
    .bind(&a.number)
    .bind(&a.name)
    .bind(&a.account_type)
    .bind(&a.normal_balance)
    .bind(parent_number)
    .bind(a.active)
    .bind(&a.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The whole chart by number (a chart has tens to a few hundred accounts; 2000 at most here).
pub async fn list_accounts(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<AccountRow>> {
    Ok(sqlx::query_as("SELECT * FROM ledger_account WHERE practice_id = $1 ORDER BY number LIMIT 2000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn get_account(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<AccountRow> {
    sqlx::query_as("SELECT * FROM ledger_account WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("account"))
}

/// Opens or closes an account for new postings.
pub async fn set_account_active(conn: &mut AnyConnection, practice_id: &str, id: &str, active: bool) -> Result<()> {
    let done = sqlx::query("UPDATE ledger_account SET active = $1 WHERE practice_id = $2 AND id = $3")
        .bind(i64::from(active))
        .bind(practice_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("account"));
    }
    Ok(())
}

/// The entry posted under an idempotency key, if any.
pub async fn entry_by_key(conn: &mut AnyConnection, practice_id: &str, key: &str) -> Result<Option<EntryRow>> {
    Ok(sqlx::query_as("SELECT * FROM journal_entry WHERE practice_id = $1 AND idempotency_key = $2")
        .bind(practice_id)
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

pub async fn get_entry(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<EntryRow> {
    sqlx::query_as("SELECT * FROM journal_entry WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("journal entry"))
}

/// The entry that reversed `id`, if one did.
pub async fn reversal_of(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<Option<EntryRow>> {
    Ok(sqlx::query_as("SELECT * FROM journal_entry WHERE practice_id = $1 AND reversal_of = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Inserts an entry, its lines and their share of the daily totals (the caller's transaction
/// makes them one write). Returns false, writing nothing, when another entry holds the same
/// idempotency key: on PostgreSQL a concurrent transaction posting the same key makes this one
/// wait for it, then find its key taken, so two posts of one event at once both succeed and post
/// once.
///
/// This and [`insert_entries_in_bulk`] are the only writers of `journal_line` and
/// `ledger_daily_total`, so a day's total is always the sum of its lines. On PostgreSQL the
/// upsert of a day's total holds that row until the posting commits: postings to the same account
/// and day queue there (see migration 0014), and the rows are taken in account id order so two
/// postings never deadlock over them.
pub async fn insert_entry(conn: &mut AnyConnection, e: &EntryRow, lines: &[LineRow]) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO journal_entry (practice_id, id, entry_number, entry_date, memo, source_kind, source_id, idempotency_key, \
         reversal_of, total_cents, posted_by, posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (practice_id, idempotency_key) DO NOTHING",
    )
    .bind(&e.practice_id)
    .bind(&e.id)
    .bind(e.entry_number)
    .bind(&e.entry_date)
    .bind(&e.memo)
    .bind(&e.source_kind)
    .bind(&e.source_id)
    .bind(&e.idempotency_key)
    .bind(&e.reversal_of)
    .bind(e.total_cents)
    .bind(&e.posted_by)
    .bind(&e.posted_at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    insert_lines(conn, lines).await?;
    add_to_daily_totals(conn, &daily_totals_of(lines)).await?;
    Ok(true)
}

/// The most rows one multi-row INSERT carries. Small on purpose: SQLite looks up each `$N`
/// parameter by name in a list (`sqlite3_bind_parameter_name`), so binding a statement costs the
/// square of its parameters; at 1,000 rows of 12 values that lookup was 70% of a bulk load, at
/// 100 rows it is a few percent, while 100 rows a statement still saves 99 of 100 round trips.
const ROWS_PER_INSERT: usize = 100;

/// `($1, $2, ...), ($k, ...)`: the placeholders of `rows` rows of `columns` values.
fn values_list(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * columns + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Inserts lines, [`ROWS_PER_INSERT`] to a statement.
async fn insert_lines(conn: &mut AnyConnection, lines: &[LineRow]) -> Result<()> {
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO journal_line (practice_id, entry_id, line_number, account_id, entry_date, debit_cents, credit_cents, memo, \
             patient_id, payer_id, vendor_id, claim_id) VALUES {}",
            values_list(chunk.len(), 12)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for l in chunk {
            query = query
                .bind(&l.practice_id)
                .bind(&l.entry_id)
                .bind(l.line_number)
                .bind(&l.account_id)
                .bind(&l.entry_date)
                .bind(l.debit_cents)
                .bind(l.credit_cents)
                .bind(&l.memo)
                .bind(&l.patient_id)
                .bind(&l.payer_id)
                .bind(&l.vendor_id)
                .bind(&l.claim_id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Lines summed per practice, account and date, in account id order (the order rows are
/// locked in).
type DailyTotals<'a> = BTreeMap<(&'a str, &'a str, &'a str), (i64, i64)>;

fn daily_totals_of(lines: &[LineRow]) -> DailyTotals<'_> {
    let mut totals = DailyTotals::new();
    for l in lines {
        let t = totals.entry((l.practice_id.as_str(), l.account_id.as_str(), l.entry_date.as_str())).or_insert((0, 0));
        t.0 += l.debit_cents;
        t.1 += l.credit_cents;
    }
    totals
}

/// Adds to each account's total of a day, creating the row on the day's first posting.
async fn add_to_daily_totals(conn: &mut AnyConnection, totals: &DailyTotals<'_>) -> Result<()> {
    let rows: Vec<_> = totals.iter().collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO ledger_daily_total (practice_id, account_id, entry_date, debit_cents, credit_cents) VALUES {} \
             ON CONFLICT (practice_id, account_id, entry_date) DO UPDATE SET \
             debit_cents = ledger_daily_total.debit_cents + excluded.debit_cents, \
             credit_cents = ledger_daily_total.credit_cents + excluded.credit_cents",
            values_list(chunk.len(), 5)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((practice_id, account_id, date), (debit, credit)) in chunk {
            query = query.bind(*practice_id).bind(*account_id).bind(*date).bind(*debit).bind(*credit);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Takes `count` entry numbers at once from the practice's `journal_entry` counter and returns
/// the first (the others follow it), for [`insert_entries_in_bulk`].
pub async fn reserve_entry_numbers(conn: &mut AnyConnection, practice_id: &str, count: i64) -> Result<i64> {
    let (last,): (i64,) = sqlx::query_as(
        "INSERT INTO counter (practice_id, name, value) VALUES ($1, 'journal_entry', $2) \
         ON CONFLICT (practice_id, name) DO UPDATE SET value = counter.value + $2 RETURNING value",
    )
    .bind(practice_id)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    Ok(last - count + 1)
}

/// Inserts many entries with their lines and daily totals in a few multi-row
/// statements, for books made by a program (the ledger benchmark's million entries), not for
/// events: nothing is checked here that `App::post_entry` checks (balance, accounts, closed
/// periods), and an idempotency key already taken is an error rather than a repeat. Each entry's
/// lines must carry its id and date.
pub async fn insert_entries_in_bulk(conn: &mut AnyConnection, entries: &[(EntryRow, Vec<LineRow>)]) -> Result<()> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO journal_entry (practice_id, id, entry_number, entry_date, memo, source_kind, source_id, idempotency_key, \
             reversal_of, total_cents, posted_by, posted_at) VALUES {}",
            values_list(chunk.len(), 12)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (e, _) in chunk {
            query = query
                .bind(&e.practice_id)
                .bind(&e.id)
                .bind(e.entry_number)
                .bind(&e.entry_date)
                .bind(&e.memo)
                .bind(&e.source_kind)
                .bind(&e.source_id)
                .bind(&e.idempotency_key)
                .bind(&e.reversal_of)
                .bind(e.total_cents)
                .bind(&e.posted_by)
                .bind(&e.posted_at);
        }
        query.execute(&mut *conn).await?;
    }
    let lines: Vec<LineRow> = entries.iter().flat_map(|(_, lines)| lines.iter().cloned()).collect();
    insert_lines(conn, &lines).await?;
    add_to_daily_totals(conn, &daily_totals_of(&lines)).await?;
    Ok(())
}

pub async fn lines_of_entry(conn: &mut AnyConnection, practice_id: &str, entry_id: &str) -> Result<Vec<LineRow>> {
    Ok(sqlx::query_as("SELECT * FROM journal_line WHERE practice_id = $1 AND entry_id = $2 ORDER BY line_number LIMIT 1000")
        .bind(practice_id)
        .bind(entry_id)
        .fetch_all(conn)
        .await?)
}

/// Entries dated `from..=to` (`YYYY-MM-DD`), newest first, at most `limit`.
pub async fn entries_between(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str, limit: i64) -> Result<Vec<EntryRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM journal_entry WHERE practice_id = $1 AND entry_date >= $2 AND entry_date <= $3 \
         ORDER BY entry_date DESC, entry_number DESC LIMIT $4",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every account's debits and credits dated `from..=to` (accounts without lines are absent),
/// from the daily totals: at most one row per account and day is read, however many lines.
pub async fn account_totals(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<Vec<AccountTotalsRow>> {
    Ok(sqlx::query_as(
        "SELECT account_id, CAST(SUM(debit_cents) AS BIGINT) AS debit_cents, CAST(SUM(credit_cents) AS BIGINT) AS credit_cents \
         FROM ledger_daily_total WHERE practice_id = $1 AND entry_date >= $2 AND entry_date <= $3 GROUP BY account_id",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// [`account_totals`] summed from the journal lines themselves: what the daily totals must always
/// equal (the tests and the benchmark compare them; reports read the daily totals).
pub async fn account_totals_from_lines(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<Vec<AccountTotalsRow>> {
    Ok(sqlx::query_as(
        "SELECT account_id, CAST(SUM(debit_cents) AS BIGINT) AS debit_cents, CAST(SUM(credit_cents) AS BIGINT) AS credit_cents \
         FROM journal_line WHERE practice_id = $1 AND entry_date >= $2 AND entry_date <= $3 GROUP BY account_id",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Each account's debits and credits dated `from..=to` on the lines of entries of one source kind
/// (the year-end closing entries, one a year, which the income statement takes back out of the
/// daily totals); found through the entries' source index, so only those entries' lines are read.
pub async fn source_totals(
    conn: &mut AnyConnection,
    practice_id: &str,
    from: &str,
    to: &str,
    source_kind: &str,
) -> Result<Vec<AccountTotalsRow>> {
    Ok(sqlx::query_as(
        "SELECT l.account_id, CAST(SUM(l.debit_cents) AS BIGINT) AS debit_cents, CAST(SUM(l.credit_cents) AS BIGINT) AS credit_cents \
         FROM journal_entry e JOIN journal_line l ON l.practice_id = e.practice_id AND l.entry_id = e.id \
         WHERE e.practice_id = $1 AND e.source_kind = $4 AND e.entry_date >= $2 AND e.entry_date <= $3 GROUP BY l.account_id",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .bind(source_kind)
    .fetch_all(conn)
    .await?)
}

/// Whether any line posts to the account (an account with postings is closed, never deleted).
pub async fn account_has_lines(conn: &mut AnyConnection, practice_id: &str, account_id: &str) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM journal_line WHERE practice_id = $1 AND account_id = $2 LIMIT 1")
        .bind(practice_id)
        .bind(account_id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// One account's lines dated `from..=to`, oldest first, at most `limit`.
pub async fn account_lines(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<AccountLineRow>> {
    Ok(sqlx::query_as(
        "SELECT l.entry_id, e.entry_number, l.entry_date, e.memo AS entry_memo, l.memo AS line_memo, l.debit_cents, l.credit_cents \
         FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         WHERE l.practice_id = $1 AND l.account_id = $2 AND l.entry_date >= $3 AND l.entry_date <= $4 \
         ORDER BY l.entry_date, e.entry_number, l.line_number LIMIT $5",
    )
    .bind(practice_id)
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Whether the month (`YYYY-MM`) is closed.
pub async fn period_is_closed(conn: &mut AnyConnection, practice_id: &str, period: &str) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as("SELECT period FROM ledger_closed_period WHERE practice_id = $1 AND period = $2")
        .bind(practice_id)
        .bind(period)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Closes a month; `Conflict("ledger_closed_period")` style error when already closed.
pub async fn close_period(conn: &mut AnyConnection, practice_id: &str, period: &str, by: &str, at: &str) -> Result<()> {
    sqlx::query("INSERT INTO ledger_closed_period (practice_id, period, closed_by, closed_at) VALUES ($1, $2, $3, $4)")
        .bind(practice_id)
        .bind(period)
        .bind(by)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reopens a month; false when it was not closed.
pub async fn reopen_period(conn: &mut AnyConnection, practice_id: &str, period: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM ledger_closed_period WHERE practice_id = $1 AND period = $2")
        .bind(practice_id)
        .bind(period)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The closed months, newest first.
pub async fn closed_periods(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT period, closed_by, closed_at FROM ledger_closed_period WHERE practice_id = $1 ORDER BY period DESC LIMIT 600",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// A journal line with its entry's header, for the export.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ExportLineRow {
    pub entry_number: i64,
    pub entry_date: String,
    pub memo: String,
    pub account_id: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
}

/// Every line of the journal in date, entry and line order, at most `limit`.
pub async fn lines_for_export(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<ExportLineRow>> {
    Ok(sqlx::query_as(
        "SELECT e.entry_number, e.entry_date, e.memo, l.account_id, l.debit_cents, l.credit_cents \
         FROM journal_entry e JOIN journal_line l ON l.practice_id = e.practice_id AND l.entry_id = e.id \
         WHERE e.practice_id = $1 ORDER BY e.entry_date, e.entry_number, l.line_number LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// [`account_totals_from_lines`] without the entries of one source kind: the income statement's
/// figures summed from the lines, what [`account_totals`] less [`source_totals`] must equal
/// (kept for the tests and the benchmark).
pub async fn account_totals_without_source_from_lines(
    conn: &mut AnyConnection,
    practice_id: &str,
    from: &str,
    to: &str,
    source_kind: &str,
) -> Result<Vec<AccountTotalsRow>> {
    Ok(sqlx::query_as(
        "SELECT l.account_id, CAST(SUM(l.debit_cents) AS BIGINT) AS debit_cents, CAST(SUM(l.credit_cents) AS BIGINT) AS credit_cents \
         FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         WHERE l.practice_id = $1 AND l.entry_date >= $2 AND l.entry_date <= $3 AND e.source_kind <> $4 GROUP BY l.account_id",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .bind(source_kind)
    .fetch_all(conn)
    .await?)
}

/// One account's debits and credits dated `from..=to` (zeros when it has no lines there), from
/// the daily totals: one primary-key range of at most a row a day.
pub async fn account_total(conn: &mut AnyConnection, practice_id: &str, account_id: &str, from: &str, to: &str) -> Result<(i64, i64)> {
    let (debit, credit): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(debit_cents), 0) AS BIGINT), CAST(COALESCE(SUM(credit_cents), 0) AS BIGINT) \
         FROM ledger_daily_total WHERE practice_id = $1 AND account_id = $2 AND entry_date >= $3 AND entry_date <= $4",
    )
    .bind(practice_id)
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?;
    Ok((debit, credit))
}

/// Which subledger a line's party column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Patient,
    Payer,
    Vendor,
}

impl Party {
    /// The column, from this fixed list only (it is put into the SQL text).
    fn column(self) -> &'static str {
        match self {
            Party::Patient => "patient_id",
            Party::Payer => "payer_id",
            Party::Vendor => "vendor_id",
        }
    }
}

/// One account's debits and credits dated up to `to`, per party of one kind (`None`: lines that
/// name no party of that kind), at most `limit` parties.
pub async fn party_totals(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    party: Party,
    to: &str,
    limit: i64,
) -> Result<Vec<(Option<String>, i64, i64)>> {
    let column = party.column();
    let sql = format!(
        "SELECT {column}, CAST(SUM(debit_cents) AS BIGINT), CAST(SUM(credit_cents) AS BIGINT) FROM journal_line \
         WHERE practice_id = $1 AND account_id = $2 AND entry_date <= $3 GROUP BY {column} ORDER BY {column} LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(account_id).bind(to).bind(limit).fetch_all(conn).await?)
}
