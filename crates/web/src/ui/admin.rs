//! Administration: staff accounts and the audit trail.

use super::{CsrfForm, FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::{PageSession, urlencode};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::AppError;
use medoffice_app::audit::{AuditReport, AuditReportQuery};
use medoffice_app::views::UserView;
use medoffice_domain::ValidationErrors;
use medoffice_domain::patients::parse_date;
use medoffice_store::audit::{AuditFilter, AuditSort, AuditSortKey};
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
    /// Each role: name, label, whether the practice requires MFA of it.
    mfa_roles: Vec<(String, String, bool)>,
    reset_form: FormState,
    user_options: Options,
    admin_enrolled: bool,
}

async fn admin_view(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    admin_view_with(state, session, form, FormState::default(), notice).await
}

async fn admin_view_with(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    reset_form: FormState,
    notice: Option<String>,
) -> Response {
    let loaded = async {
        let users = state.app.list_users(&session.actor).await?;
        let policy = state.app.mfa_policy(&session.actor).await?;
        let status = state.app.mfa_status(&session.actor).await?;
        Ok::<_, AppError>((users, policy, status))
    };
    match loaded.await {
        Ok((users, policy, status)) => render(&AdminPage {
            layout: Layout::new(session, "/admin").with_notice(notice),
            title: "Administration",
            user_options: users
                .iter()
                .filter(|u| u.id != session.actor.user_id)
                .map(|u| (u.id.clone(), format!("{} ({})", u.username, u.display_name)))
                .collect(),
            users,
            form,
            role_options: medoffice_domain::security::Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect(),
            mfa_roles: medoffice_domain::security::Role::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), r.label().to_string(), policy.contains(r)))
                .collect(),
            reset_form,
            admin_enrolled: status.enrolled,
        }),
        Err(e) => error_page(e),
    }
}

/// Saves the roles that must use MFA (checkboxes named `role`).
pub async fn mfa_policy(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    if let Err(r) = session.check_csrf(fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("")) {
        return r;
    }
    let mut roles = Vec::new();
    for (_, value) in fields.iter().filter(|(k, _)| k == "role") {
        match value.parse::<medoffice_domain::security::Role>() {
            Ok(role) => roles.push(role),
            Err(m) => return admin_view(&state, &session, FormState::default(), Some(m)).await,
        }
    }
    match state.app.set_mfa_policy(&session.actor, &roles).await {
        Ok(()) => admin_view(&state, &session, FormState::default(), Some("The two-step sign-in policy is saved.".into())).await,
        Err(e) => error_page(e),
    }
}

/// Resets another user's password (the office manager re-authenticates).
pub async fn password_reset(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let reset_mfa = !form.v("reset_mfa").is_empty();
    let result = state
        .app
        .reset_user_password(
            &session.actor,
            form.v("user_id"),
            form.v("current_password"),
            form.v("current_code"),
            form.v("new_password"),
            reset_mfa,
        )
        .await;
    for secret in ["current_password", "current_code", "new_password"] {
        form.values.remove(secret);
    }
    match result {
        Ok(()) => {
            let notice = if reset_mfa {
                "The password is reset, the user's sessions ended, and they must set up two-step sign-in again at their next sign-in."
            } else {
                "The password is reset and the user's sessions ended."
            };
            admin_view(&state, &session, FormState::default(), Some(notice.into())).await
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            admin_view_with(&state, &session, FormState::default(), form, None).await
        }
        Err(e @ AppError::TooManyAttempts { .. }) => admin_view(&state, &session, FormState::default(), Some(e.to_string())).await,
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "admin_sessions.html")]
struct SessionsPage {
    layout: Layout,
    title: &'static str,
    sessions: Vec<medoffice_app::mfa::SessionView>,
    idle_minutes: i64,
    absolute_hours: i64,
}

/// The practice's open sessions.
pub async fn sessions(State(state): State<AppState>, session: PageSession) -> Response {
    sessions_view(&state, &session, None).await
}

async fn sessions_view(state: &AppState, session: &PageSession, notice: Option<String>) -> Response {
    match state.app.list_sessions(&session.actor).await {
        Ok(sessions) => render(&SessionsPage {
            layout: Layout::new(session, "/admin").with_notice(notice),
            title: "Open sessions",
            sessions,
            idle_minutes: state.app.config.idle_timeout.num_minutes(),
            absolute_hours: state.app.config.absolute_timeout.num_hours(),
        }),
        Err(e) => error_page(e),
    }
}

/// Ends one session.
pub async fn end_session(
    State(state): State<AppState>,
    session: PageSession,
    Path(handle): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.end_session_as_admin(&session.actor, &handle).await {
        Ok(()) => sessions_view(&state, &session, Some("The session is ended.".into())).await,
        Err(e) => error_page(e),
    }
}

