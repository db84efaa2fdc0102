//! Signing in, throttling, sessions (idle and absolute timeouts), signing out, disabled accounts
//! and API tokens.

use crate::harness::{ADMIN_PASSWORD, STAFF_PASSWORD, both_backends};
use chrono::Duration;
use medoffice_app::AppError;
use medoffice_domain::security::Role;
use medoffice_store::audit::AuditFilter;

fn unauthenticated<T: std::fmt::Debug>(result: medoffice_app::Result<T>) -> String {
    match result {
        Err(AppError::Unauthenticated(message)) => message,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

both_backends! {
    async fn a_wrong_password_is_refused_and_recorded(env: TestEnv) {
        let staff = env.practice().await;
        let wrong = unauthenticated(env.app.login("admin", "not-the-password", Some("10.0.0.9".into()), None).await);
        let unknown = unauthenticated(env.app.login("nobody", "not-the-password", Some("10.0.0.9".into()), None).await);
        assert_eq!(wrong, unknown, "the message does not tell whether the user exists");

        let filter = AuditFilter { action_prefix: Some("login.failed".into()), ..Default::default() };
        let failures = env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].username, "admin");
        assert_eq!(failures[0].outcome, "failed");
        assert_eq!(failures[0].ip.as_deref(), Some("10.0.0.9"));
        // Usernames are not case-sensitive.
        env.app.login(" Admin ", ADMIN_PASSWORD, None, None).await.unwrap();
    }
}

both_backends! {
    async fn five_failures_lock_the_username_but_not_another_user_elsewhere(env: TestEnv) {
        env.practice().await;
        let attacker = Some("10.0.0.66".to_string());
        for _ in 0..5 {
            unauthenticated(env.app.login("frontdesk", "guess-guess-guess", attacker.clone(), None).await);
        }
        match env.app.login("frontdesk", STAFF_PASSWORD, attacker.clone(), None).await {
            Err(AppError::TooManyAttempts { retry_after_secs }) => assert!(retry_after_secs > 0),
            other => panic!("expected TooManyAttempts, got {other:?}"),
        }
        // The lock is the username's: the real user is locked out from another address too.
        assert!(matches!(
            env.app.login("frontdesk", STAFF_PASSWORD, Some("10.0.0.7".into()), None).await,
            Err(AppError::TooManyAttempts { .. })
        ));
        let biller = env.app.login("biller", STAFF_PASSWORD, Some("10.0.0.8".into()), None).await.unwrap();
        assert_eq!(biller.actor.role, Role::Biller);

        // The window passes and the user signs in again.
        env.clock.advance(Duration::minutes(16));
        let session = env.app.login("frontdesk", STAFF_PASSWORD, Some("10.0.0.7".into()), None).await.unwrap();
        assert_eq!(session.actor.username, "frontdesk");
    }
}

both_backends! {
    async fn a_session_works_at_once_and_ends_after_sixteen_idle_minutes(env: TestEnv) {
        let staff = env.practice().await;
        let session = env.app.login("frontdesk", STAFF_PASSWORD, Some("127.0.0.1".into()), Some("test-browser".into())).await.unwrap();
        assert_ne!(session.cookie_value, session.csrf_token);
        let info = env.app.authenticate_session(&session.cookie_value, None).await.unwrap();
        assert_eq!(info.actor.user_id, staff.front_desk.user_id);
        assert_eq!(info.actor.role, Role::FrontDesk);
        assert_eq!(info.csrf_token, session.csrf_token);

        // Fourteen quiet minutes are fine, and count as activity.
        env.clock.advance(Duration::minutes(14));
        env.app.authenticate_session(&session.cookie_value, None).await.unwrap();
        env.clock.advance(Duration::minutes(14));
        env.app.authenticate_session(&session.cookie_value, None).await.unwrap();

        env.clock.advance(Duration::minutes(16));
        let message = unauthenticated(env.app.authenticate_session(&session.cookie_value, None).await);
        assert!(message.contains("inactivity"), "{message}");

        // A forged or mangled cookie opens nothing.
        unauthenticated(env.app.authenticate_session("garbage", None).await);
        let mut mangled = session.cookie_value.clone();
        let last = mangled.pop().unwrap();
        mangled.push(if last == 'x' { 'y' } else { 'x' });
        unauthenticated(env.app.authenticate_session(&mangled, None).await);
    }
}

