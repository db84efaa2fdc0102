//! When a recurring journal entry falls due: monthly rent, depreciation, a prepaid expense used
//! up, deferred revenue earned.
//!
//! A [`Recurrence`] is a frequency (every month, quarter or year), a day of the month, a start
//! date and an optional end (a last date, or a number of occurrences). Occurrence `n` (from 0)
//! falls in the month `n` steps after the first one, on the chosen day, or on that month's last
//! day when the month is shorter: day 31 means "the last day", so January 31 is followed by
//! February 28 (29 in a leap year) and then March 31. Each occurrence is worked out from the
//! start, never from the one before, so a short month does not pull later ones earlier.

use chrono::{Datelike, Months, NaiveDate};

/// The most occurrences a recurrence may be limited to (a monthly entry for 100 years).
pub const MAX_OCCURRENCES: u32 = 1200;

/// How often an entry recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Monthly, Frequency::Quarterly, Frequency::Yearly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }

    pub fn parse(text: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Frequency::Monthly => "Monthly",
            Frequency::Quarterly => "Quarterly",
            Frequency::Yearly => "Yearly",
        }
    }

    /// Months between two occurrences.
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Yearly => 12,
        }
    }
}

/// When a recurring entry falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub frequency: Frequency,
    /// 1 to 31; a day past a month's end means that month's last day (31: always the last day).
    pub day_of_month: u32,
    /// No occurrence falls before this date.
    pub start: NaiveDate,
    /// No occurrence falls after this date.
    pub end: Option<NaiveDate>,
    /// At most this many occurrences.
    pub max_occurrences: Option<u32>,
}

/// Why a recurrence cannot be used, naming the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("a day of the month is 1 to 31 (31: the last day of every month)")]
    DayOfMonth,
    #[error("the end date is before the start date")]
    EndBeforeStart,
    #[error("the number of occurrences is 1 to {MAX_OCCURRENCES}")]
    Occurrences,
    #[error("the schedule has no date on or after its start and on or before its end")]
    NoOccurrence,
}

impl RecurrenceError {
    /// The form field it belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            RecurrenceError::DayOfMonth => "day_of_month",
            RecurrenceError::EndBeforeStart | RecurrenceError::NoOccurrence => "end_date",
            RecurrenceError::Occurrences => "occurrences",
        }
    }
}

/// The last day of the month `date` is in.
fn last_day_of_month(date: NaiveDate) -> Option<NaiveDate> {
    date.with_day(1)?.checked_add_months(Months::new(1))?.pred_opt()
}

/// The chosen day in the month of `first_of_month`, or that month's last day.
fn on_day(first_of_month: NaiveDate, day: u32) -> Option<NaiveDate> {
    let last = last_day_of_month(first_of_month)?;
    first_of_month.with_day(day.min(last.day()))
}

impl Recurrence {
    /// Checks the recurrence's own rules and that it has at least one occurrence.
    pub fn check(&self) -> Result<(), RecurrenceError> {
        if !(1..=31).contains(&self.day_of_month) {
            return Err(RecurrenceError::DayOfMonth);
        }
        if self.end.is_some_and(|end| end < self.start) {
            return Err(RecurrenceError::EndBeforeStart);
        }
        if self.max_occurrences.is_some_and(|n| n == 0 || n > MAX_OCCURRENCES) {
            return Err(RecurrenceError::Occurrences);
        }
        if self.occurrence(0).is_none() {
            return Err(RecurrenceError::NoOccurrence);
        }
        Ok(())
    }

    /// The date of occurrence `index` (from 0), or `None` when the recurrence has ended by then.
    pub fn occurrence(&self, index: u32) -> Option<NaiveDate> {
        if self.max_occurrences.is_some_and(|n| index >= n) {
            return None;
        }
        let first_month = self.start.with_day(1)?;
        // The first occurrence is in the start's month unless its day there is before the start.
        let skip = u32::from(on_day(first_month, self.day_of_month)? < self.start);
        let months = (index.checked_add(skip)?).checked_mul(self.frequency.months())?;
        let date = on_day(first_month.checked_add_months(Months::new(months))?, self.day_of_month)?;
        match self.end {
            Some(end) if date > end => None,
            _ => Some(date),
        }
    }

    /// The index of the first occurrence on or after `date` (past the last one when none is).
    pub fn first_index_on_or_after(&self, date: NaiveDate) -> u32 {
        let mut index = 0;
        // Whole months skipped at once, then stepped; at most a step or two is walked.
        if let Some(first) = self.occurrence(0)
            && date > first
        {
            let months = (date.year() - first.year()) * 12 + date.month() as i32 - first.month() as i32;
            index = (months.max(0) as u32 / self.frequency.months()).saturating_sub(1);
        }
        while let Some(d) = self.occurrence(index) {
            if d >= date {
                break;
            }
            index += 1;
        }
        index
    }

