//! Third-party invoices (issue 7): bills of the practice to an employer, a school, an attorney or
//! another practice, on the party's own terms (Net 30 unless said otherwise).
//!
//! Money events and their entries (product.md), each posted through [`App::post_entry`] in the
//! same transaction as its row:
//! - an invoice: Dr AR - Other (1120) / Cr Other service revenue (4300), key `invoice:<id>`;
//! - a payment: Dr Undeposited funds (1010) / Cr AR - Other, key `invoice_payment:<id>`; never
//!   more than the balance (an overpayment is refused on `amount`, so no credit is left to refund);
//! - a late charge: Dr AR - Other / Cr Finance charge income (4200), key
//!   `invoice_late_charge:<invoice>:<date>`, at most one per invoice in 30 days, only when the
//!   party has a policy and the invoice is past due by more than its grace days;
//! - a void or a late charge's reversal: the reversal of the entry (sides swapped, linked).
//!   A void is refused once a payment was applied; it reverses the late charges still standing too.
//!
//! The aging of AR - Other is read from these rows (the invoice and each late charge is an item
//! dated its own date; payments, voids and reversals credit the oldest first, `domain::ledger::aging`)
//! and is shown beside the 1120 balance read from the journal, which it must equal.
//!
//! Roles: [`Action::ReadReceivables`] to read, [`Action::ManageReceivables`] to write. Every use
//! case is audited, reads included.

use crate::ledger::{NewEntry, NewLine, SOURCE_REVERSAL};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::aging::{Aging, Bucket, LateChargePolicy, Movement, open_items};
use medoffice_domain::ledger::terms::PaymentTerms;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::invoices::{self as store, InvoiceLineRow, InvoicePaymentRow, InvoiceRow, LateChargeRow, ThirdPartyRow};
use medoffice_store::ledger as ledger_store;
use medoffice_store::{Connection, StoreError, new_id, next_counter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The source kind of an invoice's entry.
pub const SOURCE_INVOICE: &str = "invoice";
/// The source kind of a payment's entry.
pub const SOURCE_INVOICE_PAYMENT: &str = "invoice_payment";
/// The source kind of a late charge's entry.
pub const SOURCE_INVOICE_LATE_CHARGE: &str = "invoice_late_charge";
/// Who posts the late charges of a run from the command line.
pub const LATE_CHARGE_POSTER: &str = "invoice-late-charges";
/// The least number of days between two late charges of one invoice.
pub const LATE_CHARGE_INTERVAL_DAYS: i64 = 30;
/// The most lines one invoice has.
pub const MAX_INVOICE_LINES: usize = 100;
/// The largest invoice or payment (a guard against a typo).
pub const MAX_INVOICE_CENTS: i64 = 100_000_000;
/// The kinds of bill-to parties, with their labels.
pub const PARTY_KINDS: [(&str, &str); 5] =
    [("employer", "Employer"), ("school", "School"), ("attorney", "Attorney"), ("practice", "Another practice"), ("other", "Other")];
/// How an invoice may be paid, with the labels.
pub const PAYMENT_METHODS: [(&str, &str); 3] = [("check", "Check"), ("ach", "ACH transfer"), ("card", "Card")];
/// What the aging counts the days from (said on the page and in the API).
pub const AGING_BASIS: &str = "invoice date (each late charge from its own date)";

/// The text shown for an invoice number: `INV-000123`.
pub fn invoice_number_text(number: i64) -> String {
    format!("INV-{number:06}")
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string())
}

/// A bill-to party as typed (the form and the API): text throughout.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ThirdPartyInput {
    pub name: String,
    /// `employer`, `school`, `attorney`, `practice` or `other`.
    pub kind: String,
    pub contact: String,
    pub address: String,
    pub email: String,
    /// `net_30` (the default when blank), `net_15`, `due_on_receipt`, `day_of_month:15`.
    pub payment_terms: String,
    /// The monthly late-charge rate in percent, e.g. `1.5` (at most two decimals); blank for none.
    pub late_rate_percent: String,
    /// A flat late fee a month, e.g. `5.00` (the larger of it and the rate applies); blank for none.
    pub late_flat_fee: String,
    /// Days past the due date before a late charge; blank for 0.
    pub late_grace_days: String,
    /// The least balance that is charged, e.g. `25.00`; blank for none.
    pub late_minimum_balance: String,
}

/// A bill-to party as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThirdPartyView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub contact: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    pub payment_terms: String,
    pub terms_label: String,
    pub late_rate_basis_points: i64,
    pub late_flat_fee_cents: i64,
    pub late_grace_days: i64,
    pub late_minimum_cents: i64,
    /// The policy in the words the invoice prints.
    pub late_charge_policy: String,
    pub has_late_charge_policy: bool,
}

impl ThirdPartyView {
    /// The party's fields as the edit form shows them.
    pub fn as_input(&self) -> ThirdPartyInput {
        let amount = |c: i64| if c == 0 { String::new() } else { format!("{}.{:02}", c / 100, c % 100) };
        ThirdPartyInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            contact: self.contact.clone().unwrap_or_default(),
            address: self.address.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            payment_terms: self.payment_terms.clone(),
            late_rate_percent: amount(self.late_rate_basis_points),
            late_flat_fee: amount(self.late_flat_fee_cents),
            late_grace_days: if self.late_grace_days == 0 { String::new() } else { self.late_grace_days.to_string() },
            late_minimum_balance: amount(self.late_minimum_cents),
        }
    }
}

/// A new invoice as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewInvoiceInput {
    pub third_party_id: String,
    /// `YYYY-MM-DD`; blank for today.
    pub invoice_date: String,
    /// A note printed on the invoice (e.g. the party's purchase order); blank for none.
    pub memo: String,
    pub lines: Vec<InvoiceLineInput>,
}

/// One line: what was done, the optional date of service and the amount (e.g. `120.00`). A line
/// left wholly blank is ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct InvoiceLineInput {
    pub description: String,
    /// `YYYY-MM-DD`, or blank.
    pub service_date: String,
    pub amount: String,
}

/// A payment on an invoice as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct InvoicePaymentInput {
    /// The amount received, e.g. `120.00`; at most the balance.
    pub amount: String,
    /// `check`, `ach` or `card`.
    pub method: String,
    /// The check number, the ACH trace or the card processor's reference (never a card number).
    pub reference: String,
    /// `YYYY-MM-DD`; blank for today.
    pub payment_date: String,
}

/// An invoice line as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceLineView {
    pub line_number: i64,
    pub description: String,
    pub service_date: Option<String>,
    pub amount_cents: i64,
    pub amount: String,
}

/// A payment (the receipt) as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoicePaymentView {
    pub id: String,
    pub invoice_id: String,
    pub receipt_number: i64,
    pub payment_date: String,
    pub method: String,
    /// `Check`, `ACH transfer`, `Card`.
    pub method_label: String,
    pub reference: String,
    pub amount_cents: i64,
    pub amount: String,
    pub journal_entry_id: String,
    pub received_at: String,
}

/// A late charge as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LateChargeView {
    pub id: String,
    pub invoice_id: String,
    pub charge_date: String,
    pub amount_cents: i64,
    pub amount: String,
    /// The balance it was charged on, and how many days past due it was.
    pub past_due_cents: i64,
    pub past_due: String,
    pub days_past_due: i64,
    pub journal_entry_id: String,
    pub reversed: bool,
    pub reversal_date: Option<String>,
    pub reversal_reason: Option<String>,
    pub reversal_entry_id: Option<String>,
}

