//! Paying vendors' bills: payment runs, voids, the check register, accounts payable aging and
//! the 1099 totals.
//!
//! A **payment run** ([`App::pay_bills`]) pays bills chosen from the bills-due list in one
//! transaction: one payment per vendor (a check or an ACH transfer that may pay several of the
//! vendor's bills), each with its journal entry posted through [`App::post_entry`] (key
//! `bill_payment:<payment id>`, source kind `bill_payment`):
//!
//! ```text
//! Dr 2000 Accounts payable     what the payment settles, one line per bill (vendor_id on it)
//!     Cr 1000 Cash - Operating     the cash paid (or the chosen cash account)
//!     Cr 6900 Purchase discounts   the early-payment discount, when one is taken
//! ```
//!
//! The amount given per bill is what the payment **settles** of the bill's open balance (never
//! more than it). When it settles the whole balance within the vendor's discount window, the
//! discount (`domain::ledger::bill_payments::discount_cents`) is taken automatically and the cash
//! paid is the balance less the discount. Purchase discounts go to the default chart's 6900
//! *Purchase discounts*, a contra-expense account: the discount lowers what the practice's
//! purchases cost rather than counting as income.
//!
//! A bill's status stays `open` until it is settled in full, then `paid` (the 0010 CHECK allows
//! nothing else); "partially paid" is derived from the applications (see migration 0011).
//! Voiding a payment ([`App::void_bill_payment`]) posts the reversal of its entry through the
//! ledger (key `reversal:<entry id>`, as the journal's own reversal), marks it voided and reopens
//! its bills. Checks are numbered per cash account: the next number offered is one above the
//! highest written on it (counter `check_number:<account>`), and a number is used once.
//!
//! Writing needs [`Action::PostJournal`], reading [`Action::ReadBooks`] (the bookkeeper and the
//! admin; the front desk neither).

use crate::ledger::{NewEntry, NewLine, SOURCE_REVERSAL, ensure_default_chart};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Datelike, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::bill_payments::{
    AgingBucket, FIRST_CHECK_NUMBER, discount_cents, is_cash_account, parse_check_number, reporting_threshold_cents,
};
use medoffice_domain::ledger::terms::PaymentTerms;
use medoffice_domain::ledger::{AccountType, accounts};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::bill_payments::{self as store, ApplicationRow, PayableBillRow, PaymentRow};
use medoffice_store::ledger::{self as ledger_store, AccountRow};
use medoffice_store::payables as payables_store;
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The source kind of a payment's journal entry.
pub const SOURCE_BILL_PAYMENT: &str = "bill_payment";
/// The most bills one payment run pays (a payment's entry has a line per bill, well under the
/// ledger's 500).
pub const MAX_BILLS_PER_RUN: usize = 200;
/// The most payments the check register lists.
pub const REGISTER_LIMIT: i64 = 2000;
/// The most open bills the aging report reads.
pub const AGING_LIMIT: i64 = 100_000;
/// The longest ACH reference.
const MAX_REFERENCE_CHARS: usize = 60;
const FIRST_DATE: &str = "0001-01-01";

/// The idempotency key of a vendor's payment entry in a run sent with a key.
fn run_payment_key(run_key: &str, vendor_id: &str) -> String {
    format!("bill_payment_run:{run_key}:{vendor_id}")
}

/// A payment run as sent: the date and cash account of every payment, and one payment per vendor.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PaymentRunInput {
    /// `YYYY-MM-DD`.
    pub payment_date: String,
    /// The number of the asset cash account paid from; blank for 1000 Cash - Operating.
    pub cash_account: String,
    pub payments: Vec<VendorPaymentInput>,
    /// Optional, unique per run (the payment-run form carries one): the same run sent twice (a
    /// double click, a retried request) pays once and answers with the first run's payments.
    pub idempotency_key: String,
}

/// One payment: a check or an ACH transfer to one vendor, paying some of its bills.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct VendorPaymentInput {
    pub vendor_id: String,
    /// `check` or `ach`.
    pub method: String,
    /// The check number (digits) or the transfer's reference.
    pub reference: String,
    pub bills: Vec<BillAmountInput>,
}

/// What a payment settles of one bill, in cents (at most its open balance). Settling the whole
/// balance within the discount window takes the discount: the cash paid is then less.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct BillAmountInput {
    pub bill_id: String,
    pub amount_cents: i64,
}

/// A void: its date (blank: the payment's date, so a spoiled check leaves no trace in any
/// period) and why.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct VoidPaymentInput {
    pub date: String,
    pub reason: String,
}

/// What a payment did to one bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedBillView {
    pub bill_id: String,
    pub bill_number: String,
    /// Cash paid on the bill.
    pub amount_cents: i64,
    pub discount_cents: i64,
}

