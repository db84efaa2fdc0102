//! The financial statements from the ledger: the balance sheet as of a date and the income
//! statement over a period (accrual basis: every posted entry counts on its date).
//!
//! Each account's amount is its balance on its section's side (`domain::ledger::section_balance`),
//! so a contra account (accumulated depreciation, contractual adjustments, owner's draws) shows as
//! a negative amount that reduces its section. Until a year-end close moves revenue and expenses
//! into retained earnings, the balance sheet carries their difference as "Net income not yet
//! closed" in owners' equity, which is what makes assets = liabilities + owners' equity hold.

use crate::ledger::{EntryView, NewEntry, NewLine, ensure_default_chart};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::export::{self, ExportAccount, ExportLine};
use medoffice_domain::ledger::{AccountType, Section, section_balance};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::StoreError;
use medoffice_store::ledger::{self as store, AccountRow, AccountTotalsRow};
use serde::Serialize;
use std::collections::HashMap;

/// The source kind of the year-end closing entry.
pub const SOURCE_YEAR_END: &str = "year_end_close";

/// The earliest date the ledger takes.
pub(crate) const FIRST_DATE: &str = "0001-01-01";

/// One account's line on a statement.
#[derive(Debug, Clone, Serialize)]
pub struct StatementLine {
    pub account_id: String,
    pub number: String,
    pub name: String,
    /// On the section's side: negative for a contra account with a balance.
    pub amount_cents: i64,
}

/// A section of a statement: its accounts with a balance and their total.
#[derive(Debug, Clone, Serialize)]
pub struct StatementSection {
    pub title: String,
    pub lines: Vec<StatementLine>,
    pub total_cents: i64,
}

/// The balance sheet as of a date.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceSheetView {
    pub as_of: String,
    pub assets: StatementSection,
    pub liabilities: StatementSection,
    /// Owners' equity, with the net income not yet closed into retained earnings as its last line.
    pub equity: StatementSection,
    pub net_income_not_closed_cents: i64,
    pub total_liabilities_and_equity_cents: i64,
}

impl BalanceSheetView {
    /// Assets = liabilities + owners' equity.
    pub fn balances(&self) -> bool {
        self.assets.total_cents == self.total_liabilities_and_equity_cents
    }
}

/// The income statement over a period.
#[derive(Debug, Clone, Serialize)]
pub struct IncomeStatementView {
    pub from: String,
    pub to: String,
    pub revenue: StatementSection,
    pub expenses: StatementSection,
    pub net_income_cents: i64,
}

pub(crate) fn section(title: &str, which: Section, accounts: &[AccountRow], totals: &HashMap<&str, (i64, i64)>) -> StatementSection {
    let lines: Vec<StatementLine> = accounts
        .iter()
        .filter(|a| AccountType::parse(&a.account_type).map(|t| t.section()) == Some(which))
        .filter_map(|a| {
            let (d, c) = totals.get(a.id.as_str()).copied()?;
            let amount = section_balance(which, Money::from_cents(d), Money::from_cents(c)).cents();
            (amount != 0).then(|| StatementLine {
                account_id: a.id.clone(),
                number: a.number.clone(),
                name: a.name.clone(),
                amount_cents: amount,
            })
        })
        .collect();
    let total_cents = lines.iter().map(|l| l.amount_cents).sum();
    StatementSection { title: title.to_string(), lines, total_cents }
}

fn by_account(rows: &[AccountTotalsRow]) -> HashMap<&str, (i64, i64)> {
    rows.iter().map(|t| (t.account_id.as_str(), (t.debit_cents, t.credit_cents))).collect()
}

impl App {
    /// The balance sheet as of `as_of`, shown to balance.
    pub async fn balance_sheet(&self, actor: &Actor, as_of: NaiveDate) -> Result<BalanceSheetView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let as_of_text = as_of.format("%Y-%m-%d").to_string();
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        let rows = store::account_totals(&mut tx, &actor.practice_id, FIRST_DATE, &as_of_text).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let totals = by_account(&rows);
        let assets = section("Assets", Section::Asset, &accounts, &totals);
        let liabilities = section("Liabilities", Section::Liability, &accounts, &totals);
        let mut equity = section("Owners' equity", Section::Equity, &accounts, &totals);
        let revenue = section("Revenue", Section::Revenue, &accounts, &totals).total_cents;
        let expenses = section("Expenses", Section::Expense, &accounts, &totals).total_cents;
        let net_income_not_closed_cents = revenue - expenses;
        equity.total_cents += net_income_not_closed_cents;
        Ok(BalanceSheetView {
            as_of: as_of_text,
            total_liabilities_and_equity_cents: liabilities.total_cents + equity.total_cents,
            assets,
            liabilities,
            equity,
            net_income_not_closed_cents,
        })
    }

    /// The income statement for the entries dated `from..=to`: revenue, expenses, net income
    /// (the year-end closing entry left out, so a closed year still shows what it earned).
    pub async fn income_statement(&self, actor: &Actor, from: NaiveDate, to: NaiveDate) -> Result<IncomeStatementView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let (f, t) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        // The daily totals count every entry; the year-end closing entries (one a year) are taken back out.
        let rows = store::account_totals(&mut tx, &actor.practice_id, &f, &t).await?;
        let closing = store::source_totals(&mut tx, &actor.practice_id, &f, &t, SOURCE_YEAR_END).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut totals = by_account(&rows);
        for c in &closing {
            if let Some((d, cr)) = totals.get_mut(c.account_id.as_str()) {
                *d -= c.debit_cents;
                *cr -= c.credit_cents;
            }
        }
        let revenue = section("Revenue", Section::Revenue, &accounts, &totals);
        let expenses = section("Expenses", Section::Expense, &accounts, &totals);
        Ok(IncomeStatementView { from: f, to: t, net_income_cents: revenue.total_cents - expenses.total_cents, revenue, expenses })
    }
}

