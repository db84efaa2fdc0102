//! Medical files' pages: `/documents` (search by words with a category filter), `/documents/new`
//! (file a document: one file, or several scanned pages that become one PDF; the patient chosen
//! by search or prefilled from the chart), `/documents/{id}` (its facts, a preview in the page,
//! its versions with download links and the form for a new version), `/documents/{id}/view`
//! (inline, for the preview) and `/documents/{id}/download` (attachment). Every view and
//! download is audited by the use case.

use super::waitlist::{PatientPick, chosen, pick};
use super::{FormState, Layout, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::documents::{ContentUse, DocumentInput, DocumentListItem, DocumentQuery, DocumentView};
use medoffice_app::patients::Upload;
use medoffice_app::views::PatientSummary;
use medoffice_domain::ValidationErrors;
use medoffice_domain::documents::{MAX_DOCUMENT_BYTES, MAX_PAGES_PER_UPLOAD};
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    let limit = || DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1024 * 1024);
    Router::new()
        .route("/documents", get(index))
        .route("/documents/new", get(new_form).post(create).layer(limit()))
        .route("/documents/{id}", get(show))
        .route("/documents/{id}/view", get(view))
        .route("/documents/{id}/download", get(download))
        .route("/documents/{id}/versions", post(add_version).layer(limit()))
}

/// A form's multipart body: its text fields and every `file` part (empty parts skipped).
async fn read_files(mut multipart: Multipart) -> Result<(FormState, Vec<Upload>), String> {
    let mut values = HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let content_type = field.content_type().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
            if !bytes.is_empty() {
                files.push(Upload { file_name, content_type, bytes });
            }
        } else {
            values.insert(name, field.text().await.map_err(|e| e.body_text())?);
        }
    }
    Ok((FormState::new(values), files))
}

fn category_options(state: &AppState, session: &PageSession, blank: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), blank.to_string())];
    out.extend(
        state.app.document_categories(&session.actor).iter().map(|c| (c.key.to_string(), format!("{} ({})", c.label, c.class.label()))),
    );
    out
}

/// "12.3 KB" and the like.
pub fn size_label(bytes: &i64) -> String {
    let b = *bytes as f64;
    if b >= 1_048_576.0 {
        format!("{:.1} MB", b / 1_048_576.0)
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "documents.html")]
struct IndexPage {
    layout: Layout,
    title: &'static str,
    q: String,
    category: String,
    patient_id: String,
    category_options: Vec<(String, String)>,
    results: Vec<DocumentListItem>,
    searched: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IndexQuery {
    q: String,
    category: String,
    patient_id: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<IndexQuery>) -> Response {
    let query = DocumentQuery { q: q.q.clone(), category: q.category.clone(), patient_id: q.patient_id.clone(), ..Default::default() };
    let results = match state.app.documents(&session.actor, &query).await {
        Ok(r) => r,
        Err(e) => return error_page(e),
    };
    render(&IndexPage {
        layout: Layout::new(&session, "/documents"),
        title: "Documents",
        searched: !q.q.trim().is_empty() || !q.category.trim().is_empty() || !q.patient_id.trim().is_empty(),
        category_options: category_options(&state, &session, "Every category"),
        q: q.q,
        category: q.category,
        patient_id: q.patient_id,
        results,
    })
}

// ---------------------------------------------------------------------------------------------
// Filing a document
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "documents_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    pick: PatientPick,
    patient: Option<PatientSummary>,
    form: FormState,
    category_options: Vec<(String, String)>,
    payer_options: Vec<(String, String)>,
    vendor_options: Vec<(String, String)>,
    max_mb: usize,
    max_pages: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    q: String,
    patient_id: String,
    category: String,
}

