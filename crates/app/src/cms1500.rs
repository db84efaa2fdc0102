//! Paper claims: a claim on the CMS-1500 (02/12) form, for payers that take no electronic claims
//! and for review of any claim.
//!
//! **The form.** [`claim_forms`] reads a claim whole (encounter, diagnoses, lines, patient,
//! coverage and the patient's other coverage, payer, practice, providers, the visit's location)
//! and fills every box medoffice has data for (`medoffice_pdf::cms1500` places them on the NUCC
//! grid). Six service lines fit on a sheet; a claim with more continues on further sheets, each
//! totalled on its own. Printed on plain paper the form is drawn too; on the pre-printed red form
//! only the data is printed, moved by the practice's alignment offsets ([`ClaimFormSettings`]).
//!
//! **Paper payers.** A payer whose `accepts_electronic_claims` is off never gets an 837P: the
//! export leaves its ready claims out (`store::cms1500::ready_electronic_ids`), and "Print paper
//! claims" ([`App::print_paper_claims`]) scrubs them again (one with problems goes back to draft,
//! as at an export), prints the rest into one PDF, keeps the file in the blob store and marks the
//! claims sent, in one transaction. The kept file is what a reprint serves.

use crate::claims::{ClaimStatus, patient_control_number, scrub_claim};
use crate::encounters::{coverage_active_on, modifiers_of, pointers_of};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_pdf::cms1500::{self as form, ClaimForm, InsuranceType, Mode, Relationship, ServiceLine, Sex};
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::claims::{self as claim_store, ClaimEventRow, ClaimRow};
use medoffice_store::cms1500::{self as store, ClaimFormSettingsRow, PaperPrintRow};
use medoffice_store::encounters as encounter_store;
use medoffice_store::patients::PatientRow;
use medoffice_store::{Connection, StoreError, code_sets as code_store, new_id, next_counter, patients as patient_store, schedule_setup};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The most ready paper claims one print run takes.
pub const MAX_PRINT_CLAIMS: i64 = 500;
/// The largest alignment offset either way: an inch, in points.
pub const MAX_OFFSET_POINTS: i64 = 72;

/// Plain paper (the form drawn) or the pre-printed red form (data only, with the offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    Plain,
    Red,
}

impl FormKind {
    /// `plain` (or blank) and `red`; anything else is refused on `form`.
    pub fn parse(text: &str) -> Result<FormKind> {
        match text.trim() {
            "" | "plain" => Ok(FormKind::Plain),
            "red" => Ok(FormKind::Red),
            other => {
                let mut errors = ValidationErrors::new();
                errors.add("form", format!("'{other}' is not a form: choose plain or red"));
                Err(errors.into())
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FormKind::Plain => "plain",
            FormKind::Red => "red",
        }
    }
}

/// The red form's alignment offsets: the data moves right and down by these many points (1/72
/// inch; negative moves left or up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimFormSettings {
    pub offset_right_points: i64,
    pub offset_down_points: i64,
}

/// The offsets as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ClaimFormSettingsInput {
    pub offset_right_points: String,
    pub offset_down_points: String,
}

/// A printed file.
#[derive(Debug, Clone)]
pub struct ClaimFormFile {
    pub filename: String,
    pub bytes: Vec<u8>,
    /// Sheets (pages) in the file.
    pub sheets: usize,
}

/// A run of "Print paper claims" as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaperPrintView {
    pub id: String,
    pub print_number: i64,
    /// `plain` or `red`.
    pub form: String,
    pub claim_count: i64,
    pub sheet_count: i64,
    pub total_cents: i64,
    pub total: String,
    pub created_by: String,
    pub created_at: String,
}

/// What a print run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaperPrintResult {
    /// The print, or none when no paper claim was ready.
    pub print: Option<PaperPrintView>,
    /// Ready claims the scrubber sent back to draft, by claim number.
    pub returned_to_draft: Vec<i64>,
}

