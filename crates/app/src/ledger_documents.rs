//! The ledger's reports as files to download: the trial balance, balance sheet, income
//! statement, an account's general-ledger detail and the journal listing, each as CSV or PDF, for
//! the same dates as on screen.
//!
//! Each file is made from the same use case the page calls ([`App::trial_balance`],
//! [`App::balance_sheet`], ...), so a file's figures are the screen's. CSV follows RFC 4180
//! (fields with a comma, quote or line break quoted, quotes doubled, CRLF line ends) with a
//! header row and amounts as plain decimals (`1234.56`, `-80.00`); a debit or credit column is
//! blank on the other side, as on screen. PDF is laid out by `medoffice-pdf` (Letter pages, a
//! title block, tables that continue across pages). Every download is audited
//! (`ledger.report.download`): the books leave medoffice.

use crate::cash_basis::Basis;
use crate::ledger::{AccountDetailView, EntryView, JOURNAL_PAGE, TrialBalanceView};
use crate::ledger_reports::{BalanceSheetView, IncomeStatementView, StatementSection};
use crate::{Actor, App, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_pdf::{Align, Column, Document, Row, RowStyle, Table, TitleBlock};
use medoffice_store::StoreError;

/// A report to download, with its dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerReport {
    TrialBalance { as_of: NaiveDate, basis: Basis },
    BalanceSheet { as_of: NaiveDate, basis: Basis },
    IncomeStatement { from: NaiveDate, to: NaiveDate, basis: Basis },
    AccountDetail { account_id: String, from: NaiveDate, to: NaiveDate },
    Journal { from: NaiveDate, to: NaiveDate },
}

impl LedgerReport {
    /// The name in file names and the audit trail: `trial-balance`, `account-detail`...
    pub fn slug(&self) -> &'static str {
        match self {
            LedgerReport::TrialBalance { .. } => "trial-balance",
            LedgerReport::BalanceSheet { .. } => "balance-sheet",
            LedgerReport::IncomeStatement { .. } => "income-statement",
            LedgerReport::AccountDetail { .. } => "account-detail",
            LedgerReport::Journal { .. } => "journal",
        }
    }

    /// The dates as a file name's part: `2026-06-30` or `2026-01-01-to-2026-06-30`.
    fn dates(&self) -> String {
        match self {
            LedgerReport::TrialBalance { as_of, basis } | LedgerReport::BalanceSheet { as_of, basis } => match basis {
                Basis::Accrual => as_of.to_string(),
                Basis::Cash => format!("{as_of}-cash-basis"),
            },
            LedgerReport::IncomeStatement { from, to, basis: Basis::Cash } => format!("{from}-to-{to}-cash-basis"),
            LedgerReport::IncomeStatement { from, to, .. }
            | LedgerReport::AccountDetail { from, to, .. }
            | LedgerReport::Journal { from, to } => format!("{from}-to-{to}"),
        }
    }
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Pdf,
}

impl FileFormat {
    pub fn parse(extension: &str) -> Option<FileFormat> {
        match extension {
            "csv" => Some(FileFormat::Csv),
            "pdf" => Some(FileFormat::Pdf),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Pdf => "application/pdf",
        }
    }
}

/// A file to send.
#[derive(Debug, Clone)]
pub struct ReportFile {
    /// `trial-balance-2026-06-30.csv`: ASCII letters, digits, dashes and a dot only.
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Cents as a plain decimal: `1234.56`, `-80.00`.
pub fn plain_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A debit or credit column's amount: blank for zero.
fn side(cents: i64) -> String {
    if cents == 0 { String::new() } else { plain_amount(cents) }
}

/// Money on paper: `$1,234.56`; blank for a zero debit or credit.
fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn money_side(cents: i64) -> String {
    if cents == 0 { String::new() } else { money(cents) }
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// CSV rows, CRLF after each.
#[derive(Default)]
struct Csv(String);

impl Csv {
    fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        let line: Vec<String> = fields.iter().map(|f| csv_field(f.as_ref())).collect();
        self.0.push_str(&line.join(","));
        self.0.push_str("\r\n");
    }
}

/// A report's content, ready for either format.
struct Sheet {
    title: String,
    period: String,
    /// Columns of the PDF table; the CSV header is the same names.
    columns: Vec<Column>,
    /// `(csv fields, pdf cells, style)` per row: CSV takes plain decimals, paper money signs.
    rows: Vec<(Vec<String>, Vec<String>, RowStyle)>,
    /// A closing line under the table (whether the books balance, a truncation).
    notes: Vec<String>,
}

impl Sheet {
    fn new(title: &str, period: String, columns: Vec<Column>) -> Sheet {
        Sheet { title: title.to_string(), period, columns, rows: Vec::new(), notes: Vec::new() }
    }

