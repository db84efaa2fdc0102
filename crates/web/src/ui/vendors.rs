//! Vendors and bill entry in the books: `/books/vendors` (the list with terms, 1099 flag, default
//! account and what the practice owes each), a vendor's form (new and edit), `/books/bills/new`
//! (a bill with its lines and the scanned bill attached, one multipart form) and a bill's page
//! with its attachment's download.
//!
//! The forms work without JavaScript: the server computes the due date from the vendor's terms
//! and checks every field, putting each message next to its field. `/books/bill-entry.js` shows
//! the due date and the total while typing and starts the lines on the vendor's default account.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::ledger::AccountView;
use medoffice_app::patients::Upload;
use medoffice_app::payables::{BillDetailView, BillLineInput, NewBillInput, NewVendorInput, VendorBalanceView, VendorView};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::terms::PaymentTerms;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

/// Line rows the bill form shows (more after a submit that used more).
const BILL_ROWS: usize = 5;
/// The most lines a bill form takes.
const MAX_BILL_ROWS: usize = 50;

/// The terms the vendor form offers, as stored and as shown; `day_of_month` takes its day from
/// the `terms_day` field.
const TERMS_CHOICES: [(&str, &str); 6] = [
    ("net_30", "Net 30"),
    ("net_15", "Net 15"),
    ("net_60", "Net 60"),
    ("2/10 net 30", "2/10 net 30 (2 % off within 10 days)"),
    ("due_on_receipt", "Due on receipt"),
    ("day_of_month", "Day of the next month…"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/books/vendors", get(vendors).post(create_vendor))
        .route("/books/vendors/new", get(new_vendor))
        .route("/books/vendors/{id}", get(vendor).post(update_vendor))
        .route("/books/bills/new", get(new_bill).post(create_bill))
        .route("/books/bills/{id}", get(bill))
        .route("/books/bills/attachments/{id}", get(attachment))
        .route("/books/bill-entry.js", get(script))
}

fn deny_unless(session: &PageSession, action: Action) -> Option<Response> {
    (!session.actor.role.may(action)).then(|| error_page(AppError::Forbidden))
}

/// The open expense and asset accounts a bill line (or a vendor's default) may go to.
async fn billable_accounts(state: &AppState, session: &PageSession) -> Result<Vec<AccountView>, AppError> {
    Ok(state
        .app
        .chart_of_accounts(&session.actor)
        .await?
        .into_iter()
        .filter(|a| a.active && matches!(a.account_type.as_str(), "expense" | "asset"))
        .collect())
}

fn account_options(accounts: &[AccountView], blank: &str) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), blank.to_string())];
    options.extend(accounts.iter().map(|a| (a.number.clone(), format!("{} {}", a.number, a.name))));
    options
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    done: String,
}

// ---------------------------------------------------------------------------------------------
// Vendors
// ---------------------------------------------------------------------------------------------

/// A vendor on the list.
struct VendorRow {
    id: String,
    name: String,
    terms: String,
    is_1099: bool,
    default_account: String,
    open_balance: String,
}

#[derive(Template)]
#[template(path = "books_vendors.html")]
struct VendorsPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    rows: Vec<VendorRow>,
    can_manage: bool,
}

pub async fn vendors(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let list: Vec<VendorBalanceView> = match state.app.vendors_with_balances(&session.actor).await {
        Ok(list) => list,
        Err(e) => return error_page(e),
    };
    let names: HashMap<String, String> = match state.app.chart_of_accounts(&session.actor).await {
        Ok(chart) => chart.into_iter().map(|a| (a.number, a.name)).collect(),
        Err(e) => return error_page(e),
    };
    let rows = list
        .into_iter()
        .map(|v| VendorRow {
            default_account: v
                .vendor
                .default_expense_account
                .map(|n| match names.get(&n) {
                    Some(name) => format!("{n} {name}"),
                    None => n,
                })
                .unwrap_or_default(),
            id: v.vendor.id,
            name: v.vendor.name,
            terms: v.vendor.terms_label,
            is_1099: v.vendor.is_1099,
            open_balance: Money::from_cents(v.open_balance_cents).to_string(),
        })
        .collect();
    let notice = (q.done == "added").then(|| "The vendor was added.".to_string());
    render(&VendorsPage {
        layout: Layout::new(&session, "/books").with_notice(notice),
        title: "Vendors",
        tab: "vendors",
        rows,
        can_manage: session.actor.role.may(Action::PostJournal),
    })
}

