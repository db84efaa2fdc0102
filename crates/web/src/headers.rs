//! Security headers on every response, and the same-origin check on every state change.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// No inline scripts or styles, nothing from elsewhere, never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The policy of a document preview (a PDF or image shown in an `<iframe>` of a medoffice page):
/// the same, except that medoffice's own pages may frame it.
const CSP_FRAMABLE_BY_SELF: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = if is_cross_site_write(&request) {
        (StatusCode::FORBIDDEN, "cross-site requests may not change anything").into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    // A stored document served for preview (X-Frame-Options: SAMEORIGIN from its handler) may be
    // framed by medoffice's own pages, and by nothing else.
    let framable_by_self = h.get(header::X_FRAME_OPTIONS).is_some_and(|v| v == "SAMEORIGIN");
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(if framable_by_self { CSP_FRAMABLE_BY_SELF } else { CSP }));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static(if framable_by_self { "SAMEORIGIN" } else { "DENY" }));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(self), microphone=(), geolocation=()"));
    if is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    } else {
        // Pages and API answers may carry patient data: never stored by the browser or a proxy.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// HSTS for a server that terminates TLS itself: a year, subdomains included.
pub async fn strict_transport_security(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    response
}

/// A state-changing request that a browser says comes from another site (Sec-Fetch-Site), or,
/// from browsers without Fetch Metadata, whose Origin is not this host. Bearer-token API calls carry no cookies and pass.
fn is_cross_site_write(request: &Request) -> bool {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let headers = request.headers();
    if headers.contains_key(header::AUTHORIZATION) && !headers.contains_key(header::COOKIE) {
        return false;
    }
    // Browsers that send Fetch Metadata say where the request comes from; trust it first.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !(site == "same-origin" || site == "none");
    }
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), headers.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
            origin_host != host
        }
        _ => false,
    }
}
