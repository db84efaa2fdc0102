//! Accounts payable: vendors, the bills they send, and the bills due.
//!
//! Entering a bill posts its journal entry through [`App::post_entry`] in the same transaction
//! (Dr each line's expense, asset or prepaid account, Cr Accounts payable, key `bill:<id>`), so
//! a bill and its entry exist together or not at all. A vendor's bill number is entered once: a
//! second bill with the same number is refused on `bill_number`. Writing needs the bookkeeper's
//! posting right ([`Action::PostJournal`]); reading the books' right ([`Action::ReadBooks`]).

use crate::ledger::{NewEntry, NewLine, ensure_default_chart};
use crate::{Actor, App, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::terms::PaymentTerms;
use medoffice_domain::ledger::{AccountType, Section, accounts};
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::ledger::{self as ledger_store, AccountRow};
use medoffice_store::payables::{self as store, BillLineRow, BillRow, VendorRow};
use medoffice_store::{StoreError, new_id};
use serde::{Deserialize, Serialize};

/// The source kind of a bill's journal entry.
pub const SOURCE_BILL: &str = "bill";
/// The most open bills the bills-due list shows.
pub const BILLS_DUE_LIMIT: i64 = 1000;

/// A new vendor as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewVendorInput {
    pub name: String,
    pub address: String,
    pub contact: String,
    pub tax_id: String,
    /// An account number; blank for none.
    pub default_expense_account: String,
    /// `net_30`, `2/10 net 30`, `due_on_receipt`, `day_of_month:15`.
    pub payment_terms: String,
    pub is_1099: bool,
}

/// A vendor as shown.
#[derive(Debug, Clone, Serialize)]
pub struct VendorView {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub tax_id: Option<String>,
    pub default_expense_account: Option<String>,
    pub payment_terms: String,
    pub terms_label: String,
    pub is_1099: bool,
}

/// A bill as typed: lines in cents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewBillInput {
    pub vendor_id: String,
    pub bill_number: String,
    /// `YYYY-MM-DD`.
    pub bill_date: String,
    pub memo: String,
    pub lines: Vec<BillLineInput>,
}

/// One line of a bill: an expense, asset or prepaid account (blank: the vendor's default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BillLineInput {
    pub account: String,
    pub amount_cents: i64,
    pub memo: String,
}

/// A bill as entered.
#[derive(Debug, Clone, Serialize)]
pub struct BillView {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub total_cents: i64,
    pub status: String,
    pub journal_entry_id: String,
}

/// An open bill in the bills-due list.
#[derive(Debug, Clone, Serialize)]
pub struct BillDueView {
    pub bill: BillView,
    /// Days past the due date (0 when not yet due).
    pub days_overdue: i64,
    /// The last day of the early-payment discount, while it is still available.
    pub discount_until: Option<String>,
}

fn vendor_view(v: &VendorRow) -> VendorView {
    VendorView {
        id: v.id.clone(),
        name: v.name.clone(),
        address: v.address.clone(),
        contact: v.contact.clone(),
        tax_id: v.tax_id.clone(),
        default_expense_account: v.default_expense_account.clone(),
        payment_terms: v.payment_terms.clone(),
        terms_label: PaymentTerms::parse(&v.payment_terms).map(|t| t.label()).unwrap_or_else(|_| v.payment_terms.clone()),
        is_1099: v.is_1099 == 1,
    }
}

/// Whether a bill line may go to this account: an open expense or asset account (prepaid included).
fn billable(a: &AccountRow) -> Result<(), String> {
    let section = AccountType::parse(&a.account_type).map(AccountType::section);
    if !matches!(section, Some(Section::Expense | Section::Asset)) {
        return Err(format!("account {} {} is not an expense, asset or prepaid account", a.number, a.name));
    }
    if a.active != 1 {
        return Err(format!("account {} {} is closed", a.number, a.name));
    }
    Ok(())
}

fn optional(field: &str, text: &str, max: usize, errors: &mut ValidationErrors) -> Option<String> {
    let value = clean(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add(field, format!("at most {max} characters"));
    }
    value
}

