//! Setting up the schedule through the use cases: providers, locations and rooms, appointment
//! types, weekly templates, exceptions and holidays. The practice comes from `generate` (one
//! location "Main office", "Office visit" 20 min and two 40-minute types, every provider working
//! Monday to Friday 08:00-12:00 and 13:00-17:00); the clock stands at Monday 2026-06-15, noon in
//! New York.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::schedule_setup::{LocationAddressInput, LocationInput, ProviderInput, RoomInput};
use medoffice_app::scheduling::{NewAppointment, OpenSlotsInput};
use medoffice_app::{Actor, AppError};
use medoffice_domain::identifiers::npi_from_base;
use medoffice_domain::scheduling::{AppointmentTypeInput, DayExceptionInput, HolidayInput, TemplateEntryInput, TimeRangeInput};
use medoffice_store::audit::AuditFilter;

fn forbidden<T: std::fmt::Debug>(result: medoffice_app::Result<T>) {
    assert!(matches!(result, Err(AppError::Forbidden)), "expected Forbidden, got {result:?}");
}

/// The audit records of `action` (newest first), as the admin reads them.
async fn audited(env: &TestEnv, staff: &Staff, action: &str) -> Vec<medoffice_domain::audit::AuditRecord> {
    let filter = AuditFilter { action_prefix: Some(action.into()), ..Default::default() };
    env.app.audit_trail(&staff.admin, &filter, 100).await.unwrap().into_iter().filter(|r| r.action == action).collect()
}

/// Every role but the admin.
fn non_admins(staff: &Staff) -> [&Actor; 4] {
    [&staff.front_desk, &staff.biller, &staff.bookkeeper, &staff.provider]
}

fn new_provider(npi: &str) -> ProviderInput {
    ProviderInput {
        family_name: "Okafor".into(),
        given_name: "Ngozi".into(),
        credentials: "MD".into(),
        npi: npi.into(),
        specialty: "Pediatrics".into(),
        colour: "#0E7490".into(),
        taxonomy_code: "208000000X".into(),
    }
}

fn working(weekday: &str, start: &str, end: &str, location_id: &str) -> TemplateEntryInput {
    TemplateEntryInput {
        location_id: location_id.into(),
        weekday: weekday.into(),
        start: start.into(),
        end: end.into(),
        kind: "working".into(),
        ..Default::default()
    }
}

fn booking(patient_id: &str, provider_id: &str, start: &str) -> NewAppointment {
    NewAppointment { patient_id: patient_id.into(), provider_id: provider_id.into(), start: start.into(), ..Default::default() }
}

/// The practice's first provider and its only location.
async fn first_provider_and_location(env: &TestEnv, staff: &Staff) -> (String, String) {
    let provider = env.app.list_providers(&staff.admin).await.unwrap()[0].id.clone();
    let location = env.app.locations_with_rooms(&staff.admin).await.unwrap()[0].id.clone();
    (provider, location)
}

