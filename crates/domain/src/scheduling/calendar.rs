//! The setup behind every booking: a provider's weekly template, exceptions for single days, the
//! practice's holidays, and the bundle of them that the rules read ([`Schedule`]).
//!
//! The template says what a normal week looks like, per provider and location: working hours
//! (which appointment types go there, whether overbooking is allowed there) and blocks (lunch,
//! admin time). An exception changes one date for one provider: closed all day (vacation), its hours
//! replaced (a half day, a day at the other office), or extra hours added (an extra clinic). A
//! practice holiday closes every provider and wins over everything else, so a forgotten exception
//! cannot open the office on Thanksgiving.

use super::booking::BookedAppointment;
use super::ids::{AppointmentTypeId, LocationId, ProviderId};
use super::text::{optional_text, required_text};
use super::time::{TimeRange, TimeRangeInput};
use crate::patients::parse_date;
use crate::validation::ValidationErrors;
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The longest reason of a block ("Lunch", "Admin time") or name of a holiday.
pub const MAX_LABEL_CHARS: usize = 60;
/// The longest note on a day exception ("CME conference in Boston").
pub const MAX_NOTE_CHARS: usize = 120;
/// How many time ranges one day exception may list.
pub const MAX_RANGES_PER_EXCEPTION: usize = 8;
/// How many appointment types one working entry may list.
pub const MAX_TYPES_PER_ENTRY: usize = 100;

// ---------------------------------------------------------------------------------------------
// The weekly template
// ---------------------------------------------------------------------------------------------

/// Which appointment types may be booked in a working window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowedTypes {
    /// Every type the provider offers.
    Any,
    /// Only these (e.g. new-patient visits on Tuesday mornings).
    Only(Vec<AppointmentTypeId>),
}

impl AllowedTypes {
    /// Whether `appointment_type` may be booked under this rule.
    pub fn allows(&self, appointment_type: &AppointmentTypeId) -> bool {
        match self {
            AllowedTypes::Any => true,
            AllowedTypes::Only(types) => types.contains(appointment_type),
        }
    }
}

/// What a template entry does to the provider's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    /// Bookable hours. Overbooking (two patients at once) is refused unless `allow_overbook`
    /// says this stretch is meant for it, e.g. a walk-in hour.
    Working { allowed_types: AllowedTypes, allow_overbook: bool },
    /// Time taken out of the working hours (lunch, admin, a standing meeting).
    Block { reason: String },
}

/// One line of a provider's weekly template: every `weekday`, `hours`, at `location`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateEntry {
    pub provider: ProviderId,
    pub location: LocationId,
    pub weekday: Weekday,
    pub hours: TimeRange,
    pub kind: EntryKind,
}

impl TemplateEntry {
    /// Whether the entry is bookable hours rather than a block.
    pub fn is_working(&self) -> bool {
        matches!(self.kind, EntryKind::Working { .. })
    }
}

/// A template entry as typed into the provider's schedule settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateEntryInput {
    pub provider_id: String,
    pub location_id: String,
    /// `monday`...`sunday` (or `mon`...`sun`).
    pub weekday: String,
    pub start: String,
    pub end: String,
    /// `working` or `block`.
    pub kind: String,
    /// Why the time is blocked; required for a block, refused for working hours.
    pub reason: String,
    /// For working hours: the only types bookable there; empty means every type.
    pub appointment_type_ids: Vec<String>,
    /// For working hours: whether two appointments may share this time on purpose.
    pub allow_overbook: bool,
}

/// `monday`, `Mon`, `tuesday`...
pub fn parse_weekday(text: &str) -> Result<Weekday, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("choose a day of the week".into());
    }
    t.parse::<Weekday>().map_err(|_| format!("'{t}' is not a day of the week, e.g. monday"))
}

/// The name of a weekday as stored and typed: `monday`...
pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

