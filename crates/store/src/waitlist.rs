//! The waitlist: patients who want an earlier slot (`waitlist_entry`) and the freed slots offered
//! to them (`waitlist_offer`), migration 0005.
//!
//! Dates are `YYYY-MM-DD` and slot times the practice's local time, stored as on `appointment`
//! (`YYYY-MM-DDTHH:MM` text and minutes since 1970-01-01T00:00 local). Whether an open offer's slot
//! has been taken since it was offered is read with the offer ([`OfferRead::taken`]), never stored.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most rows a list returns; a guard, not paging (a practice's waitlist is dozens of entries).
const LIST_LIMIT: i64 = 1000;

/// Entry statuses of entries still looking for a slot.
pub const LOOKING_STATUSES: [&str; 2] = ["waiting", "offered"];

/// Returned as `StoreError::Conflict(STALE_ENTRY.into())` when an entry changed since it was read.
pub const STALE_ENTRY: &str = "waitlist_entry_version";

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct WaitlistEntryRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    /// `None` for any provider.
    pub provider_id: Option<String>,
    pub appointment_type_id: String,
    /// `YYYY-MM-DD`, inclusive.
    pub earliest_date: String,
    pub latest_date: String,
    /// `any`, `morning` or `afternoon` (`PartOfDay::as_str`).
    pub part_of_day: String,
    pub note: Option<String>,
    /// `waiting`, `offered`, `booked` or `removed`.
    pub status: String,
    pub booked_appointment_id: Option<String>,
    /// The user who added the entry.
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

