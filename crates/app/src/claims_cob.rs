//! Corrected claims (replacement, frequency 7; void, 8) and secondary claims (coordination of
//! benefits) built from medoffice's own data.
//!
//! **Corrections.** A claim the payer has (sent, accepted, paid, partially paid, denied) is
//! corrected by a NEW claim row for the same encounter, frequency 7 or 8, with the payer's claim
//! control number (REF*F8) and a link to the claim it corrects (`claim.corrects_claim_id`). The
//! original keeps its history; it is closed when its correction is sent (`send_ready_claims`).
//! A draft or rejected claim can still have its own frequency set (`set_claim_frequency`).
//!
//! **Adjudications.** What a payer decided on a claim (paid date, paid amount, per line paid
//! amount and CAS adjustments, claim-level adjustments) is stored in `claim_adjudication`,
//! `claim_adjudication_line` and `claim_adjustment`. [`App::record_adjudication_in`] checks the
//! 837P COB balancing rules (line: paid + adjustments = charge; claim: paid + every adjustment =
//! total; paid = sum of the lines' paid) and writes the rows inside the caller's transaction: a
//! hand-entered EOB uses it, and the 835 posting can call the same function.
//!
//! **Secondary claims.** [`App::create_secondary_claim`] records the primary's adjudication and
//! creates the draft claim to the patient's secondary coverage (SBR01 S), linked to the primary
//! claim and the adjudication its 2320/2330/2430 loops are written from, then scrubs it.

use crate::claims::{ClaimDetail, ClaimStatus, claim_detail, move_claim, patient_control_number, scrub_claim};
use crate::encounters::coverage_active_on;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::claims::{self as store, ClaimEventRow, ClaimRow};
use medoffice_store::claims_cob::{self as cob_store, AdjudicationLineRow, AdjudicationRow, AdjustmentRow, ClaimLinksRow};
use medoffice_store::{Connection, StoreError, encounters as encounter_store, new_id, next_counter, patients as patient_store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The statuses in which the payer has a claim, so it can be replaced or voided.
pub const CORRECTABLE: [ClaimStatus; 5] =
    [ClaimStatus::Sent, ClaimStatus::Accepted, ClaimStatus::Paid, ClaimStatus::PartiallyPaid, ClaimStatus::Denied];

/// The statuses in which the primary payer has adjudicated a claim.
pub const ADJUDICATED: [ClaimStatus; 3] = [ClaimStatus::Paid, ClaimStatus::PartiallyPaid, ClaimStatus::Denied];

/// The adjustment group codes a person may enter (CR, corrections, come only from an 835).
pub const ENTERED_GROUP_CODES: [&str; 4] = ["CO", "PR", "OA", "PI"];

/// The most adjustments per line (or on the claim itself).
pub const MAX_ADJUSTMENTS: usize = 12;

/// A replacement or void of a claim the payer has, as asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ClaimCorrectionInput {
    /// 7 (replacement) or 8 (void).
    pub frequency_code: String,
    /// The payer's claim control number of the claim corrected (REF*F8); blank takes the one
    /// stored on the claim.
    pub payer_claim_control_number: String,
    /// Why, kept in the new claim's history.
    pub note: String,
}

/// One adjustment as typed: group code, CARC reason code and amount (`amount_cents` wins).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AdjustmentInput {
    /// CO, PR, OA or PI.
    pub group_code: String,
    /// The claim adjustment reason code (CARC), e.g. 45, 1, 2, 3.
    pub reason_code: String,
    /// Dollars as typed (`20.00`).
    pub amount: String,
    pub amount_cents: Option<i64>,
}

/// The payer's decision on one service line, in the claim's line order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AdjudicationLineInput {
    /// Dollars as typed (`80.00`); `paid_cents` wins.
    pub paid: String,
    pub paid_cents: Option<i64>,
    /// Units paid; blank: the units billed.
    pub paid_units: String,
    pub adjustments: Vec<AdjustmentInput>,
}

/// A payer's adjudication as typed (a paper EOB, or the API).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AdjudicationInput {
    /// The date the payer paid (or denied), `YYYY-MM-DD`.
    pub paid_date: String,
    /// What the payer paid on the whole claim, dollars as typed; `total_paid_cents` wins.
    pub total_paid: String,
    pub total_paid_cents: Option<i64>,
    /// The payer's claim control number, when the EOB shows it.
    pub payer_claim_control_number: String,
    /// One per service line of the claim, in order.
    pub lines: Vec<AdjudicationLineInput>,
    /// Adjustments of the claim as a whole (optional).
    pub claim_adjustments: Vec<AdjustmentInput>,
}

