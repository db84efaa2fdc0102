//! Claim status inquiries (migration 0022): the 276 files asked (`claim_status_request`), the
//! claims each asked about with their trace numbers (`claim_status_inquiry`), the 277 files
//! imported (`claim_status_response`) and what the payer said about each claim
//! (`claim_status_answer`, numbered per claim).

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most requests a list shows.
pub const REQUEST_LIST_LIMIT: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StatusRequestRow {
    pub practice_id: String,
    pub id: String,
    pub request_number: i64,
    pub payer_id: String,
    pub interchange_control_number: i64,
    pub group_control_number: i64,
    pub usage: String,
    pub file_name: String,
    pub content: String,
    pub claim_count: i64,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StatusResponseRow {
    pub practice_id: String,
    pub id: String,
    pub file_name: String,
    pub content: String,
    pub claims_matched: i64,
    pub claims_unmatched: i64,
    pub imported_by: String,
    pub imported_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StatusAnswerRow {
    pub practice_id: String,
    pub claim_id: String,
    pub seq: i64,
    pub response_id: String,
    pub trace_number: String,
    pub status_date: Option<String>,
    pub category: String,
    pub status_code: String,
    pub entity: Option<String>,
    pub words: String,
    pub charge_cents: Option<i64>,
    pub paid_cents: Option<i64>,
    pub payer_claim_control_number: Option<String>,
    pub adjudication_date: Option<String>,
    pub check_number: Option<String>,
    pub recorded_at: String,
}

pub async fn insert_request(conn: &mut AnyConnection, r: &StatusRequestRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_status_request (practice_id, id, request_number, payer_id, interchange_control_number, group_control_number, \
         usage, file_name, content, claim_count, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(r.request_number)
    .bind(&r.payer_id)
    .bind(r.interchange_control_number)
    .bind(r.group_control_number)
    .bind(&r.usage)
    .bind(&r.file_name)
    .bind(&r.content)
    .bind(r.claim_count)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_request(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<StatusRequestRow> {
    sqlx::query_as("SELECT * FROM claim_status_request WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("claim status request"))
}

/// The latest requests, newest first, without their content.
pub async fn list_requests(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<StatusRequestRow>> {
    Ok(sqlx::query_as(
        "SELECT practice_id, id, request_number, payer_id, interchange_control_number, group_control_number, usage, file_name, \
         '' AS content, claim_count, created_by, created_at FROM claim_status_request WHERE practice_id = $1 \
         ORDER BY request_number DESC LIMIT $2",
    )
    .bind(practice_id)
    .bind(REQUEST_LIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

pub async fn insert_inquiry(
    conn: &mut AnyConnection,
    practice_id: &str,
    request_id: &str,
    claim_id: &str,
    trace_number: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO claim_status_inquiry (practice_id, request_id, claim_id, trace_number) VALUES ($1, $2, $3, $4)")
        .bind(practice_id)
        .bind(request_id)
        .bind(claim_id)
        .bind(trace_number)
        .execute(conn)
        .await?;
    Ok(())
}

/// The claim a trace number was sent for.
pub async fn claim_by_trace(conn: &mut AnyConnection, practice_id: &str, trace_number: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT claim_id FROM claim_status_inquiry WHERE practice_id = $1 AND trace_number = $2")
        .bind(practice_id)
        .bind(trace_number)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// The claim with a claim number (the digits of its patient control number).
pub async fn claim_by_number(conn: &mut AnyConnection, practice_id: &str, claim_number: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM claim WHERE practice_id = $1 AND claim_number = $2")
        .bind(practice_id)
        .bind(claim_number)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// The claims sent or accepted (so not paid, denied or closed) whose last sending is before
/// `sent_before` (a stored timestamp), by payer and claim number, at most `limit`.
pub async fn aged_unpaid_claim_ids(conn: &mut AnyConnection, practice_id: &str, sent_before: &str, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.id FROM claim c WHERE c.practice_id = $1 AND c.status IN ('sent', 'accepted') \
         AND (SELECT MAX(e.at) FROM claim_status_event e WHERE e.practice_id = c.practice_id AND e.claim_id = c.id \
              AND e.to_status = 'sent') < $2 \
         ORDER BY c.payer_id, c.claim_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(sent_before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub async fn insert_response(conn: &mut AnyConnection, r: &StatusResponseRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_status_response (practice_id, id, file_name, content, claims_matched, claims_unmatched, imported_by, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.file_name)
    .bind(&r.content)
    .bind(r.claims_matched)
    .bind(r.claims_unmatched)
    .bind(&r.imported_by)
    .bind(&r.imported_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the claim already has this very answer (same trace number, status, words and date):
/// the same 277 imported twice records its answers once.
pub async fn answer_recorded(conn: &mut AnyConnection, a: &StatusAnswerRow) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM claim_status_answer WHERE practice_id = $1 AND claim_id = $2 AND trace_number = $3 \
         AND category = $4 AND status_code = $5 AND words = $6 AND COALESCE(status_date, '') = $7",
    )
    .bind(&a.practice_id)
    .bind(&a.claim_id)
    .bind(&a.trace_number)
    .bind(&a.category)
    .bind(&a.status_code)
    .bind(&a.words)
    .bind(a.status_date.clone().unwrap_or_default())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Appends an answer to the claim's list with the next number (`seq` of `a` is ignored).
pub async fn append_answer(conn: &mut AnyConnection, a: &StatusAnswerRow) -> Result<i64> {
    let (seq,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM claim_status_answer WHERE practice_id = $1 AND claim_id = $2")
            .bind(&a.practice_id)
            .bind(&a.claim_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO claim_status_answer (practice_id, claim_id, seq, response_id, trace_number, status_date, category, status_code, \
         entity, words, charge_cents, paid_cents, payer_claim_control_number, adjudication_date, check_number, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&a.practice_id)
    .bind(&a.claim_id)
    .bind(seq)
    .bind(&a.response_id)
    .bind(&a.trace_number)
    .bind(&a.status_date)
    .bind(&a.category)
    .bind(&a.status_code)
    .bind(&a.entity)
    .bind(&a.words)
    .bind(a.charge_cents)
    .bind(a.paid_cents)
    .bind(&a.payer_claim_control_number)
    .bind(&a.adjudication_date)
    .bind(&a.check_number)
    .bind(&a.recorded_at)
    .execute(conn)
    .await?;
    Ok(seq)
}

/// What the payer said about a claim, newest first.
pub async fn answers(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Vec<StatusAnswerRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim_status_answer WHERE practice_id = $1 AND claim_id = $2 ORDER BY seq DESC")
        .bind(practice_id)
        .bind(claim_id)
        .fetch_all(conn)
        .await?)
}

/// The payer's claim number from its latest answer that gave one.
pub async fn latest_payer_claim_number(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT payer_claim_control_number FROM claim_status_answer WHERE practice_id = $1 AND claim_id = $2 \
         AND payer_claim_control_number IS NOT NULL ORDER BY seq DESC LIMIT 1",
    )
    .bind(practice_id)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(n,)| n))
}
