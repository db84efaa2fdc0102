//! The 276 claim status request (005010X212): "what has become of these claims?", asked of a
//! payer for claims sent to it. The hierarchy is the guide's: the payer asked (2000A, HL03 20,
//! `NM1*PR`), the practice asking (2000B, HL03 21, `NM1*41`), the provider who billed (2000C,
//! HL03 19, `NM1*1P` with the NPI), the subscriber (2000D, HL03 22, `NM1*IL`) and, when the
//! patient is not the subscriber, the dependant (2000E, HL03 23, `NM1*QC`). Each claim asked
//! about (2200D or 2200E) carries our trace number (`TRN*1`), which the 277 answer sends back in
//! its `TRN*2`, the payer's claim number when known (`REF*1K`), our patient control number
//! (`REF*EJ`), the total charge (`AMT*T3`) and the dates of service (`DTP*472`).
//!
//! Like the 837P writer, this one refuses a request with any problem and lists them all.

use std::fmt;

use chrono::NaiveDate;

use crate::claim837p::{EntityName, Gender, PersonName, clean_text, is_valid_npi};
use crate::envelope::{self, ControlNumbers, DateOrRange, Envelope, Usage, format_amount, format_date};
use crate::field_checks::{writable, write_issues};
use crate::syntax::{Delimiters, SegmentWriter};

/// The implementation guide this module writes.
pub const GUIDE: &str = "005010X212";
/// The longest trace number the guide allows (TRN02).
pub const MAX_TRACE_LENGTH: usize = 50;
/// At most this many claims in one request (a limit of ours, like the 837P's).
pub const MAX_CLAIMS: usize = 5000;

/// One 276 file: the envelope and the claims asked about, grouped the guide's way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRequest276 {
    /// ISA/GS parties and the creation time.
    pub envelope: Envelope,
    /// BHT03, the request's own reference.
    pub reference: String,
    /// 2000A loops: one per payer asked.
    pub payers: Vec<PayerInquiry>,
}

/// A payer asked (2000A/2100A) and who asks it (2000B/2100B).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerInquiry {
    /// NM103, the payer's name.
    pub payer_name: String,
    /// NM109 with qualifier PI: the payer's electronic id.
    pub payer_id: String,
    /// 2100B NM103: the practice (information receiver).
    pub receiver_name: String,
    /// 2100B NM109 with qualifier 46: the submitter id the clearinghouse assigned.
    pub receiver_id: String,
    /// 2000C loops.
    pub providers: Vec<ProviderInquiry>,
}

/// A billing provider (2000C/2100C) and the subscribers whose claims it asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInquiry {
    /// NM102-NM105: the practice or the provider billing in their own name.
    pub name: EntityName,
    /// NM109 with qualifier XX; must pass the NPI check digit.
    pub npi: String,
    /// 2000D loops.
    pub subscribers: Vec<SubscriberInquiry>,
}

/// A subscriber (2000D/2100D) with the claims asked about for them or for a dependant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberInquiry {
    /// NM103-NM107.
    pub name: PersonName,
    /// NM109 with qualifier MI.
    pub member_id: String,
    /// DMG02: written when the subscriber is the patient.
    pub birth_date: Option<NaiveDate>,
    /// DMG03.
    pub gender: Option<Gender>,
    /// `None` when the patient is the subscriber (claims in 2200D); else the patient (2000E).
    pub dependent: Option<DependentInquiry>,
    /// The claims (2200D, or 2200E under the dependant): at least one.
    pub claims: Vec<ClaimInquiry>,
}

/// The patient when not the subscriber (2000E/2100E).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentInquiry {
    /// NM1*QC.
    pub name: PersonName,
    /// DMG02.
    pub birth_date: NaiveDate,
    /// DMG03.
    pub gender: Gender,
}

/// One claim asked about (2200D/2200E).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimInquiry {
    /// TRN02: our trace number, unique in the file; the 277 sends it back.
    pub trace_number: String,
    /// REF*1K: the payer's claim control number, when it has told us.
    pub payer_claim_control_number: Option<String>,
    /// REF*EJ: our patient control number (CLM01 of the 837P).
    pub patient_control_number: String,
    /// AMT*T3: the claim's total charge.
    pub total_charge_cents: i64,
    /// DTP*472: the dates of service.
    pub service_dates: DateOrRange,
}

