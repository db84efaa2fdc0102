//! Cash-basis reports from the accrual ledger: a charge counts when it is paid, a vendor bill when
//! it is paid (over the bill's own expense accounts, the discount not counted), entries without
//! receivables or payables as posted; the cash-basis balance sheet and trial balance still
//! balance. The practice's today is 2026-06-15.

use crate::harness::{TestEnv, both_backends};
use chrono::NaiveDate;
use medoffice_app::bill_payments::{BillAmountInput, PaymentRunInput, VendorPaymentInput};
use medoffice_app::cash_basis::CASH_BASIS_EQUITY_LINE;
use medoffice_app::ledger::{JournalEntryInput, JournalLineInput};
use medoffice_app::ledger_reports::IncomeStatementView;
use medoffice_app::payables::{BillLineInput, NewBillInput, NewVendorInput};
use medoffice_app::{Actor, AppError};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn post(env: &TestEnv, bk: &Actor, date: &str, memo: &str, lines: &[(&str, i64, i64)]) {
    let input = JournalEntryInput {
        date: date.into(),
        memo: memo.into(),
        idempotency_key: String::new(),
        lines: lines
            .iter()
            .map(|(a, d, c)| JournalLineInput { account: (*a).into(), debit_cents: *d, credit_cents: *c, memo: String::new() })
            .collect(),
    };
    env.app.post_journal_entry(bk, &input).await.unwrap();
}

fn amount(statement: &IncomeStatementView, number: &str) -> Option<i64> {
    statement.revenue.lines.iter().chain(statement.expenses.lines.iter()).find(|l| l.number == number).map(|l| l.amount_cents)
}

