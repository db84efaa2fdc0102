//! Who may call what: bearer tokens and roles, and the practice's lists.

use crate::harness::{patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// Whether `npi` is a valid NPI: 10 digits whose Luhn check (with the 80840 prefix) holds.
fn valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = format!("80840{npi}").chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[test]
fn the_npi_check_used_here_accepts_the_cms_example_and_refuses_a_typo() {
    assert!(valid_npi("1234567893"));
    assert!(!valid_npi("1234567890"));
    assert!(!valid_npi("123456789"));
}

#[tokio::test]
async fn calls_without_a_valid_token_answer_401_problems() {
    let server = spawn().await;
    let none = server.api(Method::GET, "/api/v1/patients", None, None).await;
    let doc = none.problem(401);
    assert!(doc["detail"].as_str().unwrap_or("").contains("Bearer"), "{doc}");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));

    for garbage in ["garbage", "mo_", "mo_00000000-0000-0000-0000-000000000000_secret", "Bearer", "mo_../../etc/passwd"] {
        let reply = server.api_raw(Method::GET, "/api/v1/patients", garbage, None, "").await;
        reply.problem(401);
    }
    // A token of the right shape for the practice, but not one that was issued.
    let real = server.token("frontdesk").await;
    let last = if real.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{last}", &real[..real.len() - 1]);
    server.api(Method::GET, "/api/v1/patients", Some(&forged), None).await.problem(401);
    // Basic auth is not accepted.
    let basic = server
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/patients")
                .header("authorization", "Basic YWRtaW46ZGVtby1wYXNzd29yZC0x")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    basic.problem(401);
    // Nothing is created without a token.
    let before = server.patient_count().await;
    server.api(Method::POST, "/api/v1/patients", None, Some(&patient_body("Nobody", "Anon"))).await.problem(401);
    assert_eq!(server.patient_count().await, before);
    // A session cookie is not an API credential.
    let browser = server.login("frontdesk").await;
    let with_cookie = server
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/patients")
                .header("cookie", format!("medoffice_session={}", browser.cookie))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    with_cookie.problem(401);
}

#[tokio::test]
async fn each_role_gets_what_it_may_and_403_problems_for_the_rest() {
    let server = spawn().await;
    let frontdesk = server.token("frontdesk").await;
    let bookkeeper = server.token("bookkeeper").await;
    let doctor = server.token("doctor").await;
    let biller = server.token("biller").await;
    let admin = server.token("admin").await;
    let p = register(&server, &frontdesk, &patient_body("Fennimore", "Beatrix")).await;
    let id = p["id"].as_str().expect("id");
    let mut other = patient_body("Quenby", "Josephine");
    other["birth_date"] = json!("1992-11-03");
    other["phone"] = json!("(555) 404-7788");
    let dup = register(&server, &frontdesk, &other).await;
    let dup_id = dup["id"].as_str().expect("id");

    // The bookkeeper sees no patients.
    server.api(Method::GET, "/api/v1/patients", Some(&bookkeeper), None).await.problem(403);
    server.api(Method::GET, "/api/v1/patients?q=Fennimore", Some(&bookkeeper), None).await.problem(403);
    server.api(Method::GET, &format!("/api/v1/patients/{id}"), Some(&bookkeeper), None).await.problem(403);
    server.api(Method::GET, &format!("/api/v1/patients/{id}/coverages"), Some(&bookkeeper), None).await.problem(403);
    server.api(Method::POST, "/api/v1/patients", Some(&bookkeeper), Some(&patient_body("Nobody", "Anon"))).await.problem(403);

    // The doctor reads but does not register or edit.
    let read = server.api(Method::GET, &format!("/api/v1/patients/{id}"), Some(&doctor), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["family_name"], "Fennimore");
    let found = server.api(Method::GET, "/api/v1/patients?q=Fennimore", Some(&doctor), None).await;
    assert_eq!(found.status, StatusCode::OK);
    let before = server.patient_count().await;
    server.api(Method::POST, "/api/v1/patients", Some(&doctor), Some(&patient_body("Nobody", "Anon"))).await.problem(403);
    assert_eq!(server.patient_count().await, before);
    let mut edit = patient_body("Fennimore", "Beatrix");
    edit["version"] = p["version"].clone();
    server.api(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&doctor), Some(&edit)).await.problem(403);

    // Only the admin merges.
    let merge = json!({"merged_id": dup_id});
    let merge_path = format!("/api/v1/patients/{id}/merge");
    for token in [&frontdesk, &biller, &doctor, &bookkeeper] {
        server.api(Method::POST, &merge_path, Some(token), Some(&merge)).await.problem(403);
    }
    let still = server.api(Method::GET, &format!("/api/v1/patients/{dup_id}"), Some(&admin), None).await;
    assert!(still.json()["merged_into"].is_null(), "a refused merge merged: {}", still.text());
    let merged = server.api(Method::POST, &merge_path, Some(&admin), Some(&merge)).await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.text());
    assert_eq!(merged.json()["id"], id);
    let folded = server.api(Method::GET, &format!("/api/v1/patients/{dup_id}"), Some(&admin), None).await;
    assert_eq!(folded.json()["merged_into"], id, "{}", folded.text());
    // Merging a patient into itself is a validation error, not a server error.
    let self_merge = server.api(Method::POST, &merge_path, Some(&admin), Some(&json!({"merged_id": id}))).await.problem(422);
    assert!(!self_merge["errors"].as_array().map(Vec::is_empty).unwrap_or(true));
}

#[tokio::test]
async fn payers_and_providers_are_lists_with_ids_names_and_valid_npis_for_every_role() {
    let server = spawn().await;
    for user in ["admin", "frontdesk", "biller", "bookkeeper", "doctor"] {
        let token = server.token(user).await;
        let payers = server.api(Method::GET, "/api/v1/payers", Some(&token), None).await;
        assert_eq!(payers.status, StatusCode::OK, "{user}: {}", payers.text());
        let doc = payers.json();
        assert!(doc["next"].is_null(), "{doc}");
        let items = doc["items"].as_array().expect("payer items");
        assert!(!items.is_empty(), "the demo has payers");
        for payer in items {
            assert!(payer["id"].as_str().is_some_and(|s| !s.is_empty()), "{payer}");
            assert!(payer["name"].as_str().is_some_and(|s| !s.is_empty()), "{payer}");
        }

        let providers = server.api(Method::GET, "/api/v1/providers", Some(&token), None).await;
        assert_eq!(providers.status, StatusCode::OK, "{user}: {}", providers.text());
        let doc = providers.json();
        assert!(doc["next"].is_null(), "{doc}");
        let items = doc["items"].as_array().expect("provider items");
        assert!(!items.is_empty(), "the demo has providers");
        for provider in items {
            assert!(provider["id"].as_str().is_some_and(|s| !s.is_empty()), "{provider}");
            assert!(provider["name"].as_str().is_some_and(|s| !s.is_empty()), "{provider}");
            let npi = provider["npi"].as_str().expect("npi is a string");
            assert!(valid_npi(npi), "not a valid NPI: {npi}");
        }
    }
    server.api(Method::GET, "/api/v1/payers", None, None).await.problem(401);
    server.api(Method::GET, "/api/v1/providers", None, None).await.problem(401);
}
