//! The general ledger through the use cases and the posting interface: the default chart, posting
//! inside a caller's transaction, each refusal naming its reason, idempotency, immutability at the
//! database level, reversals, the trial balance, period close and who may do what.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::ledger::{ManualEntryInput, ManualLineInput, NewAccountInput, NewEntry, NewLine, ReverseInput};
use medoffice_app::{AppError, Result};
use medoffice_domain::ledger::{DEFAULT_CHART, accounts};
use medoffice_store::audit::AuditFilter;
use sqlx::AssertSqlSafe;

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

both_backends! {
    async fn the_balance_sheet_balances_with_contra_accounts_and_the_income_statement_gives_the_net_income(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        for (date, memo, lines) in [
            ("2026-06-01", "Capital", vec![row("1000", "20,000", ""), row("3000", "", "20,000")]),
            ("2026-06-02", "Ultrasound", vec![row("1500", "5,000", ""), row("1000", "", "5,000")]),
            ("2026-06-03", "Charges", vec![row("1100", "1,500", ""), row("1110", "250", ""), row("4000", "", "1,750")]),
            ("2026-06-10", "ERA", vec![row("1000", "900", ""), row("4100", "400", ""), row("1100", "", "1,300")]),
            ("2026-06-12", "Supplies", vec![row("6200", "180.25", ""), row("2000", "", "180.25")]),
            ("2026-06-30", "Depreciation", vec![row("6700", "100", ""), row("1590", "", "100")]),
            ("2026-06-30", "Draw", vec![row("3100", "500", ""), row("1000", "", "500")]),
            ("2026-07-01", "July rent", vec![row("6100", "3,000", ""), row("1000", "", "3,000")]),
        ] {
            env.app.post_manual_entry(bk, &manual(date, memo, lines)).await.unwrap();
        }
        let bs = env.app.balance_sheet(bk, day("2026-06-30")).await.unwrap();
        assert!(bs.balances(), "{bs:?}");
        assert_eq!(bs.assets.total_cents, 2_075_000);
        let amount = |s: &medoffice_app::ledger_reports::StatementSection, n: &str| s.lines.iter().find(|l| l.number == n).map(|l| l.amount_cents);
        assert_eq!(amount(&bs.assets, "1590"), Some(-10_000), "accumulated depreciation reduces the assets");
        assert_eq!(amount(&bs.assets, "1000"), Some(1_540_000));
        assert_eq!(bs.liabilities.total_cents, 18_025);
        assert_eq!(amount(&bs.equity, "3100"), Some(-50_000), "draws reduce equity");
        assert_eq!(bs.net_income_not_closed_cents, 106_975);
        assert_eq!(bs.equity.total_cents, 2_000_000 - 50_000 + 106_975);
        assert_eq!(bs.total_liabilities_and_equity_cents, bs.assets.total_cents);

        let is = env.app.income_statement(bk, day("2026-06-01"), day("2026-06-30")).await.unwrap();
        assert_eq!(amount(&is.revenue, "4100"), Some(-40_000), "contractual adjustments reduce revenue");
        assert_eq!(is.revenue.total_cents, 135_000);
        assert_eq!(is.expenses.total_cents, 28_025);
        assert_eq!(is.net_income_cents, bs.net_income_not_closed_cents);
        let july = env.app.income_statement(bk, day("2026-07-01"), day("2026-07-31")).await.unwrap();
        assert_eq!((july.revenue.total_cents, july.net_income_cents), (0, -300_000));
        // The balance sheet still balances after July's loss.
        assert!(env.app.balance_sheet(bk, day("2026-07-31")).await.unwrap().balances());
    }
}

both_backends! {
    async fn the_same_event_posted_by_eight_writers_at_once_posts_once_and_every_writer_succeeds(env: TestEnv) {
        let staff = env.practice().await;
        // Make the chart first, so the writers race on the entry alone.
        env.app.chart_of_accounts(&staff.bookkeeper).await.unwrap();
        let practice = staff.admin.practice_id.clone();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (app, store, practice) = (env.app.clone(), env.store.clone(), practice.clone());
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let posted = app.post_entry(&mut tx, &practice, &copay("copay:race", 3000)).await.unwrap();
                tx.commit().await.unwrap();
                posted.entry.id
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(rows(&env, "journal_entry").await, 1);
        assert_eq!(rows(&env, "journal_line").await, 2);
    }
}

