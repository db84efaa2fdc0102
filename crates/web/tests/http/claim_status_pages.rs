//! Claim status over HTTP: a sent claim asked about through the API (a 276 file to download),
//! the payer's 277 imported through the API and shown on the claim's page as "Payer says" with
//! the denial in the warning style; a garbage file refused on `file`; the claim page's button and
//! the claims list's "ask about aged claims" action; the front desk refused.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

async fn exec(server: &crate::harness::Server, sql: &str, value: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(value).execute(server.app.store.pool()).await.unwrap();
}

fn answer_277(trace: &str) -> String {
    let body = [
        "BHT*0010*08*R1*20260716*0900*DG".to_string(),
        "HL*1**20*1".into(),
        "NM1*PR*2*PAYER*****PI*P1".into(),
        "HL*2*1*21*1".into(),
        "NM1*41*2*PRACTICE*****46*SUB123".into(),
        "HL*3*2*19*1".into(),
        "NM1*1P*2*PRACTICE*****XX*1234567893".into(),
        "HL*4*3*22*0".into(),
        "NM1*IL*1*DOE*JANE****MI*M1".into(),
        format!("TRN*2*{trace}"),
        "STC*F2:88:IL*20260710**150*0".into(),
        "REF*1K*PAYER-CLAIM-9".into(),
    ];
    let n = body.len() + 2;
    format!(
        "ISA*00*          *00*          *ZZ*P1             *ZZ*SUB123         *260716*0900*^*00501*000000777*0*T*:~\
         GS*HN*P1*SUB123*20260716*0900*777*X*005010X212~ST*277*0001*005010X212~{}~SE*{n}*0001~GE*1*777~IEA*1*000000777~",
        body.join("~")
    )
}

#[tokio::test]
async fn a_sent_claim_is_asked_about_and_the_payers_answer_shows_on_its_page() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let token = server.token("biller").await;
    let encounter = json!({
        "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": yesterday,
        "place_of_service": "11", "diagnoses": ["J06.9"], "lines": [{"procedure_code": "99213", "units": "1", "pointers": "1"}]
    });
    let opened = server.api(Method::POST, "/api/v1/encounters", Some(&token), Some(&encounter)).await.json();
    let encounter_id = opened["id"].as_str().expect("an encounter").to_string();
    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(&token), None).await.json();
    let claim_id = posted["claim_id"].as_str().expect("a claim").to_string();

    // A draft is refused on claim_id.
    let ask = json!({"claim_id": claim_id});
    let refused = server.api(Method::POST, "/api/v1/claim-status/requests", Some(&token), Some(&ask)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert_eq!(error_fields(&refused.json()), ["claim_id"]);

    // Sent (the export's path is the claims tests'): the practice's submitter id, the claim sent.
    exec(&server, "UPDATE practice SET submitter_id = $1", "SUB123").await;
    exec(&server, "UPDATE claim SET status = 'sent' WHERE id = $1", &claim_id).await;
    let asked = server.api(Method::POST, "/api/v1/claim-status/requests", Some(&token), Some(&ask)).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text());
    let asked = asked.json();
    let request_id = asked["requests"][0]["id"].as_str().expect("a request").to_string();
    let trace = asked["requests"][0]["claims"][0]["trace_number"].as_str().expect("a trace number").to_string();
    let file = server.api(Method::GET, &format!("/api/v1/claim-status/requests/{request_id}"), Some(&token), None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.content_type(), "application/edi-x12");
    let text = file.text();
    assert!(text.contains("ST*276*0001*005010X212~BHT*0010*13*") && text.contains(&format!("TRN*1*{trace}~")), "{text}");

    // Garbage is refused naming why; the payer's answer is taken.
    let garbage = server.api_raw(Method::POST, "/api/v1/claim-status/responses", &token, Some("application/edi-x12"), "not x12").await;
    let problem = garbage.problem(422);
    assert_eq!(error_fields(&problem), ["file"]);
    assert!(problem.to_string().contains("not an X12 file"), "{problem}");
    let imported =
        server.api_raw(Method::POST, "/api/v1/claim-status/responses", &token, Some("application/edi-x12"), answer_277(&trace)).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.text());
    let imported = imported.json();
    assert_eq!((imported["claims_matched"].clone(), imported["claims_unmatched"].clone()), (json!(1), json!(0)));
    let says = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}/payer-says"), Some(&token), None).await.json();
    assert_eq!(says["answers"][0]["paid_cents"], json!(0));
    assert_eq!(says["answers"][0]["warning"], json!(true));

    // The claim's page: the answer in words, as a warning, and the button.
    let biller = server.login("biller").await;
    let page = server.get(&biller, &format!("/billing/claims/{claim_id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Payer says: finalized: denied: the entity is not eligible for benefits"), "{html}");
    assert!(html.contains("class=\"payer-says-warn\""), "{html}");
    assert!(html.contains("PAYER-CLAIM-9"), "{html}");
    assert!(html.contains("Ask payer for status (276)"), "{html}");
    let reply = server.post_form(&biller, &format!("/billing/claims/{claim_id}/ask-status"), &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(reply.location(), format!("/billing/claims/{claim_id}?notice=status_asked"));
    let list = server.get(&biller, "/billing/claim-status").await.text();
    assert_eq!(list.matches("/billing/claim-status/requests/").count(), 2, "{list}");
    assert!(server.get(&biller, "/billing/claims").await.text().contains("Ask status of claims older than 30 days"));
    // The OpenAPI document has the endpoints.
    let api_spec = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.text();
    assert!(api_spec.contains("/api/v1/claim-status/requests") && api_spec.contains("/api/v1/claim-status/responses"));

    let desk = server.token("frontdesk").await;
    let denied = server.api(Method::POST, "/api/v1/claim-status/requests", Some(&desk), Some(&ask)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text());
}
