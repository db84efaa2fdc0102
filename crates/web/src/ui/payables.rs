//! Accounts payable in the books: `/books/bills`, the open bills by due date with the overdue ones
//! first and the early-payment discounts still available.

use super::{Layout, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use medoffice_domain::money::Money;

pub fn routes() -> Router<AppState> {
    Router::new().route("/books/bills", get(bills_due))
}

/// An open bill on screen.
struct BillRow {
    id: String,
    /// What is still owed, when part was paid.
    open_balance: Option<String>,
    vendor: String,
    bill_number: String,
    bill_date: String,
    due_date: String,
    amount: String,
    days_overdue: i64,
    discount_until: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger_bills.html")]
struct BillsPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    rows: Vec<BillRow>,
    total: String,
}

pub async fn bills_due(State(state): State<AppState>, session: PageSession) -> Response {
    let due = match state.app.bills_due(&session.actor).await {
        Ok(due) => due,
        Err(e) => return error_page(e),
    };
    // Partly paid bills show (and count) what is still owed (see `bill_payments`).
    let settled = match state.app.settled_of_open_bills(&session.actor).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let open_of = |d: &medoffice_app::payables::BillDueView| d.bill.total_cents - settled.get(&d.bill.id).copied().unwrap_or(0);
    let total = Money::from_cents(due.iter().map(open_of).sum());
    let rows = due
        .into_iter()
        .map(|d| BillRow {
            open_balance: settled.contains_key(&d.bill.id).then(|| Money::from_cents(open_of(&d)).to_string()),
            id: d.bill.id.clone(),
            vendor: d.bill.vendor_name,
            bill_number: d.bill.bill_number,
            bill_date: d.bill.bill_date,
            due_date: d.bill.due_date,
            amount: Money::from_cents(d.bill.total_cents).to_string(),
            days_overdue: d.days_overdue,
            discount_until: d.discount_until,
        })
        .collect();
    render(&BillsPage { layout: Layout::new(&session, "/books"), title: "Bills due", tab: "bills", rows, total: total.to_string() })
}
