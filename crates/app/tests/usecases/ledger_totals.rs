//! The ledger's daily totals (migration 0014): every report read from `ledger_daily_total` equals
//! the same report summed from the journal lines, after any mix of postings (several dates,
//! parties, reversals, refused entries, a year-end close); subledgers tie to their control
//! accounts; a refused posting writes nothing; the totals cannot be lowered or deleted.

use crate::harness::{TestEnv, both_backends};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::ledger::{NewEntry, NewLine, ReverseInput};
use medoffice_domain::Money;
use medoffice_domain::ledger::{AccountType, Section, accounts, section_balance};
use medoffice_store::ledger::{self as store, AccountTotalsRow, Party};
use std::collections::HashMap;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Debits less credits per account id, accounts netting to zero left out.
fn nets(rows: &[AccountTotalsRow]) -> HashMap<String, i64> {
    rows.iter().map(|r| (r.account_id.clone(), r.debit_cents - r.credit_cents)).filter(|(_, n)| *n != 0).collect()
}

/// Every (account, date, debits, credits) of the daily totals, and the same summed from the lines.
async fn daily_rows(env: &TestEnv) -> (Vec<(String, String, i64, i64)>, Vec<(String, String, i64, i64)>) {
    let totals =
        sqlx::query_as("SELECT account_id, entry_date, debit_cents, credit_cents FROM ledger_daily_total ORDER BY account_id, entry_date")
            .fetch_all(env.store.pool())
            .await
            .unwrap();
    let lines = sqlx::query_as(
        "SELECT account_id, entry_date, CAST(SUM(debit_cents) AS BIGINT), CAST(SUM(credit_cents) AS BIGINT) FROM journal_line \
         GROUP BY account_id, entry_date ORDER BY account_id, entry_date",
    )
    .fetch_all(env.store.pool())
    .await
    .unwrap();
    (totals, lines)
}