impl TemplateEntryInput {
    /// The valid entry, or every field error at once. Fields that belong to the other kind are
    /// refused rather than dropped, so a form switched from working hours to a block does not lose
    /// its settings silently.
    pub fn validate(&self) -> Result<TemplateEntry, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let provider = e.check("provider_id", ProviderId::parse(&self.provider_id));
        let location = e.check("location_id", LocationId::parse(&self.location_id));
        let weekday = e.check("weekday", parse_weekday(&self.weekday));
        let hours = TimeRangeInput { start: self.start.clone(), end: self.end.clone() }.validate(&mut e, "");
        let kind = match self.kind.trim() {
            "working" => {
                if !self.reason.trim().is_empty() {
                    e.add("reason", "only a block has a reason");
                }
                let mut types: Vec<AppointmentTypeId> = Vec::new();
                for (i, text) in self.appointment_type_ids.iter().enumerate() {
                    if let Some(id) = e.check(&format!("appointment_type_ids[{i}]"), AppointmentTypeId::parse(text))
                        && !types.contains(&id)
                    {
                        types.push(id);
                    }
                }
                if types.len() > MAX_TYPES_PER_ENTRY {
                    e.add("appointment_type_ids", format!("at most {MAX_TYPES_PER_ENTRY} types"));
                }
                let allowed_types = if self.appointment_type_ids.is_empty() { AllowedTypes::Any } else { AllowedTypes::Only(types) };
                Some(EntryKind::Working { allowed_types, allow_overbook: self.allow_overbook })
            }
            "block" => {
                if !self.appointment_type_ids.is_empty() {
                    e.add("appointment_type_ids", "a block takes no appointments");
                }
                if self.allow_overbook {
                    e.add("allow_overbook", "only working hours can allow overbooking");
                }
                e.check("reason", required_text(&self.reason, MAX_LABEL_CHARS, "say why the time is blocked, e.g. Lunch"))
                    .map(|reason| EntryKind::Block { reason })
            }
            "" => {
                e.add("kind", "choose working or block");
                None
            }
            other => {
                e.add("kind", format!("'{other}' is not one of working, block"));
                None
            }
        };
        match (provider, location, weekday, hours, kind) {
            (Some(provider), Some(location), Some(weekday), Some(hours), Some(kind)) if e.is_empty() => {
                Ok(TemplateEntry { provider, location, weekday, hours, kind })
            }
            _ => Err(e),
        }
    }
}

/// The rules across a provider's entries: working entries on the same weekday must not overlap,
/// even at different locations (nobody is in two offices at once, and which entry's appointment
/// types would apply would be a guess). Errors name the later entry, `entries[3]`, and the one it
/// collides with. Blocks may overlap anything.
pub fn check_week(entries: &[TemplateEntry]) -> Result<(), ValidationErrors> {
    let mut e = ValidationErrors::new();
    for (j, later) in entries.iter().enumerate() {
        if !later.is_working() {
            continue;
        }
        let earlier = entries[..j]
            .iter()
            .position(|x| x.is_working() && x.provider == later.provider && x.weekday == later.weekday && x.hours.overlaps(later.hours));
        if let Some(i) = earlier {
            e.add(&format!("entries[{j}]"), format!("overlaps the working hours of entries[{i}] ({})", entries[i].hours));
        }
    }
    e.into_result(())
}

// ---------------------------------------------------------------------------------------------
// Exceptions and holidays
// ---------------------------------------------------------------------------------------------

/// How an exception changes one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExceptionKind {
    /// Not working at all (vacation, illness, a conference).
    Closed,
    /// Working exactly these hours instead of the template's (which blocks included): a half day,
    /// or a day at another office. Any appointment type; no overbooking.
    ReplaceHours { location: LocationId, hours: Vec<TimeRange> },
    /// Working these hours on top of the template's (an extra clinic). Template blocks do not cut
    /// them: an extra clinic over lunch is the point of it.
    ExtraHours { location: LocationId, hours: Vec<TimeRange> },
}

/// A change to one provider's template on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayException {
    pub provider: ProviderId,
    pub date: NaiveDate,
    pub kind: ExceptionKind,
    /// What the staff should know ("CME in Boston").
    pub note: Option<String>,
}

/// A day exception as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayExceptionInput {
    pub provider_id: String,
    pub date: String,
    /// `closed`, `replace_hours` or `extra_hours`.
    pub kind: String,
    /// Where the replaced or extra hours are; refused for a closed day.
    pub location_id: String,
    /// The replaced or extra hours; at least one range, none for a closed day.
    pub hours: Vec<TimeRangeInput>,
    pub note: String,
}

