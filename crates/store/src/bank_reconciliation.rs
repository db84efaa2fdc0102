//! Bank reconciliation's tables (migration 0013_bank_reconciliation): `bank_statement`,
//! `bank_statement_line`, `bank_reconciliation`, `bank_reconciled_line`. A ledger line is never
//! changed: its match is on the bank line, its reconciliation a row of `bank_reconciled_line`.
//! The matching rules live in `domain::ledger::bank`; the use cases in
//! `medoffice_app::bank_reconciliation`.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most lines of one statement read at once.
pub const STATEMENT_LINE_LIMIT: i64 = 20_000;

/// An imported statement file.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StatementRow {
    pub practice_id: String,
    pub id: String,
    pub account_id: String,
    pub file_name: String,
    /// `csv` or `ofx`.
    pub file_format: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub ending_balance_cents: Option<i64>,
    pub ending_date: Option<String>,
    /// Lines imported (new to the account).
    pub line_count: i64,
    /// Lines of the file that had been imported before, so were left out.
    pub duplicate_count: i64,
    pub imported_by: String,
    pub imported_at: String,
}

/// A statement in the list, with its account and how far its matching has come.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StatementListRow {
    pub id: String,
    pub account_id: String,
    pub account_number: String,
    pub account_name: String,
    pub file_name: String,
    pub file_format: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub ending_balance_cents: Option<i64>,
    pub line_count: i64,
    pub duplicate_count: i64,
    pub unmatched_count: i64,
    pub imported_at: String,
}

/// One transaction of a statement.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StatementLineRow {
    pub practice_id: String,
    pub id: String,
    pub statement_id: String,
    pub account_id: String,
    pub line_number: i64,
    pub line_date: String,
    pub description: String,
    /// Positive: a deposit; negative: money out.
    pub amount_cents: i64,
    pub fitid: Option<String>,
    pub check_number: Option<String>,
    pub transaction_type: Option<String>,
    pub duplicate_key: String,
    /// `unmatched`, `matched` or `ignored`.
    pub status: String,
    pub matched_entry_id: Option<String>,
    pub matched_line_number: Option<i64>,
    pub matched_by: Option<String>,
    pub matched_at: Option<String>,
}

/// A ledger line on a cash account, with its entry's number and memo.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CashLineRow {
    pub entry_id: String,
    pub line_number: i64,
    pub account_id: String,
    pub entry_number: i64,
    pub entry_date: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub entry_memo: String,
    pub line_memo: Option<String>,
}

/// A reconciliation done.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ReconciliationRow {
    pub practice_id: String,
    pub id: String,
    pub account_id: String,
    pub statement_id: Option<String>,
    pub statement_end_date: String,
    pub ending_balance_cents: i64,
    pub cleared_balance_cents: i64,
    pub line_count: i64,
    pub reconciled_by: String,
    pub reconciled_at: String,
}

