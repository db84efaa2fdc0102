//! The calendar read (`App::calendar`) behind the day, week, arrivals and print pages: patients
//! named from one query, one audit record per read, hours and blocks from the templates, and who
//! may read it. The practice comes from `generate` (every provider works Monday to Friday
//! 08:00-12:00 and 13:00-17:00); the clock stands at Monday 2026-06-15, noon in New York.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::schedule_views::{BlockView, CalendarSpan, MinuteRange};
use medoffice_app::scheduling::{NewAppointment, StatusEventInput};
use medoffice_store::audit::AuditFilter;
use medoffice_store::scheduling::{ExceptionRow, HolidayRow, TemplateEntryRow};

struct Setup {
    staff: Staff,
    /// Doe, Roe, Poe.
    patients: Vec<String>,
    /// The first two providers by name.
    providers: Vec<String>,
}

async fn setup(env: &TestEnv) -> Setup {
    let staff = env.practice().await;
    let mut patients = Vec::new();
    for (family, birth) in [("Doe", "1985-03-14"), ("Roe", "1990-07-02"), ("Poe", "1979-11-30")] {
        patients.push(env.app.register_patient(&staff.front_desk, &patient(family, "Pat", birth), false).await.unwrap().id);
    }
    let providers: Vec<String> = env.app.list_providers(&staff.front_desk).await.unwrap().into_iter().take(2).map(|p| p.id).collect();
    assert_eq!(providers.len(), 2, "the generated practice has several providers");
    Setup { staff, patients, providers }
}

async fn book(env: &TestEnv, s: &Setup, patient: usize, provider: usize, start: &str) -> String {
    let input = NewAppointment {
        patient_id: s.patients[patient].clone(),
        provider_id: s.providers[provider].clone(),
        start: start.into(),
        ..Default::default()
    };
    env.app.book_appointment(&s.staff.front_desk, &input).await.unwrap().id
}

async fn calendar_reads(env: &TestEnv, s: &Setup) -> Vec<String> {
    let filter = AuditFilter { action_prefix: Some("appointment.calendar".into()), ..Default::default() };
    env.app.audit_trail(&s.staff.admin, &filter, 50).await.unwrap().into_iter().map(|r| r.detail).collect()
}

