//! Letters' pages (issue 8): `/letters` (the templates and the latest letters), `/letters/new`
//! (write one: template, patient, recipient and delivery, previewed on the server before it is
//! saved), `/letters/templates/{id}` (the office manager edits a template's text under its
//! version; others read it), `/letters/{id}` and its PDF, `/letters/batch` (one template for
//! many patients, chosen by search, the recall-due list or typed ids, printed as one PDF) and
//! `/admin/letterhead` (the office manager uploads the practice's logo for the letterhead).

use super::waitlist::{chosen, pick};
use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::letters::{LetterInput, LetterPreview, LetterTemplateView, LetterView, TemplateInput};
use medoffice_app::views::PatientSummary;
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/letters", get(index))
        .route("/letters/new", get(new_form).post(write))
        .route("/letters/batch", get(batch_page).post(batch_submit))
        .route("/admin/letterhead", get(letterhead_page).post(letterhead_upload))
        .route("/admin/letterhead/remove", axum::routing::post(letterhead_remove))
        .route("/admin/letterhead/logo", get(letterhead_logo))
        .route("/letters/templates/{id}", get(template_page).post(template_submit))
        .route("/letters/{id}", get(show))
        .route("/letters/{id}/pdf", get(pdf))
}

/// The date part of a stored RFC 3339 time.
fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// The errors of one input split: the merge errors (on `body`, each naming its merge field) and
/// the others, as the form shows them.
fn split_merge_errors(errors: ValidationErrors) -> (Vec<String>, ValidationErrors) {
    let mut merge = Vec::new();
    let mut rest = ValidationErrors::new();
    for e in errors.errors {
        if e.field == "body" {
            merge.push(e.message);
        } else {
            rest.add(&e.field, e.message);
        }
    }
    (merge, rest)
}

// ---------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------

/// A template's row on the index.
struct TemplateRow {
    id: String,
    key: String,
    name: String,
    audience: String,
    edited: String,
    built_in_untouched: bool,
}

/// A letter's row on a list.
pub struct LetterRow {
    pub id: String,
    pub date: String,
    pub patient_id: String,
    pub patient_name: String,
    pub title: String,
    pub recipient: String,
    pub delivery: String,
}

