//! The readers against the fixtures in `tests/fixtures`.

use medoffice_x12::ack999::{AckCode, read_999};
use medoffice_x12::claim277ca::{Outcome, read_277ca};
use medoffice_x12::eligibility271::{Coverage, Subject, read_271};
use medoffice_x12::envelope::DateOrRange;
use medoffice_x12::error::ErrorKind;
use medoffice_x12::remittance835::{BalanceProblem, read_835};
use medoffice_x12::syntax::{parse, write};

use crate::support::*;

#[test]
fn a_999_says_which_sets_were_accepted_and_why_the_others_were_not() {
    let acks = read_999(&fixture("999_partial.x12")).unwrap();
    assert_eq!(acks.len(), 1);
    let ack = &acks[0];
    assert_eq!((ack.functional_id.as_str(), ack.group_control_number.as_str()), ("HC", "17"));
    assert_eq!(ack.group_status, AckCode::PartiallyAccepted);
    assert_eq!((ack.sets_included, ack.sets_received, ack.sets_accepted), (Some(2), Some(2), Some(1)));
    assert_eq!(ack.sets.len(), 2);
    assert!(ack.sets[0].accepted());
    assert_eq!(ack.sets[0].control_number, "0001");
    let rejected = &ack.sets[1];
    assert!(!rejected.accepted());
    assert_eq!(rejected.status, AckCode::Rejected);
    assert_eq!(rejected.syntax_error_meanings(), vec!["one or more segments are in error"]);
    assert_eq!(rejected.segment_errors.len(), 2);
    let nm1 = &rejected.segment_errors[0];
    assert_eq!((nm1.segment_id.as_str(), nm1.position, nm1.loop_id.as_deref()), ("NM1", Some(22), Some("2010")));
    assert_eq!(nm1.meaning, Some("the segment has data element errors"));
    assert_eq!(nm1.element_errors[0].meaning, Some("the code is not valid"));
    assert_eq!(nm1.element_errors[0].bad_value.as_deref(), Some("1234567890"));
    assert_eq!(rejected.segment_errors[1].element_errors[0].position, "1:2");
}

#[test]
fn a_999_without_its_set_answer_is_refused_at_the_segment() {
    let text = String::from_utf8(fixture("999_partial.x12")).unwrap();
    let broken = text.replace("IK5*A~\n", "").replace("SE*13*0001", "SE*12*0001");
    let err = read_999(broken.as_bytes()).unwrap_err();
    assert_eq!(err.segment_id.as_deref(), Some("AK2"));
    assert!(matches!(err.kind, ErrorKind::Unexpected { .. }), "{err}");
    assert_eq!(err.segment, 6);
}

#[test]
fn a_277ca_is_read_per_patient_control_number() {
    let acks = read_277ca(&fixture("277ca_mixed.x12")).unwrap();
    let ack = &acks[0];
    assert_eq!(ack.source_name.as_deref(), Some("ACME HEALTH PLAN"));
    assert_eq!(ack.batch_statuses[0].category, "A1");
    assert_eq!(ack.provider_statuses.len(), 1);
    assert_eq!(ack.claims.len(), 2);
    let accepted = &ack.claims[0];
    assert_eq!(accepted.patient_control_number, "PCN-1001");
    assert_eq!(accepted.payer_claim_control_number.as_deref(), Some("PAYER-CLM-77"));
    assert_eq!(accepted.patient_name.as_deref(), Some("DOE, JANE"));
    assert_eq!(accepted.outcome(), Outcome::Accepted);
    assert_eq!(accepted.explanation(), vec!["acknowledged: accepted into the adjudication system: accepted for processing"]);
    let rejected = &ack.claims[1];
    assert_eq!(rejected.patient_control_number, "PCN-1002");
    assert_eq!(rejected.outcome(), Outcome::Rejected);
    assert_eq!(rejected.statuses[0].amount_cents, Some(15000));
    assert_eq!(
        rejected.explanation()[0],
        "rejected for invalid information: the entity's National Provider Identifier (NPI) is missing or invalid (billing provider) - Billing provider NPI invalid"
    );
    assert_eq!(rejected.lines[0].procedure, "HC:99213");
    assert_eq!(rejected.lines[0].line_control_number.as_deref(), Some("LINE-1"));
    assert_eq!(rejected.explanation()[1], "rejected for invalid information: a procedure code is missing or invalid");
}