both_backends! {
    async fn providers_are_added_and_edited_with_a_checked_npi_and_every_change_is_audited(env: TestEnv) {
        let staff = env.practice().await;
        let before = env.app.list_providers(&staff.admin).await.unwrap().len();
        let npi = npi_from_base(987_654_321);
        let added = env.app.add_provider(&staff.admin, &new_provider(&npi)).await.unwrap();
        assert_eq!(added.name, "Ngozi Okafor, MD");
        assert_eq!(added.npi, npi);
        assert_eq!(added.colour, "#0e7490", "colours are kept in lowercase");
        assert_eq!(added.specialty.as_deref(), Some("Pediatrics"));
        assert_eq!(added.taxonomy_code.as_deref(), Some("208000000X"), "the taxonomy code claims carry (PRV)");
        let listed = env.app.list_providers(&staff.front_desk).await.unwrap();
        assert_eq!(listed.len(), before + 1);
        assert!(listed.iter().any(|p| p.id == added.id && p.npi == npi));

        // Edit: new specialty and credentials; the NPI may stay the provider's own.
        let mut edit = new_provider(&npi);
        edit.specialty = "Adolescent medicine".into();
        edit.credentials = "DO".into();
        edit.taxonomy_code = "2080a0000x".into();
        let edited = env.app.update_provider(&staff.admin, &added.id, &edit).await.unwrap();
        assert_eq!(edited.name, "Ngozi Okafor, DO");
        let again = env.app.provider_detail(&staff.front_desk, &added.id).await.unwrap();
        assert_eq!(again.specialty.as_deref(), Some("Adolescent medicine"));
        assert_eq!(again.taxonomy_code.as_deref(), Some("2080A0000X"), "stored in capitals");

        // Field errors, all at once: a wrong check digit, no names, a colour by name.
        let mut bad = new_provider(&format!("{}0", &npi[..9]));
        if bad.npi == npi {
            bad.npi = format!("{}1", &npi[..9]);
        }
        bad.family_name = " ".into();
        bad.colour = "teal".into();
        bad.taxonomy_code = "family".into();
        assert_eq!(invalid_fields(env.app.add_provider(&staff.admin, &bad).await), ["family_name", "npi", "colour", "taxonomy_code"]);
        assert_eq!(invalid_fields(env.app.update_provider(&staff.admin, &added.id, &bad).await), ["family_name", "npi", "colour", "taxonomy_code"]);
        assert_eq!(env.app.list_providers(&staff.admin).await.unwrap().len(), before + 1);

        // Audited: one create, one update naming the fields changed.
        let created = audited(&env, &staff, "provider.create").await;
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].record_id.as_deref(), Some(added.id.as_str()));
        let updated = audited(&env, &staff, "provider.update").await;
        assert_eq!(updated.len(), 1);
        assert!(
            updated[0].detail.contains("credentials") && updated[0].detail.contains("specialty") && updated[0].detail.contains("taxonomy_code"),
            "{}",
            updated[0].detail
        );
        assert!(!updated[0].detail.contains("npi"), "the NPI did not change: {}", updated[0].detail);
        assert!(matches!(env.app.update_provider(&staff.admin, "no-such-provider", &edit).await, Err(AppError::NotFound(_))));
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn a_second_provider_with_the_same_npi_is_refused_on_the_npi_field(env: TestEnv) {
        let staff = env.practice().await;
        let existing = env.app.list_providers(&staff.admin).await.unwrap();
        let taken = existing[0].npi.clone();
        let result = env.app.add_provider(&staff.admin, &new_provider(&taken)).await;
        match result {
            Err(AppError::Validation(e)) => {
                assert_eq!(e.errors.len(), 1, "{e}");
                let message = e.for_field("npi").unwrap();
                assert!(message.contains("already has this NPI") && message.contains(&existing[0].family_name), "{message}");
            }
            other => panic!("expected a validation error on npi, got {other:?}"),
        }
        // Editing another provider onto that NPI is refused the same way.
        let mine = env.app.add_provider(&staff.admin, &new_provider(&npi_from_base(111_222_333))).await.unwrap();
        assert_eq!(invalid_fields(env.app.update_provider(&staff.admin, &mine.id, &new_provider(&taken)).await), ["npi"]);
        assert_eq!(env.app.list_providers(&staff.admin).await.unwrap().len(), existing.len() + 1);
    }
}

