//! The schedule's set-up: appointment types, locations (with rooms), providers' weekly templates
//! and the practice's holidays. Reads are open to the staff who read the schedule; changes are
//! the office manager's (403 otherwise) and, like the pages, never move a booked appointment: a
//! change answers the appointments it leaves outside the hours in `outside_hours`.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::schedule_setup::LocationInput;
use medoffice_app::views::{
    AppointmentTypeDetailView, HolidayChangeView, HolidayView, LocationView, ProviderTemplateView, TemplateChangeView,
};
use medoffice_domain::scheduling::{AppointmentTypeInput, HolidayInput, TemplateEntryInput};
use serde::Deserialize;
use utoipa::IntoParams;

/// The practice's appointment types by name, with length, colour, patient kind and providers.
#[utoipa::path(get, path = "/api/v1/appointment-types", tag = "schedule set-up",
    responses((status = 200, body = Page<AppointmentTypeDetailView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn appointment_types(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Page<AppointmentTypeDetailView>>, ApiError> {
    Ok(Json(Page::all(state.app.appointment_type_details(&actor).await?)))
}

/// Adds an appointment type (admin). `duration_minutes` is 5 to 480 in steps of 5; `colour` is
/// `#rrggbb`; `patient_kind` is `new`, `established` or `any`; `provider_ids` names at least one
/// provider. A name another type has answers 422 on `name`.
#[utoipa::path(post, path = "/api/v1/appointment-types", tag = "schedule set-up", request_body = AppointmentTypeInput,
    responses((status = 201, body = AppointmentTypeDetailView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_appointment_type(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<AppointmentTypeDetailView>), ApiError> {
    let body: AppointmentTypeInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.add_appointment_type(&actor, &body).await?)))
}

/// The practice's locations by name, each with its rooms (active first).
#[utoipa::path(get, path = "/api/v1/locations", tag = "schedule set-up",
    responses((status = 200, body = Page<LocationView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn locations(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<LocationView>>, ApiError> {
    Ok(Json(Page::all(state.app.locations_with_rooms(&actor).await?)))
}

/// Adds a location (admin): a `name` the practice does not use yet, an optional US `phone` and an
/// optional `address` (when given: `line1`, `city`, `state`, `postal_code`).
#[utoipa::path(post, path = "/api/v1/locations", tag = "schedule set-up", request_body = LocationInput,
    responses((status = 201, body = LocationView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_location(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<LocationView>), ApiError> {
    let body: LocationInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.add_location(&actor, &body).await?)))
}

/// A provider's weekly template, Monday first: working hours (with the types they take and
/// whether overbooking is allowed) and blocks, per location.
#[utoipa::path(get, path = "/api/v1/providers/{id}/template", tag = "schedule set-up", params(("id" = String, Path)),
    responses((status = 200, body = ProviderTemplateView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn template(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProviderTemplateView>, ApiError> {
    Ok(Json(state.app.provider_template(&actor, &id).await?))
}

/// Adds an entry to a provider's weekly template (admin). Working hours that overlap other
/// working hours of the same weekday answer 422 on `start`. Booked appointments stay as they are;
/// those now outside the hours are in `outside_hours`.
#[utoipa::path(post, path = "/api/v1/providers/{id}/template", tag = "schedule set-up", params(("id" = String, Path)),
    request_body = TemplateEntryInput,
    responses((status = 201, body = TemplateChangeView), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 403, body = Problem)))]
pub async fn add_template_entry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<TemplateChangeView>), ApiError> {
    let body: TemplateEntryInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.add_template_entry(&actor, &id, &body).await?)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct YearParams {
    /// The year, e.g. `2026`; blank for this year.
    pub year: String,
}

/// The practice's holidays of one year, by date.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "schedule set-up", params(YearParams),
    responses((status = 200, body = Page<HolidayView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn holidays(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<YearParams>,
) -> Result<Json<Page<HolidayView>>, ApiError> {
    Ok(Json(Page::all(state.app.holidays_in_year(&actor, &params.year).await?)))
}

/// Closes the practice on a date (admin): nothing can be booked that day. A date that is already
/// a holiday answers 422 on `date`. Appointments already booked stay; they are in `outside_hours`.
#[utoipa::path(post, path = "/api/v1/holidays", tag = "schedule set-up", request_body = HolidayInput,
    responses((status = 201, body = HolidayChangeView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_holiday(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<HolidayChangeView>), ApiError> {
    let body: HolidayInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.add_holiday(&actor, &body).await?)))
}
