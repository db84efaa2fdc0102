//! The patient's account (`/patients/{id}/account`, linked from the chart): every charge, payment,
//! adjustment and transfer on the patient's AR with the running balances (pending with insurance,
//! due from the patient), the payment form (front desk and biller; the receipt follows), the
//! patient's payments with their receipts and the void; and `/billing/credit-balances`, the
//! patients who paid more than they owed, with the age of each credit.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::patient_accounts::{CreditBalanceView, PatientAccount, PatientPaymentInput};
use medoffice_domain::security::Action;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/account", get(page))
        .route("/patients/{id}/account/payments", post(take_payment))
        .route("/patients/{id}/account/payments/{payment_id}/void", post(void_payment))
        .route("/billing/credit-balances", get(credit_balances))
}

#[derive(Template)]
#[template(path = "patient_account.html")]
struct AccountPage {
    layout: Layout,
    title: String,
    account: PatientAccount,
    form: FormState,
    can_take: bool,
}

impl AccountPage {
    fn method_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![("", "Choose…"), ("cash", "Cash"), ("check", "Check"), ("card", "Card")]
    }
}

async fn show(state: &AppState, session: &PageSession, id: &str, status: StatusCode, form: FormState, notice: Option<String>) -> Response {
    match state.app.patient_account(&session.actor, id).await {
        Ok(account) => {
            let page = AccountPage {
                layout: Layout::new(session, "/patients").with_notice(notice),
                title: format!("Account of {}", account.patient_name),
                account,
                form,
                can_take: session.actor.role.may(Action::TakePayments),
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    show(&state, &session, &id, StatusCode::OK, FormState::new(HashMap::new()), None).await
}

/// Takes the payment; the receipt follows, or the page again with the messages by the fields.
pub async fn take_payment(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = PatientPaymentInput { amount: form.take("amount"), method: form.take("method"), reference: form.take("reference") };
    match state.app.take_patient_payment(&session.actor, &id, &input).await {
        Ok(p) => Redirect::to(&format!("/schedule/payments/{}/receipt", p.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            show(&state, &session, &id, StatusCode::UNPROCESSABLE_ENTITY, FormState { errors, ..form }, None).await
        }
        Err(e) => error_page(e),
    }
}

/// Voids a payment (its entry reversed) and shows the account again.
pub async fn void_payment(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, payment_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.void_payment(&session.actor, &payment_id, &form.take("reason")).await {
        Ok(p) => {
            show(
                &state,
                &session,
                &id,
                StatusCode::OK,
                FormState::new(HashMap::new()),
                Some(format!("Receipt {} voided; its entry is reversed.", p.receipt_number)),
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            let message = errors.errors.first().map(|f| f.message.clone()).unwrap_or_default();
            show(
                &state,
                &session,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormState::new(HashMap::new()),
                Some(format!("Not voided: {message}")),
            )
            .await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "patient_accounts_credits.html")]
struct CreditsPage {
    layout: Layout,
    title: String,
    credits: Vec<CreditBalanceView>,
}

/// The patients with a credit balance, largest first, with its age.
pub async fn credit_balances(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.credit_balances(&session.actor).await {
        Ok(credits) => render(&CreditsPage { layout: Layout::new(&session, "/billing"), title: "Credit balances".into(), credits }),
        Err(e) => error_page(e),
    }
}
