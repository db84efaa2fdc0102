//! Envelopes: reading ISA/GS/ST ... SE/GE/IEA with their counts and control numbers checked, and
//! writing them with the counts computed. Also the element formats every transaction shares
//! (amounts, dates).

use chrono::{NaiveDate, NaiveDateTime};

use crate::error::{ErrorKind, ParseError};
use crate::syntax::{Document, Segment, SegmentWriter};

/// One transaction set (ST to SE) of a file, with the envelope around it.
#[derive(Debug, Clone, Copy)]
pub struct TransactionSet<'a> {
    /// The interchange header (ISA).
    pub interchange: &'a Segment,
    /// The functional group header (GS).
    pub group: &'a Segment,
    /// The transaction set header (ST).
    pub header: &'a Segment,
    /// The segments between ST and SE.
    pub body: &'a [Segment],
    /// The 1-based file position of `body[0]`.
    pub first_position: usize,
}

impl TransactionSet<'_> {
    /// The 1-based file position of `body[i]`.
    pub fn position(&self, i: usize) -> usize {
        self.first_position + i
    }

    /// ST01, the transaction set identifier (`837`, `835`, `999`...).
    pub fn set_id(&self) -> &str {
        self.header.element(1).trim()
    }

    /// ST02, the transaction set control number.
    pub fn control_number(&self) -> &str {
        self.header.element(2).trim()
    }

    /// The implementation guide: ST03, or GS08 when ST03 is absent.
    pub fn version(&self) -> &str {
        self.header.value(3).unwrap_or_else(|| self.group.element(8).trim())
    }
}

fn same_control(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a == b || (!a.is_empty() && a.trim_start_matches('0') == b.trim_start_matches('0'))
}

fn check_count(seg: &Segment, pos: usize, n: usize, what: &'static str, actual: usize) -> Result<(), ParseError> {
    let declared = seg.element(n).trim();
    if declared.parse::<usize>().ok() != Some(actual) {
        return Err(ParseError::at(pos, Some(&seg.id), ErrorKind::CountMismatch { what, declared: declared.to_string(), actual }));
    }
    Ok(())
}

fn check_control(header: &Segment, hn: usize, trailer: &Segment, tn: usize, pos: usize) -> Result<(), ParseError> {
    if !same_control(header.element(hn), trailer.element(tn)) {
        let kind = ErrorKind::ControlNumberMismatch { header: header.element(hn).to_string(), trailer: trailer.element(tn).to_string() };
        return Err(ParseError::at(pos, Some(&trailer.id), kind));
    }
    Ok(())
}

/// Every transaction set of a file, after checking the envelopes' nesting, counts (SE01, GE01,
/// IEA01) and control numbers (SE02, GE02, IEA02). Several interchanges in one file are read.
pub fn transaction_sets(doc: &Document) -> Result<Vec<TransactionSet<'_>>, ParseError> {
    let segs = &doc.segments;
    let at = |i: usize, kind: ErrorKind| ParseError::at(i + 1, segs.get(i).map(|s| s.id.as_str()), kind);
    let mut sets = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        let isa = &segs[i];
        if !isa.is("ISA") {
            return Err(at(i, ErrorKind::Unexpected { expected: "ISA" }));
        }
        i += 1;
        let mut groups = 0;
        loop {
            let Some(seg) = segs.get(i) else {
                return Err(at(i, ErrorKind::Missing { what: "IEA (the interchange trailer)" }));
            };
            if seg.is("IEA") {
                check_count(seg, i + 1, 1, "IEA01 (number of groups)", groups)?;
                check_control(isa, 13, seg, 2, i + 1)?;
                i += 1;
                break;
            }
            if !seg.is("GS") {
                return Err(at(i, ErrorKind::Unexpected { expected: "GS or IEA" }));
            }
            let gs = seg;
            groups += 1;
            i += 1;
            let mut count = 0;
            loop {
                let Some(seg) = segs.get(i) else {
                    return Err(at(i, ErrorKind::Missing { what: "GE (the group trailer)" }));
                };
                if seg.is("GE") {
                    check_count(seg, i + 1, 1, "GE01 (number of transaction sets)", count)?;
                    check_control(gs, 6, seg, 2, i + 1)?;
                    i += 1;
                    break;
                }
                if !seg.is("ST") {
                    return Err(at(i, ErrorKind::Unexpected { expected: "ST or GE" }));
                }
                let st_index = i;
                let mut j = i + 1;
                while j < segs.len() && !segs[j].is("SE") {
                    if ["ST", "GE", "GS", "IEA", "ISA"].contains(&segs[j].id.as_str()) {
                        return Err(at(j, ErrorKind::Missing { what: "SE (the transaction set trailer)" }));
                    }
                    j += 1;
                }
                let Some(se) = segs.get(j) else {
                    return Err(at(j, ErrorKind::Missing { what: "SE (the transaction set trailer)" }));
                };
                check_count(se, j + 1, 1, "SE01 (number of segments)", j - st_index + 1)?;
                check_control(&segs[st_index], 2, se, 2, j + 1)?;
                sets.push(TransactionSet {
                    interchange: isa,
                    group: gs,
                    header: &segs[st_index],
                    body: &segs[st_index + 1..j],
                    first_position: st_index + 2,
                });
                count += 1;
                i = j + 1;
            }
        }
    }
    Ok(sets)
}

