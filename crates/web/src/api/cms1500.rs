//! Paper claims through the API: a claim on the CMS-1500 (02/12) form as a PDF (plain paper or the
//! red form's data only), "Print paper claims" for the payers that take paper only, and a print's
//! kept PDF.

use super::{ApiJson, ApiPath, ApiQuery, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use medoffice_app::cms1500::{ClaimFormFile, FormKind, PaperPrintResult};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// How to print.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(default)]
pub struct FormParams {
    /// `plain` (default): the form drawn on blank paper; `red`: data only, for the pre-printed
    /// red form, moved by the practice's alignment offsets.
    pub form: String,
}

fn pdf(file: ClaimFormFile) -> Response {
    let safe: String = file.filename.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    (
        [(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\""))],
        file.bytes,
    )
        .into_response()
}

/// A claim (any status, a draft too) on the CMS-1500 (02/12) form: six service lines a sheet,
/// each sheet totalled.
#[utoipa::path(get, path = "/api/v1/claims/{id}/cms1500", tag = "claims", params(("id" = String, Path), FormParams),
    responses((status = 200, content_type = "application/pdf", description = "the form as a PDF"), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn claim_form(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<FormParams>,
) -> Result<Response, ApiError> {
    let kind = FormKind::parse(&p.form)?;
    Ok(pdf(state.app.claim_form_pdf(&actor, &id, kind).await?))
}

/// Prints every ready claim of the payers that take no electronic claims into one PDF, keeps it
/// and marks the claims sent. Answers the print (none when nothing was ready); its file is at
/// `/api/v1/claims/paper-prints/{id}/file`.
#[utoipa::path(post, path = "/api/v1/claims/paper-prints", tag = "claims", request_body = FormParams,
    responses((status = 200, body = PaperPrintResult), (status = 422, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn print(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PaperPrintResult>, ApiError> {
    let params: FormParams = from_json(&body)?;
    let kind = FormKind::parse(&params.form)?;
    Ok(Json(state.app.print_paper_claims(&actor, kind).await?))
}

/// A print's PDF as it was printed, to print again.
#[utoipa::path(get, path = "/api/v1/claims/paper-prints/{id}/file", tag = "claims", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", description = "the printed claims"), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn print_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    Ok(pdf(state.app.paper_print_file(&actor, &id).await?))
}
