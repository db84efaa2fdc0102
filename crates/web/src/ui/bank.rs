//! Bank reconciliation in the books: `/books/bank` (choose the cash account, upload a CSV or OFX
//! statement, the statements imported) and `/books/bank/{statement}` (each line with its match or
//! the ledger lines it could match, the buttons to match, unmatch, post a fee or interest, or
//! ignore a line; the difference between the bank's ending balance and the cleared balance, and
//! "mark reconciled"). Every page works without JavaScript.

use super::{CsrfForm, FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::bank_reconciliation::{
    BankLineView, CashAccountView, ImportStatementInput, LedgerLineView, MarkClearedInput, PostBankLineInput, ReconcileInput,
    ReconciliationView, StatementSummaryView, StatementView, parse_ledger_key,
};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/books/bank", get(index).post(import))
        .route("/books/bank/{statement}", get(statement))
        .route("/books/bank/{statement}/auto-match", post(auto_match))
        .route("/books/bank/{statement}/reconcile", post(reconcile))
        .route("/books/bank/{statement}/clear", post(clear))
        .route("/books/bank/{statement}/unclear", post(unclear))
        .route("/books/bank/{statement}/lines/{line}/{action}", post(line_action))
}

/// An id as it may go back into a redirect's address (ids are UUIDs; anything else is dropped).
fn safe_id(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

/// A ledger line on screen.
struct LedgerRow {
    /// `entry_id:line_number`, what a match button sends.
    key: String,
    entry_id: String,
    entry_number: i64,
    date: String,
    amount: String,
    memo: String,
}

fn ledger_row(l: &LedgerLineView) -> LedgerRow {
    LedgerRow {
        key: format!("{}:{}", l.entry_id, l.line_number),
        entry_id: l.entry_id.clone(),
        entry_number: l.entry_number,
        date: l.date.clone(),
        amount: money(l.amount_cents),
        memo: l.memo.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// The statements
// ---------------------------------------------------------------------------------------------

/// A statement in the list.
struct StatementRow {
    id: String,
    account: String,
    file_name: String,
    format: String,
    period: String,
    ending_balance: String,
    lines: i64,
    duplicates: i64,
    unmatched: i64,
    imported_on: String,
}

fn statement_row(s: StatementSummaryView) -> StatementRow {
    StatementRow {
        id: s.id,
        account: format!("{} {}", s.account_number, s.account_name),
        file_name: s.file_name,
        format: s.file_format.to_uppercase(),
        period: match (s.period_start, s.period_end) {
            (Some(a), Some(b)) => format!("{a} – {b}"),
            _ => String::new(),
        },
        ending_balance: s.ending_balance_cents.map(money).unwrap_or_default(),
        lines: s.line_count,
        duplicates: s.duplicate_count,
        unmatched: s.unmatched_count,
        imported_on: s.imported_at.chars().take(10).collect(),
    }
}

#[derive(Template)]
#[template(path = "books_bank.html")]
struct BankPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    accounts: Vec<(String, String)>,
    statements: Vec<StatementRow>,
    form: FormState,
    can_import: bool,
}

async fn bank_page(state: &AppState, session: &PageSession, mut form: FormState, notice: Option<String>) -> Response {
    let cash: Vec<CashAccountView> = match state.app.cash_accounts(&session.actor).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let statements = match state.app.bank_statements(&session.actor).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    if form.v("account_id").is_empty()
        && let Some(operating) = cash.iter().find(|a| a.number == accounts::CASH_OPERATING)
    {
        form.values.insert("account_id".into(), operating.id.clone());
    }
    render(&BankPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title: "Bank reconciliation",
        tab: "bank",
        accounts: cash.into_iter().map(|a| (a.id, format!("{} {}", a.number, a.name))).collect(),
        statements: statements.into_iter().map(statement_row).collect(),
        form,
        can_import: session.actor.role.may(Action::PostJournal),
    })
}

#[derive(Deserialize)]
pub struct BankQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    n: usize,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<BankQuery>) -> Response {
    let notice = (q.done == "nothing_new").then(|| format!("Nothing new: all {} lines of that file were imported before.", q.n));
    bank_page(&state, &session, FormState::default(), notice).await
}

