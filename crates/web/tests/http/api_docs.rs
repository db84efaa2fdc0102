//! The OpenAPI document, and the answers for endpoints that are not built or do not exist.

use crate::harness::spawn;
use axum::http::{Method, StatusCode};
use serde_json::Value;

/// Every `$ref` in the document.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref"
                    && let Some(r) = child.as_str()
                {
                    out.push(r.to_string());
                }
                refs(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_covers_every_built_endpoint_with_a_bearer_scheme() {
    let server = spawn().await;
    // Public: a client reads it before it has a token.
    let reply = server.api(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.content_type().starts_with("application/json"), "{}", reply.content_type());
    let doc = reply.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "openapi: {}", doc["openapi"]);
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(doc["info"]["version"].as_str().is_some_and(|t| !t.is_empty()));

    let paths = doc["paths"].as_object().expect("paths");
    let built = [
        ("/api/v1/patients", &["get", "post"][..]),
        ("/api/v1/patients/{id}", &["get", "put"][..]),
        ("/api/v1/patients/{id}/coverages", &["get", "post"][..]),
        ("/api/v1/patients/{id}/coverages/{coverage_id}", &["put"][..]),
        ("/api/v1/patients/{id}/merge", &["post"][..]),
        ("/api/v1/payers", &["get"][..]),
        ("/api/v1/providers", &["get"][..]),
    ];
    for (path, methods) in built {
        let item = paths.get(path).unwrap_or_else(|| panic!("the document lacks {path}; it has {:?}", paths.keys().collect::<Vec<_>>()));
        for m in methods {
            let op = &item[*m];
            assert!(op.is_object(), "{path} lacks {m}");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{m} {path} has no responses");
        }
    }
    // Every path the document lists is one the router serves (not a 404 or 501 there).
    let token = server.token("admin").await;
    for path in paths.keys() {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let concrete = path.replace("{id}", "no-such-id").replace("{coverage_id}", "no-such-coverage");
        let method = ["get", "put", "post"]
            .into_iter()
            .find(|m| paths[path][*m].is_object())
            .map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).expect("method"))
            .unwrap_or_else(|| panic!("{path} has no get, put or post"));
        let body = serde_json::json!({});
        let r = server.api(method.clone(), &concrete, Some(&token), Some(&body)).await;
        assert_ne!(r.status, StatusCode::NOT_IMPLEMENTED, "{method} {concrete} is documented but not built");
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {concrete} is documented but not routed");
        assert!(!r.status.is_server_error(), "{method} {concrete}: {}", r.text());
    }

    // Bearer authentication, required by default.
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"].as_str().map(str::to_lowercase).as_deref(), Some("bearer"), "{scheme}");
    let security = doc["security"].as_array().expect("top-level security");
    assert!(security.iter().any(|s| s.get("bearer").is_some()), "{security:?}");

    // Every schema the document refers to is in it.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {r}");
    }
    // The patient schema names the contract's fields.
    let patient = &doc["components"]["schemas"]["PatientView"]["properties"];
    for field in ["id", "family_name", "given_name", "birth_date", "sex", "phone", "email", "address"] {
        assert!(patient[field].is_object(), "PatientView lacks {field}");
    }
}

#[tokio::test]
async fn unknown_records_and_unknown_endpoints_answer_404_as_problems() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    // The documents' endpoints (the last ones built; see api_documents.rs): an unknown id is 404.
    for path in ["/api/v1/documents/some-id", "/api/v1/documents/some-id/content"] {
        let doc = server.api(Method::GET, path, Some(&token), None).await.problem(404);
        assert!(doc["detail"].as_str().unwrap_or("").contains("not found"), "{path}: {doc}");
    }
    for (method, path) in [
        (Method::GET, "/api/v1/nothing-here"),
        (Method::POST, "/api/v1/nothing-here"),
        (Method::GET, "/api/v1/patients/some-id/nothing"),
        (Method::GET, "/api/v1/"),
        (Method::GET, "/api/v2/patients"),
    ] {
        let reply = server.api(method.clone(), path, Some(&token), None).await;
        reply.problem(404);
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_take_answers_405_as_a_problem() {
    let server = spawn().await;
    let token = server.token("admin").await;
    for (method, path) in [
        (Method::DELETE, "/api/v1/patients"),
        (Method::PATCH, "/api/v1/patients/some-id"),
        (Method::POST, "/api/v1/payers"),
        (Method::DELETE, "/api/v1/providers"),
    ] {
        let reply = server.api(method.clone(), path, Some(&token), None).await;
        reply.problem(405);
        assert!(reply.header("allow").is_some_and(|a| !a.is_empty()), "{method} {path}: no Allow header");
    }
}
