//! The blob store: file bytes (card images, scans, letters, documents) kept outside the database,
//! in the data dir by default, under keys medoffice makes (never a name a user chose), encrypted
//! at rest.

use crate::{Result, StoreError};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
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
///
/// Every file is encrypted at rest with XChaCha20-Poly1305 (authenticated encryption) under the
/// practice data key, which lives in a key file outside the database (by default `<root>.key`,
/// i.e. `blobs.key` next to the `blobs` folder; `with_key_file` puts it anywhere, e.g. on another
/// volume). A file is `MOB1` + a random 24-byte nonce + ciphertext and tag; the blob's key is the
/// associated data, so a file altered, damaged or moved under another name fails to open with
/// [`StoreError::Tampered`] rather than yielding wrong bytes.
#[derive(Debug, Clone)]
pub struct FileBlobStore {
    root: PathBuf,
    key_file: PathBuf,
    cipher: std::sync::Arc<std::sync::OnceLock<std::result::Result<XChaCha20Poly1305, String>>>,
}

/// The first bytes of every encrypted file (format version 1).
const MAGIC: &[u8; 4] = b"MOB1";
const NONCE_LEN: usize = 24;

impl FileBlobStore {
    /// A store under `root` with its key in `<root>.key`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root: PathBuf = root.into();
        let key_file = root.with_extension("key");
        Self::with_key_file(root, key_file)
    }

    /// A store under `root` with its key in `key_file`.
    pub fn with_key_file(root: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        FileBlobStore { root: root.into(), key_file: key_file.into(), cipher: Default::default() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// Loads the key (creating it, readable by the owner only, when there is neither a key nor
    /// any stored file yet). A missing key with files present is an error: a new key could not
    /// open them, so the operator must restore the key from the backup.
    pub fn ensure_key(&self) -> Result<()> {
        self.cipher().map(|_| ())
    }

    fn cipher(&self) -> Result<&XChaCha20Poly1305> {
        self.cipher
            .get_or_init(|| key_file::load_or_create(&self.key_file, &self.root).map(|k| XChaCha20Poly1305::new(&k.into())))
            .as_ref()
            .map_err(|e| StoreError::Corrupt(e.clone()))
    }

    fn path_of(&self, key: &str) -> Result<PathBuf> {
        let safe = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        match key.split_once('/') {
            Some((a, b)) if safe(a) && safe(b) => Ok(self.root.join(a).join(b)),
            _ => Err(StoreError::Corrupt(format!("invalid blob key '{key}'"))),
        }
    }

    /// Encrypts and writes the bytes durably (temporary file, fsync, rename) before the database
    /// row that points at them commits; a crash in between leaves an orphan file, never a
    /// dangling row.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path_of(key)?;
        let sealed = self.seal(key, bytes)?;
        let io = |e: std::io::Error| StoreError::Corrupt(format!("cannot write file {key}: {e}"));
        if let Some(dir) = path.parent() {
            durable::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("partial");
        durable::write_synced(&tmp, &sealed).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(())
    }

    /// Reads and decrypts a file; a file that fails authentication is [`StoreError::Tampered`].
    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let path = self.path_of(key)?;
        let sealed = std::fs::read(&path).map_err(|e| StoreError::Corrupt(format!("cannot read file {key}: {e}")))?;
        self.open(key, &sealed)
    }

    /// Removes a file (a destroyed document's bytes); a file already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Corrupt(format!("cannot remove file {key}: {e}"))),
        }
    }

    fn seal(&self, key: &str, bytes: &[u8]) -> Result<Vec<u8>> {
        let cipher = self.cipher()?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut nonce[..]);
        let ciphertext = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: bytes, aad: key.as_bytes() })
            .map_err(|_| StoreError::Corrupt(format!("cannot encrypt file {key}")))?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ciphertext.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    fn open(&self, key: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let cipher = self.cipher()?;
        let tampered = || StoreError::Tampered(key.to_string());
        let rest = sealed.strip_prefix(MAGIC.as_slice()).ok_or_else(tampered)?;
        if rest.len() < NONCE_LEN {
            return Err(tampered());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| tampered())?;
        cipher.decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: key.as_bytes() }).map_err(|_| tampered())
    }
}

/// The data key's file: 64 hex digits (32 bytes) and a newline.
mod key_file {
    use std::path::Path;