pub async fn insert_statement(conn: &mut AnyConnection, s: &StatementRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO bank_statement (practice_id, id, account_id, file_name, file_format, period_start, period_end, \
         ending_balance_cents, ending_date, line_count, duplicate_count, imported_by, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&s.practice_id)
    .bind(&s.id)
    .bind(&s.account_id)
    .bind(&s.file_name)
    .bind(&s.file_format)
    .bind(&s.period_start)
    .bind(&s.period_end)
    .bind(s.ending_balance_cents)
    .bind(&s.ending_date)
    .bind(s.line_count)
    .bind(s.duplicate_count)
    .bind(&s.imported_by)
    .bind(&s.imported_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a statement's counts once its lines are in.
pub async fn set_statement_counts(conn: &mut AnyConnection, practice_id: &str, id: &str, lines: i64, duplicates: i64) -> Result<()> {
    sqlx::query("UPDATE bank_statement SET line_count = $3, duplicate_count = $4 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(lines)
        .bind(duplicates)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a line unless the account has one with its duplicate key; true when inserted.
pub async fn insert_statement_line(conn: &mut AnyConnection, l: &StatementLineRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO bank_statement_line (practice_id, id, statement_id, account_id, line_number, line_date, description, amount_cents, \
         fitid, check_number, transaction_type, duplicate_key, status, matched_entry_id, matched_line_number, matched_by, matched_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (practice_id, account_id, duplicate_key) DO NOTHING",
    )
    .bind(&l.practice_id)
    .bind(&l.id)
    .bind(&l.statement_id)
    .bind(&l.account_id)
    .bind(l.line_number)
    .bind(&l.line_date)
    .bind(&l.description)
    .bind(l.amount_cents)
    .bind(&l.fitid)
    .bind(&l.check_number)
    .bind(&l.transaction_type)
    .bind(&l.duplicate_key)
    .bind(&l.status)
    .bind(&l.matched_entry_id)
    .bind(l.matched_line_number)
    .bind(&l.matched_by)
    .bind(&l.matched_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The practice's statements, the latest imported first (at most `limit`).
pub async fn list_statements(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<StatementListRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.account_id, a.number AS account_number, a.name AS account_name, s.file_name, s.file_format, s.period_start, \
         s.period_end, s.ending_balance_cents, s.line_count, s.duplicate_count, \
         (SELECT COUNT(*) FROM bank_statement_line l WHERE l.practice_id = s.practice_id AND l.statement_id = s.id \
          AND l.status = 'unmatched') AS unmatched_count, s.imported_at \
         FROM bank_statement s JOIN ledger_account a ON a.practice_id = s.practice_id AND a.id = s.account_id \
         WHERE s.practice_id = $1 ORDER BY s.imported_at DESC, s.id LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn get_statement(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<StatementRow> {
    sqlx::query_as("SELECT * FROM bank_statement WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("bank statement"))
}

/// A statement's lines in the file's order.
pub async fn statement_lines(conn: &mut AnyConnection, practice_id: &str, statement_id: &str) -> Result<Vec<StatementLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM bank_statement_line WHERE practice_id = $1 AND statement_id = $2 ORDER BY line_number LIMIT $3")
        .bind(practice_id)
        .bind(statement_id)
        .bind(STATEMENT_LINE_LIMIT)
        .fetch_all(conn)
        .await?)
}

pub async fn get_statement_line(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<StatementLineRow> {
    sqlx::query_as("SELECT * FROM bank_statement_line WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("bank statement line"))
}

/// Matches an unmatched bank line with a ledger line; false when the bank line is no longer
/// unmatched. A ledger line matched already is `Conflict("bank_statement_line_ledger_once")`.
pub async fn set_match(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    entry_id: &str,
    line_number: i64,
    by: &str,
    at: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bank_statement_line SET status = 'matched', matched_entry_id = $3, matched_line_number = $4, matched_by = $5, \
         matched_at = $6 WHERE practice_id = $1 AND id = $2 AND status = 'unmatched'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(entry_id)
    .bind(line_number)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a bank line `unmatched` or `ignored`, forgetting any match.
pub async fn set_unmatched_status(conn: &mut AnyConnection, practice_id: &str, id: &str, status: &str, by: &str, at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE bank_statement_line SET status = $3, matched_entry_id = NULL, matched_line_number = NULL, matched_by = $4, matched_at = $5 \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(practice_id)
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

const CASH_LINE_COLUMNS: &str = "SELECT l.entry_id, l.line_number, l.account_id, e.entry_number, l.entry_date, l.debit_cents, l.credit_cents, \
     e.memo AS entry_memo, l.memo AS line_memo \
     FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id";

const NOT_RECONCILED: &str = "NOT EXISTS (SELECT 1 FROM bank_reconciled_line r WHERE r.practice_id = l.practice_id \
     AND r.entry_id = l.entry_id AND r.line_number = l.line_number) \
     AND NOT EXISTS (SELECT 1 FROM bank_cleared_line c WHERE c.practice_id = l.practice_id \
     AND c.entry_id = l.entry_id AND c.line_number = l.line_number)";

/// When a `bank_cleared_line` row `c` of ledger line `l` counts as cleared by the date `$3`.
const CLEARED_BY_END: &str = "((c.kind <> 'batch' AND l.entry_date <= $3) OR EXISTS (SELECT 1 FROM bank_statement_line cb \
     WHERE cb.practice_id = c.practice_id AND cb.id = c.bank_line_id AND cb.line_date <= $3))";
/// [`CLEARED_BY_END`] with the date as `$4`.
const CLEARED_BY_END_4: &str = "((c.kind <> 'batch' AND l.entry_date <= $4) OR EXISTS (SELECT 1 FROM bank_statement_line cb \
     WHERE cb.practice_id = c.practice_id AND cb.id = c.bank_line_id AND cb.line_date <= $4))";

/// One ledger line.
pub async fn cash_line(conn: &mut AnyConnection, practice_id: &str, entry_id: &str, line_number: i64) -> Result<CashLineRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{CASH_LINE_COLUMNS} WHERE l.practice_id = $1 AND l.entry_id = $2 AND l.line_number = $3")))
        .bind(practice_id)
        .bind(entry_id)
        .bind(line_number)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("journal line"))
}

/// The account's ledger lines dated `from..=to` that no bank line is matched with and no
/// reconciliation has cleared, oldest first (at most `limit`): what a bank line may match.
pub async fn open_cash_lines(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<CashLineRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CASH_LINE_COLUMNS} WHERE l.practice_id = $1 AND l.account_id = $2 AND l.entry_date >= $3 AND l.entry_date <= $4 \
         AND {NOT_RECONCILED} \
         AND NOT EXISTS (SELECT 1 FROM bank_statement_line b WHERE b.practice_id = l.practice_id \
             AND b.matched_entry_id = l.entry_id AND b.matched_line_number = l.line_number) \
         ORDER BY l.entry_date, e.entry_number, l.line_number LIMIT $5"
    )))
    .bind(practice_id)
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The account's ledger lines dated up to `end` not cleared by `end` (neither reconciled nor
/// matched with a bank line dated up to `end`): the outstanding deposits and checks.
pub async fn outstanding_lines(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    end: &str,
    limit: i64,
) -> Result<Vec<CashLineRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CASH_LINE_COLUMNS} WHERE l.practice_id = $1 AND l.account_id = $2 AND l.entry_date <= $3 \
         AND {NOT_RECONCILED} \
         AND NOT EXISTS (SELECT 1 FROM bank_statement_line b WHERE b.practice_id = l.practice_id \
             AND b.matched_entry_id = l.entry_id AND b.matched_line_number = l.line_number AND b.line_date <= $3) \
         ORDER BY l.entry_date, e.entry_number, l.line_number LIMIT $4"
    )))
    .bind(practice_id)
    .bind(account_id)
    .bind(end)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The cleared balance of the account at `end`: debits less credits of its ledger lines that a
/// reconciliation cleared, that are matched with a bank line dated up to `end`, or that
/// `bank_cleared_line` clears by `end` (history and reversal lines dated up to `end`, batch lines
/// whose bank line is dated up to `end`).
pub async fn cleared_balance(conn: &mut AnyConnection, practice_id: &str, account_id: &str, end: &str) -> Result<i64> {
    let (cents,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(CAST(SUM(l.debit_cents - l.credit_cents) AS BIGINT), 0) FROM journal_line l \
         WHERE l.practice_id = $1 AND l.account_id = $2 AND ( \
           EXISTS (SELECT 1 FROM bank_reconciled_line r WHERE r.practice_id = l.practice_id \
               AND r.entry_id = l.entry_id AND r.line_number = l.line_number) \
           OR EXISTS (SELECT 1 FROM bank_statement_line b WHERE b.practice_id = l.practice_id AND b.account_id = $2 \
               AND b.matched_entry_id = l.entry_id AND b.matched_line_number = l.line_number AND b.line_date <= $3) \
           OR EXISTS (SELECT 1 FROM bank_cleared_line c WHERE c.practice_id = l.practice_id \
               AND c.entry_id = l.entry_id AND c.line_number = l.line_number AND {CLEARED_BY_END}))"
    )))
    .bind(practice_id)
    .bind(account_id)
    .bind(end)
    .fetch_one(conn)
    .await?;
    Ok(cents)
}

