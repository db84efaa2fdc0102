//! Patient statements and late charges over HTTP: the terms page saves and shows a field error
//! by its field; a run from the page lists the statement, its page and PDF (`application/pdf`)
//! and the run's batch PDF; the account's statements page saves the "don't send" flag and refuses
//! e-mail without an address on `delivery`; the API lists, reads, runs (422 naming `date`), applies
//! late charges and reverses one (422 naming `reason`); the front desk is refused.

use crate::harness::{Server, error_fields, spawn};
use axum::http::{Method, StatusCode};
use medoffice_app::ledger::{NewEntry, NewLine};
use serde_json::json;

/// A patient with $120.00 due on AR - Patients (dated 2026-01-05, a charge by the journal), and
/// no e-mail address.
async fn patient_owing(server: &Server) -> String {
    let (practice_id,): (String,) = sqlx::query_as("SELECT id FROM practice").fetch_one(server.app.store.pool()).await.expect("practice");
    let (patient_id,): (String,) = sqlx::query_as("SELECT id FROM patient WHERE email IS NULL ORDER BY family_name LIMIT 1")
        .fetch_one(server.app.store.pool())
        .await
        .expect("patient");
    let mut tx = server.app.store.begin().await.expect("tx");
    server
        .app
        .post_entry(
            &mut tx,
            &practice_id,
            &NewEntry {
                date: Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")),
                memo: "Office visit".into(),
                source_kind: "charges".into(),
                source_id: None,
                idempotency_key: Some("test-statement-charge".into()),
                reversal_of: None,
                posted_by: "test".into(),
                lines: vec![NewLine::debit("1110", 12000).patient(&patient_id), NewLine::credit("4000", 12000)],
            },
        )
        .await
        .expect("posted");
    tx.commit().await.expect("commit");
    patient_id
}

