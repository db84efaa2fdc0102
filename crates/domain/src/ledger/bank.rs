//! Bank reconciliation's rules: reading a bank statement (CSV in the common layouts, OFX 1.x SGML
//! and OFX 2.x XML), the key that makes a re-imported line a duplicate, and how a statement line
//! finds its ledger line.
//!
//! Amounts are read as text into integer cents, never through a float: `$1,234.56`, `(12.00)`,
//! `-12.5` and OFX's `-12.50` are exact. A bank line is signed the bank's way: a deposit is
//! positive and is matched with a debit to the cash account; a payment (check, fee, transfer out)
//! is negative and is matched with a credit.
//!
//! CSV layouts are recognised from the header row (the first row naming a date column and an
//! amount, or debit and credit, column); rows before it (a bank's title block) are skipped and
//! columns the rules do not use (Balance, Type, Reference...) are kept only where they help. Every
//! error names the file's line.

use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// The most transactions one statement file may hold (a busy practice's year is far below this).
pub const MAX_STATEMENT_LINES: usize = 20_000;
/// The largest statement file read (5 MiB).
pub const MAX_STATEMENT_BYTES: usize = 5 * 1024 * 1024;
/// How many days apart a bank line and a ledger line may be dated and still match automatically.
pub const MATCH_WINDOW_DAYS: i64 = 5;
/// How long a check may take to clear when its number is on the ledger line too.
pub const CHECK_WINDOW_DAYS: i64 = 90;
/// The longest description kept.
const MAX_DESCRIPTION: usize = 500;

/// Which kind of file a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementFormat {
    Csv,
    Ofx,
}

impl StatementFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementFormat::Csv => "csv",
            StatementFormat::Ofx => "ofx",
        }
    }
}

/// One transaction of a bank statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The line of the file it was read from (1-based; for OFX, the line of its `<STMTTRN>`).
    pub source_line: usize,
    pub date: NaiveDate,
    pub description: String,
    /// Positive: money in (a deposit); negative: money out.
    pub amount_cents: i64,
    /// The bank's own transaction id (OFX `FITID`), unique per account.
    pub fitid: Option<String>,
    pub check_number: Option<String>,
    /// The bank's type (`TRNTYPE`, or a CSV Type column): `DEBIT`, `CHECK`, `FEE`, `INT`...
    pub kind: Option<String>,
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub format: StatementFormat,
    pub lines: Vec<StatementLine>,
    /// The balance the bank states at the end (OFX `LEDGERBAL`, or a CSV Balance column's last).
    pub ending_balance_cents: Option<i64>,
    /// The date of that balance (or of the last transaction).
    pub ending_date: Option<NaiveDate>,
    /// The period the statement covers, when it says (OFX `DTSTART`/`DTEND`) or from its lines.
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
}

/// Why a statement file cannot be read. Line errors name the file's line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} MiB", MAX_STATEMENT_BYTES / 1024 / 1024)]
    TooLarge,
    #[error(
        "no header row found: the CSV needs a row naming a Date column and an Amount column (or Debit and Credit, or Withdrawal and Deposit)"
    )]
    NoHeader,
    #[error("the file holds no transactions")]
    NoTransactions,
    #[error("the file holds more than {MAX_STATEMENT_LINES} transactions")]
    TooManyLines,
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

fn line_error(line: usize, message: impl Into<String>) -> StatementError {
    StatementError::Line { line, message: message.into() }
}

/// Reads a statement file: OFX when it looks like OFX (an `OFXHEADER` line or an `<OFX>` tag),
/// CSV otherwise. Text that is not UTF-8 is read as Latin-1 (what older bank exports use).
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, StatementError> {
    if bytes.len() > MAX_STATEMENT_BYTES {
        return Err(StatementError::TooLarge);
    }
    let text = decode(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Err(StatementError::Empty);
    }
    let head: String = text.chars().take(2000).collect::<String>().to_ascii_uppercase();
    if head.trim_start().starts_with("OFXHEADER") || head.contains("<OFX>") || head.contains("<?OFX") {
        parse_ofx(text)
    } else {
        parse_csv(text)
    }
}

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts and dates
// ---------------------------------------------------------------------------------------------

