//! Two-step sign-in (TOTP and recovery codes), the practice's MFA policy, re-authentication before
//! changing MFA or a password, the admin's password reset, and the admin's list of open sessions.

use crate::harness::{ADMIN_PASSWORD, STAFF_PASSWORD, TestEnv, both_backends};
use chrono::Duration;
use medoffice_app::auth::SessionStage;
use medoffice_app::{Actor, AppError};
use medoffice_domain::mfa;
use medoffice_domain::security::Role;

/// The code an authenticator app with this secret shows now (by the test's clock).
fn code_now(env: &TestEnv, secret_base32: &str) -> String {
    let key = mfa::base32_decode(secret_base32).unwrap();
    mfa::code_for_step(&key, mfa::step_at(env.app.now().timestamp()))
}

fn field_error<T: std::fmt::Debug>(result: medoffice_app::Result<T>, field: &str) -> String {
    match result {
        Err(AppError::Validation(e)) => e.for_field(field).unwrap_or_else(|| panic!("no error on {field}: {e:?}")).to_string(),
        other => panic!("expected a validation error on {field}, got {other:?}"),
    }
}

fn unauthenticated<T: std::fmt::Debug>(result: medoffice_app::Result<T>) -> String {
    match result {
        Err(AppError::Unauthenticated(message)) => message,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

/// Enrols a signed-in user; returns the secret and the recovery codes. Moves the clock one step on
/// so the next code is of a fresh step.
async fn enrol(env: &TestEnv, actor: &Actor, password: &str) -> (String, Vec<String>) {
    let e = env.app.start_mfa_enrolment(actor, password, "").await.unwrap();
    assert!(e.uri.starts_with("otpauth://totp/"), "{}", e.uri);
    assert!(e.uri.contains(&format!("secret={}", e.secret_base32)), "{}", e.uri);
    assert_eq!(mfa::base32_decode(&e.secret_base32).unwrap().len(), 20);
    let codes = env.app.confirm_mfa_enrolment(actor, &code_now(env, &e.secret_base32), None).await.unwrap();
    env.clock.advance(Duration::seconds(30));
    (e.secret_base32, codes)
}

both_backends! {
    async fn an_enrolled_user_signs_in_with_a_code_that_works_once(env: TestEnv) {
        let staff = env.practice().await;
        let (secret, codes) = enrol(&env, &staff.biller, STAFF_PASSWORD).await;
        assert_eq!(codes.len(), 10);
        let status = env.app.mfa_status(&staff.biller).await.unwrap();
        assert!(status.enrolled && !status.required);
        assert_eq!(status.unused_recovery_codes, 10);

        // The password alone opens a half-signed-in session that opens nothing.
        let pending = env.app.login("biller", STAFF_PASSWORD, Some("10.0.0.5".into()), None).await.unwrap();
        assert_eq!(pending.stage, SessionStage::Mfa);
        let message = unauthenticated(env.app.authenticate_session(&pending.cookie_value, None).await);
        assert!(message.contains("finish signing in"), "{message}");
        assert!(matches!(env.app.authenticate_background(&pending.cookie_value, None).await, Err(AppError::Unauthenticated(_))));

        // A wrong code is refused; the right one signs in with a new session id.
        field_error(env.app.complete_mfa_sign_in(&pending.cookie_value, "000000", None, None).await, "code");
        let code = code_now(&env, &secret);
        let full = env.app.complete_mfa_sign_in(&pending.cookie_value, &code, Some("10.0.0.5".into()), None).await.unwrap();
        assert_eq!(full.stage, SessionStage::Full);
        assert_ne!(full.cookie_value, pending.cookie_value, "the session id rotates after the code");
        env.app.authenticate_session(&full.cookie_value, None).await.unwrap();
        unauthenticated(env.app.pending_session(&pending.cookie_value, None).await);

        // The same code again (same 30-second step) on a new sign-in: refused.
        let again = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        field_error(env.app.complete_mfa_sign_in(&again.cookie_value, &code, None, None).await, "code");
        // The previous step's code, though inside the drift window, is older than the used one.
        env.clock.advance(Duration::seconds(30));
        let key = mfa::base32_decode(&secret).unwrap();
        let previous = mfa::code_for_step(&key, mfa::step_at(env.app.now().timestamp()) - 1);
        field_error(env.app.complete_mfa_sign_in(&again.cookie_value, &previous, None, None).await, "code");
        env.app.complete_mfa_sign_in(&again.cookie_value, &code_now(&env, &secret), None, None).await.unwrap();

        // A recovery code works once, in any case and spacing.
        let third = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        let typed = codes[3].to_uppercase().replace('-', " ");
        env.app.complete_mfa_sign_in(&third.cookie_value, &typed, None, None).await.unwrap();
        let fourth = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        field_error(env.app.complete_mfa_sign_in(&fourth.cookie_value, &codes[3], None, None).await, "code");
        assert_eq!(env.app.mfa_status(&staff.biller).await.unwrap().unused_recovery_codes, 9);
    }
}

both_backends! {
    async fn the_code_step_has_its_own_short_timeout_and_five_wrong_codes_end_it(env: TestEnv) {
        let staff = env.practice().await;
        let (secret, _) = enrol(&env, &staff.provider, STAFF_PASSWORD).await;
        let pending = env.app.login("doctor", STAFF_PASSWORD, None, None).await.unwrap();
        env.clock.advance(Duration::minutes(6));
        let message = unauthenticated(env.app.complete_mfa_sign_in(&pending.cookie_value, &code_now(&env, &secret), None, None).await);
        assert!(message.contains("time limit"), "{message}");

        let pending = env.app.login("doctor", STAFF_PASSWORD, None, None).await.unwrap();
        for _ in 0..5 {
            field_error(env.app.complete_mfa_sign_in(&pending.cookie_value, "123456", None, None).await, "code");
        }
        assert!(matches!(
            env.app.complete_mfa_sign_in(&pending.cookie_value, &code_now(&env, &secret), None, None).await,
            Err(AppError::TooManyAttempts { .. })
        ));
        // That half-signed-in session is over.
        unauthenticated(env.app.pending_session(&pending.cookie_value, None).await);
    }
}

both_backends! {
    async fn the_policy_sends_users_of_required_roles_to_enrolment_and_nowhere_else(env: TestEnv) {
        let staff = env.practice().await;
        let desk_before = env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        assert!(matches!(env.app.set_mfa_policy(&staff.front_desk, &[Role::FrontDesk]).await, Err(AppError::Forbidden)));
        env.app.set_mfa_policy(&staff.admin, &[Role::FrontDesk]).await.unwrap();
        assert_eq!(env.app.mfa_policy(&staff.admin).await.unwrap(), vec![Role::FrontDesk]);
        // The desk's open sessions end at once; the biller's role is not required.
        unauthenticated(env.app.authenticate_session(&desk_before.cookie_value, None).await);
        let biller = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        assert_eq!(biller.stage, SessionStage::Full);

        let pending = env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        assert_eq!(pending.stage, SessionStage::Enrol);
        unauthenticated(env.app.authenticate_session(&pending.cookie_value, None).await);
        let e = env.app.forced_mfa_enrolment(&pending.cookie_value).await.unwrap();
        // Visiting the page again shows the same secret.
        assert_eq!(env.app.forced_mfa_enrolment(&pending.cookie_value).await.unwrap().secret_base32, e.secret_base32);
        field_error(env.app.confirm_forced_mfa_enrolment(&pending.cookie_value, "000000", None, None).await, "code");
        let (full, codes) =
            env.app.confirm_forced_mfa_enrolment(&pending.cookie_value, &code_now(&env, &e.secret_base32), None, None).await.unwrap();
        assert_eq!(codes.len(), 10);
        assert_eq!(full.stage, SessionStage::Full);
        assert_ne!(full.cookie_value, pending.cookie_value);
        let info = env.app.authenticate_session(&full.cookie_value, None).await.unwrap();
        assert_eq!(info.actor.username, "frontdesk");
        unauthenticated(env.app.pending_session(&pending.cookie_value, None).await);

        // Enrolled: the next sign-in asks for the code; MFA cannot be turned off while required.
        assert_eq!(env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap().stage, SessionStage::Mfa);
        env.clock.advance(Duration::seconds(30));
        let message = field_error(env.app.disable_mfa(&info.actor, STAFF_PASSWORD, &code_now(&env, &e.secret_base32)).await, "current_code");
        assert!(message.contains("requires"), "{message}");
    }
}

both_backends! {
    async fn changing_mfa_or_a_password_needs_the_password_and_the_code_again(env: TestEnv) {
        let staff = env.practice().await;
        let message = field_error(env.app.start_mfa_enrolment(&staff.biller, "not-the-password", "").await, "current_password");
        assert!(message.contains("not right"), "{message}");
        field_error(env.app.change_password(&staff.biller, "not-the-password", "", "violet tractor umbrella").await, "current_password");
        field_error(env.app.change_password(&staff.biller, STAFF_PASSWORD, "", "password123456").await, "new_password");

        let (secret, codes) = enrol(&env, &staff.biller, STAFF_PASSWORD).await;
        // Enrolled: the password alone is not enough any more.
        field_error(env.app.change_password(&staff.biller, STAFF_PASSWORD, "", "violet tractor umbrella").await, "current_code");
        field_error(env.app.start_mfa_enrolment(&staff.biller, STAFF_PASSWORD, "").await, "current_code");
        // Four failures so far count towards the username's throttle; let the window pass.
        env.clock.advance(Duration::minutes(16));
        field_error(env.app.regenerate_recovery_codes(&staff.biller, STAFF_PASSWORD, "999999").await, "current_code");
        field_error(env.app.disable_mfa(&staff.biller, STAFF_PASSWORD, "").await, "current_code");

        // New recovery codes: the old ones stop working.
        let fresh = env.app.regenerate_recovery_codes(&staff.biller, STAFF_PASSWORD, &code_now(&env, &secret)).await.unwrap();
        assert_eq!(fresh.len(), 10);
        field_error(env.app.change_password(&staff.biller, STAFF_PASSWORD, &codes[0], "violet tractor umbrella").await, "current_code");

        let other = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        env.app.change_password(&staff.biller, STAFF_PASSWORD, &fresh[0], "violet tractor umbrella").await.unwrap();
        // Every session of the user ended (half-signed-in ones too); the new password works.
        unauthenticated(env.app.pending_session(&other.cookie_value, None).await);
        unauthenticated(env.app.login("biller", STAFF_PASSWORD, None, None).await);
        assert_eq!(env.app.login("biller", "violet tractor umbrella", None, None).await.unwrap().stage, SessionStage::Mfa);
    }
}

both_backends! {
    async fn an_admin_reset_ends_the_sessions_and_re_checks_mfa(env: TestEnv) {
        let staff = env.practice().await;
        let (_, _) = enrol(&env, &staff.provider, STAFF_PASSWORD).await;
        let doctor_session = env.app.login("doctor", STAFF_PASSWORD, None, None).await.unwrap();
        let doctor_id = staff.provider.user_id.clone();

        assert!(matches!(
            env.app.reset_user_password(&staff.biller, &doctor_id, STAFF_PASSWORD, "", "violet tractor umbrella", false).await,
            Err(AppError::Forbidden)
        ));
        field_error(env.app.reset_user_password(&staff.admin, &doctor_id, "wrong-admin-password", "", "violet tractor umbrella", false).await, "current_password");
        field_error(env.app.reset_user_password(&staff.admin, &doctor_id, ADMIN_PASSWORD, "", "iloveyou1234", false).await, "new_password");

        env.app.reset_user_password(&staff.admin, &doctor_id, ADMIN_PASSWORD, "", "violet tractor umbrella", false).await.unwrap();
        unauthenticated(env.app.pending_session(&doctor_session.cookie_value, None).await);
        // The new password alone does not sign in: the code is still asked for.
        assert_eq!(env.app.login("doctor", "violet tractor umbrella", None, None).await.unwrap().stage, SessionStage::Mfa);

        // A lost phone: the enrolment goes and the user must enrol again before anything else,
        // though the practice's policy does not require MFA of providers.
        env.app.reset_user_password(&staff.admin, &doctor_id, ADMIN_PASSWORD, "", "marble orchard lantern", true).await.unwrap();
        let pending = env.app.login("doctor", "marble orchard lantern", None, None).await.unwrap();
        assert_eq!(pending.stage, SessionStage::Enrol);
        let e = env.app.forced_mfa_enrolment(&pending.cookie_value).await.unwrap();
        let (full, _) = env.app.confirm_forced_mfa_enrolment(&pending.cookie_value, &code_now(&env, &e.secret_base32), None, None).await.unwrap();
        env.app.authenticate_session(&full.cookie_value, None).await.unwrap();
    }
}

both_backends! {
    async fn the_admin_sees_open_sessions_and_ends_them(env: TestEnv) {
        let staff = env.practice().await;
        let desk = env.app.login("frontdesk", STAFF_PASSWORD, Some("10.2.3.4".into()), Some("Firefox on the desk".into())).await.unwrap();
        let desk2 = env.app.login("frontdesk", STAFF_PASSWORD, Some("10.2.3.5".into()), None).await.unwrap();
        let biller = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        assert!(matches!(env.app.list_sessions(&staff.front_desk).await, Err(AppError::Forbidden)));

        let sessions = env.app.list_sessions(&staff.admin).await.unwrap();
        let mine = sessions.iter().find(|s| s.ip == "10.2.3.4").expect("the desk's session is listed");
        assert_eq!(mine.username, "frontdesk");
        assert_eq!(mine.user_agent, "Firefox on the desk");
        assert_eq!(mine.stage, "full");
        assert!(!mine.started_at.is_empty() && !mine.last_seen_at.is_empty());
        assert!(!sessions.iter().any(|s| desk.cookie_value.contains(&s.handle)), "the list never shows a session id");

        env.app.end_session_as_admin(&staff.admin, &mine.handle).await.unwrap();
        unauthenticated(env.app.authenticate_session(&desk.cookie_value, None).await);
        env.app.authenticate_session(&desk2.cookie_value, None).await.unwrap();
        assert!(matches!(env.app.end_session_as_admin(&staff.admin, &mine.handle).await, Err(AppError::NotFound(_))));

        let ended = env.app.end_user_sessions(&staff.admin, &staff.front_desk.user_id).await.unwrap();
        assert!(ended >= 1, "{ended}");
        unauthenticated(env.app.authenticate_session(&desk2.cookie_value, None).await);
        env.app.authenticate_session(&biller.cookie_value, None).await.unwrap();
        // Idle sessions drop off the list.
        env.clock.advance(Duration::minutes(20));
        let admin_again = env.app.login("admin", ADMIN_PASSWORD, None, None).await.unwrap();
        let listed = env.app.list_sessions(&admin_again.actor).await.unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
    }
}
