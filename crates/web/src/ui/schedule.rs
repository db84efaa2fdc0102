//! The Schedule: the day of the practice (providers as columns, time as rows), a provider's week,
//! the booking form with patient search and open-slot search, the front desk's arrivals list and
//! the printable day sheet. Every page works without JavaScript; `app.js` adds arrow keys on the
//! grid, single-key shortcuts, search as you type and the arrivals list's refresh.
//!
//! The pages read through one audited use case (`App::calendar`) that names every patient in one
//! query. Colours come from the practice's own appointment types and providers through a small
//! style sheet (`/schedule/colours.css`): the Content-Security-Policy forbids inline styles.

mod booking;
mod desk;
mod grid;

pub use booking::{book, new_form, patient_fragment};
pub use desk::{arrivals, print};

use super::{Layout, error_page, error_page_status, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use grid::{ColumnInput, Grid, GridColumn, id_class};
use medoffice_app::AppError;
use medoffice_app::schedule_views::{CalendarSpan, CalendarView};
use medoffice_domain::security::Action;
use serde::Deserialize;

/// A page address with its query: empty values are left out, the rest percent-encoded.
pub(crate) fn href(path: &str, params: &[(&str, &str)]) -> String {
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    let query: Vec<String> =
        params.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| format!("{}={}", encode(k), encode(v.trim()))).collect();
    if query.is_empty() { path.to_string() } else { format!("{path}?{}", query.join("&")) }
}

/// The answer to a calendar request the use case refused as invalid (a date that is not one, an
/// unknown provider): a plain 400 page naming what is wrong.
fn bad_request(e: AppError) -> Response {
    match e {
        AppError::Validation(errors) => error_page_status(
            StatusCode::BAD_REQUEST,
            "Cannot show that",
            &format!("{}. Give the date as YYYY-MM-DD, e.g. 2026-06-16.", errors.summary()),
        ),
        other => error_page(other),
    }
}

/// An appointment type in the legend.
pub struct LegendType {
    pub class: String,
    pub name: String,
}

/// What the day and week pages share above and below the grid.
pub struct CalendarChrome {
    /// `day` or `week`: the current tab.
    pub view: &'static str,
    /// The page's own address (the filter form's action).
    pub path: &'static str,
    /// `YYYY-MM-DD` of the day shown (the week's date as asked).
    pub date: String,
    pub is_today: bool,
    pub prev_href: String,
    pub next_href: String,
    pub today_href: String,
    /// `(id, name)` of every provider.
    pub provider_options: Vec<(String, String)>,
    /// The provider shown; empty for all.
    pub provider_id: String,
    pub legend: Vec<LegendType>,
    pub can_book: bool,
    pub book_href: String,
    pub day_href: String,
    pub week_href: String,
    pub arrivals_href: String,
    pub print_href: String,
    /// The schedule's other lists this role may open: (address, label).
    pub more: Vec<(&'static str, &'static str)>,
}

/// The schedule's other pages (their own modules), for the roles that may open them.
pub(crate) fn more_links(role: medoffice_domain::security::Role) -> Vec<(&'static str, &'static str)> {
    [
        ("/schedule/waitlist", "Waitlist", Action::ReadWaitlist),
        ("/schedule/recalls", "Recalls", Action::ReadRecalls),
        ("/schedule/reminders", "Reminders", Action::SendReminders),
        ("/schedule/calls", "Call list", Action::SendReminders),
        ("/schedule/series", "Recurring", Action::BookAppointments),
    ]
    .into_iter()
    .filter(|(_, _, action)| role.may(*action))
    .map(|(href, label, _)| (href, label))
    .collect()
}

impl CalendarChrome {
    fn new(view: &CalendarView, date: NaiveDate, span: CalendarSpan, provider_id: &str, session: &PageSession) -> CalendarChrome {
        let can_book = session.actor.role.may(Action::BookAppointments);
        let (name, path, step) = match span {
            CalendarSpan::Day => ("day", "/schedule", 1),
            CalendarSpan::Week => ("week", "/schedule/week", 7),
        };
        let d = date.to_string();
        let at = |day: NaiveDate| href(path, &[("date", &day.to_string()), ("provider_id", provider_id)]);
        let week_provider = if provider_id.is_empty() { view.providers.first().map(|p| p.id.as_str()).unwrap_or("") } else { provider_id };
        let back = if span == CalendarSpan::Week { "week" } else { "" };
        CalendarChrome {
            view: name,
            path,
            date: d.clone(),
            is_today: date == view.today,
            prev_href: at(date.checked_sub_days(Days::new(step)).unwrap_or(date)),
            next_href: at(date.checked_add_days(Days::new(step)).unwrap_or(date)),
            today_href: at(view.today),
            provider_options: view.providers.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
            provider_id: provider_id.to_string(),
            legend: view.types.iter().map(|t| LegendType { class: id_class("t", &t.id), name: t.name.clone() }).collect(),
            can_book,
            book_href: href("/schedule/new", &[("provider_id", provider_id), ("date", &d), ("back", back)]),
            day_href: href("/schedule", &[("date", &d), ("provider_id", if span == CalendarSpan::Day { provider_id } else { "" })]),
            week_href: href("/schedule/week", &[("provider_id", week_provider), ("date", &d)]),
            arrivals_href: href("/schedule/arrivals", &[("date", &d)]),
            print_href: href("/schedule/print", &[("date", &d), ("provider_id", provider_id)]),
            more: more_links(session.actor.role),
        }
    }
}

