//! Acknowledgements (migration 0020): the 999 and 277CA files imported, keyed by their SHA-256,
//! and what each said item by item (a batch, a claim, or something that matched nothing).

use crate::claims::{ClaimBatchRow, ClaimRow};
use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most files the acknowledgements page lists.
pub const LIST_LIMIT: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AckFileRow {
    pub practice_id: String,
    pub id: String,
    /// `999` or `277ca`.
    pub kind: String,
    pub sha256: String,
    pub file_name: String,
    pub content: String,
    pub matched_count: i64,
    pub accepted_count: i64,
    pub rejected_count: i64,
    pub unmatched_count: i64,
    pub imported_by: String,
    pub imported_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AckItemRow {
    pub practice_id: String,
    pub file_id: String,
    pub position: i64,
    pub batch_id: Option<String>,
    pub claim_id: Option<String>,
    pub reference: String,
    /// accepted, rejected, pending, unmatched or ignored.
    pub outcome: String,
    pub codes: String,
    /// Plain words, one reason a line.
    pub reasons: String,
    pub payer_claim_control_number: Option<String>,
}

/// An item with the file it came from (a claim's or a batch's acknowledgements).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AckItemWithFile {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub item: AckItemRow,
    pub kind: String,
    pub file_name: String,
    pub imported_at: String,
}

/// The file already imported with this SHA-256, if any.
pub async fn file_by_hash(conn: &mut AnyConnection, practice_id: &str, sha256: &str) -> Result<Option<AckFileRow>> {
    Ok(sqlx::query_as("SELECT * FROM acknowledgement_file WHERE practice_id = $1 AND sha256 = $2")
        .bind(practice_id)
        .bind(sha256)
        .fetch_optional(conn)
        .await?)
}

pub async fn get_file(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<AckFileRow> {
    sqlx::query_as("SELECT * FROM acknowledgement_file WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("acknowledgement file"))
}

/// Stores a file; `Conflict("acknowledgement_file_unique")` when the same bytes are stored already.
pub async fn insert_file(conn: &mut AnyConnection, f: &AckFileRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO acknowledgement_file (practice_id, id, kind, sha256, file_name, content, matched_count, accepted_count, \
         rejected_count, unmatched_count, imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&f.practice_id)
    .bind(&f.id)
    .bind(&f.kind)
    .bind(&f.sha256)
    .bind(&f.file_name)
    .bind(&f.content)
    .bind(f.matched_count)
    .bind(f.accepted_count)
    .bind(f.rejected_count)
    .bind(f.unmatched_count)
    .bind(&f.imported_by)
    .bind(&f.imported_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an import's result on its file once its items are known.
pub async fn set_counts(conn: &mut AnyConnection, f: &AckFileRow) -> Result<()> {
    sqlx::query(
        "UPDATE acknowledgement_file SET matched_count = $3, accepted_count = $4, rejected_count = $5, unmatched_count = $6 \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(&f.practice_id)
    .bind(&f.id)
    .bind(f.matched_count)
    .bind(f.accepted_count)
    .bind(f.rejected_count)
    .bind(f.unmatched_count)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_item(conn: &mut AnyConnection, i: &AckItemRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO acknowledgement_item (practice_id, file_id, position, batch_id, claim_id, reference, outcome, codes, reasons, \
         payer_claim_control_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&i.practice_id)
    .bind(&i.file_id)
    .bind(i.position)
    .bind(&i.batch_id)
    .bind(&i.claim_id)
    .bind(&i.reference)
    .bind(&i.outcome)
    .bind(&i.codes)
    .bind(&i.reasons)
    .bind(&i.payer_claim_control_number)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest files, newest first, without their content.
pub async fn list_files(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<AckFileRow>> {
    Ok(sqlx::query_as(
        "SELECT practice_id, id, kind, sha256, file_name, '' AS content, matched_count, accepted_count, rejected_count, \
         unmatched_count, imported_by, imported_at FROM acknowledgement_file WHERE practice_id = $1 ORDER BY imported_at DESC, id DESC LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit.clamp(1, LIST_LIMIT))
    .fetch_all(conn)
    .await?)
}

/// A file's items in the file's order.
pub async fn items(conn: &mut AnyConnection, practice_id: &str, file_id: &str) -> Result<Vec<AckItemRow>> {
    Ok(sqlx::query_as("SELECT * FROM acknowledgement_item WHERE practice_id = $1 AND file_id = $2 ORDER BY position")
        .bind(practice_id)
        .bind(file_id)
        .fetch_all(conn)
        .await?)
}

/// A claim's acknowledgements, newest first.
pub async fn claim_items(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<Vec<AckItemWithFile>> {
    Ok(sqlx::query_as(
        "SELECT i.*, f.kind, f.file_name, f.imported_at FROM acknowledgement_item i \
         JOIN acknowledgement_file f ON f.practice_id = i.practice_id AND f.id = i.file_id \
         WHERE i.practice_id = $1 AND i.claim_id = $2 ORDER BY f.imported_at DESC, i.file_id DESC, i.position",
    )
    .bind(practice_id)
    .bind(claim_id)
    .fetch_all(conn)
    .await?)
}

/// The batch sent with this GS06 (group control number), if any.
pub async fn batch_by_group(conn: &mut AnyConnection, practice_id: &str, group_control_number: i64) -> Result<Option<ClaimBatchRow>> {
    Ok(sqlx::query_as(
        "SELECT practice_id, id, batch_number, payer_id, receiver_id, interchange_control_number, group_control_number, usage, \
         file_name, '' AS content, claim_count, total_charge_cents, created_by, created_at FROM claim_batch \
         WHERE practice_id = $1 AND group_control_number = $2",
    )
    .bind(practice_id)
    .bind(group_control_number)
    .fetch_optional(conn)
    .await?)
}

/// The claims whose latest batch is this one, by claim number.
pub async fn claims_of_batch(conn: &mut AnyConnection, practice_id: &str, batch_id: &str) -> Result<Vec<ClaimRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim WHERE practice_id = $1 AND batch_id = $2 ORDER BY claim_number")
        .bind(practice_id)
        .bind(batch_id)
        .fetch_all(conn)
        .await?)
}

/// The claim with this number (the patient control number's digits), if any.
pub async fn claim_by_number(conn: &mut AnyConnection, practice_id: &str, claim_number: i64) -> Result<Option<ClaimRow>> {
    Ok(sqlx::query_as("SELECT * FROM claim WHERE practice_id = $1 AND claim_number = $2")
        .bind(practice_id)
        .bind(claim_number)
        .fetch_optional(conn)
        .await?)
}

/// Records the payer's claim control number (REF*1K of a 277CA), needed for a later replacement
/// or void; leaves the claim's version alone (it is not a status change).
pub async fn set_payer_claim_control_number(
    conn: &mut AnyConnection,
    practice_id: &str,
    claim_id: &str,
    number: &str,
    now: &str,
) -> Result<()> {
    sqlx::query("UPDATE claim SET payer_claim_control_number = $3, updated_at = $4 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(claim_id)
        .bind(number)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
