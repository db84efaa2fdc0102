//! Scheduling use cases: book an appointment, list a day's appointments, find a provider's open
//! slots, and move an appointment through its lifecycle (confirm, check in, cancel...).
//!
//! The rules are the domain's (`medoffice_domain::scheduling`): every booking is checked with
//! `check_placement` against the provider's calendar, the practice's holidays and the appointments
//! already booked, all read in the booking's own transaction. The database's no-overlap rule is the
//! last word when two desks book the same time at once: its `Conflict("appointment_no_overlap")`
//! answers `AppError::Conflict`.
//!
//! Times cross this boundary as RFC 3339 with an offset (or a local `YYYY-MM-DDTHH:MM` in the
//! practice's time zone) and are handled inside as the practice's local wall-clock time.

use crate::views::{AppointmentView, SlotView};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::patients::parse_date;
use medoffice_domain::scheduling::{
    AppointmentDuration, AppointmentEvent, AppointmentType, AppointmentTypeData, AppointmentTypeId, BookingFit, CancellationInput, Colour,
    DayException, EventKind, Holiday, Interval, PatientKind, ProposedBooking, ProviderCalendar, ProviderId, Schedule, TemplateEntry,
    Unbookable, check_placement, transition,
};
use medoffice_domain::security::Action;
use medoffice_store::schedule_setup::{exception_of, template_entry_of};
use medoffice_store::scheduling::{
    self as store, AppointmentEventRow, AppointmentRow, AppointmentTypeWithProviders, NO_OVERLAP, STALE_VERSION, StatusChange, local_text,
    minute_of,
};
use medoffice_store::{Connection, StoreError, new_id};
use serde::Deserialize;
use utoipa::ToSchema;

/// The name of the practice's standard visit, the type booked when none is named.
pub const STANDARD_VISIT: &str = "Office visit";
/// The longest note on an appointment.
pub const MAX_NOTES_CHARS: usize = 500;
/// The most open slots one search answers.
pub const MAX_OPEN_SLOTS: usize = 50;
/// How many times a booking is tried when the database reports a transient failure (deadlock,
/// busy): the retry meets the winner's committed row and answers a clean conflict.
pub(crate) const BOOKING_ATTEMPTS: usize = 3;

/// A booking as sent by a client or a form: text as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewAppointment {
    pub patient_id: String,
    pub provider_id: String,
    /// RFC 3339 with offset (`2026-06-16T09:00:00-04:00`), or local `YYYY-MM-DDTHH:MM` in the
    /// practice's time zone.
    pub start: String,
    /// Optional; blank for the appointment type's length.
    pub end: String,
    /// A type's id or name; blank for the practice's standard visit ("Office visit").
    pub appointment_type: String,
    pub notes: String,
    /// Book on top of another appointment where the template allows it (roles with
    /// `OverbookAppointments` only). Without it, a taken time is a conflict even there.
    pub overbook: bool,
}

/// One booking as the shared booking code takes it (see `App::insert_booking`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BookingRequest<'a> {
    /// A preassigned id (a reschedule links the old appointment to it first); `None` for a new one.
    pub id: Option<&'a str>,
    pub patient_id: &'a str,
    pub provider_id: &'a str,
    pub start: NaiveDateTime,
    pub end: Option<NaiveDateTime>,
    /// A type's id or name; blank for the standard visit.
    pub type_text: &'a str,
    pub notes: Option<&'a str>,
    pub overbook: bool,
    pub series_id: Option<&'a str>,
    pub rescheduled_from: Option<&'a str>,
}

/// A step in an appointment's life as sent: `confirm`, `check_in` (or `arrive`), `room`,
/// `check_out`, `complete`, `cancel` (with `reason` and `by`: `patient` or `practice`), `no_show`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatusEventInput {
    pub event: String,
    /// For `cancel`: why.
    pub reason: String,
    /// For `cancel`: `patient` or `practice`.
    pub by: String,
}

/// An open-slot search as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OpenSlotsInput {
    /// First date, `YYYY-MM-DD`; blank for today.
    pub from: String,
    /// Last date, `YYYY-MM-DD`; blank for two weeks from `from`.
    pub to: String,
    /// The length wanted; blank for the appointment type's.
    pub duration_minutes: String,
    /// A type's id or name; blank for the standard visit.
    pub appointment_type: String,
}

