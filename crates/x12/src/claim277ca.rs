//! The 277CA claim acknowledgement (005010X214): per claim, whether the payer or clearinghouse took
//! it into adjudication or rejected it, keyed by our patient control number (TRN02 in 2200D), with
//! the status codes in plain words.

use chrono::NaiveDate;

use crate::envelope::sets_of;
use crate::error::{ErrorKind, ParseError};
use crate::fields::{code, optional_amount, optional_date, text, unexpected};
use crate::syntax::{Delimiters, Segment, parse};

/// One 277CA transaction set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAcknowledgement277 {
    /// ST02.
    pub control_number: String,
    /// The sender's name (2100A NM1*PR or the clearinghouse).
    pub source_name: Option<String>,
    /// Statuses about the whole batch (2200B, the information receiver).
    pub batch_statuses: Vec<Status>,
    /// Statuses about a billing provider (2200C).
    pub provider_statuses: Vec<Status>,
    /// One per claim acknowledged (2200D).
    pub claims: Vec<ClaimStatus>,
}

/// The acknowledgement of one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimStatus {
    /// TRN02: the CLM01 we sent.
    pub patient_control_number: String,
    /// REF*1K: the payer's claim control number, once it has one.
    pub payer_claim_control_number: Option<String>,
    /// REF*D9: the clearinghouse's trace number.
    pub clearinghouse_trace: Option<String>,
    /// NM1*QC: the patient's name as `LAST, FIRST`.
    pub patient_name: Option<String>,
    /// The claim-level STC segments.
    pub statuses: Vec<Status>,
    /// The service lines with their own statuses (2220D).
    pub lines: Vec<LineStatus>,
}

impl ClaimStatus {
    /// Rejected if any status says so, else accepted if any does, else pending.
    pub fn outcome(&self) -> Outcome {
        let all = self.statuses.iter().chain(self.lines.iter().flat_map(|l| &l.statuses));
        let outcomes: Vec<Outcome> = all.map(|s| s.outcome()).collect();
        if outcomes.contains(&Outcome::Rejected) {
            Outcome::Rejected
        } else if outcomes.contains(&Outcome::Accepted) {
            Outcome::Accepted
        } else {
            Outcome::Pending
        }
    }

    /// Every status of the claim and its lines in plain words, for the claim's page.
    pub fn explanation(&self) -> Vec<String> {
        self.statuses.iter().chain(self.lines.iter().flat_map(|l| &l.statuses)).map(Status::explanation).collect()
    }
}

/// A service line's acknowledgement (2220D).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineStatus {
    /// SVC01 as sent back (`HC:99213:25`).
    pub procedure: String,
    /// SVC02.
    pub charge_cents: Option<i64>,
    /// REF*FJ (or 6R): the line item control number we sent, if any.
    pub line_control_number: Option<String>,
    /// The line's STC segments.
    pub statuses: Vec<Status>,
}

/// What a claim's acknowledgement means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A1, A2, A5: received or taken into adjudication.
    Accepted,
    /// A3, A4, A6, A7, A8: returned; correct and send again.
    Rejected,
    /// A0 (forwarded) and anything else: wait for the next answer.
    Pending,
}

/// One status (an STC composite: category, status code, entity) with its dates and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// STCxx-1, the category (A1, A2, A3...).
    pub category: String,
    /// STCxx-2, the status code.
    pub code: String,
    /// STCxx-3, the entity the status is about (85 billing provider, IL subscriber...).
    pub entity: Option<String>,
    /// STC02.
    pub date: Option<NaiveDate>,
    /// STC04, the total charge as the sender read it.
    pub amount_cents: Option<i64>,
    /// STC12, a free-text message.
    pub message: Option<String>,
}

impl Status {
    /// What the category means for the claim.
    pub fn outcome(&self) -> Outcome {
        match self.category.as_str() {
            "A1" | "A2" | "A5" => Outcome::Accepted,
            "A3" | "A4" | "A6" | "A7" | "A8" => Outcome::Rejected,
            _ => Outcome::Pending,
        }
    }

    /// The category in plain words.
    pub fn category_meaning(&self) -> Option<&'static str> {
        category_meaning(&self.category)
    }

    /// The whole status in a sentence: category, status code and entity, with the message.
    pub fn explanation(&self) -> String {
        let mut s = category_meaning(&self.category).map_or_else(|| format!("status category {}", self.category), str::to_string);
        match status_meaning(&self.code) {
            Some(m) => s.push_str(&format!(": {m}")),
            None if !self.code.is_empty() => s.push_str(&format!(": status code {}", self.code)),
            None => {}
        }
        if let Some(e) = &self.entity {
            s.push_str(&format!(" ({})", entity_meaning(e).map_or_else(|| format!("entity {e}"), str::to_string)));
        }
        if let Some(m) = &self.message {
            s.push_str(&format!(" - {m}"));
        }
        s
    }
}

