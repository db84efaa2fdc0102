//! The staff's pages: security headers, sign-in and sessions, CSRF, forms, roles and escaping.

use crate::harness::{Browser, DEMO_PASSWORD, Reply, form_encode, hidden_value, patient_body, register, spawn};
use axum::body::Body;
use axum::http::header;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

/// A valid registration as the page's form posts it.
fn registration_form<'a>(family_name: &'a str, given_name: &'a str, birth_date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("family_name", family_name),
        ("given_name", given_name),
        ("middle_name", ""),
        ("birth_date", birth_date),
        ("sex", "male"),
        ("phone_mobile", "(555) 301-4455"),
        ("preferred_phone", "mobile"),
        ("email", ""),
        ("preferred_contact", "phone"),
        ("address.line1", "40 Oak Ave"),
        ("address.city", "Troy"),
        ("address.state", "NY"),
        ("address.postal_code", "12180"),
    ]
}

/// The navigation of a page (the sidebar), to look for links in it only.
fn nav(html: &str) -> &str {
    let start = html.find("<nav").unwrap_or_else(|| panic!("no navigation in: {html}"));
    let end = html[start..].find("</nav>").map(|e| e + start).unwrap_or(html.len());
    &html[start..end]
}

/// The id of the patient a registration redirected to.
fn registered_id(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.location();
    let rest = location.strip_prefix("/patients/").unwrap_or_else(|| panic!("redirected to {location}"));
    rest.split(['?', '/']).next().unwrap_or("").to_string()
}