/// One adjustment, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentData {
    pub group_code: String,
    pub reason_code: String,
    pub amount_cents: i64,
    pub quantity: Option<String>,
}

/// One line's adjudication, checked: `line_number` is the claim's (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAdjudicationData {
    pub line_number: i64,
    pub paid_cents: i64,
    /// None: the units billed.
    pub paid_units: Option<i64>,
    pub adjustments: Vec<AdjustmentData>,
}

/// Where an adjudication came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdjudicationSource {
    /// Typed from a paper EOB.
    Manual,
    /// Posted from an 835, with the remittance's id.
    Remittance(String),
}

/// An adjudication ready to be recorded; the balancing against the claim is checked by
/// [`App::record_adjudication_in`]. Errors name `lines[N]...` by the position in `lines`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjudication {
    pub adjudicated_on: NaiveDate,
    pub paid_cents: i64,
    pub payer_claim_control_number: Option<String>,
    pub lines: Vec<LineAdjudicationData>,
    pub claim_adjustments: Vec<AdjustmentData>,
    pub source: AdjudicationSource,
}

/// A service line of a claim as shown (and as the adjudication form lists them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimLineView {
    pub line_number: i64,
    pub procedure_code: String,
    pub modifiers: String,
    pub units: i64,
    pub charge_cents: i64,
    pub charge: String,
}

/// Another claim of the same encounter linked to this one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelatedClaim {
    pub id: String,
    pub patient_control_number: String,
    /// `replaces`, `voids`, `replaced_by`, `voided_by`, `primary_claim`, `secondary_claim`.
    pub relation: String,
    /// The relation in words ("Replaced by").
    pub label: String,
    pub status: ClaimStatus,
    pub status_label: String,
    pub frequency_code: String,
}

/// An adjustment as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdjustmentView {
    pub group_code: String,
    pub reason_code: String,
    pub amount_cents: i64,
    pub amount: String,
    /// The group and reason in words.
    pub meaning: String,
}

/// A line's adjudication as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdjudicationLineView {
    pub line_number: i64,
    pub procedure_code: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub paid: String,
    pub paid_units: i64,
    pub adjustments: Vec<AdjustmentView>,
}

/// The payer's latest adjudication of a claim as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdjudicationView {
    pub id: String,
    /// `manual` or `remittance`.
    pub source: String,
    pub adjudicated_on: String,
    pub paid_cents: i64,
    pub paid: String,
    pub payer_claim_control_number: Option<String>,
    pub lines: Vec<AdjudicationLineView>,
    pub claim_adjustments: Vec<AdjustmentView>,
}

fn adjustment_view(a: &AdjustmentRow) -> AdjustmentView {
    let reason = medoffice_x12::codes::reason_meaning(&a.reason_code).unwrap_or("see the payer's explanation");
    AdjustmentView {
        group_code: a.group_code.clone(),
        reason_code: a.reason_code.clone(),
        amount_cents: a.amount_cents,
        amount: Money::from_cents(a.amount_cents).to_string(),
        meaning: format!("{}: {reason}", medoffice_x12::codes::group_meaning(&a.group_code)),
    }
}

/// An adjudication read back for the claim page.
pub(crate) async fn adjudication_view(conn: &mut Connection, practice_id: &str, id: &str) -> Result<Option<AdjudicationView>> {
    let Some((row, lines, adjustments)) = cob_store::adjudication(conn, practice_id, id).await? else { return Ok(None) };
    Ok(Some(AdjudicationView {
        id: row.id,
        source: row.source,
        adjudicated_on: row.adjudicated_on,
        paid_cents: row.paid_cents,
        paid: Money::from_cents(row.paid_cents).to_string(),
        payer_claim_control_number: row.payer_claim_control_number,
        lines: lines
            .iter()
            .map(|l| AdjudicationLineView {
                line_number: l.line_number,
                procedure_code: l.procedure_code.clone(),
                charge_cents: l.charge_cents,
                paid_cents: l.paid_cents,
                paid: Money::from_cents(l.paid_cents).to_string(),
                paid_units: l.paid_units,
                adjustments: adjustments.iter().filter(|a| a.line_number == l.line_number).map(adjustment_view).collect(),
            })
            .collect(),
        claim_adjustments: adjustments.iter().filter(|a| a.line_number == 0).map(adjustment_view).collect(),
    }))
}

