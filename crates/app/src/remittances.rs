//! Remittances: the X12 835 a payer sends with (or about) its payment, imported and posted.
//!
//! An import is one transaction. The file is read and its three balancing rules checked
//! (`standards.md`): a file that does not balance is refused whole, field `file`, with the reason.
//! The remittance row comes first, keyed by the payer's id (N1*PR N104 or REF*2U, else TRN03)
//! and the trace number (TRN02): the same payment imported again, even at the same moment, waits
//! on that key and then posts nothing, answering `duplicate: true` with the first import's result.
//!
//! Each claim (CLP) is matched by CLP01, our patient control number (`MO00000042`), then each of
//! its service lines (SVC) to one of the claim's lines by the line control number we sent (REF*6R)
//! or by procedure code, modifiers, charge and date. What does not match (not our number, a claim
//! not waiting for a payment, a charge or lines that differ, a reversal) is stored as `unmatched`
//! with the reason and nothing of it is posted: never guessed.
//!
//! A matched claim gets the payer's adjudication recorded (through
//! [`App::record_adjudication_in`], so the secondary claim can carry it), moves through the
//! lifecycle (a sent claim first to accepted, "accepted (835)", then to paid, partially paid
//! or denied) and its money goes into the remittance's one journal entry (product.md):
//!
//! | what | debit | credit |
//! |---|---|---|
//! | paid (CLP04) | Cash - Operating for an EFT (BPR04 ACH/FWT), else Undeposited funds | AR - Insurance |
//! | CO, OA, PI, CR adjustments | Contractual adjustments | AR - Insurance |
//! | PR (deductible, co-insurance, co-pay) | AR - Patients | AR - Insurance |
//!
//! A denied claim (CLP02 4, or nothing paid with a non-PR adjustment) is not written off: its
//! CO/OA/PI amounts stay in AR - Insurance for the denial worklist; only what it paid and the
//! patient's share are posted. When the patient has a secondary coverage, the paid or partially
//! paid primary claim gets its secondary claim made (draft, scrubbed) and the patient's share
//! moves from the primary payer's AR - Insurance to the secondary payer's instead of to AR -
//! Patients. Reversals (CLP02 22) and provider-level adjustments (PLB) are listed, not posted.

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
use medoffice_store::remittances::{self as store, RemittanceClaimRow, RemittanceRow};
use medoffice_store::{Connection, StoreError, Tx, new_id, patients as patient_store};
use medoffice_x12::codes::Adjustment;
use medoffice_x12::remittance835::{ClaimPayment, Remittance835, ServicePayment, read_835};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest 835 accepted.
pub const MAX_REMITTANCE_BYTES: usize = 10 * 1024 * 1024;

/// The journal entries' source kind.
pub const SOURCE_REMITTANCE: &str = "remittance";

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
    pub duplicate: bool,
    pub claims: Vec<RemittanceClaimView>,
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
}

fn remittance_view(r: &RemittanceRow) -> RemittanceView {
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
    }
}

fn claim_view(c: &RemittanceClaimRow) -> RemittanceClaimView {
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
    }
}

fn file_error(message: impl Into<String>) -> AppError {
    AppError::Validation(ValidationErrors::single("file", message))
}

/// Reads the one 835 payment of a file; anything else, or a payment that does not balance, is a
/// field error on `file` saying why.
fn parse_file(bytes: &[u8]) -> Result<Remittance835> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error("the file is empty: choose an 835 remittance file"));
    }
    if bytes.len() > MAX_REMITTANCE_BYTES {
        return Err(file_error(format!("the file is larger than {} MB", MAX_REMITTANCE_BYTES / 1024 / 1024)));
    }
    let mut sets = read_835(bytes).map_err(|e| file_error(format!("not a readable X12 835 remittance: {e}")))?;
    if sets.len() != 1 {
        return Err(file_error(format!("the file holds {} payments (835 transaction sets); import each on its own", sets.len())));
    }
    let r = sets.remove(0);
    if !r.balance_problems.is_empty() {
        let reasons: Vec<String> = r.balance_problems.iter().map(ToString::to_string).collect();
        return Err(file_error(format!("the remittance does not balance, nothing was posted: {}", reasons.join("; "))));
    }
    if r.credit_debit == "D" {
        return Err(file_error("the payment is a debit (BPR03 D): a payer taking money back is posted by hand"));
    }
    Ok(r)
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