#[derive(Template)]
#[template(path = "schedule_day.html")]
struct DayPage {
    layout: Layout,
    title: String,
    date_long: String,
    chrome: CalendarChrome,
    grid: Grid,
    appointment_count: usize,
    cancelled_count: usize,
    booking_for: Option<BookingFor>,
}

/// The patient being booked while the user looks for a free time on the grid.
pub struct BookingFor {
    pub name: String,
    pub birth_date: String,
    pub find_href: String,
    pub cancel_href: String,
}

/// The patient named by `?patient_id=` (one audited chart read), for those who may book.
async fn booking_for(state: &AppState, session: &PageSession, patient_id: &str, date: &str, provider_id: &str) -> Option<BookingFor> {
    let id = patient_id.trim();
    if id.is_empty() || !session.actor.role.may(Action::BookAppointments) {
        return None;
    }
    let chart = state.app.patient_chart(&session.actor, id).await.ok()?;
    Some(BookingFor {
        name: chart.patient.display_name(),
        birth_date: chart.patient.birth_date.clone(),
        find_href: href("/schedule/new", &[("patient_id", id), ("provider_id", provider_id), ("date", date), ("find", "1")]),
        cancel_href: href("/schedule", &[("date", date), ("provider_id", provider_id)]),
    })
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    provider_id: String,
    #[serde(default)]
    notice: String,
    /// Booking for this patient (a recall or the chart's "Book"): free cells carry it to the form.
    #[serde(default)]
    patient_id: String,
}

fn notice_of(q: &CalendarQuery) -> Option<String> {
    match q.notice.as_str() {
        "booked" => Some("Appointment booked.".to_string()),
        _ => None,
    }
}

/// `/schedule?date=&provider_id=`: the day, every provider (or one) as a column.
pub async fn day(State(state): State<AppState>, session: PageSession, Query(q): Query<CalendarQuery>) -> Response {
    let actor = &session.actor;
    let provider = Some(q.provider_id.trim()).filter(|p| !p.is_empty());
    let view = match state.app.calendar(actor, CalendarSpan::Day, provider, &q.date).await {
        Ok(view) => view,
        Err(e) => return bad_request(e),
    };
    let date = view.first;
    let can_book = actor.role.may(Action::BookAppointments);
    let mut chrome = CalendarChrome::new(&view, date, CalendarSpan::Day, provider.unwrap_or(""), &session);
    let booking_for = booking_for(&state, &session, &q.patient_id, &chrome.date, provider.unwrap_or("")).await;
    let patient_id = if booking_for.is_some() { q.patient_id.trim() } else { "" };
    if booking_for.is_some() {
        chrome.book_href =
            href("/schedule/new", &[("patient_id", patient_id), ("provider_id", provider.unwrap_or("")), ("date", &chrome.date)]);
    }
    let inputs: Vec<ColumnInput<'_>> = view
        .shown_providers()
        .map(|p| {
            let plan = view.plan(&p.id, date);
            ColumnInput {
                column: GridColumn {
                    heading: p.name.clone(),
                    subheading: p.specialty.clone().unwrap_or_default(),
                    href: href("/schedule/week", &[("provider_id", &p.id), ("date", &chrome.date)]),
                    colour_class: id_class("p", &p.id),
                    is_today: date == view.today,
                    note: plan.and_then(|pl| pl.off_reason.clone().or_else(|| pl.note.clone())),
                },
                provider_id: &p.id,
                date,
                plan,
                appointments: view.appointments.iter().filter(|a| a.provider_id == p.id).collect(),
            }
        })
        .collect();
    let book = |provider_id: &str, date: NaiveDate, time: &str| {
        can_book.then(|| {
            href("/schedule/new", &[("patient_id", patient_id), ("provider_id", provider_id), ("date", &date.to_string()), ("time", time)])
        })
    };
    let grid = grid::build(inputs, &view.types, view.now, &book);
    let page = DayPage {
        layout: Layout::new(&session, "/schedule").with_notice(notice_of(&q)),
        title: format!("Schedule {}", date.format("%a %b %-d, %Y")),
        date_long: date.format("%A, %B %-d, %Y").to_string(),
        appointment_count: view.appointments.iter().filter(|a| a.holds_time()).count(),
        cancelled_count: view.appointments.iter().filter(|a| !a.holds_time()).count(),
        booking_for,
        chrome,
        grid,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "schedule_week.html")]
