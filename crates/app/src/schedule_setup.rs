//! Setting up the schedule: providers (NPI, specialty, colour), locations and their rooms,
//! appointment types, each provider's weekly template, exceptions for single days and the
//! practice's holidays.
//!
//! Every change is the office manager's (`Action::ManageSchedules`), validated with the domain's
//! rules (`TemplateEntryInput`, `check_week`, `DayExceptionInput`, `HolidayInput`,
//! `AppointmentTypeInput`, the NPI check digit), written in one transaction with its audit record.
//! Reads of the lists are open to every role (`ReadPracticeLists`); a provider's template and
//! exceptions to those who read the schedule (`ReadAppointments`).
//!
//! **A set-up change never moves or cancels a booked appointment.** Instead the change answers the
//! future appointments (within a year) that its new hours strand, found with the same
//! `check_placement` a booking uses, so the office can call those patients.

use crate::views::{
    AddressView, AppointmentTypeDetailView, DayExceptionView, ExceptionChangeView, HolidayChangeView, HolidayView, HoursView, LocationView,
    ProviderTemplateView, ProviderView, RoomView, StrandedAppointmentView, TemplateChangeView, TemplateEntryView,
};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::identifiers::{is_valid_npi, parse_taxonomy_code};
use medoffice_domain::patients::{AddressInput, Phone, parse_date, parse_name_part};
use medoffice_domain::scheduling::calendar::weekday_name;
use medoffice_domain::scheduling::{
    AllowedTypes, AppointmentDuration, AppointmentId, AppointmentType, AppointmentTypeData, AppointmentTypeId, AppointmentTypeInput,
    Colour, DayException, DayExceptionInput, EntryKind, ExceptionKind, Holiday, HolidayInput, Interval, PatientKind, ProposedBooking,
    ProviderCalendar, ProviderId, Schedule, TemplateEntry, TemplateEntryInput, Unbookable, check_placement, check_week,
};
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::practice::{self as practice_store, ProviderRow};
use medoffice_store::schedule_setup::{self as setup, RoomRow};
use medoffice_store::scheduling::{
    self as sched, AppointmentRow, AppointmentTypeRow, ExceptionRow, LocationRow, TemplateEntryRow, minute_of,
};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

/// The longest location name.
pub const MAX_LOCATION_NAME_CHARS: usize = 80;
/// The longest room name ("Exam 3", "Procedure room").
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// The longest credentials ("MD, PhD", "FNP-C").
pub const MAX_CREDENTIALS_CHARS: usize = 20;
/// The longest specialty ("Family medicine").
pub const MAX_SPECIALTY_CHARS: usize = 60;
/// How far ahead a set-up change looks for appointments it strands.
pub const STRANDED_HORIZON_DAYS: u64 = 366;
/// The most stranded appointments one change reports (the first ones, by time).
pub const MAX_STRANDED: usize = 200;
/// Appointments are read in windows of this many days, each bounded by the store's list limit.
const STRANDED_WINDOW_DAYS: u64 = 31;
/// How far ahead the exceptions list of a provider reaches.
const EXCEPTIONS_AHEAD_DAYS: u64 = 2 * 366;
/// The years the holiday list accepts.
const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A provider as typed into the set-up page or sent by a client.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProviderInput {
    pub family_name: String,
    pub given_name: String,
    /// `MD`, `DO`, `FNP-C`...; optional.
    pub credentials: String,
    /// The 10-digit National Provider Identifier, with its check digit.
    pub npi: String,
    pub specialty: String,
    /// `#rrggbb`, the provider's colour on the schedule.
    pub colour: String,
    /// The NUCC health care provider taxonomy code sent on claims (10 characters, e.g.
    /// `207Q00000X` family medicine); optional.
    pub taxonomy_code: String,
}

/// A location's address as typed; blank for none, otherwise line 1, city, state and ZIP.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LocationAddressInput {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

/// A location as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LocationInput {
    pub name: String,
    /// A US phone number; optional.
    pub phone: String,
    pub address: LocationAddressInput,
}

/// A room as typed: its name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RoomInput {
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------

impl App {
    /// One provider, for the edit form.
    pub async fn provider_detail(&self, actor: &Actor, provider_id: &str) -> Result<ProviderView> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let id = ProviderId::parse(provider_id).map_err(|_| AppError::NotFound("provider"))?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(provider_view(setup::get_provider(&mut conn, &actor.practice_id, id.as_str()).await?))
    }

    /// Adds a provider. The NPI must pass its check digit and be the practice's only one.
    pub async fn add_provider(&self, actor: &Actor, input: &ProviderInput) -> Result<ProviderView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let valid = validate_provider(input)?;
        let mut tx = self.store.begin().await?;
        check_npi_free(&mut tx, &actor.practice_id, &valid.npi, None).await?;
        let row = ProviderRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            family_name: valid.family_name,
            given_name: valid.given_name,
            credentials: valid.credentials,
            npi: valid.npi,
            specialty: valid.specialty,
            colour: valid.colour,
            user_id: None,
            created_at: self.now_text(),
            taxonomy_code: valid.taxonomy_code,
        };
        practice_store::insert_provider(&mut tx, &row).await.map_err(npi_conflict)?;
        let view = provider_view(row);
        self.audit(&mut tx, actor, setup_note("provider.create", "provider", &view.id, format!("{} (NPI {})", view.name, view.npi)))
            .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Changes a provider's names, credentials, NPI, specialty or colour.
    pub async fn update_provider(&self, actor: &Actor, provider_id: &str, input: &ProviderInput) -> Result<ProviderView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let id = ProviderId::parse(provider_id).map_err(|_| AppError::NotFound("provider"))?;
        let valid = validate_provider(input)?;
        let mut tx = self.store.begin().await?;
        let before = setup::get_provider(&mut tx, &actor.practice_id, id.as_str()).await?;
        check_npi_free(&mut tx, &actor.practice_id, &valid.npi, Some(id.as_str())).await?;
        let after = ProviderRow {
            family_name: valid.family_name,
            given_name: valid.given_name,
            credentials: valid.credentials,
            npi: valid.npi,
            specialty: valid.specialty,
            colour: valid.colour,
            taxonomy_code: valid.taxonomy_code,
            ..before.clone()
        };
        setup::update_provider(&mut tx, &after).await.map_err(npi_conflict)?;
        let changed = changed_fields(&[
            ("family_name", before.family_name == after.family_name),
            ("given_name", before.given_name == after.given_name),
            ("credentials", before.credentials == after.credentials),
            ("npi", before.npi == after.npi),
            ("specialty", before.specialty == after.specialty),
            ("colour", before.colour == after.colour),
            ("taxonomy_code", before.taxonomy_code == after.taxonomy_code),
        ]);
        let view = provider_view(after);
        self.audit(&mut tx, actor, setup_note("provider.update", "provider", &view.id, format!("{}: {changed}", view.name))).await?;
        tx.commit().await?;
        Ok(view)
    }
}

