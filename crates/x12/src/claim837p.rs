//! The 837P professional claim (005010X222A1): the model, its validation (the balancing and
//! pointer rules of `standards.md` that validators do not check) and the writer.
//!
//! The writer refuses a batch with any problem and lists them all; a file it writes is valid by
//! construction as far as these rules go, and pyx12 checks the rest in the tests.

use std::fmt;

use chrono::NaiveDate;

use crate::codes::{Adjustment, GROUP_CODES, write_cas};
use crate::envelope::{self, ControlNumbers, DateOrRange, Envelope, Usage, format_amount, format_date};
use crate::field_checks::{FieldFault, id_fault, optional_text_fault, text_fault, write_issues};
use crate::syntax::{Delimiters, SegmentWriter};

/// The implementation guide this module writes.
pub const GUIDE: &str = "005010X222A1";
/// At most 12 diagnoses on a claim (HI01-HI12).
pub const MAX_DIAGNOSES: usize = 12;
/// At most 4 diagnosis pointers per service line (SV107).
pub const MAX_POINTERS: usize = 4;
/// At most 4 procedure modifiers per service line (SV101-3..6).
pub const MAX_MODIFIERS: usize = 4;
/// At most 50 service lines on a professional claim.
pub const MAX_LINES: usize = 50;
/// At most 5000 claims in one transaction set (the guide's recommendation).
pub const MAX_CLAIMS: usize = 5000;

/// One 837P file: the envelope, submitter and receiver, and the claims under their billing
/// providers and subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch837 {
    /// ISA/GS parties and the creation time.
    pub envelope: Envelope,
    /// BHT03, the submitter's batch identifier.
    pub batch_id: String,
    /// BHT02: `true` writes 18 (reissue), `false` 00 (original).
    pub reissue: bool,
    /// Loop 1000A.
    pub submitter: Submitter,
    /// Loop 1000B.
    pub receiver: Receiver,
    /// Loops 2000A and below.
    pub billing_providers: Vec<BillingProviderGroup>,
}

/// The submitter (1000A): who sends the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    /// NM103, the practice's (or billing service's) name.
    pub name: String,
    /// NM109, the submitter id the clearinghouse assigned (ETIN).
    pub id: String,
    /// PER02, whom to call about the file.
    pub contact_name: String,
    /// PER04, ten digits.
    pub contact_phone: String,
}

/// The receiver (1000B): the clearinghouse or payer that takes the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    /// NM103.
    pub name: String,
    /// NM109.
    pub id: String,
}

/// A postal address (N3/N4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// N301.
    pub line1: String,
    /// N302.
    pub line2: Option<String>,
    /// N401.
    pub city: String,
    /// N402, two letters.
    pub state: String,
    /// N403, 5 or 9 digits (9 for the billing provider).
    pub zip: String,
}

/// A person's name (NM103-NM107).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    /// NM103.
    pub last: String,
    /// NM104.
    pub first: String,
    /// NM105.
    pub middle: Option<String>,
    /// NM107 (Jr, III).
    pub suffix: Option<String>,
}

/// A name that is a person's or an organisation's (NM102 1 or 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityName {
    /// NM102 = 1.
    Person(PersonName),
    /// NM102 = 2.
    Organization(String),
}

/// The billing provider (2010AA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingProvider {
    /// The practice or the provider billing in their own name.
    pub name: EntityName,
    /// NM109 with qualifier XX; must pass the NPI check digit.
    pub npi: String,
    /// REF*EI, the employer identification number (nine digits).
    pub tax_id: String,
    /// PRV*BI*PXC, the provider taxonomy code.
    pub taxonomy: Option<String>,
    /// N3/N4; the ZIP must have nine digits and the address may not be a post office box.
    pub address: Address,
}

/// A billing provider with the claims billed under it (2000A and below).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingProviderGroup {
    /// 2010AA.
    pub provider: BillingProvider,
    /// 2010AB: where payments go when it differs from the billing address.
    pub pay_to: Option<Address>,
    /// 2000B loops.
    pub subscribers: Vec<SubscriberGroup>,
}

/// Which payer this claim is sent to in the order of coverage (SBR01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerResponsibility {
    /// P.
    Primary,
    /// S.
    Secondary,
    /// T.
    Tertiary,
}

impl PayerResponsibility {
    fn code(self) -> &'static str {
        match self {
            PayerResponsibility::Primary => "P",
            PayerResponsibility::Secondary => "S",
            PayerResponsibility::Tertiary => "T",
        }
    }
}

/// DMG03.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// F.
    Female,
    /// M.
    Male,
    /// U.
    Unknown,
}

impl Gender {
    fn code(self) -> &'static str {
        match self {
            Gender::Female => "F",
            Gender::Male => "M",
            Gender::Unknown => "U",
        }
    }
}

/// The subscriber (2000B/2010BA): the person who holds the coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// SBR01.
    pub responsibility: PayerResponsibility,
    /// SBR03, the group or policy number.
    pub group_number: Option<String>,
    /// SBR04, the group name.
    pub group_name: Option<String>,
    /// SBR09, the claim filing indicator (CI commercial, MB Medicare Part B, MC Medicaid...).
    pub claim_filing_indicator: String,
    /// NM103-NM107.
    pub name: PersonName,
    /// NM109 with qualifier MI.
    pub member_id: String,
    /// N3/N4: required when the subscriber is the patient.
    pub address: Option<Address>,
    /// DMG02: required when the subscriber is the patient.
    pub birth_date: Option<NaiveDate>,
    /// DMG03: required when the subscriber is the patient.
    pub gender: Option<Gender>,
}

