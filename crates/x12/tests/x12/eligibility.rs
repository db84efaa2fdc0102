//! The 270 writer: one subscriber, a dependent and many patients in one file, each checked
//! against the guide's structure and round-tripped byte for byte; the rules it refuses to break;
//! and a 271 built from a request's trace numbers read back.

use medoffice_x12::claim837p::{EntityName, Gender};
use medoffice_x12::eligibility270::*;
use medoffice_x12::eligibility271::{Coverage, read_271};
use medoffice_x12::envelope::{Envelope, Usage, transaction_sets};
use medoffice_x12::syntax::{Document, Segment, parse, write};

use crate::support::*;

fn envelope() -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "MEDOFFICE".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "ACME1".into(),
        application_sender: "MEDOFFICE".into(),
        application_receiver: "ACME1".into(),
        created: created(),
        acknowledgment_requested: false,
    }
}

fn question(trace: &str) -> Question {
    Question {
        trace_number: trace.into(),
        originator_id: "1123456789".into(),
        service_date: date(2026, 12, 2),
        service_types: vec![HEALTH_BENEFIT_PLAN_COVERAGE.into()],
    }
}

fn subscriber(last: &str, member: &str, trace: &str) -> SubscriberInquiry {
    SubscriberInquiry {
        name: person(last, "John"),
        member_id: member.into(),
        birth_date: Some(date(1970, 3, 15)),
        gender: Some(Gender::Male),
        question: Some(question(trace)),
        dependent: None,
    }
}

fn with_dependent(trace: &str) -> SubscriberInquiry {
    SubscriberInquiry {
        question: None,
        dependent: Some(DependentInquiry {
            name: person("Doe", "Jenny"),
            birth_date: date(2010, 6, 12),
            gender: Some(Gender::Female),
            question: question(trace),
        }),
        ..subscriber("Doe", "MEMBER001", "unused")
    }
}

fn receiver(subscribers: Vec<SubscriberInquiry>) -> InformationReceiver {
    InformationReceiver { name: EntityName::Organization("Riverside Family Medicine".into()), npi: "1234567893".into(), subscribers }
}

fn request(sources: Vec<InformationSource>) -> Request270 {
    Request270 { envelope: envelope(), reference: "ELIG-7".into(), sources }
}

fn source(name: &str, id: &str, subscribers: Vec<SubscriberInquiry>) -> InformationSource {
    InformationSource { payer_name: name.into(), payer_id: id.into(), receivers: vec![receiver(subscribers)] }
}

fn all<'a>(doc: &'a Document, id: &str) -> Vec<&'a Segment> {
    doc.segments.iter().filter(|s| s.id == id).collect()
}

fn hls(doc: &Document) -> Vec<Vec<String>> {
    all(doc, "HL").iter().map(|s| s.elements.clone()).collect()
}

/// Writes, parses, checks the envelope's counts and the byte-for-byte round trip.
fn written(req: &Request270) -> (String, Document) {
    let text = write_270(req, &control(), Usage::Test).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.is_ascii());
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(write(&doc), text, "the request does not round-trip");
    let sets = transaction_sets(&doc).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].set_id(), "270");
    assert_eq!(sets[0].version(), GUIDE);
    (text, doc)
}

#[test]
fn one_subscriber_is_asked_about_under_payer_and_receiver() {
    let (text, doc) = written(&request(vec![source("Acme Health Plan", "ACME1", vec![subscriber("Doe", "MEMBER001", "ELIG-0001")])]));
    assert_eq!(doc.segments[1].elements[0], "HS");
    assert_eq!(doc.segments[1].element(8), "005010X279A1");
    assert!(text.contains("ST*270*0001*005010X279A1~BHT*0022*13*ELIG-7*20261201*0930~"), "{text}");
    assert_eq!(hls(&doc), vec![vec!["1", "", "20", "1"], vec!["2", "1", "21", "1"], vec!["3", "2", "22", "0"]]);
    assert!(
        text.contains(
            "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1~HL*2*1*21*1~NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893~\
             HL*3*2*22*0~TRN*1*ELIG-0001*1123456789~NM1*IL*1*DOE*JOHN****MI*MEMBER001~DMG*D8*19700315*M~DTP*291*D8*20261202~EQ*30~SE*"
        ),
        "{text}"
    );
    let se = all(&doc, "SE")[0];
    let st_at = doc.segments.iter().position(|s| s.id == "ST").unwrap();
    let se_at = doc.segments.iter().position(|s| s.id == "SE").unwrap();
    assert_eq!(se.element(1), (se_at - st_at + 1).to_string());
}

