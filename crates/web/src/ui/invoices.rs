//! Third-party invoices under Billing: `/billing/invoices` (the list with status, party and aging
//! filters, the aging of AR - Other by party tied to the 1120 balance, the late-charge run),
//! `/billing/invoices/new`, `/billing/invoices/{id}` (lines, payments with their receipts, late
//! charges with their reversal, the payment and void forms, the PDF) and `/billing/third-parties`
//! (the bill-to parties, added and edited with their terms and late-charge policy).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::invoices::{
    InvoiceAging, InvoiceLineInput, InvoicePaymentInput, InvoiceQuery, InvoiceView, NewInvoiceInput, PARTY_KINDS, PAYMENT_METHODS,
    ThirdPartyInput, ThirdPartyView, bucket_key,
};
use medoffice_domain::ledger::aging::Bucket;
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

const NAV: &str = "/billing";
/// Rows of the new-invoice form.
const FORM_LINES: usize = 6;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/invoices", get(index).post(create))
        .route("/billing/invoices/new", get(new_form))
        .route("/billing/invoices/late-charges", post(run_late_charges))
        .route("/billing/invoices/{id}", get(show))
        .route("/billing/invoices/{id}/pdf", get(pdf))
        .route("/billing/invoices/{id}/payments", post(pay))
        .route("/billing/invoices/{id}/void", post(void))
        .route("/billing/invoice-late-charges/{id}/reverse", post(reverse_late_charge))
        .route("/billing/third-parties", get(parties).post(add_party))
        .route("/billing/third-parties/{id}", get(party_page).post(update_party))
}

fn notice(key: &str) -> Option<String> {
    let text = match key {
        "created" => "Invoice issued and posted (AR - Other / Other service revenue). Print it with “PDF”.",
        "paid" => "Payment received and posted; its receipt is listed below.",
        "voided" => "Invoice voided: its entry is reversed.",
        "reversed" => "Late charge reversed.",
        "party_added" => "Third party added.",
        "party_saved" => "Third party saved.",
        _ => return None,
    };
    Some(text.to_string())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    third_party_id: String,
    aging: String,
    notice: String,
}

/// A status tab of the list.
pub struct Tab {
    pub status: &'static str,
    pub label: &'static str,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "billing_invoices.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    query: ListQuery,
    tabs: Vec<Tab>,
    parties: Vec<ThirdPartyView>,
    invoices: Vec<InvoiceView>,
    aging: InvoiceAging,
    error: Option<String>,
    can_manage: bool,
    run_date: String,
}

impl ListPage {
    fn aging_options(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = vec![("", "Any age")];
        out.extend(Bucket::ALL.iter().map(|b| (bucket_key(*b), b.label())));
        out
    }
}

async fn list_view(state: &AppState, session: &PageSession, query: ListQuery, notice_text: Option<String>) -> Response {
    let actor = &session.actor;
    let q = InvoiceQuery { status: query.status.clone(), third_party_id: query.third_party_id.clone(), aging: query.aging.clone() };
    let (invoices, error) = match state.app.invoices(actor, &q).await {
        Ok(list) => (list, None),
        Err(AppError::Validation(e)) => (Vec::new(), Some(format!("The filter was not applied: {e}"))),
        Err(e) => return error_page(e),
    };
    let parties = match state.app.third_parties(actor).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let aging = match state.app.invoice_aging(actor, None).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let tabs = [("open", "Open"), ("partially_paid", "Partially paid"), ("paid", "Paid"), ("void", "Void")]
        .iter()
        .map(|(status, label)| Tab { status, label, active: query.status == *status })
        .collect();
    render(&ListPage {
        layout: Layout::new(session, NAV).with_notice(notice_text),
        title: "Third-party invoices",
        run_date: aging.as_of.clone(),
        query,
        tabs,
        parties,
        invoices,
        aging,
        error,
        can_manage: actor.role.may(Action::ManageReceivables),
    })
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(query): Query<ListQuery>) -> Response {
    let n = notice(&query.notice);
    list_view(&state, &session, query, n).await
}

/// Runs the late charges as of the date given (today by default) and shows the list again.
pub async fn run_late_charges(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let date = match form.v("as_of").trim() {
        "" => session.actor.today(state.app.now()),
        t => match chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                let message = "Late charges not run: enter the date as YYYY-MM-DD.".to_string();
                return list_view(&state, &session, ListQuery::default(), Some(message)).await;
            }
        },
    };
    match state.app.apply_invoice_late_charges(&session.actor, date).await {
        Ok(run) => {
            let message = if run.charged == 0 {
                format!("Late charges as of {}: nothing to charge (none past due beyond grace, or charged in the last 30 days).", run.as_of)
            } else {
                format!(
                    "Late charges as of {}: {} charged, {} in all.",
                    run.as_of,
                    run.charged,
                    medoffice_domain::money::Money::from_cents(run.total_cents)
                )
            };
            list_view(&state, &session, ListQuery::default(), Some(message)).await
        }
        Err(e) => error_page(e),
    }
}

