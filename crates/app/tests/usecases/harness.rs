//! The test harness: a fresh database per test on either backend, an `App` on it with a clock the
//! test moves, a practice with one signed-in user per role, and builders of valid input.

use chrono::{DateTime, TimeZone, Utc};
use medoffice_app::patients::Upload;
use medoffice_app::{Actor, App, Clock, Config};
use medoffice_domain::patients::{CoverageInput, PatientInput};
use medoffice_store::blobs::FileBlobStore;
use medoffice_store::{Backend, Store};
use sqlx::{AssertSqlSafe, Connection};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;

/// The admin's password (given to `bootstrap`).
pub const ADMIN_PASSWORD: &str = "a-long-password-1";
/// The password of every other test user.
pub const STAFF_PASSWORD: &str = "another-long-password-2";
/// The address the test users sign in from.
pub const TEST_IP: &str = "127.0.0.1";

/// Where the PostgreSQL tests connect to create their databases.
pub fn postgres_admin_url() -> String {
    std::env::var("MEDOFFICE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// `url` with its database name replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    let mut out = format!("{}/{database}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The audit key of every test app: fixed, so a test can reopen the database and verify.
pub fn test_audit_key() -> medoffice_domain::audit::AuditKey {
    medoffice_domain::audit::AuditKey::from_bytes([42u8; 32])
}

/// A clock that stands still until the test moves it.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    /// Noon in the practice's time zone (America/New_York) on 2026-06-15: the same date in UTC.
    pub fn new() -> TestClock {
        TestClock(Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 6, 15, 16, 0, 0).unwrap())))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Drops a test's PostgreSQL database when the test ends, passed or failed (best effort).
struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Its own thread and runtime: this runs inside the test's runtime, maybe while unwinding.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A fresh, migrated database on one backend.
pub struct TestDb {
    pub store: Store,
    /// The URL the store was opened with.
    pub url: String,
    pub dir: TempDir,
    // Last, so the pool above is dropped first.
    _drop: Option<DropDatabase>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("cannot open SQLite at {url}: {e}"));
                TestDb { store, url, dir, _drop: None }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {admin_url}: {e}. The PostgreSQL variant of every test needs it: \
                         start PostgreSQL or set MEDOFFICE_TEST_POSTGRES_URL to an admin URL (a user allowed to CREATE DATABASE)"
                    )
                });
                let name = format!("medoffice_t_{}", uuid::Uuid::new_v4().simple());
                // A linguistic collation, as on most production clusters (initdb takes the
                // system's en_US.UTF-8): text order there is not byte order, and the store must
                // not depend on it. Without ICU, the server's default collation is used.
                let icu = format!("CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
                if let Err(e) = sqlx::query(AssertSqlSafe(icu)).execute(&mut admin).await {
                    eprintln!("note: cannot create an ICU en-US test database ({e}); using the server's default collation");
                    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                        .execute(&mut admin)
                        .await
                        .unwrap_or_else(|e| panic!("cannot create test database {name} at {admin_url}: {e}"));
                }
                let _ = admin.close().await;
                let drop_guard = DropDatabase { admin_url: admin_url.clone(), name: name.clone() };
                let url = with_database(&admin_url, &name);
                let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("cannot open test database {url}: {e}"));
                TestDb { store, url, dir, _drop: Some(drop_guard) }
            }
        }
    }
}

/// Everything a test needs: the app on a fresh database, its clock, and raw access to the store.
pub struct TestEnv {
    pub app: App,
    pub store: Store,
    pub clock: TestClock,
    pub backend: Backend,
    pub db: TestDb,
}

/// A practice's signed-in staff, one per role.
pub struct Staff {
    pub admin: Actor,
    pub front_desk: Actor,
    pub biller: Actor,
    pub bookkeeper: Actor,
    pub provider: Actor,
}

impl TestEnv {
    pub async fn new(backend: Backend) -> TestEnv {
        let db = TestDb::new(backend).await;
        let clock = TestClock::new();
        let store = db.store.clone();
        let blobs = FileBlobStore::new(db.dir.path().join("blobs"));
        let app = App::new(store.clone(), blobs, Config::default()).with_clock(Arc::new(clock.clone())).with_audit_key(test_audit_key());
        TestEnv { app, store, clock, backend, db }
    }

