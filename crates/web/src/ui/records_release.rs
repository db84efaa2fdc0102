//! Release of records pages (issue 8): `/mail/records/{id}/release` (pick the patient's documents
//! for a records request, the address and how it is sent; one PDF with the cover letter goes out
//! and the request is fulfilled), `/records-releases/{id}/pdf` (the PDF as sent) and
//! `/patients/{id}/releases` (the patient's releases).

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use medoffice_app::AppError;
use medoffice_app::mail_room::SEND_METHODS;
use medoffice_app::records_release::{ReleaseForm, ReleaseInput, ReleaseView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mail/records/{id}/release", get(release_page).post(release))
        .route("/records-releases/{id}/pdf", get(pdf))
        .route("/patients/{id}/releases", get(patient_releases))
}

#[derive(Template)]
#[template(path = "records_release.html")]
struct ReleasePage {
    layout: Layout,
    title: String,
    data: ReleaseForm,
    form: FormState,
    ticked: Vec<String>,
    method_options: Vec<(String, String)>,
}

impl ReleasePage {
    fn is_ticked(&self, id: &str) -> bool {
        self.ticked.iter().any(|t| t == id)
    }
}

async fn release_page_with(state: &AppState, session: &PageSession, id: &str, form: FormState, ticked: Vec<String>) -> Response {
    let data = match state.app.release_form(&session.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let mut method_options = vec![(String::new(), "Choose how".to_string())];
    method_options.extend(SEND_METHODS.iter().map(|(c, l)| (c.to_string(), l.to_string())));
    render(&ReleasePage {
        layout: Layout::new(session, "/mail"),
        title: format!("Release records to {}", data.request.requester_name),
        data,
        form,
        ticked,
        method_options,
    })
}

pub async fn release_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    let mut form = FormState::default();
    form.values.insert("date".into(), session.actor.today(state.app.now()).to_string());
    form.values.insert("method".into(), "usps_first_class".into());
    release_page_with(&state, &session, &id, form, Vec::new()).await
}

pub async fn release(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let ticked: Vec<String> = fields.iter().filter(|(k, _)| k == "document_ids").map(|(_, v)| v.clone()).collect();
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let input = ReleaseInput {
        document_ids: ticked.clone(),
        recipient_address: form.take("recipient_address"),
        date: form.take("date"),
        method: form.take("method"),
        tracking_number: form.take("tracking_number"),
    };
    match state.app.release_records(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/mail/records/{id}?notice=fulfilled")).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            release_page_with(&state, &session, &id, form, ticked).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn pdf(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    match state.app.records_release_pdf(&session.actor, &id).await {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "records_releases.html")]
struct ReleasesPage {
    layout: Layout,
    title: String,
    patient_id: String,
    releases: Vec<ReleaseView>,
}

pub async fn patient_releases(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    let patient = match state.app.disclosures(&session.actor, &id).await {
        Ok(report) => report.patient_name,
        Err(e) => return error_page(e),
    };
    match state.app.patient_releases(&session.actor, &id).await {
        Ok(releases) => render(&ReleasesPage {
            layout: Layout::new(&session, "/mail"),
            title: format!("Releases of records: {patient}"),
            patient_id: id,
            releases,
        }),
        Err(e) => error_page(e),
    }
}
