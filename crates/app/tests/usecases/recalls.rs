//! Recalls through the use cases: due dates given directly or as an interval, the due filters,
//! calls, letters and e-mails, closing, the booked state read from the appointments, the letter,
//! roles and bad input. The clock stands at Monday 2026-06-15, noon in New York.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::recalls::{NewRecall, RecallContactInput, RecallListInput};
use medoffice_app::scheduling::{NewAppointment, StatusEventInput};
use medoffice_app::views::RecallView;
use medoffice_domain::patients::AddressInput;
use medoffice_store::audit::AuditFilter;

async fn register(env: &TestEnv, staff: &Staff, family: &str, birth_date: &str) -> String {
    env.app.register_patient(&staff.front_desk, &patient(family, "Pat", birth_date), false).await.unwrap().id
}

fn due_on(patient_id: &str, reason: &str, due_date: &str) -> NewRecall {
    NewRecall { patient_id: patient_id.into(), reason: reason.into(), due_date: due_date.into(), ..Default::default() }
}

fn list(due: &str, status: &str) -> RecallListInput {
    RecallListInput { due: due.into(), status: status.into() }
}

fn contact(method: &str, outcome: &str, note: &str) -> RecallContactInput {
    RecallContactInput { method: method.into(), outcome: outcome.into(), note: note.into() }
}

fn reasons(recalls: &[RecallView]) -> Vec<&str> {
    recalls.iter().map(|r| r.reason.as_str()).collect()
}

async fn audits(env: &TestEnv, staff: &Staff, prefix: &str) -> usize {
    let filter = AuditFilter { action_prefix: Some(prefix.into()), ..Default::default() };
    env.app.audit_trail(&staff.admin, &filter, 500).await.unwrap().len()
}

