//! Letter templates and the letters written from them (migration 0035).

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A letter template as stored.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct LetterTemplateRow {
    pub practice_id: String,
    pub id: String,
    pub template_key: String,
    pub name: String,
    pub audience: String,
    pub body: String,
    pub built_in: i64,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
    pub created_at: String,
}

/// A letter as written.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct LetterRow {
    pub practice_id: String,
    pub id: String,
    pub template_id: String,
    pub template_key: String,
    pub title: String,
    pub patient_id: String,
    pub recipient_name: Option<String>,
    pub recipient_address: Option<String>,
    pub body: String,
    pub blob_id: String,
    pub delivery: String,
    pub emailed_to: Option<String>,
    pub message_id: Option<String>,
    pub outgoing_mail_id: Option<String>,
    pub signed_by: String,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_template(conn: &mut AnyConnection, t: &LetterTemplateRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO letter_template (practice_id, id, template_key, name, audience, body, built_in, version, updated_by, updated_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&t.practice_id)
    .bind(&t.id)
    .bind(&t.template_key)
    .bind(&t.name)
    .bind(&t.audience)
    .bind(&t.body)
    .bind(t.built_in)
    .bind(t.version)
    .bind(&t.updated_by)
    .bind(&t.updated_at)
    .bind(&t.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The practice's templates' keys (to seed the missing built-in ones).
pub async fn template_keys(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT template_key FROM letter_template WHERE practice_id = $1 LIMIT 1000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn list_templates(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<LetterTemplateRow>> {
    Ok(sqlx::query_as("SELECT * FROM letter_template WHERE practice_id = $1 ORDER BY audience, name, id LIMIT 500")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn get_template(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<LetterTemplateRow> {
    sqlx::query_as("SELECT * FROM letter_template WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("letter template"))
}

pub async fn template_by_key(conn: &mut AnyConnection, practice_id: &str, key: &str) -> Result<Option<LetterTemplateRow>> {
    Ok(sqlx::query_as("SELECT * FROM letter_template WHERE practice_id = $1 AND template_key = $2")
        .bind(practice_id)
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// Rewrites a template's name and text under its version (`Conflict` when someone saved first).
pub async fn update_template(conn: &mut AnyConnection, t: &LetterTemplateRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE letter_template SET name = $1, body = $2, version = $3, updated_by = $4, updated_at = $5 \
         WHERE practice_id = $6 AND id = $7 AND version = $8",
    )
    .bind(&t.name)
    .bind(&t.body)
    .bind(t.version)
    .bind(&t.updated_by)
    .bind(&t.updated_at)
    .bind(&t.practice_id)
    .bind(&t.id)
    .bind(t.version - 1)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("letter_template_version".into()));
    }
    Ok(())
}

pub async fn insert_letter(conn: &mut AnyConnection, l: &LetterRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO letter (practice_id, id, template_id, template_key, title, patient_id, recipient_name, recipient_address, body, \
         blob_id, delivery, emailed_to, message_id, outgoing_mail_id, signed_by, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&l.practice_id)
    .bind(&l.id)
    .bind(&l.template_id)
    .bind(&l.template_key)
    .bind(&l.title)
    .bind(&l.patient_id)
    .bind(&l.recipient_name)
    .bind(&l.recipient_address)
    .bind(&l.body)
    .bind(&l.blob_id)
    .bind(&l.delivery)
    .bind(&l.emailed_to)
    .bind(&l.message_id)
    .bind(&l.outgoing_mail_id)
    .bind(&l.signed_by)
    .bind(&l.created_by)
    .bind(&l.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_letter(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<LetterRow> {
    sqlx::query_as("SELECT * FROM letter WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("letter"))
}

/// Records where a letter went once it was e-mailed or logged.
pub async fn set_outgoing(conn: &mut AnyConnection, practice_id: &str, id: &str, outgoing_mail_id: &str) -> Result<()> {
    sqlx::query("UPDATE letter SET outgoing_mail_id = $1 WHERE practice_id = $2 AND id = $3")
        .bind(outgoing_mail_id)
        .bind(practice_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A patient's letters, newest first.
pub async fn letters_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<LetterRow>> {
    Ok(sqlx::query_as("SELECT * FROM letter WHERE practice_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id LIMIT 200")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_all(conn)
        .await?)
}

/// The practice's latest letters, newest first.
pub async fn recent_letters(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<LetterRow>> {
    Ok(sqlx::query_as("SELECT * FROM letter WHERE practice_id = $1 ORDER BY created_at DESC, id LIMIT $2")
        .bind(practice_id)
        .bind(limit.clamp(1, 200))
        .fetch_all(conn)
        .await?)
}

/// The letter written with outgoing mail entry `outgoing_mail_id` (a dunning letter finds the
/// chart's letter it was saved as through the mail log entry both share).
pub async fn letter_by_outgoing_mail(conn: &mut AnyConnection, practice_id: &str, outgoing_mail_id: &str) -> Result<Option<LetterRow>> {
    Ok(sqlx::query_as("SELECT * FROM letter WHERE practice_id = $1 AND outgoing_mail_id = $2")
        .bind(practice_id)
        .bind(outgoing_mail_id)
        .fetch_optional(conn)
        .await?)
}

/// The practice's letterhead logo (migration 0038).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct LogoRow {
    pub practice_id: String,
    pub blob_id: String,
    pub content_type: String,
    pub width_px: i64,
    pub height_px: i64,
    pub updated_by: String,
    pub updated_at: String,
}

pub async fn get_logo(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<LogoRow>> {
    Ok(sqlx::query_as("SELECT * FROM letterhead_logo WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}

/// Puts `logo` in place of the practice's logo, if any (call inside a transaction).
pub async fn set_logo(conn: &mut AnyConnection, logo: &LogoRow) -> Result<()> {
    delete_logo(conn, &logo.practice_id).await?;
    sqlx::query(
        "INSERT INTO letterhead_logo (practice_id, blob_id, content_type, width_px, height_px, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&logo.practice_id)
    .bind(&logo.blob_id)
    .bind(&logo.content_type)
    .bind(logo.width_px)
    .bind(logo.height_px)
    .bind(&logo.updated_by)
    .bind(&logo.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the practice's logo; true when there was one.
pub async fn delete_logo(conn: &mut AnyConnection, practice_id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM letterhead_logo WHERE practice_id = $1").bind(practice_id).execute(conn).await?;
    Ok(done.rows_affected() > 0)
}
