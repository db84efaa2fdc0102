//! Remittances: the X12 835 a payer sends with (or about) its payment, imported and posted.
//!
//! A file may hold several payments (ST..SE transaction sets). The whole file is read and each
//! payment's three balancing rules checked first (`standards.md`): a file of which one payment
//! does not balance is refused whole, field `file`, with the reason. Then each payment is posted
//! by [`App::post_remittance`] in its own transaction with its own duplicate guard (a paper EOB
//! keyed by hand goes through the same function, `source` "paper", and is checked the same way).
//! The answer sums the payments and lists each (`remittances`); `duplicate` is true only when
//! every payment had been posted before.
//!
//! The remittance row comes first, keyed by the payer's id (N1*PR N104 or REF*2U, else TRN03)
//! and the trace number (TRN02): the same payment imported again, even at the same moment, waits
//! on that key and then posts nothing, answering `duplicate: true` with the first import's result.
//!
//! Each claim (CLP) is matched by CLP01, our patient control number (`MO00000042`), then each of
//! its service lines (SVC) to one of the claim's lines by the line control number we sent (REF*6R)
//! or by procedure code, modifiers, charge and date. What does not match (not our number, a claim
//! billed to another payer than the one paying (our payer's electronic id against N1*PR N104 or
//! REF*2U), a claim not waiting for a payment, a charge or lines that differ, a reversal with
//! nothing to reverse) is stored as `unmatched` with the reason and nothing of it is posted: never
//! guessed. Unmatched amounts are left out of the entry, so its cash line is then less than BPR02
//! by them: the rest is posted by hand.
//!
//! A matched claim gets the payer's adjudication recorded (through
//! [`App::record_adjudication_in`], so the secondary claim can carry it), moves through the
//! lifecycle (a sent claim first to accepted, "accepted (835)", then to paid, partially paid
//! or denied) and its money goes into the remittance's one journal entry (product.md):
//!
//! | what | debit | credit |
//! |---|---|---|
//! | paid (CLP04) | Cash - Operating for an EFT (BPR04 ACH/FWT), else Undeposited funds | AR - Insurance (claim, payer) |
//! | CO, OA, PI, CR adjustments | Contractual adjustments | AR - Insurance |
//! | PR (deductible, co-insurance, co-pay) | AR - Patients (or the secondary payer's AR - Insurance) | AR - Insurance |
//! | reversal (CLP02 22) | the exact opposite of the reversed posting's three rows above | |
//! | PLB L6 interest (negative amount) | Cash (the payment line) | Other revenue (4900) |
//! | PLB WO, WU, FB, 72, CS, AP (recovery, offset; positive amount) | AR - Insurance (payer; claim when the reference is one of our MO numbers) | Cash (the payment line) |
//!
//! A negative amount moves the other way (a payer paying more than billed sends CO-45 -10.00: the
//! contractual adjustments account is credited). The cash line is one line: the claims' payments
//! less the PLB amounts posted, which is BPR02 when everything matched. Other PLB reasons (J1
//! nonspendable, L3 penalty, BD, IR, LE, 90, B2, C5...) are listed as unmatched, not posted.
//!
//! A denied claim (CLP02 4, or nothing paid with a non-PR adjustment) is not written off: its
//! CO/OA/PI amounts stay in AR - Insurance for the denial worklist; only what it paid and the
//! patient's share are posted. The same holds for the denied lines of a partially paid claim (a
//! line paid nothing with a CO/OA/PI adjustment): their adjustments stay with the payer, listed
//! by line on the worklist, while the claim's paid lines post as usual. When the patient has a secondary coverage, the paid or partially
//! paid primary claim gets its secondary claim made (draft, scrubbed) and the patient's share
//! moves from the primary payer's AR - Insurance to the secondary payer's instead of to AR -
//! Patients.
//!
//! A reversal (CLP02 22) finds the latest posting of the same claim (CLP01, else the payer's claim
//! control number CLP07) from an earlier remittance, not reversed yet; its CLP04 must be the
//! opposite of what that posting paid. It posts the opposite of the posting's payment, adjustments
//! and patient share (to the same AR - Patients or secondary payer's AR it went to), marks that
//! posting reversed and moves the claim back to accepted ("reversed by 835 <trace>"), so the
//! corrected claim (CLP02 1, 2 or 3) that follows, in the same 835 or a later one, posts normally.
//!
//! Every CAS (claim and line) and remark code (MOA/MIA, LQ*HE) is kept for the remittance page,
//! in plain words ([`medoffice_x12::codes`]). Each paid line's allowed amount (AMT*B6, else paid
//! plus the patient's share) is compared with the payer's expected amount for the code
//! (`payer_allowed_fee`, with the line's first modifier, else without, times the units): a line
//! allowed less is an underpayment, flagged on the remittance and listed on
//! `/billing/underpayments`.

use crate::claims::{ClaimStatus, command_line_actor, move_claim, patient_control_number};
use crate::claims_cob::{Adjudication, AdjudicationSource, AdjustmentData, LineAdjudicationData};
use crate::ledger::{NewEntry, NewLine};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::acknowledgements::claim_by_number;
use medoffice_store::claims::ClaimRow;
use medoffice_store::encounters::{self as encounter_store, EncounterLineRow};
use medoffice_store::remittances::{
    self as store, RemittanceAdjustmentRow, RemittanceClaimRow, RemittanceLineRow, RemittanceProviderAdjustmentRow, RemittanceRow,
    UnderpaymentRow,
};
use medoffice_store::{Connection, StoreError, Tx, code_sets as fee_store, new_id, patients as patient_store, practice as practice_store};
use medoffice_x12::codes::{Adjustment, group_meaning, reason_meaning, remark_meaning};
use medoffice_x12::remittance835::{ClaimPayment, ProviderAdjustment, Remittance835, ServicePayment, balance_problems, read_835};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest 835 accepted.
pub const MAX_REMITTANCE_BYTES: usize = 10 * 1024 * 1024;

/// The journal entries' source kind.
pub const SOURCE_REMITTANCE: &str = "remittance";

/// A remittance's source: an 835 file.
pub const SOURCE_835: &str = "835";

/// A remittance's source: a paper EOB keyed by hand.
pub const SOURCE_PAPER: &str = "paper";

/// A file to import, as uploaded.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RemittanceImportInput {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// One claim of a remittance and what became of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittanceClaimView {
    /// CLP01 as the payer sent it.
    pub patient_control_number: String,
    pub claim_id: Option<String>,
    /// CLP02.
    pub status_code: String,
    /// paid, partially_paid, denied or unmatched.
    pub outcome: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub adjustment_cents: i64,
    pub patient_responsibility_cents: i64,
    /// What was done, or why nothing was, in plain words.
    pub reason: String,
    pub journal_entry_id: Option<String>,
    pub secondary_claim_id: Option<String>,
    /// CLP07, the payer's claim control number.
    pub payer_claim_control_number: Option<String>,
    /// Set when a later remittance took this posting back.
    pub reversed_by_remittance_id: Option<String>,
    /// For a reversal: the remittance whose posting it took back.
    pub reverses_remittance_id: Option<String>,
    /// The claim's and its lines' adjustments (CAS), in file order.
    pub adjustments: Vec<AdjustmentView>,
    /// The claim-level remark codes (MOA/MIA).
    pub remarks: Vec<RemarkView>,
    /// The service lines posted, with what was allowed against what was expected.
    pub lines: Vec<RemittanceLineView>,
    /// What the lines were allowed less than expected, in all.
    pub short_cents: i64,
}

