//! Accounts payable: vendors (list, add, read, change) and their bills (list by status, enter with
//! lines in cents, read with lines and attachments). Entering a bill posts its journal entry in the
//! same transaction. Reading needs the books' right; writing the bookkeeper's posting right.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medoffice_app::payables::{BillDetailView, BillView, NewBillInput, NewVendorInput, VendorBalanceView, VendorView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The bill list's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct BillParams {
    /// `open` or `paid`; blank for every bill.
    pub status: String,
    /// One vendor's bills; blank for every vendor.
    pub vendor_id: String,
}

/// A change to some of a vendor's fields: the members sent replace the vendor's, the others stay.
/// An empty string clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VendorPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub tax_id: Option<String>,
    pub default_expense_account: Option<String>,
    pub payment_terms: Option<String>,
    pub is_1099: Option<bool>,
}

/// The vendors by name, each with its open balance on accounts payable (`open_balance_cents`).
#[utoipa::path(get, path = "/api/v1/vendors", tag = "payables",
    responses((status = 200, body = Page<VendorBalanceView>), (status = 403, body = Problem)))]
pub async fn vendors(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<VendorBalanceView>>, ApiError> {
    Ok(Json(Page::all(state.app.vendors_with_balances(&actor).await?)))
}

/// Adds a vendor. `payment_terms` is `due_on_receipt`, `net_N`, `P/D net N` (e.g. `2/10 net 30`)
/// or `day_of_month:D`; `default_expense_account` an open expense or asset account's number.
/// Every field at fault is named in a 422.
#[utoipa::path(post, path = "/api/v1/vendors", tag = "payables", request_body = NewVendorInput,
    responses((status = 201, body = VendorView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_vendor(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<VendorView>), ApiError> {
    let body: NewVendorInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.add_vendor(&actor, &body).await?)))
}

/// One vendor.
#[utoipa::path(get, path = "/api/v1/vendors/{id}", tag = "payables", params(("id" = String, Path)),
    responses((status = 200, body = VendorView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn vendor(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VendorView>, ApiError> {
    Ok(Json(state.app.vendor(&actor, &id).await?))
}

/// Replaces a vendor's fields (a member left out is blank, as on a new vendor). Bills already
/// entered keep their due dates.
#[utoipa::path(put, path = "/api/v1/vendors/{id}", tag = "payables", params(("id" = String, Path)), request_body = NewVendorInput,
    responses((status = 200, body = VendorView), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 403, body = Problem)))]
pub async fn replace_vendor(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<VendorView>, ApiError> {
    let body: NewVendorInput = from_json(&body)?;
    Ok(Json(state.app.update_vendor(&actor, &id, &body).await?))
}

/// Changes the members sent of a vendor; the others stay as they are.
#[utoipa::path(patch, path = "/api/v1/vendors/{id}", tag = "payables", params(("id" = String, Path)), request_body = VendorPatch,
    responses((status = 200, body = VendorView), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 403, body = Problem)))]
pub async fn patch_vendor(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<VendorView>, ApiError> {
    let patch: VendorPatch = from_json(&body)?;
    let current = state.app.vendor(&actor, &id).await?;
    let input = NewVendorInput {
        name: patch.name.unwrap_or(current.name),
        address: patch.address.or(current.address).unwrap_or_default(),
        contact: patch.contact.or(current.contact).unwrap_or_default(),
        tax_id: patch.tax_id.or(current.tax_id).unwrap_or_default(),
        default_expense_account: patch.default_expense_account.or(current.default_expense_account).unwrap_or_default(),
        payment_terms: patch.payment_terms.unwrap_or(current.payment_terms),
        is_1099: patch.is_1099.unwrap_or(current.is_1099),
    };
    Ok(Json(state.app.update_vendor(&actor, &id, &input).await?))
}

/// Bills newest first, filtered by `status` and `vendor_id` (at most 500).
#[utoipa::path(get, path = "/api/v1/bills", tag = "payables", params(BillParams),
    responses((status = 200, body = Page<BillView>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn bills(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<BillParams>,
) -> Result<Json<Page<BillView>>, ApiError> {
    Ok(Json(Page::all(state.app.bills(&actor, &params.status, &params.vendor_id).await?)))
}

/// Enters a vendor's bill: `lines` of `account` (blank: the vendor's default) and `amount_cents`.
/// The due date follows from the vendor's terms; the bill's journal entry (Dr the lines, Cr
/// Accounts payable) is posted with it. A bill number the vendor used before is refused on
/// `bill_number`; a line at fault on `lines[N].account` or `lines[N].amount_cents`.
#[utoipa::path(post, path = "/api/v1/bills", tag = "payables", request_body = NewBillInput,
    responses((status = 201, body = BillDetailView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn enter_bill(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<BillDetailView>), ApiError> {
    let body: NewBillInput = from_json(&body)?;
    let entered = state.app.enter_bill(&actor, &body).await?;
    Ok((StatusCode::CREATED, Json(state.app.bill(&actor, &entered.id).await?)))
}

/// One bill with its lines, status, due date, journal entry and attachments.
#[utoipa::path(get, path = "/api/v1/bills/{id}", tag = "payables", params(("id" = String, Path)),
    responses((status = 200, body = BillDetailView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn bill(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BillDetailView>, ApiError> {
    Ok(Json(state.app.bill(&actor, &id).await?))
}
