//! Damaged bytes must surface as errors, never as panics.
//!
//! - [`redb_damaged_file`], [`sled_damaged_files`]: a database of a few thousand rows is
//!   written once; then, for many seeds, a copy of it has bytes flipped or a range
//!   overwritten, and is opened and read completely (table lookup, forward and reverse scans
//!   with every row decoded, point gets, an index scan). Any panic that escapes the engine
//!   fails the test; errors are fine. Each seed is classified as: read back identical,
//!   read back *different without an error* (silent corruption), error (by kind), panic, or
//!   hang, and the totals are printed.
//! - [`damaged_row_bytes_are_corruption`] and friends: damage planted through the engine's
//!   own key space (garbage under a row, row key or catalog key) gives `Error::Corruption`.
//!
//! Panics inside the damaged-file checks are recorded by a panic hook (which stays silent for
//! the checker threads) together with the stage that was running, so that a report names the
//! call that panicked.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use braid_engine::keys::Key;
use braid_engine::storage::Direction;
use braid_engine::{Backend, ColumnDef, DataType, Database, Error, Options, Synchronous, TableDef, Value};

const ROWS: i64 = 3000;
const SEEDS: u64 = 200;
/// `BRAID_CORRUPTION_SEED=<n>` runs only seed `n` and prints its panics (with a backtrace
/// under `RUST_BACKTRACE=1`): the reproduction of a reported seed.
const SEED_ENV: &str = "BRAID_CORRUPTION_SEED";
/// Prefix of the names of the threads that read damaged databases.
const CHECKER: &str = "corrupt-check";
/// libtest names each test's thread after the test.
const TEST_THREADS: [&str; 7] = [
    "redb_damaged_file",
    "sled_damaged_files",
    "damaged_row_bytes_are_corruption",
    "random_row_bytes_never_panic",
    "damaged_row_key_is_corruption",
    "damaged_catalog_is_corruption",
    "damaged_format_record_refuses_to_open",
];

fn options(backend: Backend) -> Options {
    Options { backend, synchronous: Synchronous::Full, cache_bytes: None }
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Row `id` as written. Total over every `i64`: damaged keys can carry any rowid.
fn expected_row(id: i64) -> Vec<Value> {
    let name = format!("row-{id:05}-{}", "x".repeat(id.rem_euclid(37) as usize));
    let data: Vec<u8> = (0..id.rem_euclid(50) as u8).map(|b| b.wrapping_mul(7).wrapping_add(id as u8)).collect();
    vec![Value::Integer(id), Value::Text(name), Value::Integer(id * 3 % 101), Value::Blob(data)]
}

fn table_def() -> TableDef {
    TableDef::new(
        "t",
        vec![
            ColumnDef::new("id", DataType::Integer),
            ColumnDef::new("name", DataType::Text).not_null(),
            ColumnDef::new("n", DataType::Integer),
            ColumnDef::new("data", DataType::Blob),
        ],
    )
    .primary_key(&["id"])
    .unwrap()
}

/// Writes the pristine database into `dir`, flushed and closed.
fn write_pristine(dir: &Path, backend: Backend) {
    let db = Database::open_with(dir, options(backend)).unwrap();
    let mut tx = db.begin().unwrap();
    tx.create_table(table_def()).unwrap();
    tx.create_index("t", "t_n", &["n"], false).unwrap();
    tx.commit().unwrap();
    for chunk in (1..=ROWS).collect::<Vec<_>>().chunks(500) {
        let mut tx = db.begin().unwrap();
        let t = tx.table("t").unwrap();
        for &id in chunk {
            tx.insert(&t, expected_row(id)).unwrap();
        }
        tx.commit().unwrap();
    }
    db.flush().unwrap();
}

// ---------------------------------------------------------------- panic bookkeeping

#[derive(Debug, Clone)]
struct PanicRecord {
    thread: String,
    message: String,
    location: String,
}

static PANICS: Mutex<Vec<PanicRecord>> = Mutex::new(Vec::new());

/// Records every panic; stays silent for checker threads, prints as usual for the others.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current().name().unwrap_or("<unnamed>").to_string();
            let message = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            let checker = thread.starts_with(CHECKER);
            PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(PanicRecord { thread, message, location });
            if !checker || std::env::var_os(SEED_ENV).is_some() {
                default(info);
            }
        }));
    });
}

fn panics_of_thread(name: &str) -> Vec<PanicRecord> {
    PANICS.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|p| p.thread == name).cloned().collect()
}

// ---------------------------------------------------------------- damage

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
    out.sort();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Damages the data files under `dir` by seed; returns a description.
