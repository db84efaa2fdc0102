//! Bank deposits (migration 0030_deposits): `deposit` and its `deposit_item`s. An item is a
//! journal line debiting Undeposited funds; `deposit_item.held_key` (unique while the deposit
//! stands) keeps it in one deposit at most. The use cases live in `medoffice_app::deposits`.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most undeposited items read at once.
pub const UNDEPOSITED_LIMIT: i64 = 2000;
/// The most deposits the list shows.
pub const LIST_LIMIT: i64 = 200;

/// A journal line debiting Undeposited funds that no standing deposit holds, with what the
/// payment it came from says about itself.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UndepositedRow {
    pub entry_id: String,
    pub line_number: i64,
    pub entry_number: i64,
    pub entry_date: String,
    pub amount_cents: i64,
    pub entry_memo: String,
    pub line_memo: Option<String>,
    pub source_kind: String,
    pub source_id: Option<String>,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub patient_family_name: Option<String>,
    pub patient_given_name: Option<String>,
    /// The patient payment's method (`cash`, `check`, `card`, `other`) and reference.
    pub payment_method: Option<String>,
    pub payment_reference: Option<String>,
    /// The remittance's BPR04 and TRN02 (the check number) and payer.
    pub remittance_method: Option<String>,
    pub remittance_trace: Option<String>,
    pub remittance_payer: Option<String>,
    /// The payer of the line's subledger, if any.
    pub payer_name: Option<String>,
}

/// A deposit made.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct DepositRow {
    pub practice_id: String,
    pub id: String,
    pub deposit_number: i64,
    pub deposit_date: String,
    pub account_id: String,
    pub total_cents: i64,
    pub item_count: i64,
    pub memo: String,
    pub journal_entry_id: String,
    pub made_by: String,
    pub made_at: String,
    pub reversal_entry_id: Option<String>,
    pub reversed_by: Option<String>,
    pub reversed_at: Option<String>,
    pub reversal_reason: Option<String>,
}

/// One item of a deposit, as the slip prints it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct DepositItemRow {
    pub practice_id: String,
    pub deposit_id: String,
    pub position: i64,
    pub entry_id: String,
    pub line_number: i64,
    pub received_date: String,
    pub kind: String,
    pub description: String,
    pub from_name: String,
    pub method: String,
    pub check_number: Option<String>,
    pub amount_cents: i64,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    /// `entry_id:line_number` while the deposit stands; `None` once undone.
    pub held_key: Option<String>,
}