/// A payment to a vendor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillPaymentView {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub payment_date: String,
    /// `check` or `ach`.
    pub method: String,
    /// The check number or the transfer's reference.
    pub reference: String,
    pub cash_account: String,
    /// The cash paid.
    pub amount_cents: i64,
    pub discount_cents: i64,
    /// Cash and discount: what the payment settled on Accounts payable.
    pub settled_cents: i64,
    pub journal_entry_id: String,
    /// `posted` or `voided`.
    pub status: String,
    pub void_date: Option<String>,
    pub void_entry_id: Option<String>,
    /// The bills paid (empty in the register's list).
    pub bills: Vec<AppliedBillView>,
}

/// What a payment run wrote: its payments, one per vendor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentRunView {
    pub payments: Vec<BillPaymentView>,
    /// The cash paid by the whole run.
    pub amount_cents: i64,
    pub discount_cents: i64,
}

/// The check register: the payments dated in a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckRegisterView {
    pub from: String,
    pub to: String,
    pub payments: Vec<BillPaymentView>,
    /// The cash paid by the payments not voided.
    pub total_cents: i64,
}

/// A bill chosen for a payment run, as the run's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DraftBill {
    pub bill_id: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub total_cents: i64,
    /// What is still owed.
    pub open_cents: i64,
    /// Something was paid already.
    pub partially_paid: bool,
    /// The discount taken when the whole balance is paid on the run's date.
    pub discount_cents: i64,
    /// The last day of the discount window, for discount terms.
    pub discount_until: Option<String>,
}

/// A vendor's bills chosen for a payment run.
#[derive(Debug, Clone, Serialize)]
pub struct DraftVendor {
    pub vendor_id: String,
    pub vendor_name: String,
    pub bills: Vec<DraftBill>,
}

/// What the payment run's page starts from.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentDraft {
    pub payment_date: String,
    pub cash_account: String,
    /// The accounts checks may be drawn on: (number, name).
    pub cash_accounts: Vec<(String, String)>,
    /// The number offered for the run's first check on the cash account.
    pub next_check_number: i64,
    pub vendors: Vec<DraftVendor>,
    /// Chosen bills that cannot be paid (settled already, or not found), in words.
    pub skipped: Vec<String>,
}

/// Amounts per aging bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgingAmounts {
    pub current_cents: i64,
    pub days_1_30_cents: i64,
    pub days_31_60_cents: i64,
    pub days_61_90_cents: i64,
    pub over_90_cents: i64,
    pub total_cents: i64,
}

impl AgingAmounts {
    fn add(&mut self, bucket: AgingBucket, cents: i64) {
        let slot = match bucket {
            AgingBucket::Current => &mut self.current_cents,
            AgingBucket::Days1To30 => &mut self.days_1_30_cents,
            AgingBucket::Days31To60 => &mut self.days_31_60_cents,
            AgingBucket::Days61To90 => &mut self.days_61_90_cents,
            AgingBucket::Over90 => &mut self.over_90_cents,
        };
        *slot += cents;
        self.total_cents += cents;
    }

    /// The amount of one bucket.
    pub fn of(&self, bucket: AgingBucket) -> i64 {
        match bucket {
            AgingBucket::Current => self.current_cents,
            AgingBucket::Days1To30 => self.days_1_30_cents,
            AgingBucket::Days31To60 => self.days_31_60_cents,
            AgingBucket::Days61To90 => self.days_61_90_cents,
            AgingBucket::Over90 => self.over_90_cents,
        }
    }
}

/// An open bill in the aging report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingBill {
    pub bill_id: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub open_cents: i64,
    /// Days past the due date as of the report's date (0 or less: not yet due).
    pub days_past_due: i64,
    /// `current`, `days_1_30`, `days_31_60`, `days_61_90` or `over_90`.
    pub bucket: String,
}

/// One vendor's open balance in the aging report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingVendor {
    pub vendor_id: String,
    pub vendor_name: String,
    pub amounts: AgingAmounts,
    pub bills: Vec<AgingBill>,
}

/// Accounts payable aging as of a date, checked against the Accounts payable control account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApAgingView {
    pub as_of: String,
    pub vendors: Vec<AgingVendor>,
    pub totals: AgingAmounts,
    /// The balance of 2000 Accounts payable in the ledger as of the date (credits less debits).
    pub control_cents: i64,
    /// The control balance less the aging's total; zero when the two tie.
    pub difference_cents: i64,
}

impl ApAgingView {
    /// The open bills add up to the Accounts payable account.
    pub fn ties(&self) -> bool {
        self.difference_cents == 0
    }
}

