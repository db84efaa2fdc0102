//! Backups (issue 9): a practice with patients, a posted and a voided payment (the ledger, with a
//! reversal entry), an audit trail and a scanned insurance card is backed up, restored into a
//! fresh database and data dir (same backend, and SQLite into PostgreSQL and back), and checked:
//! the trial balance is the same, the audit chain verifies, the scan opens with the same bytes.
//! A damaged file, a wrong key and a non-empty target are refused clearly and change nothing; the
//! file holds no patient name in clear. The scheduled daily backup runs once a day and keeps the
//! newest N files.

use crate::harness::{ADMIN_PASSWORD, Staff, TestEnv, both_backends, coverage, invalid_fields, patient, png_bytes, upload};
use medoffice_app::AppError;
use medoffice_app::backup::{self, BackupError, BackupScheduleInput};
use medoffice_app::front_desk::CheckInInput;
use medoffice_app::patients::CardSide;
use medoffice_app::scheduling::NewAppointment;
use medoffice_store::Backend;
use std::path::{Path, PathBuf};

/// The end of a 15-minute visit starting at `start` (`YYYY-MM-DDTHH:MM`).
fn end_of(start: &str) -> String {
    let at = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").unwrap();
    (at + chrono::Duration::minutes(15)).format("%Y-%m-%dT%H:%M").to_string()
}

/// Names that occur nowhere else, to look for in the backup's bytes.
const FAMILY: &str = "Zabriskiequist";
const GIVEN: &str = "Quintessamaria";

struct Filled {
    staff: Staff,
    coverage_id: String,
    card: Vec<u8>,
}

async fn fill(env: &TestEnv) -> Filled {
    let staff = env.practice().await;
    let payer = env.payer_id(&staff.admin, 0).await;
    let jane = env.app.register_patient(&staff.front_desk, &patient(FAMILY, GIVEN, "1985-03-14"), false).await.unwrap();
    let mut card = png_bytes();
    card.extend_from_slice(b"member card of the patient, scanned at the desk");
    let saved = env
        .app
        .add_coverage(
            &staff.front_desk,
            &jane.id,
            &coverage(&payer, "ZQ9876543", "1", "2026-01-01"),
            upload("card.png", "image/png", card.clone()),
            None,
        )
        .await
        .unwrap();
    let provider = env.app.list_providers(&staff.front_desk).await.unwrap()[0].id.clone();
    let roe = env.app.register_patient(&staff.front_desk, &patient("Roe", "Richard", "1990-07-02"), false).await.unwrap();
    for (who, start) in [(&jane.id, "2026-06-15T14:00"), (&roe.id, "2026-06-15T15:00")] {
        let input = NewAppointment { patient_id: who.clone(), provider_id: provider.clone(), start: start.into(), ..Default::default() };
        let appointment = env.app.book_appointment(&staff.front_desk, &input).await.unwrap().id;
        let check_in = CheckInInput {
            demographics_confirmed: true,
            insurance_confirmed: true,
            copay_amount: "25.00".into(),
            payment_method: "card".into(),
            payment_reference: "4242".into(),
        };
        let done = env.app.check_in(&staff.front_desk, &appointment, &check_in).await.unwrap();
        if who == &roe.id {
            // A voided payment posts a reversal entry (a journal entry pointing at another).
            env.app.void_payment(&staff.front_desk, &done.payment.unwrap().id, "keyed twice").await.unwrap();
        }
    }
    Filled { staff, coverage_id: saved.id, card }
}

