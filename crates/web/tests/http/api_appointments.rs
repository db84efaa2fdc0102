//! Booking appointments, listing them and finding open slots through the API, over the demo
//! practice (every provider works Monday to Friday, 08:00-12:00 and 13:00-17:00, New York time).

use crate::harness::{Server, error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, Utc, Weekday};
use serde_json::{Value, json};

/// A weekday at least two days ahead (so it is in the future in New York too), as `YYYY-MM-DD`.
fn next_working_day() -> String {
    let mut day = Utc::now().date_naive() + Days::new(2);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day + Days::new(1);
    }
    day.to_string()
}

async fn first_provider(server: &Server, token: &str) -> String {
    let reply = server.api(Method::GET, "/api/v1/providers", Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["items"][0]["id"].as_str().expect("provider id").to_string()
}

async fn open_slots(server: &Server, token: &str, provider: &str, day: &str) -> Vec<Value> {
    let path = format!("/api/v1/providers/{provider}/open-slots?from={day}&to={day}&duration_minutes=20");
    let reply = server.api(Method::GET, &path, Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let doc = reply.json();
    assert_eq!(doc["next"], Value::Null, "{doc}");
    doc["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn a_booking_answers_201_the_same_slot_again_409_and_the_time_leaves_the_open_slots() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body("Quillfeather", "Ada")).await;
    let patient_id = patient["id"].as_str().expect("patient id").to_string();
    let provider = first_provider(&server, &token).await;
    let day = next_working_day();

    let before = open_slots(&server, &token, &provider, &day).await;
    assert!(!before.is_empty(), "no open slots on {day}");
    let start = before[0]["start"].as_str().expect("start").to_string();
    assert_eq!(start, format!("{day}T08:00:00{}", &start[19..]), "the day starts at 08:00 local: {start}");
    assert!(start.ends_with("-04:00") || start.ends_with("-05:00"), "New York offset: {start}");

    let body = json!({"patient_id": patient_id, "provider_id": provider, "start": start});
    let created = server.api(Method::POST, "/api/v1/appointments", Some(&token), Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let a = created.json();
    let id = a["id"].as_str().expect("id is a string").to_string();
    assert_eq!(a["patient_id"], patient_id.as_str());
    assert_eq!(a["provider_id"], provider.as_str());
    assert_eq!(a["start"], start.as_str());
    assert_eq!(a["end"], before[0]["end"], "an office visit lasts 20 minutes");
    assert_eq!(a["status"], "scheduled");
    assert!(a["appointment_type"].as_str().is_some_and(|t| !t.is_empty()), "{a}");
    assert_eq!(a["appointment_type_name"], "Office visit");

    // The same time again, for another patient and by type name: a problem document, 409.
    let mut other_body = patient_body("Underhill", "Bea");
    other_body["confirm_new"] = json!(true);
    let other = register(&server, &token, &other_body).await;
    let again = json!({"patient_id": other["id"], "provider_id": provider, "start": start, "appointment_type": "Office visit"});
    let refused = server.api(Method::POST, "/api/v1/appointments", Some(&token), Some(&again)).await;
    let doc = refused.problem(409);
    assert!(doc["detail"].as_str().unwrap_or("").contains("taken"), "{doc}");

    let listed = server.api(Method::GET, &format!("/api/v1/appointments?provider_id={provider}&date={day}"), Some(&token), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
    let list = listed.json();
    assert_eq!(list["next"], Value::Null);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["start"], start.as_str());

    let after = open_slots(&server, &token, &provider, &day).await;
    assert!(after.iter().all(|s| s["start"] != start.as_str()), "the booked time is still offered");
    let (taken_start, taken_end) = (start.as_str(), a["end"].as_str().unwrap_or(""));
    for slot in &after {
        let (s, e) = (slot["start"].as_str().unwrap_or(""), slot["end"].as_str().unwrap_or(""));
        assert!(e <= taken_start || s >= taken_end, "{slot} overlaps the booked {taken_start}-{taken_end}");
    }

    // Cancelling frees the time again.
    let cancel = json!({"event": "cancel", "reason": "Patient is travelling", "by": "patient"});
    let cancelled = server.api(Method::POST, &format!("/api/v1/appointments/{id}/status"), Some(&token), Some(&cancel)).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());
    assert_eq!(cancelled.json()["status"], "cancelled");
    let confirm =
        server.api(Method::POST, &format!("/api/v1/appointments/{id}/status"), Some(&token), Some(&json!({"event": "confirm"}))).await;
    confirm.problem(409);
    let rebooked = server.api(Method::POST, "/api/v1/appointments", Some(&token), Some(&again)).await;
    assert_eq!(rebooked.status, StatusCode::CREATED, "{}", rebooked.text());
}

#[tokio::test]
async fn bad_appointment_input_answers_422_with_the_fields_never_a_5xx() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let provider = first_provider(&server, &token).await;
    let day = next_working_day();
    let patient = register(&server, &token, &patient_body("Quillfeather", "Ada")).await;
    let cases = [
        (json!({}), vec!["patient_id", "provider_id", "start"]),
        (json!({"patient_id": patient["id"], "provider_id": provider, "start": "next tuesday"}), vec!["start"]),
        (json!({"patient_id": patient["id"], "provider_id": provider, "start": format!("{day}T03:00")}), vec!["start"]),
        (
            json!({"patient_id": patient["id"], "provider_id": provider, "start": format!("{day}T09:00"), "appointment_type": "Massage"}),
            vec!["appointment_type"],
        ),
        (
            json!({"patient_id": "no-such-patient", "provider_id": "no-such-provider", "start": format!("{day}T09:00")}),
            vec!["patient_id", "provider_id"],
        ),
        (
            json!({"patient_id": patient["id"], "provider_id": provider, "start": format!("{day}T09:00"), "end": format!("{day}T08:00")}),
            vec!["end"],
        ),
        (json!({"patient_id": 42, "provider_id": provider, "start": format!("{day}T09:00")}), vec!["patient_id"]),
    ];
    for (body, fields) in cases {
        let reply = server.api(Method::POST, "/api/v1/appointments", Some(&token), Some(&body)).await;
        let doc = reply.problem(422);
        let mut got = error_fields(&doc);
        got.sort();
        let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{body}: {doc}");
    }
    for path in [
        "/api/v1/appointments?date=31/02/2026".to_string(),
        format!("/api/v1/providers/{provider}/open-slots?from=2020-01-01"),
        format!("/api/v1/providers/{provider}/open-slots?from={day}&duration_minutes=abc"),
        format!("/api/v1/providers/{provider}/open-slots?from={day}&to=2099-01-01"),
    ] {
        let reply = server.api(Method::GET, &path, Some(&token), None).await;
        reply.problem(422);
    }
    server.api(Method::GET, "/api/v1/providers/no-such-provider/open-slots", Some(&token), None).await.problem(404);
    let status = server.api(Method::POST, "/api/v1/appointments/no-such-id/status", Some(&token), Some(&json!({"event": "warp"}))).await;
    assert_eq!(error_fields(&status.problem(422)), ["event"]);
    server.api(Method::POST, "/api/v1/appointments/no-such-id/status", Some(&token), Some(&json!({"event": "confirm"}))).await.problem(404);
    let bookkeeper = server.token("bookkeeper").await;
    let body = json!({"patient_id": patient["id"], "provider_id": provider, "start": format!("{day}T09:00")});
    server.api(Method::POST, "/api/v1/appointments", Some(&bookkeeper), Some(&body)).await.problem(403);
}
