//! Accounts payable through the use cases: vendors and their terms, bills and the entries they
//! post, the bills-due list, and who may do what. The practice's today is 2026-06-15.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::payables::{BillLineInput, NewBillInput, NewVendorInput};
use medoffice_app::{Actor, AppError};
use medoffice_domain::ledger::accounts;

fn vendor(name: &str, terms: &str) -> NewVendorInput {
    NewVendorInput {
        name: name.into(),
        address: "12 Main St, Springfield".into(),
        contact: "billing@example.com".into(),
        tax_id: "12-3456789".into(),
        default_expense_account: "6200".into(),
        payment_terms: terms.into(),
        is_1099: false,
    }
}

fn bill(vendor_id: &str, number: &str, date: &str, lines: &[(&str, i64)]) -> NewBillInput {
    NewBillInput {
        vendor_id: vendor_id.into(),
        bill_number: number.into(),
        bill_date: date.into(),
        memo: String::new(),
        lines: lines.iter().map(|(a, c)| BillLineInput { account: (*a).into(), amount_cents: *c, memo: String::new() }).collect(),
    }
}

async fn add_vendor(env: &TestEnv, actor: &Actor, name: &str, terms: &str) -> String {
    env.app.add_vendor(actor, &vendor(name, terms)).await.unwrap().id
}

both_backends! {
    async fn each_vendors_terms_give_its_bills_due_date(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cases = [
            ("Net Supply", "net_30", "2026-05-10", "2026-06-09"),
            ("Discount Labs", "2/10 NET 30", "2026-06-10", "2026-07-10"),
            ("Power Co", "due_on_receipt", "2026-06-01", "2026-06-01"),
            ("Landlord", "day_of_month:31", "2026-01-20", "2026-02-28"),
        ];
        for (name, terms, date, due) in cases {
            let id = add_vendor(&env, bk, name, terms).await;
            let b = env.app.enter_bill(bk, &bill(&id, "A-1", date, &[("", 10_000)])).await.unwrap();
            assert_eq!(b.due_date, due, "{name} ({terms})");
        }
        let vendors = env.app.vendors(bk).await.unwrap();
        let names: Vec<&str> = vendors.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Discount Labs", "Landlord", "Net Supply", "Power Co"]);
        assert_eq!(vendors[0].payment_terms, "2/10 net 30");

        // Overdue first, then by due date; the 2/10 discount is still open until 2026-06-20.
        let due = env.app.bills_due(bk).await.unwrap();
        let order: Vec<(&str, i64)> = due.iter().map(|d| (d.bill.vendor_name.as_str(), d.days_overdue)).collect();
        assert_eq!(order, [("Landlord", 107), ("Power Co", 14), ("Net Supply", 6), ("Discount Labs", 0)]);
        assert_eq!(due[3].discount_until.as_deref(), Some("2026-06-20"));
        assert!(due[..3].iter().all(|d| d.discount_until.is_none()));

        let bad = env.app.add_vendor(bk, &NewVendorInput { default_expense_account: "4000".into(), ..vendor("", "net 30") }).await;
        assert_eq!(invalid_fields(bad), ["name", "payment_terms", "default_expense_account"]);
    }
}

both_backends! {
    async fn a_vendors_bill_number_is_entered_once(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let acme = add_vendor(&env, bk, "Acme Medical", "net_30").await;
        let other = add_vendor(&env, bk, "Other Supply", "net_30").await;
        env.app.enter_bill(bk, &bill(&acme, "INV-100", "2026-06-01", &[("6200", 5_000)])).await.unwrap();
        let again = env.app.enter_bill(bk, &bill(&acme, " INV-100 ", "2026-06-02", &[("6200", 5_000)])).await;
        match &again {
            Err(AppError::Validation(e)) => assert!(e.for_field("bill_number").unwrap().contains("INV-100")),
            other => panic!("expected a refusal on bill_number, got {other:?}"),
        }
        // The same number from another vendor is another bill.
        env.app.enter_bill(bk, &bill(&other, "INV-100", "2026-06-02", &[("6200", 7_000)])).await.unwrap();
        assert_eq!(env.app.bills_due(bk).await.unwrap().len(), 2);
        let tb = env.app.trial_balance(bk, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()).await.unwrap();
        let ap = tb.accounts.iter().find(|a| a.number == accounts::ACCOUNTS_PAYABLE).unwrap();
        assert_eq!(ap.credit_cents, 12_000, "the refused bill posted nothing");
    }
}

