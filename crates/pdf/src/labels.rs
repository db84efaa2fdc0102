//! Mailing labels and envelopes for a mailing's recipients.
//!
//! [`avery_5160`] prints address labels on Avery 5160 sheets (and their equivalents: 5260, 5960,
//! 8160...): a Letter page of 3 columns by 10 rows, each label 2.625 by 1 inch, the first one 0.5
//! inch from the top and 0.1875 inch from the left, the next ones 2.75 inches apart across and 1
//! inch down. Labels fill a row left to right, then the next row, as word processors do; the
//! 31st starts a new sheet. The text is inset from the label's edge and centred top to bottom;
//! a line too long for the label is cut with an ellipsis rather than printed over the next one.
//!
//! [`envelopes_10`] prints one #10 envelope (9.5 by 4.125 inches) per recipient: the practice's
//! return address in the top left corner and the recipient's address block right of the middle,
//! centred top to bottom inside the area the postal service's scanners read.
//!
//! Pages carry no footer or page number: anything printed outside a label would land on the
//! sheet's margin or, worse, on the next label.

use crate::{Font, bytes_width, encode, fit};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Points per inch.
const INCH: f32 = 72.0;

/// The Avery 5160 sheet: US Letter.
pub const SHEET_WIDTH: f32 = 8.5 * INCH;
pub const SHEET_HEIGHT: f32 = 11.0 * INCH;
/// Columns and rows of labels on a sheet.
pub const COLUMNS: usize = 3;
pub const ROWS: usize = 10;
/// Labels on one sheet.
pub const LABELS_PER_PAGE: usize = COLUMNS * ROWS;
/// A label's size.
pub const LABEL_WIDTH: f32 = 2.625 * INCH;
pub const LABEL_HEIGHT: f32 = 1.0 * INCH;
/// From the sheet's top edge to the first row, and from its left edge to the first column.
pub const TOP_MARGIN: f32 = 0.5 * INCH;
pub const LEFT_MARGIN: f32 = 0.1875 * INCH;
/// From one label's left edge to the next one's, and from one row's top to the next one's.
pub const HORIZONTAL_PITCH: f32 = 2.75 * INCH;
pub const VERTICAL_PITCH: f32 = 1.0 * INCH;
/// The blank between a label's edge and its text, left and right.
pub const LABEL_INSET: f32 = 0.125 * INCH;
/// A label's text size and line height.
pub const LABEL_TEXT_SIZE: f32 = 9.5;
pub const LABEL_LEADING: f32 = 11.5;
/// The most lines a label holds (name, two street lines, city line and one more).
pub const LABEL_MAX_LINES: usize = 5;

/// The #10 envelope.
pub const ENVELOPE_WIDTH: f32 = 9.5 * INCH;
pub const ENVELOPE_HEIGHT: f32 = 4.125 * INCH;
/// The return address's distance from the envelope's top and left edges, size and line height.
pub const RETURN_INSET: f32 = 0.375 * INCH;
pub const RETURN_SIZE: f32 = 9.0;
pub const RETURN_LEADING: f32 = 11.0;
/// The recipient's block: its left edge (the envelope's middle), the blank kept on its right,
/// its size and line height. The block's centre sits a little below the envelope's middle.
pub const ADDRESS_LEFT: f32 = ENVELOPE_WIDTH / 2.0;
pub const ADDRESS_RIGHT_MARGIN: f32 = 0.5 * INCH;
pub const ADDRESS_SIZE: f32 = 11.0;
pub const ADDRESS_LEADING: f32 = 14.0;
pub const ADDRESS_CENTRE_Y: f32 = 1.85 * INCH;
/// The most lines of the recipient's block and of the return address.
pub const ADDRESS_MAX_LINES: usize = 6;
pub const RETURN_MAX_LINES: usize = 5;

/// One piece of text placed on a page: baseline start at (`x`, `y`) points from the bottom left.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    bytes: Vec<u8>,
}

/// Where label number `index` (from 0) is: its sheet (from 0), and its left and top edges in
/// points from the sheet's bottom left corner.
pub fn label_position(index: usize) -> (usize, f32, f32) {
    let page = index / LABELS_PER_PAGE;
    let on_page = index % LABELS_PER_PAGE;
    let (row, column) = (on_page / COLUMNS, on_page % COLUMNS);
    let left = LEFT_MARGIN + column as f32 * HORIZONTAL_PITCH;
    let top = SHEET_HEIGHT - TOP_MARGIN - row as f32 * VERTICAL_PITCH;
    (page, left, top)
}

