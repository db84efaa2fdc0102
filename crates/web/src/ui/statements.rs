//! Patient statements and late charges, under `/billing/statements`: the runs and statements with
//! the run form, the late-charge run and the late charges with their reversal, one statement as
//! sent (and its PDF), a run's printed batch, the statement terms; and `/patients/{id}/statements`,
//! an account's statements with its "don't send" flag and delivery (linked from the account).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::late_charges::{LateChargeRunInput, LateChargeView};
use medoffice_app::statements::{
    StatementPreferenceInput, StatementPreferenceView, StatementRunInput, StatementRunView, StatementSettingsView, StatementSummary,
    StatementView,
};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/statements", get(index))
        .route("/billing/statements/runs", post(run))
        .route("/billing/statements/runs/{id}/pdf", get(run_pdf))
        .route("/billing/statements/settings", get(settings).post(save_settings))
        .route("/billing/statements/{id}", get(statement_page))
        .route("/billing/statements/{id}/pdf", get(statement_pdf))
        .route("/billing/late-charges/runs", post(late_charge_run))
        .route("/billing/late-charges/{id}/reversal", post(reverse))
        .route("/patients/{id}/statements", get(account).post(save_account))
}

fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\""))], bytes)
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

#[derive(Template)]
#[template(path = "billing_statements.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    runs: Vec<StatementRunView>,
    statements: Vec<StatementSummary>,
    late_charges: Vec<LateChargeView>,
    form: FormState,
    late_form: FormState,
    can_run: bool,
    policy_text: String,
}

