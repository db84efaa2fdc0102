//! Recurring appointments: every N weeks, a number of times or until a date. Each occurrence is
//! checked like a single booking ([`check_placement`]) and comes back bookable or with its reason
//! (a holiday, a closed day, outside hours, the appointment in the way), so the front desk sees
//! the whole series before anything is written and books only the occurrences that fit.
//!
//! An unbookable occurrence keeps its place in the series instead of being moved: "every two
//! weeks, six times" stays six dates, and the front desk chooses what to do about the ones that
//! do not fit.

use super::appointment_types::{AppointmentDuration, AppointmentType};
use super::booking::{Placement, ProposedBooking, Unbookable, check_placement};
use super::calendar::Schedule;
use super::ids::ProviderId;
use super::time::{Interval, parse_time};
use crate::patients::parse_date;
use crate::validation::ValidationErrors;
use chrono::{Days, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// The most occurrences of one series: a year of weekly visits.
pub const MAX_OCCURRENCES: u32 = 52;
/// The most weeks between two occurrences: a quarterly check.
pub const MAX_WEEKS_APART: u32 = 12;

/// When a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceEnd {
    /// After this many occurrences (1 to 52).
    Count(u32),
    /// With the last occurrence on or before this date.
    Until(NaiveDate),
}

/// A valid series: its first start, the weeks between occurrences and its end, bounded to
/// [`MAX_OCCURRENCES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecurrenceRule {
    first: NaiveDateTime,
    every_n_weeks: u32,
    end: RecurrenceEnd,
}

impl RecurrenceRule {
    /// Errors name `every_n_weeks`, `count` and `until` (and `first_date` for a series that would
    /// run past the end of chrono's calendar).
    pub fn new(first: NaiveDateTime, every_n_weeks: u32, end: RecurrenceEnd) -> Result<RecurrenceRule, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(1..=MAX_WEEKS_APART).contains(&every_n_weeks) {
            e.add("every_n_weeks", format!("from 1 to {MAX_WEEKS_APART} weeks"));
        }
        match end {
            RecurrenceEnd::Count(count) if !(1..=MAX_OCCURRENCES).contains(&count) => {
                e.add("count", format!("from 1 to {MAX_OCCURRENCES} times"));
            }
            RecurrenceEnd::Until(until) if until < first.date() => {
                e.add("until", "the end date must not be before the first appointment");
            }
            RecurrenceEnd::Until(until) if e.is_empty() => {
                let occurrences = (until - first.date()).num_days() / (7 * i64::from(every_n_weeks)) + 1;
                if occurrences > i64::from(MAX_OCCURRENCES) {
                    e.add("until", format!("that is {occurrences} appointments, at most {MAX_OCCURRENCES}; choose an earlier end date"));
                }
            }
            _ => {}
        }
        let rule = RecurrenceRule { first, every_n_weeks, end };
        if e.is_empty() && rule.starts().len() != rule.expected_len() {
            e.add("first_date", "the series runs past the end of the calendar");
        }
        e.into_result(rule)
    }

    /// The start of the first occurrence.
    pub fn first(&self) -> NaiveDateTime {
        self.first
    }

    /// The weeks between two occurrences, 1 to 12.
    pub fn every_n_weeks(&self) -> u32 {
        self.every_n_weeks
    }

    /// When the series ends.
    pub fn end(&self) -> RecurrenceEnd {
        self.end
    }

    /// The start of every occurrence, in order; at most [`MAX_OCCURRENCES`].
    pub fn starts(&self) -> Vec<NaiveDateTime> {
        (0..self.expected_len())
            .map_while(|i| {
                let days = u64::try_from(i).ok()? * 7 * u64::from(self.every_n_weeks);
                self.first.checked_add_days(Days::new(days))
            })
            .take_while(|start| match self.end {
                RecurrenceEnd::Count(_) => true,
                RecurrenceEnd::Until(until) => start.date() <= until,
            })
            .collect()
    }

    fn expected_len(&self) -> usize {
        let count = match self.end {
            RecurrenceEnd::Count(count) => count,
            RecurrenceEnd::Until(until) => {
                let days = (until - self.first.date()).num_days().max(0);
                u32::try_from(days / (7 * i64::from(self.every_n_weeks.max(1))) + 1).unwrap_or(MAX_OCCURRENCES)
            }
        };
        usize::try_from(count.min(MAX_OCCURRENCES)).unwrap_or_default()
    }
}

