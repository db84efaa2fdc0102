//! Appointment reminders: the reminders page of a day (failures first, the e-mails sent, the
//! patients' e-mailed answers), the daily call list with the outcome of each call, the reminder
//! rules per appointment type, and the practice's SMTP settings under Admin. Thin over
//! `medoffice_app::reminders`; everything works without JavaScript and the lists print.

use super::{FormState, Layout, checked_form, error_page, error_page_status, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Days, NaiveDate, TimeZone};
use medoffice_app::AppError;
use medoffice_app::mailer::Security;
use medoffice_app::reminders::{ReminderView, Reply, ReplyInput, RunSummary, SmtpInput, TestEmailResult, TypeRulesView};
use medoffice_domain::security::Action;
use serde::Deserialize;

type Options = Vec<(String, String)>;

/// A reminder with its instants in the practice's time zone.
pub struct Row {
    pub r: ReminderView,
    /// "Jun 15, 12:03 PM", or empty.
    pub attempted: String,
    pub replied: String,
    /// The reply form of this row carries the errors of the last submission.
    pub form: Option<FormState>,
}

impl Row {
    /// The error of a field of this row's reply form, after a refused submission.
    pub fn err(&self, name: &str) -> Option<&str> {
        self.form.as_ref().and_then(|f| f.err(name))
    }

    /// The value submitted in this row's reply form.
    pub fn v(&self, name: &str) -> &str {
        self.form.as_ref().map(|f| f.v(name)).unwrap_or("")
    }
}

/// The sub-navigation of the reminder pages.
pub struct SubNav {
    pub date: String,
    pub current: &'static str,
    pub is_admin: bool,
}

#[derive(Deserialize, Default)]
pub struct DateQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    notice: String,
}

/// "Jun 15, 12:03 PM" for a stored UTC instant.
fn local_instant<Z: TimeZone>(text: Option<&str>, tz: &Z) -> String
where
    Z::Offset: std::fmt::Display,
{
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|at| at.with_timezone(tz).format("%b %-d, %-I:%M %p").to_string())
        .unwrap_or_default()
}

fn rows<Z: TimeZone>(views: Vec<ReminderView>, tz: &Z, errors_for: Option<(&str, &FormState)>) -> Vec<Row>
where
    Z::Offset: std::fmt::Display,
{
    views
        .into_iter()
        .map(|r| Row {
            attempted: local_instant(r.last_attempt_at.as_deref(), tz),
            replied: local_instant(r.reply_at.as_deref(), tz),
            form: errors_for.filter(|(id, _)| *id == r.id).map(|(_, f)| f.clone()),
            r,
        })
        .collect()
}

/// `YYYY-MM-DD`, or today when blank; `None` when not a date.
fn parse_day(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return Some(today);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn bad_date() -> Response {
    error_page_status(StatusCode::BAD_REQUEST, "Not a date", "Give the date as YYYY-MM-DD, e.g. 2026-06-16.")
}

fn sub_nav(session: &PageSession, date: NaiveDate, current: &'static str) -> SubNav {
    SubNav { date: date.to_string(), current, is_admin: session.actor.role.may(Action::ManageReminders) }
}

fn run_sentence(s: &RunSummary) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![plural(s.emails_sent, "e-mail sent", "e-mails sent")];
    if s.emails_failed > 0 {
        parts.push(plural(s.emails_failed, "e-mail failed", "e-mails failed"));
    }
    parts.push(plural(s.calls_listed, "patient added to the call list", "patients added to the call list"));
    if s.no_way_to_reach > 0 {
        parts.push(plural(s.no_way_to_reach, "patient with no way to reach", "patients with no way to reach"));
    }
    if s.emails_skipped > 0 {
        parts.push(plural(s.emails_skipped, "e-mail skipped", "e-mails skipped"));
    }
    format!("Reminders for {}: {}.", s.date, parts.join(", "))
}

// ---------------------------------------------------------------------------------------------
// The reminders page
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reminders.html")]
struct RemindersPage {
    layout: Layout,
    title: String,
    nav: SubNav,
    date_long: String,
    prev: String,
    next: String,
    is_today: bool,
    today: String,
    email_configured: bool,
    run_form: FormState,
    /// A refusal or failure to show in red (a retry that failed, a conflict).
    problem: Option<String>,
    failed: Vec<Row>,
    emails: Vec<Row>,
    calls: usize,
    no_way_to_reach: usize,
    skipped: Vec<Row>,
}

