//! Calendar (ICS) feeds through the use cases: the office manager makes a feed of one provider's
//! schedule, a calendar app fetches it with the secret alone, and a revoked feed is gone. The
//! practice comes from `generate` (every provider works Monday to Friday 08:00-12:00 and
//! 13:00-17:00 in New York); the clock stands at Monday 2026-06-15, noon in New York.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::calendar_feeds::{CreatedCalendarFeed, FEED_AUDIT_USERNAME, NewCalendarFeed};
use medoffice_app::scheduling::{NewAppointment, StatusEventInput};
use medoffice_app::{AppError, Result};
use medoffice_store::audit::AuditFilter;
use std::collections::HashMap;

struct Setup {
    staff: Staff,
    /// Quillfeather, Zebedee and Ravensworth, Zebedee.
    patients: Vec<String>,
    provider: String,
    provider_name: String,
    other_provider: String,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let mut patients = Vec::new();
    for (family, birth) in [("Quillfeather", "1985-03-14"), ("Ravensworth", "1990-07-02")] {
        patients.push(env.app.register_patient(&staff.front_desk, &patient(family, "Zebedee", birth), false).await.unwrap().id);
    }
    let providers = env.app.list_providers(&staff.front_desk).await.unwrap();
    assert!(providers.len() >= 2, "the generated practice has several providers");
    Setup {
        staff,
        patients,
        provider: providers[0].id.clone(),
        provider_name: providers[0].name.clone(),
        other_provider: providers[1].id.clone(),
    }
}

fn booking(patient_id: &str, provider_id: &str, start: &str, type_name: &str) -> NewAppointment {
    NewAppointment {
        patient_id: patient_id.into(),
        provider_id: provider_id.into(),
        start: start.into(),
        appointment_type: type_name.into(),
        ..Default::default()
    }
}

fn feed(provider_id: &str, names: bool) -> NewCalendarFeed {
    NewCalendarFeed { provider_id: provider_id.into(), include_patient_names: names }
}

/// The token the app takes: the feed's address without `/calendar/` and `.ics`.
fn token(created: &CreatedCalendarFeed) -> String {
    let path = created.path.strip_prefix("/calendar/").and_then(|p| p.strip_suffix(".ics"));
    path.unwrap_or_else(|| panic!("unexpected feed path {}", created.path)).to_string()
}

/// The calendar's properties and its events' properties (name without parameters -> raw value),
/// after unfolding; checks the CRLF line ends on the way.
struct Parsed {
    calendar: HashMap<String, String>,
    events: Vec<HashMap<String, String>>,
}

fn parse(ics: &str) -> Parsed {
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    assert!(!ics.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
    let unfolded = ics.replace("\r\n ", "");
    let mut parsed = Parsed { calendar: HashMap::new(), events: Vec::new() };
    let mut in_event = false;
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("not a content line: {line}"));
        let name = name.split(';').next().unwrap().to_string();
        match (name.as_str(), value) {
            ("BEGIN", "VEVENT") => {
                in_event = true;
                parsed.events.push(HashMap::new());
            }
            ("END", "VEVENT") => in_event = false,
            _ if in_event => {
                parsed.events.last_mut().unwrap().insert(name, value.to_string());
            }
            _ => {
                parsed.calendar.insert(name, value.to_string());
            }
        }
    }
    parsed
}

fn event_with_uid<'a>(parsed: &'a Parsed, appointment_id: &str) -> &'a HashMap<String, String> {
    let uid = format!("{appointment_id}@medoffice");
    parsed.events.iter().find(|e| e["UID"] == uid).unwrap_or_else(|| panic!("no event {uid}"))
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T>) -> bool {
    matches!(result, Err(AppError::NotFound("calendar feed")))
}