both_backends! {
    async fn a_session_used_every_ten_minutes_still_ends_after_twelve_hours(env: TestEnv) {
        env.practice().await;
        let session = env.app.login("doctor", STAFF_PASSWORD, None, None).await.unwrap();
        // 71 steps of ten minutes: 11 h 50 min after sign-in, still open.
        for step in 1..=71 {
            env.clock.advance(Duration::minutes(10));
            if let Err(e) = env.app.authenticate_session(&session.cookie_value, None).await {
                panic!("the session ended after {} minutes: {e}", step * 10);
            }
        }
        env.clock.advance(Duration::minutes(10));
        let message = unauthenticated(env.app.authenticate_session(&session.cookie_value, None).await);
        assert!(message.contains("time limit"), "{message}");
    }
}

both_backends! {
    async fn signing_out_ends_every_session_of_the_user(env: TestEnv) {
        env.practice().await;
        let session = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        let other = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        let someone_else = env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        assert_ne!(session.cookie_value, other.cookie_value, "every sign-in gets a new session id");
        env.app.authenticate_session(&session.cookie_value, None).await.unwrap();
        env.app.logout(&session.cookie_value, &session.actor).await.unwrap();
        let message = unauthenticated(env.app.authenticate_session(&session.cookie_value, None).await);
        assert!(message.contains("signed out"), "{message}");
        // The user's other session (another workstation) ends too; other users' do not.
        let message = unauthenticated(env.app.authenticate_session(&other.cookie_value, None).await);
        assert!(message.contains("signed out"), "{message}");
        env.app.authenticate_session(&someone_else.cookie_value, None).await.unwrap();
    }
}

both_backends! {
    async fn session_ids_are_random_256_bit_values_new_at_every_sign_in(env: TestEnv) {
        use base64::Engine;
        env.practice().await;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            let s = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
            let (practice, secret) = s.cookie_value.split_once('.').unwrap();
            assert!(!practice.is_empty());
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(secret).unwrap();
            assert!(bytes.len() * 8 >= 128, "{} bits", bytes.len() * 8);
            assert!(seen.insert(secret.to_string()), "a session id came twice");
        }
    }
}

both_backends! {
    async fn background_refreshes_do_not_extend_the_idle_timeout(env: TestEnv) {
        env.practice().await;
        let polled = env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        let used = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        // Ten minutes in, both users click.
        env.clock.advance(Duration::minutes(10));
        env.app.authenticate_session(&polled.cookie_value, None).await.unwrap();
        env.app.authenticate_session(&used.cookie_value, None).await.unwrap();
        // Then one leaves a page open that refreshes itself every minute, and the other keeps
        // working; fifteen minutes after the first one's last click, the refreshes are refused.
        for _ in 0..14 {
            env.clock.advance(Duration::minutes(1));
            env.app.authenticate_background(&polled.cookie_value, None).await.unwrap();
            env.app.authenticate_session(&used.cookie_value, None).await.unwrap();
        }
        env.clock.advance(Duration::minutes(1));
        let message = unauthenticated(env.app.authenticate_background(&polled.cookie_value, None).await);
        assert!(message.contains("inactivity"), "{message}");
        let message = unauthenticated(env.app.authenticate_session(&polled.cookie_value, None).await);
        assert!(message.contains("inactivity"), "{message}");
        env.app.authenticate_session(&used.cookie_value, None).await.unwrap();
    }
}

