//! The CMS-1500 (02/12) paper claim form, as the NUCC lays it out.
//!
//! The form is a character grid: 10 characters to the inch and 6 lines to the inch, so data is
//! set in Courier at 12 points (each character 7.2 points, a tenth of an inch wide) on lines 12
//! points apart. Every box sits at the line and column the NUCC's print positions give it (box 2
//! on line 10 from column 1, box 24's six service lines on lines 44, 46 ... 54, boxes 25-30 on
//! line 56...). Line `l` is the `l`th sixth of an inch from the top of the page; column `c`
//! starts a quarter inch plus `c - 1` tenths from the left edge.
//!
//! Two ways to print ([`Mode`]): on plain paper the form's boxes, captions and check boxes are
//! drawn too, in the form's red, so a blank sheet comes out as a readable claim; on the red
//! pre-printed form only the data is printed, moved by the practice's alignment offsets (every
//! printer feeds a little differently).
//!
//! One [`ClaimForm`] is one sheet with at most [`MAX_LINES`] service lines; a claim with more
//! lines is printed on several sheets, each totalled on its own (box 28 is the sum of the
//! sheet's lines). Pure: [`render`] returns the PDF file's bytes.

use crate::encode;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Service lines on one sheet (box 24 has six).
pub const MAX_LINES: usize = 6;
/// Diagnoses on one claim (box 21, A to L).
pub const MAX_DIAGNOSES: usize = 12;

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
/// One character: a tenth of an inch.
const CHAR: f32 = 7.2;
/// One line: a sixth of an inch.
const LINE: f32 = 12.0;
/// Column 1's left edge: a quarter inch.
const LEFT: f32 = 18.0;
/// Courier at 12 points is ten characters to the inch.
const DATA_SIZE: f32 = 12.0;
/// Captions on the plain-paper form.
const CAPTION_SIZE: f32 = 5.0;
/// The last column of the form's right edge.
const LAST_COLUMN: u32 = 79;
/// The form's red (the drop-out ink of the printed form), and the shade of box 24's upper rows.
const RED: (f32, f32, f32) = (0.80, 0.12, 0.14);
const SHADE: (f32, f32, f32) = (0.99, 0.90, 0.90);

/// How a claim is printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// On blank paper: the form is drawn around the data.
    Plain,
    /// On the pre-printed red form: data only, moved right and down by these points (negative
    /// moves left or up).
    RedForm { right_points: f32, down_points: f32 },
}

/// Box 1: the kind of coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InsuranceType {
    Medicare,
    Medicaid,
    Tricare,
    Champva,
    #[default]
    GroupHealthPlan,
    FecaBlackLung,
    Other,
}

impl InsuranceType {
    fn column(self) -> u32 {
        match self {
            InsuranceType::Medicare => 1,
            InsuranceType::Medicaid => 8,
            InsuranceType::Tricare => 15,
            InsuranceType::Champva => 24,
            InsuranceType::GroupHealthPlan => 31,
            InsuranceType::FecaBlackLung => 39,
            InsuranceType::Other => 45,
        }
    }
}

/// Boxes 3 and 11a.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// Box 6: the patient's relationship to the insured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Relationship {
    #[default]
    SelfInsured,
    Spouse,
    Child,
    Other,
}

/// An address as boxes 5 and 7 hold it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// Ten digits; printed as area code and number.
    pub phone: String,
}

/// One line of box 24.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceLine {
    /// 24A, `MM DD YY`.
    pub from: String,
    pub to: String,
    /// 24B.
    pub place_of_service: String,
    /// 24D: CPT or HCPCS code and up to four modifiers.
    pub procedure: String,
    pub modifiers: Vec<String>,
    /// 24E: letters of box 21, e.g. `AB`.
    pub pointers: String,
    /// 24F.
    pub charge_cents: i64,
    /// 24G.
    pub units: String,
    /// 24J: the rendering provider's NPI.
    pub rendering_npi: String,
}

