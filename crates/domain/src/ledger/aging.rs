//! Receivables aging: which charges are still open and how old they are, and the late charge a
//! written policy puts on a past-due balance.
//!
//! An account (a patient's AR - Patients, a claim's AR - Insurance, a third party's AR - Other)
//! is a list of dated movements: charges (debits, positive) and payments, adjustments and
//! transfers (credits, negative). Credits pay the oldest charges first (first in, first out), so
//! what stays open are the newest charges, each with what is left of it; a credit larger than
//! every charge is an unapplied credit (a credit balance, to be refunded or used). The open items
//! always add up to the account's balance, which is how an aging report ties to its control
//! account: the sum of every account's open items less their unapplied credits is the control
//! account's balance.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One debit (positive `cents`) or credit (negative) of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    pub date: NaiveDate,
    pub cents: i64,
}

/// What is left open of one charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenItem {
    /// The charge's date (the date of service, or the invoice's date).
    pub date: NaiveDate,
    /// What is still owed of it, always positive.
    pub cents: i64,
}

/// The open items of an account and its unapplied credit (zero or positive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenItems {
    /// Oldest first.
    pub items: Vec<OpenItem>,
    pub unapplied_credit_cents: i64,
}

impl OpenItems {
    /// The account's balance: open items less the unapplied credit.
    pub fn balance_cents(&self) -> i64 {
        self.items.iter().map(|i| i.cents).sum::<i64>() - self.unapplied_credit_cents
    }
}

/// Applies every credit to the oldest charges first. Movements may come in any order; charges of
/// the same date keep their given order. A credit that comes before any charge waits, unapplied,
/// for the next charges (a prepayment).
pub fn open_items(movements: &[Movement]) -> OpenItems {
    let mut charges: Vec<Movement> = movements.iter().copied().filter(|m| m.cents > 0).collect();
    charges.sort_by_key(|m| m.date);
    let mut credit: i64 = movements.iter().filter(|m| m.cents < 0).map(|m| -m.cents).sum();
    let mut items = Vec::with_capacity(charges.len());
    for c in charges {
        let applied = credit.min(c.cents);
        credit -= applied;
        if c.cents > applied {
            items.push(OpenItem { date: c.date, cents: c.cents - applied });
        }
    }
    OpenItems { items, unapplied_credit_cents: credit }
}

/// The five aging columns every practice management report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// 0 to 30 days.
    Current,
    Days31To60,
    Days61To90,
    Days91To120,
    Over120,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [Bucket::Current, Bucket::Days31To60, Bucket::Days61To90, Bucket::Days91To120, Bucket::Over120];

    /// The column of an item `age_days` old (a future date counts as current).
    pub fn of_age(age_days: i64) -> Bucket {
        match age_days {
            ..=30 => Bucket::Current,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            91..=120 => Bucket::Days91To120,
            _ => Bucket::Over120,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::Current => "Current",
            Bucket::Days31To60 => "31-60",
            Bucket::Days61To90 => "61-90",
            Bucket::Days91To120 => "91-120",
            Bucket::Over120 => "120+",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// An account's (or a group's) balance in the five columns, with the unapplied credits apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aging {
    /// Cents open per [`Bucket`], in [`Bucket::ALL`] order.
    pub buckets: [i64; 5],
    /// Unapplied credits (positive), not in any column.
    pub credit_cents: i64,
}

impl Aging {
    /// Ages open items as of a day.
    pub fn of(open: &OpenItems, as_of: NaiveDate) -> Aging {
        let mut a = Aging { credit_cents: open.unapplied_credit_cents, ..Aging::default() };
        for item in &open.items {
            a.buckets[Bucket::of_age((as_of - item.date).num_days()).index()] += item.cents;
        }
        a
    }

    /// Open charges less unapplied credits: the account's balance.
    pub fn total_cents(&self) -> i64 {
        self.buckets.iter().sum::<i64>() - self.credit_cents
    }

    /// What is open in one column.
    pub fn bucket_cents(&self, b: Bucket) -> i64 {
        self.buckets[b.index()]
    }

    /// Adds another account's aging to this one (a group's total).
    pub fn add(&mut self, other: &Aging) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.credit_cents += other.credit_cents;
    }
}

/// A practice's written late-charge policy: a monthly percentage (in basis points, 150 = 1.5 %)
/// or a flat fee (or both, the larger applies), charged on a patient-due balance past due by more
/// than the grace days, when that balance is at least the minimum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateChargePolicy {
    pub monthly_rate_basis_points: i64,
    pub flat_fee_cents: i64,
    pub grace_days: i64,
    pub minimum_balance_cents: i64,
}

impl LateChargePolicy {
    /// Whether the policy charges anything at all.
    pub fn is_active(&self) -> bool {
        self.monthly_rate_basis_points > 0 || self.flat_fee_cents > 0
    }

    /// The month's late charge on a balance `days_past_due` days past its due date: nothing
    /// within the grace days or below the minimum balance; the percentage rounded half up to the
    /// cent, or the flat fee when that is larger.
    pub fn charge_cents(&self, past_due_cents: i64, days_past_due: i64) -> i64 {
        if !self.is_active() || past_due_cents <= 0 || days_past_due <= self.grace_days || past_due_cents < self.minimum_balance_cents {
            return 0;
        }
        let percent = (past_due_cents * self.monthly_rate_basis_points + 5_000) / 10_000;
        percent.max(self.flat_fee_cents)
    }

