//! Claim status: ask the payers about claims (276 files) and import their 277 answers, stored on
//! each claim ("Payer says").

use super::{ApiJson, ApiPath, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use medoffice_app::AppError;
use medoffice_app::claim_status::{ClaimStatusHistory, StatusRequestInput, StatusRequestResult, StatusResponseInput, StatusResponseResult};
use medoffice_domain::ValidationErrors;

/// Writes 276 status requests, one file per payer: for `{"claim_id": "..."}` (a claim sent to
/// its payer), or for every claim sent or accepted more than `older_than_days` days ago (default
/// 30) and unpaid (`{}`). Answers the files with each claim's trace number; none when no claim
/// was due.
#[utoipa::path(post, path = "/api/v1/claim-status/requests", tag = "claims", request_body = StatusRequestInput,
    responses((status = 201, body = StatusRequestResult), (status = 422, body = Problem), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<StatusRequestResult>), ApiError> {
    let input: StatusRequestInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.request_claim_status(&actor, &input).await?)))
}

/// A 276 file written earlier.
#[utoipa::path(get, path = "/api/v1/claim-status/requests/{id}", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, description = "The 276 file", content_type = "application/edi-x12", body = String),
        (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn request_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (name, content) = state.app.claim_status_request_file(&actor, &id).await?;
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/edi-x12".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
        ],
        content,
    )
        .into_response())
}

/// Imports a 277 claim status response (the request body is the X12 file): each claim's answer
/// is matched by trace number (or patient control number) and stored on the claim; what matched
/// nothing is listed in `unmatched`. A file that is not a 277 is refused on `file`, saying why,
/// and nothing is written. No claim changes status.
#[utoipa::path(post, path = "/api/v1/claim-status/responses", tag = "claims",
    request_body(content = String, content_type = "application/edi-x12", description = "The 277 file"),
    responses((status = 201, body = StatusResponseResult), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    body: Bytes,
) -> Result<(StatusCode, Json<StatusResponseResult>), ApiError> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError(AppError::Validation(ValidationErrors::single("file", "the file is not text: a 277 is plain ASCII"))))?;
    let input = StatusResponseInput { file_name: "api-upload.x12".into(), text };
    Ok((StatusCode::CREATED, Json(state.app.import_claim_status_response(&actor, &input).await?)))
}

/// What the payer has said about a claim (277 answers), newest first, with the status change the
/// latest answer suggests when the lifecycle allows it.
#[utoipa::path(get, path = "/api/v1/claims/{id}/payer-says", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, body = ClaimStatusHistory), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ClaimStatusHistory>, ApiError> {
    Ok(Json(state.app.claim_status_history(&actor, &id).await?))
}
