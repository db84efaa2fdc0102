//! The waitlist pages: the list (`/schedule/waitlist`) with each entry's open offers and their
//! "Book this" and "Decline" actions, and adding a patient (`/schedule/waitlist/new`: find the
//! patient by name or birth date, then say what they want).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate};
use medoffice_app::views::{PatientSummary, WaitlistEntryView};
use medoffice_app::waitlist::NewWaitlistEntry;
use medoffice_app::{AppError, Result as AppResult};
use medoffice_domain::security::Action;
use serde::Deserialize;

/// The links between the schedule's pages, shown above the waitlist and the recalls.
pub struct ScheduleTabs {
    /// `waitlist` or `recalls`.
    pub current: &'static str,
}

/// `Wed Jun 17, 09:00–09:20` from two RFC 3339 times with the practice's offset.
pub fn slot_text(start: &str, end: &str) -> String {
    match (DateTime::parse_from_rfc3339(start), DateTime::parse_from_rfc3339(end)) {
        (Ok(s), Ok(e)) => format!("{}–{}", s.format("%a %b %-d, %H:%M"), e.format("%H:%M")),
        _ => format!("{start}–{end}"),
    }
}

/// `Jun 15, 2026` from RFC 3339 (or the text as it is).
pub fn day_text(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map(|t| t.format("%b %-d, %Y").to_string()).unwrap_or_else(|_| at.to_string())
}

/// `Jun 15, 2026 12:00` from RFC 3339 (or the text as it is).
pub fn moment_text(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map(|t| t.format("%b %-d, %Y %H:%M").to_string()).unwrap_or_else(|_| at.to_string())
}

/// `Wed Jun 17, 2026` from `YYYY-MM-DD` (or the text as it is).
pub fn date_text(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").map(|d| d.format("%a %b %-d, %Y").to_string()).unwrap_or_else(|_| date.to_string())
}

/// "Quillfeather, Ada".
pub fn patient_name(p: &PatientSummary) -> String {
    if p.given_name.is_empty() { p.family_name.clone() } else { format!("{}, {}", p.family_name, p.given_name) }
}

/// One offer as the page shows it.
pub struct OfferRow {
    pub id: String,
    pub when: String,
    pub provider_name: String,
    pub gone: bool,
}

/// One entry as the page shows it.
pub struct EntryRow {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub type_name: String,
    pub duration_minutes: i64,
    pub provider_name: String,
    pub dates: String,
    pub part_of_day: &'static str,
    pub note: Option<String>,
    pub status: String,
    pub looking: bool,
    pub added: String,
    pub offers: Vec<OfferRow>,
}

fn part_of_day_label(text: &str) -> &'static str {
    match text {
        "morning" => "mornings",
        "afternoon" => "afternoons",
        _ => "any time of day",
    }
}

fn entry_row(e: &WaitlistEntryView) -> EntryRow {
    let dates = if e.earliest_date == e.latest_date {
        date_text(&e.earliest_date)
    } else {
        format!("{} – {}", date_text(&e.earliest_date), date_text(&e.latest_date))
    };
    EntryRow {
        id: e.id.clone(),
        patient_id: e.patient.id.clone(),
        patient_name: patient_name(&e.patient),
        birth_date: e.patient.birth_date.clone(),
        phone: e.patient.phone.clone(),
        type_name: e.appointment_type_name.clone(),
        duration_minutes: e.duration_minutes,
        provider_name: e.provider_name.clone(),
        dates,
        part_of_day: part_of_day_label(&e.part_of_day),
        note: e.note.clone(),
        status: e.status.clone(),
        looking: matches!(e.status.as_str(), "waiting" | "offered"),
        added: format!("{} · {}", e.added_by, day_text(&e.added_at)),
        offers: e
            .offers
            .iter()
            .map(|o| OfferRow { id: o.id.clone(), when: slot_text(&o.start, &o.end), provider_name: o.provider_name.clone(), gone: o.gone })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "waitlist.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    tabs: ScheduleTabs,
    show_all: bool,
    can_manage: bool,
    entries: Vec<EntryRow>,
    offer_count: usize,
    /// A refusal of the last action (the slot was taken), shown above the list.
    problem: Option<String>,
    /// The date of the appointment just booked, for the link to the day.
    booked_day: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    show: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    date: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<ListQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "added" => Some("Added to the waitlist.".to_string()),
        "removed" => Some("Taken off the waitlist.".to_string()),
        "declined" => Some("The offer was declined; the patient keeps waiting.".to_string()),
        "booked" => Some("Appointment booked from the waitlist.".to_string()),
        _ => None,
    };
    let booked_day = (q.notice == "booked" && NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").is_ok()).then(|| q.date.clone());
    match list_page(&state, &session, q.show == "all", None, booked_day).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice);
            render(&page)
        }
        Err(e) => error_page(e),
    }
}

async fn list_page(
    state: &AppState,
    session: &PageSession,
    show_all: bool,
    problem: Option<String>,
    booked_day: Option<String>,
) -> AppResult<ListPage> {
    let entries = state.app.list_waitlist(&session.actor, show_all).await?;
    let rows: Vec<EntryRow> = entries.iter().map(entry_row).collect();
    Ok(ListPage {
        layout: Layout::new(session, "/schedule"),
        title: "Waitlist",
        tabs: ScheduleTabs { current: "waitlist" },
        show_all,
        can_manage: session.actor.role.may(Action::ManageWaitlist),
        offer_count: rows.iter().map(|r| r.offers.iter().filter(|o| !o.gone).count()).sum(),
        entries: rows,
        problem,
        booked_day,
    })
}

