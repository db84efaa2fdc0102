//! The calendar grid shared by the day view (a column per provider) and the week view (a column
//! per date): time as rows, one table cell per free row, one cell spanning the rows of an
//! appointment (or of overlapping ones, an overbook), merged cells for blocks and days off.
//!
//! Pure: it turns the calendar read into rows and cells the template prints, so the layout rules
//! (row length, the grid's hours, what is bookable, where the "now" line goes) are tested here.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use medoffice_app::schedule_views::{CalendarAppointment, CalendarType, DayPlanView};

/// The hours shown when no provider works and nothing is booked (an empty Sunday).
const DEFAULT_HOURS: (u32, u32) = (8 * 60, 17 * 60);
/// Row lengths the grid may use, longest first: each divides an hour, so every hour looks the same.
const ROW_CHOICES: [u32; 5] = [30, 20, 15, 10, 5];
const DAY_MINUTES: u32 = 24 * 60;

/// A column heading.
pub struct GridColumn {
    pub heading: String,
    pub subheading: String,
    /// Where the heading links (the provider's week, or the date's day view).
    pub href: String,
    /// `p-<provider id>`: the provider's colour (see `colours.css`).
    pub colour_class: String,
    pub is_today: bool,
    /// A day off or an exception's note, under the heading.
    pub note: Option<String>,
}

/// What the grid needs of one column.
pub struct ColumnInput<'a> {
    pub column: GridColumn,
    pub provider_id: &'a str,
    pub date: NaiveDate,
    pub plan: Option<&'a DayPlanView>,
    pub appointments: Vec<&'a CalendarAppointment>,
}

/// An appointment in a cell.
pub struct Entry {
    pub id: String,
    /// The appointment's page (history, actions, check-in).
    pub href: String,
    pub patient_name: String,
    pub type_name: String,
    /// `t-<type id>`: the type's colour.
    pub type_class: String,
    pub status: String,
    pub status_label: &'static str,
    /// `09:00–09:20`.
    pub time_range: String,
    /// Cancelled, no-show or rescheduled: struck through, holds no time.
    pub void: bool,
    pub overbook: bool,
    /// Booked, not arrived, and its start has passed (today).
    pub late: bool,
    pub notes: Option<String>,
    /// Everything about it in one line, for the tooltip and screen readers.
    pub title: String,
}

/// One table cell.
pub struct GridCell {
    pub col: usize,
    pub row: usize,
    pub rowspan: usize,
    /// `open` (bookable), `past` (open, but gone), `off` (outside hours), `block`, `closed`
    /// (holiday or day off) or `busy` (appointments).
    pub kind: &'static str,
    /// A block's reason or why the day is off (first cell of the span).
    pub label: String,
    /// `HH:MM` of the cell's first row.
    pub time: String,
    /// The booking form for this provider, date and time (free cells, for those who may book).
    pub book_href: Option<String>,
    pub entries: Vec<Entry>,
    /// `now-p35`: the "now" line at 35 % of the cell's height; empty when now is elsewhere.
    pub now_class: String,
}

/// One row of the grid.
pub struct GridRow {
    /// `08:20`.
    pub time: String,
    pub hour_start: bool,
    /// The row the "now" line crosses (its time label is marked).
    pub now: bool,
    /// The cells that start in this row, left to right (a spanning cell above leaves a gap).
    pub cells: Vec<GridCell>,
}

/// The whole grid.
pub struct Grid {
    pub columns: Vec<GridColumn>,
    pub rows: Vec<GridRow>,
    /// `08:00–17:00`.
    pub hours_label: String,
}

/// What a status is called on the page.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "scheduled" => "scheduled",
        "confirmed" => "confirmed",
        "arrived" => "arrived",
        "in_room" => "in room",
        "checked_out" => "checked out",
        "completed" => "completed",
        "cancelled" => "cancelled",
        "no_show" => "no-show",
        "rescheduled" => "rescheduled",
        _ => "unknown",
    }
}

/// Whether the patient was expected and has not come: booked (not arrived) and the start passed.
pub fn is_late(a: &CalendarAppointment, now: NaiveDateTime) -> bool {
    matches!(a.status.as_str(), "scheduled" | "confirmed") && a.start < now
}

