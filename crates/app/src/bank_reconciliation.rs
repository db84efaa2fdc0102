//! Bank reconciliation: import a bank statement of a cash account (CSV or OFX, read by
//! `domain::ledger::bank`), match its lines with the account's ledger lines, post what only the
//! bank knows (fees, interest), and mark the account reconciled when the statement's ending
//! balance equals the cleared balance.
//!
//! - Importing is one transaction: the statement, its lines (a line the account already has, by
//!   FITID or as an identical CSV line, is left out), each line's automatic match, the audit
//!   record. A file that cannot be read writes nothing and says which line is at fault.
//! - A match pairs a bank line with a ledger line of the same account and the same signed amount
//!   (a deposit with a debit to cash, a payment with a credit); a ledger line is matched at most
//!   once (checked here, and by the database's `bank_statement_line_ledger_once`).
//! - "Post it" posts a fee (Dr 6600 Bank and card fees, Cr cash) or an interest or other deposit
//!   (Dr cash, Cr 4900 Other revenue) through [`App::post_entry`] with key `bank_line:<id>`, and
//!   matches the bank line with the entry's cash line.
//! - The cleared balance is the sum of the ledger lines reconciled before and of those matched
//!   with a bank line dated up to the statement's date. Marking reconciled is refused unless it
//!   equals the statement's ending balance; it records the reconciliation and the ledger lines it
//!   cleared (`bank_reconciled_line`; `journal_line` is never changed), which then cannot be
//!   unmatched.
//!
//! Writing needs the bookkeeper's posting right ([`Action::PostJournal`]); reading the books'
//! right ([`Action::ReadBooks`]).

use crate::ledger::{NewEntry, NewLine, ensure_default_chart};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Duration, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::bank::{self, BankItem, CHECK_WINDOW_DAYS, LedgerItem, MATCH_WINDOW_DAYS, StatementError};
use medoffice_domain::ledger::{AccountType, accounts};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::bank_reconciliation::{self as store, CashLineRow, ClearedLineRow, ReconciliationRow, StatementLineRow, StatementRow};
use medoffice_store::ledger::{self as ledger_store, AccountRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

/// The source kind of an entry posted from a bank line.
pub const SOURCE_BANK_LINE: &str = "bank_line";
/// The most statements the list shows.
pub const STATEMENT_LIST_LIMIT: i64 = 200;
/// The most ledger lines read as candidates or as outstanding items.
pub const LEDGER_LINE_LIMIT: i64 = 5000;
/// How many suggested matches a bank line shows.
pub const SUGGESTIONS: usize = 3;
/// The earliest date the ledger takes.
const FIRST_DATE: &str = "0001-01-01";

/// A statement file to import into a cash account.
#[derive(Debug, Clone, Default)]
pub struct ImportStatementInput {
    /// The cash account (`ledger_account.id`).
    pub account_id: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportResult {
    /// The new statement; `None` when every line of the file had been imported before.
    pub statement_id: Option<String>,
    pub imported: usize,
    pub duplicates: usize,
    /// Lines matched automatically with ledger lines.
    pub matched: usize,
}

/// An account a statement may be imported into (an open asset account).
#[derive(Debug, Clone, Serialize)]
pub struct CashAccountView {
    pub id: String,
    pub number: String,
    pub name: String,
}

/// A statement in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementSummaryView {
    pub id: String,
    pub account_id: String,
    pub account_number: String,
    pub account_name: String,
    pub file_name: String,
    pub file_format: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub ending_balance_cents: Option<i64>,
    pub line_count: i64,
    pub duplicate_count: i64,
    pub unmatched_count: i64,
    pub imported_at: String,
}

/// A ledger line of the cash account, signed like a bank line (a debit positive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerLineView {
    pub entry_id: String,
    pub line_number: i64,
    pub entry_number: i64,
    pub date: String,
    pub amount_cents: i64,
    pub memo: String,
}

/// A bank line with its match, or the ledger lines it could match.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankLineView {
    pub id: String,
    pub line_number: i64,
    pub date: String,
    pub description: String,
    pub amount_cents: i64,
    pub check_number: Option<String>,
    pub fitid: Option<String>,
    pub transaction_type: Option<String>,
    /// `unmatched`, `matched` or `ignored`.
    pub status: String,
    pub matched: Option<LedgerLineView>,
    /// Whether a reconciliation has cleared its ledger line (it cannot be unmatched then).
    pub reconciled: bool,
    /// For an unmatched line: the ledger lines of the same amount nearby, best first.
    pub suggestions: Vec<LedgerLineView>,
    /// A deposit batch: the further ledger lines matched with this bank line (`matched` is the
    /// first); their sum with `matched` is the bank line's amount.
    pub batch: Vec<LedgerLineView>,
    /// The 835 trace number (TRN02) the line was matched by automatically: its description names
    /// a remittance's EFT.
    pub matched_by_trace: Option<String>,
}

/// A statement with its lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub id: String,
    pub account_id: String,
    pub account_number: String,
    pub account_name: String,
    pub file_name: String,
    pub file_format: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub ending_balance_cents: Option<i64>,
    pub ending_date: Option<String>,
    pub duplicate_count: i64,
    pub imported_by: String,
    pub imported_at: String,
    pub lines: Vec<BankLineView>,
}

/// Where a cash account stands against a bank statement's ending balance on a date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconciliationView {
    pub account_id: String,
    pub account_number: String,
    pub account_name: String,
    pub end_date: String,
    /// What the bank says (unknown until entered or read from the file).
    pub statement_balance_cents: Option<i64>,
    /// Ledger lines reconciled before or matched with a bank line dated up to `end_date`.
    pub cleared_balance_cents: i64,
    /// The account's balance in the books at `end_date`.
    pub ledger_balance_cents: i64,
    /// Statement balance less cleared balance: zero when the account reconciles.
    pub difference_cents: Option<i64>,
    /// Ledger debits to cash not yet on the bank's side.
    pub outstanding_deposits: Vec<LedgerLineView>,
    /// Ledger credits to cash (checks, payments) not yet on the bank's side.
    pub outstanding_payments: Vec<LedgerLineView>,
    pub outstanding_deposits_cents: i64,
    pub outstanding_payments_cents: i64,
    /// The reconciliation of this account and date, once marked: (by, at).
    pub reconciled: Option<(String, String)>,
    /// Ledger lines cleared without a bank line (the starting point's history, reversal pairs)
    /// that no reconciliation has cleared yet: they count in the cleared balance and may be
    /// undone until reconciled.
    pub cleared_items: Vec<ClearedItemView>,
}

