//! Collections and refunds over HTTP: the worklist (API and page, filters named when wrong), the
//! dunning run (API and form, each level once, the letter as a PDF), payment plans, the
//! small-balance write-off, the agency hand-off with its CSV file, and the refund of a credit
//! balance from the credit balances page; who may do what.

use crate::harness::{Server, error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use medoffice_app::ledger::{NewEntry, NewLine};
use serde_json::json;

/// Posts a self-pay charge of `cents` to the patient, dated `days_ago` days before today.
async fn charge(server: &Server, patient_id: &str, cents: i64, days_ago: i64) {
    let (practice_id,): (String,) = sqlx::query_as("SELECT id FROM practice LIMIT 1").fetch_one(server.app.store.pool()).await.unwrap();
    let date = chrono::Utc::now().date_naive() - chrono::Duration::days(days_ago);
    let mut tx = server.app.store.begin().await.unwrap();
    server
        .app
        .post_entry(
            &mut tx,
            &practice_id,
            &NewEntry {
                date: Some(date),
                memo: "Charges, test visit".into(),
                source_kind: "charges".into(),
                source_id: None,
                idempotency_key: Some(format!("test-charge:{patient_id}:{days_ago}")),
                reversal_of: None,
                posted_by: "test".into(),
                lines: vec![NewLine::debit("1110", cents).patient(patient_id), NewLine::credit("4000", cents)],
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_worklist_dunning_plans_write_offs_and_the_agency_hand_off() {
    let server = spawn().await;
    let desk = server.token("frontdesk").await;
    let billing = server.token("biller").await;
    let books = server.token("bookkeeper").await;
    let patient = register(&server, &desk, &patient_body("Dunning", "Dana")).await;
    let id = patient["id"].as_str().unwrap().to_string();
    charge(&server, &id, 30000, 100).await;

    // The worklist: 100 days old is 70 days past due.
    let list = server.api(Method::GET, "/api/v1/collections", Some(&billing), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let rows = list.json();
    let row = rows.as_array().unwrap().iter().find(|r| r["patient_id"] == json!(id)).expect("the patient is listed").clone();
    assert_eq!((row["days_past_due"].as_i64(), row["balance_cents"].as_i64()), (Some(70), Some(30000)));
    let bad = server.api(Method::GET, "/api/v1/collections?min_days=soon", Some(&billing), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    assert_eq!(error_fields(&bad.json()), ["min_days"]);
    assert_eq!(server.api(Method::GET, "/api/v1/collections", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.api(Method::GET, "/api/v1/collections", Some(&books), None).await.status, StatusCode::OK);

    // The dunning run: bad date named; the first letter; never twice.
    let bad = server.api(Method::POST, "/api/v1/dunning/runs", Some(&billing), Some(&json!({"date": "tomorrow"}))).await;
    assert_eq!(error_fields(&bad.json()), ["date"]);
    assert_eq!(server.api(Method::POST, "/api/v1/dunning/runs", Some(&books), Some(&json!({}))).await.status, StatusCode::FORBIDDEN);
    let run = server.api(Method::POST, "/api/v1/dunning/runs", Some(&billing), Some(&json!({}))).await;
    assert_eq!(run.status, StatusCode::CREATED, "{}", run.text());
    let run = run.json();
    let mine: Vec<_> = run["made"].as_array().unwrap().iter().filter(|l| l["patient_id"] == json!(id)).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["level"], json!(1));
    let letter_id = mine[0]["id"].as_str().unwrap().to_string();
    let again = server.api(Method::POST, "/api/v1/dunning/runs", Some(&billing), Some(&json!({}))).await.json();
    assert_eq!(again["letters"], json!(0));

    // Pages: the worklist, its filter, the account with its letter as a PDF.
    let biller = server.login("biller").await;
    let page = server.get(&biller, "/billing/collections").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Dunning, Dana") && html.contains("$300.00") && html.contains("Level 1"), "{html}");
    let html = server.get(&biller, "/billing/collections?min_days=x").await.text();
    assert!(html.contains("id=\"e-min_days\""), "{html}");
    let html = server.get(&biller, "/billing/collections?min_amount=5000.00").await.text();
    assert!(!html.contains("Dunning, Dana"), "{html}");
    let account = server.get(&biller, &format!("/billing/collections/accounts/{id}")).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.text());
    assert!(account.text().contains(&format!("/billing/collections/letters/{letter_id}/pdf")));
    let pdf = server.get(&biller, &format!("/billing/collections/letters/{letter_id}/pdf")).await;
    assert_eq!((pdf.status, pdf.content_type()), (StatusCode::OK, "application/pdf"));
    let bad =
        server.post_form(&biller, &format!("/billing/collections/accounts/{id}/notes"), &[("note", ""), ("next_action_date", "")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"e-note\""), "{}", bad.text());
    let ok = server
        .post_form(
            &biller,
            &format!("/billing/collections/accounts/{id}/notes"),
            &[("note", "Promised to call back"), ("next_action_date", "")],
        )
        .await;
    assert!(ok.status == StatusCode::OK && ok.text().contains("Promised to call back"), "{}", ok.text());
    let ran = server.post_form(&biller, "/billing/collections/dunning", &[("date", "")]).await;
    assert!(ran.status == StatusCode::OK && ran.text().contains("0 letter(s) made"), "{}", ran.text());

    // A payment plan over the API.
    let bad = server
        .api(
            Method::POST,
            "/api/v1/payment-plans",
            Some(&billing),
            Some(&json!({"patient_id": id, "monthly_amount": "x", "day_of_month": "40"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&bad.json()), ["monthly_amount", "day_of_month"]);
    let plan = server
        .api(
            Method::POST,
            "/api/v1/payment-plans",
            Some(&billing),
            Some(&json!({"patient_id": id, "monthly_amount": "100.00", "day_of_month": "10"})),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.text());
    assert_eq!(plan.json()["installments"].as_array().map(Vec::len), Some(3));
    let plans = server.api(Method::GET, &format!("/api/v1/payment-plans?patient_id={id}"), Some(&books), None).await.json();
    assert_eq!(plans.as_array().map(Vec::len), Some(1));

    // A small write-off, then the rest to the agency.
    let w = json!({"patient_id": id, "amount": "10.00", "reason": "courtesy"});
    assert_eq!(server.api(Method::POST, "/api/v1/write-offs", Some(&books), Some(&w)).await.status, StatusCode::FORBIDDEN);
    let bad = server.api(Method::POST, "/api/v1/write-offs", Some(&billing), Some(&json!({"patient_id": id, "amount": "999.00"}))).await;
    assert_eq!(error_fields(&bad.json()), ["reason"]);
    let done = server.api(Method::POST, "/api/v1/write-offs", Some(&billing), Some(&w)).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    let bad = server.api(Method::POST, "/api/v1/collections/agency-exports", Some(&billing), Some(&json!({"patient_ids": [id]}))).await;
    assert_eq!(error_fields(&bad.json()), ["agency_name"]);
    let x = server
        .api(
            Method::POST,
            "/api/v1/collections/agency-exports",
            Some(&billing),
            Some(&json!({"agency_name": "Acme Recovery", "patient_ids": [id]})),
        )
        .await;
    assert_eq!(x.status, StatusCode::CREATED, "{}", x.text());
    let x = x.json();
    assert_eq!(x["total_cents"], json!(29000));
    let content = x["content"].as_str().unwrap();
    assert!(content.contains(patient["mrn"].as_str().unwrap()) && content.contains(",290.00,"), "{content}");
    let again = server
        .api(
            Method::POST,
            "/api/v1/collections/agency-exports",
            Some(&billing),
            Some(&json!({"agency_name": "Acme Recovery", "patient_ids": [id]})),
        )
        .await;
    assert_eq!(error_fields(&again.json()), ["patient_ids"]);
    let file = server.get(&biller, &format!("/billing/collections/exports/{}/csv", x["id"].as_str().unwrap())).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.content_type().starts_with("text/csv") && file.text().starts_with("patient_name,"), "{}", file.text());
    let after = server.api(Method::GET, &format!("/api/v1/patients/{id}/account"), Some(&billing), None).await.json();
    assert_eq!(after["patient_due_cents"], json!(0));
    let openapi = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.text();
    for path in [
        "/api/v1/collections",
        "/api/v1/dunning/runs",
        "/api/v1/payment-plans",
        "/api/v1/collections/agency-exports",
        "/api/v1/write-offs",
        "/api/v1/refunds",
    ] {
        assert!(openapi.contains(&format!("\"{path}\"")), "{path}");
    }
}

#[tokio::test]
async fn a_credit_balance_is_refunded_from_the_list_and_leaves_it() {
    let server = spawn().await;
    let desk = server.token("frontdesk").await;
    let billing = server.token("biller").await;
    let patient = register(&server, &desk, &patient_body("Refundable", "Rae")).await;
    let id = patient["id"].as_str().unwrap().to_string();
    charge(&server, &id, 5000, 3).await;
    let paid = server
        .api(Method::POST, &format!("/api/v1/patients/{id}/payments"), Some(&desk), Some(&json!({"amount": "80.00", "method": "cash"})))
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text());

    let biller = server.login("biller").await;
    let list = server.get(&biller, "/billing/credit-balances").await.text();
    assert!(list.contains(&format!("/billing/credit-balances/{id}/refund")), "{list}");
    let form = server.get(&biller, &format!("/billing/credit-balances/{id}/refund")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("$30.00"), "{}", form.text());
    let bad = server
        .post_form(
            &biller,
            &format!("/billing/credit-balances/{id}/refund"),
            &[("amount", "31.00"), ("method", "check"), ("reference", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"e-reference\""), "{}", bad.text());
    let bad = server
        .api(
            Method::POST,
            "/api/v1/refunds",
            Some(&billing),
            Some(&json!({"patient_id": id, "amount": "31.00", "method": "check", "reference": "1001"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&bad.json()), ["amount"]);
    assert_eq!(
        server
            .api(
                Method::POST,
                "/api/v1/refunds",
                Some(&desk),
                Some(&json!({"patient_id": id, "amount": "30.00", "method": "check", "reference": "1001"}))
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let part = server
        .api(
            Method::POST,
            "/api/v1/refunds",
            Some(&billing),
            Some(&json!({"patient_id": id, "amount": "10.00", "method": "ach", "reference": "TR-778"})),
        )
        .await;
    assert_eq!(part.status, StatusCode::CREATED, "{}", part.text());
    let done = server
        .post_form(
            &biller,
            &format!("/billing/credit-balances/{id}/refund"),
            &[("amount", "20.00"), ("method", "check"), ("reference", "1002")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(done.location(), "/billing/credit-balances");
    let list = server.get(&biller, "/billing/credit-balances").await.text();
    assert!(!list.contains(&format!("/billing/credit-balances/{id}/refund")), "{list}");
    let account = server.api(Method::GET, &format!("/api/v1/patients/{id}/account"), Some(&billing), None).await.json();
    assert_eq!(account["patient_due_cents"], json!(0));
}
