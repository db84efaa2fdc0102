//! Paper claims (migration 0019): the practice's alignment offsets for the red CMS-1500 form, the
//! runs of "Print paper claims" with the claims each printed, and which ready claims go on paper
//! (their payer takes no electronic claims) or into 837P files (every other one).

use crate::scheduling::LocationRow;
use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The red form's alignment offsets, in points.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ClaimFormSettingsRow {
    pub practice_id: String,
    pub offset_right_points: i64,
    pub offset_down_points: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// The practice's offsets; `None` until someone saved them.
pub async fn settings(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<ClaimFormSettingsRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim_form_settings WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}

pub async fn save_settings(conn: &mut AnyConnection, s: &ClaimFormSettingsRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_form_settings (practice_id, offset_right_points, offset_down_points, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (practice_id) DO UPDATE SET offset_right_points = $2, offset_down_points = $3, \
         updated_by = $4, updated_at = $5",
    )
    .bind(&s.practice_id)
    .bind(s.offset_right_points)
    .bind(s.offset_down_points)
    .bind(&s.updated_by)
    .bind(&s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ids of the ready claims whose payer takes electronic claims (the 837P export's), oldest
/// first per payer, at most `limit`.
pub async fn ready_electronic_ids(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<String>> {
    ready_ids(conn, practice_id, 1, limit).await
}

/// The ids of the ready claims whose payer takes paper only, at most `limit`.
pub async fn ready_paper_ids(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<String>> {
    ready_ids(conn, practice_id, 0, limit).await
}

async fn ready_ids(conn: &mut AnyConnection, practice_id: &str, electronic: i64, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.id FROM claim c JOIN payer p ON p.practice_id = c.practice_id AND p.id = c.payer_id \
         WHERE c.practice_id = $1 AND c.status = 'ready' AND p.accepts_electronic_claims = $2 \
         ORDER BY c.payer_id, c.claim_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(electronic)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Where the encounter's appointment took place (box 32), if it had one.
pub async fn service_location(conn: &mut AnyConnection, practice_id: &str, encounter_id: &str) -> Result<Option<LocationRow>> {
    Ok(sqlx::query_as(
        "SELECT l.* FROM encounter e \
         JOIN appointment a ON a.practice_id = e.practice_id AND a.id = e.appointment_id \
         JOIN location l ON l.practice_id = a.practice_id AND l.id = a.location_id \
         WHERE e.practice_id = $1 AND e.id = $2",
    )
    .bind(practice_id)
    .bind(encounter_id)
    .fetch_optional(conn)
    .await?)
}

/// One run of "Print paper claims".
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PaperPrintRow {
    pub practice_id: String,
    pub id: String,
    pub print_number: i64,
    /// `plain` or `red`.
    pub form: String,
    pub blob_id: String,
    pub sha256: String,
    pub claim_count: i64,
    pub sheet_count: i64,
    pub total_charge_cents: i64,
    pub created_by: String,
    pub created_at: String,
}

/// Inserts a print and its claims, in the order given.
pub async fn insert_print(conn: &mut AnyConnection, p: &PaperPrintRow, claim_ids: &[String]) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_paper_print (practice_id, id, print_number, form, blob_id, sha256, claim_count, sheet_count, \
         total_charge_cents, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(p.print_number)
    .bind(&p.form)
    .bind(&p.blob_id)
    .bind(&p.sha256)
    .bind(p.claim_count)
    .bind(p.sheet_count)
    .bind(p.total_charge_cents)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .execute(&mut *conn)
    .await?;
    for (i, claim_id) in claim_ids.iter().enumerate() {
        sqlx::query("INSERT INTO claim_paper_print_claim (practice_id, print_id, position, claim_id) VALUES ($1, $2, $3, $4)")
            .bind(&p.practice_id)
            .bind(&p.id)
            .bind(i as i64 + 1)
            .bind(claim_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn get_print(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PaperPrintRow> {
    sqlx::query_as("SELECT * FROM claim_paper_print WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("paper claim print"))
}

/// The latest prints, newest first.
pub async fn list_prints(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<PaperPrintRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim_paper_print WHERE practice_id = $1 ORDER BY print_number DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit.clamp(1, 500))
        .fetch_all(conn)
        .await?)
}

/// The claims of a print, in the order printed.
pub async fn print_claim_ids(conn: &mut AnyConnection, practice_id: &str, print_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT claim_id FROM claim_paper_print_claim WHERE practice_id = $1 AND print_id = $2 ORDER BY position")
            .bind(practice_id)
            .bind(print_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
