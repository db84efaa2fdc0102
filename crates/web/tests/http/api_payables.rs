//! Accounts payable through the JSON API: vendors (list with open balances, add, read, replace,
//! patch) and bills (enter with lines in cents, list by status, read), with problem documents
//! naming the field at fault.

use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn vendors_are_added_read_and_changed_and_bad_input_names_its_fields() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let t = Some(token.as_str());

    let bad = server
        .api(Method::POST, "/api/v1/vendors", t, Some(&json!({"name": "", "payment_terms": "net 30", "default_expense_account": "4000"})))
        .await;
    assert_eq!(error_fields(&bad.problem(422)), ["name", "payment_terms", "default_expense_account"]);
    let wrong_type =
        server.api(Method::POST, "/api/v1/vendors", t, Some(&json!({"name": "X", "payment_terms": "net_30", "is_1099": "yes"}))).await;
    assert_eq!(error_fields(&wrong_type.problem(422)), ["is_1099"]);

    let body = json!({"name": "Acme Medical", "address": "12 Main St", "contact": "ap@acme.example", "tax_id": "12-3456789",
        "default_expense_account": "6200", "payment_terms": "2/10 NET 30", "is_1099": true});
    let created = server.api(Method::POST, "/api/v1/vendors", t, Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let v = created.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        (v["payment_terms"].as_str(), v["terms_label"].as_str(), v["is_1099"].as_bool()),
        (Some("2/10 net 30"), Some("2/10 net 30"), Some(true))
    );

    let one = server.api(Method::GET, &format!("/api/v1/vendors/{id}"), t, None).await;
    assert_eq!((one.status, one.json()["name"].as_str()), (StatusCode::OK, Some("Acme Medical")));

    // PATCH changes what it names; the rest stays.
    let patched = server
        .api(Method::PATCH, &format!("/api/v1/vendors/{id}"), t, Some(&json!({"payment_terms": "day_of_month:10", "is_1099": false})))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    let p = patched.json();
    assert_eq!(
        (p["payment_terms"].as_str(), p["is_1099"].as_bool(), p["address"].as_str()),
        (Some("day_of_month:10"), Some(false), Some("12 Main St"))
    );
    let bad_patch = server.api(Method::PATCH, &format!("/api/v1/vendors/{id}"), t, Some(&json!({"payment_terms": "day_of_month:0"}))).await;
    assert_eq!(error_fields(&bad_patch.problem(422)), ["payment_terms"]);
    let unknown_member = server.api(Method::PATCH, &format!("/api/v1/vendors/{id}"), t, Some(&json!({"colour": "red"}))).await;
    assert_eq!(unknown_member.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown_member.text());

    // PUT replaces the whole vendor: what is left out is blank.
    let replaced = server
        .api(Method::PUT, &format!("/api/v1/vendors/{id}"), t, Some(&json!({"name": "Acme Medical Supply", "payment_terms": "net_15"})))
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text());
    let r = replaced.json();
    assert_eq!(
        (r["name"].as_str(), r["payment_terms"].as_str(), r["address"].is_null()),
        (Some("Acme Medical Supply"), Some("net_15"), true)
    );

    let list = server.api(Method::GET, "/api/v1/vendors", t, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["id"].as_str(), items[0]["open_balance_cents"].as_i64()), (Some(id.as_str()), Some(0)));

    server.api(Method::GET, "/api/v1/vendors/nobody", t, None).await.problem(404);
    server.api(Method::PUT, "/api/v1/vendors/nobody", t, Some(&json!({"name": "X", "payment_terms": "net_30"}))).await.problem(404);
    let desk = server.token("frontdesk").await;
    server.api(Method::GET, "/api/v1/vendors", Some(&desk), None).await.problem(403);
    server.api(Method::POST, "/api/v1/vendors", Some(&desk), Some(&body)).await.problem(403);
}

