//! Remittances (migrations 0027 and 0028): the 835 payments imported, keyed by the payer's id and the trace
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
    /// '835' or 'paper' (migration 0028).
    pub source: String,
    /// The PLB amounts posted: positive took money from the payment.
    pub provider_adjustment_cents: i64,
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
    /// CLP07.
    pub payer_claim_control_number: Option<String>,
    /// Claim-level remark codes (MOA/MIA), space-separated.
    pub remarks: String,
    /// Set on a posting a later remittance reversed.
    pub reversed_by_remittance_id: Option<String>,
    /// Set on a reversal: the remittance whose posting it took back.
    pub reverses_remittance_id: Option<String>,
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
         patient_responsibility_cents, imported_by, imported_at, source, provider_adjustment_cents) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
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
    .bind(&r.source)
    .bind(r.provider_adjustment_cents)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records what the import posted once its claims are done.
pub async fn set_totals(conn: &mut AnyConnection, r: &RemittanceRow) -> Result<()> {
    sqlx::query(
        "UPDATE remittance SET claims_matched = $3, claims_unmatched = $4, paid_cents = $5, adjustment_cents = $6, \
         patient_responsibility_cents = $7, provider_adjustment_cents = $8 WHERE practice_id = $1 AND id = $2",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(r.claims_matched)
    .bind(r.claims_unmatched)
    .bind(r.paid_cents)
    .bind(r.adjustment_cents)
    .bind(r.patient_responsibility_cents)
    .bind(r.provider_adjustment_cents)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_claim(conn: &mut AnyConnection, c: &RemittanceClaimRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO remittance_claim (practice_id, remittance_id, position, patient_control_number, claim_id, status_code, outcome, \
         charge_cents, paid_cents, adjustment_cents, patient_responsibility_cents, reason, journal_entry_id, adjudication_id, \
         secondary_claim_id, payer_claim_control_number, remarks, reversed_by_remittance_id, reverses_remittance_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
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
    .bind(&c.payer_claim_control_number)
    .bind(&c.remarks)
    .bind(&c.reversed_by_remittance_id)
    .bind(&c.reverses_remittance_id)
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
         imported_by, imported_at, source, provider_adjustment_cents FROM remittance WHERE practice_id = $1 ORDER BY imported_at DESC, id DESC LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit.clamp(1, LIST_LIMIT))
    .fetch_all(conn)
    .await?)
}

/// One CAS adjustment of a remittance's claim (line_position 0) or service line (1, 2...).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RemittanceAdjustmentRow {
    pub practice_id: String,
    pub remittance_id: String,
    pub claim_position: i64,
    pub line_position: i64,
    pub seq: i64,
    pub group_code: String,
    pub reason_code: String,
    pub amount_cents: i64,
}

/// One service line of a claim posted, with what the payer allowed against what it should have.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RemittanceLineRow {
    pub practice_id: String,
    pub remittance_id: String,
    pub claim_position: i64,
    pub line_position: i64,
    pub claim_id: Option<String>,
    pub procedure_code: String,
    pub modifiers: String,
    pub service_date: Option<String>,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub allowed_cents: i64,
    pub expected_cents: Option<i64>,
    /// expected - allowed when positive: an underpayment.
    pub short_cents: i64,
    /// The line's remark codes (LQ*HE), space-separated.
    pub remarks: String,
}

/// One provider-level adjustment (PLB pair) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RemittanceProviderAdjustmentRow {
    pub practice_id: String,
    pub remittance_id: String,
    pub position: i64,
    pub provider_id: String,
    pub reason_code: String,
    pub reference: Option<String>,
    pub amount_cents: i64,
    pub claim_id: Option<String>,
    /// posted or unmatched.
    pub outcome: String,
    /// The account number posted to.
    pub account: Option<String>,
    pub note: String,
}

pub async fn insert_adjustment(conn: &mut AnyConnection, a: &RemittanceAdjustmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO remittance_adjustment (practice_id, remittance_id, claim_position, line_position, seq, group_code, reason_code, \
         amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&a.practice_id)
    .bind(&a.remittance_id)
    .bind(a.claim_position)
    .bind(a.line_position)
    .bind(a.seq)
    .bind(&a.group_code)
    .bind(&a.reason_code)
    .bind(a.amount_cents)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_line(conn: &mut AnyConnection, l: &RemittanceLineRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO remittance_line (practice_id, remittance_id, claim_position, line_position, claim_id, procedure_code, modifiers, \
         service_date, charge_cents, paid_cents, allowed_cents, expected_cents, short_cents, remarks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&l.practice_id)
    .bind(&l.remittance_id)
    .bind(l.claim_position)
    .bind(l.line_position)
    .bind(&l.claim_id)
    .bind(&l.procedure_code)
    .bind(&l.modifiers)
    .bind(&l.service_date)
    .bind(l.charge_cents)
    .bind(l.paid_cents)
    .bind(l.allowed_cents)
    .bind(l.expected_cents)
    .bind(l.short_cents)
    .bind(&l.remarks)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_provider_adjustment(conn: &mut AnyConnection, p: &RemittanceProviderAdjustmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO remittance_provider_adjustment (practice_id, remittance_id, position, provider_id, reason_code, reference, \
         amount_cents, claim_id, outcome, account, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&p.practice_id)
    .bind(&p.remittance_id)
    .bind(p.position)
    .bind(&p.provider_id)
    .bind(&p.reason_code)
    .bind(&p.reference)
    .bind(p.amount_cents)
    .bind(&p.claim_id)
    .bind(&p.outcome)
    .bind(&p.account)
    .bind(&p.note)
    .execute(conn)
    .await?;
    Ok(())
}

/// A remittance's adjustments, by claim, line and file order.
pub async fn adjustments(conn: &mut AnyConnection, practice_id: &str, remittance_id: &str) -> Result<Vec<RemittanceAdjustmentRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM remittance_adjustment WHERE practice_id = $1 AND remittance_id = $2 ORDER BY claim_position, line_position, seq",
    )
    .bind(practice_id)
    .bind(remittance_id)
    .fetch_all(conn)
    .await?)
}

