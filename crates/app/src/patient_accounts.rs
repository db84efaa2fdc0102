//! Patient AR, first piece (issue 7): payments at any time and the patient's account.
//!
//! A payment at any time (cash, check or card; for a card only the processor's reference, never
//! card data) is a `patient_payment` row with purpose `balance` and a receipt number, and its
//! journal entry (debit Undeposited funds, credit AR - Patients, both lines linked to the patient)
//! in the same transaction. Nothing caps a payment at the balance: an overpayment leaves the
//! patient's AR - Patients balance a credit, which [`App::credit_balances`] lists with its age.
//! A void reverses the entry (`App::void_payment`, shared with the desk's co-pays).
//!
//! The account is read from the journal, never kept twice: every line linked to the patient on
//! AR - Insurance (1100, pending with insurance) and AR - Patients (1110, due from the patient),
//! with the running balance of each.

use crate::front_desk::PaymentView;
use crate::ledger::{NewEntry, NewLine};
use crate::views::PatientView;
use crate::{Actor, App, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::front_desk::{self as payments, PaymentRow};
use medoffice_store::patient_accounts as store;
use medoffice_store::{StoreError, new_id, next_counter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest payment taken in one go: a guard against a typo ($25,000 for $250.00).
pub const MAX_PAYMENT_CENTS: i64 = 2_500_000;

/// The most lines an account shows (oldest first).
pub const MAX_ACCOUNT_LINES: i64 = 2000;

/// A payment as sent by the desk or the biller.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PatientPaymentInput {
    /// The amount received, e.g. `125.00`.
    pub amount: String,
    /// `cash`, `check` or `card`.
    pub method: String,
    /// The check number, or the card processor's reference (authorization) number. Never a card
    /// number: a run of 12 or more digits is refused.
    pub reference: String,
}

/// One line of the patient's account, with the running balances after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountLineView {
    pub entry_id: String,
    pub entry_number: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub memo: String,
    /// `charge`, `payment`, `adjustment`, `transfer`, `reversal` or the entry's source.
    pub kind: String,
    /// `insurance` (AR - Insurance) or `patient` (AR - Patients).
    pub bucket: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    /// Pending with insurance after this line, cents.
    pub insurance_balance_cents: i64,
    /// Due from the patient after this line, cents (negative: a credit balance).
    pub patient_balance_cents: i64,
    /// Both, cents.
    pub balance_cents: i64,
}

/// The patient's account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientAccount {
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    pub lines: Vec<AccountLineView>,
    /// Pending with insurance (AR - Insurance), cents.
    pub insurance_pending_cents: i64,
    /// Due from the patient (AR - Patients), cents; negative when the patient has a credit.
    pub patient_due_cents: i64,
    pub balance_cents: i64,
    /// The credit balance (overpaid), cents; 0 when none.
    pub credit_balance_cents: i64,
    /// The patient's payments, newest first (voided ones marked).
    pub payments: Vec<PaymentView>,
}

impl PatientAccount {
    pub fn insurance_pending(&self) -> String {
        Money::from_cents(self.insurance_pending_cents).to_string()
    }
    pub fn patient_due(&self) -> String {
        Money::from_cents(self.patient_due_cents).to_string()
    }
    pub fn balance(&self) -> String {
        Money::from_cents(self.balance_cents).to_string()
    }
    pub fn credit_balance(&self) -> String {
        Money::from_cents(self.credit_balance_cents).to_string()
    }
}

impl AccountLineView {
    pub fn debit(&self) -> String {
        money_or_blank(self.debit_cents)
    }
    pub fn credit(&self) -> String {
        money_or_blank(self.credit_cents)
    }
    pub fn insurance_balance(&self) -> String {
        Money::from_cents(self.insurance_balance_cents).to_string()
    }
    pub fn patient_balance(&self) -> String {
        Money::from_cents(self.patient_balance_cents).to_string()
    }
}

/// A patient with a credit balance, for refund.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreditBalanceView {
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    pub credit_cents: i64,
    pub credit: String,
    /// The date the patient's balance last became a credit, `YYYY-MM-DD`.
    pub since: String,
    /// Days from `since` to today.
    pub age_days: i64,
}

fn money_or_blank(cents: i64) -> String {
    if cents == 0 { String::new() } else { Money::from_cents(cents).to_string() }
}