/// Parses a bank's amount into signed cents: `1234.56`, `$1,234.56`, `-$5.00`, `$-5.00`,
/// `(12.00)` (negative), `+3`, `12.5`, `-12.500` (trailing zeros past the cents are accepted;
/// a real third decimal is refused rather than rounded).
pub fn parse_amount(text: &str) -> Result<i64, String> {
    let original = text.trim();
    let mut t = original.replace(['$', ' ', '\u{a0}'], "");
    let mut negative = false;
    if t.starts_with('(') && t.ends_with(')') && t.len() >= 2 {
        negative = true;
        t = t[1..t.len() - 1].to_string();
    }
    if let Some(rest) = t.strip_prefix('-') {
        negative = !negative;
        t = rest.to_string();
    } else if let Some(rest) = t.strip_prefix('+') {
        t = rest.to_string();
    }
    if let Some(rest) = t.strip_suffix('-') {
        // "12.00-", some banks' way of writing a debit.
        negative = !negative;
        t = rest.to_string();
    }
    let bad = || format!("'{original}' is not an amount");
    if t.is_empty() {
        return Err(bad());
    }
    let (whole, fraction) = match t.split_once('.') {
        Some((w, f)) => (w.to_string(), f.to_string()),
        None => (t.clone(), String::new()),
    };
    let whole = if whole.contains(',') {
        let groups: Vec<&str> = whole.split(',').collect();
        let well_grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len())) && groups[1..].iter().all(|g| g.len() == 3);
        if !well_grouped {
            return Err(bad());
        }
        groups.concat()
    } else {
        whole
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(&whole) || !all_digits(&fraction) {
        return Err(bad());
    }
    let cents_text = fraction.trim_end_matches('0');
    if cents_text.len() > 2 {
        return Err(format!("'{original}' has more than two decimals"));
    }
    let cents_part: i64 = format!("{cents_text:0<2}").parse().map_err(|_| bad())?;
    if whole.len() > 15 {
        return Err(format!("'{original}' is too large"));
    }
    let whole_value: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let cents = whole_value.checked_mul(100).and_then(|c| c.checked_add(cents_part)).ok_or_else(|| format!("'{original}' is too large"))?;
    Ok(if negative { -cents } else { cents })
}

/// Parses a statement's date: `MM/DD/YYYY`, `M/D/YY` (years 00-69 are 20xx), `YYYY-MM-DD`,
/// `YYYY/MM/DD`, or OFX's `YYYYMMDD[HHMMSS[.XXX][[-5:EST]]]` (the date part is the bank's day).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let bad = || format!("'{t}' is not a date (MM/DD/YYYY or YYYY-MM-DD)");
    // A time after the date ("2026-06-01 00:00:00", "06/01/2026 9:30") is dropped.
    let date_part = t.split([' ', 'T']).next().unwrap_or("");
    let number = |s: &str| -> Option<u32> {
        if !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
    };
    let parts: Vec<&str> = date_part.split(['/', '-', '.']).collect();
    let compact = t.len() >= 8 && t.as_bytes()[..8].iter().all(u8::is_ascii_digit);
    let (year, month, day) = if compact {
        (number(&t[..4]), number(&t[4..6]), number(&t[6..8]))
    } else if parts.len() == 3 {
        if parts[0].len() == 4 {
            (number(parts[0]), number(parts[1]), number(parts[2]))
        } else {
            let year = match parts[2].len() {
                4 => number(parts[2]),
                2 => number(parts[2]).map(|y| if y < 70 { 2000 + y } else { 1900 + y }),
                _ => None,
            };
            (year, number(parts[0]), number(parts[1]))
        }
    } else {
        return Err(bad());
    };
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y).ok().and_then(|y| NaiveDate::from_ymd_opt(y, m, d)).ok_or_else(bad),
        _ => Err(bad()),
    }
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// One CSV record: its fields and the file line it starts on.
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Splits CSV text into records (RFC 4180: quoted fields with `""` for a quote, commas and line
/// breaks inside quotes; CRLF or LF). A quote left open is an error naming where it opened.
fn csv_records(text: &str) -> Result<Vec<Record>, StatementError> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
                quote_line = line;
            }
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push(Record { line: record_line, fields: std::mem::take(&mut fields) });
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(line_error(quote_line, "a quoted field is not closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push(Record { line: record_line, fields });
    }
    Ok(records)
}

