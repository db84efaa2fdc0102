//! The patient's account (issue 7, patient AR): read from the journal, never stored twice. A
//! patient's account is every journal line linked to the patient (`journal_line.patient_id`) on the
//! two receivable control accounts, 1100 AR - Insurance and 1110 AR - Patients; payments taken at
//! any time are `patient_payment` rows (migration 0004) with purpose `balance`.

use crate::Result;
use crate::front_desk::PaymentRow;
use sqlx::{AnyConnection, FromRow};

/// One AR line of a patient, with its entry's number, memo and source.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ArLineRow {
    pub entry_id: String,
    pub entry_number: i64,
    pub entry_date: String,
    pub entry_memo: String,
    pub source_kind: String,
    pub reversal_of: Option<String>,
    pub line_number: i64,
    /// `1100` or `1110`.
    pub account_number: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub payer_id: Option<String>,
    pub claim_id: Option<String>,
}

/// The patient's lines on AR - Insurance (1100) and AR - Patients (1110), oldest first (by date,
/// then entry number), at most `limit`.
pub async fn ar_lines_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<ArLineRow>> {
    Ok(sqlx::query_as(
        "SELECT l.entry_id, e.entry_number, l.entry_date, e.memo AS entry_memo, e.source_kind, e.reversal_of, l.line_number, \
         a.number AS account_number, l.debit_cents, l.credit_cents, l.payer_id, l.claim_id \
         FROM journal_line l \
         JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND l.patient_id = $2 AND a.number IN ('1100', '1110') \
         ORDER BY l.entry_date, e.entry_number, l.line_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every payment of a patient (co-pays and payments at any time, voided ones too), newest first.
pub async fn payments_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<PaymentRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient_payment WHERE practice_id = $1 AND patient_id = $2 ORDER BY receipt_number DESC LIMIT $3")
        .bind(practice_id)
        .bind(patient_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// The patients whose AR - Patients (1110) balance is a credit (more paid than owed): patient id and
/// the credit in cents (positive), largest first, at most `limit`.
pub async fn patients_with_credit(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT l.patient_id, CAST(SUM(l.credit_cents) - SUM(l.debit_cents) AS BIGINT) AS credit \
         FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number = '1110' AND l.patient_id IS NOT NULL \
         GROUP BY l.patient_id HAVING SUM(l.credit_cents) > SUM(l.debit_cents) \
         ORDER BY credit DESC, l.patient_id LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
