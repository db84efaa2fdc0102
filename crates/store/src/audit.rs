//! Appending to and reading the audit trail.

use crate::{Result, StoreError};
pub use medoffice_domain::audit::AuditKey;
use medoffice_domain::audit::{AuditRecord, GENESIS_HASH, SCHEME_HMAC};
use sqlx::{AnyConnection, FromRow};
use std::path::Path;

/// What a use case says about an action; the store adds the sequence number and hashes.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    pub practice_id: String,
    pub at: String,
    pub user_id: Option<String>,
    pub username: String,
    pub action: String,
    pub patient_id: Option<String>,
    pub record_type: String,
    pub record_id: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, FromRow)]
struct AuditRow {
    practice_id: String,
    seq: i64,
    at: String,
    user_id: Option<String>,
    username: String,
    action: String,
    patient_id: Option<String>,
    record_type: String,
    record_id: Option<String>,
    ip: Option<String>,
    outcome: String,
    detail: String,
    prev_hash: String,
    hash: String,
    chain_scheme: String,
    key_id: Option<String>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            practice_id: r.practice_id,
            seq: r.seq,
            at: r.at,
            user_id: r.user_id,
            username: r.username,
            action: r.action,
            patient_id: r.patient_id,
            record_type: r.record_type,
            record_id: r.record_id,
            ip: r.ip,
            outcome: r.outcome,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
            chain_scheme: r.chain_scheme,
            key_id: r.key_id,
        }
    }
}

/// Appends one record to the practice's chain, sealed with the audit key, inside the caller's
/// transaction.
pub async fn append(conn: &mut AnyConnection, key: &AuditKey, e: NewAuditEvent) -> Result<AuditRecord> {
    // Advancing the head first takes its row lock on PostgreSQL, so concurrent transactions of
    // one practice append one after the other and the chain never forks.
    let head: Option<(i64, String)> = sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE practice_id = $1 RETURNING seq, hash")
        .bind(&e.practice_id)
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq, hash),
        None => {
            sqlx::query("INSERT INTO audit_head (practice_id, seq, hash) VALUES ($1, 1, $2)")
                .bind(&e.practice_id)
                .bind(GENESIS_HASH)
                .execute(&mut *conn)
                .await?;
            (1, GENESIS_HASH.to_string())
        }
    };
    let mut record = AuditRecord {
        practice_id: e.practice_id,
        seq,
        at: e.at,
        user_id: e.user_id,
        username: e.username,
        action: e.action,
        patient_id: e.patient_id,
        record_type: e.record_type,
        record_id: e.record_id,
        ip: e.ip,
        outcome: e.outcome,
        detail: e.detail,
        prev_hash,
        hash: String::new(),
        chain_scheme: String::new(),
        key_id: None,
    };
    record.seal(key);
    sqlx::query("UPDATE audit_head SET hash = $2 WHERE practice_id = $1")
        .bind(&record.practice_id)
        .bind(&record.hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO audit_event (practice_id, seq, at, user_id, username, action, patient_id, record_type, record_id, ip, outcome, detail, prev_hash, hash, chain_scheme, key_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&record.practice_id)
    .bind(record.seq)
    .bind(&record.at)
    .bind(&record.user_id)
    .bind(&record.username)
    .bind(&record.action)
    .bind(&record.patient_id)
    .bind(&record.record_type)
    .bind(&record.record_id)
    .bind(&record.ip)
    .bind(&record.outcome)
    .bind(&record.detail)
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .bind(&record.chain_scheme)
    .bind(&record.key_id)
    .execute(&mut *conn)
    .await?;
    Ok(record)
}

/// Filters for the audit page and report. Every filter is a bound parameter; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub patient_id: Option<String>,
    /// A prefix of the action, e.g. `patient.` for everything about patients.
    pub action_prefix: Option<String>,
    /// The kind of record acted on, exactly (`patient`, `appointment`...).
    pub record_type: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    /// Records with `seq` below this (the cursor of the next page).
    pub before_seq: Option<i64>,
}

