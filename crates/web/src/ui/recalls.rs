//! The recall pages: the list (`/schedule/recalls`, filtered by due range and status), a new
//! recall from the patient's context (`/schedule/recalls/new?patient_id=`), one recall with its
//! calls, letters and e-mails and the forms to record one or close it, and the printable letter.

use super::waitlist::{PatientPick, ScheduleTabs, chosen, date_text, day_text, moment_text, patient_name, pick};
use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::recalls::{NewRecall, RecallContactInput, RecallListInput};
use medoffice_app::views::{PatientSummary, RecallLetterView, RecallView};
use medoffice_app::{AppError, Result as AppResult};
use medoffice_domain::security::Action;
use serde::Deserialize;

type Options = Vec<(String, String)>;

fn options(pairs: &[(&str, &str)]) -> Options {
    pairs.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect()
}

/// What people call a status.
fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "due",
        "contacted" => "contacted",
        "booked" => "booked",
        "closed" => "closed",
        _ => "unknown",
    }
}

fn method_label(method: &str) -> &'static str {
    match method {
        "phone" => "Phone call",
        "letter" => "Letter",
        "email" => "E-mail",
        _ => "Contact",
    }
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "reached" => "reached the patient",
        "left_message" => "left a message",
        "no_answer" => "no answer",
        "wrong_number" => "wrong number",
        "sent" => "sent",
        _ => "",
    }
}

/// One recall as a row of the list.
pub struct RecallRow {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub phone: Option<String>,
    pub reason: String,
    pub provider_name: Option<String>,
    pub due: String,
    pub overdue: bool,
    pub status: String,
    pub status_label: &'static str,
    pub booked_when: Option<String>,
    pub open: bool,
}

fn recall_row(r: &RecallView) -> RecallRow {
    RecallRow {
        id: r.id.clone(),
        patient_id: r.patient.id.clone(),
        patient_name: patient_name(&r.patient),
        phone: r.patient.phone.clone(),
        reason: r.reason.clone(),
        provider_name: r.provider_name.clone(),
        due: date_text(&r.due_date),
        overdue: r.overdue,
        status: r.status.clone(),
        status_label: status_label(&r.status),
        booked_when: r.booked_start.as_deref().map(moment_text),
        open: matches!(r.status.as_str(), "pending" | "contacted"),
    }
}

#[derive(Template)]
#[template(path = "recalls.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    tabs: ScheduleTabs,
    due: String,
    status: String,
    due_options: Options,
    status_options: Options,
    recalls: Vec<RecallRow>,
    can_create: bool,
    /// A filter that is not one of the choices.
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    due: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notice: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<ListQuery>) -> Response {
    let input = RecallListInput { due: q.due.clone(), status: q.status.clone() };
    let (recalls, problem, status) = match state.app.list_recalls(&session.actor, &input).await {
        Ok(r) => (r, None, StatusCode::OK),
        Err(AppError::Validation(v)) => (Vec::new(), Some(v.summary()), StatusCode::BAD_REQUEST),
        Err(e) => return error_page(e),
    };
    let notice = match q.notice.as_str() {
        "closed" => Some("Recall closed.".to_string()),
        _ => None,
    };
    let page = ListPage {
        layout: Layout::new(&session, "/schedule").with_notice(notice),
        title: "Recalls",
        tabs: ScheduleTabs { current: "recalls" },
        due: q.due.trim().to_string(),
        status: if q.status.trim().is_empty() { "open".into() } else { q.status.trim().to_string() },
        due_options: options(&[
            ("", "Any due date"),
            ("overdue", "Overdue"),
            ("this_month", "Due this month"),
            ("next_month", "Due next month"),
        ]),
        status_options: options(&[
            ("open", "To do (due or contacted)"),
            ("pending", "Due, not contacted yet"),
            ("contacted", "Contacted"),
            ("booked", "Booked"),
            ("closed", "Closed"),
            ("all", "All"),
        ]),
        recalls: recalls.iter().map(recall_row).collect(),
        can_create: session.actor.role.may(Action::CreateRecalls),
        problem,
    };
    (status, render(&page)).into_response()
}

// ---------------------------------------------------------------------------------------------
// A new recall
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "recall_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    tabs: ScheduleTabs,
    pick: PatientPick,
    patient: Option<PatientSummary>,
    form: FormState,
    provider_options: Options,
    interval_suggestions: Vec<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    patient_id: String,
}