#[test]
fn a_dependent_patient_gets_a_2000d_loop_with_the_question() {
    let (text, doc) = written(&request(vec![source("Acme Health Plan", "ACME1", vec![with_dependent("ELIG-0002")])]));
    assert_eq!(hls(&doc), vec![vec!["1", "", "20", "1"], vec!["2", "1", "21", "1"], vec!["3", "2", "22", "1"], vec!["4", "3", "23", "0"]]);
    // The subscriber's loop names the coverage holder only; the question is the dependent's.
    assert!(
        text.contains(
            "HL*3*2*22*1~NM1*IL*1*DOE*JOHN****MI*MEMBER001~DMG*D8*19700315*M~HL*4*3*23*0~TRN*1*ELIG-0002*1123456789~\
             NM1*03*1*DOE*JENNY~DMG*D8*20100612*F~DTP*291*D8*20261202~EQ*30~"
        ),
        "{text}"
    );
    assert_eq!(all(&doc, "TRN").len(), 1);
}

#[test]
fn many_patients_of_several_payers_share_one_file() {
    let req = request(vec![
        source("Acme Health Plan", "ACME1", vec![subscriber("Doe", "M1", "T1"), with_dependent("T2"), subscriber("Roe", "M3", "T3")]),
        source("Bluebird Insurance", "BLUE9", vec![subscriber("Poe", "B1", "T4")]),
    ]);
    let (_, doc) = written(&req);
    assert_eq!(
        hls(&doc),
        vec![
            vec!["1", "", "20", "1"],
            vec!["2", "1", "21", "1"],
            vec!["3", "2", "22", "0"],
            vec!["4", "2", "22", "1"],
            vec!["5", "4", "23", "0"],
            vec!["6", "2", "22", "0"],
            vec!["7", "", "20", "1"],
            vec!["8", "7", "21", "1"],
            vec!["9", "8", "22", "0"],
        ]
    );
    let traces: Vec<&str> = all(&doc, "TRN").iter().map(|s| s.element(2)).collect();
    assert_eq!(traces, ["T1", "T2", "T3", "T4"]);
    assert_eq!(all(&doc, "EQ").len(), 4);
}

#[test]
fn several_service_types_are_written_as_repetitions() {
    let mut s = subscriber("Doe", "M1", "T1");
    if let Some(q) = s.question.as_mut() {
        q.service_types = vec!["30".into(), "98".into()];
    }
    let (text, _) = written(&request(vec![source("Acme", "ACME1", vec![s])]));
    assert!(text.contains("EQ*30^98~"), "{text}");
}

#[test]
fn every_problem_of_a_bad_request_is_listed_at_once() {
    let mut bad = request(vec![source("Acme", "ACME1", vec![subscriber("Doe", "M*1", "T1"), subscriber("", "M2", "T1")])]);
    bad.sources[0].receivers[0].npi = "1234567890".into();
    let mut no_question = subscriber("Moe", "M3", "T3");
    no_question.question = None;
    bad.sources[0].receivers[0].subscribers.push(no_question);
    let err = write_270(&bad, &control(), Usage::Test).unwrap_err();
    let problems: Vec<&Problem> = err.issues.iter().map(|i| &i.problem).collect();
    assert!(problems.contains(&&Problem::BadNpi), "{err}");
    assert!(problems.contains(&&Problem::BadCharacters { field: "member id" }), "{err}");
    assert!(problems.contains(&&Problem::Empty { field: "subscriber name" }), "{err}");
    assert!(problems.contains(&&Problem::RepeatedTraceNumber), "{err}");
    assert!(problems.contains(&&Problem::QuestionMisplaced), "{err}");
    let repeated = err.issues.iter().find(|i| i.problem == Problem::RepeatedTraceNumber).unwrap();
    assert_eq!(repeated.trace_number.as_deref(), Some("T1"));

    let empty = write_270(&request(Vec::new()), &control(), Usage::Test).unwrap_err();
    assert_eq!(empty.issues.iter().map(|i| &i.problem).collect::<Vec<_>>(), [&Problem::NoInquiries]);
}

