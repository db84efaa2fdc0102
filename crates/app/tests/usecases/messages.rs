//! Telephone messages through the use cases: triage and routing on the call pad, the inbox order,
//! the message's life, escalation timing with the test clock, routine deadlines over holidays,
//! the late view, the directory, roles, bad input and the audit trail. The clock stands at Monday
//! 2026-06-15, noon in New York (16:00 UTC).

use crate::harness::{STAFF_PASSWORD, Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::messages::{ContactInput, NewMessage, TriageInput};
use medoffice_app::scheduling::NewAppointment;
use medoffice_app::{Actor, AppError};
use medoffice_domain::messages::DIAL_911;
use medoffice_domain::scheduling::HolidayInput;
use medoffice_store::audit::AuditFilter;

async fn register(env: &TestEnv, staff: &Staff, family: &str) -> String {
    env.app.register_patient(&staff.front_desk, &patient(family, "Pat", "1960-03-14"), true).await.unwrap().id
}

/// A front-desk user the office manager puts in the nurse inbox.
async fn nurse(env: &TestEnv, staff: &Staff) -> Actor {
    env.app.add_user_offline("nina", "front_desk", STAFF_PASSWORD).await.unwrap();
    env.app.set_inbox_member(&staff.admin, "nurse", "nina", true).await.unwrap();
    env.login("nina", STAFF_PASSWORD).await
}

fn call(patient_id: &str, body: &str) -> NewMessage {
    NewMessage { patient_id: patient_id.into(), callback_phone: "(518) 555-0142".into(), body: body.into(), ..Default::default() }
}

fn bodies(list: &[medoffice_app::messages::MessageView]) -> Vec<&str> {
    list.iter().map(|m| m.body.as_str()).collect()
}

async fn audits(env: &TestEnv, staff: &Staff, prefix: &str) -> usize {
    let filter = AuditFilter { action_prefix: Some(prefix.into()), ..Default::default() };
    env.app.audit_trail(&staff.admin, &filter, 500).await.unwrap().len()
}

both_backends! {
    async fn an_urgent_call_is_triaged_routed_to_the_nurse_and_first_in_her_inbox(env: TestEnv) {
        let staff = env.practice().await;
        let nina = nurse(&env, &staff).await;
        let patient_id = register(&env, &staff, "Doe").await;
        let routine = env.app.take_message(&staff.front_desk, &call(&patient_id, "Has a question about the last visit")).await.unwrap();
        assert_eq!(routine.urgency, "routine");
        assert_eq!(routine.inbox, "scheduling", "something else goes to the front desk to route by hand");
        env.clock.advance(chrono::Duration::minutes(1));
        let clinical =
            env.app.take_message(&staff.front_desk, &NewMessage { reason: "clinical".into(), ..call(&patient_id, "Rash on the arm") }).await.unwrap();
        assert_eq!((clinical.urgency.as_str(), clinical.inbox.as_str()), ("routine", "nurse"));
        env.clock.advance(chrono::Duration::minutes(5));
        let urgent = env.app.take_message(&staff.front_desk, &call(&patient_id, "Husband says she has chest pain and feels dizzy")).await.unwrap();
        assert_eq!(urgent.urgency, "urgent");
        assert_eq!(urgent.triage_rule.as_deref(), Some("chest_pain"));
        assert_eq!(urgent.triage_rule_version, Some(1));
        assert_eq!(urgent.instruction.as_deref(), Some(DIAL_911));
        assert_eq!(urgent.inbox, "nurse");
        assert_eq!(urgent.deadline, "2026-06-15T12:36:00-04:00", "thirty minutes after the call");
        assert_eq!(urgent.caller_name, "Pat Doe");
        assert_eq!(urgent.callback_phone, "(518) 555-0142");
        assert_eq!(urgent.entries.len(), 1);
        assert!(urgent.entries[0].body.contains("Chest pain"), "{:?}", urgent.entries);

        // The nurse sees the urgent call first, then the older routine one; not the front desk's.
        let inbox = env.app.message_inbox(&nina).await.unwrap();
        assert_eq!(bodies(&inbox.messages), vec![urgent.body.as_str(), routine.body.as_str(), clinical.body.as_str()], "urgent, then oldest");
        assert_eq!(env.app.message_counts(&nina).await.unwrap(), (3, 1));
        let doctor = env.app.message_inbox(&staff.provider).await.unwrap();
        assert_eq!(bodies(&doctor.messages), vec![urgent.body.as_str(), clinical.body.as_str()], "providers work the nurse inbox too");
        assert!(env.app.message_inbox(&staff.biller).await.unwrap().messages.is_empty());

        // She acknowledges it (now hers), calls back and marks it done.
        let acked = env.app.acknowledge_message(&nina, &urgent.id).await.unwrap();
        assert_eq!((acked.status.as_str(), acked.assigned_to.as_deref()), ("acknowledged", Some("nina")));
        assert_eq!(bodies(&env.app.message_inbox(&staff.provider).await.unwrap().messages), vec![clinical.body.as_str()], "held by her now");
        let replied = env.app.reply_to_message(&nina, &urgent.id, "Spoke with husband; EMS on the way.", "done").await.unwrap();
        assert_eq!(replied.status, "done");
        assert_eq!(replied.entries.last().map(|e| (e.kind.as_str(), e.body.as_str())), Some(("reply", "Spoke with husband; EMS on the way.")));
        assert!(!bodies(&env.app.message_inbox(&nina).await.unwrap().messages).contains(&urgent.body.as_str()));
        // A done message does not go back to acknowledged.
        assert_eq!(invalid_fields(env.app.change_message_status(&nina, &urgent.id, "acknowledged").await), vec!["status"]);

        // On the chart, and audited.
        let chart = env.app.patient_messages(&staff.provider, &patient_id).await.unwrap();
        assert_eq!(chart.len(), 3);
        assert_eq!(audits(&env, &staff, "message.create").await, 3);
        assert!(audits(&env, &staff, "message.inbox").await >= 4);
        assert_eq!(audits(&env, &staff, "message.reply").await, 1);
    }
}

both_backends! {
    async fn refills_go_to_the_patients_provider_and_bills_to_billing(env: TestEnv) {
        let staff = env.practice().await;
        let patient_id = register(&env, &staff, "Roe").await;
        let provider = env.app.list_providers(&staff.front_desk).await.unwrap().remove(0).id;
        env.app
            .book_appointment(&staff.front_desk, &NewAppointment { patient_id: patient_id.clone(), provider_id: provider.clone(), start: "2026-06-16T09:00".into(), ..Default::default() })
            .await
            .unwrap();
        let refill = env.app.take_message(&staff.front_desk, &call(&patient_id, "Needs a refill of lisinopril")).await.unwrap();
        assert_eq!((refill.reason.as_str(), refill.inbox.clone()), ("refill", format!("provider:{provider}")));
        let bill = env.app.take_message(&staff.front_desk, &NewMessage { reason: "billing".into(), ..call(&patient_id, "Why do I owe $40?") }).await.unwrap();
        assert_eq!(bill.inbox, "billing");
        assert_eq!(bodies(&env.app.message_inbox(&staff.biller).await.unwrap().messages), vec![bill.body.as_str()]);
        // A refill for a patient without visits goes to the nurse.
        let new_patient = register(&env, &staff, "Moe").await;
        assert_eq!(env.app.take_message(&staff.front_desk, &call(&new_patient, "refill please")).await.unwrap().inbox, "nurse");
        // By hand: to a person, or to an inbox; the API's list by assignee.
        let handed = env.app.take_message(&staff.front_desk, &NewMessage { assigned_to: "biller".into(), ..call(&patient_id, "Insurance card changed") }).await.unwrap();
        assert_eq!((handed.assigned_to.as_deref(), handed.inbox.as_str()), (Some("biller"), "billing"));
        let listed = env.app.list_messages(&staff.admin, "biller", "", "new").await.unwrap();
        assert_eq!(bodies(&listed), vec!["Insurance card changed"]);
        let moved = env.app.reassign_message(&staff.biller, &handed.id, "scheduling").await.unwrap();
        assert_eq!((moved.assigned_to, moved.inbox.as_str()), (None, "scheduling"));
        // A hospital calling is urgent whatever it says.
        let hospital = env
            .app
            .take_message(&staff.front_desk, &NewMessage { caller_name: "Albany Med ER".into(), caller_kind: "hospital".into(), ..call("", "About a shared patient") })
            .await
            .unwrap();
        assert_eq!((hospital.urgency.as_str(), hospital.triage_rule.as_deref()), ("urgent", Some("clinician_caller")));
    }
}

both_backends! {
    async fn an_unacknowledged_urgent_message_escalates_to_the_inbox_then_the_manager(env: TestEnv) {
        let staff = env.practice().await;
        let nina = nurse(&env, &staff).await;
        let patient_id = register(&env, &staff, "Poe").await;
        let m = env
            .app
            .take_message(&staff.front_desk, &NewMessage { assigned_to: "nina".into(), ..call(&patient_id, "I can't breathe well since this morning") })
            .await
            .unwrap();
        assert_eq!((m.urgency.as_str(), m.assigned_to.as_deref(), m.inbox.as_str()), ("urgent", Some("nina"), "nurse"));
        assert!(env.app.message_inbox(&staff.provider).await.unwrap().messages.is_empty(), "held by the nurse");
        let start = env.app.now();
        env.clock.advance(chrono::Duration::minutes(29));
        assert_eq!(env.app.escalate_due(env.app.now()).await.unwrap(), 0);
        env.clock.advance(chrono::Duration::minutes(1));
        assert_eq!(env.app.escalate_due(env.app.now()).await.unwrap(), 1);
        assert_eq!(env.app.escalate_due(env.app.now()).await.unwrap(), 0, "once per level");
        let doctor = env.app.message_inbox(&staff.provider).await.unwrap();
        assert_eq!(bodies(&doctor.messages), vec![m.body.as_str()], "the inbox's other members see it now");
        assert_eq!(doctor.messages[0].escalation_level, 1);
        assert!(env.app.message_inbox(&staff.admin).await.unwrap().messages.is_empty(), "not the manager yet");
        assert_eq!(bodies(&env.app.late_messages(&staff.admin).await.unwrap()), vec![m.body.as_str()]);
        // Another 30 minutes: the office manager (the inbox load runs the escalation itself).
        env.clock.advance(chrono::Duration::minutes(30));
        let admin = env.app.message_inbox(&staff.admin).await.unwrap();
        assert_eq!(admin.escalated_now, 1);
        assert_eq!(admin.messages.first().map(|m| m.escalation_level), Some(2));
        assert_eq!(env.app.now() - start, chrono::Duration::minutes(60));
        let thread = env.app.message(&nina, &m.id).await.unwrap();
        assert_eq!(thread.entries.iter().filter(|e| e.kind == "event" && e.by.is_none()).count(), 2);
        assert_eq!(audits(&env, &staff, "message.escalate").await, 2);
        // Acknowledged messages stop escalating; a routine one never does.
        env.app.acknowledge_message(&nina, &m.id).await.unwrap();
        assert!(env.app.message_inbox(&staff.admin).await.unwrap().messages.is_empty());
    }
}

both_backends! {
    async fn a_routine_deadline_skips_the_weekend_and_practice_holidays(env: TestEnv) {
        let staff = env.practice().await;
        let patient_id = register(&env, &staff, "Loe").await;
        env.app.add_holiday(&staff.admin, &HolidayInput { date: "2026-06-16".into(), name: "Staff day".into() }).await.unwrap();
        let m = env.app.take_message(&staff.front_desk, &call(&patient_id, "Please send my lab results")).await.unwrap();
        assert_eq!(m.deadline, "2026-06-17T17:00:00-04:00", "Monday's message: Tuesday is a holiday, so Wednesday at close");
        // Friday afternoon: Monday at close.
        env.clock.advance(chrono::Duration::days(4) + chrono::Duration::hours(3));
        let friday = env.app.take_message(&staff.front_desk, &call(&patient_id, "Question about a form")).await.unwrap();
        assert_eq!(friday.deadline, "2026-06-22T17:00:00-04:00");
        // The practice changes its promise: two business days, close at 16:30.
        let settings = medoffice_app::messages::MessageSettingsInput {
            urgent_minutes: "15".into(),
            escalation_minutes: "20".into(),
            routine_business_days: "2".into(),
            close_time: "16:30".into(),
            workdays: "mon,tue,wed,thu,fri".into(),
            discharge_window_days: "7".into(),
        };
        env.app.save_message_settings(&staff.admin, &settings).await.unwrap();
        let later = env.app.take_message(&staff.front_desk, &call(&patient_id, "Another form")).await.unwrap();
        assert_eq!(later.deadline, "2026-06-23T16:30:00-04:00");
        let urgent = env.app.take_message(&staff.front_desk, &call(&patient_id, "slurred speech since lunch")).await.unwrap();
        assert_eq!(urgent.deadline, "2026-06-19T15:15:00-04:00");
        let bad = medoffice_app::messages::MessageSettingsInput { urgent_minutes: "0".into(), close_time: "5pm".into(), workdays: "".into(), ..settings };
        assert_eq!(invalid_fields(env.app.save_message_settings(&staff.admin, &bad).await), vec!["urgent_minutes", "close_time", "workdays"]);
    }
}

both_backends! {
    async fn bad_calls_are_refused_by_field_and_roles_are_checked(env: TestEnv) {
        let staff = env.practice().await;
        let empty = NewMessage { caller_kind: "alien".into(), callback_phone: "12".into(), urgency: "soon".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.take_message(&staff.front_desk, &empty).await), vec!["caller_kind", "callback_phone", "body", "urgency", "caller_name"]);
        let unknown = NewMessage { patient_id: "nobody".into(), assigned_to: "ghost".into(), ..call("", "hello") };
        assert_eq!(invalid_fields(env.app.take_message(&staff.front_desk, &unknown).await), vec!["patient_id", "assigned_to"]);
        assert!(matches!(env.app.take_message(&staff.bookkeeper, &call("", "x")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.late_messages(&staff.front_desk).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.triage_rules(&staff.front_desk).await, Err(AppError::Forbidden)));
        assert_eq!(env.app.message_counts(&staff.bookkeeper).await.unwrap(), (0, 0));
        let preview = env
            .app
            .triage_preview(&staff.front_desk, &TriageInput { caller_kind: "patient".into(), text: "no chest pain, wants to die".into(), recently_discharged: false })
            .await
            .unwrap();
        assert_eq!(preview.rule.as_deref(), Some("suicidal"));
    }
}

both_backends! {
    async fn an_edited_rule_is_a_new_version_that_the_next_call_names(env: TestEnv) {
        let staff = env.practice().await;
        let rules = env.app.triage_rules(&staff.admin).await.unwrap();
        let chest = rules.iter().find(|r| r.key == "chest_pain").unwrap();
        let edited = medoffice_app::messages::TriageRuleInput {
            key: chest.key.clone(),
            name: chest.name.clone(),
            kind: "words".into(),
            terms: format!("{}\npalpitations", chest.terms),
            instruction: chest.instruction.clone(),
            active: true,
        };
        assert_eq!(env.app.save_triage_rule(&staff.admin, &edited).await.unwrap().version, 2);
        let m = env.app.take_message(&staff.front_desk, &NewMessage { caller_name: "Sam Lee".into(), ..call("", "Palpitations all night") }).await.unwrap();
        assert_eq!((m.triage_rule.as_deref(), m.triage_rule_version), (Some("chest_pain"), Some(2)));
        // Switched off, it fires no more.
        env.app.save_triage_rule(&staff.admin, &medoffice_app::messages::TriageRuleInput { active: false, ..edited }).await.unwrap();
        let quiet = env.app.take_message(&staff.front_desk, &NewMessage { caller_name: "Sam Lee".into(), ..call("", "chest pain again") }).await.unwrap();
        assert_eq!(quiet.urgency, "routine");
        let bad = medoffice_app::messages::TriageRuleInput { kind: "words".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.save_triage_rule(&staff.admin, &bad).await), vec!["name", "terms", "instruction"]);
        // The directory.
        let c = env
            .app
            .save_contact(&staff.front_desk, None, &ContactInput { name: "Albany Pharmacy".into(), kind: "pharmacy".into(), phone: "518-555-0100".into(), notes: "Ask for Dana".into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(c.phone.as_deref(), Some("(518) 555-0100"));
        assert_eq!(env.app.directory(&staff.biller, "dana").await.unwrap().len(), 1);
        assert_eq!(env.app.directory(&staff.biller, "nothing like it").await.unwrap().len(), 0);
        assert_eq!(invalid_fields(env.app.save_contact(&staff.front_desk, None, &ContactInput { kind: "bar".into(), fax: "1".into(), ..Default::default() }).await), vec!["name", "kind", "fax"]);
        assert!(matches!(env.app.save_contact(&staff.biller, None, &ContactInput::default()).await, Err(AppError::Forbidden)));
    }
}
