//! The mail room's pages: `/mail` (the incoming log with its filters), `/mail/new` (log a piece
//! with its scan: one multipart form, the patient chosen first by search), `/mail/{id}`,
//! `/mail/payments` (checks to post), `/mail/returned` (patients to call for a new address),
//! `/mail/records` (records requests, overdue first), `/mail/records/{id}` (fulfil),
//! `/mail/outgoing` (the outgoing log) and a patient's accounting of disclosures
//! (`/patients/{id}/disclosures`, also as PDF).

use super::waitlist::{PatientPick, chosen, pick};
use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::mail_room::{
    BadAddressView, DisclosureReport, FulfilInput, MAIL_KINDS, MailFilter, MailItemDetail, MailItemView, MailPaymentView, NewMailInput,
    NewRecordsRequestInput, OUTGOING_KINDS, OutgoingInput, OutgoingMailView, REQUESTER_KINDS, RecordsRequestDetail, RecordsRequestView,
    SEND_METHODS,
};
use medoffice_app::patients::Upload;
use medoffice_app::views::PatientSummary;
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::{Action, Role};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mail", get(index))
        .route("/mail/new", get(new_form).post(create))
        .route("/mail/payments", get(payments))
        .route("/mail/returned", get(returned))
        .route("/mail/records", get(records))
        .route("/mail/records/new", get(new_request_form).post(create_request))
        .route("/mail/records/{id}", get(record))
        .route("/mail/records/{id}/fulfil", post(fulfil))
        .route("/mail/records/{id}/authorization", get(authorization))
        .route("/mail/outgoing", get(outgoing).post(log_outgoing))
        .route("/mail/{id}", get(item))
        .route("/mail/{id}/done", post(done))
        .route("/mail/{id}/scan", get(scan))
        .route("/patients/{id}/disclosures", get(disclosures))
        .route("/patients/{id}/disclosures.pdf", get(disclosures_pdf))
}

/// The mail room's tabs.
pub struct MailTabs {
    pub current: &'static str,
    pub can_records: bool,
}

impl MailTabs {
    fn new(session: &PageSession, current: &'static str) -> MailTabs {
        MailTabs { current, can_records: session.actor.role.may(Action::ReleaseRecords) }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

fn options(list: &[(&str, &str)], blank: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), blank.to_string())];
    out.extend(list.iter().map(|(c, l)| (c.to_string(), l.to_string())));
    out
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

/// Serves a stored file as an attachment, its name kept ASCII with the exact name in RFC 5987's
/// `filename*`.
fn file_response(name: String, content_type: String, bytes: Vec<u8>) -> Response {
    let ascii: String = name.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Reads a multipart form: its text fields and the file of `file_field` (none when empty).
async fn read_multipart(mut multipart: Multipart, file_field: &str) -> Result<(FormState, Option<Upload>), String> {
    let mut values = HashMap::new();
    let mut upload = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_string();
        if name == file_field {
            let file_name = field.file_name().unwrap_or("").to_string();
            let content_type = field.content_type().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
            if !bytes.is_empty() {
                upload = Some(Upload { file_name, content_type, bytes });
            }
        } else {
            let text = field.text().await.map_err(|e| e.body_text())?;
            values.insert(name, text);
        }
    }
    Ok((FormState::new(values), upload))
}

// ---------------------------------------------------------------------------------------------
// The incoming log
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_index.html")]
struct IndexPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    items: Vec<MailItemView>,
    kind: String,
    status: String,
    mine: bool,
    kind_options: Vec<(String, String)>,
    status_options: Vec<(String, String)>,
    can_log: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IndexQuery {
    kind: String,
    status: String,
    mine: String,
    notice: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<IndexQuery>) -> Response {
    let filter = MailFilter { kind: q.kind.clone(), status: q.status.clone(), mine: q.mine == "1" };
    let items = match state.app.mail_items(&session.actor, &filter).await {
        Ok(i) => i,
        Err(e) => return error_page(e),
    };
    let notice = (q.notice == "done").then(|| "Marked done.".to_string());
    render(&IndexPage {
        layout: Layout::new(&session, "/mail").with_notice(notice),
        title: "Mail",
        tabs: MailTabs::new(&session, "incoming"),
        items,
        kind: q.kind,
        status: q.status,
        mine: filter.mine,
        kind_options: options(&MAIL_KINDS, "Every kind"),
        status_options: vec![(String::new(), "Open and done".into()), ("open".into(), "Open".into()), ("done".into(), "Done".into())],
        can_log: session.actor.role.may(Action::LogMail),
    })
}

