//! Eligibility through the use cases: a 270 for one patient and for a day's schedule (control
//! numbers from the counters, trace numbers per coverage, a dependent under the subscriber), a 271
//! built from the request's trace numbers read into the coverage (active, co-pay, deductible left,
//! co-insurance), an inactive answer, an answer we never asked for, the same file twice, a bad
//! file, and who may do it. The practice's today is Monday 2026-06-15.
//!
//! pyx12 has no 005010X279A1 map (it answers UNSUPPORTED: see the x12 crate's tests), so the
//! files are checked by the x12 crate instead: envelope counts and control numbers, the byte-for-
//! byte round trip, and the structure asserted here.

use crate::encounters::billing_setup;
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::eligibility::EligibilityRequestInput;
use medoffice_app::scheduling::NewAppointment;
use medoffice_x12::envelope::transaction_sets;
use medoffice_x12::syntax::{Document, parse, write};

fn for_patient(id: &str) -> EligibilityRequestInput {
    EligibilityRequestInput { patient_id: Some(id.into()), date: None }
}

fn for_date(date: &str) -> EligibilityRequestInput {
    EligibilityRequestInput { patient_id: None, date: Some(date.into()) }
}

/// Parses a written 270 and checks its envelope and round trip.
fn checked_270(text: &str) -> Document {
    assert!(text.is_ascii());
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(write(&doc), text, "the 270 does not round-trip");
    let sets = transaction_sets(&doc).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].set_id(), "270");
    assert_eq!(sets[0].version(), "005010X279A1");
    doc
}

fn values<'a>(doc: &'a Document, id: &str, n: usize) -> Vec<&'a str> {
    doc.segments.iter().filter(|s| s.id == id).map(|s| s.element(n)).collect()
}

/// The payer's answer to a request: the request's hierarchy echoed with `eb` in place of each
/// EQ and `extra` loops added at the end, with SE counted again.
fn as_271(request: &str, eb: &str, extra: &str) -> String {
    let body =
        request.replace("GS*HS*", "GS*HB*").replace("ST*270*", "ST*271*").replace("BHT*0022*13*", "BHT*0022*11*").replace("EQ*30~", eb);
    let (head, tail) = body.split_once("SE*").unwrap();
    let head = format!("{head}{extra}");
    let count = head[head.find("ST*271").unwrap()..].matches('~').count() + 1;
    let rest = &tail[tail.find('*').unwrap()..];
    format!("{head}SE*{count}{rest}")
}

const ACTIVE: &str =
    "EB*1*IND*30**GOLD PPO~EB*B*IND*98***27*25****Y~MSG*OFFICE VISIT COPAY~EB*C*IND*30***29*400****Y~EB*A*IND*98*****0.2****Y~";

both_backends! {
    async fn a_request_for_one_patient_is_answered_into_the_coverage(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        let written = env.app.request_eligibility(desk, &for_patient(&b.patient_id)).await.unwrap();
        assert_eq!((written.kind.as_str(), written.service_date.as_str(), written.inquiry_count), ("patient", "2026-06-15", 1));
        assert_eq!(written.patients, ["Doe, Jane"]);
        let (name, text) = env.app.eligibility_request_file(desk, &written.id).await.unwrap();
        assert_eq!(name, written.file_name);
        let doc = checked_270(&text);
        // Control numbers from the counters, the practice asking under its billing NPI.
        assert_eq!(doc.segments[0].element(13), format!("{:09}", written.interchange_control_number));
        assert!(text.contains("NM1*1P*2*TEST PRACTICE*****XX*1234567893~"), "{text}");
        assert!(text.contains("TRN*1*E000000001*1123456789~NM1*IL*1*DOE*JANE****MI*MEMBER001~DMG*D8*19800402*F~DTP*291*D8*20260615~EQ*30~"), "{text}");
        let hl_levels = values(&doc, "HL", 3);
        assert_eq!(hl_levels, ["20", "21", "22"]);

        // Nothing checked yet.
        let before = env.app.coverage_eligibility(desk, &b.patient_id).await.unwrap();
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].summary(), "not checked");

        let answer = as_271(&text, ACTIVE, "");
        let summary = env.app.import_eligibility_responses(desk, "answer.271", answer.as_bytes()).await.unwrap();
        assert!(!summary.duplicate);
        assert_eq!((summary.matched, summary.active, summary.inactive, summary.unmatched.len()), (1, 1, 0, 0));

        let after = env.app.coverage_eligibility(desk, &b.patient_id).await.unwrap();
        let latest = after[0].latest.as_ref().unwrap();
        assert_eq!(latest.status, "active");
        assert_eq!(latest.copay_cents, Some(2500));
        assert_eq!(latest.deductible_remaining_cents, Some(40000));
        assert_eq!(latest.coinsurance_basis_points, Some(2000));
        assert_eq!(latest.plan_name.as_deref(), Some("GOLD PPO"));
        assert_eq!(latest.messages, ["OFFICE VISIT COPAY"]);
        assert_eq!(after[0].summary(), "Active · co-pay $25 · deductible left $400 · co-insurance 20% · checked Jun 15");
        assert!(!after[0].is_warning());

        // Each step audited with the patient.
        let (audited,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_event WHERE patient_id = $1 AND action IN ('eligibility.request', 'eligibility.response')",
        )
        .bind(&b.patient_id)
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(audited, 2);
    }
}