/// Ends every session of one user.
pub async fn end_user_sessions(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.end_user_sessions(&session.actor, &id).await {
        Ok(n) => sessions_view(&state, &session, Some(format!("{n} session(s) ended."))).await,
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
    report: AuditReport,
    q: AuditQuery,
    /// The query string of the current filter and sort (without the page), for links.
    query_string: String,
    /// The query string of the current filter (without sort and page), for sort links.
    filter_string: String,
    sort_key: &'static str,
    descending: bool,
    sort_options: Options,
    record_type_options: Options,
    errors: ValidationErrors,
}

impl AuditPage {
    /// The link that sorts by `key`: ascending first, or the other way round when already sorted by it.
    fn sort_href(&self, key: &str) -> String {
        let dir = if key == self.sort_key && !self.descending { "desc" } else { "asc" };
        format!("/admin/audit?{}&sort={key}&dir={dir}", self.filter_string)
    }

    /// The arrow after the column sorted by.
    fn sort_mark(&self, key: &str) -> &'static str {
        match (key == self.sort_key, self.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        }
    }
}

/// The audit report's filter, sort and page, as the form and links send them.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    username: String,
    patient_id: String,
    action: String,
    record_type: String,
    from: String,
    until: String,
    sort: String,
    dir: String,
    page: Option<i64>,
}

impl AuditQuery {
    /// The filter, the sort and the errors of the period's dates. The sort is looked up in a
    /// fixed list; anything else sorts newest first.
    fn parse(&self) -> (AuditFilter, AuditSort, ValidationErrors) {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let mut errors = ValidationErrors::new();
        let mut date = |s: &str, field: &str| -> Option<chrono::NaiveDate> {
            let s = some(s)?;
            match parse_date(&s) {
                Ok(d) => Some(d),
                Err(m) => {
                    errors.add(field, m);
                    None
                }
            }
        };
        let from = date(&self.from, "from").map(|d| d.to_string());
        // Until a date means up to the end of that day.
        let until = date(&self.until, "until").and_then(|d| d.succ_opt()).map(|d| d.to_string());
        let filter = AuditFilter {
            username: some(&self.username),
            patient_id: some(&self.patient_id),
            action_prefix: some(&self.action),
            record_type: some(&self.record_type),
            from,
            until,
            before_seq: None,
        };
        let sort = match AuditSortKey::parse(self.sort.trim()) {
            Some(key) => AuditSort { key, descending: self.dir == "desc" || (self.dir.is_empty() && key == AuditSortKey::Time) },
            None => AuditSort::default(),
        };
        (filter, sort, errors)
    }

    fn filter_string(&self) -> String {
        format!(
            "username={}&patient_id={}&action={}&record_type={}&from={}&until={}",
            urlencode(&self.username),
            urlencode(&self.patient_id),
            urlencode(&self.action),
            urlencode(&self.record_type),
            urlencode(&self.from),
            urlencode(&self.until)
        )
    }
}

/// The audit report: a period, filters, a sort and pages; reading it is audited.
pub async fn audit(State(state): State<AppState>, session: PageSession, Query(q): Query<AuditQuery>) -> Response {
    let (filter, sort, mut errors) = q.parse();
    let report = if errors.is_empty() {
        let query = AuditReportQuery { filter, sort, page: q.page.unwrap_or(1) };
        match state.app.audit_report(&session.actor, &query).await {
            Ok(report) => report,
            Err(AppError::Validation(e)) => {
                errors = e;
                empty_report()
            }
            Err(e) => return error_page(e),
        }
    } else {
        // The page is still only for those who may read the trail (a refusal is audited).
        match state.app.audit_trail(&session.actor, &AuditFilter::default(), 1).await {
            Ok(_) => empty_report(),
            Err(e) => return error_page(e),
        }
    };
    let filter_string = q.filter_string();
    let dir = if sort.descending { "desc" } else { "asc" };
    let query_string = format!("{filter_string}&sort={}&dir={dir}", sort.key.as_str());
    let sort_options = AuditSortKey::ALL.iter().map(|k| (k.as_str().to_string(), sort_label(*k).to_string())).collect();
    let mut record_type_options: Options = vec![(String::new(), "Any".to_string())];
    record_type_options.extend(report.record_types.iter().map(|t| (t.clone(), t.clone())));
    render(&AuditPage {
        layout: Layout::new(&session, "/admin/audit"),
        title: "Audit report",
        report,
        q,
        query_string,
        filter_string,
        sort_key: sort.key.as_str(),
        descending: sort.descending,
        sort_options,
        record_type_options,
        errors,
    })
}

/// The audit report with the same filter and sort as a CSV file; exporting is audited.
pub async fn audit_csv(State(state): State<AppState>, session: PageSession, Query(q): Query<AuditQuery>) -> Response {
    let (filter, sort, errors) = q.parse();
    if !errors.is_empty() {
        return error_page(AppError::Validation(errors));
    }
    match state.app.audit_report_csv(&session.actor, &filter, sort).await {
        Ok(file) => {
            let name = format!("attachment; filename=\"audit-{}.csv\"", state.app.now().format("%Y%m%d-%H%M%S"));
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], file.csv).into_response()
        }
        Err(e) => error_page(e),
    }
}

fn empty_report() -> AuditReport {
    AuditReport { rows: Vec::new(), total: 0, page: 1, pages: 1, record_types: Vec::new() }
}

fn sort_label(key: AuditSortKey) -> &'static str {
    match key {
        AuditSortKey::Time => "Time",
        AuditSortKey::User => "User",
        AuditSortKey::Patient => "Patient",
        AuditSortKey::Action => "Action",
    }
}
