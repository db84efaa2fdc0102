//! Code sets, payers and fees for the office manager, under `/admin`: `/admin/codes` (search
//! ICD-10-CM and the practice's procedure codes, import a CPT or HCPCS file, the modifiers and
//! places of service), `/admin/payers` (each payer's claim details) and `/admin/fees` (standard
//! fees and each payer's expected amounts). Plain forms that work without JavaScript; every change
//! goes through one use case, which checks the role again, validates and audits.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::{PageSession, urlencode};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::code_sets::{
    CodeSetLoad, DiagnosisSearch, DiagnosisView, ImportSummary, ProcedureCounts, ProcedureImport, ProcedureSearch, ProcedureView,
};
use medoffice_app::fees::{FeeInput, FeeScheduleView};
use medoffice_app::payers::{PayerDetailView, PayerInput};
use medoffice_domain::coding::{ClaimFilingIndicator, MODIFIERS, PLACES_OF_SERVICE, ProcedureCodeSet};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

/// The pages' routes, merged into the UI router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/codes", get(codes_page))
        .route("/admin/codes/import", post(import))
        .route("/admin/payers", get(payers_page).post(add_payer))
        .route("/admin/payers/{id}", get(payer_page).post(update_payer))
        .route("/admin/fees", get(fees_page))
        .route("/admin/fees/standard", post(set_standard_fee))
        .route("/admin/fees/standard/remove", post(remove_standard_fee))
        .route("/admin/fees/payer", post(set_payer_fee))
        .route("/admin/fees/payer/remove", post(remove_payer_fee))
}

/// The navigation entry these pages belong to.
const NAV: &str = "/admin";

type Options = Vec<(String, String)>;

fn deny_unless(session: &PageSession, action: Action) -> Option<Response> {
    (!session.actor.role.may(action)).then(|| error_page(AppError::Forbidden))
}

/// A page's message after a redirect, from a fixed list (never text from the address).
fn notice(key: &str) -> Option<String> {
    let text = match key {
        "payer-added" => "Payer added.",
        "payer-saved" => "Payer saved.",
        "fee-saved" => "Fee saved.",
        "fee-removed" => "Fee removed.",
        _ => return None,
    };
    Some(text.to_string())
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodesQuery {
    q: String,
    /// `icd10cm` (default) or `procedures`.
    kind: String,
    /// `1` for billable ICD-10-CM codes only.
    billable: String,
}

#[derive(Template)]
#[template(path = "admin_codes.html")]
struct CodesPage {
    layout: Layout,
    title: &'static str,
    q: String,
    kind: String,
    billable_only: bool,
    icd10cm: CodeSetLoad,
    counts: ProcedureCounts,
    diagnoses: Vec<DiagnosisView>,
    procedures: Vec<ProcedureView>,
    searched: bool,
    search_error: Option<String>,
    can_import: bool,
    form: FormState,
    set_options: Options,
    imported: Option<ImportSummary>,
    modifiers: &'static [(&'static str, &'static str)],
    places: &'static [(&'static str, &'static str)],
}

async fn codes_view(
    state: &AppState,
    session: &PageSession,
    query: CodesQuery,
    form: FormState,
    imported: Option<ImportSummary>,
) -> Response {
    if let Some(r) = deny_unless(session, Action::ReadCodeSets) {
        return r;
    }
    let actor = &session.actor;
    let icd10cm = match state.app.ensure_icd10cm_loaded().await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let counts = match state.app.procedure_counts(actor).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let kind = if query.kind == "procedures" { "procedures" } else { "icd10cm" }.to_string();
    let billable_only = query.billable == "1";
    let (mut diagnoses, mut procedures, mut search_error) = (Vec::new(), Vec::new(), None);
    let searched = !query.q.trim().is_empty();
    if searched {
        let outcome = if kind == "icd10cm" {
            let search = DiagnosisSearch { q: query.q.clone(), billable_only, limit: 50, ..Default::default() };
            state.app.search_diagnoses(actor, &search).await.map(|d| diagnoses = d)
        } else {
            let search = ProcedureSearch { q: query.q.clone(), limit: 50, ..Default::default() };
            state.app.search_procedures(actor, &search).await.map(|p| procedures = p)
        };
        match outcome {
            Ok(()) => {}
            Err(AppError::Validation(e)) => search_error = Some(e.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ")),
            Err(e) => return error_page(e),
        }
    }
    render(&CodesPage {
        layout: Layout::new(session, NAV),
        title: "Codes",
        q: query.q,
        kind,
        billable_only,
        icd10cm,
        counts,
        diagnoses,
        procedures,
        searched,
        search_error,
        can_import: actor.role.may(Action::ManageCodeSets),
        form,
        set_options: ProcedureCodeSet::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect(),
        imported,
        modifiers: &MODIFIERS,
        places: &PLACES_OF_SERVICE,
    })
}

pub async fn codes_page(State(state): State<AppState>, session: PageSession, Query(query): Query<CodesQuery>) -> Response {
    codes_view(&state, &session, query, FormState::default(), None).await
}

/// Reads the import form: its text fields and the file's text.
async fn read_import_form(mut multipart: Multipart) -> Result<(FormState, String), String> {
    let mut values = HashMap::new();
    let mut text = String::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            text = String::from_utf8(bytes.to_vec())
                .map_err(|_| "the file is not UTF-8 text (save it as CSV or tab-separated text)".to_string())?;
        } else {
            values.insert(name, field.text().await.map_err(|e| e.body_text())?);
        }
    }
    Ok((FormState::new(values), text))
}

