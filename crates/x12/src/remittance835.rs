//! The 835 remittance advice (005010X221A1): the payment (BPR, TRN), the claims paid (CLP) with
//! their adjustments (CAS) and service lines (SVC), and provider-level adjustments (PLB). The
//! reader checks the three balancing rules of `standards.md` and reports what does not balance
//! instead of refusing the file: the office still needs to see what the payer sent.

use chrono::NaiveDate;

use crate::codes::{Adjustment, read_cas};
use crate::envelope::{DateOrRange, format_amount, sets_of};
use crate::error::{ErrorKind, ParseError};
use crate::fields::{amount, code, optional_amount, optional_date, required, text, unexpected};
use crate::syntax::{Segment, parse};

/// One 835 transaction set: one payment from one payer to one payee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance835 {
    /// ST02.
    pub control_number: String,
    /// BPR01: I (remittance and payment), H (notification only)...
    pub handling_code: String,
    /// BPR02, the total paid.
    pub total_paid_cents: i64,
    /// BPR03: C credit or D debit.
    pub credit_debit: String,
    /// BPR04: ACH, CHK, FWT, BOP or NON.
    pub payment_method: String,
    /// BPR16, the date the payment is effective.
    pub payment_date: Option<NaiveDate>,
    /// TRN02: the check or EFT trace number; with the payer id, the key against posting twice.
    pub trace_number: String,
    /// TRN03: who issued the trace number (1 and the payer's tax id).
    pub trace_originator: Option<String>,
    /// DTM*405, the production date.
    pub production_date: Option<NaiveDate>,
    /// 1000A.
    pub payer: Party,
    /// 1000B.
    pub payee: Party,
    /// 2100 loops in file order.
    pub claims: Vec<ClaimPayment>,
    /// PLB.
    pub provider_adjustments: Vec<ProviderAdjustment>,
    /// What does not balance, if anything.
    pub balance_problems: Vec<BalanceProblem>,
}

impl Remittance835 {
    /// BPR04 in plain words.
    pub fn payment_method_meaning(&self) -> &'static str {
        match self.payment_method.as_str() {
            "ACH" => "electronic funds transfer (ACH)",
            "CHK" => "check",
            "FWT" => "federal reserve wire transfer",
            "BOP" => "financial institution option",
            "NON" => "no payment",
            _ => "unknown payment method",
        }
    }
}

/// A payer or payee (N1 with its id).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// N102.
    pub name: String,
    /// N103, the id's qualifier (XV, XX, FI, PI...).
    pub id_qualifier: Option<String>,
    /// N104, or for the payer REF*2U when N1 has none.
    pub id: Option<String>,
}

/// One claim paid, reduced or denied (CLP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPayment {
    /// CLP01: our CLM01.
    pub patient_control_number: String,
    /// CLP02.
    pub status: String,
    /// CLP03.
    pub charge_cents: i64,
    /// CLP04.
    pub paid_cents: i64,
    /// CLP05.
    pub patient_responsibility_cents: Option<i64>,
    /// CLP06, the claim filing indicator.
    pub filing_indicator: Option<String>,
    /// CLP07, the payer's claim control number (needed for a replacement or void).
    pub payer_claim_control_number: Option<String>,
    /// NM1*QC as `LAST, FIRST`.
    pub patient_name: Option<String>,
    /// NM1*QC NM109.
    pub patient_member_id: Option<String>,
    /// Claim-level CAS.
    pub adjustments: Vec<Adjustment>,
    /// MOA/MIA remark codes (RARC).
    pub remarks: Vec<String>,
    /// DTM*232/233, the claim's statement period.
    pub statement_from: Option<NaiveDate>,
    /// DTM*233.
    pub statement_to: Option<NaiveDate>,
    /// 2110 loops.
    pub lines: Vec<ServicePayment>,
}

impl ClaimPayment {
    /// CLP02 in plain words.
    pub fn status_meaning(&self) -> &'static str {
        claim_status_meaning(&self.status)
    }

    /// CLP02 = 4: the payer denied the claim.
    pub fn is_denied(&self) -> bool {
        self.status == "4"
    }

    /// CLP02 = 22: the payer takes back an earlier payment.
    pub fn is_reversal(&self) -> bool {
        self.status == "22"
    }

    /// All adjustments on the claim and its lines.
    pub fn all_adjustments(&self) -> impl Iterator<Item = &Adjustment> {
        self.adjustments.iter().chain(self.lines.iter().flat_map(|l| &l.adjustments))
    }
}

