//! Payment plans (issue 7): a patient agrees to pay a total in monthly installments on a day of
//! the month from a start date. The schedule is derived ([`schedule`]); so is whether an
//! installment was missed ([`installment_states`]): by its due day plus [`GRACE_DAYS`], the
//! patient's payments since the plan's start (patient payments not voided, which still go through
//! the usual payment use case and post to AR - Patients) must cover every installment due so
//! far. A missed installment flags the plan (and the worklist, and the dunning run no longer
//! skips the patient) until payments catch up. A plan completes when the patient's balance is
//! paid (or the plan's total is); it can be cancelled with a reason. One active plan per patient.

use crate::collections::{amount_field, date_field};
use crate::receivables::patient_due_open_items_in;
use crate::views::PatientView;
use crate::{Actor, App, AuditNote, Result};
use chrono::{Datelike, Months, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::collections::{self as store, PlanRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Days after an installment's due day before it counts as missed.
pub const GRACE_DAYS: i64 = 5;

/// The most installments a plan may have (ten years).
pub const MAX_INSTALLMENTS: i64 = 120;

/// A plan as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PaymentPlanInput {
    pub patient_id: String,
    /// The total to pay, e.g. `600.00`; at most the patient's balance. Blank: the balance.
    pub total: String,
    /// Each month's installment, e.g. `50.00`.
    pub monthly_amount: String,
    /// 1 to 28.
    pub day_of_month: String,
    /// `YYYY-MM-DD`; blank for today.
    pub start_date: String,
}

/// One installment of a plan and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct InstallmentView {
    pub number: i64,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub amount_cents: i64,
    pub amount: String,
    /// `paid`, `paid_late`, `missed`, `due` (not yet past its grace days) or `upcoming`.
    pub status: String,
}

/// A plan as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub total_cents: i64,
    pub monthly_cents: i64,
    pub total: String,
    pub monthly: String,
    pub day_of_month: i64,
    pub start_date: String,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
    /// An installment is missed and not caught up.
    pub missed: bool,
    /// Paid since the plan's start, cents.
    pub paid_cents: i64,
    pub paid: String,
    pub installments: Vec<InstallmentView>,
    pub cancel_reason: Option<String>,
    pub completed_on: Option<String>,
    pub cancelled_on: Option<String>,
}

/// The installments of a plan: (due date, cents), the last one the remainder. The first is due
/// on the first `day_of_month` on or after the start.
pub fn schedule(total_cents: i64, monthly_cents: i64, day_of_month: u32, start: NaiveDate) -> Vec<(NaiveDate, i64)> {
    if total_cents <= 0 || monthly_cents <= 0 {
        return Vec::new();
    }
    let Some(mut first) = start.with_day(day_of_month) else { return Vec::new() };
    if first < start {
        first = first.checked_add_months(Months::new(1)).unwrap_or(first);
    }
    let mut out = Vec::new();
    let mut left = total_cents;
    let mut k = 0u32;
    while left > 0 && i64::from(k) < MAX_INSTALLMENTS {
        let Some(due) = first.checked_add_months(Months::new(k)) else { break };
        let amount = left.min(monthly_cents);
        out.push((due, amount));
        left -= amount;
        k += 1;
    }
    out
}

