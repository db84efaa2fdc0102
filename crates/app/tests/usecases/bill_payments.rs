//! Paying vendors' bills through the use cases: payment runs (partial and full payments, the
//! early-payment discount), the entries they post and the AP subledger against its control
//! account, voids, refusals that write nothing, the aging report and the 1099 totals. The
//! practice's today is 2026-06-15.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::bill_payments::{BillAmountInput, PaymentRunInput, VendorPaymentInput, VoidPaymentInput};
use medoffice_app::ledger::{ManualEntryInput, ManualLineInput};
use medoffice_app::payables::{BillLineInput, BillView, NewBillInput, NewVendorInput};
use medoffice_app::{Actor, AppError};
use medoffice_domain::ledger::accounts;
use medoffice_store::ledger::Party;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn vendor(env: &TestEnv, actor: &Actor, name: &str, terms: &str, is_1099: bool) -> String {
    let input = NewVendorInput {
        name: name.into(),
        tax_id: "12-3456789".into(),
        default_expense_account: "6200".into(),
        payment_terms: terms.into(),
        is_1099,
        ..Default::default()
    };
    env.app.add_vendor(actor, &input).await.unwrap().id
}

async fn bill(env: &TestEnv, actor: &Actor, vendor_id: &str, number: &str, date: &str, cents: i64) -> BillView {
    let input = NewBillInput {
        vendor_id: vendor_id.into(),
        bill_number: number.into(),
        bill_date: date.into(),
        memo: String::new(),
        lines: vec![BillLineInput { account: String::new(), amount_cents: cents, memo: String::new() }],
    };
    env.app.enter_bill(actor, &input).await.unwrap()
}

fn payment(vendor_id: &str, method: &str, reference: &str, bills: &[(&str, i64)]) -> VendorPaymentInput {
    VendorPaymentInput {
        vendor_id: vendor_id.into(),
        method: method.into(),
        reference: reference.into(),
        bills: bills.iter().map(|(id, cents)| BillAmountInput { bill_id: (*id).into(), amount_cents: *cents }).collect(),
    }
}

fn payment_run(date: &str, payments: Vec<VendorPaymentInput>) -> PaymentRunInput {
    PaymentRunInput { payment_date: date.into(), cash_account: String::new(), payments, idempotency_key: String::new() }
}

/// (debit, credit) of an account in the trial balance as of a date.
async fn balance(env: &TestEnv, actor: &Actor, number: &str, as_of: &str) -> (i64, i64) {
    let tb = env.app.trial_balance(actor, day(as_of)).await.unwrap();
    assert!(tb.balances());
    tb.accounts.iter().find(|a| a.number == number).map_or((0, 0), |a| (a.debit_cents, a.credit_cents))
}

/// The vendor subledger of Accounts payable ties to the account and names no line without a vendor.
async fn assert_subledger_ties(env: &TestEnv, actor: &Actor, as_of: &str) {
    let sub = env.app.subledger(actor, accounts::ACCOUNTS_PAYABLE, Party::Vendor, day(as_of)).await.unwrap();
    assert!(sub.ties(), "{sub:?}");
    assert_eq!(sub.unassigned_cents, 0, "every AP line names its vendor: {sub:?}");
}

