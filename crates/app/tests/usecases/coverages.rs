//! Insurance coverages: the one-primary-at-a-time rule, payers, dates and card images.

use crate::harness::{both_backends, coverage, invalid_fields, patient, png_bytes, upload};
use medoffice_app::AppError;
use medoffice_app::patients::CardSide;

both_backends! {
    async fn a_second_primary_coverage_on_the_same_day_is_refused(env: TestEnv) {
        let staff = env.practice().await;
        let aetna = env.payer_id(&staff.admin, 0).await;
        let other = env.payer_id(&staff.admin, 1).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();

        let primary_input = coverage(&aetna, "A1234567", "1", "2025-01-01");
        let primary = env.app.add_coverage(&staff.front_desk, &jane.id, &primary_input, None, None).await.unwrap();
        assert_eq!((primary.priority, primary.priority_label.as_str()), (1, "primary"));
        assert_eq!(primary.member_id, "A1234567");
        assert_eq!(primary.copay_cents, 2500);
        assert!(primary.active, "a coverage from 2025 with no end is in force on 2026-06-15");

        let fields = invalid_fields(
            env.app.add_coverage(&staff.front_desk, &jane.id, &coverage(&other, "B7654321", "primary", "2026-06-01"), None, None).await,
        );
        assert_eq!(fields, vec!["priority".to_string()]);

        let secondary_input = coverage(&other, "B7654321", "2", "2026-06-01");
        let secondary = env.app.add_coverage(&staff.front_desk, &jane.id, &secondary_input, None, None).await.unwrap();
        assert_eq!(secondary.priority_label, "secondary");

        // A primary that ended before the new one starts does not overlap.
        let mut old = coverage(&other, "OLD-1", "1", "2020-01-01");
        old.end_date = "2024-12-31".into();
        env.app.add_coverage(&staff.front_desk, &jane.id, &old, None, None).await.unwrap();

        let chart = env.app.patient_chart(&staff.front_desk, &jane.id).await.unwrap();
        let mut members: Vec<(i64, String, bool)> = chart.coverages.iter().map(|c| (c.priority, c.member_id.clone(), c.active)).collect();
        members.sort();
        assert_eq!(
            members,
            vec![(1, "A1234567".into(), true), (1, "OLD-1".into(), false), (2, "B7654321".into(), true)]
        );
        assert_eq!(env.count("coverage").await, 3);
    }
}

both_backends! {
    async fn an_unknown_payer_and_an_end_before_the_start_are_refused(env: TestEnv) {
        let staff = env.practice().await;
        let payer = env.payer_id(&staff.admin, 0).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();

        let fields = invalid_fields(
            env.app.add_coverage(&staff.front_desk, &jane.id, &coverage("no-such-payer", "A1234567", "1", "2025-01-01"), None, None).await,
        );
        assert_eq!(fields, vec!["payer_id".to_string()]);

        let mut backwards = coverage(&payer, "A1234567", "1", "2025-06-01");
        backwards.end_date = "2025-05-31".into();
        let fields = invalid_fields(env.app.add_coverage(&staff.front_desk, &jane.id, &backwards, None, None).await);
        assert_eq!(fields, vec!["end_date".to_string()]);

        let mut several = coverage(&payer, "!", "4", "");
        several.copay = "-5".into();
        let fields = invalid_fields(env.app.add_coverage(&staff.front_desk, &jane.id, &several, None, None).await);
        for expected in ["member_id", "priority", "start_date"] {
            assert!(fields.iter().any(|f| f == expected), "{expected} not named in {fields:?}");
        }
        assert_eq!(env.count("coverage").await, 0);
    }
}

both_backends! {
    async fn a_card_image_is_stored_and_read_back_byte_for_byte(env: TestEnv) {
        let staff = env.practice().await;
        let payer = env.payer_id(&staff.admin, 0).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let png = png_bytes();
        let input = coverage(&payer, "A1234567", "1", "2025-01-01");
        // The browser's claims (name, type) are not trusted: the bytes say PNG.
        let front = upload("card.jpg", "image/jpeg", png.clone());
        let saved = env.app.add_coverage(&staff.front_desk, &jane.id, &input, front, None).await.unwrap();
        assert!(saved.card_front_blob_id.is_some());
        assert_eq!(saved.card_back_blob_id, None);
        assert_eq!(env.count("blob").await, 1);

        let (content_type, bytes) = env.app.card_image(&staff.provider, &saved.id, CardSide::Front).await.unwrap();
        assert_eq!(content_type, "image/png");
        assert_eq!(bytes, png);
        assert!(matches!(env.app.card_image(&staff.provider, &saved.id, CardSide::Back).await, Err(AppError::NotFound(_))));
        assert!(matches!(env.app.card_image(&staff.bookkeeper, &saved.id, CardSide::Front).await, Err(AppError::Forbidden)));

        // A back image added later keeps the front one.
        let back = upload("back.png", "image/png", png.clone());
        let updated = env.app.update_coverage(&staff.front_desk, &jane.id, &saved.id, &input, None, back).await.unwrap();
        assert_eq!(updated.card_front_blob_id, saved.card_front_blob_id);
        assert!(updated.card_back_blob_id.is_some() && updated.card_back_blob_id != updated.card_front_blob_id);
        let (_, back) = env.app.card_image(&staff.front_desk, &saved.id, CardSide::Back).await.unwrap();
        assert_eq!(back, png);
    }
}

both_backends! {
    async fn an_upload_that_is_not_an_image_is_refused(env: TestEnv) {
        let staff = env.practice().await;
        let payer = env.payer_id(&staff.admin, 0).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let fields = invalid_fields(
            env.app
                .add_coverage(
                    &staff.front_desk,
                    &jane.id,
                    &coverage(&payer, "A1234567", "1", "2025-01-01"),
                    upload("card.png", "image/png", b"hello".to_vec()),
                    None,
                )
                .await,
        );
        assert_eq!(fields, vec!["card_front".to_string()]);
        assert_eq!(env.count("coverage").await, 0);
        assert_eq!(env.count("blob").await, 0);
        let blobs_dir = env.db.dir.path().join("blobs");
        assert!(!blobs_dir.exists() || std::fs::read_dir(&blobs_dir).unwrap().next().is_none(), "no file was written");
    }
}
