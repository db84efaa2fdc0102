//! Rescheduling, recurring series, the open-slot search across providers and overbooking by
//! role, through the use cases. The clock stands at Monday 2026-06-15, noon in New York; every
//! provider works Monday to Friday 08:00-12:00 and 13:00-17:00.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::rescheduling::{RecurringInput, RescheduleInput, SlotSearch};
use medoffice_app::scheduling::NewAppointment;
use medoffice_store::scheduling::{self as store, HolidayRow, TemplateEntryRow};

struct Setup {
    staff: Staff,
    patients: Vec<String>,
    providers: Vec<String>,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let mut patients = Vec::new();
    for (family, birth) in [("Doe", "1985-03-14"), ("Roe", "1990-07-02"), ("Poe", "1970-01-09")] {
        patients.push(env.app.register_patient(&staff.front_desk, &patient(family, "Pat", birth), false).await.unwrap().id);
    }
    let providers = env.app.list_providers(&staff.front_desk).await.unwrap().into_iter().map(|p| p.id).collect();
    Setup { staff, patients, providers }
}

fn booking(patient_id: &str, provider_id: &str, start: &str) -> NewAppointment {
    NewAppointment { patient_id: patient_id.into(), provider_id: provider_id.into(), start: start.into(), ..Default::default() }
}

both_backends! {
    async fn a_reschedule_links_the_old_and_the_new_appointment_in_one_transaction(env: TestEnv) {
        let s = setup(&env).await;
        let (p, dr) = (&s.patients[0], &s.providers[0]);
        let old = env.app.book_appointment(&s.staff.front_desk, &booking(p, dr, "2026-06-16T09:00")).await.unwrap();
        let blocker = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[1], dr, "2026-06-17T09:00")).await.unwrap();

        // Onto a taken time: refused, and the old appointment is untouched.
        let onto_taken = RescheduleInput { start: "2026-06-17T09:10".into(), reason: "Work".into(), ..Default::default() };
        let r = env.app.reschedule_appointment(&s.staff.front_desk, &old.id, &onto_taken).await;
        assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
        let still = env.app.appointment_detail(&s.staff.front_desk, &old.id).await.unwrap();
        assert_eq!(still.appointment.status, "scheduled");
        assert!(still.rescheduled_to.is_none());
        assert_eq!(invalid_fields(env.app.reschedule_appointment(&s.staff.front_desk, &old.id, &RescheduleInput::default()).await), ["start"]);
        let bad_by = RescheduleInput { start: "2026-06-18T09:00".into(), by: "the moon".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.reschedule_appointment(&s.staff.front_desk, &old.id, &bad_by).await), ["by"]);

        // To another provider and day: linked both ways, history on both.
        let input = RescheduleInput {
            start: "2026-06-18T10:00".into(),
            provider_id: s.providers[1].clone(),
            reason: "Patient has to work".into(),
            by: "patient".into(),
            ..Default::default()
        };
        let new = env.app.reschedule_appointment(&s.staff.front_desk, &old.id, &input).await.unwrap();
        assert_eq!(new.start, "2026-06-18T10:00:00-04:00");
        assert_eq!(new.provider_id, s.providers[1]);
        assert_eq!(new.patient_id, *p);
        assert_eq!(new.status, "scheduled");
        let old_detail = env.app.appointment_detail(&s.staff.front_desk, &old.id).await.unwrap();
        assert_eq!(old_detail.appointment.status, "rescheduled");
        assert_eq!(old_detail.rescheduled_to.as_deref(), Some(new.id.as_str()));
        let summary = &old_detail.history.last().unwrap().summary;
        assert!(summary.contains("Rescheduled to 2026-06-18 10:00") && summary.contains("Patient has to work"), "{summary}");
        let new_detail = env.app.appointment_detail(&s.staff.front_desk, &new.id).await.unwrap();
        assert_eq!(new_detail.rescheduled_from.as_deref(), Some(old.id.as_str()));

        // The old time is free again; a rescheduled appointment cannot be moved twice.
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[2], dr, "2026-06-16T09:00")).await.unwrap();
        let again = env.app.reschedule_appointment(&s.staff.front_desk, &old.id, &RescheduleInput { start: "2026-06-19T09:00".into(), ..Default::default() }).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
        assert_ne!(blocker.id, new.id);
    }
}

