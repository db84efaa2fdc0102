//! The general ledger's rules: account types and their normal balances, the default chart of a
//! medical practice, and what makes a journal entry postable.
//!
//! Double entry: every entry's debits equal its credits, so the whole ledger's do too, and the
//! accounting equation (assets = liabilities + owners' equity, with this period's revenue less
//! expenses counted in equity) holds after any sequence of posted entries. Amounts are integer
//! cents ([`Money`]); a line is a debit or a credit, never both, never zero. Posted entries are
//! never changed: a correction is a reversal, an entry with every line's side swapped.

pub mod aging;
pub mod bank;
pub mod bill_payments;
pub mod cash_basis;
mod chart;
pub mod export;
pub mod recurring;
pub mod terms;

pub use chart::{DEFAULT_CHART, DefaultAccount, accounts};

use crate::Money;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// The most lines one entry may have. The largest entries are remittances: one payer's check or
/// EFT may pay a few thousand claims, about five lines each (payment, write-off, patient share),
/// and posts as one entry whose cash line is the bank deposit.
pub const MAX_LINES: usize = 25_000;

/// Which side of an account increases it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<Side> {
        match text {
            "debit" => Some(Side::Debit),
            "credit" => Some(Side::Credit),
            _ => None,
        }
    }
}

/// The five sections of the financial statements an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Asset,
    Liability,
    Equity,
    Revenue,
    Expense,
}

impl Section {
    /// The heading on a report.
    pub fn label(self) -> &'static str {
        match self {
            Section::Asset => "Assets",
            Section::Liability => "Liabilities",
            Section::Equity => "Owners' equity",
            Section::Revenue => "Revenue",
            Section::Expense => "Expenses",
        }
    }
}

/// An account's type. A contra type sits in its section with the opposite normal balance:
/// accumulated depreciation and the allowance reduce assets, draws reduce equity, contractual
/// adjustments reduce revenue, purchase discounts reduce expenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Asset,
    ContraAsset,
    Liability,
    Equity,
    ContraEquity,
    Revenue,
    ContraRevenue,
    Expense,
    ContraExpense,
}

impl AccountType {
    pub const ALL: [AccountType; 9] = [
        AccountType::Asset,
        AccountType::ContraAsset,
        AccountType::Liability,
        AccountType::Equity,
        AccountType::ContraEquity,
        AccountType::Revenue,
        AccountType::ContraRevenue,
        AccountType::Expense,
        AccountType::ContraExpense,
    ];

    /// As stored (`ledger_account.account_type`) and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Asset => "asset",
            AccountType::ContraAsset => "contra_asset",
            AccountType::Liability => "liability",
            AccountType::Equity => "equity",
            AccountType::ContraEquity => "contra_equity",
            AccountType::Revenue => "revenue",
            AccountType::ContraRevenue => "contra_revenue",
            AccountType::Expense => "expense",
            AccountType::ContraExpense => "contra_expense",
        }
    }

    pub fn parse(text: &str) -> Option<AccountType> {
        AccountType::ALL.into_iter().find(|t| t.as_str() == text.trim())
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AccountType::Asset => "Asset",
            AccountType::ContraAsset => "Contra-asset",
            AccountType::Liability => "Liability",
            AccountType::Equity => "Equity",
            AccountType::ContraEquity => "Contra-equity",
            AccountType::Revenue => "Revenue",
            AccountType::ContraRevenue => "Contra-revenue",
            AccountType::Expense => "Expense",
            AccountType::ContraExpense => "Contra-expense",
        }
    }

    pub fn section(self) -> Section {
        match self {
            AccountType::Asset | AccountType::ContraAsset => Section::Asset,
            AccountType::Liability => Section::Liability,
            AccountType::Equity | AccountType::ContraEquity => Section::Equity,
            AccountType::Revenue | AccountType::ContraRevenue => Section::Revenue,
            AccountType::Expense | AccountType::ContraExpense => Section::Expense,
        }
    }

    /// The side that increases an account of this type.
    pub fn normal_balance(self) -> Side {
        match self {
            AccountType::Asset | AccountType::Expense | AccountType::ContraEquity | AccountType::ContraRevenue => Side::Debit,
            AccountType::ContraAsset | AccountType::Liability | AccountType::Equity | AccountType::Revenue | AccountType::ContraExpense => {
                Side::Credit
            }
        }
    }

    /// Whether this is a contra type (its normal balance is the opposite of its section's).
    pub fn is_contra(self) -> bool {
        matches!(self, AccountType::ContraAsset | AccountType::ContraEquity | AccountType::ContraRevenue | AccountType::ContraExpense)
    }
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An account's balance on its section's side: debits less credits for an asset or expense
/// section, credits less debits for liabilities, equity and revenue. A contra account's balance
/// comes out negative in its section, which is what it does on a statement (it reduces the total).
pub fn section_balance(section: Section, debit: Money, credit: Money) -> Money {
    let net = debit.cents() - credit.cents();
    Money::from_cents(match section {
        Section::Asset | Section::Expense => net,
        Section::Liability | Section::Equity | Section::Revenue => -net,
    })
}

