//! Mailings' pages (issue 8): `/mailings` (the mailings sent), `/mailings/new` (the filter and
//! the text, with the count of recipients: live through `GET /mailings/preview?<filter>` as the
//! filter is typed, or with the Count button without script; errors next to their fields),
//! `/mailings/{id}` (recipients and excluded patients with the reasons, the labels, envelopes
//! and fliers as PDF, sending the e-mails), labels and envelopes straight from a filter, and a
//! patient's mailing opt-outs at `/patients/{id}/mailing-preferences`.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::mailings::{FilterPreview, MailingInput, MailingPreferences, MailingSummary, MailingView, OptOutInput};
use medoffice_domain::mailings::FilterInput;
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mailings", get(index))
        .route("/mailings/new", get(new_form).post(create))
        .route("/mailings/preview", get(preview_fragment))
        .route("/mailings/labels.pdf", get(filter_labels))
        .route("/mailings/envelopes.pdf", get(filter_envelopes))
        .route("/mailings/{id}", get(show))
        .route("/mailings/{id}/labels.pdf", get(labels_pdf))
        .route("/mailings/{id}/envelopes.pdf", get(envelopes_pdf))
        .route("/mailings/{id}/fliers.pdf", get(fliers_pdf))
        .route("/mailings/{id}/send", post(send))
        .route("/patients/{id}/mailing-preferences", get(preferences).post(save_preferences))
}

/// The filter's fields, in the form's order.
const FILTER_FIELDS: [&str; 9] = [
    "channel",
    "age_min",
    "age_max",
    "last_visit_after",
    "last_visit_before",
    "provider_id",
    "payer_id",
    "recall_due_by",
    "preferred_contact",
];

fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// A stored UTC instant as the practice's local date and time.
fn local_time<Tz: chrono::TimeZone>(at: &str, tz: Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| at.to_string())
}

fn filter_of(form: &FormState) -> FilterInput {
    FilterInput {
        age_min: form.take("age_min"),
        age_max: form.take("age_max"),
        last_visit_before: form.take("last_visit_before"),
        last_visit_after: form.take("last_visit_after"),
        provider_id: form.take("provider_id"),
        payer_id: form.take("payer_id"),
        recall_due_by: form.take("recall_due_by"),
        preferred_contact: form.take("preferred_contact"),
        channel: form.take("channel"),
    }
}

/// The filter as a query string (the PDF links of a preview).
fn filter_query(form: &FormState) -> String {
    FILTER_FIELDS
        .iter()
        .filter(|f| !form.v(f).trim().is_empty())
        .map(|f| format!("{f}={}", urlencode(form.v(f).trim())))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\""))], bytes)
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mailings.html")]
struct IndexPage {
    layout: Layout,
    title: &'static str,
    /// Each mailing with the date it was created.
    mailings: Vec<(String, MailingSummary)>,
}