    /// Sets up "Test Practice" (payers and providers, no patients) with users `admin`,
    /// `frontdesk`, `biller`, `bookkeeper` and `doctor`, all signed in.
    pub async fn practice(&self) -> Staff {
        let created = self.app.bootstrap("Test Practice", Some(ADMIN_PASSWORD)).await.unwrap();
        assert!(matches!(created, medoffice_app::practice::Bootstrap::Created { generated_password: None }));
        let generated = self.app.generate_practice("Test Practice", 0, 7, |_| {}).await.unwrap();
        assert!(generated.payers > 0 && generated.providers > 0, "{generated:?}");
        for (username, role) in [("frontdesk", "front_desk"), ("biller", "biller"), ("bookkeeper", "bookkeeper"), ("doctor", "provider")] {
            self.app.add_user_offline(username, role, STAFF_PASSWORD).await.unwrap();
        }
        Staff {
            admin: self.login("admin", ADMIN_PASSWORD).await,
            front_desk: self.login("frontdesk", STAFF_PASSWORD).await,
            biller: self.login("biller", STAFF_PASSWORD).await,
            bookkeeper: self.login("bookkeeper", STAFF_PASSWORD).await,
            provider: self.login("doctor", STAFF_PASSWORD).await,
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Actor {
        self.app
            .login(username, password, Some(TEST_IP.into()), None)
            .await
            .unwrap_or_else(|e| panic!("{username} cannot sign in: {e}"))
            .actor
    }

    /// The id of one of the practice's payers.
    pub async fn payer_id(&self, actor: &Actor, index: usize) -> String {
        let payers = self.app.list_payers(actor).await.unwrap();
        payers.get(index).unwrap_or_else(|| panic!("the practice has fewer than {} payers", index + 1)).id.clone()
    }

    /// Rows in one of the schema's tables.
    pub async fn count(&self, table: &str) -> i64 {
        const TABLES: [&str; 9] =
            ["patient", "coverage", "blob", "audit_event", "patient_merge", "patient_search_token", "user_session", "app_user", "counter"];
        assert!(TABLES.contains(&table), "count() of unknown table {table}");
        let (n,): (i64,) =
            sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(self.store.pool()).await.unwrap();
        n
    }
}

/// A valid registration: female, born on `birth_date` (YYYY-MM-DD or MM/DD/YYYY), a mobile phone.
pub fn patient(family_name: &str, given_name: &str, birth_date: &str) -> PatientInput {
    PatientInput {
        family_name: family_name.into(),
        given_name: given_name.into(),
        birth_date: birth_date.into(),
        sex: "female".into(),
        phone: "(518) 462-0199".into(),
        ..Default::default()
    }
}

/// A valid coverage where the patient is the subscriber.
pub fn coverage(payer_id: &str, member_id: &str, priority: &str, start_date: &str) -> CoverageInput {
    CoverageInput {
        payer_id: payer_id.into(),
        member_id: member_id.into(),
        priority: priority.into(),
        relationship_to_subscriber: "self".into(),
        copay: "25.00".into(),
        start_date: start_date.into(),
        ..Default::default()
    }
}

/// The first bytes of a PNG file (signature and the start of an IHDR chunk).
pub fn png_bytes() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
    bytes
}

pub fn upload(name: &str, content_type: &str, bytes: Vec<u8>) -> Option<Upload> {
    Some(Upload { file_name: name.into(), content_type: content_type.into(), bytes })
}

/// The names of the fields a validation error names; panics on any other result.
pub fn invalid_fields<T: std::fmt::Debug>(result: medoffice_app::Result<T>) -> Vec<String> {
    match result {
        Err(medoffice_app::AppError::Validation(e)) => e.errors.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Runs one test body on SQLite and on PostgreSQL: `name::on_sqlite` and `name::on_postgres`.
/// A PostgreSQL that cannot be reached fails the PostgreSQL variant (never a silent skip).
macro_rules! both_backends {
    ($(#[$meta:meta])* async fn $name:ident($env:ident: TestEnv) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($env: $crate::harness::TestEnv) $body

            #[tokio::test]
            async fn on_sqlite() {
                run($crate::harness::TestEnv::new(medoffice_store::Backend::Sqlite).await).await
            }

            #[tokio::test]
            async fn on_postgres() {
                run($crate::harness::TestEnv::new(medoffice_store::Backend::Postgres).await).await
            }
        }
    };
}
pub(crate) use both_backends;