/// A ledger line cleared without a bank line of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClearedItemView {
    /// `history` (marked cleared as the starting point) or `reversal` (an entry and its reversal,
    /// cleared together).
    pub kind: String,
    pub line: LedgerLineView,
}

/// "Mark reconciled" as typed.
#[derive(Debug, Clone, Default)]
pub struct ReconcileInput {
    pub account_id: String,
    /// The statement it was done from, if any.
    pub statement_id: String,
    /// `YYYY-MM-DD`.
    pub end_date: String,
    /// As typed (`$785.42`).
    pub ending_balance: String,
}

/// "Post it" as typed: the account on the other side (blank: 6600 Bank and card fees for money
/// out, 4900 Other revenue for money in) and a memo (blank: the bank's description).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostBankLineInput {
    pub account: String,
    pub memo: String,
}

fn ledger_view(l: &CashLineRow) -> LedgerLineView {
    let memo = match &l.line_memo {
        Some(m) if *m != l.entry_memo => format!("{} ({m})", l.entry_memo),
        _ => l.entry_memo.clone(),
    };
    LedgerLineView {
        entry_id: l.entry_id.clone(),
        line_number: l.line_number,
        entry_number: l.entry_number,
        date: l.entry_date.clone(),
        amount_cents: l.debit_cents - l.credit_cents,
        memo,
    }
}

fn ledger_item(l: &CashLineRow) -> Option<LedgerItem> {
    Some(LedgerItem {
        date: day(&l.entry_date)?,
        amount_cents: l.debit_cents - l.credit_cents,
        text: format!("{} {}", l.entry_memo, l.line_memo.as_deref().unwrap_or("")),
    })
}

fn bank_item(l: &StatementLineRow) -> Option<BankItem> {
    Some(BankItem { date: day(&l.line_date)?, amount_cents: l.amount_cents, check_number: l.check_number.clone() })
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string())
}

/// The error of a statement file, on the form's `file` field.
fn file_error(e: StatementError) -> AppError {
    AppError::Validation(ValidationErrors::single("file", format!("the statement cannot be read: {e}")))
}

/// Whether statements may be imported into the account: an open asset account.
fn cash_account(a: &AccountRow) -> bool {
    a.active == 1 && AccountType::parse(&a.account_type) == Some(AccountType::Asset)
}

/// The dates a bank line may be matched across.
fn window(dates: impl Iterator<Item = NaiveDate>) -> Option<(String, String)> {
    let dates: Vec<NaiveDate> = dates.collect();
    let first = dates.iter().min()?;
    let last = dates.iter().max()?;
    let reach = Duration::days(CHECK_WINDOW_DAYS.max(MATCH_WINDOW_DAYS));
    Some(((*first - reach).to_string(), (*last + reach).to_string()))
}

