//! The store itself: both backends migrate to the same schema, and the audit table is append-only
//! whatever SQL is sent to it.

use crate::harness::{ADMIN_PASSWORD, TestDb, both_backends};
use medoffice_store::{Backend, Store};
use std::collections::BTreeSet;
use std::path::Path;

#[tokio::test]
async fn both_backends_migrate_to_the_same_tables_columns_and_nullability() {
    let sqlite = TestDb::new(Backend::Sqlite).await;
    let postgres = TestDb::new(Backend::Postgres).await;
    let sqlite_columns = sqlite.store.schema_columns().await.unwrap();
    let postgres_columns = postgres.store.schema_columns().await.unwrap();
    let tables: BTreeSet<&str> = sqlite_columns.iter().map(|(t, _, _)| t.as_str()).collect();
    for expected in ["practice", "app_user", "user_session", "api_token", "audit_event", "audit_head", "patient", "coverage", "blob"] {
        assert!(tables.contains(expected), "table {expected} missing on SQLite: {tables:?}");
    }
    let only_sqlite: Vec<_> = sqlite_columns.iter().filter(|c| !postgres_columns.contains(c)).collect();
    let only_postgres: Vec<_> = postgres_columns.iter().filter(|c| !sqlite_columns.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "schemas differ (table, column, not null):\n only on SQLite: {only_sqlite:?}\n only on PostgreSQL: {only_postgres:?}"
    );
    assert_eq!(sqlite_columns, postgres_columns);
}

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_files() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every migration needs a SQLite and a PostgreSQL version with the same name");
}

both_backends! {
    async fn connecting_again_to_a_migrated_database_keeps_its_data(env: TestEnv) {
        env.app.bootstrap("Test Practice", Some(ADMIN_PASSWORD)).await.unwrap();
        let again = Store::connect(&env.db.url).await.unwrap();
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM app_user").fetch_one(again.pool()).await.unwrap();
        assert_eq!(users, 1);
        assert_eq!(again.schema_columns().await.unwrap(), env.store.schema_columns().await.unwrap());
        again.close().await;
    }
}

both_backends! {
    async fn the_audit_trail_refuses_updates_and_deletes(env: TestEnv) {
        env.app.bootstrap("Test Practice", Some(ADMIN_PASSWORD)).await.unwrap();
        let before = env.count("audit_event").await;
        assert!(before > 0, "bootstrap writes an audit record");
        let pool = env.store.pool();

        let update = sqlx::query("UPDATE audit_event SET username = 'intruder'").execute(pool).await;
        let error = update.expect_err("an UPDATE of audit_event must fail").to_string();
        assert!(error.contains("append-only"), "unexpected error: {error}");

        let delete = sqlx::query("DELETE FROM audit_event").execute(pool).await;
        let error = delete.expect_err("a DELETE from audit_event must fail").to_string();
        assert!(error.contains("append-only"), "unexpected error: {error}");

        if env.backend == Backend::Postgres {
            let truncate = sqlx::query("TRUNCATE audit_event").execute(pool).await;
            assert!(truncate.is_err(), "a TRUNCATE of audit_event must fail");
        }

        assert_eq!(env.count("audit_event").await, before);
        let (changed,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE username = 'intruder'").fetch_one(pool).await.unwrap();
        assert_eq!(changed, 0);
        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(i64::try_from(report.records).unwrap(), before);
    }
}