/// The most journal lines one export writes (held in memory; a streaming export is for later).
pub const EXPORT_LINE_LIMIT: i64 = 5_000_000;

/// Who the audit trail names for an export from the command line (no user signs in there).
pub const CLI_USERNAME: &str = "(command line)";

/// The formats the journal exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// ledger/hledger journal syntax.
    Ledger,
    Csv,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim() {
            "ledger" | "hledger" => Some(ExportFormat::Ledger),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }
}

impl App {
    /// The whole journal as ledger/hledger text or CSV (audited: the books leave medoffice).
    pub async fn export_journal(&self, actor: &Actor, format: ExportFormat) -> Result<String> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        self.export_journal_of(&actor.practice_id, format, Some(actor)).await
    }

    /// The same for the database's one practice, from the command line (`medoffice ledger
    /// export`): audited as [`CLI_USERNAME`], with no user.
    pub async fn export_journal_offline(&self, format: ExportFormat) -> Result<String> {
        let practice = self.only_practice().await?;
        self.export_journal_of(&practice.id, format, None).await
    }

    async fn export_journal_of(&self, practice_id: &str, format: ExportFormat, actor: Option<&Actor>) -> Result<String> {
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, practice_id).await?;
        let rows = store::lines_for_export(&mut tx, practice_id, EXPORT_LINE_LIMIT + 1).await?;
        if rows.len() as i64 > EXPORT_LINE_LIMIT {
            return Err(AppError::Conflict(format!("the journal has more than {EXPORT_LINE_LIMIT} lines; export a period instead")));
        }
        let detail = format!("{format:?}, {} lines", rows.len());
        match actor {
            Some(actor) => {
                let note = AuditNote { action: "ledger.export", patient_id: None, record_type: "journal", record_id: None, detail };
                self.audit(&mut tx, actor, note).await?;
            }
            None => {
                let event = medoffice_store::audit::NewAuditEvent {
                    practice_id: practice_id.to_string(),
                    at: self.now_text(),
                    user_id: None,
                    username: CLI_USERNAME.to_string(),
                    action: "ledger.export".to_string(),
                    patient_id: None,
                    record_type: "journal".to_string(),
                    record_id: None,
                    ip: None,
                    outcome: "success".to_string(),
                    detail,
                };
                self.append_audit(&mut tx, event).await?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        let number_of: HashMap<&str, &str> = accounts.iter().map(|a| (a.id.as_str(), a.number.as_str())).collect();
        let export_accounts: Vec<ExportAccount> = accounts
            .iter()
            .filter_map(|a| {
                AccountType::parse(&a.account_type).map(|t| ExportAccount {
                    number: a.number.clone(),
                    name: a.name.clone(),
                    account_type: t,
                })
            })
            .collect();
        let lines: Vec<ExportLine> = rows
            .into_iter()
            .map(|r| ExportLine {
                entry_number: r.entry_number,
                account_number: number_of.get(r.account_id.as_str()).map(|n| n.to_string()).unwrap_or(r.account_id),
                date: r.entry_date,
                memo: r.memo,
                debit: Money::from_cents(r.debit_cents),
                credit: Money::from_cents(r.credit_cents),
            })
            .collect();
        Ok(match format {
            ExportFormat::Ledger => export::to_ledger(&export_accounts, &lines),
            ExportFormat::Csv => export::to_csv(&export_accounts, &lines),
        })
    }
}

