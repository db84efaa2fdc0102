//! Acknowledgements through the use cases: a 999 that accepts a batch leaves its claims sent and
//! notes it; one that rejects the batch's set rejects every claim of it with the errors in plain
//! words; a 277CA accepts one claim (keeping the payer's claim number) and rejects another, which
//! lands on the rejected worklist, is corrected and goes out again in a new batch; what matches
//! nothing is reported; the same file twice changes nothing; a file that is not an
//! acknowledgement is refused on `file`. The fixtures are built from the batches' control numbers
//! and the claims' patient control numbers.

use crate::encounters::{Billing, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, invalid_fields};
use medoffice_app::AppError;
use medoffice_app::acknowledgements::AckImportInput;
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput, ClaimWorklistQuery};

fn to(status: &str) -> ClaimStatusInput {
    ClaimStatusInput { status: status.into(), note: String::new() }
}

/// An interchange from the clearinghouse around one transaction set (its segments from ST to the
/// last before SE); SE01, GE01 and IEA01 counted.
fn interchange(control: u32, functional_id: &str, guide: &str, set_id: &str, body: &[String]) -> String {
    let mut set = vec![format!("ST*{set_id}*0001*{guide}")];
    set.extend(body.iter().cloned());
    set.push(format!("SE*{}*0001", set.len() + 1));
    format!(
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*MEDOFFICE      *260616*1200*^*00501*{control:09}*0*T*:~\n\
         GS*{functional_id}*CLEARHOUSE*MEDOFFICE*20260616*1200*{control}*X*{guide}~\n{}~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        set.join("~\n")
    )
}

/// A 999 about the group `group` we sent: accepted, or its set rejected for a bad member id.
pub fn ack_999(control: u32, group: i64, accepted: bool) -> String {
    let mut body = vec![format!("AK1*HC*{group}*005010X222A1"), "AK2*837*0001*005010X222A1".to_string()];
    if accepted {
        body.push("IK5*A".into());
        body.push("AK9*A*1*1*1".into());
    } else {
        body.push("IK3*NM1*22*2010BA*8".into());
        body.push("IK4*9*67*7*BADID".into());
        body.push("IK5*R*5".into());
        body.push("AK9*R*1*1*0".into());
    }
    interchange(control, "FA", "005010X231A1", "999", &body)
}

