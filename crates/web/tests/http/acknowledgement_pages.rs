//! Acknowledgements over HTTP: a 277CA sent to the API as the file's bytes rejects a sent claim
//! (201 with the result, the same file again 200 `duplicate`), a file that is not an
//! acknowledgement is 422 on `file`; the claim page shows the rejection in plain words and codes;
//! the upload page imports a 999 as a browser sends it and lists the files; the front desk is
//! refused.

use crate::billing_pages::{insured_patient_and_provider, some_diagnoses};
use crate::harness::{Browser, Reply, Server, error_fields, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

const BOUNDARY: &str = "----medofficeAckBoundary7d2e";

/// An interchange around one transaction set, SE01 counted.
fn interchange(control: u32, functional_id: &str, guide: &str, set_id: &str, body: &[&str]) -> String {
    let mut set = vec![format!("ST*{set_id}*0001*{guide}")];
    set.extend(body.iter().map(|s| s.to_string()));
    set.push(format!("SE*{}*0001", set.len() + 1));
    format!(
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*MEDOFFICE      *260616*1200*^*00501*{control:09}*0*T*:~\n\
         GS*{functional_id}*CLEARHOUSE*MEDOFFICE*20260616*1200*{control}*X*{guide}~\n{}~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        set.join("~\n")
    )
}

/// A 277CA rejecting the claim with this patient control number for its billing provider's NPI.
fn rejecting_277ca(pcn: &str) -> String {
    let trn = format!("TRN*2*{pcn}");
    interchange(
        71,
        "HN",
        "005010X214",
        "277",
        &[
            "BHT*0085*08*277CA0001*20260616*1015*TH",
            "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1",
            "TRN*1*277CA0001",
            "DTP*050*D8*20260616",
            "DTP*009*D8*20260616",
            "HL*2*1*21*1",
            "NM1*41*2*MEDOFFICE PRACTICE*****46*SUB123",
            "TRN*2*BATCH",
            "STC*A1:19:PR*20260616*WQ*150",
            "HL*3*2*19*1",
            "NM1*85*2*RIVERSIDE*****XX*1234567893",
            "TRN*1*0",
            "STC*A1:19:85**WQ*150",
            "HL*4*3*PT",
            "NM1*QC*1*DOE*JANE****MI*MEMBER001",
            &trn,
            "STC*A7:562:85*20260616*U*150",
            "DTP*472*D8*20260610",
        ],
    )
}

/// A 999 accepting a group we never sent.
fn stranger_999() -> String {
    interchange(72, "FA", "005010X231A1", "999", &["AK1*HC*424242*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A", "AK9*A*1*1*1"])
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
        .uri("/billing/acknowledgements")
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
async fn acknowledgements_are_imported_through_the_api_and_the_upload_page_and_shown_on_the_claim() {
    let server = spawn().await;
    some_diagnoses(&server).await;
    let (patient_id, _, provider_id) = insured_patient_and_provider(&server).await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let token = server.token("biller").await;
    let encounter = json!({
        "patient_id": patient_id, "rendering_provider_id": provider_id, "service_date": yesterday,
        "place_of_service": "11", "diagnoses": ["J06.9"], "lines": [{"procedure_code": "99213", "units": "1", "pointers": "1"}]
    });
    let opened = server.api(Method::POST, "/api/v1/encounters", Some(&token), Some(&encounter)).await.json();
    let encounter_id = opened["id"].as_str().expect("an encounter").to_string();
    let posted = server.api(Method::POST, &format!("/api/v1/encounters/{encounter_id}/charges"), Some(&token), None).await.json();
    let claim_id = posted["claim_id"].as_str().expect("a claim").to_string();
    let claim = server.api(Method::GET, &format!("/api/v1/claims/{claim_id}"), Some(&token), None).await.json();
    let pcn = claim["claim"]["patient_control_number"].as_str().expect("its patient control number").to_string();
    // Sent (the use-case tests send real batches; here only the acknowledgement's path matters).
    sqlx::query("UPDATE claim SET status = 'sent' WHERE id = $1").bind(&claim_id).execute(server.app.store.pool()).await.unwrap();

    // The file's bytes as the body.
    let file = rejecting_277ca(&pcn);
    let reply = server.api_raw(Method::POST, "/api/v1/acknowledgements", &token, Some("application/edi-x12"), file.clone()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let done = reply.json();
    assert_eq!(
        (done["kind"].clone(), done["matched"].clone(), done["accepted"].clone(), done["rejected"].clone(), done["duplicate"].clone()),
        (json!("277ca"), json!(1), json!(0), json!(1), json!(false)),
        "{done}"
    );
    assert_eq!(done["unmatched"], json!([]));
    let again = server.api_raw(Method::POST, "/api/v1/acknowledgements", &token, Some("text/plain"), file).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.json()["duplicate"], json!(true));

    // Not an acknowledgement: 422 on file, saying why.
    let garbage = server.api_raw(Method::POST, "/api/v1/acknowledgements", &token, Some("text/plain"), "this is not X12").await;
    let problem = garbage.problem(422);
    assert_eq!(error_fields(&problem), ["file"]);
    assert!(problem.to_string().contains("not an X12 file"), "{problem}");

    let listed = server.api(Method::GET, "/api/v1/acknowledgements", Some(&token), None).await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");
    let file_id = listed["items"][0]["id"].as_str().expect("the file's id").to_string();
    let one = server.api(Method::GET, &format!("/api/v1/acknowledgements/{file_id}"), Some(&token), None).await.json();
    assert_eq!(one["items"][0]["claim_id"], json!(claim_id), "{one}");
    let docs = server.get_anonymous("/api/v1/openapi.json").await.text();
    assert!(docs.contains("/api/v1/acknowledgements"), "the OpenAPI document lists the endpoint");

    // The claim page says why, prominently, in words and codes.
    let biller = server.login("biller").await;
    let html = server.get(&biller, &format!("/billing/claims/{claim_id}")).await.text();
    assert!(html.contains("Rejected by the payer or clearinghouse (277CA)"), "{html}");
    assert!(
        html.contains("the entity&#39;s National Provider Identifier (NPI) is missing or invalid")
            || html.contains("the entity's National Provider Identifier (NPI) is missing or invalid"),
        "{html}"
    );
    assert!(html.contains("A7:562:85"), "{html}");
    let html = server.get(&biller, "/billing/claims?status=rejected").await.text();
    assert!(html.contains(&pcn), "the rejected worklist holds it: {html}");
    assert!(server.get(&biller, "/billing/claims").await.text().contains("href=\"/billing/acknowledgements\""));

    // The upload page: a 999 about a group we never sent is imported and its item reported.
    let page = server.get(&biller, "/billing/acknowledgements").await.text();
    assert!(page.contains("Import acknowledgement") && page.contains("enctype=\"multipart/form-data\""), "{page}");
    let reply = upload(&server, &biller, "ack.999", stranger_999().as_bytes()).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(reply.location().ends_with("?notice=imported"), "{}", reply.location());
    let html = server.get(&biller, reply.location()).await.text();
    assert!(html.contains("Not ours") && html.contains("no batch we sent has this group control number"), "{html}");
    let reply = upload(&server, &biller, "notes.txt", b"hello").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("field-error") && reply.text().contains("not an X12 file"), "{}", reply.text());
    let page = server.get(&biller, "/billing/acknowledgements").await.text();
    assert!(page.contains("ack.999"), "{page}");

    // The front desk neither imports nor reads them.
    let desk = server.token("frontdesk").await;
    let refused = server.api_raw(Method::POST, "/api/v1/acknowledgements", &desk, Some("text/plain"), stranger_999()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(server.api(Method::GET, "/api/v1/acknowledgements", Some(&desk), None).await.status, StatusCode::FORBIDDEN);
}
