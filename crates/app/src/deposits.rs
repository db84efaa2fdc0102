//! Bank deposits: the payments received (co-pays at the desk, patients' payments, payers' paper
//! checks) wait in Undeposited funds (1010) until someone takes them to the bank. A deposit
//! gathers some of them into one bank deposit:
//!
//! | event | debit | credit |
//! |---|---|---|
//! | deposit made | the cash account (one line, the total) | Undeposited funds (one line per item, keeping its patient or payer) |
//!
//! - An undeposited item is a journal line debiting 1010 that is neither a reversal nor reversed
//!   (a voided co-pay is not money to deposit) and that no standing deposit holds.
//! - Making a deposit is one transaction: the entry (through [`App::post_entry`]), the deposit
//!   and its items, the audit record. An item is in at most one standing deposit: the database's
//!   `deposit_item_once` key refuses the second of two desks depositing the same check, even at
//!   the same moment; the loser gets a conflict naming what to reload.
//! - The deposit's single cash line is what the bank statement's one deposit line matches in bank
//!   reconciliation (same amount, dates within the match window).
//! - A deposit is undone only by reversing its entry, with a reason; its items are free again
//!   and the deposit keeps them for the record. One whose cash line the bank reconciliation has
//!   matched or cleared is not undone (unmatch it first). An entry reversed from the journal
//!   directly frees the deposit's items too.
//!
//! Everything needs [`Action::MakeDeposits`]; reads are audited (the items name patients).

use crate::ledger::{NewEntry, NewLine, ensure_default_chart};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::{AccountType, accounts};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::bank_reconciliation as bank_store;
use medoffice_store::deposits::{self as store, DepositItemRow, DepositRow, UndepositedRow};
use medoffice_store::ledger::{self as ledger_store, AccountRow};
use medoffice_store::{Connection, StoreError, new_id, next_counter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The journal entries' source kinds.
pub const SOURCE_DEPOSIT: &str = "deposit";
pub const SOURCE_DEPOSIT_REVERSAL: &str = "deposit_reversal";
/// The most items one deposit takes (its entry has one line more; the ledger takes 500).
pub const MAX_DEPOSIT_ITEMS: usize = 400;

/// A payment received and not yet deposited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UndepositedItemView {
    /// `entry_id:line_number`: what a deposit names it by.
    pub key: String,
    pub entry_id: String,
    pub line_number: i64,
    pub entry_number: i64,
    /// The day it was received (its entry's date).
    pub date: String,
    /// `copay`, `patient_payment`, `payer_check`, `payer_payment` or `other`.
    pub kind: String,
    pub kind_label: String,
    pub description: String,
    /// The patient or payer it came from.
    pub from_name: String,
    /// `cash`, `check`, `card`, `other` (a payer's BPR04 in lower case when not a check).
    pub method: String,
    pub check_number: Option<String>,
    pub amount_cents: i64,
    pub amount: String,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
}

/// An account a deposit may go into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DepositAccountView {
    pub number: String,
    pub name: String,
}

/// The undeposited items and where they may go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UndepositedView {
    pub items: Vec<UndepositedItemView>,
    pub total_cents: i64,
    pub total: String,
    pub accounts: Vec<DepositAccountView>,
}

/// "Make deposit" as asked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewDepositInput {
    /// `YYYY-MM-DD`; blank: today.
    pub deposit_date: String,
    /// The cash account's number; blank: 1000 Cash - Operating.
    pub account: String,
    /// The items, each `entry_id:line_number` (as listed by the undeposited items).
    pub items: Vec<String>,
    /// Every undeposited item instead of `items`.
    pub all: bool,
    /// A note on the deposit (optional).
    pub memo: String,
}

/// "Undo deposit": the reason is required.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UndoDepositInput {
    pub reason: String,
}

/// One item of a deposit as its slip shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DepositItemView {
    pub position: i64,
    pub date: String,
    pub kind: String,
    pub description: String,
    pub from_name: String,
    pub method: String,
    pub check_number: Option<String>,
    pub amount_cents: i64,
    pub amount: String,
}