impl DayExceptionInput {
    /// The valid exception, or every field error at once (`hours[1].end`, `hours[2]` for a range
    /// that overlaps an earlier one).
    pub fn validate(&self) -> Result<DayException, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let provider = e.check("provider_id", ProviderId::parse(&self.provider_id));
        let date = e.check("date", parse_date(&self.date));
        let note = e.check("note", optional_text(&self.note, MAX_NOTE_CHARS)).flatten();
        let kind = match self.kind.trim() {
            "closed" => {
                if !self.location_id.trim().is_empty() {
                    e.add("location_id", "a closed day has no location");
                }
                if !self.hours.is_empty() {
                    e.add("hours", "a closed day has no hours");
                }
                Some(ExceptionKind::Closed)
            }
            kind @ ("replace_hours" | "extra_hours") => {
                let location = e.check("location_id", LocationId::parse(&self.location_id));
                let hours = self.validate_hours(&mut e);
                match (location, kind) {
                    (Some(location), "replace_hours") => Some(ExceptionKind::ReplaceHours { location, hours }),
                    (Some(location), _) => Some(ExceptionKind::ExtraHours { location, hours }),
                    (None, _) => None,
                }
            }
            "" => {
                e.add("kind", "choose closed, replace_hours or extra_hours");
                None
            }
            other => {
                e.add("kind", format!("'{other}' is not one of closed, replace_hours, extra_hours"));
                None
            }
        };
        match (provider, date, kind) {
            (Some(provider), Some(date), Some(kind)) if e.is_empty() => Ok(DayException { provider, date, kind, note }),
            _ => Err(e),
        }
    }

    fn validate_hours(&self, e: &mut ValidationErrors) -> Vec<TimeRange> {
        if self.hours.is_empty() {
            e.add("hours", "give at least one range of hours");
        } else if self.hours.len() > MAX_RANGES_PER_EXCEPTION {
            e.add("hours", format!("at most {MAX_RANGES_PER_EXCEPTION} ranges"));
        }
        let mut valid: Vec<(usize, TimeRange)> = Vec::new();
        for (j, input) in self.hours.iter().enumerate() {
            let Some(range) = input.validate(e, &format!("hours[{j}].")) else { continue };
            if let Some((i, _)) = valid.iter().find(|(_, r)| r.overlaps(range)) {
                e.add(&format!("hours[{j}]"), format!("overlaps hours[{i}]"));
            }
            valid.push((j, range));
        }
        valid.into_iter().map(|(_, r)| r).collect()
    }
}

/// A day the whole practice is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// A holiday as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidayInput {
    pub date: String,
    pub name: String,
}

impl HolidayInput {
    /// The valid holiday, or the errors of `date` and `name`.
    pub fn validate(&self) -> Result<Holiday, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let date = e.check("date", parse_date(&self.date));
        let name = e.check("name", required_text(&self.name, MAX_LABEL_CHARS, "enter a name, e.g. Thanksgiving"));
        match (date, name) {
            (Some(date), Some(name)) => Ok(Holiday { date, name }),
            _ => Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A provider's calendar and the practice's schedule
// ---------------------------------------------------------------------------------------------

/// One provider's template and exceptions, checked to agree with each other: every entry and
/// exception is the provider's, working entries do not overlap ([`check_week`]), and there is at
/// most one exception per date (two would contradict each other: closed and extra hours?).
/// The fields are private so every calendar the rules see has passed these checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderCalendar {
    provider: ProviderId,
    template: Vec<TemplateEntry>,
    exceptions: Vec<DayException>,
}

impl ProviderCalendar {
    /// Errors name `entries[i]` and `exceptions[i]`.
    pub fn new(provider: ProviderId, template: Vec<TemplateEntry>, exceptions: Vec<DayException>) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        for (i, entry) in template.iter().enumerate() {
            if entry.provider != provider {
                e.add(&format!("entries[{i}]"), format!("belongs to provider {}, not {provider}", entry.provider));
            }
        }
        if let Err(week) = check_week(&template) {
            e.errors.extend(week.errors);
        }
        let mut dates = BTreeSet::new();
        for (i, exception) in exceptions.iter().enumerate() {
            if exception.provider != provider {
                e.add(&format!("exceptions[{i}]"), format!("belongs to provider {}, not {provider}", exception.provider));
            }
            if !dates.insert(exception.date) {
                e.add(&format!("exceptions[{i}]"), format!("{} already has an exception", exception.date));
            }
        }
        e.into_result(ProviderCalendar { provider, template, exceptions })
    }

    /// Whose calendar this is.
    pub fn provider(&self) -> &ProviderId {
        &self.provider
    }

    /// The weekly template entries, working hours and blocks.
    pub fn template(&self) -> &[TemplateEntry] {
        &self.template
    }

