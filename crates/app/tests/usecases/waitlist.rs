//! The waitlist through the use cases: entries, the offers a freed slot makes (written in the
//! cancellation's own transaction), booking and declining offers, offers whose slot is gone. The
//! practice comes from `generate` (every provider works Monday to Friday 08:00-12:00 and
//! 13:00-17:00; "Office visit" lasts 20 minutes, "Annual physical" 40). The clock stands at Monday
//! 2026-06-15, noon in New York.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::scheduling::{NewAppointment, StatusEventInput};
use medoffice_app::views::WaitlistEntryView;
use medoffice_app::waitlist::NewWaitlistEntry;
use medoffice_store::audit::AuditFilter;
use medoffice_store::waitlist::{self as store, WaitlistOfferRow};

struct Setup {
    staff: Staff,
    providers: Vec<String>,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let providers: Vec<String> = env.app.list_providers(&staff.front_desk).await.unwrap().into_iter().map(|p| p.id).collect();
    assert!(providers.len() >= 2, "the generated practice has several providers");
    Setup { staff, providers }
}

/// Registers a patient with a distinct name and birth date; returns the id.
async fn register(env: &TestEnv, s: &Setup, family: &str, birth_date: &str) -> String {
    env.app.register_patient(&s.staff.front_desk, &patient(family, "Pat", birth_date), false).await.unwrap().id
}

async fn book(env: &TestEnv, s: &Setup, patient_id: &str, provider_id: &str, start: &str) -> String {
    let input =
        NewAppointment { patient_id: patient_id.into(), provider_id: provider_id.into(), start: start.into(), ..Default::default() };
    env.app.book_appointment(&s.staff.front_desk, &input).await.unwrap().id
}

fn cancel() -> StatusEventInput {
    StatusEventInput { event: "cancel".into(), reason: "Patient is ill".into(), by: "patient".into() }
}

fn entry(patient_id: &str, provider_id: &str, earliest: &str, latest: &str, part_of_day: &str) -> NewWaitlistEntry {
    NewWaitlistEntry {
        patient_id: patient_id.into(),
        provider_id: provider_id.into(),
        earliest_date: earliest.into(),
        latest_date: latest.into(),
        part_of_day: part_of_day.into(),
        ..Default::default()
    }
}

fn find<'a>(list: &'a [WaitlistEntryView], id: &str) -> &'a WaitlistEntryView {
    list.iter().find(|e| e.id == id).unwrap_or_else(|| panic!("entry {id} not listed: {list:?}"))
}

async fn audits(env: &TestEnv, s: &Setup, prefix: &str) -> usize {
    let filter = AuditFilter { action_prefix: Some(prefix.into()), ..Default::default() };
    env.app.audit_trail(&s.staff.admin, &filter, 500).await.unwrap().len()
}

