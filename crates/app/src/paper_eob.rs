//! Paper EOBs posted by hand, through the same code path as an 835.
//!
//! A payer that pays by paper check sends an explanation of benefits (EOB) with it. The biller
//! types what it says: the payer, the check (its number is the trace number), and for each claim
//! (found by our claim number `MO00000042`, or picked from the payer's claims waiting for a
//! payment) whether it was paid or denied and, per service line, what was paid and each
//! adjustment (group CO/PR/OA/PI, reason code, amount). [`App::post_paper_eob`] checks every field,
//! builds the [`Remittance835`] the payer would have sent (payer id = the payer's electronic id,
//! BPR04 CHK, credit), checks the 835's three balancing rules on it, each problem named at the
//! field the biller typed, and hands it to [`App::post_remittance`] with source `paper`: the same
//! matching, posting, journal entry and duplicate guard (payer id and check number) as a file.
//!
//! A check logged in the mail room (`mail_payment_id`) is marked posted once the EOB is:
//! `post_remittance` owns its transaction, so the mark is a second, short transaction right after
//! it. Should that one fail, the payment stays posted and the answer says the check was not marked
//! (`mail_payment_marked: false`); the mail room then still lists it as to post.

use crate::claims::{ClaimStatus, patient_control_number};
use crate::claims_cob::AdjustmentInput;
use crate::remittances::{RemittanceImportResult, SOURCE_PAPER};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::acknowledgements::claim_by_number;
use medoffice_store::claims::{self as claim_store, ClaimFilter, ClaimRow};
use medoffice_store::encounters::{self as encounter_store, EncounterLineRow};
use medoffice_store::{Connection, StoreError, claims_cob as cob_store, mail_room as mail_store, practice as practice_store};
use medoffice_x12::codes::Adjustment;
use medoffice_x12::envelope::DateOrRange;
use medoffice_x12::remittance835::{BalanceProblem, ClaimPayment, Party, Remittance835, ServicePayment, balance_problems};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most claims one paper EOB carries.
pub const MAX_EOB_CLAIMS: usize = 50;

/// The most adjustments per service line.
pub const MAX_LINE_ADJUSTMENTS: usize = 6;

/// The group codes a person may enter (CR comes only from an 835).
pub const EOB_GROUP_CODES: [&str; 4] = ["CO", "PR", "OA", "PI"];

/// A paper EOB as typed. Amounts are dollars as typed; a `*_cents` field wins over its text.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PaperEobInput {
    /// The check logged in the mail room this EOB came with, if any: marked posted with it.
    pub mail_payment_id: String,
    /// Our payer's id.
    pub payer_id: String,
    /// The check number: the trace number of the payment (one posting per payer and number).
    pub check_number: String,
    /// `YYYY-MM-DD`.
    pub check_date: String,
    pub check_amount: String,
    pub check_amount_cents: Option<i64>,
    pub claims: Vec<PaperEobClaimInput>,
}

/// One claim of a paper EOB.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PaperEobClaimInput {
    /// Our claim: its id, or its number as printed (`MO00000042`, or `42`).
    pub claim: String,
    /// `paid` or `denied`.
    pub status: String,
    /// What the payer paid on the claim; blank: the sum of its lines.
    pub paid: String,
    pub paid_cents: Option<i64>,
    /// The payer's claim number, when the EOB shows it.
    pub payer_claim_control_number: String,
    /// One per service line of the claim, in the claim's order.
    pub lines: Vec<PaperEobLineInput>,
}

/// What the EOB says of one service line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PaperEobLineInput {
    pub paid: String,
    pub paid_cents: Option<i64>,
    /// Blank rows are skipped.
    pub adjustments: Vec<AdjustmentInput>,
}

/// What posting a paper EOB did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaperEobResult {
    pub remittance: RemittanceImportResult,
    /// Whether the mail room's check was marked posted (false when none was given).
    pub mail_payment_marked: bool,
}

/// A payer to choose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerChoice {
    pub id: String,
    pub name: String,
    /// The payer's electronic id (the 835's N1*PR N104).
    pub payer_code: String,
}

