//! The 277 claim status response (005010X212): the payer's answer to a 276. Per claim (2200D
//! under the subscriber, 2200E under a dependant): our trace number sent back (`TRN*2`), the
//! statuses (`STC`: category, status code and entity, with the status date, the charge in STC04,
//! the amount paid in STC05, the adjudication date and the check number), the payer's claim
//! number (`REF*1K`), our patient control number (`REF*EJ`), the dates of service, and the
//! service lines with their own statuses (2220D/E: `SVC`, `STC`, `REF*FJ`, `DTP*472`).
//!
//! A 277CA (005010X214), which shares ST01 277, is refused with a sentence saying so: its claims
//! sit in another loop and mean something else (an acknowledgement, read by `claim277ca`).

use chrono::NaiveDate;

use crate::codes::{ClaimStatusKind, claim_status_category_meaning, claim_status_code_meaning, claim_status_kind};
use crate::envelope::{DateOrRange, sets_of};
use crate::error::{ErrorKind, ParseError};
use crate::fields::{code, optional_amount, optional_date, text, unexpected};
use crate::syntax::{Delimiters, Segment, parse};

/// One 277 transaction set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResponse277 {
    /// ST02.
    pub control_number: String,
    /// 2100A NM103: the payer that answers.
    pub payer_name: Option<String>,
    /// Statuses about the whole request or a provider (2200B, 2200C).
    pub general_statuses: Vec<StatusAnswer>,
    /// One per claim answered.
    pub claims: Vec<ClaimStatusAnswer>,
}

/// The answer about one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimStatusAnswer {
    /// TRN02: the trace number of the 276's claim.
    pub trace_number: String,
    /// REF*EJ: our patient control number, when the payer sends it back.
    pub patient_control_number: Option<String>,
    /// REF*1K: the payer's claim control number.
    pub payer_claim_control_number: Option<String>,
    /// NM1*IL NM109: the subscriber's member id.
    pub member_id: Option<String>,
    /// The patient's name (NM1*QC, or NM1*IL when the subscriber is the patient) as `LAST, FIRST`.
    pub patient_name: Option<String>,
    /// DTP*472 of the claim.
    pub service_dates: Option<DateOrRange>,
    /// The claim-level STC segments (each composite of STC01, STC10, STC11 one status).
    pub statuses: Vec<StatusAnswer>,
    /// The service lines answered (2220D/E).
    pub lines: Vec<LineStatusAnswer>,
}

impl ClaimStatusAnswer {
    /// The first claim-level status, the one the payer puts first (the claim's current status).
    pub fn main_status(&self) -> Option<&StatusAnswer> {
        self.statuses.first()
    }
}

/// A service line's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineStatusAnswer {
    /// SVC01 as sent back (`HC:99213:25`).
    pub procedure: String,
    /// SVC02, the line's charge.
    pub charge_cents: Option<i64>,
    /// SVC03, the amount paid on the line.
    pub paid_cents: Option<i64>,
    /// REF*FJ: the line item control number.
    pub line_control_number: Option<String>,
    /// DTP*472 of the line.
    pub service_dates: Option<DateOrRange>,
    /// The line's STC segments.
    pub statuses: Vec<StatusAnswer>,
}

/// One status: an STC composite (category, status code, entity) with the STC's dates and amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAnswer {
    /// The category (A1, P1, F1, F2...).
    pub category: String,
    /// The status code.
    pub code: String,
    /// The entity the status is about (85 billing provider, IL subscriber...).
    pub entity: Option<String>,
    /// STC02, the date the status took effect.
    pub date: Option<NaiveDate>,
    /// STC04, the total charge as the payer has it.
    pub charge_cents: Option<i64>,
    /// STC05, the amount paid.
    pub paid_cents: Option<i64>,
    /// STC06, the adjudication or payment date.
    pub adjudication_date: Option<NaiveDate>,
    /// STC08, the date the check was issued.
    pub check_date: Option<NaiveDate>,
    /// STC09, the check or EFT trace number.
    pub check_number: Option<String>,
    /// STC12, a free-text message.
    pub message: Option<String>,
}

