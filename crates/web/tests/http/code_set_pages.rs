//! Code sets, payers and fees over HTTP: the codes page searches ICD-10-CM and the practice's
//! procedure codes and imports a CPT file as a browser uploads it (a bad file listed line by line
//! and not imported); the payers page adds and changes a payer; the fee schedule page sets fees;
//! the API searches codes, imports, reads and changes payers, and quotes fees; and each role sees
//! only what it may.

use crate::harness::{Browser, Reply, Server, error_fields, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

const BOUNDARY: &str = "----medofficeCodesBoundary7a3e";

/// Uploads a procedure file as the import form does.
async fn upload(server: &Server, browser: &Browser, code_set: &str, file: &str) -> Reply {
    let mut body = Vec::new();
    for (name, value) in [("csrf", browser.csrf.as_str()), ("code_set", code_set), ("effective_from", "")] {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"codes.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file.as_bytes());
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/admin/codes/import")
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
async fn the_codes_page_searches_diagnoses_and_procedures_and_imports_a_file_whole_or_not_at_all() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    assert!(server.get(&admin, "/admin").await.text().contains("href=\"/admin/codes\""));

    // The first look loads ICD-10-CM; words find the code, a code finds itself first.
    let page = server.get(&admin, "/admin/codes?q=streptococcal+pharyngitis&kind=icd10cm").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("98147 codes, 74714 of them billable"), "{html}");
    assert!(html.contains("J02.0") && html.contains("Streptococcal pharyngitis"), "{html}");
    let html = server.get(&admin, "/admin/codes?q=J02&kind=icd10cm&billable=1").await.text();
    assert!(html.contains("J02.9") && !html.contains(">J02<"), "billable only: {html}");
    let html = server.get(&admin, "/admin/codes?q=%2C%2C&kind=icd10cm").await.text();
    assert!(html.contains("type a code"), "{html}");
    // The demo practice's procedures carry our own labels.
    let html = server.get(&admin, "/admin/codes?q=99213&kind=procedures").await.text();
    assert!(html.contains("Office visit, established, low MDM"), "{html}");

    // A bad file: each bad line listed, nothing imported.
    let reply = upload(&server, &admin, "cpt", "code,description\n99499,Unlisted visit\n9949,Too short\n99499,Again\n").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("The file was not imported"), "{html}");
    assert!(html.contains("line 3: &#39;9949&#39; is not a CPT code") || html.contains("line 3: '9949' is not a CPT code"), "{html}");
    assert!(html.contains("line 4: 99499 is also on line 2"), "{html}");
    assert!(server.get(&admin, "/admin/codes?q=99499&kind=procedures").await.text().contains("No procedure code matches"));
    // A good one.
    let reply = upload(&server, &admin, "cpt", "99499\tUnlisted evaluation and management service\n99213\tOffice visit, est., low\n").await;
    let html = reply.text();
    assert!(html.contains("Imported 1 new and updated 1 CPT codes"), "{html}");
    let html = server.get(&admin, "/admin/codes?q=unlisted+evaluation&kind=procedures").await.text();
    assert!(html.contains("99499"), "{html}");

    // The biller searches but does not import; the bookkeeper sees no codes.
    let biller = server.login("biller").await;
    let html = server.get(&biller, "/admin/codes?q=99213&kind=procedures").await.text();
    assert!(html.contains("Office visit, est., low") && !html.contains("/admin/codes/import"), "{html}");
    assert_eq!(upload(&server, &biller, "cpt", "99211,Nurse visit\n").await.status, StatusCode::FORBIDDEN);
    let bookkeeper = server.login("bookkeeper").await;
    assert_eq!(server.get(&bookkeeper, "/admin/codes").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_payers_and_fees_pages_add_and_change_payers_and_fees() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let html = server.get(&admin, "/admin/payers").await.text();
    assert!(html.contains("Medicare Part B") && html.contains("13202"), "{html}");

    // Refused with the fields named; then added.
    let paper = [("name", "Union Health Fund"), ("claim_filing_indicator", "CI"), ("active", "1"), ("timely_filing_days", "90")];
    let reply = server.post_form(&admin, "/admin/payers", &paper).await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(html.contains("enter the address paper claims go to"), "{html}");
    let mut full = paper.to_vec();
    full.extend([("address_line1", "PO Box 77"), ("city", "Albany"), ("state", "NY"), ("postal_code", "12203")]);
    let reply = server.post_form(&admin, "/admin/payers", &full).await;
    assert_eq!((reply.status, reply.location()), (StatusCode::SEE_OTHER, "/admin/payers?notice=payer-added"), "{}", reply.text());
    let html = server.get(&admin, "/admin/payers?notice=payer-added").await.text();
    assert!(html.contains("Payer added.") && html.contains("Union Health Fund") && html.contains("paper, to Albany"), "{html}");

    // Changed: made electronic and inactive.
    let token = server.token("admin").await;
    let payers = server.api(Method::GET, "/api/v1/payers", Some(&token), None).await.json();
    let id =
        payers["items"].as_array().unwrap().iter().find(|p| p["name"] == "Union Health Fund").unwrap()["id"].as_str().unwrap().to_string();
    assert!(server.get(&admin, &format!("/admin/payers/{id}")).await.text().contains("value=\"PO Box 77\""));
    let mut changed = full.clone();
    changed.retain(|(k, _)| *k != "active");
    changed.extend([("payer_code", "uhf01"), ("accepts_electronic_claims", "1")]);
    let reply = server.post_form(&admin, &format!("/admin/payers/{id}"), &changed).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let detail = server.api(Method::GET, &format!("/api/v1/payers/{id}"), Some(&token), None).await.json();
    assert_eq!(
        (detail["payer_code"].as_str(), detail["active"].as_bool(), detail["accepts_electronic_claims"].as_bool()),
        (Some("UHF01"), Some(false), Some(true))
    );

    // Fees: the demo's standard fees, one changed, a payer's expected amount set.
    let html = server.get(&admin, "/admin/fees").await.text();
    assert!(html.contains("99213") && html.contains("$150.00"), "{html}");
    let reply = server
        .post_form(&admin, "/admin/fees/standard", &[("code", "99213"), ("modifier", ""), ("amount", "175.00"), ("payer_id", "")])
        .await;
    assert_eq!((reply.status, reply.location()), (StatusCode::SEE_OTHER, "/admin/fees?notice=fee-saved"));
    let reply = server.post_form(&admin, "/admin/fees/standard", &[("code", "99999"), ("amount", "x"), ("payer_id", "")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.text().contains("not one of the practice&#39;s procedure codes")
            || reply.text().contains("not one of the practice's procedure codes")
    );
    let reply = server.post_form(&admin, "/admin/fees/payer", &[("payer_id", &id), ("code", "99213"), ("amount", "101.50")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let html = server.get(&admin, &format!("/admin/fees?payer_id={id}")).await.text();
    assert!(html.contains("$175.00") && html.contains("$101.50") && html.contains("(58%)"), "{html}");
    let reply = server.post_form(&admin, "/admin/fees/payer/remove", &[("payer_id", &id), ("code", "99213"), ("modifier", "")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(server.get(&admin, &format!("/admin/fees?payer_id={id}")).await.text().contains("No expected amounts for this payer yet."));

    // The biller reads the fees without forms; the desk neither; only the admin manages payers.
    let biller = server.login("biller").await;
    let html = server.get(&biller, "/admin/fees").await.text();
    assert!(html.contains("$175.00") && !html.contains("action=\"/admin/fees/standard\""), "{html}");
    assert_eq!(
        server.post_form(&biller, "/admin/fees/standard", &[("code", "99213"), ("amount", "1")]).await.status,
        StatusCode::FORBIDDEN
    );
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/admin/fees").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&biller, "/admin/payers").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_api_searches_codes_imports_changes_payers_and_quotes_fees() {
    let server = spawn().await;
    let biller = server.token("biller").await;
    let admin = server.token("admin").await;

    let found = server.api(Method::GET, "/api/v1/codes/icd10cm?q=J02.0", Some(&biller), None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let items = found.json()["items"].as_array().unwrap().clone();
    assert_eq!(
        (items[0]["code"].as_str(), items[0]["match"].as_str(), items[0]["claim_code"].as_str()),
        (Some("J02.0"), Some("exact"), Some("J020"))
    );
    let found = server
        .api(Method::GET, "/api/v1/codes/icd10cm?q=diabetes+nephropathy+type+2&billable_only=true&limit=3", Some(&biller), None)
        .await
        .json();
    assert!(found["items"].as_array().unwrap().iter().any(|d| d["code"] == "E11.21"), "{found}");
    let one = server.api(Method::GET, "/api/v1/codes/icd10cm/j029", Some(&biller), None).await.json();
    assert_eq!(one["description"], "Acute pharyngitis, unspecified");
    let problem = server.api(Method::GET, "/api/v1/codes/icd10cm", Some(&biller), None).await.problem(422);
    assert_eq!(error_fields(&problem), ["q"]);

    let procedures = server.api(Method::GET, "/api/v1/codes/procedures?q=g04&code_set=hcpcs", Some(&biller), None).await.json();
    let codes: Vec<&str> = procedures["items"].as_array().unwrap().iter().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(codes, ["G0438", "G0439", "G0442", "G0444"]);

    // Import: a bad file answers 422 line by line; a good one its summary.
    let bad = json!({"code_set": "cpt", "text": "99213,ok\n992,bad\n"});
    let problem = server.api(Method::POST, "/api/v1/codes/procedures/import", Some(&admin), Some(&bad)).await.problem(422);
    assert_eq!(error_fields(&problem), ["file"]);
    assert!(problem["errors"][0]["message"].as_str().unwrap().starts_with("line 2:"), "{problem}");
    let good = json!({"code_set": "cpt", "text": "99417\tProlonged visit, each 15 minutes\n"});
    let summary = server.api(Method::POST, "/api/v1/codes/procedures/import", Some(&admin), Some(&good)).await.json();
    assert_eq!((summary["added"].as_u64(), summary["updated"].as_u64()), (Some(1), Some(0)));
    server.api(Method::POST, "/api/v1/codes/procedures/import", Some(&biller), Some(&good)).await.problem(403);

    // Payers: the details, and a change with the limit as a number.
    let payers = server.api(Method::GET, "/api/v1/payers", Some(&biller), None).await.json();
    let medicare = payers["items"].as_array().unwrap().iter().find(|p| p["claim_filing_indicator"] == "MB").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = server.api(Method::GET, &format!("/api/v1/payers/{medicare}"), Some(&biller), None).await.json();
    assert_eq!((detail["payer_code"].as_str(), detail["accepts_electronic_claims"].as_bool()), (Some("13202"), Some(true)));
    let change = json!({"name": "Medicare Part B", "payer_code": "13202", "claim_filing_indicator": "MB", "timely_filing_days": 365, "active": true, "accepts_electronic_claims": true});
    let changed = server.api(Method::PUT, &format!("/api/v1/payers/{medicare}"), Some(&admin), Some(&change)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(changed.json()["timely_filing_days"], 365);
    let wrong = json!({"name": "Medicare Part B", "claim_filing_indicator": "09", "timely_filing_days": "soon"});
    let problem = server.api(Method::PUT, &format!("/api/v1/payers/{medicare}"), Some(&admin), Some(&wrong)).await.problem(422);
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["claim_filing_indicator", "payer_code", "timely_filing_days"]);
    server.api(Method::PUT, &format!("/api/v1/payers/{medicare}"), Some(&biller), Some(&change)).await.problem(403);
    server.api(Method::GET, "/api/v1/payers/no-such-payer", Some(&biller), None).await.problem(404);

    // Fees: the quote, a fee set by the admin, the schedule with the payer's amounts.
    let quote = server
        .api(Method::GET, &format!("/api/v1/fee-schedule/quote?code=99213&modifier=25&payer_id={medicare}"), Some(&biller), None)
        .await
        .json();
    assert_eq!(
        (quote["charge_cents"].as_i64(), quote["expected_cents"].as_i64(), quote["modifier"].as_str()),
        (Some(15_000), Some(8_250), Some("25"))
    );
    let set = server
        .api(
            Method::PUT,
            "/api/v1/fee-schedule/standard",
            Some(&admin),
            Some(&json!({"code": "99213", "modifier": "25", "amount_cents": 16_000})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    let set = server
        .api(
            Method::PUT,
            &format!("/api/v1/fee-schedule/payers/{medicare}"),
            Some(&admin),
            Some(&json!({"code": "99213", "amount_cents": 9_000})),
        )
        .await;
    assert_eq!(set.json()["allowed_cents"], 9_000);
    let schedule = server.api(Method::GET, &format!("/api/v1/fee-schedule?payer_id={medicare}"), Some(&biller), None).await.json();
    assert!(
        schedule["standard"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "99213" && f["modifier"] == "25" && f["charge_cents"] == 16_000)
    );
    assert!(schedule["payer"].as_array().unwrap().iter().any(|f| f["code"] == "99213" && f["allowed_cents"] == 9_000));
    let problem = server
        .api(Method::PUT, "/api/v1/fee-schedule/standard", Some(&admin), Some(&json!({"code": "99213", "amount_cents": -5})))
        .await
        .problem(422);
    assert_eq!(error_fields(&problem), ["amount_cents"]);
    server
        .api(Method::PUT, "/api/v1/fee-schedule/standard", Some(&biller), Some(&json!({"code": "99213", "amount_cents": 1})))
        .await
        .problem(403);
    let desk = server.token("frontdesk").await;
    server.api(Method::GET, "/api/v1/fee-schedule", Some(&desk), None).await.problem(403);
}