/// One adjustment (CAS) in plain words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdjustmentView {
    /// 0 for the claim, else the payer's service line (1, 2...).
    pub line: i64,
    /// CO, PR, OA, PI or CR.
    pub group_code: String,
    pub group_meaning: String,
    /// The CARC.
    pub reason_code: String,
    pub reason_meaning: String,
    pub amount_cents: i64,
    pub amount: String,
}

/// A remark code (RARC) in plain words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemarkView {
    pub code: String,
    pub meaning: String,
}

/// One service line of a posted claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittanceLineView {
    /// The payer's line (1, 2...).
    pub line: i64,
    pub procedure_code: String,
    pub modifiers: String,
    pub service_date: Option<String>,
    pub charge_cents: i64,
    pub paid_cents: i64,
    /// AMT*B6, else paid plus the patient's share.
    pub allowed_cents: i64,
    /// The payer's expected amount (payer_allowed_fee) times the units, when one is set.
    pub expected_cents: Option<i64>,
    /// Expected less allowed, when positive: an underpayment.
    pub short_cents: i64,
    pub remarks: Vec<RemarkView>,
}

/// A provider-level adjustment (PLB) and what became of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderAdjustmentView {
    pub reason_code: String,
    pub reason_meaning: String,
    pub reference: Option<String>,
    /// Positive took money from the payment, negative added to it.
    pub amount_cents: i64,
    pub amount: String,
    pub claim_id: Option<String>,
    /// posted or unmatched.
    pub outcome: String,
    /// The account posted to (4900, 1100).
    pub account: Option<String>,
    pub note: String,
}

/// One remittance with its claims and provider-level adjustments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittanceDetail {
    pub remittance: RemittanceView,
    pub claims: Vec<RemittanceClaimView>,
    pub provider_adjustments: Vec<ProviderAdjustmentView>,
}

/// A line allowed less than the payer's expected amount.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnderpaymentView {
    pub remittance_id: String,
    pub trace_number: String,
    pub payer_name: String,
    pub payment_date: Option<String>,
    pub claim_id: Option<String>,
    pub patient_control_number: String,
    pub line: i64,
    pub procedure_code: String,
    pub modifiers: String,
    pub service_date: Option<String>,
    pub expected_cents: i64,
    pub allowed_cents: i64,
    pub short_cents: i64,
    pub expected: String,
    pub allowed: String,
    pub short: String,
}

/// What an import did (or, for a duplicate, what the first import of the same payment did).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittanceImportResult {
    pub remittance_id: String,
    pub payer_name: String,
    pub trace_number: String,
    /// Claims posted.
    pub claims_matched: i64,
    /// Claims listed for a person to look at, nothing posted.
    pub claims_unmatched: i64,
    pub paid_cents: i64,
    /// CO, OA, PI and CR adjustments posted.
    pub adjustment_cents: i64,
    /// PR moved from the payer's balance to the patient's (or the secondary payer's).
    pub patient_responsibility_cents: i64,
    /// True when this payment (payer id and trace number) was imported before: nothing posted now.
    /// For a file of several payments, true only when every one was.
    pub duplicate: bool,
    /// PLB amounts posted (positive took money from the payment).
    pub provider_adjustment_cents: i64,
    /// The claims of every payment, in file order.
    pub claims: Vec<RemittanceClaimView>,
    /// Each payment (835 transaction set) of the file: one for a file of one payment.
    pub remittances: Vec<RemittancePaymentResult>,
}

/// One payment of an import and what it posted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittancePaymentResult {
    pub remittance_id: String,
    pub payer_name: String,
    pub trace_number: String,
    /// "835" or "paper".
    pub source: String,
    pub total_paid_cents: i64,
    pub claims_matched: i64,
    pub claims_unmatched: i64,
    pub paid_cents: i64,
    pub adjustment_cents: i64,
    pub patient_responsibility_cents: i64,
    pub provider_adjustment_cents: i64,
    pub duplicate: bool,
}

/// A remittance in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittanceView {
    pub id: String,
    pub payer_name: String,
    pub payer_identifier: String,
    pub trace_number: String,
    pub payment_method: String,
    pub payment_date: Option<String>,
    pub total_paid_cents: i64,
    pub total_paid: String,
    pub claims_matched: i64,
    pub claims_unmatched: i64,
    pub imported_at: String,
    /// `imported_at` in the practice's time zone, `YYYY-MM-DD HH:MM`, for people to read.
    pub imported_at_local: String,
    /// "835" or "paper".
    pub source: String,
    /// The PLB amounts posted (positive took money from the payment).
    pub provider_adjustment_cents: i64,
}

fn remittance_view(r: &RemittanceRow, tz: chrono_tz::Tz) -> RemittanceView {
    RemittanceView {
        id: r.id.clone(),
        payer_name: r.payer_name.clone(),
        payer_identifier: r.payer_identifier.clone(),
        trace_number: r.trace_number.clone(),
        payment_method: r.payment_method.clone(),
        payment_date: r.payment_date.clone(),
        total_paid_cents: r.total_paid_cents,
        total_paid: Money::from_cents(r.total_paid_cents).to_string(),
        claims_matched: r.claims_matched,
        claims_unmatched: r.claims_unmatched,
        imported_at: r.imported_at.clone(),
        imported_at_local: chrono::DateTime::parse_from_rfc3339(&r.imported_at)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| r.imported_at.clone()),
        source: r.source.clone(),
        provider_adjustment_cents: r.provider_adjustment_cents,
    }
}

/// A remittance's stored detail: adjustments and lines.
#[derive(Default)]
struct Detail {
    adjustments: Vec<RemittanceAdjustmentRow>,
    lines: Vec<RemittanceLineRow>,
}

fn remarks_of(text: &str) -> Vec<RemarkView> {
    text.split_whitespace()
        .map(|code| RemarkView {
            code: code.to_string(),
            meaning: remark_meaning(code).unwrap_or("see the payer's remark code list").to_string(),
        })
        .collect()
}

fn claim_view(c: &RemittanceClaimRow, detail: &Detail) -> RemittanceClaimView {
    let adjustments: Vec<AdjustmentView> = detail
        .adjustments
        .iter()
        .filter(|a| a.claim_position == c.position)
        .map(|a| AdjustmentView {
            line: a.line_position,
            group_code: a.group_code.clone(),
            group_meaning: group_meaning(&a.group_code).to_string(),
            reason_code: a.reason_code.clone(),
            reason_meaning: reason_meaning(&a.reason_code).unwrap_or("see the payer's reason code list").to_string(),
            amount_cents: a.amount_cents,
            amount: Money::from_cents(a.amount_cents).to_string(),
        })
        .collect();
    let lines: Vec<RemittanceLineView> = detail
        .lines
        .iter()
        .filter(|l| l.claim_position == c.position)
        .map(|l| RemittanceLineView {
            line: l.line_position,
            procedure_code: l.procedure_code.clone(),
            modifiers: l.modifiers.clone(),
            service_date: l.service_date.clone(),
            charge_cents: l.charge_cents,
            paid_cents: l.paid_cents,
            allowed_cents: l.allowed_cents,
            expected_cents: l.expected_cents,
            short_cents: l.short_cents,
            remarks: remarks_of(&l.remarks),
        })
        .collect();
    RemittanceClaimView {
        patient_control_number: c.patient_control_number.clone(),
        claim_id: c.claim_id.clone(),
        status_code: c.status_code.clone(),
        outcome: c.outcome.clone(),
        charge_cents: c.charge_cents,
        paid_cents: c.paid_cents,
        adjustment_cents: c.adjustment_cents,
        patient_responsibility_cents: c.patient_responsibility_cents,
        reason: c.reason.clone(),
        journal_entry_id: c.journal_entry_id.clone(),
        secondary_claim_id: c.secondary_claim_id.clone(),
        payer_claim_control_number: c.payer_claim_control_number.clone(),
        reversed_by_remittance_id: c.reversed_by_remittance_id.clone(),
        reverses_remittance_id: c.reverses_remittance_id.clone(),
        short_cents: lines.iter().map(|l| l.short_cents).sum(),
        adjustments,
        remarks: remarks_of(&c.remarks),
        lines,
    }
}

