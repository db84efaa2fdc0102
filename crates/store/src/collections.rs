//! Collections and refunds (migration 0034_collections): follow-up notes, dunning letters,
//! payment plans, collection agency exports with their bad-debt write-offs, recoveries and
//! refunds of credit balances. Balances are never stored here: they are the journal's lines on
//! AR - Patients, read through `receivables`. The journal entries are posted by the caller
//! (`medoffice_app::collections`, `payment_plans`, `refunds`) in the same transaction.

use crate::Result;
use sqlx::{AnyConnection, FromRow};

/// The most rows a per-patient history reads.
pub const MAX_HISTORY: i64 = 500;

/// A follow-up note.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NoteRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub note: String,
    pub next_action_date: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_note(conn: &mut AnyConnection, r: &NoteRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO collection_note (practice_id, id, patient_id, note, next_action_date, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(&r.note)
    .bind(&r.next_action_date)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One patient's notes, newest first.
pub async fn notes_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<NoteRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM collection_note WHERE practice_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(MAX_HISTORY)
    .fetch_all(conn)
    .await?)
}

/// Every patient's latest note (the worklist's column).
pub async fn latest_notes(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<NoteRow>> {
    Ok(sqlx::query_as(
        "SELECT n.* FROM collection_note n WHERE n.practice_id = $1 AND n.created_at = \
         (SELECT MAX(m.created_at) FROM collection_note m WHERE m.practice_id = n.practice_id AND m.patient_id = n.patient_id) \
         ORDER BY n.patient_id, n.id DESC",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// A dunning letter.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LetterRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub level: i64,
    pub letter_date: String,
    pub days_past_due: i64,
    pub balance_cents: i64,
    pub body: String,
    pub outgoing_mail_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// Inserts a letter unless the patient already had this level: false when it was there.
pub async fn insert_letter(conn: &mut AnyConnection, r: &LetterRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO dunning_letter (practice_id, id, patient_id, level, letter_date, days_past_due, balance_cents, body, \
         outgoing_mail_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (practice_id, patient_id, level) DO NOTHING",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(r.level)
    .bind(&r.letter_date)
    .bind(r.days_past_due)
    .bind(r.balance_cents)
    .bind(&r.body)
    .bind(&r.outgoing_mail_id)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_letter_mail(conn: &mut AnyConnection, practice_id: &str, id: &str, mail_id: &str) -> Result<()> {
    sqlx::query("UPDATE dunning_letter SET outgoing_mail_id = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(mail_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_letter(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<LetterRow> {
    sqlx::query_as("SELECT * FROM dunning_letter WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::StoreError::NotFound("dunning letter"))
}

/// One patient's letters, by level.
pub async fn letters_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<LetterRow>> {
    Ok(sqlx::query_as("SELECT * FROM dunning_letter WHERE practice_id = $1 AND patient_id = $2 ORDER BY level")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_all(conn)
        .await?)
}

/// Every patient's highest letter level and its date.
pub async fn last_letters(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT d.patient_id, d.level, d.letter_date FROM dunning_letter d WHERE d.practice_id = $1 AND d.level = \
         (SELECT MAX(e.level) FROM dunning_letter e WHERE e.practice_id = d.practice_id AND e.patient_id = d.patient_id)",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// A payment plan.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PlanRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub total_cents: i64,
    pub monthly_cents: i64,
    pub day_of_month: i64,
    pub start_date: String,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
    pub completed_on: Option<String>,
    pub cancelled_on: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// Inserts a plan; a second active plan of the patient is `Conflict("payment_plan_one_active")`.
pub async fn insert_plan(conn: &mut AnyConnection, r: &PlanRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_plan (practice_id, id, patient_id, total_cents, monthly_cents, day_of_month, start_date, status, \
         completed_on, cancelled_on, cancel_reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(r.total_cents)
    .bind(r.monthly_cents)
    .bind(r.day_of_month)
    .bind(&r.start_date)
    .bind(&r.status)
    .bind(&r.completed_on)
    .bind(&r.cancelled_on)
    .bind(&r.cancel_reason)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await
    .map_err(|e| match crate::StoreError::from(e) {
        crate::StoreError::Conflict(_) => crate::StoreError::Conflict("payment_plan_one_active".into()),
        other => other,
    })?;
    Ok(())
}

pub async fn get_plan(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PlanRow> {
    sqlx::query_as("SELECT * FROM payment_plan WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::StoreError::NotFound("payment plan"))
}

/// Plans, newest first: every one (`status` empty) or those of one status; one patient's when
/// `patient_id` is given.
pub async fn plans(conn: &mut AnyConnection, practice_id: &str, status: &str, patient_id: Option<&str>) -> Result<Vec<PlanRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM payment_plan WHERE practice_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR patient_id = $3) \
         ORDER BY created_at DESC, id LIMIT $4",
    )
    .bind(practice_id)
    .bind(status)
    .bind(patient_id.unwrap_or(""))
    .bind(MAX_HISTORY * 10)
    .fetch_all(conn)
    .await?)
}

/// Moves an active plan to `completed` or `cancelled`; false when it was not active.
pub async fn close_plan(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    status: &str,
    on: &str,
    reason: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payment_plan SET status = $3, \
         completed_on = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_on END, \
         cancelled_on = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_on END, cancel_reason = $5 \
         WHERE practice_id = $1 AND id = $2 AND status = 'active'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(status)
    .bind(on)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A patient's payments not voided, as (the entry's date, cents), oldest first.
pub async fn payments_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT e.entry_date, p.amount_cents FROM patient_payment p \
         JOIN journal_entry e ON e.practice_id = p.practice_id AND e.id = p.ledger_entry_id \
         WHERE p.practice_id = $1 AND p.patient_id = $2 AND p.voided_at IS NULL ORDER BY e.entry_date, p.receipt_number",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_all(conn)
    .await?)
}

/// Every patient's last payment date (payments not voided).
pub async fn last_payment_dates(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT p.patient_id, MAX(e.entry_date) FROM patient_payment p \
         JOIN journal_entry e ON e.practice_id = p.practice_id AND e.id = p.ledger_entry_id \
         WHERE p.practice_id = $1 AND p.voided_at IS NULL GROUP BY p.patient_id",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// An agency export.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ExportRow {
    pub practice_id: String,
    pub id: String,
    pub agency_name: String,
    pub file_name: String,
    pub content: String,
    pub accounts: i64,
    pub total_cents: i64,
    pub journal_entry_id: String,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_export(conn: &mut AnyConnection, r: &ExportRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO collection_agency_export (practice_id, id, agency_name, file_name, content, accounts, total_cents, \
         journal_entry_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.agency_name)
    .bind(&r.file_name)
    .bind(&r.content)
    .bind(r.accounts)
    .bind(r.total_cents)
    .bind(&r.journal_entry_id)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_export(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ExportRow> {
    sqlx::query_as("SELECT * FROM collection_agency_export WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::StoreError::NotFound("agency export"))
}

/// The exports, newest first.
pub async fn exports(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<ExportRow>> {
    Ok(sqlx::query_as("SELECT * FROM collection_agency_export WHERE practice_id = $1 ORDER BY created_at DESC, id LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Flags an account sent to collections; `Conflict` when it already was.
pub async fn insert_collection_account(
    conn: &mut AnyConnection,
    practice_id: &str,
    patient_id: &str,
    export_id: &str,
    agency_name: &str,
    sent_on: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO collection_account (practice_id, patient_id, export_id, agency_name, sent_on) VALUES ($1, $2, $3, $4, $5)")
        .bind(practice_id)
        .bind(patient_id)
        .bind(export_id)
        .bind(agency_name)
        .bind(sent_on)
        .execute(conn)
        .await?;
    Ok(())
}

/// The accounts sent to collections as (patient, agency, sent on).
pub async fn collection_accounts(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as("SELECT patient_id, agency_name, sent_on FROM collection_account WHERE practice_id = $1")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

/// A write-off to bad debt.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WriteOffRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    /// `agency` or `adjustment`.
    pub kind: String,
    pub amount_cents: i64,
    pub reason: String,
    pub export_id: Option<String>,
    pub journal_entry_id: String,
    pub write_off_date: String,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_write_off(conn: &mut AnyConnection, r: &WriteOffRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO bad_debt_write_off (practice_id, id, patient_id, kind, amount_cents, reason, export_id, journal_entry_id, \
         write_off_date, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(&r.kind)
    .bind(r.amount_cents)
    .bind(&r.reason)
    .bind(&r.export_id)
    .bind(&r.journal_entry_id)
    .bind(&r.write_off_date)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One patient's write-offs, newest first.
pub async fn write_offs_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<WriteOffRow>> {
    Ok(sqlx::query_as("SELECT * FROM bad_debt_write_off WHERE practice_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id LIMIT $3")
        .bind(practice_id)
        .bind(patient_id)
        .bind(MAX_HISTORY)
        .fetch_all(conn)
        .await?)
}

/// What was written off of a patient's account and what later payments recovered, cents.
pub async fn written_off_and_recovered(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<(i64, i64)> {
    let (written,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM bad_debt_write_off WHERE practice_id = $1 AND patient_id = $2",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_one(&mut *conn)
    .await?;
    let (recovered,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM bad_debt_recovery WHERE practice_id = $1 AND patient_id = $2",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_one(conn)
    .await?;
    Ok((written, recovered))
}

/// Records a recovery (the payment's restoring entry).
pub async fn insert_recovery(
    conn: &mut AnyConnection,
    practice_id: &str,
    payment_id: &str,
    patient_id: &str,
    amount_cents: i64,
    entry_id: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO bad_debt_recovery (practice_id, payment_id, patient_id, amount_cents, journal_entry_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(practice_id)
    .bind(payment_id)
    .bind(patient_id)
    .bind(amount_cents)
    .bind(entry_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A refund of a credit balance.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RefundRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub amount_cents: i64,
    /// `check`, `card` or `ach`.
    pub method: String,
    pub reference: String,
    pub refund_date: String,
    pub journal_entry_id: String,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_refund(conn: &mut AnyConnection, r: &RefundRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO patient_refund (practice_id, id, patient_id, amount_cents, method, reference, refund_date, journal_entry_id, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(r.amount_cents)
    .bind(&r.method)
    .bind(&r.reference)
    .bind(&r.refund_date)
    .bind(&r.journal_entry_id)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One patient's refunds (every patient's when `patient_id` is empty), newest first.
pub async fn refunds(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<RefundRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM patient_refund WHERE practice_id = $1 AND ($2 = '' OR patient_id = $2) ORDER BY created_at DESC, id LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(MAX_HISTORY)
    .fetch_all(conn)
    .await?)
}

/// Makes concurrent money events on one patient's account queue (a no-op update of the patient
/// row: a row lock on PostgreSQL, implied by SQLite's single writer), so two refunds or two
/// write-offs never both pass the balance check.
pub async fn lock_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<()> {
    sqlx::query("UPDATE patient SET family_name = family_name WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(patient_id)
        .execute(conn)
        .await?;
    Ok(())
}
