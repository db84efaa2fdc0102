//! Appending to and reading the audit trail.

use crate::Result;
use medoffice_domain::audit::{AuditRecord, GENESIS_HASH};
use sqlx::{AnyConnection, FromRow};

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
        }
    }
}

/// Appends one record to the practice's chain, inside the caller's transaction.
pub async fn append(conn: &mut AnyConnection, e: NewAuditEvent) -> Result<AuditRecord> {
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
    };
    record.hash = record.compute_hash();
    sqlx::query("UPDATE audit_head SET hash = $2 WHERE practice_id = $1")
        .bind(&record.practice_id)
        .bind(&record.hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO audit_event (practice_id, seq, at, user_id, username, action, patient_id, record_type, record_id, ip, outcome, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
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
    .execute(&mut *conn)
    .await?;
    Ok(record)
}

/// Filters for the audit page. Every filter is a bound parameter; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub patient_id: Option<String>,
    /// A prefix of the action, e.g. `patient.` for everything about patients.
    pub action_prefix: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    /// Records with `seq` below this (the cursor of the next page).
    pub before_seq: Option<i64>,
}

/// Newest first, at most `limit` records.
pub async fn list(conn: &mut AnyConnection, practice_id: &str, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT * FROM audit_event WHERE practice_id = $1 \
         AND ($2 IS NULL OR username = $2) \
         AND ($3 IS NULL OR patient_id = $3) \
         AND ($4 IS NULL OR action >= $4 AND action < $5) \
         AND ($6 IS NULL OR at >= $6) \
         AND ($7 IS NULL OR at < $7) \
         AND ($8 IS NULL OR seq < $8) \
         ORDER BY seq DESC LIMIT $9",
    )
    .bind(practice_id)
    .bind(&f.username)
    .bind(&f.patient_id)
    .bind(&f.action_prefix)
    .bind(f.action_prefix.as_ref().map(|p| format!("{p}~")))
    .bind(&f.from)
    .bind(&f.until)
    .bind(f.before_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
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
