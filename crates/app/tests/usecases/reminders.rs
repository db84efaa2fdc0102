//! Appointment reminders through the use cases, with a real SMTP server on 127.0.0.1
//! (`smtp_listener`). The practice comes from `generate` (every provider works Monday to Friday,
//! 08:00-12:00 and 13:00-17:00, at "Main office", phone (518) 462-0100); the clock stands at
//! Monday 2026-06-15, noon in New York, so a 2-days-before reminder is due today for Wednesday.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use crate::smtp_listener::{Mode, SmtpListener, closed_port};
use medoffice_app::AppError;
use medoffice_app::reminders::{ReplyInput, SmtpInput};
use medoffice_app::scheduling::NewAppointment;
use medoffice_app::views::AppointmentView;
use medoffice_store::audit::AuditFilter;

struct Setup {
    staff: Staff,
    provider: String,
    /// Prefers e-mail, has one.
    by_email: String,
    /// Prefers a call (the default), has a mobile phone.
    by_phone: String,
    /// Neither phone nor e-mail.
    unreachable: String,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let mut email = patient("Quillfeather", "Ada", "1980-04-12");
    email.email = "ada@example.com".into();
    email.preferred_contact = "email".into();
    let by_email = env.app.register_patient(&staff.front_desk, &email, false).await.unwrap().id;
    let by_phone = env.app.register_patient(&staff.front_desk, &patient("Marsh", "Bernard", "1975-09-30"), false).await.unwrap().id;
    let mut none = patient("Okonkwo", "Chidi", "1992-01-05");
    none.phone = String::new();
    let unreachable = env.app.register_patient(&staff.front_desk, &none, false).await.unwrap().id;
    let provider = env.app.list_providers(&staff.front_desk).await.unwrap()[0].id.clone();
    Setup { staff, provider, by_email, by_phone, unreachable }
}

async fn book(env: &TestEnv, s: &Setup, patient_id: &str, start: &str, appointment_type: &str) -> AppointmentView {
    let input = NewAppointment {
        patient_id: patient_id.into(),
        provider_id: s.provider.clone(),
        start: start.into(),
        appointment_type: appointment_type.into(),
        ..Default::default()
    };
    env.app.book_appointment(&s.staff.front_desk, &input).await.unwrap()
}

/// Wednesday 2026-06-17: one appointment per patient.
async fn book_wednesday(env: &TestEnv, s: &Setup) -> [AppointmentView; 3] {
    [
        book(env, s, &s.by_email, "2026-06-17T09:00", "").await,
        book(env, s, &s.by_phone, "2026-06-17T09:20", "").await,
        book(env, s, &s.unreachable, "2026-06-17T09:40", "").await,
    ]
}

fn smtp(port: u16) -> SmtpInput {
    SmtpInput {
        host: "127.0.0.1".into(),
        port: port.to_string(),
        security: "none".into(),
        from_address: "office@riverside.example".into(),
        from_name: "Riverside Family Medicine".into(),
        ..Default::default()
    }
}

async fn status_of(env: &TestEnv, s: &Setup, appointment_id: &str) -> AppointmentView {
    let day = env.app.list_appointments(&s.staff.admin, None, "2026-06-17").await.unwrap();
    day.into_iter().find(|a| a.id == appointment_id).expect("the appointment is listed")
}

async fn audit_count(env: &TestEnv, s: &Setup, action: &str) -> usize {
    let filter = AuditFilter { action_prefix: Some(action.into()), ..Default::default() };
    env.app.audit_trail(&s.staff.admin, &filter, 200).await.unwrap().len()
}

