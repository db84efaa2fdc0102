//! Builders for the scheduling tests: a reference week, a small practice and its appointments.

use super::appointment_types::{AppointmentDuration, AppointmentType, AppointmentTypeData, Colour, PatientKind};
use super::booking::BookedAppointment;
use super::calendar::{AllowedTypes, DayException, EntryKind, ProviderCalendar, TemplateEntry};
use super::status::AppointmentStatus;
use super::time::{Interval, TimeRange};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// Monday 7 December 2026, the first day of the reference week.
pub(crate) const MONDAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 12, 7) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| unreachable!("{y}-{m}-{d} is not a date"))
}

pub(crate) fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_else(|| unreachable!("{h}:{m} is not a time"))
}

pub(crate) fn at(day: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    day.and_time(time(h, m))
}

pub(crate) fn hours(start: &str, end: &str) -> TimeRange {
    TimeRange::parse(start, end).unwrap_or_else(|e| unreachable!("{e}"))
}

pub(crate) fn working_for(provider: &str, weekday: Weekday, start: &str, end: &str, types: &[&str], overbook: bool) -> TemplateEntry {
    let allowed_types = if types.is_empty() { AllowedTypes::Any } else { AllowedTypes::Only(types.iter().map(|&t| t.into()).collect()) };
    TemplateEntry {
        provider: provider.into(),
        location: "main".into(),
        weekday,
        hours: hours(start, end),
        kind: EntryKind::Working { allowed_types, allow_overbook: overbook },
    }
}

pub(crate) fn working(provider: &str, weekday: Weekday, start: &str, end: &str) -> TemplateEntry {
    working_for(provider, weekday, start, end, &[], false)
}

pub(crate) fn working_at(provider: &str, location: &str, weekday: Weekday, start: &str, end: &str) -> TemplateEntry {
    TemplateEntry { location: location.into(), ..working(provider, weekday, start, end) }
}

pub(crate) fn block(provider: &str, weekday: Weekday, start: &str, end: &str, reason: &str) -> TemplateEntry {
    TemplateEntry {
        provider: provider.into(),
        location: "main".into(),
        weekday,
        hours: hours(start, end),
        kind: EntryKind::Block { reason: reason.into() },
    }
}

pub(crate) fn calendar(provider: &str, template: Vec<TemplateEntry>, exceptions: Vec<DayException>) -> ProviderCalendar {
    ProviderCalendar::new(provider.into(), template, exceptions).unwrap_or_else(|e| unreachable!("{e}"))
}

/// Dr A's and Dr B's usual week: 08:00–17:00 on weekdays with lunch at 12:00.
pub(crate) fn usual_week(provider: &str) -> ProviderCalendar {
    let mut template = Vec::new();
    for day in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri] {
        template.push(working(provider, day, "08:00", "17:00"));
        template.push(block(provider, day, "12:00", "13:00", "Lunch"));
    }
    calendar(provider, template, Vec::new())
}

/// A 30-minute check-up offered by Dr A and Dr B.
pub(crate) fn checkup() -> AppointmentType {
    appointment_type("checkup", 30, &["dr-a", "dr-b"])
}

pub(crate) fn appointment_type(id: &str, minutes: u32, providers: &[&str]) -> AppointmentType {
    AppointmentType {
        id: id.into(),
        data: AppointmentTypeData {
            name: id.into(),
            duration: AppointmentDuration::from_minutes(minutes).unwrap_or_else(|e| unreachable!("{e}")),
            colour: Colour::parse("#1f77b4").unwrap_or_else(|e| unreachable!("{e}")),
            providers: providers.iter().map(|&p| p.into()).collect(),
            patient_kind: PatientKind::Any,
        },
    }
}

pub(crate) fn appointment(id: &str, provider: &str, start: NaiveDateTime, minutes: u32, status: AppointmentStatus) -> BookedAppointment {
    BookedAppointment {
        id: id.into(),
        provider: provider.into(),
        interval: Interval::starting_at(start, minutes).unwrap_or_else(|| unreachable!("an interval")),
        status,
    }
}
