//! Check-in with the co-pay, check-out with the follow-up, the appointment page's history and
//! receipts, through the use cases. The clock stands at Monday 2026-06-15, noon in New York;
//! every provider works Monday to Friday 08:00-12:00 and 13:00-17:00 (see scheduling.rs).

use crate::harness::{Staff, TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::front_desk::{CheckInInput, CheckOutInput};
use medoffice_app::scheduling::{NewAppointment, StatusEventInput};
use medoffice_store::audit::AuditFilter;

struct Setup {
    staff: Staff,
    /// Has a primary coverage with a $25.00 co-pay.
    insured: String,
    /// No coverage: self-pay.
    self_pay: String,
    provider: String,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let insured = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap().id;
    let payer = env.payer_id(&staff.front_desk, 0).await;
    env.app.add_coverage(&staff.front_desk, &insured, &coverage(&payer, "XJ123456", "1", "2026-01-01"), None, None).await.unwrap();
    let self_pay = env.app.register_patient(&staff.front_desk, &patient("Roe", "Richard", "1990-07-02"), false).await.unwrap().id;
    let provider = env.app.list_providers(&staff.front_desk).await.unwrap()[0].id.clone();
    Setup { staff, insured, self_pay, provider }
}

async fn book(env: &TestEnv, s: &Setup, patient_id: &str, start: &str) -> String {
    let input =
        NewAppointment { patient_id: patient_id.into(), provider_id: s.provider.clone(), start: start.into(), ..Default::default() };
    env.app.book_appointment(&s.staff.front_desk, &input).await.unwrap().id
}

fn confirmed_check_in(amount: &str, method: &str, reference: &str) -> CheckInInput {
    CheckInInput {
        demographics_confirmed: true,
        insurance_confirmed: true,
        copay_amount: amount.into(),
        payment_method: method.into(),
        payment_reference: reference.into(),
    }
}

both_backends! {
    async fn check_in_records_the_copay_with_a_receipt_and_marks_the_patient_arrived(env: TestEnv) {
        let s = setup(&env).await;
        let id = book(&env, &s, &s.insured, "2026-06-15T14:00").await;
        let before = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap();
        assert_eq!(before.expected_copay_cents, 2500, "the primary coverage's co-pay is expected");
        assert!(before.allowed_events.contains(&"check_in".to_string()));

        let done = env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in("25.00", "card", "4242")).await.unwrap();
        assert_eq!(done.appointment.status, "arrived");
        let payment = done.payment.expect("a payment");
        assert_eq!(payment.amount_cents, 2500);
        assert_eq!(payment.amount, "$25.00");
        assert_eq!(payment.method, "card");
        assert_eq!(payment.receipt_number, 1);
        assert_eq!(payment.purpose, "copay");

        let detail = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap();
        assert_eq!(detail.payments.len(), 1);
        assert_eq!(detail.payments[0].received_by, s.staff.front_desk.display_name);
        let last = detail.history.last().unwrap();
        assert_eq!(last.to_status, "arrived");
        assert!(last.summary.contains("co-pay $25.00 taken (receipt 1)"), "{}", last.summary);
        assert!(last.summary.contains("demographics and insurance confirmed"), "{}", last.summary);

        let receipt = env.app.payment_receipt(&s.staff.front_desk, &payment.id).await.unwrap();
        assert_eq!(receipt.patient_name, "Doe, Jane");
        assert_eq!(receipt.payment.amount, "$25.00");
        assert!(receipt.visit.as_deref().unwrap_or("").starts_with("2026-06-15 14:00 Office visit with"), "{:?}", receipt.visit);

        // The next receipt number follows; a self-pay patient may be checked in without a payment.
        let other = book(&env, &s, &s.self_pay, "2026-06-15T14:30").await;
        let second = env.app.check_in(&s.staff.front_desk, &other, &confirmed_check_in("", "", "")).await.unwrap();
        assert!(second.payment.is_none());
        let history = env.app.appointment_detail(&s.staff.front_desk, &other).await.unwrap().history;
        assert!(history.last().unwrap().summary.contains("no co-pay due"), "{history:?}");

        let filter = AuditFilter { action_prefix: Some("payment.".into()), ..Default::default() };
        let trail = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        let actions: Vec<&str> = trail.iter().map(|r| r.action.as_str()).collect();
        assert!(actions.contains(&"payment.create") && actions.contains(&"payment.receipt"), "{actions:?}");
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn check_in_refuses_bad_input_and_writes_nothing(env: TestEnv) {
        let s = setup(&env).await;
        let id = book(&env, &s, &s.insured, "2026-06-15T14:00").await;
        let unconfirmed = CheckInInput { copay_amount: "25".into(), payment_method: "cash".into(), ..Default::default() };
        assert_eq!(
            invalid_fields(env.app.check_in(&s.staff.front_desk, &id, &unconfirmed).await),
            ["demographics_confirmed", "insurance_confirmed"]
        );
        for (amount, method, reference, field) in [
            ("twenty", "cash", "", "copay_amount"),
            ("0", "cash", "", "copay_amount"),
            ("25.001", "cash", "", "copay_amount"),
            ("2500000", "cash", "", "copay_amount"),
            ("25.00", "", "", "payment_method"),
            ("25.00", "bitcoin", "", "payment_method"),
            ("25.00", "check", "", "payment_reference"),
            ("25.00", "card", "4111111111111111", "payment_reference"),
        ] {
            let r = env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in(amount, method, reference)).await;
            assert_eq!(invalid_fields(r), [field], "{amount} {method} {reference}");
        }
        let detail = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap();
        assert_eq!(detail.appointment.status, "scheduled");
        assert!(detail.payments.is_empty());
        assert_eq!(env.count("counter").await, 1, "only the MRN counter: no receipt number was taken");

        // A cancelled appointment cannot be checked in, and nothing is recorded.
        let cancel = StatusEventInput { event: "cancel".into(), reason: "Feeling better".into(), by: "patient".into() };
        env.app.change_appointment_status(&s.staff.front_desk, &id, &cancel).await.unwrap();
        let r = env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in("25.00", "cash", "")).await;
        assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
        assert!(env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap().payments.is_empty());
    }
}

