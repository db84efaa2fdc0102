//! The general ledger through the use cases and the posting interface: the default chart, posting
//! inside a caller's transaction, each refusal naming its reason, idempotency, immutability at the
//! database level, reversals, the trial balance, period close and who may do what.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use sqlx::AssertSqlSafe;
use chrono::NaiveDate;
use medoffice_app::ledger::{ManualEntryInput, ManualLineInput, NewAccountInput, NewEntry, NewLine, ReverseInput};
use medoffice_app::{AppError, Result};
use medoffice_domain::ledger::{DEFAULT_CHART, accounts};
use medoffice_store::audit::AuditFilter;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn row(account: &str, debit: &str, credit: &str) -> ManualLineInput {
    ManualLineInput { account: account.into(), debit: debit.into(), credit: credit.into(), memo: String::new() }
}

fn manual(date: &str, memo: &str, lines: Vec<ManualLineInput>) -> ManualEntryInput {
    ManualEntryInput { date: date.into(), memo: memo.into(), idempotency_key: String::new(), lines }
}

/// A co-pay as the front desk's module would post it.
fn copay(key: &str, cents: i64) -> NewEntry {
    NewEntry {
        date: Some(day("2026-06-15")),
        memo: "Co-pay".into(),
        source_kind: "copay".into(),
        source_id: Some("payment-1".into()),
        idempotency_key: Some(key.into()),
        reversal_of: None,
        posted_by: "front_desk".into(),
        lines: vec![NewLine::debit(accounts::UNDEPOSITED_FUNDS, cents), NewLine::credit(accounts::AR_PATIENTS, cents)],
    }
}

