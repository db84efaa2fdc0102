//! The reminder pages over the demo practice: the SMTP settings under Admin, the reminder rules,
//! the reminders page (a failed e-mail is listed with its error and can be retried), and the call
//! list (recording an answer confirms the appointment; bad input is answered next to the field).
//! The mail server is a closed port on 127.0.0.1: every e-mail fails, visibly.

use crate::harness::{Server, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, Utc, Weekday};
use medoffice_app::Actor;

/// A weekday at least two days ahead (so it is in the future in New York too), as `YYYY-MM-DD`.
fn next_working_day() -> String {
    let mut day = Utc::now().date_naive() + Days::new(2);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day + Days::new(1);
    }
    day.to_string()
}

/// A port on 127.0.0.1 where nothing listens.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    port
}

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

/// Books `patient_id` with the first provider at `time` on `day` through the API; the appointment's id.
async fn book(server: &Server, token: &str, patient_id: &str, day: &str, time: &str) -> String {
    let providers = server.api(Method::GET, "/api/v1/providers", Some(token), None).await.json();
    let provider_id = providers["items"][0]["id"].as_str().expect("a provider").to_string();
    let body = serde_json::json!({"patient_id": patient_id, "provider_id": provider_id, "start": format!("{day}T{time}")});
    let reply = server.api(Method::POST, "/api/v1/appointments", Some(token), Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn the_admin_sets_up_smtp_and_rules_with_messages_next_to_bad_fields() {
    let server = spawn().await;
    let admin = server.login("admin").await;

    let page = server.get(&admin, "/admin/smtp").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Not set up yet"));
    assert!(server.get(&admin, "/admin").await.text().contains("href=\"/admin/smtp\""), "Admin links to the e-mail settings");

    let bad =
        [("host", "smtp.example.com"), ("security", "starttls"), ("port", ""), ("from_address", "office at example"), ("from_name", "")];
    let reply = server.post_form(&admin, "/admin/smtp", &bad).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("id=\"e-from_address\""), "the message is next to the field: {html}");
    assert!(html.contains("value=\"smtp.example.com\""), "what was typed is kept");

    let port = closed_port().await.to_string();
    let good = [
        ("host", "127.0.0.1"),
        ("security", "none"),
        ("port", port.as_str()),
        ("from_address", "office@riverside.example"),
        ("from_name", ""),
        ("username", "office"),
        ("password", "relay-password-9"),
    ];
    let reply = server.post_form(&admin, "/admin/smtp", &good).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("settings were saved"), "{html}");
    assert!(!html.contains("relay-password-9"), "the password is never shown");
    assert!(html.contains("A password is saved"));

    // The test e-mail fails (nothing listens) and says so.
    let reply = server.post_form(&admin, "/admin/smtp/test", &[("to", "manager@riverside.example")]).await;
    let html = reply.text();
    assert!(html.contains("The test e-mail was not sent") && html.contains("127.0.0.1"), "{html}");
    let reply = server.post_form(&admin, "/admin/smtp/test", &[("to", "nobody")]).await;
    assert!(reply.text().contains("id=\"e-to\""), "{}", reply.text());

    // Rules: a bad number is answered next to its field; a good one is saved.
    let rules = server.app.reminder_rules(&actor(&server, "admin").await).await.expect("rules");
    let visit = rules.iter().find(|r| r.name == "Office visit").expect("Office visit").appointment_type_id.clone();
    let reply = server.post_form(&admin, "/schedule/reminders/rules", &[("appointment_type_id", &visit), ("days_before", "45")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains(&format!("id=\"e-days-{visit}\"")), "{}", reply.text());
    let reply = server.post_form(&admin, "/schedule/reminders/rules", &[("appointment_type_id", &visit), ("days_before", "7, 2")]).await;
    assert!(reply.text().contains("Office visit: 7 days before and 2 days before."), "{}", reply.text());

    // The front desk may not change the mail server.
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/admin/smtp").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.post_form(&desk, "/admin/smtp", &good).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn failed_emails_are_listed_and_the_call_list_records_answers() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let mut by_email = patient_body("Quillfeather", "Ada");
    by_email["preferred_contact"] = serde_json::json!("email");
    let by_email = register(&server, &token, &by_email).await["id"].as_str().expect("id").to_string();
    let mut by_phone = patient_body("Marsh", "Bernard");
    by_phone.as_object_mut().expect("object").remove("email");
    by_phone["phone"] = serde_json::json!("(555) 201-7788");
    by_phone["birth_date"] = serde_json::json!("1971-02-03");
    let by_phone = register(&server, &token, &by_phone).await["id"].as_str().expect("id").to_string();
    let day = next_working_day();
    book(&server, &token, &by_email, &day, "09:00").await;
    let phone_appointment = book(&server, &token, &by_phone, &day, "09:20").await;

    let admin = actor(&server, "admin").await;
    let port = closed_port().await.to_string();
    let smtp = medoffice_app::reminders::SmtpInput {
        host: "127.0.0.1".into(),
        port,
        security: "none".into(),
        from_address: "office@riverside.example".into(),
        ..Default::default()
    };
    server.app.save_smtp_settings(&admin, &smtp).await.expect("smtp");
    for rule in server.app.reminder_rules(&admin).await.expect("rules") {
        server.app.save_reminder_rules(&admin, &rule.appointment_type_id, "7").await.expect("rule");
    }

    let desk = server.login("frontdesk").await;
    let page = server.get(&desk, "/schedule/reminders").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Send due reminders"));

    // A date out of range: the message next to the date field.
    let reply = server.post_form(&desk, "/schedule/reminders/send", &[("date", "2001-01-01")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("id=\"e-date\""), "{}", reply.text());

    // The run: the e-mail fails (nothing listens) and is listed as failed, prominently.
    let reply = server.post_form(&desk, "/schedule/reminders/send", &[("date", "")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("id=\"problem\"") && html.contains("failed"), "the run's failure is announced: {html}");
    assert!(html.contains("id=\"failed\""), "the failures section: {html}");
    assert!(html.contains("ada@example.com") && html.contains("Quillfeather, Ada"), "{html}");
    assert!(html.contains("127.0.0.1"), "the error is shown: {html}");

    // Retrying by hand fails again and says so; the failure stays listed.
    let desk_actor = actor(&server, "frontdesk").await;
    let failed = server.app.reminders_for_date(&desk_actor, "").await.expect("day").failed;
    let mine = failed.iter().find(|r| r.patient_id == by_email).expect("the failed reminder");
    let reply = server.post_form(&desk, &format!("/schedule/reminders/{}/retry", mine.id), &[("date", "")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(reply.location().contains("notice=retry_failed"), "{}", reply.location());
    let html = server.get(&desk, reply.location()).await.text();
    assert!(html.contains("could not be sent again") && html.contains(&format!("id=\"failed-{}\"", mine.id)), "{html}");

    // The call list has the phone patient with the number.
    let calls = server.get(&desk, "/schedule/calls").await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.text());
    let html = calls.text();
    assert!(html.contains("Marsh, Bernard") && html.contains("(555) 201-7788"), "{html}");
    let call = server.app.call_list(&desk_actor, "").await.expect("calls").into_iter().find(|c| c.patient_id == by_phone).expect("listed");

    // Cancelling without a reason: the message next to the note of that row.
    let path = format!("/schedule/reminders/{}/reply", call.id);
    let reply = server.post_form(&desk, &path, &[("reply", "cancel_requested"), ("note", ""), ("back", "calls"), ("date", "")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.text().contains(&format!("id=\"e-note-{}\"", call.id)), "{}", reply.text());

    // "Confirmed": recorded, and the appointment is confirmed.
    let reply =
        server.post_form(&desk, &path, &[("reply", "confirmed"), ("note", "Spoke to the patient"), ("back", "calls"), ("date", "")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let html = server.get(&desk, reply.location()).await.text();
    assert!(html.contains("The outcome of the call was recorded.") && html.contains("<strong>Confirmed</strong>"), "{html}");
    let listed = server.api(Method::GET, &format!("/api/v1/appointments?date={day}"), Some(&token), None).await.json();
    let appointment = listed["items"].as_array().expect("items").iter().find(|a| a["id"] == phone_appointment.as_str()).expect("listed");
    assert_eq!(appointment["status"], "confirmed");

    // The bookkeeper sees none of it.
    let bookkeeper = server.login("bookkeeper").await;
    assert_eq!(server.get(&bookkeeper, "/schedule/reminders").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&bookkeeper, "/schedule/calls").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.post_form(&bookkeeper, "/schedule/reminders/send", &[("date", "")]).await.status, StatusCode::FORBIDDEN);
}
