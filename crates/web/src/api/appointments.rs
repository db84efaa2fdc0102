//! Appointments and providers' open slots.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::scheduling::{NewAppointment, OpenSlotsInput, StatusEventInput};
use medoffice_app::views::{AppointmentView, SlotView};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListParams {
    /// One provider's appointments; blank for every provider's.
    pub provider_id: String,
    /// `YYYY-MM-DD`; blank for today.
    pub date: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct SlotParams {
    /// The first date, `YYYY-MM-DD`; blank for today.
    pub from: String,
    /// The last date, `YYYY-MM-DD`; blank for two weeks from `from`. At most 92 days in all.
    pub to: String,
    /// The length wanted (5 to 480, a multiple of 5); blank for the appointment type's.
    pub duration_minutes: String,
    /// An appointment type's id or name; blank for the practice's standard visit.
    pub appointment_type: String,
}

/// Books an appointment. A time another appointment of the provider holds answers 409; a time
/// outside the provider's hours, on a holiday or in the past answers 422 naming the field.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", request_body = NewAppointment,
    responses((status = 201, body = AppointmentView), (status = 409, description = "The time is taken", body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    let body: NewAppointment = from_json(&body)?;
    let view = state.app.book_appointment(&actor, &body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The appointments of one date, of one provider or of all, by start time. Audited as a read.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments", params(ListParams),
    responses((status = 200, body = Page<AppointmentView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<AppointmentView>>, ApiError> {
    let provider = Some(params.provider_id.as_str()).filter(|p| !p.trim().is_empty());
    Ok(Json(Page::all(state.app.list_appointments(&actor, provider, &params.date).await?)))
}

/// A provider's open times, earliest first (at most 50): inside working hours, never on a
/// holiday, in the past or over a booked appointment.
#[utoipa::path(get, path = "/api/v1/providers/{id}/open-slots", tag = "appointments", params(("id" = String, Path), SlotParams),
    responses((status = 200, body = Page<SlotView>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn open_slots(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<SlotParams>,
) -> Result<Json<Page<SlotView>>, ApiError> {
    let input = OpenSlotsInput {
        from: params.from,
        to: params.to,
        duration_minutes: params.duration_minutes,
        appointment_type: params.appointment_type,
    };
    Ok(Json(Page::all(state.app.open_slots(&actor, &id, &input).await?)))
}

/// Moves an appointment a step through its life: `confirm`, `check_in` (or `arrive`), `room`,
/// `check_out`, `complete`, `cancel` (with `reason` and `by`) or `no_show`. A step the current
/// status does not allow answers 409.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/status", tag = "appointments", params(("id" = String, Path)),
    request_body = StatusEventInput,
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn change_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<AppointmentView>, ApiError> {
    let body: StatusEventInput = from_json(&body)?;
    Ok(Json(state.app.change_appointment_status(&actor, &id, &body).await?))
}