impl App {
    /// Books an appointment: checks the time against the provider's calendar, the holidays and the
    /// appointments already booked, writes the appointment, its first history event and the
    /// audit record in one transaction.
    pub async fn book_appointment(&self, actor: &Actor, input: &NewAppointment) -> Result<AppointmentView> {
        let patient_hint = Some(input.patient_id.trim()).filter(|p| !p.is_empty() && p.len() <= 64);
        self.authorize(actor, Action::BookAppointments, patient_hint).await?;
        if input.overbook {
            self.authorize(actor, Action::OverbookAppointments, patient_hint).await?;
        }
        let tz = actor.timezone;
        let mut e = ValidationErrors::new();
        let patient_id = e.check("patient_id", required_id(&input.patient_id, "choose the patient"));
        let provider_id = e.check("provider_id", required_id(&input.provider_id, "choose the provider"));
        let start = e.check("start", parse_instant(&input.start, tz));
        let end = if input.end.trim().is_empty() { None } else { e.check("end", parse_instant(&input.end, tz)) };
        let notes = input.notes.trim();
        if notes.chars().count() > MAX_NOTES_CHARS {
            e.add("notes", format!("at most {MAX_NOTES_CHARS} characters"));
        }
        let now_local = self.now().with_timezone(&tz).naive_local();
        if let Some(start) = start
            && start < now_local
        {
            e.add("start", "that time has passed; choose a time from now on");
        }
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            e.add("end", "the end must be after the start");
        }
        let (Some(patient_id), Some(provider_id), Some(start)) = (patient_id, provider_id, start) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let notes = (!notes.is_empty()).then(|| notes.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_book(actor, &patient_id, &provider_id, start, end, input, notes.as_deref()).await {
                Err(Attempt::Transient) if attempt < BOOKING_ATTEMPTS => continue,
                Err(Attempt::Transient) => return Err(busy()),
                Err(Attempt::Failed(e)) => return Err(e),
                Ok(view) => return Ok(view),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn try_book(
        &self,
        actor: &Actor,
        patient_id: &str,
        provider_id: &str,
        start: NaiveDateTime,
        end: Option<NaiveDateTime>,
        input: &NewAppointment,
        notes: Option<&str>,
    ) -> std::result::Result<AppointmentView, Attempt> {
        let mut tx = self.store.begin().await.map_err(Attempt::store)?;
        let request = BookingRequest {
            patient_id,
            provider_id,
            start,
            end,
            type_text: &input.appointment_type,
            notes,
            overbook: input.overbook,
            ..Default::default()
        };
        let (row, types) = self.insert_booking(&mut tx, actor, &request).await?;
        tx.commit().await.map_err(|e| Attempt::store(StoreError::from(e)))?;
        Ok(appointment_view(&row, &types, tz_of(actor)))
    }

    /// Checks one booking against the provider's calendar, the holidays and the appointments
    /// already booked (all read in `tx`), then writes it, its first history event and the audit
    /// record in `tx`. Shared by a plain booking, a reschedule, a recurring series and the
    /// follow-up booked at check-out, so they all follow the same rules.
    pub(crate) async fn insert_booking(
        &self,
        tx: &mut Connection,
        actor: &Actor,
        req: &BookingRequest<'_>,
    ) -> std::result::Result<(AppointmentRow, Vec<AppointmentType>), Attempt> {
        let practice_id = actor.practice_id.as_str();
        let mut e = ValidationErrors::new();
        match medoffice_store::patients::get(tx, practice_id, req.patient_id).await {
            Ok(p) if p.merged_into.is_some() => e.add("patient_id", "this record was merged into another patient; book that one"),
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => e.add("patient_id", "no such patient"),
            Err(other) => return Err(Attempt::store(other)),
        }
        let providers = medoffice_store::practice::list_providers(tx, practice_id).await.map_err(Attempt::store)?;
        if !providers.iter().any(|p| p.id == req.provider_id) {
            e.add("provider_id", "no such provider");
        }
        let types = load_types(tx, practice_id).await.map_err(Attempt::store)?;
        let appointment_type = match choose_type(&types, req.type_text) {
            Ok(t) => Some(t.clone()),
            Err(message) => {
                e.add("appointment_type", message);
                None
            }
        };
        let (Some(appointment_type), true) = (appointment_type, e.is_empty()) else {
            return Err(Attempt::Failed(e.into()));
        };
        let end = req.end;
        let interval = match end {
            Some(end) => Interval::new(req.start, end),
            None => Interval::starting_at(req.start, appointment_type.duration().minutes())
                .ok_or_else(|| "the time is out of range".to_string()),
        };
        let interval =
            interval.map_err(|m| Attempt::Failed(ValidationErrors::single(if end.is_some() { "end" } else { "start" }, m).into()))?;
        if interval.length_minutes() > 480 {
            return Err(Attempt::Failed(ValidationErrors::single("end", "an appointment lasts at most 8 hours").into()));
        }
        let provider = ProviderId::new(req.provider_id);
        // Before reading the provider's appointments: see store::scheduling::lock_provider_schedule.
        store::lock_provider_schedule(tx, practice_id, req.provider_id).await.map_err(Attempt::store)?;
        let schedule =
            load_schedule(tx, practice_id, &provider, interval.start().date(), interval.end().date()).await.map_err(Attempt::store)?;
        let proposed = ProposedBooking { provider: provider.clone(), interval, replaces: None };
        let placement = check_placement(&proposed, &appointment_type, &schedule).map_err(|u| Attempt::Failed(unbookable(u)))?;
        if matches!(placement.fit, BookingFit::Overbook { .. }) && !req.overbook {
            return Err(Attempt::Failed(AppError::Conflict(
                "that time is taken by another appointment; the template allows an overbook here, which the provider or the \
                 office manager may book on purpose"
                    .into(),
            )));
        }
        let id = req.id.map(str::to_string).unwrap_or_else(new_id);
        let now = self.now_text();
        let row = AppointmentRow {
            practice_id: practice_id.to_string(),
            id: id.clone(),
            patient_id: req.patient_id.to_string(),
            provider_id: req.provider_id.to_string(),
            location_id: placement.location.as_str().to_string(),
            appointment_type_id: appointment_type.id.as_str().to_string(),
            start_at: local_text(interval.start()),
            end_at: local_text(interval.end()),
            start_minute: minute_of(interval.start()),
            end_minute: minute_of(interval.end()),
            status: "scheduled".into(),
            overbook: i64::from(matches!(placement.fit, BookingFit::Overbook { .. })),
            cancel_reason: None,
            cancelled_by: None,
            rescheduled_to: None,
            notes: req.notes.map(str::to_string),
            version: 1,
            created_at: now.clone(),
            updated_at: now.clone(),
            series_id: req.series_id.map(str::to_string),
            rescheduled_from: req.rescheduled_from.map(str::to_string),
            room_id: None,
        };
        store::insert_appointment(tx, &row).await.map_err(Attempt::store)?;
        let detail = serde_json::json!({
            "event": "book",
            "appointment_type_id": appointment_type.id.as_str(),
            "start": row.start_at,
            "end": row.end_at,
            "overbook": row.overbook == 1,
            "series_id": row.series_id,
            "rescheduled_from": row.rescheduled_from,
        });
        store::append_appointment_event(
            tx,
            &AppointmentEventRow {
                practice_id: practice_id.to_string(),
                appointment_id: id.clone(),
                seq: 1,
                at: now,
                user_id: Some(actor.user_id.clone()),
                from_status: None,
                to_status: "scheduled".into(),
                detail: detail.to_string(),
            },
        )
        .await
        .map_err(Attempt::store)?;
        self.audit(
            tx,
            actor,
            AuditNote {
                action: "appointment.create",
                patient_id: Some(req.patient_id),
                record_type: "appointment",
                record_id: Some(&id),
                detail: format!(
                    "{} {} with provider {}{}",
                    row.start_at,
                    appointment_type.data.name,
                    req.provider_id,
                    if row.overbook == 1 { " (overbook)" } else { "" }
                ),
            },
        )
        .await
        .map_err(Attempt::Failed)?;
        Ok((row, types))
    }

    /// The appointments of one date (`YYYY-MM-DD`), of one provider or of every provider, by start
    /// time. Audited as a read.
    pub async fn list_appointments(&self, actor: &Actor, provider_id: Option<&str>, date: &str) -> Result<Vec<AppointmentView>> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let mut e = ValidationErrors::new();
        let day = if date.trim().is_empty() { Some(actor.today(self.now())) } else { e.check("date", parse_date(date)) };
        let provider = match provider_id.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => e.check("provider_id", ProviderId::parse(p)).map(Some),
            None => Some(None),
        };
        let (Some(day), Some(provider)) = (day, provider) else {
            return Err(e.into());
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let rows = match &provider {
            Some(p) => {
                let from = minute_of(day.and_time(NaiveTime::MIN));
                store::list_appointments(&mut tx, practice_id, p.as_str(), from, from + 1440).await?
            }
            None => store::list_appointments_on(&mut tx, practice_id, day).await?,
        };
        let types = load_types(&mut tx, practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.list",
                patient_id: None,
                record_type: "appointment",
                record_id: None,
                detail: format!(
                    "{day} provider {} ({} appointment(s))",
                    provider.as_ref().map(ProviderId::as_str).unwrap_or("any"),
                    rows.len()
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| appointment_view(r, &types, tz_of(actor))).collect())
    }

    /// The provider's open times from `from` to `to` (dates, at most 92 days) of
    /// `duration_minutes` (or the appointment type's length), earliest first, at most 50. Never a
    /// time in the past, on a holiday, outside working hours or overlapping a booked appointment.
    pub async fn open_slots(&self, actor: &Actor, provider_id: &str, input: &OpenSlotsInput) -> Result<Vec<SlotView>> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let provider = ProviderId::parse(provider_id).map_err(|_| AppError::NotFound("provider"))?;
        let providers = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::practice::list_providers(&mut conn, &actor.practice_id).await?
        };
        if !providers.iter().any(|p| p.id == provider.as_str()) {
            return Err(AppError::NotFound("provider"));
        }
        let search = crate::rescheduling::SlotSearch {
            provider_id: provider.as_str().to_string(),
            appointment_type: input.appointment_type.clone(),
            from: input.from.clone(),
            to: input.to.clone(),
            duration_minutes: input.duration_minutes.clone(),
            max_results: MAX_OPEN_SLOTS.to_string(),
            ..Default::default()
        };
        self.search_open_slots(actor, &search).await
    }

    /// Moves an appointment a step through its life (confirm, check in, cancel with a reason and
    /// who...). A step the lifecycle does not allow from the current status is a conflict.
    pub async fn change_appointment_status(
        &self,
        actor: &Actor,
        appointment_id: &str,
        input: &StatusEventInput,
    ) -> Result<AppointmentView> {
        self.authorize(actor, Action::BookAppointments, None).await?;
        let event = parse_event(input)?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let before = store::get_appointment(&mut tx, practice_id, appointment_id).await?;
        let from = before.status()?;
        let to = transition(from, &event).map_err(|t| AppError::Conflict(t.to_string()))?;
        let (cancel_reason, cancelled_by) = match &event {
            AppointmentEvent::Cancel(c) => (Some(c.reason().to_string()), Some(c.by().as_str())),
            _ => (None, None),
        };
        let now = self.now_text();
        let after = store::update_status(
            &mut tx,
            practice_id,
            appointment_id,
            before.version,
            &StatusChange {
                status: to.as_str(),
                cancel_reason: cancel_reason.as_deref(),
                cancelled_by,
                rescheduled_to: None,
                updated_at: &now,
            },
        )
        .await
        .map_err(booking_store_error)?;
        let detail = serde_json::to_string(&event).map_err(|e| AppError::Internal(e.to_string()))?;
        store::append_appointment_event(
            &mut tx,
            &AppointmentEventRow {
                practice_id: practice_id.to_string(),
                appointment_id: appointment_id.to_string(),
                seq: 0,
                at: now,
                user_id: Some(actor.user_id.clone()),
                from_status: Some(from.as_str().to_string()),
                to_status: to.as_str().to_string(),
                detail,
            },
        )
        .await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.status",
                patient_id: Some(&before.patient_id),
                record_type: "appointment",
                record_id: Some(appointment_id),
                detail: format!("{} -> {} ({})", from.as_str(), to.as_str(), event.kind().as_str()),
            },
        )
        .await?;
        self.offer_freed_slot(&mut tx, actor, &after).await?;
        let types = load_types(&mut tx, practice_id).await?;
        tx.commit().await?;
        Ok(appointment_view(&after, &types, tz_of(actor)))
    }
}

