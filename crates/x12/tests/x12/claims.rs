//! The 837P writer: the cases issue 6 names, each validated by pyx12 and round-tripped, and the
//! rules it refuses to break.

use medoffice_x12::claim837p::*;
use medoffice_x12::codes::Adjustment;
use medoffice_x12::envelope::{DateOrRange, Usage, transaction_sets};
use medoffice_x12::syntax::{Document, Segment, parse, write};

use crate::support::*;

fn ids(doc: &Document) -> Vec<&str> {
    doc.segments.iter().map(|s| s.id.as_str()).collect()
}

fn find<'a>(doc: &'a Document, id: &str, first: &str) -> Vec<&'a Segment> {
    doc.segments.iter().filter(|s| s.id == id && s.element(1) == first).collect()
}

fn secondary_claim() -> Claim {
    let mut c = claim("PCN-2001");
    let adjudicated = date(2026, 11, 28);
    c.lines[0].adjudications = vec![LineAdjudication {
        payer_id: "ACME1".into(),
        paid_cents: 10000,
        paid_units: 1,
        adjustments: vec![
            Adjustment { group: "CO".into(), reason: "45".into(), amount_cents: 3000, quantity: None },
            Adjustment { group: "PR".into(), reason: "2".into(), amount_cents: 2000, quantity: None },
        ],
        adjudication_date: adjudicated,
    }];
    c.lines[1].adjudications = vec![LineAdjudication {
        payer_id: "ACME1".into(),
        paid_cents: 6000,
        paid_units: 1,
        adjustments: vec![
            Adjustment { group: "CO".into(), reason: "45".into(), amount_cents: 2500, quantity: None },
            Adjustment { group: "PR".into(), reason: "3".into(), amount_cents: 1500, quantity: None },
        ],
        adjudication_date: adjudicated,
    }];
    c.other_payers = vec![OtherPayer {
        responsibility: PayerResponsibility::Primary,
        relationship: "18".into(),
        group_number: Some("GRP-100".into()),
        claim_filing_indicator: "CI".into(),
        subscriber_name: person("Doe", "Jane"),
        subscriber_member_id: "MEMBER001".into(),
        payer_name: "Acme Health Plan".into(),
        payer_id: "ACME1".into(),
        paid_cents: 16000,
        adjustments: Vec::new(),
        adjudication_date: Some(adjudicated),
    }];
    c
}

fn secondary_batch() -> Batch837 {
    let mut group = self_subscriber(vec![secondary_claim()]);
    group.subscriber.responsibility = PayerResponsibility::Secondary;
    group.subscriber.claim_filing_indicator = "MB".into();
    group.subscriber.member_id = "1EG4TE5MK73".into();
    group.payer = Payer { name: "Medicare Part B".into(), payer_id: "MCRB1".into(), address: None };
    batch(vec![group])
}