    /// The policy in the words a patient's statement prints: the terms, and that amounts pending
    /// with insurance are never charged.
    pub fn text(&self) -> String {
        let mut s = self.terms_text();
        if self.is_active() {
            s.push_str(" Amounts your insurance has not yet paid are never charged.");
        }
        s
    }

    /// The policy's terms alone, as an invoice to a third party prints them.
    pub fn terms_text(&self) -> String {
        if !self.is_active() {
            return "No late charges are added to overdue balances.".into();
        }
        let rate = if self.monthly_rate_basis_points > 0 {
            let whole = self.monthly_rate_basis_points / 100;
            let frac = self.monthly_rate_basis_points % 100;
            let pct = if frac == 0 { format!("{whole}") } else { format!("{whole}.{frac:02}").trim_end_matches('0').to_string() };
            Some(format!("{pct}% a month"))
        } else {
            None
        };
        let flat = (self.flat_fee_cents > 0).then(|| crate::Money::from_cents(self.flat_fee_cents).to_string());
        let what = match (rate, flat) {
            (Some(r), Some(f)) => format!("{r} (at least {f})"),
            (Some(r), None) => r,
            (None, Some(f)) => format!("a fee of {f} a month"),
            (None, None) => unreachable!(),
        };
        let mut s = format!("A late charge of {what} is added to a balance unpaid {} days after its due date", self.grace_days);
        if self.minimum_balance_cents > 0 {
            s.push_str(&format!(" when it is {} or more", crate::Money::from_cents(self.minimum_balance_cents)));
        }
        s.push('.');
        s
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(day))
    }

    #[test]
    fn credits_pay_the_oldest_charges_first() {
        let open = open_items(&[
            Movement { date: d(40), cents: 5_000 },
            Movement { date: d(0), cents: 10_000 },
            Movement { date: d(50), cents: -12_000 },
        ]);
        assert_eq!(open.items, vec![OpenItem { date: d(40), cents: 3_000 }]);
        assert_eq!(open.unapplied_credit_cents, 0);
        assert_eq!(open.balance_cents(), 3_000);
    }

    #[test]
    fn an_overpayment_is_an_unapplied_credit() {
        let open = open_items(&[Movement { date: d(0), cents: 2_000 }, Movement { date: d(1), cents: -2_500 }]);
        assert!(open.items.is_empty());
        assert_eq!(open.unapplied_credit_cents, 500);
        assert_eq!(open.balance_cents(), -500);
        let a = Aging::of(&open, d(10));
        assert_eq!(a.total_cents(), -500);
    }

    #[test]
    fn items_fall_in_their_column_and_the_total_is_the_balance() {
        let movements = [
            Movement { date: d(0), cents: 100 },
            Movement { date: d(100), cents: 200 },
            Movement { date: d(130), cents: 400 },
            Movement { date: d(160), cents: 800 },
            Movement { date: d(190), cents: 1_600 },
            Movement { date: d(195), cents: -50 },
        ];
        let open = open_items(&movements);
        let a = Aging::of(&open, d(200));
        assert_eq!(a.buckets, [1_600, 800, 400, 200, 50]);
        assert_eq!(a.total_cents(), movements.iter().map(|m| m.cents).sum::<i64>());
    }

    #[test]
    fn bucket_edges() {
        assert_eq!(Bucket::of_age(-3), Bucket::Current);
        assert_eq!(Bucket::of_age(30), Bucket::Current);
        assert_eq!(Bucket::of_age(31), Bucket::Days31To60);
        assert_eq!(Bucket::of_age(60), Bucket::Days31To60);
        assert_eq!(Bucket::of_age(90), Bucket::Days61To90);
        assert_eq!(Bucket::of_age(120), Bucket::Days91To120);
        assert_eq!(Bucket::of_age(121), Bucket::Over120);
    }

    #[test]
    fn late_charge_policy() {
        let p = LateChargePolicy { monthly_rate_basis_points: 150, flat_fee_cents: 0, grace_days: 10, minimum_balance_cents: 2_500 };
        assert_eq!(p.charge_cents(10_000, 11), 150);
        assert_eq!(p.charge_cents(10_000, 10), 0, "within the grace days");
        assert_eq!(p.charge_cents(2_000, 40), 0, "below the minimum balance");
        assert_eq!(p.charge_cents(3_333, 40), 50, "1.5 % of $33.33 is 49.995 cents, rounded half up");
        let flat = LateChargePolicy { flat_fee_cents: 500, ..p };
        assert_eq!(flat.charge_cents(10_000, 30), 500, "the larger of 1.5 % and the flat fee");
        assert_eq!(LateChargePolicy::default().charge_cents(10_000, 300), 0);
        assert!(p.text().contains("1.5% a month"), "{}", p.text());
        assert!(p.text().contains("10 days"));
        assert!(flat.text().contains("at least $5.00"), "{}", flat.text());
        assert!(p.text().ends_with("Amounts your insurance has not yet paid are never charged."));
        assert!(!p.terms_text().contains("insurance") && p.terms_text().ends_with("or more."), "{}", p.terms_text());
    }
}
