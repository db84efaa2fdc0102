//! Recurring journal entries: templates checked like entries when saved, a run that posts every
//! occurrence due once (catch-up, idempotent), ends after N occurrences, follows the last day of
//! the month, skips closed months without failing, and who may do what.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::ledger::ManualLineInput;
use medoffice_app::recurring::{RecurringTemplateInput, SOURCE_RECURRING};
use medoffice_store::audit::AuditFilter;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn row(account: &str, debit: &str, credit: &str) -> ManualLineInput {
    ManualLineInput { account: account.into(), debit: debit.into(), credit: credit.into(), memo: String::new() }
}

/// Monthly rent of $3,200 on `day_of_month` from `start`: Dr 6100 Rent, Cr 1000 Cash.
fn rent(day_of_month: &str, start: &str) -> RecurringTemplateInput {
    RecurringTemplateInput {
        memo: "Office rent".into(),
        frequency: "monthly".into(),
        day_of_month: day_of_month.into(),
        start_date: start.into(),
        lines: vec![row("6100", "3200", ""), row("1000", "", "3200")],
        ..Default::default()
    }
}

/// The dates of the journal's recurring entries, oldest first.
async fn recurring_dates(env: &TestEnv, actor: &medoffice_app::Actor) -> Vec<String> {
    let mut entries = env.app.journal(actor, day("2020-01-01"), day("2030-12-31")).await.unwrap();
    entries.retain(|e| e.source_kind == SOURCE_RECURRING);
    let mut dates: Vec<String> = entries.into_iter().map(|e| e.date).collect();
    dates.sort();
    dates
}

both_backends! {
    async fn a_run_catches_up_missed_months_and_a_second_run_posts_nothing_more(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let template = env.app.add_recurring_template(bk, &rent("1", "2026-03-01")).await.unwrap();
        assert_eq!(template.next_due.as_deref(), Some("2026-03-01"));
        assert_eq!(template.total_cents, 320_000);
        assert_eq!(template.schedule, "Monthly on day 1");

        let run = env.app.post_due_recurring_entries(bk, day("2026-05-15")).await.unwrap();
        assert_eq!(run.posted.iter().map(|p| p.date.as_str()).collect::<Vec<_>>(), ["2026-03-01", "2026-04-01", "2026-05-01"]);
        assert!(run.skipped.is_empty(), "{:?}", run.skipped);
        // Each entry is an ordinary journal entry, marked as recurring, keyed by template and date.
        let first = env.app.journal_entry(bk, &run.posted[0].entry_id).await.unwrap();
        assert_eq!((first.source_kind.as_str(), first.source_id.as_deref()), (SOURCE_RECURRING, Some(template.id.as_str())));
        assert_eq!((first.memo.as_str(), first.total_cents, first.lines.len()), ("Office rent", 320_000, 2));
        assert_eq!(first.lines[0].account_number, "6100");

        let again = env.app.post_due_recurring_entries(bk, day("2026-05-15")).await.unwrap();
        assert!(again.posted.is_empty() && again.skipped.is_empty(), "{again:?}");
        assert_eq!(recurring_dates(&env, bk).await, ["2026-03-01", "2026-04-01", "2026-05-01"]);
        let tb = env.app.trial_balance(bk, day("2026-05-31")).await.unwrap();
        let rent_row = tb.accounts.iter().find(|a| a.number == "6100").unwrap();
        assert_eq!(rent_row.debit_cents, 3 * 320_000);

        let listed = env.app.recurring_templates(bk).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].next_due.as_deref(), listed[0].next_index), (Some("2026-06-01"), 3));

        let trail = env.app.audit_trail(&staff.admin, &AuditFilter { action_prefix: Some("ledger.recurring.".into()), ..Default::default() }, 50).await.unwrap();
        assert!(trail.iter().any(|r| r.action == "ledger.recurring.add" && r.record_id.as_deref() == Some(template.id.as_str())));
        assert_eq!(trail.iter().filter(|r| r.action == "ledger.recurring.post").count(), 1, "the second run posted nothing, so audited nothing");
    }
}

