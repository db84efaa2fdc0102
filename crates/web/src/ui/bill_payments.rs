//! Paying bills in the books: the payment run (`/books/payment-run`, reached by "Pay selected" on
//! `/books/bills`), the check register (`/books/checks`, with the void of a payment), accounts
//! payable aging (`/books/ap-aging`) and the 1099 totals (`/books/1099`).
//!
//! The payment run's page is one form: per vendor the method and check number (the next numbers
//! of the cash account filled in) or ACH reference, per bill the amount (its open balance filled
//! in; blank leaves the bill out), and the date and cash account of the whole run. The server
//! checks everything and puts each message next to its vendor or bill.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::bill_payments::{
    ApAgingView, BillAmountInput, BillPaymentView, PaymentDraft, PaymentRunInput, VendorPaymentInput, VoidPaymentInput, year_of,
};
use medoffice_app::ledger::default_journal_range;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::bill_payments::AgingBucket;
use medoffice_domain::money::Money;
use serde::Deserialize;
use std::collections::HashMap;

/// The most vendors and bills per vendor the run's form is read for.
const MAX_FORM_VENDORS: usize = 200;
const MAX_FORM_BILLS: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/books/payment-run", get(run_page).post(pay))
        .route("/books/checks", get(register))
        .route("/books/checks/{id}/void", post(void))
        .route("/books/ap-aging", get(aging))
        .route("/books/1099", get(vendors_1099))
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A bill on the run's form.
struct RunBill {
    bill_id: String,
    bill_number: String,
    due_date: String,
    total: String,
    open: String,
    partially_paid: bool,
    discount: Option<String>,
    discount_until: Option<String>,
    amount: String,
    error: Option<String>,
}

/// A vendor's payment on the run's form.
struct RunVendor {
    vendor_id: String,
    vendor_name: String,
    method: String,
    reference: String,
    error: Option<String>,
    reference_error: Option<String>,
    bills: Vec<RunBill>,
}

#[derive(Template)]
#[template(path = "ledger_payment_run.html")]
struct RunPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    form: FormState,
    vendors: Vec<RunVendor>,
    cash_accounts: Vec<(String, String)>,
    skipped: Vec<String>,
    next_check_number: i64,
}

/// What was typed for each vendor and bill of a submitted run, by id (the page is drawn again
/// from the bills, so a vendor's place in the form may change).
#[derive(Default)]
struct Submitted {
    vendors: HashMap<String, (String, String, Option<String>, Option<String>)>,
    bills: HashMap<String, (String, Option<String>)>,
}

fn submitted(form: &FormState) -> Submitted {
    let mut out = Submitted::default();
    for i in 0..MAX_FORM_VENDORS {
        let key = |name: &str| format!("payments[{i}].{name}");
        if !form.values.contains_key(&key("vendor_id")) {
            break;
        }
        let vendor_error = form.err(&key("vendor_id")).or(form.err(&key("method"))).or(form.err(&key("bills")));
        let posting_error = form.errors.errors.iter().find(|e| e.field.starts_with(&key("lines"))).map(|e| e.message.clone());
        out.vendors.insert(
            form.v(&key("vendor_id")).to_string(),
            (
                form.v(&key("method")).to_string(),
                form.v(&key("reference")).to_string(),
                vendor_error.map(str::to_string).or(posting_error),
                form.err(&key("reference")).map(str::to_string),
            ),
        );
        for j in 0..MAX_FORM_BILLS {
            let bill_key = |name: &str| format!("payments[{i}].bills[{j}].{name}");
            if !form.values.contains_key(&bill_key("bill_id")) {
                break;
            }
            let error = form.err(&bill_key("amount_cents")).or(form.err(&bill_key("bill_id"))).map(str::to_string);
            out.bills.insert(form.v(&bill_key("bill_id")).to_string(), (form.v(&bill_key("amount")).to_string(), error));
        }
    }
    out
}