#[test]
fn a_277ca_claim_without_its_trace_number_is_refused() {
    let text = String::from_utf8(fixture("277ca_mixed.x12")).unwrap();
    let broken = text.replace("TRN*2*PCN-1002~\n", "").replace("SE*41*0001", "SE*40*0001");
    assert_ne!(broken, text);
    let err = read_277ca(broken.as_bytes()).unwrap_err();
    assert_eq!(err.segment_id.as_deref(), Some("HL"));
    assert!(matches!(err.kind, ErrorKind::Missing { .. }), "{err}");
}

#[test]
fn an_835_is_read_with_claims_lines_adjustments_and_provider_adjustments() {
    let r = &read_835(&fixture("835_payment.x12")).unwrap()[0];
    assert_eq!(r.total_paid_cents, 21000);
    assert_eq!(r.payment_method, "ACH");
    assert_eq!(r.payment_date, Some(date(2026, 12, 15)));
    assert_eq!(r.trace_number, "EFT-8837-01");
    assert_eq!(r.production_date, Some(date(2026, 12, 14)));
    assert_eq!(r.payer.name, "ACME HEALTH PLAN");
    assert_eq!(r.payer.id.as_deref(), Some("ACME1"));
    assert_eq!((r.payee.id_qualifier.as_deref(), r.payee.id.as_deref()), (Some("XX"), Some("1234567893")));
    assert_eq!(r.claims.len(), 2);
    let paid = &r.claims[0];
    assert_eq!((paid.charge_cents, paid.paid_cents, paid.patient_responsibility_cents), (25000, 18000, Some(2000)));
    assert_eq!(paid.status_meaning(), "processed as primary");
    assert_eq!(paid.payer_claim_control_number.as_deref(), Some("PAYER-CLM-77"));
    assert_eq!(paid.lines.len(), 2);
    let first = &paid.lines[0];
    assert_eq!((first.procedure.as_str(), first.modifiers.clone()), ("99213", vec!["25".to_string()]));
    assert_eq!(first.adjustments.len(), 2);
    assert_eq!(first.adjustments[1].group_meaning(), "patient responsibility");
    assert_eq!(first.adjustments[1].reason_meaning(), Some("co-payment"));
    assert_eq!(first.allowed_cents, Some(13000));
    assert_eq!(first.line_control_number.as_deref(), Some("1"));
    assert_eq!(first.service_date, Some(DateOrRange::Date(date(2026, 11, 20))));
    assert_eq!(paid.lines[1].remarks, vec!["N130"]);
    let denied = &r.claims[1];
    assert!(denied.is_denied());
    assert_eq!(denied.adjustments[0].reason_meaning(), Some("the time limit for filing has expired"));
    assert_eq!(denied.remarks, vec!["MA130"]);
    assert_eq!(r.provider_adjustments.len(), 2);
    assert_eq!(r.provider_adjustments[0].reason_meaning(), Some("interest owed"));
    assert_eq!(r.provider_adjustments[1].reference.as_deref(), Some("PAYER-CLM-12"));
    assert_eq!(r.balance_problems, vec![]);
}

#[test]
fn an_835_that_does_not_balance_says_where() {
    let text = String::from_utf8(fixture("835_payment.x12")).unwrap();
    let broken = text.replace("CAS*CO*45*30~", "CAS*CO*45*31~").replace("BPR*I*210*", "BPR*I*211*");
    let r = &read_835(broken.as_bytes()).unwrap()[0];
    assert_eq!(r.balance_problems.len(), 3, "{:?}", r.balance_problems);
    assert!(matches!(&r.balance_problems[0], BalanceProblem::Line { line: 2, adjusted_cents: 3100, .. }));
    assert!(matches!(&r.balance_problems[1], BalanceProblem::Claim { claim, .. } if claim == "PCN-1001"));
    assert_eq!(r.balance_problems[2].to_string(), "the payment of 211 is not the claims' 180 less provider adjustments of -30");
}

