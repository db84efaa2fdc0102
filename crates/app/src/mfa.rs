//! Multi-factor authentication, passwords and sessions as the user and the office manager change
//! them: enrolment in TOTP with recovery codes, the code step of signing in, the practice's policy
//! of which roles must use MFA, re-authentication before changing MFA or a password, the admin's
//! password reset, and the admin's list of open sessions.
//!
//! Every change here asks for the password again (and a code when the user is enrolled), so a
//! session left open on a desk cannot be turned into a takeover of the account.

use crate::auth::{NewSession, SessionStage, hash_password, sha256_hex, split_credential, verify_password};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{DateTime, Utc};
use medoffice_domain::mfa;
use medoffice_domain::security::{Action, Role, check_password_for};
use medoffice_domain::validation::ValidationErrors;
use medoffice_store::timestamp;
use medoffice_store::users::{self, MfaRow, UserRow};
use rand::RngCore;

/// Wrong codes (or re-authentication failures) for one user within the window before the
/// half-signed-in session is ended and further tries wait for the window.
const MAX_CODE_FAILURES: i64 = 5;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// A new TOTP secret to put in an authenticator app.
#[derive(Debug, Clone)]
pub struct MfaEnrolment {
    /// The secret in base32, to type in.
    pub secret_base32: String,
    /// The `otpauth://` URI (what a QR code carries).
    pub uri: String,
}

/// A user's MFA state as their security page shows it.
#[derive(Debug, Clone)]
pub struct MfaStatus {
    pub enrolled: bool,
    /// The practice requires MFA of the user's role.
    pub required: bool,
    pub unused_recovery_codes: i64,
    pub confirmed_at: Option<String>,
}

/// An open session as the admin sees it.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// A handle to end it (the stored hash of the session id, never the id itself).
    pub handle: String,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// Sign-in and last activity, in the practice's time zone (`YYYY-MM-DD HH:MM`).
    pub started_at: String,
    pub last_seen_at: String,
    pub ip: String,
    pub user_agent: String,
    /// `full`, `mfa` or `enrol`.
    pub stage: String,
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn new_recovery_codes(user_id: &str) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..mfa::RECOVERY_CODES).map(|_| mfa::recovery_code_from_bytes(&random_bytes::<10>())).collect();
    let hashes = codes.iter().map(|c| mfa::recovery_code_hash(user_id, c)).collect();
    (codes, hashes)
}

fn enrolment_for(actor_practice: &str, username: &str, secret_base32: &str) -> MfaEnrolment {
    MfaEnrolment {
        secret_base32: secret_base32.to_string(),
        uri: mfa::otpauth_uri(&format!("medoffice {actor_practice}"), username, secret_base32),
    }
}

impl App {
    fn code_key(user_id: &str) -> String {
        format!("mfa:{user_id}")
    }