/// The paper claims page: how many are ready to print and the latest prints.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaperClaimsOverview {
    pub ready_count: i64,
    pub prints: Vec<PaperPrintView>,
    pub settings: ClaimFormSettings,
}

fn print_view(p: &PaperPrintRow) -> PaperPrintView {
    PaperPrintView {
        id: p.id.clone(),
        print_number: p.print_number,
        form: p.form.clone(),
        claim_count: p.claim_count,
        sheet_count: p.sheet_count,
        total_cents: p.total_charge_cents,
        total: Money::from_cents(p.total_charge_cents).to_string(),
        created_by: p.created_by.clone(),
        created_at: p.created_at.clone(),
    }
}

/// `MM DD YYYY` (boxes 3 and 11a) of a stored date.
fn long_date(text: &str) -> String {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.format("%m %d %Y").to_string()).unwrap_or_default()
}

/// `MM DD YY` (boxes 24A and 31).
fn short_date(date: NaiveDate) -> String {
    date.format("%m %d %y").to_string()
}

fn sex_of(text: &str) -> Option<Sex> {
    match text {
        "female" => Some(Sex::Female),
        "male" => Some(Sex::Male),
        _ => None,
    }
}

/// `LAST, FIRST, M` as box 2 asks.
fn form_name(family: &str, given: &str, middle: Option<&str>) -> String {
    let mut name = format!("{}, {}", family.trim(), given.trim());
    if let Some(initial) = middle.and_then(|m| m.trim().chars().next()) {
        name.push_str(", ");
        name.push(initial);
    }
    name
}

fn patient_phone(p: &PatientRow) -> String {
    let preferred = match p.preferred_phone.as_str() {
        "home" => p.phone_home.as_ref(),
        "work" => p.phone_work.as_ref(),
        _ => p.phone_mobile.as_ref(),
    };
    preferred.or(p.phone_home.as_ref()).or(p.phone_mobile.as_ref()).or(p.phone_work.as_ref()).cloned().unwrap_or_default()
}

fn city_line(city: Option<&str>, state: Option<&str>, zip: Option<&str>) -> String {
    let zip: String = zip.unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    let zip = if zip.len() == 9 { format!("{}-{}", &zip[..5], &zip[5..]) } else { zip };
    format!("{}, {} {}", city.unwrap_or("").trim(), state.unwrap_or("").trim(), zip).trim_matches([',', ' ']).to_string()
}

/// Box 1 from the payer's claim filing indicator (SBR09).
fn insurance_type(indicator: &str) -> InsuranceType {
    match indicator {
        "MA" | "MB" => InsuranceType::Medicare,
        "MC" => InsuranceType::Medicaid,
        "CH" => InsuranceType::Tricare,
        "VA" => InsuranceType::Champva,
        "FI" => InsuranceType::FecaBlackLung,
        "CI" | "BL" | "HM" | "12" | "13" | "14" | "15" | "16" | "17" | "DS" | "LM" => InsuranceType::GroupHealthPlan,
        _ => InsuranceType::Other,
    }
}