/// Everything the reminders page shows for `date`.
async fn reminders_page(
    state: &AppState,
    session: &PageSession,
    date: NaiveDate,
    run_form: FormState,
    reply_errors: Option<(&str, &FormState)>,
) -> medoffice_app::Result<RemindersPage> {
    let day = state.app.reminders_for_date(&session.actor, &date.to_string()).await?;
    let tz = &session.actor.timezone;
    let today = session.actor.today(state.app.now());
    let (emails, others): (Vec<ReminderView>, Vec<ReminderView>) = day.reminders.into_iter().partition(|r| r.channel == "email");
    let (skipped, emails): (Vec<ReminderView>, Vec<ReminderView>) = emails.into_iter().partition(|r| r.status == "skipped");
    let calls = others.iter().filter(|r| r.status != "skipped").count();
    let no_way_to_reach = others.iter().filter(|r| r.status != "skipped" && r.recipient.is_none()).count();
    Ok(RemindersPage {
        layout: Layout::new(session, "/schedule"),
        title: format!("Reminders {}", date.format("%a %b %-d, %Y")),
        nav: sub_nav(session, date, "reminders"),
        date_long: date.format("%A, %B %-d, %Y").to_string(),
        prev: date.checked_sub_days(Days::new(1)).unwrap_or(date).to_string(),
        next: date.checked_add_days(Days::new(1)).unwrap_or(date).to_string(),
        is_today: date == today,
        today: today.to_string(),
        email_configured: day.email_configured,
        run_form,
        problem: None,
        failed: rows(day.failed, tz, reply_errors),
        emails: rows(emails, tz, reply_errors),
        calls,
        no_way_to_reach,
        skipped: rows(skipped, tz, None),
    })
}

fn run_form_for(date: NaiveDate) -> FormState {
    let mut form = FormState::default();
    form.values.insert("date".into(), date.to_string());
    form
}

pub async fn page(State(state): State<AppState>, session: PageSession, Query(q): Query<DateQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let Some(date) = parse_day(&q.date, today) else {
        return bad_date();
    };
    let (notice, problem) = match q.notice.as_str() {
        "retry_sent" => (Some("The reminder was sent.".to_string()), None),
        "retry_failed" => (None, Some("The reminder could not be sent again; the error is listed below.".to_string())),
        "reply" => (Some("The patient's answer was recorded.".to_string()), None),
        _ => (None, None),
    };
    match reminders_page(&state, &session, date, run_form_for(date), None).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice);
            page.problem = problem;
            render(&page)
        }
        Err(e) => error_page(e),
    }
}

