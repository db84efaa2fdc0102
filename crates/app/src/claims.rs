//! Claims: the claim of a posted encounter to its primary payer, the scrubber, the lifecycle and
//! the 837P batches.
//!
//! **Lifecycle.** draft -> ready -> sent -> accepted | rejected; accepted -> paid | partially paid
//! | denied; denied -> appealed -> paid | partially paid | denied; rejected -> draft (corrected)
//! or ready; paid, partially paid and denied -> closed; a draft can be closed (not billed). Every
//! change is a numbered `claim_status_event` and an audit record, in one transaction; a claim
//! moves to ready only when the scrubber finds nothing, and to sent only by an export.
//!
//! **Scrubber.** The rules of `standards.md` a validator does not catch (claim total = sum of
//! lines, pointers in range, billable ICD-10-CM on the date of service, NPI check digits, the
//! subscriber's data for a non-self subscriber, coverage in force on the date of service, no date
//! in the future, the payer's timely-filing limit, the practice's billing details, the payer's
//! claim number on a replacement or void), then the structural ones of
//! `medoffice_x12::claim837p::validate_837p` on the claim as it would be written. Each problem is
//! stored with its rule and a sentence (`claim_problem`), replaced at each run.
//!
//! **Batches.** "Send ready claims" (and `medoffice claims export`) scrubs every ready claim
//! again (one with problems goes back to draft), groups the rest by receiver (the practice's
//! clearinghouse when it has one, so one group; otherwise each payer's electronic id), and
//! writes one 837P file per group with ISA13 from the counter `x12_interchange` and GS06 from
//! `x12_group` (ST02 is 1: one transaction set per group). The file is stored whole in `claim_batch` and its claims become
//! sent, in one transaction.

use crate::claims_cob::{AdjudicationView, ClaimLineView, RelatedClaim, claim_extras, close_corrected};
use crate::encounters::{coverage_active_on, modifiers_of, pointers_of};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use medoffice_domain::ValidationErrors;
use medoffice_domain::identifiers::is_valid_npi;
use medoffice_domain::money::Money;
use medoffice_domain::security::{Action, Role};
use medoffice_store::claims::{self as store, ClaimBatchRow, ClaimEventRow, ClaimFilter, ClaimProblemRow, ClaimRow};
use medoffice_store::encounters::{self as encounter_store, EncounterRow, PracticeBillingRow};
use medoffice_store::patients::CoverageRow;
use medoffice_store::{Connection, StoreError, code_sets as code_store, new_id, next_counter, patients as patient_store, schedule_setup};
use medoffice_x12::claim837p::{
    self as x12, Address, BillingProvider, BillingProviderGroup, EntityName, Frequency, Gender, PayerResponsibility, PersonName, Problem,
    Receiver, ServiceLine, Submitter, SubscriberGroup,
};
use medoffice_x12::envelope::{ControlNumbers, DateOrRange, Envelope, Usage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most ready claims one export sends.
pub const MAX_EXPORT_CLAIMS: i64 = 5000;

/// A claim's place in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Draft,
    Ready,
    Sent,
    Accepted,
    Rejected,
    Paid,
    PartiallyPaid,
    Denied,
    Appealed,
    Closed,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 10] = [
        ClaimStatus::Draft,
        ClaimStatus::Ready,
        ClaimStatus::Sent,
        ClaimStatus::Accepted,
        ClaimStatus::Rejected,
        ClaimStatus::Paid,
        ClaimStatus::PartiallyPaid,
        ClaimStatus::Denied,
        ClaimStatus::Appealed,
        ClaimStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Ready => "ready",
            ClaimStatus::Sent => "sent",
            ClaimStatus::Accepted => "accepted",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Paid => "paid",
            ClaimStatus::PartiallyPaid => "partially_paid",
            ClaimStatus::Denied => "denied",
            ClaimStatus::Appealed => "appealed",
            ClaimStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "Draft",
            ClaimStatus::Ready => "Ready",
            ClaimStatus::Sent => "Sent",
            ClaimStatus::Accepted => "Accepted",
            ClaimStatus::Rejected => "Rejected",
            ClaimStatus::Paid => "Paid",
            ClaimStatus::PartiallyPaid => "Partially paid",
            ClaimStatus::Denied => "Denied",
            ClaimStatus::Appealed => "Appealed",
            ClaimStatus::Closed => "Closed",
        }
    }

    pub fn parse(text: &str) -> Result<ClaimStatus, String> {
        let t = text.trim().to_lowercase().replace([' ', '-'], "_");
        ClaimStatus::ALL.into_iter().find(|s| s.as_str() == t).ok_or_else(|| format!("'{text}' is not a claim status"))
    }

    /// The statuses a person may move a claim to from this one (sent only by an export).
    pub fn next(self) -> &'static [ClaimStatus] {
        use ClaimStatus::*;
        match self {
            Draft => &[Ready, Closed],
            Ready => &[Draft],
            Sent => &[Accepted, Rejected],
            Accepted => &[Paid, PartiallyPaid, Denied],
            Rejected => &[Draft, Ready],
            PartiallyPaid => &[Paid, Appealed, Closed],
            Denied => &[Appealed, Closed],
            Appealed => &[Paid, PartiallyPaid, Denied],
            Paid => &[Closed],
            Closed => &[],
        }
    }
}

/// One thing the scrubber found, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimProblem {
    /// `total_mismatch`, `pointer_out_of_range`, `diagnosis_not_billable`, `bad_npi`,
    /// `subscriber_incomplete`, `patient_incomplete`, `coverage_inactive`, `future_date`,
    /// `timely_filing`, `billing_details_missing`, `payer_claim_number_missing`, `payer_id_missing`,
    /// `structural`.
    pub rule: String,
    /// What the problem is about (`diagnoses[0]`, `lines[1]`, `practice.tax_id`...).
    pub field: String,
    pub message: String,
}

/// A claim in a worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimSummary {
    pub id: String,
    pub claim_number: i64,
    pub patient_control_number: String,
    pub encounter_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub payer_id: String,
    pub payer_name: String,
    pub provider_name: String,
    pub status: ClaimStatus,
    pub status_label: String,
    pub frequency_code: String,
    pub total_cents: i64,
    pub total: String,
    pub service_date: String,
    /// Days since the date of service.
    pub age_days: i64,
    pub problem_count: i64,
    pub batch_id: Option<String>,
}

/// A status change as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimEventView {
    pub seq: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub user_id: String,
    pub at: String,
}