/// The claim's lines, links and the payer's latest adjudication, and whether it may be corrected
/// or followed by a secondary claim now (for the claim page and the API's claim).
pub(crate) struct ClaimExtras {
    pub lines: Vec<ClaimLineView>,
    pub related: Vec<RelatedClaim>,
    pub adjudication: Option<AdjudicationView>,
    pub correctable: bool,
    pub secondary_billable: bool,
}

fn related(id: &str, claim_number: i64, status: &str, frequency: &str, relation: &str) -> RelatedClaim {
    let status = ClaimStatus::parse(status).unwrap_or(ClaimStatus::Draft);
    let label = match relation {
        "replaces" => "Replaces",
        "voids" => "Voids",
        "replaced_by" => "Replaced by",
        "voided_by" => "Voided by",
        "primary_claim" => "Secondary claim of",
        _ => "Secondary claim",
    };
    RelatedClaim {
        id: id.to_string(),
        patient_control_number: patient_control_number(claim_number),
        relation: relation.into(),
        label: label.into(),
        status,
        status_label: status.label().into(),
        frequency_code: frequency.to_string(),
    }
}

pub(crate) async fn claim_extras(conn: &mut Connection, practice_id: &str, claim: &ClaimRow) -> Result<ClaimExtras> {
    let lines = encounter_store::lines(conn, practice_id, &claim.encounter_id)
        .await?
        .into_iter()
        .map(|l| ClaimLineView {
            line_number: l.line_number,
            procedure_code: l.procedure_code,
            modifiers: l.modifiers.replace(',', " "),
            units: l.units,
            charge_cents: l.charge_cents,
            charge: Money::from_cents(l.charge_cents).to_string(),
        })
        .collect();
    let links = cob_store::links(conn, practice_id, &claim.id).await?;
    let mut out = Vec::new();
    if let Some(original) = &links.corrects_claim_id
        && let Some(o) = cob_store::linked_claim(conn, practice_id, original).await?
    {
        let relation = if claim.frequency_code == "8" { "voids" } else { "replaces" };
        out.push(related(&o.id, o.claim_number, &o.status, &o.frequency_code, relation));
    }
    if let Some(primary) = &links.primary_claim_id
        && let Some(p) = cob_store::linked_claim(conn, practice_id, primary).await?
    {
        out.push(related(&p.id, p.claim_number, &p.status, &p.frequency_code, "primary_claim"));
    }
    let linked = cob_store::linked_to(conn, practice_id, &claim.id).await?;
    for l in &linked {
        let relation = if l.corrects_claim_id.as_deref() == Some(claim.id.as_str()) {
            if l.frequency_code == "8" { "voided_by" } else { "replaced_by" }
        } else {
            "secondary_claim"
        };
        out.push(related(&l.id, l.claim_number, &l.status, &l.frequency_code, relation));
    }
    let adjudication = match cob_store::latest_adjudication(conn, practice_id, &claim.id).await? {
        Some(a) => adjudication_view(conn, practice_id, &a.id).await?,
        None => None,
    };
    let status = ClaimStatus::parse(&claim.status).unwrap_or(ClaimStatus::Draft);
    let open_correction =
        linked.iter().any(|l| l.corrects_claim_id.as_deref() == Some(claim.id.as_str()) && ["draft", "ready"].contains(&l.status.as_str()));
    let correctable = CORRECTABLE.contains(&status) && !open_correction;
    let open_secondary = linked.iter().any(|l| l.primary_claim_id.as_deref() == Some(claim.id.as_str()) && l.status != "closed");
    let is_primary = links.primary_claim_id.is_none() && claim.frequency_code != "8";
    let secondary_billable =
        ADJUDICATED.contains(&status) && is_primary && !open_secondary && secondary_coverage(conn, practice_id, claim).await?.is_some();
    Ok(ClaimExtras { lines, related: out, adjudication, correctable, secondary_billable })
}

