//! Paper claims on the CMS-1500 (02/12) form, under `/billing`: a claim's form as a PDF for review
//! (`/billing/claims/{id}/cms1500?form=plain|red`, any status), the paper claims page
//! (`/billing/paper-claims`: the ready claims of payers that take paper only, "Print paper claims"
//! on plain paper or the red form, the prints kept for reprinting, and the red form's alignment
//! offsets). The use cases are `App::claim_form_pdf`, `print_paper_claims`, `paper_print_file`,
//! `paper_claims` and `set_claim_form_settings`.

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
use medoffice_app::cms1500::{ClaimFormFile, ClaimFormSettingsInput, FormKind, PaperClaimsOverview};
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/claims/{id}/cms1500", get(claim_form))
        .route("/billing/paper-claims", get(page))
        .route("/billing/paper-claims/print", post(print))
        .route("/billing/paper-claims/offsets", post(save_offsets))
        .route("/billing/paper-claims/prints/{id}/file", get(print_file))
}

/// A PDF shown in the browser (its own viewer prints it), named for saving.
fn pdf(file: ClaimFormFile) -> Response {
    let safe: String = file.filename.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    (
        [(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\""))],
        file.bytes,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    form: String,
}

/// `GET /billing/claims/{id}/cms1500?form=plain|red`.
pub async fn claim_form(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<FormQuery>,
) -> Response {
    let kind = match FormKind::parse(&q.form) {
        Ok(k) => k,
        Err(e) => return error_page(e),
    };
    match state.app.claim_form_pdf(&session.actor, &id, kind).await {
        Ok(file) => pdf(file),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_paper_claims.html")]
struct PaperClaimsPage {
    layout: Layout,
    title: &'static str,
    overview: PaperClaimsOverview,
    form: FormState,
    can_print: bool,
    can_set_offsets: bool,
    printed: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    notice: String,
    printed: String,
}

fn notice(key: &str) -> Option<String> {
    let text = match key {
        "printed" => "The ready paper claims were printed into one PDF (below) and marked sent. Open it and print it.",
        "nothing" => "No paper claim was ready to print.",
        "offsets" => "Alignment offsets saved.",
        _ => return None,
    };
    Some(text.to_string())
}

async fn page_view(state: &AppState, session: &PageSession, form: FormState, notice_key: &str, printed: Option<String>) -> Response {
    let overview = match state.app.paper_claims(&session.actor).await {
        Ok(o) => o,
        Err(e) => return error_page(e),
    };
    let mut form = form;
    if form.values.is_empty() {
        form.values = HashMap::from([
            ("offset_right_points".to_string(), overview.settings.offset_right_points.to_string()),
            ("offset_down_points".to_string(), overview.settings.offset_down_points.to_string()),
        ]);
    }
    let role = session.actor.role;
    render(&PaperClaimsPage {
        layout: Layout::new(session, NAV).with_notice(notice(notice_key)),
        title: "Paper claims",
        overview,
        form,
        can_print: role.may(Action::ManageClaims),
        can_set_offsets: role.may(Action::ManagePracticeLists),
        printed,
    })
}

/// `GET /billing/paper-claims`.
pub async fn page(State(state): State<AppState>, session: PageSession, Query(q): Query<PageQuery>) -> Response {
    let printed = Some(q.printed.trim().to_string()).filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    page_view(&state, &session, FormState::default(), &q.notice, printed).await
}

/// `POST /billing/paper-claims/print` (`form`: plain or red).
pub async fn print(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let kind = match FormKind::parse(form.v("form")) {
        Ok(k) => k,
        Err(e) => return error_page(e),
    };
    match state.app.print_paper_claims(&session.actor, kind).await {
        Ok(r) => match r.print {
            Some(p) => Redirect::to(&format!("/billing/paper-claims?notice=printed&printed={}", p.id)).into_response(),
            None => Redirect::to("/billing/paper-claims?notice=nothing").into_response(),
        },
        Err(e) => error_page(e),
    }
}

/// `GET /billing/paper-claims/prints/{id}/file`: the PDF as printed, to print again.
pub async fn print_file(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.paper_print_file(&session.actor, &id).await {
        Ok(file) => pdf(file),
        Err(e) => error_page(e),
    }
}

/// `POST /billing/paper-claims/offsets`.
pub async fn save_offsets(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = ClaimFormSettingsInput {
        offset_right_points: form.take("offset_right_points"),
        offset_down_points: form.take("offset_down_points"),
    };
    match state.app.set_claim_form_settings(&session.actor, &input).await {
        Ok(_) => Redirect::to("/billing/paper-claims?notice=offsets").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            page_view(&state, &session, form, "", None).await
        }
        Err(e) => error_page(e),
    }
}