pub async fn index(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.mailings(&session.actor).await {
        Ok(mailings) => render(&IndexPage {
            layout: Layout::new(&session, "/mailings"),
            title: "Mailings",
            mailings: mailings.into_iter().map(|m| (day(&m.created_at).to_string(), m)).collect(),
        }),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A new mailing
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mailings_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    template_options: Vec<(String, String)>,
    channel_options: Vec<(String, String)>,
    provider_options: Vec<(String, String)>,
    payer_options: Vec<(String, String)>,
    contact_options: Vec<(String, String)>,
    preview: Option<FilterPreview>,
    preview_errors: Vec<String>,
    /// The filter as a query string, for the PDF links.
    query: String,
}

async fn new_page(state: &AppState, session: &PageSession, form: FormState, preview: Option<FilterPreview>) -> Result<NewPage, AppError> {
    if !session.actor.role.may(Action::SendMailings) {
        return Err(AppError::Forbidden);
    }
    let templates = state.app.letter_templates(&session.actor).await?;
    let providers = state.app.list_providers(&session.actor).await?;
    let payers = state.app.list_payers(&session.actor).await?;
    let mut template_options = vec![(String::new(), "None: the text typed below".to_string())];
    template_options.extend(templates.iter().filter(|t| t.audience == "patient").map(|t| (t.key.clone(), t.name.clone())));
    let mut provider_options = vec![(String::new(), "Any provider".to_string())];
    provider_options.extend(providers.iter().map(|p| (p.id.clone(), p.name.clone())));
    let mut payer_options = vec![(String::new(), "Any payer (or none)".to_string())];
    payer_options.extend(payers.iter().map(|p| (p.id.clone(), p.name.clone())));
    let pairs = |items: &[(&str, &str)]| items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    let query = filter_query(&form);
    Ok(NewPage {
        layout: Layout::new(session, "/mailings"),
        title: "New mailing",
        preview_errors: Vec::new(),
        form,
        template_options,
        channel_options: pairs(&[("postal", "Postal mail (labels, envelopes, printed fliers)"), ("email", "E-mail")]),
        provider_options,
        payer_options,
        contact_options: pairs(&[("", "Any"), ("mail", "Mail"), ("email", "E-mail"), ("phone", "Phone"), ("text", "Text message")]),
        preview,
        query,
    })
}

/// Runs the preview of the form's filter: the counts, or the errors placed on the form.
async fn run_preview(state: &AppState, session: &PageSession, form: &mut FormState) -> Result<Option<FilterPreview>, AppError> {
    match state.app.preview_mailing_filter(&session.actor, &filter_of(form)).await {
        Ok(p) => Ok(Some(p)),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The form, prefilled from the query string; any filter given is counted at once.
pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(fields): Query<Vec<(String, String)>>) -> Response {
    let mut form = FormState::new(fields.into_iter().filter(|(k, _)| k != "csrf").collect::<HashMap<_, _>>());
    if form.v("channel").is_empty() {
        form.values.insert("channel".into(), "postal".into());
    }
    let counted = FILTER_FIELDS.iter().any(|f| *f != "channel" && !form.v(f).trim().is_empty()) || form.v("count") == "1";
    let preview = if counted && session.actor.role.may(Action::SendMailings) {
        match run_preview(&state, &session, &mut form).await {
            Ok(p) => p,
            Err(e) => return error_page(e),
        }
    } else {
        None
    };
    match new_page(&state, &session, form, preview).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

/// The form's two buttons: `intent=count` counts (without script), anything else creates the
/// mailing and opens it.
pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let preview = if form.v("intent") == "count" {
        match run_preview(&state, &session, &mut form).await {
            Ok(p) => p,
            Err(e) => return error_page(e),
        }
    } else {
        let input =
            MailingInput { title: form.take("title"), template: form.take("template"), body: form.take("body"), filter: filter_of(&form) };
        match state.app.create_mailing(&session.actor, &input).await {
            Ok(m) => return Redirect::to(&format!("/mailings/{}?notice=created", m.summary.id)).into_response(),
            Err(AppError::Validation(errors)) => {
                form.errors = errors;
                None
            }
            Err(e) => return error_page(e),
        }
    };
    match new_page(&state, &session, form, preview).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "mailings_preview.html")]
struct PreviewFragment {
    preview: Option<FilterPreview>,
    preview_errors: Vec<String>,
    query: String,
}

/// The count of a filter as an HTML fragment, for the form's live preview.
pub async fn preview_fragment(
    State(state): State<AppState>,
    session: PageSession,
    Query(fields): Query<Vec<(String, String)>>,
) -> Response {
    let form = FormState::new(fields.into_iter().collect::<HashMap<_, _>>());
    let query = filter_query(&form);
    match state.app.preview_mailing_filter(&session.actor, &filter_of(&form)).await {
        Ok(p) => render(&PreviewFragment { preview: Some(p), preview_errors: Vec::new(), query }),
        Err(AppError::Validation(errors)) => render(&PreviewFragment {
            preview: None,
            preview_errors: errors.errors.into_iter().map(|e| format!("{}: {}", e.field.replace('_', " "), e.message)).collect(),
            query,
        }),
        Err(e) => error_page(e),
    }
}

async fn filter_pdf(state: &AppState, session: &PageSession, fields: Vec<(String, String)>, envelopes: bool) -> Response {
    let form = FormState::new(fields.into_iter().collect::<HashMap<_, _>>());
    match state.app.filter_labels_pdf(&session.actor, &filter_of(&form), envelopes).await {
        Ok(bytes) => pdf(bytes, if envelopes { "envelopes.pdf" } else { "labels.pdf" }),
        Err(e) => error_page(e),
    }
}

pub async fn filter_labels(State(state): State<AppState>, session: PageSession, Query(fields): Query<Vec<(String, String)>>) -> Response {
    filter_pdf(&state, &session, fields, false).await
}

pub async fn filter_envelopes(
    State(state): State<AppState>,
    session: PageSession,
    Query(fields): Query<Vec<(String, String)>>,
) -> Response {
    filter_pdf(&state, &session, fields, true).await
}

// ---------------------------------------------------------------------------------------------
// One mailing
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mailing.html")]
struct ShowPage {
    layout: Layout,
    title: String,
    m: MailingView,
    date: String,
    postal: bool,
    /// The filter in words, criterion by criterion.
    criteria: Vec<(String, String)>,
    /// The filter as a query string, to draw it again.
    again: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
    sent: String,
    failed: String,
    stopped: String,
}

fn criteria(f: &FilterInput) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut put = |label: &str, value: &str| {
        if !value.trim().is_empty() {
            out.push((label.to_string(), value.trim().to_string()));
        }
    };
    put("Youngest age", &f.age_min);
    put("Oldest age", &f.age_max);
    put("Last visit on or after", &f.last_visit_after);
    put("Last visit before", &f.last_visit_before);
    put("Provider", &f.provider_id);
    put("Payer", &f.payer_id);
    put("Recall due by", &f.recall_due_by);
    put("Prefers", &f.preferred_contact);
    out
}

