//! Late charges on patients' past-due balances (issue 7), by the practice's written policy
//! ([`LateChargePolicy`] in the statement settings: a monthly rate, a flat fee, grace days, a
//! minimum balance; off by default).
//!
//! The daily job ([`App::apply_late_charges`], `medoffice ar late-charges` from cron) looks at
//! each patient's latest statement: once its due date plus the grace days has passed, the past-due
//! amount is that statement's balance due less what the patient paid or was credited on AR -
//! Patients (1110) since the statement (on entries not on it), never more than the patient's 1110 balance today. Amounts
//! pending with insurance (1100) are never part of it. At most one late charge per statement (the
//! unique key and the entry's idempotency key `patient_late_charge:<statement>`), so running the
//! job again, or every day, charges nothing more until the next statement is past due.
//!
//! Each charge is one journal entry, Dr AR - Patients (1110, with the patient) / Cr Finance charge
//! income (4200), in the same transaction as its `patient_late_charge` row. A biller reverses one
//! with a reason: the reversal entry (sides swapped, linked), audited, and the row marked; the row
//! stays, so the statement is not charged again. Late charges appear on the patient's account and,
//! as charges, on the next statement.

use crate::ledger::{NewEntry, NewLine, SOURCE_REVERSAL};
use crate::statements::{money, parse_day, statement_number_text, statement_settings_in};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::statements::{self as store, PatientLateChargeRow};
use medoffice_store::{StoreError, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The source kind of a late charge's entry.
pub const SOURCE_PATIENT_LATE_CHARGE: &str = "patient_late_charge";

/// A late charge as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LateChargeView {
    pub id: String,
    pub patient_id: String,
    pub statement_id: String,
    pub charge_date: String,
    pub amount_cents: i64,
    pub amount: String,
    pub past_due_cents: i64,
    pub past_due: String,
    pub days_past_due: i64,
    pub journal_entry_id: String,
    pub reversed: bool,
    pub reversal_date: Option<String>,
    pub reversal_reason: Option<String>,
}

pub(crate) fn charge_view(c: &PatientLateChargeRow) -> LateChargeView {
    LateChargeView {
        id: c.id.clone(),
        patient_id: c.patient_id.clone(),
        statement_id: c.statement_id.clone(),
        charge_date: c.charge_date.clone(),
        amount_cents: c.amount_cents,
        amount: money(c.amount_cents),
        past_due_cents: c.past_due_cents,
        past_due: money(c.past_due_cents),
        days_past_due: c.days_past_due,
        journal_entry_id: c.journal_entry_id.clone(),
        reversed: c.reversal_entry_id.is_some(),
        reversal_date: c.reversal_date.clone(),
        reversal_reason: c.reversal_reason.clone(),
    }
}

/// What a late-charge run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LateChargeRun {
    pub as_of: String,
    /// Late charges posted by this run.
    pub charged: i64,
    pub total_cents: i64,
    pub charges: Vec<LateChargeView>,
}

/// A run as asked through the API or a form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LateChargeRunInput {
    /// `YYYY-MM-DD`; blank for today.
    pub date: String,
}

/// A reversal as asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LateChargeReversalInput {
    /// Why the late charge is taken back (required, at most 200 characters).
    pub reason: String,
}

