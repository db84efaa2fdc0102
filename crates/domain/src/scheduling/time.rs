//! Times of day, ranges of them, intervals of local date-times and bounded date ranges.
//!
//! Every interval is half-open, `[start, end)`: an appointment ending at 10:00 and one starting at
//! 10:00 do not overlap. Times are whole minutes, which is what people schedule in and lets the
//! rules count in minutes of the day without rounding.

use crate::validation::ValidationErrors;
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest date range a search covers: about a quarter, so one request stays cheap.
pub const MAX_RANGE_DAYS: u32 = 92;

/// A time of day as people type it: `08:30`, `8:30`, `17:05`, `8:30 am`, `5:15 PM`, or `08:30:00`
/// as browsers send it. Minutes always have two digits; seconds, if given, must be `00`.
pub fn parse_time(text: &str) -> Result<NaiveTime, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter a time, e.g. 08:30".into());
    }
    let bad = || format!("'{t}' is not a time; write it as HH:MM, e.g. 08:30 or 17:15");
    let lower = t.to_ascii_lowercase();
    let (clock, meridiem) = match (lower.strip_suffix("am"), lower.strip_suffix("pm")) {
        (Some(rest), _) => (rest.trim_end().to_string(), Some(false)),
        (_, Some(rest)) => (rest.trim_end().to_string(), Some(true)),
        _ => (lower.clone(), None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let digits = |s: &str, min_len: usize, max_len: usize| {
        (min_len..=max_len).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty()
    };
    let (hour_text, minute_text) = match parts.as_slice() {
        [h, m] => (*h, *m),
        [h, m, s] if *s == "00" => (*h, *m),
        [_, _, s] if digits(s, 2, 2) => return Err("times are whole minutes; leave the seconds out".into()),
        _ => return Err(bad()),
    };
    if !digits(hour_text, 1, 2) || !digits(minute_text, 2, 2) {
        return Err(bad());
    }
    let hour: u32 = hour_text.parse().map_err(|_| bad())?;
    let minute: u32 = minute_text.parse().map_err(|_| bad())?;
    let hour = match meridiem {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return Err(format!("'{t}': with am or pm the hour is 1 to 12")),
        Some(pm) => hour % 12 + if pm { 12 } else { 0 },
    };
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(|| format!("{t} is not a real time of day"))
}

/// Minutes since midnight; the unit the rules compute in.
pub(crate) fn minute_of_day(time: NaiveTime) -> u32 {
    time.hour() * 60 + time.minute()
}

/// The time `minute` minutes after midnight, if that is still the same day.
pub(crate) fn time_at(minute: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)
}

fn is_whole_minute(time: NaiveTime) -> bool {
    time.second() == 0 && time.nanosecond() == 0
}

// ---------------------------------------------------------------------------------------------
// Time ranges within one day
// ---------------------------------------------------------------------------------------------

/// Part of one day, `[start, end)`, in whole minutes, with `start < end`. A range cannot pass
/// midnight: a practice's hours and blocks are within one day, and a night shift would be two
/// entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TimeRange {
    start: NaiveTime,
    end: NaiveTime,
}

impl TimeRange {
    /// A range from `start` to `end`; refused when the end is not after the start or a time has
    /// seconds (the message is about the end, where the mistake is usually made).
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<TimeRange, String> {
        if !is_whole_minute(start) || !is_whole_minute(end) {
            return Err("times are whole minutes".into());
        }
        if end <= start {
            return Err(format!("the end must be after the start ({})", start.format("%H:%M")));
        }
        Ok(TimeRange { start, end })
    }

    /// A range as typed, e.g. `("08:00", "12:30")`; errors name `start` and `end`.
    pub fn parse(start: &str, end: &str) -> Result<TimeRange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let range = TimeRangeInput { start: start.into(), end: end.into() }.validate(&mut errors, "");
        match range {
            Some(range) if errors.is_empty() => Ok(range),
            _ => Err(errors),
        }
    }

    pub(crate) fn from_minutes(start: u32, end: u32) -> Option<TimeRange> {
        TimeRange::new(time_at(start)?, time_at(end)?).ok()
    }

    /// The first minute of the range.
    pub fn start(self) -> NaiveTime {
        self.start
    }

    /// The end of the range, itself not included.
    pub fn end(self) -> NaiveTime {
        self.end
    }

    /// The range in minutes since midnight, `(start, end)`.
    pub fn minutes_of_day(self) -> (u32, u32) {
        (minute_of_day(self.start), minute_of_day(self.end))
    }

    /// The length in minutes.
    pub fn length_minutes(self) -> u32 {
        let (start, end) = self.minutes_of_day();
        end - start
    }

    /// Whether the two ranges share at least one minute; touching ranges do not.
    pub fn overlaps(self, other: TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `other` lies wholly inside this range.
    pub fn contains(self, other: TimeRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// This range on a date.
    pub fn on(self, date: NaiveDate) -> Interval {
        Interval { start: date.and_time(self.start), end: date.and_time(self.end) }
    }
}

impl fmt::Display for TimeRange {
    /// `08:00–12:30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

/// A time range as typed into a form or JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeRangeInput {
    pub start: String,
    pub end: String,
}

impl TimeRangeInput {
    /// Adds the errors of `start` and `end` under `prefix` (e.g. `hours[1].`) and returns the range
    /// when both are valid.
    pub fn validate(&self, errors: &mut ValidationErrors, prefix: &str) -> Option<TimeRange> {
        let start = errors.check(&format!("{prefix}start"), parse_time(&self.start));
        let end = errors.check(&format!("{prefix}end"), parse_time(&self.end));
        errors.check(&format!("{prefix}end"), TimeRange::new(start?, end?))
    }
}

// ---------------------------------------------------------------------------------------------
// Intervals of local date-times
// ---------------------------------------------------------------------------------------------

/// A stretch of local time, `[start, end)` with `start < end`: an appointment, a slot, a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Interval {
    start: NaiveDateTime,
    end: NaiveDateTime,
}

