//! An appointment's life as a state machine: which step may follow which, decided in one table
//! ([`AppointmentStatus::after`]) so the front desk's buttons, the API and the database agree.
//!
//! ```text
//! scheduled ─confirm─▶ confirmed
//!     │                   │
//!     ├───── check_in ────┴──▶ arrived ─room─▶ in_room ─check_out─▶ checked_out ─complete─▶ completed
//!     │                   │       └────────── check_out ─────────────▶┘
//!     ├── cancel / no_show / reschedule (from scheduled or confirmed)
//!     └── cancel also from arrived (the patient left before being seen)
//! ```
//! Completed, cancelled, no-show and rescheduled are final: a finished visit is corrected by a new
//! record, never by moving the old one back.

use super::ids::AppointmentId;
use super::text::required_text;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest cancellation reason.
pub const MAX_CANCEL_REASON_CHARS: usize = 200;

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Booked; where every appointment starts.
    Scheduled,
    /// The patient said they will come (a reminder answered).
    Confirmed,
    /// Checked in at the front desk.
    Arrived,
    InRoom,
    CheckedOut,
    Completed,
    Cancelled,
    NoShow,
    /// Moved: a new appointment replaces this one (the link is stored with the event).
    Rescheduled,
}

impl AppointmentStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [AppointmentStatus; 9] = [
        AppointmentStatus::Scheduled,
        AppointmentStatus::Confirmed,
        AppointmentStatus::Arrived,
        AppointmentStatus::InRoom,
        AppointmentStatus::CheckedOut,
        AppointmentStatus::Completed,
        AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow,
        AppointmentStatus::Rescheduled,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Scheduled => "scheduled",
            AppointmentStatus::Confirmed => "confirmed",
            AppointmentStatus::Arrived => "arrived",
            AppointmentStatus::InRoom => "in_room",
            AppointmentStatus::CheckedOut => "checked_out",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no_show",
            AppointmentStatus::Rescheduled => "rescheduled",
        }
    }

    /// The stored text back; exact, because it comes from the database, not from a person.
    pub fn parse(text: &str) -> Result<AppointmentStatus, String> {
        AppointmentStatus::ALL.into_iter().find(|s| s.as_str() == text).ok_or_else(|| format!("'{text}' is not an appointment status"))
    }

    /// How the status reads in a sentence: "an appointment that *is in a room*".
    pub fn describe(self) -> &'static str {
        match self {
            AppointmentStatus::Scheduled => "is scheduled",
            AppointmentStatus::Confirmed => "is confirmed",
            AppointmentStatus::Arrived => "is checked in",
            AppointmentStatus::InRoom => "is in a room",
            AppointmentStatus::CheckedOut => "is checked out",
            AppointmentStatus::Completed => "is completed",
            AppointmentStatus::Cancelled => "is cancelled",
            AppointmentStatus::NoShow => "was a no-show",
            AppointmentStatus::Rescheduled => "was rescheduled",
        }
    }

    /// Whether no step may follow.
    pub fn is_terminal(self) -> bool {
        EventKind::ALL.into_iter().all(|event| self.after(event).is_none())
    }

    /// Whether the appointment holds its time, so no other appointment of the provider may overlap
    /// it. A cancelled, missed or moved appointment frees its time.
    pub fn occupies_time(self) -> bool {
        !matches!(self, AppointmentStatus::Cancelled | AppointmentStatus::NoShow | AppointmentStatus::Rescheduled)
    }

    /// The steps allowed now, for the buttons a page shows.
    pub fn allowed_events(self) -> Vec<EventKind> {
        EventKind::ALL.into_iter().filter(|&event| self.after(event).is_some()).collect()
    }

    /// The single table of the lifecycle: the status after `event`, or `None` when the step is not
    /// allowed from here.
    pub fn after(self, event: EventKind) -> Option<AppointmentStatus> {
        use AppointmentStatus::*;
        use EventKind as E;
        match (self, event) {
            (Scheduled, E::Confirm) => Some(Confirmed),
            (Scheduled | Confirmed, E::CheckIn) => Some(Arrived),
            (Arrived, E::Room) => Some(InRoom),
            // A visit that needs no room (an injection at the front) checks out from arrived.
            (Arrived | InRoom, E::CheckOut) => Some(CheckedOut),
            (CheckedOut, E::Complete) => Some(Completed),
            // A patient who leaves the waiting room unseen is a cancellation, not a no-show.
            (Scheduled | Confirmed | Arrived, E::Cancel) => Some(Cancelled),
            (Scheduled | Confirmed, E::NoShow) => Some(NoShow),
            (Scheduled | Confirmed, E::Reschedule) => Some(Rescheduled),
            _ => None,
        }
    }
}