async fn rows(env: &TestEnv, table: &str) -> i64 {
    let sql = match table {
        "bill_payment" => "SELECT COUNT(*) FROM bill_payment",
        "bill_payment_application" => "SELECT COUNT(*) FROM bill_payment_application",
        _ => "SELECT COUNT(*) FROM journal_entry",
    };
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn a_partial_then_a_full_payment_settles_a_bill(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let acme = vendor(&env, bk, "Acme Medical", "net_30", false).await;
        let b = bill(&env, bk, &acme, "INV-1", "2026-06-01", 100_000).await;

        // The first check is offered as 1001.
        let draft = env.app.payment_run_draft(bk, std::slice::from_ref(&b.id), day("2026-06-10"), "").await.unwrap();
        assert_eq!((draft.next_check_number, draft.cash_account.as_str()), (1001, "1000"));
        assert!(draft.cash_accounts.iter().any(|(n, _)| n == "1000") && !draft.cash_accounts.iter().any(|(n, _)| n == "1010"));

        let first = env.app.pay_bills(bk, &payment_run("2026-06-10", vec![payment(&acme, "check", "1001", &[(&b.id, 40_000)])])).await.unwrap();
        assert_eq!((first.amount_cents, first.discount_cents), (40_000, 0));
        let p = &first.payments[0];
        assert_eq!((p.method.as_str(), p.reference.as_str(), p.status.as_str()), ("check", "1001", "posted"));
        let entry = env.app.journal_entry(bk, &p.journal_entry_id).await.unwrap();
        assert_eq!((entry.source_kind.as_str(), entry.source_id.as_deref()), ("bill_payment", Some(p.id.as_str())));
        let ap = entry.lines.iter().find(|l| l.account_number == accounts::ACCOUNTS_PAYABLE).unwrap();
        assert_eq!((ap.debit_cents, ap.vendor_id.as_deref()), (40_000, Some(acme.as_str())));
        let cash = entry.lines.iter().find(|l| l.account_number == accounts::CASH_OPERATING).unwrap();
        assert_eq!(cash.credit_cents, 40_000);

        // Partly paid: still open, with 600.00 left, and the next check is 1002.
        let due = env.app.bills_due(bk).await.unwrap();
        assert_eq!(due.len(), 1);
        let settled = env.app.settled_of_open_bills(bk).await.unwrap();
        assert_eq!(settled.get(&b.id), Some(&40_000));
        let draft = env.app.payment_run_draft(bk, std::slice::from_ref(&b.id), day("2026-06-12"), "").await.unwrap();
        let d = &draft.vendors[0].bills[0];
        assert_eq!((d.open_cents, d.partially_paid, draft.next_check_number), (60_000, true, 1002));

        // More than the balance is refused; the rest by ACH settles it.
        let over = env.app.pay_bills(bk, &payment_run("2026-06-12", vec![payment(&acme, "ach", "T-9", &[(&b.id, 60_001)])])).await;
        assert_eq!(invalid_fields(over), ["payments[0].bills[0].amount_cents"]);
        env.app.pay_bills(bk, &payment_run("2026-06-12", vec![payment(&acme, "ach", "T-9", &[(&b.id, 60_000)])])).await.unwrap();
        assert!(env.app.bills_due(bk).await.unwrap().is_empty());
        let again = env.app.pay_bills(bk, &payment_run("2026-06-13", vec![payment(&acme, "ach", "T-10", &[(&b.id, 1)])])).await;
        match again {
            Err(AppError::Validation(e)) => assert!(e.for_field("payments[0].bills[0].bill_id").unwrap().contains("paid already")),
            other => panic!("expected a refusal, got {other:?}"),
        }

        assert_eq!(balance(&env, bk, accounts::ACCOUNTS_PAYABLE, "2026-06-30").await, (0, 0));
        assert_eq!(balance(&env, bk, accounts::CASH_OPERATING, "2026-06-30").await, (0, 100_000));
        assert_subledger_ties(&env, bk, "2026-06-30").await;
        let register = env.app.check_register(bk, day("2026-06-01"), day("2026-06-30")).await.unwrap();
        let refs: Vec<(&str, &str, i64)> = register.payments.iter().map(|p| (p.payment_date.as_str(), p.reference.as_str(), p.amount_cents)).collect();
        assert_eq!(refs, [("2026-06-10", "1001", 40_000), ("2026-06-12", "T-9", 60_000)]);
        assert_eq!(register.total_cents, 100_000);
    }
}