/// Whether a reconciliation has cleared the ledger line.
pub async fn is_reconciled(conn: &mut AnyConnection, practice_id: &str, entry_id: &str, line_number: i64) -> Result<bool> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM bank_reconciled_line WHERE practice_id = $1 AND entry_id = $2 AND line_number = $3")
            .bind(practice_id)
            .bind(entry_id)
            .bind(line_number)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// The bank line a ledger line is matched with, if any.
pub async fn bank_line_of(
    conn: &mut AnyConnection,
    practice_id: &str,
    entry_id: &str,
    line_number: i64,
) -> Result<Option<StatementLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM bank_statement_line WHERE practice_id = $1 AND matched_entry_id = $2 AND matched_line_number = $3")
        .bind(practice_id)
        .bind(entry_id)
        .bind(line_number)
        .fetch_optional(conn)
        .await?)
}

/// Records a reconciliation and clears every ledger line of the account matched with a bank
/// line dated up to its end date and not cleared before; returns how many lines it cleared.
pub async fn insert_reconciliation(conn: &mut AnyConnection, r: &ReconciliationRow) -> Result<i64> {
    sqlx::query(
        "INSERT INTO bank_reconciliation (practice_id, id, account_id, statement_id, statement_end_date, ending_balance_cents, \
         cleared_balance_cents, line_count, reconciled_by, reconciled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.account_id)
    .bind(&r.statement_id)
    .bind(&r.statement_end_date)
    .bind(r.ending_balance_cents)
    .bind(r.cleared_balance_cents)
    .bind(r.line_count)
    .bind(&r.reconciled_by)
    .bind(&r.reconciled_at)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(
        "INSERT INTO bank_reconciled_line (practice_id, entry_id, line_number, reconciliation_id) \
         SELECT b.practice_id, b.matched_entry_id, b.matched_line_number, $3 FROM bank_statement_line b \
         WHERE b.practice_id = $1 AND b.account_id = $2 AND b.status = 'matched' AND b.line_date <= $4 \
         AND NOT EXISTS (SELECT 1 FROM bank_reconciled_line r WHERE r.practice_id = b.practice_id \
             AND r.entry_id = b.matched_entry_id AND r.line_number = b.matched_line_number)",
    )
    .bind(&r.practice_id)
    .bind(&r.account_id)
    .bind(&r.id)
    .bind(&r.statement_end_date)
    .execute(&mut *conn)
    .await?;
    let also = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO bank_reconciled_line (practice_id, entry_id, line_number, reconciliation_id) \
         SELECT c.practice_id, c.entry_id, c.line_number, $3 FROM bank_cleared_line c \
         JOIN journal_line l ON l.practice_id = c.practice_id AND l.entry_id = c.entry_id AND l.line_number = c.line_number \
         WHERE c.practice_id = $1 AND c.account_id = $2 AND {CLEARED_BY_END_4} \
         AND NOT EXISTS (SELECT 1 FROM bank_reconciled_line r WHERE r.practice_id = c.practice_id \
             AND r.entry_id = c.entry_id AND r.line_number = c.line_number)"
    )))
    .bind(&r.practice_id)
    .bind(&r.account_id)
    .bind(&r.id)
    .bind(&r.statement_end_date)
    .execute(&mut *conn)
    .await?;
    let cleared = i64::try_from(done.rows_affected() + also.rows_affected()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE bank_reconciliation SET line_count = $3 WHERE practice_id = $1 AND id = $2")
        .bind(&r.practice_id)
        .bind(&r.id)
        .bind(cleared)
        .execute(&mut *conn)
        .await?;
    Ok(cleared)
}

