//! Finding open slots: "the next 30-minute check-up with anyone, mornings, in the next two weeks".
//!
//! A slot is a start time on the step grid (every 15 minutes from midnight by default, so slots
//! read 9:00, 9:15...) where the whole appointment fits inside open windows that take the type,
//! at one location, and overlaps no appointment of the provider that holds its time. Searches are
//! bounded: at most [`MAX_RANGE_DAYS`](super::time::MAX_RANGE_DAYS) days and [`MAX_SLOT_RESULTS`] results.

use super::appointment_types::AppointmentType;
use super::availability::{availability, spans};
use super::calendar::{ProviderCalendar, Schedule};
use super::ids::{LocationId, ProviderId};
use super::time::{DateRange, Interval, time_at};
use crate::patients::parse_date;
use crate::validation::ValidationErrors;
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The most slots one search returns.
pub const MAX_SLOT_RESULTS: usize = 50;
/// How many slots a search returns when the caller does not say.
pub const DEFAULT_SLOT_RESULTS: usize = 20;
/// The step of the slot grid when the caller does not say.
pub const DEFAULT_STEP_MINUTES: u32 = 15;
/// The steps offered; each divides an hour, so the grid looks the same every hour.
pub const STEP_CHOICES: [u32; 6] = [5, 10, 15, 20, 30, 60];
/// How many days a search covers when the caller gives no end date.
pub const DEFAULT_SEARCH_DAYS: u32 = 14;

/// Which part of the day the patient can come, by the slot's start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartOfDay {
    #[default]
    Any,
    /// Starting before 12:00.
    Morning,
    /// Starting at 12:00 or later.
    Afternoon,
}

impl PartOfDay {
    /// The stored and typed text.
    pub fn as_str(self) -> &'static str {
        match self {
            PartOfDay::Any => "any",
            PartOfDay::Morning => "morning",
            PartOfDay::Afternoon => "afternoon",
        }
    }

    /// `any` (or blank), `morning`, `afternoon`.
    pub fn parse(text: &str) -> Result<PartOfDay, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "any" => Ok(PartOfDay::Any),
            "morning" => Ok(PartOfDay::Morning),
            "afternoon" => Ok(PartOfDay::Afternoon),
            other => Err(format!("'{other}' is not one of any, morning, afternoon")),
        }
    }

    /// Whether a slot starting at `start` belongs to this part of the day.
    pub fn includes(self, start: NaiveTime) -> bool {
        match self {
            PartOfDay::Any => true,
            PartOfDay::Morning => start.hour() < 12,
            PartOfDay::Afternoon => start.hour() >= 12,
        }
    }
}

/// Whose slots to look for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderChoice {
    /// Any provider who offers the type.
    #[default]
    Any,
    /// Only these (one, usually: the patient's own doctor).
    Only(Vec<ProviderId>),
}

impl ProviderChoice {
    /// Whether `provider`'s slots are wanted.
    pub fn includes(&self, provider: &ProviderId) -> bool {
        match self {
            ProviderChoice::Any => true,
            ProviderChoice::Only(providers) => providers.contains(provider),
        }
    }
}

/// The spacing of slot start times, one of [`STEP_CHOICES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SlotStep(u32);

impl SlotStep {
    /// Refuses a step that is not one of [`STEP_CHOICES`].
    pub fn from_minutes(minutes: u32) -> Result<SlotStep, String> {
        if STEP_CHOICES.contains(&minutes) { Ok(SlotStep(minutes)) } else { Err("one of 5, 10, 15, 20, 30 or 60 minutes".into()) }
    }

    /// Minutes as typed; blank is the default, 15.
    pub fn parse(text: &str) -> Result<SlotStep, String> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(SlotStep::default());
        }
        t.parse::<u32>().map_err(|_| format!("'{t}' is not a number of minutes")).and_then(SlotStep::from_minutes)
    }

    /// The step in minutes.
    pub fn minutes(self) -> u32 {
        self.0
    }
}

impl Default for SlotStep {
    fn default() -> Self {
        SlotStep(DEFAULT_STEP_MINUTES)
    }
}

/// How many slots to return, 1 to [`MAX_SLOT_RESULTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ResultLimit(usize);

impl ResultLimit {
    /// Refuses 0 and more than [`MAX_SLOT_RESULTS`]: every search has a bounded answer.
    pub fn new(count: usize) -> Result<ResultLimit, String> {
        if (1..=MAX_SLOT_RESULTS).contains(&count) { Ok(ResultLimit(count)) } else { Err(format!("from 1 to {MAX_SLOT_RESULTS}")) }
    }

