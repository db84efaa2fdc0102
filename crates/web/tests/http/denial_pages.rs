//! Paper EOBs and the denial worklist over HTTP: the EOB form adds a claim, refuses an EOB that
//! does not add up with the message next to the line's paid amount (nothing posted), posts a good
//! one (to the remittance's page) and refuses the same check again next to its number; a check
//! from the mail room links to the form, prefilled. The API denies a claim through a paper EOB;
//! the worklist page lists it, refuses a write-off without a reason next to the field and takes
//! it off once written off; the front desk is refused.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{Server, error_fields, spawn};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// A sent claim for one office visit the day before yesterday: (id, CLM01, total cents, payer id).
async fn sent_claim(server: &Server, token: &str, patient_id: &str, provider_id: &str) -> (String, String, i64, String) {
    let day = (chrono::Utc::now().date_naive() - chrono::Duration::days(2)).to_string();
    let encounter = json!({
        "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": day,
        "place_of_service": "11", "diagnoses": ["J06.9"], "lines": [{"procedure_code": "99213", "units": "1", "pointers": "1"}]
    });
    let opened = server.api(Method::POST, "/api/v1/encounters", Some(token), Some(&encounter)).await.json();
    let encounter_id = opened["id"].as_str().expect("an encounter").to_string();
    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(token), None).await.json();
    let claim_id = posted["claim_id"].as_str().expect("a claim").to_string();
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(token), None).await.json();
    let pcn = claim["claim"]["patient_control_number"].as_str().expect("its patient control number").to_string();
    let total = claim["claim"]["total_cents"].as_i64().expect("its total");
    let payer_id = claim["claim"]["payer_id"].as_str().expect("its payer").to_string();
    // Sent (the use-case tests send real batches; here only the posting's path matters).
    sqlx::query("UPDATE claim SET status = 'sent' WHERE id = $1").bind(&claim_id).execute(server.app.store.pool()).await.unwrap();
    (claim_id, pcn, total, payer_id)
}

fn dollars(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn check_date() -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string()
}

async fn remittance_count(server: &Server) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM remittance").fetch_one(server.app.store.pool()).await.unwrap();
    n
}

#[tokio::test]
async fn a_paper_eob_is_posted_from_the_form_and_refused_next_to_the_field_that_does_not_add_up() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let token = server.token("biller").await;
    let (claim_id, pcn, total, payer_id) = sent_claim(&server, &token, &patient_id, &provider_id).await;
    assert!(total > 3000, "the visit's fee is {total}");
    let biller = server.login("biller").await;

    // A check from the mail room links to the form, which starts from it.
    let mail = json!({"kind": "insurance_check", "sender": "The payer", "payer_id": payer_id, "check_number": "PAPER-77",
        "amount_cents": total - 3000, "received_date": check_date()});
    let logged = server.api(Method::POST, "/api/v1/mail", Some(&token), Some(&mail)).await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text());
    let payment_id = logged.json()["payment"]["id"].as_str().expect("the check").to_string();
    let checks = server.get(&biller, "/mail/payments").await.text();
    let link = format!("/billing/paper-eob/new?mail_payment={payment_id}");
    assert!(checks.contains(&link), "{checks}");
    let form = server.get(&biller, &link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    assert!(html.contains("Post a paper EOB") && html.contains("value=\"PAPER-77\""), "{html}");
    assert!(html.contains(&pcn), "the payer's waiting claims are offered: {html}");

    // "Add claim" brings the claim's lines, nothing posted.
    let amount = dollars(total - 3000);
    let date = check_date();
    let base = [
        ("mail_payment_id", payment_id.as_str()),
        ("payer_id", payer_id.as_str()),
        ("check_number", "PAPER-77"),
        ("check_date", date.as_str()),
        ("check_amount", amount.as_str()),
    ];
    let mut fields: Vec<(&str, &str)> = base.to_vec();
    fields.extend([("add_claim", claim_id.as_str()), ("step", "add")]);
    let added = server.post_form(&biller, "/billing/paper-eob", &fields).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    assert!(added.text().contains("name=\"claims[0].lines[0].paid\""), "{}", added.text());
    assert_eq!(remittance_count(&server).await, 0);

    // The line typed $1.00 short: refused next to that line's paid amount, nothing posted.
    let short = dollars(total - 3100);
    let mut eob: Vec<(&str, &str)> = base.to_vec();
    eob.extend([
        ("claims[0].claim", claim_id.as_str()),
        ("claims[0].status", "paid"),
        ("claims[0].paid", ""),
        ("claims[0].lines[0].paid", short.as_str()),
        ("claims[0].lines[0].adjustments[0].group_code", "CO"),
        ("claims[0].lines[0].adjustments[0].reason_code", "45"),
        ("claims[0].lines[0].adjustments[0].amount", "20.00"),
        ("claims[0].lines[0].adjustments[1].group_code", "PR"),
        ("claims[0].lines[0].adjustments[1].reason_code", "2"),
        ("claims[0].lines[0].adjustments[1].amount", "10.00"),
        ("step", "post"),
    ]);
    let refused = server.post_form(&biller, "/billing/paper-eob", &eob).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text());
    let html = refused.text();
    let at = html.find("id=\"e-claims[0].lines[0].paid\"").unwrap_or_else(|| panic!("no error next to the line's paid amount: {html}"));
    assert!(
        html[at..].starts_with(&format!("id=\"e-claims[0].lines[0].paid\">charged ${} less adjustments $30.00", dollars(total))),
        "{}",
        &html[at..at + 200]
    );
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"e-claims[0].lines[0].paid\""), "{html}");
    assert!(html.contains("Nothing was posted"), "{html}");
    assert_eq!(remittance_count(&server).await, 0);

    // As the EOB says: posted, to the remittance's page; the check leaves "to post".
    let right = dollars(total - 3000);
    let good: Vec<(&str, &str)> =
        eob.iter().map(|(k, v)| if *k == "claims[0].lines[0].paid" { (*k, right.as_str()) } else { (*k, *v) }).collect();
    let posted = server.post_form(&biller, "/billing/paper-eob", &good).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    assert!(posted.location().starts_with("/billing/remittances/"), "{}", posted.location());
    let page = server.get(&biller, posted.location()).await.text();
    assert!(page.contains(&pcn) && page.contains("PAPER-77"), "{page}");
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await.json();
    assert_eq!(claim["claim"]["status"], json!("paid"), "{claim}");
    assert!(!server.get(&biller, "/mail/payments").await.text().contains(&link));

    // The same check again: "posted already" next to its number.
    let again: Vec<(&str, &str)> = good.iter().filter(|(k, _)| *k != "mail_payment_id").copied().collect();
    let html = server.post_form(&biller, "/billing/paper-eob", &again).await.text();
    let at = html.find("id=\"e-check_number\"").unwrap_or_else(|| panic!("no error next to the check number: {html}"));
    assert!(html[at..at + 200].contains("posted already"), "{}", &html[at..at + 200]);
    assert_eq!(remittance_count(&server).await, 1);
}

