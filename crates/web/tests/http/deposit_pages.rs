//! Deposits over HTTP: the API lists the payments waiting in Undeposited funds, makes a deposit
//! of some (201, the slip's totals), refuses bad input by field (422) and a payment deposited
//! already (409), reads and undoes one; the deposits page lists the payments with checkboxes and
//! makes a deposit as a browser posts it, leading to its slip, its printable page and its PDF; the
//! provider is refused.

use crate::harness::{error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn payments_are_deposited_through_the_api_and_the_deposits_page() {
    let server = spawn().await;
    let desk = server.token("frontdesk").await;
    let patient = register(&server, &desk, &patient_body("Okonkwo", "Ada")).await;
    let patient_id = patient["id"].as_str().expect("patient id");
    let payments_path = format!("/api/v1/patients/{patient_id}/payments");
    for body in [json!({"amount": "45.00", "method": "cash"}), json!({"amount": "120.00", "method": "check", "reference": "2231"})] {
        let taken = server.api(Method::POST, &payments_path, Some(&desk), Some(&body)).await;
        assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.text());
    }

    // The API: two payments waiting, $165.00.
    let waiting = server.api(Method::GET, "/api/v1/deposits/undeposited", Some(&desk), None).await;
    assert_eq!(waiting.status, StatusCode::OK, "{}", waiting.text());
    let waiting = waiting.json();
    assert_eq!(waiting["total_cents"].as_i64(), Some(16_500));
    let items = waiting["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["check_number"].as_str(), Some("2231"));
    let cash_key = items[0]["key"].as_str().expect("key").to_string();
    let check_key = items[1]["key"].as_str().expect("key").to_string();

    let bad = server.api(Method::POST, "/api/v1/deposits", Some(&desk), Some(&json!({"items": [], "deposit_date": "06/15"}))).await;
    assert_eq!(error_fields(&bad.problem(422)), ["deposit_date", "items"]);
    let made = server.api(Method::POST, "/api/v1/deposits", Some(&desk), Some(&json!({"items": [cash_key]}))).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let made = made.json();
    assert_eq!(
        (made["total_cents"].as_i64(), made["cash_cents"].as_i64(), made["check_count"].as_i64()),
        (Some(4_500), Some(4_500), Some(0))
    );
    let again = server.api(Method::POST, "/api/v1/deposits", Some(&desk), Some(&json!({"items": [cash_key]}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    let id = made["id"].as_str().expect("deposit id").to_string();
    let read = server.api(Method::GET, &format!("/api/v1/deposits/{id}"), Some(&desk), None).await;
    assert_eq!(read.json()["items"].as_array().map(Vec::len), Some(1));
    let undo_path = format!("/api/v1/deposits/{id}/undo");
    assert_eq!(error_fields(&server.api(Method::POST, &undo_path, Some(&desk), Some(&json!({}))).await.problem(422)), ["reason"]);
    let undone = server.api(Method::POST, &undo_path, Some(&desk), Some(&json!({"reason": "counted wrong"}))).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.text());
    assert_eq!(undone.json()["reversal_reason"].as_str(), Some("counted wrong"));
    let doctor = server.token("doctor").await;
    assert_eq!(server.api(Method::GET, "/api/v1/deposits/undeposited", Some(&doctor), None).await.status, StatusCode::FORBIDDEN);
    let openapi = server.api(Method::GET, "/api/v1/openapi.json", Some(&desk), None).await.text();
    assert!(openapi.contains("/api/v1/deposits/undeposited") && openapi.contains("/api/v1/deposits/{id}"));

    // The page: both payments listed with a checkbox each; deposit both as a browser does.
    let browser = server.login("frontdesk").await;
    let page = server.get(&browser, "/books/deposits").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains(&format!("value=\"{cash_key}\"")) && html.contains(&format!("value=\"{check_key}\"")), "{html}");
    assert!(html.contains("data-total=\"undeposited\">$165.00<"), "{html}");
    assert!(html.contains("Undone"), "the undone deposit is listed as such");

    let refused = server.post_form(&browser, "/books/deposits", &[("deposit_date", "2026-13-01"), ("account", "1000")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    let refused = refused.text();
    assert!(refused.contains("id=\"e-items\"") && refused.contains("id=\"e-deposit_date\""), "{refused}");

    let posted = server
        .post_form(
            &browser,
            "/books/deposits",
            &[("items", cash_key.as_str()), ("items", check_key.as_str()), ("account", "1000"), ("deposit_date", "")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    let location = posted.location().to_string();
    assert!(location.starts_with("/books/deposits/") && location.ends_with("?notice=made"), "{location}");
    let slip = server.get(&browser, &location).await.text();
    assert!(slip.contains("data-total=\"deposit\">$165.00<") && slip.contains("data-total=\"cash\">$45.00<"), "{slip}");
    assert!(slip.contains("data-total=\"checks\">$120.00<") && slip.contains("2231"), "{slip}");
    let print_path = format!("{}/slip", location.trim_end_matches("?notice=made"));
    let print = server.get(&browser, &print_path).await;
    assert_eq!(print.status, StatusCode::OK);
    let print = print.text();
    assert!(print.contains("Deposit slip #2") && print.contains("data-print") && print.contains("$165.00"), "{print}");
    let pdf = server.get(&browser, &format!("{print_path}.pdf")).await;
    assert_eq!((pdf.status, pdf.content_type()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let empty = server.get(&browser, "/books/deposits").await.text();
    assert!(empty.contains("Nothing to deposit."), "{empty}");

    let doctor = server.login("doctor").await;
    assert_eq!(server.get(&doctor, "/books/deposits").await.status, StatusCode::FORBIDDEN);
}
