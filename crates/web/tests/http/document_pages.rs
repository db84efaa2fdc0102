//! Medical files' pages: the upload form (file input taking several pages, the categories the
//! role handles, errors next to their field), filing from the chart, the document's page with
//! its preview (a PDF in a frame the CSP allows from medoffice only, an image as an image), its
//! versions with download links and a new version, the search page, the chart's section, and
//! roles kept out.

use crate::api_documents::{content_type, jpeg, multipart, pdf_with_text};
use crate::harness::{Browser, Reply, Server, patient_body, register, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

/// Posts a multipart form as a same-origin browser does, with the session's CSRF token.
async fn post_multipart(server: &Server, browser: &Browser, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Reply {
    let mut all = vec![("csrf", browser.csrf.as_str())];
    all.extend_from_slice(fields);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type())
        .header(header::COOKIE, format!("medoffice_session={}", browser.cookie))
        .header(header::HOST, "localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost:8080")
        .body(Body::from(multipart(&all, files)))
        .expect("request");
    server.send(request).await
}

#[tokio::test]
async fn a_document_is_filed_from_the_chart_previewed_versioned_and_found() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Scanwell", "Iris")).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let desk = server.login("frontdesk").await;

    // The chart has a Documents section with a link to file one for this patient.
    let chart = server.get(&desk, &format!("/patients/{pid}")).await.text();
    assert!(chart.contains("id=\"chart-documents\""), "{chart}");
    assert!(chart.contains(&format!("href=\"/documents/new?patient_id={pid}\"")));
    assert!(chart.contains("href=\"/documents\""), "the navigation links to the documents");

    // The form: the patient shown, a file input taking several pages, patient-record categories only.
    let form = server.get(&desk, &format!("/documents/new?patient_id={pid}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    assert!(html.contains("Scanwell, Iris"));
    assert!(html.contains("name=\"file\" type=\"file\" multiple"), "{html}");
    assert!(html.contains("value=\"referral\"") && html.contains("value=\"insurance_card\""));
    assert!(!html.contains("value=\"payer_contract\"") && !html.contains("value=\"eob\""), "the front desk files patient records only");

    // Without a file and with no category: the form again, each message next to its field.
    let refused = post_multipart(&server, &desk, "/documents/new", &[("patient_id", &pid), ("category", "")], &[]).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("id=\"e-file\""), "{html}");
    assert!(html.contains("id=\"e-category\""), "{html}");
    assert!(html.contains("choose a category"));

    // Two scanned pages filed as one consent form.
    let filed = post_multipart(
        &server,
        &desk,
        "/documents/new",
        &[
            ("patient_id", &pid),
            ("category", "consent_form"),
            ("title", "Consent to treat"),
            ("description", "Signed at check-in"),
            ("document_date", "2026-06-01"),
        ],
        &[("file", "page1.jpg", &jpeg(1700, 2200)), ("file", "page2.jpg", &jpeg(1700, 2200))],
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text());
    let location = filed.location().to_string();
    assert!(location.starts_with("/documents/") && location.ends_with("?notice=filed"), "{location}");
    let id = location.trim_start_matches("/documents/").trim_end_matches("?notice=filed").to_string();

    let page = server.get(&desk, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Consent to treat") && html.contains("2 pages"), "{html}");
    assert!(html.contains(&format!("<iframe class=\"document-frame\" src=\"/documents/{id}/view\"")), "{html}");
    assert!(html.contains(&format!("href=\"/documents/{id}/download?version=1\"")));

    // The preview: inline, framable by medoffice's own pages only, never sniffed.
    let view = server.get(&desk, &format!("/documents/{id}/view")).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.header("content-type"), Some("application/pdf"));
    assert!(view.header("content-disposition").unwrap().starts_with("inline; filename=\"page1.pdf\""));
    assert_eq!(view.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(view.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(view.header("content-security-policy").unwrap().contains("frame-ancestors 'self'"));
    // Any other page still refuses to be framed.
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    let download = server.get(&desk, &format!("/documents/{id}/download")).await;
    assert!(download.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(medoffice_pdf::scan::pdf_page_count(&download.body).unwrap(), 2);

    // A new version (a PDF with text): both versions listed, the old one still downloadable.
    let bad =
        post_multipart(&server, &desk, &format!("/documents/{id}/versions"), &[("note", "x")], &[("file", "notes.txt", b"plain text")])
            .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text().contains("id=\"e-file\""), "{}", bad.text());
    let pdf = pdf_with_text("Consent to treat, countersigned by Dr. Okafor");
    let second = post_multipart(
        &server,
        &desk,
        &format!("/documents/{id}/versions"),
        &[("note", "countersigned")],
        &[("file", "consent.pdf", &pdf)],
    )
    .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.text());
    let html = server.get(&desk, &format!("/documents/{id}")).await.text();
    assert!(html.contains("id=\"version-2\"") && html.contains("id=\"version-1\"") && html.contains("countersigned"), "{html}");
    let first = server.get(&desk, &format!("/documents/{id}/download?version=1")).await;
    assert_eq!(medoffice_pdf::scan::pdf_page_count(&first.body).unwrap(), 2);

    // Search: by a word of the new version's text; the chart lists it.
    let results = server.get(&desk, "/documents?q=countersigned").await.text();
    assert!(results.contains(&format!("href=\"/documents/{id}\"")), "{results}");
    assert!(results.contains("Consent form"));
    let none = server.get(&desk, "/documents?q=zzzunknownword").await.text();
    assert!(none.contains("No document here"));
    let chart = server.get(&desk, &format!("/patients/{pid}")).await.text();
    assert!(chart.contains(&format!("href=\"/documents/{id}\"")));

    // An image is previewed as an image.
    let card = post_multipart(
        &server,
        &desk,
        "/documents/new",
        &[("patient_id", &pid), ("category", "insurance_card")],
        &[("file", "card.jpg", &jpeg(640, 400))],
    )
    .await;
    assert_eq!(card.status, StatusCode::SEE_OTHER, "{}", card.text());
    let html = server.get(&desk, card.location()).await.text();
    assert!(html.contains("<img class=\"document-image\""), "{html}");

    // The biller handles no patient records: the page is refused.
    let biller = server.login("biller").await;
    assert_eq!(server.get(&biller, &format!("/documents/{id}")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&biller, &format!("/documents/{id}/view")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_bookkeeper_files_contracts_and_never_sees_patient_records() {
    let server = spawn().await;
    let bk = server.login("bookkeeper").await;
    let form = server.get(&bk, "/documents/new").await.text();
    assert!(form.contains("value=\"payer_contract\"") && form.contains("value=\"bank_statement\"") && form.contains("value=\"licence\""));
    assert!(!form.contains("value=\"referral\""), "{form}");
    let lease = pdf_with_text("Lease of the Maple Street office");
    let filed = post_multipart(
        &server,
        &bk,
        "/documents/new",
        &[("category", "lease"), ("description", "Ten-year lease")],
        &[("file", "lease.pdf", &lease)],
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text());
    let list = server.get(&bk, "/documents?category=lease").await.text();
    assert!(list.contains("Ten-year lease"), "{list}");
    // The provider may not open it.
    let doctor = server.login("doctor").await;
    assert_eq!(server.get(&doctor, filed.location()).await.status, StatusCode::FORBIDDEN);
    let theirs = server.get(&doctor, "/documents?q=lease").await.text();
    assert!(!theirs.contains("Ten-year lease"));
    // The old /files address leads to the documents.
    let old = server.get(&bk, "/files").await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(old.location(), "/documents");
}
