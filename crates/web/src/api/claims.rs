//! Encounters, charges and claims: code a visit, post its charges, read and move claims through
//! their lifecycle, and send the ready ones (837P files, one per receiver). Money is integer cents.

use super::{ApiJson, ApiPath, ApiQuery, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use medoffice_app::claims::{ClaimDetail, ClaimStatusInput, ClaimWorklist, ClaimWorklistQuery, ExportResult};
use medoffice_app::encounters::{EncounterInput, EncounterView, PostedCharges};
use serde::Deserialize;
use utoipa::IntoParams;

/// A worklist's filters; blank ones do not filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct WorklistParams {
    /// draft, ready, sent, accepted, rejected, paid, partially_paid, denied, appealed, closed.
    pub status: String,
    pub payer_id: String,
    pub provider_id: String,
    /// Only claims at least this many days past their date of service.
    pub min_age_days: String,
}

/// Opens an encounter, coded whole (diagnoses in claim order, service lines with modifiers,
/// units, charges defaulting from the fee schedule and diagnosis pointers). Every field at fault
/// is named (`diagnoses[1]`, `lines[0].pointers`...).
#[utoipa::path(post, path = "/api/v1/encounters", tag = "claims", request_body = EncounterInput,
    responses((status = 201, body = EncounterView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn open_encounter(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(axum::http::StatusCode, Json<EncounterView>), ApiError> {
    let input: EncounterInput = from_json(&body)?;
    Ok((axum::http::StatusCode::CREATED, Json(state.app.open_encounter(&actor, &input).await?)))
}

/// One encounter.
#[utoipa::path(get, path = "/api/v1/encounters/{id}", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, body = EncounterView), (status = 404, body = Problem)))]
pub async fn encounter(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EncounterView>, ApiError> {
    Ok(Json(state.app.encounter(&actor, &id).await?))
}

/// Posts an encounter's charges (Dr AR - Insurance or AR - Patients, Cr Patient service revenue)
/// and creates the draft claim for the primary coverage's payer, in one transaction; posting
/// again answers what was posted (`already_posted`).
#[utoipa::path(post, path = "/api/v1/encounters/{id}/charges", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, body = PostedCharges), (status = 404, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn post_charges(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PostedCharges>, ApiError> {
    Ok(Json(state.app.post_charges(&actor, &id).await?))
}

/// The claims of a status (or all), filtered by payer, provider and age, with the count per status.
#[utoipa::path(get, path = "/api/v1/claims", tag = "claims", params(WorklistParams),
    responses((status = 200, body = ClaimWorklist), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn worklist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<WorklistParams>,
) -> Result<Json<ClaimWorklist>, ApiError> {
    let query = ClaimWorklistQuery { status: p.status, payer_id: p.payer_id, provider_id: p.provider_id, min_age_days: p.min_age_days };
    Ok(Json(state.app.claims_worklist(&actor, &query).await?))
}

/// One claim with what the scrubber found and its history.
#[utoipa::path(get, path = "/api/v1/claims/{id}", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, body = ClaimDetail), (status = 404, body = Problem)))]
pub async fn claim(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ClaimDetail>, ApiError> {
    Ok(Json(state.app.claim(&actor, &id).await?))
}

/// Moves a claim along its lifecycle; to `ready` only when the scrubber finds nothing.
#[utoipa::path(post, path = "/api/v1/claims/{id}/status", tag = "claims", params(("id" = String, Path)), request_body = ClaimStatusInput,
    responses((status = 200, body = ClaimDetail), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub async fn change_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ClaimDetail>, ApiError> {
    let input: ClaimStatusInput = from_json(&body)?;
    Ok(Json(state.app.change_claim_status(&actor, &id, &input).await?))
}

/// Sends the ready claims: one 837P file per receiver, stored, its claims marked sent.
#[utoipa::path(post, path = "/api/v1/claims/export", tag = "claims",
    responses((status = 200, body = ExportResult), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<ExportResult>, ApiError> {
    Ok(Json(state.app.send_ready_claims(&actor).await?))
}
