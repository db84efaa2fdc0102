//! An appointment's page in JSON, reschedule, recurring series, check-in with the co-pay,
//! check-out with the follow-up, receipts, and the open-slot search across providers.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::front_desk::{AppointmentDetail, CheckInInput, CheckOutInput, CheckedIn, CheckedOut, PaymentView, Receipt};
use medoffice_app::rescheduling::{OccurrenceView, RecurringInput, RescheduleInput, SeriesBooked, SlotSearch};
use medoffice_app::views::{AppointmentView, SlotView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// An appointment with its patient, coverages, history, payments and the steps allowed next.
/// Audited as a read of the patient's record.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "appointments", params(("id" = String, Path)),
    responses((status = 200, body = AppointmentDetail), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AppointmentDetail>, ApiError> {
    Ok(Json(state.app.appointment_detail(&actor, &id).await?))
}

/// Moves an appointment to a new time (and perhaps provider or type): the old one becomes
/// `rescheduled` and links to the new one, which is answered. A taken time answers 409.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/reschedule", tag = "appointments", params(("id" = String, Path)),
    request_body = RescheduleInput,
    responses((status = 201, body = AppointmentView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn reschedule(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    let body: RescheduleInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.reschedule_appointment(&actor, &id, &body).await?)))
}

/// Checks the patient in: `demographics_confirmed` and `insurance_confirmed` must be true; a
/// `copay_amount` with its `payment_method` is recorded as a payment with a receipt number.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/check-in", tag = "appointments", params(("id" = String, Path)),
    request_body = CheckInInput,
    responses((status = 200, body = CheckedIn), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn check_in(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<CheckedIn>, ApiError> {
    let body: CheckInInput = from_json(&body)?;
    Ok(Json(state.app.check_in(&actor, &id, &body).await?))
}

/// Checks the patient out, booking the follow-up at `follow_up_start` when given (same
/// transaction: a taken time refuses both with 409).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/check-out", tag = "appointments", params(("id" = String, Path)),
    request_body = CheckOutInput,
    responses((status = 200, body = CheckedOut), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn check_out(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<CheckedOut>, ApiError> {
    let body: CheckOutInput = from_json(&body)?;
    Ok(Json(state.app.check_out(&actor, &id, &body).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RoomInput {
    /// An active room of the appointment's location; blank for none recorded.
    pub room_id: String,
}

/// Takes the patient to a room (`in_room`), recording which room.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/room", tag = "appointments", params(("id" = String, Path)),
    request_body = RoomInput,
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn room(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<AppointmentView>, ApiError> {
    let body: RoomInput = from_json(&body)?;
    Ok(Json(state.app.room_patient(&actor, &id, &body.room_id).await?))
}

/// Every occurrence of a recurring series, bookable or with the reason it is not; books nothing.
#[utoipa::path(post, path = "/api/v1/appointment-series/preview", tag = "appointments", request_body = RecurringInput,
    responses((status = 200, body = Page<OccurrenceView>), (status = 422, body = Problem)))]
pub async fn preview_series(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<Page<OccurrenceView>>, ApiError> {
    let body: RecurringInput = from_json(&body)?;
    Ok(Json(Page::all(state.app.preview_recurring(&actor, &body).await?)))
}

/// Books a recurring series: the bookable occurrences in one transaction; the others are
/// answered in `skipped` with their reasons.
#[utoipa::path(post, path = "/api/v1/appointment-series", tag = "appointments", request_body = RecurringInput,
    responses((status = 201, body = SeriesBooked), (status = 422, body = Problem)))]
pub async fn book_series(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<SeriesBooked>), ApiError> {
    let body: RecurringInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.book_recurring(&actor, &body).await?)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct SearchParams {
    /// Blank for any provider who offers the type.
    pub provider_id: String,
    /// A type's id or name; blank for the standard visit.
    pub appointment_type: String,
    /// `YYYY-MM-DD`; blank for today.
    pub from: String,
    /// `YYYY-MM-DD`; blank for two weeks from `from`.
    pub to: String,
    /// `any`, `morning` or `afternoon`.
    pub part_of_day: String,
    pub duration_minutes: String,
    /// 1 to 50; blank for 20.
    pub max_results: String,
}

/// Open times of a provider or of any provider, earliest first.
#[utoipa::path(get, path = "/api/v1/open-slots", tag = "appointments", params(SearchParams),
    responses((status = 200, body = Page<SlotView>), (status = 422, body = Problem)))]
pub async fn search_slots(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<Page<SlotView>>, ApiError> {
    let input = SlotSearch {
        provider_id: p.provider_id,
        appointment_type: p.appointment_type,
        from: p.from,
        to: p.to,
        part_of_day: p.part_of_day,
        duration_minutes: p.duration_minutes,
        max_results: p.max_results,
    };
    Ok(Json(Page::all(state.app.search_open_slots(&actor, &input).await?)))
}

/// A payment's receipt.
#[utoipa::path(get, path = "/api/v1/payments/{id}/receipt", tag = "payments", params(("id" = String, Path)),
    responses((status = 200, body = Receipt), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn receipt(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(state.app.payment_receipt(&actor, &id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct VoidInput {
    /// Why the payment is voided.
    pub reason: String,
}

/// Voids a payment taken by mistake; it stays on record with the reason.
#[utoipa::path(post, path = "/api/v1/payments/{id}/void", tag = "payments", params(("id" = String, Path)), request_body = VoidInput,
    responses((status = 200, body = PaymentView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn void(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PaymentView>, ApiError> {
    let body: VoidInput = from_json(&body)?;
    Ok(Json(state.app.void_payment(&actor, &id, &body.reason).await?))
}