/// A deposit in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepositSummaryView {
    pub id: String,
    pub deposit_number: i64,
    pub deposit_date: String,
    pub account_number: String,
    pub account_name: String,
    pub item_count: i64,
    pub total_cents: i64,
    pub total: String,
    pub reversed: bool,
}

/// A deposit with its items and the slip's totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepositView {
    pub id: String,
    pub deposit_number: i64,
    pub deposit_date: String,
    pub account_number: String,
    pub account_name: String,
    pub memo: String,
    pub total_cents: i64,
    pub total: String,
    pub journal_entry_id: String,
    pub made_by: String,
    pub made_at: String,
    /// Set once undone: the reversal entry, when and why.
    pub reversal_entry_id: Option<String>,
    pub reversed_at: Option<String>,
    pub reversal_reason: Option<String>,
    pub items: Vec<DepositItemView>,
    /// The slip: currency and coin, the checks (listed one by one), and the rest (cards, other).
    pub cash_cents: i64,
    pub checks_cents: i64,
    pub check_count: usize,
    pub other_cents: i64,
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn name_of(family: &Option<String>, given: &Option<String>) -> Option<String> {
    match (family.as_deref(), given.as_deref()) {
        (Some(f), Some(g)) => Some(format!("{f}, {g}")),
        (Some(f), None) => Some(f.to_string()),
        _ => None,
    }
}

/// What an undeposited line is, from the payment it came from.
fn item_view(r: &UndepositedRow) -> UndepositedItemView {
    let patient = name_of(&r.patient_family_name, &r.patient_given_name);
    let (kind, kind_label, method, check_number, from_name) = match r.source_kind.as_str() {
        "copay" | "patient_payment" => {
            let method = r.payment_method.clone().unwrap_or_else(|| "other".into());
            let check = if method == "check" { r.payment_reference.clone().filter(|s| !s.trim().is_empty()) } else { None };
            let (kind, label) = if r.source_kind == "copay" { ("copay", "Co-pay") } else { ("patient_payment", "Patient payment") };
            (kind, label.to_string(), method, check, patient.clone().unwrap_or_default())
        }
        "remittance" => {
            let bpr04 = r.remittance_method.clone().unwrap_or_default();
            let payer = r.remittance_payer.clone().or_else(|| r.payer_name.clone()).unwrap_or_default();
            if bpr04 == "CHK" {
                ("payer_check", "Check from payer".to_string(), "check".to_string(), r.remittance_trace.clone(), payer)
            } else {
                ("payer_payment", "Payment from payer".to_string(), bpr04.to_ascii_lowercase(), r.remittance_trace.clone(), payer)
            }
        }
        _ => {
            let from = patient.clone().or_else(|| r.payer_name.clone()).unwrap_or_default();
            ("other", "Other receipt".to_string(), "other".to_string(), None, from)
        }
    };
    let description = match &r.line_memo {
        Some(m) if !m.trim().is_empty() && *m != r.entry_memo => format!("{} ({m})", r.entry_memo),
        _ => r.entry_memo.clone(),
    };
    UndepositedItemView {
        key: format!("{}:{}", r.entry_id, r.line_number),
        entry_id: r.entry_id.clone(),
        line_number: r.line_number,
        entry_number: r.entry_number,
        date: r.entry_date.clone(),
        kind: kind.to_string(),
        kind_label,
        description,
        from_name,
        method,
        check_number,
        amount_cents: r.amount_cents,
        amount: money(r.amount_cents),
        patient_id: r.patient_id.clone(),
        payer_id: r.payer_id.clone(),
    }
}

/// Whether a deposit may go into the account: an open asset account among the cash and bank
/// accounts (10xx), Undeposited funds itself excepted.
fn deposit_account(a: &AccountRow) -> bool {
    a.active == 1
        && AccountType::parse(&a.account_type) == Some(AccountType::Asset)
        && a.number.starts_with("10")
        && a.number != accounts::UNDEPOSITED_FUNDS
}

