//! Bad input is answered with a problem document (4xx), never with a server error.

use crate::harness::{Server, error_fields, first_payer_id, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// One bad request: what it is, its content type, its body, and what the answer must be.
struct Case {
    label: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// The exact status, or `None` for any 4xx.
    status: Option<u16>,
    /// A field that the problem's `errors` must name (validation errors).
    field: Option<&'static str>,
}

fn json_case(label: &str, body: Value, status: u16, field: Option<&'static str>) -> Case {
    Case {
        label: label.to_string(),
        content_type: Some("application/json"),
        body: body.to_string().into_bytes(),
        status: Some(status),
        field,
    }
}

fn raw_case(label: &str, content_type: Option<&'static str>, body: &[u8], status: Option<u16>) -> Case {
    Case { label: label.to_string(), content_type, body: body.to_vec(), status, field: None }
}

/// `base` with `value` at the path (`address.state` sets a member of `address`).
fn with(base: &Value, path: &str, value: Value) -> Value {
    let mut v = base.clone();
    let mut target = &mut v;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        target = &mut target[*part];
    }
    target[parts[parts.len() - 1]] = value;
    v
}

/// `base` without the member `key`.
fn without(base: &Value, key: &str) -> Value {
    let mut v = base.clone();
    v.as_object_mut().expect("object").remove(key);
    v
}

/// The body-shape cases every JSON endpoint must refuse cleanly.
fn shape_cases() -> Vec<Case> {
    vec![
        raw_case("empty body", Some("application/json"), b"", Some(400)),
        raw_case("not JSON", Some("application/json"), b"family_name=Smith", Some(400)),
        raw_case("truncated JSON", Some("application/json"), b"{\"family_name\": \"Sm", Some(400)),
        raw_case("JSON with a raw control byte", Some("application/json"), b"{\"family_name\": \"Sm\x00ith\"}", Some(400)),
        raw_case("invalid UTF-8", Some("application/json"), b"{\"family_name\": \"\xff\xfe\"}", None),
        raw_case("wrong content type", Some("text/plain"), br#"{"family_name": "Smith"}"#, Some(415)),
        raw_case("form content type", Some("application/x-www-form-urlencoded"), b"family_name=Smith", Some(415)),
        raw_case("no content type", None, br#"{"family_name": "Smith"}"#, Some(415)),
        json_case("an array instead of an object", json!([{"family_name": "Smith"}]), 422, None),
        json_case("a string instead of an object", json!("Smith"), 422, None),
        json_case("null instead of an object", Value::Null, 422, None),
        json_case("a number instead of an object", json!(42), 422, None),
    ]
}

/// Sends every case; collects what went wrong instead of stopping at the first.
async fn check_cases(server: &Server, token: &str, method: Method, path: &str, cases: Vec<Case>) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let reply = server.api_raw(method.clone(), path, token, case.content_type, case.body.clone()).await;
        let label = format!("{method} {path} [{}]", case.label);
        let status = reply.status.as_u16();
        if !(400..500).contains(&status) {
            failures.push(format!("{label}: status {status} (want 4xx): {}", reply.text()));
            continue;
        }
        if let Some(want) = case.status
            && want != status
        {
            failures.push(format!("{label}: status {status}, want {want}: {}", reply.text()));
            continue;
        }
        if !reply.content_type().starts_with("application/problem+json") {
            failures.push(format!("{label}: content type '{}' (want application/problem+json)", reply.content_type()));
            continue;
        }
        let doc: Value = match serde_json::from_slice(&reply.body) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{label}: problem is not JSON ({e}): {}", reply.text()));
                continue;
            }
        };
        if doc["status"].as_u64() != Some(u64::from(status))
            || doc["title"].as_str().is_none_or(str::is_empty)
            || doc["detail"].as_str().is_none_or(str::is_empty)
        {
            failures.push(format!("{label}: problem lacks status/title/detail: {doc}"));
            continue;
        }
        if status == 422 {
            let errors = doc["errors"].as_array();
            let named = errors.is_some_and(|a| {
                !a.is_empty()
                    && a.iter()
                        .all(|e| e["field"].as_str().is_some_and(|f| !f.is_empty()) && e["message"].as_str().is_some_and(|m| !m.is_empty()))
            });
            if !named {
                failures.push(format!("{label}: a validation problem without an errors array of field/message: {doc}"));
                continue;
            }
            // The message says what is wrong; it does not repeat the field's name.
            let repeats = errors.into_iter().flatten().any(|e| {
                let field = e["field"].as_str().unwrap_or("");
                e["message"].as_str().is_some_and(|m| m.starts_with(&format!("{field}: ")))
            });
            if repeats {
                failures.push(format!("{label}: a message repeats its field: {doc}"));
                continue;
            }
        }
        if let Some(field) = case.field
            && !error_fields(&doc).iter().any(|f| f == field)
        {
            failures.push(format!("{label}: errors do not name '{field}': {doc}"));
        }
    }
    failures
}

