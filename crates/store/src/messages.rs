//! Telephone messages (migration 0024): the practice's callback settings and inbox members, the
//! versioned triage rules, messages and their threads, and the telephone directory.
//!
//! Who sees a message: the person it is assigned to; the members of its inbox while nobody holds
//! it, or once it escalated (level 1); the office managers too at level 2. The inbox query and the
//! navigation bar's count share that condition ([`VISIBLE_TO`]).

use crate::{Result, StoreError};
use sqlx::{AnyConnection, AssertSqlSafe, FromRow};

/// The most rows a list returns; a guard, not paging.
pub const LIST_LIMIT: i64 = 500;

/// Returned as `StoreError::Conflict(STALE_MESSAGE.into())` when a message changed since it was read.
pub const STALE_MESSAGE: &str = "phone_message_version";

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MessageSettingsRow {
    pub practice_id: String,
    pub urgent_minutes: i64,
    pub escalation_minutes: i64,
    pub routine_business_days: i64,
    /// `HH:MM`, local.
    pub close_time: String,
    /// `mon,tue,wed,thu,fri`.
    pub workdays: String,
    pub discharge_window_days: i64,
    pub updated_by: String,
    pub updated_at: String,
}

pub async fn get_settings(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<MessageSettingsRow>> {
    Ok(sqlx::query_as("SELECT * FROM message_settings WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}

pub async fn save_settings(conn: &mut AnyConnection, s: &MessageSettingsRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_settings (practice_id, urgent_minutes, escalation_minutes, routine_business_days, close_time, workdays, \
         discharge_window_days, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (practice_id) DO UPDATE SET urgent_minutes = $2, escalation_minutes = $3, routine_business_days = $4, \
         close_time = $5, workdays = $6, discharge_window_days = $7, updated_by = $8, updated_at = $9",
    )
    .bind(&s.practice_id)
    .bind(s.urgent_minutes)
    .bind(s.escalation_minutes)
    .bind(s.routine_business_days)
    .bind(&s.close_time)
    .bind(&s.workdays)
    .bind(s.discharge_window_days)
    .bind(&s.updated_by)
    .bind(&s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every inbox membership of the practice: `(inbox, user_id)`.
pub async fn inbox_members(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT inbox, user_id FROM message_inbox_member WHERE practice_id = $1 ORDER BY inbox, user_id")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

/// Adds a member to an inbox; already a member is fine.
pub async fn add_inbox_member(conn: &mut AnyConnection, practice_id: &str, inbox: &str, user_id: &str, at: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_inbox_member (practice_id, inbox, user_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (practice_id, inbox, user_id) DO NOTHING",
    )
    .bind(practice_id)
    .bind(inbox)
    .bind(user_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_inbox_member(conn: &mut AnyConnection, practice_id: &str, inbox: &str, user_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM message_inbox_member WHERE practice_id = $1 AND inbox = $2 AND user_id = $3")
        .bind(practice_id)
        .bind(inbox)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Triage rules
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TriageRuleRow {
    pub practice_id: String,
    pub rule_key: String,
    pub version: i64,
    pub position: i64,
    pub name: String,
    pub kind: String,
    pub terms: String,
    pub instruction: String,
    /// 1 or 0.
    pub active: i64,
    pub created_by: Option<String>,
    pub created_at: String,
}

/// Inserts a rule version; the same key and version twice is a `Conflict` (two edits at once).
pub async fn insert_rule(conn: &mut AnyConnection, r: &TriageRuleRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO triage_rule (practice_id, rule_key, version, position, name, kind, terms, instruction, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&r.practice_id)
    .bind(&r.rule_key)
    .bind(r.version)
    .bind(r.position)
    .bind(&r.name)
    .bind(&r.kind)
    .bind(&r.terms)
    .bind(&r.instruction)
    .bind(r.active)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the practice has any triage rule yet (the built-in set is copied in on first use).
pub async fn has_rules(conn: &mut AnyConnection, practice_id: &str) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM triage_rule WHERE practice_id = $1").bind(practice_id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// The rules in force: each key's highest version, in their order (active or not).
pub async fn current_rules(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<TriageRuleRow>> {
    Ok(sqlx::query_as(
        "SELECT r.* FROM triage_rule r WHERE r.practice_id = $1 AND r.version = \
         (SELECT MAX(v.version) FROM triage_rule v WHERE v.practice_id = r.practice_id AND v.rule_key = r.rule_key) \
         ORDER BY r.position, r.rule_key",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// Every version of one rule, newest first.
pub async fn rule_versions(conn: &mut AnyConnection, practice_id: &str, rule_key: &str) -> Result<Vec<TriageRuleRow>> {
    Ok(sqlx::query_as("SELECT * FROM triage_rule WHERE practice_id = $1 AND rule_key = $2 ORDER BY version DESC LIMIT 200")
        .bind(practice_id)
        .bind(rule_key)
        .fetch_all(conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MessageRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: Option<String>,
    pub caller_name: String,
    pub caller_kind: String,
    pub callback_phone: String,
    pub reason: String,
    pub body: String,
    pub voicemail_ok: i64,
    pub recently_discharged: i64,
    pub urgency: String,
    pub triage_rule_key: Option<String>,
    pub triage_rule_version: Option<i64>,
    pub instruction: Option<String>,
    pub inbox: String,
    pub assigned_user_id: Option<String>,
    pub status: String,
    pub deadline_at: String,
    pub escalation_level: i64,
    pub escalated_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub done_at: Option<String>,
    pub taken_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

pub async fn insert_message(conn: &mut AnyConnection, m: &MessageRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO phone_message (practice_id, id, patient_id, caller_name, caller_kind, callback_phone, reason, body, voicemail_ok, \
         recently_discharged, urgency, triage_rule_key, triage_rule_version, instruction, inbox, assigned_user_id, status, deadline_at, \
         escalation_level, escalated_at, acknowledged_at, acknowledged_by, done_at, taken_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
    )
    .bind(&m.practice_id)
    .bind(&m.id)
    .bind(&m.patient_id)
    .bind(&m.caller_name)
    .bind(&m.caller_kind)
    .bind(&m.callback_phone)
    .bind(&m.reason)
    .bind(&m.body)
    .bind(m.voicemail_ok)
    .bind(m.recently_discharged)
    .bind(&m.urgency)
    .bind(&m.triage_rule_key)
    .bind(m.triage_rule_version)
    .bind(&m.instruction)
    .bind(&m.inbox)
    .bind(&m.assigned_user_id)
    .bind(&m.status)
    .bind(&m.deadline_at)
    .bind(m.escalation_level)
    .bind(&m.escalated_at)
    .bind(&m.acknowledged_at)
    .bind(&m.acknowledged_by)
    .bind(&m.done_at)
    .bind(&m.taken_by)
    .bind(&m.created_at)
    .bind(&m.updated_at)
    .bind(m.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_message(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<MessageRow> {
    sqlx::query_as("SELECT * FROM phone_message WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("message"))
}

/// Writes the message's changeable columns if its version is still `m.version - 1`; a
/// `Conflict(STALE_MESSAGE)` otherwise.
pub async fn update_message(conn: &mut AnyConnection, m: &MessageRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE phone_message SET inbox = $1, assigned_user_id = $2, status = $3, escalation_level = $4, escalated_at = $5, \
         acknowledged_at = $6, acknowledged_by = $7, done_at = $8, updated_at = $9, version = $10 \
         WHERE practice_id = $11 AND id = $12 AND version = $13",
    )
    .bind(&m.inbox)
    .bind(&m.assigned_user_id)
    .bind(&m.status)
    .bind(m.escalation_level)
    .bind(&m.escalated_at)
    .bind(&m.acknowledged_at)
    .bind(&m.acknowledged_by)
    .bind(&m.done_at)
    .bind(&m.updated_at)
    .bind(m.version)
    .bind(&m.practice_id)
    .bind(&m.id)
    .bind(m.version - 1)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(STALE_MESSAGE.into()));
    }
    Ok(())
}

/// Urgent first, then oldest first.
const INBOX_ORDER: &str = " ORDER BY CASE WHEN urgency = 'urgent' THEN 0 ELSE 1 END, created_at, id";

/// The condition "visible to a user" over `phone_message`, with `$1` the practice, `$2` the user,
/// `$3` 1 for an office manager, and the user's inboxes from `$4` on.
fn visible_to(inbox_count: usize) -> String {
    let inboxes =
        if inbox_count == 0 { "''".to_string() } else { (0..inbox_count).map(|i| format!("${}", i + 4)).collect::<Vec<_>>().join(", ") };
    format!(
        "practice_id = $1 AND status <> 'done' AND (assigned_user_id = $2 \
         OR (inbox IN ({inboxes}) AND (assigned_user_id IS NULL OR (escalation_level >= 1 AND status = 'new'))) \
         OR ($3 = 1 AND escalation_level >= 2 AND status = 'new'))"
    )
}

/// The condition shared by the inbox list and the navigation count (documentation's anchor).
pub const VISIBLE_TO: &str =
    "assigned to the user, or in one of the user's inboxes and unheld or escalated, or escalated twice for a manager";

/// The open messages a user sees (urgent first, then oldest).
pub async fn inbox(
    conn: &mut AnyConnection,
    practice_id: &str,
    user_id: &str,
    manager: bool,
    inboxes: &[String],
) -> Result<Vec<MessageRow>> {
    let sql = format!("SELECT * FROM phone_message WHERE {}{INBOX_ORDER} LIMIT {LIST_LIMIT}", visible_to(inboxes.len()));
    let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(practice_id).bind(user_id).bind(i64::from(manager));
    for inbox in inboxes {
        q = q.bind(inbox);
    }
    Ok(q.fetch_all(conn).await?)
}

/// How many open messages a user sees, and how many of them are urgent (the navigation badge).
pub async fn inbox_counts(
    conn: &mut AnyConnection,
    practice_id: &str,
    user_id: &str,
    manager: bool,
    inboxes: &[String],
) -> Result<(i64, i64)> {
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN urgency = 'urgent' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM phone_message WHERE {}",
        visible_to(inboxes.len())
    );
    let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(practice_id).bind(user_id).bind(i64::from(manager));
    for inbox in inboxes {
        q = q.bind(inbox);
    }
    Ok(q.fetch_one(conn).await?)
}

/// Messages by assignee (a user id), inbox and status, each filter optional (`""` for any):
/// urgent first, then oldest.
pub async fn list_messages(
    conn: &mut AnyConnection,
    practice_id: &str,
    assigned_user_id: &str,
    inbox: &str,
    status: &str,
) -> Result<Vec<MessageRow>> {
    let sql = format!(
        "SELECT * FROM phone_message WHERE practice_id = $1 AND ($2 = '' OR assigned_user_id = $2) AND ($3 = '' OR inbox = $3) \
         AND ($4 = '' OR status = $4){INBOX_ORDER} LIMIT {LIST_LIMIT}"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(practice_id).bind(assigned_user_id).bind(inbox).bind(status).fetch_all(conn).await?)
}

/// Urgent messages still new whose deadline is at or before `now` and that can escalate further.
pub async fn due_for_escalation(conn: &mut AnyConnection, practice_id: &str, now: &str) -> Result<Vec<MessageRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM phone_message WHERE practice_id = $1 AND status = 'new' AND deadline_at <= $2 \
         AND urgency = 'urgent' AND escalation_level < 2 ORDER BY deadline_at, id LIMIT 500",
    )
    .bind(practice_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Open messages at or past their deadline at `now`, most overdue first.
pub async fn late(conn: &mut AnyConnection, practice_id: &str, now: &str) -> Result<Vec<MessageRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM phone_message WHERE practice_id = $1 AND status <> 'done' AND deadline_at <= $2 \
         ORDER BY deadline_at, id LIMIT 500",
    )
    .bind(practice_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// A patient's messages, newest first.
pub async fn patient_messages(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<MessageRow>> {
    Ok(sqlx::query_as("SELECT * FROM phone_message WHERE practice_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id LIMIT 200")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_all(conn)
        .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MessageEntryRow {
    pub practice_id: String,
    pub message_id: String,
    pub seq: i64,
    /// `reply` or `event`.
    pub kind: String,
    pub at: String,
    pub user_id: Option<String>,
    pub body: String,
}

/// Appends an entry to a message's thread with the next number (the caller holds the message's
/// row through its version update, so two appends do not race); returns the number.
pub async fn append_entry(conn: &mut AnyConnection, e: &MessageEntryRow) -> Result<i64> {
    let (seq,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) FROM phone_message_entry WHERE practice_id = $1 AND message_id = $2",
    )
    .bind(&e.practice_id)
    .bind(&e.message_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO phone_message_entry (practice_id, message_id, seq, kind, at, user_id, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.practice_id)
    .bind(&e.message_id)
    .bind(seq)
    .bind(&e.kind)
    .bind(&e.at)
    .bind(&e.user_id)
    .bind(&e.body)
    .execute(conn)
    .await?;
    Ok(seq)
}

pub async fn entries(conn: &mut AnyConnection, practice_id: &str, message_id: &str) -> Result<Vec<MessageEntryRow>> {
    Ok(sqlx::query_as("SELECT * FROM phone_message_entry WHERE practice_id = $1 AND message_id = $2 ORDER BY seq LIMIT 1000")
        .bind(practice_id)
        .bind(message_id)
        .fetch_all(conn)
        .await?)
}

/// The provider of the patient's latest appointment that was not cancelled (their usual
/// provider, for refills), if any.
pub async fn patient_usual_provider(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, before: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT provider_id FROM appointment WHERE practice_id = $1 AND patient_id = $2 AND start_at <= $3 \
         AND status NOT IN ('cancelled', 'rescheduled', 'no_show') ORDER BY start_at DESC LIMIT 1",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(before)
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_some() {
        return Ok(row.map(|r| r.0));
    }
    // A new patient: the provider of their first booked visit.
    let next: Option<(String,)> = sqlx::query_as(
        "SELECT provider_id FROM appointment WHERE practice_id = $1 AND patient_id = $2 \
         AND status NOT IN ('cancelled', 'rescheduled', 'no_show') ORDER BY start_at LIMIT 1",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_optional(conn)
    .await?;
    Ok(next.map(|r| r.0))
}

// ---------------------------------------------------------------------------------------------
// The telephone directory
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DirectoryContactRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    /// `practice`, `lab`, `pharmacy`, `payer`, `hospital` or `other`.
    pub kind: String,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub async fn insert_contact(conn: &mut AnyConnection, c: &DirectoryContactRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO directory_contact (practice_id, id, name, kind, phone, fax, notes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&c.practice_id)
    .bind(&c.id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.phone)
    .bind(&c.fax)
    .bind(&c.notes)
    .bind(&c.created_at)
    .bind(&c.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_contact(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<DirectoryContactRow> {
    sqlx::query_as("SELECT * FROM directory_contact WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("contact"))
}

pub async fn update_contact(conn: &mut AnyConnection, c: &DirectoryContactRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE directory_contact SET name = $1, kind = $2, phone = $3, fax = $4, notes = $5, updated_at = $6 WHERE practice_id = $7 AND id = $8",
    )
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.phone)
    .bind(&c.fax)
    .bind(&c.notes)
    .bind(&c.updated_at)
    .bind(&c.practice_id)
    .bind(&c.id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("contact"));
    }
    Ok(())
}

/// Contacts whose name, notes or kind contain `words` (lower case, `""` for all), by name.
pub async fn list_contacts(conn: &mut AnyConnection, practice_id: &str, words: &str) -> Result<Vec<DirectoryContactRow>> {
    let pattern = format!("%{}%", words.replace(['%', '_'], ""));
    Ok(sqlx::query_as(
        "SELECT * FROM directory_contact WHERE practice_id = $1 AND ($2 = '%%' OR LOWER(name) LIKE $2 OR LOWER(COALESCE(notes, '')) LIKE $2 \
         OR kind LIKE $2) ORDER BY LOWER(name), id LIMIT 500",
    )
    .bind(practice_id)
    .bind(pattern)
    .fetch_all(conn)
    .await?)
}
