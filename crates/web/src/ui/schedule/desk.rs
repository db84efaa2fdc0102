//! The front desk's day: the arrivals list (`/schedule/arrivals`: who is expected, late, arrived,
//! in a room, done, refreshing itself) and the printable day sheet (`/schedule/print`: one provider
//! per page, no navigation).

use super::super::{Layout, render};
use super::grid::{appointment_href, id_class, is_late, status_label};
use super::{bad_request, href};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Days, NaiveDate};
use medoffice_app::schedule_views::{CalendarAppointment, CalendarSpan, CalendarView};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeskQuery {
    date: String,
    provider_id: String,
    /// `list` for the arrivals list alone (the refresh).
    part: String,
}

/// One line of the arrivals list.
pub struct ArrivalRow {
    pub id: String,
    pub href: String,
    /// `09:00`.
    pub time: String,
    pub time_range: String,
    pub patient_name: String,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub phone: String,
    pub provider_name: String,
    pub provider_class: String,
    pub type_name: String,
    pub type_class: String,
    /// `expected`, `late`, `arrived`, `in_room`, `done` or `void`: the row's colour.
    pub state: &'static str,
    /// "Late 12 min", "Arrived", "In room"...
    pub state_label: String,
    /// "Check in" for the expected, "Open" otherwise.
    pub action: &'static str,
    /// The patient's coverages' last eligibility answers.
    pub eligibility: Vec<medoffice_app::eligibility::EligibilityView>,
}

/// How many are in each state.
#[derive(Default)]
pub struct ArrivalCounts {
    pub expected: usize,
    pub late: usize,
    pub arrived: usize,
    pub in_room: usize,
    pub done: usize,
    pub void: usize,
}

/// The list (also the refresh fragment).
pub struct ArrivalsList {
    pub rows: Vec<ArrivalRow>,
    pub counts: ArrivalCounts,
    /// `12:04`: when it was read.
    pub updated: String,
    pub is_today: bool,
    /// The list alone, for the refresh.
    pub refresh_href: String,
}

#[derive(Template)]
#[template(path = "schedule_arrivals.html")]
struct ArrivalsPage {
    layout: Layout,
    title: String,
    date: String,
    date_long: String,
    today: String,
    prev: String,
    next: String,
    provider_id: String,
    provider_options: Vec<(String, String)>,
    day_href: String,
    more: Vec<(&'static str, &'static str)>,
    list: ArrivalsList,
    can_check_eligibility: bool,
}

#[derive(Template)]
#[template(path = "schedule_arrivals_list.html")]
struct ArrivalsFragment {
    list: ArrivalsList,
}

fn arrival_row(a: &CalendarAppointment, view: &CalendarView) -> ArrivalRow {
    let provider = view.providers.iter().find(|p| p.id == a.provider_id);
    let is_today = a.start.date() == view.today;
    // Checking in is for today's patients; on other days the row opens the appointment.
    let check_in = if is_today { "Check in" } else { "Open" };
    let (state, state_label, action) = match a.status.as_str() {
        _ if is_today && is_late(a, view.now) => ("late", format!("Late {} min", (view.now - a.start).num_minutes().max(1)), check_in),
        "scheduled" => ("expected", "Expected".to_string(), check_in),
        "confirmed" => ("expected", "Confirmed".to_string(), check_in),
        "arrived" => ("arrived", "Arrived, waiting".to_string(), "Open"),
        "in_room" => ("in_room", "In room".to_string(), "Open"),
        "checked_out" => ("done", "Checked out".to_string(), "Open"),
        "completed" => ("done", "Completed".to_string(), "Open"),
        "cancelled" => ("void", "Cancelled".to_string(), "Open"),
        "no_show" => ("void", "No-show".to_string(), "Open"),
        _ => ("void", "Rescheduled".to_string(), "Open"),
    };
    let patient = a.patient.as_ref();
    ArrivalRow {
        id: a.id.clone(),
        href: appointment_href(&a.id),
        time: a.start.format("%H:%M").to_string(),
        time_range: format!("{}–{}", a.start.format("%H:%M"), a.end.format("%H:%M")),
        patient_name: patient.map(|p| p.display_name()).unwrap_or_else(|| "Patient".into()),
        preferred_name: patient.and_then(|p| p.preferred_name.clone()),
        birth_date: patient.map(|p| p.birth_date.clone()).unwrap_or_default(),
        phone: patient.and_then(|p| p.phone.clone()).unwrap_or_default(),
        provider_name: provider.map(|p| p.name.clone()).unwrap_or_default(),
        provider_class: id_class("p", &a.provider_id),
        type_name: a.appointment_type_name.clone(),
        type_class: id_class("t", &a.appointment_type_id),
        state,
        state_label,
        action,
        eligibility: Vec::new(),
    }
}