both_backends! {
    async fn passwords_are_hashed_with_argon2id_at_owasp_parameters_and_checked_against_the_policy(env: TestEnv) {
        let staff = env.practice().await;
        let hash = medoffice_app::auth::hash_password("violet tractor umbrella").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        for (password, why) in [
            ("short", "12 characters"),
            ("password1234", "common"),
            ("Qwerty123456!", "common"),
            ("aaaaaaaaaaaaaa", "repeated"),
            ("123456789012", "common"),
            ("nurse-joy-is-the-best", "username"),
            ("test-practice-2026", "practice"),
        ] {
            match env.app.add_user(&staff.admin, "nurse.joy", "Joy", "front_desk", password).await {
                Err(AppError::Validation(e)) => {
                    let m = e.for_field("password").unwrap_or_else(|| panic!("{password}: {e:?}"));
                    assert!(m.contains(why) || (why == "repeated" && m.contains("repeated")), "{password}: {m}");
                }
                other => panic!("{password} was not refused: {other:?}"),
            }
        }
        env.app.add_user(&staff.admin, "nurse.joy", "Joy", "front_desk", "violet tractor umbrella").await.unwrap();
        env.app.login("nurse.joy", "violet tractor umbrella", None, None).await.unwrap();
    }
}

both_backends! {
    async fn disabling_a_user_ends_their_sessions_and_refuses_their_sign_in(env: TestEnv) {
        let staff = env.practice().await;
        let first = env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        let second = env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        let keeps = env.app.login("biller", STAFF_PASSWORD, None, None).await.unwrap();
        let token = env.app.create_api_token("frontdesk", "scanner").await.unwrap();

        env.app.set_user_disabled(&staff.admin, &staff.front_desk.user_id, true).await.unwrap();
        unauthenticated(env.app.authenticate_session(&first.cookie_value, None).await);
        unauthenticated(env.app.authenticate_session(&second.cookie_value, None).await);
        unauthenticated(env.app.authenticate_token(&token, None).await);
        unauthenticated(env.app.login("frontdesk", STAFF_PASSWORD, None, None).await);
        env.app.authenticate_session(&keeps.cookie_value, None).await.unwrap();
        let users = env.app.list_users(&staff.admin).await.unwrap();
        assert!(users.iter().any(|u| u.username == "frontdesk" && u.disabled));

        // An admin cannot lock themselves out.
        assert!(matches!(env.app.set_user_disabled(&staff.admin, &staff.admin.user_id, true).await, Err(AppError::Validation(_))));

        // Enabled again, the user signs in; the old sessions stay ended.
        env.app.set_user_disabled(&staff.admin, &staff.front_desk.user_id, false).await.unwrap();
        env.app.login("frontdesk", STAFF_PASSWORD, None, None).await.unwrap();
        unauthenticated(env.app.authenticate_session(&first.cookie_value, None).await);
    }
}

both_backends! {
    async fn an_api_token_acts_as_its_user_and_a_garbage_token_is_refused(env: TestEnv) {
        let staff = env.practice().await;
        let token = env.app.create_api_token("biller", "claims robot").await.unwrap();
        assert!(token.starts_with(&format!("mo_{}_", staff.biller.practice_id)), "{token}");
        let actor = env.app.authenticate_token(&token, Some("10.1.1.1".into())).await.unwrap();
        assert_eq!(actor.user_id, staff.biller.user_id);
        assert_eq!(actor.username, "biller");
        assert_eq!(actor.role, Role::Biller);
        assert_eq!(actor.practice_id, staff.biller.practice_id);
        assert_eq!(actor.ip.as_deref(), Some("10.1.1.1"));

        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        for garbage in ["", "garbage", "mo_", "mo_garbage", "Bearer abc", tampered.as_str()] {
            unauthenticated(env.app.authenticate_token(garbage, None).await);
        }
        assert!(matches!(env.app.create_api_token("nobody", "x").await, Err(AppError::Validation(_))));

        let filter = AuditFilter { action_prefix: Some("token.create".into()), ..Default::default() };
        let created = env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap();
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].detail, "claims robot");
        assert!(!created[0].detail.contains(&token));
    }
}
