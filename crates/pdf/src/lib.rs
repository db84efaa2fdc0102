//! Small PDF documents for medoffice: reports now, letters and the CMS-1500 form later.
//!
//! A [`Document`] lays content out top to bottom on Letter pages (or any [`PageSize`]): a
//! [`TitleBlock`] (practice, report, date or period, when printed), section headings, paragraphs
//! that wrap, and [`Table`]s whose columns are aligned left, centre or right. A table that reaches
//! the bottom of a page continues on the next one under its header row again; total rows get a
//! rule above (and a double rule below for a grand total). Every page ends with a footer naming
//! the document and "Page N of M". For forms, [`Document::text_at`] places text at a point.
//!
//! It is pure: [`Document::finish`] returns the file's bytes, nothing is read or written.
//!
//! Text is set in the standard Type1 fonts Helvetica and Helvetica-Bold, which every PDF reader
//! has, so nothing is embedded and a report of a few pages is a few kilobytes. They are encoded
//! in WinAnsiEncoding: Latin-1 and the usual typographic marks (dashes, curly quotes, bullet,
//! ellipsis, euro); any other character is printed as `?` ([`encode`]). Text is measured with the
//! fonts' AFM widths ([`text_width`]), which is what right-aligned amounts need.

pub mod cms1500;
pub mod image;
pub mod invoice;
pub mod labels;
pub mod letter;
pub mod merge;
mod metrics;
pub mod scan;
pub mod statement;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A page's size in points (1/72 inch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSize {
    pub width: f32,
    pub height: f32,
}

impl PageSize {
    /// US Letter, 8.5 x 11 inches.
    pub const LETTER: PageSize = PageSize { width: 612.0, height: 792.0 };
}

/// The blank border of a page, in points. The footer sits inside the bottom margin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
    pub left: f32,
}

impl Margins {
    /// The same margin on every side.
    pub fn uniform(points: f32) -> Margins {
        Margins { top: points, right: points, bottom: points, left: points }
    }
}

/// One of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    fn widths(self) -> &'static [u16; 256] {
        match self {
            Font::Regular => &metrics::HELVETICA,
            Font::Bold => &metrics::HELVETICA_BOLD,
        }
    }
}

/// How text sits in its column or at its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// The WinAnsiEncoding byte of a character; `?` for a character the fonts cannot show.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        // Tabs and line breaks inside a cell print as a space.
        '\t' | '\n' | '\r' => b' ',
        _ => b'?',
    }
}

/// Text as the fonts' WinAnsiEncoding bytes (a character they cannot show becomes `?`).
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

fn bytes_width(font: Font, size: f32, bytes: &[u8]) -> f32 {
    let widths = font.widths();
    bytes.iter().map(|&b| f32::from(widths[usize::from(b)])).sum::<f32>() * size / 1000.0
}

/// The width in points of `text` set in `font` at `size` points.
pub fn text_width(font: Font, size: f32, text: &str) -> f32 {
    bytes_width(font, size, &encode(text))
}

/// `bytes` cut to fit `max` points, ending in an ellipsis when cut.
fn fit(font: Font, size: f32, mut bytes: Vec<u8>, max: f32) -> Vec<u8> {
    if bytes_width(font, size, &bytes) <= max {
        return bytes;
    }
    let ellipsis = bytes_width(font, size, &[0x85]);
    while !bytes.is_empty() && bytes_width(font, size, &bytes) + ellipsis > max {
        bytes.pop();
    }
    bytes.push(0x85);
    bytes
}

/// The head of a report's first page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TitleBlock {
    /// Who it is from: the practice's name.
    pub organization: String,
    /// What it is: "Trial balance".
    pub title: String,
    /// The date or period it covers: "As of 2026-06-30", "2026-01-01 to 2026-06-30".
    pub period: String,
    /// When it was made, as the reader should see it.
    pub printed_at: String,
}

/// A table's column: its header, its share of the table's width and its alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// Relative to the other columns' weights (the table takes the whole text width).
    pub weight: f32,
    pub align: Align,
}

impl Column {
    pub fn new(header: &str, weight: f32, align: Align) -> Column {
        Column { header: header.to_string(), weight, align }
    }
}

/// How a row is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStyle {
    Normal,
    /// Bold, as a group's label.
    Bold,
    /// Bold with a rule above the right-aligned (amount) columns.
    Total,
    /// A total with a double rule below as well: the bottom line of a statement.
    GrandTotal,
}