/// An account's balance from `hledger balance -O csv` output: `"Assets:Cash:Operating","$-12.50"`.
fn hledger_balances(csv: &str) -> std::collections::HashMap<String, i64> {
    csv.lines()
        .skip(1)
        .filter_map(|row| {
            let fields: Vec<&str> = row.split("\",\"").map(|f| f.trim_matches('"')).collect();
            let (account, amount) = (fields.first()?, fields.get(1)?);
            let amount = amount.replace(['$', ','], "");
            let cents = medoffice_domain::Money::parse(&amount).unwrap_or_else(|e| panic!("hledger amount {amount}: {e}")).cents();
            Some((account.to_string(), cents))
        })
        .filter(|(account, _)| account != "total")
        .collect()
}

both_backends! {
    async fn hledger_computes_the_same_balances_as_the_trial_balance_from_the_exported_journal(env: TestEnv) {
        use medoffice_app::ledger_reports::ExportFormat;
        use medoffice_domain::ledger::export::{ExportAccount, account_paths};
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let chart = env.app.chart_of_accounts(bk).await.unwrap();
        // A generated book: 120 entries of 2 to 4 lines on accounts across the chart, dates over
        // the first half of 2026, amounts up to $50,000, memos with characters a journal must escape.
        let mut seed: u64 = 0x5eed;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut tx = env.store.begin().await.unwrap();
        for i in 0..120 {
            let date = NaiveDate::from_ymd_opt(2026, 1 + next(6) as u32, 1 + next(28) as u32).unwrap();
            let mut lines = Vec::new();
            let mut net = 0i64;
            for _ in 0..1 + next(3) {
                let account = &chart[next(chart.len() as u64) as usize].number;
                let cents = 1 + next(5_000_000) as i64;
                if next(2) == 0 {
                    lines.push(NewLine::debit(account, cents));
                    net += cents;
                } else {
                    lines.push(NewLine::credit(account, cents));
                    net -= cents;
                }
            }
            let last = &chart[next(chart.len() as u64) as usize].number;
            match net {
                n if n > 0 => lines.push(NewLine::credit(last, n)),
                n if n < 0 => lines.push(NewLine::debit(last, -n)),
                _ => lines.push(NewLine::debit(last, 1)),
            }
            if net == 0 {
                lines.push(NewLine::credit(last, 1));
            }
            let entry = NewEntry {
                date: Some(date),
                memo: format!("Entry {i}; with a semicolon  and  spaces"),
                source_kind: "generated".into(),
                idempotency_key: Some(format!("gen:{i}")),
                posted_by: "test".into(),
                lines,
                ..Default::default()
            };
            env.app.post_entry(&mut tx, &bk.practice_id, &entry).await.unwrap();
        }
        tx.commit().await.unwrap();

        let journal = env.app.export_journal(bk, ExportFormat::Ledger).await.unwrap();
        let file = env.db.dir.path().join("books.journal");
        std::fs::write(&file, &journal).unwrap();
        let accounts: Vec<ExportAccount> = chart
            .iter()
            .map(|a| ExportAccount { number: a.number.clone(), name: a.name.clone(), account_type: medoffice_domain::ledger::AccountType::parse(&a.account_type).unwrap() })
            .collect();
        let paths = account_paths(&accounts);
        for (as_of, end) in [("2026-03-31", "2026-04-01"), ("2026-06-30", "2026-07-01")] {
            let output = std::process::Command::new("hledger")
                .args(["-f", file.to_str().unwrap(), "balance", "--flat", "-O", "csv", "-e", end])
                .output()
                .unwrap_or_else(|e| panic!("hledger is needed for this test (Debian: apt-get install hledger): {e}"));
            assert!(output.status.success(), "hledger failed: {}", String::from_utf8_lossy(&output.stderr));
            let theirs = hledger_balances(&String::from_utf8_lossy(&output.stdout));
            let tb = env.app.trial_balance(bk, day(as_of)).await.unwrap();
            let ours: std::collections::HashMap<String, i64> =
                tb.accounts.iter().map(|a| (paths[&a.number].clone(), a.debit_cents - a.credit_cents)).collect();
            assert!(ours.len() > 20, "a generated book touches most accounts: {}", ours.len());
            assert_eq!(ours, theirs, "as of {as_of}");
        }
        let csv = env.app.export_journal(bk, ExportFormat::Csv).await.unwrap();
        assert_eq!(csv.lines().count(), 1 + rows(&env, "journal_line").await as usize);
    }
}

