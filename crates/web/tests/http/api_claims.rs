//! Encounters and claims through the API: a superbill refused with its fields named, then opened,
//! its charges posted into a draft claim found in the worklist and read with what the scrubber
//! found; the front desk refused.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_encounter_is_coded_charged_and_its_claim_read_through_the_api() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let token = server.token("biller").await;
    let body = |diagnosis: &str, pointers: &str| {
        json!({
            "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": yesterday,
            "place_of_service": "11", "diagnoses": [diagnosis],
            "lines": [{"procedure_code": "99213", "units": "1", "pointers": pointers}]
        })
    };

    // A category is not a billable code; a pointer past the list names its line.
    let refused = server.api(Method::POST, "/api/v1/encounters", Some(&token), Some(&body("J02", "3"))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    let fields = error_fields(&refused.json());
    assert!(fields.contains(&"diagnoses[0]".to_string()) && fields.contains(&"lines[0].pointers".to_string()), "{fields:?}");

    let opened = server.api(Method::POST, "/api/v1/encounters", Some(&token), Some(&body("J06.9", "1"))).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let encounter_id = opened.json()["id"].as_str().expect("the encounter's id").to_string();
    let read = server.api(Method::GET, &format!("/api/v1/encounters/{encounter_id}"), Some(&token), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());

    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(&token), None).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    let posted = posted.json();
    assert!(posted["total_cents"].as_i64().expect("a total") > 0, "{posted}");
    assert_eq!(posted["already_posted"], false);
    let claim_id = posted["claim_id"].as_str().expect("a claim for the insured patient").to_string();
    let again = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(&token), None).await.json();
    assert_eq!((again["already_posted"].clone(), again["claim_id"].clone()), (json!(true), json!(claim_id)), "posted once");

    let worklist = server.api(Method::GET, "/api/v1/claims", Some(&token), None).await;
    assert_eq!(worklist.status, StatusCode::OK, "{}", worklist.text());
    let listed = worklist.json()["claims"].as_array().expect("claims").iter().any(|c| c["id"] == json!(claim_id));
    assert!(listed, "the worklist lists the new claim: {}", worklist.text());
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await;
    assert_eq!(claim.status, StatusCode::OK, "{}", claim.text());
    let claim = claim.json();
    assert_eq!(claim["claim"]["encounter_id"], json!(encounter_id));
    assert!(claim["history"].as_array().is_some_and(|h| !h.is_empty()), "the claim's history: {claim}");

    let missing = server.api(Method::GET, "/api/v1/claims/no-such-claim", Some(&token), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let desk = server.token("frontdesk").await;
    let denied = server.api(Method::POST, "/api/v1/encounters", Some(&desk), Some(&body("J06.9", "1"))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text());
    assert_eq!(server.api(Method::GET, "/api/v1/claims", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
}
