//! Retention through the use cases: which documents the destroy list shows (adults 7 years after
//! the last visit, minors until 21 + 7, the office manager's edits, permanent categories never),
//! destruction (the record, the bytes gone, never twice, never early) and who may do any of it.
//! The practice's today is 2026-06-15.

use crate::harness::{TestEnv, both_backends, invalid_fields, patient, upload};
use medoffice_app::documents::{ContentUse, DocumentInput};
use medoffice_app::retention::RetentionRuleInput;
use medoffice_app::{Actor, AppError};
use medoffice_pdf::letter::{LetterPage, Letterhead, letters_pdf};
use sqlx::AssertSqlSafe;

/// A one-page PDF saying `text`.
pub fn text_pdf(pages: &[&str]) -> Vec<u8> {
    let head = Letterhead { practice_name: "Outside Clinic".into(), lines: vec![] };
    let pages: Vec<LetterPage> = pages
        .iter()
        .map(|t| LetterPage { body: (*t).to_string(), signer_name: "Dr Outside".into(), signer_title: String::new() })
        .collect();
    letters_pdf(&head, &pages)
}

/// Files a patient record (or, with no patient, a business document) as `actor`.
pub async fn file(env: &TestEnv, actor: &Actor, category: &str, title: &str, date: &str, patient_id: Option<&str>, pdf: Vec<u8>) -> String {
    let input = DocumentInput {
        category: category.into(),
        title: title.into(),
        document_date: date.into(),
        patient_id: patient_id.unwrap_or_default().into(),
        ..Default::default()
    };
    env.app.upload_document(actor, &input, upload("scan.pdf", "application/pdf", pdf).into_iter().collect()).await.unwrap().id
}

async fn one(env: &TestEnv, sql: &str, binds: &[&str]) -> String {
    let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql.to_string()));
    for b in binds {
        q = q.bind(b.to_string());
    }
    q.fetch_one(env.store.pool()).await.unwrap()
}