#[test]
fn pyx12_has_no_map_for_the_5010_270_so_the_guide_rules_are_checked_here() {
    // If a later pyx12 gains the 005010X279A1 map this fails, and the cases above should be
    // validated by it like the 837P cases.
    let dir = out_dir("eligibility_pyx12");
    let (text, _) = written(&request(vec![source("Acme", "ACME1", vec![subscriber("Doe", "M1", "T1")])]));
    let path = dir.join("270.x12");
    std::fs::write(&path, text).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/x12-validate");
    let out = std::process::Command::new(script).arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.starts_with("UNSUPPORTED") && stdout.contains("005010X279A1"), "{stdout}");
}

#[test]
fn a_271_answer_to_a_written_request_carries_its_trace_numbers_back() {
    let (text, _) = written(&request(vec![source("Acme", "ACME1", vec![subscriber("Doe", "M1", "T1"), with_dependent("T2")])]));
    // A payer answers by echoing the hierarchy with EB segments: turn the request into that answer.
    let answer = text
        .replace("GS*HS*", "GS*HB*")
        .replace("ST*270*", "ST*271*")
        .replace("BHT*0022*13*", "BHT*0022*11*")
        .replace("EQ*30~", "EB*1**30**GOLD PPO~EB*B*IND*98***27*25~EB*C*IND*30***29*400~EB*A*IND*98*****0.2~");
    // Each EQ became four EBs: three more segments each.
    let se_count: usize =
        parse(answer.as_bytes()).unwrap().segments.iter().skip_while(|s| s.id != "ST").take_while(|s| s.id != "GE").count();
    let old_se = all(&parse(text.as_bytes()).unwrap(), "SE")[0].elements.clone();
    let answer = answer.replace(&format!("SE*{}*{}~", old_se[0], old_se[1]), &format!("SE*{se_count}*{}~", old_se[1]));
    let responses = read_271(answer.as_bytes()).unwrap();
    assert_eq!(responses.len(), 3, "the subscriber of the dependent has a loop too");
    let t1 = responses.iter().find(|r| r.trace_numbers == ["T1"]).unwrap();
    assert_eq!(t1.coverage(), Coverage::Active);
    assert_eq!(t1.copay_cents("98"), Some(2500));
    assert_eq!(t1.deductible_remaining_cents("30"), Some(40000));
    assert_eq!(t1.coinsurance_basis_points("98"), Some(2000));
    assert!(responses.iter().any(|r| r.trace_numbers == ["T2"] && r.name.as_deref() == Some("DOE, JENNY")));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

    /// Any request of payers, subscribers and dependents with names as people type them is
    /// written with one TRN per person asked about, HL parents that point back up the hierarchy,
    /// a correct SE count, and reads back to the same bytes.
    #[test]
    fn any_request_numbers_its_hierarchy_and_round_trips(
        payers in proptest::collection::vec(proptest::collection::vec(("[A-Za-zéñ' -]{1,20}", proptest::bool::ANY), 1..8), 1..4)
    ) {
        let mut n = 0;
        let sources: Vec<InformationSource> = payers
            .iter()
            .enumerate()
            .map(|(p, people)| {
                let subscribers = people
                    .iter()
                    .map(|(last, dependent)| {
                        n += 1;
                        let mut s = if *dependent { with_dependent(&format!("T{n}")) } else { subscriber("Doe", "M1", &format!("T{n}")) };
                        s.name.last = format!("X{last}");
                        s
                    })
                    .collect();
                source(&format!("Payer {p}"), &format!("P{p}"), subscribers)
            })
            .collect();
        let text = write_270(&request(sources), &control(), Usage::Test).unwrap();
        let doc = parse(text.as_bytes()).unwrap();
        proptest::prop_assert_eq!(write(&doc), text.clone());
        proptest::prop_assert_eq!(transaction_sets(&doc).unwrap().len(), 1);
        proptest::prop_assert_eq!(all(&doc, "TRN").len(), n);
        proptest::prop_assert_eq!(all(&doc, "EQ").len(), n);
        // Each HL's parent is an earlier HL one level up.
        let hls = hls(&doc);
        for (i, hl) in hls.iter().enumerate() {
            proptest::prop_assert_eq!(hl[0].clone(), (i + 1).to_string());
            let level = hl[2].as_str();
            if level == "20" {
                proptest::prop_assert_eq!(hl[1].as_str(), "");
            } else {
                let parent: usize = hl[1].parse().unwrap();
                proptest::prop_assert!(parent <= i);
                let expected = match level { "21" => "20", "22" => "21", _ => "22" };
                proptest::prop_assert_eq!(hls[parent - 1][2].as_str(), expected);
            }
        }
    }
}
