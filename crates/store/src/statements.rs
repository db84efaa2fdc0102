//! Patient statements' and late charges' tables (migration 0032_statements): `statement_settings`,
//! `statement_preference`, `statement_run`, `statement`, `statement_line`, `patient_late_charge`.
//! A late charge's journal entry is posted by the caller (`medoffice_app::late_charges`) in the
//! same transaction as its row.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most statements or late charges a list reads.
pub const MAX_LIST: i64 = 5_000;

/// The practice's statement terms.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StatementSettingsRow {
    pub practice_id: String,
    /// `monthly` or `letter_groups`.
    pub cycle: String,
    pub cycle_day: i64,
    pub net_days: i64,
    pub minimum_balance_cents: i64,
    pub message: Option<String>,
    pub late_rate_basis_points: i64,
    pub late_flat_fee_cents: i64,
    pub late_grace_days: i64,
    pub late_minimum_cents: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// A patient account's statement preferences.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StatementPreferenceRow {
    pub practice_id: String,
    pub patient_id: String,
    /// 1: don't send statements.
    pub hold: i64,
    /// `mail` or `email`.
    pub delivery: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// One statement run.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StatementRunRow {
    pub practice_id: String,
    pub id: String,
    pub run_date: String,
    /// `A-F` and the like, or empty for every family name.
    pub cycle_group: String,
    pub run_by: String,
    pub created_at: String,
}

/// A statement as sent.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StatementRow {
    pub practice_id: String,
    pub id: String,
    pub statement_number: i64,
    pub run_id: String,
    pub patient_id: String,
    pub statement_date: String,
    pub due_date: String,
    pub previous_statement_id: Option<String>,
    pub previous_balance_cents: i64,
    pub charges_cents: i64,
    pub payments_cents: i64,
    pub adjustments_cents: i64,
    pub balance_due_cents: i64,
    pub insurance_pending_cents: i64,
    pub aging_current_cents: i64,
    pub aging_31_60_cents: i64,
    pub aging_61_90_cents: i64,
    pub aging_91_120_cents: i64,
    pub aging_over_120_cents: i64,
    pub credit_cents: i64,
    pub late_charge_policy: String,
    pub message: Option<String>,
    pub recipient_name: String,
    /// The address lines, one a line.
    pub recipient_address: String,
    /// `mail` or `email`.
    pub delivery: String,
    pub email_address: Option<String>,
    pub email_error: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// One printed line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StatementLineRow {
    pub practice_id: String,
    pub statement_id: String,
    pub line_number: i64,
    /// The journal entry the line comes from.
    pub entry_id: String,
    pub entry_date: String,
    /// `charge`, `payment` or `adjustment`.
    pub kind: String,
    pub description: String,
    pub amount_cents: i64,
}

/// A late charge on a statement's past-due balance.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PatientLateChargeRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub statement_id: String,
    pub charge_date: String,
    pub amount_cents: i64,
    pub past_due_cents: i64,
    pub days_past_due: i64,
    pub journal_entry_id: String,
    pub reversal_date: Option<String>,
    pub reversal_reason: Option<String>,
    pub reversal_entry_id: Option<String>,
    pub reversed_by: Option<String>,
    pub created_at: String,
}

/// The practice's statement terms, if ever saved.
pub async fn get_settings(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<StatementSettingsRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement_settings WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}