fn provider_adjustment_view(p: &RemittanceProviderAdjustmentRow) -> ProviderAdjustmentView {
    ProviderAdjustmentView {
        reason_code: p.reason_code.clone(),
        reason_meaning: provider_reason_meaning(&p.reason_code).to_string(),
        reference: p.reference.clone(),
        amount_cents: p.amount_cents,
        amount: Money::from_cents(p.amount_cents).to_string(),
        claim_id: p.claim_id.clone(),
        outcome: p.outcome.clone(),
        account: p.account.clone(),
        note: p.note.clone(),
    }
}

/// PLB02 reasons in plain words.
fn provider_reason_meaning(code: &str) -> &'static str {
    let plb = ProviderAdjustment {
        provider_id: String::new(),
        fiscal_period_end: None,
        reason: code.to_string(),
        reference: None,
        amount_cents: 0,
    };
    plb.reason_meaning().unwrap_or("other provider-level adjustment")
}

fn underpayment_view(u: &UnderpaymentRow) -> UnderpaymentView {
    UnderpaymentView {
        remittance_id: u.remittance_id.clone(),
        trace_number: u.trace_number.clone(),
        payer_name: u.payer_name.clone(),
        payment_date: u.payment_date.clone(),
        claim_id: u.claim_id.clone(),
        patient_control_number: u.patient_control_number.clone(),
        line: u.line_position,
        procedure_code: u.procedure_code.clone(),
        modifiers: u.modifiers.clone(),
        service_date: u.service_date.clone(),
        expected_cents: u.expected_cents,
        allowed_cents: u.allowed_cents,
        short_cents: u.short_cents,
        expected: Money::from_cents(u.expected_cents).to_string(),
        allowed: Money::from_cents(u.allowed_cents).to_string(),
        short: Money::from_cents(u.short_cents).to_string(),
    }
}

fn file_error(message: impl Into<String>) -> AppError {
    AppError::Validation(ValidationErrors::single("file", message))
}

/// Reads the 835 payments of a file; anything else, or a payment that does not balance, is a
/// field error on `file` saying why.
fn parse_file(bytes: &[u8]) -> Result<Vec<Remittance835>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error("the file is empty: choose an 835 remittance file"));
    }
    if bytes.len() > MAX_REMITTANCE_BYTES {
        return Err(file_error(format!("the file is larger than {} MB", MAX_REMITTANCE_BYTES / 1024 / 1024)));
    }
    let sets = read_835(bytes).map_err(|e| file_error(format!("not a readable X12 835 remittance: {e}")))?;
    if sets.is_empty() {
        return Err(file_error("the file holds no 835 payment (ST*835 transaction set)"));
    }
    for (i, r) in sets.iter().enumerate() {
        check_payment(r).map_err(|e| match e {
            AppError::Validation(v) if sets.len() > 1 => {
                file_error(format!("payment {} (trace {}): {}", i + 1, r.trace_number, v.for_field("file").unwrap_or_default()))
            }
            e => e,
        })?;
    }
    Ok(sets)
}

/// The checks every payment passes before it posts (a paper EOB has not been through the reader):
/// it balances, it is a credit and it names its payer. Answers the payer's id.
fn check_payment(r: &Remittance835) -> Result<String> {
    let problems = balance_problems(r);
    if !problems.is_empty() {
        let reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(file_error(format!("the remittance does not balance, nothing was posted: {}", reasons.join("; "))));
    }
    if r.credit_debit == "D" {
        return Err(file_error("the payment is a debit (BPR03 D): a payer taking money back is posted by hand"));
    }
    if r.trace_number.trim().is_empty() {
        return Err(file_error("the payment has no trace number (TRN02, the check or EFT number)"));
    }
    r.payer
        .id
        .clone()
        .or_else(|| r.trace_originator.clone())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| file_error("the 835 names no payer id (N1*PR N104, REF*2U or TRN03): it cannot be kept from posting twice"))
}

/// The claim number of one of our patient control numbers (`MO00000042` is 42), exactly as we
/// write them.
fn claim_number_of(pcn: &str) -> Option<i64> {
    let n = pcn.trim().strip_prefix("MO")?.parse::<i64>().ok()?;
    (patient_control_number(n) == pcn.trim()).then_some(n)
}

fn adjustment_data(a: &Adjustment) -> AdjustmentData {
    AdjustmentData {
        group_code: a.group.clone(),
        reason_code: a.reason.clone(),
        amount_cents: a.amount_cents,
        quantity: a.quantity.clone(),
    }
}

fn modifiers_of(text: &str) -> Vec<String> {
    let mut m: Vec<String> = text.split([',', ' ', ':']).map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()).collect();
    m.sort();
    m
}

/// Whether a paid line is the claim's line: same code (as billed), modifiers, charge and date.
fn line_matches(svc: &ServicePayment, line: &EncounterLineRow) -> bool {
    let code = svc.billed_procedure.as_deref().unwrap_or(&svc.procedure);
    let mut paid_mods: Vec<String> = svc.modifiers.iter().map(|m| m.to_ascii_uppercase()).collect();
    paid_mods.sort();
    let date_ok = match &svc.service_date {
        Some(d) => d.start().to_string() == line.service_date,
        None => true,
    };
    code.eq_ignore_ascii_case(&line.procedure_code)
        && (svc.billed_procedure.is_some() || paid_mods == modifiers_of(&line.modifiers))
        && svc.charge_cents == line.charge_cents
        && date_ok
}

/// A claim's line with the payer's answer for it (the payer's line number, from 1, and the line;
/// none when the payer answered a one-line claim at the claim level).
type MatchedLine<'a> = (LineAdjudicationData, Option<(i64, &'a ServicePayment)>);

/// The payer's lines matched to the claim's, in the claim's line order; or why they do not match.
fn match_lines<'a>(cp: &'a ClaimPayment, lines: &[EncounterLineRow]) -> std::result::Result<Vec<MatchedLine<'a>>, String> {
    if cp.lines.is_empty() {
        // A payer may answer a one-line claim at the claim level only.
        return match lines {
            [line] => Ok(vec![(
                LineAdjudicationData {
                    line_number: line.line_number,
                    paid_cents: cp.paid_cents,
                    paid_units: None,
                    adjustments: cp.adjustments.iter().map(adjustment_data).collect(),
                },
                None,
            )]),
            _ => Err("the payer did not say what it paid for each service line; post it by hand".into()),
        };
    }
    let mut taken: Vec<Option<(i64, &ServicePayment)>> = vec![None; lines.len()];
    for (j, svc) in cp.lines.iter().enumerate() {
        let by_control = svc
            .line_control_number
            .as_deref()
            .and_then(|n| n.trim().parse::<i64>().ok())
            .and_then(|n| lines.iter().position(|l| l.line_number == n))
            .filter(|&i| taken[i].is_none() && line_matches(svc, &lines[i]));
        let found = by_control.or_else(|| (0..lines.len()).find(|&i| taken[i].is_none() && line_matches(svc, &lines[i])));
        match found {
            Some(i) => taken[i] = Some((j as i64 + 1, svc)),
            None => {
                return Err(format!(
                    "the payer's line {} ({} charged {}) matches none of the claim's lines",
                    j + 1,
                    svc.procedure,
                    Money::from_cents(svc.charge_cents)
                ));
            }
        }
    }
    let mut out = Vec::new();
    for (line, svc) in lines.iter().zip(taken) {
        let Some((position, svc)) = svc else {
            return Err(format!("the payer did not answer for line {} ({})", line.line_number, line.procedure_code));
        };
        out.push((
            LineAdjudicationData {
                line_number: line.line_number,
                paid_cents: svc.paid_cents,
                paid_units: svc.units.as_deref().and_then(|u| u.trim().parse::<f64>().ok()).map(|u| u.round() as i64),
                adjustments: svc.adjustments.iter().map(adjustment_data).collect(),
            },
            Some((position, svc)),
        ));
    }
    Ok(out)
}