/// Why a booking attempt ended without a booking.
pub(crate) enum Attempt {
    /// Worth running the whole transaction again.
    Transient,
    Failed(AppError),
}

impl Attempt {
    pub(crate) fn into_app_error(self) -> AppError {
        match self {
            Attempt::Transient => busy(),
            Attempt::Failed(e) => e,
        }
    }

    pub(crate) fn store(e: StoreError) -> Attempt {
        if store::is_transient(&e) { Attempt::Transient } else { Attempt::Failed(booking_store_error(e)) }
    }
}

/// The database kept refusing the booking's transaction as a deadlock or a busy lock, attempt
/// after attempt: the desk hears that the time is contested and tries again, never a 500.
fn busy() -> AppError {
    AppError::Conflict("that time was just taken or is being booked at this moment; look at the schedule again and choose".into())
}

/// The store's refusals in a booking's words: the database's no-overlap rule is a conflict.
pub(crate) fn booking_store_error(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if c == STALE_VERSION => {
            AppError::Conflict("someone else changed this appointment at the same moment; reload and try again".into())
        }
        StoreError::Conflict(c) if c == NO_OVERLAP || c.contains(NO_OVERLAP) => AppError::from(StoreError::Conflict(NO_OVERLAP.into())),
        other => AppError::from(other),
    }
}

