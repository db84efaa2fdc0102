//! A vendor's payment terms and the due date they give a bill.
//!
//! Terms are stored as short text so a vendor row stays readable in the database:
//! `due_on_receipt`, `net_30` (any `net_N`), `2/10 net 30` (2 % off when paid within 10 days,
//! otherwise due in 30) and `day_of_month:15` (due on the 15th of the month after the bill's
//! month, or that month's last day when it is shorter).

use chrono::{Datelike, Days, Months, NaiveDate};

/// The longest net or discount period accepted, in days.
pub const MAX_TERM_DAYS: u32 = 365;

/// When a vendor expects to be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentTerms {
    DueOnReceipt,
    Net {
        days: u32,
    },
    /// `percent` off when paid within `discount_days`; the whole amount due after `net_days`.
    Discount {
        percent: u32,
        discount_days: u32,
        net_days: u32,
    },
    DayOfMonth {
        day: u32,
    },
}

fn days_of(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= MAX_TERM_DAYS => Ok(n),
        _ => Err(format!("a number of days from 0 to {MAX_TERM_DAYS}")),
    }
}

const HELP: &str = "use net_30, 2/10 net 30, due_on_receipt or day_of_month:15";

impl PaymentTerms {
    /// Reads terms as stored or typed (case and extra spaces ignored).
    pub fn parse(text: &str) -> Result<PaymentTerms, String> {
        let text = text.trim().to_ascii_lowercase();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text == "due_on_receipt" {
            return Ok(PaymentTerms::DueOnReceipt);
        }
        if let Some(days) = text.strip_prefix("net_") {
            return days_of(days).map(|days| PaymentTerms::Net { days }).map_err(|e| format!("net terms need {e}"));
        }
        if let Some(day) = text.strip_prefix("day_of_month:") {
            return match day.trim().parse::<u32>() {
                Ok(day) if (1..=31).contains(&day) => Ok(PaymentTerms::DayOfMonth { day }),
                _ => Err("the day of the month is 1 to 31".to_string()),
            };
        }
        if let Some((discount, net)) = text.split_once(" net ")
            && let Some((percent, discount_days)) = discount.split_once('/')
        {
            let percent = match percent.trim().parse::<u32>() {
                Ok(p) if (1..=99).contains(&p) => p,
                _ => return Err("the discount is a whole percent from 1 to 99".to_string()),
            };
            let discount_days = days_of(discount_days).map_err(|e| format!("the discount period needs {e}"))?;
            let net_days = days_of(net).map_err(|e| format!("the net period needs {e}"))?;
            if discount_days >= net_days {
                return Err("the discount period must end before the net period".to_string());
            }
            return Ok(PaymentTerms::Discount { percent, discount_days, net_days });
        }
        Err(HELP.to_string())
    }

    /// The stored form, which [`PaymentTerms::parse`] reads back.
    pub fn as_text(&self) -> String {
        match self {
            PaymentTerms::DueOnReceipt => "due_on_receipt".to_string(),
            PaymentTerms::Net { days } => format!("net_{days}"),
            PaymentTerms::Discount { percent, discount_days, net_days } => format!("{percent}/{discount_days} net {net_days}"),
            PaymentTerms::DayOfMonth { day } => format!("day_of_month:{day}"),
        }
    }

    /// The name shown to people.
    pub fn label(&self) -> String {
        match self {
            PaymentTerms::DueOnReceipt => "Due on receipt".to_string(),
            PaymentTerms::Net { days } => format!("Net {days}"),
            PaymentTerms::Discount { percent, discount_days, net_days } => format!("{percent}/{discount_days} net {net_days}"),
            PaymentTerms::DayOfMonth { day } => format!("Day {day} of the next month"),
        }
    }