/// What keeps a request from being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestProblem {
    /// No payer, provider, subscriber or claim to ask about.
    Empty { what: &'static str },
    /// More claims than [`MAX_CLAIMS`].
    TooManyClaims { count: usize },
    /// An NPI that fails the check digit.
    BadNpi { npi: String },
    /// A required identifier or name that is blank or holds a delimiter.
    BadText { field: &'static str, value: String },
    /// A trace number used twice in the file, or too long.
    BadTrace { trace: String },
    /// A negative charge.
    NegativeCharge { trace: String },
    /// A range of dates that ends before it starts.
    BadDates { trace: String },
    /// Control numbers out of 1..=999,999,999.
    ControlNumbers { names: Vec<&'static str> },
}

impl fmt::Display for RequestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestProblem::Empty { what } => write!(f, "there is no {what} to ask about"),
            RequestProblem::TooManyClaims { count } => write!(f, "{count} claims in one request; at most {MAX_CLAIMS}"),
            RequestProblem::BadNpi { npi } => write!(f, "the NPI {npi} is not valid"),
            RequestProblem::BadText { field, value } => write!(f, "the {field} \"{value}\" is blank or holds a delimiter"),
            RequestProblem::BadTrace { trace } => {
                write!(f, "the trace number \"{trace}\" is used twice, blank or longer than {MAX_TRACE_LENGTH} characters")
            }
            RequestProblem::NegativeCharge { trace } => write!(f, "the claim traced {trace} has a negative charge"),
            RequestProblem::BadDates { trace } => write!(f, "the claim traced {trace} has dates of service that end before they start"),
            RequestProblem::ControlNumbers { names } => write!(f, "control numbers out of range: {}", names.join(", ")),
        }
    }
}

/// A request that cannot be written, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid276 {
    /// What is wrong.
    pub problems: Vec<RequestProblem>,
}

impl fmt::Display for Invalid276 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_issues(f, "the 276 cannot be written: ", &self.problems)
    }
}

impl std::error::Error for Invalid276 {}

/// An identifier written as it is: printable ASCII without delimiters, not blank.
fn identifier_ok(s: &str) -> bool {
    !s.trim().is_empty() && writable(s)
}

/// Every problem of a request (empty: it can be written).
pub fn validate_276(request: &StatusRequest276, control: &ControlNumbers) -> Vec<RequestProblem> {
    let mut problems = Vec::new();
    let names = control.out_of_range();
    if !names.is_empty() {
        problems.push(RequestProblem::ControlNumbers { names });
    }
    let text = |field: &'static str, value: &str, problems: &mut Vec<RequestProblem>| {
        if !identifier_ok(value) {
            problems.push(RequestProblem::BadText { field, value: value.to_string() });
        }
    };
    text("submitter id", &request.envelope.sender_id, &mut problems);
    text("receiver id", &request.envelope.receiver_id, &mut problems);
    text("reference", &request.reference, &mut problems);
    if request.payers.is_empty() {
        problems.push(RequestProblem::Empty { what: "payer" });
    }
    let mut traces: Vec<&str> = Vec::new();
    for payer in &request.payers {
        text("payer id", &payer.payer_id, &mut problems);
        if clean_text(&payer.payer_name).is_empty() {
            problems.push(RequestProblem::BadText { field: "payer name", value: payer.payer_name.clone() });
        }
        text("information receiver id", &payer.receiver_id, &mut problems);
        if payer.providers.is_empty() {
            problems.push(RequestProblem::Empty { what: "provider" });
        }
        for provider in &payer.providers {
            if !is_valid_npi(provider.npi.trim()) {
                problems.push(RequestProblem::BadNpi { npi: provider.npi.clone() });
            }
            if provider.subscribers.is_empty() {
                problems.push(RequestProblem::Empty { what: "subscriber" });
            }
            for s in &provider.subscribers {
                text("member id", &s.member_id, &mut problems);
                if clean_text(&s.name.last).is_empty() {
                    problems.push(RequestProblem::BadText { field: "subscriber's family name", value: s.name.last.clone() });
                }
                if let Some(d) = &s.dependent
                    && clean_text(&d.name.last).is_empty()
                {
                    problems.push(RequestProblem::BadText { field: "patient's family name", value: d.name.last.clone() });
                }
                if s.claims.is_empty() {
                    problems.push(RequestProblem::Empty { what: "claim" });
                }
                for c in &s.claims {
                    let trace = c.trace_number.trim();
                    if !identifier_ok(trace) || trace.len() > MAX_TRACE_LENGTH || traces.contains(&trace) {
                        problems.push(RequestProblem::BadTrace { trace: c.trace_number.clone() });
                    }
                    traces.push(trace);
                    text("patient control number", &c.patient_control_number, &mut problems);
                    if let Some(n) = &c.payer_claim_control_number {
                        text("payer claim control number", n, &mut problems);
                    }
                    if c.total_charge_cents < 0 {
                        problems.push(RequestProblem::NegativeCharge { trace: c.trace_number.clone() });
                    }
                    if c.service_dates.end() < c.service_dates.start() {
                        problems.push(RequestProblem::BadDates { trace: c.trace_number.clone() });
                    }
                }
            }
        }
    }
    if traces.len() > MAX_CLAIMS {
        problems.push(RequestProblem::TooManyClaims { count: traces.len() });
    }
    problems
}