impl StatusAnswer {
    /// What the category means for the claim.
    pub fn kind(&self) -> ClaimStatusKind {
        claim_status_kind(&self.category)
    }

    /// The status in a sentence: category, status code and entity in plain words, with the
    /// message.
    pub fn explanation(&self) -> String {
        let mut s =
            claim_status_category_meaning(&self.category).map_or_else(|| format!("status category {}", self.category), str::to_string);
        match claim_status_code_meaning(&self.code) {
            Some(m) => s.push_str(&format!(": {m}")),
            None if !self.code.is_empty() => s.push_str(&format!(": status code {}", self.code)),
            None => {}
        }
        if let Some(e) = &self.entity {
            let words = crate::claim277ca::entity_meaning(e).map_or_else(|| format!("entity {e}"), str::to_string);
            s.push_str(&format!(" ({words})"));
        }
        if let Some(m) = &self.message {
            s.push_str(&format!(" - {m}"));
        }
        s
    }
}

fn read_stc(seg: &Segment, pos: usize, d: &Delimiters) -> Result<Vec<StatusAnswer>, ParseError> {
    let date = optional_date(seg, 2, pos)?;
    let charge_cents = optional_amount(seg, 4, pos)?;
    let paid_cents = optional_amount(seg, 5, pos)?;
    let adjudication_date = optional_date(seg, 6, pos)?;
    let check_date = optional_date(seg, 8, pos)?;
    let check_number = text(seg, 9);
    let message = text(seg, 12);
    let mut out = Vec::new();
    for n in [1, 10, 11] {
        let Some(composite) = seg.value(n) else { continue };
        let parts = d.components(composite);
        let category = parts.first().map(|s| s.trim().to_ascii_uppercase()).unwrap_or_default();
        if category.is_empty() {
            continue;
        }
        out.push(StatusAnswer {
            category,
            code: parts.get(1).map(|s| s.trim().to_string()).unwrap_or_default(),
            entity: parts.get(2).map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()),
            date,
            charge_cents,
            paid_cents,
            adjudication_date,
            check_date,
            check_number: check_number.clone(),
            message: message.clone(),
        });
    }
    if out.is_empty() {
        return Err(ParseError::at(pos, Some("STC"), ErrorKind::EmptyElement { element: "STC01".into() }));
    }
    Ok(out)
}

