//! Money as exact integer cents. Never a float.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of US dollars in cents. Negative amounts are allowed (credits, refunds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Parses what a person types: `25`, `25.5`, `25.50`, `$1,025.00`, `-3.10`.
    /// More than two decimals is an error rather than a silent rounding.
    pub fn parse(text: &str) -> Result<Money, String> {
        let t = text.trim().replace([',', '$'], "");
        if t.is_empty() {
            return Err("enter an amount, e.g. 25.00".into());
        }
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, t.clone()),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w.to_string(), f.to_string()),
            None => (digits.clone(), String::new()),
        };
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(&whole) || !all_digits(&fraction) {
            return Err(format!("'{}' is not an amount, e.g. 25.00", text.trim()));
        }
        if fraction.len() > 2 {
            return Err("an amount has at most two decimals (cents)".into());
        }
        let whole_value: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| "the amount is too large".to_string())? };
        let cents_part: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| "bad cents".to_string())? * 10,
            _ => fraction.parse::<i64>().map_err(|_| "bad cents".to_string())?,
        };
        let cents =
            whole_value.checked_mul(100).and_then(|c| c.checked_add(cents_part)).ok_or_else(|| "the amount is too large".to_string())?;
        Ok(Money(if negative { -cents } else { cents }))
    }
}

impl fmt::Display for Money {
    /// `$1,234.50`, `-$3.10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let dollars = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}${grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_amounts_parse_to_exact_cents() {
        assert_eq!(Money::parse("25").map(Money::cents), Ok(2500));
        assert_eq!(Money::parse("25.5").map(Money::cents), Ok(2550));
        assert_eq!(Money::parse("$1,025.07").map(Money::cents), Ok(102507));
        assert_eq!(Money::parse("-3.10").map(Money::cents), Ok(-310));
        assert_eq!(Money::parse(".75").map(Money::cents), Ok(75));
    }

    #[test]
    fn amounts_with_three_decimals_or_letters_are_rejected() {
        assert!(Money::parse("1.005").is_err());
        assert!(Money::parse("ten").is_err());
        assert!(Money::parse("").is_err());
        assert!(Money::parse("1.2.3").is_err());
        assert!(Money::parse("99999999999999999999").is_err());
    }

    #[test]
    fn money_displays_with_thousands_and_cents() {
        assert_eq!(Money::from_cents(123450).to_string(), "$1,234.50");
        assert_eq!(Money::from_cents(-310).to_string(), "-$3.10");
        assert_eq!(Money::from_cents(5).to_string(), "$0.05");
    }

    proptest! {
        #[test]
        fn display_then_parse_gives_the_same_cents(cents in -10_000_000_000i64..10_000_000_000i64) {
            let shown = Money::from_cents(cents).to_string();
            prop_assert_eq!(Money::parse(&shown), Ok(Money::from_cents(cents)));
        }
    }
}
