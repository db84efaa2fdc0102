//! Claims (migration 0017): the claim of an encounter to a payer, its status history, what the
//! scrubber found, and the 837P files (batches) claims were sent in.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most claims a worklist shows at once.
pub const WORKLIST_LIMIT: i64 = 500;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimRow {
    pub practice_id: String,
    pub id: String,
    pub claim_number: i64,
    pub encounter_id: String,
    pub patient_id: String,
    pub payer_id: String,
    pub coverage_id: String,
    pub rendering_provider_id: String,
    pub status: String,
    pub frequency_code: String,
    pub payer_claim_control_number: Option<String>,
    pub total_charge_cents: i64,
    pub service_date: String,
    pub batch_id: Option<String>,
    pub scrubbed_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A claim with the names a worklist shows.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimListRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub claim: ClaimRow,
    pub patient_family_name: String,
    pub patient_given_name: String,
    pub payer_name: String,
    pub provider_family_name: String,
    pub provider_given_name: String,
    pub problem_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimEventRow {
    pub practice_id: String,
    pub claim_id: String,
    pub seq: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub user_id: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimProblemRow {
    pub practice_id: String,
    pub claim_id: String,
    pub position: i64,
    pub rule: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimBatchRow {
    pub practice_id: String,
    pub id: String,
    pub batch_number: i64,
    pub payer_id: String,
    pub receiver_id: String,
    pub interchange_control_number: i64,
    pub group_control_number: i64,
    pub usage: String,
    pub file_name: String,
    pub content: String,
    pub claim_count: i64,
    pub total_charge_cents: i64,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert(conn: &mut AnyConnection, c: &ClaimRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim (practice_id, id, claim_number, encounter_id, patient_id, payer_id, coverage_id, rendering_provider_id, \
         status, frequency_code, payer_claim_control_number, total_charge_cents, service_date, batch_id, scrubbed_at, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&c.practice_id)
    .bind(&c.id)
    .bind(c.claim_number)
    .bind(&c.encounter_id)
    .bind(&c.patient_id)
    .bind(&c.payer_id)
    .bind(&c.coverage_id)
    .bind(&c.rendering_provider_id)
    .bind(&c.status)
    .bind(&c.frequency_code)
    .bind(&c.payer_claim_control_number)
    .bind(c.total_charge_cents)
    .bind(&c.service_date)
    .bind(&c.batch_id)
    .bind(&c.scrubbed_at)
    .bind(c.version)
    .bind(&c.created_at)
    .bind(&c.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ClaimRow> {
    sqlx::query_as("SELECT * FROM claim WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("claim"))
}

/// Moves a claim to `status` if it is still at `version`; false when someone changed it meanwhile.
pub async fn set_status(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    version: i64,
    status: &str,
    batch_id: Option<&str>,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE claim SET status = $4, batch_id = COALESCE($5, batch_id), version = version + 1, updated_at = $6 \
         WHERE practice_id = $1 AND id = $2 AND version = $3",
    )
    .bind(practice_id)
    .bind(id)
    .bind(version)
    .bind(status)
    .bind(batch_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the frequency code and the payer's claim control number of a claim being corrected.
pub async fn set_frequency(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    frequency_code: &str,
    payer_claim_control_number: Option<&str>,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE claim SET frequency_code = $3, payer_claim_control_number = $4, version = version + 1, updated_at = $5 \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(practice_id)
    .bind(id)
    .bind(frequency_code)
    .bind(payer_claim_control_number)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends a status change to the claim's history with the next number.
pub async fn append_event(conn: &mut AnyConnection, e: &ClaimEventRow) -> Result<i64> {
    let (seq,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM claim_status_event WHERE practice_id = $1 AND claim_id = $2")
            .bind(&e.practice_id)
            .bind(&e.claim_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO claim_status_event (practice_id, claim_id, seq, from_status, to_status, note, user_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&e.practice_id)
    .bind(&e.claim_id)
    .bind(seq)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .bind(&e.note)
    .bind(&e.user_id)
    .bind(&e.at)
    .execute(conn)
    .await?;
    Ok(seq)
}

pub async fn events(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Vec<ClaimEventRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim_status_event WHERE practice_id = $1 AND claim_id = $2 ORDER BY seq")
        .bind(practice_id)
        .bind(claim_id)
        .fetch_all(conn)
        .await?)
}

/// Replaces what the scrubber found on a claim and records when it ran.
pub async fn replace_problems(
    conn: &mut AnyConnection,
    practice_id: &str,
    claim_id: &str,
    problems: &[ClaimProblemRow],
    now: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM claim_problem WHERE practice_id = $1 AND claim_id = $2")
        .bind(practice_id)
        .bind(claim_id)
        .execute(&mut *conn)
        .await?;
    for p in problems {
        sqlx::query("INSERT INTO claim_problem (practice_id, claim_id, position, rule, field, message) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(practice_id)
            .bind(claim_id)
            .bind(p.position)
            .bind(&p.rule)
            .bind(&p.field)
            .bind(&p.message)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE claim SET scrubbed_at = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(claim_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn problems(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Vec<ClaimProblemRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim_problem WHERE practice_id = $1 AND claim_id = $2 ORDER BY position")
        .bind(practice_id)
        .bind(claim_id)
        .fetch_all(conn)
        .await?)
}

/// A worklist's filter; blank fields do not filter. `service_before` keeps claims whose date of
/// service is before that date (the age filter).
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub status: String,
    pub payer_id: String,
    pub provider_id: String,
    pub service_before: String,
}

pub async fn list(conn: &mut AnyConnection, practice_id: &str, f: &ClaimFilter) -> Result<Vec<ClaimListRow>> {
    Ok(sqlx::query_as(
        "SELECT c.*, pt.family_name AS patient_family_name, pt.given_name AS patient_given_name, py.name AS payer_name, \
         pr.family_name AS provider_family_name, pr.given_name AS provider_given_name, \
         (SELECT COUNT(*) FROM claim_problem cp WHERE cp.practice_id = c.practice_id AND cp.claim_id = c.id) AS problem_count \
         FROM claim c \
         JOIN patient pt ON pt.practice_id = c.practice_id AND pt.id = c.patient_id \
         JOIN payer py ON py.practice_id = c.practice_id AND py.id = c.payer_id \
         JOIN provider pr ON pr.practice_id = c.practice_id AND pr.id = c.rendering_provider_id \
         WHERE c.practice_id = $1 AND ($2 = '' OR c.status = $2) AND ($3 = '' OR c.payer_id = $3) \
         AND ($4 = '' OR c.rendering_provider_id = $4) AND ($5 = '' OR c.service_date < $5) \
         ORDER BY c.service_date, c.claim_number LIMIT $6",
    )
    .bind(practice_id)
    .bind(&f.status)
    .bind(&f.payer_id)
    .bind(&f.provider_id)
    .bind(&f.service_before)
    .bind(WORKLIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// The number of claims in each status.
pub async fn status_counts(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT status, COUNT(*) FROM claim WHERE practice_id = $1 GROUP BY status")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

/// The ids of the claims ready to send, oldest first (at most `limit`).
pub async fn ready_ids(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM claim WHERE practice_id = $1 AND status = 'ready' ORDER BY payer_id, claim_number LIMIT $2")
            .bind(practice_id)
            .bind(limit)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub async fn insert_batch(conn: &mut AnyConnection, b: &ClaimBatchRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_batch (practice_id, id, batch_number, payer_id, receiver_id, interchange_control_number, group_control_number, \
         usage, file_name, content, claim_count, total_charge_cents, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&b.practice_id)
    .bind(&b.id)
    .bind(b.batch_number)
    .bind(&b.payer_id)
    .bind(&b.receiver_id)
    .bind(b.interchange_control_number)
    .bind(b.group_control_number)
    .bind(&b.usage)
    .bind(&b.file_name)
    .bind(&b.content)
    .bind(b.claim_count)
    .bind(b.total_charge_cents)
    .bind(&b.created_by)
    .bind(&b.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_batch(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ClaimBatchRow> {
    sqlx::query_as("SELECT * FROM claim_batch WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("claim batch"))
}

/// The latest batches, newest first, without their content.
pub async fn list_batches(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<ClaimBatchRow>> {
    Ok(sqlx::query_as(
        "SELECT practice_id, id, batch_number, payer_id, receiver_id, interchange_control_number, group_control_number, usage, \
         file_name, '' AS content, claim_count, total_charge_cents, created_by, created_at FROM claim_batch \
         WHERE practice_id = $1 ORDER BY batch_number DESC LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(conn)
    .await?)
}
