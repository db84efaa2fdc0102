//! Acknowledgements: the 999 and 277CA files a clearinghouse or payer sends back about the claims
//! we sent, imported and applied to the claims.
//!
//! **999** (is the file well formed?): each AK1 names a group we sent by its GS06, which is a
//! `claim_batch`'s group control number, and each AK2 a transaction set by its ST02 (our batches
//! hold one set, `0001`). An accepted set (IK5 A or E) leaves its claims sent and notes "999
//! accepted" on the batch; a rejected set (R, M, W, X) rejects every claim of the batch that is
//! still sent, with the IK3/IK4/IK5 errors in plain words. A group answered without sets (AK9
//! alone) answers for the whole batch.
//!
//! **277CA** (will the payer adjudicate the claim?): each claim is keyed by the patient control
//! number we sent (TRN02 = CLM01, `MO00000042`). Category A1/A2/A5 accepts a sent claim (and
//! stores the payer's claim control number, REF*1K, which a replacement or void needs later);
//! A3/A4/A6/A7/A8 rejects a sent or accepted claim (a clearinghouse may accept what the payer
//! then rejects) with the STC codes in plain words; any other category is pending and changes
//! nothing. A claim that has moved on (draft, ready, paid...) is left as it is, and the item is
//! recorded as ignored.
//!
//! Whatever matches nothing we sent is reported (`unmatched`), never guessed. Each import is one
//! transaction: the file (kept whole, with its SHA-256 so the same file imported again changes
//! nothing and answers `duplicate`), its items, every claim's move through the lifecycle (a
//! numbered `claim_status_event` whose note is the reason) and the audit records.

use crate::claims::{ClaimStatus, command_line_actor, move_claim, patient_control_number};
use crate::{Actor, App, AppError, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use medoffice_store::acknowledgements::{self as store, AckFileRow, AckItemRow};
use medoffice_store::claims::{self as claim_store, ClaimRow};
use medoffice_store::{Connection, StoreError, Tx, new_id};
use medoffice_x12::ack999::{AckCode, Acknowledgement999, SetResponse, read_999};
use medoffice_x12::claim277ca::{ClaimAcknowledgement277, ClaimStatus as AckClaimStatus, Outcome, Status, read_277ca};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The largest acknowledgement file accepted (a 277CA for thousands of claims is well under this).
pub const MAX_ACK_BYTES: usize = 5 * 1024 * 1024;

/// A file to import, as uploaded.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AckImportInput {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// What one item of a file said and what became of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckItemView {
    /// What the file named: `group 17 set 0001` or a patient control number.
    pub reference: String,
    /// accepted, rejected, pending, unmatched or ignored.
    pub outcome: String,
    pub batch_id: Option<String>,
    pub claim_id: Option<String>,
    /// The codes as sent (`IK5 R 5`, `A7:562:85`).
    pub codes: String,
    /// The same in plain words.
    pub reasons: Vec<String>,
    pub payer_claim_control_number: Option<String>,
}

/// What an import did (or, for a duplicate, what the first import of the same file did).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckImportResult {
    pub file_id: String,
    /// `999` or `277ca`.
    pub kind: String,
    /// Claims the file named that are ours (for a 999: the claims of the batches it answers).
    pub matched: i64,
    /// Claims accepted (for a 999: the claims of accepted sets, which stay sent).
    pub accepted: i64,
    /// Claims rejected.
    pub rejected: i64,
    /// What matched nothing we sent, in words.
    pub unmatched: Vec<String>,
    /// True when this very file was imported before: nothing changed now.
    pub duplicate: bool,
    pub items: Vec<AckItemView>,
}

/// An imported file in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckFileView {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub imported_at: String,
    pub matched: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub unmatched: i64,
}

/// One acknowledgement of a claim, for its page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimAckView {
    /// `999` or `277ca`.
    pub kind: String,
    /// Who answered, in words: "Clearinghouse (999)" or "Payer or clearinghouse (277CA)".
    pub source: String,
    pub file_id: String,
    pub file_name: String,
    pub imported_at: String,
    pub outcome: String,
    pub codes: String,
    pub reasons: Vec<String>,
    pub payer_claim_control_number: Option<String>,
}

