//! The blob store: file bytes (card images now, documents later) kept outside the database, in
//! the data dir by default, under keys medoffice makes (never a name a user chose).

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct BlobRow {
    pub practice_id: String,
    pub id: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: String,
}

pub async fn insert(conn: &mut AnyConnection, b: &BlobRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO blob (practice_id, id, content_type, size_bytes, sha256, storage_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&b.practice_id)
    .bind(&b.id)
    .bind(&b.content_type)
    .bind(b.size_bytes)
    .bind(&b.sha256)
    .bind(&b.storage_key)
    .bind(&b.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<BlobRow> {
    sqlx::query_as("SELECT * FROM blob WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("file"))
}

/// Files on the local disk under one root. Keys are `<practice id>/<blob id>`, both ids that
/// medoffice generated; `path_of` refuses anything else, so no key can climb out of the root.
#[derive(Debug, Clone)]
pub struct FileBlobStore {
    root: PathBuf,
}

impl FileBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileBlobStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf> {
        let safe = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        match key.split_once('/') {
            Some((a, b)) if safe(a) && safe(b) => Ok(self.root.join(a).join(b)),
            _ => Err(StoreError::Corrupt(format!("invalid blob key '{key}'"))),
        }
    }

    /// Writes the bytes durably (temporary file, fsync, rename) before the database row that
    /// points at them commits; a crash in between leaves an orphan file, never a dangling row.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path_of(key)?;
        let io = |e: std::io::Error| StoreError::Corrupt(format!("cannot write file {key}: {e}"));
        if let Some(dir) = path.parent() {
            durable::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("partial");
        durable::write_synced(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let path = self.path_of(key)?;
        std::fs::read(&path).map_err(|e| StoreError::Corrupt(format!("cannot read file {key}: {e}")))
    }
}

/// Small synchronous file helpers; blob writes are small (images of a few MB) and rare.
mod durable {
    use std::io::Write;
    use std::path::Path;

    pub fn create_dir_all(dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    pub fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
}