#[tokio::test]
async fn statements_are_run_shown_and_printed_from_the_pages_with_errors_by_their_fields() {
    let server = spawn().await;
    let patient_id = patient_owing(&server).await;
    let biller = server.login("biller").await;

    let terms = server.get(&biller, "/billing/statements/settings").await;
    assert_eq!(terms.status, StatusCode::OK, "{}", terms.text());
    assert!(terms.text().contains("Late-charge policy") && terms.text().contains("value=\"30\""), "{}", terms.text());
    let bad = server
        .post_form(&biller, "/billing/statements/settings", &[("cycle", "monthly"), ("net_days", "many"), ("minimum_balance", "5.00")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    assert!(bad.text().contains("id=\"e-net_days\"") && !bad.text().contains("id=\"e-minimum_balance\""), "{}", bad.text());
    let saved = server
        .post_form(
            &biller,
            "/billing/statements/settings",
            &[
                ("cycle", "monthly"),
                ("cycle_day", "1"),
                ("net_days", "30"),
                ("minimum_balance", "5.00"),
                ("late_rate_percent", "1.5"),
                ("late_grace_days", "10"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert!(server.get(&biller, "/billing/statements/settings?notice=saved").await.text().contains("1.5% a month"));

    let index = server.get(&biller, "/billing/statements").await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.text());
    assert!(index.text().contains("Run statements"));
    let bad_run = server.post_form(&biller, "/billing/statements/runs", &[("date", "someday"), ("group", "")]).await;
    assert_eq!(bad_run.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_run.text().contains("id=\"e-date\""), "{}", bad_run.text());
    let ran = server.post_form(&biller, "/billing/statements/runs", &[("date", ""), ("group", "")]).await;
    assert_eq!(ran.status, StatusCode::SEE_OTHER, "{}", ran.text());
    let list = server.get(&biller, ran.location()).await.text();
    assert!(list.contains("Statements run:") && list.contains("ST-000001") && list.contains("Print batch (PDF)"), "{list}");

    let token = server.token("biller").await;
    let statements = server.api(Method::GET, "/api/v1/statements", Some(&token), None).await;
    assert_eq!(statements.status, StatusCode::OK);
    let mine = statements.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["patient_id"] == json!(patient_id))
        .cloned()
        .expect("the patient's statement");
    let id = mine["id"].as_str().expect("id").to_string();
    let one = server.api(Method::GET, &format!("/api/v1/statements/{id}"), Some(&token), None).await.json();
    assert_eq!((one["balance_due_cents"].clone(), one["run_id"].is_string()), (json!(12000), true));
    let page = server.get(&biller, &format!("/billing/statements/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("$120.00") && page.text().contains("1.5% a month"), "{}", page.text());
    let pdf = server.get(&biller, &format!("/billing/statements/{id}/pdf")).await;
    assert_eq!((pdf.status, pdf.content_type()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let batch = server.get(&biller, &format!("/billing/statements/runs/{}/pdf", one["run_id"].as_str().expect("run"))).await;
    assert_eq!((batch.status, batch.content_type()), (StatusCode::OK, "application/pdf"));

    // The account's statements page: e-mail needs an address; the flag saves.
    let account = server.get(&biller, &format!("/patients/{patient_id}/statements")).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.text());
    assert!(account.text().contains("ST-000001") || account.text().contains(mine["number"].as_str().expect("number")));
    let refused = server.post_form(&biller, &format!("/patients/{patient_id}/statements"), &[("delivery", "email")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert!(refused.text().contains("id=\"e-delivery\""));
    let held = server.post_form(&biller, &format!("/patients/{patient_id}/statements"), &[("delivery", "mail"), ("hold", "on")]).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.text());
    assert!(server.get(&biller, held.location()).await.text().contains("Statements are not sent to this account"));
    assert!(
        server
            .get(&biller, &format!("/patients/{patient_id}/account"))
            .await
            .text()
            .contains(&format!("/patients/{patient_id}/statements"))
    );
}

#[tokio::test]
async fn the_api_runs_statements_and_late_charges_naming_bad_fields() {
    let server = spawn().await;
    patient_owing(&server).await;
    let token = server.token("biller").await;
    let bad = server.api(Method::POST, "/api/v1/statements/runs", Some(&token), Some(&json!({"date": "2026-02-30"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    assert_eq!(error_fields(&bad.json()), ["date"]);
    let bad = server.api(Method::POST, "/api/v1/statements/runs", Some(&token), Some(&json!({"group": "9-1"}))).await;
    assert_eq!(error_fields(&bad.json()), ["group"]);
    let ran = server.api(Method::POST, "/api/v1/statements/runs", Some(&token), Some(&json!({}))).await;
    assert_eq!(ran.status, StatusCode::CREATED, "{}", ran.text());
    assert!(ran.json()["statements"].as_i64().expect("statements") >= 1);
    let again = server.api(Method::POST, "/api/v1/statements/runs", Some(&token), Some(&json!({}))).await.json();
    assert_eq!(again["statements"], json!(0), "idempotent per patient and date");

    let late = server.api(Method::POST, "/api/v1/late-charges/runs", Some(&token), Some(&json!({"date": "nope"}))).await;
    assert_eq!(error_fields(&late.json()), ["date"]);
    let late = server.api(Method::POST, "/api/v1/late-charges/runs", Some(&token), Some(&json!({}))).await;
    assert_eq!(late.status, StatusCode::CREATED, "{}", late.text());
    assert_eq!(late.json()["charged"], json!(0), "nothing is past due on the day of the statement");
    let missing = server.api(Method::POST, "/api/v1/late-charges/nope/reversal", Some(&token), Some(&json!({"reason": ""}))).await;
    assert_eq!(error_fields(&missing.json()), ["reason"]);
    let missing = server.api(Method::POST, "/api/v1/late-charges/nope/reversal", Some(&token), Some(&json!({"reason": "waived"}))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let desk = server.token("frontdesk").await;
    assert_eq!(server.api(Method::POST, "/api/v1/statements/runs", Some(&desk), Some(&json!({}))).await.status, StatusCode::FORBIDDEN);
    let openapi = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.text();
    assert!(openapi.contains("/api/v1/statements/runs") && openapi.contains("/api/v1/late-charges/{id}/reversal"));
}