/// Copies the key files (the practice data key, and any other key the app keeps beside it) from
/// one test's data dir to another's: the operator's copy of the keys, kept apart from the backup.
fn copy_keys(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".key") {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

async fn trial_balance_json(env: &TestEnv, staff: &Staff) -> serde_json::Value {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let tb = env.app.trial_balance(&staff.bookkeeper, as_of).await.unwrap();
    assert!(tb.balances());
    serde_json::to_value(&tb).unwrap()
}

async fn rows_in(env: &TestEnv, table: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

/// Backs `source` up, restores into a fresh `target_backend`, and checks the result.
async fn round_trip(source: &TestEnv, filled: &Filled, target_backend: Backend) -> PathBuf {
    let expected_tb = trial_balance_json(source, &filled.staff).await;
    let source_chain = source.app.verify_audit_chain().await.unwrap();
    assert!(source_chain.ok);
    let file = source.db.dir.path().join("practice.mobackup");
    let made = source.app.write_backup(&file).await.unwrap();
    assert!(made.files >= 1 && made.rows > 0, "{made:?}");
    assert!(made.missing_files.is_empty());
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"MOBACKUP"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "the backup is its owner's only");
    }
    for name in [FAMILY, GIVEN, "ZQ9876543", "member card of the patient"] {
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} found in clear in the backup");
    }
    // The backup itself is noted in the audit trail, after the snapshot.
    assert_eq!(source.app.verify_audit_chain().await.unwrap().records, source_chain.records + 1);

    let target = TestEnv::new(target_backend).await;
    copy_keys(source.db.dir.path(), target.db.dir.path());
    let restored = backup::restore_backup_file(&target.store, &target.app.blobs, &file).await.unwrap();
    assert_eq!(restored.table_rows, made.table_rows, "every table's rows are back");
    assert_eq!(restored.files, made.files);

    // The audit chain verifies as restored (before anyone signs in and adds to it).
    let chain = target.app.verify_audit_chain().await.unwrap();
    assert!(chain.ok, "{chain:?}");
    assert_eq!(chain.records, source_chain.records, "{chain:?} vs {source_chain:?}");

    // The restored practice works: the same users sign in, the books and the scan are the same.
    let admin = target.login("admin", ADMIN_PASSWORD).await;
    let staff = Staff {
        bookkeeper: target.login("bookkeeper", crate::harness::STAFF_PASSWORD).await,
        provider: target.login("doctor", crate::harness::STAFF_PASSWORD).await,
        front_desk: target.login("frontdesk", crate::harness::STAFF_PASSWORD).await,
        biller: target.login("biller", crate::harness::STAFF_PASSWORD).await,
        admin,
    };
    assert_eq!(trial_balance_json(&target, &staff).await, expected_tb);
    let (content_type, card) = target.app.card_image(&staff.provider, &filled.coverage_id, CardSide::Front).await.unwrap();
    assert_eq!(content_type, "image/png");
    assert_eq!(card, filled.card);
    let found = target.app.search_patients(&staff.front_desk, FAMILY).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(target.app.verify_audit_chain().await.unwrap().ok);

    // Restoring again into the now-used database is refused, naming why.
    let again = backup::restore_backup_file(&target.store, &target.app.blobs, &file).await.unwrap_err();
    assert!(matches!(again, BackupError::NotEmpty(ref m) if m.contains("already holds data")), "{again}");
    assert!(again.is_bad_input());
    file
}

both_backends! {
    async fn a_backup_restores_into_a_fresh_data_dir_with_the_same_books_audit_chain_and_scans(env: TestEnv) {
        let filled = fill(&env).await;
        let backend = env.backend;
        round_trip(&env, &filled, backend).await;
    }
}

both_backends! {
    async fn a_damaged_file_a_wrong_key_and_a_foreign_file_are_refused_and_change_nothing(env: TestEnv) {
        let filled = fill(&env).await;
        let _ = &filled;
        let file = env.db.dir.path().join("practice.mobackup");
        env.app.write_backup(&file).await.unwrap();
        let good = std::fs::read(&file).unwrap();

        // A flipped byte in the middle.
        let target = TestEnv::new(env.backend).await;
        copy_keys(env.db.dir.path(), target.db.dir.path());
        let flipped_file = env.db.dir.path().join("flipped.mobackup");
        let mut flipped = good.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x01;
        std::fs::write(&flipped_file, &flipped).unwrap();
        let err = backup::restore_backup_file(&target.store, &target.app.blobs, &flipped_file).await.unwrap_err();
        assert!(matches!(err, BackupError::Damaged(_)), "{err}");
        assert!(err.to_string().contains("damaged or was altered"), "{err}");
        // Cut short.
        let cut_file = env.db.dir.path().join("cut.mobackup");
        std::fs::write(&cut_file, &good[..good.len() - 40]).unwrap();
        assert!(matches!(backup::restore_backup_file(&target.store, &target.app.blobs, &cut_file).await, Err(BackupError::Damaged(_))));
        // Not a backup at all.
        let text_file = env.db.dir.path().join("notes.txt");
        std::fs::write(&text_file, "patients to call back on Monday").unwrap();
        let err = backup::restore_backup_file(&target.store, &target.app.blobs, &text_file).await.unwrap_err();
        assert_eq!(err.to_string(), "this file is not a medoffice backup");
        // Nothing was written by the refused restores.
        assert_eq!(rows_in(&target, "patient").await, 0);
        assert_eq!(rows_in(&target, "journal_entry").await, 0);
        assert!(!target.db.dir.path().join("blobs").exists() || std::fs::read_dir(target.db.dir.path().join("blobs")).unwrap().next().is_none());

        // Another practice data key.
        let other = TestEnv::new(env.backend).await;
        std::fs::write(other.db.dir.path().join("blobs.key"), format!("{}\n", "5a".repeat(32))).unwrap();
        let err = backup::restore_backup_file(&other.store, &other.app.blobs, &file).await.unwrap_err();
        assert!(matches!(err, BackupError::WrongKey), "{err}");
        assert!(err.to_string().contains("the backup cannot be opened with this key"), "{err}");
        assert!(err.is_bad_input());
        // No key at all.
        let keyless = TestEnv::new(env.backend).await;
        let err = backup::restore_backup_file(&keyless.store, &keyless.app.blobs, &file).await.unwrap_err();
        assert!(matches!(err, BackupError::Key(ref m) if m.contains("does not exist")), "{err}");

        // The good file still restores into the first target.
        backup::restore_backup_file(&target.store, &target.app.blobs, &file).await.unwrap();
        assert_eq!(rows_in(&target, "patient").await, 2);
    }
}

