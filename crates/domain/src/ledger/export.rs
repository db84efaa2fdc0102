//! The journal written out for other tools: ledger/hledger journal syntax and CSV.
//!
//! Account names become paths under the five top-level names hledger and ledger recognise
//! (`Assets`, `Liabilities`, `Equity`, `Revenue`, `Expenses`), and a name's " - " parts become path
//! levels: "Accounts receivable - Insurance" is `Assets:Accounts receivable:Insurance`. Amounts are
//! dollars with two decimals (`$1234.50`, credits negative), so `hledger balance` on the export
//! gives each account's debits less credits, exactly what medoffice's trial balance says.

use super::{AccountType, Section};
use crate::Money;
use std::collections::HashMap;
use std::fmt::Write;

/// An account as the export names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportAccount {
    pub number: String,
    pub name: String,
    pub account_type: AccountType,
}

/// One line of the journal in date order, with its entry's header repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLine {
    pub entry_number: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub memo: String,
    pub account_number: String,
    pub debit: Money,
    pub credit: Money,
}

fn top_level(section: Section) -> &'static str {
    match section {
        Section::Asset => "Assets",
        Section::Liability => "Liabilities",
        Section::Equity => "Equity",
        Section::Revenue => "Revenue",
        Section::Expense => "Expenses",
    }
}

/// Text safe inside a journal: no line breaks, no `;` (a comment), no run of spaces or tab (which
/// end an account name), no `:` inside a path level.
fn clean_text(text: &str, colon: bool) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c {
            ';' => ',',
            ':' if colon => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The journal path of every account, by number. Two accounts that would share a path keep them
/// apart with their numbers.
pub fn account_paths(accounts: &[ExportAccount]) -> HashMap<String, String> {
    let path_of = |a: &ExportAccount| {
        let mut levels = vec![top_level(a.account_type.section()).to_string()];
        levels.extend(a.name.split(" - ").map(|p| clean_text(p, true)).filter(|p| !p.is_empty()));
        levels.join(":")
    };
    let mut count: HashMap<String, usize> = HashMap::new();
    for a in accounts {
        *count.entry(path_of(a)).or_default() += 1;
    }
    accounts
        .iter()
        .map(|a| {
            let path = path_of(a);
            let path = if count.get(&path).copied().unwrap_or(0) > 1 { format!("{path} {}", a.number) } else { path };
            (a.number.clone(), path)
        })
        .collect()
}

/// Cents as journal dollars: `$1234.50`, `$-3.10`.
fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("${sign}{}.{:02}", abs / 100, abs % 100)
}

/// The journal in ledger/hledger syntax: one transaction per entry, its number as the code.
/// Lines of one entry must be consecutive (they are, in date and entry order).
pub fn to_ledger(accounts: &[ExportAccount], lines: &[ExportLine]) -> String {
    let paths = account_paths(accounts);
    let mut out = String::from("; medoffice general ledger export\n");
    let mut current: Option<i64> = None;
    for l in lines {
        if current != Some(l.entry_number) {
            current = Some(l.entry_number);
            let _ = write!(out, "\n{} ({}) {}\n", l.date, l.entry_number, clean_text(&l.memo, false));
        }
        let path = paths.get(&l.account_number).cloned().unwrap_or_else(|| format!("Unknown:{}", clean_text(&l.account_number, true)));
        let _ = writeln!(out, "    {path}  {}", dollars(l.debit.cents() - l.credit.cents()));
    }
    out
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// The journal as CSV: one row per line, amounts in dollars with two decimals.
pub fn to_csv(accounts: &[ExportAccount], lines: &[ExportLine]) -> String {
    let names: HashMap<&str, &str> = accounts.iter().map(|a| (a.number.as_str(), a.name.as_str())).collect();
    let mut out = String::from("date,entry,memo,account_number,account_name,debit,credit\n");
    let amount = |m: Money| if m.cents() == 0 { String::new() } else { dollars(m.cents()).trim_start_matches('$').to_string() };
    for l in lines {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            l.date,
            l.entry_number,
            csv_field(&l.memo),
            csv_field(&l.account_number),
            csv_field(names.get(l.account_number.as_str()).copied().unwrap_or("")),
            amount(l.debit),
            amount(l.credit)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Vec<ExportAccount> {
        super::super::DEFAULT_CHART
            .iter()
            .map(|a| ExportAccount { number: a.number.into(), name: a.name.into(), account_type: a.account_type })
            .collect()
    }

    fn line(n: i64, account: &str, debit: i64, credit: i64) -> ExportLine {
        ExportLine {
            entry_number: n,
            date: "2026-06-01".into(),
            memo: "Rent; June\nsecond line".into(),
            account_number: account.into(),
            debit: Money::from_cents(debit),
            credit: Money::from_cents(credit),
        }
    }

    #[test]
    fn account_names_become_paths_under_the_five_top_level_names() {
        let paths = account_paths(&chart());
        assert_eq!(paths["1100"], "Assets:Accounts receivable:Insurance");
        assert_eq!(paths["1000"], "Assets:Cash:Operating");
        assert_eq!(paths["4100"], "Revenue:Contractual adjustments");
        assert_eq!(paths["2000"], "Liabilities:Accounts payable");
        assert_eq!(paths["3100"], "Equity:Owner's draws");
        assert_eq!(paths["6100"], "Expenses:Rent");
        assert_eq!(paths.len(), chart().len());
        let mut unique: Vec<&String> = paths.values().collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), paths.len());
    }

    #[test]
    fn accounts_that_would_share_a_path_keep_their_numbers() {
        let twins = vec![
            ExportAccount { number: "6100".into(), name: "Rent".into(), account_type: AccountType::Expense },
            ExportAccount { number: "6101".into(), name: "Rent".into(), account_type: AccountType::Expense },
        ];
        let paths = account_paths(&twins);
        assert_eq!((paths["6100"].as_str(), paths["6101"].as_str()), ("Expenses:Rent 6100", "Expenses:Rent 6101"));
    }

    #[test]
    fn the_ledger_export_writes_one_transaction_per_entry_with_signed_dollars_and_safe_text() {
        let text = to_ledger(&chart(), &[line(7, "6100", 320_005, 0), line(7, "1000", 0, 320_005)]);
        assert_eq!(
            text,
            "; medoffice general ledger export\n\n2026-06-01 (7) Rent, June second line\n    Expenses:Rent  $3200.05\n    Assets:Cash:Operating  $-3200.05\n"
        );
    }

    #[test]
    fn the_csv_export_quotes_what_it_must() {
        let text = to_csv(&chart(), &[line(1, "6100", 5, 0)]);
        assert_eq!(text.lines().nth(1), Some("2026-06-01,1,\"Rent; June"));
        assert!(text.ends_with("second line\",6100,Rent,0.05,\n"), "{text}");
    }
}