/// A claim waiting for a payment, to pick.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EobClaimChoice {
    pub id: String,
    pub patient_control_number: String,
    pub patient_name: String,
    pub payer_id: String,
    pub service_date: String,
    pub total_cents: i64,
}

impl EobClaimChoice {
    /// `MO00000042 · DOE, JANE · 2026-06-10 · $210.00`.
    pub fn label(&self) -> String {
        format!("{} · {} · {} · {}", self.patient_control_number, self.patient_name, self.service_date, Money::from_cents(self.total_cents))
    }
}

/// A service line of a claim picked, as billed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EobLineView {
    pub line_number: i64,
    pub procedure_code: String,
    pub modifiers: String,
    pub service_date: String,
    pub units: i64,
    pub charge_cents: i64,
}

/// A claim picked, with its lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EobClaimView {
    pub claim: EobClaimChoice,
    pub lines: Vec<EobLineView>,
}

/// A check from the mail room the EOB came with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EobMailCheck {
    pub id: String,
    pub received_date: String,
    pub check_number: String,
    pub amount_cents: i64,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
}

/// What the entry form needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaperEobForm {
    pub payers: Vec<PayerChoice>,
    /// The claims waiting for a payment (sent, accepted, appealed), of the payer chosen or all.
    pub open_claims: Vec<EobClaimChoice>,
    /// The claims asked for, with their lines.
    pub claims: Vec<EobClaimView>,
    pub mail_check: Option<EobMailCheck>,
}

/// The statuses in which a claim waits for the payer's money.
const WAITING: [ClaimStatus; 3] = [ClaimStatus::Sent, ClaimStatus::Accepted, ClaimStatus::Appealed];

fn choice(row: &medoffice_store::claims::ClaimListRow) -> EobClaimChoice {
    EobClaimChoice {
        id: row.claim.id.clone(),
        patient_control_number: patient_control_number(row.claim.claim_number),
        patient_name: format!("{}, {}", row.patient_family_name, row.patient_given_name),
        payer_id: row.claim.payer_id.clone(),
        service_date: row.claim.service_date.clone(),
        total_cents: row.claim.total_charge_cents,
    }
}

fn line_view(l: &EncounterLineRow) -> EobLineView {
    EobLineView {
        line_number: l.line_number,
        procedure_code: l.procedure_code.clone(),
        modifiers: l.modifiers.clone(),
        service_date: l.service_date.clone(),
        units: l.units,
        charge_cents: l.charge_cents,
    }
}

