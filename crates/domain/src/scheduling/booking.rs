//! Whether a time can be booked: the double-booking rule ([`check_booking`]) and the whole
//! question with working hours, blocks, holidays and appointment types ([`check_placement`]).
//!
//! The database will also refuse two overlapping appointments of one provider; these functions
//! exist so the answer comes before the write, names the appointment in the way, and allows the
//! overbooking a template asks for.

use super::appointment_types::AppointmentType;
use super::availability::{DayPlan, Span, day_plan, spans};
use super::calendar::Schedule;
use super::ids::{AppointmentId, LocationId, ProviderId};
use super::status::AppointmentStatus;
use super::time::{Interval, minute_of_day};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

/// An appointment already on the books, as far as the booking rules care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookedAppointment {
    pub id: AppointmentId,
    pub provider: ProviderId,
    pub interval: Interval,
    /// Decides whether it still holds its time ([`AppointmentStatus::occupies_time`]).
    pub status: AppointmentStatus,
}

impl BookedAppointment {
    /// Whether it holds its time; cancelled, no-show and rescheduled appointments do not.
    pub fn occupies_time(&self) -> bool {
        self.status.occupies_time()
    }
}

/// An appointment about to be booked or moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposedBooking {
    pub provider: ProviderId,
    pub interval: Interval,
    /// The appointment this one replaces (a move, a change of length); it is not in its own way.
    pub replaces: Option<AppointmentId>,
}

/// How a booking fits among the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "fit", rename_all = "snake_case")]
pub enum BookingFit {
    /// Nothing else of the provider's at that time.
    Free,
    /// Overlaps these appointments, where the template allows overbooking. The caller records the
    /// booking as an overbook, so the database's no-overlap constraint can tell it from a mistake.
    Overbook { overlapping: Vec<AppointmentId> },
}

/// The provider already has an appointment at that time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("the provider already has appointment {appointment} at {interval}")]
pub struct BookingConflict {
    /// The appointment in the way (the earliest, when several are).
    pub appointment: AppointmentId,
    pub interval: Interval,
}

/// The double-booking rule: `new` may not overlap ([`overlaps`](super::time::overlaps), half-open)
/// any appointment of the same provider that holds its time, unless `overbook_allowed` (the
/// template allows overbooking there). The appointment `new` replaces is ignored.
pub fn check_booking(new: &ProposedBooking, existing: &[BookedAppointment], overbook_allowed: bool) -> Result<BookingFit, BookingConflict> {
    let mut in_the_way: Vec<&BookedAppointment> = existing
        .iter()
        .filter(|a| {
            a.provider == new.provider && a.occupies_time() && Some(&a.id) != new.replaces.as_ref() && a.interval.overlaps(&new.interval)
        })
        .collect();
    in_the_way.sort_by(|a, b| (a.interval.start(), &a.id).cmp(&(b.interval.start(), &b.id)));
    match in_the_way.first() {
        None => Ok(BookingFit::Free),
        Some(_) if overbook_allowed => Ok(BookingFit::Overbook { overlapping: in_the_way.into_iter().map(|a| a.id.clone()).collect() }),
        Some(first) => Err(BookingConflict { appointment: first.id.clone(), interval: first.interval }),
    }
}

/// Where and how a bookable time fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The location of the window the appointment falls in.
    pub location: LocationId,
    pub fit: BookingFit,
}

/// Why a time cannot be booked, most fundamental reason first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Unbookable {
    /// The type is not on the provider's list (a new-patient visit with a nurse practitioner who
    /// sees established patients only).
    #[error("the provider does not offer this appointment type")]
    TypeNotOffered,
    /// A practice holiday; nobody works.
    #[error("the practice is closed for {name}")]
    Holiday { name: String },
    /// The provider does not work that day: an exception closes it (with its note), or the
    /// template has no hours on that weekday.
    #[error("the provider is not working that day{}", note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())]
    ClosedDay { note: Option<String> },
    /// The time falls in a template block (lunch, admin), named by its reason.
    #[error("the time is blocked ({reason})")]
    Blocked { reason: String },
    /// The provider works that day, but not then (or the appointment runs past the end of a
    /// window, or from one location's hours into another's).
    #[error("the time is outside the provider's working hours")]
    OutsideHours,
    /// Working hours, but kept for other appointment types.
    #[error("this appointment type is not booked at that time")]
    TypeNotAllowedHere,
    /// Another appointment of the provider is in the way and overbooking is not allowed there.
    #[error(transparent)]
    Conflict(BookingConflict),
}