both_backends! {
    async fn a_days_schedule_asks_about_every_booked_patient_with_a_coverage(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        // A child insured as a dependent of their father, and a self-pay patient.
        let child = env.app.register_patient(desk, &patient("Doe", "Jenny", "2012-05-01"), true).await.unwrap();
        let mut c = coverage(&b.payer_id, "MEMBER001", "1", "2026-01-01");
        c.relationship_to_subscriber = "child".into();
        c.subscriber_family_name = "Doe".into();
        c.subscriber_given_name = "John".into();
        c.subscriber_birth_date = "1978-03-15".into();
        c.subscriber_sex = "male".into();
        env.app.add_coverage(desk, &child.id, &c, None, None).await.unwrap();
        let self_pay = env.app.register_patient(desk, &patient("Cash", "Carl", "1990-01-01"), true).await.unwrap();
        for (patient_id, start) in [(&b.patient_id, "2026-06-16T09:00"), (&child.id, "2026-06-16T10:00"), (&self_pay.id, "2026-06-16T11:00")] {
            let booking = NewAppointment { patient_id: patient_id.clone(), provider_id: b.provider_id.clone(), start: start.into(), ..Default::default() };
            env.app.book_appointment(desk, &booking).await.unwrap();
        }

        // No date: the next business day, Tuesday.
        let written = env.app.request_eligibility(desk, &EligibilityRequestInput::default()).await.unwrap();
        assert_eq!((written.kind.as_str(), written.service_date.as_str(), written.inquiry_count), ("schedule", "2026-06-16", 2));
        assert_eq!(written.patients, ["Doe, Jane", "Doe, Jenny"]);
        let (_, text) = env.app.eligibility_request_file(desk, &written.id).await.unwrap();
        let doc = checked_270(&text);
        assert_eq!(values(&doc, "HL", 3), ["20", "21", "22", "22", "23"]);
        assert_eq!(values(&doc, "TRN", 2), ["E000000001", "E000000002"]);
        assert!(text.contains("NM1*IL*1*DOE*JOHN****MI*MEMBER001~DMG*D8*19780315*M~HL*5*4*23*0~TRN*1*E000000002*1123456789~NM1*03*1*DOE*JENNY~DMG*D8*20120501*F~DTP*291*D8*20260616~EQ*30~"), "{text}");
        assert!(!text.contains("CASH"), "the self-pay patient is not asked about");

        // The dependent's answer comes back to the child's coverage.
        let answer = as_271(&text, ACTIVE, "");
        let summary = env.app.import_eligibility_responses(&b.staff.biller, "day.271", answer.as_bytes()).await.unwrap();
        assert_eq!((summary.matched, summary.active), (2, 2));
        let child_cov = env.app.coverage_eligibility(desk, &child.id).await.unwrap();
        assert_eq!(child_cov[0].latest.as_ref().unwrap().trace_number, "E000000002");

        // A second request takes the next control numbers.
        let again = env.app.request_eligibility(desk, &for_date("2026-06-16")).await.unwrap();
        assert_eq!(again.interchange_control_number, written.interchange_control_number + 1);
        assert_eq!(again.request_number, written.request_number + 1);

        // A day with no one booked, a bad date, both kinds at once: refused on their fields.
        assert_eq!(invalid_fields(env.app.request_eligibility(desk, &for_date("2026-06-20")).await), ["date"]);
        assert_eq!(invalid_fields(env.app.request_eligibility(desk, &for_date("June 16")).await), ["date"]);
        let both = EligibilityRequestInput { patient_id: Some(b.patient_id.clone()), date: Some("2026-06-16".into()) };
        assert_eq!(invalid_fields(env.app.request_eligibility(desk, &both).await), ["date"]);
        assert_eq!(invalid_fields(env.app.request_eligibility(desk, &for_patient(&self_pay.id)).await), ["patient_id"]);
    }
}