    /// A count as typed; blank is the default, 20.
    pub fn parse(text: &str) -> Result<ResultLimit, String> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(ResultLimit::default());
        }
        t.parse::<usize>().map_err(|_| format!("'{t}' is not a number")).and_then(ResultLimit::new)
    }

    /// The number of slots to return at most.
    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for ResultLimit {
    fn default() -> Self {
        ResultLimit(DEFAULT_SLOT_RESULTS)
    }
}

/// A slot search as typed (query string or JSON). The appointment type is not in it: the caller
/// loads the type first and hands it to `validate`, which needs its length and providers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotSearchInput {
    /// Empty for any provider who offers the type.
    pub provider_ids: Vec<String>,
    /// The first date; blank for today.
    pub from: String,
    /// The last date; blank for two weeks from `from`. At most 92 days in all.
    pub to: String,
    /// `any` (blank), `morning` or `afternoon`.
    pub part_of_day: String,
    /// 5, 10, 15 (blank), 20, 30 or 60.
    pub step_minutes: String,
    /// 1 to 50; blank for 20.
    pub max_results: String,
}

/// A valid slot search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotRequest {
    pub appointment_type: AppointmentType,
    pub providers: ProviderChoice,
    pub dates: DateRange,
    pub part_of_day: PartOfDay,
    pub step: SlotStep,
    pub max_results: ResultLimit,
    /// No slot starts before this (now, so the past is never offered).
    pub not_before: Option<NaiveDateTime>,
}

impl SlotSearchInput {
    /// The valid search for `appointment_type` as of `now` (practice local time), or every field
    /// error at once. A provider who does not offer the type is refused by name rather than
    /// answered with an empty list nobody could explain.
    pub fn validate(&self, appointment_type: &AppointmentType, now: NaiveDateTime) -> Result<SlotRequest, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut chosen: Vec<ProviderId> = Vec::new();
        for (i, text) in self.provider_ids.iter().enumerate() {
            let field = format!("provider_ids[{i}]");
            let Some(provider) = e.check(&field, ProviderId::parse(text)) else { continue };
            if !appointment_type.offered_by(&provider) {
                e.add(&field, format!("does not offer {}", appointment_type.data.name));
            } else if !chosen.contains(&provider) {
                chosen.push(provider);
            }
        }
        let today = now.date();
        let from = if self.from.trim().is_empty() { Some(today) } else { e.check("from", parse_date(&self.from)) };
        let from = from.filter(|&from| {
            let in_past = from < today;
            if in_past {
                e.add("from", "the search cannot start in the past");
            }
            !in_past
        });
        let dates = from.and_then(|from| {
            let range = if self.to.trim().is_empty() {
                DateRange::days_from(from, DEFAULT_SEARCH_DAYS)
            } else {
                parse_date(&self.to).and_then(|to| DateRange::new(from, to))
            };
            e.check("to", range)
        });
        let part_of_day = e.check("part_of_day", PartOfDay::parse(&self.part_of_day));
        let step = e.check("step_minutes", SlotStep::parse(&self.step_minutes));
        let max_results = e.check("max_results", ResultLimit::parse(&self.max_results));
        let providers = if self.provider_ids.is_empty() { ProviderChoice::Any } else { ProviderChoice::Only(chosen) };
        match (dates, part_of_day, step, max_results) {
            (Some(dates), Some(part_of_day), Some(step), Some(max_results)) if e.is_empty() => Ok(SlotRequest {
                appointment_type: appointment_type.clone(),
                providers,
                dates,
                part_of_day,
                step,
                max_results,
                not_before: Some(now),
            }),
            _ => Err(e),
        }
    }
}

/// An open time for the requested appointment type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub provider: ProviderId,
    pub location: LocationId,
    pub interval: Interval,
}

