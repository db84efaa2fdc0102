//! Scheduling: when providers work, which appointment times are open, and an appointment's life.
//!
//! Everything here is pure and in the practice's local time (`NaiveDate`, `NaiveTime`,
//! `NaiveDateTime`): the caller turns instants into local times with the practice's time zone, so
//! a rule never has to think about offsets or daylight saving.
//!
//! The pieces, in the order a booking meets them:
//! - [`calendar`]: the setup that rarely changes. A provider's weekly template (working hours and
//!   blocks, per location, each working entry saying which appointment types it takes and whether it
//!   may be overbooked), exceptions for single days, the practice's holidays; bundled per provider in
//!   a [`ProviderCalendar`] that refuses contradictions (two working entries at once, two exceptions
//!   on one day) and, with the booked appointments, in a [`Schedule`].
//! - [`appointment_types`]: what may be booked (name, default length, colour, who offers it).
//! - [`availability()`]: the open windows of one provider on one date, with blocks, exceptions and
//!   holidays applied. Every other rule asks it, so they cannot disagree about working hours.
//! - [`booking`]: the half-open overlap rule, [`check_booking`] (no double booking unless the
//!   template allows overbooking there) and [`check_placement`] (the whole question: is this time
//!   bookable, and if not, why).
//! - [`slots`]: [`find_open_slots`], the next open times that fit a type, bounded in days and results.
//! - [`recurrence()`]: a series every N weeks, each occurrence bookable or with its reason.
//! - [`status`]: the appointment's state machine.
//!
//! Validation follows the rest of the domain: raw `...Input` types hold text as typed and
//! `validate` returns every field error at once in a [`ValidationErrors`](crate::ValidationErrors).

pub mod appointment_types;
pub mod availability;
pub mod booking;
pub mod calendar;
pub mod ics;
pub mod ids;
pub mod recurrence;
pub mod slots;
pub mod status;
pub mod time;

mod text;

#[cfg(test)]
mod test_support;

pub use appointment_types::{AppointmentDuration, AppointmentType, AppointmentTypeData, AppointmentTypeInput, Colour, PatientKind};
pub use availability::{OpenWindow, availability};
pub use booking::{BookedAppointment, BookingConflict, BookingFit, Placement, ProposedBooking, Unbookable, check_booking, check_placement};
pub use calendar::{
    AllowedTypes, DayException, DayExceptionInput, EntryKind, ExceptionKind, Holiday, HolidayInput, ProviderCalendar, Schedule,
    TemplateEntry, TemplateEntryInput, check_week,
};
pub use ids::{AppointmentId, AppointmentTypeId, LocationId, ProviderId};
pub use recurrence::{Occurrence, OccurrenceStatus, RecurrenceEnd, RecurrenceInput, RecurrenceRule, recurrence};
pub use slots::{PartOfDay, ProviderChoice, ResultLimit, Slot, SlotRequest, SlotSearchInput, SlotStep, find_open_slots};
pub use status::{
    AppointmentEvent, AppointmentStatus, Cancellation, CancellationInput, CancelledBy, EventKind, InvalidTransition, transition,
};
pub use time::{DateRange, Interval, TimeRange, TimeRangeInput, overlaps, parse_time};

/// Every way a scheduling request can fail, for use cases that meet several of them and want `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchedulingError {
    /// The input itself is wrong; every field is named.
    #[error(transparent)]
    Invalid(#[from] crate::ValidationErrors),
    /// The time is taken by another appointment of the provider.
    #[error(transparent)]
    Conflict(#[from] BookingConflict),
    /// The time cannot be booked for another reason (holiday, outside hours, a block...).
    #[error(transparent)]
    Unbookable(#[from] Unbookable),
    /// The appointment's status does not allow the requested step.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
}
