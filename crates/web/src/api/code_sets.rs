//! Code sets, payers' claim details and fee schedules: ICD-10-CM and procedure code searches, the
//! procedure file import, one payer read and changed, and the fee schedule with its lookups.
//! Money is integer cents.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use medoffice_app::code_sets::{DiagnosisSearch, DiagnosisView, ImportSummary, ProcedureImport, ProcedureSearch, ProcedureView};
use medoffice_app::fees::{FeeInput, FeeQuery, FeeQuote, FeeScheduleView, PayerFeeView, StandardFeeView};
use medoffice_app::payers::{PayerDetailView, PayerInput};
use serde::Deserialize;
use utoipa::IntoParams;

/// A diagnosis search's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct DiagnosisParams {
    /// A code or its start (`J02`, `e119`) or words of the description (`strep pharyngitis`).
    pub q: String,
    /// `true` for codes that may go on a claim only.
    pub billable_only: bool,
    /// `YYYY-MM-DD`: codes in effect on this date of service (default today).
    pub on: String,
    /// At most this many (default 25, at most 200).
    pub limit: i64,
}

/// A procedure search's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ProcedureParams {
    /// A code or its start (`9921`) or words of the description.
    pub q: String,
    /// `cpt`, `hcpcs` or blank for both.
    pub code_set: String,
    /// `YYYY-MM-DD` (default today).
    pub on: String,
    pub limit: i64,
}

/// One diagnosis code's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct OnParams {
    /// `YYYY-MM-DD` (default today).
    pub on: String,
}

/// Whose expected amounts the fee schedule shows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct FeeScheduleParams {
    /// A payer's id, for its expected (allowed) amounts beside the standard fees.
    pub payer_id: String,
}

/// A fee lookup's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct QuoteParams {
    pub code: String,
    pub modifier: String,
    pub payer_id: String,
}

/// ICD-10-CM codes by code or words: the code typed exactly first (`"match": "exact"`), then the
/// codes starting with it (`code_prefix`), then codes whose description has every word
/// (`description`, shortest first).
#[utoipa::path(get, path = "/api/v1/codes/icd10cm", tag = "codes", params(DiagnosisParams),
    responses((status = 200, body = Page<DiagnosisView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn icd10cm(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<DiagnosisParams>,
) -> Result<Json<Page<DiagnosisView>>, ApiError> {
    let search = DiagnosisSearch { q: p.q, billable_only: p.billable_only, on: p.on, limit: p.limit };
    Ok(Json(Page::all(state.app.search_diagnoses(&actor, &search).await?)))
}

/// One ICD-10-CM code (dotted or not) in effect on a date.
#[utoipa::path(get, path = "/api/v1/codes/icd10cm/{id}", tag = "codes", params(("id" = String, Path, description = "The code, with or without its dot"), OnParams),
    responses((status = 200, body = DiagnosisView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn icd10cm_code(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(code): ApiPath<String>,
    ApiQuery(p): ApiQuery<OnParams>,
) -> Result<Json<DiagnosisView>, ApiError> {
    Ok(Json(state.app.diagnosis(&actor, &code, &p.on).await?))
}

/// The practice's CPT and HCPCS codes by code or words.
#[utoipa::path(get, path = "/api/v1/codes/procedures", tag = "codes", params(ProcedureParams),
    responses((status = 200, body = Page<ProcedureView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn procedures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<ProcedureParams>,
) -> Result<Json<Page<ProcedureView>>, ApiError> {
    let search = ProcedureSearch { q: p.q, code_set: p.code_set, on: p.on, limit: p.limit };
    Ok(Json(Page::all(state.app.search_procedures(&actor, &search).await?)))
}

/// Imports the practice's CPT or HCPCS file (`text`: one code a line, tab or comma separated).
/// A file with any bad line is refused whole, with an error per line (`"field": "file"`,
/// `"message": "line 3: ..."`).
#[utoipa::path(post, path = "/api/v1/codes/procedures/import", tag = "codes", request_body = ProcedureImport,
    responses((status = 200, body = ImportSummary), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import_procedures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ImportSummary>, ApiError> {
    let import: ProcedureImport = from_json(&body)?;
    Ok(Json(state.app.import_procedure_codes(&actor, &import).await?))
}

/// One payer with its claim details (electronic id, SBR09, paper address, timely filing).
#[utoipa::path(get, path = "/api/v1/payers/{id}", tag = "practice", params(("id" = String, Path)),
    responses((status = 200, body = PayerDetailView), (status = 404, body = Problem)))]
pub async fn payer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PayerDetailView>, ApiError> {
    Ok(Json(state.app.payer(&actor, &id).await?))
}

/// Changes a payer (every field; `"active": false` deactivates it).
#[utoipa::path(put, path = "/api/v1/payers/{id}", tag = "practice", params(("id" = String, Path)), request_body = PayerInput,
    responses((status = 200, body = PayerDetailView), (status = 404, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn update_payer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PayerDetailView>, ApiError> {
    let input: PayerInput = from_json(&body)?;
    Ok(Json(state.app.update_payer(&actor, &id, &input).await?))
}

/// The standard fees, and one payer's expected (allowed) amounts with `payer_id`.
#[utoipa::path(get, path = "/api/v1/fee-schedule", tag = "fees", params(FeeScheduleParams),
    responses((status = 200, body = FeeScheduleView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn fee_schedule(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<FeeScheduleParams>,
) -> Result<Json<FeeScheduleView>, ApiError> {
    let payer = Some(p.payer_id.trim()).filter(|p| !p.is_empty());
    Ok(Json(state.app.fee_schedule(&actor, payer).await?))
}

/// Sets the standard fee of a code (or a code with a modifier), `amount_cents`.
#[utoipa::path(put, path = "/api/v1/fee-schedule/standard", tag = "fees", request_body = FeeInput,
    responses((status = 200, body = StandardFeeView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn set_standard_fee(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<StandardFeeView>, ApiError> {
    let input: FeeInput = from_json(&body)?;
    Ok(Json(state.app.set_standard_fee(&actor, &input).await?))
}

/// Sets a payer's expected (allowed) amount for a code, `amount_cents`.
#[utoipa::path(put, path = "/api/v1/fee-schedule/payers/{id}", tag = "fees", params(("id" = String, Path, description = "The payer")),
    request_body = FeeInput,
    responses((status = 200, body = PayerFeeView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn set_payer_fee(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PayerFeeView>, ApiError> {
    let input: FeeInput = from_json(&body)?;
    Ok(Json(state.app.set_payer_fee(&actor, &id, &input).await?))
}

/// What a code (with a modifier) is charged, and what a payer is expected to allow for it.
#[utoipa::path(get, path = "/api/v1/fee-schedule/quote", tag = "fees", params(QuoteParams),
    responses((status = 200, body = FeeQuote), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn quote(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<QuoteParams>,
) -> Result<Json<FeeQuote>, ApiError> {
    let query = FeeQuery { code: p.code, modifier: p.modifier, payer_id: p.payer_id };
    Ok(Json(state.app.fee_quote(&actor, &query).await?))
}
