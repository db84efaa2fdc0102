//! Sign-in and sign-out pages.

use crate::AppState;
use crate::auth::{client_ip, cookie_header, cookie_value, csrf_matches, login_cookie_name, session_cookie_name};
use askama::Template;
use axum::extract::{Form, FromRequest, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::AppError;
use medoffice_app::auth::{MFA_STAGE_MINUTES, SessionStage};
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
            let target = match session.stage {
                SessionStage::Full => safe_next(&form.next),
                SessionStage::Mfa => format!("/login/mfa?next={}", crate::auth::urlencode(&safe_next(&form.next))),
                SessionStage::Enrol => "/login/enrol".to_string(),
            };
            let mut response = Redirect::to(&target).into_response();
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

/// A response that replaces the session cookie (a sign-in step rotated the session id).
fn with_session_cookie(state: &AppState, mut response: Response, cookie_value: &str) -> Response {
    let secure = state.settings.secure_cookies;
    if let Ok(v) = cookie_header(session_cookie_name(secure), cookie_value, secure, None).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

fn start_over(reason: &str) -> Response {
    Redirect::to(&format!("/login?reason={}", crate::auth::urlencode(reason))).into_response()
}

#[derive(Template)]
#[template(path = "login_mfa.html")]
struct MfaPage {
    csrf: String,
    next: String,
    username: String,
    error: String,
    minutes: i64,
}

/// The second sign-in step: the code.
pub async fn mfa_page(State(state): State<AppState>, Query(q): Query<LoginQuery>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(cookie) = cookie_value(&parts, session_cookie_name(state.settings.secure_cookies)) else {
        return start_over("Sign in first.");
    };
    match state.app.pending_session(&cookie, None).await {
        Ok(p) if p.stage == SessionStage::Mfa => super::render(&MfaPage {
            csrf: p.csrf_token,
            next: safe_next(&q.next),
            username: p.actor.username,
            error: String::new(),
            minutes: MFA_STAGE_MINUTES,
        }),
        Ok(_) => Redirect::to("/login/enrol").into_response(),
        Err(AppError::Unauthenticated(reason)) => start_over(&reason),
        Err(e) => super::error_page(e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    code: String,
}

/// A posted code of a half-signed-in session, checked as far as the use case: the session cookie,
/// the form, the session's stage (`stage`; the other stage is sent to its own page) and the CSRF
/// token.
struct CodeStep {
    cookie: String,
    form: CodeForm,
    pending: medoffice_app::auth::PendingSession,
    ip: Option<String>,
    user_agent: Option<String>,
}

async fn code_step(state: &AppState, request: Request, stage: SessionStage) -> Result<CodeStep, Response> {
    let (parts, body) = request.into_parts();
    let ip = client_ip(&parts);
    let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string);
    let Some(cookie) = cookie_value(&parts, session_cookie_name(state.settings.secure_cookies)) else {
        return Err(start_over("Sign in first."));
    };
    let Ok(Form(form)) = Form::<CodeForm>::from_request(Request::from_parts(parts, body), state).await else {
        return Err(start_over("The form was incomplete; sign in again."));
    };
    let pending = match state.app.pending_session(&cookie, ip.clone()).await {
        Ok(p) if p.stage == stage => p,
        Ok(_) if stage == SessionStage::Mfa => return Err(Redirect::to("/login/enrol").into_response()),
        Ok(_) => return Err(Redirect::to("/login/mfa").into_response()),
        Err(AppError::Unauthenticated(reason)) => return Err(start_over(&reason)),
        Err(e) => return Err(super::error_page(e)),
    };
    if !csrf_matches(&pending.csrf_token, &form.csrf) {
        return Err(start_over("The form expired; sign in again."));
    }
    Ok(CodeStep { cookie, form, pending, ip, user_agent })
}

pub async fn mfa_submit(State(state): State<AppState>, request: Request) -> Response {
    let CodeStep { cookie, form, pending, ip, user_agent } = match code_step(&state, request, SessionStage::Mfa).await {
        Ok(step) => step,
        Err(response) => return response,
    };
    match state.app.complete_mfa_sign_in(&cookie, &form.code, ip, user_agent).await {
        Ok(session) => with_session_cookie(&state, Redirect::to(&safe_next(&form.next)).into_response(), &session.cookie_value),
        Err(AppError::Validation(errors)) => super::render(&MfaPage {
            csrf: pending.csrf_token,
            next: safe_next(&form.next),
            username: pending.actor.username,
            error: errors.summary(),
            minutes: MFA_STAGE_MINUTES,
        }),
        Err(e @ AppError::TooManyAttempts { .. }) => start_over(&e.to_string()),
        Err(AppError::Unauthenticated(reason)) => start_over(&reason),
        Err(e) => super::error_page(e),
    }
}

#[derive(Template)]
#[template(path = "mfa_enrol.html")]
pub(crate) struct EnrolPage {
    pub csrf: String,
    pub action: &'static str,
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
    pub error: String,
    pub forced: bool,
    pub cancel_href: &'static str,
}

#[derive(Template)]
#[template(path = "mfa_codes.html")]
pub(crate) struct CodesPage {
    pub message: String,
    pub codes: Vec<String>,
    pub continue_href: &'static str,
}

/// The otpauth:// URI as an inline SVG QR code (attributes only, no style: the CSP allows it);
/// empty if it cannot be drawn (the key is shown as text anyway).
pub(crate) fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
            svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// Enrolment demanded at sign-in (the practice requires MFA of the role).
pub async fn enrol_page(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(cookie) = cookie_value(&parts, session_cookie_name(state.settings.secure_cookies)) else {
        return start_over("Sign in first.");
    };
    let pending = match state.app.pending_session(&cookie, None).await {
        Ok(p) if p.stage == SessionStage::Enrol => p,
        Ok(_) => return Redirect::to("/login/mfa").into_response(),
        Err(AppError::Unauthenticated(reason)) => return start_over(&reason),
        Err(e) => return super::error_page(e),
    };
    enrol_response(&state, &cookie, pending.csrf_token, String::new()).await
}

async fn enrol_response(state: &AppState, cookie: &str, csrf: String, error: String) -> Response {
    match state.app.forced_mfa_enrolment(cookie).await {
        Ok(e) => super::render(&EnrolPage {
            csrf,
            action: "/login/enrol",
            qr_svg: qr_svg(&e.uri),
            secret: e.secret_base32,
            uri: e.uri,
            error,
            forced: true,
            cancel_href: "/login",
        }),
        Err(AppError::Unauthenticated(reason)) => start_over(&reason),
        Err(e) => super::error_page(e),
    }
}

pub async fn enrol_submit(State(state): State<AppState>, request: Request) -> Response {
    let CodeStep { cookie, form, pending, ip, user_agent } = match code_step(&state, request, SessionStage::Enrol).await {
        Ok(step) => step,
        Err(response) => return response,
    };
    match state.app.confirm_forced_mfa_enrolment(&cookie, &form.code, ip, user_agent).await {
        Ok((session, codes)) => {
            let page =
                super::render(&CodesPage { message: "Two-step sign-in is on. You are signed in.".into(), codes, continue_href: "/today" });
            with_session_cookie(&state, page, &session.cookie_value)
        }
        Err(AppError::Validation(errors)) => enrol_response(&state, &cookie, pending.csrf_token, errors.summary()).await,
        Err(AppError::Unauthenticated(reason)) => start_over(&reason),
        Err(e) => super::error_page(e),
    }
}
