//! Paying bills: payment runs, the payments (the check register, one payment, its void),
//! accounts payable aging and the 1099 totals. For the bookkeeper and the office manager.
//! Amounts are integer cents.

use super::{ApiJson, ApiPath, ApiQuery, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::bill_payments::{
    ApAgingView, BillPaymentView, CheckRegisterView, PaymentRunInput, PaymentRunView, Vendors1099View, VoidPaymentInput, year_of,
};
use medoffice_app::ledger::default_journal_range;
use medoffice_domain::ValidationErrors;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct RangeParams {
    /// `YYYY-MM-DD`; blank for the start of the default range (the month before last).
    pub from: String,
    /// `YYYY-MM-DD`; blank for today.
    pub to: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct AsOfParams {
    /// `YYYY-MM-DD`; blank for today.
    pub as_of: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct YearParams {
    /// The calendar year; blank for this year.
    pub year: String,
}

fn date_param(field: &str, text: &str, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    if text.trim().is_empty() {
        return Ok(default);
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::from(ValidationErrors::single(field, "enter a date as YYYY-MM-DD")).into())
}

/// Pays bills: one payment per vendor (a check or an ACH transfer), each bill's `amount_cents`
/// being what is settled of it (at most its open balance). Paying a bill in full within its
/// discount window takes the discount. Refused with 422 naming each field at fault
/// (`payments[i].reference`, `payments[i].bills[j].amount_cents`, `payment_date`...); nothing is
/// written then.
#[utoipa::path(post, path = "/api/v1/payment-runs", tag = "payables", request_body = PaymentRunInput,
    responses((status = 201, body = PaymentRunView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<PaymentRunView>), ApiError> {
    let body: PaymentRunInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.pay_bills(&actor, &body).await?)))
}

/// The check register: payments dated in a range, voided ones included (status `voided`).
#[utoipa::path(get, path = "/api/v1/bill-payments", tag = "payables", params(RangeParams),
    responses((status = 200, body = CheckRegisterView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<RangeParams>,
) -> Result<Json<CheckRegisterView>, ApiError> {
    let (from, to) = default_journal_range(actor.today(state.app.now()));
    let from = date_param("from", &params.from, from)?;
    let to = date_param("to", &params.to, to)?;
    Ok(Json(state.app.check_register(&actor, from, to).await?))
}

/// One payment with the bills it paid.
#[utoipa::path(get, path = "/api/v1/bill-payments/{id}", tag = "payables", params(("id" = String, Path)),
    responses((status = 200, body = BillPaymentView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BillPaymentView>, ApiError> {
    Ok(Json(state.app.bill_payment(&actor, &id).await?))
}

/// Voids a payment (a spoiled check): its entry is reversed, dated `date` (blank: the payment's
/// date), and its bills are open again. Once only: 409 after.
#[utoipa::path(post, path = "/api/v1/bill-payments/{id}/void", tag = "payables", params(("id" = String, Path)), request_body = VoidPaymentInput,
    responses((status = 200, body = BillPaymentView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn void(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<BillPaymentView>, ApiError> {
    let body: VoidPaymentInput = from_json(&body)?;
    Ok(Json(state.app.void_bill_payment(&actor, &id, &body).await?))
}

/// Accounts payable aging as of a date: each vendor's open bills by days past due (current,
/// 1-30, 31-60, 61-90, over 90), the totals, and the Accounts payable (2000) balance they should
/// equal (`difference_cents` zero when they tie).
#[utoipa::path(get, path = "/api/v1/ap-aging", tag = "payables", params(AsOfParams),
    responses((status = 200, body = ApAgingView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn aging(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<AsOfParams>,
) -> Result<Json<ApAgingView>, ApiError> {
    let as_of = date_param("as_of", &params.as_of, actor.today(state.app.now()))?;
    Ok(Json(state.app.ap_aging(&actor, as_of).await?))
}

/// What each 1099 vendor was paid in a calendar year (cash, by payment date, voided payments
/// left out), with its tax id.
#[utoipa::path(get, path = "/api/v1/vendors/1099", tag = "payables", params(YearParams),
    responses((status = 200, body = Vendors1099View), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn vendors_1099(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<YearParams>,
) -> Result<Json<Vendors1099View>, ApiError> {
    let year = if params.year.trim().is_empty() {
        year_of(actor.today(state.app.now()))
    } else {
        params.year.trim().parse::<i32>().map_err(|_| AppError::from(ValidationErrors::single("year", "enter a year such as 2026")))?
    };
    Ok(Json(state.app.vendor_1099_totals(&actor, year).await?))
}