/// The account's reconciliations, the latest statement date first (at most `limit`).
pub async fn reconciliations(conn: &mut AnyConnection, practice_id: &str, account_id: &str, limit: i64) -> Result<Vec<ReconciliationRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM bank_reconciliation WHERE practice_id = $1 AND account_id = $2 ORDER BY statement_end_date DESC, id LIMIT $3",
    )
    .bind(practice_id)
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A ledger line cleared without a bank line of its own (migration 0018_bank_cleared).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ClearedLineRow {
    pub practice_id: String,
    pub entry_id: String,
    pub line_number: i64,
    pub account_id: String,
    /// `history`, `reversal` or `batch`.
    pub kind: String,
    pub pair_entry_id: Option<String>,
    pub bank_line_id: Option<String>,
    pub cleared_by: String,
    pub cleared_at: String,
}

/// Clears a ledger line; false when it was cleared already.
pub async fn insert_cleared_line(conn: &mut AnyConnection, c: &ClearedLineRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO bank_cleared_line (practice_id, entry_id, line_number, account_id, kind, pair_entry_id, bank_line_id, \
         cleared_by, cleared_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (practice_id, entry_id, line_number) DO NOTHING",
    )
    .bind(&c.practice_id)
    .bind(&c.entry_id)
    .bind(c.line_number)
    .bind(&c.account_id)
    .bind(&c.kind)
    .bind(&c.pair_entry_id)
    .bind(&c.bank_line_id)
    .bind(&c.cleared_by)
    .bind(&c.cleared_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The row clearing a ledger line, if any.
pub async fn cleared_line(conn: &mut AnyConnection, practice_id: &str, entry_id: &str, line_number: i64) -> Result<Option<ClearedLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM bank_cleared_line WHERE practice_id = $1 AND entry_id = $2 AND line_number = $3")
        .bind(practice_id)
        .bind(entry_id)
        .bind(line_number)
        .fetch_optional(conn)
        .await?)
}