/// The patient's secondary coverage for the claim's date of service: the one in force then, else
/// any (the scrubber then says it was not in force). None when the claim's own coverage is not
/// the primary one.
async fn secondary_coverage(
    conn: &mut Connection,
    practice_id: &str,
    claim: &ClaimRow,
) -> Result<Option<medoffice_store::patients::CoverageRow>> {
    let coverages = patient_store::coverages_of(conn, practice_id, &claim.patient_id).await?;
    let own_priority = coverages.iter().find(|c| c.coverage.id == claim.coverage_id).map(|c| c.coverage.priority);
    if own_priority != Some(1) {
        return Ok(None);
    }
    let secondaries: Vec<_> = coverages.iter().filter(|c| c.coverage.priority == 2).collect();
    Ok(secondaries
        .iter()
        .find(|c| coverage_active_on(&c.coverage.start_date, c.coverage.end_date.as_deref(), &claim.service_date))
        .or(secondaries.first())
        .map(|c| c.coverage.clone()))
}

fn clean_claim_number(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        Ok(None)
    } else if t.len() > 50 || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Err("at most 50 letters, digits and hyphens".into())
    } else {
        Ok(Some(t.to_string()))
    }
}

/// Reads an amount given in cents or as typed; `required` refuses a blank.
fn amount_of(errors: &mut ValidationErrors, field: &str, text: &str, cents: Option<i64>) -> Option<i64> {
    match cents {
        Some(c) => Some(c),
        None if text.trim().is_empty() => {
            errors.add(field, "enter the amount, e.g. 20.00");
            None
        }
        None => errors.check(field, Money::parse(text)).map(|m| m.cents()),
    }
}

fn adjustments_of(errors: &mut ValidationErrors, prefix: &str, list: &[AdjustmentInput]) -> Vec<AdjustmentData> {
    let mut out = Vec::new();
    for (j, a) in list.iter().enumerate() {
        let blank =
            a.group_code.trim().is_empty() && a.reason_code.trim().is_empty() && a.amount.trim().is_empty() && a.amount_cents.is_none();
        if blank {
            // A form's spare row.
            continue;
        }
        let field = |name: &str| format!("{prefix}[{j}].{name}");
        let group = a.group_code.trim().to_uppercase();
        if !ENTERED_GROUP_CODES.contains(&group.as_str()) {
            errors.add(&field("group_code"), "choose CO (contractual), PR (patient responsibility), OA (other) or PI (payer initiated)");
        }
        let reason = a.reason_code.trim().to_uppercase();
        if reason.is_empty() || reason.len() > 5 || !reason.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.add(&field("reason_code"), "enter the reason code (CARC) from the payer's explanation, e.g. 45");
        }
        let amount_field = if a.amount_cents.is_some() { field("amount_cents") } else { field("amount") };
        let amount = amount_of(errors, &amount_field, &a.amount, a.amount_cents);
        if amount == Some(0) {
            errors.add(&amount_field, "an adjustment of zero says nothing: leave the row empty");
        }
        if let Some(amount) = amount.filter(|a| a.abs() <= 100_000_000) {
            out.push(AdjustmentData { group_code: group, reason_code: reason, amount_cents: amount, quantity: None });
        } else if amount.is_some() {
            errors.add(&amount_field, "the amount is too large");
        }
    }
    if out.len() > MAX_ADJUSTMENTS {
        errors.add(prefix, format!("at most {MAX_ADJUSTMENTS} adjustments"));
    }
    out
}

