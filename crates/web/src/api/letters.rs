//! Letters through the API: `GET /api/v1/letter-templates`, `POST /api/v1/letters` (template,
//! patient, recipient) and `GET /api/v1/letters/{id}/pdf`.

use super::{ApiJson, ApiPath, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use medoffice_app::letters::{LetterInput, LetterTemplateView, LetterView};

/// The practice's letter templates (the built-in ones seeded on first use), with their text.
#[utoipa::path(get, path = "/api/v1/letter-templates", tag = "letters",
    responses((status = 200, body = Vec<LetterTemplateView>), (status = 403, body = Problem)))]
pub async fn templates(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Vec<LetterTemplateView>>, ApiError> {
    Ok(Json(state.app.letter_templates(&actor).await?))
}

/// Writes a letter: `template` (key or id), `patient_id`, and for letters to another practice
/// `contact_id` or `recipient_name`/`recipient_address`; `delivery` `print` (default) or `email`.
/// A merge field with no value for this patient is a 422 naming the field.
#[utoipa::path(post, path = "/api/v1/letters", tag = "letters", request_body = LetterInput,
    responses((status = 201, body = LetterView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn write(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<LetterView>), ApiError> {
    let input: LetterInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.write_letter(&actor, &input).await?)))
}

/// A letter's PDF as saved.
#[utoipa::path(get, path = "/api/v1/letters/{id}/pdf", tag = "letters", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", description = "the letter as a PDF"), (status = 404, body = Problem),
        (status = 403, body = Problem)))]
pub async fn pdf(State(state): State<AppState>, ApiActor(actor): ApiActor, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let bytes = state.app.letter_pdf(&actor, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, "inline; filename=\"letter.pdf\"".to_string()),
        ],
        bytes,
    )
        .into_response())
}
