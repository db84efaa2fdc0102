//! Reading typed elements out of segments, with errors that name the element and its segment.

use chrono::NaiveDate;

use crate::envelope::{parse_amount, parse_date};
use crate::error::{ErrorKind, ParseError};
use crate::syntax::Segment;

fn name(seg: &Segment, n: usize) -> String {
    format!("{}{n:02}", seg.id)
}

/// A required amount in cents.
pub(crate) fn amount(seg: &Segment, n: usize, pos: usize) -> Result<i64, ParseError> {
    let v = seg.element(n);
    if v.trim().is_empty() {
        return Err(ParseError::at(pos, Some(&seg.id), ErrorKind::EmptyElement { element: name(seg, n) }));
    }
    parse_amount(v).ok_or_else(|| ParseError::at(pos, Some(&seg.id), ErrorKind::BadAmount { element: name(seg, n), value: short(v) }))
}

/// An optional amount in cents: `None` when blank, an error when present and malformed.
pub(crate) fn optional_amount(seg: &Segment, n: usize, pos: usize) -> Result<Option<i64>, ParseError> {
    if seg.value(n).is_none() { Ok(None) } else { amount(seg, n, pos).map(Some) }
}

/// An optional `CCYYMMDD` date.
pub(crate) fn optional_date(seg: &Segment, n: usize, pos: usize) -> Result<Option<NaiveDate>, ParseError> {
    match seg.value(n) {
        None => Ok(None),
        Some(v) => parse_date(v)
            .map(Some)
            .ok_or_else(|| ParseError::at(pos, Some(&seg.id), ErrorKind::BadDate { element: name(seg, n), value: short(v) })),
    }
}

/// A required element's text.
pub(crate) fn required(seg: &Segment, n: usize, pos: usize) -> Result<&str, ParseError> {
    seg.value(n).ok_or_else(|| ParseError::at(pos, Some(&seg.id), ErrorKind::EmptyElement { element: name(seg, n) }))
}

/// An optional element as an owned string.
pub(crate) fn text(seg: &Segment, n: usize) -> Option<String> {
    seg.value(n).map(str::to_string)
}

/// An element as a code: trimmed and upper case.
pub(crate) fn code(seg: &Segment, n: usize) -> String {
    seg.element(n).trim().to_ascii_uppercase()
}

/// An error for a number element that does not parse.
pub(crate) fn bad_number(seg: &Segment, n: usize, pos: usize) -> ParseError {
    ParseError::at(pos, Some(&seg.id), ErrorKind::BadNumber { element: name(seg, n), value: short(seg.element(n)) })
}

fn short(v: &str) -> String {
    v.chars().take(30).collect()
}

/// An error for a code element not on its list.
pub(crate) fn bad_code(seg: &Segment, n: usize, pos: usize) -> ParseError {
    ParseError::at(pos, Some(&seg.id), ErrorKind::BadCode { element: name(seg, n), value: short(seg.element(n)) })
}

/// An error for a segment out of place.
pub(crate) fn unexpected(seg: &Segment, pos: usize, expected: &'static str) -> ParseError {
    ParseError::at(pos, Some(&seg.id), ErrorKind::Unexpected { expected })
}
