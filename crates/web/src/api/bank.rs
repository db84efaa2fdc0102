//! Bank reconciliation through the API: import a statement (multipart like the page's form, or
//! JSON with the file's text), list statements, read one with each line's match and the
//! reconciliation's difference, match (one ledger line or a deposit batch), unmatch, ignore or
//! post a line, mark the starting point's history cleared, and mark the account reconciled.
//! Amounts are integer cents, signed the bank's way (a deposit positive).

use super::{ApiJson, ApiPath, ApiQuery, Page, from_json};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::bank_reconciliation::{
    BankLineView, ImportResult, ImportStatementInput, MarkClearedInput, PostBankLineInput, ReconcileInput, ReconciliationView,
    StatementSummaryView, StatementView,
};
use medoffice_domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A statement sent as JSON: the file's text as it came from the bank.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementUpload {
    /// The cash account (`ledger_account.id`, see `GET /api/v1/ledger/accounts`).
    pub account_id: String,
    #[serde(default)]
    pub file_name: String,
    /// The CSV or OFX file's text.
    pub text: String,
}

fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError(AppError::Validation(ValidationErrors::single(field, message)))
}

/// Imports a statement into a cash account: `multipart/form-data` with `account_id` and `file`,
/// or JSON `{account_id, file_name, text}`. Lines the account has already (by FITID or as an
/// identical CSV line) are left out; `statement_id` is null when nothing was new. A file that
/// cannot be read is 422 on `file`, naming the line; an unknown account 422 on `account_id`.
#[utoipa::path(post, path = "/api/v1/bank/statements", tag = "bank", request_body = StatementUpload,
    responses((status = 201, body = ImportResult), (status = 200, body = ImportResult, description = "nothing new"),
        (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import(State(state): State<AppState>, ApiActor(actor): ApiActor, request: Request) -> Response {
    match import_statement(&state, &actor, request).await {
        Ok(done) => done.into_response(),
        Err(Rejected::Api(e)) => e.into_response(),
        Err(Rejected::Body(p)) => p.into_response(),
    }
}

enum Rejected {
    Api(ApiError),
    Body(Problem),
}

impl From<ApiError> for Rejected {
    fn from(e: ApiError) -> Self {
        Rejected::Api(e)
    }
}

impl From<AppError> for Rejected {
    fn from(e: AppError) -> Self {
        Rejected::Api(ApiError(e))
    }
}

async fn import_statement(
    state: &AppState,
    actor: &medoffice_app::Actor,
    request: Request,
) -> Result<(StatusCode, Json<ImportResult>), Rejected> {
    let input = if super::is_multipart(&request) {
        let mut upload = super::multipart_upload(request, &["account_id"]).await?;
        ImportStatementInput {
            account_id: upload.fields.remove("account_id").unwrap_or_default(),
            file_name: upload.file_name,
            bytes: upload.bytes,
        }
    } else {
        let ApiJson(body) = ApiJson::<serde_json::Value>::from_request(request, &()).await.map_err(Rejected::Body)?;
        let body: StatementUpload = from_json(&body)?;
        ImportStatementInput { account_id: body.account_id, file_name: body.file_name, bytes: body.text.into_bytes() }
    };
    let done = state.app.import_bank_statement(actor, &input).await?;
    let status = if done.statement_id.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(done)))
}

