//! The general ledger: the chart of accounts, the one posting interface every money event uses,
//! manual entries and reversals for the bookkeeper.
//!
//! [`App::post_entry`] is how a module posts: inside the caller's own transaction, so the event
//! (a co-pay, a remittance, a bill) and its entry commit together or not at all. It refuses an
//! entry that does not balance, has fewer than two lines, a zero line, an unknown or closed
//! account, or a date in a closed month, each with a message naming which (a
//! [`ValidationErrors`] whose field is `lines[N].account`, `lines[N].debit`, `lines`, `date` or
//! `memo`). An idempotency key makes a retried event post once: the second call returns the first
//! entry. Entries are never changed (the database refuses it); a correction is a reversal.
//!
//! The chart starts as the domain's default chart of a medical practice, created the first time
//! any ledger use case or posting runs for the practice ([`ensure_default_chart`]).

use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Datelike, Months, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::{self, AccountType, DEFAULT_CHART, EntryError, Line};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::ledger::{self as store, AccountRow, EntryRow, LineRow};
use medoffice_store::{Connection, StoreError, new_id, next_counter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The most entries a journal page lists.
pub const JOURNAL_PAGE: i64 = 200;
/// The most lines an account's detail lists.
pub const ACCOUNT_DETAIL_LIMIT: i64 = 5000;
/// The source kind of an entry typed by the bookkeeper.
pub const SOURCE_MANUAL: &str = "manual";
/// The source kind of a reversal.
pub const SOURCE_REVERSAL: &str = "reversal";
/// The earliest date the ledger takes.
const FIRST_DATE: &str = "0001-01-01";

/// An entry to post, as a module builds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEntry {
    pub date: Option<NaiveDate>,
    pub memo: String,
    /// Which event made it: `manual`, `reversal`, `copay`, `remittance`, `bill`...
    pub source_kind: String,
    /// The record of that event (a payment's id, a remittance's id...).
    pub source_id: Option<String>,
    /// Unique per practice: the same event posted again returns the first entry.
    pub idempotency_key: Option<String>,
    /// The entry this one reverses.
    pub reversal_of: Option<String>,
    /// The user id who posts it (or a module's name for an automatic posting).
    pub posted_by: String,
    pub lines: Vec<NewLine>,
}

/// One line to post: an account by number (see `domain::ledger::accounts`) and a debit or a credit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLine {
    pub account: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: Option<String>,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
}

impl NewLine {
    pub fn debit(account: &str, cents: i64) -> NewLine {
        NewLine { account: account.to_string(), debit_cents: cents, ..Default::default() }
    }

    pub fn credit(account: &str, cents: i64) -> NewLine {
        NewLine { account: account.to_string(), credit_cents: cents, ..Default::default() }
    }

    /// Ties the line to a patient's subledger.
    pub fn patient(mut self, patient_id: &str) -> NewLine {
        self.patient_id = Some(patient_id.to_string());
        self
    }
}

/// What was posted (or had been, for a repeated idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedEntry {
    pub entry: EntryRow,
    pub lines: Vec<LineRow>,
    /// True when the key had been posted before and nothing new was written.
    pub already_posted: bool,
}

/// An account of the chart as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub number: String,
    pub name: String,
    pub account_type: String,
    pub type_label: String,
    pub section: String,
    pub normal_balance: String,
    pub parent_number: Option<String>,
    pub active: bool,
}

/// A new account as the bookkeeper types it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewAccountInput {
    pub number: String,
    pub name: String,
    pub account_type: String,
    /// The parent's number; blank for none.
    pub parent: String,
}

/// A manual entry as the form sends it: text as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ManualEntryInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub memo: String,
    /// A token the form carries so a double submit posts once; blank for none.
    pub idempotency_key: String,
    pub lines: Vec<ManualLineInput>,
}

/// One row of the manual entry form; a row left wholly blank is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ManualLineInput {
    /// The account's number.
    pub account: String,
    pub debit: String,
    pub credit: String,
    pub memo: String,
}