/// The practice's undeposited items (journal lines debiting the account numbered
/// `undeposited_number`, neither reversals nor reversed, held by no standing deposit), oldest
/// first, at most `limit`.
pub async fn undeposited(conn: &mut AnyConnection, practice_id: &str, undeposited_number: &str, limit: i64) -> Result<Vec<UndepositedRow>> {
    Ok(sqlx::query_as(
        "SELECT l.entry_id, l.line_number, e.entry_number, l.entry_date, l.debit_cents AS amount_cents, e.memo AS entry_memo, \
         l.memo AS line_memo, e.source_kind, e.source_id, l.patient_id, l.payer_id, \
         pt.family_name AS patient_family_name, pt.given_name AS patient_given_name, \
         pp.method AS payment_method, pp.reference AS payment_reference, \
         r.payment_method AS remittance_method, r.trace_number AS remittance_trace, r.payer_name AS remittance_payer, \
         py.name AS payer_name \
         FROM journal_line l \
         JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         LEFT JOIN patient pt ON pt.practice_id = l.practice_id AND pt.id = l.patient_id \
         LEFT JOIN patient_payment pp ON pp.practice_id = e.practice_id AND pp.id = e.source_id \
             AND e.source_kind IN ('copay', 'patient_payment') \
         LEFT JOIN remittance r ON r.practice_id = e.practice_id AND r.id = e.source_id AND e.source_kind = 'remittance' \
         LEFT JOIN payer py ON py.practice_id = l.practice_id AND py.id = l.payer_id \
         WHERE l.practice_id = $1 AND a.number = $2 AND l.debit_cents > 0 AND e.reversal_of IS NULL \
         AND NOT EXISTS (SELECT 1 FROM journal_entry x WHERE x.practice_id = e.practice_id AND x.reversal_of = e.id) \
         AND NOT EXISTS (SELECT 1 FROM deposit_item d WHERE d.practice_id = l.practice_id AND d.entry_id = l.entry_id \
             AND d.line_number = l.line_number AND d.held_key IS NOT NULL) \
         ORDER BY l.entry_date, e.entry_number, l.line_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(undeposited_number)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Frees the items of deposits whose entry was reversed from the journal (not through "undo
/// deposit") and records that reversal on the deposit; returns how many deposits it found.
pub async fn release_reversed(conn: &mut AnyConnection, practice_id: &str) -> Result<u64> {
    let found = sqlx::query(
        "UPDATE deposit SET reversal_entry_id = (SELECT x.id FROM journal_entry x WHERE x.practice_id = deposit.practice_id \
             AND x.reversal_of = deposit.journal_entry_id), \
         reversed_by = (SELECT x.posted_by FROM journal_entry x WHERE x.practice_id = deposit.practice_id \
             AND x.reversal_of = deposit.journal_entry_id), \
         reversed_at = (SELECT x.posted_at FROM journal_entry x WHERE x.practice_id = deposit.practice_id \
             AND x.reversal_of = deposit.journal_entry_id), \
         reversal_reason = 'entry reversed in the journal' \
         WHERE practice_id = $1 AND reversal_entry_id IS NULL AND EXISTS (SELECT 1 FROM journal_entry x \
             WHERE x.practice_id = deposit.practice_id AND x.reversal_of = deposit.journal_entry_id)",
    )
    .bind(practice_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if found > 0 {
        sqlx::query(
            "UPDATE deposit_item SET held_key = NULL WHERE practice_id = $1 AND held_key IS NOT NULL AND deposit_id IN \
             (SELECT d.id FROM deposit d WHERE d.practice_id = $1 AND d.reversal_entry_id IS NOT NULL)",
        )
        .bind(practice_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(found)
}

pub async fn insert_deposit(conn: &mut AnyConnection, d: &DepositRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO deposit (practice_id, id, deposit_number, deposit_date, account_id, total_cents, item_count, memo, \
         journal_entry_id, made_by, made_at, reversal_entry_id, reversed_by, reversed_at, reversal_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&d.practice_id)
    .bind(&d.id)
    .bind(d.deposit_number)
    .bind(&d.deposit_date)
    .bind(&d.account_id)
    .bind(d.total_cents)
    .bind(d.item_count)
    .bind(&d.memo)
    .bind(&d.journal_entry_id)
    .bind(&d.made_by)
    .bind(&d.made_at)
    .bind(&d.reversal_entry_id)
    .bind(&d.reversed_by)
    .bind(&d.reversed_at)
    .bind(&d.reversal_reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores an item; `Conflict("deposit_item_once")` when a standing deposit holds it already.
pub async fn insert_item(conn: &mut AnyConnection, i: &DepositItemRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO deposit_item (practice_id, deposit_id, position, entry_id, line_number, received_date, kind, description, \
         from_name, method, check_number, amount_cents, patient_id, payer_id, held_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&i.practice_id)
    .bind(&i.deposit_id)
    .bind(i.position)
    .bind(&i.entry_id)
    .bind(i.line_number)
    .bind(&i.received_date)
    .bind(&i.kind)
    .bind(&i.description)
    .bind(&i.from_name)
    .bind(&i.method)
    .bind(&i.check_number)
    .bind(i.amount_cents)
    .bind(&i.patient_id)
    .bind(&i.payer_id)
    .bind(&i.held_key)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<DepositRow> {
    sqlx::query_as("SELECT * FROM deposit WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("deposit"))
}

/// The deposit's items in slip order.
pub async fn items(conn: &mut AnyConnection, practice_id: &str, deposit_id: &str) -> Result<Vec<DepositItemRow>> {
    Ok(sqlx::query_as("SELECT * FROM deposit_item WHERE practice_id = $1 AND deposit_id = $2 ORDER BY position")
        .bind(practice_id)
        .bind(deposit_id)
        .fetch_all(conn)
        .await?)
}

/// The latest deposits first (at most `limit`).
pub async fn list(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<DepositRow>> {
    Ok(sqlx::query_as("SELECT * FROM deposit WHERE practice_id = $1 ORDER BY deposit_number DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Records the reversal that undid a deposit and frees its items; false when it was undone
/// already.
pub async fn set_reversed(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    reversal_entry_id: &str,
    by: &str,
    at: &str,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE deposit SET reversal_entry_id = $3, reversed_by = $4, reversed_at = $5, reversal_reason = $6 \
         WHERE practice_id = $1 AND id = $2 AND reversal_entry_id IS NULL",
    )
    .bind(practice_id)
    .bind(id)
    .bind(reversal_entry_id)
    .bind(by)
    .bind(at)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE deposit_item SET held_key = NULL WHERE practice_id = $1 AND deposit_id = $2")
        .bind(practice_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// The deposit whose journal entry this is, if any (to name a bank line's deposit).
pub async fn by_entry(conn: &mut AnyConnection, practice_id: &str, entry_id: &str) -> Result<Option<DepositRow>> {
    Ok(sqlx::query_as("SELECT * FROM deposit WHERE practice_id = $1 AND journal_entry_id = $2")
        .bind(practice_id)
        .bind(entry_id)
        .fetch_optional(conn)
        .await?)
}
