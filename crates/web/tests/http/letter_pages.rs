//! Letters' pages: the list for the front desk, the write form's server-side preview (escaped),
//! a merge field with no value shown next to the template field naming it, the letter saved and
//! redirected to with its PDF; the template editor kept to the office manager (preview of
//! unsaved text, save, a stale version refused); the telephone message linking to the form
//! prefilled; the chart listing the letter.

use crate::harness::{hidden_value, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_desk_previews_refuses_a_missing_field_saves_and_prints_a_letter() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Letterman", "Ada")).await;
    let pid = patient["id"].as_str().expect("id").to_string();
    let desk = server.login("frontdesk").await;

    let list = server.get(&desk, "/letters").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let html = list.text();
    assert!(html.contains("Write a letter") && html.contains("Welcome to the practice") && html.contains("past_due_30"), "{html}");
    assert!(!html.contains("SOON"), "the nav entry is built");

    let form = server.get(&desk, &format!("/letters/new?patient_id={pid}&template=welcome")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    assert!(html.contains("Letterman, Ada") && html.contains("value=\"welcome\" selected"), "{html}");

    // The preview: rendered on the server, nothing saved.
    let preview = server
        .post_form(&desk, "/letters/new", &[("patient_id", &pid), ("template", "welcome"), ("delivery", "print"), ("intent", "preview")])
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let html = preview.text();
    assert!(html.contains("id=\"letter-preview\"") && html.contains("Dear Ada Letterman,"), "{html}");
    assert!(!html.contains("{{patient.full_name}}"), "merge fields are filled");

    // A template whose field has no value for this patient: the message at the template field.
    let missing = server
        .post_form(
            &desk,
            "/letters/new",
            &[("patient_id", &pid), ("template", "appointment_reminder"), ("delivery", "print"), ("intent", "preview")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::OK);
    let html = missing.text();
    let at_field = html.split("id=\"e-template\"").nth(1).expect("an error at the template field");
    assert!(at_field.split("</div>").next().unwrap_or("").contains("appointment.date"), "{html}");
    assert!(!html.contains("id=\"letter-preview\""));

    // Saved: redirected to the letter, whose PDF is a PDF; the list and the chart show it.
    let saved = server
        .post_form(&desk, "/letters/new", &[("patient_id", &pid), ("template", "welcome"), ("delivery", "print"), ("intent", "save")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let location = saved.location().to_string();
    assert!(location.starts_with("/letters/") && location.ends_with("?notice=written"), "{location}");
    let id = location.trim_start_matches("/letters/").trim_end_matches("?notice=written").to_string();
    let page = server.get(&desk, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("href=\"/letters/{id}/pdf\"")) && html.contains("Dear Ada Letterman,"), "{html}");
    let pdf = server.get(&desk, &format!("/letters/{id}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));
    let list = server.get(&desk, "/letters").await.text();
    assert!(list.contains(&format!("id=\"letter-{id}\"")) && list.contains("Letterman"), "{list}");
    let chart = server.get(&desk, &format!("/patients/{pid}")).await.text();
    let letters = chart.split("id=\"chart-letters\"").nth(1).expect("the chart's letters");
    assert!(letters.contains(&format!("/letters/{id}/pdf")) && letters.contains("Welcome to the practice"), "{chart}");

    // The bookkeeper does not write letters.
    let books = server.login("bookkeeper").await;
    assert_eq!(server.get(&books, "/letters").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_the_office_manager_edits_a_template_and_a_stale_version_is_refused() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Templeton", "Rose")).await;
    let pid = patient["id"].as_str().expect("id").to_string();
    let admin = server.login("admin").await;
    let list = server.get(&admin, "/letters").await.text();
    let href = list.split("href=\"/letters/templates/").nth(1).expect("a template link");
    let tid = href.split('"').next().expect("id").to_string();
    let path = format!("/letters/templates/{tid}");

    // The desk reads it, and may not save it.
    let desk = server.login("frontdesk").await;
    let read = server.get(&desk, &path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.text().contains("Only the office manager edits templates") && !read.text().contains("name=\"body\""));
    let refused = server.post_form(&desk, &path, &[("name", "Hacked"), ("body", "Hi"), ("version", "1"), ("intent", "save")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());

    // The office manager previews unsaved text, escaped, on a chosen patient, then saves.
    let editor = server.get(&admin, &format!("{path}?patient_id={pid}")).await;
    assert_eq!(editor.status, StatusCode::OK);
    let version = hidden_value(&editor.text(), "version").expect("version");
    let body = "Hello {{patient.full_name}} <b>bold</b>";
    let preview = server
        .post_form(&admin, &path, &[("name", "Hello"), ("body", body), ("version", &version), ("patient_id", &pid), ("intent", "preview")])
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    let html = preview.text();
    assert!(
        html.contains("Hello Rose Templeton &lt;b&gt;bold&lt;/b&gt;") || html.contains("Hello Rose Templeton &#60;b&#62;bold"),
        "{html}"
    );
    let saved = server.post_form(&admin, &path, &[("name", "Hello"), ("body", body), ("version", &version), ("intent", "save")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert_eq!(saved.location(), format!("{path}?notice=saved"));
    let again = server.get(&admin, saved.location()).await.text();
    assert!(again.contains("Template saved") && again.contains("<h1>Hello</h1>"), "{again}");

    // Saving under the version read before is refused with the conflict message, nothing saved.
    let stale =
        server.post_form(&admin, &path, &[("name", "Stale"), ("body", "Old text"), ("version", &version), ("intent", "save")]).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert!(stale.text().contains("id=\"conflict\"") && stale.text().contains("someone else saved this template"), "{}", stale.text());
    assert!(server.get(&admin, &path).await.text().contains("<h1>Hello</h1>"));
}

#[tokio::test]
async fn a_telephone_message_links_to_the_letter_form_prefilled() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Caller", "Mia")).await;
    let pid = patient["id"].as_str().expect("id").to_string();
    let message = server
        .api(
            Method::POST,
            "/api/v1/messages",
            Some(&token),
            Some(&json!({"caller_name": "Mia Caller", "patient_id": pid, "callback_phone": "518-555-0100", "body": "Please send my records to Dr Ruiz"})),
        )
        .await;
    assert_eq!(message.status, StatusCode::CREATED, "{}", message.text());
    let mid = message.json()["id"].as_str().expect("id").to_string();
    let desk = server.login("frontdesk").await;
    let page = server.get(&desk, &format!("/messages/{mid}")).await.text();
    let link = format!("/letters/new?patient_id={pid}&amp;message_id={mid}");
    assert!(page.contains(&link) && !page.contains("not built yet"), "{page}");

    let form = server.get(&desk, &format!("/letters/new?patient_id={pid}&message_id={mid}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("Caller, Mia"), "{html}");
    assert_eq!(hidden_value(&html, "message_id").as_deref(), Some(mid.as_str()));

    // Written from there, the letter is noted in the message's thread.
    let saved = server
        .post_form(&desk, "/letters/new", &[("patient_id", &pid), ("message_id", &mid), ("template", "welcome"), ("intent", "save")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = server.get(&desk, &format!("/messages/{mid}")).await.text();
    assert!(page.contains("Letter sent: Welcome to the practice"), "{page}");
}

/// The image XObjects' (width, height) in a PDF.
fn pdf_image_sizes(bytes: &[u8]) -> Vec<(i64, i64)> {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let mut sizes: Vec<(i64, i64)> = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(b"Image".as_slice()))
        .filter(|s| {
            s.dict.get(b"SMask").is_ok() || s.dict.get(b"ColorSpace").and_then(|c| c.as_name()).ok() != Some(b"DeviceGray".as_slice())
        })
        .map(|s| (s.dict.get(b"Width").and_then(|w| w.as_i64()).unwrap_or(0), s.dict.get(b"Height").and_then(|h| h.as_i64()).unwrap_or(0)))
        .collect();
    sizes.sort();
    sizes
}

const BOUNDARY: &str = "medoffice-letterhead-boundary";

/// Uploads a logo as the letterhead form does.
async fn upload_logo(
    server: &crate::harness::Server,
    browser: &crate::harness::Browser,
    file_name: &str,
    bytes: &[u8],
) -> crate::harness::Reply {
    use axum::body::Body;
    use axum::http::{Request, header};
    let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n", browser.csrf).into_bytes();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/admin/letterhead")
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
async fn a_batch_is_printed_as_one_pdf_from_checked_and_typed_patients_with_errors_at_the_fields() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let body = |family: &str, given: &str, born: &str, phone: &str| {
        let mut b = patient_body(family, given);
        b["birth_date"] = json!(born);
        b["phone"] = json!(phone);
        b
    };
    let ada =
        register(&server, &token, &body("Batchley", "Ada", "1980-04-12", "(555) 201-3301")).await["id"].as_str().expect("id").to_string();
    let bea =
        register(&server, &token, &body("Batchley", "Bea", "1982-05-13", "(555) 201-3302")).await["id"].as_str().expect("id").to_string();
    let mut no_address = body("Homeless", "Hal", "1984-06-14", "(555) 201-3303");
    no_address.as_object_mut().expect("object").remove("address");
    let hal = register(&server, &token, &no_address).await["id"].as_str().expect("id").to_string();
    let desk = server.login("frontdesk").await;

    let list = server.get(&desk, "/letters").await.text();
    assert!(list.contains("href=\"/letters/batch\""), "{list}");
    let page = server.get(&desk, "/letters/batch?template=paid_in_full").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("value=\"paid_in_full\" selected"), "{}", page.text());

    // Nobody chosen: the message sits at the patients.
    let none = server.post_form(&desk, "/letters/batch", &[("template", "paid_in_full"), ("intent", "print")]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = none.text();
    let at_field = html.split("id=\"e-patient_ids\"").nth(1).expect("an error at the patients");
    assert!(at_field.split("</div>").next().unwrap_or("").contains("choose at least one patient"), "{html}");

    // A search lists the patients to tick; one already ticked stays ticked.
    let found = server
        .post_form(&desk, "/letters/batch", &[("template", "paid_in_full"), ("patient_ids", &ada), ("q", "batchley"), ("intent", "search")])
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let html = found.text();
    assert!(html.contains(&format!("value=\"{ada}\" checked")) && html.contains(&format!("value=\"{bea}\">")), "{html}");

    // A patient the template cannot be filled for: named, with the field, and nothing printed.
    let bad = server
        .post_form(&desk, "/letters/batch", &[("template", "paid_in_full"), ("patient_ids", &ada), ("id_list", &hal), ("intent", "print")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    let at_field = html.split("id=\"e-patient_ids\"").nth(1).expect("an error at the patients");
    let message = at_field.split("</div>").next().unwrap_or("");
    assert!(message.contains("Hal Homeless") && message.contains("guarantor.address"), "{html}");
    // An unknown template is named at the template.
    let html = server.post_form(&desk, "/letters/batch", &[("template", "nope"), ("patient_ids", &ada), ("intent", "print")]).await.text();
    assert!(html.contains("id=\"e-template\""), "{html}");

    // Ticked and typed (comma separated): one PDF, a page each, each letter on its chart.
    let pdf = server
        .post_form(
            &desk,
            "/letters/batch",
            &[("template", "paid_in_full"), ("patient_ids", &ada), ("id_list", &format!(" {bea},\n")), ("intent", "print")],
        )
        .await;
    assert_eq!((pdf.status, pdf.content_type()), (StatusCode::OK, "application/pdf"), "{}", pdf.text());
    let doc = lopdf::Document::load_mem(&pdf.body).expect("a PDF");
    assert_eq!(doc.get_pages().len(), 2);
    let chart = server.get(&desk, &format!("/patients/{bea}")).await.text();
    assert!(chart.contains("Balance paid in full"), "the letter is on the chart");
}

#[tokio::test]
async fn the_office_manager_uploads_a_logo_that_every_letter_then_carries() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let pid = register(&server, &token, &patient_body("Logan", "Lia")).await["id"].as_str().expect("id").to_string();
    let admin = server.login("admin").await;
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/admin/letterhead").await.status, StatusCode::FORBIDDEN);
    let page = server.get(&admin, "/admin/letterhead").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("No logo yet"));

    // Not an image (whatever the name says): refused at the field.
    let bad = upload_logo(&server, &admin, "logo.png", b"GIF89a not a png").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(html.contains("id=\"e-logo\"") && html.contains("not a PNG or JPEG"), "{html}");
    // Too big: refused at the field, naming the limit.
    let mut big = medoffice_pdf::image::samples::png(4, 4, false);
    big.resize(1024 * 1024 + 10, 0);
    let html = upload_logo(&server, &admin, "logo.png", &big).await.text();
    assert!(html.contains("id=\"e-logo\"") && html.contains("at most 1024 KB"), "{html}");
    // The desk cannot upload.
    let png = medoffice_pdf::image::samples::png(80, 40, true);
    assert_eq!(upload_logo(&server, &desk, "logo.png", &png).await.status, StatusCode::FORBIDDEN);

    let saved = upload_logo(&server, &admin, "logo.png", &png).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/admin/letterhead?notice=saved"), "{}", saved.text());
    let page = server.get(&admin, saved.location()).await.text();
    assert!(page.contains("src=\"/admin/letterhead/logo\"") && page.contains("80 × 40 pixels"), "{page}");
    let file = server.get(&admin, "/admin/letterhead/logo").await;
    assert_eq!((file.status, file.content_type(), file.body.clone()), (StatusCode::OK, "image/png", png));

    // A letter written now carries it.
    let written = server
        .post_form(&desk, "/letters/new", &[("patient_id", &pid), ("template", "paid_in_full"), ("delivery", "print"), ("intent", "save")])
        .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.text());
    let id = written.location().trim_start_matches("/letters/").trim_end_matches("?notice=written").to_string();
    let pdf = server.get(&desk, &format!("/letters/{id}/pdf")).await;
    assert_eq!(pdf_image_sizes(&pdf.body), [(80, 40)]);

    // Removed.
    let removed = server.post_form(&admin, "/admin/letterhead/remove", &[]).await;
    assert_eq!(removed.location(), "/admin/letterhead?notice=removed");
    assert_eq!(server.get(&admin, "/admin/letterhead/logo").await.status, StatusCode::NOT_FOUND);
}