pub async fn import(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, file_name, bytes) = match super::read_upload(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("file", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let input = ImportStatementInput { account_id: form.take("account_id"), file_name, bytes };
    match state.app.import_bank_statement(&session.actor, &input).await {
        Ok(done) => match done.statement_id {
            Some(id) => {
                Redirect::to(&format!("/books/bank/{id}?done=imported&n={}&dup={}&m={}", done.imported, done.duplicates, done.matched))
                    .into_response()
            }
            None => Redirect::to(&format!("/books/bank?done=nothing_new&n={}", done.duplicates)).into_response(),
        },
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            bank_page(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One statement
// ---------------------------------------------------------------------------------------------

/// A bank line on screen.
struct LineRow {
    id: String,
    date: String,
    description: String,
    check_number: String,
    kind: String,
    amount: String,
    money_in: bool,
    status: String,
    matched: Option<LedgerRow>,
    /// The rest of a deposit batch matched with the line.
    batch: Vec<LedgerRow>,
    reconciled: bool,
    suggestions: Vec<LedgerRow>,
    /// The picker's ledger lines, when this line's picker is open.
    picker: Option<Vec<LedgerRow>>,
    /// The 835 trace number it was matched by, or empty.
    trace: String,
}

fn line_row(l: BankLineView) -> LineRow {
    LineRow {
        id: l.id,
        date: l.date,
        description: l.description,
        check_number: l.check_number.unwrap_or_default(),
        kind: l.transaction_type.unwrap_or_default(),
        amount: money(l.amount_cents),
        money_in: l.amount_cents > 0,
        status: l.status,
        matched: l.matched.as_ref().map(ledger_row),
        batch: l.batch.iter().map(ledger_row).collect(),
        reconciled: l.reconciled,
        suggestions: l.suggestions.iter().map(ledger_row).collect(),
        picker: None,
        trace: l.matched_by_trace.unwrap_or_default(),
    }
}

/// The reconciliation's figures on screen.
struct Figures {
    end_date: String,
    statement_balance: String,
    cleared_balance: String,
    ledger_balance: String,
    /// Blank until the bank's ending balance is known.
    difference: String,
    /// `ok` (zero), `off`, or `unknown`.
    difference_state: &'static str,
    deposits: Vec<LedgerRow>,
    payments: Vec<LedgerRow>,
    deposits_total: String,
    payments_total: String,
    reconciled: Option<String>,
    /// Lines cleared without a bank line, not reconciled yet: (kind, line).
    cleared: Vec<(String, LedgerRow)>,
}

fn figures(r: &ReconciliationView) -> Figures {
    Figures {
        end_date: r.end_date.clone(),
        statement_balance: r.statement_balance_cents.map(money).unwrap_or_default(),
        cleared_balance: money(r.cleared_balance_cents),
        ledger_balance: money(r.ledger_balance_cents),
        difference: r.difference_cents.map(money).unwrap_or_default(),
        difference_state: match r.difference_cents {
            Some(0) => "ok",
            Some(_) => "off",
            None => "unknown",
        },
        deposits: r.outstanding_deposits.iter().map(ledger_row).collect(),
        payments: r.outstanding_payments.iter().map(ledger_row).collect(),
        deposits_total: money(r.outstanding_deposits_cents),
        payments_total: money(r.outstanding_payments_cents),
        reconciled: r.reconciled.as_ref().map(|(_, at)| at.chars().take(10).collect()),
        cleared: r.cleared_items.iter().map(|c| (c.kind.clone(), ledger_row(&c.line))).collect(),
    }
}

#[derive(Template)]
#[template(path = "books_bank_statement.html")]
struct StatementPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    statement: StatementView,
    period: String,
    imported_on: String,
    lines: Vec<LineRow>,
    unmatched: usize,
    figures: Figures,
    /// The reconcile form: `end_date`, `ending_balance`.
    form: FormState,
    error: Option<String>,
    can_post: bool,
    /// The statement's first day: outstanding lines before it may be marked cleared.
    start: String,
    /// The picker's search, as typed.
    q: String,
}

#[derive(Deserialize, Default)]
pub struct StatementQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    n: usize,
    #[serde(default)]
    dup: usize,
    #[serde(default)]
    m: usize,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    ending_balance: String,
    /// The bank line whose picker is open.
    #[serde(default)]
    pick: String,
    /// The picker's search.
    #[serde(default)]
    q: String,
}

async fn statement_page(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: FormState,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    statement_page_picking(state, session, id, form, notice, error, "", "").await
}

#[allow(clippy::too_many_arguments)]
async fn statement_page_picking(
    state: &AppState,
    session: &PageSession,
    id: &str,
    mut form: FormState,
    notice: Option<String>,
    error: Option<String>,
    pick: &str,
    q: &str,
) -> Response {
    let statement = match state.app.bank_statement(&session.actor, id).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    if form.v("end_date").is_empty()
        && let Some(end) = statement.ending_date.clone().or_else(|| statement.period_end.clone())
    {
        form.values.insert("end_date".into(), end);
    }
    if form.v("ending_balance").is_empty()
        && let Some(cents) = statement.ending_balance_cents
    {
        let sign = if cents < 0 { "-" } else { "" };
        form.values.insert("ending_balance".into(), format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100));
    }
    let end = NaiveDate::parse_from_str(form.v("end_date").trim(), "%Y-%m-%d").ok();
    let balance = Money::parse(form.v("ending_balance")).ok().map(Money::cents);
    if end.is_none() {
        form.errors.add("end_date", "enter the statement's date as YYYY-MM-DD");
    }
    let Some(end) = end.or_else(|| statement.period_end.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())) else {
        return error_page(AppError::Validation(ValidationErrors::single("end_date", "the statement has no date")));
    };
    let view = match state.app.bank_reconciliation(&session.actor, &statement.account_id, end, balance).await {
        Ok(v) => v,
        Err(e) => return error_page(e),
    };
    let period = match (&statement.period_start, &statement.period_end) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => String::new(),
    };
    let mut lines: Vec<LineRow> = statement.lines.clone().into_iter().map(line_row).collect();
    if let Some(line) = lines.iter_mut().find(|l| l.id == pick && l.status == "unmatched") {
        match state.app.bank_line_candidates(&session.actor, &line.id, q).await {
            Ok(found) => line.picker = Some(found.iter().map(ledger_row).collect()),
            Err(e) => return error_page(e),
        }
    }
    let unmatched = lines.iter().filter(|l| l.status == "unmatched").count();
    let start = statement.period_start.clone().or_else(|| statement.lines.iter().map(|l| l.date.clone()).min()).unwrap_or_default();
    render(&StatementPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title: "Bank statement",
        tab: "bank",
        period,
        imported_on: statement.imported_at.chars().take(10).collect(),
        lines,
        unmatched,
        figures: figures(&view),
        statement,
        form,
        error,
        can_post: session.actor.role.may(Action::PostJournal),
        start,
        q: q.to_string(),
    })
}

