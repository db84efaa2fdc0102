//! Recurring journal entries (`/books/recurring`): the templates with their next date, pause and
//! resume, "Post due entries now", and the new template form, whose lines are the manual entry
//! form's (`ledger_entry_lines.html`, with `/books/ledger.js` totalling them while typing).

use super::{CsrfForm, FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::ledger::{AccountView, ManualLineInput};
use medoffice_app::recurring::{RecurringRun, RecurringTemplateInput, RecurringTemplateView};
use medoffice_domain::ledger::recurring::Frequency;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use std::collections::HashMap;

/// Rows the form shows (more are added by the script).
const FORM_ROWS: usize = 4;
/// The most rows the form takes.
const MAX_FORM_ROWS: usize = 100;

/// A template's row on the list.
struct TemplateRow {
    id: String,
    memo: String,
    schedule: String,
    /// "from 2026-01-31, 12 entries", "from 2026-01-01 until 2026-12-31".
    span: String,
    lines: Vec<String>,
    amount: String,
    next_due: Option<String>,
    active: bool,
}

fn template_row(t: RecurringTemplateView) -> TemplateRow {
    let mut span = format!("from {}", t.start_date);
    if let Some(end) = &t.end_date {
        span.push_str(&format!(" until {end}"));
    }
    if let Some(n) = t.max_occurrences {
        span.push_str(&format!(", {n} entries ({} done)", t.next_index));
    }
    TemplateRow {
        lines: t
            .lines
            .iter()
            .map(|l| {
                let (side, cents) = if l.debit_cents > 0 { ("Dr", l.debit_cents) } else { ("Cr", l.credit_cents) };
                format!("{side} {} {} {}", l.account_number, l.account_name, Money::from_cents(cents))
            })
            .collect(),
        amount: Money::from_cents(t.total_cents).to_string(),
        id: t.id,
        memo: t.memo,
        schedule: t.schedule,
        span,
        next_due: t.next_due,
        active: t.active,
    }
}

/// A run's posted line on screen.
struct PostedRow {
    entry_id: String,
    entry_number: i64,
    date: String,
    memo: String,
    amount: String,
}

/// A run's result on screen.
struct RunView {
    as_of: String,
    posted: Vec<PostedRow>,
    skipped: Vec<medoffice_app::recurring::RecurringSkipped>,
}

#[derive(Template)]
#[template(path = "ledger_recurring.html")]
struct RecurringPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    templates: Vec<TemplateRow>,
    run: Option<RunView>,
    today: String,
    can_post: bool,
}

async fn list_page(state: &AppState, session: &PageSession, run: Option<RecurringRun>, notice: Option<String>) -> Response {
    let templates = match state.app.recurring_templates(&session.actor).await {
        Ok(t) => t,
        Err(e) => return error_page(e),
    };
    render(&RecurringPage {
        layout: Layout::new(session, "/books").with_notice(notice),
        title: "Recurring entries",
        tab: "recurring",
        templates: templates.into_iter().map(template_row).collect(),
        run: run.map(|r| RunView {
            as_of: r.as_of,
            posted: r
                .posted
                .into_iter()
                .map(|p| PostedRow {
                    entry_id: p.entry_id,
                    entry_number: p.entry_number,
                    date: p.date,
                    memo: p.memo,
                    amount: Money::from_cents(p.total_cents).to_string(),
                })
                .collect(),
            skipped: r.skipped,
        }),
        today: session.actor.today(state.app.now()).to_string(),
        can_post: session.actor.role.may(Action::PostJournal),
    })
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    done: String,
}