both_backends! {
    async fn closing_a_year_moves_its_net_income_into_retained_earnings_and_closes_its_months(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        for (date, memo, lines) in [
            ("2025-02-01", "Capital", vec![row("1000", "10,000", ""), row("3000", "", "10,000")]),
            ("2025-03-03", "Charges", vec![row("1100", "4,000", ""), row("4000", "", "4,000")]),
            ("2025-03-20", "ERA", vec![row("1000", "2,500", ""), row("4100", "1,000", ""), row("1100", "", "3,500")]),
            ("2025-06-30", "Rent", vec![row("6100", "1,200", ""), row("1000", "", "1,200")]),
            ("2026-01-05", "Rent", vec![row("6100", "1,300", ""), row("1000", "", "1,300")]),
        ] {
            env.app.post_manual_entry(bk, &manual(date, memo, lines)).await.unwrap();
        }
        let closing = env.app.close_year(bk, 2025).await.unwrap();
        assert_eq!(closing.date, "2025-12-31");
        let sides: Vec<(&str, i64, i64)> = closing.lines.iter().map(|l| (l.account_number.as_str(), l.debit_cents, l.credit_cents)).collect();
        // Revenue 4,000 less adjustments 1,000 less rent 1,200: 1,800 of net income.
        assert_eq!(sides, [("4000", 400_000, 0), ("4100", 0, 100_000), ("6100", 0, 120_000), ("3900", 0, 180_000)]);

        let tb = env.app.trial_balance(bk, day("2025-12-31")).await.unwrap();
        assert!(tb.balances());
        assert!(tb.accounts.iter().all(|a| !a.number.starts_with('4') && !a.number.starts_with('6')), "{tb:?}");
        assert_eq!(tb.accounts.iter().find(|a| a.number == "3900").map(|a| a.credit_cents), Some(180_000));
        // The year's income statement still shows what it earned; the balance sheet balances with
        // nothing left "not yet closed" for 2025.
        let is = env.app.income_statement(bk, day("2025-01-01"), day("2025-12-31")).await.unwrap();
        assert_eq!(is.net_income_cents, 180_000);
        let bs = env.app.balance_sheet(bk, day("2025-12-31")).await.unwrap();
        assert!(bs.balances());
        assert_eq!(bs.net_income_not_closed_cents, 0);
        let bs = env.app.balance_sheet(bk, day("2026-01-31")).await.unwrap();
        assert!(bs.balances());
        assert_eq!(bs.net_income_not_closed_cents, -130_000);

        let periods: Vec<String> = env.app.closed_periods(bk).await.unwrap().into_iter().map(|p| p.0).collect();
        assert_eq!(periods.len(), 12);
        assert!(periods.contains(&"2025-01".to_string()) && periods.contains(&"2025-12".to_string()));
        let late = env.app.post_manual_entry(bk, &manual("2025-06-15", "Late", vec![row("6100", "1", ""), row("1000", "", "1")])).await;
        assert_eq!(invalid_fields(late), ["date"]);
        assert!(matches!(env.app.close_year(bk, 2025).await, Err(AppError::Conflict(m)) if m.contains("closed into retained earnings already")));
        assert!(matches!(env.app.close_year(&staff.front_desk, 2026).await, Err(AppError::Forbidden)));
        assert_eq!(invalid_fields(env.app.close_year(bk, 2024).await), ["year"]);
    }
}

