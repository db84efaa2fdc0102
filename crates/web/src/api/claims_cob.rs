//! Corrected and secondary claims through the API: replace or void a claim the payer has (a new
//! claim, frequency 7 or 8, linked to the original), set the frequency of a draft or rejected
//! claim, and bill the secondary payer from the primary's adjudication. Money is integer cents
//! (`*_cents`) or dollars as typed.

use super::{ApiJson, ApiPath, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::claims::{ClaimDetail, ClaimFrequencyInput};
use medoffice_app::claims_cob::{AdjudicationInput, ClaimCorrectionInput};

/// Replaces (`frequency_code` 7) or voids (8) a sent, accepted, paid, partially paid or denied
/// claim: answers the NEW draft claim, linked to the original (`related`), with the payer's claim
/// number (blank: the one stored on the original). The original is closed when it is sent.
#[utoipa::path(post, path = "/api/v1/claims/{id}/correct", tag = "claims", params(("id" = String, Path)), request_body = ClaimCorrectionInput,
    responses((status = 201, body = ClaimDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn correct(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ClaimDetail>), ApiError> {
    let input: ClaimCorrectionInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.correct_claim(&actor, &id, &input).await?)))
}

/// Sets the frequency of a draft or rejected claim: 1 original, 7 replacement or 8 void (the
/// last two with the payer's claim control number).
#[utoipa::path(post, path = "/api/v1/claims/{id}/frequency", tag = "claims", params(("id" = String, Path)), request_body = ClaimFrequencyInput,
    responses((status = 200, body = ClaimDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn set_frequency(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ClaimDetail>, ApiError> {
    let input: ClaimFrequencyInput = from_json(&body)?;
    Ok(Json(state.app.set_claim_frequency(&actor, &id, &input).await?))
}

/// Bills the secondary payer of a paid, partially paid or denied primary claim: records the
/// primary's adjudication (one entry per service line, in order: paid and CAS adjustments, which
/// must add up to the line's charge) and answers the new draft secondary claim, scrubbed. Refused
/// with named fields when it does not balance (`lines[0].paid`, `total_paid`,
/// `claim_adjustments`), when the patient has no secondary coverage (`coverage`) or the claim is
/// not adjudicated (`status`).
#[utoipa::path(post, path = "/api/v1/claims/{id}/secondary", tag = "claims", params(("id" = String, Path)), request_body = AdjudicationInput,
    responses((status = 201, body = ClaimDetail), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn bill_secondary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ClaimDetail>), ApiError> {
    let input: AdjudicationInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.create_secondary_claim(&actor, &id, &input).await?)))
}
