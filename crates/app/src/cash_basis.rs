//! Cash-basis reports: the trial balance, balance sheet and income statement as they read when
//! revenue counts when the money comes in and expenses when the money goes out. Derived from the
//! accrual ledger by the rules of `medoffice_domain::ledger::cash_basis` (read them there): nothing
//! is posted twice, the cash basis is a view.
//!
//! - Income statement: the accrual totals of the period, adjusted entry by entry for the entries
//!   that touch a receivable or payable control account.
//! - Balance sheet: the accrual balance sheet without the receivables (and their allowance) and
//!   payables; owners' equity carries their difference as one line, so it still balances.
//! - Trial balance: the accrual one without the control accounts, the revenue and expense accounts
//!   on the cash basis since the last year-end close, and one equity line that balances it.
//!
//! Reading needs the books' right (`Action::ReadBooks`), checked by the accrual report each one starts from.

use crate::ledger::{TrialBalanceRow, TrialBalanceView, ensure_default_chart};
use crate::ledger_reports::{BalanceSheetView, FIRST_DATE, IncomeStatementView, SOURCE_YEAR_END, StatementLine, section};
use crate::{Actor, App, Result};
use chrono::{Days, NaiveDate};
use medoffice_domain::ledger::cash_basis::{CashEntry, CashLine, Role, adjustments};
use medoffice_domain::ledger::{AccountType, Section, accounts};
use medoffice_store::Connection;
use medoffice_store::StoreError;
use medoffice_store::cash_basis as store;
use medoffice_store::ledger::{self as ledger_store, AccountRow};
use std::collections::{HashMap, HashSet};

/// Which basis a report is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Basis {
    #[default]
    Accrual,
    Cash,
}

impl Basis {
    /// `accrual` or `cash` (anything else: accrual).
    pub fn parse(text: &str) -> Basis {
        if text.trim().eq_ignore_ascii_case("cash") { Basis::Cash } else { Basis::Accrual }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Accrual => "accrual",
            Basis::Cash => "cash",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Basis::Accrual => "Accrual basis",
            Basis::Cash => "Cash basis",
        }
    }
}

/// The title of the equity line that carries the receivables and payables on a cash-basis
/// balance sheet or trial balance.
pub const CASH_BASIS_EQUITY_LINE: &str = "Receivables and payables not yet collected or paid";

const RECEIVABLES: [&str; 3] = [accounts::AR_INSURANCE, accounts::AR_PATIENTS, accounts::AR_OTHER];