/// A claim as typed: its id, or its number with or without the `MO` prefix.
async fn find_claim(conn: &mut Connection, practice_id: &str, text: &str) -> Result<Option<ClaimRow>> {
    let t = text.trim();
    let digits = t.strip_prefix("MO").or_else(|| t.strip_prefix("mo")).unwrap_or(t);
    if !digits.is_empty() && digits.len() <= 12 && digits.chars().all(|c| c.is_ascii_digit()) {
        let n: i64 = digits.parse().map_err(|_| AppError::Internal("claim number".into()))?;
        return Ok(claim_by_number(conn, practice_id, n).await?);
    }
    if t.is_empty() || t.len() > 64 {
        return Ok(None);
    }
    match claim_store::get(conn, practice_id, t).await {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn mail_check(conn: &mut Connection, practice_id: &str, id: &str) -> Result<Option<EobMailCheck>> {
    let rows = mail_store::list_payments(conn, practice_id, "to_post", crate::mail_room::MAIL_LIST_LIMIT).await?;
    Ok(rows.into_iter().find(|p| p.id == id).map(|p| EobMailCheck {
        id: p.id,
        received_date: p.received_date,
        check_number: p.check_number,
        amount_cents: p.amount_cents,
        payer_id: p.payer_id,
        payer_name: p.payer_name,
    }))
}

/// An amount as typed (or in cents); blank is `None` without an error unless `required`.
fn amount(errors: &mut ValidationErrors, field: &str, text: &str, cents: Option<i64>, required: bool) -> Option<i64> {
    let value = match cents {
        Some(c) => Some(c),
        None if text.trim().is_empty() => {
            if required {
                errors.add(field, "enter the amount, e.g. 20.00");
            }
            return None;
        }
        None => errors.check(field, Money::parse(text)).map(|m| m.cents()),
    };
    match value {
        Some(v) if v.abs() > 100_000_000 => {
            errors.add(field, "the amount is too large");
            None
        }
        v => v,
    }
}

/// A line's adjustments as typed (blank rows skipped), named `{prefix}[k].field`.
fn adjustments(errors: &mut ValidationErrors, prefix: &str, list: &[AdjustmentInput]) -> Vec<Adjustment> {
    let mut out = Vec::new();
    for (k, a) in list.iter().enumerate() {
        if a.group_code.trim().is_empty() && a.reason_code.trim().is_empty() && a.amount.trim().is_empty() && a.amount_cents.is_none() {
            continue;
        }
        let field = |name: &str| format!("{prefix}[{k}].{name}");
        let group = a.group_code.trim().to_uppercase();
        let mut ok = true;
        if !EOB_GROUP_CODES.contains(&group.as_str()) {
            errors.add(&field("group_code"), "choose CO (contractual), PR (patient responsibility), OA (other) or PI (payer initiated)");
            ok = false;
        }
        let reason = a.reason_code.trim().to_uppercase();
        if reason.is_empty() || reason.len() > 5 || !reason.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.add(&field("reason_code"), "enter the reason code (CARC) the EOB gives, e.g. 45");
            ok = false;
        }
        let amount_field = if a.amount_cents.is_some() { field("amount_cents") } else { field("amount") };
        match amount(errors, &amount_field, &a.amount, a.amount_cents, true) {
            Some(0) => errors.add(&amount_field, "an adjustment of zero says nothing: leave the row empty"),
            Some(cents) if ok => out.push(Adjustment { group, reason, amount_cents: cents, quantity: None }),
            _ => {}
        }
    }
    if out.len() > MAX_LINE_ADJUSTMENTS {
        errors.add(prefix, format!("at most {MAX_LINE_ADJUSTMENTS} adjustments per line"));
    }
    out
}

/// The field a balancing problem is shown at: the line's paid amount, the claim's, or the check's.
fn problem_field(p: &BalanceProblem, claims: &[(usize, String)]) -> String {
    let claim_index = |pcn: &str| claims.iter().find(|(_, n)| n == pcn).map(|(i, _)| *i).unwrap_or(0);
    match p {
        BalanceProblem::Line { claim, line, .. } => format!("claims[{}].lines[{}].paid", claim_index(claim), line - 1),
        BalanceProblem::Claim { claim, .. } => format!("claims[{}].paid", claim_index(claim)),
        BalanceProblem::Payment { .. } => "check_amount".into(),
    }
}

/// What a balancing problem means to the person who typed the EOB.
fn problem_message(p: &BalanceProblem) -> String {
    let m = |c: i64| Money::from_cents(c).to_string();
    match p {
        BalanceProblem::Line { charge_cents, paid_cents, adjusted_cents, .. } => format!(
            "charged {} less adjustments {} is {}, not the {} paid: the EOB does not add up as typed",
            m(*charge_cents),
            m(*adjusted_cents),
            m(charge_cents - adjusted_cents),
            m(*paid_cents)
        ),
        BalanceProblem::Claim { charge_cents, paid_cents, adjusted_cents, .. } => format!(
            "the claim's lines pay {} (charged {} less adjustments {}), not the {} entered",
            m(charge_cents - adjusted_cents),
            m(*charge_cents),
            m(*adjusted_cents),
            m(*paid_cents)
        ),
        BalanceProblem::Payment { total_paid_cents, claims_paid_cents, .. } => {
            format!("the claims pay {} in all, not the check's {}", m(*claims_paid_cents), m(*total_paid_cents))
        }
    }
}

/// The EOB as text, kept as the remittance's content (the paper itself stays in the mail room).
fn eob_text(r: &Remittance835, payer_name: &str) -> String {
    let m = |c: i64| Money::from_cents(c).to_string();
    let mut out = format!(
        "Paper EOB from {payer_name} ({}), check {} dated {}, amount {}\n",
        r.payer.id.as_deref().unwrap_or(""),
        r.trace_number,
        r.payment_date.map(|d| d.to_string()).unwrap_or_default(),
        m(r.total_paid_cents)
    );
    for c in &r.claims {
        out.push_str(&format!(
            "claim {} status {} charged {} paid {}\n",
            c.patient_control_number,
            c.status_meaning(),
            m(c.charge_cents),
            m(c.paid_cents)
        ));
        for s in &c.lines {
            let adj: Vec<String> = s.adjustments.iter().map(|a| format!("{}-{} {}", a.group, a.reason, m(a.amount_cents))).collect();
            out.push_str(&format!(
                "  line {} {} charged {} paid {} {}\n",
                s.line_control_number.as_deref().unwrap_or(""),
                s.procedure,
                m(s.charge_cents),
                m(s.paid_cents),
                adj.join(", ")
            ));
        }
    }
    out
}

impl App {
    /// What the paper EOB form shows: the payers, the claims waiting for a payment (of `payer_id`,
    /// or all), the claims picked (`claim_ids`, each an id or a claim number) with their lines,
    /// and the mail room's check when the EOB came with one.
    pub async fn paper_eob_form(&self, actor: &Actor, payer_id: &str, mail_payment_id: &str, claim_ids: &[String]) -> Result<PaperEobForm> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let payers = practice_store::list_payers(&mut tx, &actor.practice_id)
            .await?
            .into_iter()
            .map(|p| PayerChoice { id: p.id, name: p.name, payer_code: p.payer_code })
            .collect();
        let mail_check = match mail_payment_id.trim() {
            "" => None,
            id => mail_check(&mut tx, &actor.practice_id, id).await?,
        };
        let payer_id = match (payer_id.trim(), &mail_check) {
            ("", Some(m)) => m.payer_id.clone().unwrap_or_default(),
            (p, _) => p.to_string(),
        };
        let mut open_claims = Vec::new();
        for status in WAITING {
            let filter = ClaimFilter { status: status.as_str().into(), payer_id: payer_id.clone(), ..Default::default() };
            open_claims.extend(claim_store::list(&mut tx, &actor.practice_id, &filter).await?.iter().map(choice));
        }
        open_claims.sort_by(|a, b| a.patient_control_number.cmp(&b.patient_control_number));
        let mut claims = Vec::new();
        for id in claim_ids.iter().take(MAX_EOB_CLAIMS) {
            let Some(c) = find_claim(&mut tx, &actor.practice_id, id).await? else { continue };
            if claims.iter().any(|v: &EobClaimView| v.claim.id == c.id) {
                continue;
            }
            let filter = ClaimFilter { status: c.status.clone(), payer_id: c.payer_id.clone(), ..Default::default() };
            let Some(listed) = claim_store::list(&mut tx, &actor.practice_id, &filter).await?.into_iter().find(|r| r.claim.id == c.id)
            else {
                continue;
            };
            let lines = encounter_store::lines(&mut tx, &actor.practice_id, &c.encounter_id).await?;
            claims.push(EobClaimView { claim: choice(&listed), lines: lines.iter().map(line_view).collect() });
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "paper_eob.form",
                patient_id: None,
                record_type: "claim",
                record_id: None,
                detail: format!("{} claims waiting, {} picked", open_claims.len(), claims.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PaperEobForm { payers, open_claims, claims, mail_check })
    }

    /// Posts a paper EOB as typed (see the module's documentation). Every field error at once,
    /// named as the input is (`claims[0].lines[1].adjustments[0].amount`); an EOB that does not add
    /// up is refused at the field that does not, with nothing written; the same payer and check
    /// number posted before is refused on `check_number` ("posted already"), nothing written.
    pub async fn post_paper_eob(&self, actor: &Actor, input: &PaperEobInput) -> Result<PaperEobResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let check_number = input.check_number.trim().to_string();
        if check_number.is_empty() {
            errors.add("check_number", "enter the check number printed on the check");
        } else if check_number.len() > 30 || !check_number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            errors.add("check_number", "at most 30 letters, digits and hyphens");
        }
        let check_date = match input.check_date.trim() {
            "" => {
                errors.add("check_date", "enter the check's date");
                None
            }
            d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(date) if date > today => {
                    errors.add("check_date", "the date is in the future");
                    None
                }
                Ok(date) => Some(date),
                Err(_) => {
                    errors.add("check_date", "enter a date as YYYY-MM-DD");
                    None
                }
            },
        };
        let amount_field = if input.check_amount_cents.is_some() { "check_amount_cents" } else { "check_amount" };
        let check_amount = amount(&mut errors, amount_field, &input.check_amount, input.check_amount_cents, true);
        if check_amount.is_some_and(|a| a < 0) {
            errors.add(amount_field, "a check cannot be negative");
        }
        if input.claims.is_empty() {
            errors.add("claims", "add the claims the EOB pays or denies");
        } else if input.claims.len() > MAX_EOB_CLAIMS {
            errors.add("claims", format!("at most {MAX_EOB_CLAIMS} claims per EOB; post the rest as another"));
        }

        let mut tx = self.store.begin().await?;
        let payer = match input.payer_id.trim() {
            "" => {
                errors.add("payer_id", "choose the payer that sent the check");
                None
            }
            id => match practice_store::get_payer(&mut tx, &actor.practice_id, id).await {
                Ok(p) if p.payer_code.trim().is_empty() => {
                    errors.add("payer_id", "this payer has no electronic payer id: add it under Admin, Payers");
                    None
                }
                Ok(p) => Some(p),
                Err(StoreError::NotFound(_)) => {
                    errors.add("payer_id", "choose one of the practice's payers");
                    None
                }
                Err(e) => return Err(e.into()),
            },
        };
        let mail_payment_id = input.mail_payment_id.trim().to_string();
        if !mail_payment_id.is_empty() && mail_check(&mut tx, &actor.practice_id, &mail_payment_id).await?.is_none() {
            errors.add("mail_payment_id", "this check from the mail was posted already, or does not exist");
        }
        if let Some(p) = &payer
            && !check_number.is_empty()
            && let Some(done) =
                medoffice_store::remittances::by_trace(&mut tx, &actor.practice_id, p.payer_code.trim(), &check_number).await?
        {
            errors.add("check_number", already_posted(&check_number, &p.name, &done.imported_at));
            return Err(errors.into());
        }

        let mut claims = Vec::new();
        let mut numbers: Vec<(usize, String)> = Vec::new();
        // Each claim's number and whether all its lines were read.
        let mut complete: Vec<(String, bool)> = Vec::new();
        for (i, c) in input.claims.iter().enumerate().take(MAX_EOB_CLAIMS) {
            let field = |name: &str| format!("claims[{i}].{name}");
            let Some(claim) = find_claim(&mut tx, &actor.practice_id, &c.claim).await? else {
                errors.add(&field("claim"), "enter one of our claim numbers (MO00000042) or pick the claim");
                continue;
            };
            let pcn = patient_control_number(claim.claim_number);
            if numbers.iter().any(|(_, n)| n == &pcn) {
                errors.add(&field("claim"), format!("claim {pcn} is on this EOB twice"));
                continue;
            }
            numbers.push((i, pcn.clone()));
            if let Some(p) = &payer
                && claim.payer_id != p.id
            {
                errors.add(&field("claim"), format!("claim {pcn} was billed to another payer"));
            }
            let status = ClaimStatus::parse(&claim.status).map_err(AppError::Internal)?;
            if !WAITING.contains(&status) {
                errors.add(&field("claim"), format!("claim {pcn} is {}: it is not waiting for a payment", status.label().to_lowercase()));
            }
            let denied = match c.status.trim() {
                "paid" => Some(false),
                "denied" => Some(true),
                _ => {
                    errors.add(&field("status"), "choose paid or denied, as the EOB says");
                    None
                }
            };
            let lines = encounter_store::lines(&mut tx, &actor.practice_id, &claim.encounter_id).await?;
            if c.lines.len() != lines.len() {
                errors.add(&field("lines"), format!("the claim has {} service lines: enter what the EOB says of each", lines.len()));
                continue;
            }
            let mut services = Vec::new();
            for (j, (typed, line)) in c.lines.iter().zip(&lines).enumerate() {
                let paid_field =
                    if typed.paid_cents.is_some() { field(&format!("lines[{j}].paid_cents")) } else { field(&format!("lines[{j}].paid")) };
                let paid = amount(&mut errors, &paid_field, &typed.paid, typed.paid_cents, true);
                if paid.is_some_and(|p| p < 0) {
                    errors.add(&paid_field, "a paid amount cannot be negative");
                }
                let adjustments = adjustments(&mut errors, &field(&format!("lines[{j}].adjustments")), &typed.adjustments);
                let Some(paid) = paid else { continue };
                services.push(ServicePayment {
                    qualifier: "HC".into(),
                    procedure: line.procedure_code.clone(),
                    modifiers: line.modifiers.split([',', ' ', ':']).map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect(),
                    billed_procedure: None,
                    charge_cents: line.charge_cents,
                    paid_cents: paid,
                    units: Some(line.units.to_string()),
                    service_date: NaiveDate::parse_from_str(&line.service_date, "%Y-%m-%d").ok().map(DateOrRange::Date),
                    adjustments,
                    remarks: Vec::new(),
                    allowed_cents: None,
                    line_control_number: Some(line.line_number.to_string()),
                });
            }
            let lines_paid: i64 = services.iter().map(|s| s.paid_cents).sum();
            let all_lines = services.len() == lines.len();
            complete.push((pcn.clone(), all_lines));
            let paid_field = if c.paid_cents.is_some() { field("paid_cents") } else { field("paid") };
            let paid = amount(&mut errors, &paid_field, &c.paid, c.paid_cents, false).unwrap_or(lines_paid);
            if all_lines && paid != lines_paid {
                errors.add(
                    &paid_field,
                    format!("the lines pay {} in all, not the {} entered", Money::from_cents(lines_paid), Money::from_cents(paid)),
                );
            }
            if denied == Some(true) && paid != 0 {
                errors.add(&paid_field, "a denied claim pays nothing: choose paid if the payer paid part of it");
            }
            let number = c.payer_claim_control_number.trim();
            if number.len() > 50 || !number.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
                errors.add(&field("payer_claim_control_number"), "at most 50 letters, digits and hyphens");
            }
            let secondary = cob_store::links(&mut tx, &actor.practice_id, &claim.id).await?.primary_claim_id.is_some();
            let patient_share: i64 = services.iter().flat_map(|s| &s.adjustments).filter(|a| a.group == "PR").map(|a| a.amount_cents).sum();
            claims.push(ClaimPayment {
                patient_control_number: pcn,
                status: match (denied, secondary) {
                    (Some(true), _) => "4",
                    (_, true) => "2",
                    _ => "1",
                }
                .into(),
                charge_cents: claim.total_charge_cents,
                paid_cents: paid,
                patient_responsibility_cents: Some(patient_share),
                filing_indicator: None,
                payer_claim_control_number: (!number.is_empty()).then(|| number.to_string()),
                patient_name: None,
                patient_member_id: None,
                adjustments: Vec::new(),
                remarks: Vec::new(),
                statement_from: None,
                statement_to: None,
                lines: services,
            });
        }
        // Reads only: nothing to keep.
        drop(tx);
        // The 835's balancing rules on what could be read, each problem at the field typed: a
        // claim's only when all its lines were read, the check's only when every claim was.
        let all_complete = complete.len() == input.claims.len() && complete.iter().all(|(_, done)| *done);
        let mut r = Remittance835 {
            control_number: "0001".into(),
            handling_code: "I".into(),
            total_paid_cents: check_amount.unwrap_or(0),
            credit_debit: "C".into(),
            payment_method: "CHK".into(),
            payment_date: check_date,
            trace_number: check_number.clone(),
            trace_originator: None,
            production_date: None,
            payer: Party {
                name: payer.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
                id_qualifier: Some("XV".into()),
                id: payer.as_ref().map(|p| p.payer_code.trim().to_string()),
            },
            payee: Party { name: actor.practice_name.clone(), id_qualifier: None, id: None },
            claims,
            provider_adjustments: Vec::new(),
            balance_problems: Vec::new(),
        };
        r.balance_problems = balance_problems(&r);
        for p in &r.balance_problems {
            let counts = match p {
                BalanceProblem::Line { claim, .. } => complete.iter().any(|(n, done)| n == claim && *done),
                // Without claim-level adjustments a claim's rule only repeats its lines' problems.
                BalanceProblem::Claim { claim, .. } => {
                    complete.iter().any(|(n, done)| n == claim && *done)
                        && !r.balance_problems.iter().any(|q| matches!(q, BalanceProblem::Line { claim: c, .. } if c == claim))
                }
                BalanceProblem::Payment { .. } => all_complete && check_amount.is_some(),
            };
            if counts {
                errors.add(&problem_field(p, &numbers), problem_message(p));
            }
        }
        let (Some(payer), Some(_), Some(_)) = (payer, check_date, check_amount) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let content = eob_text(&r, &payer.name);
        let file_name = format!("paper-eob-{check_number}.txt");
        let result = self.post_remittance(actor, &r, &file_name, &content, SOURCE_PAPER).await?;
        if result.duplicate {
            // Posted by someone else between the check above and this posting.
            return Err(ValidationErrors::single("check_number", already_posted(&check_number, &payer.name, "just now")).into());
        }
        let mut mail_payment_marked = false;
        if !mail_payment_id.is_empty() {
            let mut tx = self.store.begin().await?;
            let posted_ref = format!("remittance:{}", result.remittance_id);
            match self.mark_mail_payment_posted_in(&mut tx, actor, &mail_payment_id, &posted_ref).await {
                Ok(()) => {
                    tx.commit().await.map_err(StoreError::from)?;
                    mail_payment_marked = true;
                }
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(PaperEobResult { remittance: result, mail_payment_marked })
    }
}