/// The payer's lines matched to the claim's, in the claim's line order; or why they do not match.
fn match_lines(cp: &ClaimPayment, lines: &[EncounterLineRow]) -> std::result::Result<Vec<LineAdjudicationData>, String> {
    if cp.lines.is_empty() {
        // A payer may answer a one-line claim at the claim level only.
        return match lines {
            [line] => Ok(vec![LineAdjudicationData {
                line_number: line.line_number,
                paid_cents: cp.paid_cents,
                paid_units: None,
                adjustments: cp.adjustments.iter().map(adjustment_data).collect(),
            }]),
            _ => Err("the payer did not say what it paid for each service line; post it by hand".into()),
        };
    }
    let mut taken: Vec<Option<&ServicePayment>> = vec![None; lines.len()];
    for (j, svc) in cp.lines.iter().enumerate() {
        let by_control = svc
            .line_control_number
            .as_deref()
            .and_then(|n| n.trim().parse::<i64>().ok())
            .and_then(|n| lines.iter().position(|l| l.line_number == n))
            .filter(|&i| taken[i].is_none() && line_matches(svc, &lines[i]));
        let found = by_control.or_else(|| (0..lines.len()).find(|&i| taken[i].is_none() && line_matches(svc, &lines[i])));
        match found {
            Some(i) => taken[i] = Some(svc),
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
        let Some(svc) = svc else {
            return Err(format!("the payer did not answer for line {} ({})", line.line_number, line.procedure_code));
        };
        out.push(LineAdjudicationData {
            line_number: line.line_number,
            paid_cents: svc.paid_cents,
            paid_units: svc.units.as_deref().and_then(|u| u.trim().parse::<f64>().ok()).map(|u| u.round() as i64),
            adjustments: svc.adjustments.iter().map(adjustment_data).collect(),
        });
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

/// The running totals of an import.
#[derive(Default)]
struct Posting {
    rows: Vec<RemittanceClaimRow>,
    /// The entry's lines other than the one payment line.
    lines: Vec<NewLine>,
    paid: i64,
    adjusted: i64,
    patient: i64,
}

impl App {
    /// Imports an 835 and posts it (see the module's documentation), in one transaction.
    pub async fn import_remittance(&self, actor: &Actor, input: &RemittanceImportInput) -> Result<RemittanceImportResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let r = parse_file(&input.bytes)?;
        let content = String::from_utf8(input.bytes.clone()).map_err(|_| file_error("the file is not plain text"))?;
        let Some(payer_identifier) = r.payer.id.clone().or_else(|| r.trace_originator.clone()).map(|s| s.trim().to_string()) else {
            return Err(file_error("the 835 names no payer id (N1*PR N104, REF*2U or TRN03): it cannot be kept from posting twice"));
        };
        let trace_number = r.trace_number.trim().to_string();
        let file_name: String = input.file_name.trim().chars().take(200).collect();
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
            file_name: if file_name.is_empty() { "remittance.835".into() } else { file_name },
            content,
            claims_matched: 0,
            claims_unmatched: 0,
            paid_cents: 0,
            adjustment_cents: 0,
            patient_responsibility_cents: 0,
            imported_by: actor.user_id.clone(),
            imported_at: self.now_text(),
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
        let adjudicated_on = r.payment_date.or(r.production_date).filter(|d| *d <= today).unwrap_or(today);
        let mut posting = Posting::default();
        for cp in &r.claims {
            self.post_claim(&mut tx, actor, &row.id, adjudicated_on, cp, &mut posting).await?;
        }
        let entry_id = if posting.lines.is_empty() && posting.paid == 0 {
            None
        } else {
            let cash =
                if matches!(r.payment_method.as_str(), "ACH" | "FWT") { accounts::CASH_OPERATING } else { accounts::UNDEPOSITED_FUNDS };
            let mut lines = Vec::new();
            if posting.paid > 0 {
                lines.push(NewLine::debit(cash, posting.paid));
            } else if posting.paid < 0 {
                lines.push(NewLine::credit(cash, -posting.paid));
            }
            lines.append(&mut posting.lines);
            let entry = NewEntry {
                date: Some(adjudicated_on),
                memo: format!(
                    "835 remittance {} from {}",
                    row.trace_number,
                    if row.payer_name.is_empty() { &row.payer_identifier } else { &row.payer_name }
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
        row.claims_matched = posting.rows.iter().filter(|c| c.outcome != "unmatched").count() as i64;
        row.claims_unmatched = posting.rows.len() as i64 - row.claims_matched;
        row.paid_cents = posting.paid;
        row.adjustment_cents = posting.adjusted;
        row.patient_responsibility_cents = posting.patient;
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
                    "{} {}: {} claims posted, {} unmatched, paid {}",
                    row.payer_identifier,
                    row.trace_number,
                    row.claims_matched,
                    row.claims_unmatched,
                    Money::from_cents(row.paid_cents)
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(result_of(&row, &posting.rows, false))
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
        Ok(rows.iter().map(remittance_view).collect())
    }

    /// One remittance with what became of each of its claims.
    pub async fn remittance(&self, actor: &Actor, id: &str) -> Result<(RemittanceView, Vec<RemittanceClaimView>)> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get(&mut tx, &actor.practice_id, id).await?;
        let claims = store::claims(&mut tx, &actor.practice_id, id).await?;
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
        Ok((remittance_view(&row), claims.iter().map(claim_view).collect()))
    }

    async fn answer_duplicate_remittance(&self, mut tx: Tx, actor: &Actor, done: RemittanceRow) -> Result<RemittanceImportResult> {
        let claims = store::claims(&mut tx, &actor.practice_id, &done.id).await?;
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
        Ok(result_of(&done, &claims, true))
    }

    /// Matches and posts one claim of a remittance inside the import's transaction, adding to the
    /// entry's lines and the totals; what cannot be posted is recorded as unmatched.
    async fn post_claim(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        remittance_id: &str,
        adjudicated_on: NaiveDate,
        cp: &ClaimPayment,
        posting: &mut Posting,
    ) -> Result<()> {
        let patient_share: i64 = cp.all_adjustments().filter(|a| a.group == "PR").map(|a| a.amount_cents).sum();
        let other: i64 = cp.all_adjustments().filter(|a| a.group != "PR").map(|a| a.amount_cents).sum();
        let mut row = RemittanceClaimRow {
            practice_id: actor.practice_id.clone(),
            remittance_id: remittance_id.to_string(),
            position: posting.rows.len() as i64 + 1,
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
        };
        let claim = match claim_number_of(&cp.patient_control_number) {
            Some(n) => claim_by_number(conn, &actor.practice_id, n).await?,
            None => None,
        };
        let Some(claim) = claim else {
            row.reason = format!("{} is not one of our claims", cp.patient_control_number);
            posting.rows.push(row);
            return Ok(());
        };
        row.claim_id = Some(claim.id.clone());
        match self.try_post_claim(conn, actor, remittance_id, adjudicated_on, cp, &claim, posting).await? {
            Ok(done) => {
                row.outcome = done.outcome.as_str().into();
                row.adjudication_id = Some(done.adjudication_id);
                row.secondary_claim_id = done.secondary_claim_id;
                row.reason = done.reason;
                if done.outcome == ClaimStatus::Denied {
                    row.adjustment_cents = 0;
                }
            }
            Err(reason) => row.reason = reason,
        }
        posting.rows.push(row);
        Ok(())
    }

    /// The posting of a claim found by its number: `Ok(Err(reason))` when it cannot be posted
    /// (nothing written for it then).
    #[allow(clippy::too_many_arguments)]
    async fn try_post_claim(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        remittance_id: &str,
        adjudicated_on: NaiveDate,
        cp: &ClaimPayment,
        claim: &ClaimRow,
        posting: &mut Posting,
    ) -> Result<std::result::Result<Posted, String>> {
        if cp.is_reversal() {
            return Ok(Err("a reversal of an earlier payment (CLP02 22): not posted automatically yet, post it by hand".into()));
        }
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
        let adjudicated_lines = match match_lines(cp, &lines) {
            Ok(l) => l,
            Err(reason) => return Ok(Err(reason)),
        };
        let adjudication = Adjudication {
            adjudicated_on,
            paid_cents: cp.paid_cents,
            payer_claim_control_number: cp.payer_claim_control_number.clone(),
            claim_adjustments: if cp.lines.is_empty() { Vec::new() } else { cp.adjustments.iter().map(adjustment_data).collect() },
            lines: adjudicated_lines,
            source: AdjudicationSource::Remittance(remittance_id.to_string()),
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
            let mut credit = ar();
            credit.memo = Some(format!("paid, claim {}", patient_control_number(claim.claim_number)));
            if cp.paid_cents > 0 {
                credit.credit_cents = cp.paid_cents;
            } else {
                credit.debit_cents = -cp.paid_cents;
            }
            posting.lines.push(credit);
            posting.paid += cp.paid_cents;
        }
        if outcome != ClaimStatus::Denied {
            transfer(&mut posting.lines, NewLine::debit(accounts::CONTRACTUAL_ADJUSTMENTS, 0).patient(&claim.patient_id), ar(), other);
            posting.adjusted += other;
        }
        let to = match &secondary {
            Some((id, payer)) => ar_insurance(id, payer, &claim.patient_id),
            None => NewLine::debit(accounts::AR_PATIENTS, 0).patient(&claim.patient_id),
        };
        transfer(&mut posting.lines, to, ar(), patient_share);
        posting.patient += patient_share;
        let reason = match (&secondary, outcome) {
            (_, ClaimStatus::Denied) => format!("denied ({}): left with the payer for the denial worklist", carcs.join(", ")),
            (Some(_), _) => "posted; secondary claim made for the patient's share".to_string(),
            (None, _) => "posted".to_string(),
        };
        Ok(Ok(Posted { outcome, adjudication_id, secondary_claim_id: secondary.map(|s| s.0), reason }))
    }

    /// Whether the claim is billed to the patient's primary coverage and a secondary one exists.
    async fn has_secondary(&self, conn: &mut Connection, practice_id: &str, claim: &ClaimRow) -> Result<bool> {
        let coverages = patient_store::coverages_of(conn, practice_id, &claim.patient_id).await?;
        let primary = coverages.iter().any(|c| c.coverage.id == claim.coverage_id && c.coverage.priority == 1);
        Ok(primary && coverages.iter().any(|c| c.coverage.priority == 2))
    }
}

/// A claim posted.
struct Posted {
    outcome: ClaimStatus,
    adjudication_id: String,
    secondary_claim_id: Option<String>,
    reason: String,
}

fn result_of(r: &RemittanceRow, claims: &[RemittanceClaimRow], duplicate: bool) -> RemittanceImportResult {
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
        claims: claims.iter().map(claim_view).collect(),
    }
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
