//! Receivables reports under `/billing`: the aging reports (`/billing/aging?by=patient|guarantor|
//! payer|provider&as_of=`) with the tie to the AR control accounts and a CSV download
//! (`/billing/aging.csv`), the AR metrics (`/billing/ar-metrics`), and a patient's family account
//! with the guarantor form (`/patients/{id}/family`).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::aging_reports::{AgingBy, AgingInput, AgingReport, AgingRow, ArMetrics, ArMetricsInput};
use medoffice_app::families::{GuarantorInput, PatientFamily};
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

const NAV: &str = "/billing";
/// Rows on one page of an aging report (the total and the CSV always cover every row).
pub const PAGE_ROWS: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/aging", get(aging))
        .route("/billing/aging.csv", get(aging_csv))
        .route("/billing/ar-metrics", get(metrics))
        .route("/patients/{id}/family", get(family).post(set_guarantor))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AgingQuery {
    by: String,
    as_of: String,
    page: usize,
}

#[derive(Template)]
#[template(path = "billing_aging.html")]
struct AgingPage {
    layout: Layout,
    title: String,
    /// `(value, label, current)` of the four groupings.
    tabs: Vec<(&'static str, &'static str, bool)>,
    by: String,
    form: FormState,
    report: Option<AgingReport>,
    rows: Vec<AgingRow>,
    page: usize,
    pages: usize,
}

impl AgingPage {
    fn headings(&self) -> Vec<&'static str> {
        vec!["Current", "31-60", "61-90", "91-120", "120+"]
    }
}

fn tabs(by: AgingBy) -> Vec<(&'static str, &'static str, bool)> {
    AgingBy::ALL.iter().map(|b| (b.as_str(), b.label(), *b == by)).collect()
}

pub async fn aging(State(state): State<AppState>, session: PageSession, Query(q): Query<AgingQuery>) -> Response {
    let input = AgingInput { by: q.by.clone(), as_of: q.as_of.clone() };
    let by = AgingBy::parse(&q.by).unwrap_or(AgingBy::Patient);
    let mut values = HashMap::new();
    values.insert("as_of".to_string(), q.as_of.clone());
    let layout = Layout::new(&session, NAV);
    match state.app.aging_report(&session.actor, &input).await {
        Ok(report) => {
            let pages = report.rows.len().div_ceil(PAGE_ROWS).max(1);
            let page = q.page.clamp(1, pages);
            let rows = report.rows.iter().skip((page - 1) * PAGE_ROWS).take(PAGE_ROWS).cloned().collect();
            values.insert("as_of".to_string(), report.as_of.clone());
            render(&AgingPage {
                layout,
                title: format!("AR aging by {}", by.as_str()),
                tabs: tabs(by),
                by: by.as_str().to_string(),
                form: FormState::new(values),
                report: Some(report),
                rows,
                page,
                pages,
            })
        }
        Err(AppError::Validation(errors)) => {
            let page = AgingPage {
                layout,
                title: format!("AR aging by {}", by.as_str()),
                tabs: tabs(by),
                by: by.as_str().to_string(),
                form: FormState { values, errors },
                report: None,
                rows: Vec::new(),
                page: 1,
                pages: 1,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

/// The whole report as a CSV file.
pub async fn aging_csv(State(state): State<AppState>, session: PageSession, Query(q): Query<AgingQuery>) -> Response {
    match state.app.aging_report(&session.actor, &AgingInput { by: q.by, as_of: q.as_of }).await {
        Ok(report) => {
            let name = format!("attachment; filename=\"ar-aging-by-{}-{}.csv\"", report.by.as_str(), report.as_of);
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], report.to_csv())
                .into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MetricsQuery {
    as_of: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "billing_ar_metrics.html")]
struct MetricsPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    metrics: Option<ArMetrics>,
}

pub async fn metrics(State(state): State<AppState>, session: PageSession, Query(q): Query<MetricsQuery>) -> Response {
    let input = ArMetricsInput { as_of: q.as_of.clone(), from: q.from.clone(), to: q.to.clone() };
    let mut values: HashMap<String, String> =
        [("as_of", q.as_of), ("from", q.from), ("to", q.to)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let layout = Layout::new(&session, NAV);
    match state.app.ar_metrics(&session.actor, &input).await {
        Ok(m) => {
            values.insert("as_of".into(), m.as_of.clone());
            values.insert("from".into(), m.period_from.clone());
            values.insert("to".into(), m.period_to.clone());
            render(&MetricsPage { layout, title: "AR metrics", form: FormState::new(values), metrics: Some(m) })
        }
        Err(AppError::Validation(errors)) => {
            let page = MetricsPage { layout, title: "AR metrics", form: FormState { values, errors }, metrics: None };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "patient_family.html")]
struct FamilyPage {
    layout: Layout,
    title: String,
    family: PatientFamily,
    form: FormState,
    can_edit: bool,
}

async fn show_family(
    state: &AppState,
    session: &PageSession,
    id: &str,
    status: StatusCode,
    form: FormState,
    notice: Option<String>,
) -> Response {
    match state.app.patient_family(&session.actor, id).await {
        Ok(family) => {
            let page = FamilyPage {
                layout: Layout::new(session, "/patients").with_notice(notice),
                title: format!("Family account of {}", family.patient_name),
                family,
                form,
                can_edit: session.actor.role.may(Action::EditPatient),
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn family(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "set" => Some("Guarantor saved.".to_string()),
        "cleared" => Some("Guarantor cleared: the patient is responsible for their own account.".to_string()),
        _ => None,
    };
    show_family(&state, &session, &id, StatusCode::OK, FormState::default(), notice).await
}

/// Sets (or, empty, clears) the patient's guarantor; the family page follows, or the form again
/// with the message by the field.
pub async fn set_guarantor(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.app.set_guarantor(&session.actor, &id, &GuarantorInput { guarantor: form.take("guarantor") }).await {
        Ok(Some(_)) => Redirect::to(&format!("/patients/{id}/family?notice=set")).into_response(),
        Ok(None) => Redirect::to(&format!("/patients/{id}/family?notice=cleared")).into_response(),
        Err(AppError::Validation(errors)) => {
            show_family(&state, &session, &id, StatusCode::UNPROCESSABLE_ENTITY, FormState { errors, ..form }, None).await
        }
        Err(e) => error_page(e),
    }
}