both_backends! {
    async fn the_discount_is_taken_within_the_window_and_not_after(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let labs = vendor(&env, bk, "Discount Labs", "2/10 net 30", false).await;
        let in_window = bill(&env, bk, &labs, "L-1", "2026-06-01", 100_000).await;
        let late = bill(&env, bk, &labs, "L-2", "2026-06-01", 50_000).await;
        let partial = bill(&env, bk, &labs, "L-3", "2026-06-01", 30_000).await;

        let draft = env.app.payment_run_draft(bk, std::slice::from_ref(&in_window.id), day("2026-06-11"), "").await.unwrap();
        assert_eq!(draft.vendors[0].bills[0].discount_cents, 2_000);
        assert_eq!(draft.vendors[0].bills[0].discount_until.as_deref(), Some("2026-06-11"));

        // Paid in full on the last day of the window: 2 % off; a partial payment: none.
        let paid = env
            .app
            .pay_bills(bk, &payment_run("2026-06-11", vec![payment(&labs, "check", "500", &[(&in_window.id, 100_000), (&partial.id, 10_000)])]))
            .await
            .unwrap();
        let p = &paid.payments[0];
        assert_eq!((p.amount_cents, p.discount_cents, p.settled_cents), (108_000, 2_000, 110_000));
        let entry = env.app.journal_entry(bk, &p.journal_entry_id).await.unwrap();
        let sum = |n: &str, debit: bool| -> i64 {
            entry.lines.iter().filter(|l| l.account_number == n).map(|l| if debit { l.debit_cents } else { l.credit_cents }).sum()
        };
        assert_eq!(sum(accounts::ACCOUNTS_PAYABLE, true), 110_000);
        assert_eq!(sum(accounts::CASH_OPERATING, false), 108_000);
        assert_eq!(sum(accounts::PURCHASE_DISCOUNTS, false), 2_000);
        assert_eq!(entry.lines.iter().map(|l| l.debit_cents).sum::<i64>(), entry.lines.iter().map(|l| l.credit_cents).sum::<i64>());

        // The day after the window the whole amount is paid.
        let paid = env.app.pay_bills(bk, &payment_run("2026-06-12", vec![payment(&labs, "check", "501", &[(&late.id, 50_000)])])).await.unwrap();
        assert_eq!((paid.amount_cents, paid.discount_cents), (50_000, 0));

        assert_eq!(balance(&env, bk, accounts::PURCHASE_DISCOUNTS, "2026-06-30").await, (0, 2_000));
        assert_eq!(balance(&env, bk, accounts::ACCOUNTS_PAYABLE, "2026-06-30").await, (0, 20_000));
        assert_subledger_ties(&env, bk, "2026-06-30").await;
        let aging = env.app.ap_aging(bk, day("2026-06-30")).await.unwrap();
        assert_eq!(aging.totals.total_cents, 20_000);
        assert!(aging.ties(), "{aging:?}");
    }
}

both_backends! {
    async fn aging_buckets_change_on_boundary_days_and_tie_to_the_control_account(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let v = vendor(&env, bk, "Net Supply", "net_30", false).await;
        let other = vendor(&env, bk, "Another Vendor", "net_30", false).await;
        let as_of = day("2026-06-15");
        // net_30: due 30 days after the bill's date. Days past due as of 2026-06-15 -> cents.
        let cases: [(i64, i64); 8] = [(0, 1), (1, 10), (30, 100), (31, 1_000), (60, 10_000), (61, 100_000), (90, 1_000_000), (91, 10_000_000)];
        for (past_due, cents) in cases {
            let bill_date = as_of - chrono::Duration::days(past_due + 30);
            bill(&env, bk, &v, &format!("D{past_due}"), &bill_date.to_string(), cents).await;
        }
        // A bill dated after the report's date is not in it; a payment after it does not count.
        bill(&env, bk, &other, "LATER", "2026-06-20", 7_000).await;
        let paid_later = bill(&env, bk, &other, "PAID-LATER", "2026-06-01", 5_000).await;
        env.app.pay_bills(bk, &payment_run("2026-06-16", vec![payment(&other, "ach", "X1", &[(&paid_later.id, 5_000)])])).await.unwrap();

        let aging = env.app.ap_aging(bk, as_of).await.unwrap();
        let supply = aging.vendors.iter().find(|x| x.vendor_id == v).unwrap();
        let a = supply.amounts;
        assert_eq!(
            (a.current_cents, a.days_1_30_cents, a.days_31_60_cents, a.days_61_90_cents, a.over_90_cents),
            (1, 110, 11_000, 1_100_000, 10_000_000)
        );
        let another = aging.vendors.iter().find(|x| x.vendor_id == other).unwrap();
        assert_eq!((another.amounts.current_cents, another.amounts.total_cents), (5_000, 5_000));
        assert_eq!(aging.totals.total_cents, 11_111_111 + 5_000);
        assert_eq!(aging.control_cents, aging.totals.total_cents);
        assert!(aging.ties());
        assert_subledger_ties(&env, bk, "2026-06-15").await;

        // A manual entry on Accounts payable that names no bill shows as the difference.
        let manual = ManualEntryInput {
            date: "2026-06-15".into(),
            memo: "Accrued invoice not yet entered".into(),
            idempotency_key: String::new(),
            lines: vec![
                ManualLineInput { account: "6100".into(), debit: "25.00".into(), credit: String::new(), memo: String::new() },
                ManualLineInput { account: "2000".into(), debit: String::new(), credit: "25.00".into(), memo: String::new() },
            ],
        };
        env.app.post_manual_entry(bk, &manual).await.unwrap();
        let aging = env.app.ap_aging(bk, as_of).await.unwrap();
        assert_eq!(aging.difference_cents, 2_500);
        assert!(!aging.ties());
    }
}

