//! Medical files through the JSON API: a patient's referral uploaded as multipart (201 with its
//! hash), read back with its versions, its content with a safe name and `nosniff`, a new version
//! that keeps the old one, scanned pages combined, a contract filed without a patient, search by a
//! word of its text; refusals naming the field (422), roles kept out (403), unknown ids (404), and
//! the endpoints in the OpenAPI document.

use crate::harness::{Server, error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "----medofficeDocumentsApi7Hq";

/// A multipart body of text fields and files (each `(name, file name, bytes)`).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A one-page PDF whose text layer says `text`.
pub fn pdf_with_text(text: &str) -> Vec<u8> {
    let mut doc = medoffice_pdf::Document::letter();
    doc.paragraph(text);
    doc.finish()
}

/// The start of a baseline JPEG of `w` x `h` (enough to embed in a PDF).
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    out.extend_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&[0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    out
}

async fn post(server: &Server, token: &str, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> crate::harness::Reply {
    server.api_raw(Method::POST, path, token, Some(&content_type()), multipart(fields, files)).await
}

#[tokio::test]
async fn a_patient_document_is_uploaded_read_downloaded_versioned_and_found() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Filer", "Nadia")).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let bytes = pdf_with_text("Referral for a sleep study, suspected apnea");

    let created = post(
        &server,
        &token,
        &format!("/api/v1/patients/{pid}/documents"),
        &[("category", "referral"), ("description", "From Dr. Haddad, pulmonology"), ("document_date", "2026-05-20")],
        &[("file", "../../etc/referral haddad.pdf", &bytes)],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let doc = created.json();
    let id = doc["id"].as_str().unwrap().to_string();
    assert_eq!(doc["patient_id"], pid.as_str());
    assert_eq!(doc["category"], "referral");
    assert_eq!(doc["description"], "From Dr. Haddad, pulmonology");
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["size_bytes"], bytes.len() as i64);
    assert_eq!(doc["sha256"], hex::encode(Sha256::digest(&bytes)).as_str());
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["title"], "referral haddad");
    assert_eq!(doc["file_name"], "referral haddad.pdf", "the path is gone from the name");
    assert_eq!(doc["document_date"], "2026-05-20");

    let read = server.api(Method::GET, &format!("/api/v1/documents/{id}"), Some(&token), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["versions"].as_array().unwrap().len(), 1);

    let content = server.api(Method::GET, &format!("/api/v1/documents/{id}/content"), Some(&token), None).await;
    assert_eq!(content.status, StatusCode::OK);
    assert_eq!(content.body, bytes);
    assert_eq!(content.header("content-type"), Some("application/pdf"));
    assert_eq!(content.header("x-content-type-options"), Some("nosniff"));
    let disposition = content.header("content-disposition").unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename=\"referral haddad.pdf\""), "{disposition}");
    let inline = server.api(Method::GET, &format!("/api/v1/documents/{id}/content?disposition=inline"), Some(&token), None).await;
    assert!(inline.header("content-disposition").unwrap().starts_with("inline;"));

    // A new version of two scanned pages; the first stays downloadable.
    let second = post(
        &server,
        &token,
        &format!("/api/v1/documents/{id}/versions"),
        &[("note", "signed copy")],
        &[("file", "p1.jpg", &jpeg(1700, 2200)), ("file", "p2.jpg", &jpeg(1700, 2200))],
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text());
    let second = second.json();
    assert_eq!((second["version"].as_i64(), second["page_count"].as_i64()), (Some(2), Some(2)));
    assert_eq!(second["versions"].as_array().unwrap().len(), 2);
    let old = server.api(Method::GET, &format!("/api/v1/documents/{id}/content?version=1"), Some(&token), None).await;
    assert_eq!(old.body, bytes);
    let new = server.api(Method::GET, &format!("/api/v1/documents/{id}/content"), Some(&token), None).await;
    assert_eq!(medoffice_pdf::scan::pdf_page_count(&new.body).unwrap(), 2);

    // Found by a word of its description, listed on the patient.
    let found = server.api(Method::GET, "/api/v1/documents?q=haddad", Some(&token), None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    assert_eq!(found.json()["items"][0]["id"], id.as_str());
    let listed = server.api(Method::GET, &format!("/api/v1/documents?patient_id={pid}&category=referral"), Some(&token), None).await;
    assert_eq!(listed.json()["items"].as_array().unwrap().len(), 1);
    let on_patient = server.api(Method::GET, &format!("/api/v1/patients/{pid}/documents"), Some(&token), None).await;
    assert_eq!(on_patient.json()["items"].as_array().unwrap().len(), 1);

    // The biller handles no patient records: refused by id, and search never shows it.
    let biller = server.token("biller").await;
    server.api(Method::GET, &format!("/api/v1/documents/{id}"), Some(&biller), None).await.problem(403);
    server.api(Method::GET, &format!("/api/v1/documents/{id}/content"), Some(&biller), None).await.problem(403);
    let hidden = server.api(Method::GET, "/api/v1/documents?q=haddad", Some(&biller), None).await;
    assert_eq!(hidden.json()["items"].as_array().unwrap().len(), 0);
    let refused =
        post(&server, &biller, &format!("/api/v1/patients/{pid}/documents"), &[("category", "referral")], &[("file", "r.pdf", &bytes)])
            .await;
    refused.problem(403);
}

