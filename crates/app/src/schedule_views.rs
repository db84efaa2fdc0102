//! Read use cases behind the calendar pages: a day of the practice (every provider, or one), a
//! week of one provider, the front desk's arrivals list and the printed day sheet all come from
//! [`App::calendar`], and the pages' colours from [`App::calendar_colours`].
//!
//! A calendar names its patients. Rather than one audited chart read per patient (slow, and a
//! flood of audit records for one glance at the schedule), the appointments and the few facts a
//! calendar shows of each patient (name, birth date, phone, MRN) come from one query in one
//! transaction, audited as one read that names the range and the counts.
//!
//! Working hours, blocks (lunch, admin time), exceptions and holidays come from the same
//! `availability` rule the booking checks use, so a cell the grid offers as free is one the booking
//! would accept (unless someone books it first).

use crate::scheduling::{load_schedules, load_types};
use crate::views::ProviderView;
use crate::{Actor, App, AuditNote, Result};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use medoffice_domain::ValidationErrors;
use medoffice_domain::patients::{Phone, parse_date};
use medoffice_domain::scheduling::{EntryKind, ExceptionKind, ProviderId, Schedule, availability};
use medoffice_domain::security::Action;
use medoffice_store::StoreError;
use medoffice_store::practice::ProviderRow;
use medoffice_store::schedule_views::{AppointmentWithPatient, appointments_with_patients};
use medoffice_store::scheduling::minute_of;
use serde::Serialize;

/// How much of the calendar to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarSpan {
    /// One date: every provider, or the one named.
    Day,
    /// Monday to Sunday of the date's week, of one provider (who must be named).
    Week,
}

/// A stretch of one day in minutes from midnight, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MinuteRange {
    pub start: u32,
    pub end: u32,
}

/// A block of a provider's template on a date (lunch, admin time) with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockView {
    pub start: u32,
    pub end: u32,
    pub reason: String,
}

/// What one provider's date looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayPlanView {
    pub provider_id: String,
    pub date: NaiveDate,
    /// Why the provider does not work at all that date ("Holiday: Labor Day", an exception's
    /// note); `None` on an ordinary day, also one outside the template (a weekend).
    pub off_reason: Option<String>,
    /// A note of an exception that changes the hours ("Half day").
    pub note: Option<String>,
    /// The bookable windows, earliest first (template hours minus blocks, or the exception's hours).
    pub open: Vec<MinuteRange>,
    /// The template's blocks that cut the hours, earliest first.
    pub blocks: Vec<BlockView>,
}

impl DayPlanView {
    /// Whether anything happens that date: hours or blocks.
    pub fn has_hours(&self) -> bool {
        !self.open.is_empty() || !self.blocks.is_empty()
    }
}

/// An appointment type with its colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarType {
    pub id: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    pub duration_minutes: u32,
}

/// What a calendar shows of a patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientBrief {
    pub family_name: String,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub suffix: Option<String>,
    pub preferred_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub mrn: String,
    /// The preferred phone, formatted `(518) 555-0100`.
    pub phone: Option<String>,
}

impl PatientBrief {
    /// "Doe, Jane M." as on a chart header.
    pub fn display_name(&self) -> String {
        let mut name = format!("{}, {}", self.family_name, self.given_name);
        for part in [&self.middle_name, &self.suffix].into_iter().flatten() {
            name.push(' ');
            name.push_str(part);
        }
        name
    }
}

/// An appointment as the calendar shows it, in the practice's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarAppointment {
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    pub appointment_type_name: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// `AppointmentStatus::as_str`.
    pub status: String,
    pub overbook: bool,
    pub notes: Option<String>,
    pub cancel_reason: Option<String>,
    /// `None` for a role that may not read patients.
    pub patient: Option<PatientBrief>,
}

impl CalendarAppointment {
    /// Whether it holds its time (not cancelled, a no-show or rescheduled).
    pub fn holds_time(&self) -> bool {
        !matches!(self.status.as_str(), "cancelled" | "no_show" | "rescheduled")
    }
}

/// A day or week of the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarView {
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// The practice's date and local time now ("now" line, late arrivals).
    pub today: NaiveDate,
    pub now: NaiveDateTime,
    /// Every provider of the practice, by name (for the filters).
    pub providers: Vec<ProviderView>,
    /// The provider asked for; `None` for every provider (day only).
    pub provider_id: Option<String>,
    /// The practice's appointment types with their colours, by name.
    pub types: Vec<CalendarType>,
    /// One plan per shown provider and date, by provider (in `providers` order), then date.
    pub plans: Vec<DayPlanView>,
    /// The appointments (any status) starting in the range, by start then provider.
    pub appointments: Vec<CalendarAppointment>,
}

impl CalendarView {
    /// The providers shown: the one asked for, or all.
    pub fn shown_providers(&self) -> impl Iterator<Item = &ProviderView> {
        self.providers.iter().filter(|p| self.provider_id.as_ref().is_none_or(|id| *id == p.id))
    }