pub async fn import(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, text) = match read_import_form(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(medoffice_domain::ValidationErrors::single("file", message))),
    };
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let input = ProcedureImport { code_set: form.take("code_set"), text, effective_from: form.take("effective_from") };
    let query = CodesQuery { kind: "procedures".into(), ..Default::default() };
    match state.app.import_procedure_codes(&session.actor, &input).await {
        Ok(summary) => codes_view(&state, &session, query, FormState::default(), Some(summary)).await,
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            codes_view(&state, &session, query, form, None).await
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Payers
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

#[derive(Template)]
#[template(path = "admin_payers.html")]
struct PayersPage {
    layout: Layout,
    title: String,
    payers: Vec<PayerDetailView>,
    form: FormState,
    editing: Option<PayerDetailView>,
    indicator_options: Options,
}

impl PayersPage {
    fn action(&self) -> String {
        match &self.editing {
            Some(p) => format!("/admin/payers/{}", p.id),
            None => "/admin/payers".to_string(),
        }
    }
}

fn indicator_options() -> Options {
    let mut options = vec![(String::new(), "Choose…".to_string())];
    options.extend(ClaimFilingIndicator::ALL.iter().map(|i| (i.code().to_string(), format!("{} {}", i.code(), i.label()))));
    options
}

async fn payers_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    editing: Option<PayerDetailView>,
    notice: Option<String>,
) -> Response {
    if let Some(r) = deny_unless(session, Action::ManagePayers) {
        return r;
    }
    match state.app.payers(&session.actor).await {
        Ok(payers) => render(&PayersPage {
            layout: Layout::new(session, NAV).with_notice(notice),
            title: match &editing {
                Some(p) => format!("Edit {}", p.name),
                None => "Payers".to_string(),
            },
            payers,
            form,
            editing,
            indicator_options: indicator_options(),
        }),
        Err(e) => error_page(e),
    }
}

fn payer_input(f: &FormState) -> PayerInput {
    PayerInput {
        name: f.take("name"),
        payer_code: f.take("payer_code"),
        claim_filing_indicator: f.take("claim_filing_indicator"),
        phone: f.take("phone"),
        address_line1: f.take("address_line1"),
        address_line2: f.take("address_line2"),
        city: f.take("city"),
        state: f.take("state"),
        postal_code: f.take("postal_code"),
        // Checkboxes: sent when ticked, absent otherwise.
        accepts_electronic_claims: !f.v("accepts_electronic_claims").is_empty(),
        timely_filing_days: f.take("timely_filing_days"),
        active: !f.v("active").is_empty(),
    }
}

/// A new payer's form: electronic and active ticked.
fn new_payer_form() -> FormState {
    let mut form = FormState::default();
    form.values.insert("accepts_electronic_claims".into(), "1".into());
    form.values.insert("active".into(), "1".into());
    form
}

pub async fn payers_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    payers_view(&state, &session, new_payer_form(), None, notice(&q.notice)).await
}