/// CLP02, the claim status, in plain words.
pub fn claim_status_meaning(code: &str) -> &'static str {
    match code {
        "1" => "processed as primary",
        "2" => "processed as secondary",
        "3" => "processed as tertiary",
        "4" => "denied",
        "19" => "processed as primary, forwarded to another payer",
        "20" => "processed as secondary, forwarded to another payer",
        "21" => "processed as tertiary, forwarded to another payer",
        "22" => "reversal of an earlier payment",
        "23" => "not our claim, forwarded to another payer",
        "25" => "predetermination pricing only: no payment",
        _ => "unknown claim status",
    }
}

/// One service line paid (SVC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePayment {
    /// SVC01-1, the code's qualifier (HC).
    pub qualifier: String,
    /// SVC01-2, the procedure as paid.
    pub procedure: String,
    /// SVC01-3..6.
    pub modifiers: Vec<String>,
    /// SVC06-2, the procedure as billed when the payer changed it.
    pub billed_procedure: Option<String>,
    /// SVC02.
    pub charge_cents: i64,
    /// SVC03.
    pub paid_cents: i64,
    /// SVC05, the units paid.
    pub units: Option<String>,
    /// DTM*472, or DTM*150/151.
    pub service_date: Option<DateOrRange>,
    /// The line's CAS.
    pub adjustments: Vec<Adjustment>,
    /// LQ*HE remark codes (RARC).
    pub remarks: Vec<String>,
    /// AMT*B6, the allowed amount.
    pub allowed_cents: Option<i64>,
    /// REF*6R, the line item control number we sent.
    pub line_control_number: Option<String>,
}

/// A provider-level adjustment (one pair of a PLB segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAdjustment {
    /// PLB01.
    pub provider_id: String,
    /// PLB02, the end of the provider's fiscal period.
    pub fiscal_period_end: Option<NaiveDate>,
    /// The reason (WO overpayment recovery, L6 interest, FB forwarding balance...).
    pub reason: String,
    /// The reference (the claim recovered from, for instance).
    pub reference: Option<String>,
    /// The amount: positive reduces the payment, negative increases it.
    pub amount_cents: i64,
}

impl ProviderAdjustment {
    /// The reason in plain words, for the common ones.
    pub fn reason_meaning(&self) -> Option<&'static str> {
        Some(match self.reason.as_str() {
            "WO" => "overpayment recovery",
            "L6" => "interest owed",
            "FB" => "forwarding balance",
            "CS" => "adjustment",
            "72" => "authorized return",
            "90" => "early payment allowance",
            "AP" => "acceleration of benefits",
            "B2" => "rebate",
            "BD" => "bad debt adjustment",
            "C5" => "temporary allowance",
            "IR" => "internal revenue service withholding",
            "J1" => "non-reimbursable",
            "L3" => "penalty",
            "LE" => "levy",
            "WU" => "unspecified recovery",
            _ => return None,
        })
    }
}

/// A balancing rule the payer's file breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BalanceProblem {
    /// SVC02 - the line's CAS differs from SVC03.
    Line { claim: String, line: usize, charge_cents: i64, paid_cents: i64, adjusted_cents: i64 },
    /// CLP03 - all the claim's CAS differs from CLP04.
    Claim { claim: String, charge_cents: i64, paid_cents: i64, adjusted_cents: i64 },
    /// BPR02 differs from the sum of CLP04 less the PLB amounts.
    Payment { total_paid_cents: i64, claims_paid_cents: i64, provider_adjustments_cents: i64 },
}

impl std::fmt::Display for BalanceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = format_amount;
        match self {
            BalanceProblem::Line { claim, line, charge_cents, paid_cents, adjusted_cents } => write!(
                f,
                "claim {claim}, line {line}: charged {} less adjustments {} is not the {} paid",
                m(*charge_cents),
                m(*adjusted_cents),
                m(*paid_cents)
            ),
            BalanceProblem::Claim { claim, charge_cents, paid_cents, adjusted_cents } => write!(
                f,
                "claim {claim}: charged {} less adjustments {} is not the {} paid",
                m(*charge_cents),
                m(*adjusted_cents),
                m(*paid_cents)
            ),
            BalanceProblem::Payment { total_paid_cents, claims_paid_cents, provider_adjustments_cents } => write!(
                f,
                "the payment of {} is not the claims' {} less provider adjustments of {}",
                m(*total_paid_cents),
                m(*claims_paid_cents),
                m(*provider_adjustments_cents)
            ),
        }
    }
}

fn cas(seg: &Segment, pos: usize) -> Result<Vec<Adjustment>, ParseError> {
    read_cas(seg).map_err(|element| ParseError::at(pos, Some("CAS"), ErrorKind::BadAmount { element, value: String::new() }))
}

