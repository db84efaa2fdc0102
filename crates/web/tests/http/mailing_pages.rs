//! Mailings' pages: the nav link and the list; a patient's opt-out set on their mailing
//! preferences page; the live count (`GET /mailings/preview?<filter>`) and the form counted from
//! its query string, errors next to their fields; a mailing created and opened with its
//! recipients and the excluded patient's reason; its labels, envelopes and fliers read back with
//! `pdftotext -layout` (poppler-utils; the test fails without it); the roles that may not.

use crate::harness::{patient_body, register, spawn};
use axum::http::StatusCode;
use serde_json::json;

/// The PDF's text as printed, by poppler's `pdftotext -layout`.
fn pdftotext(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).expect("write the PDF");
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed to check the mailing PDFs");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

fn in_order(text: &str, words: &[&str]) {
    let mut from = 0;
    for w in words {
        match text[from..].find(w) {
            Some(at) => from += at + w.len(),
            None => panic!("{w:?} missing after byte {from} of {words:?} in:\n{text}"),
        }
    }
}

/// The text of the field error shown next to `field` (`id="e-<field>"`), if any.
fn field_error(html: &str, field: &str) -> Option<String> {
    let rest = html.split(&format!("id=\"e-{field}\"")).nth(1)?;
    Some(rest.split("</p>").next().unwrap_or("").to_string())
}