/// A visit: a completed appointment on `day`.
async fn completed_appointment(env: &TestEnv, practice_id: &str, patient_id: &str, day: &str) {
    let provider = one(env, "SELECT id FROM provider WHERE practice_id = $1 ORDER BY id LIMIT 1", &[practice_id]).await;
    let location = one(env, "SELECT id FROM location WHERE practice_id = $1 ORDER BY id LIMIT 1", &[practice_id]).await;
    let kind = one(env, "SELECT id FROM appointment_type WHERE practice_id = $1 ORDER BY id LIMIT 1", &[practice_id]).await;
    let start =
        medoffice_store::scheduling::minute_of(chrono::NaiveDateTime::parse_from_str(&format!("{day}T09:00"), "%Y-%m-%dT%H:%M").unwrap());
    sqlx::query(
        "INSERT INTO appointment (practice_id, id, patient_id, provider_id, location_id, appointment_type_id, start_at, end_at, \
         start_minute, end_minute, status, overbook, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'completed', 0, 1, $11, $11)",
    )
    .bind(practice_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(patient_id)
    .bind(provider)
    .bind(location)
    .bind(kind)
    .bind(format!("{day}T09:00"))
    .bind(format!("{day}T09:30"))
    .bind(start)
    .bind(start + 30)
    .bind(format!("{day}T09:00:00Z"))
    .execute(env.store.pool())
    .await
    .unwrap();
}

/// A visit: a posted encounter on `day`.
async fn encounter(env: &TestEnv, practice_id: &str, patient_id: &str, day: &str) {
    let provider = one(env, "SELECT id FROM provider WHERE practice_id = $1 ORDER BY id LIMIT 1", &[practice_id]).await;
    sqlx::query(
        "INSERT INTO encounter (practice_id, id, patient_id, rendering_provider_id, billing_provider_id, place_of_service, service_date, \
         status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $4, '11', $5, 'posted', 'test', $6, $6)",
    )
    .bind(practice_id)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(patient_id)
    .bind(provider)
    .bind(day)
    .bind(format!("{day}T12:00:00Z"))
    .execute(env.store.pool())
    .await
    .unwrap();
}

async fn listed(env: &TestEnv, admin: &Actor) -> Vec<String> {
    env.app.destroy_list(admin, 1).await.unwrap().items.into_iter().map(|i| i.title).collect()
}

struct Files {
    adult_old: String,
    adult_recent: String,
    minor: String,
    licence: String,
}

async fn files(env: &TestEnv, desk: &Actor, admin: &Actor) -> Files {
    let practice = &admin.practice_id;
    let ann = env.app.register_patient(desk, &patient("Old", "Ann", "1970-01-10"), true).await.unwrap().id;
    let bea = env.app.register_patient(desk, &patient("Recent", "Bea", "1972-02-20"), true).await.unwrap().id;
    let cy = env.app.register_patient(desk, &patient("Young", "Cy", "2010-03-01"), true).await.unwrap().id;
    // Ann was last seen 8 years ago; Bea 6 years ago (her referral is older than that); Cy 12
    // years ago, at four.
    completed_appointment(env, practice, &ann, "2018-05-01").await;
    encounter(env, practice, &ann, "2017-03-01").await;
    encounter(env, practice, &bea, "2020-06-01").await;
    completed_appointment(env, practice, &cy, "2014-06-01").await;
    Files {
        adult_old: file(env, desk, "referral", "Ann referral 2018", "2018-05-01", Some(&ann), text_pdf(&["Ann's referral"])).await,
        adult_recent: file(env, desk, "outside_records", "Bea outside records 2017", "2017-01-01", Some(&bea), text_pdf(&["Bea"])).await,
        minor: file(env, desk, "lab_result", "Cy lab 2014", "2014-06-01", Some(&cy), text_pdf(&["Cy's lab"])).await,
        licence: file(env, admin, "licence", "State licence 1990", "1990-01-01", None, text_pdf(&["Licence"])).await,
    }
}

both_backends! {
    async fn the_destroy_list_follows_the_last_visit_the_age_of_majority_and_the_rules(env: TestEnv) {
        let staff = env.practice().await;
        let admin = &staff.admin;
        let f = files(&env, &staff.front_desk, admin).await;

        // Adult seen 8 years ago: listed, eligible 7 years after the last visit; the one seen 6
        // years ago is not; the minor is kept until 21 + 7; a licence is kept for ever.
        let list = env.app.destroy_list(admin, 1).await.unwrap();
        assert_eq!(list.today, "2026-06-15");
        let titles: Vec<&str> = list.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["Ann referral 2018"], "{list:?}");
        let ann = &list.items[0];
        assert_eq!(ann.document_id, f.adult_old);
        assert_eq!(ann.eligible_on, "2025-05-01");
        assert_eq!(ann.last_visit.as_deref(), Some("2018-05-01"));
        assert_eq!(ann.rule, "7 years after the last visit; minors until age 21 + 7 years");
        assert_eq!(ann.patient_name.as_deref(), Some("Old, Ann"));
        assert_eq!((list.total, list.page, list.has_more), (1, 1, false));

        // The office manager shortens outside records to 5 years: Bea's (2020 + 5) is now listed.
        let rules = env.app.retention_rules(admin).await.unwrap();
        assert_eq!(rules.len(), medoffice_domain::documents::CATEGORIES.len());
        let outside = rules.iter().find(|r| r.category == "outside_records").unwrap();
        assert!(!outside.edited);
        assert_eq!(outside.version, 0);
        let edit = RetentionRuleInput {
            basis: "last_visit".into(),
            years: "5".into(),
            majority_age: "21".into(),
            years_after_majority: "7".into(),
            version: 0,
        };
        let saved = env.app.save_retention_rule(admin, "outside_records", &edit).await.unwrap();
        assert!(saved.edited);
        assert_eq!(saved.version, 1);
        assert_eq!(saved.description, "5 years after the last visit; minors until age 21 + 7 years");
        let mut now = listed(&env, admin).await;
        now.sort();
        assert_eq!(now, ["Ann referral 2018", "Bea outside records 2017"]);
        let bea = env.app.destroy_list(admin, 1).await.unwrap().items.into_iter().find(|i| i.document_id == f.adult_recent).unwrap();
        assert_eq!(bea.eligible_on, "2025-06-01");
        assert_eq!(bea.last_visit.as_deref(), Some("2020-06-01"));

        // An edit under the old version is a conflict; bad numbers are named by field.
        let stale = env.app.save_retention_rule(admin, "outside_records", &edit).await;
        assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
        let bad = RetentionRuleInput { years: "0".into(), majority_age: "12".into(), years_after_majority: "x".into(), version: 1, ..edit.clone() };
        let mut fields = invalid_fields(env.app.save_retention_rule(admin, "outside_records", &bad).await);
        fields.sort();
        assert_eq!(fields, ["years_after_majority"]);
        let bad = RetentionRuleInput { years: "0".into(), majority_age: "12".into(), version: 1, ..edit.clone() };
        let mut fields = invalid_fields(env.app.save_retention_rule(admin, "outside_records", &bad).await);
        fields.sort();
        assert_eq!(fields, ["majority_age", "years"]);
        let bad = RetentionRuleInput { basis: "forever".into(), version: 1, ..edit.clone() };
        assert_eq!(invalid_fields(env.app.save_retention_rule(admin, "outside_records", &bad).await), ["basis"]);
        assert!(matches!(env.app.save_retention_rule(admin, "no_such", &edit).await, Err(AppError::NotFound(_))));
        // Back to the default length, under the new version: Bea is off the list again.
        let back = RetentionRuleInput { years: "7".into(), version: 1, ..edit.clone() };
        assert_eq!(env.app.save_retention_rule(admin, "outside_records", &back).await.unwrap().version, 2);
        assert_eq!(listed(&env, admin).await, ["Ann referral 2018"]);

        // Twelve years on (2038-02-28) Cy is not yet 28; on 2038-03-01 he is, and his lab result
        // is listed. The licence never is.
        env.clock.advance(chrono::Duration::days(
            (chrono::NaiveDate::from_ymd_opt(2038, 2, 28).unwrap() - chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()).num_days(),
        ));
        let list = listed(&env, admin).await;
        assert!(!list.iter().any(|t| t == "Cy lab 2014"), "{list:?}");
        assert!(list.iter().any(|t| t == "Bea outside records 2017"), "{list:?}");
        env.clock.advance(chrono::Duration::days(1));
        let list = env.app.destroy_list(admin, 1).await.unwrap();
        let cy = list.items.iter().find(|i| i.document_id == f.minor).expect("Cy's lab result is listed at 28");
        assert_eq!(cy.eligible_on, "2038-03-01");
        assert!(!list.items.iter().any(|i| i.document_id == f.licence), "{list:?}");

        // A permanent rule keeps a patient category off the list for good.
        let permanent = RetentionRuleInput { basis: "permanent".into(), ..Default::default() };
        env.app.save_retention_rule(admin, "lab_result", &permanent).await.unwrap();
        assert!(!listed(&env, admin).await.iter().any(|t| t == "Cy lab 2014"));
    }
}

