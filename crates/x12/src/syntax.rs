//! X12 syntax: the delimiters an ISA declares, segments and elements, the tokenizer and the writer.
//!
//! The tokenizer knows nothing of any transaction: it turns bytes into segments, remembering the
//! delimiters and the line break after each terminator so that [`write`] gives back the same bytes.

use std::fmt;

use crate::error::{ErrorKind, ParseError};

/// The largest input a reader accepts (64 MiB): a remittance file of a large practice is a few
/// megabytes, and a limit keeps a mistaken upload from exhausting memory.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Length of the fixed-width ISA segment, its terminator included.
pub const ISA_LENGTH: usize = 106;

/// The four delimiters of an interchange, declared by its ISA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Between elements: ISA's 4th character.
    pub element: char,
    /// Between the components of a composite element: ISA16.
    pub component: char,
    /// Between repetitions of an element: ISA11 (5010); `None` in files whose ISA11 is a code (`U`).
    pub repetition: Option<char>,
    /// After each segment: the character after ISA16.
    pub segment: char,
}

impl Delimiters {
    /// The delimiters medoffice writes: `*`, `:`, `^` and `~`.
    pub const STANDARD: Delimiters = Delimiters { element: '*', component: ':', repetition: Some('^'), segment: '~' };

    /// Whether `c` is one of the four delimiters (such a character cannot appear in data).
    pub fn is_delimiter(&self, c: char) -> bool {
        c == self.element || c == self.component || c == self.segment || self.repetition == Some(c)
    }

    /// The components of a composite element (`HC:99213:25` gives `HC`, `99213`, `25`).
    pub fn components<'a>(&self, element: &'a str) -> Vec<&'a str> {
        element.split(self.component).collect()
    }

    /// The repetitions of a repeating element; the whole element when the ISA declares no separator.
    pub fn repetitions<'a>(&self, element: &'a str) -> Vec<&'a str> {
        match self.repetition {
            Some(r) => element.split(r).filter(|s| !s.is_empty()).collect(),
            None => vec![element],
        }
    }
}

/// What follows each segment terminator in a file: nothing, or a line break for people to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// Segments follow one another on one line (what medoffice writes).
    #[default]
    None,
    /// `\n` after each terminator.
    Lf,
    /// `\r\n` after each terminator.
    CrLf,
}

impl LineEnding {
    fn as_str(self) -> &'static str {
        match self {
            LineEnding::None => "",
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

/// One segment: its identifier (upper case) and its elements, element 01 first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// `ISA`, `CLM`, `SV1`...
    pub id: String,
    /// The elements as written, composites and repetitions unsplit.
    pub elements: Vec<String>,
}

impl Segment {
    /// A segment from its identifier and elements.
    pub fn new(id: &str, elements: &[&str]) -> Segment {
        Segment { id: id.to_string(), elements: elements.iter().map(|e| (*e).to_string()).collect() }
    }

    /// Element `n` counting from 1 as the guides do (`CLM02` is `element(2)`); empty when absent.
    pub fn element(&self, n: usize) -> &str {
        n.checked_sub(1).and_then(|i| self.elements.get(i)).map(String::as_str).unwrap_or("")
    }

    /// Element `n` trimmed, or `None` when it is absent or blank.
    pub fn value(&self, n: usize) -> Option<&str> {
        let v = self.element(n).trim();
        (!v.is_empty()).then_some(v)
    }

    /// Whether the segment's identifier is `id` (identifiers are compared in upper case).
    pub fn is(&self, id: &str) -> bool {
        self.id == id
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        for e in &self.elements {
            write!(f, "*{e}")?;
        }
        Ok(())
    }
}

/// A tokenized file: the delimiters, the segments in order and the line ending seen after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// What the ISA declared.
    pub delimiters: Delimiters,
    /// Every segment, the ISA first.
    pub segments: Vec<Segment>,
    /// The line break found after the ISA's terminator, repeated by [`write`].
    pub line_ending: LineEnding,
}