/// An invoice as shown, in lists (no lines) and whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: String,
    /// `INV-000123`.
    pub number: String,
    pub invoice_number: i64,
    pub third_party_id: String,
    pub third_party_name: String,
    pub invoice_date: String,
    pub due_date: String,
    pub payment_terms: String,
    pub terms_label: String,
    pub memo: Option<String>,
    pub total_cents: i64,
    /// Late charges standing (not reversed).
    pub late_charges_cents: i64,
    pub paid_cents: i64,
    pub balance_cents: i64,
    /// `open`, `partially_paid`, `paid` or `void`.
    pub status: String,
    pub status_label: String,
    /// Days past the due date today (0 when not due yet, paid or void).
    pub days_past_due: i64,
    /// The aging column of the oldest amount open, from the invoice date: `current`,
    /// `days31_to60`, `days61_to90`, `days91_to120` or `over120`; none when nothing is open.
    pub aging_bucket: Option<String>,
    pub journal_entry_id: String,
    pub void_date: Option<String>,
    pub void_reason: Option<String>,
    pub void_entry_id: Option<String>,
    pub lines: Vec<InvoiceLineView>,
    pub payments: Vec<InvoicePaymentView>,
    pub late_charges: Vec<LateChargeView>,
}

impl InvoiceView {
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
    pub fn late_charges_amount(&self) -> String {
        money(self.late_charges_cents)
    }
    pub fn paid(&self) -> String {
        money(self.paid_cents)
    }
    pub fn balance(&self) -> String {
        money(self.balance_cents)
    }
    pub fn is_void(&self) -> bool {
        self.status == "void"
    }
    pub fn may_pay(&self) -> bool {
        !self.is_void() && self.balance_cents > 0
    }
    pub fn may_void(&self) -> bool {
        !self.is_void() && self.payments.is_empty()
    }
    pub fn bucket_label(&self) -> &'static str {
        Bucket::ALL.iter().find(|b| self.aging_bucket.as_deref() == Some(bucket_key(**b))).map(|b| b.label()).unwrap_or("")
    }
}

/// Which invoices a list shows.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct InvoiceQuery {
    /// `open` (open or partially paid), `partially_paid`, `paid`, `void`; blank for all.
    pub status: String,
    pub third_party_id: String,
    /// An aging column: `current`, `days31_to60`, `days61_to90`, `days91_to120`, `over120`;
    /// blank for any. Only invoices with something open in it.
    pub aging: String,
}

/// One party's row of the aging.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyAgingRow {
    pub third_party_id: String,
    pub name: String,
    /// Cents open per column, in the order current, 31-60, 61-90, 91-120, 120+.
    pub buckets_cents: Vec<i64>,
    /// Unapplied credits (not in any column).
    pub credit_cents: i64,
    pub total_cents: i64,
}

impl PartyAgingRow {
    /// The five columns, formatted.
    pub fn columns(&self) -> Vec<String> {
        self.buckets_cents.iter().map(|c| money(*c)).collect()
    }
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
}

/// The aging of AR - Other by party, with the 1120 balance it ties to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceAging {
    pub as_of: String,
    /// What the days are counted from.
    pub basis: String,
    pub rows: Vec<PartyAgingRow>,
    /// The columns' totals, in the rows' order.
    pub totals_cents: Vec<i64>,
    pub credit_cents: i64,
    pub total_cents: i64,
    /// The balance of 1120 AR - Other in the journal on `as_of`.
    pub ledger_balance_cents: i64,
    /// `total_cents - ledger_balance_cents`: zero when the aging ties.
    pub difference_cents: i64,
}

impl InvoiceAging {
    pub fn ties(&self) -> bool {
        self.difference_cents == 0
    }
    pub fn total_columns(&self) -> Vec<String> {
        self.totals_cents.iter().map(|c| money(*c)).collect()
    }
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
    pub fn ledger_balance(&self) -> String {
        money(self.ledger_balance_cents)
    }
    pub fn difference(&self) -> String {
        money(self.difference_cents)
    }
    pub fn bucket_labels(&self) -> Vec<&'static str> {
        Bucket::ALL.iter().map(|b| b.label()).collect()
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

/// Who runs the late charges: a user, or the command line (no user, audited as such).
#[derive(Clone, Copy)]
enum Runner<'a> {
    User(&'a Actor),
    CommandLine,
}

/// What is known of an invoice's money on a day, from its rows.
#[derive(Debug, Clone, Copy, Default)]
struct Amounts {
    late_charges_cents: i64,
    paid_cents: i64,
    balance_cents: i64,
    aging: Aging,
}

/// The dated movements of one invoice on AR - Other, up to `as_of`: the invoice and its late
/// charges as debits, payments, the void and late charges' reversals as credits. They are the
/// invoice's entries exactly, so their sum is the invoice's share of the 1120 balance.
fn movements(invoice: &InvoiceRow, payments: &[&InvoicePaymentRow], charges: &[&LateChargeRow], as_of: &str) -> Vec<Movement> {
    let mut out = Vec::new();
    let mut push = |date: &str, cents: i64| {
        if date <= as_of
            && let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        {
            out.push(Movement { date: d, cents });
        }
    };
    push(&invoice.invoice_date, invoice.total_cents);
    if let Some(v) = &invoice.void_date {
        push(v, -invoice.total_cents);
    }
    for c in charges {
        push(&c.charge_date, c.amount_cents);
        if let Some(r) = &c.reversal_date {
            push(r, -c.amount_cents);
        }
    }
    for p in payments {
        push(&p.payment_date, -p.amount_cents);
    }
    out
}

fn amounts(invoice: &InvoiceRow, payments: &[&InvoicePaymentRow], charges: &[&LateChargeRow], as_of: NaiveDate) -> Amounts {
    let open = open_items(&movements(invoice, payments, charges, &day(as_of)));
    Amounts {
        late_charges_cents: charges.iter().filter(|c| c.reversal_date.is_none()).map(|c| c.amount_cents).sum(),
        paid_cents: payments.iter().map(|p| p.amount_cents).sum(),
        balance_cents: open.balance_cents(),
        aging: Aging::of(&open, as_of),
    }
}

/// The status that follows from what is paid.
fn status_after(invoice: &InvoiceRow, paid_cents: i64, balance_cents: i64) -> &'static str {
    if invoice.status == "void" {
        "void"
    } else if balance_cents <= 0 && paid_cents > 0 {
        "paid"
    } else if paid_cents > 0 {
        "partially_paid"
    } else {
        "open"
    }
}

fn status_label(status: &str) -> String {
    match status {
        "open" => "Open",
        "partially_paid" => "Partially paid",
        "paid" => "Paid",
        "void" => "Void",
        other => other,
    }
    .to_string()
}

fn policy_of(p: &ThirdPartyRow) -> LateChargePolicy {
    LateChargePolicy {
        monthly_rate_basis_points: p.late_rate_basis_points,
        flat_fee_cents: p.late_flat_fee_cents,
        grace_days: p.late_grace_days,
        minimum_balance_cents: p.late_minimum_cents,
    }
}

fn terms_label(text: &str) -> String {
    PaymentTerms::parse(text).map(|t| t.label()).unwrap_or_else(|_| text.to_string())
}