/// `GET /books/recurring`.
pub async fn index(
    State(state): State<AppState>,
    session: PageSession,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Response {
    let notice = match q.done.as_str() {
        "added" => Some("The recurring entry was saved. Entries already due are posted by the next run.".to_string()),
        "paused" => Some("The recurring entry is paused: runs leave it alone.".to_string()),
        "resumed" => Some("The recurring entry is active again; dates that fell due meanwhile are posted by the next run.".to_string()),
        _ => None,
    };
    list_page(&state, &session, None, notice).await
}

/// `POST /books/recurring/run`: posts what is due up to the date given (today when blank).
pub async fn run(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let as_of = NaiveDate::parse_from_str(form.v("as_of").trim(), "%Y-%m-%d").unwrap_or_else(|_| session.actor.today(state.app.now()));
    match state.app.post_due_recurring_entries(&session.actor, as_of).await {
        Ok(run) => list_page(&state, &session, Some(run), None).await,
        Err(e) => error_page(e),
    }
}

/// `POST /books/recurring/{id}/{pause|resume}`.
pub async fn set_active(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, change)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    let active = match change.as_str() {
        "pause" => false,
        "resume" => true,
        _ => return error_page(AppError::NotFound("page")),
    };
    match state.app.set_recurring_template_active(&session.actor, &id, active).await {
        Ok(()) => Redirect::to(if active { "/books/recurring?done=resumed" } else { "/books/recurring?done=paused" }).into_response(),
        Err(e) => error_page(e),
    }
}

/// One row of the lines, with its messages (the fields of `ledger_entry_lines.html`).
struct FormLine {
    index: usize,
    account: String,
    debit: String,
    credit: String,
    memo: String,
    account_error: Option<String>,
    amount_error: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger_recurring_new.html")]
struct NewPage {
    layout: Layout,
    title: &'static str,
    tab: &'static str,
    form: FormState,
    lines: Vec<FormLine>,
    accounts: Vec<AccountView>,
    frequency_options: Vec<(String, String)>,
}

async fn new_page(state: &AppState, session: &PageSession, form: FormState) -> Response {
    let accounts = match state.app.chart_of_accounts(&session.actor).await {
        Ok(a) => a.into_iter().filter(|a| a.active).collect(),
        Err(e) => return error_page(e),
    };
    let submitted =
        (0..MAX_FORM_ROWS).filter(|i| form.values.keys().any(|k| k.starts_with(&format!("lines[{i}].")))).max().map_or(0, |i| i + 1);
    let lines = (0..submitted.max(FORM_ROWS))
        .map(|i| {
            let f = |name: &str| form.v(&format!("lines[{i}].{name}")).to_string();
            let err = |name: &str| form.err(&format!("lines[{i}].{name}")).map(str::to_string);
            FormLine {
                index: i,
                account: f("account"),
                debit: f("debit"),
                credit: f("credit"),
                memo: f("memo"),
                account_error: err("account"),
                amount_error: err("debit").or_else(|| err("credit")),
            }
        })
        .collect();
    render(&NewPage {
        layout: Layout::new(session, "/books"),
        title: "New recurring entry",
        tab: "recurring",
        form,
        lines,
        accounts,
        frequency_options: Frequency::ALL.iter().map(|f| (f.as_str().to_string(), f.label().to_string())).collect(),
    })
}

/// `GET /books/recurring/new`.
pub async fn new_form(State(state): State<AppState>, session: PageSession) -> Response {
    let today = session.actor.today(state.app.now());
    let mut values = HashMap::new();
    values.insert("frequency".to_string(), "monthly".to_string());
    values.insert("day_of_month".to_string(), "1".to_string());
    values.insert("start_date".to_string(), today.to_string());
    new_page(&state, &session, FormState::new(values)).await
}

/// `POST /books/recurring`: saves a template.
pub async fn create(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let rows = (0..MAX_FORM_ROWS).filter(|i| form.values.contains_key(&format!("lines[{i}].account"))).max().map_or(0, |i| i + 1);
    let input = RecurringTemplateInput {
        memo: form.take("memo"),
        frequency: form.take("frequency"),
        day_of_month: form.take("day_of_month"),
        start_date: form.take("start_date"),
        end_date: form.take("end_date"),
        occurrences: form.take("occurrences"),
        lines: (0..rows)
            .map(|i| ManualLineInput {
                account: form.take(&format!("lines[{i}].account")),
                debit: form.take(&format!("lines[{i}].debit")),
                credit: form.take(&format!("lines[{i}].credit")),
                memo: form.take(&format!("lines[{i}].memo")),
            })
            .collect(),
    };
    match state.app.add_recurring_template(&session.actor, &input).await {
        Ok(_) => Redirect::to("/books/recurring?done=added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            new_page(&state, &session, form).await
        }
        Err(e) => error_page(e),
    }
}