#[derive(Template)]
#[template(path = "books_vendor_form.html")]
struct VendorFormPage {
    layout: Layout,
    title: String,
    tab: &'static str,
    /// The vendor's id when editing.
    vendor_id: Option<String>,
    form: FormState,
    terms_options: Vec<(String, String)>,
    account_options: Vec<(String, String)>,
    can_manage: bool,
    /// An existing vendor's bills, newest first.
    bills: Vec<VendorBillRow>,
}

/// One of a vendor's bills on its page.
struct VendorBillRow {
    id: String,
    bill_number: String,
    bill_date: String,
    due_date: String,
    status: String,
    amount: String,
}

impl VendorFormPage {
    /// Where the form posts.
    fn action(&self) -> String {
        match &self.vendor_id {
            Some(id) => format!("/books/vendors/{id}"),
            None => "/books/vendors".to_string(),
        }
    }

    /// Whether the terms chosen are a day of the next month (the day's field then matters).
    fn is_day_of_month(&self) -> bool {
        self.form.v("payment_terms") == "day_of_month"
    }
}

/// The form's values of a vendor on file: terms split into the choice and the day.
fn vendor_values(v: &VendorView) -> HashMap<String, String> {
    let mut values = HashMap::new();
    values.insert("name".into(), v.name.clone());
    values.insert("address".into(), v.address.clone().unwrap_or_default());
    values.insert("contact".into(), v.contact.clone().unwrap_or_default());
    values.insert("tax_id".into(), v.tax_id.clone().unwrap_or_default());
    values.insert("default_expense_account".into(), v.default_expense_account.clone().unwrap_or_default());
    match v.payment_terms.strip_prefix("day_of_month:") {
        Some(day) => {
            values.insert("payment_terms".into(), "day_of_month".into());
            values.insert("terms_day".into(), day.to_string());
        }
        None => {
            values.insert("payment_terms".into(), v.payment_terms.clone());
        }
    }
    if v.is_1099 {
        values.insert("is_1099".into(), "on".into());
    }
    values
}

async fn vendor_form_page(
    state: &AppState,
    session: &PageSession,
    vendor: Option<&VendorView>,
    form: FormState,
    notice: Option<String>,
) -> Response {
    let accounts = match billable_accounts(state, session).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let mut terms_options: Vec<(String, String)> = TERMS_CHOICES.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect();
    // Terms on file that are not among the choices (net_45, 1/15 net 45) stay choosable.
    let current = form.v("payment_terms");
    if !current.is_empty() && !terms_options.iter().any(|(v, _)| v == current) {
        let label = PaymentTerms::parse(current).map(|t| t.label()).unwrap_or_else(|_| current.to_string());
        terms_options.insert(0, (current.to_string(), label));
    }
    let title = match vendor {
        Some(v) => v.name.clone(),
        None => "New vendor".to_string(),
    };
    let bills = match vendor {
        Some(v) => match state.app.bills(&session.actor, "", &v.id).await {
            Ok(bills) => bills,
            Err(e) => return error_page(e),
        },
        None => Vec::new(),
    };
    render(&VendorFormPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title,
        tab: "vendors",
        vendor_id: vendor.map(|v| v.id.clone()),
        form,
        terms_options,
        account_options: account_options(&accounts, "None"),
        can_manage: session.actor.role.may(Action::PostJournal),
        bills: bills
            .into_iter()
            .map(|b| VendorBillRow {
                id: b.id,
                bill_number: b.bill_number,
                bill_date: b.bill_date,
                due_date: b.due_date,
                status: b.status,
                amount: Money::from_cents(b.total_cents).to_string(),
            })
            .collect(),
    })
}

pub async fn new_vendor(State(state): State<AppState>, session: PageSession) -> Response {
    if let Some(r) = deny_unless(&session, Action::PostJournal) {
        return r;
    }
    let mut values = HashMap::new();
    values.insert("payment_terms".to_string(), "net_30".to_string());
    vendor_form_page(&state, &session, None, FormState::new(values), None).await
}