async fn new_page(state: &AppState, session: &PageSession, query: &str, patient_id: &str, form: FormState) -> Result<NewPage, AppError> {
    let choices = state.app.document_form_choices(&session.actor).await?;
    let patient = if patient_id.trim().is_empty() { None } else { Some(chosen(state, session, patient_id.trim()).await?) };
    let pick = if patient.is_none() && session.actor.role.may(Action::SearchPatients) {
        pick(state, session, "/documents/new", query).await?
    } else {
        PatientPick { action: "/documents/new", query: String::new(), results: Vec::new(), searched: false }
    };
    let with_blank = |blank: &str, list: Vec<(String, String)>| {
        let mut out = vec![(String::new(), blank.to_string())];
        out.extend(list);
        out
    };
    Ok(NewPage {
        layout: Layout::new(session, "/documents"),
        title: "File a document",
        pick,
        patient,
        form,
        category_options: category_options(state, session, "Choose the category"),
        payer_options: with_blank("No payer", choices.payers),
        vendor_options: with_blank("No vendor", choices.vendors),
        max_mb: MAX_DOCUMENT_BYTES / 1_048_576,
        max_pages: MAX_PAGES_PER_UPLOAD,
    })
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("document_date".into(), session.actor.today(state.app.now()).to_string());
    form.values.insert("category".into(), q.category.clone());
    match new_page(&state, &session, &q.q, &q.patient_id, form).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn create(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, files) = match read_files(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("file", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let input = DocumentInput {
        category: form.take("category"),
        title: form.take("title"),
        description: form.take("description"),
        document_date: form.take("document_date"),
        patient_id: form.take("patient_id"),
        payer_id: form.take("payer_id"),
        vendor_id: form.take("vendor_id"),
        claim_id: form.take("claim_id"),
    };
    match state.app.upload_document(&session.actor, &input, files).await {
        Ok(doc) => Redirect::to(&format!("/documents/{}?notice=filed", doc.id)).into_response(),
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
// One document
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "documents_show.html")]
struct ShowPage {
    layout: Layout,
    title: String,
    doc: DocumentView,
    is_pdf: bool,
    is_image: bool,
    form: FormState,
    max_mb: usize,
    timezone: chrono_tz::Tz,
}

impl ShowPage {
    fn size(&self, bytes: &i64) -> String {
        size_label(bytes)
    }

    /// A stored time (RFC 3339, UTC) in the practice's time: "11/28/2026 4:20 PM".
    fn when(&self, at: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| t.with_timezone(&self.timezone).format("%m/%d/%Y %-I:%M %p").to_string())
            .unwrap_or_else(|_| at.to_string())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

fn show_page(session: &PageSession, doc: DocumentView, form: FormState, notice: Option<String>) -> ShowPage {
    ShowPage {
        layout: Layout::new(session, "/documents").with_notice(notice),
        title: doc.title.clone(),
        is_pdf: doc.content_type == "application/pdf",
        is_image: doc.content_type.starts_with("image/"),
        doc,
        form,
        max_mb: MAX_DOCUMENT_BYTES / 1_048_576,
        timezone: session.actor.timezone,
    }
}

pub async fn show(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "filed" => Some("The document was filed.".to_string()),
        "version" => Some("The new version was filed; the earlier ones are kept.".to_string()),
        _ => None,
    };
    match state.app.document(&session.actor, &id).await {
        Ok(doc) => render(&show_page(&session, doc, FormState::default(), notice)),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionQuery {
    version: Option<i64>,
}

pub async fn view(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<VersionQuery>) -> Response {
    match state.app.document_content(&session.actor, &id, q.version, ContentUse::View).await {
        Ok(content) => crate::api::documents_content_response(content, true),
        Err(e) => error_page(e),
    }
}

pub async fn download(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Response {
    match state.app.document_content(&session.actor, &id, q.version, ContentUse::Download).await {
        Ok(content) => crate::api::documents_content_response(content, false),
        Err(e) => error_page(e),
    }
}

pub async fn add_version(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, multipart: Multipart) -> Response {
    let (mut form, files) = match read_files(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("file", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let note = form.take("note");
    match state.app.add_document_version(&session.actor, &id, files, &note).await {
        Ok(doc) => Redirect::to(&format!("/documents/{}?notice=version", doc.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            match state.app.document(&session.actor, &id).await {
                Ok(doc) => render(&show_page(&session, doc, form, None)),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}