/// A provider's fields, valid.
struct ValidProvider {
    family_name: String,
    given_name: String,
    credentials: Option<String>,
    npi: String,
    specialty: Option<String>,
    colour: String,
    taxonomy_code: Option<String>,
}

fn validate_provider(input: &ProviderInput) -> std::result::Result<ValidProvider, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let family_name = e.check("family_name", parse_name_part(&input.family_name));
    let given_name = e.check("given_name", parse_name_part(&input.given_name));
    let credentials = e
        .check(
            "credentials",
            optional_text(&input.credentials, MAX_CREDENTIALS_CHARS).and_then(|c| match c {
                Some(c) if !c.chars().all(|ch| ch.is_alphanumeric() || " .,-/()".contains(ch)) => {
                    Err("credentials have letters, digits, spaces and . , - / ( ) only, e.g. MD or FNP-C".to_string())
                }
                other => Ok(other),
            }),
        )
        .flatten();
    let npi = e.check("npi", parse_npi(&input.npi));
    let specialty = e.check("specialty", optional_text(&input.specialty, MAX_SPECIALTY_CHARS)).flatten();
    let colour = e.check("colour", Colour::parse(&input.colour));
    let taxonomy_code = e.check("taxonomy_code", parse_taxonomy_code(&input.taxonomy_code)).flatten();
    match (family_name, given_name, npi, colour) {
        (Some(family_name), Some(given_name), Some(npi), Some(colour)) if e.is_empty() => {
            Ok(ValidProvider { family_name, given_name, credentials, npi, specialty, colour: colour.as_str().to_string(), taxonomy_code })
        }
        _ => Err(e),
    }
}

/// An NPI as typed: ten digits (spaces and dashes ignored) whose last is the Luhn check digit.
fn parse_npi(text: &str) -> std::result::Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter the provider's 10-digit NPI".into());
    }
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("'{}' is not an NPI: an NPI has 10 digits", t.chars().take(20).collect::<String>()));
    }
    if !is_valid_npi(&digits) {
        return Err("the check digit does not match; check the NPI for a typing mistake".into());
    }
    Ok(digits)
}

/// Refuses an NPI another provider of the practice has, naming that provider.
async fn check_npi_free(conn: &mut Connection, practice_id: &str, npi: &str, except: Option<&str>) -> Result<()> {
    let providers = practice_store::list_providers(conn, practice_id).await?;
    if let Some(other) = providers.iter().find(|p| p.npi == npi && Some(p.id.as_str()) != except) {
        return Err(ValidationErrors::single(
            "npi",
            format!("{} {} already has this NPI; each provider has their own", other.given_name, other.family_name),
        )
        .into());
    }
    Ok(())
}

/// Two desks adding the same NPI at once: the database's unique rule, in the form's words.
fn npi_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if c.contains("provider_npi") || c.contains("provider.npi") => {
            ValidationErrors::single("npi", "another provider already has this NPI; each provider has their own").into()
        }
        other => other.into(),
    }
}

fn provider_view(p: ProviderRow) -> ProviderView {
    ProviderView {
        name: provider_name(&p),
        id: p.id,
        family_name: p.family_name,
        given_name: p.given_name,
        credentials: p.credentials,
        npi: p.npi,
        specialty: p.specialty,
        colour: p.colour,
        taxonomy_code: p.taxonomy_code,
    }
}

/// "Maria Lopez, MD", as the practice's provider list shows it.
fn provider_name(p: &ProviderRow) -> String {
    format!("{} {}{}", p.given_name, p.family_name, p.credentials.as_ref().map(|c| format!(", {c}")).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Locations and rooms
// ---------------------------------------------------------------------------------------------

impl App {
    /// The practice's locations by name, each with its rooms.
    pub async fn locations_with_rooms(&self, actor: &Actor) -> Result<Vec<LocationView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let locations = sched::list_locations(&mut conn, &actor.practice_id).await?;
        let rooms = setup::list_rooms(&mut conn, &actor.practice_id).await?;
        Ok(locations.into_iter().map(|l| location_view(l, &rooms)).collect())
    }

    /// One location with its rooms.
    pub async fn location_detail(&self, actor: &Actor, location_id: &str) -> Result<LocationView> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        load_location_view(&mut conn, &actor.practice_id, location_id).await
    }

    /// Adds a location (an office where providers work).
    pub async fn add_location(&self, actor: &Actor, input: &LocationInput) -> Result<LocationView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let valid = validate_location(input)?;
        let mut tx = self.store.begin().await?;
        check_location_name_free(&mut tx, &actor.practice_id, &valid.name, None).await?;
        let row = valid.row(&actor.practice_id, &new_id(), &self.now_text());
        sched::insert_location(&mut tx, &row).await?;
        self.audit(&mut tx, actor, setup_note("location.create", "location", &row.id, row.name.clone())).await?;
        let view = location_view(row, &[]);
        tx.commit().await?;
        Ok(view)
    }

    /// Changes a location's name, phone or address.
    pub async fn update_location(&self, actor: &Actor, location_id: &str, input: &LocationInput) -> Result<LocationView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let valid = validate_location(input)?;
        let mut tx = self.store.begin().await?;
        let before = get_location(&mut tx, &actor.practice_id, location_id).await?;
        check_location_name_free(&mut tx, &actor.practice_id, &valid.name, Some(&before.id)).await?;
        let after = valid.row(&actor.practice_id, &before.id, &before.created_at);
        setup::update_location(&mut tx, &after).await?;
        let changed = changed_fields(&[
            ("name", before.name == after.name),
            ("phone", before.phone == after.phone),
            (
                "address",
                (&before.address_line1, &before.address_line2, &before.city, &before.state, &before.postal_code)
                    == (&after.address_line1, &after.address_line2, &after.city, &after.state, &after.postal_code),
            ),
        ]);
        self.audit(&mut tx, actor, setup_note("location.update", "location", &after.id, format!("{}: {changed}", after.name))).await?;
        let view = load_location_view(&mut tx, &actor.practice_id, &after.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Adds a room to a location; its name must be new at that location.
    pub async fn add_room(&self, actor: &Actor, location_id: &str, input: &RoomInput) -> Result<RoomView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let name = validate_room_name(&input.name)?;
        let mut tx = self.store.begin().await?;
        let location = get_location(&mut tx, &actor.practice_id, location_id).await?;
        check_room_name_free(&mut tx, &actor.practice_id, &location.id, &name, None).await?;
        let now = self.now_text();
        let row = RoomRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            location_id: location.id.clone(),
            name,
            active: 1,
            created_at: now.clone(),
            updated_at: now,
        };
        setup::insert_room(&mut tx, &row).await.map_err(room_conflict)?;
        self.audit(&mut tx, actor, setup_note("room.create", "room", &row.id, format!("{} at {}", row.name, location.name))).await?;
        tx.commit().await?;
        Ok(room_view(row))
    }

    /// Renames a room.
    pub async fn rename_room(&self, actor: &Actor, room_id: &str, input: &RoomInput) -> Result<RoomView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let name = validate_room_name(&input.name)?;
        let mut tx = self.store.begin().await?;
        let before = get_room(&mut tx, &actor.practice_id, room_id).await?;
        check_room_name_free(&mut tx, &actor.practice_id, &before.location_id, &name, Some(&before.id)).await?;
        let now = self.now_text();
        setup::update_room(&mut tx, &actor.practice_id, &before.id, &name, before.active != 0, &now).await.map_err(room_conflict)?;
        self.audit(&mut tx, actor, setup_note("room.update", "room", &before.id, format!("renamed '{}' to '{name}'", before.name))).await?;
        tx.commit().await?;
        Ok(room_view(RoomRow { name, updated_at: now, ..before }))
    }

    /// Deactivates a room (it is no longer offered; appointments that were in it keep it) or
    /// makes it active again.
    pub async fn set_room_active(&self, actor: &Actor, room_id: &str, active: bool) -> Result<RoomView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let mut tx = self.store.begin().await?;
        let before = get_room(&mut tx, &actor.practice_id, room_id).await?;
        let now = self.now_text();
        setup::update_room(&mut tx, &actor.practice_id, &before.id, &before.name, active, &now).await?;
        let action = if active { "room.activate" } else { "room.deactivate" };
        self.audit(&mut tx, actor, setup_note(action, "room", &before.id, before.name.clone())).await?;
        tx.commit().await?;
        Ok(room_view(RoomRow { active: i64::from(active), updated_at: now, ..before }))
    }
}

