//! Letters from templates (issue 8): the practice's templates with merge fields, edited by the
//! office manager; letters written from them for a patient (and another practice, an insurer or
//! a person as recipient), previewed, saved with their PDF on the chart, printed in batches or
//! e-mailed, and logged as outgoing mail. The merge itself is `medoffice_domain::letters`: a
//! field it does not know, or one with no value for this patient, is refused naming the field.
//!
//! The built-in templates are seeded from [`BUILT_IN`] for a practice the first time its
//! templates are read, so every practice has them and the office manager's edits stay.

use crate::mail_room::OutgoingInput;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::letters::{self, MergeError, MergeValues, Output};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_pdf::image::{Image, ImageError, ImageKind, MAX_IMAGE_BYTES};
use medoffice_pdf::letter::{LetterPage, Letterhead, letters_pdf_with_logo};
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::letters::{self as store, LetterRow, LetterTemplateRow};
use medoffice_store::patients::PatientRow;
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A template's longest text, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 20_000;
/// The most letters one batch prints.
pub const MAX_BATCH: usize = 200;
/// The largest letterhead logo file, in bytes.
pub const MAX_LOGO_BYTES: usize = MAX_IMAGE_BYTES;

/// The built-in templates: key, name, audience, text.
pub const BUILT_IN: [(&str, &str, &str, &str); 14] = [
    (
        "appointment_reminder",
        "Appointment reminder",
        "patient",
        "{{letter.date}}\n\n{{patient.full_name}}\n{{patient.address}}\n\nDear {{patient.full_name}},\n\n\
This is a reminder of your appointment with {{appointment.provider}} on {{appointment.date}} at {{appointment.time}}.\n\n\
Please arrive ten minutes early and bring your insurance card and a list of the medicines you take. If you need to \
change the time, call us at {{practice.phone}} at least one business day ahead so that we can offer the time to another patient.\n\n\
Sincerely,",
    ),
    (
        "missed_appointment",
        "Missed appointment",
        "patient",
        "{{letter.date}}\n\n{{patient.full_name}}\n{{patient.address}}\n\nDear {{patient.full_name}},\n\n\
We missed you at your appointment on {{missed_appointment.date}}. We hope all is well.\n\n\
Keeping your care on schedule matters to us. Please call {{practice.phone}} to book a new time that suits you.\n\n\
Sincerely,",
    ),
    (
        "recall",
        "Recall: time for your visit",
        "patient",
        "{{letter.date}}\n\n{{patient.full_name}}\n{{patient.address}}\n\nDear {{patient.full_name}},\n\n\
Our records show that you are due for a follow-up visit with {{provider.full_name}}. Regular visits help us catch \
problems early and keep your treatment up to date.\n\n\
Please call {{practice.phone}} to schedule your appointment at a time that is convenient for you.\n\n\
Sincerely,",
    ),
    (
        "welcome",
        "Welcome to the practice",
        "patient",
        "{{letter.date}}\n\n{{patient.full_name}}\n{{patient.address}}\n\nDear {{patient.full_name}},\n\n\
Welcome to {{practice.name}}. Thank you for choosing us for your care.\n\n\
Our office is at {{practice.address}} and you can reach us at {{practice.phone}}. Please bring a photo ID, your \
insurance card and a list of your medicines to your first visit. Your chart number is {{patient.mrn}}.\n\n\
We look forward to seeing you.\n\nSincerely,",
    ),
    (
        "referral",
        "Referral to another practice",
        "practice",
        "{{letter.date}}\n\n{{recipient.name}}\n{{recipient.address}}\n\nRe: {{patient.full_name}}, born {{patient.birth_date}}\n\n\
Dear Colleague,\n\n\
I am referring my patient {{patient.full_name}} to you for evaluation and treatment. The patient can be reached at \
{{patient.phone}}. Relevant records are enclosed; please let us know if you need anything further.\n\n\
Thank you for seeing this patient. I would be grateful for a copy of your findings.\n\nSincerely,",
    ),
    (
        "records_request",
        "Records request to another practice",
        "practice",
        "{{letter.date}}\n\n{{recipient.name}}\n{{recipient.address}}\n\nRe: {{patient.full_name}}, born {{patient.birth_date}}\n\n\
Dear Records Department,\n\n\
Our patient {{patient.full_name}} has asked us to obtain copies of their medical records from your office. Please send \
the records, including recent visit notes, test results and immunizations, to {{practice.name}}, {{practice.address}}.\n\n\
The patient's signed authorization is enclosed. If you have questions, please call {{practice.phone}}.\n\nThank you,",
    ),
    (
        "insurance_appeal",
        "Insurance appeal",
        "insurer",
        "{{letter.date}}\n\n{{insurer.name}}\nAttn: Appeals\n{{insurer.address}}\n\n\
Re: {{patient.full_name}}, born {{patient.birth_date}}, member id {{insurer.member_id}}\n\n\
To whom it may concern,\n\n\
We are writing to appeal the denial of payment for services provided to the patient named above. We believe the \
services were medically necessary and covered under the patient's plan. Supporting documentation is enclosed.\n\n\
Please review this claim again. You may reach our billing office at {{practice.phone}}.\n\nSincerely,",
    ),
    (
        "past_due_30",
        "Past due: 30 days",
        "billing",
        "{{letter.date}}\n\n{{guarantor.full_name}}\n{{guarantor.address}}\n\nRe: account of {{patient.full_name}}\n\n\
Dear {{guarantor.full_name}},\n\n\
Our records show a balance of {{balance.amount}} on this account that is now past due. This may simply have been \
overlooked; if you have already sent your payment, thank you, and please disregard this letter.\n\n\
If you have questions about the charges, call our billing office at {{practice.phone}}.\n\nSincerely,",
    ),
    (
        "past_due_60",
        "Past due: 60 days",
        "billing",
        "{{letter.date}}\n\n{{guarantor.full_name}}\n{{guarantor.address}}\n\nRe: account of {{patient.full_name}}\n\n\
Dear {{guarantor.full_name}},\n\n\
The balance of {{balance.amount}} on this account is now {{balance.days_past_due}} days past due, and we have not \
received a payment. Please pay the balance in full, or call {{practice.phone}} within ten days to arrange a payment plan.\n\n\
Sincerely,",
    ),
    (
        "past_due_90",
        "Past due: 90 days (final notice)",
        "billing",
        "{{letter.date}}\n\n{{guarantor.full_name}}\n{{guarantor.address}}\n\nRe: account of {{patient.full_name}}\n\n\
Dear {{guarantor.full_name}},\n\n\
FINAL NOTICE. The balance of {{balance.amount}} on this account is {{balance.days_past_due}} days past due. Unless we \
receive payment or hear from you within ten days, the account may be referred to a collection agency.\n\n\
We would much rather settle this with you directly. Please call {{practice.phone}}.\n\nSincerely,",
    ),
    (
        "payment_plan",
        "Payment plan agreement",
        "billing",
        "{{letter.date}}\n\n{{guarantor.full_name}}\n{{guarantor.address}}\n\nRe: account of {{patient.full_name}}\n\n\
Dear {{guarantor.full_name}},\n\n\
This letter confirms the payment plan we agreed for the balance of {{balance.amount}}. You agree to pay the amount \
and on the dates agreed with our billing office each month until the balance is paid. If a payment is missed, the \
full balance may become due.\n\n\
Please sign below and return a copy to us.\n\n\
Signed: ______________________________  Date: ______________\n\nSincerely,",
    ),
    (
        "paid_in_full",
        "Balance paid in full",
        "billing",
        "{{letter.date}}\n\n{{guarantor.full_name}}\n{{guarantor.address}}\n\nRe: account of {{patient.full_name}}\n\n\
Dear {{guarantor.full_name}},\n\n\
Thank you. Your account is paid in full and has no balance due. Please keep this letter for your records.\n\n\
Sincerely,",
    ),
    (
        "discharge",
        "Discharge from the practice",
        "patient",
        "{{letter.date}}\n\n{{patient.full_name}}\n{{patient.address}}\n\nDear {{patient.full_name}},\n\n\
This letter is to inform you that {{practice.name}} will no longer be able to provide your medical care. We will \
remain available for urgent care for thirty days from the date of this letter while you find a new physician.\n\n\
We will send a copy of your medical records to your new physician when we receive your written authorization. If \
you have an emergency, call 911 or go to the nearest emergency room.\n\nSincerely,",
    ),
    (
        "records_released",
        "Records released: cover letter",
        "practice",
        "{{letter.date}}\n\n{{recipient.name}}\n{{recipient.address}}\n\nRe: {{patient.full_name}}, born {{patient.birth_date}}\n\n\
Dear {{recipient.name}},\n\n\
Enclosed are the medical records of the patient named above, released at the patient's written request. These \
records are confidential and are protected by federal and state law; they may not be disclosed further without the \
patient's authorization.\n\n\
If you have questions, please call {{practice.phone}}.\n\nSincerely,",
    ),
];

