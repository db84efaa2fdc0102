//! Corrected and secondary claims (migration 0023): the links between claims of one encounter (a
//! replacement or void names the claim it corrects; a secondary claim names the primary claim and
//! the primary's adjudication it was written from) and the payers' adjudications (claim, lines,
//! adjustments), written alike by hand entry and, later, by 835 posting.

use crate::Result;
use sqlx::{AnyConnection, FromRow};

/// A claim's links to the claims it corrects or follows.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimLinksRow {
    pub corrects_claim_id: Option<String>,
    pub primary_claim_id: Option<String>,
    pub primary_adjudication_id: Option<String>,
}

/// Another claim of the encounter that names this one (a correction of it or its secondary).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct LinkedClaimRow {
    pub id: String,
    pub claim_number: i64,
    pub status: String,
    pub frequency_code: String,
    pub corrects_claim_id: Option<String>,
    pub primary_claim_id: Option<String>,
}

/// A payer's decision on a claim.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AdjudicationRow {
    pub practice_id: String,
    pub id: String,
    pub claim_id: String,
    pub payer_id: String,
    /// `manual` or `remittance`.
    pub source: String,
    pub remittance_id: Option<String>,
    pub adjudicated_on: String,
    pub paid_cents: i64,
    pub payer_claim_control_number: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// A payer's decision on one service line.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AdjudicationLineRow {
    pub practice_id: String,
    pub adjudication_id: String,
    pub line_number: i64,
    pub procedure_code: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub paid_units: i64,
}

/// One adjustment (CAS) of an adjudication; `line_number` 0 for the claim's own.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AdjustmentRow {
    pub practice_id: String,
    pub adjudication_id: String,
    pub position: i64,
    pub line_number: i64,
    pub group_code: String,
    pub reason_code: String,
    pub amount_cents: i64,
    pub quantity: Option<String>,
}

pub async fn links(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<ClaimLinksRow> {
    Ok(sqlx::query_as("SELECT corrects_claim_id, primary_claim_id, primary_adjudication_id FROM claim WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(claim_id)
        .fetch_optional(conn)
        .await?
        .unwrap_or_default())
}

pub async fn set_links(conn: &mut AnyConnection, practice_id: &str, claim_id: &str, links: &ClaimLinksRow) -> Result<()> {
    sqlx::query(
        "UPDATE claim SET corrects_claim_id = $3, primary_claim_id = $4, primary_adjudication_id = $5 WHERE practice_id = $1 AND id = $2",
    )
    .bind(practice_id)
    .bind(claim_id)
    .bind(&links.corrects_claim_id)
    .bind(&links.primary_claim_id)
    .bind(&links.primary_adjudication_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The claims that name this one, as its correction or as its secondary, oldest first.
pub async fn linked_to(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Vec<LinkedClaimRow>> {
    Ok(sqlx::query_as(
        "SELECT id, claim_number, status, frequency_code, corrects_claim_id, primary_claim_id FROM claim \
         WHERE practice_id = $1 AND (corrects_claim_id = $2 OR primary_claim_id = $2) ORDER BY claim_number",
    )
    .bind(practice_id)
    .bind(claim_id)
    .fetch_all(conn)
    .await?)
}

/// One claim's number, status and frequency (to show a link).
pub async fn linked_claim(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Option<LinkedClaimRow>> {
    Ok(sqlx::query_as(
        "SELECT id, claim_number, status, frequency_code, corrects_claim_id, primary_claim_id FROM claim \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(practice_id)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?)
}

/// Writes an adjudication with its lines and adjustments.
pub async fn insert_adjudication(
    conn: &mut AnyConnection,
    a: &AdjudicationRow,
    lines: &[AdjudicationLineRow],
    adjustments: &[AdjustmentRow],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_adjudication (practice_id, id, claim_id, payer_id, source, remittance_id, adjudicated_on, paid_cents, \
         payer_claim_control_number, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&a.practice_id)
    .bind(&a.id)
    .bind(&a.claim_id)
    .bind(&a.payer_id)
    .bind(&a.source)
    .bind(&a.remittance_id)
    .bind(&a.adjudicated_on)
    .bind(a.paid_cents)
    .bind(&a.payer_claim_control_number)
    .bind(&a.created_by)
    .bind(&a.created_at)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO claim_adjudication_line (practice_id, adjudication_id, line_number, procedure_code, charge_cents, paid_cents, \
             paid_units) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&l.practice_id)
        .bind(&l.adjudication_id)
        .bind(l.line_number)
        .bind(&l.procedure_code)
        .bind(l.charge_cents)
        .bind(l.paid_cents)
        .bind(l.paid_units)
        .execute(&mut *conn)
        .await?;
    }
    for j in adjustments {
        sqlx::query(
            "INSERT INTO claim_adjustment (practice_id, adjudication_id, position, line_number, group_code, reason_code, amount_cents, \
             quantity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&j.practice_id)
        .bind(&j.adjudication_id)
        .bind(j.position)
        .bind(j.line_number)
        .bind(&j.group_code)
        .bind(&j.reason_code)
        .bind(j.amount_cents)
        .bind(&j.quantity)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The payer's latest word on a claim, if any.
pub async fn latest_adjudication(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Option<AdjudicationRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM claim_adjudication WHERE practice_id = $1 AND claim_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(practice_id)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?)
}

/// An adjudication with its lines (by line number) and adjustments (by position).
pub async fn adjudication(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
) -> Result<Option<(AdjudicationRow, Vec<AdjudicationLineRow>, Vec<AdjustmentRow>)>> {
    let row: Option<AdjudicationRow> = sqlx::query_as("SELECT * FROM claim_adjudication WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let lines =
        sqlx::query_as("SELECT * FROM claim_adjudication_line WHERE practice_id = $1 AND adjudication_id = $2 ORDER BY line_number")
            .bind(practice_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let adjustments = sqlx::query_as("SELECT * FROM claim_adjustment WHERE practice_id = $1 AND adjudication_id = $2 ORDER BY position")
        .bind(practice_id)
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(Some((row, lines, adjustments)))
}