/// One sheet of a claim: what each box says. Blank text leaves a box empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimForm {
    /// The carrier block at the top right: the payer's name and address, up to four lines.
    pub payer: Vec<String>,
    pub insurance_type: InsuranceType,
    /// 1a.
    pub insured_id: String,
    /// 2, `LAST, FIRST, M`.
    pub patient_name: String,
    /// 3, `MM DD YYYY`.
    pub patient_birth_date: String,
    pub patient_sex: Option<Sex>,
    /// 4.
    pub insured_name: String,
    /// 5.
    pub patient_address: Address,
    /// 6.
    pub relationship: Relationship,
    /// 7.
    pub insured_address: Address,
    /// 9, 9a and 9d: the other (secondary) insurance.
    pub other_insured_name: String,
    pub other_insured_policy: String,
    pub other_plan_name: String,
    /// 11, 11a, 11c.
    pub insured_group: String,
    pub insured_birth_date: String,
    pub insured_sex: Option<Sex>,
    pub plan_name: String,
    /// 11d: is there another health benefit plan.
    pub another_plan: Option<bool>,
    /// 12 and 13: signatures on file.
    pub patient_signature: String,
    pub insured_signature: String,
    /// 21, A to L, without the dot.
    pub diagnoses: Vec<String>,
    /// 22: 7 (replacement) or 8 (void) and the payer's claim number.
    pub resubmission_code: String,
    pub original_reference: String,
    /// 24, at most six.
    pub lines: Vec<ServiceLine>,
    /// 25.
    pub tax_id: String,
    pub tax_id_is_ein: bool,
    /// 26.
    pub account_number: String,
    /// 27.
    pub accept_assignment: bool,
    /// 31: name or "SIGNATURE ON FILE", and the date, `MM DD YY`.
    pub signature: String,
    pub signature_date: String,
    /// 32 and 32a.
    pub facility: Vec<String>,
    pub facility_npi: String,
    /// 33 and 33a.
    pub billing: Vec<String>,
    pub billing_phone: String,
    pub billing_npi: String,
}

impl ClaimForm {
    /// Box 28: the sum of this sheet's lines.
    pub fn total_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.charge_cents).sum()
    }
}

/// An amount as the form prints it: dollars right-aligned in `dollar_width` characters, a space
/// where the dotted line between dollars and cents is, and two digits of cents.
pub fn form_amount(cents: i64, dollar_width: usize) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{:>dollar_width$} {:02}", format!("{sign}{}", cents / 100), cents % 100)
}

/// The left edge of a column, in points.
fn column_x(column: u32) -> f32 {
    LEFT + (column.saturating_sub(1)) as f32 * CHAR
}

/// The top of a line, in points from the bottom of the page.
fn line_top(line: u32) -> f32 {
    PAGE_HEIGHT - (line.saturating_sub(1)) as f32 * LINE
}

/// What is drawn on one sheet, in the order drawn.
enum Op {
    Data { x: f32, y: f32, bytes: Vec<u8> },
    Caption { x: f32, y: f32, size: f32, bold: bool, bytes: Vec<u8> },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, width: f32 },
    Shade { x: f32, y: f32, w: f32, h: f32 },
    Box { x: f32, y: f32, w: f32, h: f32 },
}

struct Sheet {
    ops: Vec<Op>,
    right: f32,
    down: f32,
}

impl Sheet {
    /// Data at a line and column, at most `max` characters, in capitals (as the form asks).
    fn put(&mut self, line: u32, column: u32, max: usize, text: &str) {
        // Leading spaces are kept: they right-align amounts.
        let text: String = text.trim_end().to_uppercase().chars().take(max).collect();
        if text.trim().is_empty() {
            return;
        }
        let x = column_x(column) + self.right;
        // The baseline sits 3 points above the line's bottom: room for descenders.
        let y = line_top(line) - LINE + 3.0 - self.down;
        self.ops.push(Op::Data { x, y, bytes: encode(&text) });
    }

    fn check(&mut self, line: u32, column: u32) {
        self.put(line, column, 1, "X");
    }

    fn date(&mut self, line: u32, column: u32, text: &str) {
        self.put(line, column, 10, text);
    }

    fn phone(&mut self, line: u32, area_column: u32, number_column: u32, digits: &str) {
        let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 10 {
            self.put(line, area_column, 3, &digits[..3]);
            self.put(line, number_column, 8, &format!("{}-{}", &digits[3..6], &digits[6..]));
        }
    }

    // The plain-paper form's drawing, in grid units.

    fn caption(&mut self, line: u32, column: u32, text: &str) {
        let x = column_x(column) + 1.2;
        let y = line_top(line) - CAPTION_SIZE - 0.8;
        self.ops.push(Op::Caption { x, y, size: CAPTION_SIZE, bold: false, bytes: encode(text) });
    }

