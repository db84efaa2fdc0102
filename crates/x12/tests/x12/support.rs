//! Shared by the test modules: fixtures, sample claims and the pyx12 runner.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime};
use medoffice_x12::claim837p::*;
use medoffice_x12::envelope::{ControlNumbers, DateOrRange, Envelope};

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Every fixture file.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".x12"))
        .collect();
    names.sort();
    names
}

/// Runs `scripts/x12-validate` (pyx12 from PyPI) over the files and returns its output. Panics
/// when the validator cannot run or any file does not pass: a test that could not check must fail.
pub fn pyx12_validate(files: &[PathBuf]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/x12-validate");
    let output = Command::new(&script).args(files).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "pyx12 did not pass every file:\n{text}");
    let passed = text.lines().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(passed, files.len(), "pyx12 did not report PASS for every file:\n{text}");
    text
}

/// A directory for written files, fresh per test.
pub fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("x12").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn created() -> NaiveDateTime {
    date(2026, 12, 1).and_hms_opt(9, 30, 0).unwrap()
}

pub fn control() -> ControlNumbers {
    ControlNumbers { interchange: 1001, group: 17, transaction: 1 }
}

pub fn person(last: &str, first: &str) -> PersonName {
    PersonName { last: last.into(), first: first.into(), middle: None, suffix: None }
}

pub fn address(zip: &str) -> Address {
    Address { line1: "12 Main St".into(), line2: None, city: "Springfield".into(), state: "IL".into(), zip: zip.into() }
}

/// A line charged `charge_cents` for `code` on 20 November 2026, pointing at diagnosis 1.
pub fn line(code: &str, charge_cents: i64) -> ServiceLine {
    ServiceLine {
        procedure: code.into(),
        modifiers: Vec::new(),
        charge_cents,
        units: 1,
        place_of_service: None,
        diagnosis_pointers: vec![1],
        service_date: DateOrRange::Date(date(2026, 11, 20)),
        adjudications: Vec::new(),
    }
}

/// An original office claim of two lines (99213 for 150.00 and 93000 for 100.00).
pub fn claim(pcn: &str) -> Claim {
    let lines = vec![line("99213", 15000), line("93000", 10000)];
    Claim {
        patient_control_number: pcn.into(),
        total_charge_cents: 25000,
        place_of_service: "11".into(),
        frequency: Frequency::Original,
        payer_claim_control_number: None,
        provider_signature_on_file: true,
        assignment_accepted: true,
        benefits_assigned: true,
        release_signed: true,
        diagnoses: vec!["J06.9".into(), "R05.9".into()],
        referring_provider: None,
        rendering_provider: Some(Provider { name: person("Smith", "Alan"), npi: "1003000126".into(), taxonomy: Some("207Q00000X".into()) }),
        other_payers: Vec::new(),
        lines,
    }
}

/// The subscriber Jane Doe, who is the patient, with Acme as her primary payer.
pub fn self_subscriber(claims: Vec<Claim>) -> SubscriberGroup {
    SubscriberGroup {
        subscriber: Subscriber {
            responsibility: PayerResponsibility::Primary,
            group_number: Some("GRP-100".into()),
            group_name: None,
            claim_filing_indicator: "CI".into(),
            name: person("Doe", "Jane"),
            member_id: "MEMBER001".into(),
            address: Some(address("62701")),
            birth_date: Some(date(1980, 4, 2)),
            gender: Some(Gender::Female),
        },
        payer: Payer { name: "Acme Health Plan".into(), payer_id: "ACME1".into(), address: None },
        patient: None,
        claims,
    }
}

/// The subscriber John Doe with his daughter Jenny as the patient.
pub fn child_of_subscriber(claims: Vec<Claim>) -> SubscriberGroup {
    SubscriberGroup {
        subscriber: Subscriber {
            responsibility: PayerResponsibility::Primary,
            group_number: None,
            group_name: Some("Springfield Works".into()),
            claim_filing_indicator: "CI".into(),
            name: person("Doe", "John"),
            member_id: "MEMBER002".into(),
            address: None,
            birth_date: None,
            gender: None,
        },
        payer: Payer { name: "Acme Health Plan".into(), payer_id: "ACME1".into(), address: Some(address("06101")) },
        patient: Some(Patient {
            relationship: "19".into(),
            name: person("Doe", "Jenny"),
            address: address("62701"),
            birth_date: date(2015, 6, 12),
            gender: Gender::Female,
        }),
        claims,
    }
}

/// A batch from Riverside Family Medicine with the given subscribers.
pub fn batch(subscribers: Vec<SubscriberGroup>) -> Batch837 {
    Batch837 {
        envelope: Envelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "MEDOFFICE".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: "CLEARHOUSE".into(),
            application_sender: "MEDOFFICE".into(),
            application_receiver: "CLEARHOUSE".into(),
            created: created(),
            acknowledgment_requested: false,
        },
        batch_id: "BATCH17".into(),
        reissue: false,
        submitter: Submitter {
            name: "Riverside Family Medicine".into(),
            id: "SUB123".into(),
            contact_name: "Billing Office".into(),
            contact_phone: "(217) 555-0100".into(),
        },
        receiver: Receiver { name: "Clearing House".into(), id: "CLEARHOUSE".into() },
        billing_providers: vec![BillingProviderGroup {
            provider: BillingProvider {
                name: EntityName::Organization("Riverside Family Médicine".into()),
                npi: "1234567893".into(),
                tax_id: "12-3456789".into(),
                taxonomy: Some("207Q00000X".into()),
                address: address("62701-1234"),
            },
            pay_to: None,
            subscribers,
        }],
    }
}