/// A series as typed. Give either `count` or `until`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecurrenceInput {
    pub first_date: String,
    pub first_time: String,
    /// 1 to 12.
    pub every_n_weeks: String,
    /// How many times, 1 to 52.
    pub count: String,
    /// The last possible date.
    pub until: String,
}

impl RecurrenceInput {
    /// The valid rule as of `today` (practice local date), or every field error at once. A series
    /// cannot start in the past.
    pub fn validate(&self, today: NaiveDate) -> Result<RecurrenceRule, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let first_date = e.check("first_date", parse_date(&self.first_date)).filter(|&d| {
            if d < today {
                e.add("first_date", "the first appointment cannot be in the past");
            }
            d >= today
        });
        let first_time = e.check("first_time", parse_time(&self.first_time));
        let every_n_weeks = e.check("every_n_weeks", whole_number(&self.every_n_weeks, "enter how many weeks apart, e.g. 2"));
        let end = match (self.count.trim().is_empty(), self.until.trim().is_empty()) {
            (true, true) => {
                e.add("count", "give a number of times or an end date");
                None
            }
            (false, false) => {
                e.add("until", "give a number of times or an end date, not both");
                None
            }
            (false, true) => e.check("count", whole_number(&self.count, "")).map(RecurrenceEnd::Count),
            (true, false) => e.check("until", parse_date(&self.until)).map(RecurrenceEnd::Until),
        };
        let (Some(first_date), Some(first_time), Some(every_n_weeks), Some(end)) = (first_date, first_time, every_n_weeks, end) else {
            return Err(e);
        };
        match RecurrenceRule::new(first_date.and_time(first_time), every_n_weeks, end) {
            Ok(rule) if e.is_empty() => Ok(rule),
            Ok(_) => Err(e),
            Err(rule_errors) => {
                e.errors.extend(rule_errors.errors);
                Err(e)
            }
        }
    }
}

fn whole_number(text: &str, missing: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(missing.to_string());
    }
    if !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("'{t}' is not a whole number"));
    }
    t.parse().map_err(|_| "too large".to_string())
}

/// Whether one occurrence of a series can be booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OccurrenceStatus {
    Bookable(Placement),
    Unbookable(Unbookable),
}

/// One date of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// 1 for the first occurrence.
    pub number: u32,
    pub interval: Interval,
    pub status: OccurrenceStatus,
}

impl Occurrence {
    /// Whether this occurrence can be booked as it is.
    pub fn is_bookable(&self) -> bool {
        matches!(self.status, OccurrenceStatus::Bookable(_))
    }
}

