//! braid-benches: the workloads of `shared/bench/README.md`, on Braid and on SQLite.
//!
//! Each workload is a function over a [`Workload`] description, with one implementation on
//! the Braid engine API ([`braid`]) and one on SQLite through rusqlite's prepared statements
//! ([`sqlite`]), so criterion measures both in the same run and the ratio is meaningful on a
//! noisy machine. Peer-only dependencies (rusqlite) stay in this crate.
//!
//! Table `t(id INTEGER PRIMARY KEY, name TEXT, score REAL, ts INTEGER)`, row `id` in 1..=N:
//! `name = "name-{id:08}"`, `score = 1000·u` (u uniform in [0,1) from splitmix64, seed
//! 42 + run), `ts = 1_700_000_000_000 + id·1000`.

pub mod braid;
pub mod sql;
pub mod sqlite;

/// splitmix64: the generator the peer scripts use.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [1, n].
    pub fn next_id(&mut self, n: u64) -> i64 {
        (self.next_u64() % n) as i64 + 1
    }
}

/// One row of table `t`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i64,
    pub name: String,
    pub score: f64,
    pub ts: i64,
}

/// The N rows of table `t` for run `run`.
pub fn rows(n: u64, run: u64) -> impl Iterator<Item = Row> {
    let mut rng = SplitMix64::new(42 + run);
    (1..=n as i64).map(move |id| Row {
        id,
        name: format!("name-{id:08}"),
        score: 1000.0 * rng.next_f64(),
        ts: 1_700_000_000_000 + id * 1000,
    })
}

/// N for the large workloads: `BRAID_BENCH_N` or 1,000,000.
pub fn n() -> u64 {
    std::env::var("BRAID_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
}