fn many_lines_batch() -> Batch837 {
    let mut c = claim("PCN-3001");
    c.diagnoses = ["E11.9", "I10", "E78.5", "J06.9", "R05.9", "M54.50", "Z00.00", "K21.9", "F41.1", "G47.00", "N39.0", "L30.9"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut lines = Vec::new();
    for (i, (code, mods, cents)) in [
        ("99214", vec!["25"], 20000),
        ("93000", vec![], 6000),
        ("81002", vec!["QW"], 1500),
        ("36415", vec![], 1200),
        ("20610", vec!["RT", "59", "XS", "76"], 22500),
        ("J1030", vec!["JZ"], 1800),
    ]
    .into_iter()
    .enumerate()
    {
        let mut l = line(code, cents);
        l.modifiers = mods.into_iter().map(String::from).collect();
        l.diagnosis_pointers = match i {
            0 => vec![1, 2, 3, 4],
            4 => vec![6, 12],
            n => vec![u8::try_from(n + 1).unwrap()],
        };
        if i == 5 {
            l.units = 2;
            l.service_date = DateOrRange::Range(date(2026, 11, 20), date(2026, 11, 21));
        }
        lines.push(l);
    }
    c.total_charge_cents = lines.iter().map(|l| l.charge_cents).sum();
    c.lines = lines;
    c.referring_provider = Some(Provider { name: person("Jones", "Mary"), npi: "1234567893".into(), taxonomy: None });
    batch(vec![self_subscriber(vec![c])])
}

fn replacement_batch(frequency: Frequency, pcn: &str) -> Batch837 {
    let mut c = claim(pcn);
    c.frequency = frequency;
    c.payer_claim_control_number = Some("PAYER-CLM-77".into());
    batch(vec![self_subscriber(vec![c])])
}

/// The cases of issue 6, by name.
fn cases() -> Vec<(&'static str, Batch837)> {
    let mut mixed = batch(vec![self_subscriber(vec![claim("PCN-5001"), claim("PCN-5002")]), child_of_subscriber(vec![claim("PCN-5003")])]);
    let mut second_provider = mixed.billing_providers[0].clone();
    second_provider.provider.name = EntityName::Person(person("Smith", "Alan"));
    second_provider.provider.npi = "1003000126".into();
    second_provider.pay_to = Some(address("62702"));
    second_provider.subscribers = vec![child_of_subscriber(vec![claim("PCN-5004")])];
    mixed.billing_providers.push(second_provider);
    vec![
        ("self_subscriber", batch(vec![self_subscriber(vec![claim("PCN-1001")])])),
        ("non_self_subscriber", batch(vec![child_of_subscriber(vec![claim("PCN-1002")])])),
        ("many_lines_and_diagnoses", many_lines_batch()),
        ("replacement", replacement_batch(Frequency::Replacement, "PCN-1001R")),
        ("void", replacement_batch(Frequency::Void, "PCN-1001V")),
        ("secondary", secondary_batch()),
        ("mixed_batch", mixed),
    ]
}

#[test]
fn every_case_passes_pyx12_and_round_trips_byte_for_byte() {
    let dir = out_dir("claims_pyx12");
    let mut files = Vec::new();
    for (name, b) in cases() {
        let text = write_837p(&b, &control(), Usage::Test).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.is_ascii(), "{name} is not ASCII");
        let doc = parse(text.as_bytes()).unwrap();
        assert_eq!(write(&doc), text, "{name} does not round-trip");
        transaction_sets(&doc).unwrap_or_else(|e| panic!("{name}: envelope: {e}"));
        let path = dir.join(format!("{name}.x12"));
        std::fs::write(&path, &text).unwrap();
        files.push(path);
    }
    // The reader fixtures pyx12 has maps for are checked too, so they are realistic.
    for f in ["999_partial.x12", "277ca_mixed.x12", "835_payment.x12"] {
        files.push(fixture_path(f));
    }
    let report = pyx12_validate(&files);
    assert!(report.contains("PASS") && !report.contains("FAIL"), "{report}");
}

#[test]
fn pyx12_catches_a_broken_file_so_the_check_can_fail() {
    let dir = out_dir("claims_pyx12_broken");
    let text = write_837p(&batch(vec![self_subscriber(vec![claim("PCN-1001")])]), &control(), Usage::Test).unwrap();
    // Drop the subscriber's NM1 (a required segment) and fix nothing else.
    let broken = text.replacen("NM1*IL*1*DOE*JANE****MI*MEMBER001~", "", 1);
    assert_ne!(broken, text);
    let path = dir.join("broken.x12");
    std::fs::write(&path, broken).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/x12-validate");
    let out = std::process::Command::new(script).arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("FAIL"), "{stdout}");
}

#[test]
fn a_self_subscriber_claim_sits_under_the_subscriber_hl() {
    let text = write_837p(&batch(vec![self_subscriber(vec![claim("PCN-1001")])]), &control(), Usage::Production).unwrap();
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(doc.segments[0].element(15), "P");
    assert_eq!(doc.segments[0].element(13), "000001001");
    assert_eq!(doc.segments[1].element(6), "17");
    assert_eq!(doc.segments[2].element(2), "0001");
    let hls: Vec<Vec<&str>> = find_all(&doc, "HL").iter().map(|s| s.elements.iter().map(String::as_str).collect()).collect();
    assert_eq!(hls, vec![vec!["1", "", "20", "1"], vec!["2", "1", "22", "0"]]);
    assert_eq!(find(&doc, "SBR", "P")[0].element(2), "18");
    assert!(!ids(&doc).contains(&"PAT"));
    let clm = &find_all(&doc, "CLM")[0];
    assert_eq!(clm.elements, ["PCN-1001", "250", "", "", "11:B:1", "Y", "A", "Y", "Y"]);
    assert_eq!(find_all(&doc, "HI")[0].elements, ["ABK:J069", "ABF:R059"]);
    assert!(
        text.contains("NM1*85*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893~N3*12 MAIN ST~N4*SPRINGFIELD*IL*627011234~REF*EI*123456789~")
    );
    assert!(text.contains("LX*1~SV1*HC:99213*150*UN*1***1~DTP*472*D8*20261120~LX*2~SV1*HC:93000*100*UN*1***1~"));
    let se = doc.segments.iter().find(|s| s.id == "SE").unwrap();
    let st_at = doc.segments.iter().position(|s| s.id == "ST").unwrap();
    let se_at = doc.segments.iter().position(|s| s.id == "SE").unwrap();
    assert_eq!(se.element(1), (se_at - st_at + 1).to_string());
}