/// The payer (2010BB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer {
    /// NM103.
    pub name: String,
    /// NM109 with qualifier PI: the electronic payer id.
    pub payer_id: String,
    /// N3/N4, optional.
    pub address: Option<Address>,
}

/// The patient when not the subscriber (2000C/2010CA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    /// PAT01, the patient's relationship to the subscriber: 01 spouse, 19 child, 20 employee,
    /// 21 unknown, 39 organ donor, 40 cadaver donor, 53 life partner, G8 other.
    pub relationship: String,
    /// NM1*QC.
    pub name: PersonName,
    /// N3/N4.
    pub address: Address,
    /// DMG02.
    pub birth_date: NaiveDate,
    /// DMG03.
    pub gender: Gender,
}

/// A subscriber with the payer and the claims for them or their dependant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberGroup {
    /// 2010BA.
    pub subscriber: Subscriber,
    /// 2010BB.
    pub payer: Payer,
    /// `None` when the patient is the subscriber (SBR02 = 18, claims under 2000B); else the patient
    /// (2000C, claims under it).
    pub patient: Option<Patient>,
    /// 2300 loops.
    pub claims: Vec<Claim>,
}

/// CLM05-3, the claim frequency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// 1: an original claim.
    Original,
    /// 7: replaces a claim the payer has (needs the payer's claim control number).
    Replacement,
    /// 8: voids a claim the payer has (needs the payer's claim control number).
    Void,
}

impl Frequency {
    fn code(self) -> &'static str {
        match self {
            Frequency::Original => "1",
            Frequency::Replacement => "7",
            Frequency::Void => "8",
        }
    }
}

/// A provider named on a claim: referring (2310A, NM1*DN) or rendering (2310B, NM1*82).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The provider's name.
    pub name: PersonName,
    /// NM109 with qualifier XX.
    pub npi: String,
    /// PRV*PE*PXC (rendering only).
    pub taxonomy: Option<String>,
}

/// The claim (2300).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// CLM01, medoffice's claim id as the payer returns it on 277CA and 835 (at most 20 characters).
    pub patient_control_number: String,
    /// CLM02: must equal the sum of the lines' charges.
    pub total_charge_cents: i64,
    /// CLM05-1, two digits (11 office, 02 telehealth...).
    pub place_of_service: String,
    /// CLM05-3.
    pub frequency: Frequency,
    /// REF*F8, the payer's claim control number: required for a replacement or void.
    pub payer_claim_control_number: Option<String>,
    /// CLM06: the provider's signature is on file.
    pub provider_signature_on_file: bool,
    /// CLM07: A (assignment accepted) or C (not assigned).
    pub assignment_accepted: bool,
    /// CLM08: the patient assigned benefits to the provider.
    pub benefits_assigned: bool,
    /// CLM09: Y (signed release on file) or I (informed consent only).
    pub release_signed: bool,
    /// ICD-10-CM codes, the principal first (dots allowed, removed when written); 1 to 12.
    pub diagnoses: Vec<String>,
    /// 2310A.
    pub referring_provider: Option<Provider>,
    /// 2310B, when it differs from the billing provider.
    pub rendering_provider: Option<Provider>,
    /// 2320 loops: the payers that adjudicated this claim before (a secondary claim has one).
    pub other_payers: Vec<OtherPayer>,
    /// 2400 loops, 1 to 50.
    pub lines: Vec<ServiceLine>,
}

/// A payer that adjudicated the claim before (2320/2330A/2330B).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherPayer {
    /// SBR01 of that payer (P when it was primary).
    pub responsibility: PayerResponsibility,
    /// SBR02: the patient's relationship to that payer's subscriber (18 self, 01 spouse, 19 child,
    /// 20 employee, 21 unknown, 39, 40, 53 life partner, G8 other).
    pub relationship: String,
    /// SBR03.
    pub group_number: Option<String>,
    /// SBR09.
    pub claim_filing_indicator: String,
    /// 2330A, that payer's subscriber.
    pub subscriber_name: PersonName,
    /// 2330A NM109.
    pub subscriber_member_id: String,
    /// 2330B NM103.
    pub payer_name: String,
    /// 2330B NM109: also the SVD01 of this payer's line adjudications.
    pub payer_id: String,
    /// AMT*D, what that payer paid on the claim.
    pub paid_cents: i64,
    /// Claim-level CAS of that payer.
    pub adjustments: Vec<Adjustment>,
    /// DTP*573 in 2330B, the date that payer adjudicated the claim.
    pub adjudication_date: Option<NaiveDate>,
}

/// A service line (2400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    /// SV101-2, the CPT or HCPCS code.
    pub procedure: String,
    /// SV101-3..6, up to four.
    pub modifiers: Vec<String>,
    /// SV102.
    pub charge_cents: i64,
    /// SV104 with SV103 = UN.
    pub units: u32,
    /// SV105, only when it differs from the claim's.
    pub place_of_service: Option<String>,
    /// SV107, 1 to 4 pointers into the claim's diagnoses (1-based).
    pub diagnosis_pointers: Vec<u8>,
    /// DTP*472.
    pub service_date: DateOrRange,
    /// 2430 loops: what earlier payers did with this line.
    pub adjudications: Vec<LineAdjudication>,
}

/// An earlier payer's adjudication of one line (2430: SVD, CAS, DTP*573).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAdjudication {
    /// SVD01, the other payer's id (an `OtherPayer::payer_id` of the claim).
    pub payer_id: String,
    /// SVD02.
    pub paid_cents: i64,
    /// SVD05, the units paid.
    pub paid_units: u32,
    /// The line's CAS from that payer.
    pub adjustments: Vec<Adjustment>,
    /// DTP*573.
    pub adjudication_date: NaiveDate,
}

