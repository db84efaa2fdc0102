//! The waitlist: patients who want an earlier slot than they could get. When an appointment is
//! cancelled or marked a no-show while still in the future, [`App::offer_freed_slot`] runs in the
//! same transaction and offers its time to every entry it fits (see [`fits`]); the front desk books
//! an offer for the patient or records that they declined.
//!
//! An entry is `waiting` until something is offered, `offered` while it has open offers (it still
//! gets further offers: the patient has not booked yet), `booked` once booked from an offer, or
//! `removed`. Whether an offer's slot has been taken since is read from the appointments every time
//! the waitlist is shown, never stored, so the booking code needs to know nothing of the waitlist.

use crate::scheduling::{NewAppointment, STANDARD_VISIT};
use crate::views::{AppointmentView, PatientSummary, WaitlistEntryView, WaitlistOfferView};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{DateTime, Days, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::patients::parse_date;
use medoffice_domain::scheduling::{AppointmentStatus, PartOfDay, ProviderId};
use medoffice_domain::security::Action;
use medoffice_store::scheduling::{self as scheduling_store, AppointmentRow, AppointmentTypeWithProviders, minute_of};
use medoffice_store::waitlist::{self as store, LOOKING_STATUSES, OfferRead, STALE_ENTRY, WaitlistEntryRow, WaitlistOfferRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The longest note on an entry.
pub const MAX_NOTE_CHARS: usize = 500;
/// The widest range of dates an entry may span.
pub const MAX_RANGE_DAYS: u64 = 366;

/// A waitlist entry as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewWaitlistEntry {
    pub patient_id: String,
    /// Blank for any provider.
    pub provider_id: String,
    /// A type's id or name; blank for the practice's standard visit.
    pub appointment_type: String,
    /// The first date the patient can come (`YYYY-MM-DD` or `MM/DD/YYYY`); blank for today.
    pub earliest_date: String,
    /// The last date the patient can come (usually the day before the appointment they have).
    pub latest_date: String,
    /// `any` (or blank), `morning` or `afternoon`.
    pub part_of_day: String,
    pub note: String,
}

/// A freed slot as the matching rule sees it: local times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FreedSlot<'a> {
    pub provider_id: &'a str,
    /// The patient whose appointment freed it.
    pub patient_id: &'a str,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// Whether a waitlist entry still looking for a slot fits a freed one: the provider is the one
/// wanted (or any provider was) and offers the entry's appointment type; the slot's date is within
/// the entry's dates; it starts in the part of the day wanted; it is at least as long as the
/// entry's appointment type; and it is not the same patient's own appointment.
pub(crate) fn fits(entry: &WaitlistEntryRow, entry_type: Option<&AppointmentTypeWithProviders>, slot: &FreedSlot<'_>) -> bool {
    let Some(entry_type) = entry_type else {
        return false;
    };
    let provider_wanted = entry.provider_id.as_deref().is_none_or(|p| p == slot.provider_id);
    let offers_type = entry_type.provider_ids.iter().any(|p| p == slot.provider_id);
    let date = slot.start.date().to_string();
    let in_dates = entry.earliest_date.as_str() <= date.as_str() && date.as_str() <= entry.latest_date.as_str();
    let part_of_day = PartOfDay::parse(&entry.part_of_day).is_ok_and(|p| p.includes(slot.start.time()));
    let long_enough = (slot.end - slot.start).num_minutes() >= entry_type.appointment_type.duration_minutes;
    LOOKING_STATUSES.contains(&entry.status.as_str())
        && provider_wanted
        && offers_type
        && in_dates
        && part_of_day
        && long_enough
        && entry.patient_id != slot.patient_id
}

impl App {
    /// Puts a patient on the waitlist: the provider wanted (or any), the appointment type, the
    /// dates and part of the day the patient can come, and a note. Audited.
    pub async fn add_waitlist_entry(&self, actor: &Actor, input: &NewWaitlistEntry) -> Result<WaitlistEntryView> {
        let patient_hint = Some(input.patient_id.trim()).filter(|p| !p.is_empty() && p.len() <= 64);
        self.authorize(actor, Action::ManageWaitlist, patient_hint).await?;
        let today = actor.today(self.now());
        let mut e = ValidationErrors::new();
        let patient_id = e.check("patient_id", required_id(&input.patient_id, "choose the patient"));
        let provider_id = if input.provider_id.trim().is_empty() {
            Some(None)
        } else {
            e.check("provider_id", ProviderId::parse(&input.provider_id).map(|p| Some(p.as_str().to_string())))
        };
        let earliest =
            if input.earliest_date.trim().is_empty() { Some(today) } else { e.check("earliest_date", parse_date(&input.earliest_date)) };
        let latest = if input.latest_date.trim().is_empty() {
            e.add("latest_date", "give the last date the patient can come");
            None
        } else {
            e.check("latest_date", parse_date(&input.latest_date))
        };
        let part_of_day = e.check("part_of_day", PartOfDay::parse(&input.part_of_day));
        let note = input.note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            e.add("note", format!("at most {MAX_NOTE_CHARS} characters"));
        }
        if let Some(earliest) = earliest
            && earliest < today
        {
            e.add("earliest_date", "that date has passed; the waitlist is for dates from today on");
        }
        if let (Some(earliest), Some(latest)) = (earliest, latest) {
            if latest < earliest {
                e.add("latest_date", "the last date must be on or after the first date");
            } else if earliest.checked_add_days(Days::new(MAX_RANGE_DAYS)).is_some_and(|limit| latest > limit) {
                e.add("latest_date", format!("the dates may span at most {MAX_RANGE_DAYS} days"));
            }
        }
        let (Some(patient_id), Some(provider_id), Some(earliest), Some(latest), Some(part_of_day)) =
            (patient_id, provider_id, earliest, latest, part_of_day)
        else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        match medoffice_store::patients::get(&mut tx, practice_id, &patient_id).await {
            Ok(p) if p.merged_into.is_some() => e.add("patient_id", "this record was merged into another patient; choose that one"),
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => e.add("patient_id", "no such patient"),
            Err(other) => return Err(other.into()),
        }
        let providers = medoffice_store::practice::list_providers(&mut tx, practice_id).await?;
        if let Some(p) = &provider_id
            && !providers.iter().any(|row| &row.id == p)
        {
            e.add("provider_id", "no such provider");
        }
        let types = scheduling_store::list_appointment_types(&mut tx, practice_id).await?;
        let appointment_type = match choose_type(&types, &input.appointment_type) {
            Ok(t) => Some(t),
            Err(message) => {
                e.add("appointment_type", message);
                None
            }
        };
        if let (Some(t), Some(p)) = (appointment_type, &provider_id)
            && !t.provider_ids.contains(p)
        {
            e.add("appointment_type", format!("this provider does not offer {}", t.appointment_type.name));
        }
        let (Some(appointment_type), true) = (appointment_type, e.is_empty()) else {
            return Err(e.into());
        };
        let now = self.now_text();
        let row = WaitlistEntryRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            patient_id: patient_id.clone(),
            provider_id,
            appointment_type_id: appointment_type.appointment_type.id.clone(),
            earliest_date: earliest.to_string(),
            latest_date: latest.to_string(),
            part_of_day: part_of_day.as_str().to_string(),
            note: (!note.is_empty()).then(|| note.to_string()),
            status: "waiting".into(),
            booked_appointment_id: None,
            created_by: actor.user_id.clone(),
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        store::insert_entry(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "waitlist.add",
                patient_id: Some(&patient_id),
                record_type: "waitlist_entry",
                record_id: Some(&row.id),
                detail: format!(
                    "{} {}..{} {} provider {}",
                    appointment_type.appointment_type.name,
                    row.earliest_date,
                    row.latest_date,
                    row.part_of_day,
                    row.provider_id.as_deref().unwrap_or("any")
                ),
            },
        )
        .await?;
        let names = Names::load(&mut tx, practice_id).await?;
        let patients = patient_summaries(&mut tx, practice_id, std::slice::from_ref(&patient_id)).await?;
        tx.commit().await?;
        Ok(entry_view(&row, &[], &names, &types, &patients, actor.timezone, self.now_minute(actor)))
    }

    /// The waitlist: the entries still looking for a slot (or every entry, `all`), earliest wanted
    /// date first, each with its open offers and whether each offer's slot is gone. Audited as a read.
    pub async fn list_waitlist(&self, actor: &Actor, all: bool) -> Result<Vec<WaitlistEntryView>> {
        self.authorize(actor, Action::ReadWaitlist, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let entries = store::list_entries(&mut tx, practice_id, all).await?;
        let offers = store::list_open_offers(&mut tx, practice_id).await?;
        let types = scheduling_store::list_appointment_types(&mut tx, practice_id).await?;
        let names = Names::load(&mut tx, practice_id).await?;
        let ids: Vec<String> = entries.iter().map(|e| e.patient_id.clone()).collect();
        let patients = patient_summaries(&mut tx, practice_id, &ids).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "waitlist.list",
                patient_id: None,
                record_type: "waitlist_entry",
                record_id: None,
                detail: format!("{} ({} entr{})", if all { "all" } else { "looking" }, entries.len(), plural_y(entries.len())),
            },
        )
        .await?;
        tx.commit().await?;
        let now_minute = self.now_minute(actor);
        Ok(entries
            .iter()
            .map(|entry| {
                let mine: Vec<&OfferRead> = offers.iter().filter(|o| o.offer.entry_id == entry.id).collect();
                entry_view(entry, &mine, &names, &types, &patients, actor.timezone, now_minute)
            })
            .collect())
    }

    /// Takes a patient off the waitlist; their open offers are withdrawn. Audited.
    pub async fn remove_waitlist_entry(&self, actor: &Actor, entry_id: &str) -> Result<()> {
        self.authorize(actor, Action::ManageWaitlist, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let entry = store::get_entry(&mut tx, practice_id, entry_id).await?;
        if !LOOKING_STATUSES.contains(&entry.status.as_str()) {
            return Err(AppError::Conflict(format!("this entry is already {}", entry.status)));
        }
        let now = self.now_text();
        store::set_entry_status(&mut tx, practice_id, entry_id, entry.version, "removed", None, &now).await.map_err(stale)?;
        let withdrawn = store::withdraw_open_offers(&mut tx, practice_id, entry_id, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "waitlist.remove",
                patient_id: Some(&entry.patient_id),
                record_type: "waitlist_entry",
                record_id: Some(entry_id),
                detail: format!("{withdrawn} open offer(s) withdrawn"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Books the offered slot for the entry's patient with the entry's appointment type, through
    /// [`App::book_appointment`] (every booking rule applies, and a slot taken since is a
    /// conflict), then marks the offer and the entry booked and withdraws the entry's other open
    /// offers. Two transactions: the booking's own, then the waitlist's (the booking use case
    /// commits by itself); should the second fail, the appointment stands and the entry still
    /// shows as offered.
    pub async fn book_waitlist_offer(&self, actor: &Actor, offer_id: &str) -> Result<AppointmentView> {
        self.authorize(actor, Action::ManageWaitlist, None).await?;
        let practice_id = actor.practice_id.as_str();
        let (offer, entry) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let offer = store::get_offer(&mut conn, practice_id, offer_id).await?;
            let entry = store::get_entry(&mut conn, practice_id, &offer.offer.entry_id).await?;
            (offer, entry)
        };
        if offer.offer.status != "open" {
            return Err(AppError::Conflict(format!("this offer was already {}", offer.offer.status)));
        }
        if !LOOKING_STATUSES.contains(&entry.status.as_str()) {
            return Err(AppError::Conflict(format!("this patient is no longer waiting (the entry is {})", entry.status)));
        }
        if offer.offer.start_minute <= self.now_minute(actor) {
            return Err(AppError::Conflict("this slot has passed".into()));
        }
        if offer.taken != 0 {
            return Err(AppError::Conflict("this slot has been taken since it was offered".into()));
        }
        let note = match &entry.note {
            Some(n) => format!("From the waitlist: {n}"),
            None => "From the waitlist".to_string(),
        };
        let booked = self
            .book_appointment(
                actor,
                &NewAppointment {
                    patient_id: entry.patient_id.clone(),
                    provider_id: offer.offer.provider_id.clone(),
                    start: offer.offer.start_at.clone(),
                    end: String::new(),
                    appointment_type: entry.appointment_type_id.clone(),
                    notes: note.chars().take(crate::scheduling::MAX_NOTES_CHARS).collect(),
                    ..Default::default()
                },
            )
            .await?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let current = store::get_offer(&mut tx, practice_id, offer_id).await?;
        store::set_offer_status(&mut tx, practice_id, offer_id, &current.offer.status, "booked", Some(&booked.id), &now).await?;
        store::withdraw_open_offers(&mut tx, practice_id, &entry.id, &now).await?;
        let entry_now = store::get_entry(&mut tx, practice_id, &entry.id).await?;
        store::set_entry_status(&mut tx, practice_id, &entry.id, entry_now.version, "booked", Some(&booked.id), &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "waitlist.book",
                patient_id: Some(&entry.patient_id),
                record_type: "waitlist_entry",
                record_id: Some(&entry.id),
                detail: format!("offer {offer_id}: appointment {} at {}", booked.id, offer.offer.start_at),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(booked)
    }

    /// Records that the patient declined an offered slot. An entry left without open offers is
    /// `waiting` again. Audited.
    pub async fn decline_waitlist_offer(&self, actor: &Actor, offer_id: &str) -> Result<()> {
        self.authorize(actor, Action::ManageWaitlist, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let offer = store::get_offer(&mut tx, practice_id, offer_id).await?;
        let entry = store::get_entry(&mut tx, practice_id, &offer.offer.entry_id).await?;
        let now = self.now_text();
        if !store::set_offer_status(&mut tx, practice_id, offer_id, "open", "declined", None, &now).await? {
            return Err(AppError::Conflict(format!("this offer was already {}", offer.offer.status)));
        }
        if entry.status == "offered" && store::count_open_offers(&mut tx, practice_id, &entry.id).await? == 0 {
            store::set_entry_status(&mut tx, practice_id, &entry.id, entry.version, "waiting", None, &now).await.map_err(stale)?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "waitlist.decline",
                patient_id: Some(&entry.patient_id),
                record_type: "waitlist_offer",
                record_id: Some(offer_id),
                detail: format!("slot {} with provider {}", offer.offer.start_at, offer.offer.provider_id),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Offers the time of an appointment just cancelled or marked a no-show (or rescheduled) to
    /// every waitlist entry it fits ([`fits`]), inside the caller's transaction (the status
    /// change's): one offer row and one audit record per entry, and the entry marked `offered`.
    /// Called after every status change; an appointment in any other status, a slot already in the
    /// past, an overbook (which held no time) or a time another appointment still holds offers
    /// nothing. Returns how many offers.
    pub(crate) async fn offer_freed_slot(&self, tx: &mut Connection, actor: &Actor, freed: &AppointmentRow) -> Result<usize> {
        let freed_status = freed.status()?;
        if !matches!(freed_status, AppointmentStatus::Cancelled | AppointmentStatus::NoShow | AppointmentStatus::Rescheduled)
            || freed.overbook != 0
        {
            return Ok(0);
        }
        let interval = freed.interval()?;
        if minute_of(interval.start()) <= self.now_minute(actor) {
            return Ok(0);
        }
        let practice_id = actor.practice_id.as_str();
        if store::slot_taken(tx, practice_id, &freed.provider_id, freed.start_minute, freed.end_minute).await? {
            return Ok(0);
        }
        let candidates = store::looking_on(tx, practice_id, &interval.start().date().to_string()).await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let types = scheduling_store::list_appointment_types(tx, practice_id).await?;
        let slot =
            FreedSlot { provider_id: &freed.provider_id, patient_id: &freed.patient_id, start: interval.start(), end: interval.end() };
        let now = self.now_text();
        let mut offered = 0;
        for entry in &candidates {
            let entry_type = types.iter().find(|t| t.appointment_type.id == entry.appointment_type_id);
            if !fits(entry, entry_type, &slot) {
                continue;
            }
            let offer = WaitlistOfferRow {
                practice_id: practice_id.to_string(),
                id: new_id(),
                entry_id: entry.id.clone(),
                freed_appointment_id: freed.id.clone(),
                provider_id: freed.provider_id.clone(),
                location_id: freed.location_id.clone(),
                appointment_type_id: freed.appointment_type_id.clone(),
                start_at: freed.start_at.clone(),
                end_at: freed.end_at.clone(),
                start_minute: freed.start_minute,
                end_minute: freed.end_minute,
                status: "open".into(),
                booked_appointment_id: None,
                created_by: actor.user_id.clone(),
                created_at: now.clone(),
                updated_at: now.clone(),
            };
            store::insert_offer(tx, &offer).await?;
            store::mark_offered(tx, practice_id, &entry.id, &now).await?;
            self.audit(
                tx,
                actor,
                AuditNote {
                    action: "waitlist.offer",
                    patient_id: Some(&entry.patient_id),
                    record_type: "waitlist_offer",
                    record_id: Some(&offer.id),
                    detail: format!(
                        "{}..{} with provider {} freed by appointment {} ({})",
                        freed.start_at, freed.end_at, freed.provider_id, freed.id, freed.status
                    ),
                },
            )
            .await?;
            offered += 1;
        }
        Ok(offered)
    }

    /// Now, in minutes since 1970-01-01T00:00 in the practice's local time (as `minute_of`).
    fn now_minute(&self, actor: &Actor) -> i64 {
        minute_of(self.now().with_timezone(&actor.timezone).naive_local())
    }
}

/// A version clash on an entry in the words of the waitlist.
fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if c == STALE_ENTRY => {
            AppError::Conflict("someone else changed this waitlist entry at the same moment; reload and try again".into())
        }
        other => other.into(),
    }
}

fn plural_y(n: usize) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

fn required_id(text: &str, missing: &str) -> std::result::Result<String, String> {
    if text.trim().is_empty() {
        return Err(missing.to_string());
    }
    ProviderId::parse(text).map(|id| id.as_str().to_string())
}

/// The type named by id or (case-insensitive) name; blank for the standard visit, as booking does.
fn choose_type<'a>(types: &'a [AppointmentTypeWithProviders], text: &str) -> std::result::Result<&'a AppointmentTypeWithProviders, String> {
    let text = text.trim();
    if text.is_empty() {
        return types
            .iter()
            .find(|t| t.appointment_type.name.eq_ignore_ascii_case(STANDARD_VISIT))
            .or_else(|| types.first())
            .ok_or_else(|| "the practice has no appointment types yet; an administrator sets them up".to_string());
    }
    types
        .iter()
        .find(|t| t.appointment_type.id == text)
        .or_else(|| types.iter().find(|t| t.appointment_type.name.eq_ignore_ascii_case(text)))
        .ok_or_else(|| {
            let names: Vec<&str> = types.iter().map(|t| t.appointment_type.name.as_str()).collect();
            format!("no appointment type '{}'; choose one of: {}", text.chars().take(60).collect::<String>(), names.join(", "))
        })
}

/// The names of the practice's providers and users, for showing who and with whom.
pub(crate) struct Names {
    pub providers: HashMap<String, String>,
    pub users: HashMap<String, String>,
}

impl Names {
    pub(crate) async fn load(conn: &mut Connection, practice_id: &str) -> Result<Names> {
        let providers = medoffice_store::practice::list_providers(conn, practice_id)
            .await?
            .into_iter()
            .map(|p| {
                let name = format!("{} {}{}", p.given_name, p.family_name, p.credentials.map(|c| format!(", {c}")).unwrap_or_default());
                (p.id, name)
            })
            .collect();
        let users = medoffice_store::users::list(conn, practice_id).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
        Ok(Names { providers, users })
    }

    pub(crate) fn provider(&self, id: &str) -> String {
        self.providers.get(id).cloned().unwrap_or_else(|| "Unknown provider".into())
    }

    pub(crate) fn user(&self, id: &str) -> String {
        self.users.get(id).cloned().unwrap_or_else(|| "Unknown user".into())
    }
}

/// The patients with these ids as summaries, merged records included (an entry or recall made
/// before a merge still names its patient).
pub(crate) async fn patient_summaries(conn: &mut Connection, practice_id: &str, ids: &[String]) -> Result<HashMap<String, PatientSummary>> {
    let mut unique: Vec<String> = ids.to_vec();
    unique.sort();
    unique.dedup();
    let mut found: HashMap<String, PatientSummary> = medoffice_store::patients::get_many(conn, practice_id, &unique)
        .await?
        .iter()
        .map(|r| (r.id.clone(), PatientSummary::from(r)))
        .collect();
    for id in unique.iter().filter(|id| !found.contains_key(*id)).cloned().collect::<Vec<_>>() {
        match medoffice_store::patients::get(conn, practice_id, &id).await {
            Ok(row) => {
                found.insert(id, PatientSummary::from(&row));
            }
            Err(StoreError::NotFound(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(found)
}

/// The summary shown when a patient cannot be read back (never expected: entries reference patients).
pub(crate) fn unknown_patient(id: &str) -> PatientSummary {
    PatientSummary {
        id: id.to_string(),
        mrn: String::new(),
        family_name: "Unknown patient".into(),
        given_name: String::new(),
        preferred_name: None,
        birth_date: String::new(),
        sex: String::new(),
        phone: None,
    }
}

/// A stored instant (`2026-06-15T16:00:00.000000Z`) as RFC 3339 with the practice's offset.
pub(crate) fn local_instant(stored: &str, tz: Tz) -> String {
    DateTime::parse_from_rfc3339(stored).map(|at| at.with_timezone(&tz).to_rfc3339()).unwrap_or_else(|_| stored.to_string())
}

/// A stored local time (`YYYY-MM-DDTHH:MM`) as RFC 3339 with the practice's offset on that date.
pub(crate) fn local_time_rfc3339(stored: &str, tz: Tz) -> String {
    match NaiveDateTime::parse_from_str(stored, "%Y-%m-%dT%H:%M") {
        Ok(local) => match tz.from_local_datetime(&local).earliest() {
            Some(at) => at.to_rfc3339(),
            None => format!("{}Z", local.format("%Y-%m-%dT%H:%M:%S")),
        },
        Err(_) => stored.to_string(),
    }
}

fn entry_view(
    entry: &WaitlistEntryRow,
    offers: &[&OfferRead],
    names: &Names,
    types: &[AppointmentTypeWithProviders],
    patients: &HashMap<String, PatientSummary>,
    tz: Tz,
    now_minute: i64,
) -> WaitlistEntryView {
    let entry_type = types.iter().find(|t| t.appointment_type.id == entry.appointment_type_id);
    WaitlistEntryView {
        id: entry.id.clone(),
        patient: patients.get(&entry.patient_id).cloned().unwrap_or_else(|| unknown_patient(&entry.patient_id)),
        provider_id: entry.provider_id.clone(),
        provider_name: entry.provider_id.as_deref().map(|p| names.provider(p)).unwrap_or_else(|| "Any provider".into()),
        appointment_type: entry.appointment_type_id.clone(),
        appointment_type_name: entry_type.map(|t| t.appointment_type.name.clone()).unwrap_or_default(),
        duration_minutes: entry_type.map(|t| t.appointment_type.duration_minutes).unwrap_or(0),
        earliest_date: entry.earliest_date.clone(),
        latest_date: entry.latest_date.clone(),
        part_of_day: entry.part_of_day.clone(),
        note: entry.note.clone(),
        status: entry.status.clone(),
        booked_appointment_id: entry.booked_appointment_id.clone(),
        added_by: names.user(&entry.created_by),
        added_at: local_instant(&entry.created_at, tz),
        offers: offers
            .iter()
            .map(|o| WaitlistOfferView {
                id: o.offer.id.clone(),
                entry_id: o.offer.entry_id.clone(),
                provider_id: o.offer.provider_id.clone(),
                provider_name: names.provider(&o.offer.provider_id),
                location_id: o.offer.location_id.clone(),
                start: local_time_rfc3339(&o.offer.start_at, tz),
                end: local_time_rfc3339(&o.offer.end_at, tz),
                status: o.offer.status.clone(),
                gone: o.offer.status == "open" && (o.taken != 0 || o.offer.start_minute <= now_minute),
                offered_at: local_instant(&o.offer.created_at, tz),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medoffice_store::scheduling::AppointmentTypeRow;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap_or_default()
    }

    fn visit(minutes: i64, providers: &[&str]) -> AppointmentTypeWithProviders {
        AppointmentTypeWithProviders {
            appointment_type: AppointmentTypeRow {
                practice_id: "p".into(),
                id: "visit".into(),
                name: "Office visit".into(),
                duration_minutes: minutes,
                colour: "#2563eb".into(),
                patient_kind: "any".into(),
                created_at: String::new(),
            },
            provider_ids: providers.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn entry(provider: Option<&str>, earliest: &str, latest: &str, part: &str) -> WaitlistEntryRow {
        WaitlistEntryRow {
            practice_id: "p".into(),
            id: "e".into(),
            patient_id: "waiting-patient".into(),
            provider_id: provider.map(str::to_string),
            appointment_type_id: "visit".into(),
            earliest_date: earliest.into(),
            latest_date: latest.into(),
            part_of_day: part.into(),
            note: None,
            status: "waiting".into(),
            booked_appointment_id: None,
            created_by: "u".into(),
            created_at: String::new(),
            updated_at: String::new(),
            version: 1,
        }
    }

    fn slot<'a>(provider: &'a str, patient: &'a str, start: &str, end: &str) -> FreedSlot<'a> {
        FreedSlot { provider_id: provider, patient_id: patient, start: at(start), end: at(end) }
    }

    #[test]
    fn a_slot_fits_an_entry_for_its_provider_or_any_provider_on_a_date_in_range() {
        let t = visit(20, &["dr-a", "dr-b"]);
        let freed = slot("dr-a", "other", "2026-06-17T09:00", "2026-06-17T09:20");
        assert!(fits(&entry(Some("dr-a"), "2026-06-16", "2026-06-30", "any"), Some(&t), &freed));
        assert!(fits(&entry(None, "2026-06-17", "2026-06-17", "any"), Some(&t), &freed));
        assert!(!fits(&entry(Some("dr-b"), "2026-06-16", "2026-06-30", "any"), Some(&t), &freed), "another provider");
        assert!(!fits(&entry(None, "2026-06-18", "2026-06-30", "any"), Some(&t), &freed), "before the first date");
        assert!(!fits(&entry(None, "2026-06-01", "2026-06-16", "any"), Some(&t), &freed), "after the last date");
    }

    #[test]
    fn a_morning_slot_fits_morning_and_any_entries_but_not_afternoon_ones() {
        let t = visit(20, &["dr-a"]);
        let morning = slot("dr-a", "other", "2026-06-17T11:40", "2026-06-17T12:00");
        let afternoon = slot("dr-a", "other", "2026-06-17T12:00", "2026-06-17T12:30");
        for (part, fits_morning, fits_afternoon) in [("any", true, true), ("morning", true, false), ("afternoon", false, true)] {
            let e = entry(None, "2026-06-17", "2026-06-17", part);
            assert_eq!(fits(&e, Some(&t), &morning), fits_morning, "{part}");
            assert_eq!(fits(&e, Some(&t), &afternoon), fits_afternoon, "{part}");
        }
    }

    #[test]
    fn a_slot_shorter_than_the_entrys_type_or_the_same_patients_own_does_not_fit() {
        let e = entry(None, "2026-06-17", "2026-06-17", "any");
        let freed = slot("dr-a", "other", "2026-06-17T09:00", "2026-06-17T09:20");
        assert!(fits(&e, Some(&visit(20, &["dr-a"])), &freed));
        assert!(!fits(&e, Some(&visit(40, &["dr-a"])), &freed), "a 40-minute type in 20 minutes");
        assert!(!fits(&e, Some(&visit(20, &["dr-b"])), &freed), "the provider does not offer the type");
        assert!(!fits(&e, None, &freed), "an unknown type");
        let own = slot("dr-a", "waiting-patient", "2026-06-17T09:00", "2026-06-17T09:20");
        assert!(!fits(&e, Some(&visit(20, &["dr-a"])), &own), "the patient's own cancelled appointment");
        let mut booked = e.clone();
        booked.status = "booked".into();
        assert!(!fits(&booked, Some(&visit(20, &["dr-a"])), &freed), "an entry no longer looking");
    }
}
