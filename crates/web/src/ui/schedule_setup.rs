//! Schedule set-up for the office manager, under `/admin/schedule`: providers, locations and their
//! rooms, appointment types, each provider's weekly template and exceptions, and the practice's
//! holidays. Plain forms that work without JavaScript; every change goes through one use case in
//! `medoffice_app::schedule_setup`, which checks the role again, validates and audits.
//!
//! Changing a template, an exception or a holiday never moves or cancels a booked appointment: the
//! page says so, and after a change lists the future appointments that now fall outside the hours.

use super::{CsrfForm, FormState, Layout, error_page, error_page_status, render};
use crate::AppState;
use crate::auth::{PageSession, urlencode};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use medoffice_app::schedule_setup::{LocationAddressInput, LocationInput, ProviderInput, RoomInput, capitalised};
use medoffice_app::views::{
    AppointmentTypeDetailView, DayExceptionView, LocationView, ProviderView, StrandedAppointmentView, TemplateEntryView,
};
use medoffice_app::{AppError, Result as AppResult};
use medoffice_domain::ValidationErrors;
use medoffice_domain::scheduling::{AppointmentTypeInput, DayExceptionInput, HolidayInput, TemplateEntryInput, TimeRangeInput};
use medoffice_domain::security::Action;
use serde::Deserialize;
use std::collections::HashMap;

/// The set-up pages' routes, merged into the UI router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/schedule", get(index))
        .route("/admin/schedule/providers", get(providers_page).post(add_provider))
        .route("/admin/schedule/providers/{id}", get(provider_edit_page).post(update_provider))
        .route("/admin/schedule/providers/{id}/template", get(template_page).post(add_entry))
        .route("/admin/schedule/providers/{id}/template/{entry_id}/remove", post(remove_entry))
        .route("/admin/schedule/providers/{id}/exceptions", post(add_exception))
        .route("/admin/schedule/providers/{id}/exceptions/{exception_id}/remove", post(remove_exception))
        .route("/admin/schedule/locations", get(locations_page).post(add_location))
        .route("/admin/schedule/locations/{id}", get(location_page).post(update_location))
        .route("/admin/schedule/locations/{id}/rooms", post(add_room))
        .route("/admin/schedule/rooms/{id}/rename", post(rename_room))
        .route("/admin/schedule/rooms/{id}/{change}", post(set_room_active))
        .route("/admin/schedule/types", get(types_page).post(add_type))
        .route("/admin/schedule/types/{id}", get(type_edit_page).post(update_type))
        .route("/admin/schedule/holidays", get(holidays_page).post(add_holiday))
        .route("/admin/schedule/holidays/{date}/remove", post(remove_holiday))
}

type Options = Vec<(String, String)>;

/// The navigation entry the set-up pages belong to.
const NAV: &str = "/admin";
/// A new provider's or type's colour until one is chosen.
const DEFAULT_COLOUR: &str = "#2563eb";
const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// The page for a role without the right to set up the schedule (the use cases refuse too).
fn deny_unless_admin(session: &PageSession) -> Option<Response> {
    (!session.actor.role.may(Action::ManageSchedules)).then(|| error_page(AppError::Forbidden))
}

/// A posted form: single values in a `FormState`, repeated fields (checkboxes) as lists.
fn read_form(fields: Vec<(String, String)>, lists: &[&str]) -> (FormState, HashMap<String, Vec<String>>) {
    let mut many: HashMap<String, Vec<String>> = HashMap::new();
    let mut single = HashMap::new();
    for (k, v) in fields {
        if lists.contains(&k.as_str()) {
            if !v.trim().is_empty() {
                many.entry(k).or_default().push(v);
            }
        } else {
            single.insert(k, v);
        }
    }
    (FormState::new(single), many)
}

