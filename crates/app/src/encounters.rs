//! Encounters and charges: a visit coded on the superbill (who, where, when, up to 12 diagnoses in
//! claim order and the service lines), and posting its charges.
//!
//! Posting is one transaction: the ledger entry (Dr AR - Insurance with payer, patient and claim
//! on the line, or AR - Patients for self-pay; Cr Patient service revenue; key
//! `charges:<encounter id>`), the claim (draft) to the primary coverage's payer, its first
//! history event and its first scrub, the encounter marked posted, and the audit record. A posted
//! encounter no longer changes; a correction goes through its claim (replacement or void).
//!
//! Coding needs [`Action::CodeEncounters`] (providers, billers, the office manager); posting
//! needs [`Action::PostCharges`] (billers and the office manager).

use crate::claims::{insert_claim_for, scrub_claim};
use crate::code_sets::{DiagnosisStatus, diagnosis_status_on};
use crate::fees::quote_fee;
use crate::ledger::{NewEntry, NewLine};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::coding::{parse_any_procedure_code, parse_icd10cm, parse_modifier, parse_place_of_service};
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::code_sets as code_store;
use medoffice_store::encounters::{self as store, EncounterLineRow, EncounterRow};
use medoffice_store::{
    Connection, StoreError, new_id, patients as patient_store, practice as practice_store, scheduling as schedule_store,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The source kind of a charges entry.
pub const SOURCE_CHARGES: &str = "charges";
/// At most 12 diagnoses on an encounter (the claim's HI01-HI12).
pub const MAX_DIAGNOSES: usize = 12;
/// At most 50 service lines (a professional claim's limit).
pub const MAX_LINES: usize = 50;
/// At most 4 modifiers and 4 diagnosis pointers per line.
pub const MAX_MODIFIERS: usize = 4;
pub const MAX_POINTERS: usize = 4;
/// At most 999 units on a line.
pub const MAX_UNITS: i64 = 999;
/// Appointment statuses after check-in: an encounter can be opened from these.
const CHECKED_IN: [&str; 4] = ["arrived", "in_room", "checked_out", "completed"];

/// An encounter as typed on the superbill.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct EncounterInput {
    pub patient_id: String,
    /// Blank for a visit without an appointment.
    pub appointment_id: String,
    pub rendering_provider_id: String,
    /// Blank: the rendering provider.
    pub billing_provider_id: String,
    /// Two digits; blank: 11 (office).
    pub place_of_service: String,
    /// `YYYY-MM-DD`; blank: the appointment's date.
    pub service_date: String,
    /// ICD-10-CM codes, the principal first; blank entries are skipped.
    pub diagnoses: Vec<String>,
    pub lines: Vec<LineInput>,
}

/// A service line as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LineInput {
    pub procedure_code: String,
    /// Up to four, separated by spaces or commas.
    pub modifiers: String,
    /// Blank: 1.
    pub units: String,
    /// The line's charge (all units); blank: the standard fee times the units.
    pub charge: String,
    /// Positions in the diagnosis list (1-based), separated by spaces or commas; blank: 1.
    pub pointers: String,
    /// Blank: the encounter's date.
    pub service_date: String,
}

impl LineInput {
    fn is_blank(&self) -> bool {
        [&self.procedure_code, &self.modifiers, &self.charge, &self.pointers].iter().all(|s| s.trim().is_empty())
    }
}

/// A service line as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    pub line_number: i64,
    pub procedure_code: String,
    pub description: Option<String>,
    pub modifiers: Vec<String>,
    pub units: i64,
    pub charge_cents: i64,
    pub charge: String,
    pub pointers: Vec<u8>,
    pub service_date: String,
}

/// A diagnosis as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosisLine {
    pub position: usize,
    pub code: String,
    pub description: String,
}

