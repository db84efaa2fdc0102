//! Booking: `/schedule/new` picks the patient (search by name, birth date or phone), the provider,
//! type, date and time, or searches the next open slots (one provider or any, a type, dates,
//! morning or afternoon) to pick one; `POST /schedule/book` books. A booking that loses the race
//! for its time answers 409 with "That time was just taken" and fresh slots near it.
//!
//! The page's whole state is its query string, so every step works without JavaScript (plain GET
//! forms and links); `app.js` only fetches the patient results as the user types.

use super::super::{FormState, Layout, checked_form, error_page, render};
use super::href;
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime};
use medoffice_app::rescheduling::SlotSearch;
use medoffice_app::scheduling::NewAppointment;
use medoffice_app::views::{PatientSummary, ProviderView};
use medoffice_app::{AppError, Result as AppResult};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use serde::Deserialize;

/// The most slots one search lists.
const MAX_LISTED_SLOTS: usize = 40;
/// How many fresh slots a lost race offers.
const SUGGESTIONS: usize = 6;

/// The booking page's state, as its query string carries it.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct BookQuery {
    pub patient_id: String,
    /// The patient search text.
    pub q: String,
    pub provider_id: String,
    pub appointment_type: String,
    pub date: String,
    pub time: String,
    /// `week` to return to the week view after booking.
    pub back: String,
    /// Set (`1`) when the open-slot search was asked for.
    pub find: String,
    /// The slot search's provider; blank for any.
    pub find_provider: String,
    pub find_type: String,
    pub from: String,
    pub to: String,
    /// `any`, `morning` or `afternoon`.
    pub part: String,
}

impl BookQuery {
    const KEYS: [&'static str; 13] = [
        "patient_id",
        "q",
        "provider_id",
        "appointment_type",
        "date",
        "time",
        "back",
        "find",
        "find_provider",
        "find_type",
        "from",
        "to",
        "part",
    ];

    fn get(&self, key: &str) -> &str {
        match key {
            "patient_id" => &self.patient_id,
            "q" => &self.q,
            "provider_id" => &self.provider_id,
            "appointment_type" => &self.appointment_type,
            "date" => &self.date,
            "time" => &self.time,
            "back" => &self.back,
            "find" => &self.find,
            "find_provider" => &self.find_provider,
            "find_type" => &self.find_type,
            "from" => &self.from,
            "to" => &self.to,
            "part" => &self.part,
            _ => "",
        }
    }