/// A page's message after a redirect, from a fixed list (never text from the address).
fn notice(key: &str) -> Option<String> {
    let text = match key {
        "provider-added" => "Provider added.",
        "provider-saved" => "Provider saved.",
        "location-added" => "Location added.",
        "location-saved" => "Location saved.",
        "room-added" => "Room added.",
        "room-renamed" => "Room renamed.",
        "room-deactivated" => "Room deactivated: it is no longer offered.",
        "room-activated" => "Room active again.",
        "type-added" => "Appointment type added.",
        "type-saved" => "Appointment type saved.",
        "holiday-removed" => "Holiday removed: the providers' templates apply on that date again.",
        _ => return None,
    };
    Some(text.to_string())
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// The first error of a field and its indexed variants (`provider_ids`, `provider_ids[2]`).
fn group_error(errors: &ValidationErrors, field: &str) -> Option<String> {
    errors
        .errors
        .iter()
        .find(|e| e.field == field || e.field.strip_prefix(field).is_some_and(|rest| rest.starts_with('[')))
        .map(|e| e.message.clone())
}

fn weekday_options() -> Options {
    WEEKDAYS.iter().map(|d| (d.to_string(), capitalised(d))).collect()
}

// ---------------------------------------------------------------------------------------------
// The hub
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "setup_index.html")]
struct IndexPage {
    layout: Layout,
    title: &'static str,
    providers: Vec<ProviderView>,
    location_count: usize,
    room_count: usize,
    type_count: usize,
    holiday_count: usize,
    year: i32,
}

pub async fn index(State(state): State<AppState>, session: PageSession) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    let actor = &session.actor;
    let year = actor.today(state.app.now()).year();
    let loaded = async {
        let providers = state.app.list_providers(actor).await?;
        let locations = state.app.locations_with_rooms(actor).await?;
        let types = state.app.appointment_type_details(actor).await?;
        let holidays = state.app.holidays_in_year(actor, &year.to_string()).await?;
        AppResult::Ok((providers, locations, types, holidays))
    };
    match loaded.await {
        Ok((providers, locations, types, holidays)) => render(&IndexPage {
            layout: Layout::new(&session, NAV),
            title: "Schedule set-up",
            providers,
            room_count: locations.iter().map(|l| l.rooms.iter().filter(|r| r.active).count()).sum(),
            location_count: locations.len(),
            type_count: types.len(),
            holiday_count: holidays.len(),
            year,
        }),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "setup_providers.html")]
struct ProvidersPage {
    layout: Layout,
    title: String,
    providers: Vec<ProviderView>,
    form: FormState,
    /// The provider being edited; none on the add form.
    editing: Option<ProviderView>,
}

impl ProvidersPage {
    fn action(&self) -> String {
        match &self.editing {
            Some(p) => format!("/admin/schedule/providers/{}", p.id),
            None => "/admin/schedule/providers".to_string(),
        }
    }
}

async fn providers_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    editing: Option<ProviderView>,
    notice: Option<String>,
) -> Response {
    match state.app.list_providers(&session.actor).await {
        Ok(providers) => render(&ProvidersPage {
            layout: Layout::new(session, NAV).with_notice(notice),
            title: match &editing {
                Some(p) => format!("Edit {}", p.name),
                None => "Providers".to_string(),
            },
            providers,
            form,
            editing,
        }),
        Err(e) => error_page(e),
    }
}

fn provider_input(form: &FormState) -> ProviderInput {
    ProviderInput {
        family_name: form.take("family_name"),
        given_name: form.take("given_name"),
        credentials: form.take("credentials"),
        npi: form.take("npi"),
        specialty: form.take("specialty"),
        colour: form.take("colour"),
        taxonomy_code: form.take("taxonomy_code"),
    }
}

pub async fn providers_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    let mut form = FormState::default();
    form.values.insert("colour".into(), DEFAULT_COLOUR.into());
    providers_view(&state, &session, form, None, notice(&q.notice)).await
}