/// An encounter as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EncounterView {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub appointment_id: Option<String>,
    pub rendering_provider_id: String,
    pub billing_provider_id: String,
    pub place_of_service: String,
    pub service_date: String,
    /// `open` or `posted`.
    pub status: String,
    pub diagnoses: Vec<DiagnosisLine>,
    pub lines: Vec<LineView>,
    pub total_cents: i64,
    pub total: String,
    pub journal_entry_id: Option<String>,
    pub claim_id: Option<String>,
}

impl EncounterView {
    /// The encounter as the superbill form's input, to edit it.
    pub fn to_input(&self) -> EncounterInput {
        EncounterInput {
            patient_id: self.patient_id.clone(),
            appointment_id: self.appointment_id.clone().unwrap_or_default(),
            rendering_provider_id: self.rendering_provider_id.clone(),
            billing_provider_id: self.billing_provider_id.clone(),
            place_of_service: self.place_of_service.clone(),
            service_date: self.service_date.clone(),
            diagnoses: self.diagnoses.iter().map(|d| d.code.clone()).collect(),
            lines: self
                .lines
                .iter()
                .map(|l| LineInput {
                    procedure_code: l.procedure_code.clone(),
                    modifiers: l.modifiers.join(" "),
                    units: l.units.to_string(),
                    charge: l.charge.clone(),
                    pointers: l.pointers.iter().map(u8::to_string).collect::<Vec<_>>().join(","),
                    service_date: l.service_date.clone(),
                })
                .collect(),
        }
    }
}

/// What posting charges did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostedCharges {
    pub encounter_id: String,
    pub journal_entry_id: String,
    pub total_cents: i64,
    /// The claim made for the primary coverage's payer; none for self-pay.
    pub claim_id: Option<String>,
    /// True when the encounter had been posted before (nothing new was written).
    pub already_posted: bool,
}

/// A diagnosis offered first on the superbill (the patient's recent ones).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosisOffer {
    pub code: String,
    pub description: String,
}

fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn parse_date(field: &str, text: &str, errors: &mut ValidationErrors) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "enter a date as YYYY-MM-DD");
            None
        }
    }
}

/// The checked encounter: header, diagnoses and lines.
struct Checked {
    patient_id: String,
    appointment_id: Option<String>,
    rendering_provider_id: String,
    billing_provider_id: String,
    place_of_service: String,
    service_date: NaiveDate,
    diagnoses: Vec<String>,
    lines: Vec<EncounterLineRow>,
}

