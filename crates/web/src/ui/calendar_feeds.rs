//! Calendar feeds: the office manager's page (`/admin/calendar-feeds`) to make and revoke the
//! secret ICS addresses of providers' schedules, and the address itself (`GET /calendar/{token}.ics`)
//! that calendar apps fetch.
//!
//! The feed needs no session: the secret in the address is the credential, the request is a GET
//! (the cross-site check in `headers.rs` only stops writes), and the answer sets no cookie. An
//! unknown, malformed or revoked address gets the same 404 page as any address that does not
//! exist, so nobody can tell a revoked feed from one that never was.

use super::{CsrfForm, FormState, Layout, checked_form, error_page, error_page_status, render};
use crate::AppState;
use crate::auth::{PageSession, client_ip};
use askama::Template;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, TimeZone, Utc};
use medoffice_app::AppError;
use medoffice_app::calendar_feeds::{CalendarFeedView, NewCalendarFeed};
use serde::Deserialize;

/// A feed as the list shows it, times in the practice's time zone.
struct FeedRow {
    id: String,
    provider_name: String,
    include_patient_names: bool,
    created_by: String,
    created_at: String,
    last_fetched_at: String,
    revoked_at: Option<String>,
}

/// A feed just made: its one-time address.
struct Created {
    provider_name: String,
    url: String,
    webcal_url: String,
    include_patient_names: bool,
}

#[derive(Template)]
#[template(path = "calendar_feeds.html")]
struct FeedsPage {
    layout: Layout,
    title: &'static str,
    feeds: Vec<FeedRow>,
    provider_options: Vec<(String, String)>,
    form: FormState,
    created: Option<Created>,
}

/// An instant as stored (UTC text) shown as the practice's local date and time.
fn local_time<Z: TimeZone>(text: &str, tz: &Z) -> String
where
    Z::Offset: std::fmt::Display,
{
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc).with_timezone(tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| text.to_string())
}

fn row_of<Z: TimeZone>(feed: CalendarFeedView, tz: &Z) -> FeedRow
where
    Z::Offset: std::fmt::Display,
{
    FeedRow {
        id: feed.id,
        provider_name: feed.provider_name,
        include_patient_names: feed.include_patient_names,
        created_by: feed.created_by,
        created_at: local_time(&feed.created_at, tz),
        last_fetched_at: feed.last_fetched_at.as_deref().map(|t| local_time(t, tz)).unwrap_or_else(|| "never".into()),
        revoked_at: feed.revoked_at.as_deref().map(|t| local_time(t, tz)),
    }
}

async fn page(state: &AppState, session: &PageSession, form: FormState, created: Option<Created>, notice: Option<String>) -> Response {
    let actor = &session.actor;
    let feeds = match state.app.list_calendar_feeds(actor).await {
        Ok(feeds) => feeds,
        Err(e) => return error_page(e),
    };
    let providers = match state.app.list_providers(actor).await {
        Ok(providers) => providers,
        Err(e) => return error_page(e),
    };
    let mut provider_options = vec![(String::new(), "Choose a provider".to_string())];
    provider_options.extend(providers.into_iter().map(|p| (p.id, p.name)));
    let mut response = render(&FeedsPage {
        layout: Layout::new(session, "/admin").with_notice(notice),
        title: "Calendar feeds",
        feeds: feeds.into_iter().map(|f| row_of(f, &actor.timezone)).collect(),
        provider_options,
        form,
        created,
    });
    if response.status() == StatusCode::OK {
        // The new address is on this page only: never let a browser or proxy keep a copy.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[derive(Deserialize, Default)]
pub struct FeedsQuery {
    #[serde(default)]
    revoked: String,
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<FeedsQuery>) -> Response {
    let notice = (!q.revoked.is_empty()).then(|| "The feed was revoked: its address no longer shows anything.".to_string());
    page(&state, &session, FormState::default(), None, notice).await
}

/// Makes a feed and shows its address once, on the answer to the POST (never in a redirect's URL).
pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let input = NewCalendarFeed {
        provider_id: form.take("provider_id"),
        include_patient_names: matches!(form.v("include_patient_names"), "1" | "on" | "true" | "yes"),
    };
    match state.app.create_calendar_feed(&session.actor, &input).await {
        Ok(created) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty()).unwrap_or("127.0.0.1:8080");
            // --secure-cookies means medoffice is reached over TLS (directly or behind a proxy).
            let scheme = if state.settings.secure_cookies { "https" } else { "http" };
            let created = Created {
                provider_name: created.feed.provider_name,
                url: format!("{scheme}://{host}{}", created.path),
                webcal_url: format!("webcal://{host}{}", created.path),
                include_patient_names: created.feed.include_patient_names,
            };
            page(&state, &session, FormState::default(), Some(created), None).await
        }
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            page(&state, &session, form, None, None).await
        }
        Err(e) => error_page(e),
    }
}

pub async fn revoke(State(state): State<AppState>, session: PageSession, Path(id): Path<String>, Form(form): Form<CsrfForm>) -> Response {
    if let Err(r) = session.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.revoke_calendar_feed(&session.actor, &id).await {
        Ok(()) => Redirect::to("/admin/calendar-feeds?revoked=1").into_response(),
        Err(e) => error_page(e),
    }
}

/// `GET /calendar/{token}.ics`: the feed, for a calendar app. No session, no cookie.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>, request: Request) -> Response {
    let not_found = || error_page_status(StatusCode::NOT_FOUND, "Page not found", "There is no page at this address.");
    let Some(token) = file.strip_suffix(".ics") else {
        return not_found();
    };
    let (parts, _) = request.into_parts();
    match state.app.calendar_feed_ics(token, client_ip(&parts)).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                // Overridden by the security headers' `no-store`; said here too so the intent
                // stays with the feed: a schedule is never kept by a shared cache.
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            ics,
        )
            .into_response(),
        Err(AppError::NotFound(_)) => not_found(),
        Err(e) => error_page(e),
    }
}
