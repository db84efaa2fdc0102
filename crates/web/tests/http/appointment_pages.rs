//! The appointment page (`/schedule/appointments/{id}`: check-in with the co-pay, check-out with
//! the follow-up, cancel, reschedule), the receipt, the recurring-series page, and the JSON API
//! for the same use cases, over the demo practice (providers work Monday to Friday, 08:00-12:00
//! and 13:00-17:00, New York time).

use crate::harness::{Server, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, Utc, Weekday};
use serde_json::{Value, json};

/// A weekday at least `ahead` days on, as `YYYY-MM-DD`.
fn working_day(ahead: u64) -> String {
    let mut day = Utc::now().date_naive() + Days::new(ahead);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day + Days::new(1);
    }
    day.to_string()
}

async fn first_provider(server: &Server, token: &str) -> String {
    let reply = server.api(Method::GET, "/api/v1/providers", Some(token), None).await;
    reply.json()["items"][0]["id"].as_str().expect("a provider").to_string()
}

/// Registers a patient and books them at `time` on `day` through the API: (patient id, appointment id).
async fn booked(server: &Server, token: &str, family: &str, day: &str, time: &str) -> (String, String) {
    let mut body = patient_body(family, "Ada");
    body["confirm_new"] = json!(true);
    let patient = register(server, token, &body).await;
    let patient_id = patient["id"].as_str().expect("id").to_string();
    let provider_id = first_provider(server, token).await;
    let body = json!({"patient_id": patient_id, "provider_id": provider_id, "start": format!("{day}T{time}")});
    let reply = server.api(Method::POST, "/api/v1/appointments", Some(token), Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    (patient_id, reply.json()["id"].as_str().expect("id").to_string())
}

#[tokio::test]
async fn check_in_with_a_copay_prints_a_receipt_and_check_out_books_the_follow_up() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = working_day(2);
    let (_, id) = booked(&server, &token, "Quillfeather", &day, "09:00").await;
    let browser = server.login("frontdesk").await;
    let path = format!("/schedule/appointments/{id}");

    let page = server.get(&browser, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Quillfeather, Ada"), "{html}");
    assert!(html.contains(&format!("action=\"{path}/check-in\"")), "the check-in form");
    assert!(html.contains("Booked for"), "the history");
    assert!(!html.contains("style="), "no inline style under the CSP");

    // Unconfirmed and a bad amount: the page again with each message next to its field.
    let refused = server.post_form(&browser, &format!("{path}/check-in"), &[("copay_amount", "twenty"), ("payment_method", "cash")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    let html = refused.text();
    for field in ["demographics_confirmed", "insurance_confirmed", "copay_amount"] {
        assert!(html.contains(&format!("id=\"e-{field}\"")), "no message by {field}: {html}");
    }
    assert!(html.contains("value=\"twenty\""), "the form keeps what was typed");

    let fields = [
        ("demographics_confirmed", "on"),
        ("insurance_confirmed", "on"),
        ("copay_amount", "25.00"),
        ("payment_method", "card"),
        ("payment_reference", "4242"),
    ];
    let done = server.post_form(&browser, &format!("{path}/check-in"), &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert!(done.location().starts_with("/schedule/payments/"), "{}", done.location());
    let receipt = server.get(&browser, done.location()).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text());
    let html = receipt.text();
    assert!(html.contains("$25.00") && html.contains("Quillfeather, Ada") && html.contains("Receipt"), "{html}");

    let detail = server.api(Method::GET, &format!("/api/v1/appointments/{id}"), Some(&token), None).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text());
    let detail = detail.json();
    assert_eq!(detail["appointment"]["status"], "arrived");
    assert_eq!(detail["payments"][0]["amount_cents"], 2500);
    assert!(detail["allowed_events"].as_array().expect("events").iter().any(|e| e == "check_out"));

    // Checked in: the biller opens the visit's superbill from here; the front desk does not code.
    let superbill = format!("href=\"/billing/encounters/new?appointment={id}\"");
    assert!(!server.get(&browser, &path).await.text().contains(&superbill), "the front desk is offered the superbill");
    let biller = server.login("biller").await;
    assert!(server.get(&biller, &path).await.text().contains(&superbill), "the biller is not offered the superbill");

    // Check out with a typed follow-up four weeks on: the new appointment's page.
    let follow_day = working_day(30);
    let out = server
        .post_form(
            &browser,
            &format!("{path}/check-out"),
            &[("follow_up_slot", "none"), ("follow_up_date", &follow_day), ("follow_up_time", "10:00")],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text());
    let follow_up = server.get(&browser, out.location()).await;
    assert_eq!(follow_up.status, StatusCode::OK);
    assert!(follow_up.text().contains(&follow_day), "{}", follow_up.text());
    let detail = server.api(Method::GET, &format!("/api/v1/appointments/{id}"), Some(&token), None).await.json();
    assert_eq!(detail["appointment"]["status"], "checked_out");
}

#[tokio::test]
async fn cancel_and_reschedule_from_the_page_and_the_api() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = working_day(3);
    let (_, id) = booked(&server, &token, "Underhill", &day, "10:00").await;
    let browser = server.login("frontdesk").await;
    let path = format!("/schedule/appointments/{id}");

    // Cancel without a reason: the message by the field, nothing changed.
    let refused = server.post_form(&browser, &format!("{path}/status"), &[("event", "cancel"), ("by", "patient")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert!(refused.text().contains("id=\"e-reason\""), "{}", refused.text());

    // Reschedule through the API: 201 with the new appointment, the old one linked.
    let later = working_day(5);
    let body = json!({"start": format!("{later}T11:00"), "reason": "Car trouble", "by": "patient"});
    let moved = server.api(Method::POST, &format!("/api/v1/appointments/{id}/reschedule"), Some(&token), Some(&body)).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{}", moved.text());
    let new_id = moved.json()["id"].as_str().expect("id").to_string();
    let old = server.api(Method::GET, &format!("/api/v1/appointments/{id}"), Some(&token), None).await.json();
    assert_eq!(old["appointment"]["status"], "rescheduled");
    assert_eq!(old["rescheduled_to"], new_id.as_str());
    let page = server.get(&browser, &path).await.text();
    assert!(page.contains("Open the new appointment") && page.contains("Car trouble"), "{page}");

    // The new one is cancelled from its page.
    let cancel = [("event", "cancel"), ("by", "practice"), ("reason", "Doctor out sick")];
    let done = server.post_form(&browser, &format!("/schedule/appointments/{new_id}/status"), &cancel).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let page = server.get(&browser, done.location()).await.text();
    assert!(page.contains("Cancelled by the practice: Doctor out sick"), "{page}");

    // Rescheduling onto a taken time from the page answers 409 with the reason.
    let (_, other) = booked(&server, &token, "Ravensworth", &day, "14:00").await;
    let clash = [("date", day.as_str()), ("time", "14:00"), ("by", "patient"), ("reason", "")];
    let (_, third) = booked(&server, &token, "Fairweather", &day, "15:00").await;
    let reply = server.post_form(&browser, &format!("/schedule/appointments/{third}/reschedule"), &clash).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(reply.text().contains("That did not work"), "{}", reply.text());
    assert_ne!(other, third);
}

#[tokio::test]
async fn open_slots_across_providers_recurring_series_and_roles_in_the_api() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = working_day(2);
    let reply = server
        .api(Method::GET, &format!("/api/v1/open-slots?from={day}&to={day}&part_of_day=morning&max_results=50"), Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let items = reply.json()["items"].as_array().expect("items").clone();
    let providers: std::collections::BTreeSet<&str> = items.iter().filter_map(|s: &Value| s["provider_id"].as_str()).collect();
    assert!(providers.len() > 1, "any provider: {items:?}");
    assert!(items.iter().all(|s| s["start"].as_str().is_some_and(|t| &t[11..13] < "12")), "morning only");
    let bad = server.api(Method::GET, "/api/v1/open-slots?part_of_day=night", Some(&token), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());

    let mut body = patient_body("Seriesworth", "Ada");
    body["confirm_new"] = json!(true);
    let patient = register(&server, &token, &body).await;
    let provider_id = first_provider(&server, &token).await;
    let series = json!({
        "patient_id": patient["id"], "provider_id": provider_id, "first_date": day, "first_time": "16:00",
        "every_n_weeks": "2", "count": "3"
    });
    let preview = server.api(Method::POST, "/api/v1/appointment-series/preview", Some(&token), Some(&series)).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    assert_eq!(preview.json()["items"].as_array().expect("items").len(), 3);
    let booked = server.api(Method::POST, "/api/v1/appointment-series", Some(&token), Some(&series)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text());
    let booked = booked.json();
    let count = booked["booked"].as_array().expect("booked").len() + booked["skipped"].as_array().expect("skipped").len();
    assert_eq!(count, 3);

    // The series page previews in the browser too.
    let browser = server.login("frontdesk").await;
    let form = [
        ("patient_id", patient["id"].as_str().expect("id")),
        ("provider_id", provider_id.as_str()),
        ("first_date", day.as_str()),
        ("first_time", "16:40"),
        ("every_n_weeks", "1"),
        ("count", "2"),
        ("action", "preview"),
    ];
    let page = server.post_form(&browser, "/schedule/series", &form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("The dates"), "{}", page.text());

    // The bookkeeper reads no appointment and takes no payment.
    let bookkeeper = server.token("bookkeeper").await;
    let id = booked["booked"][0]["id"].as_str().expect("id");
    let r = server.api(Method::GET, &format!("/api/v1/appointments/{id}"), Some(&bookkeeper), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = server.api(Method::POST, &format!("/api/v1/appointments/{id}/check-in"), Some(&bookkeeper), Some(&json!({}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
}

#[tokio::test]
async fn e_mailing_a_receipt_without_smtp_set_up_says_so_and_claims_nothing() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = working_day(2);
    let (_, id) = booked(&server, &token, "Postlethwaite", &day, "11:00").await;
    let browser = server.login("frontdesk").await;
    let fields = [("demographics_confirmed", "on"), ("insurance_confirmed", "on"), ("copay_amount", "15"), ("payment_method", "cash")];
    let done = server.post_form(&browser, &format!("/schedule/appointments/{id}/check-in"), &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let receipt_path = done.location().split('?').next().expect("path").to_string();
    let email_path = receipt_path.replace("/receipt", "/email");
    let reply = server.post_form(&browser, &email_path, &[("from", id.as_str())]).await;
    assert!(reply.status == StatusCode::CONFLICT || reply.status == StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.status);
    let html = reply.text();
    assert!(html.contains("class=\"alert\""), "the refusal is shown: {html}");
    assert!(!html.contains("was e-mailed to"), "{html}");
}

#[tokio::test]
async fn only_a_role_that_may_overbook_sees_the_overbook_choice() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let page = server.get(&admin, "/schedule/new").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("name=\"overbook\""), "the office manager may overbook");
    let desk = server.login("frontdesk").await;
    let page = server.get(&desk, "/schedule/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("name=\"overbook\""), "the front desk may not");
}