    /// The date a bill dated `bill_date` is due (None only past the calendar's end).
    pub fn due_date(&self, bill_date: NaiveDate) -> Option<NaiveDate> {
        match *self {
            PaymentTerms::DueOnReceipt => Some(bill_date),
            PaymentTerms::Net { days } | PaymentTerms::Discount { net_days: days, .. } => {
                bill_date.checked_add_days(Days::new(u64::from(days)))
            }
            PaymentTerms::DayOfMonth { day } => {
                let next = bill_date.with_day(1)?.checked_add_months(Months::new(1))?;
                let last = next.checked_add_months(Months::new(1))?.pred_opt()?.day();
                next.with_day(day.min(last))
            }
        }
    }

    /// The last day the early-payment discount may be taken, for discount terms.
    pub fn discount_until(&self, bill_date: NaiveDate) -> Option<NaiveDate> {
        match *self {
            PaymentTerms::Discount { discount_days, .. } => bill_date.checked_add_days(Days::new(u64::from(discount_days))),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn due(terms: &str, bill_date: &str) -> NaiveDate {
        PaymentTerms::parse(terms).unwrap().due_date(day(bill_date)).unwrap()
    }

    #[test]
    fn each_kind_of_terms_gives_its_due_date() {
        assert_eq!(due("net_30", "2026-01-15"), day("2026-02-14"));
        assert_eq!(due("net_30", "2026-12-15"), day("2027-01-14"));
        assert_eq!(due("2/10 net 30", "2026-02-01"), day("2026-03-03"));
        assert_eq!(due("due_on_receipt", "2026-05-07"), day("2026-05-07"));
        assert_eq!(due("day_of_month:15", "2026-05-20"), day("2026-06-15"));
        assert_eq!(due("day_of_month:15", "2026-05-01"), day("2026-06-15"));
    }

    #[test]
    fn a_day_of_month_past_a_short_month_falls_on_its_last_day() {
        assert_eq!(due("day_of_month:31", "2026-01-10"), day("2026-02-28"));
        assert_eq!(due("day_of_month:31", "2027-12-31"), day("2028-01-31"));
        assert_eq!(due("day_of_month:30", "2028-01-05"), day("2028-02-29"));
    }

    #[test]
    fn discount_terms_say_until_when_the_discount_holds() {
        let t = PaymentTerms::parse("2/10 net 30").unwrap();
        assert_eq!(t, PaymentTerms::Discount { percent: 2, discount_days: 10, net_days: 30 });
        assert_eq!(t.discount_until(day("2026-03-25")), Some(day("2026-04-04")));
        assert_eq!(PaymentTerms::parse("net_30").unwrap().discount_until(day("2026-03-25")), None);
    }

    #[test]
    fn terms_read_back_what_they_write_and_tolerate_case_and_spaces() {
        for text in ["due_on_receipt", "net_0", "net_45", "2/10 net 30", "1/15 net 60", "day_of_month:1", "day_of_month:31"] {
            assert_eq!(PaymentTerms::parse(text).unwrap().as_text(), text);
        }
        assert_eq!(PaymentTerms::parse("  2/10   NET 30 ").unwrap().as_text(), "2/10 net 30");
        assert_eq!(PaymentTerms::parse("Net_30").unwrap(), PaymentTerms::Net { days: 30 });
        assert_eq!(PaymentTerms::parse("net_30").unwrap().label(), "Net 30");
    }

    #[test]
    fn malformed_terms_are_refused_with_a_reason() {
        for text in [
            "",
            "net 30",
            "net_",
            "net_-1",
            "net_366",
            "day_of_month:0",
            "day_of_month:32",
            "0/10 net 30",
            "2/30 net 30",
            "2/x net 30",
            "cod",
        ] {
            assert!(PaymentTerms::parse(text).is_err(), "{text:?} was accepted");
        }
        assert!(PaymentTerms::parse("2/30 net 30").unwrap_err().contains("discount period"));
        assert!(PaymentTerms::parse("day_of_month:40").unwrap_err().contains("1 to 31"));
    }
}