fn assert_security_headers(what: &str, reply: &Reply) {
    let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(!csp.contains("unsafe-inline"), "{what}: CSP allows inline code: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: CSP allows eval: {csp}");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_patient_pages_are_not_stored() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let p = register(&server, &token, &patient_body("Hollingsworth", "Iris")).await;
    let id = p["id"].as_str().expect("id");
    let browser = server.login("frontdesk").await;

    let mut replies = vec![
        ("GET /login", server.get_anonymous("/login").await),
        ("GET /healthz", server.get_anonymous("/healthz").await),
        ("GET /static/app.css", server.get_anonymous("/static/app.css").await),
        ("GET /static/app.js", server.get_anonymous("/static/app.js").await),
        ("GET /patients anonymous", server.get_anonymous("/patients").await),
        ("GET /no-such-page", server.get(&browser, "/no-such-page").await),
        ("GET openapi", server.api(Method::GET, "/api/v1/openapi.json", None, None).await),
        ("GET api 401", server.api(Method::GET, "/api/v1/patients", None, None).await),
        ("GET api 404", server.api(Method::GET, "/api/v1/nothing", Some(&token), None).await),
        ("GET api 501", server.api(Method::GET, "/api/v1/documents/some-id", Some(&token), None).await),
        ("POST api 422", server.api(Method::POST, "/api/v1/patients", Some(&token), Some(&json!({}))).await),
        (
            "POST cross-site",
            server.post_form_with(&browser, "/patients/new", &[("csrf", &browser.csrf)], &[("sec-fetch-site", "cross-site")]).await,
        ),
        ("POST without csrf", server.post_form_with(&browser, "/patients/new", &[], &[("sec-fetch-site", "same-origin")]).await),
    ];
    assert_eq!(replies[0].1.status, StatusCode::OK);
    assert_eq!(replies[1].1.status, StatusCode::OK);
    let patient_pages = [
        ("/today".to_string(), "Hollingsworth"),
        ("/patients".to_string(), "Hollingsworth"),
        ("/patients?q=Hollingsworth".to_string(), "Hollingsworth"),
        ("/patients/search?q=Hollingsworth".to_string(), "Hollingsworth"),
        (format!("/patients/{id}"), "Hollingsworth"),
        (format!("/patients/{id}/edit"), "Hollingsworth"),
        (format!("/patients/{id}/coverages/new"), "Hollingsworth"),
    ];
    for (path, shows) in &patient_pages {
        let reply = server.get(&browser, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
        assert!(reply.text().contains(shows), "{path} does not show {shows}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path} may be stored");
        assert!(reply.content_type().starts_with("text/html"), "{path}: {}", reply.content_type());
        // Under this CSP inline code would not run: the pages must not need any.
        let html = reply.text();
        assert!(!html.contains(" style=\"") && !html.contains("<style"), "{path} has inline style");
        assert!(!html.contains(" onclick=") && !html.contains(" onload=") && !html.contains(" onsubmit="), "{path} has inline handlers");
        assert_eq!(html.matches("<script").count(), html.matches("<script src=").count(), "{path} has an inline script");
        replies.push(("patient page", reply));
    }
    for api_path in [format!("/api/v1/patients/{id}"), "/api/v1/patients?q=Hollingsworth".to_string()] {
        let reply = server.api(Method::GET, &api_path, Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{api_path} may be stored");
        replies.push(("api patient data", reply));
    }
    for (what, reply) in &replies {
        assert_security_headers(what, reply);
    }
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_a_wrong_password_sets_no_session() {
    let server = spawn().await;
    for path in ["/patients", "/today", "/admin", "/schedule"] {
        let reply = server.get_anonymous(path).await;
        assert!(reply.status.is_redirection(), "{path}: {}", reply.status);
        assert!(reply.location().starts_with("/login"), "{path} -> {}", reply.location());
        assert!(!reply.text().contains("Riverside"), "{path} leaked the practice to an anonymous visitor");
    }
    // A garbage cookie is no session.
    let forged = server.get(&Browser { cookie: "not-a-session".into(), csrf: String::new() }, "/patients").await;
    assert!(forged.location().starts_with("/login"), "{}", forged.status);

    let wrong = server.post_login("frontdesk", "not-the-password-9", "/patients").await;
    assert_eq!(wrong.status, StatusCode::OK, "{}", wrong.text());
    let html = wrong.text();
    assert!(html.contains("the username or password is not right"), "{html}");
    assert!(html.contains("name=\"password\""), "the form is shown again");
    assert!(html.contains("value=\"frontdesk\""), "the username is kept");
    assert!(wrong.set_cookie("medoffice_session").is_none(), "a failed sign-in set a session: {:?}", wrong.set_cookies());
    // An unknown user reads the same.
    let unknown = server.post_login("nobody-here", "not-the-password-9", "/today").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.text().contains("the username or password is not right"));
    assert!(unknown.set_cookie("medoffice_session").is_none());

    // Without the login form's cookie the form is refused.
    let login_page = server.get_anonymous("/login").await;
    let csrf = hidden_value(&login_page.text(), "csrf").expect("csrf");
    let no_cookie = server
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(crate::harness::form_encode(&[
                    ("csrf", &csrf),
                    ("username", "frontdesk"),
                    ("password", crate::harness::DEMO_PASSWORD),
                ])))
                .expect("request"),
        )
        .await;
    assert!(no_cookie.set_cookie("medoffice_session").is_none(), "login CSRF: signed in without the form's cookie");

    let good = server.post_login("frontdesk", crate::harness::DEMO_PASSWORD, "/patients").await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text());
    assert_eq!(good.location(), "/patients", "the next page is followed");
    let cookie = good.set_cookie("medoffice_session").expect("session cookie");
    let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_lowercase()).collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "samesite=strict"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{cookie}");
    let browser = Browser { cookie: good.cookie_value("medoffice_session").expect("value"), csrf: String::new() };
    let page = server.get(&browser, "/patients").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Rosa Alvarez"), "signed in as the front desk");

    // No open redirect after sign-in.
    for evil in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let reply = server.post_login("frontdesk", crate::harness::DEMO_PASSWORD, evil).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.location(), "/today", "followed next={evil}");
    }
}