both_backends! {
    async fn locations_and_rooms_are_added_renamed_and_deactivated(env: TestEnv) {
        let staff = env.practice().await;
        let input = LocationInput {
            name: "North clinic".into(),
            phone: "(518) 555-0142".into(),
            address: LocationAddressInput {
                line1: "9 Route 9".into(),
                city: "Latham".into(),
                state: "ny".into(),
                postal_code: "12110".into(),
                ..Default::default()
            },
        };
        let north = env.app.add_location(&staff.admin, &input).await.unwrap();
        assert_eq!(north.phone.as_deref(), Some("(518) 555-0142"));
        assert_eq!(north.address.as_ref().map(|a| a.one_line()).as_deref(), Some("9 Route 9, Latham, NY 12110"));
        let names: Vec<String> = env.app.locations_with_rooms(&staff.front_desk).await.unwrap().into_iter().map(|l| l.name).collect();
        assert_eq!(names, ["Main office", "North clinic"]);

        // Field errors name the nested address fields; a second "north clinic" is refused by name.
        let bad = LocationInput {
            name: "".into(),
            phone: "12".into(),
            address: LocationAddressInput { line1: "1 Main St".into(), state: "XX".into(), ..Default::default() },
        };
        assert_eq!(
            invalid_fields(env.app.add_location(&staff.admin, &bad).await),
            ["name", "phone", "address.city", "address.state", "address.postal_code"]
        );
        let twin = LocationInput { name: "north CLINIC".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.add_location(&staff.admin, &twin).await), ["name"]);

        // Edit the location: a new name, no address.
        let renamed = env
            .app
            .update_location(&staff.admin, &north.id, &LocationInput { name: "Latham clinic".into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(renamed.name, "Latham clinic");
        assert!(renamed.address.is_none() && renamed.phone.is_none());

        // Rooms: added, a duplicate name refused, renamed, deactivated and back.
        let exam1 = env.app.add_room(&staff.admin, &north.id, &RoomInput { name: "Exam 1".into() }).await.unwrap();
        let exam2 = env.app.add_room(&staff.admin, &north.id, &RoomInput { name: "Exam 2".into() }).await.unwrap();
        assert!(exam1.active);
        assert_eq!(invalid_fields(env.app.add_room(&staff.admin, &north.id, &RoomInput { name: "exam 1".into() }).await), ["name"]);
        assert_eq!(invalid_fields(env.app.add_room(&staff.admin, &north.id, &RoomInput { name: "  ".into() }).await), ["name"]);
        assert_eq!(invalid_fields(env.app.rename_room(&staff.admin, &exam2.id, &RoomInput { name: "Exam 1".into() }).await), ["name"]);
        let procedure = env.app.rename_room(&staff.admin, &exam2.id, &RoomInput { name: "Procedure room".into() }).await.unwrap();
        assert_eq!(procedure.name, "Procedure room");
        let off = env.app.set_room_active(&staff.admin, &exam1.id, false).await.unwrap();
        assert!(!off.active);
        let location = env.app.location_detail(&staff.front_desk, &north.id).await.unwrap();
        let rooms: Vec<(String, bool)> = location.rooms.iter().map(|r| (r.name.clone(), r.active)).collect();
        assert_eq!(rooms, [("Procedure room".to_string(), true), ("Exam 1".to_string(), false)], "active rooms first");
        // The same room name at another location is fine.
        let main = env.app.locations_with_rooms(&staff.admin).await.unwrap().into_iter().find(|l| l.name == "Main office").unwrap();
        env.app.add_room(&staff.admin, &main.id, &RoomInput { name: "Exam 1".into() }).await.unwrap();
        assert!(env.app.set_room_active(&staff.admin, &exam1.id, true).await.unwrap().active);
        assert!(matches!(
            env.app.add_room(&staff.admin, "no-such-location", &RoomInput { name: "X".into() }).await,
            Err(AppError::NotFound(_))
        ));

        assert_eq!(audited(&env, &staff, "location.create").await.len(), 1);
        assert_eq!(audited(&env, &staff, "location.update").await.len(), 1);
        assert_eq!(audited(&env, &staff, "room.create").await.len(), 3);
        assert_eq!(audited(&env, &staff, "room.update").await.len(), 1);
        assert_eq!(audited(&env, &staff, "room.deactivate").await.len(), 1);
        assert_eq!(audited(&env, &staff, "room.activate").await.len(), 1);
    }
}

both_backends! {
    async fn appointment_types_are_added_and_edited_with_their_providers(env: TestEnv) {
        let staff = env.practice().await;
        let providers = env.app.list_providers(&staff.admin).await.unwrap();
        let input = AppointmentTypeInput {
            name: "Telehealth check-in".into(),
            duration_minutes: "15".into(),
            colour: "#7C3AED".into(),
            provider_ids: vec![providers[0].id.clone()],
            patient_kind: "established".into(),
        };
        let added = env.app.add_appointment_type(&staff.admin, &input).await.unwrap();
        assert_eq!((added.duration_minutes, added.colour.as_str(), added.patient_kind.as_str()), (15, "#7c3aed", "established"));
        assert_eq!(added.provider_ids, [providers[0].id.clone()]);
        let listed = env.app.appointment_type_details(&staff.front_desk).await.unwrap();
        assert_eq!(listed.len(), 4);
        assert!(listed.iter().any(|t| t.id == added.id && t.name == "Telehealth check-in"));

        // Edit: longer, for new patients too, offered by two providers.
        let edit = AppointmentTypeInput {
            duration_minutes: "30".into(),
            patient_kind: "any".into(),
            provider_ids: vec![providers[1].id.clone(), providers[0].id.clone()],
            ..input.clone()
        };
        let edited = env.app.update_appointment_type(&staff.admin, &added.id, &edit).await.unwrap();
        assert_eq!(edited.duration_minutes, 30);
        let mut expected = vec![providers[0].id.clone(), providers[1].id.clone()];
        expected.sort();
        assert_eq!(edited.provider_ids, expected);
        let stored = env.app.appointment_type_details(&staff.admin).await.unwrap().into_iter().find(|t| t.id == added.id).unwrap();
        assert_eq!(stored.provider_ids, expected);
        assert_eq!(stored.patient_kind, "any");

        // Field errors: too short, too long, a named colour, nobody offers it, an unknown provider, a taken name.
        for (minutes, field) in [("3", "duration_minutes"), ("485", "duration_minutes"), ("42", "duration_minutes")] {
            let bad = AppointmentTypeInput { duration_minutes: minutes.into(), ..input.clone() };
            assert_eq!(invalid_fields(env.app.add_appointment_type(&staff.admin, &bad).await), [field], "{minutes}");
        }
        let bad = AppointmentTypeInput { colour: "purple".into(), provider_ids: vec![], patient_kind: "returning".into(), ..input.clone() };
        assert_eq!(invalid_fields(env.app.add_appointment_type(&staff.admin, &bad).await), ["colour", "patient_kind", "provider_ids"]);
        let bad = AppointmentTypeInput { name: "office VISIT".into(), provider_ids: vec!["no-such-provider".into()], ..input.clone() };
        assert_eq!(invalid_fields(env.app.add_appointment_type(&staff.admin, &bad).await), ["provider_ids[0]", "name"]);
        assert_eq!(env.app.appointment_type_details(&staff.admin).await.unwrap().len(), 4);

        let created = audited(&env, &staff, "appointment_type.create").await;
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].record_id.as_deref(), Some(added.id.as_str()));
        assert_eq!(audited(&env, &staff, "appointment_type.update").await.len(), 1);
    }
}

