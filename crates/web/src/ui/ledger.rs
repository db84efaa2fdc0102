//! The books (`/books`): the bookkeeper's pages of the general ledger. The chart of accounts (add
//! an account, close one), the journal and each entry (with its reversal), the manual entry form,
//! the trial balance as of a date and an account's detail with its running balance.
//!
//! The manual entry form works without JavaScript: it has a fixed number of rows, the server
//! checks everything and puts each message next to its row. `/books/ledger.js` adds the running
//! totals and the "balanced / off by" indicator while typing, and a button for more rows.

use super::{CsrfForm, FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::cash_basis::Basis;
use medoffice_app::ledger::{
    AccountDetailView, AccountView, EntryView, JOURNAL_PAGE, ManualEntryInput, ManualLineInput, NewAccountInput, ReverseInput,
    TrialBalanceView, default_journal_range,
};
use medoffice_app::ledger_reports::{BalanceSheetView, ExportFormat, IncomeStatementView, StatementSection};
use medoffice_domain::ledger::AccountType;
use medoffice_domain::money::Money;
use serde::Deserialize;
use std::collections::HashMap;

/// Rows the manual entry form shows (more are added by the script, or after a submit with more).
const FORM_ROWS: usize = 8;
/// The most rows the form takes.
const MAX_FORM_ROWS: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/books", get(chart))
        .route("/books/accounts", post(add_account))
        .route("/books/accounts/{id}", get(account))
        .route("/books/accounts/{id}/{change}", post(set_active))
        .route("/books/journal", get(journal).post(post_entry))
        .route("/books/journal/new", get(new_entry))
        .route("/books/journal/{id}", get(entry))
        .route("/books/journal/{id}/reverse", post(reverse))
        .route("/books/trial-balance", get(trial_balance))
        .route("/books/balance-sheet", get(balance_sheet))
        .route("/books/income-statement", get(income_statement))
        .route("/books/periods", get(periods).post(close_period))
        .route("/books/periods/year", post(close_year))
        .route("/books/periods/{period}/reopen", post(reopen_period))
        .route("/books/export/{file}", get(export))
        .route("/books/ledger.js", get(script))
}

/// Cents as money on screen; blank for zero (a ledger's columns leave the other side empty).
fn amount(cents: i64) -> String {
    if cents == 0 { String::new() } else { Money::from_cents(cents).to_string() }
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

#[derive(Template)]
#[template(path = "ledger_chart.html")]
struct ChartPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    accounts: Vec<AccountView>,
    form: FormState,
    type_options: Vec<(String, String)>,
    can_manage: bool,
}

async fn chart_page(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    let accounts = match state.app.chart_of_accounts(&session.actor).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let mut type_options = vec![(String::new(), "Choose a type".to_string())];
    type_options.extend(
        AccountType::ALL.iter().map(|t| (t.as_str().to_string(), format!("{} ({} balance)", t.label(), t.normal_balance().as_str()))),
    );
    render(&ChartPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title: "Chart of accounts",
        tab: "chart",
        accounts,
        form,
        type_options,
        can_manage: session.actor.role.may(medoffice_domain::security::Action::ManageAccounts),
    })
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    done: String,
}

pub async fn chart(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.done.as_str() {
        "added" => Some("The account was added.".to_string()),
        "closed" => Some("The account was closed: nothing more can be posted to it.".to_string()),
        "opened" => Some("The account is open for postings again.".to_string()),
        _ => None,
    };
    chart_page(&state, &session, FormState::default(), notice).await
}