both_backends! {
    async fn a_template_ends_after_its_number_of_occurrences(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let depreciation = RecurringTemplateInput {
            memo: "Depreciation of the ultrasound".into(),
            frequency: "monthly".into(),
            day_of_month: "last".into(),
            start_date: "2026-01-01".into(),
            occurrences: "2".into(),
            lines: vec![row("6700", "250", ""), row("1590", "", "250")],
            ..Default::default()
        };
        let t = env.app.add_recurring_template(bk, &depreciation).await.unwrap();
        assert_eq!((t.schedule.as_str(), t.next_due.as_deref()), ("Monthly on the last day", Some("2026-01-31")));
        let run = env.app.post_due_recurring_entries(bk, day("2026-06-30")).await.unwrap();
        assert_eq!(run.posted.iter().map(|p| p.date.as_str()).collect::<Vec<_>>(), ["2026-01-31", "2026-02-28"]);
        let listed = env.app.recurring_templates(bk).await.unwrap();
        assert_eq!((listed[0].next_due.as_deref(), listed[0].next_index), (None, 2), "ended");
        assert!(env.app.post_due_recurring_entries(bk, day("2027-12-31")).await.unwrap().posted.is_empty());
    }
}

both_backends! {
    async fn the_last_day_of_the_month_follows_each_month_from_january_31(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        // Prepaid insurance used up at each month's end, from January 31.
        let prepaid = RecurringTemplateInput {
            memo: "Prepaid malpractice insurance used".into(),
            frequency: "monthly".into(),
            day_of_month: "31".into(),
            start_date: "2026-01-31".into(),
            lines: vec![row("6990", "100", ""), row("1300", "", "100")],
            ..Default::default()
        };
        env.app.add_recurring_template(bk, &prepaid).await.unwrap();
        env.app.post_due_recurring_entries(bk, day("2026-04-30")).await.unwrap();
        assert_eq!(recurring_dates(&env, bk).await, ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]);
    }
}

both_backends! {
    async fn an_occurrence_in_a_closed_month_is_skipped_with_its_reason_and_posted_after_a_reopen(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let t = env.app.add_recurring_template(bk, &rent("15", "2026-03-01")).await.unwrap();
        env.app.close_period(bk, "2026-04").await.unwrap();

        let run = env.app.post_due_recurring_entries(bk, day("2026-05-31")).await.unwrap();
        assert_eq!(run.posted.iter().map(|p| p.date.as_str()).collect::<Vec<_>>(), ["2026-03-15", "2026-05-15"]);
        assert_eq!(run.skipped.len(), 1, "{run:?}");
        assert_eq!((run.skipped[0].date.as_str(), run.skipped[0].template_id.as_str()), ("2026-04-15", t.id.as_str()));
        assert!(run.skipped[0].reason.contains("2026-04 is a closed period"), "{}", run.skipped[0].reason);
        // The skipped date stays due; the others are not posted twice.
        let listed = env.app.recurring_templates(bk).await.unwrap();
        assert_eq!(listed[0].next_due.as_deref(), Some("2026-04-15"));
        let again = env.app.post_due_recurring_entries(bk, day("2026-05-31")).await.unwrap();
        assert!(again.posted.is_empty());
        assert_eq!(again.skipped.len(), 1);

        env.app.reopen_period(&staff.admin, "2026-04").await.unwrap();
        let after = env.app.post_due_recurring_entries(bk, day("2026-05-31")).await.unwrap();
        assert_eq!(after.posted.iter().map(|p| p.date.as_str()).collect::<Vec<_>>(), ["2026-04-15"]);
        assert_eq!(recurring_dates(&env, bk).await, ["2026-03-15", "2026-04-15", "2026-05-15"]);
        assert_eq!(env.app.recurring_templates(bk).await.unwrap()[0].next_due.as_deref(), Some("2026-06-15"));
    }
}

