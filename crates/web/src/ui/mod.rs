//! The staff's pages: server-rendered HTML that works without JavaScript; `static/app.js` only
//! adds search-as-you-type and small conveniences.

mod account;
mod acknowledgements;
mod admin;
mod appointments;
mod backups;
mod bank;
mod bill_payments;
mod calendar_feeds;
mod claim_status;
mod claims;
mod claims_cob;
mod cms1500;
mod code_sets;
mod collections;
mod denials;
mod deposits;
mod documents;
mod eligibility;
mod encounters;
mod invoices;
mod ledger;
mod ledger_downloads;
mod ledger_recurring;
mod letters;
mod mail;
mod mailings;
mod messages;
mod paper_eob;
mod patient_accounts;
mod patients;
mod payables;
mod recalls;
mod receivables;
mod records_release;
mod reminders;
mod remittances;
mod retention;
mod schedule;
mod schedule_setup;
mod session;
mod statements;
mod vendors;
mod waitlist;

use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::{Action, Role};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/today") }))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/login/mfa", get(session::mfa_page).post(session::mfa_submit))
        .route("/login/enrol", get(session::enrol_page).post(session::enrol_submit))
        .route("/account/security", get(account::security))
        .route("/account/password", post(account::change_password))
        .route("/account/mfa/start", post(account::mfa_start))
        .route("/account/mfa/confirm", post(account::mfa_confirm))
        .route("/account/mfa/recovery-codes", post(account::recovery_codes))
        .route("/account/mfa/disable", post(account::mfa_disable))
        .route("/admin/sessions", get(admin::sessions))
        .route("/admin/sessions/{handle}/end", post(admin::end_session))
        .route("/admin/sessions/user/{id}/end", post(admin::end_user_sessions))
        .route("/admin/password-reset", post(admin::password_reset))
        .route("/admin/mfa-policy", post(admin::mfa_policy))
        .route("/today", get(patients::today))
        .route("/patients", get(patients::index))
        .route("/patients/search", get(patients::search_fragment))
        .route("/patients/new", get(patients::new_form).post(patients::create))
        .route("/patients/{id}", get(patients::chart))
        .route("/patients/{id}/edit", get(patients::edit_form).post(patients::update))
        .route("/patients/{id}/coverages/new", get(patients::coverage_new_form).post(patients::coverage_create))
        .route("/patients/{id}/coverages/{coverage_id}/edit", get(patients::coverage_edit_form).post(patients::coverage_update))
        .route("/patients/{id}/merge", get(patients::merge_page).post(patients::merge))
        .route("/coverages/{id}/card/{side}", get(patients::card_image))
        .route("/admin", get(admin::index))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{id}/{change}", post(admin::set_disabled))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/audit.csv", get(admin::audit_csv))
        .merge(schedule_setup::routes())
        .merge(code_sets::routes())
        .route("/admin/calendar-feeds", get(calendar_feeds::index).post(calendar_feeds::create))
        .route("/admin/calendar-feeds/{id}/revoke", post(calendar_feeds::revoke))
        .route("/calendar/{file}", get(calendar_feeds::feed))
        .route("/schedule", get(schedule::day))
        .route("/schedule/book", post(schedule::book))
        .route("/schedule/week", get(schedule::week))
        .route("/schedule/new", get(schedule::new_form))
        .route("/schedule/patients", get(schedule::patient_fragment))
        .route("/schedule/arrivals", get(schedule::arrivals))
        .route("/schedule/print", get(schedule::print))
        .route("/schedule/colours.css", get(schedule::colours_css))
        .route("/schedule/appointments/{id}", get(appointments::page))
        .route("/schedule/appointments/{id}/status", post(appointments::status))
        .route("/schedule/appointments/{id}/room", post(appointments::room))
        .route("/schedule/appointments/{id}/check-in", post(appointments::check_in))
        .route("/schedule/appointments/{id}/check-out", post(appointments::check_out))
        .route("/schedule/appointments/{id}/reschedule", post(appointments::reschedule))
        .route("/schedule/payments/{id}/receipt", get(appointments::receipt))
        .route("/schedule/payments/{id}/email", post(appointments::email_receipt))
        .route("/schedule/series", get(appointments::series_form).post(appointments::series_submit))
        .route("/schedule/reminders", get(reminders::page))
        .route("/schedule/reminders/send", post(reminders::send))
        .route("/schedule/reminders/rules", get(reminders::rules).post(reminders::save_rules))
        .route("/schedule/reminders/{id}/retry", post(reminders::retry))
        .route("/schedule/reminders/{id}/reply", post(reminders::reply))
        .route("/schedule/calls", get(reminders::calls))
        .route("/schedule/waitlist", get(waitlist::index).post(waitlist::create))
        .route("/schedule/waitlist/new", get(waitlist::new_form))
        .route("/schedule/waitlist/{id}/remove", post(waitlist::remove))
        .route("/schedule/waitlist/offers/{id}/book", post(waitlist::book_offer))
        .route("/schedule/waitlist/offers/{id}/decline", post(waitlist::decline_offer))
        .route("/schedule/recalls", get(recalls::index).post(recalls::create))
        .route("/schedule/recalls/new", get(recalls::new_form))
        .route("/schedule/recalls/{id}", get(recalls::show))
        .route("/schedule/recalls/{id}/contacts", post(recalls::add_contact))
        .route("/schedule/recalls/{id}/close", post(recalls::close))
        .route("/schedule/recalls/{id}/letter", get(recalls::letter))
        .route("/admin/smtp", get(reminders::smtp).post(reminders::smtp_save))
        .route("/admin/backups", get(backups::index).post(backups::save))
        .route("/admin/smtp/test", post(reminders::smtp_test))
        .merge(messages::routes())
        .merge(mail::routes())
        .merge(claims::routes())
        .merge(claim_status::routes())
        .merge(acknowledgements::routes())
        .merge(remittances::routes())
        .merge(denials::routes())
        .merge(paper_eob::routes())
        .merge(claims_cob::routes())
        .merge(cms1500::routes())
        .merge(eligibility::routes())
        .merge(encounters::routes())
        .merge(patient_accounts::routes())
        .merge(receivables::routes())
        .merge(invoices::routes())
        .merge(statements::routes())
        .merge(collections::routes())
        .merge(ledger::routes())
        .route("/books/download/{file}", get(ledger_downloads::download))
        .route("/books/recurring", get(ledger_recurring::index).post(ledger_recurring::create))
        .route("/books/recurring/new", get(ledger_recurring::new_form))
        .route("/books/recurring/run", post(ledger_recurring::run))
        .route("/books/recurring/{id}/{change}", post(ledger_recurring::set_active))
        .merge(payables::routes())
        .merge(bank::routes())
        .merge(deposits::routes())
        .merge(bill_payments::routes())
        .merge(vendors::routes())
        .merge(letters::routes())
        .merge(retention::routes())
        .merge(records_release::routes())
        .merge(mailings::routes())
        .merge(documents::routes())
        .route("/files", get(|| async { Redirect::to("/documents") }))
        .route(
            "/static/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/app.js")) }),
        )
        .fallback(|uri: axum::http::Uri| async move {
            // `/api/v1/` and other API-looking paths the nested API router does not see.
            if uri.path().starts_with("/api/") {
                return crate::api::not_found().await.into_response();
            }
            error_page_status(StatusCode::NOT_FOUND, "Page not found", "There is no page at this address.")
        })
}

