//! The schedule's set-up as the office manager changes it: providers, locations and their rooms,
//! appointment types, weekly template entries, day exceptions and holidays.
//!
//! `scheduling` holds the inserts and the reads the booking rules need; this module adds the
//! updates and removals of the set-up pages, the rooms (migration 0008), and the conversions
//! between stored rows and the domain's calendar types, so a template entry is read back the same
//! way wherever it is read.
//!
//! Nothing here touches an appointment: changing a template or an exception never moves or deletes
//! what is booked (the use cases list what would now fall outside the hours instead).

use crate::practice::ProviderRow;
use crate::scheduling::{AppointmentRow, AppointmentTypeRow, ExceptionRow, LocationRow, TemplateEntryRow};
use crate::{Result, StoreError};
use chrono::{NaiveTime, Weekday};
use medoffice_domain::scheduling::{
    AllowedTypes, AppointmentTypeId, DayException, EntryKind, ExceptionKind, LocationId, ProviderId, TemplateEntry, TimeRange,
};
use sqlx::{AnyConnection, FromRow};

/// The most rows a list here returns; a guard, not paging (a practice has a handful of locations,
/// tens of rooms and types, a few hundred future appointments per provider and quarter).
const LIST_LIMIT: i64 = 2000;

// ---------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------

/// One provider of the practice.
pub async fn get_provider(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ProviderRow> {
    sqlx::query_as("SELECT * FROM provider WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("provider"))
}

/// Rewrites a provider's names, credentials, NPI, specialty, colour and taxonomy (`user_id` and
/// `created_at` are kept). Another provider's NPI is `Conflict` on `provider_npi_unique`.
pub async fn update_provider(conn: &mut AnyConnection, p: &ProviderRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE provider SET family_name = $1, given_name = $2, credentials = $3, npi = $4, specialty = $5, colour = $6, \
         taxonomy_code = $9 WHERE practice_id = $7 AND id = $8",
    )
    .bind(&p.family_name)
    .bind(&p.given_name)
    .bind(&p.credentials)
    .bind(&p.npi)
    .bind(&p.specialty)
    .bind(&p.colour)
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.taxonomy_code)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("provider"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Locations and rooms
// ---------------------------------------------------------------------------------------------

pub async fn get_location(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<LocationRow> {
    sqlx::query_as("SELECT * FROM location WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("location"))
}

/// Rewrites a location's name, phone and address (`created_at` is kept).
pub async fn update_location(conn: &mut AnyConnection, l: &LocationRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE location SET name = $1, phone = $2, address_line1 = $3, address_line2 = $4, city = $5, state = $6, postal_code = $7 \
         WHERE practice_id = $8 AND id = $9",
    )
    .bind(&l.name)
    .bind(&l.phone)
    .bind(&l.address_line1)
    .bind(&l.address_line2)
    .bind(&l.city)
    .bind(&l.state)
    .bind(&l.postal_code)
    .bind(&l.practice_id)
    .bind(&l.id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("location"));
    }
    Ok(())
}

/// A room of a location (migration 0008).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RoomRow {
    pub practice_id: String,
    pub id: String,
    pub location_id: String,
    pub name: String,
    /// 1 while the room is offered, 0 once deactivated.
    pub active: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The constraint that keeps room names unique within a location. SQLite names the columns
/// instead (`UNIQUE constraint failed: room.practice_id, room.location_id, room.name`).
pub const ROOM_NAME_UNIQUE: &str = "room_name_unique";

/// Whether a store conflict is the room-name rule, on either backend.
pub fn is_room_name_conflict(constraint: &str) -> bool {
    constraint.contains(ROOM_NAME_UNIQUE) || constraint.contains("room.name")
}

/// Inserts a room; a name the location already has is `Conflict` ([`is_room_name_conflict`]).
pub async fn insert_room(conn: &mut AnyConnection, r: &RoomRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO room (practice_id, id, location_id, name, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.location_id)
    .bind(&r.name)
    .bind(r.active)
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_room(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<RoomRow> {
    sqlx::query_as("SELECT * FROM room WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("room"))
}

/// Renames a room and sets whether it is active.
pub async fn update_room(conn: &mut AnyConnection, practice_id: &str, id: &str, name: &str, active: bool, updated_at: &str) -> Result<()> {
    let done = sqlx::query("UPDATE room SET name = $1, active = $2, updated_at = $3 WHERE practice_id = $4 AND id = $5")
        .bind(name)
        .bind(i64::from(active))
        .bind(updated_at)
        .bind(practice_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("room"));
    }
    Ok(())
}

/// Every room of the practice (active or not), by location then name.
pub async fn list_rooms(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<RoomRow>> {
    Ok(sqlx::query_as("SELECT * FROM room WHERE practice_id = $1 ORDER BY location_id, name, id LIMIT $2")
        .bind(practice_id)
        .bind(LIST_LIMIT)
        .fetch_all(conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Appointment types
// ---------------------------------------------------------------------------------------------

/// Rewrites a type (name, length, colour, patient kind) and replaces the providers who offer it.
/// Booked appointments keep their type and length.
pub async fn update_appointment_type(conn: &mut AnyConnection, t: &AppointmentTypeRow, provider_ids: &[String]) -> Result<()> {
    let done = sqlx::query(
        "UPDATE appointment_type SET name = $1, duration_minutes = $2, colour = $3, patient_kind = $4 WHERE practice_id = $5 AND id = $6",
    )
    .bind(&t.name)
    .bind(t.duration_minutes)
    .bind(&t.colour)
    .bind(&t.patient_kind)
    .bind(&t.practice_id)
    .bind(&t.id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("appointment type"));
    }
    sqlx::query("DELETE FROM appointment_type_provider WHERE practice_id = $1 AND appointment_type_id = $2")
        .bind(&t.practice_id)
        .bind(&t.id)
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

// ---------------------------------------------------------------------------------------------
// Template entries, exceptions, holidays
// ---------------------------------------------------------------------------------------------

pub async fn get_template_entry(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<TemplateEntryRow> {
    sqlx::query_as("SELECT * FROM schedule_template_entry WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("template entry"))
}

/// Removes one entry of a provider's template.
pub async fn delete_template_entry(conn: &mut AnyConnection, practice_id: &str, provider_id: &str, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM schedule_template_entry WHERE practice_id = $1 AND provider_id = $2 AND id = $3")
        .bind(practice_id)
        .bind(provider_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("template entry"));
    }
    Ok(())
}

/// The constraint that allows one exception per provider and date (migration 0003). SQLite names
/// the columns instead.
pub const EXCEPTION_ONE_PER_DAY: &str = "schedule_exception_one_per_day";

/// Whether a store conflict is the one-exception-per-day rule, on either backend.
pub fn is_exception_date_conflict(constraint: &str) -> bool {
    constraint.contains(EXCEPTION_ONE_PER_DAY) || constraint.contains("schedule_exception.date")
}

pub async fn get_exception(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ExceptionRow> {
    sqlx::query_as("SELECT * FROM schedule_exception WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("schedule exception"))
}

/// Removes one exception of a provider.
pub async fn delete_exception(conn: &mut AnyConnection, practice_id: &str, provider_id: &str, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM schedule_exception WHERE practice_id = $1 AND provider_id = $2 AND id = $3")
        .bind(practice_id)
        .bind(provider_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("schedule exception"));
    }
    Ok(())
}

/// Whether a store conflict is a second holiday on one date (the primary key), on either backend.
pub fn is_holiday_date_conflict(constraint: &str) -> bool {
    constraint.contains("practice_holiday")
}

/// Removes the holiday on `date` (`YYYY-MM-DD`).
pub async fn delete_holiday(conn: &mut AnyConnection, practice_id: &str, date: &str) -> Result<()> {
    let done =
        sqlx::query("DELETE FROM practice_holiday WHERE practice_id = $1 AND date = $2").bind(practice_id).bind(date).execute(conn).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("holiday"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Appointments a set-up change may strand
// ---------------------------------------------------------------------------------------------

/// Appointments that still hold their time ([`OCCUPYING_STATUSES`](crate::scheduling::OCCUPYING_STATUSES)) starting in
/// `[from_minute, to_minute)`: of one provider, or of every provider when `provider_id` is `None`.
/// By start, at most `limit`. The set-up pages check them against a changed template, exception
/// or holiday.
pub async fn list_occupying_appointments(
    conn: &mut AnyConnection,
    practice_id: &str,
    provider_id: Option<&str>,
    from_minute: i64,
    to_minute: i64,
    limit: i64,
) -> Result<Vec<AppointmentRow>> {
    let limit = limit.clamp(1, LIST_LIMIT);
    let rows = match provider_id {
        Some(provider_id) => {
            sqlx::query_as(
                "SELECT * FROM appointment WHERE practice_id = $1 AND provider_id = $2 AND start_minute >= $3 AND start_minute < $4 \
                 AND status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed') \
                 ORDER BY start_minute, id LIMIT $5",
            )
            .bind(practice_id)
            .bind(provider_id)
            .bind(from_minute)
            .bind(to_minute)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT * FROM appointment WHERE practice_id = $1 AND start_minute >= $2 AND start_minute < $3 \
                 AND status IN ('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed') \
                 ORDER BY start_minute, id LIMIT $4",
            )
            .bind(practice_id)
            .bind(from_minute)
            .bind(to_minute)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Rows and the domain's calendar types
// ---------------------------------------------------------------------------------------------

/// The ISO number of a weekday as stored (1 Monday .. 7 Sunday).
pub fn weekday_number(weekday: Weekday) -> i64 {
    i64::from(weekday.number_from_monday())
}

/// The weekday of a stored ISO number.
pub fn weekday_of(number: i64) -> Option<Weekday> {
    match number {
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        6 => Some(Weekday::Sat),
        7 => Some(Weekday::Sun),
        _ => None,
    }
}

/// A stored minute range (minutes from local midnight) as a `TimeRange`. 1440, the end of the
/// day, reads as 23:59: a `TimeRange` cannot end at midnight, and nothing books the last minute.
pub fn time_range_of(start: i64, end: i64) -> std::result::Result<TimeRange, String> {
    let time = |m: i64| {
        u32::try_from(m)
            .ok()
            .and_then(|m| if m == 1440 { NaiveTime::from_hms_opt(23, 59, 0) } else { NaiveTime::from_hms_opt(m / 60, m % 60, 0) })
            .ok_or_else(|| format!("minute {m} is not in a day"))
    };
    TimeRange::new(time(start)?, time(end)?)
}

/// A stored template entry as the domain's entry.
pub fn template_entry_of(row: &TemplateEntryRow) -> Result<TemplateEntry> {
    let corrupt = |what: String| StoreError::Corrupt(format!("template entry {}: {what}", row.id));
    let weekday = weekday_of(row.weekday).ok_or_else(|| corrupt(format!("weekday {}", row.weekday)))?;
    let hours = time_range_of(row.start_minute, row.end_minute).map_err(corrupt)?;
    let kind = match row.kind.as_str() {
        "work" => EntryKind::Working {
            allowed_types: match row.allowed_type_ids.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => AllowedTypes::Any,
                Some(ids) => AllowedTypes::Only(ids.split(',').map(|id| AppointmentTypeId::new(id.trim())).collect()),
            },
            allow_overbook: row.allow_overbook != 0,
        },
        "block" => EntryKind::Block { reason: row.reason.clone().unwrap_or_else(|| "Blocked".into()) },
        other => return Err(corrupt(format!("kind '{other}'"))),
    };
    Ok(TemplateEntry {
        provider: ProviderId::new(row.provider_id.clone()),
        location: LocationId::new(row.location_id.clone()),
        weekday,
        hours,
        kind,
    })
}

/// A domain template entry as a row to insert.
pub fn template_entry_row(practice_id: &str, id: &str, entry: &TemplateEntry, created_at: &str) -> TemplateEntryRow {
    let (start, end) = entry.hours.minutes_of_day();
    let (kind, reason, allowed_type_ids, allow_overbook) = match &entry.kind {
        EntryKind::Working { allowed_types, allow_overbook } => {
            let ids = match allowed_types {
                AllowedTypes::Any => None,
                AllowedTypes::Only(ids) => Some(ids.iter().map(AppointmentTypeId::as_str).collect::<Vec<_>>().join(",")),
            };
            ("work", None, ids, i64::from(*allow_overbook))
        }
        EntryKind::Block { reason } => ("block", Some(reason.clone()), None, 0),
    };
    TemplateEntryRow {
        practice_id: practice_id.to_string(),
        id: id.to_string(),
        provider_id: entry.provider.as_str().to_string(),
        location_id: entry.location.as_str().to_string(),
        weekday: weekday_number(entry.weekday),
        start_minute: i64::from(start),
        end_minute: i64::from(end),
        kind: kind.to_string(),
        reason,
        allowed_type_ids,
        allow_overbook,
        created_at: created_at.to_string(),
    }
}

/// A stored exception as the domain's exception.
pub fn exception_of(row: &ExceptionRow) -> Result<DayException> {
    let corrupt = |what: String| StoreError::Corrupt(format!("schedule exception {}: {what}", row.id));
    let date = medoffice_domain::patients::parse_date(&row.date).map_err(corrupt)?;
    let ranges = || -> Result<Vec<TimeRange>> {
        row.ranges
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|r| !r.trim().is_empty())
            .map(|r| {
                let (a, b) = r.split_once('-').ok_or_else(|| corrupt(format!("range '{r}'")))?;
                let a: i64 = a.trim().parse().map_err(|_| corrupt(format!("range '{r}'")))?;
                let b: i64 = b.trim().parse().map_err(|_| corrupt(format!("range '{r}'")))?;
                time_range_of(a, b).map_err(corrupt)
            })
            .collect()
    };
    let location = || LocationId::new(row.location_id.clone().unwrap_or_default());
    let kind = match row.kind.as_str() {
        "closed" => ExceptionKind::Closed,
        "replace_hours" => ExceptionKind::ReplaceHours { location: location(), hours: ranges()? },
        "extra_hours" => ExceptionKind::ExtraHours { location: location(), hours: ranges()? },
        other => return Err(corrupt(format!("kind '{other}'"))),
    };
    Ok(DayException { provider: ProviderId::new(row.provider_id.clone()), date, kind, note: row.reason.clone() })
}

/// A domain exception as a row to insert: ranges as `start-end,start-end` in minutes.
pub fn exception_row(practice_id: &str, id: &str, exception: &DayException, created_at: &str) -> ExceptionRow {
    let ranges = |hours: &[TimeRange]| {
        hours
            .iter()
            .map(|h| {
                let (s, e) = h.minutes_of_day();
                format!("{s}-{e}")
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let (kind, location_id, ranges) = match &exception.kind {
        ExceptionKind::Closed => ("closed", None, None),
        ExceptionKind::ReplaceHours { location, hours } => ("replace_hours", Some(location.as_str().to_string()), Some(ranges(hours))),
        ExceptionKind::ExtraHours { location, hours } => ("extra_hours", Some(location.as_str().to_string()), Some(ranges(hours))),
    };
    ExceptionRow {
        practice_id: practice_id.to_string(),
        id: id.to_string(),
        provider_id: exception.provider.as_str().to_string(),
        date: exception.date.to_string(),
        kind: kind.to_string(),
        location_id,
        ranges,
        reason: exception.note.clone(),
        created_at: created_at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn range(start: &str, end: &str) -> TimeRange {
        TimeRange::parse(start, end).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_template_entry_survives_the_round_trip_through_its_row() {
        for kind in [
            EntryKind::Working { allowed_types: AllowedTypes::Any, allow_overbook: false },
            EntryKind::Working { allowed_types: AllowedTypes::Only(vec!["t1".into(), "t2".into()]), allow_overbook: true },
            EntryKind::Block { reason: "Lunch".into() },
        ] {
            let entry = TemplateEntry {
                provider: "dr-a".into(),
                location: "main".into(),
                weekday: Weekday::Wed,
                hours: range("08:00", "12:30"),
                kind,
            };
            let row = template_entry_row("p", "e1", &entry, "2026-06-15T16:00:00.000000Z");
            assert_eq!(row.weekday, 3);
            assert_eq!((row.start_minute, row.end_minute), (480, 750));
            assert_eq!(template_entry_of(&row).ok(), Some(entry));
        }
    }

    #[test]
    fn an_exception_survives_the_round_trip_through_its_row() {
        let date = NaiveDate::from_ymd_opt(2026, 6, 16).unwrap_or_default();
        for kind in [
            ExceptionKind::Closed,
            ExceptionKind::ReplaceHours { location: "main".into(), hours: vec![range("09:00", "10:00"), range("14:00", "15:30")] },
            ExceptionKind::ExtraHours { location: "north".into(), hours: vec![range("18:00", "20:00")] },
        ] {
            let exception = DayException { provider: "dr-a".into(), date, kind, note: Some("CME".into()) };
            let row = exception_row("p", "x1", &exception, "2026-06-15T16:00:00.000000Z");
            assert_eq!(exception_of(&row).ok(), Some(exception));
        }
    }

    #[test]
    fn stored_weekdays_and_minutes_out_of_range_are_corrupt_not_guessed() {
        assert_eq!(weekday_of(0), None);
        assert_eq!(weekday_of(8), None);
        assert!(time_range_of(600, 540).is_err());
        assert!(time_range_of(-5, 60).is_err());
        assert_eq!(time_range_of(1380, 1440).map(|r| r.to_string()), Ok("23:00–23:59".to_string()));
    }

    #[test]
    fn conflicts_are_recognised_by_constraint_name_on_both_backends() {
        assert!(is_room_name_conflict("room_name_unique"));
        assert!(is_room_name_conflict("UNIQUE constraint failed: room.practice_id, room.location_id, room.name"));
        assert!(is_exception_date_conflict(
            "UNIQUE constraint failed: schedule_exception.practice_id, schedule_exception.provider_id, schedule_exception.date"
        ));
        assert!(is_holiday_date_conflict("practice_holiday_pkey"));
        assert!(!is_holiday_date_conflict("room_name_unique"));
    }
}