both_backends! {
    async fn a_recall_due_after_an_interval_goes_from_due_through_contacts_to_closed(env: TestEnv) {
        let staff = env.practice().await;
        let patient_id = register(&env, &staff, "Doe", "1960-03-14").await;
        let provider = env.app.list_providers(&staff.front_desk).await.unwrap().remove(0);
        let input = NewRecall {
            patient_id: patient_id.clone(),
            provider_id: provider.id.clone(),
            reason: "  Diabetes   follow-up ".into(),
            interval: "6 months".into(),
            from_date: "2026-06-01".into(),
            notes: "A1c before the visit".into(),
            ..Default::default()
        };
        // A provider may create recalls.
        let made = env.app.create_recall(&staff.provider, &input).await.unwrap();
        assert_eq!(made.due_date, "2026-12-01", "six months from the visit");
        assert_eq!(made.reason, "Diabetes follow-up");
        assert_eq!(made.status, "pending");
        assert!(!made.overdue);
        assert_eq!(made.provider_name.as_deref(), Some(provider.name.as_str()));
        assert_eq!(made.created_by, staff.provider.display_name);
        assert_eq!(made.patient.id, patient_id);
        // Without a counting date the interval runs from today.
        let yearly = env.app.create_recall(&staff.front_desk, &NewRecall { interval: "1 year".into(), from_date: String::new(), ..input.clone() }).await.unwrap();
        assert_eq!(yearly.due_date, "2027-06-15");

        let called = env.app.record_recall_contact(&staff.front_desk, &made.id, &contact("phone", "no_answer", "")).await.unwrap();
        assert_eq!(called.status, "contacted");
        assert_eq!(called.contacts.len(), 1);
        assert_eq!(called.contacts[0].method, "phone");
        assert_eq!(called.contacts[0].outcome, "no_answer");
        assert_eq!(called.contacts[0].by, staff.front_desk.display_name);
        assert_eq!(called.contacts[0].at, "2026-06-15T12:00:00-04:00");
        env.clock.advance(chrono::Duration::minutes(5));
        env.app.record_recall_contact(&staff.admin, &made.id, &contact("letter", "", "Recall letter printed")).await.unwrap();
        let read = env.app.recall(&staff.provider, &made.id).await.unwrap();
        assert_eq!(read.contacts.iter().map(|c| (c.seq, c.method.as_str(), c.outcome.as_str())).collect::<Vec<_>>(), [(1, "phone", "no_answer"), (2, "letter", "sent")]);
        assert_eq!(read.contacts[1].note.as_deref(), Some("Recall letter printed"));

        let closed = env.app.close_recall(&staff.front_desk, &made.id, "Moved out of state").await.unwrap();
        assert_eq!(closed.status, "closed");
        assert_eq!(closed.close_reason.as_deref(), Some("Moved out of state"));
        assert_eq!(closed.closed_by.as_deref(), Some(staff.front_desk.display_name.as_str()));
        assert!(matches!(env.app.record_recall_contact(&staff.front_desk, &made.id, &contact("email", "sent", "")).await, Err(AppError::Conflict(_))));
        assert!(matches!(env.app.close_recall(&staff.front_desk, &made.id, "again").await, Err(AppError::Conflict(_))));

        for (action, n) in [("recall.create", 2), ("recall.contact", 2), ("recall.close", 1), ("recall.read", 1)] {
            assert_eq!(audits(&env, &staff, action).await, n, "{action}");
        }
        let filter = AuditFilter { patient_id: Some(patient_id.clone()), action_prefix: Some("recall.".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&staff.admin, &filter, 100).await.unwrap().len(), 6, "every record names the patient");
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn the_list_filters_by_due_range_and_by_status(env: TestEnv) {
        let staff = env.practice().await;
        let a = register(&env, &staff, "Abbott", "1970-01-01").await;
        let b = register(&env, &staff, "Baker", "1971-02-02").await;
        for (patient_id, reason, due) in [
            (&a, "Overdue check", "2026-06-01"),
            (&b, "Later this month", "2026-06-20"),
            (&a, "Next month", "2026-07-10"),
            (&b, "In the autumn", "2026-09-01"),
        ] {
            env.app.create_recall(&staff.front_desk, &due_on(patient_id, reason, due)).await.unwrap();
        }
        let fd = &staff.front_desk;
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("", "")).await.unwrap()), ["Overdue check", "Later this month", "Next month", "In the autumn"]);
        let overdue = env.app.list_recalls(fd, &list("overdue", "")).await.unwrap();
        assert_eq!(reasons(&overdue), ["Overdue check"]);
        assert!(overdue[0].overdue);
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("this_month", "")).await.unwrap()), ["Overdue check", "Later this month"]);
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("next_month", "open")).await.unwrap()), ["Next month"]);

        let all = env.app.list_recalls(fd, &list("", "all")).await.unwrap();
        let autumn = all.iter().find(|r| r.reason == "In the autumn").unwrap();
        let later = all.iter().find(|r| r.reason == "Later this month").unwrap();
        env.app.record_recall_contact(fd, &later.id, &contact("email", "", "")).await.unwrap();
        env.app.close_recall(fd, &autumn.id, "Seen by a specialist").await.unwrap();
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("", "")).await.unwrap()), ["Overdue check", "Later this month", "Next month"]);
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("", "pending")).await.unwrap()), ["Overdue check", "Next month"]);
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("", "contacted")).await.unwrap()), ["Later this month"]);
        assert_eq!(reasons(&env.app.list_recalls(fd, &list("", "closed")).await.unwrap()), ["In the autumn"]);
        assert_eq!(env.app.list_recalls(fd, &list("", "all")).await.unwrap().len(), 4);
        assert!(env.app.list_recalls(fd, &list("", "booked")).await.unwrap().is_empty());
        assert!(audits(&env, &staff, "recall.list").await >= 10);
    }
}