fn find_all<'a>(doc: &'a Document, id: &str) -> Vec<&'a Segment> {
    doc.segments.iter().filter(|s| s.id == id).collect()
}

#[test]
fn a_dependant_claim_sits_under_a_patient_hl_with_pat() {
    let text = write_837p(&batch(vec![child_of_subscriber(vec![claim("PCN-1002")])]), &control(), Usage::Test).unwrap();
    let doc = parse(text.as_bytes()).unwrap();
    let hls: Vec<Vec<&str>> = find_all(&doc, "HL").iter().map(|s| s.elements.iter().map(String::as_str).collect()).collect();
    assert_eq!(hls, vec![vec!["1", "", "20", "1"], vec!["2", "1", "22", "1"], vec!["3", "2", "23", "0"]]);
    let sbr = find_all(&doc, "SBR")[0];
    assert_eq!(sbr.element(2), "", "SBR02 is 18 only when the patient is the subscriber");
    assert!(text.contains("HL*3*2*23*0~PAT*19~NM1*QC*1*DOE*JENNY~N3*12 MAIN ST~N4*SPRINGFIELD*IL*62701~DMG*D8*20150612*F~CLM*PCN-1002"));
    // The subscriber's own demographics are not required (and not written) when not the patient.
    assert!(!text.contains("DMG*D8*1980"));
}

#[test]
fn modifiers_pointers_and_ranges_are_written_as_composites() {
    let text = write_837p(&many_lines_batch(), &control(), Usage::Test).unwrap();
    assert!(text.contains("SV1*HC:99214:25*200*UN*1***1:2:3:4~"));
    assert!(text.contains("SV1*HC:20610:RT:59:XS:76*225*UN*1***6:12~"));
    assert!(text.contains("SV1*HC:J1030:JZ*18*UN*2***6~DTP*472*RD8*20261120-20261121~"));
    assert!(
        text.contains("HI*ABK:E119*ABF:I10*ABF:E785*ABF:J069*ABF:R059*ABF:M5450*ABF:Z0000*ABF:K219*ABF:F411*ABF:G4700*ABF:N390*ABF:L309~")
    );
    assert!(text.contains("NM1*DN*1*JONES*MARY****XX*1234567893~NM1*82*1*SMITH*ALAN****XX*1003000126~PRV*PE*PXC*207Q00000X~"));
    assert!(text.contains("CLM*PCN-3001*530***11:B:1*Y*A*Y*Y~"));
}

#[test]
fn replacements_and_voids_carry_the_payers_claim_number() {
    for (frequency, code) in [(Frequency::Replacement, "7"), (Frequency::Void, "8")] {
        let text = write_837p(&replacement_batch(frequency, "PCN-1001"), &control(), Usage::Test).unwrap();
        assert!(text.contains(&format!("CLM*PCN-1001*250***11:B:{code}*Y*A*Y*Y~REF*F8*PAYER-CLM-77~HI*")), "{text}");
    }
    let mut b = replacement_batch(Frequency::Replacement, "PCN-1001");
    b.billing_providers[0].subscribers[0].claims[0].payer_claim_control_number = None;
    let err = write_837p(&b, &control(), Usage::Test).unwrap_err();
    assert_eq!(err.issues.len(), 1);
    assert_eq!(err.issues[0].problem, Problem::MissingPayerClaimControlNumber);
    assert_eq!(err.issues[0].claim.as_deref(), Some("PCN-1001"));
}

#[test]
fn a_secondary_claim_carries_the_primarys_adjudication() {
    let text = write_837p(&secondary_batch(), &control(), Usage::Test).unwrap();
    assert!(text.contains("SBR*S*18*GRP-100******MB~"));
    assert!(text.contains(
        "SBR*P*18*GRP-100******CI~AMT*D*160~OI***Y***Y~NM1*IL*1*DOE*JANE****MI*MEMBER001~NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1~DTP*573*D8*20261128~LX*1~"
    ));
    assert!(text.contains("SVD*ACME1*100*HC:99213**1~CAS*CO*45*30~CAS*PR*2*20~DTP*573*D8*20261128~"));
}