pub async fn insert_entry(conn: &mut AnyConnection, e: &WaitlistEntryRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO waitlist_entry (practice_id, id, patient_id, provider_id, appointment_type_id, earliest_date, latest_date, \
         part_of_day, note, status, booked_appointment_id, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&e.practice_id)
    .bind(&e.id)
    .bind(&e.patient_id)
    .bind(&e.provider_id)
    .bind(&e.appointment_type_id)
    .bind(&e.earliest_date)
    .bind(&e.latest_date)
    .bind(&e.part_of_day)
    .bind(&e.note)
    .bind(&e.status)
    .bind(&e.booked_appointment_id)
    .bind(&e.created_by)
    .bind(&e.created_at)
    .bind(&e.updated_at)
    .bind(e.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_entry(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<WaitlistEntryRow> {
    sqlx::query_as("SELECT * FROM waitlist_entry WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("waitlist entry"))
}

/// The entries still looking for a slot (`waiting` or `offered`), or every entry when `all`,
/// the earliest wanted date first.
pub async fn list_entries(conn: &mut AnyConnection, practice_id: &str, all: bool) -> Result<Vec<WaitlistEntryRow>> {
    let sql = if all {
        "SELECT * FROM waitlist_entry WHERE practice_id = $1 ORDER BY earliest_date, created_at, id LIMIT $2"
    } else {
        "SELECT * FROM waitlist_entry WHERE practice_id = $1 AND status IN ('waiting', 'offered') \
         ORDER BY earliest_date, created_at, id LIMIT $2"
    };
    Ok(sqlx::query_as(sql).bind(practice_id).bind(LIST_LIMIT).fetch_all(conn).await?)
}

/// The entries still looking for a slot (`waiting` or `offered`) whose dates include `date`
/// (`YYYY-MM-DD`), oldest entry first: the candidates for a slot freed on that date.
pub async fn looking_on(conn: &mut AnyConnection, practice_id: &str, date: &str) -> Result<Vec<WaitlistEntryRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM waitlist_entry WHERE practice_id = $1 AND status IN ('waiting', 'offered') \
         AND earliest_date <= $2 AND latest_date >= $2 ORDER BY created_at, id LIMIT $3",
    )
    .bind(practice_id)
    .bind(date)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// Sets an entry's status (and the appointment it was booked into, kept when `None`) if it is
/// still at `expected_version`; bumps the version and returns the row. Someone else's change in
/// between is `Conflict("waitlist_entry_version")`.
pub async fn set_entry_status(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    expected_version: i64,
    status: &str,
    booked_appointment_id: Option<&str>,
    updated_at: &str,
) -> Result<WaitlistEntryRow> {
    let done = sqlx::query(
        "UPDATE waitlist_entry SET status = $1, booked_appointment_id = COALESCE($2, booked_appointment_id), updated_at = $3, \
         version = version + 1 WHERE practice_id = $4 AND id = $5 AND version = $6",
    )
    .bind(status)
    .bind(booked_appointment_id)
    .bind(updated_at)
    .bind(practice_id)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    let row = get_entry(conn, practice_id, id).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(STALE_ENTRY.into()));
    }
    Ok(row)
}

/// Marks a `waiting` entry `offered` (an entry already offered stays so). Returns whether it changed.
pub async fn mark_offered(conn: &mut AnyConnection, practice_id: &str, id: &str, updated_at: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE waitlist_entry SET status = 'offered', updated_at = $1, version = version + 1 \
         WHERE practice_id = $2 AND id = $3 AND status = 'waiting'",
    )
    .bind(updated_at)
    .bind(practice_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct WaitlistOfferRow {
    pub practice_id: String,
    pub id: String,
    pub entry_id: String,
    /// The cancelled or no-show appointment whose time this is.
    pub freed_appointment_id: String,
    pub provider_id: String,
    pub location_id: String,
    /// The freed appointment's type.
    pub appointment_type_id: String,
    /// Local `YYYY-MM-DDTHH:MM`.
    pub start_at: String,
    pub end_at: String,
    /// Minutes since 1970-01-01T00:00 local (`scheduling::minute_of`).
    pub start_minute: i64,
    pub end_minute: i64,
    /// `open`, `booked`, `declined` or `withdrawn`.
    pub status: String,
    pub booked_appointment_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An offer as read, with whether its time is taken now.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct OfferRead {
    #[sqlx(flatten)]
    pub offer: WaitlistOfferRow,
    /// 1 when an appointment of the provider that holds its time (not an overbook) overlaps the
    /// offered slot now; 0 otherwise.
    pub taken: i64,
}

pub async fn insert_offer(conn: &mut AnyConnection, o: &WaitlistOfferRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO waitlist_offer (practice_id, id, entry_id, freed_appointment_id, provider_id, location_id, appointment_type_id, \
         start_at, end_at, start_minute, end_minute, status, booked_appointment_id, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&o.practice_id)
    .bind(&o.id)
    .bind(&o.entry_id)
    .bind(&o.freed_appointment_id)
    .bind(&o.provider_id)
    .bind(&o.location_id)
    .bind(&o.appointment_type_id)
    .bind(&o.start_at)
    .bind(&o.end_at)
    .bind(o.start_minute)
    .bind(o.end_minute)
    .bind(&o.status)
    .bind(&o.booked_appointment_id)
    .bind(&o.created_by)
    .bind(&o.created_at)
    .bind(&o.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The select list of an offer with its `taken` flag, then `WHERE` and the condition: an
/// appointment of the same provider that holds its time (`OCCUPYING_STATUSES`, not an overbook)
/// overlapping the slot (half-open; appointments last at most a day, so the probe starts a day
/// before the slot, on `appointment_by_provider`).
macro_rules! offer_read {
    ($condition:literal) => {
        concat!(
            "SELECT o.*, CAST(CASE WHEN EXISTS (SELECT 1 FROM appointment a WHERE a.practice_id = o.practice_id \
             AND a.provider_id = o.provider_id AND a.start_minute < o.end_minute AND a.start_minute > o.start_minute - 1440 \
             AND a.end_minute > o.start_minute AND a.overbook = 0 \
             AND a.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')) \
             THEN 1 ELSE 0 END AS BIGINT) AS taken FROM waitlist_offer o WHERE ",
            $condition
        )
    };
}

/// Whether an appointment of the provider that holds its time (not an overbook) overlaps
/// `[start_minute, end_minute)`: the same probe as an offer's `taken`.
pub async fn slot_taken(
    conn: &mut AnyConnection,
    practice_id: &str,
    provider_id: &str,
    start_minute: i64,
    end_minute: i64,
) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM appointment a WHERE a.practice_id = $1 AND a.provider_id = $2 AND a.start_minute < $3 \
         AND a.start_minute > $4 AND a.end_minute > $5 AND a.overbook = 0 \
         AND a.status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')",
    )
    .bind(practice_id)
    .bind(provider_id)
    .bind(end_minute)
    .bind(start_minute - 1440)
    .bind(start_minute)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn get_offer(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<OfferRead> {
    sqlx::query_as(offer_read!("o.practice_id = $1 AND o.id = $2"))
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("waitlist offer"))
}

/// The practice's open offers, soonest slot first, each with whether its time is taken now.
pub async fn list_open_offers(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<OfferRead>> {
    Ok(sqlx::query_as(offer_read!("o.practice_id = $1 AND o.status = 'open' ORDER BY o.start_minute, o.id LIMIT $2"))
        .bind(practice_id)
        .bind(LIST_LIMIT)
        .fetch_all(conn)
        .await?)
}

/// Moves an offer from `from` to `to` (and the appointment it was booked into, if any). Returns
/// whether it moved: `false` when its status was not `from` any more.
pub async fn set_offer_status(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    from: &str,
    to: &str,
    booked_appointment_id: Option<&str>,
    updated_at: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE waitlist_offer SET status = $1, booked_appointment_id = COALESCE($2, booked_appointment_id), updated_at = $3 \
         WHERE practice_id = $4 AND id = $5 AND status = $6",
    )
    .bind(to)
    .bind(booked_appointment_id)
    .bind(updated_at)
    .bind(practice_id)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Withdraws every open offer of an entry (it was booked or removed). Returns how many.
pub async fn withdraw_open_offers(conn: &mut AnyConnection, practice_id: &str, entry_id: &str, updated_at: &str) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE waitlist_offer SET status = 'withdrawn', updated_at = $1 WHERE practice_id = $2 AND entry_id = $3 AND status = 'open'",
    )
    .bind(updated_at)
    .bind(practice_id)
    .bind(entry_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// How many open offers an entry has.
pub async fn count_open_offers(conn: &mut AnyConnection, practice_id: &str, entry_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM waitlist_offer WHERE practice_id = $1 AND entry_id = $2 AND status = 'open'")
        .bind(practice_id)
        .bind(entry_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