both_backends! {
    async fn check_out_books_the_follow_up_in_the_same_transaction(env: TestEnv) {
        let s = setup(&env).await;
        let id = book(&env, &s, &s.insured, "2026-06-15T14:00").await;
        env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in("25", "cash", "")).await.unwrap();
        let suggestions = env.app.follow_up_suggestions(&s.staff.front_desk, &id, 2, "").await.unwrap();
        assert!(!suggestions.is_empty());
        assert!(suggestions[0].start.starts_with("2026-06-29T08:00"), "two weeks on, first open time: {suggestions:?}");

        // A follow-up over another appointment is refused, and the check-out with it.
        let taken = book(&env, &s, &s.self_pay, "2026-06-29T08:00").await;
        let clash = CheckOutInput { follow_up_start: "2026-06-29T08:00".into(), ..Default::default() };
        let r = env.app.check_out(&s.staff.front_desk, &id, &clash).await;
        assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
        assert_eq!(env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap().appointment.status, "arrived");
        let past = CheckOutInput { follow_up_start: "2026-06-01T08:00".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.check_out(&s.staff.front_desk, &id, &past).await), ["follow_up_start"]);
        let lunch = CheckOutInput { follow_up_start: "2026-06-29T12:10".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.check_out(&s.staff.front_desk, &id, &lunch).await), ["follow_up_start"]);

        let good = CheckOutInput { follow_up_start: "2026-06-29T08:20".into(), follow_up_notes: "Recheck blood pressure".into(), ..Default::default() };
        let done = env.app.check_out(&s.staff.front_desk, &id, &good).await.unwrap();
        assert_eq!(done.appointment.status, "checked_out");
        let follow_up = done.follow_up.expect("a follow-up");
        assert_eq!(follow_up.patient_id, s.insured);
        assert_eq!(follow_up.provider_id, s.provider);
        assert_eq!(follow_up.start, "2026-06-29T08:20:00-04:00");
        assert_eq!(follow_up.notes.as_deref(), Some("Recheck blood pressure"));
        assert_ne!(follow_up.id, taken);
        let history = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap().history;
        assert_eq!(history.last().unwrap().summary, "Checked out; follow-up booked");
    }
}