    fn push(&mut self, csv: Vec<String>, pdf: Vec<String>, style: RowStyle) {
        self.rows.push((csv, pdf, style));
    }

    fn csv(&self) -> Vec<u8> {
        let mut out = Csv::default();
        out.row(&self.columns.iter().map(|c| c.header.as_str()).collect::<Vec<_>>());
        for (fields, _, _) in &self.rows {
            out.row(fields);
        }
        out.0.into_bytes()
    }

    fn pdf(&self, organization: &str, printed_at: &str) -> Vec<u8> {
        let mut doc = Document::letter();
        doc.title_block(&TitleBlock {
            organization: organization.to_string(),
            title: self.title.clone(),
            period: self.period.clone(),
            printed_at: printed_at.to_string(),
        });
        let table = Table {
            columns: self.columns.clone(),
            rows: self.rows.iter().map(|(_, cells, style)| Row::styled(cells.clone(), *style)).collect(),
        };
        doc.table(&table);
        for note in &self.notes {
            doc.paragraph(note);
        }
        doc.finish()
    }
}

fn trial_balance_sheet(tb: &TrialBalanceView, basis: Basis) -> Sheet {
    let columns = vec![
        Column::new("Number", 1.0, Align::Left),
        Column::new("Account", 4.0, Align::Left),
        Column::new("Debit", 1.6, Align::Right),
        Column::new("Credit", 1.6, Align::Right),
    ];
    let mut sheet = Sheet::new("Trial balance", format!("As of {} ({} basis)", tb.as_of, basis.as_str()), columns);
    for a in &tb.accounts {
        sheet.push(
            vec![a.number.clone(), a.name.clone(), side(a.debit_cents), side(a.credit_cents)],
            vec![a.number.clone(), a.name.clone(), money_side(a.debit_cents), money_side(a.credit_cents)],
            RowStyle::Normal,
        );
    }
    sheet.push(
        vec![String::new(), "Totals".into(), plain_amount(tb.total_debit_cents), plain_amount(tb.total_credit_cents)],
        vec![String::new(), "Totals".into(), money(tb.total_debit_cents), money(tb.total_credit_cents)],
        RowStyle::GrandTotal,
    );
    sheet.notes.push(if tb.balances() {
        "The books balance: debits equal credits.".to_string()
    } else {
        format!("The books do not balance: debits {}, credits {}.", money(tb.total_debit_cents), money(tb.total_credit_cents))
    });
    sheet
}

fn statement_columns() -> Vec<Column> {
    vec![
        Column::new("Section", 1.6, Align::Left),
        Column::new("Number", 1.0, Align::Left),
        Column::new("Account", 4.0, Align::Left),
        Column::new("Amount", 1.8, Align::Right),
    ]
}

/// A section's accounts and its total row.
fn push_section(sheet: &mut Sheet, s: &StatementSection) {
    for l in &s.lines {
        sheet.push(
            vec![s.title.clone(), l.number.clone(), l.name.clone(), plain_amount(l.amount_cents)],
            vec![s.title.clone(), l.number.clone(), l.name.clone(), money(l.amount_cents)],
            RowStyle::Normal,
        );
    }
}

fn push_total(sheet: &mut Sheet, section: &str, label: &str, cents: i64, style: RowStyle) {
    sheet.push(
        vec![section.to_string(), String::new(), label.to_string(), plain_amount(cents)],
        vec![section.to_string(), String::new(), label.to_string(), money(cents)],
        style,
    );
}

fn balance_sheet_sheet(bs: &BalanceSheetView, basis: Basis) -> Sheet {
    let mut sheet = Sheet::new("Balance sheet", format!("As of {} ({} basis)", bs.as_of, basis.as_str()), statement_columns());
    push_section(&mut sheet, &bs.assets);
    push_total(&mut sheet, &bs.assets.title, "Total assets", bs.assets.total_cents, RowStyle::Total);
    push_section(&mut sheet, &bs.liabilities);
    push_total(&mut sheet, &bs.liabilities.title, "Total liabilities", bs.liabilities.total_cents, RowStyle::Total);
    push_section(&mut sheet, &bs.equity);
    push_total(
        &mut sheet,
        &bs.equity.title,
        "Net income not yet closed into retained earnings",
        bs.net_income_not_closed_cents,
        RowStyle::Normal,
    );
    push_total(&mut sheet, &bs.equity.title, "Total owners' equity", bs.equity.total_cents, RowStyle::Total);
    push_total(&mut sheet, "", "Total liabilities and owners' equity", bs.total_liabilities_and_equity_cents, RowStyle::GrandTotal);
    sheet.notes.push(if bs.balances() {
        "Assets equal liabilities plus owners' equity.".to_string()
    } else {
        format!(
            "The balance sheet does not balance: assets {}, liabilities and equity {}.",
            money(bs.assets.total_cents),
            money(bs.total_liabilities_and_equity_cents)
        )
    });
    sheet
}

fn income_statement_sheet(is: &IncomeStatementView, basis: Basis) -> Sheet {
    let mut sheet = Sheet::new("Income statement", format!("{} to {} ({} basis)", is.from, is.to, basis.as_str()), statement_columns());
    push_section(&mut sheet, &is.revenue);
    push_total(&mut sheet, &is.revenue.title, "Net revenue", is.revenue.total_cents, RowStyle::Total);
    push_section(&mut sheet, &is.expenses);
    push_total(&mut sheet, &is.expenses.title, "Total expenses", is.expenses.total_cents, RowStyle::Total);
    push_total(&mut sheet, "", "Net income", is.net_income_cents, RowStyle::GrandTotal);
    sheet
}

fn account_detail_sheet(d: &AccountDetailView) -> Sheet {
    let columns = vec![
        Column::new("Date", 1.3, Align::Left),
        Column::new("Entry", 0.8, Align::Left),
        Column::new("Memo", 4.0, Align::Left),
        Column::new("Debit", 1.4, Align::Right),
        Column::new("Credit", 1.4, Align::Right),
        Column::new("Balance", 1.5, Align::Right),
    ];
    let title = format!("General ledger: {} {}", d.account.number, d.account.name);
    let mut sheet = Sheet::new(&title, format!("{} to {}", d.from, d.to), columns);
    let blank = String::new;
    sheet.push(
        vec![d.from.clone(), blank(), "Opening balance".into(), blank(), blank(), plain_amount(d.opening_balance_cents)],
        vec![d.from.clone(), blank(), "Opening balance".into(), blank(), blank(), money(d.opening_balance_cents)],
        RowStyle::Bold,
    );
    for l in &d.lines {
        sheet.push(
            vec![
                l.date.clone(),
                l.entry_number.to_string(),
                l.memo.clone(),
                side(l.debit_cents),
                side(l.credit_cents),
                plain_amount(l.balance_cents),
            ],
            vec![
                l.date.clone(),
                l.entry_number.to_string(),
                l.memo.clone(),
                money_side(l.debit_cents),
                money_side(l.credit_cents),
                money(l.balance_cents),
            ],
            RowStyle::Normal,
        );
    }
    sheet.push(
        vec![d.to.clone(), blank(), "Closing balance".into(), blank(), blank(), plain_amount(d.closing_balance_cents)],
        vec![d.to.clone(), blank(), "Closing balance".into(), blank(), blank(), money(d.closing_balance_cents)],
        RowStyle::GrandTotal,
    );
    sheet.notes.push(format!("Balances are on the account's normal side ({}).", d.account.normal_balance));
    if d.truncated {
        sheet.notes.push("More lines than one file lists: narrow the dates. The closing balance counts them all.".into());
    }
    sheet
}

fn journal_sheet(from: NaiveDate, to: NaiveDate, mut entries: Vec<EntryView>) -> Sheet {
    let columns = vec![
        Column::new("Entry", 0.7, Align::Left),
        Column::new("Date", 1.2, Align::Left),
        Column::new("Memo", 2.4, Align::Left),
        Column::new("Account", 2.6, Align::Left),
        Column::new("Debit", 1.3, Align::Right),
        Column::new("Credit", 1.3, Align::Right),
    ];
    let mut sheet = Sheet::new("Journal", format!("{from} to {to}"), columns);
    let truncated = entries.len() as i64 >= JOURNAL_PAGE;
    // The screen lists the newest first; on paper and in a spreadsheet the journal reads in order.
    entries.reverse();
    let blank = String::new;
    for e in &entries {
        let memo = format!("{} [{}]", e.memo, e.source_kind);
        sheet.rows.push((
            Vec::new(), // the CSV has one row per line, below
            vec![e.entry_number.to_string(), e.date.clone(), memo, blank(), blank(), blank()],
            RowStyle::Bold,
        ));
        for l in &e.lines {
            let account = format!("{} {}", l.account_number, l.account_name);
            let line_memo = l.memo.clone().unwrap_or_default();
            sheet.push(
                vec![
                    e.entry_number.to_string(),
                    e.date.clone(),
                    e.memo.clone(),
                    format!("{account}{}", if line_memo.is_empty() { String::new() } else { format!(" ({line_memo})") }),
                    side(l.debit_cents),
                    side(l.credit_cents),
                ],
                vec![blank(), blank(), line_memo.clone(), account, money_side(l.debit_cents), money_side(l.credit_cents)],
                RowStyle::Normal,
            );
        }
    }
    let total: i64 = entries.iter().map(|e| e.total_cents).sum();
    sheet.push(
        vec![blank(), blank(), "Totals".into(), blank(), plain_amount(total), plain_amount(total)],
        vec![blank(), blank(), "Totals".into(), blank(), money(total), money(total)],
        RowStyle::GrandTotal,
    );
    if truncated {
        sheet.notes.push(format!("The latest {JOURNAL_PAGE} entries of the range: narrow the dates to see earlier ones."));
    }
    sheet
}

impl App {
    /// A ledger report as a CSV or PDF file, read through the report's own use case and audited.
    pub async fn ledger_report_file(&self, actor: &Actor, report: &LedgerReport, format: FileFormat) -> Result<ReportFile> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let sheet = match report {
            LedgerReport::TrialBalance { as_of, basis } => {
                trial_balance_sheet(&self.trial_balance_on(actor, *as_of, *basis).await?, *basis)
            }
            LedgerReport::BalanceSheet { as_of, basis } => {
                balance_sheet_sheet(&self.balance_sheet_on(actor, *as_of, *basis).await?, *basis)
            }
            LedgerReport::IncomeStatement { from, to, basis } => {
                income_statement_sheet(&self.income_statement_on(actor, *from, *to, *basis).await?, *basis)
            }
            LedgerReport::AccountDetail { account_id, from, to } => {
                account_detail_sheet(&self.account_detail(actor, account_id, *from, *to).await?)
            }
            LedgerReport::Journal { from, to } => journal_sheet(*from, *to, self.journal(actor, *from, *to).await?),
        };
        let bytes = match format {
            FileFormat::Csv => {
                // The journal's CSV has a row per line; its entry head rows are for paper only.
                let mut csv_sheet = sheet;
                csv_sheet.rows.retain(|(fields, _, _)| !fields.is_empty());
                csv_sheet.csv()
            }
            FileFormat::Pdf => {
                let printed_at = self.now().with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M %Z").to_string();
                sheet.pdf(&actor.practice_name, &printed_at)
            }
        };
        let filename = format!("{}-{}.{}", report.slug(), report.dates(), format.extension());
        let mut tx = self.store.begin().await?;
        let record_id = match report {
            LedgerReport::AccountDetail { account_id, .. } => Some(account_id.as_str()),
            _ => None,
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.report.download",
                patient_id: None,
                record_type: "ledger_report",
                record_id,
                detail: format!("{filename} ({} bytes)", bytes.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ReportFile { filename, content_type: format.content_type(), bytes })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn amounts_are_plain_decimals() {
        assert_eq!(plain_amount(123456), "1234.56");
        assert_eq!(plain_amount(-8000), "-80.00");
        assert_eq!(plain_amount(5), "0.05");
        assert_eq!(plain_amount(0), "0.00");
        assert_eq!(side(0), "");
    }

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        let mut csv = Csv::default();
        csv.row(&["plain", "a, b", "say \"hi\"", "two\nlines"]);
        assert_eq!(csv.0, "plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }
}