/// The WHERE clause shared by the trail and the report: `$1` is the practice, `$2`..`$9` the
/// filters, bound by [`bind_filter`] in this order. A macro, so that every query is one
/// `&'static str` built at compile time.
macro_rules! filter_where {
    () => {
        "WHERE practice_id = $1 \
         AND ($2 IS NULL OR username = $2) \
         AND ($3 IS NULL OR patient_id = $3) \
         AND ($4 IS NULL OR action >= $4 AND action < $5) \
         AND ($6 IS NULL OR at >= $6) \
         AND ($7 IS NULL OR at < $7) \
         AND ($8 IS NULL OR seq < $8) \
         AND ($9 IS NULL OR record_type = $9)"
    };
}

/// A report query ordered by one of the fixed ORDER BY clauses.
macro_rules! report_sql {
    ($order:literal) => {
        concat!("SELECT * FROM audit_event ", filter_where!(), " ORDER BY ", $order, " LIMIT $10 OFFSET $11")
    };
}

fn bind_filter<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    practice_id: &'q str,
    f: &'q AuditFilter,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    q.bind(practice_id)
        .bind(f.username.as_deref())
        .bind(f.patient_id.as_deref())
        .bind(f.action_prefix.as_deref())
        .bind(f.action_prefix.as_ref().map(|p| format!("{p}~")))
        .bind(f.from.as_deref())
        .bind(f.until.as_deref())
        .bind(f.before_seq)
        .bind(f.record_type.as_deref())
}

/// Newest first, at most `limit` records.
pub async fn list(conn: &mut AnyConnection, practice_id: &str, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>> {
    let sql = concat!("SELECT * FROM audit_event ", filter_where!(), " ORDER BY seq DESC LIMIT $10");
    let rows: Vec<AuditRow> = bind_filter(sqlx::query_as(sql), practice_id, f).bind(limit).fetch_all(conn).await?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

/// What the audit report sorts by. Each maps to a fixed ORDER BY; nothing a user typed ever
/// reaches the SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditSortKey {
    #[default]
    Time,
    User,
    Patient,
    Action,
}

impl AuditSortKey {
    pub const ALL: [AuditSortKey; 4] = [AuditSortKey::Time, AuditSortKey::User, AuditSortKey::Patient, AuditSortKey::Action];

    /// The name used in links and forms (`time`, `user`, `patient`, `action`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditSortKey::Time => "time",
            AuditSortKey::User => "user",
            AuditSortKey::Patient => "patient",
            AuditSortKey::Action => "action",
        }
    }

    /// The key named `name`, or `None` for anything else.
    pub fn parse(name: &str) -> Option<AuditSortKey> {
        AuditSortKey::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A sort key and direction; ties are broken by the record's place in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSort {
    pub key: AuditSortKey,
    pub descending: bool,
}

impl Default for AuditSort {
    /// Newest first.
    fn default() -> Self {
        AuditSort { key: AuditSortKey::Time, descending: true }
    }
}

impl AuditSort {
    /// The whole report query for this sort, one of eight fixed strings.
    fn report_sql(self) -> &'static str {
        use AuditSortKey::*;
        match (self.key, self.descending) {
            (Time, false) => report_sql!("seq ASC"),
            (Time, true) => report_sql!("seq DESC"),
            (User, false) => report_sql!("username ASC, seq DESC"),
            (User, true) => report_sql!("username DESC, seq DESC"),
            // Records without a patient come last either way, on both databases.
            (Patient, false) => report_sql!("CASE WHEN patient_id IS NULL THEN 1 ELSE 0 END, patient_id ASC, seq DESC"),
            (Patient, true) => report_sql!("CASE WHEN patient_id IS NULL THEN 1 ELSE 0 END, patient_id DESC, seq DESC"),
            (Action, false) => report_sql!("action ASC, seq DESC"),
            (Action, true) => report_sql!("action DESC, seq DESC"),
        }
    }
}

