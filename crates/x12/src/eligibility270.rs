//! The 270 eligibility request (005010X279A1): the question "is this person covered, and what
//! will they owe at the visit?", asked of each payer for one patient or a day's schedule.
//!
//! The hierarchy is numbered as written: 2000A information source (the payer, HL03 20), 2000B
//! information receiver (the practice or provider asking, HL03 21, NPI in NM109), 2000C subscriber
//! (HL03 22) and, when the patient is not the subscriber, 2000D dependent (HL03 23). The person
//! asked about carries the TRN trace number the 271 answer repeats, the date of service (DTP*291)
//! and the benefit asked for (EQ). The writer refuses a request with any problem and lists them all.
//! pyx12 has no 005010X279A1 map (only 4010's), so the tests check the guide's rules here and a
//! byte-for-byte round trip instead.

use std::fmt;

use chrono::NaiveDate;

use crate::claim837p::{EntityName, Gender, PersonName, clean_text, is_valid_npi};
use crate::envelope::{self, ControlNumbers, Envelope, Usage, format_date};
use crate::field_checks::{FieldFault, id_fault, optional_text_fault, text_fault, write_issues};
use crate::syntax::{Delimiters, SegmentWriter};

/// The implementation guide this module writes.
pub const GUIDE: &str = "005010X279A1";
/// Our limit on the people asked about in one file (a day's schedule fits many times over).
pub const MAX_INQUIRIES: usize = 1000;
/// EQ01 `30`: health benefit plan coverage, the general question.
pub const HEALTH_BENEFIT_PLAN_COVERAGE: &str = "30";

/// One 270 file: the envelope and the questions grouped by payer and by who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request270 {
    /// ISA/GS parties and the creation time.
    pub envelope: Envelope,
    /// BHT03, our reference for the whole request.
    pub reference: String,
    /// 2000A loops, one per payer.
    pub sources: Vec<InformationSource>,
}

/// The payer asked (2000A/2100A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationSource {
    /// NM103.
    pub payer_name: String,
    /// NM109 with qualifier PI: the payer's electronic id.
    pub payer_id: String,
    /// 2000B loops.
    pub receivers: Vec<InformationReceiver>,
}

/// Who asks (2000B/2100B): the practice or a provider, by NPI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationReceiver {
    /// NM102/NM103..: an organisation or a person.
    pub name: EntityName,
    /// NM109 with qualifier XX.
    pub npi: String,
    /// 2000C loops.
    pub subscribers: Vec<SubscriberInquiry>,
}

/// The subscriber (2000C/2100C), asked about directly or as the holder of a dependent's coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberInquiry {
    /// NM103-NM107.
    pub name: PersonName,
    /// NM109 with qualifier MI.
    pub member_id: String,
    /// DMG02.
    pub birth_date: Option<NaiveDate>,
    /// DMG03.
    pub gender: Option<Gender>,
    /// The question, when the subscriber is the patient; `None` when `dependent` is.
    pub question: Option<Question>,
    /// 2000D: the patient, when not the subscriber.
    pub dependent: Option<DependentInquiry>,
}

/// A dependent patient (2000D/2100D); the payer finds them under the subscriber's member id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentInquiry {
    /// NM103-NM107 (NM1*03, no id).
    pub name: PersonName,
    /// DMG02, required for a dependent.
    pub birth_date: NaiveDate,
    /// DMG03.
    pub gender: Option<Gender>,
    /// What is asked.
    pub question: Question,
}

/// What is asked about a person: the trace number, the date and the benefits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// TRN02: unique per person asked about; the 271 repeats it.
    pub trace_number: String,
    /// TRN03: who made the trace number, ten characters (`1` and the nine-digit tax id, or `9` and
    /// another id).
    pub originator_id: String,
    /// DTP*291: the planned date of service.
    pub service_date: NaiveDate,
    /// EQ01 service type codes (`30` plan coverage, `98` office visit...), at most 99.
    pub service_types: Vec<String>,
}