both_backends! {
    async fn destroying_writes_the_record_removes_the_bytes_and_cannot_be_repeated_or_done_early(env: TestEnv) {
        let staff = env.practice().await;
        let admin = &staff.admin;
        let desk = &staff.front_desk;
        let f = files(&env, desk, admin).await;
        let (blob_id, sha) = {
            let row: (String, String) =
                sqlx::query_as("SELECT blob_id, sha256 FROM document_version WHERE document_id = $1").bind(&f.adult_old).fetch_one(env.store.pool()).await.unwrap();
            row
        };
        let key = one(&env, "SELECT storage_key FROM blob WHERE id = $1", &[&blob_id]).await;
        let path = env.db.dir.path().join("blobs").join(&key);
        assert!(path.exists());
        env.app.document_content(desk, &f.adult_old, None, ContentUse::View).await.unwrap();

        // Too early (Bea's records), kept for ever (the licence), or unknown: refused by name,
        // nothing destroyed, not even the eligible one asked with them.
        let refused = env.app.destroy_documents(admin, &[f.adult_old.clone(), f.adult_recent.clone()]).await;
        let Err(AppError::Validation(e)) = refused else { panic!("expected a refusal, got {refused:?}") };
        assert_eq!(e.errors.len(), 1, "{e:?}");
        assert_eq!(e.errors[0].field, "document_ids");
        assert!(e.errors[0].message.contains("Bea outside records 2017") && e.errors[0].message.contains("2027-06-01"), "{e:?}");
        let Err(AppError::Validation(e)) = env.app.destroy_documents(admin, std::slice::from_ref(&f.licence)).await else { panic!() };
        assert!(e.errors[0].message.contains("State licence 1990") && e.errors[0].message.contains("permanently"), "{e:?}");
        assert_eq!(invalid_fields(env.app.destroy_documents(admin, &["nope".to_string()]).await), ["document_ids"]);
        assert_eq!(invalid_fields(env.app.destroy_documents(admin, &[]).await), ["document_ids"]);
        assert!(path.exists());
        assert!(env.app.destruction_log(admin, 1).await.unwrap().is_empty());

        let done = env.app.destroy_documents(admin, std::slice::from_ref(&f.adult_old)).await.unwrap();
        assert!(done.files_not_removed.is_empty());
        assert_eq!(done.destroyed.len(), 1);
        let record = &done.destroyed[0];
        assert_eq!(record.document_id, f.adult_old);
        assert_eq!(record.title, "Ann referral 2018");
        assert_eq!(record.eligible_on, "2025-05-01");
        assert_eq!(record.rule, "7 years after the last visit; minors until age 21 + 7 years");
        assert_eq!(record.sha256s, std::slice::from_ref(&sha));
        assert_eq!(record.versions, 1);
        assert_eq!(record.destroyed_by, "admin");
        assert!(record.method.contains("deleted"));

        // The bytes are gone: the file, its blob row, the version's link and its text.
        assert!(!path.exists(), "the encrypted file is still there");
        let (blob, text, status): (Option<String>, String, String) = sqlx::query_as(
            "SELECT v.blob_id, v.text_content, d.status FROM document_version v JOIN document d ON d.practice_id = v.practice_id AND d.id = v.document_id \
             WHERE v.document_id = $1",
        )
        .bind(&f.adult_old)
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!((blob, text.as_str(), status.as_str()), (None, "", "destroyed"));
        let (blobs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM blob WHERE id = $1").bind(&blob_id).fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(blobs, 0);
        let read = env.app.document_content(desk, &f.adult_old, None, ContentUse::View).await;
        match read {
            Err(e) => assert!(e.to_string().contains("destroyed"), "{e}"),
            Ok(_) => panic!("a destroyed document's content was read"),
        }

        // The log keeps it; the list no longer shows it; a second destruction is refused by name.
        let log = env.app.destruction_log(admin, 1).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].sha256s, [sha]);
        assert!(env.app.destroy_list(admin, 1).await.unwrap().items.is_empty());
        let Err(AppError::Validation(e)) = env.app.destroy_documents(admin, std::slice::from_ref(&f.adult_old)).await else { panic!() };
        assert!(e.errors[0].message.contains("Ann referral 2018") && e.errors[0].message.contains("already destroyed"), "{e:?}");
        let (audits,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'document.destroy' AND record_id = $1")
            .bind(&f.adult_old)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(audits, 1);
        // The others are untouched.
        env.app.document_content(desk, &f.adult_recent, None, ContentUse::View).await.unwrap();
    }
}

both_backends! {
    async fn only_the_office_manager_may_see_or_change_retention(env: TestEnv) {
        let staff = env.practice().await;
        let f = files(&env, &staff.front_desk, &staff.admin).await;
        let edit = RetentionRuleInput { basis: "document_date".into(), years: "3".into(), ..Default::default() };
        for actor in [&staff.front_desk, &staff.biller, &staff.bookkeeper, &staff.provider] {
            assert!(matches!(env.app.retention_rules(actor).await, Err(AppError::Forbidden)), "{:?}", actor.role);
            assert!(matches!(env.app.retention_rule(actor, "referral").await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.save_retention_rule(actor, "referral", &edit).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.destroy_list(actor, 1).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.destroy_documents(actor, std::slice::from_ref(&f.adult_old)).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.destruction_log(actor, 1).await, Err(AppError::Forbidden)));
        }
        // Nothing changed.
        assert!(!env.app.retention_rule(&staff.admin, "referral").await.unwrap().edited);
        assert_eq!(env.app.destroy_list(&staff.admin, 1).await.unwrap().items.len(), 1);
    }
}
