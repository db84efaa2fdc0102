//! Reading bank statements and matching their lines: unit tests named as sentences, and property
//! tests of the amounts, the CSV reader and the matching.

#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const SIGNED_CSV: &str = include_str!("../../tests/fixtures/bank/signed.csv");
const WITHDRAWAL_DEPOSIT_CSV: &str = include_str!("../../tests/fixtures/bank/withdrawal_deposit.csv");
const DEBIT_CREDIT_CSV: &str = include_str!("../../tests/fixtures/bank/debit_credit.csv");
const SGML_OFX: &str = include_str!("../../tests/fixtures/bank/statement_sgml.ofx");
const XML_OFX: &str = include_str!("../../tests/fixtures/bank/statement_xml.ofx");

/// The four transactions every fixture holds: (date, cents, check number).
fn expected() -> Vec<(NaiveDate, i64, Option<&'static str>)> {
    vec![
        (day(2026, 6, 1), 125_000, None),
        (day(2026, 6, 4), -45_000, Some("1042")),
        (day(2026, 6, 5), -1_500, None),
        (day(2026, 6, 30), 42, None),
    ]
}

fn summary(s: &Statement) -> Vec<(NaiveDate, i64, Option<&str>)> {
    let mut v: Vec<_> = s.lines.iter().map(|l| (l.date, l.amount_cents, l.check_number.as_deref())).collect();
    v.sort();
    v
}

#[test]
fn amounts_in_every_bank_notation_are_exact_cents() {
    let cases = [
        ("1234.56", 123_456),
        ("$1,234.56", 123_456),
        ("-$5.00", -500),
        ("$-5.00", -500),
        ("(12.00)", -1_200),
        ("($1,000)", -100_000),
        ("+3", 300),
        ("12.5", 1_250),
        (".42", 42),
        ("-12.500", -1_250),
        ("12.00-", -1_200),
        ("0.10", 10),
        ("1,234,567.89", 123_456_789),
    ];
    for (text, cents) in cases {
        assert_eq!(parse_amount(text), Ok(cents), "{text}");
    }
}

#[test]
fn an_amount_that_is_not_one_is_refused_rather_than_guessed() {
    for text in ["", "abc", "12.345", "1,23.00", "12,34", "1.2.3", "$", "--5", "99999999999999999999"] {
        assert!(parse_amount(text).is_err(), "{text} should be refused");
    }
}

#[test]
fn dates_are_read_in_the_banks_usual_forms() {
    let june_5 = day(2026, 6, 5);
    for text in
        ["06/05/2026", "6/5/2026", "6/5/26", "2026-06-05", "2026/06/05", "20260605", "20260605120000.000[-5:EST]", "2026-06-05 00:00:00"]
    {
        assert_eq!(parse_date(text), Ok(june_5), "{text}");
    }
    assert_eq!(parse_date("1/2/99"), Ok(day(1999, 1, 2)));
    for text in ["13/01/2026", "02/30/2026", "June 5", "", "2026-6"] {
        assert!(parse_date(text).is_err(), "{text} should be refused");
    }
}

#[test]
fn a_signed_amount_csv_is_read() {
    let s = parse_statement(SIGNED_CSV.as_bytes()).unwrap();
    assert_eq!(s.format, StatementFormat::Csv);
    assert_eq!(summary(&s), expected().into_iter().map(|(d, c, _)| (d, c, None)).collect::<Vec<_>>());
    assert_eq!(s.lines[0].description, "DEPOSIT BLUE CROSS EFT");
    assert_eq!(s.lines[0].source_line, 2);
    assert_eq!((s.period_start, s.period_end), (Some(day(2026, 6, 1)), Some(day(2026, 6, 30))));
    assert_eq!(s.ending_balance_cents, None, "no balance column, no ending balance");
}