/// A 1099 vendor's payments in a year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vendor1099 {
    pub vendor_id: String,
    pub vendor_name: String,
    pub tax_id: Option<String>,
    pub address: Option<String>,
    /// The cash paid in the year (payments dated in it and not voided).
    pub paid_cents: i64,
    pub payments: i64,
    /// At or above the year's reporting threshold.
    pub reportable: bool,
}

/// The 1099 totals of a calendar year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vendors1099View {
    pub year: i32,
    pub threshold_cents: i64,
    pub vendors: Vec<Vendor1099>,
    pub total_cents: i64,
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string())
}

fn check_counter(cash_account: &str) -> String {
    format!("check_number:{cash_account}")
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn payment_view(p: PaymentRow, vendor_name: String, bills: Vec<AppliedBillView>) -> BillPaymentView {
    BillPaymentView {
        settled_cents: p.amount_cents + p.discount_cents,
        id: p.id,
        vendor_id: p.vendor_id,
        vendor_name,
        payment_date: p.payment_date,
        method: p.method,
        reference: p.reference,
        cash_account: p.cash_account,
        amount_cents: p.amount_cents,
        discount_cents: p.discount_cents,
        journal_entry_id: p.journal_entry_id,
        status: p.status,
        void_date: p.void_date,
        void_entry_id: p.void_entry_id,
        bills,
    }
}

/// The chart's account with this number, when checks may be drawn on it (else why not).
fn cash_account<'a>(chart: &'a [AccountRow], number: &str) -> Result<&'a AccountRow, String> {
    let Some(a) = chart.iter().find(|a| a.number == number) else {
        return Err(format!("there is no account {number}"));
    };
    let cash = AccountType::parse(&a.account_type).is_some_and(|t| is_cash_account(&a.number, t));
    if !cash {
        return Err(format!("{} {} is not a cash account; pay from an asset account such as 1000 Cash - Operating", a.number, a.name));
    }
    if a.active != 1 {
        return Err(format!("account {} {} is closed", a.number, a.name));
    }
    Ok(a)
}

/// The discount available on a bill paid in full on `date`, and the window's last day.
fn discount_of(bill: &PayableBillRow, date: NaiveDate) -> (i64, Option<NaiveDate>) {
    let open = bill.total_cents - bill.settled_cents;
    let terms = PaymentTerms::parse(&bill.payment_terms).ok();
    let bill_date = NaiveDate::parse_from_str(&bill.bill_date, "%Y-%m-%d").ok();
    match (terms, bill_date) {
        (Some(t), Some(d)) => {
            // A discount never takes the whole payment: at least a cent is paid.
            let discount = discount_cents(&t, d, date, open, open).min(open - 1).max(0);
            (discount, t.discount_until(d))
        }
        _ => (0, None),
    }
}

/// A bill's status once `settled` of its total is settled.
fn status_for(total_cents: i64, settled_cents: i64) -> &'static str {
    if settled_cents >= total_cents { "paid" } else { "open" }
}

/// A payment checked and ready to write.
struct CheckedPayment {
    vendor_id: String,
    vendor_name: String,
    method: &'static str,
    reference: String,
    check_number: Option<i64>,
    /// (bill, cash, discount).
    bills: Vec<(PayableBillRow, i64, i64)>,
}

impl App {
    /// The next check number offered for a cash account.
    async fn next_check_number(&self, conn: &mut Connection, practice_id: &str, cash_account: &str) -> Result<i64> {
        Ok(store::counter_value(conn, practice_id, &check_counter(cash_account)).await?.map_or(FIRST_CHECK_NUMBER, |n| n + 1))
    }