both_backends! {
    async fn every_set_up_change_is_refused_to_other_roles_and_the_refusal_audited(env: TestEnv) {
        let staff = env.practice().await;
        let (provider, location) = first_provider_and_location(&env, &staff).await;
        let entry = env.app.provider_template(&staff.admin, &provider).await.unwrap().entries[0].id.clone();
        let type_id = env.app.appointment_type_details(&staff.admin).await.unwrap()[0].id.clone();
        let room = env.app.add_room(&staff.admin, &location, &RoomInput { name: "Exam 1".into() }).await.unwrap();
        let closed = DayExceptionInput { date: "2026-06-19".into(), kind: "closed".into(), ..Default::default() };
        let exception = env.app.add_schedule_exception(&staff.admin, &provider, &closed).await.unwrap().exception;
        for actor in non_admins(&staff) {
            forbidden(env.app.add_provider(actor, &new_provider(&npi_from_base(5))).await);
            forbidden(env.app.update_provider(actor, &provider, &new_provider(&npi_from_base(5))).await);
            forbidden(env.app.add_location(actor, &LocationInput { name: "Annex".into(), ..Default::default() }).await);
            forbidden(env.app.update_location(actor, &location, &LocationInput { name: "Annex".into(), ..Default::default() }).await);
            forbidden(env.app.add_room(actor, &location, &RoomInput { name: "Exam 9".into() }).await);
            forbidden(env.app.add_appointment_type(actor, &AppointmentTypeInput::default()).await);
            forbidden(env.app.update_appointment_type(actor, &type_id, &AppointmentTypeInput::default()).await);
            forbidden(env.app.add_template_entry(actor, &provider, &working("saturday", "09:00", "12:00", &location)).await);
            forbidden(env.app.remove_template_entry(actor, &provider, &entry).await);
            forbidden(env.app.add_schedule_exception(actor, &provider, &DayExceptionInput::default()).await);
            forbidden(env.app.add_holiday(actor, &HolidayInput { date: "2026-12-25".into(), name: "Christmas".into() }).await);
            forbidden(env.app.remove_holiday(actor, "2026-12-25").await);
            forbidden(env.app.rename_room(actor, &room.id, &RoomInput { name: "Exam 2".into() }).await);
            forbidden(env.app.set_room_active(actor, &room.id, false).await);
            forbidden(env.app.remove_schedule_exception(actor, &provider, &exception.id).await);
        }
        // The lists stay readable: the front desk needs the template to book.
        assert!(!env.app.provider_template(&staff.front_desk, &provider).await.unwrap().entries.is_empty());
        assert_eq!(env.app.locations_with_rooms(&staff.bookkeeper).await.unwrap().len(), 1);
        forbidden(env.app.provider_template(&staff.bookkeeper, &provider).await);
        assert_eq!(env.app.provider_template(&staff.admin, &provider).await.unwrap().entries.len(), 10, "nothing changed");

        let filter = AuditFilter { action_prefix: Some("access.denied".into()), ..Default::default() };
        let denials = env.app.audit_trail(&staff.admin, &filter, 100).await.unwrap();
        assert_eq!(denials.iter().filter(|r| r.detail == "ManageSchedules").count(), 4 * 15, "{denials:?}");
        let location = env.app.location_detail(&staff.admin, &location).await.unwrap();
        assert_eq!(location.rooms.iter().map(|r| (r.name.as_str(), r.active)).collect::<Vec<_>>(), [("Exam 1", true)]);
        assert_eq!(env.app.provider_exceptions(&staff.admin, &provider).await.unwrap().len(), 1);
        assert!(denials.iter().all(|r| r.outcome == "denied"));
    }
}