#[tokio::test]
async fn page_posts_without_the_csrf_token_or_from_another_site_are_refused_and_register_nobody() {
    let server = spawn().await;
    let browser = server.login("frontdesk").await;
    let before = server.patient_count().await;
    let fields = registration_form("Pemberton", "Silas", "1971-09-30");
    let same_origin = [("sec-fetch-site", "same-origin")];

    let missing = server.post_form_with(&browser, "/patients/new", &fields, &same_origin).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "no csrf: {}", missing.text());

    let mut wrong = fields.clone();
    wrong.push(("csrf", "0123456789abcdef0123456789abcdef"));
    let reply = server.post_form_with(&browser, "/patients/new", &wrong, &same_origin).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "wrong csrf: {}", reply.text());

    let mut empty = fields.clone();
    empty.push(("csrf", ""));
    let reply = server.post_form_with(&browser, "/patients/new", &empty, &same_origin).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "empty csrf: {}", reply.text());

    // Another session's token is not this session's.
    let other = server.login("biller").await;
    let mut others = fields.clone();
    others.push(("csrf", &other.csrf));
    let reply = server.post_form_with(&browser, "/patients/new", &others, &same_origin).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "another session's csrf: {}", reply.text());

    // With the right token, but from another site.
    let mut good = fields.clone();
    good.push(("csrf", &browser.csrf));
    for headers in [
        &[("origin", "http://evil.example")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("sec-fetch-site", "cross-site"), ("origin", "http://localhost:8080")][..],
        &[("origin", "null")][..],
    ] {
        let reply = server.post_form_with(&browser, "/patients/new", &good, headers).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{headers:?}: {}", reply.text());
    }
    // Logging someone out from another site is refused too.
    let reply = server.post_form_with(&browser, "/logout", &[("csrf", &browser.csrf)], &[("origin", "http://evil.example")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(server.patient_count().await, before, "a refused post registered someone");

    // The same form, same-origin with the token, registers: the refusals were about CSRF only.
    let ok = server.post_form(&browser, "/patients/new", &fields).await;
    let id = registered_id(&ok);
    assert_eq!(server.patient_count().await, before + 1);
    let chart = server.get(&browser, &format!("/patients/{id}")).await;
    assert!(chart.text().contains("Pemberton"));
}

#[tokio::test]
async fn the_registration_form_shows_each_error_next_to_its_field_and_a_valid_post_redirects_to_the_chart() {
    let server = spawn().await;
    let browser = server.login("frontdesk").await;
    let before = server.patient_count().await;

    let form = server.get(&browser, "/patients/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("name=\"birth_date\""));

    let mut bad = registration_form("Ashdown", "Winifred", "2026-02-30");
    bad.retain(|(k, _)| *k != "address.state");
    bad.push(("address.state", "ZZ"));
    let reply = server.post_form(&browser, "/patients/new", &bad).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    let at = html.find("id=\"e-birth_date\"").unwrap_or_else(|| panic!("no error next to birth_date: {html}"));
    let error_text = &html[at..html[at..].find("</p>").map(|e| e + at).unwrap_or(html.len())];
    assert!(error_text.contains("2026-02-30 is not a real date"), "{error_text}");
    assert!(html.contains("aria-describedby=\"e-birth_date\""), "the input points at its error");
    assert!(html.contains("id=\"e-address.state\""), "the state's error is shown too");
    assert!(html.contains("value=\"Ashdown\""), "what was typed is kept");
    assert!(!html.contains("id=\"e-family_name\""), "no error on a good field");
    assert_eq!(server.patient_count().await, before, "a bad form registered someone");

    let good = registration_form("Ashdown", "Winifred", "1990-02-28");
    let reply = server.post_form(&browser, "/patients/new", &good).await;
    let id = registered_id(&reply);
    assert_eq!(server.patient_count().await, before + 1);
    let chart = server.get(&browser, reply.location()).await;
    assert_eq!(chart.status, StatusCode::OK);
    let html = chart.text();
    assert!(html.contains("Ashdown, Winifred"), "{html}");
    assert!(html.contains("Registered Ashdown, Winifred with MRN"), "the notice says what happened");
    assert!(html.contains("1990-02-28"));
    assert!(html.contains(&format!("/patients/{id}/edit")));
}

