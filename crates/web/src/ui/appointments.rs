//! One appointment's page (`/schedule/appointments/{id}`): the patient, the visit, what can happen
//! next (confirm, check in with the co-pay, room, check out with the follow-up, cancel, no-show,
//! reschedule), the history and the payments; the printable receipt; and the recurring-series
//! form (`/schedule/series`). Every form works without JavaScript; errors stand next to their field.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::AppError;
use medoffice_app::front_desk::{AppointmentDetail, CheckInInput, CheckOutInput, Receipt};
use medoffice_app::rescheduling::{OccurrenceView, RecurringInput, RescheduleInput, SeriesBooked};
use medoffice_app::scheduling::StatusEventInput;
use medoffice_app::views::{ProviderView, SlotView};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

/// Which form on the page the errors belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    #[default]
    None,
    CheckIn,
    CheckOut,
    Cancel,
    Reschedule,
}

#[derive(Template)]
#[template(path = "appointment.html")]
pub struct AppointmentPage {
    pub layout: Layout,
    pub title: String,
    pub d: AppointmentDetail,
    pub form: FormState,
    pub panel: Panel,
    /// A refusal that is not about one field (a taken time, a step no longer allowed).
    pub problem: Option<String>,
    pub can_book: bool,
    pub can_take_payments: bool,
    /// The visit can be coded on its superbill (by a role that codes, once the patient arrived).
    pub can_code: bool,
    pub providers: Vec<ProviderView>,
    pub follow_up_slots: Vec<SlotView>,
    pub time_label: String,
    pub expected_copay: String,
    pub has_active_coverage: bool,
    /// An empty form, for fields shown fresh.
    pub blank: FormState,
    /// The coverages' last eligibility answers (shown at check-in).
    pub eligibility: Vec<medoffice_app::eligibility::CoverageEligibility>,
    pub can_check_eligibility: bool,
}

/// The ways a co-pay is paid at the desk: (value, label).
pub const PAYMENT_METHODS: [(&str, &str); 5] =
    [("", "Choose…"), ("card", "Card"), ("cash", "Cash"), ("check", "Check"), ("other", "Other")];

impl AppointmentPage {
    /// The appointment's date, `YYYY-MM-DD`.
    fn day(&self) -> &str {
        self.d.appointment.start.get(..10).unwrap_or("")
    }

    /// The expected co-pay as a form value, `25.00`.
    fn copay_value(&self) -> String {
        let c = self.d.expected_copay_cents;
        format!("{}.{:02}", c / 100, c % 100)
    }

    /// Whether the check-in form sent `value` for `field` (to keep a choice after an error).
    fn chosen(&self, field: &str, value: &str) -> bool {
        self.panel == Panel::CheckIn && self.form.v(field) == value
    }

    fn allows(&self, event: &str) -> bool {
        self.d.allowed_events.iter().any(|e| e == event)
    }

    fn status_label(&self) -> String {
        status_label(&self.d.appointment.status)
    }

    /// Whether to offer the visit's superbill: a role that codes, and the patient has arrived.
    fn offers_superbill(&self) -> bool {
        self.can_code && matches!(self.d.appointment.status.as_str(), "arrived" | "in_room" | "checked_out" | "completed")
    }

    /// `Mon Jun 29 08:20` from an RFC 3339 start.
    fn slot_label(&self, s: &SlotView) -> String {
        chrono::DateTime::parse_from_rfc3339(&s.start).map(|t| t.format("%a %b %-d, %H:%M").to_string()).unwrap_or_else(|_| s.start.clone())
    }

    /// The local `YYYY-MM-DDTHH:MM` of an RFC 3339 time (a form's value).
    fn local_value(&self, rfc3339: &str) -> String {
        rfc3339.get(..16).unwrap_or(rfc3339).to_string()
    }
}

pub fn status_label(status: &str) -> String {
    match status {
        "scheduled" => "Scheduled",
        "confirmed" => "Confirmed",
        "arrived" => "Checked in",
        "in_room" => "In a room",
        "checked_out" => "Checked out",
        "completed" => "Completed",
        "cancelled" => "Cancelled",
        "no_show" => "No-show",
        "rescheduled" => "Rescheduled",
        other => other,
    }
    .to_string()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    pub notice: String,
}

