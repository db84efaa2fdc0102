//! The two adapters of `AppError`: RFC 9457 problem+json for the API, a page for the browser.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medoffice_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// One field's problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation errors: every field at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a possible duplicate registration: the existing patients it may be.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<medoffice_app::views::DuplicateCandidate>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            candidates: Vec::new(),
        }
    }

    pub fn validation(errors: Vec<FieldProblem>) -> Problem {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Problem { errors, ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail) }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

/// An error answered to an API client.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

/// The HTTP status of an application error.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::PossibleDuplicates(_) | AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) | AppError::Damaged(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs an internal error with an id the user can quote, and returns the id.
pub fn log_internal(detail: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(error_id = %id, "{detail}");
    id
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        match self.0 {
            AppError::Validation(v) => {
                Problem::validation(v.errors.into_iter().map(|e| FieldProblem { field: e.field, message: e.message }).collect())
                    .into_response()
            }
            AppError::PossibleDuplicates(candidates) => Problem {
                candidates,
                ..Problem::new(status, "this patient may already be registered; send \"confirm_new\": true to register anyway")
            }
            .into_response(),
            AppError::Internal(detail) => {
                let id = log_internal(&detail);
                Problem::new(status, format!("something went wrong on the server; quote error id {id}")).into_response()
            }
            other => Problem::new(status, other.to_string()).into_response(),
        }
    }
}
