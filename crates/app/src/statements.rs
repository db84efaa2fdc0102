//! Patient statements (issue 7): on the practice's cycle (monthly, or four runs a month by family
//! name: A-F, G-L, M-R, S-Z), one statement per patient whose due balance (AR - Patients, 1110)
//! is at least the practice's minimum and whose account is not flagged "don't send". Amounts
//! pending with insurance (AR - Insurance, 1100) are never due: a statement shows them apart.
//!
//! A statement stores what it printed (it is a document sent to a person): its number, date and
//! due date (date + the practice's net days, Net 30 by default), the previous statement's balance,
//! the account lines since then (charges, payments, adjustments), the balance due, its aging in
//! [`Bucket`] columns (from [`crate::receivables`], credits paying the oldest charges first), the
//! late-charge policy in words and the practice's message. One statement per patient and date:
//! running the same date again adds only the statements still missing.
//!
//! Delivery: by mail (the run's batch PDF, one statement a page group with its tear-off stub), or
//! by e-mail where the patient chose it and has an address; [`crate::mailer`] sends plain text,
//! so the e-mail carries the statement's figures in its body and asks to sign in or call for the
//! full copy. An e-mail the server refuses (or no mail server set up) goes by mail instead, with
//! the reason kept. Every statement is written in the outgoing mail log.
//!
//! Roles: [`Action::ReadReceivables`] to read, [`Action::ManageReceivables`] to run and to set the
//! terms and an account's preferences. Every use case is audited, reads included.

use crate::ledger::SOURCE_REVERSAL;
use crate::mail_room::OutgoingInput;
use crate::views::PatientView;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Datelike, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::aging::{Aging, Bucket, LateChargePolicy};
use medoffice_domain::money::Money;
use medoffice_domain::security::{Action, Role};
use medoffice_domain::validation::clean;
use medoffice_store::patients::PatientRow;
use medoffice_store::statements::{self as store, StatementLineRow, StatementPreferenceRow, StatementRunRow, StatementSettingsRow};
use medoffice_store::{Connection, StoreError, new_id, next_counter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

pub use medoffice_store::statements::StatementRow;

/// The family-name groups of the `letter_groups` cycle, in the order of the month's weeks.
pub const LETTER_GROUPS: [&str; 4] = ["A-F", "G-L", "M-R", "S-Z"];
/// The default net days (Net 30).
pub const DEFAULT_NET_DAYS: i64 = 30;
/// The default minimum balance that gets a statement ($5.00).
pub const DEFAULT_MINIMUM_CENTS: i64 = 500;
/// The most statements one run makes (a practice has a few thousand patients who owe).
pub const MAX_STATEMENTS_PER_RUN: usize = 20_000;
/// The most account lines read for one statement.
const MAX_LINES: i64 = 2_000;
/// The source kinds of payments from the patient.
const PAYMENT_SOURCES: [&str; 3] = ["copay", "patient_payment", "remittance_payment"];

/// The text shown for a statement number: `ST-000123`.
pub fn statement_number_text(number: i64) -> String {
    format!("ST-{number:06}")
}

pub(crate) fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

pub(crate) fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string())
}

/// The practice's statement terms, with the defaults when never saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatementSettings {
    /// `monthly` or `letter_groups`.
    pub cycle: String,
    /// The day of the month of a monthly run (1 to 28).
    pub cycle_day: i64,
    pub net_days: i64,
    pub minimum_balance_cents: i64,
    pub message: Option<String>,
    #[schema(value_type = Object)]
    pub late_charge_policy: LateChargePolicy,
}

impl Default for StatementSettings {
    fn default() -> Self {
        StatementSettings {
            cycle: "monthly".into(),
            cycle_day: 1,
            net_days: DEFAULT_NET_DAYS,
            minimum_balance_cents: DEFAULT_MINIMUM_CENTS,
            message: None,
            late_charge_policy: LateChargePolicy::default(),
        }
    }
}

impl StatementSettings {
    fn of(row: &StatementSettingsRow) -> StatementSettings {
        StatementSettings {
            cycle: row.cycle.clone(),
            cycle_day: row.cycle_day,
            net_days: row.net_days,
            minimum_balance_cents: row.minimum_balance_cents,
            message: row.message.clone(),
            late_charge_policy: LateChargePolicy {
                monthly_rate_basis_points: row.late_rate_basis_points,
                flat_fee_cents: row.late_flat_fee_cents,
                grace_days: row.late_grace_days,
                minimum_balance_cents: row.late_minimum_cents,
            },
        }
    }

    /// The terms as the settings form shows them.
    pub fn as_input(&self) -> StatementSettingsInput {
        let amount = |c: i64| if c == 0 { String::new() } else { format!("{}.{:02}", c / 100, c % 100) };
        let p = &self.late_charge_policy;
        StatementSettingsInput {
            cycle: self.cycle.clone(),
            cycle_day: self.cycle_day.to_string(),
            net_days: self.net_days.to_string(),
            minimum_balance: format!("{}.{:02}", self.minimum_balance_cents / 100, self.minimum_balance_cents % 100),
            message: self.message.clone().unwrap_or_default(),
            late_rate_percent: amount(p.monthly_rate_basis_points),
            late_flat_fee: amount(p.flat_fee_cents),
            late_grace_days: if p.grace_days == 0 { String::new() } else { p.grace_days.to_string() },
            late_minimum_balance: amount(p.minimum_balance_cents),
        }
    }
}

/// The practice's statement terms, read inside the caller's transaction (for the aging and the
/// collections modules too).
pub async fn statement_settings_in(conn: &mut Connection, practice_id: &str) -> Result<StatementSettings> {
    Ok(store::get_settings(conn, practice_id).await?.as_ref().map(StatementSettings::of).unwrap_or_default())
}

/// A patient's latest statement (any date), read inside the caller's transaction.
pub async fn latest_statement_in(conn: &mut Connection, practice_id: &str, patient_id: &str) -> Result<Option<StatementRow>> {
    Ok(store::latest_statement(conn, practice_id, patient_id, "9999-12-31").await?)
}