/// A location's fields, valid.
struct ValidLocation {
    name: String,
    phone: Option<String>,
    address: Option<medoffice_domain::patients::Address>,
}

impl ValidLocation {
    fn row(self, practice_id: &str, id: &str, created_at: &str) -> LocationRow {
        let address = self.address;
        LocationRow {
            practice_id: practice_id.to_string(),
            id: id.to_string(),
            name: self.name,
            phone: self.phone,
            address_line1: address.as_ref().map(|a| a.line1.clone()),
            address_line2: address.as_ref().and_then(|a| a.line2.clone()),
            city: address.as_ref().map(|a| a.city.clone()),
            state: address.as_ref().map(|a| a.state.clone()),
            postal_code: address.as_ref().map(|a| a.postal_code.clone()),
            created_at: created_at.to_string(),
        }
    }
}

fn validate_location(input: &LocationInput) -> std::result::Result<ValidLocation, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let name = e.check("name", required_text(&input.name, MAX_LOCATION_NAME_CHARS, "enter a name, e.g. Main office"));
    let phone =
        if input.phone.trim().is_empty() { None } else { e.check("phone", Phone::parse(&input.phone)).map(|p| p.digits().to_string()) };
    let a = &input.address;
    let address = AddressInput {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        postal_code: a.postal_code.clone(),
    }
    .validate(&mut e, "address.");
    match name {
        Some(name) if e.is_empty() => Ok(ValidLocation { name, phone, address }),
        _ => Err(e),
    }
}

async fn get_location(conn: &mut Connection, practice_id: &str, location_id: &str) -> Result<LocationRow> {
    let id = medoffice_domain::scheduling::LocationId::parse(location_id).map_err(|_| AppError::NotFound("location"))?;
    Ok(setup::get_location(conn, practice_id, id.as_str()).await?)
}

async fn get_room(conn: &mut Connection, practice_id: &str, room_id: &str) -> Result<RoomRow> {
    let id = id_shape(room_id, "room")?;
    Ok(setup::get_room(conn, practice_id, &id).await?)
}

/// Two locations with one name would be told apart by nobody on the schedule.
async fn check_location_name_free(conn: &mut Connection, practice_id: &str, name: &str, except: Option<&str>) -> Result<()> {
    let locations = sched::list_locations(conn, practice_id).await?;
    if locations.iter().any(|l| l.name.eq_ignore_ascii_case(name) && Some(l.id.as_str()) != except) {
        return Err(ValidationErrors::single("name", format!("there is already a location named {name}")).into());
    }
    Ok(())
}

async fn check_room_name_free(conn: &mut Connection, practice_id: &str, location_id: &str, name: &str, except: Option<&str>) -> Result<()> {
    let rooms = setup::list_rooms(conn, practice_id).await?;
    if rooms.iter().any(|r| r.location_id == location_id && r.name.eq_ignore_ascii_case(name) && Some(r.id.as_str()) != except) {
        return Err(ValidationErrors::single("name", format!("this location already has a room named {name}")).into());
    }
    Ok(())
}

fn room_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if setup::is_room_name_conflict(&c) => {
            ValidationErrors::single("name", "this location already has a room of that name").into()
        }
        other => other.into(),
    }
}

fn validate_room_name(text: &str) -> std::result::Result<String, ValidationErrors> {
    required_text(text, MAX_ROOM_NAME_CHARS, "enter a name, e.g. Exam 1").map_err(|m| ValidationErrors::single("name", m))
}

async fn load_location_view(conn: &mut Connection, practice_id: &str, location_id: &str) -> Result<LocationView> {
    let location = get_location(conn, practice_id, location_id).await?;
    let rooms = setup::list_rooms(conn, practice_id).await?;
    Ok(location_view(location, &rooms))
}

fn location_view(l: LocationRow, rooms: &[RoomRow]) -> LocationView {
    let mut rooms: Vec<RoomView> = rooms.iter().filter(|r| r.location_id == l.id).cloned().map(room_view).collect();
    rooms.sort_by_key(|r| (!r.active, r.name.to_lowercase()));
    LocationView {
        phone: l.phone.as_deref().map(|p| Phone::parse(p).map(|p| p.display()).unwrap_or_else(|_| p.to_string())),
        address: l.address_line1.clone().map(|line1| AddressView {
            line1,
            line2: l.address_line2.clone(),
            city: l.city.clone().unwrap_or_default(),
            state: l.state.clone().unwrap_or_default(),
            postal_code: l.postal_code.clone().unwrap_or_default(),
        }),
        id: l.id,
        name: l.name,
        rooms,
    }
}

