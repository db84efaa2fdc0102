//! Bank deposits through the API: the payments waiting in Undeposited funds, making a deposit of
//! some (or all) of them, reading one with its slip's totals, and undoing one (its entry is
//! reversed, its payments wait again).

use super::{ApiJson, ApiPath, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::deposits::{DepositView, NewDepositInput, UndepositedView, UndoDepositInput};

/// The payments waiting to be deposited (journal lines debiting 1010 Undeposited funds, neither
/// voided nor in a standing deposit), oldest first, each with its `key` to deposit it by, with
/// their total and the accounts a deposit may go into.
#[utoipa::path(get, path = "/api/v1/deposits/undeposited", tag = "bank",
    responses((status = 200, body = UndepositedView), (status = 403, body = Problem)))]
pub async fn undeposited(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<UndepositedView>, ApiError> {
    Ok(Json(state.app.undeposited_items(&actor).await?))
}

/// Makes a deposit: `items` (keys from the undeposited list) or `all: true`, `deposit_date`
/// (blank: today), `account` (blank: 1000). Posts one entry (Dr the account for the total, Cr
/// 1010 per item) and answers 201 with the deposit. 422 names the field at fault; 409 when a
/// payment was deposited (or voided) meanwhile.
#[utoipa::path(post, path = "/api/v1/deposits", tag = "bank", request_body = NewDepositInput,
    responses((status = 201, body = DepositView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn make(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<DepositView>), ApiError> {
    let input: NewDepositInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.make_deposit(&actor, &input).await?)))
}

/// One deposit: its items and the slip's totals (cash, checks, the rest).
#[utoipa::path(get, path = "/api/v1/deposits/{id}", tag = "bank", params(("id" = String, Path)),
    responses((status = 200, body = DepositView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DepositView>, ApiError> {
    Ok(Json(state.app.deposit(&actor, &id).await?))
}

/// Undoes a deposit by reversing its entry, with the `reason` (required, 422 otherwise); 409 when
/// it was undone already or its bank line is matched.
#[utoipa::path(post, path = "/api/v1/deposits/{id}/undo", tag = "bank", params(("id" = String, Path)), request_body = UndoDepositInput,
    responses((status = 200, body = DepositView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn undo(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<DepositView>, ApiError> {
    let input: UndoDepositInput = from_json(&body)?;
    Ok(Json(state.app.undo_deposit(&actor, &id, &input).await?))
}