/// Tokenizes an X12 file. Accepts any delimiters the ISA declares, line breaks after terminators,
/// a leading byte-order mark or blank lines, and lower-case segment identifiers.
pub fn parse(input: &[u8]) -> Result<Document, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError::at(0, None, ErrorKind::TooLarge { bytes: input.len() }));
    }
    let text = std::str::from_utf8(input).map_err(|e| ParseError::at(0, None, ErrorKind::NotText { offset: e.valid_up_to() }))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let (delimiters, isa_len) = read_isa_delimiters(text)?;
    let after_isa = &text[isa_len..];
    let line_ending = if after_isa.starts_with("\r\n") {
        LineEnding::CrLf
    } else if after_isa.starts_with('\n') && delimiters.segment != '\n' {
        LineEnding::Lf
    } else {
        LineEnding::None
    };

    let mut segments = Vec::new();
    let mut pieces = text.split(delimiters.segment).peekable();
    while let Some(piece) = pieces.next() {
        let is_last = pieces.peek().is_none();
        let piece = piece.trim_start_matches(['\r', '\n']);
        if is_last {
            // What follows the last terminator may only be blank.
            if !piece.trim().is_empty() {
                return Err(ParseError::at(segments.len() + 1, None, ErrorKind::Unterminated));
            }
            break;
        }
        if piece.trim().is_empty() {
            continue;
        }
        let position = segments.len() + 1;
        let mut parts = piece.split(delimiters.element);
        let id = parts.next().unwrap_or("").trim();
        if id.len() < 2 || id.len() > 3 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ParseError::at(position, None, ErrorKind::BadSegmentId { found: truncate(id, 10) }));
        }
        segments.push(Segment { id: id.to_ascii_uppercase(), elements: parts.map(str::to_string).collect() });
    }
    if segments.first().is_none_or(|s| !s.is("ISA")) {
        return Err(ParseError::at(1, None, ErrorKind::NoIsa));
    }
    Ok(Document { delimiters, segments, line_ending })
}

