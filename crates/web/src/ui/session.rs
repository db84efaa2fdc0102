//! Sign-in and sign-out pages.

use crate::AppState;
use crate::auth::{client_ip, cookie_header, cookie_value, csrf_matches, login_cookie_name, session_cookie_name};
use askama::Template;
use axum::extract::{Form, FromRequest, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::AppError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    reason: String,
    error: String,
    username: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    reason: String,
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next.to_string() } else { "/today".into() }
}

fn login_response(state: &AppState, next: &str, reason: &str, error: &str, username: &str) -> Response {
    let csrf = medoffice_app::practice::generated_password();
    let page = LoginPage {
        csrf: csrf.clone(),
        next: safe_next(next),
        reason: reason.to_string(),
        error: error.to_string(),
        username: username.to_string(),
    };
    let mut response = super::render(&page);
    if let Ok(v) = cookie_header(login_cookie_name(state.settings.secure_cookies), &csrf, state.settings.secure_cookies, Some(3600)).parse()
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn login_page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    login_response(&state, &q.next, &q.reason, "", "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let ip = client_ip(&parts);
    let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string);
    let expected = cookie_value(&parts, login_cookie_name(state.settings.secure_cookies)).unwrap_or_default();
    let previous_session = cookie_value(&parts, session_cookie_name(state.settings.secure_cookies));
    let Ok(Form(form)) = Form::<LoginForm>::from_request(Request::from_parts(parts, body), &state).await else {
        return login_response(&state, "/today", "", "The sign-in form was incomplete; try again.", "");
    };
    if !csrf_matches(&expected, &form.csrf) {
        return login_response(&state, &form.next, "", "The sign-in form expired; please sign in again.", &form.username);
    }
    match state.app.login(&form.username, &form.password, ip, user_agent).await {
        Ok(session) => {
            if let Some(old) = previous_session
                && let Err(e) = state.app.discard_session(&old).await
            {
                return super::error_page(e);
            }
            let secure = state.settings.secure_cookies;
            let mut response = Redirect::to(&safe_next(&form.next)).into_response();
            let headers = response.headers_mut();
            for c in [
                cookie_header(session_cookie_name(secure), &session.cookie_value, secure, None),
                cookie_header(login_cookie_name(secure), "", secure, Some(0)),
            ] {
                if let Ok(v) = c.parse() {
                    headers.append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(AppError::Unauthenticated(message)) => login_response(&state, &form.next, "", &message, &form.username),
        Err(e @ AppError::TooManyAttempts { .. }) => login_response(&state, &form.next, "", &e.to_string(), &form.username),
        Err(other) => super::error_page(other),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, session: crate::auth::PageSession, Form(form): Form<CsrfOnly>) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    if let Err(e) = state.app.logout(&session.cookie, &session.actor).await {
        return super::error_page(e);
    }
    let secure = state.settings.secure_cookies;
    let mut response = Redirect::to("/login?reason=You%20signed%20out.").into_response();
    if let Ok(v) = cookie_header(session_cookie_name(secure), "", secure, Some(0)).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