fn damage(data_files: &[PathBuf], seed: u64) -> String {
    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for _ in 0..4 {
        xorshift(&mut rng);
    }
    // Pick a file, weighted by size.
    let sizes: Vec<u64> = data_files.iter().map(|f| std::fs::metadata(f).unwrap().len()).collect();
    let total: u64 = sizes.iter().sum::<u64>().max(1);
    let mut at = xorshift(&mut rng) % total;
    let mut which = 0;
    while which + 1 < sizes.len() && at >= sizes[which] {
        at -= sizes[which];
        which += 1;
    }
    let file = &data_files[which];
    let mut bytes = std::fs::read(file).unwrap();
    if bytes.is_empty() {
        return format!("{} is empty", file.display());
    }
    let len = bytes.len() as u64;
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let what = match seed % 5 {
        // A few single-byte flips anywhere.
        0 | 1 => {
            let n = 1 + xorshift(&mut rng) % 4;
            let mut offs = Vec::new();
            for _ in 0..n {
                let off = (xorshift(&mut rng) % len) as usize;
                bytes[off] ^= (1 + xorshift(&mut rng) % 255) as u8;
                offs.push(off);
            }
            format!("flip {name} @ {offs:?}")
        }
        // One flip in the first 4 KiB: headers, roots, superblocks.
        2 => {
            let off = (xorshift(&mut rng) % len.min(4096)) as usize;
            bytes[off] ^= (1 + xorshift(&mut rng) % 255) as u8;
            format!("flip header {name} @ {off}")
        }
        // A range overwritten with random bytes.
        3 => {
            let n = 16 + xorshift(&mut rng) % 497;
            let off = xorshift(&mut rng) % len;
            let end = (off + n).min(len);
            for b in &mut bytes[off as usize..end as usize] {
                *b = xorshift(&mut rng) as u8;
            }
            format!("random {name} @ {off}..{end}")
        }
        // A range zeroed, like a torn or lost page.
        _ => {
            let n = 512 + xorshift(&mut rng) % 3585;
            let off = xorshift(&mut rng) % len;
            let end = (off + n).min(len);
            bytes[off as usize..end as usize].fill(0);
            format!("zero {name} @ {off}..{end}")
        }
    };
    std::fs::write(file, bytes).unwrap();
    what
}

// ---------------------------------------------------------------- reading a damaged copy

/// What reading one damaged copy gave.
#[derive(Debug)]
enum Outcome {
    /// Everything read back exactly as written.
    Same,
    /// No error, but the data read back differs from what was written.
    Different(String),
    Failed(Error),
    /// A panic escaped the engine: the stage and the message.
    Panicked(&'static str, String),
    Hung(&'static str),
}

/// Reads everything; `stage` tells which call is running.
fn read_all(dir: &Path, backend: Backend, stage: &Mutex<&'static str>) -> Result<Option<String>, Error> {
    let set = |s| *stage.lock().unwrap() = s;
    set("Database::open_with");
    let db = Database::open_with(dir, options(backend))?;
    set("begin_read_only");
    let tx = db.begin_read_only()?;
    set("table(\"t\")");
    let t = tx.table("t")?;
    let mut diff = None;
    let mut note = |d: String| {
        diff.get_or_insert(d);
    };
    for direction in [Direction::Forward, Direction::Reverse] {
        set("scan_dir");
        let scan = tx.scan_dir(&t, .., direction)?;
        let mut seen = 0;
        let mut rows = scan.into_iter();
        loop {
            set("scan next");
            let Some(row) = rows.next() else { break };
            let row = row?;
            set("RowRef::values");
            let values = row.values()?;
            if values != expected_row(row.rowid) {
                note(format!("row {} reads {values:?}", row.rowid));
            }
            seen += 1;
        }
        if seen != ROWS {
            note(format!("{direction:?} scan saw {seen} rows"));
        }
    }
    set("get");
    for id in (1..=ROWS).step_by(97).chain([ROWS, 0, ROWS + 1]) {
        let got = tx.get(&t, id)?;
        let want = (1..=ROWS).contains(&id).then(|| expected_row(id));
        if got != want {
            note(format!("get({id}) = {got:?}"));
        }
    }
    set("index_scan");
    let mut entries = 0;
    let mut by_n: BTreeMap<i64, usize> = BTreeMap::new();
    for entry in tx.index_scan(&t, "t_n", Bound::Unbounded, Bound::Unbounded, Direction::Forward)? {
        set("index_scan next");
        let (values, _rowid) = entry?;
        if let [Value::Integer(n)] = values.as_slice() {
            *by_n.entry(*n).or_default() += 1;
        }
        entries += 1;
    }
    if entries != ROWS {
        note(format!("index has {entries} entries"));
    }
    set("drop");
    drop(tx);
    drop(db);
    Ok(diff)
}

/// Runs `read_all` on its own thread under `catch_unwind`, with a time limit.
fn check(dir: PathBuf, backend: Backend, thread_name: String) -> Outcome {
    let stage = Arc::new(Mutex::new("spawn"));
    let (tx, rx) = std::sync::mpsc::channel();
    let stage2 = stage.clone();
    std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_all(&dir, backend, &stage2)));
            let _ = tx.send(result);
        })
        .unwrap();
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(Ok(None))) => Outcome::Same,
        Ok(Ok(Ok(Some(diff)))) => Outcome::Different(diff),
        Ok(Ok(Err(err))) => Outcome::Failed(err),
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Outcome::Panicked(*stage.lock().unwrap_or_else(|e| e.into_inner()), msg)
        }
        Err(_) => Outcome::Hung(*stage.lock().unwrap_or_else(|e| e.into_inner())),
    }
}

