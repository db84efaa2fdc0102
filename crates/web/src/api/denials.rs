//! The denial worklist and paper EOBs through the API: list what payers denied (with what each
//! claim still owes in AR - Insurance and the payer's reasons in words), appeal, write off or bill
//! the patient; post a paper EOB typed by hand through the same posting as an 835.

use super::{ApiJson, ApiPath, ApiQuery, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::denials::{DenialActionInput, DenialActionResult, DenialQuery, DenialWorklist};
use medoffice_app::paper_eob::{PaperEobInput, PaperEobResult};
use serde::Deserialize;
use utoipa::IntoParams;

/// The worklist's filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct DenialParams {
    /// Only this payer's claims; blank for all.
    pub payer_id: String,
}

/// The denial worklist: every denied claim and every zero-paid line (with a non-PR adjustment) of
/// a partially paid claim, with payer, patient, date of service, what the claim still owes in AR
/// - Insurance (`ar_insurance_cents`), the reasons (CARC) in words and the days since the denial,
/// oldest and then largest first.
#[utoipa::path(get, path = "/api/v1/denials", tag = "claims", params(DenialParams),
    responses((status = 200, body = DenialWorklist), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<DenialParams>,
) -> Result<Json<DenialWorklist>, ApiError> {
    Ok(Json(state.app.denial_worklist(&actor, &DenialQuery { payer_id: p.payer_id }).await?))
}

/// Appeals a denied or partially paid claim (`note` required): it becomes appealed, and the
/// payer's next 835 for it is posted. 409 when the claim is no longer on the worklist.
#[utoipa::path(post, path = "/api/v1/denials/{claim_id}/appeal", tag = "claims", params(("claim_id" = String, Path)),
    request_body = DenialActionInput,
    responses((status = 200, body = DenialActionResult), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn appeal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(claim_id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<DenialActionResult>, ApiError> {
    let input: DenialActionInput = from_json(&body)?;
    Ok(Json(state.app.appeal_denial(&actor, &claim_id, &input).await?))
}

/// Writes off what the claim still owes in AR - Insurance (one entry: Dr Contractual adjustments,
/// Cr AR - Insurance) and closes it; `note` (the reason) required.
#[utoipa::path(post, path = "/api/v1/denials/{claim_id}/write-off", tag = "claims", params(("claim_id" = String, Path)),
    request_body = DenialActionInput,
    responses((status = 200, body = DenialActionResult), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn write_off(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(claim_id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<DenialActionResult>, ApiError> {
    let input: DenialActionInput = from_json(&body)?;
    Ok(Json(state.app.write_off_denial(&actor, &claim_id, &input).await?))
}

/// Moves what the claim still owes in AR - Insurance to the patient (Dr AR - Patients, Cr AR -
/// Insurance) and closes it: only when the payer's reason makes the patient liable (non-covered,
/// benefit used up, not covered on the day); else 422 on `action`.
#[utoipa::path(post, path = "/api/v1/denials/{claim_id}/bill-patient", tag = "claims", params(("claim_id" = String, Path)),
    request_body = DenialActionInput,
    responses((status = 200, body = DenialActionResult), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn bill_patient(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(claim_id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<DenialActionResult>, ApiError> {
    let input: DenialActionInput = from_json(&body)?;
    Ok(Json(state.app.bill_patient_for_denial(&actor, &claim_id, &input).await?))
}

/// Posts a paper EOB typed by hand: payer, check number (the trace number), date and amount, and
/// per claim its status, paid amount and per service line (in the claim's order) the paid amount
/// and adjustments. It is posted as the equivalent 835 would be (same matching, entry and
/// duplicate guard). Every field at fault is named (`claims[0].lines[1].paid`); an EOB that does
/// not add up is 422 at the field that does not, nothing written; a payer and check number posted
/// before is 422 on `check_number`. With `mail_payment_id`, that check from the mail room is
/// marked posted.
#[utoipa::path(post, path = "/api/v1/paper-eobs", tag = "claims", request_body = PaperEobInput,
    responses((status = 201, body = PaperEobResult), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn post_paper_eob(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<PaperEobResult>), ApiError> {
    let input: PaperEobInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.post_paper_eob(&actor, &input).await?)))
}
