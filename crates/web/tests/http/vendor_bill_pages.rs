//! Vendors and bill entry over HTTP: the vendor form with each message next to its field, the
//! bill form posted as a browser posts it (multipart, with the scanned bill), a used bill number
//! refused next to its field, the bill's page and the attachment's download.

use crate::harness::{Browser, Reply, Server, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use medoffice_app::Actor;
use medoffice_app::payables::NewVendorInput;

const BOUNDARY: &str = "----medofficeTestBoundary7MA4YWxkTrZu0gW";

fn pdf_bytes() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A `multipart/form-data` body: the text fields, then the file part (name, type, bytes), if any.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((file_name, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts the bill form as a same-origin browser does, with the session's CSRF token.
async fn post_bill(server: &Server, browser: &Browser, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Reply {
    let mut all = vec![("csrf", browser.csrf.as_str())];
    all.extend_from_slice(fields);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/books/bills/new")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, format!("medoffice_session={}", browser.cookie))
        .header(header::HOST, "localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost:8080")
        .body(Body::from(multipart(&all, file)))
        .expect("request");
    server.send(request).await
}

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

async fn add_vendor(server: &Server, name: &str, terms: &str) -> String {
    let bk = actor(server, "bookkeeper").await;
    let input =
        NewVendorInput { name: name.into(), payment_terms: terms.into(), default_expense_account: "6200".into(), ..Default::default() };
    server.app.add_vendor(&bk, &input).await.expect("vendor").id
}

/// The text between two markers of a page (to check a message sits next to its field).
fn between<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from} in {html}"));
    let end = html[start..].find(to).map(|i| i + start).unwrap_or_else(|| panic!("no {to} after {from} in {html}"));
    &html[start..end]
}

#[tokio::test]
async fn the_vendor_form_puts_each_message_next_to_its_field_and_saves_a_vendor_that_is_then_edited() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let form = server.get(&browser, "/books/vendors/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    for option in [
        "value=\"net_30\" selected",
        "value=\"net_15\"",
        "value=\"net_60\"",
        "value=\"2/10 net 30\"",
        "value=\"due_on_receipt\"",
        "value=\"day_of_month\"",
    ] {
        assert!(html.contains(option), "{option}: {html}");
    }
    assert!(html.contains("<option value=\"6200\">") && !html.contains("<option value=\"4000\">"), "expense and asset accounts only");

    let refused = server
        .post_form(
            &browser,
            "/books/vendors",
            &[("name", " "), ("default_expense_account", "4000"), ("payment_terms", "day_of_month"), ("terms_day", "40")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("The vendor was not saved"), "{html}");
    assert!(between(&html, "id=\"f-name\"", "id=\"f-contact\"").contains("id=\"e-name\""), "{html}");
    assert!(between(&html, "id=\"f-terms_day\"", "</div>").contains("the day of the month is 1 to 31"), "{html}");
    assert!(between(&html, "id=\"f-default_expense_account\"", "</div>").contains("id=\"e-default_expense_account\""), "{html}");
    assert!(html.contains("value=\"day_of_month\" selected") && html.contains("value=\"40\""), "the typed values stay: {html}");

    let saved = server
        .post_form(
            &browser,
            "/books/vendors",
            &[
                ("name", "Acme Medical"),
                ("address", "12 Main St"),
                ("tax_id", "12-3456789"),
                ("default_expense_account", "6200"),
                ("payment_terms", "day_of_month"),
                ("terms_day", "15"),
                ("is_1099", "on"),
            ],
        )
        .await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/books/vendors?done=added"), "{}", saved.text());
    let list = server.get(&browser, "/books/vendors?done=added").await.text();
    assert!(list.contains("The vendor was added.") && list.contains("Acme Medical") && list.contains("Day 15 of the next month"), "{list}");
    assert!(list.contains("data-1099=\"yes\"") && list.contains("6200 "), "{list}");

    let bk = actor(&server, "bookkeeper").await;
    let id = server.app.vendors(&bk).await.unwrap()[0].id.clone();
    let edit = server.get(&browser, &format!("/books/vendors/{id}")).await.text();
    assert!(
        edit.contains("value=\"Acme Medical\"") && edit.contains("value=\"day_of_month\" selected") && edit.contains("value=\"15\""),
        "{edit}"
    );
    let changed = server
        .post_form(
            &browser,
            &format!("/books/vendors/{id}"),
            &[("name", "Acme Medical Supply"), ("default_expense_account", "6200"), ("payment_terms", "2/10 net 30")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());
    let v = server.app.vendor(&bk, &id).await.unwrap();
    assert_eq!((v.name.as_str(), v.payment_terms.as_str(), v.is_1099, v.address), ("Acme Medical Supply", "2/10 net 30", false, None));
    let bad_edit = server.post_form(&browser, &format!("/books/vendors/{id}"), &[("name", ""), ("payment_terms", "net_30")]).await;
    assert!(bad_edit.text().contains("id=\"e-name\""), "{}", bad_edit.text());

    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/books/vendors").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&desk, "/books/vendors/new").await.status, StatusCode::FORBIDDEN);
    let not_allowed = server.post_form(&desk, "/books/vendors", &[("name", "Sneaky"), ("payment_terms", "net_30")]).await;
    assert_eq!(not_allowed.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_bill_is_entered_with_its_scanned_bill_and_the_file_is_downloaded_as_it_was_uploaded() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let vendor = add_vendor(&server, "Acme Medical", "net_30").await;
    let form = server.get(&browser, &format!("/books/bills/new?vendor_id={vendor}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("data-terms=\"net_30\" data-account=\"6200\""), "{html}");
    assert!(html.contains("<script src=\"/books/bill-entry.js\" defer></script>") && !html.contains("<script>"), "{html}");
    assert!(html.contains("<option value=\"6200\" selected>"), "lines start on the vendor's account: {html}");
    let script = server.get(&browser, "/books/bill-entry.js").await;
    assert!(script.content_type().starts_with("text/javascript") && script.text().contains("day_of_month"));

    let fields = [
        ("vendor_id", vendor.as_str()),
        ("bill_number", "INV-2041"),
        ("bill_date", "2026-03-10"),
        ("memo", "March supplies"),
        ("lines[0].account", "6200"),
        ("lines[0].amount", "$1,234.56"),
        ("lines[0].memo", "gloves"),
        ("lines[1].account", ""),
        ("lines[1].amount", "0.44"),
        ("lines[1].memo", ""),
        ("lines[2].account", "6200"),
        ("lines[2].amount", ""),
        ("lines[2].memo", ""),
    ];
    let entered = post_bill(&server, &browser, &fields, Some(("scan of bill.pdf", "application/octet-stream", &pdf_bytes()))).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.text());
    assert!(entered.location().starts_with("/books/bills/") && entered.location().ends_with("?done=entered"), "{}", entered.location());

    let page = server.get(&browser, entered.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("The bill was entered"), "{html}");
    assert!(html.contains("data-due=\"2026-04-09\"") && html.contains("data-status=\"open\""), "net 30 from 2026-03-10: {html}");
    assert!(html.contains("data-total=\"bill\">$1,235.00<") && html.contains("gloves"), "{html}");
    assert!(html.contains("href=\"/books/journal/"), "{html}");
    let link_start = html.find("href=\"/books/bills/attachments/").expect("attachment link") + "href=\"".len();
    let link = &html[link_start..link_start + html[link_start..].find('"').unwrap()];
    assert!(html.contains("scan of bill.pdf") && html.contains("PDF"), "{html}");

    let file = server.get(&browser, link).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.content_type(), "application/pdf");
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"scan of bill.pdf\"; filename*=UTF-8''scan%20of%20bill.pdf")
    );
    assert_eq!(file.body, pdf_bytes());

    let bk = actor(&server, "bookkeeper").await;
    let trail = server.app.audit_trail(&actor(&server, "admin").await, &Default::default(), 50).await.unwrap();
    assert!(trail.iter().any(|r| r.action == "payables.bill.attachment.read" && r.username == "bookkeeper"));
    let bills = server.app.bills(&bk, "open", "").await.unwrap();
    assert_eq!((bills.len(), bills[0].total_cents), (1, 123_500));

    // The vendor's page lists the bill, linked to its page.
    let bill_page = entered.location().trim_end_matches("?done=entered");
    let vendor_page = server.get(&browser, &format!("/books/vendors/{vendor}")).await.text();
    assert!(vendor_page.contains(&format!("href=\"{bill_page}\">INV-2041</a>")), "{vendor_page}");

    // Those outside the books cannot download it.
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, link).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_used_bill_number_a_bad_amount_and_a_file_that_is_not_a_bill_are_each_shown_next_to_their_field() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let vendor = add_vendor(&server, "Acme Medical", "net_30").await;
    let first = [
        ("vendor_id", vendor.as_str()),
        ("bill_number", "INV-1"),
        ("bill_date", "2026-03-10"),
        ("lines[0].account", "6200"),
        ("lines[0].amount", "100.00"),
        ("lines[1].account", ""),
        ("lines[1].amount", ""),
    ];
    assert_eq!(post_bill(&server, &browser, &first, None).await.status, StatusCode::SEE_OTHER);

    let again = post_bill(&server, &browser, &first, Some(("scan.png", "image/png", b"\x89PNG\r\n\x1a\n0000"))).await;
    assert_eq!(again.status, StatusCode::OK);
    let html = again.text();
    assert!(html.contains("The bill was not entered"), "{html}");
    let bill_number = between(&html, "id=\"f-bill_number\"", "</div>");
    assert!(
        bill_number.contains("id=\"e-bill_number\"") && bill_number.contains("bill INV-1 from Acme Medical was entered already"),
        "{html}"
    );
    assert!(html.contains("value=\"INV-1\"") && html.contains("value=\"100.00\""), "typed values stay: {html}");

    let mut bad = first;
    bad[1] = ("bill_number", "INV-2");
    bad[4] = ("lines[0].amount", "12.345");
    let refused = post_bill(&server, &browser, &bad, Some(("bill.pdf", "application/pdf", b"<html>phish</html>"))).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    let amount = between(&html, "id=\"l0-amount\"", "</td>");
    assert!(amount.contains("id=\"l0-amount-error\"") && amount.contains("at most two decimals"), "{html}");
    let attachment = between(&html, "id=\"f-attachment\"", "</div>");
    assert!(attachment.contains("id=\"e-attachment\"") && attachment.contains("PDF, PNG or JPEG"), "{html}");
    assert!(!html.contains("id=\"e-bill_number\""), "{html}");

    let bk = actor(&server, "bookkeeper").await;
    assert_eq!(server.app.bills(&bk, "", "").await.unwrap().len(), 1, "only the first bill was entered");
    let missing = post_bill(&server, &browser, &[("vendor_id", ""), ("bill_number", ""), ("bill_date", "03/10/2026")], None).await;
    let html = missing.text();
    for field in ["e-vendor_id", "e-bill_number", "e-bill_date", "e-lines"] {
        assert!(html.contains(&format!("id=\"{field}\"")), "{field}: {html}");
    }
}
