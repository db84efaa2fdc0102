//! What the benchmarks share: their command-line flags, a fixed clock, a small deterministic
//! generator, timing helpers, and the PostgreSQL database a run uses. Each bench includes it with
//! `mod common;` and uses what it needs.
#![allow(dead_code)] // each bench uses a part of it

use chrono::{DateTime, Utc};
use medoffice_app::Clock;
use sqlx::Connection;
use std::time::Duration;

/// The clock of a benchmark's practice: a fixed moment, so runs are the same on every machine.
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The value after `--name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// A number after `--name`, or the default.
pub fn num(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Whether `--name` is on the command line.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The `p` quantile (0 to 1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// SplitMix64: a small deterministic generator, so the generated data is the same on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Cents between `low` and `high` dollars.
    pub fn dollars(&mut self, low: i64, high: i64) -> i64 {
        low * 100 + (self.next() % ((high - low) * 100 + 1) as u64) as i64
    }
}

/// The PostgreSQL database named in `url`, created when missing (trust auth, as in the tests).
pub async fn ensure_postgres_database(url: &str) {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((url, None));
    let slash = base.rfind('/').expect("a database name in the URL");
    let name = &base[slash + 1..];
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database name '{name}': letters, digits and _ only"
    );
    let admin = format!("{}/postgres{}", &base[..slash], query.map(|q| format!("?{q}")).unwrap_or_default());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the postgres database");
    let exists: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&mut conn).await.unwrap();
    if exists.is_none() {
        eprintln!("creating database {name}");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}