pub async fn add_payer(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.add_payer(&session.actor, &payer_input(&form)).await {
        Ok(_) => Redirect::to("/admin/payers?notice=payer-added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            payers_view(&state, &session, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn payer_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    if let Some(r) = deny_unless(&session, Action::ManagePayers) {
        return r;
    }
    match state.app.payer(&session.actor, &id).await {
        Ok(p) => {
            let mut form = FormState::default();
            let flag = |b: bool| if b { "1".to_string() } else { String::new() };
            for (k, v) in [
                ("name", p.name.clone()),
                ("payer_code", p.payer_code.clone()),
                ("claim_filing_indicator", p.claim_filing_indicator.clone()),
                ("phone", p.phone.clone().unwrap_or_default()),
                ("address_line1", p.address_line1.clone().unwrap_or_default()),
                ("address_line2", p.address_line2.clone().unwrap_or_default()),
                ("city", p.city.clone().unwrap_or_default()),
                ("state", p.state.clone().unwrap_or_default()),
                ("postal_code", p.postal_code.clone().unwrap_or_default()),
                ("accepts_electronic_claims", flag(p.accepts_electronic_claims)),
                ("timely_filing_days", p.timely_filing_days.map(|d| d.to_string()).unwrap_or_default()),
                ("active", flag(p.active)),
            ] {
                form.values.insert(k.into(), v);
            }
            payers_view(&state, &session, form, Some(p), None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn update_payer(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.update_payer(&session.actor, &id, &payer_input(&form)).await {
        Ok(_) => Redirect::to("/admin/payers?notice=payer-saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let editing = state.app.payer(&session.actor, &id).await.ok();
            payers_view(&state, &session, form, editing, None).await
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Fees
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FeesQuery {
    payer_id: String,
    notice: String,
}

/// A fee line on screen.
struct FeeLine {
    code: String,
    modifier: String,
    description: String,
    amount: String,
    /// Beside a payer's expected amount: the standard fee and the share allowed (blank on the
    /// standard schedule itself).
    charge: String,
}

#[derive(Template)]
#[template(path = "admin_fees.html")]
struct FeesPage {
    layout: Layout,
    title: &'static str,
    standard: Vec<FeeLine>,
    payer_lines: Vec<FeeLine>,
    payer_id: String,
    payer_name: String,
    payer_options: Options,
    can_edit: bool,
    form: FormState,
    payer_form: FormState,
}

async fn fees_view(
    state: &AppState,
    session: &PageSession,
    payer_id: &str,
    form: FormState,
    payer_form: FormState,
    notice: Option<String>,
) -> Response {
    if let Some(r) = deny_unless(session, Action::ReadFeeSchedules) {
        return r;
    }
    let actor = &session.actor;
    let payer = Some(payer_id).filter(|p| !p.is_empty());
    let loaded = async { Ok::<_, AppError>((state.app.fee_schedule(actor, payer).await?, state.app.payers(actor).await?)) };
    let (schedule, payers): (FeeScheduleView, Vec<PayerDetailView>) = match loaded.await {
        Ok(parts) => parts,
        Err(e) => return error_page(e),
    };
    let mut payer_options = vec![(String::new(), "Choose a payer…".to_string())];
    payer_options.extend(payers.into_iter().map(|p| (p.id, p.name)));
    let mut payer_form = payer_form;
    payer_form.values.entry("payer_id".into()).or_insert_with(|| payer_id.to_string());
    render(&FeesPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: "Fee schedule",
        standard: schedule
            .standard
            .iter()
            .map(|f| FeeLine {
                code: f.code.clone(),
                modifier: f.modifier.clone(),
                description: f.description.clone().unwrap_or_default(),
                amount: money(f.charge_cents),
                charge: String::new(),
            })
            .collect(),
        payer_lines: schedule
            .payer
            .iter()
            .map(|f| FeeLine {
                code: f.code.clone(),
                modifier: f.modifier.clone(),
                description: f.description.clone().unwrap_or_default(),
                amount: money(f.allowed_cents),
                charge: match f.charge_cents {
                    Some(c) if c > 0 => format!("{} ({}%)", money(c), f.allowed_cents * 100 / c),
                    Some(c) => money(c),
                    None => "—".to_string(),
                },
            })
            .collect(),
        payer_id: payer_id.to_string(),
        payer_name: schedule.payer_name.unwrap_or_default(),
        payer_options,
        can_edit: actor.role.may(Action::ManageFeeSchedules),
        form,
        payer_form,
    })
}

pub async fn fees_page(State(state): State<AppState>, session: PageSession, Query(q): Query<FeesQuery>) -> Response {
    fees_view(&state, &session, q.payer_id.trim(), FormState::default(), FormState::default(), notice(&q.notice)).await
}

fn fee_input(f: &FormState) -> FeeInput {
    FeeInput { code: f.take("code"), modifier: f.take("modifier"), amount: f.take("amount"), amount_cents: None }
}

fn fees_address(payer_id: &str, notice: &str) -> String {
    if payer_id.is_empty() {
        format!("/admin/fees?notice={notice}")
    } else {
        format!("/admin/fees?payer_id={}&notice={notice}", urlencode(payer_id))
    }
}

pub async fn set_standard_fee(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let payer_id = form.take("payer_id");
    match state.app.set_standard_fee(&session.actor, &fee_input(&form)).await {
        Ok(_) => Redirect::to(&fees_address(&payer_id, "fee-saved")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            fees_view(&state, &session, &payer_id, form, FormState::default(), None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn set_payer_fee(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let payer_id = form.take("payer_id");
    match state.app.set_payer_fee(&session.actor, &payer_id, &fee_input(&form)).await {
        Ok(_) => Redirect::to(&fees_address(&payer_id, "fee-saved")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            fees_view(&state, &session, &payer_id, FormState::default(), form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn remove_standard_fee(
    State(state): State<AppState>,
    session: PageSession,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.remove_standard_fee(&session.actor, form.v("code"), form.v("modifier")).await {
        Ok(()) => Redirect::to(&fees_address(form.v("payer_id"), "fee-removed")).into_response(),
        Err(e) => error_page(e),
    }
}

pub async fn remove_payer_fee(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let payer_id = form.take("payer_id");
    match state.app.remove_payer_fee(&session.actor, &payer_id, form.v("code"), form.v("modifier")).await {
        Ok(()) => Redirect::to(&fees_address(&payer_id, "fee-removed")).into_response(),
        Err(e) => error_page(e),
    }
}
