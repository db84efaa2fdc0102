//! Fee schedules: the practice's standard fee per procedure code (and per code with a modifier
//! where the fee differs), and each payer's expected (allowed) amount for a code.
//!
//! A service line's charge is the standard fee: the practice bills every payer the same, and a
//! payer's allowed amount is what it is expected to pay of it (the rest a contractual adjustment).
//! [`quote_fee`] looks both up inside the caller's transaction (the encounter's charge lines);
//! [`App::fee_quote`] is the same for a person or the API. A modifier-specific fee wins over the
//! code's own; a code with neither has no charge, which the caller must ask for. Setting fees needs
//! [`Action::ManageFeeSchedules`], reading them [`Action::ReadFeeSchedules`].

use crate::{Actor, App, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::coding::{parse_any_procedure_code, parse_modifier};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::code_sets::{self as store, PayerFeeRow, StandardFeeRow};
use medoffice_store::{Connection, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The largest fee accepted: $1,000,000.00.
pub const MAX_FEE_CENTS: i64 = 100_000_000;

/// A fee as typed: `amount_cents` (the API's) wins over `amount` (dollars as typed, `150.00`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct FeeInput {
    /// A CPT or HCPCS code of the practice.
    pub code: String,
    /// Blank for the code's own fee.
    pub modifier: String,
    pub amount: String,
    pub amount_cents: Option<i64>,
}

/// One line of the standard fee schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StandardFeeView {
    pub code: String,
    /// Blank for the code's own fee.
    pub modifier: String,
    pub description: Option<String>,
    pub charge_cents: i64,
}

/// One payer's expected amount for a code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerFeeView {
    pub payer_id: String,
    pub code: String,
    pub modifier: String,
    pub description: Option<String>,
    pub allowed_cents: i64,
    /// The standard fee of the same code and modifier, if set.
    pub charge_cents: Option<i64>,
}

/// The fee schedule: standard fees, and one payer's expected amounts when asked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeScheduleView {
    pub standard: Vec<StandardFeeView>,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub payer: Vec<PayerFeeView>,
}

/// What a code costs and what a payer is expected to allow for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FeeQuote {
    pub code: String,
    pub modifier: String,
    pub description: Option<String>,
    /// The standard fee (the modifier's if set, else the code's); none when not on the schedule.
    pub charge_cents: Option<i64>,
    /// Whether the charge is the modifier's own fee.
    pub charge_for_modifier: bool,
    pub payer_id: Option<String>,
    /// The payer's expected amount (the modifier's if set, else the code's).
    pub expected_cents: Option<i64>,
}

/// A fee lookup.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct FeeQuery {
    pub code: String,
    pub modifier: String,
    /// Blank for the standard fee only.
    pub payer_id: String,
}

/// Looks up the charge of a code (and modifier) and a payer's expected amount, inside the
/// caller's transaction. `code` and `modifier` are in stored form (upper case; `""` for none);
/// the description is the code's on `on` (`YYYY-MM-DD`, the date of service).
pub async fn quote_fee(
    conn: &mut Connection,
    practice_id: &str,
    code: &str,
    modifier: &str,
    payer_id: Option<&str>,
    on: &str,
) -> Result<FeeQuote> {
    let own = if modifier.is_empty() { None } else { store::standard_fee(conn, practice_id, code, modifier).await? };
    let charge_for_modifier = own.is_some();
    let charge = match own {
        Some(f) => Some(f),
        None => store::standard_fee(conn, practice_id, code, "").await?,
    };
    let expected = match payer_id {
        None => None,
        Some(p) => {
            let own = if modifier.is_empty() { None } else { store::payer_fee(conn, practice_id, p, code, modifier).await? };
            match own {
                Some(f) => Some(f),
                None => store::payer_fee(conn, practice_id, p, code, "").await?,
            }
        }
    };
    let description = store::procedure_on(conn, practice_id, code, on).await?.map(|p| p.short_description);
    Ok(FeeQuote {
        code: code.to_string(),
        modifier: modifier.to_string(),
        description,
        charge_cents: charge.map(|f| f.charge_cents),
        charge_for_modifier,
        payer_id: payer_id.map(str::to_string),
        expected_cents: expected.map(|f| f.allowed_cents),
    })
}

/// A fee's code, modifier and amount, validated; the code must be one of the practice's.
async fn checked_fee(conn: &mut Connection, actor: &Actor, today: &str, input: &FeeInput) -> Result<(String, String, i64)> {
    let mut errors = ValidationErrors::new();
    let code = errors.check("code", parse_any_procedure_code(&input.code));
    let modifier = match input.modifier.trim() {
        "" => Some(String::new()),
        m => errors.check("modifier", parse_modifier(m)),
    };
    let amount_field = if input.amount_cents.is_some() { "amount_cents" } else { "amount" };
    let amount = match input.amount_cents {
        Some(c) => Some(c),
        None if input.amount.trim().is_empty() => {
            errors.add("amount", "enter the amount, e.g. 150.00");
            None
        }
        None => errors.check("amount", Money::parse(&input.amount)).map(|m| m.cents()),
    };
    if let Some(a) = amount
        && !(0..=MAX_FEE_CENTS).contains(&a)
    {
        errors.add(amount_field, "enter an amount from 0.00 to 1,000,000.00");
    }
    if let Some(c) = &code
        && store::procedure_on(conn, &actor.practice_id, c, today).await?.is_none()
    {
        errors.add("code", format!("{c} is not one of the practice's procedure codes: import it first (Admin, Codes)"));
    }
    match (code, modifier, amount) {
        (Some(c), Some(m), Some(a)) if errors.is_empty() => Ok((c, m, a)),
        _ => Err(errors.into()),
    }
}

