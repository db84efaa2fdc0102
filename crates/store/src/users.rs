//! Staff accounts, sessions, API tokens and login throttling.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct UserRow {
    pub practice_id: String,
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled_at: Option<String>,
    pub created_at: String,
}

pub async fn insert(conn: &mut AnyConnection, u: &UserRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO app_user (practice_id, id, username, display_name, role, password_hash, disabled_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&u.practice_id)
    .bind(&u.id)
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.role)
    .bind(&u.password_hash)
    .bind(&u.disabled_at)
    .bind(&u.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every account with this username, across practices (one, in a single practice's database).
pub async fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Vec<UserRow>> {
    Ok(sqlx::query_as("SELECT * FROM app_user WHERE username = $1 ORDER BY practice_id LIMIT 100").bind(username).fetch_all(conn).await?)
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<UserRow> {
    sqlx::query_as("SELECT * FROM app_user WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("user"))
}

pub async fn list(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<UserRow>> {
    Ok(sqlx::query_as("SELECT * FROM app_user WHERE practice_id = $1 ORDER BY username LIMIT 1000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn count_all(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM app_user").fetch_one(conn).await?;
    Ok(n)
}

pub async fn set_disabled(conn: &mut AnyConnection, practice_id: &str, id: &str, disabled_at: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE app_user SET disabled_at = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(disabled_at)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub practice_id: String,
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ended_at: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// `full`, or a half-signed-in stage: `mfa` (code still to come) or `enrol` (must enrol).
    pub stage: String,
}

pub async fn insert_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_session (practice_id, id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ended_at, ip, user_agent, stage) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&s.practice_id)
    .bind(&s.id_hash)
    .bind(&s.user_id)
    .bind(&s.csrf_token)
    .bind(&s.created_at)
    .bind(&s.last_seen_at)
    .bind(&s.expires_at)
    .bind(&s.ended_at)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .bind(&s.stage)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_session(conn: &mut AnyConnection, practice_id: &str, id_hash: &str) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as("SELECT * FROM user_session WHERE practice_id = $1 AND id_hash = $2")
        .bind(practice_id)
        .bind(id_hash)
        .fetch_optional(conn)
        .await?)
}

pub async fn touch_session(conn: &mut AnyConnection, practice_id: &str, id_hash: &str, at: &str) -> Result<()> {
    sqlx::query("UPDATE user_session SET last_seen_at = $3 WHERE practice_id = $1 AND id_hash = $2")
        .bind(practice_id)
        .bind(id_hash)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end_session(conn: &mut AnyConnection, practice_id: &str, id_hash: &str, at: &str) -> Result<()> {
    sqlx::query("UPDATE user_session SET ended_at = $3 WHERE practice_id = $1 AND id_hash = $2 AND ended_at IS NULL")
        .bind(practice_id)
        .bind(id_hash)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every open session of a user (account disabled, password changed).
pub async fn end_sessions_of_user(conn: &mut AnyConnection, practice_id: &str, user_id: &str, at: &str) -> Result<u64> {
    let r = sqlx::query("UPDATE user_session SET ended_at = $3 WHERE practice_id = $1 AND user_id = $2 AND ended_at IS NULL")
        .bind(practice_id)
        .bind(user_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

#[derive(Debug, Clone, FromRow)]
pub struct ApiTokenRow {
    pub practice_id: String,
    pub id_hash: String,
    pub user_id: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

pub async fn insert_token(conn: &mut AnyConnection, t: &ApiTokenRow) -> Result<()> {
    sqlx::query("INSERT INTO api_token (practice_id, id_hash, user_id, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&t.practice_id)
        .bind(&t.id_hash)
        .bind(&t.user_id)
        .bind(&t.label)
        .bind(&t.created_at)
        .bind(&t.revoked_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_token(conn: &mut AnyConnection, practice_id: &str, id_hash: &str) -> Result<Option<ApiTokenRow>> {
    Ok(sqlx::query_as("SELECT * FROM api_token WHERE practice_id = $1 AND id_hash = $2")
        .bind(practice_id)
        .bind(id_hash)
        .fetch_optional(conn)
        .await?)
}

pub async fn record_login_failure(conn: &mut AnyConnection, key: &str, at: &str) -> Result<()> {
    sqlx::query("INSERT INTO login_failure (throttle_key, at) VALUES ($1, $2)").bind(key).bind(at).execute(conn).await?;
    Ok(())
}

/// Failures under `key` at or after `since`.
pub async fn count_login_failures(conn: &mut AnyConnection, key: &str, since: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_failure WHERE throttle_key = $1 AND at >= $2")
        .bind(key)
        .bind(since)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn clear_login_failures(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failure WHERE throttle_key = $1").bind(key).execute(conn).await?;
    Ok(())
}

pub async fn prune_login_failures(conn: &mut AnyConnection, before: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failure WHERE at < $1").bind(before).execute(conn).await?;
    Ok(())
}

/// An open session as the admin's list shows it.
#[derive(Debug, Clone, FromRow)]
pub struct OpenSessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub stage: String,
}

/// Sessions not ended and not past their absolute limit (the caller drops the idle ones), newest
/// activity first.
pub async fn list_open_sessions(conn: &mut AnyConnection, practice_id: &str, now: &str) -> Result<Vec<OpenSessionRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id_hash, s.user_id, u.username, u.display_name, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent, s.stage \
         FROM user_session s JOIN app_user u ON u.practice_id = s.practice_id AND u.id = s.user_id \
         WHERE s.practice_id = $1 AND s.ended_at IS NULL AND s.expires_at > $2 \
         ORDER BY s.last_seen_at DESC, s.id_hash LIMIT 1000",
    )
    .bind(practice_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

pub async fn set_password_hash(conn: &mut AnyConnection, practice_id: &str, id: &str, password_hash: &str) -> Result<()> {
    sqlx::query("UPDATE app_user SET password_hash = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(password_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// A user's MFA enrolment (or the admin's demand that they enrol).
#[derive(Debug, Clone, FromRow)]
pub struct MfaRow {
    pub practice_id: String,
    pub user_id: String,
    pub secret: Option<String>,
    pub pending_secret: Option<String>,
    pub confirmed_at: Option<String>,
    pub last_used_step: i64,
    pub enrol_required: i64,
    pub updated_at: String,
}

impl MfaRow {
    /// Enrolled: a confirmed secret.
    pub fn enrolled(&self) -> bool {
        self.secret.is_some() && self.confirmed_at.is_some()
    }
}

pub async fn get_mfa(conn: &mut AnyConnection, practice_id: &str, user_id: &str) -> Result<Option<MfaRow>> {
    Ok(sqlx::query_as("SELECT * FROM user_mfa WHERE practice_id = $1 AND user_id = $2")
        .bind(practice_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?)
}

/// Inserts or replaces a user's MFA row.
pub async fn put_mfa(conn: &mut AnyConnection, m: &MfaRow) -> Result<()> {
    sqlx::query("DELETE FROM user_mfa WHERE practice_id = $1 AND user_id = $2")
        .bind(&m.practice_id)
        .bind(&m.user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO user_mfa (practice_id, user_id, secret, pending_secret, confirmed_at, last_used_step, enrol_required, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&m.practice_id)
    .bind(&m.user_id)
    .bind(&m.secret)
    .bind(&m.pending_secret)
    .bind(&m.confirmed_at)
    .bind(m.last_used_step)
    .bind(m.enrol_required)
    .bind(&m.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an accepted code's step, only if it is later than the stored one. Returns false when
/// another request already used this step or a later one (the code is then refused: no replay,
/// even by two requests at the same moment).
pub async fn advance_mfa_step(conn: &mut AnyConnection, practice_id: &str, user_id: &str, step: i64, at: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE user_mfa SET last_used_step = $3, updated_at = $4 WHERE practice_id = $1 AND user_id = $2 AND last_used_step < $3",
    )
    .bind(practice_id)
    .bind(user_id)
    .bind(step)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_mfa(conn: &mut AnyConnection, practice_id: &str, user_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM user_mfa WHERE practice_id = $1 AND user_id = $2").bind(practice_id).bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM mfa_recovery_code WHERE practice_id = $1 AND user_id = $2")
        .bind(practice_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a user's recovery codes with these hashes.
pub async fn replace_recovery_codes(conn: &mut AnyConnection, practice_id: &str, user_id: &str, hashes: &[String], at: &str) -> Result<()> {
    sqlx::query("DELETE FROM mfa_recovery_code WHERE practice_id = $1 AND user_id = $2")
        .bind(practice_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for h in hashes {
        sqlx::query("INSERT INTO mfa_recovery_code (practice_id, user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, $4, NULL)")
            .bind(practice_id)
            .bind(user_id)
            .bind(h)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Spends a recovery code: true if it existed and was unused (and is now used).
pub async fn use_recovery_code(conn: &mut AnyConnection, practice_id: &str, user_id: &str, code_hash: &str, at: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE mfa_recovery_code SET used_at = $4 WHERE practice_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(practice_id)
    .bind(user_id)
    .bind(code_hash)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Unused recovery codes of a user.
pub async fn count_unused_recovery_codes(conn: &mut AnyConnection, practice_id: &str, user_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mfa_recovery_code WHERE practice_id = $1 AND user_id = $2 AND used_at IS NULL")
        .bind(practice_id)
        .bind(user_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// The roles the practice requires MFA of.
pub async fn mfa_required_roles(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT role FROM mfa_required_role WHERE practice_id = $1 ORDER BY role").bind(practice_id).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(r,)| r).collect())
}

pub async fn set_mfa_required_roles(conn: &mut AnyConnection, practice_id: &str, roles: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM mfa_required_role WHERE practice_id = $1").bind(practice_id).execute(&mut *conn).await?;
    for role in roles {
        sqlx::query("INSERT INTO mfa_required_role (practice_id, role) VALUES ($1, $2)")
            .bind(practice_id)
            .bind(role)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Ends one session of the practice by its hash; false when there was no open one.
pub async fn end_session_by_hash(conn: &mut AnyConnection, practice_id: &str, id_hash: &str, at: &str) -> Result<bool> {
    let r = sqlx::query("UPDATE user_session SET ended_at = $3 WHERE practice_id = $1 AND id_hash = $2 AND ended_at IS NULL")
        .bind(practice_id)
        .bind(id_hash)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
