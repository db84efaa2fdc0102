//! Acknowledgements, under `/billing/acknowledgements`: the upload of a 999 or 277CA file (one
//! multipart form), the files imported with their results, one file's items (what each said and
//! what became of the claim), and the claim page's panel (`billing_claim_ack.html`) that shows
//! why a rejected claim was rejected, in plain words and codes.

use super::{FormState, Layout, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::acknowledgements::{AckFileView, AckImportInput, AckItemView, ClaimAckView};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new().route("/billing/acknowledgements", get(index).post(import)).route("/billing/acknowledgements/{id}", get(file_page))
}

/// The claim page's acknowledgement panel: the latest rejection (while the claim is rejected)
/// first and prominently, then every acknowledgement the claim has had.
pub struct AckPanel {
    pub rejection: Option<ClaimAckView>,
    pub all: Vec<ClaimAckView>,
}

impl AckPanel {
    pub fn new(acks: Vec<ClaimAckView>, claim_rejected: bool) -> AckPanel {
        let rejection = if claim_rejected { acks.iter().find(|a| a.outcome == "rejected").cloned() } else { None };
        AckPanel { rejection, all: acks }
    }
}

#[derive(Template)]
#[template(path = "billing_acknowledgements.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    files: Vec<AckFileView>,
    form: FormState,
    can_import: bool,
}

async fn list_view(state: &AppState, session: &PageSession, form: FormState) -> Response {
    match state.app.acknowledgement_files(&session.actor).await {
        Ok(files) => render(&ListPage {
            layout: Layout::new(session, NAV),
            title: "Acknowledgements",
            files,
            form,
            can_import: session.actor.role.may(Action::ManageClaims),
        }),
        Err(e) => error_page(e),
    }
}

pub async fn index(State(state): State<AppState>, session: PageSession) -> Response {
    list_view(&state, &session, FormState::default()).await
}

pub async fn import(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, input) = match super::read_upload(multipart).await {
        Ok((form, file_name, bytes)) => (form, AckImportInput { file_name, bytes }),
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("file", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    match state.app.import_acknowledgement(&session.actor, &input).await {
        Ok(done) => {
            let notice = if done.duplicate { "duplicate" } else { "imported" };
            Redirect::to(&format!("/billing/acknowledgements/{}?notice={notice}", done.file_id)).into_response()
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            list_view(&state, &session, form).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

/// An item on screen, with the words for its outcome.
pub struct ItemRow {
    pub item: AckItemView,
    pub outcome_label: &'static str,
}

#[derive(Template)]
#[template(path = "billing_acknowledgement.html")]
struct FilePage {
    layout: Layout,
    title: &'static str,
    file: AckFileView,
    items: Vec<ItemRow>,
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "accepted" => "Accepted",
        "rejected" => "Rejected",
        "pending" => "Pending",
        "unmatched" => "Not ours: matched nothing we sent",
        _ => "Recorded; the claim had moved on",
    }
}

pub async fn file_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = match q.notice.as_str() {
        "imported" => Some("The acknowledgement was imported and applied to the claims below.".to_string()),
        "duplicate" => Some("This file was imported before; nothing changed. Its result is below.".to_string()),
        _ => None,
    };
    match state.app.acknowledgement_file(&session.actor, &id).await {
        Ok((file, items)) => render(&FilePage {
            layout: Layout::new(&session, NAV).with_notice(notice),
            title: "Acknowledgement",
            file,
            items: items.into_iter().map(|item| ItemRow { outcome_label: outcome_label(&item.outcome), item }).collect(),
        }),
        Err(e) => error_page(e),
    }
}
