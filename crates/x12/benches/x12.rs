//! X12 throughput: 837P claims written per second, the tokenizer's and the 835 reader's MB/s, and,
//! in the same run, pyx12 validating the same 837P files.
//!
//! `cargo bench -p medoffice-x12 --bench x12 -- [--claims N] [--per-file F] [--runs R]
//!  [--remittance-claims M] [--pyx12-files K] [--no-pyx12]`
//!
//! 1. N claims (default 10,000) of a medical office's shape (1-6 service lines, 1-8 diagnoses,
//!    modifiers on about a third of the lines, a few date ranges, subscribers who are the patient
//!    and dependants, one to three claims per subscriber) are generated with a fixed seed, F to a
//!    file (default 1,000, one billing provider), and `write_837p` (validation included) is timed
//!    over every file: claims per second and MB/s written, p50 of R runs (default 5).
//! 2. The written files are read back with `parse` and `transaction_sets` (MB/s, p50), and each is
//!    checked to round-trip byte for byte. A remittance of M claims (default 20,000; one to six
//!    SVC lines each, CAS on claims and lines, a PLB) is written with `SegmentWriter`, and
//!    `read_835` is timed on it (MB/s, p50); the remittance must balance.
//! 3. `scripts/x12-validate` (pyx12 4.0.0) validates K of the 837P files (default 1) once, and a
//!    one-claim file to show its start-up cost; the run panics if pyx12 does not pass them.
//!
//! The files are kept under `target/tmp/x12-bench/`. Figures are reported, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use medoffice_x12::claim837p::*;
use medoffice_x12::envelope::{ControlNumbers, DateOrRange, Envelope, Usage, format_amount, format_date, transaction_sets};
use medoffice_x12::remittance835::{balance_problems, read_835};
use medoffice_x12::syntax::{Delimiters, SegmentWriter, parse, write};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn num(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// A small deterministic generator (xorshift64*), so every run writes the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.range(1, 100) <= percent
    }
}

const LAST: &[&str] = &["Doe", "Garcia", "Nguyen", "Okafor", "Smith", "Johnson", "Muller", "Kowalski", "O'Brien", "Patel", "Lee", "Rossi"];
const FIRST: &[&str] = &["Jane", "John", "Maria", "Wei", "Amara", "Luis", "Anna", "Piotr", "Sean", "Priya", "Min", "Giulia"];
const CITIES: &[(&str, &str, &str)] = &[
    ("Springfield", "IL", "62701"),
    ("Chicago", "IL", "606011234"),
    ("Peoria", "IL", "61602"),
    ("Saint Louis", "MO", "63101"),
    ("Hartford", "CT", "06101"),
];
const DIAGNOSES: &[&str] = &[
    "E11.9", "I10", "E78.5", "J06.9", "R05.9", "M54.50", "Z00.00", "K21.9", "F41.1", "G47.00", "N39.0", "L30.9", "J45.909", "E66.9",
    "M25.561", "R51.9", "Z23", "H10.9", "B34.9", "S93.401A",
];
/// Procedure, charge in cents, modifiers that fit it.
const PROCEDURES: &[(&str, i64, &[&str])] = &[
    ("99213", 15000, &["25"]),
    ("99214", 20000, &["25", "95"]),
    ("99203", 17500, &["25"]),
    ("93000", 6000, &["59"]),
    ("81002", 1500, &["QW"]),
    ("36415", 1200, &[]),
    ("20610", 22500, &["RT", "LT", "59", "XS"]),
    ("J1030", 1800, &["JZ"]),
    ("90471", 2500, &[]),
    ("90686", 3500, &[]),
    ("87880", 3000, &["QW"]),
    ("97110", 4500, &["GP", "KX"]),
];
const PAYERS: &[(&str, &str)] =
    &[("Acme Health Plan", "ACME1"), ("Blue Prairie", "BPRA1"), ("Medicare Part B", "MCRB1"), ("Lakeside Medicaid", "LKMD1")];