fn room_view(r: RoomRow) -> RoomView {
    RoomView { id: r.id, location_id: r.location_id, name: r.name, active: r.active != 0 }
}

// ---------------------------------------------------------------------------------------------
// Appointment types
// ---------------------------------------------------------------------------------------------

impl App {
    /// The practice's appointment types by name, with colour, patient kind and providers.
    pub async fn appointment_type_details(&self, actor: &Actor) -> Result<Vec<AppointmentTypeDetailView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(sched::list_appointment_types(&mut conn, &actor.practice_id).await?.into_iter().map(type_view).collect())
    }

    /// Adds an appointment type offered by the providers named.
    pub async fn add_appointment_type(&self, actor: &Actor, input: &AppointmentTypeInput) -> Result<AppointmentTypeDetailView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let data = input.validate()?;
        let mut tx = self.store.begin().await?;
        check_type(&mut tx, &actor.practice_id, input, &data, None).await?;
        let row = type_row(&actor.practice_id, &new_id(), &data, &self.now_text());
        let provider_ids: Vec<String> = data.providers.iter().map(|p| p.as_str().to_string()).collect();
        sched::insert_appointment_type(&mut tx, &row, &provider_ids).await?;
        self.audit(
            &mut tx,
            actor,
            setup_note("appointment_type.create", "appointment_type", &row.id, format!("{} ({} min)", row.name, row.duration_minutes)),
        )
        .await?;
        tx.commit().await?;
        Ok(type_view(sched::AppointmentTypeWithProviders { appointment_type: row, provider_ids: sorted(provider_ids) }))
    }

    /// Changes an appointment type. Appointments already booked keep their length.
    pub async fn update_appointment_type(
        &self,
        actor: &Actor,
        type_id: &str,
        input: &AppointmentTypeInput,
    ) -> Result<AppointmentTypeDetailView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let id = AppointmentTypeId::parse(type_id).map_err(|_| AppError::NotFound("appointment type"))?;
        let data = input.validate()?;
        let mut tx = self.store.begin().await?;
        let before = sched::get_appointment_type(&mut tx, &actor.practice_id, id.as_str()).await?;
        check_type(&mut tx, &actor.practice_id, input, &data, Some(id.as_str())).await?;
        let row = type_row(&actor.practice_id, &before.id, &data, &before.created_at);
        let provider_ids: Vec<String> = data.providers.iter().map(|p| p.as_str().to_string()).collect();
        setup::update_appointment_type(&mut tx, &row, &provider_ids).await?;
        self.audit(
            &mut tx,
            actor,
            setup_note("appointment_type.update", "appointment_type", &row.id, format!("{} ({} min)", row.name, row.duration_minutes)),
        )
        .await?;
        tx.commit().await?;
        Ok(type_view(sched::AppointmentTypeWithProviders { appointment_type: row, provider_ids: sorted(provider_ids) }))
    }
}

/// The providers exist, and no other type has the name (a booking names its type by id or name).
async fn check_type(
    conn: &mut Connection,
    practice_id: &str,
    input: &AppointmentTypeInput,
    data: &AppointmentTypeData,
    except: Option<&str>,
) -> Result<()> {
    let mut e = ValidationErrors::new();
    let providers = practice_store::list_providers(conn, practice_id).await?;
    for (i, text) in input.provider_ids.iter().enumerate() {
        if !providers.iter().any(|p| p.id == text.trim()) {
            e.add(&format!("provider_ids[{i}]"), "no such provider");
        }
    }
    let types = sched::list_appointment_types(conn, practice_id).await?;
    if types.iter().any(|t| t.appointment_type.name.eq_ignore_ascii_case(&data.name) && Some(t.appointment_type.id.as_str()) != except) {
        e.add("name", format!("there is already an appointment type named {}", data.name));
    }
    Ok(e.into_result(())?)
}

fn type_row(practice_id: &str, id: &str, data: &AppointmentTypeData, created_at: &str) -> AppointmentTypeRow {
    AppointmentTypeRow {
        practice_id: practice_id.to_string(),
        id: id.to_string(),
        name: data.name.clone(),
        duration_minutes: i64::from(data.duration.minutes()),
        colour: data.colour.as_str().to_string(),
        patient_kind: data.patient_kind.as_str().to_string(),
        created_at: created_at.to_string(),
    }
}