#[test]
fn a_withdrawal_deposit_csv_with_a_title_block_and_a_balance_column_is_read() {
    let s = parse_statement(WITHDRAWAL_DEPOSIT_CSV.as_bytes()).unwrap();
    assert_eq!(summary(&s), expected());
    // Newest first: the ending balance is the first row's.
    assert_eq!(s.ending_balance_cents, Some(78_542));
    assert_eq!(s.ending_date, Some(day(2026, 6, 30)));
    let deposit = s.lines.iter().find(|l| l.amount_cents == 125_000).unwrap();
    assert_eq!((deposit.description.as_str(), deposit.source_line, deposit.kind.as_deref()), ("Deposit, Blue Cross EFT", 9, Some("DEP")));
}

#[test]
fn a_debit_credit_csv_with_iso_dates_and_a_memo_column_is_read() {
    let s = parse_statement(DEBIT_CREDIT_CSV.as_bytes()).unwrap();
    assert_eq!(
        summary(&s).iter().map(|(d, c, _)| (*d, *c)).collect::<Vec<_>>(),
        expected().iter().map(|(d, c, _)| (*d, *c)).collect::<Vec<_>>()
    );
    assert_eq!(s.lines[0].description, "DEPOSIT BLUE CROSS EFT");
    assert_eq!(s.lines[0].fitid.as_deref(), Some("REF-1"));
}

#[test]
fn ofx_sgml_without_closing_tags_and_ofx_xml_read_the_same() {
    let sgml = parse_statement(SGML_OFX.as_bytes()).unwrap();
    let xml = parse_statement(XML_OFX.as_bytes()).unwrap();
    for s in [&sgml, &xml] {
        assert_eq!(s.format, StatementFormat::Ofx);
        assert_eq!(summary(s), expected());
        assert_eq!(s.ending_balance_cents, Some(78_542), "LEDGERBAL, not AVAILBAL");
        assert_eq!(s.ending_date, Some(day(2026, 6, 30)));
        assert_eq!((s.period_start, s.period_end), (Some(day(2026, 6, 1)), Some(day(2026, 6, 30))));
        let first = &s.lines[0];
        assert_eq!(first.fitid.as_deref(), Some("20260601-1"));
        assert_eq!(first.kind.as_deref(), Some("DEP"));
        assert_eq!(first.description, "BLUE CROSS EFT CLAIM PAYMENT");
        assert_eq!(s.lines[3].description, "INTEREST & DIVIDENDS");
    }
    assert_eq!(sgml.lines.iter().map(|l| l.source_line).collect::<Vec<_>>(), [39, 47, 55, 62]);
    let without_lines = |s: &Statement| s.lines.iter().map(|l| StatementLine { source_line: 0, ..l.clone() }).collect::<Vec<_>>();
    assert_eq!(without_lines(&sgml), without_lines(&xml));
}

#[test]
fn a_bad_row_is_reported_with_its_line_number() {
    let text = "Date,Description,Amount\n06/01/2026,OK,1.00\n06/31/2026,BAD DATE,2.00\n";
    assert_eq!(
        parse_csv(text),
        Err(StatementError::Line { line: 3, message: "'06/31/2026' is not a date (MM/DD/YYYY or YYYY-MM-DD)".into() })
    );
    let text = "Date,Description,Amount\n06/01/2026,OK,1.00\n\n06/02/2026,BAD AMOUNT,12.3.4\n";
    assert!(matches!(parse_csv(text), Err(StatementError::Line { line: 4, .. })));
    let text = "Date,Description,Debit,Credit\n06/01/2026,BOTH,1.00,2.00\n";
    assert!(matches!(parse_csv(text), Err(StatementError::Line { line: 2, ref message }) if message.contains("both")));
    let text = "Date,Description,Amount\n06/01/2026,\"OPEN QUOTE,1.00\n";
    assert_eq!(parse_csv(text), Err(StatementError::Line { line: 2, message: "a quoted field is not closed".into() }));
    let ofx = "<OFX><STMTTRN><TRNTYPE>DEBIT\n<DTPOSTED>20260601\n<TRNAMT>abc\n</STMTTRN></OFX>";
    assert!(matches!(parse_statement(ofx.as_bytes()), Err(StatementError::Line { line: 1, ref message }) if message.starts_with("TRNAMT")));
}