fn person(rng: &mut Rng) -> PersonName {
    let middle = rng.chance(30).then(|| "Q".to_string());
    PersonName { last: rng.pick(LAST).to_string(), first: rng.pick(FIRST).to_string(), middle, suffix: None }
}

fn address(rng: &mut Rng) -> Address {
    let (city, state, zip) = *rng.pick(CITIES);
    let line2 = rng.chance(20).then(|| format!("Apt {}", rng.range(1, 40)));
    Address { line1: format!("{} Main St", rng.range(1, 9999)), line2, city: city.into(), state: state.into(), zip: zip.into() }
}

fn birth_date(rng: &mut Rng, from_year: i32, to_year: i32) -> NaiveDate {
    let year = from_year + rng.range(0, (to_year - from_year) as usize) as i32;
    NaiveDate::from_ymd_opt(year, rng.range(1, 12) as u32, rng.range(1, 28) as u32).unwrap()
}

fn gender(rng: &mut Rng) -> Gender {
    if rng.chance(52) { Gender::Female } else { Gender::Male }
}

fn claim(rng: &mut Rng, n: usize) -> Claim {
    let diagnoses: Vec<String> = {
        let count = rng.range(1, 8);
        let start = rng.range(0, DIAGNOSES.len() - 1);
        (0..count).map(|i| DIAGNOSES[(start + i) % DIAGNOSES.len()].to_string()).collect()
    };
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap().checked_add_days(Days::new(rng.range(0, 25) as u64)).unwrap();
    let lines: Vec<ServiceLine> = (0..rng.range(1, 6))
        .map(|_| {
            let (code, cents, mods) = *rng.pick(PROCEDURES);
            let modifiers: Vec<String> = if !mods.is_empty() && rng.chance(35) {
                let count = rng.range(1, mods.len().min(MAX_MODIFIERS));
                mods[..count].iter().map(|m| m.to_string()).collect()
            } else {
                Vec::new()
            };
            let units = if rng.chance(10) { rng.range(2, 4) as u32 } else { 1 };
            let pointers = rng.range(1, diagnoses.len().min(MAX_POINTERS));
            let first = rng.range(0, diagnoses.len() - pointers);
            let service_date =
                if rng.chance(5) { DateOrRange::Range(day, day.checked_add_days(Days::new(1)).unwrap()) } else { DateOrRange::Date(day) };
            ServiceLine {
                procedure: code.into(),
                modifiers,
                charge_cents: cents * i64::from(units),
                units,
                place_of_service: None,
                diagnosis_pointers: (first..first + pointers).map(|p| u8::try_from(p + 1).unwrap()).collect(),
                service_date,
                adjudications: Vec::new(),
            }
        })
        .collect();
    Claim {
        patient_control_number: format!("PCN{n:07}"),
        total_charge_cents: lines.iter().map(|l| l.charge_cents).sum(),
        place_of_service: if rng.chance(90) { "11".into() } else { "02".into() },
        frequency: Frequency::Original,
        payer_claim_control_number: None,
        provider_signature_on_file: true,
        assignment_accepted: true,
        benefits_assigned: true,
        release_signed: true,
        diagnoses,
        referring_provider: rng.chance(15).then(|| Provider { name: person(rng), npi: "1234567893".into(), taxonomy: None }),
        rendering_provider: Some(Provider {
            name: PersonName { last: "Smith".into(), first: "Alan".into(), middle: None, suffix: None },
            npi: "1003000126".into(),
            taxonomy: Some("207Q00000X".into()),
        }),
        other_payers: Vec::new(),
        lines,
    }
}

