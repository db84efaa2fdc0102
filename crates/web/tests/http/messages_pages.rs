//! The telephone message pages and API over the demo practice: the call pad with a bad field,
//! an urgent call showing its instruction, the inbox with its count in the navigation bar, the
//! thread and status buttons, the live triage answer, and `POST`/`GET /api/v1/messages`.

use crate::harness::{error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_urgent_call_on_the_call_pad_shows_the_instruction_and_reaches_the_doctors_inbox() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient_id = register(&server, &token, &patient_body("Quillfeather", "Ada")).await["id"].as_str().expect("id").to_string();
    let desk = server.login("frontdesk").await;

    let pad = server.get(&desk, &format!("/messages/new?patient_id={patient_id}")).await;
    assert_eq!(pad.status, StatusCode::OK, "{}", pad.text());
    assert!(pad.text().contains("Quillfeather, Ada"), "the chosen patient");
    assert!(pad.text().contains("data-triage=\"/messages/triage\""));
    let found = server.get(&desk, "/messages/patients?q=quillf").await;
    assert!(found.text().contains(&format!("/messages/new?patient_id={patient_id}")), "{}", found.text());

    // A bad number is named next to its field; nothing is written.
    let refused = server.post_form(&desk, "/messages/new", &[("patient_id", &patient_id), ("callback_phone", "12"), ("body", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert!(refused.text().contains("id=\"e-callback_phone\""), "{}", refused.text());
    assert!(refused.text().contains("id=\"e-body\""));

    // The live triage answer the call pad's script shows.
    let live = server.get(&desk, "/messages/triage?caller_kind=patient&text=my%20husband%20has%20chest%20pain").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["rule"], "chest_pain");
    assert!(live.json()["instruction"].as_str().unwrap_or("").contains("911"));
    let quiet = server.get(&desk, "/messages/triage?caller_kind=patient&text=no%20chest%20pain").await;
    assert_eq!(quiet.json()["urgency"], "routine");

    let taken = server
        .post_form(
            &desk,
            "/messages/new",
            &[
                ("patient_id", &patient_id),
                ("caller_kind", "patient"),
                ("callback_phone", "(518) 555-0142"),
                ("body", "Husband says chest pain since noon"),
                ("voicemail_ok", "on"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.text());
    let location = taken.location().to_string();
    assert!(location.starts_with("/messages/") && location.ends_with("?notice=taken"), "{location}");
    let page = server.get(&desk, &location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Do this now") && page.text().contains("dial 911"), "{}", page.text());
    assert!(page.text().contains("Nurse inbox"));

    // The doctor (a provider: the nurse inbox) sees it first, with a count in the navigation.
    let doctor = server.login("doctor").await;
    let inbox = server.get(&doctor, "/messages").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text());
    let text = inbox.text();
    assert!(text.contains("class=\"nav-badge urgent\""), "{text}");
    let first_row = text.find("message-row").expect("a message row");
    assert!(text[first_row..].starts_with("message-row urgent"), "urgent first");
    let id = location.trim_start_matches("/messages/").trim_end_matches("?notice=taken").to_string();
    let acked = server.post_form(&doctor, &format!("/messages/{id}/status"), &[("status", "acknowledged")]).await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER, "{}", acked.text());
    let replied =
        server.post_form(&doctor, &format!("/messages/{id}/reply"), &[("body", "Called back; sent to the ER."), ("status", "done")]).await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.text());
    let after = server.get(&doctor, &format!("/messages/{id}")).await.text();
    assert!(after.contains("Called back; sent to the ER.") && after.contains("status-done"), "{after}");
    let bad_reply = server.post_form(&doctor, &format!("/messages/{id}/reply"), &[("body", " ")]).await;
    assert_eq!(bad_reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    // On the chart.
    let chart = server.get(&doctor, &format!("/patients/{patient_id}")).await.text();
    assert!(chart.contains(&format!("/messages/{id}")), "the chart lists the message");
}

#[tokio::test]
async fn the_messages_api_triages_routes_and_lists_urgent_first() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let routine = server
        .api(Method::POST, "/api/v1/messages", Some(&token), Some(&json!({"caller_name": "Dana at Albany Pharmacy", "caller_kind": "pharmacy", "callback_phone": "518-555-0100", "body": "Question about a prior authorization"})))
        .await;
    assert_eq!(routine.status, StatusCode::CREATED, "{}", routine.text());
    let urgent = server
        .api(Method::POST, "/api/v1/messages", Some(&token), Some(&json!({"caller_name": "Sam Lee", "callback_phone": "518-555-0101", "body": "Trouble breathing after the new inhaler", "assigned_to": "doctor"})))
        .await;
    assert_eq!(urgent.status, StatusCode::CREATED, "{}", urgent.text());
    let u = urgent.json();
    for field in ["id", "patient_id", "caller_name", "callback_phone", "body", "urgency", "assigned_to", "status"] {
        assert!(u.get(field).is_some(), "{field} missing: {u}");
    }
    assert_eq!((u["urgency"].as_str(), u["assigned_to"].as_str(), u["status"].as_str()), (Some("urgent"), Some("doctor"), Some("new")));
    assert!(u["instruction"].as_str().unwrap_or("").contains("911"));

    let list = server.api(Method::GET, "/api/v1/messages", Some(&token), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let items = list.json()["items"].as_array().cloned().unwrap_or_default();
    let order: Vec<&str> = items.iter().filter_map(|m| m["urgency"].as_str()).collect();
    assert_eq!(order.first(), Some(&"urgent"), "urgent first: {order:?}");
    let mine = server.api(Method::GET, "/api/v1/messages?assigned_to=doctor&status=new", Some(&token), None).await.json();
    assert_eq!(mine["items"].as_array().map(|a| a.len()), Some(1));

    let bad = server.api(Method::POST, "/api/v1/messages", Some(&token), Some(&json!({"callback_phone": "12", "urgency": "soon"}))).await;
    assert_eq!(error_fields(&bad.problem(422)), vec!["callback_phone", "body", "urgency", "caller_name"]);
    let bad_filter = server.api(Method::GET, "/api/v1/messages?status=lost", Some(&token), None).await;
    assert_eq!(error_fields(&bad_filter.problem(422)), vec!["status"]);
    let bookkeeper = server.token("bookkeeper").await;
    assert_eq!(server.api(Method::GET, "/api/v1/messages", Some(&bookkeeper), None).await.status, StatusCode::FORBIDDEN);
    let docs = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.json();
    assert!(docs["paths"]["/api/v1/messages"]["post"].is_object() && docs["paths"]["/api/v1/messages"]["get"].is_object());
}

#[tokio::test]
async fn the_office_manager_edits_a_rule_and_the_desk_keeps_the_directory() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let rules = server.get(&admin, "/messages/rules").await;
    assert_eq!(rules.status, StatusCode::OK, "{}", rules.text());
    assert!(rules.text().contains("chest_pain") && rules.text().contains("Save version 2"));
    let saved = server
        .post_form(
            &admin,
            "/messages/rules",
            &[
                ("key", "chest_pain"),
                ("kind", "words"),
                ("name", "Chest pain"),
                ("terms", "chest pain\npalpitations"),
                ("instruction", "Tell the caller to hang up and dial 911 now."),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert!(server.get(&admin, "/messages/rules").await.text().contains("Save version 3"));
    let bad = server
        .post_form(
            &admin,
            "/messages/rules/settings",
            &[
                ("urgent_minutes", "0"),
                ("escalation_minutes", "30"),
                ("routine_business_days", "1"),
                ("close_time", "17:00"),
                ("workdays", "mon"),
                ("discharge_window_days", "7"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"e-urgent_minutes\""));
    assert_eq!(server.get(&admin, "/messages/late").await.status, StatusCode::OK);

    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/messages/rules").await.status, StatusCode::FORBIDDEN);
    let added = server
        .post_form(
            &desk,
            "/messages/directory",
            &[("name", "Capital Region Lab"), ("kind", "lab"), ("phone", "518-555-0199"), ("notes", "Results line")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let listed = server.get(&desk, "/messages/directory?q=capital").await.text();
    assert!(listed.contains("Capital Region Lab") && listed.contains("(518) 555-0199"), "{listed}");
    let refused = server.post_form(&desk, "/messages/directory", &[("name", ""), ("kind", "lab")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}