both_backends! {
    async fn a_feed_shows_the_providers_appointments_in_utc_without_patient_names(env: TestEnv) {
        let s = setup(&env).await;
        let desk = &s.staff.front_desk;
        let mut with_notes = booking(&s.patients[0], &s.provider, "2026-06-16T09:00", "");
        with_notes.notes = "Zebedee's knee, bring X-rays".into();
        let summer = env.app.book_appointment(desk, &with_notes).await.unwrap();
        let winter = env.app.book_appointment(desk, &booking(&s.patients[1], &s.provider, "2026-12-01T09:00", "Annual physical")).await.unwrap();
        let elsewhere = env.app.book_appointment(desk, &booking(&s.patients[1], &s.other_provider, "2026-06-16T09:00", "")).await.unwrap();
        let event = |name: &str| StatusEventInput { event: name.into(), ..Default::default() };
        env.app.change_appointment_status(desk, &summer.id, &event("confirm")).await.unwrap();

        let created = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, false)).await.unwrap();
        assert!(!created.feed.include_patient_names);
        assert_eq!(created.feed.provider_id, s.provider);
        let ics = env.app.calendar_feed_ics(&token(&created), Some("203.0.113.9".into())).await.unwrap();
        let parsed = parse(&ics);
        assert_eq!(parsed.calendar["VERSION"], "2.0");
        assert_eq!(parsed.calendar["CALSCALE"], "GREGORIAN");
        assert!(parsed.calendar["PRODID"].contains("medoffice"));
        assert!(parsed.calendar["X-WR-CALNAME"].starts_with(&s.provider_name.replace(',', "\\,")), "{}", parsed.calendar["X-WR-CALNAME"]);

        assert_eq!(parsed.events.len(), 2, "only this provider's appointments: {ics}");
        assert!(!ics.contains(&elsewhere.id));
        let mut conn = env.store.pool().acquire().await.unwrap();
        let locations = medoffice_store::scheduling::list_locations(&mut conn, &s.staff.admin.practice_id).await.unwrap();
        drop(conn);
        let location = locations.iter().find(|l| l.id == summer.location_id).unwrap();

        let e = event_with_uid(&parsed, &summer.id);
        // 09:00 in New York in June is EDT (UTC-4); in December EST (UTC-5).
        assert_eq!(e["DTSTART"], "20260616T130000Z");
        assert_eq!(e["DTEND"], "20260616T132000Z");
        assert_eq!(e["SUMMARY"], "Office visit (confirmed)");
        assert_eq!(e["STATUS"], "CONFIRMED");
        assert_eq!(e["SEQUENCE"], "1", "booked at version 1, confirmed at version 2");
        assert_eq!(e["LOCATION"], location.name.replace(',', "\\,"));
        assert!(e.contains_key("DTSTAMP"));
        let w = event_with_uid(&parsed, &winter.id);
        assert_eq!((w["DTSTART"].as_str(), w["DTEND"].as_str()), ("20261201T140000Z", "20261201T144000Z"));
        assert_eq!(w["SUMMARY"], "Annual physical (scheduled)");
        assert_eq!(w["STATUS"], "TENTATIVE");
        assert_eq!(w["SEQUENCE"], "0");

        for private in ["Quillfeather", "Ravensworth", "Zebedee", "X-rays", "DESCRIPTION", &s.patients[0], &s.patients[1]] {
            assert!(!ics.contains(private), "{private} in a feed without names: {ics}");
        }

        // A cancellation stays in the feed as a cancelled event with a higher sequence.
        let cancel = StatusEventInput { event: "cancel".into(), reason: "Feeling better".into(), by: "patient".into() };
        env.app.change_appointment_status(desk, &winter.id, &cancel).await.unwrap();
        let parsed = parse(&env.app.calendar_feed_ics(&token(&created), None).await.unwrap());
        let w = event_with_uid(&parsed, &winter.id);
        assert_eq!((w["STATUS"].as_str(), w["SEQUENCE"].as_str(), w["SUMMARY"].as_str()), ("CANCELLED", "1", "Annual physical (cancelled)"));
    }
}

