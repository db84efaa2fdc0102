//! Patient statements and late charges through the API: list and read statements, run
//! statements for a date and family-name group, apply late charges as of a date, reverse one late
//! charge with a reason. Bad input is 422 naming the field.

use super::{ApiJson, ApiPath, ApiQuery, Page};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::late_charges::{LateChargeReversalInput, LateChargeRun, LateChargeRunInput, LateChargeView};
use medoffice_app::statements::{StatementRunInput, StatementRunResult, StatementSummary, StatementView};
use serde::Deserialize;
use utoipa::IntoParams;

/// Which statements to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct StatementQuery {
    /// Only the statements of this run.
    pub run_id: Option<String>,
}

/// The statements, newest first (at most 500), or one run's.
#[utoipa::path(get, path = "/api/v1/statements", tag = "billing", params(StatementQuery),
    responses((status = 200, body = Page<StatementSummary>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<StatementQuery>,
) -> Result<Json<Page<StatementSummary>>, ApiError> {
    Ok(Json(Page::all(state.app.statements(&actor, q.run_id.as_deref()).await?)))
}

/// One statement as sent: its lines, the balance due, the aging, what is pending with insurance
/// (never due), the policy text and its late charge if any.
#[utoipa::path(get, path = "/api/v1/statements/{id}", tag = "billing", params(("id" = String, Path)),
    responses((status = 200, body = StatementView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StatementView>, ApiError> {
    Ok(Json(state.app.statement(&actor, &id).await?))
}

/// Runs statements for `date` (blank: today) and `group` (e.g. `A-F`; blank: everyone, or the
/// week's group under the letter-group cycle). 201 with what it did; a run already complete
/// answers `statements: 0`.
#[utoipa::path(post, path = "/api/v1/statements/runs", tag = "billing", request_body = StatementRunInput,
    responses((status = 201, body = StatementRunResult), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn run(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<StatementRunInput>,
) -> Result<(StatusCode, Json<StatementRunResult>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.run_statements(&actor, &input).await?)))
}

/// Applies late charges as of `date` (blank: today) under the practice's policy; at most one per
/// statement, so a second run charges nothing.
#[utoipa::path(post, path = "/api/v1/late-charges/runs", tag = "billing", request_body = LateChargeRunInput,
    responses((status = 201, body = LateChargeRun), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn late_charges(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<LateChargeRunInput>,
) -> Result<(StatusCode, Json<LateChargeRun>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.apply_late_charges_input(&actor, &input).await?)))
}

/// Reverses one late charge with a `reason` (the reversal entry is posted); 409 when reversed
/// already.
#[utoipa::path(post, path = "/api/v1/late-charges/{id}/reversal", tag = "billing", params(("id" = String, Path)),
    request_body = LateChargeReversalInput,
    responses((status = 200, body = LateChargeView), (status = 422, body = Problem), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn reverse(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<LateChargeReversalInput>,
) -> Result<Json<LateChargeView>, ApiError> {
    Ok(Json(state.app.reverse_late_charge(&actor, &id, &input.reason).await?))
}