/// One subscriber with one to three claims; about a quarter are dependants (a PAT loop).
fn subscriber_group(rng: &mut Rng, member: usize, claims: Vec<Claim>) -> SubscriberGroup {
    let (payer_name, payer_id) = *rng.pick(PAYERS);
    let self_patient = rng.chance(75);
    let name = person(rng);
    let subscriber = Subscriber {
        responsibility: PayerResponsibility::Primary,
        group_number: rng.chance(60).then(|| format!("GRP{}", rng.range(100, 999))),
        group_name: None,
        claim_filing_indicator: if payer_id == "MCRB1" { "MB".into() } else { "CI".into() },
        name: name.clone(),
        member_id: format!("M{member:09}"),
        address: self_patient.then(|| address(rng)),
        birth_date: self_patient.then(|| birth_date(rng, 1940, 2005)),
        gender: self_patient.then(|| gender(rng)),
    };
    let patient = (!self_patient).then(|| Patient {
        relationship: if rng.chance(70) { "19".into() } else { "01".into() },
        name: PersonName { first: rng.pick(FIRST).to_string(), ..name },
        address: address(rng),
        birth_date: birth_date(rng, 2006, 2024),
        gender: gender(rng),
    });
    SubscriberGroup {
        subscriber,
        payer: Payer { name: payer_name.into(), payer_id: payer_id.into(), address: (!self_patient).then(|| address(rng)) },
        patient,
        claims,
    }
}

fn batch(rng: &mut Rng, file: usize, first_claim: usize, claims: usize) -> Batch837 {
    let mut subscribers = Vec::new();
    let mut n = first_claim;
    while n < first_claim + claims {
        let take = rng.range(1, 3).min(first_claim + claims - n);
        let group_claims = (n..n + take).map(|i| claim(rng, i)).collect();
        subscribers.push(subscriber_group(rng, n, group_claims));
        n += take;
    }
    Batch837 {
        envelope: Envelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "MEDOFFICE".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: "CLEARHOUSE".into(),
            application_sender: "MEDOFFICE".into(),
            application_receiver: "CLEARHOUSE".into(),
            created: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(9, 30, 0).unwrap(),
            acknowledgment_requested: false,
        },
        batch_id: format!("BATCH{file}"),
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
                name: EntityName::Organization("Riverside Family Medicine".into()),
                npi: "1234567893".into(),
                tax_id: "12-3456789".into(),
                taxonomy: Some("207Q00000X".into()),
                address: Address {
                    line1: "12 Main St".into(),
                    line2: None,
                    city: "Springfield".into(),
                    state: "IL".into(),
                    zip: "627011234".into(),
                },
            },
            pay_to: None,
            subscribers,
        }],
    }
}

fn control(file: usize) -> ControlNumbers {
    let n = u32::try_from(file + 1).unwrap();
    ControlNumbers { interchange: 1000 + n, group: n, transaction: 1 }
}