    /// The exceptions, at most one per date.
    pub fn exceptions(&self) -> &[DayException] {
        &self.exceptions
    }

    /// The exception for `date`, if any.
    pub fn exception_on(&self, date: NaiveDate) -> Option<&DayException> {
        self.exceptions.iter().find(|x| x.date == date)
    }
}

/// Everything the booking rules read, loaded by the caller for the dates in question: the
/// providers' calendars, the practice's holidays and the appointments already booked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// One calendar per provider; a provider without one does not work. Should a provider appear
    /// twice, the first calendar counts.
    pub calendars: Vec<ProviderCalendar>,
    pub holidays: Vec<Holiday>,
    /// Booked appointments of any status; cancelled ones and no-shows hold no time.
    pub appointments: Vec<BookedAppointment>,
}

impl Schedule {
    /// The calendar of `provider`, if it works at all.
    pub fn calendar_of(&self, provider: &ProviderId) -> Option<&ProviderCalendar> {
        self.calendars.iter().find(|c| &c.provider == provider)
    }

    /// The practice holiday on `date`, if any.
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&Holiday> {
        self.holidays.iter().find(|h| h.date == date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::test_support::{block, date, hours, working};

    fn lunch_input() -> TemplateEntryInput {
        TemplateEntryInput {
            provider_id: "dr-a".into(),
            location_id: "main".into(),
            weekday: "Monday".into(),
            start: "12:00".into(),
            end: "13:00".into(),
            kind: "block".into(),
            reason: "Lunch".into(),
            ..Default::default()
        }
    }

    fn fields<T: std::fmt::Debug>(result: Result<T, ValidationErrors>) -> Vec<String> {
        result.err().map(|e| e.errors.into_iter().map(|f| f.field).collect()).unwrap_or_default()
    }

    #[test]
    fn a_lunch_block_is_a_valid_template_entry() {
        let entry = lunch_input().validate().unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(entry.weekday, Weekday::Mon);
        assert_eq!(entry.hours, hours("12:00", "13:00"));
        assert_eq!(entry.kind, EntryKind::Block { reason: "Lunch".into() });
    }

    #[test]
    fn working_hours_may_list_the_types_that_go_there() {
        let input = TemplateEntryInput {
            kind: "working".into(),
            reason: String::new(),
            start: "08:00".into(),
            end: "12:00".into(),
            appointment_type_ids: vec!["new-visit".into(), "new-visit".into()],
            allow_overbook: true,
            ..lunch_input()
        };
        let entry = input.validate().unwrap_or_else(|e| unreachable!("{e}"));
        let EntryKind::Working { allowed_types, allow_overbook } = entry.kind else { unreachable!("working") };
        assert_eq!(allowed_types, AllowedTypes::Only(vec![AppointmentTypeId::from("new-visit")]));
        assert!(allow_overbook);
        assert!(allowed_types.allows(&AppointmentTypeId::from("new-visit")));
        assert!(!allowed_types.allows(&AppointmentTypeId::from("follow-up")));
    }

    #[test]
    fn an_empty_template_entry_names_every_field() {
        assert_eq!(fields(TemplateEntryInput::default().validate()), vec!["provider_id", "location_id", "weekday", "start", "end", "kind"]);
    }

    #[test]
    fn a_block_without_a_reason_or_with_working_settings_is_refused() {
        let input =
            TemplateEntryInput { reason: " ".into(), appointment_type_ids: vec!["x".into()], allow_overbook: true, ..lunch_input() };
        assert_eq!(fields(input.validate()), vec!["appointment_type_ids", "allow_overbook", "reason"]);
    }

    #[test]
    fn working_hours_with_a_reason_are_refused() {
        let input = TemplateEntryInput { kind: "working".into(), ..lunch_input() };
        assert_eq!(fields(input.validate()), vec!["reason"]);
    }

    #[test]
    fn a_template_entry_ending_before_it_starts_or_on_an_unknown_day_is_refused() {
        let input = TemplateEntryInput { weekday: "someday".into(), start: "13:00".into(), end: "12:00".into(), ..lunch_input() };
        assert_eq!(fields(input.validate()), vec!["weekday", "end"]);
        let input = TemplateEntryInput { kind: "vacation".into(), ..lunch_input() };
        assert_eq!(fields(input.validate()), vec!["kind"]);
    }

    #[test]
    fn overlapping_working_hours_on_the_same_day_are_refused_but_blocks_may_overlap() {
        let entries = vec![
            working("dr-a", Weekday::Mon, "08:00", "12:00"),
            block("dr-a", Weekday::Mon, "11:00", "13:00", "Lunch"),
            working("dr-a", Weekday::Tue, "11:00", "17:00"),
            working("dr-a", Weekday::Mon, "12:00", "17:00"),
            working("dr-a", Weekday::Mon, "11:30", "12:30"),
        ];
        let e = check_week(&entries).err().unwrap_or_default();
        assert_eq!(e.summary(), "entries[4]: overlaps the working hours of entries[0] (08:00–12:00)");
    }

    #[test]
    fn a_calendar_refuses_another_providers_entries_and_two_exceptions_on_one_day() {
        let closed =
            |provider: &str| DayException { provider: provider.into(), date: date(2026, 12, 7), kind: ExceptionKind::Closed, note: None };
        let result = ProviderCalendar::new(
            "dr-a".into(),
            vec![working("dr-a", Weekday::Mon, "08:00", "12:00"), working("dr-b", Weekday::Mon, "13:00", "17:00")],
            vec![closed("dr-a"), closed("dr-a")],
        );
        assert_eq!(fields(result), vec!["entries[1]", "exceptions[1]"]);
    }

    #[test]
    fn a_half_day_replaces_the_hours_with_the_ranges_given() {
        let input = DayExceptionInput {
            provider_id: "dr-a".into(),
            date: "2026-12-07".into(),
            kind: "replace_hours".into(),
            location_id: "main".into(),
            hours: vec![TimeRangeInput { start: "08:00".into(), end: "12:00".into() }],
            note: "Half day".into(),
        };
        let x = input.validate().unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(x.kind, ExceptionKind::ReplaceHours { location: "main".into(), hours: vec![hours("08:00", "12:00")] });
        assert_eq!(x.note.as_deref(), Some("Half day"));
    }

    #[test]
    fn exception_hours_that_overlap_or_are_missing_are_refused() {
        let input = DayExceptionInput {
            provider_id: "dr-a".into(),
            date: "2026-02-30".into(),
            kind: "extra_hours".into(),
            location_id: String::new(),
            hours: vec![
                TimeRangeInput { start: "08:00".into(), end: "12:00".into() },
                TimeRangeInput { start: "11:00".into(), end: "13:00".into() },
                TimeRangeInput { start: "14:00".into(), end: "".into() },
            ],
            note: String::new(),
        };
        assert_eq!(fields(input.validate()), vec!["date", "location_id", "hours[1]", "hours[2].end"]);
        let input = DayExceptionInput { kind: "extra_hours".into(), location_id: "main".into(), hours: vec![], ..input };
        assert_eq!(fields(input.validate()), vec!["date", "hours"]);
    }

    #[test]
    fn a_closed_day_takes_no_hours_or_location() {
        let input = DayExceptionInput {
            provider_id: "dr-a".into(),
            date: "2026-12-07".into(),
            kind: "closed".into(),
            location_id: "main".into(),
            hours: vec![TimeRangeInput { start: "08:00".into(), end: "12:00".into() }],
            note: "Vacation".into(),
        };
        assert_eq!(fields(input.validate()), vec!["location_id", "hours"]);
        let input = DayExceptionInput { location_id: String::new(), hours: vec![], ..input };
        assert_eq!(input.validate().map(|x| x.kind), Ok(ExceptionKind::Closed));
    }

    #[test]
    fn a_holiday_needs_a_real_date_and_a_name() {
        assert_eq!(fields(HolidayInput { date: "2026-13-01".into(), name: " ".into() }.validate()), vec!["date", "name"]);
        let h = HolidayInput { date: "2026-11-26".into(), name: "Thanksgiving".into() }.validate();
        assert_eq!(h, Ok(Holiday { date: date(2026, 11, 26), name: "Thanksgiving".into() }));
    }

    #[test]
    fn weekdays_are_read_in_full_or_short_and_named_in_full() {
        assert_eq!(parse_weekday("mon"), Ok(Weekday::Mon));
        assert_eq!(parse_weekday(" Sunday "), Ok(Weekday::Sun));
        assert!(parse_weekday("").is_err());
        assert!(parse_weekday("mondays").is_err());
        for day in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun] {
            assert_eq!(parse_weekday(weekday_name(day)), Ok(day));
        }
    }
}