#[tokio::test]
async fn the_bookkeeper_sees_no_patients_and_every_area_not_built_says_so() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let p = register(&server, &token, &patient_body("Underhill", "Perpetua")).await;
    let id = p["id"].as_str().expect("id");
    let browser = server.login("bookkeeper").await;

    let today = server.get(&browser, "/today").await;
    assert_eq!(today.status, StatusCode::OK);
    let navigation = nav(&today.text()).to_string();
    assert!(!navigation.contains("href=\"/patients\""), "Patients link for the bookkeeper: {navigation}");
    assert!(!navigation.contains("href=\"/admin\""), "Admin link for the bookkeeper: {navigation}");
    assert!(!navigation.contains("href=\"/schedule\""), "Schedule link for the bookkeeper: {navigation}");
    assert!(navigation.contains("href=\"/books\""), "{navigation}");
    assert!(!today.text().contains("Underhill"), "the bookkeeper's Today shows patients");

    for path in [format!("/patients/{id}"), "/patients".to_string(), "/patients?q=Underhill".to_string(), format!("/patients/{id}/edit")] {
        let reply = server.get(&browser, &path).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {}", reply.text());
        assert!(reply.text().contains("Not allowed"), "{path}");
        assert!(!reply.text().contains("Underhill"), "{path} shows the patient");
        assert_security_headers(&path, &reply);
    }
    let reply = server.get(&browser, "/admin").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // The schedule is built now, and not the bookkeeper's: refused, and not in the navigation.
    let reply = server.get(&browser, "/schedule").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    // The call pad is built, and not the bookkeeper's either.
    let reply = server.get(&browser, "/messages").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    // The mail room is built (not the bookkeeper's: see mail_pages.rs); so are letters.
    let reply = server.get(&browser, "/letters").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert!(!nav(&server.get(&browser, "/today").await.text()).contains("href=\"/letters\""));
    {
        // Medical files are built (see document_pages.rs): the bookkeeper handles accounting
        // records, contracts and business documents, and the old /files address leads there.
        let reply = server.get(&browser, "/documents").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(nav(&reply.text()).contains("href=\"/documents\" aria-current=\"page\""), "/documents is not marked current");
    }

    // The front desk, by contrast, has the Patients link.
    let frontdesk = server.login("frontdesk").await;
    let today = server.get(&frontdesk, "/today").await;
    assert!(nav(&today.text()).contains("href=\"/patients\""));
}

