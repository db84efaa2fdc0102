//! Calendar feeds (migration 0007): a provider's schedule at a secret address for the doctor's own
//! calendar app, and the appointments such a feed shows.
//!
//! Only the SHA-256 of a feed's secret is stored; the lookup is keyed by the practice id, which the
//! address carries beside the secret, and that hash. A revoked feed keeps its row (who made it,
//! who revoked it, when) and is never served again.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most feeds one practice's list shows; a guard (a practice has a few per provider).
const LIST_LIMIT: i64 = 1000;

/// The most appointments one feed answers: a guard well above a busy provider's 210 days
/// (30 a day on every weekday is about 4,500).
pub const FEED_APPOINTMENT_LIMIT: i64 = 10_000;

/// A feed as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct CalendarFeedRow {
    pub practice_id: String,
    pub id: String,
    /// SHA-256 (hex) of the secret in the feed's address.
    pub secret_hash: String,
    pub provider_id: String,
    /// 0 or 1: whether events carry the patient's name (the practice's choice).
    pub include_patient_names: i64,
    /// The user who made the feed.
    pub created_by: String,
    pub created_at: String,
    pub last_fetched_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

/// A feed as the admin page lists it: with the provider's and the creator's names.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct CalendarFeedListRow {
    pub id: String,
    pub provider_id: String,
    pub provider_family_name: String,
    pub provider_given_name: String,
    pub provider_credentials: Option<String>,
    pub include_patient_names: i64,
    pub created_by_username: String,
    pub created_by_name: String,
    pub created_at: String,
    pub last_fetched_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub async fn insert(conn: &mut AnyConnection, f: &CalendarFeedRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_feed (practice_id, id, secret_hash, provider_id, include_patient_names, created_by, created_at, \
         last_fetched_at, revoked_at, revoked_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&f.practice_id)
    .bind(&f.id)
    .bind(&f.secret_hash)
    .bind(&f.provider_id)
    .bind(f.include_patient_names)
    .bind(&f.created_by)
    .bind(&f.created_at)
    .bind(&f.last_fetched_at)
    .bind(&f.revoked_at)
    .bind(&f.revoked_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The practice's feeds, open ones first, then by provider and newest first.
pub async fn list(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<CalendarFeedListRow>> {
    Ok(sqlx::query_as(
        "SELECT f.id, f.provider_id, p.family_name AS provider_family_name, p.given_name AS provider_given_name, \
         p.credentials AS provider_credentials, f.include_patient_names, u.username AS created_by_username, \
         u.display_name AS created_by_name, f.created_at, f.last_fetched_at, f.revoked_at \
         FROM calendar_feed f \
         JOIN provider p ON p.practice_id = f.practice_id AND p.id = f.provider_id \
         JOIN app_user u ON u.practice_id = f.practice_id AND u.id = f.created_by \
         WHERE f.practice_id = $1 \
         ORDER BY CASE WHEN f.revoked_at IS NULL THEN 0 ELSE 1 END, p.family_name, p.given_name, f.created_at DESC, f.id \
         LIMIT $2",
    )
    .bind(practice_id)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<CalendarFeedRow> {
    sqlx::query_as("SELECT * FROM calendar_feed WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("calendar feed"))
}

/// The feed whose secret hashes to `secret_hash`, revoked or not (the caller decides).
pub async fn find_by_secret(conn: &mut AnyConnection, practice_id: &str, secret_hash: &str) -> Result<Option<CalendarFeedRow>> {
    Ok(sqlx::query_as("SELECT * FROM calendar_feed WHERE practice_id = $1 AND secret_hash = $2")
        .bind(practice_id)
        .bind(secret_hash)
        .fetch_optional(conn)
        .await?)
}

/// Revokes an open feed. Returns false when it was already revoked (the first revocation, and
/// who made it, stand).
pub async fn revoke(conn: &mut AnyConnection, practice_id: &str, id: &str, at: &str, by_user_id: &str) -> Result<bool> {
    let done =
        sqlx::query("UPDATE calendar_feed SET revoked_at = $1, revoked_by = $2 WHERE practice_id = $3 AND id = $4 AND revoked_at IS NULL")
            .bind(at)
            .bind(by_user_id)
            .bind(practice_id)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes that a calendar app fetched the feed.
pub async fn set_last_fetched(conn: &mut AnyConnection, practice_id: &str, id: &str, at: &str) -> Result<()> {
    sqlx::query("UPDATE calendar_feed SET last_fetched_at = $1 WHERE practice_id = $2 AND id = $3")
        .bind(at)
        .bind(practice_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An appointment as a feed shows it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FeedAppointmentRow {
    pub id: String,
    /// Local `YYYY-MM-DDTHH:MM`, as in `appointment`.
    pub start_at: String,
    pub end_at: String,
    pub status: String,
    pub version: i64,
    pub notes: Option<String>,
    pub updated_at: String,
    pub appointment_type_name: Option<String>,
    pub location_name: Option<String>,
    /// `None` unless the names were asked for.
    pub patient_family_name: Option<String>,
    pub patient_given_name: Option<String>,
}

/// A provider's appointments (any status) starting in `[from_minute, to_minute)` (minutes as in
/// `scheduling::minute_of`), by start, with the type's and location's names. The patient's name
/// and the notes are read only when `with_patient_data` is true: otherwise they never leave the
/// database.
pub async fn feed_appointments(
    conn: &mut AnyConnection,
    practice_id: &str,
    provider_id: &str,
    from_minute: i64,
    to_minute: i64,
    with_patient_data: bool,
) -> Result<Vec<FeedAppointmentRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.start_at, a.end_at, a.status, a.version, \
         CASE WHEN $1 = 1 THEN a.notes END AS notes, a.updated_at, \
         t.name AS appointment_type_name, l.name AS location_name, \
         CASE WHEN $1 = 1 THEN p.family_name END AS patient_family_name, \
         CASE WHEN $1 = 1 THEN p.given_name END AS patient_given_name \
         FROM appointment a \
         LEFT JOIN appointment_type t ON t.practice_id = a.practice_id AND t.id = a.appointment_type_id \
         LEFT JOIN location l ON l.practice_id = a.practice_id AND l.id = a.location_id \
         LEFT JOIN patient p ON p.practice_id = a.practice_id AND p.id = a.patient_id \
         WHERE a.practice_id = $2 AND a.provider_id = $3 AND a.start_minute >= $4 AND a.start_minute < $5 \
         ORDER BY a.start_minute, a.id LIMIT $6",
    )
    .bind(i64::from(with_patient_data))
    .bind(practice_id)
    .bind(provider_id)
    .bind(from_minute)
    .bind(to_minute)
    .bind(FEED_APPOINTMENT_LIMIT)
    .fetch_all(conn)
    .await?)
}