/// Every occurrence of `rule` for `provider`, each `duration` long, checked against `schedule` as a
/// single booking of `appointment_type` would be. Nothing is booked: the caller shows the list and
/// books the bookable ones in one transaction.
pub fn recurrence(
    rule: &RecurrenceRule,
    provider: &ProviderId,
    appointment_type: &AppointmentType,
    duration: AppointmentDuration,
    schedule: &Schedule,
) -> Vec<Occurrence> {
    rule.starts()
        .into_iter()
        .zip(1..)
        .filter_map(|(start, number)| {
            let interval = Interval::starting_at(start, duration.minutes())?;
            let booking = ProposedBooking { provider: provider.clone(), interval, replaces: None };
            let status = match check_placement(&booking, appointment_type, schedule) {
                Ok(placement) => OccurrenceStatus::Bookable(placement),
                Err(reason) => OccurrenceStatus::Unbookable(reason),
            };
            Some(Occurrence { number, interval, status })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::booking::BookingFit;
    use crate::scheduling::calendar::{DayException, ExceptionKind, Holiday};
    use crate::scheduling::status::AppointmentStatus;
    use crate::scheduling::test_support::{MONDAY, appointment, at, calendar, checkup, date, usual_week};
    use proptest::prelude::*;

    fn weekly(first: NaiveDateTime, every_n_weeks: u32, end: RecurrenceEnd) -> RecurrenceRule {
        RecurrenceRule::new(first, every_n_weeks, end).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn thirty_minutes() -> AppointmentDuration {
        AppointmentDuration::from_minutes(30).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn outcome(occurrences: &[Occurrence]) -> Vec<String> {
        occurrences
            .iter()
            .map(|o| match &o.status {
                OccurrenceStatus::Bookable(_) => format!("{} {}", o.number, o.interval.start().format("%Y-%m-%d")),
                OccurrenceStatus::Unbookable(why) => format!("{} {} no: {why}", o.number, o.interval.start().format("%Y-%m-%d")),
            })
            .collect()
    }

    #[test]
    fn a_series_skips_a_holiday_and_a_vacation_day_and_shows_the_conflict() {
        let away =
            DayException { provider: "dr-a".into(), date: date(2026, 12, 21), kind: ExceptionKind::Closed, note: Some("Vacation".into()) };
        let schedule = Schedule {
            calendars: vec![calendar("dr-a", usual_week("dr-a").template().to_vec(), vec![away])],
            holidays: vec![Holiday { date: date(2026, 12, 28), name: "Year-end closure".into() }],
            appointments: vec![appointment("appt-7", "dr-a", at(date(2027, 1, 4), 9, 15), 30, AppointmentStatus::Scheduled)],
        };
        let rule = weekly(at(MONDAY, 9, 0), 1, RecurrenceEnd::Count(5));
        let occurrences = recurrence(&rule, &"dr-a".into(), &checkup(), thirty_minutes(), &schedule);
        assert_eq!(
            outcome(&occurrences),
            vec![
                "1 2026-12-07",
                "2 2026-12-14",
                "3 2026-12-21 no: the provider is not working that day (Vacation)",
                "4 2026-12-28 no: the practice is closed for Year-end closure",
                "5 2027-01-04 no: the provider already has appointment appt-7 at 2027-01-04 09:15–09:45",
            ]
        );
        assert!(matches!(&occurrences[0].status, OccurrenceStatus::Bookable(p) if p.fit == BookingFit::Free));
    }

    #[test]
    fn a_series_in_the_lunch_block_is_not_bookable_and_says_why() {
        let schedule = Schedule { calendars: vec![usual_week("dr-a")], ..Schedule::default() };
        let rule = weekly(at(MONDAY, 12, 15), 2, RecurrenceEnd::Count(2));
        let occurrences = recurrence(&rule, &"dr-a".into(), &checkup(), thirty_minutes(), &schedule);
        assert_eq!(
            outcome(&occurrences),
            vec!["1 2026-12-07 no: the time is blocked (Lunch)", "2 2026-12-21 no: the time is blocked (Lunch)"]
        );
    }

    #[test]
    fn a_series_until_a_date_ends_on_or_before_it() {
        let rule = weekly(at(MONDAY, 9, 0), 3, RecurrenceEnd::Until(date(2027, 1, 17)));
        let dates: Vec<NaiveDate> = rule.starts().into_iter().map(|s| s.date()).collect();
        assert_eq!(dates, vec![MONDAY, date(2026, 12, 28)]);
        let rule = weekly(at(MONDAY, 9, 0), 1, RecurrenceEnd::Until(MONDAY));
        assert_eq!(rule.starts(), vec![at(MONDAY, 9, 0)]);
    }

    #[test]
    fn a_series_is_bounded_to_52_occurrences_and_12_weeks_apart() {
        let first = at(MONDAY, 9, 0);
        assert_eq!(weekly(first, 1, RecurrenceEnd::Count(MAX_OCCURRENCES)).starts().len(), 52);
        let fields = |r: Result<RecurrenceRule, ValidationErrors>| {
            r.err().map(|e| e.errors.into_iter().map(|f| f.field).collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(fields(RecurrenceRule::new(first, 1, RecurrenceEnd::Count(53))), vec!["count"]);
        assert_eq!(fields(RecurrenceRule::new(first, 0, RecurrenceEnd::Count(0))), vec!["every_n_weeks", "count"]);
        assert_eq!(fields(RecurrenceRule::new(first, 13, RecurrenceEnd::Count(2))), vec!["every_n_weeks"]);
        assert_eq!(fields(RecurrenceRule::new(first, 1, RecurrenceEnd::Until(date(2027, 12, 6)))), vec!["until"]);
        assert_eq!(weekly(first, 1, RecurrenceEnd::Until(date(2027, 11, 29))).starts().len(), 52);
        assert_eq!(fields(RecurrenceRule::new(first, 1, RecurrenceEnd::Until(date(2026, 12, 6)))), vec!["until"]);
    }

    #[test]
    fn a_series_as_typed_needs_either_a_count_or_an_end_date() {
        let today = MONDAY;
        let input = RecurrenceInput {
            first_date: "2026-12-14".into(),
            first_time: "9:00".into(),
            every_n_weeks: "2".into(),
            count: "6".into(),
            until: String::new(),
        };
        let rule = input.validate(today).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((rule.first(), rule.every_n_weeks(), rule.end()), (at(date(2026, 12, 14), 9, 0), 2, RecurrenceEnd::Count(6)));
        let fields = |i: RecurrenceInput| {
            i.validate(today).err().map(|e| e.errors.into_iter().map(|f| f.field).collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(fields(RecurrenceInput { count: String::new(), ..input.clone() }), vec!["count"]);
        assert_eq!(fields(RecurrenceInput { until: "2027-06-01".into(), ..input.clone() }), vec!["until"]);
        assert_eq!(
            fields(RecurrenceInput { first_date: "2026-12-06".into(), every_n_weeks: "two".into(), ..input.clone() }),
            vec!["first_date", "every_n_weeks"]
        );
        assert_eq!(
            fields(RecurrenceInput { every_n_weeks: "13".into(), count: "60".into(), ..input.clone() }),
            vec!["every_n_weeks", "count"]
        );
        assert_eq!(fields(RecurrenceInput::default()), vec!["first_date", "first_time", "every_n_weeks", "count"]);
    }

    fn holiday_dates() -> impl Strategy<Value = Vec<u64>> {
        proptest::collection::vec(0u64..400, 0..30)
    }

    proptest! {
        #[test]
        fn recurrence_never_yields_a_bookable_occurrence_on_a_holiday(
            every_n_weeks in 1u32..=MAX_WEEKS_APART,
            count in 1u32..=MAX_OCCURRENCES,
            until_days in proptest::option::of(0u64..500),
            start_day in 0u64..7,
            start_minute in (7u32 * 12..18 * 12).prop_map(|m| m * 5),
            holiday_offsets in holiday_dates(),
        ) {
            let first_date = MONDAY + Days::new(start_day);
            let Some(first_time) = crate::scheduling::time::time_at(start_minute) else { unreachable!("a time of day") };
            let end = match until_days {
                Some(days) => RecurrenceEnd::Until(first_date + Days::new(days)),
                None => RecurrenceEnd::Count(count),
            };
            let rule = RecurrenceRule::new(first_date.and_time(first_time), every_n_weeks, end);
            prop_assume!(rule.is_ok());
            let rule = rule.unwrap_or_else(|e| unreachable!("{e}"));
            let holidays: Vec<Holiday> = holiday_offsets.iter().map(|&d| Holiday { date: MONDAY + Days::new(d), name: format!("h{d}") }).collect();
            let schedule = Schedule { calendars: vec![usual_week("dr-a")], holidays, appointments: vec![] };
            let occurrences = recurrence(&rule, &"dr-a".into(), &checkup(), thirty_minutes(), &schedule);

            prop_assert!(!occurrences.is_empty() && occurrences.len() <= MAX_OCCURRENCES as usize);
            for (i, o) in occurrences.iter().enumerate() {
                let on_holiday = schedule.holidays.iter().any(|h| h.date == o.interval.start().date());
                prop_assert!(!(on_holiday && o.is_bookable()), "occurrence {} is bookable on a holiday", o.number);
                if on_holiday {
                    let holiday_reason = matches!(o.status, OccurrenceStatus::Unbookable(Unbookable::Holiday { .. }));
                    prop_assert!(holiday_reason, "occurrence {} gives another reason on a holiday", o.number);
                }
                let expected = first_date + Days::new(7 * u64::from(every_n_weeks) * i as u64);
                prop_assert_eq!(o.interval.start().date(), expected);
                prop_assert_eq!(o.number as usize, i + 1);
                if let RecurrenceEnd::Until(until) = end {
                    prop_assert!(o.interval.start().date() <= until);
                }
            }
            match end {
                RecurrenceEnd::Count(count) => prop_assert_eq!(occurrences.len(), count as usize),
                RecurrenceEnd::Until(until) => {
                    let next = occurrences.last().map(|o| o.interval.start().date() + Days::new(7 * u64::from(every_n_weeks)));
                    prop_assert!(next.is_some_and(|next| next > until));
                }
            }
        }
    }
}
