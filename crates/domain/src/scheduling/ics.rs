//! iCalendar (RFC 5545) output: a provider's appointments as a calendar a doctor's own calendar
//! app subscribes to.
//!
//! The writer is small on purpose and follows the RFC where calendar apps are strict:
//! - every content line ends with CRLF (§3.1);
//! - a line longer than 75 octets is folded: CRLF and one space, never inside a UTF-8 character
//!   (§3.1: "split ... between octets that are part of a multi-octet UTF-8 sequence" is forbidden);
//! - TEXT values escape `\`, `;`, `,` and line breaks (§3.3.11); other control characters, which
//!   TEXT may not hold, are dropped;
//! - DATE-TIME values are UTC (`20260616T130000Z`, §3.3.5 form 2), so no VTIMEZONE is needed and
//!   every app shows the same instant whatever its own time zone.
//!
//! What an appointment becomes ([`CalendarEvent::status_of`], [`appointment_summary`]) is decided
//! here too, so the rule "no patient name unless the practice allows it" lives in one place.

use super::status::AppointmentStatus;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// The most octets of one content line, line break excluded (RFC 5545 §3.1).
pub const MAX_LINE_OCTETS: usize = 75;

/// Identifies the program that made the calendar (`PRODID`, RFC 5545 §3.7.3).
pub const PRODUCT_ID: &str = "-//medoffice//medoffice calendar feed//EN";

/// The suffix of every event's `UID`: host-neutral, so the same appointment keeps its UID whatever
/// address medoffice is reached at (a changed UID would duplicate events in the doctor's app).
pub const UID_SUFFIX: &str = "@medoffice";

/// How often calendar apps are asked to fetch the feed again (RFC 7986 `REFRESH-INTERVAL`, and
/// the older `X-PUBLISHED-TTL` that Outlook and Apple Calendar read).
pub const REFRESH_MINUTES: u32 = 15;

/// An event's `STATUS` (RFC 5545 §3.8.1.11, the values allowed in a VEVENT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Tentative,
    Confirmed,
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Tentative => "TENTATIVE",
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across fetches and changes: the appointment id with [`UID_SUFFIX`].
    pub uid: String,
    /// When the event was last revised in medoffice (RFC 5545 §3.8.7.2: without a METHOD, DTSTAMP
    /// is the last revision, so a refetch of an unchanged event is byte-for-byte the same).
    pub stamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub status: EventStatus,
    /// Grows with every change, so apps replace their copy (the appointment's version, from 0).
    pub sequence: u32,
}

impl CalendarEvent {
    /// An appointment's calendar status. A booked appointment is TENTATIVE until the patient
    /// confirms; from confirmation through the visit it is CONFIRMED. Cancelled, no-show and
    /// rescheduled appointments stay in the feed as CANCELLED rather than disappearing: the app
    /// then shows the slot as freed (struck through or hidden, as the app prefers) instead of the
    /// doctor wondering whether a vanished visit was a sync failure.
    pub fn status_of(status: AppointmentStatus) -> EventStatus {
        match status {
            AppointmentStatus::Scheduled => EventStatus::Tentative,
            AppointmentStatus::Confirmed
            | AppointmentStatus::Arrived
            | AppointmentStatus::InRoom
            | AppointmentStatus::CheckedOut
            | AppointmentStatus::Completed => EventStatus::Confirmed,
            AppointmentStatus::Cancelled | AppointmentStatus::NoShow | AppointmentStatus::Rescheduled => EventStatus::Cancelled,
        }
    }

    /// The UID of an appointment's event.
    pub fn uid_of(appointment_id: &str) -> String {
        format!("{appointment_id}{UID_SUFFIX}")
    }
}

