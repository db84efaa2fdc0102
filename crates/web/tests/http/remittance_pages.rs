//! Remittances over HTTP: an 835 sent to the API as the file's bytes posts a sent claim (201 with
//! the summary, the same payment again 200 `duplicate`), an unbalanced 835 is 422 on `file` with
//! the reason; the upload page imports one as a browser sends it and lists it; the front desk is
//! refused. A file of two payments posts both (the answer sums them and lists each); the
//! remittance page shows each claim's adjustments and remark codes in plain words and flags lines
//! allowed below the payer's expected amount, which the underpayments page and API list.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{Browser, Reply, Server, error_fields, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

const BOUNDARY: &str = "----medofficeRemitBoundary41c9";

/// The electronic payer id of the demo's insured patient's payer (Medicare Part B): a claim is
/// posted only from its own payer's remittance.
const PAYER_CODE: &str = "13202";

fn dollars(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The segments of one payment of the claim (ST..SE without them): $20.00 CO-45, $10.00 PR-2, the
/// rest paid; `payment` is BPR02.
fn payment_segments(trace: &str, pcn: &str, charge: i64, service_date: &str, payment: i64) -> Vec<String> {
    let paid = charge - 3000;
    let date = service_date.replace('-', "");
    let segments = [
        format!("BPR*I*{}*C*ACH", dollars(payment)),
        format!("TRN*1*{trace}*1234567890"),
        format!("N1*PR*MEDICARE PART B*XV*{PAYER_CODE}"),
        "N1*PE*RIVERSIDE*XX*1234567893".into(),
        "LX*1".into(),
        format!("CLP*{pcn}*1*{}*{}*10*12*ICN-9", dollars(charge), dollars(paid)),
        format!("SVC*HC:99213*{}*{}**1", dollars(charge), dollars(paid)),
        format!("DTM*472*{date}"),
        "CAS*CO*45*20".into(),
        "CAS*PR*2*10".into(),
        "LQ*HE*N130".into(),
    ];
    segments.to_vec()
}

/// An 835 of one payment (see [`payment_segments`]).
fn remittance_835(trace: &str, pcn: &str, charge: i64, service_date: &str, payment: i64) -> String {
    let segments = payment_segments(trace, pcn, charge, service_date, payment);
    format!(
        "ISA*00*          *00*          *ZZ*ACME1          *ZZ*MEDOFFICE      *260616*1200*^*00501*000000081*0*T*:~\n\
         GS*HP*ACME1*MEDOFFICE*20260616*1200*81*X*005010X221A1~\nST*835*0001~\n{}~\nSE*{}*0001~\nGE*1*81~\nIEA*1*000000081~\n",
        segments.join("~\n"),
        segments.len() + 2
    )
}

/// Uploads a file as the import form does.
async fn upload(server: &Server, browser: &Browser, file_name: &str, bytes: &[u8]) -> Reply {
    let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n", browser.csrf).into_bytes();
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/billing/remittances")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, format!("medoffice_session={}", browser.cookie))
        .header(header::HOST, "localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost:8080")
        .body(Body::from(body))
        .expect("request");
    server.send(request).await
}

/// A sent claim for one office visit yesterday: (id, CLM01, total cents, date of service).
async fn sent_claim(server: &Server, token: &str, patient_id: &str, provider_id: &str) -> (String, String, i64, String) {
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let encounter = json!({
        "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": yesterday,
        "place_of_service": "11", "diagnoses": ["J06.9"], "lines": [{"procedure_code": "99213", "units": "1", "pointers": "1"}]
    });
    let opened = server.api(Method::POST, "/api/v1/encounters", Some(token), Some(&encounter)).await.json();
    let encounter_id = opened["id"].as_str().expect("an encounter").to_string();
    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(token), None).await.json();
    let claim_id = posted["claim_id"].as_str().expect("a claim").to_string();
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(token), None).await.json();
    let pcn = claim["claim"]["patient_control_number"].as_str().expect("its patient control number").to_string();
    let total = claim["claim"]["total_cents"].as_i64().expect("its total");
    // Sent (the use-case tests send real batches; here only the remittance's path matters).
    sqlx::query("UPDATE claim SET status = 'sent' WHERE id = $1").bind(&claim_id).execute(server.app.store.pool()).await.unwrap();
    (claim_id, pcn, total, yesterday)
}

