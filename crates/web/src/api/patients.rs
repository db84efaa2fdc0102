//! Patients and their insurance coverages.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::views::{CoverageView, PatientSummary, PatientView};
use medoffice_domain::patients::{CoverageInput, PatientInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A registration: the patient's fields, and `confirm_new` to register despite likely duplicates.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPatient {
    #[serde(flatten)]
    pub patient: PatientInput,
    /// Set after reviewing the candidates of a 409 answer, to register anyway.
    #[serde(default)]
    pub confirm_new: bool,
}

/// An edit: the patient's fields as they should be, and the version that was read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatientEdit {
    #[serde(flatten)]
    pub patient: PatientInput,
    /// The `version` of the patient as read; a stale version answers 409.
    pub version: i64,
}

/// A patient with coverages, as on the chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientDetail {
    #[serde(flatten)]
    pub patient: PatientView,
    pub coverages: Vec<CoverageView>,
    /// Age in whole years today.
    pub age: i32,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Any part of the name, a birth date, phone, MRN or member id; empty lists recent patients.
    #[serde(default)]
    pub q: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The duplicate record to fold into the patient of the path.
    pub merged_id: String,
}

/// Registers a patient. Answers 409 with `candidates` when the patient may already be registered.
#[utoipa::path(post, path = "/api/v1/patients", tag = "patients", request_body = NewPatient,
    responses((status = 201, body = PatientView), (status = 409, description = "Possible duplicates", body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<PatientView>), ApiError> {
    // The patient's fields first: through `flatten` an error would not name its field.
    from_json::<PatientInput>(&body)?;
    let body: NewPatient = from_json(&body)?;
    let view = state.app.register_patient(&actor, &body.patient, body.confirm_new).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Finds patients (best matches first, at most 25), or lists recent ones when `q` is empty.
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", params(SearchParams),
    responses((status = 200, body = Page<PatientSummary>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<Page<PatientSummary>>, ApiError> {
    let items = if params.q.trim().is_empty() {
        state.app.recent_patients(&actor, 25).await?
    } else {
        state.app.search_patients(&actor, &params.q).await?
    };
    Ok(Json(Page::all(items)))
}

/// One patient with coverages. Audited as a read of the chart.
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", params(("id" = String, Path)),
    responses((status = 200, body = PatientDetail), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PatientDetail>, ApiError> {
    let chart = state.app.patient_chart(&actor, &id).await?;
    Ok(Json(PatientDetail { patient: chart.patient, coverages: chart.coverages, age: chart.age }))
}

/// Replaces a patient's demographics.
#[utoipa::path(put, path = "/api/v1/patients/{id}", tag = "patients", params(("id" = String, Path)), request_body = PatientEdit,
    responses((status = 200, body = PatientView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PatientView>, ApiError> {
    // The patient's fields first: through `flatten` an error would not name its field.
    from_json::<PatientInput>(&body)?;
    let body: PatientEdit = from_json(&body)?;
    Ok(Json(state.app.update_patient(&actor, &id, body.version, &body.patient).await?))
}

/// Adds an insurance coverage. Two coverages of one priority on the same day answer 422.
#[utoipa::path(post, path = "/api/v1/patients/{id}/coverages", tag = "patients", params(("id" = String, Path)), request_body = CoverageInput,
    responses((status = 201, body = CoverageView), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn add_coverage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<CoverageView>), ApiError> {
    let body = coverage_input(body)?;
    let view = state.app.add_coverage(&actor, &id, &body, None, None).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A coverage from a JSON body. Answers carry `priority` as a number (1, 2, 3); a request may
/// send it as a number too, or as the text the form sends ("1", "primary").
fn coverage_input(mut body: serde_json::Value) -> Result<CoverageInput, ApiError> {
    if let Some(priority) = body.get_mut("priority")
        && let Some(n) = priority.as_i64()
    {
        *priority = serde_json::Value::String(n.to_string());
    }
    from_json(&body)
}

/// The patient's coverages.
#[utoipa::path(get, path = "/api/v1/patients/{id}/coverages", tag = "patients", params(("id" = String, Path)),
    responses((status = 200, body = Page<CoverageView>), (status = 404, body = Problem)))]
pub async fn list_coverages(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Page<CoverageView>>, ApiError> {
    Ok(Json(Page::all(state.app.patient_chart(&actor, &id).await?.coverages)))
}

/// Changes a coverage (e.g. sets its end date).
#[utoipa::path(put, path = "/api/v1/patients/{id}/coverages/{coverage_id}", tag = "patients",
    params(("id" = String, Path), ("coverage_id" = String, Path)), request_body = CoverageInput,
    responses((status = 200, body = CoverageView), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn update_coverage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, coverage_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<CoverageView>, ApiError> {
    let body = coverage_input(body)?;
    Ok(Json(state.app.update_coverage(&actor, &id, &coverage_id, &body, None, None).await?))
}

/// Merges the duplicate `merged_id` into this patient (admins only).
#[utoipa::path(post, path = "/api/v1/patients/{id}/merge", tag = "patients", params(("id" = String, Path)), request_body = MergeRequest,
    responses((status = 200, body = PatientView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn merge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<MergeRequest>,
) -> Result<Json<PatientView>, ApiError> {
    Ok(Json(state.app.merge_patients(&actor, &id, &body.merged_id).await?))
}