/// A refusal of an action on the list: the list again with the message (409), or the error page.
async fn refused(state: &AppState, session: &PageSession, e: AppError) -> Response {
    let message = match e {
        AppError::Conflict(m) => m,
        AppError::Validation(v) => v.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
        other => return error_page(other),
    };
    match list_page(state, session, false, Some(message), None).await {
        Ok(page) => (StatusCode::CONFLICT, render(&page)).into_response(),
        Err(e) => error_page(e),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.remove_waitlist_entry(&session.actor, &id).await {
        Ok(()) => Redirect::to("/schedule/waitlist?notice=removed").into_response(),
        Err(e) => refused(&state, &session, e).await,
    }
}

pub async fn book_offer(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.book_waitlist_offer(&session.actor, &id).await {
        Ok(a) => Redirect::to(&format!("/schedule/waitlist?notice=booked&date={}", a.start.get(..10).unwrap_or(""))).into_response(),
        Err(e) => refused(&state, &session, e).await,
    }
}

pub async fn decline_offer(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.decline_waitlist_offer(&session.actor, &id).await {
        Ok(()) => Redirect::to("/schedule/waitlist?notice=declined").into_response(),
        Err(e) => refused(&state, &session, e).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Adding a patient
// ---------------------------------------------------------------------------------------------

/// Finding the patient for a new waitlist entry or recall: the search box and its results.
pub struct PatientPick {
    /// The page the search and the "Choose" links go to.
    pub action: &'static str,
    pub query: String,
    pub results: Vec<PatientSummary>,
    pub searched: bool,
}

/// The search results for `query` through the patient search use case (audited there), or none
/// for an empty query.
pub async fn pick(state: &AppState, session: &PageSession, action: &'static str, query: &str) -> AppResult<PatientPick> {
    let query = query.trim();
    let results = if query.is_empty() { Vec::new() } else { state.app.search_patients(&session.actor, query).await? };
    Ok(PatientPick { action, query: query.to_string(), results, searched: !query.is_empty() })
}

/// The chosen patient, read through the chart use case (an audited read).
pub async fn chosen(state: &AppState, session: &PageSession, patient_id: &str) -> AppResult<PatientSummary> {
    let chart = state.app.patient_chart(&session.actor, patient_id).await?;
    let p = chart.patient;
    Ok(PatientSummary {
        id: p.id,
        mrn: p.mrn,
        family_name: p.family_name,
        given_name: p.given_name,
        preferred_name: p.preferred_name,
        birth_date: p.birth_date,
        sex: p.sex,
        phone: p.phone,
    })
}

#[derive(Template)]
#[template(path = "waitlist_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    tabs: ScheduleTabs,
    pick: PatientPick,
    patient: Option<PatientSummary>,
    form: FormState,
    provider_options: Vec<(String, String)>,
    type_options: Vec<(String, String)>,
    part_options: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    patient_id: String,
}

async fn new_page(state: &AppState, session: &PageSession, query: &str, patient_id: &str, form: FormState) -> AppResult<NewPage> {
    // First, so a role that may not add answers 403 before anything is read.
    if !session.actor.role.may(Action::ManageWaitlist) {
        return Err(AppError::Forbidden);
    }
    let patient = if patient_id.trim().is_empty() { None } else { Some(chosen(state, session, patient_id.trim()).await?) };
    let pick = if patient.is_none() {
        pick(state, session, "/schedule/waitlist/new", query).await?
    } else {
        PatientPick::empty("/schedule/waitlist/new")
    };
    let mut provider_options = vec![(String::new(), "Any provider".to_string())];
    provider_options.extend(state.app.list_providers(&session.actor).await?.into_iter().map(|p| (p.id, p.name)));
    let mut type_options = vec![(String::new(), "Standard visit".to_string())];
    type_options.extend(
        state
            .app
            .list_appointment_types(&session.actor)
            .await?
            .into_iter()
            .map(|t| (t.id, format!("{} ({} min)", t.name, t.duration_minutes))),
    );
    let part_options = [("any", "Any time of day"), ("morning", "Mornings (starting before 12:00)"), ("afternoon", "Afternoons")]
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    Ok(NewPage {
        layout: Layout::new(session, "/schedule"),
        title: "Add to the waitlist",
        tabs: ScheduleTabs { current: "waitlist" },
        pick,
        patient,
        form,
        provider_options,
        type_options,
        part_options,
    })
}

impl PatientPick {
    /// No search (the patient is chosen).
    pub fn empty(action: &'static str) -> PatientPick {
        PatientPick { action, query: String::new(), results: Vec::new(), searched: false }
    }
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let mut form = FormState::default();
    form.values.insert("earliest_date".into(), today.to_string());
    form.values.insert("part_of_day".into(), "any".into());
    match new_page(&state, &session, &q.q, &q.patient_id, form).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = NewWaitlistEntry {
        patient_id: form.take("patient_id"),
        provider_id: form.take("provider_id"),
        appointment_type: form.take("appointment_type"),
        earliest_date: form.take("earliest_date"),
        latest_date: form.take("latest_date"),
        part_of_day: form.take("part_of_day"),
        note: form.take("note"),
    };
    match state.app.add_waitlist_entry(&session.actor, &input).await {
        Ok(_) => Redirect::to("/schedule/waitlist?notice=added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            // A patient id that does not resolve is asked for again through the search.
            let patient_id = if form.err("patient_id").is_some() { String::new() } else { input.patient_id.clone() };
            match new_page(&state, &session, "", &patient_id, form).await {
                Ok(page) => render(&page),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}