/// Two lines of an entry moving `cents` from `credit` to `debit` (the other way round when the
/// amount is negative); nothing for zero.
fn transfer(out: &mut Vec<NewLine>, debit: NewLine, credit: NewLine, cents: i64) {
    if cents == 0 {
        return;
    }
    let (mut d, mut c) = if cents > 0 { (debit, credit) } else { (credit, debit) };
    d.debit_cents = cents.abs();
    d.credit_cents = 0;
    c.credit_cents = cents.abs();
    c.debit_cents = 0;
    out.push(d);
    out.push(c);
}

fn ar_insurance(claim_id: &str, payer_id: &str, patient_id: &str) -> NewLine {
    NewLine {
        payer_id: Some(payer_id.to_string()),
        claim_id: Some(claim_id.to_string()),
        ..NewLine::debit(accounts::AR_INSURANCE, 0).patient(patient_id)
    }
}

/// The running totals of a payment's posting, and what it stores.
#[derive(Default)]
struct Posting {
    rows: Vec<RemittanceClaimRow>,
    /// The entry's lines other than the one payment line.
    lines: Vec<NewLine>,
    paid: i64,
    adjusted: i64,
    patient: i64,
    /// The PLB amounts posted (positive took money from the payment).
    provider: i64,
    detail: Detail,
    provider_rows: Vec<RemittanceProviderAdjustmentRow>,
    /// The earlier postings (remittance id, position) this payment reversed.
    reversed: Vec<(String, i64)>,
}

/// What a payment's claims are posted against.
struct PaymentContext<'a> {
    remittance_id: &'a str,
    trace_number: &'a str,
    payer_name: &'a str,
    /// N1*PR N104 or REF*2U, compared with the electronic payer id of each claim's payer.
    payer_code: Option<String>,
    adjudicated_on: NaiveDate,
}

/// An amount on one line: a debit when positive, a credit when negative.
fn signed(mut line: NewLine, cents: i64) -> NewLine {
    if cents >= 0 {
        line.debit_cents = cents;
        line.credit_cents = 0;
    } else {
        line.debit_cents = 0;
        line.credit_cents = -cents;
    }
    line
}

/// The account a PLB reason posts to, when it is posted automatically.
fn provider_account(reason: &str) -> Option<&'static str> {
    match reason {
        "L6" => Some(accounts::OTHER_REVENUE),
        "WO" | "WU" | "FB" | "72" | "CS" | "AP" => Some(accounts::AR_INSURANCE),
        _ => None,
    }
}

