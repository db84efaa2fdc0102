//! The front desk's side of an appointment: its page (patient, history, payments, what can happen
//! next), check-in with the co-pay, check-out with the follow-up, and receipts.
//!
//! Check-in is one transaction: the desk confirms the demographics and the insurance are current
//! (both recorded in the appointment's history), the co-pay taken is recorded as a payment with a
//! receipt number, and the appointment becomes `arrived`. The ledger entry for the payment (debit
//! undeposited funds, credit patient receivables) is the bookkeeping module's: `ledger_entry_id`
//! stays empty until it posts it. Check-out is one transaction too: `checked_out` and, when asked,
//! the follow-up booked under the usual booking rules.

use crate::ledger::{NewEntry, NewLine};
use crate::rescheduling::SlotSearch;
use crate::scheduling::{Attempt, BOOKING_ATTEMPTS, BookingRequest, appointment_view, load_types, parse_instant, required_id};
use crate::views::{AppointmentView, CoverageView, PatientView, SlotView};
use crate::{Actor, App, AppError, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::money::Money;
use medoffice_domain::scheduling::{AppointmentEvent, AppointmentStatus, EventKind, transition};
use medoffice_domain::security::Action;
use medoffice_store::front_desk::{self as payments, PaymentRow};
use medoffice_store::scheduling::{self as store, AppointmentEventRow, AppointmentRow, StatusChange};
use medoffice_store::{Connection, StoreError, new_id, next_counter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The largest co-pay taken at the desk in one payment: a guard against a typo ($2,500 for $25.00).
pub const MAX_DESK_PAYMENT_CENTS: i64 = 100_000;

/// Check-in as sent by the desk.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CheckInInput {
    /// The desk asked and the address, phones and e-mail on file are current.
    pub demographics_confirmed: bool,
    /// The desk saw the insurance card (or the patient is self-pay) and the coverage on file is current.
    pub insurance_confirmed: bool,
    /// The co-pay taken, e.g. `25.00`; blank when nothing is taken now.
    pub copay_amount: String,
    /// `cash`, `check`, `card` or `other`; needed with an amount.
    pub payment_method: String,
    /// A check number or the last four digits of a card.
    pub payment_reference: String,
}

/// Check-out as sent: optionally the follow-up to book.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CheckOutInput {
    /// The follow-up's start (RFC 3339 or local `YYYY-MM-DDTHH:MM`); blank for none.
    pub follow_up_start: String,
    /// Blank for the same provider.
    pub follow_up_provider_id: String,
    /// A type's id or name; blank for the standard visit.
    pub follow_up_type: String,
    pub follow_up_notes: String,
}

/// A payment taken at the desk.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub receipt_number: i64,
    pub patient_id: String,
    pub appointment_id: Option<String>,
    /// `copay`, `balance` or `prepayment`.
    pub purpose: String,
    pub amount_cents: i64,
    /// `$25.00`.
    pub amount: String,
    /// `cash`, `check`, `card` or `other`.
    pub method: String,
    pub reference: Option<String>,
    pub received_at: String,
    pub received_by: String,
    pub voided: bool,
    pub void_reason: Option<String>,
}

impl PaymentView {
    /// What the payment was for, in the words of a receipt.
    pub fn purpose_label(&self) -> &'static str {
        match self.purpose.as_str() {
            "copay" => "Co-pay",
            "balance" => "Payment on account",
            "prepayment" => "Prepayment",
            _ => "Payment",
        }
    }
}

/// What check-in did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedIn {
    pub appointment: AppointmentView,
    /// The co-pay taken, when one was.
    pub payment: Option<PaymentView>,
}

/// What check-out did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedOut {
    pub appointment: AppointmentView,
    pub follow_up: Option<AppointmentView>,
}

/// One line of an appointment's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: String,
    /// Who did it (the staff member's name).
    pub by: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// In words: "Booked", "Cancelled by the patient: Patient is ill"...
    pub summary: String,
}

/// Everything the appointment page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentDetail {
    pub appointment: AppointmentView,
    pub patient: PatientView,
    pub coverages: Vec<CoverageView>,
    /// The primary active coverage's co-pay, cents (0 when none).
    pub expected_copay_cents: i64,
    pub provider_name: String,
    pub location_name: String,
    pub history: Vec<HistoryEntry>,
    pub payments: Vec<PaymentView>,
    /// The steps allowed from the current status (`confirm`, `check_in`...).
    pub allowed_events: Vec<String>,
    pub rescheduled_to: Option<String>,
    pub rescheduled_from: Option<String>,
    pub series_id: Option<String>,
    /// The room the patient is in (or was taken to).
    pub room_name: Option<String>,
    /// The active rooms of the appointment's location: (id, name), for the "in room" step.
    pub rooms: Vec<RoomChoice>,
}

