//! Patient statements through the use cases: one statement per patient who owes at least the
//! minimum on AR - Patients (never amounts pending with insurance, shown apart), with the due
//! date from the net days, the aging and the policy text; "don't send" and the minimum; the
//! next statement's previous balance and lines since; family-name groups; e-mail where chosen
//! (and by mail when it cannot go); the outgoing mail log; idempotent per patient and date; PDFs;
//! bad input named by field. The practice's today is 2026-06-15.

use crate::encounters::{Billing, address, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use crate::smtp_listener::{Mode, SmtpListener};
use medoffice_app::patient_accounts::PatientPaymentInput;
use medoffice_app::reminders::SmtpInput;
use medoffice_app::statements::{
    StatementPreferenceInput, StatementRunInput, StatementSettingsInput, latest_statement_in, statement_settings_in,
};

/// A self-pay patient (no coverage) whose visit of 2026-06-10 ($210.00) is due from them.
pub async fn self_pay_patient(env: &TestEnv, b: &Billing, family: &str, email: &str) -> String {
    let mut input = patient(family, "Rita", "1975-01-01");
    input.address = address();
    input.email = email.into();
    let p = env.app.register_patient(&b.staff.front_desk, &input, true).await.unwrap();
    let e = env.app.open_encounter(&b.staff.biller, &visit(b, &p.id)).await.unwrap();
    env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
    p.id
}

pub fn run_on(date: &str, group: &str) -> StatementRunInput {
    StatementRunInput { date: date.into(), group: group.into() }
}

pub async fn pay(env: &TestEnv, b: &Billing, patient_id: &str, amount: &str) {
    let input = PatientPaymentInput { amount: amount.into(), method: "cash".into(), reference: String::new() };
    env.app.take_patient_payment(&b.staff.front_desk, patient_id, &input).await.unwrap();
}

async fn statement_mail_logged(env: &TestEnv, patient_id: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT method, recipient FROM outgoing_mail WHERE about_kind = 'statement' AND patient_id = $1 ORDER BY created_at")
        .bind(patient_id)
        .fetch_all(env.store.pool())
        .await
        .unwrap()
}

async fn statement_rows(env: &TestEnv) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM statement").fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn a_run_states_only_what_patients_owe_with_terms_aging_and_the_mail_log(env: TestEnv) {
        let b = billing_setup(&env).await;
        // The insured patient's charges are pending with insurance: no statement.
        let e = env.app.open_encounter(&b.staff.biller, &visit(&b, &b.patient_id)).await.unwrap();
        env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
        // Roe owes a self-pay visit, then gets coverage: the next visit is pending with insurance.
        let roe = self_pay_patient(&env, &b, "Roe", "").await;
        env.app.add_coverage(&b.staff.front_desk, &roe, &coverage(&b.payer_id, "M-ROE", "1", "2026-01-01"), None, None).await.unwrap();
        let e2 = env.app.open_encounter(&b.staff.biller, &visit(&b, &roe)).await.unwrap();
        env.app.post_charges(&b.staff.biller, &e2.id).await.unwrap();
        // Small owes $2.00 after paying (below the $5.00 minimum); Held is flagged "don't send".
        let small = self_pay_patient(&env, &b, "Small", "").await;
        pay(&env, &b, &small, "208.00").await;
        let held = self_pay_patient(&env, &b, "Held", "").await;
        env.app.set_statement_preference(&b.staff.biller, &held, &StatementPreferenceInput { hold: true, delivery: "mail".into() }).await.unwrap();

        let run = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        assert_eq!((run.statements, run.emailed, run.printed, run.total_cents), (1, 0, 1, 21000));
        assert_eq!(run.run_date, "2026-06-15");
        let s = env.app.statement(&b.staff.biller, &run.statement_ids[0]).await.unwrap();
        assert_eq!(s.patient_id, roe);
        assert_eq!((s.statement_date.as_str(), s.due_date.as_str()), ("2026-06-15", "2026-07-15"), "Net 30 by default");
        assert_eq!((s.previous_balance_cents, s.charges_cents, s.payments_cents, s.balance_due_cents), (0, 21000, 0, 21000));
        assert_eq!(s.insurance_pending_cents, 21000, "shown apart, never due");
        assert_eq!(s.aging.iter().map(|a| a.cents).collect::<Vec<_>>(), [21000, 0, 0, 0, 0]);
        assert_eq!(s.lines.len(), 1);
        assert_eq!((s.lines[0].kind.as_str(), s.lines[0].amount_cents), ("charge", 21000));
        assert!(s.late_charge_policy.contains("No late charges"), "{}", s.late_charge_policy);
        assert_eq!(s.recipient_name, "Rita Roe");
        assert_eq!(s.recipient_address, ["12 Main St", "Springfield, IL 62701"]);
        assert_eq!(s.delivery, "mail");
        assert_eq!(statement_mail_logged(&env, &roe).await, [("usps_first_class".to_string(), "Rita Roe".to_string())]);

        // The same run again makes nothing new.
        let again = env.app.run_statements(&b.staff.biller, &run_on("2026-06-15", "")).await.unwrap();
        assert_eq!((again.statements, again.run_id.as_str()), (0, run.run_id.as_str()));
        assert_eq!(statement_rows(&env).await, 1);
        assert_eq!(statement_mail_logged(&env, &roe).await.len(), 1);

        // Other modules read the latest statement and the terms.
        let mut conn = env.store.pool().acquire().await.unwrap();
        let latest = latest_statement_in(&mut conn, &b.staff.biller.practice_id, &roe).await.unwrap().unwrap();
        assert_eq!(latest.id, s.id);
        assert!(latest_statement_in(&mut conn, &b.staff.biller.practice_id, &small).await.unwrap().is_none());
        assert_eq!(statement_settings_in(&mut conn, &b.staff.biller.practice_id).await.unwrap().net_days, 30);
        drop(conn);

        // The PDF of one and the run's batch.
        let (name, pdf) = env.app.statement_pdf(&b.staff.biller, &s.id).await.unwrap();
        assert!(name.ends_with(".pdf") && pdf.starts_with(b"%PDF-"));
        let (_, batch) = env.app.statement_run_pdf(&b.staff.biller, &run.run_id).await.unwrap();
        let doc = lopdf::Document::load_mem(&batch).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let text = doc.extract_text(&pages).unwrap();
        assert!(text.contains(&s.number) && text.contains("Amount enclosed") && text.contains("$210.00"), "{text}");

        // The account lists it; the front desk may not run statements.
        let account = env.app.statement_preference(&b.staff.biller, &roe).await.unwrap();
        assert_eq!(account.statements.len(), 1);
        assert!(matches!(env.app.run_statements(&b.staff.front_desk, &run_on("", "")).await, Err(medoffice_app::AppError::Forbidden)));
    }
}