both_backends! {
    async fn due_reminders_are_emailed_once_and_phone_patients_go_to_the_call_list(env: TestEnv) {
        let s = setup(&env).await;
        let [by_email, _, _] = book_wednesday(&env, &s).await;
        // Thursday's appointment is 3 days ahead: not due yet with the default (2 days before).
        book(&env, &s, &s.by_email, "2026-06-18T09:00", "").await;
        let server = SmtpListener::start(Mode::Accept).await;
        env.app.save_smtp_settings(&s.staff.admin, &smtp(server.port)).await.unwrap();

        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!(run.date, "2026-06-15");
        assert_eq!((run.emails_sent, run.emails_failed, run.calls_listed, run.no_way_to_reach), (1, 0, 1, 1), "{run:?}");
        assert!(run.ok());

        let received = server.received();
        assert_eq!(received.len(), 1, "{received:?}");
        let message = &received[0];
        assert_eq!(message.rcpt_to, ["ada@example.com"]);
        assert_eq!(message.mail_from, "office@riverside.example");
        let subject = message.header("Subject").unwrap();
        assert!(subject.contains("Test Practice") && subject.contains("Wed, Jun 17 at 9:00 AM"), "{subject}");
        assert!(message.header("From").unwrap().contains("Riverside Family Medicine"));
        let body = message.body();
        for expected in ["Dear Ada,", "Wednesday, June 17, 2026 at 9:00 AM", "Main office", "(518) 462-0100", "confirm or cancel"] {
            assert!(body.contains(expected), "'{expected}' missing from:\n{body}");
        }
        let providers = env.app.list_providers(&s.staff.admin).await.unwrap();
        assert!(body.contains(&providers[0].family_name), "the provider is named:\n{body}");
        assert!(!body.contains("Office visit") && !body.contains("1980"), "no type or other detail:\n{body}");

        // Running again sends nothing more.
        let again = env.app.run_reminders(&s.staff.front_desk, "2026-06-15").await.unwrap();
        assert_eq!((again.new_reminders, again.emails_sent, again.emails_failed), (0, 0, 0), "{again:?}");
        assert_eq!(server.received().len(), 1);

        let day = env.app.reminders_for_date(&s.staff.front_desk, "2026-06-15").await.unwrap();
        assert!(day.email_configured && day.failed.is_empty());
        let email = day.reminders.iter().find(|r| r.channel == "email").unwrap();
        assert_eq!((email.status.as_str(), email.appointment_id.as_str(), email.attempts), ("sent", by_email.id.as_str(), 1));
        assert!(email.detail.as_deref().unwrap_or("").starts_with("250"), "{email:?}");

        let calls = env.app.call_list(&s.staff.front_desk, "").await.unwrap();
        assert_eq!(calls.len(), 2, "{calls:?}");
        let phone = calls.iter().find(|c| c.patient_id == s.by_phone).unwrap();
        assert_eq!(phone.recipient.as_deref(), Some("(518) 462-0199"));
        assert_eq!(phone.appointment_when, "Wed, Jun 17 at 9:20 AM");
        assert!(!phone.provider_name.is_empty());
        let nobody = calls.iter().find(|c| c.patient_id == s.unreachable).unwrap();
        assert_eq!(nobody.recipient, None, "no way to reach: {nobody:?}");

        assert_eq!(audit_count(&env, &s, "reminder.email").await, 1);
        let filter = AuditFilter { action_prefix: Some("reminder.email".into()), ..Default::default() };
        let trail = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(trail[0].patient_id.as_deref(), Some(s.by_email.as_str()));
        assert!(audit_count(&env, &s, "reminder.call_list").await >= 1);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn failures_to_send_are_recorded_shown_and_retried_until_the_server_accepts(env: TestEnv) {
        let s = setup(&env).await;
        book_wednesday(&env, &s).await;

        // No mail server set up: a failure, never a success.
        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.emails_sent, run.emails_failed), (0, 1), "{run:?}");
        assert!(!run.ok());
        assert!(run.failures[0].error.contains("not set up"), "{:?}", run.failures);

        // Nothing listens on the port: refused.
        env.app.save_smtp_settings(&s.staff.admin, &smtp(closed_port().await)).await.unwrap();
        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.emails_sent, run.emails_failed), (0, 1), "{run:?}");
        let day = env.app.reminders_for_date(&s.staff.front_desk, "").await.unwrap();
        assert_eq!(day.failed.len(), 1, "the failure is listed: {day:?}");
        let failed = &day.failed[0];
        assert_eq!(failed.status, "failed");
        assert!(failed.detail.as_deref().unwrap_or("").contains("127.0.0.1"), "{failed:?}");

        // A server that refuses the recipient: 550, still failed, by hand this time.
        let server = SmtpListener::start(Mode::RejectRecipients).await;
        env.app.save_smtp_settings(&s.staff.admin, &smtp(server.port)).await.unwrap();
        let retried = env.app.retry_reminder(&s.staff.front_desk, &failed.id).await.unwrap();
        assert_eq!(retried.status, "failed");
        assert!(retried.detail.as_deref().unwrap_or("").contains("550"), "{retried:?}");
        assert!(server.received().is_empty());
        assert_eq!(server.connections(), 1);

        // The server accepts now: the next run sends it.
        server.set_mode(Mode::Accept);
        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.emails_sent, run.emails_failed, run.new_reminders), (1, 0, 0), "{run:?}");
        assert_eq!(server.received().len(), 1);
        assert_eq!(server.received()[0].rcpt_to, ["ada@example.com"]);
        let day = env.app.reminders_for_date(&s.staff.front_desk, "").await.unwrap();
        assert!(day.failed.is_empty());
        let sent = day.reminders.iter().find(|r| r.id == failed.id).unwrap();
        assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 4));
        // A sent reminder is not sent again by hand either.
        assert!(matches!(env.app.retry_reminder(&s.staff.front_desk, &failed.id).await, Err(AppError::Conflict(_))));

        let (attempts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment_reminder_attempt WHERE outcome = 'failed'")
            .fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(attempts, 3);
        let filter = AuditFilter { action_prefix: Some("reminder.email".into()), ..Default::default() };
        let trail = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(trail.iter().filter(|r| r.outcome == "failed").count(), 3);
        assert_eq!(trail.iter().filter(|r| r.outcome == "success").count(), 1);
    }
}