/// The baselines of `count` lines centred top to bottom in a box whose top edge is `top`.
fn centred_baselines(top: f32, height: f32, count: usize, size: f32, leading: f32) -> Vec<f32> {
    // The block runs from the first line's cap height to the last line's baseline.
    let cap = size * 0.72;
    let block = cap + leading * count.saturating_sub(1) as f32;
    let first = top - (height - block) / 2.0 - cap;
    (0..count).map(|i| first - leading * i as f32).collect()
}

fn clean_lines(lines: &[String], max: usize) -> Vec<&str> {
    lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).take(max).collect()
}

/// Address labels on Avery 5160 sheets: one label per entry of `labels` (its lines, the name
/// first), in order. Empty lines are skipped; at most [`LABEL_MAX_LINES`] lines are printed.
/// No labels still makes one blank sheet, so the file opens.
pub fn avery_5160(labels: &[Vec<String>]) -> Vec<u8> {
    let pages = labels.len().div_ceil(LABELS_PER_PAGE).max(1);
    let mut placed: Vec<Vec<Placed>> = vec![Vec::new(); pages];
    let max_width = LABEL_WIDTH - 2.0 * LABEL_INSET;
    for (i, label) in labels.iter().enumerate() {
        let (page, left, top) = label_position(i);
        let lines = clean_lines(label, LABEL_MAX_LINES);
        let baselines = centred_baselines(top, LABEL_HEIGHT, lines.len(), LABEL_TEXT_SIZE, LABEL_LEADING);
        for (line, y) in lines.iter().zip(baselines) {
            let bytes = fit(Font::Regular, LABEL_TEXT_SIZE, encode(line), max_width);
            if let Some(p) = placed.get_mut(page) {
                p.push(Placed { x: left + LABEL_INSET, y, font: Font::Regular, size: LABEL_TEXT_SIZE, bytes });
            }
        }
    }
    write_pdf(SHEET_WIDTH, SHEET_HEIGHT, &placed, "Mailing labels (Avery 5160)")
}

/// #10 envelopes, one per recipient (its lines, the name first): `return_address` (the
/// practice's name, then its address lines) top left, the recipient right of the middle.
pub fn envelopes_10(return_address: &[String], recipients: &[Vec<String>]) -> Vec<u8> {
    let back = clean_lines(return_address, RETURN_MAX_LINES);
    let return_width = ADDRESS_LEFT - RETURN_INSET - 0.25 * INCH;
    let address_width = ENVELOPE_WIDTH - ADDRESS_RIGHT_MARGIN - ADDRESS_LEFT;
    let mut pages = Vec::new();
    for recipient in recipients {
        let mut page = Vec::new();
        for (i, line) in back.iter().enumerate() {
            let font = if i == 0 { Font::Bold } else { Font::Regular };
            let y = ENVELOPE_HEIGHT - RETURN_INSET - RETURN_SIZE - RETURN_LEADING * i as f32;
            let bytes = fit(font, RETURN_SIZE, encode(line), return_width);
            page.push(Placed { x: RETURN_INSET, y, font, size: RETURN_SIZE, bytes });
        }
        let lines = clean_lines(recipient, ADDRESS_MAX_LINES);
        let block = ADDRESS_SIZE * 0.72 + ADDRESS_LEADING * lines.len().saturating_sub(1) as f32;
        let first = ADDRESS_CENTRE_Y + block / 2.0 - ADDRESS_SIZE * 0.72;
        for (i, line) in lines.iter().enumerate() {
            let bytes = fit(Font::Regular, ADDRESS_SIZE, encode(line), address_width);
            let y = first - ADDRESS_LEADING * i as f32;
            page.push(Placed { x: ADDRESS_LEFT, y, font: Font::Regular, size: ADDRESS_SIZE, bytes });
        }
        pages.push(page);
    }
    if pages.is_empty() {
        pages.push(Vec::new());
    }
    write_pdf(ENVELOPE_WIDTH, ENVELOPE_HEIGHT, &pages, "Envelopes (#10)")
}

