//! Third-party invoices over HTTP: the pages (parties, new invoice, the invoice with its payment
//! form, the list with the aging and its tie to 1120) render, a form error shows next to its
//! field, the PDF is `application/pdf`; the API creates, pays and lists with bad input named by
//! field; a role without ManageReceivables is refused.

use crate::harness::{error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_pages_issue_pay_and_print_an_invoice_with_errors_by_their_fields() {
    let server = spawn().await;
    let biller = server.login("biller").await;

    let parties = server.get(&biller, "/billing/third-parties").await;
    assert_eq!(parties.status, StatusCode::OK, "{}", parties.text());
    assert!(parties.text().contains("Add a third party"));
    let bad = server.post_form(&biller, "/billing/third-parties", &[("name", ""), ("kind", "bank"), ("payment_terms", "net_30")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    let html = bad.text();
    assert!(html.contains("id=\"e-name\"") && html.contains("id=\"e-kind\""), "{html}");
    assert!(!html.contains("id=\"e-payment_terms\""));
    let added = server
        .post_form(
            &biller,
            "/billing/third-parties",
            &[
                ("name", "Lakeside School District"),
                ("kind", "school"),
                ("payment_terms", ""),
                ("late_rate_percent", "1.5"),
                ("late_grace_days", "10"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let list = server.get(&biller, "/billing/third-parties").await.text();
    assert!(list.contains("Lakeside School District") && list.contains("Net 30") && list.contains("1.5% a month"), "{list}");
    let token = server.token("biller").await;
    let party_id = server.api(Method::GET, "/api/v1/third-parties", Some(&token), None).await.json()["items"][0]["id"]
        .as_str()
        .expect("the party's id")
        .to_string();
    let edit = server.get(&biller, &format!("/billing/third-parties/{party_id}")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.text().contains("value=\"1.50\""), "{}", edit.text());

    let new = server.get(&biller, &format!("/billing/invoices/new?third_party_id={party_id}")).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text());
    assert!(new.text().contains("Lakeside School District"));
    let fields = [
        ("third_party_id", party_id.as_str()),
        ("invoice_date", ""),
        ("memo", "PO 7731"),
        ("lines[0].description", "Sports physicals (12)"),
    ];
    let mut bad = fields.to_vec();
    bad.push(("lines[0].amount", "lots"));
    let refused = server.post_form(&biller, "/billing/invoices", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    let html = refused.text();
    assert!(html.contains("id=\"e-line-0-amount\"") && html.contains("value=\"Sports physicals (12)\""), "{html}");
    let mut good = fields.to_vec();
    good.push(("lines[0].amount", "540.00"));
    let created = server.post_form(&biller, "/billing/invoices", &good).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let location = created.location().to_string();
    assert!(location.starts_with("/billing/invoices/") && location.ends_with("?notice=created"), "{location}");
    let invoice_path = location.trim_end_matches("?notice=created").to_string();
    let page = server.get(&biller, &location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Invoice INV-000001") && html.contains("Receive a payment") && html.contains("$540.00"), "{html}");

    let too_much = server
        .post_form(
            &biller,
            &format!("{invoice_path}/payments"),
            &[("amount", "600.00"), ("method", "check"), ("reference", "5521"), ("payment_date", "")],
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", too_much.text());
    assert!(too_much.text().contains("id=\"e-amount\""), "{}", too_much.text());
    let paid = server
        .post_form(
            &biller,
            &format!("{invoice_path}/payments"),
            &[("amount", "40.00"), ("method", "check"), ("reference", "5521"), ("payment_date", "")],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text());
    let html = server.get(&biller, &format!("{invoice_path}?notice=paid")).await.text();
    assert!(html.contains("Partially paid") && html.contains("$500.00") && html.contains("5521"), "{html}");
    assert!(!html.contains("Void this invoice"), "a paid invoice offers no void");

    let pdf = server.get(&biller, &format!("{invoice_path}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));

    let index = server.get(&biller, "/billing/invoices").await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.text());
    let html = index.text();
    assert!(html.contains("INV-000001") && html.contains("Aging of AR - Other by party") && html.contains("Ties to the ledger"), "{html}");
    assert!(html.contains("invoice date"), "the page says what the days are counted from");
    assert!(server.get(&biller, "/billing/invoices?aging=current").await.text().contains("INV-000001"));
    assert!(!server.get(&biller, "/billing/invoices?aging=over120").await.text().contains("INV-000001"));
    let run = server.post_form(&biller, "/billing/invoices/late-charges", &[("as_of", "")]).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text());
    assert!(run.text().contains("nothing to charge"), "{}", run.text());

    // The front desk does not see third-party invoices.
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/billing/invoices").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&desk, &format!("{invoice_path}/pdf")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_api_creates_pays_and_ages_invoices_and_names_bad_fields() {
    let server = spawn().await;
    let token = server.token("biller").await;
    let bad = server
        .api(Method::POST, "/api/v1/third-parties", Some(&token), Some(&json!({"name": "", "kind": "employer", "payment_terms": "net_x"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    assert_eq!(error_fields(&bad.json()), ["name", "payment_terms"]);
    let party = server
        .api(
            Method::POST,
            "/api/v1/third-parties",
            Some(&token),
            Some(&json!({"name": "Acme Tools", "kind": "employer", "email": "hr@acme.example"})),
        )
        .await;
    assert_eq!(party.status, StatusCode::CREATED, "{}", party.text());
    let party = party.json();
    assert_eq!(party["payment_terms"], json!("net_30"));
    let party_id = party["id"].as_str().expect("id").to_string();

    let refused = server
        .api(
            Method::POST,
            "/api/v1/invoices",
            Some(&token),
            Some(&json!({"third_party_id": party_id, "lines": [{"description": "Physical", "amount": "-5"}]})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert_eq!(error_fields(&refused.json()), ["lines[0].amount"]);
    let wrong_shape =
        server.api(Method::POST, "/api/v1/invoices", Some(&token), Some(&json!({"third_party_id": party_id, "lines": "one"}))).await;
    assert_eq!(wrong_shape.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong_shape.text());
    assert_eq!(error_fields(&wrong_shape.json()), ["lines"]);

    let body = json!({"third_party_id": party_id, "memo": "June", "lines": [
        {"description": "Pre-employment physical", "service_date": "", "amount": "120.00"},
        {"description": "Drug screen", "amount": "45.50"}]});
    let created = server.api(Method::POST, "/api/v1/invoices", Some(&token), Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_string();
    assert_eq!(created.header("location"), Some(format!("/api/v1/invoices/{id}").as_str()));
    let invoice = server.api(Method::GET, &format!("/api/v1/invoices/{id}"), Some(&token), None).await.json();
    assert_eq!(
        (invoice["number"].clone(), invoice["total_cents"].clone(), invoice["status"].clone()),
        (json!("INV-000001"), json!(16550), json!("open"))
    );

    let payments = format!("/api/v1/invoices/{id}/payments");
    let bad_pay =
        server.api(Method::POST, &payments, Some(&token), Some(&json!({"amount": "200.00", "method": "wire", "reference": "x"}))).await;
    assert_eq!(bad_pay.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&bad_pay.json()), ["method", "amount"]);
    let paid = server
        .api(Method::POST, &payments, Some(&token), Some(&json!({"amount": "165.50", "method": "ach", "reference": "TRACE 99"})))
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text());
    assert_eq!(paid.json()["receipt_number"], json!(1));
    let list = server.api(Method::GET, "/api/v1/invoices?status=paid", Some(&token), None).await.json();
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["items"][0]["balance_cents"], json!(0));
    let void = server.api(Method::POST, &format!("/api/v1/invoices/{id}/void"), Some(&token), Some(&json!({"reason": "test"}))).await;
    assert_eq!(void.status, StatusCode::CONFLICT, "a paid invoice is not voided: {}", void.text());

    let aging = server.api(Method::GET, "/api/v1/invoice-aging", Some(&token), None).await.json();
    assert_eq!(aging["total_cents"], aging["ledger_balance_cents"]);
    assert_eq!(aging["difference_cents"], json!(0));
    let run = server.api(Method::POST, "/api/v1/invoice-late-charges", Some(&token), Some(&json!({}))).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text());
    assert_eq!(run.json()["charged"], json!(0));

    let pdf = server.api(Method::GET, &format!("/api/v1/invoices/{id}/pdf"), Some(&token), None).await;
    assert_eq!(pdf.content_type(), "application/pdf");

    // The bookkeeper reads but does not write.
    let books = server.token("bookkeeper").await;
    assert_eq!(server.api(Method::GET, "/api/v1/invoices", Some(&books), None).await.status, StatusCode::OK);
    let denied =
        server.api(Method::POST, &payments, Some(&books), Some(&json!({"amount": "1.00", "method": "check", "reference": "1"}))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let openapi = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.text();
    assert!(openapi.contains("/api/v1/invoices/{id}/payments") && openapi.contains("/api/v1/third-parties"));
}
