//! The superbill and the claims worklist over HTTP: a visit coded with errors shown next to the
//! fields, saved, its charges posted into a draft claim that the worklist lists with what the
//! scrubber found, and each role kept to what it may do.

use crate::harness::{Server, spawn};
use axum::http::StatusCode;
use medoffice_domain::coding::search_text;
use medoffice_store::code_sets::{NewDiagnosis, insert_diagnoses};

/// A few ICD-10-CM codes (loading the whole set is the code-set pages' test).
pub(crate) async fn some_diagnoses(server: &Server) {
    let mut conn = server.app.store.pool().acquire().await.unwrap();
    let rows = [
        ("J06.9", true, "Acute upper respiratory infection, unspecified"),
        ("R05.9", true, "Cough, unspecified"),
        ("J02", false, "Acute pharyngitis"),
    ];
    let rows: Vec<NewDiagnosis> =
        rows.iter().map(|(code, b, d)| NewDiagnosis { code, billable: *b, description: d, search_text: search_text(d) }).collect();
    insert_diagnoses(&mut conn, "icd10cm", "2026", "2025-10-01", &rows).await.unwrap();
}

/// An insured patient (a primary coverage) and a provider of the demo practice.
pub(crate) async fn insured_patient_and_provider(server: &Server) -> (String, String, String) {
    let (patient_id, family): (String, String) = sqlx::query_as(
        "SELECT p.id, p.family_name FROM patient p JOIN coverage c ON c.practice_id = p.practice_id AND c.patient_id = p.id \
         WHERE c.priority = 1 AND c.end_date IS NULL ORDER BY p.id LIMIT 1",
    )
    .fetch_one(server.app.store.pool())
    .await
    .unwrap();
    let (provider_id,): (String,) =
        sqlx::query_as("SELECT id FROM provider ORDER BY id LIMIT 1").fetch_one(server.app.store.pool()).await.unwrap();
    (patient_id, family, provider_id)
}

#[tokio::test]
async fn a_visit_is_coded_on_the_superbill_posted_and_found_in_the_claims_worklist() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, family, provider_id) = insured_patient_and_provider(&server).await;
    // Yesterday in UTC: never in the future in the practice's time zone.
    let today = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let biller = server.login("biller").await;

    // The Billing entry is built and leads to the worklist.
    let html = server.get(&biller, "/today").await.text();
    assert!(html.contains("href=\"/billing\""), "{html}");
    let reply = server.get(&biller, "/billing").await;
    assert_eq!(reply.location(), "/billing/claims");

    let page = server.get(&biller, &format!("/billing/encounters/new?patient={patient_id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Superbill") && html.contains(&family), "{html}");
    assert!(html.contains("src=\"/billing/encounters.js\"") && !html.contains("<script>"), "no inline script");
    let js = server.get(&biller, "/billing/encounters.js").await;
    assert_eq!(js.content_type(), "text/javascript; charset=utf-8");

    // Errors next to their fields, the typed values kept.
    let bad = [
        ("patient_id", patient_id.as_str()),
        ("rendering_provider_id", provider_id.as_str()),
        ("service_date", today.as_str()),
        ("place_of_service", "11"),
        ("diagnoses[0]", "J02"),
        ("lines[0].procedure_code", "99213"),
        ("lines[0].pointers", "3"),
    ];
    let reply = server.post_form(&biller, "/billing/encounters", &bad).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("The encounter was not saved"), "{html}");
    assert!(html.contains("is a category, not a billable code"), "{html}");
    assert!(html.contains("is not a diagnosis on the list"), "{html}");
    assert!(html.contains("value=\"J02\""), "{html}");

    let good = [
        ("patient_id", patient_id.as_str()),
        ("rendering_provider_id", provider_id.as_str()),
        ("service_date", today.as_str()),
        ("place_of_service", "11"),
        ("diagnoses[0]", "j069"),
        ("diagnoses[1]", "R05.9"),
        ("lines[0].procedure_code", "99213"),
        ("lines[0].modifiers", "25"),
        ("lines[0].pointers", "1,2"),
    ];
    let reply = server.post_form(&biller, "/billing/encounters", &good).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.location().to_string();
    assert!(location.starts_with("/billing/encounters/") && location.ends_with("?notice=saved"), "{location}");
    let encounter_path = location.trim_end_matches("?notice=saved").to_string();
    let html = server.get(&biller, &location).await.text();
    assert!(html.contains("Encounter saved.") && html.contains("value=\"J06.9\"") && html.contains("Post charges"), "{html}");

    // The provider codes but does not post; the front desk does neither.
    let doctor = server.login("doctor").await;
    let html = server.get(&doctor, &encounter_path).await.text();
    assert!(!html.contains("Post charges"), "{html}");
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, &encounter_path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&desk, "/billing/claims").await.status, StatusCode::FORBIDDEN);
    assert!(!server.get(&desk, "/today").await.text().contains("href=\"/billing\""));

    let reply = server.post_form(&biller, &format!("{encounter_path}/post"), &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let claim_path = reply.location().trim_end_matches("?notice=posted").to_string();
    assert!(claim_path.starts_with("/billing/claims/"), "{claim_path}");

    // The demo practice has no billing details yet: the scrubber says so in words.
    let html = server.get(&biller, &claim_path).await.text();
    assert!(html.contains("tax id (nine digits) is not set"), "{html}");
    let reply = server.post_form(&biller, &format!("{claim_path}/status"), &[("status", "ready"), ("note", "")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("problems to fix before it can be sent"), "{}", reply.text());

    let html = server.get(&biller, "/billing/claims?status=draft").await.text();
    assert!(html.contains(&family) && html.contains("to fix"), "{html}");
    assert!(html.contains("Send ready claims (0)"), "{html}");
    let html = server.get(&biller, "/billing/claims?status=sent").await.text();
    assert!(html.contains("No claim here."), "{html}");
    let html = server.get(&biller, "/billing/claims?status=draft&min_age_days=30").await.text();
    assert!(html.contains("No claim here."), "a claim of today is not 30 days old: {html}");
    let html = server.get(&biller, "/billing/claims?status=nonsense").await.text();
    assert!(html.contains("is not a claim status"), "{html}");

    // The office manager fills the billing details (errors by their fields); the claim, checked
    // again, no longer lacks them.
    let admin = server.login("admin").await;
    assert_eq!(server.get(&biller, "/billing/settings").await.status, StatusCode::FORBIDDEN);
    let mut settings = vec![
        ("billing_npi", "1234567893"),
        ("tax_id", "12-345"),
        ("taxonomy_code", "207Q00000X"),
        ("address_line1", "100 Clinic Way"),
        ("city", "Springfield"),
        ("state", "IL"),
        ("postal_code", "62701-1234"),
        ("phone", "(217) 555-0100"),
        ("submitter_id", "SUB123"),
        ("claims_usage", "test"),
    ];
    let reply = server.post_form(&admin, "/billing/settings", &settings).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("enter the nine-digit tax id"), "{}", reply.text());
    settings[1] = ("tax_id", "12-3456789");
    let reply = server.post_form(&admin, "/billing/settings", &settings).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(server.get(&admin, "/billing/settings?notice=saved").await.text().contains("value=\"123456789\""));
    let reply = server.post_form(&biller, &format!("{claim_path}/scrub"), &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let html = server.get(&biller, &claim_path).await.text();
    assert!(!html.contains("tax id (nine digits) is not set"), "{html}");
}
