//! Patient pages: Today, search, registration, the chart, insurance and merges.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Timelike;
use medoffice_app::patients::{CardSide, Upload};
use medoffice_app::views::{ChartView, DuplicateCandidate, PatientSummary, PatientView};
use medoffice_app::{AppError, Result as AppResult};
use medoffice_domain::patients::{AddressInput, CoverageInput, GuarantorInput, PatientInput};
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

type Options = Vec<(String, String)>;

fn options(pairs: &[(&str, &str)]) -> Options {
    pairs.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect()
}

fn sex_options() -> Options {
    options(&[("", "Choose…"), ("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown")])
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

// ---------------------------------------------------------------------------------------------
// Today and search
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    layout: Layout,
    title: &'static str,
    part_of_day: &'static str,
    today_long: String,
    patient_count: Option<i64>,
    can_register: bool,
    recent: Vec<PatientSummary>,
}

pub async fn today(State(state): State<AppState>, session: PageSession) -> Response {
    let actor = &session.actor;
    let local = state.app.now().with_timezone(&actor.timezone);
    let may_search = actor.role.may(Action::SearchPatients);
    let (patient_count, recent) = if may_search {
        match (state.app.count_patients(actor).await, state.app.recent_patients(actor, 8).await) {
            (Ok(n), Ok(r)) => (Some(n), r),
            (Err(e), _) | (_, Err(e)) => return error_page(e),
        }
    } else {
        (None, Vec::new())
    };
    render(&TodayPage {
        layout: Layout::new(&session, "/today"),
        title: "Today",
        part_of_day: match local.hour() {
            0..12 => "morning",
            12..17 => "afternoon",
            _ => "evening",
        },
        today_long: local.format("%A, %B %-d, %Y").to_string(),
        patient_count,
        can_register: actor.role.may(Action::RegisterPatient),
        recent,
    })
}

#[derive(Template)]
#[template(path = "patients.html")]
struct PatientsPage {
    layout: Layout,
    title: &'static str,
    query: String,
    recent: Vec<PatientSummary>,
    can_register: bool,
}

#[derive(Template)]
#[template(path = "patient_results.html")]
struct ResultsFragment {
    query: String,
    recent: Vec<PatientSummary>,
    can_register: bool,
}

async fn find(state: &AppState, session: &PageSession, query: &str) -> AppResult<Vec<PatientSummary>> {
    if query.trim().is_empty() {
        state.app.recent_patients(&session.actor, 25).await
    } else {
        state.app.search_patients(&session.actor, query).await
    }
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<SearchQuery>) -> Response {
    match find(&state, &session, &q.q).await {
        Ok(recent) => render(&PatientsPage {
            layout: Layout::new(&session, "/patients"),
            title: "Patients",
            query: q.q.trim().to_string(),
            recent,
            can_register: session.actor.role.may(Action::RegisterPatient),
        }),
        Err(e) => error_page(e),
    }
}

/// The results part of the Patients page, for search-as-you-type.
pub async fn search_fragment(State(state): State<AppState>, session: PageSession, Query(q): Query<SearchQuery>) -> Response {
    match find(&state, &session, &q.q).await {
        Ok(recent) => render(&ResultsFragment {
            query: q.q.trim().to_string(),
            recent,
            can_register: session.actor.role.may(Action::RegisterPatient),
        }),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Registration and edit
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "patient_form.html")]
struct PatientFormPage {
    layout: Layout,
    title: &'static str,
    action: String,
    cancel_href: String,
    submit_label: &'static str,
    form: FormState,
    duplicates: Vec<DuplicateCandidate>,
    sex_options: Options,
    phone_options: Options,
    contact_options: Options,
    guarantor_options: Options,
}

impl PatientFormPage {
    fn new(session: &PageSession, editing: Option<&str>, form: FormState) -> PatientFormPage {
        PatientFormPage {
            layout: Layout::new(session, "/patients"),
            title: if editing.is_some() { "Edit patient details" } else { "Register a patient" },
            action: editing.map(|id| format!("/patients/{id}/edit")).unwrap_or_else(|| "/patients/new".into()),
            cancel_href: editing.map(|id| format!("/patients/{id}")).unwrap_or_else(|| "/patients".into()),
            submit_label: if editing.is_some() { "Save changes" } else { "Register patient" },
            form,
            duplicates: Vec::new(),
            sex_options: sex_options(),
            phone_options: options(&[("mobile", "Mobile"), ("home", "Home"), ("work", "Work")]),
            contact_options: options(&[("phone", "Phone call"), ("text", "Text message"), ("email", "E-mail"), ("mail", "Mail")]),
            guarantor_options: options(&[
                ("", "Choose…"),
                ("parent", "Parent"),
                ("spouse", "Spouse"),
                ("legal_guardian", "Legal guardian"),
                ("other", "Other"),
            ]),
        }
    }
}

