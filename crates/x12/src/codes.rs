//! Adjustments (CAS) and the code lists medoffice explains in plain words: claim adjustment group
//! codes, the common claim adjustment reason codes (CARC) and remark codes (RARC). Shared by the
//! 837P writer (secondary claims) and the 835 reader.

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

/// The common claim adjustment reason codes (CARC) in plain words (medoffice's own wording, not
/// the code list's); `None` for the others.
pub fn reason_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "deductible",
        "2" => "co-insurance",
        "3" => "co-payment",
        "4" => "the procedure code is inconsistent with the modifier, or a modifier is missing",
        "5" => "the procedure code or type of bill is inconsistent with the place of service",
        "6" => "the procedure or revenue code is inconsistent with the patient's age",
        "7" => "the procedure or revenue code is inconsistent with the patient's sex",
        "8" => "the procedure code is inconsistent with the provider type or specialty",
        "9" => "the diagnosis is inconsistent with the patient's age",
        "10" => "the diagnosis is inconsistent with the patient's sex",
        "11" => "the diagnosis is inconsistent with the procedure",
        "12" => "the diagnosis is inconsistent with the provider type",
        "13" => "the date of death precedes the date of service",
        "14" => "the date of birth follows the date of service",
        "15" => "the authorization number is missing, invalid or does not apply to the provider",
        "16" => "the claim or service lacks information needed for adjudication",
        "18" => "exact duplicate claim or service",
        "19" => "a work-related injury or illness: the workers' compensation carrier is liable",
        "20" => "an injury covered by the patient's liability carrier",
        "21" => "an injury covered by no-fault insurance",
        "22" => "this care may be covered by another payer (coordination of benefits)",
        "23" => "the impact of prior payers' adjudication",
        "24" => "the charges are covered under a capitation agreement or managed care plan",
        "26" => "expenses incurred before coverage began",
        "27" => "expenses incurred after coverage ended",
        "29" => "the time limit for filing has expired",
        "31" => "the patient cannot be identified as our insured",
        "32" => "our records show the patient is not an eligible dependent",
        "33" => "the insured has no dependent coverage",
        "34" => "the insured has no coverage for newborns",
        "35" => "the lifetime benefit maximum has been reached",
        "39" => "services denied at the time authorization or pre-certification was requested",
        "40" => "the charges do not meet the criteria for emergency or urgent care",
        "45" => "the charge exceeds the fee schedule or maximum allowable amount",
        "49" => "a routine or preventive service not covered by the plan",
        "50" => "not deemed a medical necessity by the payer",
        "51" => "a pre-existing condition not covered",
        "53" => "services by an immediate relative or member of the same household are not covered",
        "54" => "multiple physicians or assistants are not covered in this case",
        "55" => "the procedure, treatment or drug is deemed experimental by the payer",
        "56" => "the procedure is not deemed proven effective by the payer",
        "58" => "the treatment was given in an inappropriate or invalid place of service",
        "59" => "processed under the rules for multiple or concurrent procedures",
        "61" => "the penalty for failure to obtain a second surgical opinion",
        "66" => "blood deductible",
        "89" => "professional fees removed from the charges",
        "90" => "ingredient cost adjustment",
        "94" => "processed in excess of the charges",
        "95" => "the plan procedures were not followed",
        "96" => "non-covered charge",
        "97" => "the benefit is included in the payment for another service (bundled)",
        "100" => "the payment was made to the patient, insured or responsible party",
        "101" => "the predetermination was anticipated payment upon completion of services",
        "104" => "managed care withholding",
        "107" => "the related or qualifying claim or service was not identified on this claim",
        "109" => "not covered by this payer: send to the correct payer",
        "110" => "billing date predates the service date",
        "111" => "not covered unless the provider accepts assignment",
        "114" => "procedure or product not approved by the Food and Drug Administration",
        "115" => "the procedure was postponed, cancelled or delayed",
        "116" => "the advance notice to the patient did not meet requirements",
        "117" => "transportation is only covered to the closest facility that can give the care",
        "119" => "the benefit maximum for this period has been reached",
        "121" => "an indemnification adjustment: compensation for outstanding member responsibility",
        "125" => "the claim was submitted or billed incorrectly",
        "128" => "newborn services are covered in the mother's allowance",
        "129" => "prior processing information is incorrect",
        "130" => "claim submission fee",
        "131" => "a claim-specific negotiated discount",
        "132" => "prearranged demonstration project adjustment",
        "133" => "the disposition of the claim or service is pending further review",
        "136" => "failure to follow prior payer's coverage rules",
        "137" => "regulatory surcharges, assessments, allowances or health-related taxes",
        "139" => "contracted funding agreement: the subscriber is employed by the provider",
        "140" => "the patient or insured health identification number and name do not match",
        "142" => "monthly Medicaid patient liability amount",
        "144" => "an incentive adjustment, such as a preferred product or service",
        "146" => "the diagnosis was invalid for the date(s) of service reported",
        "147" => "the provider contracted or negotiated rate expired or is not on file",
        "149" => "the lifetime benefit maximum has been reached for this service or benefit category",
        "150" => "the payer deems the information submitted does not support this level of service",
        "151" => "the payer deems the information submitted does not support this many or this frequency of services",
        "152" => "the payer deems the information submitted does not support this length of service",
        "167" => "this diagnosis is not covered",
        "170" => "payment is denied when performed or billed by this type of provider",
        "171" => "payment is denied when performed or billed by this type of provider in this type of facility",
        "181" => "the procedure code was invalid on the date of service",
        "182" => "the procedure modifier was invalid on the date of service",
        "183" => "the referring provider is not eligible to refer the service billed",
        "185" => "the rendering provider is not eligible to perform the service billed",
        "187" => "consumer spending account payment (health savings or flexible spending)",
        "189" => "'not otherwise classified' or 'unlisted' procedure code billed when a specific code exists",
        "190" => "payment is included in the allowance for a skilled nursing facility stay",
        "192" => "non-standard adjustment code from paper remittance",
        "193" => "the original payment decision is being maintained after review",
        "194" => "anesthesia performed by the operating physician, the assistant surgeon or the attending physician",
        "197" => "precertification or authorization was absent",
        "198" => "precertification, notification or authorization was exceeded",
        "199" => "revenue code and procedure code do not match",
        "200" => "expenses incurred during a lapse in coverage",
        "201" => "patient is responsible for the amount of this claim under a set-aside arrangement",
        "204" => "this service is not covered under the patient's current benefit plan",
        "208" => "the National Provider Identifier (NPI) does not match",
        "209" => "per regulatory or other agreement, the provider cannot collect this amount from the patient",
        "216" => "based on the findings of a review organization",
        "222" => "exceeds the contracted maximum number of hours, days or units",
        "223" => "an adjustment code required by mandate with no other applicable code",
        "226" => "the information requested from the billing or rendering provider was not provided or was insufficient",
        "227" => "the information requested from the patient or insured was not provided or was insufficient",
        "231" => "mutually exclusive procedures cannot be done in the same day or setting",
        "234" => "this procedure is not paid separately",
        "235" => "sales tax",
        "236" => "this procedure or combination is not compatible with another procedure on the same day under the payer's coding rules",
        "237" => "legislated or regulatory penalty",
        "242" => "services not provided by network or primary care providers",
        "243" => "services not authorized by network or primary care providers",
        "250" => "the attachment or other documentation received was the incorrect one",
        "251" => "the attachment or other documentation received lacked the information needed",
        "252" => "an attachment or other documentation is required to adjudicate this claim or service",
        "253" => "sequestration (reduction of federal payment)",
        "256" => "the service is not covered by the payer's contract with the provider",
        "258" => "the claim or service is not covered when the patient is in custody, incarcerated or detained",
        "267" => "the claim or service spans multiple months: bill each month separately",
        "270" => "the claim received by the medical plan was for dental services",
        "273" => "coverage or plan-specific rules: the service is not covered for this place of service",
        "275" => "the prior payer's patient responsibility is not covered",
        "276" => "services denied by the prior payer are not covered by this payer",
        "279" => "services not provided by a designated or preferred provider",
        "288" => "referral absent",
        "B1" => "non-covered visits",
        "B4" => "late filing penalty",
        "B7" => "this provider was not certified or eligible to be paid for this procedure on the date of service",
        "B8" => "alternative services were available and should have been used",
        "B9" => "the patient is enrolled in a hospice",
        "B10" => "allowed amount reduced: a component of the basic procedure or test was paid",
        "B11" => "the claim has been transferred to the proper payer or processor",
        "B12" => "services not documented in the patient's medical records",
        "B13" => "previously paid: payment for this claim or service may have been provided in a previous payment",
        "B14" => "only one visit or consultation per physician per day is covered",
        "B15" => "this service requires another service to be paid first, and it was not",
        "B16" => "'new patient' qualifications were not met",
        "B20" => "the procedure or service was partially or fully furnished by another provider",
        "B22" => "this payment is adjusted based on the diagnosis",
        "P2" => "not a work-related injury or illness and thus not the liability of the workers' compensation carrier",
        _ => return None,
    })
}