    /// A caption lower in its line: the small labels beside check boxes.
    fn label(&mut self, line: u32, column: u32, text: &str) {
        let x = column_x(column) + 1.0;
        let y = line_top(line) - LINE + 3.5;
        self.ops.push(Op::Caption { x, y, size: CAPTION_SIZE, bold: false, bytes: encode(text) });
    }

    fn heading(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.ops.push(Op::Caption { x, y, size, bold: true, bytes: encode(text) });
    }

    /// A rule along the top of `line` from column `from` to the right edge of column `to`.
    fn rule(&mut self, line: u32, from: u32, to: u32, width: f32) {
        let y = line_top(line);
        self.ops.push(Op::Line { x1: column_x(from), y1: y, x2: column_x(to + 1), y2: y, width });
    }

    /// A vertical rule at the left edge of `column` from the top of line `from` to the bottom of
    /// line `to`.
    fn divider(&mut self, column: u32, from: u32, to: u32) {
        let x = column_x(column);
        self.ops.push(Op::Line { x1: x, y1: line_top(from), x2: x, y2: line_top(to + 1), width: 0.5 });
    }

    /// A short tick at the bottom of a data line: the dotted separators of dates and amounts.
    fn tick(&mut self, line: u32, column: u32) {
        let x = column_x(column) + CHAR / 2.0;
        let y = line_top(line) - LINE;
        self.ops.push(Op::Line { x1: x, y1: y, x2: x, y2: y + 4.0, width: 0.4 });
    }

    fn checkbox(&mut self, line: u32, column: u32, label: &str) {
        let (x, top) = (column_x(column), line_top(line));
        self.ops.push(Op::Box { x: x - 0.4, y: top - LINE + 1.5, w: CHAR + 0.8, h: LINE - 3.0 });
        if !label.is_empty() {
            self.label(line, column + 1, label);
        }
    }
}