both_backends! {
    async fn the_next_statement_carries_the_previous_balance_and_the_lines_since(env: TestEnv) {
        let b = billing_setup(&env).await;
        let roe = self_pay_patient(&env, &b, "Roe", "").await;
        let first = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        assert_eq!(first.statements, 1);
        env.clock.advance(chrono::Duration::days(10));
        pay(&env, &b, &roe, "50.00").await;
        let second = env.app.run_statements(&b.staff.biller, &run_on("2026-06-25", "")).await.unwrap();
        assert_eq!((second.statements, second.total_cents), (1, 16000));
        let s = env.app.statement(&b.staff.biller, &second.statement_ids[0]).await.unwrap();
        assert_eq!((s.previous_balance_cents, s.charges_cents, s.payments_cents, s.balance_due_cents), (21000, 0, 5000, 16000));
        assert_eq!(s.lines.iter().map(|l| (l.kind.as_str(), l.amount_cents)).collect::<Vec<_>>(), [("payment", -5000)]);
        assert_eq!(s.due_date, "2026-07-25");
        // The aging: the charge of 2026-06-10 is 15 days old.
        assert_eq!(s.aging[0].cents, 16000);
    }
}

both_backends! {
    async fn letter_groups_pick_patients_by_family_name(env: TestEnv) {
        let b = billing_setup(&env).await;
        let adams = self_pay_patient(&env, &b, "Adams", "").await;
        let roe = self_pay_patient(&env, &b, "Roe", "").await;
        let a = env.app.run_statements(&b.staff.biller, &run_on("2026-06-15", "a-f")).await.unwrap();
        assert_eq!((a.statements, a.cycle_group.as_str()), (1, "A-F"));
        assert_eq!(env.app.statement(&b.staff.biller, &a.statement_ids[0]).await.unwrap().patient_id, adams);
        // By the letter-group cycle, the 15th is the 3rd week's run: M-R.
        let terms = StatementSettingsInput { cycle: "letter_groups".into(), net_days: "20".into(), ..Default::default() };
        env.app.set_statement_settings(&b.staff.admin, &terms).await.unwrap();
        let m = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        assert_eq!((m.statements, m.cycle_group.as_str()), (1, "M-R"));
        let s = env.app.statement(&b.staff.biller, &m.statement_ids[0]).await.unwrap();
        assert_eq!((s.patient_id.as_str(), s.due_date.as_str()), (roe.as_str(), "2026-07-05"));
    }
}

