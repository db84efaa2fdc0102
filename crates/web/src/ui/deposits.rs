//! Bank deposits in the books: `/books/deposits` (the payments waiting in Undeposited funds, each
//! with a checkbox, the deposit's date and cash account, "Make deposit"; the deposits made) and
//! `/books/deposits/{id}` (the deposit slip: the checks one by one, the cash and the total; "undo"
//! with a reason), `/books/deposits/{id}/slip` the slip alone, ready to print. Every page works
//! without JavaScript.

use super::{Layout, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::deposits::{DepositSummaryView, DepositView, NewDepositInput, UndepositedItemView, UndoDepositInput};
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use serde::Deserialize;

use super::FormState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/books/deposits", get(index).post(make))
        .route("/books/deposits/{id}", get(deposit_page))
        .route("/books/deposits/{id}/slip", get(slip))
        .route("/books/deposits/{id}/slip.pdf", get(slip_pdf))
        .route("/books/deposits/{id}/undo", post(undo))
}

/// An id as it may go back into a redirect's address (ids are UUIDs; anything else is dropped).
fn safe_id(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

/// A method as the page shows it.
fn method_label(method: &str) -> String {
    match method {
        "cash" => "Cash".into(),
        "check" => "Check".into(),
        "card" => "Card".into(),
        "ach" => "ACH".into(),
        "other" => "Other".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// An undeposited item on screen.
struct ItemRow {
    item: UndepositedItemView,
    method: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "books_deposits.html")]
struct DepositsPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    items: Vec<ItemRow>,
    total: String,
    accounts: Vec<(String, String)>,
    deposits: Vec<DepositSummaryView>,
    form: FormState,
    /// A refusal shown above the list (a conflict: someone deposited an item meanwhile).
    refusal: Option<String>,
}

async fn deposits_page(
    state: &AppState,
    session: &PageSession,
    mut form: FormState,
    chosen: &[String],
    notice: Option<String>,
    refusal: Option<String>,
) -> Response {
    let waiting = match state.app.undeposited_items(&session.actor).await {
        Ok(w) => w,
        Err(e) => return error_page(e),
    };
    let deposits = match state.app.deposits(&session.actor).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    if form.v("account").is_empty() {
        form.values.insert("account".into(), accounts::CASH_OPERATING.into());
    }
    if form.v("deposit_date").is_empty() {
        form.values.insert("deposit_date".into(), session.actor.today(state.app.now()).to_string());
    }
    render(&DepositsPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title: "Deposits",
        tab: "deposits",
        items: waiting
            .items
            .into_iter()
            .map(|item| ItemRow { method: method_label(&item.method), checked: chosen.contains(&item.key), item })
            .collect(),
        total: waiting.total,
        accounts: waiting.accounts.into_iter().map(|a| (a.number.clone(), format!("{} {}", a.number, a.name))).collect(),
        deposits,
        form,
        refusal,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "undone" => Some("The deposit is undone: its entry is reversed and its payments wait to be deposited again.".to_string()),
        _ => None,
    };
    deposits_page(&state, &session, FormState::default(), &[], notice, None).await
}

pub async fn make(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    // Each checked payment sends an `items` value.
    let chosen: Vec<String> = fields.iter().filter(|(k, _)| k == "items").map(|(_, v)| v.clone()).collect();
    let mut form = match super::checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = NewDepositInput {
        deposit_date: form.take("deposit_date"),
        account: form.take("account"),
        items: chosen.clone(),
        all: form.v("all") == "yes",
        memo: form.take("memo"),
    };
    match state.app.make_deposit(&session.actor, &input).await {
        Ok(d) => Redirect::to(&format!("/books/deposits/{}?notice=made", safe_id(&d.id))).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            deposits_page(&state, &session, form, &chosen, None, None).await
        }
        Err(AppError::Conflict(message)) => deposits_page(&state, &session, FormState::default(), &[], None, Some(message)).await,
        Err(e) => error_page(e),
    }
}

/// A deposit's item on screen.
struct SlipRow {
    position: i64,
    date: String,
    kind: String,
    from_name: String,
    method: String,
    check_number: String,
    amount: String,
}

/// The slip's figures.
struct Slip {
    deposit: DepositView,
    rows: Vec<SlipRow>,
    /// The checks, listed one by one as a bank's slip wants them: (number, from, amount).
    checks: Vec<(String, String, String)>,
    cash: String,
    checks_total: String,
    other: String,
    reversed: bool,
}

fn slip_of(deposit: DepositView) -> Slip {
    let rows = deposit
        .items
        .iter()
        .map(|i| SlipRow {
            position: i.position,
            date: i.date.clone(),
            kind: i.kind.clone(),
            from_name: i.from_name.clone(),
            method: method_label(&i.method),
            check_number: i.check_number.clone().unwrap_or_default(),
            amount: i.amount.clone(),
        })
        .collect();
    let checks = deposit
        .items
        .iter()
        .filter(|i| i.method == "check")
        .map(|i| (i.check_number.clone().unwrap_or_default(), i.from_name.clone(), i.amount.clone()))
        .collect();
    Slip {
        rows,
        checks,
        cash: money(deposit.cash_cents),
        checks_total: money(deposit.checks_cents),
        other: money(deposit.other_cents),
        reversed: deposit.reversal_entry_id.is_some(),
        deposit,
    }
}

#[derive(Template)]
#[template(path = "books_deposit.html")]
struct DepositPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    slip: Slip,
    form: FormState,
}

async fn show_deposit(state: &AppState, session: &PageSession, id: &str, form: FormState, notice: Option<String>) -> Response {
    match state.app.deposit(&session.actor, id).await {
        Ok(d) => render(&DepositPage {
            layout: Layout::new(session, "/books").with_notice(notice),
            title: "Deposit",
            tab: "deposits",
            slip: slip_of(d),
            form,
        }),
        Err(e) => error_page(e),
    }
}

pub async fn deposit_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = match q.notice.as_str() {
        "made" => Some("The deposit is made and posted. Print the slip and take it to the bank with the checks and cash.".to_string()),
        _ => None,
    };
    show_deposit(&state, &session, &id, FormState::default(), notice).await
}

#[derive(Template)]
#[template(path = "books_deposit_slip.html")]
struct SlipPage {
    title: &'static str,
    practice_name: String,
    slip: Slip,
}

pub async fn slip(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.deposit(&session.actor, &id).await {
        Ok(d) => render(&SlipPage { title: "Deposit slip", practice_name: session.actor.practice_name.clone(), slip: slip_of(d) }),
        Err(e) => error_page(e),
    }
}

pub async fn slip_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.deposit_slip_pdf(&session.actor, &id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"deposit-{}.pdf\"", safe_id(&id))),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(e),
    }
}

pub async fn undo(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match super::checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let id = safe_id(&id);
    match state.app.undo_deposit(&session.actor, &id, &UndoDepositInput { reason: form.take("reason") }).await {
        Ok(_) => Redirect::to("/books/deposits?notice=undone").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            show_deposit(&state, &session, &id, form, None).await
        }
        Err(AppError::Conflict(message)) => show_deposit(&state, &session, &id, FormState::default(), Some(message)).await,
        Err(e) => error_page(e),
    }
}