/// One row of the new-invoice form, with its values and errors.
pub struct LineRow {
    pub index: usize,
    pub description: String,
    pub service_date: String,
    pub amount: String,
    pub description_error: Option<String>,
    pub service_date_error: Option<String>,
    pub amount_error: Option<String>,
}

#[derive(Template)]
#[template(path = "billing_invoice_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    parties: Vec<ThirdPartyView>,
    rows: Vec<LineRow>,
}

impl NewPage {
    fn party_options(&self) -> Vec<(String, String)> {
        let mut out = vec![(String::new(), "Choose…".to_string())];
        out.extend(self.parties.iter().map(|p| (p.id.clone(), format!("{} ({}, {})", p.name, p.kind_label, p.terms_label))));
        out
    }
}

fn line_rows(form: &FormState) -> Vec<LineRow> {
    (0..FORM_LINES)
        .map(|i| {
            let name = |f: &str| format!("lines[{i}].{f}");
            LineRow {
                index: i,
                description: form.v(&name("description")).to_string(),
                service_date: form.v(&name("service_date")).to_string(),
                amount: form.v(&name("amount")).to_string(),
                description_error: form.err(&name("description")).map(str::to_string),
                service_date_error: form.err(&name("service_date")).map(str::to_string),
                amount_error: form.err(&name("amount")).map(str::to_string),
            }
        })
        .collect()
}

async fn new_view(state: &AppState, session: &PageSession, form: FormState, status: StatusCode) -> Response {
    let parties = match state.app.third_parties(&session.actor).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let rows = line_rows(&form);
    let page = NewPage { layout: Layout::new(session, NAV), title: "New invoice", form, parties, rows };
    (status, render(&page)).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    third_party_id: String,
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    if !session.actor.role.may(Action::ManageReceivables) {
        return error_page(AppError::Forbidden);
    }
    let mut values = HashMap::new();
    values.insert("third_party_id".to_string(), q.third_party_id);
    values.insert("invoice_date".to_string(), session.actor.today(state.app.now()).format("%Y-%m-%d").to_string());
    new_view(&state, &session, FormState::new(values), StatusCode::OK).await
}

/// Issues the invoice; its page follows, or the form again with the messages by the fields.
pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = NewInvoiceInput {
        third_party_id: form.take("third_party_id"),
        invoice_date: form.take("invoice_date"),
        memo: form.take("memo"),
        lines: (0..FORM_LINES)
            .map(|i| InvoiceLineInput {
                description: form.take(&format!("lines[{i}].description")),
                service_date: form.take(&format!("lines[{i}].service_date")),
                amount: form.take(&format!("lines[{i}].amount")),
            })
            .collect(),
    };
    match state.app.create_invoice(&session.actor, &input).await {
        Ok(inv) => Redirect::to(&format!("/billing/invoices/{}?notice=created", inv.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            new_view(&state, &session, FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_invoice.html")]
struct InvoicePage {
    layout: Layout,
    title: String,
    invoice: InvoiceView,
    party: ThirdPartyView,
    form: FormState,
    can_manage: bool,
}

impl InvoicePage {
    fn method_options(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = vec![("", "Choose…")];
        out.extend(PAYMENT_METHODS.iter().copied());
        out
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    notice: String,
}

async fn invoice_view(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: FormState,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let invoice = match state.app.invoice(&session.actor, id).await {
        Ok(i) => i,
        Err(e) => return error_page(e),
    };
    let party = match state.app.third_party(&session.actor, &invoice.third_party_id).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let page = InvoicePage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: format!("Invoice {}", invoice.number),
        invoice,
        party,
        form,
        can_manage: session.actor.role.may(Action::ManageReceivables),
    };
    (status, render(&page)).into_response()
}

pub async fn show(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<ShowQuery>) -> Response {
    let mut values = HashMap::new();
    values.insert("payment_date".to_string(), session.actor.today(state.app.now()).format("%Y-%m-%d").to_string());
    invoice_view(&state, &session, &id, FormState::new(values), StatusCode::OK, notice(&q.notice)).await
}

/// The printable invoice.
pub async fn pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.invoice_pdf(&session.actor, &id).await {
        Ok((name, bytes)) => pdf_response(&name, bytes),
        Err(e) => error_page(e),
    }
}

/// A PDF shown in the browser (its own viewer prints it), named for saving.
fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\""))], bytes)
        .into_response()
}

