//! The test harness: a fresh demo practice on SQLite in a temporary directory, the whole router
//! over it, and helpers that send requests in process (`tower::ServiceExt::oneshot`) the way an
//! API client or a browser would.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use medoffice_app::{App, Config};
use medoffice_store::Store;
use medoffice_store::blobs::FileBlobStore;
use medoffice_web::WebSettings;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// The audit key of every test server: fixed, so a test can seal records of its own.
pub fn test_audit_key() -> medoffice_store::audit::AuditKey {
    medoffice_store::audit::AuditKey::from_bytes([42u8; 32])
}

/// A running (in-process) medoffice with the demo practice.
pub struct Server {
    pub app: App,
    router: Router,
    _dir: TempDir,
}

/// Builds a fresh store, fills it with the demo practice (without its week of appointments, so
/// each test books on an empty calendar) and builds the router over it.
pub async fn spawn() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.expect("store");
    let app = App::new(store, FileBlobStore::new(dir.path().join("blobs")), Config::default()).with_audit_key(test_audit_key());
    app.seed_practice("Riverside Family Medicine", medoffice_app::demo::DEMO_PATIENTS, DEMO_PASSWORD).await.expect("demo practice");
    let router = medoffice_web::router(app.clone(), WebSettings { secure_cookies: false, hsts: false });
    Server { app, router, _dir: dir }
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// Every `Set-Cookie` value.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    }

    /// The `Set-Cookie` value for `name`, if the answer sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value a `Set-Cookie` gives `name` (without attributes).
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let c = self.set_cookie(name)?;
        let first = c.split(';').next()?;
        Some(first.split_once('=')?.1.to_string())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and its members; returns the document.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "expected {status}, got {}: {}", self.status, self.text());
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "expected application/problem+json, got '{}': {}",
            self.content_type(),
            self.text()
        );
        let doc = self.json();
        assert_eq!(doc["status"].as_u64(), Some(u64::from(status)), "status member: {doc}");
        assert!(doc["title"].as_str().is_some_and(|t| !t.is_empty()), "title member: {doc}");
        assert!(doc["detail"].as_str().is_some_and(|t| !t.is_empty()), "detail member: {doc}");
        doc
    }
}

/// The fields named in a problem document's `errors`.
pub fn error_fields(doc: &Value) -> Vec<String> {
    doc["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// `application/x-www-form-urlencoded` encoding of the pairs.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// The value of the first `name="NAME" value="..."` hidden field in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A signed-in browser: its session cookie and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Server {
    /// Sends one request through the whole router.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes().to_vec();
        Reply { status: parts.status, headers: parts.headers, body }
    }

    /// A bearer token acting as the demo user `username`.
    pub async fn token(&self, username: &str) -> String {
        self.app.create_api_token(username, "test").await.expect("token")
    }

    /// An API call with an optional bearer token and an optional JSON body.
    pub async fn api(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let request = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    /// An API call with a raw body and content type as given (`None`: no Content-Type header).
    pub async fn api_raw(&self, method: Method, path: &str, token: &str, content_type: Option<&str>, body: impl Into<Body>) -> Reply {
        let mut b = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        self.send(b.body(body.into()).expect("request")).await
    }

    /// GET without a session.
    pub async fn get_anonymous(&self, path: &str) -> Reply {
        self.send(Request::builder().uri(path).body(Body::empty()).expect("request")).await
    }

    /// The login form: the `medoffice_login` cookie and the form's CSRF value.
    pub async fn login_form(&self) -> (String, String) {
        let page = self.get_anonymous("/login").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let cookie = page.cookie_value("medoffice_login").expect("login cookie");
        let csrf = hidden_value(&page.text(), "csrf").expect("csrf field on the login form");
        (cookie, csrf)
    }

    /// Posts the login form as a browser does (after GET /login).
    pub async fn post_login(&self, username: &str, password: &str, next: &str) -> Reply {
        let (cookie, csrf) = self.login_form().await;
        let body = form_encode(&[("csrf", &csrf), ("username", username), ("password", password), ("next", next)]);
        let request = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("medoffice_login={cookie}"))
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Signs in as a demo user and picks the CSRF token from a page.
    pub async fn login(&self, username: &str) -> Browser {
        let reply = self.post_login(username, DEMO_PASSWORD, "/today").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "login of {username}: {}", reply.text());
        let cookie = reply.cookie_value("medoffice_session").expect("session cookie");
        let mut browser = Browser { cookie, csrf: String::new() };
        let today = self.get(&browser, "/today").await;
        assert_eq!(today.status, StatusCode::OK, "{}", today.text());
        browser.csrf = hidden_value(&today.text(), "csrf").expect("csrf field in the layout");
        browser
    }

    /// GET with the browser's session cookie.
    pub async fn get(&self, browser: &Browser, path: &str) -> Reply {
        let request =
            Request::builder().uri(path).header(header::COOKIE, format!("medoffice_session={}", browser.cookie)).body(Body::empty());
        self.send(request.expect("request")).await
    }

    /// A form POST with the session cookie and extra headers (the CSRF field is not added).
    pub async fn post_form_with(&self, browser: &Browser, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("medoffice_session={}", browser.cookie))
            .header(header::HOST, "localhost:8080");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(form_encode(fields))).expect("request")).await
    }

    /// A same-origin form POST as a browser sends it, with the session's CSRF token added.
    pub async fn post_form(&self, browser: &Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf", browser.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form_with(browser, path, &all, &[("sec-fetch-site", "same-origin"), ("origin", "http://localhost:8080")]).await
    }

    /// How many patients the practice has (through the use case, as the admin).
    pub async fn patient_count(&self) -> i64 {
        let token = self.token("admin").await;
        let actor = self.app.authenticate_token(&token, None).await.expect("admin actor");
        self.app.count_patients(&actor).await.expect("count")
    }
}

/// A valid registration body for the API, with this name.
pub fn patient_body(family_name: &str, given_name: &str) -> Value {
    serde_json::json!({
        "family_name": family_name,
        "given_name": given_name,
        "birth_date": "1980-04-12",
        "sex": "female",
        "phone": "(555) 201-3344",
        "email": "ada@example.com",
        "address": {"line1": "12 Elm St", "line2": "Apt 2", "city": "Albany", "state": "NY", "postal_code": "12207"}
    })
}

/// Registers a patient through the API as the front desk; returns the answer's document.
pub async fn register(server: &Server, token: &str, body: &Value) -> Value {
    let reply = server.api(Method::POST, "/api/v1/patients", Some(token), Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

/// The id of the first payer of the practice.
pub async fn first_payer_id(server: &Server, token: &str) -> String {
    let reply = server.api(Method::GET, "/api/v1/payers", Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["items"][0]["id"].as_str().expect("a payer").to_string()
}
