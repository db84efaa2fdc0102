//! Claim status, 276 out and 277 back (005010X212). pyx12 4.0.0 has no map for either (its
//! maps.xml names 5010 276/277 maps it does not ship; a test notices if that changes), so, as `standards.md` says, these are held
//! to the guide's rules here: the hierarchy (HL numbering and parents, the dependant level), the
//! counts and control numbers of the envelope, the trace numbers; and to round trips: every file
//! written or read writes back byte for byte, and no bytes make the reader panic.

use chrono::NaiveDate;
use medoffice_x12::claim_status276::{
    ClaimInquiry, DependentInquiry, PayerInquiry, ProviderInquiry, StatusRequest276, SubscriberInquiry, write_276,
};
use medoffice_x12::claim_status277::read_277;
use medoffice_x12::claim837p::{EntityName, Gender, PersonName};
use medoffice_x12::codes::ClaimStatusKind;
use medoffice_x12::envelope::{ControlNumbers, DateOrRange, Envelope, Usage, transaction_sets};
use medoffice_x12::syntax::{parse, write};
use proptest::prelude::*;

use crate::support::fixture;

fn person(last: &str, first: &str) -> PersonName {
    PersonName { last: last.into(), first: first.into(), middle: None, suffix: None }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn inquiry(n: u32, charge: i64, dates: DateOrRange) -> ClaimInquiry {
    ClaimInquiry {
        trace_number: format!("CS000000007-MO{n:08}"),
        payer_claim_control_number: (n == 1).then(|| "ACME2026120400017".to_string()),
        patient_control_number: format!("MO{n:08}"),
        total_charge_cents: charge,
        service_dates: dates,
    }
}

/// Two subscribers at one payer: a self subscriber with two claims, and a father whose
/// daughter's two claims sit under the dependant level.
fn request() -> StatusRequest276 {
    StatusRequest276 {
        envelope: Envelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "MEDOFFICE".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: "ACME1".into(),
            application_sender: "MEDOFFICE".into(),
            application_receiver: "ACME1".into(),
            created: day(30).and_hms_opt(9, 5, 0).unwrap(),
            acknowledgment_requested: false,
        },
        reference: "CS7".into(),
        payers: vec![PayerInquiry {
            payer_name: "Acme Health Plan".into(),
            payer_id: "ACME1".into(),
            receiver_name: "Main Street Clinic".into(),
            receiver_id: "MEDOFFICE".into(),
            providers: vec![ProviderInquiry {
                name: EntityName::Organization("Main Street Clinic".into()),
                npi: "1234567893".into(),
                subscribers: vec![
                    SubscriberInquiry {
                        name: person("Smith", "Anna"),
                        member_id: "MEMBER001".into(),
                        birth_date: NaiveDate::from_ymd_opt(1980, 2, 29),
                        gender: Some(Gender::Female),
                        dependent: None,
                        claims: vec![inquiry(1, 12550, DateOrRange::Date(day(20))), inquiry(2, 8000, DateOrRange::Range(day(21), day(22)))],
                    },
                    SubscriberInquiry {
                        name: person("Doe", "John"),
                        member_id: "MEMBER002".into(),
                        birth_date: None,
                        gender: None,
                        dependent: Some(DependentInquiry {
                            name: person("Doé", "Jenny"),
                            birth_date: NaiveDate::from_ymd_opt(2015, 6, 12).unwrap(),
                            gender: Gender::Female,
                        }),
                        claims: vec![inquiry(3, 9500, DateOrRange::Date(day(19))), inquiry(4, 4000, DateOrRange::Date(day(18)))],
                    },
                ],
            }],
        }],
    }
}

