//! Two-step sign-in through the pages: enrolment on the security page, the code step of signing
//! in, the enrolment a practice's policy forces, and the admin's list of open sessions.

use crate::harness::{Browser, DEMO_PASSWORD, Reply, Server, hidden_value, spawn};
use axum::http::StatusCode;
use medoffice_domain::mfa;

fn secret_on(page: &Reply) -> String {
    let html = page.text();
    let marker = "id=\"mfa-secret\">";
    let start = html.find(marker).unwrap_or_else(|| panic!("no secret on the page: {html}")) + marker.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_string()
}

fn code_now(secret: &str) -> String {
    let key = mfa::base32_decode(secret).unwrap();
    mfa::code_for_step(&key, mfa::step_at(chrono::Utc::now().timestamp()))
}

fn recovery_codes_on(page: &Reply) -> Vec<String> {
    let html = page.text();
    let start = html.find("id=\"recovery-codes\"").unwrap_or_else(|| panic!("no recovery codes: {html}"));
    let list = &html[start..html[start..].find("</ul>").unwrap() + start];
    list.split("<li>").skip(1).map(|c| c.split('<').next().unwrap().trim().to_string()).collect()
}

/// Posts the password; returns the half-signed-in browser and where it was sent.
async fn password_step(server: &Server, username: &str) -> (Browser, String) {
    let reply = server.post_login(username, DEMO_PASSWORD, "/today").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let cookie = reply.cookie_value("medoffice_session").expect("a session cookie");
    (Browser { cookie, csrf: String::new() }, reply.location().to_string())
}

#[tokio::test]
async fn a_user_enrols_on_the_security_page_and_then_signs_in_with_a_code() {
    let server = spawn().await;
    let browser = server.login("biller").await;
    let page = server.get(&browser, "/account/security").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Set up two-step sign-in"));

    // The wrong password is refused next to its field.
    let refused = server.post_form(&browser, "/account/mfa/start", &[("current_password", "not-it-at-all")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.text().contains("the password is not right"), "{}", refused.text());

    let enrol = server.post_form(&browser, "/account/mfa/start", &[("current_password", DEMO_PASSWORD)]).await;
    assert_eq!(enrol.status, StatusCode::OK, "{}", enrol.text());
    let secret = secret_on(&enrol);
    assert!(enrol.text().contains("otpauth://totp/"), "{}", enrol.text());
    assert!(enrol.text().contains("<svg"), "the QR code is drawn inline");
    assert!(!enrol.text().contains("style="), "no inline style (CSP)");

    let wrong = server.post_form(&browser, "/account/mfa/confirm", &[("code", "000000")]).await;
    assert!(wrong.text().contains("not right"), "{}", wrong.text());
    let code = code_now(&secret);
    let done = server.post_form(&browser, "/account/mfa/confirm", &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let codes = recovery_codes_on(&done);
    assert_eq!(codes.len(), 10, "{codes:?}");

    // Signing in now asks for the code, and the half-signed-in session opens nothing else.
    let (pending, location) = password_step(&server, "biller").await;
    assert!(location.starts_with("/login/mfa"), "{location}");
    let blocked = server.get(&pending, "/today").await;
    assert_eq!(blocked.status, StatusCode::SEE_OTHER);
    assert_eq!(blocked.location(), "/login/mfa");
    assert_eq!(server.get(&pending, "/patients").await.location(), "/login/mfa");
    let form = server.get(&pending, &location).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let pending = Browser { csrf: hidden_value(&form.text(), "csrf").expect("csrf"), ..pending };

    // The code already used to confirm is refused (same step, never twice).
    let replay = server.post_form(&pending, "/login/mfa", &[("code", &code), ("next", "/today")]).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert!(replay.text().contains("already used"), "{}", replay.text());

    // A recovery code signs in, with a new session id.
    let signed_in = server.post_form(&pending, "/login/mfa", &[("code", &codes[0]), ("next", "/today")]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.text());
    assert_eq!(signed_in.location(), "/today");
    let cookie = signed_in.cookie_value("medoffice_session").expect("a new session cookie");
    assert_ne!(cookie, pending.cookie);
    let today = server.get(&Browser { cookie, csrf: String::new() }, "/today").await;
    assert_eq!(today.status, StatusCode::OK);
    assert_eq!(server.get(&pending, "/login/mfa").await.status, StatusCode::SEE_OTHER, "the half session is over");

    // The same recovery code does not work a second time.
    let (again, location) = password_step(&server, "biller").await;
    let form = server.get(&again, &location).await;
    let again = Browser { csrf: hidden_value(&form.text(), "csrf").expect("csrf"), ..again };
    let reused = server.post_form(&again, "/login/mfa", &[("code", &codes[0]), ("next", "/today")]).await;
    assert_eq!(reused.status, StatusCode::OK);
    assert!(reused.text().contains("not right"), "{}", reused.text());
}

#[tokio::test]
async fn a_role_the_practice_requires_mfa_of_is_sent_to_enrolment_and_nowhere_else() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let saved = server.post_form(&admin, "/admin/mfa-policy", &[("role", "front_desk")]).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert!(saved.text().contains("policy is saved"));

    let (pending, location) = password_step(&server, "frontdesk").await;
    assert_eq!(location, "/login/enrol");
    for path in ["/today", "/patients", "/account/security", "/schedule"] {
        let r = server.get(&pending, path).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/login/enrol"), "{path}");
    }
    let page = server.get(&pending, "/login/enrol").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("requires two-step sign-in"));
    let secret = secret_on(&page);
    let pending = Browser { csrf: hidden_value(&page.text(), "csrf").expect("csrf"), ..pending };
    let done = server.post_form(&pending, "/login/enrol", &[("code", &code_now(&secret))]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(recovery_codes_on(&done).len(), 10);
    let cookie = done.cookie_value("medoffice_session").expect("the full session's cookie");
    assert_ne!(cookie, pending.cookie);
    assert_eq!(server.get(&Browser { cookie, csrf: String::new() }, "/today").await.status, StatusCode::OK);

    // Other roles sign in as before.
    let (_, location) = password_step(&server, "biller").await;
    assert_eq!(location, "/today");
}

#[tokio::test]
async fn the_admin_lists_open_sessions_and_ends_them() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let desk = server.login("frontdesk").await;
    let page = server.get(&admin, "/admin/sessions").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("frontdesk"));
    assert_eq!(server.get(&desk, "/admin/sessions").await.status, StatusCode::FORBIDDEN);

    let users = server.app.list_sessions(&server.app.authenticate_session(&admin.cookie, None).await.unwrap().actor).await.unwrap();
    let desk_user = users.iter().find(|s| s.username == "frontdesk").unwrap().user_id.clone();
    let ended = server.post_form(&admin, &format!("/admin/sessions/user/{desk_user}/end"), &[]).await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text());
    assert!(ended.text().contains("session(s) ended"));
    let r = server.get(&desk, "/today").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
}

#[tokio::test]
async fn the_page_refresh_marks_itself_as_background() {
    let server = spawn().await;
    let js = server.get_anonymous("/static/app.js").await.text();
    assert!(js.contains("\"X-Medoffice-Background\": \"1\""), "the refresh sends the header");
    // A background request is served like any other.
    let browser = server.login("frontdesk").await;
    let request = axum::http::Request::builder()
        .uri("/today")
        .header(axum::http::header::COOKIE, format!("medoffice_session={}", browser.cookie))
        .header("X-Medoffice-Background", "1")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(server.send(request).await.status, StatusCode::OK);
}