fn read_dtp(seg: &Segment, pos: usize) -> Result<Option<DateOrRange>, ParseError> {
    if code(seg, 1) != "472" {
        return Ok(None);
    }
    DateOrRange::parse(seg.element(2), seg.element(3)).map(Some).ok_or_else(|| {
        let value: String = seg.element(3).chars().take(30).collect();
        ParseError::at(pos, Some("DTP"), ErrorKind::BadDate { element: "DTP03".into(), value })
    })
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Level {
    None,
    Payer,
    Receiver,
    Provider,
    Subscriber,
    Dependent,
}

fn person_name(seg: &Segment) -> Option<String> {
    match (seg.value(3), seg.value(4)) {
        (Some(l), Some(f)) => Some(format!("{l}, {f}")),
        (Some(l), None) => Some(l.to_string()),
        _ => None,
    }
}

/// Reads every 277 claim status response of a file.
pub fn read_277(input: &[u8]) -> Result<Vec<StatusResponse277>, ParseError> {
    let doc = parse(input)?;
    let d = doc.delimiters;
    let mut out = Vec::new();
    for set in sets_of(&doc, "277")? {
        if set.version().contains("X214") {
            let kind = ErrorKind::WrongTransaction {
                expected: "277 claim status response (005010X212)",
                found: format!("277CA claim acknowledgement ({})", set.version()),
            };
            return Err(ParseError::at(set.first_position - 1, Some("ST"), kind));
        }
        let mut response = StatusResponse277 {
            control_number: set.control_number().to_string(),
            payer_name: None,
            general_statuses: Vec::new(),
            claims: Vec::new(),
        };
        let mut level = Level::None;
        // The names of the current subscriber and dependant, copied onto each of their claims.
        let mut member_id: Option<String> = None;
        let mut subscriber_name: Option<String> = None;
        let mut dependent_name: Option<String> = None;
        // Whether the last claim is still open (no HL since its TRN), and whether a line is.
        let mut claim_open = false;
        let mut in_line = false;
        for (i, seg) in set.body.iter().enumerate() {
            let pos = set.position(i);
            match seg.id.as_str() {
                "HL" => {
                    claim_open = false;
                    in_line = false;
                    level = match code(seg, 3).as_str() {
                        "20" => Level::Payer,
                        "21" => Level::Receiver,
                        "19" => Level::Provider,
                        "22" => Level::Subscriber,
                        "23" => Level::Dependent,
                        _ => Level::None,
                    };
                    match level {
                        Level::Subscriber => {
                            member_id = None;
                            subscriber_name = None;
                            dependent_name = None;
                        }
                        Level::Dependent => dependent_name = None,
                        _ => {}
                    }
                }
                "NM1" => match (level, code(seg, 1).as_str()) {
                    (Level::Payer, "PR") => response.payer_name = text(seg, 3),
                    (Level::Subscriber, "IL") => {
                        member_id = text(seg, 9);
                        subscriber_name = person_name(seg);
                    }
                    (Level::Dependent, "QC") => dependent_name = person_name(seg),
                    _ => {}
                },
                "TRN" => {
                    if matches!(level, Level::Subscriber | Level::Dependent) {
                        let Some(trace) = text(seg, 2) else {
                            return Err(ParseError::at(pos, Some("TRN"), ErrorKind::EmptyElement { element: "TRN02".into() }));
                        };
                        let patient_name = if level == Level::Dependent { dependent_name.clone() } else { subscriber_name.clone() };
                        response.claims.push(ClaimStatusAnswer {
                            trace_number: trace,
                            patient_control_number: None,
                            payer_claim_control_number: None,
                            member_id: member_id.clone(),
                            patient_name,
                            service_dates: None,
                            statuses: Vec::new(),
                            lines: Vec::new(),
                        });
                        claim_open = true;
                        in_line = false;
                    }
                }
                "STC" => {
                    let statuses = read_stc(seg, pos, &d)?;
                    match (level, claim_open, response.claims.last_mut()) {
                        (Level::Subscriber | Level::Dependent, true, Some(claim)) => match (in_line, claim.lines.last_mut()) {
                            (true, Some(line)) => line.statuses.extend(statuses),
                            _ => claim.statuses.extend(statuses),
                        },
                        (Level::Subscriber | Level::Dependent, ..) => {
                            return Err(unexpected(seg, pos, "TRN (the claim's trace number) before the claim's STC"));
                        }
                        _ => response.general_statuses.extend(statuses),
                    }
                }
                "REF" => {
                    if let (true, Some(claim)) = (claim_open, response.claims.last_mut()) {
                        match (code(seg, 1).as_str(), in_line, claim.lines.last_mut()) {
                            ("1K", false, _) => claim.payer_claim_control_number = text(seg, 2),
                            ("EJ", false, _) => claim.patient_control_number = text(seg, 2),
                            ("FJ", true, Some(line)) => line.line_control_number = text(seg, 2),
                            _ => {}
                        }
                    }
                }
                "DTP" => {
                    if let (true, Some(claim)) = (claim_open, response.claims.last_mut()) {
                        let dates = read_dtp(seg, pos)?;
                        match (in_line, claim.lines.last_mut()) {
                            (true, Some(line)) => line.service_dates = dates.or(line.service_dates),
                            _ => claim.service_dates = dates.or(claim.service_dates),
                        }
                    }
                }
                "SVC" => {
                    let (true, Some(claim)) = (claim_open, response.claims.last_mut()) else {
                        return Err(unexpected(seg, pos, "SVC inside a claim (after its TRN)"));
                    };
                    in_line = true;
                    claim.lines.push(LineStatusAnswer {
                        procedure: seg.element(1).trim().to_string(),
                        charge_cents: optional_amount(seg, 2, pos)?,
                        paid_cents: optional_amount(seg, 3, pos)?,
                        line_control_number: None,
                        service_dates: None,
                        statuses: Vec::new(),
                    });
                }
                _ => {}
            }
        }
        out.push(response);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*PAYER1         *ZZ*SUBMIT1        *260620*0900*^*00501*000000031*0*T*:~";

    fn file(body: &str, guide: &str) -> String {
        let count = body.matches('~').count() + 2;
        format!("{ISA}GS*HN*PAYER1*SUBMIT1*20260620*0900*31*X*{guide}~ST*277*0001*{guide}~{body}SE*{count}*0001~GE*1*31~IEA*1*000000031~")
    }

    #[test]
    fn a_claim_under_a_dependant_is_read_with_its_lines() {
        let body = "BHT*0010*08*R1*20260620*0900*DG~HL*1**20*1~NM1*PR*2*ACME*****PI*PAYER1~HL*2*1*21*1~NM1*41*2*CLINIC*****46*SUBMIT1~\
                    HL*3*2*19*1~NM1*1P*2*CLINIC*****XX*1234567893~HL*4*3*22*1~NM1*IL*1*DOE*JOHN****MI*M1~HL*5*4*23~NM1*QC*1*DOE*JENNY~\
                    TRN*2*T1~STC*F2:85:PR*20260618**125.5*0*20260618~REF*1K*PCN9~REF*EJ*MO00000001~DTP*472*D8*20260610~\
                    SVC*HC:99213*125.5*0~STC*F2:585*20260618~REF*FJ*1~DTP*472*D8*20260610~";
        let r = read_277(file(body, "005010X212").as_bytes()).unwrap();
        let claim = &r[0].claims[0];
        assert_eq!(claim.trace_number, "T1");
        assert_eq!(claim.patient_name.as_deref(), Some("DOE, JENNY"));
        assert_eq!(claim.member_id.as_deref(), Some("M1"));
        assert_eq!(claim.payer_claim_control_number.as_deref(), Some("PCN9"));
        let main = claim.main_status().unwrap();
        assert_eq!((main.charge_cents, main.paid_cents), (Some(12550), Some(0)));
        assert_eq!(main.kind(), ClaimStatusKind::FinalizedDenied);
        assert_eq!(main.explanation(), "finalized: denied: status code 85 (payer)");
        assert_eq!(claim.lines[0].statuses[0].explanation(), "finalized: denied: the claim was denied: a non-covered service");
        assert_eq!(claim.lines[0].line_control_number.as_deref(), Some("1"));
    }

    #[test]
    fn a_277ca_is_refused_by_name() {
        let err = read_277(file("BHT*0085*08*R1*20260620*0900*TH~", "005010X214").as_bytes()).unwrap_err();
        assert!(err.to_string().contains("277CA claim acknowledgement"), "{err}");
    }

    #[test]
    fn a_status_before_its_trace_number_is_refused() {
        let body =
            "BHT*0010*08*R1*20260620*0900*DG~HL*1**20*1~HL*2*1*21*1~HL*3*2*19*1~HL*4*3*22*0~NM1*IL*1*DOE****MI*M1~STC*A1:20*20260620~";
        let err = read_277(file(body, "005010X212").as_bytes()).unwrap_err();
        assert_eq!(err.segment_id.as_deref(), Some("STC"));
    }
}