/// Undoes the clearing of a ledger line (the caller checks it is not reconciled).
pub async fn delete_cleared_line(conn: &mut AnyConnection, practice_id: &str, entry_id: &str, line_number: i64) -> Result<()> {
    sqlx::query("DELETE FROM bank_cleared_line WHERE practice_id = $1 AND entry_id = $2 AND line_number = $3")
        .bind(practice_id)
        .bind(entry_id)
        .bind(line_number)
        .execute(conn)
        .await?;
    Ok(())
}

/// The further ledger lines of a deposit batch matched with a bank line.
pub async fn batch_lines(conn: &mut AnyConnection, practice_id: &str, bank_line_id: &str) -> Result<Vec<CashLineRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CASH_LINE_COLUMNS} JOIN bank_cleared_line c ON c.practice_id = l.practice_id AND c.entry_id = l.entry_id \
         AND c.line_number = l.line_number WHERE c.practice_id = $1 AND c.bank_line_id = $2 ORDER BY l.entry_date, e.entry_number, l.line_number"
    )))
    .bind(practice_id)
    .bind(bank_line_id)
    .fetch_all(conn)
    .await?)
}

/// Forgets a bank line's batch (when it is unmatched).
pub async fn delete_batch(conn: &mut AnyConnection, practice_id: &str, bank_line_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM bank_cleared_line WHERE practice_id = $1 AND bank_line_id = $2")
        .bind(practice_id)
        .bind(bank_line_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The account's lines cleared as history or reversal pairs and not yet reconciled, oldest first.
pub async fn cleared_unreconciled(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    limit: i64,
) -> Result<Vec<(CashLineRow, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        line: CashLineRow,
        kind: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.entry_id, l.line_number, l.account_id, e.entry_number, l.entry_date, l.debit_cents, l.credit_cents, \
         e.memo AS entry_memo, l.memo AS line_memo, c.kind \
         FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN bank_cleared_line c ON c.practice_id = l.practice_id AND c.entry_id = l.entry_id AND c.line_number = l.line_number \
         WHERE c.practice_id = $1 AND c.account_id = $2 AND c.kind <> 'batch' \
         AND NOT EXISTS (SELECT 1 FROM bank_reconciled_line r WHERE r.practice_id = l.practice_id \
             AND r.entry_id = l.entry_id AND r.line_number = l.line_number) \
         ORDER BY l.entry_date, e.entry_number, l.line_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.line, r.kind)).collect())
}