/// Validates an encounter whole, every field at fault named: providers and patient exist, the
/// appointment (if any) is the patient's and checked in, diagnoses are billable ICD-10-CM codes
/// on the date of service, lines are the practice's codes with a charge (typed or from the fee
/// schedule) and pointers into the diagnoses, and no date is in the future.
async fn check_encounter(
    conn: &mut Connection,
    actor: &Actor,
    today: NaiveDate,
    input: &EncounterInput,
    encounter_id: &str,
) -> Result<Checked> {
    let mut errors = ValidationErrors::new();
    let practice_id = actor.practice_id.as_str();
    let patient_id = input.patient_id.trim().to_string();
    if patient_id.is_empty() {
        errors.add("patient_id", "choose the patient");
    } else if patient_store::get(conn, practice_id, &patient_id).await.is_err() {
        errors.add("patient_id", "no such patient");
    }
    let mut service_date = None;
    let appointment_id = match input.appointment_id.trim() {
        "" => None,
        id => match schedule_store::get_appointment(conn, practice_id, id).await {
            Ok(a) => {
                if a.patient_id != patient_id {
                    errors.add("appointment_id", "the appointment is another patient's");
                } else if !CHECKED_IN.contains(&a.status.as_str()) {
                    errors.add("appointment_id", "the patient has not been checked in for this appointment");
                }
                if let Some(existing) = store::by_appointment(conn, practice_id, id).await?
                    && existing.id != encounter_id
                {
                    errors.add("appointment_id", "this appointment already has an encounter");
                }
                service_date = NaiveDate::parse_from_str(a.start_at.get(..10).unwrap_or(""), "%Y-%m-%d").ok();
                Some(id.to_string())
            }
            Err(_) => {
                errors.add("appointment_id", "no such appointment");
                None
            }
        },
    };
    if !input.service_date.trim().is_empty() {
        service_date = parse_date("service_date", &input.service_date, &mut errors);
    } else if service_date.is_none() {
        errors.add("service_date", "enter the date of service");
    }
    if let Some(d) = service_date
        && d > today
    {
        errors.add("service_date", "the date of service cannot be in the future");
        service_date = None;
    }
    let providers = practice_store::list_providers(conn, practice_id).await?;
    let rendering = input.rendering_provider_id.trim().to_string();
    if !providers.iter().any(|p| p.id == rendering) {
        errors.add("rendering_provider_id", "choose the provider who saw the patient");
    }
    let billing = match input.billing_provider_id.trim() {
        "" => rendering.clone(),
        b => b.to_string(),
    };
    if !providers.iter().any(|p| p.id == billing) {
        errors.add("billing_provider_id", "choose the billing provider");
    }
    let place_of_service = match input.place_of_service.trim() {
        "" => Some("11".to_string()),
        p => errors.check("place_of_service", parse_place_of_service(p)),
    };

    // Diagnoses, in order; blanks skipped (a form has twelve boxes).
    let typed: Vec<(usize, &str)> = input.diagnoses.iter().enumerate().map(|(i, d)| (i, d.trim())).filter(|(_, d)| !d.is_empty()).collect();
    let mut diagnoses = Vec::new();
    if typed.is_empty() {
        errors.add("diagnoses", "enter at least one diagnosis");
    } else if typed.len() > MAX_DIAGNOSES {
        errors.add("diagnoses", format!("at most {MAX_DIAGNOSES} diagnoses go on a claim"));
    }
    for (i, text) in typed.iter().take(MAX_DIAGNOSES) {
        let field = format!("diagnoses[{i}]");
        let Some(code) = errors.check(&field, parse_icd10cm(text)) else { continue };
        if diagnoses.contains(&code) {
            errors.add(&field, format!("{code} is already on the list"));
            continue;
        }
        if let Some(on) = service_date {
            let status = diagnosis_status_on(conn, &code, on).await?;
            if let Some(problem) = status.problem(&code, on) {
                errors.add(&field, problem);
            }
        }
        diagnoses.push(code);
    }

    let typed_lines: Vec<(usize, &LineInput)> = input.lines.iter().enumerate().filter(|(_, l)| !l.is_blank()).collect();
    if typed_lines.is_empty() {
        errors.add("lines", "enter at least one service line");
    } else if typed_lines.len() > MAX_LINES {
        errors.add("lines", format!("at most {MAX_LINES} lines go on a claim"));
    }
    let mut lines = Vec::new();
    for (n, (i, l)) in typed_lines.iter().take(MAX_LINES).enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let mut code = errors.check(&field("procedure_code"), parse_any_procedure_code(&l.procedure_code));
        let line_date = match l.service_date.trim() {
            "" => service_date,
            d => {
                let date = parse_date(&field("service_date"), d, &mut errors);
                if let Some(x) = date
                    && x > today
                {
                    errors.add(&field("service_date"), "the date of service cannot be in the future");
                }
                date
            }
        };
        if let (Some(c), Some(on)) = (&code, line_date)
            && code_store::procedure_on(conn, practice_id, c, &on.to_string()).await?.is_none()
        {
            errors.add(&field("procedure_code"), format!("{c} is not one of the practice's procedure codes on {on}"));
            // Its fee is not looked up: one message for the line's code is enough.
            code = None;
        }
        let typed_mods = split_list(&l.modifiers);
        let mut modifiers = Vec::new();
        if typed_mods.len() > MAX_MODIFIERS {
            errors.add(&field("modifiers"), format!("at most {MAX_MODIFIERS} modifiers"));
        }
        for m in typed_mods.iter().take(MAX_MODIFIERS) {
            if let Some(m) = errors.check(&field("modifiers"), parse_modifier(m)) {
                modifiers.push(m);
            }
        }
        let units = match l.units.trim() {
            "" => Some(1),
            u => match u.parse::<i64>() {
                Ok(n) if (1..=MAX_UNITS).contains(&n) => Some(n),
                _ => {
                    errors.add(&field("units"), format!("enter a whole number of units from 1 to {MAX_UNITS}"));
                    None
                }
            },
        };
        let charge = match l.charge.trim() {
            "" => match (&code, units) {
                (Some(c), Some(u)) => {
                    let first = modifiers.first().map(String::as_str).unwrap_or("");
                    let on = line_date.map(|d| d.to_string()).unwrap_or_default();
                    match quote_fee(conn, practice_id, c, first, None, &on).await?.charge_cents {
                        Some(fee) => fee.checked_mul(u),
                        None => {
                            errors.add(&field("charge"), format!("{c} has no standard fee: enter the charge"));
                            None
                        }
                    }
                }
                _ => None,
            },
            text => match Money::parse(text) {
                Ok(m) if m.cents() > 0 => Some(m.cents()),
                Ok(_) => {
                    errors.add(&field("charge"), "the charge must be more than zero");
                    None
                }
                Err(e) => {
                    errors.add(&field("charge"), e);
                    None
                }
            },
        };
        let mut pointers: Vec<u8> = Vec::new();
        let typed_pointers = match split_list(&l.pointers) {
            p if p.is_empty() => vec!["1".to_string()],
            p => p,
        };
        if typed_pointers.len() > MAX_POINTERS {
            errors.add(&field("pointers"), format!("a line points to at most {MAX_POINTERS} diagnoses"));
        }
        for p in typed_pointers.iter().take(MAX_POINTERS) {
            match p.parse::<u8>() {
                Ok(n) if n >= 1 && usize::from(n) <= typed.len() => {
                    if pointers.contains(&n) {
                        errors.add(&field("pointers"), format!("diagnosis {n} is named twice"));
                    } else {
                        pointers.push(n);
                    }
                }
                _ => errors.add(&field("pointers"), format!("'{p}' is not a diagnosis on the list (1 to {})", typed.len().max(1))),
            }
        }
        if let (Some(code), Some(units), Some(charge), Some(date)) = (code, units, charge, line_date) {
            lines.push(EncounterLineRow {
                practice_id: practice_id.to_string(),
                encounter_id: encounter_id.to_string(),
                line_number: n as i64 + 1,
                procedure_code: code,
                modifiers: modifiers.join(","),
                units,
                charge_cents: charge,
                pointers: pointers.iter().map(u8::to_string).collect::<Vec<_>>().join(","),
                service_date: date.to_string(),
            });
        }
    }
    match (service_date, place_of_service) {
        (Some(service_date), Some(place_of_service)) if errors.is_empty() => Ok(Checked {
            patient_id,
            appointment_id,
            rendering_provider_id: rendering,
            billing_provider_id: billing,
            place_of_service,
            service_date,
            diagnoses,
            lines,
        }),
        _ => Err(errors.into()),
    }
}

