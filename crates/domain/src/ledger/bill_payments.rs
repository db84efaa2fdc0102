//! The rules of paying vendors' bills: the early-payment discount a payment earns, which accounts
//! a check may be drawn on, check numbers, the aging buckets of accounts payable and the 1099
//! reporting threshold.
//!
//! A payment *settles* part or all of a bill's open balance. When it settles the whole open
//! balance on or before the last discount day of the vendor's terms (`2/10 net 30`: ten days after
//! the bill's date), the discount is taken: `percent` of the open balance, rounded half up to the
//! cent (the one rounding rule of this module). The cash paid is then the balance less the
//! discount. A partial payment never earns a discount.

use super::terms::PaymentTerms;
use super::{AccountType, accounts};
use chrono::NaiveDate;

/// The most digits a check number has (bank check stock prints up to nine).
pub const MAX_CHECK_DIGITS: usize = 9;
/// The number a cash account's first check gets when none was written yet.
pub const FIRST_CHECK_NUMBER: i64 = 1001;

/// The discount a payment earns on a bill, in cents.
///
/// `open_cents` is the bill's open balance before the payment, `settled_cents` what the payment
/// settles. Zero unless the payment settles the whole balance and is dated within the window.
pub fn discount_cents(terms: &PaymentTerms, bill_date: NaiveDate, payment_date: NaiveDate, open_cents: i64, settled_cents: i64) -> i64 {
    let PaymentTerms::Discount { percent, .. } = *terms else {
        return 0;
    };
    if settled_cents != open_cents || open_cents <= 0 {
        return 0;
    }
    match terms.discount_until(bill_date) {
        Some(until) if payment_date <= until => percent_of(open_cents, percent),
        _ => 0,
    }
}

/// `percent` % of `cents`, rounded half up to the cent (exact integer arithmetic; `i128` so no
/// amount that fits in cents can overflow).
pub fn percent_of(cents: i64, percent: u32) -> i64 {
    let exact = i128::from(cents) * i128::from(percent);
    i64::try_from((exact + 50) / 100).unwrap_or(i64::MAX)
}

/// Whether checks may be drawn and transfers sent on this account: an asset account in the cash
/// block (`10xx`), other than undeposited funds (money received and not yet in the bank).
pub fn is_cash_account(number: &str, account_type: AccountType) -> bool {
    account_type == AccountType::Asset
        && number.len() == 4
        && number.starts_with("10")
        && number.chars().all(|c| c.is_ascii_digit())
        && number != accounts::UNDEPOSITED_FUNDS
}

/// Reads a check number as typed: digits only, above zero, at most [`MAX_CHECK_DIGITS`] digits.
pub fn parse_check_number(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("enter the check number".to_string());
    }
    if text.len() > MAX_CHECK_DIGITS || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("a check number is 1 to {MAX_CHECK_DIGITS} digits"));
    }
    match text.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a check number is above zero".to_string()),
    }
}

/// How far past its due date an open bill is, as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgingBucket {
    /// Not yet due (due today or later).
    Current,
    /// 1 to 30 days past due.
    Days1To30,
    /// 31 to 60 days past due.
    Days31To60,
    /// 61 to 90 days past due.
    Days61To90,
    /// More than 90 days past due.
    Over90,
}

impl AgingBucket {
    /// The buckets in the order of the report's columns.
    pub const ALL: [AgingBucket; 5] =
        [AgingBucket::Current, AgingBucket::Days1To30, AgingBucket::Days31To60, AgingBucket::Days61To90, AgingBucket::Over90];

    /// The bucket of a bill due on `due_date`, as of `as_of`.
    pub fn of(due_date: NaiveDate, as_of: NaiveDate) -> AgingBucket {
        match (as_of - due_date).num_days() {
            ..=0 => AgingBucket::Current,
            1..=30 => AgingBucket::Days1To30,
            31..=60 => AgingBucket::Days31To60,
            61..=90 => AgingBucket::Days61To90,
            _ => AgingBucket::Over90,
        }
    }