/// A room the patient can be taken to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomChoice {
    pub id: String,
    pub name: String,
}

/// A receipt for a payment, with what is printed on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    pub payment: PaymentView,
    pub practice_name: String,
    pub practice_address: Option<String>,
    pub practice_phone: Option<String>,
    pub patient_name: String,
    pub patient_mrn: String,
    /// The visit the payment is for: `2026-06-16 09:00 Office visit with Dr. ...`.
    pub visit: Option<String>,
}

impl App {
    /// The appointment with its patient, history, payments and next steps. Audited as a chart read.
    pub async fn appointment_detail(&self, actor: &Actor, appointment_id: &str) -> Result<AppointmentDetail> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        self.authorize(actor, Action::ReadPatient, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let row = store::get_appointment(&mut tx, practice_id, appointment_id).await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, &row.patient_id).await?;
        let today = actor.today(self.now()).to_string();
        let coverages: Vec<CoverageView> = medoffice_store::patients::coverages_of(&mut tx, practice_id, &row.patient_id)
            .await?
            .iter()
            .map(|c| CoverageView::from_row(c, &today))
            .collect();
        let expected_copay_cents = expected_copay(&coverages);
        let providers = medoffice_store::practice::list_providers(&mut tx, practice_id).await?;
        let provider_name = providers
            .iter()
            .find(|p| p.id == row.provider_id)
            .map(|p| {
                format!("{} {}{}", p.given_name, p.family_name, p.credentials.as_deref().map(|c| format!(", {c}")).unwrap_or_default())
            })
            .unwrap_or_else(|| row.provider_id.clone());
        let location_name = store::list_locations(&mut tx, practice_id)
            .await?
            .into_iter()
            .find(|l| l.id == row.location_id)
            .map(|l| l.name)
            .unwrap_or_default();
        let events = store::list_appointment_events(&mut tx, practice_id, appointment_id).await?;
        let mut names = UserNames::default();
        let mut history = Vec::with_capacity(events.len());
        for e in &events {
            history.push(HistoryEntry {
                at: local_stamp(&e.at, actor.timezone),
                by: names.of(&mut tx, practice_id, e.user_id.as_deref()).await?,
                from_status: e.from_status.clone(),
                to_status: e.to_status.clone(),
                summary: summarize(e),
            });
        }
        let mut payment_views = Vec::new();
        for p in payments::payments_of_appointment(&mut tx, practice_id, appointment_id).await? {
            let by = names.of(&mut tx, practice_id, Some(&p.received_by)).await?;
            payment_views.push(payment_view(&p, by, actor.timezone));
        }
        let types = load_types(&mut tx, practice_id).await?;
        let status = row.status()?;
        let all_rooms = medoffice_store::schedule_setup::list_rooms(&mut tx, practice_id).await?;
        let room_name = row.room_id.as_ref().and_then(|id| all_rooms.iter().find(|r| &r.id == id)).map(|r| r.name.clone());
        let rooms = all_rooms
            .into_iter()
            .filter(|r| r.location_id == row.location_id && r.active == 1)
            .map(|r| RoomChoice { id: r.id, name: r.name })
            .collect();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.read",
                patient_id: Some(&row.patient_id),
                record_type: "appointment",
                record_id: Some(appointment_id),
                detail: format!("{} {} ({} history entries)", row.start_at, row.status, history.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(AppointmentDetail {
            appointment: appointment_view(&row, &types, actor.timezone),
            patient: PatientView::from(&patient),
            coverages,
            expected_copay_cents,
            provider_name,
            location_name,
            history,
            payments: payment_views,
            allowed_events: status.allowed_events().into_iter().map(|k| k.as_str().to_string()).collect(),
            rescheduled_to: row.rescheduled_to.clone(),
            rescheduled_from: row.rescheduled_from.clone(),
            series_id: row.series_id.clone(),
            room_name,
            rooms,
        })
    }