    pub fn load_or_create(path: &Path, root: &Path) -> Result<[u8; 32], String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                parse(text.trim()).ok_or_else(|| format!("the document key file {} is not a valid key (64 hex digits)", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if has_files(root) {
                    return Err(format!(
                        "the document key file {} is missing but {} holds encrypted files: restore the key from your backup",
                        path.display(),
                        root.display()
                    ));
                }
                let mut key = [0u8; 32];
                rand::Rng::fill(&mut rand::rng(), &mut key[..]);
                write_new(path, &key).map_err(|e| format!("cannot create the document key file {}: {e}", path.display()))?;
                Ok(key)
            }
            Err(e) => Err(format!("cannot read the document key file {}: {e}", path.display())),
        }
    }

    fn parse(hex_text: &str) -> Option<[u8; 32]> {
        hex::decode(hex_text).ok()?.try_into().ok()
    }

    fn has_files(root: &Path) -> bool {
        std::fs::read_dir(root).map(|mut d| d.next().is_some()).unwrap_or(false)
    }

    fn write_new(path: &Path, key: &[u8; 32]) -> std::io::Result<()> {
        use std::io::Write;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(path)?;
        writeln!(f, "{}", hex::encode(key))?;
        f.sync_all()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn store(dir: &tempfile::TempDir) -> FileBlobStore {
        FileBlobStore::new(dir.path().join("blobs"))
    }

    #[tokio::test]
    async fn a_file_round_trips_and_is_not_stored_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = store(&dir);
        let text = b"Referral for Jane Roe: chest pain workup".to_vec();
        blobs.put("p1/b1", &text).await.unwrap();
        assert_eq!(blobs.get("p1/b1").await.unwrap(), text);
        let on_disk = std::fs::read(dir.path().join("blobs/p1/b1")).unwrap();
        assert!(on_disk.starts_with(MAGIC));
        assert!(!on_disk.windows(8).any(|w| w == b"Jane Roe"), "plaintext found on disk");
        assert_eq!(on_disk.len(), text.len() + 4 + NONCE_LEN + 16);
        // The key lives outside the blob folder, readable by its owner only.
        let key = dir.path().join("blobs.key");
        assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A second store on the same folder (a restart) reads the file with the saved key.
        assert_eq!(store(&dir).get("p1/b1").await.unwrap(), text);
    }

    #[tokio::test]
    async fn a_flipped_byte_a_truncated_file_or_a_swapped_file_fails_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = store(&dir);
        blobs.put("p1/a", b"first document").await.unwrap();
        blobs.put("p1/b", b"second document").await.unwrap();
        let path = dir.path().join("blobs/p1/a");
        let good = std::fs::read(&path).unwrap();

        let mut flipped = good.clone();
        let last = flipped.len() - 20;
        flipped[last] ^= 0x01;
        std::fs::write(&path, &flipped).unwrap();
        let err = blobs.get("p1/a").await.unwrap_err();
        assert!(matches!(err, StoreError::Tampered(ref k) if k == "p1/a"), "{err:?}");
        assert!(err.to_string().contains("failed its integrity check"), "{err}");

        std::fs::write(&path, &good[..10]).unwrap();
        assert!(matches!(blobs.get("p1/a").await, Err(StoreError::Tampered(_))));

        // The other file's (valid) bytes under this name: the name is authenticated too.
        std::fs::copy(dir.path().join("blobs/p1/b"), &path).unwrap();
        assert!(matches!(blobs.get("p1/a").await, Err(StoreError::Tampered(_))));

        // A plaintext file dropped in place is refused, not served.
        std::fs::write(&path, b"first document").unwrap();
        assert!(matches!(blobs.get("p1/a").await, Err(StoreError::Tampered(_))));
    }

    #[tokio::test]
    async fn another_key_cannot_open_the_files_and_a_lost_key_is_not_silently_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = store(&dir);
        blobs.put("p1/a", b"secret").await.unwrap();
        let other = FileBlobStore::with_key_file(dir.path().join("blobs"), dir.path().join("other.key"));
        let err = other.get("p1/a").await.unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
        std::fs::write(dir.path().join("other.key"), format!("{}\n", "ab".repeat(32))).unwrap();
        let other = FileBlobStore::with_key_file(dir.path().join("blobs"), dir.path().join("other.key"));
        assert!(matches!(other.get("p1/a").await, Err(StoreError::Tampered(_))));
        std::fs::write(dir.path().join("bad.key"), "not a key").unwrap();
        let bad = FileBlobStore::with_key_file(dir.path().join("blobs"), dir.path().join("bad.key"));
        assert!(bad.put("p1/c", b"x").await.unwrap_err().to_string().contains("not a valid key"));
    }

    #[tokio::test]
    async fn keys_that_are_not_generated_ids_are_refused_and_delete_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = store(&dir);
        for key in ["../etc/passwd", "p1/../../x", "p1/a b", "p1", "/abs/path", "p1/"] {
            assert!(blobs.put(key, b"x").await.is_err(), "{key}");
        }
        blobs.put("p1/d", b"gone soon").await.unwrap();
        blobs.delete("p1/d").await.unwrap();
        assert!(blobs.get("p1/d").await.is_err());
        blobs.delete("p1/d").await.unwrap();
    }
}