both_backends! {
    async fn a_template_entry_is_added_an_overlap_refused_next_to_the_start_and_an_entry_removed(env: TestEnv) {
        let staff = env.practice().await;
        let (provider, location) = first_provider_and_location(&env, &staff).await;
        let types = env.app.appointment_type_details(&staff.admin).await.unwrap();
        let new_visit = types.iter().find(|t| t.name == "New patient visit").unwrap().id.clone();

        // Saturday morning for new patients only, overbooking allowed.
        let mut saturday = working("Saturday", "09:00", "12:00", &location);
        saturday.appointment_type_ids = vec![new_visit.clone()];
        saturday.allow_overbook = true;
        let change = env.app.add_template_entry(&staff.admin, &provider, &saturday).await.unwrap();
        assert!(change.outside_hours.is_empty());
        let added = change.template.entries.iter().find(|e| e.weekday == "saturday").unwrap();
        assert_eq!((added.start.as_str(), added.end.as_str(), added.kind.as_str()), ("09:00", "12:00", "working"));
        assert_eq!(added.appointment_type_names, ["New patient visit"]);
        assert!(added.allow_overbook);
        assert_eq!(added.location_name, "Main office");
        let saturday_id = added.id.clone();

        // A lunch block may overlap working hours; overlapping working hours are refused.
        let block =
            TemplateEntryInput { kind: "block".into(), reason: "Team meeting".into(), ..working("monday", "08:00", "08:30", &location) };
        env.app.add_template_entry(&staff.admin, &provider, &block).await.unwrap();
        match env.app.add_template_entry(&staff.admin, &provider, &working("monday", "11:00", "14:00", &location)).await {
            Err(AppError::Validation(e)) => {
                assert_eq!(e.errors.len(), 1, "{e}");
                let message = e.for_field("start").unwrap();
                assert!(message.starts_with("overlaps the working hours of Monday at Main office ("), "{message}");
            }
            other => panic!("expected the overlap on start, got {other:?}"),
        }
        // The domain's field errors, and references that do not exist.
        assert_eq!(
            invalid_fields(env.app.add_template_entry(&staff.admin, &provider, &working("someday", "13:00", "12:00", &location)).await),
            ["weekday", "end"]
        );
        let mut unknown = working("sunday", "09:00", "10:00", "no-such-location");
        unknown.appointment_type_ids = vec!["no-such-type".into()];
        assert_eq!(
            invalid_fields(env.app.add_template_entry(&staff.admin, &provider, &unknown).await),
            ["location_id", "appointment_type_ids[0]"]
        );
        assert!(matches!(env.app.add_template_entry(&staff.admin, "no-such-provider", &saturday).await, Err(AppError::NotFound(_))));

        let template = env.app.provider_template(&staff.front_desk, &provider).await.unwrap();
        assert_eq!(template.entries.len(), 12);
        let blocks: Vec<_> = template.entries.iter().filter(|e| e.kind == "block").collect();
        assert_eq!(
            blocks.iter().map(|e| (e.weekday.as_str(), e.start.as_str(), e.reason.as_deref())).collect::<Vec<_>>(),
            [("monday", "08:00", Some("Team meeting"))]
        );
        assert_eq!(template.entries[0].weekday, "monday", "Monday first");

        // Removing the Saturday entry; removing it again is not found; another provider's entry is not found under this one.
        let after = env.app.remove_template_entry(&staff.admin, &provider, &saturday_id).await.unwrap();
        assert!(after.template.entries.iter().all(|e| e.weekday != "saturday"));
        assert!(matches!(env.app.remove_template_entry(&staff.admin, &provider, &saturday_id).await, Err(AppError::NotFound(_))));
        let other = env.app.list_providers(&staff.admin).await.unwrap()[1].id.clone();
        let other_entry = env.app.provider_template(&staff.admin, &other).await.unwrap().entries[0].id.clone();
        assert!(matches!(env.app.remove_template_entry(&staff.admin, &provider, &other_entry).await, Err(AppError::NotFound(_))));
        assert_eq!(env.app.provider_template(&staff.admin, &other).await.unwrap().entries.len(), 10);

        let added = audited(&env, &staff, "schedule_template.add").await;
        assert_eq!(added.len(), 2);
        let removed = audited(&env, &staff, "schedule_template.remove").await;
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].record_id.as_deref(), Some(saturday_id.as_str()));
    }
}

