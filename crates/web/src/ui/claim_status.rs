//! Claim status, under `/billing/claim-status`: "ask the payer" (276 files, for one claim from its
//! page or for every claim unpaid 30 days after sending from the claims list), the files'
//! downloads, the upload of the payer's 277 answer with what it matched, and the claim page's
//! "Payer says" panel (`billing_claim_status.html`).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::claim_status::{DEFAULT_AGE_DAYS, StatusRequestInput, StatusRequestView, StatusResponseInput, StatusResponseResult};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/claim-status", get(index))
        .route("/billing/claim-status/requests", post(ask_aged))
        .route("/billing/claim-status/requests/{id}/file", get(request_file))
        .route("/billing/claim-status/responses", post(import))
        .route("/billing/claims/{id}/ask-status", post(ask_one))
}

#[derive(Template)]
#[template(path = "billing_claim_status_files.html")]
struct IndexPage {
    layout: Layout,
    title: &'static str,
    requests: Vec<StatusRequestView>,
    form: FormState,
    result: Option<StatusResponseResult>,
    can_manage: bool,
    default_days: i64,
}

async fn index_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    result: Option<StatusResponseResult>,
    notice: Option<String>,
) -> Response {
    match state.app.claim_status_requests(&session.actor).await {
        Ok(requests) => render(&IndexPage {
            layout: Layout::new(session, NAV).with_notice(notice),
            title: "Claim status",
            requests,
            form,
            result,
            can_manage: session.actor.role.may(Action::ManageClaims),
            default_days: DEFAULT_AGE_DAYS,
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "asked" => Some("The status requests (276) below were written: download them for the clearinghouse.".to_string()),
        "nothing" => Some("No claim sent that long ago is waiting for payment: nothing to ask.".to_string()),
        _ => None,
    };
    index_view(&state, &session, FormState::default(), None, notice).await
}

/// "Ask status of claims older than N days".
pub async fn ask_aged(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = StatusRequestInput { claim_id: String::new(), older_than_days: form.take("older_than_days") };
    match state.app.request_claim_status(&session.actor, &input).await {
        Ok(r) if r.requests.is_empty() => Redirect::to("/billing/claim-status?notice=nothing").into_response(),
        Ok(_) => Redirect::to("/billing/claim-status?notice=asked").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            index_view(&state, &session, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

/// "Ask payer for status (276)" on a claim's page.
pub async fn ask_one(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = StatusRequestInput { claim_id: id.clone(), older_than_days: String::new() };
    match state.app.request_claim_status(&session.actor, &input).await {
        Ok(_) => Redirect::to(&format!("/billing/claims/{id}?notice=status_asked")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            super::claims::claim_view(&state, &session, &id, form, "").await
        }
        Err(e) => error_page(e),
    }
}

/// A 276 file as stored, to upload to the clearinghouse.
pub async fn request_file(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.claim_status_request_file(&session.actor, &id).await {
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

/// The payer's 277: each answer stored on its claim; the page shows what matched.
pub async fn import(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let text_of = |(form, file_name, bytes): (FormState, String, Vec<u8>)| match String::from_utf8(bytes) {
        Ok(text) => Ok((form, StatusResponseInput { file_name, text })),
        Err(_) => Err("the file is not text: a 277 is plain ASCII".to_string()),
    };
    let (mut form, input) = match super::read_upload(multipart).await.and_then(text_of) {
        Ok(parts) => parts,
        Err(message) => {
            let form = FormState { errors: ValidationErrors::single("file", message), ..Default::default() };
            return index_view(&state, &session, form, None, None).await;
        }
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    match state.app.import_claim_status_response(&session.actor, &input).await {
        Ok(result) => {
            let notice = format!(
                "The 277 was read: {} claims answered, {} matched no claim of ours.",
                result.claims_matched, result.claims_unmatched
            );
            index_view(&state, &session, FormState::default(), Some(result), Some(notice)).await
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            index_view(&state, &session, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}
