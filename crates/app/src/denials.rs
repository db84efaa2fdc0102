//! The denial worklist: what payers refused to pay, and what the biller does about it.
//!
//! The 835 posting ([`crate::remittances`]) leaves a denied claim's CO/OA/PI amounts in AR -
//! Insurance: nobody decided yet whether that money is lost. The worklist lists every denied
//! claim, and every zero-paid service line with a non-PR adjustment on a partially paid claim,
//! with what the claim still owes in AR - Insurance (the sum of its 1100 journal lines by
//! `claim_id`), the payer's reasons (CARC) in words and the days since the denial, oldest and
//! largest first. Each action is one transaction, audited, and takes the claim off the list:
//!
//! | action | claim becomes | journal entry |
//! |---|---|---|
//! | appeal (with a note) | appealed (the next 835 posts it) | none |
//! | correct and resubmit | (the claim page's replacement claim, [`App::correct_claim`]) | none |
//! | write off (with a reason) | closed | Dr Contractual adjustments, Cr AR - Insurance: the claim's remainder |
//! | bill the patient (a patient-liable reason only) | closed | Dr AR - Patients, Cr AR - Insurance: the claim's remainder |

use crate::claims::{ClaimStatus, move_claim, patient_control_number};
use crate::ledger::{NewEntry, NewLine};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::claims::{self as claim_store, ClaimRow};
use medoffice_store::claims_cob as cob_store;
use medoffice_store::denials::{self as store, DenialRow};
use medoffice_store::{Connection, StoreError};
use medoffice_x12::codes::reason_meaning;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The journal entries' source kind.
pub const SOURCE_DENIAL: &str = "denial";

/// The reasons (CARC) that make the patient, not the practice, liable for what the payer did not
/// pay: the service is not covered, the benefit is used up, or the patient was not covered on the
/// day. For any other reason the practice may not bill the patient (a CO denial is the practice's
/// to appeal, correct or write off).
pub const PATIENT_LIABLE_REASONS: [&str; 6] = ["26", "27", "96", "119", "204", "31"];

/// The longest note an action keeps.
pub const MAX_NOTE_CHARS: usize = 500;

/// One of the payer's reasons, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DenialReason {
    /// CO, OA or PI (PR is the patient's share, never a denial).
    pub group_code: String,
    /// The claim adjustment reason code (CARC).
    pub reason_code: String,
    /// What the code means, or "reason code N" for one medoffice does not explain.
    pub meaning: String,
    pub amount_cents: i64,
}

/// One row of the worklist: a denied claim, or a denied line of a partially paid claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DenialItem {
    pub claim_id: String,
    pub claim_number: i64,
    pub patient_control_number: String,
    pub patient_id: String,
    pub patient_name: String,
    pub payer_id: String,
    pub payer_name: String,
    pub service_date: String,
    /// `denied` or `partially_paid`.
    pub status: ClaimStatus,
    /// The denied service line of a partially paid claim; None for a denied claim.
    pub line_number: Option<i64>,
    pub procedure_code: Option<String>,
    pub charge_cents: i64,
    /// What the payer refused (its CO/OA/PI adjustments on the claim, or on the line).
    pub denied_cents: i64,
    /// What the claim still owes in AR - Insurance: what a write-off or a transfer to the patient
    /// moves.
    pub ar_insurance_cents: i64,
    pub reasons: Vec<DenialReason>,
    /// The payer's date (its adjudication), else the day the claim got its status.
    pub denied_on: String,
    pub days_since_denial: i64,
    /// Whether a reason makes the patient liable ([`PATIENT_LIABLE_REASONS`]).
    pub patient_liable: bool,
}

impl DenialItem {
    /// The reasons as `CO-29 the time limit for filing has expired; ...`.
    pub fn reasons_text(&self) -> String {
        self.reasons.iter().map(|r| format!("{}-{} {}", r.group_code, r.reason_code, r.meaning)).collect::<Vec<_>>().join("; ")
    }
}

/// The worklist's filter (`/billing/denials?payer_id=`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct DenialQuery {
    /// Only this payer's claims (our payer id); blank for all.
    pub payer_id: String,
}

/// The worklist and its total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DenialWorklist {
    pub items: Vec<DenialItem>,
    /// The AR - Insurance of the claims listed (each claim once).
    pub total_ar_insurance_cents: i64,
}

/// An action's note: why it is appealed, or why it is written off.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct DenialActionInput {
    pub note: String,
}

