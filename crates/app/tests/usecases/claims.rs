//! Claims through the use cases: the scrubber names every rule a claim breaks and keeps it from
//! ready; the lifecycle refuses skipped steps; "send ready claims" writes one 837P file per
//! receiver with control numbers from the database's counters, which pyx12 validates and the
//! x12 crate reads back byte for byte; the worklists filter by status, payer and age.

use crate::encounters::{Billing, address, billing_setup, line, visit};
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput, ClaimWorklistQuery};
use std::path::{Path, PathBuf};
use std::process::Command;

fn to(status: &str) -> ClaimStatusInput {
    ClaimStatusInput { status: status.into(), note: String::new() }
}

async fn exec(env: &TestEnv, sql: &str, value: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(value).execute(env.store.pool()).await.unwrap();
}

/// A posted visit of the Billing patient; returns the claim id.
async fn posted_claim(env: &TestEnv, b: &Billing) -> String {
    let e = env.app.open_encounter(&b.staff.biller, &visit(b, &b.patient_id)).await.unwrap();
    env.app.post_charges(&b.staff.biller, &e.id).await.unwrap().claim_id.unwrap()
}

/// Runs `scripts/x12-validate` (pyx12) over the files; panics unless every one passes.
pub(crate) fn pyx12_validate(files: &[PathBuf]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/x12-validate");
    let output = Command::new(&script).args(files).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "pyx12 did not pass every file:\n{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("PASS ")).count(), files.len(), "{text}");
    text
}

both_backends! {
    async fn the_scrubber_names_every_rule_a_claim_breaks(env: TestEnv) {
        let b = billing_setup(&env).await;
        let claim_id = posted_claim(&env, &b).await;
        let clean = env.app.scrub(&b.staff.biller, &claim_id).await.unwrap();
        assert!(clean.problems.is_empty(), "{:?}", clean.problems);

        // Break one rule of each kind behind the use cases' back.
        let claim: (String, String, String) =
            sqlx::query_as("SELECT encounter_id, coverage_id, rendering_provider_id FROM claim WHERE id = $1").bind(&claim_id).fetch_one(env.store.pool()).await.unwrap();
        let (encounter_id, coverage_id, provider_id) = claim;
        exec(&env, "UPDATE claim SET total_charge_cents = 100, frequency_code = '7' WHERE id = $1", &claim_id).await;
        exec(&env, "UPDATE encounter_line SET pointers = '1,3' WHERE encounter_id = $1 AND line_number = 1", &encounter_id).await;
        exec(&env, "UPDATE encounter_diagnosis SET code = 'J02' WHERE encounter_id = $1 AND position = 2", &encounter_id).await;
        exec(&env, "UPDATE provider SET npi = '1234567890' WHERE id = $1", &provider_id).await;
        exec(
            &env,
            "UPDATE coverage SET relationship_to_subscriber = 'spouse', subscriber_family_name = 'Doe', subscriber_given_name = 'John', \
             subscriber_birth_date = NULL, subscriber_sex = 'male', end_date = '2026-03-31', member_id = 'AB*1' WHERE id = $1",
            &coverage_id,
        )
        .await;
        exec(&env, "UPDATE payer SET timely_filing_days = 30 WHERE id = $1", &b.payer_id).await;
        exec(&env, "UPDATE encounter SET service_date = '2026-04-01' WHERE id = $1", &encounter_id).await;
        exec(&env, "UPDATE encounter_line SET service_date = '2026-07-01' WHERE encounter_id = $1 AND line_number = 2", &encounter_id).await;
        exec(&env, "UPDATE practice SET tax_id = NULL WHERE tax_id = $1", "123456789").await;

        let found = env.app.scrub(&b.staff.biller, &claim_id).await.unwrap();
        let mut rules: Vec<&str> = found.problems.iter().map(|p| p.rule.as_str()).collect();
        rules.dedup();
        let mut expected = vec![
            "total_mismatch",
            "pointer_out_of_range",
            "diagnosis_not_billable",
            "bad_npi",
            "subscriber_incomplete",
            "coverage_inactive",
            "future_date",
            "timely_filing",
            "billing_details_missing",
            "payer_claim_number_missing",
            "structural",
        ];
        let mut sorted = rules.clone();
        sorted.sort();
        sorted.dedup();
        expected.sort();
        assert_eq!(sorted, expected, "{:#?}", found.problems);
        // Each in plain words.
        let says = |rule: &str, words: &str| found.problems.iter().any(|p| p.rule == rule && p.message.contains(words));
        assert!(says("total_mismatch", "differs from the sum of its lines"));
        assert!(says("pointer_out_of_range", "points to diagnosis 3, but the claim has 2"));
        assert!(says("diagnosis_not_billable", "J02 (Acute pharyngitis) is a category"));
        assert!(says("bad_npi", "1234567890"));
        assert!(says("subscriber_incomplete", "birth date"));
        assert!(says("coverage_inactive", "was not in force on the date of service 2026-04-01"));
        assert!(says("timely_filing", "up to 30 days"));
        assert!(says("structural", "member"), "{:#?}", found.problems);

        // A claim with problems cannot become ready; the problems stay on it.
        assert_eq!(invalid_fields(env.app.change_claim_status(&b.staff.biller, &claim_id, &to("ready")).await), ["status"]);
        let detail = env.app.claim(&b.staff.biller, &claim_id).await.unwrap();
        assert_eq!(detail.claim.status, ClaimStatus::Draft);
        assert_eq!(detail.problems.len(), found.problems.len());
        let worklist = env.app.claims_worklist(&b.staff.biller, &ClaimWorklistQuery { status: "draft".into(), ..Default::default() }).await.unwrap();
        assert_eq!(worklist.claims[0].problem_count, found.problems.len() as i64);
    }
}

