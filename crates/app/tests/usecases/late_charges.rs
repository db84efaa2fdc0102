//! Late charges through the use cases, with the controllable clock: none before the due date plus
//! the grace days, one after; never on amounts pending with insurance; payments since the
//! statement lower the past-due amount; below the policy's minimum nothing; never twice for one
//! statement; each one a balanced journal entry (Dr 1110 with the patient / Cr 4200); a biller's
//! reversal with a reason restores the balance; the next statement shows the charge; the books
//! balance. The statement of 2026-06-15 is due 2026-07-15; the policy is 1.5 % a month after
//! 10 grace days on at least $25.00.

use crate::encounters::billing_setup;
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields};
use crate::statements::{pay, run_on, self_pay_patient};
use chrono::{Duration, NaiveDate};
use medoffice_app::AppError;
use medoffice_app::statements::StatementSettingsInput;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn entry_lines(env: &TestEnv, entry_id: &str) -> Vec<(String, i64, i64, Option<String>)> {
    sqlx::query_as(
        "SELECT a.number, l.debit_cents, l.credit_cents, l.patient_id FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.entry_id = $1 ORDER BY l.line_number",
    )
    .bind(entry_id)
    .fetch_all(env.store.pool())
    .await
    .unwrap()
}

both_backends! {
    async fn late_charges_follow_the_written_policy_once_per_statement_and_reverse(env: TestEnv) {
        let b = billing_setup(&env).await;
        let policy = StatementSettingsInput {
            late_rate_percent: "1.5".into(),
            late_grace_days: "10".into(),
            late_minimum_balance: "25.00".into(),
            ..Default::default()
        };
        env.app.set_statement_settings(&b.staff.admin, &policy).await.unwrap();
        // Roe owes $210.00 and has $210.00 pending with insurance.
        let roe = self_pay_patient(&env, &b, "Roe", "").await;
        env.app.add_coverage(&b.staff.front_desk, &roe, &coverage(&b.payer_id, "M-ROE", "1", "2026-01-01"), None, None).await.unwrap();
        let e = env.app.open_encounter(&b.staff.biller, &crate::encounters::visit(&b, &roe)).await.unwrap();
        env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
        // Part paid owes $210.00 on the statement and pays $100.00 after it.
        let part = self_pay_patient(&env, &b, "Part", "").await;
        // Few owes $20.00: below the policy's $25.00 minimum.
        let few = self_pay_patient(&env, &b, "Few", "").await;
        pay(&env, &b, &few, "190.00").await;
        let run = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        assert_eq!(run.statements, 3);
        pay(&env, &b, &part, "100.00").await;

        // Due 2026-07-15; on the 25th the 10 grace days are not over.
        env.clock.advance(Duration::days(40));
        let none = env.app.apply_late_charges(&b.staff.biller, day("2026-07-25")).await.unwrap();
        assert_eq!((none.charged, none.total_cents), (0, 0));

        // On the 26th: 1.5 % of $210.00 (never the $210.00 with insurance) and of $110.00.
        env.clock.advance(Duration::days(1));
        let charged = env.app.apply_late_charges(&b.staff.biller, day("2026-07-26")).await.unwrap();
        assert_eq!((charged.charged, charged.total_cents), (2, 315 + 165));
        let roe_charge = charged.charges.iter().find(|c| c.patient_id == roe).unwrap().clone();
        assert_eq!((roe_charge.amount_cents, roe_charge.past_due_cents, roe_charge.days_past_due), (315, 21000, 11));
        assert_eq!(charged.charges.iter().find(|c| c.patient_id == part).unwrap().past_due_cents, 11000);
        assert!(charged.charges.iter().all(|c| c.patient_id != few));
        assert_eq!(
            entry_lines(&env, &roe_charge.journal_entry_id).await,
            [("1110".to_string(), 315, 0, Some(roe.clone())), ("4200".to_string(), 0, 315, None)]
        );
        let account = env.app.patient_account(&b.staff.biller, &roe).await.unwrap();
        assert_eq!((account.patient_due_cents, account.insurance_pending_cents), (21315, 21000));

        // Never twice for one statement: the same day again, the next day, the command line.
        assert_eq!(env.app.apply_late_charges(&b.staff.biller, day("2026-07-26")).await.unwrap().charged, 0);
        env.clock.advance(Duration::days(1));
        assert_eq!(env.app.apply_late_charges(&b.staff.biller, day("2026-07-27")).await.unwrap().charged, 0);
        assert_eq!(env.app.apply_late_charges_offline(Some("2026-07-27")).await.unwrap().charged, 0);

        // A biller reverses one with a reason; the balance is restored, the row marked.
        assert_eq!(invalid_fields(env.app.reverse_late_charge(&b.staff.biller, &roe_charge.id, "  ").await), ["reason"]);
        assert!(matches!(env.app.reverse_late_charge(&b.staff.front_desk, &roe_charge.id, "x").await, Err(AppError::Forbidden)));
        let reversed = env.app.reverse_late_charge(&b.staff.biller, &roe_charge.id, "first time late, waived").await.unwrap();
        assert!(reversed.reversed);
        assert_eq!(reversed.reversal_reason.as_deref(), Some("first time late, waived"));
        let account = env.app.patient_account(&b.staff.biller, &roe).await.unwrap();
        assert_eq!(account.patient_due_cents, 21000);
        assert!(matches!(env.app.reverse_late_charge(&b.staff.biller, &roe_charge.id, "again").await, Err(AppError::Conflict(_))));
        // A reversed charge is not charged again for the same statement.
        assert_eq!(env.app.apply_late_charges(&b.staff.biller, day("2026-07-27")).await.unwrap().charged, 0);

        // The next statement shows Part's late charge as a charge since the last one.
        let next = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        let list = env.app.statements(&b.staff.biller, Some(&next.run_id)).await.unwrap();
        let part_s = list.iter().find(|s| s.patient_id == part).unwrap();
        let s = env.app.statement(&b.staff.biller, &part_s.id).await.unwrap();
        assert_eq!((s.previous_balance_cents, s.charges_cents, s.payments_cents, s.balance_due_cents), (21000, 165, 10000, 11165));
        assert!(s.lines.iter().any(|l| l.kind == "charge" && l.amount_cents == 165 && l.description.contains("Late charge")));

        // The books balance.
        assert!(env.app.trial_balance(&b.staff.bookkeeper, day("2026-07-31")).await.unwrap().balances());
        let (income,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(l.credit_cents), 0) - COALESCE(SUM(l.debit_cents), 0) AS BIGINT) FROM journal_line l \
             JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE a.number = '4200'",
        )
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(income, 165, "Roe's charge reversed, Part's stands");
    }
}

