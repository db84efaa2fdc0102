//! The scheduling store, and above all the database's own "never double-book a provider" rule:
//! PostgreSQL's exclusion constraint and SQLite's triggers must refuse the same writes with the
//! same `Conflict("appointment_no_overlap")`, including when many desks book one slot at once.

use crate::harness::{TestEnv, both_backends, patient};
use chrono::{NaiveDate, NaiveDateTime};
use medoffice_domain::scheduling::Interval;
use medoffice_store::scheduling::{
    self as store, AppointmentEventRow, AppointmentRow, AppointmentTypeRow, ExceptionRow, HolidayRow, LocationRow, NO_OVERLAP,
    STALE_VERSION, StatusChange, TemplateEntryRow, local_text, minute_of,
};
use medoffice_store::{StoreError, new_id};
use std::sync::Arc;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

const NOW: &str = "2026-06-15T16:00:00.000000Z";

/// A practice with two providers, a location, an appointment type and two patients.
struct Fixture {
    practice_id: String,
    providers: Vec<String>,
    patients: Vec<String>,
    location_id: String,
    type_id: String,
}

async fn fixture(env: &TestEnv) -> Fixture {
    let staff = env.practice().await;
    let practice_id = staff.front_desk.practice_id.clone();
    let mut patients = Vec::new();
    for (family, birth) in [("Doe", "1985-03-14"), ("Roe", "1990-07-02")] {
        patients.push(env.app.register_patient(&staff.front_desk, &patient(family, "Pat", birth), false).await.unwrap().id);
    }
    let mut conn = env.store.pool().acquire().await.unwrap();
    let providers: Vec<String> =
        medoffice_store::practice::list_providers(&mut conn, &practice_id).await.unwrap().into_iter().map(|p| p.id).collect();
    assert!(providers.len() >= 2, "the generated practice needs two providers: {providers:?}");
    let location_id = new_id();
    store::insert_location(
        &mut conn,
        &LocationRow {
            practice_id: practice_id.clone(),
            id: location_id.clone(),
            name: "Main office".into(),
            phone: None,
            address_line1: None,
            address_line2: None,
            city: None,
            state: None,
            postal_code: None,
            created_at: NOW.into(),
        },
    )
    .await
    .unwrap();
    let type_id = new_id();
    store::insert_appointment_type(
        &mut conn,
        &AppointmentTypeRow {
            practice_id: practice_id.clone(),
            id: type_id.clone(),
            name: "Follow-up".into(),
            duration_minutes: 30,
            colour: "#3366cc".into(),
            patient_kind: "established".into(),
            created_at: NOW.into(),
        },
        &providers[..2],
    )
    .await
    .unwrap();
    Fixture { practice_id, providers, patients, location_id, type_id }
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
}

impl Fixture {
    /// A scheduled, non-overbook appointment of provider `provider` starting at `start` (local).
    fn appointment(&self, provider: usize, start: &str, minutes: i64) -> AppointmentRow {
        let start = at(start);
        let end = start + chrono::Duration::minutes(minutes);
        AppointmentRow {
            practice_id: self.practice_id.clone(),
            id: new_id(),
            patient_id: self.patients[0].clone(),
            provider_id: self.providers[provider].clone(),
            location_id: self.location_id.clone(),
            appointment_type_id: self.type_id.clone(),
            start_at: local_text(start),
            end_at: local_text(end),
            start_minute: minute_of(start),
            end_minute: minute_of(end),
            status: "scheduled".into(),
            overbook: 0,
            cancel_reason: None,
            cancelled_by: None,
            rescheduled_to: None,
            notes: None,
            version: 1,
            created_at: NOW.into(),
            updated_at: NOW.into(),
            series_id: None,
            rescheduled_from: None,
            room_id: None,
        }
    }
}

fn assert_no_overlap_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Conflict(name)) if name == NO_OVERLAP => {}
        other => panic!("expected Conflict({NO_OVERLAP}), got {other:?}"),
    }
}

/// Pairs of occupying, non-overbook appointments of one provider that overlap: must always be 0.
async fn overlapping_pairs(env: &TestEnv) -> i64 {
    let occupying = "('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')";
    let sql = format!(
        "SELECT COUNT(*) FROM appointment a JOIN appointment b \
         ON a.practice_id = b.practice_id AND a.provider_id = b.provider_id AND a.id < b.id \
         AND a.start_minute < b.end_minute AND b.start_minute < a.end_minute \
         WHERE a.overbook = 0 AND b.overbook = 0 AND a.status IN {occupying} AND b.status IN {occupying}"
    );
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(env.store.pool()).await.unwrap();
    n
}

