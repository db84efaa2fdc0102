//! Eligibility: write a 270 request (one patient, or a day's schedule) and import the payer's 271
//! answers into each coverage's history.

use super::{ApiJson, ApiPath, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use medoffice_app::eligibility::{EligibilityImportSummary, EligibilityRequestInput};

/// Writes a 270 for `{"patient_id": "..."}` (their coverages in force today) or
/// `{"date": "YYYY-MM-DD"}` (every booked patient with a coverage; `{}` asks about the next
/// business day) and answers the X12 file itself; `Location` names it for downloading again.
#[utoipa::path(post, path = "/api/v1/eligibility/requests", tag = "eligibility", request_body = EligibilityRequestInput,
    responses((status = 201, description = "The 270 file (application/edi-x12)", content_type = "application/edi-x12", body = String),
        (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let input: EligibilityRequestInput = from_json(&body)?;
    let written = state.app.request_eligibility(&actor, &input).await?;
    let (name, content) = state.app.eligibility_request_file(&actor, &written.id).await?;
    Ok(file_response(StatusCode::CREATED, &name, content, Some(format!("/api/v1/eligibility/requests/{}", written.id))))
}

/// A 270 file written earlier.
#[utoipa::path(get, path = "/api/v1/eligibility/requests/{id}", tag = "eligibility", params(("id" = String, Path)),
    responses((status = 200, description = "The 270 file", content_type = "application/edi-x12", body = String),
        (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn request_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (name, content) = state.app.eligibility_request_file(&actor, &id).await?;
    Ok(file_response(StatusCode::OK, &name, content, None))
}

/// Imports a 271 (the request body is the X12 file): each answer is matched by its trace number
/// to the coverage asked about; answers we did not ask for are listed in `unmatched`. A file that
/// does not read is refused on `file`; the same file twice answers `duplicate: true`.
#[utoipa::path(post, path = "/api/v1/eligibility/responses", tag = "eligibility",
    request_body(content = String, content_type = "application/edi-x12", description = "The 271 file"),
    responses((status = 200, body = EligibilityImportSummary), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> Result<Json<EligibilityImportSummary>, ApiError> {
    Ok(Json(state.app.import_eligibility_responses(&actor, "api-upload.x12", &body).await?))
}

fn file_response(status: StatusCode, name: &str, content: String, location: Option<String>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response =
        (status, [(header::CONTENT_TYPE, "application/edi-x12".to_string()), (header::CONTENT_DISPOSITION, disposition)], content)
            .into_response();
    if let Some(l) = location
        && let Ok(v) = header::HeaderValue::from_str(&l)
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}