    /// Takes the patient to a room: the appointment becomes `in_room`, with the room when one is
    /// named (an active room of the appointment's location). One transaction.
    pub async fn room_patient(&self, actor: &Actor, appointment_id: &str, room_id: &str) -> Result<AppointmentView> {
        self.authorize(actor, Action::BookAppointments, None).await?;
        let practice_id = actor.practice_id.as_str();
        let room_id = room_id.trim();
        let mut tx = self.store.begin().await?;
        let before = store::get_appointment(&mut tx, practice_id, appointment_id).await?;
        let room = if room_id.is_empty() {
            None
        } else {
            match medoffice_store::schedule_setup::get_room(&mut tx, practice_id, room_id).await {
                Ok(r) if r.location_id == before.location_id && r.active == 1 => Some(r),
                Ok(_) => return Err(ValidationErrors::single("room_id", "choose an open room of this appointment's location").into()),
                Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("room_id", "no such room").into()),
                Err(other) => return Err(other.into()),
            }
        };
        let from = before.status()?;
        let to = transition(from, &AppointmentEvent::Room).map_err(|t| AppError::Conflict(t.to_string()))?;
        let now = self.now_text();
        let mut after = versioned_status(&mut tx, practice_id, &before, to, &now).await?;
        if let Some(r) = &room {
            after = store::set_room(&mut tx, practice_id, appointment_id, after.version, &r.id, &now).await?;
        }
        let detail = serde_json::json!({ "event": "room", "room_id": room.as_ref().map(|r| r.id.clone()), "room": room.as_ref().map(|r| r.name.clone()) });
        append_event(&mut tx, actor, appointment_id, from, to, &detail, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.status",
                patient_id: Some(&before.patient_id),
                record_type: "appointment",
                record_id: Some(appointment_id),
                detail: format!(
                    "{} -> {} (room{})",
                    from.as_str(),
                    to.as_str(),
                    room.as_ref().map(|r| format!(" {}", r.name)).unwrap_or_default()
                ),
            },
        )
        .await?;
        let types = load_types(&mut tx, practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(appointment_view(&after, &types, actor.timezone))
    }

    /// A patient's appointments, newest first (at most 50): the chart's list. Audited as a read.
    pub async fn patient_appointments(&self, actor: &Actor, patient_id: &str) -> Result<Vec<AppointmentView>> {
        self.authorize(actor, Action::ReadAppointments, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let rows = store::list_patient_appointments(&mut tx, practice_id, patient_id, 50).await?;
        let types = load_types(&mut tx, practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.list",
                patient_id: Some(patient_id),
                record_type: "appointment",
                record_id: None,
                detail: format!("the patient's appointments ({})", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(|r| appointment_view(r, &types, actor.timezone)).collect())
    }

    /// Checks the patient in: demographics and insurance confirmed, the co-pay (if any) recorded
    /// with a receipt number, the appointment `arrived`; one transaction.
    pub async fn check_in(&self, actor: &Actor, appointment_id: &str, input: &CheckInInput) -> Result<CheckedIn> {
        self.authorize(actor, Action::BookAppointments, None).await?;
        let mut e = ValidationErrors::new();
        if !input.demographics_confirmed {
            e.add("demographics_confirmed", "ask the patient and confirm the address, phone and e-mail are current");
        }
        if !input.insurance_confirmed {
            e.add("insurance_confirmed", "look at the insurance card (or confirm self-pay) before checking in");
        }
        let amount = if input.copay_amount.trim().is_empty() {
            None
        } else {
            match Money::parse(&input.copay_amount) {
                Ok(m) if m.cents() <= 0 => {
                    e.add("copay_amount", "the amount must be more than zero (leave it blank when nothing is taken)");
                    None
                }
                Ok(m) if m.cents() > MAX_DESK_PAYMENT_CENTS => {
                    e.add("copay_amount", format!("at most {} at the desk; check the amount", Money::from_cents(MAX_DESK_PAYMENT_CENTS)));
                    None
                }
                Ok(m) => Some(m),
                Err(message) => {
                    e.add("copay_amount", message);
                    None
                }
            }
        };
        let method = input.payment_method.trim().to_ascii_lowercase();
        if !input.copay_amount.trim().is_empty() && !matches!(method.as_str(), "cash" | "check" | "card" | "other") {
            e.add("payment_method", "choose how it was paid: cash, check, card or other");
        }
        let reference = input.payment_reference.trim();
        if reference.chars().count() > 40 {
            e.add("payment_reference", "at most 40 characters");
        }
        if method == "check" && amount.is_some() && reference.is_empty() {
            e.add("payment_reference", "enter the check number");
        }
        if reference.chars().filter(char::is_ascii_digit).count() > 4 && method == "card" {
            e.add("payment_reference", "only the last four digits of a card, never the whole number");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        if amount.is_some() {
            self.authorize(actor, Action::TakePayments, None).await?;
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let before = store::get_appointment(&mut tx, practice_id, appointment_id).await?;
        let from = before.status()?;
        let to = transition(from, &AppointmentEvent::CheckIn).map_err(|t| AppError::Conflict(t.to_string()))?;
        let today = actor.today(self.now()).to_string();
        let coverages: Vec<CoverageView> = medoffice_store::patients::coverages_of(&mut tx, practice_id, &before.patient_id)
            .await?
            .iter()
            .map(|c| CoverageView::from_row(c, &today))
            .collect();
        let expected = expected_copay(&coverages);
        let now = self.now_text();
        let after = versioned_status(&mut tx, practice_id, &before, to, &now).await?;
        let payment = match amount {
            None => None,
            Some(amount) => {
                let row = PaymentRow {
                    practice_id: practice_id.to_string(),
                    id: new_id(),
                    patient_id: before.patient_id.clone(),
                    appointment_id: Some(appointment_id.to_string()),
                    purpose: "copay".into(),
                    amount_cents: amount.cents(),
                    method: method.clone(),
                    reference: (!reference.is_empty()).then(|| reference.to_string()),
                    receipt_number: next_counter(&mut tx, practice_id, "receipt").await?,
                    received_at: now.clone(),
                    received_by: actor.user_id.clone(),
                    ledger_entry_id: None,
                    voided_at: None,
                    voided_by: None,
                    void_reason: None,
                };
                payments::insert_payment(&mut tx, &row).await?;
                // The money event's journal entry, in the same transaction (product.md: a co-pay
                // collected at the desk debits Undeposited funds and credits AR - Patients until
                // the visit's patient share is known).
                let posted = self
                    .post_entry(
                        &mut tx,
                        practice_id,
                        &NewEntry {
                            date: Some(actor.today(self.now())),
                            memo: format!("Co-pay, receipt {} ({})", row.receipt_number, row.method),
                            source_kind: "copay".into(),
                            source_id: Some(row.id.clone()),
                            idempotency_key: Some(format!("copay:{}", row.id)),
                            reversal_of: None,
                            posted_by: actor.user_id.clone(),
                            lines: vec![
                                NewLine {
                                    patient_id: Some(row.patient_id.clone()),
                                    ..NewLine::debit(accounts::UNDEPOSITED_FUNDS, row.amount_cents)
                                },
                                NewLine {
                                    patient_id: Some(row.patient_id.clone()),
                                    ..NewLine::credit(accounts::AR_PATIENTS, row.amount_cents)
                                },
                            ],
                        },
                    )
                    .await?;
                payments::set_ledger_entry(&mut tx, practice_id, &row.id, &posted.entry.id).await?;
                let row = PaymentRow { ledger_entry_id: Some(posted.entry.id.clone()), ..row };
                self.audit(
                    &mut tx,
                    actor,
                    AuditNote {
                        action: "payment.create",
                        patient_id: Some(&before.patient_id),
                        record_type: "patient_payment",
                        record_id: Some(&row.id),
                        detail: format!("co-pay {} by {} (receipt {})", amount, row.method, row.receipt_number),
                    },
                )
                .await?;
                Some(row)
            }
        };
        let detail = serde_json::json!({
            "event": "check_in",
            "demographics_confirmed": true,
            "insurance_confirmed": true,
            "expected_copay_cents": expected,
            "copay_cents": payment.as_ref().map(|p| p.amount_cents),
            "payment_id": payment.as_ref().map(|p| p.id.clone()),
            "receipt_number": payment.as_ref().map(|p| p.receipt_number),
        });
        append_event(&mut tx, actor, appointment_id, from, to, &detail, &now).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.status",
                patient_id: Some(&before.patient_id),
                record_type: "appointment",
                record_id: Some(appointment_id),
                detail: format!(
                    "{} -> {} (check_in; co-pay {} of {} expected)",
                    from.as_str(),
                    to.as_str(),
                    Money::from_cents(payment.as_ref().map(|p| p.amount_cents).unwrap_or(0)),
                    Money::from_cents(expected)
                ),
            },
        )
        .await?;
        let types = load_types(&mut tx, practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(CheckedIn {
            appointment: appointment_view(&after, &types, actor.timezone),
            payment: payment.map(|p| payment_view(&p, actor.display_name.clone(), actor.timezone)),
        })
    }

    /// Checks the patient out and, when a follow-up time is given, books the follow-up under the
    /// usual rules, in one transaction.
    pub async fn check_out(&self, actor: &Actor, appointment_id: &str, input: &CheckOutInput) -> Result<CheckedOut> {
        self.authorize(actor, Action::BookAppointments, None).await?;
        let tz = actor.timezone;
        let mut e = ValidationErrors::new();
        let follow_up_start = if input.follow_up_start.trim().is_empty() {
            None
        } else {
            e.check("follow_up_start", parse_instant(&input.follow_up_start, tz))
        };
        let follow_up_provider = if input.follow_up_provider_id.trim().is_empty() {
            None
        } else {
            e.check("follow_up_provider_id", required_id(&input.follow_up_provider_id, ""))
        };
        let notes = input.follow_up_notes.trim();
        if notes.chars().count() > crate::scheduling::MAX_NOTES_CHARS {
            e.add("follow_up_notes", format!("at most {} characters", crate::scheduling::MAX_NOTES_CHARS));
        }
        if let Some(start) = follow_up_start
            && start < self.now().with_timezone(&tz).naive_local()
        {
            e.add("follow_up_start", "that time has passed; choose a time from now on");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_check_out(actor, appointment_id, follow_up_start, follow_up_provider.as_deref(), input, notes).await {
                Err(Attempt::Transient) if attempt < BOOKING_ATTEMPTS => continue,
                Err(other) => return Err(rename_follow_up_fields(other.into_app_error())),
                Ok(done) => return Ok(done),
            }
        }
    }

    async fn try_check_out(
        &self,
        actor: &Actor,
        appointment_id: &str,
        follow_up_start: Option<chrono::NaiveDateTime>,
        follow_up_provider: Option<&str>,
        input: &CheckOutInput,
        notes: &str,
    ) -> std::result::Result<CheckedOut, Attempt> {
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await.map_err(Attempt::store)?;
        let before = store::get_appointment(&mut tx, practice_id, appointment_id).await.map_err(Attempt::store)?;
        let from = before.status().map_err(Attempt::store)?;
        let to = transition(from, &AppointmentEvent::CheckOut).map_err(|t| Attempt::Failed(AppError::Conflict(t.to_string())))?;
        let now = self.now_text();
        let after = versioned_status(&mut tx, practice_id, &before, to, &now).await.map_err(Attempt::Failed)?;
        let follow_up = match follow_up_start {
            None => None,
            Some(start) => {
                let request = BookingRequest {
                    patient_id: &before.patient_id,
                    provider_id: follow_up_provider.unwrap_or(&before.provider_id),
                    start,
                    type_text: &input.follow_up_type,
                    notes: (!notes.is_empty()).then_some(notes),
                    ..Default::default()
                };
                Some(self.insert_booking(&mut tx, actor, &request).await?.0)
            }
        };
        let detail = serde_json::json!({ "event": "check_out", "follow_up": follow_up.as_ref().map(|f| f.id.clone()) });
        append_event(&mut tx, actor, appointment_id, from, to, &detail, &now).await.map_err(Attempt::Failed)?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "appointment.status",
                patient_id: Some(&before.patient_id),
                record_type: "appointment",
                record_id: Some(appointment_id),
                detail: format!(
                    "{} -> {} (check_out{})",
                    from.as_str(),
                    to.as_str(),
                    follow_up.as_ref().map(|f| format!("; follow-up {}", f.start_at)).unwrap_or_default()
                ),
            },
        )
        .await
        .map_err(Attempt::Failed)?;
        let types = load_types(&mut tx, practice_id).await.map_err(Attempt::store)?;
        tx.commit().await.map_err(|e| Attempt::store(StoreError::from(e)))?;
        Ok(CheckedOut {
            appointment: appointment_view(&after, &types, actor.timezone),
            follow_up: follow_up.map(|f| appointment_view(&f, &types, actor.timezone)),
        })
    }

    /// Open times for a follow-up `weeks` weeks after the appointment, with its provider: what the
    /// check-out form offers.
    pub async fn follow_up_suggestions(&self, actor: &Actor, appointment_id: &str, weeks: u32, type_text: &str) -> Result<Vec<SlotView>> {
        self.authorize(actor, Action::ReadAppointments, None).await?;
        let row = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            store::get_appointment(&mut conn, &actor.practice_id, appointment_id).await?
        };
        let start = row.interval()?.start().date();
        let today = actor.today(self.now());
        let from = (start + chrono::Duration::weeks(i64::from(weeks.min(104)))).max(today);
        let search = SlotSearch {
            provider_id: row.provider_id.clone(),
            appointment_type: type_text.to_string(),
            from: from.to_string(),
            to: (from + chrono::Duration::days(14)).to_string(),
            max_results: "8".into(),
            ..Default::default()
        };
        self.search_open_slots(actor, &search).await
    }

    /// A payment's receipt (printed or handed over). Audited as a read of the patient's record.
    pub async fn payment_receipt(&self, actor: &Actor, payment_id: &str) -> Result<Receipt> {
        self.authorize(actor, Action::TakePayments, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let p = payments::get_payment(&mut tx, practice_id, payment_id).await?;
        let patient = PatientView::from(&medoffice_store::patients::get(&mut tx, practice_id, &p.patient_id).await?);
        let practice = medoffice_store::practice::get(&mut tx, practice_id).await?;
        let visit = match &p.appointment_id {
            None => None,
            Some(id) => {
                let a = store::get_appointment(&mut tx, practice_id, id).await?;
                let types = load_types(&mut tx, practice_id).await?;
                let type_name =
                    types.iter().find(|t| t.id.as_str() == a.appointment_type_id).map(|t| t.data.name.clone()).unwrap_or_default();
                let provider = medoffice_store::practice::list_providers(&mut tx, practice_id)
                    .await?
                    .into_iter()
                    .find(|x| x.id == a.provider_id)
                    .map(|x| format!("{} {}", x.given_name, x.family_name))
                    .unwrap_or_default();
                Some(format!("{} {} with {}", a.start_at.replace('T', " "), type_name, provider))
            }
        };
        let by = UserNames::default().of(&mut tx, practice_id, Some(&p.received_by)).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payment.receipt",
                patient_id: Some(&p.patient_id),
                record_type: "patient_payment",
                record_id: Some(payment_id),
                detail: format!("receipt {}", p.receipt_number),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let address = [practice.address_line1.clone(), practice.city.clone(), practice.state.clone(), practice.postal_code.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        Ok(Receipt {
            payment: payment_view(&p, by, actor.timezone),
            practice_name: practice.name,
            practice_address: (!address.is_empty()).then(|| address.join(", ")),
            practice_phone: practice
                .phone
                .map(|digits| medoffice_domain::patients::Phone::parse(&digits).map(|p| p.display()).unwrap_or(digits)),
            patient_name: patient.display_name(),
            patient_mrn: patient.mrn,
            visit,
        })
    }

    /// E-mails a payment's receipt to the patient's address on file, through the practice's SMTP
    /// server. Answers the address it went to; a refusal or an unreachable server is an error
    /// with the server's words (never reported as sent). Audited either way.
    pub async fn email_receipt(&self, actor: &Actor, payment_id: &str) -> Result<String> {
        let receipt = self.payment_receipt(actor, payment_id).await?;
        let practice_id = actor.practice_id.as_str();
        let (email, config) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let patient = medoffice_store::patients::get(&mut conn, practice_id, &receipt.payment.patient_id).await?;
            let smtp = medoffice_store::reminders::get_smtp(&mut conn, practice_id).await?;
            (patient.email, smtp.as_ref().and_then(crate::reminders::smtp_config))
        };
        let Some(to) = email.filter(|e| !e.trim().is_empty()) else {
            return Err(ValidationErrors::single("email", "the patient has no e-mail address on file; print the receipt instead").into());
        };
        let Some(config) = config else {
            return Err(AppError::Conflict("e-mail is not set up for the practice yet (Admin → E-mail); print the receipt instead".into()));
        };
        let p = &receipt.payment;
        let body = format!(
            "{practice}\n{address}{phone}\nRECEIPT No. {number}{voided}\n\nReceived from: {patient}\nDate: {date}\nFor: {purpose}{visit}\n\
             Paid by: {method}{reference}\nAmount received: {amount}\n\nThank you. Keep this receipt for your records.\n",
            practice = receipt.practice_name,
            address = receipt.practice_address.as_deref().map(|a| format!("{a}\n")).unwrap_or_default(),
            phone = receipt.practice_phone.as_deref().map(|ph| format!("{ph}\n")).unwrap_or_default(),
            number = p.receipt_number,
            voided = if p.voided { " (VOIDED)" } else { "" },
            patient = receipt.patient_name,
            date = p.received_at,
            purpose = p.purpose_label(),
            visit = receipt.visit.as_deref().map(|v| format!(", visit of {v}")).unwrap_or_default(),
            method = p.method,
            reference = p.reference.as_deref().map(|r| format!(" {r}")).unwrap_or_default(),
            amount = p.amount,
        );
        let message = crate::mailer::Email {
            to: to.clone(),
            to_name: Some(receipt.patient_name.clone()),
            subject: format!("Your receipt from {} (No. {})", receipt.practice_name, p.receipt_number),
            body,
        };
        let outcome = crate::mailer::send(&config, &message).await;
        let mut tx = self.store.begin().await?;
        let detail = match &outcome {
            Ok(reply) => format!("receipt {} e-mailed to {to}: {reply}", p.receipt_number),
            Err(e) => format!("receipt {} NOT e-mailed to {to}: {}", p.receipt_number, e.message),
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if outcome.is_ok() { "payment.receipt_emailed" } else { "payment.receipt_email_failed" },
                patient_id: Some(&p.patient_id),
                record_type: "patient_payment",
                record_id: Some(payment_id),
                detail,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        match outcome {
            Ok(_) => Ok(to),
            Err(e) => Err(AppError::Conflict(format!("the receipt was not e-mailed: {}", e.message))),
        }
    }

    /// Voids a payment taken by mistake (it stays on record, struck through, with the reason).
    pub async fn void_payment(&self, actor: &Actor, payment_id: &str, reason: &str) -> Result<PaymentView> {
        self.authorize(actor, Action::TakePayments, None).await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(ValidationErrors::single("reason", "say why the payment is voided (at most 200 characters)").into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let row = payments::void_payment(&mut tx, practice_id, payment_id, &now, &actor.user_id, reason).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict("this payment is already voided".into()),
            other => other.into(),
        })?;
        if let Some(original) = &row.ledger_entry_id {
            self.post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(actor.today(self.now())),
                    memo: format!(
                        "{} voided, receipt {}: {reason}",
                        if row.purpose == "copay" { "Co-pay" } else { "Payment" },
                        row.receipt_number
                    ),
                    source_kind: "copay_void".into(),
                    source_id: Some(row.id.clone()),
                    idempotency_key: Some(format!("copay-void:{}", row.id)),
                    reversal_of: Some(original.clone()),
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine { patient_id: Some(row.patient_id.clone()), ..NewLine::debit(accounts::AR_PATIENTS, row.amount_cents) },
                        NewLine {
                            patient_id: Some(row.patient_id.clone()),
                            ..NewLine::credit(accounts::UNDEPOSITED_FUNDS, row.amount_cents)
                        },
                    ],
                },
            )
            .await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payment.void",
                patient_id: Some(&row.patient_id),
                record_type: "patient_payment",
                record_id: Some(payment_id),
                detail: format!("receipt {} {}: {reason}", row.receipt_number, Money::from_cents(row.amount_cents)),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(payment_view(&row, actor.display_name.clone(), actor.timezone))
    }
}

