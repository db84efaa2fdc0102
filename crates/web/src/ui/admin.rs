//! Administration: staff accounts and the audit trail.

use super::{CsrfForm, FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::{PageSession, urlencode};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::AppError;
use medoffice_app::views::UserView;
use medoffice_domain::audit::AuditRecord;
use medoffice_domain::patients::parse_date;
use medoffice_store::audit::AuditFilter;
use serde::Deserialize;

type Options = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    title: &'static str,
    users: Vec<UserView>,
    form: FormState,
    role_options: Options,
}

async fn admin_view(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    match state.app.list_users(&session.actor).await {
        Ok(users) => render(&AdminPage {
            layout: Layout::new(session, "/admin").with_notice(notice),
            title: "Administration",
            users,
            form,
            role_options: medoffice_domain::security::Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect(),
        }),
        Err(e) => error_page(e),
    }
}

pub async fn index(State(state): State<AppState>, session: PageSession) -> Response {
    admin_view(&state, &session, FormState::default(), None).await
}

pub async fn add_user(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.add_user(&session.actor, form.v("username"), form.v("display_name"), form.v("role"), form.v("password")).await {
        Ok(u) => admin_view(&state, &session, FormState::default(), Some(format!("Account {} added.", u.username))).await,
        Err(AppError::Validation(errors)) => {
            form.values.remove("password");
            form.errors = errors;
            admin_view(&state, &session, form, None).await
        }
        Err(AppError::Conflict(message)) => {
            form.values.remove("password");
            form.errors = medoffice_domain::ValidationErrors::single("username", message);
            admin_view(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn set_disabled(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, change)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    let disabled = match change.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return error_page(AppError::NotFound("action")),
    };
    match state.app.set_user_disabled(&session.actor, &id, disabled).await {
        Ok(()) => Redirect::to("/admin").into_response(),
        Err(AppError::Validation(e)) => admin_view(&state, &session, FormState::default(), Some(e.summary())).await,
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    title: &'static str,
    records: Vec<AuditRecord>,
    filter_username: String,
    filter_patient: String,
    filter_action: String,
    filter_from: String,
    filter_until: String,
    error: String,
    next_seq: Option<i64>,
    next_href: String,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    username: String,
    #[serde(default)]
    patient_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    before: Option<i64>,
}

/// Records shown per page of the audit trail.
const AUDIT_PAGE: i64 = 100;

pub async fn audit(State(state): State<AppState>, session: PageSession, Query(q): Query<AuditQuery>) -> Response {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let mut error = String::new();
    let mut date = |s: &str, label: &str| -> Option<String> {
        let s = some(s)?;
        match parse_date(&s) {
            Ok(d) => Some(d.to_string()),
            Err(m) => {
                error = format!("{label}: {m}");
                None
            }
        }
    };
    let from = date(&q.from, "From");
    let until = date(&q.until, "Until").and_then(|d| parse_date(&d).ok()).and_then(|d| d.succ_opt()).map(|d| d.to_string());
    let filter = AuditFilter {
        username: some(&q.username),
        patient_id: some(&q.patient_id),
        action_prefix: some(&q.action),
        from,
        until,
        before_seq: q.before,
    };
    match state.app.audit_trail(&session.actor, &filter, AUDIT_PAGE).await {
        Ok(records) => {
            let next_seq = (records.len() as i64 == AUDIT_PAGE).then(|| records.last().map(|r| r.seq)).flatten();
            let next_href = format!(
                "/admin/audit?username={}&patient_id={}&action={}&from={}&until={}",
                urlencode(&q.username),
                urlencode(&q.patient_id),
                urlencode(&q.action),
                urlencode(&q.from),
                urlencode(&q.until)
            );
            render(&AuditPage {
                layout: Layout::new(&session, "/admin/audit"),
                title: "Audit trail",
                records,
                filter_username: q.username,
                filter_patient: q.patient_id,
                filter_action: q.action,
                filter_from: q.from,
                filter_until: q.until,
                error,
                next_seq,
                next_href,
            })
        }
        Err(e) => error_page(e),
    }
}