pub async fn add_provider(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    match state.app.add_provider(&session.actor, &provider_input(&form)).await {
        Ok(_) => Redirect::to("/admin/schedule/providers?notice=provider-added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            providers_view(&state, &session, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn provider_edit_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    match state.app.provider_detail(&session.actor, &id).await {
        Ok(p) => {
            let mut form = FormState::default();
            for (k, v) in [
                ("family_name", p.family_name.clone()),
                ("given_name", p.given_name.clone()),
                ("credentials", p.credentials.clone().unwrap_or_default()),
                ("npi", p.npi.clone()),
                ("specialty", p.specialty.clone().unwrap_or_default()),
                ("colour", p.colour.clone()),
                ("taxonomy_code", p.taxonomy_code.clone().unwrap_or_default()),
            ] {
                form.values.insert(k.into(), v);
            }
            providers_view(&state, &session, form, Some(p), None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn update_provider(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    match state.app.update_provider(&session.actor, &id, &provider_input(&form)).await {
        Ok(_) => Redirect::to("/admin/schedule/providers?notice=provider-saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            match state.app.provider_detail(&session.actor, &id).await {
                Ok(p) => providers_view(&state, &session, form, Some(p), None).await,
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Locations and rooms
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "setup_locations.html")]
struct LocationsPage {
    layout: Layout,
    title: &'static str,
    locations: Vec<LocationView>,
    form: FormState,
}

async fn locations_view(state: &AppState, session: &PageSession, form: FormState, notice: Option<String>) -> Response {
    match state.app.locations_with_rooms(&session.actor).await {
        Ok(locations) => {
            render(&LocationsPage { layout: Layout::new(session, NAV).with_notice(notice), title: "Locations and rooms", locations, form })
        }
        Err(e) => error_page(e),
    }
}

fn location_input(form: &FormState) -> LocationInput {
    LocationInput {
        name: form.take("name"),
        phone: form.take("phone"),
        address: LocationAddressInput {
            line1: form.take("address.line1"),
            line2: form.take("address.line2"),
            city: form.take("address.city"),
            state: form.take("address.state"),
            postal_code: form.take("address.postal_code"),
        },
    }
}

pub async fn locations_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    locations_view(&state, &session, FormState::default(), notice(&q.notice)).await
}

pub async fn add_location(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    match state.app.add_location(&session.actor, &location_input(&form)).await {
        Ok(l) => Redirect::to(&format!("/admin/schedule/locations/{}?notice=location-added", urlencode(&l.id))).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            locations_view(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "setup_location.html")]
struct LocationPage {
    layout: Layout,
    title: String,
    location: LocationView,
    /// The location's own fields.
    form: FormState,
    /// The add-a-room form.
    room_form: FormState,
    /// The room whose rename was refused, and that form.
    rename_room_id: String,
    rename_form: FormState,
}

/// The location page, with whichever of its forms was posted.
async fn location_view(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: Option<FormState>,
    room_form: FormState,
    rename: Option<(String, FormState)>,
    notice: Option<String>,
) -> Response {
    let location = match state.app.location_detail(&session.actor, id).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        let address = location.address.clone();
        let phone = location.phone.clone().unwrap_or_default();
        for (k, v) in [
            ("name", location.name.clone()),
            ("phone", phone),
            ("address.line1", address.as_ref().map(|a| a.line1.clone()).unwrap_or_default()),
            ("address.line2", address.as_ref().and_then(|a| a.line2.clone()).unwrap_or_default()),
            ("address.city", address.as_ref().map(|a| a.city.clone()).unwrap_or_default()),
            ("address.state", address.as_ref().map(|a| a.state.clone()).unwrap_or_default()),
            ("address.postal_code", address.as_ref().map(|a| a.postal_code.clone()).unwrap_or_default()),
        ] {
            f.values.insert(k.into(), v);
        }
        f
    });
    let (rename_room_id, rename_form) = rename.unwrap_or_default();
    render(&LocationPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: location.name.clone(),
        location,
        form,
        room_form,
        rename_room_id,
        rename_form,
    })
}

pub async fn location_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    location_view(&state, &session, &id, None, FormState::default(), None, notice(&q.notice)).await
}

pub async fn update_location(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    match state.app.update_location(&session.actor, &id, &location_input(&form)).await {
        Ok(l) => Redirect::to(&format!("/admin/schedule/locations/{}?notice=location-saved", urlencode(&l.id))).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            location_view(&state, &session, &id, Some(form), FormState::default(), None, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn add_room(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    match state.app.add_room(&session.actor, &id, &RoomInput { name: form.take("name") }).await {
        Ok(room) => Redirect::to(&format!("/admin/schedule/locations/{}?notice=room-added", urlencode(&room.location_id))).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            location_view(&state, &session, &id, None, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn rename_room(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    match state.app.rename_room(&session.actor, &id, &RoomInput { name: form.take("name") }).await {
        Ok(room) => {
            Redirect::to(&format!("/admin/schedule/locations/{}?notice=room-renamed", urlencode(&room.location_id))).into_response()
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let location_id = form.take("location_id");
            location_view(&state, &session, &location_id, None, FormState::default(), Some((id, form)), None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn set_room_active(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, change)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let (active, key) = match change.as_str() {
        "activate" => (true, "room-activated"),
        "deactivate" => (false, "room-deactivated"),
        _ => return error_page(AppError::NotFound("action")),
    };
    match state.app.set_room_active(&session.actor, &id, active).await {
        Ok(room) => Redirect::to(&format!("/admin/schedule/locations/{}?notice={key}", urlencode(&room.location_id))).into_response(),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Appointment types
// ---------------------------------------------------------------------------------------------

/// One line of the types table.
pub struct TypeLine {
    pub view: AppointmentTypeDetailView,
    pub kind_label: &'static str,
    pub providers_label: String,
}

#[derive(Template)]
#[template(path = "setup_types.html")]
struct TypesPage {
    layout: Layout,
    title: String,
    types: Vec<TypeLine>,
    form: FormState,
    /// The providers ticked on the form.
    checked: Vec<String>,
    provider_options: Options,
    kind_options: Options,
    /// The message about the providers (none chosen, an unknown one).
    provider_error: Option<String>,
    editing: Option<AppointmentTypeDetailView>,
}

impl TypesPage {
    fn action(&self) -> String {
        match &self.editing {
            Some(t) => format!("/admin/schedule/types/{}", t.id),
            None => "/admin/schedule/types".to_string(),
        }
    }

    fn is_checked(&self, id: &str) -> bool {
        self.checked.iter().any(|c| c == id)
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "new" => "New patients",
        "established" => "Established patients",
        _ => "Any patient",
    }
}

async fn types_view(
    state: &AppState,
    session: &PageSession,
    form: FormState,
    checked: Vec<String>,
    editing: Option<AppointmentTypeDetailView>,
    notice: Option<String>,
) -> Response {
    let actor = &session.actor;
    let loaded = async { AppResult::Ok((state.app.appointment_type_details(actor).await?, state.app.list_providers(actor).await?)) };
    let (types, providers) = match loaded.await {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    let name_of = |id: &str| providers.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_string());
    let types = types
        .into_iter()
        .map(|t| TypeLine {
            kind_label: kind_label(&t.patient_kind),
            providers_label: if t.provider_ids.len() == providers.len() && !providers.is_empty() {
                "Every provider".to_string()
            } else {
                t.provider_ids.iter().map(|id| name_of(id)).collect::<Vec<_>>().join(", ")
            },
            view: t,
        })
        .collect();
    render(&TypesPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: match &editing {
            Some(t) => format!("Edit {}", t.name),
            None => "Appointment types".to_string(),
        },
        types,
        provider_error: group_error(&form.errors, "provider_ids"),
        form,
        checked,
        provider_options: providers.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
        kind_options: vec![
            ("established".into(), "Established patients".into()),
            ("new".into(), "New patients".into()),
            ("any".into(), "Any patient".into()),
        ],
        editing,
    })
}

fn type_input(form: &FormState, lists: &HashMap<String, Vec<String>>) -> AppointmentTypeInput {
    AppointmentTypeInput {
        name: form.take("name"),
        duration_minutes: form.take("duration_minutes"),
        colour: form.take("colour"),
        provider_ids: lists.get("provider_ids").cloned().unwrap_or_default(),
        patient_kind: form.take("patient_kind"),
    }
}

pub async fn types_page(State(state): State<AppState>, session: PageSession, Query(q): Query<NoticeQuery>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    let mut form = FormState::default();
    form.values.insert("colour".into(), DEFAULT_COLOUR.into());
    form.values.insert("duration_minutes".into(), "20".into());
    form.values.insert("patient_kind".into(), "established".into());
    types_view(&state, &session, form, Vec::new(), None, notice(&q.notice)).await
}

pub async fn add_type(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let (mut form, lists) = read_form(fields, &["provider_ids"]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let input = type_input(&form, &lists);
    match state.app.add_appointment_type(&session.actor, &input).await {
        Ok(_) => Redirect::to("/admin/schedule/types?notice=type-added").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            types_view(&state, &session, form, input.provider_ids, None, None).await
        }
        Err(e) => error_page(e),
    }
}

async fn find_type(state: &AppState, session: &PageSession, id: &str) -> AppResult<AppointmentTypeDetailView> {
    state.app.appointment_type_details(&session.actor).await?.into_iter().find(|t| t.id == id).ok_or(AppError::NotFound("appointment type"))
}

pub async fn type_edit_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    match find_type(&state, &session, &id).await {
        Ok(t) => {
            let mut form = FormState::default();
            for (k, v) in [
                ("name", t.name.clone()),
                ("duration_minutes", t.duration_minutes.to_string()),
                ("colour", t.colour.clone()),
                ("patient_kind", t.patient_kind.clone()),
            ] {
                form.values.insert(k.into(), v);
            }
            let checked = t.provider_ids.clone();
            types_view(&state, &session, form, checked, Some(t), None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn update_type(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, lists) = read_form(fields, &["provider_ids"]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let input = type_input(&form, &lists);
    match state.app.update_appointment_type(&session.actor, &id, &input).await {
        Ok(_) => Redirect::to("/admin/schedule/types?notice=type-saved").into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            match find_type(&state, &session, &id).await {
                Ok(t) => types_view(&state, &session, form, input.provider_ids, Some(t), None).await,
                Err(e) => error_page(e),
            }
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// A provider's weekly template and exceptions
// ---------------------------------------------------------------------------------------------

/// One entry of the week table.
pub struct EntryChip {
    pub id: String,
    pub time_range: String,
    pub is_block: bool,
    /// "Any type", "New patient visit · overbooking allowed", "Lunch".
    pub label: String,
    /// "Monday 08:00–12:00", for the remove button's accessible name.
    pub describe: String,
}

/// One weekday column of a location's week.
pub struct DayColumn {
    pub label: String,
    pub entries: Vec<EntryChip>,
}

/// The week at one location.
pub struct LocationWeek {
    pub location_name: String,
    pub days: Vec<DayColumn>,
}

/// One exception as listed.
pub struct ExceptionLine {
    pub view: DayExceptionView,
    pub date_long: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "setup_template.html")]
struct TemplatePage {
    layout: Layout,
    title: String,
    provider: ProviderView,
    weeks: Vec<LocationWeek>,
    exceptions: Vec<ExceptionLine>,
    entry_form: FormState,
    checked_types: Vec<String>,
    type_error: Option<String>,
    exception_form: FormState,
    hours_error: Option<String>,
    weekday_options: Options,
    location_options: Options,
    type_options: Options,
    kind_options: Options,
    exception_kind_options: Options,
    exception_location_options: Options,
    /// After a change: the appointments now outside the hours, and what the change was.
    outside: Vec<StrandedAppointmentView>,
    changed: bool,
}

impl TemplatePage {
    fn is_type_checked(&self, id: &str) -> bool {
        self.checked_types.iter().any(|c| c == id)
    }
}

fn chip(e: &TemplateEntryView) -> EntryChip {
    let label = if e.kind == "block" {
        e.reason.clone().unwrap_or_else(|| "Blocked".into())
    } else {
        let mut parts =
            vec![if e.appointment_type_names.is_empty() { "Any type".to_string() } else { e.appointment_type_names.join(", ") }];
        if e.allow_overbook {
            parts.push("overbooking allowed".into());
        }
        parts.join(" · ")
    };
    EntryChip {
        id: e.id.clone(),
        time_range: format!("{}–{}", e.start, e.end),
        is_block: e.kind == "block",
        label,
        describe: format!("{} {}–{} at {}", capitalised(&e.weekday), e.start, e.end, e.location_name),
    }
}

fn weeks_of(entries: &[TemplateEntryView]) -> Vec<LocationWeek> {
    let mut locations: Vec<(String, String)> = Vec::new();
    for e in entries {
        if !locations.iter().any(|(id, _)| *id == e.location_id) {
            locations.push((e.location_id.clone(), e.location_name.clone()));
        }
    }
    locations
        .into_iter()
        .map(|(id, name)| LocationWeek {
            location_name: name,
            days: WEEKDAYS
                .iter()
                .map(|day| DayColumn {
                    label: capitalised(day),
                    entries: entries.iter().filter(|e| e.location_id == id && e.weekday == *day).map(chip).collect(),
                })
                .collect(),
        })
        .collect()
}

fn exception_line(x: DayExceptionView) -> ExceptionLine {
    let hours = x.hours.iter().map(|h| format!("{}–{}", h.start, h.end)).collect::<Vec<_>>().join(", ");
    let at = x.location_name.as_ref().map(|l| format!(" at {l}")).unwrap_or_default();
    let what = match x.kind.as_str() {
        "closed" => "Not working".to_string(),
        "replace_hours" => format!("Only {hours}{at}"),
        _ => format!("Extra hours {hours}{at}"),
    };
    let date_long =
        NaiveDate::parse_from_str(&x.date, "%Y-%m-%d").map(|d| d.format("%a %b %-d, %Y").to_string()).unwrap_or_else(|_| x.date.clone());
    ExceptionLine { view: x, date_long, what }
}

/// Everything the template page shows, with the forms as given.
struct TemplateForms {
    entry_form: FormState,
    checked_types: Vec<String>,
    exception_form: FormState,
    outside: Vec<StrandedAppointmentView>,
    changed: bool,
    notice: Option<String>,
}

impl Default for TemplateForms {
    fn default() -> Self {
        let mut entry_form = FormState::default();
        entry_form.values.insert("kind".into(), "working".into());
        let mut exception_form = FormState::default();
        exception_form.values.insert("kind".into(), "closed".into());
        TemplateForms { entry_form, checked_types: Vec::new(), exception_form, outside: Vec::new(), changed: false, notice: None }
    }
}

async fn template_view(state: &AppState, session: &PageSession, provider_id: &str, forms: TemplateForms) -> Response {
    let actor = &session.actor;
    let loaded = async {
        let provider = state.app.provider_detail(actor, provider_id).await?;
        let template = state.app.provider_template(actor, provider_id).await?;
        let exceptions = state.app.provider_exceptions(actor, provider_id).await?;
        let locations = state.app.locations_with_rooms(actor).await?;
        let types = state.app.appointment_type_details(actor).await?;
        AppResult::Ok((provider, template, exceptions, locations, types))
    };
    let (provider, template, exceptions, locations, types) = match loaded.await {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    let location_options: Options = locations.iter().map(|l| (l.id.clone(), l.name.clone())).collect();
    // Only the types this provider offers can be booked with them, so only those are offered here.
    let type_options: Options =
        types.iter().filter(|t| t.provider_ids.contains(&provider.id)).map(|t| (t.id.clone(), t.name.clone())).collect();
    let mut exception_location_options = vec![(String::new(), "— (not for a closed day)".to_string())];
    exception_location_options.extend(location_options.iter().cloned());
    render(&TemplatePage {
        layout: Layout::new(session, NAV).with_notice(forms.notice),
        title: format!("Weekly template: {}", provider.name),
        provider,
        weeks: weeks_of(&template.entries),
        exceptions: exceptions.into_iter().map(exception_line).collect(),
        type_error: group_error(&forms.entry_form.errors, "appointment_type_ids"),
        hours_error: forms.exception_form.err("hours").map(str::to_string),
        entry_form: forms.entry_form,
        checked_types: forms.checked_types,
        exception_form: forms.exception_form,
        weekday_options: weekday_options(),
        location_options,
        type_options,
        kind_options: vec![("working".into(), "Working hours".into()), ("block".into(), "Block (lunch, admin time)".into())],
        exception_kind_options: vec![
            ("closed".into(), "Closed all day (vacation, illness)".into()),
            ("replace_hours".into(), "Only these hours (a half day)".into()),
            ("extra_hours".into(), "Extra hours (an extra clinic)".into()),
        ],
        exception_location_options,
        outside: forms.outside,
        changed: forms.changed,
    })
}

pub async fn template_page(State(state): State<AppState>, session: PageSession, Path(id): Path<String>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    template_view(&state, &session, &id, TemplateForms::default()).await
}

pub async fn add_entry(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, lists) = read_form(fields, &["appointment_type_ids"]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let is_block = form.v("kind") == "block";
    let input = TemplateEntryInput {
        provider_id: id.clone(),
        location_id: form.take("location_id"),
        weekday: form.take("weekday"),
        start: form.take("start"),
        end: form.take("end"),
        kind: form.take("kind"),
        // The form has one set of fields for both kinds: what does not apply to the kind chosen is
        // left out rather than refused, as the person cannot see it was filled in.
        reason: if is_block { form.take("reason") } else { String::new() },
        appointment_type_ids: if is_block { Vec::new() } else { lists.get("appointment_type_ids").cloned().unwrap_or_default() },
        allow_overbook: !is_block && form.v("allow_overbook") == "1",
    };
    let mut forms = TemplateForms::default();
    match state.app.add_template_entry(&session.actor, &id, &input).await {
        Ok(change) => {
            forms.outside = change.outside_hours;
            forms.changed = true;
            forms.notice = Some("Template entry added.".into());
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            forms.entry_form = form;
            forms.checked_types = input.appointment_type_ids;
        }
        Err(e) => return error_page(e),
    }
    template_view(&state, &session, &id, forms).await
}

pub async fn remove_entry(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, entry_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.remove_template_entry(&session.actor, &id, &entry_id).await {
        Ok(change) => {
            let forms = TemplateForms {
                outside: change.outside_hours,
                changed: true,
                notice: Some("Template entry removed.".into()),
                ..Default::default()
            };
            template_view(&state, &session, &id, forms).await
        }
        Err(e) => error_page(e),
    }
}

/// The exception form's ranges: the rows with anything typed in them (a closed day has none).
fn exception_hours(form: &FormState) -> Vec<TimeRangeInput> {
    (0..2)
        .map(|i| TimeRangeInput { start: form.take(&format!("hours[{i}].start")), end: form.take(&format!("hours[{i}].end")) })
        .filter(|r| !r.start.trim().is_empty() || !r.end.trim().is_empty())
        .collect()
}

pub async fn add_exception(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let closed = form.v("kind") == "closed";
    let input = DayExceptionInput {
        provider_id: id.clone(),
        date: form.take("date"),
        kind: form.take("kind"),
        // A closed day takes no location or hours; the form may still show some.
        location_id: if closed { String::new() } else { form.take("location_id") },
        hours: if closed { Vec::new() } else { exception_hours(&form) },
        note: form.take("note"),
    };
    let mut forms = TemplateForms::default();
    match state.app.add_schedule_exception(&session.actor, &id, &input).await {
        Ok(change) => {
            forms.outside = change.outside_hours;
            forms.changed = true;
            forms.notice = Some(format!("Exception added for {}.", change.exception.date));
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            forms.exception_form = form;
        }
        Err(e) => return error_page(e),
    }
    template_view(&state, &session, &id, forms).await
}

pub async fn remove_exception(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, exception_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.remove_schedule_exception(&session.actor, &id, &exception_id).await {
        Ok(change) => {
            let forms = TemplateForms {
                outside: change.outside_hours,
                changed: true,
                notice: Some(format!("Exception for {} removed: the weekly template applies again.", change.exception.date)),
                ..Default::default()
            };
            template_view(&state, &session, &id, forms).await
        }
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Holidays
// ---------------------------------------------------------------------------------------------

/// One holiday as listed.
pub struct HolidayLine {
    pub date: String,
    pub date_long: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "setup_holidays.html")]
struct HolidaysPage {
    layout: Layout,
    title: String,
    year: i32,
    prev_year: i32,
    next_year: i32,
    holidays: Vec<HolidayLine>,
    form: FormState,
    outside: Vec<StrandedAppointmentView>,
    changed: bool,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    notice: String,
}

async fn holidays_view(
    state: &AppState,
    session: &PageSession,
    year: i32,
    form: FormState,
    outside: Option<Vec<StrandedAppointmentView>>,
    notice: Option<String>,
) -> Response {
    let holidays = match state.app.holidays_in_year(&session.actor, &year.to_string()).await {
        Ok(h) => h,
        Err(AppError::Validation(_)) => {
            return error_page_status(StatusCode::BAD_REQUEST, "Not a year", "Give the year as four digits, from 2000 to 2100.");
        }
        Err(e) => return error_page(e),
    };
    render(&HolidaysPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: format!("Holidays {year}"),
        year,
        prev_year: year - 1,
        next_year: year + 1,
        holidays: holidays
            .into_iter()
            .map(|h| HolidayLine {
                date_long: NaiveDate::parse_from_str(&h.date, "%Y-%m-%d")
                    .map(|d| d.format("%A, %B %-d").to_string())
                    .unwrap_or_else(|_| h.date.clone()),
                date: h.date,
                name: h.name,
            })
            .collect(),
        form,
        changed: outside.is_some(),
        outside: outside.unwrap_or_default(),
    })
}

pub async fn holidays_page(State(state): State<AppState>, session: PageSession, Query(q): Query<YearQuery>) -> Response {
    if let Some(r) = deny_unless_admin(&session) {
        return r;
    }
    let current = session.actor.today(state.app.now()).year();
    let year = if q.year.trim().is_empty() {
        current
    } else {
        match q.year.trim().parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => return error_page_status(StatusCode::BAD_REQUEST, "Not a year", "Give the year as four digits, from 2000 to 2100."),
        }
    };
    holidays_view(&state, &session, year, FormState::default(), None, notice(&q.notice)).await
}

pub async fn add_holiday(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let (mut form, _) = read_form(fields, &[]);
    if let Err(r) = session.check_csrf(form.v("csrf")) {
        return r;
    }
    let current = session.actor.today(state.app.now()).year();
    let input = HolidayInput { date: form.take("date"), name: form.take("name") };
    match state.app.add_holiday(&session.actor, &input).await {
        Ok(change) => {
            let year = NaiveDate::parse_from_str(&change.holiday.date, "%Y-%m-%d").map(|d| d.year()).unwrap_or(current);
            let notice = Some(format!("{} ({}) added: nothing can be booked that day.", change.holiday.name, change.holiday.date));
            holidays_view(&state, &session, year, FormState::default(), Some(change.outside_hours), notice).await
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            let year = form.v("year").parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).unwrap_or(current);
            holidays_view(&state, &session, year, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn remove_holiday(
    State(state): State<AppState>,
    session: PageSession,
    Path(date): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.remove_holiday(&session.actor, &date).await {
        Ok(h) => {
            let year = h.date.get(..4).unwrap_or("");
            Redirect::to(&format!("/admin/schedule/holidays?year={}&notice=holiday-removed", urlencode(year))).into_response()
        }
        Err(e) => error_page(e),
    }
}
