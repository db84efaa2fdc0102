//! Remittances, under `/billing/remittances`: the upload of an 835 (one multipart form, posted at
//! once), the remittances imported, and one remittance's claims (posted, denied, reversed, or
//! unmatched with why) with their adjustments and remark codes in plain words, underpaid lines and
//! provider-level adjustments; and `/billing/underpayments`, the lines payers allowed less for
//! than their expected amounts.

use super::{FormState, Layout, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::remittances::{ProviderAdjustmentView, RemittanceClaimView, RemittanceImportInput, RemittanceView, UnderpaymentView};
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/remittances", get(index).post(import))
        .route("/billing/remittances/{id}", get(remittance_page))
        .route("/billing/underpayments", get(underpayments_page))
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

async fn list_view(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    match state.app.remittances(&session.actor).await {
        Ok(remittances) => render(&ListPage {
            layout: Layout::new(session, NAV).with_notice(notice),
            title: "Remittances",
            remittances,
            form,
            can_import: session.actor.role.may(Action::ManageClaims),
        }),
        Err(e) => error_page(e),
    }
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "several" => Some("The file held several payments: each was imported and posted on its own; they are listed below.".to_string()),
        "duplicates" => Some("Every payment of this file was imported before; nothing was posted.".to_string()),
        _ => None,
    };
    list_view(&state, &session, FormState::default(), notice).await
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
        Ok(done) if done.remittances.len() > 1 => {
            let notice = if done.duplicate { "duplicates" } else { "several" };
            Redirect::to(&format!("/billing/remittances?notice={notice}")).into_response()
        }
        Ok(done) => {
            let notice = if done.duplicate { "duplicate" } else { "imported" };
            Redirect::to(&format!("/billing/remittances/{}?notice={notice}", done.remittance_id)).into_response()
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            list_view(&state, &session, form, None).await
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
    pub short: String,
    pub lines: Vec<LineRow>,
}

/// A service line on screen.
pub struct LineRow {
    pub line: i64,
    pub code: String,
    pub paid: String,
    pub allowed: String,
    pub expected: String,
    pub short: String,
    pub is_short: bool,
    pub remarks: String,
}

#[derive(Template)]
#[template(path = "billing_remittance.html")]
struct RemittancePage {
    layout: Layout,
    title: &'static str,
    remittance: RemittanceView,
    claims: Vec<ClaimRow>,
    provider_adjustments: Vec<ProviderAdjustmentView>,
    provider_total: String,
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "paid" => "Paid",
        "partially_paid" => "Partially paid",
        "denied" => "Denied",
        "reversed" => "Reversed",
        _ => "Not posted",
    }
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn claim_row(c: RemittanceClaimView) -> ClaimRow {
    let lines = c
        .lines
        .iter()
        .map(|l| LineRow {
            line: l.line,
            code: if l.modifiers.trim().is_empty() { l.procedure_code.clone() } else { format!("{}-{}", l.procedure_code, l.modifiers) },
            paid: money(l.paid_cents),
            allowed: money(l.allowed_cents),
            expected: l.expected_cents.map(money).unwrap_or_default(),
            short: money(l.short_cents),
            is_short: l.short_cents > 0,
            remarks: l.remarks.iter().map(|r| format!("{}: {}", r.code, r.meaning)).collect::<Vec<_>>().join("; "),
        })
        .collect();
    ClaimRow {
        outcome_label: outcome_label(&c.outcome),
        charge: money(c.charge_cents),
        paid: money(c.paid_cents),
        adjusted: money(c.adjustment_cents),
        patient: money(c.patient_responsibility_cents),
        short: money(c.short_cents),
        lines,
        claim: c,
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
    match state.app.remittance(&session.actor, &id).await {
        Ok(detail) => render(&RemittancePage {
            layout: Layout::new(&session, NAV).with_notice(notice),
            title: "Remittance",
            provider_total: money(detail.remittance.provider_adjustment_cents),
            remittance: detail.remittance,
            claims: detail.claims.into_iter().map(claim_row).collect(),
            provider_adjustments: detail.provider_adjustments,
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_underpayments.html")]
struct UnderpaymentsPage {
    layout: Layout,
    title: &'static str,
    lines: Vec<UnderpaymentView>,
    total: String,
}

/// The lines payers allowed less for than their expected amounts.
pub async fn underpayments_page(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.underpayments(&session.actor).await {
        Ok(lines) => render(&UnderpaymentsPage {
            layout: Layout::new(&session, NAV),
            title: "Underpayments",
            total: money(lines.iter().map(|l| l.short_cents).sum()),
            lines,
        }),
        Err(e) => error_page(e),
    }
}
