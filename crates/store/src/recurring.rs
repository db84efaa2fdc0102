//! Recurring journal entries' templates (migration 0015_recurring_entries): `recurring_template`
//! and `recurring_template_line`. The entries they post are ordinary journal entries (see
//! `ledger`), keyed `recurring:<template id>:<date>`.

use crate::Result;
use sqlx::{AnyConnection, FromRow};

/// The most templates a practice's list shows (and a run reads).
pub const TEMPLATE_LIMIT: i64 = 500;

/// A template's header.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct TemplateRow {
    pub practice_id: String,
    pub id: String,
    pub memo: String,
    /// `monthly`, `quarterly` or `yearly`.
    pub frequency: String,
    pub day_of_month: i64,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    pub end_date: Option<String>,
    pub max_occurrences: Option<i64>,
    /// The first occurrence (from 0) not yet posted.
    pub next_index: i64,
    /// Its date; `None` once the template has ended.
    pub next_due: Option<String>,
    /// The entry's debits (= its credits).
    pub total_cents: i64,
    /// 1 active, 0 paused.
    pub active: i64,
    pub created_by: String,
    pub created_at: String,
}

/// One line of a template.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct TemplateLineRow {
    pub practice_id: String,
    pub template_id: String,
    pub line_number: i64,
    pub account_number: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: Option<String>,
}

/// Inserts a template and its lines.
pub async fn insert_template(conn: &mut AnyConnection, t: &TemplateRow, lines: &[TemplateLineRow]) -> Result<()> {
    sqlx::query(
        "INSERT INTO recurring_template (practice_id, id, memo, frequency, day_of_month, start_date, end_date, max_occurrences, \
         next_index, next_due, total_cents, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&t.practice_id)
    .bind(&t.id)
    .bind(&t.memo)
    .bind(&t.frequency)
    .bind(t.day_of_month)
    .bind(&t.start_date)
    .bind(&t.end_date)
    .bind(t.max_occurrences)
    .bind(t.next_index)
    .bind(&t.next_due)
    .bind(t.total_cents)
    .bind(t.active)
    .bind(&t.created_by)
    .bind(&t.created_at)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO recurring_template_line (practice_id, template_id, line_number, account_number, debit_cents, credit_cents, memo) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&l.practice_id)
        .bind(&l.template_id)
        .bind(l.line_number)
        .bind(&l.account_number)
        .bind(l.debit_cents)
        .bind(l.credit_cents)
        .bind(&l.memo)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The practice's templates, those due soonest first (ended ones last), [`TEMPLATE_LIMIT`] at most.
pub async fn list_templates(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<TemplateRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM recurring_template WHERE practice_id = $1 \
         ORDER BY CASE WHEN next_due IS NULL THEN 1 ELSE 0 END, next_due, memo, id LIMIT $2",
    )
    .bind(practice_id)
    .bind(TEMPLATE_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// The active templates with an occurrence due on or before `as_of`, [`TEMPLATE_LIMIT`] at most.
pub async fn due_templates(conn: &mut AnyConnection, practice_id: &str, as_of: &str) -> Result<Vec<TemplateRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM recurring_template WHERE practice_id = $1 AND active = 1 AND next_due IS NOT NULL AND next_due <= $2 \
         ORDER BY next_due, id LIMIT $3",
    )
    .bind(practice_id)
    .bind(as_of)
    .bind(TEMPLATE_LIMIT)
    .fetch_all(conn)
    .await?)
}

pub async fn get_template(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<TemplateRow> {
    sqlx::query_as("SELECT * FROM recurring_template WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::StoreError::NotFound("recurring template"))
}

/// A template's lines in order.
pub async fn template_lines(conn: &mut AnyConnection, practice_id: &str, template_id: &str) -> Result<Vec<TemplateLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM recurring_template_line WHERE practice_id = $1 AND template_id = $2 ORDER BY line_number LIMIT 1000")
        .bind(practice_id)
        .bind(template_id)
        .fetch_all(conn)
        .await?)
}

/// Moves a template on: its first occurrence not yet posted and that one's date (`None`: ended).
pub async fn set_next(conn: &mut AnyConnection, practice_id: &str, id: &str, next_index: i64, next_due: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE recurring_template SET next_index = $3, next_due = $4 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(next_index)
        .bind(next_due)
        .execute(conn)
        .await?;
    Ok(())
}

/// Pauses (0) or resumes (1) a template.
pub async fn set_active(conn: &mut AnyConnection, practice_id: &str, id: &str, active: bool) -> Result<()> {
    sqlx::query("UPDATE recurring_template SET active = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(i64::from(active))
        .execute(conn)
        .await?;
    Ok(())
}