both_backends! {
    async fn a_recall_counts_as_booked_while_an_appointment_booked_since_holds_its_time(env: TestEnv) {
        let staff = env.practice().await;
        let patient_id = register(&env, &staff, "Doe", "1960-03-14").await;
        let provider = env.app.list_providers(&staff.front_desk).await.unwrap().remove(0).id;
        let booking = |start: &str| NewAppointment { patient_id: patient_id.clone(), provider_id: provider.clone(), start: start.into(), ..Default::default() };
        // An appointment booked before the recall was made does not count.
        env.app.book_appointment(&staff.front_desk, &booking("2026-06-16T09:00")).await.unwrap();
        env.clock.advance(chrono::Duration::minutes(1));
        let recall = env.app.create_recall(&staff.front_desk, &due_on(&patient_id, "Blood pressure check", "2026-12-01")).await.unwrap();
        assert_eq!(recall.status, "pending");
        assert!(recall.booked_start.is_none());

        env.clock.advance(chrono::Duration::minutes(1));
        let follow_up = env.app.book_appointment(&staff.front_desk, &booking("2026-11-30T14:00")).await.unwrap();
        let read = env.app.recall(&staff.front_desk, &recall.id).await.unwrap();
        assert_eq!(read.status, "booked");
        assert_eq!(read.booked_start.as_deref(), Some("2026-11-30T14:00:00-05:00"));
        assert_eq!(reasons(&env.app.list_recalls(&staff.front_desk, &list("", "booked")).await.unwrap()), ["Blood pressure check"]);
        assert!(env.app.list_recalls(&staff.front_desk, &list("", "open")).await.unwrap().is_empty());

        // Cancelled, it no longer counts: the recall is due again.
        let cancel = StatusEventInput { event: "cancel".into(), reason: "Travelling".into(), by: "patient".into() };
        env.app.change_appointment_status(&staff.front_desk, &follow_up.id, &cancel).await.unwrap();
        assert_eq!(env.app.recall(&staff.front_desk, &recall.id).await.unwrap().status, "pending");
        // Closed wins over booked.
        env.app.book_appointment(&staff.front_desk, &booking("2026-11-30T15:00")).await.unwrap();
        assert_eq!(env.app.recall(&staff.front_desk, &recall.id).await.unwrap().status, "booked");
        assert_eq!(env.app.close_recall(&staff.front_desk, &recall.id, "Booked").await.unwrap().status, "closed");
    }
}

both_backends! {
    async fn the_letter_carries_the_practice_and_the_patient_with_their_addresses(env: TestEnv) {
        let staff = env.practice().await;
        let mut input = patient("Quillfeather", "Ada", "1980-04-12");
        input.address = AddressInput {
            line1: "12 Elm St".into(),
            line2: "Apt 2".into(),
            city: "Albany".into(),
            state: "NY".into(),
            postal_code: "12207".into(),
        };
        let patient_id = env.app.register_patient(&staff.front_desk, &input, false).await.unwrap().id;
        let recall = env.app.create_recall(&staff.front_desk, &due_on(&patient_id, "Annual eye exam", "2026-07-01")).await.unwrap();
        // A practice without an address of its own writes from its office (the generated
        // "Main office", 220 Washington Ave)...
        let letter = env.app.recall_letter(&staff.front_desk, &recall.id).await.unwrap();
        assert_eq!(letter.practice_name, "Test Practice");
        assert_eq!(letter.practice_address, ["220 Washington Ave", "Albany, NY 12203"]);
        assert_eq!(letter.practice_phone.as_deref(), Some("(518) 462-0100"));
        // ...and from its own address once it has one.
        sqlx::query("UPDATE practice SET address_line1 = '1 Main St', city = 'Troy', state = 'NY', postal_code = '12180', phone = '5182730000'")
            .execute(env.store.pool())
            .await
            .unwrap();
        let letter = env.app.recall_letter(&staff.front_desk, &recall.id).await.unwrap();
        assert_eq!(letter.practice_address, ["1 Main St", "Troy, NY 12180"]);
        assert_eq!(letter.practice_phone.as_deref(), Some("(518) 273-0000"));
        assert_eq!(letter.patient_name, "Ada Quillfeather");
        assert_eq!(letter.patient_address, ["12 Elm St", "Apt 2", "Albany, NY 12207"]);
        assert_eq!(letter.reason, "Annual eye exam");
        assert_eq!(letter.due_date, "2026-07-01");
        assert_eq!(letter.letter_date, "2026-06-15");
        assert_eq!(audits(&env, &staff, "recall.letter").await, 2);
    }
}