#[tokio::test]
async fn remittances_are_imported_through_the_api_and_the_upload_page() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let token = server.token("biller").await;
    let (claim_id, pcn, total, date) = sent_claim(&server, &token, &patient_id, &provider_id).await;
    assert!(total > 3000, "the visit's fee is {total}");

    let file = remittance_835("EFT-1", &pcn, total, &date, total - 3000);
    let reply = server.api_raw(Method::POST, "/api/v1/remittances", &token, Some("application/edi-x12"), file.clone()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let done = reply.json();
    assert_eq!(
        (
            done["claims_matched"].clone(),
            done["claims_unmatched"].clone(),
            done["paid_cents"].clone(),
            done["adjustment_cents"].clone(),
            done["patient_responsibility_cents"].clone(),
            done["duplicate"].clone()
        ),
        (json!(1), json!(0), json!(total - 3000), json!(2000), json!(1000), json!(false)),
        "{done}"
    );
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await.json();
    assert_eq!(claim["claim"]["status"], json!("paid"), "{claim}");
    let again = server.api_raw(Method::POST, "/api/v1/remittances", &token, Some("text/plain"), file).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.json()["duplicate"], json!(true));

    // Unbalanced: 422 on file, saying why.
    let (_, pcn2, total2, date2) = sent_claim(&server, &token, &patient_id, &provider_id).await;
    let unbalanced = remittance_835("EFT-2", &pcn2, total2, &date2, total2);
    let problem = server.api_raw(Method::POST, "/api/v1/remittances", &token, Some("text/plain"), unbalanced).await.problem(422);
    assert_eq!(error_fields(&problem), ["file"]);
    assert!(problem.to_string().contains("does not balance"), "{problem}");

    let listed = server.api(Method::GET, "/api/v1/remittances", Some(&token), None).await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");
    let id = listed["items"][0]["id"].as_str().expect("its id").to_string();
    let one = server.api(Method::GET, &format!("/api/v1/remittances/{id}"), Some(&token), None).await.json();
    assert_eq!(one["claims"][0]["claim_id"], json!(claim_id), "{one}");
    let docs = server.get_anonymous("/api/v1/openapi.json").await.text();
    assert!(docs.contains("/api/v1/remittances"), "the OpenAPI document lists the endpoint");

    // The upload page posts the second claim's payment and shows it.
    let biller = server.login("biller").await;
    assert!(server.get(&biller, "/billing/claims").await.text().contains("href=\"/billing/remittances\""));
    let page = server.get(&biller, "/billing/remittances").await.text();
    assert!(page.contains("Import remittance") && page.contains("EFT-1"), "{page}");
    let good = remittance_835("EFT-3", &pcn2, total2, &date2, total2 - 3000);
    let reply = upload(&server, &biller, "era.835", good.as_bytes()).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(reply.location().ends_with("?notice=imported"), "{}", reply.location());
    let html = server.get(&biller, reply.location()).await.text();
    assert!(html.contains(&pcn2) && html.contains("Paid"), "{html}");
    let reply = upload(&server, &biller, "notes.txt", b"hello").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("field-error") && reply.text().contains("not a readable X12 835"), "{}", reply.text());

    // The front desk neither imports nor reads them.
    let desk = server.token("frontdesk").await;
    let refused = server.api_raw(Method::POST, "/api/v1/remittances", &desk, Some("text/plain"), good).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(server.api(Method::GET, "/api/v1/remittances", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn several_payments_post_each_and_underpaid_lines_are_shown_and_listed() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let token = server.token("biller").await;
    let admin = server.token("admin").await;
    let (claim_id, pcn1, total, date) = sent_claim(&server, &token, &patient_id, &provider_id).await;
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await.json();
    let payer_id = claim["claim"]["payer_id"].as_str().expect("its payer").to_string();
    let (_, pcn2, _, _) = sent_claim(&server, &token, &patient_id, &provider_id).await;
    // The payer is expected to allow the whole charge; it allows $20.00 less (paid plus PR-2).
    let fee = json!({"code": "99213", "modifier": "", "amount": dollars(total)});
    let set = server.api(Method::PUT, &format!("/api/v1/fee-schedule/payers/{payer_id}"), Some(&admin), Some(&fee)).await;
    assert!(set.status.is_success(), "{}", set.text());

    let sets =
        [payment_segments("EFT-21", &pcn1, total, &date, total - 3000), payment_segments("EFT-22", &pcn2, total, &date, total - 3000)];
    let mut file = String::from(
        "ISA*00*          *00*          *ZZ*60054          *ZZ*MEDOFFICE      *260616*1200*^*00501*000000082*0*T*:~\n\
         GS*HP*60054*MEDOFFICE*20260616*1200*82*X*005010X221A1~\n",
    );
    for (i, segments) in sets.iter().enumerate() {
        file.push_str(&format!("ST*835*{:04}~\n{}~\nSE*{}*{:04}~\n", i + 1, segments.join("~\n"), segments.len() + 2, i + 1));
    }
    file.push_str("GE*2*82~\nIEA*1*000000082~\n");
    let reply = server.api_raw(Method::POST, "/api/v1/remittances", &token, Some("application/edi-x12"), file).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let done = reply.json();
    assert_eq!((done["claims_matched"].clone(), done["paid_cents"].clone()), (json!(2), json!(2 * (total - 3000))), "{done}");
    assert_eq!(done["remittances"].as_array().map(Vec::len), Some(2), "{done}");
    assert_eq!(done["claims"][0]["short_cents"], json!(2000), "{done}");
    let id = done["remittances"][1]["remittance_id"].as_str().expect("the second payment").to_string();

    let one = server.api(Method::GET, &format!("/api/v1/remittances/{id}"), Some(&token), None).await.json();
    assert_eq!(one["claims"][0]["adjustments"][0]["reason_code"], json!("45"), "{one}");
    assert!(one["claims"][0]["adjustments"][0]["reason_meaning"].as_str().is_some_and(|m| m.contains("fee schedule")), "{one}");
    assert_eq!(one["claims"][0]["lines"][0]["remarks"][0]["code"], json!("N130"), "{one}");

    let under = server.api(Method::GET, "/api/v1/underpayments", Some(&token), None).await.json();
    let items = under["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{under}");
    assert!(items.iter().all(|u| u["short_cents"] == json!(2000) && u["expected_cents"] == json!(total)), "{under}");
    let docs = server.get_anonymous("/api/v1/openapi.json").await.text();
    assert!(docs.contains("/api/v1/underpayments"));

    let biller = server.login("biller").await;
    let html = server.get(&biller, &format!("/billing/remittances/{id}")).await.text();
    assert!(html.contains("the charge exceeds the fee schedule") && html.contains("N130"), "{html}");
    assert!(html.contains("Underpaid 20.00") || html.contains("Underpaid $20.00"), "{html}");
    let page = server.get(&biller, "/billing/underpayments").await.text();
    assert!(page.contains(&pcn1) && page.contains(&pcn2) && page.contains("Total short"), "{page}");
    let desk = server.token("frontdesk").await;
    assert_eq!(server.api(Method::GET, "/api/v1/underpayments", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
}