struct WeekPage {
    layout: Layout,
    title: String,
    range_long: String,
    provider_name: String,
    chrome: CalendarChrome,
    grid: Grid,
    appointment_count: usize,
}

/// `/schedule/week?provider_id=&date=`: one provider's week, Monday to Sunday (a weekend day with
/// no hours and no appointments is left out).
pub async fn week(State(state): State<AppState>, session: PageSession, Query(q): Query<CalendarQuery>) -> Response {
    let actor = &session.actor;
    let mut provider_id = q.provider_id.trim().to_string();
    if provider_id.is_empty() {
        // The first provider by name, so the Week tab always shows something.
        match state.app.list_providers(actor).await {
            Ok(providers) => provider_id = providers.first().map(|p| p.id.clone()).unwrap_or_default(),
            Err(e) => return error_page(e),
        }
    }
    let can_book = actor.role.may(Action::BookAppointments);
    if provider_id.is_empty() {
        // No providers yet: the day page says so.
        return day(State(state), session, Query(q)).await;
    }
    let view = match state.app.calendar(actor, CalendarSpan::Week, Some(&provider_id), &q.date).await {
        Ok(view) => view,
        Err(e) => return bad_request(e),
    };
    let asked =
        if q.date.trim().is_empty() { view.today } else { NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d").unwrap_or(view.first) };
    let chrome = CalendarChrome::new(&view, asked, CalendarSpan::Week, &provider_id, &session);
    let provider = view.providers.iter().find(|p| p.id == provider_id);
    let mut inputs = Vec::new();
    let mut date = view.first;
    while date <= view.last {
        let plan = view.plan(&provider_id, date);
        let appointments: Vec<_> = view.appointments.iter().filter(|a| a.start.date() == date).collect();
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend || appointments.iter().any(|a| a.holds_time()) || plan.is_some_and(|p| p.has_hours() || p.off_reason.is_some()) {
            inputs.push(ColumnInput {
                column: GridColumn {
                    heading: date.format("%a %-d").to_string(),
                    subheading: date.format("%B").to_string(),
                    href: href("/schedule", &[("date", &date.to_string())]),
                    colour_class: id_class("p", &provider_id),
                    is_today: date == view.today,
                    note: plan.and_then(|pl| pl.off_reason.clone().or_else(|| pl.note.clone())),
                },
                provider_id: &provider_id,
                date,
                plan,
                appointments,
            });
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    let book = |provider_id: &str, date: NaiveDate, time: &str| {
        can_book
            .then(|| href("/schedule/new", &[("provider_id", provider_id), ("date", &date.to_string()), ("time", time), ("back", "week")]))
    };
    let grid = grid::build(inputs, &view.types, view.now, &book);
    let page = WeekPage {
        layout: Layout::new(&session, "/schedule").with_notice(notice_of(&q)),
        title: format!("Week of {} · {}", view.first.format("%b %-d"), provider.map(|p| p.name.as_str()).unwrap_or("")),
        range_long: format!("{} – {}", view.first.format("%a %b %-d"), view.last.format("%a %b %-d, %Y")),
        provider_name: provider.map(|p| p.name.clone()).unwrap_or_default(),
        appointment_count: view.appointments.iter().filter(|a| a.holds_time()).count(),
        chrome,
        grid,
    };
    render(&page)
}

/// `/schedule/colours.css`: a class per appointment type (`t-<id>`, `--type`) and per provider
/// (`p-<id>`, `--prov`) with the colours the practice chose.
pub async fn colours_css(State(state): State<AppState>, session: PageSession) -> Response {
    let colours = state.app.calendar_colours(&session.actor).await.unwrap_or_default();
    let valid = |c: &str| c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    let mut css = String::from("/* The practice's appointment type and provider colours. */\n");
    for (id, colour) in colours.types.iter().filter(|(_, c)| valid(c)) {
        css.push_str(&format!(".{} {{ --type: {colour}; }}\n", id_class("t", id)));
    }
    for (id, colour) in colours.providers.iter().filter(|(_, c)| valid(c)) {
        css.push_str(&format!(".{} {{ --prov: {colour}; }}\n", id_class("p", id)));
    }
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response()
}