/// The file: pages of `width` by `height` points with their text, in Helvetica.
fn write_pdf(width: f32, height: f32, pages: &[Vec<Placed>], title: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(6 + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    for (id, base) in [(regular, Name(b"Helvetica")), (bold, Name(b"Helvetica-Bold"))] {
        pdf.type1_font(id).base_font(base).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let mut document_info = pdf.document_info(info);
    document_info.title(TextStr(title));
    document_info.producer(TextStr("medoffice"));
    document_info.finish();
    for (ops, page_id) in pages.iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, width, height));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(Font::Regular.resource(), regular).pair(Font::Bold.resource(), bold);
        resources.finish();
        page.finish();
        let mut content = Content::new();
        for op in ops {
            content.begin_text();
            content.set_font(op.font.resource(), op.size);
            content.next_line(op.x, op.y);
            content.show(Str(&op.bytes));
            content.end_text();
        }
        pdf.stream(content_id, content.finish().as_slice());
    }
    pdf.finish()
}

/// Whether `text` fits on one line of a label without being cut.
pub fn label_line_fits(text: &str) -> bool {
    bytes_width(Font::Regular, LABEL_TEXT_SIZE, &encode(text)) <= LABEL_WIDTH - 2.0 * LABEL_INSET
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Every text drawn on each page: (x, y, font size, text).
    fn placed_text(bytes: &[u8]) -> Vec<Vec<(f32, f32, f32, String)>> {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let mut out = Vec::new();
        for (_, page) in doc.get_pages() {
            let content = lopdf::content::Content::decode(&doc.get_page_content(page)).unwrap();
            let (mut x, mut y, mut size) = (0.0, 0.0, 0.0);
            let mut texts = Vec::new();
            for op in content.operations {
                match op.operator.as_str() {
                    "Tf" => size = op.operands[1].as_float().unwrap(),
                    "Td" => {
                        x = op.operands[0].as_float().unwrap();
                        y = op.operands[1].as_float().unwrap();
                    }
                    "Tj" => texts.push((x, y, size, String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned())),
                    _ => {}
                }
            }
            out.push(texts);
        }
        out
    }

    fn media_box(bytes: &[u8]) -> (f32, f32) {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let (_, page) = doc.get_pages().into_iter().next().unwrap();
        let b = doc.get_dictionary(page).unwrap().get(b"MediaBox").unwrap().as_array().unwrap().clone();
        (b[2].as_float().unwrap(), b[3].as_float().unwrap())
    }

    fn label(n: usize) -> Vec<String> {
        vec![format!("Patient {n:02}"), format!("{n} Elm St"), "Albany, NY 12207".into()]
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 0.01
    }

    #[test]
    fn labels_sit_on_the_avery_5160_grid() {
        // The first label: 0.1875 in from the left, 0.5 in from the top.
        assert_eq!(label_position(0), (0, 13.5, 756.0));
        // Across a row 2.75 in apart, then down 1 in.
        assert_eq!(label_position(1), (0, 13.5 + 198.0, 756.0));
        assert_eq!(label_position(2), (0, 13.5 + 396.0, 756.0));
        assert_eq!(label_position(3), (0, 13.5, 684.0));
        // The last label of a sheet: third column, tenth row, its bottom 0.5 in above the edge.
        let (page, left, top) = label_position(29);
        assert_eq!((page, left, top), (0, 409.5, 108.0));
        assert!(close(top - LABEL_HEIGHT, 36.0));
        assert!(close(left + LABEL_WIDTH, 598.5));
        // The 31st starts the next sheet at the first place.
        assert_eq!(label_position(30), (1, 13.5, 756.0));
    }

    #[test]
    fn thirty_labels_fill_one_sheet_and_the_thirty_first_starts_another() {
        let thirty: Vec<Vec<String>> = (1..=30).map(label).collect();
        let bytes = avery_5160(&thirty);
        assert_eq!(media_box(&bytes), (612.0, 792.0));
        assert_eq!(placed_text(&bytes).len(), 1);
        let thirty_one: Vec<Vec<String>> = (1..=31).map(label).collect();
        let pages = placed_text(&avery_5160(&thirty_one));
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[1].len(), 3, "one label of three lines on the second sheet");
        assert_eq!(pages[1][0].3, "Patient 31");
        assert!(close(pages[1][0].0, 13.5 + LABEL_INSET));
        // Sixty-one labels: three sheets.
        let many: Vec<Vec<String>> = (1..=61).map(label).collect();
        assert_eq!(placed_text(&avery_5160(&many)).len(), 3);
        // None: one blank sheet.
        assert_eq!(placed_text(&avery_5160(&[])), vec![Vec::new()]);
    }

    #[test]
    fn a_label_s_text_is_inset_and_centred_inside_the_label() {
        let labels: Vec<Vec<String>> = (1..=5).map(label).collect();
        let pages = placed_text(&avery_5160(&labels));
        let texts = &pages[0];
        assert_eq!(texts.len(), 15);
        for (i, chunk) in texts.chunks(3).enumerate() {
            let (_, left, top) = label_position(i);
            assert_eq!(chunk[0].3, format!("Patient {:02}", i + 1));
            for (x, y, size, _) in chunk {
                assert!(close(*x, left + LABEL_INSET), "{x}");
                assert!(close(*size, LABEL_TEXT_SIZE));
                assert!(*y < top - LABEL_TEXT_SIZE * 0.72 && *y > top - LABEL_HEIGHT, "{y} outside {top}");
            }
            // The lines go down one leading at a time; the blank above and below is the same.
            assert!(close(chunk[0].1 - chunk[1].1, LABEL_LEADING));
            let above = top - (chunk[0].1 + LABEL_TEXT_SIZE * 0.72);
            let below = chunk[2].1 - (top - LABEL_HEIGHT);
            assert!(close(above, below), "{above} vs {below}");
        }
    }

    #[test]
    fn a_long_line_is_cut_to_the_label_and_blank_lines_are_skipped() {
        let long = "Maximilian Bartholomew Fitzgerald-Worthington the Third of Greater Albany".to_string();
        assert!(!label_line_fits(&long));
        let pages = placed_text(&avery_5160(&[vec![long.clone(), "  ".into(), "1 Main St".into(), "Troy, NY 12180".into()]]));
        let texts = &pages[0];
        assert_eq!(texts.len(), 3);
        let printed = &texts[0].3;
        // Cut, ending in the ellipsis (WinAnsi 0x85, read back as a replacement character).
        assert!(printed.ends_with('\u{fffd}') && printed.len() < long.len(), "{printed:?}");
        let kept = printed.trim_end_matches('\u{fffd}');
        assert!(long.starts_with(kept));
        let width = bytes_width(Font::Regular, LABEL_TEXT_SIZE, &encode(&format!("{kept}\u{2026}")));
        assert!(width <= LABEL_WIDTH - 2.0 * LABEL_INSET, "{width}");
        assert_eq!(texts[1].3, "1 Main St");
        // At most five lines.
        let seven: Vec<String> = (1..=7).map(|i| format!("Line {i}")).collect();
        assert_eq!(placed_text(&avery_5160(&[seven]))[0].len(), LABEL_MAX_LINES);
    }

    #[test]
    fn an_envelope_has_the_return_address_top_left_and_the_recipient_right_of_the_middle() {
        let back = vec!["Maple Family Medicine".to_string(), "1 State St".into(), "Albany, NY 12207".into()];
        let bytes = envelopes_10(&back, &[label(1), label(2)]);
        assert_eq!(media_box(&bytes), (684.0, 297.0));
        let pages = placed_text(&bytes);
        assert_eq!(pages.len(), 2, "one envelope per recipient");
        let texts = &pages[1];
        assert_eq!(texts.len(), 6);
        // The return address: 3/8 in from the left and the top.
        assert_eq!(texts[0].3, "Maple Family Medicine");
        assert!(close(texts[0].0, 27.0));
        assert!(close(texts[0].1, 297.0 - 27.0 - RETURN_SIZE));
        assert!(close(texts[2].1, texts[0].1 - 2.0 * RETURN_LEADING));
        // The recipient: from the middle, in the scanners' read area (5/8 to 2 3/4 in up).
        assert_eq!(texts[3].3, "Patient 02");
        for (x, y, size, _) in &texts[3..] {
            assert!(close(*x, 342.0));
            assert!(close(*size, ADDRESS_SIZE));
            assert!(*y >= 45.0 && *y + ADDRESS_SIZE <= 198.0, "{y}");
        }
        // Centred on its line: the block's middle at 1.85 in.
        let middle = (texts[3].1 + ADDRESS_SIZE * 0.72 + texts[5].1) / 2.0;
        assert!(close(middle, ADDRESS_CENTRE_Y), "{middle}");
    }

    #[test]
    fn no_recipients_still_make_a_file_that_opens() {
        assert_eq!(placed_text(&envelopes_10(&["Practice".to_string()], &[])).len(), 1);
    }
}
