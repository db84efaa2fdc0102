//! Guarantor family accounts (issue 7): a patient may name another patient of the practice as
//! their guarantor, the person responsible for the bill (a parent for a child). A family is one
//! guarantor and the patients naming them; there are no chains (a guarantor has no guarantor of
//! their own) and nobody guarantees themselves, so every patient belongs to exactly one family:
//! their guarantor's, or their own.
//!
//! The family account is read from the journal like the patient's account
//! ([`App::patient_account`]): each member's lines on AR - Insurance (pending with insurance) and
//! AR - Patients (due from the patient), the family's totals and every line of the family in date
//! order. Nothing is stored twice; the aging by guarantor ([`crate::aging_reports`]) groups the
//! patients the same way.

use crate::views::PatientView;
use crate::{Actor, App, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::families::{self as store, GuarantorRow};
use medoffice_store::patient_accounts::ar_lines_of_patient;
use medoffice_store::{Connection, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most lines of each member the family account reads (as the patient's account).
const MAX_MEMBER_LINES: i64 = crate::patient_accounts::MAX_ACCOUNT_LINES;

/// The guarantor a patient names, if any (`None`: the patient is responsible for their own bill).
pub async fn guarantor_of_in(conn: &mut Connection, practice_id: &str, patient_id: &str) -> Result<Option<String>> {
    Ok(store::guarantor_of(conn, practice_id, patient_id).await?.map(|r| r.guarantor_patient_id))
}

/// The members of a guarantor's family: the guarantor first, then the patients naming them (by
/// id). A patient nobody names is a family of one.
pub async fn family_members_in(conn: &mut Connection, practice_id: &str, guarantor_id: &str) -> Result<Vec<String>> {
    let mut members = vec![guarantor_id.to_string()];
    members.extend(store::dependants_of(conn, practice_id, guarantor_id).await?);
    Ok(members)
}

/// The guarantor to set, as the form or the API sends it: the guarantor's patient id or MRN.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct GuarantorInput {
    /// The guarantor's MRN (as on the chart) or patient id; empty clears the guarantor.
    pub guarantor: String,
}

/// One member of a family with their balances.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FamilyMemberView {
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    /// Whether this member is the guarantor.
    pub is_guarantor: bool,
    /// Due from the patient (AR - Patients), cents; negative for a credit.
    pub patient_due_cents: i64,
    /// Pending with insurance (AR - Insurance), cents.
    pub insurance_pending_cents: i64,
    pub total_cents: i64,
}

/// One AR line of a family member, with the family's running balance after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FamilyLineView {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub entry_number: i64,
    pub patient_id: String,
    pub patient_name: String,
    pub memo: String,
    /// `insurance` (AR - Insurance) or `patient` (AR - Patients).
    pub bucket: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    /// The whole family's balance (both accounts) after this line, cents.
    pub family_balance_cents: i64,
}

/// A guarantor's combined account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FamilyAccount {
    pub guarantor_id: String,
    pub guarantor_name: String,
    /// The guarantor first, then the members by name.
    pub members: Vec<FamilyMemberView>,
    pub patient_due_cents: i64,
    pub insurance_pending_cents: i64,
    pub total_cents: i64,
    /// Every member's AR lines, oldest first.
    pub lines: Vec<FamilyLineView>,
}

/// A patient's family as their family page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientFamily {
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    /// The guarantor this patient names, if any (id, name, MRN).
    pub guarantor_id: Option<String>,
    pub guarantor_name: Option<String>,
    pub guarantor_mrn: Option<String>,
    /// How many patients name this patient as their guarantor.
    pub dependants: usize,
    /// The account of the family the patient belongs to (their guarantor's, or their own).
    pub account: FamilyAccount,
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn money_or_blank(cents: i64) -> String {
    if cents == 0 { String::new() } else { money(cents) }
}

impl FamilyMemberView {
    pub fn patient_due(&self) -> String {
        money(self.patient_due_cents)
    }
    pub fn insurance_pending(&self) -> String {
        money(self.insurance_pending_cents)
    }
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
}

