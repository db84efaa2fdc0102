//! The 999 implementation acknowledgement (005010X231A1): whether each transaction set of a file we
//! sent was accepted, and the segment and element errors (IK3/IK4) in plain words.

use crate::envelope::sets_of;
use crate::error::{ErrorKind, ParseError};
use crate::fields::{bad_code, bad_number, code, required, text, unexpected};
use crate::syntax::parse;

/// One 999 transaction set: the answer about one functional group we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement999 {
    /// ST02 of the 999.
    pub control_number: String,
    /// AK101, the functional identifier of the group acknowledged (HC for claims).
    pub functional_id: String,
    /// AK102, the GS06 of the group acknowledged.
    pub group_control_number: String,
    /// AK103, the implementation guide of the group acknowledged.
    pub version: Option<String>,
    /// One per transaction set acknowledged (AK2 ... IK5).
    pub sets: Vec<SetResponse>,
    /// AK901, the answer for the whole group.
    pub group_status: AckCode,
    /// AK902, AK903, AK904: sets included, received and accepted.
    pub sets_included: Option<u32>,
    /// AK903.
    pub sets_received: Option<u32>,
    /// AK904.
    pub sets_accepted: Option<u32>,
    /// AK905-AK909: why the group was not accepted.
    pub group_errors: Vec<String>,
}

/// The answer about one transaction set we sent (AK2 to IK5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetResponse {
    /// AK201 (837).
    pub set_id: String,
    /// AK202: the ST02 we sent.
    pub control_number: String,
    /// AK203.
    pub version: Option<String>,
    /// IK501.
    pub status: AckCode,
    /// IK502-IK506: syntax error codes of the set.
    pub syntax_errors: Vec<String>,
    /// IK3 loops.
    pub segment_errors: Vec<SegmentError>,
}

impl SetResponse {
    /// Whether the receiver took the set (accepted, even with errors noted).
    pub fn accepted(&self) -> bool {
        self.status.accepted()
    }

    /// The syntax error codes in plain words.
    pub fn syntax_error_meanings(&self) -> Vec<String> {
        self.syntax_errors.iter().map(|c| set_error_meaning(c).map_or_else(|| format!("error code {c}"), str::to_string)).collect()
    }
}

/// A segment in error (IK3) and its elements in error (IK4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentError {
    /// IK301, the segment's identifier.
    pub segment_id: String,
    /// IK302, the segment's position in the set (ST is 1).
    pub position: Option<u32>,
    /// IK303, the loop.
    pub loop_id: Option<String>,
    /// IK304.
    pub code: String,
    /// IK304 in plain words.
    pub meaning: Option<&'static str>,
    /// IK4 segments.
    pub element_errors: Vec<ElementError>,
}

/// An element in error (IK4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementError {
    /// IK401 as sent: position, component and repetition (`2`, `5:3`).
    pub position: String,
    /// IK402, the data element's reference number.
    pub reference: Option<String>,
    /// IK403.
    pub code: String,
    /// IK403 in plain words.
    pub meaning: Option<&'static str>,
    /// IK404, a copy of the bad value.
    pub bad_value: Option<String>,
}

/// The acknowledgement codes of IK501 and AK901.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// A.
    Accepted,
    /// E: accepted, errors noted.
    AcceptedWithErrors,
    /// P: some sets accepted (AK901 only).
    PartiallyAccepted,
    /// R.
    Rejected,
    /// M: rejected, message authentication code failed.
    RejectedAuthentication,
    /// W: rejected, assurance failed validity tests.
    RejectedAssurance,
    /// X: rejected, content could not be analysed after decryption.
    RejectedContent,
}

impl AckCode {
    /// Reads the code.
    pub fn from_code(code: &str) -> Option<AckCode> {
        Some(match code {
            "A" => AckCode::Accepted,
            "E" => AckCode::AcceptedWithErrors,
            "P" => AckCode::PartiallyAccepted,
            "R" => AckCode::Rejected,
            "M" => AckCode::RejectedAuthentication,
            "W" => AckCode::RejectedAssurance,
            "X" => AckCode::RejectedContent,
            _ => return None,
        })
    }

    /// Whether what was acknowledged goes on (A, E, and P for the accepted part).
    pub fn accepted(self) -> bool {
        matches!(self, AckCode::Accepted | AckCode::AcceptedWithErrors | AckCode::PartiallyAccepted)
    }