pub async fn add_account(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = NewAccountInput {
        number: form.take("number"),
        name: form.take("name"),
        account_type: form.take("account_type"),
        parent: form.take("parent"),
    };
    match state.app.add_account(&session.actor, &input).await {
        Ok(_) => Redirect::to("/books?done=added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            chart_page(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn set_active(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, change)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    let active = match change.as_str() {
        "close" => false,
        "open" => true,
        _ => return error_page(AppError::NotFound("page")),
    };
    match state.app.set_account_active(&session.actor, &id, active).await {
        Ok(()) => Redirect::to(if active { "/books?done=opened" } else { "/books?done=closed" }).into_response(),
        Err(e) => error_page(e),
    }
}

/// An entry's line as a table shows it.
struct LineRow {
    account_id: String,
    account: String,
    memo: String,
    debit: String,
    credit: String,
}

/// An entry as the journal and its own page show it.
struct EntryRow {
    id: String,
    number: i64,
    date: String,
    memo: String,
    source: String,
    total: String,
    reversal_of: Option<String>,
    reversed_by: Option<String>,
    lines: Vec<LineRow>,
}

fn entry_row(e: EntryView) -> EntryRow {
    EntryRow {
        id: e.id,
        number: e.entry_number,
        date: e.date,
        memo: e.memo,
        source: e.source_kind,
        total: Money::from_cents(e.total_cents).to_string(),
        reversal_of: e.reversal_of,
        reversed_by: e.reversed_by,
        lines: e
            .lines
            .into_iter()
            .map(|l| LineRow {
                account_id: l.account_id,
                account: format!("{} {}", l.account_number, l.account_name),
                memo: l.memo.unwrap_or_default(),
                debit: amount(l.debit_cents),
                credit: amount(l.credit_cents),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "ledger_journal.html")]
struct JournalPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    from: String,
    to: String,
    entries: Vec<EntryRow>,
    /// The range has more entries than the page lists.
    truncated: bool,
    limit: i64,
}

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `accrual` (blank) or `cash`, for the income statement.
    #[serde(default)]
    basis: String,
}

pub async fn journal(State(state): State<AppState>, session: PageSession, Query(q): Query<RangeQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let (default_from, default_to) = default_journal_range(today);
    let from = day(&q.from).unwrap_or(default_from);
    let to = day(&q.to).unwrap_or(default_to);
    match state.app.journal(&session.actor, from, to).await {
        Ok(entries) => render(&JournalPage {
            layout: Layout::new(&session, "/books"),
            title: "Journal",
            tab: "journal",
            from: from.to_string(),
            to: to.to_string(),
            truncated: entries.len() as i64 >= JOURNAL_PAGE,
            limit: JOURNAL_PAGE,
            entries: entries.into_iter().map(entry_row).collect(),
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "ledger_entry.html")]
struct EntryPage {
    layout: Layout,
    title: String,
    tab: &'static str,
    entry: EntryRow,
    form: FormState,
    can_post: bool,
}

async fn entry_page(state: &AppState, session: &PageSession, id: &str, form: FormState, notice: Option<String>) -> Response {
    match state.app.journal_entry(&session.actor, id).await {
        Ok(e) => {
            let entry = entry_row(e);
            render(&EntryPage {
                layout: Layout::new(session, "/books").with_notice(notice),
                title: format!("Journal entry #{}", entry.number),
                tab: "journal",
                entry,
                form,
                can_post: session.actor.role.may(medoffice_domain::security::Action::PostJournal),
            })
        }
        Err(e) => error_page(e),
    }
}

pub async fn entry(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.done.as_str() {
        "posted" => Some("The entry was posted.".to_string()),
        "reversed" => Some("The reversal was posted.".to_string()),
        _ => None,
    };
    entry_page(&state, &session, &id, FormState::default(), notice).await
}

pub async fn reverse(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = ReverseInput { date: form.take("date"), memo: form.take("memo") };
    match state.app.reverse_entry(&session.actor, &id, &input).await {
        Ok(reversal) => Redirect::to(&format!("/books/journal/{}?done=reversed", reversal.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            entry_page(&state, &session, &id, form, None).await
        }
        Err(e) => error_page(e),
    }
}

/// One row of the manual entry form, with its messages.
struct FormLine {
    index: usize,
    account: String,
    debit: String,
    credit: String,
    memo: String,
    account_error: Option<String>,
    amount_error: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger_new_entry.html")]
struct NewEntryPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    form: FormState,
    lines: Vec<FormLine>,
    accounts: Vec<AccountView>,
}

async fn new_entry_page(state: &AppState, session: &PageSession, form: FormState) -> Response {
    let accounts = match state.app.chart_of_accounts(&session.actor).await {
        Ok(a) => a.into_iter().filter(|a| a.active).collect(),
        Err(e) => return error_page(e),
    };
    let submitted =
        (0..MAX_FORM_ROWS).filter(|i| form.values.keys().any(|k| k.starts_with(&format!("lines[{i}].")))).max().map_or(0, |i| i + 1);
    let lines = (0..submitted.max(FORM_ROWS))
        .map(|i| {
            let f = |name: &str| form.v(&format!("lines[{i}].{name}")).to_string();
            let err = |name: &str| form.err(&format!("lines[{i}].{name}")).map(str::to_string);
            FormLine {
                index: i,
                account: f("account"),
                debit: f("debit"),
                credit: f("credit"),
                memo: f("memo"),
                account_error: err("account"),
                amount_error: err("debit").or_else(|| err("credit")),
            }
        })
        .collect();
    render(&NewEntryPage { layout: Layout::new(session, "/books"), title: "New journal entry", tab: "new", form, lines, accounts })
}

pub async fn new_entry(State(state): State<AppState>, session: PageSession) -> Response {
    let mut values = HashMap::new();
    values.insert("date".to_string(), session.actor.today(state.app.now()).to_string());
    // The form's own key: submitting it twice (a double click, a reload) posts once.
    values.insert("idempotency_key".to_string(), uuid::Uuid::new_v4().to_string());
    new_entry_page(&state, &session, FormState::new(values)).await
}

pub async fn post_entry(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let rows = (0..MAX_FORM_ROWS).filter(|i| form.values.contains_key(&format!("lines[{i}].account"))).max().map_or(0, |i| i + 1);
    let input = ManualEntryInput {
        date: form.take("date"),
        memo: form.take("memo"),
        idempotency_key: form.take("idempotency_key"),
        lines: (0..rows)
            .map(|i| ManualLineInput {
                account: form.take(&format!("lines[{i}].account")),
                debit: form.take(&format!("lines[{i}].debit")),
                credit: form.take(&format!("lines[{i}].credit")),
                memo: form.take(&format!("lines[{i}].memo")),
            })
            .collect(),
    };
    match state.app.post_manual_entry(&session.actor, &input).await {
        Ok(entry) => Redirect::to(&format!("/books/journal/{}?done=posted", entry.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            new_entry_page(&state, &session, form).await
        }
        Err(e) => error_page(e),
    }
}

/// A trial balance row on screen.
struct TbRow {
    account_id: String,
    number: String,
    name: String,
    debit: String,
    credit: String,
}

#[derive(Template)]
#[template(path = "ledger_trial_balance.html")]
struct TrialBalancePage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    /// `accrual` or `cash`.
    basis: &'static str,
    as_of: String,
    rows: Vec<TbRow>,
    total_debit: String,
    total_credit: String,
    balances: bool,
}

#[derive(Deserialize, Default)]
pub struct AsOfQuery {
    #[serde(default)]
    as_of: String,
    /// `accrual` (blank) or `cash`.
    #[serde(default)]
    basis: String,
}

pub async fn trial_balance(State(state): State<AppState>, session: PageSession, Query(q): Query<AsOfQuery>) -> Response {
    let as_of = day(&q.as_of).unwrap_or_else(|| session.actor.today(state.app.now()));
    let basis = Basis::parse(&q.basis);
    match state.app.trial_balance_on(&session.actor, as_of, basis).await {
        Ok(tb) => render(&trial_balance_page(&session, tb, basis)),
        Err(e) => error_page(e),
    }
}

fn trial_balance_page(session: &PageSession, tb: TrialBalanceView, basis: Basis) -> TrialBalancePage {
    let balances = tb.balances();
    TrialBalancePage {
        layout: Layout::new(session, "/books"),
        title: "Trial balance",
        tab: "trial",
        basis: basis.as_str(),
        as_of: tb.as_of,
        rows: tb
            .accounts
            .into_iter()
            .map(|a| TbRow {
                account_id: a.account_id,
                number: a.number,
                name: a.name,
                debit: amount(a.debit_cents),
                credit: amount(a.credit_cents),
            })
            .collect(),
        total_debit: Money::from_cents(tb.total_debit_cents).to_string(),
        total_credit: Money::from_cents(tb.total_credit_cents).to_string(),
        balances,
    }
}

/// A line of an account's detail on screen.
struct DetailRow {
    entry_id: String,
    number: i64,
    date: String,
    memo: String,
    debit: String,
    credit: String,
    balance: String,
}

#[derive(Template)]
#[template(path = "ledger_account.html")]
struct AccountPage {
    layout: Layout,
    title: String,
    tab: &'static str,
    account: AccountView,
    from: String,
    to: String,
    opening: String,
    closing: String,
    rows: Vec<DetailRow>,
    truncated: bool,
}

pub async fn account(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<RangeQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let (default_from, default_to) = default_journal_range(today);
    let from = day(&q.from).unwrap_or(default_from);
    let to = day(&q.to).unwrap_or(default_to);
    match state.app.account_detail(&session.actor, &id, from, to).await {
        Ok(detail) => render(&account_page(&session, detail)),
        Err(e) => error_page(e),
    }
}

fn account_page(session: &PageSession, d: AccountDetailView) -> AccountPage {
    AccountPage {
        layout: Layout::new(session, "/books"),
        title: format!("{} {}", d.account.number, d.account.name),
        tab: "chart",
        from: d.from,
        to: d.to,
        opening: Money::from_cents(d.opening_balance_cents).to_string(),
        closing: Money::from_cents(d.closing_balance_cents).to_string(),
        truncated: d.truncated,
        rows: d
            .lines
            .into_iter()
            .map(|l| DetailRow {
                entry_id: l.entry_id,
                number: l.entry_number,
                date: l.date,
                memo: l.memo,
                debit: amount(l.debit_cents),
                credit: amount(l.credit_cents),
                balance: Money::from_cents(l.balance_cents).to_string(),
            })
            .collect(),
        account: d.account,
    }
}

/// A statement's section on screen.
struct SectionRows {
    title: String,
    rows: Vec<(String, String, String, String)>,
    total: String,
}

fn section_rows(s: StatementSection) -> SectionRows {
    SectionRows {
        title: s.title,
        rows: s.lines.into_iter().map(|l| (l.account_id, l.number, l.name, Money::from_cents(l.amount_cents).to_string())).collect(),
        total: Money::from_cents(s.total_cents).to_string(),
    }
}

#[derive(Template)]
#[template(path = "ledger_balance_sheet.html")]
struct BalanceSheetPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    /// `accrual` or `cash`.
    basis: &'static str,
    as_of: String,
    assets: SectionRows,
    liabilities: SectionRows,
    equity: SectionRows,
    net_income: String,
    total_liabilities_and_equity: String,
    balances: bool,
}

pub async fn balance_sheet(State(state): State<AppState>, session: PageSession, Query(q): Query<AsOfQuery>) -> Response {
    let as_of = day(&q.as_of).unwrap_or_else(|| session.actor.today(state.app.now()));
    let basis = Basis::parse(&q.basis);
    match state.app.balance_sheet_on(&session.actor, as_of, basis).await {
        Ok(bs) => render(&balance_sheet_page(&session, bs, basis)),
        Err(e) => error_page(e),
    }
}

fn balance_sheet_page(session: &PageSession, bs: BalanceSheetView, basis: Basis) -> BalanceSheetPage {
    let balances = bs.balances();
    BalanceSheetPage {
        layout: Layout::new(session, "/books"),
        title: "Balance sheet",
        tab: "balance",
        basis: basis.as_str(),
        as_of: bs.as_of,
        assets: section_rows(bs.assets),
        liabilities: section_rows(bs.liabilities),
        equity: section_rows(bs.equity),
        net_income: Money::from_cents(bs.net_income_not_closed_cents).to_string(),
        total_liabilities_and_equity: Money::from_cents(bs.total_liabilities_and_equity_cents).to_string(),
        balances,
    }
}

#[derive(Template)]
#[template(path = "ledger_income_statement.html")]
struct IncomeStatementPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    /// `accrual` or `cash`.
    basis: &'static str,
    from: String,
    to: String,
    revenue: SectionRows,
    expenses: SectionRows,
    net_income: String,
}

pub async fn income_statement(State(state): State<AppState>, session: PageSession, Query(q): Query<RangeQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let year_start = NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let from = day(&q.from).unwrap_or(year_start);
    let to = day(&q.to).unwrap_or(today);
    let basis = Basis::parse(&q.basis);
    match state.app.income_statement_on(&session.actor, from, to, basis).await {
        Ok(is) => render(&income_statement_page(&session, is, basis)),
        Err(e) => error_page(e),
    }
}

fn income_statement_page(session: &PageSession, is: IncomeStatementView, basis: Basis) -> IncomeStatementPage {
    IncomeStatementPage {
        layout: Layout::new(session, "/books"),
        title: "Income statement",
        tab: "income",
        basis: basis.as_str(),
        from: is.from,
        to: is.to,
        revenue: section_rows(is.revenue),
        expenses: section_rows(is.expenses),
        net_income: Money::from_cents(is.net_income_cents).to_string(),
    }
}

#[derive(Template)]
#[template(path = "ledger_periods.html")]
struct PeriodsPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    closed: Vec<(String, String)>,
    form: FormState,
    can_close: bool,
    can_reopen: bool,
}

async fn periods_page(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    let closed = match state.app.closed_periods(&session.actor).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let role = session.actor.role;
    render(&PeriodsPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title: "Closed periods",
        tab: "periods",
        closed: closed.into_iter().map(|(period, _, at)| (period, at.chars().take(10).collect())).collect(),
        form,
        can_close: role.may(medoffice_domain::security::Action::ClosePeriods),
        can_reopen: role.may(medoffice_domain::security::Action::ReopenPeriods),
    })
}

