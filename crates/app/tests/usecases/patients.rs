//! Registering, editing and merging patients.

use crate::harness::{both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_domain::patients::{PatientInput, is_valid_mrn, mrn_from_sequence};
use medoffice_store::audit::AuditFilter;

both_backends! {
    async fn a_valid_registration_gets_an_eight_digit_mrn_and_is_audited(env: TestEnv) {
        let staff = env.practice().await;
        let view = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "03/14/1985"), false).await.unwrap();
        assert_eq!(view.mrn.len(), 8);
        assert!(view.mrn.chars().all(|c| c.is_ascii_digit()), "{}", view.mrn);
        assert!(is_valid_mrn(&view.mrn), "{} has a wrong check digit", view.mrn);
        assert_eq!(view.mrn, mrn_from_sequence(1));
        assert_eq!((view.family_name.as_str(), view.given_name.as_str(), view.birth_date.as_str()), ("Doe", "Jane", "1985-03-14"));
        assert_eq!(view.phone.as_deref(), Some("(518) 462-0199"));
        assert_eq!(view.version, 1);
        assert_eq!(view.merged_into, None);

        let second = env.app.register_patient(&staff.front_desk, &patient("Roe", "Richard", "1990-01-02"), false).await.unwrap();
        assert_eq!(second.mrn, mrn_from_sequence(2));
        assert_eq!(env.app.count_patients(&staff.front_desk).await.unwrap(), 2);

        let filter = AuditFilter { patient_id: Some(view.id.clone()), ..Default::default() };
        let trail = env.app.audit_trail(&staff.admin, &filter, 50).await.unwrap();
        assert!(
            trail.iter().any(|r| r.action == "patient.create" && r.username == "frontdesk" && r.outcome == "success"),
            "{trail:?}"
        );
    }
}

both_backends! {
    async fn an_invalid_registration_names_every_bad_field_and_writes_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let audit_before = env.count("audit_event").await;
        let input = PatientInput {
            family_name: "   ".into(),
            given_name: "Jane".into(),
            birth_date: "2026-02-30".into(),
            sex: "female".into(),
            email: "not-an-email".into(),
            ..Default::default()
        };
        let fields = invalid_fields(env.app.register_patient(&staff.front_desk, &input, false).await);
        for expected in ["family_name", "birth_date", "email"] {
            assert!(fields.iter().any(|f| f == expected), "{expected} not named in {fields:?}");
        }
        assert!(!fields.iter().any(|f| f == "given_name" || f == "sex"), "valid fields named: {fields:?}");
        assert_eq!(env.count("patient").await, 0);
        assert_eq!(env.count("patient_search_token").await, 0);
        assert_eq!(env.count("audit_event").await, audit_before);
        // No MRN was used up.
        let view = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        assert_eq!(view.mrn, mrn_from_sequence(1));
    }
}

both_backends! {
    async fn registering_the_same_name_and_birth_date_again_lists_the_first_patient(env: TestEnv) {
        let staff = env.practice().await;
        let first = env.app.register_patient(&staff.front_desk, &patient("Johnson", "Margaret", "1985-03-14"), false).await.unwrap();
        let mut again = patient("JOHNSON", "margaret", "3/14/1985");
        again.phone = "(413) 555-2020".into();
        match env.app.register_patient(&staff.front_desk, &again, false).await {
            Err(AppError::PossibleDuplicates(candidates)) => {
                assert_eq!(candidates.len(), 1, "{candidates:?}");
                assert_eq!(candidates[0].patient.id, first.id);
                assert_eq!(candidates[0].patient.mrn, first.mrn);
                assert_eq!(candidates[0].reason, "same name and date of birth");
            }
            other => panic!("expected possible duplicates, got {other:?}"),
        }
        assert_eq!(env.count("patient").await, 1);

        // Someone else born the same day is no duplicate.
        env.app.register_patient(&staff.front_desk, &{
            let mut other = patient("Okonkwo", "Chidi", "1985-03-14");
            other.phone = "(802) 555-7788".into();
            other
        }, false).await.unwrap();

        let confirmed = env.app.register_patient(&staff.front_desk, &again, true).await.unwrap();
        assert_ne!(confirmed.id, first.id);
        assert_ne!(confirmed.mrn, first.mrn);
        assert_eq!(env.count("patient").await, 3);
        let filter = AuditFilter { patient_id: Some(confirmed.id.clone()), ..Default::default() };
        let trail = env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap();
        assert!(trail.iter().any(|r| r.action == "patient.create" && r.detail.contains("possible duplicates")), "{trail:?}");
    }
}