/// Reads the delimiters from the ISA at the start of `text`; returns them and the ISA's length.
fn read_isa_delimiters(text: &str) -> Result<(Delimiters, usize), ParseError> {
    let bytes = text.as_bytes();
    if bytes.len() < 4 || !bytes[..3].eq_ignore_ascii_case(b"ISA") {
        return Err(ParseError::at(1, None, ErrorKind::NoIsa));
    }
    let element = bytes[3];
    // ISA is fixed width, but some senders do not pad: find the 16th element separator instead of
    // trusting offsets. ISA16 is the one character after it, the terminator the next.
    let mut seen = 0;
    let mut isa16_at = None;
    for (i, &b) in bytes.iter().enumerate().skip(3).take(200) {
        if b == element {
            seen += 1;
            if seen == 16 {
                isa16_at = Some(i + 1);
                break;
            }
        }
    }
    let Some(at) = isa16_at else {
        return Err(ParseError::at(1, Some("ISA"), ErrorKind::ShortIsa));
    };
    if bytes.len() < at + 2 || !bytes[..at + 2].is_ascii() {
        return Err(ParseError::at(1, Some("ISA"), ErrorKind::ShortIsa));
    }
    let component = bytes[at];
    let segment = bytes[at + 1];
    let fields: Vec<&str> = text[..at + 1].split(element as char).collect();
    let isa11 = fields.get(11).copied().unwrap_or("");
    let repetition = match isa11.as_bytes() {
        [c] if c.is_ascii_graphic() && !c.is_ascii_alphanumeric() => Some(*c as char),
        _ => None,
    };
    let delimiters = Delimiters { element: element as char, component: component as char, repetition, segment: segment as char };
    let mut all = vec![delimiters.element, delimiters.component, delimiters.segment];
    all.extend(delimiters.repetition);
    let distinct = all.iter().enumerate().all(|(i, a)| all[i + 1..].iter().all(|b| a != b));
    // Only the terminator may be a control character (a line break): separators inside a segment
    // must be visible, or trimming line breaks and spaces would change the data.
    let mut separators = vec![delimiters.element, delimiters.component];
    separators.extend(delimiters.repetition);
    let visible = separators.iter().all(char::is_ascii_graphic);
    if !distinct || !visible || all.iter().any(|c| c.is_ascii_alphanumeric() || *c == ' ') {
        return Err(ParseError::at(1, Some("ISA"), ErrorKind::BadDelimiters));
    }
    Ok((delimiters, at + 2))
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Writes a document back: each segment's elements joined by its delimiters, the terminator and the
/// document's line ending after each. A parsed file of medoffice's writes back byte for byte.
pub fn write(doc: &Document) -> String {
    let mut out = String::new();
    let d = &doc.delimiters;
    for s in &doc.segments {
        out.push_str(&s.id);
        for e in &s.elements {
            out.push(d.element);
            out.push_str(e);
        }
        out.push(d.segment);
        out.push_str(doc.line_ending.as_str());
    }
    out
}

/// Builds a file segment by segment with chosen delimiters, dropping trailing empty elements (an
/// X12 rule: `NM1*85*2*NAME~`, never `NM1*85*2*NAME***~`) and counting segments for SE01.
#[derive(Debug)]
pub struct SegmentWriter {
    delimiters: Delimiters,
    out: String,
    segments: Vec<Segment>,
    since_st: usize,
}

impl SegmentWriter {
    /// A writer with the given delimiters.
    pub fn new(delimiters: Delimiters) -> SegmentWriter {
        SegmentWriter { delimiters, out: String::new(), segments: Vec::new(), since_st: 0 }
    }

    /// The delimiters in use.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Appends a segment; trailing empty elements are dropped.
    pub fn segment(&mut self, id: &str, elements: &[&str]) {
        let keep = elements.iter().rposition(|e| !e.is_empty()).map_or(0, |i| i + 1);
        let seg = Segment::new(id, &elements[..keep]);
        self.out.push_str(&seg.id);
        for e in &seg.elements {
            self.out.push(self.delimiters.element);
            self.out.push_str(e);
        }
        self.out.push(self.delimiters.segment);
        self.segments.push(seg);
        self.since_st += 1;
    }

    /// A composite element from its components, trailing empty components dropped.
    pub fn composite(&self, parts: &[&str]) -> String {
        let keep = parts.iter().rposition(|e| !e.is_empty()).map_or(0, |i| i + 1);
        let mut s = String::new();
        for (i, p) in parts[..keep].iter().enumerate() {
            if i > 0 {
                s.push(self.delimiters.component);
            }
            s.push_str(p);
        }
        s
    }

    /// Starts counting segments for a transaction set (call before writing ST).
    pub fn start_count(&mut self) {
        self.since_st = 0;
    }

    /// Segments written since [`SegmentWriter::start_count`].
    pub fn count(&self) -> usize {
        self.since_st
    }

    /// The segments written so far.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The file as text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261128*0930*^*00501*000000001*0*T*:~";

    #[test]
    fn the_isa_declares_the_delimiters() {
        let doc = parse(format!("{ISA}GS*HC*A*B*20261128*0930*1*X*005010X222A1~").as_bytes()).unwrap();
        assert_eq!(doc.delimiters, Delimiters::STANDARD);
        assert_eq!(doc.segments.len(), 2);
        assert_eq!(doc.segments[1].element(8), "005010X222A1");
        assert_eq!(doc.segments[1].element(9), "");
        assert_eq!(ISA.len(), ISA_LENGTH);
    }

    #[test]
    fn other_delimiters_and_line_breaks_are_read() {
        let isa = ISA.replace('*', "|").replace('^', "}").replace(":~", "<\n");
        let text = format!("{isa}gs|HC|A|B\nSV1|HC<99213<25|100\n");
        let doc = parse(text.as_bytes()).unwrap();
        assert_eq!(doc.delimiters, Delimiters { element: '|', component: '<', repetition: Some('}'), segment: '\n' });
        assert_eq!(doc.segments[1].id, "GS");
        assert_eq!(doc.delimiters.components(doc.segments[2].element(1)), vec!["HC", "99213", "25"]);
    }

    #[test]
    fn crlf_after_terminators_round_trips() {
        let text = format!("{ISA}\r\nGS*HC*A~\r\nST*837*0001~\r\n");
        let doc = parse(text.as_bytes()).unwrap();
        assert_eq!(doc.line_ending, LineEnding::CrLf);
        assert_eq!(write(&doc), text);
    }

    #[test]
    fn text_after_the_last_terminator_is_an_error_naming_the_position() {
        let err = parse(format!("{ISA}GS*HC*A~ST*837").as_bytes()).unwrap_err();
        assert_eq!(err.segment, 3);
        assert_eq!(err.kind, ErrorKind::Unterminated);
    }

    #[test]
    fn a_file_without_isa_is_refused() {
        assert_eq!(parse(b"GS*HC~").unwrap_err().kind, ErrorKind::NoIsa);
        assert_eq!(parse(b"").unwrap_err().kind, ErrorKind::NoIsa);
        assert_eq!(parse(b"ISA*00*~").unwrap_err().kind, ErrorKind::ShortIsa);
    }

    #[test]
    fn alphanumeric_or_repeated_delimiters_are_refused() {
        let bad = ISA.replace(":~", "*~");
        assert_eq!(parse(bad.as_bytes()).unwrap_err().kind, ErrorKind::BadDelimiters);
    }

    #[test]
    fn a_bad_segment_identifier_names_its_position() {
        let err = parse(format!("{ISA}GS*HC~TOOLONG*1~").as_bytes()).unwrap_err();
        assert_eq!(err.segment, 3);
        assert!(matches!(err.kind, ErrorKind::BadSegmentId { .. }));
    }

    #[test]
    fn the_writer_drops_trailing_empty_elements_and_components() {
        let mut w = SegmentWriter::new(Delimiters::STANDARD);
        let c = w.composite(&["HC", "99213", "", ""]);
        w.segment("SV1", &[&c, "100", "UN", "1", "", "", "1", "", ""]);
        w.segment("NM1", &["85", "2", "CLINIC", "", "", "", "", "XX", "1234567893"]);
        assert_eq!(w.count(), 2);
        assert_eq!(w.finish(), "SV1*HC:99213*100*UN*1***1~NM1*85*2*CLINIC*****XX*1234567893~");
    }
}