/// The descriptions of a practice's codes in effect today, by code.
async fn descriptions(conn: &mut Connection, practice_id: &str, today: &str) -> Result<HashMap<String, String>> {
    let query = store::CodeQuery { on: today.to_string(), limit: store::MAX_SEARCH_ROWS, ..Default::default() };
    // A schedule's codes are few; read them one by one only past the first page.
    let rows = store::search_procedures(conn, practice_id, None, &query).await?;
    Ok(rows.into_iter().map(|r| (r.code, r.short_description)).collect())
}

async fn description_of(
    conn: &mut Connection,
    practice_id: &str,
    today: &str,
    known: &HashMap<String, String>,
    code: &str,
) -> Result<Option<String>> {
    match known.get(code) {
        Some(d) => Ok(Some(d.clone())),
        None => Ok(store::procedure_on(conn, practice_id, code, today).await?.map(|p| p.short_description)),
    }
}

impl App {
    /// The standard fees by code, and one payer's expected amounts when `payer_id` is given.
    pub async fn fee_schedule(&self, actor: &Actor, payer_id: Option<&str>) -> Result<FeeScheduleView> {
        self.authorize(actor, Action::ReadFeeSchedules, None).await?;
        let today = actor.today(self.now()).to_string();
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let known = descriptions(&mut conn, &actor.practice_id, &today).await?;
        let fees = store::list_standard_fees(&mut conn, &actor.practice_id).await?;
        let mut standard = Vec::with_capacity(fees.len());
        for f in &fees {
            standard.push(StandardFeeView {
                description: description_of(&mut conn, &actor.practice_id, &today, &known, &f.code).await?,
                code: f.code.clone(),
                modifier: f.modifier.clone(),
                charge_cents: f.charge_cents,
            });
        }
        let (mut payer, mut payer_name) = (Vec::new(), None);
        if let Some(p) = payer_id {
            let row = store::get_payer(&mut conn, &actor.practice_id, p).await?;
            payer_name = Some(row.name);
            for f in store::list_payer_fees(&mut conn, &actor.practice_id, Some(p)).await? {
                payer.push(PayerFeeView {
                    description: description_of(&mut conn, &actor.practice_id, &today, &known, &f.code).await?,
                    charge_cents: fees.iter().find(|s| s.code == f.code && s.modifier == f.modifier).map(|s| s.charge_cents),
                    payer_id: f.payer_id,
                    code: f.code,
                    modifier: f.modifier,
                    allowed_cents: f.allowed_cents,
                });
            }
        }
        Ok(FeeScheduleView { standard, payer_id: payer_id.map(str::to_string), payer_name, payer })
    }

    /// Sets (adds or changes) the standard fee of a code, or of a code with a modifier.
    pub async fn set_standard_fee(&self, actor: &Actor, input: &FeeInput) -> Result<StandardFeeView> {
        self.authorize(actor, Action::ManageFeeSchedules, None).await?;
        let today = actor.today(self.now()).to_string();
        let mut tx = self.store.begin().await?;
        let (code, modifier, charge_cents) = checked_fee(&mut tx, actor, &today, input).await?;
        let before = store::standard_fee(&mut tx, &actor.practice_id, &code, &modifier).await?;
        let row = StandardFeeRow { practice_id: actor.practice_id.clone(), code, modifier, charge_cents, updated_at: self.now_text() };
        store::set_standard_fee(&mut tx, &row).await?;
        let key = fee_key(&row.code, &row.modifier);
        let detail = match before {
            Some(b) => format!("{key}: {} -> {}", Money::from_cents(b.charge_cents), Money::from_cents(charge_cents)),
            None => format!("{key}: {}", Money::from_cents(charge_cents)),
        };
        let note = AuditNote { action: "fees.standard.set", patient_id: None, record_type: "standard_fee", record_id: Some(&key), detail };
        self.audit(&mut tx, actor, note).await?;
        let description = store::procedure_on(&mut tx, &actor.practice_id, &row.code, &today).await?.map(|p| p.short_description);
        tx.commit().await.map_err(StoreError::from)?;
        Ok(StandardFeeView { code: row.code, modifier: row.modifier, description, charge_cents })
    }

