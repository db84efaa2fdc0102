//! Backups (issue 9): `medoffice backup` writes an encrypted, consistent backup of the whole
//! database and of every stored file while the server runs; `medoffice restore` puts one back into
//! an empty data dir (or an empty PostgreSQL database: a backup of either database restores into
//! either). The engine and the file format are `medoffice_store::backup`.
//!
//! A backup is encrypted under a key derived from the practice data key (`blobs.key`), which is
//! not in the backup: without the key file the backup cannot be opened, so the key must be kept
//! safe somewhere else (and the audit chain's key likewise).
//!
//! The scheduled daily backup is a practice setting (migration 0041): `medoffice serve` writes one
//! a day into the chosen folder at the chosen hour and keeps the newest N there.

use crate::{Actor, App, AuditNote, Result};
use chrono::{DateTime, Timelike, Utc};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use medoffice_store::backup::{self as store, ScheduleRow};
pub use medoffice_store::backup::{BackupError, BackupKey, BackupSummary};
use medoffice_store::blobs::FileBlobStore;
use medoffice_store::{Store, StoreError};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// The names of scheduled backup files: `medoffice-backup-20261128T020000Z.mobackup` (UTC, fixed
/// width, so name order is time order). Pruning touches only files named this way.
const FILE_PREFIX: &str = "medoffice-backup-";
const FILE_SUFFIX: &str = ".mobackup";

/// The file name of a backup made at `at`.
pub fn backup_file_name(at: DateTime<Utc>) -> String {
    format!("{FILE_PREFIX}{}{FILE_SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

/// Writes a backup to `out` durably: a temporary file beside it, flushed to disk, then renamed,
/// so `out` is either the old file or a whole new backup.
pub async fn write_backup_file(store: &Store, blobs: &FileBlobStore, out: &Path, created_at: &str) -> Result<BackupSummary, BackupError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(BackupError::Io(format!("{}: no such directory {}", out.display(), parent.display())));
    }
    if out.is_dir() {
        return Err(BackupError::Io(format!("{} is a directory: give a file name", out.display())));
    }
    blobs.ensure_key()?;
    let key = BackupKey::from_key_file(blobs.key_file())?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
    let tmp = parent.join(format!(".{name}.partial"));
    let cannot_write = |e: std::io::Error| BackupError::Io(format!("cannot write {}: {e}", out.display()));
    // Readable by its owner only (it is encrypted, but nobody else needs it).
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&tmp).map_err(cannot_write)?;
    let written = store::write_backup(store, blobs.root(), &key, created_at, BufWriter::new(file)).await;
    let (summary, writer) = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let finish = || -> std::io::Result<()> {
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, out)?;
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok(())
    };
    if let Err(e) = finish() {
        let _ = std::fs::remove_file(&tmp);
        return Err(cannot_write(e));
    }
    Ok(summary)
}

/// Checks the whole backup file against the key (every part's integrity), without writing anything.
pub fn verify_backup_file(file: &Path, key: &BackupKey) -> Result<(), BackupError> {
    let f = std::fs::File::open(file).map_err(|e| BackupError::Io(format!("cannot read {}: {e}", file.display())))?;
    store::verify_backup(BufReader::new(f), key)
}

/// Restores a backup file into `store` (migrated, empty) and `blobs` (an empty folder, its key file
/// the practice data key the backup was made with). The whole file is checked first, so a damaged
/// file or a wrong key changes nothing.
pub async fn restore_backup_file(store: &Store, blobs: &FileBlobStore, file: &Path) -> Result<BackupSummary, BackupError> {
    if !blobs.key_file().exists() {
        return Err(BackupError::Key(format!(
            "the practice data key file {} does not exist: the backup is encrypted with it; copy your saved key there or give --key-file",
            blobs.key_file().display()
        )));
    }
    let key = BackupKey::from_key_file(blobs.key_file())?;
    verify_backup_file(file, &key)?;
    let f = std::fs::File::open(file).map_err(|e| BackupError::Io(format!("cannot read {}: {e}", file.display())))?;
    store::restore_backup(store, blobs, &key, BufReader::new(f)).await
}