/// An account's balance on its own normal side (positive when it holds what it normally holds).
pub fn normal_balance(account_type: AccountType, debit: Money, credit: Money) -> Money {
    let net = debit.cents() - credit.cents();
    Money::from_cents(match account_type.normal_balance() {
        Side::Debit => net,
        Side::Credit => -net,
    })
}

/// One line of an entry to post: an account (by number) and a debit or a credit in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub account: String,
    pub debit: Money,
    pub credit: Money,
}

impl Line {
    pub fn debit(account: &str, cents: i64) -> Line {
        Line { account: account.to_string(), debit: Money::from_cents(cents), credit: Money::ZERO }
    }

    pub fn credit(account: &str, cents: i64) -> Line {
        Line { account: account.to_string(), debit: Money::ZERO, credit: Money::from_cents(cents) }
    }
}

/// Why an entry cannot be posted, each naming what is wrong and, for a line, which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("an entry needs lines: at least one debit and one credit")]
    NoLines,
    #[error("an entry needs at least two lines (a debit and a credit)")]
    OneLine,
    #[error("an entry has at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("line {line}: enter the account")]
    NoAccount { line: usize },
    #[error("line {line}: a line needs an amount (a zero line is refused)")]
    ZeroLine { line: usize },
    #[error("line {line}: a line is a debit or a credit, not both")]
    BothSides { line: usize },
    #[error("line {line}: amounts are positive; put a negative amount on the other side")]
    NegativeAmount { line: usize },
    #[error("the entry does not balance: debits {debits}, credits {credits} (difference {difference})")]
    Unbalanced { debits: Money, credits: Money, difference: Money },
    #[error("the amounts are too large")]
    Overflow,
}

impl EntryError {
    /// The form field the error belongs to: `lines[N].debit`, `lines[N].account` or `lines`
    /// (lines numbered from 0 in fields, from 1 in messages).
    pub fn field(&self) -> String {
        match self {
            EntryError::NoAccount { line } => format!("lines[{}].account", line - 1),
            EntryError::ZeroLine { line } | EntryError::BothSides { line } | EntryError::NegativeAmount { line } => {
                format!("lines[{}].debit", line - 1)
            }
            _ => "lines".to_string(),
        }
    }
}

impl From<EntryError> for ValidationErrors {
    fn from(e: EntryError) -> Self {
        ValidationErrors::single(&e.field(), e.to_string())
    }
}

