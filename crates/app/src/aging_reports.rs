//! Aging reports and AR metrics (issue 7): what is owed to the practice, how old it is, and how
//! well it is collected.
//!
//! Every report starts from the journal lines of an AR control account dated on or before the
//! report's day ([`crate::receivables`]), ages them with [`medoffice_domain::ledger::aging`]
//! (credits pay the oldest charges first, in each account: a patient's AR - Patients, a claim's
//! AR - Insurance with one payer), then adds the accounts up by patient, guarantor, payer or
//! provider. Because every account's aging totals its balance, the report's footer equals the
//! control account's balance read directly from the journal on the same day; the report shows
//! both and the difference, which is zero unless a line was dated past its day or lost its keys.
//!
//! Items are aged from the date of their journal line: for visit charges that is the date of
//! service (charges are posted on it), for late charges and transfers the day they were posted.

use crate::receivables::group_open_items;
use crate::{Actor, App, AuditNote, Result};
use chrono::{Days, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::aging::{Aging, Bucket};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::receivables::{self as store, MovementRow};
use medoffice_store::{Connection, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// How a report groups the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgingBy {
    /// AR - Patients (1110), one row per patient.
    Patient,
    /// AR - Patients (1110), the patients under their family's guarantor.
    Guarantor,
    /// AR - Insurance (1100), each claim's account under its payer.
    Payer,
    /// Both, under the claim's rendering provider (lines without a claim: "No provider").
    Provider,
}

impl AgingBy {
    pub const ALL: [AgingBy; 4] = [AgingBy::Patient, AgingBy::Guarantor, AgingBy::Payer, AgingBy::Provider];

    /// `patient`, `guarantor`, `payer` or `provider` (empty: patient).
    pub fn parse(text: &str) -> Result<AgingBy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "patient" => Ok(AgingBy::Patient),
            "guarantor" => Ok(AgingBy::Guarantor),
            "payer" => Ok(AgingBy::Payer),
            "provider" => Ok(AgingBy::Provider),
            _ => Err(ValidationErrors::single("by", "group the report by patient, guarantor, payer or provider").into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgingBy::Patient => "patient",
            AgingBy::Guarantor => "guarantor",
            AgingBy::Payer => "payer",
            AgingBy::Provider => "provider",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgingBy::Patient => "Patient",
            AgingBy::Guarantor => "Guarantor",
            AgingBy::Payer => "Payer",
            AgingBy::Provider => "Provider",
        }
    }

    /// The control accounts the report's total ties to.
    fn controls(self) -> &'static [&'static str] {
        match self {
            AgingBy::Patient | AgingBy::Guarantor => &[accounts::AR_PATIENTS],
            AgingBy::Payer => &[accounts::AR_INSURANCE],
            AgingBy::Provider => &[accounts::AR_INSURANCE, accounts::AR_PATIENTS],
        }
    }
}

fn account_name(number: &str) -> &'static str {
    match number {
        accounts::AR_INSURANCE => "Accounts receivable - Insurance",
        accounts::AR_PATIENTS => "Accounts receivable - Patients",
        _ => "Accounts receivable",
    }
}

/// Which report and on which day, as a page or the API asks for it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AgingInput {
    /// `patient` (default), `guarantor`, `payer` or `provider`.
    pub by: String,
    /// `YYYY-MM-DD`; empty: today.
    pub as_of: String,
}

/// One row: a group's open items in the five columns, its unapplied credits and its balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingRow {
    /// The patient, guarantor (a patient), payer or provider id; empty for lines without one.
    pub key: String,
    pub name: String,
    /// The MRN, or how many patients or claims the row adds up.
    pub detail: String,
    /// The page of the row's patient account, if the row is a patient's or a family's.
    pub link: Option<String>,
    /// Cents in Current, 31-60, 61-90, 91-120 and 120+ (in that order).
    pub buckets_cents: [i64; 5],
    /// Unapplied credits (positive), not in any column.
    pub credit_cents: i64,
    /// The columns less the credits: the group's balance.
    pub total_cents: i64,
}

impl AgingRow {
    fn new(key: String, name: String, detail: String, link: Option<String>, aging: &Aging) -> AgingRow {
        AgingRow {
            key,
            name,
            detail,
            link,
            buckets_cents: aging.buckets,
            credit_cents: aging.credit_cents,
            total_cents: aging.total_cents(),
        }
    }