/// The open slots for `request`, earliest first and, at the same time, by provider id; at most
/// `request.max_results`. Every slot lies inside the provider's open windows that take the type
/// (so outside blocks, holidays and closed days), on the step grid, in the part of the day asked,
/// and overlaps no appointment of the provider that holds its time. Overbooking is never offered:
/// it is a deliberate choice made when booking, not an open slot.
pub fn find_open_slots(request: &SlotRequest, schedule: &Schedule) -> Vec<Slot> {
    let appointment_type = &request.appointment_type;
    let length = appointment_type.duration().minutes();
    let step = request.step.minutes();
    let mut seen = BTreeSet::new();
    let mut calendars: Vec<&ProviderCalendar> = schedule
        .calendars
        .iter()
        .filter(|c| seen.insert(c.provider()) && appointment_type.offered_by(c.provider()) && request.providers.includes(c.provider()))
        .collect();
    calendars.sort_by(|a, b| a.provider().cmp(b.provider()));
    let busy = busy_by_day(request, schedule, &calendars);
    let mut slots: Vec<Slot> = Vec::new();
    for day in request.dates.dates() {
        let mut found: Vec<Slot> = Vec::new();
        for calendar in &calendars {
            let taken = busy.get(&(calendar.provider(), day)).map(Vec::as_slice).unwrap_or_default();
            let windows = availability(day, calendar, &schedule.holidays);
            for span in spans(&windows, |w| w.allows(&appointment_type.id)) {
                let mut start = span.start.div_ceil(step) * step;
                while start + length <= span.end {
                    let interval = time_at(start)
                        .filter(|&t| request.part_of_day.includes(t))
                        .and_then(|t| Interval::starting_at(day.and_time(t), length))
                        .filter(|i| request.not_before.is_none_or(|earliest| i.start() >= earliest))
                        .filter(|i| !taken.iter().any(|b| b.overlaps(i)));
                    if let Some(interval) = interval {
                        found.push(Slot { provider: calendar.provider().clone(), location: span.location.clone(), interval });
                    }
                    start += step;
                }
            }
        }
        found.sort_by(|a, b| (a.interval.start(), &a.provider).cmp(&(b.interval.start(), &b.provider)));
        for slot in found {
            if slots.len() >= request.max_results.get() {
                return slots;
            }
            slots.push(slot);
        }
    }
    slots
}

