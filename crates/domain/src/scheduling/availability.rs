//! The open windows of one provider on one date: the one place that turns templates, blocks,
//! exceptions and holidays into bookable time, so slot search, booking checks and recurrences
//! cannot disagree about when a provider works.

use super::calendar::{AllowedTypes, EntryKind, ExceptionKind, Holiday, ProviderCalendar};
use super::ids::{AppointmentTypeId, LocationId, ProviderId};
use super::time::{Interval, TimeRange};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A stretch of one date in which a provider can be booked, at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenWindow {
    pub provider: ProviderId,
    pub location: LocationId,
    pub date: NaiveDate,
    pub hours: TimeRange,
    /// The appointment types that may be booked here.
    pub allowed_types: AllowedTypes,
    /// Whether appointments may overlap here on purpose.
    pub allow_overbook: bool,
}

impl OpenWindow {
    /// The window as local date-times.
    pub fn interval(&self) -> Interval {
        self.hours.on(self.date)
    }

    /// Whether `appointment_type` may be booked in this window.
    pub fn allows(&self, appointment_type: &AppointmentTypeId) -> bool {
        self.allowed_types.allows(appointment_type)
    }
}

/// The open windows of `calendar`'s provider on `day`, earliest first, never overlapping:
/// - a practice holiday: none;
/// - an exception closing the day: none;
/// - an exception replacing the hours: exactly its ranges (the template's blocks do not apply);
/// - otherwise the template's working entries for that weekday minus its blocks, plus the ranges of
///   an extra-hours exception where they are not open already.
pub fn availability(day: NaiveDate, calendar: &ProviderCalendar, holidays: &[Holiday]) -> Vec<OpenWindow> {
    match day_plan(day, calendar, holidays) {
        DayPlan::Open { windows, .. } => windows,
        DayPlan::Holiday(_) | DayPlan::Closed { .. } => Vec::new(),
    }
}

/// What a provider's date looks like, with the reason when it is not open: the booking checks need
/// to say *why* a time cannot be booked, not only that it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DayPlan<'a> {
    Holiday(&'a Holiday),
    /// Closed by an exception.
    Closed {
        note: Option<&'a str>,
    },
    /// Open windows (none on a weekday the provider does not work) and the blocks that cut them.
    Open {
        windows: Vec<OpenWindow>,
        blocks: Vec<(TimeRange, &'a str)>,
    },
}

pub(crate) fn day_plan<'a>(day: NaiveDate, calendar: &'a ProviderCalendar, holidays: &'a [Holiday]) -> DayPlan<'a> {
    if let Some(holiday) = holidays.iter().find(|h| h.date == day) {
        return DayPlan::Holiday(holiday);
    }
    let exception = calendar.exception_on(day);
    let window = |location: &LocationId, hours: TimeRange, allowed_types: AllowedTypes, allow_overbook: bool| OpenWindow {
        provider: calendar.provider().clone(),
        location: location.clone(),
        date: day,
        hours,
        allowed_types,
        allow_overbook,
    };
    let (mut windows, blocks) = match exception.map(|x| &x.kind) {
        Some(ExceptionKind::Closed) => return DayPlan::Closed { note: exception.and_then(|x| x.note.as_deref()) },
        Some(ExceptionKind::ReplaceHours { location, hours }) => {
            let ranges = union(hours.iter().map(|h| h.minutes_of_day()).collect());
            let windows = ranges
                .into_iter()
                .filter_map(|(s, e)| TimeRange::from_minutes(s, e))
                .map(|h| window(location, h, AllowedTypes::Any, false));
            (windows.collect::<Vec<_>>(), Vec::new())
        }
        Some(ExceptionKind::ExtraHours { .. }) | None => {
            let entries: Vec<_> = calendar.template().iter().filter(|e| e.weekday == day.weekday()).collect();
            let blocks: Vec<(TimeRange, &str)> = entries
                .iter()
                .filter_map(|e| match &e.kind {
                    EntryKind::Block { reason } => Some((e.hours, reason.as_str())),
                    EntryKind::Working { .. } => None,
                })
                .collect();
            let cuts: Vec<(u32, u32)> = blocks.iter().map(|(h, _)| h.minutes_of_day()).collect();
            let mut windows = Vec::new();
            for entry in &entries {
                if let EntryKind::Working { allowed_types, allow_overbook } = &entry.kind {
                    for (s, e) in subtract(entry.hours.minutes_of_day(), &cuts) {
                        if let Some(hours) = TimeRange::from_minutes(s, e) {
                            windows.push(window(&entry.location, hours, allowed_types.clone(), *allow_overbook));
                        }
                    }
                }
            }
            (windows, blocks)
        }
    };
    if let Some(ExceptionKind::ExtraHours { location, hours }) = exception.map(|x| &x.kind) {
        for extra in hours {
            let taken: Vec<(u32, u32)> = windows.iter().map(|w| w.hours.minutes_of_day()).collect();
            for (s, e) in subtract(extra.minutes_of_day(), &taken) {
                if let Some(hours) = TimeRange::from_minutes(s, e) {
                    windows.push(window(location, hours, AllowedTypes::Any, false));
                }
            }
        }
    }
    windows.sort_by_key(|w| w.hours);
    DayPlan::Open { windows, blocks }
}

/// A stretch of bookable minutes `[start, end)` of one date at one location, made of adjacent
/// windows that all pass a filter: a 60-minute visit at 9:30 fits an 8:00–10:00 window followed by
/// a 10:00–12:00 one, although neither holds it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub location: LocationId,
    pub start: u32,
    pub end: u32,
}

