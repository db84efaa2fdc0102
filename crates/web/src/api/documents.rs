//! Medical files: documents of every kind filed by category (patient records, accounting
//! records, contracts, business documents) with their versions. Uploads are
//! `multipart/form-data` with one `file` part, or several `file` parts (scanned pages, JPEG or
//! PNG) combined into one PDF. Access follows the category's class; every read is audited.

use super::{ApiPath, ApiQuery, Page, multipart_upload};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use medoffice_app::AppError;
use medoffice_app::documents::{ContentUse, DocumentContent, DocumentInput, DocumentListItem, DocumentQuery, DocumentView};
use medoffice_app::patients::Upload;
use medoffice_domain::documents::MAX_DOCUMENT_BYTES;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The text parts an upload reads besides `file`.
const UPLOAD_FIELDS: [&str; 8] = ["category", "title", "description", "document_date", "patient_id", "payer_id", "vendor_id", "claim_id"];

/// An upload's body may be as large as the largest document plus the form's text.
fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1024 * 1024)
}

pub(super) fn upload_route() -> MethodRouter<AppState> {
    post(upload).layer(body_limit())
}

pub(super) fn patient_upload_route() -> MethodRouter<AppState> {
    post(upload_for_patient).layer(body_limit())
}

pub(super) fn version_route() -> MethodRouter<AppState> {
    post(add_version).layer(body_limit())
}

/// The form of an upload (`multipart/form-data`), as the OpenAPI document describes it.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DocumentUploadForm {
    /// The file (PDF, JPEG or PNG, at most 25 MB); repeat the part for several scanned pages
    /// (JPEG or PNG), which become one PDF.
    #[schema(format = Binary, value_type = String)]
    pub file: Vec<u8>,
    /// A category key: `referral`, `outside_records`, `consent_form`, `insurance_card`,
    /// `lab_result`, `patient_other`, `eob`, `deposit_slip`, `bank_statement`, `accounting_other`,
    /// `payer_contract`, `lease`, `vendor_agreement`, `licence`, `policy`, `insurance_policy`,
    /// `business_other`.
    pub category: String,
    /// Blank: the file's name.
    pub title: Option<String>,
    pub description: Option<String>,
    /// `YYYY-MM-DD`; blank: today.
    pub document_date: Option<String>,
    /// Only on `POST /api/v1/documents` (in the path otherwise).
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
}

/// A new version's form (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DocumentVersionForm {
    /// The file; repeat for several scanned pages.
    #[schema(format = Binary, value_type = String)]
    pub file: Vec<u8>,
    /// What changed.
    pub note: Option<String>,
}

/// A list's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct DocumentParams {
    /// Words, each of which the title, description, file name or text layer must hold.
    pub q: String,
    pub category: String,
    pub patient_id: String,
    pub payer_id: String,
    pub vendor_id: String,
    pub claim_id: String,
}

/// Which version's bytes, and how.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ContentParams {
    /// A version number; absent for the current version.
    pub version: Option<i64>,
    /// `inline` to show the file in a browser; `attachment` (the default) to save it.
    pub disposition: Option<String>,
}

fn uploads(files: Vec<(String, Vec<u8>)>) -> Vec<Upload> {
    files.into_iter().map(|(file_name, bytes)| Upload { file_name, content_type: String::new(), bytes }).collect()
}

async fn read_upload(request: Request, fields: &[&str]) -> Result<(DocumentInput, Vec<Upload>), ApiError> {
    let form = multipart_upload(request, fields).await?;
    let get = |name: &str| form.fields.get(name).cloned().unwrap_or_default();
    let input = DocumentInput {
        category: get("category"),
        title: get("title"),
        description: get("description"),
        document_date: get("document_date"),
        patient_id: get("patient_id"),
        payer_id: get("payer_id"),
        vendor_id: get("vendor_id"),
        claim_id: get("claim_id"),
    };
    Ok((input, uploads(form.files)))
}