fn damaged_files(backend: Backend) {
    install_hook();
    let started = Instant::now();
    let name = match backend {
        Backend::Redb => "redb",
        Backend::Sled => "sled",
        Backend::Memory => unreachable!(),
    };
    let pristine = tempfile::tempdir().unwrap();
    write_pristine(pristine.path(), backend);
    // The pristine copy reads back clean.
    let outcome = check(pristine.path().to_path_buf(), backend, format!("{CHECKER}-{name}-pristine"));
    assert!(matches!(outcome, Outcome::Same), "{name}: the undamaged copy read back as {outcome:?}");
    let work = tempfile::tempdir().unwrap();

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut silent = Vec::new();
    // Damage reported as something other than a corruption.
    let mut odd_errors = Vec::new();
    let mut guarded = 0;
    let seeds = match std::env::var(SEED_ENV) {
        Ok(seed) => {
            let seed: u64 = seed.parse().expect("BRAID_CORRUPTION_SEED is a number");
            seed..seed + 1
        }
        // `BRAID_CORRUPTION_SEEDS=<n>` sweeps `n` seeds instead of the default.
        Err(_) => 0..std::env::var("BRAID_CORRUPTION_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(SEEDS),
    };
    let n_seeds = seeds.end - seeds.start;
    for seed in seeds {
        let dir = work.path().join(format!("seed-{seed}"));
        copy_dir(pristine.path(), &dir);
        let mut files = Vec::new();
        match backend {
            Backend::Redb => files.push(dir.join("data.redb")),
            _ => files_under(&dir.join("sled"), &mut files),
        }
        let what = damage(&files, seed);
        let thread = format!("{CHECKER}-{name}-{seed}");
        let outcome = check(dir.clone(), backend, thread.clone());
        let hooked = panics_of_thread(&thread);
        let escaped = matches!(outcome, Outcome::Panicked(..)) as usize;
        // Panics the engine caught itself (redb's `guard`) and turned into errors.
        guarded += hooked.len().saturating_sub(escaped);
        let kind = match &outcome {
            Outcome::Same => "read back identical",
            Outcome::Different(d) => {
                silent.push(format!("seed {seed} ({what}): {d}"));
                "read back DIFFERENT without error"
            }
            Outcome::Failed(Error::Corruption(_)) => "error: Corruption",
            Outcome::Failed(e @ Error::Io(_)) => {
                odd_errors.push(format!("seed {seed} ({what}): {e:?}"));
                "error: Io"
            }
            Outcome::Failed(e) => {
                odd_errors.push(format!("seed {seed} ({what}): {e:?}"));
                "error: other"
            }
            Outcome::Panicked(stage, msg) => {
                let at = hooked.last().map(|p| p.location.clone()).unwrap_or_default();
                failures.push(format!("seed {seed} ({what}): PANIC in {stage}: {msg} at {at}"));
                "PANIC"
            }
            Outcome::Hung(stage) => {
                failures.push(format!("seed {seed} ({what}): HANG in {stage}"));
                "HANG"
            }
        };
        *counts.entry(kind).or_default() += 1;
        if !matches!(outcome, Outcome::Hung(_)) {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    // Panics on threads the engine or a backend started (sled's flusher, say) escape every
    // catch_unwind; the hook saw them all.
    let background: Vec<_> = PANICS
        .lock()
        .unwrap()
        .iter()
        .filter(|p| !p.thread.starts_with(CHECKER) && !TEST_THREADS.contains(&p.thread.as_str()))
        .map(|p| format!("background thread {}: {} at {}", p.thread, p.message, p.location))
        .collect();
    failures.extend(background);
    println!("corruption[{name}]: {n_seeds} seeds in {:.1?}", started.elapsed());
    for (kind, n) in &counts {
        println!("corruption[{name}]:   {n:4}  {kind}");
    }
    println!("corruption[{name}]:   {guarded:4}  panics caught inside the engine and reported as errors");
    for s in silent.iter().take(5) {
        println!("corruption[{name}]:   silent: {s}");
    }
    for s in odd_errors.iter().take(5) {
        println!("corruption[{name}]:   not reported as corruption: {s}");
    }
    assert!(failures.is_empty(), "{name}: {} seeds panicked or hung:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn redb_damaged_file() {
    damaged_files(Backend::Redb);
}

#[test]
fn sled_damaged_files() {
    damaged_files(Backend::Sled);
}

// ---------------------------------------------------------------- damage planted through the engine

/// A database of each backend, with table `t` holding rows 1..=10; the directory lives as
/// long as the returned guard.
fn small_db(backend: Backend) -> (Database, Option<tempfile::TempDir>) {
    let (db, dir) = match backend {
        Backend::Memory => (Database::open_in_memory().unwrap(), None),
        _ => {
            let dir = tempfile::tempdir().unwrap();
            (Database::open_with(dir.path(), options(backend)).unwrap(), Some(dir))
        }
    };
    let mut tx = db.begin().unwrap();
    let t = tx.create_table(table_def()).unwrap();
    for id in 1..=10 {
        tx.insert(&t, expected_row(id)).unwrap();
    }
    tx.commit().unwrap();
    (db, dir)
}

const BACKENDS: [Backend; 3] = [Backend::Memory, Backend::Redb, Backend::Sled];

/// Writes `bytes` under row `rowid` of `t` through the raw key space and commits.
fn plant(db: &Database, rowid: i64, bytes: Vec<u8>) -> TableDef {
    let mut tx = db.begin().unwrap();
    let t = tx.table("t").unwrap();
    tx.kv().set(Key::Row { table: t.id, rowid }.encode(), bytes).unwrap();
    tx.commit().unwrap();
    t
}

/// Reads row `rowid` by get and by scan; both must fail with a corruption, or (if
/// `must_fail` is false) may succeed. Returns whether it failed.
fn reads_as_corrupt(db: &Database, t: &TableDef, rowid: i64, must_fail: bool, what: &str) -> bool {
    let tx = db.begin_read_only().unwrap();
    let got = tx.get(t, rowid);
    let scanned = tx.scan(t, rowid..=rowid).unwrap().next().expect("the planted row is scanned").and_then(|r| {
        let values = r.values();
        // The in-place accessors must agree with `values`.
        assert_eq!(r.archived().is_ok(), values.is_ok(), "{what}: archived() and values() disagree");
        values
    });
    match (&got, &scanned) {
        (Err(a), Err(b)) => {
            assert!(a.is_corruption(), "{what}: get gave {a:?}, not a corruption");
            assert!(b.is_corruption(), "{what}: scan gave {b:?}, not a corruption");
            true
        }
        (Ok(Some(a)), Ok(b)) => {
            assert!(!must_fail, "{what}: read as {a:?} instead of failing");
            assert_eq!(a, b, "{what}: get and scan disagree");
            false
        }
        _ => panic!("{what}: get gave {got:?} but scan gave {scanned:?}"),
    }
}

#[test]
fn damaged_row_bytes_are_corruption() {
    for backend in BACKENDS {
        let (db, _dir) = small_db(backend);
        // The stored bytes of row 5, read through the raw key space.
        let valid = {
            let mut tx = db.begin().unwrap();
            let t = tx.table("t").unwrap();
            tx.kv().get(&Key::Row { table: t.id, rowid: 5 }.encode()).unwrap().unwrap().to_vec()
        };
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("unknown format byte", [&[2u8][..], &valid[1..]].concat()),
            ("format byte only", vec![1]),
            ("format byte and 0xff", [vec![1u8], vec![0xff; 32]].concat()),
            ("format byte and zeros", [vec![1u8], vec![0; 3]].concat()),
            ("valid row cut in half", valid[..valid.len() / 2].to_vec()),
            ("valid row without its last byte", valid[..valid.len() - 1].to_vec()),
        ];
        for (what, bytes) in cases {
            let what = format!("{backend:?}: {what}");
            let t = plant(&db, 5, bytes);
            reads_as_corrupt(&db, &t, 5, true, &what);
        }
        // The neighbours are untouched.
        let tx = db.begin_read_only().unwrap();
        let t = tx.table("t").unwrap();
        assert_eq!(tx.get(&t, 4).unwrap(), Some(expected_row(4)));
        assert_eq!(tx.get(&t, 6).unwrap(), Some(expected_row(6)));
    }
}

/// Random garbage and every single-byte flip of a valid row: never a panic; an error is
/// always a corruption.
#[test]
fn random_row_bytes_never_panic() {
    let (db, _dir) = small_db(Backend::Memory);
    let t = db.begin_read_only().unwrap().table("t").unwrap();
    let valid = braid_engine::encoding::row::encode(&expected_row(7)).unwrap();
    let mut rng = 0x1234_5678_9abc_def1u64;
    let (mut failed, mut read) = (0, 0);
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for _ in 0..500 {
        let len = (xorshift(&mut rng) % 80) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut rng) as u8).collect();
        if let Some(b) = bytes.first_mut() {
            *b = 1; // past the format byte, into rkyv's validator
        }
        cases.push(bytes);
    }
    for i in 1..valid.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bytes = valid.clone();
            bytes[i] ^= flip;
            cases.push(bytes);
        }
    }
    let total = cases.len();
    for (i, bytes) in cases.into_iter().enumerate() {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            plant(&db, 7, bytes.clone());
            reads_as_corrupt(&db, &t, 7, false, &format!("case {i}: {bytes:?}"))
        }));
        match result {
            Ok(true) => failed += 1,
            Ok(false) => read += 1,
            Err(_) => panic!("case {i} panicked; bytes {bytes:?}"),
        }
    }
    println!("row bytes: {total} damaged rows: {failed} corruption errors, {read} decoded (to some other row)");
}

