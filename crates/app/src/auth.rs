//! Signing in and out, sessions, API tokens and staff accounts.
//!
//! Session cookies and API tokens carry the practice id and a 256-bit random secret; the database
//! stores only the secret's SHA-256, so a copy of the database opens no session.
//!
//! A sign-in whose password is right opens a full session, or a half-signed-in one
//! ([`SessionStage`]) when the user must still give a one-time code or enrol in MFA first
//! (`crate::mfa`); such a session opens nothing but its own pages and ends after a few minutes.

use crate::views::UserView;
use crate::{Actor, App, AppError, AuditNote, Result};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use medoffice_domain::security::{Action, Role, check_password_for, parse_username};
use medoffice_domain::validation::ValidationErrors;
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::users::{self, ApiTokenRow, SessionRow, UserRow};
use medoffice_store::{new_id, timestamp};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Failed sign-ins for one username within the window before it is locked for the window.
const MAX_FAILURES_PER_USER: i64 = 5;
/// Failed sign-ins from one address within the window (any usernames) before it is locked.
const MAX_FAILURES_PER_IP: i64 = 50;
/// The throttling window.
const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Refresh a session's last-seen time at most this often (one write per minute per user).
const TOUCH_EVERY_SECONDS: i64 = 60;
/// How long a half-signed-in session waiting for the one-time code lives.
pub const MFA_STAGE_MINUTES: i64 = 5;
/// How long a half-signed-in session that must enrol in MFA lives.
pub const ENROL_STAGE_MINUTES: i64 = 15;

/// argon2id memory in KiB, passes and lanes: OWASP's password storage cheat sheet minimum
/// (m=19456 KiB, t=2, p=1).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

/// How far a session has got: signed in, or half-way (password right, MFA still to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Signed in.
    Full,
    /// The password was right; the one-time code (or a recovery code) is still to come.
    Mfa,
    /// The password was right; the practice requires MFA of this user, who must enrol first.
    Enrol,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::Mfa => "mfa",
            SessionStage::Enrol => "enrol",
        }
    }

    fn parse(text: &str) -> SessionStage {
        match text {
            "full" => SessionStage::Full,
            "enrol" => SessionStage::Enrol,
            // Anything unknown opens nothing.
            _ => SessionStage::Mfa,
        }
    }
}

/// Whether a request is the user's doing or the page's background refresh. Background requests
/// never extend the idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    User,
    Background,
}

/// A half-signed-in session: who, which stage, and its CSRF token for the stage's one form.
#[derive(Debug, Clone)]
pub struct PendingSession {
    pub actor: Actor,
    pub csrf_token: String,
    pub stage: SessionStage,
}

/// A new session: the cookie value to set and the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
    pub actor: Actor,
    /// `Full` when signed in; otherwise the step still to do.
    pub stage: SessionStage,
}