    /// The code in plain words.
    pub fn meaning(self) -> &'static str {
        match self {
            AckCode::Accepted => "accepted",
            AckCode::AcceptedWithErrors => "accepted, with errors noted",
            AckCode::PartiallyAccepted => "partly accepted: at least one transaction set was rejected",
            AckCode::Rejected => "rejected",
            AckCode::RejectedAuthentication => "rejected: the message authentication code failed",
            AckCode::RejectedAssurance => "rejected: the assurance failed validity tests",
            AckCode::RejectedContent => "rejected: the content could not be analysed after decryption",
        }
    }
}

/// IK304, a segment's syntax error, in plain words.
pub fn segment_error_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "unrecognised segment",
        "2" => "unexpected segment",
        "3" => "a required segment is missing",
        "4" => "a loop occurs more often than allowed",
        "5" => "a segment occurs more often than allowed",
        "6" => "the segment is not defined in this transaction set",
        "7" => "the segment is out of sequence",
        "8" => "the segment has data element errors",
        "I4" => "a segment the guide marks \"not used\" is present",
        "I6" => "a segment the guide requires in this situation is missing",
        "I7" => "a loop occurs fewer times than the guide requires",
        "I8" => "a segment occurs fewer times than the guide requires",
        "I9" => "a segment the guide marks \"not used\" in this situation is present",
        _ => return None,
    })
}

/// IK403, an element's syntax error, in plain words.
pub fn element_error_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "a required element is missing",
        "2" => "a conditionally required element is missing",
        "3" => "too many elements",
        "4" => "the value is too short",
        "5" => "the value is too long",
        "6" => "the value has an invalid character",
        "7" => "the code is not valid",
        "8" => "the date is not valid",
        "9" => "the time is not valid",
        "10" => "an element is present that another element excludes",
        "12" => "too many repetitions",
        "13" => "too many components",
        "I6" => "the code is not used by this implementation guide",
        "I9" => "an element the guide requires in this situation is missing",
        "I10" => "an element the guide marks \"not used\" is present",
        "I11" => "fewer repetitions than the guide requires",
        "I12" => "the value does not match the guide's pattern",
        "I13" => "an element the guide marks \"not used\" in this situation is present",
        _ => return None,
    })
}

/// IK502-IK506 (and AK905-AK909), a set's or group's syntax error, in plain words.
pub fn set_error_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "the transaction set is not supported",
        "2" => "the transaction set trailer is missing",
        "3" => "the control numbers in the header and trailer do not match",
        "4" => "the number of included segments does not match the count",
        "5" => "one or more segments are in error",
        "6" => "the transaction set identifier is missing or invalid",
        "7" => "the transaction set control number is missing or invalid",
        "23" => "the transaction set control number is not unique in the group",
        "I5" => "the implementation guide found one or more segments in error",
        "I6" => "the implementation convention is not supported",
        _ => return None,
    })
}

/// AK905-AK909, a functional group's syntax error, in plain words.
pub fn group_error_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "the functional group is not supported",
        "2" => "the functional group version is not supported",
        "3" => "the functional group trailer is missing",
        "4" => "the group control numbers in the header and trailer do not match",
        "5" => "the number of included transaction sets does not match the count",
        "6" => "the group control number is missing or invalid",
        "10" => "the authentication key name is unknown",
        "11" => "the encryption key name is unknown",
        "12" => "the requested service (authentication or encryption) is not available",
        "13" => "the security recipient is unknown",
        "14" => "the security originator is unknown",
        "15" => "a syntax error in the decrypted text",
        "16" => "the security is not supported",
        "17" => "an incorrect message length (encryption)",
        "18" => "the message authentication code failed",
        "19" => "the functional group control number is not unique in the interchange",
        "23" => "the S3E security end segment is missing for the S3S security start segment",
        "24" => "the S3S security start segment is missing for the S3E security end segment",
        "25" => "the S4E security end segment is missing for the S4S security start segment",
        "26" => "the S4S security start segment is missing for the S4E security end segment",
        _ => return None,
    })
}

impl Acknowledgement999 {
    /// The group's syntax error codes (AK905-AK909) in plain words.
    pub fn group_error_meanings(&self) -> Vec<String> {
        self.group_errors.iter().map(|c| group_error_meaning(c).map_or_else(|| format!("error code {c}"), str::to_string)).collect()
    }
}