/// Writes the request as one 276 transaction set (GS01 HR), or every problem that keeps it from
/// being written. HL01 counts from 1 in writing order; each HL02 names its parent.
pub fn write_276(request: &StatusRequest276, control: &ControlNumbers, usage: Usage) -> Result<String, Invalid276> {
    let problems = validate_276(request, control);
    if !problems.is_empty() {
        return Err(Invalid276 { problems });
    }
    let mut w = SegmentWriter::new(Delimiters::STANDARD);
    envelope::open(&mut w, &request.envelope, usage, control, "HR", "276", GUIDE);
    let created = &request.envelope.created;
    w.segment("BHT", &["0010", "13", request.reference.trim(), &created.format("%Y%m%d").to_string(), &created.format("%H%M").to_string()]);
    let mut hl = 0usize;
    for payer in &request.payers {
        hl += 1;
        let payer_hl = hl;
        w.segment("HL", &[&payer_hl.to_string(), "", "20", "1"]);
        w.segment("NM1", &["PR", "2", &clean_text(&payer.payer_name), "", "", "", "", "PI", payer.payer_id.trim()]);
        hl += 1;
        let receiver_hl = hl;
        w.segment("HL", &[&receiver_hl.to_string(), &payer_hl.to_string(), "21", "1"]);
        w.segment("NM1", &["41", "2", &clean_text(&payer.receiver_name), "", "", "", "", "46", payer.receiver_id.trim()]);
        for provider in &payer.providers {
            hl += 1;
            let provider_hl = hl;
            w.segment("HL", &[&provider_hl.to_string(), &receiver_hl.to_string(), "19", "1"]);
            write_name(&mut w, "1P", &provider.name, "XX", &provider.npi);
            for s in &provider.subscribers {
                hl += 1;
                let subscriber_hl = hl;
                w.segment(
                    "HL",
                    &[&subscriber_hl.to_string(), &provider_hl.to_string(), "22", if s.dependent.is_some() { "1" } else { "0" }],
                );
                if s.dependent.is_none()
                    && let Some(birth) = s.birth_date
                {
                    w.segment("DMG", &["D8", &format_date(birth), gender_code(s.gender.unwrap_or(Gender::Unknown))]);
                }
                write_name(&mut w, "IL", &EntityName::Person(s.name.clone()), "MI", &s.member_id);
                match &s.dependent {
                    None => s.claims.iter().for_each(|c| write_claim(&mut w, c)),
                    Some(d) => {
                        hl += 1;
                        w.segment("HL", &[&hl.to_string(), &subscriber_hl.to_string(), "23"]);
                        w.segment("DMG", &["D8", &format_date(d.birth_date), gender_code(d.gender)]);
                        write_name(&mut w, "QC", &EntityName::Person(d.name.clone()), "", "");
                        s.claims.iter().for_each(|c| write_claim(&mut w, c));
                    }
                }
            }
        }
    }
    envelope::close(&mut w, control);
    Ok(w.finish())
}

fn gender_code(g: Gender) -> &'static str {
    match g {
        Gender::Female => "F",
        Gender::Male => "M",
        Gender::Unknown => "U",
    }
}

