//! Eligibility over HTTP: "Check eligibility" on the appointment page writes a 270 and offers it;
//! the 271 answer imported through the API shows at check-in ("Active · co-pay $25 · ..."), an
//! inactive one as a warning; the arrivals page offers "Eligibility for tomorrow" and shows the
//! answer; a bad upload is refused on its field; the OpenAPI document lists the endpoints.

use crate::harness::{Server, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Datelike, Days, Utc, Weekday};
use serde_json::json;

/// A weekday at least `ahead` days on, as `YYYY-MM-DD`.
fn working_day(ahead: u64) -> String {
    let mut day = Utc::now().date_naive() + Days::new(ahead);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day + Days::new(1);
    }
    day.to_string()
}

/// The payer's answer to a request: its hierarchy echoed with `eb` in place of each EQ.
fn as_271(request: &str, eb: &str) -> String {
    let body =
        request.replace("GS*HS*", "GS*HB*").replace("ST*270*", "ST*271*").replace("BHT*0022*13*", "BHT*0022*11*").replace("EQ*30~", eb);
    let (head, tail) = body.split_once("SE*").unwrap();
    let count = head[head.find("ST*271").unwrap()..].matches('~').count() + 1;
    format!("{head}SE*{count}{}", &tail[tail.find('*').unwrap()..])
}