impl fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who cancelled: the practice counts patient cancellations (late ones may carry a fee) apart from
/// its own (a provider out sick).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    Patient,
    Practice,
}

impl CancelledBy {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelledBy::Patient => "patient",
            CancelledBy::Practice => "practice",
        }
    }

    /// `patient` or `practice`, as typed or stored.
    pub fn parse(text: &str) -> Result<CancelledBy, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "patient" => Ok(CancelledBy::Patient),
            "practice" => Ok(CancelledBy::Practice),
            "" => Err("choose patient or practice".into()),
            other => Err(format!("'{other}' is not one of patient, practice")),
        }
    }
}

/// A cancellation as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancellationInput {
    pub reason: String,
    /// `patient` or `practice`.
    pub by: String,
}

/// A valid cancellation: always a reason and who. Built only by [`CancellationInput::validate`],
/// so a cancel event without them cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cancellation {
    reason: String,
    by: CancelledBy,
}

impl CancellationInput {
    /// The valid cancellation, or the errors of `reason` and `by`.
    pub fn validate(&self) -> Result<Cancellation, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let reason = e.check("reason", required_text(&self.reason, MAX_CANCEL_REASON_CHARS, "say why, e.g. patient is ill"));
        let by = e.check("by", CancelledBy::parse(&self.by));
        match (reason, by) {
            (Some(reason), Some(by)) => Ok(Cancellation { reason, by }),
            _ => Err(e),
        }
    }
}

impl Cancellation {
    /// Why the appointment was cancelled.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Who cancelled it.
    pub fn by(&self) -> CancelledBy {
        self.by
    }
}

/// A step without its details, for the lifecycle table and for buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The patient confirms they will come.
    Confirm,
    /// The patient arrives and is checked in at the front desk.
    CheckIn,
    /// The patient is taken to an exam room.
    Room,
    /// The visit is over and the patient leaves through the front desk.
    CheckOut,
    /// The visit's paperwork is finished; nothing more happens to the appointment.
    Complete,
    /// Called off, with a reason and by whom.
    Cancel,
    /// The patient did not come and did not cancel.
    NoShow,
    /// Moved to a new appointment.
    Reschedule,
}

impl EventKind {
    /// Every step, in lifecycle order.
    pub const ALL: [EventKind; 8] = [
        EventKind::Confirm,
        EventKind::CheckIn,
        EventKind::Room,
        EventKind::CheckOut,
        EventKind::Complete,
        EventKind::Cancel,
        EventKind::NoShow,
        EventKind::Reschedule,
    ];

    /// The stored text, also the name of the API's action.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Confirm => "confirm",
            EventKind::CheckIn => "check_in",
            EventKind::Room => "room",
            EventKind::CheckOut => "check_out",
            EventKind::Complete => "complete",
            EventKind::Cancel => "cancel",
            EventKind::NoShow => "no_show",
            EventKind::Reschedule => "reschedule",
        }
    }

    /// The step as a verb: "cannot *check in* an appointment that...".
    pub fn verb(self) -> &'static str {
        match self {
            EventKind::Confirm => "confirm",
            EventKind::CheckIn => "check in",
            EventKind::Room => "move to a room",
            EventKind::CheckOut => "check out",
            EventKind::Complete => "complete",
            EventKind::Cancel => "cancel",
            EventKind::NoShow => "mark as a no-show",
            EventKind::Reschedule => "reschedule",
        }
    }
}