async fn list_view(
    state: &AppState,
    session: &PageSession,
    status: StatusCode,
    form: FormState,
    late_form: FormState,
    notice: Option<String>,
) -> Response {
    let actor = &session.actor;
    let loaded = async {
        Ok::<_, AppError>((
            state.app.statement_runs(actor).await?,
            state.app.statements(actor, None).await?,
            state.app.late_charges(actor).await?,
            state.app.statement_settings(actor).await?,
        ))
    };
    match loaded.await {
        Ok((runs, statements, late_charges, terms)) => {
            let page = ListPage {
                layout: Layout::new(session, NAV).with_notice(notice),
                title: "Patient statements",
                runs,
                statements,
                late_charges,
                form,
                late_form,
                can_run: actor.role.may(Action::ManageReceivables),
                policy_text: terms.late_charge_policy_text,
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

fn notice_text(key: &str) -> Option<String> {
    let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
    let text = match kind {
        "run" => {
            let parts: Vec<&str> = rest.split(',').collect();
            match parts.as_slice() {
                [n, e, p] => format!("Statements run: {n} new ({e} e-mailed, {p} to print)."),
                _ => "Statements run.".to_string(),
            }
        }
        "late" => {
            let parts: Vec<&str> = rest.split(',').collect();
            match parts.as_slice() {
                [n, cents] => format!("Late charges: {n} posted, {} in all.", Money::from_cents(cents.parse::<i64>().unwrap_or(0))),
                _ => "Late charges run.".to_string(),
            }
        }
        "reversed" => "The late charge is reversed; its entry is reversed in the journal.".to_string(),
        _ => return None,
    };
    Some(text)
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    list_view(&state, &session, StatusCode::OK, FormState::default(), FormState::default(), notice_text(&q.notice)).await
}

pub async fn run(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = StatementRunInput { date: form.take("date"), group: form.take("group") };
    match state.app.run_statements(&session.actor, &input).await {
        Ok(done) => {
            Redirect::to(&format!("/billing/statements?notice=run:{},{},{}", done.statements, done.emailed, done.printed)).into_response()
        }
        Err(AppError::Validation(errors)) => {
            list_view(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, FormState { errors, ..form }, FormState::default(), None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn late_charge_run(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.apply_late_charges_input(&session.actor, &LateChargeRunInput { date: form.take("date") }).await {
        Ok(done) => Redirect::to(&format!("/billing/statements?notice=late:{},{}", done.charged, done.total_cents)).into_response(),
        Err(AppError::Validation(errors)) => {
            list_view(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, FormState::default(), FormState { errors, ..form }, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn reverse(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.reverse_late_charge(&session.actor, &id, form.v("reason")).await {
        Ok(_) => Redirect::to("/billing/statements?notice=reversed").into_response(),
        Err(AppError::Validation(errors)) => {
            let message = errors.errors.first().map(|f| f.message.clone()).unwrap_or_default();
            list_view(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormState::default(),
                FormState::default(),
                Some(format!("The late charge was not reversed: {message}")),
            )
            .await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_statement.html")]
struct StatementPage {
    layout: Layout,
    title: String,
    s: StatementView,
    can_reverse: bool,
}

pub async fn statement_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.statement(&session.actor, &id).await {
        Ok(s) => render(&StatementPage {
            layout: Layout::new(&session, NAV),
            title: format!("Statement {}", s.number),
            can_reverse: session.actor.role.may(Action::ManageReceivables),
            s,
        }),
        Err(e) => error_page(e),
    }
}

pub async fn statement_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.statement_pdf(&session.actor, &id).await {
        Ok((name, bytes)) => pdf_response(&name, bytes),
        Err(e) => error_page(e),
    }
}

pub async fn run_pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.statement_run_pdf(&session.actor, &id).await {
        Ok((name, bytes)) => pdf_response(&name, bytes),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "billing_statement_settings.html")]
struct SettingsPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    view: StatementSettingsView,
    can_edit: bool,
}

impl SettingsPage {
    fn cycle_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![("monthly", "Monthly, on a day of the month"), ("letter_groups", "By family name: A-F, G-L, M-R, S-Z, one group a week")]
    }
}

fn form_of(view: &StatementSettingsView) -> FormState {
    let input = view.settings.as_input();
    let values = [
        ("cycle", input.cycle),
        ("cycle_day", input.cycle_day),
        ("net_days", input.net_days),
        ("minimum_balance", input.minimum_balance),
        ("message", input.message),
        ("late_rate_percent", input.late_rate_percent),
        ("late_flat_fee", input.late_flat_fee),
        ("late_grace_days", input.late_grace_days),
        ("late_minimum_balance", input.late_minimum_balance),
    ];
    FormState::new(values.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

async fn settings_view(
    state: &AppState,
    session: &PageSession,
    status: StatusCode,
    form: Option<FormState>,
    notice: Option<String>,
) -> Response {
    match state.app.statement_settings(&session.actor).await {
        Ok(view) => {
            let page = SettingsPage {
                layout: Layout::new(session, NAV).with_notice(notice),
                title: "Statement terms",
                form: form.unwrap_or_else(|| form_of(&view)),
                view,
                can_edit: session.actor.role.may(Action::ManageReceivables),
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn settings(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    let notice = (q.notice == "saved").then(|| "The statement terms are saved.".to_string());
    settings_view(&state, &session, StatusCode::OK, None, notice).await
}

pub async fn save_settings(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = medoffice_app::statements::StatementSettingsInput {
        cycle: form.take("cycle"),
        cycle_day: form.take("cycle_day"),
        net_days: form.take("net_days"),
        minimum_balance: form.take("minimum_balance"),
        message: form.take("message"),
        late_rate_percent: form.take("late_rate_percent"),
        late_flat_fee: form.take("late_flat_fee"),
        late_grace_days: form.take("late_grace_days"),
        late_minimum_balance: form.take("late_minimum_balance"),
    };
    match state.app.set_statement_settings(&session.actor, &input).await {
        Ok(_) => Redirect::to("/billing/statements/settings?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            settings_view(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, Some(FormState { errors, ..form }), None).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "patient_statements.html")]
struct AccountPage {
    layout: Layout,
    title: String,
    view: StatementPreferenceView,
    form: FormState,
    can_edit: bool,
}

impl AccountPage {
    fn delivery_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![("mail", "By mail"), ("email", "By e-mail")]
    }
}

async fn account_view(
    state: &AppState,
    session: &PageSession,
    id: &str,
    status: StatusCode,
    form: Option<FormState>,
    notice: Option<String>,
) -> Response {
    match state.app.statement_preference(&session.actor, id).await {
        Ok(view) => {
            let form = form.unwrap_or_else(|| {
                let mut values = std::collections::HashMap::new();
                values.insert("delivery".to_string(), view.delivery.clone());
                if view.hold {
                    values.insert("hold".to_string(), "on".to_string());
                }
                FormState::new(values)
            });
            let page = AccountPage {
                layout: Layout::new(session, "/patients").with_notice(notice),
                title: format!("Statements of {}", view.patient_name),
                form,
                can_edit: session.actor.role.may(Action::ManageReceivables),
                view,
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn account(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = (q.notice == "saved").then(|| "The account's statement preferences are saved.".to_string());
    account_view(&state, &session, &id, StatusCode::OK, None, notice).await
}

pub async fn save_account(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = StatementPreferenceInput { hold: !form.v("hold").is_empty(), delivery: form.take("delivery") };
    match state.app.set_statement_preference(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}/statements?notice=saved")).into_response(),
        Err(AppError::Validation(errors)) => {
            account_view(&state, &session, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(FormState { errors, ..form }), None).await
        }
        Err(e) => error_page(e),
    }
}