    /// The five columns as money text.
    pub fn buckets(&self) -> Vec<String> {
        self.buckets_cents.iter().map(|c| money_or_blank(*c)).collect()
    }
    pub fn credit(&self) -> String {
        money_or_blank(self.credit_cents)
    }
    pub fn total(&self) -> String {
        Money::from_cents(self.total_cents).to_string()
    }
}

/// A control account's balance on the report's day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ControlBalance {
    pub account_number: String,
    pub account_name: String,
    pub balance_cents: i64,
}

impl ControlBalance {
    pub fn balance(&self) -> String {
        Money::from_cents(self.balance_cents).to_string()
    }
}

/// An aging report: rows, their total, and the control accounts it ties to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingReport {
    pub by: AgingBy,
    /// `YYYY-MM-DD`.
    pub as_of: String,
    /// What an item's age counts from.
    pub age_basis: String,
    /// By name; groups with nothing open and no credit are left out.
    pub rows: Vec<AgingRow>,
    pub totals: AgingRow,
    pub controls: Vec<ControlBalance>,
    /// The control accounts' balance (their sum for the report by provider).
    pub control_cents: i64,
    /// `totals.total_cents - control_cents`: zero when the report ties.
    pub difference_cents: i64,
}

impl AgingReport {
    pub fn ties(&self) -> bool {
        self.difference_cents == 0
    }
    pub fn control(&self) -> String {
        Money::from_cents(self.control_cents).to_string()
    }
    pub fn difference(&self) -> String {
        Money::from_cents(self.difference_cents).to_string()
    }
    /// `1110 Accounts receivable - Patients` (joined with ` + ` for several).
    pub fn control_label(&self) -> String {
        self.controls.iter().map(|c| format!("{} {}", c.account_number, c.account_name)).collect::<Vec<_>>().join(" + ")
    }
    pub fn bucket_labels(&self) -> Vec<&'static str> {
        Bucket::ALL.iter().map(|b| b.label()).collect()
    }

    /// The report as CSV (RFC 4180): a header, one line per row, then the total; amounts as plain
    /// decimals (`-12.50`).
    pub fn to_csv(&self) -> String {
        let mut out = String::from(self.by.label());
        out.push_str(",Detail,Current,31-60,61-90,91-120,120+,Credits,Total\r\n");
        for row in self.rows.iter().chain(std::iter::once(&self.totals)) {
            out.push_str(&csv_field(&row.name));
            out.push(',');
            out.push_str(&csv_field(&row.detail));
            for c in row.buckets_cents.iter().chain([row.credit_cents, row.total_cents].iter()) {
                out.push(',');
                out.push_str(&plain(*c));
            }
            out.push_str("\r\n");
        }
        out
    }
}

fn csv_field(text: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet: quote it with a ' first.
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// Cents as a plain decimal, `1234.50` or `-0.05`.
pub fn plain(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn money_or_blank(cents: i64) -> String {
    if cents == 0 { String::new() } else { Money::from_cents(cents).to_string() }
}

/// A date field, `YYYY-MM-DD`, or `default` when empty.
fn date_field(field: &str, text: &str, default: NaiveDate) -> Result<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ValidationErrors::single(field, "enter a date as YYYY-MM-DD").into())
}

/// The key of a claim's account on AR - Insurance: the payer (a secondary claim moves the balance
/// to another payer under the same claim) and the claim.
fn payer_claim_key(r: &MovementRow) -> String {
    format!("{}\u{1f}{}", r.payer_id.as_deref().unwrap_or(""), r.claim_id.as_deref().unwrap_or(""))
}

fn patient_claim_key(r: &MovementRow) -> String {
    format!("{}\u{1f}{}", r.patient_id.as_deref().unwrap_or(""), r.claim_id.as_deref().unwrap_or(""))
}

fn split_key(key: &str) -> (&str, &str) {
    key.split_once('\u{1f}').unwrap_or((key, ""))
}

/// Adds accounts into groups: `(group key, aging, counted id)`; returns per group the aging and
/// how many distinct ids it counted.
#[derive(Default)]
struct Groups {
    by_key: HashMap<String, (Aging, std::collections::HashSet<String>)>,
}