    /// The plan of a provider on a date.
    pub fn plan(&self, provider_id: &str, date: NaiveDate) -> Option<&DayPlanView> {
        self.plans.iter().find(|p| p.provider_id == provider_id && p.date == date)
    }
}

/// The colours of the practice's appointment types and providers, for the pages' style sheet.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CalendarColours {
    /// (appointment type id, `#rrggbb`).
    pub types: Vec<(String, String)>,
    /// (provider id, `#rrggbb`).
    pub providers: Vec<(String, String)>,
}

impl App {
    /// A day (every provider, or `provider_id`) or a week (Monday to Sunday of `date`'s week, of
    /// `provider_id`) of the calendar: each provider's hours and blocks per date and the
    /// appointments with their patients, read in one transaction and audited as one read.
    /// `date` is `YYYY-MM-DD`, blank for today.
    pub async fn calendar(&self, actor: &Actor, span: CalendarSpan, provider_id: Option<&str>, date: &str) -> Result<CalendarView> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let today = actor.today(self.now());
        let mut e = ValidationErrors::new();
        let day = if date.trim().is_empty() { Some(today) } else { e.check("date", parse_date(date)) };
        let provider = match provider_id.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => e.check("provider_id", ProviderId::parse(p)).map(Some),
            None if span == CalendarSpan::Week => {
                e.add("provider_id", "choose the provider whose week to show");
                None
            }
            None => Some(None),
        };
        let (Some(day), Some(provider)) = (day, provider) else {
            return Err(e.into());
        };
        let (first, last) = match span {
            CalendarSpan::Day => (day, day),
            CalendarSpan::Week => {
                let monday = day.week(Weekday::Mon).first_day();
                (monday, monday.checked_add_days(Days::new(6)).unwrap_or(monday))
            }
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let providers: Vec<ProviderView> =
            medoffice_store::practice::list_providers(&mut tx, practice_id).await?.into_iter().map(provider_view).collect();
        if let Some(p) = &provider
            && !providers.iter().any(|v| v.id == p.as_str())
        {
            return Err(ValidationErrors::single("provider_id", "no such provider").into());
        }
        let shown: Vec<ProviderId> = providers
            .iter()
            .filter(|v| provider.as_ref().is_none_or(|p| p.as_str() == v.id))
            .map(|v| ProviderId::new(v.id.clone()))
            .collect();
        let types = load_types(&mut tx, practice_id).await?;
        let schedule = load_schedules(&mut tx, practice_id, &shown, first, last).await?;
        let after_last = last.checked_add_days(Days::new(1)).unwrap_or(last);
        let rows = appointments_with_patients(
            &mut tx,
            practice_id,
            provider.as_ref().map(ProviderId::as_str),
            minute_of(first.and_time(NaiveTime::MIN)),
            minute_of(after_last.and_time(NaiveTime::MIN)),
        )
        .await?;
        let may_read_patients = actor.role.may(Action::ReadPatient);
        let mut patients: Vec<&str> = rows.iter().map(|r| r.appointment.patient_id.as_str()).collect();
        patients.sort_unstable();
        patients.dedup();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.calendar",
                patient_id: None,
                record_type: "appointment",
                record_id: None,
                detail: format!(
                    "{first}..{last} provider {}: {} appointment(s), {} patient(s) named",
                    provider.as_ref().map(ProviderId::as_str).unwrap_or("any"),
                    rows.len(),
                    if may_read_patients { patients.len() } else { 0 }
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;

        let type_names = |id: &str| types.iter().find(|t| t.id.as_str() == id).map(|t| t.data.name.clone()).unwrap_or_default();
        let appointments = rows
            .iter()
            .map(|r| calendar_appointment(r, type_names(&r.appointment.appointment_type_id), may_read_patients))
            .collect::<Result<Vec<_>>>()?;
        let mut plans = Vec::with_capacity(shown.len() * 7);
        for p in &shown {
            let mut date = first;
            while date <= last {
                plans.push(plan_of(p, date, &schedule));
                let Some(next) = date.succ_opt() else { break };
                date = next;
            }
        }
        let mut types: Vec<CalendarType> = types
            .into_iter()
            .map(|t| CalendarType {
                id: t.id.as_str().to_string(),
                name: t.data.name.clone(),
                colour: t.data.colour.as_str().to_string(),
                duration_minutes: t.data.duration.minutes(),
            })
            .collect();
        types.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(CalendarView {
            first,
            last,
            today,
            now: self.now().with_timezone(&actor.timezone).naive_local(),
            providers,
            provider_id: provider.map(|p| p.as_str().to_string()),
            types,
            plans,
            appointments,
        })
    }

    /// The colours of the appointment types and providers (no patient data: not audited).
    pub async fn calendar_colours(&self, actor: &Actor) -> Result<CalendarColours> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let types = medoffice_store::scheduling::list_appointment_types(&mut conn, &actor.practice_id).await?;
        let providers = medoffice_store::practice::list_providers(&mut conn, &actor.practice_id).await?;
        Ok(CalendarColours {
            types: types.into_iter().map(|t| (t.appointment_type.id, t.appointment_type.colour)).collect(),
            providers: providers.into_iter().map(|p| (p.id, p.colour)).collect(),
        })
    }
}

