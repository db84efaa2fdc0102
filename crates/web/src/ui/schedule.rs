//! The Schedule: one day of the practice, providers as columns and time as rows, with a booking
//! form beside it. Works without JavaScript; prints without the forms.

use super::{FormState, Layout, error_page, error_page_status, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use medoffice_app::scheduling::NewAppointment;
use medoffice_app::views::{AppointmentView, ProviderView};
use medoffice_app::{AppError, Result as AppResult};
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// The grid's first row (minutes after midnight), its end and the length of a row.
const GRID_START: u32 = 8 * 60;
const GRID_END: u32 = 17 * 60;
const ROW_MINUTES: u32 = 15;
/// At most this many different patients are named on one day (each is one audited chart read);
/// beyond it the appointments link to the chart without a name.
const MAX_NAMED_PATIENTS: usize = 60;
/// How many colour classes (`prov-0`..`prov-9`) the style sheet has.
const PROVIDER_COLOURS: usize = 10;

/// Statuses that no longer hold the time: struck through on the page.
fn is_void(status: &str) -> bool {
    matches!(status, "cancelled" | "no_show" | "rescheduled")
}

/// One appointment as the grid shows it.
pub struct Entry {
    pub id: String,
    pub patient_id: String,
    pub patient_name: Option<String>,
    pub type_name: String,
    pub status: String,
    pub status_label: String,
    pub time_range: String,
    pub void: bool,
    pub overbook: bool,
    pub notes: Option<String>,
}

/// One cell of the grid: the appointments starting in it, and whether an earlier one still runs.
pub struct Cell {
    pub entries: Vec<Entry>,
    pub busy: bool,
}

/// One 15-minute row.
pub struct Row {
    /// `08:00`.
    pub time: String,
    /// The first row of an hour (labelled).
    pub hour_start: bool,
    pub cells: Vec<Cell>,
}

/// A provider column.
pub struct Column {
    pub name: String,
    pub colour_class: String,
}

/// An appointment outside the grid's hours, listed under it.
pub struct Outside {
    pub provider: String,
    pub colour_class: String,
    pub entry: Entry,
}

/// Why a booking was refused as a whole (not one field): the headline and the use case's words.
pub struct BookingError {
    pub message: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "schedule_day.html")]
struct DayPage {
    layout: Layout,
    title: String,
    /// `YYYY-MM-DD`.
    date: String,
    date_long: String,
    prev: String,
    next: String,
    is_today: bool,
    today: String,
    columns: Vec<Column>,
    rows: Vec<Row>,
    outside: Vec<Outside>,
    appointment_count: usize,
    can_book: bool,
    form: FormState,
    /// A refusal of the whole booking (the time was just taken).
    booking_error: Option<BookingError>,
    provider_options: Vec<(String, String)>,
    type_options: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    notice: String,
}

/// `YYYY-MM-DD`, or today when blank; `None` when not a date.
fn parse_day(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return Some(today);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

pub async fn day(State(state): State<AppState>, session: PageSession, Query(q): Query<DayQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let Some(date) = parse_day(&q.date, today) else {
        return error_page_status(StatusCode::BAD_REQUEST, "Not a date", "Give the date as YYYY-MM-DD, e.g. 2026-06-16.");
    };
    let notice = match q.notice.as_str() {
        "booked" => Some("Appointment booked.".to_string()),
        _ => None,
    };
    let mut form = FormState::default();
    form.values.insert("date".into(), date.to_string());
    match day_page(&state, &session, date, form, None).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice);
            render(&page)
        }
        Err(e) => error_page(e),
    }
}

pub async fn book(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = FormState::new(fields.into_iter().collect());
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    if !session.actor.role.may(Action::BookAppointments) {
        return error_page(AppError::Forbidden);
    }
    let today = session.actor.today(state.app.now());
    let date = parse_day(form.v("date"), today);
    let input = NewAppointment {
        patient_id: form.take("patient_id"),
        provider_id: form.take("provider_id"),
        start: format!("{}T{}", form.v("date").trim(), form.v("time").trim()),
        end: String::new(),
        appointment_type: form.take("appointment_type"),
        notes: form.take("notes"),
    };
    let (status, booking_error) = match state.app.book_appointment(&session.actor, &input).await {
        Ok(a) => {
            let day = a.start.get(..10).unwrap_or("");
            return Redirect::to(&format!("/schedule?date={day}&notice=booked")).into_response();
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            (StatusCode::OK, None)
        }
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            Some(BookingError { message: "That time was just taken. Choose another time or provider.", detail: message }),
        ),
        Err(e) => return error_page(e),
    };
    match day_page(&state, &session, date.unwrap_or(today), form, booking_error).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => error_page(e),
    }
}

