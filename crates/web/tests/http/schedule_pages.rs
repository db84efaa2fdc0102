//! The Schedule day page (`/schedule`) and its booking form (`POST /schedule/book`), over the demo
//! practice (every provider works Monday to Friday, 08:00-12:00 and 13:00-17:00, New York time).

use crate::harness::{Server, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, Utc, Weekday};
use serde_json::Value;

/// A weekday at least two days ahead (so it is in the future in New York too), as `YYYY-MM-DD`.
fn next_working_day() -> String {
    let mut day = Utc::now().date_naive() + Days::new(2);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day + Days::new(1);
    }
    day.to_string()
}

/// The practice's providers as the API lists them: (id, name).
async fn providers(server: &Server, token: &str) -> Vec<(String, String)> {
    let reply = server.api(Method::GET, "/api/v1/providers", Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p: &Value| (p["id"].as_str().expect("id").to_string(), p["name"].as_str().expect("name").to_string()))
        .collect()
}

#[tokio::test]
async fn the_day_page_has_a_column_per_provider_and_the_booking_form_for_the_front_desk() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let providers = providers(&server, &token).await;
    assert!(!providers.is_empty());
    let browser = server.login("frontdesk").await;
    let day = next_working_day();

    let reply = server.get(&browser, &format!("/schedule?date={day}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    for (_, name) in &providers {
        assert!(html.contains("scope=\"col\" class=\"schedule-provider prov-"), "no provider header: {html}");
        assert!(html.contains(&format!("\">{name}</th>")), "no column for {name}");
    }
    assert!(html.contains(">08:00<") && html.contains(">16:00<"), "hour labels");
    assert!(html.contains("action=\"/schedule/book\""), "the front desk has the booking form");
    assert!(html.contains("aria-current=\"page\""), "Schedule is marked current");
    assert!(!html.contains("style="), "no inline style under the CSP");

    // Without a date: today; a date that is not one: 400.
    let today = server.get(&browser, "/schedule").await;
    assert_eq!(today.status, StatusCode::OK, "{}", today.text());
    assert!(today.text().contains("· today"), "the default is today");
    let bad = server.get(&browser, "/schedule?date=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // A provider reads the schedule but gets no booking form.
    let provider = server.login("doctor").await;
    let reply = server.get(&provider, &format!("/schedule?date={day}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(!reply.text().contains("action=\"/schedule/book\""), "a provider may not book");
}

#[tokio::test]
async fn booking_through_the_form_redirects_shows_the_appointment_and_the_same_time_again_is_409() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Quillfeather", "Ada")).await;
    let patient_id = patient["id"].as_str().expect("id").to_string();
    let (provider_id, _) = providers(&server, &token).await.remove(0);
    let browser = server.login("frontdesk").await;
    let day = next_working_day();

    let fields = [
        ("patient_id", patient_id.as_str()),
        ("provider_id", provider_id.as_str()),
        ("date", day.as_str()),
        ("time", "09:15"),
        ("appointment_type", ""),
        ("notes", ""),
    ];
    let booked = server.post_form(&browser, "/schedule/book", &fields).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.text());
    assert_eq!(booked.location(), format!("/schedule?date={day}&notice=booked"));

    let page = server.get(&browser, booked.location()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Appointment booked."), "notice");
    assert!(html.contains("Quillfeather, Ada"), "the patient's name on the grid: {html}");
    assert!(html.contains("09:15–09:35"), "the time range of a 20-minute office visit");
    assert!(html.contains(&format!("href=\"/patients/{patient_id}\"")), "a link to the chart");
    assert!(html.contains("class=\"tag status-scheduled\""), "the status as a tag");

    // The same time again, for another patient: the page again, 409, with the message by the form.
    let mut other = patient_body("Underhill", "Bea");
    other["confirm_new"] = serde_json::json!(true);
    let other = register(&server, &token, &other).await;
    let other_id = other["id"].as_str().expect("id").to_string();
    let again = [
        ("patient_id", other_id.as_str()),
        ("provider_id", provider_id.as_str()),
        ("date", day.as_str()),
        ("time", "09:15"),
        ("appointment_type", "Office visit"),
    ];
    let refused = server.post_form(&browser, "/schedule/book", &again).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    let html = refused.text();
    assert!(html.contains("That time was just taken"), "{html}");
    assert!(html.contains(&format!("value=\"{other_id}\"")), "the form keeps what was typed");
    assert!(html.contains("Quillfeather, Ada"), "the grid of that day is shown with the form");

    // Missing fields: the form again with the messages, 200.
    let empty = server.post_form(&browser, "/schedule/book", &[("date", day.as_str())]).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text());
    assert!(empty.text().contains("choose the patient"), "{}", empty.text());
}

#[tokio::test]
async fn the_bookkeeper_may_not_see_the_schedule_and_a_booking_without_csrf_is_refused() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Quillfeather", "Ada")).await;
    let patient_id = patient["id"].as_str().expect("id").to_string();
    let (provider_id, _) = providers(&server, &token).await.remove(0);
    let day = next_working_day();

    let bookkeeper = server.login("bookkeeper").await;
    let reply = server.get(&bookkeeper, &format!("/schedule?date={day}")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert!(reply.text().contains("Not allowed"));

    let browser = server.login("frontdesk").await;
    let fields = [("patient_id", patient_id.as_str()), ("provider_id", provider_id.as_str()), ("date", day.as_str()), ("time", "10:00")];
    let missing = server.post_form_with(&browser, "/schedule/book", &fields, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "{}", missing.text());
    let mut wrong = vec![("csrf", "0123456789abcdef0123456789abcdef")];
    wrong.extend_from_slice(&fields);
    let reply = server.post_form_with(&browser, "/schedule/book", &wrong, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());

    // Nothing was booked.
    let page = server.get(&browser, &format!("/schedule?date={day}")).await;
    assert!(!page.text().contains("Quillfeather"), "a refused form booked anyway");

    // A provider (may read, may not book) posting the form: 403 too.
    let provider = server.login("doctor").await;
    let reply = server.post_form(&provider, "/schedule/book", &fields).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
}
