//! Collections, under `/billing/collections`: the worklist of past-due accounts (filters, the
//! dunning run, the hand-off of chosen accounts to a collection agency and its CSV file), one
//! account's collections page (open items, letters as PDF, payment plans with their schedule,
//! follow-up notes, the small-balance write-off), and the refund of a credit balance from
//! `/billing/credit-balances`.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::collections::{
    AgencyExportInput, AgencyExportView, CollectionAccountView, NoteInput, WorklistFilter, WorklistRow, WriteOffInput,
};
use medoffice_app::payment_plans::PaymentPlanInput;
use medoffice_app::refunds::{REFUND_METHODS, RefundInput};
use medoffice_domain::security::Action;
use std::collections::HashMap;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/collections", get(worklist))
        .route("/billing/collections/dunning", post(run_dunning))
        .route("/billing/collections/agency-exports", post(export_to_agency))
        .route("/billing/collections/exports/{id}/csv", get(export_file))
        .route("/billing/collections/letters/{id}/pdf", get(letter_pdf))
        .route("/billing/collections/accounts/{id}", get(account))
        .route("/billing/collections/accounts/{id}/notes", post(add_note))
        .route("/billing/collections/accounts/{id}/plans", post(add_plan))
        .route("/billing/collections/accounts/{id}/write-off", post(write_off))
        .route("/billing/collections/plans/{id}/cancel", post(cancel_plan))
        .route("/billing/credit-balances/{id}/refund", get(refund_page).post(refund))
}

#[derive(Template)]
#[template(path = "billing_collections.html")]
struct WorklistPage {
    layout: Layout,
    title: &'static str,
    rows: Vec<WorklistRow>,
    exports: Vec<AgencyExportView>,
    filter: FormState,
    form: FormState,
    can_manage: bool,
    can_write_off: bool,
}

async fn show_worklist(
    state: &AppState,
    session: &PageSession,
    filter: FormState,
    form: FormState,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let wanted = WorklistFilter { min_amount: filter.take("min_amount"), min_days: filter.take("min_days") };
    let (rows, filter) = match state.app.collections_worklist(&session.actor, &wanted).await {
        Ok(rows) => (rows, filter),
        Err(AppError::Validation(errors)) => {
            let clear = WorklistFilter::default();
            match state.app.collections_worklist(&session.actor, &clear).await {
                Ok(rows) => (rows, FormState { errors, ..filter }),
                Err(e) => return error_page(e),
            }
        }
        Err(e) => return error_page(e),
    };
    let exports = match state.app.agency_exports(&session.actor).await {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    let role = session.actor.role;
    let page = WorklistPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: "Collections",
        rows,
        exports,
        filter,
        form,
        can_manage: role.may(Action::ManageReceivables),
        can_write_off: role.may(Action::WriteOffBadDebt) && role.may(Action::ManageReceivables),
    };
    (status, render(&page)).into_response()
}

/// The worklist, filtered by `min_amount` and `min_days`.
pub async fn worklist(State(state): State<AppState>, session: PageSession, Query(q): Query<HashMap<String, String>>) -> Response {
    show_worklist(&state, &session, FormState::new(q), FormState::default(), StatusCode::OK, None).await
}

/// Runs the dunning letters as of the date given (blank: today).
pub async fn run_dunning(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.run_dunning(&session.actor, form.v("date")).await {
        Ok(run) => {
            let mut notice = format!(
                "Dunning run as of {}: {} letter(s) made and logged as outgoing mail; {} on a current plan and {} in collections skipped.",
                run.as_of, run.letters, run.skipped_on_plan, run.skipped_in_collections
            );
            if !run.not_written.is_empty() {
                notice.push_str(&format!(" Not written (fix and run again): {}.", run.not_written.join("; ")));
            }
            show_worklist(&state, &session, FormState::default(), FormState::default(), StatusCode::OK, Some(notice)).await
        }
        Err(AppError::Validation(errors)) => {
            show_worklist(&state, &session, FormState::default(), FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY, None)
                .await
        }
        Err(e) => error_page(e),
    }
}

/// Sends the chosen accounts (`patient_ids`) to the agency named.
pub async fn export_to_agency(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let patient_ids: Vec<String> = fields.iter().filter(|(k, _)| k == "patient_ids").map(|(_, v)| v.clone()).collect();
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = AgencyExportInput { agency_name: form.take("agency_name"), patient_ids };
    match state.app.export_to_agency(&session.actor, &input).await {
        Ok(x) => {
            let notice = format!(
                "{} account(s) sent to {} and {} written off to bad debt. Download the file from the list of agency files below.",
                x.accounts, x.agency_name, x.total
            );
            show_worklist(&state, &session, FormState::default(), FormState::default(), StatusCode::OK, Some(notice)).await
        }
        Err(AppError::Validation(errors)) => {
            show_worklist(&state, &session, FormState::default(), FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY, None)
                .await
        }
        Err(e) => error_page(e),
    }
}

/// An agency file, downloaded.
pub async fn export_file(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.agency_export_file(&session.actor, &id).await {
        Ok((name, content)) => {
            let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
                ],
                content,
            )
                .into_response()
        }
        Err(e) => error_page(e),
    }
}

