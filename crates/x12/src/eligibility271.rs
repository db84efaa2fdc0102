//! The 271 eligibility response (005010X279A1): for each subscriber or dependant asked about,
//! whether coverage is active, and the benefits the front desk needs (co-pay, deductible remaining,
//! co-insurance), or why the payer could not answer (AAA).

use chrono::NaiveDate;

use crate::envelope::sets_of;
use crate::error::{ErrorKind, ParseError};
use crate::fields::{bad_number, code, optional_amount, optional_date, text, unexpected};
use crate::syntax::{Delimiters, Segment, parse};

/// The answer about one person (2000C subscriber or 2000D dependant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityResponse {
    /// ST02 of the 271.
    pub control_number: String,
    /// 2100A NM1*PR.
    pub payer_name: Option<String>,
    /// 2100A NM109.
    pub payer_id: Option<String>,
    /// Whether this is the subscriber or a dependant.
    pub subject: Subject,
    /// TRN02 of the person's loop: the trace number of our 270, to match the answer to the question.
    pub trace_numbers: Vec<String>,
    /// NM1 as `LAST, FIRST`.
    pub name: Option<String>,
    /// NM109, the member id.
    pub member_id: Option<String>,
    /// DMG02.
    pub birth_date: Option<NaiveDate>,
    /// AAA segments: why the payer could not answer.
    pub rejections: Vec<Rejection>,
    /// EB loops in file order.
    pub benefits: Vec<Benefit>,
}

/// Whom an answer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// HL03 = 22.
    Subscriber,
    /// HL03 = 23.
    Dependent,
}

/// Whether the person is covered, from the EB01 codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// EB01 1-5.
    Active,
    /// EB01 6-8.
    Inactive,
    /// No coverage benefit in the answer (for instance, a rejection).
    Unknown,
}

/// One benefit (EB) with its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benefit {
    /// EB01: 1 active coverage, 6 inactive, A co-insurance, B co-payment, C deductible, G out of pocket...
    pub info: String,
    /// EB02: IND individual, FAM family...
    pub coverage_level: Option<String>,
    /// EB03, repeated: 30 health benefit plan coverage, 98 professional (physician) visit - office...
    pub service_types: Vec<String>,
    /// EB04: the insurance type (MB Medicare Part B, C1 commercial, HM HMO...).
    pub insurance_type: Option<String>,
    /// EB05, the plan's description.
    pub plan: Option<String>,
    /// EB06: 23 calendar year, 29 remaining, 27 visit...
    pub time_period: Option<String>,
    /// EB07.
    pub amount_cents: Option<i64>,
    /// EB08 as basis points (0.2 is 2000, 20%).
    pub percent_basis_points: Option<u32>,
    /// EB09.
    pub quantity_qualifier: Option<String>,
    /// EB10.
    pub quantity: Option<String>,
    /// EB11: whether authorisation is required.
    pub authorization_required: Option<bool>,
    /// EB12: in network (Y), out of network (N), or either (W, None).
    pub in_network: Option<bool>,
    /// MSG01 lines.
    pub messages: Vec<String>,
}

impl Benefit {
    /// EB01 in plain words.
    pub fn meaning(&self) -> &'static str {
        benefit_meaning(&self.info)
    }

    fn is_for(&self, service_type: &str) -> bool {
        self.service_types.is_empty() || self.service_types.iter().any(|s| s == service_type || s == "30")
    }
}

/// A rejection (AAA): the request was invalid or the payer could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// AAA03.
    pub reason: String,
    /// AAA04: C please correct and resubmit, N resubmission not allowed, R resubmission allowed,
    /// P please resubmit original transaction, W please wait 30 days, X please wait 10 days, Y do not
    /// resubmit: we will hand-deliver.
    pub follow_up: Option<String>,
}

impl Rejection {
    /// AAA03 in plain words.
    pub fn meaning(&self) -> Option<&'static str> {
        rejection_meaning(&self.reason)
    }
}

impl EligibilityResponse {
    /// Active when any EB01 says so (1-5), inactive when only 6-8 do.
    pub fn coverage(&self) -> Coverage {
        let active = self.benefits.iter().any(|b| matches!(b.info.as_str(), "1" | "2" | "3" | "4" | "5"));
        let inactive = self.benefits.iter().any(|b| matches!(b.info.as_str(), "6" | "7" | "8"));
        match (active, inactive) {
            (true, _) => Coverage::Active,
            (false, true) => Coverage::Inactive,
            _ => Coverage::Unknown,
        }
    }

