//! Scheduling: locations, appointment types, providers' templates, exceptions, holidays,
//! appointments and their history.
//!
//! Times are the practice's local wall-clock time, as in `medoffice_domain::scheduling`. An
//! appointment is stored twice over: `start_at`/`end_at` as `YYYY-MM-DDTHH:MM` text, and
//! `start_minute`/`end_minute` as minutes since 1970-01-01T00:00 local ([`minute_of`]), which the
//! range scans and the database's no-overlap rule compare.
//!
//! **The database refuses a double booking** (migration 0003): two appointments of one provider
//! that both occupy their time (`AppointmentStatus::occupies_time`) and are not overbooks may not
//! overlap. PostgreSQL enforces it with the exclusion constraint `appointment_no_overlap`, SQLite
//! with triggers of the same name; either way a write that would break it returns
//! `StoreError::Conflict("appointment_no_overlap")` ([`NO_OVERLAP`]). The domain's `check_booking`
//! gives the friendly answer first; the constraint is what holds when two desks book at once.

use crate::{Result, StoreError};
use chrono::{NaiveDate, NaiveDateTime};
use medoffice_domain::scheduling::{AppointmentId, AppointmentStatus, BookedAppointment, Interval, ProviderId};
use sqlx::{AnyConnection, FromRow};

/// The constraint (PostgreSQL) and trigger message (SQLite) that refuse a double booking; a refused
/// write is `StoreError::Conflict(NO_OVERLAP.into())`.
pub const NO_OVERLAP: &str = "appointment_no_overlap";

/// Returned as `StoreError::Conflict(STALE_VERSION.into())` when an update's expected version is
/// not the stored one (someone else changed the appointment first).
pub const STALE_VERSION: &str = "appointment_version";

/// The most rows a list returns; a guard, not paging. A slot search reads one provider's 92 days
/// (at most 96 quarter hours a day, 8,832, plus overbooks and cancelled rows), so the guard is
/// far above that: a truncated list would offer times that are taken.
const LIST_LIMIT: i64 = 20_000;

/// Minutes in a day: the longest an appointment may be (constraint `appointment_length`), which
/// bounds the scans for appointments overlapping a range.
const DAY_MINUTES: i64 = 1440;

/// Statuses that hold their time, as in `AppointmentStatus::occupies_time` and in migration 0003.
pub const OCCUPYING_STATUSES: [&str; 6] = ["scheduled", "confirmed", "arrived", "in_room", "checked_out", "completed"];

/// Minutes since 1970-01-01T00:00 (local time, no time zone): the stored `start_minute`/`end_minute`.
pub fn minute_of(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(60)
}

/// A local time as stored in `start_at`/`end_at`: `YYYY-MM-DDTHH:MM`.
pub fn local_text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// Whether a failed write may succeed when its transaction is run again: a PostgreSQL deadlock
/// (40P01; two transactions inserting overlapping appointments at the same moment can each wait for
/// the other's row, and PostgreSQL aborts one) or serialization failure (40001), or SQLite busy.
/// The use case retries the whole transaction; the retry then meets the winner's committed row and
/// gets the deterministic `Conflict(NO_OVERLAP)`.
pub fn is_transient(e: &StoreError) -> bool {
    match e {
        StoreError::Database(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("40P01" | "40001" | "5" | "517" | "6" | "262"))
        }
        _ => false,
    }
}

