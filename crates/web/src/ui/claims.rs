//! Claims, under `/billing`: the worklists (`/billing/claims?status=` with payer, provider and age
//! filters and the count per status), one claim with what the scrubber found in plain words and
//! its history, status changes, "Send ready claims" (837P files, one per receiver) and the
//! files' downloads.

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
use medoffice_app::claims::{BatchView, ClaimDetail, ClaimStatus, ClaimStatusInput, ClaimSummary, ClaimWorklistQuery};
use medoffice_app::views::{PayerView, ProviderView};
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing", get(billing_home))
        .route("/billing/claims", get(worklist))
        .route("/billing/claims/send", post(send_ready))
        .route("/billing/claims/{id}", get(claim_page))
        .route("/billing/claims/{id}/status", post(change_status))
        .route("/billing/claims/{id}/scrub", post(scrub))
        .route("/billing/batches/{id}/file", get(batch_file))
        .route("/billing/settings", get(settings_page).post(save_settings))
}

/// Billing's front page: the worklists for billing, the encounters for a provider.
async fn billing_home(session: PageSession) -> Response {
    if session.actor.role.may(Action::ReadClaims) {
        Redirect::to("/billing/claims").into_response()
    } else {
        Redirect::to("/billing/encounters").into_response()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WorklistQuery {
    status: String,
    payer_id: String,
    provider_id: String,
    min_age_days: String,
    notice: String,
}

fn notice(key: &str) -> Option<String> {
    let text = match key {
        "posted" => "Charges posted; the claim is a draft. Check it and mark it ready.",
        "sent" => "The ready claims were written into 837P files (below) and marked sent.",
        "nothing" => "No claim was ready to send.",
        "changed" => "Claim updated.",
        "scrubbed" => "The claim was checked again.",
        "status_asked" => "A status request (276) for this claim was written: download it under Claim status.",
        "corrected" => "The correction is a new draft claim linked to the original; the original is closed when it is sent.",
        "secondary" => "The primary's adjudication is recorded; this is the draft claim to the secondary payer.",
        _ => return None,
    };
    Some(text.to_string())
}

pub struct StatusTab {
    pub status: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "billing_claims.html")]
struct WorklistPage {
    layout: Layout,
    title: &'static str,
    tabs: Vec<StatusTab>,
    claims: Vec<ClaimSummary>,
    payers: Vec<PayerView>,
    providers: Vec<ProviderView>,
    query: ClaimWorklistQuery,
    error: Option<String>,
    batches: Vec<BatchView>,
    can_send: bool,
    ready_count: i64,
}

pub async fn worklist(State(state): State<AppState>, session: PageSession, Query(q): Query<WorklistQuery>) -> Response {
    let actor = &session.actor;
    let query =
        ClaimWorklistQuery { status: q.status.clone(), payer_id: q.payer_id, provider_id: q.provider_id, min_age_days: q.min_age_days };
    let (list, error) = match state.app.claims_worklist(actor, &query).await {
        Ok(w) => (w, None),
        Err(AppError::Validation(e)) => {
            let message = e.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
            match state.app.claims_worklist(actor, &ClaimWorklistQuery::default()).await {
                Ok(w) => (w, Some(message)),
                Err(e) => return error_page(e),
            }
        }
        Err(e) => return error_page(e),
    };
    let (payers, providers, batches) =
        match (state.app.list_payers(actor).await, state.app.list_providers(actor).await, state.app.claim_batches(actor).await) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return error_page(e),
        };
    let current = ClaimStatus::parse(&q.status).ok();
    let tabs = list
        .counts
        .iter()
        .map(|c| StatusTab { status: c.status.as_str(), label: c.status.label(), count: c.count, active: Some(c.status) == current })
        .collect();
    let ready_count = list.counts.iter().find(|c| c.status == ClaimStatus::Ready).map(|c| c.count).unwrap_or(0);
    render(&WorklistPage {
        layout: Layout::new(&session, NAV).with_notice(notice(&q.notice)),
        title: "Claims",
        tabs,
        claims: list.claims,
        payers,
        providers,
        query,
        error,
        batches,
        can_send: actor.role.may(Action::ManageClaims),
        ready_count,
    })
}

