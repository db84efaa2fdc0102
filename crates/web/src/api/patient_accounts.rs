//! The patient's account and payments at any time (patient AR): `GET /api/v1/patients/{id}/account`
//! and `POST /api/v1/patients/{id}/payments`. The receipt and the void are the payments'
//! endpoints (`/api/v1/payments/{id}/receipt`, `/api/v1/payments/{id}/void`).

use super::{ApiJson, ApiPath, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::front_desk::PaymentView;
use medoffice_app::patient_accounts::{PatientAccount, PatientPaymentInput};

/// The patient's account: every charge, payment, adjustment and transfer on the patient's AR
/// (AR - Insurance and AR - Patients), oldest first, with the running balances pending with
/// insurance and due from the patient, and the patient's payments. Audited as a read.
#[utoipa::path(get, path = "/api/v1/patients/{id}/account", tag = "patients", params(("id" = String, Path)),
    responses((status = 200, body = PatientAccount), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PatientAccount>, ApiError> {
    Ok(Json(state.app.patient_account(&actor, &id).await?))
}

/// Takes a payment from the patient at any time: `amount` (e.g. `125.00`), `method` (`cash`,
/// `check` or `card`) and `reference` (the check number, or the card processor's reference,
/// never a card number). It gets a receipt number and posts its journal entry (debit
/// Undeposited funds, credit AR - Patients); more than the balance leaves a credit balance.
#[utoipa::path(post, path = "/api/v1/patients/{id}/payments", tag = "patients", params(("id" = String, Path)),
    request_body = PatientPaymentInput,
    responses((status = 201, body = PaymentView), (status = 404, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn take_payment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let body: PatientPaymentInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.take_patient_payment(&actor, &id, &body).await?)))
}