/// The statement terms as typed: text throughout.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatementSettingsInput {
    /// `monthly` or `letter_groups`.
    pub cycle: String,
    /// 1 to 28; blank for 1.
    pub cycle_day: String,
    /// Days from the statement date to the due date; blank for 30.
    pub net_days: String,
    /// The least balance that gets a statement, e.g. `5.00`; blank for $5.00.
    pub minimum_balance: String,
    /// A line printed on every statement.
    pub message: String,
    /// The monthly late-charge rate in percent, e.g. `1.5`; blank for none.
    pub late_rate_percent: String,
    /// A flat late fee, e.g. `5.00` (the larger of it and the rate applies); blank for none.
    pub late_flat_fee: String,
    /// Days past the due date before a late charge; blank for 0.
    pub late_grace_days: String,
    /// The least past-due balance that is charged; blank for none.
    pub late_minimum_balance: String,
}

/// The statement terms with the policy in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementSettingsView {
    pub settings: StatementSettings,
    /// What statements print about late charges.
    pub late_charge_policy_text: String,
    /// The next run's date and group under the cycle, from today.
    pub next_run_date: String,
    pub next_run_group: String,
}

/// An account's statement preferences as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatementPreferenceInput {
    /// True: don't send this account statements.
    pub hold: bool,
    /// `mail` (the default) or `email` (only with an e-mail address on file).
    pub delivery: String,
}

/// One statement in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementSummary {
    pub id: String,
    pub number: String,
    pub run_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub statement_date: String,
    pub due_date: String,
    pub balance_due_cents: i64,
    pub balance_due: String,
    /// `mail` or `email`.
    pub delivery: String,
    /// Why an e-mail wanted went by mail instead.
    pub email_error: Option<String>,
}

/// An account's statement preferences and statements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementPreferenceView {
    pub patient_id: String,
    pub patient_name: String,
    pub hold: bool,
    pub delivery: String,
    /// The e-mail address on file, if any (e-mail delivery needs one).
    pub email: Option<String>,
    pub statements: Vec<StatementSummary>,
    pub late_charges: Vec<crate::late_charges::LateChargeView>,
}

/// A run as asked: the date (blank for today) and the family-name group (blank: the cycle's).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatementRunInput {
    /// `YYYY-MM-DD`; blank for today.
    pub date: String,
    /// A family-name group such as `A-F`; blank for everyone (monthly) or the run date's week's
    /// group (letter groups).
    pub group: String,
}

/// What a run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementRunResult {
    pub run_id: String,
    pub run_date: String,
    /// The group, or blank for everyone.
    pub cycle_group: String,
    /// Statements made by this call (0 when the run was complete already).
    pub statements: i64,
    pub emailed: i64,
    pub printed: i64,
    pub total_cents: i64,
    pub statement_ids: Vec<String>,
}

/// A run in a list, with its totals over all its statements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementRunView {
    pub id: String,
    pub run_date: String,
    pub cycle_group: String,
    pub statements: i64,
    pub emailed: i64,
    pub printed: i64,
    pub total_cents: i64,
    pub total: String,
}

/// One printed line of a statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLineView {
    pub date: String,
    /// `charge`, `payment` or `adjustment`.
    pub kind: String,
    pub description: String,
    pub amount_cents: i64,
    pub amount: String,
}

/// One aging column.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingCell {
    pub label: String,
    pub cents: i64,
    pub amount: String,
}

/// A statement as sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub id: String,
    pub number: String,
    pub run_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    pub statement_date: String,
    pub due_date: String,
    pub previous_balance_cents: i64,
    pub charges_cents: i64,
    pub payments_cents: i64,
    pub adjustments_cents: i64,
    pub balance_due_cents: i64,
    /// Pending with insurance: shown, never due.
    pub insurance_pending_cents: i64,
    pub aging: Vec<AgingCell>,
    /// Unapplied credit (positive), not in any column.
    pub credit_cents: i64,
    pub late_charge_policy: String,
    pub message: Option<String>,
    pub recipient_name: String,
    pub recipient_address: Vec<String>,
    pub delivery: String,
    pub email_address: Option<String>,
    pub email_error: Option<String>,
    pub lines: Vec<StatementLineView>,
    /// The late charge on this statement's past-due balance, if any.
    pub late_charge: Option<crate::late_charges::LateChargeView>,
}

impl StatementView {
    pub fn previous_balance(&self) -> String {
        money(self.previous_balance_cents)
    }
    pub fn charges(&self) -> String {
        money(self.charges_cents)
    }
    pub fn payments(&self) -> String {
        money(self.payments_cents)
    }
    pub fn adjustments(&self) -> String {
        money(self.adjustments_cents)
    }
    pub fn balance_due(&self) -> String {
        money(self.balance_due_cents)
    }
    pub fn insurance_pending(&self) -> String {
        money(self.insurance_pending_cents)
    }
}

/// A family-name group: the first and last initial, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetterGroup {
    pub first: char,
    pub last: char,
}

impl LetterGroup {
    /// `A-F` (or `a–f`, `A`): two capital letters in order.
    pub fn parse(text: &str) -> Result<LetterGroup, String> {
        let t = text.trim().to_ascii_uppercase().replace(['–', '—'], "-");
        let (a, b) = t.split_once('-').unwrap_or((t.as_str(), t.as_str()));
        let letter = |s: &str| {
            let mut cs = s.trim().chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) if c.is_ascii_uppercase() => Some(c),
                _ => None,
            }
        };
        match (letter(a), letter(b)) {
            (Some(first), Some(last)) if first <= last => Ok(LetterGroup { first, last }),
            _ => Err(format!("'{}' is not a group of family-name initials such as A-F", text.chars().take(20).collect::<String>())),
        }
    }

    /// The group of the week of `date` under the letter-group cycle (days 22 to 31: the last).
    pub fn of_week(date: NaiveDate) -> LetterGroup {
        let week = ((date.day0() / 7) as usize).min(LETTER_GROUPS.len() - 1);
        LetterGroup::parse(LETTER_GROUPS[week]).unwrap_or(LetterGroup { first: 'A', last: 'Z' })
    }

    pub fn text(&self) -> String {
        format!("{}-{}", self.first, self.last)
    }

    /// Whether a family name falls in the group, by its first letter A-Z (punctuation and
    /// letters outside A-Z skipped); a name with no letter A-Z counts under Z.
    pub fn contains(&self, family_name: &str) -> bool {
        let initial = family_name.chars().find(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_uppercase()).unwrap_or('Z');
        (self.first..=self.last).contains(&initial)
    }
}