/// A column's role, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Date,
    Description,
    Memo,
    Amount,
    Debit,
    Credit,
    CheckNumber,
    Kind,
    Balance,
    Reference,
}

fn column_of(header: &str) -> Option<Column> {
    let h: String = header.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let column = match h.as_str() {
        "date" | "postingdate" | "posteddate" | "postdate" | "transactiondate" | "transdate" | "effectivedate" | "valuedate"
        | "bookingdate" | "dateposted" => Column::Date,
        "description" | "transactiondescription" | "payee" | "name" | "details" | "narrative" | "originaldescription" | "payeename" => {
            Column::Description
        }
        "memo" | "notes" | "note" | "additionalinfo" => Column::Memo,
        "amount" | "transactionamount" | "amountusd" | "netamount" => Column::Amount,
        "debit" | "debits" | "debitamount" | "withdrawal" | "withdrawals" | "withdrawalamount" | "moneyout" | "paidout" => Column::Debit,
        "credit" | "credits" | "creditamount" | "deposit" | "deposits" | "depositamount" | "moneyin" | "paidin" => Column::Credit,
        "checknumber" | "check" | "checkno" | "chequenumber" | "cheque" | "chkno" | "chk" | "checkserialnumber" | "serialnumber" => {
            Column::CheckNumber
        }
        "type" | "transactiontype" | "trantype" => Column::Kind,
        "balance" | "runningbalance" | "runningbal" | "ledgerbalance" | "endingbalance" => Column::Balance,
        "reference" | "referencenumber" | "transactionid" | "fitid" | "bankreference" => Column::Reference,
        _ => return None,
    };
    Some(column)
}

/// Which column holds what, for one file.
struct Layout {
    columns: HashMap<Column, usize>,
}

impl Layout {
    /// The layout a header row declares, when it names a date and an amount (or debit/credit).
    fn from_header(fields: &[String]) -> Option<Layout> {
        let mut columns = HashMap::new();
        for (i, f) in fields.iter().enumerate() {
            if let Some(c) = column_of(f) {
                columns.entry(c).or_insert(i);
            }
        }
        let has_amount =
            columns.contains_key(&Column::Amount) || (columns.contains_key(&Column::Debit) && columns.contains_key(&Column::Credit));
        (columns.contains_key(&Column::Date) && has_amount).then_some(Layout { columns })
    }