pub async fn page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Query(q): Query<PageQuery>) -> Response {
    let notice = match q.notice.as_str() {
        "checked_in" => Some("Checked in."),
        "checked_out" => Some("Checked out."),
        "rescheduled" => Some("Moved. This is the new appointment; the old one is kept in its history."),
        "updated" => Some("Saved."),
        "booked" => Some("Booked."),
        _ => None,
    };
    match build(&state, &session, &id, FormState::default(), Panel::None, None).await {
        Ok(mut p) => {
            p.layout = p.layout.with_notice(notice.map(str::to_string));
            render(&p)
        }
        Err(e) => error_page(e),
    }
}

async fn build(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: FormState,
    panel: Panel,
    problem: Option<String>,
) -> medoffice_app::Result<AppointmentPage> {
    let actor = &session.actor;
    let d = state.app.appointment_detail(actor, id).await?;
    let providers = state.app.list_providers(actor).await?;
    let can_book = actor.role.may(Action::BookAppointments);
    let follow_up_slots = if can_book && d.allowed_events.iter().any(|e| e == "check_out") {
        state.app.follow_up_suggestions(actor, id, 2, "").await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let time_label =
        match (chrono::DateTime::parse_from_rfc3339(&d.appointment.start), chrono::DateTime::parse_from_rfc3339(&d.appointment.end)) {
            (Ok(s), Ok(e)) => format!("{} – {}", s.format("%A %B %-d, %Y, %H:%M"), e.format("%H:%M")),
            _ => d.appointment.start.clone(),
        };
    let has_active_coverage = d.coverages.iter().any(|c| c.active);
    let mut eligibility = state.app.coverage_eligibility(actor, &d.patient.id).await?;
    eligibility.retain(|c| c.in_force);
    Ok(AppointmentPage {
        layout: Layout::new(session, "/schedule"),
        title: format!("{} · {}", d.patient.display_name(), d.appointment.appointment_type_name),
        expected_copay: Money::from_cents(d.expected_copay_cents).to_string(),
        d,
        form,
        panel,
        problem,
        can_book,
        can_take_payments: actor.role.may(Action::TakePayments),
        can_code: actor.role.may(Action::CodeEncounters),
        providers,
        follow_up_slots,
        time_label,
        has_active_coverage,
        blank: FormState::default(),
        eligibility,
        can_check_eligibility: actor.role.may(Action::CheckEligibility),
    })
}

/// Re-shows the page with the form's errors (or the refusal) next to the form that was sent.
async fn again(state: &AppState, session: &PageSession, id: &str, form: FormState, panel: Panel, e: AppError) -> Response {
    let (status, form, problem) = match e {
        AppError::Validation(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState { errors, ..form }, None),
        AppError::Conflict(message) => (StatusCode::CONFLICT, form, Some(message)),
        other => return error_page(other),
    };
    match build(state, session, id, form, panel, problem).await {
        Ok(p) => (status, render(&p)).into_response(),
        Err(e) => error_page(e),
    }
}

fn checked(form: &FormState, name: &str) -> bool {
    matches!(form.v(name), "on" | "true" | "1" | "yes")
}

/// Confirm, room, complete, no-show, cancel: the simple steps.
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
    let input = StatusEventInput { event: form.take("event"), reason: form.take("reason"), by: form.take("by") };
    let panel = if input.event == "cancel" { Panel::Cancel } else { Panel::None };
    match state.app.change_appointment_status(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/schedule/appointments/{id}?notice=updated")).into_response(),
        Err(e) => again(&state, &session, &id, form, panel, e).await,
    }
}

/// The "in room" step, with the room chosen.
pub async fn room(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.room_patient(&session.actor, &id, form.v("room_id")).await {
        Ok(_) => Redirect::to(&format!("/schedule/appointments/{id}?notice=updated")).into_response(),
        Err(AppError::Validation(errors)) => {
            let message = errors.errors.first().map(|f| f.message.clone()).unwrap_or_default();
            again(&state, &session, &id, form, Panel::None, AppError::Conflict(message)).await
        }
        Err(e) => again(&state, &session, &id, form, Panel::None, e).await,
    }
}