fn person_name(seg: &Segment) -> Option<String> {
    match (seg.value(3), seg.value(4)) {
        (Some(l), Some(f)) => Some(format!("{l}, {f}")),
        (Some(l), None) => Some(l.to_string()),
        _ => None,
    }
}

/// Checks the three balancing rules and lists what breaks them.
pub fn balance_problems(r: &Remittance835) -> Vec<BalanceProblem> {
    let mut out = Vec::new();
    let mut claims_paid: i64 = 0;
    for c in &r.claims {
        claims_paid = claims_paid.saturating_add(c.paid_cents);
        for (i, l) in c.lines.iter().enumerate() {
            let adjusted = l.adjustments.iter().fold(0i64, |s, a| s.saturating_add(a.amount_cents));
            if l.charge_cents.saturating_sub(adjusted) != l.paid_cents {
                out.push(BalanceProblem::Line {
                    claim: c.patient_control_number.clone(),
                    line: i + 1,
                    charge_cents: l.charge_cents,
                    paid_cents: l.paid_cents,
                    adjusted_cents: adjusted,
                });
            }
        }
        let adjusted = c.all_adjustments().fold(0i64, |s, a| s.saturating_add(a.amount_cents));
        if c.charge_cents.saturating_sub(adjusted) != c.paid_cents {
            out.push(BalanceProblem::Claim {
                claim: c.patient_control_number.clone(),
                charge_cents: c.charge_cents,
                paid_cents: c.paid_cents,
                adjusted_cents: adjusted,
            });
        }
    }
    let plb = r.provider_adjustments.iter().fold(0i64, |s, a| s.saturating_add(a.amount_cents));
    if claims_paid.saturating_sub(plb) != r.total_paid_cents {
        out.push(BalanceProblem::Payment {
            total_paid_cents: r.total_paid_cents,
            claims_paid_cents: claims_paid,
            provider_adjustments_cents: plb,
        });
    }
    out
}