impl ManualLineInput {
    fn is_blank(&self) -> bool {
        [&self.account, &self.debit, &self.credit, &self.memo].iter().all(|s| s.trim().is_empty())
    }
}

/// An entry as the API sends it: amounts in cents.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct JournalEntryInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub memo: String,
    /// Unique per practice: the same key posted again returns the first entry (201 both times).
    pub idempotency_key: String,
    pub lines: Vec<JournalLineInput>,
}

/// One line: an account's number and a debit or a credit in cents (the other one 0).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct JournalLineInput {
    pub account: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: String,
}

/// A reversal as asked: its date (blank: the original's date) and why.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReverseInput {
    pub date: String,
    pub memo: String,
}

/// A line as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    pub account_id: String,
    pub account_number: String,
    pub account_name: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: Option<String>,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
}

/// An entry as shown, with its lines and its reversal links.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub entry_number: i64,
    pub date: String,
    pub memo: String,
    pub source_kind: String,
    pub source_id: Option<String>,
    pub reversal_of: Option<String>,
    /// The entry that reversed this one, if any.
    pub reversed_by: Option<String>,
    pub total_cents: i64,
    pub posted_by: String,
    pub posted_at: String,
    pub lines: Vec<LineView>,
}

/// One account's row of the trial balance: its balance on the side it falls.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialBalanceRow {
    pub account_id: String,
    pub number: String,
    pub name: String,
    pub account_type: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
}

/// The trial balance as of a date: every account with a balance, and the two totals (equal).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialBalanceView {
    pub as_of: String,
    pub accounts: Vec<TrialBalanceRow>,
    pub total_debit_cents: i64,
    pub total_credit_cents: i64,
}

impl TrialBalanceView {
    pub fn balances(&self) -> bool {
        self.total_debit_cents == self.total_credit_cents
    }
}

/// One line of an account's detail with the running balance after it (on the account's normal side).
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetailLine {
    pub entry_id: String,
    pub entry_number: i64,
    pub date: String,
    pub memo: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub balance_cents: i64,
}

/// An account's general-ledger detail over a period.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetailView {
    pub account: AccountView,
    pub from: String,
    pub to: String,
    pub opening_balance_cents: i64,
    /// The first [`ACCOUNT_DETAIL_LIMIT`] lines of the period.
    pub lines: Vec<AccountDetailLine>,
    /// True when the period has more lines than are listed (the closing balance counts them all).
    pub truncated: bool,
    pub closing_balance_cents: i64,
}

/// Creates the default chart when the practice has none, inside the caller's transaction.
/// Concurrent first calls are harmless: an account already there (by number) is left alone.
pub async fn ensure_default_chart(conn: &mut Connection, practice_id: &str, now: &str) -> Result<()> {
    if store::account_count(conn, practice_id).await? > 0 {
        return Ok(());
    }
    for a in DEFAULT_CHART {
        let row = AccountRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            number: a.number.to_string(),
            name: a.name.to_string(),
            account_type: a.account_type.as_str().to_string(),
            normal_balance: a.account_type.normal_balance().as_str().to_string(),
            parent_id: None,
            active: 1,
            created_at: now.to_string(),
        };
        store::insert_default_account(conn, &row, a.parent).await?;
    }
    Ok(())
}

fn account_view(a: &AccountRow, by_id: &HashMap<&str, &AccountRow>) -> AccountView {
    let t = AccountType::parse(&a.account_type);
    AccountView {
        id: a.id.clone(),
        number: a.number.clone(),
        name: a.name.clone(),
        account_type: a.account_type.clone(),
        type_label: t.map(|t| t.label().to_string()).unwrap_or_else(|| a.account_type.clone()),
        section: t.map(|t| t.section().label().to_string()).unwrap_or_default(),
        normal_balance: a.normal_balance.clone(),
        parent_number: a.parent_id.as_deref().and_then(|p| by_id.get(p)).map(|p| p.number.clone()),
        active: a.active == 1,
    }
}