both_backends! {
    async fn patient_names_appear_only_in_a_feed_the_practice_allows_them_in(env: TestEnv) {
        let s = setup(&env).await;
        let mut first = booking(&s.patients[0], &s.provider, "2026-06-16T09:00", "");
        first.notes = "Knee; bring X-rays".into();
        let first = env.app.book_appointment(&s.staff.front_desk, &first).await.unwrap();
        let plain = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, false)).await.unwrap();
        let named = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, true)).await.unwrap();
        assert!(named.feed.include_patient_names);
        assert_ne!(plain.path, named.path, "every feed has its own secret");

        let ics = env.app.calendar_feed_ics(&token(&named), None).await.unwrap();
        let parsed = parse(&ics);
        let e = event_with_uid(&parsed, &first.id);
        assert_eq!(e["SUMMARY"], "Quillfeather\\, Zebedee: Office visit (scheduled)");
        assert_eq!(e["DESCRIPTION"], "Patient: Quillfeather\\, Zebedee\\nNotes: Knee\\; bring X-rays");

        let ics = env.app.calendar_feed_ics(&token(&plain), None).await.unwrap();
        assert!(!ics.contains("Quillfeather") && !ics.contains("X-rays") && !ics.contains("DESCRIPTION"), "{ics}");
        assert_eq!(event_with_uid(&parse(&ics), &first.id)["SUMMARY"], "Office visit (scheduled)");
    }
}

both_backends! {
    async fn a_revoked_feed_is_not_found_like_an_unknown_one(env: TestEnv) {
        let s = setup(&env).await;
        let created = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, false)).await.unwrap();
        let kept = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, false)).await.unwrap();
        env.app.calendar_feed_ics(&token(&created), None).await.unwrap();

        env.app.revoke_calendar_feed(&s.staff.admin, &created.feed.id).await.unwrap();
        assert!(is_not_found(env.app.calendar_feed_ics(&token(&created), None).await));
        env.app.calendar_feed_ics(&token(&kept), None).await.unwrap();
        // Revoking again changes nothing and is not audited twice.
        env.app.revoke_calendar_feed(&s.staff.admin, &created.feed.id).await.unwrap();
        let filter = AuditFilter { action_prefix: Some("calendar_feed.revoke".into()), ..Default::default() };
        let revocations = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(revocations.len(), 1);
        assert_eq!(revocations[0].record_id.as_deref(), Some(created.feed.id.as_str()));
        assert!(is_not_found(env.app.revoke_calendar_feed(&s.staff.admin, "no-such-feed").await));

        // Unknown, malformed and cross-practice tokens answer the same.
        let (practice, secret) = token(&kept).split_once('.').map(|(p, x)| (p.to_string(), x.to_string())).unwrap();
        let flipped = format!("{practice}.{}{}", if secret.starts_with('A') { 'B' } else { 'A' }, &secret[1..]);
        for bad in [flipped, format!("other-practice.{secret}"), secret.clone(), String::new(), format!("{practice}.short"), "../../etc/passwd".into()] {
            assert!(is_not_found(env.app.calendar_feed_ics(&bad, None).await), "{bad}");
        }

        let listed = env.app.list_calendar_feeds(&s.staff.admin).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].id, kept.feed.id, "open feeds first");
        assert!(!listed[0].is_revoked() && listed[1].is_revoked());
        assert!(listed.iter().all(|f| f.provider_name == s.provider_name));
    }
}

