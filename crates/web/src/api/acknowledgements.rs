//! Acknowledgements through the API: import a 999 or 277CA file (the file's bytes as the body, or
//! `multipart/form-data` with `file`, like a bank statement), list the files imported and read one
//! with what each item said and became.

use super::{ApiPath, Page};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use medoffice_app::acknowledgements::{AckFileView, AckImportInput, AckImportResult, AckItemView};
use serde::Serialize;
use utoipa::ToSchema;

/// Imports a 999 or 277CA: the file's bytes as the body (any content type but multipart), or
/// `multipart/form-data` with the file in `file`. Answers 201 with what it did (`kind`, claims
/// `matched`, `accepted`, `rejected`, `unmatched` items in words), or 200 with `duplicate: true`
/// and the first import's result when the same file was imported before (nothing changes). A
/// file that is not a 999 or 277CA is 422 on `file`, saying why.
#[utoipa::path(post, path = "/api/v1/acknowledgements", tag = "claims",
    request_body(content = String, content_type = "application/edi-x12", description = "the 999 or 277CA file"),
    responses((status = 201, body = AckImportResult), (status = 200, body = AckImportResult, description = "duplicate: nothing changed"),
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
) -> Result<(StatusCode, Json<AckImportResult>), ApiError> {
    let (file_name, bytes) = super::uploaded_file(request).await?;
    let input = AckImportInput { file_name, bytes };
    let done = state.app.import_acknowledgement(actor, &input).await?;
    let status = if done.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(done)))
}

/// The acknowledgement files imported, newest first, with their results.
#[utoipa::path(get, path = "/api/v1/acknowledgements", tag = "claims",
    responses((status = 200, body = Page<AckFileView>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<AckFileView>>, ApiError> {
    Ok(Json(Page::all(state.app.acknowledgement_files(&actor).await?)))
}

/// One imported file and its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct AckFileDetail {
    pub file: AckFileView,
    pub items: Vec<AckItemView>,
}

/// One imported file: what each item (a batch, a claim, or something that matched nothing) said
/// and what became of it.
#[utoipa::path(get, path = "/api/v1/acknowledgements/{id}", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, body = AckFileDetail), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AckFileDetail>, ApiError> {
    let (file, items) = state.app.acknowledgement_file(&actor, &id).await?;
    Ok(Json(AckFileDetail { file, items }))
}
