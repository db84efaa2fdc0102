//! Remittances, under `/billing/remittances`: the upload of an 835 (one multipart form, posted at
//! once), the remittances imported, and one remittance's claims (posted, denied, or unmatched with
//! why).

use super::{FormState, Layout, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::remittances::{RemittanceClaimView, RemittanceImportInput, RemittanceView};
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new().route("/billing/remittances", get(index).post(import)).route("/billing/remittances/{id}", get(remittance_page))
}

#[derive(Template)]
#[template(path = "billing_remittances.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    remittances: Vec<RemittanceView>,
    form: FormState,
    can_import: bool,
}

async fn list_view(state: &AppState, session: &PageSession, form: FormState) -> Response {
    match state.app.remittances(&session.actor).await {
        Ok(remittances) => render(&ListPage {
            layout: Layout::new(session, NAV),
            title: "Remittances",
            remittances,
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
        Ok((form, file_name, bytes)) => (form, RemittanceImportInput { file_name, bytes }),
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("file", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    match state.app.import_remittance(&session.actor, &input).await {
        Ok(done) => {
            let notice = if done.duplicate { "duplicate" } else { "imported" };
            Redirect::to(&format!("/billing/remittances/{}?notice={notice}", done.remittance_id)).into_response()
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

/// A claim of the remittance on screen, with its amounts in dollars.
pub struct ClaimRow {
    pub claim: RemittanceClaimView,
    pub outcome_label: &'static str,
    pub charge: String,
    pub paid: String,
    pub adjusted: String,
    pub patient: String,
}

#[derive(Template)]
#[template(path = "billing_remittance.html")]
struct RemittancePage {
    layout: Layout,
    title: &'static str,
    remittance: RemittanceView,
    claims: Vec<ClaimRow>,
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "paid" => "Paid",
        "partially_paid" => "Partially paid",
        "denied" => "Denied",
        _ => "Not posted",
    }
}

pub async fn remittance_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = match q.notice.as_str() {
        "imported" => Some("The remittance was imported and posted; what could not be matched is listed below.".to_string()),
        "duplicate" => Some("This payment was imported before; nothing was posted. Its result is below.".to_string()),
        _ => None,
    };
    let m = |cents: i64| Money::from_cents(cents).to_string();
    match state.app.remittance(&session.actor, &id).await {
        Ok((remittance, claims)) => render(&RemittancePage {
            layout: Layout::new(&session, NAV).with_notice(notice),
            title: "Remittance",
            remittance,
            claims: claims
                .into_iter()
                .map(|c| ClaimRow {
                    outcome_label: outcome_label(&c.outcome),
                    charge: m(c.charge_cents),
                    paid: m(c.paid_cents),
                    adjusted: m(c.adjustment_cents),
                    patient: m(c.patient_responsibility_cents),
                    claim: c,
                })
                .collect(),
        }),
        Err(e) => error_page(e),
    }
}
