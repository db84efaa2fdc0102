//! medoffice's web layer: server-rendered HTML pages for the staff (`ui`) and the JSON API for
//! other software (`api`), both thin over the same use cases in `medoffice-app`.
//!
//! Cross-cutting here: sessions and CSRF for pages, bearer tokens for the API, security headers
//! on every response, and the two error adapters (problem+json, and pages with messages).

pub mod api;
mod auth;
mod error;
mod headers;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use medoffice_app::App;
use std::sync::Arc;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` and use the `__Host-` prefix: on when medoffice terminates TLS or
    /// runs behind a TLS proxy (`--secure-cookies`). Browsers refuse `Secure` cookies over plain
    /// HTTP on other hosts than localhost, so it is off for the default `127.0.0.1:8080`.
    pub secure_cookies: bool,
    /// Send `Strict-Transport-Security` on every response: on when medoffice terminates TLS
    /// itself (`--tls-cert`/`--tls-key`), so browsers never use plain HTTP for this host again.
    pub hsts: bool,
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub settings: Arc<WebSettings>,
}

/// The whole HTTP surface: `/` pages, `/api/v1`, `/static`, `/healthz`.
pub fn router(app: App, settings: WebSettings) -> Router {
    let limit = app.config.max_upload_bytes * 2 + 64 * 1024;
    let hsts = settings.hsts;
    let state = AppState { app, settings: Arc::new(settings) };
    let router = Router::new()
        .merge(ui::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", axum::routing::get(healthz))
        .layer(axum::middleware::from_fn(headers::security_headers));
    let router = if hsts { router.layer(axum::middleware::from_fn(headers::strict_transport_security)) } else { router };
    router.layer(DefaultBodyLimit::max(limit)).with_state(state)
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> (axum::http::StatusCode, &'static str) {
    if state.app.store.ping().await {
        (axum::http::StatusCode::OK, "ok\n")
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    }
}