/// A dunning letter as a PDF.
pub async fn letter_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.dunning_letter_pdf(&session.actor, &id).await {
        Ok((name, bytes)) => {
            let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
            (
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\"")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_collection_account.html")]
struct AccountPage {
    layout: Layout,
    title: String,
    account: CollectionAccountView,
    form: FormState,
    /// Which form the errors belong to: `note`, `plan`, `write_off`, `cancel`.
    which: &'static str,
    can_manage: bool,
    can_write_off: bool,
}

impl AccountPage {
    fn for_form(&self, name: &str) -> FormState {
        if self.which == name { self.form.clone() } else { FormState::default() }
    }
}

async fn show_account(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: FormState,
    which: &'static str,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    match state.app.collection_account(&session.actor, id).await {
        Ok(account) => {
            let role = session.actor.role;
            let page = AccountPage {
                layout: Layout::new(session, NAV).with_notice(notice),
                title: format!("Collections: {}", account.patient_name),
                account,
                form,
                which,
                can_manage: role.may(Action::ManageReceivables),
                can_write_off: role.may(Action::WriteOffBadDebt),
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn account(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    show_account(&state, &session, &id, FormState::default(), "", StatusCode::OK, None).await
}

/// The answer to one of the account page's forms: the page again, with a notice or the errors.
async fn after(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: FormState,
    which: &'static str,
    outcome: Result<String, AppError>,
) -> Response {
    match outcome {
        Ok(notice) => show_account(state, session, id, FormState::default(), "", StatusCode::OK, Some(notice)).await,
        Err(AppError::Validation(errors)) => {
            show_account(state, session, id, FormState { errors, ..form }, which, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn add_note(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = NoteInput { note: form.take("note"), next_action_date: form.take("next_action_date") };
    let outcome = state.app.add_collection_note(&session.actor, &id, &input).await.map(|_| "Note added.".to_string());
    after(&state, &session, &id, form, "note", outcome).await
}

pub async fn add_plan(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = PaymentPlanInput {
        patient_id: id.clone(),
        total: form.take("total"),
        monthly_amount: form.take("monthly_amount"),
        day_of_month: form.take("day_of_month"),
        start_date: form.take("start_date"),
    };
    let outcome = state
        .app
        .create_payment_plan(&session.actor, &input)
        .await
        .map(|p| format!("Payment plan set up: {} at {} a month, {} installments.", p.total, p.monthly, p.installments.len()));
    after(&state, &session, &id, form, "plan", outcome).await
}

pub async fn write_off(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = WriteOffInput { patient_id: id.clone(), amount: form.take("amount"), reason: form.take("reason") };
    let outcome = state.app.write_off_balance(&session.actor, &input).await.map(|w| format!("{} written off to bad debt.", w.amount));
    after(&state, &session, &id, form, "write_off", outcome).await
}

pub async fn cancel_plan(
    State(state): State<AppState>,
    session: PageSession,
    Path(plan_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let patient_id = form.take("patient_id");
    let outcome =
        state.app.cancel_payment_plan(&session.actor, &plan_id, form.v("reason")).await.map(|_| "Payment plan cancelled.".to_string());
    after(&state, &session, &patient_id, form, "cancel", outcome).await
}

#[derive(Template)]
#[template(path = "billing_refund.html")]
struct RefundPage {
    layout: Layout,
    title: String,
    patient_id: String,
    patient_name: String,
    credit: String,
    form: FormState,
}

impl RefundPage {
    fn method_options(&self) -> Vec<(&'static str, &'static str)> {
        let mut options = vec![("", "Choose…")];
        options.extend(REFUND_METHODS);
        options
    }
}

async fn show_refund(state: &AppState, session: &PageSession, id: &str, form: FormState, status: StatusCode) -> Response {
    let credit = match state.app.patient_credit_cents(&session.actor, id).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let account = match state.app.collection_account(&session.actor, id).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let mut form = form;
    if form.v("amount").is_empty() && form.errors.is_empty() {
        form.values.insert("amount".into(), format!("{}.{:02}", credit / 100, credit % 100));
    }
    let page = RefundPage {
        layout: Layout::new(session, NAV),
        title: format!("Refund to {}", account.patient_name),
        patient_id: id.to_string(),
        patient_name: account.patient_name,
        credit: medoffice_domain::money::Money::from_cents(credit).to_string(),
        form,
    };
    (status, render(&page)).into_response()
}

pub async fn refund_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    show_refund(&state, &session, &id, FormState::default(), StatusCode::OK).await
}

/// Refunds the credit; back to the credit balances list (the refunded credit gone from it).
pub async fn refund(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input =
        RefundInput { patient_id: id.clone(), amount: form.take("amount"), method: form.take("method"), reference: form.take("reference") };
    match state.app.refund_credit_balance(&session.actor, &input).await {
        Ok(_) => axum::response::Redirect::to("/billing/credit-balances").into_response(),
        Err(AppError::Validation(errors)) => {
            show_refund(&state, &session, &id, FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(e),
    }
}