/// A template as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LetterTemplateView {
    pub id: String,
    /// Stable name: `welcome`, `past_due_30`...
    pub key: String,
    pub name: String,
    /// `patient`, `practice`, `insurer` or `billing`.
    pub audience: String,
    pub body: String,
    pub built_in: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// A template's new name and text, under the version read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TemplateInput {
    pub name: String,
    pub body: String,
    pub version: i64,
}

/// What a letter is to be: a template (id or key), a patient, and for letters to another
/// practice a recipient (a directory contact or typed).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LetterInput {
    /// The template's id or key.
    pub template: String,
    pub patient_id: String,
    /// A directory contact's id: its name and phone fill the recipient.
    pub contact_id: String,
    pub recipient_name: String,
    /// Lines of the recipient's address.
    pub recipient_address: String,
    pub recipient_phone: String,
    /// The signing provider; blank for the patient's next or usual provider.
    pub provider_id: String,
    /// The telephone message this letter answers, noted in its thread.
    pub message_id: String,
    /// `print` (default) or `email`.
    pub delivery: String,
}

/// A letter rendered but not saved.
#[derive(Debug, Clone, Serialize)]
pub struct LetterPreview {
    pub template_name: String,
    pub patient_name: String,
    pub text: String,
    /// The text escaped for a page.
    pub html: String,
}

/// A letter as written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LetterView {
    pub id: String,
    pub template_key: String,
    pub title: String,
    pub patient_id: String,
    pub patient_name: String,
    pub recipient_name: Option<String>,
    pub body: String,
    /// `print` or `email`.
    pub delivery: String,
    pub emailed_to: Option<String>,
    pub message_id: Option<String>,
    pub outgoing_mail_id: Option<String>,
    pub signed_by: String,
    pub created_by: String,
    pub created_at: String,
    /// Where its PDF is.
    pub pdf_url: String,
}

fn template_view(t: &LetterTemplateRow) -> LetterTemplateView {
    LetterTemplateView {
        id: t.id.clone(),
        key: t.template_key.clone(),
        name: t.name.clone(),
        audience: t.audience.clone(),
        body: t.body.clone(),
        built_in: t.built_in != 0,
        version: t.version,
        updated_by: t.updated_by.clone(),
        updated_at: t.updated_at.clone(),
    }
}

fn letter_view(l: &LetterRow, patient_name: String) -> LetterView {
    LetterView {
        id: l.id.clone(),
        template_key: l.template_key.clone(),
        title: l.title.clone(),
        patient_id: l.patient_id.clone(),
        patient_name,
        recipient_name: l.recipient_name.clone(),
        body: l.body.clone(),
        delivery: l.delivery.clone(),
        emailed_to: l.emailed_to.clone(),
        message_id: l.message_id.clone(),
        outgoing_mail_id: l.outgoing_mail_id.clone(),
        signed_by: l.signed_by.clone(),
        created_by: l.created_by.clone(),
        created_at: l.created_at.clone(),
        pdf_url: format!("/letters/{}/pdf", l.id),
    }
}

fn full_name(p: &PatientRow) -> String {
    format!("{} {}", p.given_name, p.family_name)
}

