//! Moving and repeating appointments, and finding open times across providers.
//!
//! - A reschedule marks the old appointment `rescheduled`, books the new time with the same
//!   booking rules as any booking (`App::insert_booking`) and links the two both ways, in one
//!   transaction: either both happen or neither.
//! - A recurring series ("every 2 weeks, 6 times") is previewed first: each occurrence is bookable
//!   or carries the reason it is not (a holiday, a vacation day, another appointment). Booking
//!   books the bookable ones and the series row in one transaction, and answers the skipped ones.
//! - The open-slot search takes a provider or any provider who offers the type, a date range and a
//!   part of the day.

use crate::scheduling::{
    Attempt, BOOKING_ATTEMPTS, BookingRequest, MAX_NOTES_CHARS, appointment_view, choose_type, load_schedule, load_schedules, load_types,
    parse_instant, required_id, rfc3339,
};
use crate::views::{AppointmentView, SlotView};
use crate::{Actor, App, AppError, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::scheduling::{
    AppointmentDuration, AppointmentEvent, AppointmentId, CancelledBy, DateRange, OccurrenceStatus, ProviderId, RecurrenceEnd,
    RecurrenceInput, SlotSearchInput, find_open_slots, recurrence, transition,
};
use medoffice_domain::security::Action;
use medoffice_store::scheduling::{self as store, AppointmentEventRow, SeriesRow, StatusChange, local_text};
use medoffice_store::{StoreError, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many days of every provider's calendar the slot search reads at a time.
const SEARCH_CHUNK_DAYS: i64 = 7;

/// A move to a new time (and perhaps another provider or type), as sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RescheduleInput {
    /// The new start: RFC 3339 with offset, or local `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// Optional; blank for the type's length.
    pub end: String,
    /// Blank to keep the provider.
    pub provider_id: String,
    /// Blank to keep the type.
    pub appointment_type: String,
    /// Why it moves (kept in the history).
    pub reason: String,
    /// Who asked: `patient` or `practice`.
    pub by: String,
    pub overbook: bool,
}

/// A recurring series as sent: the patient, provider and type, and the rule.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RecurringInput {
    pub patient_id: String,
    pub provider_id: String,
    /// A type's id or name; blank for the standard visit.
    pub appointment_type: String,
    /// `YYYY-MM-DD`.
    pub first_date: String,
    /// `HH:MM`.
    pub first_time: String,
    /// 1 to 12.
    pub every_n_weeks: String,
    /// How many times (1 to 52); or give `until`.
    pub count: String,
    /// The last possible date, `YYYY-MM-DD`; or give `count`.
    pub until: String,
    pub notes: String,
}

/// One date of a series: bookable, or why not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OccurrenceView {
    /// 1 for the first.
    pub number: u32,
    pub start: String,
    pub end: String,
    pub bookable: bool,
    /// Why it cannot be booked ("the practice is closed for Christmas Day").
    pub reason: Option<String>,
}

/// What booking a series did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesBooked {
    pub series_id: String,
    pub booked: Vec<AppointmentView>,
    /// The occurrences not booked, each with its reason.
    pub skipped: Vec<OccurrenceView>,
}

/// An open-slot search as sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SlotSearch {
    /// Blank for any provider who offers the type.
    pub provider_id: String,
    /// A type's id or name; blank for the standard visit.
    pub appointment_type: String,
    /// First date, `YYYY-MM-DD`; blank for today.
    pub from: String,
    /// Last date; blank for two weeks from `from`. At most 92 days in all.
    pub to: String,
    /// `any` (blank), `morning` or `afternoon`.
    pub part_of_day: String,
    /// The length wanted; blank for the type's.
    pub duration_minutes: String,
    /// 1 to 50; blank for 20.
    pub max_results: String,
}