#[tokio::test]
async fn a_backup_moves_from_sqlite_to_postgresql_and_back() {
    let sqlite = TestEnv::new(Backend::Sqlite).await;
    let filled = fill(&sqlite).await;
    round_trip(&sqlite, &filled, Backend::Postgres).await;

    let postgres = TestEnv::new(Backend::Postgres).await;
    let filled = fill(&postgres).await;
    round_trip(&postgres, &filled, Backend::Sqlite).await;
}

both_backends! {
    async fn a_backup_taken_while_payments_are_posted_is_consistent(env: TestEnv) {
        let filled = fill(&env).await;
        let desk = filled.staff.front_desk.clone();
        let provider = env.app.list_providers(&desk).await.unwrap()[0].id.clone();
        let patient_id = env.app.register_patient(&desk, &patient("Poe", "Edgar", "1970-01-19"), false).await.unwrap().id;
        // A writer books and checks in appointments (each posting to the ledger) while the backup runs.
        let writer = {
            let app = env.app.clone();
            tokio::spawn(async move {
                for i in 0..8 {
                    // 13:00-13:45 and 16:00-16:45 today (the fill's visits are at 14:00 and 15:00).
                    let start = format!("2026-06-15T{}:{:02}", if i < 4 { 13 } else { 16 }, (i % 4) * 15);
                    let input = NewAppointment {
                        patient_id: patient_id.clone(),
                        provider_id: provider.clone(),
                        end: end_of(&start),
                        start,
                        ..Default::default()
                    };
                    let id = app.book_appointment(&desk, &input).await.unwrap().id;
                    let check_in = CheckInInput {
                        demographics_confirmed: true,
                        insurance_confirmed: true,
                        copay_amount: "10.00".into(),
                        payment_method: "cash".into(),
                        payment_reference: String::new(),
                    };
                    app.check_in(&desk, &id, &check_in).await.unwrap();
                }
            })
        };
        let file = env.db.dir.path().join("busy.mobackup");
        env.app.write_backup(&file).await.unwrap();
        writer.await.unwrap();
        let target = TestEnv::new(env.backend).await;
        copy_keys(env.db.dir.path(), target.db.dir.path());
        backup::restore_backup_file(&target.store, &target.app.blobs, &file).await.unwrap();
        // Whatever moment the snapshot caught, it is one moment: the books balance, every payment
        // has its journal entry, and the audit chain is whole.
        assert!(target.app.verify_audit_chain().await.unwrap().ok);
        let bookkeeper = target.login("bookkeeper", crate::harness::STAFF_PASSWORD).await;
        let tb = target.app.trial_balance(&bookkeeper, chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).await.unwrap();
        assert!(tb.balances());
        let (orphans,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM patient_payment p WHERE p.ledger_entry_id IS NULL \
             OR NOT EXISTS (SELECT 1 FROM journal_entry e WHERE e.practice_id = p.practice_id AND e.id = p.ledger_entry_id)",
        )
        .fetch_one(target.store.pool())
        .await
        .unwrap();
        assert_eq!(orphans, 0);
    }
}