/// Takes the provider's booking lock for the rest of the transaction: a no-op update of the
/// provider's row, which PostgreSQL locks until commit (SQLite's BEGIN IMMEDIATE already holds the
/// one write lock). Bookings of one provider then run one after another, so the second reads the
/// first's committed appointment and answers a clean conflict, instead of both inserting and
/// deadlocking on the exclusion constraint (PostgreSQL resolves that only after its 1 s
/// deadlock_timeout). Bookings of different providers do not wait for each other.
pub async fn lock_provider_schedule(conn: &mut AnyConnection, practice_id: &str, provider_id: &str) -> Result<()> {
    sqlx::query("UPDATE provider SET colour = colour WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(provider_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct LocationRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub created_at: String,
}

pub async fn insert_location(conn: &mut AnyConnection, l: &LocationRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO location (practice_id, id, name, phone, address_line1, address_line2, city, state, postal_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&l.practice_id)
    .bind(&l.id)
    .bind(&l.name)
    .bind(&l.phone)
    .bind(&l.address_line1)
    .bind(&l.address_line2)
    .bind(&l.city)
    .bind(&l.state)
    .bind(&l.postal_code)
    .bind(&l.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_locations(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<LocationRow>> {
    Ok(sqlx::query_as("SELECT * FROM location WHERE practice_id = $1 ORDER BY name, id LIMIT 2000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Appointment types
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AppointmentTypeRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    pub duration_minutes: i64,
    pub colour: String,
    /// `new`, `established` or `any` (`PatientKind::as_str`).
    pub patient_kind: String,
    pub created_at: String,
}

/// An appointment type with the providers who offer it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppointmentTypeWithProviders {
    pub appointment_type: AppointmentTypeRow,
    /// Sorted.
    pub provider_ids: Vec<String>,
}

/// Inserts a type and the providers who offer it.
pub async fn insert_appointment_type(conn: &mut AnyConnection, t: &AppointmentTypeRow, provider_ids: &[String]) -> Result<()> {
    sqlx::query(
        "INSERT INTO appointment_type (practice_id, id, name, duration_minutes, colour, patient_kind, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.practice_id)
    .bind(&t.id)
    .bind(&t.name)
    .bind(t.duration_minutes)
    .bind(&t.colour)
    .bind(&t.patient_kind)
    .bind(&t.created_at)
    .execute(&mut *conn)
    .await?;
    for provider_id in provider_ids {
        sqlx::query("INSERT INTO appointment_type_provider (practice_id, appointment_type_id, provider_id) VALUES ($1, $2, $3)")
            .bind(&t.practice_id)
            .bind(&t.id)
            .bind(provider_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The practice's appointment types by name, each with its providers (two queries, not one per type).
pub async fn list_appointment_types(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<AppointmentTypeWithProviders>> {
    let types: Vec<AppointmentTypeRow> =
        sqlx::query_as("SELECT * FROM appointment_type WHERE practice_id = $1 ORDER BY name, id LIMIT 2000")
            .bind(practice_id)
            .fetch_all(&mut *conn)
            .await?;
    let links: Vec<(String, String)> = sqlx::query_as(
        "SELECT appointment_type_id, provider_id FROM appointment_type_provider WHERE practice_id = $1 \
         ORDER BY appointment_type_id, provider_id LIMIT 100000",
    )
    .bind(practice_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(types
        .into_iter()
        .map(|t| {
            let provider_ids = links.iter().filter(|(type_id, _)| *type_id == t.id).map(|(_, p)| p.clone()).collect();
            AppointmentTypeWithProviders { appointment_type: t, provider_ids }
        })
        .collect())
}

pub async fn get_appointment_type(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<AppointmentTypeRow> {
    sqlx::query_as("SELECT * FROM appointment_type WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("appointment type"))
}

// ---------------------------------------------------------------------------------------------
// Templates, exceptions, holidays
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct TemplateEntryRow {
    pub practice_id: String,
    pub id: String,
    pub provider_id: String,
    pub location_id: String,
    /// ISO weekday, 1 Monday .. 7 Sunday.
    pub weekday: i64,
    /// Minutes from local midnight, half-open.
    pub start_minute: i64,
    pub end_minute: i64,
    /// `work` or `block`.
    pub kind: String,
    pub reason: Option<String>,
    /// Comma-separated appointment type ids a work entry takes; `None` for any.
    pub allowed_type_ids: Option<String>,
    /// 0 or 1.
    pub allow_overbook: i64,
    pub created_at: String,
}

pub async fn insert_template_entry(conn: &mut AnyConnection, e: &TemplateEntryRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO schedule_template_entry (practice_id, id, provider_id, location_id, weekday, start_minute, end_minute, kind, \
         reason, allowed_type_ids, allow_overbook, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&e.practice_id)
    .bind(&e.id)
    .bind(&e.provider_id)
    .bind(&e.location_id)
    .bind(e.weekday)
    .bind(e.start_minute)
    .bind(e.end_minute)
    .bind(&e.kind)
    .bind(&e.reason)
    .bind(&e.allowed_type_ids)
    .bind(e.allow_overbook)
    .bind(&e.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A provider's weekly template, Monday first.
pub async fn list_template_entries(conn: &mut AnyConnection, practice_id: &str, provider_id: &str) -> Result<Vec<TemplateEntryRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM schedule_template_entry WHERE practice_id = $1 AND provider_id = $2 \
         ORDER BY weekday, start_minute, id LIMIT 2000",
    )
    .bind(practice_id)
    .bind(provider_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ExceptionRow {
    pub practice_id: String,
    pub id: String,
    pub provider_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `closed`, `replace_hours` or `extra_hours`.
    pub kind: String,
    pub location_id: Option<String>,
    /// `start-end,start-end` in minutes from midnight; `None` for a closed day.
    pub ranges: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
}

/// Inserts an exception; a second one for the provider and date is
/// `Conflict("schedule_exception_one_per_day")`.
pub async fn insert_exception(conn: &mut AnyConnection, e: &ExceptionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO schedule_exception (practice_id, id, provider_id, date, kind, location_id, ranges, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&e.practice_id)
    .bind(&e.id)
    .bind(&e.provider_id)
    .bind(&e.date)
    .bind(&e.kind)
    .bind(&e.location_id)
    .bind(&e.ranges)
    .bind(&e.reason)
    .bind(&e.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A provider's exceptions from `first` to `last` (dates, inclusive).
pub async fn list_exceptions(
    conn: &mut AnyConnection,
    practice_id: &str,
    provider_id: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<ExceptionRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM schedule_exception WHERE practice_id = $1 AND provider_id = $2 AND date >= $3 AND date <= $4 \
         ORDER BY date, id LIMIT 2000",
    )
    .bind(practice_id)
    .bind(provider_id)
    .bind(first.to_string())
    .bind(last.to_string())
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct HolidayRow {
    pub practice_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
    pub created_at: String,
}

/// Inserts a holiday; a second one on the date is a `Conflict` on the primary key.
pub async fn insert_holiday(conn: &mut AnyConnection, h: &HolidayRow) -> Result<()> {
    sqlx::query("INSERT INTO practice_holiday (practice_id, date, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&h.practice_id)
        .bind(&h.date)
        .bind(&h.name)
        .bind(&h.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The practice's holidays from `first` to `last` (inclusive). Dates are fixed-width ASCII digits
/// and dashes, which every collation orders as text order.
pub async fn list_holidays(conn: &mut AnyConnection, practice_id: &str, first: NaiveDate, last: NaiveDate) -> Result<Vec<HolidayRow>> {
    Ok(sqlx::query_as("SELECT * FROM practice_holiday WHERE practice_id = $1 AND date >= $2 AND date <= $3 ORDER BY date LIMIT 2000")
        .bind(practice_id)
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Appointments
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AppointmentRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    /// Local `YYYY-MM-DDTHH:MM`.
    pub start_at: String,
    pub end_at: String,
    /// Minutes since 1970-01-01T00:00 local ([`minute_of`]).
    pub start_minute: i64,
    pub end_minute: i64,
    /// `AppointmentStatus::as_str`.
    pub status: String,
    /// 1 when booked on top of another appointment where the template allows it.
    pub overbook: i64,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub rescheduled_to: Option<String>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The recurring series it belongs to.
    pub series_id: Option<String>,
    /// The appointment this one replaced when that one was rescheduled.
    pub rescheduled_from: Option<String>,
    /// The room the patient was taken to (the "in room" step; migration 0008).
    pub room_id: Option<String>,
}

impl AppointmentRow {
    pub fn status(&self) -> Result<AppointmentStatus> {
        AppointmentStatus::parse(&self.status).map_err(StoreError::Corrupt)
    }

    /// The local interval, from `start_at`/`end_at`.
    pub fn interval(&self) -> Result<Interval> {
        let parse = |text: &str| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .map_err(|e| StoreError::Corrupt(format!("appointment {}: time '{text}': {e}", self.id)))
        };
        Interval::new(parse(&self.start_at)?, parse(&self.end_at)?)
            .map_err(|e| StoreError::Corrupt(format!("appointment {}: {e}", self.id)))
    }

    /// What the domain's booking rules need to know about it.
    pub fn booked(&self) -> Result<BookedAppointment> {
        Ok(BookedAppointment {
            id: AppointmentId::new(self.id.clone()),
            provider: ProviderId::new(self.provider_id.clone()),
            interval: self.interval()?,
            status: self.status()?,
        })
    }
}

/// Inserts an appointment. One that would overlap an occupying, non-overbook appointment of the
/// same provider is refused by the database: `Conflict("appointment_no_overlap")`.
pub async fn insert_appointment(conn: &mut AnyConnection, a: &AppointmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO appointment (practice_id, id, patient_id, provider_id, location_id, appointment_type_id, start_at, end_at, \
         start_minute, end_minute, status, overbook, cancel_reason, cancelled_by, rescheduled_to, notes, version, created_at, updated_at, \
         series_id, rescheduled_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
    )
    .bind(&a.practice_id)
    .bind(&a.id)
    .bind(&a.patient_id)
    .bind(&a.provider_id)
    .bind(&a.location_id)
    .bind(&a.appointment_type_id)
    .bind(&a.start_at)
    .bind(&a.end_at)
    .bind(a.start_minute)
    .bind(a.end_minute)
    .bind(&a.status)
    .bind(a.overbook)
    .bind(&a.cancel_reason)
    .bind(&a.cancelled_by)
    .bind(&a.rescheduled_to)
    .bind(&a.notes)
    .bind(a.version)
    .bind(&a.created_at)
    .bind(&a.updated_at)
    .bind(&a.series_id)
    .bind(&a.rescheduled_from)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_appointment(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<AppointmentRow> {
    sqlx::query_as("SELECT * FROM appointment WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("appointment"))
}

/// A provider's appointments (any status) overlapping `[from_minute, to_minute)`, by start.
/// Appointments last at most a day, so the index range starts a day before `from_minute`.
pub async fn list_appointments(
    conn: &mut AnyConnection,
    practice_id: &str,
    provider_id: &str,
    from_minute: i64,
    to_minute: i64,
) -> Result<Vec<AppointmentRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM appointment WHERE practice_id = $1 AND provider_id = $2 \
         AND start_minute > $3 AND start_minute < $4 AND end_minute > $5 \
         ORDER BY start_minute, id LIMIT $6",
    )
    .bind(practice_id)
    .bind(provider_id)
    .bind(from_minute - DAY_MINUTES)
    .bind(to_minute)
    .bind(from_minute)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// Every provider's appointments (any status) starting on `date`, by start then provider: the day sheet.
pub async fn list_appointments_on(conn: &mut AnyConnection, practice_id: &str, date: NaiveDate) -> Result<Vec<AppointmentRow>> {
    let from = minute_of(date.and_time(chrono::NaiveTime::MIN));
    Ok(sqlx::query_as(
        "SELECT * FROM appointment WHERE practice_id = $1 AND start_minute >= $2 AND start_minute < $3 \
         ORDER BY start_minute, provider_id, id LIMIT $4",
    )
    .bind(practice_id)
    .bind(from)
    .bind(from + DAY_MINUTES)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// A status change with its details, applied only if the appointment is still at `expected_version`.
#[derive(Debug, Clone, Default)]
pub struct StatusChange<'a> {
    pub status: &'a str,
    pub cancel_reason: Option<&'a str>,
    pub cancelled_by: Option<&'a str>,
    pub rescheduled_to: Option<&'a str>,
    pub updated_at: &'a str,
}

/// Sets the status (and cancellation or reschedule details, kept when `None`) if the stored
/// version is `expected_version`, and bumps the version. Returns the updated row. Someone else's
/// change in between is `Conflict("appointment_version")`; a change back to an occupying status
/// over a time taken since is `Conflict("appointment_no_overlap")`.
pub async fn update_status(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    expected_version: i64,
    change: &StatusChange<'_>,
) -> Result<AppointmentRow> {
    let done = sqlx::query(
        "UPDATE appointment SET status = $1, cancel_reason = COALESCE($2, cancel_reason), cancelled_by = COALESCE($3, cancelled_by), \
         rescheduled_to = COALESCE($4, rescheduled_to), updated_at = $5, version = version + 1 \
         WHERE practice_id = $6 AND id = $7 AND version = $8",
    )
    .bind(change.status)
    .bind(change.cancel_reason)
    .bind(change.cancelled_by)
    .bind(change.rescheduled_to)
    .bind(change.updated_at)
    .bind(practice_id)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    after_versioned_update(conn, practice_id, id, done.rows_affected()).await
}

/// Moves an appointment (provider and time) if the stored version is `expected_version`, and bumps
/// the version. A move onto a taken time is `Conflict("appointment_no_overlap")`.
pub async fn update_time(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    expected_version: i64,
    provider_id: &str,
    interval: &Interval,
    updated_at: &str,
) -> Result<AppointmentRow> {
    let done = sqlx::query(
        "UPDATE appointment SET provider_id = $1, start_at = $2, end_at = $3, start_minute = $4, end_minute = $5, \
         updated_at = $6, version = version + 1 WHERE practice_id = $7 AND id = $8 AND version = $9",
    )
    .bind(provider_id)
    .bind(local_text(interval.start()))
    .bind(local_text(interval.end()))
    .bind(minute_of(interval.start()))
    .bind(minute_of(interval.end()))
    .bind(updated_at)
    .bind(practice_id)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    after_versioned_update(conn, practice_id, id, done.rows_affected()).await
}

/// The row after a versioned update, or why nothing was updated.
async fn after_versioned_update(conn: &mut AnyConnection, practice_id: &str, id: &str, rows_affected: u64) -> Result<AppointmentRow> {
    let row = get_appointment(conn, practice_id, id).await?;
    if rows_affected == 0 {
        return Err(StoreError::Conflict(STALE_VERSION.into()));
    }
    Ok(row)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AppointmentEventRow {
    pub practice_id: String,
    pub appointment_id: String,
    /// 1, 2, 3... per appointment.
    pub seq: i64,
    pub at: String,
    pub user_id: Option<String>,
    /// `None` for the booking itself.
    pub from_status: Option<String>,
    pub to_status: String,
    /// JSON.
    pub detail: String,
}

/// Appends an event to the appointment's history and returns its number (`seq` of `e` is ignored).
/// Call it in the transaction that changed the appointment: the versioned update has locked the
/// row, so two writers cannot take the same number (and the primary key would refuse it anyway).
pub async fn append_appointment_event(conn: &mut AnyConnection, e: &AppointmentEventRow) -> Result<i64> {
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO appointment_event (practice_id, appointment_id, seq, at, user_id, from_status, to_status, detail) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM appointment_event WHERE practice_id = $1 AND appointment_id = $2), \
         $3, $4, $5, $6, $7) RETURNING seq",
    )
    .bind(&e.practice_id)
    .bind(&e.appointment_id)
    .bind(&e.at)
    .bind(&e.user_id)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .bind(&e.detail)
    .fetch_one(conn)
    .await?;
    Ok(seq)
}

/// An appointment's history, oldest first.
pub async fn list_appointment_events(
    conn: &mut AnyConnection,
    practice_id: &str,
    appointment_id: &str,
) -> Result<Vec<AppointmentEventRow>> {
    Ok(sqlx::query_as("SELECT * FROM appointment_event WHERE practice_id = $1 AND appointment_id = $2 ORDER BY seq LIMIT 2000")
        .bind(practice_id)
        .bind(appointment_id)
        .fetch_all(conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Recurring series
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct SeriesRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub appointment_type_id: String,
    pub every_n_weeks: i64,
    pub occurrences: Option<i64>,
    /// `YYYY-MM-DD`.
    pub until_date: Option<String>,
    /// Local `YYYY-MM-DDTHH:MM`.
    pub first_start: String,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_series(conn: &mut AnyConnection, s: &SeriesRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO appointment_series (practice_id, id, patient_id, provider_id, appointment_type_id, every_n_weeks, occurrences, \
         until_date, first_start, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&s.practice_id)
    .bind(&s.id)
    .bind(&s.patient_id)
    .bind(&s.provider_id)
    .bind(&s.appointment_type_id)
    .bind(s.every_n_weeks)
    .bind(s.occurrences)
    .bind(&s.until_date)
    .bind(&s.first_start)
    .bind(&s.created_by)
    .bind(&s.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_series(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<SeriesRow> {
    sqlx::query_as("SELECT * FROM appointment_series WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("appointment series"))
}

/// The appointments of a series, by start.
pub async fn list_series_appointments(conn: &mut AnyConnection, practice_id: &str, series_id: &str) -> Result<Vec<AppointmentRow>> {
    Ok(sqlx::query_as("SELECT * FROM appointment WHERE practice_id = $1 AND series_id = $2 ORDER BY start_minute, id LIMIT 200")
        .bind(practice_id)
        .bind(series_id)
        .fetch_all(conn)
        .await?)
}

/// A patient's appointments (any status), newest first: the chart's list.
pub async fn list_patient_appointments(
    conn: &mut AnyConnection,
    practice_id: &str,
    patient_id: &str,
    limit: i64,
) -> Result<Vec<AppointmentRow>> {
    Ok(sqlx::query_as("SELECT * FROM appointment WHERE practice_id = $1 AND patient_id = $2 ORDER BY start_minute DESC, id LIMIT $3")
        .bind(practice_id)
        .bind(patient_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Records the room the patient was taken to, under the appointment's version (bumped).
pub async fn set_room(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    expected_version: i64,
    room_id: &str,
    updated_at: &str,
) -> Result<AppointmentRow> {
    let done = sqlx::query(
        "UPDATE appointment SET room_id = $1, updated_at = $2, version = version + 1 WHERE practice_id = $3 AND id = $4 AND version = $5",
    )
    .bind(room_id)
    .bind(updated_at)
    .bind(practice_id)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    after_versioned_update(conn, practice_id, id, done.rows_affected()).await
}