/// Checks an adjudication as typed, field by field (the balancing against the claim comes when
/// it is recorded). Lines are numbered 1, 2... in the order given.
pub fn parse_adjudication(input: &AdjudicationInput, today: NaiveDate) -> std::result::Result<Adjudication, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let paid_date = match input.paid_date.trim() {
        "" => {
            errors.add("paid_date", "enter the date the payer paid or denied the claim");
            None
        }
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) if date > today => {
                errors.add("paid_date", "the date is in the future");
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                errors.add("paid_date", "enter a date as YYYY-MM-DD");
                None
            }
        },
    };
    let total_field = if input.total_paid_cents.is_some() { "total_paid_cents" } else { "total_paid" };
    let total = amount_of(&mut errors, total_field, &input.total_paid, input.total_paid_cents);
    if total.is_some_and(|t| t < 0) {
        errors.add(total_field, "a paid amount cannot be negative (enter 0.00 for a denial)");
    }
    let number = errors.check("payer_claim_control_number", clean_claim_number(&input.payer_claim_control_number)).flatten();
    if input.lines.is_empty() {
        errors.add("lines", "enter what the payer did with each service line");
    }
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let paid_field = if l.paid_cents.is_some() { format!("lines[{i}].paid_cents") } else { format!("lines[{i}].paid") };
        let paid = amount_of(&mut errors, &paid_field, &l.paid, l.paid_cents);
        if paid.is_some_and(|p| p < 0) {
            errors.add(&paid_field, "a paid amount cannot be negative");
        }
        let units = match l.paid_units.trim() {
            "" => Some(None),
            u => match u.parse::<i64>() {
                Ok(n) if (0..=999).contains(&n) => Some(Some(n)),
                _ => {
                    errors.add(&format!("lines[{i}].paid_units"), "enter the units paid, 0 to 999");
                    None
                }
            },
        };
        let adjustments = adjustments_of(&mut errors, &format!("lines[{i}].adjustments"), &l.adjustments);
        if let (Some(paid), Some(units)) = (paid, units) {
            lines.push(LineAdjudicationData { line_number: i as i64 + 1, paid_cents: paid, paid_units: units, adjustments });
        }
    }
    let claim_adjustments = adjustments_of(&mut errors, "claim_adjustments", &input.claim_adjustments);
    match (paid_date, total) {
        (Some(adjudicated_on), Some(paid_cents)) if errors.is_empty() => Ok(Adjudication {
            adjudicated_on,
            paid_cents,
            payer_claim_control_number: number,
            lines,
            claim_adjustments,
            source: AdjudicationSource::Manual,
        }),
        _ => Err(errors),
    }
}

fn sum(list: &[AdjustmentData]) -> i64 {
    list.iter().map(|a| a.amount_cents).sum()
}