impl App {
    /// Moves an appointment: the old one becomes `rescheduled` (linked to the new one), the new one
    /// is booked under the usual rules (linked back), one transaction. Answers the new appointment.
    pub async fn reschedule_appointment(&self, actor: &Actor, appointment_id: &str, input: &RescheduleInput) -> Result<AppointmentView> {
        self.authorize(actor, Action::BookAppointments, None).await?;
        if input.overbook {
            self.authorize(actor, Action::OverbookAppointments, None).await?;
        }
        let tz = actor.timezone;
        let mut e = ValidationErrors::new();
        let start = e.check("start", parse_instant(&input.start, tz));
        let end = if input.end.trim().is_empty() { None } else { e.check("end", parse_instant(&input.end, tz)) };
        let provider_id =
            if input.provider_id.trim().is_empty() { None } else { e.check("provider_id", required_id(&input.provider_id, "")) };
        let reason = input.reason.trim();
        if reason.chars().count() > 200 {
            e.add("reason", "at most 200 characters");
        }
        let by = if input.by.trim().is_empty() { Some(CancelledBy::Patient) } else { e.check("by", CancelledBy::parse(&input.by)) };
        let now_local = self.now().with_timezone(&tz).naive_local();
        if let Some(start) = start
            && start < now_local
        {
            e.add("start", "that time has passed; choose a time from now on");
        }
        let (Some(start), Some(by)) = (start, by) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_reschedule(actor, appointment_id, start, end, provider_id.as_deref(), input, reason, by).await {
                Err(Attempt::Transient) if attempt < BOOKING_ATTEMPTS => continue,
                Err(other) => return Err(other.into_app_error()),
                Ok(view) => return Ok(view),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn try_reschedule(
        &self,
        actor: &Actor,
        appointment_id: &str,
        start: chrono::NaiveDateTime,
        end: Option<chrono::NaiveDateTime>,
        provider_id: Option<&str>,
        input: &RescheduleInput,
        reason: &str,
        by: CancelledBy,
    ) -> std::result::Result<AppointmentView, Attempt> {
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await.map_err(Attempt::store)?;
        let old = store::get_appointment(&mut tx, practice_id, appointment_id).await.map_err(Attempt::store)?;
        let from = old.status().map_err(Attempt::store)?;
        let new_id = new_id();
        let event = AppointmentEvent::Reschedule { new_appointment: AppointmentId::new(new_id.clone()) };
        let to = transition(from, &event).map_err(|t| Attempt::Failed(AppError::Conflict(t.to_string())))?;
        let now = self.now_text();
        let moved = store::update_status(
            &mut tx,
            practice_id,
            appointment_id,
            old.version,
            &StatusChange { status: to.as_str(), rescheduled_to: Some(&new_id), updated_at: &now, ..Default::default() },
        )
        .await
        .map_err(Attempt::store)?;
        let type_text = if input.appointment_type.trim().is_empty() { old.appointment_type_id.as_str() } else { &input.appointment_type };
        let request = BookingRequest {
            id: Some(&new_id),
            patient_id: &old.patient_id,
            provider_id: provider_id.unwrap_or(&old.provider_id),
            start,
            end,
            type_text,
            notes: old.notes.as_deref(),
            overbook: input.overbook,
            series_id: old.series_id.as_deref(),
            rescheduled_from: Some(appointment_id),
        };
        let (row, types) = self.insert_booking(&mut tx, actor, &request).await?;
        let detail = serde_json::json!({
            "event": "reschedule",
            "new_appointment": new_id,
            "new_start": row.start_at,
            "reason": reason,
            "by": by.as_str(),
        });
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
                detail: detail.to_string(),
            },
        )
        .await
        .map_err(Attempt::store)?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.reschedule",
                patient_id: Some(&old.patient_id),
                record_type: "appointment",
                record_id: Some(appointment_id),
                detail: format!("{} -> {} (new appointment {new_id}, asked by {})", old.start_at, row.start_at, by.as_str()),
            },
        )
        .await
        .map_err(Attempt::Failed)?;
        self.after_time_freed(&mut tx, actor, &moved).await.map_err(Attempt::Failed)?;
        tx.commit().await.map_err(|e| Attempt::store(StoreError::from(e)))?;
        Ok(appointment_view(&row, &types, actor.timezone))
    }

    /// Every occurrence of a series, each bookable or with its reason, without booking anything.
    pub async fn preview_recurring(&self, actor: &Actor, input: &RecurringInput) -> Result<Vec<OccurrenceView>> {
        self.authorize(actor, Action::BookAppointments, None).await?;
        let plan = self.plan_series(actor, input).await?;
        Ok(plan.occurrences)
    }

    /// Books a series: the bookable occurrences and the series itself in one transaction. The
    /// occurrences are worked out again inside the transaction, so one taken since the preview is
    /// skipped (and answered), never double-booked.
    pub async fn book_recurring(&self, actor: &Actor, input: &RecurringInput) -> Result<SeriesBooked> {
        let patient_hint = Some(input.patient_id.trim()).filter(|p| !p.is_empty() && p.len() <= 64);
        self.authorize(actor, Action::BookAppointments, patient_hint).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_book_series(actor, input).await {
                Err(Attempt::Transient) if attempt < BOOKING_ATTEMPTS => continue,
                Err(other) => return Err(other.into_app_error()),
                Ok(done) => return Ok(done),
            }
        }
    }

    async fn try_book_series(&self, actor: &Actor, input: &RecurringInput) -> std::result::Result<SeriesBooked, Attempt> {
        let practice_id = actor.practice_id.as_str();
        let fields = SeriesFields::parse(input, actor.today(self.now())).map_err(|e| Attempt::Failed(e.into()))?;
        let mut tx = self.store.begin().await.map_err(Attempt::store)?;
        let plan = plan_in(&mut tx, practice_id, &fields, actor.timezone, self.now().with_timezone(&actor.timezone).naive_local())
            .await
            .map_err(Attempt::Failed)?;
        if !plan.occurrences.iter().any(|o| o.bookable) {
            return Err(Attempt::Failed(
                ValidationErrors::single("first_date", "none of these dates can be booked; see the reason beside each").into(),
            ));
        }
        let series_id = new_id();
        let now = self.now_text();
        store::insert_series(
            &mut tx,
            &SeriesRow {
                practice_id: practice_id.to_string(),
                id: series_id.clone(),
                patient_id: fields.patient_id.clone(),
                provider_id: fields.provider_id.clone(),
                appointment_type_id: plan.type_id.clone(),
                every_n_weeks: i64::from(fields.rule.every_n_weeks()),
                occurrences: match fields.rule.end() {
                    RecurrenceEnd::Count(n) => Some(i64::from(n)),
                    RecurrenceEnd::Until(_) => None,
                },
                until_date: match fields.rule.end() {
                    RecurrenceEnd::Until(d) => Some(d.to_string()),
                    RecurrenceEnd::Count(_) => None,
                },
                first_start: local_text(fields.rule.first()),
                created_by: actor.user_id.clone(),
                created_at: now,
            },
        )
        .await
        .map_err(Attempt::store)?;
        let mut booked = Vec::new();
        let mut skipped = Vec::new();
        let notes = (!fields.notes.is_empty()).then_some(fields.notes.as_str());
        for (occurrence, start) in plan.occurrences.into_iter().zip(plan.starts) {
            if !occurrence.bookable {
                skipped.push(occurrence);
                continue;
            }
            let request = BookingRequest {
                patient_id: &fields.patient_id,
                provider_id: &fields.provider_id,
                start,
                type_text: &plan.type_id,
                notes,
                series_id: Some(&series_id),
                ..Default::default()
            };
            let (row, types) = self.insert_booking(&mut tx, actor, &request).await?;
            booked.push(appointment_view(&row, &types, actor.timezone));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.series.create",
                patient_id: Some(&fields.patient_id),
                record_type: "appointment_series",
                record_id: Some(&series_id),
                detail: format!(
                    "every {} week(s) from {}: {} booked, {} skipped",
                    fields.rule.every_n_weeks(),
                    local_text(fields.rule.first()),
                    booked.len(),
                    skipped.len()
                ),
            },
        )
        .await
        .map_err(Attempt::Failed)?;
        tx.commit().await.map_err(|e| Attempt::store(StoreError::from(e)))?;
        Ok(SeriesBooked { series_id, booked, skipped })
    }

    async fn plan_series(&self, actor: &Actor, input: &RecurringInput) -> Result<SeriesPlan> {
        let fields = SeriesFields::parse(input, actor.today(self.now()))?;
        let mut tx = self.store.begin().await?;
        let plan =
            plan_in(&mut tx, &actor.practice_id, &fields, actor.timezone, self.now().with_timezone(&actor.timezone).naive_local()).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.series.preview",
                patient_id: Some(&fields.patient_id),
                record_type: "appointment_series",
                record_id: None,
                detail: format!(
                    "{} occurrence(s), {} bookable",
                    plan.occurrences.len(),
                    plan.occurrences.iter().filter(|o| o.bookable).count()
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(plan)
    }

    /// Open times that fit: of one provider or of any provider who offers the type, in a date
    /// range (at most 92 days), in the morning, the afternoon or any time; earliest first. Never a
    /// time in the past, on a holiday, outside working hours, in a block or overlapping an
    /// appointment that holds its time.
    pub async fn search_open_slots(&self, actor: &Actor, input: &SlotSearch) -> Result<Vec<SlotView>> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let providers = medoffice_store::practice::list_providers(&mut conn, practice_id).await?;
        let types = load_types(&mut conn, practice_id).await?;
        let mut e = ValidationErrors::new();
        let chosen = input.provider_id.trim();
        if !chosen.is_empty() && !providers.iter().any(|p| p.id == chosen) {
            e.add("provider_id", "no such provider");
        }
        let mut appointment_type = e.check("appointment_type", choose_type(&types, &input.appointment_type).cloned());
        if !input.duration_minutes.trim().is_empty()
            && let Some(duration) = e.check("duration_minutes", AppointmentDuration::parse(&input.duration_minutes))
            && let Some(t) = appointment_type.as_mut()
        {
            t.data.duration = duration;
        }
        let Some(appointment_type) = appointment_type.filter(|_| e.is_empty()) else {
            return Err(e.into());
        };
        let now_local = self.now().with_timezone(&actor.timezone).naive_local();
        let search = SlotSearchInput {
            provider_ids: if chosen.is_empty() { Vec::new() } else { vec![chosen.to_string()] },
            from: input.from.clone(),
            to: input.to.clone(),
            part_of_day: input.part_of_day.clone(),
            max_results: if input.max_results.trim().is_empty() { "20".into() } else { input.max_results.clone() },
            ..Default::default()
        };
        let request = search.validate(&appointment_type, now_local).map_err(|errors| {
            let mut renamed = ValidationErrors::new();
            for f in errors.errors {
                let field = if f.field.starts_with("provider_ids") { "provider_id".to_string() } else { f.field };
                renamed.add(&field, f.message);
            }
            renamed
        })?;
        let wanted: Vec<ProviderId> = providers
            .iter()
            .map(|p| ProviderId::new(p.id.clone()))
            .filter(|p| request.providers.includes(p) && appointment_type.offered_by(p))
            .collect();
        // A week at a time, earliest first, until enough slots are found: the next open times
        // are usually in the first days, and reading every provider's whole range first cost 10x
        // (bench/README.md, "Scheduling").
        let tz = actor.timezone;
        let limit = request.max_results.get();
        let mut found = Vec::new();
        let mut chunk_first = request.dates.first();
        while chunk_first <= request.dates.last() && found.len() < limit {
            let chunk_last = (chunk_first + chrono::Duration::days(SEARCH_CHUNK_DAYS - 1)).min(request.dates.last());
            let mut chunk = request.clone();
            chunk.dates = DateRange::new(chunk_first, chunk_last).map_err(AppError::Internal)?;
            let schedule = load_schedules(&mut conn, practice_id, &wanted, chunk_first, chunk_last).await?;
            for s in find_open_slots(&chunk, &schedule).into_iter().take(limit - found.len()) {
                found.push(SlotView {
                    start: rfc3339(s.interval.start(), tz),
                    end: rfc3339(s.interval.end(), tz),
                    provider_id: s.provider.as_str().to_string(),
                    location_id: s.location.as_str().to_string(),
                });
            }
            chunk_first = chunk_last + chrono::Duration::days(1);
        }
        Ok(found)
    }

    /// What happens when an appointment stops holding its time by a move: the waitlist is
    /// offered the old time, in the same transaction (as for a cancellation or a no-show).
    pub(crate) async fn after_time_freed(
        &self,
        tx: &mut medoffice_store::Connection,
        actor: &Actor,
        freed: &store::AppointmentRow,
    ) -> Result<()> {
        self.offer_freed_slot(tx, actor, freed).await?;
        Ok(())
    }
}