impl App {
    /// Charges late fees as of `as_of` under the practice's policy (see the module's
    /// documentation). One transaction per statement charged.
    pub async fn apply_late_charges(&self, actor: &Actor, as_of: NaiveDate) -> Result<LateChargeRun> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        if as_of > actor.today(self.now()) {
            return Err(ValidationErrors::single("date", "late charges cannot be dated in the future").into());
        }
        self.late_charges_as_of(actor, as_of).await
    }

    /// The same from a form or the API: `date` `YYYY-MM-DD`, blank for today.
    pub async fn apply_late_charges_input(&self, actor: &Actor, input: &LateChargeRunInput) -> Result<LateChargeRun> {
        let as_of = match input.date.trim() {
            "" => actor.today(self.now()),
            t => parse_day(t).map_err(|m| ValidationErrors::single("date", m))?,
        };
        self.apply_late_charges(actor, as_of).await
    }

    /// The same for the database's one practice from the command line (`medoffice ar
    /// late-charges`, the daily cron job): as of `as_of` (`YYYY-MM-DD`; today in the practice's
    /// time zone when `None`), audited as the command line.
    pub async fn apply_late_charges_offline(&self, as_of: Option<&str>) -> Result<LateChargeRun> {
        let practice = self.only_practice().await?;
        let actor = crate::statements::command_line_actor(&practice);
        let as_of = match as_of {
            Some(text) => parse_day(text).map_err(|m| ValidationErrors::single("date", m))?,
            None => actor.today(self.now()),
        };
        if as_of > actor.today(self.now()) {
            return Err(ValidationErrors::single("date", "late charges cannot be dated in the future").into());
        }
        self.late_charges_as_of(&actor, as_of).await
    }

    /// The recurring job `medoffice serve` runs every hour: for every practice in the database, the
    /// late charges on patients' statements and on third-party invoices as of that practice's
    /// today. Each is once per statement or invoice period, so running it again charges nothing
    /// more. Returns how many charges were posted and their total; a practice whose run fails is
    /// named in the error after the others ran.
    pub async fn apply_all_late_charges(&self) -> Result<(i64, i64)> {
        let practices = {
            let mut tx = self.store.begin().await?;
            let rows = medoffice_store::practice::list(&mut tx).await?;
            tx.commit().await.map_err(StoreError::from)?;
            rows
        };
        let (mut charged, mut total) = (0, 0);
        let mut failed = Vec::new();
        for practice in &practices {
            let actor = crate::statements::command_line_actor(practice);
            let today = actor.today(self.now());
            let patients = self.late_charges_as_of(&actor, today).await.map(|r| (r.charged, r.total_cents));
            let invoices = self.invoice_late_charges_today(practice).await.map(|r| (r.charged, r.total_cents));
            for run in [patients, invoices] {
                match run {
                    Ok((n, cents)) => {
                        charged += n;
                        total += cents;
                    }
                    Err(e) => failed.push(format!("{}: {e}", practice.name)),
                }
            }
        }
        if !failed.is_empty() {
            return Err(AppError::Internal(format!("late charges failed for {}", failed.join("; "))));
        }
        Ok((charged, total))
    }

    async fn late_charges_as_of(&self, actor: &Actor, as_of: NaiveDate) -> Result<LateChargeRun> {
        let practice_id = actor.practice_id.as_str();
        let as_of_text = as_of.to_string();
        let mut tx = self.store.begin().await?;
        let policy = statement_settings_in(&mut tx, practice_id).await?.late_charge_policy;
        let latest = if policy.is_active() { store::latest_statements(&mut tx, practice_id, &as_of_text).await? } else { Vec::new() };
        tx.commit().await.map_err(StoreError::from)?;
        let mut run = LateChargeRun { as_of: as_of_text.clone(), charged: 0, total_cents: 0, charges: Vec::new() };
        for statement in latest {
            let Ok(due) = parse_day(&statement.due_date) else { continue };
            let days_past_due = (as_of - due).num_days();
            if days_past_due <= policy.grace_days {
                continue;
            }
            let mut tx = self.store.begin().await?;
            if store::late_charge_of_statement(&mut tx, practice_id, &statement.id).await?.is_some() {
                continue;
            }
            let credits = store::unstated_patient_credits(&mut tx, practice_id, &statement.patient_id, &as_of_text).await?;
            let balance_now = medoffice_store::receivables::movements_of_patient(
                &mut tx,
                practice_id,
                accounts::AR_PATIENTS,
                &statement.patient_id,
                &as_of_text,
            )
            .await?
            .iter()
            .map(|m| m.signed_cents())
            .sum::<i64>();
            let past_due = (statement.balance_due_cents - credits).min(balance_now);
            let cents = policy.charge_cents(past_due, days_past_due);
            if cents <= 0 {
                continue;
            }
            let id = new_id();
            let number = statement_number_text(statement.statement_number);
            let memo = format!("Late charge on statement {number} ({} past due {days_past_due} days)", money(past_due));
            // product.md: a late charge debits AR - Patients and credits Finance charge income.
            let posted = self
                .post_entry(
                    &mut tx,
                    practice_id,
                    &NewEntry {
                        date: Some(as_of),
                        memo: memo.clone(),
                        source_kind: SOURCE_PATIENT_LATE_CHARGE.to_string(),
                        source_id: Some(id.clone()),
                        idempotency_key: Some(format!("patient_late_charge:{}", statement.id)),
                        reversal_of: None,
                        posted_by: actor.user_id.clone(),
                        lines: vec![
                            NewLine {
                                memo: Some(memo.clone()),
                                ..NewLine::debit(accounts::AR_PATIENTS, cents).patient(&statement.patient_id)
                            },
                            NewLine { memo: Some(memo), ..NewLine::credit(accounts::FINANCE_CHARGE_INCOME, cents) },
                        ],
                    },
                )
                .await;
            let posted = match posted {
                Ok(p) if p.already_posted => continue,
                Ok(p) => p,
                // A closed month: nothing charged for this statement, the run goes on.
                Err(AppError::Validation(_)) => continue,
                Err(e) => return Err(e),
            };
            let row = PatientLateChargeRow {
                practice_id: practice_id.to_string(),
                id: id.clone(),
                patient_id: statement.patient_id.clone(),
                statement_id: statement.id.clone(),
                charge_date: as_of_text.clone(),
                amount_cents: cents,
                past_due_cents: past_due,
                days_past_due,
                journal_entry_id: posted.entry.id.clone(),
                reversal_date: None,
                reversal_reason: None,
                reversal_entry_id: None,
                reversed_by: None,
                created_at: self.now_text(),
            };
            store::insert_late_charge(&mut tx, &row).await?;
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "late_charges.create",
                    patient_id: Some(&statement.patient_id),
                    record_type: "patient_late_charge",
                    record_id: Some(&id),
                    detail: format!("{} on {number} ({} past due) as of {as_of_text}", money(cents), money(past_due)),
                },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            run.charged += 1;
            run.total_cents += cents;
            run.charges.push(charge_view(&row));
        }
        Ok(run)
    }

    /// Reverses one late charge (Dr Finance charge income, Cr AR - Patients), dated today (or the
    /// charge's date if later), with a reason. The row stays, marked reversed.
    pub async fn reverse_late_charge(&self, actor: &Actor, charge_id: &str, reason: &str) -> Result<LateChargeView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let Some(reason) = clean(reason) else {
            return Err(ValidationErrors::single("reason", "say why the late charge is reversed").into());
        };
        if reason.chars().count() > 200 {
            return Err(ValidationErrors::single("reason", "at most 200 characters").into());
        }
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let charge = store::get_late_charge(&mut tx, practice_id, charge_id).await?;
        if charge.reversal_entry_id.is_some() {
            return Err(AppError::Conflict("this late charge was reversed already".into()));
        }
        let date = today.max(parse_day(&charge.charge_date).unwrap_or(today));
        let memo = format!("Late charge of {} reversed: {reason}", charge.charge_date);
        let posted = self
            .post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(date),
                    memo: memo.clone(),
                    source_kind: SOURCE_REVERSAL.to_string(),
                    source_id: Some(charge.journal_entry_id.clone()),
                    idempotency_key: Some(format!("reversal:{}", charge.journal_entry_id)),
                    reversal_of: Some(charge.journal_entry_id.clone()),
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine { memo: Some(memo.clone()), ..NewLine::debit(accounts::FINANCE_CHARGE_INCOME, charge.amount_cents) },
                        NewLine {
                            memo: Some(memo),
                            ..NewLine::credit(accounts::AR_PATIENTS, charge.amount_cents).patient(&charge.patient_id)
                        },
                    ],
                },
            )
            .await?;
        // Marked once: a concurrent reversal that got here second changes nothing.
        if !store::reverse_late_charge(&mut tx, practice_id, charge_id, &date.to_string(), &reason, &posted.entry.id, &actor.user_id)
            .await?
        {
            return Err(AppError::Conflict("this late charge was reversed already".into()));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "late_charges.reverse",
                patient_id: Some(&charge.patient_id),
                record_type: "patient_late_charge",
                record_id: Some(charge_id),
                detail: format!("{} of {} reversed: {reason}", money(charge.amount_cents), charge.charge_date),
            },
        )
        .await?;
        let charge = store::get_late_charge(&mut tx, practice_id, charge_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(charge_view(&charge))
    }

    /// The late charges, newest first (at most 500). Audited as a read.
    pub async fn late_charges(&self, actor: &Actor) -> Result<Vec<LateChargeView>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_late_charges(&mut tx, &actor.practice_id, 500).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "late_charges.list",
                patient_id: None,
                record_type: "patient_late_charge",
                record_id: None,
                detail: format!("{} late charges listed", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(charge_view).collect())
    }
}