/// Each account's role in the conversion, by id. Sub-accounts take their parent's role; money
/// accounts are the asset accounts numbered 10xx (cash, undeposited funds, petty cash).
fn roles(chart: &[AccountRow]) -> HashMap<String, Role> {
    let by_id: HashMap<&str, &AccountRow> = chart.iter().map(|a| (a.id.as_str(), a)).collect();
    let top = |a: &AccountRow| -> String {
        let mut current = a;
        for _ in 0..10 {
            match current.parent_id.as_deref().and_then(|p| by_id.get(p)) {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current.number.clone()
    };
    chart
        .iter()
        .map(|a| {
            let t = AccountType::parse(&a.account_type);
            let section = t.map(AccountType::section);
            let root = top(a);
            let role = match section {
                Some(Section::Revenue | Section::Expense) => Role::Income,
                Some(Section::Asset) if t == Some(AccountType::Asset) && a.number.starts_with("10") => Role::Money,
                Some(Section::Asset) if RECEIVABLES.contains(&root.as_str()) => Role::Receivable,
                Some(Section::Liability) if root == accounts::ACCOUNTS_PAYABLE => Role::Payable,
                _ => Role::Other,
            };
            (a.id.clone(), role)
        })
        .collect()
}

/// The accrual totals of `from..=to` adjusted to the cash basis, by account id; the chart gains an
/// uncategorized-expense account when the practice's chart has none.
async fn cash_totals(
    conn: &mut Connection,
    practice_id: &str,
    chart: &mut Vec<AccountRow>,
    from: &str,
    to: &str,
    accrual: &HashMap<String, (i64, i64)>,
) -> Result<HashMap<String, (i64, i64)>> {
    let role_of = roles(chart);
    let by_number: HashMap<String, String> = chart.iter().map(|a| (a.number.clone(), a.id.clone())).collect();
    let uncategorized = match by_number.get(accounts::UNCATEGORIZED_EXPENSES) {
        Some(id) => id.clone(),
        None => {
            let id = "uncategorized-expenses".to_string();
            chart.push(AccountRow {
                practice_id: practice_id.to_string(),
                id: id.clone(),
                number: accounts::UNCATEGORIZED_EXPENSES.to_string(),
                name: "Uncategorized expenses".to_string(),
                account_type: AccountType::Expense.as_str().to_string(),
                normal_balance: "debit".to_string(),
                parent_id: None,
                active: 1,
                created_at: String::new(),
            });
            id
        }
    };
    let revenue_of = |account_id: &str| -> Option<String> {
        let number = chart.iter().find(|a| a.id == account_id).map(|a| a.number.as_str())?;
        let revenue =
            if number.starts_with(accounts::AR_OTHER) { accounts::OTHER_SERVICE_REVENUE } else { accounts::PATIENT_SERVICE_REVENUE };
        by_number.get(revenue).cloned()
    };
    let controls: Vec<String> =
        role_of.iter().filter(|(_, r)| matches!(r, Role::Receivable | Role::Payable)).map(|(id, _)| id.clone()).collect();
    let lines = store::lines_of_control_entries(conn, practice_id, from, to, &controls).await?;
    let bill_lines = store::bill_lines_of_payments(conn, practice_id, from, to).await?;
    // The weights of each bill payment's entry (and its void's): a bill line's share of the cash
    // applied to its bill.
    let mut weights: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for b in &bill_lines {
        let Some(account) = by_number.get(&b.account_number) else { continue };
        let share = if b.bill_total_cents == 0 {
            0
        } else {
            (i128::from(b.line_cents) * i128::from(b.applied_cents) / i128::from(b.bill_total_cents)) as i64
        };
        for entry in std::iter::once(&b.journal_entry_id).chain(b.void_entry_id.iter()) {
            weights.entry(entry.clone()).or_default().push((account.clone(), share));
        }
    }
    let mut entries: Vec<CashEntry> = Vec::new();
    let mut current: Option<String> = None;
    for l in &lines {
        if current.as_deref() != Some(l.entry_id.as_str()) {
            current = Some(l.entry_id.clone());
            entries.push(CashEntry { lines: Vec::new(), expense_weights: weights.remove(&l.entry_id).unwrap_or_default() });
        }
        let role = role_of.get(&l.account_id).copied().unwrap_or(Role::Other);
        if let Some(entry) = entries.last_mut() {
            entry.lines.push(CashLine {
                account: l.account_id.clone(),
                role,
                debit_cents: l.debit_cents,
                credit_cents: l.credit_cents,
                revenue_account: if role == Role::Receivable { revenue_of(&l.account_id) } else { None },
            });
        }
    }
    let mut totals = accrual.clone();
    for (account, net_debit) in adjustments(&entries, &uncategorized) {
        let t = totals.entry(account).or_default();
        if net_debit > 0 {
            t.0 += net_debit;
        } else {
            t.1 -= net_debit;
        }
    }
    Ok(totals)
}

fn borrowed(totals: &HashMap<String, (i64, i64)>) -> HashMap<&str, (i64, i64)> {
    totals.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl App {
    /// The income statement for `from..=to` on the cash basis.
    pub async fn income_statement_cash(&self, actor: &Actor, from: NaiveDate, to: NaiveDate) -> Result<IncomeStatementView> {
        let accrual = self.income_statement(actor, from, to).await?;
        let (f, t) = (day(from), day(to));
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let mut chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let accrual_totals = statement_totals(&accrual);
        let totals = cash_totals(&mut tx, &actor.practice_id, &mut chart, &f, &t, &accrual_totals).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let view = borrowed(&totals);
        let revenue = section("Revenue", Section::Revenue, &chart, &view);
        let expenses = section("Expenses", Section::Expense, &chart, &view);
        Ok(IncomeStatementView { from: f, to: t, net_income_cents: revenue.total_cents - expenses.total_cents, revenue, expenses })
    }

    /// The balance sheet as of `as_of` on the cash basis: without receivables and payables, whose
    /// difference owners' equity carries as one line.
    pub async fn balance_sheet_cash(&self, actor: &Actor, as_of: NaiveDate) -> Result<BalanceSheetView> {
        let mut sheet = self.balance_sheet(actor, as_of).await?;
        let mut tx = self.store.begin().await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let left_out = left_out_accounts(&chart);
        let mut removed_assets = 0i64;
        sheet.assets.lines.retain(|l| {
            let keep = !left_out.contains(&l.account_id);
            if !keep {
                removed_assets += l.amount_cents;
            }
            keep
        });
        sheet.assets.total_cents -= removed_assets;
        let mut removed_liabilities = 0i64;
        sheet.liabilities.lines.retain(|l| {
            let keep = !left_out.contains(&l.account_id);
            if !keep {
                removed_liabilities += l.amount_cents;
            }
            keep
        });
        sheet.liabilities.total_cents -= removed_liabilities;
        let carried = removed_liabilities - removed_assets;
        if carried != 0 {
            sheet.equity.lines.push(StatementLine {
                account_id: String::new(),
                number: String::new(),
                name: CASH_BASIS_EQUITY_LINE.to_string(),
                amount_cents: carried,
            });
            sheet.equity.total_cents += carried;
        }
        sheet.total_liabilities_and_equity_cents = sheet.liabilities.total_cents + sheet.equity.total_cents;
        Ok(sheet)
    }

    /// The trial balance as of `as_of` on the cash basis.
    pub async fn trial_balance_cash(&self, actor: &Actor, as_of: NaiveDate) -> Result<TrialBalanceView> {
        let accrual = self.trial_balance(actor, as_of).await?;
        let as_of_text = day(as_of);
        let mut tx = self.store.begin().await?;
        let mut chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        // Revenue and expense accounts hold what was posted since the last year-end close.
        let since = match store::latest_entry_date_of_source(&mut tx, &actor.practice_id, SOURCE_YEAR_END, &as_of_text).await? {
            Some(closed) => NaiveDate::parse_from_str(&closed, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .map(day)
                .unwrap_or_else(|| FIRST_DATE.to_string()),
            None => FIRST_DATE.to_string(),
        };
        let role_of = roles(&chart);
        let income_only: HashMap<String, (i64, i64)> = accrual
            .accounts
            .iter()
            .filter(|r| role_of.get(&r.account_id) == Some(&Role::Income))
            .map(|r| (r.account_id.clone(), (0, 0)))
            .collect();
        // Only the adjustments matter here: start from zero and add them to the accrual rows.
        let adjusted = cash_totals(&mut tx, &actor.practice_id, &mut chart, &since, &as_of_text, &income_only).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let left_out = left_out_accounts(&chart);
        let mut nets: Vec<(AccountRow, i64)> = Vec::new();
        for a in &chart {
            if left_out.contains(&a.id) {
                continue;
            }
            let posted = accrual.accounts.iter().find(|r| r.account_id == a.id).map(|r| r.debit_cents - r.credit_cents).unwrap_or(0);
            let adjustment = adjusted.get(&a.id).map(|(d, c)| d - c).unwrap_or(0);
            let net = posted + adjustment;
            if net != 0 {
                nets.push((a.clone(), net));
            }
        }
        let off: i64 = nets.iter().map(|(_, n)| n).sum();
        let mut rows: Vec<TrialBalanceRow> = nets
            .into_iter()
            .map(|(a, net)| TrialBalanceRow {
                account_id: a.id,
                number: a.number,
                name: a.name,
                account_type: a.account_type,
                debit_cents: net.max(0),
                credit_cents: (-net).max(0),
            })
            .collect();
        if off != 0 {
            rows.push(TrialBalanceRow {
                account_id: String::new(),
                number: String::new(),
                name: CASH_BASIS_EQUITY_LINE.to_string(),
                account_type: AccountType::Equity.as_str().to_string(),
                debit_cents: (-off).max(0),
                credit_cents: off.max(0),
            });
        }
        let total_debit_cents = rows.iter().map(|r| r.debit_cents).sum();
        let total_credit_cents = rows.iter().map(|r| r.credit_cents).sum();
        Ok(TrialBalanceView { as_of: as_of_text, accounts: rows, total_debit_cents, total_credit_cents })
    }
}

/// The accounts a cash-basis balance sheet leaves out: receivables (with contra accounts under
/// them, like the allowance) and payables.
fn left_out_accounts(chart: &[AccountRow]) -> HashSet<String> {
    roles(chart)
        .into_iter()
        .filter(|(id, role)| {
            matches!(role, Role::Receivable | Role::Payable)
                || chart.iter().any(|a| {
                    &a.id == id && a.account_type == AccountType::ContraAsset.as_str() && {
                        let parent = a.parent_id.as_deref();
                        chart.iter().any(|p| Some(p.id.as_str()) == parent && RECEIVABLES.contains(&p.number.as_str()))
                    }
                })
        })
        .map(|(id, _)| id)
        .collect()
}

/// An income statement's amounts back as (debit, credit) totals per account.
fn statement_totals(statement: &IncomeStatementView) -> HashMap<String, (i64, i64)> {
    let mut totals = HashMap::new();
    for l in &statement.revenue.lines {
        // Revenue's side is credit: a positive amount is a net credit.
        totals.insert(l.account_id.clone(), if l.amount_cents >= 0 { (0, l.amount_cents) } else { (-l.amount_cents, 0) });
    }
    for l in &statement.expenses.lines {
        totals.insert(l.account_id.clone(), if l.amount_cents >= 0 { (l.amount_cents, 0) } else { (0, -l.amount_cents) });
    }
    totals
}

impl App {
    /// The trial balance on either basis.
    pub async fn trial_balance_on(&self, actor: &Actor, as_of: NaiveDate, basis: Basis) -> Result<TrialBalanceView> {
        match basis {
            Basis::Accrual => self.trial_balance(actor, as_of).await,
            Basis::Cash => self.trial_balance_cash(actor, as_of).await,
        }
    }

    /// The balance sheet on either basis.
    pub async fn balance_sheet_on(&self, actor: &Actor, as_of: NaiveDate, basis: Basis) -> Result<BalanceSheetView> {
        match basis {
            Basis::Accrual => self.balance_sheet(actor, as_of).await,
            Basis::Cash => self.balance_sheet_cash(actor, as_of).await,
        }
    }

    /// The income statement on either basis.
    pub async fn income_statement_on(&self, actor: &Actor, from: NaiveDate, to: NaiveDate, basis: Basis) -> Result<IncomeStatementView> {
        match basis {
            Basis::Accrual => self.income_statement(actor, from, to).await,
            Basis::Cash => self.income_statement_cash(actor, from, to).await,
        }
    }
}