fn party_view(p: &ThirdPartyRow) -> ThirdPartyView {
    let policy = policy_of(p);
    ThirdPartyView {
        id: p.id.clone(),
        name: p.name.clone(),
        kind: p.kind.clone(),
        kind_label: PARTY_KINDS.iter().find(|(k, _)| *k == p.kind).map(|(_, l)| l.to_string()).unwrap_or_else(|| p.kind.clone()),
        contact: p.contact.clone(),
        address: p.address.clone(),
        email: p.email.clone(),
        payment_terms: p.payment_terms.clone(),
        terms_label: terms_label(&p.payment_terms),
        late_rate_basis_points: p.late_rate_basis_points,
        late_flat_fee_cents: p.late_flat_fee_cents,
        late_grace_days: p.late_grace_days,
        late_minimum_cents: p.late_minimum_cents,
        late_charge_policy: policy.terms_text(),
        has_late_charge_policy: policy.is_active(),
    }
}

fn payment_view(p: &InvoicePaymentRow) -> InvoicePaymentView {
    InvoicePaymentView {
        id: p.id.clone(),
        invoice_id: p.invoice_id.clone(),
        receipt_number: p.receipt_number,
        payment_date: p.payment_date.clone(),
        method: p.method.clone(),
        method_label: PAYMENT_METHODS.iter().find(|(m, _)| *m == p.method).map(|(_, l)| l.to_string()).unwrap_or_else(|| p.method.clone()),
        reference: p.reference.clone(),
        amount_cents: p.amount_cents,
        amount: money(p.amount_cents),
        journal_entry_id: p.journal_entry_id.clone(),
        received_at: p.received_at.clone(),
    }
}

fn charge_view(c: &LateChargeRow) -> LateChargeView {
    LateChargeView {
        id: c.id.clone(),
        invoice_id: c.invoice_id.clone(),
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
        reversal_entry_id: c.reversal_entry_id.clone(),
    }
}

fn invoice_view(
    i: &InvoiceRow,
    party_name: &str,
    payments: &[&InvoicePaymentRow],
    charges: &[&LateChargeRow],
    lines: Vec<InvoiceLineView>,
    today: NaiveDate,
) -> InvoiceView {
    let a = amounts(i, payments, charges, today);
    let days_past_due = match parse_day(&i.due_date) {
        Ok(due) if a.balance_cents > 0 && i.status != "void" => (today - due).num_days().max(0),
        _ => 0,
    };
    // The column of the oldest item still open.
    let aging_bucket = Bucket::ALL.iter().rev().copied().find(|b| a.aging.bucket_cents(*b) > 0).map(|b| bucket_key(b).to_string());
    InvoiceView {
        id: i.id.clone(),
        number: invoice_number_text(i.invoice_number),
        invoice_number: i.invoice_number,
        third_party_id: i.third_party_id.clone(),
        third_party_name: party_name.to_string(),
        invoice_date: i.invoice_date.clone(),
        due_date: i.due_date.clone(),
        payment_terms: i.payment_terms.clone(),
        terms_label: terms_label(&i.payment_terms),
        memo: i.memo.clone(),
        total_cents: i.total_cents,
        late_charges_cents: a.late_charges_cents,
        paid_cents: a.paid_cents,
        balance_cents: a.balance_cents,
        status: i.status.clone(),
        status_label: status_label(&i.status),
        days_past_due,
        aging_bucket,
        journal_entry_id: i.journal_entry_id.clone(),
        void_date: i.void_date.clone(),
        void_reason: i.void_reason.clone(),
        void_entry_id: i.void_entry_id.clone(),
        lines,
        payments: payments.iter().map(|p| payment_view(p)).collect(),
        late_charges: charges.iter().map(|c| charge_view(c)).collect(),
    }
}

fn optional_text(field: &str, text: &str, max: usize, errors: &mut ValidationErrors) -> Option<String> {
    let value = clean(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add(field, format!("at most {max} characters"));
    }
    value
}

/// A non-negative amount typed as money (blank: zero).
fn optional_cents(field: &str, text: &str, what: &str, errors: &mut ValidationErrors) -> i64 {
    if text.trim().is_empty() {
        return 0;
    }
    match Money::parse(text) {
        Ok(m) if m.cents() < 0 => {
            errors.add(field, format!("{what} cannot be negative"));
            0
        }
        Ok(m) if m.cents() > MAX_INVOICE_CENTS => {
            errors.add(field, format!("{what} is too large"));
            0
        }
        Ok(m) => m.cents(),
        Err(e) => {
            errors.add(field, format!("{what}: {e}"));
            0
        }
    }
}