/// A rule a request breaks, with the trace number of the person it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The trace number of the question concerned, when the problem is in one.
    pub trace_number: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a request, each said in plain words by `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No one is asked about.
    NoInquiries,
    /// More than [`MAX_INQUIRIES`].
    TooManyInquiries { count: usize },
    /// A control number is 0 or over nine digits.
    ControlNumberOutOfRange { which: &'static str },
    /// A required field is empty.
    Empty { field: &'static str },
    /// A field longer than the guide allows.
    TooLong { field: &'static str, max: usize },
    /// An identifier with characters that cannot be written (delimiters, non-ASCII).
    BadCharacters { field: &'static str },
    /// An NPI that is not ten digits with a valid check digit.
    BadNpi,
    /// A service type code that is not one or two letters or digits.
    BadServiceType { value: String },
    /// The same trace number twice in the file: the answers could not be told apart.
    RepeatedTraceNumber,
    /// A payer or receiver loop with nothing under it.
    EmptyLoop { which: &'static str },
    /// A subscriber with both or neither of a question and a dependent.
    QuestionMisplaced,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoInquiries => write!(f, "the request asks about no one"),
            Problem::TooManyInquiries { count } => write!(f, "{count} people is more than the {MAX_INQUIRIES} one file may ask about"),
            Problem::ControlNumberOutOfRange { which } => write!(f, "the {which} control number must be between 1 and 999999999"),
            Problem::Empty { field } => write!(f, "{field} is required"),
            Problem::TooLong { field, max } => write!(f, "{field} is longer than {max} characters"),
            Problem::BadCharacters { field } => {
                write!(f, "{field} contains characters that cannot be sent (only plain letters, digits and punctuation other than * : ^ ~)")
            }
            Problem::BadNpi => write!(f, "the information receiver's NPI is not valid (ten digits with a correct check digit)"),
            Problem::BadServiceType { value } => write!(f, "service type \"{value}\" is not a valid code"),
            Problem::RepeatedTraceNumber => write!(f, "the trace number is used twice in the file"),
            Problem::EmptyLoop { which } => write!(f, "a {which} with no one to ask about"),
            Problem::QuestionMisplaced => {
                write!(f, "the question belongs to the subscriber when they are the patient, else to the dependent")
            }
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.trace_number {
            Some(t) => write!(f, "trace {t}: {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
}

/// A request the writer refused, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid270 {
    /// All the problems, in the order of the request.
    pub issues: Vec<Issue>,
}

impl fmt::Display for Invalid270 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_issues(f, "the eligibility request cannot be sent: ", &self.issues)
    }
}

impl std::error::Error for Invalid270 {}

struct Checker {
    issues: Vec<Issue>,
    trace: Option<String>,
    seen: Vec<String>,
}

impl Checker {
    fn add(&mut self, problem: Problem) {
        self.issues.push(Issue { trace_number: self.trace.clone(), problem });
    }

    fn fault(&mut self, field: &'static str, fault: Option<FieldFault>) {
        match fault {
            Some(FieldFault::Empty) => self.add(Problem::Empty { field }),
            Some(FieldFault::TooLong { max }) => self.add(Problem::TooLong { field, max }),
            Some(FieldFault::BadCharacters) => self.add(Problem::BadCharacters { field }),
            None => {}
        }
    }

    /// A free-text field (names, addresses): required, and at most `max` characters once cleaned.
    fn text(&mut self, field: &'static str, value: &str, max: usize) {
        self.fault(field, text_fault(value, max));
    }

    fn optional_text(&mut self, field: &'static str, value: Option<&str>, max: usize) {
        self.fault(field, optional_text_fault(value, max));
    }

    /// An identifier written as given: required, writable, at most `max` characters.
    fn id(&mut self, field: &'static str, value: &str, max: usize) {
        self.fault(field, id_fault(value, max));
    }

    fn person(&mut self, field: &'static str, name: &PersonName) {
        self.text(field, &name.last, 60);
        self.optional_text(field, Some(&name.first), 35);
        self.optional_text(field, name.middle.as_deref(), 25);
        self.optional_text(field, name.suffix.as_deref(), 10);
    }

    fn question(&mut self, q: &Question) {
        self.trace = Some(q.trace_number.trim().to_string());
        self.id("trace number", &q.trace_number, 50);
        self.id("trace originator id", &q.originator_id, 10);
        let trace = q.trace_number.trim().to_string();
        if self.seen.contains(&trace) {
            self.add(Problem::RepeatedTraceNumber);
        }
        self.seen.push(trace);
        if q.service_types.is_empty() {
            self.add(Problem::Empty { field: "service type" });
        } else if q.service_types.len() > 99 {
            self.add(Problem::TooLong { field: "service types", max: 99 });
        }
        for s in &q.service_types {
            let s = s.trim();
            if !(1..=2).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                self.add(Problem::BadServiceType { value: s.chars().take(10).collect() });
            }
        }
    }
}

/// Every problem of a request, empty when it can be written.
pub fn validate_270(request: &Request270, control: &ControlNumbers) -> Vec<Issue> {
    let mut c = Checker { issues: Vec::new(), trace: None, seen: Vec::new() };
    for which in control.out_of_range() {
        c.add(Problem::ControlNumberOutOfRange { which });
    }
    let env = &request.envelope;
    c.id("sender id", &env.sender_id, 15);
    c.id("receiver id", &env.receiver_id, 15);
    c.id("sender id qualifier", &env.sender_qualifier, 2);
    c.id("receiver id qualifier", &env.receiver_qualifier, 2);
    c.id("application sender code", &env.application_sender, 15);
    c.id("application receiver code", &env.application_receiver, 15);
    c.id("request reference", &request.reference, 50);
    let count: usize = request.sources.iter().flat_map(|s| &s.receivers).flat_map(|r| &r.subscribers).count();
    if count == 0 {
        c.add(Problem::NoInquiries);
    } else if count > MAX_INQUIRIES {
        c.add(Problem::TooManyInquiries { count });
    }
    for source in &request.sources {
        c.trace = None;
        c.text("payer name", &source.payer_name, 60);
        c.id("payer id", &source.payer_id, 80);
        if source.receivers.is_empty() {
            c.add(Problem::EmptyLoop { which: "payer" });
        }
        for receiver in &source.receivers {
            c.trace = None;
            match &receiver.name {
                EntityName::Organization(n) => c.text("information receiver name", n, 60),
                EntityName::Person(n) => c.person("information receiver name", n),
            }
            if !is_valid_npi(receiver.npi.trim()) {
                c.add(Problem::BadNpi);
            }
            if receiver.subscribers.is_empty() {
                c.add(Problem::EmptyLoop { which: "information receiver" });
            }
            for s in &receiver.subscribers {
                c.trace = None;
                match (&s.question, &s.dependent) {
                    (Some(q), None) => c.question(q),
                    (None, Some(d)) => {
                        c.question(&d.question);
                        c.person("dependent name", &d.name);
                    }
                    _ => c.add(Problem::QuestionMisplaced),
                }
                c.person("subscriber name", &s.name);
                c.id("member id", &s.member_id, 80);
            }
        }
    }
    c.issues
}

fn gender_code(g: Gender) -> &'static str {
    match g {
        Gender::Female => "F",
        Gender::Male => "M",
        Gender::Unknown => "U",
    }
}

fn opt_text(s: Option<&str>) -> String {
    s.map(clean_text).unwrap_or_default()
}

fn write_person(w: &mut SegmentWriter, entity: &str, p: &PersonName, qualifier: &str, id: &str) {
    w.segment(
        "NM1",
        &[
            entity,
            "1",
            &clean_text(&p.last),
            &clean_text(&p.first),
            &opt_text(p.middle.as_deref()),
            "",
            &opt_text(p.suffix.as_deref()),
            qualifier,
            id.trim(),
        ],
    );
}

fn write_demographics(w: &mut SegmentWriter, birth: Option<NaiveDate>, gender: Option<Gender>) {
    if let Some(b) = birth {
        w.segment("DMG", &["D8", &format_date(b), gender.map(gender_code).unwrap_or("")]);
    }
}

fn write_trace(w: &mut SegmentWriter, q: &Question) {
    w.segment("TRN", &["1", q.trace_number.trim(), q.originator_id.trim()]);
}

fn write_question_tail(w: &mut SegmentWriter, q: &Question) {
    w.segment("DTP", &["291", "D8", &format_date(q.service_date)]);
    let rep = w.delimiters().repetition.unwrap_or('^');
    let types: Vec<String> = q.service_types.iter().map(|s| s.trim().to_ascii_uppercase()).collect();
    w.segment("EQ", &[&types.join(&rep.to_string())]);
}

/// Writes the request as one 270 transaction set (BHT02 13, a request), or lists every problem.
pub fn write_270(request: &Request270, control: &ControlNumbers, usage: Usage) -> Result<String, Invalid270> {
    let issues = validate_270(request, control);
    if !issues.is_empty() {
        return Err(Invalid270 { issues });
    }
    let mut w = SegmentWriter::new(Delimiters::STANDARD);
    envelope::open(&mut w, &request.envelope, usage, control, "HS", "270", GUIDE);
    let created = &request.envelope.created;
    w.segment("BHT", &["0022", "13", request.reference.trim(), &created.format("%Y%m%d").to_string(), &created.format("%H%M").to_string()]);
    let mut hl = 0usize;
    for source in &request.sources {
        hl += 1;
        let source_hl = hl;
        w.segment("HL", &[&source_hl.to_string(), "", "20", "1"]);
        w.segment("NM1", &["PR", "2", &clean_text(&source.payer_name), "", "", "", "", "PI", source.payer_id.trim()]);
        for receiver in &source.receivers {
            hl += 1;
            let receiver_hl = hl;
            w.segment("HL", &[&receiver_hl.to_string(), &source_hl.to_string(), "21", "1"]);
            match &receiver.name {
                EntityName::Organization(n) => w.segment("NM1", &["1P", "2", &clean_text(n), "", "", "", "", "XX", receiver.npi.trim()]),
                EntityName::Person(p) => write_person(&mut w, "1P", p, "XX", &receiver.npi),
            }
            for s in &receiver.subscribers {
                hl += 1;
                let subscriber_hl = hl;
                w.segment(
                    "HL",
                    &[&subscriber_hl.to_string(), &receiver_hl.to_string(), "22", if s.dependent.is_some() { "1" } else { "0" }],
                );
                if let Some(q) = &s.question {
                    write_trace(&mut w, q);
                }
                write_person(&mut w, "IL", &s.name, "MI", &s.member_id);
                write_demographics(&mut w, s.birth_date, s.gender);
                if let Some(q) = &s.question {
                    write_question_tail(&mut w, q);
                }
                if let Some(d) = &s.dependent {
                    hl += 1;
                    w.segment("HL", &[&hl.to_string(), &subscriber_hl.to_string(), "23", "0"]);
                    write_trace(&mut w, &d.question);
                    write_person(&mut w, "03", &d.name, "", "");
                    write_demographics(&mut w, Some(d.birth_date), d.gender);
                    write_question_tail(&mut w, &d.question);
                }
            }
        }
    }
    envelope::close(&mut w, control);
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_service_type_must_be_one_or_two_letters_or_digits() {
        let mut c = Checker { issues: Vec::new(), trace: None, seen: Vec::new() };
        let q = Question {
            trace_number: "T1".into(),
            originator_id: "1123456789".into(),
            service_date: NaiveDate::from_ymd_opt(2026, 6, 16).unwrap(),
            service_types: vec!["30".into(), "ABC".into(), "9*".into()],
        };
        c.question(&q);
        let bad: Vec<_> = c.issues.iter().map(|i| i.problem.clone()).collect();
        assert_eq!(bad, vec![Problem::BadServiceType { value: "ABC".into() }, Problem::BadServiceType { value: "9*".into() }]);
    }
}
