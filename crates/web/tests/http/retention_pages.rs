//! Retention and release of records over HTTP: the rules page and a rule's edit (errors next to
//! the fields), the destroy list, the destruction (only once confirmed, then in the log), the
//! office manager's only; the release form on a records request, the PDF it makes and the
//! patient's releases.

use crate::harness::{Server, patient_body, register, spawn};
use axum::http::StatusCode;
use medoffice_app::Actor;
use medoffice_app::documents::DocumentInput;
use medoffice_app::mail_room::NewRecordsRequestInput;
use medoffice_app::patients::Upload;

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

/// Files a PDF (the patient's accounting of disclosures stands in for a scan) for a patient.
async fn file(server: &Server, desk: &Actor, patient_id: &str, title: &str, date: &str) -> String {
    let pdf = server.app.disclosure_report_pdf(desk, patient_id).await.expect("a PDF");
    let input = DocumentInput {
        category: "referral".into(),
        title: title.into(),
        document_date: date.into(),
        patient_id: patient_id.into(),
        ..Default::default()
    };
    let upload = Upload { file_name: "referral.pdf".into(), content_type: "application/pdf".into(), bytes: pdf };
    server.app.upload_document(desk, &input, vec![upload]).await.expect("filed").id
}

#[tokio::test]
async fn the_office_manager_edits_a_rule_on_its_page_with_errors_next_to_the_fields() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let rules = server.get(&admin, "/admin/retention").await;
    assert_eq!(rules.status, StatusCode::OK);
    let html = rules.text();
    assert!(
        html.contains("data-category=\"referral\"") && html.contains("7 years after the last visit; minors until age 21 + 7 years"),
        "{html}"
    );
    assert!(html.contains("data-category=\"licence\"") && html.contains("kept permanently"), "{html}");
    assert!(server.get(&admin, "/admin").await.text().contains("href=\"/admin/retention\""));

    let page = server.get(&admin, "/admin/retention/eob").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("name=\"version\" value=\"0\""), "{}", page.text());
    let refused = server.post_form(&admin, "/admin/retention/eob", &[("basis", "document_date"), ("years", "0"), ("version", "0")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("id=\"e-years\"") && html.contains("between 1 and 100 years"), "{html}");
    let saved = server.post_form(&admin, "/admin/retention/eob", &[("basis", "document_date"), ("years", "10"), ("version", "0")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let rules = server.get(&admin, "/admin/retention").await.text();
    assert!(rules.contains("10 years after the document&#39;s date") || rules.contains("10 years after the document's date"), "{rules}");
    // The same edit again under the old version: the conflict is shown, nothing saved.
    let stale = server.post_form(&admin, "/admin/retention/eob", &[("basis", "document_date"), ("years", "3"), ("version", "0")]).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert!(stale.text().contains("id=\"conflict\""), "{}", stale.text());

    // Nobody else sees retention.
    for user in ["frontdesk", "biller", "bookkeeper", "doctor"] {
        let b = server.login(user).await;
        assert_eq!(server.get(&b, "/admin/retention").await.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(server.get(&b, "/admin/retention/destroy").await.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(server.get(&b, "/admin/retention/log").await.status, StatusCode::FORBIDDEN, "{user}");
    }
}

#[tokio::test]
async fn the_destroy_list_shows_what_may_go_and_destroying_needs_the_confirmation_and_is_logged() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let pid = register(&server, &token, &patient_body("Oldfile", "Olga")).await["id"].as_str().expect("id").to_string();
    let desk = actor(&server, "frontdesk").await;
    // Never seen; filed in 2010: 7 years after its date is long past. The recent one is not due.
    let old = file(&server, &desk, &pid, "Referral 2010", "2010-03-01").await;
    let recent =
        file(&server, &desk, &pid, "Referral last month", &(chrono::Utc::now().date_naive() - chrono::Duration::days(30)).to_string())
            .await;

    let admin = server.login("admin").await;
    let list = server.get(&admin, "/admin/retention/destroy").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(
        html.contains(&format!("data-document-id=\"{old}\"")) && html.contains("Referral 2010") && html.contains("2017-03-01"),
        "{html}"
    );
    assert!(!html.contains(&format!("data-document-id=\"{recent}\"")), "{html}");

    // Without the confirmation: the list again with the message, nothing destroyed.
    let unconfirmed = server.post_form(&admin, "/admin/retention/destroy", &[("document_ids", &old)]).await;
    assert_eq!(unconfirmed.status, StatusCode::OK);
    let html = unconfirmed.text();
    assert!(html.contains("id=\"e-confirm\"") && html.contains("Nothing was destroyed"), "{html}");
    assert!(html.contains(&format!("value=\"{old}\" id=\"d-{old}\" aria-label=\"Destroy Referral 2010\" checked")), "{html}");
    // A document whose time has not come is refused by name.
    let early = server.post_form(&admin, "/admin/retention/destroy", &[("document_ids", &recent), ("confirm", "yes")]).await;
    assert_eq!(early.status, StatusCode::OK);
    assert!(early.text().contains("Referral last month") && early.text().contains("retention has not ended"), "{}", early.text());

    let done = server.post_form(&admin, "/admin/retention/destroy", &[("document_ids", &old), ("confirm", "yes")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert!(done.location().starts_with("/admin/retention/log"), "{}", done.location());
    let log = server.get(&admin, done.location()).await.text();
    assert!(log.contains("Destroyed 1 document") && log.contains(&format!("data-document-id=\"{old}\"")), "{log}");
    assert!(log.contains("2017-03-01") && log.contains("deleted from encrypted storage"), "{log}");
    assert!(server.get(&admin, "/admin/retention/destroy").await.text().contains("id=\"nothing-due\""));

    // Non-admins cannot post a destruction either.
    let b = server.login("frontdesk").await;
    let refused = server.post_form(&b, "/admin/retention/destroy", &[("document_ids", &recent), ("confirm", "yes")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn documents_picked_on_the_release_form_go_out_as_one_pdf_and_fulfil_the_request() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let pid = register(&server, &token, &patient_body("Release", "Rita")).await["id"].as_str().expect("id").to_string();
    let desk = actor(&server, "frontdesk").await;
    let one = file(&server, &desk, &pid, "Cardiology referral", "2026-01-05").await;
    let two = file(&server, &desk, &pid, "Outside notes", "2026-02-05").await;
    let request = server
        .app
        .log_records_request(
            &desk,
            &NewRecordsRequestInput {
                patient_id: pid.clone(),
                requester_name: "Dr Lena Park".into(),
                requester_kind: "provider".into(),
                requested_what: "referrals".into(),
                purpose: "continuity of care".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("request")
        .id;

    let browser = server.login("frontdesk").await;
    let detail = server.get(&browser, &format!("/mail/records/{request}")).await.text();
    assert!(detail.contains(&format!("href=\"/mail/records/{request}/release\"")), "{detail}");
    let form = server.get(&browser, &format!("/mail/records/{request}/release")).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains(&format!("data-document-id=\"{one}\"")) && html.contains(&format!("data-document-id=\"{two}\"")), "{html}");

    // Nothing ticked and no address: both named on the form.
    let refused = server.post_form(&browser, &format!("/mail/records/{request}/release"), &[("method", "usps_first_class")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("id=\"e-document_ids\"") && html.contains("id=\"e-recipient_address\""), "{html}");

    let sent = server
        .post_form(
            &browser,
            &format!("/mail/records/{request}/release"),
            &[
                ("document_ids", &one),
                ("document_ids", &two),
                ("recipient_address", "Park Cardiology\n40 Lark St\nAlbany, NY 12210"),
                ("method", "usps_first_class"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let detail = server.get(&browser, sent.location()).await.text();
    assert!(detail.contains("data-status=\"fulfilled\""), "{detail}");

    let releases = server.get(&browser, &format!("/patients/{pid}/releases")).await;
    assert_eq!(releases.status, StatusCode::OK);
    let html = releases.text();
    assert!(html.contains("Cardiology referral") && html.contains("Outside notes") && html.contains("Dr Lena Park"), "{html}");
    let href = html.split("href=\"/records-releases/").nth(1).and_then(|s| s.split('"').next()).expect("a PDF link");
    let pdf = server.get(&browser, &format!("/records-releases/{href}")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));

    // The release form of the fulfilled request lists the release and offers no second one.
    let after = server.get(&browser, &format!("/mail/records/{request}/release")).await.text();
    assert!(after.contains("id=\"releases\"") && !after.contains("name=\"document_ids\""), "{after}");
    // The bookkeeper may not release records.
    let bk = server.login("bookkeeper").await;
    assert_eq!(server.get(&bk, &format!("/mail/records/{request}/release")).await.status, StatusCode::FORBIDDEN);
}