both_backends! {
    async fn the_scheduled_backup_runs_once_a_day_after_its_hour_and_keeps_the_newest(env: TestEnv) {
        let staff = env.practice().await;
        let folder = tempfile::tempdir().unwrap();
        let folder_text = folder.path().display().to_string();

        // Every field at fault is named; only the office manager sets it.
        let bad = BackupScheduleInput { enabled: true, folder: "backups".into(), hour: "24".into(), keep_count: "0".into() };
        assert_eq!(invalid_fields(env.app.save_backup_schedule(&staff.admin, &bad).await), ["folder", "hour", "keep_count"]);
        let missing = BackupScheduleInput { folder: "/no/such/folder/here".into(), ..bad.clone() };
        assert!(invalid_fields(env.app.save_backup_schedule(&staff.admin, &missing).await).contains(&"folder".to_string()));
        let good = BackupScheduleInput { enabled: true, folder: folder_text.clone(), hour: "13".into(), keep_count: "2".into() };
        assert!(matches!(env.app.save_backup_schedule(&staff.front_desk, &good).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.backup_schedule(&staff.biller).await, Err(AppError::Forbidden)));
        let saved = env.app.save_backup_schedule(&staff.admin, &good).await.unwrap();
        assert_eq!((saved.enabled, saved.hour, saved.keep_count), (1, 13, 2));

        // An old backup and an unrelated file already in the folder.
        std::fs::write(folder.path().join("medoffice-backup-20200101T000000Z.mobackup"), b"old").unwrap();
        std::fs::write(folder.path().join("readme.txt"), b"not a backup").unwrap();

        // Noon in New York: the hour (13) has not come.
        assert!(env.app.run_scheduled_backups().await.unwrap().is_empty());
        env.clock.advance(chrono::Duration::hours(1));
        let runs = env.app.run_scheduled_backups().await.unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].error, None);
        let first = runs[0].file.clone().unwrap();
        assert!(first.exists());
        assert_eq!(runs[0].pruned, Vec::<PathBuf>::new(), "two files kept: the old one and the new one");
        // Once a day: a second run (or a second server) the same day does nothing.
        env.clock.advance(chrono::Duration::minutes(5));
        assert!(env.app.run_scheduled_backups().await.unwrap().is_empty());

        env.clock.advance(chrono::Duration::days(1));
        let runs = env.app.run_scheduled_backups().await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].pruned, vec![folder.path().join("medoffice-backup-20200101T000000Z.mobackup")]);
        env.clock.advance(chrono::Duration::days(1));
        let runs = env.app.run_scheduled_backups().await.unwrap();
        assert_eq!(runs[0].pruned, vec![first.clone()]);
        let mut left: Vec<String> =
            std::fs::read_dir(folder.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left.len(), 3, "{left:?}");
        assert_eq!(left[2], "readme.txt");
        assert!(left[..2].iter().all(|n| n.starts_with("medoffice-backup-2026061")), "{left:?}");

        // The page shows how the last run went; the run is in the audit trail.
        let shown = env.app.backup_schedule(&staff.admin).await.unwrap().unwrap();
        assert!(shown.last_result.as_deref().unwrap_or("").starts_with("ok:"), "{shown:?}");
        assert_eq!(shown.last_file.as_deref(), runs[0].file.as_ref().map(|f| f.display().to_string()).as_deref());
        let (audited,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'backup.created'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(audited, 3);

        // A scheduled file restores like any other.
        let target = TestEnv::new(env.backend).await;
        copy_keys(env.db.dir.path(), target.db.dir.path());
        backup::restore_backup_file(&target.store, &target.app.blobs, runs[0].file.as_ref().unwrap()).await.unwrap();
        assert!(target.app.verify_audit_chain().await.unwrap().ok);

        // Turned off: nothing runs.
        let off = BackupScheduleInput { enabled: false, ..good };
        env.app.save_backup_schedule(&staff.admin, &off).await.unwrap();
        env.clock.advance(chrono::Duration::days(1));
        assert!(env.app.run_scheduled_backups().await.unwrap().is_empty());
    }
}

/// A row that points at a row of its own table stored after it (here a reversal entry written
/// before its original, with the foreign key check deferred) waits until its parent is restored:
/// PostgreSQL checks every row's foreign key at once.
#[tokio::test]
async fn a_reversal_stored_before_its_original_restores_into_either_database() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let staff = env.practice().await;
    let mut tx = env.store.pool().begin().await.unwrap();
    sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await.unwrap();
    for (id, number, reversal_of) in [("entry-child", 9001_i64, Some("entry-parent")), ("entry-parent", 9000, None)] {
        sqlx::query(
            "INSERT INTO journal_entry (practice_id, id, entry_number, entry_date, memo, source_kind, source_id, idempotency_key, \
             reversal_of, total_cents, posted_by, posted_at) VALUES ($1, $2, $3, '2026-06-15', 'stored out of order', 'manual', NULL, NULL, \
             $4, 100, $5, '2026-06-15T16:00:00.000000Z')",
        )
        .bind(&staff.admin.practice_id)
        .bind(id)
        .bind(number)
        .bind(reversal_of)
        .bind(&staff.admin.user_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let file = env.db.dir.path().join("order.mobackup");
    env.app.write_backup(&file).await.unwrap();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let target = TestEnv::new(backend).await;
        copy_keys(env.db.dir.path(), target.db.dir.path());
        backup::restore_backup_file(&target.store, &target.app.blobs, &file).await.unwrap();
        let (reversal_of,): (Option<String>,) =
            sqlx::query_as("SELECT reversal_of FROM journal_entry WHERE id = 'entry-child'").fetch_one(target.store.pool()).await.unwrap();
        assert_eq!(reversal_of.as_deref(), Some("entry-parent"), "{backend:?}");
        assert_eq!(rows_in(&target, "journal_entry").await, rows_in(&env, "journal_entry").await);
    }
}
