//! medoffice persistence: one query layer for SQLite and PostgreSQL.
//!
//! Every query is written once, in the SQL both databases share, with `$1`-style bound
//! parameters, and runs through sqlx's Any driver. Per-backend SQL exists only in the migrations,
//! where a backend feature is the point (the audit table's append-only triggers).
//!
//! Functions take `&mut AnyConnection`, so the caller (a use case in `medoffice-app`) decides
//! the transaction: a use case and its audit record commit together or not at all.

pub mod acknowledgements;
pub mod audit;
pub mod backup;
pub mod bank_reconciliation;
pub mod bill_attachments;
pub mod bill_payments;
pub mod blobs;
pub mod calendar_feeds;
pub mod cash_basis;
pub mod claim_status;
pub mod claims;
pub mod claims_cob;
pub mod cms1500;
pub mod code_sets;
pub mod collections;
pub mod denials;
pub mod deposits;
pub mod documents;
pub mod eligibility;
pub mod encounters;
pub mod families;
pub mod front_desk;
pub mod invoices;
pub mod ledger;
pub mod letters;
pub mod mail_room;
pub mod mailings;
pub mod messages;
pub mod patient_accounts;
pub mod patients;
pub mod payables;
pub mod practice;
pub mod recalls;
pub mod receivables;
pub mod recurring;
pub mod reminders;
pub mod remittances;
pub mod retention;
pub mod schedule_setup;
pub mod schedule_views;
pub mod scheduling;
pub mod statements;
pub mod users;
pub mod waitlist;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use sqlx::AnyConnection as Connection;
pub use sqlx::Error as SqlxError;

/// A transaction on either database.
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What can go wrong in the store, in terms the use cases act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique or check constraint refused the write; the constraint's name says which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data that cannot be read back into the domain's types.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A stored file that fails its authentication check: altered, damaged or swapped.
    #[error("the stored file {0} failed its integrity check (it was altered or damaged) and cannot be opened")]
    Tampered(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("record"),
            sqlx::Error::Database(db) if db.is_unique_violation() || db.is_check_violation() => {
                StoreError::Conflict(db.constraint().map(str::to_string).unwrap_or_else(|| db.message().to_string()))
            }
            // The no-double-booking rule (migration 0003): PostgreSQL's exclusion constraint
            // (SQLSTATE 23P01, exclusion_violation) and SQLite's trigger, which aborts with the
            // constraint's name as its message.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01") || db.message() == "appointment_no_overlap" => {
                StoreError::Conflict(db.constraint().map(str::to_string).unwrap_or_else(|| db.message().to_string()))
            }
            _ => StoreError::Database(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The pool and which database it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`) and runs the migrations.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL` (a committed write survives power loss),
    /// foreign keys on, a busy timeout so a writer waits for another instead of failing, and a
    /// 32 MiB page cache per connection.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL '{url}': use sqlite://FILE or postgres://...").into(),
            )));
        };
        let url = match backend {
            // Create the file when missing.
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        // 32 MiB of page cache per connection (SQLite's default is 2 MiB): the
                        // search and patient indexes of a large practice stay in memory.
                        conn.execute("PRAGMA cache_size = -32768").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction for a use case. On SQLite it is `BEGIN IMMEDIATE`: it takes the write
    /// lock at once, so two writers queue on the busy timeout instead of one failing when it
    /// upgrades a read lock (every use case writes at least its audit record).
    pub async fn begin(&self) -> Result<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Table and column names with nullability, to compare the two backends' schemas.
    pub async fn schema_columns(&self) -> Result<Vec<(String, String, bool)>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name AS table_name, p.name AS column_name, p.\"notnull\" + p.pk AS not_null \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                 ORDER BY 1, 2"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) AS not_null \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name NOT LIKE '_sqlx%' ORDER BY 1, 2"
            }
        };
        let rows: Vec<(String, String, i64)> = sqlx::query_as(sql).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(t, c, n)| (t, c, n > 0)).collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Increments and returns a per-practice counter, inside the caller's transaction.
///
/// One upsert, so two transactions taking a counter's first number at once both succeed: on
/// PostgreSQL the second waits for the first's row and then increments it (an UPDATE, then an
/// INSERT when no row was found, let both insert and one fail on the primary key).
pub async fn next_counter(conn: &mut AnyConnection, practice_id: &str, name: &str) -> Result<i64> {
    let (value,): (i64,) = sqlx::query_as(
        "INSERT INTO counter (practice_id, name, value) VALUES ($1, $2, 1) \
         ON CONFLICT (practice_id, name) DO UPDATE SET value = counter.value + 1 RETURNING value",
    )
    .bind(practice_id)
    .bind(name)
    .fetch_one(&mut *conn)
    .await?;
    Ok(value)
}

/// A new id: UUID v7, so ids sort by creation time and index well.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An instant as stored: RFC 3339 UTC with microseconds, fixed width so text order is time order.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