pub async fn check_in(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = CheckInInput {
        demographics_confirmed: checked(&form, "demographics_confirmed"),
        insurance_confirmed: checked(&form, "insurance_confirmed"),
        copay_amount: form.take("copay_amount"),
        payment_method: form.take("payment_method"),
        payment_reference: form.take("payment_reference"),
    };
    match state.app.check_in(&session.actor, &id, &input).await {
        Ok(done) => match done.payment {
            Some(p) => Redirect::to(&format!("/schedule/payments/{}/receipt?from={id}", p.id)).into_response(),
            None => Redirect::to(&format!("/schedule/appointments/{id}?notice=checked_in")).into_response(),
        },
        Err(e) => again(&state, &session, &id, form, Panel::CheckIn, e).await,
    }
}

pub async fn check_out(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    // A suggested slot's radio button, or a typed date and time.
    let start = match form.v("follow_up_slot") {
        "" | "none" => {
            let (date, time) = (form.v("follow_up_date").trim(), form.v("follow_up_time").trim());
            if date.is_empty() && time.is_empty() { String::new() } else { format!("{date}T{time}") }
        }
        slot => slot.to_string(),
    };
    let input = CheckOutInput {
        follow_up_start: start,
        follow_up_provider_id: form.take("follow_up_provider_id"),
        follow_up_type: form.take("follow_up_type"),
        follow_up_notes: form.take("follow_up_notes"),
    };
    match state.app.check_out(&session.actor, &id, &input).await {
        Ok(done) => match done.follow_up {
            Some(f) => Redirect::to(&format!("/schedule/appointments/{}?notice=booked", f.id)).into_response(),
            None => Redirect::to(&format!("/schedule/appointments/{id}?notice=checked_out")).into_response(),
        },
        Err(e) => again(&state, &session, &id, form, Panel::CheckOut, e).await,
    }
}