fn write_name(w: &mut SegmentWriter, entity: &str, name: &EntityName, qualifier: &str, id: &str) {
    match name {
        EntityName::Organization(n) => w.segment("NM1", &[entity, "2", &clean_text(n), "", "", "", "", qualifier, id.trim()]),
        EntityName::Person(p) => w.segment(
            "NM1",
            &[
                entity,
                "1",
                &clean_text(&p.last),
                &clean_text(&p.first),
                &p.middle.as_deref().map(clean_text).unwrap_or_default(),
                "",
                &p.suffix.as_deref().map(clean_text).unwrap_or_default(),
                qualifier,
                id.trim(),
            ],
        ),
    }
}

fn write_claim(w: &mut SegmentWriter, c: &ClaimInquiry) {
    w.segment("TRN", &["1", c.trace_number.trim()]);
    if let Some(n) = &c.payer_claim_control_number {
        w.segment("REF", &["1K", n.trim()]);
    }
    w.segment("REF", &["EJ", c.patient_control_number.trim()]);
    w.segment("AMT", &["T3", &format_amount(c.total_charge_cents)]);
    let (qualifier, value) = c.service_dates.to_elements();
    w.segment("DTP", &["472", qualifier, &value]);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn request() -> StatusRequest276 {
        let created = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let person = |last: &str, first: &str| PersonName { last: last.into(), first: first.into(), middle: None, suffix: None };
        let claim = |trace: &str| ClaimInquiry {
            trace_number: trace.into(),
            payer_claim_control_number: None,
            patient_control_number: "MO00000001".into(),
            total_charge_cents: 12550,
            service_dates: DateOrRange::Date(NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()),
        };
        StatusRequest276 {
            envelope: Envelope {
                sender_qualifier: "ZZ".into(),
                sender_id: "SUBMIT1".into(),
                receiver_qualifier: "ZZ".into(),
                receiver_id: "PAYER1".into(),
                application_sender: "SUBMIT1".into(),
                application_receiver: "PAYER1".into(),
                created,
                acknowledgment_requested: false,
            },
            reference: "S1".into(),
            payers: vec![PayerInquiry {
                payer_name: "Acme Health".into(),
                payer_id: "PAYER1".into(),
                receiver_name: "Main Street Clinic".into(),
                receiver_id: "SUBMIT1".into(),
                providers: vec![ProviderInquiry {
                    name: EntityName::Organization("Main Street Clinic".into()),
                    npi: "1234567893".into(),
                    subscribers: vec![SubscriberInquiry {
                        name: person("Doe", "John"),
                        member_id: "M1".into(),
                        birth_date: None,
                        gender: None,
                        dependent: Some(DependentInquiry {
                            name: person("Doe", "Jenny"),
                            birth_date: NaiveDate::from_ymd_opt(2015, 6, 12).unwrap(),
                            gender: Gender::Female,
                        }),
                        claims: vec![claim("T1"), claim("T2")],
                    }],
                }],
            }],
        }
    }

    #[test]
    fn a_dependant_gets_its_own_level_under_the_subscriber() {
        let control = ControlNumbers { interchange: 7, group: 7, transaction: 1 };
        let text = write_276(&request(), &control, Usage::Test).unwrap();
        assert!(
            text.contains("ST*276*0001*005010X212~BHT*0010*13*S1*20260615*1200~HL*1**20*1~NM1*PR*2*ACME HEALTH*****PI*PAYER1~"),
            "{text}"
        );
        assert!(text.contains("HL*4*3*22*1~NM1*IL*1*DOE*JOHN****MI*M1~HL*5*4*23~DMG*D8*20150612*F~NM1*QC*1*DOE*JENNY~TRN*1*T1~"), "{text}");
        assert!(text.contains("REF*EJ*MO00000001~AMT*T3*125.5~DTP*472*D8*20260610~"), "{text}");
    }

    #[test]
    fn a_repeated_trace_number_and_a_bad_npi_are_both_named() {
        let mut r = request();
        r.payers[0].providers[0].npi = "1234567890".into();
        r.payers[0].providers[0].subscribers[0].claims[1].trace_number = "T1".into();
        let control = ControlNumbers { interchange: 1, group: 1, transaction: 1 };
        let err = write_276(&r, &control, Usage::Test).unwrap_err();
        assert!(err.problems.contains(&RequestProblem::BadNpi { npi: "1234567890".into() }));
        assert!(err.problems.contains(&RequestProblem::BadTrace { trace: "T1".into() }));
    }
}
