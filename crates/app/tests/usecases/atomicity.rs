//! A use case is one transaction: when it fails part-way, nothing it did stays.

use crate::harness::{both_backends, coverage, patient, png_bytes, upload};
use medoffice_app::AppError;
use medoffice_domain::patients::mrn_from_sequence;
use medoffice_store::patients as store;

both_backends! {
    async fn a_coverage_for_a_patient_that_does_not_exist_writes_no_coverage_and_no_file(env: TestEnv) {
        let staff = env.practice().await;
        let payer = env.payer_id(&staff.admin, 0).await;
        let audit_before = env.count("audit_event").await;
        let result = env
            .app
            .add_coverage(
                &staff.front_desk,
                "no-such-patient",
                &coverage(&payer, "A1234567", "1", "2025-01-01"),
                upload("card.png", "image/png", png_bytes()),
                None,
            )
            .await;
        assert!(matches!(result, Err(AppError::NotFound("patient"))), "{result:?}");
        assert_eq!(env.count("coverage").await, 0);
        assert_eq!(env.count("blob").await, 0);
        assert_eq!(env.count("audit_event").await, audit_before);
        let blobs_dir = env.db.dir.path().join("blobs");
        assert!(!blobs_dir.exists() || std::fs::read_dir(&blobs_dir).unwrap().next().is_none(), "no file was written");
    }
}

both_backends! {
    async fn a_registration_that_fails_after_taking_an_mrn_leaves_nothing_behind(env: TestEnv) {
        let staff = env.practice().await;
        // A record imported with the MRN the counter hands out next (the counter has not moved).
        let imported = patient("Imported", "Ida", "1950-05-05").validate(env.app.now().date_naive()).unwrap();
        let mut conn = env.store.pool().acquire().await.unwrap();
        store::insert(&mut conn, &staff.admin.practice_id, "imported-1", &mrn_from_sequence(1), &imported, "2026-01-01T00:00:00.000000Z")
            .await
            .unwrap();
        drop(conn);
        let audit_before = env.count("audit_event").await;
        assert_eq!(env.count("counter").await, 0);

        match env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await {
            Err(AppError::Conflict(message)) => assert!(message.contains("medical record number"), "{message}"),
            other => panic!("expected an MRN conflict, got {other:?}"),
        }
        // The counter's increment, the tokens and the audit record went with the transaction.
        assert_eq!(env.count("counter").await, 0);
        assert_eq!(env.count("patient").await, 1);
        assert_eq!(env.count("patient_search_token").await, 0);
        assert_eq!(env.count("audit_event").await, audit_before);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn a_merge_that_fails_after_moving_coverages_moves_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let payer = env.payer_id(&staff.admin, 0).await;
        let a = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let b = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), true).await.unwrap();
        let c = env.app.register_patient(&staff.front_desk, &patient("Roe", "Richard", "1990-01-02"), false).await.unwrap();
        env.app.merge_patients(&staff.admin, &a.id, &b.id).await.unwrap();

        // A coverage left on the merged record (written below the use cases, which refuse it).
        let data = coverage(&payer, "LEFT-OVER", "1", "2025-01-01").validate(env.app.now().date_naive()).unwrap();
        let mut conn = env.store.pool().acquire().await.unwrap();
        store::insert_coverage(&mut conn, &staff.admin.practice_id, "left-over", &b.id, &data, (None, None), "2026-01-01T00:00:00.000000Z")
            .await
            .unwrap();
        drop(conn);
        let audit_before = env.count("audit_event").await;

        // Merging b again moves its coverage first, then finds b already merged.
        match env.app.merge_patients(&staff.admin, &c.id, &b.id).await {
            Err(AppError::Conflict(message)) => assert!(message.contains("already merged"), "{message}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let mut conn = env.store.pool().acquire().await.unwrap();
        let left = store::get_coverage(&mut conn, &staff.admin.practice_id, "left-over").await.unwrap();
        assert_eq!(left.coverage.patient_id, b.id, "the coverage stayed where it was");
        assert_eq!(store::get(&mut conn, &staff.admin.practice_id, &b.id).await.unwrap().merged_into.as_deref(), Some(a.id.as_str()));
        drop(conn);
        assert_eq!(env.count("patient_merge").await, 1);
        assert_eq!(env.count("audit_event").await, audit_before);
        assert!(env.app.patient_chart(&staff.admin, &c.id).await.unwrap().coverages.is_empty());
    }
}