/// A domain refusal: another appointment in the way is a conflict (409), anything else a
/// validation error naming the field to change.
/// Why a time cannot be booked, in the desk's words: another appointment is named by its time
/// (never by its internal id); every other reason as the domain words it.
pub(crate) fn unbookable_text(u: &Unbookable) -> String {
    match u {
        Unbookable::Conflict(c) => format!(
            "the provider already has an appointment from {} to {}",
            c.interval.start().format("%H:%M"),
            c.interval.end().format("%H:%M")
        ),
        other => other.to_string(),
    }
}

pub(crate) fn unbookable(u: Unbookable) -> AppError {
    match u {
        Unbookable::Conflict(_) => AppError::Conflict(format!("that time is taken: {}; choose another", unbookable_text(&u))),
        Unbookable::TypeNotOffered | Unbookable::TypeNotAllowedHere => ValidationErrors::single("appointment_type", u.to_string()).into(),
        other => ValidationErrors::single("start", other.to_string()).into(),
    }
}

pub(crate) fn required_id(text: &str, missing: &str) -> std::result::Result<String, String> {
    if text.trim().is_empty() {
        return Err(missing.to_string());
    }
    ProviderId::parse(text).map(|id| id.as_str().to_string())
}

fn tz_of(actor: &Actor) -> Tz {
    actor.timezone
}