impl Groups {
    fn add(&mut self, key: &str, aging: &Aging, counted: &str) {
        let entry = self.by_key.entry(key.to_string()).or_default();
        entry.0.add(aging);
        if !counted.is_empty() && !is_empty(aging) {
            entry.1.insert(counted.to_string());
        }
    }
}

fn is_empty(a: &Aging) -> bool {
    a.credit_cents == 0 && a.buckets.iter().all(|c| *c == 0)
}

/// Builds the report from movements already read; pure, so the bench and the tests can time and
/// check it without the database.
pub struct AgingInputs<'a> {
    pub by: AgingBy,
    pub as_of: NaiveDate,
    pub insurance: &'a [MovementRow],
    pub patients: &'a [MovementRow],
    /// Patient id → (name, MRN).
    pub patient_labels: &'a HashMap<String, (String, String)>,
    /// Patient id → guarantor patient id.
    pub guarantors: &'a HashMap<String, String>,
    /// Claim id → (payer id, rendering provider id).
    pub claims: &'a HashMap<String, (String, String)>,
    pub payer_names: &'a HashMap<String, String>,
    pub provider_names: &'a HashMap<String, String>,
}

/// The rows of a report, by name, and their total.
pub fn aging_rows(i: &AgingInputs<'_>) -> (Vec<AgingRow>, AgingRow) {
    let mut groups = Groups::default();
    match i.by {
        AgingBy::Patient | AgingBy::Guarantor => {
            for (patient, open) in group_open_items(i.patients, |r| r.patient_id.clone().unwrap_or_default()) {
                let aging = Aging::of(&open, i.as_of);
                let key = match i.by {
                    AgingBy::Guarantor => i.guarantors.get(&patient).cloned().unwrap_or_else(|| patient.clone()),
                    _ => patient.clone(),
                };
                groups.add(&key, &aging, &patient);
            }
        }
        AgingBy::Payer => {
            for (key, open) in group_open_items(i.insurance, payer_claim_key) {
                let (payer, claim) = split_key(&key);
                let payer = if payer.is_empty() { i.claims.get(claim).map(|c| c.0.as_str()).unwrap_or("") } else { payer };
                groups.add(payer, &Aging::of(&open, i.as_of), claim);
            }
        }
        AgingBy::Provider => {
            let insurance = group_open_items(i.insurance, payer_claim_key);
            let patients = group_open_items(i.patients, patient_claim_key);
            for (key, open) in insurance.into_iter().chain(patients) {
                let (_, claim) = split_key(&key);
                let provider = i.claims.get(claim).map(|c| c.1.as_str()).unwrap_or("");
                groups.add(provider, &Aging::of(&open, i.as_of), claim);
            }
        }
    }
    let mut total = Aging::default();
    let mut rows: Vec<AgingRow> = Vec::with_capacity(groups.by_key.len());
    for (key, (aging, counted)) in groups.by_key {
        if is_empty(&aging) {
            continue;
        }
        total.add(&aging);
        let row = match i.by {
            AgingBy::Patient => {
                let (name, mrn) = i.patient_labels.get(&key).cloned().unwrap_or_else(|| ("(no patient)".into(), String::new()));
                let link = (!key.is_empty()).then(|| format!("/patients/{key}/account"));
                AgingRow::new(key, name, mrn, link, &aging)
            }
            AgingBy::Guarantor => {
                let (name, _) = i.patient_labels.get(&key).cloned().unwrap_or_else(|| ("(no patient)".into(), String::new()));
                let members = counted.len();
                let detail = if members == 1 { "1 patient".to_string() } else { format!("{members} patients") };
                let link = (!key.is_empty()).then(|| format!("/patients/{key}/family"));
                AgingRow::new(key, name, detail, link, &aging)
            }
            AgingBy::Payer => {
                let name = i.payer_names.get(&key).cloned().unwrap_or_else(|| "(no payer)".into());
                let claims = counted.len();
                let detail = if claims == 1 { "1 claim".to_string() } else { format!("{claims} claims") };
                AgingRow::new(key, name, detail, None, &aging)
            }
            AgingBy::Provider => {
                let name = i.provider_names.get(&key).cloned().unwrap_or_else(|| "No provider".into());
                let claims = counted.len();
                let detail = if claims == 1 { "1 claim".to_string() } else { format!("{claims} claims") };
                AgingRow::new(key, name, detail, None, &aging)
            }
        };
        rows.push(row);
    }
    // Named rows by name; the rows without a key ("no patient", "no provider") last.
    rows.sort_by(|a, b| (a.key.is_empty(), &a.name, &a.key).cmp(&(b.key.is_empty(), &b.name, &b.key)));
    let totals = AgingRow::new(String::new(), "Total".into(), format!("{} rows", rows.len()), None, &total);
    (rows, totals)
}

