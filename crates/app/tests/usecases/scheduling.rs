//! Booking appointments, listing them, open slots and the lifecycle, through the use cases. The
//! practice comes from `generate`: one location, "Office visit" (20 min), "New patient visit" and
//! "Annual physical" (40 min), every provider working Monday to Friday 08:00-12:00 and 13:00-17:00.
//! The clock stands at Monday 2026-06-15, noon in New York.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::scheduling::{NewAppointment, OpenSlotsInput, StatusEventInput};
use medoffice_store::audit::AuditFilter;
use medoffice_store::scheduling::HolidayRow;

struct Setup {
    staff: Staff,
    patients: Vec<String>,
    provider: String,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let mut patients = Vec::new();
    for (family, birth) in [("Doe", "1985-03-14"), ("Roe", "1990-07-02")] {
        patients.push(env.app.register_patient(&staff.front_desk, &patient(family, "Pat", birth), false).await.unwrap().id);
    }
    let provider = env.app.list_providers(&staff.front_desk).await.unwrap()[0].id.clone();
    Setup { staff, patients, provider }
}

fn booking(patient_id: &str, provider_id: &str, start: &str) -> NewAppointment {
    NewAppointment { patient_id: patient_id.into(), provider_id: provider_id.into(), start: start.into(), ..Default::default() }
}

fn event(name: &str) -> StatusEventInput {
    StatusEventInput { event: name.into(), ..Default::default() }
}

fn cancel() -> StatusEventInput {
    StatusEventInput { event: "cancel".into(), reason: "Patient is ill".into(), by: "patient".into() }
}

both_backends! {
    async fn a_booking_in_an_open_slot_is_made_audited_and_listed(env: TestEnv) {
        let s = setup(&env).await;
        let booked = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00")).await.unwrap();
        assert_eq!(booked.start, "2026-06-16T09:00:00-04:00");
        assert_eq!(booked.end, "2026-06-16T09:20:00-04:00", "the standard visit lasts 20 minutes");
        assert_eq!(booked.appointment_type_name, "Office visit");
        assert_eq!(booked.status, "scheduled");
        assert_eq!(booked.patient_id, s.patients[0]);
        assert_eq!(booked.provider_id, s.provider);

        // An RFC 3339 time with another offset means the same instant: 14:00Z is 10:00 in New York.
        let mut physical = booking(&s.patients[1], &s.provider, "2026-06-16T14:00:00Z");
        physical.appointment_type = "annual physical".into();
        let second = env.app.book_appointment(&s.staff.admin, &physical).await.unwrap();
        assert_eq!(second.start, "2026-06-16T10:00:00-04:00");
        assert_eq!(second.end, "2026-06-16T10:40:00-04:00");

        let filter = AuditFilter { action_prefix: Some("appointment.create".into()), ..Default::default() };
        let trail = env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap();
        assert_eq!(trail.len(), 2, "{trail:?}");
        assert!(trail.iter().any(|r| r.patient_id.as_deref() == Some(s.patients[0].as_str()) && r.record_id.as_deref() == Some(booked.id.as_str())));

        let listed = env.app.list_appointments(&s.staff.provider, Some(&s.provider), "2026-06-16").await.unwrap();
        let ids: Vec<&str> = listed.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, [booked.id.as_str(), second.id.as_str()]);
        assert_eq!(env.app.list_appointments(&s.staff.biller, None, "2026-06-16").await.unwrap().len(), 2);
        assert!(env.app.list_appointments(&s.staff.biller, None, "2026-06-17").await.unwrap().is_empty());
        let filter = AuditFilter { action_prefix: Some("appointment.list".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap().len(), 3);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn an_overlapping_booking_is_a_conflict(env: TestEnv) {
        let s = setup(&env).await;
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00")).await.unwrap();
        for start in ["2026-06-16T09:00", "2026-06-16T08:50", "2026-06-16T09:19"] {
            let again = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[1], &s.provider, start)).await;
            assert!(matches!(again, Err(AppError::Conflict(_))), "{start}: {again:?}");
        }
        // Back to back is fine: intervals are half-open.
        env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[1], &s.provider, "2026-06-16T09:20")).await.unwrap();
        assert_eq!(env.app.list_appointments(&s.staff.admin, Some(&s.provider), "2026-06-16").await.unwrap().len(), 2);
    }
}