    /// The state as `(name, value)` pairs, with `changes` applied (an empty value removes one).
    fn with(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        Self::KEYS
            .iter()
            .map(|k| {
                let value = changes.iter().find(|(c, _)| c == k).map(|(_, v)| *v).unwrap_or_else(|| self.get(k));
                (k.to_string(), value.trim().to_string())
            })
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// `/schedule/new` with the state and `changes`.
    fn href(&self, changes: &[(&str, &str)]) -> String {
        let pairs = self.with(changes);
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        href("/schedule/new", &borrowed)
    }
}

/// The patient being booked.
pub struct ChosenPatient {
    pub id: String,
    pub name: String,
    pub birth_date: String,
    pub phone: String,
    pub mrn: String,
}

/// A patient search result with the link that chooses it.
pub struct PatientChoice {
    pub patient: PatientSummary,
    pub choose_href: String,
}

/// An open slot to pick.
pub struct SlotChoice {
    pub provider_id: String,
    pub provider_name: String,
    /// `YYYY-MM-DD` and `HH:MM`, as the booking form takes them.
    pub date: String,
    pub time: String,
    pub time_range: String,
    /// `Mon Nov 30`.
    pub day_label: String,
    pub appointment_type: String,
    /// The booking form filled with this slot.
    pub pick_href: String,
    start: NaiveDateTime,
}

/// The slots of one date.
pub struct SlotDay {
    pub label: String,
    pub slots: Vec<SlotChoice>,
}

/// "That time was just taken", with fresh slots near it.
pub struct Taken {
    pub detail: String,
    pub suggestions: Vec<SlotChoice>,
}

#[derive(Template)]
#[template(path = "schedule_new.html")]
struct BookPage {
    layout: Layout,
    title: &'static str,
    state: BookQuery,
    patient: Option<ChosenPatient>,
    change_patient_href: String,
    results: PatientResults,
    /// Hidden fields of the patient search form: the rest of the state.
    search_hidden: Vec<(String, String)>,
    /// Hidden fields of the slot search form.
    find_hidden: Vec<(String, String)>,
    form: FormState,
    taken: Option<Taken>,
    provider_options: Vec<(String, String)>,
    type_options: Vec<(String, String)>,
    find: FormState,
    find_provider_options: Vec<(String, String)>,
    part_options: Vec<(String, String)>,
    /// `None` until a slot search was asked for.
    slot_days: Option<Vec<SlotDay>>,
    slot_count: usize,
    back_href: String,
    /// The role may book on top of another appointment where the template allows it.
    can_overbook: bool,
}

/// The patient search results alone, for search as you type.
#[derive(Template)]
#[template(path = "schedule_patient_results.html")]
struct PatientResultsFragment {
    results: PatientResults,
}

/// The patient search results.
pub struct PatientResults {
    pub query: String,
    pub may_search: bool,
    pub results: Vec<PatientChoice>,
}

/// `GET /schedule/new`: the booking page.
pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<BookQuery>) -> Response {
    if !session.actor.role.may(Action::BookAppointments) {
        return error_page(AppError::Forbidden);
    }
    let mut form = FormState::default();
    for key in ["patient_id", "provider_id", "appointment_type", "date", "time", "back"] {
        form.values.insert(key.into(), q.get(key).trim().to_string());
    }
    match book_page(&state, &session, q, form, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

/// `GET /schedule/patients`: the patient results alone, for search as you type.
pub async fn patient_fragment(State(state): State<AppState>, session: PageSession, Query(q): Query<BookQuery>) -> Response {
    if !session.actor.role.may(Action::BookAppointments) {
        return error_page(AppError::Forbidden);
    }
    match patient_results(&state, &session, &q).await {
        Ok(results) => render(&PatientResultsFragment { results }),
        Err(e) => error_page(e),
    }
}

/// `POST /schedule/book`: books, then shows the day (or week) with the new appointment.
pub async fn book(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    if !session.actor.role.may(Action::BookAppointments) {
        return error_page(AppError::Forbidden);
    }
    let (date, time) = (form.v("date").trim().to_string(), form.v("time").trim().to_string());
    let mut missing = ValidationErrors::new();
    if date.is_empty() {
        missing.add("date", "choose the date");
    }
    if time.is_empty() {
        missing.add("start", "choose the time");
    }
    let input = NewAppointment {
        patient_id: form.take("patient_id"),
        provider_id: form.take("provider_id"),
        start: format!("{date}T{time}"),
        appointment_type: form.take("appointment_type"),
        notes: form.take("notes"),
        overbook: form.v("overbook") == "on",
        ..Default::default()
    };
    let (status, taken) = match state.app.book_appointment(&session.actor, &input).await {
        Ok(a) => {
            let day = a.start.get(..10).unwrap_or("");
            let target = if form.v("back") == "week" {
                href("/schedule/week", &[("provider_id", &a.provider_id), ("date", day), ("notice", "booked")])
            } else {
                href("/schedule", &[("date", day), ("notice", "booked")])
            };
            return Redirect::to(&format!("{target}#appointment-{}", a.id)).into_response();
        }
        Err(AppError::Validation(errors)) => {
            // A missing date or time is already said; the use case's "start" message would repeat it.
            let said = !missing.is_empty();
            for f in errors.errors {
                if f.field != "start" || !said {
                    missing.add(&f.field, f.message);
                }
            }
            form.errors = missing;
            (StatusCode::OK, None)
        }
        Err(AppError::Conflict(detail)) => {
            let keep = BookQuery { patient_id: input.patient_id.clone(), back: form.take("back"), ..Default::default() };
            let suggestions = suggestions(&state, &session, &input.provider_id, &input.appointment_type, &date, &time, &keep).await;
            (StatusCode::CONFLICT, Some(Taken { detail, suggestions }))
        }
        Err(e) => return error_page(e),
    };
    let q = BookQuery {
        patient_id: form.take("patient_id"),
        provider_id: form.take("provider_id"),
        appointment_type: form.take("appointment_type"),
        date,
        time,
        back: form.take("back"),
        ..Default::default()
    };
    match book_page(&state, &session, q, form, taken).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => error_page(e),
    }
}

async fn patient_results(state: &AppState, session: &PageSession, q: &BookQuery) -> AppResult<PatientResults> {
    let may_search = session.actor.role.may(Action::SearchPatients);
    let query = q.q.trim().to_string();
    let found = if may_search && !query.is_empty() { state.app.search_patients(&session.actor, &query).await? } else { Vec::new() };
    Ok(PatientResults {
        results: found
            .into_iter()
            .map(|p| {
                let choose_href = q.href(&[("patient_id", p.id.as_str()), ("q", "")]);
                PatientChoice { patient: p, choose_href }
            })
            .collect(),
        query,
        may_search,
    })
}

async fn book_page(
    state: &AppState,
    session: &PageSession,
    q: BookQuery,
    mut form: FormState,
    taken: Option<Taken>,
) -> AppResult<BookPage> {
    let actor = &session.actor;
    let providers = state.app.list_providers(actor).await?;
    let types = state.app.list_appointment_types(actor).await?;
    let patient = match q.patient_id.trim() {
        "" => None,
        id => match state.app.patient_chart(actor, id).await {
            Ok(chart) => Some(ChosenPatient {
                id: chart.patient.id.clone(),
                name: chart.patient.display_name(),
                birth_date: chart.patient.birth_date.clone(),
                phone: chart.patient.phone.clone().unwrap_or_default(),
                mrn: chart.patient.mrn.clone(),
            }),
            Err(AppError::NotFound(_)) => {
                if form.err("patient_id").is_none() {
                    form.errors.add("patient_id", "no such patient; search again");
                }
                None
            }
            Err(e) => return Err(e),
        },
    };
    let results = patient_results(state, session, &q).await?;
    let today = actor.today(state.app.now());

    // The slot search: asked for, or offered with the booking form's choices.
    let asked = !q.find.trim().is_empty();
    let mut find = FormState::default();
    let chosen_date = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d").ok().filter(|d| *d >= today);
    let default_from = chosen_date.unwrap_or(today).to_string();
    for (key, value) in [
        ("find_provider", if asked { q.find_provider.as_str() } else { q.provider_id.as_str() }),
        ("find_type", if asked { q.find_type.as_str() } else { q.appointment_type.as_str() }),
        ("from", if q.from.trim().is_empty() { default_from.as_str() } else { q.from.as_str() }),
        ("to", q.to.as_str()),
        ("part", if q.part.trim().is_empty() { "any" } else { q.part.as_str() }),
    ] {
        find.values.insert(key.into(), value.trim().to_string());
    }
    let slot_days = if asked {
        match find_slots(state, session, &providers, &find, &q).await {
            Ok(slots) => Some(slots),
            Err(AppError::Validation(errors)) => {
                find.errors = errors;
                Some(Vec::new())
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let slot_count = slot_days.as_ref().map(|d| d.iter().map(|d| d.slots.len()).sum()).unwrap_or(0);

    let mut provider_options = vec![(String::new(), "Choose a provider…".to_string())];
    provider_options.extend(providers.iter().map(|p| (p.id.clone(), p.name.clone())));
    let mut find_provider_options = vec![(String::new(), "Any provider".to_string())];
    find_provider_options.extend(providers.iter().map(|p| (p.id.clone(), p.name.clone())));
    let mut type_options = vec![(String::new(), "Standard visit".to_string())];
    type_options.extend(types.into_iter().map(|t| (t.id, format!("{} ({} min)", t.name, t.duration_minutes))));
    let back_href = if q.back == "week" && !q.provider_id.is_empty() {
        href("/schedule/week", &[("provider_id", &q.provider_id), ("date", &q.date)])
    } else {
        href("/schedule", &[("date", &q.date)])
    };
    let search_hidden = q.with(&[("q", ""), ("patient_id", "")]);
    let find_hidden: Vec<(String, String)> = q
        .with(&[("find", ""), ("find_provider", ""), ("find_type", ""), ("from", ""), ("to", ""), ("part", "")])
        .into_iter()
        .filter(|(k, _)| k != "q")
        .collect();
    Ok(BookPage {
        layout: Layout::new(session, "/schedule"),
        title: "Book an appointment",
        change_patient_href: q.href(&[("patient_id", "")]),
        patient,
        results,
        search_hidden,
        find_hidden,
        form,
        taken,
        provider_options,
        type_options,
        find,
        find_provider_options,
        part_options: vec![
            ("any".into(), "Any time of day".into()),
            ("morning".into(), "Morning (before noon)".into()),
            ("afternoon".into(), "Afternoon".into()),
        ],
        slot_days,
        slot_count,
        back_href,
        can_overbook: session.actor.role.may(Action::OverbookAppointments),
        state: q,
    })
}

/// The open slots the search asks for (one provider or any who offers the type, a part of the
/// day), by date; the use case's field names turned into the search form's.
async fn find_slots(
    state: &AppState,
    session: &PageSession,
    providers: &[ProviderView],
    find: &FormState,
    q: &BookQuery,
) -> AppResult<Vec<SlotDay>> {
    let search = SlotSearch {
        provider_id: find.v("find_provider").to_string(),
        appointment_type: find.v("find_type").to_string(),
        from: find.v("from").to_string(),
        to: find.v("to").to_string(),
        part_of_day: find.v("part").to_string(),
        max_results: MAX_LISTED_SLOTS.to_string(),
        ..Default::default()
    };
    let found = state.app.search_open_slots(&session.actor, &search).await.map_err(|e| match e {
        AppError::Validation(errors) => {
            let mut renamed = ValidationErrors::new();
            for f in errors.errors {
                let field = match f.field.as_str() {
                    "provider_id" => "find_provider",
                    "appointment_type" => "find_type",
                    "part_of_day" => "part",
                    "to" => "to",
                    _ => "from",
                };
                renamed.add(field, f.message);
            }
            AppError::Validation(renamed)
        }
        other => other,
    })?;
    let slots = found
        .iter()
        .filter_map(|s| {
            let provider = providers.iter().find(|p| p.id == s.provider_id)?;
            slot_choice(&s.start, &s.end, provider, &search.appointment_type, q)
        })
        .collect();
    Ok(by_date(slots))
}

/// Fresh slots for the same provider and type near the time that was just taken: the nearest
/// `SUGGESTIONS` in the week from that date, earliest first.
async fn suggestions(
    state: &AppState,
    session: &PageSession,
    provider_id: &str,
    appointment_type: &str,
    date: &str,
    time: &str,
    q: &BookQuery,
) -> Vec<SlotChoice> {
    let Ok(providers) = state.app.list_providers(&session.actor).await else { return Vec::new() };
    let Some(provider) = providers.iter().find(|p| p.id == provider_id) else { return Vec::new() };
    let today = session.actor.today(state.app.now());
    let Ok(day) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else { return Vec::new() };
    let from = day.max(today);
    let search = SlotSearch {
        provider_id: provider.id.clone(),
        appointment_type: appointment_type.to_string(),
        from: from.to_string(),
        to: from.checked_add_days(Days::new(6)).unwrap_or(from).to_string(),
        max_results: "50".into(),
        ..Default::default()
    };
    let wanted =
        NaiveDateTime::parse_from_str(&format!("{date}T{time}"), "%Y-%m-%dT%H:%M").unwrap_or(from.and_time(chrono::NaiveTime::MIN));
    let Ok(found) = state.app.search_open_slots(&session.actor, &search).await else { return Vec::new() };
    let mut slots: Vec<SlotChoice> =
        found.into_iter().filter_map(|s| slot_choice(&s.start, &s.end, provider, appointment_type, q)).collect();
    slots.sort_by_key(|s| (s.start - wanted).num_minutes().abs());
    slots.truncate(SUGGESTIONS);
    slots.sort_by_key(|s| s.start);
    slots
}

fn slot_choice(start: &str, end: &str, provider: &ProviderView, appointment_type: &str, q: &BookQuery) -> Option<SlotChoice> {
    let start = DateTime::parse_from_rfc3339(start).ok()?.naive_local();
    let end = DateTime::parse_from_rfc3339(end).ok()?.naive_local();
    let date = start.date().to_string();
    let time = start.format("%H:%M").to_string();
    let pick_href = q.href(&[
        ("provider_id", provider.id.as_str()),
        ("appointment_type", appointment_type),
        ("date", date.as_str()),
        ("time", time.as_str()),
    ]);
    Some(SlotChoice {
        provider_id: provider.id.clone(),
        provider_name: provider.name.clone(),
        time_range: format!("{}–{}", time, end.format("%H:%M")),
        day_label: start.format("%a %b %-d").to_string(),
        date,
        time,
        appointment_type: appointment_type.to_string(),
        pick_href,
        start,
    })
}

fn by_date(slots: Vec<SlotChoice>) -> Vec<SlotDay> {
    let mut days: Vec<SlotDay> = Vec::new();
    for slot in slots {
        let label = slot.start.format("%A, %B %-d").to_string();
        match days.last_mut() {
            Some(day) if day.label == label => day.slots.push(slot),
            _ => days.push(SlotDay { label, slots: vec![slot] }),
        }
    }
    days
}