async fn new_page(state: &AppState, session: &PageSession, query: &str, patient_id: &str, form: FormState) -> AppResult<NewPage> {
    if !session.actor.role.may(Action::CreateRecalls) {
        return Err(AppError::Forbidden);
    }
    let patient = if patient_id.trim().is_empty() { None } else { Some(chosen(state, session, patient_id.trim()).await?) };
    let pick = if patient.is_none() {
        pick(state, session, "/schedule/recalls/new", query).await?
    } else {
        PatientPick::empty("/schedule/recalls/new")
    };
    let mut provider_options = vec![(String::new(), "No particular provider".to_string())];
    provider_options.extend(state.app.list_providers(&session.actor).await?.into_iter().map(|p| (p.id, p.name)));
    Ok(NewPage {
        layout: Layout::new(session, "/schedule"),
        title: "New recall",
        tabs: ScheduleTabs { current: "recalls" },
        pick,
        patient,
        form,
        provider_options,
        interval_suggestions: vec!["3 months", "6 months", "1 year", "2 years"],
    })
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("interval".into(), "6 months".into());
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
    let input = NewRecall {
        patient_id: form.take("patient_id"),
        provider_id: form.take("provider_id"),
        reason: form.take("reason"),
        due_date: form.take("due_date"),
        interval: form.take("interval"),
        from_date: form.take("from_date"),
        notes: form.take("notes"),
    };
    match state.app.create_recall(&session.actor, &input).await {
        Ok(r) => Redirect::to(&format!("/schedule/recalls/{}?notice=created", r.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let patient_id = if form.err("patient_id").is_some() { String::new() } else { input.patient_id.clone() };
            match new_page(&state, &session, "", &patient_id, form).await {
                Ok(page) => render(&page),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One recall
// ---------------------------------------------------------------------------------------------

/// One contact attempt as the page shows it.
pub struct ContactRow {
    pub when: String,
    pub by: String,
    pub method: &'static str,
    pub outcome: &'static str,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "recall.html")]
struct RecallPage {
    layout: Layout,
    title: String,
    tabs: ScheduleTabs,
    r: RecallRow,
    notes: Option<String>,
    created: String,
    closed: Option<String>,
    close_reason: Option<String>,
    contacts: Vec<ContactRow>,
    can_manage: bool,
    contact_form: FormState,
    close_form: FormState,
    method_options: Options,
    outcome_options: Options,
    /// A refusal of the last action (the recall was closed meanwhile).
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct RecallQuery {
    #[serde(default)]
    notice: String,
}

fn recall_page(
    session: &PageSession,
    r: &RecallView,
    contact_form: FormState,
    close_form: FormState,
    problem: Option<String>,
) -> RecallPage {
    RecallPage {
        layout: Layout::new(session, "/schedule"),
        title: format!("Recall: {}", r.reason),
        tabs: ScheduleTabs { current: "recalls" },
        r: recall_row(r),
        notes: r.notes.clone(),
        created: format!("{} · {}", r.created_by, day_text(&r.created_at)),
        closed: r.closed_at.as_deref().map(|at| format!("{} · {}", r.closed_by.clone().unwrap_or_default(), moment_text(at))),
        close_reason: r.close_reason.clone(),
        contacts: r
            .contacts
            .iter()
            .map(|c| ContactRow {
                when: moment_text(&c.at),
                by: c.by.clone(),
                method: method_label(&c.method),
                outcome: outcome_label(&c.outcome),
                note: c.note.clone(),
            })
            .collect(),
        can_manage: session.actor.role.may(Action::ManageRecalls),
        contact_form,
        close_form,
        method_options: options(&[("phone", "Phone call"), ("letter", "Letter sent"), ("email", "E-mail sent")]),
        outcome_options: options(&[
            ("", "For a call: how did it go?"),
            ("reached", "Reached the patient"),
            ("left_message", "Left a message"),
            ("no_answer", "No answer"),
            ("wrong_number", "Wrong number"),
        ]),
        problem,
    }
}

pub async fn show(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<RecallQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "created" => Some("Recall saved.".to_string()),
        "contact" => Some("Contact recorded.".to_string()),
        _ => None,
    };
    match state.app.recall(&session.actor, &id).await {
        Ok(r) => {
            let mut page = recall_page(&session, &r, FormState::default(), FormState::default(), None);
            page.layout = page.layout.with_notice(notice);
            render(&page)
        }
        Err(e) => error_page(e),
    }
}

/// The recall page again after a refused action: the form's messages next to its fields (200),
/// or a conflict above it (409).
async fn again(state: &AppState, session: &PageSession, id: &str, e: AppError, form: FormState, which: &str) -> Response {
    let (status, form, problem) = match e {
        AppError::Validation(errors) => (StatusCode::OK, FormState { errors, ..form }, None),
        AppError::Conflict(message) => (StatusCode::CONFLICT, form, Some(message)),
        other => return error_page(other),
    };
    match state.app.recall(&session.actor, id).await {
        Ok(r) => {
            let page = if which == "close" {
                recall_page(session, &r, FormState::default(), form, problem)
            } else {
                recall_page(session, &r, form, FormState::default(), problem)
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn add_contact(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = RecallContactInput { method: form.take("method"), outcome: form.take("outcome"), note: form.take("note") };
    match state.app.record_recall_contact(&session.actor, &id, &input).await {
        Ok(_) => {
            let back = if form.v("back") == "letter" {
                format!("/schedule/recalls/{id}/letter?notice=sent")
            } else {
                format!("/schedule/recalls/{id}?notice=contact")
            };
            Redirect::to(&back).into_response()
        }
        Err(e) => again(&state, &session, &id, e, form, "contact").await,
    }
}

pub async fn close(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.close_recall(&session.actor, &id, form.v("close_reason")).await {
        Ok(_) => Redirect::to("/schedule/recalls?notice=closed").into_response(),
        Err(e) => again(&state, &session, &id, e, form, "close").await,
    }
}

// ---------------------------------------------------------------------------------------------
// The letter
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "recall_letter.html")]
struct LetterPage {
    layout: Layout,
    title: &'static str,
    letter: RecallLetterView,
    letter_date: String,
    due: String,
    can_manage: bool,
}

pub async fn letter(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<RecallQuery>) -> Response {
    let notice = (q.notice == "sent").then(|| "The letter is recorded as sent.".to_string());
    match state.app.recall_letter(&session.actor, &id).await {
        Ok(letter) => render(&LetterPage {
            layout: Layout::new(&session, "/schedule").with_notice(notice),
            title: "Recall letter",
            letter_date: long_date(&letter.letter_date),
            due: month_of(&letter.due_date),
            letter,
            can_manage: session.actor.role.may(Action::ManageRecalls),
        }),
        Err(e) => error_page(e),
    }
}

/// `June 15, 2026`.
fn long_date(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map(|d| d.format("%B %-d, %Y").to_string()).unwrap_or_else(|_| date.to_string())
}

/// `December 2026`: a letter says when, not to the day.
fn month_of(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map(|d| d.format("%B %Y").to_string()).unwrap_or_else(|_| date.to_string())
}
