//! The audit trail: every chart read is recorded, the trail pages and filters, and the hash chain
//! names the first record that was changed or removed behind the application's back.

use crate::harness::{TestEnv, both_backends, patient, test_audit_key};
use medoffice_app::AppError;
use medoffice_app::audit::AuditReportQuery;
use medoffice_domain::audit::{AuditKey, AuditRecord, GENESIS_HASH, SCHEME_HMAC, SCHEME_SHA256};
use medoffice_store::audit::{AuditFilter, AuditSort, AuditSortKey};
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

/// Every record of the practice's chain, oldest first.
async fn whole_chain(env: &TestEnv, practice_id: &str) -> Vec<AuditRecord> {
    let mut conn = env.store.pool().acquire().await.unwrap();
    medoffice_store::audit::chain_page(&mut conn, practice_id, 0, 100_000).await.unwrap()
}

/// Writes a record's chain fields back as an attacker with database access would.
async fn overwrite(env: &TestEnv, r: &AuditRecord) {
    let changed = sqlx::query(
        "UPDATE audit_event SET detail = $3, prev_hash = $4, hash = $5, chain_scheme = $6, key_id = $7 WHERE practice_id = $1 AND seq = $2",
    )
    .bind(&r.practice_id)
    .bind(r.seq)
    .bind(&r.detail)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .bind(&r.chain_scheme)
    .bind(&r.key_id)
    .execute(env.store.pool())
    .await
    .unwrap();
    assert_eq!(changed.rows_affected(), 1);
}

both_backends! {
    async fn new_records_are_sealed_with_the_audit_key_and_a_forged_sha256_is_detected(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        let chain = whole_chain(&env, &staff.admin.practice_id).await;
        let key_id = test_audit_key().id();
        assert!(chain.iter().all(|r| r.chain_scheme == SCHEME_HMAC && r.key_id.as_deref() == Some(key_id.as_str())), "{chain:?}");
        assert!(env.app.verify_audit_chain().await.unwrap().ok);

        // Through the application's own connection the new columns are as append-only as the rest.
        for sql in ["UPDATE audit_event SET chain_scheme = 'sha256', key_id = NULL", "DELETE FROM audit_event WHERE seq = 1"] {
            let error = sqlx::query(sql).execute(env.store.pool()).await.expect_err(sql).to_string();
            assert!(error.contains("append-only"), "{sql}: {error}");
        }

        // The attacker changes a chart read, marks it as an old plain-SHA-256 record and
        // recomputes its hash: everything they can do without the key.
        let mut forged = chain.iter().rev().find(|r| r.action == "patient.read").unwrap().clone();
        forged.detail = "nothing to see".into();
        forged.chain_scheme = SCHEME_SHA256.into();
        forged.key_id = None;
        forged.hash = forged.sha256_hash();
        disable_append_only_triggers(&env).await;
        overwrite(&env, &forged).await;
        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(!report.ok);
        let broken = report.broken_record.clone().unwrap();
        assert_eq!((broken.seq, broken.at.as_deref()), (forged.seq, Some(forged.at.as_str())));
        assert!(broken.reason.contains("not sealed"), "{report:?}");

        // Sealing it with a key of their own is no better.
        forged.chain_scheme = SCHEME_HMAC.into();
        forged.key_id = Some(key_id.clone());
        forged.hash = forged.hmac_hash(&AuditKey::from_bytes([1u8; 32]));
        overwrite(&env, &forged).await;
        let report = env.app.verify_audit_chain().await.unwrap();
        assert_eq!(report.broken_record.map(|b| b.seq), Some(forged.seq));
        assert!(report.broken.unwrap_or_default().contains("forged"));
    }
}