/// Rows in one of the ledger's tables.
async fn rows(env: &TestEnv, table: &str) -> i64 {
    assert!(["ledger_account", "journal_entry", "journal_line"].contains(&table), "rows() of {table}");
    let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

fn message(result: &Result<impl std::fmt::Debug>, field: &str) -> String {
    match result {
        Err(AppError::Validation(e)) => e.for_field(field).unwrap_or_else(|| panic!("no error on {field}: {e:?}")).to_string(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

both_backends! {
    async fn a_practice_starts_with_the_default_chart_of_a_medical_practice(env: TestEnv) {
        let staff = env.practice().await;
        let chart = env.app.chart_of_accounts(&staff.bookkeeper).await.unwrap();
        assert_eq!(chart.len(), DEFAULT_CHART.len());
        let ar = chart.iter().find(|a| a.number == accounts::AR_INSURANCE).unwrap();
        assert_eq!((ar.name.as_str(), ar.account_type.as_str(), ar.normal_balance.as_str()), ("Accounts receivable - Insurance", "asset", "debit"));
        let allowance = chart.iter().find(|a| a.number == accounts::ALLOWANCE_FOR_DOUBTFUL_ACCOUNTS).unwrap();
        assert_eq!((allowance.account_type.as_str(), allowance.normal_balance.as_str()), ("contra_asset", "credit"));
        assert_eq!(allowance.parent_number.as_deref(), Some(accounts::AR_PATIENTS));
        let adjustments = chart.iter().find(|a| a.number == accounts::CONTRACTUAL_ADJUSTMENTS).unwrap();
        assert_eq!((adjustments.normal_balance.as_str(), adjustments.parent_number.as_deref()), ("debit", Some(accounts::PATIENT_SERVICE_REVENUE)));
        // A second read does not make a second chart.
        assert_eq!(env.app.chart_of_accounts(&staff.admin).await.unwrap().len(), DEFAULT_CHART.len());
        assert_eq!(rows(&env, "ledger_account").await, DEFAULT_CHART.len() as i64);
    }
}

both_backends! {
    async fn a_module_posts_inside_its_own_transaction_and_a_rollback_leaves_no_entry(env: TestEnv) {
        let staff = env.practice().await;
        let practice = staff.admin.practice_id.clone();
        let mut tx = env.store.begin().await.unwrap();
        let posted = env.app.post_entry(&mut tx, &practice, &copay("copay:1", 2500)).await.unwrap();
        assert!(!posted.already_posted);
        assert_eq!(posted.entry.total_cents, 2500);
        assert_eq!(posted.lines.len(), 2);
        tx.rollback().await.unwrap();
        assert_eq!(rows(&env, "journal_entry").await, 0);
        assert_eq!(rows(&env, "journal_line").await, 0);

        let mut tx = env.store.begin().await.unwrap();
        let posted = env.app.post_entry(&mut tx, &practice, &copay("copay:1", 2500)).await.unwrap();
        tx.commit().await.unwrap();
        let shown = env.app.journal_entry(&staff.bookkeeper, &posted.entry.id).await.unwrap();
        assert_eq!(shown.entry_number, 1);
        assert_eq!(shown.source_kind, "copay");
        let sides: Vec<(&str, i64, i64)> = shown.lines.iter().map(|l| (l.account_number.as_str(), l.debit_cents, l.credit_cents)).collect();
        assert_eq!(sides, [(accounts::UNDEPOSITED_FUNDS, 2500, 0), (accounts::AR_PATIENTS, 0, 2500)]);
    }
}

both_backends! {
    async fn the_same_idempotency_key_posts_once_and_returns_the_first_entry(env: TestEnv) {
        let staff = env.practice().await;
        let practice = staff.admin.practice_id.clone();
        let mut tx = env.store.begin().await.unwrap();
        let first = env.app.post_entry(&mut tx, &practice, &copay("copay:7", 4000)).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = env.store.begin().await.unwrap();
        // Even with another amount: the key says it is the same event.
        let again = env.app.post_entry(&mut tx, &practice, &copay("copay:7", 9999)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(again.already_posted);
        assert_eq!(again.entry, first.entry);
        assert_eq!(rows(&env, "journal_entry").await, 1);
        let tb = env.app.trial_balance(&staff.bookkeeper, day("2026-06-30")).await.unwrap();
        assert_eq!((tb.total_debit_cents, tb.total_credit_cents), (4000, 4000));

        // A manual entry's form token does the same for a double submit.
        let mut input = manual("2026-06-15", "Bank fee", vec![row("6600", "12.00", ""), row("1000", "", "12.00")]);
        input.idempotency_key = "form-token-1".into();
        let a = env.app.post_manual_entry(&staff.bookkeeper, &input).await.unwrap();
        let b = env.app.post_manual_entry(&staff.bookkeeper, &input).await.unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(rows(&env, "journal_entry").await, 2);
    }
}

both_backends! {
    async fn each_refusal_names_its_reason_and_posts_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;

        let unbalanced = env.app.post_manual_entry(bk, &manual("2026-06-15", "Rent", vec![row("6100", "3000", ""), row("1000", "", "2900")])).await;
        assert_eq!(message(&unbalanced, "lines"), "the entry does not balance: debits $3,000.00, credits $2,900.00 (difference $100.00)");

        let no_lines = env.app.post_manual_entry(bk, &manual("2026-06-15", "Nothing", vec![row("", "", "")])).await;
        assert!(message(&no_lines, "lines").contains("needs lines"));

        let one_line = env.app.post_manual_entry(bk, &manual("2026-06-15", "Half", vec![row("6100", "10", "")])).await;
        assert!(message(&one_line, "lines").contains("at least two lines"));

        // The zero line is the third row of the form (index 2), after a blank row that is ignored.
        let zero = env
            .app
            .post_manual_entry(bk, &manual("2026-06-15", "Zero", vec![row("6100", "10", ""), row("", "", ""), row("6210", "0", ""), row("1000", "", "10")]))
            .await;
        assert!(message(&zero, "lines[2].debit").contains("zero line"), "{zero:?}");

        let unknown = env.app.post_manual_entry(bk, &manual("2026-06-15", "Typo", vec![row("6100", "10", ""), row("1999", "", "10")])).await;
        assert_eq!(message(&unknown, "lines[1].account"), "line 2: there is no account 1999");

        let bad_amount = env.app.post_manual_entry(bk, &manual("2026-06-15", "Typo", vec![row("6100", "ten", ""), row("1000", "", "10")])).await;
        assert_eq!(invalid_fields(bad_amount), ["lines[0].debit"]);

        let no_memo = env.app.post_manual_entry(bk, &manual("2026-06-15", " ", vec![row("6100", "10", ""), row("1000", "", "10")])).await;
        assert_eq!(invalid_fields(no_memo), ["memo"]);

        let bad_date = env.app.post_manual_entry(bk, &manual("15/06/2026", "Rent", vec![row("6100", "10", ""), row("1000", "", "10")])).await;
        assert_eq!(invalid_fields(bad_date), ["date"]);

        // A closed account.
        let chart = env.app.chart_of_accounts(bk).await.unwrap();
        let petty = chart.iter().find(|a| a.number == "1020").unwrap();
        env.app.set_account_active(bk, &petty.id, false).await.unwrap();
        let closed = env.app.post_manual_entry(bk, &manual("2026-06-15", "Petty", vec![row("1020", "10", ""), row("1000", "", "10")])).await;
        assert_eq!(message(&closed, "lines[0].account"), "line 1: account 1020 Petty cash is closed");

        // A closed period, through the posting interface too.
        env.app.close_period(bk, "2026-05").await.unwrap();
        let in_may = env.app.post_manual_entry(bk, &manual("2026-05-31", "Late", vec![row("6100", "10", ""), row("1000", "", "10")])).await;
        assert!(message(&in_may, "date").contains("closed period (2026-05)"));
        let mut tx = env.store.begin().await.unwrap();
        let mut entry = copay("copay:may", 500);
        entry.date = Some(day("2026-05-02"));
        let refused = env.app.post_entry(&mut tx, &bk.practice_id, &entry).await;
        assert!(message(&refused, "date").contains("closed period"));
        drop(tx);

        assert_eq!(rows(&env, "journal_entry").await, 0);
        assert_eq!(rows(&env, "journal_line").await, 0);
    }
}

both_backends! {
    async fn posted_entries_cannot_be_changed_or_deleted_even_by_raw_sql(env: TestEnv) {
        let staff = env.practice().await;
        let entry = env.app.post_manual_entry(&staff.bookkeeper, &manual("2026-06-01", "Owner's investment", vec![row("1000", "50,000.00", ""), row("3000", "", "50,000.00")])).await.unwrap();
        let pool = env.store.pool();
        for sql in [
            "UPDATE journal_entry SET memo = 'changed'",
            "DELETE FROM journal_entry",
            "UPDATE journal_line SET debit_cents = debit_cents + 1 WHERE debit_cents > 0",
            "DELETE FROM journal_line",
        ] {
            let result = sqlx::query(sql).execute(pool).await;
            assert!(result.is_err(), "{sql} was allowed");
            assert!(result.unwrap_err().to_string().contains("append-only"), "{sql}");
        }
        let unchanged = env.app.journal_entry(&staff.bookkeeper, &entry.id).await.unwrap();
        assert_eq!(unchanged.memo, "Owner's investment");
        assert_eq!(unchanged.lines[0].debit_cents, 5_000_000);
        assert_eq!(rows(&env, "journal_line").await, 2);
    }
}

both_backends! {
    async fn a_reversal_undoes_an_entry_is_linked_to_it_and_happens_once(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let rent = env.app.post_manual_entry(bk, &manual("2026-06-01", "June rent", vec![row("6100", "3,200.00", ""), row("1000", "", "3,200.00")])).await.unwrap();
        let reversal = env.app.reverse_entry(bk, &rent.id, &ReverseInput { date: "2026-06-02".into(), memo: String::new() }).await.unwrap();
        assert_eq!(reversal.reversal_of.as_deref(), Some(rent.id.as_str()));
        assert_eq!(reversal.source_kind, "reversal");
        assert_eq!(reversal.memo, "Reversal of entry #1: June rent");
        let sides: Vec<(&str, i64, i64)> = reversal.lines.iter().map(|l| (l.account_number.as_str(), l.debit_cents, l.credit_cents)).collect();
        assert_eq!(sides, [("6100", 0, 320_000), ("1000", 320_000, 0)]);
        assert_eq!(env.app.journal_entry(bk, &rent.id).await.unwrap().reversed_by.as_deref(), Some(reversal.id.as_str()));

        let tb = env.app.trial_balance(bk, day("2026-06-30")).await.unwrap();
        assert!(tb.accounts.is_empty(), "{tb:?}");
        // Before the reversal's date, the rent is still there.
        let tb = env.app.trial_balance(bk, day("2026-06-01")).await.unwrap();
        assert_eq!((tb.total_debit_cents, tb.total_credit_cents), (320_000, 320_000));

        let twice = env.app.reverse_entry(bk, &rent.id, &ReverseInput::default()).await;
        assert!(matches!(&twice, Err(AppError::Conflict(m)) if m.contains("already reversed by entry #2")), "{twice:?}");
        assert_eq!(rows(&env, "journal_entry").await, 2);

        let trail = env.app.audit_trail(&staff.admin, &AuditFilter { username: Some("bookkeeper".into()), ..Default::default() }, 50).await.unwrap();
        assert!(trail.iter().any(|r| r.action == "ledger.entry.reverse" && r.record_id.as_deref() == Some(reversal.id.as_str())));
        assert!(trail.iter().any(|r| r.action == "ledger.entry.post" && r.record_id.as_deref() == Some(rent.id.as_str())));
    }
}

both_backends! {
    async fn the_trial_balance_totals_are_equal_and_each_account_falls_on_its_side(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        for (date, memo, lines) in [
            ("2026-06-01", "Capital", vec![row("1000", "20,000", ""), row("3000", "", "20,000")]),
            ("2026-06-03", "Charges", vec![row("1100", "1,500", ""), row("1110", "250", ""), row("4000", "", "1,750")]),
            ("2026-06-10", "ERA", vec![row("1000", "900", ""), row("4100", "400", ""), row("1100", "", "1,300")]),
            ("2026-06-12", "Supplies", vec![row("6200", "180.25", ""), row("2000", "", "180.25")]),
            ("2026-07-01", "July rent", vec![row("6100", "3,000", ""), row("1000", "", "3,000")]),
        ] {
            env.app.post_manual_entry(bk, &manual(date, memo, lines)).await.unwrap();
        }
        let tb = env.app.trial_balance(bk, day("2026-06-30")).await.unwrap();
        assert!(tb.balances());
        assert_eq!(tb.total_debit_cents, tb.total_credit_cents);
        let line = |n: &str| tb.accounts.iter().find(|a| a.number == n).map(|a| (a.debit_cents, a.credit_cents));
        assert_eq!(line("1000"), Some((2_090_000, 0)));
        assert_eq!(line("1100"), Some((20_000, 0)));
        assert_eq!(line("4100"), Some((40_000, 0)));
        assert_eq!(line("4000"), Some((0, 175_000)));
        assert_eq!(line("2000"), Some((0, 18_025)));
        assert_eq!(line("6100"), None, "July's rent is after the date");
        let sum_debits: i64 = tb.accounts.iter().map(|a| a.debit_cents).sum();
        assert_eq!(sum_debits, tb.total_debit_cents);

        // The cash account's detail with its running balance.
        let chart = env.app.chart_of_accounts(bk).await.unwrap();
        let cash = chart.iter().find(|a| a.number == "1000").unwrap();
        let detail = env.app.account_detail(bk, &cash.id, day("2026-06-02"), day("2026-07-31")).await.unwrap();
        assert_eq!(detail.opening_balance_cents, 2_000_000);
        let balances: Vec<i64> = detail.lines.iter().map(|l| l.balance_cents).collect();
        assert_eq!(balances, [2_090_000, 1_790_000]);
        assert_eq!(detail.closing_balance_cents, 1_790_000);
    }
}

both_backends! {
    async fn accounts_are_added_and_closed_but_a_reopened_period_takes_postings_again(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let added = env
            .app
            .add_account(bk, &NewAccountInput { number: "6120".into(), name: "Laboratory fees".into(), account_type: "expense".into(), parent: String::new() })
            .await
            .unwrap();
        assert_eq!((added.normal_balance.as_str(), added.active), ("debit", true));
        let dup = env.app.add_account(bk, &NewAccountInput { number: "6120".into(), name: "Again".into(), account_type: "expense".into(), parent: "77".into() }).await;
        assert_eq!(invalid_fields(dup), ["number", "parent"]);
        env.app.post_manual_entry(bk, &manual("2026-06-05", "Lab", vec![row("6120", "75", ""), row("2000", "", "75")])).await.unwrap();

        env.app.close_period(bk, "2026-06").await.unwrap();
        assert!(matches!(env.app.close_period(bk, "2026-06").await, Err(AppError::Conflict(_))));
        assert!(matches!(env.app.reopen_period(bk, "2026-06").await, Err(AppError::Forbidden)));
        env.app.reopen_period(&staff.admin, "2026-06").await.unwrap();
        env.app.post_manual_entry(bk, &manual("2026-06-20", "Lab", vec![row("6120", "25", ""), row("2000", "", "25")])).await.unwrap();
        let trail = env.app.audit_trail(&staff.admin, &AuditFilter::default(), 100).await.unwrap();
        assert!(trail.iter().any(|r| r.action == "ledger.period.reopen" && r.record_id.as_deref() == Some("2026-06")));
    }
}

both_backends! {
    async fn only_the_bookkeeper_and_the_admin_see_and_keep_the_books(env: TestEnv) {
        let staff = env.practice().await;
        for actor in [&staff.front_desk, &staff.biller, &staff.provider] {
            assert!(matches!(env.app.chart_of_accounts(actor).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.trial_balance(actor, day("2026-06-30")).await, Err(AppError::Forbidden)));
            let posted = env.app.post_manual_entry(actor, &manual("2026-06-15", "x", vec![row("6100", "1", ""), row("1000", "", "1")])).await;
            assert!(matches!(posted, Err(AppError::Forbidden)));
        }
        assert!(env.app.trial_balance(&staff.admin, day("2026-06-30")).await.is_ok());
        env.app.post_manual_entry(&staff.admin, &manual("2026-06-15", "x", vec![row("6100", "1", ""), row("1000", "", "1")])).await.unwrap();
        assert_eq!(rows(&env, "journal_entry").await, 1);
    }
}