/// Refuses a data dir that holds anything but key files (the practice data key, the audit key):
/// a restore goes into an empty one. A missing data dir is empty.
pub fn check_empty_data_dir(dir: &Path) -> Result<(), BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(BackupError::Io(format!("cannot read the data dir {}: {e}", dir.display()))),
    };
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::Io(format!("cannot read the data dir {}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_key = name.ends_with(".key") && entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        let empty_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false)
            && std::fs::read_dir(entry.path()).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !is_key && !empty_dir {
            return Err(BackupError::NotEmpty(format!(
                "the data dir {} is not empty (it holds {name}): restore into an empty data dir",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Deletes the oldest scheduled backup files in `folder` beyond the `keep` newest; other files
/// are never touched. Returns the deleted files.
pub fn prune_backups(folder: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<String> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_scheduled_backup_name(n))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    let mut deleted = Vec::with_capacity(excess);
    for name in names.into_iter().take(excess) {
        let path = folder.join(&name);
        std::fs::remove_file(&path)?;
        deleted.push(path);
    }
    Ok(deleted)
}

fn is_scheduled_backup_name(name: &str) -> bool {
    name.strip_prefix(FILE_PREFIX)
        .and_then(|rest| rest.strip_suffix(FILE_SUFFIX))
        .is_some_and(|stamp| stamp.len() == 16 && stamp.chars().all(|c| c.is_ascii_digit() || c == 'T' || c == 'Z'))
}

/// The scheduled backup as the admin page edits it (text as typed).
#[derive(Debug, Clone, Default)]
pub struct BackupScheduleInput {
    pub enabled: bool,
    /// An existing folder on the server, as an absolute path.
    pub folder: String,
    /// 0 to 23, the practice's local time.
    pub hour: String,
    /// How many backup files to keep there (1 to 365).
    pub keep_count: String,
}

/// One practice's scheduled run, for the server's log.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledRun {
    pub practice_id: String,
    /// The backup written, or `None` when the run failed.
    pub file: Option<PathBuf>,
    pub summary: Option<BackupSummary>,
    pub pruned: Vec<PathBuf>,
    pub error: Option<String>,
}

impl App {
    /// Writes a backup of the whole database and the stored files to `out` (for `medoffice
    /// backup`), and notes it in each practice's audit trail.
    pub async fn write_backup(&self, out: &Path) -> Result<BackupSummary, BackupError> {
        let summary = write_backup_file(&self.store, &self.blobs, out, &self.now_text()).await?;
        self.audit_backup(None, &out.display().to_string(), &summary).await.map_err(|e| BackupError::Io(e.to_string()))?;
        Ok(summary)
    }

    /// The practice's scheduled backup settings, if set.
    pub async fn backup_schedule(&self, actor: &Actor) -> Result<Option<ScheduleRow>> {
        self.authorize(actor, Action::ManageBackups, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::get_schedule(&mut conn, &actor.practice_id).await?)
    }

    /// Saves the scheduled backup settings; every field at fault is named.
    pub async fn save_backup_schedule(&self, actor: &Actor, input: &BackupScheduleInput) -> Result<ScheduleRow> {
        self.authorize(actor, Action::ManageBackups, None).await?;
        let mut e = ValidationErrors::new();
        let folder = input.folder.trim();
        if folder.is_empty() {
            if input.enabled {
                e.add("folder", "give the folder on the server where the backups go, e.g. /var/backups/medoffice");
            }
        } else if folder.chars().count() > 500 {
            e.add("folder", "at most 500 characters");
        } else if !Path::new(folder).is_absolute() {
            e.add("folder", "give the whole path from the root, e.g. /var/backups/medoffice");
        } else if !Path::new(folder).is_dir() {
            e.add("folder", "no such folder on the server: create it first (writable by medoffice)");
        }
        let hour = input.hour.trim().parse::<i64>().ok().filter(|h| (0..=23).contains(h));
        if hour.is_none() {
            e.add("hour", "an hour from 0 to 23 (the practice's local time)");
        }
        let keep = input.keep_count.trim().parse::<i64>().ok().filter(|k| (1..=365).contains(k));
        if keep.is_none() {
            e.add("keep_count", "how many backups to keep: a number from 1 to 365");
        }
        let (Some(hour), Some(keep_count)) = (hour, keep) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let row = ScheduleRow {
            practice_id: actor.practice_id.clone(),
            enabled: i64::from(input.enabled),
            folder: folder.to_string(),
            hour,
            keep_count,
            last_run_date: None,
            last_run_at: None,
            last_result: None,
            last_file: None,
            updated_by: actor.user_id.clone(),
            updated_at: self.now_text(),
        };
        let mut tx = self.store.begin().await?;
        store::save_schedule(&mut tx, &row).await?;
        let detail = format!("enabled={} hour={hour} keep={keep_count} folder={folder}", row.enabled);
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "backup.schedule", patient_id: None, record_type: "backup_schedule", record_id: None, detail },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::get_schedule(&mut conn, &actor.practice_id).await?.unwrap_or(row))
    }

    /// Runs the scheduled backups that are due (for `medoffice serve`, every few minutes): a
    /// practice whose schedule is on and whose hour has come, once a day. The day is claimed in
    /// the database first, so a second server or a restart does not run it again.
    ///
    /// A backup holds the whole database, so a database of several practices is not backed up on
    /// one practice's schedule (its admin would get the other practices' data): the run is
    /// refused and says so; back such a database up with `medoffice backup` from cron.
    pub async fn run_scheduled_backups(&self) -> Result<Vec<ScheduledRun>> {
        let practices = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::practice::list(&mut conn).await?
        };
        let mut runs = Vec::new();
        for practice in &practices {
            let tz: chrono_tz::Tz = practice.timezone.parse().unwrap_or(chrono_tz::America::New_York);
            let now = self.now();
            let local = now.with_timezone(&tz);
            let schedule = {
                let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
                store::get_schedule(&mut conn, &practice.id).await?
            };
            let Some(schedule) = schedule.filter(|s| s.enabled == 1) else { continue };
            if i64::from(local.hour()) < schedule.hour {
                continue;
            }
            let today = local.date_naive().to_string();
            let claimed = {
                let mut tx = self.store.begin().await?;
                let claimed = store::claim_day(&mut tx, &practice.id, &today, &self.now_text()).await?;
                tx.commit().await.map_err(StoreError::from)?;
                claimed
            };
            if !claimed {
                continue;
            }
            let run = if practices.len() > 1 {
                ScheduledRun {
                    practice_id: practice.id.clone(),
                    file: None,
                    summary: None,
                    pruned: Vec::new(),
                    error: Some(
                        "not run: this database holds several practices and a backup holds all of them; back it up with `medoffice backup` from cron"
                            .into(),
                    ),
                }
            } else {
                self.scheduled_backup(&practice.id, &schedule, now).await
            };
            let result = match (&run.error, &run.summary) {
                (Some(e), _) => format!("failed: {e}"),
                (None, Some(s)) => {
                    format!("ok: {} rows, {} files, {} bytes; {} old backup(s) deleted", s.rows, s.files, s.bytes, run.pruned.len())
                }
                (None, None) => "ok".into(),
            };
            let file = run.file.as_ref().map(|f| f.display().to_string());
            let mut tx = self.store.begin().await?;
            store::record_run(&mut tx, &practice.id, &self.now_text(), &result, file.as_deref()).await?;
            tx.commit().await.map_err(StoreError::from)?;
            runs.push(run);
        }
        Ok(runs)
    }

    async fn scheduled_backup(&self, practice_id: &str, schedule: &ScheduleRow, now: DateTime<Utc>) -> ScheduledRun {
        let folder = PathBuf::from(&schedule.folder);
        let out = folder.join(backup_file_name(now));
        let mut run = ScheduledRun { practice_id: practice_id.to_string(), file: None, summary: None, pruned: Vec::new(), error: None };
        match write_backup_file(&self.store, &self.blobs, &out, &timestamp_of(now)).await {
            Ok(summary) => {
                if let Err(e) = self.audit_backup(Some(practice_id), &out.display().to_string(), &summary).await {
                    run.error = Some(format!("the backup was written but not audited: {e}"));
                }
                run.file = Some(out);
                run.summary = Some(summary);
                let keep = usize::try_from(schedule.keep_count).unwrap_or(1).max(1);
                match prune_backups(&folder, keep) {
                    Ok(pruned) => run.pruned = pruned,
                    Err(e) => run.error = Some(format!("the backup was written but old ones could not be deleted: {e}")),
                }
            }
            Err(e) => run.error = Some(e.to_string()),
        }
        run
    }

    /// Notes a backup in the audit trail of one practice, or of every practice (the command line's
    /// backup holds them all).
    async fn audit_backup(&self, only: Option<&str>, file: &str, summary: &BackupSummary) -> Result<()> {
        let practices = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::practice::list(&mut conn).await?
        };
        for practice in practices.iter().filter(|p| only.is_none_or(|id| id == p.id)) {
            let actor = crate::statements::command_line_actor(practice);
            let mut tx = self.store.begin().await?;
            let detail = format!("{file}: {} rows, {} files, {} bytes", summary.rows, summary.files, summary.bytes);
            self.audit(
                &mut tx,
                &actor,
                AuditNote { action: "backup.created", patient_id: None, record_type: "backup", record_id: None, detail },
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
        Ok(())
    }
}

fn timestamp_of(at: DateTime<Utc>) -> String {
    medoffice_store::timestamp(at)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;
    use std::io::Write;

    fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }

    #[test]
    fn backup_file_names_sort_by_time_and_only_they_are_pruned() {
        let name = backup_file_name(Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 5).unwrap());
        assert_eq!(name, "medoffice-backup-20261128T020005Z.mobackup");
        assert!(is_scheduled_backup_name(&name));
        assert!(!is_scheduled_backup_name("medoffice-backup-latest.mobackup"));
        assert!(!is_scheduled_backup_name("notes.txt"));

        let dir = tempfile::tempdir().unwrap();
        for day in 1..=5 {
            let at = Utc.with_ymd_and_hms(2026, 11, day, 2, 0, 0).unwrap();
            write_synced(&dir.path().join(backup_file_name(at)), b"x").unwrap();
        }
        write_synced(&dir.path().join("notes.txt"), b"keep me").unwrap();
        write_synced(&dir.path().join("medoffice-backup-manual.mobackup"), b"keep me").unwrap();
        let deleted = prune_backups(dir.path(), 2).unwrap();
        assert_eq!(deleted.len(), 3);
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(
            left,
            vec![
                "medoffice-backup-20261104T020000Z.mobackup",
                "medoffice-backup-20261105T020000Z.mobackup",
                "medoffice-backup-manual.mobackup",
                "notes.txt"
            ]
        );
        assert!(prune_backups(dir.path(), 2).unwrap().is_empty());
    }

    #[test]
    fn a_data_dir_with_only_key_files_counts_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        check_empty_data_dir(&dir.path().join("absent")).unwrap();
        write_synced(&dir.path().join("blobs.key"), b"k").unwrap();
        std::fs::create_dir(dir.path().join("blobs")).unwrap();
        check_empty_data_dir(dir.path()).unwrap();
        write_synced(&dir.path().join("medoffice.db"), b"").unwrap();
        let err = check_empty_data_dir(dir.path()).unwrap_err();
        assert!(matches!(err, BackupError::NotEmpty(ref m) if m.contains("medoffice.db")), "{err}");
    }
}
