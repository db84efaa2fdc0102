//! Third-party invoices: bill-to parties (`/api/v1/third-parties`), invoices with their payments,
//! void and PDF (`/api/v1/invoices`), the aging of AR - Other (`/api/v1/invoice-aging`) and the
//! late-charge run with its reversal (`/api/v1/invoice-late-charges`). Amounts are typed as
//! decimal text (`120.00`), answered in cents (`_cents`) and as text.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use medoffice_app::AppError;
use medoffice_app::invoices::{
    InvoiceAging, InvoicePaymentInput, InvoicePaymentView, InvoiceQuery, InvoiceView, LateChargeRun, LateChargeView, NewInvoiceInput,
    ThirdPartyInput, ThirdPartyView,
};
use medoffice_domain::ValidationErrors;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Why an invoice is voided, or a late charge reversed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ReasonInput {
    pub reason: String,
}

/// The day of a run or a report, `YYYY-MM-DD`; blank for today.
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(default)]
pub struct AsOfInput {
    pub as_of: String,
}

/// The invoice list's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct InvoiceParams {
    /// `open` (open or partially paid), `partially_paid`, `paid`, `void`.
    status: String,
    third_party_id: String,
    /// `current`, `days31_to60`, `days61_to90`, `days91_to120`, `over120`.
    aging: String,
}

fn as_of(text: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        t => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError(AppError::Validation(ValidationErrors::single("as_of", "enter a date as YYYY-MM-DD")))),
    }
}

/// The bill-to parties by name.
#[utoipa::path(get, path = "/api/v1/third-parties", tag = "invoices",
    responses((status = 200, body = Page<ThirdPartyView>), (status = 403, body = Problem)))]
pub async fn parties(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<ThirdPartyView>>, ApiError> {
    Ok(Json(Page::all(state.app.third_parties(&actor).await?)))
}

/// Adds a bill-to party: `name`, `kind` (`employer`, `school`, `attorney`, `practice`, `other`),
/// contact, address, e-mail, `payment_terms` (blank: `net_30`) and an optional late-charge
/// policy (`late_rate_percent`, `late_flat_fee`, `late_grace_days`, `late_minimum_balance`).
#[utoipa::path(post, path = "/api/v1/third-parties", tag = "invoices", request_body = ThirdPartyInput,
    responses((status = 201, body = ThirdPartyView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_party(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ThirdPartyView>), ApiError> {
    let input: ThirdPartyInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.add_third_party(&actor, &input).await?)))
}

/// One bill-to party.
#[utoipa::path(get, path = "/api/v1/third-parties/{id}", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = ThirdPartyView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn party(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ThirdPartyView>, ApiError> {
    Ok(Json(state.app.third_party(&actor, &id).await?))
}

/// Replaces a party's fields (issued invoices keep their terms).
#[utoipa::path(put, path = "/api/v1/third-parties/{id}", tag = "invoices", params(("id" = String, Path)), request_body = ThirdPartyInput,
    responses((status = 200, body = ThirdPartyView), (status = 404, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn replace_party(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ThirdPartyView>, ApiError> {
    let input: ThirdPartyInput = from_json(&body)?;
    Ok(Json(state.app.update_third_party(&actor, &id, &input).await?))
}

/// The invoices, newest first, with their balances and status.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(InvoiceParams),
    responses((status = 200, body = Page<InvoiceView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<InvoiceParams>,
) -> Result<Json<Page<InvoiceView>>, ApiError> {
    let query = InvoiceQuery { status: p.status, third_party_id: p.third_party_id, aging: p.aging };
    Ok(Json(Page::all(state.app.invoices(&actor, &query).await?)))
}

/// Issues an invoice: `third_party_id`, `invoice_date` (blank: today), `memo` and `lines`
/// (`description`, optional `service_date`, `amount`). It gets the next number and its due date
/// from the party's terms, and posts Dr AR - Other / Cr Other service revenue.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoices", request_body = NewInvoiceInput,
    responses((status = 201, body = InvoiceView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let input: NewInvoiceInput = from_json(&body)?;
    let invoice = state.app.create_invoice(&actor, &input).await?;
    let location = format!("/api/v1/invoices/{}", invoice.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(invoice)).into_response())
}

/// One invoice with its lines, payments and late charges.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    Ok(Json(state.app.invoice(&actor, &id).await?))
}

/// The printable invoice.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", description = "the invoice as a PDF"), (status = 404, body = Problem),
        (status = 403, body = Problem)))]
pub async fn pdf(State(state): State<AppState>, ApiActor(actor): ApiActor, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let (name, bytes) = state.app.invoice_pdf(&actor, &id).await?;
    Ok(pdf_response(&name, bytes))
}

/// A PDF shown in the browser, named for saving.
fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\""))], bytes)
        .into_response()
}

/// Receives a payment: `amount` (at most the balance), `method` (`check`, `ach`, `card`),
/// `reference` and `payment_date` (blank: today). Posts Dr Undeposited funds / Cr AR - Other.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/payments", tag = "invoices", params(("id" = String, Path)),
    request_body = InvoicePaymentInput,
    responses((status = 201, body = InvoicePaymentView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<InvoicePaymentView>), ApiError> {
    let input: InvoicePaymentInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.pay_invoice(&actor, &id, &input).await?)))
}

/// Voids an invoice with a `reason`: its entry (and its standing late charges) reversed. 409
/// once a payment was applied.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/void", tag = "invoices", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn void(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<InvoiceView>, ApiError> {
    let input: ReasonInput = from_json(&body)?;
    Ok(Json(state.app.void_invoice(&actor, &id, &input.reason).await?))
}

/// The aging of AR - Other by party (days from the invoice date), with the 1120 balance it ties to.
#[utoipa::path(get, path = "/api/v1/invoice-aging", tag = "invoices", params(AsOfInput),
    responses((status = 200, body = InvoiceAging), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn aging(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<AsOfInput>,
) -> Result<Json<InvoiceAging>, ApiError> {
    Ok(Json(state.app.invoice_aging(&actor, as_of(&p.as_of)?).await?))
}

/// Charges late fees as of `as_of` (blank: today) under each party's policy, at most once per
/// invoice in 30 days: a second run the same day charges nothing.
#[utoipa::path(post, path = "/api/v1/invoice-late-charges", tag = "invoices", request_body = AsOfInput,
    responses((status = 200, body = LateChargeRun), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn late_charges(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<LateChargeRun>, ApiError> {
    let input: AsOfInput = from_json(&body)?;
    let day = as_of(&input.as_of)?.unwrap_or_else(|| actor.today(state.app.now()));
    Ok(Json(state.app.apply_invoice_late_charges(&actor, day).await?))
}

/// Reverses a late charge with a `reason` (the reversal entry).
#[utoipa::path(post, path = "/api/v1/invoice-late-charges/{id}/reverse", tag = "invoices", params(("id" = String, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = LateChargeView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn reverse_late_charge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<LateChargeView>, ApiError> {
    let input: ReasonInput = from_json(&body)?;
    Ok(Json(state.app.reverse_invoice_late_charge(&actor, &id, &input.reason).await?))
}