both_backends! {
    async fn the_lifecycle_refuses_skipped_steps_and_keeps_its_history(env: TestEnv) {
        let b = billing_setup(&env).await;
        let claim_id = posted_claim(&env, &b).await;
        let biller = &b.staff.biller;
        assert_eq!(invalid_fields(env.app.change_claim_status(biller, &claim_id, &to("sent")).await), ["status"]);
        assert_eq!(invalid_fields(env.app.change_claim_status(biller, &claim_id, &to("paid")).await), ["status"]);
        assert_eq!(invalid_fields(env.app.change_claim_status(biller, &claim_id, &to("bogus")).await), ["status"]);
        assert!(matches!(env.app.change_claim_status(&b.staff.provider, &claim_id, &to("ready")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.claims_worklist(&b.staff.front_desk, &ClaimWorklistQuery::default()).await, Err(AppError::Forbidden)));
        let ready = env.app.change_claim_status(biller, &claim_id, &to("ready")).await.unwrap();
        assert_eq!(ready.claim.status, ClaimStatus::Ready);
        env.app.send_ready_claims(biller).await.unwrap();
        for (status, note) in [("rejected", "payer id"), ("draft", ""), ("ready", "")] {
            env.app.change_claim_status(biller, &claim_id, &ClaimStatusInput { status: status.into(), note: note.into() }).await.unwrap();
        }
        let detail = env.app.claim(biller, &claim_id).await.unwrap();
        let steps: Vec<(Option<&str>, &str)> = detail.history.iter().map(|e| (e.from_status.as_deref(), e.to_status.as_str())).collect();
        assert_eq!(
            steps,
            [(None, "draft"), (Some("draft"), "ready"), (Some("ready"), "sent"), (Some("sent"), "rejected"), (Some("rejected"), "draft"), (Some("draft"), "ready")]
        );
        assert_eq!(detail.history[3].note, "payer id");
        let (audited,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'claim.status' AND record_id = $1")
            .bind(&claim_id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(audited, 5);
    }
}

both_backends! {
    async fn ready_claims_go_out_in_837p_files_that_pyx12_accepts(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        // A self subscriber with several diagnoses and lines with modifiers.
        let mut first = visit(&b, &b.patient_id);
        first.diagnoses = vec!["E11.9".into(), "I10".into(), "J06.9".into(), "R05.9".into(), "M54.50".into(), "Z00.00".into()];
        first.lines = vec![line("99214", "25", "1,2,3,4"), line("93000", "", "2"), line("20610", "RT 59 XS 76", "5,6"), line("J1030", "JZ", "5")];
        first.lines[2].charge = "225.00".into();
        first.lines[3].charge = "18.00".into();
        first.lines[3].units = "2".into();
        let e1 = env.app.open_encounter(biller, &first).await.unwrap();
        let c1 = env.app.post_charges(biller, &e1.id).await.unwrap().claim_id.unwrap();
        // A child on her father's coverage with another payer.
        let other_payer = env.payer_id(&b.staff.admin, 2).await;
        let mut child = patient("Doe", "Jenny", "2015-06-12");
        child.address = address();
        let child = env.app.register_patient(&b.staff.front_desk, &child, true).await.unwrap();
        let mut cov = coverage(&other_payer, "MEMBER002", "1", "2026-01-01");
        cov.relationship_to_subscriber = "child".into();
        cov.subscriber_family_name = "Doe".into();
        cov.subscriber_given_name = "John".into();
        cov.subscriber_birth_date = "1978-03-03".into();
        cov.subscriber_sex = "male".into();
        env.app.add_coverage(&b.staff.front_desk, &child.id, &cov, None, None).await.unwrap();
        let e2 = env.app.open_encounter(biller, &visit(&b, &child.id)).await.unwrap();
        let c2 = env.app.post_charges(biller, &e2.id).await.unwrap().claim_id.unwrap();
        for id in [&c1, &c2] {
            let d = env.app.change_claim_status(biller, id, &to("ready")).await.unwrap();
            assert!(d.problems.is_empty(), "{:?}", d.problems);
        }

        let result = env.app.send_ready_claims(biller).await.unwrap();
        assert!(result.returned_to_draft.is_empty());
        assert_eq!(result.batches.len(), 2, "one file per receiver");
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for batch in &result.batches {
            let (name, content) = env.app.claim_batch_file(biller, &batch.id).await.unwrap();
            assert_eq!(name, batch.file_name);
            // The crate's reader: parsed and written back byte for byte, one 837 set.
            let doc = medoffice_x12::parse(content.as_bytes()).unwrap();
            assert_eq!(medoffice_x12::write(&doc), content);
            let sets = medoffice_x12::envelope::transaction_sets(&doc).unwrap();
            assert_eq!(sets.len(), 1);
            assert_eq!(sets[0].set_id(), "837");
            assert_eq!(doc.segments[0].element(15), "T", "the practice sends test files");
            assert_eq!(doc.segments[0].element(13), format!("{:09}", batch.interchange_control_number));
            let path = dir.path().join(&name);
            std::fs::write(&path, &content).unwrap();
            files.push(path);
        }
        let text = pyx12_validate(&files);
        eprintln!("{text}");
        // The self subscriber's claim: SBR*P*18, modifiers and pointers as coded.
        let (_, first_file) = env.app.claim_batch_file(biller, &result.batches.iter().find(|x| x.payer_id == b.payer_id).unwrap().id).await.unwrap();
        assert!(first_file.contains("SBR*P*18*GRP-100"), "{first_file}");
        assert!(first_file.contains("SV1*HC:20610:RT:59:XS:76*225*UN*1***5:6~"), "{first_file}");
        assert!(first_file.contains("SV1*HC:J1030:JZ*18*UN*2***5~"), "{first_file}");
        assert!(first_file.contains("HI*ABK:E119*ABF:I10*ABF:J069*ABF:R059*ABF:M5450*ABF:Z0000~"), "{first_file}");
        let (_, second_file) = env.app.claim_batch_file(biller, &result.batches.iter().find(|x| x.payer_id == other_payer).unwrap().id).await.unwrap();
        assert!(second_file.contains("PAT*19~"), "{second_file}");
        assert!(second_file.contains("NM1*QC*1*DOE*JENNY"), "{second_file}");

        for id in [&c1, &c2] {
            let d = env.app.claim(biller, id).await.unwrap();
            assert_eq!(d.claim.status, ClaimStatus::Sent);
            assert!(d.claim.batch_id.is_some());
        }
        let sent = env.app.claims_worklist(biller, &ClaimWorklistQuery { status: "sent".into(), ..Default::default() }).await.unwrap();
        assert_eq!(sent.claims.len(), 2);
        let by_payer = ClaimWorklistQuery { status: "sent".into(), payer_id: other_payer.clone(), ..Default::default() };
        assert_eq!(env.app.claims_worklist(biller, &by_payer).await.unwrap().claims.len(), 1);
        let old = ClaimWorklistQuery { status: "sent".into(), min_age_days: "6".into(), ..Default::default() };
        assert!(env.app.claims_worklist(biller, &old).await.unwrap().claims.is_empty(), "the visits are 5 days old");
        let five = ClaimWorklistQuery { status: "sent".into(), min_age_days: "5".into(), ..Default::default() };
        assert_eq!(env.app.claims_worklist(biller, &five).await.unwrap().claims.len(), 2);

        // A later export takes the next control numbers.
        let mut again = visit(&b, &b.patient_id);
        again.service_date = "2026-06-12".into();
        let e3 = env.app.open_encounter(biller, &again).await.unwrap();
        let c3 = env.app.post_charges(biller, &e3.id).await.unwrap().claim_id.unwrap();
        env.app.change_claim_status(biller, &c3, &to("ready")).await.unwrap();
        let later = env.app.send_ready_claims(biller).await.unwrap();
        assert_eq!(later.batches.len(), 1);
        let before = result.batches.iter().map(|b| b.interchange_control_number).max().unwrap();
        assert!(later.batches[0].interchange_control_number > before);
        assert!(later.batches[0].group_control_number > result.batches.iter().map(|b| b.group_control_number).max().unwrap());
        // Nothing ready: nothing written.
        assert!(env.app.send_ready_claims(biller).await.unwrap().batches.is_empty());
    }
}

both_backends! {
    async fn with_a_clearinghouse_every_payers_claims_go_in_one_file_to_it(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        // Named half: refused on the field missing; the settings keep what they had.
        let mut settings = env.app.billing_settings(&b.staff.admin).await.unwrap();
        settings.clearinghouse_id = "330897513".into();
        let half = env.app.set_billing_settings(&b.staff.admin, &settings).await;
        assert_eq!(invalid_fields(half), ["clearinghouse_name"]);
        settings.clearinghouse_name = "Office Ally".into();
        let saved = env.app.set_billing_settings(&b.staff.admin, &settings).await.unwrap();
        assert_eq!((saved.clearinghouse_id.as_str(), saved.clearinghouse_name.as_str()), ("330897513", "Office Ally"));

        // Two payers' claims.
        let c1 = posted_claim(&env, &b).await;
        let other_payer = env.payer_id(&b.staff.admin, 2).await;
        let mut other = patient("Marsh", "Ada", "1971-09-30");
        other.address = address();
        let other = env.app.register_patient(&b.staff.front_desk, &other, true).await.unwrap();
        env.app.add_coverage(&b.staff.front_desk, &other.id, &coverage(&other_payer, "MEMBER777", "1", "2026-01-01"), None, None).await.unwrap();
        let e2 = env.app.open_encounter(biller, &visit(&b, &other.id)).await.unwrap();
        let c2 = env.app.post_charges(biller, &e2.id).await.unwrap().claim_id.unwrap();
        for id in [&c1, &c2] {
            env.app.change_claim_status(biller, id, &to("ready")).await.unwrap();
        }

        let result = env.app.send_ready_claims(biller).await.unwrap();
        assert_eq!(result.batches.len(), 1, "one file to the clearinghouse");
        let batch = &result.batches[0];
        assert_eq!((batch.receiver_id.as_str(), batch.claim_count, batch.payer_id.as_str()), ("330897513", 2, ""));
        let (name, content) = env.app.claim_batch_file(biller, &batch.id).await.unwrap();
        assert!(content.contains(&format!("*ZZ*{:<15}*", "330897513")), "ISA08 is the clearinghouse: {}", &content[..120]);
        assert!(content.contains("NM1*40*2*OFFICE ALLY*****46*330897513~") || content.contains("NM1*40*2*Office Ally*****46*330897513~"), "{content}");
        assert_eq!(content.matches("CLM*").count(), 2);
        assert_eq!(content.matches("NM1*PR*2*").count(), 2, "each claim names its own payer");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(&name);
        std::fs::write(&path, &content).unwrap();
        pyx12_validate(&[path]);
    }
}
