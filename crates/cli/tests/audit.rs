//! `medoffice audit verify` through the built binary: a demo practice's trail, sealed with the
//! audit key kept in `<data-dir>/audit.key`, verifies (exit 0, `{"records": N, "ok": true}`); a
//! record changed in the database, or another key file, is named as the first broken link (exit
//! 1); a lost or different key file stops the other commands rather than starting a new chain.

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
        .env_remove("MEDOFFICE_AUDIT_KEY_FILE")
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

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(stdout(o).trim()).unwrap_or(serde_json::Value::Null)
}

/// Runs SQL on the data dir's SQLite database, as someone with access to the file would.
fn tamper(data_dir: &Path, statements: &[&str]) {
    let url = format!("sqlite://{}", data_dir.join("medoffice.db").display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    });
}

#[test]
fn audit_verify_checks_the_sealed_chain_and_names_the_first_broken_link() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let demo = medoffice(&data, &["demo"]);
    assert_eq!(demo.status.code(), Some(0), "{}", stderr(&demo));

    // The key file was made beside the database, readable by its owner only.
    let key_file = data.join("audit.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(
        !std::fs::read(data.join("medoffice.db")).unwrap().windows(64).any(|w| w == key.trim().as_bytes()),
        "the key is not in the database"
    );

    let verified = medoffice(&data, &["audit", "verify"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let report = json(&verified);
    assert_eq!(report["ok"], true);
    let records = report["records"].as_u64().unwrap();
    assert!(records > 0, "{report}");

    // Another key file: every record is named as not sealed by it, starting with the first.
    let other = work.path().join("other.key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    let wrong = medoffice(&data, &["--audit-key-file", other.to_str().unwrap(), "audit", "verify"]);
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));
    assert!(stderr(&wrong).contains("#1 (written") && stderr(&wrong).contains("the key given is"), "{}", stderr(&wrong));
    // ...and the other commands refuse to start a second chain with it.
    let refused = medoffice(&data, &["--audit-key-file", other.to_str().unwrap(), "token", "create", "--username", "admin"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("sealed with key"), "{}", stderr(&refused));

    // A record changed behind the application's back (the append-only trigger dropped first,
    // which is what it takes) is named with its place and time.
    tamper(&data, &["DROP TRIGGER audit_event_no_update", "UPDATE audit_event SET username = 'somebody-else' WHERE seq = 3"]);
    let broken = medoffice(&data, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let report = json(&broken);
    assert_eq!(report["ok"], false);
    assert_eq!(report["records"], 2);
    assert_eq!(report["broken_record"]["seq"], 3);
    assert!(report["broken_record"]["at"].is_string(), "{report}");
    assert!(stderr(&broken).contains("#3 (written") && stderr(&broken).contains("changed or forged"), "{}", stderr(&broken));

    // A lost key file is not silently replaced.
    std::fs::remove_file(&key_file).unwrap();
    let lost = medoffice(&data, &["token", "create", "--username", "admin"]);
    assert_eq!(lost.status.code(), Some(1));
    assert!(stderr(&lost).contains("missing") && stderr(&lost).contains("restore the key"), "{}", stderr(&lost));
    assert!(!key_file.exists());
}
