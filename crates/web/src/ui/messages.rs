//! The telephone message pages: the inbox (`/messages`), the call pad (`/messages/new`, with the
//! patient search as you type and the live triage instruction from `/messages/triage`), one
//! message with its thread and buttons (`/messages/{id}`), the late view, the office manager's
//! rules and the telephone directory.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::messages::{
    CONTACT_KINDS, ContactInput, ContactView, InboxMembersView, MessageSettingsInput, MessageView, NewMessage, Target, TriageInput,
    TriageRuleInput, TriageRuleView,
};
use medoffice_app::views::PatientSummary;
use medoffice_domain::messages::{CallerKind, MessageStatus, Reason};
use medoffice_domain::security::Action;
use serde::Deserialize;

type Options = Vec<(String, String)>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messages", get(inbox))
        .route("/messages/new", get(new_form).post(create))
        .route("/messages/patients", get(patient_fragment))
        .route("/messages/triage", get(triage))
        .route("/messages/messages.js", get(script))
        .route("/messages/late", get(late))
        .route("/messages/rules", get(rules_page).post(save_rule))
        .route("/messages/rules/settings", post(save_settings))
        .route("/messages/rules/members", post(members))
        .route("/messages/directory", get(directory).post(save_contact))
        .route("/messages/{id}", get(show))
        .route("/messages/{id}/status", post(status))
        .route("/messages/{id}/reply", post(reply))
        .route("/messages/{id}/reassign", post(reassign))
}

/// The tabs over every message page.
pub struct MessageTabs {
    pub current: &'static str,
    pub manager: bool,
}

impl MessageTabs {
    fn of(session: &PageSession, current: &'static str) -> MessageTabs {
        MessageTabs { current, manager: session.actor.role.may(Action::ManageMessageRules) }
    }
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/messages.js")).into_response()
}

// ---------------------------------------------------------------------------------------------
// The inbox and the late view
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "messages_inbox.html")]
struct InboxPage {
    layout: Layout,
    title: &'static str,
    tabs: MessageTabs,
    messages: Vec<MessageView>,
    heading: &'static str,
    intro: String,
    late_view: bool,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

fn notice_text(code: &str) -> Option<String> {
    match code {
        "taken" => Some("Message taken.".into()),
        "saved" => Some("Saved.".into()),
        "done" => Some("Marked done.".into()),
        _ => None,
    }
}

pub async fn inbox(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    match state.app.message_inbox(&session.actor).await {
        Ok(view) => {
            let intro = if view.inboxes.is_empty() {
                "Messages handed to you, and urgent messages escalated to the office manager.".to_string()
            } else {
                format!("Messages handed to you and those waiting in your inboxes: {}.", view.inboxes.join(", "))
            };
            let notice = match (notice_text(&q.notice), view.escalated_now) {
                (Some(n), _) => Some(n),
                (None, 0) => None,
                (None, n) => Some(format!("{n} urgent message(s) were not acknowledged in time and escalated.")),
            };
            render(&InboxPage {
                layout: Layout::new(&session, "/messages").with_notice(notice),
                title: "Messages",
                tabs: MessageTabs::of(&session, "inbox"),
                messages: view.messages,
                heading: "My messages",
                intro,
                late_view: false,
            })
        }
        Err(e) => error_page(e),
    }
}

pub async fn late(State(state): State<AppState>, session: PageSession) -> Response {
    match state.app.late_messages(&session.actor).await {
        Ok(messages) => render(&InboxPage {
            layout: Layout::new(&session, "/messages"),
            title: "Late messages",
            tabs: MessageTabs::of(&session, "late"),
            messages,
            heading: "Late messages",
            intro: "Open messages past their callback deadline, most overdue first.".into(),
            late_view: true,
        }),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The call pad
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "messages_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    tabs: MessageTabs,
    patient: Option<PatientSummary>,
    query: String,
    results: Vec<PatientSummary>,
    form: FormState,
    caller_kinds: Options,
    reasons: Options,
    targets: Options,
    urgencies: Options,
    /// The instruction of a refused form's triage, shown again.
    instruction: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    patient_id: String,
}

fn caller_kinds() -> Options {
    CallerKind::ALL.iter().map(|k| (k.as_str().to_string(), k.label().to_string())).collect()
}

fn reasons() -> Options {
    let mut out = vec![(String::new(), "Let medoffice guess from the message".to_string())];
    out.extend(Reason::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())));
    out
}

