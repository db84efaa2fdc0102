//! Recalls: "see this patient again in 6 months" (`recall`) and the calls, letters and e-mails
//! that follow (`recall_contact`), migration 0005.
//!
//! A recall's stored status is what people set (`pending`, `contacted`, `closed`). Whether it is
//! booked is read with it ([`RecallRead::booked`]): the patient has an appointment that holds its
//! time (`scheduling::OCCUPYING_STATUSES`) booked on or after the recall was created. Booking
//! knows nothing of recalls; the recall list finds out.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most rows a list returns; a guard, not paging.
const LIST_LIMIT: i64 = 1000;

/// Returned as `StoreError::Conflict(STALE_RECALL.into())` when a recall changed since it was read.
pub const STALE_RECALL: &str = "recall_version";

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RecallRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub provider_id: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// `pending`, `contacted` or `closed`.
    pub status: String,
    pub close_reason: Option<String>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub notes: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// A recall as read, with whether it counts as booked now.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RecallRead {
    #[sqlx(flatten)]
    pub recall: RecallRow,
    /// 1 when the patient has an appointment holding its time booked on or after the recall's
    /// creation; 0 otherwise.
    pub booked: i64,
    /// The start (local `YYYY-MM-DDTHH:MM`) of the earliest such appointment, if any.
    pub booked_start: Option<String>,
}

/// The select list of a recall with its derived `booked` and `booked_start`, then `WHERE` and the
/// condition. Both probe `appointment_by_patient`; created_at is fixed-width UTC text on both
/// tables, so text order is time order.
macro_rules! recall_read {
    ($condition:literal) => {
        concat!(
            "SELECT * FROM (SELECT r.*, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM appointment a WHERE a.practice_id = r.practice_id AND a.patient_id = r.patient_id \
             AND a.created_at >= r.created_at \
             AND a.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')) THEN 1 ELSE 0 END AS BIGINT) AS booked, \
             (SELECT MIN(a.start_at) FROM appointment a WHERE a.practice_id = r.practice_id AND a.patient_id = r.patient_id \
             AND a.created_at >= r.created_at \
             AND a.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')) AS booked_start \
             FROM recall r) x WHERE ",
            $condition
        )
    };
}