both_backends! {
    async fn a_freed_slot_is_offered_only_to_the_entries_it_fits(env: TestEnv) {
        let s = setup(&env).await;
        let (p0, p1) = (s.providers[0].clone(), s.providers[1].clone());
        let booked_patient = register(&env, &s, "Abbott", "1970-01-01").await;
        // Wednesday 09:00-09:20 with the first provider: an office visit, to be cancelled.
        let appointment = book(&env, &s, &booked_patient, &p0, "2026-06-17T09:00").await;

        let mut ids = Vec::new();
        let cases: [(&str, &str, NewWaitlistEntry, bool); 7] = [
            ("Baker", "1971-02-02", entry("", &p0, "2026-06-16", "2026-06-30", "any"), true),
            ("Clark", "1972-03-03", entry("", "", "2026-06-17", "2026-06-17", "morning"), true),
            ("Dixon", "1973-04-04", entry("", &p1, "2026-06-16", "2026-06-30", "any"), false),
            ("Evans", "1974-05-05", entry("", "", "2026-06-18", "2026-06-30", "any"), false),
            ("Foster", "1975-06-06", entry("", "", "2026-06-16", "2026-06-30", "afternoon"), false),
            ("Grant", "1976-07-07", NewWaitlistEntry { appointment_type: "Annual physical".into(), ..entry("", "", "2026-06-16", "2026-06-30", "any") }, false),
            ("Abbott", "", entry("", "", "2026-06-16", "2026-06-30", "any"), false),
        ];
        for (family, birth, mut input, _) in cases.clone() {
            input.patient_id = if birth.is_empty() { booked_patient.clone() } else { register(&env, &s, family, birth).await };
            let added = env.app.add_waitlist_entry(&s.staff.front_desk, &input).await.unwrap();
            assert_eq!(added.status, "waiting");
            assert_eq!(added.added_by, s.staff.front_desk.display_name);
            ids.push(added.id);
        }
        let listed = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        assert_eq!(listed.len(), 7);
        assert_eq!(find(&listed, &ids[1]).provider_name, "Any provider");
        assert_eq!(find(&listed, &ids[5]).duration_minutes, 40);
        assert!(listed.iter().all(|e| e.offers.is_empty()));

        env.app.change_appointment_status(&s.staff.front_desk, &appointment, &cancel()).await.unwrap();

        let listed = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        for (i, (family, _, _, fits)) in cases.iter().enumerate() {
            let e = find(&listed, &ids[i]);
            if *fits {
                assert_eq!(e.status, "offered", "{family}");
                assert_eq!(e.offers.len(), 1, "{family}");
                let offer = &e.offers[0];
                assert_eq!(offer.start, "2026-06-17T09:00:00-04:00");
                assert_eq!(offer.end, "2026-06-17T09:20:00-04:00");
                assert_eq!(offer.provider_id, p0);
                assert!(!offer.gone);
                assert_eq!(offer.status, "open");
            } else {
                assert_eq!(e.status, "waiting", "{family} should not be offered the slot");
                assert!(e.offers.is_empty(), "{family}: {:?}", e.offers);
            }
        }
        assert_eq!(audits(&env, &s, "waitlist.offer").await, 2);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn the_offer_is_written_in_the_cancellations_own_transaction(env: TestEnv) {
        let s = setup(&env).await;
        let p0 = s.providers[0].clone();
        let booked_patient = register(&env, &s, "Abbott", "1970-01-01").await;
        let waiting = register(&env, &s, "Baker", "1971-02-02").await;
        let appointment = book(&env, &s, &booked_patient, &p0, "2026-06-17T09:00").await;
        let added = env.app.add_waitlist_entry(&s.staff.front_desk, &entry(&waiting, "", "2026-06-16", "2026-06-30", "any")).await.unwrap();

        // An offer row for this entry and appointment already exists, so writing the offer fails
        // (waitlist_offer_once_per_slot): the whole status change must fail with it.
        let mut conn = env.store.pool().acquire().await.unwrap();
        let stamp = "2026-06-15T16:00:00.000000Z".to_string();
        store::insert_offer(&mut conn, &WaitlistOfferRow {
            practice_id: s.staff.admin.practice_id.clone(),
            id: "planted-offer".into(),
            entry_id: added.id.clone(),
            freed_appointment_id: appointment.clone(),
            provider_id: p0.clone(),
            location_id: "nowhere".into(),
            appointment_type_id: "none".into(),
            start_at: "2026-06-17T09:00".into(),
            end_at: "2026-06-17T09:20".into(),
            start_minute: 0,
            end_minute: 20,
            status: "declined".into(),
            booked_appointment_id: None,
            created_by: s.staff.admin.user_id.clone(),
            created_at: stamp.clone(),
            updated_at: stamp,
        }).await.unwrap();
        drop(conn);
        let refused = env.app.change_appointment_status(&s.staff.front_desk, &appointment, &cancel()).await;
        assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
        let day = env.app.list_appointments(&s.staff.front_desk, Some(&p0), "2026-06-17").await.unwrap();
        assert_eq!(day[0].status, "scheduled", "the cancellation was rolled back with the offer");
        assert_eq!(audits(&env, &s, "appointment.status").await, 0);
        assert_eq!(audits(&env, &s, "waitlist.offer").await, 0);

        // Without the planted row, the cancellation and its offer commit together.
        sqlx::query("DELETE FROM waitlist_offer WHERE id = 'planted-offer'").execute(env.store.pool()).await.unwrap();
        env.app.change_appointment_status(&s.staff.front_desk, &appointment, &cancel()).await.unwrap();
        let listed = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        assert_eq!(find(&listed, &added.id).offers.len(), 1);
        assert_eq!(audits(&env, &s, "appointment.status").await, 1);
        assert_eq!(audits(&env, &s, "waitlist.offer").await, 1);
    }
}

both_backends! {
    async fn a_no_show_in_the_future_offers_its_slot_but_a_past_one_does_not(env: TestEnv) {
        let s = setup(&env).await;
        let p0 = s.providers[0].clone();
        let booked_patient = register(&env, &s, "Abbott", "1970-01-01").await;
        let waiting = register(&env, &s, "Baker", "1971-02-02").await;
        let tuesday = book(&env, &s, &booked_patient, &p0, "2026-06-16T09:00").await;
        let thursday = book(&env, &s, &booked_patient, &p0, "2026-06-18T14:00").await;
        let added = env.app.add_waitlist_entry(&s.staff.front_desk, &entry(&waiting, "", "2026-06-16", "2026-06-30", "any")).await.unwrap();

        // Wednesday: Tuesday's appointment is past; Thursday's is still ahead.
        env.clock.advance(chrono::Duration::days(2));
        let no_show = StatusEventInput { event: "no_show".into(), ..Default::default() };
        env.app.change_appointment_status(&s.staff.front_desk, &tuesday, &no_show).await.unwrap();
        assert!(find(&env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap(), &added.id).offers.is_empty());
        env.app.change_appointment_status(&s.staff.front_desk, &thursday, &no_show).await.unwrap();
        let listed = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        let offers = &find(&listed, &added.id).offers;
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].start, "2026-06-18T14:00:00-04:00");
        // A confirmation frees nothing.
        let other = book(&env, &s, &booked_patient, &p0, "2026-06-19T10:00").await;
        env.app.change_appointment_status(&s.staff.front_desk, &other, &StatusEventInput { event: "confirm".into(), ..Default::default() }).await.unwrap();
        assert_eq!(find(&env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap(), &added.id).offers.len(), 1);
    }
}