fn target_options(targets: Vec<Target>, blank: &str) -> Options {
    let mut out = vec![(String::new(), blank.to_string())];
    out.extend(targets.into_iter().map(|t| (t.value, t.label)));
    out
}

async fn new_page(
    state: &AppState,
    session: &PageSession,
    q: &NewQuery,
    form: FormState,
    instruction: Option<String>,
) -> Result<NewPage, AppError> {
    if !session.actor.role.may(Action::TakeMessages) {
        return Err(AppError::Forbidden);
    }
    let patient =
        if q.patient_id.trim().is_empty() { None } else { Some(super::waitlist::chosen(state, session, q.patient_id.trim()).await?) };
    let results =
        if patient.is_none() && !q.q.trim().is_empty() { state.app.search_patients(&session.actor, q.q.trim()).await? } else { Vec::new() };
    let targets = state.app.message_targets(&session.actor).await?;
    Ok(NewPage {
        layout: Layout::new(session, "/messages"),
        title: "Take a call",
        tabs: MessageTabs::of(session, "new"),
        patient,
        query: q.q.trim().to_string(),
        results,
        form,
        caller_kinds: caller_kinds(),
        reasons: reasons(),
        targets: target_options(targets, "Route by the rules"),
        urgencies: vec![
            (String::new(), "Let triage decide".into()),
            ("urgent".into(), "Urgent".into()),
            ("routine".into(), "Routine".into()),
        ],
        instruction,
    })
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("caller_kind".into(), if q.patient_id.trim().is_empty() { "other".into() } else { "patient".into() });
    match new_page(&state, &session, &q, form, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "messages_patient_results.html")]
struct PatientResults {
    query: String,
    results: Vec<PatientSummary>,
}