impl App {
    /// Adds a vendor.
    pub async fn add_vendor(&self, actor: &Actor, input: &NewVendorInput) -> Result<VendorView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let name = clean(&input.name);
        match &name {
            None => errors.add("name", "enter the vendor's name"),
            Some(n) if n.chars().count() > 100 => errors.add("name", "at most 100 characters"),
            Some(_) => {}
        }
        let address = optional("address", &input.address, 500, &mut errors);
        let contact = optional("contact", &input.contact, 200, &mut errors);
        let tax_id = optional("tax_id", &input.tax_id, 20, &mut errors);
        let terms = errors.check("payment_terms", PaymentTerms::parse(&input.payment_terms));
        let default_account = clean(&input.default_expense_account);
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        if let Some(number) = &default_account {
            ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
            let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
            match chart.iter().find(|a| &a.number == number) {
                None => errors.add("default_expense_account", format!("there is no account {number}")),
                Some(a) => {
                    if let Err(e) = billable(a) {
                        errors.add("default_expense_account", e);
                    }
                }
            }
        }
        let (Some(name), Some(terms)) = (name, terms) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = VendorRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            name,
            address,
            contact,
            tax_id,
            default_expense_account: default_account,
            payment_terms: terms.as_text(),
            is_1099: i64::from(input.is_1099),
            created_at: now,
        };
        store::insert_vendor(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.vendor.add",
                patient_id: None,
                record_type: "vendor",
                record_id: Some(&row.id),
                detail: format!("{} ({})", row.name, row.payment_terms),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendor_view(&row))
    }

    /// The practice's vendors by name.
    pub async fn vendors(&self, actor: &Actor) -> Result<Vec<VendorView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let vendors = store::list_vendors(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendors.iter().map(vendor_view).collect())
    }

    /// Enters a vendor's bill and posts its entry (Dr the lines' accounts, Cr Accounts payable)
    /// in one transaction. The due date follows from the vendor's terms.
    pub async fn enter_bill(&self, actor: &Actor, input: &NewBillInput) -> Result<BillView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let bill_number = clean(&input.bill_number);
        match &bill_number {
            None => errors.add("bill_number", "enter the vendor's bill number"),
            Some(n) if n.chars().count() > 60 => errors.add("bill_number", "at most 60 characters"),
            Some(_) => {}
        }
        let bill_date = errors.check(
            "bill_date",
            NaiveDate::parse_from_str(input.bill_date.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string()),
        );
        let memo = optional("memo", &input.memo, 500, &mut errors);
        if input.lines.is_empty() {
            errors.add("lines", "a bill needs at least one line");
        }
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let vendor = match store::get_vendor(&mut tx, &actor.practice_id, input.vendor_id.trim()).await {
            Ok(v) => Some(v),
            Err(StoreError::NotFound(_)) => {
                errors.add("vendor_id", "choose the vendor");
                None
            }
            Err(e) => return Err(e.into()),
        };
        if let (Some(v), Some(n)) = (&vendor, &bill_number)
            && store::bill_number_taken(&mut tx, &actor.practice_id, &v.id, n).await?
        {
            errors.add("bill_number", format!("bill {n} from {} was entered already", v.name));
        }
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let mut lines = Vec::with_capacity(input.lines.len());
        let mut total: i64 = 0;
        for (i, l) in input.lines.iter().enumerate() {
            let account = clean(&l.account).or_else(|| vendor.as_ref().and_then(|v| v.default_expense_account.clone()));
            match account.as_deref().map(|n| (n, chart.iter().find(|a| a.number == n))) {
                None => errors.add(&format!("lines[{i}].account"), "choose the account (the vendor has no default)"),
                Some((n, None)) => errors.add(&format!("lines[{i}].account"), format!("there is no account {n}")),
                Some((_, Some(a))) => {
                    if let Err(e) = billable(a) {
                        errors.add(&format!("lines[{i}].account"), e);
                    }
                }
            }
            if l.amount_cents <= 0 {
                errors.add(&format!("lines[{i}].amount_cents"), "enter an amount above zero");
            }
            total = match total.checked_add(l.amount_cents.max(0)) {
                Some(t) => t,
                None => {
                    errors.add("lines", "the amounts are too large");
                    0
                }
            };
            lines.push((account.unwrap_or_default(), l.amount_cents, clean(&l.memo)));
        }
        let (Some(vendor), Some(bill_number), Some(bill_date)) = (vendor, bill_number, bill_date) else {
            return Err(errors.into());
        };
        // Terms are parsed before they are stored, so this fails only on a corrupted row.
        let terms =
            PaymentTerms::parse(&vendor.payment_terms).map_err(|e| StoreError::Corrupt(format!("vendor {} terms: {e}", vendor.id)))?;
        let Some(due_date) = terms.due_date(bill_date) else {
            errors.add("bill_date", "the due date falls past the calendar's end");
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let id = new_id();
        let mut entry_lines: Vec<NewLine> = lines
            .iter()
            .map(|(account, cents, memo)| NewLine {
                memo: memo.clone(),
                vendor_id: Some(vendor.id.clone()),
                ..NewLine::debit(account, *cents)
            })
            .collect();
        entry_lines.push(NewLine { vendor_id: Some(vendor.id.clone()), ..NewLine::credit(accounts::ACCOUNTS_PAYABLE, total) });
        let entry = NewEntry {
            date: Some(bill_date),
            memo: format!("Bill {bill_number} from {}", vendor.name),
            source_kind: SOURCE_BILL.to_string(),
            source_id: Some(id.clone()),
            idempotency_key: Some(format!("bill:{id}")),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines: entry_lines,
        };
        let posted = self.post_entry(&mut tx, &actor.practice_id, &entry).await?;
        let row = BillRow {
            practice_id: actor.practice_id.clone(),
            id: id.clone(),
            vendor_id: vendor.id.clone(),
            bill_number,
            bill_date: bill_date.to_string(),
            due_date: due_date.to_string(),
            memo,
            total_cents: total,
            status: "open".to_string(),
            journal_entry_id: posted.entry.id.clone(),
            created_by: actor.user_id.clone(),
            created_at: now,
        };
        let line_rows: Vec<BillLineRow> = lines
            .into_iter()
            .enumerate()
            .map(|(i, (account_number, amount_cents, memo))| BillLineRow {
                practice_id: actor.practice_id.clone(),
                bill_id: id.clone(),
                line_number: i as i64 + 1,
                account_number,
                amount_cents,
                memo,
            })
            .collect();
        store::insert_bill(&mut tx, &row, &line_rows).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.bill.enter",
                patient_id: None,
                record_type: "bill",
                record_id: Some(&row.id),
                detail: format!("bill {} from {}, {} cents, due {}", row.bill_number, vendor.name, row.total_cents, row.due_date),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(BillView {
            id: row.id,
            vendor_id: vendor.id,
            vendor_name: vendor.name,
            bill_number: row.bill_number,
            bill_date: row.bill_date,
            due_date: row.due_date,
            total_cents: row.total_cents,
            status: row.status,
            journal_entry_id: row.journal_entry_id,
        })
    }

    /// Open bills by due date, the overdue ones first, with the early-payment discounts still
    /// available as of the practice's today.
    pub async fn bills_due(&self, actor: &Actor) -> Result<Vec<BillDueView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let rows = store::open_bills_by_due(&mut tx, &actor.practice_id, BILLS_DUE_LIMIT).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let bill_date = NaiveDate::parse_from_str(&r.bill_date, "%Y-%m-%d").ok();
                let due = NaiveDate::parse_from_str(&r.due_date, "%Y-%m-%d").ok();
                let discount_until = bill_date
                    .zip(PaymentTerms::parse(&r.payment_terms).ok())
                    .and_then(|(d, t)| t.discount_until(d))
                    .filter(|until| *until >= today)
                    .map(|d| d.to_string());
                BillDueView {
                    days_overdue: due.map(|d| (today - d).num_days().max(0)).unwrap_or(0),
                    discount_until,
                    bill: BillView {
                        id: r.id,
                        vendor_id: r.vendor_id,
                        vendor_name: r.vendor_name,
                        bill_number: r.bill_number,
                        bill_date: r.bill_date,
                        due_date: r.due_date,
                        total_cents: r.total_cents,
                        status: r.status,
                        journal_entry_id: r.journal_entry_id,
                    },
                }
            })
            .collect())
    }
}