fn run_page_of(session: &PageSession, draft: PaymentDraft, mut form: FormState, typed: Option<&Submitted>) -> Response {
    form.values.entry("payment_date".into()).or_insert_with(|| draft.payment_date.clone());
    form.values.insert("cash_account".into(), draft.cash_account.clone());
    // The run's own key: the same form sent twice pays once.
    form.values.entry("idempotency_key".into()).or_insert_with(|| uuid::Uuid::new_v4().to_string());
    let vendors = draft
        .vendors
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let typed_vendor = typed.and_then(|t| t.vendors.get(&v.vendor_id));
            RunVendor {
                method: typed_vendor.map_or_else(|| "check".to_string(), |t| t.0.clone()),
                reference: typed_vendor.map_or_else(|| (draft.next_check_number + i as i64).to_string(), |t| t.1.clone()),
                error: typed_vendor.and_then(|t| t.2.clone()),
                reference_error: typed_vendor.and_then(|t| t.3.clone()),
                bills: v
                    .bills
                    .into_iter()
                    .map(|b| {
                        let typed_bill = typed.and_then(|t| t.bills.get(&b.bill_id));
                        RunBill {
                            amount: typed_bill.map_or_else(|| Money::from_cents(b.open_cents).to_string(), |t| t.0.clone()),
                            error: typed_bill.and_then(|t| t.1.clone()),
                            bill_id: b.bill_id,
                            bill_number: b.bill_number,
                            due_date: b.due_date,
                            total: money(b.total_cents),
                            open: money(b.open_cents),
                            partially_paid: b.partially_paid,
                            discount: (b.discount_cents > 0).then(|| money(b.discount_cents)),
                            discount_until: b.discount_until,
                        }
                    })
                    .collect(),
                vendor_id: v.vendor_id,
                vendor_name: v.vendor_name,
            }
        })
        .collect();
    render(&RunPage {
        layout: Layout::new(session, "/books"),
        title: "Pay bills",
        tab: "bills",
        form,
        vendors,
        cash_accounts: draft.cash_accounts,
        skipped: draft.skipped,
        next_check_number: draft.next_check_number,
    })
}

/// `/books/payment-run?bill=ID&bill=ID[&payment_date=...&cash_account=...]`: the bills chosen.
pub async fn run_page(State(state): State<AppState>, session: PageSession, Query(query): Query<Vec<(String, String)>>) -> Response {
    let bills: Vec<String> = query.iter().filter(|(k, _)| k == "bill").map(|(_, v)| v.clone()).collect();
    let value = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    let date = day(value("payment_date")).unwrap_or_else(|| session.actor.today(state.app.now()));
    match state.app.payment_run_draft(&session.actor, &bills, date, value("cash_account")).await {
        Ok(draft) => run_page_of(&session, draft, FormState::default(), None),
        Err(e) => error_page(e),
    }
}

/// The run's form as the use case's input; amounts that are not money are named as errors.
fn run_input(form: &FormState) -> (PaymentRunInput, ValidationErrors) {
    let mut errors = ValidationErrors::new();
    let mut payments = Vec::new();
    for i in 0..MAX_FORM_VENDORS {
        let key = |name: &str| format!("payments[{i}].{name}");
        if !form.values.contains_key(&key("vendor_id")) {
            break;
        }
        let mut bills = Vec::new();
        for j in 0..MAX_FORM_BILLS {
            let bill_key = |name: &str| format!("payments[{i}].bills[{j}].{name}");
            if !form.values.contains_key(&bill_key("bill_id")) {
                break;
            }
            let amount = form.v(&bill_key("amount"));
            if amount.trim().is_empty() {
                continue; // left out of this run
            }
            let amount_cents = match Money::parse(amount) {
                Ok(m) => m.cents(),
                Err(e) => {
                    errors.add(&bill_key("amount_cents"), e);
                    0
                }
            };
            bills.push((j, BillAmountInput { bill_id: form.take(&bill_key("bill_id")), amount_cents }));
        }
        if bills.is_empty() {
            continue;
        }
        payments.push((
            i,
            VendorPaymentInput {
                vendor_id: form.take(&key("vendor_id")),
                method: form.take(&key("method")),
                reference: form.take(&key("reference")),
                bills: bills.into_iter().map(|(_, b)| b).collect(),
            },
        ));
    }
    // The use case names payments and bills by their place in its input; the form's places
    // differ once blank rows are left out, so the input keeps the form's order and the errors
    // are mapped back in `form_errors`.
    let input = PaymentRunInput {
        payment_date: form.take("payment_date"),
        cash_account: form.take("cash_account"),
        payments: payments.into_iter().map(|(_, p)| p).collect(),
        idempotency_key: form.take("idempotency_key"),
    };
    (input, errors)
}