both_backends! {
    async fn a_payment_is_voided_with_a_reason_never_deleted(env: TestEnv) {
        let s = setup(&env).await;
        let id = book(&env, &s, &s.insured, "2026-06-15T14:00").await;
        let paid = env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in("25", "cash", "")).await.unwrap().payment.unwrap();
        assert_eq!(invalid_fields(env.app.void_payment(&s.staff.front_desk, &paid.id, " ").await), ["reason"]);
        // The co-pay is on the books: undeposited funds against the patients' receivables.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let balance_of = |tb: &medoffice_app::ledger::TrialBalanceView, number: &str| {
            tb.accounts.iter().find(|a| a.number == number).map(|a| a.debit_cents - a.credit_cents).unwrap_or(0)
        };
        let tb = env.app.trial_balance(&s.staff.bookkeeper, today).await.unwrap();
        assert!(tb.balances());
        assert_eq!(balance_of(&tb, "1010"), 2500, "undeposited funds: {tb:?}");
        assert_eq!(balance_of(&tb, "1110"), -2500, "AR - patients carries the credit: {tb:?}");
        let voided = env.app.void_payment(&s.staff.front_desk, &paid.id, "Charged twice").await.unwrap();
        assert!(voided.voided);
        // Voiding posts the reversal: both accounts back to nothing, the books still balanced.
        let tb = env.app.trial_balance(&s.staff.bookkeeper, today).await.unwrap();
        assert!(tb.balances());
        assert_eq!((balance_of(&tb, "1010"), balance_of(&tb, "1110")), (0, 0), "{tb:?}");
        assert_eq!(voided.void_reason.as_deref(), Some("Charged twice"));
        let again = env.app.void_payment(&s.staff.front_desk, &paid.id, "Again").await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
        let listed = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap().payments;
        assert_eq!(listed.len(), 1);
        assert!(listed[0].voided);
    }
}

both_backends! {
    async fn roles_decide_who_takes_payments_and_reads_the_appointment_page(env: TestEnv) {
        let s = setup(&env).await;
        let id = book(&env, &s, &s.insured, "2026-06-15T14:00").await;
        let forbidden = |r: &medoffice_app::Result<()>| matches!(r, Err(AppError::Forbidden));
        let r = env.app.appointment_detail(&s.staff.bookkeeper, &id).await.map(|_| ());
        assert!(forbidden(&r), "{r:?}");
        let r = env.app.check_in(&s.staff.provider, &id, &confirmed_check_in("25", "cash", "")).await.map(|_| ());
        assert!(forbidden(&r), "{r:?}");
        let r = env.app.check_in(&s.staff.bookkeeper, &id, &confirmed_check_in("", "", "")).await.map(|_| ());
        assert!(forbidden(&r), "{r:?}");
        // The provider reads the page (and its history); the admin checks in.
        assert_eq!(env.app.appointment_detail(&s.staff.provider, &id).await.unwrap().appointment.id, id);
        let paid = env.app.check_in(&s.staff.admin, &id, &confirmed_check_in("25", "cash", "")).await.unwrap().payment.unwrap();
        let r = env.app.payment_receipt(&s.staff.provider, &paid.id).await.map(|_| ());
        assert!(forbidden(&r), "{r:?}");
        assert!(env.app.payment_receipt(&s.staff.biller, &paid.id).await.is_ok());
    }
}

