//! medoffice's use cases. Each public method of [`App`] is one use case: it checks the caller's
//! role first (deny by default), validates input with the domain's rules, runs in one database
//! transaction, and writes its audit record in that same transaction.

pub mod acknowledgements;
pub mod aging_reports;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bank_reconciliation;
pub mod bill_payments;
pub mod calendar_feeds;
pub mod cash_basis;
pub mod claim_status;
pub mod claims;
pub mod claims_cob;
pub mod cms1500;
pub mod code_sets;
pub mod collections;
pub mod demo;
mod demo_billing;
mod demo_books;
pub mod denials;
pub mod deposits;
pub mod documents;
pub mod eligibility;
pub mod encounters;
mod error;
pub mod families;
pub mod fees;
pub mod front_desk;
pub mod generate;
pub mod invoices;
pub mod late_charges;
pub mod ledger;
pub mod ledger_documents;
pub mod ledger_reports;
pub mod letters;
pub mod mail_room;
pub mod mailer;
pub mod mailings;
pub mod messages;
pub mod mfa;
pub mod paper_eob;
pub mod patient_accounts;
pub mod patients;
pub mod payables;
pub mod payers;
pub mod payment_plans;
pub mod practice;
pub mod recalls;
pub mod receivables;
pub mod records_release;
pub mod recurring;
pub mod refunds;
pub mod reminders;
pub mod remittances;
pub mod rescheduling;
pub mod retention;
pub mod schedule_setup;
pub mod schedule_views;
pub mod scheduling;
pub mod statements;
pub mod views;
pub mod waitlist;

pub use error::AppError;
pub use medoffice_store::Store;

use chrono::{DateTime, NaiveDate, Utc};
use medoffice_domain::audit::AuditKey;
use medoffice_domain::security::{Action, Role};
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::blobs::FileBlobStore;
use medoffice_store::{Connection, timestamp};
use std::sync::Arc;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Where time comes from; tests use a fixed clock to check timeouts and dates.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Settings of the application layer.
#[derive(Debug, Clone)]
pub struct Config {
    /// A session unused this long ends (15 minutes by default).
    pub idle_timeout: chrono::Duration,
    /// A session ends this long after login whatever happens (12 hours by default).
    pub absolute_timeout: chrono::Duration,
    /// Largest accepted upload (card image), in bytes.
    pub max_upload_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_timeout: chrono::Duration::minutes(15),
            absolute_timeout: chrono::Duration::hours(12),
            max_upload_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The application: the store, the blob store, the settings, the clock and the audit key.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub blobs: FileBlobStore,
    pub config: Config,
    clock: Arc<dyn Clock>,
    /// Seals the audit chain (see `medoffice_domain::audit`); kept outside the database.
    audit_key: Arc<AuditKey>,
}

/// Who is acting: a signed-in user (browser session or API token).
#[derive(Debug, Clone)]
pub struct Actor {
    pub practice_id: String,
    pub practice_name: String,
    pub timezone: chrono_tz::Tz,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub ip: Option<String>,
}

impl Actor {
    /// The practice's calendar date now.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.timezone).date_naive()
    }
}

/// What an audit record says besides who and when.
pub(crate) struct AuditNote<'a> {
    pub action: &'a str,
    pub patient_id: Option<&'a str>,
    pub record_type: &'a str,
    pub record_id: Option<&'a str>,
    pub detail: String,
}

impl App {
    /// An application whose audit key is a fresh random one, valid for this process only; the
    /// command line and the server load the key file with [`App::with_audit_key`].
    pub fn new(store: Store, blobs: FileBlobStore, config: Config) -> App {
        let mut bytes = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        App { store, blobs, config, clock: Arc::new(SystemClock), audit_key: Arc::new(AuditKey::from_bytes(bytes)) }
    }

    /// The same application sealing and verifying the audit chain with `key`.
    pub fn with_audit_key(mut self, key: AuditKey) -> App {
        self.audit_key = Arc::new(key);
        self
    }

    /// The id (never the key) of the audit key in use.
    pub fn audit_key_id(&self) -> String {
        self.audit_key.id()
    }

    pub(crate) fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    /// Appends an audit record sealed with the audit key, inside the caller's transaction.
    pub(crate) async fn append_audit(&self, conn: &mut Connection, event: NewAuditEvent) -> Result<()> {
        medoffice_store::audit::append(conn, &self.audit_key, event).await?;
        Ok(())
    }

    /// The same application with another clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn now_text(&self) -> String {
        timestamp(self.now())
    }

    /// Refuses an action the actor's role may not take, and audits the refusal.
    pub(crate) async fn authorize(&self, actor: &Actor, action: Action, patient_id: Option<&str>) -> Result<()> {
        if actor.role.may(action) {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        self.audit_outcome(
            &mut tx,
            actor,
            AuditNote { action: "access.denied", patient_id, record_type: "action", record_id: None, detail: format!("{action:?}") },
            "denied",
        )
        .await?;
        tx.commit().await.map_err(medoffice_store::StoreError::from)?;
        Err(AppError::Forbidden)
    }

    /// Appends a successful action's audit record inside the use case's transaction.
    pub(crate) async fn audit(&self, conn: &mut Connection, actor: &Actor, note: AuditNote<'_>) -> Result<()> {
        self.audit_outcome(conn, actor, note, "success").await
    }

    async fn audit_outcome(&self, conn: &mut Connection, actor: &Actor, note: AuditNote<'_>, outcome: &str) -> Result<()> {
        self.append_audit(
            conn,
            NewAuditEvent {
                practice_id: actor.practice_id.clone(),
                at: self.now_text(),
                user_id: Some(actor.user_id.clone()),
                username: actor.username.clone(),
                action: note.action.to_string(),
                patient_id: note.patient_id.map(str::to_string),
                record_type: note.record_type.to_string(),
                record_id: note.record_id.map(str::to_string),
                ip: actor.ip.clone(),
                outcome: outcome.to_string(),
                detail: note.detail,
            },
        )
        .await?;
        Ok(())
    }
}