both_backends! {
    async fn voiding_a_payment_reverses_its_entry_and_reopens_its_bills(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let acme = vendor(&env, bk, "Acme Medical", "2/10 net 30", false).await;
        let b1 = bill(&env, bk, &acme, "A-1", "2026-06-01", 10_000).await;
        let b2 = bill(&env, bk, &acme, "A-2", "2026-06-02", 20_000).await;
        let paid = env
            .app
            .pay_bills(bk, &payment_run("2026-06-05", vec![payment(&acme, "check", "2040", &[(&b1.id, 10_000), (&b2.id, 20_000)])]))
            .await
            .unwrap();
        let p = paid.payments[0].clone();
        assert_eq!((p.amount_cents, p.discount_cents), (29_400, 600));
        assert!(env.app.bills_due(bk).await.unwrap().is_empty());

        let voided = env.app.void_bill_payment(bk, &p.id, &VoidPaymentInput { date: String::new(), reason: "spoiled".into() }).await.unwrap();
        assert_eq!((voided.status.as_str(), voided.void_date.as_deref()), ("voided", Some("2026-06-05")));
        assert_eq!(voided.bills.len(), 2);
        let reversal = env.app.journal_entry(bk, voided.void_entry_id.as_deref().unwrap()).await.unwrap();
        assert_eq!(reversal.reversal_of.as_deref(), Some(p.journal_entry_id.as_str()));
        assert_eq!(env.app.bills_due(bk).await.unwrap().len(), 2, "both bills are open again");
        assert_eq!(balance(&env, bk, accounts::ACCOUNTS_PAYABLE, "2026-06-30").await, (0, 30_000));
        assert_eq!(balance(&env, bk, accounts::PURCHASE_DISCOUNTS, "2026-06-30").await, (0, 0));
        assert_subledger_ties(&env, bk, "2026-06-30").await;
        assert!(env.app.ap_aging(bk, day("2026-06-30")).await.unwrap().ties());

        // The register shows the voided check; its number is not written again; a void is once.
        let register = env.app.check_register(bk, day("2026-06-01"), day("2026-06-30")).await.unwrap();
        assert_eq!(register.payments[0].status, "voided");
        assert_eq!(register.total_cents, 0);
        let reuse = env.app.pay_bills(bk, &payment_run("2026-06-06", vec![payment(&acme, "check", "2040", &[(&b1.id, 10_000)])])).await;
        assert_eq!(invalid_fields(reuse), ["payments[0].reference"]);
        let twice = env.app.void_bill_payment(bk, &p.id, &VoidPaymentInput::default()).await;
        assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");
        let early = env.app.pay_bills(bk, &payment_run("2026-06-06", vec![payment(&acme, "check", "2041", &[(&b1.id, 10_000)])])).await.unwrap();
        let before = env.app.void_bill_payment(bk, &early.payments[0].id, &VoidPaymentInput { date: "2026-06-01".into(), reason: String::new() }).await;
        assert_eq!(invalid_fields(before), ["date"]);
    }
}

