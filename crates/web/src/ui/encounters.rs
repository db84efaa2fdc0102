//! The superbill, under `/billing/encounters`: code a visit (diagnoses in claim order, service
//! lines with modifiers, units, charges from the fee schedule and diagnosis pointers), save it,
//! and post its charges. `/billing/encounters.js` adds search-as-you-type for codes (no inline
//! script: the CSP forbids it); without it the form still works with typed codes.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::code_sets::{DiagnosisSearch, ProcedureSearch};
use medoffice_app::encounters::{DiagnosisOffer, EncounterInput, EncounterView, LineInput, MAX_DIAGNOSES};
use medoffice_app::views::ProviderView;
use medoffice_domain::coding::PLACES_OF_SERVICE;
use medoffice_domain::security::Action;
use serde::{Deserialize, Serialize};

/// The navigation entry these pages belong to.
const NAV: &str = "/billing";
/// Empty line rows offered below the coded ones.
const SPARE_LINES: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/encounters", get(list).post(create))
        .route("/billing/encounters/new", get(new_form))
        .route("/billing/encounters/codes", get(code_search))
        .route("/billing/encounters.js", get(script))
        .route("/billing/encounters/{id}", get(page).post(update))
        .route("/billing/encounters/{id}/post", post(post_charges))
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/encounters.js")).into_response()
}

/// One input of a line row.
pub struct LineCell {
    pub col: &'static str,
    pub name: String,
    pub value: String,
    pub hint: &'static str,
    pub code_search: bool,
}

/// One line row of the form.
pub struct FormLine {
    pub index: usize,
    pub cells: Vec<LineCell>,
}

const LINE_COLUMNS: [(&str, &str); 6] = [
    ("procedure_code", "CPT or HCPCS"),
    ("modifiers", "e.g. 25 59"),
    ("units", "1"),
    ("charge", "from the fee schedule"),
    ("pointers", "1,2"),
    ("service_date", "the visit's"),
];

#[derive(Template)]
#[template(path = "billing_encounter.html")]
struct SuperbillPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    /// The form's target: `/billing/encounters` (new) or `/billing/encounters/{id}`.
    action: String,
    encounter: Option<EncounterView>,
    patient_name: String,
    providers: Vec<ProviderView>,
    places: &'static [(&'static str, &'static str)],
    offers: Vec<DiagnosisOffer>,
    diagnosis_slots: Vec<usize>,
    lines: Vec<FormLine>,
    can_post: bool,
    editable: bool,
}

fn form_of(input: &EncounterInput) -> FormState {
    let mut values = std::collections::HashMap::new();
    values.insert("patient_id".to_string(), input.patient_id.clone());
    values.insert("appointment_id".to_string(), input.appointment_id.clone());
    values.insert("rendering_provider_id".to_string(), input.rendering_provider_id.clone());
    values.insert("billing_provider_id".to_string(), input.billing_provider_id.clone());
    values.insert("place_of_service".to_string(), input.place_of_service.clone());
    values.insert("service_date".to_string(), input.service_date.clone());
    for (i, d) in input.diagnoses.iter().enumerate() {
        values.insert(format!("diagnoses[{i}]"), d.clone());
    }
    for (i, l) in input.lines.iter().enumerate() {
        for (name, v) in [
            ("procedure_code", &l.procedure_code),
            ("modifiers", &l.modifiers),
            ("units", &l.units),
            ("charge", &l.charge),
            ("pointers", &l.pointers),
            ("service_date", &l.service_date),
        ] {
            values.insert(format!("lines[{i}].{name}"), v.clone());
        }
    }
    FormState::new(values)
}

fn input_of(form: &FormState) -> EncounterInput {
    let diagnoses = (0..MAX_DIAGNOSES + 4).map(|i| form.take(&format!("diagnoses[{i}]"))).collect();
    let count = (0..60).filter(|i| form.values.contains_key(&format!("lines[{i}].procedure_code"))).max().map(|m| m + 1).unwrap_or(0);
    let lines = (0..count)
        .map(|i| LineInput {
            procedure_code: form.take(&format!("lines[{i}].procedure_code")),
            modifiers: form.take(&format!("lines[{i}].modifiers")),
            units: form.take(&format!("lines[{i}].units")),
            charge: form.take(&format!("lines[{i}].charge")),
            pointers: form.take(&format!("lines[{i}].pointers")),
            service_date: form.take(&format!("lines[{i}].service_date")),
        })
        .collect();
    EncounterInput {
        patient_id: form.take("patient_id"),
        appointment_id: form.take("appointment_id"),
        rendering_provider_id: form.take("rendering_provider_id"),
        billing_provider_id: form.take("billing_provider_id"),
        place_of_service: form.take("place_of_service"),
        service_date: form.take("service_date"),
        diagnoses,
        lines,
    }
}

fn form_lines(form: &FormState) -> Vec<FormLine> {
    let coded = (0..60).filter(|i| !form.v(&format!("lines[{i}].procedure_code")).is_empty()).max().map(|m| m + 1).unwrap_or(0);
    (0..coded + SPARE_LINES)
        .map(|i| FormLine {
            index: i,
            cells: LINE_COLUMNS
                .iter()
                .map(|(col, hint)| {
                    let name = format!("lines[{i}].{col}");
                    LineCell { col, value: form.take(&name), name, hint, code_search: *col == "procedure_code" }
                })
                .collect(),
        })
        .collect()
}