/// A claim with its problems and history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimDetail {
    pub claim: ClaimSummary,
    pub payer_claim_control_number: Option<String>,
    pub problems: Vec<ClaimProblem>,
    pub history: Vec<ClaimEventView>,
    /// The statuses it may move to now.
    pub next: Vec<ClaimStatus>,
    /// The encounter's service lines as billed.
    pub lines: Vec<ClaimLineView>,
    /// The claims it corrects or follows, and those that correct or follow it.
    pub related: Vec<RelatedClaim>,
    /// The payer's latest adjudication of this claim (a hand-entered EOB or an 835).
    pub adjudication: Option<AdjudicationView>,
    /// Whether it can be replaced or voided now (the payer has it; no unsent correction).
    pub correctable: bool,
    /// Whether the secondary payer can be billed now (adjudicated primary claim, a secondary
    /// coverage, no open secondary claim).
    pub secondary_billable: bool,
}

/// A worklist's filter as typed (`/billing/claims?status=&payer=&provider=&min_age=`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ClaimWorklistQuery {
    pub status: String,
    pub payer_id: String,
    pub provider_id: String,
    /// Only claims at least this many days past their date of service.
    pub min_age_days: String,
}

/// How many claims have a status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: ClaimStatus,
    pub count: i64,
}

/// A worklist and the count per status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimWorklist {
    pub claims: Vec<ClaimSummary>,
    pub counts: Vec<StatusCount>,
}

/// A status change as asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ClaimStatusInput {
    pub status: String,
    pub note: String,
}

/// A correction: frequency 1 (original), 7 (replacement) or 8 (void), with the payer's claim
/// control number for 7 and 8.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ClaimFrequencyInput {
    pub frequency_code: String,
    pub payer_claim_control_number: String,
}

/// An 837P file as written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchView {
    pub id: String,
    pub batch_number: i64,
    pub payer_id: String,
    pub receiver_id: String,
    pub interchange_control_number: i64,
    pub group_control_number: i64,
    pub usage: String,
    pub file_name: String,
    pub claim_count: i64,
    pub total_cents: i64,
    pub created_at: String,
}

/// What an export did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportResult {
    pub batches: Vec<BatchView>,
    /// Ready claims the last scrub sent back to draft, by claim number.
    pub returned_to_draft: Vec<i64>,
}

/// The practice's billing details as typed (Admin, Billing settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct BillingSettingsInput {
    pub billing_npi: String,
    pub tax_id: String,
    pub taxonomy_code: String,
    pub address_line1: String,
    pub city: String,
    pub state: String,
    /// Nine digits (ZIP+4), as the guide requires of a billing address.
    pub postal_code: String,
    pub phone: String,
    pub submitter_id: String,
    /// `test` or `production`.
    pub claims_usage: String,
    /// The clearinghouse's interchange id (ISA08, 1000B): blank when claims go to each payer
    /// directly. With one, every export is a single file to it.
    pub clearinghouse_id: String,
    /// The clearinghouse's name (1000B NM103); required with its id.
    pub clearinghouse_name: String,
}

/// The patient control number (CLM01) of a claim number.
pub fn patient_control_number(claim_number: i64) -> String {
    format!("MO{claim_number:08}")
}

fn batch_view(b: &ClaimBatchRow) -> BatchView {
    BatchView {
        id: b.id.clone(),
        batch_number: b.batch_number,
        payer_id: b.payer_id.clone(),
        receiver_id: b.receiver_id.clone(),
        interchange_control_number: b.interchange_control_number,
        group_control_number: b.group_control_number,
        usage: b.usage.clone(),
        file_name: b.file_name.clone(),
        claim_count: b.claim_count,
        total_cents: b.total_charge_cents,
        created_at: b.created_at.clone(),
    }
}

fn date_of(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| AppError::Internal(format!("stored date {text}: {e}")))
}

/// Creates the draft claim of a posted encounter, with its first history event (inside the
/// posting transaction).
pub(crate) async fn insert_claim_for(
    conn: &mut Connection,
    actor: &Actor,
    encounter: &EncounterRow,
    coverage: &CoverageRow,
    claim_id: &str,
    total_cents: i64,
    now: &str,
) -> Result<()> {
    let claim_number = next_counter(conn, &actor.practice_id, "claim").await?;
    let row = ClaimRow {
        practice_id: actor.practice_id.clone(),
        id: claim_id.to_string(),
        claim_number,
        encounter_id: encounter.id.clone(),
        patient_id: encounter.patient_id.clone(),
        payer_id: coverage.payer_id.clone(),
        coverage_id: coverage.id.clone(),
        rendering_provider_id: encounter.rendering_provider_id.clone(),
        status: ClaimStatus::Draft.as_str().into(),
        frequency_code: "1".into(),
        payer_claim_control_number: None,
        total_charge_cents: total_cents,
        service_date: encounter.service_date.clone(),
        batch_id: None,
        scrubbed_at: None,
        version: 1,
        created_at: now.to_string(),
        updated_at: now.to_string(),
    };
    store::insert(conn, &row).await?;
    store::append_event(
        conn,
        &ClaimEventRow {
            practice_id: actor.practice_id.clone(),
            claim_id: claim_id.to_string(),
            seq: 0,
            from_status: None,
            to_status: row.status.clone(),
            note: "charges posted".into(),
            user_id: actor.user_id.clone(),
            at: now.to_string(),
        },
    )
    .await?;
    Ok(())
}