/// The primary active coverage's co-pay, or 0 (self-pay, or no coverage in force).
fn expected_copay(coverages: &[CoverageView]) -> i64 {
    coverages.iter().filter(|c| c.active).min_by_key(|c| c.priority).map(|c| c.copay_cents).unwrap_or(0)
}

/// The status change under the row's version: someone else's change in between is a conflict.
async fn versioned_status(
    tx: &mut Connection,
    practice_id: &str,
    before: &AppointmentRow,
    to: AppointmentStatus,
    now: &str,
) -> Result<AppointmentRow> {
    store::update_status(
        tx,
        practice_id,
        &before.id,
        before.version,
        &StatusChange { status: to.as_str(), updated_at: now, ..Default::default() },
    )
    .await
    .map_err(crate::scheduling::booking_store_error)
}

async fn append_event(
    tx: &mut Connection,
    actor: &Actor,
    appointment_id: &str,
    from: AppointmentStatus,
    to: AppointmentStatus,
    detail: &serde_json::Value,
    now: &str,
) -> Result<()> {
    store::append_appointment_event(
        tx,
        &AppointmentEventRow {
            practice_id: actor.practice_id.clone(),
            appointment_id: appointment_id.to_string(),
            seq: 0,
            at: now.to_string(),
            user_id: Some(actor.user_id.clone()),
            from_status: Some(from.as_str().to_string()),
            to_status: to.as_str().to_string(),
            detail: detail.to_string(),
        },
    )
    .await?;
    Ok(())
}

