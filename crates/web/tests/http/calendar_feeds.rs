//! Calendar feeds over HTTP: the office manager's page (`/admin/calendar-feeds`) and the feed a
//! calendar app fetches (`GET /calendar/{token}.ics`), read back with an independent iCalendar
//! parser (the `icalendar` crate), not with medoffice's own code.

use crate::harness::{Browser, Server, patient_body, register, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Days, Utc};
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, Event, EventLike, EventStatus};
use medoffice_app::Actor;
use medoffice_app::scheduling::{NewAppointment, OpenSlotsInput};
use medoffice_app::views::AppointmentView;

/// A family name with letters of two and three octets in UTF-8, so folding meets them.
const FAMILY: &str = "Ångström-Quillfeather";
const GIVEN: &str = "Zoë";
/// Notes with every character TEXT escapes, a line break and enough length to fold several times.
const NOTES: &str =
    "Knee pain, left; follow-up of the X-ray \\ MRI.\nBring the previous films — and the café receipt (€12) for the co-pay question.";

/// The first provider's id, and the front desk acting through the use cases.
async fn desk(server: &Server) -> (Actor, String) {
    let token = server.token("frontdesk").await;
    let actor = server.app.authenticate_token(&token, None).await.expect("front desk");
    let provider = server.app.list_providers(&actor).await.expect("providers").remove(0).id;
    (actor, provider)
}

/// Books the provider's next open time from two days on (so it is ahead in New York too), through
/// the booking use case.
async fn book_next_open(server: &Server, actor: &Actor, provider: &str, patient_id: &str, notes: &str) -> AppointmentView {
    let from = (Utc::now().date_naive() + Days::new(2)).to_string();
    let input = OpenSlotsInput { from, ..Default::default() };
    let slot = server.app.open_slots(actor, provider, &input).await.expect("open slots").into_iter().next().expect("an open slot");
    let booking = NewAppointment {
        patient_id: patient_id.into(),
        provider_id: provider.into(),
        start: slot.start,
        notes: notes.into(),
        ..Default::default()
    };
    server.app.book_appointment(actor, &booking).await.expect("booked")
}

/// Creates a feed on the page; returns the page and the feed's path (`/calendar/....ics`).
async fn create_feed(server: &Server, admin: &Browser, provider: &str, names: bool) -> (String, String) {
    let mut fields = vec![("provider_id", provider)];
    if names {
        fields.push(("include_patient_names", "1"));
    }
    let reply = server.post_form(admin, "/admin/calendar-feeds", &fields).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    let start =
        html.find("http://localhost:8080/calendar/").expect("the new feed's full address on the page") + "http://localhost:8080".len();
    let end = html[start..].find(".ics").expect("an .ics address") + start + ".ics".len();
    let path = html[start..end].to_string();
    assert!(html.contains(&format!("webcal://localhost:8080{path}")), "the webcal link");
    (html, path)
}

/// A GET as a calendar app sends it: no cookie, no session, maybe cross-site metadata.
async fn fetch(server: &Server, path: &str) -> crate::harness::Reply {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::USER_AGENT, "Calendar/1.0")
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .expect("request");
    server.send(request).await
}

fn events(calendar: &Calendar) -> Vec<&Event> {
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn utc(at: Option<DatePerhapsTime>) -> DateTime<Utc> {
    match at {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at))) => at,
        other => panic!("expected a UTC date-time, got {other:?}"),
    }
}

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339").with_timezone(&Utc)
}

fn event_for<'a>(events: &[&'a Event], appointment: &AppointmentView) -> &'a Event {
    let uid = format!("{}@medoffice", appointment.id);
    events.iter().copied().find(|e| e.get_uid() == Some(uid.as_str())).unwrap_or_else(|| panic!("no event {uid}"))
}

