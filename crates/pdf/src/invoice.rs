//! A third-party invoice on a Letter page: the practice's letterhead, the invoice's number, date,
//! terms and due date, the bill-to block and the remit-to block, the lines with their total, what
//! has been paid and charged since, the balance due and the late-charge policy in words.
//!
//! Every field is text as it is to be printed (amounts already formatted), so this module knows
//! nothing of money or dates; `medoffice_app::invoices` fills it.

use crate::{Align, Column, Document, Row, RowStyle, Table, TitleBlock};

/// One line of the invoice as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceLine {
    /// The date of service, or blank.
    pub service_date: String,
    pub description: String,
    pub amount: String,
}

/// Everything printed on an invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invoice {
    /// The practice's name, its address lines and phone: the letterhead.
    pub practice_name: String,
    pub practice_lines: Vec<String>,
    /// `INV-000123`.
    pub number: String,
    pub invoice_date: String,
    pub due_date: String,
    /// `Net 30`.
    pub terms: String,
    /// The bill-to party: name, then contact and address lines.
    pub bill_to: Vec<String>,
    /// Where to send the payment (the practice's name and address lines).
    pub remit_to: Vec<String>,
    pub memo: String,
    pub lines: Vec<InvoiceLine>,
    pub total: String,
    /// `(label, amount)` rows between the total and the balance: late charges, payments.
    pub adjustments: Vec<(String, String)>,
    pub balance_due: String,
    /// `LateChargePolicy::text()`.
    pub late_charge_policy: String,
    /// A stamp such as "VOID: entered twice" or "PAID", blank for none.
    pub stamp: String,
    /// When it was printed, as the reader should see it.
    pub printed_at: String,
}

/// The invoice as a PDF file.
pub fn invoice_pdf(invoice: &Invoice) -> Vec<u8> {
    let mut doc = Document::letter();
    doc.title_block(&TitleBlock {
        organization: invoice.practice_name.clone(),
        title: format!("Invoice {}", invoice.number),
        period: format!("Invoice date {} · Terms {} · Due {}", invoice.invoice_date, invoice.terms, invoice.due_date),
        printed_at: invoice.printed_at.clone(),
    });
    if !invoice.practice_lines.is_empty() {
        doc.paragraph(&invoice.practice_lines.join(" · "));
    }
    if !invoice.stamp.is_empty() {
        doc.heading(&invoice.stamp);
    }
    let rows = invoice.bill_to.len().max(invoice.remit_to.len());
    let address = Table {
        columns: vec![Column::new("Bill to", 1.0, Align::Left), Column::new("Remit to", 1.0, Align::Left)],
        rows: (0..rows)
            .map(|i| {
                let style = if i == 0 { RowStyle::Bold } else { RowStyle::Normal };
                Row::styled(
                    vec![invoice.bill_to.get(i).cloned().unwrap_or_default(), invoice.remit_to.get(i).cloned().unwrap_or_default()],
                    style,
                )
            })
            .collect(),
    };
    doc.table(&address);
    if !invoice.memo.is_empty() {
        doc.paragraph(&invoice.memo);
    }
    let mut rows: Vec<Row> =
        invoice.lines.iter().map(|l| Row::new(vec![l.service_date.clone(), l.description.clone(), l.amount.clone()])).collect();
    rows.push(Row::styled(vec![String::new(), "Invoice total".into(), invoice.total.clone()], RowStyle::Total));
    for (label, amount) in &invoice.adjustments {
        rows.push(Row::new(vec![String::new(), label.clone(), amount.clone()]));
    }
    rows.push(Row::styled(vec![String::new(), "Balance due".into(), invoice.balance_due.clone()], RowStyle::GrandTotal));
    doc.table(&Table {
        columns: vec![
            Column::new("Date of service", 1.2, Align::Left),
            Column::new("Description", 4.0, Align::Left),
            Column::new("Amount", 1.3, Align::Right),
        ],
        rows,
    });
    doc.heading("Terms");
    doc.paragraph(&format!(
        "Payment terms: {}. Please pay {} by {} and write invoice number {} on your check or transfer.",
        invoice.terms, invoice.balance_due, invoice.due_date, invoice.number
    ));
    if !invoice.late_charge_policy.is_empty() {
        doc.paragraph(&invoice.late_charge_policy);
    }
    doc.finish()
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

    #[test]
    fn an_invoice_prints_its_number_lines_balance_and_policy() {
        let invoice = Invoice {
            practice_name: "Maple Family Medicine".into(),
            practice_lines: vec!["12 Main St, Springfield, IL 62701".into()],
            number: "INV-000007".into(),
            invoice_date: "2026-06-15".into(),
            due_date: "2026-07-15".into(),
            terms: "Net 30".into(),
            bill_to: vec!["Acme Tools".into(), "HR: Jo Smith".into()],
            remit_to: vec!["Maple Family Medicine".into(), "12 Main St".into()],
            memo: String::new(),
            lines: vec![InvoiceLine {
                service_date: "2026-06-01".into(),
                description: "Pre-employment physical".into(),
                amount: "$120.00".into(),
            }],
            total: "$120.00".into(),
            adjustments: vec![("Payments received".into(), "-$20.00".into())],
            balance_due: "$100.00".into(),
            late_charge_policy: "A late charge of 1.5% a month is added".into(),
            stamp: String::new(),
            printed_at: "2026-06-15 12:00".into(),
        };
        let bytes = invoice_pdf(&invoice);
        assert!(bytes.starts_with(b"%PDF-"));
        let text = text_of(&bytes);
        for wanted in ["INV-000007", "Pre-employment physical", "$120.00", "$100.00", "Acme Tools", "Remit to", "1.5% a month", "Net 30"] {
            assert!(text.contains(wanted), "missing {wanted:?} in {text}");
        }
    }
}