pub async fn show(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let m = match state.app.mailing(&session.actor, &id).await {
        Ok(m) => m,
        Err(e) => return error_page(e),
    };
    let notice = match q.notice.as_str() {
        "created" if m.summary.channel == "email" => {
            Some("The mailing is saved and logged as outgoing mail. Send the e-mails when ready.".to_string())
        }
        "created" => Some("The mailing is saved and logged as outgoing mail. Print the labels or envelopes and the fliers.".to_string()),
        "sent" => Some(format!(
            "{} e-mails sent, {} failed.{}",
            q.sent,
            q.failed,
            if q.stopped.is_empty() { String::new() } else { format!(" Stopped: {}. The rest are still pending.", q.stopped) }
        )),
        _ => None,
    };
    let filter = m.filter.clone();
    let mut form = FormState::default();
    for (k, v) in [
        ("channel", &filter.channel),
        ("age_min", &filter.age_min),
        ("age_max", &filter.age_max),
        ("last_visit_after", &filter.last_visit_after),
        ("last_visit_before", &filter.last_visit_before),
        ("provider_id", &filter.provider_id),
        ("payer_id", &filter.payer_id),
        ("recall_due_by", &filter.recall_due_by),
        ("preferred_contact", &filter.preferred_contact),
    ] {
        form.values.insert(k.to_string(), v.clone());
    }
    render(&ShowPage {
        layout: Layout::new(&session, "/mailings").with_notice(notice),
        title: format!("Mailing: {}", m.summary.title),
        date: day(&m.summary.created_at).to_string(),
        postal: m.summary.channel == "postal",
        criteria: criteria(&filter),
        again: filter_query(&form),
        m,
    })
}

pub async fn labels_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.mailing_labels_pdf(&session.actor, &id).await {
        Ok(bytes) => pdf(bytes, "labels.pdf"),
        Err(e) => error_page(e),
    }
}

pub async fn envelopes_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.mailing_envelopes_pdf(&session.actor, &id).await {
        Ok(bytes) => pdf(bytes, "envelopes.pdf"),
        Err(e) => error_page(e),
    }
}

pub async fn fliers_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.mailing_fliers_pdf(&session.actor, &id).await {
        Ok(bytes) => pdf(bytes, "fliers.pdf"),
        Err(e) => error_page(e),
    }
}

pub async fn send(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = checked_form(&session, fields) {
        return refused;
    }
    match state.app.send_mailing_emails(&session.actor, &id).await {
        Ok(r) => Redirect::to(&format!(
            "/mailings/{}?notice=sent&sent={}&failed={}&stopped={}",
            urlencode(&id),
            r.sent,
            r.failed,
            urlencode(&r.stopped.unwrap_or_default().chars().take(200).collect::<String>())
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A patient's mailing preferences
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mailing_preferences.html")]
struct PreferencesPage {
    layout: Layout,
    title: String,
    p: MailingPreferences,
    can_edit: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    notice: String,
}

pub async fn preferences(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    match state.app.mailing_preferences(&session.actor, &id).await {
        Ok(mut p) => render(&PreferencesPage {
            layout: Layout::new(&session, "/patients").with_notice((q.notice == "saved").then(|| "Mailing preferences saved.".to_string())),
            title: format!("Mailing preferences: {}", p.patient_name),
            p: {
                // When each opt-out was recorded, in the practice's time.
                let tz = session.actor.timezone;
                for o in [&mut p.postal_opt_out, &mut p.email_opt_out].into_iter().flatten() {
                    o.0 = local_time(&o.0, tz);
                }
                p
            },
            can_edit: session.actor.role.may(Action::EditPatient),
        }),
        Err(e) => error_page(e),
    }
}

pub async fn save_preferences(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let input = OptOutInput { postal: form.v("postal_opt_out") == "on", email: form.v("email_opt_out") == "on" };
    match state.app.set_mailing_opt_outs(&session.actor, &id, input).await {
        Ok(_) => Redirect::to(&format!("/patients/{}/mailing-preferences?notice=saved", urlencode(&id))).into_response(),
        Err(e) => error_page(e),
    }
}