/// The intervals that hold time, per provider and per date of the search they touch, so each
/// candidate slot is compared with one day's appointments, not the whole book.
fn busy_by_day<'a>(
    request: &SlotRequest,
    schedule: &'a Schedule,
    calendars: &[&'a ProviderCalendar],
) -> BTreeMap<(&'a ProviderId, NaiveDate), Vec<Interval>> {
    let mut busy: BTreeMap<(&ProviderId, NaiveDate), Vec<Interval>> = BTreeMap::new();
    for appointment in schedule.appointments.iter().filter(|a| a.occupies_time()) {
        let Some(calendar) = calendars.iter().find(|c| c.provider() == &appointment.provider) else { continue };
        let first = appointment.interval.start().date().max(request.dates.first());
        let last = appointment.interval.end().date().min(request.dates.last());
        let mut day = first;
        while day <= last {
            busy.entry((calendar.provider(), day)).or_default().push(appointment.interval);
            let Some(next) = day.checked_add_days(Days::new(1)) else { break };
            day = next;
        }
    }
    busy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::calendar::{DayException, ExceptionKind, Holiday};
    use crate::scheduling::status::AppointmentStatus::*;
    use crate::scheduling::test_support::{MONDAY, appointment, appointment_type, at, calendar, checkup, usual_week, working_for};
    use crate::scheduling::time::MAX_RANGE_DAYS;
    use chrono::Weekday;

    fn request(dates: DateRange) -> SlotRequest {
        SlotRequest {
            appointment_type: checkup(),
            providers: ProviderChoice::Any,
            dates,
            part_of_day: PartOfDay::Any,
            step: SlotStep::default(),
            max_results: ResultLimit::new(MAX_SLOT_RESULTS).unwrap_or_default(),
            not_before: None,
        }
    }

    fn monday_only() -> DateRange {
        DateRange::days_from(MONDAY, 1).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn two_doctors() -> Schedule {
        Schedule { calendars: vec![usual_week("dr-b"), usual_week("dr-a")], ..Schedule::default() }
    }

    fn shown(slots: &[Slot]) -> Vec<String> {
        slots.iter().map(|s| format!("{} {}", s.interval.start().format("%a %H:%M"), s.provider)).collect()
    }

    fn only_dr_a(mut r: SlotRequest) -> SlotRequest {
        r.providers = ProviderChoice::Only(vec!["dr-a".into()]);
        r
    }

    #[test]
    fn a_slot_never_starts_in_the_lunch_block() {
        let slots = find_open_slots(&only_dr_a(request(monday_only())), &two_doctors());
        let starts = shown(&slots);
        assert!(starts.contains(&"Mon 11:30 dr-a".to_string()));
        assert!(!starts.iter().any(|s| s.starts_with("Mon 11:45") || s.starts_with("Mon 12:")), "{starts:?}");
        assert!(starts.contains(&"Mon 13:00 dr-a".to_string()));
        assert_eq!(starts.last().map(String::as_str), Some("Mon 16:30 dr-a"));
        // 08:00–12:00 and 13:00–17:00 hold 15 and 15 starts of a 30-minute visit on a 15-minute grid.
        assert_eq!(slots.len(), 30);
    }

    #[test]
    fn slots_are_ordered_by_time_then_provider() {
        let mut r = request(monday_only());
        r.max_results = ResultLimit::new(4).unwrap_or_default();
        assert_eq!(
            shown(&find_open_slots(&r, &two_doctors())),
            vec!["Mon 08:00 dr-a", "Mon 08:00 dr-b", "Mon 08:15 dr-a", "Mon 08:15 dr-b"]
        );
    }

    #[test]
    fn a_holiday_has_no_open_slots() {
        let mut s = two_doctors();
        s.holidays.push(Holiday { date: MONDAY, name: "Staff day".into() });
        let slots = find_open_slots(&request(DateRange::days_from(MONDAY, 2).unwrap_or_else(|e| unreachable!("{e}"))), &s);
        assert!(!slots.is_empty());
        assert!(slots.iter().all(|slot| slot.interval.start().date() != MONDAY));
    }

    #[test]
    fn a_vacation_day_has_no_open_slots_for_that_provider_only() {
        let away = DayException { provider: "dr-a".into(), date: MONDAY, kind: ExceptionKind::Closed, note: None };
        let s = Schedule {
            calendars: vec![calendar("dr-a", usual_week("dr-a").template().to_vec(), vec![away]), usual_week("dr-b")],
            ..Schedule::default()
        };
        let slots = find_open_slots(&request(monday_only()), &s);
        assert_eq!(slots.len(), 30);
        assert!(slots.iter().all(|slot| slot.provider.as_str() == "dr-b"));
    }

    #[test]
    fn a_booked_appointment_takes_its_slots() {
        let mut s = two_doctors();
        s.appointments.push(appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 45, Confirmed));
        let starts = shown(&find_open_slots(&only_dr_a(request(monday_only())), &s));
        for taken in ["08:45", "09:00", "09:15", "09:30"] {
            assert!(!starts.contains(&format!("Mon {taken} dr-a")), "{taken} was offered");
        }
        assert!(starts.contains(&"Mon 08:30 dr-a".to_string()));
        assert!(starts.contains(&"Mon 09:45 dr-a".to_string()));
    }

    #[test]
    fn a_cancelled_appointment_frees_its_time() {
        let mut s = two_doctors();
        s.appointments.push(appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 45, Cancelled));
        s.appointments.push(appointment("appt-2", "dr-a", at(MONDAY, 10, 0), 30, NoShow));
        assert_eq!(find_open_slots(&only_dr_a(request(monday_only())), &s).len(), 30);
    }

    #[test]
    fn morning_and_afternoon_are_split_at_noon_by_start_time() {
        let mut r = only_dr_a(request(monday_only()));
        r.part_of_day = PartOfDay::Morning;
        let morning = find_open_slots(&r, &two_doctors());
        assert_eq!((morning.len(), shown(&morning).last().cloned()), (15, Some("Mon 11:30 dr-a".to_string())));
        r.part_of_day = PartOfDay::Afternoon;
        let afternoon = find_open_slots(&r, &two_doctors());
        assert_eq!((afternoon.len(), shown(&afternoon).first().cloned()), (15, Some("Mon 13:00 dr-a".to_string())));
    }

    #[test]
    fn slots_follow_the_step_grid_from_the_hour() {
        let template = vec![working_for("dr-a", Weekday::Mon, "08:10", "09:30", &[], false)];
        let s = Schedule { calendars: vec![calendar("dr-a", template, vec![])], ..Schedule::default() };
        let mut r = request(monday_only());
        r.step = SlotStep::from_minutes(20).unwrap_or_default();
        assert_eq!(shown(&find_open_slots(&r, &s)), vec!["Mon 08:20 dr-a", "Mon 08:40 dr-a", "Mon 09:00 dr-a"]);
    }

    #[test]
    fn a_window_kept_for_other_types_offers_no_slots_for_this_one() {
        let template = vec![
            working_for("dr-a", Weekday::Mon, "08:00", "09:00", &["new-visit"], false),
            working_for("dr-a", Weekday::Mon, "09:00", "10:00", &["checkup"], false),
        ];
        let s = Schedule { calendars: vec![calendar("dr-a", template, vec![])], ..Schedule::default() };
        assert_eq!(shown(&find_open_slots(&request(monday_only()), &s)), vec!["Mon 09:00 dr-a", "Mon 09:15 dr-a", "Mon 09:30 dr-a"]);
    }

    #[test]
    fn a_provider_who_does_not_offer_the_type_has_no_slots() {
        let mut r = request(monday_only());
        r.appointment_type = appointment_type("checkup", 30, &["dr-b"]);
        assert!(find_open_slots(&r, &two_doctors()).iter().all(|s| s.provider.as_str() == "dr-b"));
    }

    #[test]
    fn the_search_stops_at_the_limit_and_never_offers_the_past() {
        let mut r = request(DateRange::days_from(MONDAY, MAX_RANGE_DAYS).unwrap_or_else(|e| unreachable!("{e}")));
        r.not_before = Some(at(MONDAY, 16, 20));
        let slots = find_open_slots(&r, &two_doctors());
        assert_eq!(slots.len(), MAX_SLOT_RESULTS);
        assert_eq!(shown(&slots[..3]), vec!["Mon 16:30 dr-a", "Mon 16:30 dr-b", "Tue 08:00 dr-a"]);
    }

    // --- validation of the search as typed ---

    fn fields(result: Result<SlotRequest, ValidationErrors>) -> Vec<String> {
        result.err().map(|e| e.errors.into_iter().map(|f| f.field).collect()).unwrap_or_default()
    }

    #[test]
    fn a_blank_search_means_any_provider_the_next_two_weeks_fifteen_minute_steps() {
        let r = SlotSearchInput::default().validate(&checkup(), at(MONDAY, 10, 0)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(r.providers, ProviderChoice::Any);
        assert_eq!((r.dates.first(), r.dates.len_days()), (MONDAY, DEFAULT_SEARCH_DAYS));
        assert_eq!((r.part_of_day, r.step.minutes(), r.max_results.get()), (PartOfDay::Any, 15, DEFAULT_SLOT_RESULTS));
        assert_eq!(r.not_before, Some(at(MONDAY, 10, 0)));
    }

    #[test]
    fn a_search_longer_than_92_days_is_refused() {
        let input = SlotSearchInput { from: "2026-12-07".into(), to: "2027-03-09".into(), ..Default::default() };
        assert_eq!(fields(input.validate(&checkup(), at(MONDAY, 8, 0))), vec!["to"]);
        let input = SlotSearchInput { to: "2027-03-08".into(), ..input };
        assert_eq!(input.validate(&checkup(), at(MONDAY, 8, 0)).map(|r| r.dates.len_days()), Ok(MAX_RANGE_DAYS));
    }

    #[test]
    fn a_search_with_bad_fields_names_each_of_them() {
        let input = SlotSearchInput {
            provider_ids: vec!["dr-a".into(), "dr-z".into(), "bad id".into()],
            from: "2026-12-06".into(),
            to: "2026-12-10".into(),
            part_of_day: "evening".into(),
            step_minutes: "7".into(),
            max_results: "51".into(),
        };
        let result = input.validate(&checkup(), at(MONDAY, 8, 0));
        assert_eq!(
            fields(result.clone()),
            vec!["provider_ids[1]", "provider_ids[2]", "from", "part_of_day", "step_minutes", "max_results"]
        );
        assert_eq!(result.err().unwrap_or_default().for_field("provider_ids[1]"), Some("does not offer checkup"));
    }

    #[test]
    fn a_search_ending_before_it_starts_is_refused() {
        let input = SlotSearchInput { from: "2026-12-10".into(), to: "2026-12-08".into(), max_results: "0".into(), ..Default::default() };
        assert_eq!(fields(input.validate(&checkup(), at(MONDAY, 8, 0))), vec!["to", "max_results"]);
    }

    #[test]
    fn one_chosen_provider_is_searched_alone() {
        let input = SlotSearchInput { provider_ids: vec![" dr-b ".into(), "dr-b".into()], ..Default::default() };
        let r = input.validate(&checkup(), at(MONDAY, 8, 0)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(r.providers, ProviderChoice::Only(vec!["dr-b".into()]));
        assert!(find_open_slots(&r, &two_doctors()).iter().all(|s| s.provider.as_str() == "dr-b"));
    }

    // --- properties: random templates, blocks, exceptions, holidays and appointments ---

    mod properties {
        use super::*;
        use crate::scheduling::booking::{BookedAppointment, BookingFit, ProposedBooking, check_placement};
        use crate::scheduling::calendar::{AllowedTypes, EntryKind, TemplateEntry};
        use crate::scheduling::status::AppointmentStatus;
        use crate::scheduling::test_support::calendar;
        use crate::scheduling::time::{TimeRange, minute_of_day};
        use chrono::Datelike;
        use proptest::prelude::*;

        const PROVIDERS: [&str; 3] = ["dr-a", "dr-b", "dr-c"];
        const LOCATIONS: [&str; 2] = ["main", "north"];
        const WEEKDAYS: [Weekday; 6] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat];
        /// The days the generated calendars and searches cover, from `MONDAY`.
        const SPAN_DAYS: u64 = 14;

        #[derive(Debug, Clone)]
        struct EntrySpec {
            provider: usize,
            weekday: usize,
            start: u32,
            length: u32,
            block: bool,
            location: usize,
            types: u8,
            overbook: bool,
        }

        #[derive(Debug, Clone)]
        struct ExceptionSpec {
            provider: usize,
            day: u64,
            kind: u8,
            location: usize,
            ranges: Vec<(u32, u32)>,
        }

        #[derive(Debug, Clone)]
        struct BookedSpec {
            provider: usize,
            day: u64,
            start: u32,
            length: u32,
            status: usize,
        }

        #[derive(Debug, Clone)]
        struct RequestSpec {
            first_day: u64,
            days: u32,
            part: u8,
            step: usize,
            max_results: usize,
            choice: u8,
            duration: u32,
            not_before: Option<(u64, u32)>,
        }

        fn range(start: u32, length: u32) -> TimeRange {
            let end = (start + length).min(23 * 60 + 55);
            TimeRange::from_minutes(start, end).unwrap_or_else(|| unreachable!("{start}+{length}"))
        }

        /// A time of day from 06:00 to 20:00: mostly on the half hour, so entries often touch
        /// (and adjacent windows get joined or kept apart), on any 5 minutes otherwise.
        fn start_minute() -> impl Strategy<Value = u32> {
            prop_oneof![3 => (12u32..40).prop_map(|x| x * 30), 1 => (72u32..240).prop_map(|x| x * 5)]
        }

        /// A length up to 8 hours, mostly in half hours, else in 5 minutes.
        fn length_minutes() -> impl Strategy<Value = u32> {
            prop_oneof![3 => (1u32..16).prop_map(|x| x * 30), 1 => (1u32..96).prop_map(|x| x * 5)]
        }

        fn entry_spec() -> impl Strategy<Value = EntrySpec> {
            (
                0..3usize,
                0..6usize,
                start_minute(),
                length_minutes(),
                prop::bool::weighted(0.3),
                0..2usize,
                0u8..3,
                prop::bool::weighted(0.2),
            )
                .prop_map(|(provider, weekday, start, length, block, location, types, overbook)| EntrySpec {
                    provider,
                    weekday,
                    start,
                    length,
                    block,
                    location,
                    types,
                    overbook,
                })
        }

        fn exception_spec() -> impl Strategy<Value = ExceptionSpec> {
            (0..3usize, 0..SPAN_DAYS, 0u8..3, 0..2usize, prop::collection::vec((start_minute(), length_minutes()), 1..3))
                .prop_map(|(provider, day, kind, location, ranges)| ExceptionSpec { provider, day, kind, location, ranges })
        }

        fn booked_spec() -> impl Strategy<Value = BookedSpec> {
            (0..3usize, 0..SPAN_DAYS, 72u32..240, 1u32..36, 0..9usize).prop_map(|(provider, day, start, length, status)| BookedSpec {
                provider,
                day,
                start: start * 5,
                length: length * 5,
                status,
            })
        }

        fn request_spec() -> impl Strategy<Value = RequestSpec> {
            (
                0..7u64,
                1u32..8,
                0u8..3,
                0..STEP_CHOICES.len(),
                1..=MAX_SLOT_RESULTS,
                0u8..3,
                1u32..=24,
                proptest::option::of((0..3u64, 0u32..1440)),
            )
                .prop_map(|(first_day, days, part, step, max_results, choice, duration, not_before)| RequestSpec {
                    first_day,
                    days,
                    part,
                    step,
                    max_results,
                    choice,
                    duration: duration * 5,
                    not_before,
                })
        }

        /// The template entries the specs describe, minus working entries that would overlap an
        /// earlier one (a calendar refuses those).
        fn template(specs: &[EntrySpec], provider: usize) -> Vec<TemplateEntry> {
            let mut entries: Vec<TemplateEntry> = Vec::new();
            for spec in specs.iter().filter(|s| s.provider == provider) {
                let kind = if spec.block {
                    EntryKind::Block { reason: "Blocked".into() }
                } else {
                    let allowed_types = match spec.types {
                        0 => AllowedTypes::Any,
                        1 => AllowedTypes::Only(vec!["checkup".into()]),
                        _ => AllowedTypes::Only(vec!["other".into()]),
                    };
                    EntryKind::Working { allowed_types, allow_overbook: spec.overbook }
                };
                let entry = TemplateEntry {
                    provider: PROVIDERS[provider].into(),
                    location: LOCATIONS[spec.location].into(),
                    weekday: WEEKDAYS[spec.weekday],
                    hours: range(spec.start, spec.length),
                    kind,
                };
                let clash = entry.is_working()
                    && entries.iter().any(|e| e.is_working() && e.weekday == entry.weekday && e.hours.overlaps(entry.hours));
                if !clash {
                    entries.push(entry);
                }
            }
            entries
        }

        fn exceptions(specs: &[ExceptionSpec], provider: usize) -> Vec<DayException> {
            let mut out: Vec<DayException> = Vec::new();
            for spec in specs.iter().filter(|s| s.provider == provider) {
                let date = MONDAY + Days::new(spec.day);
                if out.iter().any(|x| x.date == date) {
                    continue;
                }
                let location: LocationId = LOCATIONS[spec.location].into();
                let hours: Vec<TimeRange> = spec.ranges.iter().map(|&(s, l)| range(s, l)).collect();
                let kind = match spec.kind {
                    0 => ExceptionKind::Closed,
                    1 => ExceptionKind::ReplaceHours { location, hours },
                    _ => ExceptionKind::ExtraHours { location, hours },
                };
                out.push(DayException { provider: PROVIDERS[provider].into(), date, kind, note: None });
            }
            out
        }

        fn schedule(entries: &[EntrySpec], exception_specs: &[ExceptionSpec], holidays: &[u64], booked: &[BookedSpec]) -> Schedule {
            Schedule {
                calendars: (0..PROVIDERS.len())
                    .map(|p| calendar(PROVIDERS[p], template(entries, p), exceptions(exception_specs, p)))
                    .collect(),
                holidays: holidays.iter().map(|&d| Holiday { date: MONDAY + Days::new(d), name: format!("holiday {d}") }).collect(),
                appointments: booked
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let day = MONDAY + Days::new(b.day);
                        let start = day.and_time(crate::scheduling::time::time_at(b.start).unwrap_or_default());
                        appointment(&format!("appt-{i}"), PROVIDERS[b.provider], start, b.length, AppointmentStatus::ALL[b.status])
                    })
                    .collect(),
            }
        }

        fn request(spec: &RequestSpec) -> SlotRequest {
            let first = MONDAY + Days::new(spec.first_day);
            SlotRequest {
                appointment_type: appointment_type("checkup", spec.duration, &["dr-a", "dr-b"]),
                providers: match spec.choice {
                    0 => ProviderChoice::Any,
                    1 => ProviderChoice::Only(vec!["dr-a".into()]),
                    _ => ProviderChoice::Only(vec!["dr-c".into(), "dr-b".into()]),
                },
                dates: DateRange::days_from(first, spec.days).unwrap_or_else(|e| unreachable!("{e}")),
                part_of_day: [PartOfDay::Any, PartOfDay::Morning, PartOfDay::Afternoon][usize::from(spec.part)],
                step: SlotStep::from_minutes(STEP_CHOICES[spec.step]).unwrap_or_default(),
                max_results: ResultLimit::new(spec.max_results).unwrap_or_default(),
                not_before: spec
                    .not_before
                    .map(|(d, m)| (MONDAY + Days::new(d)).and_time(crate::scheduling::time::time_at(m).unwrap_or_default())),
            }
        }

        /// The oracle, written minute by minute from the rules as the issue states them and
        /// independent of the window arithmetic: where (at which location) each minute of `date`
        /// is open to the check-up for the calendar's provider.
        fn open_minutes(s: &Schedule, provider: &ProviderId, date: NaiveDate) -> Vec<Option<LocationId>> {
            let mut minutes = vec![None; 1440];
            let Some(cal) = s.calendar_of(provider) else { return minutes };
            if s.holidays.iter().any(|h| h.date == date) {
                return minutes;
            }
            let inside = |r: &TimeRange, m: u32| r.minutes_of_day().0 <= m && m < r.minutes_of_day().1;
            let checkup_id = "checkup".into();
            for (m, slot) in (0u32..).zip(minutes.iter_mut()) {
                let template_minute = || {
                    let entries = cal.template().iter().filter(|e| e.weekday == date.weekday());
                    let blocked = entries.clone().any(|e| !e.is_working() && inside(&e.hours, m));
                    let working = entries.clone().find(|e| e.is_working() && inside(&e.hours, m));
                    match working {
                        Some(e) if !blocked => Some(match &e.kind {
                            EntryKind::Working { allowed_types, .. } => allowed_types.allows(&checkup_id).then(|| e.location.clone()),
                            EntryKind::Block { .. } => None,
                        }),
                        _ => None,
                    }
                };
                *slot = match cal.exception_on(date).map(|x| &x.kind) {
                    Some(ExceptionKind::Closed) => None,
                    Some(ExceptionKind::ReplaceHours { location, hours }) => hours.iter().any(|r| inside(r, m)).then(|| location.clone()),
                    Some(ExceptionKind::ExtraHours { location, hours }) => match template_minute() {
                        Some(open) => open,
                        None => hours.iter().any(|r| inside(r, m)).then(|| location.clone()),
                    },
                    None => template_minute().flatten(),
                };
            }
            minutes
        }

        /// Every slot the rules allow, by brute force over every minute.
        fn expected_slots(r: &SlotRequest, s: &Schedule) -> Vec<Slot> {
            let length = r.appointment_type.duration().minutes();
            let mut out = Vec::new();
            for date in r.dates.dates() {
                for provider in PROVIDERS.iter().map(|&p| ProviderId::from(p)) {
                    if !r.appointment_type.offered_by(&provider) || !r.providers.includes(&provider) {
                        continue;
                    }
                    let open = open_minutes(s, &provider, date);
                    let mut busy = vec![false; 1440];
                    for a in
                        s.appointments.iter().filter(|a| a.provider == provider && a.occupies_time() && a.interval.start().date() == date)
                    {
                        let (from, to) = (minute_of_day(a.interval.start().time()), minute_of_day(a.interval.end().time()));
                        busy.iter_mut().take(to as usize).skip(from as usize).for_each(|b| *b = true);
                    }
                    for start in (0..1440).step_by(r.step.minutes() as usize) {
                        let minutes = start..start + length;
                        let Some(location) = open.get(start as usize).cloned().flatten() else { continue };
                        let fits = minutes
                            .clone()
                            .all(|m| open.get(m as usize).cloned().flatten().as_ref() == Some(&location) && !busy[m as usize]);
                        let begin = date.and_time(crate::scheduling::time::time_at(start).unwrap_or_default());
                        let wanted = r.part_of_day.includes(begin.time()) && r.not_before.is_none_or(|nb| begin >= nb);
                        if fits && wanted {
                            let interval = Interval::starting_at(begin, length).unwrap_or_else(|| unreachable!("an interval"));
                            out.push(Slot { provider: provider.clone(), location, interval });
                        }
                    }
                }
            }
            out.sort_by(|a, b| (a.interval.start(), &a.provider).cmp(&(b.interval.start(), &b.provider)));
            out.truncate(r.max_results.get());
            out
        }

        fn holds_time(a: &BookedAppointment, slot: &Slot) -> bool {
            a.provider == slot.provider && a.occupies_time() && a.interval.overlaps(&slot.interval)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn open_slots_are_exactly_the_free_minutes_that_fit_and_break_no_rule(
                entries in prop::collection::vec(entry_spec(), 0..24),
                exception_specs in prop::collection::vec(exception_spec(), 0..8),
                holidays in prop::collection::vec(0..SPAN_DAYS, 0..3),
                booked in prop::collection::vec(booked_spec(), 0..25),
                spec in request_spec(),
            ) {
                let s = schedule(&entries, &exception_specs, &holidays, &booked);
                let r = request(&spec);
                let slots = find_open_slots(&r, &s);

                prop_assert!(slots.len() <= r.max_results.get());
                for pair in slots.windows(2) {
                    prop_assert!((pair[0].interval.start(), &pair[0].provider) < (pair[1].interval.start(), &pair[1].provider), "not sorted: {:?}", pair);
                }
                for slot in &slots {
                    let day = slot.interval.start().date();
                    prop_assert!(r.dates.contains(day), "{slot:?} outside the dates");
                    prop_assert!(slot.provider.as_str() != "dr-c", "dr-c does not offer the type");
                    prop_assert!(!s.holidays.iter().any(|h| h.date == day), "{slot:?} on a holiday");
                    prop_assert!(!s.appointments.iter().any(|a| holds_time(a, slot)), "{slot:?} overlaps a booked appointment");
                    // Inside the working windows that take the type: every minute of the slot is in one.
                    let calendar = s.calendar_of(&slot.provider).unwrap_or_else(|| unreachable!("a calendar"));
                    let windows = availability(day, calendar, &s.holidays);
                    let (start, end) = (minute_of_day(slot.interval.start().time()), minute_of_day(slot.interval.end().time()));
                    prop_assert!((start..end).all(|m| windows.iter().any(|w| {
                        let (ws, we) = w.hours.minutes_of_day();
                        ws <= m && m < we && w.allows(&"checkup".into()) && w.location == slot.location
                    })), "{slot:?} outside working windows {windows:?}");
                    // Never in a template block on a day that follows the template.
                    if calendar.exception_on(day).is_none() {
                        let in_block = calendar.template().iter().any(|e| {
                            !e.is_working() && e.weekday == day.weekday() && e.hours.on(day).overlaps(&slot.interval)
                        });
                        prop_assert!(!in_block, "{slot:?} overlaps a block");
                    }
                    prop_assert_eq!(start % r.step.minutes(), 0);
                    // The booking check agrees that the slot is free.
                    let booking = ProposedBooking { provider: slot.provider.clone(), interval: slot.interval, replaces: None };
                    let placed = check_placement(&booking, &r.appointment_type, &s);
                    prop_assert!(matches!(&placed, Ok(p) if p.fit == BookingFit::Free && p.location == slot.location), "{slot:?}: {placed:?}");
                }
                prop_assert_eq!(slots, expected_slots(&r, &s));
            }
        }
    }
}
