//! The demo practice's books (`medoffice demo`): ledger activity and vendor bills that follow
//! every rule: the books balance, the payables tie to their control account, the cash-basis
//! statements balance too. The practice's today is 2026-06-15.

use crate::harness::both_backends;
use chrono::NaiveDate;

both_backends! {
    async fn the_demo_practice_keeps_books_that_balance_with_bills_due_and_paid(env: TestEnv) {
        env.app.demo("demo-password-1").await.unwrap();
        let bk = env.login("bookkeeper", "demo-password-1").await;
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();

        let tb = env.app.trial_balance(&bk, today).await.unwrap();
        assert!(tb.balances() && tb.total_debit_cents > 0, "{} = {}", tb.total_debit_cents, tb.total_credit_cents);
        let sheet = env.app.balance_sheet(&bk, today).await.unwrap();
        assert!(sheet.balances());
        assert!(env.app.balance_sheet_cash(&bk, today).await.unwrap().balances());

        // Rent posts on the first of each month from March: March to June.
        let statement = env.app.income_statement(&bk, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), today).await.unwrap();
        let rent = statement.expenses.lines.iter().find(|l| l.number == "6100").unwrap();
        assert_eq!(rent.amount_cents, 4 * 450_000);

        // Open bills, one overdue; a run paid two checks and an ACH, the supplies with the discount.
        let due = env.app.bills_due(&bk).await.unwrap();
        assert!(due.len() >= 4, "{} open bills", due.len());
        assert!(due.iter().any(|d| d.days_overdue > 30), "an overdue bill");
        let register = env.app.check_register(&bk, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), today).await.unwrap();
        let methods: Vec<&str> = register.payments.iter().map(|p| p.method.as_str()).collect();
        assert_eq!(methods.iter().filter(|m| **m == "check").count(), 2, "{methods:?}");
        assert_eq!(methods.iter().filter(|m| **m == "ach").count(), 1, "{methods:?}");
        assert!(register.payments.iter().any(|p| p.discount_cents > 0), "the early-payment discount was taken");
        let aging = env.app.ap_aging(&bk, today).await.unwrap();
        assert!(aging.ties(), "AP aging differs from the control account by {}", aging.difference_cents);
        assert!(aging.control_cents > 0);
    }
}