both_backends! {
    async fn a_refused_run_writes_nothing_and_names_each_field(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let acme = vendor(&env, bk, "Acme Medical", "net_30", false).await;
        let other = vendor(&env, bk, "Other Supply", "net_30", false).await;
        let a1 = bill(&env, bk, &acme, "A-1", "2026-05-01", 10_000).await;
        let a2 = bill(&env, bk, &acme, "A-2", "2026-05-02", 10_000).await;
        let o1 = bill(&env, bk, &other, "O-1", "2026-05-03", 10_000).await;
        let o2 = bill(&env, bk, &other, "O-2", "2026-05-04", 10_000).await;
        env.app.pay_bills(bk, &payment_run("2026-06-01", vec![payment(&other, "check", "1001", &[(&o2.id, 10_000)])])).await.unwrap();
        let (payments, entries) = (rows(&env, "bill_payment").await, rows(&env, "journal_entry").await);

        let bad = env
            .app
            .pay_bills(
                bk,
                &payment_run(
                    "2026-06-02",
                    vec![
                        payment(&acme, "check", "", &[(&a1.id, 0), (&a2.id, 10_001)]),
                        payment(&other, "check", "1001", &[(&o2.id, 5_000), (&o1.id, 100), (&a1.id, 100)]),
                        payment(&other, "wire", "x", &[("no-such-bill", 100)]),
                    ],
                ),
            )
            .await;
        assert_eq!(
            invalid_fields(bad),
            [
                "payments[0].reference",
                "payments[0].bills[0].amount_cents",
                "payments[0].bills[1].amount_cents",
                "payments[1].reference",
                "payments[1].bills[0].bill_id",
                "payments[1].bills[2].bill_id",
                "payments[2].vendor_id",
                "payments[2].method",
                "payments[2].bills[0].bill_id",
            ]
        );

        // Not a cash account, a bad date, no payments.
        let mut not_cash = payment_run("2026-06-02", vec![payment(&acme, "ach", "T1", &[(&a1.id, 100)])]);
        not_cash.cash_account = "1100".into();
        assert_eq!(invalid_fields(env.app.pay_bills(bk, &not_cash).await), ["cash_account"]);
        not_cash.cash_account = "1010".into();
        assert_eq!(invalid_fields(env.app.pay_bills(bk, &not_cash).await), ["cash_account"]);
        assert_eq!(invalid_fields(env.app.pay_bills(bk, &payment_run("06/02/2026", vec![])).await), ["payment_date", "payments"]);

        // A closed month is refused by the ledger, on the run's date.
        env.app.close_period(&staff.admin, "2026-05").await.unwrap();
        let closed = env.app.pay_bills(bk, &payment_run("2026-05-31", vec![payment(&acme, "ach", "T2", &[(&a1.id, 100)])])).await;
        assert_eq!(invalid_fields(closed), ["payment_date"]);
        assert_eq!((rows(&env, "bill_payment").await, rows(&env, "journal_entry").await), (payments, entries));

        // A refusal at posting rolls back the payments posted before it in the run: with the
        // purchase discounts account closed, the second vendor's discount cannot be posted.
        let labs = vendor(&env, bk, "Discount Labs", "2/10 net 30", false).await;
        let l1 = bill(&env, bk, &labs, "L-1", "2026-06-01", 10_000).await;
        let (payments, entries) = (rows(&env, "bill_payment").await, rows(&env, "journal_entry").await);
        let chart = env.app.chart_of_accounts(bk).await.unwrap();
        let discounts = chart.iter().find(|a| a.number == accounts::PURCHASE_DISCOUNTS).unwrap();
        env.app.set_account_active(bk, &discounts.id, false).await.unwrap();
        let rolled_back = env
            .app
            .pay_bills(bk, &payment_run("2026-06-02", vec![payment(&acme, "ach", "T2", &[(&a1.id, 100)]), payment(&labs, "ach", "T3", &[(&l1.id, 10_000)])]))
            .await;
        assert_eq!(invalid_fields(rolled_back), ["payments[1].lines[2].account"]);

        assert_eq!((rows(&env, "bill_payment").await, rows(&env, "journal_entry").await), (payments, entries));
        assert_eq!(rows(&env, "bill_payment_application").await, 1);
        assert_eq!(env.app.bills_due(bk).await.unwrap().len(), 4);
    }
}