    /// Removes a standard fee (the code then has no charge, or its own if this was a modifier's).
    pub async fn remove_standard_fee(&self, actor: &Actor, code: &str, modifier: &str) -> Result<()> {
        self.authorize(actor, Action::ManageFeeSchedules, None).await?;
        let (code, modifier) = (code.trim().to_ascii_uppercase(), modifier.trim().to_ascii_uppercase());
        let mut tx = self.store.begin().await?;
        if !store::remove_standard_fee(&mut tx, &actor.practice_id, &code, &modifier).await? {
            return Err(crate::AppError::NotFound("fee"));
        }
        let key = fee_key(&code, &modifier);
        let note = AuditNote {
            action: "fees.standard.remove",
            patient_id: None,
            record_type: "standard_fee",
            record_id: Some(&key),
            detail: key.clone(),
        };
        self.audit(&mut tx, actor, note).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Sets a payer's expected (allowed) amount for a code, or a code with a modifier.
    pub async fn set_payer_fee(&self, actor: &Actor, payer_id: &str, input: &FeeInput) -> Result<PayerFeeView> {
        self.authorize(actor, Action::ManageFeeSchedules, None).await?;
        let today = actor.today(self.now()).to_string();
        let mut tx = self.store.begin().await?;
        let payer = match store::get_payer(&mut tx, &actor.practice_id, payer_id.trim()).await {
            Ok(p) => Some(p),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let fee = checked_fee(&mut tx, actor, &today, input).await;
        let (payer, (code, modifier, allowed_cents)) = match (payer, fee) {
            (Some(p), Ok(f)) => (p, f),
            (payer, fee) => {
                let mut errors = match fee {
                    Err(crate::AppError::Validation(e)) => e,
                    Err(other) => return Err(other),
                    Ok(_) => ValidationErrors::new(),
                };
                if payer.is_none() {
                    errors.add("payer_id", "choose a payer of the practice");
                }
                return Err(errors.into());
            }
        };
        let row = PayerFeeRow {
            practice_id: actor.practice_id.clone(),
            payer_id: payer.id.clone(),
            code,
            modifier,
            allowed_cents,
            updated_at: self.now_text(),
        };
        store::set_payer_fee(&mut tx, &row).await?;
        let key = fee_key(&row.code, &row.modifier);
        let detail = format!("{}: {key} expected {}", payer.name, Money::from_cents(allowed_cents));
        let note =
            AuditNote { action: "fees.payer.set", patient_id: None, record_type: "payer_allowed_fee", record_id: Some(&payer.id), detail };
        self.audit(&mut tx, actor, note).await?;
        let quote = quote_fee(&mut tx, &actor.practice_id, &row.code, &row.modifier, Some(&payer.id), &today).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PayerFeeView {
            payer_id: row.payer_id,
            code: row.code,
            modifier: row.modifier,
            description: quote.description,
            allowed_cents,
            charge_cents: quote.charge_cents,
        })
    }

    /// Removes a payer's expected amount for a code.
    pub async fn remove_payer_fee(&self, actor: &Actor, payer_id: &str, code: &str, modifier: &str) -> Result<()> {
        self.authorize(actor, Action::ManageFeeSchedules, None).await?;
        let (code, modifier) = (code.trim().to_ascii_uppercase(), modifier.trim().to_ascii_uppercase());
        let mut tx = self.store.begin().await?;
        if !store::remove_payer_fee(&mut tx, &actor.practice_id, payer_id, &code, &modifier).await? {
            return Err(crate::AppError::NotFound("fee"));
        }
        let key = fee_key(&code, &modifier);
        let note = AuditNote {
            action: "fees.payer.remove",
            patient_id: None,
            record_type: "payer_allowed_fee",
            record_id: Some(payer_id),
            detail: key,
        };
        self.audit(&mut tx, actor, note).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// What a code (with a modifier) costs, and what a payer is expected to allow for it.
    pub async fn fee_quote(&self, actor: &Actor, query: &FeeQuery) -> Result<FeeQuote> {
        self.authorize(actor, Action::ReadFeeSchedules, None).await?;
        let mut errors = ValidationErrors::new();
        let code = errors.check("code", parse_any_procedure_code(&query.code));
        let modifier = match query.modifier.trim() {
            "" => Some(String::new()),
            m => errors.check("modifier", parse_modifier(m)),
        };
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let payer_id = match query.payer_id.trim() {
            "" => None,
            p => match store::get_payer(&mut conn, &actor.practice_id, p).await {
                Ok(row) => Some(row.id),
                Err(StoreError::NotFound(_)) => {
                    errors.add("payer_id", "choose a payer of the practice");
                    None
                }
                Err(e) => return Err(e.into()),
            },
        };
        let (Some(code), Some(modifier)) = (code, modifier) else { return Err(errors.into()) };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let today = actor.today(self.now()).to_string();
        quote_fee(&mut conn, &actor.practice_id, &code, &modifier, payer_id.as_deref(), &today).await
    }
}

/// `99213` or `99213-25`, for audit records.
fn fee_key(code: &str, modifier: &str) -> String {
    if modifier.is_empty() { code.to_string() } else { format!("{code}-{modifier}") }
}