/// Reads every 835 transaction set of a file.
pub fn read_835(input: &[u8]) -> Result<Vec<Remittance835>, ParseError> {
    let doc = parse(input)?;
    let d = doc.delimiters;
    let mut out = Vec::new();
    for set in sets_of(&doc, "835")? {
        let Some(bpr) = set.body.first().filter(|s| s.is("BPR")) else {
            let pos = set.first_position;
            return Err(ParseError::at(
                pos,
                set.body.first().map(|s| s.id.as_str()),
                ErrorKind::Missing { what: "BPR (the payment), first after ST" },
            ));
        };
        let bpr_pos = set.position(0);
        let mut r = Remittance835 {
            control_number: set.control_number().to_string(),
            handling_code: code(bpr, 1),
            total_paid_cents: amount(bpr, 2, bpr_pos)?,
            credit_debit: code(bpr, 3),
            payment_method: code(bpr, 4),
            payment_date: optional_date(bpr, 16, bpr_pos)?,
            trace_number: String::new(),
            trace_originator: None,
            production_date: None,
            payer: Party::default(),
            payee: Party::default(),
            claims: Vec::new(),
            provider_adjustments: Vec::new(),
            balance_problems: Vec::new(),
        };
        let mut party: Option<&str> = None;
        let mut in_line = false;
        for (i, seg) in set.body.iter().enumerate().skip(1) {
            let pos = set.position(i);
            match seg.id.as_str() {
                "TRN" if r.trace_number.is_empty() => {
                    r.trace_number = required(seg, 2, pos)?.to_string();
                    r.trace_originator = text(seg, 3);
                }
                "N1" => {
                    let p = Party { name: seg.element(2).trim().to_string(), id_qualifier: text(seg, 3), id: text(seg, 4) };
                    match code(seg, 1).as_str() {
                        "PR" => {
                            r.payer = p;
                            party = Some("PR");
                        }
                        "PE" => {
                            r.payee = p;
                            party = Some("PE");
                        }
                        _ => party = None,
                    }
                }
                "REF" => match (r.claims.last_mut(), code(seg, 1).as_str()) {
                    (None, "2U") if party == Some("PR") && r.payer.id.is_none() => r.payer.id = text(seg, 2),
                    (Some(c), "6R") if in_line => {
                        if let Some(l) = c.lines.last_mut() {
                            l.line_control_number = text(seg, 2);
                        }
                    }
                    _ => {}
                },
                "DTM" => {
                    let qualifier = code(seg, 1);
                    let date = optional_date(seg, 2, pos)?;
                    match (r.claims.last_mut(), qualifier.as_str()) {
                        (None, "405") => r.production_date = date,
                        (Some(c), q) if in_line => {
                            if let (Some(l), Some(date)) = (c.lines.last_mut(), date) {
                                l.service_date = match (q, l.service_date) {
                                    ("472" | "150", _) => Some(DateOrRange::Date(date)),
                                    ("151", Some(start)) => Some(DateOrRange::Range(start.start(), date)),
                                    ("151", None) => Some(DateOrRange::Date(date)),
                                    _ => l.service_date,
                                };
                            }
                        }
                        (Some(c), "232") => c.statement_from = date,
                        (Some(c), "233") => c.statement_to = date,
                        _ => {}
                    }
                }
                "CLP" => {
                    in_line = false;
                    r.claims.push(ClaimPayment {
                        patient_control_number: required(seg, 1, pos)?.to_string(),
                        status: required(seg, 2, pos)?.to_string(),
                        charge_cents: amount(seg, 3, pos)?,
                        paid_cents: amount(seg, 4, pos)?,
                        patient_responsibility_cents: optional_amount(seg, 5, pos)?,
                        filing_indicator: text(seg, 6),
                        payer_claim_control_number: text(seg, 7),
                        patient_name: None,
                        patient_member_id: None,
                        adjustments: Vec::new(),
                        remarks: Vec::new(),
                        statement_from: None,
                        statement_to: None,
                        lines: Vec::new(),
                    });
                }
                "CAS" => {
                    let list = cas(seg, pos)?;
                    let Some(c) = r.claims.last_mut() else {
                        return Err(unexpected(seg, pos, "CAS after a CLP or SVC"));
                    };
                    match c.lines.last_mut() {
                        Some(l) if in_line => l.adjustments.extend(list),
                        _ => c.adjustments.extend(list),
                    }
                }
                "NM1" => {
                    if let Some(c) = r.claims.last_mut()
                        && code(seg, 1) == "QC"
                    {
                        c.patient_name = person_name(seg);
                        c.patient_member_id = text(seg, 9);
                    }
                }
                "MOA" | "MIA" => {
                    if let Some(c) = r.claims.last_mut() {
                        let remark_elements: &[usize] = if seg.is("MOA") { &[3, 4, 5, 6, 7] } else { &[5, 20, 21, 22, 23] };
                        c.remarks.extend(remark_elements.iter().filter_map(|&n| text(seg, n)));
                    }
                }
                "SVC" => {
                    let Some(c) = r.claims.last_mut() else {
                        return Err(unexpected(seg, pos, "SVC after a CLP"));
                    };
                    let composite = required(seg, 1, pos)?;
                    let parts = d.components(composite);
                    let billed = seg.value(6).map(|b| d.components(b).get(1).copied().unwrap_or(b).trim().to_string());
                    c.lines.push(ServicePayment {
                        qualifier: parts.first().map(|s| s.trim().to_string()).unwrap_or_default(),
                        procedure: parts.get(1).map(|s| s.trim().to_string()).unwrap_or_default(),
                        modifiers: parts.iter().skip(2).take(4).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
                        billed_procedure: billed,
                        charge_cents: amount(seg, 2, pos)?,
                        paid_cents: amount(seg, 3, pos)?,
                        units: text(seg, 5),
                        service_date: None,
                        adjustments: Vec::new(),
                        remarks: Vec::new(),
                        allowed_cents: None,
                        line_control_number: None,
                    });
                    in_line = true;
                }
                "AMT" => {
                    if let Some(l) = r.claims.last_mut().and_then(|c| c.lines.last_mut())
                        && in_line
                        && code(seg, 1) == "B6"
                    {
                        l.allowed_cents = Some(amount(seg, 2, pos)?);
                    }
                }
                "LQ" => {
                    if let Some(l) = r.claims.last_mut().and_then(|c| c.lines.last_mut())
                        && in_line
                    {
                        l.remarks.extend(text(seg, 2));
                    }
                }
                "PLB" => {
                    let provider_id = required(seg, 1, pos)?.to_string();
                    let fiscal_period_end = optional_date(seg, 2, pos)?;
                    for n in (3..=13).step_by(2) {
                        let Some(reason) = seg.value(n) else { continue };
                        let parts = d.components(reason);
                        r.provider_adjustments.push(ProviderAdjustment {
                            provider_id: provider_id.clone(),
                            fiscal_period_end,
                            reason: parts.first().map(|s| s.trim().to_ascii_uppercase()).unwrap_or_default(),
                            reference: parts.get(1).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
                            amount_cents: amount(seg, n + 1, pos)?,
                        });
                    }
                }
                "LX" => in_line = false,
                _ => {}
            }
        }
        if r.trace_number.is_empty() {
            return Err(ParseError::at(bpr_pos, Some("BPR"), ErrorKind::Missing { what: "TRN (the check or EFT trace number)" }));
        }
        r.balance_problems = balance_problems(&r);
        out.push(r);
    }
    Ok(out)
}