    /// The co-pay for a service type (`98` is an office visit), in network when the payer
    /// distinguishes, from the first matching EB*B with an amount.
    pub fn copay_cents(&self, service_type: &str) -> Option<i64> {
        self.find("B", service_type, |b| b.amount_cents)
    }

    /// The deductible still to meet: EB*C with time period 29 (remaining).
    pub fn deductible_remaining_cents(&self, service_type: &str) -> Option<i64> {
        self.benefits
            .iter()
            .filter(|b| b.info == "C" && b.time_period.as_deref() == Some("29") && b.is_for(service_type))
            .filter(|b| b.in_network != Some(false))
            .find_map(|b| b.amount_cents)
    }

    /// The co-insurance the patient pays, in basis points (EB*A).
    pub fn coinsurance_basis_points(&self, service_type: &str) -> Option<u32> {
        self.find("A", service_type, |b| b.percent_basis_points)
    }

    fn find<T>(&self, info: &str, service_type: &str, value: impl Fn(&Benefit) -> Option<T>) -> Option<T> {
        let candidates = || self.benefits.iter().filter(|b| b.info == info && b.is_for(service_type));
        candidates()
            .filter(|b| b.in_network == Some(true))
            .find_map(&value)
            .or_else(|| candidates().filter(|b| b.in_network.is_none()).find_map(&value))
    }
}

/// EB01, the eligibility or benefit information code, in plain words.
pub fn benefit_meaning(code: &str) -> &'static str {
    match code {
        "1" => "active coverage",
        "2" => "active coverage: full risk capitation",
        "3" => "active coverage: services capitated",
        "4" => "active coverage: services capitated to the primary care physician",
        "5" => "active coverage: pending investigation",
        "6" => "inactive",
        "7" => "inactive: pending eligibility update",
        "8" => "inactive: pending investigation",
        "A" => "co-insurance",
        "B" => "co-payment",
        "C" => "deductible",
        "CB" => "coverage basis",
        "D" => "benefit description",
        "E" => "exclusions",
        "F" => "limitations",
        "G" => "out-of-pocket maximum (stop loss)",
        "H" => "unlimited",
        "I" => "non-covered",
        "J" => "cost containment",
        "L" => "primary care provider",
        "MC" => "managed care coordinator",
        "N" => "services restricted to the following provider",
        "P" => "benefit disclaimer",
        "R" => "other or additional payer",
        "U" => "contact the following entity for eligibility or benefit information",
        "V" => "cannot process",
        "X" => "health care facility",
        "Y" => "spend down",
        _ => "other benefit information",
    }
}

/// AAA03, why an eligibility request was refused, in plain words.
pub fn rejection_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "15" => "required application data missing",
        "41" => "authorisation or access restrictions",
        "42" => "the payer cannot answer at the moment",
        "43" => "the provider identification is invalid or missing",
        "44" => "the provider name is invalid or missing",
        "51" => "the provider is not on file",
        "52" => "the service dates are not within the provider's plan enrolment",
        "56" => "inappropriate date",
        "57" => "the date(s) of service are invalid or missing",
        "58" => "the date of birth is invalid or missing",
        "60" => "the date of birth follows the date(s) of service",
        "62" => "the date of service is not within the allowed inquiry period",
        "63" => "the date of service is in the future",
        "64" => "the patient id is invalid or missing",
        "65" => "the patient name is invalid or missing",
        "67" => "patient not found",
        "71" => "the birth date does not match the payer's records",
        "72" => "the subscriber's member id is invalid or missing",
        "73" => "the subscriber's name is invalid or missing",
        "75" => "subscriber not found",
        "76" => "duplicate subscriber id",
        "78" => "the subscriber is not in the group or plan identified",
        _ => return None,
    })
}

/// Parses a decimal fraction (EB08: `.2`, `0.25`, `1`) into basis points.
fn basis_points(seg: &Segment, n: usize, pos: usize) -> Result<Option<u32>, ParseError> {
    let Some(v) = seg.value(n) else { return Ok(None) };
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits_ok = !(whole.is_empty() && frac.is_empty()) && whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
    if !digits_ok || frac.len() > 4 || whole.len() > 1 {
        return Err(bad_number(seg, n, pos));
    }
    let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad_number(seg, n, pos))? };
    let frac_bp: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<4}").parse().map_err(|_| bad_number(seg, n, pos))? };
    let bp = whole * 10_000 + frac_bp;
    if bp > 10_000 {
        return Err(bad_number(seg, n, pos));
    }
    Ok(Some(bp))
}