both_backends! {
    async fn the_patient_is_taken_to_an_open_room_of_the_location(env: TestEnv) {
        use medoffice_store::schedule_setup::{RoomRow, insert_room};
        let s = setup(&env).await;
        let id = book(&env, &s, &s.insured, "2026-06-15T14:00").await;
        let practice_id = s.staff.admin.practice_id.clone();
        let location_id = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap().appointment.location_id;
        let mut conn = env.store.pool().acquire().await.unwrap();
        for (room_id, name, active) in [("exam-1", "Exam 1", 1), ("exam-2", "Exam 2 (closed)", 0)] {
            insert_room(&mut conn, &RoomRow {
                practice_id: practice_id.clone(),
                id: room_id.into(),
                location_id: location_id.clone(),
                name: name.into(),
                active,
                created_at: "2026-06-15T16:00:00.000000Z".into(),
                updated_at: "2026-06-15T16:00:00.000000Z".into(),
            }).await.unwrap();
        }
        drop(conn);
        let rooms = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap().rooms;
        assert_eq!(rooms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Exam 1"], "only open rooms are offered");

        // Not checked in yet: the lifecycle refuses the room.
        assert!(matches!(env.app.room_patient(&s.staff.front_desk, &id, "exam-1").await, Err(AppError::Conflict(_))));
        env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in("", "", "")).await.unwrap();
        assert_eq!(invalid_fields(env.app.room_patient(&s.staff.front_desk, &id, "exam-2").await), ["room_id"]);
        assert_eq!(invalid_fields(env.app.room_patient(&s.staff.front_desk, &id, "no-such-room").await), ["room_id"]);
        let roomed = env.app.room_patient(&s.staff.front_desk, &id, "exam-1").await.unwrap();
        assert_eq!(roomed.status, "in_room");
        let detail = env.app.appointment_detail(&s.staff.front_desk, &id).await.unwrap();
        assert_eq!(detail.room_name.as_deref(), Some("Exam 1"));
        assert_eq!(detail.history.last().unwrap().summary, "Taken to Exam 1");
    }
}

both_backends! {
    async fn a_receipt_is_emailed_through_the_practice_smtp_server_and_a_refusal_is_shown(env: TestEnv) {
        use crate::smtp_listener::{Mode, SmtpListener};
        use medoffice_app::reminders::SmtpInput;
        let s = setup(&env).await;
        let mut with_email = patient("Mailer", "Mona", "1979-05-05");
        with_email.email = "mona.mailer@example.com".into();
        let mona = env.app.register_patient(&s.staff.front_desk, &with_email, false).await.unwrap().id;
        let id = book(&env, &s, &mona, "2026-06-15T15:00").await;
        let paid = env.app.check_in(&s.staff.front_desk, &id, &confirmed_check_in("40", "cash", "")).await.unwrap().payment.unwrap();

        // No e-mail set up yet: a clear refusal, nothing claimed as sent.
        let r = env.app.email_receipt(&s.staff.front_desk, &paid.id).await;
        assert!(matches!(&r, Err(AppError::Conflict(m)) if m.contains("not set up")), "{r:?}");

        let server = SmtpListener::start(Mode::Accept).await;
        let settings = SmtpInput {
            host: "127.0.0.1".into(),
            port: server.port.to_string(),
            security: "none".into(),
            from_address: "office@riverside.example".into(),
            from_name: "Riverside Family Medicine".into(),
            ..Default::default()
        };
        env.app.save_smtp_settings(&s.staff.admin, &settings).await.unwrap();
        let to = env.app.email_receipt(&s.staff.front_desk, &paid.id).await.unwrap();
        assert_eq!(to, "mona.mailer@example.com");
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].rcpt_to, ["mona.mailer@example.com"]);
        let body = received[0].body();
        assert!(body.contains("RECEIPT No. 1") && body.contains("$40.00") && body.contains("Mailer, Mona"), "{body}");

        // The server refuses the recipient: an error with its words, audited as not sent.
        server.set_mode(Mode::RejectRecipients);
        let r = env.app.email_receipt(&s.staff.front_desk, &paid.id).await;
        assert!(matches!(&r, Err(AppError::Conflict(m)) if m.contains("not e-mailed") && m.contains("550")), "{r:?}");
        let filter = AuditFilter { action_prefix: Some("payment.receipt_email".into()), ..Default::default() };
        let actions: Vec<String> = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap().into_iter().map(|r| r.action).collect();
        assert!(actions.contains(&"payment.receipt_emailed".to_string()) && actions.contains(&"payment.receipt_email_failed".to_string()), "{actions:?}");

        // A patient without an e-mail address: the field is named.
        let other = book(&env, &s, &s.self_pay, "2026-06-15T15:30").await;
        let paid = env.app.check_in(&s.staff.front_desk, &other, &confirmed_check_in("10", "cash", "")).await.unwrap().payment.unwrap();
        assert_eq!(invalid_fields(env.app.email_receipt(&s.staff.front_desk, &paid.id).await), ["email"]);
    }
}