/// Reads every 999 transaction set of a file.
pub fn read_999(input: &[u8]) -> Result<Vec<Acknowledgement999>, ParseError> {
    let doc = parse(input)?;
    let mut out = Vec::new();
    for set in sets_of(&doc, "999")? {
        let mut ack: Option<Acknowledgement999> = None;
        let mut open_set: Option<SetResponse> = None;
        let mut done = false;
        for (i, seg) in set.body.iter().enumerate() {
            let pos = set.position(i);
            match seg.id.as_str() {
                "AK1" => {
                    if ack.is_some() {
                        return Err(unexpected(seg, pos, "one AK1 per 999"));
                    }
                    ack = Some(Acknowledgement999 {
                        control_number: set.control_number().to_string(),
                        functional_id: required(seg, 1, pos)?.to_string(),
                        group_control_number: required(seg, 2, pos)?.to_string(),
                        version: text(seg, 3),
                        sets: Vec::new(),
                        group_status: AckCode::Rejected,
                        sets_included: None,
                        sets_received: None,
                        sets_accepted: None,
                        group_errors: Vec::new(),
                    });
                }
                "AK2" => {
                    if ack.is_none() || open_set.is_some() || done {
                        return Err(unexpected(seg, pos, "AK2 after AK1 or after the previous set's IK5"));
                    }
                    open_set = Some(SetResponse {
                        set_id: required(seg, 1, pos)?.to_string(),
                        control_number: required(seg, 2, pos)?.to_string(),
                        version: text(seg, 3),
                        status: AckCode::Rejected,
                        syntax_errors: Vec::new(),
                        segment_errors: Vec::new(),
                    });
                }
                "IK3" => {
                    let Some(s) = open_set.as_mut() else {
                        return Err(unexpected(seg, pos, "IK3 inside an AK2 loop"));
                    };
                    let position = match seg.value(2) {
                        None => None,
                        Some(v) => Some(v.parse::<u32>().map_err(|_| bad_number(seg, 2, pos))?),
                    };
                    let c = code(seg, 4);
                    s.segment_errors.push(SegmentError {
                        segment_id: required(seg, 1, pos)?.to_ascii_uppercase(),
                        position,
                        loop_id: text(seg, 3),
                        meaning: segment_error_meaning(&c),
                        code: c,
                        element_errors: Vec::new(),
                    });
                }
                "IK4" => {
                    let Some(last) = open_set.as_mut().and_then(|s| s.segment_errors.last_mut()) else {
                        return Err(unexpected(seg, pos, "IK4 after an IK3"));
                    };
                    let c = required(seg, 3, pos)?.to_ascii_uppercase();
                    last.element_errors.push(ElementError {
                        position: required(seg, 1, pos)?.to_string(),
                        reference: text(seg, 2),
                        meaning: element_error_meaning(&c),
                        code: c,
                        bad_value: text(seg, 4),
                    });
                }
                "IK5" => {
                    let Some(mut s) = open_set.take() else {
                        return Err(unexpected(seg, pos, "IK5 closing an AK2 loop"));
                    };
                    s.status = AckCode::from_code(&code(seg, 1)).ok_or_else(|| bad_code(seg, 1, pos))?;
                    s.syntax_errors = (2..=6).filter_map(|n| seg.value(n).map(str::to_string)).collect();
                    if let Some(a) = ack.as_mut() {
                        a.sets.push(s);
                    }
                }
                "AK9" => {
                    if open_set.is_some() {
                        return Err(ParseError::at(pos, Some("AK9"), ErrorKind::Missing { what: "IK5 (the set's answer)" }));
                    }
                    let Some(a) = ack.as_mut() else {
                        return Err(unexpected(seg, pos, "AK9 after AK1"));
                    };
                    a.group_status = AckCode::from_code(&code(seg, 1)).ok_or_else(|| bad_code(seg, 1, pos))?;
                    let count = |n: usize| -> Result<Option<u32>, ParseError> {
                        seg.value(n).map(|v| v.parse::<u32>().map_err(|_| bad_number(seg, n, pos))).transpose()
                    };
                    a.sets_included = count(2)?;
                    a.sets_received = count(3)?;
                    a.sets_accepted = count(4)?;
                    a.group_errors = (5..=9).filter_map(|n| seg.value(n).map(str::to_string)).collect();
                    done = true;
                }
                // CTX (context) and anything unknown: not needed to know what was accepted.
                _ => {}
            }
        }
        let end = set.position(set.body.len());
        let Some(ack) = ack else {
            return Err(ParseError::at(end, Some("SE"), ErrorKind::Missing { what: "AK1 (the group acknowledged)" }));
        };
        if open_set.is_some() {
            return Err(ParseError::at(end, Some("SE"), ErrorKind::Missing { what: "IK5 (the set's answer)" }));
        }
        if !done {
            return Err(ParseError::at(end, Some("SE"), ErrorKind::Missing { what: "AK9 (the group's answer)" }));
        }
        out.push(ack);
    }
    Ok(out)
}