/// A 277CA with one claim per `(patient control number, STC01, payer claim number)`.
pub fn ack_277ca(control: u32, claims: &[(&str, &str, Option<&str>)]) -> String {
    let mut body: Vec<String> = [
        "BHT*0085*08*277CA0001*20260616*1015*TH",
        "HL*1**20*1",
        "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1",
        "TRN*1*277CA0001",
        "DTP*050*D8*20260616",
        "DTP*009*D8*20260616",
        "HL*2*1*21*1",
        "NM1*41*2*MEDOFFICE PRACTICE*****46*SUB123",
        "TRN*2*BATCH",
        "STC*A1:19:PR*20260616*WQ*300",
        "HL*3*2*19*1",
        "NM1*85*2*TEST PRACTICE*****XX*1234567893",
        "TRN*1*0",
        "STC*A1:19:85**WQ*300",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (i, (pcn, stc, payer_number)) in claims.iter().enumerate() {
        body.push(format!("HL*{}*3*PT", i + 4));
        body.push("NM1*QC*1*DOE*JANE****MI*MEMBER001".into());
        body.push(format!("TRN*2*{pcn}"));
        body.push(format!("STC*{stc}*20260616*WQ*210"));
        if let Some(n) = payer_number {
            body.push(format!("REF*1K*{n}"));
        }
        body.push("DTP*472*D8*20260610".into());
    }
    interchange(control, "HN", "005010X214", "277", &body)
}

fn file(name: &str, text: &str) -> AckImportInput {
    AckImportInput { file_name: name.into(), bytes: text.as_bytes().to_vec() }
}

/// A posted, ready claim of the Billing patient; returns its id and patient control number.
async fn ready_claim(env: &TestEnv, b: &Billing) -> (String, String) {
    let e = env.app.open_encounter(&b.staff.biller, &visit(b, &b.patient_id)).await.unwrap();
    let id = env.app.post_charges(&b.staff.biller, &e.id).await.unwrap().claim_id.unwrap();
    let detail = env.app.change_claim_status(&b.staff.biller, &id, &to("ready")).await.unwrap();
    assert!(detail.problems.is_empty(), "{:?}", detail.problems);
    (id, detail.claim.patient_control_number)
}

async fn status_of(env: &TestEnv, b: &Billing, claim_id: &str) -> ClaimStatus {
    env.app.claim(&b.staff.biller, claim_id).await.unwrap().claim.status
}

async fn event_count(env: &TestEnv) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM claim_status_event").fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn a_999_accepts_or_rejects_the_claims_of_the_batch_it_answers(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (first, _) = ready_claim(&env, &b).await;
        let batch1 = env.app.send_ready_claims(biller).await.unwrap().batches.remove(0);

        // Accepted: the claim stays sent, the batch is noted.
        let accepted = env.app.import_acknowledgement(biller, &file("ack1.999", &ack_999(801, batch1.group_control_number, true))).await.unwrap();
        assert_eq!((accepted.kind.as_str(), accepted.matched, accepted.accepted, accepted.rejected, accepted.duplicate), ("999", 1, 1, 0, false));
        assert!(accepted.unmatched.is_empty(), "{:?}", accepted.unmatched);
        assert_eq!(accepted.items.len(), 1);
        assert_eq!(accepted.items[0].batch_id.as_deref(), Some(batch1.id.as_str()));
        assert_eq!(accepted.items[0].reasons, ["999 accepted"]);
        assert_eq!(status_of(&env, &b, &first).await, ClaimStatus::Sent);

        // The same file again: the first import's answer, nothing changed.
        let events = event_count(&env).await;
        let again = env.app.import_acknowledgement(biller, &file("copy.999", &ack_999(801, batch1.group_control_number, true))).await.unwrap();
        assert!(again.duplicate);
        assert_eq!((again.file_id.as_str(), again.matched, again.accepted), (accepted.file_id.as_str(), 1, 1));
        assert_eq!(event_count(&env).await, events);
        assert_eq!(env.app.acknowledgement_files(biller).await.unwrap().len(), 1);

        // Rejected: every claim of the second batch is rejected, with the errors in plain words.
        let (second, pcn) = ready_claim(&env, &b).await;
        let (third, _) = ready_claim(&env, &b).await;
        let batch2 = env.app.send_ready_claims(biller).await.unwrap().batches.remove(0);
        assert_eq!(batch2.claim_count, 2);
        let rejected = env.app.import_acknowledgement(biller, &file("ack2.999", &ack_999(802, batch2.group_control_number, false))).await.unwrap();
        assert_eq!((rejected.matched, rejected.accepted, rejected.rejected), (2, 0, 2));
        assert_eq!(rejected.items.len(), 3, "the batch and its two claims: {:?}", rejected.items);
        assert!(rejected.items.iter().any(|i| i.claim_id.as_deref() == Some(second.as_str()) && i.reference == pcn && i.outcome == "rejected"));
        for id in [&second, &third] {
            let detail = env.app.claim(biller, id).await.unwrap();
            assert_eq!(detail.claim.status, ClaimStatus::Rejected);
            let last = detail.history.last().unwrap();
            assert_eq!((last.from_status.as_deref(), last.to_status.as_str()), (Some("sent"), "rejected"));
            assert!(last.note.contains("999 rejected: transaction set 0001"), "{}", last.note);
            assert!(last.note.contains("NM109: the code is not valid (sent 'BADID')"), "{}", last.note);
            assert!(last.note.contains(&format!("batch {}", batch2.batch_number)), "{}", last.note);
        }
        let acks = env.app.claim_acknowledgements(biller, &second).await.unwrap();
        assert_eq!(acks.len(), 1);
        assert_eq!((acks[0].kind.as_str(), acks[0].outcome.as_str()), ("999", "rejected"));
        assert!(acks[0].codes.contains("IK5 R 5") && acks[0].codes.contains("IK4 9 7"), "{}", acks[0].codes);
        assert!(acks[0].reasons.iter().any(|r| r.contains("one or more segments are in error")), "{:?}", acks[0].reasons);
        // The first batch's claim is untouched.
        assert_eq!(status_of(&env, &b, &first).await, ClaimStatus::Sent);

        // A group we never sent is reported, not guessed.
        let stranger = env.app.import_acknowledgement(biller, &file("other.999", &ack_999(803, 987654, false))).await.unwrap();
        assert_eq!((stranger.matched, stranger.rejected), (0, 0));
        assert_eq!(stranger.unmatched, ["group 987654: no batch we sent has this group control number"]);

        let (audited,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'acknowledgement.import'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(audited, 3);
    }
}