impl App {
    /// Records a payer's adjudication of a claim inside the caller's transaction, after checking
    /// it against the claim's lines with the 837P COB balancing rules (each line: paid +
    /// adjustments = charge; the claim: paid + every adjustment = total; paid = the lines' paid).
    /// Used by the hand-entered EOB of a secondary claim and meant for the 835 posting. Returns
    /// the adjudication's id.
    pub async fn record_adjudication_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        claim_id: &str,
        adjudication: &Adjudication,
    ) -> Result<String> {
        let claim = store::get(conn, &actor.practice_id, claim_id).await?;
        let lines = encounter_store::lines(conn, &actor.practice_id, &claim.encounter_id).await?;
        let mut errors = ValidationErrors::new();
        if adjudication.lines.len() != lines.len() {
            errors.add("lines", format!("the claim has {} service lines: enter what the payer did with each", lines.len()));
            return Err(errors.into());
        }
        if adjudication.adjudicated_on.to_string() < claim.service_date {
            errors.add("paid_date", format!("the payer cannot have decided before the date of service {}", claim.service_date));
        }
        for (i, a) in adjudication.lines.iter().enumerate() {
            let Some(line) = lines.iter().find(|l| l.line_number == a.line_number) else {
                errors.add(&format!("lines[{i}]"), format!("the claim has no line {}", a.line_number));
                continue;
            };
            let adjusted = sum(&a.adjustments);
            if a.paid_cents + adjusted != line.charge_cents {
                errors.add(
                    &format!("lines[{i}].paid"),
                    format!(
                        "line {} ({}) was charged {}: paid {} and adjustments {} must add up to it (they make {})",
                        line.line_number,
                        line.procedure_code,
                        Money::from_cents(line.charge_cents),
                        Money::from_cents(a.paid_cents),
                        Money::from_cents(adjusted),
                        Money::from_cents(a.paid_cents + adjusted)
                    ),
                );
            }
        }
        let lines_paid: i64 = adjudication.lines.iter().map(|l| l.paid_cents).sum();
        if lines_paid != adjudication.paid_cents {
            errors.add(
                "total_paid",
                format!(
                    "the total paid {} differs from the sum paid on the lines {}",
                    Money::from_cents(adjudication.paid_cents),
                    Money::from_cents(lines_paid)
                ),
            );
        }
        let all_adjusted: i64 = sum(&adjudication.claim_adjustments) + adjudication.lines.iter().map(|l| sum(&l.adjustments)).sum::<i64>();
        if errors.is_empty() && adjudication.paid_cents + all_adjusted != claim.total_charge_cents {
            errors.add(
                "claim_adjustments",
                format!(
                    "the claim's total {} must equal what was paid {} plus every adjustment {}: claim-level adjustments must net to {}",
                    Money::from_cents(claim.total_charge_cents),
                    Money::from_cents(adjudication.paid_cents),
                    Money::from_cents(all_adjusted),
                    Money::from_cents(
                        claim.total_charge_cents - adjudication.paid_cents - all_adjusted + sum(&adjudication.claim_adjustments)
                    )
                ),
            );
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let id = new_id();
        let practice_id = actor.practice_id.clone();
        let (source, remittance_id) = match &adjudication.source {
            AdjudicationSource::Manual => ("manual", None),
            AdjudicationSource::Remittance(r) => ("remittance", Some(r.clone())),
        };
        let row = AdjudicationRow {
            practice_id: practice_id.clone(),
            id: id.clone(),
            claim_id: claim.id.clone(),
            payer_id: claim.payer_id.clone(),
            source: source.into(),
            remittance_id,
            adjudicated_on: adjudication.adjudicated_on.to_string(),
            paid_cents: adjudication.paid_cents,
            payer_claim_control_number: adjudication.payer_claim_control_number.clone(),
            created_by: actor.user_id.clone(),
            created_at: self.now_text(),
        };
        let line_rows: Vec<AdjudicationLineRow> = adjudication
            .lines
            .iter()
            .filter_map(|a| {
                let line = lines.iter().find(|l| l.line_number == a.line_number)?;
                Some(AdjudicationLineRow {
                    practice_id: practice_id.clone(),
                    adjudication_id: id.clone(),
                    line_number: a.line_number,
                    procedure_code: line.procedure_code.clone(),
                    charge_cents: line.charge_cents,
                    paid_cents: a.paid_cents,
                    paid_units: a.paid_units.unwrap_or(line.units),
                })
            })
            .collect();
        let adjustment_rows: Vec<AdjustmentRow> = adjudication
            .claim_adjustments
            .iter()
            .map(|a| (0, a))
            .chain(adjudication.lines.iter().flat_map(|l| l.adjustments.iter().map(move |a| (l.line_number, a))))
            .enumerate()
            .map(|(position, (line_number, a))| AdjustmentRow {
                practice_id: practice_id.clone(),
                adjudication_id: id.clone(),
                position: position as i64 + 1,
                line_number,
                group_code: a.group_code.clone(),
                reason_code: a.reason_code.clone(),
                amount_cents: a.amount_cents,
                quantity: a.quantity.clone(),
            })
            .collect();
        cob_store::insert_adjudication(conn, &row, &line_rows, &adjustment_rows).await?;
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "claim.adjudication",
                patient_id: Some(&claim.patient_id),
                record_type: "claim_adjudication",
                record_id: Some(&id),
                detail: format!("claim {}: paid {} ({source})", claim.id, Money::from_cents(row.paid_cents)),
            },
        )
        .await?;
        Ok(id)
    }

    /// Creates the draft secondary claim of an adjudicated primary claim from a recorded
    /// adjudication, inside the caller's transaction, and scrubs it. Refuses (field-named) a
    /// primary claim that is not paid, partially paid or denied, one that is itself a secondary
    /// or a void, and a patient without a secondary coverage; a second open secondary claim is a
    /// conflict. Returns the new claim's id.
    pub async fn create_secondary_claim_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        primary_claim_id: &str,
        adjudication_id: &str,
    ) -> Result<String> {
        let practice_id = actor.practice_id.clone();
        let primary = store::get(conn, &practice_id, primary_claim_id).await?;
        let mut errors = ValidationErrors::new();
        check_can_bill_secondary(conn, &practice_id, &primary, &mut errors).await?;
        let Some(coverage) = secondary_coverage(conn, &practice_id, &primary).await? else {
            errors.add("coverage", "the patient has no secondary coverage (add it on the patient's chart, priority 2)");
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let adjudication = cob_store::adjudication(conn, &practice_id, adjudication_id).await?.ok_or(AppError::NotFound("adjudication"))?.0;
        if adjudication.claim_id != primary.id {
            return Err(AppError::Internal("the adjudication is of another claim".into()));
        }
        let now = self.now_text();
        let id = new_id();
        let claim_number = next_counter(conn, &practice_id, "claim").await?;
        let row = ClaimRow {
            practice_id: practice_id.clone(),
            id: id.clone(),
            claim_number,
            encounter_id: primary.encounter_id.clone(),
            patient_id: primary.patient_id.clone(),
            payer_id: coverage.payer_id.clone(),
            coverage_id: coverage.id.clone(),
            rendering_provider_id: primary.rendering_provider_id.clone(),
            status: ClaimStatus::Draft.as_str().into(),
            frequency_code: "1".into(),
            payer_claim_control_number: None,
            total_charge_cents: primary.total_charge_cents,
            service_date: primary.service_date.clone(),
            batch_id: None,
            scrubbed_at: None,
            version: 1,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        store::insert(conn, &row).await?;
        let links = ClaimLinksRow {
            corrects_claim_id: None,
            primary_claim_id: Some(primary.id.clone()),
            primary_adjudication_id: Some(adjudication_id.to_string()),
        };
        cob_store::set_links(conn, &practice_id, &id, &links).await?;
        let note = format!(
            "secondary claim after claim {} (primary paid {} on {})",
            patient_control_number(primary.claim_number),
            Money::from_cents(adjudication.paid_cents),
            adjudication.adjudicated_on
        );
        append_first_event(conn, actor, &id, &note, &now).await?;
        scrub_claim(conn, actor, actor.today(self.now()), &id, &now).await?;
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "claim.secondary",
                patient_id: Some(&primary.patient_id),
                record_type: "claim",
                record_id: Some(&id),
                detail: note,
            },
        )
        .await?;
        Ok(id)
    }

    /// Bills the secondary payer: records the primary payer's adjudication (checked against the
    /// claim's lines) and creates the draft secondary claim, scrubbed, in one transaction.
    pub async fn create_secondary_claim(&self, actor: &Actor, primary_claim_id: &str, input: &AdjudicationInput) -> Result<ClaimDetail> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let today = actor.today(self.now());
        let adjudication = parse_adjudication(input, today)?;
        let mut tx = self.store.begin().await?;
        let primary = store::get(&mut tx, &actor.practice_id, primary_claim_id).await?;
        // The claim's state first: entering an EOB for a claim that cannot have a secondary
        // would be wasted typing.
        let mut errors = ValidationErrors::new();
        check_can_bill_secondary(&mut tx, &actor.practice_id, &primary, &mut errors).await?;
        if secondary_coverage(&mut tx, &actor.practice_id, &primary).await?.is_none() {
            errors.add("coverage", "the patient has no secondary coverage (add it on the patient's chart, priority 2)");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let adjudication_id = self.record_adjudication_in(&mut tx, actor, primary_claim_id, &adjudication).await?;
        let id = self.create_secondary_claim_in(&mut tx, actor, primary_claim_id, &adjudication_id).await?;
        let detail = claim_detail(&mut tx, &actor.practice_id, today, &id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }

    /// Replaces (frequency 7) or voids (8) a claim the payer has: a new draft claim for the same
    /// encounter with the payer's claim number, linked to the original, scrubbed; the original
    /// keeps its history and is closed when the correction is sent.
    pub async fn correct_claim(&self, actor: &Actor, claim_id: &str, input: &ClaimCorrectionInput) -> Result<ClaimDetail> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let mut errors = ValidationErrors::new();
        let code = input.frequency_code.trim();
        if !["7", "8"].contains(&code) {
            errors.add("frequency_code", "choose 7 (replacement) or 8 (void)");
        }
        let typed = errors.check("payer_claim_control_number", clean_claim_number(&input.payer_claim_control_number)).flatten();
        let note = input.note.split_whitespace().collect::<Vec<_>>().join(" ");
        if note.chars().count() > 500 {
            errors.add("note", "at most 500 characters");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.clone();
        let mut tx = self.store.begin().await?;
        let original = store::get(&mut tx, &practice_id, claim_id).await?;
        let status = ClaimStatus::parse(&original.status).map_err(AppError::Internal)?;
        if !CORRECTABLE.contains(&status) {
            errors.add(
                "frequency_code",
                format!(
                    "a {} claim is not with the payer: only a sent, accepted, paid, partially paid or denied claim is replaced or voided \
                     (a draft or rejected claim is changed itself)",
                    status.label().to_lowercase()
                ),
            );
            return Err(errors.into());
        }
        let linked = cob_store::linked_to(&mut tx, &practice_id, claim_id).await?;
        if let Some(open) =
            linked.iter().find(|l| l.corrects_claim_id.as_deref() == Some(claim_id) && ["draft", "ready"].contains(&l.status.as_str()))
        {
            return Err(AppError::Conflict(format!(
                "claim {} already corrects this claim and has not been sent yet",
                patient_control_number(open.claim_number)
            )));
        }
        let stored = original.payer_claim_control_number.clone().filter(|n| !n.trim().is_empty());
        let Some(number) = typed.or(stored) else {
            errors.add("payer_claim_control_number", "a replacement or void needs the payer's claim number of the claim it corrects");
            return Err(errors.into());
        };
        let own_links = cob_store::links(&mut tx, &practice_id, claim_id).await?;
        let now = self.now_text();
        let id = new_id();
        let claim_number = next_counter(&mut tx, &practice_id, "claim").await?;
        let row = ClaimRow {
            id: id.clone(),
            claim_number,
            status: ClaimStatus::Draft.as_str().into(),
            frequency_code: code.into(),
            payer_claim_control_number: Some(number.clone()),
            batch_id: None,
            scrubbed_at: None,
            version: 1,
            created_at: now.clone(),
            updated_at: now.clone(),
            ..original.clone()
        };
        store::insert(&mut tx, &row).await?;
        let links = ClaimLinksRow { corrects_claim_id: Some(original.id.clone()), ..own_links };
        cob_store::set_links(&mut tx, &practice_id, &id, &links).await?;
        let what = if code == "7" { "replacement" } else { "void" };
        let mut event = format!("{what} of claim {} (payer's claim {number})", patient_control_number(original.claim_number));
        if !note.is_empty() {
            event = format!("{event}: {note}");
        }
        append_first_event(&mut tx, actor, &id, &event, &now).await?;
        scrub_claim(&mut tx, actor, today, &id, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.correct",
                patient_id: Some(&original.patient_id),
                record_type: "claim",
                record_id: Some(&id),
                detail: event,
            },
        )
        .await?;
        let detail = claim_detail(&mut tx, &practice_id, today, &id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }
}