async fn superbill(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    encounter: Option<EncounterView>,
    notice: Option<String>,
) -> Response {
    let actor = &session.actor;
    let providers = match state.app.list_providers(actor).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let patient_id = form.v("patient_id").to_string();
    let offers = if patient_id.is_empty() { Vec::new() } else { state.app.recent_diagnoses(actor, &patient_id).await.unwrap_or_default() };
    let patient_name = match &encounter {
        Some(e) => e.patient_name.clone(),
        None if !patient_id.is_empty() => match state.app.patient_chart(actor, &patient_id).await {
            Ok(c) => format!("{}, {}", c.patient.family_name, c.patient.given_name),
            Err(e) => return error_page(e),
        },
        None => String::new(),
    };
    let editable = encounter.as_ref().is_none_or(|e| e.status == "open");
    let action = match &encounter {
        Some(e) => format!("/billing/encounters/{}", e.id),
        None => "/billing/encounters".into(),
    };
    render(&SuperbillPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: "Superbill",
        lines: form_lines(&form),
        form,
        action,
        can_post: actor.role.may(Action::PostCharges) && encounter.as_ref().is_some_and(|e| e.status == "open"),
        encounter,
        patient_name,
        providers,
        places: &PLACES_OF_SERVICE,
        offers,
        diagnosis_slots: (0..MAX_DIAGNOSES).collect(),
        editable,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    appointment: String,
    patient: String,
}

/// `/billing/encounters/new?appointment=ID` (the visit's patient, provider and date filled in;
/// the appointment's encounter if it has one) or `?patient=ID` (a visit without appointment).
pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let actor = &session.actor;
    if !q.appointment.is_empty() {
        match state.app.encounter_of_appointment(actor, &q.appointment).await {
            Ok(Some(id)) => return Redirect::to(&format!("/billing/encounters/{id}")).into_response(),
            Ok(None) => {}
            Err(e) => return error_page(e),
        }
        return match state.app.encounter_input_for_appointment(actor, &q.appointment).await {
            Ok(input) => superbill(&state, &session, form_of(&input), None, None).await,
            Err(e) => error_page(e),
        };
    }
    if !actor.role.may(Action::CodeEncounters) {
        return error_page(AppError::Forbidden);
    }
    let input = EncounterInput { patient_id: q.patient, place_of_service: "11".into(), ..Default::default() };
    superbill(&state, &session, form_of(&input), None, None).await
}

pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.open_encounter(&session.actor, &input_of(&form)).await {
        Ok(e) => Redirect::to(&format!("/billing/encounters/{}?notice=saved", e.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            superbill(&state, &session, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

fn notice(key: &str) -> Option<String> {
    let text = match key {
        "saved" => "Encounter saved.",
        "posted" => "Charges posted; the claim is a draft in the worklist.",
        "posted-self-pay" => "Charges posted to the patient's account (self-pay).",
        _ => return None,
    };
    Some(text.to_string())
}

pub async fn page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    match state.app.encounter(&session.actor, &id).await {
        Ok(e) => superbill(&state, &session, form_of(&e.to_input()), Some(e), notice(&q.notice)).await,
        Err(e) => error_page(e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.update_encounter(&session.actor, &id, &input_of(&form)).await {
        Ok(e) => Redirect::to(&format!("/billing/encounters/{}?notice=saved", e.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let encounter = state.app.encounter(&session.actor, &id).await.ok();
            if let Some(e) = &encounter {
                form.values.insert("patient_id".into(), e.patient_id.clone());
            }
            superbill(&state, &session, form, encounter, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn post_charges(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.post_charges(&session.actor, &id).await {
        Ok(p) => match p.claim_id {
            Some(claim) => Redirect::to(&format!("/billing/claims/{claim}?notice=posted")).into_response(),
            None => Redirect::to(&format!("/billing/encounters/{id}?notice=posted-self-pay")).into_response(),
        },
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_encounters.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    encounters: Vec<EncounterView>,
}

/// The latest encounters, open ones first to finish.
pub async fn list(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.recent_encounters(&session.actor, None).await {
        Ok(mut encounters) => {
            encounters.sort_by_key(|e| e.status != "open");
            render(&ListPage { layout: Layout::new(&session, NAV), title: "Encounters", encounters })
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeQuery {
    /// `dx` (ICD-10-CM, billable only) or `px` (the practice's procedures).
    kind: String,
    q: String,
    /// The date of service.
    on: String,
}

#[derive(Serialize)]
struct CodeHit {
    code: String,
    description: String,
}

/// The code search behind the superbill's search-as-you-type (JSON, at most 15 hits).
pub async fn code_search(State(state): State<AppState>, session: PageSession, Query(q): Query<CodeQuery>) -> Response {
    let actor = &session.actor;
    if q.q.trim().chars().count() < 2 {
        return Json(Vec::<CodeHit>::new()).into_response();
    }
    let hits = if q.kind == "px" {
        let search = ProcedureSearch { q: q.q.clone(), limit: 15, ..Default::default() };
        state
            .app
            .search_procedures(actor, &search)
            .await
            .map(|p| p.into_iter().map(|p| CodeHit { code: p.code, description: p.short_description }).collect::<Vec<_>>())
    } else {
        let search = DiagnosisSearch { q: q.q.clone(), on: q.on.clone(), billable_only: true, limit: 15 };
        state
            .app
            .search_diagnoses(actor, &search)
            .await
            .map(|d| d.into_iter().map(|d| CodeHit { code: d.code, description: d.description }).collect::<Vec<_>>())
    };
    match hits {
        Ok(h) => Json(h).into_response(),
        Err(AppError::Validation(_)) => Json(Vec::<CodeHit>::new()).into_response(),
        Err(e) => error_page(e),
    }
}