/// "Send due reminders": runs, then shows the day with what the run did.
pub async fn send(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let today = session.actor.today(state.app.now());
    match state.app.run_reminders(&session.actor, form.v("date")).await {
        Ok(summary) => {
            let date = NaiveDate::parse_from_str(&summary.date, "%Y-%m-%d").unwrap_or(today);
            match reminders_page(&state, &session, date, run_form_for(date), None).await {
                Ok(mut page) => {
                    let sentence = run_sentence(&summary);
                    if summary.ok() {
                        page.layout = page.layout.with_notice(Some(sentence));
                    } else {
                        page.problem = Some(format!("{sentence} The failures are listed below; nothing was reported sent that was not."));
                    }
                    render(&page)
                }
                Err(e) => error_page(e),
            }
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let date = parse_day(form.v("date"), today).unwrap_or(today);
            match reminders_page(&state, &session, date, form, None).await {
                Ok(page) => render(&page),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

/// Sends one failed reminder again, now.
pub async fn retry(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let today = session.actor.today(state.app.now());
    let date = parse_day(form.v("date"), today).unwrap_or(today);
    match state.app.retry_reminder(&session.actor, &id).await {
        Ok(r) => {
            let notice = if r.status == "sent" { "retry_sent" } else { "retry_failed" };
            Redirect::to(&format!("/schedule/reminders?date={date}&notice={notice}")).into_response()
        }
        Err(AppError::Conflict(message)) => match reminders_page(&state, &session, date, run_form_for(date), None).await {
            Ok(mut page) => {
                page.problem = Some(message);
                (StatusCode::CONFLICT, render(&page)).into_response()
            }
            Err(e) => error_page(e),
        },
        Err(e) => error_page(e),
    }
}

/// Records the patient's answer, from the reminders page (an e-mailed answer) or the call list.
pub async fn reply(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let today = session.actor.today(state.app.now());
    let date = parse_day(form.v("date"), today).unwrap_or(today);
    let to_calls = form.v("back") == "calls";
    let input = ReplyInput { reply: form.take("reply"), note: form.take("note") };
    let (status, problem) = match state.app.record_reminder_reply(&session.actor, &id, &input).await {
        Ok(_) => {
            let back = if to_calls { "calls" } else { "reminders" };
            return Redirect::to(&format!("/schedule/{back}?date={date}&notice=reply")).into_response();
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            (StatusCode::OK, None)
        }
        Err(AppError::Conflict(message)) => (StatusCode::CONFLICT, Some(message)),
        Err(e) => return error_page(e),
    };
    let errors = Some((id.as_str(), &form));
    if to_calls {
        match calls_page(&state, &session, date, errors).await {
            Ok(mut page) => {
                page.problem = problem;
                (status, render(&page)).into_response()
            }
            Err(e) => error_page(e),
        }
    } else {
        match reminders_page(&state, &session, date, run_form_for(date), errors).await {
            Ok(mut page) => {
                page.problem = problem;
                (status, render(&page)).into_response()
            }
            Err(e) => error_page(e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The call list
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reminders_calls.html")]
struct CallsPage {
    layout: Layout,
    title: String,
    nav: SubNav,
    date_long: String,
    prev: String,
    next: String,
    is_today: bool,
    today: String,
    problem: Option<String>,
    calls: Vec<Row>,
    /// Calls without an outcome yet (or no answer).
    open: usize,
    reply_options: Options,
}

async fn calls_page(
    state: &AppState,
    session: &PageSession,
    date: NaiveDate,
    reply_errors: Option<(&str, &FormState)>,
) -> medoffice_app::Result<CallsPage> {
    let calls = state.app.call_list(&session.actor, &date.to_string()).await?;
    let today = session.actor.today(state.app.now());
    // Still to reach: not called yet (or no answer), for an appointment not confirmed already.
    let open = calls
        .iter()
        .filter(|c| c.appointment_status == "scheduled" && (c.status == "to_call" || c.reply.as_deref() == Some("no_answer")))
        .count();
    let mut reply_options = vec![(String::new(), "Outcome…".to_string())];
    reply_options.extend(Reply::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())));
    Ok(CallsPage {
        layout: Layout::new(session, "/schedule"),
        title: format!("Call list {}", date.format("%a %b %-d, %Y")),
        nav: sub_nav(session, date, "calls"),
        date_long: date.format("%A, %B %-d, %Y").to_string(),
        prev: date.checked_sub_days(Days::new(1)).unwrap_or(date).to_string(),
        next: date.checked_add_days(Days::new(1)).unwrap_or(date).to_string(),
        is_today: date == today,
        today: today.to_string(),
        problem: None,
        open,
        calls: rows(calls, &session.actor.timezone, reply_errors),
        reply_options,
    })
}

pub async fn calls(State(state): State<AppState>, session: PageSession, Query(q): Query<DateQuery>) -> Response {
    let today = session.actor.today(state.app.now());
    let Some(date) = parse_day(&q.date, today) else {
        return bad_date();
    };
    let notice = (q.notice == "reply").then(|| "The outcome of the call was recorded.".to_string());
    match calls_page(&state, &session, date, None).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice);
            render(&page)
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Reminder rules
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reminders_rules.html")]
struct RulesPage {
    layout: Layout,
    title: &'static str,
    nav: SubNav,
    can_edit: bool,
    rules: Vec<RuleRow>,
}

pub struct RuleRow {
    pub rule: TypeRulesView,
    pub form: FormState,
}

async fn rules_page(
    state: &AppState,
    session: &PageSession,
    edited: Option<(&str, FormState)>,
    notice: Option<String>,
) -> medoffice_app::Result<RulesPage> {
    let rules = state.app.reminder_rules(&session.actor).await?;
    let today = session.actor.today(state.app.now());
    Ok(RulesPage {
        layout: Layout::new(session, "/schedule").with_notice(notice),
        title: "Reminder rules",
        nav: sub_nav(session, today, "rules"),
        can_edit: session.actor.role.may(Action::ManageReminders),
        rules: rules
            .into_iter()
            .map(|rule| {
                let form = match &edited {
                    Some((id, form)) if *id == rule.appointment_type_id => form.clone(),
                    _ => {
                        let mut f = FormState::default();
                        f.values.insert("days_before".into(), rule.text.clone());
                        f
                    }
                };
                RuleRow { rule, form }
            })
            .collect(),
    })
}

pub async fn rules(State(state): State<AppState>, session: PageSession) -> Response {
    match rules_page(&state, &session, None, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn save_rules(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let type_id = form.take("appointment_type_id");
    let (edited, notice) = match state.app.save_reminder_rules(&session.actor, &type_id, form.v("days_before")).await {
        Ok(saved) => (None, Some(format!("{}: {}.", saved.name, saved.description))),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            (Some((type_id.as_str(), form)), None)
        }
        Err(e) => return error_page(e),
    };
    match rules_page(&state, &session, edited, notice).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// SMTP settings (Admin)
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_smtp.html")]
struct SmtpPage {
    layout: Layout,
    title: &'static str,
    configured: bool,
    has_password: bool,
    updated_at: String,
    form: FormState,
    security_options: Options,
    test_form: FormState,
    test_result: Option<TestEmailResult>,
    problem: Option<String>,
}

async fn smtp_page(
    state: &AppState,
    session: &PageSession,
    form: Option<FormState>,
    test_form: FormState,
    notice: Option<String>,
) -> medoffice_app::Result<SmtpPage> {
    let saved = state.app.smtp_settings(&session.actor).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        match &saved {
            Some(s) => {
                for (k, v) in [
                    ("host", s.host.clone()),
                    ("port", s.port.to_string()),
                    ("security", s.security.clone()),
                    ("username", s.username.clone().unwrap_or_default()),
                    ("from_address", s.from_address.clone()),
                    ("from_name", s.from_name.clone()),
                ] {
                    f.values.insert(k.into(), v);
                }
            }
            None => {
                f.values.insert("security".into(), Security::StartTls.as_str().into());
                f.values.insert("from_name".into(), session.actor.practice_name.clone());
            }
        }
        f
    });
    Ok(SmtpPage {
        layout: Layout::new(session, "/admin").with_notice(notice),
        title: "E-mail (SMTP)",
        configured: saved.is_some(),
        has_password: saved.as_ref().is_some_and(|s| s.has_password),
        updated_at: local_instant(saved.as_ref().map(|s| s.updated_at.as_str()), &session.actor.timezone),
        form,
        security_options: Security::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect(),
        test_form,
        test_result: None,
        problem: None,
    })
}

pub async fn smtp(State(state): State<AppState>, session: PageSession) -> Response {
    match smtp_page(&state, &session, None, FormState::default(), None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn smtp_save(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = SmtpInput {
        host: form.take("host"),
        port: form.take("port"),
        security: form.take("security"),
        username: form.take("username"),
        password: form.take("password"),
        clear_password: !form.v("clear_password").is_empty(),
        from_address: form.take("from_address"),
        from_name: form.take("from_name"),
    };
    // The password never goes back into the page.
    form.values.remove("password");
    let (form, notice) = match state.app.save_smtp_settings(&session.actor, &input).await {
        Ok(_) => (None, Some("The mail server's settings were saved. Send a test e-mail to check them.".to_string())),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            (Some(form), None)
        }
        Err(e) => return error_page(e),
    };
    match smtp_page(&state, &session, form, FormState::default(), notice).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn smtp_test(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut test_form = FormState::new(fields.into_iter().collect());
    if let Err(r) = session.check_csrf(test_form.v("csrf")) {
        return r;
    }
    let (result, problem) = match state.app.send_test_email(&session.actor, test_form.v("to")).await {
        Ok(result) => (Some(result), None),
        Err(AppError::Validation(errors)) => {
            test_form.errors = errors;
            (None, None)
        }
        Err(AppError::Conflict(message)) => (None, Some(message)),
        Err(e) => return error_page(e),
    };
    match smtp_page(&state, &session, None, test_form, None).await {
        Ok(mut page) => {
            page.test_result = result;
            page.problem = problem;
            render(&page)
        }
        Err(e) => error_page(e),
    }
}