both_backends! {
    async fn replies_confirm_or_cancel_the_appointment_and_are_audited(env: TestEnv) {
        let s = setup(&env).await;
        let [by_email, by_phone, unreachable] = book_wednesday(&env, &s).await;
        let server = SmtpListener::start(Mode::Accept).await;
        env.app.save_smtp_settings(&s.staff.admin, &smtp(server.port)).await.unwrap();
        env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        let calls = env.app.call_list(&s.staff.front_desk, "").await.unwrap();
        let call = calls.iter().find(|c| c.appointment_id == by_phone.id).unwrap();

        // The phone patient confirms.
        let reply = |r: &str, note: &str| ReplyInput { reply: r.into(), note: note.into() };
        let done = env.app.record_reminder_reply(&s.staff.front_desk, &call.id, &reply("confirmed", "")).await.unwrap();
        assert_eq!((done.status.as_str(), done.reply.as_deref()), ("called", Some("confirmed")));
        assert_eq!(status_of(&env, &s, &by_phone.id).await.status, "confirmed");
        // Recording it twice changes nothing more.
        env.app.record_reminder_reply(&s.staff.front_desk, &call.id, &reply("confirmed", "")).await.unwrap();
        assert_eq!(status_of(&env, &s, &by_phone.id).await.status, "confirmed");

        // The e-mail patient answers that she cannot come: a reason is required.
        let day = env.app.reminders_for_date(&s.staff.front_desk, "").await.unwrap();
        let email = day.reminders.iter().find(|r| r.appointment_id == by_email.id).unwrap();
        assert_eq!(invalid_fields(env.app.record_reminder_reply(&s.staff.front_desk, &email.id, &reply("cancel", "")).await), ["note"]);
        assert_eq!(invalid_fields(env.app.record_reminder_reply(&s.staff.front_desk, &email.id, &reply("left_message", "")).await), ["reply"]);
        assert_eq!(invalid_fields(env.app.record_reminder_reply(&s.staff.front_desk, &email.id, &reply("perhaps", "")).await), ["reply"]);
        env.app.record_reminder_reply(&s.staff.front_desk, &email.id, &reply("cancel", "Out of town")).await.unwrap();
        let cancelled = status_of(&env, &s, &by_email.id).await;
        assert_eq!(cancelled.status, "cancelled");
        assert_eq!(cancelled.cancelled_by.as_deref(), Some("patient"));
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("Out of town"));
        // Confirming a cancelled appointment is a conflict.
        assert!(matches!(
            env.app.record_reminder_reply(&s.staff.front_desk, &email.id, &reply("confirm", "")).await,
            Err(AppError::Conflict(_))
        ));

        // A wrong number is recorded without touching the appointment.
        let nobody = calls.iter().find(|c| c.appointment_id == unreachable.id).unwrap();
        let done = env.app.record_reminder_reply(&s.staff.front_desk, &nobody.id, &reply("wrong_number", "Number not in service")).await.unwrap();
        assert_eq!(done.reply_label.as_deref(), Some("Wrong number"));
        assert_eq!(status_of(&env, &s, &unreachable.id).await.status, "scheduled");

        assert_eq!(audit_count(&env, &s, "reminder.reply").await, 4);
        let filter = AuditFilter { action_prefix: Some("appointment.status".into()), ..Default::default() };
        let changes = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(changes.len(), 2, "one confirmation, one cancellation: {changes:?}");
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn rules_per_type_choose_the_days_and_a_late_booking_gets_one_reminder(env: TestEnv) {
        let s = setup(&env).await;
        let server = SmtpListener::start(Mode::Accept).await;
        env.app.save_smtp_settings(&s.staff.admin, &smtp(server.port)).await.unwrap();
        let rules = env.app.reminder_rules(&s.staff.front_desk).await.unwrap();
        assert!(rules.iter().all(|r| r.is_default && r.days_before == [2]), "{rules:?}");
        let visit = rules.iter().find(|r| r.name == "Office visit").unwrap().appointment_type_id.clone();
        let physical = rules.iter().find(|r| r.name == "Annual physical").unwrap().appointment_type_id.clone();
        let saved = env.app.save_reminder_rules(&s.staff.admin, &visit, "2, 7").await.unwrap();
        assert_eq!((saved.days_before.clone(), saved.description.as_str()), (vec![7, 2], "7 days before and 2 days before"));
        env.app.save_reminder_rules(&s.staff.admin, &physical, "").await.unwrap();
        assert_eq!(invalid_fields(env.app.save_reminder_rules(&s.staff.admin, &visit, "45").await), ["days_before"]);
        assert!(matches!(env.app.save_reminder_rules(&s.staff.admin, "no-such-type", "2").await, Err(AppError::NotFound(_))));

        // Friday (4 days ahead): the 7-day reminder is due today, the 2-day one on Wednesday.
        let friday = book(&env, &s, &s.by_email, "2026-06-19T10:00", "").await;
        // Tomorrow, booked late: only the nearest rule is sent; the 7-day one gives way.
        let tomorrow = book(&env, &s, &s.by_email, "2026-06-16T10:00", "").await;
        // No reminders for annual physicals; none for a cancelled appointment.
        book(&env, &s, &s.by_email, "2026-06-17T13:00", &physical).await;
        let cancelled = book(&env, &s, &s.by_email, "2026-06-17T10:00", "").await;
        env.app
            .change_appointment_status(&s.staff.front_desk, &cancelled.id, &medoffice_app::scheduling::StatusEventInput {
                event: "cancel".into(), reason: "Feeling better".into(), by: "patient".into(),
            })
            .await
            .unwrap();

        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.emails_sent, run.superseded), (2, 1), "{run:?}");
        let subjects: Vec<String> = server.received().iter().map(|m| m.header("Subject").unwrap()).collect();
        assert!(subjects.iter().any(|x| x.contains("Fri, Jun 19")) && subjects.iter().any(|x| x.contains("Tue, Jun 16")), "{subjects:?}");
        let day = env.app.reminders_for_date(&s.staff.front_desk, "").await.unwrap();
        let skipped = day.reminders.iter().find(|r| r.appointment_id == tomorrow.id && r.days_before == 7).unwrap();
        assert_eq!(skipped.status, "skipped");
        assert!(skipped.detail.as_deref().unwrap_or("").contains("superseded"), "{skipped:?}");

        // Wednesday: Friday's 2-day reminder is due; nothing else.
        env.clock.advance(chrono::Duration::days(2));
        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.date.as_str(), run.emails_sent, run.new_reminders), ("2026-06-17", 1, 1), "{run:?}");
        let last = server.received().pop().unwrap();
        assert!(last.header("Subject").unwrap().contains("Fri, Jun 19"));
        let day = env.app.reminders_for_date(&s.staff.front_desk, "").await.unwrap();
        assert!(day.reminders.iter().all(|r| r.appointment_id == friday.id && r.days_before == 2), "{day:?}");
        assert_eq!(server.received().len(), 3);

        // A date far from today is refused, naming the field.
        assert_eq!(invalid_fields(env.app.run_reminders(&s.staff.front_desk, "2026-09-01").await), ["date"]);
        assert_eq!(invalid_fields(env.app.run_reminders(&s.staff.front_desk, "soon").await), ["date"]);
    }
}