    /// The column's position in [`AgingBucket::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The column's heading.
    pub fn label(self) -> &'static str {
        match self {
            AgingBucket::Current => "Current",
            AgingBucket::Days1To30 => "1-30 days",
            AgingBucket::Days31To60 => "31-60 days",
            AgingBucket::Days61To90 => "61-90 days",
            AgingBucket::Over90 => "Over 90 days",
        }
    }

    /// The key used in JSON and HTML attributes.
    pub fn key(self) -> &'static str {
        match self {
            AgingBucket::Current => "current",
            AgingBucket::Days1To30 => "days_1_30",
            AgingBucket::Days31To60 => "days_31_60",
            AgingBucket::Days61To90 => "days_61_90",
            AgingBucket::Over90 => "over_90",
        }
    }
}

/// The least a vendor must be paid in a calendar year before its payments are reported on a
/// 1099-NEC/MISC: $600 through 2025, $2,000 for payments made from 2026 (the One Big Beautiful
/// Bill Act of 2025; indexed for inflation after 2026, which this does not yet model).
pub fn reporting_threshold_cents(year: i32) -> i64 {
    if year <= 2025 { 60_000 } else { 200_000 }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const TWO_TEN: PaymentTerms = PaymentTerms::Discount { percent: 2, discount_days: 10, net_days: 30 };

    #[test]
    fn a_full_payment_on_the_last_discount_day_takes_the_discount() {
        assert_eq!(discount_cents(&TWO_TEN, day("2026-06-01"), day("2026-06-11"), 100_000, 100_000), 2_000);
    }

    #[test]
    fn a_full_payment_the_day_after_the_window_takes_no_discount() {
        assert_eq!(discount_cents(&TWO_TEN, day("2026-06-01"), day("2026-06-12"), 100_000, 100_000), 0);
    }

    #[test]
    fn a_partial_payment_in_the_window_takes_no_discount() {
        assert_eq!(discount_cents(&TWO_TEN, day("2026-06-01"), day("2026-06-02"), 100_000, 99_999), 0);
    }

    #[test]
    fn net_terms_never_give_a_discount() {
        assert_eq!(discount_cents(&PaymentTerms::Net { days: 30 }, day("2026-06-01"), day("2026-06-01"), 100_000, 100_000), 0);
    }

    #[test]
    fn the_discount_rounds_half_a_cent_up() {
        assert_eq!(percent_of(125, 2), 3); // 2.5 cents
        assert_eq!(percent_of(124, 2), 2); // 2.48 cents
        assert_eq!(percent_of(i64::MAX, 100), i64::MAX, "no overflow on the largest amount");
    }

    #[test]
    fn only_asset_accounts_of_the_cash_block_draw_checks() {
        assert!(is_cash_account("1000", AccountType::Asset));
        assert!(is_cash_account("1020", AccountType::Asset));
        assert!(!is_cash_account("1010", AccountType::Asset), "undeposited funds");
        assert!(!is_cash_account("1100", AccountType::Asset));
        assert!(!is_cash_account("1000", AccountType::ContraAsset));
        assert!(!is_cash_account("10", AccountType::Asset));
    }

    #[test]
    fn a_check_number_is_positive_digits() {
        assert_eq!(parse_check_number(" 1042 "), Ok(1042));
        assert!(parse_check_number("").is_err());
        assert!(parse_check_number("0").is_err());
        assert!(parse_check_number("12a").is_err());
        assert!(parse_check_number("1234567890").is_err());
    }

    #[test]
    fn aging_buckets_change_the_day_after_each_boundary() {
        let due = day("2026-03-01");
        let after = |days: u64| AgingBucket::of(due, due.checked_add_days(chrono::Days::new(days)).unwrap());
        assert_eq!(AgingBucket::of(due, day("2026-02-01")), AgingBucket::Current);
        assert_eq!(after(0), AgingBucket::Current);
        assert_eq!(after(1), AgingBucket::Days1To30);
        assert_eq!(after(30), AgingBucket::Days1To30);
        assert_eq!(after(31), AgingBucket::Days31To60);
        assert_eq!(after(60), AgingBucket::Days31To60);
        assert_eq!(after(61), AgingBucket::Days61To90);
        assert_eq!(after(90), AgingBucket::Days61To90);
        assert_eq!(after(91), AgingBucket::Over90);
    }

    #[test]
    fn the_1099_threshold_rises_in_2026() {
        assert_eq!(reporting_threshold_cents(2025), 60_000);
        assert_eq!(reporting_threshold_cents(2026), 200_000);
    }
}
