//! A patient statement on Letter pages: the practice's letterhead, the statement's number, date
//! and due date, the addressee (the guarantor, else the patient), the account lines since the
//! previous statement from the previous balance to the balance due, the aging columns, what is
//! pending with insurance (never due), the late-charge policy and the practice's message, then a
//! tear-off payment stub at the foot of the last page: account number, statement number, amount
//! due, due date, an "amount enclosed" box and the remit-to address.
//!
//! Every field is text as it is to be printed (amounts already formatted), so this module knows
//! nothing of money or dates; `medoffice_app::statements` fills it. [`statements_pdf`] prints a
//! batch (a run's mailed statements) in one file, each statement starting on a new page.

use crate::{Align, Column, Document, Font, Row, RowStyle, Table, TitleBlock};

/// The height of the payment stub, in points, from the page's bottom margin.
const STUB_HEIGHT: f32 = 150.0;

/// One account line as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementLine {
    pub date: String,
    pub description: String,
    /// Signed as the balance moves (`-$20.00` for a payment).
    pub amount: String,
}

/// Everything printed on a statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement {
    pub practice_name: String,
    /// The practice's address and phone lines: the letterhead.
    pub practice_lines: Vec<String>,
    /// `ST-000123`.
    pub number: String,
    pub statement_date: String,
    pub due_date: String,
    /// The account number on the stub (the patient's MRN).
    pub account_number: String,
    pub patient_name: String,
    /// The addressee: name, then address lines.
    pub address: Vec<String>,
    /// Where to send the payment (the practice's name and address lines).
    pub remit_to: Vec<String>,
    pub previous_balance: String,
    pub lines: Vec<StatementLine>,
    /// `(label, amount)` summary rows: charges, payments, adjustments.
    pub summary: Vec<(String, String)>,
    pub balance_due: String,
    /// `(bucket label, amount)` in the aging's order.
    pub aging: Vec<(String, String)>,
    /// Pending with insurance, formatted; blank when nothing is.
    pub insurance_pending: String,
    /// `LateChargePolicy::text()`.
    pub late_charge_policy: String,
    /// The practice's message line, or blank.
    pub message: String,
    pub printed_at: String,
}

/// One statement as a PDF file.
pub fn statement_pdf(statement: &Statement) -> Vec<u8> {
    statements_pdf(std::slice::from_ref(statement))
}

/// Several statements in one file (a run's printed batch), each starting on a new page.
pub fn statements_pdf(statements: &[Statement]) -> Vec<u8> {
    let mut doc = Document::letter();
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            doc.new_page();
        }
        lay_out(&mut doc, s);
    }
    doc.finish()
}

fn lay_out(doc: &mut Document, s: &Statement) {
    doc.title_block(&TitleBlock {
        organization: s.practice_name.clone(),
        title: format!("Statement {}", s.number),
        period: format!("Statement date {} · Please pay by {}", s.statement_date, s.due_date),
        printed_at: s.printed_at.clone(),
    });
    if !s.practice_lines.is_empty() {
        doc.paragraph(&s.practice_lines.join(" · "));
    }
    let rows = s.address.len().max(3);
    let facts = [
        format!("Account {}", s.account_number),
        format!("Patient: {}", s.patient_name),
        format!("Amount due {} by {}", s.balance_due, s.due_date),
    ];
    doc.table(&Table {
        columns: vec![Column::new("Statement for", 1.0, Align::Left), Column::new("Your account", 1.0, Align::Left)],
        rows: (0..rows)
            .map(|i| {
                let style = if i == 0 { RowStyle::Bold } else { RowStyle::Normal };
                Row::styled(vec![s.address.get(i).cloned().unwrap_or_default(), facts.get(i).cloned().unwrap_or_default()], style)
            })
            .collect(),
    });
    let mut rows = vec![Row::new(vec![String::new(), "Previous statement balance".into(), s.previous_balance.clone()])];
    rows.extend(s.lines.iter().map(|l| Row::new(vec![l.date.clone(), l.description.clone(), l.amount.clone()])));
    rows.push(Row::styled(vec![String::new(), "Balance due".into(), s.balance_due.clone()], RowStyle::GrandTotal));
    doc.table(&Table {
        columns: vec![
            Column::new("Date", 1.2, Align::Left),
            Column::new("Description", 4.0, Align::Left),
            Column::new("Amount", 1.3, Align::Right),
        ],
        rows,
    });
    if !s.summary.is_empty() {
        doc.table(&Table {
            columns: s.summary.iter().map(|(label, _)| Column::new(label, 1.0, Align::Right)).collect(),
            rows: vec![Row::new(s.summary.iter().map(|(_, amount)| amount.clone()).collect())],
        });
    }
    if !s.aging.is_empty() {
        doc.table(&Table {
            columns: s.aging.iter().map(|(label, _)| Column::new(label, 1.0, Align::Right)).collect(),
            rows: vec![Row::new(s.aging.iter().map(|(_, amount)| amount.clone()).collect())],
        });
    }
    if !s.insurance_pending.is_empty() {
        doc.paragraph(&format!(
            "Pending with your insurance, not due: {}. We will bill you only for what your insurance does not pay.",
            s.insurance_pending
        ));
    }
    if !s.message.is_empty() {
        doc.paragraph(&s.message);
    }
    doc.paragraph(&s.late_charge_policy);
    stub(doc, s);
}

