//! Corrected and secondary claims over HTTP: the claim page of a paid claim offers "Correct or
//! void this claim" (the payer's claim number prefilled) and "Bill the secondary payer"; an EOB
//! that does not balance comes back with the message next to its line and the typed values kept;
//! a balanced one makes the linked secondary claim; the API answers the same use cases.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

fn dollars(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[tokio::test]
async fn a_paid_claim_is_corrected_and_billed_to_the_secondary_payer_from_its_page() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (_, _, provider_id) = insured_patient_and_provider(&server).await;
    // A patient with a primary coverage and no secondary one.
    let (patient_id,): (String,) = sqlx::query_as(
        "SELECT p.id FROM patient p JOIN coverage c ON c.practice_id = p.practice_id AND c.patient_id = p.id \
         WHERE c.priority = 1 AND c.end_date IS NULL AND NOT EXISTS (SELECT 1 FROM coverage s WHERE s.practice_id = p.practice_id \
         AND s.patient_id = p.id AND s.priority = 2) ORDER BY p.id LIMIT 1",
    )
    .fetch_one(server.app.store.pool())
    .await
    .unwrap();
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let token = server.token("biller").await;
    let body = json!({
        "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": yesterday,
        "place_of_service": "11", "diagnoses": ["J06.9", "R05.9"],
        "lines": [{"procedure_code": "99213", "modifiers": "25", "pointers": "1,2"}, {"procedure_code": "99213", "pointers": "2"}]
    });
    let opened = server.api(Method::POST, "/api/v1/encounters", Some(&token), Some(&body)).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let encounter_id = opened.json()["id"].as_str().expect("id").to_string();
    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(&token), None).await.json();
    let claim_id = posted["claim_id"].as_str().expect("a claim").to_string();
    // The payer paid it and its 277CA gave the payer's claim number.
    sqlx::query("UPDATE claim SET status = 'paid', payer_claim_control_number = 'ICN-PAID-9' WHERE id = $1")
        .bind(&claim_id)
        .execute(server.app.store.pool())
        .await
        .unwrap();

    let biller = server.login("biller").await;
    let page = server.get(&biller, &format!("/billing/claims/{claim_id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Correct or void this claim") && html.contains("value=\"ICN-PAID-9\""), "{html}");
    assert!(!html.contains("Bill the secondary payer"), "no secondary coverage yet");

    // A secondary coverage with another payer.
    let desk = server.token("frontdesk").await;
    let payers = server.api(Method::GET, "/api/v1/payers", Some(&desk), None).await.json();
    let coverages = server.api(Method::GET, &format!("/api/v1/patients/{patient_id}/coverages"), Some(&desk), None).await.json();
    let primary_payer =
        coverages["items"].as_array().and_then(|a| a.iter().find(|c| c["priority"] == json!(1))).map(|c| c["payer_id"].clone());
    let other =
        payers["items"].as_array().expect("payers").iter().find(|p| Some(&p["id"]) != primary_payer.as_ref()).expect("another payer");
    let added = server
        .api(
            Method::POST,
            &format!("/api/v1/patients/{patient_id}/coverages"),
            Some(&desk),
            Some(&json!({"payer_id": other["id"], "member_id": "SEC123456", "priority": "2", "relationship_to_subscriber": "self",
                "copay_cents": 0, "start_date": "2020-01-01"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());

    let html = server.get(&biller, &format!("/billing/claims/{claim_id}")).await.text();
    assert!(html.contains("Bill the secondary payer") && html.contains("name=\"lines[1].adjustments[2].amount\""), "{html}");
    let detail = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await.json();
    let charges: Vec<i64> = detail["lines"].as_array().expect("lines").iter().map(|l| l["charge_cents"].as_i64().expect("cents")).collect();
    assert_eq!(charges.len(), 2);

    // Line 1 does not add up: the message by the line, the typed values kept.
    let paid: Vec<String> = charges.iter().map(|c| dollars(c / 2)).collect();
    let adjusted: Vec<String> = charges.iter().map(|c| dollars(c - c / 2)).collect();
    let total = dollars(charges.iter().map(|c| c / 2).sum());
    let mut fields = vec![
        ("paid_date", yesterday.as_str()),
        ("total_paid", total.as_str()),
        ("payer_claim_control_number", "ICN-PAID-9"),
        ("lines[0].paid", paid[0].as_str()),
        ("lines[0].paid_units", ""),
        ("lines[0].adjustments[0].group_code", "CO"),
        ("lines[0].adjustments[0].reason_code", "45"),
        ("lines[0].adjustments[0].amount", "0.01"),
        ("lines[0].adjustments[1].group_code", ""),
        ("lines[0].adjustments[1].reason_code", ""),
        ("lines[0].adjustments[1].amount", ""),
        ("lines[1].paid", paid[1].as_str()),
        ("lines[1].paid_units", ""),
        ("lines[1].adjustments[0].group_code", "PR"),
        ("lines[1].adjustments[0].reason_code", "2"),
        ("lines[1].adjustments[0].amount", adjusted[1].as_str()),
        ("claim_adjustments[0].group_code", ""),
        ("claim_adjustments[0].reason_code", ""),
        ("claim_adjustments[0].amount", ""),
    ];
    let reply = server.post_form(&biller, &format!("/billing/claims/{claim_id}/secondary"), &fields).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("must add up to it") && html.contains("value=\"0.01\""), "{html}");
    fields[7] = ("lines[0].adjustments[0].amount", adjusted[0].as_str());
    let reply = server.post_form(&biller, &format!("/billing/claims/{claim_id}/secondary"), &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.location().to_string();
    assert!(location.ends_with("?notice=secondary") && !location.contains(&claim_id), "{location}");
    let html = server.get(&biller, &location).await.text();
    assert!(html.contains("Secondary claim of") && html.contains(&format!("/billing/claims/{claim_id}")), "{html}");
    let html = server.get(&biller, &format!("/billing/claims/{claim_id}")).await.text();
    assert!(html.contains("The payer's adjudication"), "{html}");
    assert!(html.contains("data-relation=\"secondary_claim\""), "{html}");

    // The replacement from the page; a second one through the API is a conflict.
    let reply = server
        .post_form(
            &biller,
            &format!("/billing/claims/{claim_id}/correct"),
            &[("frequency_code", "7"), ("payer_claim_control_number", "ICN-PAID-9"), ("note", "wrong units")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let html = server.get(&biller, reply.location()).await.text();
    assert!(html.contains("Replaces") && html.contains("wrong units"), "{html}");
    let again =
        server.api(Method::POST, &format!("/api/v1/claims/{claim_id}/correct"), Some(&token), Some(&json!({"frequency_code": "8"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    let bad =
        server.api(Method::POST, &format!("/api/v1/claims/{claim_id}/correct"), Some(&token), Some(&json!({"frequency_code": "5"}))).await;
    assert_eq!(error_fields(&bad.problem(422)), ["frequency_code"]);
    let unbalanced = server
        .api(
            Method::POST,
            &format!("/api/v1/claims/{claim_id}/secondary"),
            Some(&token),
            Some(&json!({"paid_date": yesterday, "total_paid_cents": 1, "lines": [{"paid_cents": 1}, {"paid_cents": -1}]})),
        )
        .await;
    assert_eq!(error_fields(&unbalanced.problem(422)), ["lines[1].paid_cents"]);
    let denied = server.api(Method::POST, &format!("/api/v1/claims/{claim_id}/secondary"), Some(&desk), Some(&json!({}))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let doc = server.api(Method::GET, "/api/v1/openapi.json", Some(&token), None).await.json();
    for path in ["/api/v1/claims/{id}/correct", "/api/v1/claims/{id}/frequency", "/api/v1/claims/{id}/secondary"] {
        assert!(doc["paths"][path]["post"].is_object(), "{path} in the OpenAPI document");
    }
}
