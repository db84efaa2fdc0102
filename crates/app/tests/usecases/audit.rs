//! The audit trail: every chart read is recorded, the trail pages and filters, and the hash chain
//! names the first record that was changed or removed behind the application's back.

use crate::harness::{TestEnv, both_backends, patient};
use medoffice_store::audit::AuditFilter;
use medoffice_store::{Backend, timestamp};

/// Lets the test change the audit table as an attacker with database access would.
async fn disable_append_only_triggers(env: &TestEnv) {
    let statements: &[&'static str] = match env.backend {
        Backend::Sqlite => &["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
        Backend::Postgres => &["ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update"],
    };
    for sql in statements {
        sqlx::query(*sql).execute(env.store.pool()).await.unwrap();
    }
}

both_backends! {
    async fn opening_a_chart_is_audited_with_the_patient_id(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let other = env.app.register_patient(&staff.front_desk, &patient("Roe", "Richard", "1990-01-02"), false).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        env.app.patient_chart(&staff.biller, &other.id).await.unwrap();

        let filter = AuditFilter { patient_id: Some(jane.id.clone()), action_prefix: Some("patient.read".into()), ..Default::default() };
        let reads = env.app.audit_trail(&staff.admin, &filter, 50).await.unwrap();
        assert_eq!(reads.len(), 2, "{reads:?}");
        for r in &reads {
            assert_eq!(r.action, "patient.read");
            assert_eq!(r.username, "doctor");
            assert_eq!(r.user_id.as_deref(), Some(staff.provider.user_id.as_str()));
            assert_eq!(r.record_id.as_deref(), Some(jane.id.as_str()));
            assert_eq!(r.outcome, "success");
            assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
            assert_eq!(r.at, timestamp(env.app.now()));
        }
        assert!(reads[0].seq > reads[1].seq, "newest first");

        let by_biller = AuditFilter { username: Some("biller".into()), action_prefix: Some("patient.".into()), ..Default::default() };
        let biller_reads = env.app.audit_trail(&staff.admin, &by_biller, 50).await.unwrap();
        assert_eq!(biller_reads.len(), 1, "{biller_reads:?}");
        assert_eq!(biller_reads[0].patient_id.as_deref(), Some(other.id.as_str()));

        // A chart that does not exist is not found, and nothing is recorded as read.
        let before = env.count("audit_event").await;
        assert!(matches!(env.app.patient_chart(&staff.provider, "no-such-patient").await, Err(medoffice_app::AppError::NotFound(_))));
        assert_eq!(env.count("audit_event").await, before);
    }
}

both_backends! {
    async fn the_audit_trail_pages_newest_first_and_filters_by_time(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let morning = env.app.now();
        env.clock.advance(chrono::Duration::hours(2));
        for _ in 0..5 {
            env.app.patient_chart(&staff.front_desk, &jane.id).await.unwrap();
        }
        let total = env.count("audit_event").await;

        let first_page = env.app.audit_trail(&staff.admin, &AuditFilter::default(), 3).await.unwrap();
        assert_eq!(first_page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![total, total - 1, total - 2]);
        let next = AuditFilter { before_seq: Some(first_page[2].seq), ..Default::default() };
        let second_page = env.app.audit_trail(&staff.admin, &next, 3).await.unwrap();
        assert_eq!(second_page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![total - 3, total - 4, total - 5]);

        let since_noon = AuditFilter { from: Some(timestamp(morning + chrono::Duration::hours(1))), ..Default::default() };
        let recent = env.app.audit_trail(&staff.admin, &since_noon, 200).await.unwrap();
        assert_eq!(recent.len(), 5, "{recent:?}");
        assert!(recent.iter().all(|r| r.action == "patient.read"));
        let until = AuditFilter { until: Some(timestamp(morning + chrono::Duration::hours(1))), ..Default::default() };
        let earlier = env.app.audit_trail(&staff.admin, &until, 200).await.unwrap();
        assert_eq!(i64::try_from(earlier.len()).unwrap(), total - 5);
        assert!(earlier.iter().any(|r| r.action == "patient.create"));
    }
}

both_backends! {
    async fn the_chain_verifies_after_activity_and_names_a_changed_record(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        env.app.search_patients(&staff.front_desk, "doe").await.unwrap();
        let total = env.count("audit_event").await;

        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(report.ok, "{report:?}");
        assert!(report.records > 0);
        assert_eq!(i64::try_from(report.records).unwrap(), total);
        assert_eq!(report.broken, None);

        let filter = AuditFilter { patient_id: Some(jane.id.clone()), action_prefix: Some("patient.read".into()), ..Default::default() };
        let read = env.app.audit_trail(&staff.admin, &filter, 1).await.unwrap().remove(0);
        disable_append_only_triggers(&env).await;
        let changed = sqlx::query("UPDATE audit_event SET username = 'somebody-else' WHERE practice_id = $1 AND seq = $2")
            .bind(&read.practice_id)
            .bind(read.seq)
            .execute(env.store.pool())
            .await
            .unwrap();
        assert_eq!(changed.rows_affected(), 1);

        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(!report.ok, "{report:?}");
        let broken = report.broken.unwrap_or_default();
        assert!(broken.contains(&format!("{}#{} ", read.practice_id, read.seq)), "{broken}");
        assert!(broken.contains("changed"), "{broken}");
        assert_eq!(i64::try_from(report.records).unwrap(), read.seq - 1, "records before the broken one were verified");
    }
}

both_backends! {
    async fn removing_the_newest_audit_records_is_detected(env: TestEnv) {
        if env.backend == Backend::Postgres {
            // The PostgreSQL trigger guards UPDATE and DELETE in one.
            sqlx::query("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update").execute(env.store.pool()).await.unwrap();
        } else {
            sqlx::query("DROP TRIGGER audit_event_no_delete").execute(env.store.pool()).await.unwrap();
        }
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
        let total = env.count("audit_event").await;
        let removed = sqlx::query("DELETE FROM audit_event WHERE seq = $1").bind(total).execute(env.store.pool()).await.unwrap();
        assert_eq!(removed.rows_affected(), 1);
        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(!report.ok, "{report:?}");
        let broken = report.broken.unwrap_or_default();
        assert!(broken.contains(&format!("#{total} ")) && broken.contains("missing"), "{broken}");
    }
}