/// What an action did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DenialActionResult {
    pub claim_id: String,
    pub patient_control_number: String,
    pub status: ClaimStatus,
    /// The amount moved out of AR - Insurance (0 for an appeal).
    pub amount_cents: i64,
    pub journal_entry_id: Option<String>,
}

/// The payer's latest word on a claim: when, and its adjustments as (line number or 0, group,
/// reason, amount), with each line's paid amount and procedure.
struct LatestWord {
    adjudicated_on: Option<NaiveDate>,
    adjustments: Vec<(i64, String, String, i64)>,
    lines: Vec<(i64, String, i64, i64)>,
}

async fn latest_word(conn: &mut Connection, practice_id: &str, claim_id: &str) -> Result<LatestWord> {
    let mut word = LatestWord { adjudicated_on: None, adjustments: Vec::new(), lines: Vec::new() };
    let Some(latest) = cob_store::latest_adjudication(conn, practice_id, claim_id).await? else { return Ok(word) };
    let Some((row, lines, adjustments)) = cob_store::adjudication(conn, practice_id, &latest.id).await? else { return Ok(word) };
    word.adjudicated_on = NaiveDate::parse_from_str(&row.adjudicated_on, "%Y-%m-%d").ok();
    word.adjustments = adjustments.into_iter().map(|a| (a.line_number, a.group_code, a.reason_code, a.amount_cents)).collect();
    word.lines = lines.into_iter().map(|l| (l.line_number, l.procedure_code, l.charge_cents, l.paid_cents)).collect();
    Ok(word)
}

/// The non-PR adjustments of `line` (None: all of the claim's), summed by group and reason.
fn reasons_of(word: &LatestWord, line: Option<i64>) -> Vec<DenialReason> {
    let mut out: Vec<DenialReason> = Vec::new();
    for (n, group, reason, amount) in &word.adjustments {
        if group == "PR" || line.is_some_and(|l| l != *n) {
            continue;
        }
        match out.iter_mut().find(|r| &r.group_code == group && &r.reason_code == reason) {
            Some(r) => r.amount_cents += amount,
            None => out.push(DenialReason {
                group_code: group.clone(),
                reason_code: reason.clone(),
                meaning: reason_meaning(reason).map(str::to_string).unwrap_or_else(|| format!("reason code {reason}")),
                amount_cents: *amount,
            }),
        }
    }
    out
}

fn is_patient_liable(reasons: &[DenialReason]) -> bool {
    reasons.iter().any(|r| PATIENT_LIABLE_REASONS.contains(&r.reason_code.as_str()))
}

/// The date part of a stored timestamp in the practice's time zone.
fn local_date(at: &str, actor: &Actor) -> Option<NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&actor.timezone).date_naive())
}

/// The worklist rows of one denied or partially paid claim.
async fn items_of(conn: &mut Connection, actor: &Actor, today: NaiveDate, row: &DenialRow) -> Result<Vec<DenialItem>> {
    let c = &row.listed.claim;
    let status = ClaimStatus::parse(&c.status).map_err(AppError::Internal)?;
    let word = latest_word(conn, &actor.practice_id, &c.id).await?;
    let denied_on = word.adjudicated_on.or_else(|| row.status_since.as_deref().and_then(|at| local_date(at, actor))).unwrap_or(today);
    let base = |line_number: Option<i64>, procedure_code: Option<String>, charge_cents: i64, reasons: Vec<DenialReason>| DenialItem {
        claim_id: c.id.clone(),
        claim_number: c.claim_number,
        patient_control_number: patient_control_number(c.claim_number),
        patient_id: c.patient_id.clone(),
        patient_name: format!("{}, {}", row.listed.patient_family_name, row.listed.patient_given_name),
        payer_id: c.payer_id.clone(),
        payer_name: row.listed.payer_name.clone(),
        service_date: c.service_date.clone(),
        status,
        line_number,
        procedure_code,
        charge_cents,
        denied_cents: reasons.iter().map(|r| r.amount_cents).sum(),
        ar_insurance_cents: row.ar_insurance_cents,
        patient_liable: is_patient_liable(&reasons),
        reasons,
        denied_on: denied_on.to_string(),
        days_since_denial: (today - denied_on).num_days().max(0),
    };
    if status == ClaimStatus::Denied {
        return Ok(vec![base(None, None, c.total_charge_cents, reasons_of(&word, None))]);
    }
    let mut items = Vec::new();
    for (line_number, procedure, charge, paid) in &word.lines {
        let reasons = reasons_of(&word, Some(*line_number));
        if *paid == 0 && !reasons.is_empty() {
            items.push(base(Some(*line_number), Some(procedure.clone()), *charge, reasons));
        }
    }
    Ok(items)
}