/// Whether `booking` of `appointment_type` can be made: the provider offers the type, the practice
/// is open, the provider works then (the whole appointment inside open windows that take the type,
/// at one location) and no other appointment is in the way unless overbooking is allowed there.
pub fn check_placement(
    booking: &ProposedBooking,
    appointment_type: &AppointmentType,
    schedule: &Schedule,
) -> Result<Placement, Unbookable> {
    if !appointment_type.offered_by(&booking.provider) {
        return Err(Unbookable::TypeNotOffered);
    }
    let day = booking.interval.start().date();
    if let Some(holiday) = schedule.holiday_on(day) {
        return Err(Unbookable::Holiday { name: holiday.name.clone() });
    }
    let Some(calendar) = schedule.calendar_of(&booking.provider) else {
        return Err(Unbookable::ClosedDay { note: None });
    };
    let (windows, blocks) = match day_plan(day, calendar, &schedule.holidays) {
        DayPlan::Holiday(holiday) => return Err(Unbookable::Holiday { name: holiday.name.clone() }),
        DayPlan::Closed { note } => return Err(Unbookable::ClosedDay { note: note.map(str::to_string) }),
        DayPlan::Open { windows, .. } if windows.is_empty() => return Err(Unbookable::ClosedDay { note: None }),
        DayPlan::Open { windows, blocks } => (windows, blocks),
    };
    let Some((start, end)) = minutes_within(day, &booking.interval) else {
        return Err(Unbookable::OutsideHours);
    };
    let holding = |spans: Vec<Span>| spans.into_iter().find(|s| s.start <= start && end <= s.end);
    if let Some(span) = holding(spans(&windows, |w| w.allows(&appointment_type.id))) {
        // Overbooking only when every window the appointment touches allows it.
        let overbook_allowed = windows
            .iter()
            .filter(|w| {
                let (window_start, window_end) = w.hours.minutes_of_day();
                window_start < end && start < window_end
            })
            .all(|w| w.allow_overbook);
        let fit = check_booking(booking, &schedule.appointments, overbook_allowed).map_err(Unbookable::Conflict)?;
        return Ok(Placement { location: span.location, fit });
    }
    if let Some((_, reason)) = blocks.iter().find(|(b, _)| {
        let (block_start, block_end) = b.minutes_of_day();
        block_start < end && start < block_end
    }) {
        return Err(Unbookable::Blocked { reason: reason.to_string() });
    }
    match holding(spans(&windows, |_| true)) {
        Some(_) => Err(Unbookable::TypeNotAllowedHere),
        None => Err(Unbookable::OutsideHours),
    }
}