/// One entry of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub built: bool,
    pub active: bool,
    /// A count shown beside the label (open messages), and whether any of them is urgent.
    pub badge: Option<(i64, bool)>,
}

/// The areas, in the order of the navigation.
const AREAS: [(&str, &str, bool, &str); 12] = [
    ("/today", "Today", true, ""),
    ("/patients", "Patients", true, ""),
    (
        "/schedule",
        "Schedule",
        true,
        "Providers' calendars: templates of working hours, booking without double-booking, check-in and check-out, reminders.",
    ),
    (
        "/messages",
        "Messages",
        true,
        "The call pad: telephone messages with urgency triage, routing to the right person and callback deadlines.",
    ),
    ("/mail", "Mail", true, "The mail room: incoming checks, EOBs, letters and records requests, and the outgoing mail log."),
    ("/billing", "Billing", true, "Coding, claims (X12 837P), remittances (835), statements and patient balances."),
    ("/books", "Books", true, "The general ledger, accounts payable, trial balance, balance sheet and income statement."),
    ("/letters", "Letters", true, "Letters from templates to patients, practices and insurers, as PDF and in mailings."),
    ("/mailings", "Mailings", true, "Fliers and newsletters to filtered lists of patients: labels, envelopes and e-mail."),
    ("/documents", "Documents", true, "Medical, accounting and business documents, encrypted, versioned and audited."),
    ("/admin", "Admin", true, ""),
    ("/admin/audit", "Audit", true, ""),
];

/// What the layout shows around every page.
pub struct Layout {
    pub practice_name: String,
    pub display_name: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub notice: Option<String>,
}