/// The appointment's page.
pub fn appointment_href(id: &str) -> String {
    format!("/schedule/appointments/{id}")
}

/// A CSS class of an id (`t-<id>`, `p-<id>`), or a neutral class when the id has characters a
/// class name cannot carry unescaped (ids are UUIDs; this is a guard, not an expected case).
pub fn id_class(prefix: &str, id: &str) -> String {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        format!("{prefix}-{id}")
    } else {
        format!("{prefix}-unknown")
    }
}

fn hm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60 % 24, minute % 60)
}

fn minute_of_day(t: NaiveTime) -> u32 {
    t.num_seconds_from_midnight() / 60
}

/// The minutes of an appointment within its start date (an end on a later date is midnight).
fn span_of(a: &CalendarAppointment) -> (u32, u32) {
    let start = minute_of_day(a.start.time());
    let end = if a.end.date() > a.start.date() { DAY_MINUTES } else { minute_of_day(a.end.time()) };
    (start, end.max(start + 1))
}

/// The row length: the longest choice dividing every type's length (20 and 40 minute visits give
/// 20-minute rows), else 15.
pub fn row_minutes(types: &[CalendarType]) -> u32 {
    fn gcd(a: u32, b: u32) -> u32 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let g = types.iter().map(|t| t.duration_minutes).filter(|&d| d > 0).fold(0, gcd);
    if g == 0 {
        return 15;
    }
    ROW_CHOICES.into_iter().find(|c| g % c == 0).unwrap_or(5)
}