both_backends! {
    async fn times_outside_working_hours_on_a_holiday_or_in_the_past_are_refused(env: TestEnv) {
        let s = setup(&env).await;
        let refuse = |start: &'static str| booking(&s.patients[0], &s.provider, start);
        for start in [
            "2026-06-16T07:00", // before hours
            "2026-06-16T12:10", // lunch
            "2026-06-16T11:50", // runs into lunch
            "2026-06-20T09:00", // Saturday
            "2026-06-15T09:00", // this morning: past
        ] {
            assert_eq!(invalid_fields(env.app.book_appointment(&s.staff.front_desk, &refuse(start)).await), ["start"], "{start}");
        }
        let mut conn = env.store.pool().acquire().await.unwrap();
        medoffice_store::scheduling::insert_holiday(&mut conn, &HolidayRow {
            practice_id: s.staff.admin.practice_id.clone(),
            date: "2026-07-03".into(),
            name: "Independence Day (observed)".into(),
            created_at: "2026-06-15T16:00:00.000000Z".into(),
        }).await.unwrap();
        drop(conn);
        match env.app.book_appointment(&s.staff.front_desk, &refuse("2026-07-03T09:00")).await {
            Err(AppError::Validation(e)) => assert!(e.summary().contains("Independence Day"), "{e}"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        let mut bad = booking("", &s.provider, "tomorrow at nine");
        bad.appointment_type = "Massage".into();
        let mut fields = invalid_fields(env.app.book_appointment(&s.staff.front_desk, &bad).await);
        fields.sort();
        assert_eq!(fields, ["patient_id", "start"]);
        let mut bad = booking(&s.patients[0], "no-such-provider", "2026-06-16T09:00");
        bad.appointment_type = "Massage".into();
        let mut fields = invalid_fields(env.app.book_appointment(&s.staff.front_desk, &bad).await);
        fields.sort();
        assert_eq!(fields, ["appointment_type", "provider_id"]);
        assert!(env.app.list_appointments(&s.staff.admin, None, "2026-06-16").await.unwrap().is_empty());
    }
}

both_backends! {
    async fn open_slots_never_overlap_a_booked_appointment(env: TestEnv) {
        let s = setup(&env).await;
        let input = OpenSlotsInput { from: "2026-06-16".into(), to: "2026-06-16".into(), duration_minutes: "30".into(), ..Default::default() };
        let before = env.app.open_slots(&s.staff.front_desk, &s.provider, &input).await.unwrap();
        assert_eq!(before.first().map(|x| x.start.as_str()), Some("2026-06-16T08:00:00-04:00"));
        assert!(before.iter().any(|x| x.start == "2026-06-16T09:00:00-04:00"));
        assert!(before.iter().all(|x| !x.start.contains("T12:")), "lunch is not offered: {before:?}");

        let booked = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00")).await.unwrap();
        let after = env.app.open_slots(&s.staff.front_desk, &s.provider, &input).await.unwrap();
        let taken = (booked.start.clone(), booked.end.clone());
        for slot in &after {
            // Same offset and fixed width: text order is time order.
            assert!(slot.end <= taken.0 || slot.start >= taken.1, "{slot:?} overlaps {taken:?}");
        }
        assert!(after.len() < before.len());
        assert!(after.iter().any(|x| x.start == "2026-06-16T09:30:00-04:00"));

        // Bounded: a long range answers at most 50 slots; more than 92 days is refused.
        let wide = OpenSlotsInput { from: "2026-06-16".into(), to: "2026-08-31".into(), ..Default::default() };
        assert_eq!(env.app.open_slots(&s.staff.provider, &s.provider, &wide).await.unwrap().len(), 50);
        let too_wide = OpenSlotsInput { from: "2026-06-16".into(), to: "2027-06-16".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.open_slots(&s.staff.provider, &s.provider, &too_wide).await), ["to"]);
        let bad = OpenSlotsInput { from: "yesterday".into(), duration_minutes: "7".into(), ..Default::default() };
        let mut fields = invalid_fields(env.app.open_slots(&s.staff.provider, &s.provider, &bad).await);
        fields.sort();
        assert_eq!(fields, ["duration_minutes"]);
        assert!(matches!(env.app.open_slots(&s.staff.provider, "no-such-provider", &input).await, Err(AppError::NotFound(_))));
    }
}

both_backends! {
    async fn a_cancellation_frees_the_time(env: TestEnv) {
        let s = setup(&env).await;
        let first = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00")).await.unwrap();
        let confirmed = env.app.change_appointment_status(&s.staff.front_desk, &first.id, &event("confirm")).await.unwrap();
        assert_eq!(confirmed.status, "confirmed");
        assert!(confirmed.version > first.version);
        assert_eq!(
            invalid_fields(env.app.change_appointment_status(&s.staff.front_desk, &first.id, &event("cancel")).await),
            ["reason", "by"]
        );
        let cancelled = env.app.change_appointment_status(&s.staff.front_desk, &first.id, &cancel()).await.unwrap();
        assert_eq!(cancelled.status, "cancelled");
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("Patient is ill"));
        assert_eq!(cancelled.cancelled_by.as_deref(), Some("patient"));
        let second = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[1], &s.provider, "2026-06-16T09:00")).await.unwrap();
        assert_eq!(second.start, first.start);

        let mut conn = env.store.pool().acquire().await.unwrap();
        let history = medoffice_store::scheduling::list_appointment_events(&mut conn, &s.staff.admin.practice_id, &first.id).await.unwrap();
        let steps: Vec<(Option<&str>, &str)> = history.iter().map(|e| (e.from_status.as_deref(), e.to_status.as_str())).collect();
        assert_eq!(steps, [(None, "scheduled"), (Some("scheduled"), "confirmed"), (Some("confirmed"), "cancelled")]);
        assert!(history[2].detail.contains("Patient is ill"), "{}", history[2].detail);
    }
}