/// `GET /messages/patients?q=`: the call pad's patient results alone, for search as you type.
pub async fn patient_fragment(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let results = if q.q.trim().is_empty() { Ok(Vec::new()) } else { state.app.search_patients(&session.actor, q.q.trim()).await };
    match results {
        Ok(results) => render(&PatientResults { query: q.q.trim().to_string(), results }),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
pub struct TriageQuery {
    #[serde(default)]
    caller_kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    recently_discharged: String,
}

/// `GET /messages/triage`: what triage says about the call typed so far (JSON for messages.js).
pub async fn triage(State(state): State<AppState>, session: PageSession, Query(q): Query<TriageQuery>) -> Response {
    let input = TriageInput { caller_kind: q.caller_kind, text: q.text, recently_discharged: !q.recently_discharged.is_empty() };
    match state.app.triage_preview(&session.actor, &input).await {
        Ok(preview) => Json(preview).into_response(),
        Err(e) => (crate::error::status_of(&e), e.to_string()).into_response(),
    }
}

pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let to = form.take("assigned_to");
    let (assigned_to, inbox) = match to.strip_prefix("user:") {
        Some(user) => (user.to_string(), String::new()),
        None => (String::new(), to),
    };
    let input = NewMessage {
        patient_id: form.take("patient_id"),
        caller_name: form.take("caller_name"),
        caller_kind: form.take("caller_kind"),
        callback_phone: form.take("callback_phone"),
        reason: form.take("reason"),
        body: form.take("body"),
        voicemail_ok: form.v("voicemail_ok") == "on",
        recently_discharged: form.v("recently_discharged") == "on",
        urgency: form.take("urgency"),
        assigned_to,
        inbox,
    };
    match state.app.take_message(&session.actor, &input).await {
        Ok(m) => Redirect::to(&format!("/messages/{}?notice=taken", m.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            // `assigned_to` and `inbox` are one select on the page.
            for e in errors.errors {
                let field = if e.field == "inbox" { "assigned_to".to_string() } else { e.field };
                form.errors.add(&field, e.message);
            }
            let q = NewQuery { q: String::new(), patient_id: input.patient_id.clone() };
            let preview = state
                .app
                .triage_preview(
                    &session.actor,
                    &TriageInput {
                        caller_kind: input.caller_kind.clone(),
                        text: input.body.clone(),
                        recently_discharged: input.recently_discharged,
                    },
                )
                .await
                .ok()
                .and_then(|p| p.instruction);
            match new_page(&state, &session, &q, form, preview).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One message
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "messages_show.html")]
struct ShowPage {
    layout: Layout,
    title: &'static str,
    tabs: MessageTabs,
    m: MessageView,
    /// The statuses it may move to: (value, button label).
    moves: Options,
    targets: Options,
    reply_statuses: Options,
    form: FormState,
    just_taken: bool,
    may_book: bool,
}

async fn show_page(state: &AppState, session: &PageSession, id: &str, form: FormState, notice: &str) -> Result<ShowPage, AppError> {
    let m = state.app.message(&session.actor, id).await?;
    let from = MessageStatus::parse(&m.status).unwrap_or(MessageStatus::New);
    let moves: Options = MessageStatus::ALL
        .iter()
        .filter(|s| from.may_become(**s))
        .map(|s| {
            let label = match (from, s) {
                (_, MessageStatus::Acknowledged) => "Acknowledge (I have it)",
                (MessageStatus::Done, MessageStatus::InProgress) => "Reopen",
                (_, other) => other.label(),
            };
            (s.as_str().to_string(), label.to_string())
        })
        .collect();
    let mut reply_statuses = vec![(String::new(), "Keep the status".to_string())];
    reply_statuses.extend(
        MessageStatus::ALL
            .iter()
            .filter(|s| from.may_become(**s))
            .map(|s| (s.as_str().to_string(), format!("and mark it {}", s.label().to_lowercase()))),
    );
    let targets = state.app.message_targets(&session.actor).await?;
    Ok(ShowPage {
        layout: Layout::new(session, "/messages").with_notice(notice_text(notice)),
        title: "Message",
        tabs: MessageTabs::of(session, ""),
        just_taken: notice == "taken",
        may_book: session.actor.role.may(Action::BookAppointments),
        m,
        moves,
        targets: target_options(targets, "Choose a person or an inbox"),
        reply_statuses,
        form,
    })
}

pub async fn show(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    match show_page(&state, &session, &id, FormState::default(), &q.notice).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

async fn after_change(
    state: &AppState,
    session: &PageSession,
    id: &str,
    result: medoffice_app::Result<MessageView>,
    form: FormState,
) -> Response {
    match result {
        Ok(m) => {
            let notice = if m.status == "done" { "done" } else { "saved" };
            Redirect::to(&format!("/messages/{id}?notice={notice}")).into_response()
        }
        Err(AppError::Validation(errors)) => {
            let mut form = form;
            form.errors = errors;
            match show_page(state, session, id, form, "").await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

pub async fn status(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let result = state.app.change_message_status(&session.actor, &id, form.v("status")).await;
    after_change(&state, &session, &id, result, form).await
}

pub async fn reply(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let result = state.app.reply_to_message(&session.actor, &id, form.v("body"), form.v("status")).await;
    after_change(&state, &session, &id, result, form).await
}

pub async fn reassign(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let result = state.app.reassign_message(&session.actor, &id, form.v("to")).await;
    after_change(&state, &session, &id, result, form).await
}

// ---------------------------------------------------------------------------------------------
// Rules, deadlines and inbox members (the office manager)
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "messages_rules.html")]
struct RulesPage {
    layout: Layout,
    title: &'static str,
    tabs: MessageTabs,
    rules: Vec<TriageRuleView>,
    inboxes: Vec<InboxMembersView>,
    users: Options,
    form: FormState,
    settings_form: FormState,
    kinds: Options,
}

async fn rules_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    settings_form: Option<FormState>,
    notice: &str,
) -> Result<RulesPage, AppError> {
    let rules = state.app.triage_rules(&session.actor).await?;
    let settings = state.app.message_settings(&session.actor).await?;
    let inboxes = state.app.inbox_memberships(&session.actor).await?;
    let users = state
        .app
        .message_targets(&session.actor)
        .await?
        .into_iter()
        .filter_map(|t| t.value.strip_prefix("user:").map(|u| (u.to_string(), t.label.clone())))
        .collect();
    let settings_form = settings_form.unwrap_or_else(|| {
        let mut f = FormState::default();
        for (k, v) in [
            ("urgent_minutes", settings.urgent_minutes.to_string()),
            ("escalation_minutes", settings.escalation_minutes.to_string()),
            ("routine_business_days", settings.routine_business_days.to_string()),
            ("close_time", settings.close_time.clone()),
            ("workdays", settings.workdays.clone()),
            ("discharge_window_days", settings.discharge_window_days.to_string()),
        ] {
            f.values.insert(k.into(), v);
        }
        f
    });
    Ok(RulesPage {
        layout: Layout::new(session, "/messages").with_notice(notice_text(notice)),
        title: "Triage rules",
        tabs: MessageTabs::of(session, "rules"),
        rules,
        inboxes,
        users,
        form,
        settings_form,
        kinds: vec![
            ("words".into(), "Words or phrases in the message".into()),
            ("caller".into(), "Kind of caller".into()),
            ("discharged".into(), "Patient just discharged".into()),
        ],
    })
}

pub async fn rules_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("kind".into(), "words".into());
    form.values.insert("active".into(), "on".into());
    match rules_view(&state, &session, form, None, &q.notice).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn save_rule(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = TriageRuleInput {
        key: form.take("key"),
        name: form.take("name"),
        kind: form.take("kind"),
        terms: form.take("terms"),
        instruction: form.take("instruction"),
        active: form.v("active") == "on",
    };
    match state.app.save_triage_rule(&session.actor, &input).await {
        Ok(_) => Redirect::to("/messages/rules?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            match rules_view(&state, &session, form, None, "").await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

pub async fn save_settings(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = MessageSettingsInput {
        urgent_minutes: form.take("urgent_minutes"),
        escalation_minutes: form.take("escalation_minutes"),
        routine_business_days: form.take("routine_business_days"),
        close_time: form.take("close_time"),
        workdays: form.take("workdays"),
        discharge_window_days: form.take("discharge_window_days"),
    };
    match state.app.save_message_settings(&session.actor, &input).await {
        Ok(_) => Redirect::to("/messages/rules?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let mut blank = FormState::default();
            blank.values.insert("kind".into(), "words".into());
            match rules_view(&state, &session, blank, Some(form), "").await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

pub async fn members(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.set_inbox_member(&session.actor, form.v("inbox"), form.v("username"), form.v("change") != "remove").await {
        Ok(()) => Redirect::to("/messages/rules?notice=saved#inboxes").into_response(),
        Err(AppError::Validation(errors)) => {
            super::error_page_status(StatusCode::UNPROCESSABLE_ENTITY, "Cannot do that", &errors.summary())
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The telephone directory
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "messages_directory.html")]
struct DirectoryPage {
    layout: Layout,
    title: &'static str,
    tabs: MessageTabs,
    query: String,
    contacts: Vec<ContactView>,
    form: FormState,
    kinds: Options,
    may_edit: bool,
    editing: bool,
}

#[derive(Deserialize, Default)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    edit: String,
    #[serde(default)]
    notice: String,
}

async fn directory_view(state: &AppState, session: &PageSession, q: &DirectoryQuery, form: FormState) -> Result<DirectoryPage, AppError> {
    let contacts = state.app.directory(&session.actor, &q.q).await?;
    let mut kinds = vec![(String::new(), "Choose…".to_string())];
    kinds.extend(CONTACT_KINDS.iter().map(|(k, l)| (k.to_string(), l.to_string())));
    Ok(DirectoryPage {
        layout: Layout::new(session, "/messages").with_notice(notice_text(&q.notice)),
        title: "Telephone directory",
        tabs: MessageTabs::of(session, "directory"),
        query: q.q.trim().to_string(),
        contacts,
        editing: !form.v("id").is_empty(),
        form,
        kinds,
        may_edit: session.actor.role.may(Action::ManageDirectory),
    })
}

pub async fn directory(State(state): State<AppState>, session: PageSession, Query(q): Query<DirectoryQuery>) -> Response {
    let mut form = FormState::default();
    if !q.edit.trim().is_empty() {
        match state.app.directory_contact(&session.actor, q.edit.trim()).await {
            Ok(c) => {
                for (k, v) in [
                    ("id", c.id),
                    ("name", c.name),
                    ("kind", c.kind),
                    ("phone", c.phone.unwrap_or_default()),
                    ("fax", c.fax.unwrap_or_default()),
                    ("notes", c.notes.unwrap_or_default()),
                ] {
                    form.values.insert(k.into(), v);
                }
            }
            Err(e) => return error_page(e),
        }
    }
    match directory_view(&state, &session, &q, form).await {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

pub async fn save_contact(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = ContactInput {
        name: form.take("name"),
        kind: form.take("kind"),
        phone: form.take("phone"),
        fax: form.take("fax"),
        notes: form.take("notes"),
    };
    let id = form.take("id");
    match state.app.save_contact(&session.actor, Some(id.as_str()).filter(|i| !i.is_empty()), &input).await {
        Ok(_) => Redirect::to("/messages/directory?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            match directory_view(&state, &session, &DirectoryQuery::default(), form).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}
