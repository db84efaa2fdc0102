//! The demo practice's billing: its billing details, and the last three weeks of office visits
//! coded on the superbill, their charges posted and their claims at the stages a biller meets on
//! a Monday: the oldest sent in 837P batches, some ready to send, the last day's still drafts.
//! Everything goes through the use
//! cases (so the books, the claims and the audit trail agree), deterministically.
//!
//! The visits of the last business day are coded but not yet reviewed: their claims are drafts.
//!
//! Once the claims are out, the payer with the most claims sent pays the oldest of them by EFT:
//! the demo writes that payer's 835 from its own sent claims (CO-45 fee-schedule write-offs, the
//! patient's co-pay (PR-3) or co-insurance (PR-2), one claim denied) and imports it through
//! [`App::import_remittance`], so the demo shows paid claims, patients' balances, a denial on
//! the worklist and an EFT in Cash - Operating.

use crate::claims::{BillingSettingsInput, ClaimStatus, ClaimStatusInput, ClaimSummary, ClaimWorklistQuery};
use crate::encounters::{EncounterInput, LineInput};
use crate::remittances::{RemittanceImportInput, RemittanceImportResult};
use crate::{Actor, App, AppError, Result};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use medoffice_domain::identifiers::npi_from_base;
use medoffice_store::users;
use std::collections::BTreeMap;

/// Visits coded: (diagnoses, lines as (procedure, modifiers, pointers)).
type Coding = (&'static [&'static str], &'static [(&'static str, &'static str, &'static str)]);

const CODINGS: [Coding; 8] = [
    (&["J02.9", "R50.9"], &[("99213", "", "1 2"), ("87880", "QW", "1")]),
    (&["E11.9", "I10"], &[("99214", "25", "1 2"), ("83036", "QW", "1"), ("36415", "", "1")]),
    (&["J06.9", "R05.9"], &[("99213", "", "1 2")]),
    (&["Z00.00", "E78.5"], &[("99396", "", "1"), ("80053", "", "2"), ("36415", "", "2")]),
    (&["I10"], &[("99212", "", "1")]),
    (&["Z23"], &[("90471", "", "1"), ("90686", "", "1")]),
    (&["M54.50", "G89.29"], &[("99214", "", "1 2"), ("96372", "", "1"), ("J1100", "", "1")]),
    (&["F41.1"], &[("99213", "", "1"), ("96127", "", "1")]),
];