/// One row of a table: a cell per column (missing cells are blank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<String>,
    pub style: RowStyle,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Row {
        Row { cells, style: RowStyle::Normal }
    }

    pub fn styled(cells: Vec<String>, style: RowStyle) -> Row {
        Row { cells, style }
    }
}

/// A table: columns and rows. Text longer than its column is cut with an ellipsis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// What is drawn on a page. An image is the document's image `index` drawn into the box whose
/// bottom left is (`x`, `y`), `width` x `height` points.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text { x: f32, y: f32, font: Font, size: f32, bytes: Vec<u8> },
    Rule { x1: f32, x2: f32, y: f32, width: f32 },
    Image { index: usize, x: f32, y: f32, width: f32, height: f32 },
}

/// The size of body text, in points.
const BODY_SIZE: f32 = 9.0;
/// A body line's height.
const LINE: f32 = BODY_SIZE * 1.5;
/// Space between a cell's text and its column's edge.
const CELL_PADDING: f32 = 3.0;
/// The footer's text size.
const FOOTER_SIZE: f32 = 7.5;

/// A document being laid out. See the crate's documentation.
#[derive(Debug, Clone)]
pub struct Document {
    size: PageSize,
    margins: Margins,
    pages: Vec<Vec<Op>>,
    /// The top of the next block, in points from the bottom of the page.
    cursor: f32,
    /// Named in each page's footer and the file's information.
    footer: String,
    title: String,
    /// The pictures drawn, each written once however many pages show it.
    images: Vec<image::Image>,
}

impl Document {
    /// An empty document of one page.
    pub fn new(size: PageSize, margins: Margins) -> Document {
        Document {
            size,
            margins,
            pages: vec![Vec::new()],
            cursor: size.height - margins.top,
            footer: String::new(),
            title: String::new(),
            images: Vec::new(),
        }
    }

    /// A Letter page with 3/4 inch margins.
    pub fn letter() -> Document {
        Document::new(PageSize::LETTER, Margins::uniform(54.0))
    }

