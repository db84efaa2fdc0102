#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn report(rows: usize) -> Document {
    let mut doc = Document::letter();
    doc.title_block(&TitleBlock {
        organization: "Maple Street Clinic".into(),
        title: "Trial balance".into(),
        period: "As of 2026-06-30".into(),
        printed_at: "2026-07-01 09:30".into(),
    });
    doc.heading("Accounts");
    let columns =
        vec![Column::new("Number", 1.0, Align::Left), Column::new("Account", 4.0, Align::Left), Column::new("Debit", 2.0, Align::Right)];
    let mut table = Table { columns, rows: Vec::new() };
    for i in 0..rows {
        table.rows.push(Row::new(vec![format!("{}", 1000 + i), format!("Account row {i}"), "1,234.56".into()]));
    }
    table.rows.push(Row::styled(vec![String::new(), "Totals".into(), "9,999.99".into()], RowStyle::GrandTotal));
    doc.table(&table);
    doc
}

fn parse(bytes: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(bytes).expect("the output parses as a PDF")
}

fn page_text(doc: &lopdf::Document, page: u32) -> String {
    doc.extract_text(&[page]).unwrap()
}

#[test]
fn a_document_is_a_pdf_file_that_parses_back_with_its_text() {
    let bytes = report(3).finish();
    assert!(bytes.starts_with(b"%PDF-"), "{:?}", &bytes[..8]);
    let parsed = parse(&bytes);
    assert_eq!(parsed.get_pages().len(), 1);
    let text = page_text(&parsed, 1);
    for expected in
        ["Maple Street Clinic", "Trial balance", "As of 2026-06-30", "Printed 2026-07-01 09:30", "Account row 2", "9,999.99", "Page 1 of 1"]
    {
        assert!(text.contains(expected), "{expected:?} missing from {text:?}");
    }
}

#[test]
fn a_long_table_breaks_across_pages_with_its_header_repeated_and_pages_numbered() {
    let doc = report(150);
    let pages = doc.page_count();
    assert!(pages >= 3, "150 rows fill more than two pages, got {pages}");
    let parsed = parse(&doc.finish());
    assert_eq!(parsed.get_pages().len(), pages);
    for page in 1..=pages as u32 {
        let text = page_text(&parsed, page);
        assert!(text.contains("Number") && text.contains("Debit"), "page {page} repeats the table's header: {text:?}");
        assert!(text.contains(&format!("Page {page} of {pages}")), "page {page} is numbered: {text:?}");
    }
    // The title block is on the first page only; every row is printed once, in order.
    assert!(page_text(&parsed, 1).contains("As of 2026-06-30"));
    assert!(!page_text(&parsed, 2).contains("Printed"));
    assert!(page_text(&parsed, pages as u32).contains("9,999.99"));
    let all: String = (1..=pages as u32).map(|p| page_text(&parsed, p)).collect();
    let mut at = 0;
    for i in 0..150 {
        // "Account row 1" is also the start of "Account row 10": a match ends before a digit.
        let row = format!("Account row {i}");
        let ends = |text: &str, from: usize| {
            text[from..]
                .match_indices(&row)
                .map(|(k, _)| from + k)
                .find(|k| !text[k + row.len()..].starts_with(|c: char| c.is_ascii_digit()))
        };
        let found = ends(&all, at).unwrap_or_else(|| panic!("row {i} is printed after the row before it"));
        at = found + row.len();
        assert!(ends(&all, at).is_none(), "row {i} is printed once");
    }
}

#[test]
fn rows_stay_inside_the_margins_of_each_page() {
    let doc = report(200);
    for (n, ops) in doc.pages.iter().enumerate() {
        for op in ops {
            if let Op::Text { y, .. } = op {
                assert!(*y >= doc.margins.bottom - 1.0 && *y <= PageSize::LETTER.height - doc.margins.top, "page {n}: text at y {y}");
            }
        }
    }
}

#[test]
fn amounts_in_a_right_aligned_column_end_at_the_same_point() {
    let mut doc = Document::letter();
    let table = Table {
        columns: vec![Column::new("Item", 3.0, Align::Left), Column::new("Amount", 1.0, Align::Right)],
        rows: vec![Row::new(vec!["a".into(), "1.00".into()]), Row::new(vec!["b".into(), "1,234,567.89".into()])],
    };
    doc.table(&table);
    let ends: Vec<f32> = doc.pages[0]
        .iter()
        .filter_map(|op| match op {
            Op::Text { x, font, size, bytes, .. } if bytes.first().is_some_and(u8::is_ascii_digit) => {
                Some(x + bytes_width(*font, *size, bytes))
            }
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 2);
    assert!((ends[0] - ends[1]).abs() < 0.01, "{ends:?}");
    assert!((ends[0] - (PageSize::LETTER.width - 54.0 - CELL_PADDING)).abs() < 0.01, "{ends:?}");
}

#[test]
fn text_is_measured_with_the_fonts_widths() {
    // Helvetica's digits are 556/1000 em; "1.00" at 10 pt is 3 x 5.56 + 2.78.
    assert!((text_width(Font::Regular, 10.0, "1.00") - 19.46).abs() < 0.001);
    // Bold is wider for letters.
    assert!(text_width(Font::Bold, 10.0, "Total") > text_width(Font::Regular, 10.0, "Total"));
}

#[test]
fn characters_outside_win_ansi_print_as_a_question_mark() {
    assert_eq!(encode("Café – ok"), vec![b'C', b'a', b'f', 0xe9, b' ', 0x96, b' ', b'o', b'k']);
    assert_eq!(encode("日"), b"?".to_vec());
}

#[test]
fn text_too_long_for_its_column_is_cut_with_an_ellipsis() {
    let cut = fit(Font::Regular, 9.0, encode("a very long account name that does not fit"), 50.0);
    assert!(bytes_width(Font::Regular, 9.0, &cut) <= 50.0);
    assert_eq!(cut.last(), Some(&0x85));
}

#[test]
fn a_paragraph_wraps_and_text_can_be_placed_at_a_point() {
    let mut doc = Document::letter();
    doc.paragraph(&"word ".repeat(400));
    doc.text_at(300.0, 700.0, Font::Bold, 12.0, Align::Center, "CENTERED");
    let parsed = parse(&doc.finish());
    let text = page_text(&parsed, 1);
    assert!(text.contains("CENTERED"));
    assert!(text.matches("word").count() >= 400, "every word is printed");
}