impl App {
    /// The demo's billing: details, about two visits a business day for the last three weeks.
    pub(crate) async fn demo_billing(&self) -> Result<usize> {
        let actor_of = |username: &'static str| async move {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            let user = users::find_by_username(&mut conn, username).await?.into_iter().next().ok_or(AppError::NotFound("user"))?;
            self.actor_for(&mut conn, &user, None).await
        };
        // The superbill checks every diagnosis against ICD-10-CM (`serve` loads it at its first
        // start too; loading is idempotent).
        self.ensure_icd10cm_loaded().await?;
        let admin = actor_of("admin").await?;
        let biller = actor_of("biller").await?;
        self.set_billing_settings(
            &admin,
            &BillingSettingsInput {
                billing_npi: npi_from_base(158_203_344),
                tax_id: "84-2931756".into(),
                taxonomy_code: "207Q00000X".into(),
                address_line1: "410 Riverside Drive".into(),
                city: "Springfield".into(),
                state: "IL".into(),
                postal_code: "62701-1320".into(),
                phone: "(217) 555-0142".into(),
                submitter_id: "RIVERSIDEFM".into(),
                claims_usage: "test".into(),
                clearinghouse_id: "330897513".into(),
                clearinghouse_name: "Office Ally".into(),
            },
        )
        .await?;
        let providers = self.list_providers(&biller).await?;
        let patients = self.recent_patients(&biller, 300).await?;
        if providers.is_empty() || patients.is_empty() {
            return Ok(0);
        }
        let today = biller.today(self.now());
        let mut days: Vec<NaiveDate> = (1..=21u64)
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        days.reverse();
        let mut coded = 0usize;
        let mut visit = 0usize;
        for (day_index, day) in days.iter().enumerate() {
            for _ in 0..2 {
                visit += 1;
                let coding = CODINGS[visit % CODINGS.len()];
                let patient = &patients[(visit * 37) % patients.len()];
                let input = EncounterInput {
                    patient_id: patient.id.clone(),
                    rendering_provider_id: providers[visit % providers.len()].id.clone(),
                    service_date: day.format("%Y-%m-%d").to_string(),
                    diagnoses: coding.0.iter().map(|d| (*d).to_string()).collect(),
                    lines: coding
                        .1
                        .iter()
                        .map(|(code, modifiers, pointers)| LineInput {
                            procedure_code: (*code).into(),
                            modifiers: (*modifiers).into(),
                            pointers: (*pointers).into(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                };
                // A patient whose coverage the generator left incomplete is coded another day.
                let Ok(encounter) = self.open_encounter(&biller, &input).await else { continue };
                let posted = self.post_charges(&biller, &encounter.id).await?;
                coded += 1;
                // Reviewed claims are marked ready (the scrubber permitting); the last day's wait.
                if let Some(claim_id) = posted.claim_id.filter(|_| day_index + 1 < days.len()) {
                    let ready = ClaimStatusInput { status: "ready".into(), note: "coded and checked".into() };
                    let _ = self.change_claim_status(&biller, &claim_id, &ready).await;
                }
            }
            // Claims go out twice a week; the last few days' are still waiting to be sent.
            if matches!(day.weekday(), Weekday::Tue | Weekday::Fri) && day_index + 4 < days.len() {
                self.send_ready_claims(&biller).await?;
            }
        }
        self.demo_remittance(&biller).await?;
        Ok(coded)
    }

    /// The payer with the most claims sent pays the oldest few by EFT (see the module's
    /// documentation); `None` when no claim was sent.
    pub(crate) async fn demo_remittance(&self, biller: &Actor) -> Result<Option<RemittanceImportResult>> {
        let sent = self.claims_worklist(biller, &ClaimWorklistQuery { status: "sent".into(), ..Default::default() }).await?;
        let mut by_payer: BTreeMap<&str, Vec<&ClaimSummary>> = BTreeMap::new();
        for c in sent.claims.iter().filter(|c| c.status == ClaimStatus::Sent) {
            by_payer.entry(c.payer_id.as_str()).or_default().push(c);
        }
        let Some((payer_id, mut claims)) = by_payer.into_iter().max_by_key(|(_, c)| c.len()) else {
            return Ok(None);
        };
        claims.sort_by(|a, b| (&a.service_date, a.claim_number).cmp(&(&b.service_date, b.claim_number)));
        claims.truncate(DEMO_REMITTANCE_CLAIMS);
        let payer = {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            medoffice_store::practice::get_payer(&mut conn, &biller.practice_id, payer_id).await?
        };
        let mut remitted = Vec::with_capacity(claims.len());
        for c in &claims {
            let detail = self.claim(biller, &c.id).await?;
            remitted.push(DemoClaim {
                patient_control_number: c.patient_control_number.clone(),
                patient_name: c.patient_name.clone(),
                lines: detail
                    .lines
                    .iter()
                    .map(|l| DemoLine {
                        line_number: l.line_number,
                        procedure_code: l.procedure_code.clone(),
                        modifiers: l.modifiers.split([',', ' ', ':']).filter(|m| !m.is_empty()).map(str::to_string).collect(),
                        units: l.units,
                        charge_cents: l.charge_cents,
                        service_date: c.service_date.clone(),
                    })
                    .collect(),
            });
        }
        let today = biller.today(self.now());
        let mut paid_on = today.checked_sub_days(Days::new(3)).unwrap_or(today);
        while matches!(paid_on.weekday(), Weekday::Sat | Weekday::Sun) {
            paid_on = paid_on.pred_opt().unwrap_or(paid_on);
        }
        let demo_payer = DemoPayer {
            name: payer.name.clone(),
            payer_code: payer.payer_code.clone(),
            claim_filing_indicator: payer.claim_filing_indicator.clone(),
            address_line1: payer.address_line1.clone().unwrap_or_else(|| "PO BOX 14079".into()),
            city: payer.city.clone().unwrap_or_else(|| "LEXINGTON".into()),
            state: payer.state.clone().unwrap_or_else(|| "KY".into()),
            postal_code: payer.postal_code.clone().unwrap_or_else(|| "405124079".into()),
        };
        let payee = DemoPayee { name: "RIVERSIDE FAMILY MEDICINE".into(), npi: npi_from_base(158_203_344), tax_id: "842931756".into() };
        let file = demo_835(&demo_payer, &payee, paid_on, &remitted);
        let input =
            RemittanceImportInput { file_name: format!("{}-{}.835", payer.payer_code, paid_on.format("%Y%m%d")), bytes: file.into_bytes() };
        Ok(Some(self.import_remittance(biller, &input).await?))
    }
}

/// How many claims the demo's remittance pays (or denies).
const DEMO_REMITTANCE_CLAIMS: usize = 6;

/// A sent claim as the demo's payer answers it.
#[derive(Debug, Clone)]
pub(crate) struct DemoClaim {
    pub patient_control_number: String,
    /// `Family, Given`.
    pub patient_name: String,
    pub lines: Vec<DemoLine>,
}

#[derive(Debug, Clone)]
pub(crate) struct DemoLine {
    pub line_number: i64,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub units: i64,
    pub charge_cents: i64,
    /// `YYYY-MM-DD`.
    pub service_date: String,
}

#[derive(Debug, Clone)]
pub(crate) struct DemoPayer {
    pub name: String,
    pub payer_code: String,
    pub claim_filing_indicator: String,
    pub address_line1: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

#[derive(Debug, Clone)]
pub(crate) struct DemoPayee {
    pub name: String,
    pub npi: String,
    pub tax_id: String,
}

/// An amount as X12 writes it: dollars, at most two decimals, no trailing zeros.
fn x12_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, part) = (cents.abs() / 100, cents.abs() % 100);
    match part {
        0 => format!("{sign}{whole}"),
        p if p % 10 == 0 => format!("{sign}{whole}.{}", p / 10),
        p => format!("{sign}{whole}.{p:02}"),
    }
}

/// Plain upper-case ASCII for a name element: accents dropped from the common Latin letters,
/// separators and other signs turned into spaces.
fn x12_text(text: &str) -> String {
    let plain = |c: char| match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ñ' | 'Ñ' => 'N',
        'ç' | 'Ç' => 'C',
        c if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '&') => c.to_ascii_uppercase(),
        _ => ' ',
    };
    let cleaned: String = text.chars().map(plain).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The 835 (005010X221A1) of one EFT from the demo's payer answering `claims`: every claim but