both_backends! {
    async fn a_template_that_does_not_balance_or_names_a_bad_account_is_refused(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let unbalanced = RecurringTemplateInput { lines: vec![row("6100", "3200", ""), row("1000", "", "3100")], ..rent("1", "2026-01-01") };
        let refused = env.app.add_recurring_template(bk, &unbalanced).await;
        assert!(matches!(&refused, Err(AppError::Validation(e)) if e.for_field("lines").is_some_and(|m| m.contains("does not balance"))), "{refused:?}");

        let zero = RecurringTemplateInput { lines: vec![row("6100", "3200", ""), row("1000", "", "3200"), row("6600", "0", "")], ..rent("1", "2026-01-01") };
        assert_eq!(invalid_fields(env.app.add_recurring_template(bk, &zero).await), ["lines[2].debit"]);

        let unknown = RecurringTemplateInput { lines: vec![row("6100", "3200", ""), row("9999", "", "3200")], ..rent("1", "2026-01-01") };
        assert_eq!(invalid_fields(env.app.add_recurring_template(bk, &unknown).await), ["lines[1].account"]);

        let cash = env.app.chart_of_accounts(bk).await.unwrap().into_iter().find(|a| a.number == "1000").unwrap();
        env.app.set_account_active(bk, &cash.id, false).await.unwrap();
        let closed = env.app.add_recurring_template(bk, &rent("1", "2026-01-01")).await;
        assert!(matches!(&closed, Err(AppError::Validation(e)) if e.for_field("lines[1].account").is_some_and(|m| m.contains("is closed"))), "{closed:?}");
        env.app.set_account_active(bk, &cash.id, true).await.unwrap();

        let bad_schedule = RecurringTemplateInput {
            memo: " ".into(),
            frequency: "weekly".into(),
            day_of_month: "32".into(),
            start_date: "2026-02-30".into(),
            ..rent("1", "")
        };
        let mut fields = invalid_fields(env.app.add_recurring_template(bk, &bad_schedule).await);
        fields.sort();
        assert_eq!(fields, ["day_of_month", "frequency", "memo", "start_date"]);
        let ends_early = RecurringTemplateInput { end_date: "2025-12-31".into(), ..rent("1", "2026-01-01") };
        assert_eq!(invalid_fields(env.app.add_recurring_template(bk, &ends_early).await), ["end_date"]);

        assert!(env.app.recurring_templates(bk).await.unwrap().is_empty(), "nothing was saved");
    }
}

both_backends! {
    async fn a_paused_template_is_not_posted_until_resumed(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let t = env.app.add_recurring_template(bk, &rent("1", "2026-05-01")).await.unwrap();
        env.app.set_recurring_template_active(bk, &t.id, false).await.unwrap();
        assert!(!env.app.recurring_templates(bk).await.unwrap()[0].active);
        assert!(env.app.post_due_recurring_entries(bk, day("2026-06-15")).await.unwrap().posted.is_empty());
        env.app.set_recurring_template_active(bk, &t.id, true).await.unwrap();
        let run = env.app.post_due_recurring_entries(bk, day("2026-06-15")).await.unwrap();
        assert_eq!(run.posted.len(), 2, "resuming keeps the schedule: May and June are posted");
    }
}

both_backends! {
    async fn only_the_bookkeeper_and_the_admin_manage_and_post_recurring_entries(env: TestEnv) {
        let staff = env.practice().await;
        let t = env.app.add_recurring_template(&staff.admin, &rent("1", "2026-06-01")).await.unwrap();
        for actor in [&staff.front_desk, &staff.biller, &staff.provider] {
            assert!(matches!(env.app.add_recurring_template(actor, &rent("1", "2026-06-01")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.recurring_templates(actor).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.post_due_recurring_entries(actor, day("2026-06-15")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.set_recurring_template_active(actor, &t.id, false).await, Err(AppError::Forbidden)));
        }
        assert_eq!(recurring_dates(&env, &staff.admin).await.len(), 0, "nothing was posted by a refused run");
        assert_eq!(env.app.post_due_recurring_entries(&staff.bookkeeper, day("2026-06-15")).await.unwrap().posted.len(), 1);
    }
}

both_backends! {
    async fn the_command_line_run_posts_as_of_today_in_the_practice_time_zone(env: TestEnv) {
        let staff = env.practice().await;
        env.app.add_recurring_template(&staff.bookkeeper, &rent("15", "2026-06-01")).await.unwrap();
        env.app.add_recurring_template(&staff.bookkeeper, &rent("16", "2026-06-01")).await.unwrap();
        // The test clock stands at 2026-06-15, noon in New York.
        let run = env.app.post_due_recurring_entries_offline(None).await.unwrap();
        assert_eq!((run.as_of.as_str(), run.posted.len()), ("2026-06-15", 1));
        assert_eq!(env.app.post_due_recurring_entries_offline(Some("2026-06-16")).await.unwrap().posted.len(), 1);
        let trail = env.app.audit_trail(&staff.admin, &AuditFilter { action_prefix: Some("ledger.recurring.post".into()), ..Default::default() }, 10).await.unwrap();
        assert_eq!(trail.len(), 2);
        assert!(trail.iter().all(|r| r.username == medoffice_app::ledger_reports::CLI_USERNAME));
    }
}