/// An insured patient of the demo practice booked through the API: (patient id, appointment id).
async fn insured_and_booked(server: &Server, token: &str) -> (String, String) {
    let (patient_id,): (String,) = sqlx::query_as(
        "SELECT p.id FROM patient p JOIN coverage c ON c.practice_id = p.practice_id AND c.patient_id = p.id \
         WHERE c.priority = 1 AND c.end_date IS NULL AND c.start_date <= $1 ORDER BY p.id LIMIT 1",
    )
    .bind((Utc::now().date_naive() - Days::new(2)).to_string())
    .fetch_one(server.app.store.pool())
    .await
    .unwrap();
    let providers = server.api(Method::GET, "/api/v1/providers", Some(token), None).await;
    let provider_id = providers.json()["items"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"patient_id": patient_id, "provider_id": provider_id, "start": format!("{}T09:00", working_day(1))});
    let reply = server.api(Method::POST, "/api/v1/appointments", Some(token), Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    (patient_id, reply.json()["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn check_in_shows_the_last_eligibility_answer() {
    let server = spawn().await;
    // The demo practice has no clearinghouse id yet.
    sqlx::query("UPDATE practice SET submitter_id = 'SUB123'").execute(server.app.store.pool()).await.unwrap();
    let token = server.token("frontdesk").await;
    let (patient_id, appointment_id) = insured_and_booked(&server, &token).await;
    let desk = server.login("frontdesk").await;
    let path = format!("/schedule/appointments/{appointment_id}");

    let html = server.get(&desk, &path).await.text();
    assert!(html.contains("not checked"), "{html}");
    assert!(html.contains("action=\"/billing/eligibility/requests\"") && html.contains("Check eligibility"), "{html}");

    // "Check eligibility" writes the 270 and offers its file.
    let reply = server.post_form(&desk, "/billing/eligibility/requests", &[("patient_id", &patient_id)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let offered = server.get(&desk, reply.location()).await;
    assert_eq!(offered.status, StatusCode::OK);
    let html = offered.text();
    assert!(html.contains("Download the 270 file"), "{html}");
    let href = html.split("href=\"/billing/eligibility/requests/").nth(1).unwrap().split('"').next().unwrap();
    let file = server.get(&desk, &format!("/billing/eligibility/requests/{href}")).await;
    assert_eq!(file.content_type(), "application/edi-x12");
    assert!(file.header("content-disposition").unwrap().starts_with("attachment; filename=\"270-"));
    let request = file.text();
    assert!(request.contains("ST*270*") && request.contains("TRN*1*E000000001*"), "{request}");

    // The 271 through the API; check-in shows it.
    let answer = as_271(&request, "EB*1*IND*30**GOLD PPO~EB*B*IND*98***27*25~EB*C*IND*30***29*400~EB*A*IND*98*****0.2~");
    let imported = server.api_raw(Method::POST, "/api/v1/eligibility/responses", &token, Some("application/edi-x12"), answer).await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text());
    assert_eq!(imported.json()["matched"], 1);
    assert_eq!(imported.json()["results"][0]["copay_cents"], 2500);
    let html = server.get(&desk, &path).await.text();
    // The practice's date (New York): today or, near midnight UTC, yesterday in UTC.
    let checked =
        |d: chrono::NaiveDate| format!("Active · co-pay $25 · deductible left $400 · co-insurance 20% · checked {}", d.format("%b %-d"));
    let utc = Utc::now().date_naive();
    assert!(html.contains(&checked(utc)) || html.contains(&checked(utc - Days::new(1))), "{html}");
    assert!(!html.contains("eligibility-warning"), "{html}");
    assert!(!html.contains("style="), "no inline style under the CSP");
    // The chart's insurance section too, with its own button.
    let chart = server.get(&desk, &format!("/patients/{patient_id}")).await.text();
    assert!(chart.contains("Active · co-pay $25") && chart.contains("Check eligibility"), "{chart}");

    // An inactive answer is a warning; the arrivals list shows it too and offers tomorrow's request.
    let inactive = as_271(&request, "EB*6**30~");
    server.api_raw(Method::POST, "/api/v1/eligibility/responses", &token, Some("application/edi-x12"), inactive).await;
    let html = server.get(&desk, &path).await.text();
    assert!(html.contains("eligibility-warning") && html.contains("Inactive · checked"), "{html}");
    let arrivals = server.get(&desk, &format!("/schedule/arrivals?date={}", working_day(1))).await.text();
    assert!(arrivals.contains("Inactive · checked") && arrivals.contains("Eligibility for tomorrow"), "{arrivals}");
}

#[tokio::test]
async fn a_bad_upload_is_refused_on_its_field_and_the_api_writes_a_day() {
    let server = spawn().await;
    sqlx::query("UPDATE practice SET submitter_id = 'SUB123'").execute(server.app.store.pool()).await.unwrap();
    let desk = server.login("frontdesk").await;
    let page = server.get(&desk, "/billing/eligibility").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());

    // A multipart upload that is not a 271.
    let boundary = "XBOUNDARYX";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.x12\"\r\nContent-Type: text/plain\r\n\r\nnot x12 at all\r\n--{boundary}--\r\n",
        desk.csrf
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/billing/eligibility/responses")
        .header(header::COOKIE, format!("medoffice_session={}", desk.cookie))
        .header(header::HOST, "localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost:8080")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let refused = server.send(request).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert!(refused.text().contains("id=\"e-file\""), "{}", refused.text());

    // The API: a day's schedule with one booked patient answers the 270 file.
    let token = server.token("frontdesk").await;
    let (_, _) = insured_and_booked(&server, &token).await;
    let written = server.api(Method::POST, "/api/v1/eligibility/requests", Some(&token), Some(&json!({"date": working_day(1)}))).await;
    assert_eq!(written.status, StatusCode::CREATED, "{}", written.text());
    assert_eq!(written.content_type(), "application/edi-x12");
    assert!(written.text().starts_with("ISA*") && written.text().contains("EQ*30~"));
    let again = server.api(Method::GET, written.header("location").unwrap(), Some(&token), None).await;
    assert_eq!(again.text(), written.text());
    let bad = server.api(Method::POST, "/api/v1/eligibility/requests", Some(&token), Some(&json!({"date": "tomorrow"}))).await;
    assert_eq!(crate::harness::error_fields(&bad.problem(422)), ["date"]);
    let bookkeeper = server.token("bookkeeper").await;
    server.api(Method::POST, "/api/v1/eligibility/requests", Some(&bookkeeper), Some(&json!({}))).await.problem(403);

    let doc = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.json();
    for p in ["/api/v1/eligibility/requests", "/api/v1/eligibility/responses"] {
        assert!(doc["paths"][p].is_object(), "{p} missing from the OpenAPI document");
    }
}