/// Days in AR, net and gross collection rates, with the figures they come from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArMetrics {
    /// `YYYY-MM-DD`: the day of the balances.
    pub as_of: String,
    /// AR - Insurance (1100) on `as_of`, cents.
    pub ar_insurance_cents: i64,
    /// AR - Patients (1110) on `as_of`, cents.
    pub ar_patients_cents: i64,
    pub ar_total_cents: i64,
    /// First and last day of the 90 days of charges that days in AR averages (`as_of` the last).
    pub charges_window_from: String,
    pub charges_window_to: String,
    /// Gross charges posted in those 90 days (Patient service revenue 4000, credits less
    /// debits), cents.
    pub charges_90_days_cents: i64,
    /// Days in AR in tenths of a day (`423` = 42.3 days); null without charges in the 90 days.
    pub days_in_ar_tenths: Option<i64>,
    /// The period of the collection rates, both days included.
    pub period_from: String,
    pub period_to: String,
    /// Gross charges of the period (4000, credits less debits), cents.
    pub period_charges_cents: i64,
    /// Contractual adjustments of the period (4100, debits less credits), cents.
    pub contractual_adjustments_cents: i64,
    /// Payments received from payers in the period, cents.
    pub payer_payments_cents: i64,
    /// Payments received from patients in the period (refunds and voids taken off), cents.
    pub patient_payments_cents: i64,
    pub payments_cents: i64,
    /// Payments / (charges - contractual adjustments), in tenths of a percent (`973` = 97.3 %);
    /// null when the divisor is not positive.
    pub net_collection_rate_tenths: Option<i64>,
    /// Payments / charges, in tenths of a percent.
    pub gross_collection_rate_tenths: Option<i64>,
}

/// The quotient `numerator * scale / denominator` in tenths, rounded half away from zero; `None`
/// when the denominator is not positive. Integer arithmetic on i128, so exact for any cents.
pub fn ratio_tenths(numerator: i64, denominator: i64, scale: i64) -> Option<i64> {
    if denominator <= 0 {
        return None;
    }
    let n = i128::from(numerator) * i128::from(scale) * 10;
    let d = i128::from(denominator);
    let q = (n.abs() * 2 + d) / (d * 2);
    let q = if n < 0 { -q } else { q };
    i64::try_from(q).ok()
}

/// Tenths as text with one decimal: `423` → `42.3`.
pub fn tenths_text(tenths: Option<i64>) -> String {
    match tenths {
        Some(t) => {
            let sign = if t < 0 { "-" } else { "" };
            format!("{sign}{}.{}", t.unsigned_abs() / 10, t.unsigned_abs() % 10)
        }
        None => "n/a".into(),
    }
}

impl ArMetrics {
    pub fn days_in_ar(&self) -> String {
        tenths_text(self.days_in_ar_tenths)
    }
    pub fn net_collection_rate(&self) -> String {
        match self.net_collection_rate_tenths {
            Some(_) => format!("{}%", tenths_text(self.net_collection_rate_tenths)),
            None => "n/a".into(),
        }
    }
    pub fn gross_collection_rate(&self) -> String {
        match self.gross_collection_rate_tenths {
            Some(_) => format!("{}%", tenths_text(self.gross_collection_rate_tenths)),
            None => "n/a".into(),
        }
    }
    /// Money text of any of the cents fields, for the page.
    pub fn m(&self, cents: impl std::borrow::Borrow<i64>) -> String {
        Money::from_cents(*cents.borrow()).to_string()
    }
    pub fn net_charges_cents(&self) -> i64 {
        self.period_charges_cents - self.contractual_adjustments_cents
    }
}