    /// The occurrences from `from_index` dated on or before `as_of`, at most `limit` of them:
    /// `(index, date)` in order.
    pub fn due(&self, from_index: u32, as_of: NaiveDate, limit: usize) -> Vec<(u32, NaiveDate)> {
        (from_index..).map_while(|i| self.occurrence(i).filter(|d| *d <= as_of).map(|d| (i, d))).take(limit).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn monthly(day_of_month: u32, start: &str) -> Recurrence {
        Recurrence { frequency: Frequency::Monthly, day_of_month, start: day(start), end: None, max_occurrences: None }
    }

    fn dates(r: &Recurrence, n: u32) -> Vec<String> {
        (0..n).filter_map(|i| r.occurrence(i)).map(|d| d.to_string()).collect()
    }

    #[test]
    fn the_last_day_of_the_month_follows_each_month_and_does_not_drift() {
        let r = monthly(31, "2026-01-31");
        assert_eq!(dates(&r, 4), ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]);
        let leap = monthly(31, "2028-01-01");
        assert_eq!(leap.occurrence(1), Some(day("2028-02-29")));
    }

    #[test]
    fn a_day_before_the_start_in_its_month_begins_the_next_month() {
        let r = monthly(5, "2026-01-20");
        assert_eq!(dates(&r, 2), ["2026-02-05", "2026-03-05"]);
        assert_eq!(monthly(20, "2026-01-20").occurrence(0), Some(day("2026-01-20")));
    }

    #[test]
    fn quarterly_and_yearly_step_three_and_twelve_months() {
        let q = Recurrence { frequency: Frequency::Quarterly, ..monthly(31, "2026-03-01") };
        assert_eq!(dates(&q, 3), ["2026-03-31", "2026-06-30", "2026-09-30"]);
        let y = Recurrence { frequency: Frequency::Yearly, ..monthly(29, "2028-02-01") };
        assert_eq!(dates(&y, 2), ["2028-02-29", "2029-02-28"]);
    }

    #[test]
    fn a_recurrence_ends_after_its_count_or_its_end_date() {
        let counted = Recurrence { max_occurrences: Some(3), ..monthly(1, "2026-01-01") };
        assert_eq!(dates(&counted, 10), ["2026-01-01", "2026-02-01", "2026-03-01"]);
        let until = Recurrence { end: Some(day("2026-02-15")), ..monthly(1, "2026-01-01") };
        assert_eq!(dates(&until, 10), ["2026-01-01", "2026-02-01"]);
    }

    #[test]
    fn due_lists_the_occurrences_up_to_a_date_from_an_index() {
        let r = monthly(1, "2026-01-01");
        let due = r.due(1, day("2026-04-01"), 100);
        assert_eq!(due, vec![(1, day("2026-02-01")), (2, day("2026-03-01")), (3, day("2026-04-01"))]);
        assert_eq!(r.due(0, day("2026-04-01"), 2).len(), 2);
        assert!(r.due(0, day("2025-12-31"), 100).is_empty());
    }

    #[test]
    fn the_first_index_on_or_after_a_date_is_found() {
        let r = monthly(15, "2026-01-01");
        assert_eq!(r.first_index_on_or_after(day("2026-01-01")), 0);
        assert_eq!(r.first_index_on_or_after(day("2026-06-15")), 5);
        assert_eq!(r.first_index_on_or_after(day("2026-06-16")), 6);
        let q = Recurrence { frequency: Frequency::Quarterly, ..r };
        assert_eq!(q.first_index_on_or_after(day("2026-05-01")), 2);
    }

    #[test]
    fn a_recurrence_with_a_bad_day_end_or_count_is_refused() {
        assert_eq!(monthly(0, "2026-01-01").check(), Err(RecurrenceError::DayOfMonth));
        assert_eq!(monthly(32, "2026-01-01").check(), Err(RecurrenceError::DayOfMonth));
        let early_end = Recurrence { end: Some(day("2025-12-31")), ..monthly(1, "2026-01-01") };
        assert_eq!(early_end.check(), Err(RecurrenceError::EndBeforeStart));
        let none = Recurrence { max_occurrences: Some(0), ..monthly(1, "2026-01-01") };
        assert_eq!(none.check().map_err(|e| e.field()), Err("occurrences"));
        let empty = Recurrence { end: Some(day("2026-02-05")), ..monthly(10, "2026-01-15") };
        assert_eq!(empty.check(), Err(RecurrenceError::NoOccurrence));
        assert_eq!(monthly(31, "2026-01-31").check(), Ok(()));
    }
}