/// Checks every rule of one entry's lines; returns the totals (debits = credits) when postable.
/// The first rule broken is reported: a line's own fault before the entry's balance.
pub fn check_lines(lines: &[Line]) -> Result<Money, EntryError> {
    if lines.is_empty() {
        return Err(EntryError::NoLines);
    }
    if lines.len() == 1 {
        return Err(EntryError::OneLine);
    }
    if lines.len() > MAX_LINES {
        return Err(EntryError::TooManyLines);
    }
    let (mut debits, mut credits) = (Money::ZERO, Money::ZERO);
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        if line.account.trim().is_empty() {
            return Err(EntryError::NoAccount { line: number });
        }
        if line.debit.cents() < 0 || line.credit.cents() < 0 {
            return Err(EntryError::NegativeAmount { line: number });
        }
        if line.debit.cents() > 0 && line.credit.cents() > 0 {
            return Err(EntryError::BothSides { line: number });
        }
        if line.debit.cents() == 0 && line.credit.cents() == 0 {
            return Err(EntryError::ZeroLine { line: number });
        }
        debits = debits.checked_add(line.debit).ok_or(EntryError::Overflow)?;
        credits = credits.checked_add(line.credit).ok_or(EntryError::Overflow)?;
    }
    if debits != credits {
        return Err(EntryError::Unbalanced { debits, credits, difference: Money::from_cents(debits.cents() - credits.cents()) });
    }
    Ok(debits)
}

/// The lines of the reversal of an entry: the same accounts and amounts, sides swapped.
pub fn reversal_lines(lines: &[Line]) -> Vec<Line> {
    lines.iter().map(|l| Line { account: l.account.clone(), debit: l.credit, credit: l.debit }).collect()
}

/// Balances by account number, built by posting entries: the in-memory model of the ledger the
/// property tests check and the store's reports must agree with.
#[derive(Debug, Clone, Default)]
pub struct Balances {
    /// Account number -> (debits, credits) in cents.
    totals: HashMap<String, (i64, i64)>,
    types: HashMap<String, AccountType>,
}

impl Balances {
    /// Empty balances over a chart (account number, type).
    pub fn new<'a>(chart: impl IntoIterator<Item = (&'a str, AccountType)>) -> Balances {
        Balances { totals: HashMap::new(), types: chart.into_iter().map(|(n, t)| (n.to_string(), t)).collect() }
    }

    /// Posts an entry when it is postable and every account exists; changes nothing otherwise.
    pub fn post(&mut self, lines: &[Line]) -> Result<(), PostError> {
        check_lines(lines).map_err(PostError::Entry)?;
        if let Some((i, line)) = lines.iter().enumerate().find(|(_, l)| !self.types.contains_key(&l.account)) {
            return Err(PostError::UnknownAccount { line: i + 1, account: line.account.clone() });
        }
        for line in lines {
            let total = self.totals.entry(line.account.clone()).or_default();
            total.0 += line.debit.cents();
            total.1 += line.credit.cents();
        }
        Ok(())
    }

    /// One account's debits less its credits.
    pub fn net(&self, account: &str) -> Money {
        Money::from_cents(self.totals.get(account).map(|(d, c)| d - c).unwrap_or(0))
    }

    /// Total debits and total credits of every account.
    pub fn totals(&self) -> (Money, Money) {
        let (d, c) = self.totals.values().fold((0i64, 0i64), |(d, c), (ld, lc)| (d + ld, c + lc));
        (Money::from_cents(d), Money::from_cents(c))
    }

    /// The sum of the balances of one section's accounts (contra accounts reduce it).
    pub fn section_total(&self, section: Section) -> Money {
        let cents = self
            .totals
            .iter()
            .filter(|(n, _)| self.types.get(*n).map(|t| t.section()) == Some(section))
            .map(|(_, (d, c))| section_balance(section, Money::from_cents(*d), Money::from_cents(*c)).cents())
            .sum();
        Money::from_cents(cents)
    }

    /// Assets = liabilities + equity + (revenue - expenses): the net income not yet closed into
    /// retained earnings belongs to the owners.
    pub fn equation_holds(&self) -> bool {
        let assets = self.section_total(Section::Asset).cents();
        let right = self.section_total(Section::Liability).cents()
            + self.section_total(Section::Equity).cents()
            + self.section_total(Section::Revenue).cents()
            - self.section_total(Section::Expense).cents();
        assets == right
    }
}

/// Why [`Balances::post`] refused an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("{0}")]
    Entry(EntryError),
    #[error("line {line}: there is no account {account}")]
    UnknownAccount { line: usize, account: String },
}

#[cfg(test)]
mod tests;