async fn chart_reads(env: &TestEnv, s: &Setup) -> usize {
    let filter = AuditFilter { action_prefix: Some("patient.read".into()), ..Default::default() };
    env.app.audit_trail(&s.staff.admin, &filter, 50).await.unwrap().len()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

both_backends! {
    async fn a_day_names_every_patient_from_one_audited_read(env: TestEnv) {
        let s = setup(&env).await;
        let first = book(&env, &s, 0, 0, "2026-06-16T09:00").await;
        let second = book(&env, &s, 1, 1, "2026-06-16T09:00").await;
        let third = book(&env, &s, 2, 0, "2026-06-16T14:20").await;
        book(&env, &s, 1, 0, "2026-06-17T09:00").await; // another day: not in the read
        let cancel = StatusEventInput { event: "cancel".into(), reason: "Feeling better".into(), by: "patient".into() };
        env.app.change_appointment_status(&s.staff.front_desk, &third, &cancel).await.unwrap();
        let charts_before = chart_reads(&env, &s).await;

        let day = env.app.calendar(&s.staff.provider, CalendarSpan::Day, None, "2026-06-16").await.unwrap();
        assert_eq!((day.first, day.last), (date("2026-06-16"), date("2026-06-16")));
        assert_eq!(day.today, date("2026-06-15"));
        assert_eq!(day.now.format("%Y-%m-%dT%H:%M").to_string(), "2026-06-15T12:00", "local time in New York");
        let ids: Vec<&str> = day.appointments.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()) && ids.contains(&third.as_str()));
        let doe = day.appointments.iter().find(|a| a.id == first).unwrap();
        let patient = doe.patient.as_ref().expect("a provider may read patients: the name is there");
        assert_eq!(patient.display_name(), "Doe, Pat");
        assert_eq!(patient.birth_date, "1985-03-14");
        assert_eq!(patient.phone.as_deref(), Some("(518) 462-0199"));
        assert_eq!(patient.mrn.len(), 8);
        assert_eq!(doe.appointment_type_name, "Office visit");
        assert_eq!(doe.start.format("%H:%M").to_string(), "09:00");
        assert_eq!(doe.end.format("%H:%M").to_string(), "09:20");
        assert!(doe.holds_time());
        let cancelled = day.appointments.iter().find(|a| a.id == third).unwrap();
        assert_eq!(cancelled.status, "cancelled");
        assert!(!cancelled.holds_time());
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("Feeling better"));
        assert_eq!(cancelled.patient.as_ref().unwrap().family_name, "Poe");

        // Every provider's column, with the template's hours (lunch is not open).
        assert!(day.provider_id.is_none());
        assert_eq!(day.shown_providers().count(), day.providers.len());
        assert_eq!(day.plans.len(), day.providers.len());
        let plan = day.plan(&s.providers[0], date("2026-06-16")).unwrap();
        assert_eq!(plan.open, [MinuteRange { start: 480, end: 720 }, MinuteRange { start: 780, end: 1020 }]);
        assert!(plan.blocks.is_empty() && plan.off_reason.is_none() && plan.has_hours());
        let colours: Vec<&str> = day.types.iter().map(|t| t.colour.as_str()).collect();
        assert!(colours.iter().all(|c| c.len() == 7 && c.starts_with('#')), "{colours:?}");

        // One audit record for the whole read, naming the counts; no chart read per patient.
        let reads = calendar_reads(&env, &s).await;
        assert_eq!(reads.len(), 1, "{reads:?}");
        assert!(reads[0].contains("2026-06-16..2026-06-16 provider any: 3 appointment(s), 3 patient(s) named"), "{}", reads[0]);
        assert_eq!(chart_reads(&env, &s).await, charts_before);

        // One provider's day: only that provider's appointments and plan.
        let one = env.app.calendar(&s.staff.front_desk, CalendarSpan::Day, Some(&s.providers[1]), "2026-06-16").await.unwrap();
        assert_eq!(one.appointments.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [second.as_str()]);
        assert_eq!(one.shown_providers().map(|p| p.id.as_str()).collect::<Vec<_>>(), [s.providers[1].as_str()]);
        assert_eq!(one.plans.len(), 1);
        assert_eq!(calendar_reads(&env, &s).await.len(), 2);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn a_week_shows_one_provider_monday_to_sunday_with_blocks_holidays_and_exceptions(env: TestEnv) {
        let s = setup(&env).await;
        let practice_id = s.staff.admin.practice_id.clone();
        let mut conn = env.store.pool().acquire().await.unwrap();
        let location = medoffice_store::scheduling::list_locations(&mut conn, &practice_id).await.unwrap().remove(0).id;
        let now = "2026-06-15T16:00:00.000000Z".to_string();
        // Admin time on Tuesdays 10:00-10:30; a holiday on Wednesday; Thursday off; a half day on Friday.
        medoffice_store::scheduling::insert_template_entry(&mut conn, &TemplateEntryRow {
            practice_id: practice_id.clone(),
            id: "block-tuesday".into(),
            provider_id: s.providers[0].clone(),
            location_id: location.clone(),
            weekday: 2,
            start_minute: 600,
            end_minute: 630,
            kind: "block".into(),
            reason: Some("Admin time".into()),
            allowed_type_ids: None,
            allow_overbook: 0,
            created_at: now.clone(),
        }).await.unwrap();
        medoffice_store::scheduling::insert_holiday(&mut conn, &HolidayRow {
            practice_id: practice_id.clone(),
            date: "2026-06-17".into(),
            name: "Founders' Day".into(),
            created_at: now.clone(),
        }).await.unwrap();
        for (id, date, kind, ranges, reason) in [
            ("x-thu", "2026-06-18", "closed", None, "CME in Boston"),
            ("x-fri", "2026-06-19", "replace_hours", Some("480-720"), "Half day"),
        ] {
            medoffice_store::scheduling::insert_exception(&mut conn, &ExceptionRow {
                practice_id: practice_id.clone(),
                id: id.into(),
                provider_id: s.providers[0].clone(),
                date: date.into(),
                kind: kind.into(),
                location_id: ranges.map(|_| location.clone()),
                ranges: ranges.map(str::to_string),
                reason: Some(reason.into()),
                created_at: now.clone(),
            }).await.unwrap();
        }
        drop(conn);
        let mine = book(&env, &s, 0, 0, "2026-06-16T09:00").await;
        let friday = book(&env, &s, 1, 0, "2026-06-19T11:00").await;
        book(&env, &s, 2, 1, "2026-06-16T09:00").await; // the other provider's

        let week = env.app.calendar(&s.staff.front_desk, CalendarSpan::Week, Some(&s.providers[0]), "2026-06-18").await.unwrap();
        assert_eq!((week.first, week.last), (date("2026-06-15"), date("2026-06-21")), "Monday to Sunday of the date's week");
        assert_eq!(week.provider_id.as_deref(), Some(s.providers[0].as_str()));
        assert_eq!(week.plans.len(), 7);
        let ids: Vec<&str> = week.appointments.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, [mine.as_str(), friday.as_str()], "only this provider's, by start");

        let tuesday = week.plan(&s.providers[0], date("2026-06-16")).unwrap();
        assert_eq!(tuesday.blocks, [BlockView { start: 600, end: 630, reason: "Admin time".into() }]);
        assert_eq!(
            tuesday.open,
            [MinuteRange { start: 480, end: 600 }, MinuteRange { start: 630, end: 720 }, MinuteRange { start: 780, end: 1020 }],
            "the block cuts the morning"
        );
        let wednesday = week.plan(&s.providers[0], date("2026-06-17")).unwrap();
        assert_eq!(wednesday.off_reason.as_deref(), Some("Holiday: Founders' Day"));
        assert!(!wednesday.has_hours());
        let thursday = week.plan(&s.providers[0], date("2026-06-18")).unwrap();
        assert_eq!(thursday.off_reason.as_deref(), Some("CME in Boston"));
        let friday_plan = week.plan(&s.providers[0], date("2026-06-19")).unwrap();
        assert_eq!(friday_plan.open, [MinuteRange { start: 480, end: 720 }]);
        assert_eq!(friday_plan.note.as_deref(), Some("Half day"));
        let saturday = week.plan(&s.providers[0], date("2026-06-20")).unwrap();
        assert!(!saturday.has_hours() && saturday.off_reason.is_none(), "not in the template: simply no hours");

        let reads = calendar_reads(&env, &s).await;
        assert_eq!(reads.len(), 1);
        assert!(reads[0].starts_with(&format!("2026-06-15..2026-06-21 provider {}: 2 appointment(s), 2 patient(s)", s.providers[0])), "{}", reads[0]);
    }
}

