//! Adjustments (CAS) and the code lists medoffice explains in plain words: claim adjustment group
//! codes and the common claim adjustment reason codes (CARC). Shared by the 837P writer (secondary
//! claims) and the 835 reader.

use crate::envelope::{format_amount, parse_amount};
use crate::syntax::{Segment, SegmentWriter};

/// One adjustment: a group code (CO, PR, OA, PI, CR), a reason code (CARC) and an amount in cents
/// (positive reduces the payment; negative increases it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// CAS01: CO contractual, PR patient responsibility, OA other, PI payer initiated, CR correction.
    pub group: String,
    /// The claim adjustment reason code.
    pub reason: String,
    /// The amount adjusted, in cents.
    pub amount_cents: i64,
    /// The units adjusted, when the payer says.
    pub quantity: Option<String>,
}

impl Adjustment {
    /// The group code in plain words.
    pub fn group_meaning(&self) -> &'static str {
        group_meaning(&self.group)
    }

    /// The reason code in plain words, for the common ones.
    pub fn reason_meaning(&self) -> Option<&'static str> {
        reason_meaning(&self.reason)
    }
}

/// The adjustment group codes.
pub const GROUP_CODES: [&str; 5] = ["CO", "CR", "OA", "PI", "PR"];

/// A claim adjustment group code in plain words.
pub fn group_meaning(code: &str) -> &'static str {
    match code {
        "CO" => "contractual obligation (written off, not billed to the patient)",
        "CR" => "correction or reversal of an earlier payment",
        "OA" => "other adjustment",
        "PI" => "payer-initiated reduction",
        "PR" => "patient responsibility",
        _ => "unknown group code",
    }
}

/// The common claim adjustment reason codes (CARC) in plain words; `None` for the others.
pub fn reason_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "deductible",
        "2" => "co-insurance",
        "3" => "co-payment",
        "4" => "the procedure code is inconsistent with the modifier, or a modifier is missing",
        "5" => "the procedure code or type of bill is inconsistent with the place of service",
        "11" => "the diagnosis is inconsistent with the procedure",
        "16" => "the claim or service lacks information needed for adjudication",
        "18" => "exact duplicate claim or service",
        "22" => "this care may be covered by another payer (coordination of benefits)",
        "23" => "the impact of prior payers' adjudication",
        "26" => "expenses incurred before coverage began",
        "27" => "expenses incurred after coverage ended",
        "29" => "the time limit for filing has expired",
        "31" => "the patient cannot be identified as our insured",
        "45" => "the charge exceeds the fee schedule or maximum allowable amount",
        "50" => "not deemed a medical necessity by the payer",
        "96" => "non-covered charge",
        "97" => "the benefit is included in the payment for another service (bundled)",
        "109" => "not covered by this payer: send to the correct payer",
        "119" => "the benefit maximum for this period has been reached",
        "197" => "precertification or authorization was absent",
        "204" => "this service is not covered under the patient's current benefit plan",
        "242" => "services not provided by network or primary care providers",
        "253" => "sequestration (reduction of federal payment)",
        _ => return None,
    })
}

/// Reads the adjustments of one CAS segment (a group code and up to six reason, amount, quantity
/// triples); an amount that does not parse gives the element's name (`CAS03`) as the error.
pub(crate) fn read_cas(seg: &Segment) -> Result<Vec<Adjustment>, String> {
    let group = seg.element(1).trim().to_ascii_uppercase();
    let mut out = Vec::new();
    for k in 0..6 {
        let reason_at = 2 + 3 * k;
        let Some(reason) = seg.value(reason_at) else { continue };
        let amount = seg.element(reason_at + 1);
        let amount_cents = parse_amount(amount).ok_or_else(|| format!("CAS{:02}", reason_at + 1))?;
        out.push(Adjustment {
            group: group.clone(),
            reason: reason.to_ascii_uppercase(),
            amount_cents,
            quantity: seg.value(reason_at + 2).map(str::to_string),
        });
    }
    Ok(out)
}

/// Writes adjustments as CAS segments: one per group code in the order first seen, at most six
/// triples each (more start another CAS of the same group).
pub(crate) fn write_cas(w: &mut SegmentWriter, adjustments: &[Adjustment]) {
    let mut groups: Vec<&str> = Vec::new();
    for a in adjustments {
        if !groups.contains(&a.group.as_str()) {
            groups.push(&a.group);
        }
    }
    for g in groups {
        let of_group: Vec<&Adjustment> = adjustments.iter().filter(|a| a.group == g).collect();
        for chunk in of_group.chunks(6) {
            let mut elements: Vec<String> = vec![g.to_string()];
            for a in chunk {
                elements.push(a.reason.clone());
                elements.push(format_amount(a.amount_cents));
                elements.push(a.quantity.clone().unwrap_or_default());
            }
            let refs: Vec<&str> = elements.iter().map(String::as_str).collect();
            w.segment("CAS", &refs);
        }
    }
}

// --- Claim status (276/277, 005010X212): category and status codes in plain words ---

