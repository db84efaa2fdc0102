//! The scheduled daily backup's settings (`/admin/backups`, the office manager's): the folder on
//! the server, the hour, how many backups to keep, and how the last run went. The backups
//! themselves are written by `medoffice serve` (see `medoffice_app::backup`).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;
use medoffice_app::AppError;
use medoffice_app::backup::BackupScheduleInput;

#[derive(Template)]
#[template(path = "admin_backups.html")]
struct BackupsPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    enabled: bool,
    last_run_at: String,
    last_result: String,
    last_file: String,
}

async fn page(
    state: &AppState,
    session: &PageSession,
    form: Option<FormState>,
    notice: Option<String>,
) -> medoffice_app::Result<BackupsPage> {
    let saved = state.app.backup_schedule(&session.actor).await?;
    let enabled = match &form {
        Some(f) => !f.v("enabled").is_empty(),
        None => saved.as_ref().is_some_and(|s| s.enabled == 1),
    };
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        let (folder, hour, keep) = match &saved {
            Some(s) => (s.folder.clone(), s.hour.to_string(), s.keep_count.to_string()),
            None => (String::new(), "2".to_string(), "14".to_string()),
        };
        f.values.insert("folder".into(), folder);
        f.values.insert("hour".into(), hour);
        f.values.insert("keep_count".into(), keep);
        f
    });
    let last = |pick: fn(&medoffice_store::backup::ScheduleRow) -> Option<String>| saved.as_ref().and_then(pick).unwrap_or_default();
    Ok(BackupsPage {
        layout: Layout::new(session, "/admin").with_notice(notice),
        title: "Backups",
        form,
        enabled,
        last_run_at: last(|s| s.last_run_at.clone()),
        last_result: last(|s| s.last_result.clone()),
        last_file: last(|s| s.last_file.clone()),
    })
}

pub async fn index(State(state): State<AppState>, session: PageSession) -> Response {
    match page(&state, &session, None, None).await {
        Ok(p) => render(&p),
        Err(e) => error_page(e),
    }
}

pub async fn save(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = BackupScheduleInput {
        enabled: !form.v("enabled").is_empty(),
        folder: form.take("folder"),
        hour: form.take("hour"),
        keep_count: form.take("keep_count"),
    };
    let (form, notice) = match state.app.save_backup_schedule(&session.actor, &input).await {
        Ok(saved) if saved.enabled == 1 => (
            None,
            Some(format!("Saved: a backup is written every day after {}:00 and the {} newest are kept.", saved.hour, saved.keep_count)),
        ),
        Ok(_) => (None, Some("Saved: the scheduled backup is off.".to_string())),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            (Some(form), None)
        }
        Err(e) => return error_page(e),
    };
    match page(&state, &session, form, notice).await {
        Ok(p) => render(&p),
        Err(e) => error_page(e),
    }
}