/// Everything the day page shows for `date`, with the booking form as given.
async fn day_page(
    state: &AppState,
    session: &PageSession,
    date: NaiveDate,
    form: FormState,
    booking_error: Option<BookingError>,
) -> AppResult<DayPage> {
    let actor = &session.actor;
    let date_text = date.to_string();
    // First, so a role without the right answers 403 before anything else is read.
    let appointments = state.app.list_appointments(actor, None, &date_text).await?;
    let providers = state.app.list_providers(actor).await?;
    let names = patient_names(state, session, &appointments).await;
    let can_book = actor.role.may(Action::BookAppointments);
    let type_options = if can_book { appointment_type_options(state, session).await? } else { Vec::new() };
    let today = actor.today(state.app.now());
    let (columns, rows, outside) = grid(&providers, &appointments, &names);
    Ok(DayPage {
        layout: Layout::new(session, "/schedule"),
        title: format!("Schedule {}", date.format("%a %b %-d, %Y")),
        date: date_text,
        date_long: date.format("%A, %B %-d, %Y").to_string(),
        prev: date.checked_sub_days(Days::new(1)).unwrap_or(date).to_string(),
        next: date.checked_add_days(Days::new(1)).unwrap_or(date).to_string(),
        is_today: date == today,
        today: today.to_string(),
        columns,
        rows,
        outside,
        appointment_count: appointments.iter().filter(|a| !is_void(&a.status)).count(),
        can_book,
        form,
        booking_error,
        provider_options: providers.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
        type_options,
    })
}

/// The patients' names, for a role that may read patients: one audited chart read per patient
/// (at most `MAX_NAMED_PATIENTS`). A patient that cannot be read is shown without a name.
async fn patient_names(state: &AppState, session: &PageSession, appointments: &[AppointmentView]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    if !session.actor.role.may(Action::ReadPatient) {
        return names;
    }
    let ids: BTreeSet<&str> = appointments.iter().map(|a| a.patient_id.as_str()).collect();
    for id in ids.into_iter().take(MAX_NAMED_PATIENTS) {
        if let Ok(chart) = state.app.patient_chart(&session.actor, id).await {
            names.insert(id.to_string(), chart.patient.display_name());
        }
    }
    names
}

/// The appointment types for the booking form's select: the standard visit (blank) first.
async fn appointment_type_options(state: &AppState, session: &PageSession) -> AppResult<Vec<(String, String)>> {
    let types = state.app.list_appointment_types(&session.actor).await?;
    let mut options = vec![(String::new(), "Standard visit".to_string())];
    options.extend(types.into_iter().map(|t| (t.id, format!("{} ({} min)", t.name, t.duration_minutes))));
    Ok(options)
}

/// The local wall-clock time of an RFC 3339 instant as the use cases give it (already in the
/// practice's offset).
fn local_time(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.naive_local())
}

fn status_label(status: &str) -> String {
    match status {
        "in_room" => "in room".into(),
        "checked_out" => "checked out".into(),
        "no_show" => "no-show".into(),
        other => other.to_string(),
    }
}

fn grid(
    providers: &[ProviderView],
    appointments: &[AppointmentView],
    names: &HashMap<String, String>,
) -> (Vec<Column>, Vec<Row>, Vec<Outside>) {
    let colour = |i: usize| format!("prov-{}", i % PROVIDER_COLOURS);
    let columns: Vec<Column> =
        providers.iter().enumerate().map(|(i, p)| Column { name: p.name.clone(), colour_class: colour(i) }).collect();
    let row_count = ((GRID_END - GRID_START) / ROW_MINUTES) as usize;
    let mut rows: Vec<Row> = (0..row_count)
        .map(|r| {
            let minute = GRID_START + r as u32 * ROW_MINUTES;
            Row {
                time: format!("{:02}:{:02}", minute / 60, minute % 60),
                hour_start: minute.is_multiple_of(60),
                cells: providers.iter().map(|_| Cell { entries: Vec::new(), busy: false }).collect(),
            }
        })
        .collect();
    let mut outside = Vec::new();
    for a in appointments {
        let Some(column) = providers.iter().position(|p| p.id == a.provider_id) else {
            outside.push(Outside { provider: "Unknown provider".into(), colour_class: String::new(), entry: entry(a, names) });
            continue;
        };
        let (Some(start), end) = (local_time(&a.start), local_time(&a.end)) else {
            outside.push(Outside { provider: providers[column].name.clone(), colour_class: colour(column), entry: entry(a, names) });
            continue;
        };
        let start_minute = start.time().num_seconds_from_midnight() / 60;
        let end_minute = end
            .map(|e| if e.date() > start.date() { 24 * 60 } else { e.time().num_seconds_from_midnight() / 60 })
            .unwrap_or(start_minute + ROW_MINUTES);
        if !(GRID_START..GRID_END).contains(&start_minute) {
            outside.push(Outside { provider: providers[column].name.clone(), colour_class: colour(column), entry: entry(a, names) });
            continue;
        }
        let first_row = ((start_minute - GRID_START) / ROW_MINUTES) as usize;
        if !is_void(&a.status) {
            for (r, row) in rows.iter_mut().enumerate().skip(first_row + 1) {
                let row_minute = GRID_START + r as u32 * ROW_MINUTES;
                if row_minute >= end_minute {
                    break;
                }
                row.cells[column].busy = true;
            }
        }
        rows[first_row].cells[column].entries.push(entry(a, names));
    }
    (columns, rows, outside)
}

fn entry(a: &AppointmentView, names: &HashMap<String, String>) -> Entry {
    let hm = |text: &str| local_time(text).map(|t| NaiveTime::format(&t.time(), "%H:%M").to_string()).unwrap_or_default();
    Entry {
        id: a.id.clone(),
        patient_id: a.patient_id.clone(),
        patient_name: names.get(&a.patient_id).cloned(),
        type_name: a.appointment_type_name.clone(),
        status: a.status.clone(),
        status_label: status_label(&a.status),
        time_range: format!("{}–{}", hm(&a.start), hm(&a.end)),
        void: is_void(&a.status),
        overbook: a.overbook,
        notes: a.notes.clone(),
    }
}