/// Saves the practice's statement terms (insert or replace).
pub async fn put_settings(conn: &mut AnyConnection, s: &StatementSettingsRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO statement_settings (practice_id, cycle, cycle_day, net_days, minimum_balance_cents, message, \
         late_rate_basis_points, late_flat_fee_cents, late_grace_days, late_minimum_cents, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (practice_id) DO UPDATE SET cycle = $2, cycle_day = $3, net_days = $4, minimum_balance_cents = $5, \
         message = $6, late_rate_basis_points = $7, late_flat_fee_cents = $8, late_grace_days = $9, late_minimum_cents = $10, \
         updated_by = $11, updated_at = $12",
    )
    .bind(&s.practice_id)
    .bind(&s.cycle)
    .bind(s.cycle_day)
    .bind(s.net_days)
    .bind(s.minimum_balance_cents)
    .bind(&s.message)
    .bind(s.late_rate_basis_points)
    .bind(s.late_flat_fee_cents)
    .bind(s.late_grace_days)
    .bind(s.late_minimum_cents)
    .bind(&s.updated_by)
    .bind(&s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A patient's statement preferences, if ever set.
pub async fn get_preference(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Option<StatementPreferenceRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement_preference WHERE practice_id = $1 AND patient_id = $2")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_optional(conn)
        .await?)
}

/// Every patient's preferences that were set.
pub async fn all_preferences(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<StatementPreferenceRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement_preference WHERE practice_id = $1").bind(practice_id).fetch_all(conn).await?)
}

/// Saves a patient's statement preferences (insert or replace).
pub async fn put_preference(conn: &mut AnyConnection, p: &StatementPreferenceRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO statement_preference (practice_id, patient_id, hold, delivery, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (practice_id, patient_id) DO UPDATE SET hold = $3, delivery = $4, updated_by = $5, updated_at = $6",
    )
    .bind(&p.practice_id)
    .bind(&p.patient_id)
    .bind(p.hold)
    .bind(&p.delivery)
    .bind(&p.updated_by)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The run of a date and group, if there is one.
pub async fn find_run(conn: &mut AnyConnection, practice_id: &str, run_date: &str, cycle_group: &str) -> Result<Option<StatementRunRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement_run WHERE practice_id = $1 AND run_date = $2 AND cycle_group = $3")
        .bind(practice_id)
        .bind(run_date)
        .bind(cycle_group)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert_run(conn: &mut AnyConnection, r: &StatementRunRow) -> Result<()> {
    sqlx::query("INSERT INTO statement_run (practice_id, id, run_date, cycle_group, run_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&r.practice_id)
        .bind(&r.id)
        .bind(&r.run_date)
        .bind(&r.cycle_group)
        .bind(&r.run_by)
        .bind(&r.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_run(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<StatementRunRow> {
    sqlx::query_as("SELECT * FROM statement_run WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("statement run"))
}

/// The runs, newest first, at most `limit`.
pub async fn list_runs(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<StatementRunRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement_run WHERE practice_id = $1 ORDER BY run_date DESC, created_at DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn insert_statement(conn: &mut AnyConnection, s: &StatementRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO statement (practice_id, id, statement_number, run_id, patient_id, statement_date, due_date, \
         previous_statement_id, previous_balance_cents, charges_cents, payments_cents, adjustments_cents, balance_due_cents, \
         insurance_pending_cents, aging_current_cents, aging_31_60_cents, aging_61_90_cents, aging_91_120_cents, \
         aging_over_120_cents, credit_cents, late_charge_policy, message, recipient_name, recipient_address, delivery, \
         email_address, email_error, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
         $24, $25, $26, $27, $28, $29)",
    )
    .bind(&s.practice_id)
    .bind(&s.id)
    .bind(s.statement_number)
    .bind(&s.run_id)
    .bind(&s.patient_id)
    .bind(&s.statement_date)
    .bind(&s.due_date)
    .bind(&s.previous_statement_id)
    .bind(s.previous_balance_cents)
    .bind(s.charges_cents)
    .bind(s.payments_cents)
    .bind(s.adjustments_cents)
    .bind(s.balance_due_cents)
    .bind(s.insurance_pending_cents)
    .bind(s.aging_current_cents)
    .bind(s.aging_31_60_cents)
    .bind(s.aging_61_90_cents)
    .bind(s.aging_91_120_cents)
    .bind(s.aging_over_120_cents)
    .bind(s.credit_cents)
    .bind(&s.late_charge_policy)
    .bind(&s.message)
    .bind(&s.recipient_name)
    .bind(&s.recipient_address)
    .bind(&s.delivery)
    .bind(&s.email_address)
    .bind(&s.email_error)
    .bind(&s.created_by)
    .bind(&s.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_line(conn: &mut AnyConnection, l: &StatementLineRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO statement_line (practice_id, statement_id, line_number, entry_id, entry_date, kind, description, amount_cents) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&l.practice_id)
    .bind(&l.statement_id)
    .bind(l.line_number)
    .bind(&l.entry_id)
    .bind(&l.entry_date)
    .bind(&l.kind)
    .bind(&l.description)
    .bind(l.amount_cents)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records how a statement went out (an e-mail that failed goes by mail, with the reason).
pub async fn set_delivery(conn: &mut AnyConnection, practice_id: &str, id: &str, delivery: &str, email_error: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE statement SET delivery = $3, email_error = $4 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(delivery)
        .bind(email_error)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_statement(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<StatementRow> {
    sqlx::query_as("SELECT * FROM statement WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("statement"))
}

/// A statement's lines in order.
pub async fn lines_of_statement(conn: &mut AnyConnection, practice_id: &str, statement_id: &str) -> Result<Vec<StatementLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement_line WHERE practice_id = $1 AND statement_id = $2 ORDER BY line_number")
        .bind(practice_id)
        .bind(statement_id)
        .fetch_all(conn)
        .await?)
}

/// A run's statements by number.
pub async fn statements_of_run(conn: &mut AnyConnection, practice_id: &str, run_id: &str) -> Result<Vec<StatementRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement WHERE practice_id = $1 AND run_id = $2 ORDER BY statement_number")
        .bind(practice_id)
        .bind(run_id)
        .fetch_all(conn)
        .await?)
}

/// A patient's statements, newest first.
pub async fn statements_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<StatementRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM statement WHERE practice_id = $1 AND patient_id = $2 ORDER BY statement_date DESC, statement_number DESC LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every statement, newest first, at most `limit`.
pub async fn list_statements(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<StatementRow>> {
    Ok(sqlx::query_as("SELECT * FROM statement WHERE practice_id = $1 ORDER BY statement_date DESC, statement_number DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// A patient's latest statement dated on or before `on_or_before` (`YYYY-MM-DD`).
pub async fn latest_statement(
    conn: &mut AnyConnection,
    practice_id: &str,
    patient_id: &str,
    on_or_before: &str,
) -> Result<Option<StatementRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM statement WHERE practice_id = $1 AND patient_id = $2 AND statement_date <= $3 \
         ORDER BY statement_date DESC, statement_number DESC LIMIT 1",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(on_or_before)
    .fetch_optional(conn)
    .await?)
}

/// Every patient's latest statement dated on or before `on_or_before`.
pub async fn latest_statements(conn: &mut AnyConnection, practice_id: &str, on_or_before: &str) -> Result<Vec<StatementRow>> {
    Ok(sqlx::query_as(
        "SELECT s.* FROM statement s WHERE s.practice_id = $1 AND s.statement_date <= $2 AND s.statement_number = \
         (SELECT MAX(t.statement_number) FROM statement t WHERE t.practice_id = s.practice_id AND t.patient_id = s.patient_id \
          AND t.statement_date <= $2) ORDER BY s.patient_id",
    )
    .bind(practice_id)
    .bind(on_or_before)
    .fetch_all(conn)
    .await?)
}

/// The journal entries already on one of the patient's statements.
pub async fn stated_entry_ids(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT sl.entry_id FROM statement_line sl JOIN statement s ON s.practice_id = sl.practice_id AND s.id = sl.statement_id \
         WHERE s.practice_id = $1 AND s.patient_id = $2",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// What the patient paid or was credited on AR - Patients (1110) up to `as_of` on entries not
/// yet on any of the patient's statements (so: since the latest one), leaving out the reversals
/// of late charges (a late charge was never part of a statement's balance, so its reversal does
/// not pay it).
pub async fn unstated_patient_credits(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, as_of: &str) -> Result<i64> {
    let (cents,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND l.patient_id = $2 AND a.number = '1110' AND l.entry_date <= $3 \
         AND NOT EXISTS (SELECT 1 FROM statement_line sl JOIN statement s ON s.practice_id = sl.practice_id AND s.id = sl.statement_id \
           WHERE sl.practice_id = l.practice_id AND s.patient_id = l.patient_id AND sl.entry_id = l.entry_id) \
         AND NOT EXISTS (SELECT 1 FROM patient_late_charge c WHERE c.practice_id = l.practice_id AND c.reversal_entry_id = l.entry_id)",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(as_of)
    .fetch_one(conn)
    .await?;
    Ok(cents)
}

pub async fn insert_late_charge(conn: &mut AnyConnection, c: &PatientLateChargeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO patient_late_charge (practice_id, id, patient_id, statement_id, charge_date, amount_cents, past_due_cents, \
         days_past_due, journal_entry_id, reversal_date, reversal_reason, reversal_entry_id, reversed_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&c.practice_id)
    .bind(&c.id)
    .bind(&c.patient_id)
    .bind(&c.statement_id)
    .bind(&c.charge_date)
    .bind(c.amount_cents)
    .bind(c.past_due_cents)
    .bind(c.days_past_due)
    .bind(&c.journal_entry_id)
    .bind(&c.reversal_date)
    .bind(&c.reversal_reason)
    .bind(&c.reversal_entry_id)
    .bind(&c.reversed_by)
    .bind(&c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_late_charge(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PatientLateChargeRow> {
    sqlx::query_as("SELECT * FROM patient_late_charge WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("late charge"))
}

/// The late charge of a statement, if it was charged.
pub async fn late_charge_of_statement(
    conn: &mut AnyConnection,
    practice_id: &str,
    statement_id: &str,
) -> Result<Option<PatientLateChargeRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient_late_charge WHERE practice_id = $1 AND statement_id = $2")
        .bind(practice_id)
        .bind(statement_id)
        .fetch_optional(conn)
        .await?)
}

/// A patient's late charges, newest first.
pub async fn late_charges_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<PatientLateChargeRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM patient_late_charge WHERE practice_id = $1 AND patient_id = $2 ORDER BY charge_date DESC, id DESC LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(MAX_LIST)
    .fetch_all(conn)
    .await?)
}

/// Every late charge, newest first, at most `limit`.
pub async fn list_late_charges(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<PatientLateChargeRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient_late_charge WHERE practice_id = $1 ORDER BY charge_date DESC, id DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Marks a late charge reversed (only once: a second call changes nothing and answers false).
pub async fn reverse_late_charge(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    date: &str,
    reason: &str,
    entry_id: &str,
    by: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE patient_late_charge SET reversal_date = $3, reversal_reason = $4, reversal_entry_id = $5, reversed_by = $6 \
         WHERE practice_id = $1 AND id = $2 AND reversal_entry_id IS NULL",
    )
    .bind(practice_id)
    .bind(id)
    .bind(date)
    .bind(reason)
    .bind(entry_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