both_backends! {
    async fn the_command_line_reads_the_one_practices_trial_balance_and_export_and_its_export_is_audited(env: TestEnv) {
        use medoffice_app::ledger_reports::{CLI_USERNAME, ExportFormat};
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        env.app.post_manual_entry(bk, &manual("2026-06-01", "Capital", vec![row("1000", "500", ""), row("3000", "", "500")])).await.unwrap();
        let tb = env.app.trial_balance_offline(Some("2026-06-30")).await.unwrap();
        assert_eq!((tb.as_of.as_str(), tb.total_debit_cents, tb.total_credit_cents), ("2026-06-30", 50_000, 50_000));
        // Today in New York is 2026-06-15 on the test clock.
        assert_eq!(env.app.trial_balance_offline(None).await.unwrap().as_of, "2026-06-15");
        assert_eq!(invalid_fields(env.app.trial_balance_offline(Some("June")).await), ["as_of"]);
        let offline = env.app.export_journal_offline(ExportFormat::Ledger).await.unwrap();
        assert_eq!(offline, env.app.export_journal(bk, ExportFormat::Ledger).await.unwrap());
        let trail = env.app.audit_trail(&staff.admin, &AuditFilter::default(), 100).await.unwrap();
        let exports: Vec<&str> = trail.iter().filter(|r| r.action == "ledger.export").map(|r| r.username.as_str()).collect();
        assert_eq!(exports.len(), 2, "{exports:?}");
        assert!(exports.contains(&CLI_USERNAME) && exports.contains(&"bookkeeper"));
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn a_random_mix_of_valid_and_invalid_postings_leaves_the_database_agreeing_with_the_domain_model(env: TestEnv) {
        use medoffice_domain::Money;
        use medoffice_domain::ledger::{Balances, Line, Section};
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let chart = env.app.chart_of_accounts(bk).await.unwrap();
        let mut model = Balances::new(DEFAULT_CHART.iter().map(|a| (a.number, a.account_type)));
        let mut seed: u64 = 42;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let (mut posted, mut refused) = (0, 0);
        for i in 0..150 {
            let mut lines = Vec::new();
            for _ in 0..next(4) {
                // Now and then an account that does not exist, a zero or a negative amount.
                let account = if next(25) == 0 { "9999".to_string() } else { chart[next(chart.len() as u64) as usize].number.clone() };
                let cents = next(1_000_000) as i64 - i64::from(next(40) == 0) * 2_000_000;
                lines.push(if next(2) == 0 { NewLine::debit(&account, cents) } else { NewLine::credit(&account, cents) });
            }
            // Most entries are balanced by a last line; some are left as they are.
            let net: i64 = lines.iter().map(|l| l.debit_cents - l.credit_cents).sum();
            if next(5) != 0 && net != 0 {
                let last = &chart[next(chart.len() as u64) as usize].number;
                lines.push(if net > 0 { NewLine::credit(last, net) } else { NewLine::debit(last, -net) });
            }
            let domain_lines: Vec<Line> = lines
                .iter()
                .map(|l| Line { account: l.account.clone(), debit: Money::from_cents(l.debit_cents), credit: Money::from_cents(l.credit_cents) })
                .collect();
            let expected = model.clone().post(&domain_lines).is_ok();
            let entry = NewEntry {
                date: Some(day("2026-06-15")),
                memo: format!("Random {i}"),
                source_kind: "test".into(),
                posted_by: "test".into(),
                lines,
                ..Default::default()
            };
            let mut tx = env.store.begin().await.unwrap();
            let result = env.app.post_entry(&mut tx, &bk.practice_id, &entry).await;
            assert_eq!(result.is_ok(), expected, "entry {i}: {:?} -> {result:?}", entry.lines);
            if result.is_ok() {
                tx.commit().await.unwrap();
                model.post(&domain_lines).unwrap();
                posted += 1;
            } else {
                assert!(matches!(result, Err(AppError::Validation(_))), "{result:?}");
                tx.rollback().await.unwrap();
                refused += 1;
            }
        }
        assert!(posted > 50 && refused > 10, "posted {posted}, refused {refused}");
        assert_eq!(rows(&env, "journal_entry").await, posted);
        let tb = env.app.trial_balance(bk, day("2026-06-30")).await.unwrap();
        let (debits, credits) = model.totals();
        assert!(tb.balances());
        let net_by_number: std::collections::HashMap<&str, i64> = tb.accounts.iter().map(|a| (a.number.as_str(), a.debit_cents - a.credit_cents)).collect();
        let bs = env.app.balance_sheet(bk, day("2026-06-30")).await.unwrap();
        assert!(bs.balances());
        assert_eq!(bs.assets.total_cents, model.section_total(Section::Asset).cents());
        assert_eq!(bs.liabilities.total_cents, model.section_total(Section::Liability).cents());
        assert!(debits == credits && model.equation_holds());
        for a in DEFAULT_CHART {
            assert_eq!(net_by_number.get(a.number).copied().unwrap_or(0), model.net(a.number).cents(), "account {}", a.number);
        }
        assert!(net_by_number.len() > 20, "{}", net_by_number.len());
    }
}

both_backends! {
    async fn a_control_account_splits_into_its_parties_subledgers_and_ties_to_them(env: TestEnv) {
        use medoffice_store::ledger::Party;
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let practice = bk.practice_id.clone();
        let post = |key: &'static str, lines: Vec<NewLine>| NewEntry {
            date: Some(day("2026-06-10")),
            memo: key.into(),
            source_kind: "test".into(),
            idempotency_key: Some(key.into()),
            posted_by: "test".into(),
            lines,
            ..Default::default()
        };
        let mut tx = env.store.begin().await.unwrap();
        for entry in [
            post("charge-a", vec![NewLine::debit(accounts::AR_PATIENTS, 12_000).patient("patient-a"), NewLine::credit(accounts::PATIENT_SERVICE_REVENUE, 12_000)]),
            post("charge-b", vec![NewLine::debit(accounts::AR_PATIENTS, 8_000).patient("patient-b"), NewLine::credit(accounts::PATIENT_SERVICE_REVENUE, 8_000)]),
            post("copay-a", vec![NewLine::debit(accounts::UNDEPOSITED_FUNDS, 2_500), NewLine::credit(accounts::AR_PATIENTS, 2_500).patient("patient-a")]),
            post("paid-b", vec![NewLine::debit(accounts::UNDEPOSITED_FUNDS, 8_000), NewLine::credit(accounts::AR_PATIENTS, 8_000).patient("patient-b")]),
        ] {
            env.app.post_entry(&mut tx, &practice, &entry).await.unwrap();
        }
        tx.commit().await.unwrap();
        // A manual adjustment names no patient: it shows as unassigned, and the subledger still ties.
        env.app.post_manual_entry(bk, &manual("2026-06-11", "Adjustment", vec![row("1110", "5", ""), row("4900", "", "5")])).await.unwrap();

        let sub = env.app.subledger(bk, accounts::AR_PATIENTS, Party::Patient, day("2026-06-30")).await.unwrap();
        let parties: Vec<(&str, i64)> = sub.parties.iter().map(|p| (p.party_id.as_str(), p.net_cents)).collect();
        assert_eq!(parties, [("patient-a", 9_500)], "patient-b has paid in full");
        assert_eq!((sub.unassigned_cents, sub.control_cents), (500, 10_000));
        assert!(sub.ties());
        let before = env.app.subledger(bk, accounts::AR_PATIENTS, Party::Patient, day("2026-06-09")).await.unwrap();
        assert!(before.parties.is_empty() && before.control_cents == 0 && before.ties());
        assert_eq!(invalid_fields(env.app.subledger(bk, "1999", Party::Patient, day("2026-06-30")).await), ["account"]);
        assert!(matches!(env.app.subledger(&staff.front_desk, "1110", Party::Patient, day("2026-06-30")).await, Err(AppError::Forbidden)));
    }
}