/// A party's fields as typed, checked: every field at fault named at once.
fn checked_party(actor: &Actor, input: &ThirdPartyInput) -> Result<ThirdPartyRow> {
    let mut errors = ValidationErrors::new();
    let name = clean(&input.name);
    match &name {
        None => errors.add("name", "enter the party's name (the employer, school, attorney or practice)"),
        Some(n) if n.chars().count() > 100 => errors.add("name", "at most 100 characters"),
        Some(_) => {}
    }
    let kind = input.kind.trim().to_ascii_lowercase();
    if !PARTY_KINDS.iter().any(|(k, _)| *k == kind) {
        errors.add("kind", "choose employer, school, attorney, practice or other");
    }
    let contact = optional_text("contact", &input.contact, 200, &mut errors);
    let address = optional_text("address", &input.address, 500, &mut errors);
    let email = optional_text("email", &input.email, 254, &mut errors);
    if let Some(e) = &email
        && let Err(message) = medoffice_domain::patients::Email::parse(e)
    {
        errors.add("email", message);
    }
    let terms_text = if input.payment_terms.trim().is_empty() { "net_30" } else { input.payment_terms.as_str() };
    let terms = errors.check("payment_terms", PaymentTerms::parse(terms_text));
    // A percent with at most two decimals is a whole number of basis points, read as cents are.
    let rate = optional_cents("late_rate_percent", &input.late_rate_percent, "the rate", &mut errors);
    if rate > 2_500 {
        errors.add("late_rate_percent", "at most 25% a month");
    }
    let flat = optional_cents("late_flat_fee", &input.late_flat_fee, "the fee", &mut errors);
    let minimum = optional_cents("late_minimum_balance", &input.late_minimum_balance, "the minimum balance", &mut errors);
    let grace = match input.late_grace_days.trim() {
        "" => 0,
        t => match t.parse::<i64>() {
            Ok(n) if (0..=365).contains(&n) => n,
            _ => {
                errors.add("late_grace_days", "a number of days from 0 to 365");
                0
            }
        },
    };
    let (Some(name), Some(terms)) = (name, terms) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(ThirdPartyRow {
        practice_id: actor.practice_id.clone(),
        id: String::new(),
        name,
        kind,
        contact,
        address,
        email,
        payment_terms: terms.as_text(),
        late_rate_basis_points: rate,
        late_flat_fee_cents: flat,
        late_grace_days: grace,
        late_minimum_cents: minimum,
        created_at: String::new(),
        updated_at: String::new(),
    })
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

impl App {
    /// Adds a bill-to party.
    pub async fn add_third_party(&self, actor: &Actor, input: &ThirdPartyInput) -> Result<ThirdPartyView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let fields = checked_party(actor, input)?;
        let now = self.now_text();
        let row = ThirdPartyRow { id: new_id(), created_at: now.clone(), updated_at: now, ..fields };
        let mut tx = self.store.begin().await?;
        store::insert_third_party(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.party.add",
                patient_id: None,
                record_type: "third_party",
                record_id: Some(&row.id),
                detail: format!("{} ({}, {})", row.name, row.kind, row.payment_terms),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(party_view(&row))
    }

    /// Changes a party's fields. Issued invoices keep the terms they were issued with; the
    /// late-charge policy in force is the party's current one.
    pub async fn update_third_party(&self, actor: &Actor, id: &str, input: &ThirdPartyInput) -> Result<ThirdPartyView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let fields = checked_party(actor, input)?;
        let mut tx = self.store.begin().await?;
        let old = store::get_third_party(&mut tx, &actor.practice_id, id).await?;
        let row = ThirdPartyRow { id: old.id.clone(), created_at: old.created_at.clone(), updated_at: self.now_text(), ..fields };
        store::update_third_party(&mut tx, &row).await?;
        let mut changed = Vec::new();
        for (field, before, after) in [
            ("name", old.name.clone(), row.name.clone()),
            ("kind", old.kind.clone(), row.kind.clone()),
            ("contact", old.contact.clone().unwrap_or_default(), row.contact.clone().unwrap_or_default()),
            ("address", old.address.clone().unwrap_or_default(), row.address.clone().unwrap_or_default()),
            ("email", old.email.clone().unwrap_or_default(), row.email.clone().unwrap_or_default()),
            ("payment_terms", old.payment_terms.clone(), row.payment_terms.clone()),
        ] {
            if before != after {
                changed.push(field);
            }
        }
        if policy_of(&old) != policy_of(&row) {
            changed.push("late_charge_policy");
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.party.update",
                patient_id: None,
                record_type: "third_party",
                record_id: Some(&row.id),
                detail: format!("{}: changed {}", row.name, if changed.is_empty() { "nothing".to_string() } else { changed.join(", ") }),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(party_view(&row))
    }

    /// The bill-to parties by name.
    pub async fn third_parties(&self, actor: &Actor) -> Result<Vec<ThirdPartyView>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_third_parties(&mut tx, &actor.practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.party.list",
                patient_id: None,
                record_type: "third_party",
                record_id: None,
                detail: format!("{} parties", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(party_view).collect())
    }

    /// One bill-to party.
    pub async fn third_party(&self, actor: &Actor, id: &str) -> Result<ThirdPartyView> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_third_party(&mut tx, &actor.practice_id, id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.party.read",
                patient_id: None,
                record_type: "third_party",
                record_id: Some(id),
                detail: row.name.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(party_view(&row))
    }

    /// Issues an invoice and posts its entry (Dr AR - Other, Cr Other service revenue) in one
    /// transaction. The number is the practice's next (`INV-000123`); the due date follows from
    /// the party's terms.
    pub async fn create_invoice(&self, actor: &Actor, input: &NewInvoiceInput) -> Result<InvoiceView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let invoice_date = if input.invoice_date.trim().is_empty() {
            Some(today)
        } else {
            match parse_day(&input.invoice_date) {
                Ok(d) if d > today => {
                    errors.add("invoice_date", "an invoice cannot be dated in the future");
                    None
                }
                Ok(d) => Some(d),
                Err(m) => {
                    errors.add("invoice_date", m);
                    None
                }
            }
        };
        let memo = optional_text("memo", &input.memo, 500, &mut errors);
        let mut lines: Vec<(String, Option<String>, i64)> = Vec::new();
        let mut total: i64 = 0;
        for (i, l) in input.lines.iter().enumerate() {
            if [&l.description, &l.service_date, &l.amount].iter().all(|s| s.trim().is_empty()) {
                continue;
            }
            let description = clean(&l.description);
            match &description {
                None => errors.add(&format!("lines[{i}].description"), "say what the line is for"),
                Some(d) if d.chars().count() > 200 => errors.add(&format!("lines[{i}].description"), "at most 200 characters"),
                Some(_) => {}
            }
            let service_date = match l.service_date.trim() {
                "" => None,
                t => match parse_day(t) {
                    Ok(d) if d > today => {
                        errors.add(&format!("lines[{i}].service_date"), "a date of service cannot be in the future");
                        None
                    }
                    Ok(d) => Some(day(d)),
                    Err(m) => {
                        errors.add(&format!("lines[{i}].service_date"), m);
                        None
                    }
                },
            };
            let amount = match Money::parse(&l.amount) {
                Ok(m) if m.cents() <= 0 => {
                    errors.add(&format!("lines[{i}].amount"), "enter an amount above zero");
                    0
                }
                Ok(m) if m.cents() > MAX_INVOICE_CENTS => {
                    errors.add(&format!("lines[{i}].amount"), format!("at most {} a line", money(MAX_INVOICE_CENTS)));
                    0
                }
                Ok(m) => m.cents(),
                Err(e) => {
                    errors.add(&format!("lines[{i}].amount"), e);
                    0
                }
            };
            total = total.saturating_add(amount);
            lines.push((description.unwrap_or_default(), service_date, amount));
        }
        if lines.is_empty() {
            errors.add("lines", "an invoice needs at least one line");
        } else if lines.len() > MAX_INVOICE_LINES {
            errors.add("lines", format!("at most {MAX_INVOICE_LINES} lines"));
        } else if total > MAX_INVOICE_CENTS {
            errors.add("lines", format!("an invoice is at most {}", money(MAX_INVOICE_CENTS)));
        }
        let mut tx = self.store.begin().await?;
        let party = match store::get_third_party(&mut tx, &actor.practice_id, input.third_party_id.trim()).await {
            Ok(p) => Some(p),
            Err(StoreError::NotFound(_)) => {
                errors.add("third_party_id", "choose who the invoice is to");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let (Some(party), Some(invoice_date)) = (party, invoice_date) else {
            return Err(errors.into());
        };
        // Terms are parsed before they are stored, so this fails only on a corrupted row.
        let terms =
            PaymentTerms::parse(&party.payment_terms).map_err(|e| StoreError::Corrupt(format!("third party {} terms: {e}", party.id)))?;
        let Some(due_date) = terms.due_date(invoice_date) else {
            errors.add("invoice_date", "the due date falls past the calendar's end");
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let id = new_id();
        let number = next_counter(&mut tx, &actor.practice_id, "invoice").await?;
        let number_text = invoice_number_text(number);
        // product.md: a third-party invoice debits AR - Other and credits Other service revenue.
        let memo_text = format!("Invoice {number_text} to {}", party.name);
        let posted = self
            .post_entry(
                &mut tx,
                &actor.practice_id,
                &NewEntry {
                    date: Some(invoice_date),
                    memo: memo_text.clone(),
                    source_kind: SOURCE_INVOICE.to_string(),
                    source_id: Some(id.clone()),
                    idempotency_key: Some(format!("invoice:{id}")),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine { memo: Some(memo_text.clone()), ..NewLine::debit(accounts::AR_OTHER, total) },
                        NewLine { memo: Some(memo_text), ..NewLine::credit(accounts::OTHER_SERVICE_REVENUE, total) },
                    ],
                },
            )
            .await
            .map_err(|e| rename_date(e, "invoice_date"))?;
        let row = InvoiceRow {
            practice_id: actor.practice_id.clone(),
            id: id.clone(),
            third_party_id: party.id.clone(),
            invoice_number: number,
            invoice_date: day(invoice_date),
            due_date: day(due_date),
            payment_terms: party.payment_terms.clone(),
            memo,
            total_cents: total,
            status: "open".into(),
            journal_entry_id: posted.entry.id.clone(),
            void_date: None,
            void_reason: None,
            void_entry_id: None,
            voided_by: None,
            created_by: actor.user_id.clone(),
            created_at: self.now_text(),
        };
        let line_rows: Vec<InvoiceLineRow> = lines
            .into_iter()
            .enumerate()
            .map(|(i, (description, service_date, amount_cents))| InvoiceLineRow {
                practice_id: actor.practice_id.clone(),
                invoice_id: id.clone(),
                line_number: i as i64 + 1,
                description,
                service_date,
                amount_cents,
            })
            .collect();
        store::insert_invoice(&mut tx, &row, &line_rows).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.invoice.create",
                patient_id: None,
                record_type: "invoice",
                record_id: Some(&id),
                detail: format!("{number_text} to {} {} due {}", party.name, money(total), row.due_date),
            },
        )
        .await?;
        let view = self.invoice_in(&mut tx, &actor.practice_id, &id, today).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// One invoice whole (lines, payments, late charges), read inside the caller's transaction.
    async fn invoice_in(&self, conn: &mut Connection, practice_id: &str, id: &str, today: NaiveDate) -> Result<InvoiceView> {
        let row = store::get_invoice(conn, practice_id, id).await?;
        let party = store::get_third_party(conn, practice_id, &row.third_party_id).await?;
        let payments = store::payments_of_invoice(conn, practice_id, id).await?;
        let charges = store::late_charges_of_invoice(conn, practice_id, id).await?;
        let lines = store::invoice_lines(conn, practice_id, id)
            .await?
            .into_iter()
            .map(|l| InvoiceLineView {
                line_number: l.line_number,
                description: l.description,
                service_date: l.service_date,
                amount_cents: l.amount_cents,
                amount: money(l.amount_cents),
            })
            .collect();
        let p: Vec<&InvoicePaymentRow> = payments.iter().collect();
        let c: Vec<&LateChargeRow> = charges.iter().collect();
        Ok(invoice_view(&row, &party.name, &p, &c, lines, today))
    }

    /// One invoice with its lines, payments and late charges. Audited as a read.
    pub async fn invoice(&self, actor: &Actor, id: &str) -> Result<InvoiceView> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let view = self.invoice_in(&mut tx, &actor.practice_id, id, today).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.invoice.read",
                patient_id: None,
                record_type: "invoice",
                record_id: Some(id),
                detail: format!("{} to {}", view.number, view.third_party_name),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The invoices, newest first, filtered by status, party and aging column. Audited as a read.
    pub async fn invoices(&self, actor: &Actor, query: &InvoiceQuery) -> Result<Vec<InvoiceView>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let status = query.status.trim();
        if !matches!(status, "" | "open" | "partially_paid" | "paid" | "void") {
            return Err(ValidationErrors::single("status", "use open, partially_paid, paid or void").into());
        }
        let bucket = match query.aging.trim() {
            "" => None,
            t => match Bucket::ALL.iter().find(|b| bucket_key(**b) == t) {
                Some(b) => Some(*b),
                None => {
                    return Err(ValidationErrors::single("aging", "use current, days31_to60, days61_to90, days91_to120 or over120").into());
                }
            },
        };
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let party = Some(query.third_party_id.trim()).filter(|p| !p.is_empty());
        let rows = store::list_invoices(&mut tx, practice_id, party).await?;
        let views = self.invoice_views_of(&mut tx, practice_id, &rows, today).await?;
        let views: Vec<InvoiceView> = views
            .into_iter()
            .filter(|v| match status {
                "" => true,
                "open" => v.status == "open" || v.status == "partially_paid",
                s => v.status == s,
            })
            .filter(|v| bucket.is_none_or(|b| v.aging_bucket.as_deref() == Some(bucket_key(b))))
            .collect();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.invoice.list",
                patient_id: None,
                record_type: "invoice",
                record_id: None,
                detail: format!("{} invoices (status '{status}', aging '{}')", views.len(), query.aging.trim()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(views)
    }

    /// Views of many invoices with three reads (parties, payments, late charges), not three each.
    async fn invoice_views_of(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        rows: &[InvoiceRow],
        today: NaiveDate,
    ) -> Result<Vec<InvoiceView>> {
        let parties: HashMap<String, String> =
            store::list_third_parties(conn, practice_id).await?.into_iter().map(|p| (p.id, p.name)).collect();
        let payments = store::all_payments(conn, practice_id).await?;
        let charges = store::all_late_charges(conn, practice_id).await?;
        let mut payments_of: HashMap<&str, Vec<&InvoicePaymentRow>> = HashMap::new();
        for p in &payments {
            payments_of.entry(p.invoice_id.as_str()).or_default().push(p);
        }
        let mut charges_of: HashMap<&str, Vec<&LateChargeRow>> = HashMap::new();
        for c in &charges {
            charges_of.entry(c.invoice_id.as_str()).or_default().push(c);
        }
        Ok(rows
            .iter()
            .map(|r| {
                invoice_view(
                    r,
                    parties.get(&r.third_party_id).map(String::as_str).unwrap_or(""),
                    payments_of.get(r.id.as_str()).map(Vec::as_slice).unwrap_or(&[]),
                    charges_of.get(r.id.as_str()).map(Vec::as_slice).unwrap_or(&[]),
                    Vec::new(),
                    today,
                )
            })
            .collect())
    }

    /// Receives a payment on an invoice (Dr Undeposited funds, Cr AR - Other), at most its
    /// balance, with a receipt number; the invoice becomes partially paid or paid.
    pub async fn pay_invoice(&self, actor: &Actor, invoice_id: &str, input: &InvoicePaymentInput) -> Result<InvoicePaymentView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let amount = match Money::parse(&input.amount) {
            Ok(m) if m.cents() <= 0 => {
                errors.add("amount", "the amount must be more than zero");
                0
            }
            Ok(m) => m.cents(),
            Err(_) => {
                errors.add("amount", "enter the amount received, e.g. 120.00");
                0
            }
        };
        let method = input.method.trim().to_ascii_lowercase();
        if !PAYMENT_METHODS.iter().any(|(m, _)| *m == method) {
            errors.add("method", "choose how it was paid: check, ach or card");
        }
        let reference = input.reference.trim().to_string();
        if reference.is_empty() {
            errors.add("reference", "enter the check number, the ACH trace number or the card processor's reference");
        } else if reference.chars().count() > 40 {
            errors.add("reference", "at most 40 characters");
        } else if longest_digit_run(&reference) >= 12 && method == "card" {
            errors.add("reference", "enter the processor's reference number, never the card number");
        }
        let payment_date = if input.payment_date.trim().is_empty() {
            Some(today)
        } else {
            match parse_day(&input.payment_date) {
                Ok(d) if d > today => {
                    errors.add("payment_date", "a payment cannot be dated in the future");
                    None
                }
                Ok(d) => Some(d),
                Err(m) => {
                    errors.add("payment_date", m);
                    None
                }
            }
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        store::lock_invoice(&mut tx, practice_id, invoice_id).await?;
        let invoice = self.invoice_in(&mut tx, practice_id, invoice_id, today).await?;
        if invoice.is_void() {
            return Err(AppError::Conflict(format!("{} is void; it takes no payment", invoice.number)));
        }
        if let Some(d) = payment_date
            && day(d) < invoice.invoice_date
        {
            errors.add("payment_date", format!("the payment cannot be before the invoice's date ({})", invoice.invoice_date));
        }
        if amount > 0 && amount > invoice.balance_cents {
            errors.add("amount", format!("at most the balance due, {}", invoice.balance()));
        }
        let Some(payment_date) = payment_date else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let id = new_id();
        let receipt_number = next_counter(&mut tx, practice_id, "invoice_receipt").await?;
        let memo = format!("Payment on {} from {} ({} {})", invoice.number, invoice.third_party_name, method, reference);
        // product.md: money received debits Undeposited funds and credits the receivable.
        let posted = self
            .post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(payment_date),
                    memo: memo.clone(),
                    source_kind: SOURCE_INVOICE_PAYMENT.to_string(),
                    source_id: Some(id.clone()),
                    idempotency_key: Some(format!("invoice_payment:{id}")),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine { memo: Some(memo.clone()), ..NewLine::debit(accounts::UNDEPOSITED_FUNDS, amount) },
                        NewLine { memo: Some(memo), ..NewLine::credit(accounts::AR_OTHER, amount) },
                    ],
                },
            )
            .await
            .map_err(|e| rename_date(e, "payment_date"))?;
        let row = InvoicePaymentRow {
            practice_id: practice_id.to_string(),
            id: id.clone(),
            invoice_id: invoice_id.to_string(),
            receipt_number,
            payment_date: day(payment_date),
            method: method.clone(),
            reference,
            amount_cents: amount,
            journal_entry_id: posted.entry.id.clone(),
            received_by: actor.user_id.clone(),
            received_at: self.now_text(),
        };
        store::insert_payment(&mut tx, &row).await?;
        self.refresh_invoice_status(&mut tx, practice_id, invoice_id, today).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.payment.create",
                patient_id: None,
                record_type: "invoice_payment",
                record_id: Some(&id),
                detail: format!("receipt {receipt_number}: {} on {} ({method})", money(amount), invoice.number),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(payment_view(&row))
    }

    /// Sets an invoice's status from what is paid now.
    async fn refresh_invoice_status(&self, conn: &mut Connection, practice_id: &str, invoice_id: &str, today: NaiveDate) -> Result<()> {
        let row = store::get_invoice(conn, practice_id, invoice_id).await?;
        let payments = store::payments_of_invoice(conn, practice_id, invoice_id).await?;
        let charges = store::late_charges_of_invoice(conn, practice_id, invoice_id).await?;
        let p: Vec<&InvoicePaymentRow> = payments.iter().collect();
        let c: Vec<&LateChargeRow> = charges.iter().collect();
        // The balance of every row, whatever its date (the last day `YYYY-MM-DD` can write).
        let a = amounts(&row, &p, &c, NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(today));
        let status = status_after(&row, a.paid_cents, a.balance_cents);
        if status != row.status {
            store::set_invoice_status(conn, practice_id, invoice_id, status).await?;
        }
        Ok(())
    }

    /// Voids an invoice: its entry reversed (dated today), and the late charges still standing
    /// reversed with it. Refused once a payment was applied (`Conflict`), or without a reason.
    pub async fn void_invoice(&self, actor: &Actor, invoice_id: &str, reason: &str) -> Result<InvoiceView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let Some(reason) = clean(reason) else {
            return Err(ValidationErrors::single("reason", "say why the invoice is voided").into());
        };
        if reason.chars().count() > 200 {
            return Err(ValidationErrors::single("reason", "at most 200 characters").into());
        }
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        store::lock_invoice(&mut tx, practice_id, invoice_id).await?;
        let invoice = store::get_invoice(&mut tx, practice_id, invoice_id).await?;
        if invoice.status == "void" {
            return Err(AppError::Conflict(format!("{} is void already", invoice_number_text(invoice.invoice_number))));
        }
        if !store::payments_of_invoice(&mut tx, practice_id, invoice_id).await?.is_empty() {
            return Err(AppError::Conflict(format!(
                "{} has payments applied; it cannot be voided",
                invoice_number_text(invoice.invoice_number)
            )));
        }
        let number = invoice_number_text(invoice.invoice_number);
        let void_date = today.max(parse_day(&invoice.invoice_date).unwrap_or(today));
        let entry = self
            .post_invoice_reversal(
                &mut tx,
                practice_id,
                &invoice.journal_entry_id,
                void_date,
                &format!("Void of {number}: {reason}"),
                &actor.user_id,
            )
            .await?;
        for c in store::late_charges_of_invoice(&mut tx, practice_id, invoice_id).await? {
            if c.reversal_entry_id.is_some() {
                continue;
            }
            let date = void_date.max(parse_day(&c.charge_date).unwrap_or(void_date));
            let memo = format!("Late charge on {number} reversed: invoice voided");
            let rev = self.post_invoice_reversal(&mut tx, practice_id, &c.journal_entry_id, date, &memo, &actor.user_id).await?;
            store::reverse_late_charge(&mut tx, practice_id, &c.id, &day(date), "invoice voided", &rev, &actor.user_id).await?;
        }
        store::void_invoice(&mut tx, practice_id, invoice_id, &day(void_date), &reason, &entry, &actor.user_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.invoice.void",
                patient_id: None,
                record_type: "invoice",
                record_id: Some(invoice_id),
                detail: format!("{number} voided: {reason}"),
            },
        )
        .await?;
        let view = self.invoice_in(&mut tx, practice_id, invoice_id, today).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Posts the reversal of an entry (sides swapped, linked, key `reversal:<entry>`) inside the
    /// caller's transaction and answers the reversal's id.
    async fn post_invoice_reversal(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        entry_id: &str,
        date: NaiveDate,
        memo: &str,
        posted_by: &str,
    ) -> Result<String> {
        let lines = ledger_store::lines_of_entry(conn, practice_id, entry_id).await?;
        let chart = ledger_store::list_accounts(conn, practice_id).await?;
        let number_of: HashMap<&str, &str> = chart.iter().map(|a| (a.id.as_str(), a.number.as_str())).collect();
        let posted = self
            .post_entry(
                conn,
                practice_id,
                &NewEntry {
                    date: Some(date),
                    memo: memo.to_string(),
                    source_kind: SOURCE_REVERSAL.to_string(),
                    source_id: Some(entry_id.to_string()),
                    idempotency_key: Some(format!("reversal:{entry_id}")),
                    reversal_of: Some(entry_id.to_string()),
                    posted_by: posted_by.to_string(),
                    lines: lines
                        .iter()
                        .map(|l| NewLine {
                            account: number_of.get(l.account_id.as_str()).map(|n| n.to_string()).unwrap_or_default(),
                            debit_cents: l.credit_cents,
                            credit_cents: l.debit_cents,
                            memo: Some(memo.to_string()),
                            patient_id: l.patient_id.clone(),
                            payer_id: l.payer_id.clone(),
                            vendor_id: l.vendor_id.clone(),
                            claim_id: l.claim_id.clone(),
                        })
                        .collect(),
                },
            )
            .await?;
        Ok(posted.entry.id)
    }

    /// Reverses one late charge (Dr Finance charge income, Cr AR - Other), dated today, with a
    /// reason. The charge's row stays, so the next one still waits its 30 days.
    pub async fn reverse_invoice_late_charge(&self, actor: &Actor, charge_id: &str, reason: &str) -> Result<LateChargeView> {
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
        store::lock_invoice(&mut tx, practice_id, &charge.invoice_id).await?;
        let charge = store::get_late_charge(&mut tx, practice_id, charge_id).await?;
        if charge.reversal_entry_id.is_some() {
            return Err(AppError::Conflict("this late charge was reversed already".into()));
        }
        let invoice = store::get_invoice(&mut tx, practice_id, &charge.invoice_id).await?;
        let number = invoice_number_text(invoice.invoice_number);
        let date = today.max(parse_day(&charge.charge_date).unwrap_or(today));
        let memo = format!("Late charge on {number} of {} reversed: {reason}", charge.charge_date);
        let entry = self.post_invoice_reversal(&mut tx, practice_id, &charge.journal_entry_id, date, &memo, &actor.user_id).await?;
        store::reverse_late_charge(&mut tx, practice_id, charge_id, &day(date), &reason, &entry, &actor.user_id).await?;
        self.refresh_invoice_status(&mut tx, practice_id, &invoice.id, today).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.late_charge.reverse",
                patient_id: None,
                record_type: "invoice_late_charge",
                record_id: Some(charge_id),
                detail: format!("{} on {number} reversed: {reason}", money(charge.amount_cents)),
            },
        )
        .await?;
        let charge = store::get_late_charge(&mut tx, practice_id, charge_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(charge_view(&charge))
    }

    /// Charges late fees as of `as_of` on every invoice past due by more than its party's grace
    /// days, under the party's policy: at most one charge per invoice in 30 days, so a second run
    /// the same day (or within the month) charges nothing. One transaction per invoice.
    pub async fn apply_invoice_late_charges(&self, actor: &Actor, as_of: NaiveDate) -> Result<LateChargeRun> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        self.invoice_late_charges_run(&actor.practice_id, as_of, Runner::User(actor)).await
    }

    /// The same for the database's one practice from the command line (`medoffice invoices
    /// late-charges`, for cron): as of `as_of` (`YYYY-MM-DD`; today in the practice's time zone
    /// when `None`), audited as the command line.
    pub async fn apply_invoice_late_charges_offline(&self, as_of: Option<&str>) -> Result<LateChargeRun> {
        let practice = self.only_practice().await?;
        let as_of = match as_of {
            Some(text) => parse_day(text).map_err(|m| ValidationErrors::single("date", m))?,
            None => self.now().with_timezone(&practice.timezone.parse().unwrap_or(chrono_tz::America::New_York)).date_naive(),
        };
        self.invoice_late_charges_run(&practice.id, as_of, Runner::CommandLine).await
    }

    /// The invoices' late charges of one practice as of its own today, for the server's hourly
    /// job (audited as the command line).
    pub(crate) async fn invoice_late_charges_today(&self, practice: &medoffice_store::practice::PracticeRow) -> Result<LateChargeRun> {
        let as_of = self.now().with_timezone(&practice.timezone.parse().unwrap_or(chrono_tz::America::New_York)).date_naive();
        self.invoice_late_charges_run(&practice.id, as_of, Runner::CommandLine).await
    }

    async fn invoice_late_charges_run(&self, practice_id: &str, as_of: NaiveDate, runner: Runner<'_>) -> Result<LateChargeRun> {
        let as_of_text = day(as_of);
        let mut tx = self.store.begin().await?;
        let candidates: Vec<InvoiceRow> = store::list_invoices(&mut tx, practice_id, None)
            .await?
            .into_iter()
            .filter(|i| i.status != "void" && i.status != "paid" && i.due_date < as_of_text)
            .collect();
        tx.commit().await.map_err(StoreError::from)?;
        let mut run = LateChargeRun { as_of: as_of_text.clone(), charged: 0, total_cents: 0, charges: Vec::new() };
        for candidate in candidates {
            let mut tx = self.store.begin().await?;
            store::lock_invoice(&mut tx, practice_id, &candidate.id).await?;
            // Read again under the lock: a payment or another run may have come meanwhile.
            let invoice = store::get_invoice(&mut tx, practice_id, &candidate.id).await?;
            let party = store::get_third_party(&mut tx, practice_id, &invoice.third_party_id).await?;
            let policy = policy_of(&party);
            let charges = store::late_charges_of_invoice(&mut tx, practice_id, &invoice.id).await?;
            let recent =
                charges.iter().any(|c| parse_day(&c.charge_date).is_ok_and(|d| (as_of - d).num_days().abs() < LATE_CHARGE_INTERVAL_DAYS));
            if invoice.status == "void" || !policy.is_active() || recent {
                continue;
            }
            let payments = store::payments_of_invoice(&mut tx, practice_id, &invoice.id).await?;
            let p: Vec<&InvoicePaymentRow> = payments.iter().collect();
            let c: Vec<&LateChargeRow> = charges.iter().collect();
            let balance = amounts(&invoice, &p, &c, as_of).balance_cents;
            let Ok(due) = parse_day(&invoice.due_date) else { continue };
            let days_past_due = (as_of - due).num_days();
            let cents = policy.charge_cents(balance, days_past_due);
            if cents <= 0 {
                continue;
            }
            let id = new_id();
            let number = invoice_number_text(invoice.invoice_number);
            let memo = format!("Late charge on {number} ({} past due {days_past_due} days) to {}", money(balance), party.name);
            let posted_by = match runner {
                Runner::User(actor) => actor.user_id.clone(),
                Runner::CommandLine => LATE_CHARGE_POSTER.to_string(),
            };
            // product.md: a late charge debits the receivable and credits Finance charge income.
            let posted = self
                .post_entry(
                    &mut tx,
                    practice_id,
                    &NewEntry {
                        date: Some(as_of),
                        memo: memo.clone(),
                        source_kind: SOURCE_INVOICE_LATE_CHARGE.to_string(),
                        source_id: Some(id.clone()),
                        idempotency_key: Some(format!("invoice_late_charge:{}:{as_of_text}", invoice.id)),
                        reversal_of: None,
                        posted_by: posted_by.clone(),
                        lines: vec![
                            NewLine { memo: Some(memo.clone()), ..NewLine::debit(accounts::AR_OTHER, cents) },
                            NewLine { memo: Some(memo), ..NewLine::credit(accounts::FINANCE_CHARGE_INCOME, cents) },
                        ],
                    },
                )
                .await;
            let posted = match posted {
                Ok(p) if p.already_posted => continue,
                Ok(p) => p,
                // A closed month: nothing charged for this invoice, the run goes on.
                Err(AppError::Validation(_)) => continue,
                Err(e) => return Err(e),
            };
            let row = LateChargeRow {
                practice_id: practice_id.to_string(),
                id: id.clone(),
                invoice_id: invoice.id.clone(),
                charge_date: as_of_text.clone(),
                amount_cents: cents,
                past_due_cents: balance,
                days_past_due,
                journal_entry_id: posted.entry.id.clone(),
                reversal_date: None,
                reversal_reason: None,
                reversal_entry_id: None,
                reversed_by: None,
                created_at: self.now_text(),
            };
            store::insert_late_charge(&mut tx, &row).await?;
            let note = AuditNote {
                action: "invoices.late_charge.create",
                patient_id: None,
                record_type: "invoice_late_charge",
                record_id: Some(&id),
                detail: format!("{} on {number} as of {as_of_text}", money(cents)),
            };
            match runner {
                Runner::User(actor) => self.audit(&mut tx, actor, note).await?,
                Runner::CommandLine => self.audit_invoice_command_line(&mut tx, practice_id, note).await?,
            }
            tx.commit().await.map_err(StoreError::from)?;
            run.charged += 1;
            run.total_cents += cents;
            run.charges.push(charge_view(&row));
        }
        Ok(run)
    }

    async fn audit_invoice_command_line(&self, conn: &mut Connection, practice_id: &str, note: AuditNote<'_>) -> Result<()> {
        self.append_audit(
            conn,
            medoffice_store::audit::NewAuditEvent {
                practice_id: practice_id.to_string(),
                at: self.now_text(),
                user_id: None,
                username: "(command line)".to_string(),
                action: note.action.to_string(),
                patient_id: None,
                record_type: note.record_type.to_string(),
                record_id: note.record_id.map(str::to_string),
                ip: None,
                outcome: "success".to_string(),
                detail: note.detail,
            },
        )
        .await?;
        Ok(())
    }

    /// The aging of AR - Other by party as of a day (today when `None`), with the 1120 balance
    /// from the journal: the two are equal when every posting to 1120 came from an invoice.
    pub async fn invoice_aging(&self, actor: &Actor, as_of: Option<NaiveDate>) -> Result<InvoiceAging> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let as_of = as_of.unwrap_or_else(|| actor.today(self.now()));
        let as_of_text = day(as_of);
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let parties = store::list_third_parties(&mut tx, practice_id).await?;
        let invoices = store::list_invoices(&mut tx, practice_id, None).await?;
        let payments = store::all_payments(&mut tx, practice_id).await?;
        let charges = store::all_late_charges(&mut tx, practice_id).await?;
        let ledger_balance = store::account_balance(&mut tx, practice_id, accounts::AR_OTHER, &as_of_text).await?;
        let mut by_party: HashMap<&str, Aging> = HashMap::new();
        for i in &invoices {
            let p: Vec<&InvoicePaymentRow> = payments.iter().filter(|p| p.invoice_id == i.id).collect();
            let c: Vec<&LateChargeRow> = charges.iter().filter(|c| c.invoice_id == i.id).collect();
            let a = amounts(i, &p, &c, as_of).aging;
            by_party.entry(i.third_party_id.as_str()).or_default().add(&a);
        }
        let mut totals = Aging::default();
        let mut rows = Vec::new();
        for p in &parties {
            let Some(a) = by_party.get(p.id.as_str()) else { continue };
            if a.total_cents() == 0 && a.credit_cents == 0 {
                continue;
            }
            totals.add(a);
            rows.push(PartyAgingRow {
                third_party_id: p.id.clone(),
                name: p.name.clone(),
                buckets_cents: a.buckets.to_vec(),
                credit_cents: a.credit_cents,
                total_cents: a.total_cents(),
            });
        }
        let total = totals.total_cents();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.aging.read",
                patient_id: None,
                record_type: "invoice",
                record_id: None,
                detail: format!("aging as of {as_of_text}: {} parties, {}, ledger {}", rows.len(), money(total), money(ledger_balance)),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(InvoiceAging {
            as_of: as_of_text,
            basis: AGING_BASIS.to_string(),
            rows,
            totals_cents: totals.buckets.to_vec(),
            credit_cents: totals.credit_cents,
            total_cents: total,
            ledger_balance_cents: ledger_balance,
            difference_cents: total - ledger_balance,
        })
    }

    /// The invoice as a printable PDF (letterhead, remit-to, terms, due date, lines, total,
    /// balance due and the party's late-charge policy). Audited as a read.
    pub async fn invoice_pdf(&self, actor: &Actor, invoice_id: &str) -> Result<(String, Vec<u8>)> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let v = self.invoice_in(&mut tx, practice_id, invoice_id, today).await?;
        let party = store::get_third_party(&mut tx, practice_id, &v.third_party_id).await?;
        let practice = medoffice_store::practice::get(&mut tx, practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "invoices.invoice.pdf",
                patient_id: None,
                record_type: "invoice",
                record_id: Some(invoice_id),
                detail: format!("{} to {}", v.number, v.third_party_name),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let place = [practice.city.clone(), practice.state.clone(), practice.postal_code.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let mut address: Vec<String> = practice.address_line1.iter().cloned().collect();
        if !place.trim().is_empty() {
            address.push(place);
        }
        let mut letterhead = address.clone();
        if let Some(phone) = &practice.phone {
            letterhead.push(format!("Phone {phone}"));
        }
        let mut bill_to = vec![party.name.clone()];
        if let Some(c) = &party.contact {
            bill_to.push(format!("Attn: {c}"));
        }
        bill_to.extend(party.address.iter().flat_map(|a| a.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string)));
        if let Some(e) = &party.email {
            bill_to.push(e.clone());
        }
        let mut remit_to = vec![practice.name.clone()];
        remit_to.extend(address);
        let mut adjustments = Vec::new();
        if v.late_charges_cents > 0 {
            adjustments.push(("Late charges".to_string(), v.late_charges_amount()));
        }
        if v.paid_cents > 0 {
            adjustments.push(("Payments received".to_string(), money(-v.paid_cents)));
        }
        let stamp = match v.status.as_str() {
            "void" => format!("VOID ({})", v.void_reason.clone().unwrap_or_default()),
            "paid" => "PAID - thank you".to_string(),
            _ => String::new(),
        };
        let pdf = medoffice_pdf::invoice::Invoice {
            practice_name: practice.name.clone(),
            practice_lines: letterhead,
            number: v.number.clone(),
            invoice_date: v.invoice_date.clone(),
            due_date: v.due_date.clone(),
            terms: v.terms_label.clone(),
            bill_to,
            remit_to,
            memo: v.memo.clone().unwrap_or_default(),
            lines: v
                .lines
                .iter()
                .map(|l| medoffice_pdf::invoice::InvoiceLine {
                    service_date: l.service_date.clone().unwrap_or_default(),
                    description: l.description.clone(),
                    amount: l.amount.clone(),
                })
                .collect(),
            total: v.total(),
            adjustments,
            balance_due: money(v.balance_cents.max(0)),
            late_charge_policy: policy_of(&party).terms_text(),
            stamp,
            printed_at: self.now().with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M").to_string(),
        };
        Ok((format!("{}.pdf", v.number), medoffice_pdf::invoice::invoice_pdf(&pdf)))
    }
}

