//! The schedule set-up pages under `/admin/schedule` and their API (`/api/v1/appointment-types`,
//! `/api/v1/locations`, `/api/v1/providers/{id}/template`, `/api/v1/holidays`), over the demo
//! practice: one location "Main office", every provider working Monday to Friday 08:00-12:00 and
//! 13:00-17:00, a week of appointments booked from now on.

use crate::harness::{Server, error_fields, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, Utc, Weekday};
use serde_json::{Value, json};

/// The first provider's id, as the API lists providers.
async fn first_provider(server: &Server, token: &str) -> String {
    let reply = server.api(Method::GET, "/api/v1/providers", Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["items"][0]["id"].as_str().expect("a provider").to_string()
}

/// The practice's only location's id.
async fn main_office(server: &Server, token: &str) -> String {
    let reply = server.api(Method::GET, "/api/v1/locations", Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["items"][0]["id"].as_str().expect("a location").to_string()
}

/// The template as the API answers it.
async fn template(server: &Server, token: &str, provider: &str) -> Value {
    let reply = server.api(Method::GET, &format!("/api/v1/providers/{provider}/template"), Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// A `weekday` at least `days` ahead, as `YYYY-MM-DD`.
fn weekday_ahead(weekday: Weekday, days: u64) -> String {
    let mut day = Utc::now().date_naive() + Days::new(days);
    while day.weekday() != weekday {
        day = day + Days::new(1);
    }
    day.to_string()
}

/// The text of the element with `id`, up to its closing tag (enough to check a field's message).
fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open_end = html[start..].find('>')? + start + 1;
    let close = html[open_end..].find("</")? + open_end;
    Some(html[open_end..close].to_string())
}

#[tokio::test]
async fn the_set_up_is_linked_from_admin_and_refused_to_other_roles() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let page = server.get(&admin, "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("href=\"/admin/schedule\""), "the admin page links to the set-up");

    let hub = server.get(&admin, "/admin/schedule").await;
    assert_eq!(hub.status, StatusCode::OK, "{}", hub.text());
    let html = hub.text();
    for href in ["/admin/schedule/providers", "/admin/schedule/locations", "/admin/schedule/types", "/admin/schedule/holidays"] {
        assert!(html.contains(&format!("href=\"{href}\"")), "the hub links to {href}");
    }
    let token = server.token("admin").await;
    let provider = first_provider(&server, &token).await;
    assert!(html.contains(&format!("href=\"/admin/schedule/providers/{provider}/template\"")), "a template link per provider");
    assert!(!html.contains("style="), "no inline style under the CSP");

    let desk = server.login("frontdesk").await;
    let template_path = format!("/admin/schedule/providers/{provider}/template");
    for path in ["/admin/schedule", "/admin/schedule/providers", template_path.as_str(), "/admin/schedule/holidays"] {
        assert_eq!(server.get(&desk, path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let refused = server.post_form(&desk, "/admin/schedule/holidays", &[("date", "2030-12-25"), ("name", "Christmas")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let holidays = server.api(Method::GET, "/api/v1/holidays?year=2030", Some(&token), None).await;
    assert_eq!(holidays.json()["items"].as_array().map(Vec::len), Some(0), "the refused form changed nothing");
}

#[tokio::test]
async fn a_bad_npi_is_shown_next_to_its_field_and_a_new_provider_joins_the_list() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let form = |npi: &'static str| {
        vec![
            ("given_name", "Ngozi"),
            ("family_name", "Okafor"),
            ("credentials", "MD"),
            ("specialty", "Pediatrics"),
            ("npi", npi),
            ("colour", "#0e7490"),
        ]
    };
    let refused = server.post_form(&admin, "/admin/schedule/providers", &form("1234567890")).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text());
    let html = refused.text();
    let message = element_text(&html, "e-npi").unwrap_or_else(|| panic!("no message by the NPI field: {html}"));
    assert!(message.contains("check digit"), "{message}");
    assert!(html.contains("value=\"Okafor\""), "the form keeps what was typed");
    assert!(!html.contains(">Ngozi Okafor, MD<"), "not added");

    let added = server.post_form(&admin, "/admin/schedule/providers", &form("1234567893")).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    assert_eq!(added.location(), "/admin/schedule/providers?notice=provider-added");
    let list = server.get(&admin, added.location()).await;
    let html = list.text();
    assert!(html.contains("Provider added."), "notice");
    assert!(html.contains("<td>Ngozi Okafor, MD</td>") && html.contains("1234567893"), "the new provider is listed: {html}");
    assert!(html.contains("fill=\"#0e7490\""), "the colour as a swatch");

    // The same NPI again: the message names the provider who has it, next to the field.
    let twice = server.post_form(&admin, "/admin/schedule/providers", &form("1234567893")).await;
    let message = element_text(&twice.text(), "e-npi").expect("a message by the NPI field");
    assert!(message.contains("Ngozi Okafor already has this NPI"), "{message}");
}

#[tokio::test]
async fn the_template_page_refuses_an_overlap_next_to_the_start_adds_and_removes_entries_and_warns_of_stranded_appointments() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let token = server.token("admin").await;
    let provider = first_provider(&server, &token).await;
    let location = main_office(&server, &token).await;
    let path = format!("/admin/schedule/providers/{provider}/template");

    let page = server.get(&admin, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("At Main office") && html.contains("08:00–12:00") && html.contains("13:00–17:00"), "the week: {html}");
    assert!(html.contains("never moves or cancels booked appointments"), "the page says so");
    assert!(!html.contains("style="), "no inline style under the CSP");

    // Monday 11:00-14:00 overlaps the morning: the message by the start field, nothing added.
    let overlap = [("weekday", "monday"), ("start", "11:00"), ("end", "14:00"), ("location_id", location.as_str()), ("kind", "working")];
    let refused = server.post_form(&admin, &path, &overlap).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text());
    let message = element_text(&refused.text(), "e-start").unwrap_or_else(|| panic!("no message by start: {}", refused.text()));
    assert_eq!(message, "overlaps the working hours of Monday at Main office (08:00–12:00)");
    assert_eq!(template(&server, &token, &provider).await["entries"].as_array().map(Vec::len), Some(10));

    // A Saturday clinic: added, shown in the week, nobody stranded.
    let saturday = [
        ("weekday", "saturday"),
        ("start", "09:00"),
        ("end", "12:00"),
        ("location_id", location.as_str()),
        ("kind", "working"),
        ("allow_overbook", "1"),
    ];
    let added = server.post_form(&admin, &path, &saturday).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    let html = added.text();
    assert!(html.contains("Template entry added."), "notice");
    assert!(html.contains("09:00–12:00") && html.contains("Any type · overbooking allowed"), "{html}");
    assert!(html.contains("No booked appointment falls outside the new hours."));
    let entries = template(&server, &token, &provider).await["entries"].as_array().cloned().unwrap_or_default();
    let saturday_id =
        entries.iter().find(|e| e["weekday"] == "saturday").and_then(|e| e["id"].as_str()).expect("the Saturday entry").to_string();

    let removed = server.post_form(&admin, &format!("{path}/{saturday_id}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text());
    assert!(removed.text().contains("Template entry removed."));
    assert!(!removed.text().contains(&format!("entry-{saturday_id}")), "the entry is gone from the week");

    // An appointment on a Tuesday morning beyond the demo's week; taking Tuesday mornings away
    // keeps it and lists it.
    let desk_token = server.token("frontdesk").await;
    let patient = register(&server, &desk_token, &patient_body("Quillfeather", "Ada")).await;
    let day = weekday_ahead(Weekday::Tue, 10);
    let booking = json!({"patient_id": patient["id"], "provider_id": provider, "start": format!("{day}T09:00")});
    let booked = server.api(Method::POST, "/api/v1/appointments", Some(&desk_token), Some(&booking)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text());
    let appointment_id = booked.json()["id"].as_str().expect("id").to_string();
    let tuesday_morning = entries
        .iter()
        .find(|e| e["weekday"] == "tuesday" && e["start"] == "08:00")
        .and_then(|e| e["id"].as_str())
        .expect("Tuesday morning")
        .to_string();
    let stranded = server.post_form(&admin, &format!("{path}/{tuesday_morning}/remove"), &[]).await;
    assert_eq!(stranded.status, StatusCode::OK, "{}", stranded.text());
    let html = stranded.text();
    assert!(html.contains("now outside the hours") && html.contains("<strong>not</strong> moved or cancelled"), "{html}");
    assert!(
        html.contains(&format!("href=\"/schedule?date={day}#appointment-{appointment_id}\"")),
        "the stranded appointment is listed: {html}"
    );
    let still = server.api(Method::GET, &format!("/api/v1/appointments?provider_id={provider}&date={day}"), Some(&desk_token), None).await;
    let kept = still.json()["items"].as_array().and_then(|a| a.iter().find(|x| x["id"] == appointment_id.as_str()).cloned());
    assert_eq!(
        kept.map(|a| (a["status"].clone(), a["start"].clone())),
        Some((json!("scheduled"), booked.json()["start"].clone())),
        "{}",
        still.text()
    );
}

#[tokio::test]
async fn an_exception_is_added_with_field_errors_next_to_its_fields_and_removed() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let token = server.token("admin").await;
    let provider = first_provider(&server, &token).await;
    let location = main_office(&server, &token).await;
    let path = format!("/admin/schedule/providers/{provider}/exceptions");
    let day = weekday_ahead(Weekday::Wed, 20);

    // Only these hours, but the end is before the start.
    let bad = [
        ("date", day.as_str()),
        ("kind", "replace_hours"),
        ("location_id", location.as_str()),
        ("hours[0].start", "13:00"),
        ("hours[0].end", "12:00"),
    ];
    let refused = server.post_form(&admin, &path, &bad).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text());
    let message = element_text(&refused.text(), "x-e-hours[0].end").unwrap_or_else(|| panic!("{}", refused.text()));
    assert!(message.contains("the end must be after the start"), "{message}");

    let half_day = [
        ("date", day.as_str()),
        ("kind", "replace_hours"),
        ("location_id", location.as_str()),
        ("hours[0].start", "08:00"),
        ("hours[0].end", "12:00"),
        ("note", "Half day"),
    ];
    let added = server.post_form(&admin, &path, &half_day).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    let html = added.text();
    assert!(html.contains(&format!("Exception added for {day}.")), "{html}");
    assert!(html.contains("Only 08:00–12:00 at Main office") && html.contains("Half day"), "listed: {html}");
    let slots = server
        .api(Method::GET, &format!("/api/v1/providers/{provider}/open-slots?from={day}&to={day}&duration_minutes=30"), Some(&token), None)
        .await;
    let items = slots.json()["items"].as_array().cloned().unwrap_or_default();
    assert!(
        !items.is_empty() && items.iter().all(|s| s["start"].as_str().is_some_and(|t| t < format!("{day}T12:00").as_str())),
        "{items:?}"
    );

    // A closed day on the same date is refused on the date.
    let closed = [("date", day.as_str()), ("kind", "closed"), ("location_id", location.as_str())];
    let twice = server.post_form(&admin, &path, &closed).await;
    let message = element_text(&twice.text(), "x-e-date").expect("a message by the date");
    assert!(message.contains("already has an exception"), "{message}");

    let id_marker = format!("{path}/");
    let start = html.find(&id_marker).expect("a remove form") + id_marker.len();
    let exception_id = html[start..].split('/').next().expect("id").to_string();
    let removed = server.post_form(&admin, &format!("{path}/{exception_id}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text());
    assert!(removed.text().contains("the weekly template applies again"));
    assert!(removed.text().contains("No exceptions from today on"), "{}", removed.text());
}

#[tokio::test]
async fn locations_rooms_types_and_holidays_are_managed_through_their_pages() {
    let server = spawn().await;
    let admin = server.login("admin").await;

    // A location with a bad ZIP: the message by the field; then a good one.
    let bad = [
        ("name", "North clinic"),
        ("address.line1", "9 Route 9"),
        ("address.city", "Latham"),
        ("address.state", "NY"),
        ("address.postal_code", "1211"),
    ];
    let refused = server.post_form(&admin, "/admin/schedule/locations", &bad).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(element_text(&refused.text(), "e-address.postal_code").is_some_and(|m| m.contains("not a ZIP code")), "{}", refused.text());
    let good = [
        ("name", "North clinic"),
        ("phone", "518-555-0142"),
        ("address.line1", "9 Route 9"),
        ("address.city", "Latham"),
        ("address.state", "NY"),
        ("address.postal_code", "12110"),
    ];
    let added = server.post_form(&admin, "/admin/schedule/locations", &good).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let location_page = added.location().split('?').next().unwrap_or("").to_string();
    let list = server.get(&admin, "/admin/schedule/locations").await.text();
    assert!(
        list.contains("<td>North clinic</td>") && list.contains("9 Route 9, Latham, NY 12110") && list.contains("(518) 555-0142"),
        "{list}"
    );

    // Rooms: added, a duplicate refused next to the field, deactivated.
    let room = server.post_form(&admin, &format!("{location_page}/rooms"), &[("name", "Exam 1")]).await;
    assert_eq!(room.status, StatusCode::SEE_OTHER, "{}", room.text());
    let html = server.get(&admin, room.location()).await.text();
    assert!(html.contains("Room added.") && html.contains("value=\"Exam 1\"") && html.contains("tag ok\">active"), "{html}");
    let twice = server.post_form(&admin, &format!("{location_page}/rooms"), &[("name", "exam 1")]).await;
    assert!(element_text(&twice.text(), "e-room-name").is_some_and(|m| m.contains("already has a room named")), "{}", twice.text());
    let marker = "/admin/schedule/rooms/";
    let start = html.find(marker).expect("a room form") + marker.len();
    let room_id = html[start..].split('/').next().expect("id").to_string();
    let renamed = server.post_form(&admin, &format!("/admin/schedule/rooms/{room_id}/rename"), &[("name", "Exam A")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.text());
    assert!(server.get(&admin, renamed.location()).await.text().contains("value=\"Exam A\""));
    let off = server.post_form(&admin, &format!("/admin/schedule/rooms/{room_id}/deactivate"), &[]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert!(server.get(&admin, off.location()).await.text().contains("<span class=\"tag\">deactivated</span>"));

    // An appointment type without providers: the message by the providers; then with one.
    let token = server.token("admin").await;
    let provider = first_provider(&server, &token).await;
    let no_one = [("name", "Telehealth check-in"), ("duration_minutes", "15"), ("patient_kind", "established"), ("colour", "#7c3aed")];
    let refused = server.post_form(&admin, "/admin/schedule/types", &no_one).await;
    assert!(element_text(&refused.text(), "e-provider_ids").is_some_and(|m| m.contains("at least one provider")), "{}", refused.text());
    let mut with = no_one.to_vec();
    with.push(("provider_ids", provider.as_str()));
    let added = server.post_form(&admin, "/admin/schedule/types", &with).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let html = server.get(&admin, added.location()).await.text();
    assert!(html.contains("<td>Telehealth check-in</td>") && html.contains("<td>15 min</td>"), "{html}");

    // Holidays: one far ahead is listed in its year, then removed.
    let holiday = server.post_form(&admin, "/admin/schedule/holidays", &[("date", "2031-12-25"), ("name", "Christmas Day")]).await;
    assert_eq!(holiday.status, StatusCode::OK, "{}", holiday.text());
    let html = holiday.text();
    assert!(
        html.contains("Holidays 2031")
            && html.contains("<td>Christmas Day</td>")
            && html.contains("No appointment was booked on that day."),
        "{html}"
    );
    let again = server.post_form(&admin, "/admin/schedule/holidays", &[("date", "2031-12-25"), ("name", "Christmas")]).await;
    assert!(element_text(&again.text(), "e-date").is_some_and(|m| m.contains("already a holiday")), "{}", again.text());
    let removed = server.post_form(&admin, "/admin/schedule/holidays/2031-12-25/remove", &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(removed.location(), "/admin/schedule/holidays?year=2031&notice=holiday-removed");
    assert!(server.get(&admin, removed.location()).await.text().contains("No holidays in 2031."));
}

#[tokio::test]
async fn the_set_up_api_lists_types_locations_templates_and_holidays_and_admins_add_to_them() {
    let server = spawn().await;
    let desk = server.token("frontdesk").await;
    let admin = server.token("admin").await;
    let provider = first_provider(&server, &desk).await;

    let types = server.api(Method::GET, "/api/v1/appointment-types", Some(&desk), None).await;
    assert_eq!(types.status, StatusCode::OK, "{}", types.text());
    let items = types.json()["items"].as_array().cloned().unwrap_or_default();
    let visit = items.iter().find(|t| t["name"] == "Office visit").unwrap_or_else(|| panic!("{items:?}"));
    assert_eq!((visit["duration_minutes"].as_i64(), visit["patient_kind"].as_str()), (Some(20), Some("established")));
    assert!(visit["colour"].as_str().is_some_and(|c| c.starts_with('#') && c.len() == 7));
    assert!(visit["provider_ids"].as_array().is_some_and(|p| p.iter().any(|id| *id == provider.as_str())));

    let locations = server.api(Method::GET, "/api/v1/locations", Some(&desk), None).await.json();
    assert_eq!(locations["items"][0]["name"], "Main office");
    assert_eq!(locations["next"], Value::Null);
    let body = json!({"name": "North clinic", "phone": "518 555 0142", "address": {"line1": "9 Route 9", "city": "Latham", "state": "NY", "postal_code": "12110"}});
    let created = server.api(Method::POST, "/api/v1/locations", Some(&admin), Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["address"]["city"], "Latham");
    created_is_listed(&server, &desk).await;
    server.api(Method::POST, "/api/v1/locations", Some(&desk), Some(&body)).await.problem(403);
    let bad = server.api(Method::POST, "/api/v1/locations", Some(&admin), Some(&json!({"name": "", "address": {"line1": "x"}}))).await;
    assert_eq!(error_fields(&bad.problem(422)), ["name", "address.city", "address.state", "address.postal_code"]);

    let week = template(&server, &desk, &provider).await;
    let entries = week["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 10, "{week}");
    assert_eq!(
        (entries[0]["weekday"].as_str(), entries[0]["start"].as_str(), entries[0]["end"].as_str()),
        (Some("monday"), Some("08:00"), Some("12:00"))
    );
    assert_eq!(entries[0]["kind"], "working");
    assert_eq!(entries[0]["location_name"], "Main office");
    server.api(Method::GET, "/api/v1/providers/no-such-provider/template", Some(&desk), None).await.problem(404);
    let location = main_office(&server, &desk).await;
    let overlap = json!({"weekday": "friday", "start": "16:00", "end": "18:00", "kind": "working", "location_id": location});
    let refused = server.api(Method::POST, &format!("/api/v1/providers/{provider}/template"), Some(&admin), Some(&overlap)).await;
    assert_eq!(error_fields(&refused.problem(422)), ["start"]);
    let lunch = json!({"weekday": "friday", "start": "12:00", "end": "13:00", "kind": "block", "reason": "Lunch", "location_id": location});
    let added = server.api(Method::POST, &format!("/api/v1/providers/{provider}/template"), Some(&admin), Some(&lunch)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json()["template"]["entries"].as_array().map(Vec::len), Some(11));
    assert!(added.json()["outside_hours"].as_array().is_some_and(Vec::is_empty), "lunch was already free");

    let holiday =
        server.api(Method::POST, "/api/v1/holidays", Some(&admin), Some(&json!({"date": "2031-11-27", "name": "Thanksgiving"}))).await;
    assert_eq!(holiday.status, StatusCode::CREATED, "{}", holiday.text());
    let listed = server.api(Method::GET, "/api/v1/holidays?year=2031", Some(&desk), None).await.json();
    assert_eq!(listed["items"], json!([{"date": "2031-11-27", "name": "Thanksgiving"}]));
    assert_eq!(error_fields(&server.api(Method::GET, "/api/v1/holidays?year=soon", Some(&desk), None).await.problem(422)), ["year"]);

    let doc = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.json();
    for (path, method) in [
        ("/api/v1/appointment-types", "get"),
        ("/api/v1/appointment-types", "post"),
        ("/api/v1/locations", "get"),
        ("/api/v1/locations", "post"),
        ("/api/v1/providers/{id}/template", "get"),
        ("/api/v1/providers/{id}/template", "post"),
        ("/api/v1/holidays", "get"),
        ("/api/v1/holidays", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }
}

/// The location just created through the API is in the list the front desk reads.
async fn created_is_listed(server: &Server, token: &str) {
    let locations = server.api(Method::GET, "/api/v1/locations", Some(token), None).await.json();
    let names: Vec<&str> = locations["items"].as_array().map(|a| a.iter().filter_map(|l| l["name"].as_str()).collect()).unwrap_or_default();
    assert_eq!(names, ["Main office", "North clinic"]);
}
