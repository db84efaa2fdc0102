//! Who is calling: a browser session (cookie + CSRF token) or an API client (bearer token).

use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::{Actor, AppError};
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

/// The session cookie's name: with the `__Host-` prefix (Secure, Path=/, no Domain) when the
/// server is reached over TLS; browsers refuse that prefix on plain HTTP.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-medoffice_session" } else { "medoffice_session" }
}

/// The cookie that carries the login form's CSRF token before there is a session.
pub fn login_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-medoffice_login" } else { "medoffice_login" }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure when served over TLS.
pub fn cookie_header(name: &str, value: &str, secure: bool, max_age_seconds: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_seconds {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The value of a cookie in the request.
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The client's address, when the server knows it.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string())
}

/// Constant-time comparison of a submitted CSRF token with the expected one.
pub fn csrf_matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && expected.len() == submitted.len() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// A signed-in browser user.
#[derive(Debug, Clone)]
pub struct PageSession {
    pub actor: Actor,
    pub csrf_token: String,
    pub cookie: String,
    /// Open messages the user sees, and how many are urgent (the navigation badge; one count query).
    pub message_counts: (i64, i64),
}

impl PageSession {
    /// Refuses a form whose CSRF token is not this session's.
    #[allow(clippy::result_large_err)] // the error is the page to answer, returned at once
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        if csrf_matches(&self.csrf_token, submitted) {
            Ok(())
        } else {
            Err((StatusCode::FORBIDDEN, "This form has expired or did not come from medoffice. Go back, reload the page and try again.")
                .into_response())
        }
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = |reason: &str| {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next = if parts.method == axum::http::Method::GET { next } else { "/today" };
            Redirect::to(&format!("/login?next={}&reason={}", urlencode(next), urlencode(reason))).into_response()
        };
        let Some(cookie) = cookie_value(parts, session_cookie_name(state.settings.secure_cookies)) else {
            return Err(to_login(""));
        };
        // A page's background refresh says so (static/app.js): it is served, but it does not
        // extend the idle timeout. The header can only make a session expire sooner, never later.
        let background = parts.headers.get(BACKGROUND_HEADER).is_some();
        let authenticated = if background {
            state.app.authenticate_background(&cookie, client_ip(parts)).await
        } else {
            state.app.authenticate_session(&cookie, client_ip(parts)).await
        };
        match authenticated {
            Ok(info) => {
                let message_counts = state.app.message_counts(&info.actor).await.unwrap_or((0, 0));
                Ok(PageSession { actor: info.actor, csrf_token: info.csrf_token, cookie, message_counts })
            }
            Err(AppError::Unauthenticated(reason)) => {
                // Half signed in: back to the step still to do, which is all this session opens.
                match state.app.pending_stage(&cookie).await {
                    Ok(Some(medoffice_app::auth::SessionStage::Mfa)) => Err(Redirect::to("/login/mfa").into_response()),
                    Ok(Some(medoffice_app::auth::SessionStage::Enrol)) => Err(Redirect::to("/login/enrol").into_response()),
                    _ => Err(to_login(&reason)),
                }
            }
            Err(other) => Err(crate::ui::error_page(other)),
        }
    }
}

/// The request header a page's background refresh sends (`static/app.js`): such requests never
/// extend the session's idle timeout.
pub const BACKGROUND_HEADER: &str = "x-medoffice-background";

/// An API caller, authenticated by `Authorization: Bearer TOKEN`.
#[derive(Debug, Clone)]
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
            let mut r = Problem::new(StatusCode::UNAUTHORIZED, "send Authorization: Bearer TOKEN (make one with 'medoffice token create')")
                .into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
            return Err(r);
        };
        state.app.authenticate_token(token, client_ip(parts)).await.map(ApiActor).map_err(|e| ApiError(e).into_response())
    }
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