/// The query key of an aging column.
pub fn bucket_key(b: Bucket) -> &'static str {
    match b {
        Bucket::Current => "current",
        Bucket::Days31To60 => "days31_to60",
        Bucket::Days61To90 => "days61_to90",
        Bucket::Days91To120 => "days91_to120",
        Bucket::Over120 => "over120",
    }
}

/// The ledger's `date` error under the form's own date field.
fn rename_date(e: AppError, field: &str) -> AppError {
    match e {
        AppError::Validation(mut errors) => {
            for f in &mut errors.errors {
                if f.field == "date" {
                    f.field = field.to_string();
                }
            }
            AppError::Validation(errors)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_numbers_have_six_digits() {
        assert_eq!(invoice_number_text(123), "INV-000123");
        assert_eq!(invoice_number_text(1_234_567), "INV-1234567");
    }

    #[test]
    fn the_printed_policy_leaves_out_insurance() {
        let p = LateChargePolicy { monthly_rate_basis_points: 150, grace_days: 10, ..Default::default() };
        let text = p.terms_text();
        assert!(text.contains("1.5% a month") && text.contains("10 days"), "{text}");
        assert!(!text.contains("insurance"), "{text}");
        assert_eq!(LateChargePolicy::default().terms_text(), "No late charges are added to overdue balances.");
    }

    #[test]
    fn a_card_number_is_a_long_run_of_digits() {
        assert_eq!(longest_digit_run("4111 1111-1111 1111"), 16);
        assert_eq!(longest_digit_run("ACH 0211 2345"), 8);
    }
}