impl FamilyLineView {
    pub fn debit(&self) -> String {
        money_or_blank(self.debit_cents)
    }
    pub fn credit(&self) -> String {
        money_or_blank(self.credit_cents)
    }
    pub fn family_balance(&self) -> String {
        money(self.family_balance_cents)
    }
}

impl FamilyAccount {
    pub fn patient_due(&self) -> String {
        money(self.patient_due_cents)
    }
    pub fn insurance_pending(&self) -> String {
        money(self.insurance_pending_cents)
    }
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
}

impl App {
    /// Names `input.guarantor` (an MRN or a patient id) as the guarantor of `patient_id`, or clears
    /// the guarantor when it is empty. Refused: the patient themselves, a guarantor who has a
    /// guarantor, and a patient who is already a guarantor (either would make a chain).
    pub async fn set_guarantor(&self, actor: &Actor, patient_id: &str, input: &GuarantorInput) -> Result<Option<String>> {
        self.authorize(actor, Action::EditPatient, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let wanted = input.guarantor.trim();
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        if wanted.is_empty() {
            let cleared = store::clear_guarantor(&mut tx, practice_id, patient_id).await?;
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "patient.guarantor_clear",
                    patient_id: Some(patient_id),
                    record_type: "patient_guarantor",
                    record_id: Some(patient_id),
                    detail: if cleared { "guarantor cleared".into() } else { "no guarantor to clear".into() },
                },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(None);
        }
        let field = |m: &str| ValidationErrors::single("guarantor", m);
        let guarantor_id = match store::patient_id_by_mrn(&mut tx, practice_id, wanted).await? {
            Some(id) => id,
            None => match medoffice_store::patients::get(&mut tx, practice_id, wanted).await {
                Ok(p) => p.id,
                Err(StoreError::NotFound(_)) => {
                    return Err(field("no patient has this MRN; enter the guarantor's MRN from their chart").into());
                }
                Err(e) => return Err(e.into()),
            },
        };
        let guarantor = medoffice_store::patients::get(&mut tx, practice_id, &guarantor_id).await?;
        if guarantor.id == patient.id {
            return Err(field("a patient cannot be their own guarantor; clear the field instead").into());
        }
        if guarantor.merged_into.is_some() || patient.merged_into.is_some() {
            return Err(field("this record was merged into another patient; use the surviving record").into());
        }
        if guarantor_of_in(&mut tx, practice_id, &guarantor.id).await?.is_some() {
            let name = PatientView::from(&guarantor).display_name();
            return Err(field(&format!("{name} has a guarantor of their own; name that guarantor instead")).into());
        }
        if !store::dependants_of(&mut tx, practice_id, &patient.id).await?.is_empty() {
            return Err(field("this patient is the guarantor of others; a guarantor cannot have a guarantor").into());
        }
        store::set_guarantor(
            &mut tx,
            &GuarantorRow {
                practice_id: practice_id.to_string(),
                patient_id: patient.id.clone(),
                guarantor_patient_id: guarantor.id.clone(),
                set_by: actor.user_id.clone(),
                set_at: self.now_text(),
            },
        )
        .await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.guarantor_set",
                patient_id: Some(patient_id),
                record_type: "patient_guarantor",
                record_id: Some(patient_id),
                detail: format!("guarantor {} (MRN {})", guarantor.id, guarantor.mrn),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Some(guarantor.id))
    }

    /// The members of a guarantor's family (the guarantor first), by id. Audited as a read.
    pub async fn family_members(&self, actor: &Actor, guarantor_id: &str) -> Result<Vec<String>> {
        self.authorize(actor, Action::ReadPatient, Some(guarantor_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        medoffice_store::patients::get(&mut tx, practice_id, guarantor_id).await?;
        let members = family_members_in(&mut tx, practice_id, guarantor_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.family_read",
                patient_id: Some(guarantor_id),
                record_type: "patient_guarantor",
                record_id: Some(guarantor_id),
                detail: format!("family of {} members", members.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(members)
    }

    /// A guarantor's combined account: each member's due and pending, the family's totals and
    /// every member's AR lines in date order. Audited as a read of each member's account.
    pub async fn family_account(&self, actor: &Actor, guarantor_id: &str) -> Result<FamilyAccount> {
        self.authorize(actor, Action::ReadPatient, Some(guarantor_id)).await?;
        let mut tx = self.store.begin().await?;
        let account = self.family_account_in(&mut tx, actor, guarantor_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(account)
    }

    /// A patient's family page: the guarantor they name (if any) and their family's account.
    pub async fn patient_family(&self, actor: &Actor, patient_id: &str) -> Result<PatientFamily> {
        self.authorize(actor, Action::ReadPatient, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        let guarantor = match guarantor_of_in(&mut tx, practice_id, patient_id).await? {
            Some(id) => Some(medoffice_store::patients::get(&mut tx, practice_id, &id).await?),
            None => None,
        };
        let dependants = store::dependants_of(&mut tx, practice_id, patient_id).await?.len();
        let head = guarantor.as_ref().map(|g| g.id.clone()).unwrap_or_else(|| patient.id.clone());
        let account = self.family_account_in(&mut tx, actor, &head).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PatientFamily {
            patient_id: patient.id.clone(),
            patient_name: PatientView::from(&patient).display_name(),
            patient_mrn: patient.mrn.clone(),
            guarantor_id: guarantor.as_ref().map(|g| g.id.clone()),
            guarantor_name: guarantor.as_ref().map(|g| PatientView::from(g).display_name()),
            guarantor_mrn: guarantor.as_ref().map(|g| g.mrn.clone()),
            dependants,
            account,
        })
    }

    async fn family_account_in(&self, tx: &mut Connection, actor: &Actor, guarantor_id: &str) -> Result<FamilyAccount> {
        let practice_id = actor.practice_id.as_str();
        let guarantor = medoffice_store::patients::get(tx, practice_id, guarantor_id).await?;
        let mut members = Vec::new();
        let mut lines = Vec::new();
        for id in family_members_in(tx, practice_id, guarantor_id).await? {
            let patient = medoffice_store::patients::get(tx, practice_id, &id).await?;
            let name = PatientView::from(&patient).display_name();
            let (mut due, mut pending) = (0i64, 0i64);
            for r in ar_lines_of_patient(tx, practice_id, &id, MAX_MEMBER_LINES).await? {
                let delta = r.debit_cents - r.credit_cents;
                let bucket = if r.account_number == accounts::AR_INSURANCE {
                    pending += delta;
                    "insurance"
                } else {
                    due += delta;
                    "patient"
                };
                lines.push(FamilyLineView {
                    date: r.entry_date,
                    entry_number: r.entry_number,
                    patient_id: id.clone(),
                    patient_name: name.clone(),
                    memo: r.entry_memo,
                    bucket: bucket.into(),
                    debit_cents: r.debit_cents,
                    credit_cents: r.credit_cents,
                    family_balance_cents: 0,
                });
            }
            members.push(FamilyMemberView {
                is_guarantor: id == guarantor.id,
                patient_id: id,
                patient_name: name,
                patient_mrn: patient.mrn.clone(),
                patient_due_cents: due,
                insurance_pending_cents: pending,
                total_cents: due + pending,
            });
            self.audit(
                tx,
                actor,
                AuditNote {
                    action: "patient_account.read",
                    patient_id: Some(&patient.id),
                    record_type: "patient",
                    record_id: Some(&patient.id),
                    detail: format!("family account of guarantor {}", guarantor.id),
                },
            )
            .await?;
        }
        members[1..].sort_by(|a, b| a.patient_name.cmp(&b.patient_name));
        lines.sort_by(|a, b| (a.date.as_str(), a.entry_number).cmp(&(b.date.as_str(), b.entry_number)));
        let mut running = 0i64;
        for l in &mut lines {
            running += l.debit_cents - l.credit_cents;
            l.family_balance_cents = running;
        }
        let patient_due_cents = members.iter().map(|m| m.patient_due_cents).sum();
        let insurance_pending_cents = members.iter().map(|m| m.insurance_pending_cents).sum();
        Ok(FamilyAccount {
            guarantor_id: guarantor.id.clone(),
            guarantor_name: PatientView::from(&guarantor).display_name(),
            members,
            patient_due_cents,
            insurance_pending_cents,
            total_cents: patient_due_cents + insurance_pending_cents,
            lines,
        })
    }
}
