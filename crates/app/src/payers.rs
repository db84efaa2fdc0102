//! Payers as claims need them: the electronic payer id, the claim filing indicator (SBR09), the
//! address paper claims go to, whether the payer takes electronic claims, its timely-filing limit,
//! and whether it is still offered.
//!
//! Coverages name their payer by id (`coverage.payer_id`, a foreign key to `payer` since 0001), so
//! a payer edited here changes every coverage's claims at once. A payer is deactivated, never
//! deleted: the coverages and claims that name it keep it. Changing payers needs
//! [`Action::ManagePayers`] (the office manager); every staff member reads them
//! ([`Action::ReadPracticeLists`]), as the coverage form does.

use crate::{Actor, App, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::coding::ClaimFilingIndicator;
use medoffice_domain::patients::{Phone, parse_postal_code, parse_state};
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::code_sets::{self as store, PayerDetailRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// The longest timely-filing limit accepted (ten years).
pub const MAX_TIMELY_FILING_DAYS: i64 = 3650;

/// A payer as typed (a form or JSON).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(default)]
pub struct PayerInput {
    pub name: String,
    /// The electronic payer id the clearinghouse routes by (2010BB NM109); required when the
    /// payer takes electronic claims.
    pub payer_code: String,
    /// SBR09: `CI` commercial, `MB` Medicare Part B, `MC` Medicaid, `BL` Blue Cross Blue Shield,
    /// `HM` HMO, ... (`domain::coding::ClaimFilingIndicator`).
    pub claim_filing_indicator: String,
    pub phone: String,
    /// Where paper claims go: required when the payer takes no electronic claims.
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub accepts_electronic_claims: bool,
    /// Days from the date of service within which a claim must reach the payer; blank if not known.
    #[serde(deserialize_with = "text_or_number")]
    #[schema(value_type = String)]
    pub timely_filing_days: String,
    pub active: bool,
}

impl Default for PayerInput {
    fn default() -> Self {
        PayerInput {
            name: String::new(),
            payer_code: String::new(),
            claim_filing_indicator: String::new(),
            phone: String::new(),
            address_line1: String::new(),
            address_line2: String::new(),
            city: String::new(),
            state: String::new(),
            postal_code: String::new(),
            accepts_electronic_claims: true,
            timely_filing_days: String::new(),
            active: true,
        }
    }
}

/// A number or its text (`90` or `"90"`), as text; `null` as blank.
fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(i64),
        Nothing(()),
    }
    Ok(match TextOrNumber::deserialize(deserializer)? {
        TextOrNumber::Text(t) => t,
        TextOrNumber::Number(n) => n.to_string(),
        TextOrNumber::Nothing(()) => String::new(),
    })
}

/// A payer with everything a claim needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerDetailView {
    pub id: String,
    pub name: String,
    pub payer_code: String,
    pub claim_filing_indicator: String,
    pub claim_filing_indicator_label: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub accepts_electronic_claims: bool,
    pub timely_filing_days: Option<i64>,
    pub active: bool,
}

pub(crate) fn payer_view(p: PayerDetailRow) -> PayerDetailView {
    let label = ClaimFilingIndicator::parse(&p.claim_filing_indicator).map(|i| i.label().to_string()).unwrap_or_default();
    PayerDetailView {
        id: p.id,
        name: p.name,
        payer_code: p.payer_code,
        claim_filing_indicator: p.claim_filing_indicator,
        claim_filing_indicator_label: label,
        phone: p.phone,
        address_line1: p.address_line1,
        address_line2: p.address_line2,
        city: p.city,
        state: p.state,
        postal_code: p.postal_code,
        accepts_electronic_claims: p.accepts_electronic_claims == 1,
        timely_filing_days: p.timely_filing_days,
        active: p.active == 1,
    }
}

fn optional(field: &str, text: &str, max: usize, errors: &mut ValidationErrors) -> Option<String> {
    let value = clean(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add(field, format!("at most {max} characters"));
    }
    value
}