/// An action's note, whitespace collapsed; required when `required` names the field's purpose.
fn clean_note(input: &DenialActionInput, required: Option<&str>) -> Result<String> {
    let note = input.note.split_whitespace().collect::<Vec<_>>().join(" ");
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ValidationErrors::single("note", format!("at most {MAX_NOTE_CHARS} characters")).into());
    }
    if let Some(what) = required
        && note.is_empty()
    {
        return Err(ValidationErrors::single("note", what).into());
    }
    Ok(note)
}

/// The claim of an action, which must still be on the worklist (denied or partially paid).
async fn worklist_claim(conn: &mut Connection, practice_id: &str, claim_id: &str) -> Result<(ClaimRow, ClaimStatus)> {
    let claim = claim_store::get(conn, practice_id, claim_id).await?;
    let status = ClaimStatus::parse(&claim.status).map_err(AppError::Internal)?;
    if !matches!(status, ClaimStatus::Denied | ClaimStatus::PartiallyPaid) {
        return Err(AppError::Conflict(format!(
            "claim {} is {}: it is no longer on the denial worklist",
            patient_control_number(claim.claim_number),
            status.label().to_lowercase()
        )));
    }
    Ok((claim, status))
}

fn ar_insurance_line(claim: &ClaimRow, cents: i64) -> NewLine {
    NewLine {
        payer_id: Some(claim.payer_id.clone()),
        claim_id: Some(claim.id.clone()),
        memo: Some(format!("claim {}", patient_control_number(claim.claim_number))),
        ..NewLine::credit(accounts::AR_INSURANCE, cents).patient(&claim.patient_id)
    }
}

/// How a denial leaves AR - Insurance.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Settlement {
    WriteOff,
    BillPatient,
}