both_backends! {
    async fn bad_recall_input_names_each_field(env: TestEnv) {
        let staff = env.practice().await;
        let patient_id = register(&env, &staff, "Doe", "1960-03-14").await;
        let fd = &staff.front_desk;
        let mut fields = invalid_fields(env.app.create_recall(fd, &NewRecall::default()).await);
        fields.sort();
        assert_eq!(fields, ["due_date", "patient_id", "reason"]);
        let both = NewRecall { interval: "6 months".into(), ..due_on(&patient_id, "Check", "2026-12-01") };
        assert_eq!(invalid_fields(env.app.create_recall(fd, &both).await), ["interval"]);
        let bad_interval = NewRecall { interval: "half a year".into(), ..due_on(&patient_id, "Check", "") };
        assert_eq!(invalid_fields(env.app.create_recall(fd, &bad_interval).await), ["interval"]);
        let bad_from = NewRecall { interval: "6 months".into(), from_date: "2026-02-30".into(), ..due_on(&patient_id, "Check", "") };
        assert_eq!(invalid_fields(env.app.create_recall(fd, &bad_from).await), ["from_date"]);
        assert_eq!(invalid_fields(env.app.create_recall(fd, &due_on(&patient_id, "Check", "next spring")).await), ["due_date"]);
        assert_eq!(invalid_fields(env.app.create_recall(fd, &due_on(&patient_id, "Check", "2040-01-01")).await), ["due_date"]);
        assert_eq!(invalid_fields(env.app.create_recall(fd, &due_on(&patient_id, &"x".repeat(201), "2026-12-01")).await), ["reason"]);
        assert_eq!(invalid_fields(env.app.create_recall(fd, &due_on("no-such-patient", "Check", "2026-12-01")).await), ["patient_id"]);
        let unknown_provider = NewRecall { provider_id: "no-such-provider".into(), ..due_on(&patient_id, "Check", "2026-12-01") };
        assert_eq!(invalid_fields(env.app.create_recall(fd, &unknown_provider).await), ["provider_id"]);
        assert_eq!(invalid_fields(env.app.list_recalls(fd, &list("someday", "")).await), ["due"]);
        assert_eq!(invalid_fields(env.app.list_recalls(fd, &list("", "forgotten")).await), ["status"]);

        let recall = env.app.create_recall(fd, &due_on(&patient_id, "Check", "06/30/2026")).await.unwrap();
        assert_eq!(recall.due_date, "2026-06-30");
        assert_eq!(invalid_fields(env.app.record_recall_contact(fd, &recall.id, &contact("pigeon", "", "")).await), ["method"]);
        assert_eq!(invalid_fields(env.app.record_recall_contact(fd, &recall.id, &contact("phone", "", "")).await), ["outcome"]);
        assert_eq!(invalid_fields(env.app.close_recall(fd, &recall.id, "  ").await), ["close_reason"]);
        assert_eq!(env.app.recall(fd, &recall.id).await.unwrap().status, "pending", "nothing changed");
        assert!(matches!(env.app.recall(fd, "no-such-recall").await, Err(AppError::NotFound(_))));
    }
}

both_backends! {
    async fn providers_read_and_create_recalls_the_desk_works_them_and_the_bookkeeper_and_biller_are_refused(env: TestEnv) {
        let staff = env.practice().await;
        let patient_id = register(&env, &staff, "Doe", "1960-03-14").await;
        let recall = env.app.create_recall(&staff.provider, &due_on(&patient_id, "Check", "2026-12-01")).await.unwrap();
        assert_eq!(env.app.list_recalls(&staff.provider, &list("", "")).await.unwrap().len(), 1);
        env.app.recall_letter(&staff.provider, &recall.id).await.unwrap();
        assert!(matches!(env.app.record_recall_contact(&staff.provider, &recall.id, &contact("phone", "reached", "")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.close_recall(&staff.provider, &recall.id, "Done").await, Err(AppError::Forbidden)));
        for actor in [&staff.biller, &staff.bookkeeper] {
            assert!(matches!(env.app.create_recall(actor, &due_on(&patient_id, "Check", "2026-12-01")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.list_recalls(actor, &list("", "")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.recall(actor, &recall.id).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.recall_letter(actor, &recall.id).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.record_recall_contact(actor, &recall.id, &contact("phone", "reached", "")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.close_recall(actor, &recall.id, "Done").await, Err(AppError::Forbidden)));
        }
        env.app.record_recall_contact(&staff.admin, &recall.id, &contact("phone", "reached", "")).await.unwrap();
        let filter = AuditFilter { action_prefix: Some("access.denied".into()), ..Default::default() };
        let denials = env.app.audit_trail(&staff.admin, &filter, 100).await.unwrap();
        assert_eq!(denials.len(), 14);
        assert!(denials.iter().any(|d| d.detail == "CreateRecalls" && d.patient_id.as_deref() == Some(patient_id.as_str())));
    }
}