/// A claim's sheets (six service lines each), read inside the caller's transaction.
pub(crate) async fn claim_forms(
    conn: &mut Connection,
    practice_id: &str,
    claim_id: &str,
    printed_on: NaiveDate,
) -> Result<(ClaimRow, Vec<ClaimForm>)> {
    let claim = claim_store::get(conn, practice_id, claim_id).await?;
    let encounter = encounter_store::get(conn, practice_id, &claim.encounter_id).await?;
    let diagnoses = encounter_store::diagnoses(conn, practice_id, &encounter.id).await?;
    let lines = encounter_store::lines(conn, practice_id, &encounter.id).await?;
    let patient = patient_store::get(conn, practice_id, &claim.patient_id).await?;
    let coverage = patient_store::get_coverage(conn, practice_id, &claim.coverage_id).await?.coverage;
    let payer = code_store::get_payer(conn, practice_id, &claim.payer_id).await?;
    let practice = encounter_store::practice_billing(conn, practice_id).await?;
    let rendering = schedule_setup::get_provider(conn, practice_id, &encounter.rendering_provider_id).await?;
    let billing_provider = schedule_setup::get_provider(conn, practice_id, &encounter.billing_provider_id).await?;
    let location = store::service_location(conn, practice_id, &encounter.id).await?;
    // Box 9: the patient's other coverage in force on the date of service (the secondary of a
    // primary claim, the primary of a secondary one).
    let other = patient_store::coverages_of(conn, practice_id, &patient.id)
        .await?
        .into_iter()
        .filter(|c| c.coverage.id != coverage.id && c.coverage.priority != coverage.priority)
        .filter(|c| coverage_active_on(&c.coverage.start_date, c.coverage.end_date.as_deref(), &encounter.service_date))
        .min_by_key(|c| c.coverage.priority);

    let patient_name = form_name(&patient.family_name, &patient.given_name, patient.middle_name.as_deref());
    let patient_address = form::Address {
        street: patient.address_line1.clone().unwrap_or_default(),
        city: patient.city.clone().unwrap_or_default(),
        state: patient.state.clone().unwrap_or_default(),
        zip: patient.postal_code.clone().unwrap_or_default(),
        phone: patient_phone(&patient),
    };
    let is_self = coverage.relationship_to_subscriber == "self";
    let relationship = match coverage.relationship_to_subscriber.as_str() {
        "self" => Relationship::SelfInsured,
        "spouse" => Relationship::Spouse,
        "child" => Relationship::Child,
        _ => Relationship::Other,
    };
    let (insured_name, insured_address, insured_birth_date, insured_sex) = if is_self {
        (patient_name.clone(), patient_address.clone(), long_date(&patient.birth_date), sex_of(&patient.sex))
    } else {
        (
            form_name(
                coverage.subscriber_family_name.as_deref().unwrap_or(""),
                coverage.subscriber_given_name.as_deref().unwrap_or(""),
                None,
            ),
            // medoffice keeps no address for a subscriber other than the patient.
            form::Address::default(),
            coverage.subscriber_birth_date.as_deref().map(long_date).unwrap_or_default(),
            coverage.subscriber_sex.as_deref().and_then(sex_of),
        )
    };
    let (other_insured_name, other_insured_policy, other_plan_name) = match &other {
        Some(o) if o.coverage.relationship_to_subscriber == "self" => {
            (patient_name.clone(), o.coverage.member_id.clone(), o.payer_name.clone())
        }
        Some(o) => (
            form_name(
                o.coverage.subscriber_family_name.as_deref().unwrap_or(""),
                o.coverage.subscriber_given_name.as_deref().unwrap_or(""),
                None,
            ),
            o.coverage.member_id.clone(),
            o.payer_name.clone(),
        ),
        None => Default::default(),
    };
    let mut payer_block = vec![payer.name.clone()];
    payer_block.extend(payer.address_line1.clone().filter(|a| !a.trim().is_empty()));
    payer_block.extend(payer.address_line2.clone().filter(|a| !a.trim().is_empty()));
    let payer_city = city_line(payer.city.as_deref(), payer.state.as_deref(), payer.postal_code.as_deref());
    if !payer_city.is_empty() {
        payer_block.push(payer_city);
    }
    let group_npi = practice.billing_npi.clone().filter(|n| !n.trim().is_empty());
    let billing_name = if group_npi.is_some() {
        practice.name.clone()
    } else {
        format!("{} {}", billing_provider.given_name, billing_provider.family_name)
    };
    let billing_zip = practice.billing_postal_code.as_deref().or(practice.postal_code.as_deref());
    let billing = vec![
        billing_name,
        practice.address_line1.clone().unwrap_or_default(),
        city_line(practice.city.as_deref(), practice.state.as_deref(), billing_zip),
    ];
    let facility = location
        .map(|l| {
            vec![
                l.name.clone(),
                l.address_line1.clone().unwrap_or_default(),
                city_line(l.city.as_deref(), l.state.as_deref(), l.postal_code.as_deref()),
            ]
        })
        .unwrap_or_default();
    let (resubmission_code, original_reference) = match claim.frequency_code.as_str() {
        "7" | "8" => (claim.frequency_code.clone(), claim.payer_claim_control_number.clone().unwrap_or_default()),
        _ => (String::new(), String::new()),
    };
    let header = ClaimForm {
        payer: payer_block,
        insurance_type: insurance_type(&payer.claim_filing_indicator),
        insured_id: coverage.member_id.clone(),
        patient_name,
        patient_birth_date: long_date(&patient.birth_date),
        patient_sex: sex_of(&patient.sex),
        insured_name,
        patient_address,
        relationship,
        insured_address,
        other_insured_name,
        other_insured_policy,
        other_plan_name,
        insured_group: coverage.group_number.clone().unwrap_or_default(),
        insured_birth_date,
        insured_sex,
        plan_name: coverage.plan_name.clone().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| payer.name.clone()),
        another_plan: Some(other.is_some()),
        patient_signature: "SIGNATURE ON FILE".into(),
        insured_signature: "SIGNATURE ON FILE".into(),
        diagnoses: diagnoses.iter().take(form::MAX_DIAGNOSES).map(|d| d.replace('.', "")).collect(),
        resubmission_code,
        original_reference,
        lines: Vec::new(),
        tax_id: practice.tax_id.clone().unwrap_or_default().chars().filter(char::is_ascii_digit).collect(),
        tax_id_is_ein: true,
        account_number: patient_control_number(claim.claim_number),
        accept_assignment: true,
        signature: "SIGNATURE ON FILE".into(),
        signature_date: short_date(printed_on),
        facility,
        facility_npi: String::new(),
        billing,
        billing_phone: practice.phone.clone().unwrap_or_default(),
        billing_npi: group_npi.unwrap_or_else(|| billing_provider.npi.clone()),
    };
    let service_lines: Vec<ServiceLine> = lines
        .iter()
        .map(|l| {
            let date = NaiveDate::parse_from_str(&l.service_date, "%Y-%m-%d").map(short_date).unwrap_or_default();
            ServiceLine {
                from: date.clone(),
                to: date,
                place_of_service: encounter.place_of_service.clone(),
                procedure: l.procedure_code.clone(),
                modifiers: modifiers_of(&l.modifiers),
                pointers: pointers_of(&l.pointers).iter().filter(|p| (1..=12).contains(*p)).map(|p| char::from(b'A' + p - 1)).collect(),
                charge_cents: l.charge_cents,
                units: l.units.to_string(),
                rendering_npi: rendering.npi.clone(),
            }
        })
        .collect();
    let sheets = if service_lines.is_empty() {
        vec![header]
    } else {
        service_lines.chunks(form::MAX_LINES).map(|chunk| ClaimForm { lines: chunk.to_vec(), ..header.clone() }).collect()
    };
    Ok((claim, sheets))
}