both_backends! {
    async fn statements_go_by_email_where_chosen_and_by_mail_when_they_cannot(env: TestEnv) {
        let b = billing_setup(&env).await;
        let roe = self_pay_patient(&env, &b, "Roe", "rita.roe@example.com").await;
        let nobody = self_pay_patient(&env, &b, "Stone", "").await;
        let email = StatementPreferenceInput { hold: false, delivery: "email".into() };
        // E-mail needs an address on file.
        assert_eq!(invalid_fields(env.app.set_statement_preference(&b.staff.biller, &nobody, &email).await), ["delivery"]);
        env.app.set_statement_preference(&b.staff.biller, &roe, &email).await.unwrap();

        // No mail server yet: the statement goes by mail, with the reason.
        let run = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        assert_eq!((run.statements, run.emailed, run.printed), (2, 0, 2));
        let list = env.app.statements(&b.staff.biller, Some(&run.run_id)).await.unwrap();
        let roe_s = list.iter().find(|s| s.patient_id == roe).unwrap();
        assert_eq!(roe_s.delivery, "mail");
        assert!(roe_s.email_error.as_deref().unwrap_or("").contains("not set up"), "{:?}", roe_s.email_error);

        // With a mail server, the next run e-mails it, logged as e-mail.
        let server = SmtpListener::start(Mode::Accept).await;
        let smtp = SmtpInput {
            host: "127.0.0.1".into(),
            port: server.port.to_string(),
            security: "none".into(),
            from_address: "office@riverside.example".into(),
            from_name: "Riverside".into(),
            ..Default::default()
        };
        env.app.save_smtp_settings(&b.staff.admin, &smtp).await.unwrap();
        env.clock.advance(chrono::Duration::days(1));
        let run = env.app.run_statements(&b.staff.biller, &run_on("", "")).await.unwrap();
        assert_eq!((run.statements, run.emailed, run.printed), (2, 1, 1));
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert!(received[0].rcpt_to.iter().any(|r| r.contains("rita.roe@example.com")), "{:?}", received[0].rcpt_to);
        assert!(received[0].body().contains("BALANCE DUE: $210.00"), "{}", received[0].body());
        let methods: Vec<String> = statement_mail_logged(&env, &roe).await.into_iter().map(|(m, _)| m).collect();
        assert_eq!(methods, ["usps_first_class", "secure_email"]);
        // Only the mailed one is in the printed batch.
        let (_, batch) = env.app.statement_run_pdf(&b.staff.biller, &run.run_id).await.unwrap();
        assert_eq!(lopdf::Document::load_mem(&batch).unwrap().get_pages().len(), 1);
    }
}

both_backends! {
    async fn bad_terms_and_runs_are_named_by_field(env: TestEnv) {
        let b = billing_setup(&env).await;
        let bad = StatementSettingsInput {
            cycle: "weekly".into(),
            cycle_day: "31".into(),
            net_days: "-1".into(),
            minimum_balance: "abc".into(),
            late_rate_percent: "30".into(),
            late_grace_days: "x".into(),
            ..Default::default()
        };
        let mut fields = invalid_fields(env.app.set_statement_settings(&b.staff.admin, &bad).await);
        fields.sort();
        assert_eq!(fields, ["cycle", "cycle_day", "late_grace_days", "late_rate_percent", "minimum_balance", "net_days"]);
        let view = env.app.statement_settings(&b.staff.biller).await.unwrap();
        assert_eq!((view.settings.net_days, view.settings.minimum_balance_cents), (30, 500), "nothing saved: the defaults");
        assert_eq!(invalid_fields(env.app.run_statements(&b.staff.biller, &run_on("2026-13-01", "")).await), ["date"]);
        assert_eq!(invalid_fields(env.app.run_statements(&b.staff.biller, &run_on("2026-06-16", "")).await), ["date"]);
        assert_eq!(invalid_fields(env.app.run_statements(&b.staff.biller, &run_on("", "F-A")).await), ["group"]);
        let good = StatementSettingsInput {
            late_rate_percent: "1.5".into(),
            late_grace_days: "10".into(),
            minimum_balance: "10.00".into(),
            message: "Questions? Call 217-555-0100.".into(),
            ..Default::default()
        };
        let saved = env.app.set_statement_settings(&b.staff.admin, &good).await.unwrap();
        assert_eq!(saved.settings.late_charge_policy.monthly_rate_basis_points, 150);
        assert_eq!(saved.settings.minimum_balance_cents, 1000);
        assert!(saved.late_charge_policy_text.contains("1.5% a month"));
        assert_eq!(saved.next_run_date, "2026-07-01");
    }
}
