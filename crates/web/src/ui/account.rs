//! The signed-in user's own security page: two-step sign-in (MFA) and the password. Every change
//! asks for the password again, and a code when MFA is on.

use super::session::{CodesPage, EnrolPage, qr_svg};
use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::{PageSession, cookie_header, session_cookie_name};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use medoffice_app::AppError;
use medoffice_app::mfa::MfaStatus;

#[derive(Template)]
#[template(path = "account_security.html")]
struct SecurityPage {
    layout: Layout,
    title: &'static str,
    status: MfaStatus,
    mfa_form: FormState,
    password_form: FormState,
}

async fn security_view(
    state: &AppState,
    session: &PageSession,
    mfa_form: FormState,
    password_form: FormState,
    notice: Option<String>,
) -> Response {
    match state.app.mfa_status(&session.actor).await {
        Ok(status) => render(&SecurityPage {
            layout: Layout::new(session, "/account/security").with_notice(notice),
            title: "Sign-in and security",
            status,
            mfa_form,
            password_form,
        }),
        Err(e) => error_page(e),
    }
}

pub async fn security(State(state): State<AppState>, session: PageSession) -> Response {
    security_view(&state, &session, FormState::default(), FormState::default(), None).await
}

/// Keeps no secret in a form that is shown again.
fn scrub(mut form: FormState) -> FormState {
    for secret in ["current_password", "current_code", "new_password", "code"] {
        form.values.remove(secret);
    }
    form
}

/// An error of a re-authenticated MFA action: next to the fields, or the page's notice.
async fn mfa_refused(state: &AppState, session: &PageSession, form: FormState, e: AppError) -> Response {
    match e {
        AppError::Validation(errors) => {
            let mut form = scrub(form);
            form.errors = errors;
            security_view(state, session, form, FormState::default(), None).await
        }
        e @ AppError::TooManyAttempts { .. } => {
            security_view(state, session, FormState::default(), FormState::default(), Some(e.to_string())).await
        }
        e => error_page(e),
    }
}

fn enrol_page(session: &PageSession, e: medoffice_app::mfa::MfaEnrolment, error: String) -> Response {
    render(&EnrolPage {
        csrf: session.csrf_token.clone(),
        action: "/account/mfa/confirm",
        qr_svg: qr_svg(&e.uri),
        secret: e.secret_base32,
        uri: e.uri,
        error,
        forced: false,
        cancel_href: "/account/security",
    })
}

/// Starts enrolment (or a move to a new authenticator) after re-authentication.
pub async fn mfa_start(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.start_mfa_enrolment(&session.actor, form.v("current_password"), form.v("current_code")).await {
        Ok(e) => enrol_page(&session, e, String::new()),
        Err(e) => mfa_refused(&state, &session, form, e).await,
    }
}

/// Confirms the new secret with a code; shows the recovery codes once.
pub async fn mfa_confirm(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.confirm_mfa_enrolment(&session.actor, form.v("code"), Some(&session.cookie)).await {
        Ok(codes) => render(&CodesPage {
            message: "Two-step sign-in is on. Your other sessions were ended.".into(),
            codes,
            continue_href: "/account/security",
        }),
        Err(AppError::Validation(errors)) => match state.app.pending_mfa_enrolment(&session.actor).await {
            Ok(Some(e)) => enrol_page(&session, e, errors.summary()),
            Ok(None) => Redirect::to("/account/security").into_response(),
            Err(e) => error_page(e),
        },
        Err(e) => error_page(e),
    }
}

/// New recovery codes after re-authentication.
pub async fn recovery_codes(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.regenerate_recovery_codes(&session.actor, form.v("current_password"), form.v("current_code")).await {
        Ok(codes) => render(&CodesPage {
            message: "New recovery codes: the old ones no longer work.".into(),
            codes,
            continue_href: "/account/security",
        }),
        Err(e) => mfa_refused(&state, &session, form, e).await,
    }
}

/// Turns MFA off after re-authentication (refused when the practice requires it of the role).
pub async fn mfa_disable(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.disable_mfa(&session.actor, form.v("current_password"), form.v("current_code")).await {
        Ok(()) => {
            security_view(&state, &session, FormState::default(), FormState::default(), Some("Two-step sign-in is off.".into())).await
        }
        Err(e) => mfa_refused(&state, &session, form, e).await,
    }
}

/// Changes one's password after re-authentication; every session ends, so the user signs in again.
pub async fn change_password(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match state.app.change_password(&session.actor, form.v("current_password"), form.v("current_code"), form.v("new_password")).await {
        Ok(()) => {
            let secure = state.settings.secure_cookies;
            let mut response =
                Redirect::to("/login?reason=Your%20password%20is%20changed%3B%20sign%20in%20with%20the%20new%20one.").into_response();
            if let Ok(v) = cookie_header(session_cookie_name(secure), "", secure, Some(0)).parse() {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Err(AppError::Validation(errors)) => {
            let mut form = scrub(form);
            form.errors = errors;
            security_view(&state, &session, FormState::default(), form, None).await
        }
        Err(e @ AppError::TooManyAttempts { .. }) => {
            security_view(&state, &session, FormState::default(), FormState::default(), Some(e.to_string())).await
        }
        Err(e) => error_page(e),
    }
}