/// A payer's fields, validated (every field at fault at once); the row has no id or times yet.
async fn checked_payer(conn: &mut Connection, actor: &Actor, id: &str, input: &PayerInput) -> Result<PayerDetailRow> {
    let mut errors = ValidationErrors::new();
    let name = clean(&input.name);
    match &name {
        None => errors.add("name", "enter the payer's name"),
        Some(n) if n.chars().count() > 100 => errors.add("name", "at most 100 characters"),
        Some(n) => {
            if store::payer_named(conn, &actor.practice_id, n, id).await?.is_some() {
                errors.add("name", format!("the practice has a payer named {n} already"));
            }
        }
    }
    let payer_code = clean(&input.payer_code).map(|c| c.to_ascii_uppercase());
    match &payer_code {
        None if input.accepts_electronic_claims => {
            errors.add("payer_code", "enter the electronic payer id (the clearinghouse's list has it)")
        }
        Some(c) if c.len() < 2 || c.len() > 80 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            errors.add("payer_code", "an electronic payer id has 2 to 80 letters, digits or hyphens")
        }
        _ => {}
    }
    let indicator = errors.check("claim_filing_indicator", ClaimFilingIndicator::parse(&input.claim_filing_indicator));
    let phone = match clean(&input.phone) {
        None => None,
        Some(p) => errors.check("phone", Phone::parse(&p)).map(|p| p.digits().to_string()),
    };
    let address_line1 = optional("address_line1", &input.address_line1, 100, &mut errors);
    let address_line2 = optional("address_line2", &input.address_line2, 100, &mut errors);
    let city = optional("city", &input.city, 60, &mut errors);
    let state = clean(&input.state).and_then(|s| errors.check("state", parse_state(&s)));
    let postal_code = clean(&input.postal_code).and_then(|z| errors.check("postal_code", parse_postal_code(&z)));
    if !input.accepts_electronic_claims {
        // Paper claims need somewhere to go.
        let paper = "enter the address paper claims go to";
        for (field, value) in
            [("address_line1", &input.address_line1), ("city", &input.city), ("state", &input.state), ("postal_code", &input.postal_code)]
        {
            if value.trim().is_empty() {
                errors.add(field, paper);
            }
        }
    }
    let timely_filing_days = match input.timely_filing_days.trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(d) if (1..=MAX_TIMELY_FILING_DAYS).contains(&d) => Some(d),
            _ => {
                errors.add("timely_filing_days", format!("enter a number of days from 1 to {MAX_TIMELY_FILING_DAYS}, or leave it blank"));
                None
            }
        },
    };
    let (Some(name), Some(indicator)) = (name, indicator) else { return Err(errors.into()) };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(PayerDetailRow {
        practice_id: actor.practice_id.clone(),
        id: id.to_string(),
        name,
        payer_code: payer_code.unwrap_or_default(),
        claim_filing_indicator: indicator.code().to_string(),
        phone,
        address_line1,
        address_line2,
        city,
        state,
        postal_code,
        accepts_electronic_claims: i64::from(input.accepts_electronic_claims),
        timely_filing_days,
        active: i64::from(input.active),
        created_at: String::new(),
        updated_at: None,
    })
}

fn payer_summary(p: &PayerDetailRow) -> String {
    format!(
        "{} ({}, {}{}{})",
        p.name,
        if p.payer_code.is_empty() { "no electronic id" } else { &p.payer_code },
        p.claim_filing_indicator,
        if p.accepts_electronic_claims == 1 { ", electronic" } else { ", paper" },
        if p.active == 1 { "" } else { ", inactive" }
    )
}

impl App {
    /// The practice's payers by name, with every claim detail (inactive ones included).
    pub async fn payers(&self, actor: &Actor) -> Result<Vec<PayerDetailView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::list_payers(&mut conn, &actor.practice_id).await?.into_iter().map(payer_view).collect())
    }

    /// One payer.
    pub async fn payer(&self, actor: &Actor, id: &str) -> Result<PayerDetailView> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(payer_view(store::get_payer(&mut conn, &actor.practice_id, id).await?))
    }

    /// Adds a payer.
    pub async fn add_payer(&self, actor: &Actor, input: &PayerInput) -> Result<PayerDetailView> {
        self.authorize(actor, Action::ManagePayers, None).await?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let id = new_id();
        let row = PayerDetailRow { created_at: now.clone(), updated_at: Some(now), ..checked_payer(&mut tx, actor, &id, input).await? };
        store::insert_payer(&mut tx, &row).await?;
        let note = AuditNote {
            action: "payers.add",
            patient_id: None,
            record_type: "payer",
            record_id: Some(&row.id),
            detail: payer_summary(&row),
        };
        self.audit(&mut tx, actor, note).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(payer_view(row))
    }

    /// Changes a payer (every field; `active` false deactivates it).
    pub async fn update_payer(&self, actor: &Actor, id: &str, input: &PayerInput) -> Result<PayerDetailView> {
        self.authorize(actor, Action::ManagePayers, None).await?;
        let mut tx = self.store.begin().await?;
        let before = store::get_payer(&mut tx, &actor.practice_id, id).await?;
        let row = PayerDetailRow {
            created_at: before.created_at.clone(),
            updated_at: Some(self.now_text()),
            ..checked_payer(&mut tx, actor, &before.id, input).await?
        };
        store::update_payer(&mut tx, &row).await?;
        let detail = format!("{} -> {}", payer_summary(&before), payer_summary(&row));
        let note = AuditNote { action: "payers.update", patient_id: None, record_type: "payer", record_id: Some(&row.id), detail };
        self.audit(&mut tx, actor, note).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(payer_view(row))
    }
}