// ---------------------------------------------------------------------------------------------
// Logging a piece of mail
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    pick: PatientPick,
    patient: Option<PatientSummary>,
    form: FormState,
    kind_options: Vec<(String, String)>,
    payer_options: Vec<(String, String)>,
    vendor_options: Vec<(String, String)>,
    user_options: Vec<(String, String)>,
    role_options: Vec<(String, String)>,
    max_upload_mb: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PickQuery {
    q: String,
    patient_id: String,
    mail_item_id: String,
}

async fn new_page(state: &AppState, session: &PageSession, query: &str, patient_id: &str, form: FormState) -> Result<NewPage, AppError> {
    let choices = state.app.mail_form_choices(&session.actor).await?;
    let patient = if patient_id.trim().is_empty() { None } else { Some(chosen(state, session, patient_id.trim()).await?) };
    let pick = if patient.is_none() && session.actor.role.may(Action::SearchPatients) {
        pick(state, session, "/mail/new", query).await?
    } else {
        PatientPick { action: "/mail/new", query: String::new(), results: Vec::new(), searched: false }
    };
    let with_blank = |blank: &str, list: Vec<(String, String)>| {
        let mut out = vec![(String::new(), blank.to_string())];
        out.extend(list);
        out
    };
    Ok(NewPage {
        layout: Layout::new(session, "/mail"),
        title: "Log incoming mail",
        tabs: MailTabs::new(session, "incoming"),
        pick,
        patient,
        form,
        kind_options: options(&MAIL_KINDS, "Choose the kind"),
        payer_options: with_blank("No payer", choices.payers),
        vendor_options: with_blank("No vendor", choices.vendors),
        user_options: with_blank("Nobody in particular", choices.users),
        role_options: with_blank("No role", Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect()),
        max_upload_mb: state.app.config.max_upload_bytes / (1024 * 1024),
    })
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<PickQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("received_date".into(), session.actor.today(state.app.now()).to_string());
    match new_page(&state, &session, &q.q, &q.patient_id, form).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn create(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, scan) = match read_multipart(multipart, "scan").await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("scan", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let amount = form.v("amount").trim().to_string();
    let (amount_cents, bad_amount) = if amount.is_empty() {
        (0, None)
    } else {
        match Money::parse(&amount) {
            Ok(m) => (m.cents(), None),
            Err(e) => (0, Some(e)),
        }
    };
    let input = NewMailInput {
        received_date: form.take("received_date"),
        sender: form.take("sender"),
        kind: form.take("kind"),
        summary: form.take("summary"),
        patient_id: form.take("patient_id"),
        payer_id: form.take("payer_id"),
        vendor_id: form.take("vendor_id"),
        claim_id: form.take("claim_id"),
        route_to_user_id: form.take("route_to_user_id"),
        route_to_role: form.take("route_to_role"),
        check_number: form.take("check_number"),
        amount_cents,
    };
    // An amount that is not one goes in as none: a check is then refused on its amount, with the
    // parse error as the message.
    let result = state.app.log_mail(&session.actor, &input, scan).await;
    match result {
        Ok(detail) => Redirect::to(&format!("/mail/{}?notice=logged", detail.item.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            let mut named = ValidationErrors::new();
            for e in errors.errors {
                if e.field == "amount_cents" {
                    named.add("amount", bad_amount.clone().unwrap_or(e.message));
                } else {
                    named.add(&e.field, e.message);
                }
            }
            form.errors = named;
            let patient_id = if form.err("patient_id").is_some() { String::new() } else { input.patient_id.clone() };
            match new_page(&state, &session, "", &patient_id, form).await {
                Ok(page) => render(&page),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One piece of mail
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_item.html")]
struct ItemPage {
    layout: Layout,
    title: String,
    tabs: MailTabs,
    detail: MailItemDetail,
    amount: String,
    can_log: bool,
    can_enter_bill: bool,
    can_records: bool,
}

pub async fn item(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let detail = match state.app.mail_item(&session.actor, &id).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let notice = match q.notice.as_str() {
        "logged" => Some(match (&detail.payment, detail.item.kind.as_str()) {
            (Some(_), _) => "Logged. The check is on the list to post.".to_string(),
            (None, "returned_mail") => "Logged. The patient's address is marked bad and they are on the list to call.".to_string(),
            _ => "Logged.".to_string(),
        }),
        "done" => Some("Marked done.".to_string()),
        _ => None,
    };
    let role = session.actor.role;
    render(&ItemPage {
        layout: Layout::new(&session, "/mail").with_notice(notice),
        title: format!("{} from {}", detail.item.kind_label, detail.item.sender),
        tabs: MailTabs::new(&session, "incoming"),
        amount: detail.payment.as_ref().map(|p| money(p.amount_cents)).unwrap_or_default(),
        can_log: role.may(Action::LogMail),
        can_enter_bill: role.may(Action::PostJournal),
        can_records: role.may(Action::ReleaseRecords),
        detail,
    })
}

pub async fn done(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = checked_form(&session, fields) {
        return r;
    }
    match state.app.mark_mail_done(&session.actor, &id).await {
        Ok(()) => Redirect::to(&format!("/mail/{id}?notice=done")).into_response(),
        Err(e) => error_page(e),
    }
}

pub async fn scan(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.mail_scan(&session.actor, &id).await {
        Ok((name, kind, bytes)) => file_response(name, kind, bytes),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Checks to post, returned mail
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_payments.html")]
struct PaymentsPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    payments: Vec<(MailPaymentView, String)>,
    total: String,
}

pub async fn payments(State(state): State<AppState>, session: PageSession) -> Response {
    let list = match state.app.mail_payments_to_post(&session.actor).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let total = money(list.iter().map(|p| p.amount_cents).sum());
    render(&PaymentsPage {
        layout: Layout::new(&session, "/mail"),
        title: "Checks to post",
        tabs: MailTabs::new(&session, "payments"),
        payments: list.into_iter().map(|p| (money(p.amount_cents), p)).map(|(m, p)| (p, m)).collect(),
        total,
    })
}

#[derive(Template)]
#[template(path = "mail_returned.html")]
struct ReturnedPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    patients: Vec<BadAddressView>,
    can_edit: bool,
}

pub async fn returned(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.returned_mail_calls(&session.actor).await {
        Ok(patients) => render(&ReturnedPage {
            layout: Layout::new(&session, "/mail"),
            title: "Returned mail: patients to call",
            tabs: MailTabs::new(&session, "returned"),
            patients,
            can_edit: session.actor.role.may(Action::EditPatient),
        }),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Records requests
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_records.html")]
struct RecordsPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    requests: Vec<RecordsRequestView>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecordsQuery {
    status: String,
}

pub async fn records(State(state): State<AppState>, session: PageSession, Query(q): Query<RecordsQuery>) -> Response {
    match state.app.records_requests(&session.actor, &q.status).await {
        Ok(requests) => render(&RecordsPage {
            layout: Layout::new(&session, "/mail"),
            title: "Records requests",
            tabs: MailTabs::new(&session, "records"),
            requests,
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "mail_records_new.html")]
struct NewRequestPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    pick: PatientPick,
    patient: Option<PatientSummary>,
    form: FormState,
    kind_options: Vec<(String, String)>,
    max_upload_mb: usize,
}

async fn new_request_page(
    state: &AppState,
    session: &PageSession,
    query: &str,
    patient_id: &str,
    form: FormState,
) -> Result<NewRequestPage, AppError> {
    if !session.actor.role.may(Action::ReleaseRecords) {
        return Err(AppError::Forbidden);
    }
    let patient = if patient_id.trim().is_empty() { None } else { Some(chosen(state, session, patient_id.trim()).await?) };
    let pick = if patient.is_none() {
        pick(state, session, "/mail/records/new", query).await?
    } else {
        PatientPick { action: "/mail/records/new", query: String::new(), results: Vec::new(), searched: false }
    };
    Ok(NewRequestPage {
        layout: Layout::new(session, "/mail"),
        title: "Log a records request",
        tabs: MailTabs::new(session, "records"),
        pick,
        patient,
        form,
        kind_options: options(&REQUESTER_KINDS, "Choose who asks"),
        max_upload_mb: state.app.config.max_upload_bytes / (1024 * 1024),
    })
}

pub async fn new_request_form(State(state): State<AppState>, session: PageSession, Query(q): Query<PickQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("received_date".into(), session.actor.today(state.app.now()).to_string());
    form.values.insert("mail_item_id".into(), q.mail_item_id.clone());
    match new_request_page(&state, &session, &q.q, &q.patient_id, form).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn create_request(State(state): State<AppState>, session: PageSession, multipart: Multipart) -> Response {
    let (mut form, authorization) = match read_multipart(multipart, "authorization").await {
        Ok(parts) => parts,
        Err(message) => return error_page(AppError::Validation(ValidationErrors::single("authorization", message))),
    };
    if let Err(refused) = session.check_csrf(form.v("csrf")) {
        return refused;
    }
    let input = NewRecordsRequestInput {
        patient_id: form.take("patient_id"),
        requester_name: form.take("requester_name"),
        requester_kind: form.take("requester_kind"),
        requested_what: form.take("requested_what"),
        purpose: form.take("purpose"),
        received_date: form.take("received_date"),
        mail_item_id: form.take("mail_item_id"),
    };
    match state.app.log_records_request(&session.actor, &input, authorization).await {
        Ok(r) => Redirect::to(&format!("/mail/records/{}?notice=logged", r.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let patient_id = if form.err("patient_id").is_some() { String::new() } else { input.patient_id.clone() };
            match new_request_page(&state, &session, "", &patient_id, form).await {
                Ok(page) => render(&page),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "mail_record.html")]
struct RecordPage {
    layout: Layout,
    title: String,
    tabs: MailTabs,
    detail: RecordsRequestDetail,
    form: FormState,
    method_options: Vec<(String, String)>,
}

async fn record_page(state: &AppState, session: &PageSession, id: &str, form: FormState, notice: Option<String>) -> Response {
    match state.app.records_request(&session.actor, id).await {
        Ok(detail) => render(&RecordPage {
            layout: Layout::new(session, "/mail").with_notice(notice),
            title: format!("Records request from {}", detail.request.requester_name),
            tabs: MailTabs::new(session, "records"),
            detail,
            form,
            method_options: options(&SEND_METHODS, "Choose how"),
        }),
        Err(e) => error_page(e),
    }
}

pub async fn record(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "logged" => Some("The request is logged; it is due in 30 days.".to_string()),
        "fulfilled" => Some("Fulfilled. The release is in the patient's accounting of disclosures and the outgoing mail log.".to_string()),
        _ => None,
    };
    let mut form = FormState::default();
    form.values.insert("date".into(), session.actor.today(state.app.now()).to_string());
    record_page(&state, &session, &id, form, notice).await
}

pub async fn fulfil(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let pages_text = form.v("pages").trim().to_string();
    let pages = pages_text.parse::<i64>().unwrap_or(0);
    let input = FulfilInput {
        date: form.take("date"),
        method: form.take("method"),
        tracking_number: form.take("tracking_number"),
        pages,
        what: form.take("what"),
    };
    match state.app.fulfil_records_request(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/mail/records/{id}?notice=fulfilled")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            record_page(&state, &session, &id, form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn authorization(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.records_authorization(&session.actor, &id).await {
        Ok((name, kind, bytes)) => file_response(name, kind, bytes),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Outgoing mail
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_outgoing.html")]
struct OutgoingPage {
    layout: Layout,
    title: &'static str,
    tabs: MailTabs,
    items: Vec<OutgoingMailView>,
    form: FormState,
    method_options: Vec<(String, String)>,
    about_options: Vec<(String, String)>,
    can_log: bool,
}

async fn outgoing_page(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    match state.app.outgoing_mail(&session.actor).await {
        Ok(items) => render(&OutgoingPage {
            layout: Layout::new(session, "/mail").with_notice(notice),
            title: "Outgoing mail",
            tabs: MailTabs::new(session, "outgoing"),
            items,
            form,
            method_options: options(&SEND_METHODS, "Choose how"),
            about_options: options(&OUTGOING_KINDS, "Choose what"),
            can_log: session.actor.role.may(Action::LogMail),
        }),
        Err(e) => error_page(e),
    }
}

pub async fn outgoing(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = (q.notice == "logged").then(|| "Logged.".to_string());
    let mut form = FormState::default();
    form.values.insert("sent_date".into(), session.actor.today(state.app.now()).to_string());
    outgoing_page(&state, &session, form, notice).await
}

pub async fn log_outgoing(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = OutgoingInput {
        sent_date: form.take("sent_date"),
        recipient: form.take("recipient"),
        method: form.take("method"),
        tracking_number: form.take("tracking_number"),
        about_kind: form.take("about_kind"),
        about_id: String::new(),
        patient_id: String::new(),
        description: form.take("description"),
    };
    match state.app.log_outgoing(&session.actor, &input).await {
        Ok(_) => Redirect::to("/mail/outgoing?notice=logged").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            outgoing_page(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A patient's accounting of disclosures
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mail_disclosures.html")]
struct DisclosuresPage {
    layout: Layout,
    title: String,
    report: DisclosureReport,
}

pub async fn disclosures(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.disclosures(&session.actor, &id).await {
        Ok(report) => render(&DisclosuresPage {
            layout: Layout::new(&session, "/patients"),
            title: format!("Accounting of disclosures: {}", report.patient_name),
            report,
        }),
        Err(e) => error_page(e),
    }
}

pub async fn disclosures_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.disclosure_report_pdf(&session.actor, &id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"accounting-of-disclosures.pdf\"".to_string()),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(e),
    }
}