/// The primary claim's own state for a secondary claim: adjudicated, a primary, not a void, no
/// open secondary claim yet (a conflict).
async fn check_can_bill_secondary(
    conn: &mut Connection,
    practice_id: &str,
    primary: &ClaimRow,
    errors: &mut ValidationErrors,
) -> Result<()> {
    let status = ClaimStatus::parse(&primary.status).map_err(AppError::Internal)?;
    if !ADJUDICATED.contains(&status) {
        errors.add(
            "status",
            format!(
                "the primary payer has not adjudicated this claim (it is {}): a secondary claim follows a paid, partially paid or denied one",
                status.label().to_lowercase()
            ),
        );
    }
    let links = cob_store::links(conn, practice_id, &primary.id).await?;
    if links.primary_claim_id.is_some() || primary.frequency_code == "8" {
        errors.add("claim", "this claim is itself a secondary claim or a void; bill the secondary payer from the primary claim");
    }
    let linked = cob_store::linked_to(conn, practice_id, &primary.id).await?;
    if let Some(open) = linked.iter().find(|l| l.primary_claim_id.as_deref() == Some(primary.id.as_str()) && l.status != "closed") {
        return Err(AppError::Conflict(format!("claim {} already bills the secondary payer", patient_control_number(open.claim_number))));
    }
    Ok(())
}