/// Joins adjacent windows (sorted, non-overlapping, as [`day_plan`] makes them) that pass `keep`.
pub(crate) fn spans(windows: &[OpenWindow], keep: impl Fn(&OpenWindow) -> bool) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for w in windows.iter().filter(|w| keep(w)) {
        let (start, end) = w.hours.minutes_of_day();
        match out.last_mut() {
            Some(last) if last.end == start && last.location == w.location => last.end = end,
            _ => out.push(Span { location: w.location.clone(), start, end }),
        }
    }
    out
}

/// `range` without the minutes of any of `cuts`.
fn subtract(range: (u32, u32), cuts: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut pieces = vec![range];
    for &(cut_start, cut_end) in cuts {
        pieces = pieces
            .into_iter()
            .flat_map(|(s, e)| {
                if cut_end <= s || e <= cut_start {
                    vec![(s, e)]
                } else {
                    [(s, cut_start), (cut_end, e)].into_iter().filter(|(a, b)| a < b).collect()
                }
            })
            .collect();
    }
    pieces
}

/// The union of ranges, sorted, with overlapping and touching ranges joined.
fn union(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::calendar::DayException;
    use crate::scheduling::test_support::{MONDAY, block, calendar, hours, working};
    use chrono::{Days, Weekday};

    fn shown(windows: &[OpenWindow]) -> Vec<String> {
        windows.iter().map(|w| format!("{} {}", w.location, w.hours)).collect()
    }

    fn dr_a_week() -> Vec<crate::scheduling::TemplateEntry> {
        vec![
            working("dr-a", Weekday::Mon, "08:00", "17:00"),
            block("dr-a", Weekday::Mon, "12:00", "13:00", "Lunch"),
            block("dr-a", Weekday::Mon, "16:30", "17:30", "Admin"),
            working("dr-a", Weekday::Tue, "13:00", "18:00"),
        ]
    }

    fn exception(kind: ExceptionKind) -> DayException {
        DayException { provider: "dr-a".into(), date: MONDAY, kind, note: Some("note".into()) }
    }

    #[test]
    fn a_working_day_is_its_hours_minus_its_blocks() {
        let cal = calendar("dr-a", dr_a_week(), vec![]);
        assert_eq!(shown(&availability(MONDAY, &cal, &[])), vec!["main 08:00–12:00", "main 13:00–16:30"]);
        let tuesday = MONDAY + Days::new(1);
        assert_eq!(shown(&availability(tuesday, &cal, &[])), vec!["main 13:00–18:00"]);
    }

    #[test]
    fn a_day_without_template_entries_has_no_windows() {
        let cal = calendar("dr-a", dr_a_week(), vec![]);
        assert!(availability(MONDAY + Days::new(2), &cal, &[]).is_empty());
    }

    #[test]
    fn a_holiday_closes_the_day_even_with_extra_hours() {
        let extra = exception(ExceptionKind::ExtraHours { location: "main".into(), hours: vec![hours("18:00", "20:00")] });
        let cal = calendar("dr-a", dr_a_week(), vec![extra]);
        let holidays = [Holiday { date: MONDAY, name: "Christmas (observed)".into() }];
        assert!(availability(MONDAY, &cal, &holidays).is_empty());
        assert!(matches!(day_plan(MONDAY, &cal, &holidays), DayPlan::Holiday(h) if h.name == "Christmas (observed)"));
    }

    #[test]
    fn a_vacation_day_has_no_windows() {
        let cal = calendar("dr-a", dr_a_week(), vec![exception(ExceptionKind::Closed)]);
        assert!(availability(MONDAY, &cal, &[]).is_empty());
        assert_eq!(day_plan(MONDAY, &cal, &[]), DayPlan::Closed { note: Some("note") });
    }

    #[test]
    fn a_half_day_replaces_the_template_and_its_blocks() {
        let half = exception(ExceptionKind::ReplaceHours {
            location: "north".into(),
            hours: vec![hours("11:00", "12:30"), hours("08:00", "11:00"), hours("10:00", "10:30")],
        });
        let cal = calendar("dr-a", dr_a_week(), vec![half]);
        assert_eq!(shown(&availability(MONDAY, &cal, &[])), vec!["north 08:00–12:30"]);
    }

    #[test]
    fn extra_hours_add_to_the_template_without_doubling_open_time() {
        let extra = exception(ExceptionKind::ExtraHours {
            location: "north".into(),
            hours: vec![hours("11:00", "13:30"), hours("17:00", "19:00")],
        });
        let cal = calendar("dr-a", dr_a_week(), vec![extra]);
        assert_eq!(
            shown(&availability(MONDAY, &cal, &[])),
            vec!["main 08:00–12:00", "north 12:00–13:00", "main 13:00–16:30", "north 17:00–19:00"]
        );
    }

    #[test]
    fn adjacent_windows_at_one_location_join_into_one_span() {
        let week = vec![
            working("dr-a", Weekday::Mon, "08:00", "10:00"),
            working("dr-a", Weekday::Mon, "10:00", "12:00"),
            crate::scheduling::test_support::working_at("dr-a", "north", Weekday::Mon, "12:00", "13:00"),
        ];
        let cal = calendar("dr-a", week, vec![]);
        let windows = availability(MONDAY, &cal, &[]);
        let joined = spans(&windows, |_| true);
        assert_eq!(
            joined.iter().map(|s| (s.location.as_str(), s.start, s.end)).collect::<Vec<_>>(),
            vec![("main", 480, 720), ("north", 720, 780)]
        );
    }

    #[test]
    fn subtracting_and_joining_ranges_keep_only_real_minutes() {
        assert_eq!(subtract((480, 1020), &[(720, 780), (400, 490), (1000, 1100)]), vec![(490, 720), (780, 1000)]);
        assert_eq!(subtract((480, 540), &[(480, 540)]), Vec::<(u32, u32)>::new());
        assert_eq!(union(vec![(600, 660), (480, 600), (700, 710), (705, 720)]), vec![(480, 660), (700, 720)]);
    }
}