#[tokio::test]
async fn a_claim_denied_on_a_paper_eob_is_worked_from_the_denial_worklist() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let token = server.token("biller").await;
    let (claim_id, pcn, total, payer_id) = sent_claim(&server, &token, &patient_id, &provider_id).await;

    // Through the API: an EOB that does not add up is 422 at the field, then the denial.
    let denial = |check: &str, denied: i64| -> Value {
        json!({"payer_id": payer_id, "check_number": check, "check_date": check_date(), "check_amount": "0.00",
            "claims": [{"claim": pcn, "status": "denied", "lines": [{"paid": "0", "adjustments": [
                {"group_code": "CO", "reason_code": "29", "amount_cents": denied}]}]}]})
    };
    let problem = server.api(Method::POST, "/api/v1/paper-eobs", Some(&token), Some(&denial("DENY-1", total - 1))).await.problem(422);
    assert_eq!(error_fields(&problem), ["claims[0].lines[0].paid"], "{problem}");
    let done = server.api(Method::POST, "/api/v1/paper-eobs", Some(&token), Some(&denial("DENY-1", total))).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    assert_eq!(done.json()["remittance"]["claims"][0]["outcome"], json!("denied"), "{}", done.text());

    let list = server.api(Method::GET, &format!("/api/v1/denials?payer_id={payer_id}"), Some(&token), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    let item = list["items"].as_array().and_then(|a| a.iter().find(|i| i["claim_id"] == json!(claim_id))).cloned().expect("listed");
    assert_eq!((item["ar_insurance_cents"].clone(), item["reasons"][0]["reason_code"].clone()), (json!(total), json!("29")), "{item}");
    let desk = server.token("frontdesk").await;
    assert_eq!(server.api(Method::GET, "/api/v1/denials", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        server.api(Method::POST, &format!("/api/v1/denials/{claim_id}/write-off"), Some(&desk), Some(&json!({"note": "x"}))).await.status,
        StatusCode::FORBIDDEN
    );

    // The page lists it with the reason in words; a write-off without a reason is refused there.
    let biller = server.login("biller").await;
    let html = server.get(&biller, "/billing/denials").await.text();
    assert!(html.contains(&pcn) && html.contains("the time limit for filing has expired"), "{html}");
    assert!(html.contains(&format!("/billing/claims/{claim_id}#correct-claim")), "{html}");
    let path = format!("/billing/denials/{claim_id}/write-off");
    let refused = server.post_form(&biller, &path, &[("note", " "), ("payer_id", "")]).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text());
    assert!(refused.text().contains("field-error") && refused.text().contains("say why it is written off"), "{}", refused.text());
    let written = server.post_form(&biller, &path, &[("note", "filing limit passed"), ("payer_id", "")]).await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.text());
    let html = server.get(&biller, written.location()).await.text();
    assert!(!html.contains(&format!("/billing/denials/{claim_id}/")), "{html}");
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await.json();
    assert_eq!(claim["claim"]["status"], json!("closed"), "{claim}");
}