fn mode_of(kind: FormKind, settings: ClaimFormSettings) -> Mode {
    match kind {
        FormKind::Plain => Mode::Plain,
        FormKind::Red => {
            Mode::RedForm { right_points: settings.offset_right_points as f32, down_points: settings.offset_down_points as f32 }
        }
    }
}

async fn settings_of(conn: &mut Connection, practice_id: &str) -> Result<ClaimFormSettings> {
    Ok(store::settings(conn, practice_id)
        .await?
        .map(|s| ClaimFormSettings { offset_right_points: s.offset_right_points, offset_down_points: s.offset_down_points })
        .unwrap_or_default())
}

impl App {
    /// One claim on the CMS-1500, any status (a draft too, for review), on plain paper or for the
    /// red form. Audited as a read of the claim.
    pub async fn claim_form_pdf(&self, actor: &Actor, claim_id: &str, kind: FormKind) -> Result<ClaimFormFile> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let settings = settings_of(&mut tx, &actor.practice_id).await?;
        let (claim, sheets) = claim_forms(&mut tx, &actor.practice_id, claim_id.trim(), today).await?;
        let number = patient_control_number(claim.claim_number);
        let bytes = form::render(&sheets, mode_of(kind, settings), &format!("CMS-1500 claim {number}"));
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.cms1500",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(&claim.id),
                detail: format!("{} form, {} sheets", kind.as_str(), sheets.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ClaimFormFile { filename: format!("CMS1500-{number}-{}.pdf", kind.as_str()), bytes, sheets: sheets.len() })
    }

    /// Prints every ready claim of the payers that take paper only into one PDF, keeps the file
    /// and marks the claims sent, in one transaction (see the module's documentation).
    pub async fn print_paper_claims(&self, actor: &Actor, kind: FormKind) -> Result<PaperPrintResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.clone();
        let mut tx = self.store.begin().await?;
        let settings = settings_of(&mut tx, &practice_id).await?;
        let mut returned_to_draft = Vec::new();
        let mut printed: Vec<ClaimRow> = Vec::new();
        let mut sheets: Vec<ClaimForm> = Vec::new();
        for id in store::ready_paper_ids(&mut tx, &practice_id, MAX_PRINT_CLAIMS).await? {
            let problems = scrub_claim(&mut tx, actor, today, &id, &self.now_text()).await?;
            let (claim, forms) = claim_forms(&mut tx, &practice_id, &id, today).await?;
            if problems.is_empty() {
                printed.push(claim);
                sheets.extend(forms);
            } else {
                returned_to_draft.push(claim.claim_number);
                self.move_claim_to(&mut tx, actor, &claim, ClaimStatus::Draft, "the scrubber found problems at printing").await?;
            }
        }
        if printed.is_empty() {
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(PaperPrintResult { print: None, returned_to_draft });
        }
        let print_number = next_counter(&mut tx, &practice_id, "claim_paper_print").await?;
        let bytes = form::render(&sheets, mode_of(kind, settings), &format!("CMS-1500 paper claims, print {print_number}"));
        // The file first, then the rows that point at it (a crash leaves an orphan file at worst).
        let blob_id = new_id();
        let key = format!("{practice_id}/{blob_id}");
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let now = self.now_text();
        self.blobs.put(&key, &bytes).await?;
        blobs::insert(
            &mut tx,
            &BlobRow {
                practice_id: practice_id.clone(),
                id: blob_id.clone(),
                content_type: "application/pdf".into(),
                size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                sha256: sha256.clone(),
                storage_key: key,
                created_at: now.clone(),
            },
        )
        .await?;
        let row = PaperPrintRow {
            practice_id: practice_id.clone(),
            id: new_id(),
            print_number,
            form: kind.as_str().into(),
            blob_id,
            sha256,
            claim_count: printed.len() as i64,
            sheet_count: sheets.len() as i64,
            total_charge_cents: printed.iter().map(|c| c.total_charge_cents).sum(),
            created_by: actor.username.clone(),
            created_at: now,
        };
        let ids: Vec<String> = printed.iter().map(|c| c.id.clone()).collect();
        store::insert_print(&mut tx, &row, &ids).await?;
        for claim in &printed {
            self.move_claim_to(&mut tx, actor, claim, ClaimStatus::Sent, &format!("printed on paper (print {print_number})")).await?;
            // A replacement or void on paper: the claim it corrects is done with, as by an export.
            crate::claims_cob::close_corrected(self, &mut tx, actor, claim, &format!("paper print {print_number}")).await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.paper_print",
                patient_id: None,
                record_type: "claim_paper_print",
                record_id: Some(&row.id),
                detail: format!("{} claims on {} sheets, {} form", row.claim_count, row.sheet_count, row.form),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PaperPrintResult { print: Some(print_view(&row)), returned_to_draft })
    }

    /// A claim's status change inside the caller's transaction: compare and set, history event,
    /// audit record (as `claims::move_claim` does for the 837P export).
    async fn move_claim_to(&self, conn: &mut Connection, actor: &Actor, claim: &ClaimRow, to: ClaimStatus, note: &str) -> Result<()> {
        let now = self.now_text();
        if !claim_store::set_status(conn, &actor.practice_id, &claim.id, claim.version, to.as_str(), None, &now).await? {
            return Err(AppError::Conflict("someone else changed a claim meanwhile; print again".into()));
        }
        claim_store::append_event(
            conn,
            &ClaimEventRow {
                practice_id: actor.practice_id.clone(),
                claim_id: claim.id.clone(),
                seq: 0,
                from_status: Some(claim.status.clone()),
                to_status: to.as_str().into(),
                note: note.to_string(),
                user_id: actor.user_id.clone(),
                at: now,
            },
        )
        .await?;
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "claim.status",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(&claim.id),
                detail: format!("{} -> {}: {note}", claim.status, to.as_str()),
            },
        )
        .await
    }

    /// A print's file as it was printed (to print it again), its bytes checked against the stored
    /// hash. Audited.
    pub async fn paper_print_file(&self, actor: &Actor, print_id: &str) -> Result<ClaimFormFile> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let print = store::get_print(&mut tx, &actor.practice_id, print_id.trim()).await?;
        let blob = blobs::get(&mut tx, &actor.practice_id, &print.blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != print.sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.paper_print.read",
                patient_id: None,
                record_type: "claim_paper_print",
                record_id: Some(&print.id),
                detail: format!("print {}", print.print_number),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ClaimFormFile {
            filename: format!("CMS1500-print-{:06}-{}.pdf", print.print_number, print.form),
            bytes,
            sheets: usize::try_from(print.sheet_count).unwrap_or(0),
        })
    }

    /// The paper claims page: ready paper claims, the latest prints, the offsets.
    pub async fn paper_claims(&self, actor: &Actor) -> Result<PaperClaimsOverview> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let ready_count = store::ready_paper_ids(&mut conn, &actor.practice_id, MAX_PRINT_CLAIMS).await?.len() as i64;
        let prints = store::list_prints(&mut conn, &actor.practice_id, 50).await?.iter().map(print_view).collect();
        let settings = settings_of(&mut conn, &actor.practice_id).await?;
        Ok(PaperClaimsOverview { ready_count, prints, settings })
    }

    /// The red form's alignment offsets.
    pub async fn claim_form_settings(&self, actor: &Actor) -> Result<ClaimFormSettings> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        settings_of(&mut conn, &actor.practice_id).await
    }

    /// Sets the red form's alignment offsets (the office manager, as the billing settings).
    pub async fn set_claim_form_settings(&self, actor: &Actor, input: &ClaimFormSettingsInput) -> Result<ClaimFormSettings> {
        self.authorize(actor, Action::ManagePracticeLists, None).await?;
        let mut errors = ValidationErrors::new();
        let mut offset = |field: &str, text: &str| match text.trim() {
            "" => Some(0),
            t => match t.trim_start_matches('+').parse::<i64>() {
                Ok(n) if (-MAX_OFFSET_POINTS..=MAX_OFFSET_POINTS).contains(&n) => Some(n),
                _ => {
                    errors.add(field, format!("enter whole points from -{MAX_OFFSET_POINTS} to {MAX_OFFSET_POINTS} (72 points = 1 inch)"));
                    None
                }
            },
        };
        let right = offset("offset_right_points", &input.offset_right_points);
        let down = offset("offset_down_points", &input.offset_down_points);
        let (Some(right), Some(down)) = (right, down) else { return Err(errors.into()) };
        let mut tx = self.store.begin().await?;
        store::save_settings(
            &mut tx,
            &ClaimFormSettingsRow {
                practice_id: actor.practice_id.clone(),
                offset_right_points: right,
                offset_down_points: down,
                updated_by: actor.username.clone(),
                updated_at: self.now_text(),
            },
        )
        .await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "practice.claim_form",
                patient_id: None,
                record_type: "practice",
                record_id: Some(&actor.practice_id),
                detail: format!("red form offsets {right} right, {down} down (points)"),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ClaimFormSettings { offset_right_points: right, offset_down_points: down })
    }
}