/// The typed vendor of a submitted form: `day_of_month` with its day becomes `day_of_month:N`.
fn vendor_input(form: &FormState) -> NewVendorInput {
    let choice = form.v("payment_terms").trim();
    let payment_terms = if choice == "day_of_month" { format!("day_of_month:{}", form.v("terms_day").trim()) } else { choice.to_string() };
    NewVendorInput {
        name: form.take("name"),
        address: form.take("address"),
        contact: form.take("contact"),
        tax_id: form.take("tax_id"),
        default_expense_account: form.take("default_expense_account"),
        payment_terms,
        is_1099: !form.v("is_1099").is_empty(),
    }
}

/// A refusal of the terms of a day-of-month choice belongs next to the day's field.
fn place_terms_error(form: &FormState, mut errors: ValidationErrors) -> ValidationErrors {
    if form.v("payment_terms") == "day_of_month" {
        for e in &mut errors.errors {
            if e.field == "payment_terms" {
                e.field = "terms_day".to_string();
            }
        }
    }
    errors
}

pub async fn create_vendor(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.add_vendor(&session.actor, &vendor_input(&form)).await {
        Ok(_) => Redirect::to("/books/vendors?done=added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = place_terms_error(&form, errors);
            vendor_form_page(&state, &session, None, form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn vendor(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let v = match state.app.vendor(&session.actor, &id).await {
        Ok(v) => v,
        Err(e) => return error_page(e),
    };
    let notice = (q.done == "saved").then(|| "The vendor was saved.".to_string());
    vendor_form_page(&state, &session, Some(&v), FormState::new(vendor_values(&v)), notice).await
}

pub async fn update_vendor(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.update_vendor(&session.actor, &id, &vendor_input(&form)).await {
        Ok(v) => Redirect::to(&format!("/books/vendors/{}?done=saved", v.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = place_terms_error(&form, errors);
            let v = match state.app.vendor(&session.actor, &id).await {
                Ok(v) => v,
                Err(e) => return error_page(e),
            };
            vendor_form_page(&state, &session, Some(&v), form, None).await
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Bills
// ---------------------------------------------------------------------------------------------

/// A vendor in the bill form's select, with what the script needs.
struct VendorChoice {
    id: String,
    name: String,
    terms: String,
    terms_label: String,
    default_account: String,
}

/// One line row of the bill form.
struct BillFormLine {
    index: usize,
    account: String,
    amount: String,
    memo: String,
    account_error: Option<String>,
    amount_error: Option<String>,
}

#[derive(Template)]
#[template(path = "books_bill_new.html")]
struct NewBillPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    form: FormState,
    vendors: Vec<VendorChoice>,
    accounts: Vec<AccountView>,
    lines: Vec<BillFormLine>,
    /// The due date the server works out from the chosen vendor and date, when it can.
    due_date: String,
    total: String,
    max_upload_mb: usize,
}

/// The due date of a bill dated `bill_date` from a vendor with `terms`, or blank.
fn due_date_of(terms: &str, bill_date: &str) -> String {
    let date = chrono::NaiveDate::parse_from_str(bill_date.trim(), "%Y-%m-%d").ok();
    PaymentTerms::parse(terms).ok().zip(date).and_then(|(t, d)| t.due_date(d)).map(|d| d.to_string()).unwrap_or_default()
}

async fn new_bill_page(state: &AppState, session: &PageSession, form: FormState) -> Response {
    let vendors = match state.app.vendors(&session.actor).await {
        Ok(v) => v,
        Err(e) => return error_page(e),
    };
    let accounts = match billable_accounts(state, session).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let chosen = vendors.iter().find(|v| v.id == form.v("vendor_id"));
    let due_date = chosen.map(|v| due_date_of(&v.payment_terms, form.v("bill_date"))).unwrap_or_default();
    let default_account = chosen.and_then(|v| v.default_expense_account.clone()).unwrap_or_default();
    let submitted =
        (0..MAX_BILL_ROWS).filter(|i| form.values.keys().any(|k| k.starts_with(&format!("lines[{i}].")))).max().map_or(0, |i| i + 1);
    let total: i64 =
        (0..submitted).filter_map(|i| Money::parse(form.v(&format!("lines[{i}].amount"))).ok()).map(Money::cents).filter(|c| *c > 0).sum();
    let lines = (0..submitted.max(BILL_ROWS))
        .map(|i| {
            let f = |name: &str| form.v(&format!("lines[{i}].{name}")).to_string();
            let err = |name: &str| form.err(&format!("lines[{i}].{name}")).map(str::to_string);
            let account = f("account");
            BillFormLine {
                index: i,
                account: if account.is_empty() && !form.values.contains_key(&format!("lines[{i}].account")) {
                    default_account.clone()
                } else {
                    account
                },
                amount: f("amount"),
                memo: f("memo"),
                account_error: err("account"),
                amount_error: err("amount").or_else(|| err("amount_cents")),
            }
        })
        .collect();
    render(&NewBillPage {
        layout: Layout::new(session, "/books"),
        title: "New bill",
        tab: "bills",
        vendors: vendors
            .into_iter()
            .map(|v| VendorChoice {
                id: v.id,
                name: v.name,
                terms: v.payment_terms,
                terms_label: v.terms_label,
                default_account: v.default_expense_account.unwrap_or_default(),
            })
            .collect(),
        accounts,
        lines,
        due_date,
        total: Money::from_cents(total).to_string(),
        max_upload_mb: state.app.config.max_upload_bytes / (1024 * 1024),
        form,
    })
}

#[derive(Deserialize, Default)]
pub struct NewBillQuery {
    #[serde(default)]
    vendor_id: String,
    /// A vendor bill from the mail room: once the bill is saved, the mail item is marked entered
    /// and its scan attached to the bill.
    #[serde(default)]
    from_mail: String,
}

pub async fn new_bill(State(state): State<AppState>, session: PageSession, Query(q): Query<NewBillQuery>) -> Response {
    if let Some(r) = deny_unless(&session, Action::PostJournal) {
        return r;
    }
    let mut values = HashMap::new();
    values.insert("bill_date".to_string(), session.actor.today(state.app.now()).to_string());
    values.insert("vendor_id".to_string(), q.vendor_id);
    values.insert("from_mail".to_string(), q.from_mail);
    new_bill_page(&state, &session, FormState::new(values)).await
}

/// Reads the multipart bill form: its text fields and the attached file (none when no file was
/// chosen: browsers send an empty part).
async fn read_bill_form(mut multipart: Multipart) -> Result<(FormState, Option<Upload>), String> {
    let mut values = HashMap::new();
    let mut attachment = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let content_type = field.content_type().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
            if !bytes.is_empty() {
                attachment = Some(Upload { file_name, content_type, bytes });
            }
        } else {
            let text = field.text().await.map_err(|e| e.body_text())?;
            values.insert(name, text);
        }
    }
    Ok((FormState::new(values), attachment))
}

/// The typed bill of a form: the used rows (an amount or a memo) with amounts parsed to cents
/// by `Money::parse`. Also answers each input line's form row and the rows whose amount is not
/// an amount (sent as 0 cents, which the use case refuses, so such a bill is never entered).
fn bill_input(form: &FormState) -> (NewBillInput, Vec<usize>, Vec<(usize, String)>) {
    let rows = (0..MAX_BILL_ROWS).filter(|i| form.values.contains_key(&format!("lines[{i}].amount"))).max().map_or(0, |i| i + 1);
    let mut lines = Vec::new();
    let mut row_of = Vec::new();
    let mut bad_amounts = Vec::new();
    for i in 0..rows {
        let amount = form.v(&format!("lines[{i}].amount"));
        let memo = form.v(&format!("lines[{i}].memo"));
        if amount.trim().is_empty() && memo.trim().is_empty() {
            continue;
        }
        let amount_cents = match Money::parse(amount) {
            Ok(m) => m.cents(),
            Err(e) => {
                bad_amounts.push((i, e));
                0
            }
        };
        row_of.push(i);
        lines.push(BillLineInput { account: form.take(&format!("lines[{i}].account")), amount_cents, memo: memo.to_string() });
    }
    let input = NewBillInput {
        vendor_id: form.take("vendor_id"),
        bill_number: form.take("bill_number"),
        bill_date: form.take("bill_date"),
        memo: form.take("memo"),
        lines,
    };
    (input, row_of, bad_amounts)
}

/// The use case's errors named after the form's fields: `lines[N]` of the typed bill becomes the
/// form's row, `amount_cents` the row's `amount`, and an amount that was not one says so.
fn form_errors(errors: ValidationErrors, row_of: &[usize], bad_amounts: &[(usize, String)]) -> ValidationErrors {
    let mut out = ValidationErrors::new();
    for e in errors.errors {
        let field = match e.field.strip_prefix("lines[").and_then(|rest| rest.split_once("].")) {
            Some((n, name)) => {
                let row = n.parse::<usize>().ok().and_then(|n| row_of.get(n).copied()).unwrap_or(0);
                let name = if name == "amount_cents" { "amount" } else { name };
                if name == "amount" && bad_amounts.iter().any(|(r, _)| *r == row) {
                    continue;
                }
                format!("lines[{row}].{name}")
            }
            None => e.field,
        };
        out.add(&field, e.message);
    }
    for (row, message) in bad_amounts {
        out.add(&format!("lines[{row}].amount"), message.clone());
    }
    out
}

pub async fn create_bill(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, attachment) = match read_bill_form(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("attachment", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let (input, row_of, bad_amounts) = bill_input(&form);
    match state.app.enter_bill_with_attachment(&session.actor, &input, attachment).await {
        Ok(bill) => {
            let from_mail = form.v("from_mail").trim();
            if !from_mail.is_empty()
                && let Err(e) = state.app.mail_bill_entered(&session.actor, from_mail, &bill.id).await
            {
                return error_page(e);
            }
            Redirect::to(&format!("/books/bills/{}?done=entered", bill.id)).into_response()
        }
        Err(AppError::Validation(errors)) => {
            form.errors = form_errors(errors, &row_of, &bad_amounts);
            new_bill_page(&state, &session, form).await
        }
        Err(e) => error_page(e),
    }
}

/// A bill line on screen.
struct BillLineRow {
    number: i64,
    account: String,
    amount: String,
    memo: String,
}

/// An attachment on screen.
struct AttachmentRow {
    id: String,
    filename: String,
    kind: &'static str,
    size: String,
}

#[derive(Template)]
#[template(path = "books_bill_detail.html")]
struct BillPage {
    layout: Layout,
    title: String,
    tab: &'static str,
    bill: BillDetailView,
    total: String,
    lines: Vec<BillLineRow>,
    attachments: Vec<AttachmentRow>,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{}.{} MB", bytes / (1024 * 1024), (bytes % (1024 * 1024)) * 10 / (1024 * 1024))
    } else if bytes >= 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

pub async fn bill(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let bill = match state.app.bill(&session.actor, &id).await {
        Ok(b) => b,
        Err(e) => return error_page(e),
    };
    let notice = (q.done == "entered").then(|| "The bill was entered and its journal entry posted.".to_string());
    let lines = bill
        .lines
        .iter()
        .map(|l| BillLineRow {
            number: l.line_number,
            account: format!("{} {}", l.account_number, l.account_name),
            amount: Money::from_cents(l.amount_cents).to_string(),
            memo: l.memo.clone().unwrap_or_default(),
        })
        .collect();
    let attachments = bill
        .attachments
        .iter()
        .map(|a| AttachmentRow {
            id: a.id.clone(),
            filename: a.filename.clone(),
            kind: match a.content_type.as_str() {
                "application/pdf" => "PDF",
                "image/png" => "PNG",
                _ => "JPEG",
            },
            size: size_text(a.size_bytes),
        })
        .collect();
    render(&BillPage {
        layout: Layout::new(&session, "/books").with_notice(notice),
        title: format!("Bill {} from {}", bill.bill.bill_number, bill.bill.vendor_name),
        tab: "bills",
        total: Money::from_cents(bill.bill.total_cents).to_string(),
        lines,
        attachments,
        bill,
    })
}

/// A bill's attached file, with its recognised type; audited by the use case.
pub async fn attachment(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.bill_attachment(&session.actor, &id).await {
        Ok((file, bytes)) => {
            // The name is the uploader's: quotes and controls are gone already; keep it ASCII
            // in the plain parameter and give the exact name in RFC 5987's filename*.
            let ascii: String = file.filename.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '_' }).collect();
            let encoded: String = file
                .filename
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
            (
                [
                    (header::CONTENT_TYPE, file.content_type),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => error_page(e),
    }
}

/// The bill form's due date, total and default accounts (progressive: the form works without it).
pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/bill-entry.js")).into_response()
}