/// The grid's hours: from the earliest hour anything starts (hours, blocks, appointments) to the
/// latest it ends, whole hours; 08:00-17:00 when there is nothing.
fn hours(inputs: &[ColumnInput<'_>]) -> (u32, u32) {
    let mut first = u32::MAX;
    let mut last = 0;
    for input in inputs {
        if let Some(plan) = input.plan {
            for r in &plan.open {
                first = first.min(r.start);
                last = last.max(r.end);
            }
            for b in &plan.blocks {
                first = first.min(b.start);
                last = last.max(b.end);
            }
        }
        for a in &input.appointments {
            let (s, e) = span_of(a);
            first = first.min(s);
            last = last.max(e);
        }
    }
    if first >= last {
        return DEFAULT_HOURS;
    }
    (first / 60 * 60, last.div_ceil(60).min(24) * 60)
}

/// Builds the grid. `book_href(provider_id, date, "HH:MM")` is the booking link of a free cell,
/// `None` for those who may not book.
pub fn build(
    inputs: Vec<ColumnInput<'_>>,
    types: &[CalendarType],
    now: NaiveDateTime,
    book_href: &dyn Fn(&str, NaiveDate, &str) -> Option<String>,
) -> Grid {
    let step = row_minutes(types);
    let (first, last) = hours(&inputs);
    let row_count = ((last - first) / step) as usize;
    let row_minute = |r: usize| first + r as u32 * step;
    let row_of = |minute: u32| (minute.saturating_sub(first) / step) as usize;
    let mut rows: Vec<GridRow> = (0..row_count)
        .map(|r| GridRow { time: hm(row_minute(r)), hour_start: row_minute(r).is_multiple_of(60), now: false, cells: Vec::new() })
        .collect();
    let now_minute = minute_of_day(now.time());
    let mut columns = Vec::with_capacity(inputs.len());
    for (col, input) in inputs.into_iter().enumerate() {
        let is_today = input.date == now.date();
        let entry = |a: &CalendarAppointment| make_entry(a, types, is_today.then_some(now));
        // Appointments that hold time, grouped where their rows overlap: one spanning cell each.
        let mut holding: Vec<&CalendarAppointment> = input.appointments.iter().copied().filter(|a| a.holds_time()).collect();
        holding.sort_by_key(|a| (a.start, a.id.clone()));
        let mut clusters: Vec<(usize, usize, Vec<&CalendarAppointment>)> = Vec::new();
        for a in holding {
            let (s, e) = span_of(a);
            let (r0, r1) =
                (row_of(s).min(row_count.saturating_sub(1)), row_of(e.saturating_sub(1) + step).min(row_count).max(row_of(s) + 1));
            match clusters.last_mut() {
                Some(last) if r0 < last.1 => {
                    last.1 = last.1.max(r1);
                    last.2.push(a);
                }
                _ => clusters.push((r0, r1, vec![a])),
            }
        }
        // What each row is when no appointment covers it.
        let kind_of = |r: usize| -> (&'static str, String, usize) {
            let m = row_minute(r);
            let Some(plan) = input.plan else { return ("off", String::new(), 0) };
            if let Some(reason) = &plan.off_reason {
                return ("closed", reason.clone(), 0);
            }
            if let Some((i, b)) = plan.blocks.iter().enumerate().find(|(_, b)| b.start <= m && m < b.end) {
                return ("block", b.reason.clone(), i + 1);
            }
            if plan.open.iter().any(|w| w.start <= m && m < w.end) {
                let gone = input.date < now.date() || (is_today && m < now_minute);
                return (if gone { "past" } else { "open" }, String::new(), 0);
            }
            ("off", String::new(), 0)
        };
        let mut cells: Vec<GridCell> = Vec::new();
        let mut r = 0;
        while r < row_count {
            if let Some((r0, r1, list)) = clusters.iter().find(|c| c.0 == r) {
                cells.push(GridCell {
                    col,
                    row: r,
                    rowspan: r1 - r0,
                    kind: "busy",
                    label: String::new(),
                    time: hm(row_minute(r)),
                    book_href: None,
                    entries: list.iter().map(|a| entry(a)).collect(),
                    now_class: String::new(),
                });
                r = *r1;
                continue;
            }
            let (kind, label, group) = kind_of(r);
            let mut span = 1;
            if matches!(kind, "block" | "closed") {
                while r + span < row_count && !clusters.iter().any(|c| c.0 == r + span) && kind_of(r + span) == (kind, label.clone(), group)
                {
                    span += 1;
                }
            }
            let time = hm(row_minute(r));
            cells.push(GridCell {
                col,
                row: r,
                rowspan: span,
                kind,
                label,
                book_href: if kind == "open" { book_href(input.provider_id, input.date, &time) } else { None },
                time,
                entries: Vec::new(),
                now_class: String::new(),
            });
            r += span;
        }
        // Appointments that hold no time go into whichever cell covers their start.
        let mut void: Vec<&CalendarAppointment> = input.appointments.iter().copied().filter(|a| !a.holds_time()).collect();
        void.sort_by_key(|a| (a.start, a.id.clone()));
        for a in void {
            let row = row_of(span_of(a).0).min(row_count.saturating_sub(1));
            if let Some(cell) = cells.iter_mut().find(|c| c.row <= row && row < c.row + c.rowspan) {
                cell.entries.push(entry(a));
            }
        }
        if is_today && (first..last).contains(&now_minute) {
            let row = row_of(now_minute);
            rows[row].now = true;
            if let Some(cell) = cells.iter_mut().find(|c| c.row <= row && row < c.row + c.rowspan) {
                let start = row_minute(cell.row);
                let height = cell.rowspan as u32 * step;
                let percent = ((now_minute - start) * 100 / height + 2) / 5 * 5;
                cell.now_class = format!("now-p{}", percent.min(95));
            }
        }
        for cell in cells {
            rows[cell.row].cells.push(cell);
        }
        columns.push(input.column);
    }
    Grid { columns, rows, hours_label: format!("{}–{}", hm(first), if last == DAY_MINUTES { "24:00".into() } else { hm(last) }) }
}

fn make_entry(a: &CalendarAppointment, types: &[CalendarType], now: Option<NaiveDateTime>) -> Entry {
    let patient_name = a.patient.as_ref().map(|p| p.display_name()).unwrap_or_else(|| "Patient".to_string());
    let time_range = format!("{}–{}", a.start.format("%H:%M"), a.end.format("%H:%M"));
    let late = now.is_some_and(|now| is_late(a, now));
    let type_name = if a.appointment_type_name.is_empty() {
        types.iter().find(|t| t.id == a.appointment_type_id).map(|t| t.name.clone()).unwrap_or_default()
    } else {
        a.appointment_type_name.clone()
    };
    let mut title = format!("{time_range} · {patient_name}");
    if let Some(p) = &a.patient {
        title.push_str(&format!(" · born {}", p.birth_date));
        if let Some(phone) = &p.phone {
            title.push_str(&format!(" · {phone}"));
        }
    }
    title.push_str(&format!(" · {type_name} · {}", status_label(&a.status)));
    if late {
        title.push_str(" · late");
    }
    if a.overbook {
        title.push_str(" · overbook");
    }
    if let Some(n) = &a.notes {
        title.push_str(&format!(" · {n}"));
    }
    Entry {
        id: a.id.clone(),
        href: appointment_href(&a.id),
        patient_name,
        type_name,
        type_class: id_class("t", &a.appointment_type_id),
        status: a.status.clone(),
        status_label: status_label(&a.status),
        time_range,
        void: !a.holds_time(),
        overbook: a.overbook,
        late,
        notes: a.notes.clone(),
        title,
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use medoffice_app::schedule_views::{BlockView, MinuteRange};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("time")
    }

    fn types() -> Vec<CalendarType> {
        vec![
            CalendarType { id: "visit".into(), name: "Office visit".into(), colour: "#2563eb".into(), duration_minutes: 20 },
            CalendarType { id: "physical".into(), name: "Annual physical".into(), colour: "#d97706".into(), duration_minutes: 40 },
        ]
    }

    fn appointment(id: &str, start: &str, end: &str, status: &str) -> CalendarAppointment {
        CalendarAppointment {
            id: id.into(),
            patient_id: format!("patient-{id}"),
            provider_id: "dr".into(),
            location_id: "main".into(),
            appointment_type_id: "visit".into(),
            appointment_type_name: "Office visit".into(),
            start: at(start),
            end: at(end),
            status: status.into(),
            overbook: false,
            notes: None,
            cancel_reason: None,
            patient: None,
        }
    }

    fn plan() -> DayPlanView {
        DayPlanView {
            provider_id: "dr".into(),
            date: NaiveDate::from_ymd_opt(2026, 6, 16).expect("date"),
            off_reason: None,
            note: None,
            open: vec![MinuteRange { start: 8 * 60, end: 12 * 60 }, MinuteRange { start: 13 * 60, end: 17 * 60 }],
            blocks: vec![BlockView { start: 12 * 60, end: 13 * 60, reason: "Lunch".into() }],
        }
    }

    fn column<'a>(plan: Option<&'a DayPlanView>, appointments: Vec<&'a CalendarAppointment>) -> ColumnInput<'a> {
        ColumnInput {
            column: GridColumn {
                heading: "Dr".into(),
                subheading: String::new(),
                href: String::new(),
                colour_class: "p-dr".into(),
                is_today: false,
                note: None,
            },
            provider_id: "dr",
            date: NaiveDate::from_ymd_opt(2026, 6, 16).expect("date"),
            plan,
            appointments,
        }
    }

    fn book(provider: &str, date: NaiveDate, time: &str) -> Option<String> {
        Some(format!("/book?{provider}&{date}&{time}"))
    }

    fn cell<'a>(grid: &'a Grid, time: &str) -> &'a GridCell {
        grid.rows.iter().flat_map(|r| &r.cells).find(|c| c.time == time).expect("a cell starting then")
    }

    #[test]
    fn rows_are_as_long_as_the_types_allow() {
        assert_eq!(row_minutes(&types()), 20);
        let mut odd = types();
        odd[0].duration_minutes = 45;
        assert_eq!(row_minutes(&odd), 5);
        odd[0].duration_minutes = 30;
        assert_eq!(row_minutes(&odd), 10);
        assert_eq!(row_minutes(&[]), 15);
    }

    #[test]
    fn an_appointment_spans_its_rows_and_free_working_rows_link_to_the_booking_form() {
        let plan = plan();
        let a = appointment("a", "2026-06-16T09:00", "2026-06-16T09:40", "confirmed");
        let grid = build(vec![column(Some(&plan), vec![&a])], &types(), at("2026-06-15T12:00"), &book);
        assert_eq!(grid.hours_label, "08:00–17:00");
        assert_eq!(grid.rows.len(), 27, "nine hours of 20-minute rows");
        let busy = cell(&grid, "09:00");
        assert_eq!((busy.kind, busy.rowspan), ("busy", 2));
        assert_eq!(busy.entries[0].href, "/schedule/appointments/a");
        assert_eq!(busy.entries[0].type_class, "t-visit");
        assert!(grid.rows[4].cells.is_empty(), "09:20 is under the spanning cell");
        assert_eq!(cell(&grid, "09:40").book_href.as_deref(), Some("/book?dr&2026-06-16&09:40"));
        let lunch = cell(&grid, "12:00");
        assert_eq!((lunch.kind, lunch.rowspan, lunch.label.as_str()), ("block", 3, "Lunch"));
        assert_eq!(lunch.book_href, None);
        assert_eq!(cell(&grid, "13:00").kind, "open");
    }

    #[test]
    fn overlapping_appointments_share_a_cell_and_cancelled_ones_leave_the_time_bookable() {
        let plan = plan();
        let a = appointment("a", "2026-06-16T10:00", "2026-06-16T10:20", "scheduled");
        let mut b = appointment("b", "2026-06-16T10:10", "2026-06-16T10:50", "scheduled");
        b.overbook = true;
        let gone = appointment("c", "2026-06-16T14:00", "2026-06-16T14:20", "cancelled");
        let grid = build(vec![column(Some(&plan), vec![&a, &b, &gone])], &types(), at("2026-06-15T12:00"), &book);
        let busy = cell(&grid, "10:00");
        assert_eq!(busy.rowspan, 3);
        assert_eq!(busy.entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let freed = cell(&grid, "14:00");
        assert_eq!(freed.kind, "open");
        assert!(freed.book_href.is_some());
        assert!(freed.entries[0].void);
        assert_eq!(freed.entries[0].status_label, "cancelled");
    }

    #[test]
    fn the_grid_widens_to_the_hours_and_appointments_and_marks_today_and_the_past() {
        let mut plan = plan();
        plan.open[1].end = 19 * 60;
        let early = appointment("e", "2026-06-16T07:30", "2026-06-16T07:50", "arrived");
        let grid = build(vec![column(Some(&plan), vec![&early])], &types(), at("2026-06-16T10:30"), &book);
        assert_eq!(grid.hours_label, "07:00–19:00");
        assert_eq!(cell(&grid, "07:00").kind, "off");
        assert_eq!(cell(&grid, "08:00").kind, "past", "today before now: not bookable");
        assert_eq!(cell(&grid, "08:00").book_href, None);
        assert_eq!(cell(&grid, "10:40").kind, "open");
        let now_cell = cell(&grid, "10:20");
        assert_eq!(now_cell.now_class, "now-p50", "10:30 is half way through the 10:20 row");
        assert!(grid.rows.iter().filter(|r| r.now).count() == 1);
        let late = appointment("l", "2026-06-16T10:00", "2026-06-16T10:20", "confirmed");
        let grid = build(vec![column(Some(&plan), vec![&late])], &types(), at("2026-06-16T10:30"), &book);
        assert!(cell(&grid, "10:00").entries[0].late);
    }

    #[test]
    fn a_day_off_is_one_cell_and_no_plan_means_no_hours() {
        let mut plan = plan();
        plan.off_reason = Some("Holiday: Labor Day".into());
        plan.open.clear();
        plan.blocks.clear();
        let grid = build(vec![column(Some(&plan), vec![]), column(None, vec![])], &types(), at("2026-06-15T12:00"), &book);
        assert_eq!(grid.hours_label, "08:00–17:00", "the default hours");
        let first = &grid.rows[0].cells;
        assert_eq!((first[0].kind, first[0].rowspan, first[0].label.as_str()), ("closed", 27, "Holiday: Labor Day"));
        assert_eq!((first[1].kind, first[1].rowspan), ("off", 1));
        assert!(grid.rows.iter().all(|r| r.cells.iter().all(|c| c.book_href.is_none())));
    }
}