#[tokio::test]
async fn markup_in_patient_data_is_refused_in_names_and_escaped_everywhere_else() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;

    let mut script = patient_body("Fairweather", "<script>alert(1)</script>");
    script["birth_date"] = json!("1965-05-05");
    let doc = server.api(Method::POST, "/api/v1/patients", Some(&token), Some(&script)).await.problem(422);
    assert!(crate::harness::error_fields(&doc).contains(&"given_name".to_string()), "{doc}");

    let mut img = patient_body("O'Brien", "Siobhan");
    img["address"]["line1"] = json!("<img src=x onerror=alert(1)>");
    img["address"]["line2"] = json!("\"><script>alert(2)</script>");
    img["language"] = json!("</dd><svg onload=alert(3)>");
    let p = register(&server, &token, &img).await;
    let id = p["id"].as_str().expect("id");
    assert_eq!(p["address"]["line1"], "<img src=x onerror=alert(1)>", "the API keeps the text as given");

    let browser = server.login("frontdesk").await;
    let pages = [
        format!("/patients/{id}"),
        format!("/patients/{id}/edit"),
        "/patients?q=Siobhan".to_string(),
        "/patients/search?q=Siobhan".to_string(),
        "/today".to_string(),
    ];
    for path in &pages {
        let reply = server.get(&browser, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let html = reply.text();
        assert!(html.contains("Siobhan"), "{path} does not show the patient");
        assert!(!html.contains("<img src=x"), "{path} has raw markup from the address");
        assert!(!html.contains("<script>alert"), "{path} has a raw script");
        assert!(!html.contains("<svg onload"), "{path} has raw markup from the language");
        assert!(!html.contains("O'Brien"), "{path} has an unescaped apostrophe in the name");
    }
    let chart = server.get(&browser, &format!("/patients/{id}")).await.text();
    // Askama writes `<` as `&#60;`; `&lt;` would do as well.
    let escaped = |text: &str| text.replace('<', "&#60;").replace('>', "&#62;");
    let shown = |html: &str, text: &str| html.contains(&escaped(text)) || html.contains(&text.replace('<', "&lt;").replace('>', "&gt;"));
    assert!(shown(&chart, "<img src=x onerror=alert(1)>"), "the address is shown, escaped");
    assert!(chart.contains("O&#39;Brien") || chart.contains("O&#x27;Brien"), "the name is shown, escaped");
    let edit = server.get(&browser, &format!("/patients/{id}/edit")).await.text();
    assert!(shown(&edit, "value=\"<img src=x onerror=alert(1)>\""), "the edit form keeps the value, escaped");

    // A search query is reflected into the page escaped.
    let reply = server.get(&browser, "/patients?q=%3Cscript%3Ealert(4)%3C%2Fscript%3E").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.text().contains("<script>alert(4)"), "the query is reflected raw");
    assert!(shown(&reply.text(), "<script>alert(4)"), "the query is shown back, escaped");
    let reply = server.get(&browser, "/login?reason=%3Cscript%3Ealert(5)%3C%2Fscript%3E&next=%22%3E%3Cscript%3E").await;
    assert!(!reply.text().contains("<script>alert(5)"), "the login reason is reflected raw");
    assert!(!reply.text().contains("\"><script>"), "the login next is reflected raw");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_the_old_cookie_leads_to_sign_in() {
    let server = spawn().await;
    let browser = server.login("frontdesk").await;

    // Without the token the session is not ended.
    let refused = server.post_form_with(&browser, "/logout", &[], &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&browser, "/patients").await.status, StatusCode::OK, "the session survived the refused logout");

    let reply = server.post_form(&browser, "/logout", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(reply.location().starts_with("/login"), "{}", reply.location());
    let cleared = reply.set_cookie("medoffice_session").expect("the cookie is cleared");
    assert!(cleared.starts_with("medoffice_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    for path in ["/patients", "/today"] {
        let after = server.get(&browser, path).await;
        assert!(after.status.is_redirection(), "{path} with the old cookie: {}", after.status);
        assert!(after.location().starts_with("/login"), "{path} -> {}", after.location());
    }
    // And the old cookie cannot post either.
    let before = server.patient_count().await;
    let post = server.post_form(&browser, "/patients/new", &registration_form("Loxley", "Hugo", "1950-01-01")).await;
    assert!(post.location().starts_with("/login"), "{}: {}", post.status, post.text());
    assert_eq!(server.patient_count().await, before);

    // Signing in again works and gives a different session.
    let again = server.login("frontdesk").await;
    assert_ne!(again.cookie, browser.cookie);
    assert_eq!(server.get(&again, "/patients").await.status, StatusCode::OK);
}

/// Signing in again from a browser that still holds a session ends that session: a session id
/// never outlives a sign-in.
#[tokio::test]
async fn signing_in_again_ends_the_previous_session() {
    let server = spawn().await;
    let first = server.login("frontdesk").await;
    let (login_cookie, csrf) = server.login_form().await;
    let body = form_encode(&[("csrf", csrf.as_str()), ("username", "frontdesk"), ("password", DEMO_PASSWORD), ("next", "/today")]);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("medoffice_login={login_cookie}; medoffice_session={}", first.cookie))
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let second = reply.cookie_value("medoffice_session").unwrap();
    assert_ne!(second, first.cookie, "a sign-in makes a new session id");
    let old = server.get(&first, "/patients").await;
    assert_eq!(old.status, StatusCode::SEE_OTHER, "the old session must be over");
    assert!(old.location().starts_with("/login"), "{}", old.location());
    let new = server.get(&Browser { cookie: second, csrf: String::new() }, "/patients").await;
    assert_eq!(new.status, StatusCode::OK);
}
