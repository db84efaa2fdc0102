//! The ledger rules: unit tests named as sentences, and the property tests of double entry.

#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn chart_balances() -> Balances {
    Balances::new(DEFAULT_CHART.iter().map(|a| (a.number, a.account_type)))
}

#[test]
fn a_balanced_entry_of_two_lines_is_postable_and_totals_its_debits() {
    let lines = [Line::debit(accounts::UNDEPOSITED_FUNDS, 2500), Line::credit(accounts::AR_PATIENTS, 2500)];
    assert_eq!(check_lines(&lines), Ok(Money::from_cents(2500)));
}

#[test]
fn an_entry_without_lines_or_with_one_line_is_refused() {
    assert_eq!(check_lines(&[]), Err(EntryError::NoLines));
    assert_eq!(check_lines(&[Line::debit("1000", 100)]), Err(EntryError::OneLine));
}

#[test]
fn an_unbalanced_entry_is_refused_with_both_totals_and_the_difference() {
    let err = check_lines(&[Line::debit("1000", 10_000), Line::credit("4000", 9_000)]).unwrap_err();
    assert_eq!(
        err,
        EntryError::Unbalanced {
            debits: Money::from_cents(10_000),
            credits: Money::from_cents(9_000),
            difference: Money::from_cents(1_000)
        }
    );
    assert_eq!(err.to_string(), "the entry does not balance: debits $100.00, credits $90.00 (difference $10.00)");
    assert_eq!(err.field(), "lines");
}

#[test]
fn a_zero_line_is_refused_and_named_by_its_number() {
    let lines = [Line::debit("1000", 100), Line::credit("4000", 100), Line::debit("6100", 0)];
    let err = check_lines(&lines).unwrap_err();
    assert_eq!(err, EntryError::ZeroLine { line: 3 });
    assert_eq!(err.field(), "lines[2].debit");
    assert!(err.to_string().starts_with("line 3:"));
}

#[test]
fn a_line_with_both_a_debit_and_a_credit_or_a_negative_amount_is_refused() {
    let both = Line { account: "1000".into(), debit: Money::from_cents(5), credit: Money::from_cents(5) };
    assert_eq!(check_lines(&[both, Line::credit("4000", 0)]), Err(EntryError::BothSides { line: 1 }));
    assert_eq!(check_lines(&[Line::debit("1000", -5), Line::credit("4000", -5)]), Err(EntryError::NegativeAmount { line: 1 }));
    assert_eq!(check_lines(&[Line::debit(" ", 5), Line::credit("4000", 5)]), Err(EntryError::NoAccount { line: 1 }));
}

#[test]
fn amounts_that_overflow_are_refused_rather_than_wrapped() {
    let lines = [Line::debit("1000", i64::MAX), Line::debit("1000", 1), Line::credit("4000", 1)];
    assert_eq!(check_lines(&lines), Err(EntryError::Overflow));
}

#[test]
fn the_reversal_swaps_every_side_and_undoes_the_entry() {
    let lines = vec![Line::debit("6100", 300_000), Line::credit("2000", 300_000)];
    let reversal = reversal_lines(&lines);
    assert_eq!(reversal, vec![Line::credit("6100", 300_000), Line::debit("2000", 300_000)]);
    let mut books = chart_balances();
    books.post(&lines).unwrap();
    books.post(&reversal).unwrap();
    assert_eq!(books.section_total(Section::Expense), Money::ZERO);
    assert_eq!(books.section_total(Section::Liability), Money::ZERO);
}

#[test]
fn contra_types_have_the_opposite_normal_balance_of_their_section() {
    for t in AccountType::ALL {
        let section_side = match t.section() {
            Section::Asset | Section::Expense => Side::Debit,
            _ => Side::Credit,
        };
        assert_eq!(t.normal_balance() == section_side, !t.is_contra(), "{t:?}");
        assert_eq!(AccountType::parse(t.as_str()), Some(t));
    }
    assert_eq!(AccountType::parse("cash"), None);
}

#[test]
fn a_contra_account_reduces_its_section_on_the_statements() {
    let mut books = chart_balances();
    books.post(&[Line::debit(accounts::AR_INSURANCE, 20_000), Line::credit(accounts::PATIENT_SERVICE_REVENUE, 20_000)]).unwrap();
    books.post(&[Line::debit(accounts::CONTRACTUAL_ADJUSTMENTS, 5_000), Line::credit(accounts::AR_INSURANCE, 5_000)]).unwrap();
    assert_eq!(books.section_total(Section::Revenue), Money::from_cents(15_000));
    assert_eq!(normal_balance(AccountType::ContraRevenue, Money::from_cents(5_000), Money::ZERO), Money::from_cents(5_000));
    assert!(books.equation_holds());
}