both_backends! {
    async fn without_a_policy_or_a_statement_nothing_is_charged(env: TestEnv) {
        let b = billing_setup(&env).await;
        let roe = self_pay_patient(&env, &b, "Roe", "").await;
        env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        env.clock.advance(Duration::days(90));
        // The default policy charges nothing.
        assert_eq!(env.app.apply_late_charges(&b.staff.biller, day("2026-09-13")).await.unwrap().charged, 0);
        // A flat fee policy: a patient with no statement is never charged.
        let flat = StatementSettingsInput { late_flat_fee: "5.00".into(), ..Default::default() };
        env.app.set_statement_settings(&b.staff.admin, &flat).await.unwrap();
        let _unstated = self_pay_patient(&env, &b, "Unstated", "").await;
        // The server's hourly job (every practice, as of its own today, 2026-09-13) charges Roe's
        // statement; a run by hand the same day then charges nothing more.
        assert_eq!(env.app.apply_all_late_charges().await.unwrap(), (1, 500));
        let account = env.app.patient_account(&b.staff.biller, &roe).await.unwrap();
        assert_eq!(account.lines.last().map(|l| l.debit_cents), Some(500), "the $5.00 fee is on Roe's account");
        let run = env.app.apply_late_charges(&b.staff.biller, day("2026-09-13")).await.unwrap();
        assert_eq!((run.charged, run.total_cents), (0, 0));
        assert_eq!(env.app.apply_all_late_charges().await.unwrap(), (0, 0));
        // Bad dates are named.
        assert_eq!(invalid_fields(env.app.apply_late_charges(&b.staff.biller, day("2026-09-14")).await), ["date"]);
        let bad = medoffice_app::late_charges::LateChargeRunInput { date: "13/09/2026".into() };
        assert_eq!(invalid_fields(env.app.apply_late_charges_input(&b.staff.biller, &bad).await), ["date"]);
    }
}