/// A valid session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub actor: Actor,
    pub csrf_token: String,
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with argon2id (19 MiB, 2 passes, 1 lane: OWASP's recommended minimum).
pub fn hash_password(password: &str) -> Result<String> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

/// Checks a password against its stored hash (the hash carries its own parameters).
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// Splits `<practice id>.<secret>` (a cookie) or `mo_<practice id>_<secret>` (a token).
pub(crate) fn split_credential(value: &str, prefix: &str, sep: char) -> Option<(String, String)> {
    let rest = value.strip_prefix(prefix)?;
    let (practice_id, secret) = rest.split_once(sep)?;
    let ok = |s: &str| !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (ok(practice_id) && ok(secret)).then(|| (practice_id.to_string(), secret.to_string()))
}

impl App {
    pub(crate) async fn actor_for(&self, conn: &mut medoffice_store::Connection, user: &UserRow, ip: Option<String>) -> Result<Actor> {
        let practice = medoffice_store::practice::get(conn, &user.practice_id).await?;
        let role: Role = user.role.parse().map_err(AppError::Internal)?;
        Ok(Actor {
            practice_id: user.practice_id.clone(),
            practice_name: practice.name,
            timezone: practice.timezone.parse().unwrap_or(chrono_tz::America::New_York),
            user_id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role,
            ip,
        })
    }

    /// Signs in with a username and password. Refuses with the same message whether the user
    /// exists or not; throttles by username and by address; rotates the session (a new id every
    /// time; the caller drops any old cookie).
    pub async fn login(&self, username: &str, password: &str, ip: Option<String>, user_agent: Option<String>) -> Result<NewSession> {
        let username = username.trim().to_lowercase();
        let now = self.now();
        let since = timestamp(now - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES));
        let user_key = format!("user:{username}");
        let ip_key = format!("ip:{}", ip.as_deref().unwrap_or("unknown"));
        {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            let user_failures = users::count_login_failures(&mut conn, &user_key, &since).await?;
            let ip_failures = users::count_login_failures(&mut conn, &ip_key, &since).await?;
            if user_failures >= MAX_FAILURES_PER_USER || ip_failures >= MAX_FAILURES_PER_IP {
                return Err(AppError::TooManyAttempts { retry_after_secs: FAILURE_WINDOW_MINUTES * 60 });
            }
        }
        let candidates = {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            users::find_by_username(&mut conn, &username).await?
        };
        // Verify off the async threads: argon2 takes tens of milliseconds of CPU.
        let password_owned = password.to_string();
        let hashes: Vec<String> = candidates.iter().map(|u| u.password_hash.clone()).collect();
        let matched = tokio::task::spawn_blocking(move || {
            // Spend the same work when the user does not exist, so timing does not tell.
            if hashes.is_empty() {
                let _ = verify_password(
                    &password_owned,
                    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMTI",
                );
                return None;
            }
            hashes.iter().position(|h| verify_password(&password_owned, h))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;

        let mut tx = self.store.begin().await?;
        let user = match matched.and_then(|i| candidates.get(i)) {
            Some(u) if u.disabled_at.is_none() => u.clone(),
            other => {
                users::record_login_failure(&mut tx, &user_key, &timestamp(now)).await?;
                users::record_login_failure(&mut tx, &ip_key, &timestamp(now)).await?;
                if let Some(u) = other.or(candidates.first()) {
                    self.append_audit(
                        &mut tx,
                        NewAuditEvent {
                            practice_id: u.practice_id.clone(),
                            at: timestamp(now),
                            user_id: Some(u.id.clone()),
                            username: username.clone(),
                            action: "login.failed".into(),
                            record_type: "user".into(),
                            record_id: Some(u.id.clone()),
                            ip: ip.clone(),
                            outcome: "failed".into(),
                            detail: if other.is_some() { "account disabled".into() } else { "wrong password".into() },
                            ..Default::default()
                        },
                    )
                    .await?;
                }
                tx.commit().await?;
                return Err(AppError::Unauthenticated("the username or password is not right".into()));
            }
        };
        users::clear_login_failures(&mut tx, &user_key).await?;
        users::prune_login_failures(&mut tx, &since).await?;
        let stage = self.stage_after_password(&mut tx, &user).await?;
        let actor = self.actor_for(&mut tx, &user, ip.clone()).await?;
        let session = self.open_session(&mut tx, &user, stage, ip, user_agent).await?;
        let action = match stage {
            SessionStage::Full => "login.success",
            SessionStage::Mfa => "login.password_ok_code_required",
            SessionStage::Enrol => "login.password_ok_enrolment_required",
        };
        self.audit(
            &mut tx,
            &actor,
            AuditNote { action, patient_id: None, record_type: "user", record_id: Some(&user.id), detail: String::new() },
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Where a sign-in goes after the right password: the code when the user is enrolled in MFA;
    /// enrolment when the practice requires MFA of the user's role (or an admin's reset asked for
    /// it); otherwise signed in.
    pub(crate) async fn stage_after_password(&self, conn: &mut medoffice_store::Connection, user: &UserRow) -> Result<SessionStage> {
        let mfa = users::get_mfa(conn, &user.practice_id, &user.id).await?;
        if mfa.as_ref().is_some_and(|m| m.enrolled()) {
            return Ok(SessionStage::Mfa);
        }
        let required = users::mfa_required_roles(conn, &user.practice_id).await?;
        if required.contains(&user.role) || mfa.is_some_and(|m| m.enrol_required != 0) {
            return Ok(SessionStage::Enrol);
        }
        Ok(SessionStage::Full)
    }

    /// Opens a new session (a new random id: sessions are never reused across sign-in steps).
    pub(crate) async fn open_session(
        &self,
        conn: &mut medoffice_store::Connection,
        user: &UserRow,
        stage: SessionStage,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<NewSession> {
        let now = self.now();
        let secret = random_secret();
        let csrf_token = random_secret();
        let expires = match stage {
            SessionStage::Full => now + self.config.absolute_timeout,
            SessionStage::Mfa => now + chrono::Duration::minutes(MFA_STAGE_MINUTES),
            SessionStage::Enrol => now + chrono::Duration::minutes(ENROL_STAGE_MINUTES),
        };
        let session = SessionRow {
            practice_id: user.practice_id.clone(),
            id_hash: sha256_hex(&secret),
            user_id: user.id.clone(),
            csrf_token: csrf_token.clone(),
            created_at: timestamp(now),
            last_seen_at: timestamp(now),
            expires_at: timestamp(expires),
            ended_at: None,
            ip: ip.clone(),
            user_agent: user_agent.map(|ua| ua.chars().take(300).collect()),
            stage: stage.as_str().to_string(),
        };
        users::insert_session(conn, &session).await?;
        let actor = self.actor_for(conn, user, ip).await?;
        Ok(NewSession { cookie_value: format!("{}.{secret}", user.practice_id), csrf_token, actor, stage })
    }

    /// The session behind a cookie, if it is open, fully signed in, and neither idle nor absolute
    /// timeout passed. Counts as the user's activity (extends the idle timeout).
    pub async fn authenticate_session(&self, cookie_value: &str, ip: Option<String>) -> Result<SessionInfo> {
        self.authenticate_session_for(cookie_value, ip, Activity::User).await
    }

    /// [`App::authenticate_session`] for a page's background refresh: the same checks, but the
    /// idle timeout is not extended, so a page left open does not keep a session alive.
    pub async fn authenticate_background(&self, cookie_value: &str, ip: Option<String>) -> Result<SessionInfo> {
        self.authenticate_session_for(cookie_value, ip, Activity::Background).await
    }

    /// The stage of the session behind a cookie when it is half-signed-in and still valid (to send
    /// the browser to the right step); `None` otherwise.
    pub async fn pending_stage(&self, cookie_value: &str) -> Result<Option<SessionStage>> {
        match self.pending_session(cookie_value, None).await {
            Ok(p) => Ok(Some(p.stage)),
            Err(AppError::Unauthenticated(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The half-signed-in session behind a cookie (stage `Mfa` or `Enrol`), if still valid.
    pub async fn pending_session(&self, cookie_value: &str, ip: Option<String>) -> Result<PendingSession> {
        let (session, user) = self.live_session(cookie_value).await?;
        let stage = SessionStage::parse(&session.stage);
        if stage == SessionStage::Full {
            return Err(AppError::Unauthenticated("you are already signed in".into()));
        }
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let actor = self.actor_for(&mut conn, &user, ip).await?;
        Ok(PendingSession { actor, csrf_token: session.csrf_token, stage })
    }

    /// A session row that is open and within both timeouts, and its enabled user.
    pub(crate) async fn live_session(&self, cookie_value: &str) -> Result<(SessionRow, UserRow)> {
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        self.live_session_on(&mut conn, cookie_value).await
    }

    /// [`App::live_session`] on the caller's connection. Every check is made on every request:
    /// ended, absolute limit, idle limit, account disabled; nothing in the request can skip one.
    async fn live_session_on(&self, conn: &mut medoffice_store::Connection, cookie_value: &str) -> Result<(SessionRow, UserRow)> {
        let (practice_id, secret) =
            split_credential(cookie_value, "", '.').ok_or_else(|| AppError::Unauthenticated("no valid session".into()))?;
        let id_hash = sha256_hex(&secret);
        let session = users::get_session(&mut *conn, &practice_id, &id_hash)
            .await?
            .ok_or_else(|| AppError::Unauthenticated("no valid session".into()))?;
        let now = self.now();
        let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&Utc)).ok();
        let last_seen = parse(&session.last_seen_at).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let expires = parse(&session.expires_at).unwrap_or(DateTime::<Utc>::MIN_UTC);
        if session.ended_at.is_some() {
            return Err(AppError::Unauthenticated("you signed out".into()));
        }
        if now >= expires {
            return Err(AppError::Unauthenticated("your session reached its time limit; sign in again".into()));
        }
        if now - last_seen >= self.config.idle_timeout {
            return Err(AppError::Unauthenticated("you were signed out after a period of inactivity".into()));
        }
        let user = users::get(conn, &practice_id, &session.user_id).await?;
        if user.disabled_at.is_some() {
            return Err(AppError::Unauthenticated("this account is disabled".into()));
        }
        Ok((session, user))
    }

    async fn authenticate_session_for(&self, cookie_value: &str, ip: Option<String>, activity: Activity) -> Result<SessionInfo> {
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let (session, user) = self.live_session_on(&mut conn, cookie_value).await?;
        if session.stage != SessionStage::Full.as_str() {
            return Err(AppError::Unauthenticated("finish signing in first".into()));
        }
        // The user's own requests extend the idle timeout (one write a minute at most); background
        // refreshes never do.
        let now = self.now();
        let last_seen =
            DateTime::parse_from_rfc3339(&session.last_seen_at).map(|d| d.with_timezone(&Utc)).unwrap_or(DateTime::<Utc>::MIN_UTC);
        if activity == Activity::User && (now - last_seen).num_seconds() >= TOUCH_EVERY_SECONDS {
            users::touch_session(&mut conn, &session.practice_id, &session.id_hash, &timestamp(now)).await?;
        }
        let actor = self.actor_for(&mut conn, &user, ip).await?;
        Ok(SessionInfo { actor, csrf_token: session.csrf_token })
    }

    /// Signs out: ends the session behind the cookie and every other open session of the same
    /// user (other browsers and workstations too).
    pub async fn logout(&self, cookie_value: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        if let Some((practice_id, secret)) = split_credential(cookie_value, "", '.') {
            users::end_session(&mut tx, &practice_id, &sha256_hex(&secret), &now).await?;
        }
        let others = users::end_sessions_of_user(&mut tx, &actor.practice_id, &actor.user_id, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "logout",
                patient_id: None,
                record_type: "user",
                record_id: Some(&actor.user_id),
                detail: if others > 0 { format!("and {others} other session(s) ended") } else { String::new() },
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the session behind an old cookie when its browser signs in again, so a session id
    /// never outlives a sign-in (rotation). Unknown or malformed cookies are ignored.
    pub async fn discard_session(&self, cookie_value: &str) -> Result<()> {
        let Some((practice_id, secret)) = split_credential(cookie_value, "", '.') else {
            return Ok(());
        };
        let mut tx = self.store.begin().await?;
        users::end_session(&mut tx, &practice_id, &sha256_hex(&secret), &self.now_text()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an API bearer token acting as `username` (the CLI's `token create`, run by
    /// whoever holds the server's data). Returns the token; only its hash is kept.
    pub async fn create_api_token(&self, username: &str, label: &str) -> Result<String> {
        let username = parse_username(username).map_err(|m| ValidationErrors::single("username", m))?;
        let mut tx = self.store.begin().await?;
        let found = users::find_by_username(&mut tx, &username).await?;
        let user = match found.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(ValidationErrors::single("username", format!("no user named '{username}'")).into());
            }
            _ => {
                return Err(ValidationErrors::single("username", "that username exists in several practices").into());
            }
        };
        if user.disabled_at.is_some() {
            return Err(ValidationErrors::single("username", "this account is disabled").into());
        }
        let secret = random_secret();
        let token = format!("mo_{}_{secret}", user.practice_id);
        users::insert_token(
            &mut tx,
            &ApiTokenRow {
                practice_id: user.practice_id.clone(),
                id_hash: sha256_hex(&secret),
                user_id: user.id.clone(),
                label: label.to_string(),
                created_at: self.now_text(),
                revoked_at: None,
            },
        )
        .await?;
        let actor = self.actor_for(&mut tx, &user, None).await?;
        self.audit(
            &mut tx,
            &actor,
            AuditNote { action: "token.create", patient_id: None, record_type: "api_token", record_id: None, detail: label.to_string() },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user behind an API bearer token.
    pub async fn authenticate_token(&self, token: &str, ip: Option<String>) -> Result<Actor> {
        let invalid = || AppError::Unauthenticated("the bearer token is not valid".into());
        let rest = token.strip_prefix("mo_").ok_or_else(invalid)?;
        // The practice id is a UUID (36 characters with hyphens), then '_', then the secret.
        let (practice_id, secret) = match (rest.get(..36), rest.get(36..37), rest.get(37..)) {
            (Some(p), Some("_"), Some(s)) => split_credential(&format!("{p}.{s}"), "", '.').ok_or_else(invalid)?,
            _ => return Err(invalid()),
        };
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let row = users::get_token(&mut conn, &practice_id, &sha256_hex(&secret)).await?.ok_or_else(invalid)?;
        if row.revoked_at.is_some() {
            return Err(AppError::Unauthenticated("the bearer token was revoked".into()));
        }
        let user = users::get(&mut conn, &practice_id, &row.user_id).await?;
        if user.disabled_at.is_some() {
            return Err(AppError::Unauthenticated("this account is disabled".into()));
        }
        self.actor_for(&mut conn, &user, ip).await
    }

    /// Adds a staff account (an admin's use case).
    pub async fn add_user(&self, actor: &Actor, username: &str, display_name: &str, role: &str, password: &str) -> Result<UserView> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        if let Err(m) = check_password_for(password, username, &actor.practice_name)
            && check_password_for(password, username, "").is_ok()
        {
            return Err(ValidationErrors::single("password", m).into());
        }
        let user = new_user_row(&actor.practice_id, username, display_name, role, password, &self.now_text())?;
        let mut tx = self.store.begin().await?;
        users::insert(&mut tx, &user).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "user.create",
                patient_id: None,
                record_type: "user",
                record_id: Some(&user.id),
                detail: format!("{} as {}", user.username, user.role),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user_view(&user))
    }

    /// Adds a staff account from the command line (`medoffice user add`): the operator of the
    /// server acts for the practice, which must exist (start `serve` once, or run `demo`).
    pub async fn add_user_offline(&self, username: &str, role: &str, password: &str) -> Result<UserView> {
        let mut tx = self.store.begin().await?;
        let practices = medoffice_store::practice::list(&mut tx).await?;
        let Some(practice) = practices.first() else {
            return Err(ValidationErrors::single(
                "practice",
                "there is no practice yet: run 'medoffice serve' once or 'medoffice demo' first",
            )
            .into());
        };
        let user = new_user_row(&practice.id, username, username, role, password, &self.now_text())?;
        users::insert(&mut tx, &user).await?;
        self.append_audit(
            &mut tx,
            NewAuditEvent {
                practice_id: practice.id.clone(),
                at: self.now_text(),
                username: "(command line)".into(),
                action: "user.create".into(),
                record_type: "user".into(),
                record_id: Some(user.id.clone()),
                outcome: "success".into(),
                detail: format!("{} as {}", user.username, user.role),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user_view(&user))
    }

    /// The practice's staff accounts.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserView>> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        Ok(users::list(&mut conn, &actor.practice_id).await?.iter().map(user_view).collect())
    }

    /// Disables or re-enables an account; disabling ends every session of that user at once.
    pub async fn set_user_disabled(&self, actor: &Actor, user_id: &str, disabled: bool) -> Result<()> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        if disabled && user_id == actor.user_id {
            return Err(ValidationErrors::single("user", "you cannot disable your own account").into());
        }
        let mut tx = self.store.begin().await?;
        let user = users::get(&mut tx, &actor.practice_id, user_id).await?;
        let now = self.now_text();
        users::set_disabled(&mut tx, &actor.practice_id, &user.id, disabled.then_some(now.as_str())).await?;
        if disabled {
            users::end_sessions_of_user(&mut tx, &actor.practice_id, &user.id, &now).await?;
        }
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.audit(
            &mut tx,
            actor,
            AuditNote { action, patient_id: None, record_type: "user", record_id: Some(&user.id), detail: user.username.clone() },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Validates and builds a new account row, with the password hashed.
pub fn new_user_row(practice_id: &str, username: &str, display_name: &str, role: &str, password: &str, now: &str) -> Result<UserRow> {
    let mut e = ValidationErrors::new();
    let username = e.check("username", parse_username(username));
    let role = e.check("role", role.parse::<Role>());
    e.check("password", check_password_for(password, username.as_deref().unwrap_or(""), ""));
    let display_name = medoffice_domain::validation::clean(display_name);
    if display_name.as_ref().is_some_and(|d| d.chars().count() > 100) {
        e.add("display_name", "at most 100 characters");
    }
    let (Some(username), Some(role), true) = (username, role, e.is_empty()) else {
        return Err(e.into());
    };
    Ok(UserRow {
        practice_id: practice_id.to_string(),
        id: new_id(),
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        role: role.as_str().to_string(),
        password_hash: hash_password(password)?,
        disabled_at: None,
        created_at: now.to_string(),
    })
}

fn user_view(u: &UserRow) -> UserView {
    UserView {
        id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.clone(),
        disabled: u.disabled_at.is_some(),
        created_at: u.created_at.clone(),
    }
}
