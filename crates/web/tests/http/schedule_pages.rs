//! The Schedule pages over the demo practice (every provider works Monday to Friday, 08:00-12:00
//! and 13:00-17:00, New York time): the day view, a provider's week, the colours style sheet, the
//! booking page (patient search, slot search, booking, the lost race, field errors), the arrivals
//! list and the printed day sheet.

use crate::harness::{Browser, Server, patient_body, register, spawn};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, NaiveDate, Utc, Weekday};
use medoffice_app::Actor;
use medoffice_store::audit::AuditFilter;
use medoffice_store::scheduling::TemplateEntryRow;
use serde_json::{Value, json};

/// A weekday at least two days ahead (so it is in the future in New York too).
fn next_working_day() -> NaiveDate {
    let mut day = Utc::now().date_naive() + Days::new(2);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day + Days::new(1);
    }
    day
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

/// Registers a patient (a second "Ada" is confirmed as new) and returns the id.
async fn patient(server: &Server, token: &str, family: &str, given: &str) -> String {
    let mut body = patient_body(family, given);
    body["confirm_new"] = json!(true);
    register(server, token, &body).await["id"].as_str().expect("id").to_string()
}

/// Books through the API and returns the appointment.
async fn book(server: &Server, token: &str, patient_id: &str, provider_id: &str, start: &str, kind: &str) -> Value {
    let body = json!({"patient_id": patient_id, "provider_id": provider_id, "start": start, "appointment_type": kind, "notes": "Bring the knee X-rays"});
    let reply = server.api(Method::POST, "/api/v1/appointments", Some(token), Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

async fn step(server: &Server, token: &str, appointment_id: &str, body: Value) {
    let reply = server.api(Method::POST, &format!("/api/v1/appointments/{appointment_id}/status"), Some(token), Some(&body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

async fn admin(server: &Server) -> Actor {
    let token = server.token("admin").await;
    server.app.authenticate_token(&token, None).await.expect("admin actor")
}

/// Audit records whose action starts with `prefix`.
async fn audited(server: &Server, prefix: &str) -> usize {
    let filter = AuditFilter { action_prefix: Some(prefix.into()), ..Default::default() };
    server.app.audit_trail(&admin(server).await, &filter, 500).await.expect("audit").len()
}

/// A day with appointments in three states for two providers, and admin time on the first
/// provider's weekday. Returns (providers, [confirmed, scheduled, cancelled] appointments).
async fn busy_day(server: &Server, token: &str, day: NaiveDate) -> (Vec<(String, String)>, Vec<Value>) {
    let providers = providers(server, token).await;
    let ada = patient(server, token, "Quillfeather", "Ada").await;
    let bea = patient(server, token, "Underhill", "Bea").await;
    let confirmed = book(server, token, &ada, &providers[0].0, &format!("{day}T09:00"), "Office visit").await;
    step(server, token, confirmed["id"].as_str().expect("id"), json!({"event": "confirm"})).await;
    let scheduled = book(server, token, &bea, &providers[1].0, &format!("{day}T10:00"), "Annual physical").await;
    let cancelled = book(server, token, &bea, &providers[0].0, &format!("{day}T14:00"), "Office visit").await;
    step(server, token, cancelled["id"].as_str().expect("id"), json!({"event": "cancel", "reason": "Ill", "by": "patient"})).await;

    let actor = admin(server).await;
    let mut conn = server.app.store.pool().acquire().await.expect("connection");
    let location = medoffice_store::scheduling::list_locations(&mut conn, &actor.practice_id).await.expect("locations").remove(0).id;
    medoffice_store::scheduling::insert_template_entry(
        &mut conn,
        &TemplateEntryRow {
            practice_id: actor.practice_id.clone(),
            id: "admin-time".into(),
            provider_id: providers[0].0.clone(),
            location_id: location,
            weekday: i64::from(day.weekday().number_from_monday()),
            start_minute: 15 * 60,
            end_minute: 16 * 60,
            kind: "block".into(),
            reason: Some("Admin time".into()),
            allowed_type_ids: None,
            allow_overbook: 0,
            created_at: "2026-01-01T00:00:00.000000Z".into(),
        },
    )
    .await
    .expect("block");
    (providers, vec![confirmed, scheduled, cancelled])
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

/// The HTML of the first element whose opening tag contains `marker`, up to the next `</tag>`.
fn element<'a>(html: &'a str, marker: &str, tag: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker} in the page"));
    let start = html[..at].rfind(&format!("<{tag}")).expect("opening tag");
    let end = html[at..].find(&format!("</{tag}>")).map(|e| at + e).unwrap_or(html.len());
    &html[start..end]
}

#[tokio::test]
async fn the_day_view_colours_names_and_blocks_appointments_from_one_audited_read() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = next_working_day();
    let (providers, appts) = busy_day(&server, &token, day).await;
    let browser = server.login("frontdesk").await;
    let (calendar_reads, chart_reads) = (audited(&server, "appointment.calendar").await, audited(&server, "patient.read").await);

    let reply = server.get(&browser, &format!("/schedule?date={day}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();

    // One audited read for the whole page, and no chart read per patient.
    assert_eq!(audited(&server, "appointment.calendar").await, calendar_reads + 1);
    assert_eq!(audited(&server, "patient.read").await, chart_reads);

    // A column per provider, with its colour class; the patients by name with their appointment's link.
    for (provider_id, name) in &providers {
        assert!(html.contains(&format!("cal-col-head p-{provider_id}")), "no column of {name}");
        assert!(html.contains(&format!(">{name}</a>")), "no heading for {name}");
    }
    for (a, name) in appts.iter().zip(["Quillfeather, Ada", "Underhill, Bea", "Underhill, Bea"]) {
        let entry = element(&html, &format!("id=\"appointment-{}\"", id(a)), "a");
        assert!(entry.contains(name), "{entry}");
        assert!(entry.contains(&format!("href=\"/schedule/appointments/{}\"", id(a))), "{entry}");
        assert!(entry.contains(&format!("t-{}", a["appointment_type"].as_str().expect("type"))), "the type's colour: {entry}");
    }
    assert!(element(&html, &format!("id=\"appointment-{}\"", id(&appts[0])), "a").contains("st-confirmed"));
    assert!(element(&html, &format!("id=\"appointment-{}\"", id(&appts[1])), "a").contains("st-scheduled"));
    let cancelled = element(&html, &format!("id=\"appointment-{}\"", id(&appts[2])), "a");
    assert!(cancelled.contains("st-cancelled void"), "struck through: {cancelled}");
    assert!(html.contains("09:00–09:20") && html.contains("10:00–10:40"), "time ranges");
    assert!(html.contains("Bring the knee X-rays"), "notes");
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/schedule/colours.css\">"));

    // The 40-minute physical spans two 20-minute rows; admin time and lunch are not bookable.
    let physical_cell = &html[..html.find(&format!("id=\"appointment-{}\"", id(&appts[1]))).expect("entry")];
    let td = &physical_cell[physical_cell.rfind("<td").expect("cell")..];
    assert!(td.contains("class=\"cell busy\"") && td.contains("rowspan=\"2\""), "{td}");
    let block = element(&html, ">Admin time<", "td");
    assert!(block.contains("class=\"cell block\"") && block.contains("rowspan=\"3\""), "an hour of admin time: {block}");
    assert!(!block.contains("slot-link"));
    assert!(html.contains("class=\"cell off\""), "lunch is outside the hours");
    assert!(html.contains(">08:00<") && html.contains(">16:00<"), "hour labels from the templates");

    // Free cells link to the booking form for that provider, date and time; the freed 14:00 too.
    for time in ["08:00", "14:00", "16:40"] {
        let link = format!("href=\"/schedule/new?provider_id={}&#38;date={day}&#38;time={time}\"", providers[0].0);
        assert!(html.contains(&link), "no booking link at {time}: {link}");
    }
    assert!(!html.contains(&format!("provider_id={}&#38;date={day}&#38;time=15:00", providers[0].0)), "admin time is not offered");
    assert!(!html.contains(&format!("provider_id={}&#38;date={day}&#38;time=09:00\"", providers[0].0)), "a booked time is not offered");

    // Keyboard: grid items carry their position, shortcuts are on the page and documented.
    assert!(html.contains("data-cal-grid") && html.contains("data-col=\"0\" data-row=\"0\""), "arrow-key positions");
    let next = day + Days::new(1);
    assert!(html.contains(&format!("data-key-n=\"/schedule?date={next}\"")), "n = next day");
    assert!(html.contains("data-key-t=\"/schedule?date=") && html.contains("data-key-b=\"/schedule/new?date="));
    assert!(html.contains("Keyboard shortcuts"));
    assert!(html.contains(&format!("href=\"/schedule?date={}\" rel=\"prev\"", day - Days::new(1))), "previous day");
    assert!(html.contains(&format!("value=\"{day}\"")), "the date picker holds the day");
    assert!(!html.contains("style="), "no inline style under the CSP");

    // Filtered to one provider: one column, that provider's appointments only.
    let one = server.get(&browser, &format!("/schedule?date={day}&provider_id={}", providers[1].0)).await.text();
    assert_eq!(one.matches("cal-col-head p-").count(), 1);
    assert!(one.contains(id(&appts[1])) && !one.contains(id(&appts[0])));
    assert!(one.contains(&format!("<option value=\"{}\" selected>", providers[1].0)), "the filter shows the choice");

    // Without a date: today; a date that is not one or an unknown provider: 400.
    assert_eq!(server.get(&browser, "/schedule").await.status, StatusCode::OK);
    assert_eq!(server.get(&browser, "/schedule?date=yesterday").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(server.get(&browser, &format!("/schedule?date={day}&provider_id=nobody")).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_provider_reads_the_day_without_booking_links_and_the_bookkeeper_is_refused() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = next_working_day();
    let (_, appts) = busy_day(&server, &token, day).await;

    let doctor = server.login("doctor").await;
    let reply = server.get(&doctor, &format!("/schedule?date={day}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("Quillfeather, Ada") && html.contains(id(&appts[0])), "a provider sees names");
    assert!(!html.contains("/schedule/new"), "no booking for a provider");
    assert!(!html.contains("slot-link"));
    assert_eq!(server.get(&doctor, "/schedule/new").await.status, StatusCode::FORBIDDEN);

    let bookkeeper = server.login("bookkeeper").await;
    let reply = server.get(&bookkeeper, &format!("/schedule?date={day}")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    for path in ["/schedule/week", "/schedule/arrivals", "/schedule/print"] {
        assert_eq!(server.get(&bookkeeper, path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn the_week_view_shows_one_provider_monday_to_friday_with_booking_links() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = next_working_day();
    let (providers, appts) = busy_day(&server, &token, day).await;
    let browser = server.login("frontdesk").await;

    let reply = server.get(&browser, &format!("/schedule/week?provider_id={}&date={day}", providers[0].0)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    assert!(html.contains(&format!(">{}</h1>", providers[0].1)), "the provider's name heads the page");
    assert_eq!(html.matches("class=\"cal-col-head").count(), 5, "Monday to Friday; the empty weekend is left out");
    for offset in 0..5 {
        let date = monday + Days::new(offset);
        assert!(html.contains(&format!("<a href=\"/schedule?date={date}\">{}</a>", date.format("%a %-d"))), "column of {date}");
    }
    assert!(!html.contains(">Sat "), "no Saturday column");
    assert!(html.contains(id(&appts[0])) && html.contains(id(&appts[2])), "this provider's appointments");
    assert!(!html.contains(id(&appts[1])), "not the other provider's");
    assert!(element(&html, &format!("id=\"appointment-{}\"", id(&appts[0])), "a").contains("st-confirmed"));
    assert!(html.contains(&format!("href=\"/schedule/new?provider_id={}&#38;date={day}&#38;time=08:00&#38;back=week\"", providers[0].0)));
    let next_week = day + Days::new(7);
    assert!(html.contains(&format!("data-key-n=\"/schedule/week?date={next_week}&#38;provider_id={}\"", providers[0].0)));
    assert!(!html.contains("style="));

    // Without a provider: the first one's week.
    let first = server.get(&browser, &format!("/schedule/week?date={day}")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert!(first.text().contains(&format!(">{}</h1>", providers[0].1)));

    // The colours of the practice's types and providers, as a style sheet.
    let css = server.get(&browser, "/schedule/colours.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type().starts_with("text/css"), "{}", css.content_type());
    let text = css.text();
    assert!(text.contains(&format!(".t-{} {{ --type: #2563eb; }}", appts[0]["appointment_type"].as_str().expect("type"))), "{text}");
    assert!(text.contains(&format!(".p-{} {{ --prov: #", providers[0].0)), "{text}");
}

/// The booking page's form fields as a browser would post them.
fn booking_fields<'a>(patient_id: &'a str, provider_id: &'a str, date: &'a str, time: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("patient_id", patient_id), ("provider_id", provider_id), ("appointment_type", ""), ("date", date), ("time", time), ("notes", "")]
}

/// The slot search's results (from the list to the booking form beside it).
fn slot_list(html: &str) -> &str {
    let start = html.find("open slots, earliest first").unwrap_or_else(|| panic!("no slot list: {html}"));
    let end = html.find("id=\"book-heading\"").expect("the booking form");
    &html[start..end]
}

async fn book_page(server: &Server, browser: &Browser, query: &str) -> String {
    let reply = server.get(browser, &format!("/schedule/new?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.text()
}

#[tokio::test]
async fn the_booking_page_finds_the_patient_and_an_open_slot_and_books_it() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let providers = providers(&server, &token).await;
    let ada = patient(&server, &token, "Quillfeather", "Ada").await;
    let browser = server.login("frontdesk").await;
    let day = next_working_day();
    let (p0, p1) = (providers[0].0.as_str(), providers[1].0.as_str());

    // From a free cell: provider, date and time filled in.
    let html = book_page(&server, &browser, &format!("provider_id={p0}&date={day}&time=10:20")).await;
    assert!(html.contains(&format!("<option value=\"{p0}\" selected>")), "the provider is chosen");
    assert!(html.contains(&format!("name=\"date\" type=\"date\" value=\"{day}\"")));
    assert!(html.contains("name=\"time\" type=\"time\" step=\"300\" value=\"10:20\""));
    assert!(html.contains("None chosen yet"), "no patient yet");

    // Search the patient (a plain GET), then choose: the state is kept in the link.
    let html = book_page(&server, &browser, &format!("provider_id={p0}&date={day}&time=10:20&q=quillfeather")).await;
    assert!(html.contains("Quillfeather, Ada"), "{html}");
    let choose = format!("href=\"/schedule/new?patient_id={ada}&#38;provider_id={p0}&#38;date={day}&#38;time=10:20\"");
    assert!(html.contains(&choose), "{choose}");
    // The same results as a fragment, for search as you type.
    let fragment = server.get(&browser, &format!("/schedule/patients?q=4%2F12%2F1980&provider_id={p0}&date={day}&time=10:20")).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.text().contains(&choose) && !fragment.text().contains("<html"), "{}", fragment.text());

    // Chosen: the patient is shown and the form carries the id.
    let html = book_page(&server, &browser, &format!("patient_id={ada}&provider_id={p0}&date={day}&time=10:20")).await;
    assert!(html.contains("book-patient-name\">Quillfeather, Ada") && html.contains("Born 1980-04-12"), "{html}");
    assert!(html.contains(&format!("name=\"patient_id\" value=\"{ada}\"")));

    // Find the next afternoon slots with any provider: only afternoon times, each bookable.
    let query = format!("patient_id={ada}&find=1&find_provider=&find_type=&from={day}&to={day}&part=afternoon");
    let html = book_page(&server, &browser, &query).await;
    assert!(html.contains("open slots, earliest first"), "{html}");
    let slots = slot_list(&html);
    assert!(slots.contains("13:00–13:20"), "{slots}");
    assert!(!slots.contains("09:00–09:20") && !slots.contains("11:40–12:00"), "no morning slot");
    for (_, name) in &providers {
        assert!(slots.contains(name.as_str()), "any provider: {name}");
    }
    let morning =
        book_page(&server, &browser, &format!("patient_id={ada}&find=1&find_provider={p1}&from={day}&to={day}&part=morning")).await;
    let slots = slot_list(&morning);
    assert!(slots.contains("08:00–08:20") && !slots.contains("13:00–13:20"), "{slots}");
    assert!(!slots.contains(&providers[0].1), "only the provider asked for");
    // Pick the first slot: its Book button posts everything.
    let form = element(&morning, "action=\"/schedule/book\" class=\"inline-form\"", "form");
    assert!(form.contains(&format!("name=\"provider_id\" value=\"{p1}\"")) && form.contains("name=\"time\" value=\"08:00\""), "{form}");
    let booked = server.post_form(&browser, "/schedule/book", &booking_fields(&ada, p1, &day.to_string(), "08:00")).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.text());
    let (path, appointment_id) = booked.location().split_once("#appointment-").expect("an anchor on the new appointment");
    assert_eq!(path, format!("/schedule?date={day}&notice=booked"));
    let page = server.get(&browser, path).await.text();
    assert!(page.contains("Appointment booked."));
    assert!(element(&page, &format!("id=\"appointment-{appointment_id}\""), "a").contains("Quillfeather, Ada"));

    // Booked from the week view: back to the week.
    let week = server
        .post_form(&browser, "/schedule/book", &[booking_fields(&ada, p1, &day.to_string(), "09:00"), vec![("back", "week")]].concat())
        .await;
    assert_eq!(week.status, StatusCode::SEE_OTHER, "{}", week.text());
    assert!(
        week.location().starts_with(&format!("/schedule/week?provider_id={p1}&date={day}&notice=booked#appointment-")),
        "{}",
        week.location()
    );

    // A bad slot search: the message is next to its field.
    let bad = book_page(&server, &browser, &format!("patient_id={ada}&find=1&from=2020-01-01")).await;
    let from_field = element(&bad, "id=\"f-from\"", "div");
    assert!(from_field.contains("id=\"e-from\"") && from_field.contains("past"), "{from_field}");
    let unknown = book_page(&server, &browser, "patient_id=nobody").await;
    assert!(unknown.contains("no such patient"), "{unknown}");
}

#[tokio::test]
async fn a_booking_that_loses_its_time_says_so_and_offers_fresh_times_and_field_errors_sit_by_their_fields() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let providers = providers(&server, &token).await;
    let ada = patient(&server, &token, "Quillfeather", "Ada").await;
    let bea = patient(&server, &token, "Underhill", "Bea").await;
    let browser = server.login("frontdesk").await;
    let day = next_working_day().to_string();
    let p0 = providers[0].0.as_str();

    // Another desk takes 09:20 while this one is on the phone.
    book(&server, &token, &bea, p0, &format!("{day}T09:20"), "Office visit").await;
    let refused = server.post_form(&browser, "/schedule/book", &booking_fields(&ada, p0, &day, "09:20")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    let html = refused.text();
    let alert = element(&html, "id=\"booking-error\"", "div");
    assert!(alert.contains("That time was just taken."), "{alert}");
    // Fresh times for the same provider near 09:20, each with its own Book button; never 09:20.
    let suggestions = alert.matches("action=\"/schedule/book\"").count();
    assert!((1..=6).contains(&suggestions), "{alert}");
    assert!(alert.contains(">09:00–09:20</span>"), "near the time asked: {alert}");
    assert!(!alert.contains(">09:20–09:40</span>") && !alert.contains("time=09:20\""), "not the taken time: {alert}");
    assert!(
        alert.contains(&format!("name=\"patient_id\" value=\"{ada}\"")) && alert.contains(&format!("name=\"provider_id\" value=\"{p0}\""))
    );
    assert!(html.contains(&format!("<option value=\"{p0}\" selected>")), "the form keeps what was chosen");

    // One of the suggestions books.
    let again = server.post_form(&browser, "/schedule/book", &booking_fields(&ada, p0, &day, "09:40")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text());

    // Missing patient and date, a time that is not one: each message by its field, 200.
    let empty = server.post_form(&browser, "/schedule/book", &booking_fields("", p0, "", "")).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text());
    let html = empty.text();
    assert!(element(&html, "<span class=\"field-label\">Patient", "div").contains("choose the patient"), "{html}");
    assert!(element(&html, "id=\"e-date\"", "p").contains("choose the date"));
    assert!(element(&html, "id=\"e-start\"", "p").contains("choose the time"));
    let past = server.post_form(&browser, "/schedule/book", &booking_fields(&ada, p0, "2020-01-06", "09:00")).await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(element(&past.text(), "id=\"e-start\"", "p").contains("that time has passed"), "{}", past.text());

    // Without the CSRF token nothing is booked.
    let fields = booking_fields(&bea, p0, &day, "10:00");
    let forged = server.post_form_with(&browser, "/schedule/book", &fields, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_patient_given_to_the_day_view_is_carried_into_every_free_cell() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let providers = providers(&server, &token).await;
    let ada = patient(&server, &token, "Quillfeather", "Ada").await;
    let browser = server.login("frontdesk").await;
    let day = next_working_day();
    let html = server.get(&browser, &format!("/schedule?date={day}&patient_id={ada}")).await.text();
    assert!(html.contains("Booking for <strong>Quillfeather, Ada</strong>"), "{html}");
    assert!(
        html.contains(&format!("href=\"/schedule/new?patient_id={ada}&#38;provider_id={}&#38;date={day}&#38;time=08:00\"", providers[0].0))
    );
}

#[tokio::test]
async fn the_arrivals_list_shows_each_appointment_by_time_with_its_state_and_a_link_to_it() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = next_working_day();
    let (providers, appts) = busy_day(&server, &token, day).await;
    step(&server, &token, id(&appts[1]), json!({"event": "check_in"})).await;
    let browser = server.login("frontdesk").await;
    let before = audited(&server, "appointment.calendar").await;

    let reply = server.get(&browser, &format!("/schedule/arrivals?date={day}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert_eq!(audited(&server, "appointment.calendar").await, before + 1);
    let ada = element(&html, &format!("id=\"arrival-{}\"", id(&appts[0])), "tr");
    assert!(ada.contains("Quillfeather, Ada") && ada.contains("born 1980-04-12") && ada.contains("(555) 201-3344"), "{ada}");
    assert!(ada.contains(&providers[0].1) && ada.contains("Office visit") && ada.contains("Confirmed"), "{ada}");
    assert!(ada.contains(&format!("href=\"/schedule/appointments/{}\"", id(&appts[0]))), "{ada}");
    let bea = element(&html, &format!("id=\"arrival-{}\"", id(&appts[1])), "tr");
    assert!(bea.contains("class=\"arrival arrived\"") && bea.contains("Arrived, waiting"), "{bea}");
    assert!(element(&html, &format!("id=\"arrival-{}\"", id(&appts[2])), "tr").contains("class=\"arrival void\""));
    // By time: 09:00 before 10:00 before 14:00.
    let order: Vec<usize> = appts.iter().map(|a| html.find(&format!("id=\"arrival-{}\"", id(a))).expect("row")).collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{order:?}");
    assert!(html.contains("<strong>1</strong> waiting") && html.contains("<strong>1</strong> expected"), "the counts");

    // It refreshes itself from the list alone; focus is kept by each control's data-key.
    let refresh = format!("/schedule/arrivals?date={day}&#38;part=list");
    assert!(html.contains(&format!("data-refresh=\"{refresh}\"")), "{html}");
    let list = server.get(&browser, &refresh.replace("&#38;", "&")).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.text();
    assert!(!list.contains("<html") && list.contains(&format!("data-key=\"arrival-action-{}\"", id(&appts[0]))), "{list}");
    assert!(!html.contains("style="));
}

#[tokio::test]
async fn the_day_sheet_prints_one_provider_per_page_without_navigation() {
    let server = spawn().await;
    let token = server.token("frontdesk").await;
    let day = next_working_day();
    let (providers, appts) = busy_day(&server, &token, day).await;
    let browser = server.login("frontdesk").await;

    let reply = server.get(&browser, &format!("/schedule/print?date={day}&provider_id={}", providers[0].0)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(!html.contains("class=\"sidebar\"") && !html.contains("class=\"topbar\""), "no navigation chrome");
    assert_eq!(html.matches("<section class=\"sheet\">").count(), 1);
    assert!(html.contains(&format!("<h1>{}</h1>", providers[0].1)));
    assert!(html.contains(&day.format("%A, %B %-d, %Y").to_string()));
    let row = element(&html, "Quillfeather, Ada", "tr");
    for fact in ["09:00–09:20", "1980-04-12", "(555) 201-3344", "Office visit", "confirmed", "Bring the knee X-rays", "MRN "] {
        assert!(row.contains(fact), "{fact} missing from {row}");
    }
    assert!(html.contains("15:00–16:00</td><td colspan=\"6\">Admin time"), "the block is on the sheet");
    assert!(!html.contains(id(&appts[2])) && !html.contains("Underhill"), "the cancelled one is not");

    // Every working provider: a page each.
    let all = server.get(&browser, &format!("/schedule/print?date={day}")).await.text();
    assert_eq!(all.matches("<section class=\"sheet\">").count(), providers.len());
    assert!(all.contains("Underhill, Bea"), "the other provider's patient");
    assert!(!all.contains("style="));
}