both_backends! {
    async fn removing_hours_keeps_booked_appointments_and_lists_those_now_outside(env: TestEnv) {
        let staff = env.practice().await;
        let (provider, _) = first_provider_and_location(&env, &staff).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let morning = env.app.book_appointment(&staff.front_desk, &booking(&jane.id, &provider, "2026-06-16T09:00")).await.unwrap();
        let afternoon = env.app.book_appointment(&staff.front_desk, &booking(&jane.id, &provider, "2026-06-23T14:00")).await.unwrap();

        // Tuesday mornings go: the 09:00 appointment is stranded, the afternoon one is not.
        let template = env.app.provider_template(&staff.admin, &provider).await.unwrap();
        let tuesday_morning = template.entries.iter().find(|e| e.weekday == "tuesday" && e.start == "08:00").unwrap().id.clone();
        let change = env.app.remove_template_entry(&staff.admin, &provider, &tuesday_morning).await.unwrap();
        assert_eq!(change.outside_hours.len(), 1, "{:?}", change.outside_hours);
        let stranded = &change.outside_hours[0];
        assert_eq!(stranded.appointment_id, morning.id);
        assert_eq!((stranded.date.as_str(), stranded.time_range.as_str()), ("2026-06-16", "09:00–09:20"));
        assert_eq!(stranded.start, "2026-06-16T09:00:00-04:00");
        assert!(stranded.reason.contains("outside the provider's working hours"), "{}", stranded.reason);

        // Nothing was moved or cancelled.
        let day = env.app.list_appointments(&staff.admin, Some(&provider), "2026-06-16").await.unwrap();
        assert_eq!(
            day.iter().map(|a| (a.id.as_str(), a.status.as_str(), a.start.as_str())).collect::<Vec<_>>(),
            [(morning.id.as_str(), "scheduled", "2026-06-16T09:00:00-04:00")]
        );
        assert_eq!(env.app.list_appointments(&staff.admin, Some(&provider), "2026-06-23").await.unwrap()[0].id, afternoon.id);
        let audit = audited(&env, &staff, "schedule_template.remove").await;
        assert!(audit[0].detail.contains("1 future appointment(s) outside the hours"), "{}", audit[0].detail);

        // New bookings on Tuesday morning are refused now; adding the hours back strands nobody.
        assert_eq!(
            invalid_fields(env.app.book_appointment(&staff.front_desk, &booking(&jane.id, &provider, "2026-06-30T09:00")).await),
            ["start"]
        );
        let location = env.app.locations_with_rooms(&staff.admin).await.unwrap()[0].id.clone();
        let back = env.app.add_template_entry(&staff.admin, &provider, &working("tuesday", "08:00", "12:00", &location)).await.unwrap();
        assert!(back.outside_hours.is_empty(), "{:?}", back.outside_hours);
    }
}

