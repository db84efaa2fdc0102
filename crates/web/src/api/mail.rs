//! The mail room: incoming mail (log a piece with what it concerns; a check becomes a payment to
//! post, returned mail flags the patient's address) and records requests (log, list, fulfil:
//! the release is written to the patient's accounting of disclosures and the outgoing mail log).
//! Scans are attached through the pages (multipart); the API logs the facts.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::mail_room::{
    FulfilInput, MailFilter, MailItemDetail, MailItemView, NewMailInput, NewRecordsRequestInput, RecordsRequestDetail, RecordsRequestView,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// The incoming log's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct MailParams {
    /// `patient_payment`, `insurance_check`, `correspondence`, `records_request`, `returned_mail`,
    /// `legal`, `vendor_bill`, `other`; blank for every kind.
    pub kind: String,
    /// `open` or `done`; blank for both.
    pub status: String,
    /// Only what is routed to the caller or the caller's role.
    pub mine: bool,
}

/// The records requests' filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct RecordsParams {
    /// `open` or `fulfilled`; blank for both (open first, by due date).
    pub status: String,
}

/// Logs a piece of incoming mail. A `patient_payment` needs `patient_id`, an `insurance_check`
/// `payer_id`, both `check_number` and `amount_cents` (the check is then to post); `returned_mail`
/// needs `patient_id` (their address is flagged bad); `vendor_bill` needs `vendor_id`.
#[utoipa::path(post, path = "/api/v1/mail", tag = "mail", request_body = NewMailInput,
    responses((status = 201, body = MailItemDetail), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn log(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<MailItemDetail>), ApiError> {
    let body: NewMailInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.log_mail(&actor, &body, None).await?)))
}

/// The incoming mail log, newest first.
#[utoipa::path(get, path = "/api/v1/mail", tag = "mail", params(MailParams),
    responses((status = 200, body = Page<MailItemView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<MailParams>,
) -> Result<Json<Page<MailItemView>>, ApiError> {
    let filter = MailFilter { kind: q.kind, status: q.status, mine: q.mine };
    Ok(Json(Page::all(state.app.mail_items(&actor, &filter).await?)))
}

/// One piece of mail with the check it brought.
#[utoipa::path(get, path = "/api/v1/mail/{id}", tag = "mail", params(("id" = String, Path)),
    responses((status = 200, body = MailItemDetail), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MailItemDetail>, ApiError> {
    Ok(Json(state.app.mail_item(&actor, &id).await?))
}

/// Logs a records request for a patient, due 30 days after `received_date` (HIPAA).
#[utoipa::path(post, path = "/api/v1/records-requests", tag = "mail", request_body = NewRecordsRequestInput,
    responses((status = 201, body = RecordsRequestView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn log_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<RecordsRequestView>), ApiError> {
    let body: NewRecordsRequestInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.log_records_request(&actor, &body, None).await?)))
}

/// Records requests: open ones by due date (overdue first, `days_left` negative), then fulfilled.
#[utoipa::path(get, path = "/api/v1/records-requests", tag = "mail", params(RecordsParams),
    responses((status = 200, body = Page<RecordsRequestView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list_requests(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RecordsParams>,
) -> Result<Json<Page<RecordsRequestView>>, ApiError> {
    Ok(Json(Page::all(state.app.records_requests(&actor, &q.status).await?)))
}

/// One records request with what was sent for it.
#[utoipa::path(get, path = "/api/v1/records-requests/{id}", tag = "mail", params(("id" = String, Path)),
    responses((status = 200, body = RecordsRequestDetail), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RecordsRequestDetail>, ApiError> {
    Ok(Json(state.app.records_request(&actor, &id).await?))
}

/// Fulfils a records request: `method` (`usps_first_class`, `usps_certified` with
/// `tracking_number`, `fax`, `secure_email`, `pickup`) and `pages`. Writes the disclosure and the
/// outgoing mail in the same transaction; a request is fulfilled once (409).
#[utoipa::path(post, path = "/api/v1/records-requests/{id}/fulfil", tag = "mail", params(("id" = String, Path)),
    request_body = FulfilInput,
    responses((status = 200, body = RecordsRequestDetail), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn fulfil(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<RecordsRequestDetail>, ApiError> {
    let body: FulfilInput = from_json(&body)?;
    Ok(Json(state.app.fulfil_records_request(&actor, &id, &body).await?))
}
