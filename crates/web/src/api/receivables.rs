//! Receivables reports and family accounts: `GET /api/v1/receivables/aging?by=&as_of=`,
//! `GET /api/v1/receivables/ar-metrics?as_of=&from=&to=`, `GET /api/v1/patients/{id}/family` and
//! `PUT /api/v1/patients/{id}/guarantor`.

use super::{ApiJson, ApiPath, ApiQuery, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use medoffice_app::aging_reports::{AgingInput, AgingReport, ArMetrics, ArMetricsInput};
use medoffice_app::families::{GuarantorInput, PatientFamily};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct AgingParams {
    /// `patient` (default), `guarantor`, `payer` or `provider`.
    pub by: String,
    /// `YYYY-MM-DD`; blank for today.
    pub as_of: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct MetricsParams {
    /// The day of the balances, `YYYY-MM-DD`; blank for today.
    pub as_of: String,
    /// The collection rates' first day; blank: 89 days before `to`.
    pub from: String,
    /// The collection rates' last day; blank: `as_of`.
    pub to: String,
}

/// An aging report: every patient's (or guarantor's, payer's, provider's) open balance in the
/// columns current, 31-60, 61-90, 91-120 and 120+, unapplied credits apart, the total, and the
/// control account balance it ties to (`difference_cents` zero when it does).
#[utoipa::path(get, path = "/api/v1/receivables/aging", tag = "receivables", params(AgingParams),
    responses((status = 200, body = AgingReport), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn aging(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<AgingParams>,
) -> Result<Json<AgingReport>, ApiError> {
    Ok(Json(state.app.aging_report(&actor, &AgingInput { by: params.by, as_of: params.as_of }).await?))
}

/// Days in AR and the net and gross collection rates, with the figures they come from.
#[utoipa::path(get, path = "/api/v1/receivables/ar-metrics", tag = "receivables", params(MetricsParams),
    responses((status = 200, body = ArMetrics), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn metrics(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<MetricsParams>,
) -> Result<Json<ArMetrics>, ApiError> {
    Ok(Json(state.app.ar_metrics(&actor, &ArMetricsInput { as_of: params.as_of, from: params.from, to: params.to }).await?))
}

/// The patient's family: the guarantor they name (if any) and their family's combined account.
#[utoipa::path(get, path = "/api/v1/patients/{id}/family", tag = "patients", params(("id" = String, Path)),
    responses((status = 200, body = PatientFamily), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn family(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PatientFamily>, ApiError> {
    Ok(Json(state.app.patient_family(&actor, &id).await?))
}

/// Sets the patient's guarantor (`{"guarantor": "MRN or patient id"}`), or clears it with an
/// empty value; answers the patient's family. No patient guarantees themselves, and a guarantor
/// cannot have a guarantor (422).
#[utoipa::path(put, path = "/api/v1/patients/{id}/guarantor", tag = "patients", params(("id" = String, Path)),
    request_body = GuarantorInput,
    responses((status = 200, body = PatientFamily), (status = 404, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn set_guarantor(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PatientFamily>, ApiError> {
    let body: GuarantorInput = from_json(&body)?;
    state.app.set_guarantor(&actor, &id, &body).await?;
    Ok(Json(state.app.patient_family(&actor, &id).await?))
}