both_backends! {
    async fn only_the_office_manager_makes_lists_or_revokes_feeds(env: TestEnv) {
        let s = setup(&env).await;
        let created = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, true)).await.unwrap();
        for actor in [&s.staff.front_desk, &s.staff.biller, &s.staff.bookkeeper, &s.staff.provider] {
            let who = &actor.username;
            assert!(matches!(env.app.create_calendar_feed(actor, &feed(&s.provider, false)).await, Err(AppError::Forbidden)), "{who}");
            assert!(matches!(env.app.list_calendar_feeds(actor).await, Err(AppError::Forbidden)), "{who}");
            assert!(matches!(env.app.revoke_calendar_feed(actor, &created.feed.id).await, Err(AppError::Forbidden)), "{who}");
        }
        let filter = AuditFilter { action_prefix: Some("access.denied".into()), ..Default::default() };
        let denied = env.app.audit_trail(&s.staff.admin, &filter, 50).await.unwrap();
        assert_eq!(denied.iter().filter(|r| r.detail == "ManageCalendarFeeds").count(), 12);
        // The refused revocations changed nothing.
        env.app.calendar_feed_ics(&token(&created), None).await.unwrap();

        assert_eq!(invalid_fields(env.app.create_calendar_feed(&s.staff.admin, &feed("", false)).await), ["provider_id"]);
        assert_eq!(invalid_fields(env.app.create_calendar_feed(&s.staff.admin, &feed("no-such-provider", false)).await), ["provider_id"]);
        assert_eq!(env.app.list_calendar_feeds(&s.staff.admin).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn a_fetch_is_audited_as_the_feed_and_noted_on_the_list(env: TestEnv) {
        let s = setup(&env).await;
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00", "")).await.unwrap();
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[1], &s.provider, "2026-06-17T10:00", "")).await.unwrap();
        let created = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, false)).await.unwrap();
        assert_eq!(env.app.list_calendar_feeds(&s.staff.admin).await.unwrap()[0].last_fetched_at, None);

        env.clock.advance(chrono::Duration::minutes(5));
        env.app.calendar_feed_ics(&token(&created), Some("203.0.113.9".into())).await.unwrap();
        let filter = AuditFilter { action_prefix: Some("calendar_feed.fetch".into()), ..Default::default() };
        let fetches = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(fetches.len(), 1);
        let r = &fetches[0];
        assert_eq!((r.username.as_str(), r.user_id.as_deref()), (FEED_AUDIT_USERNAME, None));
        assert_eq!((r.record_type.as_str(), r.record_id.as_deref()), ("calendar_feed", Some(created.feed.id.as_str())));
        assert_eq!(r.ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(r.detail, format!("provider {}; 2 event(s); patient names not included", s.provider));
        assert_eq!(r.at, "2026-06-15T16:05:00.000000Z");

        let listed = env.app.list_calendar_feeds(&s.staff.admin).await.unwrap();
        assert_eq!(listed[0].last_fetched_at.as_deref(), Some("2026-06-15T16:05:00.000000Z"));
        assert_eq!(listed[0].created_by, s.staff.admin.display_name);
        let filter = AuditFilter { action_prefix: Some("calendar_feed.create".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap().len(), 1);
        // A refused fetch (revoked) is not a read and writes nothing.
        env.app.revoke_calendar_feed(&s.staff.admin, &created.feed.id).await.unwrap();
        assert!(is_not_found(env.app.calendar_feed_ics(&token(&created), None).await));
        let filter = AuditFilter { action_prefix: Some("calendar_feed.fetch".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap().len(), 1);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn the_feed_covers_thirty_days_back_to_one_hundred_eighty_ahead(env: TestEnv) {
        let s = setup(&env).await;
        let desk = &s.staff.front_desk;
        let soon = env.app.book_appointment(desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00", "")).await.unwrap();
        // 2026-12-11 is day 179 from 2026-06-15; 2027-01-05 is day 204.
        let edge = env.app.book_appointment(desk, &booking(&s.patients[0], &s.provider, "2026-12-11T16:00", "")).await.unwrap();
        let far = env.app.book_appointment(desk, &booking(&s.patients[1], &s.provider, "2027-01-05T09:00", "")).await.unwrap();
        let created = env.app.create_calendar_feed(&s.staff.admin, &feed(&s.provider, false)).await.unwrap();
        let uids = |ics: &str| parse(ics).events.iter().map(|e| e["UID"].trim_end_matches("@medoffice").to_string()).collect::<Vec<_>>();

        let now = uids(&env.app.calendar_feed_ics(&token(&created), None).await.unwrap());
        assert_eq!(now, [soon.id.clone(), edge.id.clone()]);
        // 29 days on, the visit of 2026-06-16 is 28 days back: still shown.
        env.clock.advance(chrono::Duration::days(29));
        let later = uids(&env.app.calendar_feed_ics(&token(&created), None).await.unwrap());
        assert_eq!(later, [soon.id.clone(), edge.id.clone(), far.id.clone()], "2027-01-05 is 175 days from 2026-07-14");
        // 40 days on, it is 39 days back: gone.
        env.clock.advance(chrono::Duration::days(11));
        let much_later = uids(&env.app.calendar_feed_ics(&token(&created), None).await.unwrap());
        assert_eq!(much_later, [edge.id.clone(), far.id.clone()]);
    }
}