/// The transaction sets of `doc` whose ST01 is `set_id`; an error if there is none.
pub fn sets_of<'a>(doc: &'a Document, set_id: &'static str) -> Result<Vec<TransactionSet<'a>>, ParseError> {
    let all = transaction_sets(doc)?;
    if let Some(other) = all.iter().find(|s| s.set_id() != set_id) {
        let pos = other.first_position - 1;
        return Err(ParseError::at(pos, Some("ST"), ErrorKind::WrongTransaction { expected: set_id, found: other.set_id().to_string() }));
    }
    if all.is_empty() {
        return Err(ParseError::at(0, None, ErrorKind::Missing { what: "a transaction set (ST)" }));
    }
    Ok(all)
}

/// Whether a file is meant for testing or for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// ISA15 = T.
    Test,
    /// ISA15 = P.
    Production,
}

/// The control numbers of one file, from the database's counters: ISA13 (unique per sender),
/// GS06 and ST02. Each is 1..=999,999,999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlNumbers {
    /// ISA13 and IEA02.
    pub interchange: u32,
    /// GS06 and GE02.
    pub group: u32,
    /// ST02 and SE02.
    pub transaction: u32,
}

/// The largest control number that fits ISA13's nine digits.
pub const MAX_CONTROL_NUMBER: u32 = 999_999_999;

impl ControlNumbers {
    /// The names of the control numbers out of range.
    pub fn out_of_range(&self) -> Vec<&'static str> {
        let mut bad = Vec::new();
        for (name, n) in [("interchange", self.interchange), ("group", self.group), ("transaction", self.transaction)] {
            if n == 0 || n > MAX_CONTROL_NUMBER {
                bad.push(name);
            }
        }
        bad
    }
}

/// Who sends and who receives an interchange (ISA05-ISA08, GS02-GS03).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// ISA05, usually `ZZ` (mutually defined).
    pub sender_qualifier: String,
    /// ISA06, at most 15 characters (padded when written).
    pub sender_id: String,
    /// ISA07.
    pub receiver_qualifier: String,
    /// ISA08, at most 15 characters.
    pub receiver_id: String,
    /// GS02.
    pub application_sender: String,
    /// GS03.
    pub application_receiver: String,
    /// ISA09/ISA10 and GS04/GS05.
    pub created: NaiveDateTime,
    /// ISA14: whether a TA1 is asked for.
    pub acknowledgment_requested: bool,
}

/// Writes ISA, GS and ST for a file of one transaction set and starts the segment count.
pub(crate) fn open(
    w: &mut SegmentWriter,
    env: &Envelope,
    usage: Usage,
    control: &ControlNumbers,
    functional_id: &str,
    set_id: &str,
    guide: &str,
) {
    let d = w.delimiters();
    let rep = d.repetition.map(String::from).unwrap_or_else(|| "U".to_string());
    let isa13 = format!("{:09}", control.interchange);
    let comp = d.component.to_string();
    w.segment(
        "ISA",
        &[
            "00",
            "          ",
            "00",
            "          ",
            &format!("{:<2}", env.sender_qualifier),
            &format!("{:<15}", env.sender_id),
            &format!("{:<2}", env.receiver_qualifier),
            &format!("{:<15}", env.receiver_id),
            &env.created.format("%y%m%d").to_string(),
            &env.created.format("%H%M").to_string(),
            &rep,
            "00501",
            &isa13,
            if env.acknowledgment_requested { "1" } else { "0" },
            match usage {
                Usage::Test => "T",
                Usage::Production => "P",
            },
            &comp,
        ],
    );
    w.segment(
        "GS",
        &[
            functional_id,
            &env.application_sender,
            &env.application_receiver,
            &env.created.format("%Y%m%d").to_string(),
            &env.created.format("%H%M").to_string(),
            &control.group.to_string(),
            "X",
            guide,
        ],
    );
    w.start_count();
    w.segment("ST", &[set_id, &st_control(control), guide]);
}

fn st_control(control: &ControlNumbers) -> String {
    format!("{:04}", control.transaction)
}