#[tokio::test]
async fn the_desk_counts_a_filter_creates_a_mailing_and_prints_its_labels_envelopes_and_fliers() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    // Three patients older than anyone in the demo practice (whose oldest are 92).
    let mut ids = Vec::new();
    for (family, given, born) in [("Ancient", "Abe", "1914-01-01"), ("Elder", "Edna", "1916-05-06"), ("Oldham", "Olive", "1915-02-03")] {
        let mut body = patient_body(family, given);
        body["birth_date"] = json!(born);
        body["address"]["line1"] = json!(format!("{} {family} Rd", ids.len() + 10));
        ids.push(register(&server, &token, &body).await["id"].as_str().expect("id").to_string());
    }
    let desk = server.login("frontdesk").await;

    let list = server.get(&desk, "/mailings").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let html = list.text();
    assert!(html.contains("href=\"/mailings\"") && html.contains("New mailing") && html.contains("No mailings yet"), "{html}");

    // Abe asks for no more paper mailings: from his chart to the preferences page.
    let chart = server.get(&desk, &format!("/patients/{}", ids[0])).await;
    assert!(chart.text().contains(&format!("/patients/{}/mailing-preferences", ids[0])));
    let prefs = server.get(&desk, &format!("/patients/{}/mailing-preferences", ids[0])).await;
    assert_eq!(prefs.status, StatusCode::OK, "{}", prefs.text());
    assert!(prefs.text().contains("name=\"postal_opt_out\"") && !prefs.text().contains("checked"));
    let saved = server.post_form(&desk, &format!("/patients/{}/mailing-preferences", ids[0]), &[("postal_opt_out", "on")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let prefs = server.get(&desk, saved.location()).await.text();
    assert!(prefs.contains("Mailing preferences saved.") && prefs.contains("checked") && prefs.contains("by frontdesk"), "{prefs}");

    // The live count: two recipients, Abe left out as opted out.
    let fragment = server.get(&desk, "/mailings/preview?channel=postal&age_min=100").await;
    assert_eq!(fragment.status, StatusCode::OK, "{}", fragment.text());
    let html = fragment.text();
    assert!(html.contains("data-recipients=\"2\"") && html.contains("of 3 patients matched"), "{html}");
    assert!(html.contains("data-reason=\"opted_out\"") && html.contains("Abe Ancient"), "{html}");
    assert!(!html.contains("<html"), "a fragment, not a page");
    assert!(html.contains("/mailings/labels.pdf?channel=postal&#38;age_min=100"), "the labels of this filter: {html}");
    // A bad filter in the fragment says what is wrong.
    let bad = server.get(&desk, "/mailings/preview?age_min=abc").await.text();
    assert!(bad.contains("age min: enter an age in whole years"), "{bad}");

    // The form counted from its query string; errors next to their fields.
    let form = server.get(&desk, "/mailings/new?age_min=100").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    assert!(html.contains("data-live-preview=\"/mailings/preview\"") && html.contains("data-recipients=\"2\""), "{html}");
    let upside_down = server.get(&desk, "/mailings/new?age_min=90&age_max=20").await.text();
    assert!(field_error(&upside_down, "age_max").expect("an error at the oldest age").contains("below the youngest"), "{upside_down}");
    // Without a title the mailing is not created; the message sits at the title.
    let refused = server
        .post_form(&desk, "/mailings/new", &[("channel", "postal"), ("age_min", "100"), ("body", "Hello"), ("intent", "create")])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(field_error(&refused.text(), "title").is_some(), "{}", refused.text());
    // The Count button works without script.
    let counted = server.post_form(&desk, "/mailings/new", &[("channel", "postal"), ("age_min", "100"), ("intent", "count")]).await;
    assert!(counted.text().contains("data-recipients=\"2\""));

    // Created: opened with its recipients and the excluded patient's reason.
    let created = server
        .post_form(
            &desk,
            "/mailings/new",
            &[
                ("channel", "postal"),
                ("age_min", "100"),
                ("title", "Winter newsletter"),
                ("body", "Dear {{patient.full_name}},\n\nOur winter hours are posted."),
                ("intent", "create"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let location = created.location().to_string();
    assert!(location.starts_with("/mailings/") && location.ends_with("?notice=created"), "{location}");
    let id = location.trim_start_matches("/mailings/").trim_end_matches("?notice=created").to_string();
    let page = server.get(&desk, &location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    let recipients = html.split("id=\"recipients\"").nth(1).expect("recipients table").split("</table>").next().unwrap_or("");
    assert!(recipients.contains("Edna Elder") && recipients.contains("Olive Oldham") && !recipients.contains("Abe Ancient"), "{html}");
    let excluded = html.split("id=\"excluded\"").nth(1).expect("excluded table");
    assert!(excluded.contains("Abe Ancient") && excluded.contains("opted out of mailings by this channel"), "{html}");
    assert!(server.get(&desk, "/mailings").await.text().contains("Winter newsletter"));

    // The PDFs, in the same order.
    let labels = server.get(&desk, &format!("/mailings/{id}/labels.pdf")).await;
    assert_eq!(labels.status, StatusCode::OK);
    assert_eq!(labels.content_type(), "application/pdf");
    let text = pdftotext(&labels.body);
    in_order(&text, &["Edna Elder", "Olive Oldham", "11 Elder Rd", "12 Oldham Rd"]);
    assert!(!text.contains("Abe Ancient"));
    let envelopes = pdftotext(&server.get(&desk, &format!("/mailings/{id}/envelopes.pdf")).await.body);
    in_order(
        &envelopes,
        &["Riverside Family Medicine", "Edna Elder", "11 Elder Rd", "Riverside Family Medicine", "Olive Oldham", "12 Oldham Rd"],
    );
    let fliers = pdftotext(&server.get(&desk, &format!("/mailings/{id}/fliers.pdf")).await.body);
    in_order(&fliers, &["Dear Edna Elder,", "Our winter hours are posted.", "Dear Olive Oldham,"]);
    // Labels straight from the filter.
    let from_filter = pdftotext(&server.get(&desk, "/mailings/labels.pdf?channel=postal&age_min=100").await.body);
    in_order(&from_filter, &["Edna Elder", "Olive Oldham"]);
}

#[tokio::test]
async fn billing_and_the_books_do_not_send_mailings() {
    let server = spawn().await;
    for who in ["biller", "bookkeeper", "doctor"] {
        let browser = server.login(who).await;
        let today = server.get(&browser, "/today").await.text();
        assert!(!today.contains("href=\"/mailings\""), "{who} sees no Mailings link");
        assert_eq!(server.get(&browser, "/mailings").await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(server.get(&browser, "/mailings/new").await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(server.get(&browser, "/mailings/preview?age_min=100").await.status, StatusCode::FORBIDDEN, "{who}");
        let created = server.post_form(&browser, "/mailings/new", &[("title", "x"), ("body", "y"), ("intent", "create")]).await;
        assert_eq!(created.status, StatusCode::FORBIDDEN, "{who}");
    }
    let admin = server.login("admin").await;
    assert!(server.get(&admin, "/today").await.text().contains("href=\"/mailings\""));
}