/// An instant as sent: RFC 3339 with an offset, or the practice's local `YYYY-MM-DDTHH:MM`
/// (seconds allowed when zero). Answers the practice's local time, on the whole minute.
pub(crate) fn parse_instant(text: &str, tz: Tz) -> std::result::Result<NaiveDateTime, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("give a date and time, e.g. 2026-06-16T09:00:00-04:00".into());
    }
    let local = match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&tz).naive_local(),
        Err(_) => {
            let parsed = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .ok_or_else(|| format!("'{text}' is not a date and time; use RFC 3339, e.g. 2026-06-16T09:00:00-04:00"))?;
            if tz.from_local_datetime(&parsed).earliest().is_none() {
                return Err(format!("{text} does not exist in {} (the clocks skip it)", tz.name()));
            }
            parsed
        }
    };
    if local.second() != 0 || local.nanosecond() != 0 {
        return Err("appointments start and end on a whole minute".into());
    }
    Ok(local)
}

/// A local time as RFC 3339 with the practice's offset on that date.
pub(crate) fn rfc3339(local: NaiveDateTime, tz: Tz) -> String {
    match tz.from_local_datetime(&local).earliest() {
        Some(at) => at.to_rfc3339(),
        // A time the clocks skipped (never booked through this module): show it as UTC.
        None => format!("{}Z", local.format("%Y-%m-%dT%H:%M:%S")),
    }
}