both_backends! {
    async fn a_recurring_series_skips_blocked_days_and_shows_them_before_booking(env: TestEnv) {
        let s = setup(&env).await;
        let dr = &s.providers[0];
        let practice_id = s.staff.admin.practice_id.clone();
        let mut conn = env.store.pool().acquire().await.unwrap();
        store::insert_holiday(&mut conn, &HolidayRow {
            practice_id: practice_id.clone(),
            date: "2026-06-30".into(),
            name: "Staff training day".into(),
            created_at: "2026-06-15T16:00:00.000000Z".into(),
        }).await.unwrap();
        drop(conn);
        // The third occurrence's time is taken by someone else.
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[1], dr, "2026-07-07T09:10")).await.unwrap();

        let input = RecurringInput {
            patient_id: s.patients[0].clone(),
            provider_id: dr.clone(),
            first_date: "2026-06-16".into(),
            first_time: "09:00".into(),
            every_n_weeks: "1".into(),
            count: "5".into(),
            notes: "Weekly wound check".into(),
            ..Default::default()
        };
        let preview = env.app.preview_recurring(&s.staff.front_desk, &input).await.unwrap();
        let shown: Vec<(u32, bool)> = preview.iter().map(|o| (o.number, o.bookable)).collect();
        assert_eq!(shown, [(1, true), (2, true), (3, false), (4, false), (5, true)]);
        assert!(preview[2].reason.as_deref().unwrap_or("").contains("Staff training day"), "{preview:?}");
        assert!(preview[3].reason.as_deref().unwrap_or("").contains("already has an appointment from 09:10 to 09:30"), "{preview:?}");
        assert!(env.app.list_appointments(&s.staff.admin, Some(dr), "2026-06-16").await.unwrap().is_empty(), "a preview books nothing");

        let done = env.app.book_recurring(&s.staff.front_desk, &input).await.unwrap();
        let starts: Vec<&str> = done.booked.iter().map(|a| a.start.as_str()).collect();
        assert_eq!(starts, ["2026-06-16T09:00:00-04:00", "2026-06-23T09:00:00-04:00", "2026-07-14T09:00:00-04:00"]);
        assert_eq!(done.skipped.iter().map(|o| o.number).collect::<Vec<_>>(), [3, 4]);
        let mut conn = env.store.pool().acquire().await.unwrap();
        let members = store::list_series_appointments(&mut conn, &practice_id, &done.series_id).await.unwrap();
        assert_eq!(members.len(), 3);
        assert!(members.iter().all(|m| m.notes.as_deref() == Some("Weekly wound check")));
        let series = store::get_series(&mut conn, &practice_id, &done.series_id).await.unwrap();
        assert_eq!((series.every_n_weeks, series.occurrences), (1, Some(5)));
        drop(conn);

        // Bad rules name their fields; a series with nothing bookable books nothing.
        let bad = RecurringInput { every_n_weeks: "two".into(), count: "".into(), until: "".into(), ..input.clone() };
        let mut fields = invalid_fields(env.app.preview_recurring(&s.staff.front_desk, &bad).await);
        fields.sort();
        assert_eq!(fields, ["count", "every_n_weeks"]);
        let all_taken = RecurringInput { count: "2".into(), ..input.clone() };
        assert_eq!(invalid_fields(env.app.book_recurring(&s.staff.front_desk, &all_taken).await), ["first_date"]);
        let weekend = RecurringInput { first_date: "2026-06-20".into(), until: "2026-07-04".into(), count: "".into(), ..input };
        assert!(env.app.preview_recurring(&s.staff.front_desk, &weekend).await.unwrap().iter().all(|o| !o.bookable));
    }
}

