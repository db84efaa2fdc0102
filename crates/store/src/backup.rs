//! Backups: a consistent logical snapshot of the whole database (every table of the schema, row by
//! row, as typed values) and every stored file, in one encrypted stream; and the restore of such a
//! stream into an empty database and blob folder.
//!
//! One code path serves both databases, and a backup of one restores into the other: rows are
//! read inside one read transaction (PostgreSQL `REPEATABLE READ`; on SQLite in WAL mode a read
//! transaction sees one snapshot while the server goes on writing) and written as NULL, integer,
//! real, text or bytes, so nothing depends on either database's dump format.
//!
//! The file is `MOBACKUP`, a format byte, the key's id (8 bytes) and a random 16-byte nonce prefix,
//! then chunks of at most 64 KiB of plaintext, each sealed with XChaCha20-Poly1305 under a key
//! derived from the practice's data key (the blob store's key file, which is *not* in the backup).
//! A chunk's nonce is the prefix and the chunk's number, and its associated data the header and a
//! last-chunk flag: a flipped byte, a removed, repeated or reordered chunk and a truncated file all
//! fail to open. Rows and files are written as they are read: a backup never holds the database
//! in memory.

use crate::{Backend, Store, StoreError};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::AnyTypeInfoKind;
use sqlx::{AnyConnection, AssertSqlSafe, Row, ValueRef};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The first bytes of every backup file.
pub const MAGIC: &[u8; 8] = b"MOBACKUP";
const FORMAT_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const PREFIX_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 1 + KEY_ID_LEN + PREFIX_LEN;
/// Plaintext bytes per sealed chunk.
const CHUNK_BYTES: usize = 64 * 1024;
const TAG_BYTES: usize = 16;
/// The longest text or byte value a row may carry (a limit on what a damaged file can make the
/// reader allocate; the tag check comes first anyway).
const MAX_VALUE_BYTES: u32 = 256 * 1024 * 1024;

/// What can go wrong making or restoring a backup.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("this file is not a medoffice backup")]
    NotABackup,
    #[error("the backup cannot be opened with this key (it was made with another practice data key)")]
    WrongKey,
    #[error("the backup is damaged or was altered: {0}")]
    Damaged(String),
    /// The backup's schema is not the one this version of medoffice has.
    #[error("{0}")]
    Incompatible(String),
    /// The data dir or the database to restore into already holds data.
    #[error("{0}")]
    NotEmpty(String),
    /// The practice data key is missing or unreadable.
    #[error("{0}")]
    Key(String),
    /// Reading or writing a file (the backup, a stored document).
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BackupError {
    /// Whether the operator gave something wrong (a file, a key, a place), rather than the
    /// machine failing: the command line exits 2 for these.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, BackupError::Store(_))
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Store(StoreError::from(e))
    }
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

/// The backup key, derived from the practice data key (so the data key itself never encrypts two
/// kinds of thing), and the key's public id, which lets a restore tell "wrong key" from "damaged".
#[derive(Clone)]
pub struct BackupKey {
    key: [u8; 32],
    id: [u8; KEY_ID_LEN],
}

impl BackupKey {
    /// Derives the backup key from the 32-byte practice data key.
    pub fn from_data_key(data_key: &[u8; 32]) -> BackupKey {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(label);
            h.update(data_key);
            h.finalize().into()
        };
        let key = derive(b"medoffice backup key v1\0");
        let id_full = derive(b"medoffice backup key id v1\0");
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&id_full[..KEY_ID_LEN]);
        BackupKey { key, id }
    }

    /// Reads the practice data key file (64 hex digits, as the blob store writes it).
    pub fn from_key_file(path: &Path) -> Result<BackupKey> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BackupError::Key(format!(
                "the practice data key file {} does not exist: backups are encrypted with it; give --key-file or copy the key there",
                path.display()
            )),
            _ => BackupError::Key(format!("cannot read the practice data key file {}: {e}", path.display())),
        })?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| BackupError::Key(format!("the key file {} is not a valid key (64 hex digits)", path.display())))?;
        Ok(BackupKey::from_data_key(&bytes))
    }
}

// ---------------------------------------------------------------------------------------------
// The sealed stream.

fn nonce(prefix: &[u8; PREFIX_LEN], counter: u64) -> XNonce {
    let mut n = [0u8; 24];
    n[..PREFIX_LEN].copy_from_slice(prefix);
    n[PREFIX_LEN..].copy_from_slice(&counter.to_be_bytes());
    XNonce::from(n)
}

fn chunk_aad(header: &[u8; HEADER_LEN], last: bool) -> [u8; HEADER_LEN + 1] {
    let mut aad = [0u8; HEADER_LEN + 1];
    aad[..HEADER_LEN].copy_from_slice(header);
    aad[HEADER_LEN] = u8::from(last);
    aad
}

/// Encrypts what is written to it in chunks; `finish` seals the last chunk.
struct SealedWriter<W: Write> {
    out: W,
    cipher: XChaCha20Poly1305,
    header: [u8; HEADER_LEN],
    prefix: [u8; PREFIX_LEN],
    counter: u64,
    buf: Vec<u8>,
    written: u64,
}