fn address_lines(
    line1: &Option<String>,
    line2: &Option<String>,
    city: &Option<String>,
    state: &Option<String>,
    zip: &Option<String>,
) -> Option<String> {
    let line1 = line1.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let mut out = vec![line1.to_string()];
    if let Some(l2) = line2.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        out.push(l2.to_string());
    }
    let last = format!(
        "{}{} {}",
        city.as_deref().unwrap_or_default(),
        state.as_deref().map(|s| format!(", {s}")).unwrap_or_default(),
        zip.as_deref().unwrap_or_default()
    );
    if !last.trim().is_empty() {
        out.push(last.trim().to_string());
    }
    Some(out.join("\n"))
}

fn long_date(d: NaiveDate) -> String {
    d.format("%B %-d, %Y").to_string()
}

/// The merge errors as field errors on `body`, each naming its field.
fn merge_errors(errors: &[MergeError]) -> AppError {
    let mut e = ValidationErrors::new();
    for m in errors {
        e.add("body", m.to_string());
    }
    e.into()
}

/// Everything a render needs, gathered in one transaction.
struct Gathered {
    template: LetterTemplateRow,
    patient: PatientRow,
    values: MergeValues,
    head: Letterhead,
    signer_name: String,
    signer_title: String,
    recipient_name: Option<String>,
    recipient_address: Option<String>,
}

/// A letter as printed: its text and its PDF.
struct Printed<'a> {
    text: String,
    pdf: &'a [u8],
}

impl Gathered {
    /// The letter's PDF on the letterhead (with the practice's logo when it has one).
    fn pdf(&self, logo: Option<&Image>, text: &str) -> Vec<u8> {
        letters_pdf_with_logo(
            &self.head,
            logo,
            &[LetterPage { body: text.to_string(), signer_name: self.signer_name.clone(), signer_title: self.signer_title.clone() }],
        )
    }
}

impl App {
    /// Seeds the built-in templates the practice does not have yet (by key).
    async fn seed_templates(&self, conn: &mut Connection, actor: &Actor) -> Result<()> {
        let have = store::template_keys(conn, &actor.practice_id).await?;
        let now = self.now_text();
        for (key, name, audience, body) in BUILT_IN {
            if have.iter().any(|k| k == key) {
                continue;
            }
            let row = LetterTemplateRow {
                practice_id: actor.practice_id.clone(),
                id: new_id(),
                template_key: key.into(),
                name: name.into(),
                audience: audience.into(),
                body: body.into(),
                built_in: 1,
                version: 1,
                updated_by: "medoffice".into(),
                updated_at: now.clone(),
                created_at: now.clone(),
            };
            match store::insert_template(conn, &row).await {
                // Two first uses at once: the other one seeded it.
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The practice's letter templates (the built-in ones seeded on first use).
    pub async fn letter_templates(&self, actor: &Actor) -> Result<Vec<LetterTemplateView>> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        self.seed_templates(&mut tx, actor).await?;
        let rows = store::list_templates(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(template_view).collect())
    }

    /// One template, by id or key.
    pub async fn letter_template(&self, actor: &Actor, id_or_key: &str) -> Result<LetterTemplateView> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        let t = self.find_template(&mut tx, actor, id_or_key).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(template_view(&t))
    }

    async fn find_template(&self, conn: &mut Connection, actor: &Actor, id_or_key: &str) -> Result<LetterTemplateRow> {
        self.seed_templates(conn, actor).await?;
        let wanted = id_or_key.trim();
        if wanted.is_empty() {
            return Err(ValidationErrors::single("template", "choose a template").into());
        }
        if let Some(t) = store::template_by_key(conn, &actor.practice_id, wanted).await? {
            return Ok(t);
        }
        store::get_template(conn, &actor.practice_id, wanted).await.map_err(|e| match e {
            StoreError::NotFound(_) => ValidationErrors::single(
                "template",
                format!("there is no letter template '{}'", wanted.chars().take(60).collect::<String>()),
            )
            .into(),
            other => other.into(),
        })
    }

    /// Saves a template's name and text (the office manager). Unknown merge fields are refused
    /// naming them; a stale version is a conflict. Audited.
    pub async fn save_letter_template(&self, actor: &Actor, id: &str, input: &TemplateInput) -> Result<LetterTemplateView> {
        self.authorize(actor, Action::ManageLetterTemplates, None).await?;
        let mut e = ValidationErrors::new();
        let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > 100 {
            e.add("name", "give the template a name of at most 100 characters");
        }
        let body = input.body.replace("\r\n", "\n");
        if body.trim().is_empty() {
            e.add("body", "write the letter's text");
        } else if body.chars().count() > MAX_TEMPLATE_CHARS {
            e.add("body", format!("at most {MAX_TEMPLATE_CHARS} characters"));
        }
        for m in letters::fields_used(&body).1 {
            e.add("body", m.to_string());
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut tx = self.store.begin().await?;
        let mut t = store::get_template(&mut tx, &actor.practice_id, id).await?;
        if input.version != 0 && input.version != t.version {
            return Err(AppError::Conflict("someone else saved this template since you opened it; reload it and edit again".into()));
        }
        t.name = name;
        t.body = body;
        t.version += 1;
        t.updated_by = actor.username.clone();
        t.updated_at = self.now_text();
        store::update_template(&mut tx, &t).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict("someone else saved this template since you opened it; reload it".into()),
            other => other.into(),
        })?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter_template.update",
                patient_id: None,
                record_type: "letter_template",
                record_id: Some(&t.id),
                detail: format!("{} version {}", t.template_key, t.version),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(template_view(&t))
    }