/// Bad patient bodies: wrong types, missing fields, impossible values, junk.
fn patient_cases(base: &Value) -> Vec<Case> {
    let huge = "x".repeat(10_000);
    let mut cases = vec![
        json_case("empty object", json!({}), 422, Some("family_name")),
        json_case("missing family name", without(base, "family_name"), 422, Some("family_name")),
        json_case("missing birth date", without(base, "birth_date"), 422, Some("birth_date")),
        json_case("missing sex", without(base, "sex"), 422, Some("sex")),
        json_case("family name null", with(base, "family_name", Value::Null), 422, Some("family_name")),
        json_case("family name a number", with(base, "family_name", json!(42)), 422, Some("family_name")),
        json_case("given name an array", with(base, "given_name", json!(["Ada"])), 422, Some("given_name")),
        json_case("birth date an object", with(base, "birth_date", json!({"y": 1980})), 422, Some("birth_date")),
        json_case("sex a boolean", with(base, "sex", json!(true)), 422, Some("sex")),
        json_case("address a string", with(base, "address", json!("12 Elm St, Albany NY")), 422, Some("address")),
        // serde reads an array as the struct's members in order: line1 only, so the rest is missing.
        json_case("address an array", with(base, "address", json!(["12 Elm St"])), 422, Some("address.city")),
        json_case("address line1 a number", with(base, "address.line1", json!(12)), 422, Some("address.line1")),
        json_case("confirm_new a string", with(base, "confirm_new", json!("yes")), 422, Some("confirm_new")),
        json_case("impossible date", with(base, "birth_date", json!("2026-02-30")), 422, Some("birth_date")),
        json_case("month 13", with(base, "birth_date", json!("1980-13-01")), 422, Some("birth_date")),
        json_case("birth date in the future", with(base, "birth_date", json!("2999-01-01")), 422, Some("birth_date")),
        json_case("birth date 200 years ago", with(base, "birth_date", json!("1800-01-01")), 422, Some("birth_date")),
        json_case("birth date not a date", with(base, "birth_date", json!("yesterday")), 422, Some("birth_date")),
        json_case("unknown sex", with(base, "sex", json!("banana")), 422, Some("sex")),
        json_case("phone with letters", with(base, "phone", json!("555-CALL-NOW")), 422, Some("phone")),
        json_case("phone too short", with(base, "phone", json!("555-1234")), 422, Some("phone")),
        json_case("phone area code 0", with(base, "phone", json!("(055) 201-3344")), 422, Some("phone")),
        json_case("mobile phone junk", with(base, "phone_mobile", json!("+44 20 7946 0958 ext 9")), 422, Some("phone_mobile")),
        json_case("email without @", with(base, "email", json!("ada.example.com")), 422, Some("email")),
        json_case("email with a space", with(base, "email", json!("ada lovelace@example.com")), 422, Some("email")),
        json_case("email without a domain dot", with(base, "email", json!("ada@localhost")), 422, Some("email")),
        json_case("unknown state", with(base, "address.state", json!("XX")), 422, Some("address.state")),
        json_case("state spelled out", with(base, "address.state", json!("New York")), 422, Some("address.state")),
        json_case("zip too short", with(base, "address.postal_code", json!("1220")), 422, Some("address.postal_code")),
        json_case("zip with letters", with(base, "address.postal_code", json!("SW1A 1AA")), 422, Some("address.postal_code")),
        json_case("address without a city", with(base, "address.city", json!("")), 422, Some("address.city")),
        json_case("10k family name", with(base, "family_name", json!(huge)), 422, Some("family_name")),
        json_case("10k given name", with(base, "given_name", json!(huge)), 422, Some("given_name")),
        json_case("10k address line", with(base, "address.line1", json!(huge)), 422, Some("address.line1")),
        json_case("10k email", with(base, "email", json!(format!("{huge}@example.com"))), 422, Some("email")),
        json_case("10k phone", with(base, "phone", json!("5".repeat(10_000))), 422, Some("phone")),
        json_case("10k birth date", with(base, "birth_date", json!(huge)), 422, Some("birth_date")),
        json_case("emoji name", with(base, "family_name", json!("💉🩺🦠")), 422, Some("family_name")),
        json_case("right-to-left override", with(base, "given_name", json!("Ada\u{202e}evil")), 422, Some("given_name")),
        json_case("zero-width joiners only", with(base, "family_name", json!("\u{200d}\u{200d}")), 422, Some("family_name")),
        json_case("digits as a name", with(base, "family_name", json!("12345")), 422, Some("family_name")),
        json_case("markup as a name", with(base, "family_name", json!("<b>Smith</b>")), 422, Some("family_name")),
        json_case("SQL as a name", with(base, "family_name", json!("Smith'); DROP TABLE patients;--")), 422, Some("family_name")),
        json_case("null byte in a name", with(base, "family_name", json!("Smi\u{0}th")), 422, Some("family_name")),
        json_case("null byte in an email", with(base, "email", json!("ada\u{0}@example.com")), 422, Some("email")),
        json_case("null byte in a phone", with(base, "phone", json!("555201\u{0}3344")), 422, Some("phone")),
        json_case("null byte as the state", with(base, "address.state", json!("\u{0}")), 422, None),
        json_case("lone surrogate escape", with(base, "family_name", json!("\u{fffd}")), 422, Some("family_name")),
        json_case("preferred contact unknown", with(base, "preferred_contact", json!("pigeon")), 422, Some("preferred_contact")),
        json_case("preferred phone unknown", with(base, "preferred_phone", json!("satellite")), 422, Some("preferred_phone")),
        json_case(
            "guarantor without a name",
            with(base, "guarantor", json!({"relationship": "parent"})),
            422,
            Some("guarantor.family_name"),
        ),
        json_case("guarantor a number", with(base, "guarantor", json!(7)), 422, Some("guarantor")),
    ];
    cases.extend(shape_cases());
    // A JSON escape for a lone surrogate is not valid Unicode: serde refuses it.
    cases.push(raw_case("lone surrogate in JSON", Some("application/json"), br#"{"family_name": "\ud800"}"#, None));
    cases.push(raw_case(
        "deeply nested JSON",
        Some("application/json"),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
        None,
    ));
    cases
}

#[tokio::test]
async fn bad_patient_registrations_answer_4xx_problems_naming_the_field_and_register_nobody() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let before = server.patient_count().await;
    let base = patient_body("Brightwater", "Olive");
    let failures = check_cases(&server, &token, Method::POST, "/api/v1/patients", patient_cases(&base)).await;
    assert!(failures.is_empty(), "{} bad answers:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(server.patient_count().await, before, "a bad registration registered someone");
}

#[tokio::test]
async fn bad_patient_edits_answer_4xx_problems_and_change_nothing() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let p = register(&server, &token, &patient_body("Brightwater", "Olive")).await;
    let id = p["id"].as_str().expect("id");
    let path = format!("/api/v1/patients/{id}");
    let mut base = patient_body("Brightwater", "Olive");
    base["version"] = p["version"].clone();

    let mut cases = patient_cases(&base);
    cases.retain(|c| !c.label.starts_with("confirm_new") && c.label != "empty object");
    cases.push(json_case("only a version", json!({"version": base["version"]}), 422, Some("family_name")));
    cases.push(json_case("no version", without(&base, "version"), 422, Some("version")));
    cases.push(json_case("version a string", with(&base, "version", json!("one")), 422, Some("version")));
    cases.push(json_case("version a fraction", with(&base, "version", json!(1.5)), 422, Some("version")));
    cases.push(json_case("version beyond i64", with(&base, "version", json!(u64::MAX)), 422, Some("version")));
    let mut failures = check_cases(&server, &token, Method::PUT, &path, cases).await;
    // An unknown patient is 404, a malformed id too: never a 5xx.
    for bad_id in ["no-such-patient", "%00", "..%2F..%2Fetc", &"9".repeat(5000)] {
        let reply =
            server.api_raw(Method::PUT, &format!("/api/v1/patients/{bad_id}"), &token, Some("application/json"), base.to_string()).await;
        if !reply.status.is_client_error() || !reply.content_type().starts_with("application/problem+json") {
            failures.push(format!("PUT unknown patient {bad_id:.20}: {} {}", reply.status, reply.text()));
        }
    }
    assert!(failures.is_empty(), "{} bad answers:\n{}", failures.len(), failures.join("\n"));

    let read = server.api(Method::GET, &path, Some(&token), None).await;
    assert_eq!(read.status, StatusCode::OK);
    let r = read.json();
    assert_eq!(r["version"], p["version"], "a bad edit changed the patient: {r}");
    assert_eq!(r["family_name"], "Brightwater");
    assert_eq!(r["email"], "ada@example.com");
}

#[tokio::test]
async fn bad_coverages_answer_4xx_problems_naming_the_field_including_dates_out_of_order_and_a_second_primary() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let p = register(&server, &token, &patient_body("Brightwater", "Olive")).await;
    let id = p["id"].as_str().expect("id");
    let path = format!("/api/v1/patients/{id}/coverages");
    let payer_id = first_payer_id(&server, &token).await;
    let base = json!({"payer_id": payer_id, "member_id": "ABC123456", "priority": "1", "relationship_to_subscriber": "self",
        "copay_cents": 2000, "start_date": "2024-01-01"});

    let huge = "x".repeat(10_000);
    let mut cases = vec![
        json_case("empty object", json!({}), 422, Some("payer_id")),
        json_case("missing member id", without(&base, "member_id"), 422, Some("member_id")),
        json_case("missing start date", without(&base, "start_date"), 422, Some("start_date")),
        json_case("unknown payer", with(&base, "payer_id", json!("no-such-payer")), 422, Some("payer_id")),
        json_case("payer id a number", with(&base, "payer_id", json!(12)), 422, Some("payer_id")),
        json_case("copay cents a string", with(&base, "copay_cents", json!("twenty")), 422, Some("copay_cents")),
        json_case("copay cents a fraction", with(&base, "copay_cents", json!(20.5)), 422, Some("copay_cents")),
        json_case("negative copay", with(&base, "copay_cents", json!(-500)), 422, Some("copay_cents")),
        json_case("absurd copay", with(&base, "copay_cents", json!(i64::MAX)), 422, Some("copay_cents")),
        json_case("copay in dollars with junk", without(&with(&base, "copay", json!("$2O.00")), "copay_cents"), 422, Some("copay")),
        json_case("priority 7", with(&base, "priority", json!("7")), 422, Some("priority")),
        json_case("priority junk", with(&base, "priority", json!("first!")), 422, Some("priority")),
        json_case(
            "relationship unknown",
            with(&base, "relationship_to_subscriber", json!("cousin")),
            422,
            Some("relationship_to_subscriber"),
        ),
        json_case(
            "child without a subscriber",
            with(&base, "relationship_to_subscriber", json!("child")),
            422,
            Some("subscriber_family_name"),
        ),
        json_case("impossible start date", with(&base, "start_date", json!("2026-02-30")), 422, Some("start_date")),
        json_case("impossible end date", with(&base, "end_date", json!("2026-04-31")), 422, Some("end_date")),
        json_case("start date not a date", with(&base, "start_date", json!("soon")), 422, Some("start_date")),
        json_case("dates out of order", with(&base, "end_date", json!("2023-12-31")), 422, Some("end_date")),
        json_case("member id with spaces and symbols", with(&base, "member_id", json!("ABC 123 !!")), 422, Some("member_id")),
        json_case("member id with a null byte", with(&base, "member_id", json!("ABC\u{0}123")), 422, Some("member_id")),
        json_case("member id of 10k", with(&base, "member_id", json!(huge)), 422, Some("member_id")),
        json_case("group number of emoji", with(&base, "group_number", json!("🦠🦠🦠")), 422, Some("group_number")),
        json_case("plan name of 10k", with(&base, "plan_name", json!(huge)), 422, Some("plan_name")),
    ];
    cases.extend(shape_cases());
    let mut failures = check_cases(&server, &token, Method::POST, &path, cases).await;

    // Coverages of unknown patients: 404 (or 422), never 5xx.
    let unknown = server.api(Method::POST, "/api/v1/patients/no-such-patient/coverages", Some(&token), Some(&base)).await;
    if !unknown.status.is_client_error() || !unknown.content_type().starts_with("application/problem+json") {
        failures.push(format!("coverage of an unknown patient: {} {}", unknown.status, unknown.text()));
    }
    assert!(failures.is_empty(), "{} bad answers:\n{}", failures.len(), failures.join("\n"));

    // Dates out of order, checked on their own: 422 naming end_date.
    let reversed = with(&with(&base, "start_date", json!("2025-06-01")), "end_date", json!("2025-01-01"));
    let doc = server.api(Method::POST, &path, Some(&token), Some(&reversed)).await.problem(422);
    assert!(error_fields(&doc).contains(&"end_date".to_string()), "{doc}");

    // A primary, then a second primary overlapping it: 422 naming priority.
    let first = server.api(Method::POST, &path, Some(&token), Some(&base)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let overlapping = with(&with(&base, "member_id", json!("ZZZ999999")), "start_date", json!("2025-03-01"));
    let doc = server.api(Method::POST, &path, Some(&token), Some(&overlapping)).await.problem(422);
    assert!(error_fields(&doc).contains(&"priority".to_string()), "{doc}");

    // The patient has exactly the one good coverage.
    let read = server.api(Method::GET, &format!("/api/v1/patients/{id}"), Some(&token), None).await;
    let coverages = read.json()["coverages"].as_array().cloned().unwrap_or_default();
    assert_eq!(coverages.len(), 1, "{coverages:?}");
    assert_eq!(coverages[0]["member_id"], "ABC123456");
}

/// Control characters in free text (address lines, language, suffix, plan name) are refused with
/// the field named: they break printed forms and X12 files, and PostgreSQL cannot store a NUL.
#[tokio::test]
async fn control_characters_in_free_text_are_refused_as_validation_errors() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let before = server.patient_count().await;
    let mut base = patient_body("Brightwater", "Olive");
    base["confirm_new"] = json!(true);
    let cases = vec![
        json_case("null byte in address line 1", with(&base, "address.line1", json!("12 Elm\u{0} St")), 422, Some("address.line1")),
        json_case("null byte in address line 2", with(&base, "address.line2", json!("Apt\u{0}2")), 422, Some("address.line2")),
        json_case("escape sequence in the language", with(&base, "language", json!("English\u{1b}[31m")), 422, Some("language")),
        json_case("null byte in the suffix", with(&base, "suffix", json!("Jr\u{0}")), 422, Some("suffix")),
    ];
    let failures = check_cases(&server, &token, Method::POST, "/api/v1/patients", cases).await;
    assert!(failures.is_empty(), "{} bad answers:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(server.patient_count().await, before);
}