/// How an appointment's status reads in an event title.
pub fn status_label(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Scheduled => "scheduled",
        AppointmentStatus::Confirmed => "confirmed",
        AppointmentStatus::Arrived => "checked in",
        AppointmentStatus::InRoom => "in room",
        AppointmentStatus::CheckedOut => "checked out",
        AppointmentStatus::Completed => "completed",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "no-show",
        AppointmentStatus::Rescheduled => "rescheduled",
    }
}

/// An appointment's `SUMMARY`: the type and the status ("Office visit (confirmed)"), preceded by
/// the patient's name only when the feed may carry names ("Doe, Pat: Office visit (confirmed)").
pub fn appointment_summary(type_name: &str, status: AppointmentStatus, patient_name: Option<&str>) -> String {
    let type_name = if type_name.trim().is_empty() { "Appointment" } else { type_name.trim() };
    match patient_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("{name}: {type_name} ({})", status_label(status)),
        None => format!("{type_name} ({})", status_label(status)),
    }
}

/// A whole VCALENDAR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Shown by apps as the calendar's name (`X-WR-CALNAME`, and RFC 7986 `NAME`).
    pub name: String,
    pub events: Vec<CalendarEvent>,
}

impl Calendar {
    /// The calendar as an iCalendar stream: CRLF line ends, folded lines, escaped text.
    pub fn to_ics(&self) -> String {
        let mut out = ContentLines::default();
        out.line("BEGIN", "VCALENDAR");
        out.line("VERSION", "2.0");
        out.line("PRODID", PRODUCT_ID);
        out.line("CALSCALE", "GREGORIAN");
        out.text("X-WR-CALNAME", &self.name);
        out.text("NAME", &self.name);
        out.line("REFRESH-INTERVAL;VALUE=DURATION", &format!("PT{REFRESH_MINUTES}M"));
        out.line("X-PUBLISHED-TTL", &format!("PT{REFRESH_MINUTES}M"));
        for event in &self.events {
            out.line("BEGIN", "VEVENT");
            out.text("UID", &event.uid);
            out.line("DTSTAMP", &date_time(event.stamp));
            out.line("DTSTART", &date_time(event.start));
            out.line("DTEND", &date_time(event.end));
            out.line("SEQUENCE", &event.sequence.to_string());
            out.text("SUMMARY", &event.summary);
            if let Some(location) = &event.location {
                out.text("LOCATION", location);
            }
            if let Some(description) = &event.description {
                out.text("DESCRIPTION", description);
            }
            out.line("STATUS", event.status.as_str());
            // Busy while it holds the time; a cancelled visit frees it.
            out.line("TRANSP", if event.status == EventStatus::Cancelled { "TRANSPARENT" } else { "OPAQUE" });
            out.line("END", "VEVENT");
        }
        out.line("END", "VCALENDAR");
        out.0
    }
}

