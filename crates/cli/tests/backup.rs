//! `medoffice backup` and `medoffice restore` through the built binary: a demo practice backed up
//! (exit 0), restored into an empty data dir with the saved key (exit 0) and found the same (trial
//! balance, audit chain); every mistake an operator can make exits 2 with a message that names it:
//! an --out in no folder, a missing key, a data dir that is not empty, a damaged file, another
//! key, a file that is not a backup.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn medoffice(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medoffice"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("MEDOFFICE_DATABASE_URL")
        .env_remove("MEDOFFICE_KEY_FILE")
        .env_remove("MEDOFFICE_DATA_DIR")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Exit code 2 and a message containing `needle`.
fn refused(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {} stderr: {}", stdout(o), stderr(o));
    assert!(stderr(o).contains(needle), "expected '{needle}' in: {}", stderr(o));
}

fn ok(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "stdout: {} stderr: {}", stdout(o), stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or(serde_json::Value::Null)
}

fn copy_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().ends_with(".key") {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn backup_and_restore_through_the_command_line_with_exit_codes() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    ok(&medoffice(&source, &["demo"]));
    let file = work.path().join("practice.mobackup");
    let made = ok(&medoffice(&source, &["backup", "--out", file.to_str().unwrap()]));
    assert!(made["summary"]["rows"].as_u64().unwrap() > 0, "{made}");
    assert!(std::fs::read(&file).unwrap().starts_with(b"MOBACKUP"));
    refused(
        &medoffice(&source, &["backup", "--out", work.path().join("no/such/folder/x.mobackup").to_str().unwrap()]),
        "no such directory",
    );

    // No key where the restore looks for it.
    let target = work.path().join("target");
    refused(&medoffice(&target, &["restore", file.to_str().unwrap()]), "practice data key");
    assert!(!target.join("medoffice.db").exists(), "nothing was created");
    // A file that is not there, or not a backup.
    refused(&medoffice(&target, &["restore", work.path().join("missing.mobackup").to_str().unwrap()]), "no such file");
    copy_keys(&source, &target);
    let notes = work.path().join("notes.txt");
    std::fs::write(&notes, "call Mrs Smith back on Monday about her statement").unwrap();
    refused(&medoffice(&target, &["restore", notes.to_str().unwrap()]), "not a medoffice backup");
    // A flipped byte.
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let damaged = work.path().join("damaged.mobackup");
    std::fs::write(&damaged, &bytes).unwrap();
    refused(&medoffice(&target, &["restore", damaged.to_str().unwrap()]), "damaged or was altered");
    assert!(!target.join("medoffice.db").exists(), "a refused restore creates nothing");
    // Another key.
    let stranger = work.path().join("stranger");
    std::fs::create_dir_all(&stranger).unwrap();
    std::fs::write(stranger.join("blobs.key"), format!("{}\n", "7c".repeat(32))).unwrap();
    refused(&medoffice(&stranger, &["restore", file.to_str().unwrap()]), "the backup cannot be opened with this key");

    // The real thing.
    let restored = ok(&medoffice(&target, &["restore", file.to_str().unwrap()]));
    assert_eq!(restored["summary"]["table_rows"], made["summary"]["table_rows"], "{restored}");
    ok(&medoffice(&target, &["audit", "verify"]));
    let tb = |dir: &Path| ok(&medoffice(dir, &["ledger", "trial-balance", "--as-of", "2099-12-31"]));
    assert_eq!(tb(&target), tb(&source));
    // Once more into the same data dir: refused, it is not empty.
    refused(&medoffice(&target, &["restore", file.to_str().unwrap()]), "not empty");

    // The SQLite backup into an empty PostgreSQL database (--database-url), then refused there
    // once it holds data.
    let database = TestDatabase::create();
    let pg_dir = work.path().join("pg");
    copy_keys(&source, &pg_dir);
    let on_pg = |args: &[&str]| {
        let mut all = vec!["--database-url", database.url.as_str()];
        all.extend_from_slice(args);
        medoffice(&pg_dir, &all)
    };
    let restored = ok(&on_pg(&["restore", file.to_str().unwrap()]));
    assert_eq!(restored["summary"]["table_rows"], made["summary"]["table_rows"], "{restored}");
    ok(&on_pg(&["audit", "verify"]));
    assert_eq!(ok(&on_pg(&["ledger", "trial-balance", "--as-of", "2099-12-31"])), tb(&source));
    std::fs::remove_dir_all(pg_dir.join("blobs")).ok();
    refused(&on_pg(&["restore", file.to_str().unwrap()]), "already holds data");
}

/// A fresh PostgreSQL database on the test server (MEDOFFICE_TEST_POSTGRES_URL), dropped at the end.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    fn create() -> TestDatabase {
        let admin_url =
            std::env::var("MEDOFFICE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let name = format!("medoffice_cli_{}", std::process::id());
        let (base, _) = admin_url.rsplit_once('/').expect("a database URL");
        let url = format!("{base}/{name}");
        run_sql(&admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        run_sql(&admin_url, &format!("CREATE DATABASE \"{name}\""));
        TestDatabase { admin_url, name, url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        run_sql(&self.admin_url, &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
    }
}

fn run_sql(url: &str, sql: &str) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    });
}