/// Receives a payment; the invoice again with its receipt, or with the messages by the fields.
pub async fn pay(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = InvoicePaymentInput {
        amount: form.take("amount"),
        method: form.take("method"),
        reference: form.take("reference"),
        payment_date: form.take("payment_date"),
    };
    match state.app.pay_invoice(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/billing/invoices/{id}?notice=paid")).into_response(),
        Err(AppError::Validation(errors)) => {
            invoice_view(&state, &session, &id, FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => error_page(e),
    }
}

/// Voids the invoice with a reason.
pub async fn void(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.void_invoice(&session.actor, &id, form.v("reason")).await {
        Ok(_) => Redirect::to(&format!("/billing/invoices/{id}?notice=voided")).into_response(),
        Err(AppError::Validation(errors)) => {
            invoice_view(&state, &session, &id, FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(AppError::Conflict(message)) => {
            invoice_view(&state, &session, &id, FormState::default(), StatusCode::CONFLICT, Some(format!("Not voided: {message}."))).await
        }
        Err(e) => error_page(e),
    }
}

/// Reverses one late charge with a reason and shows its invoice again.
pub async fn reverse_late_charge(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let invoice_id = form.take("invoice_id");
    let message = match state.app.reverse_invoice_late_charge(&session.actor, &id, form.v("reason")).await {
        Ok(c) => return Redirect::to(&format!("/billing/invoices/{}?notice=reversed", c.invoice_id)).into_response(),
        Err(AppError::Validation(e)) => e.errors.first().map(|f| f.message.clone()).unwrap_or_default(),
        Err(AppError::Conflict(message)) => message,
        Err(e) => return error_page(e),
    };
    if invoice_id.is_empty() {
        return Redirect::to("/billing/invoices").into_response();
    }
    let notice = Some(format!("Not reversed: {message}."));
    invoice_view(&state, &session, &invoice_id, FormState::default(), StatusCode::UNPROCESSABLE_ENTITY, notice).await
}

#[derive(Template)]
#[template(path = "billing_parties.html")]
struct PartiesPage {
    layout: Layout,
    title: &'static str,
    parties: Vec<ThirdPartyView>,
    form: FormState,
    can_manage: bool,
}

impl PartiesPage {
    fn kind_options(&self) -> Vec<(&'static str, &'static str)> {
        kind_options()
    }
}

fn kind_options() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("", "Choose…")];
    out.extend(PARTY_KINDS.iter().copied());
    out
}

async fn parties_view(state: &AppState, session: &PageSession, form: FormState, status: StatusCode, notice: Option<String>) -> Response {
    match state.app.third_parties(&session.actor).await {
        Ok(parties) => {
            let page = PartiesPage {
                layout: Layout::new(session, NAV).with_notice(notice),
                title: "Third parties",
                parties,
                form,
                can_manage: session.actor.role.may(Action::ManageReceivables),
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn parties(State(state): State<AppState>, session: PageSession, Query(q): Query<ShowQuery>) -> Response {
    let mut values = HashMap::new();
    values.insert("payment_terms".to_string(), "net_30".to_string());
    parties_view(&state, &session, FormState::new(values), StatusCode::OK, notice(&q.notice)).await
}

fn party_input(form: &FormState) -> ThirdPartyInput {
    ThirdPartyInput {
        name: form.take("name"),
        kind: form.take("kind"),
        contact: form.take("contact"),
        address: form.take("address"),
        email: form.take("email"),
        payment_terms: form.take("payment_terms"),
        late_rate_percent: form.take("late_rate_percent"),
        late_flat_fee: form.take("late_flat_fee"),
        late_grace_days: form.take("late_grace_days"),
        late_minimum_balance: form.take("late_minimum_balance"),
    }
}

fn party_form(input: &ThirdPartyInput) -> FormState {
    let values = [
        ("name", &input.name),
        ("kind", &input.kind),
        ("contact", &input.contact),
        ("address", &input.address),
        ("email", &input.email),
        ("payment_terms", &input.payment_terms),
        ("late_rate_percent", &input.late_rate_percent),
        ("late_flat_fee", &input.late_flat_fee),
        ("late_grace_days", &input.late_grace_days),
        ("late_minimum_balance", &input.late_minimum_balance),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect();
    FormState::new(values)
}

pub async fn add_party(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.add_third_party(&session.actor, &party_input(&form)).await {
        Ok(_) => Redirect::to("/billing/third-parties?notice=party_added").into_response(),
        Err(AppError::Validation(errors)) => {
            parties_view(&state, &session, FormState { errors, ..form }, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_party.html")]
struct PartyPage {
    layout: Layout,
    title: String,
    party: ThirdPartyView,
    form: FormState,
    can_manage: bool,
}

impl PartyPage {
    fn kind_options(&self) -> Vec<(&'static str, &'static str)> {
        kind_options()
    }
}

async fn party_view(state: &AppState, session: &PageSession, id: &str, form: Option<FormState>, status: StatusCode) -> Response {
    match state.app.third_party(&session.actor, id).await {
        Ok(party) => {
            let form = form.unwrap_or_else(|| party_form(&party.as_input()));
            let page = PartyPage {
                layout: Layout::new(session, NAV),
                title: party.name.clone(),
                party,
                form,
                can_manage: session.actor.role.may(Action::ManageReceivables),
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn party_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    party_view(&state, &session, &id, None, StatusCode::OK).await
}

pub async fn update_party(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.update_third_party(&session.actor, &id, &party_input(&form)).await {
        Ok(_) => Redirect::to("/billing/third-parties?notice=party_saved").into_response(),
        Err(AppError::Validation(errors)) => {
            party_view(&state, &session, &id, Some(FormState { errors, ..form }), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(e),
    }
}