/// A series request, checked.
struct SeriesFields {
    patient_id: String,
    provider_id: String,
    type_text: String,
    rule: medoffice_domain::scheduling::RecurrenceRule,
    notes: String,
}

impl SeriesFields {
    fn parse(input: &RecurringInput, today: chrono::NaiveDate) -> std::result::Result<SeriesFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient_id = e.check("patient_id", required_id(&input.patient_id, "choose the patient"));
        let provider_id = e.check("provider_id", required_id(&input.provider_id, "choose the provider"));
        let rule = RecurrenceInput {
            first_date: input.first_date.clone(),
            first_time: input.first_time.clone(),
            every_n_weeks: input.every_n_weeks.clone(),
            count: input.count.clone(),
            until: input.until.clone(),
        }
        .validate(today);
        let rule = match rule {
            Ok(rule) => Some(rule),
            Err(errors) => {
                e.errors.extend(errors.errors);
                None
            }
        };
        let notes = input.notes.trim().to_string();
        if notes.chars().count() > MAX_NOTES_CHARS {
            e.add("notes", format!("at most {MAX_NOTES_CHARS} characters"));
        }
        match (patient_id, provider_id, rule) {
            (Some(patient_id), Some(provider_id), Some(rule)) if e.is_empty() => {
                Ok(SeriesFields { patient_id, provider_id, type_text: input.appointment_type.clone(), rule, notes })
            }
            _ => Err(e),
        }
    }
}