/// A step in an appointment's life, with what the step needs to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AppointmentEvent {
    Confirm,
    CheckIn,
    Room,
    CheckOut,
    Complete,
    Cancel(Cancellation),
    NoShow,
    /// The appointment moved; `new_appointment` is the one that replaces it.
    Reschedule {
        new_appointment: AppointmentId,
    },
}

impl AppointmentEvent {
    /// The step without its details.
    pub fn kind(&self) -> EventKind {
        match self {
            AppointmentEvent::Confirm => EventKind::Confirm,
            AppointmentEvent::CheckIn => EventKind::CheckIn,
            AppointmentEvent::Room => EventKind::Room,
            AppointmentEvent::CheckOut => EventKind::CheckOut,
            AppointmentEvent::Complete => EventKind::Complete,
            AppointmentEvent::Cancel(_) => EventKind::Cancel,
            AppointmentEvent::NoShow => EventKind::NoShow,
            AppointmentEvent::Reschedule { .. } => EventKind::Reschedule,
        }
    }
}

/// A step the lifecycle does not allow from the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("cannot {} an appointment that {}", event.verb(), from.describe())]
pub struct InvalidTransition {
    pub from: AppointmentStatus,
    pub event: EventKind,
}

/// The status after `event`, or why the step is not allowed. The event's details (the
/// cancellation's reason and who, the new appointment of a reschedule) are the caller's to store.
pub fn transition(from: AppointmentStatus, event: &AppointmentEvent) -> Result<AppointmentStatus, InvalidTransition> {
    from.after(event.kind()).ok_or(InvalidTransition { from, event: event.kind() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppointmentStatus::*;

    fn cancellation() -> Cancellation {
        CancellationInput { reason: "Patient is ill".into(), by: "patient".into() }.validate().unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn event(kind: EventKind) -> AppointmentEvent {
        match kind {
            EventKind::Confirm => AppointmentEvent::Confirm,
            EventKind::CheckIn => AppointmentEvent::CheckIn,
            EventKind::Room => AppointmentEvent::Room,
            EventKind::CheckOut => AppointmentEvent::CheckOut,
            EventKind::Complete => AppointmentEvent::Complete,
            EventKind::Cancel => AppointmentEvent::Cancel(cancellation()),
            EventKind::NoShow => AppointmentEvent::NoShow,
            EventKind::Reschedule => AppointmentEvent::Reschedule { new_appointment: "appt-2".into() },
        }
    }

    fn walk(steps: &[EventKind]) -> Result<AppointmentStatus, InvalidTransition> {
        steps.iter().try_fold(Scheduled, |status, &step| transition(status, &event(step)))
    }

    #[test]
    fn a_visit_goes_from_scheduled_to_completed() {
        use EventKind as E;
        assert_eq!(walk(&[E::Confirm, E::CheckIn, E::Room, E::CheckOut, E::Complete]), Ok(Completed));
        assert_eq!(walk(&[E::CheckIn, E::CheckOut, E::Complete]), Ok(Completed));
    }

    #[test]
    fn a_completed_appointment_cannot_be_cancelled() {
        let refused = transition(Completed, &event(EventKind::Cancel));
        assert_eq!(refused, Err(InvalidTransition { from: Completed, event: EventKind::Cancel }));
        assert_eq!(refused.map_err(|e| e.to_string()), Err("cannot cancel an appointment that is completed".to_string()));
    }

    #[test]
    fn terminal_states_allow_no_further_step() {
        for status in [Completed, Cancelled, NoShow, Rescheduled] {
            assert!(status.is_terminal(), "{status}");
            for kind in EventKind::ALL {
                assert!(transition(status, &event(kind)).is_err(), "{status} then {}", kind.as_str());
            }
        }
        for status in [Scheduled, Confirmed, Arrived, InRoom, CheckedOut] {
            assert!(!status.is_terminal(), "{status}");
        }
    }

    #[test]
    fn the_lifecycle_table_allows_exactly_these_steps() {
        let table: Vec<(&str, Vec<&str>)> = AppointmentStatus::ALL
            .into_iter()
            .map(|s| (s.as_str(), s.allowed_events().into_iter().map(EventKind::as_str).collect()))
            .collect();
        assert_eq!(
            table,
            vec![
                ("scheduled", vec!["confirm", "check_in", "cancel", "no_show", "reschedule"]),
                ("confirmed", vec!["check_in", "cancel", "no_show", "reschedule"]),
                ("arrived", vec!["room", "check_out", "cancel"]),
                ("in_room", vec!["check_out"]),
                ("checked_out", vec!["complete"]),
                ("completed", vec![]),
                ("cancelled", vec![]),
                ("no_show", vec![]),
                ("rescheduled", vec![]),
            ]
        );
    }

    #[test]
    fn a_patient_in_a_room_cannot_be_a_no_show_or_be_cancelled() {
        assert!(transition(InRoom, &event(EventKind::NoShow)).is_err());
        assert!(transition(InRoom, &event(EventKind::Cancel)).is_err());
        assert!(transition(Arrived, &event(EventKind::NoShow)).is_err());
    }

    #[test]
    fn a_confirmed_appointment_cannot_be_confirmed_again() {
        let refused = transition(Confirmed, &AppointmentEvent::Confirm).map_err(|e| e.to_string());
        assert_eq!(refused, Err("cannot confirm an appointment that is confirmed".to_string()));
    }

    #[test]
    fn a_rescheduled_appointment_names_the_new_one_and_frees_its_time() {
        let moved = AppointmentEvent::Reschedule { new_appointment: "appt-2".into() };
        assert_eq!(transition(Confirmed, &moved), Ok(Rescheduled));
        assert!(!Rescheduled.occupies_time());
    }

    #[test]
    fn only_cancelled_missed_and_moved_appointments_free_their_time() {
        let free: Vec<_> = AppointmentStatus::ALL.into_iter().filter(|s| !s.occupies_time()).collect();
        assert_eq!(free, vec![Cancelled, NoShow, Rescheduled]);
    }

    #[test]
    fn a_cancellation_needs_a_reason_and_who() {
        let e = CancellationInput::default().validate().err().unwrap_or_default();
        assert_eq!(e.errors.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), vec!["reason", "by"]);
        let e = CancellationInput { reason: "Ill".into(), by: "doctor".into() }.validate().err().unwrap_or_default();
        assert_eq!(e.for_field("by"), Some("'doctor' is not one of patient, practice"));
        let c = CancellationInput { reason: " Provider   out sick ".into(), by: "Practice".into() }.validate();
        assert_eq!(c.as_ref().map(|c| (c.reason(), c.by())), Ok(("Provider out sick", CancelledBy::Practice)));
    }

    #[test]
    fn every_status_is_stored_as_its_name_and_read_back() {
        let names: Vec<_> = AppointmentStatus::ALL.into_iter().map(AppointmentStatus::as_str).collect();
        assert_eq!(
            names,
            vec!["scheduled", "confirmed", "arrived", "in_room", "checked_out", "completed", "cancelled", "no_show", "rescheduled"]
        );
        for status in AppointmentStatus::ALL {
            assert_eq!(AppointmentStatus::parse(status.as_str()), Ok(status));
        }
        assert!(AppointmentStatus::parse("Scheduled").is_err());
        assert!(AppointmentStatus::parse("").is_err());
    }
}
