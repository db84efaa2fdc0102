//! Cash-basis reporting from the accrual ledger.
//!
//! medoffice posts on the accrual basis (a charge is revenue the day it is posted, a vendor bill an
//! expense the day it is entered). A cash-basis report counts revenue when the money comes in and
//! expenses when the money goes out. It is derived from the same journal, entry by entry:
//!
//! - an entry that touches no receivable or payable control account (AR - Insurance, AR - Patients,
//!   AR - Other, Accounts payable) counts as posted: a cash sale, payroll paid, rent paid by check,
//!   depreciation, a prepaid expense used up;
//! - an entry that touches a control account but moves no money (a charge, a vendor bill, a
//!   contractual adjustment, a write-off, a late charge) leaves its revenue and expense lines out:
//!   they count when they are paid;
//! - an entry that touches a control account and moves money (an insurance or patient payment, a
//!   co-pay, a refund, a bill paid) leaves its own revenue and expense lines out (a purchase discount,
//!   a contractual adjustment) and counts the money moved instead: money received on receivables as
//!   revenue of the receivable's revenue account, money paid on payables as expense, spread over the
//!   accounts of the bills it paid in proportion to their lines (the vendor's default expense
//!   account, or uncategorized expenses, when the payment is not linked to bills).
//!
//! On the balance sheet the receivables and payables are left out, and owners' equity carries their
//! difference as one line, so assets = liabilities + owners' equity still holds.

use std::collections::HashMap;

/// What an account is to the cash-basis conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Cash, a bank account, undeposited funds, petty cash: money.
    Money,
    /// A receivable control account (money comes in on it).
    Receivable,
    /// A payable control account (money goes out on it).
    Payable,
    /// A revenue or expense account (contra ones included).
    Income,
    /// Any other balance-sheet account.
    Other,
}

/// One line of an entry, as the conversion sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashLine {
    pub account: String,
    pub role: Role,
    pub debit_cents: i64,
    pub credit_cents: i64,
    /// For a receivable line, the revenue account money received on it counts to.
    pub revenue_account: Option<String>,
}

/// One entry: its lines and, for a payment of bills, the accounts (with weights in cents) of the
/// lines of the bills it paid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CashEntry {
    pub lines: Vec<CashLine>,
    pub expense_weights: Vec<(String, i64)>,
}

/// Net debit (debit − credit) of a set of lines.
fn net<'a>(lines: impl Iterator<Item = &'a CashLine>) -> i64 {
    lines.map(|l| l.debit_cents - l.credit_cents).sum()
}

/// Spreads `amount` over `weights` in proportion, exactly: the rounding remainder goes to the
/// largest weight, so the parts always sum to `amount`.
pub fn spread(amount: i64, weights: &[(String, i64)]) -> Vec<(String, i64)> {
    let total: i64 = weights.iter().map(|(_, w)| w.abs()).sum();
    if total == 0 || weights.is_empty() {
        return Vec::new();
    }
    let mut parts: Vec<(String, i64)> =
        weights.iter().map(|(a, w)| (a.clone(), (i128::from(amount) * i128::from(w.abs()) / i128::from(total)) as i64)).collect();
    let given: i64 = parts.iter().map(|(_, p)| p).sum();
    if let Some(biggest) = weights.iter().enumerate().max_by_key(|(_, (_, w))| w.abs()).map(|(i, _)| i)
        && let Some(part) = parts.get_mut(biggest)
    {
        part.1 += amount - given;
    }
    parts
}