#[tokio::test]
async fn bills_are_entered_in_cents_listed_by_status_and_a_used_number_is_refused_on_its_field() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let t = Some(token.as_str());
    let v = server
        .api(
            Method::POST,
            "/api/v1/vendors",
            t,
            Some(&json!({"name": "Power Co", "payment_terms": "net_30", "default_expense_account": "6200"})),
        )
        .await;
    let vendor_id = v.json()["id"].as_str().unwrap().to_string();

    let body = json!({"vendor_id": vendor_id, "bill_number": "P-100", "bill_date": "2026-03-10", "memo": "March power",
        "lines": [{"account": "6200", "amount_cents": 12_550, "memo": "meter 1"}, {"amount_cents": 450}]});
    let created = server.api(Method::POST, "/api/v1/bills", t, Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let b = created.json();
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!((b["due_date"].as_str(), b["total_cents"].as_i64(), b["status"].as_str()), (Some("2026-04-09"), Some(13_000), Some("open")));
    assert_eq!(b["lines"].as_array().unwrap().len(), 2);
    assert_eq!((b["lines"][1]["account_number"].as_str(), b["lines"][1]["amount_cents"].as_i64()), (Some("6200"), Some(450)));
    assert!(b["journal_entry_id"].as_str().is_some_and(|j| !j.is_empty()) && b["attachments"].as_array().unwrap().is_empty());
    let entry = server.api(Method::GET, &format!("/api/v1/ledger/entries/{}", b["journal_entry_id"].as_str().unwrap()), t, None).await;
    assert_eq!(entry.json()["total_cents"].as_i64(), Some(13_000));

    let again = server.api(Method::POST, "/api/v1/bills", t, Some(&body)).await;
    let doc = again.problem(422);
    assert_eq!(error_fields(&doc), ["bill_number"]);
    assert!(doc["errors"][0]["message"].as_str().unwrap().contains("P-100"));
    let bad_lines = json!({"vendor_id": vendor_id, "bill_number": "P-101", "bill_date": "2026-03-10",
        "lines": [{"account": "4000", "amount_cents": 100}, {"account": "6200", "amount_cents": 0}]});
    assert_eq!(
        error_fields(&server.api(Method::POST, "/api/v1/bills", t, Some(&bad_lines)).await.problem(422)),
        ["lines[0].account", "lines[1].amount_cents"]
    );
    let fraction = json!({"vendor_id": vendor_id, "bill_number": "P-102", "bill_date": "2026-03-10", "lines": [{"amount_cents": 12.5}]});
    assert_eq!(error_fields(&server.api(Method::POST, "/api/v1/bills", t, Some(&fraction)).await.problem(422)), ["lines[0].amount_cents"]);

    let open = server.api(Method::GET, "/api/v1/bills?status=open", t, None).await;
    assert_eq!(open.status, StatusCode::OK);
    let items = open.json()["items"].as_array().unwrap().clone();
    assert_eq!((items.len(), items[0]["id"].as_str()), (1, Some(id.as_str())));
    assert!(server.api(Method::GET, "/api/v1/bills?status=paid", t, None).await.json()["items"].as_array().unwrap().is_empty());
    assert_eq!(error_fields(&server.api(Method::GET, "/api/v1/bills?status=late", t, None).await.problem(422)), ["status"]);

    let one = server.api(Method::GET, &format!("/api/v1/bills/{id}"), t, None).await;
    assert_eq!(
        (one.status, one.json()["memo"].as_str(), one.json()["vendor_name"].as_str()),
        (StatusCode::OK, Some("March power"), Some("Power Co"))
    );
    server.api(Method::GET, "/api/v1/bills/nothing", t, None).await.problem(404);

    let vendors = server.api(Method::GET, "/api/v1/vendors", t, None).await.json();
    assert_eq!(vendors["items"][0]["open_balance_cents"].as_i64(), Some(13_000));
    let doc = server.api(Method::GET, "/api/v1/openapi.json", t, None).await.json();
    for path in ["/api/v1/vendors", "/api/v1/vendors/{id}", "/api/v1/bills", "/api/v1/bills/{id}"] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["paths"]["/api/v1/vendors/{id}"]["patch"].is_object());
    let biller = server.token("biller").await;
    server.api(Method::POST, "/api/v1/bills", Some(&biller), Some(&body)).await.problem(403);
}
