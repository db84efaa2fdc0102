//! The general ledger's tables (migration 0009_ledger): `ledger_account`, `journal_entry`,
//! `journal_line`, `ledger_closed_period`. Entries and lines are only ever inserted (the database
//! refuses UPDATE and DELETE on them); the rules that make an entry postable are checked by the
//! caller (`medoffice_app::ledger::post_entry`) before these inserts.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

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

/// Inserts an entry and its lines (the caller's transaction makes them one write). Returns false,
/// writing nothing, when another entry holds the same idempotency key: on PostgreSQL a concurrent
/// transaction posting the same key makes this one wait for it, then find its key taken, so two
/// posts of one event at once both succeed and post once.
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
    for l in lines {
        sqlx::query(
            "INSERT INTO journal_line (practice_id, entry_id, line_number, account_id, entry_date, debit_cents, credit_cents, memo, \
             patient_id, payer_id, vendor_id, claim_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
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
        .bind(&l.claim_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
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

/// Every account's debits and credits dated `from..=to` (accounts without lines are absent).
pub async fn account_totals(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<Vec<AccountTotalsRow>> {
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

/// [`account_totals`] without the entries of one source kind (the income statement leaves out
/// the year-end closing entry, which empties revenue and expenses into retained earnings).
pub async fn account_totals_without_source(
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

/// One account's debits and credits dated `from..=to` (zeros when it has no lines there).
pub async fn account_total(conn: &mut AnyConnection, practice_id: &str, account_id: &str, from: &str, to: &str) -> Result<(i64, i64)> {
    let (debit, credit): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(debit_cents), 0) AS BIGINT), CAST(COALESCE(SUM(credit_cents), 0) AS BIGINT) \
         FROM journal_line WHERE practice_id = $1 AND account_id = $2 AND entry_date >= $3 AND entry_date <= $4",
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
