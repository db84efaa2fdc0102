//! The waitlist (`/schedule/waitlist`) and recall (`/schedule/recalls`) pages over the demo
//! practice: lists, adding with a bad field (the message next to the field), booking a freed slot
//! from the waitlist, and a recall from creation to its printed letter.

use crate::harness::{Server, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, Utc, Weekday};
use serde_json::{Value, json};

/// A weekday at least two days ahead (in the future in New York too), as `YYYY-MM-DD`.
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
    reply.json()["items"][0]["id"].as_str().expect("a provider").to_string()
}

async fn patient(server: &Server, token: &str, family: &str, given: &str, birth_date: &str) -> String {
    let mut body = patient_body(family, given);
    body["birth_date"] = json!(birth_date);
    body["confirm_new"] = json!(true);
    register(server, token, &body).await["id"].as_str().expect("id").to_string()
}

/// The `action` of the first form whose action starts with `prefix`.
fn form_action(html: &str, prefix: &str) -> Option<String> {
    let marker = format!("action=\"{prefix}");
    let start = html.find(&marker)? + "action=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

#[tokio::test]
async fn adding_to_the_waitlist_finds_the_patient_shows_a_bad_field_next_to_it_and_lists_the_entry() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient_id = patient(&server, &token, "Quillfeather", "Ada", "1980-04-12").await;
    let browser = server.login("frontdesk").await;

    let empty = server.get(&browser, "/schedule/waitlist").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text());
    assert!(empty.text().contains("Nobody is waiting."), "{}", empty.text());
    assert!(empty.text().contains("href=\"/schedule/waitlist/new\""), "the desk may add");

    // Find the patient by name, then choose them.
    let found = server.get(&browser, "/schedule/waitlist/new?q=quillfeather").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let choose = format!("href=\"/schedule/waitlist/new?patient_id={patient_id}\"");
    assert!(found.text().contains(&choose), "a Choose link for the patient: {}", found.text());
    let by_birth = server.get(&browser, "/schedule/waitlist/new?q=04%2F12%2F1980").await;
    assert!(by_birth.text().contains(&choose), "found by date of birth too");
    let form = server.get(&browser, &format!("/schedule/waitlist/new?patient_id={patient_id}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("Quillfeather, Ada") && form.text().contains("action=\"/schedule/waitlist\""));

    // The last date before the first: the form again, the message next to "Until".
    let day = next_working_day();
    let fields = [
        ("patient_id", patient_id.as_str()),
        ("provider_id", ""),
        ("earliest_date", day.as_str()),
        ("latest_date", "2020-01-01"),
        ("part_of_day", "morning"),
    ];
    let bad = server.post_form(&browser, "/schedule/waitlist", &fields).await;
    assert_eq!(bad.status, StatusCode::OK, "{}", bad.text());
    let html = bad.text();
    assert!(html.contains("<p class=\"field-error\" id=\"e-latest_date\">the last date must be on or after the first date</p>"), "{html}");
    assert!(html.contains("aria-describedby=\"e-latest_date\""), "the field points at its message");
    assert!(html.contains(&format!("value=\"{day}\"")), "what was typed is kept");
    assert!(!html.contains("style="), "no inline style under the CSP");

    let good = [
        ("patient_id", patient_id.as_str()),
        ("earliest_date", day.as_str()),
        ("latest_date", day.as_str()),
        ("part_of_day", "morning"),
        ("note", "Any cancellation"),
    ];
    let added = server.post_form(&browser, "/schedule/waitlist", &good).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    assert_eq!(added.location(), "/schedule/waitlist?notice=added");
    let list = server.get(&browser, added.location()).await;
    let html = list.text();
    assert!(html.contains("Added to the waitlist."), "{html}");
    assert!(
        html.contains("Quillfeather, Ada")
            && html.contains("Any provider")
            && html.contains("mornings")
            && html.contains("Any cancellation")
    );
    assert!(html.contains("action=\"/schedule/waitlist/") && html.contains("/remove\""), "a Remove button");

    // A provider sees the list without the actions; the bookkeeper is refused.
    let doctor = server.login("doctor").await;
    let read_only = server.get(&doctor, "/schedule/waitlist").await;
    assert_eq!(read_only.status, StatusCode::OK);
    assert!(read_only.text().contains("Quillfeather, Ada") && !read_only.text().contains("/remove\""));
    let bookkeeper = server.login("bookkeeper").await;
    assert_eq!(server.get(&bookkeeper, "/schedule/waitlist").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cancelled_appointment_is_offered_on_the_waitlist_and_booked_from_there() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let provider_id = first_provider(&server, &token).await;
    let cancelling = patient(&server, &token, "Underhill", "Bea", "1975-05-05").await;
    let waiting = patient(&server, &token, "Quillfeather", "Ada", "1980-04-12").await;
    let day = next_working_day();
    let booked = server
        .api(
            Method::POST,
            "/api/v1/appointments",
            Some(&token),
            Some(&json!({"patient_id": cancelling, "provider_id": provider_id, "start": format!("{day}T10:00")})),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text());
    let appointment_id = booked.json()["id"].as_str().expect("id").to_string();

    let browser = server.login("frontdesk").await;
    let entry = [
        ("patient_id", waiting.as_str()),
        ("provider_id", provider_id.as_str()),
        ("earliest_date", day.as_str()),
        ("latest_date", day.as_str()),
        ("part_of_day", "any"),
    ];
    assert_eq!(server.post_form(&browser, "/schedule/waitlist", &entry).await.status, StatusCode::SEE_OTHER);

    let cancel = json!({"event": "cancel", "reason": "Car trouble", "by": "patient"});
    let cancelled = server.api(Method::POST, &format!("/api/v1/appointments/{appointment_id}/status"), Some(&token), Some(&cancel)).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());

    let page = server.get(&browser, "/schedule/waitlist").await;
    let html = page.text();
    assert!(html.contains("1 slot to offer"), "{html}");
    assert!(html.contains("10:00–10:20"), "the freed time: {html}");
    let book = form_action(&html, "/schedule/waitlist/offers/").expect("a Book this form");
    assert!(book.ends_with("/book"), "{book}");
    assert!(html.contains(">Book this<") && html.contains(">Decline<"));

    let done = server.post_form(&browser, &book, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(done.location(), format!("/schedule/waitlist?notice=booked&date={day}"));
    let after = server.get(&browser, done.location()).await;
    assert!(after.text().contains("Appointment booked from the waitlist."));
    assert!(after.text().contains(&format!("href=\"/schedule?date={day}\"")), "a link to the day");
    assert!(after.text().contains("Nobody is waiting."), "the entry is booked: {}", after.text());

    let listed = server.api(Method::GET, &format!("/api/v1/appointments?provider_id={provider_id}&date={day}"), Some(&token), None).await;
    let items: Vec<Value> = listed.json()["items"].as_array().expect("items").clone();
    let theirs: Vec<&Value> = items.iter().filter(|a| a["patient_id"] == json!(waiting)).collect();
    assert_eq!(theirs.len(), 1, "{items:?}");
    assert_eq!(theirs[0]["status"], json!("scheduled"));
    assert!(theirs[0]["start"].as_str().unwrap_or("").starts_with(&format!("{day}T10:00")));

    // Booking the same offer again: the page with the reason, 409.
    let again = server.post_form(&browser, &book, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert!(again.text().contains("this offer was already booked"), "{}", again.text());
}

#[tokio::test]
async fn a_recall_is_made_from_the_patients_context_listed_contacted_and_printed_as_a_letter() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let patient_id = patient(&server, &token, "Quillfeather", "Ada", "1980-04-12").await;
    let browser = server.login("frontdesk").await;

    let list = server.get(&browser, "/schedule/recalls").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    assert!(list.text().contains("No recalls here."));

    let form = server.get(&browser, &format!("/schedule/recalls/new?patient_id={patient_id}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("Quillfeather, Ada") && form.text().contains("value=\"6 months\""), "6 months is suggested");

    // A date and an interval at once: the message next to the interval.
    let both =
        [("patient_id", patient_id.as_str()), ("reason", "Diabetes follow-up"), ("interval", "6 months"), ("due_date", "2030-01-01")];
    let bad = server.post_form(&browser, "/schedule/recalls", &both).await;
    assert_eq!(bad.status, StatusCode::OK, "{}", bad.text());
    assert!(
        bad.text().contains("<p class=\"field-error\" id=\"e-interval\">give a due date or an interval, not both</p>"),
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("value=\"Diabetes follow-up\""), "what was typed is kept");

    let good = [("patient_id", patient_id.as_str()), ("reason", "Diabetes follow-up"), ("interval", "6 months"), ("from_date", "")];
    let made = server.post_form(&browser, "/schedule/recalls", &good).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let recall_path = made.location().split('?').next().unwrap_or("").to_string();
    assert!(recall_path.starts_with("/schedule/recalls/"), "{recall_path}");
    let page = server.get(&browser, made.location()).await;
    let html = page.text();
    assert!(html.contains("Recall saved.") && html.contains("Diabetes follow-up") && html.contains(">due<"), "{html}");
    assert!(html.contains(&format!("href=\"/schedule?patient_id={patient_id}\"")), "Book goes to the schedule with the patient");

    // A call without its outcome: the message next to the outcome; then with it.
    let contacts = format!("{recall_path}/contacts");
    let bad = server.post_form(&browser, &contacts, &[("method", "phone"), ("outcome", "")]).await;
    assert_eq!(bad.status, StatusCode::OK, "{}", bad.text());
    assert!(bad.text().contains("id=\"e-outcome\""), "{}", bad.text());
    let called =
        server.post_form(&browser, &contacts, &[("method", "phone"), ("outcome", "left_message"), ("note", "Call back Monday")]).await;
    assert_eq!(called.status, StatusCode::SEE_OTHER, "{}", called.text());
    let page = server.get(&browser, called.location()).await;
    assert!(page.text().contains("left a message") && page.text().contains("Call back Monday") && page.text().contains(">contacted<"));

    // In the list (contacted is still to do), then the letter.
    let list = server.get(&browser, "/schedule/recalls").await;
    assert!(list.text().contains("Quillfeather, Ada") && list.text().contains("Diabetes follow-up"), "{}", list.text());
    assert!(server.get(&browser, "/schedule/recalls?due=overdue").await.text().contains("No recalls here."));
    assert_eq!(server.get(&browser, "/schedule/recalls?due=someday").await.status, StatusCode::BAD_REQUEST);
    let letter = server.get(&browser, &format!("{recall_path}/letter")).await;
    assert_eq!(letter.status, StatusCode::OK, "{}", letter.text());
    let html = letter.text();
    assert!(html.contains("Riverside Family Medicine"), "the practice's name: {html}");
    assert!(html.contains("Ada Quillfeather") && html.contains("12 Elm St") && html.contains("Albany, NY 12207"), "the patient's address");
    assert!(html.contains("Diabetes follow-up") && html.contains("Please call us"), "{html}");
    assert!(html.contains("data-print"), "a print button");
    let sent = server.post_form(&browser, &contacts, &[("method", "letter"), ("back", "letter")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.location(), format!("{recall_path}/letter?notice=sent"));

    // Closing takes a reason, then the recall leaves the to-do list.
    let close = format!("{recall_path}/close");
    let bad = server.post_form(&browser, &close, &[("close_reason", "")]).await;
    assert!(bad.text().contains("id=\"e-close_reason\""), "{}", bad.text());
    let closed = server.post_form(&browser, &close, &[("close_reason", "Moved away")]).await;
    assert_eq!(closed.location(), "/schedule/recalls?notice=closed");
    assert!(server.get(&browser, closed.location()).await.text().contains("No recalls here."));
    assert!(server.get(&browser, "/schedule/recalls?status=closed").await.text().contains("Diabetes follow-up"));

    // The bookkeeper sees none of it; a provider reads and creates but does not record contacts.
    let bookkeeper = server.login("bookkeeper").await;
    assert_eq!(server.get(&bookkeeper, "/schedule/recalls").await.status, StatusCode::FORBIDDEN);
    let doctor = server.login("doctor").await;
    assert_eq!(server.get(&doctor, &format!("/schedule/recalls/new?patient_id={patient_id}")).await.status, StatusCode::OK);
    assert_eq!(server.post_form(&doctor, &contacts, &[("method", "letter")]).await.status, StatusCode::FORBIDDEN);
}