pub async fn insert_recall(conn: &mut AnyConnection, r: &RecallRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO recall (practice_id, id, patient_id, provider_id, reason, due_date, status, close_reason, closed_at, closed_by, \
         notes, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(&r.provider_id)
    .bind(&r.reason)
    .bind(&r.due_date)
    .bind(&r.status)
    .bind(&r.close_reason)
    .bind(&r.closed_at)
    .bind(&r.closed_by)
    .bind(&r.notes)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .bind(r.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_recall(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<RecallRead> {
    sqlx::query_as(recall_read!("x.practice_id = $1 AND x.id = $2"))
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("recall"))
}

/// Which recalls a list shows, by what they are now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecallStatusFilter {
    /// Still to be worked: pending or contacted, and not booked.
    Open,
    Pending,
    Contacted,
    /// Not closed, and the patient has booked since.
    Booked,
    Closed,
    All,
}

impl RecallStatusFilter {
    /// The value bound into the list query.
    fn as_str(self) -> &'static str {
        match self {
            RecallStatusFilter::Open => "open",
            RecallStatusFilter::Pending => "pending",
            RecallStatusFilter::Contacted => "contacted",
            RecallStatusFilter::Booked => "booked",
            RecallStatusFilter::Closed => "closed",
            RecallStatusFilter::All => "all",
        }
    }
}

/// The recalls due from `first` to `last` (`YYYY-MM-DD`, inclusive) with this status now, by due
/// date. A recall's status now: `closed` if closed, else `booked` if booked, else as stored.
pub async fn list_recalls(
    conn: &mut AnyConnection,
    practice_id: &str,
    first: &str,
    last: &str,
    status: RecallStatusFilter,
) -> Result<Vec<RecallRead>> {
    Ok(sqlx::query_as(recall_read!(
        "x.practice_id = $1 AND x.due_date >= $2 AND x.due_date <= $3 AND ( \
         $4 = 'all' \
         OR ($4 = 'closed' AND x.status = 'closed') \
         OR ($4 = 'booked' AND x.status <> 'closed' AND x.booked = 1) \
         OR ($4 = 'open' AND x.status <> 'closed' AND x.booked = 0) \
         OR ($4 = x.status AND x.status <> 'closed' AND x.booked = 0)) \
         ORDER BY x.due_date, x.created_at, x.id LIMIT $5"
    ))
    .bind(practice_id)
    .bind(first)
    .bind(last)
    .bind(status.as_str())
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// A patient's recalls, by due date.
pub async fn recalls_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<RecallRead>> {
    Ok(sqlx::query_as(recall_read!("x.practice_id = $1 AND x.patient_id = $2 ORDER BY x.due_date, x.id LIMIT $3"))
        .bind(practice_id)
        .bind(patient_id)
        .bind(LIST_LIMIT)
        .fetch_all(conn)
        .await?)
}

/// A change of a recall's stored status, applied only if it is still at `expected_version`.
#[derive(Debug, Clone, Default)]
pub struct RecallChange<'a> {
    pub status: &'a str,
    pub close_reason: Option<&'a str>,
    pub closed_at: Option<&'a str>,
    pub closed_by: Option<&'a str>,
    pub updated_at: &'a str,
}

/// Sets the status (and the closing details, kept when `None`), bumps the version and returns the
/// row as read. Someone else's change in between is `Conflict("recall_version")`.
pub async fn update_recall(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    expected_version: i64,
    change: &RecallChange<'_>,
) -> Result<RecallRead> {
    let done = sqlx::query(
        "UPDATE recall SET status = $1, close_reason = COALESCE($2, close_reason), closed_at = COALESCE($3, closed_at), \
         closed_by = COALESCE($4, closed_by), updated_at = $5, version = version + 1 \
         WHERE practice_id = $6 AND id = $7 AND version = $8",
    )
    .bind(change.status)
    .bind(change.close_reason)
    .bind(change.closed_at)
    .bind(change.closed_by)
    .bind(change.updated_at)
    .bind(practice_id)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    let row = get_recall(conn, practice_id, id).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(STALE_RECALL.into()));
    }
    Ok(row)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RecallContactRow {
    pub practice_id: String,
    pub recall_id: String,
    /// 1, 2, 3... per recall.
    pub seq: i64,
    pub at: String,
    pub user_id: String,
    /// `phone`, `letter` or `email`.
    pub method: String,
    /// `reached`, `left_message`, `no_answer`, `wrong_number` (calls) or `sent`.
    pub outcome: String,
    pub note: Option<String>,
}

/// Appends a contact attempt and returns its number (`seq` of `c` is ignored). Call it in the
/// transaction that updated the recall (the versioned update serialises writers).
pub async fn append_contact(conn: &mut AnyConnection, c: &RecallContactRow) -> Result<i64> {
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO recall_contact (practice_id, recall_id, seq, at, user_id, method, outcome, note) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM recall_contact WHERE practice_id = $1 AND recall_id = $2), \
         $3, $4, $5, $6, $7) RETURNING seq",
    )
    .bind(&c.practice_id)
    .bind(&c.recall_id)
    .bind(&c.at)
    .bind(&c.user_id)
    .bind(&c.method)
    .bind(&c.outcome)
    .bind(&c.note)
    .fetch_one(conn)
    .await?;
    Ok(seq)
}

/// A recall's contact attempts, oldest first.
pub async fn list_contacts(conn: &mut AnyConnection, practice_id: &str, recall_id: &str) -> Result<Vec<RecallContactRow>> {
    Ok(sqlx::query_as("SELECT * FROM recall_contact WHERE practice_id = $1 AND recall_id = $2 ORDER BY seq LIMIT 1000")
        .bind(practice_id)
        .bind(recall_id)
        .fetch_all(conn)
        .await?)
}