fn arrivals_list(view: &CalendarView, date: &str, provider_id: &str) -> ArrivalsList {
    let rows: Vec<ArrivalRow> = view.appointments.iter().map(|a| arrival_row(a, view)).collect();
    let mut counts = ArrivalCounts::default();
    for r in &rows {
        match r.state {
            "expected" => counts.expected += 1,
            "late" => counts.late += 1,
            "arrived" => counts.arrived += 1,
            "in_room" => counts.in_room += 1,
            "done" => counts.done += 1,
            _ => counts.void += 1,
        }
    }
    ArrivalsList {
        rows,
        counts,
        updated: view.now.format("%H:%M").to_string(),
        is_today: view.first == view.today,
        refresh_href: href("/schedule/arrivals", &[("date", date), ("provider_id", provider_id), ("part", "list")]),
    }
}

/// `/schedule/arrivals?date=&provider_id=`: the day's appointments by time with who has come.
pub async fn arrivals(State(state): State<AppState>, session: PageSession, Query(q): Query<DeskQuery>) -> Response {
    let provider = Some(q.provider_id.trim()).filter(|p| !p.is_empty());
    let view = match state.app.calendar(&session.actor, CalendarSpan::Day, provider, &q.date).await {
        Ok(view) => view,
        Err(e) => return bad_request(e),
    };
    let date = view.first;
    let d = date.to_string();
    let provider_id = provider.unwrap_or("").to_string();
    let mut list = arrivals_list(&view, &d, &provider_id);
    // The coverages' last eligibility answers of the patients the actor may see.
    let mut patient_ids: Vec<String> = view.appointments.iter().filter(|a| a.patient.is_some()).map(|a| a.patient_id.clone()).collect();
    patient_ids.sort();
    patient_ids.dedup();
    if !patient_ids.is_empty() {
        let answers = state.app.latest_eligibility(&session.actor, &patient_ids).await.unwrap_or_default();
        for (row, a) in list.rows.iter_mut().zip(&view.appointments) {
            row.eligibility = answers.iter().filter(|e| e.patient_id == a.patient_id).cloned().collect();
        }
    }
    if q.part == "list" {
        return render(&ArrivalsFragment { list });
    }
    let step = |f: fn(NaiveDate, Days) -> Option<NaiveDate>| f(date, Days::new(1)).unwrap_or(date).to_string();
    render(&ArrivalsPage {
        layout: Layout::new(&session, "/schedule"),
        title: format!("Arrivals {}", date.format("%a %b %-d")),
        date_long: date.format("%A, %B %-d, %Y").to_string(),
        today: view.today.to_string(),
        prev: step(NaiveDate::checked_sub_days),
        next: step(NaiveDate::checked_add_days),
        provider_options: view.providers.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
        day_href: href("/schedule", &[("date", &d), ("provider_id", &provider_id)]),
        more: super::more_links(session.actor.role),
        provider_id,
        date: d,
        list,
        can_check_eligibility: session.actor.role.may(medoffice_domain::security::Action::CheckEligibility),
    })
}