/// The use case's field names (places in its input) as the form's (places on the page).
fn form_errors(form: &FormState, input: &PaymentRunInput, errors: ValidationErrors) -> ValidationErrors {
    let mut place_of_vendor = HashMap::new();
    let mut place_of_bill = HashMap::new();
    for i in 0..MAX_FORM_VENDORS {
        let key = format!("payments[{i}].vendor_id");
        if !form.values.contains_key(&key) {
            break;
        }
        place_of_vendor.insert(form.v(&key).trim().to_string(), i);
        for j in 0..MAX_FORM_BILLS {
            let bill_key = format!("payments[{i}].bills[{j}].bill_id");
            if !form.values.contains_key(&bill_key) {
                break;
            }
            place_of_bill.insert(form.v(&bill_key).trim().to_string(), (i, j));
        }
    }
    let mut out = ValidationErrors::new();
    for e in errors.errors {
        let mapped = input.payments.iter().enumerate().find_map(|(i, p)| {
            let prefix = format!("payments[{i}].");
            let rest = e.field.strip_prefix(&prefix)?;
            let form_i = place_of_vendor.get(p.vendor_id.trim()).copied().unwrap_or(i);
            for (j, b) in p.bills.iter().enumerate() {
                if let Some(field) = rest.strip_prefix(&format!("bills[{j}].")) {
                    let (fi, fj) = place_of_bill.get(b.bill_id.trim()).copied().unwrap_or((form_i, j));
                    return Some(format!("payments[{fi}].bills[{fj}].{field}"));
                }
            }
            Some(format!("payments[{form_i}].{rest}"))
        });
        out.add(&mapped.unwrap_or(e.field), e.message);
    }
    out
}