/// Everything one claim's 837P loops are made of.
pub(crate) struct ClaimParts {
    pub(crate) claim: ClaimRow,
    pub(crate) practice: PracticeBillingRow,
    pub(crate) billing: BillingProvider,
    pub(crate) group: SubscriberGroup,
    pub(crate) payer_code: String,
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn gender(sex: &str) -> Gender {
    match sex {
        "female" => Gender::Female,
        "male" => Gender::Male,
        _ => Gender::Unknown,
    }
}

fn person(family: &str, given: &str, middle: Option<&str>, suffix: Option<&str>) -> PersonName {
    PersonName {
        last: family.to_string(),
        first: given.to_string(),
        middle: middle.map(str::to_string),
        suffix: suffix.map(str::to_string),
    }
}

/// Reads one claim whole and runs the scrubber's own rules; returns the problems and the claim's
/// 837P parts (for the structural check and the writer).
pub(crate) async fn claim_parts(
    conn: &mut Connection,
    practice_id: &str,
    today: NaiveDate,
    claim_id: &str,
) -> Result<(ClaimParts, Vec<ClaimProblem>)> {
    let mut problems = Vec::new();
    let mut add =
        |rule: &str, field: &str, message: String| problems.push(ClaimProblem { rule: rule.into(), field: field.into(), message });
    let claim = store::get(conn, practice_id, claim_id).await?;
    let encounter = encounter_store::get(conn, practice_id, &claim.encounter_id).await?;
    let diagnoses = encounter_store::diagnoses(conn, practice_id, &encounter.id).await?;
    let lines = encounter_store::lines(conn, practice_id, &encounter.id).await?;
    let patient = patient_store::get(conn, practice_id, &claim.patient_id).await?;
    let coverage = patient_store::get_coverage(conn, practice_id, &claim.coverage_id).await?.coverage;
    let payer = code_store::get_payer(conn, practice_id, &claim.payer_id).await?;
    let practice = encounter_store::practice_billing(conn, practice_id).await?;
    let rendering = schedule_setup::get_provider(conn, practice_id, &encounter.rendering_provider_id).await?;
    let billing_provider = schedule_setup::get_provider(conn, practice_id, &encounter.billing_provider_id).await?;
    let service_date = date_of(&encounter.service_date)?;

    // Claim total = sum of lines.
    let lines_total: i64 = lines.iter().map(|l| l.charge_cents).sum();
    if claim.total_charge_cents != lines_total {
        add(
            "total_mismatch",
            "total",
            format!(
                "the claim's total {} differs from the sum of its lines {}",
                Money::from_cents(claim.total_charge_cents),
                Money::from_cents(lines_total)
            ),
        );
    }
    // Pointers in range.
    for l in &lines {
        for p in pointers_of(&l.pointers) {
            if p == 0 || usize::from(p) > diagnoses.len() {
                add(
                    "pointer_out_of_range",
                    &format!("lines[{}]", l.line_number - 1),
                    format!("line {} points to diagnosis {p}, but the claim has {} diagnoses", l.line_number, diagnoses.len()),
                );
            }
        }
        if pointers_of(&l.pointers).is_empty() {
            add("pointer_out_of_range", &format!("lines[{}]", l.line_number - 1), format!("line {} points to no diagnosis", l.line_number));
        }
    }
    // Billable ICD-10-CM codes on the date of service.
    if diagnoses.is_empty() {
        add("diagnosis_not_billable", "diagnoses", "the claim has no diagnosis".into());
    }
    for (i, code) in diagnoses.iter().enumerate() {
        let status = crate::code_sets::diagnosis_status_on(conn, code, service_date).await?;
        if let Some(problem) = status.problem(code, service_date) {
            add("diagnosis_not_billable", &format!("diagnoses[{i}]"), format!("diagnosis {}: {problem}", i + 1));
        }
    }
    // NPI check digits.
    let billing_npi = practice.billing_npi.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| billing_provider.npi.clone());
    if !is_valid_npi(billing_npi.trim()) {
        add("bad_npi", "billing_npi", format!("the billing NPI {billing_npi} is not valid (ten digits with a correct check digit)"));
    }
    if !is_valid_npi(rendering.npi.trim()) {
        add(
            "bad_npi",
            "rendering_provider",
            format!(
                "the NPI {} of {} {} is not valid (ten digits with a correct check digit)",
                rendering.npi, rendering.given_name, rendering.family_name
            ),
        );
    }
    // The subscriber's data when the patient is not the subscriber.
    let is_self = coverage.relationship_to_subscriber == "self";
    if !is_self {
        let missing: Vec<&str> = [
            ("family name", coverage.subscriber_family_name.as_deref()),
            ("given name", coverage.subscriber_given_name.as_deref()),
            ("birth date", coverage.subscriber_birth_date.as_deref()),
            ("sex", coverage.subscriber_sex.as_deref()),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_none_or(|v| v.trim().is_empty()))
        .map(|(n, _)| n)
        .collect();
        if !missing.is_empty() {
            add(
                "subscriber_incomplete",
                "coverage",
                format!("the patient is not the subscriber, so the subscriber's {} must be on the coverage", missing.join(", ")),
            );
        }
    }
    let patient_address = match (&patient.address_line1, &patient.city, &patient.state, &patient.postal_code) {
        (Some(l), Some(c), Some(s), Some(z)) if !l.trim().is_empty() => {
            Some(Address { line1: l.clone(), line2: patient.address_line2.clone(), city: c.clone(), state: s.clone(), zip: digits(z) })
        }
        _ => None,
    };
    if patient_address.is_none() {
        add("patient_incomplete", "patient.address", "the patient's address (street, city, state, ZIP) is required on a claim".into());
    }
    // Coverage in force on the date of service.
    if !coverage_active_on(&coverage.start_date, coverage.end_date.as_deref(), &encounter.service_date) {
        add(
            "coverage_inactive",
            "coverage",
            format!(
                "the coverage with {} (from {} to {}) was not in force on the date of service {}",
                payer.name,
                coverage.start_date,
                coverage.end_date.as_deref().unwrap_or("open"),
                encounter.service_date
            ),
        );
    }
    // No date in the future.
    if service_date > today || lines.iter().any(|l| l.service_date.as_str() > today.to_string().as_str()) {
        add("future_date", "service_date", format!("a date of service is after today ({today})"));
    }
    // The payer's timely-filing limit, counted from the date of service.
    if let Some(days) = payer.timely_filing_days {
        let age = (today - service_date).num_days();
        if age > days {
            add(
                "timely_filing",
                "service_date",
                format!("{} takes claims up to {days} days after the date of service; this one is {age} days old", payer.name),
            );
        }
    }
    // The practice's details as billing provider and submitter.
    let tax_id = practice.tax_id.as_deref().map(digits).unwrap_or_default();
    if tax_id.len() != 9 {
        add("billing_details_missing", "practice.tax_id", "the practice's tax id (nine digits) is not set: Admin, Billing settings".into());
    }
    let zip = practice.billing_postal_code.as_deref().map(digits).unwrap_or_default();
    if zip.len() != 9 {
        add(
            "billing_details_missing",
            "practice.postal_code",
            "the practice's billing ZIP+4 (nine digits) is not set: Admin, Billing settings".into(),
        );
    }
    if practice.address_line1.as_deref().is_none_or(|a| a.trim().is_empty())
        || practice.city.as_deref().is_none_or(|a| a.trim().is_empty())
        || practice.state.as_deref().is_none_or(|a| a.trim().is_empty())
    {
        add("billing_details_missing", "practice.address", "the practice's billing address is not set: Admin, Billing settings".into());
    }
    if practice.submitter_id.as_deref().is_none_or(|a| a.trim().is_empty()) {
        add(
            "billing_details_missing",
            "practice.submitter_id",
            "the submitter id the clearinghouse assigned is not set: Admin, Billing settings".into(),
        );
    }
    // A payer that takes paper claims only gets the CMS-1500, which needs no electronic id.
    if payer.payer_code.trim().is_empty() && payer.accepts_electronic_claims != 0 {
        add("payer_id_missing", "payer", format!("{} has no electronic payer id", payer.name));
    }
    let frequency = match claim.frequency_code.as_str() {
        "7" => Frequency::Replacement,
        "8" => Frequency::Void,
        _ => Frequency::Original,
    };
    if frequency != Frequency::Original && claim.payer_claim_control_number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        add(
            "payer_claim_number_missing",
            "payer_claim_control_number",
            "a replacement or void needs the payer's claim number of the claim it replaces".into(),
        );
    }

    let billing_name = if practice.billing_npi.as_deref().is_some_and(|n| !n.trim().is_empty()) {
        EntityName::Organization(practice.name.clone())
    } else {
        EntityName::Person(person(&billing_provider.family_name, &billing_provider.given_name, None, None))
    };
    let billing = BillingProvider {
        name: billing_name,
        npi: billing_npi.trim().to_string(),
        tax_id,
        taxonomy: practice.taxonomy_code.clone().filter(|t| !t.trim().is_empty()),
        address: Address {
            line1: practice.address_line1.clone().unwrap_or_default(),
            line2: None,
            city: practice.city.clone().unwrap_or_default(),
            state: practice.state.clone().unwrap_or_default(),
            zip,
        },
    };
    let rendering_taxonomy = encounter_store::provider_taxonomy(conn, practice_id, &rendering.id).await?;
    let rendering_provider = (rendering.id != billing_provider.id || practice.billing_npi.is_some()).then(|| x12::Provider {
        name: person(&rendering.family_name, &rendering.given_name, None, None),
        npi: rendering.npi.clone(),
        taxonomy: rendering_taxonomy,
    });
    let fallback_address = Address { line1: String::new(), line2: None, city: String::new(), state: String::new(), zip: String::new() };
    let mut x12_lines: Vec<ServiceLine> = lines
        .iter()
        .map(|l| ServiceLine {
            procedure: l.procedure_code.clone(),
            modifiers: modifiers_of(&l.modifiers),
            charge_cents: l.charge_cents,
            units: u32::try_from(l.units).unwrap_or(0),
            place_of_service: None,
            diagnosis_pointers: pointers_of(&l.pointers),
            service_date: DateOrRange::Date(NaiveDate::parse_from_str(&l.service_date, "%Y-%m-%d").unwrap_or(service_date)),
            adjudications: Vec::new(),
        })
        .collect();
    // A secondary claim: the primary payer's adjudication it was made from (2320/2330, 2430).
    let links = medoffice_store::claims_cob::links(conn, practice_id, claim_id).await?;
    let mut other_payers = Vec::new();
    if let Some(adjudication_id) = &links.primary_adjudication_id {
        let other = other_payer_of(conn, practice_id, &patient, adjudication_id, &mut x12_lines).await?;
        other_payers.extend(other);
    }
    let x12_claim = x12::Claim {
        patient_control_number: patient_control_number(claim.claim_number),
        total_charge_cents: claim.total_charge_cents,
        place_of_service: encounter.place_of_service.clone(),
        frequency,
        payer_claim_control_number: claim.payer_claim_control_number.clone().filter(|n| !n.trim().is_empty()),
        provider_signature_on_file: true,
        assignment_accepted: true,
        benefits_assigned: true,
        release_signed: true,
        diagnoses: diagnoses.clone(),
        referring_provider: None,
        rendering_provider,
        other_payers,
        lines: x12_lines,
    };
    let patient_name = person(&patient.family_name, &patient.given_name, patient.middle_name.as_deref(), patient.suffix.as_deref());
    let responsibility = match coverage.priority {
        2 => PayerResponsibility::Secondary,
        3 => PayerResponsibility::Tertiary,
        _ => PayerResponsibility::Primary,
    };
    let subscriber = if is_self {
        x12::Subscriber {
            responsibility,
            group_number: coverage.group_number.clone().filter(|g| !g.trim().is_empty()),
            group_name: None,
            claim_filing_indicator: payer.claim_filing_indicator.clone(),
            name: patient_name.clone(),
            member_id: coverage.member_id.clone(),
            address: patient_address.clone(),
            birth_date: NaiveDate::parse_from_str(&patient.birth_date, "%Y-%m-%d").ok(),
            gender: Some(gender(&patient.sex)),
        }
    } else {
        x12::Subscriber {
            responsibility,
            group_number: coverage.group_number.clone().filter(|g| !g.trim().is_empty()),
            group_name: None,
            claim_filing_indicator: payer.claim_filing_indicator.clone(),
            name: person(
                coverage.subscriber_family_name.as_deref().unwrap_or(""),
                coverage.subscriber_given_name.as_deref().unwrap_or(""),
                None,
                None,
            ),
            member_id: coverage.member_id.clone(),
            address: None,
            birth_date: coverage.subscriber_birth_date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            gender: coverage.subscriber_sex.as_deref().map(gender),
        }
    };
    let relationship = match coverage.relationship_to_subscriber.as_str() {
        "spouse" => "01",
        "child" => "19",
        _ => "G8",
    };
    let x12_patient = (!is_self).then(|| x12::Patient {
        relationship: relationship.into(),
        name: patient_name,
        address: patient_address.unwrap_or(fallback_address),
        birth_date: NaiveDate::parse_from_str(&patient.birth_date, "%Y-%m-%d").unwrap_or(service_date),
        gender: gender(&patient.sex),
    });
    let group = SubscriberGroup {
        subscriber,
        payer: x12::Payer { name: payer.name.clone(), payer_id: payer.payer_code.clone(), address: None },
        patient: x12_patient,
        claims: vec![x12_claim],
    };
    Ok((ClaimParts { claim, practice, billing, group, payer_code: payer.payer_code }, problems))
}