impl App {
    /// Imports an 835 file and posts each of its payments (see the module's documentation), each
    /// in its own transaction with its own duplicate guard; the answer sums them and lists each.
    /// The whole file is checked first: one payment that does not balance refuses the file.
    pub async fn import_remittance(&self, actor: &Actor, input: &RemittanceImportInput) -> Result<RemittanceImportResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let sets = parse_file(&input.bytes)?;
        let content = String::from_utf8(input.bytes.clone()).map_err(|_| file_error("the file is not plain text"))?;
        let mut results = Vec::with_capacity(sets.len());
        for r in &sets {
            results.push(self.post_remittance(actor, r, &input.file_name, &content, SOURCE_835).await?);
        }
        combine(results)
    }

    /// Posts one parsed payment (835 transaction set or a paper EOB keyed by hand), with the duplicate
    /// guard on (payer id, trace number), in its own transaction. `source` is "835" or "paper".
    pub async fn post_remittance(
        &self,
        actor: &Actor,
        r: &Remittance835,
        file_name: &str,
        content: &str,
        source: &str,
    ) -> Result<RemittanceImportResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        if !matches!(source, SOURCE_835 | SOURCE_PAPER) {
            return Err(AppError::Validation(ValidationErrors::single("source", format!("'{source}' is not 835 or paper"))));
        }
        let payer_identifier = check_payment(r)?;
        let trace_number = r.trace_number.trim().to_string();
        let file_name: String = file_name.trim().chars().take(200).collect();
        let mut tx = self.store.begin().await?;
        if let Some(done) = store::by_trace(&mut tx, &actor.practice_id, &payer_identifier, &trace_number).await? {
            return self.answer_duplicate_remittance(tx, actor, done).await;
        }
        let mut row = RemittanceRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            payer_identifier,
            trace_number,
            payer_name: r.payer.name.clone(),
            payment_method: r.payment_method.clone(),
            payment_date: r.payment_date.map(|d| d.to_string()),
            total_paid_cents: r.total_paid_cents,
            file_name: if file_name.is_empty() {
                if source == SOURCE_PAPER { "paper EOB".into() } else { "remittance.835".into() }
            } else {
                file_name
            },
            content: content.to_string(),
            claims_matched: 0,
            claims_unmatched: 0,
            paid_cents: 0,
            adjustment_cents: 0,
            patient_responsibility_cents: 0,
            imported_by: actor.user_id.clone(),
            imported_at: self.now_text(),
            source: source.to_string(),
            provider_adjustment_cents: 0,
        };
        // The remittance first: a concurrent import of the same payment waits on its unique key
        // here, before either touches a claim.
        match store::insert(&mut tx, &row).await {
            Ok(()) => {}
            Err(StoreError::Conflict(c)) if c.contains("remittance") || c.contains("trace_number") => {
                drop(tx);
                let mut tx = self.store.begin().await?;
                let done = store::by_trace(&mut tx, &actor.practice_id, &row.payer_identifier, &row.trace_number)
                    .await?
                    .ok_or(AppError::NotFound("remittance"))?;
                return self.answer_duplicate_remittance(tx, actor, done).await;
            }
            Err(e) => return Err(e.into()),
        }
        let today = actor.today(self.now());
        let ctx = PaymentContext {
            remittance_id: &row.id,
            trace_number: &row.trace_number,
            payer_name: if row.payer_name.is_empty() { &row.payer_identifier } else { &row.payer_name },
            payer_code: r.payer.id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
            adjudicated_on: r.payment_date.or(r.production_date).filter(|d| *d <= today).unwrap_or(today),
        };
        let mut posting = Posting::default();
        for cp in &r.claims {
            self.post_claim(&mut tx, actor, &ctx, cp, &mut posting).await?;
        }
        for (i, plb) in r.provider_adjustments.iter().enumerate() {
            self.post_provider_adjustment(&mut tx, actor, &ctx, i as i64 + 1, plb, &mut posting).await?;
        }
        let cash_cents = posting.paid - posting.provider;
        let entry_id = if posting.lines.is_empty() && cash_cents == 0 {
            None
        } else {
            let cash =
                if matches!(r.payment_method.as_str(), "ACH" | "FWT") { accounts::CASH_OPERATING } else { accounts::UNDEPOSITED_FUNDS };
            let mut lines = Vec::new();
            if cash_cents != 0 {
                lines.push(signed(NewLine::debit(cash, 0), cash_cents));
            }
            lines.append(&mut posting.lines);
            let entry = NewEntry {
                date: Some(ctx.adjudicated_on),
                memo: format!(
                    "{} remittance {} from {}",
                    if source == SOURCE_PAPER { "paper EOB" } else { "835" },
                    row.trace_number,
                    ctx.payer_name
                ),
                source_kind: SOURCE_REMITTANCE.into(),
                source_id: Some(row.id.clone()),
                idempotency_key: Some(format!("remittance:{}", row.id)),
                reversal_of: None,
                posted_by: actor.user_id.clone(),
                lines,
            };
            Some(self.post_entry(&mut tx, &actor.practice_id, &entry).await?.entry.id)
        };
        for c in &mut posting.rows {
            if c.outcome != "unmatched" {
                c.journal_entry_id = entry_id.clone();
            }
            store::insert_claim(&mut tx, c).await?;
        }
        for a in &posting.detail.adjustments {
            store::insert_adjustment(&mut tx, a).await?;
        }
        for l in &posting.detail.lines {
            store::insert_line(&mut tx, l).await?;
        }
        for p in &posting.provider_rows {
            store::insert_provider_adjustment(&mut tx, p).await?;
        }
        for (remittance_id, position) in &posting.reversed {
            store::set_reversed_by(&mut tx, &actor.practice_id, remittance_id, *position, &row.id).await?;
        }
        row.claims_matched = posting.rows.iter().filter(|c| c.outcome != "unmatched").count() as i64;
        row.claims_unmatched = posting.rows.len() as i64 - row.claims_matched;
        row.paid_cents = posting.paid;
        row.adjustment_cents = posting.adjusted;
        row.patient_responsibility_cents = posting.patient;
        row.provider_adjustment_cents = posting.provider;
        store::set_totals(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "remittance.import",
                patient_id: None,
                record_type: "remittance",
                record_id: Some(&row.id),
                detail: format!(
                    "{} {} ({}): {} claims posted, {} unmatched, paid {}",
                    row.payer_identifier,
                    row.trace_number,
                    source,
                    row.claims_matched,
                    row.claims_unmatched,
                    Money::from_cents(row.paid_cents)
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(result_of(&row, &posting.rows, &posting.detail, false))
    }

    /// [`App::import_remittance`] for the database's one practice, from the command line
    /// (`medoffice remit import FILE`), audited as `(command line)`.
    pub async fn import_remittance_offline(&self, input: &RemittanceImportInput) -> Result<RemittanceImportResult> {
        let practice = self.only_practice().await?;
        let actor = command_line_actor(&practice);
        self.import_remittance(&actor, input).await
    }

    /// The latest remittances, newest first.
    pub async fn remittances(&self, actor: &Actor) -> Result<Vec<RemittanceView>> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list(&mut tx, &actor.practice_id, store::LIST_LIMIT).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(|r| remittance_view(r, actor.timezone)).collect())
    }

    /// One remittance with what became of each of its claims (adjustments, remarks, lines) and
    /// of its provider-level adjustments.
    pub async fn remittance(&self, actor: &Actor, id: &str) -> Result<RemittanceDetail> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get(&mut tx, &actor.practice_id, id).await?;
        let claims = store::claims(&mut tx, &actor.practice_id, id).await?;
        let detail = load_detail(&mut tx, &actor.practice_id, id).await?;
        let provider = store::provider_adjustments(&mut tx, &actor.practice_id, id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "remittance.read",
                patient_id: None,
                record_type: "remittance",
                record_id: Some(id),
                detail: format!("{} claims", claims.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(RemittanceDetail {
            remittance: remittance_view(&row, actor.timezone),
            claims: claims.iter().map(|c| claim_view(c, &detail)).collect(),
            provider_adjustments: provider.iter().map(provider_adjustment_view).collect(),
        })
    }

    /// The lines payers allowed less for than their expected amounts (postings not reversed
    /// since), newest first.
    pub async fn underpayments(&self, actor: &Actor) -> Result<Vec<UnderpaymentView>> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::underpayments(&mut tx, &actor.practice_id, store::LIST_LIMIT * 5).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "remittance.underpayments",
                patient_id: None,
                record_type: "remittance",
                record_id: None,
                detail: format!("{} lines", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(underpayment_view).collect())
    }

    async fn answer_duplicate_remittance(&self, mut tx: Tx, actor: &Actor, done: RemittanceRow) -> Result<RemittanceImportResult> {
        let claims = store::claims(&mut tx, &actor.practice_id, &done.id).await?;
        let detail = load_detail(&mut tx, &actor.practice_id, &done.id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "remittance.duplicate",
                patient_id: None,
                record_type: "remittance",
                record_id: Some(&done.id),
                detail: format!("{} {} imported again; nothing posted", done.payer_identifier, done.trace_number),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(result_of(&done, &claims, &detail, true))
    }

    /// Why a claim cannot be posted from this payment because it was billed to another payer;
    /// `None` when it was billed to this one (or either side names no electronic id).
    async fn other_payer(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        ctx: &PaymentContext<'_>,
        claim: &ClaimRow,
    ) -> Result<Option<String>> {
        let Some(code) = &ctx.payer_code else { return Ok(None) };
        let payer = practice_store::get_payer(conn, &actor.practice_id, &claim.payer_id).await?;
        let ours = payer.payer_code.trim();
        if ours.is_empty() || ours.eq_ignore_ascii_case(code) {
            return Ok(None);
        }
        Ok(Some(format!(
            "claim {} was billed to {} (payer id {ours}), not to this payment's payer {} (payer id {code}): nothing posted",
            patient_control_number(claim.claim_number),
            payer.name,
            ctx.payer_name
        )))
    }

    /// Matches and posts one claim of a remittance inside the payment's transaction, adding to the
    /// entry's lines and the totals; what cannot be posted is recorded as unmatched.
    async fn post_claim(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        ctx: &PaymentContext<'_>,
        cp: &ClaimPayment,
        posting: &mut Posting,
    ) -> Result<()> {
        let position = posting.rows.len() as i64 + 1;
        let all = cp
            .adjustments
            .iter()
            .map(|a| (0, a))
            .chain(cp.lines.iter().enumerate().flat_map(|(j, l)| l.adjustments.iter().map(move |a| (j as i64 + 1, a))));
        for (seq, (line_position, a)) in all.enumerate() {
            posting.detail.adjustments.push(RemittanceAdjustmentRow {
                practice_id: actor.practice_id.clone(),
                remittance_id: ctx.remittance_id.to_string(),
                claim_position: position,
                line_position,
                seq: seq as i64 + 1,
                group_code: a.group.clone(),
                reason_code: a.reason.clone(),
                amount_cents: a.amount_cents,
            });
        }
        let patient_share: i64 = cp.all_adjustments().filter(|a| a.group == "PR").map(|a| a.amount_cents).sum();
        let other: i64 = cp.all_adjustments().filter(|a| a.group != "PR").map(|a| a.amount_cents).sum();
        let mut row = RemittanceClaimRow {
            practice_id: actor.practice_id.clone(),
            remittance_id: ctx.remittance_id.to_string(),
            position,
            patient_control_number: cp.patient_control_number.clone(),
            claim_id: None,
            status_code: cp.status.clone(),
            outcome: "unmatched".into(),
            charge_cents: cp.charge_cents,
            paid_cents: cp.paid_cents,
            adjustment_cents: other,
            patient_responsibility_cents: patient_share,
            reason: String::new(),
            journal_entry_id: None,
            adjudication_id: None,
            secondary_claim_id: None,
            payer_claim_control_number: cp.payer_claim_control_number.clone(),
            remarks: cp.remarks.join(" "),
            reversed_by_remittance_id: None,
            reverses_remittance_id: None,
        };
        let claim = match claim_number_of(&cp.patient_control_number) {
            Some(n) => claim_by_number(conn, &actor.practice_id, n).await?,
            None => None,
        };
        if cp.is_reversal() {
            self.post_reversal(conn, actor, ctx, cp, claim.as_ref(), &mut row, posting).await?;
            posting.rows.push(row);
            return Ok(());
        }
        let Some(claim) = claim else {
            row.reason = format!("{} is not one of our claims", cp.patient_control_number);
            posting.rows.push(row);
            return Ok(());
        };
        row.claim_id = Some(claim.id.clone());
        if let Some(reason) = self.other_payer(conn, actor, ctx, &claim).await? {
            row.reason = reason;
            posting.rows.push(row);
            return Ok(());
        }
        match self.try_post_claim(conn, actor, ctx, position, cp, &claim, posting).await? {
            Ok(done) => {
                row.outcome = done.outcome.as_str().into();
                row.adjudication_id = Some(done.adjudication_id);
                row.secondary_claim_id = done.secondary_claim_id;
                row.reason = done.reason;
                // What was written off: nothing of a denial, nor of a partially paid claim's
                // denied lines (those stay with the payer for the denial worklist).
                row.adjustment_cents = done.adjusted_cents;
            }
            Err(reason) => row.reason = reason,
        }
        posting.rows.push(row);
        Ok(())
    }

    /// A reversal (CLP02 22): the opposite of the latest posting of the same claim, found by our
    /// claim or the payer's claim control number; unmatched with the reason when there is none.
    #[allow(clippy::too_many_arguments)]
    async fn post_reversal(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        ctx: &PaymentContext<'_>,
        cp: &ClaimPayment,
        claim: Option<&ClaimRow>,
        row: &mut RemittanceClaimRow,
        posting: &mut Posting,
    ) -> Result<()> {
        row.claim_id = claim.map(|c| c.id.clone());
        let control = cp.payer_claim_control_number.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let earlier = store::latest_posting(conn, &actor.practice_id, claim.map(|c| c.id.as_str()), control).await?;
        let Some(earlier) = earlier else {
            row.reason = format!(
                "a reversal (CLP02 22) of {}{}, but no earlier posting of it was found: nothing to reverse",
                cp.patient_control_number,
                control.map(|c| format!(" (payer's claim {c})")).unwrap_or_default()
            );
            return Ok(());
        };
        let Some(claim_id) = earlier.claim_id.clone() else { return Ok(()) };
        let claim = medoffice_store::claims::get(conn, &actor.practice_id, &claim_id).await?;
        row.claim_id = Some(claim.id.clone());
        if let Some(reason) = self.other_payer(conn, actor, ctx, &claim).await? {
            row.reason = reason;
            return Ok(());
        }
        let earlier_remittance = store::get(conn, &actor.practice_id, &earlier.remittance_id).await?;
        let pcn = patient_control_number(claim.claim_number);
        if cp.paid_cents != -earlier.paid_cents {
            row.reason = format!(
                "the reversal takes back {} but the posting of claim {pcn} in remittance {} paid {}: post it by hand",
                Money::from_cents(-cp.paid_cents),
                earlier_remittance.trace_number,
                Money::from_cents(earlier.paid_cents)
            );
            return Ok(());
        }
        let ar = || ar_insurance(&claim.id, &claim.payer_id, &claim.patient_id);
        if earlier.paid_cents != 0 {
            let mut line = signed(ar(), earlier.paid_cents);
            line.memo = Some(format!("reversed payment, claim {pcn}"));
            posting.lines.push(line);
            posting.paid -= earlier.paid_cents;
        }
        transfer(
            &mut posting.lines,
            NewLine::debit(accounts::CONTRACTUAL_ADJUSTMENTS, 0).patient(&claim.patient_id),
            ar(),
            -earlier.adjustment_cents,
        );
        posting.adjusted -= earlier.adjustment_cents;
        let to = match &earlier.secondary_claim_id {
            Some(id) => {
                let secondary = medoffice_store::claims::get(conn, &actor.practice_id, id).await?;
                ar_insurance(&secondary.id, &secondary.payer_id, &claim.patient_id)
            }
            None => NewLine::debit(accounts::AR_PATIENTS, 0).patient(&claim.patient_id),
        };
        transfer(&mut posting.lines, to, ar(), -earlier.patient_responsibility_cents);
        posting.patient -= earlier.patient_responsibility_cents;
        if claim.status != ClaimStatus::Accepted.as_str() {
            move_claim(self, conn, actor, &claim, ClaimStatus::Accepted, None, &format!("reversed by 835 {}", ctx.trace_number)).await?;
        }
        posting.reversed.push((earlier.remittance_id.clone(), earlier.position));
        row.outcome = "reversed".into();
        row.reverses_remittance_id = Some(earlier.remittance_id.clone());
        row.paid_cents = -earlier.paid_cents;
        row.adjustment_cents = -earlier.adjustment_cents;
        row.patient_responsibility_cents = -earlier.patient_responsibility_cents;
        row.reason = format!(
            "reversed the posting of remittance {} (paid {}); claim {pcn} is back to accepted for the corrected claim",
            earlier_remittance.trace_number,
            Money::from_cents(earlier.paid_cents)
        );
        Ok(())
    }

    /// A provider-level adjustment: posted to the account its reason maps to (see the module's
    /// table) or listed as unmatched.
    async fn post_provider_adjustment(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        ctx: &PaymentContext<'_>,
        position: i64,
        plb: &ProviderAdjustment,
        posting: &mut Posting,
    ) -> Result<()> {
        let meaning = provider_reason_meaning(&plb.reason);
        let mut row = RemittanceProviderAdjustmentRow {
            practice_id: actor.practice_id.clone(),
            remittance_id: ctx.remittance_id.to_string(),
            position,
            provider_id: plb.provider_id.clone(),
            reason_code: plb.reason.clone(),
            reference: plb.reference.clone(),
            amount_cents: plb.amount_cents,
            claim_id: None,
            outcome: "unmatched".into(),
            account: None,
            note: String::new(),
        };
        let mut line = match provider_account(&plb.reason) {
            None => {
                row.note = format!("{} ({meaning}) is not posted automatically: post it by hand", plb.reason);
                posting.provider_rows.push(row);
                return Ok(());
            }
            Some(accounts::OTHER_REVENUE) => {
                row.note = format!("{meaning}: to Other revenue");
                NewLine::debit(accounts::OTHER_REVENUE, 0)
            }
            Some(account) => {
                let claim = match plb.reference.as_deref().and_then(claim_number_of) {
                    Some(n) => claim_by_number(conn, &actor.practice_id, n).await?,
                    None => None,
                };
                let payer_id = match &claim {
                    Some(c) => Some(c.payer_id.clone()),
                    None => match &ctx.payer_code {
                        Some(code) => practice_store::list_payers(conn, &actor.practice_id)
                            .await?
                            .into_iter()
                            .find(|p| p.payer_code.trim().eq_ignore_ascii_case(code))
                            .map(|p| p.id),
                        None => None,
                    },
                };
                let Some(payer_id) = payer_id else {
                    row.note = format!(
                        "{meaning}: the payment's payer ({}) is none of our payers by its electronic id: post it by hand",
                        ctx.payer_code.as_deref().unwrap_or("no id")
                    );
                    posting.provider_rows.push(row);
                    return Ok(());
                };
                row.note = match &claim {
                    Some(c) => format!("{meaning}: against the payer's balance for claim {}", patient_control_number(c.claim_number)),
                    None => format!("{meaning}: against the payer's balance"),
                };
                row.claim_id = claim.as_ref().map(|c| c.id.clone());
                let mut l = NewLine { payer_id: Some(payer_id), ..NewLine::debit(account, 0) };
                if let Some(c) = &claim {
                    l.claim_id = Some(c.id.clone());
                    l.patient_id = Some(c.patient_id.clone());
                }
                l
            }
        };
        row.outcome = "posted".into();
        row.account = Some(line.account.clone());
        line.memo = Some(format!("PLB {} {}", plb.reason, plb.reference.as_deref().unwrap_or("")).trim().to_string());
        if plb.amount_cents != 0 {
            posting.lines.push(signed(line, plb.amount_cents));
        }
        posting.provider += plb.amount_cents;
        posting.provider_rows.push(row);
        Ok(())
    }

    /// The posting of a claim found by its number: `Ok(Err(reason))` when it cannot be posted
    /// (nothing written for it then).
    #[allow(clippy::too_many_arguments)]
    async fn try_post_claim(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        ctx: &PaymentContext<'_>,
        position: i64,
        cp: &ClaimPayment,
        claim: &ClaimRow,
        posting: &mut Posting,
    ) -> Result<std::result::Result<Posted, String>> {
        if !matches!(cp.status.as_str(), "1" | "2" | "3" | "4" | "19" | "20" | "21") {
            return Ok(Err(format!("the payer says \"{}\" (CLP02 {}): nothing to post", cp.status_meaning(), cp.status)));
        }
        let status = ClaimStatus::parse(&claim.status).map_err(AppError::Internal)?;
        if !matches!(status, ClaimStatus::Sent | ClaimStatus::Accepted | ClaimStatus::Appealed) {
            return Ok(Err(format!(
                "claim {} is {}: it is not waiting for a payment",
                patient_control_number(claim.claim_number),
                status.label().to_lowercase()
            )));
        }
        if cp.charge_cents != claim.total_charge_cents {
            return Ok(Err(format!(
                "the payer's charge {} is not the claim's total {}",
                Money::from_cents(cp.charge_cents),
                Money::from_cents(claim.total_charge_cents)
            )));
        }
        let lines = encounter_store::lines(conn, &actor.practice_id, &claim.encounter_id).await?;
        let matched = match match_lines(cp, &lines) {
            Ok(l) => l,
            Err(reason) => return Ok(Err(reason)),
        };
        let adjudication = Adjudication {
            adjudicated_on: ctx.adjudicated_on,
            paid_cents: cp.paid_cents,
            payer_claim_control_number: cp.payer_claim_control_number.clone(),
            claim_adjustments: if cp.lines.is_empty() { Vec::new() } else { cp.adjustments.iter().map(adjustment_data).collect() },
            lines: matched.iter().map(|(l, _)| l.clone()).collect(),
            source: AdjudicationSource::Remittance(ctx.remittance_id.to_string()),
        };
        // Its checks only read: a refusal leaves the transaction usable.
        let adjudication_id = match self.record_adjudication_in(conn, actor, &claim.id, &adjudication).await {
            Ok(id) => id,
            Err(AppError::Validation(e)) => return Ok(Err(format!("the payer's adjudication does not fit the claim: {}", e.summary()))),
            Err(e) => return Err(e),
        };
        let line_denied = adjudication.lines.iter().any(|l| l.paid_cents == 0 && l.adjustments.iter().any(|a| a.group_code != "PR"));
        let any_other = cp.all_adjustments().any(|a| a.group != "PR");
        let outcome = if cp.is_denied() || (cp.paid_cents == 0 && any_other) {
            ClaimStatus::Denied
        } else if line_denied {
            ClaimStatus::PartiallyPaid
        } else {
            ClaimStatus::Paid
        };
        let mut current = claim.clone();
        if status == ClaimStatus::Sent {
            move_claim(self, conn, actor, &current, ClaimStatus::Accepted, None, "accepted (835)").await?;
            current = medoffice_store::claims::get(conn, &actor.practice_id, &claim.id).await?;
        }
        let carcs: Vec<String> = cp.all_adjustments().map(|a| format!("{}-{}", a.group, a.reason)).collect();
        let note = format!(
            "835 {}: paid {}{}",
            outcome.label().to_lowercase(),
            Money::from_cents(cp.paid_cents),
            if carcs.is_empty() { String::new() } else { format!(" ({})", carcs.join(", ")) }
        );
        move_claim(self, conn, actor, &current, outcome, None, &note).await?;

        // The secondary claim, when the patient has a secondary coverage and the primary paid.
        let mut secondary: Option<(String, String)> = None;
        if outcome != ClaimStatus::Denied && self.has_secondary(conn, &actor.practice_id, claim).await? {
            match self.create_secondary_claim_in(conn, actor, &claim.id, &adjudication_id).await {
                Ok(id) => {
                    let payer = medoffice_store::claims::get(conn, &actor.practice_id, &id).await?.payer_id;
                    secondary = Some((id, payer));
                }
                Err(AppError::Validation(_) | AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }

        let patient_share: i64 = cp.all_adjustments().filter(|a| a.group == "PR").map(|a| a.amount_cents).sum();
        let other: i64 = cp.all_adjustments().filter(|a| a.group != "PR").map(|a| a.amount_cents).sum();
        let ar = || ar_insurance(&claim.id, &claim.payer_id, &claim.patient_id);
        if cp.paid_cents != 0 {
            // The other side is the remittance's one payment line.
            let mut credit = signed(ar(), -cp.paid_cents);
            credit.memo = Some(format!("paid, claim {}", patient_control_number(claim.claim_number)));
            posting.lines.push(credit);
            posting.paid += cp.paid_cents;
        }
        // A denied claim's adjustments, and those of a partially paid claim's denied lines (paid
        // nothing, with a CARC other than the patient's share), stay in AR - Insurance for the
        // denial worklist: appealed, corrected or written off there, never silently here.
        let on_denied_lines: i64 = adjudication
            .lines
            .iter()
            .filter(|l| l.paid_cents == 0 && l.adjustments.iter().any(|a| a.group_code != "PR"))
            .flat_map(|l| l.adjustments.iter())
            .filter(|a| a.group_code != "PR")
            .map(|a| a.amount_cents)
            .sum();
        let adjusted_cents = if outcome == ClaimStatus::Denied { 0 } else { other - on_denied_lines };
        transfer(&mut posting.lines, NewLine::debit(accounts::CONTRACTUAL_ADJUSTMENTS, 0).patient(&claim.patient_id), ar(), adjusted_cents);
        posting.adjusted += adjusted_cents;
        let to = match &secondary {
            Some((id, payer)) => ar_insurance(id, payer, &claim.patient_id),
            None => NewLine::debit(accounts::AR_PATIENTS, 0).patient(&claim.patient_id),
        };
        transfer(&mut posting.lines, to, ar(), patient_share);
        posting.patient += patient_share;

        // Each line's allowed amount against the payer's expected one.
        let mut short_lines = Vec::new();
        for ((adjudicated, answer), line) in matched.iter().zip(&lines) {
            let patient: i64 = adjudicated.adjustments.iter().filter(|a| a.group_code == "PR").map(|a| a.amount_cents).sum();
            let allowed = answer.and_then(|(_, svc)| svc.allowed_cents).unwrap_or(adjudicated.paid_cents + patient);
            let expected = self.expected_cents(conn, &actor.practice_id, &claim.payer_id, line).await?;
            let short = match expected {
                Some(e) if adjudicated.paid_cents > 0 && e > allowed => e - allowed,
                _ => 0,
            };
            if short > 0 {
                short_lines.push(format!(
                    "{} allowed {} of {} expected",
                    line.procedure_code,
                    Money::from_cents(allowed),
                    Money::from_cents(expected.unwrap_or_default())
                ));
            }
            posting.detail.lines.push(RemittanceLineRow {
                practice_id: actor.practice_id.clone(),
                remittance_id: ctx.remittance_id.to_string(),
                claim_position: position,
                line_position: answer.map(|(n, _)| n).unwrap_or(1),
                claim_id: Some(claim.id.clone()),
                procedure_code: line.procedure_code.clone(),
                modifiers: line.modifiers.clone(),
                service_date: Some(line.service_date.clone()),
                charge_cents: line.charge_cents,
                paid_cents: adjudicated.paid_cents,
                allowed_cents: allowed,
                expected_cents: expected,
                short_cents: short,
                remarks: answer.map(|(_, svc)| svc.remarks.join(" ")).unwrap_or_default(),
            });
        }
        let mut reason = match (&secondary, outcome) {
            (_, ClaimStatus::Denied) => format!("denied ({}): left with the payer for the denial worklist", carcs.join(", ")),
            (Some(_), _) => "posted; secondary claim made for the patient's share".to_string(),
            (None, _) => "posted".to_string(),
        };
        if on_denied_lines != 0 && outcome == ClaimStatus::PartiallyPaid {
            reason
                .push_str(&format!("; {} of denied lines left with the payer for the denial worklist", Money::from_cents(on_denied_lines)));
        }
        if !short_lines.is_empty() {
            reason.push_str(&format!("; underpaid: {}", short_lines.join(", ")));
        }
        Ok(Ok(Posted { outcome, adjudication_id, secondary_claim_id: secondary.map(|s| s.0), reason, adjusted_cents }))
    }

    /// The payer's expected amount for a claim line: its fee for the code with the line's first
    /// modifier, else for the code alone, times the units.
    async fn expected_cents(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        payer_id: &str,
        line: &EncounterLineRow,
    ) -> Result<Option<i64>> {
        let modifier = modifiers_of(&line.modifiers).into_iter().next().unwrap_or_default();
        let mut fee = None;
        if !modifier.is_empty() {
            fee = fee_store::payer_fee(conn, practice_id, payer_id, &line.procedure_code, &modifier).await?;
        }
        if fee.is_none() {
            fee = fee_store::payer_fee(conn, practice_id, payer_id, &line.procedure_code, "").await?;
        }
        Ok(fee.map(|f| f.allowed_cents * line.units.max(1)))
    }

    /// Whether the claim is billed to the patient's primary coverage and a secondary one exists.
    async fn has_secondary(&self, conn: &mut Connection, practice_id: &str, claim: &ClaimRow) -> Result<bool> {
        let coverages = patient_store::coverages_of(conn, practice_id, &claim.patient_id).await?;
        let primary = coverages.iter().any(|c| c.coverage.id == claim.coverage_id && c.coverage.priority == 1);
        Ok(primary && coverages.iter().any(|c| c.coverage.priority == 2))
    }
}

async fn load_detail(conn: &mut Connection, practice_id: &str, remittance_id: &str) -> Result<Detail> {
    Ok(Detail {
        adjustments: store::adjustments(conn, practice_id, remittance_id).await?,
        lines: store::lines(conn, practice_id, remittance_id).await?,
    })
}

/// A claim posted.
struct Posted {
    outcome: ClaimStatus,
    adjudication_id: String,
    secondary_claim_id: Option<String>,
    /// The CO/OA/PI/CR written off to contractual adjustments.
    adjusted_cents: i64,
    reason: String,
}

fn result_of(r: &RemittanceRow, claims: &[RemittanceClaimRow], detail: &Detail, duplicate: bool) -> RemittanceImportResult {
    RemittanceImportResult {
        remittance_id: r.id.clone(),
        payer_name: r.payer_name.clone(),
        trace_number: r.trace_number.clone(),
        claims_matched: r.claims_matched,
        claims_unmatched: r.claims_unmatched,
        paid_cents: r.paid_cents,
        adjustment_cents: r.adjustment_cents,
        patient_responsibility_cents: r.patient_responsibility_cents,
        duplicate,
        provider_adjustment_cents: r.provider_adjustment_cents,
        claims: claims.iter().map(|c| claim_view(c, detail)).collect(),
        remittances: vec![RemittancePaymentResult {
            remittance_id: r.id.clone(),
            payer_name: r.payer_name.clone(),
            trace_number: r.trace_number.clone(),
            source: r.source.clone(),
            total_paid_cents: r.total_paid_cents,
            claims_matched: r.claims_matched,
            claims_unmatched: r.claims_unmatched,
            paid_cents: r.paid_cents,
            adjustment_cents: r.adjustment_cents,
            patient_responsibility_cents: r.patient_responsibility_cents,
            provider_adjustment_cents: r.provider_adjustment_cents,
            duplicate,
        }],
    }
}

/// The answer for a whole file: the payments' sums, the first one's id, payer and trace.
fn combine(results: Vec<RemittanceImportResult>) -> Result<RemittanceImportResult> {
    let mut it = results.into_iter();
    let Some(mut out) = it.next() else {
        return Err(file_error("the file holds no 835 payment (ST*835 transaction set)"));
    };
    for r in it {
        out.claims_matched += r.claims_matched;
        out.claims_unmatched += r.claims_unmatched;
        out.paid_cents += r.paid_cents;
        out.adjustment_cents += r.adjustment_cents;
        out.patient_responsibility_cents += r.patient_responsibility_cents;
        out.provider_adjustment_cents += r.provider_adjustment_cents;
        out.duplicate &= r.duplicate;
        out.claims.extend(r.claims);
        out.remittances.extend(r.remittances);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_patient_control_numbers_name_a_claim() {
        assert_eq!(claim_number_of("MO00000042"), Some(42));
        assert_eq!(claim_number_of("MO42"), None);
        assert_eq!(claim_number_of("PCN-1001"), None);
    }

    #[test]
    fn a_negative_amount_moves_the_other_way() {
        let mut lines = Vec::new();
        transfer(&mut lines, NewLine::debit(accounts::AR_PATIENTS, 0), NewLine::debit(accounts::AR_INSURANCE, 0), -500);
        assert_eq!(lines[0].account, accounts::AR_INSURANCE);
        assert_eq!(lines[0].debit_cents, 500);
        assert_eq!(lines[1].account, accounts::AR_PATIENTS);
        assert_eq!(lines[1].credit_cents, 500);
        transfer(&mut lines, NewLine::debit(accounts::AR_PATIENTS, 0), NewLine::debit(accounts::AR_INSURANCE, 0), 0);
        assert_eq!(lines.len(), 2);
    }
}