/// A month of a practice's money events: an insurance charge paid less a contractual adjustment,
/// a self-pay charge still unpaid, rent paid by check, and a supplies bill over two accounts paid
/// within its 2/10 discount window.
async fn a_month(env: &TestEnv, bk: &Actor) {
    post(env, bk, "2026-06-01", "Charges, Aetna", &[("1100", 20_000, 0), ("4000", 0, 20_000)]).await;
    post(env, bk, "2026-06-02", "Charges, self-pay", &[("1110", 5_000, 0), ("4000", 0, 5_000)]).await;
    post(env, bk, "2026-06-03", "Rent, June", &[("6100", 300_000, 0), ("1000", 0, 300_000)]).await;
    post(env, bk, "2026-06-10", "Aetna remittance", &[("1010", 12_000, 0), ("4100", 8_000, 0), ("1100", 0, 20_000)]).await;
    let vendor = env
        .app
        .add_vendor(
            bk,
            &NewVendorInput {
                name: "Henry Supply".into(),
                payment_terms: "2/10 net 30".into(),
                default_expense_account: "6200".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let bill = env
        .app
        .enter_bill(
            bk,
            &NewBillInput {
                vendor_id: vendor.id.clone(),
                bill_number: "HS-100".into(),
                bill_date: "2026-06-05".into(),
                memo: String::new(),
                lines: vec![
                    BillLineInput { account: "6200".into(), amount_cents: 7_500, memo: String::new() },
                    BillLineInput { account: "6210".into(), amount_cents: 2_500, memo: String::new() },
                ],
            },
        )
        .await
        .unwrap();
    let run = env
        .app
        .pay_bills(
            bk,
            &PaymentRunInput {
                payment_date: "2026-06-12".into(),
                cash_account: String::new(),
                idempotency_key: String::new(),
                payments: vec![VendorPaymentInput {
                    vendor_id: vendor.id,
                    method: "check".into(),
                    reference: "1001".into(),
                    bills: vec![BillAmountInput { bill_id: bill.id, amount_cents: 10_000 }],
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!((run.amount_cents, run.discount_cents), (9_800, 200), "the 2% discount is taken within ten days");
}

both_backends! {
    async fn the_cash_basis_counts_revenue_and_expenses_when_the_money_moves(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        a_month(&env, bk).await;
        let (from, to) = (day("2026-06-01"), day("2026-06-30"));

        let accrual = env.app.income_statement(bk, from, to).await.unwrap();
        assert_eq!(amount(&accrual, "4000"), Some(25_000));
        assert_eq!(amount(&accrual, "4100"), Some(-8_000));
        assert_eq!(accrual.net_income_cents, 25_000 - 8_000 - 300_000 - 10_000 + 200);

        let cash = env.app.income_statement_cash(bk, from, to).await.unwrap();
        // Revenue: only the 120.00 Aetna paid; the unpaid self-pay charge and the adjustment do not count.
        assert_eq!(amount(&cash, "4000"), Some(12_000));
        assert_eq!(amount(&cash, "4100"), None);
        assert_eq!(cash.revenue.total_cents, 12_000);
        // Expenses: rent as posted; the bill's 98.00 paid over its two accounts, no discount line.
        assert_eq!(amount(&cash, "6100"), Some(300_000));
        assert_eq!(amount(&cash, "6200"), Some(7_350));
        assert_eq!(amount(&cash, "6210"), Some(2_450));
        assert_eq!(amount(&cash, "6900"), None);
        assert_eq!(cash.net_income_cents, 12_000 - 300_000 - 9_800);

        // Cash-basis net income is the money that came in less the money that went out.
        let tb = env.app.trial_balance(bk, to).await.unwrap();
        let money: i64 = tb.accounts.iter().filter(|r| r.number.starts_with("10")).map(|r| r.debit_cents - r.credit_cents).sum();
        assert_eq!(cash.net_income_cents, money);
    }

}

both_backends! {
    async fn the_cash_basis_balance_sheet_and_trial_balance_still_balance(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        post(&env, bk, "2026-06-01", "Owner's investment", &[("1000", 1_000_000, 0), ("3000", 0, 1_000_000)]).await;
        a_month(&env, bk).await;
        let as_of = day("2026-06-30");

        let accrual = env.app.balance_sheet(bk, as_of).await.unwrap();
        assert!(accrual.balances());
        assert!(accrual.assets.lines.iter().any(|l| l.number == "1110"), "the unpaid self-pay charge is a receivable");

        let cash = env.app.balance_sheet_cash(bk, as_of).await.unwrap();
        assert!(cash.balances(), "assets {} = liabilities and equity {}", cash.assets.total_cents, cash.total_liabilities_and_equity_cents);
        assert!(cash.assets.lines.iter().all(|l| !l.number.starts_with("11")), "no receivables on the cash basis");
        assert!(cash.liabilities.lines.iter().all(|l| l.number != "2000"), "no payables on the cash basis");
        let carried = cash.equity.lines.iter().find(|l| l.name == CASH_BASIS_EQUITY_LINE).unwrap();
        assert_eq!(carried.amount_cents, -5_000, "the 50.00 self-pay charge not yet collected");
        assert_eq!(cash.assets.total_cents, 1_000_000 - 300_000 + 12_000 - 9_800);

        let tb = env.app.trial_balance_cash(bk, as_of).await.unwrap();
        assert!(tb.balances(), "{} = {}", tb.total_debit_cents, tb.total_credit_cents);
        assert!(tb.accounts.iter().all(|r| !r.number.starts_with("11") && r.number != "2000"));
        let rev = tb.accounts.iter().find(|r| r.number == "4000").unwrap();
        assert_eq!(rev.credit_cents, 12_000);
    }

}

both_backends! {
    async fn only_the_books_roles_read_cash_basis_reports(env: TestEnv) {
        let staff = env.practice().await;
        let denied = env.app.income_statement_cash(&staff.front_desk, day("2026-06-01"), day("2026-06-30")).await;
        assert!(matches!(denied, Err(AppError::Forbidden)), "{denied:?}");
        let denied = env.app.balance_sheet_cash(&staff.front_desk, day("2026-06-30")).await;
        assert!(matches!(denied, Err(AppError::Forbidden)), "{denied:?}");
    }
}