/// A follow-up's booking errors name the check-out form's fields.
fn rename_follow_up_fields(e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => {
            let mut renamed = ValidationErrors::new();
            for f in errors.errors {
                let field = match f.field.as_str() {
                    "start" | "end" => "follow_up_start".to_string(),
                    "provider_id" => "follow_up_provider_id".to_string(),
                    "appointment_type" => "follow_up_type".to_string(),
                    "notes" => "follow_up_notes".to_string(),
                    other => other.to_string(),
                };
                renamed.add(&field, f.message);
            }
            AppError::Validation(renamed)
        }
        other => other,
    }
}

/// Staff names by user id, read once each.
#[derive(Default)]
struct UserNames(HashMap<String, String>);

impl UserNames {
    async fn of(&mut self, conn: &mut Connection, practice_id: &str, user_id: Option<&str>) -> Result<String> {
        let Some(id) = user_id else { return Ok("medoffice".into()) };
        if let Some(name) = self.0.get(id) {
            return Ok(name.clone());
        }
        let name = match medoffice_store::users::get(conn, practice_id, id).await {
            Ok(u) => u.display_name,
            Err(StoreError::NotFound(_)) => id.to_string(),
            Err(other) => return Err(other.into()),
        };
        self.0.insert(id.to_string(), name.clone());
        Ok(name)
    }
}