#[test]
fn a_file_without_a_header_or_transactions_is_refused_plainly() {
    assert_eq!(parse_statement(b""), Err(StatementError::Empty));
    assert_eq!(parse_statement(b"\xef\xbb\xbf \n\n"), Err(StatementError::Empty));
    assert_eq!(parse_statement(b"hello,world\n1,2\n"), Err(StatementError::NoHeader));
    assert_eq!(parse_statement(b"Date,Amount\n"), Err(StatementError::NoTransactions));
    assert_eq!(parse_statement(b"<OFX><BANKTRANLIST></BANKTRANLIST></OFX>"), Err(StatementError::NoTransactions));
}

#[test]
fn latin1_text_and_a_byte_order_mark_are_read() {
    let mut bytes = b"\xef\xbb\xbfDate,Description,Amount\n".to_vec();
    assert_eq!(parse_statement(&bytes).unwrap_err(), StatementError::NoTransactions);
    bytes = b"Date,Description,Amount\n06/01/2026,Caf\xe9,-3.50\n".to_vec();
    let s = parse_statement(&bytes).unwrap();
    assert_eq!(s.lines[0].description, "Café");
}

#[test]
fn identical_csv_lines_in_one_file_get_distinct_keys_that_repeat_on_reimport() {
    let text = "Date,Description,Amount\n06/05/2026,FEE,-5.00\n06/05/2026,FEE,-5.00\n06/06/2026,FEE,-5.00\n";
    let lines = parse_csv(text).unwrap().lines;
    let keys = duplicate_keys(&lines);
    assert_eq!(keys.len(), 3);
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 3);
    assert_eq!(keys, duplicate_keys(&parse_csv(text).unwrap().lines));
    let ofx = parse_statement(SGML_OFX.as_bytes()).unwrap();
    assert_eq!(duplicate_keys(&ofx.lines)[0], "fitid:20260601-1");
}

#[test]
fn a_check_number_is_found_as_a_whole_number_only() {
    assert!(mentions_check("Rent, check 1042", "1042"));
    assert!(mentions_check("Check #001042 to landlord", "1042"));
    assert!(!mentions_check("Check 10420", "1042"));
    assert!(!mentions_check("Invoice 104", "1042"));
    assert!(!mentions_check("anything", ""));
}

#[test]
fn matching_prefers_the_check_number_then_the_nearest_date() {
    let ledger = vec![
        LedgerItem { date: day(2026, 6, 1), amount_cents: -45_000, text: "Supplies".into() },
        LedgerItem { date: day(2026, 5, 10), amount_cents: -45_000, text: "Rent, check 1042".into() },
        LedgerItem { date: day(2026, 6, 3), amount_cents: -45_000, text: "Payroll".into() },
        LedgerItem { date: day(2026, 6, 3), amount_cents: 45_000, text: "Deposit".into() },
    ];
    let check = BankItem { date: day(2026, 6, 4), amount_cents: -45_000, check_number: Some("1042".into()) };
    assert_eq!(candidates(&check, &ledger, &HashSet::new()), [1, 2, 0]);
    let plain = BankItem { date: day(2026, 6, 4), amount_cents: -45_000, check_number: None };
    assert_eq!(candidates(&plain, &ledger, &HashSet::new()), [2, 0], "the check outside the window is not offered without its number");
    // Both want the payroll line's date; the check takes its own line, the plain one the nearest.
    assert_eq!(auto_match(&[plain.clone(), check.clone()], &ledger), [Some(2), Some(1)]);
    let far = BankItem { date: day(2026, 6, 20), amount_cents: 45_000, check_number: None };
    assert_eq!(auto_match(&[far], &ledger), [None]);
}