both_backends! {
    async fn the_slot_search_covers_any_provider_and_a_part_of_the_day(env: TestEnv) {
        let s = setup(&env).await;
        assert!(s.providers.len() >= 2);
        let afternoon = SlotSearch { from: "2026-06-16".into(), to: "2026-06-16".into(), part_of_day: "afternoon".into(), max_results: "50".into(), ..Default::default() };
        let slots = env.app.search_open_slots(&s.staff.front_desk, &afternoon).await.unwrap();
        assert!(!slots.is_empty());
        assert!(slots.iter().all(|x| x.start.as_str() >= "2026-06-16T12:00" && x.start.starts_with("2026-06-16T1")), "{slots:?}");
        let providers: std::collections::BTreeSet<&str> = slots.iter().map(|x| x.provider_id.as_str()).collect();
        assert!(providers.len() >= 2, "any provider: {providers:?}");

        // Book the first provider's whole afternoon in the search and it is never offered.
        let dr = &s.providers[0];
        let only = SlotSearch { provider_id: dr.clone(), ..afternoon.clone() };
        let first = env.app.search_open_slots(&s.staff.front_desk, &only).await.unwrap();
        assert!(first.iter().all(|x| &x.provider_id == dr));
        assert_eq!(first[0].start, "2026-06-16T13:00:00-04:00");
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], dr, "2026-06-16T13:00")).await.unwrap();
        let after = env.app.search_open_slots(&s.staff.front_desk, &only).await.unwrap();
        assert!(after.iter().all(|x| x.start.as_str() >= "2026-06-16T13:20"), "{after:?}");

        let bad = SlotSearch { part_of_day: "midnight".into(), provider_id: "nobody".into(), ..Default::default() };
        let mut fields = invalid_fields(env.app.search_open_slots(&s.staff.front_desk, &bad).await);
        fields.sort();
        assert_eq!(fields, ["provider_id"]);
        let bad = SlotSearch { part_of_day: "midnight".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.search_open_slots(&s.staff.front_desk, &bad).await), ["part_of_day"]);
    }
}

both_backends! {
    async fn overbooking_needs_the_template_and_a_role_that_may(env: TestEnv) {
        let s = setup(&env).await;
        let dr = &s.providers[0];
        let practice_id = s.staff.admin.practice_id.clone();
        // A Saturday clinic that may be overbooked.
        let mut conn = env.store.pool().acquire().await.unwrap();
        let location_id = store::list_locations(&mut conn, &practice_id).await.unwrap()[0].id.clone();
        store::insert_template_entry(&mut conn, &TemplateEntryRow {
            practice_id: practice_id.clone(),
            id: "saturday-clinic".into(),
            provider_id: dr.clone(),
            location_id,
            weekday: 6,
            start_minute: 9 * 60,
            end_minute: 12 * 60,
            kind: "work".into(),
            reason: None,
            allowed_type_ids: None,
            allow_overbook: 1,
            created_at: "2026-06-15T16:00:00.000000Z".into(),
        }).await.unwrap();
        drop(conn);
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], dr, "2026-06-20T09:00")).await.unwrap();

        // Not asked for: a conflict, even where the template allows it.
        let plain = env.app.book_appointment(&s.staff.admin, &booking(&s.patients[1], dr, "2026-06-20T09:00")).await;
        assert!(matches!(&plain, Err(AppError::Conflict(m)) if m.contains("overbook")), "{plain:?}");
        // The front desk may not overbook on its own.
        let desk = NewAppointment { overbook: true, ..booking(&s.patients[1], dr, "2026-06-20T09:00") };
        assert!(matches!(env.app.book_appointment(&s.staff.front_desk, &desk).await, Err(AppError::Forbidden)));
        // The office manager may, where the template allows it...
        let over = env.app.book_appointment(&s.staff.admin, &desk).await.unwrap();
        assert!(over.overbook);
        // ...and not where it does not.
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], dr, "2026-06-16T09:00")).await.unwrap();
        let weekday = NewAppointment { overbook: true, ..booking(&s.patients[2], dr, "2026-06-16T09:00") };
        assert!(matches!(env.app.book_appointment(&s.staff.admin, &weekday).await, Err(AppError::Conflict(_))));
        assert_eq!(env.app.list_appointments(&s.staff.admin, Some(dr), "2026-06-20").await.unwrap().len(), 2);
    }
}

