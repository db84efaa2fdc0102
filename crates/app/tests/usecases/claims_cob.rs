//! Corrected and secondary claims from medoffice's own data: a sent claim replaced (frequency 7)
//! and then voided (8) by new linked claims, the originals closed when their corrections go out;
//! a dependent's claim paid by the primary, its adjudication entered and a secondary claim sent
//! with the 2320/2430 loops; every 837P file passes pyx12. Refused: an adjudication that does not
//! balance, a patient without a secondary coverage, a primary claim not adjudicated yet.

use crate::claims::pyx12_validate;
use crate::encounters::{Billing, address, billing_setup, line, visit};
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::claims::{ClaimFrequencyInput, ClaimStatus, ClaimStatusInput};
use medoffice_app::claims_cob::{AdjudicationInput, AdjudicationLineInput, AdjustmentInput, ClaimCorrectionInput};
use std::path::PathBuf;

fn to(status: &str) -> ClaimStatusInput {
    ClaimStatusInput { status: status.into(), note: String::new() }
}

fn adj(group: &str, reason: &str, amount: &str) -> AdjustmentInput {
    AdjustmentInput { group_code: group.into(), reason_code: reason.into(), amount: amount.into(), amount_cents: None }
}

fn paid_line(paid: &str, adjustments: Vec<AdjustmentInput>) -> AdjudicationLineInput {
    AdjudicationLineInput { paid: paid.into(), adjustments, ..Default::default() }
}

/// The primary's EOB for the standard visit (99213 $150.00, 93000 $60.00): $140.00 paid.
fn balanced_eob() -> AdjudicationInput {
    AdjudicationInput {
        paid_date: "2026-06-14".into(),
        total_paid: "140.00".into(),
        payer_claim_control_number: "ICN-PRIMARY-1".into(),
        lines: vec![
            paid_line("100.00", vec![adj("CO", "45", "30.00"), adj("PR", "2", "20.00")]),
            paid_line("40.00", vec![adj("CO", "45", "10.00"), adj("PR", "1", "10.00")]),
        ],
        claim_adjustments: vec![],
        ..Default::default()
    }
}

async fn payer_code(env: &TestEnv, payer_id: &str) -> String {
    let (code,): (String,) =
        sqlx::query_as("SELECT payer_code FROM payer WHERE id = $1").bind(payer_id).fetch_one(env.store.pool()).await.unwrap();
    code
}

async fn adjudication_rows(env: &TestEnv) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM claim_adjudication").fetch_one(env.store.pool()).await.unwrap();
    n
}

/// Moves a claim to ready, sends it, and returns the content of the file it went out in.
async fn send(env: &TestEnv, b: &Billing, claim_id: &str, files: &mut Vec<PathBuf>, dir: &std::path::Path) -> String {
    let ready = env.app.change_claim_status(&b.staff.biller, claim_id, &to("ready")).await.unwrap();
    assert!(ready.problems.is_empty(), "{:?}", ready.problems);
    let result = env.app.send_ready_claims(&b.staff.biller).await.unwrap();
    assert_eq!(result.batches.len(), 1);
    let (name, content) = env.app.claim_batch_file(&b.staff.biller, &result.batches[0].id).await.unwrap();
    let path = dir.join(&name);
    std::fs::write(&path, &content).unwrap();
    files.push(path);
    assert_eq!(env.app.claim(&b.staff.biller, claim_id).await.unwrap().claim.status, ClaimStatus::Sent);
    content
}