impl Layout {
    pub fn new(session: &PageSession, active: &str) -> Layout {
        let role = session.actor.role;
        Layout {
            practice_name: session.actor.practice_name.clone(),
            display_name: session.actor.display_name.clone(),
            role_label: role.label(),
            csrf: session.csrf_token.clone(),
            nav: AREAS
                .iter()
                .filter(|(href, ..)| !href.starts_with("/admin") || role == Role::Admin)
                .filter(|(href, ..)| *href != "/patients" || role.may(Action::SearchPatients))
                .filter(|(href, ..)| *href != "/schedule" || role.may(Action::ReadAppointments))
                .filter(|(href, ..)| *href != "/books" || role.may(Action::ReadBooks))
                .filter(|(href, ..)| *href != "/mail" || role.may(Action::ReadMail))
                .filter(|(href, ..)| *href != "/billing" || role.may(Action::CodeEncounters) || role.may(Action::ReadClaims))
                .filter(|(href, ..)| *href != "/messages" || role.may(Action::WorkMessages))
                .filter(|(href, ..)| *href != "/letters" || role.may(Action::WriteLetters))
                .filter(|(href, ..)| *href != "/mailings" || role.may(Action::SendMailings))
                .filter(|(href, ..)| {
                    *href != "/documents"
                        || role.may(Action::HandlePatientDocuments)
                        || role.may(Action::HandleAccountingDocuments)
                        || role.may(Action::HandleBusinessDocuments)
                })
                .map(|(href, label, built, _)| NavItem {
                    href,
                    label,
                    built: *built,
                    active: *href == active,
                    badge: (*href == "/messages" && session.message_counts.0 > 0)
                        .then_some((session.message_counts.0, session.message_counts.1 > 0)),
                })
                .collect(),
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Layout {
        self.notice = notice;
        self
    }
}

/// A form that carries nothing but the CSRF token (a button that changes one thing).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A posted form's fields, once its CSRF token is checked against the session's; the refusal
/// page otherwise. Every page form that changes something starts here.
#[allow(clippy::result_large_err)] // the refusal is a whole page, returned at once by the handler
pub fn checked_form(session: &PageSession, fields: Vec<(String, String)>) -> Result<FormState, Response> {
    let form = FormState::new(fields.into_iter().collect());
    session.check_csrf(form.v("csrf"))?;
    Ok(form)
}

/// A form's submitted values and its errors, as templates need them.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    pub values: HashMap<String, String>,
    pub errors: ValidationErrors,
}

impl FormState {
    pub fn new(values: HashMap<String, String>) -> FormState {
        FormState { values, errors: ValidationErrors::new() }
    }

    /// The submitted value of a field, or empty.
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// The error message of a field, if any.
    pub fn err(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }

    pub fn has_guarantor(&self) -> bool {
        self.values.iter().any(|(k, v)| k.starts_with("guarantor.") && !v.trim().is_empty())
    }

    /// Takes a field's value out (for the typed input).
    pub fn take(&self, name: &str) -> String {
        self.v(name).to_string()
    }
}

/// Renders a template, or an error page if rendering fails.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            let id = crate::error::log_internal(&format!("template failed: {e}"));
            error_page_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &format!("The page could not be shown. Quote error id {id}."),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "bare_error.html")]
struct BareError<'a> {
    title: &'a str,
    message: &'a str,
}

/// A plain error page (no navigation: the user may not be signed in).
pub fn error_page_status(status: StatusCode, title: &str, message: &str) -> Response {
    let html = BareError { title, message }.render().unwrap_or_else(|_| message.to_string());
    (status, Html(html)).into_response()
}

/// The page for an application error.
pub fn error_page(e: AppError) -> Response {
    let status = crate::error::status_of(&e);
    match e {
        AppError::Forbidden => {
            error_page_status(status, "Not allowed", "Your role does not allow this. Ask the office manager if you need it.")
        }
        AppError::NotFound(what) => error_page_status(status, "Not found", &format!("That {what} does not exist in this practice.")),
        AppError::Internal(detail) => {
            let id = crate::error::log_internal(&detail);
            error_page_status(
                status,
                "Something went wrong",
                &format!("medoffice could not finish this. Nothing was changed. Quote error id {id}."),
            )
        }
        other => error_page_status(status, "Cannot do that", &other.to_string()),
    }
}

#[derive(Template)]
#[template(path = "not_built.html")]
#[allow(dead_code)] // for an area shown in the navigation before it is built
struct NotBuilt {
    layout: Layout,
    title: &'static str,
    description: &'static str,
}

#[allow(dead_code)]
async fn not_built(session: PageSession, uri: axum::http::Uri) -> Response {
    let (href, label, _, description) =
        AREAS.iter().find(|(href, ..)| *href == uri.path()).copied().unwrap_or(("/today", "Not built", false, ""));
    render(&NotBuilt { layout: Layout::new(&session, href), title: label, description })
}

/// Reads an upload form (`multipart/form-data`): its text fields as a form, and the `file` part's
/// name and bytes (empty when none was chosen). The error is the reason the body is unreadable.
pub(crate) async fn read_upload(mut multipart: axum::extract::Multipart) -> Result<(FormState, String, Vec<u8>), String> {
    let mut values = std::collections::HashMap::new();
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            file_name = field.file_name().unwrap_or("").to_string();
            bytes = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
        } else {
            values.insert(name, field.text().await.map_err(|e| e.body_text())?);
        }
    }
    Ok((FormState::new(values), file_name, bytes))
}