#[test]
fn a_276_follows_the_guides_hierarchy_and_envelope() {
    let control = ControlNumbers { interchange: 7, group: 7, transaction: 1 };
    let text = write_276(&request(), &control, Usage::Test).unwrap();
    assert!(text.is_ascii());
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(write(&doc), text, "written and read back byte for byte");
    // Counts and control numbers checked by the envelope reader.
    let sets = transaction_sets(&doc).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!((sets[0].set_id(), sets[0].version()), ("276", "005010X212"));
    assert_eq!(doc.segments[1].element(1), "HR", "GS01 of a claim status request");
    let bht = &sets[0].body[0];
    assert_eq!((bht.element(1), bht.element(2)), ("0010", "13"));

    // HL01 counts from 1; each HL02 names an earlier HL of the level above.
    let hls: Vec<(usize, String, String, String)> = sets[0]
        .body
        .iter()
        .filter(|s| s.is("HL"))
        .map(|s| (s.element(1).parse().unwrap(), s.element(2).to_string(), s.element(3).to_string(), s.element(4).to_string()))
        .collect();
    let levels: Vec<&str> = hls.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(levels, ["20", "21", "19", "22", "22", "23"]);
    let parent_level = |level: &str| match level {
        "21" => "20",
        "19" => "21",
        "22" => "19",
        "23" => "22",
        _ => "",
    };
    for (i, (number, parent, level, _)) in hls.iter().enumerate() {
        assert_eq!(*number, i + 1);
        if level == "20" {
            assert!(parent.is_empty());
        } else {
            let p: usize = parent.parse().unwrap();
            assert!(p < *number);
            assert_eq!(hls[p - 1].2, parent_level(level), "HL {number}");
        }
    }
    assert_eq!(hls[3].3, "0", "the self subscriber has no child level");
    assert_eq!(hls[4].3, "1", "the father has his daughter under him");

    // Every claim: TRN*1, REF*1K when known, REF*EJ, AMT*T3, DTP*472; the dependant's after her NM1*QC.
    assert!(text.contains("HL*4*3*22*0~DMG*D8*19800229*F~NM1*IL*1*SMITH*ANNA****MI*MEMBER001~TRN*1*CS000000007-MO00000001~REF*1K*ACME2026120400017~REF*EJ*MO00000001~AMT*T3*125.5~DTP*472*D8*20261120~"), "{text}");
    assert!(text.contains("TRN*1*CS000000007-MO00000002~REF*EJ*MO00000002~AMT*T3*80~DTP*472*RD8*20261121-20261122~"), "{text}");
    assert!(text.contains("HL*6*5*23~DMG*D8*20150612*F~NM1*QC*1*DOE*JENNY~TRN*1*CS000000007-MO00000003~"), "{text}");
    assert_eq!(text.matches("TRN*1*").count(), 4);
}

#[test]
fn the_277_fixture_is_read_claim_by_claim() {
    let bytes = fixture("277_status.x12");
    let doc = parse(&bytes).unwrap();
    assert_eq!(write(&doc).as_bytes(), &bytes[..], "round trip");
    let responses = read_277(&bytes).unwrap();
    assert_eq!(responses.len(), 1);
    let r = &responses[0];
    assert_eq!(r.payer_name.as_deref(), Some("ACME HEALTH PLAN"));
    let traces: Vec<&str> = r.claims.iter().map(|c| c.trace_number.as_str()).collect();
    assert_eq!(traces, ["CS000000007-MO00000001", "CS000000007-MO00000002", "CS000000007-MO00000003", "CS000000007-MO00000004"]);

    let paid = &r.claims[0];
    let s = paid.main_status().unwrap();
    assert_eq!(s.kind(), ClaimStatusKind::FinalizedPaid);
    assert_eq!((s.charge_cents, s.paid_cents), (Some(12550), Some(10000)));
    assert_eq!(s.check_number.as_deref(), Some("CHK778899"));
    assert_eq!(s.date, NaiveDate::from_ymd_opt(2026, 12, 5));
    assert_eq!(paid.payer_claim_control_number.as_deref(), Some("ACME2026120400017"));
    assert_eq!(paid.patient_control_number.as_deref(), Some("MO00000001"));
    assert_eq!(paid.member_id.as_deref(), Some("MEMBER001"));
    assert_eq!(paid.lines.len(), 1);
    assert_eq!(paid.lines[0].paid_cents, Some(10000));
    assert_eq!(paid.lines[0].line_control_number.as_deref(), Some("1"));
    assert_eq!(s.explanation(), "finalized: paid: the claim was paid");

    let pending = &r.claims[1];
    assert_eq!(pending.main_status().unwrap().kind(), ClaimStatusKind::Pending);
    assert_eq!(pending.service_dates, Some(DateOrRange::Range(day(21), day(22))));
    assert!(pending.lines.is_empty());

    // The daughter's claim: denied, with a second status in STC10.
    let denied = &r.claims[2];
    assert_eq!(denied.patient_name.as_deref(), Some("DOE, JENNY"));
    assert_eq!(denied.statuses.len(), 2);
    assert_eq!(denied.statuses[0].kind(), ClaimStatusKind::FinalizedDenied);
    assert_eq!(
        denied.statuses[0].explanation(),
        "finalized: denied: the entity is not eligible for benefits for the services submitted (patient)"
    );
    assert_eq!(denied.statuses[1].kind(), ClaimStatusKind::Rejected);

    let not_found = &r.claims[3];
    assert_eq!(not_found.main_status().unwrap().kind(), ClaimStatusKind::Rejected);
    assert_eq!(not_found.main_status().unwrap().explanation(), "rejected: not found: the claim or encounter was not found");
}