/// A claim status category code in plain words.
pub fn category_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "A0" => "acknowledged: forwarded to another entity",
        "A1" => "acknowledged: received",
        "A2" => "acknowledged: accepted into the adjudication system",
        "A3" => "rejected: returned as unprocessable",
        "A4" => "rejected: not found",
        "A5" => "acknowledged: split claim",
        "A6" => "rejected for missing information",
        "A7" => "rejected for invalid information",
        "A8" => "rejected for a relational field in error",
        "E0" => "the sender could not answer: error in the data sent",
        "E1" => "the sender could not answer: its system is unavailable",
        "P1" => "pending: in process",
        "F1" => "finalized: payment",
        "F2" => "finalized: denial",
        _ => return None,
    })
}

/// The common claim status codes (STCxx-2) in plain words.
pub fn status_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "0" => "no further status can be given electronically",
        "1" => "see the remittance advice for details",
        "3" => "the claim has been adjudicated and is awaiting the payment cycle",
        "16" => "the claim has been forwarded to another entity",
        "19" => "the receiver acknowledges receipt of the claim",
        "20" => "accepted for processing",
        "21" => "information is missing or invalid",
        "33" => "the subscriber and subscriber id were not found",
        "145" => "the entity's specialty or taxonomy code is missing or invalid",
        "164" => "the entity's contract or member number is missing or invalid",
        "187" => "the date(s) of service are missing or invalid",
        "254" => "the principal diagnosis code is missing or invalid",
        "255" => "a diagnosis code is missing or invalid",
        "400" => "the claim is out of balance",
        "454" => "a procedure code is missing or invalid",
        "562" => "the entity's National Provider Identifier (NPI) is missing or invalid",
        // More of the common codes of 277CA rejections, in plain words (the category, A6 missing
        // or A7 invalid, says which of the two).
        "24" => "the entity is not approved as an electronic submitter",
        "26" => "the entity was not found",
        "29" => "the subscriber and the policy or contract number do not match",
        "30" => "the subscriber and the subscriber id do not match",
        "32" => "the subscriber and the policy or contract number were not found",
        "35" => "the claim was not found",
        "97" => "the patient's eligibility was not found with the entity",
        "116" => "the claim was submitted to the wrong payer",
        "125" => "the entity's name is missing or invalid",
        "126" => "the entity's address is missing or invalid",
        "128" => "the entity's tax id is missing or invalid",
        "153" => "the entity's id number is missing or invalid",
        "158" => "the entity's date of birth is missing or invalid",
        "453" => "a procedure code modifier is missing or invalid",
        "496" => "the submitter is not approved to send electronic claims for this entity",
        _ => return None,
    })
}

/// The entity identifier codes a status may name.
pub fn entity_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "03" => "dependant",
        "40" => "receiver",
        "41" => "submitter",
        "82" => "rendering provider",
        "85" => "billing provider",
        "87" => "pay-to provider",
        "DN" => "referring provider",
        "IL" => "subscriber",
        "PR" => "payer",
        "QC" => "patient",
        _ => return None,
    })
}

fn read_stc(seg: &Segment, pos: usize, d: &Delimiters) -> Result<Vec<Status>, ParseError> {
    let date = optional_date(seg, 2, pos)?;
    let amount_cents = optional_amount(seg, 4, pos)?;
    let message = text(seg, 12);
    let mut out = Vec::new();
    for n in [1, 10, 11] {
        let Some(composite) = seg.value(n) else { continue };
        let parts = d.components(composite);
        let category = parts.first().map(|s| s.trim().to_ascii_uppercase()).unwrap_or_default();
        if category.is_empty() {
            continue;
        }
        out.push(Status {
            category,
            code: parts.get(1).map(|s| s.trim().to_string()).unwrap_or_default(),
            entity: parts.get(2).map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()),
            date,
            amount_cents,
            message: message.clone(),
        });
    }
    if out.is_empty() {
        return Err(ParseError::at(pos, Some("STC"), ErrorKind::EmptyElement { element: "STC01".into() }));
    }
    Ok(out)
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Level {
    None,
    Source,
    Receiver,
    Provider,
    Patient,
}