/// The typed input from the form's flat fields (`address.line1`, `guarantor.address.city`...).
fn patient_input(f: &FormState) -> PatientInput {
    let address = |prefix: &str| AddressInput {
        line1: f.take(&format!("{prefix}line1")),
        line2: f.take(&format!("{prefix}line2")),
        city: f.take(&format!("{prefix}city")),
        state: f.take(&format!("{prefix}state")),
        postal_code: f.take(&format!("{prefix}postal_code")),
    };
    PatientInput {
        family_name: f.take("family_name"),
        given_name: f.take("given_name"),
        middle_name: f.take("middle_name"),
        preferred_name: f.take("preferred_name"),
        suffix: f.take("suffix"),
        birth_date: f.take("birth_date"),
        sex: f.take("sex"),
        phone: String::new(),
        phone_mobile: f.take("phone_mobile"),
        phone_home: f.take("phone_home"),
        phone_work: f.take("phone_work"),
        preferred_phone: f.take("preferred_phone"),
        email: f.take("email"),
        preferred_contact: f.take("preferred_contact"),
        language: f.take("language"),
        address: address("address."),
        emergency_contact_name: f.take("emergency_contact_name"),
        emergency_contact_relationship: f.take("emergency_contact_relationship"),
        emergency_contact_phone: f.take("emergency_contact_phone"),
        guarantor: Some(GuarantorInput {
            family_name: f.take("guarantor.family_name"),
            given_name: f.take("guarantor.given_name"),
            relationship: f.take("guarantor.relationship"),
            birth_date: f.take("guarantor.birth_date"),
            phone: f.take("guarantor.phone"),
            address: address("guarantor.address."),
        }),
        phones: None,
        emergency_contact: None,
    }
}

/// The form's fields from a stored patient, for editing.
fn form_from_patient(p: &PatientView) -> FormState {
    let mut v: HashMap<String, String> = HashMap::new();
    let mut put = |k: &str, val: Option<&str>| {
        v.insert(k.to_string(), val.unwrap_or("").to_string());
    };
    put("family_name", Some(&p.family_name));
    put("given_name", Some(&p.given_name));
    put("middle_name", p.middle_name.as_deref());
    put("preferred_name", p.preferred_name.as_deref());
    put("suffix", p.suffix.as_deref());
    put("birth_date", Some(&p.birth_date));
    put("sex", Some(&p.sex));
    put("phone_mobile", p.phones.mobile.as_deref());
    put("phone_home", p.phones.home.as_deref());
    put("phone_work", p.phones.work.as_deref());
    put("preferred_phone", Some(&p.preferred_phone));
    put("email", p.email.as_deref());
    put("preferred_contact", Some(&p.preferred_contact));
    put("language", p.language.as_deref());
    if let Some(a) = &p.address {
        put("address.line1", Some(&a.line1));
        put("address.line2", a.line2.as_deref());
        put("address.city", Some(&a.city));
        put("address.state", Some(&a.state));
        put("address.postal_code", Some(&a.postal_code));
    }
    if let Some(e) = &p.emergency_contact {
        put("emergency_contact_name", Some(&e.name));
        put("emergency_contact_relationship", e.relationship.as_deref());
        put("emergency_contact_phone", Some(&e.phone));
    }
    if let Some(g) = &p.guarantor {
        put("guarantor.family_name", Some(&g.family_name));
        put("guarantor.given_name", Some(&g.given_name));
        put("guarantor.relationship", Some(&g.relationship));
        put("guarantor.birth_date", g.birth_date.as_deref());
        put("guarantor.phone", g.phone.as_deref());
        if let Some(a) = &g.address {
            put("guarantor.address.line1", Some(&a.line1));
            put("guarantor.address.city", Some(&a.city));
            put("guarantor.address.state", Some(&a.state));
            put("guarantor.address.postal_code", Some(&a.postal_code));
        }
    }
    put("version", Some(&p.version.to_string()));
    FormState::new(v)
}

fn deny_unless(session: &PageSession, action: Action) -> Option<Response> {
    (!session.actor.role.may(action)).then(|| error_page(AppError::Forbidden))
}

pub async fn new_form(session: PageSession) -> Response {
    if let Some(r) = deny_unless(&session, Action::RegisterPatient) {
        return r;
    }
    let mut form = FormState::default();
    form.values.insert("preferred_phone".into(), "mobile".into());
    form.values.insert("preferred_contact".into(), "phone".into());
    render(&PatientFormPage::new(&session, None, form))
}

pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let confirmed = form.v("confirm_new") == "1";
    match state.app.register_patient(&session.actor, &patient_input(&form), confirmed).await {
        Ok(p) => Redirect::to(&format!("/patients/{}?notice=registered", p.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            render(&PatientFormPage::new(&session, None, form))
        }
        Err(AppError::PossibleDuplicates(duplicates)) => {
            let mut page = PatientFormPage::new(&session, None, form);
            page.duplicates = duplicates;
            render(&page)
        }
        Err(e) => error_page(e),
    }
}

pub async fn edit_form(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    if let Some(r) = deny_unless(&session, Action::EditPatient) {
        return r;
    }
    match state.app.patient_chart(&session.actor, &id).await {
        Ok(chart) => render(&PatientFormPage::new(&session, Some(&id), form_from_patient(&chart.patient))),
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
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let version: i64 = form.v("version").parse().unwrap_or(0);
    match state.app.update_patient(&session.actor, &id, version, &patient_input(&form)).await {
        Ok(p) => Redirect::to(&format!("/patients/{}?notice=saved", p.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            render(&PatientFormPage::new(&session, Some(&id), form))
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The chart
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "chart.html")]
struct ChartPage {
    layout: Layout,
    title: String,
    chart: ChartView,
    can_edit: bool,
    can_merge: bool,
    /// The patient's appointments, newest first; `None` when the role may not read the schedule.
    appointments: Option<Vec<medoffice_app::views::AppointmentView>>,
    can_book: bool,
    /// The mail room's notes: a bad address from returned mail, the disclosures (the mail room).
    mail: Option<medoffice_app::mail_room::PatientMailView>,
    can_see_disclosures: bool,
    /// Each coverage's last eligibility answer.
    eligibility: Vec<medoffice_app::eligibility::CoverageEligibility>,
    can_check_eligibility: bool,
    /// The patient's telephone messages, newest first; `None` when the role does not work messages.
    messages: Option<Vec<medoffice_app::messages::MessageView>>,
    /// The patient's letters, newest first; `None` when the role does not write letters.
    letters: Option<Vec<super::letters::LetterRow>>,
    /// The patient's documents in the classes the role handles; `None` when it handles none.
    documents: Option<Vec<medoffice_app::documents::DocumentListItem>>,
    /// Whether the role files patient records (the "File a document" link).
    can_file_documents: bool,
}

impl ChartPage {
    /// The eligibility line of a coverage.
    fn eligibility_of(&self, coverage_id: &str) -> Option<&medoffice_app::eligibility::CoverageEligibility> {
        self.eligibility.iter().find(|e| e.coverage_id == coverage_id)
    }

    /// `Tue Jun 16, 2026 09:00` from an RFC 3339 time.
    fn when(&self, rfc3339: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.format("%a %b %-d, %Y %H:%M").to_string())
            .unwrap_or_else(|_| rfc3339.to_string())
    }

    fn status_label(&self, status: &str) -> String {
        super::appointments::status_label(status)
    }
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

pub async fn chart(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    match state.app.patient_chart(&session.actor, &id).await {
        Ok(chart) => {
            let notice = match q.notice.as_str() {
                "registered" => Some(format!("Registered {} with MRN {}.", chart.patient.display_name(), chart.patient.mrn)),
                "saved" => Some("Changes saved.".to_string()),
                "coverage" => Some("Insurance saved.".to_string()),
                "merged" => Some("The duplicate was merged into this record.".to_string()),
                _ => None,
            };
            let role = session.actor.role;
            let appointments = if role.may(Action::ReadAppointments) {
                match state.app.patient_appointments(&session.actor, &id).await {
                    Ok(list) => Some(list),
                    Err(e) => return error_page(e),
                }
            } else {
                None
            };
            let mail = match state.app.patient_mail(&session.actor, &id).await {
                Ok(m) => Some(m),
                Err(e) => return error_page(e),
            };
            let eligibility = match state.app.coverage_eligibility(&session.actor, &id).await {
                Ok(e) => e,
                Err(e) => return error_page(e),
            };
            let messages = if role.may(Action::WorkMessages) {
                match state.app.patient_messages(&session.actor, &id).await {
                    Ok(list) => Some(list),
                    Err(e) => return error_page(e),
                }
            } else {
                None
            };
            let letters = if role.may(Action::WriteLetters) {
                match state.app.patient_letters(&session.actor, &id).await {
                    Ok(list) => Some(list.iter().map(super::letters::LetterRow::of).collect()),
                    Err(e) => return error_page(e),
                }
            } else {
                None
            };
            let documents = if state.app.may_handle_documents(&session.actor) {
                match state.app.patient_documents(&session.actor, &id).await {
                    Ok(list) => Some(list),
                    Err(e) => return error_page(e),
                }
            } else {
                None
            };
            render(&ChartPage {
                documents,
                can_file_documents: role.may(Action::HandlePatientDocuments) && chart.patient.merged_into.is_none(),
                letters,
                messages,
                eligibility,
                can_check_eligibility: role.may(Action::CheckEligibility) && chart.patient.merged_into.is_none(),
                mail,
                can_see_disclosures: role.may(Action::ReleaseRecords),
                layout: Layout::new(&session, "/patients").with_notice(notice),
                title: chart.patient.display_name(),
                can_edit: role.may(Action::EditPatient) && chart.patient.merged_into.is_none(),
                can_merge: role.may(Action::MergePatients) && chart.patient.merged_into.is_none(),
                can_book: role.may(Action::BookAppointments) && chart.patient.merged_into.is_none(),
                appointments,
                chart,
            })
        }
        Err(e) => error_page(e),
    }
}

pub async fn card_image(State(state): State<AppState>, session: PageSession, Path((id, side)): Path<(String, String)>) -> Response {
    let side = match side.as_str() {
        "front" => CardSide::Front,
        "back" => CardSide::Back,
        _ => return error_page(AppError::NotFound("card image")),
    };
    match state.app.card_image(&session.actor, &id, side).await {
        Ok((content_type, bytes)) => ([(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Insurance coverages
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "coverage_form.html")]
struct CoverageFormPage {
    layout: Layout,
    title: &'static str,
    action: String,
    patient_id: String,
    patient_name: String,
    editing: bool,
    form: FormState,
    payer_options: Options,
    priority_options: Options,
    relationship_options: Options,
    sex_options: Options,
    max_upload_mb: usize,
}

async fn coverage_page(
    state: &AppState,
    session: &PageSession,
    patient_id: &str,
    coverage_id: Option<&str>,
    form: Option<FormState>,
) -> Response {
    let chart = match state.app.patient_chart(&session.actor, patient_id).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let payers = match state.app.list_payers(&session.actor).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let form = match (form, coverage_id) {
        (Some(f), _) => f,
        (None, Some(cid)) => {
            let Some(c) = chart.coverages.iter().find(|c| c.id == cid) else {
                return error_page(AppError::NotFound("coverage"));
            };
            let mut v = HashMap::new();
            for (k, val) in [
                ("payer_id", Some(c.payer_id.clone())),
                ("member_id", Some(c.member_id.clone())),
                ("group_number", c.group_number.clone()),
                ("plan_name", c.plan_name.clone()),
                ("priority", Some(c.priority.to_string())),
                ("relationship_to_subscriber", Some(c.relationship_to_subscriber.clone())),
                ("subscriber_family_name", c.subscriber_family_name.clone()),
                ("subscriber_given_name", c.subscriber_given_name.clone()),
                ("subscriber_birth_date", c.subscriber_birth_date.clone()),
                ("subscriber_sex", c.subscriber_sex.clone()),
                ("copay", Some(format!("{}.{:02}", c.copay_cents / 100, c.copay_cents % 100))),
                ("start_date", Some(c.start_date.clone())),
                ("end_date", c.end_date.clone()),
            ] {
                v.insert(k.to_string(), val.unwrap_or_default());
            }
            FormState::new(v)
        }
        (None, None) => {
            let priority = (chart.coverages.iter().filter(|c| c.active).count() + 1).min(3);
            FormState::new(HashMap::from([
                ("priority".to_string(), priority.to_string()),
                ("relationship_to_subscriber".to_string(), "self".to_string()),
            ]))
        }
    };
    let mut payer_options = vec![(String::new(), "Choose…".to_string())];
    payer_options.extend(payers.into_iter().map(|p| (p.id, format!("{} ({})", p.name, p.payer_code))));
    render(&CoverageFormPage {
        layout: Layout::new(session, "/patients"),
        title: if coverage_id.is_some() { "Edit insurance" } else { "Add insurance" },
        action: match coverage_id {
            Some(cid) => format!("/patients/{patient_id}/coverages/{cid}/edit"),
            None => format!("/patients/{patient_id}/coverages/new"),
        },
        patient_id: patient_id.to_string(),
        patient_name: chart.patient.display_name(),
        editing: coverage_id.is_some(),
        form,
        payer_options,
        priority_options: options(&[("1", "Primary"), ("2", "Secondary"), ("3", "Tertiary")]),
        relationship_options: options(&[
            ("self", "Self (the patient is the subscriber)"),
            ("spouse", "Spouse"),
            ("child", "Child"),
            ("other", "Other"),
        ]),
        sex_options: sex_options(),
        max_upload_mb: state.app.config.max_upload_bytes / (1024 * 1024),
    })
}

pub async fn coverage_new_form(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    if let Some(r) = deny_unless(&session, Action::EditCoverage) {
        return r;
    }
    coverage_page(&state, &session, &id, None, None).await
}

pub async fn coverage_edit_form(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, coverage_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = deny_unless(&session, Action::EditCoverage) {
        return r;
    }
    coverage_page(&state, &session, &id, Some(&coverage_id), None).await
}

/// Reads a multipart coverage form: text fields and the two card images.
async fn read_coverage_form(mut multipart: Multipart) -> Result<(FormState, Option<Upload>, Option<Upload>), String> {
    let mut values = HashMap::new();
    let (mut front, mut back) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "card_front" | "card_back" => {
                let file_name = field.file_name().unwrap_or("").to_string();
                let content_type = field.content_type().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
                let upload = Upload { file_name, content_type, bytes };
                if name == "card_front" {
                    front = Some(upload);
                } else {
                    back = Some(upload);
                }
            }
            _ => {
                let text = field.text().await.map_err(|e| e.body_text())?;
                values.insert(name, text);
            }
        }
    }
    Ok((FormState::new(values), front, back))
}

fn coverage_input(f: &FormState) -> CoverageInput {
    CoverageInput {
        payer_id: f.take("payer_id"),
        member_id: f.take("member_id"),
        group_number: f.take("group_number"),
        plan_name: f.take("plan_name"),
        priority: f.take("priority"),
        relationship_to_subscriber: f.take("relationship_to_subscriber"),
        subscriber_family_name: f.take("subscriber_family_name"),
        subscriber_given_name: f.take("subscriber_given_name"),
        subscriber_birth_date: f.take("subscriber_birth_date"),
        subscriber_sex: f.take("subscriber_sex"),
        copay: f.take("copay"),
        copay_cents: None,
        start_date: f.take("start_date"),
        end_date: f.take("end_date"),
    }
}

async fn save_coverage(
    state: AppState,
    session: PageSession,
    patient_id: String,
    coverage_id: Option<String>,
    multipart: Multipart,
) -> Response {
    let (mut form, front, back) = match read_coverage_form(multipart).await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(medoffice_domain::ValidationErrors::single("form", message))),
    };
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let input = coverage_input(&form);
    let result = match &coverage_id {
        Some(cid) => state.app.update_coverage(&session.actor, &patient_id, cid, &input, front, back).await,
        None => state.app.add_coverage(&session.actor, &patient_id, &input, front, back).await,
    };
    match result {
        Ok(_) => Redirect::to(&format!("/patients/{patient_id}?notice=coverage")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            coverage_page(&state, &session, &patient_id, coverage_id.as_deref(), Some(form)).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn coverage_create(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    save_coverage(state, session, id, None, multipart).await
}

pub async fn coverage_update(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, coverage_id)): Path<(String, String)>,
    multipart: Multipart,
) -> Response {
    save_coverage(state, session, id, Some(coverage_id), multipart).await
}

// ---------------------------------------------------------------------------------------------
// Merge
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    layout: Layout,
    title: &'static str,
    survivor: PatientView,
    query: String,
    candidates: Vec<PatientSummary>,
    error: String,
}

async fn merge_view(state: &AppState, session: &PageSession, id: &str, query: &str, error: String) -> Response {
    if let Some(r) = deny_unless(session, Action::MergePatients) {
        return r;
    }
    let chart = match state.app.patient_chart(&session.actor, id).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let candidates = if query.trim().is_empty() {
        Vec::new()
    } else {
        match state.app.search_patients(&session.actor, query).await {
            Ok(found) => found.into_iter().filter(|p| p.id != id).collect(),
            Err(e) => return error_page(e),
        }
    };
    render(&MergePage {
        layout: Layout::new(session, "/patients"),
        title: "Merge",
        survivor: chart.patient,
        query: query.to_string(),
        candidates,
        error,
    })
}

pub async fn merge_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<SearchQuery>,
) -> Response {
    merge_view(&state, &session, &id, &q.q, String::new()).await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    merged_id: String,
}

pub async fn merge(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Form(form): Form<MergeForm>) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.merge_patients(&session.actor, &id, &form.merged_id).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}?notice=merged")).into_response(),
        Err(AppError::Validation(errors)) => merge_view(&state, &session, &id, "", errors.summary()).await,
        Err(e) => error_page(e),
    }
}