both_backends! {
    async fn desks_racing_through_the_use_cases_never_double_book(env: TestEnv) {
        let s = setup(&env).await;
        let dr = s.providers[0].clone();
        let desk = s.staff.front_desk.clone();
        // Eight desks, three rounds: each round all ask at once for overlapping times of one hour.
        for (round, hour) in [9, 10, 14].into_iter().enumerate() {
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
            let mut running = tokio::task::JoinSet::new();
            for i in 0..8usize {
                let app = env.app.clone();
                let desk = desk.clone();
                let barrier = barrier.clone();
                let input = booking(&s.patients[i % 3], &dr, &format!("2026-06-17T{hour:02}:{:02}", (i % 2) * 10));
                running.spawn(async move {
                    barrier.wait().await;
                    app.book_appointment(&desk, &input).await
                });
            }
            let (mut won, mut lost) = (0, 0);
            while let Some(joined) = running.join_next().await {
                match joined.unwrap() {
                    Ok(_) => won += 1,
                    Err(AppError::Conflict(_)) => lost += 1,
                    Err(other) => panic!("round {round}: {other:?}"),
                }
            }
            assert_eq!((won, lost), (1, 7), "round {round}");
        }
        let day = env.app.list_appointments(&s.staff.admin, Some(&dr), "2026-06-17").await.unwrap();
        assert_eq!(day.len(), 3);
        for pair in day.windows(2) {
            assert!(pair[0].end <= pair[1].start, "{pair:?}");
        }
    }
}

both_backends! {
    async fn generated_appointments_fill_the_templates_without_one_overlap(env: TestEnv) {
        let s = setup(&env).await;
        let practice_id = s.staff.admin.practice_id.clone();
        let made = env.app.generate_appointments(&practice_id, 28, 7, 7).await.unwrap();
        assert!(made.appointments > 100, "{made:?}");
        assert!(made.past > 0 && made.past < made.appointments, "{made:?}");
        // Every one inside working hours: none at lunch or on a weekend, and no two overlapping.
        let mut conn = env.store.pool().acquire().await.unwrap();
        for dr in &s.providers {
            let from = store::minute_of(chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap().and_hms_opt(0, 0, 0).unwrap());
            let rows = store::list_appointments(&mut conn, &practice_id, dr, from, from + 60 * 24 * 60).await.unwrap();
            for a in &rows {
                let start = a.interval().unwrap().start();
                assert!(!matches!(chrono::Datelike::weekday(&start.date()), chrono::Weekday::Sat | chrono::Weekday::Sun), "{a:?}");
                assert!(!a.start_at.contains("T12:"), "lunch: {a:?}");
            }
            let occupying: Vec<_> = rows.iter().filter(|a| a.status().unwrap().occupies_time()).collect();
            for pair in occupying.windows(2) {
                assert!(pair[0].end_minute <= pair[1].start_minute, "{pair:?}");
            }
        }
        drop(conn);
        // The booking rules see them: an open-slot search never offers a generated appointment's time.
        let slots = env.app.search_open_slots(&s.staff.front_desk, &SlotSearch { max_results: "50".into(), ..Default::default() }).await.unwrap();
        let booked = env.app.list_appointments(&s.staff.admin, None, "2026-06-16").await.unwrap();
        for slot in slots.iter().filter(|x| x.start.starts_with("2026-06-16")) {
            assert!(booked.iter().filter(|a| a.provider_id == slot.provider_id && a.status != "cancelled" && a.status != "no_show")
                .all(|a| a.end <= slot.start || a.start >= slot.end), "{slot:?}");
        }
    }
}