/// A health care claim status category code (STCxx-1 of a 277) in plain words; `None` for a code
/// not on the list.
pub fn claim_status_category_meaning(code: &str) -> Option<&'static str> {
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
        "D0" => "data search unsuccessful",
        "E0" => "the payer could not answer: error in the request",
        "E1" => "the payer could not answer: its system is unavailable",
        "E2" => "the payer could not answer: information holder not responding",
        "E3" => "the payer could not answer: correction required",
        "E4" => "the payer could not answer: the trading partner agreement does not allow it",
        "F0" => "finalized: adjudication complete",
        "F1" => "finalized: paid",
        "F2" => "finalized: denied",
        "F3" => "finalized: revised (the adjudication was changed)",
        "F3F" => "finalized: forwarded to another payer",
        "F3N" => "finalized: not forwarded to another payer",
        "F4" => "finalized: adjudication complete, no payment forthcoming",
        "P0" => "pending: adjudication details",
        "P1" => "pending: in process",
        "P2" => "pending: payer review",
        "P3" => "pending: the payer asked the provider for information",
        "P4" => "pending: the payer asked the patient for information",
        "P5" => "pending: payer administrative or system hold",
        "R0" | "R1" | "R3" | "R4" | "R5" | "R6" | "R7" | "R8" | "R9" | "R10" | "R11" | "R12" | "R13" | "R14" | "R15" | "R16" => {
            "request for additional information"
        }
        "RQ" => "general question about the claim",
        _ => return None,
    })
}

/// The common health care claim status codes (STCxx-2 of a 276/277 answer) in plain words;
/// `None` for the others.
pub fn claim_status_code_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "0" => "no further status can be given electronically",
        "1" => "see the remittance advice for details",
        "2" => "duplicate of a claim already received",
        "3" => "adjudicated and awaiting the payment cycle",
        "4" => "this is a subsequent request for information",
        "6" => "the claim has been forwarded to another entity",
        "15" => "the payer requests more information",
        "16" => "the claim has been forwarded to another entity",
        "19" => "the receiver acknowledges receipt of the claim",
        "20" => "accepted for processing",
        "21" => "information is missing or invalid",
        "23" => "returned to the provider",
        "25" => "not found: this claim is not on file",
        "26" => "not found: the subscriber and id were not found",
        "29" => "the subscriber and policy number do not match",
        "33" => "the subscriber and subscriber id were not found",
        "35" => "the claim or encounter was not found",
        "40" => "the patient is not eligible for these services",
        "41" => "the special handling requested is not available",
        "65" => "the claim was paid",
        "66" => "the claim was processed: payment is being issued",
        "88" => "the entity is not eligible for benefits for the services submitted",
        "97" => "the patient's eligibility has expired",
        "101" => "the claim was processed according to the plan's provisions",
        "104" => "processed according to the plan's provisions: payment made to the subscriber",
        "107" => "processed according to the contract or plan provisions",
        "187" => "the date(s) of service are missing or invalid",
        "248" => "the payer is waiting for information from another entity",
        "254" => "the principal diagnosis code is missing or invalid",
        "255" => "a diagnosis code is missing or invalid",
        "400" => "the claim is out of balance",
        "454" => "a procedure code is missing or invalid",
        "562" => "the entity's National Provider Identifier (NPI) is missing or invalid",
        "583" => "the services were not covered by the plan",
        "584" => "the charges were applied to the deductible",
        "585" => "the claim was denied: a non-covered service",
        _ => return None,
    })
}

/// What a claim status category means for the claim in medoffice: whether to show it as a
/// warning and which status the lifecycle would take from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatusKind {
    /// A0-A2, A5: the payer has it.
    Acknowledged,
    /// A3, A4, A6-A8: returned unprocessed; correct and send again.
    Rejected,
    /// P0-P5, R*, RQ: still being worked on, or the payer wants something.
    Pending,
    /// F1, F0, F3: adjudicated with payment information (the 835 posts it).
    FinalizedPaid,
    /// F2, F4: adjudicated, nothing will be paid.
    FinalizedDenied,
    /// D0, E0-E4, and codes not on the list: no answer about the claim itself.
    NoAnswer,
}

/// The kind of a category code (see [`ClaimStatusKind`]).
pub fn claim_status_kind(category: &str) -> ClaimStatusKind {
    match category {
        "A0" | "A1" | "A2" | "A5" => ClaimStatusKind::Acknowledged,
        "A3" | "A4" | "A6" | "A7" | "A8" => ClaimStatusKind::Rejected,
        "F0" | "F1" | "F3" | "F3F" | "F3N" => ClaimStatusKind::FinalizedPaid,
        "F2" | "F4" => ClaimStatusKind::FinalizedDenied,
        c if c.starts_with('P') || c.starts_with('R') => ClaimStatusKind::Pending,
        _ => ClaimStatusKind::NoAnswer,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::syntax::Delimiters;

    fn adj(group: &str, reason: &str, cents: i64) -> Adjustment {
        Adjustment { group: group.into(), reason: reason.into(), amount_cents: cents, quantity: None }
    }

    #[test]
    fn adjustments_are_grouped_into_cas_segments_and_read_back() {
        let list = vec![adj("CO", "45", 2000), adj("PR", "2", 500), adj("CO", "97", 1000)];
        let mut w = SegmentWriter::new(Delimiters::STANDARD);
        write_cas(&mut w, &list);
        assert_eq!(w.segments().len(), 2);
        let text = w.finish();
        assert_eq!(text, "CAS*CO*45*20**97*10~CAS*PR*2*5~");
        let seg = Segment::new("CAS", &["CO", "45", "20", "", "97", "10"]);
        assert_eq!(read_cas(&seg).unwrap(), vec![adj("CO", "45", 2000), adj("CO", "97", 1000)]);
        assert_eq!(read_cas(&Segment::new("CAS", &["CO", "45", "abc"])).unwrap_err(), "CAS03");
    }

    #[test]
    fn common_reasons_have_plain_words() {
        assert_eq!(reason_meaning("45"), Some("the charge exceeds the fee schedule or maximum allowable amount"));
        assert_eq!(reason_meaning("ZZZ"), None);
        assert_eq!(adj("PR", "1", 1).group_meaning(), "patient responsibility");
    }
}