impl App {
    /// The accounts a statement may be imported into: open asset accounts, by number.
    pub async fn cash_accounts(&self, actor: &Actor) -> Result<Vec<CashAccountView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(chart
            .iter()
            .filter(|a| cash_account(a))
            .map(|a| CashAccountView { id: a.id.clone(), number: a.number.clone(), name: a.name.clone() })
            .collect())
    }

    /// Imports a statement file into a cash account and matches its lines automatically, in one
    /// transaction. Lines the account already has are left out; a file with nothing new writes
    /// nothing.
    pub async fn import_bank_statement(&self, actor: &Actor, input: &ImportStatementInput) -> Result<ImportResult> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let file_name = clean(&input.file_name).unwrap_or_else(|| "statement".to_string()).chars().take(200).collect::<String>();
        let parsed = if input.bytes.is_empty() { Err(StatementError::Empty) } else { bank::parse_statement(&input.bytes) };
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        let account = self.cash_account_of(&mut tx, &actor.practice_id, &input.account_id, &mut errors).await?;
        let statement = match parsed {
            Ok(s) => s,
            Err(e) => {
                if let AppError::Validation(file) = file_error(e) {
                    errors.errors.extend(file.errors);
                }
                return Err(errors.into());
            }
        };
        let Some(account) = account else {
            return Err(errors.into());
        };
        let statement_id = new_id();
        let row = StatementRow {
            practice_id: actor.practice_id.clone(),
            id: statement_id.clone(),
            account_id: account.id.clone(),
            file_name: file_name.clone(),
            file_format: statement.format.as_str().to_string(),
            period_start: statement.period_start.map(|d| d.to_string()),
            period_end: statement.period_end.map(|d| d.to_string()),
            ending_balance_cents: statement.ending_balance_cents,
            ending_date: statement.ending_date.map(|d| d.to_string()),
            line_count: 0,
            duplicate_count: 0,
            imported_by: actor.user_id.clone(),
            imported_at: now.clone(),
        };
        store::insert_statement(&mut tx, &row).await?;
        let keys = bank::duplicate_keys(&statement.lines);
        let mut new_lines = Vec::new();
        for (line, key) in statement.lines.iter().zip(keys) {
            let line_row = StatementLineRow {
                practice_id: actor.practice_id.clone(),
                id: new_id(),
                statement_id: statement_id.clone(),
                account_id: account.id.clone(),
                line_number: new_lines.len() as i64 + 1,
                line_date: line.date.to_string(),
                description: line.description.clone(),
                amount_cents: line.amount_cents,
                fitid: line.fitid.clone(),
                check_number: line.check_number.clone(),
                transaction_type: line.kind.clone(),
                duplicate_key: key,
                status: "unmatched".to_string(),
                matched_entry_id: None,
                matched_line_number: None,
                matched_by: None,
                matched_at: None,
            };
            if store::insert_statement_line(&mut tx, &line_row).await? {
                new_lines.push(line_row);
            }
        }
        let duplicates = statement.lines.len() - new_lines.len();
        if new_lines.is_empty() {
            // Nothing new: the transaction is dropped, so not even the statement's row is kept.
            return Ok(ImportResult { statement_id: None, imported: 0, duplicates, matched: 0 });
        }
        store::set_statement_counts(&mut tx, &actor.practice_id, &statement_id, new_lines.len() as i64, duplicates as i64).await?;
        let matched = self.auto_match_lines(&mut tx, actor, &account.id, &new_lines, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.statement.import",
                patient_id: None,
                record_type: "bank_statement",
                record_id: Some(&statement_id),
                detail: format!(
                    "{file_name} ({}) into {} {}: {} lines, {duplicates} already imported, {matched} matched",
                    row.file_format,
                    account.number,
                    account.name,
                    new_lines.len()
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ImportResult { statement_id: Some(statement_id), imported: new_lines.len(), duplicates, matched })
    }

    /// Matches again a statement's unmatched lines (after new postings); returns how many matched.
    pub async fn auto_match_statement(&self, actor: &Actor, statement_id: &str) -> Result<usize> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let statement = store::get_statement(&mut tx, &actor.practice_id, statement_id).await?;
        let lines: Vec<StatementLineRow> = store::statement_lines(&mut tx, &actor.practice_id, statement_id)
            .await?
            .into_iter()
            .filter(|l| l.status == "unmatched")
            .collect();
        let now = self.now_text();
        let matched = self.auto_match_lines(&mut tx, actor, &statement.account_id, &lines, &now).await?;
        if matched > 0 {
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "bank.statement.auto_match",
                    patient_id: None,
                    record_type: "bank_statement",
                    record_id: Some(statement_id),
                    detail: format!("{matched} lines matched"),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(matched)
    }

    /// Matches bank lines with the account's open ledger lines (the domain's `auto_match`).
    async fn auto_match_lines(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        account_id: &str,
        lines: &[StatementLineRow],
        now: &str,
    ) -> Result<usize> {
        let by_trace = self.match_by_trace(conn, actor, account_id, lines, now).await?;
        let bank: Vec<(&StatementLineRow, BankItem)> =
            lines.iter().filter(|l| !by_trace.contains(&l.id)).filter_map(|l| bank_item(l).map(|b| (l, b))).collect();
        let Some((from, to)) = window(bank.iter().map(|(_, b)| b.date)) else {
            self.clear_reversal_pairs(conn, actor, account_id, now).await?;
            return Ok(by_trace.len());
        };
        let open = store::open_cash_lines(conn, &actor.practice_id, account_id, &from, &to, LEDGER_LINE_LIMIT).await?;
        let ledger: Vec<(&CashLineRow, LedgerItem)> = open.iter().filter_map(|l| ledger_item(l).map(|i| (l, i))).collect();
        let items: Vec<BankItem> = bank.iter().map(|(_, b)| b.clone()).collect();
        let ledger_items: Vec<LedgerItem> = ledger.iter().map(|(_, i)| i.clone()).collect();
        let mut matched = by_trace.len();
        for ((line, _), found) in bank.iter().zip(bank::auto_match(&items, &ledger_items)) {
            if let Some(i) = found {
                let (cash, _) = ledger[i];
                if store::set_match(conn, &actor.practice_id, &line.id, &cash.entry_id, cash.line_number, &actor.user_id, now).await? {
                    matched += 1;
                }
            }
        }
        self.clear_reversal_pairs(conn, actor, account_id, now).await?;
        Ok(matched)
    }

    /// Matches each money-in bank line whose description names a remittance's trace number (an
    /// EFT: "ACH CREDIT AETNA TRN*1*EFT77123*1066033492") with that remittance's payment line on
    /// the account, of the same amount, before any match by amount and date (which could pick
    /// another line of the same amount). Returns the ids of the bank lines it matched.
    async fn match_by_trace(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        account_id: &str,
        lines: &[StatementLineRow],
        now: &str,
    ) -> Result<HashSet<String>> {
        let mut done = HashSet::new();
        if !lines.iter().any(|l| l.amount_cents > 0) {
            return Ok(done);
        }
        let remitted = store::open_remittance_cash_lines(conn, &actor.practice_id, account_id, LEDGER_LINE_LIMIT).await?;
        let mut taken: HashSet<usize> = HashSet::new();
        for line in lines.iter().filter(|l| l.amount_cents > 0) {
            let found = remitted.iter().enumerate().find(|(i, r)| {
                !taken.contains(i) && r.amount_cents == line.amount_cents && mentions_trace(&line.description, &r.trace_number)
            });
            let Some((i, r)) = found else { continue };
            if store::set_match(conn, &actor.practice_id, &line.id, &r.entry_id, r.line_number, &actor.user_id, now).await? {
                store::set_match_trace(conn, &actor.practice_id, &line.id, Some(&r.trace_number)).await?;
                taken.insert(i);
                done.insert(line.id.clone());
            }
        }
        Ok(done)
    }

    /// The account when it exists and takes statements; an error on `account_id` otherwise.
    async fn cash_account_of(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        account_id: &str,
        errors: &mut ValidationErrors,
    ) -> Result<Option<AccountRow>> {
        match ledger_store::get_account(conn, practice_id, account_id.trim()).await {
            Ok(a) if cash_account(&a) => Ok(Some(a)),
            Ok(a) => {
                errors.add("account_id", format!("account {} {} is not an open asset (cash) account", a.number, a.name));
                Ok(None)
            }
            Err(StoreError::NotFound(_)) => {
                errors.add("account_id", "choose the cash account the statement is of");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The practice's statements, the latest imported first.
    pub async fn bank_statements(&self, actor: &Actor) -> Result<Vec<StatementSummaryView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_statements(&mut tx, &actor.practice_id, STATEMENT_LIST_LIMIT).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| StatementSummaryView {
                id: r.id,
                account_id: r.account_id,
                account_number: r.account_number,
                account_name: r.account_name,
                file_name: r.file_name,
                file_format: r.file_format,
                period_start: r.period_start,
                period_end: r.period_end,
                ending_balance_cents: r.ending_balance_cents,
                line_count: r.line_count,
                duplicate_count: r.duplicate_count,
                unmatched_count: r.unmatched_count,
                imported_at: r.imported_at,
            })
            .collect())
    }

    /// A statement with each line's match, or the ledger lines it could match.
    pub async fn bank_statement(&self, actor: &Actor, statement_id: &str) -> Result<StatementView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let s = store::get_statement(&mut tx, &actor.practice_id, statement_id).await?;
        let account = ledger_store::get_account(&mut tx, &actor.practice_id, &s.account_id).await?;
        let rows = store::statement_lines(&mut tx, &actor.practice_id, statement_id).await?;
        let open = match window(rows.iter().filter(|l| l.status == "unmatched").filter_map(|l| day(&l.line_date))) {
            Some((from, to)) => store::open_cash_lines(&mut tx, &actor.practice_id, &s.account_id, &from, &to, LEDGER_LINE_LIMIT).await?,
            None => Vec::new(),
        };
        let ledger: Vec<LedgerItem> = open.iter().filter_map(ledger_item).collect();
        let usable: Vec<&CashLineRow> = open.iter().filter(|l| ledger_item(l).is_some()).collect();
        let traces: std::collections::HashMap<String, String> =
            store::match_traces(&mut tx, &actor.practice_id, statement_id).await?.into_iter().collect();
        let mut lines = Vec::with_capacity(rows.len());
        for r in rows {
            let (matched, reconciled) = match (&r.matched_entry_id, r.matched_line_number) {
                (Some(entry), Some(number)) => {
                    let cash = store::cash_line(&mut tx, &actor.practice_id, entry, number).await?;
                    (Some(ledger_view(&cash)), store::is_reconciled(&mut tx, &actor.practice_id, entry, number).await?)
                }
                _ => (None, false),
            };
            let suggestions = match (r.status.as_str(), bank_item(&r)) {
                ("unmatched", Some(item)) => bank::candidates(&item, &ledger, &HashSet::new())
                    .into_iter()
                    .take(SUGGESTIONS)
                    .filter_map(|i| usable.get(i).map(|l| ledger_view(l)))
                    .collect(),
                _ => Vec::new(),
            };
            let batch = store::batch_lines(&mut tx, &actor.practice_id, &r.id).await?.iter().map(ledger_view).collect();
            lines.push(BankLineView {
                matched_by_trace: if r.status == "matched" { traces.get(&r.id).cloned() } else { None },
                id: r.id,
                line_number: r.line_number,
                date: r.line_date,
                description: r.description,
                amount_cents: r.amount_cents,
                check_number: r.check_number,
                fitid: r.fitid,
                transaction_type: r.transaction_type,
                status: r.status,
                batch,
                matched,
                reconciled,
                suggestions,
            });
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(StatementView {
            id: s.id,
            account_id: s.account_id,
            account_number: account.number,
            account_name: account.name,
            file_name: s.file_name,
            file_format: s.file_format,
            period_start: s.period_start,
            period_end: s.period_end,
            ending_balance_cents: s.ending_balance_cents,
            ending_date: s.ending_date,
            duplicate_count: s.duplicate_count,
            imported_by: s.imported_by,
            imported_at: s.imported_at,
            lines,
        })
    }

    /// Matches a bank line with a ledger line of its cash account of the same signed amount.
    pub async fn match_bank_line(&self, actor: &Actor, line_id: &str, entry_id: &str, line_number: i64) -> Result<()> {
        self.match_bank_line_to(actor, line_id, &[(entry_id.to_string(), line_number)]).await
    }

    /// Matches a bank line with one or several ledger lines of its cash account (a deposit batch:
    /// several co-pays deposited together) whose signed amounts add up to the bank line's. The
    /// first ledger line is the bank line's match, the others are recorded as its batch.
    pub async fn match_bank_line_to(&self, actor: &Actor, line_id: &str, ledger_lines: &[(String, i64)]) -> Result<()> {
        self.authorize(actor, Action::PostJournal, None).await?;
        if ledger_lines.is_empty() {
            return Err(ValidationErrors::single("ledger_line", "choose the ledger line to match").into());
        }
        let mut tx = self.store.begin().await?;
        let line = store::get_statement_line(&mut tx, &actor.practice_id, line_id).await?;
        if line.status != "unmatched" {
            return Err(AppError::Conflict(format!("this bank line is {}; unmatch it first", line.status)));
        }
        let mut cash_lines: Vec<CashLineRow> = Vec::with_capacity(ledger_lines.len());
        for (entry_id, line_number) in ledger_lines {
            let cash = match store::cash_line(&mut tx, &actor.practice_id, entry_id.trim(), *line_number).await {
                Ok(c) => c,
                Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("ledger_line", "there is no such ledger line").into()),
                Err(e) => return Err(e.into()),
            };
            if cash.account_id != line.account_id {
                return Err(ValidationErrors::single("ledger_line", "that ledger line is not on this statement's cash account").into());
            }
            if cash_lines.iter().any(|c| c.entry_id == cash.entry_id && c.line_number == cash.line_number) {
                return Err(ValidationErrors::single("ledger_line", "a ledger line is chosen twice").into());
            }
            cash_lines.push(cash);
        }
        let ledger_cents: i64 = cash_lines.iter().map(|c| c.debit_cents - c.credit_cents).sum();
        if ledger_cents != line.amount_cents {
            let what = if cash_lines.len() == 1 { "the ledger line" } else { "the ledger lines add up to" };
            return Err(ValidationErrors::single(
                "ledger_line",
                format!(
                    "the amounts differ: the bank line is {}, {what} {}",
                    Money::from_cents(line.amount_cents),
                    Money::from_cents(ledger_cents)
                ),
            )
            .into());
        }
        for cash in &cash_lines {
            self.refuse_taken(&mut tx, &actor.practice_id, cash).await?;
        }
        let now = self.now_text();
        let first = &cash_lines[0];
        match store::set_match(&mut tx, &actor.practice_id, &line.id, &first.entry_id, first.line_number, &actor.user_id, &now).await {
            Ok(true) => {}
            Ok(false) => return Err(AppError::Conflict("this bank line was changed meanwhile; reload the statement".into())),
            Err(StoreError::Conflict(_)) => return Err(AppError::Conflict(taken_message(first))),
            Err(e) => return Err(e.into()),
        }
        for cash in &cash_lines[1..] {
            let row = ClearedLineRow {
                practice_id: actor.practice_id.clone(),
                entry_id: cash.entry_id.clone(),
                line_number: cash.line_number,
                account_id: line.account_id.clone(),
                kind: "batch".into(),
                pair_entry_id: None,
                bank_line_id: Some(line.id.clone()),
                cleared_by: actor.user_id.clone(),
                cleared_at: now.clone(),
            };
            if !store::insert_cleared_line(&mut tx, &row).await? {
                return Err(AppError::Conflict(taken_message(cash)));
            }
        }
        let entries: Vec<String> = cash_lines.iter().map(|c| format!("entry #{} line {}", c.entry_number, c.line_number)).collect();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.line.match",
                patient_id: None,
                record_type: "bank_statement_line",
                record_id: Some(&line.id),
                detail: format!("{} {} cents matched with {}", line.line_date, line.amount_cents, entries.join(", ")),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Refuses a ledger line that is reconciled or matched with another bank line.
    async fn refuse_taken(&self, conn: &mut Connection, practice_id: &str, cash: &CashLineRow) -> Result<()> {
        if store::is_reconciled(conn, practice_id, &cash.entry_id, cash.line_number).await?
            || store::bank_line_of(conn, practice_id, &cash.entry_id, cash.line_number).await?.is_some()
            || store::cleared_line(conn, practice_id, &cash.entry_id, cash.line_number).await?.is_some()
        {
            return Err(AppError::Conflict(taken_message(cash)));
        }
        Ok(())
    }

    /// Undoes a match (or an "ignore"): the bank line is unmatched again. A line whose ledger
    /// line a reconciliation has cleared stays matched.
    pub async fn unmatch_bank_line(&self, actor: &Actor, line_id: &str) -> Result<()> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let line = store::get_statement_line(&mut tx, &actor.practice_id, line_id).await?;
        if let (Some(entry), Some(number)) = (&line.matched_entry_id, line.matched_line_number)
            && store::is_reconciled(&mut tx, &actor.practice_id, entry, number).await?
        {
            return Err(AppError::Conflict("this line is part of a reconciliation and cannot be unmatched".into()));
        }
        if line.status == "unmatched" {
            return Ok(());
        }
        let now = self.now_text();
        store::delete_batch(&mut tx, &actor.practice_id, &line.id).await?;
        store::set_match_trace(&mut tx, &actor.practice_id, &line.id, None).await?;
        store::set_unmatched_status(&mut tx, &actor.practice_id, &line.id, "unmatched", &actor.user_id, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.line.unmatch",
                patient_id: None,
                record_type: "bank_statement_line",
                record_id: Some(&line.id),
                detail: format!("{} {} cents, was {}", line.line_date, line.amount_cents, line.status),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Sets an unmatched bank line aside (a transfer between the practice's own accounts booked
    /// elsewhere, a line the bank reversed).
    pub async fn ignore_bank_line(&self, actor: &Actor, line_id: &str) -> Result<()> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let line = store::get_statement_line(&mut tx, &actor.practice_id, line_id).await?;
        if line.status != "unmatched" {
            return Err(AppError::Conflict(format!("this bank line is {}; unmatch it first", line.status)));
        }
        let now = self.now_text();
        store::set_unmatched_status(&mut tx, &actor.practice_id, &line.id, "ignored", &actor.user_id, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.line.ignore",
                patient_id: None,
                record_type: "bank_statement_line",
                record_id: Some(&line.id),
                detail: format!("{} {} cents {}", line.line_date, line.amount_cents, line.description),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Posts the entry of a bank line the books do not have yet (a fee, interest) and matches
    /// the line with the entry's cash line; returns the entry's id.
    pub async fn post_bank_line(&self, actor: &Actor, line_id: &str, input: &PostBankLineInput) -> Result<String> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let line = store::get_statement_line(&mut tx, &actor.practice_id, line_id).await?;
        if line.status != "unmatched" {
            return Err(AppError::Conflict(format!("this bank line is {}; unmatch it first", line.status)));
        }
        let cash = ledger_store::get_account(&mut tx, &actor.practice_id, &line.account_id).await?;
        let money_in = line.amount_cents > 0;
        let other =
            clean(&input.account).unwrap_or_else(|| if money_in { accounts::OTHER_REVENUE } else { accounts::BANK_FEES }.to_string());
        if other == cash.number {
            return Err(ValidationErrors::single("account", "choose the account on the other side, not the cash account").into());
        }
        let cents = line.amount_cents.checked_abs().unwrap_or(i64::MAX);
        let (lines, cash_line_number) = if money_in {
            (vec![NewLine::debit(&cash.number, cents), NewLine::credit(&other, cents)], 1)
        } else {
            (vec![NewLine::debit(&other, cents), NewLine::credit(&cash.number, cents)], 2)
        };
        let memo = clean(&input.memo)
            .unwrap_or_else(|| format!("Bank: {}", if line.description.is_empty() { "statement line" } else { &line.description }));
        let entry = NewEntry {
            date: day(&line.line_date),
            memo: memo.chars().take(500).collect(),
            source_kind: SOURCE_BANK_LINE.to_string(),
            source_id: Some(line.id.clone()),
            idempotency_key: Some(format!("bank_line:{}", line.id)),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines,
        };
        let posted = match self.post_entry(&mut tx, &actor.practice_id, &entry).await {
            Ok(p) => p,
            Err(AppError::Validation(e)) => {
                // The posting's fields, as the form names them.
                let mut errors = ValidationErrors::new();
                for f in e.errors {
                    let field = if f.field.starts_with("lines") { "account" } else { f.field.as_str() };
                    errors.add(field, f.message);
                }
                return Err(errors.into());
            }
            Err(e) => return Err(e),
        };
        let cash_line = store::cash_line(&mut tx, &actor.practice_id, &posted.entry.id, cash_line_number).await?;
        self.refuse_taken(&mut tx, &actor.practice_id, &cash_line).await?;
        let now = self.now_text();
        if !store::set_match(&mut tx, &actor.practice_id, &line.id, &posted.entry.id, cash_line_number, &actor.user_id, &now).await? {
            return Err(AppError::Conflict("this bank line was changed meanwhile; reload the statement".into()));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.line.post",
                patient_id: None,
                record_type: "bank_statement_line",
                record_id: Some(&line.id),
                detail: format!(
                    "{} {} cents posted as entry #{} against {other}",
                    line.line_date, line.amount_cents, posted.entry.entry_number
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(posted.entry.id)
    }

    /// Where the cash account stands on `end_date` against the bank's ending balance (when known).
    pub async fn bank_reconciliation(
        &self,
        actor: &Actor,
        account_id: &str,
        end_date: NaiveDate,
        statement_balance_cents: Option<i64>,
    ) -> Result<ReconciliationView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let account = ledger_store::get_account(&mut tx, &actor.practice_id, account_id.trim()).await?;
        let view = self.reconciliation_view(&mut tx, &actor.practice_id, &account, end_date, statement_balance_cents).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    async fn reconciliation_view(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        account: &AccountRow,
        end_date: NaiveDate,
        statement_balance_cents: Option<i64>,
    ) -> Result<ReconciliationView> {
        let end = end_date.to_string();
        let cleared = store::cleared_balance(conn, practice_id, &account.id, &end).await?;
        let (debits, credits) = ledger_store::account_total(conn, practice_id, &account.id, FIRST_DATE, &end).await?;
        let outstanding = store::outstanding_lines(conn, practice_id, &account.id, &end, LEDGER_LINE_LIMIT).await?;
        let (deposits, payments): (Vec<LedgerLineView>, Vec<LedgerLineView>) =
            outstanding.iter().map(ledger_view).partition(|l| l.amount_cents > 0);
        let reconciled = store::reconciliations(conn, practice_id, &account.id, 1000)
            .await?
            .into_iter()
            .find(|r| r.statement_end_date == end)
            .map(|r| (r.reconciled_by, r.reconciled_at));
        Ok(ReconciliationView {
            account_id: account.id.clone(),
            account_number: account.number.clone(),
            account_name: account.name.clone(),
            end_date: end,
            statement_balance_cents,
            cleared_balance_cents: cleared,
            ledger_balance_cents: debits - credits,
            difference_cents: statement_balance_cents.map(|s| s - cleared),
            outstanding_deposits_cents: deposits.iter().map(|l| l.amount_cents).sum(),
            outstanding_payments_cents: payments.iter().map(|l| -l.amount_cents).sum(),
            outstanding_deposits: deposits,
            outstanding_payments: payments,
            reconciled,
            cleared_items: store::cleared_unreconciled(conn, practice_id, &account.id, LEDGER_LINE_LIMIT)
                .await?
                .into_iter()
                .map(|(l, kind)| ClearedItemView { kind, line: ledger_view(&l) })
                .collect(),
        })
    }

    /// Marks the cash account reconciled on the statement's date: refused unless the statement's
    /// ending balance equals the cleared balance. Records the reconciliation and the ledger lines
    /// it clears, in one transaction.
    pub async fn mark_reconciled(&self, actor: &Actor, input: &ReconcileInput) -> Result<ReconciliationView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let end_date = errors.check("end_date", parse_day(&input.end_date));
        let balance = errors.check("ending_balance", Money::parse(&input.ending_balance).map(|m| m.cents()));
        let mut tx = self.store.begin().await?;
        let account = self.cash_account_of(&mut tx, &actor.practice_id, &input.account_id, &mut errors).await?;
        let statement_id = clean(&input.statement_id);
        if let Some(id) = &statement_id {
            match store::get_statement(&mut tx, &actor.practice_id, id).await {
                Ok(s) if account.as_ref().is_some_and(|a| a.id == s.account_id) => {}
                Ok(_) => errors.add("statement_id", "that statement is of another account"),
                Err(StoreError::NotFound(_)) => errors.add("statement_id", "there is no such statement"),
                Err(e) => return Err(e.into()),
            }
        }
        let (Some(end_date), Some(balance), Some(account)) = (end_date, balance, account) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let now = self.now_text();
        self.clear_reversal_pairs(&mut tx, actor, &account.id, &now).await?;
        let view = self.reconciliation_view(&mut tx, &actor.practice_id, &account, end_date, Some(balance)).await?;
        if view.reconciled.is_some() {
            return Err(AppError::Conflict(format!("{} {} was reconciled on {} already", account.number, account.name, end_date)));
        }
        let difference = balance - view.cleared_balance_cents;
        if difference != 0 {
            return Err(ValidationErrors::single(
                "ending_balance",
                format!(
                    "not reconciled: the statement's ending balance {} less the cleared balance {} leaves a difference of {}; \
                     match, post or ignore the remaining lines first",
                    Money::from_cents(balance),
                    Money::from_cents(view.cleared_balance_cents),
                    Money::from_cents(difference)
                ),
            )
            .into());
        }
        let row = ReconciliationRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            account_id: account.id.clone(),
            statement_id,
            statement_end_date: end_date.to_string(),
            ending_balance_cents: balance,
            cleared_balance_cents: view.cleared_balance_cents,
            line_count: 0,
            reconciled_by: actor.user_id.clone(),
            reconciled_at: self.now_text(),
        };
        let cleared = match store::insert_reconciliation(&mut tx, &row).await {
            Ok(n) => n,
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::Conflict(format!("{} {} was reconciled on {} already", account.number, account.name, end_date)));
            }
            Err(e) => return Err(e.into()),
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.reconcile",
                patient_id: None,
                record_type: "bank_reconciliation",
                record_id: Some(&row.id),
                detail: format!(
                    "{} {} reconciled at {}: balance {} cents, {cleared} lines cleared",
                    account.number, account.name, row.statement_end_date, balance
                ),
            },
        )
        .await?;
        let view = self.reconciliation_view(&mut tx, &actor.practice_id, &account, end_date, Some(balance)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }
}