#[test]
fn damaged_row_key_is_corruption() {
    for backend in BACKENDS {
        let (db, _dir) = small_db(backend);
        let mut tx = db.begin().unwrap();
        let t = tx.table("t").unwrap();
        // A key inside the table's row range with a trailing byte: not a row key.
        let mut key = Key::Row { table: t.id, rowid: 5 }.encode();
        key.push(0);
        let value = braid_engine::encoding::row::encode(&expected_row(5)).unwrap();
        // Through the API, a packed store refuses to write it at all: bad input, nothing lost.
        tx.kv().set(key.clone(), value.clone()).unwrap();
        match tx.commit() {
            Ok(_) => assert_eq!(backend, Backend::Sled, "only the unpacked store accepts it"),
            Err(e) => assert!(matches!(e, Error::InvalidInput(_)), "{backend:?}: {e}"),
        }
        // As damage on disk, it must read as corruption.
        let mut batch = braid_engine::storage::WriteBatch::new();
        batch.set(key, value);
        braid_engine::storage::Storage::apply(db.storage(), &batch, braid_engine::storage::Durability::Full).unwrap();
        let tx = db.begin_read_only().unwrap();
        let results: Vec<_> = tx.scan(&t, ..).unwrap().map(|r| r.map(|r| r.rowid)).collect();
        let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1, "{backend:?}: {results:?}");
        assert!(errors[0].is_corruption(), "{backend:?}: {:?}", errors[0]);
        // Point reads of real rows are unaffected.
        assert_eq!(tx.get(&t, 5).unwrap(), Some(expected_row(5)));
    }
}