/// A UTC DATE-TIME value: `YYYYMMDDTHHMMSSZ`.
pub fn date_time(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value escaped (RFC 5545 §3.3.11): `\` `;` `,` get a backslash, a line break (CRLF, LF or
/// CR) becomes `\n`, and other control characters, which TEXT may not contain, are dropped
/// (horizontal tab is allowed and kept).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded: at most [`MAX_LINE_OCTETS`] octets per physical line, continuation
/// lines starting with one space (which counts toward their 75), every line ending in CRLF. Folds
/// only between characters, so a multi-octet UTF-8 character is never split.
pub fn fold_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut octets = 0;
    for c in line.chars() {
        if octets + c.len_utf8() > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// An iCalendar stream being written, line by line.
#[derive(Default)]
struct ContentLines(String);

impl ContentLines {
    /// A property whose value is already in its iCalendar form (no escaping).
    fn line(&mut self, name: &str, value: &str) {
        let mut line = String::with_capacity(name.len() + value.len() + 1);
        let _ = write!(line, "{name}:{value}");
        self.0.push_str(&fold_line(&line));
    }

    /// A property with a TEXT value.
    fn text(&mut self, name: &str, value: &str) {
        self.line(name, &escape_text(value));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 16, h, m, 0).unwrap()
    }

    fn event(summary: &str) -> CalendarEvent {
        CalendarEvent {
            uid: CalendarEvent::uid_of("0190a1b2-0000-7000-8000-000000000001"),
            stamp: at(12, 0),
            start: at(13, 0),
            end: at(13, 20),
            summary: summary.into(),
            location: Some("Main office, 2nd floor".into()),
            description: None,
            status: EventStatus::Tentative,
            sequence: 0,
        }
    }

    /// The stream unfolded (RFC 5545 §3.1: remove every CRLF followed by one space or tab).
    fn unfold(ics: &str) -> String {
        ics.replace("\r\n ", "").replace("\r\n\t", "")
    }

    #[test]
    fn commas_semicolons_backslashes_and_line_breaks_are_escaped() {
        assert_eq!(escape_text(r"a,b;c\d"), r"a\,b\;c\\d");
        assert_eq!(escape_text("one\ntwo\r\nthree\rfour"), r"one\ntwo\nthree\nfour");
        assert_eq!(escape_text(r"C:\new"), r"C:\\new", "a backslash before n is not a line break");
        assert_eq!(escape_text("tab\there"), "tab\there");
        assert_eq!(escape_text("bell\u{7}and\u{0}nul"), "bellandnul", "control characters are dropped");
        assert_eq!(escape_text("Zoë: café"), "Zoë: café", "colons and non-ASCII need no escape");
    }

    #[test]
    fn a_short_line_is_not_folded_and_ends_in_crlf() {
        assert_eq!(fold_line("SUMMARY:Office visit"), "SUMMARY:Office visit\r\n");
        let exactly = "X".repeat(MAX_LINE_OCTETS);
        assert_eq!(fold_line(&exactly), format!("{exactly}\r\n"));
    }

    #[test]
    fn a_long_line_is_folded_at_75_octets_with_a_leading_space() {
        let line = format!("DESCRIPTION:{}", "a".repeat(200));
        let folded = fold_line(&line);
        let physical: Vec<&str> = folded.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        assert_eq!(physical.len(), 3, "{folded:?}");
        assert_eq!(physical[0].len(), 75);
        assert_eq!(physical[1].len(), 75);
        assert!(physical[1].starts_with(' ') && physical[2].starts_with(' '));
        assert_eq!(unfold(&folded), format!("{line}\r\n"));
    }

    #[test]
    fn folding_never_splits_a_utf8_character() {
        // 'é' is 2 octets, '€' 3 and '𝄞' 4: whatever the offset, every physical line must be valid
        // UTF-8 of at most 75 octets, and unfolding gives the line back.
        for prefix in 0..6 {
            for glyph in ["é", "€", "𝄞", "a€é𝄞"] {
                let line = format!("SUMMARY:{}{}", "x".repeat(prefix), glyph.repeat(60));
                let folded = fold_line(&line);
                for physical in folded.split("\r\n").filter(|l| !l.is_empty()) {
                    assert!(physical.len() <= MAX_LINE_OCTETS, "{} octets: {physical:?}", physical.len());
                }
                assert_eq!(unfold(&folded), format!("{line}\r\n"));
            }
        }
    }

    #[test]
    fn every_line_of_a_calendar_ends_in_crlf_and_none_is_longer_than_75_octets() {
        let mut long = event(&"Überweisung, Kontrolle; Nachsorge \\ ".repeat(8));
        long.description = Some("Patient: Doe, Pat\nNotes: bring the X-ray films".into());
        let cal = Calendar { name: "Dr. Ada Quill, MD".into(), events: vec![long, event("Office visit (scheduled)")] };
        let ics = cal.to_ics();
        assert!(ics.ends_with("\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "a bare LF");
        assert!(!ics.replace("\r\n", "").contains('\r'), "a bare CR");
        for line in ics.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= MAX_LINE_OCTETS, "{line:?}");
        }
        let unfolded = unfold(&ics);
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        assert_eq!(lines[0], "BEGIN:VCALENDAR");
        for expected in ["VERSION:2.0", &format!("PRODID:{PRODUCT_ID}"), "CALSCALE:GREGORIAN", r"X-WR-CALNAME:Dr. Ada Quill\, MD"] {
            assert!(lines.contains(&expected), "no {expected}: {unfolded}");
        }
        assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(), 2);
        assert!(lines.contains(&r"DESCRIPTION:Patient: Doe\, Pat\nNotes: bring the X-ray films"), "{unfolded}");
        assert!(lines.contains(&r"LOCATION:Main office\, 2nd floor"));
        assert_eq!(lines.iter().rev().find(|l| !l.is_empty()), Some(&"END:VCALENDAR"));
    }

    #[test]
    fn times_are_utc_date_times_and_the_event_carries_uid_sequence_and_status() {
        let mut e = event("Office visit (confirmed)");
        e.status = EventStatus::Confirmed;
        e.sequence = 3;
        let ics = Calendar { name: "Dr. Quill".into(), events: vec![e] }.to_ics();
        for expected in [
            "UID:0190a1b2-0000-7000-8000-000000000001@medoffice\r\n",
            "DTSTAMP:20260616T120000Z\r\n",
            "DTSTART:20260616T130000Z\r\n",
            "DTEND:20260616T132000Z\r\n",
            "SEQUENCE:3\r\n",
            "STATUS:CONFIRMED\r\n",
            "TRANSP:OPAQUE\r\n",
        ] {
            assert!(ics.contains(expected), "no {expected:?} in {ics}");
        }
        assert!(!ics.contains("DESCRIPTION"), "no description unless given");
    }

    #[test]
    fn cancelled_no_show_and_rescheduled_visits_are_cancelled_events_and_booked_ones_tentative() {
        use AppointmentStatus::*;
        assert_eq!(CalendarEvent::status_of(Scheduled), EventStatus::Tentative);
        for s in [Confirmed, Arrived, InRoom, CheckedOut, Completed] {
            assert_eq!(CalendarEvent::status_of(s), EventStatus::Confirmed, "{s:?}");
        }
        for s in [Cancelled, NoShow, Rescheduled] {
            assert_eq!(CalendarEvent::status_of(s), EventStatus::Cancelled, "{s:?}");
        }
    }

    #[test]
    fn the_summary_names_the_patient_only_when_a_name_is_given() {
        assert_eq!(appointment_summary("Office visit", AppointmentStatus::Confirmed, None), "Office visit (confirmed)");
        assert_eq!(appointment_summary("Office visit", AppointmentStatus::NoShow, Some("  ")), "Office visit (no-show)");
        assert_eq!(
            appointment_summary("Annual physical", AppointmentStatus::Arrived, Some("Doe, Pat")),
            "Doe, Pat: Annual physical (checked in)"
        );
        assert_eq!(appointment_summary("", AppointmentStatus::Scheduled, None), "Appointment (scheduled)");
    }

    /// Reverses [`escape_text`] the way a reader does (RFC 5545 §3.3.11).
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn any_text_folds_into_short_lines_and_reads_back_the_same(text in "(\\PC|[\r\n\t,;\\\\]){0,300}") {
            let line = format!("SUMMARY:{}", escape_text(&text));
            let folded = fold_line(&line);
            for physical in folded.split("\r\n").filter(|l| !l.is_empty()) {
                proptest::prop_assert!(physical.len() <= MAX_LINE_OCTETS);
            }
            let back = unfold(&folded);
            let value = back.strip_prefix("SUMMARY:").and_then(|v| v.strip_suffix("\r\n")).unwrap();
            proptest::prop_assert!(!value.contains(['\r', '\n']));
            proptest::prop_assert_eq!(unescape(value), text.replace("\r\n", "\n").replace('\r', "\n"));
        }
    }
}