/// Each installment's status on `today` from the payments since the start (date, cents), and
/// whether the plan is flagged (an installment missed and not caught up).
pub fn installment_states(installments: &[(NaiveDate, i64)], payments: &[(NaiveDate, i64)], today: NaiveDate) -> (Vec<&'static str>, bool) {
    let paid_by = |day: NaiveDate| payments.iter().filter(|(d, _)| *d <= day).map(|(_, c)| c).sum::<i64>();
    let paid_now = paid_by(today);
    let mut due_so_far = 0;
    let mut flagged = false;
    let mut out = Vec::with_capacity(installments.len());
    for (due, cents) in installments {
        due_so_far += cents;
        let deadline = *due + chrono::Days::new(GRACE_DAYS.unsigned_abs());
        let status = if deadline < today {
            let on_time = paid_by(deadline) >= due_so_far;
            match (on_time, paid_now >= due_so_far) {
                (true, _) => "paid",
                (false, true) => "paid_late",
                (false, false) => {
                    flagged = true;
                    "missed"
                }
            }
        } else if paid_now >= due_so_far {
            "paid"
        } else if *due <= today {
            "due"
        } else {
            "upcoming"
        };
        out.push(status);
    }
    (out, flagged)
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

impl App {
    /// A plan with its schedule and state on `today`; an active plan whose balance is paid is
    /// marked completed here (in the caller's transaction).
    pub(crate) async fn plan_view_in(&self, conn: &mut Connection, plan: PlanRow, today: NaiveDate) -> Result<PlanView> {
        let start = NaiveDate::parse_from_str(&plan.start_date, "%Y-%m-%d").unwrap_or(today);
        let installments = schedule(plan.total_cents, plan.monthly_cents, u32::try_from(plan.day_of_month).unwrap_or(1), start);
        let payments: Vec<(NaiveDate, i64)> = store::payments_of(conn, &plan.practice_id, &plan.patient_id)
            .await?
            .into_iter()
            .filter_map(|(d, c)| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok().map(|d| (d, c)))
            .filter(|(d, _)| *d >= start)
            .collect();
        let paid_cents: i64 = payments.iter().filter(|(d, _)| *d <= today).map(|(_, c)| c).sum();
        let (states, missed) = installment_states(&installments, &payments, today);
        let mut plan = plan;
        if plan.status == "active" {
            let balance = patient_due_open_items_in(conn, &plan.practice_id, &plan.patient_id, today).await?.balance_cents();
            if (balance <= 0 || paid_cents >= plan.total_cents)
                && store::close_plan(conn, &plan.practice_id, &plan.id, "completed", &today.to_string(), None).await?
            {
                plan.status = "completed".into();
                plan.completed_on = Some(today.to_string());
            }
        }
        let patient = medoffice_store::patients::get(conn, &plan.practice_id, &plan.patient_id).await?;
        Ok(PlanView {
            patient_name: PatientView::from(&patient).display_name(),
            total: money(plan.total_cents),
            monthly: money(plan.monthly_cents),
            missed: missed && plan.status == "active",
            paid: money(paid_cents),
            paid_cents,
            installments: installments
                .iter()
                .zip(states)
                .enumerate()
                .map(|(i, ((due, cents), status))| InstallmentView {
                    number: i64::try_from(i).unwrap_or(0) + 1,
                    due_date: due.to_string(),
                    amount_cents: *cents,
                    amount: money(*cents),
                    status: status.to_string(),
                })
                .collect(),
            id: plan.id,
            patient_id: plan.patient_id,
            total_cents: plan.total_cents,
            monthly_cents: plan.monthly_cents,
            day_of_month: plan.day_of_month,
            start_date: plan.start_date,
            status: plan.status,
            cancel_reason: plan.cancel_reason,
            completed_on: plan.completed_on,
            cancelled_on: plan.cancelled_on,
        })
    }

    /// The active plans (still active after completion is checked) by patient.
    pub(crate) async fn active_plans_in(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        today: NaiveDate,
    ) -> Result<HashMap<String, PlanView>> {
        let mut out = HashMap::new();
        for p in store::plans(conn, practice_id, "active", None).await? {
            let v = self.plan_view_in(conn, p, today).await?;
            if v.status == "active" {
                out.insert(v.patient_id.clone(), v);
            }
        }
        Ok(out)
    }

    /// Sets up a payment plan for a patient who owes a balance. Audited.
    pub async fn create_payment_plan(&self, actor: &Actor, input: &PaymentPlanInput) -> Result<PlanView> {
        self.authorize(actor, Action::ManageReceivables, Some(input.patient_id.trim())).await?;
        let today = actor.today(self.now());
        let mut e = ValidationErrors::new();
        let patient_id = input.patient_id.trim();
        if patient_id.is_empty() {
            e.add("patient_id", "choose the patient");
        }
        let total = if input.total.trim().is_empty() { None } else { Some(amount_field("total", &input.total, &mut e)) };
        let monthly = amount_field("monthly_amount", &input.monthly_amount, &mut e);
        let day = match input.day_of_month.trim().parse::<i64>() {
            Ok(d) if (1..=28).contains(&d) => d,
            _ => {
                e.add("day_of_month", "enter the day of the month payments are due, 1 to 28");
                0
            }
        };
        let start = date_field("start_date", &input.start_date, Some(today), &mut e);
        if !e.is_empty() {
            return Err(e.into());
        }
        let start = start.unwrap_or(today);
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        match medoffice_store::patients::get(&mut tx, practice_id, patient_id).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("patient_id", "there is no such patient").into()),
            Err(other) => return Err(other.into()),
        }
        let balance = patient_due_open_items_in(&mut tx, practice_id, patient_id, today).await?.balance_cents();
        if balance <= 0 {
            return Err(ValidationErrors::single("patient_id", "the patient owes nothing: no plan is needed").into());
        }
        let total = total.unwrap_or(balance);
        if total > balance {
            return Err(ValidationErrors::single("total", format!("at most the balance, {}", money(balance))).into());
        }
        if monthly > total {
            return Err(ValidationErrors::single("monthly_amount", "at most the plan's total").into());
        }
        if (total + monthly - 1) / monthly > MAX_INSTALLMENTS {
            let least = (total + MAX_INSTALLMENTS - 1) / MAX_INSTALLMENTS;
            return Err(
                ValidationErrors::single("monthly_amount", format!("at least {} so the plan ends within ten years", money(least))).into()
            );
        }
        let row = PlanRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            patient_id: patient_id.to_string(),
            total_cents: total,
            monthly_cents: monthly,
            day_of_month: day,
            start_date: start.to_string(),
            status: "active".into(),
            completed_on: None,
            cancelled_on: None,
            cancel_reason: None,
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_plan(&mut tx, &row).await.map_err(|e| crate::collections::plan_conflict(e.into()))?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payment_plan.create",
                patient_id: Some(patient_id),
                record_type: "payment_plan",
                record_id: Some(&row.id),
                detail: format!("{} at {} a month on day {day} from {start}", money(total), money(monthly)),
            },
        )
        .await?;
        let view = self.plan_view_in(&mut tx, row, today).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The plans (of one patient when given; of one status when given), newest first, each with
    /// its schedule and state. Audited as a read.
    pub async fn payment_plans(&self, actor: &Actor, patient_id: Option<&str>, status: &str) -> Result<Vec<PlanView>> {
        self.authorize(actor, Action::ReadReceivables, patient_id).await?;
        let status = status.trim();
        if !["", "active", "completed", "cancelled"].contains(&status) {
            return Err(ValidationErrors::single("status", "one of active, completed, cancelled").into());
        }
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let mut out = Vec::new();
        for p in store::plans(&mut tx, practice_id, status, patient_id.filter(|p| !p.is_empty())).await? {
            out.push(self.plan_view_in(&mut tx, p, today).await?);
        }
        if !status.is_empty() {
            out.retain(|p| p.status == status);
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payment_plan.list",
                patient_id,
                record_type: "payment_plan",
                record_id: None,
                detail: format!("payment plans listed ({})", out.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }

    /// Cancels an active plan, with a reason. Audited.
    pub async fn cancel_payment_plan(&self, actor: &Actor, plan_id: &str, reason: &str) -> Result<PlanView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ValidationErrors::single("reason", "say why the plan is cancelled").into());
        }
        if reason.chars().count() > 200 {
            return Err(ValidationErrors::single("reason", "at most 200 characters").into());
        }
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let plan = store::get_plan(&mut tx, practice_id, plan_id).await?;
        if !store::close_plan(&mut tx, practice_id, plan_id, "cancelled", &today.to_string(), Some(reason)).await? {
            return Err(ValidationErrors::single("reason", format!("the plan is {}, not active", plan.status)).into());
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payment_plan.cancel",
                patient_id: Some(&plan.patient_id),
                record_type: "payment_plan",
                record_id: Some(plan_id),
                detail: format!("cancelled: {reason}"),
            },
        )
        .await?;
        let plan = store::get_plan(&mut tx, practice_id, plan_id).await?;
        let view = self.plan_view_in(&mut tx, plan, today).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn the_schedule_starts_on_the_first_due_day_and_ends_with_the_remainder() {
        let s = schedule(25_000, 10_000, 5, d("2026-06-15"));
        assert_eq!(s, vec![(d("2026-07-05"), 10_000), (d("2026-08-05"), 10_000), (d("2026-09-05"), 5_000)]);
        assert_eq!(schedule(10_000, 10_000, 15, d("2026-06-15")), vec![(d("2026-06-15"), 10_000)]);
    }

    #[test]
    fn an_installment_unpaid_after_its_grace_days_is_missed_until_caught_up() {
        let s = schedule(30_000, 10_000, 1, d("2026-07-01"));
        let paid_first = [(d("2026-07-03"), 10_000)];
        let (states, flagged) = installment_states(&s, &paid_first, d("2026-08-06"));
        assert_eq!(states, ["paid", "due", "upcoming"]);
        assert!(!flagged, "still within the grace days");
        let (states, flagged) = installment_states(&s, &paid_first, d("2026-08-07"));
        assert_eq!(states, ["paid", "missed", "upcoming"]);
        assert!(flagged);
        let caught_up = [(d("2026-07-03"), 10_000), (d("2026-08-20"), 10_000)];
        let (states, flagged) = installment_states(&s, &caught_up, d("2026-08-21"));
        assert_eq!(states, ["paid", "paid_late", "upcoming"]);
        assert!(!flagged);
    }
}
