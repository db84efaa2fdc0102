//! Bank reconciliation through the JSON API: a statement sent as JSON text and as a multipart
//! upload, listed and read with its lines and difference; a deposit matched with two ledger
//! lines, unmatched, ignored and restored; the fee posted; the starting point's history marked
//! cleared; the account reconciled once the difference is zero; bad input named by field.

use crate::harness::{Server, error_fields, spawn};
use axum::http::{Method, StatusCode};
use medoffice_app::ledger::{JournalEntryInput, JournalLineInput};
use serde_json::{Value, json};

async fn post(server: &Server, token: &str, date: &str, memo: &str, debit: &str, credit: &str, cents: i64) -> String {
    let bk = server.app.authenticate_token(token, None).await.expect("actor");
    let line = |account: &str, debit_cents, credit_cents| JournalLineInput {
        account: account.into(),
        debit_cents,
        credit_cents,
        memo: String::new(),
    };
    let input = JournalEntryInput {
        date: date.into(),
        memo: memo.into(),
        idempotency_key: String::new(),
        lines: vec![line(debit, cents, 0), line(credit, 0, cents)],
    };
    server.app.post_journal_entry(&bk, &input).await.expect("entry").id
}

fn statuses(detail: &Value) -> Vec<String> {
    detail["statement"]["lines"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_statement_goes_from_import_to_reconciled_through_the_api() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let t = Some(token.as_str());
    let bk = server.app.authenticate_token(&token, None).await.expect("actor");
    let cash = server.app.cash_accounts(&bk).await.unwrap().into_iter().find(|a| a.number == "1000").unwrap().id;
    let opening = post(&server, &token, "2026-05-01", "Opening balance", "1000", "3000", 100_000).await;
    let smith = post(&server, &token, "2026-06-08", "Co-pay Smith", "1000", "1110", 2_500).await;
    let jones = post(&server, &token, "2026-06-09", "Co-pay Jones", "1000", "1110", 4_000).await;

    // Bad input is named by field; nothing is imported.
    let bad = server.api(Method::POST, "/api/v1/bank/statements", t, Some(&json!({"account_id": "nope", "text": "06/01/2026,X"}))).await;
    assert_eq!(error_fields(&bad.problem(422)), ["account_id", "file"]);
    let missing = server.api(Method::POST, "/api/v1/bank/statements", t, Some(&json!({"account_id": cash}))).await;
    assert_eq!(error_fields(&missing.problem(422)), ["text"]);

    let csv = "Date,Description,Amount\n06/10/2026,DEPOSIT,65.00\n06/12/2026,WIRE IN,10.00\n06/30/2026,SERVICE FEE,-15.00\n";
    let created = server
        .api(Method::POST, "/api/v1/bank/statements", t, Some(&json!({"account_id": cash, "file_name": "june.csv", "text": csv})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let done = created.json();
    assert_eq!((done["imported"].as_i64(), done["matched"].as_i64()), (Some(3), Some(0)));
    let id = done["statement_id"].as_str().unwrap().to_string();
    let again = server
        .api(Method::POST, "/api/v1/bank/statements", t, Some(&json!({"account_id": cash, "file_name": "june.csv", "text": csv})))
        .await;
    assert_eq!((again.status, again.json()["statement_id"].is_null()), (StatusCode::OK, true));

    let list = server.api(Method::GET, "/api/v1/bank/statements", t, None).await.json();
    assert_eq!((list["items"][0]["id"].as_str(), list["items"][0]["unmatched_count"].as_i64()), (Some(id.as_str()), Some(3)));
    let path = format!("/api/v1/bank/statements/{id}?end_date=2026-06-30&ending_balance_cents=106000");
    let detail = server.api(Method::GET, &path, t, None).await.json();
    assert_eq!(statuses(&detail), ["unmatched"; 3]);
    let lines: Vec<String> =
        detail["statement"]["lines"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(detail["reconciliation"]["difference_cents"].as_i64(), Some(106_000));

    // The deposit is the two co-pays; one alone is refused on its field.
    let one = server
        .api(
            Method::POST,
            &format!("/api/v1/bank/lines/{}/match", lines[0]),
            t,
            Some(&json!({"ledger_lines": [{"entry_id": smith, "line_number": 1}]})),
        )
        .await;
    assert_eq!(error_fields(&one.problem(422)), ["ledger_line"]);
    let wrong_shape =
        server.api(Method::POST, &format!("/api/v1/bank/lines/{}/match", lines[0]), t, Some(&json!({"ledger_lines": "x"}))).await;
    assert_eq!(error_fields(&wrong_shape.problem(422)), ["ledger_lines"]);
    let both = json!({"ledger_lines": [{"entry_id": smith, "line_number": 1}, {"entry_id": jones, "line_number": 1}]});
    let matched = server.api(Method::POST, &format!("/api/v1/bank/lines/{}/match", lines[0]), t, Some(&both)).await;
    assert_eq!(matched.status, StatusCode::OK, "{}", matched.text());
    let m = matched.json();
    assert_eq!(
        (m["status"].as_str(), m["matched"]["entry_id"].as_str(), m["batch"][0]["entry_id"].as_str()),
        (Some("matched"), Some(smith.as_str()), Some(jones.as_str()))
    );
    let twice = server.api(Method::POST, &format!("/api/v1/bank/lines/{}/match", lines[0]), t, Some(&both)).await;
    twice.problem(409);

    // Unmatch, ignore, restore.
    let unmatched = server.api(Method::POST, &format!("/api/v1/bank/lines/{}/unmatch", lines[0]), t, None).await.json();
    assert_eq!((unmatched["status"].as_str(), unmatched["batch"].as_array().map(Vec::len)), (Some("unmatched"), Some(0)));
    server.api(Method::POST, &format!("/api/v1/bank/lines/{}/match", lines[0]), t, Some(&both)).await.json();
    let ignored = server.api(Method::POST, &format!("/api/v1/bank/lines/{}/ignore", lines[1]), t, None).await.json();
    assert_eq!(ignored["status"].as_str(), Some("ignored"));
    server.api(Method::POST, &format!("/api/v1/bank/lines/{}/unmatch", lines[1]), t, None).await.json();
    // The wire is other income, the fee a bank fee.
    let bad_post = server.api(Method::POST, &format!("/api/v1/bank/lines/{}/post", lines[1]), t, Some(&json!({"account": "1000"}))).await;
    assert_eq!(error_fields(&bad_post.problem(422)), ["account"]);
    for line in &lines[1..] {
        let posted = server.api(Method::POST, &format!("/api/v1/bank/lines/{line}/post"), t, Some(&json!({}))).await;
        assert_eq!((posted.status, posted.json()["status"].as_str()), (StatusCode::OK, Some("matched")), "{}", posted.text());
    }

    // Not reconciled until the opening balance is cleared as history.
    let refused = server
        .api(
            Method::POST,
            &format!("/api/v1/bank/statements/{id}/reconcile"),
            t,
            Some(&json!({"end_date": "2026-06-30", "ending_balance_cents": 106_000})),
        )
        .await;
    assert_eq!(error_fields(&refused.problem(422)), ["ending_balance"]);
    let bad_clear =
        server.api(Method::POST, &format!("/api/v1/bank/statements/{id}/clear"), t, Some(&json!({"before": "2026-07-01"}))).await;
    assert_eq!(error_fields(&bad_clear.problem(422)), ["before"]);
    let cleared = server
        .api(Method::POST, &format!("/api/v1/bank/statements/{id}/clear"), t, Some(&json!({"ledger_line": format!("{opening}:1")})))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text());
    assert_eq!(cleared.json()["reconciliation"]["cleared_items"][0]["kind"].as_str(), Some("history"));
    let detail = server.api(Method::GET, &path, t, None).await.json();
    assert_eq!((statuses(&detail), detail["reconciliation"]["difference_cents"].as_i64()), (vec!["matched".to_string(); 3], Some(0)));
    let reconciled = server
        .api(
            Method::POST,
            &format!("/api/v1/bank/statements/{id}/reconcile"),
            t,
            Some(&json!({"end_date": "2026-06-30", "ending_balance_cents": 106_000})),
        )
        .await;
    assert_eq!(reconciled.status, StatusCode::OK, "{}", reconciled.text());
    assert_eq!(reconciled.json()["difference_cents"].as_i64(), Some(0));
    server
        .api(
            Method::POST,
            &format!("/api/v1/bank/statements/{id}/reconcile"),
            t,
            Some(&json!({"end_date": "2026-06-30", "ending_balance_cents": 106_000})),
        )
        .await
        .problem(409);
    server.api(Method::POST, &format!("/api/v1/bank/lines/{}/unmatch", lines[0]), t, None).await.problem(409);

    server.api(Method::GET, "/api/v1/bank/statements/nope", t, None).await.problem(404);
    let desk = server.token("frontdesk").await;
    server.api(Method::GET, "/api/v1/bank/statements", Some(&desk), None).await.problem(403);
}

#[tokio::test]
async fn a_statement_is_uploaded_as_multipart_and_listed_in_the_openapi_document() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let bk = server.app.authenticate_token(&token, None).await.expect("actor");
    let cash = server.app.cash_accounts(&bk).await.unwrap().into_iter().find(|a| a.number == "1000").unwrap().id;
    let boundary = "----medofficeApiBank";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"account_id\"\r\n\r\n{cash}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"june.ofx\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        include_str!("../../../domain/tests/fixtures/bank/statement_sgml.ofx")
    );
    let created = server
        .api_raw(Method::POST, "/api/v1/bank/statements", &token, Some(&format!("multipart/form-data; boundary={boundary}")), body)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["statement_id"].as_str().unwrap().to_string();
    let detail = server.api(Method::GET, &format!("/api/v1/bank/statements/{id}"), Some(&token), None).await.json();
    assert_eq!(
        (detail["statement"]["file_name"].as_str(), detail["reconciliation"]["end_date"].as_str()),
        (Some("june.ofx"), Some("2026-06-30"))
    );
    assert_eq!(detail["reconciliation"]["difference_cents"].as_i64(), Some(78_542));
    let no_file = server
        .api_raw(
            Method::POST,
            "/api/v1/bank/statements",
            &token,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"account_id\"\r\n\r\n{cash}\r\n--{boundary}--\r\n"),
        )
        .await;
    assert_eq!(error_fields(&no_file.problem(422)), ["file"]);

    let doc = server.api(Method::GET, "/api/v1/openapi.json", Some(&token), None).await.json();
    for path in [
        "/api/v1/bank/statements",
        "/api/v1/bank/statements/{id}",
        "/api/v1/bank/statements/{id}/reconcile",
        "/api/v1/bank/lines/{id}/match",
        "/api/v1/bank/lines/{id}/unmatch",
        "/api/v1/bank/lines/{id}/ignore",
        "/api/v1/bank/lines/{id}/post",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
}