/// An open ledger line of the account (not matched, cleared nor reconciled) with the entry it
/// reverses or that reverses it, when that entry also has an open line of the account with the
/// opposite amount: pairs of (line, other line).
pub async fn open_reversal_pairs(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    limit: i64,
) -> Result<Vec<(String, i64, String, i64)>> {
    let open = |alias: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM bank_reconciled_line r WHERE r.practice_id = {alias}.practice_id AND r.entry_id = {alias}.entry_id \
             AND r.line_number = {alias}.line_number) \
             AND NOT EXISTS (SELECT 1 FROM bank_cleared_line c WHERE c.practice_id = {alias}.practice_id AND c.entry_id = {alias}.entry_id \
             AND c.line_number = {alias}.line_number) \
             AND NOT EXISTS (SELECT 1 FROM bank_statement_line b WHERE b.practice_id = {alias}.practice_id \
             AND b.matched_entry_id = {alias}.entry_id AND b.matched_line_number = {alias}.line_number)"
        )
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.entry_id, o.line_number, v.entry_id, v.line_number \
         FROM journal_entry re JOIN journal_line v ON v.practice_id = re.practice_id AND v.entry_id = re.id \
         JOIN journal_line o ON o.practice_id = re.practice_id AND o.entry_id = re.reversal_of \
         WHERE re.practice_id = $1 AND re.reversal_of IS NOT NULL AND v.account_id = $2 AND o.account_id = $2 \
         AND o.debit_cents = v.credit_cents AND o.credit_cents = v.debit_cents AND {} AND {} \
         ORDER BY o.entry_date, o.entry_id, o.line_number LIMIT $3",
        open("o"),
        open("v")
    )))
    .bind(practice_id)
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A remittance's payment line on a cash account (an EFT posted straight to cash), open for
/// matching, with the remittance's trace number (TRN02).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RemittanceCashLineRow {
    pub entry_id: String,
    pub line_number: i64,
    pub entry_date: String,
    pub amount_cents: i64,
    pub trace_number: String,
}

/// The account's open remittance payment lines (debits of entries with source kind
/// `remittance`, neither matched nor cleared), oldest first (at most `limit`) (migration 0030).
pub async fn open_remittance_cash_lines(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_id: &str,
    limit: i64,
) -> Result<Vec<RemittanceCashLineRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT l.entry_id, l.line_number, l.entry_date, l.debit_cents AS amount_cents, r.trace_number \
         FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN remittance r ON r.practice_id = e.practice_id AND r.id = e.source_id \
         WHERE l.practice_id = $1 AND l.account_id = $2 AND e.source_kind = 'remittance' AND l.debit_cents > 0 \
         AND {NOT_RECONCILED} \
         AND NOT EXISTS (SELECT 1 FROM bank_statement_line b WHERE b.practice_id = l.practice_id \
             AND b.matched_entry_id = l.entry_id AND b.matched_line_number = l.line_number) \
         ORDER BY l.entry_date, l.entry_id LIMIT $3"
    )))
    .bind(practice_id)
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Records (or, with `None`, forgets) the 835 trace number a bank line was matched by.
pub async fn set_match_trace(conn: &mut AnyConnection, practice_id: &str, id: &str, trace_number: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE bank_statement_line SET match_trace_number = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(trace_number)
        .execute(conn)
        .await?;
    Ok(())
}

/// The statement's lines matched by a trace number: (line id, trace number).
pub async fn match_traces(conn: &mut AnyConnection, practice_id: &str, statement_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, match_trace_number FROM bank_statement_line WHERE practice_id = $1 AND statement_id = $2 \
         AND match_trace_number IS NOT NULL",
    )
    .bind(practice_id)
    .bind(statement_id)
    .fetch_all(conn)
    .await?)
}