both_backends! {
    async fn a_sent_claim_is_replaced_then_voided_by_new_linked_claims_that_pyx12_accepts(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        // A self subscriber; several diagnoses and lines with modifiers.
        let mut input = visit(&b, &b.patient_id);
        input.diagnoses = vec!["E11.9".into(), "I10".into(), "J06.9".into(), "R05.9".into()];
        input.lines = vec![line("99214", "25", "1,2,3"), line("93000", "", "2"), line("36415", "", "1")];
        let e = env.app.open_encounter(biller, &input).await.unwrap();
        let original = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();

        // A draft is changed itself (the frequency form), never corrected by a new claim.
        let refused = env.app.correct_claim(biller, &original, &ClaimCorrectionInput { frequency_code: "7".into(), ..Default::default() }).await;
        assert_eq!(invalid_fields(refused), ["frequency_code"]);
        let draft = env.app.claim(biller, &original).await.unwrap();
        assert!(!draft.correctable && !draft.secondary_billable);
        let set = ClaimFrequencyInput { frequency_code: "7".into(), payer_claim_control_number: String::new() };
        assert_eq!(invalid_fields(env.app.set_claim_frequency(biller, &original, &set).await), ["payer_claim_control_number"]);
        let back = ClaimFrequencyInput { frequency_code: "1".into(), payer_claim_control_number: String::new() };
        assert_eq!(env.app.set_claim_frequency(biller, &original, &back).await.unwrap().claim.frequency_code, "1");

        let first = send(&env, &b, &original, &mut files, dir.path()).await;
        assert!(first.contains("*11:B:1*"), "{first}");
        env.app.change_claim_status(biller, &original, &to("accepted")).await.unwrap();
        // The 277CA gave the payer's claim number (stored on the claim by the acknowledgements).
        sqlx::query("UPDATE claim SET payer_claim_control_number = 'ICN20260001' WHERE id = $1")
            .bind(&original)
            .execute(env.store.pool())
            .await
            .unwrap();
        assert!(env.app.claim(biller, &original).await.unwrap().correctable);

        // The replacement: a new draft claim, the payer's number prefilled from the original.
        let replacement = env
            .app
            .correct_claim(biller, &original, &ClaimCorrectionInput { frequency_code: "7".into(), note: "units corrected".into(), ..Default::default() })
            .await
            .unwrap();
        assert_ne!(replacement.claim.id, original);
        assert_eq!(replacement.claim.status, ClaimStatus::Draft);
        assert_eq!(replacement.claim.frequency_code, "7");
        assert_eq!(replacement.claim.encounter_id, e.id);
        assert_eq!(replacement.payer_claim_control_number.as_deref(), Some("ICN20260001"));
        assert!(replacement.history[0].note.contains("units corrected"), "{:?}", replacement.history);
        assert_eq!(replacement.related.len(), 1);
        assert_eq!((replacement.related[0].id.as_str(), replacement.related[0].relation.as_str()), (original.as_str(), "replaces"));
        let before = env.app.claim(biller, &original).await.unwrap();
        assert_eq!(before.claim.status, ClaimStatus::Accepted, "the original stays as it is until the replacement is sent");
        assert_eq!(before.related[0].relation, "replaced_by");
        assert!(!before.correctable, "one correction at a time");
        let twice = env.app.correct_claim(biller, &original, &ClaimCorrectionInput { frequency_code: "8".into(), ..Default::default() }).await;
        assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");

        let second = send(&env, &b, &replacement.claim.id, &mut files, dir.path()).await;
        assert!(second.contains(&format!("CLM*{}*", replacement.claim.patient_control_number)), "{second}");
        assert!(second.contains("*11:B:7*Y*A*Y*Y~REF*F8*ICN20260001~"), "{second}");
        assert!(second.contains("SV1*HC:99214:25*200*UN*1***1:2:3~"), "{second}");
        let closed = env.app.claim(biller, &original).await.unwrap();
        assert_eq!(closed.claim.status, ClaimStatus::Closed);
        let steps: Vec<&str> = closed.history.iter().map(|h| h.to_status.as_str()).collect();
        assert_eq!(steps, ["draft", "ready", "sent", "accepted", "closed"], "the original's history is kept");
        assert!(closed.history[4].note.contains(&replacement.claim.patient_control_number), "{:?}", closed.history);

        // The void of the replacement, with the number the payer gave it.
        let void = env
            .app
            .correct_claim(biller, &replacement.claim.id, &ClaimCorrectionInput { frequency_code: "8".into(), payer_claim_control_number: "ICN20260002".into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(void.claim.frequency_code, "8");
        assert_eq!(void.related[0].relation, "voids");
        let third = send(&env, &b, &void.claim.id, &mut files, dir.path()).await;
        assert!(third.contains("*11:B:8*Y*A*Y*Y~REF*F8*ICN20260002~"), "{third}");
        let replaced = env.app.claim(biller, &replacement.claim.id).await.unwrap();
        assert_eq!(replaced.claim.status, ClaimStatus::Closed);
        let relations: Vec<&str> = replaced.related.iter().map(|r| r.relation.as_str()).collect();
        assert_eq!(relations, ["replaces", "voided_by"]);

        let text = pyx12_validate(&files);
        eprintln!("{text}");
        let (audited,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'claim.correct'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(audited, 2);
    }
}

/// A child on her father's primary coverage (the first payer) and her mother's secondary one
/// (the second payer); returns the patient's id and the secondary payer's id.
async fn dependent_with_two_coverages(env: &TestEnv, b: &Billing) -> (String, String) {
    let secondary_payer = env.payer_id(&b.staff.admin, 1).await;
    let mut child = patient("Roe", "Jenny", "2015-06-12");
    child.address = address();
    let child = env.app.register_patient(&b.staff.front_desk, &child, true).await.unwrap();
    for (payer, member, priority, family, given, birth, sex) in [
        (b.payer_id.as_str(), "MEMBER010", "1", "Roe", "John", "1978-03-03", "male"),
        (secondary_payer.as_str(), "MEMBER020", "2", "Roe", "Mary", "1980-09-09", "female"),
    ] {
        let mut cov = coverage(payer, member, priority, "2026-01-01");
        cov.relationship_to_subscriber = "child".into();
        cov.subscriber_family_name = family.into();
        cov.subscriber_given_name = given.into();
        cov.subscriber_birth_date = birth.into();
        cov.subscriber_sex = sex.into();
        cov.group_number = format!("GRP-{priority}");
        env.app.add_coverage(&b.staff.front_desk, &child.id, &cov, None, None).await.unwrap();
    }
    (child.id, secondary_payer)
}

both_backends! {
    async fn a_dependent_claim_paid_by_the_primary_goes_to_the_secondary_payer_with_its_adjudication(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        let (child_id, secondary_payer) = dependent_with_two_coverages(&env, &b).await;
        let mut input = visit(&b, &child_id);
        input.diagnoses = vec!["J06.9".into(), "R05.9".into(), "J02.9".into()];
        let e = env.app.open_encounter(biller, &input).await.unwrap();
        let primary = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();
        let first = send(&env, &b, &primary, &mut files, dir.path()).await;
        assert!(first.contains("SBR*P**GRP-1*") && first.contains("PAT*19~"), "{first}");
        // Not adjudicated yet: no secondary claim.
        assert!(!env.app.claim(biller, &primary).await.unwrap().secondary_billable);
        assert!(invalid_fields(env.app.create_secondary_claim(biller, &primary, &balanced_eob()).await).contains(&"status".to_string()));
        env.app.change_claim_status(biller, &primary, &to("accepted")).await.unwrap();
        env.app.change_claim_status(biller, &primary, &to("partially_paid")).await.unwrap();
        assert!(env.app.claim(biller, &primary).await.unwrap().secondary_billable);

        // An EOB that does not balance names the line, the total and the claim's adjustments.
        let mut short = balanced_eob();
        short.lines[0].adjustments.pop();
        assert_eq!(invalid_fields(env.app.create_secondary_claim(biller, &primary, &short).await), ["lines[0].paid"]);
        let mut total = balanced_eob();
        total.total_paid = "150.00".into();
        assert_eq!(invalid_fields(env.app.create_secondary_claim(biller, &primary, &total).await), ["total_paid"]);
        let mut extra = balanced_eob();
        extra.claim_adjustments = vec![adj("OA", "23", "5.00")];
        assert_eq!(invalid_fields(env.app.create_secondary_claim(biller, &primary, &extra).await), ["claim_adjustments"]);
        let mut typed = balanced_eob();
        typed.paid_date = "2026-06-30".into();
        typed.lines[1].adjustments[0] = adj("XX", "", "0");
        typed.lines.push(paid_line("", vec![]));
        let fields = invalid_fields(env.app.create_secondary_claim(biller, &primary, &typed).await);
        for f in ["paid_date", "lines[1].adjustments[0].group_code", "lines[1].adjustments[0].reason_code", "lines[1].adjustments[0].amount", "lines[2].paid"] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
        let mut missing = balanced_eob();
        missing.lines.pop();
        assert_eq!(invalid_fields(env.app.create_secondary_claim(biller, &primary, &missing).await), ["lines"]);
        assert_eq!(adjudication_rows(&env).await, 0, "nothing written");

        // A balanced EOB: the adjudication is stored and the draft secondary claim made, clean.
        let secondary = env.app.create_secondary_claim(biller, &primary, &balanced_eob()).await.unwrap();
        assert_eq!(secondary.claim.status, ClaimStatus::Draft);
        assert_eq!(secondary.claim.payer_id, secondary_payer);
        assert_eq!(secondary.claim.total_cents, 21000);
        assert!(secondary.problems.is_empty(), "{:?}", secondary.problems);
        assert_eq!((secondary.related[0].id.as_str(), secondary.related[0].relation.as_str()), (primary.as_str(), "primary_claim"));
        let primary_detail = env.app.claim(biller, &primary).await.unwrap();
        assert_eq!(primary_detail.related[0].relation, "secondary_claim");
        assert!(!primary_detail.secondary_billable, "one secondary claim at a time");
        let eob = primary_detail.adjudication.expect("the primary's adjudication");
        assert_eq!((eob.paid_cents, eob.adjudicated_on.as_str(), eob.source.as_str()), (14000, "2026-06-14", "manual"));
        assert_eq!(eob.lines[0].adjustments.iter().map(|a| (a.group_code.as_str(), a.reason_code.as_str(), a.amount_cents)).collect::<Vec<_>>(), [("CO", "45", 3000), ("PR", "2", 2000)]);
        let again = env.app.create_secondary_claim(biller, &primary, &balanced_eob()).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
        assert_eq!(adjudication_rows(&env).await, 1);

        let file = send(&env, &b, &secondary.claim.id, &mut files, dir.path()).await;
        let primary_code = payer_code(&env, &b.payer_id).await;
        assert!(file.contains("SBR*S**GRP-2*"), "{file}");
        assert!(file.contains("NM1*IL*1*ROE*MARY"), "the secondary's subscriber: {file}");
        assert!(file.contains("SBR*P*19*GRP-1"), "the other subscriber (2320): {file}");
        assert!(file.contains("AMT*D*140~"), "{file}");
        assert!(file.contains("NM1*IL*1*ROE*JOHN****MI*MEMBER010~"), "{file}");
        assert!(file.contains(&format!("*PI*{primary_code}~DTP*573*D8*20260614~")), "{file}");
        assert!(file.contains(&format!("SVD*{primary_code}*100*HC:99213:25**1~CAS*CO*45*30~CAS*PR*2*20~DTP*573*D8*20260614~")), "{file}");
        assert!(file.contains(&format!("SVD*{primary_code}*40*HC:93000**1~CAS*CO*45*10~CAS*PR*1*10~")), "{file}");
        let text = pyx12_validate(&files);
        eprintln!("{text}");
    }
}

both_backends! {
    async fn a_secondary_claim_needs_a_secondary_coverage_and_a_primary_claim(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let e = env.app.open_encounter(biller, &visit(&b, &b.patient_id)).await.unwrap();
        let primary = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();
        env.app.change_claim_status(biller, &primary, &to("ready")).await.unwrap();
        env.app.send_ready_claims(biller).await.unwrap();
        for s in ["accepted", "denied"] {
            env.app.change_claim_status(biller, &primary, &to(s)).await.unwrap();
        }
        // Denied by the primary, but the patient has no secondary coverage.
        let mut denial = balanced_eob();
        denial.total_paid = "0".into();
        denial.lines = vec![paid_line("0", vec![adj("CO", "22", "150.00")]), paid_line("0.00", vec![adj("CO", "22", "60.00")])];
        assert_eq!(invalid_fields(env.app.create_secondary_claim(biller, &primary, &denial).await), ["coverage"]);
        assert!(!env.app.claim(biller, &primary).await.unwrap().secondary_billable);
        // Only a biller may.
        assert!(matches!(env.app.create_secondary_claim(&b.staff.front_desk, &primary, &denial).await, Err(AppError::Forbidden)));

        // With a secondary coverage (self subscriber) the denial goes to the secondary payer.
        let other = env.payer_id(&b.staff.admin, 1).await;
        env.app.add_coverage(&b.staff.front_desk, &b.patient_id, &coverage(&other, "SEC-77", "2", "2026-01-01"), None, None).await.unwrap();
        let secondary = env.app.create_secondary_claim(biller, &primary, &denial).await.unwrap();
        assert!(secondary.problems.is_empty(), "{:?}", secondary.problems);
        env.app.change_claim_status(biller, &secondary.claim.id, &to("ready")).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let result = env.app.send_ready_claims(biller).await.unwrap();
        let (name, content) = env.app.claim_batch_file(biller, &result.batches[0].id).await.unwrap();
        assert!(content.contains("SBR*S*18*") && content.contains("SBR*P*18*GRP-100*") && content.contains("AMT*D*0~"), "{content}");
        let path = dir.path().join(name);
        std::fs::write(&path, &content).unwrap();
        pyx12_validate(&[path]);
        for s in ["accepted", "paid"] {
            env.app.change_claim_status(biller, &secondary.claim.id, &to(s)).await.unwrap();
        }
        // A secondary claim has no secondary claim of its own.
        assert_eq!(invalid_fields(env.app.create_secondary_claim(biller, &secondary.claim.id, &denial).await), ["claim", "coverage"]);
    }
}