/// A remittance's service lines posted, by claim and line.
pub async fn lines(conn: &mut AnyConnection, practice_id: &str, remittance_id: &str) -> Result<Vec<RemittanceLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM remittance_line WHERE practice_id = $1 AND remittance_id = $2 ORDER BY claim_position, line_position")
        .bind(practice_id)
        .bind(remittance_id)
        .fetch_all(conn)
        .await?)
}

/// A remittance's provider-level adjustments in file order.
pub async fn provider_adjustments(
    conn: &mut AnyConnection,
    practice_id: &str,
    remittance_id: &str,
) -> Result<Vec<RemittanceProviderAdjustmentRow>> {
    Ok(sqlx::query_as("SELECT * FROM remittance_provider_adjustment WHERE practice_id = $1 AND remittance_id = $2 ORDER BY position")
        .bind(practice_id)
        .bind(remittance_id)
        .fetch_all(conn)
        .await?)
}

/// The latest posting (paid, partially paid or denied, not yet reversed) of our claim `claim_id`
/// or of the payer's claim control number, from an earlier remittance.
pub async fn latest_posting(
    conn: &mut AnyConnection,
    practice_id: &str,
    claim_id: Option<&str>,
    payer_claim_control_number: Option<&str>,
) -> Result<Option<RemittanceClaimRow>> {
    Ok(sqlx::query_as(
        "SELECT c.* FROM remittance_claim c JOIN remittance r ON r.practice_id = c.practice_id AND r.id = c.remittance_id \
         WHERE c.practice_id = $1 AND c.outcome IN ('paid', 'partially_paid', 'denied') AND c.reversed_by_remittance_id IS NULL \
         AND c.claim_id IS NOT NULL AND (c.claim_id = $2 OR c.payer_claim_control_number = $3) \
         ORDER BY r.imported_at DESC, c.remittance_id DESC, c.position DESC LIMIT 1",
    )
    .bind(practice_id)
    .bind(claim_id)
    .bind(payer_claim_control_number)
    .fetch_optional(conn)
    .await?)
}

/// Marks a claim's posting as taken back by the remittance `by`.
pub async fn set_reversed_by(conn: &mut AnyConnection, practice_id: &str, remittance_id: &str, position: i64, by: &str) -> Result<()> {
    sqlx::query(
        "UPDATE remittance_claim SET reversed_by_remittance_id = $4 WHERE practice_id = $1 AND remittance_id = $2 AND position = $3",
    )
    .bind(practice_id)
    .bind(remittance_id)
    .bind(position)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A line the payer allowed less for than its fee schedule says, with its remittance and claim.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct UnderpaymentRow {
    pub remittance_id: String,
    pub trace_number: String,
    pub payer_name: String,
    pub payment_date: Option<String>,
    pub claim_id: Option<String>,
    pub patient_control_number: String,
    pub line_position: i64,
    pub procedure_code: String,
    pub modifiers: String,
    pub service_date: Option<String>,
    pub expected_cents: i64,
    pub allowed_cents: i64,
    pub short_cents: i64,
}

/// The underpaid lines of postings not reversed since, newest first.
pub async fn underpayments(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<UnderpaymentRow>> {
    Ok(sqlx::query_as(
        "SELECT l.remittance_id, r.trace_number, r.payer_name, r.payment_date, l.claim_id, c.patient_control_number, l.line_position, \
         l.procedure_code, l.modifiers, l.service_date, COALESCE(l.expected_cents, 0) AS expected_cents, l.allowed_cents, l.short_cents \
         FROM remittance_line l \
         JOIN remittance r ON r.practice_id = l.practice_id AND r.id = l.remittance_id \
         JOIN remittance_claim c ON c.practice_id = l.practice_id AND c.remittance_id = l.remittance_id AND c.position = l.claim_position \
         WHERE l.practice_id = $1 AND l.short_cents > 0 AND c.reversed_by_remittance_id IS NULL \
         ORDER BY r.imported_at DESC, l.remittance_id, l.claim_position, l.line_position LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit.clamp(1, 1000))
    .fetch_all(conn)
    .await?)
}