fn file_view(f: &AckFileRow) -> AckFileView {
    AckFileView {
        id: f.id.clone(),
        kind: f.kind.clone(),
        file_name: f.file_name.clone(),
        imported_at: f.imported_at.clone(),
        matched: f.matched_count,
        accepted: f.accepted_count,
        rejected: f.rejected_count,
        unmatched: f.unmatched_count,
    }
}

fn item_view(i: &AckItemRow) -> AckItemView {
    AckItemView {
        reference: i.reference.clone(),
        outcome: i.outcome.clone(),
        batch_id: i.batch_id.clone(),
        claim_id: i.claim_id.clone(),
        codes: i.codes.clone(),
        reasons: reasons_of(&i.reasons),
        payer_claim_control_number: i.payer_claim_control_number.clone(),
    }
}

fn reasons_of(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn unmatched_text(i: &AckItemRow) -> String {
    let first = i.reasons.lines().next().unwrap_or("");
    format!("{}: {first}", i.reference)
}

/// A parsed file.
enum Parsed {
    Ack999(Vec<Acknowledgement999>),
    Ack277(Vec<ClaimAcknowledgement277>),
}

fn file_error(message: impl Into<String>) -> AppError {
    AppError::Validation(ValidationErrors::single("file", message))
}

/// Recognises a 999 or a 277CA and reads it; anything else is a field error on `file` saying why.
fn parse_file(bytes: &[u8]) -> Result<Parsed> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error("the file is empty: choose a 999 or 277CA file"));
    }
    if bytes.len() > MAX_ACK_BYTES {
        return Err(file_error(format!("the file is larger than {} MB", MAX_ACK_BYTES / 1024 / 1024)));
    }
    let doc = medoffice_x12::parse(bytes).map_err(|e| file_error(format!("not an X12 file: {e}")))?;
    let sets = medoffice_x12::envelope::transaction_sets(&doc).map_err(|e| file_error(format!("not a well-formed X12 file: {e}")))?;
    let Some(first) = sets.first() else {
        return Err(file_error("the file holds no transaction set"));
    };
    let kind = first.set_id().to_string();
    if let Some(other) = sets.iter().find(|s| s.set_id() != kind) {
        return Err(file_error(format!("the file mixes {kind} and {} transaction sets; import each kind on its own", other.set_id())));
    }
    match kind.as_str() {
        "999" => Ok(Parsed::Ack999(read_999(bytes).map_err(|e| file_error(format!("the 999 cannot be read: {e}")))?)),
        "277" if first.version().to_ascii_uppercase().contains("X212") => Err(file_error(
            "this is a 277 claim status response (005010X212), not a 277CA acknowledgement; import it as a claim status response",
        )),
        "277" => Ok(Parsed::Ack277(read_277ca(bytes).map_err(|e| file_error(format!("the 277CA cannot be read: {e}")))?)),
        other => Err(file_error(format!("this is an X12 {other} file, not a 999 or 277CA acknowledgement"))),
    }
}

/// The plain words of a rejected or noted 999 set: its own errors, then each segment's and
/// element's.
fn set_reasons(set: &SetResponse) -> (String, Vec<String>) {
    let mut codes = vec![format!(
        "IK5 {}",
        std::iter::once(ack_letter(set.status)).chain(set.syntax_errors.iter().cloned()).collect::<Vec<_>>().join(" ")
    )];
    let mut reasons = vec![format!("999 {}: transaction set {}", set.status.meaning(), set.control_number)];
    reasons.extend(set.syntax_error_meanings());
    for seg in &set.segment_errors {
        codes.push(format!("IK3 {} {} {}", seg.segment_id, seg.position.map(|p| p.to_string()).unwrap_or_default(), seg.code));
        let place = match (seg.position, &seg.loop_id) {
            (Some(p), Some(l)) => format!(" (segment {p} of the set, loop {l})"),
            (Some(p), None) => format!(" (segment {p} of the set)"),
            (None, Some(l)) => format!(" (loop {l})"),
            (None, None) => String::new(),
        };
        let meaning = seg.meaning.map_or_else(|| format!("error code {}", seg.code), str::to_string);
        reasons.push(format!("{}{place}: {meaning}", seg.segment_id));
        for el in &seg.element_errors {
            codes.push(format!("IK4 {} {}", el.position, el.code));
            let name = element_name(&seg.segment_id, &el.position);
            let meaning = el.meaning.map_or_else(|| format!("error code {}", el.code), str::to_string);
            let value = el.bad_value.as_ref().map(|v| format!(" (sent '{v}')")).unwrap_or_default();
            reasons.push(format!("{name}: {meaning}{value}"));
        }
    }
    (codes.join("; "), reasons)
}