/// What kind of AR movement a line is, from its entry's source and its account: a remittance's
/// line on AR - Patients is the patient's responsibility moved from the payer (a transfer).
fn kind_of(source_kind: &str, reversal: bool, account_number: &str) -> String {
    if reversal || source_kind.ends_with("_void") || source_kind == "reversal" {
        return "reversal".into();
    }
    match source_kind {
        "remittance" if account_number == accounts::AR_PATIENTS => "transfer".into(),
        "remittance" => "insurance payment or adjustment".into(),
        "charges" | "charge" => "charge".into(),
        "copay" | "patient_payment" | "remittance_payment" => "payment".into(),
        s if s.contains("adjust") || s.contains("write_off") || s.contains("late_charge") => "adjustment".into(),
        s if s.contains("transfer") || s.contains("secondary") || s.contains("responsibility") => "transfer".into(),
        other => other.to_string(),
    }
}

impl App {
    /// Takes a payment from a patient at any time: the payment with its receipt number and its
    /// journal entry (debit Undeposited funds, credit AR - Patients), one transaction. More than
    /// the balance is taken as it is and leaves a credit balance.
    pub async fn take_patient_payment(&self, actor: &Actor, patient_id: &str, input: &PatientPaymentInput) -> Result<PaymentView> {
        self.authorize(actor, Action::TakePayments, Some(patient_id)).await?;
        let mut e = ValidationErrors::new();
        let amount = match Money::parse(&input.amount) {
            Ok(m) if m.cents() <= 0 => {
                e.add("amount", "the amount must be more than zero");
                0
            }
            Ok(m) if m.cents() > MAX_PAYMENT_CENTS => {
                e.add("amount", format!("at most {} in one payment", Money::from_cents(MAX_PAYMENT_CENTS)));
                0
            }
            Ok(m) => m.cents(),
            Err(_) => {
                e.add("amount", "enter the amount received, e.g. 125.00");
                0
            }
        };
        let method = input.method.trim().to_ascii_lowercase();
        if !matches!(method.as_str(), "cash" | "check" | "card") {
            e.add("method", "choose how it was paid: cash, check or card");
        }
        let reference = input.reference.trim();
        if reference.chars().count() > 40 {
            e.add("reference", "at most 40 characters");
        } else if longest_digit_run(reference) >= 12 {
            e.add("reference", "enter the processor's reference number, never the card number");
        } else if method == "check" && reference.is_empty() {
            e.add("reference", "enter the check number");
        } else if method == "card" && reference.is_empty() {
            e.add("reference", "enter the card processor's reference number");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        let now = self.now_text();
        let row = PaymentRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            patient_id: patient.id.clone(),
            appointment_id: None,
            purpose: "balance".into(),
            amount_cents: amount,
            method: method.clone(),
            reference: (!reference.is_empty()).then(|| reference.to_string()),
            receipt_number: next_counter(&mut tx, practice_id, "receipt").await?,
            received_at: now,
            received_by: actor.user_id.clone(),
            ledger_entry_id: None,
            voided_at: None,
            voided_by: None,
            void_reason: None,
        };
        payments::insert_payment(&mut tx, &row).await?;
        // After a write-off, the payment first restores what it pays of the bad debt (collections).
        self.recover_bad_debt_in(&mut tx, actor, &row.patient_id, &row.id, amount).await?;
        // product.md: a payment from the patient debits Undeposited funds and credits AR - Patients.
        let posted = self
            .post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(actor.today(self.now())),
                    memo: format!("Patient payment, receipt {} ({})", row.receipt_number, row.method),
                    source_kind: "patient_payment".into(),
                    source_id: Some(row.id.clone()),
                    idempotency_key: Some(format!("patient-payment:{}", row.id)),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine::debit(accounts::UNDEPOSITED_FUNDS, amount).patient(&row.patient_id),
                        NewLine::credit(accounts::AR_PATIENTS, amount).patient(&row.patient_id),
                    ],
                },
            )
            .await?;
        payments::set_ledger_entry(&mut tx, practice_id, &row.id, &posted.entry.id).await?;
        let row = PaymentRow { ledger_entry_id: Some(posted.entry.id.clone()), ..row };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payment.create",
                patient_id: Some(&row.patient_id),
                record_type: "patient_payment",
                record_id: Some(&row.id),
                detail: format!("receipt {} {} {}", row.receipt_number, Money::from_cents(amount), row.method),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view(&row, actor.display_name.clone(), actor.timezone))
    }

    /// The patient's account: every AR line with running balances split into pending with
    /// insurance and due from the patient, and the patient's payments. Audited as a read.
    pub async fn patient_account(&self, actor: &Actor, patient_id: &str) -> Result<PatientAccount> {
        self.authorize(actor, Action::ReadPatient, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        let rows = store::ar_lines_of_patient(&mut tx, practice_id, patient_id, MAX_ACCOUNT_LINES).await?;
        let (mut insurance, mut due) = (0i64, 0i64);
        let mut lines = Vec::with_capacity(rows.len());
        for r in rows {
            let delta = r.debit_cents - r.credit_cents;
            let bucket = if r.account_number == accounts::AR_INSURANCE {
                insurance += delta;
                "insurance"
            } else {
                due += delta;
                "patient"
            };
            lines.push(AccountLineView {
                kind: kind_of(&r.source_kind, r.reversal_of.is_some(), &r.account_number),
                entry_id: r.entry_id,
                entry_number: r.entry_number,
                date: r.entry_date,
                memo: r.entry_memo,
                bucket: bucket.into(),
                debit_cents: r.debit_cents,
                credit_cents: r.credit_cents,
                insurance_balance_cents: insurance,
                patient_balance_cents: due,
                balance_cents: insurance + due,
            });
        }
        let mut payment_views = Vec::new();
        for p in store::payments_of_patient(&mut tx, practice_id, patient_id, 200).await? {
            let by = match medoffice_store::users::get(&mut tx, practice_id, &p.received_by).await {
                Ok(u) => u.display_name,
                Err(StoreError::NotFound(_)) => p.received_by.clone(),
                Err(other) => return Err(other.into()),
            };
            payment_views.push(view(&p, by, actor.timezone));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient_account.read",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail: format!(
                    "account: {} lines, insurance {}, patient {}",
                    lines.len(),
                    Money::from_cents(insurance),
                    Money::from_cents(due)
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PatientAccount {
            patient_id: patient.id.clone(),
            patient_name: PatientView::from(&patient).display_name(),
            patient_mrn: patient.mrn.clone(),
            lines,
            insurance_pending_cents: insurance,
            patient_due_cents: due,
            balance_cents: insurance + due,
            credit_balance_cents: if due < 0 { -due } else { 0 },
            payments: payment_views,
        })
    }

    /// The patients with a credit balance (more paid than owed), largest first, with the date the
    /// balance became a credit and its age in days: the list to refund from. Audited as a read.
    pub async fn credit_balances(&self, actor: &Actor) -> Result<Vec<CreditBalanceView>> {
        self.authorize(actor, Action::TakePayments, None).await?;
        self.authorize(actor, Action::ReadPatient, None).await?;
        let practice_id = actor.practice_id.as_str();
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let mut out = Vec::new();
        for (patient_id, credit) in store::patients_with_credit(&mut tx, practice_id, 500).await? {
            let patient = medoffice_store::patients::get(&mut tx, practice_id, &patient_id).await?;
            let rows = store::ar_lines_of_patient(&mut tx, practice_id, &patient_id, MAX_ACCOUNT_LINES).await?;
            let (mut due, mut since) = (0i64, String::new());
            for r in rows.iter().filter(|r| r.account_number == accounts::AR_PATIENTS) {
                let before = due;
                due += r.debit_cents - r.credit_cents;
                if before >= 0 && due < 0 {
                    since = r.entry_date.clone();
                }
            }
            let age_days = chrono::NaiveDate::parse_from_str(&since, "%Y-%m-%d").map(|d| (today - d).num_days()).unwrap_or(0);
            out.push(CreditBalanceView {
                patient_name: PatientView::from(&patient).display_name(),
                patient_mrn: patient.mrn.clone(),
                patient_id,
                credit_cents: credit,
                credit: Money::from_cents(credit).to_string(),
                since,
                age_days,
            });
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient_account.credit_balances",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("patients with a credit balance ({})", out.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }
}

/// The longest run of digits (spaces and dashes inside a run ignored, as a card number is typed).
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

fn view(p: &PaymentRow, received_by: String, tz: chrono_tz::Tz) -> PaymentView {
    PaymentView {
        id: p.id.clone(),
        receipt_number: p.receipt_number,
        patient_id: p.patient_id.clone(),
        appointment_id: p.appointment_id.clone(),
        purpose: p.purpose.clone(),
        amount_cents: p.amount_cents,
        amount: Money::from_cents(p.amount_cents).to_string(),
        method: p.method.clone(),
        reference: p.reference.clone(),
        received_at: chrono::DateTime::parse_from_rfc3339(&p.received_at)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| p.received_at.clone()),
        received_by,
        voided: p.voided_at.is_some(),
        void_reason: p.void_reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_number_is_a_long_run_of_digits() {
        assert_eq!(longest_digit_run("4111 1111-1111 1111"), 16);
        assert_eq!(longest_digit_run("AUTH 123456"), 6);
        assert_eq!(longest_digit_run(""), 0);
    }

    #[test]
    fn entries_are_named_by_their_source() {
        assert_eq!(kind_of("charges", false, "1100"), "charge");
        assert_eq!(kind_of("patient_payment", false, "1110"), "payment");
        assert_eq!(kind_of("copay_void", true, "1110"), "reversal");
        assert_eq!(kind_of("remittance", false, "1110"), "transfer");
    }
}