/// Who runs: a user, or the command line (audited as such).
pub(crate) fn command_line_actor(practice: &medoffice_store::practice::PracticeRow) -> Actor {
    Actor {
        practice_id: practice.id.clone(),
        practice_name: practice.name.clone(),
        timezone: practice.timezone.parse().unwrap_or(chrono_tz::America::New_York),
        user_id: "command-line".into(),
        username: "(command line)".into(),
        display_name: "Command line".into(),
        role: Role::Admin,
        ip: None,
    }
}

/// What kind of statement line a 1110 line is, from its entry's source.
fn line_kind(source_kind: &str, reversal: bool, signed_cents: i64) -> &'static str {
    if reversal || source_kind == SOURCE_REVERSAL || source_kind.ends_with("_void") {
        return "adjustment";
    }
    if PAYMENT_SOURCES.contains(&source_kind) {
        return "payment";
    }
    let charge_source = matches!(source_kind, "charges" | "charge" | "remittance" | crate::late_charges::SOURCE_PATIENT_LATE_CHARGE)
        || source_kind.contains("transfer")
        || source_kind.contains("secondary")
        || source_kind.contains("responsibility");
    if charge_source && signed_cents > 0 { "charge" } else { "adjustment" }
}

fn line_description(source_kind: &str, memo: &str) -> String {
    match source_kind {
        "remittance" => format!("Your share after insurance: {memo}"),
        _ => memo.to_string(),
    }
}