#[test]
fn damaged_catalog_is_corruption() {
    for backend in BACKENDS {
        for bytes in [vec![], vec![0xff; 7], vec![0; 64], b"not an rkyv archive at all".to_vec()] {
            let (db, _dir) = small_db(backend);
            let mut tx = db.begin().unwrap();
            tx.kv().set(Key::Table("t").encode(), bytes.clone()).unwrap();
            tx.commit().unwrap();
            let tx = db.begin_read_only().unwrap();
            let got = tx.table("t");
            assert!(got.as_ref().is_err_and(Error::is_corruption), "{backend:?} {bytes:?}: table() gave {got:?}");
            let all = tx.tables();
            assert!(all.as_ref().is_err_and(Error::is_corruption), "{backend:?} {bytes:?}: tables() gave {all:?}");
        }
    }
}

#[test]
fn damaged_format_record_refuses_to_open() {
    for backend in [Backend::Redb, Backend::Sled] {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::open_with(dir.path(), options(backend)).unwrap();
            let mut tx = db.begin().unwrap();
            tx.kv().set(Key::Meta("format").encode(), vec![1, 2, 3]).unwrap();
            tx.commit().unwrap();
        }
        let reopened = Database::open_with(dir.path(), options(backend));
        assert!(
            reopened.as_ref().is_err_and(Error::is_corruption),
            "{backend:?}: opened with a damaged format record: {:?}",
            reopened.err()
        );
    }
}