fn ack_letter(code: AckCode) -> String {
    match code {
        AckCode::Accepted => "A",
        AckCode::AcceptedWithErrors => "E",
        AckCode::PartiallyAccepted => "P",
        AckCode::Rejected => "R",
        AckCode::RejectedAuthentication => "M",
        AckCode::RejectedAssurance => "W",
        AckCode::RejectedContent => "X",
    }
    .to_string()
}

/// IK401 as a reader knows it: `9` of NM1 is NM109, `1:2` of SV1 is SV101-2.
fn element_name(segment: &str, position: &str) -> String {
    let mut parts = position.split(':');
    let element = parts.next().and_then(|p| p.trim().parse::<u32>().ok());
    let component = parts.next().and_then(|p| p.trim().parse::<u32>().ok());
    match (element, component) {
        (Some(e), Some(c)) => format!("{segment}{e:02}-{c}"),
        (Some(e), None) => format!("{segment}{e:02}"),
        _ => format!("{segment} element {position}"),
    }
}

fn status_codes(statuses: &[&Status]) -> String {
    statuses
        .iter()
        .map(|s| {
            let mut c = format!("{}:{}", s.category, s.code);
            if let Some(e) = &s.entity {
                c.push_str(&format!(":{e}"));
            }
            c
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The claim number of one of our patient control numbers (`MO00000042` is 42), exactly as we
/// write them.
fn claim_number_of(pcn: &str) -> Option<i64> {
    let n = pcn.trim().strip_prefix("MO")?.parse::<i64>().ok()?;
    (patient_control_number(n) == pcn.trim()).then_some(n)
}

/// What an import is building: items in file order and the counts.
struct Tally {
    items: Vec<AckItemRow>,
    matched: i64,
    accepted: i64,
    rejected: i64,
}

impl Tally {
    fn push(&mut self, actor: &Actor, file_id: &str, item: NewItem) {
        self.items.push(AckItemRow {
            practice_id: actor.practice_id.clone(),
            file_id: file_id.to_string(),
            position: self.items.len() as i64 + 1,
            batch_id: item.batch_id,
            claim_id: item.claim_id,
            reference: item.reference,
            outcome: item.outcome.into(),
            codes: item.codes,
            reasons: item.reasons.join("\n"),
            payer_claim_control_number: item.payer_claim_control_number,
        });
    }
}

struct NewItem {
    batch_id: Option<String>,
    claim_id: Option<String>,
    reference: String,
    outcome: &'static str,
    codes: String,
    reasons: Vec<String>,
    payer_claim_control_number: Option<String>,
}

impl NewItem {
    fn unmatched(reference: String, codes: String, reason: String) -> NewItem {
        NewItem {
            batch_id: None,
            claim_id: None,
            reference,
            outcome: "unmatched",
            codes,
            reasons: vec![reason],
            payer_claim_control_number: None,
        }
    }
}

impl App {
    /// Imports a 999 or 277CA file and applies it to the claims it names (see the module's
    /// documentation), in one transaction. The same file again answers `duplicate` with the first
    /// import's result and changes nothing.
    pub async fn import_acknowledgement(&self, actor: &Actor, input: &AckImportInput) -> Result<AckImportResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let parsed = parse_file(&input.bytes)?;
        let content = String::from_utf8(input.bytes.clone()).map_err(|_| file_error("the file is not plain text"))?;
        let file_name: String = input.file_name.trim().chars().take(200).collect();
        let sha256 = hex::encode(Sha256::digest(&input.bytes));
        let mut tx = self.store.begin().await?;
        if let Some(done) = store::file_by_hash(&mut tx, &actor.practice_id, &sha256).await? {
            return self.answer_duplicate(tx, actor, done).await;
        }
        let kind = match parsed {
            Parsed::Ack999(_) => "999",
            Parsed::Ack277(_) => "277ca",
        };
        let file_id = new_id();
        // The file first: a concurrent import of the same bytes waits on its unique key here,
        // before either touches a claim.
        let mut file = AckFileRow {
            practice_id: actor.practice_id.clone(),
            id: file_id.clone(),
            kind: kind.into(),
            sha256,
            file_name: if file_name.is_empty() { format!("{kind}.x12") } else { file_name },
            content,
            matched_count: 0,
            accepted_count: 0,
            rejected_count: 0,
            unmatched_count: 0,
            imported_by: actor.user_id.clone(),
            imported_at: self.now_text(),
        };
        match store::insert_file(&mut tx, &file).await {
            Ok(()) => {}
            Err(StoreError::Conflict(c)) if c.contains("acknowledgement_file") || c.contains("sha256") => {
                drop(tx);
                let mut tx = self.store.begin().await?;
                let done = store::file_by_hash(&mut tx, &actor.practice_id, &file.sha256)
                    .await?
                    .ok_or(AppError::NotFound("acknowledgement file"))?;
                return self.answer_duplicate(tx, actor, done).await;
            }
            Err(e) => return Err(e.into()),
        }
        let mut tally = Tally { items: Vec::new(), matched: 0, accepted: 0, rejected: 0 };
        match parsed {
            Parsed::Ack999(acks) => {
                for ack in &acks {
                    self.apply_999(&mut tx, actor, &file_id, ack, &mut tally).await?;
                }
            }
            Parsed::Ack277(acks) => {
                for ack in &acks {
                    self.apply_277(&mut tx, actor, &file_id, ack, &mut tally).await?;
                }
            }
        }
        for item in &tally.items {
            store::insert_item(&mut tx, item).await?;
        }
        let unmatched: Vec<String> = tally.items.iter().filter(|i| i.outcome == "unmatched").map(unmatched_text).collect();
        file.matched_count = tally.matched;
        file.accepted_count = tally.accepted;
        file.rejected_count = tally.rejected;
        file.unmatched_count = unmatched.len() as i64;
        store::set_counts(&mut tx, &file).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "acknowledgement.import",
                patient_id: None,
                record_type: "acknowledgement_file",
                record_id: Some(&file_id),
                detail: format!(
                    "{kind}: {} matched, {} accepted, {} rejected, {} unmatched",
                    tally.matched,
                    tally.accepted,
                    tally.rejected,
                    unmatched.len()
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(AckImportResult {
            file_id,
            kind: kind.into(),
            matched: tally.matched,
            accepted: tally.accepted,
            rejected: tally.rejected,
            unmatched,
            duplicate: false,
            items: tally.items.iter().map(item_view).collect(),
        })
    }

    /// [`App::import_acknowledgement`] for the database's one practice, from the command line
    /// (`medoffice claims import-ack FILE`), audited as `(command line)`.
    pub async fn import_acknowledgement_offline(&self, input: &AckImportInput) -> Result<AckImportResult> {
        let practice = self.only_practice().await?;
        let actor = command_line_actor(&practice);
        self.import_acknowledgement(&actor, input).await
    }

    async fn answer_duplicate(&self, mut tx: Tx, actor: &Actor, done: AckFileRow) -> Result<AckImportResult> {
        let items = store::items(&mut tx, &actor.practice_id, &done.id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "acknowledgement.duplicate",
                patient_id: None,
                record_type: "acknowledgement_file",
                record_id: Some(&done.id),
                detail: format!("{} imported again; nothing changed", done.kind),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(AckImportResult {
            file_id: done.id.clone(),
            kind: done.kind.clone(),
            matched: done.matched_count,
            accepted: done.accepted_count,
            rejected: done.rejected_count,
            unmatched: items.iter().filter(|i| i.outcome == "unmatched").map(unmatched_text).collect(),
            duplicate: true,
            items: items.iter().map(item_view).collect(),
        })
    }

    async fn apply_999(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        file_id: &str,
        ack: &Acknowledgement999,
        tally: &mut Tally,
    ) -> Result<()> {
        let group = ack.group_control_number.trim();
        let batch = match group.parse::<i64>() {
            Ok(n) if ack.functional_id.eq_ignore_ascii_case("HC") => store::batch_by_group(conn, &actor.practice_id, n).await?,
            _ => None,
        };
        let Some(batch) = batch else {
            let why = if ack.functional_id.eq_ignore_ascii_case("HC") {
                "no batch we sent has this group control number"
            } else {
                "this group is not claims (AK101 is not HC)"
            };
            tally.push(
                actor,
                file_id,
                NewItem::unmatched(format!("group {group}"), format!("AK9 {}", ack_letter(ack.group_status)), why.into()),
            );
            return Ok(());
        };
        // The sets answered, or the group's answer standing for the batch's one set.
        let answers: Vec<(String, String, bool, String, Vec<String>)> = if ack.sets.is_empty() {
            let mut reasons = vec![format!("999 {}: the whole group", ack.group_status.meaning())];
            reasons.extend(ack.group_error_meanings());
            let codes = format!(
                "AK9 {}",
                std::iter::once(ack_letter(ack.group_status)).chain(ack.group_errors.iter().cloned()).collect::<Vec<_>>().join(" ")
            );
            vec![("837".to_string(), "0001".to_string(), ack.group_status.accepted(), codes, reasons)]
        } else {
            ack.sets
                .iter()
                .map(|s| {
                    let (codes, reasons) = set_reasons(s);
                    (s.set_id.clone(), s.control_number.clone(), s.accepted(), codes, reasons)
                })
                .collect()
        };
        for (set_id, set_number, accepted, codes, reasons) in answers {
            let reference = format!("batch {} (group {group}, set {set_number})", batch.batch_number);
            if set_id != "837" || set_number.trim().parse::<u32>().ok() != Some(1) {
                tally.push(
                    actor,
                    file_id,
                    NewItem::unmatched(reference, codes, "our batches hold one 837 transaction set, 0001; this one is not ours".into()),
                );
                continue;
            }
            let claims = store::claims_of_batch(conn, &actor.practice_id, &batch.id).await?;
            tally.matched += claims.len() as i64;
            let batch_reasons = if accepted {
                let mut r = vec!["999 accepted".to_string()];
                r.extend(reasons.iter().skip(1).cloned());
                r
            } else {
                reasons.clone()
            };
            tally.push(
                actor,
                file_id,
                NewItem {
                    batch_id: Some(batch.id.clone()),
                    claim_id: None,
                    reference,
                    outcome: if accepted { "accepted" } else { "rejected" },
                    codes: codes.clone(),
                    reasons: batch_reasons,
                    payer_claim_control_number: None,
                },
            );
            if accepted {
                tally.accepted += claims.len() as i64;
                continue;
            }
            let note = format!("{} (999, batch {})", reasons.join("; "), batch.batch_number);
            for claim in &claims {
                let outcome = if claim.status == ClaimStatus::Sent.as_str() {
                    move_claim(self, conn, actor, claim, ClaimStatus::Rejected, None, &note).await?;
                    tally.rejected += 1;
                    "rejected"
                } else {
                    self.audit_left_alone(conn, actor, claim, "999").await?;
                    "ignored"
                };
                let mut claim_reasons = reasons.clone();
                if outcome == "ignored" {
                    claim_reasons.push(format!("the claim is {} now; left as it is", claim.status));
                }
                tally.push(
                    actor,
                    file_id,
                    NewItem {
                        batch_id: Some(batch.id.clone()),
                        claim_id: Some(claim.id.clone()),
                        reference: patient_control_number(claim.claim_number),
                        outcome,
                        codes: codes.clone(),
                        reasons: claim_reasons,
                        payer_claim_control_number: None,
                    },
                );
            }
        }
        Ok(())
    }

    async fn apply_277(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        file_id: &str,
        ack: &ClaimAcknowledgement277,
        tally: &mut Tally,
    ) -> Result<()> {
        // A rejection of the whole file or of a billing provider names no claim: report it.
        for (whom, statuses) in [("the whole file", &ack.batch_statuses), ("a billing provider", &ack.provider_statuses)] {
            let rejected: Vec<&Status> = statuses.iter().filter(|s| s.outcome() == Outcome::Rejected).collect();
            if !rejected.is_empty() {
                let reasons = rejected.iter().map(|s| s.explanation()).collect::<Vec<_>>().join("; ");
                tally.push(
                    actor,
                    file_id,
                    NewItem::unmatched(whom.to_string(), status_codes(&rejected), format!("rejected, naming no claim: {reasons}")),
                );
            }
        }
        for cs in &ack.claims {
            self.apply_277_claim(conn, actor, file_id, cs, tally).await?;
        }
        Ok(())
    }

    async fn apply_277_claim(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        file_id: &str,
        cs: &AckClaimStatus,
        tally: &mut Tally,
    ) -> Result<()> {
        let statuses: Vec<&Status> = cs.statuses.iter().chain(cs.lines.iter().flat_map(|l| &l.statuses)).collect();
        let codes = status_codes(&statuses);
        let reasons = cs.explanation();
        let pcn = cs.patient_control_number.trim().to_string();
        let reference = match &cs.patient_name {
            Some(name) => format!("{pcn} ({name})"),
            None => pcn.clone(),
        };
        let claim = match claim_number_of(&pcn) {
            Some(n) => store::claim_by_number(conn, &actor.practice_id, n).await?,
            None => None,
        };
        let Some(claim) = claim else {
            tally.push(actor, file_id, NewItem::unmatched(reference, codes, "no claim of ours has this patient control number".into()));
            return Ok(());
        };
        tally.matched += 1;
        let outcome = cs.outcome();
        let status = claim.status.as_str();
        let note = format!("277CA: {}", reasons.join("; "));
        let payer_number = cs.payer_claim_control_number.clone().filter(|n| !n.trim().is_empty());
        let (recorded, mut item_reasons) = match outcome {
            Outcome::Accepted if status == ClaimStatus::Sent.as_str() || status == ClaimStatus::Accepted.as_str() => {
                if status == ClaimStatus::Sent.as_str() {
                    move_claim(self, conn, actor, &claim, ClaimStatus::Accepted, None, &note).await?;
                } else {
                    self.audit_left_alone(conn, actor, &claim, "277CA").await?;
                }
                if let Some(n) = &payer_number {
                    store::set_payer_claim_control_number(conn, &actor.practice_id, &claim.id, n.trim(), &self.now_text()).await?;
                }
                tally.accepted += 1;
                ("accepted", reasons.clone())
            }
            Outcome::Rejected if status == ClaimStatus::Sent.as_str() || status == ClaimStatus::Accepted.as_str() => {
                move_claim(self, conn, actor, &claim, ClaimStatus::Rejected, None, &note).await?;
                tally.rejected += 1;
                ("rejected", reasons.clone())
            }
            Outcome::Pending => {
                self.audit_left_alone(conn, actor, &claim, "277CA").await?;
                ("pending", reasons.clone())
            }
            _ => {
                self.audit_left_alone(conn, actor, &claim, "277CA").await?;
                let mut r = reasons.clone();
                r.push(format!("the claim is {status} now; left as it is"));
                ("ignored", r)
            }
        };
        if item_reasons.is_empty() {
            item_reasons.push("no status given".into());
        }
        tally.push(
            actor,
            file_id,
            NewItem {
                batch_id: claim.batch_id.clone(),
                claim_id: Some(claim.id.clone()),
                reference,
                outcome: recorded,
                codes,
                reasons: item_reasons,
                payer_claim_control_number: payer_number,
            },
        );
        Ok(())
    }

    /// Audits an acknowledgement that named a claim without changing its status.
    async fn audit_left_alone(&self, conn: &mut Connection, actor: &Actor, claim: &ClaimRow, kind: &str) -> Result<()> {
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "acknowledgement.claim",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(&claim.id),
                detail: format!("{kind} recorded; the claim stays {}", claim.status),
            },
        )
        .await
    }

    /// The acknowledgement files imported, newest first.
    pub async fn acknowledgement_files(&self, actor: &Actor) -> Result<Vec<AckFileView>> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::list_files(&mut conn, &actor.practice_id, store::LIST_LIMIT).await?.iter().map(file_view).collect())
    }

    /// One imported file with what each of its items said and became.
    pub async fn acknowledgement_file(&self, actor: &Actor, file_id: &str) -> Result<(AckFileView, Vec<AckItemView>)> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let file = store::get_file(&mut tx, &actor.practice_id, file_id).await?;
        let items = store::items(&mut tx, &actor.practice_id, file_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "acknowledgement.read",
                patient_id: None,
                record_type: "acknowledgement_file",
                record_id: Some(file_id),
                detail: format!("{} items", items.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((file_view(&file), items.iter().map(item_view).collect()))
    }

    /// A claim's acknowledgements, newest first (the claim page shows why it was rejected).
    pub async fn claim_acknowledgements(&self, actor: &Actor, claim_id: &str) -> Result<Vec<ClaimAckView>> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let claim = claim_store::get(&mut tx, &actor.practice_id, claim_id).await?;
        let rows = store::claim_items(&mut tx, &actor.practice_id, claim_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "acknowledgement.claim_read",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(claim_id),
                detail: format!("{} acknowledgements", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| ClaimAckView {
                source: if r.kind == "999" { "Clearinghouse (999)".into() } else { "Payer or clearinghouse (277CA)".into() },
                kind: r.kind,
                file_id: r.item.file_id.clone(),
                file_name: r.file_name,
                imported_at: r.imported_at,
                outcome: r.item.outcome.clone(),
                codes: r.item.codes.clone(),
                reasons: reasons_of(&r.item.reasons),
                payer_claim_control_number: r.item.payer_claim_control_number.clone(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_our_own_patient_control_numbers_name_a_claim() {
        assert_eq!(claim_number_of("MO00000042"), Some(42));
        assert_eq!(claim_number_of("MO42"), None);
        assert_eq!(claim_number_of("PCN-1001"), None);
        assert_eq!(claim_number_of("MO0000004X"), None);
    }

    #[test]
    fn element_positions_read_as_element_names() {
        assert_eq!(element_name("NM1", "9"), "NM109");
        assert_eq!(element_name("SV1", "1:2"), "SV101-2");
        assert_eq!(element_name("CLM", "x"), "CLM element x");
    }

    #[test]
    fn a_file_that_is_not_an_acknowledgement_says_why() {
        let reason = |bytes: &[u8]| match parse_file(bytes) {
            Err(AppError::Validation(e)) => e.errors[0].message.clone(),
            _ => String::from("accepted"),
        };
        assert!(reason(b"").contains("empty"));
        assert!(reason(b"hello world").contains("not an X12 file"));
        let remit = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*MEDOFFICE      *261201*1200*^*00501*000000001*0*T*:~\
GS*HP*PAYER*MEDOFFICE*20261201*1200*1*X*005010X221A1~ST*835*0001~SE*2*0001~GE*1*1~IEA*1*000000001~";
        assert!(reason(remit.as_bytes()).contains("X12 835 file, not a 999 or 277CA"), "{}", reason(remit.as_bytes()));
        let status = remit.replace("HP*", "HN*").replace("ST*835*0001", "ST*277*0001*005010X212");
        assert!(reason(status.as_bytes()).contains("claim status response (005010X212)"), "{}", reason(status.as_bytes()));
    }
}