/// Name and address lines of a statement's addressee: the guarantor when the patient has one,
/// else the patient.
fn addressee(p: &PatientRow) -> (String, Vec<String>) {
    let city_line = |city: &Option<String>, state: &Option<String>, zip: &Option<String>| {
        let mut s = city.clone().unwrap_or_default();
        if let Some(st) = state {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(st);
        }
        if let Some(z) = zip {
            s.push(' ');
            s.push_str(z);
        }
        s.trim().to_string()
    };
    let patient_lines = || {
        [p.address_line1.clone(), p.address_line2.clone(), Some(city_line(&p.city, &p.state, &p.postal_code))]
            .into_iter()
            .flatten()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
    };
    if let Some(family) = p.guarantor_family_name.as_deref().filter(|f| !f.trim().is_empty()) {
        let name = format!("{} {}", p.guarantor_given_name.as_deref().unwrap_or(""), family).trim().to_string();
        let lines = if p.guarantor_address_line1.is_some() {
            [
                p.guarantor_address_line1.clone(),
                p.guarantor_address_line2.clone(),
                Some(city_line(&p.guarantor_city, &p.guarantor_state, &p.guarantor_postal_code)),
            ]
            .into_iter()
            .flatten()
            .filter(|l| !l.trim().is_empty())
            .collect()
        } else {
            patient_lines()
        };
        return (name, lines);
    }
    // On an envelope: given name first.
    let name = [Some(p.given_name.as_str()), Some(p.family_name.as_str()), p.suffix.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (name, patient_lines())
}

fn summary(s: &StatementRow, patient_name: String) -> StatementSummary {
    StatementSummary {
        id: s.id.clone(),
        number: statement_number_text(s.statement_number),
        run_id: s.run_id.clone(),
        patient_id: s.patient_id.clone(),
        patient_name,
        statement_date: s.statement_date.clone(),
        due_date: s.due_date.clone(),
        balance_due_cents: s.balance_due_cents,
        balance_due: money(s.balance_due_cents),
        delivery: s.delivery.clone(),
        email_error: s.email_error.clone(),
    }
}

fn aging_cells(s: &StatementRow) -> Vec<AgingCell> {
    let cents = [s.aging_current_cents, s.aging_31_60_cents, s.aging_61_90_cents, s.aging_91_120_cents, s.aging_over_120_cents];
    Bucket::ALL.iter().zip(cents).map(|(b, c)| AgingCell { label: b.label().to_string(), cents: c, amount: money(c) }).collect()
}

/// The practice's letterhead lines and remit-to block.
async fn letterhead(conn: &mut Connection, practice_id: &str) -> Result<(String, Vec<String>, Vec<String>)> {
    let p = medoffice_store::encounters::practice_billing(conn, practice_id).await?;
    let city = [p.city.clone(), p.state.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ");
    let zip = p.billing_postal_code.clone().or(p.postal_code.clone()).unwrap_or_default();
    let city_line = format!("{city} {zip}").trim().to_string();
    let address: Vec<String> = [p.address_line1.clone(), Some(city_line)].into_iter().flatten().filter(|l| !l.is_empty()).collect();
    let mut lines = address.clone();
    if let Some(phone) = &p.phone {
        lines.push(medoffice_domain::patients::Phone::parse(phone).map(|ph| ph.display()).unwrap_or(phone.clone()));
    }
    let mut remit = vec![p.name.clone()];
    remit.extend(address);
    Ok((p.name, lines, remit))
}

impl App {
    /// The practice's statement terms with the policy in words and the next run.
    pub async fn statement_settings(&self, actor: &Actor) -> Result<StatementSettingsView> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let settings = statement_settings_in(&mut conn, &actor.practice_id).await?;
        Ok(settings_view(settings, actor.today(self.now())))
    }

    /// Saves the practice's statement terms (every field at fault named at once).
    pub async fn set_statement_settings(&self, actor: &Actor, input: &StatementSettingsInput) -> Result<StatementSettingsView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let mut errors = ValidationErrors::new();
        let cycle = match input.cycle.trim() {
            "" | "monthly" => "monthly",
            "letter_groups" => "letter_groups",
            _ => {
                errors.add("cycle", "choose monthly or by family-name groups");
                "monthly"
            }
        };
        let number =
            |field: &str, text: &str, default: i64, range: std::ops::RangeInclusive<i64>, what: &str, e: &mut ValidationErrors| match text
                .trim()
            {
                "" => default,
                t => match t.parse::<i64>() {
                    Ok(n) if range.contains(&n) => n,
                    _ => {
                        e.add(field, format!("{what} from {} to {}", range.start(), range.end()));
                        default
                    }
                },
            };
        let cycle_day = number("cycle_day", &input.cycle_day, 1, 1..=28, "a day of the month", &mut errors);
        let net_days = number("net_days", &input.net_days, DEFAULT_NET_DAYS, 0..=120, "a number of days", &mut errors);
        let grace = number("late_grace_days", &input.late_grace_days, 0, 0..=365, "a number of days", &mut errors);
        let cents = |field: &str, text: &str, default: i64, what: &str, e: &mut ValidationErrors| {
            if text.trim().is_empty() {
                return default;
            }
            match Money::parse(text) {
                Ok(m) if m.cents() < 0 => {
                    e.add(field, format!("{what} cannot be negative"));
                    default
                }
                Ok(m) if m.cents() > 10_000_000 => {
                    e.add(field, format!("{what} is too large"));
                    default
                }
                Ok(m) => m.cents(),
                Err(err) => {
                    e.add(field, format!("{what}: {err}"));
                    default
                }
            }
        };
        let minimum = cents("minimum_balance", &input.minimum_balance, DEFAULT_MINIMUM_CENTS, "the minimum balance", &mut errors);
        // A percent with at most two decimals is a whole number of basis points, read as cents are.
        let rate = cents("late_rate_percent", &input.late_rate_percent, 0, "the rate", &mut errors);
        if rate > 2_500 {
            errors.add("late_rate_percent", "at most 25% a month");
        }
        let flat = cents("late_flat_fee", &input.late_flat_fee, 0, "the fee", &mut errors);
        let late_minimum = cents("late_minimum_balance", &input.late_minimum_balance, 0, "the minimum balance", &mut errors);
        let message = clean(&input.message);
        if message.as_ref().is_some_and(|m| m.chars().count() > 300) {
            errors.add("message", "at most 300 characters");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = StatementSettingsRow {
            practice_id: actor.practice_id.clone(),
            cycle: cycle.into(),
            cycle_day,
            net_days,
            minimum_balance_cents: minimum,
            message,
            late_rate_basis_points: rate,
            late_flat_fee_cents: flat,
            late_grace_days: grace,
            late_minimum_cents: late_minimum,
            updated_by: actor.user_id.clone(),
            updated_at: self.now_text(),
        };
        let mut tx = self.store.begin().await?;
        store::put_settings(&mut tx, &row).await?;
        let settings = StatementSettings::of(&row);
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.settings.update",
                patient_id: None,
                record_type: "statement_settings",
                record_id: None,
                detail: format!(
                    "{} cycle, Net {}, minimum {}; {}",
                    row.cycle,
                    row.net_days,
                    money(row.minimum_balance_cents),
                    settings.late_charge_policy.text()
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(settings_view(settings, actor.today(self.now())))
    }

    /// An account's statement preferences, its statements and late charges. Audited as a read.
    pub async fn statement_preference(&self, actor: &Actor, patient_id: &str) -> Result<StatementPreferenceView> {
        self.authorize(actor, Action::ReadReceivables, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let view = self.preference_view(&mut tx, practice_id, patient_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.account.read",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail: format!("statement preferences and {} statements", view.statements.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    async fn preference_view(&self, conn: &mut Connection, practice_id: &str, patient_id: &str) -> Result<StatementPreferenceView> {
        let patient = medoffice_store::patients::get(conn, practice_id, patient_id).await?;
        let pref = store::get_preference(conn, practice_id, patient_id).await?;
        let name = PatientView::from(&patient).display_name();
        let statements =
            store::statements_of_patient(conn, practice_id, patient_id, 200).await?.iter().map(|s| summary(s, name.clone())).collect();
        let late_charges =
            store::late_charges_of_patient(conn, practice_id, patient_id).await?.iter().map(crate::late_charges::charge_view).collect();
        Ok(StatementPreferenceView {
            patient_id: patient.id.clone(),
            patient_name: name,
            hold: pref.as_ref().is_some_and(|p| p.hold == 1),
            delivery: pref.map(|p| p.delivery).unwrap_or_else(|| "mail".into()),
            email: patient.email.clone().filter(|e| !e.trim().is_empty()),
            statements,
            late_charges,
        })
    }

    /// Sets an account's "don't send statements" flag and delivery (e-mail only with an address).
    pub async fn set_statement_preference(
        &self,
        actor: &Actor,
        patient_id: &str,
        input: &StatementPreferenceInput,
    ) -> Result<StatementPreferenceView> {
        self.authorize(actor, Action::ManageReceivables, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let delivery = match input.delivery.trim() {
            "" | "mail" => "mail",
            "email" => "email",
            _ => return Err(ValidationErrors::single("delivery", "choose mail or email").into()),
        };
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        if delivery == "email" && patient.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
            return Err(ValidationErrors::single("delivery", "the patient has no e-mail address on file; add one or send by mail").into());
        }
        let row = StatementPreferenceRow {
            practice_id: practice_id.to_string(),
            patient_id: patient.id.clone(),
            hold: i64::from(input.hold),
            delivery: delivery.into(),
            updated_by: actor.user_id.clone(),
            updated_at: self.now_text(),
        };
        store::put_preference(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.account.update",
                patient_id: Some(patient_id),
                record_type: "statement_preference",
                record_id: Some(patient_id),
                detail: format!("{}; by {delivery}", if input.hold { "don't send statements" } else { "send statements" }),
            },
        )
        .await?;
        let view = self.preference_view(&mut tx, practice_id, patient_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Runs statements for a date and group (see the module's documentation). Idempotent per
    /// patient and date.
    pub async fn run_statements(&self, actor: &Actor, input: &StatementRunInput) -> Result<StatementRunResult> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let today = actor.today(self.now());
        let date = match input.date.trim() {
            "" => today,
            t => parse_day(t).map_err(|m| ValidationErrors::single("date", m))?,
        };
        if date > today {
            return Err(ValidationErrors::single("date", "a statement run cannot be dated in the future").into());
        }
        let group = match input.group.trim() {
            "" => None,
            t => Some(LetterGroup::parse(t).map_err(|m| ValidationErrors::single("group", m))?),
        };
        self.statements_run(actor, date, group).await
    }

    /// The same for the database's one practice from the command line (`medoffice statements
    /// run`): `date` `YYYY-MM-DD` (today in the practice's time zone when `None`).
    pub async fn run_statements_offline(&self, date: Option<&str>, group: Option<&str>) -> Result<StatementRunResult> {
        let practice = self.only_practice().await?;
        let actor = command_line_actor(&practice);
        let input = StatementRunInput { date: date.unwrap_or("").into(), group: group.unwrap_or("").into() };
        let today = actor.today(self.now());
        let date = match input.date.trim() {
            "" => today,
            t => parse_day(t).map_err(|m| ValidationErrors::single("date", m))?,
        };
        if date > today {
            return Err(ValidationErrors::single("date", "a statement run cannot be dated in the future").into());
        }
        let group = match input.group.trim() {
            "" => None,
            t => Some(LetterGroup::parse(t).map_err(|m| ValidationErrors::single("group", m))?),
        };
        self.statements_run(&actor, date, group).await
    }

    async fn statements_run(&self, actor: &Actor, date: NaiveDate, group: Option<LetterGroup>) -> Result<StatementRunResult> {
        let practice_id = actor.practice_id.as_str();
        let date_text = date.to_string();
        let mut tx = self.store.begin().await?;
        let settings = statement_settings_in(&mut tx, practice_id).await?;
        let group = match group {
            Some(g) => Some(g),
            None if settings.cycle == "letter_groups" => Some(LetterGroup::of_week(date)),
            None => None,
        };
        let group_text = group.map(|g| g.text()).unwrap_or_default();
        let run = match store::find_run(&mut tx, practice_id, &date_text, &group_text).await? {
            Some(run) => run,
            None => {
                let run = StatementRunRow {
                    practice_id: practice_id.to_string(),
                    id: new_id(),
                    run_date: date_text.clone(),
                    cycle_group: group_text.clone(),
                    run_by: actor.user_id.clone(),
                    created_at: self.now_text(),
                };
                store::insert_run(&mut tx, &run).await?;
                run
            }
        };
        let prefs: HashMap<String, StatementPreferenceRow> =
            store::all_preferences(&mut tx, practice_id).await?.into_iter().map(|p| (p.patient_id.clone(), p)).collect();
        let owing = medoffice_store::receivables::patients_owing(&mut tx, practice_id, accounts::AR_PATIENTS, &date_text).await?;
        let mut candidates = Vec::new();
        for (patient_id, balance) in owing {
            if balance < settings.minimum_balance_cents.max(1) || prefs.get(&patient_id).is_some_and(|p| p.hold == 1) {
                continue;
            }
            let patient = medoffice_store::patients::get(&mut tx, practice_id, &patient_id).await?;
            if patient.merged_into.is_some() || group.is_some_and(|g| !g.contains(&patient.family_name)) {
                continue;
            }
            candidates.push(patient);
            if candidates.len() >= MAX_STATEMENTS_PER_RUN {
                break;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;

        let mut result = StatementRunResult {
            run_id: run.id.clone(),
            run_date: date_text.clone(),
            cycle_group: group_text.clone(),
            statements: 0,
            emailed: 0,
            printed: 0,
            total_cents: 0,
            statement_ids: Vec::new(),
        };
        let mut to_email = Vec::new();
        for patient in candidates {
            let wants_email = prefs.get(&patient.id).is_some_and(|p| p.delivery == "email");
            let Some(row) = self.make_statement(actor, &run, &settings, &patient, date, wants_email).await? else {
                continue;
            };
            result.statements += 1;
            result.total_cents += row.balance_due_cents;
            result.statement_ids.push(row.id.clone());
            if row.delivery == "email" {
                to_email.push((row, patient));
            } else {
                result.printed += 1;
            }
        }
        let smtp = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::reminders::get_smtp(&mut conn, practice_id).await?.as_ref().and_then(crate::reminders::smtp_config)
        };
        for (row, patient) in to_email {
            if self.email_statement(actor, smtp.as_ref(), &row, &patient).await? {
                result.emailed += 1;
            } else {
                result.printed += 1;
            }
        }
        let mut tx = self.store.begin().await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.run",
                patient_id: None,
                record_type: "statement_run",
                record_id: Some(&run.id),
                detail: format!(
                    "{date_text} group {}: {} statements ({} e-mailed, {} printed), {}",
                    if group_text.is_empty() { "all" } else { group_text.as_str() },
                    result.statements,
                    result.emailed,
                    result.printed,
                    money(result.total_cents)
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(result)
    }

    /// Makes one patient's statement in its own transaction; `None` when the patient has one of
    /// this date already or no longer owes the minimum. A mailed statement is logged in the
    /// outgoing mail here; an e-mailed one once the server answered.
    async fn make_statement(
        &self,
        actor: &Actor,
        run: &StatementRunRow,
        settings: &StatementSettings,
        patient: &PatientRow,
        date: NaiveDate,
        wants_email: bool,
    ) -> Result<Option<StatementRow>> {
        let practice_id = actor.practice_id.as_str();
        let date_text = date.to_string();
        let mut tx = self.store.begin().await?;
        let previous = store::latest_statement(&mut tx, practice_id, &patient.id, &date_text).await?;
        if previous.as_ref().is_some_and(|p| p.statement_date == date_text) {
            return Ok(None);
        }
        let open = crate::receivables::patient_due_open_items_in(&mut tx, practice_id, &patient.id, date).await?;
        let balance_due = open.balance_cents();
        if balance_due < settings.minimum_balance_cents.max(1) {
            return Ok(None);
        }
        let aging = Aging::of(&open, date);
        let stated: std::collections::HashSet<String> =
            store::stated_entry_ids(&mut tx, practice_id, &patient.id).await?.into_iter().collect();
        let rows = medoffice_store::patient_accounts::ar_lines_of_patient(&mut tx, practice_id, &patient.id, MAX_LINES).await?;
        let insurance_pending: i64 = rows
            .iter()
            .filter(|r| r.account_number == accounts::AR_INSURANCE && r.entry_date <= date_text)
            .map(|r| r.debit_cents - r.credit_cents)
            .sum();
        let id = new_id();
        let mut lines = Vec::new();
        let (mut charges, mut payments, mut adjustments) = (0i64, 0i64, 0i64);
        for r in
            rows.iter().filter(|r| r.account_number == accounts::AR_PATIENTS && !stated.contains(&r.entry_id) && r.entry_date <= date_text)
        {
            let signed = r.debit_cents - r.credit_cents;
            let kind = line_kind(&r.source_kind, r.reversal_of.is_some(), signed);
            match kind {
                "charge" => charges += signed,
                "payment" => payments -= signed,
                _ => adjustments -= signed,
            }
            lines.push(StatementLineRow {
                practice_id: practice_id.to_string(),
                statement_id: id.clone(),
                line_number: lines.len() as i64 + 1,
                entry_id: r.entry_id.clone(),
                entry_date: r.entry_date.clone(),
                kind: kind.into(),
                description: line_description(&r.source_kind, &r.entry_memo),
                amount_cents: signed,
            });
        }
        // Every entry is stated once (on the first statement after it was posted), so the
        // previous balance is the previous statements' lines and the lines tie to the balance due.
        let previous_balance = balance_due - charges + payments + adjustments;
        let (recipient_name, address) = addressee(patient);
        let email = patient.email.clone().filter(|e| !e.trim().is_empty());
        let delivery = if wants_email && email.is_some() { "email" } else { "mail" };
        let row = StatementRow {
            practice_id: practice_id.to_string(),
            id: id.clone(),
            statement_number: next_counter(&mut tx, practice_id, "statement").await?,
            run_id: run.id.clone(),
            patient_id: patient.id.clone(),
            statement_date: date_text.clone(),
            due_date: (date + chrono::Duration::days(settings.net_days)).to_string(),
            previous_statement_id: previous.as_ref().map(|p| p.id.clone()),
            previous_balance_cents: previous_balance,
            charges_cents: charges,
            payments_cents: payments,
            adjustments_cents: adjustments,
            balance_due_cents: balance_due,
            insurance_pending_cents: insurance_pending.max(0),
            aging_current_cents: aging.bucket_cents(Bucket::Current),
            aging_31_60_cents: aging.bucket_cents(Bucket::Days31To60),
            aging_61_90_cents: aging.bucket_cents(Bucket::Days61To90),
            aging_91_120_cents: aging.bucket_cents(Bucket::Days91To120),
            aging_over_120_cents: aging.bucket_cents(Bucket::Over120),
            credit_cents: aging.credit_cents,
            late_charge_policy: settings.late_charge_policy.text(),
            message: settings.message.clone(),
            recipient_name: recipient_name.clone(),
            recipient_address: address.join("\n"),
            delivery: delivery.into(),
            email_address: email,
            email_error: (wants_email && delivery == "mail").then(|| "no e-mail address on file".to_string()),
            created_by: actor.user_id.clone(),
            created_at: self.now_text(),
        };
        store::insert_statement(&mut tx, &row).await?;
        for l in &lines {
            store::insert_line(&mut tx, l).await?;
        }
        if delivery == "mail" {
            self.log_statement_mail(&mut tx, actor, &row, "usps_first_class").await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.create",
                patient_id: Some(&patient.id),
                record_type: "statement",
                record_id: Some(&row.id),
                detail: format!(
                    "{} dated {date_text}: {} due {} by {delivery}",
                    statement_number_text(row.statement_number),
                    money(balance_due),
                    row.due_date
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Some(row))
    }

    async fn log_statement_mail(&self, conn: &mut Connection, actor: &Actor, row: &StatementRow, method: &str) -> Result<()> {
        let recipient = match (method, &row.email_address) {
            ("secure_email", Some(address)) => format!("{} <{address}>", row.recipient_name),
            _ => row.recipient_name.clone(),
        };
        let input = OutgoingInput {
            sent_date: row.statement_date.clone(),
            recipient: recipient.chars().take(200).collect(),
            method: method.into(),
            about_kind: "statement".into(),
            about_id: row.id.clone(),
            patient_id: row.patient_id.clone(),
            description: format!(
                "Statement {}: {} due {}",
                statement_number_text(row.statement_number),
                money(row.balance_due_cents),
                row.due_date
            ),
            ..OutgoingInput::default()
        };
        self.log_outgoing_in(conn, actor, &input).await?;
        Ok(())
    }

    /// Sends one statement by e-mail; true when the server accepted it. A refusal (or no mail
    /// server) sends it by mail instead, with the reason on the statement.
    async fn email_statement(
        &self,
        actor: &Actor,
        smtp: Option<&crate::mailer::SmtpConfig>,
        row: &StatementRow,
        patient: &PatientRow,
    ) -> Result<bool> {
        let practice_id = actor.practice_id.as_str();
        let outcome = match (smtp, &row.email_address) {
            (Some(config), Some(to)) => {
                let (practice_name, lines, _) = {
                    let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
                    letterhead(&mut conn, practice_id).await?
                };
                let email = crate::mailer::Email {
                    to: to.clone(),
                    to_name: Some(row.recipient_name.clone()),
                    subject: format!("Your statement from {practice_name} ({})", statement_number_text(row.statement_number)),
                    body: email_body(&practice_name, &lines, row, &patient.mrn),
                };
                crate::mailer::send(config, &email).await.map_err(|e| e.message)
            }
            (None, _) => Err("e-mail is not set up for the practice (Admin → E-mail)".to_string()),
            (_, None) => Err("no e-mail address on file".to_string()),
        };
        let mut tx = self.store.begin().await?;
        let sent = match &outcome {
            Ok(_) => {
                self.log_statement_mail(&mut tx, actor, row, "secure_email").await?;
                true
            }
            Err(reason) => {
                let reason: String = reason.chars().take(300).collect();
                store::set_delivery(&mut tx, practice_id, &row.id, "mail", Some(&reason)).await?;
                self.log_statement_mail(&mut tx, actor, row, "usps_first_class").await?;
                false
            }
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if sent { "statements.emailed" } else { "statements.email_failed" },
                patient_id: Some(&row.patient_id),
                record_type: "statement",
                record_id: Some(&row.id),
                detail: match &outcome {
                    Ok(reply) => format!("{} e-mailed: {reply}", statement_number_text(row.statement_number)),
                    Err(reason) => format!("{} NOT e-mailed, printed instead: {reason}", statement_number_text(row.statement_number)),
                },
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(sent)
    }

    /// The statement runs, newest first, with their totals.
    pub async fn statement_runs(&self, actor: &Actor) -> Result<Vec<StatementRunView>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let mut out = Vec::new();
        for run in store::list_runs(&mut tx, practice_id, 100).await? {
            let statements = store::statements_of_run(&mut tx, practice_id, &run.id).await?;
            let emailed = statements.iter().filter(|s| s.delivery == "email").count() as i64;
            let total: i64 = statements.iter().map(|s| s.balance_due_cents).sum();
            out.push(StatementRunView {
                id: run.id,
                run_date: run.run_date,
                cycle_group: run.cycle_group,
                statements: statements.len() as i64,
                emailed,
                printed: statements.len() as i64 - emailed,
                total_cents: total,
                total: money(total),
            });
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }

    /// The statements, newest first (at most 500), optionally of one run. Audited as a read.
    pub async fn statements(&self, actor: &Actor, run_id: Option<&str>) -> Result<Vec<StatementSummary>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let rows = match run_id {
            Some(run) => {
                store::get_run(&mut tx, practice_id, run).await?;
                store::statements_of_run(&mut tx, practice_id, run).await?
            }
            None => store::list_statements(&mut tx, practice_id, 500).await?,
        };
        let mut names: HashMap<String, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for s in &rows {
            if !names.contains_key(&s.patient_id) {
                let p = medoffice_store::patients::get(&mut tx, practice_id, &s.patient_id).await?;
                names.insert(s.patient_id.clone(), PatientView::from(&p).display_name());
            }
            out.push(summary(s, names.get(&s.patient_id).cloned().unwrap_or_default()));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.list",
                patient_id: None,
                record_type: "statement",
                record_id: run_id,
                detail: format!("{} statements listed", out.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }

    /// One statement as sent. Audited as a read of the patient's record.
    pub async fn statement(&self, actor: &Actor, id: &str) -> Result<StatementView> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let view = statement_view_in(&mut tx, practice_id, id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.read",
                patient_id: Some(&view.patient_id),
                record_type: "statement",
                record_id: Some(id),
                detail: format!("{} viewed", view.number),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// One statement's PDF: `(file name, bytes)`. Audited.
    pub async fn statement_pdf(&self, actor: &Actor, id: &str) -> Result<(String, Vec<u8>)> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let view = statement_view_in(&mut tx, practice_id, id).await?;
        let printed = self.now().with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M").to_string();
        let doc = pdf_document(&mut tx, practice_id, &view, &printed).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.print",
                patient_id: Some(&view.patient_id),
                record_type: "statement",
                record_id: Some(id),
                detail: format!("{} printed", view.number),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((format!("statement-{}.pdf", view.number), medoffice_pdf::statement::statement_pdf(&doc)))
    }

    /// A run's mailed statements in one PDF for printing (a statement per page group). Audited.
    pub async fn statement_run_pdf(&self, actor: &Actor, run_id: &str) -> Result<(String, Vec<u8>)> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let run = store::get_run(&mut tx, practice_id, run_id).await?;
        let printed = self.now().with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M").to_string();
        let mut docs = Vec::new();
        for s in store::statements_of_run(&mut tx, practice_id, run_id).await?.iter().filter(|s| s.delivery == "mail") {
            let view = statement_view_in(&mut tx, practice_id, &s.id).await?;
            docs.push(pdf_document(&mut tx, practice_id, &view, &printed).await?);
        }
        if docs.is_empty() {
            return Err(AppError::Conflict("this run has no statements to print (all were e-mailed, or none was due)".into()));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "statements.print_batch",
                patient_id: None,
                record_type: "statement_run",
                record_id: Some(run_id),
                detail: format!("{} statements of the run of {} printed", docs.len(), run.run_date),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let group = if run.cycle_group.is_empty() { String::new() } else { format!("-{}", run.cycle_group) };
        Ok((format!("statements-{}{group}.pdf", run.run_date), medoffice_pdf::statement::statements_pdf(&docs)))
    }
}

fn settings_view(settings: StatementSettings, today: NaiveDate) -> StatementSettingsView {
    let (next_date, next_group) = if settings.cycle == "letter_groups" {
        // The next week's start: the 1st, 8th, 15th or 22nd.
        let starts = [1u32, 8, 15, 22];
        let this_month = starts.iter().filter_map(|d| today.with_day(*d)).find(|d| *d >= today);
        let next = this_month.unwrap_or_else(|| {
            let (y, m) = if today.month() == 12 { (today.year() + 1, 1) } else { (today.year(), today.month() + 1) };
            NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today)
        });
        (next, LetterGroup::of_week(next).text())
    } else {
        let day = u32::try_from(settings.cycle_day).unwrap_or(1);
        let this_month = today.with_day(day).filter(|d| *d >= today);
        let next = this_month.unwrap_or_else(|| {
            let (y, m) = if today.month() == 12 { (today.year() + 1, 1) } else { (today.year(), today.month() + 1) };
            NaiveDate::from_ymd_opt(y, m, day).unwrap_or(today)
        });
        (next, String::new())
    };
    StatementSettingsView {
        late_charge_policy_text: settings.late_charge_policy.text(),
        settings,
        next_run_date: next_date.to_string(),
        next_run_group: next_group,
    }
}

async fn statement_view_in(conn: &mut Connection, practice_id: &str, id: &str) -> Result<StatementView> {
    let s = store::get_statement(conn, practice_id, id).await?;
    let patient = medoffice_store::patients::get(conn, practice_id, &s.patient_id).await?;
    let lines = store::lines_of_statement(conn, practice_id, id).await?;
    let late_charge = store::late_charge_of_statement(conn, practice_id, id).await?;
    Ok(StatementView {
        number: statement_number_text(s.statement_number),
        patient_name: PatientView::from(&patient).display_name(),
        patient_mrn: patient.mrn.clone(),
        aging: aging_cells(&s),
        recipient_address: s.recipient_address.lines().map(str::to_string).collect(),
        lines: lines
            .into_iter()
            .map(|l| StatementLineView {
                date: l.entry_date,
                kind: l.kind,
                description: l.description,
                amount: money(l.amount_cents),
                amount_cents: l.amount_cents,
            })
            .collect(),
        late_charge: late_charge.as_ref().map(crate::late_charges::charge_view),
        id: s.id,
        run_id: s.run_id,
        patient_id: s.patient_id,
        statement_date: s.statement_date,
        due_date: s.due_date,
        previous_balance_cents: s.previous_balance_cents,
        charges_cents: s.charges_cents,
        payments_cents: s.payments_cents,
        adjustments_cents: s.adjustments_cents,
        balance_due_cents: s.balance_due_cents,
        insurance_pending_cents: s.insurance_pending_cents,
        credit_cents: s.credit_cents,
        late_charge_policy: s.late_charge_policy,
        message: s.message,
        recipient_name: s.recipient_name,
        delivery: s.delivery,
        email_address: s.email_address,
        email_error: s.email_error,
    })
}

async fn pdf_document(
    conn: &mut Connection,
    practice_id: &str,
    v: &StatementView,
    printed_at: &str,
) -> Result<medoffice_pdf::statement::Statement> {
    let (practice_name, practice_lines, remit_to) = letterhead(conn, practice_id).await?;
    let mut address = vec![v.recipient_name.clone()];
    address.extend(v.recipient_address.iter().cloned());
    Ok(medoffice_pdf::statement::Statement {
        practice_name,
        practice_lines,
        number: v.number.clone(),
        statement_date: v.statement_date.clone(),
        due_date: v.due_date.clone(),
        account_number: v.patient_mrn.clone(),
        patient_name: v.patient_name.clone(),
        address,
        remit_to,
        previous_balance: v.previous_balance(),
        lines: v
            .lines
            .iter()
            .map(|l| medoffice_pdf::statement::StatementLine {
                date: l.date.clone(),
                description: l.description.clone(),
                amount: l.amount.clone(),
            })
            .collect(),
        summary: vec![
            ("Previous balance".into(), v.previous_balance()),
            ("Charges".into(), v.charges()),
            ("Payments".into(), v.payments()),
            ("Adjustments".into(), v.adjustments()),
            ("Balance due".into(), v.balance_due()),
        ],
        balance_due: v.balance_due(),
        aging: v.aging.iter().map(|a| (a.label.clone(), a.amount.clone())).collect(),
        insurance_pending: if v.insurance_pending_cents > 0 { v.insurance_pending() } else { String::new() },
        late_charge_policy: v.late_charge_policy.clone(),
        message: v.message.clone().unwrap_or_default(),
        printed_at: printed_at.to_string(),
    })
}

/// A statement e-mail's plain text: the figures, the due date, how to pay, and nothing a
/// stranger could use beyond what a mailed statement shows.
fn email_body(practice_name: &str, practice_lines: &[String], row: &StatementRow, account_number: &str) -> String {
    let mut body = format!(
        "{practice_name}\n{}\n\nStatement {} dated {}\nAccount {account_number}\n\nPrevious balance: {}\nCharges: {}\nPayments: {}\nAdjustments: {}\n\
         BALANCE DUE: {} by {}\n",
        practice_lines.join("\n"),
        statement_number_text(row.statement_number),
        row.statement_date,
        money(row.previous_balance_cents),
        money(row.charges_cents),
        money(row.payments_cents),
        money(row.adjustments_cents),
        money(row.balance_due_cents),
        row.due_date,
    );
    if row.insurance_pending_cents > 0 {
        body.push_str(&format!("\nPending with your insurance, not due: {}.\n", money(row.insurance_pending_cents)));
    }
    if let Some(m) = &row.message {
        body.push_str(&format!("\n{m}\n"));
    }
    body.push_str(&format!(
        "\n{}\n\nPlease pay at the front desk, by phone, or mail a check with your account number. For a printed copy of this \
         statement, call the office.\n",
        row.late_charge_policy
    ));
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_groups_parse_and_hold_family_names() {
        let g = LetterGroup::parse("a-f").unwrap_or(LetterGroup { first: 'Z', last: 'Z' });
        assert_eq!(g.text(), "A-F");
        assert!(g.contains("Doe") && g.contains("de la Cruz") && g.contains("'Brien"));
        assert!(!g.contains("Roe"));
        assert!(LetterGroup::parse("F-A").is_err());
        assert!(LetterGroup::parse("AB-C").is_err());
        assert_eq!(LetterGroup::parse("M").map(|g| g.text()), Ok("M-M".to_string()));
    }

    #[test]
    fn the_week_of_the_month_picks_the_group() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 6, day).unwrap_or_default();
        assert_eq!(LetterGroup::of_week(d(1)).text(), "A-F");
        assert_eq!(LetterGroup::of_week(d(8)).text(), "G-L");
        assert_eq!(LetterGroup::of_week(d(15)).text(), "M-R");
        assert_eq!(LetterGroup::of_week(d(30)).text(), "S-Z");
    }

    #[test]
    fn lines_are_charges_payments_or_adjustments_by_their_source() {
        assert_eq!(line_kind("charges", false, 100), "charge");
        assert_eq!(line_kind("remittance", false, 100), "charge");
        assert_eq!(line_kind("patient_payment", false, -100), "payment");
        assert_eq!(line_kind("patient_payment", true, 100), "adjustment");
        assert_eq!(line_kind("patient_late_charge", false, 150), "charge");
        assert_eq!(line_kind("write_off", false, -100), "adjustment");
    }
}