pub async fn statement(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Response {
    let notice = match q.done.as_str() {
        "imported" => Some(format!(
            "Imported {} lines ({} already imported before were left out); {} matched with the books automatically.",
            q.n, q.dup, q.m
        )),
        "matched" => Some("The line is matched.".to_string()),
        "unmatched" => Some("The line is unmatched.".to_string()),
        "ignored" => Some("The line is set aside (ignored).".to_string()),
        "posted" => Some("The entry is posted and the line matched with it.".to_string()),
        "auto" => Some(format!("{} more lines matched.", q.m)),
        "reconciled" => Some("The account is reconciled: the cleared lines are marked.".to_string()),
        "cleared" => Some(format!("{} ledger lines marked cleared.", q.n)),
        "uncleared" => Some("The ledger line is outstanding again.".to_string()),
        _ => None,
    };
    let mut form = FormState::default();
    if !q.end_date.is_empty() {
        form.values.insert("end_date".into(), q.end_date);
    }
    if !q.ending_balance.is_empty() {
        form.values.insert("ending_balance".into(), q.ending_balance);
    }
    statement_page_picking(&state, &session, &id, form, notice, None, &q.pick, &q.q).await
}

/// The message of a refused change, shown above the lines.
fn refusal(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation(errors) => Some(errors.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ")),
        AppError::Conflict(message) => Some(message.clone()),
        _ => None,
    }
}

pub async fn line_action(
    State(state): State<AppState>,
    session: PageSession,
    Path((statement_id, line_id, action)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    // A deposit batch sends several `ledger_line` values.
    let chosen: Vec<Option<(String, i64)>> = fields.iter().filter(|(k, _)| k == "ledger_line").map(|(_, v)| parse_ledger_key(v)).collect();
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let statement_id = safe_id(&statement_id);
    let actor = &session.actor;
    let result = match action.as_str() {
        "match" => match chosen.into_iter().collect::<Option<Vec<_>>>() {
            Some(lines) if !lines.is_empty() => state.app.match_bank_line_to(actor, &line_id, &lines).await.map(|_| "matched"),
            _ => Err(AppError::Validation(ValidationErrors::single("ledger_line", "choose the ledger lines to match"))),
        },
        "unmatch" => state.app.unmatch_bank_line(actor, &line_id).await.map(|_| "unmatched"),
        "ignore" => state.app.ignore_bank_line(actor, &line_id).await.map(|_| "ignored"),
        "post" => {
            let input = PostBankLineInput { account: form.take("account"), memo: form.take("memo") };
            state.app.post_bank_line(actor, &line_id, &input).await.map(|_| "posted")
        }
        _ => Err(AppError::NotFound("action")),
    };
    match result {
        Ok(done) => Redirect::to(&format!("/books/bank/{statement_id}?done={done}")).into_response(),
        Err(e) => match refusal(&e) {
            Some(message) => statement_page(&state, &session, &statement_id, FormState::default(), None, Some(message)).await,
            None => error_page(e),
        },
    }
}

pub async fn auto_match(
    State(state): State<AppState>,
    session: PageSession,
    Path(statement_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = session.check_csrf(&form.csrf) {
        return refused;
    }
    let statement_id = safe_id(&statement_id);
    match state.app.auto_match_statement(&session.actor, &statement_id).await {
        Ok(n) => Redirect::to(&format!("/books/bank/{statement_id}?done=auto&m={n}")).into_response(),
        Err(e) => error_page(e),
    }
}

pub async fn reconcile(
    State(state): State<AppState>,
    session: PageSession,
    Path(statement_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let statement_id = safe_id(&statement_id);
    let statement = match state.app.bank_statement(&session.actor, &statement_id).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let input = ReconcileInput {
        account_id: statement.account_id,
        statement_id: statement_id.clone(),
        end_date: form.take("end_date"),
        ending_balance: form.take("ending_balance"),
    };
    match state.app.mark_reconciled(&session.actor, &input).await {
        Ok(_) => Redirect::to(&format!("/books/bank/{statement_id}?done=reconciled&end_date={}", input.end_date.trim())).into_response(),
        Err(AppError::Validation(errors)) => {
            let message = errors.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
            form.errors = errors;
            statement_page(&state, &session, &statement_id, form, None, Some(message)).await
        }
        Err(AppError::Conflict(message)) => statement_page(&state, &session, &statement_id, form, None, Some(message)).await,
        Err(e) => error_page(e),
    }
}

/// "Mark cleared" of one outstanding ledger line (`ledger_line`) or of every one dated before
/// `before`: the starting point of a first reconciliation.
pub async fn clear(
    State(state): State<AppState>,
    session: PageSession,
    Path(statement_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let statement_id = safe_id(&statement_id);
    let input = MarkClearedInput { statement_id: statement_id.clone(), ledger_line: form.take("ledger_line"), before: form.take("before") };
    match state.app.mark_bank_lines_cleared(&session.actor, &input).await {
        Ok(n) => Redirect::to(&format!("/books/bank/{statement_id}?done=cleared&n={n}")).into_response(),
        Err(e) => match refusal(&e) {
            Some(message) => statement_page(&state, &session, &statement_id, FormState::default(), None, Some(message)).await,
            None => error_page(e),
        },
    }
}

/// Undoes "mark cleared" of a ledger line (a reversal pair: both lines) until reconciled.
pub async fn unclear(
    State(state): State<AppState>,
    session: PageSession,
    Path(statement_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let statement_id = safe_id(&statement_id);
    let result = match parse_ledger_key(form.v("ledger_line")) {
        Some((entry, number)) => state.app.unclear_bank_ledger_line(&session.actor, &entry, number).await,
        None => Err(AppError::Validation(ValidationErrors::single("ledger_line", "choose the ledger line"))),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/books/bank/{statement_id}?done=uncleared")).into_response(),
        Err(e) => match refusal(&e) {
            Some(message) => statement_page(&state, &session, &statement_id, FormState::default(), None, Some(message)).await,
            None => error_page(e),
        },
    }
}