#[test]
fn a_secondary_claim_that_does_not_balance_is_refused() {
    let mut b = secondary_batch();
    let c = &mut b.billing_providers[0].subscribers[0].claims[0];
    c.lines[0].adjudications[0].adjustments[0].amount_cents = 2900;
    let problems: Vec<Problem> = write_837p(&b, &control(), Usage::Test).unwrap_err().issues.into_iter().map(|i| i.problem).collect();
    assert!(problems.iter().any(|p| matches!(p, Problem::LineAdjudicationImbalance { adjusted_cents: 4900, charge_cents: 15000, .. })));
    assert!(problems.iter().any(|p| matches!(p, Problem::ClaimAdjudicationImbalance { .. })));

    let mut b = secondary_batch();
    b.billing_providers[0].subscribers[0].claims[0].other_payers.clear();
    let problems: Vec<Problem> = write_837p(&b, &control(), Usage::Test).unwrap_err().issues.into_iter().map(|i| i.problem).collect();
    assert!(problems.contains(&Problem::MissingOtherPayer));
    assert!(problems.contains(&Problem::UnknownOtherPayer { payer_id: "ACME1".into() }));
}

#[test]
fn the_claim_total_must_equal_the_sum_of_the_lines() {
    let mut c = claim("PCN-1001");
    c.total_charge_cents = 24999;
    let err = write_837p(&batch(vec![self_subscriber(vec![c])]), &control(), Usage::Test).unwrap_err();
    assert_eq!(err.issues[0].problem, Problem::ChargeMismatch { claim_cents: 24999, lines_cents: 25000 });
    assert_eq!(err.to_string(), "the claims cannot be sent: claim PCN-1001: the claim total 249.99 differs from the sum of its lines 250");
}

#[test]
fn diagnosis_pointers_must_point_inside_the_claims_diagnoses() {
    let mut c = claim("PCN-1001");
    c.lines[0].diagnosis_pointers = vec![1, 3];
    c.lines[1].diagnosis_pointers = vec![0, 1, 2, 1, 2];
    let issues = write_837p(&batch(vec![self_subscriber(vec![c])]), &control(), Usage::Test).unwrap_err().issues;
    let got: Vec<(Option<usize>, Problem)> = issues.into_iter().map(|i| (i.line, i.problem)).collect();
    assert_eq!(
        got,
        vec![
            (Some(1), Problem::PointerOutOfRange { pointer: 3, diagnoses: 2 }),
            (Some(2), Problem::TooManyPointers { count: 5 }),
            (Some(2), Problem::PointerOutOfRange { pointer: 0, diagnoses: 2 }),
            (Some(2), Problem::RepeatedPointer { pointer: 1 }),
            (Some(2), Problem::RepeatedPointer { pointer: 2 }),
        ]
    );
}

#[test]
fn every_problem_of_a_bad_batch_is_listed_at_once() {
    let mut b = batch(vec![self_subscriber(vec![claim("PCN-1001")])]);
    b.billing_providers[0].provider.npi = "1234567890".into();
    b.billing_providers[0].provider.address.zip = "62701".into();
    b.submitter.contact_phone = "555-0100".into();
    let sg = &mut b.billing_providers[0].subscribers[0];
    sg.subscriber.birth_date = None;
    sg.subscriber.claim_filing_indicator = "XX".into();
    let c = &mut sg.claims[0];
    c.diagnoses = (0..13).map(|_| "J06.9".to_string()).collect();
    c.lines[0].modifiers = vec!["25".into(), "59".into(), "XS".into(), "76".into(), "77".into()];
    c.lines[0].units = 0;
    c.lines[1].procedure = "99*13".into();
    c.patient_control_number = "A-CONTROL-NUMBER-LONGER-THAN-TWENTY".into();
    let problems: Vec<Problem> = write_837p(&b, &control(), Usage::Test).unwrap_err().issues.into_iter().map(|i| i.problem).collect();
    for expected in [
        Problem::BadNpi { field: "billing provider NPI" },
        Problem::BadZip { field: "billing provider address", digits: 9 },
        Problem::BadPhone,
        Problem::SubscriberDemographicsMissing,
        Problem::BadCode { field: "claim filing indicator", value: "XX".into() },
        Problem::TooManyDiagnoses { count: 13 },
        Problem::TooManyModifiers { count: 5 },
        Problem::ZeroUnits,
        Problem::BadCode { field: "procedure code", value: "99*13".into() },
        Problem::TooLong { field: "patient control number", max: 20 },
    ] {
        assert!(problems.contains(&expected), "{expected:?} not in {problems:?}");
    }
}