#[test]
fn the_default_chart_has_unique_numbers_existing_parents_and_every_account_the_money_events_need() {
    let numbers: HashSet<&str> = DEFAULT_CHART.iter().map(|a| a.number).collect();
    assert_eq!(numbers.len(), DEFAULT_CHART.len());
    for (i, a) in DEFAULT_CHART.iter().enumerate() {
        if let Some(parent) = a.parent {
            assert!(DEFAULT_CHART[..i].iter().any(|p| p.number == parent), "{} has its parent {parent} listed first", a.number);
        }
    }
    for needed in [
        accounts::CASH_OPERATING,
        accounts::UNDEPOSITED_FUNDS,
        accounts::AR_INSURANCE,
        accounts::AR_PATIENTS,
        accounts::AR_OTHER,
        accounts::ALLOWANCE_FOR_DOUBTFUL_ACCOUNTS,
        accounts::PREPAID_EXPENSES,
        accounts::MEDICAL_EQUIPMENT,
        accounts::ACCUMULATED_DEPRECIATION,
        accounts::ACCOUNTS_PAYABLE,
        accounts::PATIENT_CREDIT_BALANCES,
        accounts::CUSTOMER_DEPOSITS,
        accounts::ACCRUED_LIABILITIES,
        accounts::OWNERS_CAPITAL,
        accounts::OWNERS_DRAWS,
        accounts::RETAINED_EARNINGS,
        accounts::PATIENT_SERVICE_REVENUE,
        accounts::CONTRACTUAL_ADJUSTMENTS,
        accounts::FINANCE_CHARGE_INCOME,
        accounts::OTHER_SERVICE_REVENUE,
        accounts::OTHER_REVENUE,
        accounts::BAD_DEBT_EXPENSE,
        accounts::BANK_FEES,
        accounts::PURCHASE_DISCOUNTS,
    ] {
        assert!(numbers.contains(needed), "the default chart lacks {needed}");
    }
    let contra: Vec<&str> = DEFAULT_CHART.iter().filter(|a| a.account_type.is_contra()).map(|a| a.number).collect();
    assert_eq!(contra, ["1190", "1590", "3100", "4100", "6900"]);
}

#[test]
fn an_entry_to_an_account_not_in_the_chart_changes_nothing() {
    let mut books = chart_balances();
    let err = books.post(&[Line::debit("1000", 100), Line::credit("9999", 100)]).unwrap_err();
    assert_eq!(err, PostError::UnknownAccount { line: 2, account: "9999".into() });
    assert_eq!(books.totals(), (Money::ZERO, Money::ZERO));
}

/// Any entry: 0 to 6 lines on accounts of the chart (or an unknown one), amounts from -1 to a
/// million dollars, some lines with both sides or none; most come out valid by construction
/// because the last line often takes the difference.
fn any_entry() -> impl Strategy<Value = Vec<Line>> {
    let account =
        prop_oneof![9 => (0..DEFAULT_CHART.len()).prop_map(|i| DEFAULT_CHART[i].number.to_string()), 1 => Just("9999".to_string())];
    let line = (account, any::<bool>(), -1i64..100_000_000, prop::bool::weighted(0.03)).prop_map(|(account, debit, cents, both)| {
        let (d, c) = if both {
            (cents, cents)
        } else if debit {
            (cents, 0)
        } else {
            (0, cents)
        };
        Line { account, debit: Money::from_cents(d), credit: Money::from_cents(c) }
    });
    (prop::collection::vec(line, 0..6), prop::bool::weighted(0.8)).prop_map(|(mut lines, balance_it)| {
        if balance_it && !lines.is_empty() {
            let net: i64 = lines.iter().map(|l| l.debit.cents() - l.credit.cents()).sum();
            let last = DEFAULT_CHART[(net.unsigned_abs() % DEFAULT_CHART.len() as u64) as usize].number;
            if net > 0 {
                lines.push(Line::credit(last, net));
            } else if net < 0 {
                lines.push(Line::debit(last, -net));
            }
        }
        lines
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_sequence_of_postings_keeps_debits_equal_to_credits_and_the_equation_true(entries in prop::collection::vec(any_entry(), 0..40)) {
        let mut books = chart_balances();
        for lines in &entries {
            let before = books.clone();
            let valid_alone = check_lines(lines).is_ok() && lines.iter().all(|l| DEFAULT_CHART.iter().any(|a| a.number == l.account));
            match books.post(lines) {
                Ok(()) => prop_assert!(valid_alone),
                Err(_) => {
                    prop_assert!(!valid_alone);
                    // A refused entry changes nothing.
                    prop_assert_eq!(books.totals(), before.totals());
                    for section in [Section::Asset, Section::Liability, Section::Equity, Section::Revenue, Section::Expense] {
                        prop_assert_eq!(books.section_total(section), before.section_total(section));
                    }
                }
            }
            let (debits, credits) = books.totals();
            prop_assert_eq!(debits, credits);
            prop_assert!(books.equation_holds());
        }
    }

    #[test]
    fn an_entry_is_postable_exactly_when_it_balances_with_two_or_more_one_sided_positive_lines(lines in any_entry()) {
        let debits: i64 = lines.iter().map(|l| l.debit.cents()).sum();
        let credits: i64 = lines.iter().map(|l| l.credit.cents()).sum();
        let lines_ok = lines.iter().all(|l| {
            let (d, c) = (l.debit.cents(), l.credit.cents());
            d >= 0 && c >= 0 && (d == 0) != (c == 0)
        });
        let expected = lines.len() >= 2 && lines_ok && debits == credits;
        prop_assert_eq!(check_lines(&lines).is_ok(), expected, "{:?}", lines);
    }
}