both_backends! {
    async fn only_the_bookkeeper_and_the_admin_pay_bills(env: TestEnv) {
        let staff = env.practice().await;
        let acme = vendor(&env, &staff.admin, "Acme Medical", "net_30", true).await;
        let b = bill(&env, &staff.admin, &acme, "1", "2026-06-01", 10_000).await;
        let input = payment_run("2026-06-02", vec![payment(&acme, "check", "1001", &[(&b.id, 1_000)])]);
        for actor in [&staff.front_desk, &staff.biller, &staff.provider] {
            assert!(matches!(env.app.pay_bills(actor, &input).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.payment_run_draft(actor, &[], day("2026-06-02"), "").await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.check_register(actor, day("2026-06-01"), day("2026-06-30")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.ap_aging(actor, day("2026-06-30")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.vendor_1099_totals(actor, 2026).await, Err(AppError::Forbidden)));
        }
        assert_eq!(rows(&env, "bill_payment").await, 0);
        let paid = env.app.pay_bills(&staff.bookkeeper, &input).await.unwrap();
        assert!(matches!(
            env.app.void_bill_payment(&staff.front_desk, &paid.payments[0].id, &VoidPaymentInput::default()).await,
            Err(AppError::Forbidden)
        ));
        env.app.void_bill_payment(&staff.admin, &paid.payments[0].id, &VoidPaymentInput::default()).await.unwrap();
    }
}

both_backends! {
    async fn the_1099_totals_are_the_cash_paid_in_each_calendar_year(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let contractor = vendor(&env, bk, "Dr. Locum", "2/10 net 30", true).await;
        let supplier = vendor(&env, bk, "Big Supply Inc", "net_30", false).await;
        let december = bill(&env, bk, &contractor, "2025-12", "2025-12-20", 150_000).await;
        let january = bill(&env, bk, &contractor, "2026-01", "2026-01-05", 300_000).await;
        let spoiled = bill(&env, bk, &contractor, "2026-02", "2026-02-01", 40_000).await;
        let supplies = bill(&env, bk, &supplier, "S-1", "2025-12-20", 99_000).await;
        env.app
            .pay_bills(bk, &payment_run("2025-12-29", vec![payment(&contractor, "check", "10", &[(&december.id, 150_000)]), payment(&supplier, "ach", "S", &[(&supplies.id, 99_000)])]))
            .await
            .unwrap();
        // Paid in full within the window: the 1099 counts the cash, not the discount.
        env.app.pay_bills(bk, &payment_run("2026-01-10", vec![payment(&contractor, "check", "11", &[(&january.id, 300_000)])])).await.unwrap();
        let void = env.app.pay_bills(bk, &payment_run("2026-02-02", vec![payment(&contractor, "check", "12", &[(&spoiled.id, 40_000)])])).await.unwrap();
        env.app.void_bill_payment(bk, &void.payments[0].id, &VoidPaymentInput::default()).await.unwrap();

        let y2025 = env.app.vendor_1099_totals(bk, 2025).await.unwrap();
        let rows: Vec<(&str, i64, bool)> = y2025.vendors.iter().map(|v| (v.vendor_name.as_str(), v.paid_cents, v.reportable)).collect();
        assert_eq!(rows, [("Dr. Locum", 147_000, true)], "a 2 % discount on 1,500.00 and no non-1099 vendor");
        assert_eq!(y2025.vendors[0].tax_id.as_deref(), Some("12-3456789"));
        let y2026 = env.app.vendor_1099_totals(bk, 2026).await.unwrap();
        let rows: Vec<(i64, i64, bool)> = y2026.vendors.iter().map(|v| (v.paid_cents, v.payments, v.reportable)).collect();
        assert_eq!(rows, [(294_000, 1, true)], "the voided check is not counted");
        assert_eq!(y2026.threshold_cents, 200_000);
        assert!(env.app.vendor_1099_totals(bk, 2024).await.unwrap().vendors.is_empty());
        assert_eq!(invalid_fields(env.app.vendor_1099_totals(bk, 20_000).await), ["year"]);
    }
}

both_backends! {
    async fn a_run_sent_twice_with_its_key_pays_once_even_at_the_same_moment(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let v = vendor(&env, bk, "Lakeside Linen", "net_30", false).await;
        let b = bill(&env, bk, &v, "LL-1", "2026-06-01", 50_000).await;
        // A partial ACH payment: nothing else (a check number, a paid bill) would stop a second one.
        let run = PaymentRunInput {
            idempotency_key: "run-7f3a".into(),
            ..payment_run("2026-06-15", vec![payment(&v, "ach", "ACH-1", &[(&b.id, 20_000)])])
        };
        let (first, second) = tokio::join!(env.app.pay_bills(bk, &run), env.app.pay_bills(bk, &run));
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(first.payments[0].id, second.payments[0].id, "both answers name the one payment");
        let third = env.app.pay_bills(bk, &run).await.unwrap();
        assert_eq!(third.payments[0].id, first.payments[0].id);
        assert_eq!(rows(&env, "bill_payment").await, 1);
        assert_eq!(balance(&env, bk, accounts::ACCOUNTS_PAYABLE, "2026-06-30").await, (0, 30_000));

        // Another run (another key) pays again, as asked.
        let again = PaymentRunInput { idempotency_key: "run-8b21".into(), ..run.clone() };
        env.app.pay_bills(bk, &again).await.unwrap();
        assert_eq!(rows(&env, "bill_payment").await, 2);
    }
}
