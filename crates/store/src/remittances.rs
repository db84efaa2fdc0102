//! Remittances (migration 0027): the 835 payments imported, keyed by the payer's id and the trace
//! number so the same payment is never posted twice, and what became of each claim they name.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most remittances the remittances page lists.
pub const LIST_LIMIT: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RemittanceRow {
    pub practice_id: String,
    pub id: String,
    pub payer_identifier: String,
    pub trace_number: String,
    pub payer_name: String,
    pub payment_method: String,
    pub payment_date: Option<String>,
    pub total_paid_cents: i64,
    pub file_name: String,
    pub content: String,
    pub claims_matched: i64,
    pub claims_unmatched: i64,
    pub paid_cents: i64,
    pub adjustment_cents: i64,
    pub patient_responsibility_cents: i64,
    pub imported_by: String,
    pub imported_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RemittanceClaimRow {
    pub practice_id: String,
    pub remittance_id: String,
    pub position: i64,
    pub patient_control_number: String,
    pub claim_id: Option<String>,
    pub status_code: String,
    /// paid, partially_paid, denied or unmatched.
    pub outcome: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub adjustment_cents: i64,
    pub patient_responsibility_cents: i64,
    pub reason: String,
    pub journal_entry_id: Option<String>,
    pub adjudication_id: Option<String>,
    pub secondary_claim_id: Option<String>,
}

/// The remittance already imported with this payer id and trace number, if any.
pub async fn by_trace(
    conn: &mut AnyConnection,
    practice_id: &str,
    payer_identifier: &str,
    trace_number: &str,
) -> Result<Option<RemittanceRow>> {
    Ok(sqlx::query_as("SELECT * FROM remittance WHERE practice_id = $1 AND payer_identifier = $2 AND trace_number = $3")
        .bind(practice_id)
        .bind(payer_identifier)
        .bind(trace_number)
        .fetch_optional(conn)
        .await?)
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<RemittanceRow> {
    sqlx::query_as("SELECT * FROM remittance WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("remittance"))
}

/// Stores a remittance; `Conflict("remittance_unique")` when the payer's trace number is stored
/// already (a concurrent import waits here for the first to finish).
pub async fn insert(conn: &mut AnyConnection, r: &RemittanceRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO remittance (practice_id, id, payer_identifier, trace_number, payer_name, payment_method, payment_date, \
         total_paid_cents, file_name, content, claims_matched, claims_unmatched, paid_cents, adjustment_cents, \
         patient_responsibility_cents, imported_by, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.payer_identifier)
    .bind(&r.trace_number)
    .bind(&r.payer_name)
    .bind(&r.payment_method)
    .bind(&r.payment_date)
    .bind(r.total_paid_cents)
    .bind(&r.file_name)
    .bind(&r.content)
    .bind(r.claims_matched)
    .bind(r.claims_unmatched)
    .bind(r.paid_cents)
    .bind(r.adjustment_cents)
    .bind(r.patient_responsibility_cents)
    .bind(&r.imported_by)
    .bind(&r.imported_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records what the import posted once its claims are done.
pub async fn set_totals(conn: &mut AnyConnection, r: &RemittanceRow) -> Result<()> {
    sqlx::query(
        "UPDATE remittance SET claims_matched = $3, claims_unmatched = $4, paid_cents = $5, adjustment_cents = $6, \
         patient_responsibility_cents = $7 WHERE practice_id = $1 AND id = $2",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(r.claims_matched)
    .bind(r.claims_unmatched)
    .bind(r.paid_cents)
    .bind(r.adjustment_cents)
    .bind(r.patient_responsibility_cents)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_claim(conn: &mut AnyConnection, c: &RemittanceClaimRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO remittance_claim (practice_id, remittance_id, position, patient_control_number, claim_id, status_code, outcome, \
         charge_cents, paid_cents, adjustment_cents, patient_responsibility_cents, reason, journal_entry_id, adjudication_id, \
         secondary_claim_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&c.practice_id)
    .bind(&c.remittance_id)
    .bind(c.position)
    .bind(&c.patient_control_number)
    .bind(&c.claim_id)
    .bind(&c.status_code)
    .bind(&c.outcome)
    .bind(c.charge_cents)
    .bind(c.paid_cents)
    .bind(c.adjustment_cents)
    .bind(c.patient_responsibility_cents)
    .bind(&c.reason)
    .bind(&c.journal_entry_id)
    .bind(&c.adjudication_id)
    .bind(&c.secondary_claim_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A remittance's claims in file order.
pub async fn claims(conn: &mut AnyConnection, practice_id: &str, remittance_id: &str) -> Result<Vec<RemittanceClaimRow>> {
    Ok(sqlx::query_as("SELECT * FROM remittance_claim WHERE practice_id = $1 AND remittance_id = $2 ORDER BY position")
        .bind(practice_id)
        .bind(remittance_id)
        .fetch_all(conn)
        .await?)
}

/// The latest remittances, newest first, without their content.
pub async fn list(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<RemittanceRow>> {
    Ok(sqlx::query_as(
        "SELECT practice_id, id, payer_identifier, trace_number, payer_name, payment_method, payment_date, total_paid_cents, \
         file_name, '' AS content, claims_matched, claims_unmatched, paid_cents, adjustment_cents, patient_responsibility_cents, \
         imported_by, imported_at FROM remittance WHERE practice_id = $1 ORDER BY imported_at DESC, id DESC LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit.clamp(1, LIST_LIMIT))
    .fetch_all(conn)
    .await?)
}