both_backends! {
    async fn exceptions_close_replace_or_add_hours_and_open_slots_respect_them(env: TestEnv) {
        let staff = env.practice().await;
        let (provider, location) = first_provider_and_location(&env, &staff).await;
        let day =
            OpenSlotsInput { from: "2026-06-17".into(), to: "2026-06-17".into(), duration_minutes: "30".into(), ..Default::default() };
        let before = env.app.open_slots(&staff.front_desk, &provider, &day).await.unwrap();
        assert!(before.len() > 10, "{before:?}");

        // Vacation: the Wednesday is closed.
        let closed = DayExceptionInput { date: "2026-06-17".into(), kind: "closed".into(), note: "Vacation".into(), ..Default::default() };
        let change = env.app.add_schedule_exception(&staff.admin, &provider, &closed).await.unwrap();
        assert_eq!((change.exception.kind.as_str(), change.exception.note.as_deref()), ("closed", Some("Vacation")));
        assert!(env.app.open_slots(&staff.front_desk, &provider, &day).await.unwrap().is_empty());
        // One exception per date.
        assert_eq!(invalid_fields(env.app.add_schedule_exception(&staff.admin, &provider, &closed).await), ["date"]);

        // Replaced by a half day 09:00-10:00: only slots inside it.
        env.app.remove_schedule_exception(&staff.admin, &provider, &change.exception.id).await.unwrap();
        assert_eq!(env.app.open_slots(&staff.front_desk, &provider, &day).await.unwrap().len(), before.len(), "the template applies again");
        let half_day = DayExceptionInput {
            date: "2026-06-17".into(),
            kind: "replace_hours".into(),
            location_id: location.clone(),
            hours: vec![TimeRangeInput { start: "09:00".into(), end: "10:00".into() }],
            ..Default::default()
        };
        let replaced = env.app.add_schedule_exception(&staff.admin, &provider, &half_day).await.unwrap();
        assert_eq!(replaced.exception.hours.iter().map(|h| (h.start.as_str(), h.end.as_str())).collect::<Vec<_>>(), [("09:00", "10:00")]);
        assert_eq!(replaced.exception.location_name.as_deref(), Some("Main office"));
        let slots = env.app.open_slots(&staff.front_desk, &provider, &day).await.unwrap();
        assert!(!slots.is_empty());
        assert!(
            slots.iter().all(|s| s.start.as_str() >= "2026-06-17T09:00:00-04:00" && s.end.as_str() <= "2026-06-17T10:00:00-04:00"),
            "{slots:?}"
        );

        // An extra evening clinic on the Saturday.
        let extra = DayExceptionInput {
            date: "2026-06-20".into(),
            kind: "extra_hours".into(),
            location_id: location.clone(),
            hours: vec![TimeRangeInput { start: "18:00".into(), end: "20:00".into() }],
            note: "Sports physicals".into(),
            ..Default::default()
        };
        env.app.add_schedule_exception(&staff.admin, &provider, &extra).await.unwrap();
        let saturday =
            OpenSlotsInput { from: "2026-06-20".into(), to: "2026-06-20".into(), duration_minutes: "30".into(), ..Default::default() };
        let slots = env.app.open_slots(&staff.front_desk, &provider, &saturday).await.unwrap();
        assert_eq!(slots.first().map(|s| s.start.as_str()), Some("2026-06-20T18:00:00-04:00"));
        let listed = env.app.provider_exceptions(&staff.front_desk, &provider).await.unwrap();
        assert_eq!(
            listed.iter().map(|x| (x.date.as_str(), x.kind.as_str())).collect::<Vec<_>>(),
            [("2026-06-17", "replace_hours"), ("2026-06-20", "extra_hours")]
        );

        // Field errors: the domain's, a past date, an unknown location.
        let bad = DayExceptionInput { date: "2026-02-30".into(), kind: "extra_hours".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.add_schedule_exception(&staff.admin, &provider, &bad).await), ["date", "location_id", "hours"]);
        let past = DayExceptionInput { date: "2026-06-01".into(), ..closed.clone() };
        assert_eq!(invalid_fields(env.app.add_schedule_exception(&staff.admin, &provider, &past).await), ["date"]);
        let nowhere = DayExceptionInput { date: "2026-06-18".into(), location_id: "no-such-location".into(), ..half_day.clone() };
        assert_eq!(invalid_fields(env.app.add_schedule_exception(&staff.admin, &provider, &nowhere).await), ["location_id"]);

        assert_eq!(audited(&env, &staff, "schedule_exception.add").await.len(), 3);
        assert_eq!(audited(&env, &staff, "schedule_exception.remove").await.len(), 1);
    }
}