pub async fn pay(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let (input, parse_errors) = run_input(&form);
    let result = if parse_errors.is_empty() {
        if input.payments.is_empty() {
            Err(AppError::Validation(ValidationErrors::single("payments", "enter an amount for at least one bill")))
        } else {
            state.app.pay_bills(&session.actor, &input).await.map_err(|e| match e {
                AppError::Validation(errors) => AppError::Validation(form_errors(&form, &input, errors)),
                other => other,
            })
        }
    } else {
        Err(AppError::Validation(parse_errors))
    };
    match result {
        Ok(run) => {
            let date = run.payments.first().map(|p| p.payment_date.clone()).unwrap_or_default();
            Redirect::to(&format!("/books/checks?from={date}&to={date}&done=paid")).into_response()
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let typed = submitted(&form);
            let bills: Vec<String> = form
                .values
                .iter()
                .filter(|(k, _)| k.ends_with(".bill_id"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_values()
                .collect();
            let date = day(form.v("payment_date")).unwrap_or_else(|| session.actor.today(state.app.now()));
            match state.app.payment_run_draft(&session.actor, &bills, date, form.v("cash_account")).await {
                Ok(draft) => run_page_of(&session, draft, form, Some(&typed)),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

/// A payment in the register.
struct RegisterRow {
    id: String,
    date: String,
    method: &'static str,
    reference: String,
    payee: String,
    cash_account: String,
    amount: String,
    discount: String,
    voided: bool,
    void_date: String,
    journal_entry_id: String,
}

#[derive(Template)]
#[template(path = "ledger_checks.html")]
struct RegisterPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    from: String,
    to: String,
    rows: Vec<RegisterRow>,
    total: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct RegisterQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    done: String,
}

fn register_row(p: BillPaymentView) -> RegisterRow {
    RegisterRow {
        method: if p.method == "check" { "Check" } else { "ACH" },
        amount: money(p.amount_cents),
        discount: if p.discount_cents > 0 { money(p.discount_cents) } else { String::new() },
        voided: p.status == "voided",
        void_date: p.void_date.unwrap_or_default(),
        id: p.id,
        date: p.payment_date,
        reference: p.reference,
        payee: p.vendor_name,
        cash_account: p.cash_account,
        journal_entry_id: p.journal_entry_id,
    }
}

async fn register_page(state: &AppState, session: &PageSession, q: &RegisterQuery, error: Option<String>) -> Response {
    let (default_from, default_to) = default_journal_range(session.actor.today(state.app.now()));
    let from = day(&q.from).unwrap_or(default_from);
    let to = day(&q.to).unwrap_or(default_to);
    let notice = match q.done.as_str() {
        "paid" => Some("The payments were posted.".to_string()),
        "voided" => Some("The payment was voided: its entry is reversed and its bills are open again.".to_string()),
        _ => None,
    };
    match state.app.check_register(&session.actor, from, to).await {
        Ok(view) => render(&RegisterPage {
            layout: Layout::new(session, "/books").with_notice(notice),
            title: "Check register",
            tab: "checks",
            from: view.from,
            to: view.to,
            total: money(view.total_cents),
            rows: view.payments.into_iter().map(register_row).collect(),
            error,
        }),
        Err(e) => error_page(e),
    }
}

pub async fn register(State(state): State<AppState>, session: PageSession, Query(q): Query<RegisterQuery>) -> Response {
    register_page(&state, &session, &q, None).await
}

pub async fn void(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = VoidPaymentInput { date: form.take("date"), reason: form.take("reason") };
    match state.app.void_bill_payment(&session.actor, &id, &input).await {
        Ok(p) => Redirect::to(&format!("/books/checks?from={0}&to={0}&done=voided", p.payment_date)).into_response(),
        Err(AppError::Validation(errors)) => {
            let q = RegisterQuery { from: form.take("from"), to: form.take("to"), done: String::new() };
            register_page(&state, &session, &q, Some(format!("The payment was not voided: {}", errors.summary()))).await
        }
        Err(e) => error_page(e),
    }
}

/// A vendor's row of the aging report: the five buckets and the total.
struct AgingRow {
    vendor: String,
    amounts: Vec<String>,
    total: String,
}

#[derive(Template)]
#[template(path = "ledger_ap_aging.html")]
struct AgingPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    as_of: String,
    headings: Vec<&'static str>,
    rows: Vec<AgingRow>,
    totals: Vec<String>,
    total: String,
    control: String,
    difference: String,
    ties: bool,
}

#[derive(Deserialize, Default)]
pub struct AsOfQuery {
    #[serde(default)]
    as_of: String,
}

fn aging_page(session: &PageSession, view: ApAgingView) -> AgingPage {
    let row = |amounts: &medoffice_app::bill_payments::AgingAmounts| -> Vec<String> {
        AgingBucket::ALL.iter().map(|b| money(amounts.of(*b))).collect()
    };
    AgingPage {
        layout: Layout::new(session, "/books"),
        title: "Accounts payable aging",
        tab: "aging",
        headings: AgingBucket::ALL.iter().map(|b| b.label()).collect(),
        rows: view
            .vendors
            .iter()
            .map(|v| AgingRow { vendor: v.vendor_name.clone(), amounts: row(&v.amounts), total: money(v.amounts.total_cents) })
            .collect(),
        totals: row(&view.totals),
        total: money(view.totals.total_cents),
        control: money(view.control_cents),
        difference: money(view.difference_cents),
        ties: view.ties(),
        as_of: view.as_of,
    }
}

pub async fn aging(State(state): State<AppState>, session: PageSession, Query(q): Query<AsOfQuery>) -> Response {
    let as_of = day(&q.as_of).unwrap_or_else(|| session.actor.today(state.app.now()));
    match state.app.ap_aging(&session.actor, as_of).await {
        Ok(view) => render(&aging_page(&session, view)),
        Err(e) => error_page(e),
    }
}

/// A 1099 vendor's row.
struct Row1099 {
    vendor: String,
    tax_id: String,
    address: String,
    paid: String,
    payments: i64,
    reportable: bool,
}

#[derive(Template)]
#[template(path = "ledger_1099.html")]
struct Page1099 {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    year: i32,
    threshold: String,
    rows: Vec<Row1099>,
    total: String,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
}

pub async fn vendors_1099(State(state): State<AppState>, session: PageSession, Query(q): Query<YearQuery>) -> Response {
    let year = q.year.trim().parse::<i32>().unwrap_or_else(|_| year_of(session.actor.today(state.app.now())));
    match state.app.vendor_1099_totals(&session.actor, year).await {
        Ok(view) => render(&Page1099 {
            layout: Layout::new(&session, "/books"),
            title: "1099 totals",
            tab: "1099",
            year: view.year,
            threshold: money(view.threshold_cents),
            total: money(view.total_cents),
            rows: view
                .vendors
                .into_iter()
                .map(|v| Row1099 {
                    vendor: v.vendor_name,
                    tax_id: v.tax_id.unwrap_or_default(),
                    address: v.address.unwrap_or_default(),
                    paid: money(v.paid_cents),
                    payments: v.payments,
                    reportable: v.reportable,
                })
                .collect(),
        }),
        Err(e) => error_page(e),
    }
}
