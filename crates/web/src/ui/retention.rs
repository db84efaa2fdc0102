//! Retention pages (issue 8), the office manager's only: `/admin/retention` (every category's
//! rule), `/admin/retention/{category}` (edit one under its version, errors next to the fields),
//! `/admin/retention/destroy` (the documents whose retention has ended, paged, with the explicit
//! destruction of those ticked and confirmed) and `/admin/retention/log` (what was destroyed).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::retention::{DestroyList, DestructionView, RetentionRuleInput, RetentionRuleView};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/retention", get(index))
        .route("/admin/retention/destroy", get(destroy_page).post(destroy))
        .route("/admin/retention/log", get(log))
        .route("/admin/retention/{category}", get(rule_page).post(rule_save))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: usize,
    notice: String,
}

#[derive(Template)]
#[template(path = "retention_rules.html")]
struct RulesPage {
    layout: Layout,
    title: &'static str,
    rules: Vec<RetentionRuleView>,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<PageQuery>) -> Response {
    let notice = (q.notice == "saved").then(|| "The rule is saved; the destroy list follows it from now on.".to_string());
    match state.app.retention_rules(&session.actor).await {
        Ok(rules) => render(&RulesPage { layout: Layout::new(&session, "/admin").with_notice(notice), title: "Retention rules", rules }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "retention_rule.html")]
struct RulePage {
    layout: Layout,
    title: String,
    rule: RetentionRuleView,
    form: FormState,
    basis_options: Vec<(String, String)>,
    conflict: Option<String>,
}

fn basis_options() -> Vec<(String, String)> {
    vec![
        ("last_visit".into(), "Years after the patient's last visit (minors: until an age plus years)".into()),
        ("document_date".into(), "Years after the document's date".into()),
        ("permanent".into(), "Kept permanently".into()),
    ]
}

async fn rule_page_with(
    state: &AppState,
    session: &PageSession,
    category: &str,
    form: Option<FormState>,
    conflict: Option<String>,
) -> Response {
    let rule = match state.app.retention_rule(&session.actor, category).await {
        Ok(r) => r,
        Err(e) => return error_page(e),
    };
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.values.insert("basis".into(), rule.basis.clone());
        f.values.insert("years".into(), rule.years.to_string());
        f.values.insert("majority_age".into(), rule.majority_age.to_string());
        f.values.insert("years_after_majority".into(), rule.years_after_majority.to_string());
        f.values.insert("version".into(), rule.version.to_string());
        f
    });
    render(&RulePage {
        layout: Layout::new(session, "/admin"),
        title: format!("Retention: {}", rule.label),
        rule,
        form,
        basis_options: basis_options(),
        conflict,
    })
}

pub async fn rule_page(State(state): State<AppState>, session: PageSession, Path(category): Path<String>) -> Response {
    rule_page_with(&state, &session, &category, None, None).await
}

pub async fn rule_save(
    State(state): State<AppState>,
    session: PageSession,
    Path(category): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let input = RetentionRuleInput {
        basis: form.take("basis"),
        years: form.take("years"),
        majority_age: form.take("majority_age"),
        years_after_majority: form.take("years_after_majority"),
        version: form.v("version").trim().parse().unwrap_or(-1),
    };
    match state.app.save_retention_rule(&session.actor, &category, &input).await {
        Ok(_) => Redirect::to("/admin/retention?notice=saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            rule_page_with(&state, &session, &category, Some(form), None).await
        }
        Err(AppError::Conflict(message)) => rule_page_with(&state, &session, &category, Some(form), Some(message)).await,
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "retention_destroy.html")]
struct DestroyPage {
    layout: Layout,
    title: &'static str,
    list: DestroyList,
    /// The ids ticked when the form comes back with an error.
    ticked: Vec<String>,
    form: FormState,
}

impl DestroyPage {
    fn is_ticked(&self, id: &str) -> bool {
        self.ticked.iter().any(|t| t == id)
    }
}

async fn destroy_page_with(state: &AppState, session: &PageSession, page: usize, ticked: Vec<String>, form: FormState) -> Response {
    match state.app.destroy_list(&session.actor, page).await {
        Ok(list) => {
            render(&DestroyPage { layout: Layout::new(session, "/admin"), title: "Documents due for destruction", list, ticked, form })
        }
        Err(e) => error_page(e),
    }
}

pub async fn destroy_page(State(state): State<AppState>, session: PageSession, Query(q): Query<PageQuery>) -> Response {
    destroy_page_with(&state, &session, q.page.max(1), Vec::new(), FormState::default()).await
}

/// Destroys the ticked documents once the office manager confirms (the `confirm` box).
pub async fn destroy(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let ids: Vec<String> = fields.iter().filter(|(k, _)| k == "document_ids").map(|(_, v)| v.clone()).collect();
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let page = form.v("page").trim().parse::<usize>().unwrap_or(1).max(1);
    if ids.is_empty() {
        form.errors.add("document_ids", "tick the documents to destroy");
    }
    if form.v("confirm") != "yes" {
        form.errors.add("confirm", "confirm that the ticked documents are to be destroyed for good");
    }
    if !form.errors.is_empty() {
        return destroy_page_with(&state, &session, page, ids, form).await;
    }
    match state.app.destroy_documents(&session.actor, &ids).await {
        Ok(outcome) => Redirect::to(&format!("/admin/retention/log?notice=destroyed-{}", outcome.destroyed.len())).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            destroy_page_with(&state, &session, page, ids, form).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "retention_log.html")]
struct LogPage {
    layout: Layout,
    title: &'static str,
    records: Vec<DestructionView>,
    page: usize,
    has_more: bool,
}

pub async fn log(State(state): State<AppState>, session: PageSession, Query(q): Query<PageQuery>) -> Response {
    let notice = q.notice.strip_prefix("destroyed-").map(|n| format!("Destroyed {n} document(s); each is recorded below."));
    let page = q.page.max(1);
    match state.app.destruction_log(&session.actor, page).await {
        Ok(records) => render(&LogPage {
            layout: Layout::new(&session, "/admin").with_notice(notice),
            title: "Destruction log",
            has_more: records.len() == medoffice_app::retention::RETENTION_PAGE_SIZE,
            records,
            page,
        }),
        Err(e) => error_page(e),
    }
}