#[tokio::test]
async fn a_feed_made_on_the_admin_page_is_read_by_an_independent_parser_without_patient_names() {
    let server = spawn().await;
    let (actor, provider) = desk(&server).await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body(FAMILY, GIVEN)).await;
    let patient_id = patient["id"].as_str().expect("id");
    let first = book_next_open(&server, &actor, &provider, patient_id, NOTES).await;
    let second = book_next_open(&server, &actor, &provider, patient_id, "").await;
    let admin = server.login("admin").await;

    let home = server.get(&admin, "/admin").await;
    assert!(home.text().contains("href=\"/admin/calendar-feeds\""), "linked from Administration");
    let (html, path) = create_feed(&server, &admin, &provider, false).await;
    assert!(html.contains("shown only once"), "the page says the address is shown once");
    assert!(!html.contains("style="), "no inline style under the CSP");
    // The address exists on that one answer only.
    let again = server.get(&admin, "/admin/calendar-feeds").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(!again.text().contains(&path), "the secret is never shown again");
    assert!(again.text().contains("not included") && again.text().contains("never"), "names off, not fetched yet");

    let reply = fetch(&server, &path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.content_type(), "text/calendar; charset=utf-8");
    assert!(reply.header("cache-control").is_some_and(|c| c.contains("no-store")), "{:?}", reply.header("cache-control"));
    assert!(reply.set_cookies().is_empty(), "a feed sets no cookie");
    let text = reply.text();
    for private in [FAMILY, GIVEN, "Quillfeather", "Knee pain", "DESCRIPTION", patient_id] {
        assert!(!text.contains(private), "{private} in a feed without names");
    }

    let calendar: Calendar = text.parse().expect("the independent parser reads the feed");
    assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
    assert!(calendar.property_value("PRODID").is_some_and(|p| p.contains("medoffice")));
    let providers = server.app.list_providers(&actor).await.expect("providers");
    let provider_name = &providers[0].name;
    let calendar_name = calendar.property_value("X-WR-CALNAME").expect("X-WR-CALNAME");
    assert!(calendar_name.starts_with(provider_name.as_str()), "{calendar_name} names {provider_name}");

    let events = events(&calendar);
    assert!(events.len() >= 2, "{text}");
    for (appointment, summary) in [(&first, "Office visit (scheduled)"), (&second, "Office visit (scheduled)")] {
        let e = event_for(&events, appointment);
        assert_eq!(utc(e.get_start()), instant(&appointment.start), "DTSTART of {}", appointment.id);
        assert_eq!(utc(e.get_end()), instant(&appointment.end), "DTEND of {}", appointment.id);
        assert_eq!(e.get_summary(), Some(summary));
        assert_eq!(e.get_status(), Some(EventStatus::Tentative));
        assert_eq!(e.get_sequence(), Some(0));
        assert!(e.get_timestamp().is_some(), "DTSTAMP");
        assert!(e.get_location().is_some_and(|l| !l.is_empty()), "LOCATION");
        assert_eq!(e.get_description(), None);
    }
    for e in &events {
        assert!(e.get_uid().is_some_and(|u| u.ends_with("@medoffice")));
        assert!(e.get_description().is_none() && !e.get_summary().unwrap_or("").contains(':'), "no names in any event");
    }

    // The fetch is on the list and in the audit trail, as the feed.
    let list = server.get(&admin, "/admin/calendar-feeds").await.text();
    assert!(!list.contains(">never<"), "last fetched is shown");
    let audit = server.get(&admin, "/admin/audit?action=calendar_feed.fetch").await.text();
    assert!(audit.contains("(calendar feed)") && audit.contains("patient names not included"), "{audit}");
}