fn amount_text(cents: i64, style: u8) -> String {
    let abs = cents.unsigned_abs();
    let dollars = abs / 100;
    let grouped = {
        let digits = dollars.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let body = format!("{grouped}.{:02}", abs % 100);
    let plain = format!("{dollars}.{:02}", abs % 100);
    match (style % 4, cents < 0) {
        (0, neg) => format!("{}{plain}", if neg { "-" } else { "" }),
        (1, neg) => format!("{}${body}", if neg { "-" } else { "" }),
        (2, true) => format!("(${body})"),
        (2, false) => format!("${body}"),
        (_, neg) => format!("{plain}{}", if neg { "-" } else { "" }),
    }
}

proptest! {
    #[test]
    fn any_amount_written_any_usual_way_reads_back_exactly(cents in -10_000_000_000i64..10_000_000_000, style in 0u8..4) {
        let text = amount_text(cents, style);
        prop_assert_eq!(parse_amount(&text), Ok(cents), "{}", text);
    }

    #[test]
    fn a_signed_csv_reads_back_every_line(rows in prop::collection::vec((0i64..400, -5_000_000i64..5_000_000, "[A-Za-z ,\"]{0,20}"), 1..40)) {
        let mut text = String::from("Date,Description,Amount\n");
        let start = day(2026, 1, 1);
        for (offset, cents, description) in &rows {
            let date = start + chrono::Duration::days(*offset);
            text.push_str(&format!("{},\"{}\",\"{}\"\n", date.format("%m/%d/%Y"), description.replace('"', "\"\""), amount_text(*cents, 1)));
        }
        let kept: Vec<_> = rows.iter().filter(|(_, c, _)| *c != 0).collect();
        match parse_csv(&text) {
            Ok(s) => {
                prop_assert_eq!(s.lines.len(), kept.len());
                for (line, (offset, cents, description)) in s.lines.iter().zip(kept) {
                    prop_assert_eq!(line.amount_cents, *cents);
                    prop_assert_eq!(line.date, start + chrono::Duration::days(*offset));
                    prop_assert_eq!(&line.description, &tidy(description));
                }
            }
            Err(e) => prop_assert!(kept.is_empty() && e == StatementError::NoTransactions, "{:?}", e),
        }
    }

    #[test]
    fn auto_matching_never_uses_a_ledger_line_twice_and_matches_only_equal_amounts_in_the_window(
        bank in prop::collection::vec((0i64..30, -3i64..3, prop::option::of(1000u32..1004)), 0..30),
        ledger in prop::collection::vec((0i64..30, -3i64..3, 1000u32..1004), 0..30),
    ) {
        let start = day(2026, 6, 1);
        let bank: Vec<BankItem> = bank.iter().map(|(d, a, c)| BankItem { date: start + chrono::Duration::days(*d), amount_cents: a * 100, check_number: c.map(|c| c.to_string()) }).collect();
        let ledger: Vec<LedgerItem> = ledger.iter().map(|(d, a, c)| LedgerItem { date: start + chrono::Duration::days(*d), amount_cents: a * 100, text: format!("check {c}") }).collect();
        let matched = auto_match(&bank, &ledger);
        prop_assert_eq!(matched.len(), bank.len());
        let used: Vec<usize> = matched.iter().flatten().copied().collect();
        prop_assert_eq!(used.iter().collect::<HashSet<_>>().len(), used.len());
        for (b, m) in bank.iter().zip(&matched) {
            if let Some(i) = m {
                let l = &ledger[*i];
                prop_assert_eq!(l.amount_cents, b.amount_cents);
                prop_assert!(b.amount_cents != 0);
                let days = (b.date - l.date).num_days().abs();
                let by_check = b.check_number.as_deref().is_some_and(|n| mentions_check(&l.text, n));
                prop_assert!(days <= MATCH_WINDOW_DAYS || by_check);
            }
        }
    }
}