fn already_posted(check_number: &str, payer_name: &str, when: &str) -> String {
    format!("check {check_number} from {payer_name} was posted already ({when}): nothing was posted again")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_does_not_add_up_is_named_at_its_paid_amount() {
        let p = BalanceProblem::Line { claim: "MO00000002".into(), line: 2, charge_cents: 6_000, paid_cents: 5_000, adjusted_cents: 2_000 };
        let claims = [(0, "MO00000001".to_string()), (1, "MO00000002".to_string())];
        assert_eq!(problem_field(&p, &claims), "claims[1].lines[1].paid");
        assert!(problem_message(&p).contains("is $40.00, not the $50.00 paid"), "{}", problem_message(&p));
        let total = BalanceProblem::Payment { total_paid_cents: 20_000, claims_paid_cents: 19_000, provider_adjustments_cents: 0 };
        assert_eq!(problem_field(&total, &claims), "check_amount");
    }

    #[test]
    fn blank_adjustment_rows_are_skipped_and_bad_ones_named() {
        let mut errors = ValidationErrors::new();
        let rows = vec![
            AdjustmentInput::default(),
            AdjustmentInput { group_code: "XX".into(), reason_code: "45".into(), amount: "10".into(), amount_cents: None },
            AdjustmentInput { group_code: "co".into(), reason_code: "45".into(), amount: "12.50".into(), amount_cents: None },
        ];
        let out = adjustments(&mut errors, "claims[0].lines[0].adjustments", &rows);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].group.as_str(), out[0].amount_cents), ("CO", 1_250));
        assert!(errors.for_field("claims[0].lines[0].adjustments[1].group_code").is_some());
    }
}