/// The tear-off payment stub at the foot of the current page (a new page when the statement
/// reaches into it).
fn stub(doc: &mut Document, s: &Statement) {
    let top = doc.floor() + STUB_HEIGHT;
    if doc.cursor < top + 10.0 {
        doc.new_page();
    }
    let (left, right) = (doc.left(), doc.right());
    let middle = (left + right) / 2.0;
    doc.rule_at(left, right, top, 0.5);
    doc.text_at(middle, top - 10.0, Font::Regular, 7.0, Align::Center, "Please detach and return this part with your payment");
    let mut y = top - 28.0;
    doc.text_at(left, y, Font::Bold, 11.0, Align::Left, &s.practice_name);
    doc.text_at(middle + 10.0, y, Font::Bold, 11.0, Align::Left, "Payment stub");
    let facts = [
        ("Account number", s.account_number.as_str()),
        ("Statement", s.number.as_str()),
        ("Amount due", s.balance_due.as_str()),
        ("Please pay by", s.due_date.as_str()),
    ];
    for (i, (label, value)) in facts.iter().enumerate() {
        let line_y = y - 16.0 - 13.0 * i as f32;
        doc.text_at(middle + 10.0, line_y, Font::Regular, 9.0, Align::Left, label);
        doc.text_at(right, line_y, Font::Bold, 9.0, Align::Right, value);
    }
    let box_y = y - 16.0 - 13.0 * 4.0 - 6.0;
    doc.text_at(middle + 10.0, box_y, Font::Regular, 9.0, Align::Left, "Amount enclosed  $");
    doc.rule_at(middle + 100.0, right, box_y - 2.0, 0.75);
    y -= 16.0;
    doc.text_at(left, y, Font::Regular, 8.0, Align::Left, "Make checks payable to and mail to:");
    for (i, line) in s.remit_to.iter().take(5).enumerate() {
        let font = if i == 0 { Font::Bold } else { Font::Regular };
        doc.text_at(left, y - 13.0 * (i as f32 + 1.0), font, 9.0, Align::Left, line);
    }
    doc.cursor = doc.floor();
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text_of(bytes: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        doc.extract_text(&pages).unwrap()
    }

    fn sample(number: &str) -> Statement {
        Statement {
            practice_name: "Maple Family Medicine".into(),
            practice_lines: vec!["12 Main St, Springfield, IL 62701".into()],
            number: number.into(),
            statement_date: "2026-06-15".into(),
            due_date: "2026-07-15".into(),
            account_number: "MRN-000042".into(),
            patient_name: "Rita Roe".into(),
            address: vec!["Rita Roe".into(), "12 Elm St".into(), "Springfield, IL 62701".into()],
            remit_to: vec!["Maple Family Medicine".into(), "12 Main St".into()],
            previous_balance: "$0.00".into(),
            lines: vec![StatementLine { date: "2026-06-10".into(), description: "Office visit".into(), amount: "$210.00".into() }],
            summary: vec![("Charges".into(), "$210.00".into()), ("Payments".into(), "$0.00".into())],
            balance_due: "$210.00".into(),
            aging: vec![("Current".into(), "$210.00".into()), ("31-60".into(), "$0.00".into())],
            insurance_pending: "$80.00".into(),
            late_charge_policy: "A late charge of 1.5% a month is added".into(),
            message: "Thank you for choosing us.".into(),
            printed_at: "2026-06-15 12:00".into(),
        }
    }

    #[test]
    fn a_statement_prints_its_balance_aging_policy_and_payment_stub() {
        let bytes = statement_pdf(&sample("ST-000007"));
        assert!(bytes.starts_with(b"%PDF-"));
        let text = text_of(&bytes);
        for wanted in [
            "ST-000007",
            "Office visit",
            "$210.00",
            "2026-07-15",
            "MRN-000042",
            "Amount enclosed",
            "Pending with your insurance, not due: $80.00",
            "1.5% a month",
            "Thank you for choosing us.",
            "Make checks payable",
        ] {
            assert!(text.contains(wanted), "missing {wanted:?} in {text}");
        }
    }

    #[test]
    fn a_batch_starts_each_statement_on_its_own_page() {
        let bytes = statements_pdf(&[sample("ST-000001"), sample("ST-000002")]);
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
        let text = text_of(&bytes);
        assert!(text.contains("ST-000001") && text.contains("ST-000002"));
    }
}