pub async fn send_ready(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.send_ready_claims(&session.actor).await {
        Ok(r) if r.batches.is_empty() => Redirect::to("/billing/claims?status=ready&notice=nothing").into_response(),
        Ok(_) => Redirect::to("/billing/claims?status=sent&notice=sent").into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_claim.html")]
struct ClaimPage {
    layout: Layout,
    title: &'static str,
    detail: ClaimDetail,
    form: FormState,
    can_manage: bool,
    /// The correction and secondary-claim forms (`billing_claim_cob.html`).
    cob: super::claims_cob::CobPanel,
    /// The claim's 999/277CA acknowledgements (`billing_claim_ack.html`).
    acks: super::acknowledgements::AckPanel,
    /// What the payer said in 277 answers (`billing_claim_status.html`).
    payer_says: medoffice_app::claim_status::ClaimStatusHistory,
}

pub(super) async fn claim_view(state: &AppState, session: &PageSession, id: &str, form: FormState, notice_key: &str) -> Response {
    let acks = match state.app.claim_acknowledgements(&session.actor, id).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let payer_says = match state.app.claim_status_history(&session.actor, id).await {
        Ok(h) => h,
        Err(e) => return error_page(e),
    };
    match state.app.claim(&session.actor, id).await {
        Ok(detail) => render(&ClaimPage {
            payer_says,
            layout: Layout::new(session, NAV).with_notice(notice(notice_key)),
            title: "Claim",
            acks: super::acknowledgements::AckPanel::new(acks, detail.claim.status == ClaimStatus::Rejected),
            cob: super::claims_cob::CobPanel::new(&detail, &form),
            detail,
            form,
            can_manage: session.actor.role.may(Action::ManageClaims),
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn claim_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    claim_view(&state, &session, &id, FormState::default(), &q.notice).await
}

pub async fn change_status(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = ClaimStatusInput { status: form.take("status"), note: form.take("note") };
    match state.app.change_claim_status(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/billing/claims/{id}?notice=changed")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            claim_view(&state, &session, &id, form, "").await
        }
        Err(e) => error_page(e),
    }
}

pub async fn scrub(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.scrub(&session.actor, &id).await {
        Ok(_) => Redirect::to(&format!("/billing/claims/{id}?notice=scrubbed")).into_response(),
        Err(e) => error_page(e),
    }
}

/// An 837P file as stored, to save and upload to the clearinghouse.
pub async fn batch_file(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.claim_batch_file(&session.actor, &id).await {
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

#[derive(Template)]
#[template(path = "billing_settings.html")]
struct SettingsPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    usage_options: Vec<(String, String)>,
}

fn settings_view(session: &PageSession, form: FormState, notice_text: Option<String>) -> Response {
    render(&SettingsPage {
        layout: Layout::new(session, NAV).with_notice(notice_text),
        title: "Billing settings",
        form,
        usage_options: vec![("test".into(), "Test (ISA15 T)".into()), ("production".into(), "Production (ISA15 P)".into())],
    })
}

/// The practice's billing details (billing NPI, tax id, ZIP+4, submitter id, test/production).
pub async fn settings_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    if !session.actor.role.may(Action::ManagePracticeLists) {
        return error_page(AppError::Forbidden);
    }
    match state.app.billing_settings(&session.actor).await {
        Ok(s) => {
            let values = serde_json::to_value(&s)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .map(|o| o.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or("").to_string())).collect())
                .unwrap_or_default();
            let text = (q.notice == "saved").then(|| "Billing settings saved.".to_string());
            settings_view(&session, FormState::new(values), text)
        }
        Err(e) => error_page(e),
    }
}

pub async fn save_settings(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = medoffice_app::claims::BillingSettingsInput {
        billing_npi: form.take("billing_npi"),
        tax_id: form.take("tax_id"),
        taxonomy_code: form.take("taxonomy_code"),
        address_line1: form.take("address_line1"),
        city: form.take("city"),
        state: form.take("state"),
        postal_code: form.take("postal_code"),
        phone: form.take("phone"),
        submitter_id: form.take("submitter_id"),
        claims_usage: form.take("claims_usage"),
        clearinghouse_id: form.take("clearinghouse_id"),
        clearinghouse_name: form.take("clearinghouse_name"),
    };
    match state.app.set_billing_settings(&session.actor, &input).await {
        Ok(_) => Redirect::to("/billing/settings?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            settings_view(&session, form, None)
        }
        Err(e) => error_page(e),
    }
}
