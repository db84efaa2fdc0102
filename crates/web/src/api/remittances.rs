//! Remittances through the API: import an X12 835 (the file's bytes as the body, or
//! `multipart/form-data` with `file`) and have it posted, list the remittances imported and read
//! one with what became of each claim.

use super::{ApiPath, Page};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use medoffice_app::remittances::{RemittanceDetail, RemittanceImportInput, RemittanceImportResult, RemittanceView, UnderpaymentView};

/// Imports an 835 and posts each of its payments (transaction sets), each in one transaction:
/// payments, contractual and other adjustments, the patient's share, reversals, provider-level
/// adjustments, claim statuses, secondary claims. Answers 201 with what it did, summed over the
/// payments (`claims_matched`, `claims_unmatched`, `paid_cents`, `adjustment_cents`,
/// `patient_responsibility_cents`, each claim's outcome) and each payment in `remittances`, or
/// 200 with `duplicate: true` and the first import's result when every payment (payer id and
/// trace number) was imported before (nothing posted). A file that is not an 835 or of which a
/// payment does not balance is 422 on `file`, saying why.
#[utoipa::path(post, path = "/api/v1/remittances", tag = "claims",
    request_body(content = String, content_type = "application/edi-x12", description = "the 835 file"),
    responses((status = 201, body = RemittanceImportResult),
        (status = 200, body = RemittanceImportResult, description = "duplicate: nothing posted"),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import(State(state): State<AppState>, ApiActor(actor): ApiActor, request: Request) -> Response {
    match import_file(&state, &actor, request).await {
        Ok(done) => done.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn import_file(
    state: &AppState,
    actor: &medoffice_app::Actor,
    request: Request,
) -> Result<(StatusCode, Json<RemittanceImportResult>), ApiError> {
    let (file_name, bytes) = super::uploaded_file(request).await?;
    let input = RemittanceImportInput { file_name, bytes };
    let done = state.app.import_remittance(actor, &input).await?;
    let status = if done.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(done)))
}

/// The remittances imported, newest first.
#[utoipa::path(get, path = "/api/v1/remittances", tag = "claims",
    responses((status = 200, body = Page<RemittanceView>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<RemittanceView>>, ApiError> {
    Ok(Json(Page::all(state.app.remittances(&actor).await?)))
}

/// One remittance: what became of each claim it names (posted, denied, reversed, or unmatched
/// with why), with each claim's adjustments and remark codes in plain words and its lines' allowed
/// against expected amounts, and its provider-level adjustments.
#[utoipa::path(get, path = "/api/v1/remittances/{id}", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, body = RemittanceDetail), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RemittanceDetail>, ApiError> {
    Ok(Json(state.app.remittance(&actor, &id).await?))
}

/// The service lines payers allowed less for than their expected amounts (`payer_allowed_fee`),
/// newest first: claim, payer, code, expected, allowed, short.
#[utoipa::path(get, path = "/api/v1/underpayments", tag = "claims",
    responses((status = 200, body = Page<UnderpaymentView>), (status = 403, body = Problem)))]
pub async fn underpayments(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<UnderpaymentView>>, ApiError> {
    Ok(Json(Page::all(state.app.underpayments(&actor).await?)))
}