/// A rule a batch breaks, with the claim (patient control number) and line it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The claim's patient control number, when the problem is in a claim.
    pub claim: Option<String>,
    /// The 1-based service line, when the problem is in a line.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a batch, each said in plain words by `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The batch holds no claim.
    NoClaims,
    /// More claims than one transaction set should hold.
    TooManyClaims { count: usize },
    /// A control number is 0 or over nine digits.
    ControlNumberOutOfRange { which: &'static str },
    /// A required field is empty.
    Empty { field: &'static str },
    /// A field longer than the guide allows.
    TooLong { field: &'static str, max: usize },
    /// An identifier or code with characters that cannot be written (delimiters, non-ASCII).
    BadCharacters { field: &'static str },
    /// An NPI that is not ten digits with a valid check digit.
    BadNpi { field: &'static str },
    /// A tax id that is not nine digits.
    BadTaxId,
    /// A ZIP code of the wrong length.
    BadZip { field: &'static str, digits: usize },
    /// A state that is not two letters.
    BadState { field: &'static str },
    /// A phone number that is not ten digits.
    BadPhone,
    /// A code not on its list or of the wrong shape.
    BadCode { field: &'static str, value: String },
    /// No diagnosis on the claim.
    NoDiagnoses,
    /// More than 12 diagnoses.
    TooManyDiagnoses { count: usize },
    /// No service line.
    NoLines,
    /// More than 50 service lines.
    TooManyLines { count: usize },
    /// CLM02 differs from the sum of the lines.
    ChargeMismatch { claim_cents: i64, lines_cents: i64 },
    /// A line's charge is zero or negative.
    NonPositiveCharge,
    /// A line with zero units.
    ZeroUnits,
    /// More than four modifiers.
    TooManyModifiers { count: usize },
    /// A line without a diagnosis pointer.
    NoPointers,
    /// More than four pointers.
    TooManyPointers { count: usize },
    /// A pointer to a diagnosis the claim does not have.
    PointerOutOfRange { pointer: u8, diagnoses: usize },
    /// The same pointer twice on a line.
    RepeatedPointer { pointer: u8 },
    /// A date range that ends before it starts.
    DateRangeBackwards,
    /// A replacement or void without the payer's claim control number.
    MissingPayerClaimControlNumber,
    /// The subscriber is the patient but address, birth date or gender is missing.
    SubscriberDemographicsMissing,
    /// A secondary or tertiary claim without the earlier payer's adjudication (2320).
    MissingOtherPayer,
    /// A line adjudication from a payer not listed among the claim's other payers.
    UnknownOtherPayer { payer_id: String },
    /// SVD02 plus the line's CAS differs from the line's charge.
    LineAdjudicationImbalance { payer_id: String, charge_cents: i64, paid_cents: i64, adjusted_cents: i64 },
    /// AMT*D plus all of that payer's CAS differs from the claim's total.
    ClaimAdjudicationImbalance { payer_id: String, total_cents: i64, paid_cents: i64, adjusted_cents: i64 },
    /// AMT*D differs from the sum of that payer's SVD02.
    PaidAmountMismatch { payer_id: String, claim_paid_cents: i64, lines_paid_cents: i64 },
    /// A negative paid amount.
    NegativePaidAmount,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = format_amount;
        match self {
            Problem::NoClaims => write!(f, "the batch holds no claim"),
            Problem::TooManyClaims { count } => write!(f, "{count} claims is more than the {MAX_CLAIMS} one file may hold"),
            Problem::ControlNumberOutOfRange { which } => write!(f, "the {which} control number must be between 1 and 999999999"),
            Problem::Empty { field } => write!(f, "{field} is required"),
            Problem::TooLong { field, max } => write!(f, "{field} is longer than {max} characters"),
            Problem::BadCharacters { field } => {
                write!(f, "{field} contains characters that cannot be sent (only plain letters, digits and punctuation other than * : ^ ~)")
            }
            Problem::BadNpi { field } => write!(f, "{field} is not a valid NPI (ten digits with a correct check digit)"),
            Problem::BadTaxId => write!(f, "the billing provider's tax id must be nine digits"),
            Problem::BadZip { field, digits } => write!(f, "{field} must have {digits} digits"),
            Problem::BadState { field } => write!(f, "{field} must be a two-letter state code"),
            Problem::BadPhone => write!(f, "the submitter's contact phone must have ten digits"),
            Problem::BadCode { field, value } => write!(f, "{field} \"{value}\" is not a valid code"),
            Problem::NoDiagnoses => write!(f, "the claim has no diagnosis"),
            Problem::TooManyDiagnoses { count } => write!(f, "the claim has {count} diagnoses; at most {MAX_DIAGNOSES} can be sent"),
            Problem::NoLines => write!(f, "the claim has no service line"),
            Problem::TooManyLines { count } => write!(f, "the claim has {count} service lines; at most {MAX_LINES} can be sent"),
            Problem::ChargeMismatch { claim_cents, lines_cents } => {
                write!(f, "the claim total {} differs from the sum of its lines {}", m(*claim_cents), m(*lines_cents))
            }
            Problem::NonPositiveCharge => write!(f, "the line's charge must be more than zero"),
            Problem::ZeroUnits => write!(f, "the line must have at least one unit"),
            Problem::TooManyModifiers { count } => write!(f, "the line has {count} modifiers; at most {MAX_MODIFIERS} can be sent"),
            Problem::NoPointers => write!(f, "the line points to no diagnosis"),
            Problem::TooManyPointers { count } => write!(f, "the line points to {count} diagnoses; at most {MAX_POINTERS}"),
            Problem::PointerOutOfRange { pointer, diagnoses } => {
                write!(f, "the line points to diagnosis {pointer} but the claim has {diagnoses}")
            }
            Problem::RepeatedPointer { pointer } => write!(f, "the line points to diagnosis {pointer} twice"),
            Problem::DateRangeBackwards => write!(f, "the date of service ends before it starts"),
            Problem::MissingPayerClaimControlNumber => {
                write!(f, "a replacement or void needs the payer's claim number of the claim it replaces")
            }
            Problem::SubscriberDemographicsMissing => {
                write!(f, "the subscriber is the patient, so their address, birth date and sex are required")
            }
            Problem::MissingOtherPayer => write!(f, "a secondary or tertiary claim needs what the earlier payer paid"),
            Problem::UnknownOtherPayer { payer_id } => {
                write!(f, "the line shows an adjudication by payer {payer_id}, which is not among the claim's other payers")
            }
            Problem::LineAdjudicationImbalance { payer_id, charge_cents, paid_cents, adjusted_cents } => write!(
                f,
                "payer {payer_id} paid {} and adjusted {} on a line charged {}: they must add up",
                m(*paid_cents),
                m(*adjusted_cents),
                m(*charge_cents)
            ),
            Problem::ClaimAdjudicationImbalance { payer_id, total_cents, paid_cents, adjusted_cents } => write!(
                f,
                "payer {payer_id} paid {} and adjusted {} on a claim of {}: they must add up",
                m(*paid_cents),
                m(*adjusted_cents),
                m(*total_cents)
            ),
            Problem::PaidAmountMismatch { payer_id, claim_paid_cents, lines_paid_cents } => {
                write!(f, "payer {payer_id} paid {} on the claim but {} on its lines", m(*claim_paid_cents), m(*lines_paid_cents))
            }
            Problem::NegativePaidAmount => write!(f, "a paid amount cannot be negative"),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.claim, self.line) {
            (Some(c), Some(l)) => write!(f, "claim {c}, line {l}: {}", self.problem),
            (Some(c), None) => write!(f, "claim {c}: {}", self.problem),
            (None, _) => write!(f, "{}", self.problem),
        }
    }
}

/// A batch the writer refused, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid837 {
    /// All the problems, in the order of the batch.
    pub issues: Vec<Issue>,
}

impl fmt::Display for Invalid837 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_issues(f, "the claims cannot be sent: ", &self.issues)
    }
}

impl std::error::Error for Invalid837 {}

/// Plain text as X12 may carry it: accents folded (é to E), upper case, delimiters and control
/// characters turned into spaces, runs of spaces collapsed.
pub fn clean_text(s: &str) -> String {
    let d = Delimiters::STANDARD;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let folded: &str = match c.to_lowercase().next().unwrap_or(c) {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "A",
            'ç' | 'ć' | 'č' => "C",
            'ď' | 'đ' => "D",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "E",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "I",
            'ł' | 'ľ' | 'ĺ' => "L",
            'ñ' | 'ń' | 'ň' => "N",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "O",
            'ŕ' | 'ř' => "R",
            'ś' | 'š' | 'ş' | 'ș' => "S",
            'ß' => "SS",
            'ť' | 'ţ' | 'ț' => "T",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "U",
            'ý' | 'ÿ' => "Y",
            'ź' | 'ż' | 'ž' => "Z",
            'æ' => "AE",
            'œ' => "OE",
            '’' | '‘' => "'",
            '–' | '—' => "-",
            _ => "",
        };
        if !folded.is_empty() {
            out.push_str(folded);
        } else if c.is_ascii_graphic() && !d.is_delimiter(c) {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The NPI check: ten digits, the last the Luhn check digit over `80840` and the first nine.
pub fn is_valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = format!("80840{}", &npi[..9]).bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    u32::from(npi.as_bytes()[9] - b'0') == check
}

/// An ICD-10-CM code without its dot, upper case.
pub fn diagnosis_code(code: &str) -> String {
    code.trim().replace('.', "").to_ascii_uppercase()
}

fn is_icd10_shape(code: &str) -> bool {
    let b = code.as_bytes();
    (3..=7).contains(&b.len()) && b[0].is_ascii_alphabetic() && b[1].is_ascii_digit() && b.iter().all(|c| c.is_ascii_alphanumeric())
}

const FILING_INDICATORS: [&str; 23] = [
    "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC",
    "ZZ",
];
const PATIENT_RELATIONSHIPS: [&str; 8] = ["01", "19", "20", "21", "39", "40", "53", "G8"];

/// Collects the problems of a batch.
struct Checker {
    issues: Vec<Issue>,
    claim: Option<String>,
    line: Option<usize>,
}

impl Checker {
    fn add(&mut self, problem: Problem) {
        self.issues.push(Issue { claim: self.claim.clone(), line: self.line, problem });
    }

    fn fault(&mut self, field: &'static str, fault: Option<FieldFault>) {
        match fault {
            Some(FieldFault::Empty) => self.add(Problem::Empty { field }),
            Some(FieldFault::TooLong { max }) => self.add(Problem::TooLong { field, max }),
            Some(FieldFault::BadCharacters) => self.add(Problem::BadCharacters { field }),
            None => {}
        }
    }

    /// A free-text field (names, addresses): required, and at most `max` characters once cleaned.
    fn text(&mut self, field: &'static str, value: &str, max: usize) {
        self.fault(field, text_fault(value, max));
    }

    fn optional_text(&mut self, field: &'static str, value: Option<&str>, max: usize) {
        self.fault(field, optional_text_fault(value, max));
    }

    /// An identifier written as given: required, writable, at most `max` characters.
    fn id(&mut self, field: &'static str, value: &str, max: usize) {
        self.fault(field, id_fault(value, max));
    }

    fn npi(&mut self, field: &'static str, value: &str) {
        if !is_valid_npi(value.trim()) {
            self.add(Problem::BadNpi { field });
        }
    }

    fn code(&mut self, field: &'static str, value: &str, ok: bool) {
        if !ok {
            self.add(Problem::BadCode { field, value: value.chars().take(20).collect() });
        }
    }

    fn person(&mut self, field_last: &'static str, field_first: &'static str, name: &PersonName) {
        self.text(field_last, &name.last, 60);
        self.optional_text(field_first, Some(&name.first), 35);
        self.optional_text("middle name", name.middle.as_deref(), 25);
        self.optional_text("name suffix", name.suffix.as_deref(), 10);
    }

    fn address(&mut self, field: &'static str, a: &Address, zip_digits: &[usize]) {
        self.text(field, &a.line1, 55);
        self.optional_text(field, a.line2.as_deref(), 55);
        self.text(field, &a.city, 30);
        let state = a.state.trim();
        if state.len() != 2 || !state.chars().all(|c| c.is_ascii_alphabetic()) {
            self.add(Problem::BadState { field });
        }
        let zip: String = a.zip.chars().filter(|c| *c != '-').collect();
        if !zip.chars().all(|c| c.is_ascii_digit()) || !zip_digits.contains(&zip.len()) {
            self.add(Problem::BadZip { field, digits: zip_digits.last().copied().unwrap_or(9) });
        }
    }

    fn taxonomy(&mut self, value: Option<&str>) {
        if let Some(t) = value {
            let t = t.trim();
            self.code("taxonomy", t, t.len() == 10 && t.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    fn place_of_service(&mut self, value: &str) {
        let v = value.trim();
        self.code("place of service", v, v.len() == 2 && v.chars().all(|c| c.is_ascii_digit()));
    }

    fn filing_indicator(&mut self, value: &str) {
        self.code("claim filing indicator", value, FILING_INDICATORS.contains(&value.trim()));
    }

    fn adjustments(&mut self, list: &[Adjustment]) {
        for a in list {
            self.code("adjustment group", &a.group, GROUP_CODES.contains(&a.group.as_str()));
            let r = a.reason.trim();
            self.code("adjustment reason", r, !r.is_empty() && r.len() <= 5 && r.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }
}

/// A sum of amounts that saturates instead of overflowing (an absurd amount is then reported as
/// out of balance rather than crashing the check).
fn sum_cents(amounts: impl Iterator<Item = i64>) -> i64 {
    amounts.fold(0i64, i64::saturating_add)
}

/// Every problem of a batch against the rules of `standards.md`; empty when it can be written.
pub fn validate_837p(batch: &Batch837, control: &ControlNumbers) -> Vec<Issue> {
    let mut c = Checker { issues: Vec::new(), claim: None, line: None };
    for which in control.out_of_range() {
        c.add(Problem::ControlNumberOutOfRange { which });
    }
    let env = &batch.envelope;
    c.id("sender id", &env.sender_id, 15);
    c.id("receiver id", &env.receiver_id, 15);
    c.id("sender id qualifier", &env.sender_qualifier, 2);
    c.id("receiver id qualifier", &env.receiver_qualifier, 2);
    c.id("application sender code", &env.application_sender, 15);
    c.id("application receiver code", &env.application_receiver, 15);
    c.id("batch id", &batch.batch_id, 50);
    c.text("submitter name", &batch.submitter.name, 60);
    c.id("submitter id", &batch.submitter.id, 80);
    c.text("submitter contact name", &batch.submitter.contact_name, 60);
    let phone: String = batch.submitter.contact_phone.chars().filter(char::is_ascii_digit).collect();
    if phone.len() != 10 {
        c.add(Problem::BadPhone);
    }
    c.text("receiver name", &batch.receiver.name, 60);
    c.id("receiver id", &batch.receiver.id, 80);

    let claims: usize = batch.billing_providers.iter().flat_map(|b| &b.subscribers).map(|s| s.claims.len()).sum();
    if claims == 0 {
        c.add(Problem::NoClaims);
    } else if claims > MAX_CLAIMS {
        c.add(Problem::TooManyClaims { count: claims });
    }

    for group in &batch.billing_providers {
        let p = &group.provider;
        match &p.name {
            EntityName::Organization(n) => c.text("billing provider name", n, 60),
            EntityName::Person(n) => c.person("billing provider last name", "billing provider first name", n),
        }
        c.npi("billing provider NPI", &p.npi);
        let tax: String = p.tax_id.chars().filter(|ch| *ch != '-').collect();
        if tax.len() != 9 || !tax.chars().all(|ch| ch.is_ascii_digit()) {
            c.add(Problem::BadTaxId);
        }
        c.taxonomy(p.taxonomy.as_deref());
        c.address("billing provider address", &p.address, &[9]);
        if let Some(a) = &group.pay_to {
            c.address("pay-to address", a, &[5, 9]);
        }
        for sg in &group.subscribers {
            check_subscriber_group(&mut c, sg);
        }
    }
    c.issues
}

fn check_subscriber_group(c: &mut Checker, sg: &SubscriberGroup) {
    c.claim = None;
    c.line = None;
    let s = &sg.subscriber;
    c.filing_indicator(&s.claim_filing_indicator);
    c.optional_text("group number", s.group_number.as_deref(), 50);
    c.optional_text("group name", s.group_name.as_deref(), 60);
    c.person("subscriber last name", "subscriber first name", &s.name);
    c.id("subscriber member id", &s.member_id, 80);
    if let Some(a) = &s.address {
        c.address("subscriber address", a, &[5, 9]);
    }
    if sg.patient.is_none() && (s.address.is_none() || s.birth_date.is_none() || s.gender.is_none()) {
        c.add(Problem::SubscriberDemographicsMissing);
    }
    c.text("payer name", &sg.payer.name, 60);
    c.id("payer id", &sg.payer.payer_id, 80);
    if let Some(a) = &sg.payer.address {
        c.address("payer address", a, &[5, 9]);
    }
    if let Some(p) = &sg.patient {
        c.code("patient relationship", &p.relationship, PATIENT_RELATIONSHIPS.contains(&p.relationship.trim()));
        c.person("patient last name", "patient first name", &p.name);
        c.address("patient address", &p.address, &[5, 9]);
    }
    for claim in &sg.claims {
        check_claim(c, claim, s.responsibility);
    }
    c.claim = None;
    c.line = None;
}

fn check_claim(c: &mut Checker, claim: &Claim, responsibility: PayerResponsibility) {
    c.claim = Some(claim.patient_control_number.clone());
    c.line = None;
    c.id("patient control number", &claim.patient_control_number, 20);
    c.place_of_service(&claim.place_of_service);
    if matches!(claim.frequency, Frequency::Replacement | Frequency::Void) {
        match claim.payer_claim_control_number.as_deref().map(str::trim) {
            None | Some("") => c.add(Problem::MissingPayerClaimControlNumber),
            Some(n) => c.id("payer claim control number", n, 50),
        }
    }
    if claim.diagnoses.is_empty() {
        c.add(Problem::NoDiagnoses);
    } else if claim.diagnoses.len() > MAX_DIAGNOSES {
        c.add(Problem::TooManyDiagnoses { count: claim.diagnoses.len() });
    }
    for d in &claim.diagnoses {
        let code = diagnosis_code(d);
        c.code("diagnosis", d, is_icd10_shape(&code));
    }
    for (field, p) in [("referring provider", &claim.referring_provider), ("rendering provider", &claim.rendering_provider)] {
        if let Some(p) = p {
            c.person("provider last name", "provider first name", &p.name);
            c.npi(field, &p.npi);
            c.taxonomy(p.taxonomy.as_deref());
        }
    }
    if claim.lines.is_empty() {
        c.add(Problem::NoLines);
    } else if claim.lines.len() > MAX_LINES {
        c.add(Problem::TooManyLines { count: claim.lines.len() });
    }
    let lines_cents = claim.lines.iter().try_fold(0i64, |acc, l| acc.checked_add(l.charge_cents));
    if lines_cents != Some(claim.total_charge_cents) {
        c.add(Problem::ChargeMismatch { claim_cents: claim.total_charge_cents, lines_cents: lines_cents.unwrap_or(i64::MAX) });
    }
    if responsibility != PayerResponsibility::Primary && claim.other_payers.is_empty() {
        c.add(Problem::MissingOtherPayer);
    }
    for op in &claim.other_payers {
        c.code(
            "other payer relationship",
            &op.relationship,
            op.relationship == "18" || PATIENT_RELATIONSHIPS.contains(&op.relationship.trim()),
        );
        c.filing_indicator(&op.claim_filing_indicator);
        c.person("other subscriber last name", "other subscriber first name", &op.subscriber_name);
        c.id("other subscriber member id", &op.subscriber_member_id, 80);
        c.text("other payer name", &op.payer_name, 60);
        c.id("other payer id", &op.payer_id, 80);
        c.adjustments(&op.adjustments);
        if op.paid_cents < 0 {
            c.add(Problem::NegativePaidAmount);
        }
        let line_adjudications: Vec<&LineAdjudication> =
            claim.lines.iter().flat_map(|l| &l.adjudications).filter(|a| a.payer_id == op.payer_id).collect();
        let adjusted =
            sum_cents(op.adjustments.iter().chain(line_adjudications.iter().flat_map(|a| &a.adjustments)).map(|a| a.amount_cents));
        if op.paid_cents.saturating_add(adjusted) != claim.total_charge_cents {
            c.add(Problem::ClaimAdjudicationImbalance {
                payer_id: op.payer_id.clone(),
                total_cents: claim.total_charge_cents,
                paid_cents: op.paid_cents,
                adjusted_cents: adjusted,
            });
        }
        if !line_adjudications.is_empty() {
            let lines_paid = sum_cents(line_adjudications.iter().map(|a| a.paid_cents));
            if lines_paid != op.paid_cents {
                c.add(Problem::PaidAmountMismatch {
                    payer_id: op.payer_id.clone(),
                    claim_paid_cents: op.paid_cents,
                    lines_paid_cents: lines_paid,
                });
            }
        }
    }
    let diagnoses = claim.diagnoses.len();
    for (i, line) in claim.lines.iter().enumerate() {
        c.line = Some(i + 1);
        let code = line.procedure.trim();
        c.code("procedure code", code, code.len() == 5 && code.chars().all(|ch| ch.is_ascii_alphanumeric()));
        if line.modifiers.len() > MAX_MODIFIERS {
            c.add(Problem::TooManyModifiers { count: line.modifiers.len() });
        }
        for m in &line.modifiers {
            let m = m.trim();
            c.code("modifier", m, m.len() == 2 && m.chars().all(|ch| ch.is_ascii_alphanumeric()));
        }
        if line.charge_cents <= 0 {
            c.add(Problem::NonPositiveCharge);
        }
        if line.units == 0 {
            c.add(Problem::ZeroUnits);
        }
        if let Some(pos) = &line.place_of_service {
            c.place_of_service(pos);
        }
        if line.diagnosis_pointers.is_empty() {
            c.add(Problem::NoPointers);
        } else if line.diagnosis_pointers.len() > MAX_POINTERS {
            c.add(Problem::TooManyPointers { count: line.diagnosis_pointers.len() });
        }
        for (k, &p) in line.diagnosis_pointers.iter().enumerate() {
            if p == 0 || usize::from(p) > diagnoses {
                c.add(Problem::PointerOutOfRange { pointer: p, diagnoses });
            } else if line.diagnosis_pointers[..k].contains(&p) {
                c.add(Problem::RepeatedPointer { pointer: p });
            }
        }
        if line.service_date.end() < line.service_date.start() {
            c.add(Problem::DateRangeBackwards);
        }
        for adj in &line.adjudications {
            if !claim.other_payers.iter().any(|op| op.payer_id == adj.payer_id) {
                c.add(Problem::UnknownOtherPayer { payer_id: adj.payer_id.clone() });
            }
            c.adjustments(&adj.adjustments);
            if adj.paid_cents < 0 {
                c.add(Problem::NegativePaidAmount);
            }
            let adjusted = sum_cents(adj.adjustments.iter().map(|a| a.amount_cents));
            if adj.paid_cents.saturating_add(adjusted) != line.charge_cents {
                c.add(Problem::LineAdjudicationImbalance {
                    payer_id: adj.payer_id.clone(),
                    charge_cents: line.charge_cents,
                    paid_cents: adj.paid_cents,
                    adjusted_cents: adjusted,
                });
            }
        }
    }
    c.line = None;
}

/// Writes a batch as an 837P file, or lists every problem that keeps it from being sent.
///
/// The hierarchy is numbered as written: 2000A billing provider (HL03 20), 2000B subscriber (22),
/// 2000C patient (23) when the patient is not the subscriber. SE01 counts the segments from ST to
/// SE; the control numbers are the caller's (the database keeps the counters).
pub fn write_837p(batch: &Batch837, control: &ControlNumbers, usage: Usage) -> Result<String, Invalid837> {
    let issues = validate_837p(batch, control);
    if !issues.is_empty() {
        return Err(Invalid837 { issues });
    }
    let mut w = SegmentWriter::new(Delimiters::STANDARD);
    envelope::open(&mut w, &batch.envelope, usage, control, "HC", "837", GUIDE);
    let created = &batch.envelope.created;
    w.segment(
        "BHT",
        &[
            "0019",
            if batch.reissue { "18" } else { "00" },
            batch.batch_id.trim(),
            &created.format("%Y%m%d").to_string(),
            &created.format("%H%M").to_string(),
            "CH",
        ],
    );
    let sub = &batch.submitter;
    w.segment("NM1", &["41", "2", &clean_text(&sub.name), "", "", "", "", "46", sub.id.trim()]);
    let phone: String = sub.contact_phone.chars().filter(char::is_ascii_digit).collect();
    w.segment("PER", &["IC", &clean_text(&sub.contact_name), "TE", &phone]);
    w.segment("NM1", &["40", "2", &clean_text(&batch.receiver.name), "", "", "", "", "46", batch.receiver.id.trim()]);

    let mut hl = 0usize;
    for group in &batch.billing_providers {
        hl += 1;
        let provider_hl = hl;
        w.segment("HL", &[&provider_hl.to_string(), "", "20", "1"]);
        let p = &group.provider;
        if let Some(t) = &p.taxonomy {
            w.segment("PRV", &["BI", "PXC", t.trim()]);
        }
        write_name(&mut w, "85", &p.name, "XX", &p.npi);
        write_address(&mut w, &p.address);
        let tax: String = p.tax_id.chars().filter(|c| *c != '-').collect();
        w.segment("REF", &["EI", &tax]);
        if let Some(a) = &group.pay_to {
            w.segment("NM1", &["87", "2"]);
            write_address(&mut w, a);
        }
        for sg in &group.subscribers {
            hl += 1;
            let subscriber_hl = hl;
            let s = &sg.subscriber;
            w.segment("HL", &[&subscriber_hl.to_string(), &provider_hl.to_string(), "22", if sg.patient.is_some() { "1" } else { "0" }]);
            w.segment(
                "SBR",
                &[
                    s.responsibility.code(),
                    if sg.patient.is_none() { "18" } else { "" },
                    &opt_text(s.group_number.as_deref()),
                    &opt_text(s.group_name.as_deref()),
                    "",
                    "",
                    "",
                    "",
                    s.claim_filing_indicator.trim(),
                ],
            );
            write_name(&mut w, "IL", &EntityName::Person(s.name.clone()), "MI", &s.member_id);
            if let Some(a) = &s.address {
                write_address(&mut w, a);
            }
            if let Some(birth) = s.birth_date {
                w.segment("DMG", &["D8", &format_date(birth), s.gender.unwrap_or(Gender::Unknown).code()]);
            }
            write_name(&mut w, "PR", &EntityName::Organization(sg.payer.name.clone()), "PI", &sg.payer.payer_id);
            if let Some(a) = &sg.payer.address {
                write_address(&mut w, a);
            }
            if let Some(patient) = &sg.patient {
                hl += 1;
                w.segment("HL", &[&hl.to_string(), &subscriber_hl.to_string(), "23", "0"]);
                w.segment("PAT", &[patient.relationship.trim()]);
                write_name(&mut w, "QC", &EntityName::Person(patient.name.clone()), "", "");
                write_address(&mut w, &patient.address);
                w.segment("DMG", &["D8", &format_date(patient.birth_date), patient.gender.code()]);
            }
            for claim in &sg.claims {
                write_claim(&mut w, claim);
            }
        }
    }
    envelope::close(&mut w, control);
    Ok(w.finish())
}

fn opt_text(s: Option<&str>) -> String {
    s.map(clean_text).unwrap_or_default()
}

fn write_name(w: &mut SegmentWriter, entity: &str, name: &EntityName, qualifier: &str, id: &str) {
    match name {
        EntityName::Organization(n) => w.segment("NM1", &[entity, "2", &clean_text(n), "", "", "", "", qualifier, id.trim()]),
        EntityName::Person(p) => w.segment(
            "NM1",
            &[
                entity,
                "1",
                &clean_text(&p.last),
                &clean_text(&p.first),
                &opt_text(p.middle.as_deref()),
                "",
                &opt_text(p.suffix.as_deref()),
                qualifier,
                id.trim(),
            ],
        ),
    }
}

fn write_address(w: &mut SegmentWriter, a: &Address) {
    w.segment("N3", &[&clean_text(&a.line1), &opt_text(a.line2.as_deref())]);
    let zip: String = a.zip.chars().filter(|c| *c != '-').collect();
    w.segment("N4", &[&clean_text(&a.city), &a.state.trim().to_ascii_uppercase(), &zip]);
}

fn write_claim(w: &mut SegmentWriter, claim: &Claim) {
    let yn = |b: bool| if b { "Y" } else { "N" };
    let place = w.composite(&[claim.place_of_service.trim(), "B", claim.frequency.code()]);
    w.segment(
        "CLM",
        &[
            claim.patient_control_number.trim(),
            &format_amount(claim.total_charge_cents),
            "",
            "",
            &place,
            yn(claim.provider_signature_on_file),
            if claim.assignment_accepted { "A" } else { "C" },
            yn(claim.benefits_assigned),
            if claim.release_signed { "Y" } else { "I" },
        ],
    );
    if let (Frequency::Replacement | Frequency::Void, Some(n)) = (claim.frequency, &claim.payer_claim_control_number) {
        w.segment("REF", &["F8", n.trim()]);
    }
    let diagnoses: Vec<String> =
        claim.diagnoses.iter().enumerate().map(|(i, d)| w.composite(&[if i == 0 { "ABK" } else { "ABF" }, &diagnosis_code(d)])).collect();
    let refs: Vec<&str> = diagnoses.iter().map(String::as_str).collect();
    w.segment("HI", &refs);
    if let Some(p) = &claim.referring_provider {
        write_name(w, "DN", &EntityName::Person(p.name.clone()), "XX", &p.npi);
    }
    if let Some(p) = &claim.rendering_provider {
        write_name(w, "82", &EntityName::Person(p.name.clone()), "XX", &p.npi);
        if let Some(t) = &p.taxonomy {
            w.segment("PRV", &["PE", "PXC", t.trim()]);
        }
    }
    for op in &claim.other_payers {
        w.segment(
            "SBR",
            &[
                op.responsibility.code(),
                op.relationship.trim(),
                &opt_text(op.group_number.as_deref()),
                "",
                "",
                "",
                "",
                "",
                op.claim_filing_indicator.trim(),
            ],
        );
        write_cas(w, &op.adjustments);
        w.segment("AMT", &["D", &format_amount(op.paid_cents)]);
        w.segment("OI", &["", "", yn(claim.benefits_assigned), "", "", if claim.release_signed { "Y" } else { "I" }]);
        write_name(w, "IL", &EntityName::Person(op.subscriber_name.clone()), "MI", &op.subscriber_member_id);
        write_name(w, "PR", &EntityName::Organization(op.payer_name.clone()), "PI", &op.payer_id);
        if let Some(d) = op.adjudication_date {
            w.segment("DTP", &["573", "D8", &format_date(d)]);
        }
    }
    for (i, line) in claim.lines.iter().enumerate() {
        w.segment("LX", &[&(i + 1).to_string()]);
        let procedure = procedure_composite(w, line);
        let pointers: Vec<String> = line.diagnosis_pointers.iter().map(u8::to_string).collect();
        let pointer_refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
        let pointers = w.composite(&pointer_refs);
        w.segment(
            "SV1",
            &[
                &procedure,
                &format_amount(line.charge_cents),
                "UN",
                &line.units.to_string(),
                line.place_of_service.as_deref().map(str::trim).unwrap_or(""),
                "",
                &pointers,
            ],
        );
        let (qualifier, value) = line.service_date.to_elements();
        w.segment("DTP", &["472", qualifier, &value]);
        for adj in &line.adjudications {
            w.segment("SVD", &[adj.payer_id.trim(), &format_amount(adj.paid_cents), &procedure, "", &adj.paid_units.to_string()]);
            write_cas(w, &adj.adjustments);
            w.segment("DTP", &["573", "D8", &format_date(adj.adjudication_date)]);
        }
    }
}

fn procedure_composite(w: &SegmentWriter, line: &ServiceLine) -> String {
    let mut parts = vec!["HC", line.procedure.trim()];
    parts.extend(line.modifiers.iter().map(|m| m.trim()));
    w.composite(&parts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_npi_check_digit_is_luhn_with_the_80840_prefix() {
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
        assert!(!is_valid_npi("123456789"));
        assert!(!is_valid_npi("12345678a3"));
    }

    #[test]
    fn text_is_folded_to_plain_upper_case_ascii_without_delimiters() {
        assert_eq!(clean_text("José  Núñez*~"), "JOSE NUNEZ");
        assert_eq!(clean_text("O’Brien-Straße"), "O'BRIEN-STRASSE");
        assert_eq!(clean_text("  "), "");
    }

    #[test]
    fn diagnosis_codes_lose_their_dot() {
        assert_eq!(diagnosis_code("j06.9"), "J069");
        assert!(is_icd10_shape("S52521A"));
        assert!(!is_icd10_shape("J0"));
        assert!(!is_icd10_shape("123"));
    }
}