/// Writes SE (with the count of segments from ST to SE), GE and IEA.
pub(crate) fn close(w: &mut SegmentWriter, control: &ControlNumbers) {
    let count = (w.count() + 1).to_string();
    w.segment("SE", &[&count, &st_control(control)]);
    w.segment("GE", &["1", &control.group.to_string()]);
    w.segment("IEA", &["1", &format!("{:09}", control.interchange)]);
}

/// Parses an X12 amount (`123.45`, `100`, `-5.5`, `.5`) into cents; `None` for anything else,
/// including more than two decimals and amounts beyond `i64` cents.
pub fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    if whole.len() > 15 {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let cents = whole.checked_mul(100)?.checked_add(frac)?;
    Some(if negative { -cents } else { cents })
}

/// Writes cents as an X12 amount: no thousands separators, no trailing zeros (`100`, `100.5`,
/// `99.99`, `-5`).
pub fn format_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// Parses a `CCYYMMDD` date; `None` for another shape or a date that does not exist.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

/// Writes a date as `CCYYMMDD`.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// A date or a range of dates as DTP/DTM carry them (`D8` or `RD8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrRange {
    /// One day (`D8`).
    Date(NaiveDate),
    /// From, to, inclusive (`RD8`).
    Range(NaiveDate, NaiveDate),
}

impl DateOrRange {
    /// The first day.
    pub fn start(&self) -> NaiveDate {
        match self {
            DateOrRange::Date(d) | DateOrRange::Range(d, _) => *d,
        }
    }

    /// The last day.
    pub fn end(&self) -> NaiveDate {
        match self {
            DateOrRange::Date(d) | DateOrRange::Range(_, d) => *d,
        }
    }

    /// Reads a DTP's format qualifier and value (`D8`/`20261120`, `RD8`/`20261101-20261105`).
    pub fn parse(qualifier: &str, value: &str) -> Option<DateOrRange> {
        match qualifier.trim() {
            "D8" => parse_date(value).map(DateOrRange::Date),
            "RD8" => {
                let (a, b) = value.split_once('-')?;
                Some(DateOrRange::Range(parse_date(a)?, parse_date(b)?))
            }
            _ => None,
        }
    }

    /// The qualifier and value to write.
    pub fn to_elements(&self) -> (&'static str, String) {
        match self {
            DateOrRange::Date(d) => ("D8", format_date(*d)),
            DateOrRange::Range(a, b) => ("RD8", format!("{}-{}", format_date(*a), format_date(*b))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::syntax::parse;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261128*0930*^*00501*000000007*0*T*:~";

    #[test]
    fn amounts_parse_to_cents_and_write_without_trailing_zeros() {
        assert_eq!(parse_amount("123.45"), Some(12345));
        assert_eq!(parse_amount("100"), Some(10000));
        assert_eq!(parse_amount("100.5"), Some(10050));
        assert_eq!(parse_amount(".5"), Some(50));
        assert_eq!(parse_amount("-5.25"), Some(-525));
        for bad in ["", "-", ".", "1.234", "1,000", "12a", "99999999999999999999"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(format_amount(10000), "100");
        assert_eq!(format_amount(10050), "100.5");
        assert_eq!(format_amount(9999), "99.99");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(format_amount(-500), "-5");
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(parse_date("20260230"), None);
        assert_eq!(parse_date("2026113"), None);
        assert!(parse_date("20261130").is_some());
        assert!(matches!(DateOrRange::parse("RD8", "20261101-20261105"), Some(DateOrRange::Range(..))));
    }

    #[test]
    fn envelopes_are_read_with_counts_checked() {
        let good = format!("{ISA}GS*HC*A*B*20261128*0930*5*X*005010X222A1~ST*837*0001~BHT*0019~SE*3*0001~GE*1*5~IEA*1*000000007~");
        let doc = parse(good.as_bytes()).unwrap();
        let sets = transaction_sets(&doc).unwrap();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].body.len(), 1);
        assert_eq!(sets[0].position(0), 4);
        assert_eq!(sets[0].version(), "005010X222A1");

        let bad_count = good.replace("SE*3", "SE*4");
        let err = transaction_sets(&parse(bad_count.as_bytes()).unwrap()).unwrap_err();
        assert_eq!(err.segment, 5);
        assert!(matches!(err.kind, ErrorKind::CountMismatch { actual: 3, .. }));

        let bad_control = good.replace("GE*1*5", "GE*1*6");
        let err = transaction_sets(&parse(bad_control.as_bytes()).unwrap()).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::ControlNumberMismatch { .. }));

        let no_se = good.replace("SE*3*0001~", "");
        let err = transaction_sets(&parse(no_se.as_bytes()).unwrap()).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Missing { .. }));
    }
}
