//! Appointment reminders (migration 0006): the practice's SMTP settings, the reminder rules of
//! appointment types, the reminders (one per appointment and rule, unique) with the patient's
//! reply, and every e-mail attempt.
//!
//! A reminder run never holds a transaction while it talks to a mail server: it makes the rows in
//! one transaction, then for each e-mail *claims* the row (`pending`/`failed` → `sending`, one
//! writer wins), sends, and records the outcome in another. A run that dies while `sending` leaves
//! a claim that a later run may take over once it is older than the caller's `stale_before`.

use crate::scheduling::AppointmentRow;
use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most rows one list answers; a guard (a busy practice sends a few hundred reminders a day).
const LIST_LIMIT: i64 = 5000;

// ---------------------------------------------------------------------------------------------
// SMTP settings
// ---------------------------------------------------------------------------------------------

/// The practice's outgoing mail server.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SmtpRow {
    pub practice_id: String,
    pub host: String,
    pub port: i64,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    pub username: Option<String>,
    /// Stored as given until the security issue adds encryption at rest.
    pub password: Option<String>,
    pub from_address: String,
    pub from_name: String,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

pub async fn get_smtp(conn: &mut AnyConnection, practice_id: &str) -> Result<Option<SmtpRow>> {
    Ok(sqlx::query_as("SELECT * FROM smtp_settings WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}

/// Inserts or replaces the practice's settings.
pub async fn put_smtp(conn: &mut AnyConnection, s: &SmtpRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO smtp_settings (practice_id, host, port, security, username, password, from_address, from_name, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (practice_id) DO UPDATE SET host = excluded.host, port = excluded.port, security = excluded.security, \
         username = excluded.username, password = excluded.password, from_address = excluded.from_address, \
         from_name = excluded.from_name, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(&s.practice_id)
    .bind(&s.host)
    .bind(s.port)
    .bind(&s.security)
    .bind(&s.username)
    .bind(&s.password)
    .bind(&s.from_address)
    .bind(&s.from_name)
    .bind(&s.updated_at)
    .bind(&s.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rules per appointment type
// ---------------------------------------------------------------------------------------------

/// The reminder rules of one appointment type: `days_before` is `"7,2"`, or `""` for none.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TypeReminderRow {
    pub practice_id: String,
    pub appointment_type_id: String,
    pub days_before: String,
    pub updated_at: String,
}

/// The types whose rules were set (a type without a row has the practice default).
pub async fn list_type_reminders(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<TypeReminderRow>> {
    Ok(sqlx::query_as("SELECT * FROM appointment_type_reminder WHERE practice_id = $1 ORDER BY appointment_type_id LIMIT 2000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn put_type_reminder(conn: &mut AnyConnection, r: &TypeReminderRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO appointment_type_reminder (practice_id, appointment_type_id, days_before, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (practice_id, appointment_type_id) DO UPDATE SET days_before = excluded.days_before, updated_at = excluded.updated_at",
    )
    .bind(&r.practice_id)
    .bind(&r.appointment_type_id)
    .bind(&r.days_before)
    .bind(&r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reminders
// ---------------------------------------------------------------------------------------------

/// One reminder as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReminderRow {
    pub practice_id: String,
    pub id: String,
    pub appointment_id: String,
    pub days_before: i64,
    pub patient_id: String,
    /// `email` or `call`.
    pub channel: String,
    /// `pending`, `sending`, `sent`, `failed`, `skipped`, `to_call` or `called`.
    pub status: String,
    /// The e-mail address or the phone's digits; `None` on the call list means "no way to reach".
    pub recipient: Option<String>,
    /// `YYYY-MM-DD`: the run that made it; the day of the call list.
    pub list_date: String,
    pub attempts: i64,
    pub claimed_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    /// The last error, or why it was skipped, or the server's answer when sent.
    pub detail: Option<String>,
    pub reply: Option<String>,
    pub reply_note: Option<String>,
    pub reply_at: Option<String>,
    pub reply_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A reminder with what a list shows of its appointment and patient.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReminderListRow {
    #[sqlx(flatten)]
    pub reminder: ReminderRow,
    /// Local `YYYY-MM-DDTHH:MM`.
    pub start_at: String,
    pub appointment_status: String,
    pub provider_id: String,
    pub family_name: String,
    pub given_name: String,
    pub preferred_name: Option<String>,
    pub phone_mobile: Option<String>,
    pub phone_home: Option<String>,
    pub phone_work: Option<String>,
    pub email: Option<String>,
}

/// The columns of [`ReminderListRow`], from `appointment_reminder r`, `appointment a`, `patient p`.
const LIST_COLUMNS: &str = "r.practice_id, r.id, r.appointment_id, r.days_before, r.patient_id, r.channel, r.status, r.recipient, \
     r.list_date, r.attempts, r.claimed_at, r.last_attempt_at, r.sent_at, r.detail, r.reply, r.reply_note, r.reply_at, r.reply_by, \
     r.created_at, r.updated_at, a.start_at, a.status AS appointment_status, a.provider_id, p.family_name, p.given_name, \
     p.preferred_name, p.phone_mobile, p.phone_home, p.phone_work, p.email";

const LIST_FROM: &str = "FROM appointment_reminder r \
     JOIN appointment a ON a.practice_id = r.practice_id AND a.id = r.appointment_id \
     JOIN patient p ON p.practice_id = r.practice_id AND p.id = r.patient_id";

/// Scheduled or confirmed appointments starting in `[from_minute, to_minute)` (minutes since
/// 1970-01-01T00:00 local, as `appointment.start_minute`), by start.
pub async fn remindable_appointments(
    conn: &mut AnyConnection,
    practice_id: &str,
    from_minute: i64,
    to_minute: i64,
) -> Result<Vec<AppointmentRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM appointment WHERE practice_id = $1 AND start_minute >= $2 AND start_minute < $3 \
         AND status IN ('scheduled', 'confirmed') ORDER BY start_minute, id LIMIT $4",
    )
    .bind(practice_id)
    .bind(from_minute)
    .bind(to_minute)
    .bind(LIST_LIMIT * 4)
    .fetch_all(conn)
    .await?)
}

/// The reminders already made for appointments starting in `[from_minute, to_minute)`.
pub async fn reminders_of_appointments(
    conn: &mut AnyConnection,
    practice_id: &str,
    from_minute: i64,
    to_minute: i64,
) -> Result<Vec<ReminderRow>> {
    Ok(sqlx::query_as(
        "SELECT r.* FROM appointment_reminder r JOIN appointment a ON a.practice_id = r.practice_id AND a.id = r.appointment_id \
         WHERE r.practice_id = $1 AND a.start_minute >= $2 AND a.start_minute < $3 ORDER BY a.start_minute, r.id LIMIT $4",
    )
    .bind(practice_id)
    .bind(from_minute)
    .bind(to_minute)
    .bind(LIST_LIMIT * 4)
    .fetch_all(conn)
    .await?)
}

/// Inserts a reminder unless the appointment already has one for that rule; whether it was new.
pub async fn insert_reminder(conn: &mut AnyConnection, r: &ReminderRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO appointment_reminder (practice_id, id, appointment_id, days_before, patient_id, channel, status, recipient, \
         list_date, attempts, claimed_at, last_attempt_at, sent_at, detail, reply, reply_note, reply_at, reply_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
         ON CONFLICT (practice_id, appointment_id, days_before) DO NOTHING",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.appointment_id)
    .bind(r.days_before)
    .bind(&r.patient_id)
    .bind(&r.channel)
    .bind(&r.status)
    .bind(&r.recipient)
    .bind(&r.list_date)
    .bind(r.attempts)
    .bind(&r.claimed_at)
    .bind(&r.last_attempt_at)
    .bind(&r.sent_at)
    .bind(&r.detail)
    .bind(&r.reply)
    .bind(&r.reply_note)
    .bind(&r.reply_at)
    .bind(&r.reply_by)
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_reminder(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ReminderRow> {
    sqlx::query_as("SELECT * FROM appointment_reminder WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("reminder"))
}

/// One reminder with its appointment and patient.
pub async fn get_reminder_listed(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ReminderListRow> {
    let sql = format!("SELECT {LIST_COLUMNS} {LIST_FROM} WHERE r.practice_id = $1 AND r.id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(id).fetch_optional(conn).await?.ok_or(StoreError::NotFound("reminder"))
}

/// Takes an e-mail reminder for sending: `pending` or `failed`, or `sending` with a claim older
/// than `stale_before` (a run that died). Whether this caller won it.
pub async fn claim(conn: &mut AnyConnection, practice_id: &str, id: &str, now: &str, stale_before: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE appointment_reminder SET status = 'sending', claimed_at = $1, updated_at = $1 \
         WHERE practice_id = $2 AND id = $3 AND channel = 'email' \
         AND (status IN ('pending', 'failed') OR (status = 'sending' AND claimed_at < $4))",
    )
    .bind(now)
    .bind(practice_id)
    .bind(id)
    .bind(stale_before)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How one e-mail attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome<'a> {
    /// `sent` (the server accepted the message) or `failed`.
    pub outcome: &'a str,
    pub recipient: Option<&'a str>,
    /// The server's answer, or the error.
    pub detail: &'a str,
    pub at: &'a str,
}

/// Records an attempt of a claimed reminder: the reminder's new status and the attempt's row.
/// Returns the attempt's number.
pub async fn record_attempt(conn: &mut AnyConnection, practice_id: &str, id: &str, a: &AttemptOutcome<'_>) -> Result<i64> {
    let sent = a.outcome == "sent";
    let done = sqlx::query(
        "UPDATE appointment_reminder SET status = $1, attempts = attempts + 1, last_attempt_at = $2, \
         sent_at = CASE WHEN $3 = 1 THEN $2 ELSE sent_at END, recipient = COALESCE($4, recipient), detail = $5, \
         claimed_at = NULL, updated_at = $2 WHERE practice_id = $6 AND id = $7 AND status = 'sending'",
    )
    .bind(a.outcome)
    .bind(a.at)
    .bind(i64::from(sent))
    .bind(a.recipient)
    .bind(a.detail)
    .bind(practice_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("appointment_reminder_claim".into()));
    }
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO appointment_reminder_attempt (practice_id, reminder_id, seq, at, recipient, outcome, detail) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM appointment_reminder_attempt WHERE practice_id = $1 AND reminder_id = $2), \
         $3, $4, $5, $6) RETURNING seq",
    )
    .bind(practice_id)
    .bind(id)
    .bind(a.at)
    .bind(a.recipient)
    .bind(a.outcome)
    .bind(a.detail)
    .fetch_one(conn)
    .await?;
    Ok(seq)
}

/// Marks a reminder skipped with the reason, unless it was sent or called meanwhile.
pub async fn skip(conn: &mut AnyConnection, practice_id: &str, id: &str, reason: &str, at: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE appointment_reminder SET status = 'skipped', detail = $1, claimed_at = NULL, updated_at = $2 \
         WHERE practice_id = $3 AND id = $4 AND status IN ('pending', 'sending', 'failed', 'to_call')",
    )
    .bind(reason)
    .bind(at)
    .bind(practice_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The patient's answer, recorded on the reminder. A call reminder becomes `called`; an e-mail
/// keeps its status (it was sent).
pub async fn record_reply(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    reply: &str,
    note: Option<&str>,
    at: &str,
    by: &str,
) -> Result<ReminderRow> {
    sqlx::query(
        "UPDATE appointment_reminder SET reply = $1, reply_note = $2, reply_at = $3, reply_by = $4, updated_at = $3, \
         status = CASE WHEN channel = 'call' THEN 'called' ELSE status END WHERE practice_id = $5 AND id = $6",
    )
    .bind(reply)
    .bind(note)
    .bind(at)
    .bind(by)
    .bind(practice_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    get_reminder(conn, practice_id, id).await
}

/// The reminders a run made for `list_date` (`YYYY-MM-DD`), both channels, by appointment time.
pub async fn list_for_date(conn: &mut AnyConnection, practice_id: &str, list_date: &str) -> Result<Vec<ReminderListRow>> {
    let sql =
        format!("SELECT {LIST_COLUMNS} {LIST_FROM} WHERE r.practice_id = $1 AND r.list_date = $2 ORDER BY a.start_minute, r.id LIMIT $3");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(list_date).bind(LIST_LIMIT).fetch_all(conn).await?)
}

/// E-mail reminders whose last attempt failed, of appointments starting at or after `from_minute`:
/// what the reminders page shows first.
pub async fn list_failed(conn: &mut AnyConnection, practice_id: &str, from_minute: i64) -> Result<Vec<ReminderListRow>> {
    let sql = format!(
        "SELECT {LIST_COLUMNS} {LIST_FROM} WHERE r.practice_id = $1 AND r.status = 'failed' AND a.start_minute >= $2 \
         ORDER BY a.start_minute, r.id LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(from_minute).bind(LIST_LIMIT).fetch_all(conn).await?)
}

/// The call list of `list_date`: its call reminders, and earlier ones not reached yet (never called,
/// or no answer) whose appointment is still ahead (starts at or after `from_minute`).
pub async fn list_calls(conn: &mut AnyConnection, practice_id: &str, list_date: &str, from_minute: i64) -> Result<Vec<ReminderListRow>> {
    let sql = format!(
        "SELECT {LIST_COLUMNS} {LIST_FROM} WHERE r.practice_id = $1 AND r.channel = 'call' AND r.list_date <= $2 \
         AND (r.list_date = $2 OR ((r.status = 'to_call' OR r.reply = 'no_answer') AND a.start_minute >= $3 \
         AND a.status IN ('scheduled', 'confirmed'))) ORDER BY a.start_minute, r.id LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(practice_id)
        .bind(list_date)
        .bind(from_minute)
        .bind(LIST_LIMIT)
        .fetch_all(conn)
        .await?)
}

/// One e-mail attempt.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AttemptRow {
    pub practice_id: String,
    pub reminder_id: String,
    pub seq: i64,
    pub at: String,
    pub recipient: Option<String>,
    pub outcome: String,
    pub detail: String,
}

/// A reminder's attempts, oldest first.
pub async fn list_attempts(conn: &mut AnyConnection, practice_id: &str, reminder_id: &str) -> Result<Vec<AttemptRow>> {
    Ok(sqlx::query_as("SELECT * FROM appointment_reminder_attempt WHERE practice_id = $1 AND reminder_id = $2 ORDER BY seq LIMIT 1000")
        .bind(practice_id)
        .bind(reminder_id)
        .fetch_all(conn)
        .await?)
}