impl<W: Write> SealedWriter<W> {
    fn new(mut out: W, key: &BackupKey) -> std::io::Result<Self> {
        let mut prefix = [0u8; PREFIX_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut prefix[..]);
        let mut header = [0u8; HEADER_LEN];
        header[..MAGIC.len()].copy_from_slice(MAGIC);
        header[MAGIC.len()] = FORMAT_VERSION;
        header[MAGIC.len() + 1..MAGIC.len() + 1 + KEY_ID_LEN].copy_from_slice(&key.id);
        header[MAGIC.len() + 1 + KEY_ID_LEN..].copy_from_slice(&prefix);
        out.write_all(&header)?;
        Ok(SealedWriter {
            out,
            cipher: XChaCha20Poly1305::new(&key.key.into()),
            header,
            prefix,
            counter: 0,
            buf: Vec::with_capacity(CHUNK_BYTES),
            written: HEADER_LEN as u64,
        })
    }

    fn seal(&mut self, last: bool) -> std::io::Result<()> {
        let aad = chunk_aad(&self.header, last);
        let sealed = self
            .cipher
            .encrypt(&nonce(&self.prefix, self.counter), Payload { msg: &self.buf, aad: &aad })
            .map_err(|_| std::io::Error::other("cannot encrypt the backup"))?;
        let len = u32::try_from(sealed.len()).map_err(|_| std::io::Error::other("chunk too large"))?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&sealed)?;
        self.written += 4 + sealed.len() as u64;
        self.counter += 1;
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<(W, u64)> {
        self.seal(true)?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = CHUNK_BYTES - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK_BYTES {
            self.seal(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decrypts a sealed stream chunk by chunk.
struct SealedReader<R: Read> {
    input: R,
    cipher: XChaCha20Poly1305,
    header: [u8; HEADER_LEN],
    prefix: [u8; PREFIX_LEN],
    counter: u64,
    plain: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl<R: Read> SealedReader<R> {
    fn open(mut input: R, key: &BackupKey) -> Result<Self> {
        let mut header = [0u8; HEADER_LEN];
        match read_full(&mut input, &mut header) {
            Ok(true) => {}
            Ok(false) => return Err(BackupError::NotABackup),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(BackupError::NotABackup),
            Err(e) => return Err(BackupError::Io(format!("cannot read the backup: {e}"))),
        }
        if &header[..MAGIC.len()] != MAGIC {
            return Err(BackupError::NotABackup);
        }
        if header[MAGIC.len()] != FORMAT_VERSION {
            return Err(BackupError::Incompatible(format!(
                "this backup has format {}; this version of medoffice reads format {FORMAT_VERSION}",
                header[MAGIC.len()]
            )));
        }
        if header[MAGIC.len() + 1..MAGIC.len() + 1 + KEY_ID_LEN] != key.id {
            return Err(BackupError::WrongKey);
        }
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&header[MAGIC.len() + 1 + KEY_ID_LEN..]);
        Ok(SealedReader {
            input,
            cipher: XChaCha20Poly1305::new(&key.key.into()),
            header,
            prefix,
            counter: 0,
            plain: Vec::new(),
            pos: 0,
            ended: false,
        })
    }

    /// Loads the next chunk; false at the end of the stream.
    fn next_chunk(&mut self) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        let io = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => BackupError::Damaged("the file ends early (it was cut short)".into()),
            _ => BackupError::Io(format!("cannot read the backup: {e}")),
        };
        let mut len = [0u8; 4];
        if !read_full(&mut self.input, &mut len).map_err(io)? {
            return Err(BackupError::Damaged("the file ends early (it was cut short)".into()));
        }
        let len = u32::from_be_bytes(len) as usize;
        if !(TAG_BYTES..=CHUNK_BYTES + TAG_BYTES).contains(&len) {
            return Err(BackupError::Damaged(format!("part {} has an impossible length", self.counter + 1)));
        }
        let mut sealed = vec![0u8; len];
        if !read_full(&mut self.input, &mut sealed).map_err(io)? {
            return Err(BackupError::Damaged("the file ends early (it was cut short)".into()));
        }
        let nonce = nonce(&self.prefix, self.counter);
        let plain = match self.cipher.decrypt(&nonce, Payload { msg: &sealed, aad: &chunk_aad(&self.header, false) }) {
            Ok(p) => p,
            Err(_) => {
                let p = self
                    .cipher
                    .decrypt(&nonce, Payload { msg: &sealed, aad: &chunk_aad(&self.header, true) })
                    .map_err(|_| BackupError::Damaged(format!("part {} failed its integrity check", self.counter + 1)))?;
                self.ended = true;
                let mut extra = [0u8; 1];
                if read_full(&mut self.input, &mut extra).map_err(io)? {
                    return Err(BackupError::Damaged("there are bytes after the end of the backup".into()));
                }
                p
            }
        };
        self.counter += 1;
        self.plain = plain;
        self.pos = 0;
        Ok(true)
    }

    fn read_exact(&mut self, out: &mut [u8]) -> Result<()> {
        let mut filled = 0;
        while filled < out.len() {
            if self.pos == self.plain.len() {
                if !self.next_chunk()? {
                    return Err(BackupError::Damaged("the backup ends inside a record".into()));
                }
                continue;
            }
            let n = (out.len() - filled).min(self.plain.len() - self.pos);
            out[filled..filled + n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
        }
        Ok(())
    }

    /// Whether any plaintext is left (false only after the last chunk is consumed).
    fn at_end(&mut self) -> Result<bool> {
        while self.pos == self.plain.len() {
            if !self.next_chunk()? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Fills `buf`; false when the input ended before the first byte. An input ending in the middle
/// is an error.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file ends early (it was cut short)")),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Records inside the stream.

const REC_META: u8 = b'M';
const REC_TABLE: u8 = b'T';
const REC_ROW: u8 = b'R';
const REC_TABLE_END: u8 = b'E';
const REC_FILE: u8 = b'F';
const REC_END: u8 = b'Z';

const VAL_NULL: u8 = 0;
const VAL_INT: u8 = 1;
const VAL_REAL: u8 = 2;
const VAL_TEXT: u8 = 3;
const VAL_BYTES: u8 = 4;

/// One column value as stored.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

fn put_u32(w: &mut impl Write, n: u32) -> std::io::Result<()> {
    w.write_all(&n.to_be_bytes())
}

fn put_u64(w: &mut impl Write, n: u64) -> std::io::Result<()> {
    w.write_all(&n.to_be_bytes())
}

fn put_bytes(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(b.len()).ok().filter(|l| *l <= MAX_VALUE_BYTES).ok_or_else(|| std::io::Error::other("a value is too large"))?;
    put_u32(w, len)?;
    w.write_all(b)
}

fn put_value(w: &mut impl Write, v: &Value) -> std::io::Result<()> {
    match v {
        Value::Null => w.write_all(&[VAL_NULL]),
        Value::Int(i) => {
            w.write_all(&[VAL_INT])?;
            w.write_all(&i.to_be_bytes())
        }
        Value::Real(f) => {
            w.write_all(&[VAL_REAL])?;
            w.write_all(&f.to_bits().to_be_bytes())
        }
        Value::Text(s) => {
            w.write_all(&[VAL_TEXT])?;
            put_bytes(w, s.as_bytes())
        }
        Value::Bytes(b) => {
            w.write_all(&[VAL_BYTES])?;
            put_bytes(w, b)
        }
    }
}

impl<R: Read> SealedReader<R> {
    fn u8(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }
    fn u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_exact(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }
    fn u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read_exact(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }
    fn bytes(&mut self) -> Result<Vec<u8>> {
        let len = self.u32()?;
        if len > MAX_VALUE_BYTES {
            return Err(BackupError::Damaged("a value is longer than any medoffice writes".into()));
        }
        let mut b = vec![0u8; len as usize];
        self.read_exact(&mut b)?;
        Ok(b)
    }
    fn string(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| BackupError::Damaged("a text value is not UTF-8".into()))
    }
    fn value(&mut self) -> Result<Value> {
        Ok(match self.u8()? {
            VAL_NULL => Value::Null,
            VAL_INT => Value::Int(self.u64()? as i64),
            VAL_REAL => Value::Real(f64::from_bits(self.u64()?)),
            VAL_TEXT => Value::Text(self.string()?),
            VAL_BYTES => Value::Bytes(self.bytes()?),
            other => return Err(BackupError::Damaged(format!("unknown value kind {other}"))),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The schema, read from the database's catalog.

/// A table, its columns in order, and the tables its foreign keys point at.
#[derive(Debug, Clone)]
struct TableInfo {
    name: String,
    columns: Vec<String>,
}

/// A foreign key of a table onto itself (e.g. a journal entry's `reversal_of`): its columns and
/// the columns they point at.
#[derive(Debug, Clone)]
struct SelfReference {
    from: Vec<String>,
    to: Vec<String>,
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

async fn table_names(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%' ORDER BY table_name"
        }
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Columns with their declared type (lower case), in the table's order.
async fn columns(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<Vec<(String, String)>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, lower(type) FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    Ok(sqlx::query_as(sql).bind(table).fetch_all(&mut *conn).await?)
}

/// Every foreign key as (table, referenced table, constraint id, from column, to column).
async fn foreign_keys(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<(String, String, String, String, String)>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name, f.\"table\", CAST(f.id AS TEXT), f.\"from\", f.\"to\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, f.id, f.seq"
        }
        Backend::Postgres => {
            "SELECT cl.relname::text, rc.relname::text, c.conname::text, a.attname::text, ra.attname::text \
             FROM pg_constraint c \
             JOIN pg_class cl ON cl.oid = c.conrelid \
             JOIN pg_class rc ON rc.oid = c.confrelid \
             JOIN pg_namespace n ON n.oid = cl.relnamespace \
             CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
             WHERE c.contype = 'f' AND n.nspname = current_schema() \
             ORDER BY 1, 3, k.ord"
        }
    };
    Ok(sqlx::query_as(sql).fetch_all(&mut *conn).await?)
}

/// The tables in an order where every table comes after the tables it points at.
async fn tables_in_dependency_order(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<TableInfo>> {
    let names = table_names(conn, backend).await?;
    let mut deps: BTreeMap<String, BTreeSet<String>> = names.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
    for (table, parent, ..) in foreign_keys(conn, backend).await? {
        if table != parent
            && deps.contains_key(&parent)
            && let Some(d) = deps.get_mut(&table)
        {
            d.insert(parent);
        }
    }
    let mut ordered: Vec<String> = Vec::with_capacity(names.len());
    let mut done: BTreeSet<String> = BTreeSet::new();
    while ordered.len() < names.len() {
        let ready: Vec<String> = deps.iter().filter(|(n, d)| !done.contains(*n) && d.is_subset(&done)).map(|(n, _)| n.clone()).collect();
        if ready.is_empty() {
            // A cycle of foreign keys between tables: the schema has none; keep going in name order
            // rather than loop (the restore's foreign key checks would name the problem).
            ordered.extend(names.iter().filter(|n| !done.contains(*n)).cloned());
            break;
        }
        for n in ready {
            done.insert(n.clone());
            ordered.push(n);
        }
    }
    let mut out = Vec::with_capacity(ordered.len());
    for name in ordered {
        let cols = columns(conn, backend, &name).await?.into_iter().map(|c| c.0).collect();
        out.push(TableInfo { name, columns: cols });
    }
    Ok(out)
}

async fn self_references(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<Vec<SelfReference>> {
    let mut by_constraint: BTreeMap<String, SelfReference> = BTreeMap::new();
    for (t, parent, id, from, to) in foreign_keys(conn, backend).await? {
        if t == table && parent == table {
            let r = by_constraint.entry(id).or_insert_with(|| SelfReference { from: Vec::new(), to: Vec::new() });
            r.from.push(from);
            r.to.push(to);
        }
    }
    Ok(by_constraint.into_values().collect())
}

/// The newest migration applied to the database.
async fn schema_version(conn: &mut AnyConnection) -> Result<i64> {
    let (v,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE").fetch_one(&mut *conn).await?;
    Ok(v.unwrap_or(0))
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn read_value(row: &sqlx::any::AnyRow, i: usize) -> Result<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Value::Null,
        AnyTypeInfoKind::Bool => Value::Int(i64::from(row.try_get::<bool, _>(i)?)),
        AnyTypeInfoKind::SmallInt => Value::Int(i64::from(row.try_get::<i16, _>(i)?)),
        AnyTypeInfoKind::Integer => Value::Int(i64::from(row.try_get::<i32, _>(i)?)),
        AnyTypeInfoKind::BigInt => Value::Int(row.try_get::<i64, _>(i)?),
        AnyTypeInfoKind::Real => Value::Real(f64::from(row.try_get::<f32, _>(i)?)),
        AnyTypeInfoKind::Double => Value::Real(row.try_get::<f64, _>(i)?),
        AnyTypeInfoKind::Text => Value::Text(row.try_get::<String, _>(i)?),
        AnyTypeInfoKind::Blob => Value::Bytes(row.try_get::<Vec<u8>, _>(i)?),
    })
}

// ---------------------------------------------------------------------------------------------
// Writing a backup.

/// What a backup holds (also what a restore put back).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BackupSummary {
    /// The database it was made from: `sqlite` or `postgres`.
    pub source: String,
    pub schema_version: i64,
    pub created_at: String,
    pub tables: usize,
    pub rows: u64,
    /// Rows per table.
    pub table_rows: BTreeMap<String, u64>,
    pub files: u64,
    pub file_bytes: u64,
    /// The backup file's size.
    pub bytes: u64,
    /// Files the database named but that were gone when the backup read the folder (a document
    /// destroyed while the backup ran).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_files: Vec<String>,
}

/// Writes a backup of the whole database and of the files under `blob_root` to `out`, sealed
/// under `key`. Returns what it holds and the writer.
pub async fn write_backup<W: Write>(
    store: &Store,
    blob_root: &Path,
    key: &BackupKey,
    created_at: &str,
    out: W,
) -> Result<(BackupSummary, W)> {
    let io = |e: std::io::Error| BackupError::Io(format!("cannot write the backup: {e}"));
    let mut w = SealedWriter::new(out, key).map_err(io)?;
    let backend = store.backend();
    let mut summary = BackupSummary { source: backend_name(backend).into(), created_at: created_at.into(), ..Default::default() };

    // One read transaction: every table as of one moment, while the server goes on writing.
    let mut tx = match backend {
        Backend::Sqlite => store.pool().begin().await?,
        Backend::Postgres => store.pool().begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
    };
    summary.schema_version = schema_version(&mut tx).await?;
    let tables = tables_in_dependency_order(&mut tx, backend).await?;
    let meta = format!(
        "format=1\nmedoffice={}\nsource={}\nschema_version={}\ncreated_at={created_at}\ntables={}\n",
        env!("CARGO_PKG_VERSION"),
        summary.source,
        summary.schema_version,
        tables.len()
    );
    w.write_all(&[REC_META]).map_err(io)?;
    put_bytes(&mut w, meta.as_bytes()).map_err(io)?;
    for table in &tables {
        w.write_all(&[REC_TABLE]).map_err(io)?;
        put_bytes(&mut w, table.name.as_bytes()).map_err(io)?;
        put_u32(&mut w, table.columns.len() as u32).map_err(io)?;
        for c in &table.columns {
            put_bytes(&mut w, c.as_bytes()).map_err(io)?;
        }
        let sql = format!("SELECT {} FROM {}", table.columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "), quote(&table.name));
        let mut count = 0u64;
        {
            let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                w.write_all(&[REC_ROW]).map_err(io)?;
                for i in 0..table.columns.len() {
                    put_value(&mut w, &read_value(&row, i)?).map_err(io)?;
                }
                count += 1;
            }
        }
        w.write_all(&[REC_TABLE_END]).map_err(io)?;
        put_u64(&mut w, count).map_err(io)?;
        summary.rows += count;
        summary.table_rows.insert(table.name.clone(), count);
    }
    summary.tables = tables.len();
    // Stored files are written before the rows that name them commit and never change after, so
    // the files present now include every file the snapshot's rows name (except one deleted
    // since, which is reported); newer files are harmless orphans.
    let named = blob_keys_named(&mut tx).await?;
    tx.commit().await?;
    let files = blob_files(blob_root)?;
    let present: BTreeSet<&String> = files.iter().map(|(k, _)| k).collect();
    summary.missing_files = named.iter().filter(|k| !present.contains(k)).cloned().collect();
    for (key, path) in &files {
        let mut f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BackupError::Io(format!("cannot read the stored file {key}: {e}"))),
        };
        let len = f.metadata().map_err(|e| BackupError::Io(format!("cannot read the stored file {key}: {e}")))?.len();
        w.write_all(&[REC_FILE]).map_err(io)?;
        put_bytes(&mut w, key.as_bytes()).map_err(io)?;
        put_u64(&mut w, len).map_err(io)?;
        let copied = std::io::copy(&mut (&mut f).take(len), &mut w).map_err(io)?;
        if copied != len {
            return Err(BackupError::Io(format!("the stored file {key} changed while it was read")));
        }
        summary.files += 1;
        summary.file_bytes += len;
    }
    w.write_all(&[REC_END]).map_err(io)?;
    put_u64(&mut w, summary.rows).map_err(io)?;
    put_u64(&mut w, summary.files).map_err(io)?;
    let (out, bytes) = w.finish().map_err(io)?;
    summary.bytes = bytes;
    Ok((summary, out))
}

/// The storage keys of the blob rows (the files the database names).
async fn blob_keys_named(conn: &mut AnyConnection) -> Result<BTreeSet<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT storage_key FROM blob").fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Whether a name is one medoffice generates for a practice folder or a file (letters, digits,
/// hyphens).
fn safe_part(part: &str) -> bool {
    !part.is_empty() && part.len() <= 100 && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Every stored file as (`<practice>/<id>`, path), in key order; half-written `.partial` files and
/// anything medoffice did not name are left out.
fn blob_files(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let io = |e: std::io::Error| BackupError::Io(format!("cannot read the document folder {}: {e}", root.display()));
    let mut out = Vec::new();
    let practices = match std::fs::read_dir(root) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(e)),
    };
    for practice in practices {
        let practice = practice.map_err(io)?;
        let Some(p) = practice.file_name().to_str().map(str::to_string) else { continue };
        if !safe_part(&p) || !practice.file_type().map_err(io)?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(practice.path()).map_err(io)? {
            let file = file.map_err(io)?;
            let Some(f) = file.file_name().to_str().map(str::to_string) else { continue };
            if safe_part(&f) && file.file_type().map_err(io)?.is_file() {
                out.push((format!("{p}/{f}"), file.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Restoring.

/// Whether the database holds no row in any table (a freshly migrated one).
pub async fn first_nonempty_table(store: &Store) -> Result<Option<(String, i64)>> {
    let mut conn = store.pool().acquire().await?;
    for table in table_names(&mut conn, store.backend()).await? {
        let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", quote(&table)))).fetch_one(&mut *conn).await?;
        if n > 0 {
            return Ok(Some((table, n)));
        }
    }
    Ok(None)
}

/// The target's column kinds, so values are bound with the type PostgreSQL expects (a NULL bound
/// as text does not go into a BIGINT column there).
#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnKind {
    Int,
    Real,
    Text,
    Bytes,
    /// SQLite: values keep the type they were read with.
    Any,
}

fn column_kind(backend: Backend, declared: &str) -> ColumnKind {
    if backend == Backend::Sqlite {
        return ColumnKind::Any;
    }
    match declared {
        "bigint" | "integer" | "smallint" => ColumnKind::Int,
        "double precision" | "real" | "numeric" => ColumnKind::Real,
        "bytea" => ColumnKind::Bytes,
        _ => ColumnKind::Text,
    }
}

fn bind_value<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    v: Value,
    kind: ColumnKind,
    table: &str,
    column: &str,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>> {
    let mismatch = |what: &str| BackupError::Damaged(format!("{table}.{column} holds {what}, which does not fit the column"));
    Ok(match (kind, v) {
        (ColumnKind::Int, Value::Null) => q.bind(None::<i64>),
        (ColumnKind::Real, Value::Null) => q.bind(None::<f64>),
        (ColumnKind::Bytes, Value::Null) => q.bind(None::<Vec<u8>>),
        (ColumnKind::Text | ColumnKind::Any, Value::Null) => q.bind(None::<String>),
        (ColumnKind::Int | ColumnKind::Any, Value::Int(i)) => q.bind(i),
        (ColumnKind::Int, Value::Real(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => q.bind(f as i64),
        (ColumnKind::Int, Value::Text(s)) => q.bind(s.trim().parse::<i64>().map_err(|_| mismatch("text"))?),
        (ColumnKind::Real | ColumnKind::Any, Value::Real(f)) => q.bind(f),
        (ColumnKind::Real, Value::Int(i)) => q.bind(i as f64),
        (ColumnKind::Text | ColumnKind::Any, Value::Text(s)) => q.bind(s),
        (ColumnKind::Text, Value::Int(i)) => q.bind(i.to_string()),
        (ColumnKind::Text, Value::Real(f)) => q.bind(f.to_string()),
        (ColumnKind::Bytes | ColumnKind::Any, Value::Bytes(b)) => q.bind(b),
        (_, Value::Real(_)) => return Err(mismatch("a real number")),
        (_, Value::Bytes(_)) => return Err(mismatch("bytes")),
        (_, Value::Text(_)) => return Err(mismatch("text")),
        (_, Value::Int(_)) => return Err(mismatch("an integer")),
    })
}

/// A table being restored: its insert statement and what its rows need.
struct TableRestore {
    name: String,
    kinds: Vec<ColumnKind>,
    insert: String,
    /// For each self reference: the positions of its columns in the row, and the lookup of the
    /// row it points at.
    self_refs: Vec<(Vec<usize>, String)>,
}

async fn prepare_table(conn: &mut AnyConnection, backend: Backend, name: &str, backup_columns: &[String]) -> Result<TableRestore> {
    let target = columns(conn, backend, name).await?;
    if target.is_empty() {
        return Err(BackupError::Incompatible(format!("the backup has a table {name} that this database does not have")));
    }
    let mut kinds = Vec::with_capacity(backup_columns.len());
    for c in backup_columns {
        let declared = target
            .iter()
            .find(|(n, _)| n == c)
            .ok_or_else(|| BackupError::Incompatible(format!("the backup has a column {name}.{c} that this database does not have")))?;
        kinds.push(column_kind(backend, &declared.1));
    }
    let placeholders: Vec<String> = (1..=backup_columns.len()).map(|i| format!("${i}")).collect();
    let insert = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(name),
        backup_columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "),
        placeholders.join(", ")
    );
    let mut self_refs = Vec::new();
    for r in self_references(conn, backend, name).await? {
        let positions: Option<Vec<usize>> = r.from.iter().map(|f| backup_columns.iter().position(|c| c == f)).collect();
        let Some(positions) = positions else { continue };
        let lookup = format!(
            "SELECT COUNT(*) FROM {} WHERE {}",
            quote(name),
            r.to.iter().enumerate().map(|(i, t)| format!("{} = ${}", quote(t), i + 1)).collect::<Vec<_>>().join(" AND ")
        );
        self_refs.push((positions, lookup));
    }
    Ok(TableRestore { name: name.to_string(), kinds, insert, self_refs })
}

impl TableRestore {
    /// Whether every row this row points at in its own table is already restored.
    async fn parents_present(&self, conn: &mut AnyConnection, row: &[Value]) -> Result<bool> {
        for (positions, lookup) in &self.self_refs {
            if positions.iter().any(|&p| row[p] == Value::Null) {
                continue;
            }
            let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(lookup.clone()));
            for &p in positions {
                q = match row[p].clone() {
                    Value::Int(i) => q.bind(i),
                    Value::Real(f) => q.bind(f),
                    Value::Text(s) => q.bind(s),
                    Value::Bytes(b) => q.bind(b),
                    Value::Null => q.bind(None::<String>),
                };
            }
            let (n,) = q.fetch_one(&mut *conn).await?;
            if n == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn insert(&self, conn: &mut AnyConnection, columns: &[String], row: Vec<Value>) -> Result<()> {
        let mut q = sqlx::query(AssertSqlSafe(self.insert.clone()));
        for (i, v) in row.into_iter().enumerate() {
            q = bind_value(q, v, self.kinds[i], &self.name, &columns[i])?;
        }
        q.execute(&mut *conn)
            .await
            .map_err(|e| BackupError::Store(StoreError::Corrupt(format!("cannot restore a row of {}: {e}", self.name))))?;
        Ok(())
    }
}

/// Restores a backup into `store` (migrated, every table empty) and its files into `blob_root`
/// (absent or empty), all rows in one transaction. Each restored file is opened with the data
/// key (`blobs`) before the transaction commits, and the row counts are checked after.
pub async fn restore_backup<R: Read>(
    store: &Store,
    blobs: &crate::blobs::FileBlobStore,
    key: &BackupKey,
    input: R,
) -> Result<BackupSummary> {
    let mut r = SealedReader::open(input, key)?;
    let backend = store.backend();
    if r.u8()? != REC_META {
        return Err(BackupError::Damaged("the backup does not start with its description".into()));
    }
    let meta = String::from_utf8(r.bytes()?).map_err(|_| BackupError::Damaged("the description is not text".into()))?;
    let field = |name: &str| meta.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('='))).unwrap_or("").to_string();
    let mut summary = BackupSummary {
        source: field("source"),
        schema_version: field("schema_version").parse().unwrap_or(-1),
        created_at: field("created_at"),
        ..Default::default()
    };
    {
        let mut conn = store.pool().acquire().await?;
        let ours = schema_version(&mut conn).await?;
        if summary.schema_version != ours {
            return Err(BackupError::Incompatible(format!(
                "this backup has database schema version {} and this medoffice has {ours}: restore it with the medoffice version that made it, then upgrade",
                summary.schema_version
            )));
        }
    }
    if let Some((table, n)) = first_nonempty_table(store).await? {
        return Err(BackupError::NotEmpty(format!(
            "the database already holds data ({table} has {n} rows): restore into an empty database"
        )));
    }
    let root = blobs.root();
    if std::fs::read_dir(root).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return Err(BackupError::NotEmpty(format!("the document folder {} is not empty: restore into an empty data dir", root.display())));
    }

    let mut tx = store.begin().await?;
    loop {
        match r.u8()? {
            REC_TABLE => {
                let name = r.string()?;
                let n = r.u32()? as usize;
                if n > 10_000 {
                    return Err(BackupError::Damaged(format!("table {name} has an impossible number of columns")));
                }
                let mut cols = Vec::with_capacity(n);
                for _ in 0..n {
                    cols.push(r.string()?);
                }
                let t = prepare_table(&mut tx, backend, &name, &cols).await?;
                let mut count = 0u64;
                // Rows whose parent in the same table comes later in the backup wait here.
                let mut waiting: Vec<Vec<Value>> = Vec::new();
                loop {
                    match r.u8()? {
                        REC_ROW => {
                            let mut row = Vec::with_capacity(n);
                            for _ in 0..n {
                                row.push(r.value()?);
                            }
                            if t.self_refs.is_empty() || t.parents_present(&mut tx, &row).await? {
                                t.insert(&mut tx, &cols, row).await?;
                            } else {
                                waiting.push(row);
                            }
                            count += 1;
                        }
                        REC_TABLE_END => {
                            let expected = r.u64()?;
                            if expected != count {
                                return Err(BackupError::Damaged(format!("table {name}: {count} rows where the backup says {expected}")));
                            }
                            break;
                        }
                        other => return Err(BackupError::Damaged(format!("unexpected record {other} in table {name}"))),
                    }
                }
                while !waiting.is_empty() {
                    let before = waiting.len();
                    let mut still = Vec::new();
                    for row in waiting {
                        if t.parents_present(&mut tx, &row).await? {
                            t.insert(&mut tx, &cols, row).await?;
                        } else {
                            still.push(row);
                        }
                    }
                    if still.len() == before {
                        return Err(BackupError::Damaged(format!("{} rows of {name} point at rows the backup does not have", still.len())));
                    }
                    waiting = still;
                }
                summary.rows += count;
                summary.table_rows.insert(name, count);
                summary.tables += 1;
            }
            REC_FILE => {
                let key = r.string()?;
                let len = r.u64()?;
                restore_file(&mut r, root, &key, len)?;
                // The restored file must open with the data key: documents open after a restore.
                blobs.get(&key).await.map_err(|e| BackupError::Damaged(format!("the restored file {key} does not open: {e}")))?;
                summary.files += 1;
                summary.file_bytes += len;
            }
            REC_END => {
                let rows = r.u64()?;
                let files = r.u64()?;
                if rows != summary.rows || files != summary.files {
                    return Err(BackupError::Damaged("the totals at the end do not match the contents".into()));
                }
                if !r.at_end()? {
                    return Err(BackupError::Damaged("there are records after the end".into()));
                }
                break;
            }
            other => return Err(BackupError::Damaged(format!("unexpected record {other}"))),
        }
    }
    tx.commit().await?;
    // Check what the database now holds against the backup.
    let mut conn = store.pool().acquire().await?;
    for (table, expected) in &summary.table_rows {
        let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", quote(table)))).fetch_one(&mut *conn).await?;
        if n as u64 != *expected {
            return Err(BackupError::Store(StoreError::Corrupt(format!("after the restore {table} has {n} rows, the backup {expected}"))));
        }
    }
    Ok(summary)
}

/// Checks a whole backup against the key, part by part, without restoring anything.
pub fn verify_backup<R: Read>(input: R, key: &BackupKey) -> Result<()> {
    let mut r = SealedReader::open(input, key)?;
    while r.next_chunk()? {}
    Ok(())
}

fn restore_file<R: Read>(r: &mut SealedReader<R>, root: &Path, key: &str, len: u64) -> Result<()> {
    let path = match key.split_once('/') {
        Some((p, f)) if safe_part(p) && safe_part(f) => root.join(p).join(f),
        _ => return Err(BackupError::Damaged(format!("a stored file has an invalid name '{key}'"))),
    };
    let io = |e: std::io::Error| BackupError::Io(format!("cannot write the restored file {key}: {e}"));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    let mut left = len;
    let mut buf = vec![0u8; CHUNK_BYTES];
    while left > 0 {
        let n = (left.min(CHUNK_BYTES as u64)) as usize;
        r.read_exact(&mut buf[..n])?;
        f.write_all(&buf[..n]).map_err(io)?;
        left -= n as u64;
    }
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The scheduled daily backup (migration 0041).

/// A practice's backup schedule.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ScheduleRow {
    pub practice_id: String,
    pub enabled: i64,
    pub folder: String,
    pub hour: i64,
    pub keep_count: i64,
    pub last_run_date: Option<String>,
    pub last_run_at: Option<String>,
    pub last_result: Option<String>,
    pub last_file: Option<String>,
    pub updated_by: String,
    pub updated_at: String,
}

pub async fn get_schedule(conn: &mut AnyConnection, practice_id: &str) -> crate::Result<Option<ScheduleRow>> {
    Ok(sqlx::query_as("SELECT * FROM backup_schedule WHERE practice_id = $1").bind(practice_id).fetch_optional(conn).await?)
}

/// Saves the settings (the last run's columns are kept).
pub async fn save_schedule(conn: &mut AnyConnection, row: &ScheduleRow) -> crate::Result<()> {
    sqlx::query(
        "INSERT INTO backup_schedule (practice_id, enabled, folder, hour, keep_count, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (practice_id) DO UPDATE SET enabled = $2, folder = $3, hour = $4, \
         keep_count = $5, updated_by = $6, updated_at = $7",
    )
    .bind(&row.practice_id)
    .bind(row.enabled)
    .bind(&row.folder)
    .bind(row.hour)
    .bind(row.keep_count)
    .bind(&row.updated_by)
    .bind(&row.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims the day's backup for this server: true when no server ran it yet on `date`.
pub async fn claim_day(conn: &mut AnyConnection, practice_id: &str, date: &str, at: &str) -> crate::Result<bool> {
    let done = sqlx::query(
        "UPDATE backup_schedule SET last_run_date = $2, last_run_at = $3, last_result = 'running' \
         WHERE practice_id = $1 AND enabled = 1 AND (last_run_date IS NULL OR last_run_date <> $2)",
    )
    .bind(practice_id)
    .bind(date)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records how the day's run went.
pub async fn record_run(conn: &mut AnyConnection, practice_id: &str, at: &str, result: &str, file: Option<&str>) -> crate::Result<()> {
    sqlx::query("UPDATE backup_schedule SET last_run_at = $2, last_result = $3, last_file = $4 WHERE practice_id = $1")
        .bind(practice_id)
        .bind(at)
        .bind(result)
        .bind(file)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn key(byte: u8) -> BackupKey {
        BackupKey::from_data_key(&[byte; 32])
    }

    fn seal(data: &[u8], k: &BackupKey) -> Vec<u8> {
        let mut w = SealedWriter::new(Vec::new(), k).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap().0
    }

    fn open_all(file: &[u8], k: &BackupKey) -> Result<Vec<u8>> {
        let mut r = SealedReader::open(file, k)?;
        let mut out = Vec::new();
        while !r.at_end()? {
            out.push(r.u8()?);
        }
        Ok(out)
    }

    #[test]
    fn a_sealed_stream_round_trips_across_chunk_boundaries() {
        let data: Vec<u8> = (0..(CHUNK_BYTES * 2 + 17)).map(|i| (i % 251) as u8).collect();
        let file = seal(&data, &key(1));
        assert!(file.starts_with(MAGIC));
        assert_eq!(open_all(&file, &key(1)).unwrap(), data);
        assert_eq!(open_all(&seal(b"", &key(1)), &key(1)).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn a_wrong_key_a_flipped_byte_a_cut_or_reordered_file_and_a_foreign_file_are_told_apart() {
        let data: Vec<u8> = (0..(CHUNK_BYTES * 3)).map(|i| (i % 13) as u8).collect();
        let file = seal(&data, &key(1));
        assert!(matches!(open_all(&file, &key(2)), Err(BackupError::WrongKey)));
        assert!(matches!(open_all(b"PK\x03\x04 a zip file, not a backup at all..........", &key(1)), Err(BackupError::NotABackup)));
        assert!(matches!(open_all(b"", &key(1)), Err(BackupError::NotABackup)));

        let mut flipped = file.clone();
        let at = HEADER_LEN + 4 + CHUNK_BYTES + 100;
        flipped[at] ^= 0x20;
        assert!(matches!(open_all(&flipped, &key(1)), Err(BackupError::Damaged(ref m)) if m.contains("part 2")));

        // Cut after whole chunks: the last-chunk flag is missing.
        let one_chunk = HEADER_LEN + 4 + CHUNK_BYTES + TAG_BYTES;
        assert!(
            matches!(open_all(&file[..one_chunk * 2 - HEADER_LEN], &key(1)), Err(BackupError::Damaged(ref m)) if m.contains("cut short"))
        );
        // Cut inside a chunk.
        assert!(matches!(open_all(&file[..file.len() - 5], &key(1)), Err(BackupError::Damaged(_))));
        // Two chunks swapped.
        let c = 4 + CHUNK_BYTES + TAG_BYTES;
        let mut swapped = file[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&file[HEADER_LEN + c..HEADER_LEN + 2 * c]);
        swapped.extend_from_slice(&file[HEADER_LEN..HEADER_LEN + c]);
        swapped.extend_from_slice(&file[HEADER_LEN + 2 * c..]);
        assert!(matches!(open_all(&swapped, &key(1)), Err(BackupError::Damaged(_))));
        // Bytes appended after the end.
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(open_all(&longer, &key(1)), Err(BackupError::Damaged(ref m)) if m.contains("after the end")));
    }

    #[test]
    fn values_round_trip_through_the_record_encoding() {
        let values =
            [Value::Null, Value::Int(-42), Value::Int(i64::MAX), Value::Real(1.5), Value::Text("Zoë".into()), Value::Bytes(vec![0, 255])];
        let mut plain = Vec::new();
        for v in &values {
            put_value(&mut plain, v).unwrap();
        }
        let file = seal(&plain, &key(3));
        let mut r = SealedReader::open(file.as_slice(), &key(3)).unwrap();
        for v in &values {
            assert_eq!(&r.value().unwrap(), v);
        }
        assert!(r.at_end().unwrap());
    }

    #[test]
    fn only_names_medoffice_generates_are_taken_as_stored_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("p-1")).unwrap();
        std::fs::write(dir.path().join("p-1/abc-1"), b"x").unwrap();
        std::fs::write(dir.path().join("p-1/abc-2.partial"), b"x").unwrap();
        std::fs::write(dir.path().join("stray.txt"), b"x").unwrap();
        let files = blob_files(dir.path()).unwrap();
        assert_eq!(files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["p-1/abc-1"]);
        assert!(blob_files(&dir.path().join("none")).unwrap().is_empty());
    }
}