/// One line of a day sheet: an appointment or a block.
pub struct SheetRow {
    pub time_range: String,
    /// `appointment` or `block`.
    pub kind: &'static str,
    pub patient_name: String,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub mrn: String,
    pub phone: String,
    pub type_name: String,
    pub status_label: &'static str,
    pub notes: String,
}

/// One provider's page.
pub struct Sheet {
    pub provider_name: String,
    pub specialty: String,
    pub hours: String,
    pub off_reason: Option<String>,
    pub appointment_count: usize,
    pub rows: Vec<SheetRow>,
}

#[derive(Template)]
#[template(path = "schedule_print.html")]
struct PrintPage {
    practice_name: String,
    title: String,
    date_long: String,
    sheets: Vec<Sheet>,
    printed: String,
    back_href: String,
}

/// `/schedule/print?date=&provider_id=`: the day sheet, one provider per printed page. Cancelled
/// and no-show appointments are left out: the sheet is what will happen.
pub async fn print(State(state): State<AppState>, session: PageSession, Query(q): Query<DeskQuery>) -> Response {
    let actor = &session.actor;
    let provider = Some(q.provider_id.trim()).filter(|p| !p.is_empty());
    let view = match state.app.calendar(actor, CalendarSpan::Day, provider, &q.date).await {
        Ok(view) => view,
        Err(e) => return bad_request(e),
    };
    let date = view.first;
    let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    let mut sheets = Vec::new();
    for p in view.shown_providers() {
        let plan = view.plan(&p.id, date);
        let appointments: Vec<&CalendarAppointment> =
            view.appointments.iter().filter(|a| a.provider_id == p.id && a.holds_time()).collect();
        if appointments.is_empty() && plan.is_none_or(|pl| !pl.has_hours()) && provider.is_none() {
            continue;
        }
        let mut rows: Vec<(SheetOrder, SheetRow)> = appointments
            .iter()
            .map(|a| {
                let patient = a.patient.as_ref();
                (
                    (a.start.format("%H:%M").to_string(), 1),
                    SheetRow {
                        time_range: format!("{}–{}", a.start.format("%H:%M"), a.end.format("%H:%M")),
                        kind: "appointment",
                        patient_name: patient.map(|p| p.display_name()).unwrap_or_else(|| "Patient".into()),
                        preferred_name: patient.and_then(|p| p.preferred_name.clone()),
                        birth_date: patient.map(|p| p.birth_date.clone()).unwrap_or_default(),
                        mrn: patient.map(|p| p.mrn.clone()).unwrap_or_default(),
                        phone: patient.and_then(|p| p.phone.clone()).unwrap_or_default(),
                        type_name: a.appointment_type_name.clone(),
                        status_label: status_label(&a.status),
                        notes: a.notes.clone().unwrap_or_default(),
                    },
                )
            })
            .collect();
        for b in plan.map(|pl| pl.blocks.as_slice()).unwrap_or_default() {
            rows.push((
                (hm(b.start), 0),
                SheetRow {
                    time_range: format!("{}–{}", hm(b.start), hm(b.end)),
                    kind: "block",
                    patient_name: b.reason.clone(),
                    preferred_name: None,
                    birth_date: String::new(),
                    mrn: String::new(),
                    phone: String::new(),
                    type_name: String::new(),
                    status_label: "",
                    notes: String::new(),
                },
            ));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let hours = plan
            .map(|pl| pl.open.iter().map(|r| format!("{}–{}", hm(r.start), hm(r.end))).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        sheets.push(Sheet {
            provider_name: p.name.clone(),
            specialty: p.specialty.clone().unwrap_or_default(),
            hours,
            off_reason: plan.and_then(|pl| pl.off_reason.clone()),
            appointment_count: appointments.len(),
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        });
    }
    let d = date.to_string();
    render(&PrintPage {
        practice_name: actor.practice_name.clone(),
        title: format!("Day sheet {}", date.format("%a %b %-d, %Y")),
        date_long: date.format("%A, %B %-d, %Y").to_string(),
        sheets,
        printed: format!("{} by {}", view.now.format("%Y-%m-%d %H:%M"), actor.display_name),
        back_href: href("/schedule", &[("date", &d), ("provider_id", provider.unwrap_or(""))]),
    })
}

/// Sorts a sheet's lines: by start time, a block before an appointment at the same time.
type SheetOrder = (String, u8);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use medoffice_app::views::ProviderView;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("time")
    }

    fn appointment(id: &str, start: &str, status: &str) -> CalendarAppointment {
        let start = at(start);
        CalendarAppointment {
            id: id.into(),
            patient_id: format!("patient-{id}"),
            provider_id: "dr".into(),
            location_id: "main".into(),
            appointment_type_id: "visit".into(),
            appointment_type_name: "Office visit".into(),
            start,
            end: start + chrono::Duration::minutes(20),
            status: status.into(),
            overbook: false,
            notes: None,
            cancel_reason: None,
            patient: None,
        }
    }

    fn view(appointments: Vec<CalendarAppointment>, now: &str) -> CalendarView {
        let now = at(now);
        CalendarView {
            first: now.date(),
            last: now.date(),
            today: now.date(),
            now,
            providers: vec![ProviderView {
                id: "dr".into(),
                name: "Ana Castillo, NP".into(),
                family_name: "Castillo".into(),
                given_name: "Ana".into(),
                credentials: Some("NP".into()),
                npi: "1234567893".into(),
                specialty: None,
                colour: "#db2777".into(),
                taxonomy_code: None,
            }],
            provider_id: None,
            types: Vec::new(),
            plans: Vec::new(),
            appointments,
        }
    }

    #[test]
    fn today_the_list_tells_late_from_expected_waiting_in_a_room_and_done() {
        let v = view(
            vec![
                appointment("late", "2026-06-16T10:00", "confirmed"),
                appointment("next", "2026-06-16T11:00", "scheduled"),
                appointment("waiting", "2026-06-16T09:40", "arrived"),
                appointment("room", "2026-06-16T09:20", "in_room"),
                appointment("done", "2026-06-16T09:00", "checked_out"),
                appointment("gone", "2026-06-16T08:40", "no_show"),
            ],
            "2026-06-16T10:30",
        );
        let list = arrivals_list(&v, "2026-06-16", "");
        let states: Vec<(&str, &str, &str)> = list.rows.iter().map(|r| (r.id.as_str(), r.state, r.action)).collect();
        assert_eq!(
            states,
            [
                ("late", "late", "Check in"),
                ("next", "expected", "Check in"),
                ("waiting", "arrived", "Open"),
                ("room", "in_room", "Open"),
                ("done", "done", "Open"),
                ("gone", "void", "Open"),
            ]
        );
        assert_eq!(list.rows[0].state_label, "Late 30 min");
        assert_eq!(list.rows[0].provider_name, "Ana Castillo, NP");
        assert_eq!(list.rows[5].state_label, "No-show");
        let c = &list.counts;
        assert_eq!((c.expected, c.late, c.arrived, c.in_room, c.done, c.void), (1, 1, 1, 1, 1, 1));
        assert!(list.is_today);
        assert_eq!(list.updated, "10:30");
        assert_eq!(list.refresh_href, "/schedule/arrivals?date=2026-06-16&part=list");
    }

    #[test]
    fn on_another_day_nobody_is_late_and_rows_open_the_appointment() {
        let mut v = view(vec![appointment("a", "2026-06-16T10:00", "confirmed")], "2026-06-16T10:30");
        v.today = at("2026-06-15T10:30").date();
        v.now = at("2026-06-15T10:30");
        let list = arrivals_list(&v, "2026-06-16", "");
        assert_eq!((list.rows[0].state, list.rows[0].action), ("expected", "Open"));
        assert!(!list.is_today);
    }
}