/// A remittance of `claims` claims, each with one to six SVC lines (CO-45 and PR-2/PR-3 CAS on
/// the lines, a CO-45 on the claim now and then), a PLB, balanced; written with `SegmentWriter`.
fn remittance(rng: &mut Rng, claims: usize) -> String {
    let mut w = SegmentWriter::new(Delimiters::STANDARD);
    let isa = [
        "00",
        "          ",
        "00",
        "          ",
        "ZZ",
        "ACME1          ",
        "ZZ",
        "MEDOFFICE      ",
        "261201",
        "1200",
        "^",
        "00501",
        "000000503",
        "0",
        "T",
        ":",
    ];
    w.segment("ISA", &isa);
    w.segment("GS", &["HP", "ACME1", "MEDOFFICE", "20261201", "1200", "903", "X", "005010X221A1"]);
    w.start_count();
    w.segment("ST", &["835", "0001"]);
    // The BPR total is only known at the end: write the body into a second writer, then splice.
    let mut body = SegmentWriter::new(Delimiters::STANDARD);
    let mut total_paid = 0i64;
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    for n in 0..claims {
        if n % 1000 == 0 {
            body.segment("LX", &[&(n / 1000 + 1).to_string()]);
        }
        let lines: Vec<(&str, i64, i64, i64)> = (0..rng.range(1, 6))
            .map(|_| {
                let (code, charge, _) = *rng.pick(PROCEDURES);
                let allowed = charge * 7 / 10;
                let patient = if rng.chance(40) { allowed / 5 } else { 0 };
                (code, charge, allowed - patient, patient)
            })
            .collect();
        let claim_adjustment = if rng.chance(10) { 500 } else { 0 };
        let charge: i64 = lines.iter().map(|l| l.1).sum();
        let paid: i64 = lines.iter().map(|l| l.2).sum::<i64>() - claim_adjustment;
        let patient: i64 = lines.iter().map(|l| l.3).sum();
        total_paid += paid;
        let pcn = format!("PCN{n:07}");
        let icn = format!("PAYER{n:08}");
        body.segment("CLP", &[&pcn, "1", &format_amount(charge), &format_amount(paid), &format_amount(patient), "12", &icn, "11", "1"]);
        if claim_adjustment > 0 {
            body.segment("CAS", &["CO", "45", &format_amount(claim_adjustment)]);
        }
        body.segment("NM1", &["QC", "1", "DOE", "JANE", "", "", "", "MI", &format!("M{n:09}")]);
        body.segment("DTM", &["232", &format_date(day)]);
        for (i, (code, charge, paid, patient)) in lines.iter().enumerate() {
            body.segment("SVC", &[&format!("HC:{code}"), &format_amount(*charge), &format_amount(*paid), "", "1"]);
            body.segment("DTM", &["472", &format_date(day)]);
            let contractual = charge - paid - patient;
            if *patient > 0 {
                let reason = if rng.chance(50) { "2" } else { "3" };
                body.segment("CAS", &["CO", "45", &format_amount(contractual)]);
                body.segment("CAS", &["PR", reason, &format_amount(*patient)]);
            } else {
                body.segment("CAS", &["CO", "45", &format_amount(contractual)]);
            }
            body.segment("REF", &["6R", &(i + 1).to_string()]);
            body.segment("AMT", &["B6", &format_amount(charge * 7 / 10)]);
        }
    }
    let plb = 2500;
    body.segment("PLB", &["1234567893", "20261231", "WO:PAYER-CLM-12", &format_amount(plb)]);
    let check = total_paid - plb;
    let amount = format_amount(check);
    w.segment(
        "BPR",
        &[
            "I",
            &amount,
            "C",
            "ACH",
            "CCP",
            "01",
            "999999999",
            "DA",
            "123456",
            "1512345678",
            "",
            "01",
            "999988880",
            "DA",
            "98765",
            "20261215",
        ],
    );
    w.segment("TRN", &["1", "EFT-8837-01", "1512345678"]);
    w.segment("DTM", &["405", "20261214"]);
    w.segment("N1", &["PR", "ACME HEALTH PLAN"]);
    w.segment("N3", &["1 PAYER WAY"]);
    w.segment("N4", &["HARTFORD", "CT", "06101"]);
    w.segment("REF", &["2U", "ACME1"]);
    w.segment("N1", &["PE", "RIVERSIDE FAMILY MEDICINE", "XX", "1234567893"]);
    w.segment("N3", &["12 MAIN ST"]);
    w.segment("N4", &["SPRINGFIELD", "IL", "627011234"]);
    let header_count = w.count();
    let body_count = body.segments().len();
    let mut text = w.finish();
    text.push_str(&body.finish());
    let mut tail = SegmentWriter::new(Delimiters::STANDARD);
    tail.segment("SE", &[&(header_count + body_count + 1).to_string(), "0001"]);
    tail.segment("GE", &["1", "903"]);
    tail.segment("IEA", &["1", "000000503"]);
    text.push_str(&tail.finish());
    text
}