impl Interval {
    /// Refused when the end is not after the start: an empty or inverted interval would overlap
    /// nothing and so slip past every conflict check.
    pub fn new(start: NaiveDateTime, end: NaiveDateTime) -> Result<Interval, String> {
        if end <= start {
            return Err("the end must be after the start".into());
        }
        Ok(Interval { start, end })
    }

    /// `minutes` (at least one) from `start`; `None` for zero minutes or past the calendar's end.
    pub fn starting_at(start: NaiveDateTime, minutes: u32) -> Option<Interval> {
        let end = start.checked_add_signed(TimeDelta::minutes(i64::from(minutes)))?;
        Interval::new(start, end).ok()
    }

    /// The first instant of the interval.
    pub fn start(&self) -> NaiveDateTime {
        self.start
    }

    /// The end of the interval, itself not included.
    pub fn end(&self) -> NaiveDateTime {
        self.end
    }

    /// The length in whole minutes.
    pub fn length_minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    /// Whether the two intervals share any time; see [`overlaps`].
    pub fn overlaps(&self, other: &Interval) -> bool {
        overlaps(self, other)
    }

    /// Whether `other` lies wholly inside this interval.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for Interval {
    /// `2026-12-07 09:00–09:30`, or with both dates when it passes midnight.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start.date() == self.end.date() {
            write!(f, "{}–{}", self.start.format("%Y-%m-%d %H:%M"), self.end.format("%H:%M"))
        } else {
            write!(f, "{}–{}", self.start.format("%Y-%m-%d %H:%M"), self.end.format("%Y-%m-%d %H:%M"))
        }
    }
}

/// Whether two half-open intervals `[start, end)` share any time. Back-to-back appointments
/// (one ends at 10:00, the next starts at 10:00) do not overlap; this is the one rule the database
/// constraint against double booking must match.
pub fn overlaps(a: &Interval, b: &Interval) -> bool {
    a.start < b.end && b.start < a.end
}

// ---------------------------------------------------------------------------------------------
// Date ranges
// ---------------------------------------------------------------------------------------------

/// The dates `first..=last`, at most [`MAX_RANGE_DAYS`] of them, so no search walks an unbounded
/// calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateRange {
    first: NaiveDate,
    last: NaiveDate,
}

impl DateRange {
    /// Refused when `last` is before `first` or the range has more than [`MAX_RANGE_DAYS`] days.
    pub fn new(first: NaiveDate, last: NaiveDate) -> Result<DateRange, String> {
        if last < first {
            return Err("the last date must not be before the first".into());
        }
        if (last - first).num_days() >= i64::from(MAX_RANGE_DAYS) {
            return Err(format!("at most {MAX_RANGE_DAYS} days at once"));
        }
        Ok(DateRange { first, last })
    }

    /// `days` days (1 to [`MAX_RANGE_DAYS`]) from `first`.
    pub fn days_from(first: NaiveDate, days: u32) -> Result<DateRange, String> {
        let last = days.checked_sub(1).and_then(|d| first.checked_add_days(Days::new(u64::from(d))));
        DateRange::new(first, last.ok_or_else(|| "at least one day".to_string())?)
    }

    /// The first date, included.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// The last date, included.
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// How many dates the range holds (1 to [`MAX_RANGE_DAYS`]).
    pub fn len_days(&self) -> u32 {
        u32::try_from((self.last - self.first).num_days() + 1).unwrap_or(0)
    }