/// Whether a bank line's description names an 835 trace number: the trace appears, in any case,
/// with no letter or digit right before or after it (so EFT7712 is not found in EFT77123).
/// Traces shorter than four characters are too easily found by chance and never match.
pub fn mentions_trace(description: &str, trace: &str) -> bool {
    let trace = trace.trim().to_ascii_uppercase();
    if trace.len() < 4 {
        return false;
    }
    let text = description.to_ascii_uppercase();
    let mut from = 0;
    while let Some(at) = text[from..].find(&trace) {
        let start = from + at;
        let end = start + trace.len();
        let before = text[..start].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric());
        let after = text[end..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
        if before && after {
            return true;
        }
        from = start + 1;
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

fn taken_message(cash: &CashLineRow) -> String {
    format!(
        "ledger line {} of entry #{} is already matched or reconciled; a ledger line is matched once",
        cash.line_number, cash.entry_number
    )
}

/// "Mark cleared" of one ledger line, or of all the account's open lines dated before a day.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct MarkClearedInput {
    /// The statement whose starting point this is: lines must be dated before its first day.
    pub statement_id: String,
    /// `entry_id:line_number` of one line; blank with `before` to clear every open line before it.
    pub ledger_line: String,
    /// `YYYY-MM-DD`: clear every open line of the account dated before it (at most the
    /// statement's first day).
    pub before: String,
}

/// A ledger line as `entry_id:line_number`.
pub fn parse_ledger_key(text: &str) -> Option<(String, i64)> {
    let (entry, number) = text.trim().rsplit_once(':')?;
    Some((entry.to_string(), number.parse().ok()?))
}

/// How far from a bank line's date the picker looks for ledger lines.
pub const PICKER_WINDOW_DAYS: i64 = 30;

impl App {
    /// One bank line as its statement shows it.
    pub async fn bank_line(&self, actor: &Actor, line_id: &str) -> Result<BankLineView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let line = store::get_statement_line(&mut tx, &actor.practice_id, line_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.bank_statement(actor, &line.statement_id)
            .await?
            .lines
            .into_iter()
            .find(|l| l.id == line.id)
            .ok_or(AppError::NotFound("bank statement line"))
    }

    /// The day a statement starts: its period's start, or its first line's date.
    async fn statement_start(&self, conn: &mut Connection, practice_id: &str, statement: &StatementRow) -> Result<Option<NaiveDate>> {
        if let Some(d) = statement.period_start.as_deref().and_then(day) {
            return Ok(Some(d));
        }
        let lines = store::statement_lines(conn, practice_id, &statement.id).await?;
        Ok(lines.iter().filter_map(|l| day(&l.line_date)).min())
    }

    /// The starting point of an account's first reconciliation: marks ledger lines dated before
    /// the statement's first day as cleared by the bank already (an opening balance, checks
    /// written before the first imported statement), one line (`ledger_line`) or every open line
    /// dated before `before`. Recorded in `bank_cleared_line` (kind `history`) and audited;
    /// undone by [`App::unclear_bank_ledger_line`] until a reconciliation clears them. Returns how
    /// many lines it cleared.
    pub async fn mark_bank_lines_cleared(&self, actor: &Actor, input: &MarkClearedInput) -> Result<usize> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let statement = match store::get_statement(&mut tx, &actor.practice_id, input.statement_id.trim()).await {
            Ok(s) => s,
            Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("statement_id", "there is no such statement").into()),
            Err(e) => return Err(e.into()),
        };
        let Some(start) = self.statement_start(&mut tx, &actor.practice_id, &statement).await? else {
            return Err(ValidationErrors::single("statement_id", "the statement has no date").into());
        };
        let lines: Vec<CashLineRow> = if clean(&input.ledger_line).is_some() {
            let Some((entry, number)) = parse_ledger_key(&input.ledger_line) else {
                return Err(ValidationErrors::single("ledger_line", "choose the ledger line to mark cleared").into());
            };
            let cash = match store::cash_line(&mut tx, &actor.practice_id, &entry, number).await {
                Ok(c) => c,
                Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("ledger_line", "there is no such ledger line").into()),
                Err(e) => return Err(e.into()),
            };
            if cash.account_id != statement.account_id {
                return Err(ValidationErrors::single("ledger_line", "that ledger line is not on this statement's cash account").into());
            }
            if day(&cash.entry_date).is_none_or(|d| d >= start) {
                return Err(ValidationErrors::single(
                    "ledger_line",
                    format!("only lines dated before the statement's first day {start} may be marked cleared; match the others"),
                )
                .into());
            }
            self.refuse_taken(&mut tx, &actor.practice_id, &cash).await?;
            vec![cash]
        } else {
            let before = match parse_day(&input.before) {
                Ok(d) if d <= start => d,
                Ok(_) => {
                    return Err(ValidationErrors::single("before", format!("choose a day up to the statement's first day {start}")).into());
                }
                Err(m) => return Err(ValidationErrors::single("before", m).into()),
            };
            let last = (before - Duration::days(1)).to_string();
            store::open_cash_lines(&mut tx, &actor.practice_id, &statement.account_id, FIRST_DATE, &last, LEDGER_LINE_LIMIT).await?
        };
        let now = self.now_text();
        let mut cleared = 0;
        for cash in &lines {
            let row = ClearedLineRow {
                practice_id: actor.practice_id.clone(),
                entry_id: cash.entry_id.clone(),
                line_number: cash.line_number,
                account_id: statement.account_id.clone(),
                kind: "history".into(),
                pair_entry_id: None,
                bank_line_id: None,
                cleared_by: actor.user_id.clone(),
                cleared_at: now.clone(),
            };
            if store::insert_cleared_line(&mut tx, &row).await? {
                cleared += 1;
            }
        }
        if cleared > 0 {
            let cents: i64 = lines.iter().map(|l| l.debit_cents - l.credit_cents).sum();
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "bank.ledger.clear",
                    patient_id: None,
                    record_type: "bank_statement",
                    record_id: Some(&statement.id),
                    detail: format!(
                        "{cleared} ledger lines dated before {start} marked cleared (starting point), {cents} cents: {}",
                        lines.iter().map(|l| format!("#{} line {}", l.entry_number, l.line_number)).collect::<Vec<_>>().join(", ")
                    ),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(cleared)
    }

    /// Undoes "mark cleared" of a ledger line (a reversal pair: both lines), until a
    /// reconciliation has cleared it.
    pub async fn unclear_bank_ledger_line(&self, actor: &Actor, entry_id: &str, line_number: i64) -> Result<()> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let Some(row) = store::cleared_line(&mut tx, &actor.practice_id, entry_id.trim(), line_number).await? else {
            return Err(AppError::NotFound("cleared ledger line"));
        };
        if row.kind == "batch" {
            return Err(AppError::Conflict("this line is part of a deposit batch: unmatch its bank line instead".into()));
        }
        if store::is_reconciled(&mut tx, &actor.practice_id, &row.entry_id, row.line_number).await? {
            return Err(AppError::Conflict("this line is part of a reconciliation and stays cleared".into()));
        }
        store::delete_cleared_line(&mut tx, &actor.practice_id, &row.entry_id, row.line_number).await?;
        let mut undone = vec![(row.entry_id.clone(), row.line_number)];
        if let Some(pair) = &row.pair_entry_id {
            for other in store::cleared_unreconciled(&mut tx, &actor.practice_id, &row.account_id, LEDGER_LINE_LIMIT).await? {
                if other.0.entry_id == *pair && other.1 == "reversal" {
                    store::delete_cleared_line(&mut tx, &actor.practice_id, &other.0.entry_id, other.0.line_number).await?;
                    undone.push((other.0.entry_id.clone(), other.0.line_number));
                }
            }
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "bank.ledger.unclear",
                patient_id: None,
                record_type: "journal_entry",
                record_id: Some(&row.entry_id),
                detail: format!(
                    "{} clearing undone: {}",
                    row.kind,
                    undone.iter().map(|(e, n)| format!("{e} line {n}")).collect::<Vec<_>>().join(", ")
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Clears together each open entry and its reversal on the account (they net to zero);
    /// returns how many pairs it cleared. Audited when it clears any.
    async fn clear_reversal_pairs(&self, conn: &mut Connection, actor: &Actor, account_id: &str, now: &str) -> Result<usize> {
        let pairs = store::open_reversal_pairs(conn, &actor.practice_id, account_id, LEDGER_LINE_LIMIT).await?;
        let mut used: HashSet<(String, i64)> = HashSet::new();
        let mut cleared = Vec::new();
        for (entry, number, reversal, reversal_number) in pairs {
            if used.contains(&(entry.clone(), number)) || used.contains(&(reversal.clone(), reversal_number)) {
                continue;
            }
            for (this, n, other) in [(&entry, number, &reversal), (&reversal, reversal_number, &entry)] {
                let row = ClearedLineRow {
                    practice_id: actor.practice_id.clone(),
                    entry_id: this.clone(),
                    line_number: n,
                    account_id: account_id.to_string(),
                    kind: "reversal".into(),
                    pair_entry_id: Some(other.clone()),
                    bank_line_id: None,
                    cleared_by: actor.user_id.clone(),
                    cleared_at: now.to_string(),
                };
                store::insert_cleared_line(conn, &row).await?;
            }
            used.insert((entry.clone(), number));
            used.insert((reversal.clone(), reversal_number));
            cleared.push(format!("{entry} line {number} with its reversal {reversal} line {reversal_number}"));
        }
        if !cleared.is_empty() {
            self.audit(
                conn,
                actor,
                AuditNote {
                    action: "bank.reversal.clear",
                    patient_id: None,
                    record_type: "ledger_account",
                    record_id: Some(account_id),
                    detail: format!("{} reversal pairs cleared: {}", cleared.len(), cleared.join("; ")),
                },
            )
            .await?;
        }
        Ok(cleared.len())
    }

    /// The picker of an unmatched bank line: the account's open ledger lines (not matched,
    /// cleared nor reconciled) within [`PICKER_WINDOW_DAYS`] of its date, any amount, filtered
    /// by `query` (an amount such as `45.00`, matched whatever its sign, or words of the memo).
    pub async fn bank_line_candidates(&self, actor: &Actor, line_id: &str, query: &str) -> Result<Vec<LedgerLineView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let line = store::get_statement_line(&mut tx, &actor.practice_id, line_id).await?;
        let Some(date) = day(&line.line_date) else {
            return Ok(Vec::new());
        };
        let reach = Duration::days(PICKER_WINDOW_DAYS);
        let open = store::open_cash_lines(
            &mut tx,
            &actor.practice_id,
            &line.account_id,
            &(date - reach).to_string(),
            &(date + reach).to_string(),
            LEDGER_LINE_LIMIT,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let query = query.trim();
        let amount = if query.chars().any(|c| c.is_ascii_digit()) { Money::parse(query).ok().map(|m| m.cents().abs()) } else { None };
        let words: Vec<String> = query.to_lowercase().split_whitespace().map(str::to_string).collect();
        Ok(open
            .iter()
            .map(ledger_view)
            .filter(|l| match amount {
                Some(cents) => l.amount_cents.abs() == cents,
                None => {
                    let memo = l.memo.to_lowercase();
                    words.iter().all(|w| memo.contains(w.as_str()) || l.entry_number.to_string() == w.trim_start_matches('#'))
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::mentions_trace;

    #[test]
    fn a_trace_number_is_found_in_an_ach_description_whatever_its_case() {
        assert!(mentions_trace("ACH CREDIT AETNA TRN*1*EFT77123*1066033492", "EFT77123"));
        assert!(mentions_trace("aetna hcclaimpmt eft77123 ppd", "EFT77123"));
        assert!(mentions_trace("EFT77123", " EFT77123 "));
    }

    #[test]
    fn a_trace_number_inside_a_longer_number_or_too_short_is_not_found() {
        assert!(!mentions_trace("ACH CREDIT TRN*1*EFT771234*1066033492", "EFT77123"));
        assert!(!mentions_trace("ACH CREDIT TRN*1*XEFT77123", "EFT77123"));
        assert!(!mentions_trace("DEPOSIT 123", "123"));
        assert!(!mentions_trace("ACH CREDIT", ""));
    }
}
