//! Registering, reading, finding and editing patients through the API.

use crate::harness::{first_payer_id, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_registered_patient_answers_201_and_can_be_read_with_coverages_and_found_by_part_of_the_name() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;

    let created = server.api(Method::POST, "/api/v1/patients", Some(&token), Some(&patient_body("Quillfeather", "Ada"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert!(created.content_type().starts_with("application/json"), "{}", created.content_type());
    let p = created.json();
    let id = p["id"].as_str().expect("id is a string").to_string();
    assert!(!id.is_empty());
    let mrn = p["mrn"].as_str().expect("mrn");
    assert!(mrn.len() == 8 && mrn.chars().all(|c| c.is_ascii_digit()), "mrn {mrn}");
    assert_eq!(p["family_name"], "Quillfeather");
    assert_eq!(p["given_name"], "Ada");
    assert_eq!(p["birth_date"], "1980-04-12");
    assert_eq!(p["sex"], "female");
    assert_eq!(p["phone"], "(555) 201-3344");
    assert_eq!(p["email"], "ada@example.com");
    assert_eq!(p["address"], json!({"line1": "12 Elm St", "line2": "Apt 2", "city": "Albany", "state": "NY", "postal_code": "12207"}));

    // Insurance, so the chart has a coverage to show.
    let payer_id = first_payer_id(&server, &token).await;
    let coverage = json!({"payer_id": payer_id, "member_id": "XQZ123456", "group_number": "G-77", "priority": "1",
        "relationship_to_subscriber": "self", "copay_cents": 2500, "start_date": "2024-01-01"});
    let added = server.api(Method::POST, &format!("/api/v1/patients/{id}/coverages"), Some(&token), Some(&coverage)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let c = added.json();
    assert_eq!(c["payer_id"], payer_id.as_str());
    assert_eq!(c["member_id"], "XQZ123456");
    assert_eq!(c["group_number"], "G-77");
    assert_eq!(c["priority"], 1);
    assert_eq!(c["relationship_to_subscriber"], "self");
    assert_eq!(c["copay_cents"], 2500);
    assert_eq!(c["start_date"], "2024-01-01");
    assert_eq!(c["end_date"], serde_json::Value::Null);

    let read = server.api(Method::GET, &format!("/api/v1/patients/{id}"), Some(&token), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    let r = read.json();
    assert_eq!(r["id"], id.as_str());
    assert_eq!(r["mrn"], mrn);
    assert_eq!(r["family_name"], "Quillfeather");
    assert_eq!(r["address"]["postal_code"], "12207");
    let coverages = r["coverages"].as_array().expect("coverages array");
    assert_eq!(coverages.len(), 1, "{r}");
    assert_eq!(coverages[0]["member_id"], "XQZ123456");
    assert_eq!(coverages[0]["payer_id"], payer_id.as_str());

    let listed = server.api(Method::GET, &format!("/api/v1/patients/{id}/coverages"), Some(&token), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
    assert_eq!(listed.json()["items"][0]["member_id"], "XQZ123456");

    let found = server.api(Method::GET, "/api/v1/patients?q=Quillfea", Some(&token), None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let page = found.json();
    assert!(page["next"].is_null(), "{page}");
    let items = page["items"].as_array().expect("items array");
    assert!(items.iter().any(|i| i["id"] == id.as_str() && i["family_name"] == "Quillfeather"), "{page}");
}

#[tokio::test]
async fn registering_the_same_name_and_birth_date_twice_answers_409_with_candidates_until_confirmed() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let first = register(&server, &token, &patient_body("Thistlewood", "Marguerite")).await;
    let count = server.patient_count().await;

    let again = server.api(Method::POST, "/api/v1/patients", Some(&token), Some(&patient_body("Thistlewood", "Marguerite"))).await;
    let doc = again.problem(409);
    let candidates = doc["candidates"].as_array().expect("candidates");
    assert!(candidates.iter().any(|c| c["patient"]["id"] == first["id"]), "{doc}");
    assert_eq!(server.patient_count().await, count, "nobody registered on 409");

    let mut confirmed = patient_body("Thistlewood", "Marguerite");
    confirmed["confirm_new"] = json!(true);
    let second = server.api(Method::POST, "/api/v1/patients", Some(&token), Some(&confirmed)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text());
    assert_ne!(second.json()["id"], first["id"]);
    assert_ne!(second.json()["mrn"], first["mrn"]);
    assert_eq!(server.patient_count().await, count + 1);
}

#[tokio::test]
async fn an_edit_with_a_stale_version_answers_409_and_changes_nothing() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let p = register(&server, &token, &patient_body("Ravensworth", "Clementine")).await;
    let id = p["id"].as_str().expect("id");
    let version = p["version"].as_i64().expect("version");

    let mut edit = patient_body("Ravensworth", "Clementine");
    edit["email"] = json!("clementine@example.org");
    edit["version"] = json!(version);
    let saved = server.api(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&token), Some(&edit)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.json()["email"], "clementine@example.org");
    assert!(saved.json()["version"].as_i64().expect("version") > version);

    // A second editor still holding the first version.
    let mut stale = patient_body("Ravensworth", "Clementine");
    stale["email"] = json!("someone.else@example.org");
    stale["version"] = json!(version);
    let refused = server.api(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&token), Some(&stale)).await;
    refused.problem(409);

    let read = server.api(Method::GET, &format!("/api/v1/patients/{id}"), Some(&token), None).await;
    assert_eq!(read.json()["email"], "clementine@example.org");

    // The current answer, changed and sent back (nulls and all), is a good edit.
    let mut current = read.json();
    current["email"] = json!(null);
    current["address"]["line2"] = json!(null);
    let saved = server.api(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&token), Some(&current)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.json()["email"], serde_json::Value::Null);
    assert_eq!(saved.json()["address"]["line2"], serde_json::Value::Null);
    assert_eq!(saved.json()["address"]["line1"], "12 Elm St");
    assert_eq!(saved.json()["phone"], "(555) 201-3344");
    // ... once: the version it carries is stale now.
    server.api(Method::PUT, &format!("/api/v1/patients/{id}"), Some(&token), Some(&current)).await.problem(409);
}

#[tokio::test]
async fn a_coverage_takes_priority_as_a_number_and_its_answer_can_be_sent_back_as_an_edit() {
    let server = spawn().await;
    let token = server.token("biller").await;
    let p = register(&server, &token, &patient_body("Marchbanks", "Eudora")).await;
    let id = p["id"].as_str().expect("id");
    let payer_id = first_payer_id(&server, &token).await;
    let path = format!("/api/v1/patients/{id}/coverages");

    let primary = json!({"payer_id": payer_id, "member_id": "MB100200", "priority": 1, "copay_cents": 1500, "start_date": "2023-01-01"});
    let added = server.api(Method::POST, &path, Some(&token), Some(&primary)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let mut coverage = added.json();
    assert_eq!(coverage["priority"], 1);
    assert_eq!(coverage["copay_cents"], 1500);

    let secondary = json!({"payer_id": payer_id, "member_id": "MB300400", "priority": "secondary", "start_date": "2023-01-01"});
    let added = server.api(Method::POST, &path, Some(&token), Some(&secondary)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json()["priority"], 2);

    // The answer, changed and sent back: the coverage ends.
    let coverage_id = coverage["id"].as_str().expect("coverage id").to_string();
    coverage["end_date"] = json!("2024-12-31");
    let edited = server.api(Method::PUT, &format!("{path}/{coverage_id}"), Some(&token), Some(&coverage)).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["end_date"], "2024-12-31");
    assert_eq!(edited.json()["member_id"], "MB100200");

    // Out of order on edit too.
    coverage["end_date"] = json!("2022-12-31");
    let doc = server.api(Method::PUT, &format!("{path}/{coverage_id}"), Some(&token), Some(&coverage)).await.problem(422);
    assert!(crate::harness::error_fields(&doc).contains(&"end_date".to_string()), "{doc}");
    // A priority that is no priority.
    coverage["end_date"] = json!(null);
    coverage["priority"] = json!(4);
    let doc = server.api(Method::PUT, &format!("{path}/{coverage_id}"), Some(&token), Some(&coverage)).await.problem(422);
    assert!(crate::harness::error_fields(&doc).contains(&"priority".to_string()), "{doc}");
    // An unknown coverage of this patient.
    coverage["priority"] = json!(1);
    server.api(Method::PUT, &format!("{path}/no-such-coverage"), Some(&token), Some(&coverage)).await.problem(404);

    let read = server.api(Method::GET, &path, Some(&token), None).await.json();
    let items = read["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{read}");
    let first = items.iter().find(|c| c["id"] == coverage_id.as_str()).expect("the edited coverage");
    assert_eq!(first["end_date"], "2024-12-31");
}