/// The error of a line's fault, under the field of the form row it came from.
fn entry_error(e: EntryError, row_of_line: &[usize]) -> ValidationErrors {
    let row = |line: usize| row_of_line.get(line - 1).copied().unwrap_or(line - 1);
    let field = match &e {
        EntryError::NoAccount { line } => format!("lines[{}].account", row(*line)),
        EntryError::ZeroLine { line } | EntryError::BothSides { line } | EntryError::NegativeAmount { line } => {
            format!("lines[{}].debit", row(*line))
        }
        _ => "lines".to_string(),
    };
    ValidationErrors::single(&field, e.to_string())
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string())
}

/// `YYYY-MM`, the month a date falls in (how closed periods are kept).
pub fn period_of(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

impl App {
    /// Posts one entry inside the caller's transaction: the interface every money event uses.
    /// See the module's documentation for what is refused and how.
    pub async fn post_entry(&self, conn: &mut Connection, practice_id: &str, entry: &NewEntry) -> Result<PostedEntry> {
        let rows: Vec<usize> = (0..entry.lines.len()).collect();
        self.post_entry_rows(conn, practice_id, entry, &rows).await
    }

    /// [`App::post_entry`], with the form row each line came from (for the field names of errors).
    async fn post_entry_rows(&self, conn: &mut Connection, practice_id: &str, entry: &NewEntry, rows: &[usize]) -> Result<PostedEntry> {
        let key = entry.idempotency_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
        if let Some(key) = key
            && let Some(first) = store::entry_by_key(conn, practice_id, key).await?
        {
            let lines = store::lines_of_entry(conn, practice_id, &first.id).await?;
            return Ok(PostedEntry { entry: first, lines, already_posted: true });
        }
        let mut errors = ValidationErrors::new();
        let memo = clean(&entry.memo);
        if memo.is_none() {
            errors.add("memo", "say what the entry is for");
        } else if entry.memo.chars().count() > 500 {
            errors.add("memo", "at most 500 characters");
        }
        let Some(date) = entry.date else {
            errors.add("date", "enter the entry's date");
            return Err(errors.into());
        };
        let lines: Vec<Line> = entry
            .lines
            .iter()
            .map(|l| Line {
                account: l.account.trim().to_string(),
                debit: Money::from_cents(l.debit_cents),
                credit: Money::from_cents(l.credit_cents),
            })
            .collect();
        let total = match ledger::check_lines(&lines) {
            Ok(total) => Some(total),
            Err(e) => {
                errors.errors.extend(entry_error(e, rows).errors);
                None
            }
        };
        let now = self.now_text();
        ensure_default_chart(conn, practice_id, &now).await?;
        let accounts = store::list_accounts(conn, practice_id).await?;
        let by_number: HashMap<&str, &AccountRow> = accounts.iter().map(|a| (a.number.as_str(), a)).collect();
        let mut account_ids = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let row = rows.get(i).copied().unwrap_or(i);
            match by_number.get(line.account.as_str()) {
                None if !line.account.is_empty() => {
                    errors.add(&format!("lines[{row}].account"), format!("line {}: there is no account {}", i + 1, line.account));
                }
                Some(a) if a.active != 1 => {
                    errors.add(&format!("lines[{row}].account"), format!("line {}: account {} {} is closed", i + 1, a.number, a.name));
                }
                Some(a) => account_ids.push(a.id.clone()),
                None => {}
            }
        }
        if store::period_is_closed(conn, practice_id, &period_of(date)).await? {
            errors.add("date", format!("{} is in a closed period ({}); date it in an open month", date, period_of(date)));
        }
        if let Some(original) = &entry.reversal_of
            && let Some(done) = store::reversal_of(conn, practice_id, original).await?
        {
            return Err(AppError::Conflict(format!("this entry was already reversed by entry #{}", done.entry_number)));
        }
        let (Some(memo), Some(total)) = (memo, total) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let entry_date = date.format("%Y-%m-%d").to_string();
        let id = new_id();
        let row = EntryRow {
            practice_id: practice_id.to_string(),
            id: id.clone(),
            entry_number: next_counter(conn, practice_id, "journal_entry").await?,
            entry_date: entry_date.clone(),
            memo,
            source_kind: entry.source_kind.clone(),
            source_id: entry.source_id.clone(),
            idempotency_key: key.map(str::to_string),
            reversal_of: entry.reversal_of.clone(),
            total_cents: total.cents(),
            posted_by: entry.posted_by.clone(),
            posted_at: now,
        };
        let line_rows: Vec<LineRow> = entry
            .lines
            .iter()
            .zip(account_ids)
            .enumerate()
            .map(|(i, (l, account_id))| LineRow {
                practice_id: practice_id.to_string(),
                entry_id: id.clone(),
                line_number: i as i64 + 1,
                account_id,
                entry_date: entry_date.clone(),
                debit_cents: l.debit_cents,
                credit_cents: l.credit_cents,
                memo: l.memo.as_deref().and_then(clean),
                patient_id: l.patient_id.clone(),
                payer_id: l.payer_id.clone(),
                vendor_id: l.vendor_id.clone(),
                claim_id: l.claim_id.clone(),
            })
            .collect();
        if !store::insert_entry(conn, &row, &line_rows).await? {
            // Posted meanwhile by a concurrent transaction under the same key: that one stands.
            let first = match key {
                Some(key) => store::entry_by_key(conn, practice_id, key).await?,
                None => None,
            };
            let Some(first) = first else {
                return Err(AppError::Conflict("the entry's idempotency key is taken; post it again".into()));
            };
            let lines = store::lines_of_entry(conn, practice_id, &first.id).await?;
            return Ok(PostedEntry { entry: first, lines, already_posted: true });
        }
        Ok(PostedEntry { entry: row, lines: line_rows, already_posted: false })
    }

    /// The chart of accounts by number (the default chart is created on first use).
    pub async fn chart_of_accounts(&self, actor: &Actor) -> Result<Vec<AccountView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let by_id: HashMap<&str, &AccountRow> = accounts.iter().map(|a| (a.id.as_str(), a)).collect();
        Ok(accounts.iter().map(|a| account_view(a, &by_id)).collect())
    }

    /// Adds an account to the chart.
    pub async fn add_account(&self, actor: &Actor, input: &NewAccountInput) -> Result<AccountView> {
        self.authorize(actor, Action::ManageAccounts, None).await?;
        let mut errors = ValidationErrors::new();
        let number = input.number.trim();
        if number.is_empty() || number.len() > 12 || !number.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '.') {
            errors.add("number", "an account number is 1 to 12 digits (dots and dashes allowed), e.g. 6120");
        }
        let name = clean(&input.name);
        match &name {
            None => errors.add("name", "enter the account's name"),
            Some(n) if n.chars().count() > 100 => errors.add("name", "at most 100 characters"),
            Some(_) => {}
        }
        let account_type = AccountType::parse(&input.account_type);
        if account_type.is_none() {
            errors.add("account_type", "choose the account's type");
        }
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        if accounts.iter().any(|a| a.number == number) {
            errors.add("number", format!("account {number} exists already"));
        }
        let parent = input.parent.trim();
        let parent_row = if parent.is_empty() { None } else { accounts.iter().find(|a| a.number == parent) };
        if !parent.is_empty() && parent_row.is_none() {
            errors.add("parent", format!("there is no account {parent}"));
        }
        let (Some(name), Some(account_type)) = (name, account_type) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = AccountRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            number: number.to_string(),
            name,
            account_type: account_type.as_str().to_string(),
            normal_balance: account_type.normal_balance().as_str().to_string(),
            parent_id: parent_row.map(|p| p.id.clone()),
            active: 1,
            created_at: now,
        };
        store::insert_account(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.account.add",
                patient_id: None,
                record_type: "ledger_account",
                record_id: Some(&row.id),
                detail: format!("{} {} ({})", row.number, row.name, row.account_type),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let by_id: HashMap<&str, &AccountRow> = accounts.iter().map(|a| (a.id.as_str(), a)).collect();
        Ok(account_view(&row, &by_id))
    }

    /// Closes an account to new postings (or opens it again). Accounts are never deleted: their
    /// lines keep pointing to them.
    pub async fn set_account_active(&self, actor: &Actor, account_id: &str, active: bool) -> Result<()> {
        self.authorize(actor, Action::ManageAccounts, None).await?;
        let mut tx = self.store.begin().await?;
        let account = store::get_account(&mut tx, &actor.practice_id, account_id).await?;
        store::set_account_active(&mut tx, &actor.practice_id, account_id, active).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if active { "ledger.account.open" } else { "ledger.account.close" },
                patient_id: None,
                record_type: "ledger_account",
                record_id: Some(account_id),
                detail: format!("{} {}", account.number, account.name),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Posts an entry the bookkeeper typed. Wholly blank rows are ignored; errors name the row.
    pub async fn post_manual_entry(&self, actor: &Actor, input: &ManualEntryInput) -> Result<EntryView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        for (row, l) in input.lines.iter().enumerate().filter(|(_, l)| !l.is_blank()) {
            let amount = |field: &str, text: &str, errors: &mut ValidationErrors| -> i64 {
                if text.trim().is_empty() {
                    return 0;
                }
                errors.check(&format!("lines[{row}].{field}"), Money::parse(text)).map(Money::cents).unwrap_or(0)
            };
            let debit_cents = amount("debit", &l.debit, &mut errors);
            let credit_cents = amount("credit", &l.credit, &mut errors);
            lines.push(NewLine {
                account: l.account.trim().to_string(),
                debit_cents,
                credit_cents,
                memo: clean(&l.memo),
                ..Default::default()
            });
            rows.push(row);
        }
        self.post_typed_entry(actor, &input.date, &input.memo, &input.idempotency_key, lines, &rows, errors).await
    }

    /// Posts an entry sent with amounts in cents (the API).
    pub async fn post_journal_entry(&self, actor: &Actor, input: &JournalEntryInput) -> Result<EntryView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let lines: Vec<NewLine> = input
            .lines
            .iter()
            .map(|l| NewLine {
                account: l.account.trim().to_string(),
                debit_cents: l.debit_cents,
                credit_cents: l.credit_cents,
                memo: clean(&l.memo),
                ..Default::default()
            })
            .collect();
        let rows: Vec<usize> = (0..lines.len()).collect();
        self.post_typed_entry(actor, &input.date, &input.memo, &input.idempotency_key, lines, &rows, ValidationErrors::new()).await
    }

    /// The shared end of a manual entry: the date parsed, the entry posted and audited.
    #[allow(clippy::too_many_arguments)]
    async fn post_typed_entry(
        &self,
        actor: &Actor,
        date: &str,
        memo: &str,
        key: &str,
        lines: Vec<NewLine>,
        rows: &[usize],
        mut errors: ValidationErrors,
    ) -> Result<EntryView> {
        let date = errors.check("date", parse_day(date));
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let entry = NewEntry {
            date,
            memo: memo.to_string(),
            source_kind: SOURCE_MANUAL.to_string(),
            source_id: None,
            idempotency_key: clean(key).map(|k| format!("manual:{k}")),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines,
        };
        let mut tx = self.store.begin().await?;
        let posted = self.post_entry_rows(&mut tx, &actor.practice_id, &entry, rows).await?;
        if !posted.already_posted {
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "ledger.entry.post",
                    patient_id: None,
                    record_type: "journal_entry",
                    record_id: Some(&posted.entry.id),
                    detail: format!(
                        "#{} {} {}",
                        posted.entry.entry_number,
                        posted.entry.entry_date,
                        Money::from_cents(posted.entry.total_cents)
                    ),
                },
            )
            .await?;
        }
        let view = self.entry_view(&mut tx, &actor.practice_id, posted.entry).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Reverses a posted entry: a new entry with every side swapped, linked to the original,
    /// dated as asked (the original's date when blank). An entry is reversed at most once.
    pub async fn reverse_entry(&self, actor: &Actor, entry_id: &str, input: &ReverseInput) -> Result<EntryView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let original = store::get_entry(&mut tx, &actor.practice_id, entry_id).await?;
        let date = if input.date.trim().is_empty() {
            parse_day(&original.entry_date).ok()
        } else {
            Some(parse_day(&input.date).map_err(|m| ValidationErrors::single("date", m))?)
        };
        let lines = store::lines_of_entry(&mut tx, &actor.practice_id, entry_id).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        let number_of: HashMap<&str, &str> = accounts.iter().map(|a| (a.id.as_str(), a.number.as_str())).collect();
        let memo = clean(&input.memo).unwrap_or_else(|| format!("Reversal of entry #{}: {}", original.entry_number, original.memo));
        let entry = NewEntry {
            date,
            memo,
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
        if let Some(done) = store::reversal_of(&mut tx, &actor.practice_id, &original.id).await? {
            return Err(AppError::Conflict(format!("this entry was already reversed by entry #{}", done.entry_number)));
        }
        let posted = self.post_entry(&mut tx, &actor.practice_id, &entry).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.entry.reverse",
                patient_id: None,
                record_type: "journal_entry",
                record_id: Some(&posted.entry.id),
                detail: format!("#{} reverses #{}", posted.entry.entry_number, original.entry_number),
            },
        )
        .await?;
        let view = self.entry_view(&mut tx, &actor.practice_id, posted.entry).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// One entry with its lines and reversal links.
    pub async fn journal_entry(&self, actor: &Actor, entry_id: &str) -> Result<EntryView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let entry = store::get_entry(&mut tx, &actor.practice_id, entry_id).await?;
        let view = self.entry_view(&mut tx, &actor.practice_id, entry).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The journal dated `from..=to`, newest first ([`JOURNAL_PAGE`] entries at most).
    pub async fn journal(&self, actor: &Actor, from: NaiveDate, to: NaiveDate) -> Result<Vec<EntryView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let (f, t) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
        let entries = store::entries_between(&mut tx, &actor.practice_id, &f, &t, JOURNAL_PAGE).await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        let by_id: HashMap<&str, &AccountRow> = accounts.iter().map(|a| (a.id.as_str(), a)).collect();
        let mut views = Vec::with_capacity(entries.len());
        for e in entries {
            views.push(self.entry_view_with(&mut tx, &actor.practice_id, e, &by_id).await?);
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(views)
    }

    /// The trial balance as of a date: each account's balance on the side it falls, and the
    /// totals of both columns, which are equal when the books balance.
    pub async fn trial_balance(&self, actor: &Actor, as_of: NaiveDate) -> Result<TrialBalanceView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        self.trial_balance_of(&actor.practice_id, as_of).await
    }

    /// The trial balance of the database's one practice as of a date (today in the practice's
    /// time zone when `None`), for the command line (`medoffice ledger trial-balance`), which has
    /// no user.
    pub async fn trial_balance_offline(&self, as_of: Option<&str>) -> Result<TrialBalanceView> {
        let practice = self.only_practice().await?;
        let as_of = match as_of {
            Some(text) => parse_day(text).map_err(|m| ValidationErrors::single("as_of", m))?,
            None => self.now().with_timezone(&practice.timezone.parse().unwrap_or(chrono_tz::America::New_York)).date_naive(),
        };
        self.trial_balance_of(&practice.id, as_of).await
    }

    /// The practice of a database that holds one (the command line's books).
    pub(crate) async fn only_practice(&self) -> Result<medoffice_store::practice::PracticeRow> {
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let mut practices = medoffice_store::practice::list(&mut conn).await?;
        match practices.len() {
            0 => Err(AppError::NotFound("practice")),
            1 => Ok(practices.remove(0)),
            n => Err(AppError::Conflict(format!(
                "the database holds {n} practices; the books are read per practice through the web or the API"
            ))),
        }
    }

    async fn trial_balance_of(&self, practice_id: &str, as_of: NaiveDate) -> Result<TrialBalanceView> {
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, practice_id, &self.now_text()).await?;
        let accounts = store::list_accounts(&mut tx, practice_id).await?;
        let as_of_text = as_of.format("%Y-%m-%d").to_string();
        let totals = store::account_totals(&mut tx, practice_id, FIRST_DATE, &as_of_text).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let by_account: HashMap<&str, (i64, i64)> =
            totals.iter().map(|t| (t.account_id.as_str(), (t.debit_cents, t.credit_cents))).collect();
        let mut rows = Vec::new();
        let (mut total_debit_cents, mut total_credit_cents) = (0i64, 0i64);
        for a in &accounts {
            let Some((d, c)) = by_account.get(a.id.as_str()) else { continue };
            let net = d - c;
            if net == 0 {
                continue;
            }
            let (debit_cents, credit_cents) = if net > 0 { (net, 0) } else { (0, -net) };
            total_debit_cents += debit_cents;
            total_credit_cents += credit_cents;
            rows.push(TrialBalanceRow {
                account_id: a.id.clone(),
                number: a.number.clone(),
                name: a.name.clone(),
                account_type: a.account_type.clone(),
                debit_cents,
                credit_cents,
            });
        }
        Ok(TrialBalanceView { as_of: as_of_text, accounts: rows, total_debit_cents, total_credit_cents })
    }

    /// An account's lines dated `from..=to` with the balance before, after each line and at the
    /// end, on the account's normal side.
    pub async fn account_detail(&self, actor: &Actor, account_id: &str, from: NaiveDate, to: NaiveDate) -> Result<AccountDetailView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let accounts = store::list_accounts(&mut tx, &actor.practice_id).await?;
        let Some(account) = accounts.iter().find(|a| a.id == account_id) else {
            return Err(AppError::NotFound("account"));
        };
        let (f, t) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
        let (opening_debit, opening_credit) = match from.pred_opt() {
            Some(before) => {
                store::account_total(&mut tx, &actor.practice_id, account_id, FIRST_DATE, &before.format("%Y-%m-%d").to_string()).await?
            }
            None => (0, 0),
        };
        let (period_debit, period_credit) = store::account_total(&mut tx, &actor.practice_id, account_id, &f, &t).await?;
        let lines = store::account_lines(&mut tx, &actor.practice_id, account_id, &f, &t, ACCOUNT_DETAIL_LIMIT + 1).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let debit_normal = account.normal_balance == "debit";
        let signed = |d: i64, c: i64| if debit_normal { d - c } else { c - d };
        let opening_balance_cents = signed(opening_debit, opening_credit);
        // The closing balance comes from the totals, so it is right even when the lines are cut.
        let closing_balance_cents = opening_balance_cents + signed(period_debit, period_credit);
        let truncated = lines.len() as i64 > ACCOUNT_DETAIL_LIMIT;
        let mut balance = opening_balance_cents;
        let detail = lines
            .into_iter()
            .take(ACCOUNT_DETAIL_LIMIT as usize)
            .map(|l| {
                balance += signed(l.debit_cents, l.credit_cents);
                AccountDetailLine {
                    entry_id: l.entry_id,
                    entry_number: l.entry_number,
                    date: l.entry_date,
                    memo: l.line_memo.unwrap_or(l.entry_memo),
                    debit_cents: l.debit_cents,
                    credit_cents: l.credit_cents,
                    balance_cents: balance,
                }
            })
            .collect();
        let by_id: HashMap<&str, &AccountRow> = accounts.iter().map(|a| (a.id.as_str(), a)).collect();
        Ok(AccountDetailView {
            account: account_view(account, &by_id),
            from: f,
            to: t,
            opening_balance_cents,
            lines: detail,
            truncated,
            closing_balance_cents,
        })
    }

    /// Closes a month (`YYYY-MM`): nothing may be posted dated in it until an admin reopens it.
    pub async fn close_period(&self, actor: &Actor, period: &str) -> Result<()> {
        self.authorize(actor, Action::ClosePeriods, None).await?;
        let period = parse_period(period).map_err(|m| ValidationErrors::single("period", m))?;
        let mut tx = self.store.begin().await?;
        if store::period_is_closed(&mut tx, &actor.practice_id, &period).await? {
            return Err(AppError::Conflict(format!("{period} is closed already")));
        }
        store::close_period(&mut tx, &actor.practice_id, &period, &actor.user_id, &self.now_text()).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.period.close",
                patient_id: None,
                record_type: "ledger_period",
                record_id: Some(&period),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Reopens a closed month (the office manager only; audited).
    pub async fn reopen_period(&self, actor: &Actor, period: &str) -> Result<()> {
        self.authorize(actor, Action::ReopenPeriods, None).await?;
        let period = parse_period(period).map_err(|m| ValidationErrors::single("period", m))?;
        let mut tx = self.store.begin().await?;
        if !store::reopen_period(&mut tx, &actor.practice_id, &period).await? {
            return Err(AppError::Conflict(format!("{period} is not closed")));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.period.reopen",
                patient_id: None,
                record_type: "ledger_period",
                record_id: Some(&period),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The closed months, newest first: (period, closed by user id, closed at).
    pub async fn closed_periods(&self, actor: &Actor) -> Result<Vec<(String, String, String)>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let periods = store::closed_periods(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(periods)
    }

    /// An entry's view inside a caller's transaction (for use cases that post and show).
    pub(crate) async fn journal_entry_in(&self, conn: &mut Connection, practice_id: &str, e: EntryRow) -> Result<EntryView> {
        self.entry_view(conn, practice_id, e).await
    }

    async fn entry_view(&self, conn: &mut Connection, practice_id: &str, e: EntryRow) -> Result<EntryView> {
        let accounts = store::list_accounts(conn, practice_id).await?;
        let by_id: HashMap<&str, &AccountRow> = accounts.iter().map(|a| (a.id.as_str(), a)).collect();
        self.entry_view_with(conn, practice_id, e, &by_id).await
    }

    /// [`Self::entry_view`] with the chart already read (a journal page reads it once).
    async fn entry_view_with(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        e: EntryRow,
        by_id: &HashMap<&str, &AccountRow>,
    ) -> Result<EntryView> {
        let lines = store::lines_of_entry(conn, practice_id, &e.id).await?;
        let reversed_by = store::reversal_of(conn, practice_id, &e.id).await?.map(|r| r.id);
        Ok(EntryView {
            lines: lines
                .into_iter()
                .map(|l| {
                    let account = by_id.get(l.account_id.as_str());
                    LineView {
                        account_number: account.map(|a| a.number.clone()).unwrap_or_default(),
                        account_name: account.map(|a| a.name.clone()).unwrap_or_default(),
                        account_id: l.account_id,
                        debit_cents: l.debit_cents,
                        credit_cents: l.credit_cents,
                        memo: l.memo,
                        patient_id: l.patient_id,
                        payer_id: l.payer_id,
                        vendor_id: l.vendor_id,
                        claim_id: l.claim_id,
                    }
                })
                .collect(),
            id: e.id,
            entry_number: e.entry_number,
            date: e.entry_date,
            memo: e.memo,
            source_kind: e.source_kind,
            source_id: e.source_id,
            reversal_of: e.reversal_of,
            reversed_by,
            total_cents: e.total_cents,
            posted_by: e.posted_by,
            posted_at: e.posted_at,
        })
    }
}

/// A month as typed, `YYYY-MM`.
fn parse_period(text: &str) -> Result<String, String> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").map(period_of).map_err(|_| "enter a month as YYYY-MM".to_string())
}

/// The default journal range: the first of the month two months back to today.
pub fn default_journal_range(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let start = today.with_day(1).and_then(|d| d.checked_sub_months(Months::new(2))).unwrap_or(today);
    (start, today)
}