async fn append_first_event(conn: &mut Connection, actor: &Actor, claim_id: &str, note: &str, now: &str) -> Result<()> {
    store::append_event(
        conn,
        &ClaimEventRow {
            practice_id: actor.practice_id.clone(),
            claim_id: claim_id.to_string(),
            seq: 0,
            from_status: None,
            to_status: ClaimStatus::Draft.as_str().into(),
            note: note.to_string(),
            user_id: actor.user_id.clone(),
            at: now.to_string(),
        },
    )
    .await?;
    Ok(())
}

/// Closes the claim a sent correction replaces or voids (inside the sending transaction).
pub(crate) async fn close_corrected(app: &App, conn: &mut Connection, actor: &Actor, sent: &ClaimRow, sent_in: &str) -> Result<()> {
    let links = cob_store::links(conn, &actor.practice_id, &sent.id).await?;
    let Some(original_id) = links.corrects_claim_id else { return Ok(()) };
    let original = store::get(conn, &actor.practice_id, &original_id).await?;
    if original.status == ClaimStatus::Closed.as_str() {
        return Ok(());
    }
    let what = if sent.frequency_code == "8" { "voided" } else { "replaced" };
    let note = format!("{what} by claim {}, sent in {sent_in}", patient_control_number(sent.claim_number));
    move_claim(app, conn, actor, &original, ClaimStatus::Closed, None, &note).await
}