both_backends! {
    async fn the_calendar_is_for_roles_that_read_appointments_and_its_input_is_checked(env: TestEnv) {
        let s = setup(&env).await;
        book(&env, &s, 0, 0, "2026-06-16T09:00").await;
        for actor in [&s.staff.admin, &s.staff.front_desk, &s.staff.biller, &s.staff.provider] {
            let day = env.app.calendar(actor, CalendarSpan::Day, None, "2026-06-16").await.unwrap();
            assert_eq!(day.appointments.len(), 1);
            assert!(day.appointments[0].patient.is_some(), "{} reads patients", actor.username);
        }
        let refused = env.app.calendar(&s.staff.bookkeeper, CalendarSpan::Day, None, "2026-06-16").await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{refused:?}");
        let filter = AuditFilter { username: Some("bookkeeper".into()), action_prefix: Some("access.denied".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&s.staff.admin, &filter, 10).await.unwrap().len(), 1);
        assert_eq!(calendar_reads(&env, &s).await.len(), 4, "the refusal read nothing");

        // A blank date is today; a week needs a provider; unknown providers and bad dates are named.
        let today = env.app.calendar(&s.staff.front_desk, CalendarSpan::Day, None, "").await.unwrap();
        assert_eq!(today.first, date("2026-06-15"));
        assert_eq!(invalid_fields(env.app.calendar(&s.staff.front_desk, CalendarSpan::Week, None, "2026-06-16").await), ["provider_id"]);
        assert_eq!(
            invalid_fields(env.app.calendar(&s.staff.front_desk, CalendarSpan::Day, Some("no-such-provider"), "2026-06-16").await),
            ["provider_id"]
        );
        assert_eq!(invalid_fields(env.app.calendar(&s.staff.front_desk, CalendarSpan::Day, None, "June 16th").await), ["date"]);

        // The colours of the style sheet: every type and provider, any role.
        let colours = env.app.calendar_colours(&s.staff.bookkeeper).await.unwrap();
        assert_eq!(colours.types.len(), 3);
        assert!(colours.providers.iter().any(|(id, _)| *id == s.providers[0]));
    }
}