both_backends! {
    async fn an_inactive_answer_warns_and_an_unasked_answer_is_reported(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        let written = env.app.request_eligibility(desk, &for_patient(&b.patient_id)).await.unwrap();
        let (_, text) = env.app.eligibility_request_file(desk, &written.id).await.unwrap();
        let stranger = "HL*9*2*22*0~TRN*2*X999*9999999999~NM1*IL*1*NOBODY*NED****MI*ZZZ1~EB*1**30~";
        let answer = as_271(&text, "EB*6**30~", stranger);
        let summary = env.app.import_eligibility_responses(desk, "inactive.271", answer.as_bytes()).await.unwrap();
        assert_eq!((summary.matched, summary.inactive, summary.active), (1, 1, 0));
        assert_eq!(summary.unmatched.len(), 1);
        assert_eq!(summary.unmatched[0].trace_numbers, ["X999"]);
        assert_eq!(summary.unmatched[0].name.as_deref(), Some("NOBODY, NED"));
        let cov = env.app.coverage_eligibility(desk, &b.patient_id).await.unwrap();
        assert_eq!(cov[0].summary(), "Inactive · checked Jun 15");
        assert!(cov[0].is_warning());

        // The same file again changes nothing.
        let again = env.app.import_eligibility_responses(desk, "inactive.271", answer.as_bytes()).await.unwrap();
        assert!(again.duplicate);
        let rows = |env: &TestEnv| {
            let pool = env.store.pool().clone();
            async move {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM eligibility_result").fetch_one(&pool).await.unwrap();
                n
            }
        };
        assert_eq!(rows(&env).await, 1);

        // A later answer adds to the history; the latest is shown.
        env.clock.advance(chrono::Duration::hours(1));
        let active = as_271(&text, ACTIVE, "");
        env.app.import_eligibility_responses(desk, "active.271", active.as_bytes()).await.unwrap();
        assert_eq!(rows(&env).await, 2);
        let cov = env.app.coverage_eligibility(desk, &b.patient_id).await.unwrap();
        assert_eq!(cov[0].latest.as_ref().unwrap().status, "active");
        let latest = env.app.latest_eligibility(desk, std::slice::from_ref(&b.patient_id)).await.unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].status, "active");
    }
}

both_backends! {
    async fn a_bad_file_is_refused_on_file_and_roles_are_kept(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        assert_eq!(invalid_fields(env.app.import_eligibility_responses(desk, "x.txt", b"hello, this is not X12").await), ["file"]);
        // A 270 is not an answer.
        let written = env.app.request_eligibility(desk, &for_patient(&b.patient_id)).await.unwrap();
        let (_, text) = env.app.eligibility_request_file(desk, &written.id).await.unwrap();
        assert_eq!(invalid_fields(env.app.import_eligibility_responses(desk, "270.x12", text.as_bytes()).await), ["file"]);
        let (files,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM eligibility_response_file").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(files, 0, "a refused file writes nothing");

        // Front desk and billing may; the bookkeeper and the provider may not.
        env.app.request_eligibility(&b.staff.biller, &for_patient(&b.patient_id)).await.unwrap();
        for actor in [&b.staff.bookkeeper, &b.staff.provider] {
            assert!(matches!(env.app.request_eligibility(actor, &for_patient(&b.patient_id)).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.import_eligibility_responses(actor, "a", b"x").await, Err(AppError::Forbidden)));
        }

        // Without a submitter id no file can be addressed.
        sqlx::query("UPDATE practice SET submitter_id = NULL").execute(env.store.pool()).await.unwrap();
        assert_eq!(invalid_fields(env.app.request_eligibility(desk, &for_patient(&b.patient_id)).await), ["patient_id"]);
    }
}
