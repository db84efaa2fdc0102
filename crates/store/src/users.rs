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
}

pub async fn insert_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_session (practice_id, id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ended_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
