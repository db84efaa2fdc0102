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