both_backends! {
    async fn an_edit_based_on_a_stale_version_is_refused_and_one_on_the_current_version_applies(env: TestEnv) {
        let staff = env.practice().await;
        let view = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        assert_eq!(view.version, 1);

        let mut edit = patient("Doe", "Janet", "1985-03-14");
        edit.email = "janet@example.com".into();
        let edited = env.app.update_patient(&staff.biller, &view.id, 1, &edit).await.unwrap();
        assert_eq!(edited.version, 2);
        assert_eq!(edited.given_name, "Janet");
        assert_eq!(edited.email.as_deref(), Some("janet@example.com"));
        assert_eq!(edited.mrn, view.mrn);

        // Another receptionist still holds version 1.
        let mut stale = patient("Doe", "Jayne", "1985-03-14");
        stale.phone = "(413) 555-2020".into();
        match env.app.update_patient(&staff.front_desk, &view.id, 1, &stale).await {
            Err(AppError::Conflict(message)) => assert!(message.contains("someone else changed"), "{message}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let chart = env.app.patient_chart(&staff.front_desk, &view.id).await.unwrap();
        assert_eq!((chart.patient.given_name.as_str(), chart.patient.version), ("Janet", 2));

        // The search index follows the edit.
        let found = env.app.search_patients(&staff.front_desk, "janet").await.unwrap();
        assert_eq!(found.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec![view.id.as_str()]);

        let filter = AuditFilter { patient_id: Some(view.id.clone()), action_prefix: Some("patient.update".into()), ..Default::default() };
        let trail = env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap();
        assert_eq!(trail.len(), 1, "{trail:?}");
        assert!(trail[0].detail.contains("given_name") && trail[0].detail.contains("email"), "{}", trail[0].detail);
        assert!(!trail[0].detail.contains("family_name"), "{}", trail[0].detail);

        // A missing patient is not found, whatever the version.
        assert!(matches!(
            env.app.update_patient(&staff.front_desk, "no-such-patient", 1, &edit).await,
            Err(AppError::NotFound(_))
        ));
    }
}

both_backends! {
    async fn merging_moves_coverages_to_the_survivor_and_retires_the_merged_record(env: TestEnv) {
        let staff = env.practice().await;
        let payer = env.payer_id(&staff.admin, 0).await;
        let survivor = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let duplicate = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), true).await.unwrap();
        let moved = env
            .app
            .add_coverage(&staff.front_desk, &duplicate.id, &coverage(&payer, "MEM-4455", "1", "2025-01-01"), None, None)
            .await
            .unwrap();

        let merged = env.app.merge_patients(&staff.admin, &survivor.id, &duplicate.id).await.unwrap();
        assert_eq!(merged.id, survivor.id);

        let chart = env.app.patient_chart(&staff.front_desk, &survivor.id).await.unwrap();
        assert_eq!(chart.coverages.len(), 1);
        assert_eq!(chart.coverages[0].id, moved.id);
        assert_eq!(chart.coverages[0].patient_id, survivor.id);
        assert_eq!(chart.coverages[0].member_id, "MEM-4455");

        let retired = env.app.patient_chart(&staff.front_desk, &duplicate.id).await.unwrap();
        assert_eq!(retired.patient.merged_into.as_deref(), Some(survivor.id.as_str()));
        assert!(retired.coverages.is_empty());
        assert_eq!(env.count("patient_merge").await, 1);
        assert_eq!(env.app.count_patients(&staff.front_desk).await.unwrap(), 1);

        // The member id now finds the survivor, and only the survivor.
        let found = env.app.search_patients(&staff.front_desk, "MEM-4455").await.unwrap();
        assert_eq!(found.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec![survivor.id.as_str()]);

        let filter = AuditFilter { action_prefix: Some("patient.merge".into()), ..Default::default() };
        let trail = env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap();
        let merge = trail.iter().find(|r| r.action == "patient.merge").unwrap_or_else(|| panic!("no patient.merge in {trail:?}"));
        assert_eq!(merge.patient_id.as_deref(), Some(survivor.id.as_str()));
        assert_eq!(merge.record_id.as_deref(), Some(duplicate.id.as_str()));
        assert_eq!(merge.username, "admin");
        assert!(merge.detail.contains("1 coverage(s) moved"), "{}", merge.detail);
        assert!(trail.iter().any(|r| r.action == "patient.merged_away" && r.patient_id.as_deref() == Some(duplicate.id.as_str())));

        // The retired record takes no more changes.
        assert!(matches!(
            env.app.update_patient(&staff.front_desk, &duplicate.id, retired.patient.version, &patient("Doe", "Jane", "1985-03-14")).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            env.app.add_coverage(&staff.front_desk, &duplicate.id, &coverage(&payer, "MEM-9999", "2", "2025-01-01"), None, None).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(env.app.merge_patients(&staff.admin, &survivor.id, &survivor.id).await, Err(AppError::Validation(_))));
    }
}

both_backends! {
    async fn an_edit_is_audited_with_the_name_of_every_field_it_changed(env: TestEnv) {
        use medoffice_domain::patients::{AddressInput, GuarantorInput};
        let staff = env.practice().await;
        let address = |line2: &str| AddressInput {
            line1: "12 Elm St".into(),
            line2: line2.into(),
            city: "Albany".into(),
            state: "NY".into(),
            postal_code: "12207".into(),
        };
        let mut child = patient("Doe", "Jimmy", "2015-08-01");
        child.guarantor = Some(GuarantorInput {
            family_name: "Doe".into(),
            given_name: "Jane".into(),
            relationship: "parent".into(),
            address: address("Apt 2"),
            ..Default::default()
        });
        let view = env.app.register_patient(&staff.front_desk, &child, false).await.unwrap();
        assert_eq!(view.guarantor.as_ref().and_then(|g| g.address.as_ref()).and_then(|a| a.line2.as_deref()), Some("Apt 2"));

        // Each field alone, so a field missing from the audited list shows as an empty detail.
        let mut version = view.version;
        let mut edits: Vec<(&str, medoffice_domain::patients::PatientInput)> = Vec::new();
        let mut e = child.clone();
        e.guarantor.as_mut().unwrap().address = address("Apt 3");
        edits.push(("guarantor_address_line2", e.clone()));
        e.address = address("");
        edits.push(("address_line1, city, state, postal_code", e.clone()));
        e.middle_name = "Lee".into();
        edits.push(("middle_name", e.clone()));
        for (expected, input) in edits {
            let edited = env.app.update_patient(&staff.front_desk, &view.id, version, &input).await.unwrap();
            assert_eq!(edited.version, version + 1);
            version = edited.version;
            let filter =
                AuditFilter { patient_id: Some(view.id.clone()), action_prefix: Some("patient.update".into()), ..Default::default() };
            let newest = env.app.audit_trail(&staff.admin, &filter, 1).await.unwrap().remove(0);
            assert_eq!(newest.detail, expected);
        }
    }
}

both_backends! {
    async fn the_same_name_and_phone_with_another_birth_date_is_a_likely_duplicate(env: TestEnv) {
        let staff = env.practice().await;
        let first = env.app.register_patient(&staff.front_desk, &patient("Delacroix", "Amelie", "1979-06-02"), false).await.unwrap();
        // A mistyped birth date (day and month swapped) but the same name and phone.
        let again = patient("Delacroix", "Amélie", "1979-02-06");
        match env.app.register_patient(&staff.front_desk, &again, false).await {
            Err(AppError::PossibleDuplicates(candidates)) => {
                assert_eq!(candidates.len(), 1, "{candidates:?}");
                assert_eq!(candidates[0].patient.id, first.id);
                assert!(candidates[0].reason.contains("same name and phone"), "{}", candidates[0].reason);
            }
            other => panic!("expected possible duplicates, got {other:?}"),
        }
        assert_eq!(env.count("patient").await, 1);
    }
}