/// An RFC 3339 UTC timestamp as the practice's local `YYYY-MM-DD HH:MM`.
fn local_stamp(at: &str, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| at.to_string())
}

fn payment_view(p: &PaymentRow, received_by: String, tz: chrono_tz::Tz) -> PaymentView {
    PaymentView {
        id: p.id.clone(),
        receipt_number: p.receipt_number,
        patient_id: p.patient_id.clone(),
        appointment_id: p.appointment_id.clone(),
        purpose: p.purpose.clone(),
        amount_cents: p.amount_cents,
        amount: Money::from_cents(p.amount_cents).to_string(),
        method: p.method.clone(),
        reference: p.reference.clone(),
        received_at: local_stamp(&p.received_at, tz),
        received_by,
        voided: p.voided_at.is_some(),
        void_reason: p.void_reason.clone(),
    }
}

/// An event of the history in words.
fn summarize(e: &AppointmentEventRow) -> String {
    let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
    let text = |key: &str| detail.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let kind = detail.get("event").and_then(|v| v.as_str()).unwrap_or("");
    match kind {
        "book" => {
            let mut s = format!("Booked for {}", text("start").replace('T', " "));
            if detail.get("overbook").and_then(|v| v.as_bool()).unwrap_or(false) {
                s.push_str(" (overbook)");
            }
            if !text("rescheduled_from").is_empty() {
                s.push_str(", moved from an earlier appointment");
            }
            if !text("series_id").is_empty() {
                s.push_str(", part of a recurring series");
            }
            s
        }
        "cancel" => {
            let by = if text("by") == "practice" { "the practice" } else { "the patient" };
            format!("Cancelled by {by}: {}", text("reason"))
        }
        "reschedule" => {
            let by = if text("by") == "practice" { "the practice" } else { "the patient" };
            let reason = text("reason");
            format!(
                "Rescheduled to {} at the request of {by}{}",
                text("new_start").replace('T', " "),
                if reason.is_empty() { String::new() } else { format!(": {reason}") }
            )
        }
        "check_in" => {
            let paid = detail.get("copay_cents").and_then(|v| v.as_i64());
            let expected = detail.get("expected_copay_cents").and_then(|v| v.as_i64()).unwrap_or(0);
            let money = match paid {
                Some(c) => format!(
                    "co-pay {} taken (receipt {})",
                    Money::from_cents(c),
                    detail.get("receipt_number").and_then(|v| v.as_i64()).unwrap_or(0)
                ),
                None if expected > 0 => format!("co-pay {} not taken", Money::from_cents(expected)),
                None => "no co-pay due".to_string(),
            };
            format!("Checked in; demographics and insurance confirmed; {money}")
        }
        "check_out" => match detail.get("follow_up").and_then(|v| v.as_str()) {
            Some(_) => "Checked out; follow-up booked".into(),
            None => "Checked out".into(),
        },
        _ => {
            let step = EventKind::ALL.into_iter().find(|k| k.as_str() == kind);
            match step {
                Some(EventKind::Confirm) => "Confirmed".into(),
                Some(EventKind::Room) => match detail.get("room").and_then(|v| v.as_str()) {
                    Some(room) => format!("Taken to {room}"),
                    None => "Taken to a room".into(),
                },
                Some(EventKind::Complete) => "Completed".into(),
                Some(EventKind::NoShow) => "Marked as a no-show".into(),
                _ => format!("{} → {}", e.from_status.as_deref().unwrap_or("new"), e.to_status),
            }
        }
    }
}