both_backends! {
    async fn booking_an_offer_books_the_patient_and_closes_the_entry_and_the_slot_is_gone_for_the_others(env: TestEnv) {
        let s = setup(&env).await;
        let p0 = s.providers[0].clone();
        let booked_patient = register(&env, &s, "Abbott", "1970-01-01").await;
        let first = register(&env, &s, "Baker", "1971-02-02").await;
        let second = register(&env, &s, "Clark", "1972-03-03").await;
        let wednesday = book(&env, &s, &booked_patient, &p0, "2026-06-17T09:00").await;
        let thursday = book(&env, &s, &booked_patient, &p0, "2026-06-18T09:00").await;
        let mut wants = entry(&first, &p0, "2026-06-16", "2026-06-30", "morning");
        wants.note = "Can come at short notice".into();
        let first_entry = env.app.add_waitlist_entry(&s.staff.front_desk, &wants).await.unwrap();
        let second_entry = env.app.add_waitlist_entry(&s.staff.front_desk, &entry(&second, "", "2026-06-17", "2026-06-17", "any")).await.unwrap();
        env.app.change_appointment_status(&s.staff.front_desk, &wednesday, &cancel()).await.unwrap();
        env.app.change_appointment_status(&s.staff.front_desk, &thursday, &cancel()).await.unwrap();

        let listed = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        let offers = find(&listed, &first_entry.id).offers.clone();
        assert_eq!(offers.len(), 2, "both freed slots fit the first entry");
        let wednesday_offer = offers.iter().find(|o| o.start.starts_with("2026-06-17")).unwrap();
        let booked = env.app.book_waitlist_offer(&s.staff.front_desk, &wednesday_offer.id).await.unwrap();
        assert_eq!(booked.patient_id, first);
        assert_eq!(booked.provider_id, p0);
        assert_eq!(booked.start, "2026-06-17T09:00:00-04:00");
        assert_eq!(booked.appointment_type_name, "Office visit");
        assert_eq!(booked.notes.as_deref(), Some("From the waitlist: Can come at short notice"));

        // The entry is booked (so no longer listed as looking), its other offer withdrawn.
        let looking = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        assert!(looking.iter().all(|e| e.id != first_entry.id));
        let all = env.app.list_waitlist(&s.staff.front_desk, true).await.unwrap();
        let done = find(&all, &first_entry.id);
        assert_eq!(done.status, "booked");
        assert_eq!(done.booked_appointment_id.as_deref(), Some(booked.id.as_str()));
        assert!(done.offers.is_empty(), "no open offers left: {:?}", done.offers);
        let thursday_offer = offers.iter().find(|o| o.start.starts_with("2026-06-18")).unwrap();
        assert!(matches!(env.app.book_waitlist_offer(&s.staff.front_desk, &thursday_offer.id).await, Err(AppError::Conflict(_))));

        // The second entry was offered the same Wednesday slot: it is gone now, and booking it is a conflict.
        let other = find(&looking, &second_entry.id);
        assert_eq!(other.offers.len(), 1);
        assert!(other.offers[0].gone, "{:?}", other.offers[0]);
        let refused = env.app.book_waitlist_offer(&s.staff.front_desk, &other.offers[0].id).await;
        assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
        let day = env.app.list_appointments(&s.staff.front_desk, Some(&p0), "2026-06-17").await.unwrap();
        assert_eq!(day.iter().filter(|a| a.status == "scheduled").count(), 1);
        assert_eq!(audits(&env, &s, "waitlist.book").await, 1);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn an_offer_is_gone_once_someone_books_its_time_and_declining_returns_the_entry_to_waiting(env: TestEnv) {
        let s = setup(&env).await;
        let p0 = s.providers[0].clone();
        let booked_patient = register(&env, &s, "Abbott", "1970-01-01").await;
        let waiting = register(&env, &s, "Baker", "1971-02-02").await;
        let walk_in = register(&env, &s, "Clark", "1972-03-03").await;
        let appointment = book(&env, &s, &booked_patient, &p0, "2026-06-17T10:00").await;
        let added = env.app.add_waitlist_entry(&s.staff.front_desk, &entry(&waiting, "", "", "2026-06-30", "")).await.unwrap();
        assert_eq!(added.earliest_date, "2026-06-15", "blank earliest date is today");
        assert_eq!(added.part_of_day, "any");
        env.app.change_appointment_status(&s.staff.front_desk, &appointment, &cancel()).await.unwrap();
        let offer = find(&env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap(), &added.id).offers[0].clone();
        assert!(!offer.gone);

        // The desk books the freed time for someone else (the booking code knows nothing of offers).
        book(&env, &s, &walk_in, &p0, "2026-06-17T10:10").await;
        let listed = env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap();
        let e = find(&listed, &added.id);
        assert_eq!(e.status, "offered");
        assert!(e.offers[0].gone, "the slot overlaps the new booking");

        env.app.decline_waitlist_offer(&s.staff.front_desk, &offer.id).await.unwrap();
        let e = find(&env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap(), &added.id).clone();
        assert_eq!(e.status, "waiting");
        assert!(e.offers.is_empty());
        assert!(matches!(env.app.decline_waitlist_offer(&s.staff.front_desk, &offer.id).await, Err(AppError::Conflict(_))));

        env.app.remove_waitlist_entry(&s.staff.front_desk, &added.id).await.unwrap();
        assert!(env.app.list_waitlist(&s.staff.front_desk, false).await.unwrap().is_empty());
        assert_eq!(find(&env.app.list_waitlist(&s.staff.front_desk, true).await.unwrap(), &added.id).status, "removed");
        assert!(matches!(env.app.remove_waitlist_entry(&s.staff.front_desk, &added.id).await, Err(AppError::Conflict(_))));
        assert_eq!(audits(&env, &s, "waitlist.decline").await, 1);
        assert_eq!(audits(&env, &s, "waitlist.remove").await, 1);
    }
}

both_backends! {
    async fn bad_waitlist_input_names_each_field(env: TestEnv) {
        let s = setup(&env).await;
        let waiting = register(&env, &s, "Baker", "1971-02-02").await;
        let mut fields = invalid_fields(env.app.add_waitlist_entry(&s.staff.front_desk, &entry("", "", "2026-06-01", "", "evening")).await);
        fields.sort();
        assert_eq!(fields, ["earliest_date", "latest_date", "part_of_day", "patient_id"]);
        assert_eq!(
            invalid_fields(env.app.add_waitlist_entry(&s.staff.front_desk, &entry(&waiting, "", "2026-06-20", "2026-06-19", "any")).await),
            ["latest_date"]
        );
        assert_eq!(
            invalid_fields(env.app.add_waitlist_entry(&s.staff.front_desk, &entry(&waiting, "", "2026-06-20", "2028-06-19", "any")).await),
            ["latest_date"]
        );
        let mut unknown = entry(&waiting, "no-such-provider", "2026-06-16", "2026-06-30", "any");
        unknown.appointment_type = "Massage".into();
        let mut fields = invalid_fields(env.app.add_waitlist_entry(&s.staff.front_desk, &unknown).await);
        fields.sort();
        assert_eq!(fields, ["appointment_type", "provider_id"]);
        assert_eq!(
            invalid_fields(env.app.add_waitlist_entry(&s.staff.front_desk, &entry("no-such-patient", "", "2026-06-16", "2026-06-30", "any")).await),
            ["patient_id"]
        );
        assert!(env.app.list_waitlist(&s.staff.admin, true).await.unwrap().is_empty());
    }
}

both_backends! {
    async fn the_desk_manages_the_waitlist_providers_read_it_and_the_bookkeeper_and_biller_are_refused(env: TestEnv) {
        let s = setup(&env).await;
        let waiting = register(&env, &s, "Baker", "1971-02-02").await;
        let input = entry(&waiting, "", "2026-06-16", "2026-06-30", "any");
        let added = env.app.add_waitlist_entry(&s.staff.admin, &input).await.unwrap();
        for actor in [&s.staff.provider, &s.staff.biller, &s.staff.bookkeeper] {
            assert!(matches!(env.app.add_waitlist_entry(actor, &input).await, Err(AppError::Forbidden)), "{}", actor.username);
            assert!(matches!(env.app.remove_waitlist_entry(actor, &added.id).await, Err(AppError::Forbidden)), "{}", actor.username);
            assert!(matches!(env.app.book_waitlist_offer(actor, "any-offer").await, Err(AppError::Forbidden)), "{}", actor.username);
            assert!(matches!(env.app.decline_waitlist_offer(actor, "any-offer").await, Err(AppError::Forbidden)), "{}", actor.username);
        }
        assert_eq!(env.app.list_waitlist(&s.staff.provider, false).await.unwrap().len(), 1);
        for actor in [&s.staff.biller, &s.staff.bookkeeper] {
            assert!(matches!(env.app.list_waitlist(actor, false).await, Err(AppError::Forbidden)), "{}", actor.username);
        }
        let filter = AuditFilter { action_prefix: Some("access.denied".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&s.staff.admin, &filter, 100).await.unwrap().len(), 14);
        assert_eq!(audits(&env, &s, "waitlist.list").await, 1);
    }
}