fn relationship_code(relationship: &str) -> &'static str {
    match relationship {
        "self" => "18",
        "spouse" => "01",
        "child" => "19",
        _ => "G8",
    }
}

/// The earlier payer of a secondary claim (2320/2330A/2330B) from a stored adjudication, and its
/// line adjudications (2430) added to the claim's lines by line number.
async fn other_payer_of(
    conn: &mut Connection,
    practice_id: &str,
    patient: &medoffice_store::patients::PatientRow,
    adjudication_id: &str,
    lines: &mut [ServiceLine],
) -> Result<Option<x12::OtherPayer>> {
    let Some((adjudication, adjudicated_lines, adjustments)) =
        medoffice_store::claims_cob::adjudication(conn, practice_id, adjudication_id).await?
    else {
        return Ok(None);
    };
    let primary = store::get(conn, practice_id, &adjudication.claim_id).await?;
    let coverage = patient_store::get_coverage(conn, practice_id, &primary.coverage_id).await?.coverage;
    let payer = code_store::get_payer(conn, practice_id, &adjudication.payer_id).await?;
    let date = date_of(&adjudication.adjudicated_on)?;
    let cas = |line_number: i64| -> Vec<medoffice_x12::codes::Adjustment> {
        adjustments
            .iter()
            .filter(|a| a.line_number == line_number)
            .map(|a| medoffice_x12::codes::Adjustment {
                group: a.group_code.clone(),
                reason: a.reason_code.clone(),
                amount_cents: a.amount_cents,
                quantity: a.quantity.clone(),
            })
            .collect()
    };
    for (i, line) in lines.iter_mut().enumerate() {
        let number = i as i64 + 1;
        if let Some(a) = adjudicated_lines.iter().find(|l| l.line_number == number) {
            line.adjudications.push(x12::LineAdjudication {
                payer_id: payer.payer_code.clone(),
                paid_cents: a.paid_cents,
                paid_units: u32::try_from(a.paid_units).unwrap_or(0),
                adjustments: cas(number),
                adjudication_date: date,
            });
        }
    }
    let subscriber_name = if coverage.relationship_to_subscriber == "self" {
        person(&patient.family_name, &patient.given_name, patient.middle_name.as_deref(), patient.suffix.as_deref())
    } else {
        person(
            coverage.subscriber_family_name.as_deref().unwrap_or(""),
            coverage.subscriber_given_name.as_deref().unwrap_or(""),
            None,
            None,
        )
    };
    let responsibility = match coverage.priority {
        2 => PayerResponsibility::Secondary,
        3 => PayerResponsibility::Tertiary,
        _ => PayerResponsibility::Primary,
    };
    Ok(Some(x12::OtherPayer {
        responsibility,
        relationship: relationship_code(&coverage.relationship_to_subscriber).into(),
        group_number: coverage.group_number.clone().filter(|g| !g.trim().is_empty()),
        claim_filing_indicator: payer.claim_filing_indicator.clone(),
        subscriber_name,
        subscriber_member_id: coverage.member_id.clone(),
        payer_name: payer.name.clone(),
        payer_id: payer.payer_code.clone(),
        paid_cents: adjudication.paid_cents,
        adjustments: cas(0),
        adjudication_date: Some(date),
    }))
}