    async fn code_failures(&self, conn: &mut medoffice_store::Connection, user_id: &str) -> Result<i64> {
        let since = timestamp(self.now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES));
        Ok(users::count_login_failures(conn, &Self::code_key(user_id), &since).await?)
    }

    /// Checks a one-time code (TOTP of a step later than the last used one) or an unused recovery
    /// code, and spends it. `None` when neither matches. Runs in the caller's transaction.
    async fn spend_code(&self, conn: &mut medoffice_store::Connection, m: &MfaRow, typed: &str) -> Result<Option<&'static str>> {
        let now = self.now();
        if mfa::looks_like_recovery_code(typed) {
            let hash = mfa::recovery_code_hash(&m.user_id, typed);
            let spent = users::use_recovery_code(conn, &m.practice_id, &m.user_id, &hash, &timestamp(now)).await?;
            return Ok(spent.then_some("recovery code"));
        }
        let Some(key) = m.secret.as_deref().and_then(mfa::base32_decode) else {
            return Ok(None);
        };
        let last = (m.last_used_step >= 0).then_some(m.last_used_step);
        match mfa::verify_totp(&key, typed, now.timestamp(), last) {
            // The conditional update refuses a step another request already used.
            Some(step) => {
                Ok(users::advance_mfa_step(conn, &m.practice_id, &m.user_id, step, &timestamp(now)).await?.then_some("authenticator code"))
            }
            None => Ok(None),
        }
    }

    /// The second step of signing in: the code (or a recovery code) for a session waiting for it.
    /// On success the half-signed-in session ends and a new, fully signed-in one takes its place
    /// (a new id). Five wrong codes end the half-signed-in session.
    pub async fn complete_mfa_sign_in(
        &self,
        cookie_value: &str,
        code: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<NewSession> {
        let pending = self.pending_session(cookie_value, ip.clone()).await?;
        if pending.stage != SessionStage::Mfa {
            return Err(AppError::Unauthenticated("this sign-in does not wait for a code".into()));
        }
        let actor = pending.actor;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let (practice_id, secret) =
            split_credential(cookie_value, "", '.').ok_or_else(|| AppError::Unauthenticated("no valid session".into()))?;
        let id_hash = sha256_hex(&secret);
        if self.code_failures(&mut tx, &actor.user_id).await? >= MAX_CODE_FAILURES {
            users::end_session(&mut tx, &practice_id, &id_hash, &now).await?;
            tx.commit().await?;
            return Err(AppError::TooManyAttempts { retry_after_secs: FAILURE_WINDOW_MINUTES * 60 });
        }
        let m = users::get_mfa(&mut tx, &actor.practice_id, &actor.user_id).await?.filter(MfaRow::enrolled);
        let used = match &m {
            Some(m) => self.spend_code(&mut tx, m, code).await?,
            None => None,
        };
        let Some(method) = used else {
            users::record_login_failure(&mut tx, &Self::code_key(&actor.user_id), &now).await?;
            self.audit_outcome(&mut tx, &actor, own_account("login.code_failed", &actor, String::new()), "failed").await?;
            tx.commit().await?;
            return Err(
                ValidationErrors::single("code", "the code is not right (or was already used); try the next one your app shows").into()
            );
        };
        users::clear_login_failures(&mut tx, &Self::code_key(&actor.user_id)).await?;
        users::end_session(&mut tx, &practice_id, &id_hash, &now).await?;
        let user = users::get(&mut tx, &actor.practice_id, &actor.user_id).await?;
        let session = self.open_session(&mut tx, &user, SessionStage::Full, ip, user_agent).await?;
        let left = users::count_unused_recovery_codes(&mut tx, &actor.practice_id, &actor.user_id).await?;
        let detail = if method == "recovery code" { format!("with a recovery code ({left} left)") } else { format!("with an {method}") };
        self.audit(&mut tx, &actor, own_account("login.success", &actor, detail)).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Re-authentication before a change to one's MFA or password: the password, and a code when
    /// enrolled. Failures count towards the sign-in throttle of the username.
    pub(crate) async fn reauthenticate(
        &self,
        conn: &mut medoffice_store::Connection,
        actor: &Actor,
        password: &str,
        code: &str,
    ) -> Result<UserRow> {
        let user_key = format!("user:{}", actor.username);
        let since = timestamp(self.now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES));
        if users::count_login_failures(conn, &user_key, &since).await? >= MAX_CODE_FAILURES {
            return Err(AppError::TooManyAttempts { retry_after_secs: FAILURE_WINDOW_MINUTES * 60 });
        }
        let user = users::get(conn, &actor.practice_id, &actor.user_id).await?;
        let (typed, hash) = (password.to_string(), user.password_hash.clone());
        let password_ok =
            tokio::task::spawn_blocking(move || verify_password(&typed, &hash)).await.map_err(|e| AppError::Internal(e.to_string()))?;
        let mut errors = ValidationErrors::new();
        if !password_ok {
            errors.add("current_password", "the password is not right");
        } else if let Some(m) = users::get_mfa(conn, &actor.practice_id, &actor.user_id).await?.filter(MfaRow::enrolled)
            && self.spend_code(conn, &m, code).await?.is_none()
        {
            errors.add("current_code", "the code from your authenticator app (or a recovery code) is not right");
        }
        if !errors.is_empty() {
            users::record_login_failure(conn, &user_key, &self.now_text()).await?;
            return Err(errors.into());
        }
        Ok(user)
    }

    /// Runs `reauthenticate` in its own transaction and commits a failure's record, so a failed
    /// attempt is counted even though the use case stops.
    async fn reauthenticate_committed(&self, actor: &Actor, password: &str, code: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let outcome = self.reauthenticate(&mut tx, actor, password, code).await;
        tx.commit().await?;
        outcome.map(|_| ())
    }

    /// The signed-in user's MFA state.
    pub async fn mfa_status(&self, actor: &Actor) -> Result<MfaStatus> {
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let m = users::get_mfa(&mut conn, &actor.practice_id, &actor.user_id).await?;
        let required = users::mfa_required_roles(&mut conn, &actor.practice_id).await?.iter().any(|r| r == actor.role.as_str());
        let unused = users::count_unused_recovery_codes(&mut conn, &actor.practice_id, &actor.user_id).await?;
        Ok(MfaStatus {
            enrolled: m.as_ref().is_some_and(MfaRow::enrolled),
            required,
            unused_recovery_codes: unused,
            confirmed_at: m.and_then(|m| m.confirmed_at),
        })
    }

    async fn put_pending_secret(&self, conn: &mut medoffice_store::Connection, practice_id: &str, user_id: &str) -> Result<String> {
        let secret = mfa::base32_encode(&random_bytes::<{ mfa::SECRET_BYTES }>());
        let mut m = users::get_mfa(conn, practice_id, user_id).await?.unwrap_or(MfaRow {
            practice_id: practice_id.to_string(),
            user_id: user_id.to_string(),
            secret: None,
            pending_secret: None,
            confirmed_at: None,
            last_used_step: -1,
            enrol_required: 0,
            updated_at: String::new(),
        });
        m.pending_secret = Some(secret.clone());
        m.updated_at = self.now_text();
        users::put_mfa(conn, &m).await?;
        Ok(secret)
    }

    /// Starts enrolment (or a change of authenticator) for the signed-in user, after
    /// re-authentication. The current enrolment, if any, stays in force until the new secret is
    /// confirmed with a code.
    pub async fn start_mfa_enrolment(&self, actor: &Actor, password: &str, code: &str) -> Result<MfaEnrolment> {
        self.reauthenticate_committed(actor, password, code).await?;
        let mut tx = self.store.begin().await?;
        let secret = self.put_pending_secret(&mut tx, &actor.practice_id, &actor.user_id).await?;
        self.audit(&mut tx, actor, own_account("mfa.enrolment_started", actor, String::new())).await?;
        tx.commit().await?;
        Ok(enrolment_for(&actor.practice_name, &actor.username, &secret))
    }

    /// The enrolment shown but not yet confirmed, if any.
    pub async fn pending_mfa_enrolment(&self, actor: &Actor) -> Result<Option<MfaEnrolment>> {
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let m = users::get_mfa(&mut conn, &actor.practice_id, &actor.user_id).await?;
        Ok(m.and_then(|m| m.pending_secret).map(|s| enrolment_for(&actor.practice_name, &actor.username, &s)))
    }

    /// Confirms the pending secret with a code from the app: MFA is on from now, and the ten
    /// recovery codes are returned (shown once; only their hashes are kept). Other sessions of the
    /// user end.
    pub async fn confirm_mfa_enrolment(&self, actor: &Actor, code: &str, current_cookie: Option<&str>) -> Result<Vec<String>> {
        let mut tx = self.store.begin().await?;
        let codes = self.confirm_pending_secret(&mut tx, actor, code).await?;
        let keep = current_cookie.and_then(|c| split_credential(c, "", '.')).map(|(_, s)| sha256_hex(&s));
        self.end_other_sessions(&mut tx, actor, keep.as_deref()).await?;
        self.audit(&mut tx, actor, own_account("mfa.enrolled", actor, String::new())).await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn end_other_sessions(&self, conn: &mut medoffice_store::Connection, actor: &Actor, keep_hash: Option<&str>) -> Result<()> {
        let now = self.now_text();
        for s in users::list_open_sessions(conn, &actor.practice_id, &now).await? {
            if s.user_id == actor.user_id && Some(s.id_hash.as_str()) != keep_hash {
                users::end_session(conn, &actor.practice_id, &s.id_hash, &now).await?;
            }
        }
        Ok(())
    }

    async fn confirm_pending_secret(&self, conn: &mut medoffice_store::Connection, actor: &Actor, code: &str) -> Result<Vec<String>> {
        let mut m = users::get_mfa(conn, &actor.practice_id, &actor.user_id)
            .await?
            .filter(|m| m.pending_secret.is_some())
            .ok_or_else(|| ValidationErrors::single("code", "start the enrolment first"))?;
        let key = m.pending_secret.as_deref().and_then(mfa::base32_decode).unwrap_or_default();
        let last = (m.last_used_step >= 0).then_some(m.last_used_step);
        let Some(step) = mfa::verify_totp(&key, code, self.now().timestamp(), last) else {
            return Err(
                ValidationErrors::single("code", "the code is not right: check the app's clock and type the code it shows now").into()
            );
        };
        m.secret = m.pending_secret.take();
        m.confirmed_at = Some(self.now_text());
        m.last_used_step = step;
        m.enrol_required = 0;
        m.updated_at = self.now_text();
        users::put_mfa(conn, &m).await?;
        let (codes, hashes) = new_recovery_codes(&actor.user_id);
        users::replace_recovery_codes(conn, &actor.practice_id, &actor.user_id, &hashes, &self.now_text()).await?;
        Ok(codes)
    }

    /// Enrolment for a user sent there at sign-in (the practice requires MFA of the role): the
    /// secret to show, made on the first visit. The password was given minutes ago for this
    /// half-signed-in session, which opens nothing else.
    pub async fn forced_mfa_enrolment(&self, cookie_value: &str) -> Result<MfaEnrolment> {
        let pending = self.pending_session(cookie_value, None).await?;
        if pending.stage != SessionStage::Enrol {
            return Err(AppError::Unauthenticated("this sign-in does not need enrolment".into()));
        }
        let actor = pending.actor;
        if let Some(e) = self.pending_mfa_enrolment(&actor).await? {
            return Ok(e);
        }
        let mut tx = self.store.begin().await?;
        let secret = self.put_pending_secret(&mut tx, &actor.practice_id, &actor.user_id).await?;
        tx.commit().await?;
        Ok(enrolment_for(&actor.practice_name, &actor.username, &secret))
    }

    /// Confirms a forced enrolment: MFA is on, the half-signed-in session ends and a full one takes
    /// its place (a new id); returns it with the recovery codes to show once.
    pub async fn confirm_forced_mfa_enrolment(
        &self,
        cookie_value: &str,
        code: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(NewSession, Vec<String>)> {
        let pending = self.pending_session(cookie_value, ip.clone()).await?;
        if pending.stage != SessionStage::Enrol {
            return Err(AppError::Unauthenticated("this sign-in does not need enrolment".into()));
        }
        let actor = pending.actor;
        let (practice_id, secret) =
            split_credential(cookie_value, "", '.').ok_or_else(|| AppError::Unauthenticated("no valid session".into()))?;
        let mut tx = self.store.begin().await?;
        let codes = self.confirm_pending_secret(&mut tx, &actor, code).await?;
        users::end_session(&mut tx, &practice_id, &sha256_hex(&secret), &self.now_text()).await?;
        let user = users::get(&mut tx, &actor.practice_id, &actor.user_id).await?;
        let session = self.open_session(&mut tx, &user, SessionStage::Full, ip, user_agent).await?;
        self.audit(&mut tx, &actor, own_account("mfa.enrolled", &actor, "at sign-in, as the practice requires".into())).await?;
        self.audit(&mut tx, &actor, own_account("login.success", &actor, "after enrolling in MFA".into())).await?;
        tx.commit().await?;
        Ok((session, codes))
    }

    /// New recovery codes (the old ones stop working), after re-authentication.
    pub async fn regenerate_recovery_codes(&self, actor: &Actor, password: &str, code: &str) -> Result<Vec<String>> {
        self.reauthenticate_committed(actor, password, code).await?;
        let mut tx = self.store.begin().await?;
        let m = users::get_mfa(&mut tx, &actor.practice_id, &actor.user_id).await?.filter(MfaRow::enrolled);
        if m.is_none() {
            return Err(ValidationErrors::single("current_code", "turn on MFA first").into());
        }
        let (codes, hashes) = new_recovery_codes(&actor.user_id);
        users::replace_recovery_codes(&mut tx, &actor.practice_id, &actor.user_id, &hashes, &self.now_text()).await?;
        self.audit(&mut tx, actor, own_account("mfa.recovery_codes_renewed", actor, String::new())).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Turns MFA off for oneself, after re-authentication; refused when the practice requires MFA
    /// of the role (change authenticators by enrolling again instead).
    pub async fn disable_mfa(&self, actor: &Actor, password: &str, code: &str) -> Result<()> {
        self.reauthenticate_committed(actor, password, code).await?;
        let mut tx = self.store.begin().await?;
        if users::mfa_required_roles(&mut tx, &actor.practice_id).await?.iter().any(|r| r == actor.role.as_str()) {
            return Err(ValidationErrors::single(
                "current_code",
                "the practice requires MFA of your role; to change authenticators, set up MFA again",
            )
            .into());
        }
        users::delete_mfa(&mut tx, &actor.practice_id, &actor.user_id).await?;
        self.audit(&mut tx, actor, own_account("mfa.disabled", actor, String::new())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes one's own password after re-authentication (the current password, and a code when
    /// enrolled). Every session of the user ends, this one too: they sign in with the new password.
    pub async fn change_password(&self, actor: &Actor, current_password: &str, code: &str, new_password: &str) -> Result<()> {
        if let Err(m) = check_password_for(new_password, &actor.username, &actor.practice_name) {
            return Err(ValidationErrors::single("new_password", m).into());
        }
        self.reauthenticate_committed(actor, current_password, code).await?;
        let hash = hash_password(new_password)?;
        let mut tx = self.store.begin().await?;
        users::set_password_hash(&mut tx, &actor.practice_id, &actor.user_id, &hash).await?;
        let ended = users::end_sessions_of_user(&mut tx, &actor.practice_id, &actor.user_id, &self.now_text()).await?;
        self.audit(&mut tx, actor, own_account("user.password_changed", actor, format!("{ended} session(s) ended"))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The office manager resets another user's password (after re-authenticating). Every session
    /// of that user ends. MFA is re-checked at their next sign-in: an enrolled user still needs a
    /// code, and with `reset_mfa` (a lost phone) the enrolment and recovery codes are dropped and
    /// the user must enrol again before anything else, whatever the practice's policy.
    pub async fn reset_user_password(
        &self,
        actor: &Actor,
        user_id: &str,
        admin_password: &str,
        admin_code: &str,
        new_password: &str,
        reset_mfa: bool,
    ) -> Result<()> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        if user_id == actor.user_id {
            return Err(ValidationErrors::single("new_password", "change your own password on your security page").into());
        }
        let target = {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            users::get(&mut conn, &actor.practice_id, user_id).await?
        };
        if let Err(m) = check_password_for(new_password, &target.username, &actor.practice_name) {
            return Err(ValidationErrors::single("new_password", m).into());
        }
        self.reauthenticate_committed(actor, admin_password, admin_code).await?;
        let hash = hash_password(new_password)?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        users::set_password_hash(&mut tx, &actor.practice_id, &target.id, &hash).await?;
        let ended = users::end_sessions_of_user(&mut tx, &actor.practice_id, &target.id, &now).await?;
        if reset_mfa {
            users::delete_mfa(&mut tx, &actor.practice_id, &target.id).await?;
            users::put_mfa(
                &mut tx,
                &MfaRow {
                    practice_id: actor.practice_id.clone(),
                    user_id: target.id.clone(),
                    secret: None,
                    pending_secret: None,
                    confirmed_at: None,
                    last_used_step: -1,
                    enrol_required: 1,
                    updated_at: now.clone(),
                },
            )
            .await?;
        }
        let detail = format!("{}: {ended} session(s) ended{}", target.username, if reset_mfa { "; MFA must be set up again" } else { "" });
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "user.password_reset", patient_id: None, record_type: "user", record_id: Some(&target.id), detail },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The roles the practice requires MFA of.
    pub async fn mfa_policy(&self, actor: &Actor) -> Result<Vec<Role>> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let roles = users::mfa_required_roles(&mut conn, &actor.practice_id).await?;
        Ok(roles.iter().filter_map(|r| r.parse().ok()).collect())
    }

    /// Sets the roles that must use MFA. Users of a newly required role who are not enrolled have
    /// their open sessions ended: at their next sign-in they are sent to enrolment.
    pub async fn set_mfa_policy(&self, actor: &Actor, roles: &[Role]) -> Result<()> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        let mut tx = self.store.begin().await?;
        let names: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
        users::set_mfa_required_roles(&mut tx, &actor.practice_id, &names).await?;
        let now = self.now_text();
        let mut ended = 0;
        for u in users::list(&mut tx, &actor.practice_id).await? {
            if !names.contains(&u.role) {
                continue;
            }
            let enrolled = users::get_mfa(&mut tx, &actor.practice_id, &u.id).await?.is_some_and(|m| m.enrolled());
            if !enrolled {
                ended += users::end_sessions_of_user(&mut tx, &actor.practice_id, &u.id, &now).await?;
            }
        }
        let detail = format!(
            "required of: {}; {ended} session(s) of users not enrolled ended",
            if names.is_empty() { "no role".to_string() } else { names.join(", ") }
        );
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mfa.policy_changed",
                patient_id: None,
                record_type: "practice",
                record_id: Some(&actor.practice_id),
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The practice's open sessions (not ended, within both timeouts), for the office manager.
    pub async fn list_sessions(&self, actor: &Actor) -> Result<Vec<SessionView>> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let now = self.now();
        let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&Utc)).ok();
        let rows = users::list_open_sessions(&mut conn, &actor.practice_id, &timestamp(now)).await?;
        // In the practice's time zone, to the minute.
        let local = |t: &str| parse(t).map(|d| d.with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|s| parse(&s.last_seen_at).is_some_and(|seen| now - seen < self.config.idle_timeout))
            .map(|s| SessionView {
                handle: s.id_hash,
                user_id: s.user_id,
                username: s.username,
                display_name: s.display_name,
                started_at: local(&s.created_at),
                last_seen_at: local(&s.last_seen_at),
                ip: s.ip.unwrap_or_default(),
                user_agent: s.user_agent.unwrap_or_default(),
                stage: s.stage,
            })
            .collect())
    }

    /// Ends one open session of the practice (the office manager's button).
    pub async fn end_session_as_admin(&self, actor: &Actor, handle: &str) -> Result<()> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        let mut tx = self.store.begin().await?;
        if !users::end_session_by_hash(&mut tx, &actor.practice_id, handle, &self.now_text()).await? {
            return Err(AppError::NotFound("session"));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "session.ended_by_admin",
                patient_id: None,
                record_type: "session",
                record_id: None,
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every open session of one user of the practice.
    pub async fn end_user_sessions(&self, actor: &Actor, user_id: &str) -> Result<u64> {
        self.authorize(actor, Action::ManageUsers, None).await?;
        let mut tx = self.store.begin().await?;
        let user = users::get(&mut tx, &actor.practice_id, user_id).await?;
        let ended = users::end_sessions_of_user(&mut tx, &actor.practice_id, &user.id, &self.now_text()).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "session.ended_by_admin",
                patient_id: None,
                record_type: "user",
                record_id: Some(&user.id),
                detail: format!("{}: {ended} session(s)", user.username),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}

/// An audit record about the acting user's own account (sign-in steps, MFA, recovery codes).
fn own_account<'a>(action: &'a str, actor: &'a Actor, detail: String) -> AuditNote<'a> {
    AuditNote { action, patient_id: None, record_type: "user", record_id: Some(&actor.user_id), detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_codes_hashed_per_user() {
        let (codes, hashes) = new_recovery_codes("user-1");
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert!(mfa::looks_like_recovery_code(code), "{code}");
            assert_eq!(*hash, mfa::recovery_code_hash("user-1", code));
            assert!(!hash.contains(code.as_str()));
        }
    }
}