/// Draws the plain-paper form: title, carrier block, every box with its caption.
fn draw_form(s: &mut Sheet) {
    // Title block and carrier block.
    s.heading(LEFT, PAGE_HEIGHT - 34.0, 13.0, "HEALTH INSURANCE CLAIM FORM");
    s.heading(LEFT, PAGE_HEIGHT - 44.0, 5.5, "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12");
    s.heading(LEFT, PAGE_HEIGHT - 20.0, 16.0, "1500");
    s.caption(6, 1, "PICA");
    s.caption(6, 74, "PICA");
    s.caption(1, 41, "CARRIER: PAYER NAME AND ADDRESS");
    s.divider(40, 1, 6);

    // Top section: lines 7 to 30, three columns (1-29, 30-48, 49-79).
    let rows = [7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27];
    for line in rows {
        s.rule(line, 1, LAST_COLUMN, if line == 7 { 1.0 } else { 0.5 });
    }
    s.divider(49, 7, 26);
    s.divider(30, 9, 26);
    s.divider(1, 7, 61);
    s.divider(LAST_COLUMN + 1, 7, 61);

    // Box 1 and 1a.
    s.caption(7, 1, "1. MEDICARE       MEDICAID       TRICARE            CHAMPVA       GROUP HEALTH PLAN   FECA BLK LUNG   OTHER");
    for (column, label) in
        [(1, "(Medicare#)"), (8, "(Medicaid#)"), (15, "(ID#/DoD#)"), (24, "(Member ID#)"), (31, "(ID#)"), (39, "(ID#)"), (45, "(ID#)")]
    {
        s.checkbox(8, column, label);
    }
    s.caption(7, 49, "1a. INSURED'S I.D. NUMBER                 (For Program in Item 1)");

    // Boxes 2, 3, 4.
    s.caption(9, 1, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)");
    s.caption(9, 30, "3. PATIENT'S BIRTH DATE          SEX");
    s.label(10, 30, "");
    s.tick(10, 33);
    s.tick(10, 36);
    s.checkbox(10, 42, "M");
    s.checkbox(10, 47, "F");
    s.caption(9, 49, "4. INSURED'S NAME (Last Name, First Name, Middle Initial)");

    // Boxes 5, 6, 7.
    s.caption(11, 1, "5. PATIENT'S ADDRESS (No., Street)");
    s.caption(11, 30, "6. PATIENT RELATIONSHIP TO INSURED");
    for (column, label) in [(33, "Self"), (38, "Spouse"), (42, "Child"), (47, "Other")] {
        s.checkbox(12, column, "");
        s.label(12, column - 3, label);
    }
    s.caption(11, 49, "7. INSURED'S ADDRESS (No., Street)");
    s.caption(13, 1, "CITY");
    s.caption(13, 25, "STATE");
    s.divider(25, 13, 14);
    s.caption(13, 30, "8. RESERVED FOR NUCC USE");
    s.caption(13, 49, "CITY");
    s.caption(13, 73, "STATE");
    s.divider(73, 13, 14);
    s.caption(15, 1, "ZIP CODE");
    s.caption(15, 14, "TELEPHONE (Include Area Code)");
    s.divider(14, 15, 16);
    s.label(16, 14, "(");
    s.label(16, 18, ")");
    s.caption(15, 49, "ZIP CODE");
    s.caption(15, 64, "TELEPHONE (Include Area Code)");
    s.divider(64, 15, 16);
    s.label(16, 64, "(");
    s.label(16, 68, ")");

    // Boxes 9, 10, 11.
    s.caption(17, 1, "9. OTHER INSURED'S NAME (Last Name, First Name, Middle Initial)");
    s.caption(17, 30, "10. IS PATIENT'S CONDITION RELATED TO:");
    s.caption(17, 49, "11. INSURED'S POLICY GROUP OR FECA NUMBER");
    s.caption(19, 1, "a. OTHER INSURED'S POLICY OR GROUP NUMBER");
    s.caption(19, 30, "a. EMPLOYMENT? (Current or Previous)");
    s.caption(19, 49, "a. INSURED'S DATE OF BIRTH                  SEX");
    s.tick(20, 55);
    s.tick(20, 58);
    s.checkbox(20, 68, "M");
    s.checkbox(20, 75, "F");
    s.caption(21, 1, "b. RESERVED FOR NUCC USE");
    s.caption(21, 30, "b. AUTO ACCIDENT?          PLACE (State)");
    s.caption(21, 49, "b. OTHER CLAIM ID (Designated by NUCC)");
    s.caption(23, 1, "c. RESERVED FOR NUCC USE");
    s.caption(23, 30, "c. OTHER ACCIDENT?");
    s.caption(23, 49, "c. INSURANCE PLAN NAME OR PROGRAM NAME");
    for line in [20, 22, 24] {
        s.checkbox(line, 35, "YES");
        s.checkbox(line, 41, "NO");
    }
    s.caption(25, 1, "d. INSURANCE PLAN NAME OR PROGRAM NAME");
    s.caption(25, 30, "10d. CLAIM CODES (Designated by NUCC)");
    s.caption(25, 49, "d. IS THERE ANOTHER HEALTH BENEFIT PLAN?");
    s.checkbox(26, 52, "YES");
    s.checkbox(26, 57, "NO");
    s.label(26, 61, "If yes, complete items 9, 9a, and 9d.");

    // Boxes 12 and 13.
    s.heading(column_x(10), line_top(27) - 5.0, 5.0, "READ BACK OF FORM BEFORE COMPLETING & SIGNING THIS FORM.");
    s.label(27, 1, "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE I authorize the release of any medical or other information necessary");
    s.caption(28, 1, "to process this claim. I also request payment of government benefits either to myself or to the party who accepts assignment below.");
    s.caption(27, 49, "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE I authorize");
    s.caption(28, 49, "payment of medical benefits to the undersigned physician or supplier");
    s.label(29, 1, "SIGNED");
    s.label(29, 33, "DATE");
    s.label(29, 49, "SIGNED");
    s.divider(49, 27, 30);

    // Physician or supplier information: lines 31 to 40.
    for line in [31, 33, 35, 37] {
        s.rule(line, 1, LAST_COLUMN, 0.5);
    }
    s.divider(30, 31, 34);
    s.divider(49, 31, 40);
    s.caption(31, 1, "14. DATE OF CURRENT ILLNESS, INJURY, or PREGNANCY (LMP)");
    s.caption(31, 30, "15. OTHER DATE");
    s.caption(31, 49, "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION");
    s.caption(33, 1, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE");
    s.caption(33, 30, "17a.");
    s.label(34, 30, "17b. NPI");
    s.caption(33, 49, "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES");
    s.caption(35, 1, "19. ADDITIONAL CLAIM INFORMATION (Designated by NUCC)");
    s.caption(35, 49, "20. OUTSIDE LAB?                    $ CHARGES");
    s.checkbox(36, 52, "YES");
    s.checkbox(36, 57, "NO");
    s.caption(37, 1, "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY Relate A-L to service line below (24E)");
    s.label(37, 37, "ICD Ind.");
    s.checkbox(37, 42, "");
    for (i, letter) in ["A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "I.", "J.", "K.", "L."].iter().enumerate() {
        let (row, col) = (i / 4, i % 4);
        s.label(38 + row as u32, 1 + 13 * col as u32, letter);
    }
    s.caption(37, 49, "22. RESUBMISSION CODE");
    s.caption(37, 61, "ORIGINAL REF. NO.");
    s.divider(61, 37, 38);
    s.rule(39, 49, LAST_COLUMN, 0.5);
    s.caption(39, 49, "23. PRIOR AUTHORIZATION NUMBER");

    // Box 24: header on lines 41-42, six lines of two rows each on lines 43-54.
    s.rule(41, 1, LAST_COLUMN, 1.0);
    s.caption(41, 1, "24. A.   DATE(S) OF SERVICE");
    s.label(41, 2, "From                    To");
    s.label(42, 1, "MM    DD    YY    MM    DD    YY");
    s.caption(41, 19, "B.");
    s.label(41, 19, "PLACE OF");
    s.label(42, 19, "SERVICE");
    s.caption(41, 22, "C.");
    s.label(42, 22, "EMG");
    s.caption(41, 24, "D. PROCEDURES, SERVICES, OR SUPPLIES");
    s.label(41, 25, "(Explain Unusual Circumstances)");
    s.label(42, 24, "CPT/HCPCS            MODIFIER");
    s.caption(41, 45, "E.");
    s.label(41, 45, "DIAGNOSIS");
    s.label(42, 45, "POINTER");
    s.caption(41, 50, "F.");
    s.label(42, 50, "$ CHARGES");
    s.caption(41, 59, "G. DAYS");
    s.label(41, 59, "OR");
    s.label(42, 59, "UNITS");
    s.caption(41, 63, "H.");
    s.label(41, 63, "EPSDT");
    s.label(42, 63, "Plan");
    s.caption(41, 65, "I.");
    s.label(42, 65, "ID. QUAL.");
    s.caption(41, 68, "J.");
    s.label(41, 68, "RENDERING");
    s.label(42, 68, "PROVIDER ID. #");
    for n in 0..MAX_LINES as u32 {
        let shaded = 43 + 2 * n;
        let top = line_top(shaded);
        s.ops.push(Op::Shade { x: column_x(1), y: top - LINE, w: column_x(LAST_COLUMN + 1) - column_x(1), h: LINE });
        s.rule(shaded, 1, LAST_COLUMN, 0.5);
        s.rule(shaded + 1, 65, LAST_COLUMN, 0.25);
        s.label(shaded, 65, "");
        s.label(shaded + 1, 65, "NPI");
        s.ops.push(Op::Caption {
            x: column_x(LAST_COLUMN + 1) + 2.0,
            y: line_top(shaded + 1) - LINE + 3.0,
            size: 7.0,
            bold: true,
            bytes: encode(&format!("{}", n + 1)),
        });
        for column in [3, 6, 12, 15] {
            s.tick(shaded + 1, column);
        }
        s.tick(shaded + 1, 55);
    }
    s.rule(43, 1, LAST_COLUMN, 0.5);
    for column in [10, 19, 22, 24, 32, 35, 38, 41, 45, 50, 59, 63, 65, 68] {
        let from = if [35, 38, 41, 65].contains(&column) { 43 } else { 41 };
        s.divider(column, from, 54);
    }

    // Boxes 25 to 30.
    s.rule(55, 1, LAST_COLUMN, 1.0);
    for column in [23, 37, 50, 62, 72] {
        s.divider(column, 55, 56);
    }
    s.caption(55, 1, "25. FEDERAL TAX I.D. NUMBER     SSN EIN");
    s.checkbox(56, 17, "");
    s.checkbox(56, 19, "");
    s.caption(55, 23, "26. PATIENT'S ACCOUNT NO.");
    s.caption(55, 37, "27. ACCEPT ASSIGNMENT?");
    s.checkbox(56, 38, "YES");
    s.checkbox(56, 43, "NO");
    s.caption(55, 50, "28. TOTAL CHARGE");
    s.label(56, 50, "$");
    s.tick(56, 57);
    s.caption(55, 62, "29. AMOUNT PAID");
    s.label(56, 62, "$");
    s.tick(56, 67);
    s.caption(55, 72, "30. Rsvd for NUCC Use");

    // Boxes 31, 32, 33.
    s.rule(57, 1, LAST_COLUMN, 0.5);
    s.divider(23, 57, 61);
    s.divider(50, 57, 61);
    s.caption(57, 1, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER");
    s.caption(58, 1, "INCLUDING DEGREES OR CREDENTIALS");
    s.label(61, 1, "SIGNED");
    s.label(61, 14, "DATE");
    s.caption(57, 23, "32. SERVICE FACILITY LOCATION INFORMATION");
    s.caption(57, 50, "33. BILLING PROVIDER INFO & PH #");
    s.label(57, 64, "(");
    s.label(57, 68, ")");
    s.rule(61, 23, LAST_COLUMN, 0.25);
    s.label(61, 23, "a.");
    s.divider(35, 61, 61);
    s.label(61, 35, "b.");
    s.label(61, 50, "a.");
    s.divider(62, 61, 61);
    s.label(61, 62, "b.");
    s.rule(62, 1, LAST_COLUMN, 1.0);
    s.heading(LEFT, line_top(63) - 6.0, 5.5, "NUCC Instruction Manual available at: www.nucc.org");
    s.heading(column_x(30), line_top(63) - 6.0, 5.5, "PLEASE PRINT OR TYPE");
    s.heading(column_x(52), line_top(63) - 6.0, 5.5, "APPROVED OMB-0938-1197 FORM 1500 (02-12)");
}

/// Fills the boxes of one sheet.
fn fill(s: &mut Sheet, form: &ClaimForm) {
    for (i, text) in form.payer.iter().take(4).enumerate() {
        s.put(2 + i as u32, 41, 38, text);
    }
    s.check(8, form.insurance_type.column());
    s.put(8, 50, 29, &form.insured_id);

    s.put(10, 1, 28, &form.patient_name);
    s.date(10, 31, &form.patient_birth_date);
    match form.patient_sex {
        Some(Sex::Male) => s.check(10, 42),
        Some(Sex::Female) => s.check(10, 47),
        None => {}
    }
    s.put(10, 50, 29, &form.insured_name);

    let p = &form.patient_address;
    s.put(12, 1, 28, &p.street);
    s.put(14, 1, 23, &p.city);
    s.put(14, 26, 2, &p.state);
    s.put(16, 1, 12, &p.zip);
    s.phone(16, 15, 19, &p.phone);
    let column = match form.relationship {
        Relationship::SelfInsured => 33,
        Relationship::Spouse => 38,
        Relationship::Child => 42,
        Relationship::Other => 47,
    };
    s.check(12, column);
    let i = &form.insured_address;
    s.put(12, 50, 29, &i.street);
    s.put(14, 50, 23, &i.city);
    s.put(14, 74, 2, &i.state);
    s.put(16, 50, 13, &i.zip);
    s.phone(16, 65, 69, &i.phone);

    s.put(18, 1, 28, &form.other_insured_name);
    s.put(20, 1, 28, &form.other_insured_policy);
    s.put(26, 1, 28, &form.other_plan_name);
    // 10a-c: medoffice records no accident or employment: NO.
    for line in [20, 22, 24] {
        s.check(line, 41);
    }
    s.put(18, 50, 29, &form.insured_group);
    s.date(20, 53, &form.insured_birth_date);
    match form.insured_sex {
        Some(Sex::Male) => s.check(20, 68),
        Some(Sex::Female) => s.check(20, 75),
        None => {}
    }
    s.put(24, 50, 29, &form.plan_name);
    match form.another_plan {
        Some(true) => s.check(26, 52),
        Some(false) => s.check(26, 57),
        None => {}
    }
    s.put(29, 7, 24, &form.patient_signature);
    s.put(29, 55, 24, &form.insured_signature);

    // 20: no outside lab.
    s.check(36, 57);
    if !form.diagnoses.is_empty() {
        s.put(37, 42, 1, "0");
    }
    for (n, code) in form.diagnoses.iter().take(MAX_DIAGNOSES).enumerate() {
        let (row, col) = (n / 4, n % 4);
        s.put(38 + row as u32, 3 + 13 * col as u32, 8, &code.replace('.', ""));
    }
    s.put(38, 50, 10, &form.resubmission_code);
    s.put(38, 62, 17, &form.original_reference);

    for (n, l) in form.lines.iter().take(MAX_LINES).enumerate() {
        let line = 44 + 2 * n as u32;
        s.date(line, 1, &l.from);
        s.date(line, 10, &l.to);
        s.put(line, 19, 2, &l.place_of_service);
        s.put(line, 25, 6, &l.procedure);
        for (k, m) in l.modifiers.iter().take(4).enumerate() {
            s.put(line, 33 + 3 * k as u32, 2, m);
        }
        s.put(line, 45, 4, &l.pointers);
        s.put(line, 50, 8, &form_amount(l.charge_cents, 5));
        s.put(line, 59, 3, &l.units);
        s.put(line, 68, 12, &l.rendering_npi);
    }

    s.put(56, 1, 15, &form.tax_id);
    s.check(56, if form.tax_id_is_ein { 19 } else { 17 });
    s.put(56, 23, 14, &form.account_number);
    s.check(56, if form.accept_assignment { 38 } else { 43 });
    s.put(56, 52, 8, &form_amount(form.total_cents(), 5));

    s.phone(57, 65, 69, &form.billing_phone);
    for (i, text) in form.facility.iter().take(3).enumerate() {
        s.put(58 + i as u32, 23, 27, text);
    }
    for (i, text) in form.billing.iter().take(3).enumerate() {
        s.put(58 + i as u32, 50, 30, text);
    }
    s.put(60, 1, 22, &form.signature);
    s.put(61, 6, 8, &form.signature_date);
    s.put(61, 24, 10, &form.facility_npi);
    s.put(61, 51, 10, &form.billing_npi);
}

/// The PDF of `forms`, one Letter page each, printed as `mode` says. `title` names the file.
pub fn render(forms: &[ClaimForm], mode: Mode, title: &str) -> Vec<u8> {
    let (right, down, plain) = match mode {
        Mode::Plain => (0.0, 0.0, true),
        Mode::RedForm { right_points, down_points } => (right_points, down_points, false),
    };
    let sheets: Vec<Sheet> = forms
        .iter()
        .map(|form| {
            let mut sheet = Sheet { ops: Vec::new(), right: 0.0, down: 0.0 };
            if plain {
                draw_form(&mut sheet);
            }
            sheet.right = right;
            sheet.down = down;
            fill(&mut sheet, form);
            sheet
        })
        .collect();

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let courier = Ref::new(3);
    let helvetica = Ref::new(4);
    let bold = Ref::new(5);
    let info = Ref::new(6);
    let count = sheets.len().max(1);
    let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(7 + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
    for (id, base) in [(courier, Name(b"Courier")), (helvetica, Name(b"Helvetica")), (bold, Name(b"Helvetica-Bold"))] {
        pdf.type1_font(id).base_font(base).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let mut document_info = pdf.document_info(info);
    document_info.title(TextStr(title));
    document_info.producer(TextStr("medoffice"));
    document_info.finish();
    for (i, page_id) in page_ids.iter().enumerate() {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), courier).pair(Name(b"F2"), helvetica).pair(Name(b"F3"), bold);
        resources.finish();
        page.finish();
        let mut content = Content::new();
        if let Some(sheet) = sheets.get(i) {
            draw(&mut content, sheet);
        }
        pdf.stream(content_id, content.finish().as_slice());
    }
    pdf.finish()
}

fn draw(content: &mut Content, sheet: &Sheet) {
    let (r, g, b) = RED;
    content.set_stroke_rgb(r, g, b);
    for op in &sheet.ops {
        match op {
            Op::Shade { x, y, w, h } => {
                let (r, g, b) = SHADE;
                content.set_fill_rgb(r, g, b);
                content.rect(*x, *y, *w, *h);
                content.fill_nonzero();
            }
            Op::Line { x1, y1, x2, y2, width } => {
                content.set_line_width(*width);
                content.move_to(*x1, *y1);
                content.line_to(*x2, *y2);
                content.stroke();
            }
            Op::Box { x, y, w, h } => {
                content.set_line_width(0.5);
                content.rect(*x, *y, *w, *h);
                content.stroke();
            }
            Op::Caption { x, y, size, bold, bytes } => {
                content.set_fill_rgb(r, g, b);
                content.begin_text();
                content.set_font(Name(if *bold { b"F3" } else { b"F2" }), *size);
                content.next_line(*x, *y);
                content.show(Str(bytes));
                content.end_text();
            }
            Op::Data { x, y, bytes } => {
                content.set_fill_rgb(0.0, 0.0, 0.0);
                content.begin_text();
                content.set_font(Name(b"F1"), DATA_SIZE);
                content.next_line(*x, *y);
                content.show(Str(bytes));
                content.end_text();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn sample() -> ClaimForm {
        ClaimForm {
            payer: vec!["Paper Mutual".into(), "PO Box 1".into(), "Springfield, IL 62701".into()],
            insured_id: "MEMBER001".into(),
            patient_name: "Doe, Jane".into(),
            patient_birth_date: "04 02 1980".into(),
            patient_sex: Some(Sex::Female),
            diagnoses: vec!["J06.9".into(), "R05.9".into()],
            lines: vec![ServiceLine {
                from: "06 10 26".into(),
                to: "06 10 26".into(),
                place_of_service: "11".into(),
                procedure: "99213".into(),
                modifiers: vec!["25".into()],
                pointers: "AB".into(),
                charge_cents: 15_000,
                units: "1".into(),
                rendering_npi: "1234567893".into(),
            }],
            account_number: "MO00000001".into(),
            ..Default::default()
        }
    }

    fn data_positions(bytes: &[u8]) -> Vec<(f32, f32, String)> {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let page = doc.get_pages()[&1];
        let content = lopdf::content::Content::decode(&doc.get_page_content(page)).unwrap();
        let mut out = Vec::new();
        let (mut x, mut y, mut courier) = (0.0, 0.0, false);
        for op in content.operations {
            match op.operator.as_str() {
                "Tf" => courier = op.operands[0].as_name().unwrap() == b"F1",
                "Td" => {
                    x = op.operands[0].as_float().unwrap();
                    y = op.operands[1].as_float().unwrap();
                }
                "Tj" if courier => out.push((x, y, String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned())),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn amounts_print_as_dollars_and_cents_on_either_side_of_the_form_s_dotted_line() {
        assert_eq!(form_amount(15_000, 5), "  150 00");
        assert_eq!(form_amount(5, 5), "    0 05");
        assert_eq!(form_amount(123_456_789, 5), "1234567 89");
    }

    #[test]
    fn boxes_sit_on_the_nucc_grid_of_ten_characters_and_six_lines_to_the_inch() {
        let positions = data_positions(&render(&[sample()], Mode::Plain, "claim"));
        let at = |text: &str| positions.iter().find(|(_, _, t)| t == text).map(|(x, y, _)| (*x, *y)).unwrap();
        // Box 2 on line 10 from column 1; box 1a on line 8 from column 50.
        assert_eq!(at("DOE, JANE"), (18.0, 792.0 - 120.0 + 3.0));
        assert_eq!(at("MEMBER001"), (18.0 + 49.0 * 7.2, 792.0 - 96.0 + 3.0));
        // The first service line's code on line 44, column 25; box 21's A on line 38, column 3.
        assert_eq!(at("99213"), (18.0 + 24.0 * 7.2, 792.0 - 44.0 * 12.0 + 3.0));
        assert_eq!(at("J069"), (18.0 + 2.0 * 7.2, 792.0 - 38.0 * 12.0 + 3.0));
    }

    #[test]
    fn the_red_form_prints_the_same_data_moved_by_the_offsets_and_no_form() {
        let plain = data_positions(&render(&[sample()], Mode::Plain, "claim"));
        let red_bytes = render(&[sample()], Mode::RedForm { right_points: 3.6, down_points: -6.0 }, "claim");
        let red = data_positions(&red_bytes);
        assert_eq!(plain.len(), red.len());
        for ((px, py, pt), (rx, ry, rt)) in plain.iter().zip(&red) {
            assert_eq!(pt, rt);
            assert!((rx - px - 3.6).abs() < 0.01 && (ry - py - 6.0).abs() < 0.01, "{pt}: {px},{py} -> {rx},{ry}");
        }
        let text = lopdf::Document::load_mem(&red_bytes).unwrap().extract_text(&[1]).unwrap();
        assert!(!text.contains("HEALTH INSURANCE CLAIM FORM"), "{text}");
        let plain_text = lopdf::Document::load_mem(&render(&[sample()], Mode::Plain, "claim")).unwrap().extract_text(&[1]).unwrap();
        assert!(plain_text.contains("HEALTH INSURANCE CLAIM FORM"), "{plain_text}");
    }

    #[test]
    fn each_form_is_one_page_totalled_on_its_own() {
        let mut second = sample();
        second.lines[0].charge_cents = 6_000;
        let bytes = render(&[sample(), second], Mode::Plain, "claim");
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
        assert!(doc.extract_text(&[1]).unwrap().contains("150 00"));
        assert!(doc.extract_text(&[2]).unwrap().contains("60 00"));
    }
}