pub(crate) fn appointment_view(row: &AppointmentRow, types: &[AppointmentType], tz: Tz) -> AppointmentView {
    let local = |text: &str| match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
        Ok(at) => rfc3339(at, tz),
        Err(_) => text.to_string(),
    };
    AppointmentView {
        id: row.id.clone(),
        patient_id: row.patient_id.clone(),
        provider_id: row.provider_id.clone(),
        location_id: row.location_id.clone(),
        start: local(&row.start_at),
        end: local(&row.end_at),
        appointment_type: row.appointment_type_id.clone(),
        appointment_type_name: types
            .iter()
            .find(|t| t.id.as_str() == row.appointment_type_id)
            .map(|t| t.data.name.clone())
            .unwrap_or_default(),
        status: row.status.clone(),
        overbook: row.overbook != 0,
        cancel_reason: row.cancel_reason.clone(),
        cancelled_by: row.cancelled_by.clone(),
        notes: row.notes.clone(),
        version: row.version,
    }
}

/// The type named by id or (case-insensitive) name; blank for the standard visit: the first type
/// named "Office visit", else the first type.
pub(crate) fn choose_type<'a>(types: &'a [AppointmentType], text: &str) -> std::result::Result<&'a AppointmentType, String> {
    let text = text.trim();
    if text.is_empty() {
        return types
            .iter()
            .find(|t| t.data.name.eq_ignore_ascii_case(STANDARD_VISIT))
            .or_else(|| types.first())
            .ok_or_else(|| "the practice has no appointment types yet; an administrator sets them up".to_string());
    }
    types.iter().find(|t| t.id.as_str() == text).or_else(|| types.iter().find(|t| t.data.name.eq_ignore_ascii_case(text))).ok_or_else(
        || {
            let names: Vec<&str> = types.iter().map(|t| t.data.name.as_str()).collect();
            format!("no appointment type '{}'; choose one of: {}", text.chars().take(60).collect::<String>(), names.join(", "))
        },
    )
}

impl App {
    /// The practice's appointment types, by name (a practice list every role may read).
    pub async fn list_appointment_types(&self, actor: &Actor) -> Result<Vec<crate::views::AppointmentTypeView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let types = store::list_appointment_types(&mut conn, &actor.practice_id).await?;
        Ok(types
            .into_iter()
            .map(|t| crate::views::AppointmentTypeView {
                id: t.appointment_type.id,
                name: t.appointment_type.name,
                duration_minutes: t.appointment_type.duration_minutes,
            })
            .collect())
    }
}

pub(crate) async fn load_types(conn: &mut Connection, practice_id: &str) -> std::result::Result<Vec<AppointmentType>, StoreError> {
    store::list_appointment_types(conn, practice_id).await?.into_iter().map(appointment_type_of).collect()
}

fn appointment_type_of(t: AppointmentTypeWithProviders) -> std::result::Result<AppointmentType, StoreError> {
    let row = t.appointment_type;
    let corrupt = |what: String| StoreError::Corrupt(format!("appointment type {}: {what}", row.id));
    let duration = AppointmentDuration::from_minutes(u32::try_from(row.duration_minutes).unwrap_or(0)).map_err(corrupt)?;
    let colour = Colour::parse(&row.colour).map_err(corrupt)?;
    let patient_kind = PatientKind::parse(&row.patient_kind).map_err(corrupt)?;
    Ok(AppointmentType {
        id: AppointmentTypeId::new(row.id.clone()),
        data: AppointmentTypeData {
            name: row.name.clone(),
            duration,
            colour,
            providers: t.provider_ids.into_iter().map(ProviderId::new).collect(),
            patient_kind,
        },
    })
}