/// The interval as minutes of `day`, `[start, end)`, widened to whole minutes (an end at 09:30:20
/// holds the minute from 09:30); `None` when it runs past the day.
fn minutes_within(day: NaiveDate, interval: &Interval) -> Option<(u32, u32)> {
    let minute = |t: NaiveDateTime| (t.date() == day).then(|| minute_of_day(t.time()));
    let start = minute(interval.start())?;
    let end_time = interval.end();
    let end = minute(end_time)? + u32::from(end_time.second() != 0 || end_time.nanosecond() != 0);
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::calendar::{DayException, ExceptionKind, Holiday};
    use crate::scheduling::test_support::{
        MONDAY, appointment, appointment_type, at, block, calendar, checkup, hours, usual_week, working, working_for,
    };
    use AppointmentStatus::*;
    use chrono::{Days, Weekday};

    fn proposed(provider: &str, start: NaiveDateTime, minutes: u32) -> ProposedBooking {
        ProposedBooking {
            provider: provider.into(),
            interval: Interval::starting_at(start, minutes).unwrap_or_else(|| unreachable!("an interval")),
            replaces: None,
        }
    }

    fn schedule(appointments: Vec<BookedAppointment>) -> Schedule {
        Schedule { calendars: vec![usual_week("dr-a"), usual_week("dr-b")], holidays: vec![], appointments }
    }

    #[test]
    fn a_booking_that_overlaps_another_names_the_appointment_in_the_way() {
        let existing = [
            appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 30, Scheduled),
            appointment("appt-2", "dr-a", at(MONDAY, 9, 30), 30, Confirmed),
        ];
        let result = check_booking(&proposed("dr-a", at(MONDAY, 9, 15), 30), &existing, false);
        assert_eq!(result.as_ref().map_err(|c| c.appointment.as_str()), Err("appt-1"));
        assert_eq!(
            result.map_err(|c| c.to_string()),
            Err("the provider already has appointment appt-1 at 2026-12-07 09:00–09:30".to_string())
        );
    }

    #[test]
    fn back_to_back_bookings_are_free() {
        let existing = [appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 30, Scheduled)];
        assert_eq!(check_booking(&proposed("dr-a", at(MONDAY, 9, 30), 30), &existing, false), Ok(BookingFit::Free));
        assert_eq!(check_booking(&proposed("dr-a", at(MONDAY, 8, 30), 30), &existing, false), Ok(BookingFit::Free));
    }

    #[test]
    fn another_providers_appointment_is_not_in_the_way() {
        let existing = [appointment("appt-1", "dr-b", at(MONDAY, 9, 0), 30, Scheduled)];
        assert_eq!(check_booking(&proposed("dr-a", at(MONDAY, 9, 0), 30), &existing, false), Ok(BookingFit::Free));
    }

    #[test]
    fn a_cancelled_appointment_frees_its_time() {
        for status in [Cancelled, NoShow, Rescheduled] {
            let existing = [appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 30, status)];
            assert_eq!(check_booking(&proposed("dr-a", at(MONDAY, 9, 0), 30), &existing, false), Ok(BookingFit::Free), "{status}");
        }
    }

    #[test]
    fn overbooking_is_allowed_only_where_the_template_says_and_names_the_overlaps() {
        let existing =
            [appointment("appt-2", "dr-a", at(MONDAY, 9, 15), 30, Arrived), appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 20, Scheduled)];
        let new = proposed("dr-a", at(MONDAY, 9, 0), 30);
        assert_eq!(check_booking(&new, &existing, true), Ok(BookingFit::Overbook { overlapping: vec!["appt-1".into(), "appt-2".into()] }));
        assert!(check_booking(&new, &existing, false).is_err());
    }

    #[test]
    fn moving_an_appointment_a_little_does_not_conflict_with_itself() {
        let existing = [appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 30, Scheduled)];
        let moved = ProposedBooking { replaces: Some("appt-1".into()), ..proposed("dr-a", at(MONDAY, 9, 15), 30) };
        assert_eq!(check_booking(&moved, &existing, false), Ok(BookingFit::Free));
    }

    #[test]
    fn a_time_in_working_hours_is_placed_at_the_windows_location() {
        let placed = check_placement(&proposed("dr-a", at(MONDAY, 16, 30), 30), &checkup(), &schedule(vec![]));
        assert_eq!(placed, Ok(Placement { location: "main".into(), fit: BookingFit::Free }));
    }

    #[test]
    fn each_reason_a_time_cannot_be_booked_is_named() {
        let s = schedule(vec![appointment("appt-1", "dr-a", at(MONDAY, 9, 0), 30, Scheduled)]);
        let check =
            |provider: &str, start: NaiveDateTime, minutes: u32| check_placement(&proposed(provider, start, minutes), &checkup(), &s);
        assert_eq!(check("dr-c", at(MONDAY, 9, 0), 30), Err(Unbookable::TypeNotOffered));
        assert_eq!(check("dr-a", at(MONDAY, 12, 0), 30), Err(Unbookable::Blocked { reason: "Lunch".into() }));
        assert_eq!(check("dr-a", at(MONDAY, 11, 45), 30), Err(Unbookable::Blocked { reason: "Lunch".into() }));
        assert_eq!(check("dr-a", at(MONDAY, 7, 45), 30), Err(Unbookable::OutsideHours));
        assert_eq!(check("dr-a", at(MONDAY, 16, 45), 30), Err(Unbookable::OutsideHours));
        assert_eq!(check("dr-a", at(MONDAY, 23, 45), 30), Err(Unbookable::OutsideHours));
        assert_eq!(check("dr-a", at(MONDAY + Days::new(5), 9, 0), 30), Err(Unbookable::ClosedDay { note: None }));
        let conflict = check("dr-a", at(MONDAY, 9, 15), 30);
        assert!(matches!(&conflict, Err(Unbookable::Conflict(c)) if c.appointment.as_str() == "appt-1"), "{conflict:?}");
    }

    #[test]
    fn a_holiday_or_a_vacation_day_cannot_be_booked() {
        let mut s = schedule(vec![]);
        s.holidays.push(Holiday { date: MONDAY, name: "Founders' Day".into() });
        let refused = check_placement(&proposed("dr-a", at(MONDAY, 9, 0), 30), &checkup(), &s);
        assert_eq!(refused.map_err(|e| e.to_string()), Err("the practice is closed for Founders' Day".to_string()));
        let tuesday = MONDAY + Days::new(1);
        let mut template = usual_week("dr-a").template().to_vec();
        template.push(block("dr-a", Weekday::Sat, "08:00", "09:00", "unused"));
        let away = DayException { provider: "dr-a".into(), date: tuesday, kind: ExceptionKind::Closed, note: Some("CME".into()) };
        s.calendars = vec![calendar("dr-a", template, vec![away])];
        let refused = check_placement(&proposed("dr-a", at(tuesday, 9, 0), 30), &checkup(), &s);
        assert_eq!(refused.map_err(|e| e.to_string()), Err("the provider is not working that day (CME)".to_string()));
    }

    #[test]
    fn a_type_kept_out_of_a_window_is_refused_there_but_fits_elsewhere() {
        let template = vec![
            working_for("dr-a", Weekday::Mon, "08:00", "10:00", &["new-visit"], false),
            working("dr-a", Weekday::Mon, "10:00", "12:00"),
        ];
        let s = Schedule { calendars: vec![calendar("dr-a", template, vec![])], ..Schedule::default() };
        let follow_up = appointment_type("follow-up", 30, &["dr-a"]);
        let new_visit = appointment_type("new-visit", 60, &["dr-a"]);
        let at_nine = |minutes| proposed("dr-a", at(MONDAY, 9, 0), minutes);
        assert_eq!(check_placement(&at_nine(30), &follow_up, &s), Err(Unbookable::TypeNotAllowedHere));
        assert!(check_placement(&proposed("dr-a", at(MONDAY, 10, 0), 30), &follow_up, &s).is_ok());
        // A new-patient visit may run from the first window into the second, which takes any type.
        assert!(check_placement(&proposed("dr-a", at(MONDAY, 9, 30), 60), &new_visit, &s).is_ok());
    }

    #[test]
    fn an_overbook_window_lets_a_second_patient_in_and_says_so() {
        let template =
            vec![working_for("dr-a", Weekday::Mon, "08:00", "09:00", &[], true), working("dr-a", Weekday::Mon, "09:00", "12:00")];
        let appointments = vec![
            appointment("appt-1", "dr-a", at(MONDAY, 8, 0), 30, Scheduled),
            appointment("appt-2", "dr-a", at(MONDAY, 9, 0), 30, Scheduled),
        ];
        let s = Schedule { calendars: vec![calendar("dr-a", template, vec![])], holidays: vec![], appointments };
        let walk_in = check_placement(&proposed("dr-a", at(MONDAY, 8, 0), 30), &checkup(), &s);
        assert_eq!(walk_in.map(|p| p.fit), Ok(BookingFit::Overbook { overlapping: vec!["appt-1".into()] }));
        let double = check_placement(&proposed("dr-a", at(MONDAY, 9, 0), 30), &checkup(), &s);
        assert!(matches!(double, Err(Unbookable::Conflict(_))));
        // Straddling the two windows: not every part allows overbooking, so it is refused.
        let straddle = check_placement(&proposed("dr-a", at(MONDAY, 8, 45), 30), &checkup(), &s);
        assert!(matches!(straddle, Err(Unbookable::Conflict(_))), "{straddle:?}");
    }

    #[test]
    fn extra_hours_over_lunch_can_be_booked() {
        let extra = DayException {
            provider: "dr-a".into(),
            date: MONDAY,
            kind: ExceptionKind::ExtraHours { location: "main".into(), hours: vec![hours("12:00", "13:00")] },
            note: None,
        };
        let s = Schedule { calendars: vec![calendar("dr-a", usual_week("dr-a").template().to_vec(), vec![extra])], ..Schedule::default() };
        assert!(check_placement(&proposed("dr-a", at(MONDAY, 11, 30), 60), &checkup(), &s).is_ok());
    }
}