fn item_view_of(i: &DepositItemRow) -> DepositItemView {
    DepositItemView {
        position: i.position,
        date: i.received_date.clone(),
        kind: i.kind.clone(),
        description: i.description.clone(),
        from_name: i.from_name.clone(),
        method: i.method.clone(),
        check_number: i.check_number.clone(),
        amount_cents: i.amount_cents,
        amount: money(i.amount_cents),
    }
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

impl App {
    /// The undeposited items, oldest first, with their total and the accounts a deposit may go
    /// into. Audited (the items name patients).
    pub async fn undeposited_items(&self, actor: &Actor) -> Result<UndepositedView> {
        self.authorize(actor, Action::MakeDeposits, None).await?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        store::release_reversed(&mut tx, &actor.practice_id).await?;
        let rows = store::undeposited(&mut tx, &actor.practice_id, accounts::UNDEPOSITED_FUNDS, store::UNDEPOSITED_LIMIT).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let items: Vec<UndepositedItemView> = rows.iter().map(item_view).collect();
        let total_cents = items.iter().map(|i| i.amount_cents).sum();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "deposit.undeposited.read",
                patient_id: None,
                record_type: "deposit",
                record_id: None,
                detail: format!("{} undeposited items, {}", items.len(), money(total_cents)),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(UndepositedView {
            items,
            total_cents,
            total: money(total_cents),
            accounts: chart
                .iter()
                .filter(|a| deposit_account(a))
                .map(|a| DepositAccountView { number: a.number.clone(), name: a.name.clone() })
                .collect(),
        })
    }

    /// Makes a deposit of the chosen undeposited items (see the module's documentation), in one
    /// transaction; returns it as its slip shows it.
    pub async fn make_deposit(&self, actor: &Actor, input: &NewDepositInput) -> Result<DepositView> {
        self.authorize(actor, Action::MakeDeposits, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let date = if input.deposit_date.trim().is_empty() {
            Some(today)
        } else {
            match day(&input.deposit_date) {
                Some(d) if d > today => {
                    errors.add("deposit_date", format!("a deposit is dated the day it is made: {d} is after today {today}"));
                    None
                }
                Some(d) => Some(d),
                None => {
                    errors.add("deposit_date", "enter the deposit's date as YYYY-MM-DD");
                    None
                }
            }
        };
        let memo_note = clean(&input.memo);
        if memo_note.as_deref().is_some_and(|m| m.chars().count() > 200) {
            errors.add("memo", "at most 200 characters");
        }
        let mut wanted: Vec<String> = Vec::new();
        for key in &input.items {
            let key = key.trim().to_string();
            if key.is_empty() {
                continue;
            }
            if wanted.contains(&key) {
                errors.add("items", "an item is chosen twice");
                break;
            }
            wanted.push(key);
        }
        if !input.all && wanted.is_empty() {
            errors.add("items", "choose the payments to deposit");
        }
        let account_number = clean(&input.account).unwrap_or_else(|| accounts::CASH_OPERATING.to_string());
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        store::release_reversed(&mut tx, &actor.practice_id).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let account = chart.iter().find(|a| a.number == account_number).cloned();
        match &account {
            Some(a) if deposit_account(a) => {}
            Some(a) => errors.add("account", format!("{} {} is not an open cash or bank account", a.number, a.name)),
            None => errors.add("account", format!("there is no account {account_number}")),
        }
        let rows = store::undeposited(&mut tx, &actor.practice_id, accounts::UNDEPOSITED_FUNDS, store::UNDEPOSITED_LIMIT).await?;
        let open: HashMap<String, UndepositedItemView> = rows.iter().map(item_view).map(|i| (i.key.clone(), i)).collect();
        let mut chosen: Vec<UndepositedItemView> = if input.all {
            rows.iter().map(item_view).collect()
        } else {
            let mut chosen = Vec::with_capacity(wanted.len());
            let mut gone = 0;
            for key in &wanted {
                match open.get(key) {
                    Some(i) => chosen.push(i.clone()),
                    None => gone += 1,
                }
            }
            if gone > 0 && errors.is_empty() {
                return Err(AppError::Conflict(format!(
                    "{gone} of the chosen payments are no longer waiting to be deposited (deposited or voided meanwhile); reload the list"
                )));
            }
            chosen
        };
        chosen.sort_by(|a, b| (&a.date, a.entry_number, a.line_number).cmp(&(&b.date, b.entry_number, b.line_number)));
        if input.all && chosen.is_empty() {
            errors.add("items", "there is nothing waiting to be deposited");
        }
        if chosen.len() > MAX_DEPOSIT_ITEMS {
            errors.add("items", format!("at most {MAX_DEPOSIT_ITEMS} payments in one deposit; make two"));
        }
        if let (Some(date), Some(latest)) = (date, chosen.iter().filter_map(|i| day(&i.date)).max())
            && date < latest
        {
            errors.add("deposit_date", format!("the deposit cannot be dated before a payment in it was received ({latest})"));
        }
        let (Some(date), Some(account)) = (date, account) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let total_cents: i64 = chosen.iter().map(|i| i.amount_cents).sum();
        let deposit_id = new_id();
        let deposit_number = next_counter(&mut tx, &actor.practice_id, "deposit").await?;
        let memo = match &memo_note {
            Some(note) => format!("Deposit #{deposit_number}: {} payments ({note})", chosen.len()),
            None => format!("Deposit #{deposit_number}: {} payments", chosen.len()),
        };
        let mut lines = vec![NewLine { memo: Some(format!("Deposit #{deposit_number}")), ..NewLine::debit(&account.number, total_cents) }];
        for i in &chosen {
            let what = match &i.check_number {
                Some(n) => format!("{} {n}", i.kind_label),
                None => format!("{} ({})", i.kind_label, i.method),
            };
            lines.push(NewLine {
                memo: Some(if i.from_name.is_empty() { what } else { format!("{what}, {}", i.from_name) }),
                patient_id: i.patient_id.clone(),
                payer_id: i.payer_id.clone(),
                ..NewLine::credit(accounts::UNDEPOSITED_FUNDS, i.amount_cents)
            });
        }
        let entry = NewEntry {
            date: Some(date),
            memo: memo.clone(),
            source_kind: SOURCE_DEPOSIT.into(),
            source_id: Some(deposit_id.clone()),
            idempotency_key: Some(format!("deposit:{deposit_id}")),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines,
        };
        let posted = self.post_entry(&mut tx, &actor.practice_id, &entry).await?;
        let row = DepositRow {
            practice_id: actor.practice_id.clone(),
            id: deposit_id.clone(),
            deposit_number,
            deposit_date: date.to_string(),
            account_id: account.id.clone(),
            total_cents,
            item_count: chosen.len() as i64,
            memo,
            journal_entry_id: posted.entry.id.clone(),
            made_by: actor.user_id.clone(),
            made_at: now.clone(),
            reversal_entry_id: None,
            reversed_by: None,
            reversed_at: None,
            reversal_reason: None,
        };
        store::insert_deposit(&mut tx, &row).await?;
        for (n, i) in chosen.iter().enumerate() {
            let item = DepositItemRow {
                practice_id: actor.practice_id.clone(),
                deposit_id: deposit_id.clone(),
                position: n as i64 + 1,
                entry_id: i.entry_id.clone(),
                line_number: i.line_number,
                received_date: i.date.clone(),
                kind: i.kind_label.clone(),
                description: i.description.clone(),
                from_name: i.from_name.clone(),
                method: i.method.clone(),
                check_number: i.check_number.clone(),
                amount_cents: i.amount_cents,
                patient_id: i.patient_id.clone(),
                payer_id: i.payer_id.clone(),
                held_key: Some(i.key.clone()),
            };
            match store::insert_item(&mut tx, &item).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => {
                    return Err(AppError::Conflict(format!(
                        "{} {} of {} was deposited by someone else meanwhile; reload the list",
                        i.kind_label,
                        i.check_number.as_deref().unwrap_or(""),
                        i.amount
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "deposit.make",
                patient_id: None,
                record_type: "deposit",
                record_id: Some(&deposit_id),
                detail: format!(
                    "deposit #{deposit_number} {date} into {} {}: {} payments, {} (entry #{})",
                    account.number,
                    account.name,
                    chosen.len(),
                    money(total_cents),
                    posted.entry.entry_number
                ),
            },
        )
        .await?;
        let view = self.deposit_view(&mut tx, &actor.practice_id, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The practice's deposits, the latest first.
    pub async fn deposits(&self, actor: &Actor) -> Result<Vec<DepositSummaryView>> {
        self.authorize(actor, Action::MakeDeposits, None).await?;
        let mut tx = self.store.begin().await?;
        store::release_reversed(&mut tx, &actor.practice_id).await?;
        let rows = store::list(&mut tx, &actor.practice_id, store::LIST_LIMIT).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let by_id: HashMap<&str, &AccountRow> = chart.iter().map(|a| (a.id.as_str(), a)).collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let account = by_id.get(r.account_id.as_str());
                DepositSummaryView {
                    id: r.id,
                    deposit_number: r.deposit_number,
                    deposit_date: r.deposit_date,
                    account_number: account.map(|a| a.number.clone()).unwrap_or_default(),
                    account_name: account.map(|a| a.name.clone()).unwrap_or_default(),
                    item_count: r.item_count,
                    total_cents: r.total_cents,
                    total: money(r.total_cents),
                    reversed: r.reversal_entry_id.is_some(),
                }
            })
            .collect())
    }

    /// One deposit with its items and slip totals. Audited (the items name patients).
    pub async fn deposit(&self, actor: &Actor, id: &str) -> Result<DepositView> {
        self.authorize(actor, Action::MakeDeposits, None).await?;
        let mut tx = self.store.begin().await?;
        store::release_reversed(&mut tx, &actor.practice_id).await?;
        let row = store::get(&mut tx, &actor.practice_id, id.trim()).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "deposit.read",
                patient_id: None,
                record_type: "deposit",
                record_id: Some(&row.id),
                detail: format!("deposit #{} {}", row.deposit_number, money(row.total_cents)),
            },
        )
        .await?;
        let view = self.deposit_view(&mut tx, &actor.practice_id, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Undoes a deposit by reversing its entry (dated today, or the deposit's date if later),
    /// with the reason; its items wait to be deposited again.
    pub async fn undo_deposit(&self, actor: &Actor, id: &str, input: &UndoDepositInput) -> Result<DepositView> {
        self.authorize(actor, Action::MakeDeposits, None).await?;
        let reason = input.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(ValidationErrors::single("reason", "say why the deposit is undone (at most 200 characters)").into());
        }
        let mut tx = self.store.begin().await?;
        store::release_reversed(&mut tx, &actor.practice_id).await?;
        let row = store::get(&mut tx, &actor.practice_id, id.trim()).await?;
        if row.reversal_entry_id.is_some() {
            return Err(AppError::Conflict(format!("deposit #{} was undone already", row.deposit_number)));
        }
        let lines = ledger_store::lines_of_entry(&mut tx, &actor.practice_id, &row.journal_entry_id).await?;
        for l in lines.iter().filter(|l| l.account_id == row.account_id) {
            if bank_store::is_reconciled(&mut tx, &actor.practice_id, &l.entry_id, l.line_number).await?
                || bank_store::bank_line_of(&mut tx, &actor.practice_id, &l.entry_id, l.line_number).await?.is_some()
                || bank_store::cleared_line(&mut tx, &actor.practice_id, &l.entry_id, l.line_number).await?.is_some()
            {
                return Err(AppError::Conflict(format!(
                    "deposit #{} is matched with the bank statement (or reconciled): unmatch it in bank reconciliation first",
                    row.deposit_number
                )));
            }
        }
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let number_of: HashMap<&str, &str> = chart.iter().map(|a| (a.id.as_str(), a.number.as_str())).collect();
        let today = actor.today(self.now());
        let date = day(&row.deposit_date).map_or(today, |d| d.max(today));
        let entry = NewEntry {
            date: Some(date),
            memo: format!("Deposit #{} undone: {reason}", row.deposit_number),
            source_kind: SOURCE_DEPOSIT_REVERSAL.into(),
            source_id: Some(row.id.clone()),
            idempotency_key: Some(format!("deposit-reversal:{}", row.id)),
            reversal_of: Some(row.journal_entry_id.clone()),
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
        let now = self.now_text();
        if !store::set_reversed(&mut tx, &actor.practice_id, &row.id, &posted.entry.id, &actor.user_id, &now, &reason).await? {
            return Err(AppError::Conflict(format!("deposit #{} was undone already", row.deposit_number)));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "deposit.undo",
                patient_id: None,
                record_type: "deposit",
                record_id: Some(&row.id),
                detail: format!("deposit #{} undone by entry #{}: {reason}", row.deposit_number, posted.entry.entry_number),
            },
        )
        .await?;
        let row = store::get(&mut tx, &actor.practice_id, &row.id).await?;
        let view = self.deposit_view(&mut tx, &actor.practice_id, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The deposit slip as a PDF: the checks one by one, the cash, the rest and the total.
    pub async fn deposit_slip_pdf(&self, actor: &Actor, id: &str) -> Result<Vec<u8>> {
        use medoffice_pdf::{Align, Column, Document, Row, RowStyle, Table, TitleBlock};
        let d = self.deposit(actor, id).await?;
        let mut doc = Document::letter();
        doc.title_block(&TitleBlock {
            organization: actor.practice_name.clone(),
            title: format!("Deposit slip #{}", d.deposit_number),
            period: format!("{} into {} {}", d.deposit_date, d.account_number, d.account_name),
            printed_at: self.now().with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M").to_string(),
        });
        if d.reversal_entry_id.is_some() {
            doc.paragraph("UNDONE: this deposit was reversed; do not take it to the bank.");
        }
        let mut rows: Vec<Row> = d
            .items
            .iter()
            .filter(|i| i.method == "check")
            .map(|i| Row::new(vec![i.check_number.clone().unwrap_or_default(), i.from_name.clone(), i.amount.clone()]))
            .collect();
        let total = |label: String, cents: i64, style| Row::styled(vec![label, String::new(), money(cents)], style);
        rows.push(total(format!("Checks ({})", d.check_count), d.checks_cents, RowStyle::Total));
        rows.push(total("Currency and coin".into(), d.cash_cents, RowStyle::Total));
        if d.other_cents != 0 {
            rows.push(total("Cards and other (not in the bag)".into(), d.other_cents, RowStyle::Total));
        }
        rows.push(total("Total deposit".into(), d.total_cents, RowStyle::GrandTotal));
        doc.table(&Table {
            columns: vec![
                Column::new("Check number", 1.5, Align::Left),
                Column::new("From", 4.0, Align::Left),
                Column::new("Amount", 1.5, Align::Right),
            ],
            rows,
        });
        Ok(doc.finish())
    }

    async fn deposit_view(&self, conn: &mut Connection, practice_id: &str, row: DepositRow) -> Result<DepositView> {
        let account = ledger_store::get_account(conn, practice_id, &row.account_id).await?;
        let items: Vec<DepositItemView> = store::items(conn, practice_id, &row.id).await?.iter().map(item_view_of).collect();
        let sum = |f: &dyn Fn(&DepositItemView) -> bool| items.iter().filter(|i| f(i)).map(|i| i.amount_cents).sum::<i64>();
        let cash_cents = sum(&|i| i.method == "cash");
        let checks_cents = sum(&|i| i.method == "check");
        let check_count = items.iter().filter(|i| i.method == "check").count();
        Ok(DepositView {
            id: row.id,
            deposit_number: row.deposit_number,
            deposit_date: row.deposit_date,
            account_number: account.number,
            account_name: account.name,
            memo: row.memo,
            total_cents: row.total_cents,
            total: money(row.total_cents),
            journal_entry_id: row.journal_entry_id,
            made_by: row.made_by,
            made_at: row.made_at,
            reversal_entry_id: row.reversal_entry_id,
            reversed_at: row.reversed_at,
            reversal_reason: row.reversal_reason,
            other_cents: row.total_cents - cash_cents - checks_cents,
            items,
            cash_cents,
            checks_cents,
            check_count,
        })
    }
}