both_backends! {
    async fn steps_the_lifecycle_does_not_allow_are_refused(env: TestEnv) {
        let s = setup(&env).await;
        let a = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00")).await.unwrap();
        for refused in ["room", "check_out", "complete"] {
            let r = env.app.change_appointment_status(&s.staff.front_desk, &a.id, &event(refused)).await;
            assert!(matches!(r, Err(AppError::Conflict(_))), "{refused}: {r:?}");
        }
        assert_eq!(env.app.change_appointment_status(&s.staff.front_desk, &a.id, &event("arrive")).await.unwrap().status, "arrived");
        assert_eq!(env.app.change_appointment_status(&s.staff.front_desk, &a.id, &event("room")).await.unwrap().status, "in_room");
        let r = env.app.change_appointment_status(&s.staff.front_desk, &a.id, &event("no_show")).await;
        assert!(matches!(&r, Err(AppError::Conflict(m)) if m.contains("no-show")), "{r:?}");
        assert_eq!(invalid_fields(env.app.change_appointment_status(&s.staff.front_desk, &a.id, &event("teleport")).await), ["event"]);
        assert!(matches!(
            env.app.change_appointment_status(&s.staff.front_desk, "no-such-appointment", &event("confirm")).await,
            Err(AppError::NotFound(_))
        ));
        let listed = env.app.list_appointments(&s.staff.admin, None, "2026-06-16").await.unwrap();
        assert_eq!(listed[0].status, "in_room");
    }
}

both_backends! {
    async fn a_bookkeeper_may_not_book_or_read_and_a_provider_only_reads(env: TestEnv) {
        let s = setup(&env).await;
        let a = env.app.book_appointment(&s.staff.front_desk, &booking(&s.patients[0], &s.provider, "2026-06-16T09:00")).await.unwrap();
        let forbidden = |r: &medoffice_app::Result<_>| matches!(r, Err(AppError::Forbidden));
        let b = env.app.book_appointment(&s.staff.bookkeeper, &booking(&s.patients[1], &s.provider, "2026-06-16T10:00")).await;
        assert!(forbidden(&b.map(|_| ())), "bookkeeper booked");
        let l = env.app.list_appointments(&s.staff.bookkeeper, None, "2026-06-16").await;
        assert!(forbidden(&l.map(|_| ())));
        let o = env.app.open_slots(&s.staff.bookkeeper, &s.provider, &OpenSlotsInput::default()).await;
        assert!(forbidden(&o.map(|_| ())));
        let c = env.app.change_appointment_status(&s.staff.bookkeeper, &a.id, &event("confirm")).await;
        assert!(forbidden(&c.map(|_| ())));
        let p = env.app.book_appointment(&s.staff.provider, &booking(&s.patients[1], &s.provider, "2026-06-16T10:00")).await;
        assert!(forbidden(&p.map(|_| ())), "a provider reads the schedule but does not book");
        assert_eq!(env.app.list_appointments(&s.staff.admin, None, "2026-06-16").await.unwrap().len(), 1);
        let filter = AuditFilter { username: Some("bookkeeper".into()), ..Default::default() };
        let denials = env.app.audit_trail(&s.staff.admin, &filter, 20).await.unwrap();
        assert_eq!(denials.iter().filter(|r| r.outcome == "denied").count(), 4, "{denials:?}");
    }
}