/// The pointers of a stored line.
pub(crate) fn pointers_of(text: &str) -> Vec<u8> {
    text.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

/// The modifiers of a stored line.
pub(crate) fn modifiers_of(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect()
}

/// An encounter read whole, inside the caller's transaction.
pub(crate) async fn encounter_view(conn: &mut Connection, practice_id: &str, id: &str) -> Result<EncounterView> {
    let e = store::get(conn, practice_id, id).await?;
    let patient = patient_store::get(conn, practice_id, &e.patient_id).await?;
    let on = e.service_date.clone();
    let date = NaiveDate::parse_from_str(&on, "%Y-%m-%d").map_err(|e| AppError::Internal(e.to_string()))?;
    let mut diagnoses = Vec::new();
    for (i, code) in store::diagnoses(conn, practice_id, id).await?.into_iter().enumerate() {
        let description = match diagnosis_status_on(conn, &code, date).await? {
            DiagnosisStatus::Billable { description } | DiagnosisStatus::Header { description } => description,
            _ => String::new(),
        };
        diagnoses.push(DiagnosisLine { position: i + 1, code, description });
    }
    let mut lines = Vec::new();
    for l in store::lines(conn, practice_id, id).await? {
        let description =
            code_store::procedure_on(conn, practice_id, &l.procedure_code, &l.service_date).await?.map(|p| p.short_description);
        lines.push(LineView {
            line_number: l.line_number,
            description,
            modifiers: modifiers_of(&l.modifiers),
            units: l.units,
            charge: Money::from_cents(l.charge_cents).to_string(),
            charge_cents: l.charge_cents,
            pointers: pointers_of(&l.pointers),
            procedure_code: l.procedure_code,
            service_date: l.service_date,
        });
    }
    let total_cents = lines.iter().map(|l| l.charge_cents).sum();
    Ok(EncounterView {
        id: e.id,
        patient_id: e.patient_id,
        patient_name: format!("{}, {}", patient.family_name, patient.given_name),
        appointment_id: e.appointment_id,
        rendering_provider_id: e.rendering_provider_id,
        billing_provider_id: e.billing_provider_id,
        place_of_service: e.place_of_service,
        service_date: e.service_date,
        status: e.status,
        diagnoses,
        lines,
        total_cents,
        total: Money::from_cents(total_cents).to_string(),
        journal_entry_id: e.journal_entry_id,
        claim_id: e.claim_id,
    })
}

/// Whether a coverage is in force on a date.
pub(crate) fn coverage_active_on(start_date: &str, end_date: Option<&str>, on: &str) -> bool {
    start_date <= on && end_date.is_none_or(|end| end >= on)
}

impl App {
    /// Opens an encounter, coded whole, for a checked-in appointment or a visit without one.
    pub async fn open_encounter(&self, actor: &Actor, input: &EncounterInput) -> Result<EncounterView> {
        self.authorize(actor, Action::CodeEncounters, Some(input.patient_id.trim())).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let id = new_id();
        let c = check_encounter(&mut tx, actor, today, input, &id).await?;
        let now = self.now_text();
        let row = EncounterRow {
            practice_id: actor.practice_id.clone(),
            id: id.clone(),
            patient_id: c.patient_id.clone(),
            appointment_id: c.appointment_id,
            rendering_provider_id: c.rendering_provider_id,
            billing_provider_id: c.billing_provider_id,
            place_of_service: c.place_of_service,
            service_date: c.service_date.to_string(),
            status: "open".into(),
            coverage_id: None,
            journal_entry_id: None,
            claim_id: None,
            created_by: actor.user_id.clone(),
            created_at: now.clone(),
            updated_at: now,
            posted_at: None,
        };
        store::insert(&mut tx, &row).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict("this appointment already has an encounter".into()),
            other => other.into(),
        })?;
        store::replace_coding(&mut tx, &actor.practice_id, &id, &c.diagnoses, &c.lines).await?;
        let detail = format!("{} on {}: {} diagnoses, {} lines", row.id, row.service_date, c.diagnoses.len(), c.lines.len());
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "encounter.open",
                patient_id: Some(&row.patient_id),
                record_type: "encounter",
                record_id: Some(&id),
                detail,
            },
        )
        .await?;
        let view = encounter_view(&mut tx, &actor.practice_id, &id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Saves an open encounter's coding again (the superbill is saved whole).
    pub async fn update_encounter(&self, actor: &Actor, encounter_id: &str, input: &EncounterInput) -> Result<EncounterView> {
        self.authorize(actor, Action::CodeEncounters, None).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let existing = store::get(&mut tx, &actor.practice_id, encounter_id).await?;
        if existing.status != "open" {
            return Err(AppError::Conflict("the charges of this encounter are posted; correct its claim instead".into()));
        }
        let mut input = input.clone();
        input.patient_id = existing.patient_id.clone();
        input.appointment_id = existing.appointment_id.clone().unwrap_or_default();
        let c = check_encounter(&mut tx, actor, today, &input, encounter_id).await?;
        let row = EncounterRow {
            rendering_provider_id: c.rendering_provider_id,
            billing_provider_id: c.billing_provider_id,
            place_of_service: c.place_of_service,
            service_date: c.service_date.to_string(),
            updated_at: self.now_text(),
            ..existing
        };
        store::update_header(&mut tx, &row).await?;
        store::replace_coding(&mut tx, &actor.practice_id, encounter_id, &c.diagnoses, &c.lines).await?;
        let detail = format!("{} diagnoses, {} lines", c.diagnoses.len(), c.lines.len());
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "encounter.update",
                patient_id: Some(&row.patient_id),
                record_type: "encounter",
                record_id: Some(encounter_id),
                detail,
            },
        )
        .await?;
        let view = encounter_view(&mut tx, &actor.practice_id, encounter_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// One encounter (an audited read of the patient's record).
    pub async fn encounter(&self, actor: &Actor, encounter_id: &str) -> Result<EncounterView> {
        if !(actor.role.may(Action::CodeEncounters) || actor.role.may(Action::ReadClaims)) {
            self.authorize(actor, Action::CodeEncounters, None).await?;
        }
        let mut tx = self.store.begin().await?;
        let view = encounter_view(&mut tx, &actor.practice_id, encounter_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "encounter.read",
                patient_id: Some(&view.patient_id),
                record_type: "encounter",
                record_id: Some(encounter_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The encounter of an appointment, if one was opened.
    pub async fn encounter_of_appointment(&self, actor: &Actor, appointment_id: &str) -> Result<Option<String>> {
        self.authorize(actor, Action::CodeEncounters, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::by_appointment(&mut conn, &actor.practice_id, appointment_id).await?.map(|e| e.id))
    }

    /// A new superbill's input for an appointment: its patient, provider and date.
    pub async fn encounter_input_for_appointment(&self, actor: &Actor, appointment_id: &str) -> Result<EncounterInput> {
        self.authorize(actor, Action::CodeEncounters, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let a = schedule_store::get_appointment(&mut conn, &actor.practice_id, appointment_id).await?;
        Ok(EncounterInput {
            patient_id: a.patient_id,
            appointment_id: a.id,
            rendering_provider_id: a.provider_id.clone(),
            billing_provider_id: a.provider_id,
            place_of_service: "11".into(),
            service_date: a.start_at.get(..10).unwrap_or("").to_string(),
            ..Default::default()
        })
    }

    /// The diagnoses a patient was coded with before, most recent first: offered first on the
    /// superbill.
    pub async fn recent_diagnoses(&self, actor: &Actor, patient_id: &str) -> Result<Vec<DiagnosisOffer>> {
        self.authorize(actor, Action::CodeEncounters, Some(patient_id)).await?;
        let today = actor.today(self.now());
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let mut offers = Vec::new();
        for code in store::recent_diagnoses_of_patient(&mut conn, &actor.practice_id, patient_id, 12).await? {
            if let DiagnosisStatus::Billable { description } = diagnosis_status_on(&mut conn, &code, today).await? {
                offers.push(DiagnosisOffer { code, description });
            }
        }
        Ok(offers)
    }

    /// The latest encounters (open ones to code and post, or all).
    pub async fn recent_encounters(&self, actor: &Actor, status: Option<&str>) -> Result<Vec<EncounterView>> {
        self.authorize(actor, Action::CodeEncounters, None).await?;
        let mut tx = self.store.begin().await?;
        let mut views = Vec::new();
        for e in store::list_recent(&mut tx, &actor.practice_id, status, 100).await? {
            views.push(encounter_view(&mut tx, &actor.practice_id, &e.id).await?);
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "encounter.list",
                patient_id: None,
                record_type: "encounter",
                record_id: None,
                detail: format!("{} encounters", views.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(views)
    }

    /// Posts an encounter's charges: the ledger entry, the claim (draft, scrubbed) for the
    /// primary coverage's payer, and the encounter marked posted, in one transaction. Posting a
    /// posted encounter again returns what was posted.
    pub async fn post_charges(&self, actor: &Actor, encounter_id: &str) -> Result<PostedCharges> {
        self.authorize(actor, Action::PostCharges, None).await?;
        let mut tx = self.store.begin().await?;
        let practice_id = actor.practice_id.clone();
        let e = store::get(&mut tx, &practice_id, encounter_id).await?;
        if e.status == "posted" {
            let total_cents = store::lines(&mut tx, &practice_id, encounter_id).await?.iter().map(|l| l.charge_cents).sum();
            return Ok(PostedCharges {
                encounter_id: e.id,
                journal_entry_id: e.journal_entry_id.unwrap_or_default(),
                total_cents,
                claim_id: e.claim_id,
                already_posted: true,
            });
        }
        let lines = store::lines(&mut tx, &practice_id, encounter_id).await?;
        let total_cents = lines.iter().try_fold(0i64, |sum, l| sum.checked_add(l.charge_cents)).unwrap_or(-1);
        if total_cents <= 0 {
            let mut errors = ValidationErrors::new();
            errors.add("lines", "the encounter has no charge to post");
            return Err(errors.into());
        }
        // The primary coverage: the one in force on the date of service, else any primary (the
        // scrubber then says it was not in force), else the visit is self-pay.
        let coverages = patient_store::coverages_of(&mut tx, &practice_id, &e.patient_id).await?;
        let primaries: Vec<_> = coverages.iter().filter(|c| c.coverage.priority == 1).collect();
        let coverage = primaries
            .iter()
            .find(|c| coverage_active_on(&c.coverage.start_date, c.coverage.end_date.as_deref(), &e.service_date))
            .or(primaries.first())
            .map(|c| c.coverage.clone());
        let claim_id = coverage.as_ref().map(|_| new_id());
        let line = match (&coverage, &claim_id) {
            (Some(c), Some(claim_id)) => NewLine {
                payer_id: Some(c.payer_id.clone()),
                claim_id: Some(claim_id.clone()),
                ..NewLine::debit(accounts::AR_INSURANCE, total_cents).patient(&e.patient_id)
            },
            _ => NewLine::debit(accounts::AR_PATIENTS, total_cents).patient(&e.patient_id),
        };
        let date = NaiveDate::parse_from_str(&e.service_date, "%Y-%m-%d").map_err(|err| AppError::Internal(err.to_string()))?;
        let entry = NewEntry {
            date: Some(date),
            memo: format!("Charges, visit of {}", e.service_date),
            source_kind: SOURCE_CHARGES.into(),
            source_id: Some(e.id.clone()),
            idempotency_key: Some(format!("charges:{}", e.id)),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines: vec![line, NewLine::credit(accounts::PATIENT_SERVICE_REVENUE, total_cents).patient(&e.patient_id)],
        };
        let posted = self.post_entry(&mut tx, &practice_id, &entry).await?;
        if let (Some(c), Some(claim_id)) = (&coverage, &claim_id) {
            insert_claim_for(&mut tx, actor, &e, c, claim_id, total_cents, &self.now_text()).await?;
        }
        let now = self.now_text();
        if !store::mark_posted(
            &mut tx,
            &practice_id,
            &e.id,
            coverage.as_ref().map(|c| c.id.as_str()),
            &posted.entry.id,
            claim_id.as_deref(),
            &now,
        )
        .await?
        {
            return Err(AppError::Conflict("this encounter was posted meanwhile".into()));
        }
        if let Some(claim_id) = &claim_id {
            scrub_claim(&mut tx, actor, actor.today(self.now()), claim_id, &now).await?;
        }
        let detail =
            format!("{} charged {} ({})", e.id, Money::from_cents(total_cents), if claim_id.is_some() { "insurance" } else { "self-pay" });
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "charges.post", patient_id: Some(&e.patient_id), record_type: "encounter", record_id: Some(&e.id), detail },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PostedCharges { encounter_id: e.id, journal_entry_id: posted.entry.id, total_cents, claim_id, already_posted: false })
    }
}