fn type_view(t: sched::AppointmentTypeWithProviders) -> AppointmentTypeDetailView {
    let row = t.appointment_type;
    AppointmentTypeDetailView {
        id: row.id,
        name: row.name,
        duration_minutes: row.duration_minutes,
        colour: row.colour,
        patient_kind: row.patient_kind,
        provider_ids: t.provider_ids,
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// A stored type as the domain's, for the booking rules; `None` when the row no longer reads
/// (a check of stranded appointments skips it rather than failing the change).
fn domain_type(t: &sched::AppointmentTypeWithProviders) -> Option<AppointmentType> {
    let row = &t.appointment_type;
    Some(AppointmentType {
        id: AppointmentTypeId::new(row.id.clone()),
        data: AppointmentTypeData {
            name: row.name.clone(),
            duration: AppointmentDuration::from_minutes(u32::try_from(row.duration_minutes).ok()?).ok()?,
            colour: Colour::parse(&row.colour).ok()?,
            providers: t.provider_ids.iter().map(|p| ProviderId::new(p.clone())).collect(),
            patient_kind: PatientKind::parse(&row.patient_kind).ok()?,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Weekly templates
// ---------------------------------------------------------------------------------------------

impl App {
    /// A provider's weekly template, Monday first.
    pub async fn provider_template(&self, actor: &Actor, provider_id: &str) -> Result<ProviderTemplateView> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let provider = find_provider(&mut conn, &actor.practice_id, provider_id).await?;
        template_view(&mut conn, &actor.practice_id, &provider).await
    }

    /// Adds a line to a provider's template: working hours (with the types that go there and
    /// whether overbooking is allowed) or a block. Working hours that overlap other working hours
    /// of the same weekday are refused (`check_week`), with the message on `start`. Booked
    /// appointments are left as they are; the answer lists those now outside the hours.
    pub async fn add_template_entry(&self, actor: &Actor, provider_id: &str, input: &TemplateEntryInput) -> Result<TemplateChangeView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let provider = ProviderId::parse(provider_id).map_err(|_| AppError::NotFound("provider"))?;
        let input = TemplateEntryInput { provider_id: provider.as_str().to_string(), ..input.clone() };
        let entry = input.validate()?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let provider = find_provider(&mut tx, practice_id, provider.as_str()).await?;
        let mut e = ValidationErrors::new();
        let locations = sched::list_locations(&mut tx, practice_id).await?;
        if !locations.iter().any(|l| l.id == entry.location.as_str()) {
            e.add("location_id", "no such location");
        }
        if let EntryKind::Working { allowed_types: AllowedTypes::Only(ids), .. } = &entry.kind {
            let types = sched::list_appointment_types(&mut tx, practice_id).await?;
            for (i, id) in ids.iter().enumerate() {
                if !types.iter().any(|t| t.appointment_type.id == id.as_str()) {
                    e.add(&format!("appointment_type_ids[{i}]"), "no such appointment type");
                }
            }
        }
        let rows = sched::list_template_entries(&mut tx, practice_id, &provider.id).await?;
        let mut week = rows.iter().map(setup::template_entry_of).collect::<std::result::Result<Vec<_>, _>>()?;
        week.push(entry.clone());
        if let Err(overlaps) = check_week(&week) {
            let new = format!("entries[{}]", week.len() - 1);
            for f in overlaps.errors.into_iter().filter(|f| f.field == new) {
                e.add("start", describe_entries(&f.message, &rows, &locations));
            }
        }
        e.into_result(())?;
        let id = new_id();
        let now = self.now_text();
        sched::insert_template_entry(&mut tx, &setup::template_entry_row(practice_id, &id, &entry, &now)).await?;
        let outside = self.stranded_by_template(&mut tx, actor, &provider.id).await?;
        let what = match &entry.kind {
            EntryKind::Working { .. } => "working hours".to_string(),
            EntryKind::Block { reason } => format!("block ({reason})"),
        };
        self.audit(
            &mut tx,
            actor,
            setup_note(
                "schedule_template.add",
                "schedule_template_entry",
                &id,
                format!(
                    "provider {}: {} {} {what}; {} future appointment(s) outside the hours",
                    provider.id,
                    weekday_name(entry.weekday),
                    entry.hours,
                    outside.len()
                ),
            ),
        )
        .await?;
        let template = template_view(&mut tx, practice_id, &provider).await?;
        tx.commit().await?;
        Ok(TemplateChangeView { template, outside_hours: outside })
    }

    /// Removes a line of a provider's template. Booked appointments are left as they are; the
    /// answer lists those now outside the hours.
    pub async fn remove_template_entry(&self, actor: &Actor, provider_id: &str, entry_id: &str) -> Result<TemplateChangeView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let practice_id = actor.practice_id.as_str();
        let entry_id = id_shape(entry_id, "template entry")?;
        let mut tx = self.store.begin().await?;
        let provider = find_provider(&mut tx, practice_id, provider_id).await?;
        let row = setup::get_template_entry(&mut tx, practice_id, &entry_id).await?;
        if row.provider_id != provider.id {
            return Err(AppError::NotFound("template entry"));
        }
        let entry = setup::template_entry_of(&row)?;
        setup::delete_template_entry(&mut tx, practice_id, &provider.id, &row.id).await?;
        let outside = self.stranded_by_template(&mut tx, actor, &provider.id).await?;
        self.audit(
            &mut tx,
            actor,
            setup_note(
                "schedule_template.remove",
                "schedule_template_entry",
                &row.id,
                format!(
                    "provider {}: {} {} {}; {} future appointment(s) outside the hours",
                    provider.id,
                    weekday_name(entry.weekday),
                    entry.hours,
                    if entry.is_working() { "working hours" } else { "block" },
                    outside.len()
                ),
            ),
        )
        .await?;
        let template = template_view(&mut tx, practice_id, &provider).await?;
        tx.commit().await?;
        Ok(TemplateChangeView { template, outside_hours: outside })
    }

    /// The provider's future appointments (within a year) that the template as it now stands
    /// leaves outside the hours.
    async fn stranded_by_template(&self, conn: &mut Connection, actor: &Actor, provider_id: &str) -> Result<Vec<StrandedAppointmentView>> {
        let now = self.now().with_timezone(&actor.timezone).naive_local();
        let last = now.date().checked_add_days(Days::new(STRANDED_HORIZON_DAYS)).unwrap_or(now.date());
        stranded(conn, &actor.practice_id, actor.timezone, Some(provider_id), now, last).await
    }
}

/// The domain's "overlaps the working hours of entries[2] (08:00–12:00)" in the page's words:
/// the entry named by its weekday and location.
fn describe_entries(message: &str, rows: &[TemplateEntryRow], locations: &[LocationRow]) -> String {
    let mut out = message.to_string();
    for (i, row) in rows.iter().enumerate() {
        let marker = format!("entries[{i}]");
        if out.contains(&marker) {
            let day = setup::weekday_of(row.weekday).map(|d| capitalised(weekday_name(d))).unwrap_or_default();
            let at = locations.iter().find(|l| l.id == row.location_id).map(|l| format!(" at {}", l.name)).unwrap_or_default();
            out = out.replace(&marker, &format!("{day}{at}"));
        }
    }
    out
}

async fn find_provider(conn: &mut Connection, practice_id: &str, provider_id: &str) -> Result<ProviderRow> {
    let id = ProviderId::parse(provider_id).map_err(|_| AppError::NotFound("provider"))?;
    Ok(setup::get_provider(conn, practice_id, id.as_str()).await?)
}

async fn template_view(conn: &mut Connection, practice_id: &str, provider: &ProviderRow) -> Result<ProviderTemplateView> {
    let rows = sched::list_template_entries(conn, practice_id, &provider.id).await?;
    let locations = sched::list_locations(conn, practice_id).await?;
    let types = sched::list_appointment_types(conn, practice_id).await?;
    let entries = rows
        .iter()
        .map(|row| {
            let entry = setup::template_entry_of(row)?;
            let (kind, reason, type_ids, allow_overbook) = match entry.kind {
                EntryKind::Working { allowed_types: AllowedTypes::Any, allow_overbook } => ("working", None, Vec::new(), allow_overbook),
                EntryKind::Working { allowed_types: AllowedTypes::Only(ids), allow_overbook } => {
                    ("working", None, ids.iter().map(|i| i.as_str().to_string()).collect(), allow_overbook)
                }
                EntryKind::Block { reason } => ("block", Some(reason), Vec::new(), false),
            };
            let type_names = type_ids
                .iter()
                .map(|id: &String| {
                    types
                        .iter()
                        .find(|t| &t.appointment_type.id == id)
                        .map(|t| t.appointment_type.name.clone())
                        .unwrap_or_else(|| id.clone())
                })
                .collect();
            Ok(TemplateEntryView {
                id: row.id.clone(),
                provider_id: row.provider_id.clone(),
                location_id: row.location_id.clone(),
                location_name: locations.iter().find(|l| l.id == row.location_id).map(|l| l.name.clone()).unwrap_or_default(),
                weekday: weekday_name(entry.weekday).to_string(),
                start: entry.hours.start().format("%H:%M").to_string(),
                end: entry.hours.end().format("%H:%M").to_string(),
                kind: kind.to_string(),
                reason,
                appointment_type_ids: type_ids,
                appointment_type_names: type_names,
                allow_overbook,
            })
        })
        .collect::<std::result::Result<Vec<_>, StoreError>>()?;
    Ok(ProviderTemplateView { provider_id: provider.id.clone(), provider_name: provider_name(provider), entries })
}

// ---------------------------------------------------------------------------------------------
// Exceptions
// ---------------------------------------------------------------------------------------------

impl App {
    /// A provider's exceptions from today on (two years ahead), by date.
    pub async fn provider_exceptions(&self, actor: &Actor, provider_id: &str) -> Result<Vec<DayExceptionView>> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let provider = find_provider(&mut conn, &actor.practice_id, provider_id).await?;
        let today = actor.today(self.now());
        let last = today.checked_add_days(Days::new(EXCEPTIONS_AHEAD_DAYS)).unwrap_or(today);
        let rows = sched::list_exceptions(&mut conn, &actor.practice_id, &provider.id, today, last).await?;
        let locations = sched::list_locations(&mut conn, &actor.practice_id).await?;
        rows.iter().map(|r| exception_view(r, &locations)).collect()
    }

    /// Changes one date of a provider's schedule: closed (vacation), hours replaced (a half day),
    /// or hours added (an extra clinic). One exception per date; a date in the past is refused.
    /// Booked appointments are left as they are; the answer lists those now outside the hours.
    pub async fn add_schedule_exception(&self, actor: &Actor, provider_id: &str, input: &DayExceptionInput) -> Result<ExceptionChangeView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let provider = ProviderId::parse(provider_id).map_err(|_| AppError::NotFound("provider"))?;
        let input = DayExceptionInput { provider_id: provider.as_str().to_string(), ..input.clone() };
        let exception = input.validate()?;
        let today = actor.today(self.now());
        if exception.date < today {
            return Err(ValidationErrors::single("date", "that date has passed; choose today or a later date").into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let provider = find_provider(&mut tx, practice_id, provider.as_str()).await?;
        let locations = sched::list_locations(&mut tx, practice_id).await?;
        let mut e = ValidationErrors::new();
        if let ExceptionKind::ReplaceHours { location, .. } | ExceptionKind::ExtraHours { location, .. } = &exception.kind
            && !locations.iter().any(|l| l.id == location.as_str())
        {
            e.add("location_id", "no such location");
        }
        if !sched::list_exceptions(&mut tx, practice_id, &provider.id, exception.date, exception.date).await?.is_empty() {
            e.add("date", format!("{} already has an exception on {}; remove it first", provider_name(&provider), exception.date));
        }
        e.into_result(())?;
        let id = new_id();
        let row = setup::exception_row(practice_id, &id, &exception, &self.now_text());
        sched::insert_exception(&mut tx, &row).await.map_err(|err| match err {
            StoreError::Conflict(c) if setup::is_exception_date_conflict(&c) => {
                AppError::from(ValidationErrors::single("date", "the provider already has an exception on that date; remove it first"))
            }
            other => other.into(),
        })?;
        let outside = self.stranded_on(&mut tx, actor, Some(&provider.id), exception.date).await?;
        self.audit(
            &mut tx,
            actor,
            setup_note(
                "schedule_exception.add",
                "schedule_exception",
                &id,
                format!("provider {} {} {}; {} appointment(s) outside the hours", provider.id, row.date, row.kind, outside.len()),
            ),
        )
        .await?;
        let view = exception_view(&row, &locations)?;
        tx.commit().await?;
        Ok(ExceptionChangeView { exception: view, outside_hours: outside })
    }

    /// Removes an exception: the date follows the weekly template again.
    pub async fn remove_schedule_exception(&self, actor: &Actor, provider_id: &str, exception_id: &str) -> Result<ExceptionChangeView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let practice_id = actor.practice_id.as_str();
        let exception_id = id_shape(exception_id, "schedule exception")?;
        let mut tx = self.store.begin().await?;
        let provider = find_provider(&mut tx, practice_id, provider_id).await?;
        let row = setup::get_exception(&mut tx, practice_id, &exception_id).await?;
        if row.provider_id != provider.id {
            return Err(AppError::NotFound("schedule exception"));
        }
        let date = setup::exception_of(&row)?.date;
        setup::delete_exception(&mut tx, practice_id, &provider.id, &row.id).await?;
        let outside = self.stranded_on(&mut tx, actor, Some(&provider.id), date).await?;
        self.audit(
            &mut tx,
            actor,
            setup_note(
                "schedule_exception.remove",
                "schedule_exception",
                &row.id,
                format!("provider {} {} {}; {} appointment(s) outside the hours", provider.id, row.date, row.kind, outside.len()),
            ),
        )
        .await?;
        let locations = sched::list_locations(&mut tx, practice_id).await?;
        let view = exception_view(&row, &locations)?;
        tx.commit().await?;
        Ok(ExceptionChangeView { exception: view, outside_hours: outside })
    }

    /// The appointments of `date` (from now on) outside the hours, of one provider or of all.
    async fn stranded_on(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        provider_id: Option<&str>,
        date: NaiveDate,
    ) -> Result<Vec<StrandedAppointmentView>> {
        let now = self.now().with_timezone(&actor.timezone).naive_local();
        let from = now.max(date.and_time(NaiveTime::MIN));
        stranded(conn, &actor.practice_id, actor.timezone, provider_id, from, date).await
    }
}

fn exception_view(row: &ExceptionRow, locations: &[LocationRow]) -> Result<DayExceptionView> {
    let exception = setup::exception_of(row)?;
    let hours = match &exception.kind {
        ExceptionKind::Closed => Vec::new(),
        ExceptionKind::ReplaceHours { hours, .. } | ExceptionKind::ExtraHours { hours, .. } => hours
            .iter()
            .map(|h| HoursView { start: h.start().format("%H:%M").to_string(), end: h.end().format("%H:%M").to_string() })
            .collect(),
    };
    Ok(DayExceptionView {
        id: row.id.clone(),
        provider_id: row.provider_id.clone(),
        date: row.date.clone(),
        kind: row.kind.clone(),
        location_id: row.location_id.clone(),
        location_name: row.location_id.as_ref().and_then(|id| locations.iter().find(|l| &l.id == id)).map(|l| l.name.clone()),
        hours,
        note: row.reason.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// Holidays
// ---------------------------------------------------------------------------------------------

impl App {
    /// The practice's holidays of one year, by date.
    pub async fn holidays_in_year(&self, actor: &Actor, year: &str) -> Result<Vec<HolidayView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let (first, last) = year_bounds(year, actor.today(self.now()).year())?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let rows = sched::list_holidays(&mut conn, &actor.practice_id, first, last).await?;
        Ok(rows.into_iter().map(|h| HolidayView { date: h.date, name: h.name }).collect())
    }

    /// Closes the practice on a date: nothing can be booked that day. Appointments already booked
    /// are left as they are; the answer lists them.
    pub async fn add_holiday(&self, actor: &Actor, input: &HolidayInput) -> Result<HolidayChangeView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let holiday = input.validate()?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        if let Some(existing) = sched::list_holidays(&mut tx, practice_id, holiday.date, holiday.date).await?.first() {
            return Err(ValidationErrors::single("date", format!("{} is already a holiday ({})", existing.date, existing.name)).into());
        }
        let row = sched::HolidayRow {
            practice_id: practice_id.to_string(),
            date: holiday.date.to_string(),
            name: holiday.name.clone(),
            created_at: self.now_text(),
        };
        sched::insert_holiday(&mut tx, &row).await.map_err(|err| match err {
            StoreError::Conflict(c) if setup::is_holiday_date_conflict(&c) => {
                AppError::from(ValidationErrors::single("date", "that date is already a holiday"))
            }
            other => other.into(),
        })?;
        let outside = self.stranded_on(&mut tx, actor, None, holiday.date).await?;
        self.audit(
            &mut tx,
            actor,
            setup_note(
                "holiday.add",
                "practice_holiday",
                &row.date,
                format!("{}; {} appointment(s) already booked that day", row.name, outside.len()),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(HolidayChangeView { holiday: HolidayView { date: row.date, name: row.name }, outside_hours: outside })
    }

    /// Opens the date again (the providers' templates apply).
    pub async fn remove_holiday(&self, actor: &Actor, date: &str) -> Result<HolidayView> {
        self.authorize(actor, Action::ManageSchedules, None).await?;
        let date = parse_date(date).map_err(|_| AppError::NotFound("holiday"))?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let Some(existing) = sched::list_holidays(&mut tx, practice_id, date, date).await?.into_iter().next() else {
            return Err(AppError::NotFound("holiday"));
        };
        setup::delete_holiday(&mut tx, practice_id, &existing.date).await?;
        self.audit(&mut tx, actor, setup_note("holiday.remove", "practice_holiday", &existing.date, existing.name.clone())).await?;
        tx.commit().await?;
        Ok(HolidayView { date: existing.date, name: existing.name })
    }
}

/// The first and last date of `year` as typed (blank: `current`).
fn year_bounds(year: &str, current: i32) -> std::result::Result<(NaiveDate, NaiveDate), ValidationErrors> {
    let year = if year.trim().is_empty() {
        current
    } else {
        year.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| HOLIDAY_YEARS.contains(y))
            .ok_or_else(|| ValidationErrors::single("year", "give a year from 2000 to 2100, e.g. 2026"))?
    };
    match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
        (Some(first), Some(last)) => Ok((first, last)),
        _ => Err(ValidationErrors::single("year", "give a year from 2000 to 2100, e.g. 2026")),
    }
}

// ---------------------------------------------------------------------------------------------
// Appointments a change strands
// ---------------------------------------------------------------------------------------------

/// The appointments that hold their time from `from` to the end of `last` (of one provider, or of
/// every provider) and that the set-up as it now stands (template, exceptions, holidays) would not
/// let anyone book: the same `check_placement` a booking runs, with the appointment itself and the
/// others out of the way, so only the hours count (not a double booking or a type no longer
/// offered). At most `MAX_STRANDED`, by time.
async fn stranded(
    conn: &mut Connection,
    practice_id: &str,
    tz: Tz,
    provider_id: Option<&str>,
    from: NaiveDateTime,
    last: NaiveDate,
) -> Result<Vec<StrandedAppointmentView>> {
    let first = from.date();
    let end = last.checked_add_days(Days::new(1)).unwrap_or(last).and_time(NaiveTime::MIN);
    let mut rows: Vec<AppointmentRow> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut window_start = from;
    while window_start < end {
        let window_end = window_start.checked_add_days(Days::new(STRANDED_WINDOW_DAYS)).unwrap_or(end).min(end);
        let mut page =
            setup::list_occupying_appointments(conn, practice_id, provider_id, minute_of(window_start), minute_of(window_end), 2000)
                .await?;
        // A full page may have more behind it: continue from its last start.
        let full = page.len() == 2000;
        let next_start = page.last().and_then(|a| a.interval().ok()).map(|i| i.start());
        rows.extend(page.drain(..).filter(|a| seen.insert(a.id.clone())));
        window_start = match (full, next_start) {
            (true, Some(next)) if next > window_start => next,
            _ => window_end,
        };
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let types = sched::list_appointment_types(conn, practice_id).await?;
    let holidays = sched::list_holidays(conn, practice_id, first, last)
        .await?
        .into_iter()
        .filter_map(|h| parse_date(&h.date).ok().map(|date| Holiday { date, name: h.name }))
        .collect::<Vec<_>>();
    let mut providers: Vec<String> = rows.iter().map(|r| r.provider_id.clone()).collect();
    providers.sort();
    providers.dedup();
    let mut calendars = Vec::new();
    for provider in providers {
        let template = sched::list_template_entries(conn, practice_id, &provider).await?;
        let exceptions = sched::list_exceptions(conn, practice_id, &provider, first, last).await?;
        let template: Vec<TemplateEntry> = template.iter().map(setup::template_entry_of).collect::<std::result::Result<_, _>>()?;
        let exceptions: Vec<DayException> = exceptions.iter().map(setup::exception_of).collect::<std::result::Result<_, _>>()?;
        let id = ProviderId::new(provider);
        let calendar = ProviderCalendar::new(id.clone(), template, exceptions)
            .map_err(|e| AppError::Internal(format!("the calendar of provider {id}: {e}")))?;
        calendars.push(calendar);
    }
    let schedule = Schedule { calendars, holidays, appointments: Vec::new() };
    let mut out = Vec::new();
    for row in rows {
        if out.len() >= MAX_STRANDED {
            break;
        }
        let Some(appointment_type) = types.iter().find(|t| t.appointment_type.id == row.appointment_type_id).and_then(domain_type) else {
            continue;
        };
        let interval = row.interval()?;
        let proposed = ProposedBooking {
            provider: ProviderId::new(row.provider_id.clone()),
            interval,
            replaces: Some(AppointmentId::new(row.id.clone())),
        };
        match check_placement(&proposed, &appointment_type, &schedule) {
            Ok(_) | Err(Unbookable::Conflict(_) | Unbookable::TypeNotOffered) => {}
            Err(reason) => out.push(stranded_view(&row, &interval, &appointment_type, tz, reason.to_string())),
        }
    }
    Ok(out)
}

fn stranded_view(row: &AppointmentRow, interval: &Interval, t: &AppointmentType, tz: Tz, reason: String) -> StrandedAppointmentView {
    let rfc3339 = |local: NaiveDateTime| match tz.from_local_datetime(&local).earliest() {
        Some(at) => at.to_rfc3339(),
        None => format!("{}Z", local.format("%Y-%m-%dT%H:%M:%S")),
    };
    StrandedAppointmentView {
        appointment_id: row.id.clone(),
        patient_id: row.patient_id.clone(),
        provider_id: row.provider_id.clone(),
        start: rfc3339(interval.start()),
        end: rfc3339(interval.end()),
        date: interval.start().date().to_string(),
        time_range: format!("{}–{}", interval.start().format("%H:%M"), interval.end().format("%H:%M")),
        appointment_type_name: t.data.name.clone(),
        status: row.status.clone(),
        reason,
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// An id from a path, checked for the shape of every id (the domain's id rule) before it reaches a
/// lookup; anything else is simply not found.
fn id_shape(text: &str, what: &'static str) -> Result<String> {
    AppointmentId::parse(text).map(|id| id.as_str().to_string()).map_err(|_| AppError::NotFound(what))
}

/// An audit note of a set-up change (no patient involved).
fn setup_note<'a>(action: &'a str, record_type: &'a str, record_id: &'a str, detail: String) -> AuditNote<'a> {
    AuditNote { action, patient_id: None, record_type, record_id: Some(record_id), detail }
}

/// "name, colour" of the fields whose `same` flag is false, or "no change".
fn changed_fields(fields: &[(&str, bool)]) -> String {
    let changed: Vec<&str> = fields.iter().filter(|(_, same)| !same).map(|(name, _)| *name).collect();
    if changed.is_empty() { "no change".to_string() } else { format!("changed {}", changed.join(", ")) }
}

/// Required short text: no control characters, whitespace collapsed, at most `max` characters.
fn required_text(text: &str, max: usize, missing: &str) -> std::result::Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err("contains control characters (such as a line break); type it again".into());
    }
    let value = clean(text).ok_or_else(|| missing.to_string())?;
    if value.chars().count() > max {
        return Err(format!("at most {max} characters"));
    }
    Ok(value)
}

/// Optional short text: `None` when blank, otherwise the rules of [`required_text`].
fn optional_text(text: &str, max: usize) -> std::result::Result<Option<String>, String> {
    if text.trim().is_empty() && !text.chars().any(char::is_control) { Ok(None) } else { required_text(text, max, "").map(Some) }
}

/// `monday` as `Monday`.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npi_is_ten_digits_with_its_check_digit_and_may_be_typed_with_spaces() {
        assert_eq!(parse_npi(" 1234567893 "), Ok("1234567893".to_string()));
        assert_eq!(parse_npi("123-456-7893"), Ok("1234567893".to_string()));
        assert!(parse_npi("1234567890").is_err_and(|m| m.contains("check digit")));
        assert!(parse_npi("123456789").is_err_and(|m| m.contains("10 digits")));
        assert!(parse_npi("").is_err());
    }

    #[test]
    fn a_provider_needs_names_an_npi_and_a_colour_and_refuses_odd_credentials() {
        let fields = |input: &ProviderInput| {
            validate_provider(input).err().map(|e| e.errors.into_iter().map(|f| f.field).collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(fields(&ProviderInput::default()), ["family_name", "given_name", "npi", "colour"]);
        let good = ProviderInput {
            family_name: "Lopez".into(),
            given_name: "Maria".into(),
            credentials: "MD, PhD".into(),
            npi: "1234567893".into(),
            specialty: "Family medicine".into(),
            colour: "#1F77B4".into(),
            taxonomy_code: "207q00000x".into(),
        };
        let valid = validate_provider(&good).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(valid.colour, "#1f77b4");
        assert_eq!(valid.taxonomy_code.as_deref(), Some("207Q00000X"));
        assert_eq!(fields(&ProviderInput { taxonomy_code: "207Q0000".into(), ..good.clone() }), ["taxonomy_code"]);
        assert_eq!(valid.credentials.as_deref(), Some("MD, PhD"));
        assert_eq!(fields(&ProviderInput { credentials: "<b>MD</b>".into(), ..good }), ["credentials"]);
    }

    #[test]
    fn the_domains_entry_numbers_become_weekdays_and_locations() {
        let row = TemplateEntryRow {
            practice_id: "p".into(),
            id: "e".into(),
            provider_id: "dr".into(),
            location_id: "main".into(),
            weekday: 1,
            start_minute: 480,
            end_minute: 720,
            kind: "work".into(),
            reason: None,
            allowed_type_ids: None,
            allow_overbook: 0,
            created_at: String::new(),
        };
        let location = LocationRow {
            practice_id: "p".into(),
            id: "main".into(),
            name: "Main office".into(),
            phone: None,
            address_line1: None,
            address_line2: None,
            city: None,
            state: None,
            postal_code: None,
            created_at: String::new(),
        };
        assert_eq!(
            describe_entries("overlaps the working hours of entries[0] (08:00–12:00)", &[row], &[location]),
            "overlaps the working hours of Monday at Main office (08:00–12:00)"
        );
    }

    #[test]
    fn a_holiday_year_is_blank_for_this_year_or_a_plausible_year() {
        assert_eq!(year_bounds("", 2026).map(|(a, b)| (a.to_string(), b.to_string())), Ok(("2026-01-01".into(), "2026-12-31".into())));
        assert!(year_bounds("1999", 2026).is_err());
        assert!(year_bounds("next", 2026).is_err());
    }
}