    /// Whether `date` is in the range.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// The dates in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let last = self.last;
        self.first.iter_days().take_while(move |d| *d <= last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::test_support::{at, date, time};
    use proptest::prelude::*;

    #[test]
    fn times_are_read_the_ways_people_write_them() {
        assert_eq!(parse_time("08:30"), Ok(time(8, 30)));
        assert_eq!(parse_time(" 8:30 "), Ok(time(8, 30)));
        assert_eq!(parse_time("17:05"), Ok(time(17, 5)));
        assert_eq!(parse_time("8:30 am"), Ok(time(8, 30)));
        assert_eq!(parse_time("12:15 AM"), Ok(time(0, 15)));
        assert_eq!(parse_time("12:15pm"), Ok(time(12, 15)));
        assert_eq!(parse_time("5:15 PM"), Ok(time(17, 15)));
        assert_eq!(parse_time("08:30:00"), Ok(time(8, 30)));
    }

    #[test]
    fn a_time_that_is_not_a_time_is_refused() {
        for bad in ["", "8", "8:5", "24:00", "07:60", "13:00 pm", "0:30 am", "8.30", "08:30:15", "eight", "-1:00", "08:30:"] {
            assert!(parse_time(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_range_whose_end_is_not_after_its_start_is_refused() {
        assert!(TimeRange::new(time(9, 0), time(9, 0)).is_err());
        assert!(TimeRange::new(time(10, 0), time(9, 0)).is_err());
        assert!(TimeRange::new(time(9, 0), time(9, 5)).is_ok());
    }

    #[test]
    fn a_range_with_seconds_is_refused() {
        let with_seconds = NaiveTime::from_hms_opt(9, 0, 30).unwrap_or_default();
        assert!(TimeRange::new(time(8, 0), with_seconds).is_err());
    }

    #[test]
    fn parsing_a_range_names_each_field_at_fault() {
        let fields = |e: ValidationErrors| e.errors.into_iter().map(|f| f.field).collect::<Vec<_>>();
        assert_eq!(TimeRange::parse("nine", "").map_err(fields), Err(vec!["start".to_string(), "end".to_string()]));
        assert_eq!(TimeRange::parse("12:00", "08:00").map_err(fields), Err(vec!["end".to_string()]));
        assert_eq!(TimeRange::parse("08:00", "12:00").map(|r| r.to_string()), Ok("08:00–12:00".to_string()));
    }

    #[test]
    fn back_to_back_appointments_do_not_overlap() {
        let d = date(2026, 12, 7);
        let first = Interval::starting_at(at(d, 9, 0), 30);
        let second = Interval::starting_at(at(d, 9, 30), 30);
        let (Some(first), Some(second)) = (first, second) else { unreachable!("valid intervals") };
        assert!(!overlaps(&first, &second));
        assert!(!overlaps(&second, &first));
    }

    #[test]
    fn an_appointment_starting_a_minute_early_overlaps() {
        let d = date(2026, 12, 7);
        let first = Interval::starting_at(at(d, 9, 0), 30);
        let second = Interval::starting_at(at(d, 9, 29), 30);
        let (Some(first), Some(second)) = (first, second) else { unreachable!("valid intervals") };
        assert!(overlaps(&first, &second));
    }

    #[test]
    fn an_empty_or_inverted_interval_is_refused() {
        let d = date(2026, 12, 7);
        assert!(Interval::new(at(d, 9, 0), at(d, 9, 0)).is_err());
        assert!(Interval::new(at(d, 9, 0), at(d, 8, 0)).is_err());
        assert!(Interval::starting_at(at(d, 9, 0), 0).is_none());
    }

    #[test]
    fn a_date_range_is_bounded_to_92_days() {
        let first = date(2026, 12, 1);
        assert_eq!(DateRange::days_from(first, MAX_RANGE_DAYS).map(|r| r.len_days()), Ok(MAX_RANGE_DAYS));
        assert!(DateRange::days_from(first, MAX_RANGE_DAYS + 1).is_err());
        assert!(DateRange::days_from(first, 0).is_err());
        assert!(DateRange::new(first, date(2026, 11, 30)).is_err());
        let range = DateRange::new(first, date(2026, 12, 3)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(range.dates().collect::<Vec<_>>(), vec![first, date(2026, 12, 2), date(2026, 12, 3)]);
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric_and_means_a_shared_minute(a in 0u32..200, la in 1u32..60, b in 0u32..200, lb in 1u32..60) {
            let d = date(2026, 12, 7);
            let x = Interval::starting_at(at(d, 8, 0) + TimeDelta::minutes(i64::from(a)), la);
            let y = Interval::starting_at(at(d, 8, 0) + TimeDelta::minutes(i64::from(b)), lb);
            let (Some(x), Some(y)) = (x, y) else { unreachable!("valid intervals") };
            let shared_minute = (a..a + la).any(|m| (b..b + lb).contains(&m));
            prop_assert_eq!(overlaps(&x, &y), shared_minute);
            prop_assert_eq!(overlaps(&x, &y), overlaps(&y, &x));
        }

        #[test]
        fn every_whole_minute_time_survives_display_and_parse(minute in 0u32..1440) {
            let t = time_at(minute).unwrap_or_default();
            prop_assert_eq!(parse_time(&t.format("%H:%M").to_string()), Ok(t));
            prop_assert_eq!(parse_time(&t.format("%-I:%M %p").to_string()), Ok(t));
        }
    }
}