async fn appointment_count(env: &TestEnv) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment").fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn an_overlapping_appointment_of_the_same_provider_is_refused(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:00", 30)).await.unwrap();
        // Starting inside, identical, and containing it.
        assert_no_overlap_conflict(store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:15", 30)).await);
        assert_no_overlap_conflict(store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:00", 30)).await);
        assert_no_overlap_conflict(store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T08:00", 240)).await);
        assert_no_overlap_conflict(store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T08:45", 20)).await);
        assert_eq!(appointment_count(&env).await, 1);
        assert_eq!(overlapping_pairs(&env).await, 0);
    }
}

both_backends! {
    async fn back_to_back_and_other_providers_at_the_same_time_are_fine(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:00", 30)).await.unwrap();
        store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:30", 30)).await.unwrap();
        store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T08:30", 30)).await.unwrap();
        store::insert_appointment(&mut conn, &fx.appointment(1, "2026-07-01T09:00", 30)).await.unwrap();
        // The same time on another day.
        store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-02T09:00", 30)).await.unwrap();
        assert_eq!(appointment_count(&env).await, 5);

        let from = minute_of(at("2026-07-01T00:00"));
        let day = store::list_appointments(&mut conn, &fx.practice_id, &fx.providers[0], from, from + 1440).await.unwrap();
        let starts: Vec<&str> = day.iter().map(|a| a.start_at.as_str()).collect();
        assert_eq!(starts, ["2026-07-01T08:30", "2026-07-01T09:00", "2026-07-01T09:30"]);
        // A window inside one appointment finds it; a window ending where it starts does not.
        let inside = store::list_appointments(&mut conn, &fx.practice_id, &fx.providers[0], minute_of(at("2026-07-01T09:10")), minute_of(at("2026-07-01T09:20"))).await.unwrap();
        assert_eq!(inside.iter().map(|a| a.start_at.as_str()).collect::<Vec<_>>(), ["2026-07-01T09:00"]);
        let before = store::list_appointments(&mut conn, &fx.practice_id, &fx.providers[0], minute_of(at("2026-07-01T07:00")), minute_of(at("2026-07-01T08:30"))).await.unwrap();
        assert!(before.is_empty(), "{before:?}");

        let sheet = store::list_appointments_on(&mut conn, &fx.practice_id, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()).await.unwrap();
        assert_eq!(sheet.len(), 4);
        let booked = sheet[0].booked().unwrap();
        assert_eq!(booked.interval.length_minutes(), 30);
        assert!(booked.occupies_time());
        assert_eq!(overlapping_pairs(&env).await, 0);
    }
}

both_backends! {
    async fn cancelled_and_missed_appointments_do_not_block_their_time(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        let mut cancelled = fx.appointment(0, "2026-07-01T09:00", 30);
        cancelled.status = "cancelled".into();
        store::insert_appointment(&mut conn, &cancelled).await.unwrap();
        let mut no_show = fx.appointment(0, "2026-07-01T09:00", 30);
        no_show.status = "no_show".into();
        store::insert_appointment(&mut conn, &no_show).await.unwrap();
        let first = fx.appointment(0, "2026-07-01T09:00", 30);
        store::insert_appointment(&mut conn, &first).await.unwrap();

        // Cancelling the booked one frees the time for another.
        let change = StatusChange { status: "cancelled", cancel_reason: Some("sick"), cancelled_by: Some("patient"), updated_at: NOW, ..Default::default() };
        let after = store::update_status(&mut conn, &fx.practice_id, &first.id, 1, &change).await.unwrap();
        assert_eq!((after.status.as_str(), after.version, after.cancel_reason.as_deref()), ("cancelled", 2, Some("sick")));
        let second = fx.appointment(0, "2026-07-01T09:10", 30);
        store::insert_appointment(&mut conn, &second).await.unwrap();

        // Bringing a cancelled one back over the taken time is refused, and changes nothing.
        let back = StatusChange { status: "scheduled", updated_at: NOW, ..Default::default() };
        assert_no_overlap_conflict(store::update_status(&mut conn, &fx.practice_id, &first.id, 2, &back).await);
        let unchanged = store::get_appointment(&mut conn, &fx.practice_id, &first.id).await.unwrap();
        assert_eq!((unchanged.status.as_str(), unchanged.version), ("cancelled", 2));
        assert_eq!(overlapping_pairs(&env).await, 0);
    }
}

both_backends! {
    async fn an_overbook_appointment_may_overlap(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:00", 30)).await.unwrap();
        let mut overbook = fx.appointment(0, "2026-07-01T09:00", 30);
        overbook.overbook = 1;
        overbook.patient_id = fx.patients[1].clone();
        store::insert_appointment(&mut conn, &overbook).await.unwrap();
        let mut another = fx.appointment(0, "2026-07-01T09:15", 15);
        another.overbook = 1;
        store::insert_appointment(&mut conn, &another).await.unwrap();
        // Overbooks do not make room for a regular appointment.
        assert_no_overlap_conflict(store::insert_appointment(&mut conn, &fx.appointment(0, "2026-07-01T09:15", 15)).await);
        assert_eq!(appointment_count(&env).await, 3);
        assert_eq!(overlapping_pairs(&env).await, 0);
        // The flag is 0 or 1.
        let mut odd = fx.appointment(1, "2026-07-01T09:00", 30);
        odd.overbook = 2;
        assert!(matches!(store::insert_appointment(&mut conn, &odd).await, Err(StoreError::Conflict(_))));
    }
}

both_backends! {
    async fn moving_an_appointment_onto_a_taken_time_is_refused(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        let nine = fx.appointment(0, "2026-07-01T09:00", 30);
        let ten = fx.appointment(0, "2026-07-01T10:00", 30);
        let other = fx.appointment(1, "2026-07-01T11:00", 30);
        for a in [&nine, &ten, &other] {
            store::insert_appointment(&mut conn, a).await.unwrap();
        }
        let onto = |start: &str| Interval::new(at(start), at(start) + chrono::Duration::minutes(30)).unwrap();
        // Onto the nine o'clock, and onto the other provider's eleven o'clock.
        assert_no_overlap_conflict(store::update_time(&mut conn, &fx.practice_id, &ten.id, 1, &fx.providers[0], &onto("2026-07-01T09:15"), NOW).await);
        assert_no_overlap_conflict(store::update_time(&mut conn, &fx.practice_id, &ten.id, 1, &fx.providers[1], &onto("2026-07-01T11:00"), NOW).await);
        let unchanged = store::get_appointment(&mut conn, &fx.practice_id, &ten.id).await.unwrap();
        assert_eq!((unchanged.start_at.as_str(), unchanged.version), ("2026-07-01T10:00", 1));
        // Overlapping its own old time is fine, as is back to back with the nine o'clock.
        let moved = store::update_time(&mut conn, &fx.practice_id, &ten.id, 1, &fx.providers[0], &onto("2026-07-01T10:15"), NOW).await.unwrap();
        assert_eq!((moved.start_at.as_str(), moved.end_at.as_str(), moved.version), ("2026-07-01T10:15", "2026-07-01T10:45", 2));
        let moved = store::update_time(&mut conn, &fx.practice_id, &ten.id, 2, &fx.providers[0], &onto("2026-07-01T09:30"), NOW).await.unwrap();
        assert_eq!(moved.start_minute, minute_of(at("2026-07-01T09:30")));
        // A stale version changes nothing.
        assert!(matches!(
            store::update_time(&mut conn, &fx.practice_id, &ten.id, 2, &fx.providers[0], &onto("2026-07-01T13:00"), NOW).await,
            Err(StoreError::Conflict(name)) if name == STALE_VERSION
        ));
        assert!(matches!(
            store::update_time(&mut conn, &fx.practice_id, "no-such-id", 1, &fx.providers[0], &onto("2026-07-01T13:00"), NOW).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(overlapping_pairs(&env).await, 0);
    }
}

both_backends! {
    async fn status_changes_check_the_version_and_keep_a_numbered_history(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        let a = fx.appointment(0, "2026-07-01T09:00", 30);
        store::insert_appointment(&mut conn, &a).await.unwrap();
        let event = |from: Option<&str>, to: &str| AppointmentEventRow {
            practice_id: fx.practice_id.clone(),
            appointment_id: a.id.clone(),
            seq: 0,
            at: NOW.into(),
            user_id: None,
            from_status: from.map(str::to_string),
            to_status: to.into(),
            detail: "{}".into(),
        };
        assert_eq!(store::append_appointment_event(&mut conn, &event(None, "scheduled")).await.unwrap(), 1);
        let confirm = StatusChange { status: "confirmed", updated_at: NOW, ..Default::default() };
        let confirmed = store::update_status(&mut conn, &fx.practice_id, &a.id, 1, &confirm).await.unwrap();
        assert_eq!(confirmed.version, 2);
        assert_eq!(store::append_appointment_event(&mut conn, &event(Some("scheduled"), "confirmed")).await.unwrap(), 2);
        // A second desk still holding version 1 is refused.
        let arrive = StatusChange { status: "arrived", updated_at: NOW, ..Default::default() };
        assert!(matches!(
            store::update_status(&mut conn, &fx.practice_id, &a.id, 1, &arrive).await,
            Err(StoreError::Conflict(name)) if name == STALE_VERSION
        ));
        // An unknown status is refused by the database.
        let nonsense = StatusChange { status: "teleported", updated_at: NOW, ..Default::default() };
        assert!(matches!(store::update_status(&mut conn, &fx.practice_id, &a.id, 2, &nonsense).await, Err(StoreError::Conflict(_))));
        let events = store::list_appointment_events(&mut conn, &fx.practice_id, &a.id).await.unwrap();
        let steps: Vec<(i64, Option<&str>, &str)> = events.iter().map(|e| (e.seq, e.from_status.as_deref(), e.to_status.as_str())).collect();
        assert_eq!(steps, [(1, None, "scheduled"), (2, Some("scheduled"), "confirmed")]);
        assert_eq!(store::get_appointment(&mut conn, &fx.practice_id, &a.id).await.unwrap().status, "confirmed");
    }
}

both_backends! {
    async fn types_templates_exceptions_and_holidays_round_trip(env: TestEnv) {
        let fx = fixture(&env).await;
        let mut conn = env.store.pool().acquire().await.unwrap();
        // The generated practice brings its own types and templates; look at the fixture's.
        let types = store::list_appointment_types(&mut conn, &fx.practice_id).await.unwrap();
        let ours: Vec<_> = types.iter().filter(|t| t.appointment_type.id == fx.type_id).collect();
        assert_eq!(ours.len(), 1, "{types:?}");
        let mut expected_providers = fx.providers[..2].to_vec();
        expected_providers.sort();
        assert_eq!(ours[0].provider_ids, expected_providers);
        assert_eq!(ours[0].appointment_type.duration_minutes, 30);

        let entry = |weekday: i64, start: i64, end: i64, kind: &str| TemplateEntryRow {
            practice_id: fx.practice_id.clone(),
            id: new_id(),
            provider_id: fx.providers[0].clone(),
            location_id: fx.location_id.clone(),
            weekday,
            start_minute: start,
            end_minute: end,
            kind: kind.into(),
            reason: (kind == "block").then(|| "Lunch".to_string()),
            allowed_type_ids: (kind == "work").then(|| fx.type_id.clone()),
            allow_overbook: 0,
            created_at: NOW.into(),
        };
        for e in [entry(3, 8 * 60, 17 * 60, "work"), entry(1, 8 * 60, 12 * 60, "work"), entry(1, 12 * 60, 13 * 60, "block")] {
            store::insert_template_entry(&mut conn, &e).await.unwrap();
        }
        // A weekday 8 or an end before the start is refused by the database.
        assert!(matches!(store::insert_template_entry(&mut conn, &entry(8, 60, 120, "work")).await, Err(StoreError::Conflict(_))));
        assert!(matches!(store::insert_template_entry(&mut conn, &entry(2, 120, 60, "work")).await, Err(StoreError::Conflict(_))));
        let at_fixture = |entries: Vec<TemplateEntryRow>| entries.into_iter().filter(|e| e.location_id == fx.location_id).collect::<Vec<_>>();
        let template = at_fixture(store::list_template_entries(&mut conn, &fx.practice_id, &fx.providers[0]).await.unwrap());
        let shape: Vec<(i64, i64, &str)> = template.iter().map(|e| (e.weekday, e.start_minute, e.kind.as_str())).collect();
        assert_eq!(shape, [(1, 480, "work"), (1, 720, "block"), (3, 480, "work")]);
        assert!(at_fixture(store::list_template_entries(&mut conn, &fx.practice_id, &fx.providers[1]).await.unwrap()).is_empty());

        let exception = |date: &str| ExceptionRow {
            practice_id: fx.practice_id.clone(),
            id: new_id(),
            provider_id: fx.providers[0].clone(),
            date: date.into(),
            kind: "replace_hours".into(),
            location_id: Some(fx.location_id.clone()),
            ranges: Some("480-720".into()),
            reason: Some("Half day".into()),
            created_at: NOW.into(),
        };
        store::insert_exception(&mut conn, &exception("2026-07-06")).await.unwrap();
        assert!(matches!(
            store::insert_exception(&mut conn, &exception("2026-07-06")).await,
            Err(StoreError::Conflict(name)) if name.contains("schedule_exception")
        ));
        let d = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let exceptions = store::list_exceptions(&mut conn, &fx.practice_id, &fx.providers[0], d("2026-07-01"), d("2026-07-31")).await.unwrap();
        assert_eq!(exceptions.len(), 1);

        for (date, name) in [("2026-07-03", "Independence Day (observed)"), ("2026-09-07", "Labor Day"), ("2026-12-25", "Christmas")] {
            let h = HolidayRow { practice_id: fx.practice_id.clone(), date: date.into(), name: name.into(), created_at: NOW.into() };
            store::insert_holiday(&mut conn, &h).await.unwrap();
        }
        let summer = store::list_holidays(&mut conn, &fx.practice_id, d("2026-07-01"), d("2026-09-07")).await.unwrap();
        assert_eq!(summer.iter().map(|h| h.date.as_str()).collect::<Vec<_>>(), ["2026-07-03", "2026-09-07"]);
        let again = HolidayRow { practice_id: fx.practice_id.clone(), date: "2026-12-25".into(), name: "Again".into(), created_at: NOW.into() };
        assert!(matches!(store::insert_holiday(&mut conn, &again).await, Err(StoreError::Conflict(_))));
    }
}

/// Tasks booking one contested slot at once, in each of the rounds.
const CONTENDERS: usize = 16;
const ROUNDS: usize = 5;

both_backends! {
    async fn simultaneous_bookings_of_one_slot_let_exactly_one_win(env: TestEnv) {
        let fx = Arc::new(fixture(&env).await);
        let mut retried = 0;
        for round in 0..ROUNDS {
            // Each round a different hour; the contenders ask for the same or overlapping 30 minutes
            // (offsets 0, 10 and 20 minutes all overlap each other).
            let hour = 9 + round;
            let barrier = Arc::new(Barrier::new(CONTENDERS));
            let mut running = JoinSet::new();
            for i in 0..CONTENDERS {
                let store_handle = env.store.clone();
                let fx = Arc::clone(&fx);
                let barrier = Arc::clone(&barrier);
                let mut row = fx.appointment(0, &format!("2026-07-01T{hour:02}:{:02}", (i % 3) * 10), 30);
                row.patient_id = fx.patients[i % 2].clone();
                running.spawn(async move {
                    barrier.wait().await;
                    let mut retries = 0;
                    loop {
                        let result = match store_handle.begin().await {
                            Ok(mut tx) => match store::insert_appointment(&mut tx, &row).await {
                                Ok(()) => tx.commit().await.map_err(StoreError::from),
                                Err(e) => Err(e),
                            },
                            Err(e) => Err(e),
                        };
                        match result {
                            // A deadlock between two inserters (PostgreSQL may abort one): run the
                            // transaction again, as a use case would.
                            Err(e) if store::is_transient(&e) && retries < 20 => retries += 1,
                            other => return (retries, other),
                        }
                    }
                });
            }
            let (mut won, mut refused) = (0, 0);
            while let Some(joined) = running.join_next().await {
                let (retries, result) = joined.unwrap();
                retried += retries;
                match result {
                    Ok(()) => won += 1,
                    Err(StoreError::Conflict(name)) if name == NO_OVERLAP => refused += 1,
                    Err(e) => panic!("round {round}: a contender failed otherwise: {e:?}"),
                }
            }
            assert_eq!((won, refused), (1, CONTENDERS - 1), "round {round}");
            let mut conn = env.store.pool().acquire().await.unwrap();
            let from = minute_of(at(&format!("2026-07-01T{hour:02}:00")));
            let booked = store::list_appointments(&mut conn, &fx.practice_id, &fx.providers[0], from, from + 60).await.unwrap();
            assert_eq!(booked.len(), 1, "round {round}: {booked:?}");
        }
        assert_eq!(appointment_count(&env).await, i64::try_from(ROUNDS).unwrap());
        assert_eq!(overlapping_pairs(&env).await, 0);
        eprintln!("{:?}: {retried} transient retries", env.backend);
    }
}