/// A batch of claims parts for one receiver, as the writer takes it.
fn batch_of(
    practice: &PracticeBillingRow,
    parts: &[ClaimParts],
    receiver_id: &str,
    receiver_name: &str,
    created: NaiveDateTime,
    batch_id: &str,
) -> x12::Batch837 {
    let submitter_id = practice.submitter_id.clone().unwrap_or_default();
    x12::Batch837 {
        envelope: Envelope {
            sender_qualifier: "ZZ".into(),
            sender_id: submitter_id.clone(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: receiver_id.to_string(),
            application_sender: submitter_id.clone(),
            application_receiver: receiver_id.to_string(),
            created,
            acknowledgment_requested: false,
        },
        batch_id: batch_id.to_string(),
        reissue: false,
        submitter: Submitter {
            name: practice.name.clone(),
            id: submitter_id,
            contact_name: "Billing office".into(),
            contact_phone: practice.phone.clone().unwrap_or_default(),
        },
        receiver: Receiver { name: receiver_name.to_string(), id: receiver_id.to_string() },
        billing_providers: parts
            .iter()
            .map(|p| BillingProviderGroup { provider: p.billing.clone(), pay_to: None, subscribers: vec![p.group.clone()] })
            .collect(),
    }
}

/// The structural problems `validate_837p` finds in one claim as it would be written, less the
/// ones the scrubber's own rules already said in their words.
fn structural_problems(parts: &ClaimParts, created: NaiveDateTime) -> Vec<ClaimProblem> {
    let batch = batch_of(&parts.practice, std::slice::from_ref(parts), &parts.payer_code, "receiver", created, "SCRUB");
    let control = ControlNumbers { interchange: 1, group: 1, transaction: 1 };
    x12::validate_837p(&batch, &control)
        .into_iter()
        .filter(|i| {
            !matches!(
                i.problem,
                Problem::ChargeMismatch { .. }
                    | Problem::PointerOutOfRange { .. }
                    | Problem::BadNpi { .. }
                    | Problem::MissingPayerClaimControlNumber
                    | Problem::BadTaxId
                    | Problem::BadZip { field: "billing provider ZIP", .. }
                    | Problem::NoDiagnoses
                    // `payer_id_missing` says it for an electronic payer; a paper one needs none.
                    | Problem::Empty { field: "payer id" }
            )
        })
        .map(|i| ClaimProblem {
            rule: "structural".into(),
            field: i.line.map(|l| format!("lines[{}]", l.saturating_sub(1))).unwrap_or_else(|| "claim".into()),
            message: match i.line {
                Some(l) => format!("line {l}: {}", i.problem),
                None => i.problem.to_string(),
            },
        })
        .collect()
}

pub(crate) fn created_at(now: chrono::DateTime<chrono::Utc>, actor: &Actor) -> NaiveDateTime {
    let local = now.with_timezone(&actor.timezone).naive_local();
    // X12 times are minutes; drop seconds so a file written twice in one minute reads the same.
    local.with_second(0).unwrap_or(local)
}

/// Runs the scrubber on a claim and stores what it found (inside the caller's transaction).
pub(crate) async fn scrub_claim(
    conn: &mut Connection,
    actor: &Actor,
    today: NaiveDate,
    claim_id: &str,
    now: &str,
) -> Result<Vec<ClaimProblem>> {
    let (parts, mut problems) = claim_parts(conn, &actor.practice_id, today, claim_id).await?;
    let created = today.and_hms_opt(12, 0, 0).unwrap_or_default();
    problems.extend(structural_problems(&parts, created));
    let rows: Vec<ClaimProblemRow> = problems
        .iter()
        .enumerate()
        .map(|(i, p)| ClaimProblemRow {
            practice_id: actor.practice_id.clone(),
            claim_id: claim_id.to_string(),
            position: i as i64 + 1,
            rule: p.rule.clone(),
            field: p.field.clone(),
            message: p.message.clone(),
        })
        .collect();
    store::replace_problems(conn, &actor.practice_id, claim_id, &rows, now).await?;
    Ok(problems)
}

fn summary(row: &store::ClaimListRow, today: NaiveDate) -> ClaimSummary {
    let c = &row.claim;
    let status = ClaimStatus::parse(&c.status).unwrap_or(ClaimStatus::Draft);
    let age_days = NaiveDate::parse_from_str(&c.service_date, "%Y-%m-%d").map(|d| (today - d).num_days()).unwrap_or(0);
    ClaimSummary {
        id: c.id.clone(),
        claim_number: c.claim_number,
        patient_control_number: patient_control_number(c.claim_number),
        encounter_id: c.encounter_id.clone(),
        patient_id: c.patient_id.clone(),
        patient_name: format!("{}, {}", row.patient_family_name, row.patient_given_name),
        payer_id: c.payer_id.clone(),
        payer_name: row.payer_name.clone(),
        provider_name: format!("{} {}", row.provider_given_name, row.provider_family_name),
        status,
        status_label: status.label().into(),
        frequency_code: c.frequency_code.clone(),
        total_cents: c.total_charge_cents,
        total: Money::from_cents(c.total_charge_cents).to_string(),
        service_date: c.service_date.clone(),
        age_days,
        problem_count: row.problem_count,
        batch_id: c.batch_id.clone(),
    }
}

pub(crate) async fn claim_detail(conn: &mut Connection, practice_id: &str, today: NaiveDate, claim_id: &str) -> Result<ClaimDetail> {
    let claim = store::get(conn, practice_id, claim_id).await?;
    let filter = ClaimFilter { status: claim.status.clone(), payer_id: claim.payer_id.clone(), ..Default::default() };
    let rows = store::list(conn, practice_id, &filter).await?;
    let row = rows.into_iter().find(|r| r.claim.id == claim_id).ok_or(AppError::NotFound("claim"))?;
    let problems = store::problems(conn, practice_id, claim_id)
        .await?
        .into_iter()
        .map(|p| ClaimProblem { rule: p.rule, field: p.field, message: p.message })
        .collect();
    let history = store::events(conn, practice_id, claim_id)
        .await?
        .into_iter()
        .map(|e| ClaimEventView {
            seq: e.seq,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
            user_id: e.user_id,
            at: e.at,
        })
        .collect();
    let s = summary(&row, today);
    let next = s.status.next().to_vec();
    let extras = claim_extras(conn, practice_id, &claim).await?;
    Ok(ClaimDetail {
        claim: s,
        payer_claim_control_number: claim.payer_claim_control_number,
        problems,
        history,
        next,
        lines: extras.lines,
        related: extras.related,
        adjudication: extras.adjudication,
        correctable: extras.correctable,
        secondary_billable: extras.secondary_billable,
    })
}

/// Moves a claim to a status inside the caller's transaction: history event and audit record.
pub(crate) async fn move_claim(
    app: &App,
    conn: &mut Connection,
    actor: &Actor,
    claim: &ClaimRow,
    to: ClaimStatus,
    batch_id: Option<&str>,
    note: &str,
) -> Result<()> {
    let now = app.now_text();
    if !store::set_status(conn, &actor.practice_id, &claim.id, claim.version, to.as_str(), batch_id, &now).await? {
        return Err(AppError::Conflict("someone else changed this claim meanwhile; reload it".into()));
    }
    store::append_event(
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
    app.audit(
        conn,
        actor,
        AuditNote {
            action: "claim.status",
            patient_id: Some(&claim.patient_id),
            record_type: "claim",
            record_id: Some(&claim.id),
            detail: format!("{} -> {}{}", claim.status, to.as_str(), if note.is_empty() { String::new() } else { format!(": {note}") }),
        },
    )
    .await
}

impl App {
    /// The claims of one status (or all), filtered by payer, provider and age, with the count per
    /// status.
    pub async fn claims_worklist(&self, actor: &Actor, query: &ClaimWorklistQuery) -> Result<ClaimWorklist> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let status = match query.status.trim() {
            "" => Some(String::new()),
            s => errors.check("status", ClaimStatus::parse(s)).map(|s| s.as_str().to_string()),
        };
        let service_before = match query.min_age_days.trim() {
            "" => Some(String::new()),
            d => match d.parse::<i64>() {
                Ok(n) if (0..=3650).contains(&n) => Some((today - chrono::Duration::days(n) + chrono::Duration::days(1)).to_string()),
                _ => {
                    errors.add("min_age_days", "enter a number of days from 0 to 3650");
                    None
                }
            },
        };
        let (Some(status), Some(service_before)) = (status, service_before) else { return Err(errors.into()) };
        let filter = ClaimFilter {
            status,
            payer_id: query.payer_id.trim().to_string(),
            provider_id: query.provider_id.trim().to_string(),
            service_before,
        };
        let mut tx = self.store.begin().await?;
        let rows = store::list(&mut tx, &actor.practice_id, &filter).await?;
        let counts_raw = store::status_counts(&mut tx, &actor.practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.list",
                patient_id: None,
                record_type: "claim",
                record_id: None,
                detail: format!("status '{}': {} claims", filter.status, rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let counts = ClaimStatus::ALL
            .into_iter()
            .map(|s| StatusCount { status: s, count: counts_raw.iter().find(|(n, _)| n == s.as_str()).map(|(_, c)| *c).unwrap_or(0) })
            .collect();
        Ok(ClaimWorklist { claims: rows.iter().map(|r| summary(r, today)).collect(), counts })
    }

    /// One claim with its problems and history.
    pub async fn claim(&self, actor: &Actor, claim_id: &str) -> Result<ClaimDetail> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let detail = claim_detail(&mut tx, &actor.practice_id, actor.today(self.now()), claim_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.read",
                patient_id: Some(&detail.claim.patient_id),
                record_type: "claim",
                record_id: Some(claim_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }

    /// Runs the scrubber on a claim again and stores what it found.
    pub async fn scrub(&self, actor: &Actor, claim_id: &str) -> Result<ClaimDetail> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let today = actor.today(self.now());
        let problems = scrub_claim(&mut tx, actor, today, claim_id, &self.now_text()).await?;
        let detail = claim_detail(&mut tx, &actor.practice_id, today, claim_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.scrub",
                patient_id: Some(&detail.claim.patient_id),
                record_type: "claim",
                record_id: Some(claim_id),
                detail: format!("{} problems", problems.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }

    /// Moves a claim along its lifecycle. To ready only when the scrubber (run now) finds
    /// nothing; never to sent (an export does that).
    pub async fn change_claim_status(&self, actor: &Actor, claim_id: &str, input: &ClaimStatusInput) -> Result<ClaimDetail> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let mut errors = ValidationErrors::new();
        let Some(to) = errors.check("status", ClaimStatus::parse(&input.status)) else { return Err(errors.into()) };
        let note = input.note.split_whitespace().collect::<Vec<_>>().join(" ");
        if note.chars().count() > 500 {
            errors.add("note", "at most 500 characters");
            return Err(errors.into());
        }
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let claim = store::get(&mut tx, &actor.practice_id, claim_id).await?;
        let from = ClaimStatus::parse(&claim.status).map_err(AppError::Internal)?;
        if !from.next().contains(&to) {
            errors.add("status", format!("a {} claim cannot become {}", from.label().to_lowercase(), to.label().to_lowercase()));
            return Err(errors.into());
        }
        if to == ClaimStatus::Ready {
            let problems = scrub_claim(&mut tx, actor, today, claim_id, &self.now_text()).await?;
            if !problems.is_empty() {
                // Keep what the scrubber found: commit the problems, refuse the change.
                tx.commit().await.map_err(StoreError::from)?;
                errors.add("status", format!("the claim has {} problems to fix before it can be sent", problems.len()));
                return Err(errors.into());
            }
        }
        let claim = store::get(&mut tx, &actor.practice_id, claim_id).await?;
        move_claim(self, &mut tx, actor, &claim, to, None, &note).await?;
        let detail = claim_detail(&mut tx, &actor.practice_id, today, claim_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }

    /// Sets a draft or rejected claim's frequency: 1 original, 7 replacement or 8 void (the last
    /// two with the payer's claim control number).
    pub async fn set_claim_frequency(&self, actor: &Actor, claim_id: &str, input: &ClaimFrequencyInput) -> Result<ClaimDetail> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let mut errors = ValidationErrors::new();
        let code = input.frequency_code.trim();
        if !["1", "7", "8"].contains(&code) {
            errors.add("frequency_code", "choose 1 (original), 7 (replacement) or 8 (void)");
        }
        let number = input.payer_claim_control_number.trim();
        if code != "1" && number.is_empty() {
            errors.add("payer_claim_control_number", "a replacement or void needs the payer's claim number");
        } else if number.len() > 50 || number.contains(['*', '~', ':', '^']) {
            errors.add("payer_claim_control_number", "at most 50 letters and digits");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let claim = store::get(&mut tx, &actor.practice_id, claim_id).await?;
        if !["draft", "rejected"].contains(&claim.status.as_str()) {
            return Err(AppError::Conflict("only a draft or rejected claim can be changed".into()));
        }
        let now = self.now_text();
        store::set_frequency(&mut tx, &actor.practice_id, claim_id, code, (code != "1").then_some(number), &now).await?;
        scrub_claim(&mut tx, actor, today, claim_id, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.frequency",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(claim_id),
                detail: format!("frequency {code}"),
            },
        )
        .await?;
        let detail = claim_detail(&mut tx, &actor.practice_id, today, claim_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }

    /// Writes every ready claim into 837P files, one per receiver (see the module's
    /// documentation), stores the files and marks the claims sent, in one transaction.
    pub async fn send_ready_claims(&self, actor: &Actor) -> Result<ExportResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let today = actor.today(self.now());
        let created = created_at(self.now(), actor);
        let mut tx = self.store.begin().await?;
        let practice_id = actor.practice_id.clone();
        let mut returned_to_draft = Vec::new();
        let mut ready: Vec<ClaimParts> = Vec::new();
        for id in medoffice_store::cms1500::ready_electronic_ids(&mut tx, &practice_id, MAX_EXPORT_CLAIMS).await? {
            let problems = scrub_claim(&mut tx, actor, today, &id, &self.now_text()).await?;
            let (parts, _) = claim_parts(&mut tx, &practice_id, today, &id).await?;
            if problems.is_empty() {
                ready.push(parts);
            } else {
                returned_to_draft.push(parts.claim.claim_number);
                move_claim(self, &mut tx, actor, &parts.claim, ClaimStatus::Draft, None, "the scrubber found problems at sending").await?;
            }
        }
        // One file per receiver: the practice's clearinghouse (one file), or else each payer's
        // electronic id. A clearinghouse's file has no one payer (its batch's payer_id is blank).
        let practice = encounter_store::practice_billing(&mut tx, &practice_id).await?;
        let clearinghouse = practice.clearinghouse_id.clone().zip(practice.clearinghouse_name.clone());
        let mut groups: Vec<(String, Vec<ClaimParts>)> = Vec::new();
        for p in ready {
            let key = if clearinghouse.is_some() { String::new() } else { p.claim.payer_id.clone() };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(p),
                None => groups.push((key, vec![p])),
            }
        }
        let usage = if practice.claims_usage == "production" { Usage::Production } else { Usage::Test };
        let mut batches = Vec::new();
        for (payer_id, parts) in groups {
            let (receiver_id, receiver_name) = match &clearinghouse {
                Some((id, name)) => (id.clone(), name.clone()),
                None => {
                    let payer = code_store::get_payer(&mut tx, &practice_id, &payer_id).await?;
                    (payer.payer_code, payer.name)
                }
            };
            let interchange = next_counter(&mut tx, &practice_id, "x12_interchange").await?;
            let group = next_counter(&mut tx, &practice_id, "x12_group").await?;
            let batch_number = next_counter(&mut tx, &practice_id, "claim_batch").await?;
            let control = ControlNumbers {
                interchange: u32::try_from(interchange).map_err(|e| AppError::Internal(e.to_string()))?,
                group: u32::try_from(group).map_err(|e| AppError::Internal(e.to_string()))?,
                transaction: 1,
            };
            let batch = batch_of(&practice, &parts, &receiver_id, &receiver_name, created, &format!("B{batch_number}"));
            let content = x12::write_837p(&batch, &control, usage).map_err(|e| {
                let mut errors = ValidationErrors::new();
                errors.add("claims", format!("the file for {receiver_name} cannot be written: {e}"));
                AppError::from(errors)
            })?;
            let id = new_id();
            let row = ClaimBatchRow {
                practice_id: practice_id.clone(),
                id: id.clone(),
                batch_number,
                payer_id: payer_id.clone(),
                receiver_id: receiver_id.clone(),
                interchange_control_number: interchange,
                group_control_number: group,
                usage: practice.claims_usage.clone(),
                file_name: format!("837P-{batch_number:06}-{}-{:09}.x12", sanitize(&receiver_id), interchange),
                content,
                claim_count: parts.len() as i64,
                total_charge_cents: parts.iter().map(|p| p.claim.total_charge_cents).sum(),
                created_by: actor.user_id.clone(),
                created_at: self.now_text(),
            };
            store::insert_batch(&mut tx, &row).await?;
            for p in &parts {
                move_claim(self, &mut tx, actor, &p.claim, ClaimStatus::Sent, Some(&id), &format!("in batch {batch_number}")).await?;
                // A replacement or void sent: the claim it corrects is done with.
                close_corrected(self, &mut tx, actor, &p.claim, &format!("batch {batch_number}")).await?;
            }
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "claim.batch",
                    patient_id: None,
                    record_type: "claim_batch",
                    record_id: Some(&id),
                    detail: format!("{} claims to {receiver_name} (ISA13 {interchange})", row.claim_count),
                },
            )
            .await?;
            batches.push(batch_view(&row));
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ExportResult { batches, returned_to_draft })
    }

    /// [`App::send_ready_claims`] for the database's one practice, from the command line
    /// (`medoffice claims export`), audited as `(command line)`.
    pub async fn send_ready_claims_offline(&self) -> Result<ExportResult> {
        let practice = self.only_practice().await?;
        let actor = command_line_actor(&practice);
        self.send_ready_claims(&actor).await
    }

    /// A batch file's name and content (to download it again).
    pub async fn claim_batch_file(&self, actor: &Actor, batch_id: &str) -> Result<(String, String)> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let b = store::get_batch(&mut conn, &actor.practice_id, batch_id).await?;
        Ok((b.file_name, b.content))
    }

    /// The same for the command line.
    pub async fn claim_batch_file_offline(&self, batch_id: &str) -> Result<(String, String)> {
        let practice = self.only_practice().await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let b = store::get_batch(&mut conn, &practice.id, batch_id).await?;
        Ok((b.file_name, b.content))
    }

    /// The latest batches.
    pub async fn claim_batches(&self, actor: &Actor) -> Result<Vec<BatchView>> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::list_batches(&mut conn, &actor.practice_id, 50).await?.iter().map(batch_view).collect())
    }

    /// The practice's billing details.
    pub async fn billing_settings(&self, actor: &Actor) -> Result<BillingSettingsInput> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let p = encounter_store::practice_billing(&mut conn, &actor.practice_id).await?;
        Ok(BillingSettingsInput {
            billing_npi: p.billing_npi.unwrap_or_default(),
            tax_id: p.tax_id.unwrap_or_default(),
            taxonomy_code: p.taxonomy_code.unwrap_or_default(),
            address_line1: p.address_line1.unwrap_or_default(),
            city: p.city.unwrap_or_default(),
            state: p.state.unwrap_or_default(),
            postal_code: p.billing_postal_code.unwrap_or_default(),
            phone: p.phone.unwrap_or_default(),
            submitter_id: p.submitter_id.unwrap_or_default(),
            claims_usage: p.claims_usage,
            clearinghouse_id: p.clearinghouse_id.unwrap_or_default(),
            clearinghouse_name: p.clearinghouse_name.unwrap_or_default(),
        })
    }

    /// Sets the practice's billing details (the office manager).
    pub async fn set_billing_settings(&self, actor: &Actor, input: &BillingSettingsInput) -> Result<BillingSettingsInput> {
        self.authorize(actor, Action::ManagePracticeLists, None).await?;
        let mut errors = ValidationErrors::new();
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let npi = opt(&input.billing_npi);
        if let Some(n) = &npi
            && !is_valid_npi(n)
        {
            errors.add("billing_npi", "not a valid NPI (ten digits with a correct check digit)");
        }
        let tax_id = digits(&input.tax_id);
        if tax_id.len() != 9 {
            errors.add("tax_id", "enter the nine-digit tax id (EIN)");
        }
        let zip = digits(&input.postal_code);
        if zip.len() != 9 {
            errors.add("postal_code", "enter the nine-digit ZIP+4 of the billing address");
        }
        let state = input.state.trim().to_uppercase();
        if state.len() != 2 || !state.chars().all(|c| c.is_ascii_uppercase()) {
            errors.add("state", "enter the two-letter state");
        }
        if input.address_line1.trim().is_empty() {
            errors.add("address_line1", "enter the street address (not a post office box)");
        }
        if input.city.trim().is_empty() {
            errors.add("city", "enter the city");
        }
        let phone = digits(&input.phone);
        if phone.len() != 10 {
            errors.add("phone", "enter the ten-digit phone number");
        }
        let taxonomy_code = match medoffice_domain::identifiers::parse_taxonomy_code(&input.taxonomy_code) {
            Ok(t) => t,
            Err(message) => {
                errors.add("taxonomy_code", message);
                None
            }
        };
        let submitter = input.submitter_id.trim().to_string();
        if submitter.is_empty() || submitter.len() > 15 || !submitter.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.add("submitter_id", "enter the submitter id (1 to 15 letters and digits)");
        }
        let clearinghouse_id = input.clearinghouse_id.trim().to_uppercase();
        let clearinghouse_name = input.clearinghouse_name.trim().to_string();
        if !clearinghouse_id.is_empty() && (clearinghouse_id.len() > 15 || !clearinghouse_id.chars().all(|c| c.is_ascii_alphanumeric())) {
            errors.add("clearinghouse_id", "the clearinghouse's interchange id has 1 to 15 letters and digits");
        }
        if clearinghouse_id.is_empty() && !clearinghouse_name.is_empty() {
            errors.add("clearinghouse_id", "enter the clearinghouse's interchange id (or clear its name)");
        }
        if !clearinghouse_id.is_empty() && clearinghouse_name.is_empty() {
            errors.add("clearinghouse_name", "enter the clearinghouse's name");
        } else if clearinghouse_name.chars().count() > 60 || clearinghouse_name.contains(['*', '~', ':', '^']) {
            errors.add("clearinghouse_name", "at most 60 characters, without * ~ : ^");
        }
        let usage = match input.claims_usage.trim() {
            "" | "test" => "test",
            "production" => "production",
            _ => {
                errors.add("claims_usage", "choose test or production");
                "test"
            }
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut tx = self.store.begin().await?;
        let current = encounter_store::practice_billing(&mut tx, &actor.practice_id).await?;
        let row = PracticeBillingRow {
            phone: Some(phone),
            address_line1: opt(&input.address_line1),
            city: opt(&input.city),
            state: Some(state),
            postal_code: Some(zip.get(..5).unwrap_or("").to_string()),
            billing_npi: npi,
            tax_id: Some(tax_id),
            taxonomy_code,
            billing_postal_code: Some(zip),
            submitter_id: Some(submitter),
            claims_usage: usage.into(),
            clearinghouse_id: Some(clearinghouse_id).filter(|c| !c.is_empty()),
            clearinghouse_name: Some(clearinghouse_name).filter(|c| !c.is_empty()),
            ..current
        };
        encounter_store::update_practice_billing(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "practice.billing",
                patient_id: None,
                record_type: "practice",
                record_id: Some(&row.id),
                detail: format!("claims {usage}"),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.billing_settings(actor).await
    }
}

fn sanitize(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The actor of a command-line use case: the practice's office manager role, no user.
pub(crate) fn command_line_actor(practice: &medoffice_store::practice::PracticeRow) -> Actor {
    Actor {
        practice_id: practice.id.clone(),
        practice_name: practice.name.clone(),
        timezone: practice.timezone.parse().unwrap_or(chrono_tz::UTC),
        user_id: crate::ledger_reports::CLI_USERNAME.into(),
        username: crate::ledger_reports::CLI_USERNAME.into(),
        display_name: crate::ledger_reports::CLI_USERNAME.into(),
        role: Role::Admin,
        ip: None,
    }
}
