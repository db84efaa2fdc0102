//! The patient's account over HTTP: the API's account and payment (fields named on bad input,
//! the balance moved by a payment), the page linked from the chart with its payment form leading
//! to the receipt, the credit-balance list, and who may see them.

use crate::billing_pages::insured_patient_and_provider;
use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_payment_is_taken_through_the_api_and_the_account_page() {
    let server = spawn().await;
    let (patient_id, _, _) = insured_patient_and_provider(&server).await;
    let desk = server.token("frontdesk").await;
    let account_path = format!("/api/v1/patients/{patient_id}/account");
    let before = server.api(Method::GET, &account_path, Some(&desk), None).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    let before = before.json();
    let due = before["patient_due_cents"].as_i64().expect("patient due");
    let insurance = before["insurance_pending_cents"].as_i64().expect("insurance pending");
    assert_eq!(before["balance_cents"].as_i64(), Some(due + insurance));

    // Bad input: every field named, nothing taken.
    let payments_path = format!("/api/v1/patients/{patient_id}/payments");
    let refused = server.api(Method::POST, &payments_path, Some(&desk), Some(&json!({"amount": "ten", "method": "iou"}))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert_eq!(error_fields(&refused.json()), ["amount", "method"]);
    let card = json!({"amount": "40.00", "method": "card", "reference": "4111111111111111"});
    assert_eq!(error_fields(&server.api(Method::POST, &payments_path, Some(&desk), Some(&card)).await.json()), ["reference"]);

    let card = json!({"amount": "40.00", "method": "card", "reference": "AUTH 7731"});
    let taken = server.api(Method::POST, &payments_path, Some(&desk), Some(&card)).await;
    assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.text());
    let taken = taken.json();
    assert_eq!((taken["amount_cents"].clone(), taken["method"].clone()), (json!(4000), json!("card")));
    let after = server.api(Method::GET, &account_path, Some(&desk), None).await.json();
    assert_eq!(after["patient_due_cents"].as_i64(), Some(due - 4000));
    assert_eq!(after["lines"].as_array().expect("lines").last().expect("the payment's line")["kind"], json!("payment"));

    // The bookkeeper neither reads a patient's account nor takes payments.
    let books = server.token("bookkeeper").await;
    assert_eq!(server.api(Method::GET, &account_path, Some(&books), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.api(Method::POST, &payments_path, Some(&books), Some(&card)).await.status, StatusCode::FORBIDDEN);
    let openapi = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.text();
    assert!(openapi.contains("/api/v1/patients/{id}/account") && openapi.contains("/api/v1/patients/{id}/payments"));

    // The page, from the chart.
    let biller = server.login("biller").await;
    let chart = server.get(&biller, &format!("/patients/{patient_id}")).await.text();
    assert!(chart.contains(&format!("href=\"/patients/{patient_id}/account\"")), "{chart}");
    let page = server.get(&biller, &format!("/patients/{patient_id}/account")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Take a payment") && html.contains("AUTH 7731"), "{html}");

    let form_path = format!("/patients/{patient_id}/account/payments");
    let bad = server.post_form(&biller, &form_path, &[("amount", ""), ("method", "check"), ("reference", "")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    let html = bad.text();
    assert!(html.contains("id=\"e-amount\"") && html.contains("id=\"e-reference\""), "{html}");

    let good = server.post_form(&biller, &form_path, &[("amount", "15.00"), ("method", "check"), ("reference", "2201")]).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text());
    assert!(good.location().starts_with("/schedule/payments/") && good.location().ends_with("/receipt"), "{}", good.location());
    let receipt = server.get(&biller, good.location()).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.text().contains("$15.00"), "{}", receipt.text());
    assert!(receipt.text().contains("Payment on account"), "a payment on account says so on its receipt");
    let after = server.api(Method::GET, &account_path, Some(&desk), None).await.json();
    assert_eq!(after["patient_due_cents"].as_i64(), Some(due - 5500));

    // Paying $10.00 more than is due leaves a credit balance, listed for refund.
    let current = due - 5500;
    let over = current.max(0) + 1000;
    let credit = 1000 - current.min(0);
    let cash = json!({"amount": format!("{}.{:02}", over / 100, over % 100), "method": "cash"});
    assert_eq!(server.api(Method::POST, &payments_path, Some(&desk), Some(&cash)).await.status, StatusCode::CREATED);
    let after = server.api(Method::GET, &account_path, Some(&desk), None).await.json();
    assert_eq!((after["patient_due_cents"].as_i64(), after["credit_balance_cents"].as_i64()), (Some(-credit), Some(credit)));
    let credits = server.get(&biller, "/billing/credit-balances").await;
    assert_eq!(credits.status, StatusCode::OK, "{}", credits.text());
    let html = credits.text();
    assert!(
        html.contains(&format!("/patients/{patient_id}/account")) && html.contains(&format!("${}.{:02}", credit / 100, credit % 100)),
        "{html}"
    );
    let doctor = server.login("doctor").await;
    assert_eq!(server.get(&doctor, "/billing/credit-balances").await.status, StatusCode::FORBIDDEN);
}
