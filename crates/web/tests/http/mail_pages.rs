//! The mail room over HTTP: logging returned mail as a browser posts it (multipart, with the
//! scan), the form re-rendered with each message next to its field, the list to call and the flag
//! on the chart; a records request logged through the API, fulfilled through its page, and shown
//! in the patient's accounting of disclosures (page and PDF); the API's refusals naming fields;
//! the bookkeeper kept out.

use crate::harness::{Browser, Reply, Server, error_fields, patient_body, register, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

const BOUNDARY: &str = "----medofficeMailBoundary5XkTrZu0gW";

fn png_bytes() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
    bytes
}

/// Posts a multipart form as a same-origin browser does, with the session's CSRF token.
async fn post_multipart(
    server: &Server,
    browser: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Reply {
    let mut body = Vec::new();
    let mut all = vec![("csrf", browser.csrf.as_str())];
    all.extend_from_slice(fields);
    for (name, value) in all {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((field, file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, format!("medoffice_session={}", browser.cookie))
        .header(header::HOST, "localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost:8080")
        .body(Body::from(body))
        .expect("request");
    server.send(request).await
}

#[tokio::test]
async fn returned_mail_logged_on_the_page_flags_the_chart_and_lists_the_patient_to_call() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Mailback", "Nora")).await;
    let pid = patient["id"].as_str().expect("id").to_string();
    let desk = server.login("frontdesk").await;

    let form = server.get(&desk, &format!("/mail/new?patient_id={pid}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Mailback, Nora"), "the chosen patient is shown");

    // Without a sender and with a text file as the scan: the form again, each message at its field.
    let refused = post_multipart(
        &server,
        &desk,
        "/mail/new",
        &[("patient_id", &pid), ("kind", "returned_mail"), ("received_date", "2026-01-05")],
        Some(("scan", "notes.txt", b"plain text")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("id=\"e-sender\"") && html.contains("enter who sent it"), "{html}");
    assert!(html.contains("id=\"e-scan\"") && html.contains("PDF, PNG or JPEG"), "{html}");
    assert!(server.get(&desk, "/mail/returned").await.text().contains("Nobody to call."));

    let logged = post_multipart(
        &server,
        &desk,
        "/mail/new",
        &[
            ("patient_id", &pid),
            ("kind", "returned_mail"),
            ("sender", "USPS"),
            ("received_date", "2026-01-05"),
            ("route_to_role", "front_desk"),
        ],
        Some(("scan", "envelope.png", &png_bytes())),
    )
    .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.text());
    let item = logged.location().to_string();
    assert!(item.starts_with("/mail/"), "{item}");
    let page = server.get(&desk, &item).await.text();
    assert!(page.contains("address is marked bad") && page.contains("envelope.png"), "{page}");
    let scan = server.get(&desk, &format!("{}/scan", item.split('?').next().unwrap_or(""))).await;
    assert_eq!((scan.status, scan.content_type()), (StatusCode::OK, "image/png"));
    assert_eq!(scan.body, png_bytes());

    let calls = server.get(&desk, "/mail/returned").await.text();
    assert!(calls.contains("Mailback, Nora") && calls.contains("12 Elm St"), "{calls}");
    let chart = server.get(&desk, &format!("/patients/{pid}")).await.text();
    assert!(chart.contains("data-bad-address") && chart.contains("address bad since"), "{chart}");
    let mine = server.get(&desk, "/mail?status=open&mine=1").await.text();
    assert!(mine.contains("Returned mail") && mine.contains("USPS"), "{mine}");

    // The bookkeeper has no mail room.
    let bk = server.login("bookkeeper").await;
    assert_eq!(server.get(&bk, "/mail").await.status, StatusCode::FORBIDDEN);
    assert!(!server.get(&bk, "/books").await.text().contains("href=\"/mail\""));
}

#[tokio::test]
async fn a_records_request_fulfilled_on_its_page_appears_in_the_disclosure_report() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Records", "Ruth")).await;
    let pid = patient["id"].as_str().expect("id").to_string();

    let bad = server.api(Method::POST, "/api/v1/records-requests", Some(&token), Some(&json!({"requester_kind": "neighbour"}))).await;
    assert_eq!(error_fields(&bad.problem(422)), ["patient_id", "requester_name", "requester_kind", "requested_what", "purpose"]);
    let created = server
        .api(
            Method::POST,
            "/api/v1/records-requests",
            Some(&token),
            Some(&json!({"patient_id": pid, "requester_name": "Hart & Lowe LLP", "requester_kind": "attorney",
                "requested_what": "All records 2024-2026", "purpose": "Legal (authorised by the patient)"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let request = created.json();
    let id = request["id"].as_str().expect("id").to_string();
    assert_eq!(request["days_left"], 30);

    let desk = server.login("frontdesk").await;
    let list = server.get(&desk, "/mail/records").await.text();
    assert!(list.contains("Hart &#38; Lowe LLP") && list.contains("30 days left"), "{list}");

    // Certified without its tracking number: refused at the field, nothing released.
    let refused = server
        .post_form(&desk, &format!("/mail/records/{id}/fulfil"), &[("method", "usps_certified"), ("pages", "12"), ("date", "")])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.text().contains("id=\"e-tracking_number\""), "{}", refused.text());
    assert!(server.get(&desk, &format!("/patients/{pid}/disclosures")).await.text().contains("No disclosures recorded."));

    let done = server
        .post_form(
            &desk,
            &format!("/mail/records/{id}/fulfil"),
            &[("method", "usps_certified"), ("tracking_number", "9407111899223"), ("pages", "12"), ("date", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let page = server.get(&desk, done.location()).await.text();
    assert!(page.contains("data-status=\"fulfilled\"") && page.contains("9407111899223"), "{page}");

    let report = server.get(&desk, &format!("/patients/{pid}/disclosures")).await.text();
    assert!(report.contains("Hart &#38; Lowe LLP") && report.contains("All records 2024-2026 (12 pages"), "{report}");
    let pdf = server.get(&desk, &format!("/patients/{pid}/disclosures.pdf")).await;
    assert_eq!((pdf.status, pdf.content_type()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let outgoing = server.get(&desk, "/mail/outgoing").await.text();
    assert!(outgoing.contains("USPS certified") && outgoing.contains("Hart &#38; Lowe LLP"), "{outgoing}");

    let again = server
        .api(Method::POST, &format!("/api/v1/records-requests/{id}/fulfil"), Some(&token), Some(&json!({"method": "fax", "pages": 1})))
        .await;
    again.problem(409);
}

#[tokio::test]
async fn the_mail_api_logs_a_check_to_post_and_names_refused_fields() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let bad = server.api(Method::POST, "/api/v1/mail", Some(&token), Some(&json!({"kind": "insurance_check", "sender": "Payer"}))).await;
    assert_eq!(error_fields(&bad.problem(422)), ["check_number", "amount_cents", "payer_id"]);
    let payer = crate::harness::first_payer_id(&server, &token).await;
    let ok = server
        .api(
            Method::POST,
            "/api/v1/mail",
            Some(&token),
            Some(&json!({"kind": "insurance_check", "sender": "Payer", "payer_id": payer, "check_number": "7781", "amount_cents": 43210})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    assert_eq!(ok.json()["payment"]["status"], "to_post");
    let list = server.api(Method::GET, "/api/v1/mail?kind=insurance_check", Some(&token), None).await;
    assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1));
    let desk = server.login("frontdesk").await;
    let to_post = server.get(&desk, "/mail/payments").await.text();
    assert!(to_post.contains("7781") && to_post.contains("$432.10"), "{to_post}");
    let bk_token = server.token("bookkeeper").await;
    server.api(Method::GET, "/api/v1/mail", Some(&bk_token), None).await.problem(403);
}