/// Everything the booking rules need about one provider from `first` to `last`: the calendar,
/// the holidays and the appointments (any status) touching those dates.
pub(crate) async fn load_schedule(
    conn: &mut Connection,
    practice_id: &str,
    provider: &ProviderId,
    first: NaiveDate,
    last: NaiveDate,
) -> std::result::Result<Schedule, StoreError> {
    load_schedules(conn, practice_id, std::slice::from_ref(provider), first, last).await
}

/// The same for several providers at once (an "any provider" slot search).
pub(crate) async fn load_schedules(
    conn: &mut Connection,
    practice_id: &str,
    providers: &[ProviderId],
    first: NaiveDate,
    last: NaiveDate,
) -> std::result::Result<Schedule, StoreError> {
    let holidays = store::list_holidays(conn, practice_id, first, last).await?;
    let after_last = last.checked_add_days(Days::new(1)).unwrap_or(last);
    let mut calendars = Vec::with_capacity(providers.len());
    let mut appointments = Vec::new();
    for provider in providers {
        let template = store::list_template_entries(conn, practice_id, provider.as_str()).await?;
        let exceptions = store::list_exceptions(conn, practice_id, provider.as_str(), first, last).await?;
        let rows = store::list_appointments(
            conn,
            practice_id,
            provider.as_str(),
            minute_of(first.and_time(NaiveTime::MIN)),
            minute_of(after_last.and_time(NaiveTime::MIN)),
        )
        .await?;
        let template: Vec<TemplateEntry> = template.iter().map(template_entry_of).collect::<std::result::Result<_, _>>()?;
        let exceptions: Vec<DayException> = exceptions.iter().map(exception_of).collect::<std::result::Result<_, _>>()?;
        calendars.push(
            ProviderCalendar::new(provider.clone(), template, exceptions)
                .map_err(|e| StoreError::Corrupt(format!("the calendar of provider {provider}: {e}")))?,
        );
        for row in &rows {
            appointments.push(row.booked()?);
        }
    }
    let holidays = holidays
        .into_iter()
        .map(|h| {
            parse_date(&h.date)
                .map(|date| Holiday { date, name: h.name })
                .map_err(|e| StoreError::Corrupt(format!("holiday {}: {e}", h.date)))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Schedule { calendars, holidays, appointments })
}

/// The step as sent, with what it needs (a cancellation's reason and who).
fn parse_event(input: &StatusEventInput) -> Result<AppointmentEvent> {
    let text = input.event.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let kind = match text.as_str() {
        "" => {
            return Err(ValidationErrors::single(
                "event",
                "name the step: confirm, check_in, room, check_out, complete, cancel or no_show",
            )
            .into());
        }
        "arrive" | "arrived" | "checkin" => Some(EventKind::CheckIn),
        "noshow" => Some(EventKind::NoShow),
        "checkout" => Some(EventKind::CheckOut),
        other => EventKind::ALL.into_iter().find(|k| k.as_str() == other),
    };
    let Some(kind) = kind else {
        return Err(ValidationErrors::single(
            "event",
            format!(
                "'{}' is not one of confirm, check_in, room, check_out, complete, cancel, no_show",
                input.event.chars().take(40).collect::<String>()
            ),
        )
        .into());
    };
    Ok(match kind {
        EventKind::Confirm => AppointmentEvent::Confirm,
        EventKind::CheckIn => AppointmentEvent::CheckIn,
        EventKind::Room => AppointmentEvent::Room,
        EventKind::CheckOut => AppointmentEvent::CheckOut,
        EventKind::Complete => AppointmentEvent::Complete,
        EventKind::NoShow => AppointmentEvent::NoShow,
        EventKind::Cancel => AppointmentEvent::Cancel(CancellationInput { reason: input.reason.clone(), by: input.by.clone() }.validate()?),
        EventKind::Reschedule => {
            return Err(ValidationErrors::single("event", "to reschedule, book the new time and cancel this appointment").into());
        }
    })
}