both_backends! {
    async fn a_277ca_accepts_one_claim_and_rejects_another_which_is_corrected_and_sent_again(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (good, good_pcn) = ready_claim(&env, &b).await;
        let (bad, bad_pcn) = ready_claim(&env, &b).await;
        let batch = env.app.send_ready_claims(biller).await.unwrap().batches.remove(0);
        assert_eq!(batch.claim_count, 2);

        let text = ack_277ca(
            901,
            &[(&good_pcn, "A2:20", Some("PAYERCLM1")), (&bad_pcn, "A7:562:85", None), ("MO99999999", "A2:20", None), ("PCN-77", "A1:19", None)],
        );
        let result = env.app.import_acknowledgement(biller, &file("claims.277", &text)).await.unwrap();
        assert_eq!((result.kind.as_str(), result.matched, result.accepted, result.rejected), ("277ca", 2, 1, 1));
        assert_eq!(
            result.unmatched,
            [
                "MO99999999 (DOE, JANE): no claim of ours has this patient control number",
                "PCN-77 (DOE, JANE): no claim of ours has this patient control number"
            ]
        );

        // Accepted, with the payer's claim number kept for a later replacement.
        let accepted = env.app.claim(biller, &good).await.unwrap();
        assert_eq!(accepted.claim.status, ClaimStatus::Accepted);
        assert_eq!(accepted.payer_claim_control_number.as_deref(), Some("PAYERCLM1"));
        assert_eq!(
            accepted.history.last().unwrap().note,
            "277CA: acknowledged: accepted into the adjudication system: accepted for processing"
        );

        // Rejected, the reason in plain words on the history and on the claim's acknowledgements.
        let rejected = env.app.claim(biller, &bad).await.unwrap();
        assert_eq!(rejected.claim.status, ClaimStatus::Rejected);
        assert_eq!(
            rejected.history.last().unwrap().note,
            "277CA: rejected for invalid information: the entity's National Provider Identifier (NPI) is missing or invalid (billing provider)"
        );
        let acks = env.app.claim_acknowledgements(biller, &bad).await.unwrap();
        assert_eq!((acks[0].kind.as_str(), acks[0].outcome.as_str(), acks[0].codes.as_str()), ("277ca", "rejected", "A7:562:85"));

        // The rejected worklist holds it, and only it.
        let worklist = env.app.claims_worklist(biller, &ClaimWorklistQuery { status: "rejected".into(), ..Default::default() }).await.unwrap();
        assert_eq!(worklist.claims.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [bad.as_str()]);

        // Imported again: nothing changes.
        let events = event_count(&env).await;
        let again = env.app.import_acknowledgement(biller, &file("claims-again.277", &text)).await.unwrap();
        assert!(again.duplicate);
        assert_eq!((again.matched, again.accepted, again.rejected, again.unmatched.len()), (2, 1, 1, 2));
        assert_eq!(event_count(&env).await, events);
        assert_eq!(status_of(&env, &b, &good).await, ClaimStatus::Accepted);

        // Corrected (back to draft, checked, ready) and sent again in a new batch.
        env.app.change_claim_status(biller, &bad, &ClaimStatusInput { status: "draft".into(), note: "NPI corrected".into() }).await.unwrap();
        env.app.change_claim_status(biller, &bad, &to("ready")).await.unwrap();
        let resent = env.app.send_ready_claims(biller).await.unwrap();
        assert_eq!(resent.batches.len(), 1);
        assert_ne!(resent.batches[0].id, batch.id);
        assert_eq!(resent.batches[0].claim_count, 1);
        let detail = env.app.claim(biller, &bad).await.unwrap();
        assert_eq!(detail.claim.status, ClaimStatus::Sent);
        assert_eq!(detail.claim.batch_id.as_deref(), Some(resent.batches[0].id.as_str()));
        let steps: Vec<&str> = detail.history.iter().map(|e| e.to_status.as_str()).collect();
        assert_eq!(steps, ["draft", "ready", "sent", "rejected", "draft", "ready", "sent"]);

        // The payer takes it this time.
        let later = env.app.import_acknowledgement(biller, &file("later.277", &ack_277ca(902, &[(&bad_pcn, "A1:19", None)]))).await.unwrap();
        assert_eq!((later.matched, later.accepted, later.rejected), (1, 1, 0));
        assert_eq!(status_of(&env, &b, &bad).await, ClaimStatus::Accepted);
    }
}

both_backends! {
    async fn a_file_that_is_not_an_acknowledgement_is_refused_and_the_front_desk_cannot_import(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        assert_eq!(invalid_fields(env.app.import_acknowledgement(biller, &file("x.txt", "hello, world")).await), ["file"]);
        assert_eq!(invalid_fields(env.app.import_acknowledgement(biller, &file("empty.txt", "")).await), ["file"]);
        // A set without its answer (IK5): well enveloped, but not a 999 that can be read.
        let body = ["AK1*HC*1*005010X222A1".to_string(), "AK2*837*0001*005010X222A1".into(), "AK9*A*1*1*1".into()];
        let broken = interchange(804, "FA", "005010X231A1", "999", &body);
        match env.app.import_acknowledgement(biller, &file("broken.999", &broken)).await {
            Err(AppError::Validation(e)) => assert!(e.errors[0].message.contains("the 999 cannot be read"), "{:?}", e.errors),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            env.app.import_acknowledgement(&b.staff.front_desk, &file("ack.999", &ack_999(805, 1, true))).await,
            Err(AppError::Forbidden)
        ));
        assert!(env.app.acknowledgement_files(biller).await.unwrap().is_empty(), "nothing was stored");
    }
}