/// The occurrences of a series checked against the schedule as it is in `conn`.
struct SeriesPlan {
    type_id: String,
    occurrences: Vec<OccurrenceView>,
    /// The local start of each occurrence, in step with `occurrences`.
    starts: Vec<chrono::NaiveDateTime>,
}

async fn plan_in(
    conn: &mut medoffice_store::Connection,
    practice_id: &str,
    fields: &SeriesFields,
    tz: chrono_tz::Tz,
    now_local: chrono::NaiveDateTime,
) -> Result<SeriesPlan> {
    let mut e = ValidationErrors::new();
    match medoffice_store::patients::get(conn, practice_id, &fields.patient_id).await {
        Ok(p) if p.merged_into.is_some() => e.add("patient_id", "this record was merged into another patient; book that one"),
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => e.add("patient_id", "no such patient"),
        Err(other) => return Err(other.into()),
    }
    let providers = medoffice_store::practice::list_providers(conn, practice_id).await?;
    if !providers.iter().any(|p| p.id == fields.provider_id) {
        e.add("provider_id", "no such provider");
    }
    let types = load_types(conn, practice_id).await?;
    let appointment_type = e.check("appointment_type", choose_type(&types, &fields.type_text).cloned());
    let Some(appointment_type) = appointment_type.filter(|_| e.is_empty()) else {
        return Err(e.into());
    };
    if fields.rule.first() < now_local {
        return Err(ValidationErrors::single("first_time", "that time has passed; choose a time from now on").into());
    }
    let provider = ProviderId::new(fields.provider_id.clone());
    let starts = fields.rule.starts();
    let last = starts.last().map(|s| s.date()).unwrap_or(fields.rule.first().date());
    let schedule = load_schedule(conn, practice_id, &provider, fields.rule.first().date(), last).await?;
    let occurrences = recurrence(&fields.rule, &provider, &appointment_type, appointment_type.duration(), &schedule);
    let mut views = Vec::with_capacity(occurrences.len());
    let mut bookable_starts = Vec::with_capacity(occurrences.len());
    for o in occurrences {
        let (bookable, reason) = match &o.status {
            OccurrenceStatus::Bookable(p) if matches!(p.fit, medoffice_domain::scheduling::BookingFit::Free) => (true, None),
            OccurrenceStatus::Bookable(_) => (false, Some("another appointment is at that time".to_string())),
            OccurrenceStatus::Unbookable(why) => (false, Some(crate::scheduling::unbookable_text(why))),
        };
        views.push(OccurrenceView {
            number: o.number,
            start: rfc3339(o.interval.start(), tz),
            end: rfc3339(o.interval.end(), tz),
            bookable,
            reason,
        });
        bookable_starts.push(o.interval.start());
    }
    Ok(SeriesPlan { type_id: appointment_type.id.as_str().to_string(), occurrences: views, starts: bookable_starts })
}
