//! Finding patients by any part of the name, a misspelling, phone, birth date, MRN or member id.

use crate::harness::{Staff, TestEnv, both_backends, coverage, patient};
use medoffice_app::views::PatientView;
use medoffice_store::audit::AuditFilter;

struct People {
    johnson: PatientView,
    johnston: PatientView,
    smith: PatientView,
}

async fn register_people(env: &TestEnv, staff: &Staff) -> People {
    let register = |family: &'static str, given: &'static str, birth: &'static str, phone: &'static str| {
        let mut input = patient(family, given, birth);
        input.phone = phone.into();
        async move { env.app.register_patient(&staff.front_desk, &input, false).await.unwrap() }
    };
    People {
        johnson: register("Johnson", "Margaret", "1985-03-14", "(518) 462-0199").await,
        johnston: register("Johnston", "Anne", "1992-11-30", "(802) 555-7788").await,
        smith: register("Smith", "Peter", "1970-07-04", "(413) 555-2020").await,
    }
}

async fn ids(env: &TestEnv, staff: &Staff, query: &str) -> Vec<String> {
    env.app.search_patients(&staff.front_desk, query).await.unwrap().into_iter().map(|p| p.id).collect()
}

both_backends! {
    async fn a_partial_family_name_finds_every_patient_it_starts(env: TestEnv) {
        let staff = env.practice().await;
        let p = register_people(&env, &staff).await;
        let found = ids(&env, &staff, "john").await;
        assert!(found.contains(&p.johnson.id) && found.contains(&p.johnston.id), "{found:?}");
        assert!(!found.contains(&p.smith.id), "{found:?}");
        // Two words narrow it down.
        assert_eq!(ids(&env, &staff, "marg john").await, vec![p.johnson.id.clone()]);
        assert_eq!(ids(&env, &staff, "Johnson, Margaret").await, vec![p.johnson.id.clone()]);
        assert!(ids(&env, &staff, "zebulon").await.is_empty());
    }
}

both_backends! {
    async fn a_misspelt_name_finds_the_patient(env: TestEnv) {
        let staff = env.practice().await;
        let p = register_people(&env, &staff).await;
        let found = ids(&env, &staff, "Jonson").await;
        assert_eq!(found.first(), Some(&p.johnson.id), "{found:?}");
        assert!(!found.contains(&p.smith.id), "{found:?}");
        assert_eq!(ids(&env, &staff, "Smyth").await, vec![p.smith.id.clone()]);
    }
}

both_backends! {
    async fn phone_digits_birth_date_and_mrn_find_the_patient(env: TestEnv) {
        let staff = env.practice().await;
        let p = register_people(&env, &staff).await;
        assert_eq!(ids(&env, &staff, "462-0199").await, vec![p.johnson.id.clone()]);
        assert_eq!(ids(&env, &staff, "(518) 462-0199").await, vec![p.johnson.id.clone()]);
        assert_eq!(ids(&env, &staff, "5184620199").await, vec![p.johnson.id.clone()]);
        assert_eq!(ids(&env, &staff, "3/14/1985").await, vec![p.johnson.id.clone()]);
        assert_eq!(ids(&env, &staff, "1970-07-04").await, vec![p.smith.id.clone()]);
        assert!(ids(&env, &staff, "3/15/1985").await.is_empty());
        assert_eq!(ids(&env, &staff, &p.smith.mrn).await, vec![p.smith.id.clone()]);
        assert_eq!(ids(&env, &staff, &p.johnston.mrn).await, vec![p.johnston.id.clone()]);
    }
}

both_backends! {
    async fn a_member_id_finds_the_patient_once_the_coverage_is_added(env: TestEnv) {
        let staff = env.practice().await;
        let p = register_people(&env, &staff).await;
        assert!(ids(&env, &staff, "ZQ778812").await.is_empty());
        let payer = env.payer_id(&staff.admin, 1).await;
        env.app.add_coverage(&staff.biller, &p.johnston.id, &coverage(&payer, "zq-778812", "1", "2024-01-01"), None, None).await.unwrap();
        assert_eq!(ids(&env, &staff, "ZQ778812").await, vec![p.johnston.id.clone()]);
        assert_eq!(ids(&env, &staff, "zq-7788").await, vec![p.johnston.id.clone()]);
    }
}

both_backends! {
    async fn a_merged_patient_no_longer_appears_in_results(env: TestEnv) {
        let staff = env.practice().await;
        let p = register_people(&env, &staff).await;
        let mut again = patient("Johnson", "Margaret", "1985-03-14");
        again.phone = "(518) 462-0199".into();
        let duplicate = env.app.register_patient(&staff.front_desk, &again, true).await.unwrap();
        let mut both = ids(&env, &staff, "Margaret Johnson").await;
        both.sort();
        let mut expected = vec![p.johnson.id.clone(), duplicate.id.clone()];
        expected.sort();
        assert_eq!(both, expected);

        env.app.merge_patients(&staff.admin, &p.johnson.id, &duplicate.id).await.unwrap();
        assert_eq!(ids(&env, &staff, "Margaret Johnson").await, vec![p.johnson.id.clone()]);
        assert_eq!(ids(&env, &staff, &duplicate.mrn).await, Vec::<String>::new());
        assert_eq!(ids(&env, &staff, "462-0199").await, vec![p.johnson.id.clone()]);
    }
}

both_backends! {
    async fn an_empty_query_finds_nothing_and_a_search_is_audited(env: TestEnv) {
        let staff = env.practice().await;
        register_people(&env, &staff).await;
        for blank in ["", "   ", " , "] {
            assert!(ids(&env, &staff, blank).await.is_empty(), "query {blank:?}");
        }
        let found = env.app.search_patients(&staff.front_desk, "john").await.unwrap();
        assert_eq!(found.len(), 2);
        let filter = AuditFilter { username: Some("frontdesk".into()), action_prefix: Some("patient.search".into()), ..Default::default() };
        let trail = env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap();
        assert_eq!(trail.len(), 1, "only the non-blank search is recorded: {trail:?}");
        assert_eq!(trail[0].detail, "john (2 result(s))");
    }
}