/// The statements imported, the latest first, with how many lines are still unmatched.
#[utoipa::path(get, path = "/api/v1/bank/statements", tag = "bank",
    responses((status = 200, body = Page<StatementSummaryView>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<StatementSummaryView>>, ApiError> {
    Ok(Json(Page::all(state.app.bank_statements(&actor).await?)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct StatementParams {
    /// `YYYY-MM-DD`; blank for the statement's own date.
    pub end_date: String,
    /// The bank's ending balance in cents; blank for the statement's own.
    pub ending_balance_cents: Option<i64>,
}

/// A statement with the cash account's reconciliation on its date.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDetail {
    pub statement: StatementView,
    /// `difference_cents` is zero when the account reconciles.
    pub reconciliation: ReconciliationView,
}

/// One statement: each line with its status (`unmatched`, `matched`, `ignored`), its match (and
/// the rest of a deposit batch) or suggested ledger lines, and the reconciliation's figures.
#[utoipa::path(get, path = "/api/v1/bank/statements/{id}", tag = "bank", params(("id" = String, Path), StatementParams),
    responses((status = 200, body = StatementDetail), (status = 404, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<StatementParams>,
) -> Result<Json<StatementDetail>, ApiError> {
    Ok(Json(detail(&state, &actor, &id, &params.end_date, params.ending_balance_cents).await?))
}

async fn detail(
    state: &AppState,
    actor: &medoffice_app::Actor,
    id: &str,
    end_date: &str,
    balance: Option<i64>,
) -> Result<StatementDetail, ApiError> {
    let statement = state.app.bank_statement(actor, id).await?;
    let end_text = if end_date.trim().is_empty() {
        statement.ending_date.clone().or_else(|| statement.period_end.clone()).unwrap_or_default()
    } else {
        end_date.trim().to_string()
    };
    let end = NaiveDate::parse_from_str(&end_text, "%Y-%m-%d").map_err(|_| field_error("end_date", "enter a date as YYYY-MM-DD"))?;
    let balance = balance.or(statement.ending_balance_cents);
    let reconciliation = state.app.bank_reconciliation(actor, &statement.account_id, end, balance).await?;
    Ok(StatementDetail { statement, reconciliation })
}

/// A ledger line to match.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerLineRef {
    pub entry_id: String,
    pub line_number: i64,
}

/// The ledger lines of the cash account to match a bank line with: one, or several whose sum is
/// the bank line's amount (a deposit batch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchBody {
    pub ledger_lines: Vec<LedgerLineRef>,
}

/// Matches a bank line. 422 on `ledger_line` when a line is not the account's or the amounts
/// differ; 409 when a ledger line is matched or cleared already or the bank line is not unmatched.
#[utoipa::path(post, path = "/api/v1/bank/lines/{id}/match", tag = "bank", params(("id" = String, Path)), request_body = MatchBody,
    responses((status = 200, body = BankLineView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn match_line(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<BankLineView>, ApiError> {
    let body: MatchBody = from_json(&body)?;
    let lines: Vec<(String, i64)> = body.ledger_lines.into_iter().map(|l| (l.entry_id, l.line_number)).collect();
    state.app.match_bank_line_to(&actor, &id, &lines).await?;
    Ok(Json(state.app.bank_line(&actor, &id).await?))
}

/// Unmatches a bank line (or restores an ignored one); 409 once a reconciliation cleared it.
#[utoipa::path(post, path = "/api/v1/bank/lines/{id}/unmatch", tag = "bank", params(("id" = String, Path)),
    responses((status = 200, body = BankLineView), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn unmatch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BankLineView>, ApiError> {
    state.app.unmatch_bank_line(&actor, &id).await?;
    Ok(Json(state.app.bank_line(&actor, &id).await?))
}

/// Sets an unmatched bank line aside; 409 when it is not unmatched.
#[utoipa::path(post, path = "/api/v1/bank/lines/{id}/ignore", tag = "bank", params(("id" = String, Path)),
    responses((status = 200, body = BankLineView), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn ignore(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BankLineView>, ApiError> {
    state.app.ignore_bank_line(&actor, &id).await?;
    Ok(Json(state.app.bank_line(&actor, &id).await?))
}

/// Posts the entry of a bank line the books lack (a fee: Dr `account` or 6600, Cr cash; money
/// in: Dr cash, Cr `account` or 4900) and matches the line with it. 422 on `account`.
#[utoipa::path(post, path = "/api/v1/bank/lines/{id}/post", tag = "bank", params(("id" = String, Path)), request_body = PostBankLineInput,
    responses((status = 200, body = BankLineView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn post_line(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<BankLineView>, ApiError> {
    let body: PostBankLineInput = from_json(&body)?;
    state.app.post_bank_line(&actor, &id, &body).await?;
    Ok(Json(state.app.bank_line(&actor, &id).await?))
}

/// Marks the starting point of a first reconciliation: one ledger line (`ledger_line`:
/// `entry_id:line_number`) or every open line dated before `before`, all dated before the
/// statement's first day, as cleared by the bank already. Answers how many lines it cleared.
#[utoipa::path(post, path = "/api/v1/bank/statements/{id}/clear", tag = "bank", params(("id" = String, Path)), request_body = MarkClearedInput,
    responses((status = 200, body = StatementDetail), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn clear(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<StatementDetail>, ApiError> {
    let mut body: MarkClearedInput = from_json(&body)?;
    body.statement_id = id.clone();
    state.app.mark_bank_lines_cleared(&actor, &body).await?;
    Ok(Json(detail(&state, &actor, &id, "", None).await?))
}

/// "Mark reconciled" of a statement.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileBody {
    /// `YYYY-MM-DD`; blank for the statement's own date.
    #[serde(default)]
    pub end_date: String,
    /// The bank's ending balance; absent for the statement's own.
    pub ending_balance_cents: Option<i64>,
}

/// Marks the cash account reconciled on the statement's date. Refused with 422 on
/// `ending_balance` (naming the difference) unless the cleared balance equals the ending
/// balance; 409 when that date is reconciled already.
#[utoipa::path(post, path = "/api/v1/bank/statements/{id}/reconcile", tag = "bank", params(("id" = String, Path)), request_body = ReconcileBody,
    responses((status = 200, body = ReconciliationView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn reconcile(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ReconciliationView>, ApiError> {
    let body: ReconcileBody = from_json(&body)?;
    let statement = state.app.bank_statement(&actor, &id).await?;
    let end_date = if body.end_date.trim().is_empty() {
        statement.ending_date.clone().or_else(|| statement.period_end.clone()).unwrap_or_default()
    } else {
        body.end_date
    };
    let Some(balance) = body.ending_balance_cents.or(statement.ending_balance_cents) else {
        return Err(field_error("ending_balance_cents", "the statement states no ending balance: send it"));
    };
    let input = ReconcileInput {
        account_id: statement.account_id,
        statement_id: id,
        end_date,
        ending_balance: format!(
            "{}{}.{:02}",
            if balance < 0 { "-" } else { "" },
            balance.unsigned_abs() / 100,
            balance.unsigned_abs() % 100
        ),
    };
    Ok(Json(state.app.mark_reconciled(&actor, &input).await?))
}