/// The metrics' days, as a page or the API asks for them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ArMetricsInput {
    /// `YYYY-MM-DD`; empty: today.
    pub as_of: String,
    /// The collection rates' period, `YYYY-MM-DD`; empty: the 90 days ending on `as_of`.
    pub from: String,
    pub to: String,
}

/// The longest period the collection rates cover (a guard against a typo'd year).
pub const MAX_PERIOD_DAYS: i64 = 3_660;

impl App {
    /// An aging report on a day (default today). Audited as a read of receivables.
    pub async fn aging_report(&self, actor: &Actor, input: &AgingInput) -> Result<AgingReport> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let by = AgingBy::parse(&input.by)?;
        let as_of = date_field("as_of", &input.as_of, actor.today(self.now()))?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let report = aging_report_in(&mut tx, practice_id, by, as_of).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "receivables.aging",
                patient_id: None,
                record_type: "aging_report",
                record_id: None,
                detail: format!("aging by {} on {as_of}: {} rows, total {}", by.as_str(), report.rows.len(), report.totals.total()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(report)
    }

    /// Days in AR and the collection rates on a day. Audited as a read of receivables.
    pub async fn ar_metrics(&self, actor: &Actor, input: &ArMetricsInput) -> Result<ArMetrics> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let as_of = date_field("as_of", &input.as_of, actor.today(self.now()))?;
        let window_from = as_of - Days::new(89);
        let to = date_field("to", &input.to, as_of)?;
        let from = date_field("from", &input.from, to - Days::new(89))?;
        if from > to {
            return Err(ValidationErrors::single("from", "the period must start on or before its last day").into());
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(ValidationErrors::single("from", "the period can be at most ten years").into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let day = as_of.to_string();
        let ar_insurance_cents = store::account_balance(&mut tx, practice_id, accounts::AR_INSURANCE, &day).await?;
        let ar_patients_cents = store::account_balance(&mut tx, practice_id, accounts::AR_PATIENTS, &day).await?;
        let (revenue_debits, revenue_credits) =
            store::account_activity(&mut tx, practice_id, accounts::PATIENT_SERVICE_REVENUE, &window_from.to_string(), &day).await?;
        let charges_90_days_cents = revenue_credits - revenue_debits;
        let (from_text, to_text) = (from.to_string(), to.to_string());
        let (debits, credits) =
            store::account_activity(&mut tx, practice_id, accounts::PATIENT_SERVICE_REVENUE, &from_text, &to_text).await?;
        let period_charges_cents = credits - debits;
        let (adj_debits, adj_credits) =
            store::account_activity(&mut tx, practice_id, accounts::CONTRACTUAL_ADJUSTMENTS, &from_text, &to_text).await?;
        let contractual_adjustments_cents = adj_debits - adj_credits;
        let (payer_payments_cents, patient_payments_cents) = store::payments_received(&mut tx, practice_id, &from_text, &to_text).await?;
        let payments_cents = payer_payments_cents + patient_payments_cents;
        let ar_total_cents = ar_insurance_cents + ar_patients_cents;
        let metrics = ArMetrics {
            as_of: day,
            ar_insurance_cents,
            ar_patients_cents,
            ar_total_cents,
            charges_window_from: window_from.to_string(),
            charges_window_to: as_of.to_string(),
            charges_90_days_cents,
            // balance / (charges / 90) = balance * 90 / charges.
            days_in_ar_tenths: ratio_tenths(ar_total_cents, charges_90_days_cents, 90),
            period_from: from_text,
            period_to: to_text,
            period_charges_cents,
            contractual_adjustments_cents,
            payer_payments_cents,
            patient_payments_cents,
            payments_cents,
            net_collection_rate_tenths: ratio_tenths(payments_cents, period_charges_cents - contractual_adjustments_cents, 100),
            gross_collection_rate_tenths: ratio_tenths(payments_cents, period_charges_cents, 100),
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "receivables.metrics",
                patient_id: None,
                record_type: "ar_metrics",
                record_id: None,
                detail: format!("AR metrics on {as_of}, period {from} to {to}"),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(metrics)
    }
}

/// Reads and builds an aging report inside a transaction (no authorization, no audit: the
/// caller's). Public for the bench.
pub async fn aging_report_in(conn: &mut Connection, practice_id: &str, by: AgingBy, as_of: NaiveDate) -> Result<AgingReport> {
    let day = as_of.to_string();
    let wants_insurance = matches!(by, AgingBy::Payer | AgingBy::Provider);
    let wants_patients = !matches!(by, AgingBy::Payer);
    let insurance =
        if wants_insurance { store::movements_unsorted(conn, practice_id, accounts::AR_INSURANCE, &day).await? } else { Vec::new() };
    let patients =
        if wants_patients { store::movements_unsorted(conn, practice_id, accounts::AR_PATIENTS, &day).await? } else { Vec::new() };
    let patient_labels: HashMap<String, (String, String)> = if matches!(by, AgingBy::Patient | AgingBy::Guarantor) {
        store::patient_labels(conn, practice_id)
            .await?
            .into_iter()
            .map(|p| (p.id, (format!("{}, {}", p.family_name, p.given_name), p.mrn)))
            .collect()
    } else {
        HashMap::new()
    };
    let guarantors: HashMap<String, String> = if by == AgingBy::Guarantor {
        medoffice_store::families::all_guarantors(conn, practice_id).await?.into_iter().collect()
    } else {
        HashMap::new()
    };
    let claims: HashMap<String, (String, String)> = if wants_insurance {
        store::claim_keys(conn, practice_id).await?.into_iter().map(|c| (c.id, (c.payer_id, c.rendering_provider_id))).collect()
    } else {
        HashMap::new()
    };
    let payer_names: HashMap<String, String> =
        if by == AgingBy::Payer { store::payer_names(conn, practice_id).await?.into_iter().collect() } else { HashMap::new() };
    let provider_names: HashMap<String, String> =
        if by == AgingBy::Provider { store::provider_names(conn, practice_id).await?.into_iter().collect() } else { HashMap::new() };
    let (rows, totals) = aging_rows(&AgingInputs {
        by,
        as_of,
        insurance: &insurance,
        patients: &patients,
        patient_labels: &patient_labels,
        guarantors: &guarantors,
        claims: &claims,
        payer_names: &payer_names,
        provider_names: &provider_names,
    });
    let mut controls = Vec::new();
    for number in by.controls() {
        controls.push(ControlBalance {
            account_number: (*number).to_string(),
            account_name: account_name(number).to_string(),
            balance_cents: store::account_balance(conn, practice_id, number, &day).await?,
        });
    }
    let control_cents: i64 = controls.iter().map(|c| c.balance_cents).sum();
    Ok(AgingReport {
        by,
        as_of: day,
        age_basis: "Each item is aged from the date of its journal line: the date of service for visit charges, the posting date for \
                    late charges and transfers. Credits pay the oldest charges first within each account (a patient's, or a claim's \
                    with one payer)."
            .into(),
        difference_cents: totals.total_cents - control_cents,
        rows,
        totals,
        controls,
        control_cents,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn ratios_are_exact_and_round_half_away_from_zero() {
        assert_eq!(ratio_tenths(97_300, 100_000, 100), Some(973));
        assert_eq!(ratio_tenths(1, 3, 100), Some(333), "33.33 % is 33.3");
        assert_eq!(ratio_tenths(2, 3, 100), Some(667), "66.67 % is 66.7");
        assert_eq!(ratio_tenths(1, 16, 100), Some(63), "6.25 % rounds half up to 6.3");
        assert_eq!(ratio_tenths(-1, 16, 100), Some(-63));
        assert_eq!(ratio_tenths(5, 0, 100), None);
        assert_eq!(ratio_tenths(i64::MAX, 1, 100), None, "out of range is none, not a wrap");
        assert_eq!(tenths_text(Some(423)), "42.3");
        assert_eq!(tenths_text(Some(-5)), "-0.5");
        assert_eq!(tenths_text(None), "n/a");
    }

    #[test]
    fn a_csv_field_is_quoted_and_never_a_formula() {
        assert_eq!(csv_field("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(plain(-5), "-0.05");
        assert_eq!(plain(123_450), "1234.50");
    }

    #[test]
    fn by_is_one_of_four() {
        assert_eq!(AgingBy::parse("").unwrap(), AgingBy::Patient);
        assert_eq!(AgingBy::parse("Payer").unwrap(), AgingBy::Payer);
        assert!(AgingBy::parse("vendor").is_err());
    }
}