#[test]
fn an_835_with_a_bad_amount_names_the_element() {
    let text = String::from_utf8(fixture("835_payment.x12")).unwrap();
    let err = read_835(text.replace("CLP*PCN-1001*1*250*", "CLP*PCN-1001*1*2,50*").as_bytes()).unwrap_err();
    assert_eq!(err.segment_id.as_deref(), Some("CLP"));
    assert_eq!(err.kind, ErrorKind::BadAmount { element: "CLP03".into(), value: "2,50".into() });
    assert!(err.to_string().starts_with("segment 17 (CLP): CLP03"), "{err}");
}

#[test]
fn a_271_gives_coverage_copay_deductible_and_coinsurance() {
    let answers = read_271(&fixture("271_benefits.x12")).unwrap();
    assert_eq!(answers.len(), 2);
    let sub = &answers[0];
    assert_eq!(sub.subject, Subject::Subscriber);
    assert_eq!(sub.payer_name.as_deref(), Some("ACME HEALTH PLAN"));
    assert_eq!(sub.name.as_deref(), Some("DOE, JOHN"));
    assert_eq!(sub.member_id.as_deref(), Some("MEMBER001"));
    assert_eq!(sub.trace_numbers, vec!["ELIG-0001"]);
    assert_eq!(sub.coverage(), Coverage::Active);
    assert_eq!(sub.benefits[0].service_types, vec!["30", "1", "33", "35", "47", "86", "88", "98"]);
    assert_eq!(sub.copay_cents("98"), Some(2500));
    assert_eq!(sub.deductible_remaining_cents("98"), Some(60000));
    assert_eq!(sub.coinsurance_basis_points("98"), Some(2000));
    assert_eq!(sub.benefits[1].messages, vec!["OFFICE VISIT COPAY"]);
    assert_eq!(sub.benefits[6].percent_basis_points, Some(4000));
    assert_eq!(sub.benefits[6].in_network, Some(false));
    let dependant = &answers[1];
    assert_eq!(dependant.subject, Subject::Dependent);
    assert_eq!(dependant.name.as_deref(), Some("DOE, JENNY"));
    assert_eq!(dependant.coverage(), Coverage::Inactive);
}

#[test]
fn a_271_rejection_is_explained() {
    let answers = read_271(&fixture("271_rejected.x12")).unwrap();
    assert_eq!(answers[0].coverage(), Coverage::Unknown);
    assert_eq!(answers[0].rejections[0].meaning(), Some("subscriber not found"));
    assert_eq!(answers[0].rejections[0].follow_up.as_deref(), Some("C"));
}

#[test]
fn readers_refuse_another_transaction() {
    let err = read_835(&fixture("999_partial.x12")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::WrongTransaction { expected: "835", found: "999".into() });
    assert!(read_271(&fixture("835_payment.x12")).is_err());
    assert!(read_999(&fixture("277ca_mixed.x12")).is_err());
    assert!(read_277ca(&fixture("271_benefits.x12")).is_err());
}

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    for name in fixture_names() {
        let bytes = fixture(&name);
        let doc = parse(&bytes).unwrap();
        assert_eq!(write(&doc).as_bytes(), &bytes[..], "{name}");
    }
}

#[test]
fn lower_case_and_other_delimiters_are_read() {
    let text = String::from_utf8(fixture("835_payment.x12")).unwrap();
    // Swap the delimiters for ones some payers use, and lower-case the segment identifiers.
    let swapped: String = text
        .lines()
        .map(|l| {
            let l = l.replace('*', "|").replace(':', ">").replace('~', "\r\n");
            let (id, rest) = l.split_once('|').unwrap_or((&l, ""));
            format!("{}|{rest}", id.to_ascii_lowercase())
        })
        .collect::<Vec<_>>()
        .join("");
    let swapped = swapped.replacen("|^|", "|}|", 1);
    let r = &read_835(swapped.as_bytes()).unwrap()[0];
    assert_eq!(r.total_paid_cents, 21000);
    assert_eq!(r.claims[0].lines[0].modifiers, vec!["25"]);
}
