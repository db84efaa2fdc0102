//! Retention and release of records (migration 0036): the office manager's retention rules,
//! the candidates for destruction with what their dates are counted from, destruction records,
//! and releases of records with the documents they sent. The caller owns the transaction.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A category's retention rule as the office manager set it (absent: the category's default).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RetentionRuleRow {
    pub practice_id: String,
    pub category: String,
    pub basis: String,
    pub years: i64,
    pub majority_age: i64,
    pub years_after_majority: i64,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

pub async fn rules(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<RetentionRuleRow>> {
    // At most one row per category, and the categories are a fixed list of a few dozen.
    Ok(sqlx::query_as("SELECT * FROM retention_rule WHERE practice_id = $1 ORDER BY category LIMIT 200")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn rule(conn: &mut AnyConnection, practice_id: &str, category: &str) -> Result<Option<RetentionRuleRow>> {
    Ok(sqlx::query_as("SELECT * FROM retention_rule WHERE practice_id = $1 AND category = $2")
        .bind(practice_id)
        .bind(category)
        .fetch_optional(conn)
        .await?)
}

/// The first edit of a category's rule (version 1). A concurrent first edit is a conflict.
pub async fn insert_rule(conn: &mut AnyConnection, r: &RetentionRuleRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO retention_rule (practice_id, category, basis, years, majority_age, years_after_majority, version, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&r.practice_id)
    .bind(&r.category)
    .bind(&r.basis)
    .bind(r.years)
    .bind(r.majority_age)
    .bind(r.years_after_majority)
    .bind(r.version)
    .bind(&r.updated_by)
    .bind(&r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a rule read at `r.version - 1`; `false` when someone else saved it in between.
pub async fn update_rule(conn: &mut AnyConnection, r: &RetentionRuleRow) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE retention_rule SET basis = $1, years = $2, majority_age = $3, years_after_majority = $4, version = $5, \
         updated_by = $6, updated_at = $7 WHERE practice_id = $8 AND category = $9 AND version = $10",
    )
    .bind(&r.basis)
    .bind(r.years)
    .bind(r.majority_age)
    .bind(r.years_after_majority)
    .bind(r.version)
    .bind(&r.updated_by)
    .bind(&r.updated_at)
    .bind(&r.practice_id)
    .bind(&r.category)
    .bind(r.version - 1)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An active document with what its retention is counted from: the patient's birth date and
/// last visit (the latest completed or checked-out appointment, or encounter, whichever is
/// later; each as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RetentionCandidateRow {
    pub id: String,
    pub category: String,
    pub title: String,
    pub document_date: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub last_appointment: Option<String>,
    pub last_encounter: Option<String>,
    pub current_version: i64,
}

const CANDIDATE_SELECT: &str = "SELECT d.id, d.category, d.title, d.document_date, d.patient_id, \
     p.family_name || ', ' || p.given_name AS patient_name, p.birth_date, \
     (SELECT MAX(SUBSTR(a.start_at, 1, 10)) FROM appointment a WHERE a.practice_id = d.practice_id AND a.patient_id = d.patient_id \
        AND a.status IN ('completed', 'checked_out')) AS last_appointment, \
     (SELECT MAX(e.service_date) FROM encounter e WHERE e.practice_id = d.practice_id AND e.patient_id = d.patient_id) AS last_encounter, \
     d.current_version \
     FROM document d LEFT JOIN patient p ON p.practice_id = d.practice_id AND p.id = d.patient_id";

/// The active documents of one category dated on or before `dated_by` (no document dated later
/// can have reached the end of its retention), oldest first, at most `limit`.
pub async fn candidates(
    conn: &mut AnyConnection,
    practice_id: &str,
    category: &str,
    dated_by: &str,
    limit: i64,
) -> Result<Vec<RetentionCandidateRow>> {
    let sql = format!(
        "{CANDIDATE_SELECT} WHERE d.practice_id = $1 AND d.category = $2 AND d.status = 'active' AND d.document_date <= $3 \
         ORDER BY d.document_date, d.id LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(category).bind(dated_by).bind(limit).fetch_all(conn).await?)
}

/// One document (any status) with its retention dates.
pub async fn candidate(conn: &mut AnyConnection, practice_id: &str, document_id: &str) -> Result<RetentionCandidateRow> {
    let sql = format!("{CANDIDATE_SELECT} WHERE d.practice_id = $1 AND d.id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(practice_id)
        .bind(document_id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("document"))
}

/// Marks an active document destroyed and forgets its text; `false` when it was not active
/// (destroyed by someone else a moment ago).
pub async fn mark_destroyed(conn: &mut AnyConnection, practice_id: &str, document_id: &str, search_text: &str, at: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE document SET status = 'destroyed', search_text = $1, updated_at = $2 \
         WHERE practice_id = $3 AND id = $4 AND status = 'active'",
    )
    .bind(search_text)
    .bind(at)
    .bind(practice_id)
    .bind(document_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Detaches every version of a document from its bytes and clears its text layer.
pub async fn detach_versions(conn: &mut AnyConnection, practice_id: &str, document_id: &str) -> Result<()> {
    sqlx::query("UPDATE document_version SET blob_id = NULL, text_content = '' WHERE practice_id = $1 AND document_id = $2")
        .bind(practice_id)
        .bind(document_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a blob's row (its file is deleted once the transaction commits).
pub async fn delete_blob_row(conn: &mut AnyConnection, practice_id: &str, blob_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM blob WHERE practice_id = $1 AND id = $2").bind(practice_id).bind(blob_id).execute(conn).await?;
    Ok(())
}

/// What was destroyed, when, by whom and under which rule.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct DestructionRow {
    pub practice_id: String,
    pub id: String,
    pub document_id: String,
    pub category: String,
    pub title: String,
    pub patient_id: Option<String>,
    pub document_date: String,
    pub versions: i64,
    pub sha256s: String,
    pub rule: String,
    pub eligible_on: String,
    pub method: String,
    pub destroyed_by: String,
    pub destroyed_at: String,
}

/// Writes a destruction record; a second one for the same document is a conflict
/// (`document_destruction_once`).
pub async fn insert_destruction(conn: &mut AnyConnection, d: &DestructionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO document_destruction (practice_id, id, document_id, category, title, patient_id, document_date, versions, sha256s, \
         rule, eligible_on, method, destroyed_by, destroyed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&d.practice_id)
    .bind(&d.id)
    .bind(&d.document_id)
    .bind(&d.category)
    .bind(&d.title)
    .bind(&d.patient_id)
    .bind(&d.document_date)
    .bind(d.versions)
    .bind(&d.sha256s)
    .bind(&d.rule)
    .bind(&d.eligible_on)
    .bind(&d.method)
    .bind(&d.destroyed_by)
    .bind(&d.destroyed_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The destruction log, newest first, one page.
pub async fn destructions(conn: &mut AnyConnection, practice_id: &str, limit: i64, offset: i64) -> Result<Vec<DestructionRow>> {
    Ok(sqlx::query_as("SELECT * FROM document_destruction WHERE practice_id = $1 ORDER BY destroyed_at DESC, id LIMIT $2 OFFSET $3")
        .bind(practice_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?)
}

pub async fn destruction_of(conn: &mut AnyConnection, practice_id: &str, document_id: &str) -> Result<Option<DestructionRow>> {
    Ok(sqlx::query_as("SELECT * FROM document_destruction WHERE practice_id = $1 AND document_id = $2")
        .bind(practice_id)
        .bind(document_id)
        .fetch_optional(conn)
        .await?)
}

/// A release of records: one PDF sent for a records request.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ReleaseRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub records_request_id: Option<String>,
    pub disclosure_id: String,
    pub recipient_name: String,
    pub recipient_address: String,
    pub purpose: String,
    pub letter_id: Option<String>,
    pub blob_id: String,
    pub page_count: i64,
    pub released_by: String,
    pub released_at: String,
}

pub async fn insert_release(conn: &mut AnyConnection, r: &ReleaseRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO records_release (practice_id, id, patient_id, records_request_id, disclosure_id, recipient_name, recipient_address, \
         purpose, letter_id, blob_id, page_count, released_by, released_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(&r.records_request_id)
    .bind(&r.disclosure_id)
    .bind(&r.recipient_name)
    .bind(&r.recipient_address)
    .bind(&r.purpose)
    .bind(&r.letter_id)
    .bind(&r.blob_id)
    .bind(r.page_count)
    .bind(&r.released_by)
    .bind(&r.released_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_release_document(
    conn: &mut AnyConnection,
    practice_id: &str,
    release_id: &str,
    document_id: &str,
    version: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO records_release_document (practice_id, release_id, document_id, version) VALUES ($1, $2, $3, $4)")
        .bind(practice_id)
        .bind(release_id)
        .bind(document_id)
        .bind(version)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_release(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ReleaseRow> {
    sqlx::query_as("SELECT * FROM records_release WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("release of records"))
}

/// A patient's releases, newest first.
pub async fn releases_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<ReleaseRow>> {
    Ok(sqlx::query_as("SELECT * FROM records_release WHERE practice_id = $1 AND patient_id = $2 ORDER BY released_at DESC, id LIMIT $3")
        .bind(practice_id)
        .bind(patient_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// The releases made for one records request.
pub async fn releases_of_request(conn: &mut AnyConnection, practice_id: &str, request_id: &str) -> Result<Vec<ReleaseRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM records_release WHERE practice_id = $1 AND records_request_id = $2 ORDER BY released_at, id LIMIT 100",
    )
    .bind(practice_id)
    .bind(request_id)
    .fetch_all(conn)
    .await?)
}

/// A released document with its title as it stood when released.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReleasedDocumentRow {
    pub document_id: String,
    pub version: i64,
    pub title: String,
    pub category: String,
    pub document_date: String,
}

pub async fn release_documents(conn: &mut AnyConnection, practice_id: &str, release_id: &str) -> Result<Vec<ReleasedDocumentRow>> {
    Ok(sqlx::query_as(
        "SELECT r.document_id, r.version, d.title, d.category, d.document_date FROM records_release_document r \
         JOIN document d ON d.practice_id = r.practice_id AND d.id = r.document_id \
         WHERE r.practice_id = $1 AND r.release_id = $2 ORDER BY d.document_date, d.id LIMIT 1000",
    )
    .bind(practice_id)
    .bind(release_id)
    .fetch_all(conn)
    .await?)
}

/// A patient's active documents of some categories (those the reader may see), newest first.
pub async fn active_documents_of_patient(
    conn: &mut AnyConnection,
    practice_id: &str,
    patient_id: &str,
    limit: i64,
) -> Result<Vec<crate::documents::DocumentRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM document WHERE practice_id = $1 AND patient_id = $2 AND status = 'active' \
         ORDER BY document_date DESC, id LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