fn yes_no(seg: &Segment, n: usize) -> Option<bool> {
    match code(seg, n).as_str() {
        "Y" => Some(true),
        "N" => Some(false),
        _ => None,
    }
}

fn read_eb(seg: &Segment, pos: usize, d: &Delimiters) -> Result<Benefit, ParseError> {
    let info = code(seg, 1);
    if info.is_empty() {
        return Err(ParseError::at(pos, Some("EB"), ErrorKind::EmptyElement { element: "EB01".into() }));
    }
    Ok(Benefit {
        info,
        coverage_level: text(seg, 2),
        service_types: d.repetitions(seg.element(3)).iter().map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()).collect(),
        insurance_type: text(seg, 4),
        plan: text(seg, 5),
        time_period: text(seg, 6),
        amount_cents: optional_amount(seg, 7, pos)?,
        percent_basis_points: basis_points(seg, 8, pos)?,
        quantity_qualifier: text(seg, 9),
        quantity: text(seg, 10),
        authorization_required: yes_no(seg, 11),
        in_network: yes_no(seg, 12),
        messages: Vec::new(),
    })
}

/// Reads every 271 transaction set of a file: one answer per subscriber or dependant.
pub fn read_271(input: &[u8]) -> Result<Vec<EligibilityResponse>, ParseError> {
    let doc = parse(input)?;
    let d = doc.delimiters;
    let mut out = Vec::new();
    for set in sets_of(&doc, "271")? {
        let mut payer_name = None;
        let mut payer_id = None;
        let mut current: Option<EligibilityResponse> = None;
        let mut in_source = false;
        // Inside LS/LE the NM1 names a related entity (another payer, a primary care provider),
        // not the person.
        let mut in_related = false;
        for (i, seg) in set.body.iter().enumerate() {
            let pos = set.position(i);
            match seg.id.as_str() {
                "HL" => {
                    out.extend(current.take());
                    in_related = false;
                    let level = code(seg, 3);
                    in_source = level == "20";
                    let subject = match level.as_str() {
                        "22" => Some(Subject::Subscriber),
                        "23" => Some(Subject::Dependent),
                        "20" | "21" => None,
                        _ => return Err(crate::fields::bad_code(seg, 3, pos)),
                    };
                    current = subject.map(|subject| EligibilityResponse {
                        control_number: set.control_number().to_string(),
                        payer_name: payer_name.clone(),
                        payer_id: payer_id.clone(),
                        subject,
                        trace_numbers: Vec::new(),
                        name: None,
                        member_id: None,
                        birth_date: None,
                        rejections: Vec::new(),
                        benefits: Vec::new(),
                    });
                }
                "NM1" if in_source && payer_name.is_none() => {
                    payer_name = text(seg, 3);
                    payer_id = text(seg, 9);
                }
                "NM1" => {
                    if let Some(c) = current.as_mut()
                        && !in_related
                        && c.benefits.is_empty()
                    {
                        c.name = match (seg.value(3), seg.value(4)) {
                            (Some(l), Some(f)) => Some(format!("{l}, {f}")),
                            (Some(l), None) => Some(l.to_string()),
                            _ => None,
                        };
                        c.member_id = text(seg, 9).or(c.member_id.take());
                    }
                }
                "TRN" => {
                    if let Some(c) = current.as_mut() {
                        c.trace_numbers.extend(text(seg, 2));
                    }
                }
                "DMG" => {
                    if let Some(c) = current.as_mut()
                        && c.benefits.is_empty()
                    {
                        c.birth_date = optional_date(seg, 2, pos)?;
                    }
                }
                "AAA" => {
                    if let Some(c) = current.as_mut() {
                        c.rejections.push(Rejection { reason: code(seg, 3), follow_up: text(seg, 4) });
                    }
                }
                "EB" => {
                    let Some(c) = current.as_mut() else {
                        return Err(unexpected(seg, pos, "EB inside a subscriber or dependant loop (HL 22 or 23)"));
                    };
                    c.benefits.push(read_eb(seg, pos, &d)?);
                    in_related = false;
                }
                "MSG" => {
                    if let Some(b) = current.as_mut().and_then(|c| c.benefits.last_mut()) {
                        b.messages.extend(text(seg, 1));
                    }
                }
                "LS" => in_related = true,
                "LE" => in_related = false,
                _ => {}
            }
        }
        out.extend(current.take());
    }
    Ok(out)
}