    /// What the payment run's page shows for the bills chosen: each vendor's bills with their open
    /// balances and the discounts paying in full on `payment_date` earns, the cash accounts and
    /// the next check number.
    pub async fn payment_run_draft(&self, actor: &Actor, bill_ids: &[String], payment_date: NaiveDate, cash: &str) -> Result<PaymentDraft> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let cash_accounts: Vec<(String, String)> =
            chart.iter().filter(|a| cash_account(&chart, &a.number).is_ok()).map(|a| (a.number.clone(), a.name.clone())).collect();
        let cash =
            clean(cash).filter(|c| cash_accounts.iter().any(|(n, _)| n == c)).unwrap_or_else(|| accounts::CASH_OPERATING.to_string());
        let next_check_number = self.next_check_number(&mut tx, &actor.practice_id, &cash).await?;
        let mut vendors: Vec<DraftVendor> = Vec::new();
        let mut skipped = Vec::new();
        let mut seen = HashSet::new();
        for id in bill_ids.iter().take(MAX_BILLS_PER_RUN) {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let bill = match store::payable_bill(&mut tx, &actor.practice_id, id).await {
                Ok(b) => b,
                Err(StoreError::NotFound(_)) => {
                    skipped.push("a bill that does not exist in this practice".to_string());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let open_cents = bill.total_cents - bill.settled_cents;
            if open_cents <= 0 || bill.status == "paid" {
                skipped.push(format!("bill {} from {} is paid already", bill.bill_number, bill.vendor_name));
                continue;
            }
            let (discount, until) = discount_of(&bill, payment_date);
            let draft = DraftBill {
                bill_id: bill.id.clone(),
                bill_number: bill.bill_number.clone(),
                bill_date: bill.bill_date.clone(),
                due_date: bill.due_date.clone(),
                total_cents: bill.total_cents,
                open_cents,
                partially_paid: bill.settled_cents > 0,
                discount_cents: discount,
                discount_until: until.map(|d| d.to_string()),
            };
            match vendors.iter_mut().find(|v| v.vendor_id == bill.vendor_id) {
                Some(v) => v.bills.push(draft),
                None => vendors.push(DraftVendor { vendor_id: bill.vendor_id, vendor_name: bill.vendor_name, bills: vec![draft] }),
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        vendors.sort_by(|a, b| a.vendor_name.cmp(&b.vendor_name).then(a.vendor_id.cmp(&b.vendor_id)));
        Ok(PaymentDraft { payment_date: payment_date.to_string(), cash_account: cash, cash_accounts, next_check_number, vendors, skipped })
    }

    /// Pays bills in one transaction: one payment per vendor, each with its entry (see the
    /// module's documentation). Every problem is named on its field (`payment_date`,
    /// `cash_account`, `payments[i].reference`, `payments[i].bills[j].amount_cents`...); when
    /// anything is refused nothing is written.
    pub async fn pay_bills(&self, actor: &Actor, input: &PaymentRunInput) -> Result<PaymentRunView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let run_key = clean(&input.idempotency_key);
        if run_key.as_ref().is_some_and(|k| k.chars().count() > 100) {
            return Err(ValidationErrors::single("idempotency_key", "at most 100 characters").into());
        }
        if let Some(key) = &run_key
            && let Some(run) = self.paid_run(actor, key, input).await?
        {
            return Ok(run);
        }
        let mut errors = ValidationErrors::new();
        let date = errors.check("payment_date", parse_day(&input.payment_date));
        if input.payments.is_empty() {
            errors.add("payments", "choose the bills to pay");
        }
        let bill_count: usize = input.payments.iter().map(|p| p.bills.len()).sum();
        if bill_count > MAX_BILLS_PER_RUN {
            errors.add("payments", format!("a payment run pays at most {MAX_BILLS_PER_RUN} bills"));
            return Err(errors.into());
        }
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let cash_number = clean(&input.cash_account).unwrap_or_else(|| accounts::CASH_OPERATING.to_string());
        if let Err(e) = cash_account(&chart, &cash_number) {
            errors.add("cash_account", e);
        }

        let mut checked: Vec<CheckedPayment> = Vec::with_capacity(input.payments.len());
        let mut vendors_seen = HashSet::new();
        let mut bills_seen = HashSet::new();
        let mut checks_seen = HashSet::new();
        for (i, p) in input.payments.iter().enumerate() {
            let field = |name: &str| format!("payments[{i}].{name}");
            let vendor = match payables_store::get_vendor(&mut tx, &actor.practice_id, p.vendor_id.trim()).await {
                Ok(v) => Some(v),
                Err(StoreError::NotFound(_)) => {
                    errors.add(&field("vendor_id"), "choose the vendor");
                    None
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(v) = &vendor
                && !vendors_seen.insert(v.id.clone())
            {
                errors.add(&field("vendor_id"), format!("{} is paid once per run: put all its bills on one payment", v.name));
            }
            let method = match p.method.trim() {
                "check" | "" => Some("check"),
                "ach" => Some("ach"),
                _ => {
                    errors.add(&field("method"), "choose check or ACH");
                    None
                }
            };
            let mut check_number = None;
            let reference = match method {
                Some("check") => match parse_check_number(&p.reference) {
                    Ok(n) => {
                        let text = n.to_string();
                        if !checks_seen.insert(n) {
                            errors.add(&field("reference"), format!("check {n} is used twice in this run"));
                        } else if store::check_number_taken(&mut tx, &actor.practice_id, &cash_number, &text).await? {
                            errors.add(&field("reference"), format!("check {n} was already written on account {cash_number}"));
                        }
                        check_number = Some(n);
                        text
                    }
                    Err(e) => {
                        errors.add(&field("reference"), e);
                        String::new()
                    }
                },
                Some(_) => match clean(&p.reference) {
                    None => {
                        errors.add(&field("reference"), "enter the transfer's reference");
                        String::new()
                    }
                    Some(r) if r.chars().count() > MAX_REFERENCE_CHARS => {
                        errors.add(&field("reference"), format!("at most {MAX_REFERENCE_CHARS} characters"));
                        r
                    }
                    Some(r) => r,
                },
                None => String::new(),
            };
            if p.bills.is_empty() {
                errors.add(&field("bills"), "a payment pays at least one bill");
            }
            let mut bills = Vec::with_capacity(p.bills.len());
            for (j, b) in p.bills.iter().enumerate() {
                let bill_field = |name: &str| format!("payments[{i}].bills[{j}].{name}");
                let id = b.bill_id.trim();
                if !bills_seen.insert(id.to_string()) {
                    errors.add(&bill_field("bill_id"), "this bill is listed twice in the run");
                    continue;
                }
                match store::lock_bill(&mut tx, &actor.practice_id, id).await {
                    Ok(()) => {}
                    Err(StoreError::NotFound(_)) => {
                        errors.add(&bill_field("bill_id"), "there is no such bill");
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
                let bill = store::payable_bill(&mut tx, &actor.practice_id, id).await?;
                let open = bill.total_cents - bill.settled_cents;
                if vendor.as_ref().is_some_and(|v| v.id != bill.vendor_id) {
                    errors.add(&bill_field("bill_id"), format!("bill {} is from {}, not this vendor", bill.bill_number, bill.vendor_name));
                    continue;
                }
                if bill.status == "paid" || open <= 0 {
                    errors.add(&bill_field("bill_id"), format!("bill {} from {} is paid already", bill.bill_number, bill.vendor_name));
                    continue;
                }
                if b.amount_cents <= 0 {
                    errors.add(&bill_field("amount_cents"), format!("bill {}: enter an amount above zero", bill.bill_number));
                    continue;
                }
                if b.amount_cents > open {
                    errors.add(
                        &bill_field("amount_cents"),
                        format!("bill {}: at most the open balance of {}", bill.bill_number, money(open)),
                    );
                    continue;
                }
                let discount = match date {
                    Some(d) if b.amount_cents == open => discount_of(&bill, d).0,
                    _ => 0,
                };
                bills.push((bill, b.amount_cents - discount, discount));
            }
            if let (Some(v), Some(method)) = (vendor, method) {
                checked.push(CheckedPayment { vendor_id: v.id, vendor_name: v.name, method, reference, check_number, bills });
            }
        }
        let Some(date) = date else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }

        let mut views = Vec::with_capacity(checked.len());
        for (i, p) in checked.into_iter().enumerate() {
            let id = new_id();
            let amount: i64 = p.bills.iter().map(|(_, cash, _)| cash).sum();
            let discount: i64 = p.bills.iter().map(|(_, _, d)| d).sum();
            let what = match p.method {
                "check" => format!("Check {}", p.reference),
                _ => format!("ACH {}", p.reference),
            };
            let vendor_line = |line: NewLine| NewLine { vendor_id: Some(p.vendor_id.clone()), ..line };
            let mut lines: Vec<NewLine> = p
                .bills
                .iter()
                .map(|(bill, cash, d)| NewLine {
                    memo: Some(format!("Bill {}", bill.bill_number)),
                    ..vendor_line(NewLine::debit(accounts::ACCOUNTS_PAYABLE, cash + d))
                })
                .collect();
            lines.push(NewLine { memo: Some(what.clone()), ..vendor_line(NewLine::credit(&cash_number, amount)) });
            if discount > 0 {
                lines.push(NewLine {
                    memo: Some("Early-payment discount".to_string()),
                    ..vendor_line(NewLine::credit(accounts::PURCHASE_DISCOUNTS, discount))
                });
            }
            let entry = NewEntry {
                date: Some(date),
                memo: format!("{what} to {}", p.vendor_name),
                source_kind: SOURCE_BILL_PAYMENT.to_string(),
                source_id: Some(id.clone()),
                idempotency_key: Some(match &run_key {
                    Some(key) => run_payment_key(key, &p.vendor_id),
                    None => format!("bill_payment:{id}"),
                }),
                reversal_of: None,
                posted_by: actor.user_id.clone(),
                lines,
            };
            let posted = match self.post_entry(&mut tx, &actor.practice_id, &entry).await {
                Ok(posted) => posted,
                Err(AppError::Validation(e)) => return Err(posting_errors(e, i).into()),
                Err(e) => return Err(e),
            };
            if posted.already_posted {
                // The same run, sent twice at once, was paid by the other request meanwhile.
                drop(tx);
                let key = run_key.as_deref().unwrap_or_default();
                return match self.paid_run(actor, key, input).await? {
                    Some(run) => Ok(run),
                    None => Err(AppError::Conflict("this payment run was posted meanwhile; look at the check register".into())),
                };
            }
            let row = PaymentRow {
                practice_id: actor.practice_id.clone(),
                id: id.clone(),
                vendor_id: p.vendor_id.clone(),
                payment_date: date.to_string(),
                method: p.method.to_string(),
                reference: p.reference.clone(),
                cash_account: cash_number.clone(),
                amount_cents: amount,
                discount_cents: discount,
                journal_entry_id: posted.entry.id.clone(),
                status: "posted".to_string(),
                void_date: None,
                void_entry_id: None,
                voided_by: None,
                created_by: actor.user_id.clone(),
                created_at: now.clone(),
            };
            let applications: Vec<ApplicationRow> = p
                .bills
                .iter()
                .map(|(bill, cash, d)| ApplicationRow {
                    practice_id: actor.practice_id.clone(),
                    payment_id: id.clone(),
                    bill_id: bill.id.clone(),
                    amount_cents: *cash,
                    discount_cents: *d,
                })
                .collect();
            store::insert_payment(&mut tx, &row, &applications).await.map_err(|e| match e {
                StoreError::Conflict(c) if c.contains("bill_payment") || c.contains("reference") => AppError::Validation(
                    ValidationErrors::single(&format!("payments[{i}].reference"), format!("check {} was already written", p.reference)),
                ),
                other => other.into(),
            })?;
            for (bill, cash, d) in &p.bills {
                let status = status_for(bill.total_cents, bill.settled_cents + cash + d);
                if status != bill.status {
                    store::set_bill_status(&mut tx, &actor.practice_id, &bill.id, status).await?;
                }
            }
            if let Some(n) = p.check_number {
                store::raise_counter(&mut tx, &actor.practice_id, &check_counter(&cash_number), n).await?;
            }
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "payables.bill_payment.pay",
                    patient_id: None,
                    record_type: "bill_payment",
                    record_id: Some(&id),
                    detail: format!(
                        "{what} to {}, {} cents paid, {} cents discount, {} bill(s), entry #{}",
                        p.vendor_name,
                        amount,
                        discount,
                        p.bills.len(),
                        posted.entry.entry_number
                    ),
                },
            )
            .await?;
            let bills = p
                .bills
                .iter()
                .map(|(bill, cash, d)| AppliedBillView {
                    bill_id: bill.id.clone(),
                    bill_number: bill.bill_number.clone(),
                    amount_cents: *cash,
                    discount_cents: *d,
                })
                .collect();
            views.push(payment_view(row, p.vendor_name, bills));
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PaymentRunView {
            amount_cents: views.iter().map(|v| v.amount_cents).sum(),
            discount_cents: views.iter().map(|v| v.discount_cents).sum(),
            payments: views,
        })
    }

    /// The payments of a run already paid under `key` (each vendor's payment entry is keyed by the
    /// run's key), or `None` when the run has not been paid.
    async fn paid_run(&self, actor: &Actor, key: &str, input: &PaymentRunInput) -> Result<Option<PaymentRunView>> {
        let mut payment_ids = Vec::new();
        {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            for p in &input.payments {
                if let Some(entry) =
                    ledger_store::entry_by_key(&mut conn, &actor.practice_id, &run_payment_key(key, p.vendor_id.trim())).await?
                    && let Some(id) = entry.source_id
                {
                    payment_ids.push(id);
                }
            }
        }
        if payment_ids.is_empty() {
            return Ok(None);
        }
        let mut payments = Vec::with_capacity(payment_ids.len());
        for id in payment_ids {
            payments.push(self.bill_payment(actor, &id).await?);
        }
        Ok(Some(PaymentRunView {
            amount_cents: payments.iter().map(|v| v.amount_cents).sum(),
            discount_cents: payments.iter().map(|v| v.discount_cents).sum(),
            payments,
        }))
    }

    /// One payment with the bills it paid.
    pub async fn bill_payment(&self, actor: &Actor, payment_id: &str) -> Result<BillPaymentView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let view = self.payment_in(&mut tx, &actor.practice_id, payment_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    async fn payment_in(&self, conn: &mut Connection, practice_id: &str, payment_id: &str) -> Result<BillPaymentView> {
        let p = store::get_payment(conn, practice_id, payment_id).await?;
        let vendor = payables_store::get_vendor(conn, practice_id, &p.vendor_id).await?;
        let bills = store::applications_of(conn, practice_id, &p.id)
            .await?
            .into_iter()
            .map(|a| AppliedBillView {
                bill_id: a.bill_id,
                bill_number: a.bill_number,
                amount_cents: a.amount_cents,
                discount_cents: a.discount_cents,
            })
            .collect();
        Ok(payment_view(p, vendor.name, bills))
    }

    /// Voids a payment (a spoiled check, a returned transfer): posts the reversal of its entry,
    /// dated `input.date` (blank: the payment's date), marks it voided and reopens its bills.
    /// A payment is voided once (409 after).
    pub async fn void_bill_payment(&self, actor: &Actor, payment_id: &str, input: &VoidPaymentInput) -> Result<BillPaymentView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let payment = store::get_payment(&mut tx, &actor.practice_id, payment_id).await?;
        if payment.status != "posted" {
            return Err(AppError::Conflict(format!(
                "this payment was voided already on {}",
                payment.void_date.as_deref().unwrap_or("an earlier date")
            )));
        }
        let paid_on = parse_day(&payment.payment_date).map_err(|_| StoreError::Corrupt(format!("payment {} date", payment.id)))?;
        let date =
            if input.date.trim().is_empty() { paid_on } else { parse_day(&input.date).map_err(|m| ValidationErrors::single("date", m))? };
        if date < paid_on {
            return Err(ValidationErrors::single("date", format!("a void is dated on or after the payment's date, {paid_on}")).into());
        }
        let reason = clean(&input.reason);
        if reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
            return Err(ValidationErrors::single("reason", "at most 200 characters").into());
        }
        let vendor = payables_store::get_vendor(&mut tx, &actor.practice_id, &payment.vendor_id).await?;
        let original = ledger_store::get_entry(&mut tx, &actor.practice_id, &payment.journal_entry_id).await?;
        let lines = ledger_store::lines_of_entry(&mut tx, &actor.practice_id, &original.id).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let number_of: HashMap<&str, &str> = chart.iter().map(|a| (a.id.as_str(), a.number.as_str())).collect();
        let what = if payment.method == "check" { format!("check {}", payment.reference) } else { format!("ACH {}", payment.reference) };
        let entry = NewEntry {
            date: Some(date),
            memo: match &reason {
                Some(r) => format!("Void of {what} to {}: {r}", vendor.name),
                None => format!("Void of {what} to {}", vendor.name),
            },
            source_kind: SOURCE_REVERSAL.to_string(),
            source_id: Some(original.id.clone()),
            idempotency_key: Some(format!("reversal:{}", original.id)),
            reversal_of: Some(original.id.clone()),
            posted_by: actor.user_id.clone(),
            lines: lines
                .iter()
                .map(|l| NewLine {
                    account: number_of.get(l.account_id.as_str()).map(|n| n.to_string()).unwrap_or_default(),
                    debit_cents: l.credit_cents,
                    credit_cents: l.debit_cents,
                    memo: l.memo.clone(),
                    patient_id: l.patient_id.clone(),
                    payer_id: l.payer_id.clone(),
                    vendor_id: l.vendor_id.clone(),
                    claim_id: l.claim_id.clone(),
                })
                .collect(),
        };
        let posted = self.post_entry(&mut tx, &actor.practice_id, &entry).await?;
        if !store::mark_voided(&mut tx, &actor.practice_id, &payment.id, &posted.entry.entry_date, &posted.entry.id, &actor.user_id).await?
        {
            return Err(AppError::Conflict("this payment was voided meanwhile".into()));
        }
        for a in store::applications_of(&mut tx, &actor.practice_id, &payment.id).await? {
            store::lock_bill(&mut tx, &actor.practice_id, &a.bill_id).await?;
            let bill = store::payable_bill(&mut tx, &actor.practice_id, &a.bill_id).await?;
            let status = status_for(bill.total_cents, bill.settled_cents);
            if status != bill.status {
                store::set_bill_status(&mut tx, &actor.practice_id, &bill.id, status).await?;
            }
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.bill_payment.void",
                patient_id: None,
                record_type: "bill_payment",
                record_id: Some(&payment.id),
                detail: format!("{what} to {} voided on {date}, reversal entry #{}", vendor.name, posted.entry.entry_number),
            },
        )
        .await?;
        let view = self.payment_in(&mut tx, &actor.practice_id, &payment.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The check register: payments dated `from..=to` by date (voided ones shown as such), at
    /// most [`REGISTER_LIMIT`].
    pub async fn check_register(&self, actor: &Actor, from: NaiveDate, to: NaiveDate) -> Result<CheckRegisterView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        if from > to {
            return Err(ValidationErrors::single("from", "the range starts after it ends").into());
        }
        let mut tx = self.store.begin().await?;
        let rows = store::payments_between(&mut tx, &actor.practice_id, &from.to_string(), &to.to_string(), REGISTER_LIMIT).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let payments: Vec<BillPaymentView> = rows
            .into_iter()
            .map(|r| BillPaymentView {
                settled_cents: r.amount_cents + r.discount_cents,
                id: r.id,
                vendor_id: r.vendor_id,
                vendor_name: r.vendor_name,
                payment_date: r.payment_date,
                method: r.method,
                reference: r.reference,
                cash_account: r.cash_account,
                amount_cents: r.amount_cents,
                discount_cents: r.discount_cents,
                journal_entry_id: r.journal_entry_id,
                status: r.status,
                void_date: r.void_date,
                void_entry_id: r.void_entry_id,
                bills: Vec::new(),
            })
            .collect();
        Ok(CheckRegisterView {
            from: from.to_string(),
            to: to.to_string(),
            total_cents: payments.iter().filter(|p| p.status == "posted").map(|p| p.amount_cents).sum(),
            payments,
        })
    }

    /// Accounts payable aging as of a date: each vendor's open bills in buckets by days past due,
    /// the totals, and the Accounts payable (2000) balance in the ledger as of the same date,
    /// which the total should equal.
    pub async fn ap_aging(&self, actor: &Actor, as_of: NaiveDate) -> Result<ApAgingView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let as_of_text = as_of.to_string();
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let rows = store::bills_open_as_of(&mut tx, &actor.practice_id, &as_of_text, AGING_LIMIT).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let control_cents = match chart.iter().find(|a| a.number == accounts::ACCOUNTS_PAYABLE) {
            Some(ap) => {
                let (debit, credit) = ledger_store::account_total(&mut tx, &actor.practice_id, &ap.id, FIRST_DATE, &as_of_text).await?;
                credit - debit
            }
            None => 0,
        };
        tx.commit().await.map_err(StoreError::from)?;
        let mut vendors: Vec<AgingVendor> = Vec::new();
        let mut totals = AgingAmounts::default();
        for r in rows {
            let open_cents = r.total_cents - r.settled_cents;
            let due = parse_day(&r.due_date).map_err(|_| StoreError::Corrupt(format!("bill {} due date", r.id)))?;
            let bucket = AgingBucket::of(due, as_of);
            totals.add(bucket, open_cents);
            let bill = AgingBill {
                bill_id: r.id,
                bill_number: r.bill_number,
                bill_date: r.bill_date,
                due_date: r.due_date,
                open_cents,
                days_past_due: (as_of - due).num_days(),
                bucket: bucket.key().to_string(),
            };
            match vendors.last_mut() {
                Some(v) if v.vendor_id == r.vendor_id => {
                    v.amounts.add(bucket, open_cents);
                    v.bills.push(bill);
                }
                _ => {
                    let mut amounts = AgingAmounts::default();
                    amounts.add(bucket, open_cents);
                    vendors.push(AgingVendor { vendor_id: r.vendor_id, vendor_name: r.vendor_name, amounts, bills: vec![bill] });
                }
            }
        }
        Ok(ApAgingView { as_of: as_of_text, difference_cents: control_cents - totals.total_cents, vendors, totals, control_cents })
    }

    /// What each 1099 vendor was paid in a calendar year: the cash of payments dated in the year
    /// and not voided, with the vendor's tax id, and whether it reaches the reporting threshold.
    pub async fn vendor_1099_totals(&self, actor: &Actor, year: i32) -> Result<Vendors1099View> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        if !(1900..=9999).contains(&year) {
            return Err(ValidationErrors::single("year", "enter a year such as 2026").into());
        }
        let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let mut tx = self.store.begin().await?;
        let rows = store::paid_to_1099_vendors(&mut tx, &actor.practice_id, &from, &to).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let threshold_cents = reporting_threshold_cents(year);
        let vendors: Vec<Vendor1099> = rows
            .into_iter()
            .map(|r| Vendor1099 {
                reportable: r.paid_cents >= threshold_cents,
                vendor_id: r.vendor_id,
                vendor_name: r.vendor_name,
                tax_id: r.tax_id,
                address: r.address,
                paid_cents: r.paid_cents,
                payments: r.payments,
            })
            .collect();
        Ok(Vendors1099View { year, threshold_cents, total_cents: vendors.iter().map(|v| v.paid_cents).sum(), vendors })
    }

    /// What has been settled of each open bill that was partly paid (bill id to cents), for the
    /// bills-due list's open balances.
    pub async fn settled_of_open_bills(&self, actor: &Actor) -> Result<HashMap<String, i64>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::settled_of_open_bills(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().collect())
    }
}

/// The errors `post_entry` gives a payment's entry, named on the run's fields: the entry's date is
/// the run's `payment_date`; anything else concerns the payment.
fn posting_errors(e: ValidationErrors, payment: usize) -> ValidationErrors {
    let mut out = ValidationErrors::new();
    for f in e.errors {
        let field = if f.field == "date" { "payment_date".to_string() } else { format!("payments[{payment}].{}", f.field) };
        out.add(&field, f.message);
    }
    out
}

/// The year a date falls in (for the 1099 page's default).
pub fn year_of(date: NaiveDate) -> i32 {
    date.year()
}