    fn get<'a>(&self, fields: &'a [String], column: Column) -> Option<&'a str> {
        self.columns.get(&column).and_then(|&i| fields.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// Reads a CSV statement (see the module's documentation for the layouts).
pub fn parse_csv(text: &str) -> Result<Statement, StatementError> {
    let records = csv_records(text)?;
    if records.iter().all(|r| r.fields.iter().all(|f| f.trim().is_empty())) {
        return Err(StatementError::Empty);
    }
    let Some((header_at, layout)) = records.iter().enumerate().find_map(|(i, r)| Layout::from_header(&r.fields).map(|l| (i, l))) else {
        return Err(StatementError::NoHeader);
    };
    let mut lines = Vec::new();
    let mut balances: Vec<(NaiveDate, i64)> = Vec::new();
    for record in &records[header_at + 1..] {
        let fields = &record.fields;
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if lines.len() >= MAX_STATEMENT_LINES {
            return Err(StatementError::TooManyLines);
        }
        let at = record.line;
        let date_text = layout.get(fields, Column::Date).ok_or_else(|| line_error(at, "the date is missing"))?;
        let date = parse_date(date_text).map_err(|m| line_error(at, m))?;
        let amount_cents = if let Some(text) = layout.get(fields, Column::Amount) {
            parse_amount(text).map_err(|m| line_error(at, m))?
        } else if layout.columns.contains_key(&Column::Debit) {
            let debit = layout.get(fields, Column::Debit).map(parse_amount).transpose().map_err(|m| line_error(at, m))?;
            let credit = layout.get(fields, Column::Credit).map(parse_amount).transpose().map_err(|m| line_error(at, m))?;
            match (debit.filter(|c| *c != 0), credit.filter(|c| *c != 0)) {
                (Some(_), Some(_)) => return Err(line_error(at, "both a debit and a credit amount; a line is one or the other")),
                (Some(d), None) => -d.abs(),
                (None, Some(c)) => c.abs(),
                (None, None) if debit.is_some() || credit.is_some() => 0,
                (None, None) => return Err(line_error(at, "the amount is missing (neither a debit nor a credit)")),
            }
        } else {
            return Err(line_error(at, "the amount is missing"));
        };
        if amount_cents == 0 {
            // A zero line (an informational row some banks add) moves no money: nothing to match.
            continue;
        }
        let mut description = layout.get(fields, Column::Description).unwrap_or("").to_string();
        if let Some(memo) = layout.get(fields, Column::Memo)
            && memo != description
        {
            description = if description.is_empty() { memo.to_string() } else { format!("{description} {memo}") };
        }
        if let Some(balance) = layout.get(fields, Column::Balance) {
            balances.push((date, parse_amount(balance).map_err(|m| line_error(at, format!("balance: {m}")))?));
        }
        lines.push(StatementLine {
            source_line: at,
            date,
            description: tidy(&description),
            amount_cents,
            fitid: layout.get(fields, Column::Reference).map(str::to_string),
            check_number: layout.get(fields, Column::CheckNumber).map(check_number).filter(|n| !n.is_empty()),
            kind: layout.get(fields, Column::Kind).map(str::to_string),
        });
    }
    if lines.is_empty() {
        return Err(StatementError::NoTransactions);
    }
    // The ending balance is the balance beside the latest line: files run oldest first or newest
    // first, so it is the last row in the one case and the first in the other.
    let newest_first = lines.first().map(|l| l.date) > lines.last().map(|l| l.date);
    let ending_balance_cents = if newest_first { balances.first() } else { balances.last() }.map(|(_, b)| *b);
    let period_start = lines.iter().map(|l| l.date).min();
    let period_end = lines.iter().map(|l| l.date).max();
    Ok(Statement { format: StatementFormat::Csv, lines, ending_balance_cents, ending_date: period_end, period_start, period_end })
}

fn tidy(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(MAX_DESCRIPTION).collect()
}

/// A check number as digits only (`#1042`, `001042` and `1042` are one check).
fn check_number(text: &str) -> String {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() && !digits.is_empty() { "0".to_string() } else { trimmed.to_string() }
}

// ---------------------------------------------------------------------------------------------
// OFX
// ---------------------------------------------------------------------------------------------

/// One tag of an OFX file: its name (upper case), whether it closes, the text after it, its line.
struct Tag {
    name: String,
    closing: bool,
    value: String,
    line: usize,
}

/// Splits OFX into tags. In OFX 1.x (SGML) a leaf element has no closing tag (`<TRNAMT>-12.50`);
/// in 2.x (XML) it has (`<TRNAMT>-12.50</TRNAMT>`). Either way a tag's value is the text up to
/// the next `<`, and closing tags matter only for aggregates.
fn ofx_tags(text: &str) -> Result<Vec<Tag>, StatementError> {
    let mut tags = Vec::new();
    let mut rest = text;
    // The SGML header block (OFXHEADER:100 ...) before the first tag is skipped.
    let mut line = 1;
    while let Some(open) = rest.find('<') {
        line += rest[..open].matches('\n').count();
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            return Err(line_error(line, "a tag is not closed with '>'"));
        };
        let inside = after[..close].trim();
        let body = &after[close + 1..];
        let value_end = body.find('<').unwrap_or(body.len());
        let value = &body[..value_end];
        if !(inside.starts_with('?') || inside.starts_with('!') || inside.ends_with('/')) {
            let (closing, name) = match inside.strip_prefix('/') {
                Some(n) => (true, n),
                None => (false, inside),
            };
            let name = name.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            tags.push(Tag { name, closing, value: unescape(value.trim()), line });
        }
        line += after[..close].matches('\n').count();
        rest = body;
    }
    Ok(tags)
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// A value read from the file and the line it is on.
type Located = Option<(usize, String)>;

#[derive(Default)]
struct OfxTransaction {
    line: usize,
    kind: Option<String>,
    posted: Option<String>,
    amount: Option<String>,
    fitid: Option<String>,
    name: Option<String>,
    memo: Option<String>,
    check: Option<String>,
}

/// Reads an OFX statement (bank `STMTRS` or card `CCSTMTRS`): each `STMTTRN` with `TRNTYPE`,
/// `DTPOSTED`, `TRNAMT`, `FITID`, `NAME`/`MEMO`, `CHECKNUM`; `LEDGERBAL` for the ending balance;
/// `BANKTRANLIST`'s `DTSTART`/`DTEND` for the period.
pub fn parse_ofx(text: &str) -> Result<Statement, StatementError> {
    let tags = ofx_tags(text)?;
    if !tags.iter().any(|t| t.name == "OFX") {
        return Err(line_error(1, "this is not an OFX file (no <OFX> element)"));
    }
    let mut lines = Vec::new();
    let mut current: Option<OfxTransaction> = None;
    let (mut in_ledger_balance, mut in_transactions) = (false, false);
    // Each value with the line it was read on, for the error if it is not a date or an amount.
    let (mut balance, mut balance_date, mut start, mut end): (Located, Located, Located, Located) = (None, None, None, None);
    for tag in tags {
        let value = (!tag.value.is_empty()).then(|| tag.value.clone());
        match (tag.name.as_str(), tag.closing) {
            ("STMTTRN", false) => current = Some(OfxTransaction { line: tag.line, ..Default::default() }),
            ("STMTTRN", true) => {
                if let Some(t) = current.take() {
                    if lines.len() >= MAX_STATEMENT_LINES {
                        return Err(StatementError::TooManyLines);
                    }
                    let line = ofx_line(t)?;
                    if line.amount_cents != 0 {
                        lines.push(line);
                    }
                }
            }
            ("LEDGERBAL", closing) => in_ledger_balance = !closing,
            ("BANKTRANLIST", closing) => in_transactions = !closing,
            (_, true) => {}
            (name, false) => {
                if let Some(t) = current.as_mut() {
                    match name {
                        "TRNTYPE" => t.kind = value,
                        "DTPOSTED" => t.posted = value,
                        "TRNAMT" => t.amount = value,
                        "FITID" => t.fitid = value,
                        "NAME" => t.name = value,
                        "MEMO" => t.memo = value,
                        "CHECKNUM" => t.check = value,
                        _ => {}
                    }
                } else if in_ledger_balance {
                    match name {
                        "BALAMT" => balance = value.map(|v| (tag.line, v)),
                        "DTASOF" => balance_date = value.map(|v| (tag.line, v)),
                        _ => {}
                    }
                } else if in_transactions {
                    match name {
                        "DTSTART" => start = value.map(|v| (tag.line, v)),
                        "DTEND" => end = value.map(|v| (tag.line, v)),
                        _ => {}
                    }
                }
            }
        }
    }
    // An SGML file may leave the last STMTTRN unclosed before </BANKTRANLIST>.
    if let Some(t) = current.take() {
        let line = ofx_line(t)?;
        if line.amount_cents != 0 {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return Err(StatementError::NoTransactions);
    }
    let date_at = |d: Located| d.map(|(line, v)| parse_date(&v).map_err(|m| line_error(line, m))).transpose();
    let ending_balance_cents = balance.map(|(line, v)| parse_amount(&v).map_err(|m| line_error(line, m))).transpose()?;
    let period_start = date_at(start)?.or_else(|| lines.iter().map(|l| l.date).min());
    let period_end = date_at(end)?.or_else(|| lines.iter().map(|l| l.date).max());
    let ending_date = date_at(balance_date)?.or(period_end);
    Ok(Statement { format: StatementFormat::Ofx, lines, ending_balance_cents, ending_date, period_start, period_end })
}

fn ofx_line(t: OfxTransaction) -> Result<StatementLine, StatementError> {
    let at = t.line;
    let posted = t.posted.ok_or_else(|| line_error(at, "the transaction has no DTPOSTED"))?;
    let date = parse_date(&posted).map_err(|m| line_error(at, format!("DTPOSTED: {m}")))?;
    let amount = t.amount.ok_or_else(|| line_error(at, "the transaction has no TRNAMT"))?;
    let amount_cents = parse_amount(&amount).map_err(|m| line_error(at, format!("TRNAMT: {m}")))?;
    let description = match (t.name, t.memo) {
        (Some(n), Some(m)) if n != m => format!("{n} {m}"),
        (Some(n), _) => n,
        (None, Some(m)) => m,
        (None, None) => String::new(),
    };
    Ok(StatementLine {
        source_line: at,
        date,
        description: tidy(&description),
        amount_cents,
        fitid: t.fitid,
        check_number: t.check.as_deref().map(check_number).filter(|n| !n.is_empty()),
        kind: t.kind,
    })
}

// ---------------------------------------------------------------------------------------------
// Duplicates
// ---------------------------------------------------------------------------------------------

/// The key that makes a re-imported line a duplicate, unique per cash account: the bank's FITID
/// when it gives one; otherwise the line's date, amount, description and check number, with how
/// many identical lines came before it in the same file (two $5.00 fees on one day are two lines,
/// and importing the same file again still recognises both).
pub fn duplicate_keys(lines: &[StatementLine]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    lines
        .iter()
        .map(|l| match &l.fitid {
            Some(id) => format!("fitid:{id}"),
            None => {
                let base = format!(
                    "line:{}|{}|{}|{}",
                    l.date,
                    l.amount_cents,
                    l.description.to_lowercase(),
                    l.check_number.as_deref().unwrap_or("")
                );
                let n = seen.entry(base.clone()).or_insert(0);
                *n += 1;
                format!("{base}#{n}")
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/// A bank line as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankItem {
    pub date: NaiveDate,
    pub amount_cents: i64,
    pub check_number: Option<String>,
}

/// An unreconciled ledger line on the cash account: `amount_cents` is its debit less its credit
/// (a deposit positive, a payment negative); `text` is its entry's and line's memos, where a
/// check number is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerItem {
    pub date: NaiveDate,
    pub amount_cents: i64,
    pub text: String,
}

/// Whether `text` names the check: the number appears as a whole run of digits (leading zeros
/// aside), so check 104 is not found in "1042".
pub fn mentions_check(text: &str, number: &str) -> bool {
    let wanted = check_number(number);
    if wanted.is_empty() {
        return false;
    }
    text.split(|c: char| !c.is_ascii_digit()).filter(|run| !run.is_empty()).any(|run| check_number(run) == wanted)
}

/// The ledger lines a bank line may be matched with, best first: the same amount, dated within
/// [`MATCH_WINDOW_DAYS`] (or [`CHECK_WINDOW_DAYS`] when the check number is on the ledger line),
/// the check number's match first, then the nearest date. `taken` are ledger lines already used.
pub fn candidates(bank: &BankItem, ledger: &[LedgerItem], taken: &HashSet<usize>) -> Vec<usize> {
    let mut found: Vec<(bool, i64, NaiveDate, usize)> = ledger
        .iter()
        .enumerate()
        .filter(|(i, l)| !taken.contains(i) && l.amount_cents == bank.amount_cents && bank.amount_cents != 0)
        .filter_map(|(i, l)| {
            let days = (bank.date - l.date).num_days().abs();
            let check = bank.check_number.as_deref().is_some_and(|n| mentions_check(&l.text, n));
            let window = if check { CHECK_WINDOW_DAYS } else { MATCH_WINDOW_DAYS };
            (days <= window).then_some((!check, days, l.date, i))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(.., i)| i).collect()
}

/// Matches bank lines with ledger lines, each ledger line at most once: lines with a check number
/// choose first (their match is surest), then the others in date order, each taking its best
/// free candidate. Returns, for each bank line, the index of its ledger line.
pub fn auto_match(bank: &[BankItem], ledger: &[LedgerItem]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..bank.len()).collect();
    order.sort_by_key(|&i| (bank[i].check_number.is_none(), bank[i].date, i));
    let mut taken = HashSet::new();
    let mut result = vec![None; bank.len()];
    for i in order {
        if let Some(&best) = candidates(&bank[i], ledger, &taken).first() {
            taken.insert(best);
            result[i] = Some(best);
        }
    }
    result
}

#[cfg(test)]
#[path = "bank_tests.rs"]
mod tests;
