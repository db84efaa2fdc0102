//! Release of records through the use cases: the documents picked for an open records request
//! sent as one PDF (cover letter, then every document's pages), the disclosure recorded, the
//! request fulfilled, the outgoing mail logged, all at once; refusals naming the field with
//! nothing written. The text of the PDF is read with poppler's `pdftotext`, independently of the
//! PDF code that wrote it.

use crate::harness::{TestEnv, both_backends, invalid_fields, patient, upload};
use crate::retention::{file, text_pdf};
use medoffice_app::documents::DocumentInput;
use medoffice_app::mail_room::NewRecordsRequestInput;
use medoffice_app::records_release::ReleaseInput;
use medoffice_app::{Actor, AppError};
use medoffice_domain::patients::AddressInput;

/// A real 1×1 PNG image (a scanned insurance card stands in).
const PNG_1X1: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];

/// The text of a PDF as poppler's `pdftotext` reads it; fails when the tool is missing.
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (poppler-utils) is needed by this test and could not run: {e}"));
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The number of pages poppler's `pdfinfo` reports.
fn pdfinfo_pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdfinfo")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("pdfinfo (poppler-utils) is needed by this test and could not run: {e}"));
    assert!(out.status.success(), "pdfinfo failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// The generated practice has no address or phone, which the cover letter prints.
pub async fn give_practice_an_address(env: &TestEnv) {
    sqlx::query("UPDATE practice SET phone = $1, address_line1 = $2, city = $3, state = $4, postal_code = $5")
        .bind("(518) 555-0199")
        .bind("1 State St")
        .bind("Albany")
        .bind("NY")
        .bind("12207")
        .execute(env.store.pool())
        .await
        .unwrap();
}

async fn registered(env: &TestEnv, desk: &Actor, family: &str, given: &str) -> String {
    give_practice_an_address(env).await;
    let mut input = patient(family, given, "1980-04-02");
    input.address = AddressInput {
        line1: "12 Elm St".into(),
        line2: String::new(),
        city: "Albany".into(),
        state: "NY".into(),
        postal_code: "12207".into(),
    };
    env.app.register_patient(desk, &input, true).await.unwrap().id
}

async fn request(env: &TestEnv, desk: &Actor, patient_id: &str) -> String {
    let input = NewRecordsRequestInput {
        patient_id: patient_id.into(),
        requester_name: "Dr Lena Park".into(),
        requester_kind: "provider".into(),
        requested_what: "referral and lab results".into(),
        purpose: "continuity of care".into(),
        received_date: "2026-06-10".into(),
        ..Default::default()
    };
    env.app.log_records_request(desk, &input, None).await.unwrap().id
}

fn release(ids: &[&String]) -> ReleaseInput {
    ReleaseInput {
        document_ids: ids.iter().map(|s| (*s).clone()).collect(),
        recipient_address: "Park Cardiology\n40 Lark St\nAlbany, NY 12210".into(),
        method: "usps_certified".into(),
        tracking_number: "9400 1000 0000 0000 0001".into(),
        date: String::new(),
    }
}

both_backends! {
    async fn a_release_is_one_pdf_with_the_cover_letter_and_every_page_and_fulfils_the_request(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let ana = registered(&env, desk, "Rivera", "Ana").await;
        let referral = file(&env, desk, "referral", "Cardiology referral", "2026-01-05", Some(&ana),
            text_pdf(&["Referral note for Ana Rivera", "Second page of the referral"])).await;
        let lab = file(&env, desk, "lab_result", "Lipid panel", "2026-03-02", Some(&ana), text_pdf(&["Lipid panel: LDL 96 mg/dL"])).await;
        let card = env
            .app
            .upload_document(
                desk,
                &DocumentInput { category: "insurance_card".into(), title: "Insurance card".into(), patient_id: ana.clone(), document_date: "2026-04-01".into(), ..Default::default() },
                upload("card.png", "image/png", PNG_1X1.to_vec()).into_iter().collect(),
            )
            .await
            .unwrap()
            .id;
        let request_id = request(&env, desk, &ana).await;

        // The form offers the patient's active documents.
        let form = env.app.release_form(desk, &request_id).await.unwrap();
        let mut offered: Vec<&str> = form.documents.iter().map(|d| d.title.as_str()).collect();
        offered.sort();
        assert_eq!(offered, ["Cardiology referral", "Insurance card", "Lipid panel"]);
        assert!(form.releases.is_empty());

        let released = env.app.release_records(desk, &request_id, &release(&[&referral, &lab, &card])).await.unwrap();
        // Cover letter (1 page) + referral (2) + lab (1) + card image (1).
        assert_eq!(released.page_count, 5);
        assert_eq!(released.documents.len(), 3);
        assert_eq!(released.recipient_name, "Dr Lena Park");
        let (_, pdf) = env.app.records_release_pdf(desk, &released.id).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdfinfo_pages(&pdf), 5);
        let text = pdftotext(&pdf);
        for wanted in [
            "Enclosed are the medical records",
            "Dear Dr Lena Park",
            "40 Lark St",
            "Ana Rivera",
            "Referral note for Ana Rivera",
            "Second page of the referral",
            "Lipid panel: LDL 96 mg/dL",
        ] {
            assert!(text.contains(wanted), "missing {wanted:?} in:\n{text}");
        }
        // Cover first, then the documents oldest first.
        let at = |w: &str| text.find(w).unwrap();
        assert!(at("Enclosed are the medical records") < at("Referral note for Ana") && at("Second page of the referral") < at("Lipid panel"));

        // The request is fulfilled with the page count; the disclosure names the documents; the
        // outgoing mail log has the certified letter.
        let detail = env.app.records_request(desk, &request_id).await.unwrap();
        assert_eq!(detail.request.status, "fulfilled");
        assert_eq!(detail.request.pages, Some(5));
        assert_eq!(detail.request.fulfilled_method.as_deref(), Some("usps_certified"));
        assert_eq!(detail.outgoing.len(), 1);
        assert_eq!(detail.outgoing[0].tracking_number.as_deref(), Some("9400 1000 0000 0000 0001"));
        let disclosures = env.app.disclosures(desk, &ana).await.unwrap().disclosures;
        assert_eq!(disclosures.len(), 1);
        let what = &disclosures[0].what;
        for wanted in ["Cardiology referral", "Lipid panel", "Insurance card", "5 pages"] {
            assert!(what.contains(wanted), "{wanted:?} missing from {what}");
        }
        assert_eq!(disclosures[0].records_request_id.as_deref(), Some(request_id.as_str()));
        assert_eq!(disclosures[0].recipient, "Dr Lena Park");

        // The patient's releases list it; the request's form shows it; a second release of the
        // now fulfilled request is refused.
        let mine = env.app.patient_releases(desk, &ana).await.unwrap();
        assert_eq!(mine.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [released.id.as_str()]);
        assert_eq!(env.app.release_form(desk, &request_id).await.unwrap().releases.len(), 1);
        let again = env.app.release_records(desk, &request_id, &release(&[&lab])).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    }
}

