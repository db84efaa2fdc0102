//! Telephone messages: take a call (triaged and routed as on the call pad) and list messages.

use super::{ApiJson, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::messages::{MessageView, NewMessage};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListParams {
    /// A username: the messages handed to that person; blank for anyone's.
    pub assigned_to: String,
    /// `new`, `acknowledged`, `in_progress`, `waiting_on_patient` or `done`; blank for any.
    pub status: String,
    /// An inbox: `nurse`, `billing`, `scheduling` or `provider:<id>`; blank for any.
    pub inbox: String,
}

/// Takes a telephone message. Without `urgency`, triage sets it (and `instruction` says what
/// to tell the caller); without `assigned_to` or `inbox`, the routing rules choose the inbox.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages", request_body = NewMessage,
    responses((status = 201, body = MessageView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let body: NewMessage = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.take_message(&actor, &body).await?)))
}

/// Messages, urgent first, then oldest first (at most 500). Audited as a read.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", params(ListParams),
    responses((status = 200, body = Page<MessageView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<MessageView>>, ApiError> {
    Ok(Json(Page::all(state.app.list_messages(&actor, &params.assigned_to, &params.inbox, &params.status).await?)))
}