#[tokio::test]
async fn business_documents_are_filed_without_a_patient_and_bad_input_is_named() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let contract = pdf_with_text("Participating provider agreement, fee schedule exhibit A");
    let created = post(
        &server,
        &token,
        "/api/v1/documents",
        &[("category", "payer_contract"), ("title", "Payer agreement 2026")],
        &[("file", "agreement.pdf", &contract)],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let doc = created.json();
    assert!(doc["patient_id"].is_null());
    let found = server.api(Method::GET, "/api/v1/documents?q=exhibit", Some(&token), None).await.json();
    assert_eq!(found["items"][0]["id"], doc["id"]);
    // The front desk may not see contracts, even by id.
    let desk = server.token("frontdesk").await;
    let id = doc["id"].as_str().unwrap();
    server.api(Method::GET, &format!("/api/v1/documents/{id}"), Some(&desk), None).await.problem(403);
    server.api(Method::GET, "/api/v1/documents?category=payer_contract", Some(&desk), None).await.problem(403);

    // 422 naming the field.
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str, Vec<u8>)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("category", "lease")], vec![("file", "x.exe", b"MZ\x90\0".to_vec())], "file"),
        (vec![("category", "lease")], vec![], "file"),
        (vec![("category", "tax_return")], vec![("file", "a.pdf", contract.clone())], "category"),
        (vec![("category", "lease"), ("document_date", "yesterday")], vec![("file", "a.pdf", contract.clone())], "document_date"),
        (vec![("category", "lease"), ("vendor_id", "nope")], vec![("file", "a.pdf", contract.clone())], "vendor_id"),
        (vec![("category", "lease")], vec![("file", "broken.pdf", b"%PDF-1.4 nothing".to_vec())], "file"),
    ];
    for (fields, files, field) in cases {
        let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, f, b)| (*n, *f, b.as_slice())).collect();
        let doc = post(&server, &token, "/api/v1/documents", &fields, &files).await.problem(422);
        assert_eq!(error_fields(&doc), vec![field.to_string()], "{doc}");
    }
    // A JSON body is not an upload: 422 on file.
    let json = server.api(Method::POST, "/api/v1/documents", Some(&token), Some(&serde_json::json!({"category": "lease"}))).await;
    assert_eq!(error_fields(&json.problem(422)), vec!["file"]);

    // Unknown: 404.
    server.api(Method::GET, "/api/v1/documents/nope", Some(&token), None).await.problem(404);
    server.api(Method::GET, "/api/v1/documents/nope/content", Some(&token), None).await.problem(404);
    let admin = server.token("admin").await;
    post(&server, &admin, "/api/v1/patients/nope/documents", &[("category", "referral")], &[("file", "a.pdf", &contract)])
        .await
        .problem(404);
    let pages = pdf_with_text("v2");
    post(&server, &admin, "/api/v1/documents/nope/versions", &[], &[("file", "a.pdf", &pages)]).await.problem(404);

    // The endpoints are in the OpenAPI document.
    let spec = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.json();
    for path in [
        "/api/v1/documents",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/content",
        "/api/v1/documents/{id}/versions",
        "/api/v1/patients/{id}/documents",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
}