pub async fn periods(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.done.as_str() {
        "closed" => Some("The month is closed: nothing can be posted dated in it.".to_string()),
        "reopened" => Some("The month is open for postings again.".to_string()),
        "year" => Some("The year is closed: its net income is in retained earnings and its months are closed.".to_string()),
        _ => None,
    };
    periods_page(&state, &session, FormState::default(), notice).await
}

pub async fn close_period(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.close_period(&session.actor, form.v("period")).await {
        Ok(()) => Redirect::to("/books/periods?done=closed").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            periods_page(&state, &session, form, None).await
        }
        Err(AppError::Conflict(message)) => {
            form.errors = medoffice_domain::ValidationErrors::single("period", message);
            periods_page(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn close_year(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let Ok(year) = form.v("year").trim().parse::<i32>() else {
        form.errors = medoffice_domain::ValidationErrors::single("year", "enter a year, e.g. 2026");
        return periods_page(&state, &session, form, None).await;
    };
    match state.app.close_year(&session.actor, year).await {
        Ok(_) => Redirect::to("/books/periods?done=year").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            periods_page(&state, &session, form, None).await
        }
        Err(AppError::Conflict(message)) => {
            form.errors = medoffice_domain::ValidationErrors::single("year", message);
            periods_page(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn reopen_period(
    State(state): State<AppState>,
    session: PageSession,
    Path(period): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.reopen_period(&session.actor, &period).await {
        Ok(()) => Redirect::to("/books/periods?done=reopened").into_response(),
        Err(e) => error_page(e),
    }
}

/// The whole journal as a download: `journal.ledger` (ledger/hledger syntax) or `journal.csv`.
pub async fn export(State(state): State<AppState>, session: PageSession, Path(file): Path<String>) -> Response {
    let (format, content_type) = match file.as_str() {
        "journal.ledger" => (ExportFormat::Ledger, "text/plain; charset=utf-8"),
        "journal.csv" => (ExportFormat::Csv, "text/csv; charset=utf-8"),
        _ => return error_page(AppError::NotFound("export")),
    };
    match state.app.export_journal(&session.actor, format).await {
        Ok(text) => {
            let disposition = format!("attachment; filename=\"{file}\"");
            ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], text).into_response()
        }
        Err(e) => error_page(e),
    }
}

/// The manual entry form's balance indicator (progressive: the form works without it).
pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/ledger.js")).into_response()
}