/// Files a patient's document (a referral, outside records, a consent form, an insurance card...).
#[utoipa::path(post, path = "/api/v1/patients/{id}/documents", tag = "documents", params(("id" = String, Path)),
    request_body(content = DocumentUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn upload_for_patient(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let (mut input, files) = read_upload(request, &UPLOAD_FIELDS[..4]).await?;
    input.patient_id = id;
    match state.app.upload_document(&actor, &input, files).await {
        Ok(view) => Ok((StatusCode::CREATED, Json(view))),
        // The patient in the path does not exist: the resource is not found, not a field error.
        Err(AppError::Validation(e)) if e.errors.iter().any(|f| f.field == "patient_id") => Err(ApiError(AppError::NotFound("patient"))),
        Err(e) => Err(e.into()),
    }
}

/// A patient's documents in the classes the caller may handle, newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/documents", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = Page<DocumentListItem>), (status = 403, body = Problem)))]
pub async fn patient_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Page<DocumentListItem>>, ApiError> {
    Ok(Json(Page::all(state.app.patient_documents(&actor, &id).await?)))
}

/// Files a document: a contract, a licence, an EOB, a bank statement... (`patient_id`,
/// `payer_id`, `vendor_id`, `claim_id` link it).
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    request_body(content = DocumentUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    request: Request,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let (input, files) = read_upload(request, &UPLOAD_FIELDS).await?;
    Ok((StatusCode::CREATED, Json(state.app.upload_document(&actor, &input, files).await?)))
}

/// Documents by words (`q`), category, patient, payer, vendor or claim; only the categories the
/// caller may handle; newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(DocumentParams),
    responses((status = 200, body = Page<DocumentListItem>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<DocumentParams>,
) -> Result<Json<Page<DocumentListItem>>, ApiError> {
    let query = DocumentQuery {
        q: p.q,
        category: p.category,
        patient_id: p.patient_id,
        payer_id: p.payer_id,
        vendor_id: p.vendor_id,
        claim_id: p.claim_id,
    };
    Ok(Json(Page::all(state.app.documents(&actor, &query).await?)))
}

/// One document with its versions (newest first).
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(state.app.document(&actor, &id).await?))
}

/// A version's bytes (the current one by default), checked against its stored hash; a damaged
/// file is 500 naming the document.
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "documents", params(("id" = String, Path), ContentParams),
    responses((status = 200, description = "The file (PDF, JPEG or PNG)", content_type = "application/octet-stream", body = String),
        (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn content(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ContentParams>,
) -> Result<Response, ApiError> {
    let inline = p.disposition.as_deref() == Some("inline");
    let usage = if inline { ContentUse::View } else { ContentUse::Download };
    let content = state.app.document_content(&actor, &id, p.version, usage).await?;
    Ok(content_response(content, inline))
}

/// Adds a new version; the earlier ones are kept.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents", params(("id" = String, Path)),
    request_body(content = DocumentVersionForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 422, body = Problem), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn add_version(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let form = multipart_upload(request, &["note"]).await?;
    let note = form.fields.get("note").cloned().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(state.app.add_document_version(&actor, &id, uploads(form.files), &note).await?)))
}

/// A stored document's bytes as a response: its own content type, `nosniff`, never cached, and
/// its name (ASCII, with the exact name in RFC 5987's `filename*`), `inline` to preview or
/// `attachment` to save. A preview may be framed by medoffice's own pages (and only by them).
pub(crate) fn content_response(content: DocumentContent, inline: bool) -> Response {
    let name = content.file_name;
    let ascii: String =
        name.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    let mut response = (
        [
            (header::CONTENT_TYPE, content.content_type),
            (header::CONTENT_DISPOSITION, format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        content.bytes,
    )
        .into_response();
    if inline {
        response.headers_mut().insert(header::X_FRAME_OPTIONS, axum::http::HeaderValue::from_static("SAMEORIGIN"));
    }
    response
}