/// What turns the accrual totals of the entries into cash-basis totals: per account, the net debit
/// (debit − credit) to add. `uncategorized_expense` takes money paid on payables that no bill
/// explains.
pub fn adjustments(entries: &[CashEntry], uncategorized_expense: &str) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    let mut add = |account: &str, net_debit: i64| {
        if net_debit != 0 {
            *out.entry(account.to_string()).or_default() += net_debit;
        }
    };
    for entry in entries {
        let controls = entry.lines.iter().any(|l| matches!(l.role, Role::Receivable | Role::Payable));
        if !controls {
            continue;
        }
        // The entry's own revenue and expense lines are taken out.
        for l in entry.lines.iter().filter(|l| l.role == Role::Income) {
            add(&l.account, l.credit_cents - l.debit_cents);
        }
        let money_in = net(entry.lines.iter().filter(|l| l.role == Role::Money));
        if money_in == 0 {
            continue;
        }
        // How much of the money belongs to receivables and how much to payables, by the size of
        // each side's movement (an entry settling both at once is rare: a manual one).
        let received = -net(entry.lines.iter().filter(|l| l.role == Role::Receivable));
        let paid = net(entry.lines.iter().filter(|l| l.role == Role::Payable));
        let (r, p) = (received.abs(), paid.abs());
        let on_receivables = if p == 0 {
            money_in
        } else if r == 0 {
            0
        } else {
            (i128::from(money_in) * i128::from(r) / i128::from(r + p)) as i64
        };
        let on_payables = money_in - on_receivables;
        if on_receivables != 0 {
            // Revenue: a credit of the money received, per receivable line's revenue account.
            let weights: Vec<(String, i64)> = entry
                .lines
                .iter()
                .filter(|l| l.role == Role::Receivable)
                .filter_map(|l| l.revenue_account.clone().map(|a| (a, l.credit_cents - l.debit_cents)))
                .collect();
            let weights = if weights.iter().all(|(_, w)| *w == 0) {
                entry
                    .lines
                    .iter()
                    .filter(|l| l.role == Role::Receivable)
                    .filter_map(|l| l.revenue_account.clone().map(|a| (a, 1)))
                    .collect()
            } else {
                weights
            };
            for (account, part) in spread(on_receivables, &weights) {
                add(&account, -part);
            }
        }
        if on_payables != 0 {
            // Expense: a debit of the money paid (money_in is negative when paying).
            let paid_out = -on_payables;
            let parts = spread(paid_out, &entry.expense_weights);
            if parts.is_empty() {
                add(uncategorized_expense, paid_out);
            } else {
                for (account, part) in parts {
                    add(&account, part);
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(account: &str, role: Role, debit: i64, credit: i64) -> CashLine {
        let revenue_account = (role == Role::Receivable).then(|| if account == "1120" { "4300".to_string() } else { "4000".to_string() });
        CashLine { account: account.into(), role, debit_cents: debit, credit_cents: credit, revenue_account }
    }

    #[test]
    fn a_charge_counts_when_it_is_paid_not_when_it_is_posted() {
        let charge =
            CashEntry { lines: vec![line("1100", Role::Receivable, 20000, 0), line("4000", Role::Income, 0, 20000)], ..Default::default() };
        let adj = adjustments(std::slice::from_ref(&charge), "6990");
        assert_eq!(adj.get("4000"), Some(&20000), "the charge's revenue is taken out");
        // The payer pays 120.00 and writes off 80.00 as a contractual adjustment.
        let remit = CashEntry {
            lines: vec![line("1010", Role::Money, 12000, 0), line("4100", Role::Income, 8000, 0), line("1100", Role::Receivable, 0, 20000)],
            ..Default::default()
        };
        let adj = adjustments(&[charge, remit], "6990");
        // Accrual: revenue 200 credit, contractual 80 debit: net 120. Cash: 120 of revenue only.
        assert_eq!(adj.get("4000"), Some(&(20000 - 12000)));
        assert_eq!(adj.get("4100"), Some(&-8000));
    }

    #[test]
    fn a_bill_paid_with_a_discount_counts_the_cash_paid_over_the_bills_accounts() {
        let bill = CashEntry {
            lines: vec![line("6200", Role::Income, 7500, 0), line("6210", Role::Income, 2500, 0), line("2000", Role::Payable, 0, 10000)],
            ..Default::default()
        };
        let payment = CashEntry {
            lines: vec![line("2000", Role::Payable, 10000, 0), line("1000", Role::Money, 0, 9800), line("6900", Role::Income, 0, 200)],
            expense_weights: vec![("6200".into(), 7500), ("6210".into(), 2500)],
        };
        let adj = adjustments(&[bill, payment], "6990");
        // Accrual: 6200 +75.00, 6210 +25.00, 6900 -2.00. Cash: 6200 +73.50, 6210 +24.50.
        assert_eq!(adj.get("6200"), Some(&(-7500 + 7350)));
        assert_eq!(adj.get("6210"), Some(&(-2500 + 2450)));
        assert_eq!(adj.get("6900"), Some(&200));
    }

    #[test]
    fn entries_without_receivables_or_payables_count_as_posted() {
        let rent =
            CashEntry { lines: vec![line("6100", Role::Income, 300000, 0), line("1000", Role::Money, 0, 300000)], ..Default::default() };
        let depreciation =
            CashEntry { lines: vec![line("6700", Role::Income, 5000, 0), line("1590", Role::Other, 0, 5000)], ..Default::default() };
        assert!(adjustments(&[rent, depreciation], "6990").is_empty());
    }

    #[test]
    fn a_refund_and_an_unlinked_payment_count_too() {
        let refund =
            CashEntry { lines: vec![line("1110", Role::Receivable, 2000, 0), line("1000", Role::Money, 0, 2000)], ..Default::default() };
        let unlinked =
            CashEntry { lines: vec![line("2000", Role::Payable, 5000, 0), line("1000", Role::Money, 0, 5000)], ..Default::default() };
        let adj = adjustments(&[refund, unlinked], "6990");
        assert_eq!(adj.get("4000"), Some(&2000), "a refund is negative revenue (a debit)");
        assert_eq!(adj.get("6990"), Some(&5000));
    }

    proptest! {
        /// Spreading is exact: the parts always sum to the amount.
        #[test]
        fn spread_is_exact(amount in -10_000_000i64..10_000_000, weights in proptest::collection::vec(1i64..1_000_000, 1..8)) {
            let weights: Vec<(String, i64)> = weights.into_iter().enumerate().map(|(i, w)| (i.to_string(), w)).collect();
            let parts = spread(amount, &weights);
            prop_assert_eq!(parts.iter().map(|(_, p)| p).sum::<i64>(), amount);
        }

        /// Whatever the entries, the adjustments of balanced entries change revenue less expenses by
        /// exactly minus the change in (receivables - payables) they leave out... and the money
        /// counted equals the money moved on control entries.
        #[test]
        fn cash_basis_income_equals_money_moved_on_control_entries(
            amounts in proptest::collection::vec((1i64..100_000, 0u8..4), 1..30)
        ) {
            // Generate charges, payments, bills and bill payments.
            let mut entries = Vec::new();
            let mut money_on_controls = 0i64;
            let mut accrual_income = 0i64; // credit - debit of Income lines on control entries
            for (cents, kind) in amounts {
                let e = match kind {
                    0 => CashEntry { lines: vec![line("1100", Role::Receivable, cents, 0), line("4000", Role::Income, 0, cents)], ..Default::default() },
                    1 => { money_on_controls += cents; CashEntry { lines: vec![line("1010", Role::Money, cents, 0), line("1100", Role::Receivable, 0, cents)], ..Default::default() } },
                    2 => CashEntry { lines: vec![line("6200", Role::Income, cents, 0), line("2000", Role::Payable, 0, cents)], ..Default::default() },
                    _ => { money_on_controls -= cents; CashEntry { lines: vec![line("2000", Role::Payable, cents, 0), line("1000", Role::Money, 0, cents)], expense_weights: vec![("6200".into(), 1)] } },
                };
                accrual_income += e.lines.iter().filter(|l| l.role == Role::Income).map(|l| l.credit_cents - l.debit_cents).sum::<i64>();
                entries.push(e);
            }
            let adj = adjustments(&entries, "6990");
            // Cash-basis income = accrual income - adjustments' net debit.
            let cash_income = accrual_income - adj.values().sum::<i64>();
            prop_assert_eq!(cash_income, money_on_controls);
        }
    }
}