#[test]
fn a_277_answering_a_written_276_carries_its_trace_numbers_back() {
    let control = ControlNumbers { interchange: 8, group: 8, transaction: 1 };
    let request = write_276(&request(), &control, Usage::Test).unwrap();
    let doc = parse(request.as_bytes()).unwrap();
    let traces: Vec<String> = doc.segments.iter().filter(|s| s.is("TRN")).map(|s| s.element(2).to_string()).collect();
    // The payer's answer: the request's hierarchy with TRN*2 and a status per claim.
    let mut body = vec!["BHT*0010*08*R8*20261210*1015*DG".to_string()];
    for seg in doc.segments.iter().skip(4) {
        match seg.id.as_str() {
            "TRN" => {
                body.push(format!("TRN*2*{}", seg.element(2)));
                body.push("STC*P1:20*20261210".into());
            }
            "SE" => break,
            "HL" | "NM1" => body.push(seg.to_string()),
            _ => {}
        }
    }
    let n = body.len() + 2;
    let answer = format!(
        "ISA*00*          *00*          *ZZ*ACME1          *ZZ*MEDOFFICE      *261210*1015*^*00501*000000900*0*T*:~\
         GS*HN*ACME1*MEDOFFICE*20261210*1015*900*X*005010X212~ST*277*0001*005010X212~{}~SE*{n}*0001~GE*1*900~IEA*1*000000900~",
        body.join("~")
    );
    let read = read_277(answer.as_bytes()).unwrap();
    let back: Vec<String> = read[0].claims.iter().map(|c| c.trace_number.clone()).collect();
    assert_eq!(back, traces);
    assert_eq!(read[0].claims[2].patient_name.as_deref(), Some("DOE, JENNY"));
}

#[test]
fn pyx12_has_no_5010_claim_status_maps_so_the_guide_rules_are_checked_here() {
    // If a later pyx12 gains the 005010X212 maps this fails, and the 276 and 277 above should be
    // validated by it like the 837P cases.
    let dir = crate::support::out_dir("claim_status_pyx12");
    let control = ControlNumbers { interchange: 9, group: 9, transaction: 1 };
    let path = dir.join("276.x12");
    std::fs::write(&path, write_276(&request(), &control, Usage::Test).unwrap()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/x12-validate");
    for file in [path, crate::support::fixture_path("277_status.x12")] {
        let out = std::process::Command::new(&script).arg(&file).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{stdout}");
        assert!(stdout.starts_with("UNSUPPORTED") && stdout.contains("005010X212"), "{stdout}");
    }
}

#[test]
fn garbage_and_other_transactions_are_refused_naming_why() {
    assert!(read_277(b"hello").unwrap_err().to_string().contains("not an X12 file"));
    let err = read_277(&fixture("277ca_mixed.x12")).unwrap_err();
    assert!(err.to_string().contains("277CA claim acknowledgement"), "{err}");
    let err = read_277(&fixture("835_payment.x12")).unwrap_err();
    assert!(err.to_string().contains("not 277"), "{err}");
}

proptest! {
    #[test]
    fn mutated_277s_never_make_the_reader_panic(
        cuts in proptest::collection::vec((0usize..2000, any::<u8>()), 1..8),
    ) {
        let mut bytes = fixture("277_status.x12");
        for (at, b) in cuts {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        let _ = read_277(&bytes);
        let _ = read_277(&bytes[..bytes.len() / 2]);
    }
}
