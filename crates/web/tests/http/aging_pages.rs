//! Aging, AR metrics and family accounts over HTTP: the API's four aging reports tie to their
//! control accounts, bad input names its field, the front desk is refused; the pages show the tie
//! and download CSV; a patient payment on account lowers the report's total by its amount; the
//! guarantor is set on the family page and the family account shows both members.

use crate::billing_pages::insured_patient_and_provider;
use crate::harness::{error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_aging_reports_tie_over_the_api_and_on_the_pages() {
    let server = spawn().await;
    let (patient_id, _, _) = insured_patient_and_provider(&server).await;
    let biller = server.token("biller").await;
    let desk = server.token("frontdesk").await;

    let mut before = 0;
    for by in ["patient", "guarantor", "payer", "provider"] {
        let reply = server.api(Method::GET, &format!("/api/v1/receivables/aging?by={by}"), Some(&biller), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let r = reply.json();
        assert_eq!(r["by"], json!(by));
        assert_eq!(r["difference_cents"], json!(0), "{by}: {r}");
        assert_eq!(r["totals"]["total_cents"], r["control_cents"], "{by}");
        if by == "patient" {
            before = r["control_cents"].as_i64().unwrap();
        }
    }
    // A payment on account lowers AR - Patients, and the report with it.
    let pay = json!({"amount": "12.34", "method": "cash"});
    let paid = server.api(Method::POST, &format!("/api/v1/patients/{patient_id}/payments"), Some(&desk), Some(&pay)).await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text());
    let r = server.api(Method::GET, "/api/v1/receivables/aging?by=patient", Some(&biller), None).await.json();
    assert_eq!((r["totals"]["total_cents"].as_i64(), r["difference_cents"].as_i64()), (Some(before - 1234), Some(0)));
    let row = r["rows"].as_array().unwrap().iter().find(|row| row["key"] == json!(patient_id)).expect("the patient's row");
    assert_eq!(row["link"], json!(format!("/patients/{patient_id}/account")));

    let bad = server.api(Method::GET, "/api/v1/receivables/aging?by=vendor", Some(&biller), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    assert_eq!(error_fields(&bad.json()), ["by"]);
    let bad = server.api(Method::GET, "/api/v1/receivables/aging?as_of=yesterday", Some(&biller), None).await;
    assert_eq!(error_fields(&bad.json()), ["as_of"]);
    assert_eq!(server.api(Method::GET, "/api/v1/receivables/aging", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.api(Method::GET, "/api/v1/receivables/ar-metrics", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
    let m = server.api(Method::GET, "/api/v1/receivables/ar-metrics", Some(&biller), None).await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.text());
    let m = m.json();
    assert_eq!(m["ar_total_cents"].as_i64(), Some(m["ar_insurance_cents"].as_i64().unwrap() + m["ar_patients_cents"].as_i64().unwrap()));
    assert!(m["patient_payments_cents"].as_i64().unwrap() >= 1234, "{m}");
    let openapi = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.text();
    assert!(openapi.contains("/api/v1/receivables/aging") && openapi.contains("/api/v1/patients/{id}/guarantor"));

    // The pages.
    let browser = server.login("biller").await;
    let claims = server.get(&browser, "/billing/claims").await.text();
    assert!(claims.contains("href=\"/billing/aging\""), "linked from the billing pages");
    let page = server.get(&browser, "/billing/aging?by=payer").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("data-ties=\"yes\"") && html.contains("Ties to 1100 Accounts receivable - Insurance"), "{html}");
    assert!(html.contains("aria-current=\"page\">By payer"), "{html}");
    let page = server.get(&browser, "/billing/aging").await.text();
    assert!(page.contains("Ties to 1110 Accounts receivable - Patients") && page.contains('✓'), "{page}");
    assert!(page.contains(&format!("href=\"/patients/{patient_id}/account\"")), "rows link to the account");
    let bad = server.get(&browser, "/billing/aging?as_of=31/12/2026").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"e-as_of\""), "{}", bad.text());
    let csv = server.get(&browser, "/billing/aging.csv?by=provider").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"), "{}", csv.content_type());
    assert!(csv.text().starts_with("Provider,Detail,Current,31-60,61-90,91-120,120+,Credits,Total\r\n"), "{}", csv.text());
    assert!(csv.text().contains("\r\nTotal,"), "{}", csv.text());
    let metrics = server.get(&browser, "/billing/ar-metrics").await;
    assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.text());
    assert!(metrics.text().contains("data-metric=\"days-in-ar\"") && metrics.text().contains("Net collection rate"));
    let desk_browser = server.login("frontdesk").await;
    assert_eq!(server.get(&desk_browser, "/billing/aging").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_guarantor_is_set_on_the_family_page_and_the_family_account_adds_up() {
    let server = spawn().await;
    let (parent_id, _, _) = insured_patient_and_provider(&server).await;
    let desk = server.token("frontdesk").await;
    let child = register(&server, &desk, &patient_body("Quill", "Robin")).await;
    let child_id = child["id"].as_str().unwrap().to_string();
    let parent = server.api(Method::GET, &format!("/api/v1/patients/{parent_id}"), Some(&desk), None).await.json();
    let parent_mrn = parent["mrn"].as_str().unwrap().to_string();
    let pay = json!({"amount": "5.00", "method": "cash"});
    server.api(Method::POST, &format!("/api/v1/patients/{child_id}/payments"), Some(&desk), Some(&pay)).await;

    let browser = server.login("frontdesk").await;
    let account = server.get(&browser, &format!("/patients/{child_id}/account")).await.text();
    assert!(account.contains(&format!("href=\"/patients/{child_id}/family\"")), "linked from the account");
    let path = format!("/patients/{child_id}/family");
    let bad = server.post_form(&browser, &path, &[("guarantor", child["mrn"].as_str().unwrap())]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"e-guarantor\"") && bad.text().contains("cannot be their own guarantor"), "{}", bad.text());
    let done = server.post_form(&browser, &path, &[("guarantor", &parent_mrn)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let page = server.get(&browser, done.location()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Guarantor saved") && html.contains("Robin"), "{html}");

    // The API agrees: the family is the parent's, the child's $5.00 credit in it.
    let family = server.api(Method::GET, &format!("/api/v1/patients/{child_id}/family"), Some(&desk), None).await.json();
    assert_eq!(family["guarantor_id"], json!(parent_id));
    let members = family["account"]["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    let sum: i64 = members.iter().map(|m| m["total_cents"].as_i64().unwrap()).sum();
    assert_eq!(family["account"]["total_cents"].as_i64(), Some(sum));
    let child_row = members.iter().find(|m| m["patient_id"] == json!(child_id)).unwrap();
    assert_eq!(child_row["patient_due_cents"], json!(-500));
    let chain = server
        .api(Method::PUT, &format!("/api/v1/patients/{parent_id}/guarantor"), Some(&desk), Some(&json!({"guarantor": child_id})))
        .await;
    assert_eq!(chain.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", chain.text());
    assert_eq!(error_fields(&chain.json()), ["guarantor"]);
    let cleared =
        server.api(Method::PUT, &format!("/api/v1/patients/{child_id}/guarantor"), Some(&desk), Some(&json!({"guarantor": ""}))).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text());
    assert_eq!(cleared.json()["guarantor_id"], json!(null));
}