    /// The merge values of one letter.
    async fn gather(&self, conn: &mut Connection, actor: &Actor, input: &LetterInput, body_override: Option<&str>) -> Result<Gathered> {
        let practice_id = actor.practice_id.as_str();
        let mut template = self.find_template(conn, actor, &input.template).await?;
        if let Some(body) = body_override {
            template.body = body.replace("\r\n", "\n");
        }
        let patient_id = input.patient_id.trim();
        if patient_id.is_empty() {
            return Err(ValidationErrors::single("patient_id", "choose a patient").into());
        }
        let patient = medoffice_store::patients::get(conn, practice_id, patient_id).await.map_err(|e| match e {
            StoreError::NotFound(_) => AppError::from(ValidationErrors::single(
                "patient_id",
                format!("there is no patient '{}'", patient_id.chars().take(60).collect::<String>()),
            )),
            other => other.into(),
        })?;
        let practice = medoffice_store::practice::get(conn, practice_id).await?;
        let now = self.now();
        let today = actor.today(now);
        let local_now = now.with_timezone(&actor.timezone).format("%Y-%m-%dT%H:%M").to_string();
        let providers = medoffice_store::practice::list_providers(conn, practice_id).await?;
        let provider_name = |id: &str| {
            providers.iter().find(|p| p.id == id).map(|p| match p.credentials.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => format!("{} {}, {c}", p.given_name, p.family_name),
                None => format!("{} {}", p.given_name, p.family_name),
            })
        };
        let mut v = MergeValues::new();
        v.set("letter.date", Some(long_date(today)));
        v.set("patient.full_name", Some(full_name(&patient)));
        v.set("patient.given_name", Some(patient.given_name.clone()));
        v.set("patient.family_name", Some(patient.family_name.clone()));
        v.set(
            "patient.birth_date",
            NaiveDate::parse_from_str(&patient.birth_date, "%Y-%m-%d").ok().map(|d| d.format("%m/%d/%Y").to_string()),
        );
        v.set("patient.mrn", Some(patient.mrn.clone()));
        let patient_address =
            address_lines(&patient.address_line1, &patient.address_line2, &patient.city, &patient.state, &patient.postal_code);
        v.set("patient.address", patient_address.clone());
        v.set("patient.phone", patient.phone().map(str::to_string));
        v.set("patient.email", patient.email.clone());
        // The patient is their own guarantor unless another person is recorded.
        match patient.guarantor_family_name.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(family) => {
                v.set(
                    "guarantor.full_name",
                    Some(format!("{} {family}", patient.guarantor_given_name.as_deref().unwrap_or_default()).trim().to_string()),
                );
                let own = address_lines(
                    &patient.guarantor_address_line1,
                    &patient.guarantor_address_line2,
                    &patient.guarantor_city,
                    &patient.guarantor_state,
                    &patient.guarantor_postal_code,
                );
                v.set("guarantor.address", own.or(patient_address.clone()));
            }
            None => {
                v.set("guarantor.full_name", Some(full_name(&patient)));
                v.set("guarantor.address", patient_address.clone());
            }
        }
        v.set("practice.name", Some(practice.name.clone()));
        let practice_address = address_lines(&practice.address_line1, &None, &practice.city, &practice.state, &practice.postal_code)
            .map(|a| a.replace('\n', ", "));
        v.set("practice.address", practice_address.clone());
        v.set("practice.phone", practice.phone.clone());
        // Appointments: the next one booked, and the latest missed.
        let appointments = medoffice_store::scheduling::list_patient_appointments(conn, practice_id, &patient.id, 500).await?;
        let next = appointments
            .iter()
            .filter(|a| a.start_at.as_str() > local_now.as_str() && !matches!(a.status.as_str(), "cancelled" | "rescheduled" | "no_show"))
            .min_by(|a, b| a.start_at.cmp(&b.start_at));
        let when = |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok();
        v.set("appointment.date", next.and_then(|a| when(&a.start_at)).map(|t| long_date(t.date())));
        v.set("appointment.time", next.and_then(|a| when(&a.start_at)).map(|t| t.format("%-I:%M %p").to_string()));
        v.set("appointment.provider", next.and_then(|a| provider_name(&a.provider_id)));
        let missed = appointments.iter().filter(|a| a.status == "no_show").max_by(|a, b| a.start_at.cmp(&b.start_at));
        v.set("missed_appointment.date", missed.and_then(|a| when(&a.start_at)).map(|t| long_date(t.date())));
        // The provider: the one chosen, else the next appointment's, else the usual one.
        let provider_id = match input.provider_id.trim() {
            "" => match next {
                Some(a) => Some(a.provider_id.clone()),
                None => medoffice_store::messages::patient_usual_provider(conn, practice_id, &patient.id, &local_now).await?,
            },
            chosen => {
                if provider_name(chosen).is_none() {
                    return Err(ValidationErrors::single("provider_id", "there is no such provider").into());
                }
                Some(chosen.to_string())
            }
        };
        let provider = provider_id.as_deref().and_then(|id| providers.iter().find(|p| p.id == id));
        v.set("provider.full_name", provider_id.as_deref().and_then(provider_name));
        v.set("provider.npi", provider.map(|p| p.npi.clone()));
        // The balance the patient owes (AR - Patients).
        let open = crate::receivables::patient_due_open_items_in(conn, practice_id, &patient.id, today).await?;
        let balance = open.balance_cents();
        v.set("balance.amount", Some(Money::from_cents(balance).to_string()));
        let oldest = open.items.first().map(|i| (today - i.date).num_days().max(0));
        v.set("balance.days_past_due", oldest.map(|d| d.to_string()));
        // The insurer: the primary coverage in force.
        let today_text = today.to_string();
        let coverages = medoffice_store::patients::coverages_of(conn, practice_id, &patient.id).await?;
        let primary = coverages
            .iter()
            .filter(|c| c.coverage.start_date <= today_text && c.coverage.end_date.as_deref().is_none_or(|e| e >= today_text.as_str()))
            .min_by_key(|c| c.coverage.priority);
        let payer = match primary {
            Some(c) => Some(medoffice_store::practice::get_payer(conn, practice_id, &c.coverage.payer_id).await?),
            None => None,
        };
        v.set("insurer.name", primary.map(|c| c.payer_name.clone()));
        v.set("insurer.member_id", primary.map(|c| c.coverage.member_id.clone()));
        v.set("insurer.group_number", primary.and_then(|c| c.coverage.group_number.clone()));
        v.set(
            "insurer.address",
            payer
                .as_ref()
                .and_then(|p| address_lines(&p.address_line1, &None, &p.city, &p.state, &p.postal_code))
                .map(|a| a.replace('\n', ", ")),
        );
        v.set("insurer.phone", payer.as_ref().and_then(|p| p.phone.clone()));
        // The recipient: a directory contact, or as typed (typed text wins over the contact's).
        let mut recipient_name = clean_opt(&input.recipient_name);
        let mut recipient_phone = clean_opt(&input.recipient_phone);
        if !input.contact_id.trim().is_empty() {
            let c = medoffice_store::messages::get_contact(conn, practice_id, input.contact_id.trim()).await.map_err(|e| match e {
                StoreError::NotFound(_) => AppError::from(ValidationErrors::single("contact_id", "there is no such directory contact")),
                other => other.into(),
            })?;
            recipient_name = recipient_name.or(Some(c.name.clone()));
            recipient_phone = recipient_phone.or(c.phone.clone()).or(c.fax.clone());
        }
        let recipient_address = {
            let lines: Vec<&str> = input.recipient_address.lines().map(str::trim).filter(|l| !l.is_empty()).take(6).collect();
            (!lines.is_empty()).then(|| lines.join("\n"))
        };
        v.set("recipient.name", recipient_name.clone());
        v.set("recipient.address", recipient_address.clone());
        v.set("recipient.phone", recipient_phone);
        let (signer_name, signer_title) = match provider.and_then(|p| provider_name(&p.id)) {
            Some(name) => (name, provider.and_then(|p| p.specialty.clone()).unwrap_or_else(|| "Provider".into())),
            None => (actor.display_name.clone(), "Office manager".to_string()),
        };
        v.set("sender.name", Some(signer_name.clone()));
        v.set("sender.title", Some(signer_title.clone()));
        let mut lines: Vec<String> = practice_address.into_iter().collect();
        if let Some(phone) = &practice.phone {
            lines.push(format!("Phone {phone}"));
        }
        Ok(Gathered {
            template,
            patient,
            values: v,
            head: Letterhead { practice_name: practice.name, lines },
            signer_name,
            signer_title,
            recipient_name,
            recipient_address,
        })
    }

    /// Renders a letter without saving it (the preview): the text, and the same escaped for a
    /// page. With `body`, renders that text instead of the template's (the template editor's
    /// preview). Missing and unknown merge fields are refused naming them. Audited (it reads the
    /// patient's data).
    pub async fn preview_letter(&self, actor: &Actor, input: &LetterInput, body: Option<&str>) -> Result<LetterPreview> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        let g = self.gather(&mut tx, actor, input, body).await?;
        let text = letters::render(&g.template.body, &g.values, Output::Plain).map_err(|e| merge_errors(&e))?;
        let html = letters::render(&g.template.body, &g.values, Output::Html).map_err(|e| merge_errors(&e))?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter.preview",
                patient_id: Some(&g.patient.id),
                record_type: "letter_template",
                record_id: Some(&g.template.id),
                detail: g.template.template_key.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(LetterPreview { template_name: g.template.name, patient_name: full_name(&g.patient), text, html })
    }

    /// Renders one letter to PDF without saving it (`medoffice letters render`). Audited.
    pub async fn render_letter_pdf(&self, actor: &Actor, input: &LetterInput) -> Result<Vec<u8>> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        let g = self.gather(&mut tx, actor, input, None).await?;
        let text = letters::render(&g.template.body, &g.values, Output::Plain).map_err(|e| merge_errors(&e))?;
        let logo = self.letterhead_logo_in(&mut tx, &actor.practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter.render",
                patient_id: Some(&g.patient.id),
                record_type: "letter_template",
                record_id: Some(&g.template.id),
                detail: g.template.template_key.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(letters_pdf_with_logo(
            &g.head,
            logo.as_ref(),
            &[LetterPage { body: text, signer_name: g.signer_name, signer_title: g.signer_title }],
        ))
    }

    /// Renders a letter on the letterhead inside the caller's transaction, saving nothing: its
    /// text and PDF (a release of records' cover letter, which the release itself keeps). The
    /// caller checks its own action; merge errors name their fields on `body`.
    pub(crate) async fn render_letter_in(&self, conn: &mut Connection, actor: &Actor, input: &LetterInput) -> Result<(String, Vec<u8>)> {
        let g = self.gather(conn, actor, input, None).await?;
        let text = letters::render(&g.template.body, &g.values, Output::Plain).map_err(|e| merge_errors(&e))?;
        let logo = self.letterhead_logo_in(conn, &actor.practice_id).await?;
        let pdf = g.pdf(logo.as_ref(), &text);
        Ok((text, pdf))
    }

    /// `medoffice letters render`: one letter as the command line's actor (the only practice).
    pub async fn render_letter_pdf_offline(&self, template: &str, patient_id: &str) -> Result<Vec<u8>> {
        let practice = self.only_practice().await?;
        let actor = crate::claims::command_line_actor(&practice);
        let input = LetterInput { template: template.into(), patient_id: patient_id.into(), ..Default::default() };
        self.render_letter_pdf(&actor, &input).await
    }

    /// Writes a letter: renders it, keeps its text and PDF on the chart, logs it as outgoing
    /// mail, notes it on the telephone message it answers, and e-mails it when asked (only to a
    /// patient who chose e-mail; nothing is saved when the server refuses). Audited.
    pub async fn write_letter(&self, actor: &Actor, input: &LetterInput) -> Result<LetterView> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let email = match input.delivery.trim() {
            "" | "print" => false,
            "email" => true,
            _ => return Err(ValidationErrors::single("delivery", "choose print or email").into()),
        };
        let (g, text, pdf) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let g = self.gather(&mut conn, actor, input, None).await?;
            let text = letters::render(&g.template.body, &g.values, Output::Plain).map_err(|e| merge_errors(&e))?;
            let logo = self.letterhead_logo_in(&mut conn, &actor.practice_id).await?;
            let pdf = g.pdf(logo.as_ref(), &text);
            (g, text, pdf)
        };
        let emailed_to = if email { Some(self.email_letter(actor, &g, &text, &pdf).await?) } else { None };
        let mut tx = self.store.begin().await?;
        let view = self.save_letter(&mut tx, actor, input, &g, Printed { text, pdf: &pdf }, emailed_to).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Prints one template for several patients: each letter saved and logged, and one PDF with
    /// them all, in one transaction (a patient whose letter cannot be rendered stops the batch,
    /// named in the error with the field; blank and repeated ids are dropped).
    pub async fn write_letter_batch(&self, actor: &Actor, template: &str, patient_ids: &[String]) -> Result<(Vec<LetterView>, Vec<u8>)> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut ids: Vec<String> = Vec::new();
        for id in patient_ids.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
        }
        if ids.is_empty() {
            return Err(ValidationErrors::single("patient_ids", "choose at least one patient").into());
        }
        if ids.len() > MAX_BATCH {
            return Err(ValidationErrors::single(
                "patient_ids",
                format!("at most {MAX_BATCH} patients in one batch; {} chosen", ids.len()),
            )
            .into());
        }
        let mut tx = self.store.begin().await?;
        let logo = self.letterhead_logo_in(&mut tx, &actor.practice_id).await?;
        let mut views = Vec::new();
        let mut pages = Vec::new();
        let mut head = Letterhead::default();
        for pid in &ids {
            let input = LetterInput { template: template.into(), patient_id: pid.clone(), ..Default::default() };
            let g = self.gather(&mut tx, actor, &input, None).await?;
            let text = letters::render(&g.template.body, &g.values, Output::Plain).map_err(|e| {
                let mut v = ValidationErrors::new();
                for m in &e {
                    v.add("patient_ids", format!("{}: {m}", full_name(&g.patient)));
                }
                AppError::from(v)
            })?;
            pages.push(LetterPage { body: text.clone(), signer_name: g.signer_name.clone(), signer_title: g.signer_title.clone() });
            head = g.head.clone();
            let pdf = g.pdf(logo.as_ref(), &text);
            views.push(self.save_letter(&mut tx, actor, &input, &g, Printed { text, pdf: &pdf }, None).await?);
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok((views, letters_pdf_with_logo(&head, logo.as_ref(), &pages)))
    }

    async fn email_letter(&self, actor: &Actor, g: &Gathered, text: &str, pdf: &[u8]) -> Result<String> {
        let p = &g.patient;
        if p.preferred_contact != "email" {
            return Err(ValidationErrors::single("delivery", "this patient has not chosen e-mail; print the letter instead").into());
        }
        let Some(to) = p.email.clone().filter(|e| !e.trim().is_empty()) else {
            return Err(ValidationErrors::single("delivery", "the patient has no e-mail address on file; print the letter instead").into());
        };
        let config = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::reminders::get_smtp(&mut conn, &actor.practice_id).await?.as_ref().and_then(crate::reminders::smtp_config)
        };
        let Some(config) = config else {
            return Err(AppError::Conflict("e-mail is not set up for the practice yet (Admin → E-mail); print the letter instead".into()));
        };
        let message = crate::mailer::Email {
            to: to.clone(),
            to_name: Some(full_name(p)),
            subject: format!("{} from {}", g.template.name, g.head.practice_name),
            body: format!("{text}\n\n{}\n{}\n", g.signer_name, g.signer_title),
        };
        // The letter as printed goes along; the text stays in the body for readers without PDF.
        let attachment = crate::mailer::Attachment {
            file_name: format!(
                "{}-{}.pdf",
                g.template.template_key.replace('_', "-"),
                self.now().with_timezone(&actor.timezone).format("%Y-%m-%d")
            ),
            content_type: "application/pdf".into(),
            bytes: pdf.to_vec(),
        };
        match crate::mailer::send_with_attachments(&config, &message, &[attachment]).await {
            Ok(_) => Ok(to),
            Err(e) => Err(AppError::Conflict(format!("the letter was not e-mailed: {}", e.message))),
        }
    }

    async fn save_letter(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        input: &LetterInput,
        g: &Gathered,
        printed: Printed<'_>,
        emailed_to: Option<String>,
    ) -> Result<LetterView> {
        let Printed { text, pdf } = printed;
        let practice_id = actor.practice_id.as_str();
        let blob_id = new_id();
        let key = format!("{practice_id}/{blob_id}");
        self.blobs.put(&key, pdf).await?;
        blobs::insert(
            conn,
            &BlobRow {
                practice_id: practice_id.into(),
                id: blob_id.clone(),
                content_type: "application/pdf".into(),
                size_bytes: i64::try_from(pdf.len()).unwrap_or(i64::MAX),
                sha256: hex::encode(Sha256::digest(pdf)),
                storage_key: key,
                created_at: self.now_text(),
            },
        )
        .await?;
        let message_id = match input.message_id.trim() {
            "" => None,
            id => Some(medoffice_store::messages::get_message(conn, practice_id, id).await.map_err(|e| match e {
                StoreError::NotFound(_) => AppError::from(ValidationErrors::single("message_id", "there is no such telephone message")),
                other => other.into(),
            })?),
        };
        let mut row = LetterRow {
            practice_id: practice_id.into(),
            id: new_id(),
            template_id: g.template.id.clone(),
            template_key: g.template.template_key.clone(),
            title: g.template.name.clone(),
            patient_id: g.patient.id.clone(),
            recipient_name: g.recipient_name.clone(),
            recipient_address: g.recipient_address.clone(),
            body: text,
            blob_id,
            delivery: if emailed_to.is_some() { "email".into() } else { "print".into() },
            emailed_to: emailed_to.clone(),
            message_id: message_id.as_ref().map(|m| m.id.clone()),
            outgoing_mail_id: None,
            signed_by: g.signer_name.clone(),
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_letter(conn, &row).await?;
        let recipient = match (&emailed_to, &row.recipient_name) {
            (Some(to), _) => to.clone(),
            (None, Some(name)) => name.clone(),
            (None, None) => full_name(&g.patient),
        };
        let logged = self
            .log_outgoing_in(
                conn,
                actor,
                &OutgoingInput {
                    recipient: recipient.chars().take(200).collect(),
                    method: if emailed_to.is_some() { "secure_email".into() } else { "usps_first_class".into() },
                    about_kind: "letter".into(),
                    about_id: row.id.clone(),
                    patient_id: row.patient_id.clone(),
                    description: format!("Letter: {}", row.title).chars().take(200).collect(),
                    ..Default::default()
                },
            )
            .await?;
        store::set_outgoing(conn, practice_id, &row.id, &logged.id).await?;
        row.outgoing_mail_id = Some(logged.id.clone());
        if let Some(mut m) = message_id {
            // The reply trail shows the letter: an event in the message's thread, under its version.
            m.version += 1;
            m.updated_at = self.now_text();
            medoffice_store::messages::update_message(conn, &m).await.map_err(|e| match e {
                StoreError::Conflict(_) => AppError::Conflict("the message changed while the letter was written; try again".into()),
                other => other.into(),
            })?;
            medoffice_store::messages::append_entry(
                conn,
                &medoffice_store::messages::MessageEntryRow {
                    practice_id: practice_id.into(),
                    message_id: m.id.clone(),
                    seq: 0,
                    kind: "event".into(),
                    at: self.now_text(),
                    user_id: Some(actor.user_id.clone()),
                    body: format!("Letter sent: {} (by {})", row.title, if emailed_to.is_some() { "e-mail" } else { "mail" }),
                },
            )
            .await?;
        }
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "letter.write",
                patient_id: Some(&row.patient_id),
                record_type: "letter",
                record_id: Some(&row.id),
                detail: format!("{} by {}", row.template_key, row.delivery),
            },
        )
        .await?;
        Ok(letter_view(&row, full_name(&g.patient)))
    }

    /// One letter. Audited.
    pub async fn letter(&self, actor: &Actor, id: &str) -> Result<LetterView> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_letter(&mut tx, &actor.practice_id, id.trim()).await?;
        let patient = medoffice_store::patients::get(&mut tx, &actor.practice_id, &row.patient_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter.read",
                patient_id: Some(&row.patient_id),
                record_type: "letter",
                record_id: Some(&row.id),
                detail: row.template_key.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(letter_view(&row, full_name(&patient)))
    }

    /// A letter's PDF as saved, checked against its hash. Audited.
    pub async fn letter_pdf(&self, actor: &Actor, id: &str) -> Result<Vec<u8>> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_letter(&mut tx, &actor.practice_id, id.trim()).await?;
        let blob = blobs::get(&mut tx, &actor.practice_id, &row.blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != blob.sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter.pdf",
                patient_id: Some(&row.patient_id),
                record_type: "letter",
                record_id: Some(&row.id),
                detail: row.template_key.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(bytes)
    }

    /// A patient's letters, newest first (the chart's list). Audited.
    pub async fn patient_letters(&self, actor: &Actor, patient_id: &str) -> Result<Vec<LetterView>> {
        self.authorize(actor, Action::WriteLetters, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::letters_of_patient(&mut tx, &actor.practice_id, patient_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter.list",
                patient_id: Some(patient_id),
                record_type: "letter",
                record_id: None,
                detail: format!("{} letters", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(|r| letter_view(r, String::new())).collect())
    }

    /// The practice's latest letters. Audited.
    pub async fn recent_letters(&self, actor: &Actor) -> Result<Vec<LetterView>> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::recent_letters(&mut tx, &actor.practice_id, 50).await?;
        let mut out = Vec::new();
        for r in &rows {
            let name =
                medoffice_store::patients::get(&mut tx, &actor.practice_id, &r.patient_id).await.map(|p| full_name(&p)).unwrap_or_default();
            out.push(letter_view(r, name));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letter.list",
                patient_id: None,
                record_type: "letter",
                record_id: None,
                detail: format!("{} letters", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }
}

fn clean_opt(text: &str) -> Option<String> {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then(|| t.chars().take(200).collect())
}

/// The practice's letterhead logo as shown on its admin page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogoView {
    /// `image/png` or `image/jpeg`, from the file's first bytes.
    pub content_type: String,
    pub width_px: i64,
    pub height_px: i64,
    pub size_bytes: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// A billing letter the dunning run writes: its template, patient, date and the balance as the
/// run computed it (as of its date, days past due after the practice's net days).
pub(crate) struct BillingLetter<'a> {
    pub template_key: &'a str,
    pub patient_id: &'a str,
    pub letter_date: NaiveDate,
    pub balance_cents: i64,
    pub days_past_due: i64,
}

/// A letter rendered and ready to be saved on the chart ([`App::save_prepared_letter_in`]).
pub(crate) struct PreparedLetter {
    g: Gathered,
    text: String,
    input: LetterInput,
}

impl PreparedLetter {
    /// The text as it will be printed.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The message for an upload that is not a usable logo.
fn logo_error(e: &ImageError) -> AppError {
    ValidationErrors::single("logo", e.to_string()).into()
}

impl App {
    /// The practice's letterhead logo, decoded for the PDF; none when it has none. A stored file
    /// whose hash no longer matches is an error, never a silently missing logo.
    pub(crate) async fn letterhead_logo_in(&self, conn: &mut Connection, practice_id: &str) -> Result<Option<Image>> {
        let Some(row) = store::get_logo(conn, practice_id).await? else {
            return Ok(None);
        };
        let bytes = self.logo_bytes_in(conn, practice_id, &row.blob_id).await?;
        Image::parse(&bytes).map(Some).map_err(|e| AppError::Internal(format!("the stored letterhead logo cannot be used: {e}")))
    }

    async fn logo_bytes_in(&self, conn: &mut Connection, practice_id: &str, blob_id: &str) -> Result<Vec<u8>> {
        let blob = blobs::get(conn, practice_id, blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != blob.sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        Ok(bytes)
    }

    /// The practice's letterhead logo, if it has one (the admin page and the letters' pages).
    pub async fn letterhead_logo(&self, actor: &Actor) -> Result<Option<LogoView>> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let Some(row) = store::get_logo(&mut conn, &actor.practice_id).await? else {
            return Ok(None);
        };
        let blob = blobs::get(&mut conn, &actor.practice_id, &row.blob_id).await?;
        Ok(Some(LogoView {
            content_type: row.content_type,
            width_px: row.width_px,
            height_px: row.height_px,
            size_bytes: blob.size_bytes,
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        }))
    }

    /// The logo file itself (type, bytes), checked against its hash, for the admin page.
    pub async fn letterhead_logo_file(&self, actor: &Actor) -> Result<(String, Vec<u8>)> {
        self.authorize(actor, Action::WriteLetters, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let row = store::get_logo(&mut conn, &actor.practice_id).await?.ok_or(StoreError::NotFound("letterhead logo"))?;
        let bytes = self.logo_bytes_in(&mut conn, &actor.practice_id, &row.blob_id).await?;
        Ok((row.content_type, bytes))
    }

    /// Sets the practice's letterhead logo (the office manager): a PNG or JPEG recognised by its
    /// first bytes (whatever its name or declared type), at most [`MAX_IMAGE_BYTES`] and 4000
    /// pixels a side, decodable; refused on `logo` naming what is wrong. Replaces any earlier
    /// logo. Audited.
    pub async fn set_letterhead_logo(&self, actor: &Actor, upload: &crate::patients::Upload) -> Result<LogoView> {
        self.authorize(actor, Action::ManageLetterTemplates, None).await?;
        let bytes = &upload.bytes;
        if bytes.is_empty() {
            return Err(ValidationErrors::single("logo", "choose the logo's file (PNG or JPEG)").into());
        }
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(logo_error(&ImageError::TooManyBytes { bytes: bytes.len() }));
        }
        let Some(kind) = ImageKind::sniff(bytes) else {
            return Err(logo_error(&ImageError::NotPngOrJpeg));
        };
        let image = Image::parse(bytes).map_err(|e| logo_error(&e))?;
        let practice_id = actor.practice_id.as_str();
        let blob_id = new_id();
        let key = format!("{practice_id}/{blob_id}");
        let blob = BlobRow {
            practice_id: practice_id.into(),
            id: blob_id.clone(),
            content_type: kind.content_type().into(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(Sha256::digest(bytes)),
            storage_key: key.clone(),
            created_at: self.now_text(),
        };
        let row = store::LogoRow {
            practice_id: practice_id.into(),
            blob_id,
            content_type: kind.content_type().into(),
            width_px: i64::from(image.width()),
            height_px: i64::from(image.height()),
            updated_by: actor.username.clone(),
            updated_at: self.now_text(),
        };
        // The file first: a crash before the commit leaves an orphan file, never a dangling row.
        self.blobs.put(&key, bytes).await?;
        let mut tx = self.store.begin().await?;
        blobs::insert(&mut tx, &blob).await?;
        store::set_logo(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letterhead_logo.update",
                patient_id: None,
                record_type: "letterhead_logo",
                record_id: Some(&row.blob_id),
                detail: format!("{} {} x {} px, {} bytes", row.content_type, row.width_px, row.height_px, blob.size_bytes),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(LogoView {
            content_type: row.content_type,
            width_px: row.width_px,
            height_px: row.height_px,
            size_bytes: blob.size_bytes,
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        })
    }

    /// Removes the letterhead logo: letters print the name alone again. Audited.
    pub async fn remove_letterhead_logo(&self, actor: &Actor) -> Result<()> {
        self.authorize(actor, Action::ManageLetterTemplates, None).await?;
        let mut tx = self.store.begin().await?;
        if !store::delete_logo(&mut tx, &actor.practice_id).await? {
            return Err(StoreError::NotFound("letterhead logo").into());
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "letterhead_logo.remove",
                patient_id: None,
                record_type: "letterhead_logo",
                record_id: None,
                detail: "removed".into(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Renders a billing letter (the dunning run's) from its template in the caller's
    /// transaction, saving nothing yet: the date, balance and days past due are the run's, and
    /// the billing office signs. Merge errors name the field.
    pub(crate) async fn prepare_billing_letter_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        b: &BillingLetter<'_>,
    ) -> Result<PreparedLetter> {
        let input = LetterInput { template: b.template_key.into(), patient_id: b.patient_id.into(), ..Default::default() };
        let mut g = self.gather(conn, actor, &input, None).await?;
        g.values.set("letter.date", Some(long_date(b.letter_date)));
        g.values.set("balance.amount", Some(Money::from_cents(b.balance_cents).to_string()));
        g.values.set("balance.days_past_due", Some(b.days_past_due.to_string()));
        g.signer_name = "Billing office".into();
        g.signer_title = g.head.practice_name.clone();
        g.values.set("sender.name", Some(g.signer_name.clone()));
        g.values.set("sender.title", Some(g.signer_title.clone()));
        let text = letters::render(&g.template.body, &g.values, Output::Plain).map_err(|e| merge_errors(&e))?;
        Ok(PreparedLetter { g, text, input })
    }

    /// Saves a prepared letter on the chart like any other (its PDF with the letterhead and logo
    /// in the blob store, the letter row, the outgoing mail log entry), in the caller's
    /// transaction.
    pub(crate) async fn save_prepared_letter_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        prepared: PreparedLetter,
        logo: Option<&Image>,
    ) -> Result<LetterView> {
        let pdf = prepared.g.pdf(logo, &prepared.text);
        self.save_letter(conn, actor, &prepared.input, &prepared.g, Printed { text: prepared.text, pdf: &pdf }, None).await
    }

    /// The chart's letter saved with outgoing mail entry `outgoing_mail_id`, if any, with its PDF.
    pub(crate) async fn letter_pdf_by_outgoing_in(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        outgoing_mail_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        let Some(row) = store::letter_by_outgoing_mail(conn, practice_id, outgoing_mail_id).await? else {
            return Ok(None);
        };
        let blob = blobs::get(conn, practice_id, &row.blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != blob.sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        Ok(Some(bytes))
    }

    /// A letter on the letterhead from text already rendered (a dunning letter kept from before
    /// dunning letters were saved on the chart), signed by the billing office.
    pub(crate) async fn billing_text_pdf_in(&self, conn: &mut Connection, practice_id: &str, text: &str) -> Result<Vec<u8>> {
        let practice = medoffice_store::practice::get(conn, practice_id).await?;
        let mut lines: Vec<String> = address_lines(&practice.address_line1, &None, &practice.city, &practice.state, &practice.postal_code)
            .map(|a| a.replace('\n', ", "))
            .into_iter()
            .collect();
        if let Some(phone) = &practice.phone {
            lines.push(format!("Phone {phone}"));
        }
        let logo = self.letterhead_logo_in(conn, practice_id).await?;
        let head = Letterhead { practice_name: practice.name.clone(), lines };
        let page = LetterPage { body: text.to_string(), signer_name: "Billing office".into(), signer_title: practice.name };
        Ok(letters_pdf_with_logo(&head, logo.as_ref(), &[page]))
    }
}
