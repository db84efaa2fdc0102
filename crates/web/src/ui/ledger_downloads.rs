//! The ledger's reports as files (`/books/download/{report}.{csv|pdf}`): the trial balance and
//! balance sheet (`as_of`), the income statement and journal (`from`, `to`) and an account's
//! detail (`account`, `from`, `to`), with the same defaults as the pages. Each report page links
//! to its CSV and PDF for the dates it shows. The file is made and audited by
//! `App::ledger_report_file`.

use super::error_page;
use crate::AppState;
use crate::auth::PageSession;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use medoffice_app::AppError;
use medoffice_app::cash_basis::Basis;
use medoffice_app::ledger::default_journal_range;
use medoffice_app::ledger_documents::{FileFormat, LedgerReport};
use serde::Deserialize;

/// The dates and account of a download, as the report pages link them.
#[derive(Deserialize, Default)]
pub struct DownloadQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    account: String,
    /// `accrual` (blank) or `cash`, for the three statements.
    #[serde(default)]
    basis: String,
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// `GET /books/download/{file}`.
pub async fn download(
    State(state): State<AppState>,
    session: PageSession,
    Path(file): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    let Some((name, extension)) = file.rsplit_once('.') else {
        return error_page(AppError::NotFound("report"));
    };
    let Some(format) = FileFormat::parse(extension) else {
        return error_page(AppError::NotFound("report"));
    };
    let today = session.actor.today(state.app.now());
    let (journal_from, journal_to) = default_journal_range(today);
    let as_of = day(&q.as_of).unwrap_or(today);
    let range = |default_from: NaiveDate, default_to: NaiveDate| (day(&q.from).unwrap_or(default_from), day(&q.to).unwrap_or(default_to));
    let report = match name {
        "trial-balance" => LedgerReport::TrialBalance { as_of, basis: Basis::parse(&q.basis) },
        "balance-sheet" => LedgerReport::BalanceSheet { as_of, basis: Basis::parse(&q.basis) },
        "income-statement" => {
            let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
            let (from, to) = range(year_start, today);
            LedgerReport::IncomeStatement { from, to, basis: Basis::parse(&q.basis) }
        }
        "journal" => {
            let (from, to) = range(journal_from, journal_to);
            LedgerReport::Journal { from, to }
        }
        "account-detail" => {
            let (from, to) = range(journal_from, journal_to);
            LedgerReport::AccountDetail { account_id: q.account.trim().to_string(), from, to }
        }
        _ => return error_page(AppError::NotFound("report")),
    };
    match state.app.ledger_report_file(&session.actor, &report, format).await {
        Ok(f) => {
            let disposition = format!("attachment; filename=\"{}\"", f.filename);
            ([(header::CONTENT_TYPE, f.content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], f.bytes).into_response()
        }
        Err(e) => error_page(e),
    }
}