/// One page of the audit report: the records matching `f` in `sort` order, skipping `offset`.
pub async fn report(
    conn: &mut AnyConnection,
    practice_id: &str,
    f: &AuditFilter,
    sort: AuditSort,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRecord>> {
    let rows: Vec<AuditRow> =
        bind_filter(sqlx::query_as(sort.report_sql()), practice_id, f).bind(limit).bind(offset).fetch_all(conn).await?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

/// How many records match `f`.
pub async fn count(conn: &mut AnyConnection, practice_id: &str, f: &AuditFilter) -> Result<i64> {
    let sql = concat!("SELECT COUNT(*) FROM audit_event ", filter_where!());
    let (n,): (i64,) = bind_filter(sqlx::query_as(sql), practice_id, f).fetch_one(conn).await?;
    Ok(n)
}

/// The kinds of record the practice's trail mentions, for the report's filter.
pub async fn record_types(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT record_type FROM audit_event WHERE practice_id = $1 ORDER BY record_type")
        .bind(practice_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The newest record of a practice's chain, if any.
pub async fn newest(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<AuditRecord>> {
    let row: Option<AuditRow> = sqlx::query_as("SELECT * FROM audit_event WHERE practice_id = $1 ORDER BY seq DESC LIMIT 1")
        .bind(practice_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(AuditRecord::from))
}

/// The ids of the keys that sealed the newest record of each practice's chain (normally one id;
/// none before the first sealed record). Reads one row per practice through the chain's head.
pub async fn sealing_key_ids(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT e.key_id FROM audit_head h JOIN audit_event e ON e.practice_id = h.practice_id AND e.seq = h.seq \
         WHERE e.chain_scheme = $1 AND e.key_id IS NOT NULL ORDER BY e.key_id",
    )
    .bind(SCHEME_HMAC)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The audit key in `path`, or `None` when there is no such file.
pub fn read_key(path: &Path) -> Result<Option<AuditKey>> {
    match std::fs::read_to_string(path) {
        Ok(text) => AuditKey::from_hex(&text)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt(format!("the audit key file {} is not a valid key (64 hex digits)", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Corrupt(format!("cannot read the audit key file {}: {e}", path.display()))),
    }
}

/// Loads the audit key from `path` (64 hex digits), creating it, readable by its owner only, when
/// the file does not exist and no record is sealed yet. A missing or different key while sealed
/// records exist is refused: a new key could not verify them, so the operator must restore the
/// key file from the backup (it is kept with the data key, off the database and its backups).
pub async fn load_or_create_key(conn: &mut AnyConnection, path: &Path) -> Result<AuditKey> {
    let sealed_by = sealing_key_ids(conn).await?;
    let key = match read_key(path)? {
        Some(key) => key,
        None => {
            if !sealed_by.is_empty() {
                return Err(StoreError::Corrupt(format!(
                    "the audit key file {} is missing but the audit trail is sealed with key {}: restore the key from your backup",
                    path.display(),
                    sealed_by.join(", ")
                )));
            }
            let mut bytes = [0u8; 32];
            rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
            let key = AuditKey::from_bytes(bytes);
            write_new_key(path, &key)
                .map_err(|e| StoreError::Corrupt(format!("cannot create the audit key file {}: {e}", path.display())))?;
            key
        }
    };
    if let Some(last) = sealed_by.last()
        && !sealed_by.contains(&key.id())
    {
        return Err(StoreError::Corrupt(format!(
            "the audit key file {} holds key {}, but the audit trail is sealed with key {last}: use the key file the trail was written with",
            path.display(),
            key.id()
        )));
    }
    Ok(key)
}

fn write_new_key(path: &Path, key: &AuditKey) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    writeln!(f, "{}", key.to_hex())?;
    f.sync_all()
}

/// One page of a practice's chain in order, for the verifier: records with seq > `after_seq`.
pub async fn chain_page(conn: &mut AnyConnection, practice_id: &str, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
    let rows: Vec<AuditRow> = sqlx::query_as("SELECT * FROM audit_event WHERE practice_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .bind(practice_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

/// The head of a practice's chain: (last seq, last hash), if it has records.
pub async fn head(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as("SELECT seq, hash FROM audit_head WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}