fn p50(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn per_second(count: f64, d: Duration) -> f64 {
    count / d.as_secs_f64()
}

/// Runs pyx12 on the files; panics unless every file passes.
fn pyx12(files: &[PathBuf]) -> Duration {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/x12-validate");
    let started = Instant::now();
    let out = Command::new(&script).args(files).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let elapsed = started.elapsed();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "pyx12 did not pass the files:\n{text}");
    let passed = text.lines().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(passed, files.len(), "pyx12 did not report PASS for every file:\n{text}");
    elapsed
}

struct Row {
    what: String,
    amount: String,
    p50: Duration,
    rate: String,
    mbs: f64,
}

fn main() {
    let claims = num("--claims", 10_000);
    let per_file = num("--per-file", 1_000).clamp(1, MAX_CLAIMS);
    let runs = num("--runs", 5).max(1);
    let remittance_claims = num("--remittance-claims", 20_000);
    let pyx12_files = num("--pyx12-files", 1);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("x12-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // 1. Generate and write.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let batches: Vec<Batch837> = (0..claims.div_ceil(per_file))
        .map(|f| {
            let first = f * per_file;
            batch(&mut rng, f, first, per_file.min(claims - first))
        })
        .collect();
    let lines: usize =
        batches.iter().flat_map(|b| &b.billing_providers[0].subscribers).flat_map(|s| &s.claims).map(|c| c.lines.len()).sum();
    eprintln!("generated {claims} claims ({lines} lines) in {} files in {:.2?}", batches.len(), started.elapsed());

    let mut texts: Vec<String> = Vec::new();
    let mut write_times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let written: Vec<String> = batches
            .iter()
            .enumerate()
            .map(|(f, b)| write_837p(b, &control(f), Usage::Test).unwrap_or_else(|e| panic!("file {f}: {e}")))
            .collect();
        write_times.push(started.elapsed());
        texts = written;
    }
    let bytes_837: usize = texts.iter().map(String::len).sum();
    let segments_837: usize = texts.iter().map(|t| t.matches('~').count()).sum();
    let mut files = Vec::new();
    for (f, text) in texts.iter().enumerate() {
        let path = dir.join(format!("837p-{f:03}.x12"));
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }

    // 2. Read back: the tokenizer and the envelope check, round-trip checked once.
    for (f, text) in texts.iter().enumerate() {
        let doc = parse(text.as_bytes()).unwrap();
        assert_eq!(&write(&doc), text, "file {f} does not round-trip");
        assert_eq!(transaction_sets(&doc).unwrap().len(), 1);
    }
    let mut parse_times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut sets = 0;
        for text in &texts {
            let doc = parse(text.as_bytes()).unwrap();
            sets += transaction_sets(&doc).unwrap().len();
        }
        parse_times.push(started.elapsed());
        assert_eq!(sets, texts.len());
    }

    let remit = remittance(&mut rng, remittance_claims);
    let remit_path = dir.join("835-large.x12");
    std::fs::write(&remit_path, &remit).unwrap();
    let read = read_835(remit.as_bytes()).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].claims.len(), remittance_claims);
    let problems = balance_problems(&read[0]);
    assert!(
        problems.is_empty(),
        "the generated 835 does not balance ({} problems): {:?}",
        problems.len(),
        &problems[..problems.len().min(3)]
    );
    let remit_lines: usize = read[0].claims.iter().map(|c| c.lines.len()).sum();
    let mut read_835_times = Vec::new();
    let mut parse_835_times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let doc = parse(remit.as_bytes()).unwrap();
        parse_835_times.push(started.elapsed());
        assert!(!doc.segments.is_empty());
        let started = Instant::now();
        let r = read_835(remit.as_bytes()).unwrap();
        read_835_times.push(started.elapsed());
        assert_eq!(r[0].claims.len(), remittance_claims);
    }

    let write_p50 = p50(write_times);
    let parse_p50 = p50(parse_times);
    let mut rows = vec![
        Row {
            what: "medoffice `write_837p` (validate + write)".into(),
            amount: format!("{claims} claims, {lines} lines, {} files, {:.1} MB", texts.len(), mb(bytes_837)),
            p50: write_p50,
            rate: format!("{:.0} claims/s", per_second(claims as f64, write_p50)),
            mbs: mb(bytes_837) / write_p50.as_secs_f64(),
        },
        Row {
            what: "medoffice `parse` + `transaction_sets` (837P)".into(),
            amount: format!("{segments_837} segments, {:.1} MB", mb(bytes_837)),
            p50: parse_p50,
            rate: format!("{:.0} claims/s", per_second(claims as f64, parse_p50)),
            mbs: mb(bytes_837) / parse_p50.as_secs_f64(),
        },
    ];
    let parse_835_p50 = p50(parse_835_times);
    let read_835_p50 = p50(read_835_times);
    let remit_segments = remit.matches('~').count();
    rows.push(Row {
        what: "medoffice `parse` (835)".into(),
        amount: format!("{remit_segments} segments, {:.1} MB", mb(remit.len())),
        p50: parse_835_p50,
        rate: format!("{:.0} claims/s", per_second(remittance_claims as f64, parse_835_p50)),
        mbs: mb(remit.len()) / parse_835_p50.as_secs_f64(),
    });
    rows.push(Row {
        what: "medoffice `read_835`".into(),
        amount: format!("{remittance_claims} CLP, {remit_lines} SVC, {:.1} MB", mb(remit.len())),
        p50: read_835_p50,
        rate: format!("{:.0} claims/s", per_second(remittance_claims as f64, read_835_p50)),
        mbs: mb(remit.len()) / read_835_p50.as_secs_f64(),
    });

    // 3. pyx12 on the same files (once: it is much slower), and on a one-claim file for its start-up.
    if !flag("--no-pyx12") {
        let small = write_837p(&batch(&mut Rng(7), 999, 9_000_000, 1), &control(999), Usage::Test).unwrap();
        let small_path = dir.join("837p-one-claim.x12");
        std::fs::write(&small_path, &small).unwrap();
        pyx12(std::slice::from_ref(&small_path)); // installs pyx12 on first use, untimed
        let startup = pyx12(std::slice::from_ref(&small_path));
        rows.push(Row {
            what: "pyx12 `x12-validate`, one-claim file (start-up)".into(),
            amount: format!("1 claim, {:.4} MB", mb(small.len())),
            p50: startup,
            rate: format!("{:.1} claims/s", per_second(1.0, startup)),
            mbs: mb(small.len()) / startup.as_secs_f64(),
        });
        let chosen: Vec<PathBuf> = files.iter().take(pyx12_files.max(1)).cloned().collect();
        let chosen_bytes: usize = texts.iter().take(chosen.len()).map(String::len).sum();
        let chosen_claims: usize =
            batches.iter().take(chosen.len()).flat_map(|b| &b.billing_providers[0].subscribers).map(|s| s.claims.len()).sum();
        let took = pyx12(&chosen);
        rows.push(Row {
            what: "pyx12 `x12-validate`, same 837P files".into(),
            amount: format!("{chosen_claims} claims, {} file(s), {:.2} MB", chosen.len(), mb(chosen_bytes)),
            p50: took,
            rate: format!("{:.0} claims/s", per_second(chosen_claims as f64, took)),
            mbs: mb(chosen_bytes) / took.as_secs_f64(),
        });
    }

    println!("| what | size | time (p50 of {runs}; pyx12: one run) | rate | MB/s |");
    println!("|---|---|---:|---:|---:|");
    for r in &rows {
        println!("| {} | {} | {:.1} ms | {} | {:.2} |", r.what, r.amount, r.p50.as_secs_f64() * 1000.0, r.rate, r.mbs);
    }
    eprintln!("files in {}", dir.display());
}
