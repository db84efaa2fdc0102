//! The one error of reading X12: what is wrong, and at which segment.

use std::fmt;

/// A file that could not be read, with the 1-based position of the segment at fault (0 when the
/// problem is the file as a whole) and its identifier when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based position of the segment in the file (the ISA is 1).
    pub segment: usize,
    /// The segment's identifier, when the error concerns one.
    pub segment_id: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl ParseError {
    /// An error at segment `segment`.
    pub fn at(segment: usize, segment_id: Option<&str>, kind: ErrorKind) -> ParseError {
        ParseError { segment, segment_id: segment_id.map(str::to_string), kind }
    }
}

/// What is wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Larger than [`crate::syntax::MAX_INPUT_BYTES`].
    TooLarge { bytes: usize },
    /// Not UTF-8 text (X12 is ASCII).
    NotText { offset: usize },
    /// The file does not start with an ISA segment.
    NoIsa,
    /// The ISA is cut short: its 16 elements and terminator are not all there.
    ShortIsa,
    /// The ISA declares delimiters that are letters, digits, spaces or the same character twice.
    BadDelimiters,
    /// A segment identifier that is not 2 or 3 letters and digits.
    BadSegmentId { found: String },
    /// The last segment has no terminator.
    Unterminated,
    /// A segment the structure requires is missing.
    Missing { what: &'static str },
    /// A segment out of place.
    Unexpected { expected: &'static str },
    /// A trailer's count differs from what the file holds (SE01, GE01, IEA01).
    CountMismatch { what: &'static str, declared: String, actual: usize },
    /// A trailer's control number differs from its header's (SE02, GE02, IEA02).
    ControlNumberMismatch { header: String, trailer: String },
    /// The transaction set is not the one this reader reads.
    WrongTransaction { expected: &'static str, found: String },
    /// An amount that is not a decimal number with at most two decimals.
    BadAmount { element: String, value: String },
    /// A number (count, percent, quantity) that does not parse.
    BadNumber { element: String, value: String },
    /// A date that is not `CCYYMMDD`, or does not exist.
    BadDate { element: String, value: String },
    /// A required element is empty.
    EmptyElement { element: String },
    /// A code that is not on the element's list.
    BadCode { element: String, value: String },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::TooLarge { bytes } => write!(f, "the file is too large ({bytes} bytes)"),
            ErrorKind::NotText { offset } => write!(f, "the file is not text (byte {offset} is not UTF-8)"),
            ErrorKind::NoIsa => write!(f, "the file does not start with an ISA segment: it is not an X12 file"),
            ErrorKind::ShortIsa => write!(f, "the ISA segment is cut short"),
            ErrorKind::BadDelimiters => write!(f, "the ISA declares delimiters that are letters, digits, spaces, invisible or repeated"),
            ErrorKind::BadSegmentId { found } => write!(f, "\"{found}\" is not a segment identifier"),
            ErrorKind::Unterminated => write!(f, "the last segment has no terminator (the file may be cut short)"),
            ErrorKind::Missing { what } => write!(f, "{what} is missing"),
            ErrorKind::Unexpected { expected } => write!(f, "this segment is out of place: expected {expected}"),
            ErrorKind::CountMismatch { what, declared, actual } => {
                write!(f, "{what} says {declared} but the file holds {actual}")
            }
            ErrorKind::ControlNumberMismatch { header, trailer } => {
                write!(f, "the trailer's control number {trailer} differs from the header's {header}")
            }
            ErrorKind::WrongTransaction { expected, found } => write!(f, "this is a {found} transaction, not {expected}"),
            ErrorKind::BadAmount { element, value } => write!(f, "{element} \"{value}\" is not an amount"),
            ErrorKind::BadNumber { element, value } => write!(f, "{element} \"{value}\" is not a number"),
            ErrorKind::BadDate { element, value } => write!(f, "{element} \"{value}\" is not a date"),
            ErrorKind::EmptyElement { element } => write!(f, "{element} is empty"),
            ErrorKind::BadCode { element, value } => write!(f, "{element} \"{value}\" is not a known code"),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.segment_id, self.segment) {
            (_, 0) => write!(f, "{}", self.kind),
            (Some(id), n) => write!(f, "segment {n} ({id}): {}", self.kind),
            (None, n) => write!(f, "segment {n}: {}", self.kind),
        }
    }
}

impl std::error::Error for ParseError {}
