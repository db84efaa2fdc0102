//! Eligibility, under `/billing/eligibility`: the 270 requests written (for a patient, from the
//! appointment page's "Check eligibility", or for a day's schedule, from the arrivals page's
//! "Eligibility for tomorrow"), their downloads, and the upload of the payers' 271 answers with
//! what each said. The front desk and billing use it.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::eligibility::{EligibilityImportSummary, EligibilityOverview, EligibilityRequestInput, EligibilityRequestView};
use medoffice_domain::ValidationErrors;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/eligibility", get(page))
        .route("/billing/eligibility/requests", post(request))
        .route("/billing/eligibility/requests/{id}/file", get(file))
        .route("/billing/eligibility/responses", post(upload))
}

#[derive(Template)]
#[template(path = "billing_eligibility.html")]
struct EligibilityPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    overview: EligibilityOverview,
    /// The request just written, to download.
    written: Option<EligibilityRequestView>,
    /// What an upload just imported.
    summary: Option<EligibilityImportSummary>,
}

impl EligibilityPage {
    fn kind_label(&self, kind: &str) -> &'static str {
        if kind == "patient" { "One patient" } else { "Day's schedule" }
    }

    /// `2026-06-15T16:00` of a stored instant (UTC).
    fn short<'a>(&self, at: &'a str) -> &'a str {
        at.get(..16).unwrap_or(at)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    request: String,
}

async fn show(
    state: &AppState,
    session: &PageSession,
    status: StatusCode,
    form: FormState,
    written_id: &str,
    summary: Option<EligibilityImportSummary>,
) -> Response {
    match state.app.eligibility_overview(&session.actor).await {
        Ok(overview) => {
            let written = overview.requests.iter().find(|r| r.id == written_id).cloned();
            let page = EligibilityPage { layout: Layout::new(session, "/billing"), title: "Eligibility", form, overview, written, summary };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

/// The requests and imported answers; `?request=ID` offers that request's file.
pub async fn page(State(state): State<AppState>, session: PageSession, Query(q): Query<PageQuery>) -> Response {
    show(&state, &session, StatusCode::OK, FormState::default(), &q.request, None).await
}

/// Writes a 270: `patient_id` for one patient, else the schedule of `date` (blank: the next
/// business day). Answers with this page offering the file.
pub async fn request(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = EligibilityRequestInput { patient_id: Some(form.take("patient_id")), date: Some(form.take("date")) };
    match state.app.request_eligibility(&session.actor, &input).await {
        Ok(written) => Redirect::to(&format!("/billing/eligibility?request={}", written.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            show(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, FormState { errors, ..form }, "", None).await
        }
        Err(e) => error_page(e),
    }
}

/// A 270 file as stored, to save and upload to the clearinghouse or payer.
pub async fn file(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.eligibility_request_file(&session.actor, &id).await {
        Ok((name, content)) => {
            let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
            (
                [
                    (header::CONTENT_TYPE, "application/edi-x12".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
                ],
                content,
            )
                .into_response()
        }
        Err(e) => error_page(e),
    }
}

/// Imports a 271 and shows what it said.
pub async fn upload(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, file_name, bytes) = match super::read_upload(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("file", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    if bytes.is_empty() {
        form.errors = ValidationErrors::single("file", "choose the 271 file to import");
        return show(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, form, "", None).await;
    }
    match state.app.import_eligibility_responses(&session.actor, &file_name, &bytes).await {
        Ok(summary) => show(&state, &session, StatusCode::OK, FormState::default(), "", Some(summary)).await,
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            show(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, form, "", None).await
        }
        Err(e) => error_page(e),
    }
}