/// the last is paid at 70% of its charges (CO-45 writes off the rest) less the patient's share,
/// a $25 co-pay (PR-3) on odd claims and 20% co-insurance (PR-2) on even ones; the last of two or
/// more is denied (CO-50, not medically necessary). It balances by construction (line, claim,
/// check), and names each line by its line control number (REF*6R) as we sent it.
pub(crate) fn demo_835(payer: &DemoPayer, payee: &DemoPayee, paid_on: NaiveDate, claims: &[DemoClaim]) -> String {
    let date = paid_on.format("%Y%m%d").to_string();
    let trace = format!("EFT{}{:04}", paid_on.format("%y%m%d"), claims.len() * 37 % 10_000);
    let sender: String = x12_text(&payer.payer_code).replace(' ', "").chars().take(15).collect();
    let mut body: Vec<String> = Vec::new();
    let mut total_paid = 0i64;
    let indicator = if payer.claim_filing_indicator.trim().is_empty() { "CI".to_string() } else { payer.claim_filing_indicator.clone() };
    for (n, claim) in claims.iter().enumerate() {
        let denied = claims.len() >= 2 && n + 1 == claims.len();
        let copay = n % 2 == 0;
        let mut copay_left = 2_500i64;
        let mut lines = Vec::new();
        let (mut charge, mut paid, mut patient) = (0i64, 0i64, 0i64);
        for l in &claim.lines {
            let code = std::iter::once(format!("HC:{}", l.procedure_code)).chain(l.modifiers.iter().cloned()).collect::<Vec<_>>().join(":");
            let service = l.service_date.replace('-', "");
            charge += l.charge_cents;
            if denied {
                lines.push(format!("SVC*{code}*{}*0**{}", x12_amount(l.charge_cents), l.units));
                lines.push(format!("DTM*472*{service}"));
                lines.push(format!("CAS*CO*50*{}", x12_amount(l.charge_cents)));
                lines.push(format!("REF*6R*{}", l.line_number));
                continue;
            }
            let allowed = l.charge_cents * 70 / 100;
            let write_off = l.charge_cents - allowed;
            let share = if copay {
                let take = copay_left.min(allowed);
                copay_left -= take;
                take
            } else {
                allowed * 20 / 100
            };
            let line_paid = allowed - share;
            paid += line_paid;
            patient += share;
            lines.push(format!("SVC*{code}*{}*{}**{}", x12_amount(l.charge_cents), x12_amount(line_paid), l.units));
            lines.push(format!("DTM*472*{service}"));
            if write_off > 0 {
                lines.push(format!("CAS*CO*45*{}", x12_amount(write_off)));
            }
            if share > 0 {
                lines.push(format!("CAS*PR*{}*{}", if copay { 3 } else { 2 }, x12_amount(share)));
            }
            lines.push(format!("REF*6R*{}", l.line_number));
        }
        total_paid += paid;
        let (family, given) = claim.patient_name.split_once(',').unwrap_or((claim.patient_name.as_str(), ""));
        body.push(format!("LX*{}", n + 1));
        body.push(format!(
            "CLP*{}*{}*{}*{}*{}*{indicator}*{}{:05}",
            claim.patient_control_number,
            if denied { 4 } else { 1 },
            x12_amount(charge),
            x12_amount(paid),
            x12_amount(patient),
            paid_on.format("%y%j"),
            n + 1
        ));
        let given = x12_text(given);
        body.push(if given.is_empty() {
            format!("NM1*QC*1*{}", x12_text(family))
        } else {
            format!("NM1*QC*1*{}*{given}", x12_text(family))
        });
        body.append(&mut lines);
    }
    let mut segments = vec![
        format!("BPR*I*{}*C*ACH*CCP*01*011000015*DA*4419025573*1310458322**01*071000013*DA*2298834710*{date}", x12_amount(total_paid)),
        format!("TRN*1*{trace}*1310458322"),
        format!("DTM*405*{date}"),
        format!("N1*PR*{}", x12_text(&payer.name)),
        format!("N3*{}", x12_text(&payer.address_line1)),
        format!("N4*{}*{}*{}", x12_text(&payer.city), x12_text(&payer.state), payer.postal_code.replace('-', "")),
        "PER*BL*PROVIDER SERVICES*TE*8005550199".to_string(),
        format!("N1*PE*{}*XX*{}", x12_text(&payee.name), payee.npi),
        format!("REF*TJ*{}", payee.tax_id),
    ];
    segments.append(&mut body);
    let control = 1 + (paid_on.num_days_from_ce() as i64 % 100_000_000);
    let mut text = format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{:<15}*{}*1200*^*00501*{control:09}*0*T*:~\n",
        "RIVERSIDEFM",
        paid_on.format("%y%m%d")
    );
    text.push_str(&format!("GS*HP*{sender}*RIVERSIDEFM*{date}*1200*{control}*X*005010X221A1~\n"));
    text.push_str("ST*835*0001~\n");
    for s in &segments {
        text.push_str(s);
        text.push_str("~\n");
    }
    text.push_str(&format!("SE*{}*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n", segments.len() + 2));
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use medoffice_x12::remittance835::{balance_problems, read_835};

    fn claim(pcn: &str, lines: &[(&str, &str, i64)]) -> DemoClaim {
        DemoClaim {
            patient_control_number: pcn.into(),
            patient_name: "O'Brien, Siobhán".into(),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, (code, modifier, cents))| DemoLine {
                    line_number: i as i64 + 1,
                    procedure_code: (*code).into(),
                    modifiers: if modifier.is_empty() { Vec::new() } else { vec![(*modifier).into()] },
                    units: 1,
                    charge_cents: *cents,
                    service_date: "2026-05-27".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_demo_835_balances_and_pays_writes_off_moves_to_the_patient_and_denies() {
        let payer = DemoPayer {
            name: "Aetna".into(),
            payer_code: "60054".into(),
            claim_filing_indicator: "CI".into(),
            address_line1: "PO Box 14079".into(),
            city: "Lexington".into(),
            state: "KY".into(),
            postal_code: "40512-4079".into(),
        };
        let payee = DemoPayee { name: "Riverside Family Medicine".into(), npi: npi_from_base(158_203_344), tax_id: "842931756".into() };
        let claims = [
            claim("MO00000001", &[("99213", "", 13_500), ("87880", "QW", 2_833)]),
            claim("MO00000002", &[("99214", "25", 19_999)]),
            claim("MO00000003", &[("99212", "", 9_000)]),
        ];
        let day = NaiveDate::from_ymd_opt(2026, 6, 12).unwrap();
        let text = demo_835(&payer, &payee, day, &claims);
        assert!(text.is_ascii(), "{text}");
        let sets = read_835(text.as_bytes()).unwrap();
        assert_eq!(sets.len(), 1);
        let r = &sets[0];
        assert!(balance_problems(r).is_empty(), "{:?}\n{text}", balance_problems(r));
        assert_eq!(r.payment_method, "ACH");
        assert_eq!(r.claims.len(), 3);
        // 70% allowed of $163.33 is $114.33 (9450 + 1983), less the $25.00 co-pay.
        assert_eq!(r.claims[0].paid_cents, 9_450 + 1_983 - 2_500);
        assert_eq!(r.claims[1].paid_cents, 13_999 - 13_999 * 20 / 100);
        assert!(r.claims[2].is_denied() && r.claims[2].paid_cents == 0);
        assert_eq!(r.total_paid_cents, r.claims.iter().map(|c| c.paid_cents).sum::<i64>());
        assert!(text.contains("NM1*QC*1*O BRIEN*SIOBHAN~"), "{text}");
        assert!(text.contains("SVC*HC:87880:QW*28.33*19.83**1~"), "{text}");
        assert!(text.contains("CAS*PR*3*25~") && text.contains("CAS*PR*2*27.99~") && text.contains("CAS*CO*50*90~"), "{text}");
    }

    #[test]
    fn amounts_are_written_without_trailing_zeros() {
        assert_eq!(x12_amount(2_500), "25");
        assert_eq!(x12_amount(2_550), "25.5");
        assert_eq!(x12_amount(2_505), "25.05");
        assert_eq!(x12_amount(-1_999), "-19.99");
    }
}