both_backends! {
    async fn verifying_with_another_key_names_the_first_record_and_both_key_ids(env: TestEnv) {
        let staff = env.practice().await;
        env.app.search_patients(&staff.front_desk, "doe").await.unwrap();
        let other = AuditKey::from_bytes([9u8; 32]);
        let wrong = env.app.clone().with_audit_key(other.clone());
        let report = wrong.verify_audit_chain().await.unwrap();
        assert!(!report.ok);
        assert_eq!(report.records, 0);
        let broken = report.broken_record.unwrap();
        assert_eq!(broken.seq, 1);
        assert!(broken.reason.contains(&other.id()) && broken.reason.contains(&test_audit_key().id()), "{}", broken.reason);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn a_trail_from_before_the_audit_key_is_sealed_once_and_then_verifies(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        let practice_id = staff.admin.practice_id.clone();

        // Rewrite the trail as migration 0043 finds it: plain SHA-256 records.
        disable_append_only_triggers(&env).await;
        let mut prev = GENESIS_HASH.to_string();
        for mut r in whole_chain(&env, &practice_id).await {
            r.prev_hash = prev.clone();
            r.chain_scheme = SCHEME_SHA256.into();
            r.key_id = None;
            r.hash = r.sha256_hash();
            overwrite(&env, &r).await;
            prev = r.hash.clone();
        }
        sqlx::query("UPDATE audit_head SET hash = $2 WHERE practice_id = $1").bind(&practice_id).bind(&prev).execute(env.store.pool()).await.unwrap();
        let legacy = env.count("audit_event").await;

        // An unsealed head is reported (it could be a whole chain rewritten without the key)...
        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(!report.ok);
        assert_eq!(report.broken_record.as_ref().map(|b| b.seq), Some(legacy));
        assert!(report.broken.unwrap_or_default().contains("newest record is not sealed"));

        // ...until the first run with the key seals it, once.
        assert_eq!(env.app.seal_audit_chains().await.unwrap(), 1);
        assert_eq!(env.app.seal_audit_chains().await.unwrap(), 0);
        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(i64::try_from(report.records).unwrap(), legacy + 1);
        let seal = whole_chain(&env, &practice_id).await.pop().unwrap();
        assert_eq!((seal.action.as_str(), seal.chain_scheme.as_str(), seal.prev_hash.as_str()), ("audit.seal", SCHEME_HMAC, prev.as_str()));

        // The sealed record anchors the legacy ones: changing one is still found.
        let mut first = whole_chain(&env, &practice_id).await.remove(0);
        first.detail = "rewritten".into();
        first.hash = first.sha256_hash();
        overwrite(&env, &first).await;
        let report = env.app.verify_audit_chain().await.unwrap();
        assert_eq!(report.broken_record.map(|b| b.seq), Some(2), "the next record no longer chains to it");
    }
}

both_backends! {
    async fn the_audit_key_file_is_made_once_and_a_lost_or_wrong_key_is_refused(env: TestEnv) {
        let staff = env.practice().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let mut conn = env.store.pool().acquire().await.unwrap();

        // The trail is sealed with the test key, so a missing key file is not silently replaced.
        let missing = medoffice_store::audit::load_or_create_key(&mut conn, &path).await.unwrap_err().to_string();
        assert!(missing.contains("missing") && missing.contains(&test_audit_key().id()), "{missing}");
        assert!(!path.exists());

        // The right key loads; another key is refused with both ids named.
        std::fs::write(&path, format!("{}\n", test_audit_key().to_hex())).unwrap();
        let loaded = medoffice_store::audit::load_or_create_key(&mut conn, &path).await.unwrap();
        assert_eq!(loaded, test_audit_key());
        std::fs::write(&path, format!("{}\n", AuditKey::from_bytes([3u8; 32]).to_hex())).unwrap();
        let wrong = medoffice_store::audit::load_or_create_key(&mut conn, &path).await.unwrap_err().to_string();
        assert!(wrong.contains(&AuditKey::from_bytes([3u8; 32]).id()) && wrong.contains(&test_audit_key().id()), "{wrong}");
        std::fs::write(&path, "not a key").unwrap();
        assert!(medoffice_store::audit::load_or_create_key(&mut conn, &path).await.is_err());
        drop(conn);

        // On a database with no sealed record, the file is created, owner-only, and kept.
        let fresh = crate::harness::TestDb::new(env.backend).await;
        let mut conn = fresh.store.pool().acquire().await.unwrap();
        let new_path = dir.path().join("keys").join("audit.key");
        let made = medoffice_store::audit::load_or_create_key(&mut conn, &new_path).await.unwrap();
        assert_eq!(medoffice_store::audit::read_key(&new_path).unwrap(), Some(made.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&new_path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(medoffice_store::audit::load_or_create_key(&mut conn, &new_path).await.unwrap(), made);
        let _ = staff;
    }
}

both_backends! {
    async fn the_audit_report_filters_sorts_pages_and_is_itself_audited(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let rick = env.app.register_patient(&staff.front_desk, &patient("Roe", "Richard", "1990-01-02"), false).await.unwrap();
        let morning = env.app.now();
        env.clock.advance(chrono::Duration::days(1));
        let day_two = env.app.now();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        env.app.patient_chart(&staff.biller, &rick.id).await.unwrap();
        env.app.patient_chart(&staff.front_desk, &jane.id).await.unwrap();
        env.clock.advance(chrono::Duration::days(1));

        let q = |filter: AuditFilter, sort: AuditSort| AuditReportQuery { filter, sort, page: 1 };
        let day = |t: chrono::DateTime<chrono::Utc>| t.date_naive().to_string();
        let next_day = |t: chrono::DateTime<chrono::Utc>| t.date_naive().succ_opt().unwrap().to_string();

        // A period: only the second day's three chart reads.
        let period = AuditFilter { from: Some(day(day_two)), until: Some(next_day(day_two)), ..Default::default() };
        let report = env.app.audit_report(&staff.admin, &q(period.clone(), AuditSort::default())).await.unwrap();
        assert_eq!(report.total, 3, "{:?}", report.rows);
        assert!(report.rows.iter().all(|r| r.record.action == "patient.read" && !r.emergency));
        assert!(report.rows.windows(2).all(|w| w[0].record.seq > w[1].record.seq), "newest first");
        assert!(report.record_types.contains(&"patient".to_string()));

        // Sorted by user, both ways; by patient, records without a patient last.
        let by_user = AuditSort { key: AuditSortKey::User, descending: false };
        let users: Vec<String> = env.app.audit_report(&staff.admin, &q(period.clone(), by_user)).await.unwrap().rows.into_iter().map(|r| r.record.username).collect();
        assert_eq!(users, vec!["biller", "doctor", "frontdesk"]);
        let users: Vec<String> = env.app.audit_report(&staff.admin, &q(period.clone(), AuditSort { descending: true, ..by_user })).await.unwrap().rows.into_iter().map(|r| r.record.username).collect();
        assert_eq!(users, vec!["frontdesk", "doctor", "biller"]);
        let by_patient = AuditSort { key: AuditSortKey::Patient, descending: false };
        let everything = env.app.audit_report(&staff.admin, &q(AuditFilter::default(), by_patient)).await.unwrap();
        let patients: Vec<Option<String>> = everything.rows.iter().map(|r| r.record.patient_id.clone()).collect();
        let first_none = patients.iter().position(Option::is_none).unwrap();
        assert!(patients[..first_none].iter().all(Option::is_some) && patients[first_none..].iter().all(Option::is_none), "{patients:?}");
        assert!(patients[..first_none].windows(2).all(|w| w[0] <= w[1]), "{patients:?}");
        let by_action = AuditSort { key: AuditSortKey::Action, descending: true };
        let actions: Vec<String> = env.app.audit_report(&staff.admin, &q(AuditFilter::default(), by_action)).await.unwrap().rows.into_iter().map(|r| r.record.action).collect();
        assert!(actions.windows(2).all(|w| w[0] >= w[1]), "{actions:?}");

        // Filters: user, patient, action prefix, record type.
        let biller = AuditFilter { username: Some("biller".into()), ..Default::default() };
        let rows = env.app.audit_report(&staff.admin, &q(biller, AuditSort::default())).await.unwrap().rows;
        assert!(!rows.is_empty() && rows.iter().all(|r| r.record.username == "biller"));
        let janes = AuditFilter { patient_id: Some(jane.id.clone()), action_prefix: Some("patient.read".into()), ..Default::default() };
        assert_eq!(env.app.audit_report(&staff.admin, &q(janes, AuditSort::default())).await.unwrap().total, 2);
        let typed = AuditFilter { record_type: Some("patient".into()), until: Some(day(day_two)), ..Default::default() };
        let rows = env.app.audit_report(&staff.admin, &q(typed, AuditSort::default())).await.unwrap().rows;
        assert!(rows.iter().all(|r| r.record.record_type == "patient" && r.record.at < day(day_two)));
        assert!(rows.iter().any(|r| r.record.action == "patient.create" && r.record.at >= day(morning)));

        // Pages of a hundred.
        for _ in 0..120 {
            env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        }
        let reads = AuditFilter { action_prefix: Some("patient.read".into()), ..Default::default() };
        let page2 = env.app.audit_report(&staff.admin, &AuditReportQuery { filter: reads.clone(), sort: AuditSort::default(), page: 2 }).await.unwrap();
        assert_eq!((page2.total, page2.pages, page2.page, page2.rows.len()), (123, 2, 2, 23));
        let beyond = env.app.audit_report(&staff.admin, &AuditReportQuery { filter: reads, sort: AuditSort::default(), page: 99 }).await.unwrap();
        assert_eq!(beyond.page, 2);

        // Reading the report is audited; only those who may read the trail may.
        let audited = AuditFilter { action_prefix: Some("audit.report".into()), ..Default::default() };
        let reads_of_report = env.app.audit_trail(&staff.admin, &audited, 200).await.unwrap();
        assert_eq!(reads_of_report.len(), 10);
        assert!(reads_of_report.iter().all(|r| r.username == "admin" && r.record_type == "audit_trail"));
        assert!(reads_of_report.iter().any(|r| r.detail.contains("user=biller")), "{reads_of_report:?}");
        assert!(matches!(env.app.audit_report(&staff.front_desk, &AuditReportQuery::default()).await, Err(AppError::Forbidden)));

        // A period that ends before it starts is refused, naming the field.
        let backwards = AuditFilter { from: Some(next_day(day_two)), until: Some(day(morning)), ..Default::default() };
        match env.app.audit_report(&staff.admin, &q(backwards, AuditSort::default())).await {
            Err(AppError::Validation(e)) => assert!(e.for_field("until").is_some()),
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn the_audit_report_exports_as_csv_with_the_same_filter_and_the_export_is_audited(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        env.app.patient_chart(&staff.provider, &jane.id).await.unwrap();
        env.app.patient_chart(&staff.biller, &jane.id).await.unwrap();
        // A search text that a spreadsheet would take for a formula.
        env.app.search_patients(&staff.front_desk, "=cmd|' /C calc'!A0").await.unwrap();

        let filter = AuditFilter { patient_id: Some(jane.id.clone()), action_prefix: Some("patient.read".into()), ..Default::default() };
        let sort = AuditSort { key: AuditSortKey::User, descending: false };
        let file = env.app.audit_report_csv(&staff.admin, &filter, sort).await.unwrap();
        assert_eq!(file.records, 2);
        let lines: Vec<&str> = file.csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3, "{}", file.csv);
        assert!(lines[0].starts_with("seq,at,username,user_id,action,patient_id"));
        assert!(lines[1].contains(",biller,") && lines[2].contains(",doctor,"), "{}", file.csv);
        assert!(lines[1..].iter().all(|l| l.contains(&jane.id) && l.contains(",patient.read,")));

        let searches = AuditFilter { action_prefix: Some("patient.search".into()), ..Default::default() };
        let file = env.app.audit_report_csv(&staff.admin, &searches, AuditSort::default()).await.unwrap();
        assert_eq!(file.records, 1);
        assert!(!file.csv.contains(",=cmd") && !file.csv.contains(",\"=cmd") && file.csv.contains(",'=cmd"), "{}", file.csv);

        let exports = AuditFilter { action_prefix: Some("audit.export".into()), ..Default::default() };
        let audited = env.app.audit_trail(&staff.admin, &exports, 10).await.unwrap();
        assert_eq!(audited.len(), 2);
        assert!(audited[1].detail.contains("2 records as CSV") && audited[1].detail.contains("sort=user asc"), "{:?}", audited[1]);
        assert!(matches!(env.app.audit_report_csv(&staff.biller, &filter, sort).await, Err(AppError::Forbidden)));
    }
}