both_backends! {
    async fn a_closed_day_lists_the_appointments_already_booked_on_it(env: TestEnv) {
        let staff = env.practice().await;
        let (provider, _) = first_provider_and_location(&env, &staff).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let booked = env.app.book_appointment(&staff.front_desk, &booking(&jane.id, &provider, "2026-06-18T10:00")).await.unwrap();
        let closed = DayExceptionInput { date: "2026-06-18".into(), kind: "closed".into(), note: "CME".into(), ..Default::default() };
        let change = env.app.add_schedule_exception(&staff.admin, &provider, &closed).await.unwrap();
        assert_eq!(change.outside_hours.iter().map(|a| a.appointment_id.as_str()).collect::<Vec<_>>(), [booked.id.as_str()]);
        assert!(change.outside_hours[0].reason.contains("not working that day (CME)"), "{}", change.outside_hours[0].reason);
        assert_eq!(env.app.list_appointments(&staff.admin, Some(&provider), "2026-06-18").await.unwrap()[0].status, "scheduled");
    }
}

both_backends! {
    async fn a_holiday_blocks_booking_on_its_date_until_it_is_removed(env: TestEnv) {
        let staff = env.practice().await;
        let (provider, _) = first_provider_and_location(&env, &staff).await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let holiday = HolidayInput { date: "2026-07-03".into(), name: "Independence Day (observed)".into() };
        let added = env.app.add_holiday(&staff.admin, &holiday).await.unwrap();
        assert_eq!((added.holiday.date.as_str(), added.outside_hours.len()), ("2026-07-03", 0));

        match env.app.book_appointment(&staff.front_desk, &booking(&jane.id, &provider, "2026-07-03T09:00")).await {
            Err(AppError::Validation(e)) => {
                assert_eq!(e.errors.len(), 1, "{e}");
                assert!(e.for_field("start").is_some_and(|m| m.contains("Independence Day")), "{e}");
            }
            other => panic!("expected a validation error on start, got {other:?}"),
        }
        let slots = OpenSlotsInput { from: "2026-07-03".into(), to: "2026-07-03".into(), ..Default::default() };
        assert!(env.app.open_slots(&staff.front_desk, &provider, &slots).await.unwrap().is_empty());

        // Listed by year; a second holiday on the date and bad input are refused on their fields.
        env.app.add_holiday(&staff.admin, &HolidayInput { date: "2026-12-25".into(), name: "Christmas".into() }).await.unwrap();
        env.app.add_holiday(&staff.admin, &HolidayInput { date: "2027-01-01".into(), name: "New Year's Day".into() }).await.unwrap();
        let listed: Vec<(String, String)> =
            env.app.holidays_in_year(&staff.front_desk, "2026").await.unwrap().into_iter().map(|h| (h.date, h.name)).collect();
        assert_eq!(
            listed,
            [("2026-07-03".to_string(), "Independence Day (observed)".to_string()), ("2026-12-25".to_string(), "Christmas".to_string())]
        );
        assert_eq!(env.app.holidays_in_year(&staff.front_desk, "").await.unwrap().len(), 2, "blank is this year");
        assert_eq!(env.app.holidays_in_year(&staff.front_desk, "2027").await.unwrap().len(), 1);
        assert_eq!(invalid_fields(env.app.holidays_in_year(&staff.front_desk, "20x6").await), ["year"]);
        assert_eq!(invalid_fields(env.app.add_holiday(&staff.admin, &holiday).await), ["date"]);
        assert_eq!(
            invalid_fields(env.app.add_holiday(&staff.admin, &HolidayInput { date: "2026-13-01".into(), name: " ".into() }).await),
            ["date", "name"]
        );

        // Removed: the date books again.
        let removed = env.app.remove_holiday(&staff.admin, "2026-07-03").await.unwrap();
        assert_eq!(removed.name, "Independence Day (observed)");
        assert!(matches!(env.app.remove_holiday(&staff.admin, "2026-07-03").await, Err(AppError::NotFound(_))));
        env.app.book_appointment(&staff.front_desk, &booking(&jane.id, &provider, "2026-07-03T09:00")).await.unwrap();

        // A holiday on a day with appointments lists them (they stay booked).
        let again = env.app.add_holiday(&staff.admin, &holiday).await.unwrap();
        assert_eq!(again.outside_hours.len(), 1);
        assert!(again.outside_hours[0].reason.contains("closed for Independence Day"), "{}", again.outside_hours[0].reason);
        assert_eq!(audited(&env, &staff, "holiday.add").await.len(), 4);
        assert_eq!(audited(&env, &staff, "holiday.remove").await.len(), 1);
    }
}