impl LetterRow {
    pub fn of(l: &LetterView) -> LetterRow {
        LetterRow {
            id: l.id.clone(),
            date: day(&l.created_at).to_string(),
            patient_id: l.patient_id.clone(),
            patient_name: l.patient_name.clone(),
            title: l.title.clone(),
            recipient: l.recipient_name.clone().unwrap_or_else(|| "The patient".into()),
            delivery: match (&l.emailed_to, l.delivery.as_str()) {
                (Some(to), _) => format!("E-mailed to {to}"),
                (None, "email") => "E-mail".into(),
                _ => "Printed for mail".into(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "letters.html")]
struct IndexPage {
    layout: Layout,
    title: &'static str,
    templates: Vec<TemplateRow>,
    letters: Vec<LetterRow>,
    can_manage: bool,
    has_logo: bool,
}

pub async fn index(State(state): State<AppState>, session: PageSession) -> Response {
    let templates = match state.app.letter_templates(&session.actor).await {
        Ok(t) => t,
        Err(e) => return error_page(e),
    };
    let letters = match state.app.recent_letters(&session.actor).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let has_logo = match state.app.letterhead_logo(&session.actor).await {
        Ok(l) => l.is_some(),
        Err(e) => return error_page(e),
    };
    render(&IndexPage {
        layout: Layout::new(&session, "/letters"),
        title: "Letters",
        templates: templates
            .iter()
            .map(|t| TemplateRow {
                id: t.id.clone(),
                key: t.key.clone(),
                name: t.name.clone(),
                audience: t.audience.clone(),
                edited: format!("{} by {}", day(&t.updated_at), t.updated_by),
                built_in_untouched: t.built_in && t.version == 1,
            })
            .collect(),
        letters: letters.iter().map(LetterRow::of).collect(),
        can_manage: session.actor.role.may(Action::ManageLetterTemplates),
        has_logo,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing a letter
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "letters_write.html")]
struct WritePage {
    layout: Layout,
    title: &'static str,
    /// The patient search (when no patient is chosen yet).
    query: String,
    results: Vec<PatientSummary>,
    searched: bool,
    patient: Option<PatientSummary>,
    form: FormState,
    template_options: Vec<(String, String)>,
    contact_options: Vec<(String, String)>,
    delivery_options: Vec<(String, String)>,
    /// The merge fields the template needs and this patient has no value for, each named.
    merge_errors: Vec<String>,
    preview: Option<LetterPreview>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    patient_id: String,
    message_id: String,
    template: String,
    q: String,
}

async fn write_page(
    state: &AppState,
    session: &PageSession,
    query: &str,
    form: FormState,
    merge_errors: Vec<String>,
    preview: Option<LetterPreview>,
) -> Result<WritePage, AppError> {
    if !session.actor.role.may(Action::WriteLetters) {
        return Err(AppError::Forbidden);
    }
    let templates = state.app.letter_templates(&session.actor).await?;
    let patient_id = form.v("patient_id").trim().to_string();
    let patient = if patient_id.is_empty() { None } else { Some(chosen(state, session, &patient_id).await?) };
    let found = if patient.is_none() && session.actor.role.may(Action::SearchPatients) {
        pick(state, session, "/letters/new", query).await?
    } else {
        super::waitlist::PatientPick { action: "/letters/new", query: String::new(), results: Vec::new(), searched: false }
    };
    let contacts = if patient.is_some() && session.actor.role.may(Action::TakeMessages) {
        state.app.directory(&session.actor, "").await?
    } else {
        Vec::new()
    };
    let mut template_options = vec![(String::new(), "Choose a template".to_string())];
    template_options.extend(templates.iter().map(|t| (t.key.clone(), t.name.clone())));
    let mut contact_options = vec![(String::new(), "None: type the recipient below".to_string())];
    contact_options.extend(contacts.iter().map(|c| (c.id.clone(), format!("{} ({})", c.name, c.kind_label))));
    Ok(WritePage {
        layout: Layout::new(session, "/letters"),
        title: "Write a letter",
        query: found.query,
        results: found.results,
        searched: found.searched,
        patient,
        form,
        template_options,
        contact_options,
        delivery_options: vec![("print".into(), "Print for mail".into()), ("email".into(), "E-mail to the patient".into())],
        merge_errors,
        preview,
    })
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("patient_id".into(), q.patient_id.trim().to_string());
    form.values.insert("message_id".into(), q.message_id.trim().to_string());
    form.values.insert("template".into(), q.template.trim().to_string());
    form.values.insert("delivery".into(), "print".into());
    match write_page(&state, &session, &q.q, form, Vec::new(), None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

fn letter_input(form: &FormState) -> LetterInput {
    LetterInput {
        template: form.take("template"),
        patient_id: form.take("patient_id"),
        contact_id: form.take("contact_id"),
        recipient_name: form.take("recipient_name"),
        recipient_address: form.take("recipient_address"),
        recipient_phone: String::new(),
        provider_id: String::new(),
        message_id: form.take("message_id"),
        delivery: form.take("delivery"),
    }
}

/// The write form's two buttons: `intent=preview` renders the letter on the page, anything
/// else writes it.
pub async fn write(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let input = letter_input(&form);
    let outcome = if form.v("intent") == "preview" {
        match state.app.preview_letter(&session.actor, &input, None).await {
            Ok(p) => Ok(Some(p)),
            Err(e) => Err(e),
        }
    } else {
        match state.app.write_letter(&session.actor, &input).await {
            Ok(letter) => return Redirect::to(&format!("/letters/{}?notice=written", letter.id)).into_response(),
            Err(e) => Err(e),
        }
    };
    let (merge_errors, preview) = match outcome {
        Ok(preview) => (Vec::new(), preview),
        Err(AppError::Validation(errors)) => {
            let (merge, rest) = split_merge_errors(errors);
            form.errors = rest;
            (merge, None)
        }
        Err(AppError::Conflict(message)) => {
            form.errors = ValidationErrors::single("delivery", message);
            (Vec::new(), None)
        }
        Err(e) => return error_page(e),
    };
    if form.err("patient_id").is_some() {
        form.values.insert("patient_id".into(), String::new());
    }
    match write_page(&state, &session, "", form, merge_errors, preview).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One letter
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "letter.html")]
struct ShowPage {
    layout: Layout,
    title: String,
    l: LetterView,
    date: String,
    row: LetterRow,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn show(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    match state.app.letter(&session.actor, &id).await {
        Ok(l) => {
            let notice = match q.notice.as_str() {
                "written" if l.emailed_to.is_some() => {
                    Some("The letter was e-mailed and saved on the chart; it is in the outgoing mail log.".to_string())
                }
                "written" => Some("The letter is saved on the chart and in the outgoing mail log. Open the PDF to print it.".to_string()),
                _ => None,
            };
            render(&ShowPage {
                layout: Layout::new(&session, "/letters").with_notice(notice),
                title: format!("{}: {}", l.title, l.patient_name),
                date: day(&l.created_at).to_string(),
                row: LetterRow::of(&l),
                l,
            })
        }
        Err(e) => error_page(e),
    }
}

pub async fn pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.letter_pdf(&session.actor, &id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"letter-{}.pdf\"", id.chars().take(40).collect::<String>())),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A template
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "letters_template.html")]
struct TemplatePage {
    layout: Layout,
    title: String,
    t: LetterTemplateView,
    can_edit: bool,
    form: FormState,
    /// The patient the preview is for, and the search to choose one.
    patient: Option<PatientSummary>,
    query: String,
    results: Vec<PatientSummary>,
    searched: bool,
    merge_errors: Vec<String>,
    conflict: Option<String>,
    preview: Option<LetterPreview>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TemplateQuery {
    patient_id: String,
    q: String,
    notice: String,
}

struct TemplateExtras {
    query: String,
    merge_errors: Vec<String>,
    conflict: Option<String>,
    preview: Option<LetterPreview>,
    notice: Option<String>,
}

async fn template_view_page(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: Option<FormState>,
    x: TemplateExtras,
) -> Result<TemplatePage, AppError> {
    let t = state.app.letter_template(&session.actor, id).await?;
    let can_edit = session.actor.role.may(Action::ManageLetterTemplates);
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.values.insert("name".into(), t.name.clone());
        f.values.insert("body".into(), t.body.clone());
        f.values.insert("version".into(), t.version.to_string());
        f
    });
    let patient_id = form.v("patient_id").trim().to_string();
    let patient = if can_edit && !patient_id.is_empty() { Some(chosen(state, session, &patient_id).await?) } else { None };
    let (query, results, searched) = if can_edit && patient.is_none() && !x.query.trim().is_empty() {
        let found = pick(state, session, "/letters/new", &x.query).await?;
        (found.query, found.results, found.searched)
    } else {
        (String::new(), Vec::new(), false)
    };
    Ok(TemplatePage {
        layout: Layout::new(session, "/letters").with_notice(x.notice),
        title: format!("Template: {}", t.name),
        t,
        can_edit,
        form,
        patient,
        query,
        results,
        searched,
        merge_errors: x.merge_errors,
        conflict: x.conflict,
        preview: x.preview,
    })
}

pub async fn template_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> Response {
    let notice = (q.notice == "saved").then(|| "Template saved. New letters use this text.".to_string());
    let form = if q.patient_id.trim().is_empty() {
        None
    } else {
        // A preview patient chosen: the template's own text, with the patient kept.
        match state.app.letter_template(&session.actor, &id).await {
            Ok(t) => {
                let mut f = FormState::default();
                f.values.insert("name".into(), t.name.clone());
                f.values.insert("body".into(), t.body.clone());
                f.values.insert("version".into(), t.version.to_string());
                f.values.insert("patient_id".into(), q.patient_id.trim().to_string());
                Some(f)
            }
            Err(e) => return error_page(e),
        }
    };
    let extras = TemplateExtras { query: q.q, merge_errors: Vec::new(), conflict: None, preview: None, notice };
    match template_view_page(&state, &session, &id, form, extras).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

/// The editor's two buttons: `intent=preview` renders the edited (unsaved) text for the chosen
/// patient; anything else saves it under the version read.
pub async fn template_submit(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    if !session.actor.role.may(Action::ManageLetterTemplates) {
        return error_page(AppError::Forbidden);
    }
    let mut extras = TemplateExtras { query: String::new(), merge_errors: Vec::new(), conflict: None, preview: None, notice: None };
    let result = if form.v("intent") == "preview" {
        let input = LetterInput { template: id.clone(), patient_id: form.take("patient_id"), ..Default::default() };
        match state.app.preview_letter(&session.actor, &input, Some(form.v("body"))).await {
            Ok(p) => {
                extras.preview = Some(p);
                Ok(())
            }
            Err(e) => Err(e),
        }
    } else {
        let input =
            TemplateInput { name: form.take("name"), body: form.take("body"), version: form.v("version").trim().parse().unwrap_or(0) };
        match state.app.save_letter_template(&session.actor, &id, &input).await {
            Ok(_) => return Redirect::to(&format!("/letters/templates/{id}?notice=saved")).into_response(),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => {}
        Err(AppError::Validation(errors)) => {
            let (merge, rest) = split_merge_errors(errors);
            extras.merge_errors = merge;
            form.errors = rest;
        }
        Err(AppError::Conflict(message)) => extras.conflict = Some(message),
        Err(e) => return error_page(e),
    }
    if form.err("patient_id").is_some() {
        form.values.insert("patient_id".into(), String::new());
    }
    match template_view_page(&state, &session, &id, Some(form), extras).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A batch: one template for many patients, one PDF
// ---------------------------------------------------------------------------------------------

/// A patient on the batch page: chosen (checked) or a search result (not yet).
struct BatchPatient {
    id: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "letters_batch.html")]
struct BatchPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    template_options: Vec<(String, String)>,
    /// The patients checked so far, then the search's results.
    patients: Vec<BatchPatient>,
    searched: bool,
    can_search: bool,
    can_read_recalls: bool,
    max_batch: usize,
}

fn patient_label(p: &PatientSummary) -> String {
    format!("{}, {} (born {}, MRN {})", p.family_name, p.given_name, p.birth_date, p.mrn)
}

async fn batch_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    checked: &[String],
    query: &str,
) -> Result<BatchPage, AppError> {
    if !session.actor.role.may(Action::WriteLetters) {
        return Err(AppError::Forbidden);
    }
    let templates = state.app.letter_templates(&session.actor).await?;
    let mut template_options = vec![(String::new(), "Choose a template".to_string())];
    template_options.extend(templates.iter().map(|t| (t.key.clone(), t.name.clone())));
    let mut patients = Vec::new();
    for id in checked.iter().take(medoffice_app::letters::MAX_BATCH) {
        // A chosen id that is no patient (typed wrong) stays off the list; printing names it.
        if let Ok(p) = chosen(state, session, id).await {
            patients.push(BatchPatient { id: p.id.clone(), label: patient_label(&p), checked: true });
        }
    }
    let can_search = session.actor.role.may(Action::SearchPatients);
    let found =
        if can_search { pick(state, session, "/letters/batch", query).await? } else { pick(state, session, "/letters/batch", "").await? };
    for p in &found.results {
        if !patients.iter().any(|c| c.id == p.id) {
            patients.push(BatchPatient { id: p.id.clone(), label: patient_label(p), checked: false });
        }
    }
    Ok(BatchPage {
        layout: Layout::new(session, "/letters"),
        title: "Print letters in a batch",
        form,
        template_options,
        patients,
        searched: found.searched,
        can_search,
        can_read_recalls: session.actor.role.may(Action::ReadRecalls),
        max_batch: medoffice_app::letters::MAX_BATCH,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BatchQuery {
    template: String,
}

pub async fn batch_page(State(state): State<AppState>, session: PageSession, Query(q): Query<BatchQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("template".into(), q.template.trim().to_string());
    match batch_view(&state, &session, form, &[], "").await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

/// The ids typed in the list box: separated by spaces, commas or new lines.
fn typed_ids(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The patients of the open recalls that are overdue or due this month.
async fn recall_due_patients(state: &AppState, session: &PageSession) -> Result<Vec<String>, AppError> {
    let mut ids = Vec::new();
    for due in ["overdue", "this_month"] {
        let input = medoffice_app::recalls::RecallListInput { due: due.into(), status: String::new() };
        for r in state.app.list_recalls(&session.actor, &input).await? {
            if !ids.contains(&r.patient.id) {
                ids.push(r.patient.id);
            }
        }
    }
    Ok(ids)
}

/// The batch form's buttons: `intent=search` looks patients up (keeping those checked);
/// anything else prints: the checked patients, the recall-due list when ticked, and the typed
/// ids, as one PDF (each letter saved on its chart and logged as outgoing mail).
pub async fn batch_submit(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let checked: Vec<String> =
        fields.iter().filter(|(k, _)| k == "patient_ids").map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    if form.v("intent") == "search" {
        let query = form.take("q");
        return match batch_view(&state, &session, form, &checked, &query).await {
            Ok(page) => render(&page),
            Err(e) => error_page(e),
        };
    }
    let mut ids = checked.clone();
    if form.v("recall_due") == "on" {
        match recall_due_patients(&state, &session).await {
            Ok(due) if due.is_empty() => {
                form.errors.add("recall_due", "no open recall is overdue or due this month");
            }
            Ok(due) => ids.extend(due),
            Err(AppError::Forbidden) => form.errors.add("recall_due", "your role does not read the recall list"),
            Err(e) => return error_page(e),
        }
    }
    ids.extend(typed_ids(form.v("id_list")));
    if form.errors.is_empty() {
        match state.app.write_letter_batch(&session.actor, form.v("template"), &ids).await {
            Ok((letters, pdf)) => {
                let day = session.actor.today(state.app.now());
                return (
                    [
                        (header::CONTENT_TYPE, "application/pdf".to_string()),
                        (header::CONTENT_DISPOSITION, format!("inline; filename=\"letters-{day}-{}.pdf\"", letters.len())),
                    ],
                    pdf,
                )
                    .into_response();
            }
            Err(AppError::Validation(errors)) => {
                for e in errors.errors {
                    // A patient's merge error or unknown id belongs with the patients.
                    let field = match e.field.as_str() {
                        "template" => "template",
                        _ => "patient_ids",
                    };
                    form.errors.add(field, e.message);
                }
            }
            Err(e) => return error_page(e),
        }
    }
    let mut kept = checked;
    kept.dedup();
    match batch_view(&state, &session, form, &kept, "").await {
        Ok(page) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page.render().map(axum::response::Html).map_err(|e| e.to_string()))
            .into_response(),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The letterhead logo (the office manager)
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "letters_letterhead.html")]
struct LetterheadPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    logo: Option<medoffice_app::letters::LogoView>,
    max_kb: usize,
}

async fn letterhead_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    notice: Option<String>,
) -> Result<LetterheadPage, AppError> {
    if !session.actor.role.may(Action::ManageLetterTemplates) {
        return Err(AppError::Forbidden);
    }
    Ok(LetterheadPage {
        layout: Layout::new(session, "/admin").with_notice(notice),
        title: "Letterhead logo",
        form,
        logo: state.app.letterhead_logo(&session.actor).await?,
        max_kb: medoffice_app::letters::MAX_LOGO_BYTES / 1024,
    })
}

pub async fn letterhead_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "saved" => Some("The logo is saved. Every letter printed from now on carries it.".to_string()),
        "removed" => Some("The logo is removed. Letters print the practice's name alone.".to_string()),
        _ => None,
    };
    match letterhead_view(&state, &session, FormState::default(), notice).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn letterhead_upload(State(state): State<AppState>, session: PageSession, multipart: axum::extract::Multipart) -> Response {
    let (form, file_name, bytes) = match super::read_upload(multipart).await {
        Ok(parts) => parts,
        Err(message) => {
            let form = FormState { errors: ValidationErrors::single("logo", message), ..Default::default() };
            return match letterhead_view(&state, &session, form, None).await {
                Ok(page) => render(&page),
                Err(e) => error_page(e),
            };
        }
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let upload = medoffice_app::patients::Upload { file_name, content_type: String::new(), bytes };
    match state.app.set_letterhead_logo(&session.actor, &upload).await {
        Ok(_) => Redirect::to("/admin/letterhead?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            let form = FormState { errors, ..form };
            match letterhead_view(&state, &session, form, None).await {
                Ok(page) => {
                    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page.render().map(axum::response::Html).map_err(|e| e.to_string()))
                        .into_response()
                }
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

pub async fn letterhead_remove(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = checked_form(&session, fields) {
        return refused;
    }
    match state.app.remove_letterhead_logo(&session.actor).await {
        Ok(()) => Redirect::to("/admin/letterhead?notice=removed").into_response(),
        Err(e) => error_page(e),
    }
}

/// The logo file as stored (for the admin page's picture of it).
pub async fn letterhead_logo(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.letterhead_logo_file(&session.actor).await {
        Ok((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, no-cache".to_string())], bytes).into_response()
        }
        Err(e) => error_page(e),
    }
}