both_backends! {
    async fn smtp_settings_keep_the_password_out_of_sight_and_the_test_email_reports_failure(env: TestEnv) {
        let s = setup(&env).await;
        assert!(env.app.smtp_settings(&s.staff.admin).await.unwrap().is_none());
        let mut bad = smtp(0);
        bad.from_address = "office at riverside".into();
        bad.host = "smtp server".into();
        let mut fields = invalid_fields(env.app.save_smtp_settings(&s.staff.admin, &bad).await);
        fields.sort();
        assert_eq!(fields, ["from_address", "host", "port"]);
        let mut no_password = smtp(2525);
        no_password.username = "office".into();
        assert_eq!(invalid_fields(env.app.save_smtp_settings(&s.staff.admin, &no_password).await), ["password"]);

        let mut with_password = no_password.clone();
        with_password.password = "s3cret-relay-password".into();
        with_password.security = "starttls".into();
        with_password.port = String::new();
        let saved = env.app.save_smtp_settings(&s.staff.admin, &with_password).await.unwrap();
        assert_eq!((saved.port, saved.security.as_str(), saved.has_password), (587, "starttls", true));
        // A blank password keeps the stored one.
        let kept = env.app.save_smtp_settings(&s.staff.admin, &no_password).await.unwrap();
        assert!(kept.has_password);
        let filter = AuditFilter { action_prefix: Some("smtp.update".into()), ..Default::default() };
        let trail = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(trail.len(), 2);
        assert!(trail.iter().all(|r| !r.detail.contains("s3cret")), "{trail:?}");

        let server = SmtpListener::start(Mode::Accept).await;
        env.app.save_smtp_settings(&s.staff.admin, &smtp(server.port)).await.unwrap();
        let ok = env.app.send_test_email(&s.staff.admin, "manager@riverside.example").await.unwrap();
        assert!(ok.sent, "{ok:?}");
        assert_eq!(server.received()[0].rcpt_to, ["manager@riverside.example"]);
        assert_eq!(invalid_fields(env.app.send_test_email(&s.staff.admin, "nobody").await), ["to"]);

        env.app.save_smtp_settings(&s.staff.admin, &smtp(closed_port().await)).await.unwrap();
        let failed = env.app.send_test_email(&s.staff.admin, "manager@riverside.example").await.unwrap();
        assert!(!failed.sent && failed.detail.contains("127.0.0.1"), "{failed:?}");
        let filter = AuditFilter { action_prefix: Some("smtp.test".into()), ..Default::default() };
        let outcomes: Vec<String> = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap().into_iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, ["failed", "success"]);
    }
}