impl App {
    /// Closes a year: one entry dated December 31 moves every revenue and expense account's
    /// balance for the year into retained earnings, then every month of the year is closed. Done
    /// once per year (its idempotency key); to redo it, an admin reopens December and reverses it.
    pub async fn close_year(&self, actor: &Actor, year: i32) -> Result<EntryView> {
        self.authorize(actor, Action::ClosePeriods, None).await?;
        let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
            return Err(ValidationErrors::single("year", "enter a year, e.g. 2026").into());
        };
        let key = format!("year-end:{year}");
        let mut tx = self.store.begin().await?;
        if let Some(done) = store::entry_by_key(&mut tx, &actor.practice_id, &key).await? {
            return Err(AppError::Conflict(format!("{year} was closed into retained earnings already (entry #{})", done.entry_number)));
        }
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        let (f, t) = (first.format("%Y-%m-%d").to_string(), last.format("%Y-%m-%d").to_string());
        let rows = store::account_totals(&mut tx, &actor.practice_id, &f, &t).await?;
        let totals = by_account(&rows);
        let mut lines = Vec::new();
        let mut net_debit = 0i64;
        for a in &accounts {
            let closes = AccountType::parse(&a.account_type).is_some_and(|t| matches!(t.section(), Section::Revenue | Section::Expense));
            let Some((d, c)) = totals.get(a.id.as_str()).copied().filter(|_| closes) else { continue };
            let net = d - c;
            if net > 0 {
                lines.push(NewLine::credit(&a.number, net));
            } else if net < 0 {
                lines.push(NewLine::debit(&a.number, -net));
            }
            net_debit += net;
        }
        if lines.is_empty() {
            return Err(ValidationErrors::single("year", format!("nothing to close: no revenue or expense in {year}")).into());
        }
        // Revenue less expenses (credits less debits) is the year's net income, credited to retained earnings.
        if net_debit < 0 {
            lines.push(NewLine::credit(accounts::RETAINED_EARNINGS, -net_debit));
        } else if net_debit > 0 {
            lines.push(NewLine::debit(accounts::RETAINED_EARNINGS, net_debit));
        }
        let entry = NewEntry {
            date: Some(last),
            memo: format!("Year-end close {year}: revenue and expenses into retained earnings"),
            source_kind: SOURCE_YEAR_END.to_string(),
            source_id: Some(year.to_string()),
            idempotency_key: Some(key),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines,
        };
        let posted = self.post_entry(&mut tx, &actor.practice_id, &entry).await?;
        let now = self.now_text();
        for month in 1..=12u32 {
            let period = format!("{year:04}-{month:02}");
            if !store::period_is_closed(&mut tx, &actor.practice_id, &period).await? {
                store::close_period(&mut tx, &actor.practice_id, &period, &actor.user_id, &now).await?;
            }
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.year.close",
                patient_id: None,
                record_type: "journal_entry",
                record_id: Some(&posted.entry.id),
                detail: format!("{year}: net income {}", Money::from_cents(-net_debit)),
            },
        )
        .await?;
        let view = self.journal_entry_in(&mut tx, &actor.practice_id, posted.entry).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }
}

/// The most parties a subledger lists.
pub const SUBLEDGER_LIMIT: i64 = 100_000;

/// One party's balance in a subledger.
#[derive(Debug, Clone, Serialize)]
pub struct PartyBalance {
    pub party_id: String,
    /// Debits less credits on the account (a receivable's balance owed, a payable's negative).
    pub net_cents: i64,
}

/// A control account split by party: each patient's (payer's, vendor's) share, what names no party,
/// and the account's own balance, which is their sum.
#[derive(Debug, Clone, Serialize)]
pub struct SubledgerView {
    pub account_number: String,
    pub as_of: String,
    pub parties: Vec<PartyBalance>,
    /// Lines on the account that name no party of this kind (manual entries, for instance).
    pub unassigned_cents: i64,
    /// The control account's debits less credits.
    pub control_cents: i64,
}

impl SubledgerView {
    /// The subledger ties to its control account.
    pub fn ties(&self) -> bool {
        self.parties.iter().map(|p| p.net_cents).sum::<i64>() + self.unassigned_cents == self.control_cents
    }
}

impl App {
    /// A control account (e.g. `1110` receivables from patients by `Party::Patient`) split by party
    /// as of a date. Parties with a zero balance are left out.
    pub async fn subledger(&self, actor: &Actor, account_number: &str, party: store::Party, as_of: NaiveDate) -> Result<SubledgerView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let as_of_text = as_of.format("%Y-%m-%d").to_string();
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        let Some(account) = accounts.iter().find(|a| a.number == account_number.trim()) else {
            return Err(ValidationErrors::single("account", format!("there is no account {}", account_number.trim())).into());
        };
        let rows = store::party_totals(&mut tx, &actor.practice_id, &account.id, party, &as_of_text, SUBLEDGER_LIMIT).await?;
        let (debit, credit) = store::account_total(&mut tx, &actor.practice_id, &account.id, FIRST_DATE, &as_of_text).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut parties = Vec::new();
        let mut unassigned_cents = 0;
        for (party_id, d, c) in rows {
            match party_id {
                Some(id) if d != c => parties.push(PartyBalance { party_id: id, net_cents: d - c }),
                Some(_) => {}
                None => unassigned_cents += d - c,
            }
        }
        parties.sort_by(|a, b| a.party_id.cmp(&b.party_id));
        Ok(SubledgerView {
            account_number: account.number.clone(),
            as_of: as_of_text,
            parties,
            unassigned_cents,
            control_cents: debit - credit,
        })
    }
}