both_backends! {
    async fn a_release_refuses_another_patients_document_and_bad_input_naming_the_field_and_writes_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let ana = registered(&env, desk, "Rivera", "Ana").await;
        let bob = registered(&env, desk, "Stone", "Bob").await;
        let hers = file(&env, desk, "referral", "Ana referral", "2026-01-05", Some(&ana), text_pdf(&["Ana"])).await;
        let his = file(&env, desk, "referral", "Bob referral", "2026-01-05", Some(&bob), text_pdf(&["Bob"])).await;
        let request_id = request(&env, desk, &ana).await;

        let refused = env.app.release_records(desk, &request_id, &release(&[&hers, &his])).await;
        let Err(AppError::Validation(e)) = refused else { panic!("expected a refusal, got {refused:?}") };
        assert_eq!(e.errors.len(), 1, "{e:?}");
        assert_eq!(e.errors[0].field, "document_ids");
        assert!(e.errors[0].message.contains("Bob referral"), "{e:?}");
        assert_eq!(invalid_fields(env.app.release_records(desk, &request_id, &release(&[])).await), ["document_ids"]);
        let no_address = ReleaseInput { recipient_address: "  ".into(), ..release(&[&hers]) };
        assert_eq!(invalid_fields(env.app.release_records(desk, &request_id, &no_address).await), ["recipient_address"]);
        let bad_method = ReleaseInput { method: "pigeon".into(), ..release(&[&hers]) };
        assert_eq!(invalid_fields(env.app.release_records(desk, &request_id, &bad_method).await), ["method"]);

        // Nothing was written: the request is open, no disclosure, no release, no outgoing mail.
        let detail = env.app.records_request(desk, &request_id).await.unwrap();
        assert_eq!(detail.request.status, "open");
        assert!(detail.outgoing.is_empty());
        assert!(env.app.disclosures(desk, &ana).await.unwrap().disclosures.is_empty());
        assert!(env.app.patient_releases(desk, &ana).await.unwrap().is_empty());

        // Roles without the release of records may not; an accounting record is not offered
        // to, nor released by, the front desk.
        assert!(matches!(env.app.release_records(&staff.biller, &request_id, &release(&[&hers])).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.release_form(&staff.bookkeeper, &request_id).await, Err(AppError::Forbidden)));
        let eob = env
            .app
            .upload_document(
                &staff.biller,
                &DocumentInput { category: "eob".into(), title: "Aetna EOB".into(), patient_id: ana.clone(), document_date: "2026-02-01".into(), ..Default::default() },
                upload("eob.pdf", "application/pdf", text_pdf(&["EOB"])).into_iter().collect(),
            )
            .await
            .unwrap()
            .id;
        let form = env.app.release_form(desk, &request_id).await.unwrap();
        assert!(!form.documents.iter().any(|d| d.id == eob), "{:?}", form.documents);
        assert!(matches!(env.app.release_records(desk, &request_id, &release(&[&eob])).await, Err(AppError::Forbidden)));
        // The admin may: the release goes out.
        env.app.release_records(&staff.admin, &request_id, &release(&[&hers, &eob])).await.unwrap();
    }
}