#[test]
fn control_numbers_out_of_range_and_empty_batches_are_refused() {
    let mut bad = control();
    bad.interchange = 0;
    bad.group = 1_000_000_000;
    let problems: Vec<Problem> = write_837p(&batch(vec![]), &bad, Usage::Test).unwrap_err().issues.into_iter().map(|i| i.problem).collect();
    assert!(problems.contains(&Problem::ControlNumberOutOfRange { which: "interchange" }));
    assert!(problems.contains(&Problem::ControlNumberOutOfRange { which: "group" }));
    assert!(problems.contains(&Problem::NoClaims));
}

#[test]
fn names_are_written_in_plain_upper_case_ascii() {
    let mut b = batch(vec![self_subscriber(vec![claim("PCN-1001")])]);
    b.billing_providers[0].subscribers[0].subscriber.name = person("Núñez*García", "José~María");
    let text = write_837p(&b, &control(), Usage::Test).unwrap();
    assert!(text.contains("NM1*IL*1*NUNEZ GARCIA*JOSE MARIA****MI*MEMBER001~"), "{text}");
    assert!(text.contains("NM1*85*2*RIVERSIDE FAMILY MEDICINE*"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

    /// Any batch the checks accept is written with balanced claims, correct counts, and reads back
    /// to the same bytes.
    #[test]
    fn any_valid_batch_balances_counts_and_round_trips(
        shapes in proptest::collection::vec(
            (1usize..=12, proptest::collection::vec((1i64..1_000_000, 1u32..20, proptest::collection::vec(1u8..=12, 1..=4)), 1..12), proptest::bool::ANY),
            1..6,
        )
    ) {
        let mut self_claims = Vec::new();
        let mut child_claims = Vec::new();
        for (k, (diagnoses, lines, dependant)) in shapes.iter().enumerate() {
            let mut c = claim(&format!("PCN-{k}"));
            c.diagnoses = ["E11.9", "I10", "E78.5", "J06.9", "R05.9", "M54.50", "Z00.00", "K21.9", "F41.1", "G47.00", "N39.0", "L30.9"][..*diagnoses]
                .iter()
                .map(|s| s.to_string())
                .collect();
            c.lines = lines
                .iter()
                .map(|(cents, units, pointers)| {
                    let mut l = line("99213", *cents);
                    l.units = *units;
                    let mut p: Vec<u8> = pointers.iter().map(|p| 1 + (p - 1) % u8::try_from(*diagnoses).unwrap()).collect();
                    p.sort_unstable();
                    p.dedup();
                    l.diagnosis_pointers = p;
                    l
                })
                .collect();
            c.total_charge_cents = c.lines.iter().map(|l| l.charge_cents).sum();
            if *dependant { child_claims.push(c) } else { self_claims.push(c) }
        }
        let mut groups = Vec::new();
        if !self_claims.is_empty() { groups.push(self_subscriber(self_claims)); }
        if !child_claims.is_empty() { groups.push(child_of_subscriber(child_claims)); }
        let text = write_837p(&batch(groups), &control(), Usage::Test).unwrap();
        let doc = parse(text.as_bytes()).unwrap();
        proptest::prop_assert_eq!(write(&doc), text.clone());
        proptest::prop_assert_eq!(transaction_sets(&doc).unwrap().len(), 1);
        // Each CLM02 equals the sum of the SV102 that follow it.
        let mut totals: Vec<(i64, i64)> = Vec::new();
        for s in &doc.segments {
            match s.id.as_str() {
                "CLM" => totals.push((medoffice_x12::envelope::parse_amount(s.element(2)).unwrap(), 0)),
                "SV1" => totals.last_mut().unwrap().1 += medoffice_x12::envelope::parse_amount(s.element(2)).unwrap(),
                _ => {}
            }
        }
        proptest::prop_assert_eq!(totals.len(), shapes.len());
        for (claim_total, lines_total) in totals {
            proptest::prop_assert_eq!(claim_total, lines_total);
        }
    }
}