fn provider_view(p: ProviderRow) -> ProviderView {
    ProviderView {
        name: format!("{} {}{}", p.given_name, p.family_name, p.credentials.as_ref().map(|c| format!(", {c}")).unwrap_or_default()),
        id: p.id,
        family_name: p.family_name,
        given_name: p.given_name,
        credentials: p.credentials,
        npi: p.npi,
        specialty: p.specialty,
        colour: p.colour,
        taxonomy_code: p.taxonomy_code,
    }
}

fn calendar_appointment(r: &AppointmentWithPatient, type_name: String, with_patient: bool) -> Result<CalendarAppointment> {
    let a = &r.appointment;
    let interval = a.interval()?;
    let patient = with_patient.then(|| PatientBrief {
        family_name: r.patient_family_name.clone(),
        given_name: r.patient_given_name.clone(),
        middle_name: r.patient_middle_name.clone(),
        suffix: r.patient_suffix.clone(),
        preferred_name: r.patient_preferred_name.clone(),
        birth_date: r.patient_birth_date.clone(),
        mrn: r.patient_mrn.clone(),
        phone: r.patient_phone().map(|d| Phone::parse(d).map(|p| p.display()).unwrap_or_else(|_| d.to_string())),
    });
    Ok(CalendarAppointment {
        id: a.id.clone(),
        patient_id: a.patient_id.clone(),
        provider_id: a.provider_id.clone(),
        location_id: a.location_id.clone(),
        appointment_type_id: a.appointment_type_id.clone(),
        appointment_type_name: type_name,
        start: interval.start(),
        end: interval.end(),
        status: a.status.clone(),
        overbook: a.overbook != 0,
        notes: a.notes.clone(),
        cancel_reason: a.cancel_reason.clone(),
        patient,
    })
}

/// One provider's date: off (holiday, closed), or the open windows of the booking rules and the
/// template's blocks where they are not open (an extra clinic may run over lunch).
fn plan_of(provider: &ProviderId, date: NaiveDate, schedule: &Schedule) -> DayPlanView {
    let mut plan = DayPlanView {
        provider_id: provider.as_str().to_string(),
        date,
        off_reason: None,
        note: None,
        open: Vec::new(),
        blocks: Vec::new(),
    };
    if let Some(holiday) = schedule.holiday_on(date) {
        plan.off_reason = Some(format!("Holiday: {}", holiday.name));
        return plan;
    }
    let Some(calendar) = schedule.calendar_of(provider) else {
        return plan;
    };
    let exception = calendar.exception_on(date);
    match exception.map(|x| &x.kind) {
        Some(ExceptionKind::Closed) => {
            plan.off_reason = Some(exception.and_then(|x| x.note.clone()).unwrap_or_else(|| "Not working".into()));
            return plan;
        }
        Some(_) => plan.note = exception.and_then(|x| x.note.clone()),
        None => {}
    }
    let mut open: Vec<MinuteRange> = availability(date, calendar, &schedule.holidays)
        .iter()
        .map(|w| {
            let (start, end) = w.hours.minutes_of_day();
            MinuteRange { start, end }
        })
        .collect();
    open.sort_by_key(|r| r.start);
    if !matches!(exception.map(|x| &x.kind), Some(ExceptionKind::ReplaceHours { .. })) {
        for entry in calendar.template().iter().filter(|e| e.weekday == date.weekday()) {
            if let EntryKind::Block { reason } = &entry.kind {
                let (start, end) = entry.hours.minutes_of_day();
                for (start, end) in subtract((start, end), &open) {
                    plan.blocks.push(BlockView { start, end, reason: reason.clone() });
                }
            }
        }
    }
    plan.blocks.sort_by_key(|b| b.start);
    plan.open = open;
    plan
}

/// `range` minus every range in `cuts`, in pieces, earliest first.
fn subtract(range: (u32, u32), cuts: &[MinuteRange]) -> Vec<(u32, u32)> {
    let mut pieces = vec![range];
    for cut in cuts {
        pieces = pieces
            .into_iter()
            .flat_map(|(s, e)| {
                if cut.end <= s || e <= cut.start {
                    vec![(s, e)]
                } else {
                    [(s, cut.start.max(s)), (cut.end.min(e), e)].into_iter().filter(|(a, b)| a < b).collect()
                }
            })
            .collect();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtracting_cuts_leaves_the_pieces_outside_them() {
        let cuts = [MinuteRange { start: 60, end: 120 }, MinuteRange { start: 150, end: 160 }];
        assert_eq!(subtract((0, 200), &cuts), [(0, 60), (120, 150), (160, 200)]);
        assert_eq!(subtract((60, 120), &cuts), []);
        assert_eq!(subtract((300, 400), &cuts), [(300, 400)]);
        assert_eq!(subtract((100, 155), &cuts), [(120, 150)]);
    }
}