pub async fn reschedule(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let (date, time) = (form.v("date").trim(), form.v("time").trim());
    let input = RescheduleInput {
        start: if date.is_empty() && time.is_empty() { String::new() } else { format!("{date}T{time}") },
        provider_id: form.take("provider_id"),
        reason: form.take("reason"),
        by: form.take("by"),
        ..Default::default()
    };
    match state.app.reschedule_appointment(&session.actor, &id, &input).await {
        Ok(new) => Redirect::to(&format!("/schedule/appointments/{}?notice=rescheduled", new.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            // The use case names `start`; the form has a date and a time.
            let mut renamed = medoffice_domain::ValidationErrors::new();
            for f in errors.errors {
                let field = if f.field == "start" || f.field == "end" { "date".to_string() } else { f.field };
                renamed.add(&field, f.message);
            }
            again(&state, &session, &id, form, Panel::Reschedule, AppError::Validation(renamed)).await
        }
        Err(e) => again(&state, &session, &id, form, Panel::Reschedule, e).await,
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    pub r: Receipt,
    pub back: Option<String>,
    pub csrf: String,
    /// What became of "E-mail the receipt": (ok, message).
    pub emailed: Option<(bool, String)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReceiptQuery {
    pub from: String,
}

/// A printable receipt (no navigation: it is meant for the printer).
pub async fn receipt(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> Response {
    match state.app.payment_receipt(&session.actor, &id).await {
        Ok(r) => {
            let back = Some(q.from).filter(|f| !f.is_empty() && f.len() <= 64 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            render(&ReceiptPage { r, back, csrf: session.csrf_token.clone(), emailed: None })
        }
        Err(e) => error_page(e),
    }
}

/// "E-mail the receipt": the receipt again with what happened (the address, or the server's refusal).
pub async fn email_receipt(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let (status, emailed) = match state.app.email_receipt(&session.actor, &id).await {
        Ok(to) => (StatusCode::OK, (true, format!("The receipt was e-mailed to {to}."))),
        Err(AppError::Validation(e)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, (false, e.errors.first().map(|f| f.message.clone()).unwrap_or_default()))
        }
        Err(AppError::Conflict(message)) => (StatusCode::CONFLICT, (false, message)),
        Err(e) => return error_page(e),
    };
    match state.app.payment_receipt(&session.actor, &id).await {
        Ok(r) => {
            let from = form.v("from");
            let back = Some(from.to_string())
                .filter(|f| !f.is_empty() && f.len() <= 64 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            (status, render(&ReceiptPage { r, back, csrf: session.csrf_token.clone(), emailed: Some(emailed) })).into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "series.html")]
pub struct SeriesPage {
    pub layout: Layout,
    pub title: String,
    pub form: FormState,
    pub providers: Vec<ProviderView>,
    pub types: Vec<(String, String)>,
    pub preview: Vec<OccurrenceView>,
    pub booked: Option<SeriesBooked>,
    pub problem: Option<String>,
    /// The chosen patient's name (the form carries the id).
    pub patient_name: Option<String>,
    /// Patients matching the search box, to choose from.
    pub matches: Vec<medoffice_app::views::PatientSummary>,
    pub query: String,
}

impl SeriesPage {
    fn when(&self, rfc3339: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.format("%a %b %-d, %Y %H:%M").to_string())
            .unwrap_or_else(|_| rfc3339.to_string())
    }
}

async fn series_page(state: &AppState, session: &PageSession, form: FormState) -> medoffice_app::Result<SeriesPage> {
    let actor = &session.actor;
    let providers = state.app.list_providers(actor).await?;
    let mut types: Vec<(String, String)> = vec![(String::new(), format!("{} (standard)", medoffice_app::scheduling::STANDARD_VISIT))];
    types.extend(
        state
            .app
            .list_appointment_types(actor)
            .await?
            .into_iter()
            .filter(|t| t.name != medoffice_app::scheduling::STANDARD_VISIT)
            .map(|t| (t.id, t.name)),
    );
    let patient_id = form.v("patient_id").trim().to_string();
    let patient_name = if patient_id.is_empty() {
        None
    } else {
        match state.app.patient_chart(actor, &patient_id).await {
            Ok(chart) => Some(chart.patient.display_name()),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        }
    };
    let query = form.v("q").trim().to_string();
    let matches = if patient_name.is_none() && !query.is_empty() { state.app.search_patients(actor, &query).await? } else { Vec::new() };
    Ok(SeriesPage {
        layout: Layout::new(session, "/schedule"),
        title: "Recurring appointments".into(),
        form,
        providers,
        types,
        preview: Vec::new(),
        booked: None,
        problem: None,
        patient_name,
        matches,
        query,
    })
}

/// The recurring-series form, prefilled from the query (`patient_id`, `provider_id`...).
pub async fn series_form(State(state): State<AppState>, session: PageSession, Query(q): Query<HashMap<String, String>>) -> Response {
    if !session.actor.role.may(Action::BookAppointments) {
        return error_page(AppError::Forbidden);
    }
    let mut form = FormState::new(q);
    if form.v("every_n_weeks").is_empty() {
        form.values.insert("every_n_weeks".into(), "1".into());
    }
    match series_page(&state, &session, form).await {
        Ok(p) => render(&p),
        Err(e) => error_page(e),
    }
}

/// "Check the dates" (preview) or "Book the series".
pub async fn series_submit(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = RecurringInput {
        patient_id: form.take("patient_id"),
        provider_id: form.take("provider_id"),
        appointment_type: form.take("appointment_type"),
        first_date: form.take("first_date"),
        first_time: form.take("first_time"),
        every_n_weeks: form.take("every_n_weeks"),
        count: form.take("count"),
        until: form.take("until"),
        notes: form.take("notes"),
    };
    let book = form.v("action") == "book";
    let mut page = match series_page(&state, &session, form).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let outcome = if book {
        state.app.book_recurring(&session.actor, &input).await.map(|b| page.booked = Some(b))
    } else {
        state.app.preview_recurring(&session.actor, &input).await.map(|p| page.preview = p)
    };
    let status = match outcome {
        Ok(()) => StatusCode::OK,
        Err(AppError::Validation(errors)) => {
            page.form.errors = errors;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppError::Conflict(message)) => {
            page.problem = Some(message);
            StatusCode::CONFLICT
        }
        Err(e) => return error_page(e),
    };
    (status, render(&page)).into_response()
}
