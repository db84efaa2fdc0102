//! Who may do what: every use case checks the caller's role, and a refusal is audited.

use crate::harness::{both_backends, patient};
use medoffice_app::AppError;
use medoffice_store::audit::AuditFilter;

fn forbidden<T: std::fmt::Debug>(result: medoffice_app::Result<T>) {
    assert!(matches!(result, Err(AppError::Forbidden)), "expected Forbidden, got {result:?}");
}

both_backends! {
    async fn a_bookkeeper_cannot_see_or_register_patients_and_each_refusal_is_audited(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let patients_before = env.count("patient").await;

        forbidden(env.app.patient_chart(&staff.bookkeeper, &jane.id).await);
        forbidden(env.app.search_patients(&staff.bookkeeper, "doe").await);
        forbidden(env.app.register_patient(&staff.bookkeeper, &patient("Roe", "Richard", "1990-01-02"), false).await);
        forbidden(env.app.audit_trail(&staff.bookkeeper, &AuditFilter::default(), 10).await);
        assert_eq!(env.count("patient").await, patients_before);

        let filter = AuditFilter { username: Some("bookkeeper".into()), ..Default::default() };
        let trail = env.app.audit_trail(&staff.admin, &filter, 50).await.unwrap();
        let denials: Vec<_> = trail.iter().filter(|r| r.outcome == "denied").collect();
        assert_eq!(denials.len(), 4, "{trail:?}");
        assert!(denials.iter().all(|r| r.action == "access.denied" && r.user_id.as_deref() == Some(staff.bookkeeper.user_id.as_str())));
        let details: Vec<&str> = denials.iter().map(|r| r.detail.as_str()).collect();
        for action in ["ReadPatient", "SearchPatients", "RegisterPatient", "ReadAuditTrail"] {
            assert!(details.contains(&action), "{action} not in {details:?}");
        }
        let chart_denial = denials.iter().find(|r| r.detail == "ReadPatient").unwrap();
        assert_eq!(chart_denial.patient_id.as_deref(), Some(jane.id.as_str()));
        assert_eq!(chart_denial.ip.as_deref(), Some("127.0.0.1"));
        // No read was recorded for the bookkeeper: only refusals and the sign-in.
        assert!(trail.iter().all(|r| r.outcome == "denied" || r.action == "login.success"), "{trail:?}");
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn a_provider_reads_charts_but_does_not_register_or_edit(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let chart = env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        assert_eq!(chart.patient.id, jane.id);
        assert_eq!(chart.age, 41);
        assert_eq!(env.app.search_patients(&staff.provider, "doe").await.unwrap().len(), 1);
        forbidden(env.app.register_patient(&staff.provider, &patient("Roe", "Richard", "1990-01-02"), false).await);
        forbidden(env.app.update_patient(&staff.provider, &jane.id, 1, &patient("Doe", "Janet", "1985-03-14")).await);
        assert_eq!(env.count("patient").await, 1);
        // A biller, by contrast, may register.
        env.app.register_patient(&staff.biller, &patient("Roe", "Richard", "1990-01-02"), false).await.unwrap();
        assert_eq!(env.count("patient").await, 2);
    }
}

both_backends! {
    async fn only_an_admin_merges_patients_and_manages_users(env: TestEnv) {
        let staff = env.practice().await;
        let a = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let b = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), true).await.unwrap();
        for actor in [&staff.front_desk, &staff.biller, &staff.bookkeeper, &staff.provider] {
            forbidden(env.app.merge_patients(actor, &a.id, &b.id).await);
            forbidden(env.app.list_users(actor).await);
            forbidden(env.app.set_user_disabled(actor, &staff.admin.user_id, true).await);
            forbidden(env.app.add_user(actor, "intruder", "Intruder", "admin", "a-long-password-9").await);
        }
        assert_eq!(env.count("patient_merge").await, 0);
        assert_eq!(env.count("app_user").await, 5);

        let users = env.app.list_users(&staff.admin).await.unwrap();
        let mut names: Vec<(&str, &str)> = users.iter().map(|u| (u.username.as_str(), u.role.as_str())).collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                ("admin", "admin"),
                ("biller", "biller"),
                ("bookkeeper", "bookkeeper"),
                ("doctor", "provider"),
                ("frontdesk", "front_desk"),
            ]
        );
        env.app.merge_patients(&staff.admin, &a.id, &b.id).await.unwrap();
        assert_eq!(env.count("patient_merge").await, 1);

        let added = env.app.add_user(&staff.admin, "nurse.kim", "Kim Lee", "front_desk", "a-long-password-9").await.unwrap();
        assert_eq!(added.role, "front_desk");
        match env.app.add_user(&staff.admin, "nurse.kim", "Kim Two", "biller", "a-long-password-9").await {
            Err(AppError::Conflict(message)) => assert!(message.contains("username is taken"), "{message}"),
            other => panic!("expected a conflict on the username, got {other:?}"),
        }
    }
}