    /// Pages so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn left(&self) -> f32 {
        self.margins.left
    }

    fn right(&self) -> f32 {
        self.size.width - self.margins.right
    }

    /// The lowest point body content may reach (the footer is below it).
    fn floor(&self) -> f32 {
        self.margins.bottom
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, bytes: Vec<u8>) {
        self.push(Op::Text { x, y, font, size, bytes });
    }

    /// Starts a new page; content continues at its top.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.cursor = self.size.height - self.margins.top;
    }

    /// A new page unless `height` points still fit on this one. True when a page was started.
    fn ensure_space(&mut self, height: f32) -> bool {
        if self.cursor - height < self.floor() {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// Places one line of text with its baseline at (`x`, `y`) points from the page's bottom left,
    /// aligned on `x` as asked, on the current page (for forms and letters' address blocks).
    pub fn text_at(&mut self, x: f32, y: f32, font: Font, size: f32, align: Align, text: &str) {
        let bytes = encode(text);
        let width = bytes_width(font, size, &bytes);
        let x = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        self.text(x, y, font, size, bytes);
    }

    /// Draws `image` on the current page into the box whose bottom left is (`x`, `y`), `width` x
    /// `height` points (the caller keeps the proportions: [`image::Image::fit`]). The same image
    /// on many pages is stored once.
    pub fn image_at(&mut self, image: &image::Image, x: f32, y: f32, width: f32, height: f32) {
        let index = match self.images.iter().position(|i| i == image) {
            Some(i) => i,
            None => {
                self.images.push(image.clone());
                self.images.len() - 1
            }
        };
        self.push(Op::Image { index, x, y, width, height });
    }

    /// A horizontal rule from `x1` to `x2` at `y` on the current page.
    pub fn rule_at(&mut self, x1: f32, x2: f32, y: f32, width: f32) {
        self.push(Op::Rule { x1, x2, y, width });
    }

    /// Vertical space.
    pub fn spacer(&mut self, points: f32) {
        if self.cursor - points < self.floor() {
            self.new_page();
        } else {
            self.cursor -= points;
        }
    }

    /// The report's head: practice, title, period and when printed, with a rule below. The
    /// practice and title also name every page's footer.
    pub fn title_block(&mut self, block: &TitleBlock) {
        self.title = block.title.clone();
        self.footer = [block.organization.as_str(), block.title.as_str(), block.period.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" – ");
        let (left, right) = (self.left(), self.right());
        self.ensure_space(70.0);
        let top = self.cursor;
        self.text(left, top - 11.0, Font::Bold, 11.0, encode(&block.organization));
        if !block.printed_at.is_empty() {
            self.text_at(right, top - 11.0, Font::Regular, 8.0, Align::Right, &format!("Printed {}", block.printed_at));
        }
        self.text(left, top - 31.0, Font::Bold, 16.0, encode(&block.title));
        self.text(left, top - 47.0, Font::Regular, 10.0, encode(&block.period));
        self.rule_at(left, right, top - 55.0, 0.75);
        self.cursor = top - 67.0;
    }

    /// A section heading, kept with at least two lines of what follows.
    pub fn heading(&mut self, text: &str) {
        self.ensure_space(18.0 + 3.0 * LINE);
        let y = self.cursor - 13.0;
        let left = self.left();
        self.text(left, y, Font::Bold, 11.0, encode(text));
        self.cursor -= 20.0;
    }

    /// A paragraph of body text, wrapped at spaces to the text width.
    pub fn paragraph(&mut self, text: &str) {
        let max = self.right() - self.left();
        let mut line: Vec<u8> = Vec::new();
        let mut lines = Vec::new();
        for word in text.split_whitespace() {
            let word = encode(word);
            let mut candidate = line.clone();
            if !candidate.is_empty() {
                candidate.push(b' ');
            }
            candidate.extend_from_slice(&word);
            if bytes_width(Font::Regular, BODY_SIZE, &candidate) <= max || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        for l in lines {
            self.ensure_space(LINE);
            let (x, y) = (self.left(), self.cursor - BODY_SIZE);
            let bytes = fit(Font::Regular, BODY_SIZE, l, max);
            self.text(x, y, Font::Regular, BODY_SIZE, bytes);
            self.cursor -= LINE;
        }
        self.cursor -= LINE / 2.0;
    }

    /// A paragraph with no gap after it, so the next one continues on the next line (address
    /// blocks and a letter's closing lines).
    pub fn line(&mut self, text: &str) {
        self.paragraph(text);
        self.cursor += LINE / 2.0;
    }

    /// Each column's left and right edge.
    fn column_edges(&self, columns: &[Column]) -> Vec<(f32, f32)> {
        let total: f32 = columns.iter().map(|c| c.weight.max(0.0)).sum();
        let width = self.right() - self.left();
        let mut x = self.left();
        columns
            .iter()
            .map(|c| {
                let w = if total > 0.0 { width * c.weight.max(0.0) / total } else { width / columns.len() as f32 };
                let edges = (x, x + w);
                x += w;
                edges
            })
            .collect()
    }

    fn cell(&mut self, edges: (f32, f32), align: Align, font: Font, text: &str, baseline: f32) {
        let max = (edges.1 - edges.0 - 2.0 * CELL_PADDING).max(0.0);
        let bytes = fit(font, BODY_SIZE, encode(text), max);
        let width = bytes_width(font, BODY_SIZE, &bytes);
        let x = match align {
            Align::Left => edges.0 + CELL_PADDING,
            Align::Center => (edges.0 + edges.1 - width) / 2.0,
            Align::Right => edges.1 - CELL_PADDING - width,
        };
        self.text(x, baseline, font, BODY_SIZE, bytes);
    }

    fn table_header(&mut self, columns: &[Column], edges: &[(f32, f32)]) {
        let baseline = self.cursor - BODY_SIZE - 1.0;
        for (c, e) in columns.iter().zip(edges) {
            self.cell(*e, c.align, Font::Bold, &c.header, baseline);
        }
        let (left, right) = (self.left(), self.right());
        self.rule_at(left, right, self.cursor - LINE, 0.5);
        self.cursor -= LINE + 2.0;
    }

    /// A table. Rows that do not fit continue on the next page under the header row again.
    pub fn table(&mut self, table: &Table) {
        if table.columns.is_empty() {
            return;
        }
        let edges = self.column_edges(&table.columns);
        // The header with at least one row under it.
        self.ensure_space(2.0 * LINE + 2.0);
        self.table_header(&table.columns, &edges);
        // The amount columns, which total rows rule; the whole width when there are none.
        let mut amounts: Vec<(f32, f32)> =
            table.columns.iter().zip(&edges).filter(|(c, _)| c.align == Align::Right).map(|(_, e)| *e).collect();
        if amounts.is_empty() {
            amounts.push((self.left(), self.right()));
        }
        for row in &table.rows {
            let height = if row.style == RowStyle::GrandTotal { LINE + 3.0 } else { LINE };
            if self.ensure_space(height) {
                self.table_header(&table.columns, &edges);
            }
            let top = self.cursor;
            if matches!(row.style, RowStyle::Total | RowStyle::GrandTotal) {
                for (x1, x2) in &amounts {
                    self.rule_at(x1 + CELL_PADDING, x2 - CELL_PADDING, top + 1.0, 0.5);
                }
            }
            let font = if row.style == RowStyle::Normal { Font::Regular } else { Font::Bold };
            let baseline = top - BODY_SIZE - 1.0;
            for (i, (c, e)) in table.columns.iter().zip(&edges).enumerate() {
                if let Some(text) = row.cells.get(i).filter(|t| !t.is_empty()) {
                    self.cell(*e, c.align, font, text, baseline);
                }
            }
            if row.style == RowStyle::GrandTotal {
                for (x1, x2) in &amounts {
                    self.rule_at(x1 + CELL_PADDING, x2 - CELL_PADDING, baseline - 3.5, 0.5);
                    self.rule_at(x1 + CELL_PADDING, x2 - CELL_PADDING, baseline - 5.5, 0.5);
                }
            }
            self.cursor -= height;
        }
        self.cursor -= LINE / 2.0;
    }

    /// The PDF file.
    pub fn finish(self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let count = self.pages.len();
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(6 + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
        for (id, base) in [(regular, Name(b"Helvetica")), (bold, Name(b"Helvetica-Bold"))] {
            pdf.type1_font(id).base_font(base).encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        let mut document_info = pdf.document_info(info);
        if !self.title.is_empty() {
            document_info.title(TextStr(&self.title));
        }
        document_info.producer(TextStr("medoffice"));
        document_info.finish();
        // The images after the pages: each an XObject and its soft mask.
        let image_ids: Vec<(Ref, Ref)> =
            (0..self.images.len()).map(|i| (Ref::new(6 + 2 * (count + 2 * i) as i32), Ref::new(7 + 2 * (count + 2 * i) as i32))).collect();
        for (image, (id, mask)) in self.images.iter().zip(&image_ids) {
            image.write(&mut pdf, *id, *mask);
        }
        let image_name = |i: usize| format!("Im{i}");
        let footer_y = self.margins.bottom - 24.0;
        let (left, right) = (self.margins.left, self.size.width - self.margins.right);
        for (i, ops) in self.pages.iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, self.size.width, self.size.height));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            resources.fonts().pair(Font::Regular.resource(), regular).pair(Font::Bold.resource(), bold);
            if !image_ids.is_empty() {
                let mut x_objects = resources.x_objects();
                for (i, (id, _)) in image_ids.iter().enumerate() {
                    x_objects.pair(Name(image_name(i).as_bytes()), *id);
                }
                x_objects.finish();
            }
            resources.finish();
            page.finish();

            let mut content = Content::new();
            let mut footer = vec![Op::Rule { x1: left, x2: right, y: footer_y + 10.0, width: 0.25 }];
            let page_text = encode(&format!("Page {} of {}", i + 1, count));
            let page_x = right - bytes_width(Font::Regular, FOOTER_SIZE, &page_text);
            footer.push(Op::Text { x: page_x, y: footer_y, font: Font::Regular, size: FOOTER_SIZE, bytes: page_text });
            if !self.footer.is_empty() {
                let bytes = fit(Font::Regular, FOOTER_SIZE, encode(&self.footer), (right - left) * 0.75);
                footer.push(Op::Text { x: left, y: footer_y, font: Font::Regular, size: FOOTER_SIZE, bytes });
            }
            for op in ops.iter().chain(&footer) {
                match op {
                    Op::Text { x, y, font, size, bytes } => {
                        content.begin_text();
                        content.set_font(font.resource(), *size);
                        content.next_line(*x, *y);
                        content.show(Str(bytes));
                        content.end_text();
                    }
                    Op::Rule { x1, x2, y, width } => {
                        content.set_line_width(*width);
                        content.move_to(*x1, *y);
                        content.line_to(*x2, *y);
                        content.stroke();
                    }
                    Op::Image { index, x, y, width, height } => {
                        content.save_state();
                        content.transform([*width, 0.0, 0.0, *height, *x, *y]);
                        content.x_object(Name(image_name(*index).as_bytes()));
                        content.restore_state();
                    }
                }
            }
            pdf.stream(content_id, content.finish().as_slice());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests;
