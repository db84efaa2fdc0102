//! Paper claims over HTTP: the claim page links its CMS-1500 PDF (plain paper and red form), the
//! link and the API answer a PDF, a bad form choice is refused on `form`, the front desk is
//! refused, and the paper claims page and its OpenAPI entries exist.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_claim_page_links_its_cms1500_pdf_which_the_api_serves_too() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let token = server.token("biller").await;
    let body = json!({
        "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": yesterday,
        "place_of_service": "11", "diagnoses": ["J06.9"],
        "lines": [{"procedure_code": "99213", "units": "1", "pointers": "1"}]
    });
    let opened = server.api(Method::POST, "/api/v1/encounters", Some(&token), Some(&body)).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let encounter_id = opened.json()["id"].as_str().expect("the encounter's id").to_string();
    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(&token), None).await.json();
    let claim_id = posted["claim_id"].as_str().expect("a claim").to_string();

    // The claim page (a draft) links both forms; the link answers the PDF.
    let biller = server.login("biller").await;
    let page = server.get(&biller, &format!("/billing/claims/{claim_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let plain_link = format!("/billing/claims/{claim_id}/cms1500?form=plain");
    assert!(html.contains(&plain_link) && html.contains(&format!("/billing/claims/{claim_id}/cms1500?form=red")), "{html}");
    let pdf = server.get(&biller, &plain_link).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert!(pdf.header("content-disposition").is_some_and(|d| d.contains("CMS1500-MO")), "{:?}", pdf.headers);

    // The API: a PDF for the red form, 422 on a form it does not know, 403 for the front desk.
    let red = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}/cms1500?form=red"), Some(&token), None).await;
    assert_eq!(red.status, StatusCode::OK, "{}", red.text());
    assert_eq!(red.content_type(), "application/pdf");
    assert!(red.body.starts_with(b"%PDF-") && red.body != pdf.body);
    let bad = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}/cms1500?form=blue"), Some(&token), None).await;
    assert_eq!(error_fields(&bad.problem(422)), ["form"]);
    let desk = server.token("frontdesk").await;
    let denied = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}/cms1500"), Some(&desk), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let missing = server.api(Method::GET, "/api/v1/claims/no-such-claim/cms1500", Some(&token), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Nothing is ready on paper: the print run answers no print.
    let printed = server.api(Method::POST, "/api/v1/claims/paper-prints", Some(&token), Some(&json!({"form": "plain"}))).await;
    assert_eq!(printed.status, StatusCode::OK, "{}", printed.text());
    assert_eq!(printed.json()["print"], json!(null));

    // The paper claims page, linked from the worklist.
    let worklist = server.get(&biller, "/billing/claims").await.text();
    assert!(worklist.contains("/billing/paper-claims"), "{worklist}");
    let paper = server.get(&biller, "/billing/paper-claims").await;
    assert_eq!(paper.status, StatusCode::OK);
    assert!(paper.text().contains("Print paper claims (0)"), "{}", paper.text());

    let doc = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.json();
    for path in ["/api/v1/claims/{id}/cms1500", "/api/v1/claims/paper-prints", "/api/v1/claims/paper-prints/{id}/file"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is in the OpenAPI document");
    }
}