/// A claim being read and the position of its HL, to name if it ends without a TRN.
struct OpenClaim {
    hl_position: usize,
    claim: ClaimStatus,
    pcn: Option<String>,
}

fn close_claim(open: Option<OpenClaim>, claims: &mut Vec<ClaimStatus>) -> Result<(), ParseError> {
    if let Some(mut o) = open {
        let Some(pcn) = o.pcn else {
            return Err(ParseError::at(
                o.hl_position,
                Some("HL"),
                ErrorKind::Missing { what: "TRN (the patient control number) of this claim" },
            ));
        };
        o.claim.patient_control_number = pcn;
        claims.push(o.claim);
    }
    Ok(())
}

/// Reads every 277 transaction set of a file.
pub fn read_277ca(input: &[u8]) -> Result<Vec<ClaimAcknowledgement277>, ParseError> {
    let doc = parse(input)?;
    let d = doc.delimiters;
    let mut out = Vec::new();
    for set in sets_of(&doc, "277")? {
        let mut ack = ClaimAcknowledgement277 {
            control_number: set.control_number().to_string(),
            source_name: None,
            batch_statuses: Vec::new(),
            provider_statuses: Vec::new(),
            claims: Vec::new(),
        };
        let mut level = Level::None;
        let mut open: Option<OpenClaim> = None;
        let mut in_line = false;
        for (i, seg) in set.body.iter().enumerate() {
            let pos = set.position(i);
            match seg.id.as_str() {
                "HL" => {
                    close_claim(open.take(), &mut ack.claims)?;
                    in_line = false;
                    level = match code(seg, 3).as_str() {
                        "20" => Level::Source,
                        "21" => Level::Receiver,
                        "19" => Level::Provider,
                        "PT" => Level::Patient,
                        _ => Level::None,
                    };
                    if level == Level::Patient {
                        let claim = ClaimStatus {
                            patient_control_number: String::new(),
                            payer_claim_control_number: None,
                            clearinghouse_trace: None,
                            patient_name: None,
                            statuses: Vec::new(),
                            lines: Vec::new(),
                        };
                        open = Some(OpenClaim { hl_position: pos, claim, pcn: None });
                    }
                }
                "NM1" => {
                    if level == Level::Source && ack.source_name.is_none() {
                        ack.source_name = text(seg, 3);
                    }
                    if let Some(o) = open.as_mut()
                        && code(seg, 1) == "QC"
                    {
                        let name = match (seg.value(3), seg.value(4)) {
                            (Some(l), Some(f)) => Some(format!("{l}, {f}")),
                            (Some(l), None) => Some(l.to_string()),
                            _ => None,
                        };
                        o.claim.patient_name = name;
                    }
                }
                "TRN" => {
                    if let Some(o) = open.as_mut()
                        && !in_line
                    {
                        o.pcn = text(seg, 2);
                    }
                }
                "REF" => {
                    if let Some(o) = open.as_mut() {
                        match (code(seg, 1).as_str(), in_line) {
                            ("1K", false) => o.claim.payer_claim_control_number = text(seg, 2),
                            ("D9", false) => o.claim.clearinghouse_trace = text(seg, 2),
                            ("FJ" | "6R", true) => {
                                if let Some(l) = o.claim.lines.last_mut() {
                                    l.line_control_number = text(seg, 2);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "STC" => {
                    let statuses = read_stc(seg, pos, &d)?;
                    match (level, open.as_mut()) {
                        (Level::Patient, Some(o)) => match (in_line, o.claim.lines.last_mut()) {
                            (true, Some(l)) => l.statuses.extend(statuses),
                            _ => o.claim.statuses.extend(statuses),
                        },
                        (Level::Receiver, _) => ack.batch_statuses.extend(statuses),
                        (Level::Provider, _) => ack.provider_statuses.extend(statuses),
                        _ => {}
                    }
                }
                "SVC" => {
                    let Some(o) = open.as_mut() else {
                        return Err(unexpected(seg, pos, "SVC inside a claim (HL PT)"));
                    };
                    in_line = true;
                    o.claim.lines.push(LineStatus {
                        procedure: seg.element(1).trim().to_string(),
                        charge_cents: optional_amount(seg, 2, pos)?,
                        line_control_number: None,
                        statuses: Vec::new(),
                    });
                }
                _ => {}
            }
        }
        close_claim(open.take(), &mut ack.claims)?;
        out.push(ack);
    }
    Ok(out)
}