both_backends! {
    async fn only_the_desk_and_the_admin_work_reminders_and_only_the_admin_sets_them_up(env: TestEnv) {
        let s = setup(&env).await;
        book_wednesday(&env, &s).await;
        for actor in [&s.staff.bookkeeper, &s.staff.biller, &s.staff.provider] {
            assert!(matches!(env.app.run_reminders(actor, "").await, Err(AppError::Forbidden)), "{}", actor.username);
            assert!(matches!(env.app.call_list(actor, "").await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.reminders_for_date(actor, "").await, Err(AppError::Forbidden)));
        }
        let input = smtp(2525);
        assert!(matches!(env.app.save_smtp_settings(&s.staff.front_desk, &input).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.smtp_settings(&s.staff.front_desk).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.send_test_email(&s.staff.front_desk, "a@example.com").await, Err(AppError::Forbidden)));
        let rules = env.app.reminder_rules(&s.staff.front_desk).await.unwrap();
        assert!(matches!(
            env.app.save_reminder_rules(&s.staff.front_desk, &rules[0].appointment_type_id, "3").await,
            Err(AppError::Forbidden)
        ));
        // Nothing was made by the refused runs; the refusals are audited.
        let (reminders,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment_reminder").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(reminders, 0);
        assert!(audit_count(&env, &s, "access.denied").await >= 13);
        env.app.run_reminders(&s.staff.admin, "").await.unwrap();
        let (reminders,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment_reminder").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(reminders, 3);
    }
}

both_backends! {
    async fn a_server_that_cannot_be_reached_is_tried_once_per_run_and_the_rest_wait(env: TestEnv) {
        let s = setup(&env).await;
        let mut second = patient("Lindqvist", "Greta", "1968-11-21");
        second.email = "greta@example.com".into();
        second.preferred_contact = "email".into();
        let second = env.app.register_patient(&s.staff.front_desk, &second, false).await.unwrap().id;
        book(&env, &s, &s.by_email, "2026-06-17T09:00", "").await;
        book(&env, &s, &second, "2026-06-17T09:20", "").await;

        env.app.save_smtp_settings(&s.staff.admin, &smtp(closed_port().await)).await.unwrap();
        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.emails_sent, run.emails_failed), (0, 2), "{run:?}");
        assert!(run.failures[0].error.contains("127.0.0.1"), "{:?}", run.failures);
        assert!(run.failures[1].error.starts_with("not tried"), "the second is not tried: {:?}", run.failures);
        let day = env.app.reminders_for_date(&s.staff.front_desk, "").await.unwrap();
        assert_eq!(day.failed.len(), 2, "both are listed as failed");

        let server = SmtpListener::start(Mode::Accept).await;
        env.app.save_smtp_settings(&s.staff.admin, &smtp(server.port)).await.unwrap();
        let run = env.app.run_reminders(&s.staff.front_desk, "").await.unwrap();
        assert_eq!((run.emails_sent, run.emails_failed), (2, 0), "{run:?}");
        let mut recipients: Vec<String> = server.received().into_iter().flat_map(|m| m.rcpt_to).collect();
        recipients.sort();
        assert_eq!(recipients, ["ada@example.com", "greta@example.com"]);
    }
}