#[tokio::test]
async fn a_feed_the_practice_allows_names_in_carries_them_folded_and_escaped() {
    let server = spawn().await;
    let (actor, provider) = desk(&server).await;
    let token = server.token("frontdesk").await;
    let patient = register(&server, &token, &patient_body(FAMILY, GIVEN)).await;
    let booked = book_next_open(&server, &actor, &provider, patient["id"].as_str().expect("id"), NOTES).await;
    let admin = server.login("admin").await;
    let (_, path) = create_feed(&server, &admin, &provider, true).await;
    let list = server.get(&admin, "/admin/calendar-feeds").await.text();
    assert!(list.contains(">included<"), "the list says names are included");

    let reply = fetch(&server, &path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = reply.text();
    assert!(text.split("\r\n").all(|l| l.len() <= 75), "lines of at most 75 octets");
    assert!(text.contains("\r\n "), "long lines are folded");
    let calendar: Calendar = text.parse().expect("the independent parser reads the feed");
    let events = events(&calendar);
    let e = event_for(&events, &booked);
    let name = format!("{FAMILY}, {GIVEN}");
    assert_eq!(e.get_summary(), Some(format!("{name}: Office visit (scheduled)").as_str()));
    assert_eq!(e.get_description(), Some(format!("Patient: {name}\nNotes: {NOTES}").as_str()), "escaping and folding round-trip");
    assert_eq!(utc(e.get_start()), instant(&booked.start));
}

#[tokio::test]
async fn a_revoked_feed_answers_the_same_404_as_an_address_that_never_existed() {
    let server = spawn().await;
    let (_, provider) = desk(&server).await;
    let admin = server.login("admin").await;
    let (_, path) = create_feed(&server, &admin, &provider, false).await;
    assert_eq!(fetch(&server, &path).await.status, StatusCode::OK);

    let page = server.get(&admin, "/admin/calendar-feeds").await.text();
    let marker = "action=\"/admin/calendar-feeds/";
    let start = page.find(marker).expect("a revoke form") + marker.len();
    let id = &page[start..start + page[start..].find('/').expect("id")];
    let reply = server.post_form(&admin, &format!("/admin/calendar-feeds/{id}/revoke"), &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let after = server.get(&admin, reply.location()).await.text();
    assert!(after.contains("was revoked") && after.contains("revoked "), "{after}");
    assert!(!after.contains(marker), "no revoke button on a revoked feed");

    let revoked = fetch(&server, &path).await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND);
    let token = path.trim_start_matches("/calendar/").trim_end_matches(".ics");
    let (practice, secret) = token.split_once('.').expect("practice.secret");
    let other_secret = format!("{}{}", if secret.starts_with('A') { 'B' } else { 'A' }, &secret[1..]);
    for unknown in [format!("/calendar/{practice}.{other_secret}.ics"), "/calendar/nothing.ics".into(), format!("/calendar/{token}")] {
        let reply = fetch(&server, &unknown).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{unknown}");
        assert_eq!(reply.body, revoked.body, "{unknown} answers exactly like the revoked feed");
    }
}

#[tokio::test]
async fn only_the_office_manager_reaches_the_page_and_mistakes_are_shown_next_to_the_field() {
    let server = spawn().await;
    let (_, provider) = desk(&server).await;
    for username in ["frontdesk", "doctor", "biller"] {
        let browser = server.login(username).await;
        assert_eq!(server.get(&browser, "/admin/calendar-feeds").await.status, StatusCode::FORBIDDEN, "{username}");
        let reply = server.post_form(&browser, "/admin/calendar-feeds", &[("provider_id", &provider)]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{username}");
    }
    let admin = server.login("admin").await;
    let reply = server.post_form(&admin, "/admin/calendar-feeds", &[("provider_id", "")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(html.contains("id=\"e-provider_id\"") && html.contains("choose the provider"), "{html}");
    assert!(!html.contains("/calendar/"), "nothing was created");
    // Without the CSRF token nothing is created either.
    let reply =
        server.post_form_with(&admin, "/admin/calendar-feeds", &[("provider_id", &provider)], &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(server.get(&admin, "/admin/calendar-feeds").await.text().contains("No calendar feeds yet"));
}
