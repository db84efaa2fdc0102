//! Refunds of credit balances (issue 7): a patient who paid more than was owed (a credit on
//! AR - Patients, listed by `App::credit_balances`) is paid back by check, card or ACH with its
//! reference, at most the credit. The refund row and its journal entry (debit AR - Patients,
//! credit Cash - Operating, both lines on the patient) are written in one transaction, audited;
//! the credit is then gone from the list.

use crate::collections::amount_field;
use crate::ledger::{NewEntry, NewLine};
use crate::receivables::patient_due_open_items_in;
use crate::{Actor, App, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::collections::{self as store, RefundRow};
use medoffice_store::{StoreError, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a refund is paid.
pub const REFUND_METHODS: [(&str, &str); 3] = [("check", "Check"), ("card", "Card (back to the card paid with)"), ("ach", "ACH transfer")];

/// A refund as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RefundInput {
    pub patient_id: String,
    /// e.g. `40.00`; at most the credit balance.
    pub amount: String,
    /// `check`, `card` or `ach`.
    pub method: String,
    /// The check number, the card processor's reference or the ACH trace number (never a card
    /// number).
    pub reference: String,
}

/// A refund as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundView {
    pub id: String,
    pub patient_id: String,
    pub amount_cents: i64,
    pub amount: String,
    pub method: String,
    pub reference: String,
    pub refund_date: String,
    pub journal_entry_id: String,
}

fn refund_view(r: RefundRow) -> RefundView {
    RefundView {
        amount: Money::from_cents(r.amount_cents).to_string(),
        id: r.id,
        patient_id: r.patient_id,
        amount_cents: r.amount_cents,
        method: r.method,
        reference: r.reference,
        refund_date: r.refund_date,
        journal_entry_id: r.journal_entry_id,
    }
}

/// The longest run of digits, spaces and dashes inside it ignored (as a card number is typed).
fn longest_digit_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else if c != ' ' && c != '-' {
            run = 0;
        }
    }
    best
}

impl App {
    /// The patient's credit balance today, cents (zero when the patient owes or is settled).
    pub async fn patient_credit_cents(&self, actor: &Actor, patient_id: &str) -> Result<i64> {
        self.authorize(actor, Action::ReadReceivables, Some(patient_id)).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let open = patient_due_open_items_in(&mut conn, &actor.practice_id, patient_id, actor.today(self.now())).await?;
        Ok((-open.balance_cents()).max(0))
    }

    /// Refunds (part of) a patient's credit balance: the refund row and its entry (debit AR -
    /// Patients, credit Cash - Operating), one transaction, audited. More than the credit is
    /// refused on `amount`.
    pub async fn refund_credit_balance(&self, actor: &Actor, input: &RefundInput) -> Result<RefundView> {
        self.authorize(actor, Action::ManageReceivables, Some(input.patient_id.trim())).await?;
        let mut e = ValidationErrors::new();
        let patient_id = input.patient_id.trim();
        if patient_id.is_empty() {
            e.add("patient_id", "choose the patient");
        }
        let amount = amount_field("amount", &input.amount, &mut e);
        let method = input.method.trim().to_ascii_lowercase();
        if !REFUND_METHODS.iter().any(|(m, _)| *m == method) {
            e.add("method", "choose how the refund is paid: check, card or ACH");
        }
        let reference = input.reference.trim();
        if reference.is_empty() {
            e.add("reference", "enter the check number, the card processor's reference or the ACH trace number");
        } else if reference.chars().count() > 40 {
            e.add("reference", "at most 40 characters");
        } else if method == "card" && longest_digit_run(reference) >= 12 {
            e.add("reference", "enter the processor's reference number, never the card number");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        match medoffice_store::patients::get(&mut tx, practice_id, patient_id).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("patient_id", "there is no such patient").into()),
            Err(other) => return Err(other.into()),
        }
        store::lock_patient(&mut tx, practice_id, patient_id).await?;
        let credit = (-patient_due_open_items_in(&mut tx, practice_id, patient_id, today).await?.balance_cents()).max(0);
        if credit == 0 {
            return Err(ValidationErrors::single("amount", "the patient has no credit balance to refund").into());
        }
        if amount > credit {
            return Err(ValidationErrors::single("amount", format!("at most the credit balance, {}", Money::from_cents(credit))).into());
        }
        let id = new_id();
        let label = REFUND_METHODS.iter().find(|(m, _)| *m == method).map(|(_, l)| *l).unwrap_or("refund");
        let posted = self
            .post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(today),
                    memo: format!("Refund of a credit balance ({label} {reference})"),
                    source_kind: "patient_refund".into(),
                    source_id: Some(id.clone()),
                    idempotency_key: Some(format!("patient-refund:{id}")),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine::debit(accounts::AR_PATIENTS, amount).patient(patient_id),
                        NewLine::credit(accounts::CASH_OPERATING, amount).patient(patient_id),
                    ],
                },
            )
            .await?;
        let row = RefundRow {
            practice_id: practice_id.to_string(),
            id,
            patient_id: patient_id.to_string(),
            amount_cents: amount,
            method,
            reference: reference.to_string(),
            refund_date: today.to_string(),
            journal_entry_id: posted.entry.id.clone(),
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_refund(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "refund.create",
                patient_id: Some(patient_id),
                record_type: "patient_refund",
                record_id: Some(&row.id),
                detail: format!("{} by {} {}", Money::from_cents(amount), row.method, row.reference),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(refund_view(row))
    }

    /// Refunds made (of one patient when given), newest first. Audited as a read.
    pub async fn refunds(&self, actor: &Actor, patient_id: Option<&str>) -> Result<Vec<RefundView>> {
        self.authorize(actor, Action::ReadReceivables, patient_id).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::refunds(&mut tx, &actor.practice_id, patient_id.unwrap_or("")).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "refund.list",
                patient_id,
                record_type: "patient_refund",
                record_id: None,
                detail: format!("refunds listed ({})", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(refund_view).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_number_is_never_a_reference() {
        assert_eq!(longest_digit_run("4111 1111-1111 1111"), 16);
        assert_eq!(longest_digit_run("REF 8812"), 4);
    }
}