/// Lines and the sum of the daily totals, inside a transaction.
async fn written(conn: &mut sqlx::AnyConnection) -> (i64, i64) {
    let (lines,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM journal_line").fetch_one(&mut *conn).await.unwrap();
    let (sum,): (i64,) = sqlx::query_as("SELECT CAST(COALESCE(SUM(debit_cents + credit_cents), 0) AS BIGINT) FROM ledger_daily_total")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    (lines, sum)
}

both_backends! {
    async fn reports_from_the_daily_totals_equal_the_sums_of_the_lines_after_a_random_mix_of_postings(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let practice = bk.practice_id.clone();
        let chart = env.app.chart_of_accounts(bk).await.unwrap();
        let dates = ["2025-11-03", "2025-11-28", "2025-12-01", "2025-12-15", "2025-12-31", "2026-01-02", "2026-01-02", "2026-01-20", "2026-02-10", "2026-02-28"];
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut posted: Vec<String> = Vec::new();
        let (mut refused, mut reversed) = (0, 0);
        for i in 0..160 {
            if i == 100 {
                // Revenue and expenses of 2025 into retained earnings; the months of 2025 close.
                env.app.close_year(bk, 2025).await.unwrap();
            }
            if i % 9 == 8 && !posted.is_empty() {
                let original = posted[next(posted.len() as u64) as usize].clone();
                let date = dates[5 + next(5) as usize].to_string();
                match env.app.reverse_entry(bk, &original, &ReverseInput { date, memo: format!("Correction {i}") }).await {
                    Ok(_) => reversed += 1,
                    Err(AppError::Conflict(m)) => assert!(m.contains("already reversed"), "{m}"),
                    Err(e) => panic!("reversal of {original}: {e:?}"),
                }
                continue;
            }
            let mut lines = Vec::new();
            for _ in 0..1 + next(4) {
                let account = if next(30) == 0 { "9999".to_string() } else { chart[next(chart.len() as u64) as usize].number.clone() };
                let cents = 1 + next(500_000) as i64 - i64::from(next(40) == 0) * 1_000_000;
                let mut line = if next(2) == 0 { NewLine::debit(&account, cents) } else { NewLine::credit(&account, cents) };
                // Receivable and payable lines mostly name their party; some name none.
                match account.as_str() {
                    accounts::AR_PATIENTS if next(4) != 0 => line = line.patient(&format!("patient-{}", next(5))),
                    accounts::ACCOUNTS_PAYABLE if next(4) != 0 => line.vendor_id = Some(format!("vendor-{}", next(3))),
                    _ => {}
                }
                lines.push(line);
            }
            let net: i64 = lines.iter().map(|l| l.debit_cents - l.credit_cents).sum();
            if next(6) != 0 && net != 0 {
                let last = &chart[next(chart.len() as u64) as usize].number;
                lines.push(if net > 0 { NewLine::credit(last, net) } else { NewLine::debit(last, -net) });
            }
            let entry = NewEntry {
                date: Some(day(dates[next(dates.len() as u64) as usize])),
                memo: format!("Random {i}"),
                source_kind: "test".into(),
                posted_by: "test".into(),
                lines,
                ..Default::default()
            };
            let mut tx = env.store.begin().await.unwrap();
            let before = written(&mut tx).await;
            match env.app.post_entry(&mut tx, &practice, &entry).await {
                Ok(p) => {
                    tx.commit().await.unwrap();
                    posted.push(p.entry.id);
                }
                Err(e) => {
                    assert!(matches!(e, AppError::Validation(_)), "{e:?}");
                    // A refused entry writes no line and adds nothing to any day's total.
                    assert_eq!(written(&mut tx).await, before, "entry {i}");
                    tx.rollback().await.unwrap();
                    refused += 1;
                }
            }
        }
        assert!(posted.len() > 60 && refused > 10 && reversed > 3, "posted {}, refused {refused}, reversed {reversed}", posted.len());

        // The table itself: each account's day is the sum of that day's lines.
        let (totals, lines) = daily_rows(&env).await;
        assert!(totals.len() > 40, "{}", totals.len());
        assert_eq!(totals, lines);

        let mut conn = env.store.pool().acquire().await.unwrap();
        let account_of: HashMap<String, (String, AccountType)> =
            chart.iter().map(|a| (a.id.clone(), (a.number.clone(), AccountType::parse(&a.account_type).unwrap()))).collect();
        for as_of in ["2025-11-02", "2025-11-03", "2025-12-14", "2025-12-31", "2026-01-02", "2026-02-28"] {
            let from_lines = store::account_totals_from_lines(&mut conn, &practice, "0001-01-01", as_of).await.unwrap();
            let expected = nets(&from_lines);
            let tb = env.app.trial_balance(bk, day(as_of)).await.unwrap();
            assert!(tb.balances(), "{as_of}");
            let got: HashMap<String, i64> = tb.accounts.iter().map(|a| (a.account_id.clone(), a.debit_cents - a.credit_cents)).collect();
            assert_eq!(got, expected, "trial balance as of {as_of}");

            let bs = env.app.balance_sheet(bk, day(as_of)).await.unwrap();
            assert!(bs.balances(), "{as_of}");
            let section_total = |which: Section| -> i64 {
                from_lines
                    .iter()
                    .filter(|r| account_of[&r.account_id].1.section() == which)
                    .map(|r| section_balance(which, Money::from_cents(r.debit_cents), Money::from_cents(r.credit_cents)).cents())
                    .sum()
            };
            assert_eq!(bs.assets.total_cents, section_total(Section::Asset), "{as_of}");
            assert_eq!(bs.liabilities.total_cents, section_total(Section::Liability), "{as_of}");
            assert_eq!(bs.net_income_not_closed_cents, section_total(Section::Revenue) - section_total(Section::Expense), "{as_of}");

            // Subledgers tie to their control accounts, whose balance is the lines' own.
            for (number, party) in [(accounts::AR_PATIENTS, Party::Patient), (accounts::ACCOUNTS_PAYABLE, Party::Vendor)] {
                let sub = env.app.subledger(bk, number, party, day(as_of)).await.unwrap();
                assert!(sub.ties(), "{number} as of {as_of}: {sub:?}");
                let id = chart.iter().find(|a| a.number == number).unwrap().id.clone();
                assert_eq!(sub.control_cents, expected.get(&id).copied().unwrap_or(0), "{number} as of {as_of}");
            }
        }

        // Income statements over periods, the year-end closing entry left out, as summed from the lines.
        let mut closed_year_net = None;
        for (from, to) in [("2025-11-01", "2025-12-31"), ("2025-12-31", "2025-12-31"), ("2026-01-01", "2026-02-28"), ("2025-01-01", "2026-12-31"), ("2026-01-02", "2026-01-02")] {
            let from_lines = store::account_totals_without_source_from_lines(&mut conn, &practice, from, to, "year_end_close").await.unwrap();
            let mut expected: HashMap<String, i64> = HashMap::new();
            for r in &from_lines {
                let section = account_of[&r.account_id].1.section();
                if matches!(section, Section::Revenue | Section::Expense) {
                    let amount = section_balance(section, Money::from_cents(r.debit_cents), Money::from_cents(r.credit_cents)).cents();
                    if amount != 0 {
                        expected.insert(r.account_id.clone(), amount);
                    }
                }
            }
            let is = env.app.income_statement(bk, day(from), day(to)).await.unwrap();
            let got: HashMap<String, i64> =
                is.revenue.lines.iter().chain(is.expenses.lines.iter()).map(|l| (l.account_id.clone(), l.amount_cents)).collect();
            assert_eq!(got, expected, "income statement {from}..{to}");
            if from == "2025-11-01" {
                closed_year_net = Some(is.net_income_cents);
            }
        }
        // 2025's income survives its close, which emptied revenue and expenses as of December 31.
        assert_ne!(closed_year_net, Some(0));
        let tb = env.app.trial_balance(bk, day("2025-12-31")).await.unwrap();
        assert!(tb.accounts.iter().all(|a| !matches!(account_of[&a.account_id].1.section(), Section::Revenue | Section::Expense)), "{tb:?}");
    }
}

both_backends! {
    async fn a_days_total_only_grows_and_is_never_deleted_even_by_raw_sql(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let entry = NewEntry {
            date: Some(day("2026-03-02")),
            memo: "Rent".into(),
            source_kind: "test".into(),
            posted_by: "test".into(),
            lines: vec![NewLine::debit("6100", 150_000), NewLine::credit(accounts::CASH_OPERATING, 150_000)],
            ..Default::default()
        };
        let mut tx = env.store.begin().await.unwrap();
        env.app.post_entry(&mut tx, &bk.practice_id, &entry).await.unwrap();
        tx.commit().await.unwrap();
        let pool = env.store.pool();
        for sql in [
            "UPDATE ledger_daily_total SET debit_cents = debit_cents - 1 WHERE debit_cents > 0",
            "UPDATE ledger_daily_total SET entry_date = '2026-03-03'",
            "DELETE FROM ledger_daily_total",
        ] {
            assert!(sqlx::query(sql).execute(pool).await.is_err(), "{sql} was allowed");
        }
        let (totals, lines) = daily_rows(&env).await;
        assert_eq!(totals.len(), 2);
        assert_eq!(totals, lines);
        // The same day again adds to its row rather than making a second one.
        let mut tx = env.store.begin().await.unwrap();
        env.app.post_entry(&mut tx, &bk.practice_id, &NewEntry { memo: "Rent, second half".into(), ..entry }).await.unwrap();
        tx.commit().await.unwrap();
        let (totals, lines) = daily_rows(&env).await;
        assert_eq!(totals.len(), 2);
        assert_eq!(totals, lines);
        assert!(totals.iter().all(|t| t.2 == 300_000 || t.3 == 300_000), "{totals:?}");
    }
}