both_backends! {
    async fn a_bill_posts_a_balanced_entry_that_the_trial_balance_shows_on_accounts_payable(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let acme = add_vendor(&env, bk, "Acme Medical", "net_30").await;
        let b = env
            .app
            .enter_bill(bk, &bill(&acme, "INV-7", "2026-06-05", &[("6200", 12_550), (accounts::PREPAID_EXPENSES, 60_000), ("1500", 250_000)]))
            .await
            .unwrap();
        assert_eq!((b.total_cents, b.status.as_str()), (322_550, "open"));
        let entry = env.app.journal_entry(bk, &b.journal_entry_id).await.unwrap();
        assert_eq!((entry.source_kind.as_str(), entry.source_id.as_deref(), entry.total_cents), ("bill", Some(b.id.as_str()), 322_550));
        let debits: i64 = entry.lines.iter().map(|l| l.debit_cents).sum();
        let credits: i64 = entry.lines.iter().map(|l| l.credit_cents).sum();
        assert_eq!((debits, credits), (322_550, 322_550));
        let ap_line = entry.lines.iter().find(|l| l.account_number == accounts::ACCOUNTS_PAYABLE).unwrap();
        assert_eq!((ap_line.credit_cents, ap_line.vendor_id.as_deref()), (322_550, Some(acme.as_str())));

        let tb = env.app.trial_balance(bk, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()).await.unwrap();
        assert!(tb.balances());
        let line = |n: &str| tb.accounts.iter().find(|a| a.number == n).map(|a| (a.debit_cents, a.credit_cents));
        assert_eq!(line(accounts::ACCOUNTS_PAYABLE), Some((0, 322_550)));
        assert_eq!(line("6200"), Some((12_550, 0)));
        assert_eq!(line(accounts::PREPAID_EXPENSES), Some((60_000, 0)));

        // Revenue and liability accounts, zero amounts and an unknown vendor are refused, naming the line.
        let bad = env.app.enter_bill(bk, &bill(&acme, "INV-8", "2026-06-05", &[("4000", 100), ("6200", 0), ("2000", 5)])).await;
        assert_eq!(invalid_fields(bad), ["lines[0].account", "lines[1].amount_cents", "lines[2].account"]);
        let nobody = env.app.enter_bill(bk, &bill("nobody", "INV-9", "06/05/2026", &[("6200", 100)])).await;
        assert_eq!(invalid_fields(nobody), ["bill_date", "vendor_id"]);
    }
}

both_backends! {
    async fn only_the_bookkeeper_and_the_admin_keep_payables(env: TestEnv) {
        let staff = env.practice().await;
        let acme = add_vendor(&env, &staff.admin, "Acme Medical", "net_30").await;
        env.app.enter_bill(&staff.admin, &bill(&acme, "1", "2026-06-01", &[("6200", 100)])).await.unwrap();
        for actor in [&staff.front_desk, &staff.biller, &staff.provider] {
            assert!(matches!(env.app.add_vendor(actor, &vendor("X", "net_30")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.vendors(actor).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.enter_bill(actor, &bill(&acme, "2", "2026-06-01", &[("6200", 100)])).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.bills_due(actor).await, Err(AppError::Forbidden)));
        }
        env.app.enter_bill(&staff.bookkeeper, &bill(&acme, "2", "2026-06-01", &[("6200", 100)])).await.unwrap();
        assert_eq!(env.app.bills_due(&staff.bookkeeper).await.unwrap().len(), 2);
        assert_eq!(env.app.vendors(&staff.admin).await.unwrap().len(), 1);
    }
}