impl App {
    /// The denial worklist, oldest denial first, then the largest balance.
    pub async fn denial_worklist(&self, actor: &Actor, query: &DenialQuery) -> Result<DenialWorklist> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let rows = store::worklist(&mut tx, &actor.practice_id, query.payer_id.trim()).await?;
        let mut items = Vec::new();
        let mut total = 0;
        for row in &rows {
            let of_claim = items_of(&mut tx, actor, today, row).await?;
            if !of_claim.is_empty() {
                total += row.ar_insurance_cents;
            }
            items.extend(of_claim);
        }
        items.sort_by(|a, b| {
            b.days_since_denial
                .cmp(&a.days_since_denial)
                .then(b.ar_insurance_cents.cmp(&a.ar_insurance_cents))
                .then(a.claim_number.cmp(&b.claim_number))
                .then(a.line_number.cmp(&b.line_number))
        });
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "denial.list",
                patient_id: None,
                record_type: "claim",
                record_id: None,
                detail: format!("payer '{}': {} denials", query.payer_id.trim(), items.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DenialWorklist { items, total_ar_insurance_cents: total })
    }

    /// Appeals a denied or partially paid claim: it becomes appealed with the note (the payer's
    /// next 835 for it is posted as for a sent claim).
    pub async fn appeal_denial(&self, actor: &Actor, claim_id: &str, input: &DenialActionInput) -> Result<DenialActionResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let note = clean_note(input, Some("say what the appeal argues (or what was sent with it)"))?;
        let mut tx = self.store.begin().await?;
        let (claim, _) = worklist_claim(&mut tx, &actor.practice_id, claim_id).await?;
        move_claim(self, &mut tx, actor, &claim, ClaimStatus::Appealed, None, &format!("appealed: {note}")).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "denial.appeal",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(&claim.id),
                detail: note,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DenialActionResult {
            claim_id: claim.id,
            patient_control_number: patient_control_number(claim.claim_number),
            status: ClaimStatus::Appealed,
            amount_cents: 0,
            journal_entry_id: None,
        })
    }

    /// Writes off what a denied or partially paid claim still owes in AR - Insurance (Dr
    /// Contractual adjustments, Cr AR - Insurance) and closes it, with the reason.
    pub async fn write_off_denial(&self, actor: &Actor, claim_id: &str, input: &DenialActionInput) -> Result<DenialActionResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let note = clean_note(input, Some("say why it is written off (e.g. filing limit passed, appeal lost)"))?;
        self.settle_denial(actor, claim_id, &note, Settlement::WriteOff).await
    }

    /// Moves what a denied or partially paid claim still owes in AR - Insurance to the patient
    /// (Dr AR - Patients, Cr AR - Insurance) and closes it: only when the payer's reason makes the
    /// patient liable ([`PATIENT_LIABLE_REASONS`]).
    pub async fn bill_patient_for_denial(&self, actor: &Actor, claim_id: &str, input: &DenialActionInput) -> Result<DenialActionResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let note = clean_note(input, None)?;
        self.settle_denial(actor, claim_id, &note, Settlement::BillPatient).await
    }

    async fn settle_denial(&self, actor: &Actor, claim_id: &str, note: &str, how: Settlement) -> Result<DenialActionResult> {
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let (claim, _) = worklist_claim(&mut tx, &actor.practice_id, claim_id).await?;
        let pcn = patient_control_number(claim.claim_number);
        if how == Settlement::BillPatient {
            let word = latest_word(&mut tx, &actor.practice_id, &claim.id).await?;
            let reasons = reasons_of(&word, None);
            if !is_patient_liable(&reasons) {
                let given: Vec<String> = reasons.iter().map(|r| format!("{}-{}", r.group_code, r.reason_code)).collect();
                return Err(ValidationErrors::single(
                    "action",
                    format!(
                        "the payer's reasons ({}) do not make the patient liable: appeal, correct or write off this claim instead",
                        if given.is_empty() { "none recorded".to_string() } else { given.join(", ") }
                    ),
                )
                .into());
            }
        }
        let remainder = store::ar_insurance_of_claim(&mut tx, &actor.practice_id, &claim.id).await?;
        if remainder < 0 {
            return Err(ValidationErrors::single(
                "action",
                format!(
                    "claim {pcn} has a credit of {} with the payer: refund or apply it, nothing to write off",
                    Money::from_cents(-remainder)
                ),
            )
            .into());
        }
        let (what, debit) = match how {
            Settlement::WriteOff => {
                ("written off", NewLine::debit(accounts::CONTRACTUAL_ADJUSTMENTS, remainder).patient(&claim.patient_id))
            }
            Settlement::BillPatient => {
                ("billed to the patient", NewLine::debit(accounts::AR_PATIENTS, remainder).patient(&claim.patient_id))
            }
        };
        let entry_id = if remainder > 0 {
            let entry = NewEntry {
                date: Some(today),
                memo: format!("Denial of claim {pcn} {what}{}", if note.is_empty() { String::new() } else { format!(": {note}") }),
                source_kind: SOURCE_DENIAL.into(),
                source_id: Some(claim.id.clone()),
                idempotency_key: Some(format!("denial:{}", claim.id)),
                reversal_of: None,
                posted_by: actor.user_id.clone(),
                lines: vec![debit, ar_insurance_line(&claim, remainder)],
            };
            Some(self.post_entry(&mut tx, &actor.practice_id, &entry).await?.entry.id)
        } else {
            None
        };
        let event = format!(
            "denial {what}: {}{}",
            Money::from_cents(remainder),
            if note.is_empty() { String::new() } else { format!(" ({note})") }
        );
        move_claim(self, &mut tx, actor, &claim, ClaimStatus::Closed, None, &event).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if how == Settlement::WriteOff { "denial.write_off" } else { "denial.bill_patient" },
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(&claim.id),
                detail: event,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DenialActionResult {
            claim_id: claim.id,
            patient_control_number: pcn,
            status: ClaimStatus::Closed,
            amount_cents: remainder,
            journal_entry_id: entry_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(adjustments: &[(i64, &str, &str, i64)]) -> LatestWord {
        LatestWord {
            adjudicated_on: None,
            adjustments: adjustments.iter().map(|(n, g, r, a)| (*n, g.to_string(), r.to_string(), *a)).collect(),
            lines: Vec::new(),
        }
    }

    #[test]
    fn the_patients_share_is_never_a_reason_for_a_denial() {
        let w = word(&[(1, "CO", "29", 15_000), (2, "CO", "29", 6_000), (2, "PR", "1", 1_000)]);
        let all = reasons_of(&w, None);
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].reason_code.as_str(), all[0].amount_cents), ("29", 21_000));
        assert_eq!(all[0].meaning, "the time limit for filing has expired");
        assert_eq!(reasons_of(&w, Some(2))[0].amount_cents, 6_000);
    }

    #[test]
    fn only_a_non_covered_reason_lets_the_patient_be_billed() {
        assert!(!is_patient_liable(&reasons_of(&word(&[(0, "CO", "29", 100)]), None)));
        assert!(is_patient_liable(&reasons_of(&word(&[(1, "CO", "96", 100)]), None)));
        assert_eq!(reasons_of(&word(&[(1, "OA", "999", 5)]), None)[0].meaning, "reason code 999");
    }
}
