//! Collections and refunds: `GET /api/v1/collections` (the worklist), `POST /api/v1/dunning/runs`,
//! `POST`/`GET /api/v1/payment-plans`, `POST /api/v1/collections/agency-exports`,
//! `POST /api/v1/write-offs` and `POST /api/v1/refunds`.

use super::{ApiJson, ApiQuery, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::collections::{
    AgencyExportInput, AgencyExportView, DunningRunResult, WorklistFilter, WorklistRow, WriteOffInput, WriteOffView,
};
use medoffice_app::payment_plans::{PaymentPlanInput, PlanView};
use medoffice_app::refunds::{RefundInput, RefundView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The past-due accounts, oldest first then largest: days past due of the oldest open item,
/// balance, last payment, last letter level, payment plan state, the collections flag and the
/// next action. Filters `min_amount` (e.g. `25.00`) and `min_days`.
#[utoipa::path(get, path = "/api/v1/collections", tag = "receivables", params(WorklistQuery),
    responses((status = 200, body = Vec<WorklistRow>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn worklist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<WorklistQuery>,
) -> Result<Json<Vec<WorklistRow>>, ApiError> {
    let filter = WorklistFilter { min_amount: q.min_amount, min_days: q.min_days };
    Ok(Json(state.app.collections_worklist(&actor, &filter).await?))
}

/// The worklist's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct WorklistQuery {
    /// The least balance, e.g. `25.00`.
    pub min_amount: String,
    /// The least days past due.
    pub min_days: String,
}

/// A dunning run's date.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DunningRunInput {
    /// `YYYY-MM-DD`; blank or absent for today. Never in the future.
    pub date: String,
}

/// Makes every past-due patient's next dunning letter (level 1 at 30, 2 at 60, 3 at 90 days past
/// due; each level once), logged as outgoing mail. `letters` is how many were made.
#[utoipa::path(post, path = "/api/v1/dunning/runs", tag = "receivables", request_body = DunningRunInput,
    responses((status = 201, body = DunningRunResult), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn run_dunning(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<DunningRunResult>), ApiError> {
    let body: DunningRunInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.run_dunning(&actor, &body.date).await?)))
}

/// Sets up a payment plan: `patient_id`, `total` (blank: the balance), `monthly_amount`,
/// `day_of_month` (1-28), `start_date`.
#[utoipa::path(post, path = "/api/v1/payment-plans", tag = "receivables", request_body = PaymentPlanInput,
    responses((status = 201, body = PlanView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    let body: PaymentPlanInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.create_payment_plan(&actor, &body).await?)))
}

/// The plans' filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct PlanQuery {
    /// One patient's plans.
    pub patient_id: String,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
}

/// The payment plans with their schedules, missed installments and status.
#[utoipa::path(get, path = "/api/v1/payment-plans", tag = "receivables", params(PlanQuery),
    responses((status = 200, body = Vec<PlanView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_plans(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<Vec<PlanView>>, ApiError> {
    let patient = Some(q.patient_id.trim()).filter(|p| !p.is_empty());
    Ok(Json(state.app.payment_plans(&actor, patient, &q.status).await?))
}

/// Hands accounts (`patient_ids`) to a collection agency (`agency_name`): the CSV file in
/// `content`, the accounts flagged and their balances written off to bad debt in one entry.
#[utoipa::path(post, path = "/api/v1/collections/agency-exports", tag = "receivables", request_body = AgencyExportInput,
    responses((status = 201, body = AgencyExportView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export_to_agency(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<AgencyExportView>), ApiError> {
    let body: AgencyExportInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.export_to_agency(&actor, &body).await?)))
}

/// Writes (part of) a patient's balance off to bad debt without an agency, with a reason.
#[utoipa::path(post, path = "/api/v1/write-offs", tag = "receivables", request_body = WriteOffInput,
    responses((status = 201, body = WriteOffView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn write_off(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<WriteOffView>), ApiError> {
    let body: WriteOffInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.write_off_balance(&actor, &body).await?)))
}

/// Refunds a patient's credit balance (`amount` at most the credit; `method` check, card or ach
/// with its `reference`): debit AR - Patients, credit Cash - Operating.
#[utoipa::path(post, path = "/api/v1/refunds", tag = "receivables", request_body = RefundInput,
    responses((status = 201, body = RefundView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn refund(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<RefundView>), ApiError> {
    let body: RefundInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.refund_credit_balance(&actor, &body).await?)))
}