/// The common remittance advice remark codes (RARC, the M, MA and N codes of MOA, MIA and LQ*HE)
/// in plain words (medoffice's own wording); `None` for the others.
pub fn remark_meaning(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "M1" => "an X-ray was not taken within the past 12 months or near enough to the start of treatment",
        "M15" => "separately billed services or tests were bundled: they are considered components of the same procedure",
        "M20" => "the HCPCS code is missing or invalid",
        "M25" => "the information furnished does not substantiate the need for this level of service",
        "M27" => "the patient was told of his or her right to an appeal and how to appeal",
        "M51" => "the procedure code is missing, incomplete or invalid",
        "M54" => "the total charges are missing, incomplete or invalid",
        "M62" => "the treatment authorization code is missing, incomplete or invalid",
        "M76" => "the diagnosis code is missing, incomplete or invalid",
        "M77" => "the place of service is missing, incomplete or invalid",
        "M79" => "the charge is missing, incomplete or invalid",
        "M80" => "not covered when performed during the same session or date as another service",
        "M81" => "code to the highest level of specificity",
        "M86" => "the service is denied because payment already made for the same or similar procedure within the set time frame",
        "M119" => "the National Drug Code (NDC) is missing, incomplete, invalid or not in effect",
        "M127" => "the patient's medical record for this service is missing or incomplete",
        "MA01" => "if you do not agree with what we approved, you may appeal within the time limit",
        "MA04" => "secondary payment cannot be considered without the identity of, or payment information from, the primary payer",
        "MA07" => "the claim was forwarded to the patient's supplemental insurer",
        "MA18" => "the claim information was also forwarded to the patient's supplemental insurer",
        "MA28" => "receipt of this notice by a physician or supplier who did not accept assignment is for information only",
        "MA63" => "the principal diagnosis is missing, incomplete or invalid",
        "MA66" => "the principal procedure code is missing, incomplete or invalid",
        "MA92" => "the primary payer's information is missing",
        "MA120" => "the CLIA certification number is missing, incomplete or invalid",
        "MA130" => {
            "the claim has a completed adjudication but is unprocessable: submit a new claim with the complete or correct information"
        }
        "N4" => "the prior insurance carrier's EOB is missing, incomplete or invalid",
        "N19" => "the procedure code is incidental to the primary procedure",
        "N20" => "the service is not payable together with another service on the same day",
        "N30" => "the patient is ineligible for this service",
        "N56" => "the procedure code billed is not correct or valid for the services billed or the date of service",
        "N95" => "this provider type or specialty may not bill this service",
        "N102" => {
            "this claim was denied without reviewing the medical record because requested records were not received or not received on time"
        }
        "N115" => "this decision was based on a local coverage determination (LCD)",
        "N130" => "consult the plan's benefit documents or guidelines for information about restrictions for this service",
        "N179" => "additional information has been requested from the member",
        "N180" => "this item or service does not meet the criteria for the category under which it was billed",
        "N181" => "additional information is required from another provider involved in this service",
        "N211" => "you may not appeal this decision",
        "N265" => "the ordering provider's primary identifier is missing, incomplete or invalid",
        "N276" => "the services are not covered because the patient has exhausted the benefit for them",
        "N286" => "the referring provider's primary identifier is missing, incomplete or invalid",
        "N290" => "the rendering provider's primary identifier is missing, incomplete or invalid",
        "N362" => "the number of days or units of service exceeds the acceptable maximum",
        "N381" => "consult the provider's contract or agreement for restrictions, billing and payment information",
        "N386" => "this decision was based on a national coverage determination (NCD)",
        "N425" => "the statutorily excluded service is not covered",
        "N432" => "the adjustment is based on a recovery audit",
        "N479" => "the explanation of benefits (coordination of benefits or Medicare secondary payer) is missing",
        "N519" => "the patient's diagnosis or procedure is invalid for this service date",
        "N522" => "a duplicate of a claim processed, or to be processed, as a crossover claim",
        "N657" => "this should be billed with the appropriate code for these services",
        "N704" => "the patient is enrolled in a Medicare managed care plan: send the claim to that plan",
        "N782" => "the patient is a member of an employer-sponsored prescription drug plan",
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
        assert!(reason_meaning("B13").is_some_and(|m| m.contains("previously paid")));
    }

    #[test]
    fn common_remarks_have_plain_words() {
        for code in ["N130", "M15", "N290", "MA130", "N362", "MA01", "N381"] {
            assert!(remark_meaning(code).is_some(), "{code}");
        }
        assert_eq!(remark_meaning("N9999"), None);
    }
}
