//! The books: the chart of accounts, journal entries (post, read, reverse) and the trial balance.
//! For the bookkeeper and the office manager. Amounts are integer cents.

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::ledger::{AccountView, EntryView, JournalEntryInput, ReverseInput, TrialBalanceView};
use medoffice_domain::ValidationErrors;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct TrialBalanceParams {
    /// `YYYY-MM-DD`; blank for today.
    pub as_of: String,
}

/// A reversal: its date (blank for the original's) and why (blank for "Reversal of entry #N").
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ReverseBody {
    pub date: String,
    pub memo: String,
}

/// The chart of accounts by number.
#[utoipa::path(get, path = "/api/v1/ledger/accounts", tag = "ledger",
    responses((status = 200, body = Page<AccountView>), (status = 403, body = Problem)))]
pub async fn accounts(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<AccountView>>, ApiError> {
    Ok(Json(Page::all(state.app.chart_of_accounts(&actor).await?)))
}

/// Posts a journal entry. Refused with 422 naming the field when it does not balance, has fewer
/// than two lines, a zero line, an unknown or closed account (`lines[N].account`) or a date in a
/// closed month (`date`). The same `idempotency_key` again answers the first entry.
#[utoipa::path(post, path = "/api/v1/ledger/entries", tag = "ledger", request_body = JournalEntryInput,
    responses((status = 201, body = EntryView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn post_entry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<EntryView>), ApiError> {
    let body: JournalEntryInput = from_json(&body)?;
    Ok((StatusCode::CREATED, Json(state.app.post_journal_entry(&actor, &body).await?)))
}

/// One journal entry with its lines and reversal links.
#[utoipa::path(get, path = "/api/v1/ledger/entries/{id}", tag = "ledger", params(("id" = String, Path)),
    responses((status = 200, body = EntryView), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn get_entry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EntryView>, ApiError> {
    Ok(Json(state.app.journal_entry(&actor, &id).await?))
}

/// Reverses an entry (every side swapped, linked to it). An entry is reversed once: 409 after.
#[utoipa::path(post, path = "/api/v1/ledger/entries/{id}/reverse", tag = "ledger", params(("id" = String, Path)), request_body = ReverseBody,
    responses((status = 201, body = EntryView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn reverse_entry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<EntryView>), ApiError> {
    let body: ReverseBody = from_json(&body)?;
    let view = state.app.reverse_entry(&actor, &id, &ReverseInput { date: body.date, memo: body.memo }).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The trial balance as of a date: each account's balance on its side, and the two totals.
#[utoipa::path(get, path = "/api/v1/ledger/trial-balance", tag = "ledger", params(TrialBalanceParams),
    responses((status = 200, body = TrialBalanceView), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn trial_balance(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<TrialBalanceParams>,
) -> Result<Json<TrialBalanceView>, ApiError> {
    let as_of = if params.as_of.trim().is_empty() {
        actor.today(state.app.now())
    } else {
        NaiveDate::parse_from_str(params.as_of.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::from(ValidationErrors::single("as_of", "enter a date as YYYY-MM-DD")))?
    };
    Ok(Json(state.app.trial_balance(&actor, as_of).await?))
}
