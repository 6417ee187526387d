//! Crash safety: a child process commits transactions as fast as it can and is killed with
//! SIGKILL at a random moment; the parent then reopens the database and checks that
//!
//! - every transaction whose `commit()` returned `Ok` (and was acknowledged on stdout) is
//!   fully present, and so is everything found present in earlier rounds;
//! - no transaction is partly visible: its three rows are all there or none is, its index
//!   entries match its rows, and the counters it bumped agree with the rows present;
//! - commits of one thread survive as a prefix: commit `n + 1` never survives without `n`.
//!
//! The child is this same test binary, re-executed with `BRAID_CRASH_CHILD=<dir>` and told
//! to run only [`child_process`] (which does nothing when that variable is absent). Four
//! threads commit concurrently so that group commit batches several transactions into one
//! storage write; every eighth transaction of a thread also bumps a shared "hot" counter, so
//! serialization failures and retries happen too.
//!
//! SIGKILL ends the process, not the machine: what is tested is that a crashed process
//! leaves a store that reopens to exactly the acknowledged prefix of commits. Power loss
//! (lost page cache) is not simulated.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::Bound;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use braid_engine::storage::Direction;
use braid_engine::{Backend, ColumnDef, DataType, Database, Options, Synchronous, TableDef, Value};

const ENV_DIR: &str = "BRAID_CRASH_CHILD";
const ENV_BACKEND: &str = "BRAID_CRASH_BACKEND";
const ENV_ROUND: &str = "BRAID_CRASH_ROUND";

/// Kill/reopen rounds per backend (`BRAID_CRASH_ROUNDS=<n>` overrides, for longer soaks).
const ROUNDS: u64 = 30;
/// Committing threads in the child.
const THREADS: i64 = 4;
/// Rows each transaction inserts.
const PARTS: i64 = 3;
/// Counter slot shared by all threads (threads own slots `0..THREADS`).
const HOT: i64 = 100;

fn options(backend: Backend) -> Options {
    Options { backend, synchronous: Synchronous::Full, cache_bytes: None }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Redb => "redb",
        Backend::Sled => "sled",
        Backend::Memory => "memory",
    }
}

/// A transaction's tag: which round, which thread, which of that thread's commits.
fn tag(round: u64, thread: i64, seq: i64) -> i64 {
    (((round + 1) as i64) << 40) | (thread << 32) | seq
}

fn untag(tag: i64) -> (i64, i64, i64) {
    (tag >> 40, (tag >> 32) & 0xff, tag & 0xffff_ffff)
}

/// The payload of one row, so that a torn or misplaced value is noticed.
fn payload(tag: i64, part: i64) -> String {
    let len = 20 + ((tag as u64).wrapping_mul(31).wrapping_add(part as u64 * 7) % 180) as usize;
    let mut s = format!("{tag}:{part}:");
    while s.len() < len {
        s.push((b'a' + ((s.len() as i64 + tag + part) % 26) as u8) as char);
    }
    s
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

// ---------------------------------------------------------------- the child

/// Runs only inside the re-executed child: commits forever until killed.
#[test]
fn child_process() {
    let Some(dir) = std::env::var_os(ENV_DIR) else { return };
    let backend: Backend = std::env::var(ENV_BACKEND).expect("backend").parse().expect("backend name");
    let round: u64 = std::env::var(ENV_ROUND).expect("round").parse().expect("round number");
    let db = match Database::open_with(&dir, options(backend)) {
        Ok(db) => db,
        Err(err) => {
            eprintln!("child: open failed: {err}");
            std::process::exit(3);
        }
    };
    setup(&db);
    say("READY");
    std::thread::scope(|s| {
        for thread in 0..THREADS {
            let db = &db;
            s.spawn(move || {
                for seq in 0.. {
                    let tag = tag(round, thread, seq);
                    commit_one(db, tag, thread, seq);
                    say(&format!("ACK {tag}"));
                }
            });
        }
    });
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("stdout");
    out.flush().expect("stdout");
}

/// Creates both tables and the index in one transaction, if missing.
fn setup(db: &Database) {
    loop {
        let mut tx = db.begin().expect("begin");
        if !tx.has_table("items").expect("has_table") {
            let items = TableDef::new(
                "items",
                vec![
                    ColumnDef::new("id", DataType::Integer),
                    ColumnDef::new("tag", DataType::Integer).not_null(),
                    ColumnDef::new("part", DataType::Integer).not_null(),
                    ColumnDef::new("payload", DataType::Text).not_null(),
                ],
            )
            .primary_key(&["id"])
            .expect("pk");
            tx.create_table(items).expect("create items");
            tx.create_index("items", "items_tag", &["tag"], false).expect("create index");
            let counters = TableDef::new(
                "counters",
                vec![ColumnDef::new("slot", DataType::Integer), ColumnDef::new("n", DataType::Integer).not_null()],
            )
            .primary_key(&["slot"])
            .expect("pk");
            tx.create_table(counters).expect("create counters");
        }
        match tx.commit() {
            Ok(_) => return,
            Err(e) if e.is_retryable() => continue,
            Err(e) => panic!("setup commit failed: {e}"),
        }
    }
}

/// Commits transaction `tag`, retrying serialization failures.
fn commit_one(db: &Database, tag: i64, thread: i64, seq: i64) {
    loop {
        let attempt = || -> braid_engine::Result<u64> {
            let mut tx = db.begin()?;
            let items = tx.table("items")?;
            let counters = tx.table("counters")?;
            for part in 0..PARTS {
                tx.insert(
                    &items,
                    vec![Value::Null, Value::Integer(tag), Value::Integer(part), payload(tag, part).into()],
                )?;
            }
            let mut slots = vec![thread];
            if seq % 8 == 0 {
                slots.push(HOT);
            }
            for slot in slots {
                let rowid = slot + 1;
                match tx.get(&counters, rowid)? {
                    Some(row) => {
                        let Value::Integer(n) = row[1] else { panic!("counter {slot} is {row:?}") };
                        tx.update(&counters, rowid, vec![Value::Integer(rowid), Value::Integer(n + 1)])?;
                    }
                    None => {
                        tx.insert(&counters, vec![Value::Integer(rowid), Value::Integer(1)])?;
                    }
                }
            }
            tx.commit()
        };
        match attempt() {
            Ok(_) => return,
            Err(e) if e.is_retryable() => continue,
            Err(e) => {
                eprintln!("child: commit of {tag} failed: {e}");
                std::process::exit(4);
            }
        }
    }
}

// ---------------------------------------------------------------- the parent

/// What one verification found.
struct Found {
    /// Tags of the transactions present.
    tags: BTreeSet<i64>,
}

/// Reopens the database and checks every invariant; returns what is present.
fn verify(dir: &Path, backend: Backend, acked: &[i64], before: &BTreeSet<i64>, round: u64) -> Found {
    let ctx = format!("{} round {round}", backend_name(backend));
    let db = Database::open_with(dir, options(backend)).unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
    let tx = db.begin_read_only().unwrap_or_else(|e| panic!("{ctx}: begin failed: {e}"));
    let has_items = tx.has_table("items").unwrap_or_else(|e| panic!("{ctx}: has_table: {e}"));
    let has_counters = tx.has_table("counters").unwrap_or_else(|e| panic!("{ctx}: has_table: {e}"));
    assert_eq!(has_items, has_counters, "{ctx}: the setup transaction is partly visible");
    if !has_items {
        assert!(acked.is_empty() && before.is_empty(), "{ctx}: tables missing but commits were acknowledged");
        return Found { tags: BTreeSet::new() };
    }
    let items = tx.table("items").unwrap();
    let counters = tx.table("counters").unwrap();
    assert!(items.index("items_tag").is_some(), "{ctx}: the index definition is missing");

    // Rows, grouped by transaction.
    let mut groups: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    let mut row_entries = BTreeSet::new();
    for row in tx.scan(&items, ..).unwrap_or_else(|e| panic!("{ctx}: scan: {e}")) {
        let row = row.unwrap_or_else(|e| panic!("{ctx}: scan item: {e}"));
        let values = row.values().unwrap_or_else(|e| panic!("{ctx}: row {} decode: {e}", row.rowid));
        let [Value::Integer(id), Value::Integer(tag), Value::Integer(part), Value::Text(text)] = values.as_slice()
        else {
            panic!("{ctx}: row {} has unexpected shape {values:?}", row.rowid)
        };
        assert_eq!(*id, row.rowid, "{ctx}: rowid alias mismatch");
        assert_eq!(*text, payload(*tag, *part), "{ctx}: row {id} payload damaged");
        groups.entry(*tag).or_default().push((*part, *id));
        row_entries.insert((*tag, *id));
    }
    for (tag, parts) in &groups {
        let mut p: Vec<i64> = parts.iter().map(|(p, _)| *p).collect();
        p.sort_unstable();
        assert_eq!(p, (0..PARTS).collect::<Vec<_>>(), "{ctx}: transaction {tag:#x} is partly visible: parts {p:?}");
    }

    // The index agrees with the rows exactly.
    let index_entries: BTreeSet<(i64, i64)> = tx
        .index_scan(&items, "items_tag", Bound::Unbounded, Bound::Unbounded, Direction::Forward)
        .unwrap_or_else(|e| panic!("{ctx}: index scan: {e}"))
        .map(|e| {
            let (values, rowid) = e.unwrap_or_else(|e| panic!("{ctx}: index entry: {e}"));
            let [Value::Integer(tag)] = values.as_slice() else { panic!("{ctx}: index values {values:?}") };
            (*tag, rowid)
        })
        .collect();
    assert_eq!(index_entries, row_entries, "{ctx}: index entries differ from rows");

    // Counters agree with the transactions present.
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    for row in tx.scan(&counters, ..).unwrap() {
        let values = row.unwrap().values().unwrap();
        let [Value::Integer(rowid), Value::Integer(n)] = values.as_slice() else { panic!("{ctx}: counter {values:?}") };
        counts.insert(rowid - 1, *n);
    }
    for thread in 0..THREADS {
        let present = groups.keys().filter(|t| untag(**t).1 == thread).count() as i64;
        assert_eq!(counts.get(&thread).copied().unwrap_or(0), present, "{ctx}: counter of thread {thread}");
    }
    let hot = groups.keys().filter(|t| untag(**t).2 % 8 == 0).count() as i64;
    assert_eq!(counts.get(&HOT).copied().unwrap_or(0), hot, "{ctx}: shared counter");

    // Each thread's commits of each round survive as a prefix 0..n.
    let mut seqs: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
    for t in groups.keys() {
        let (r, th, s) = untag(*t);
        seqs.entry((r, th)).or_default().push(s);
    }
    for ((r, th), s) in &seqs {
        assert!(
            s.iter().copied().eq(0..s.len() as i64),
            "{ctx}: round {} thread {th}: commits survive with a hole: {:?}",
            r - 1,
            first_hole(s)
        );
    }

    // Nothing acknowledged or seen before is lost.
    let tags: BTreeSet<i64> = groups.keys().copied().collect();
    let lost_acked: Vec<_> = acked.iter().filter(|t| !tags.contains(t)).map(|t| untag(*t)).collect();
    assert!(
        lost_acked.is_empty(),
        "{ctx}: {} acknowledged commits lost, e.g. {:?}",
        lost_acked.len(),
        &lost_acked[..lost_acked.len().min(5)]
    );
    let lost_before: Vec<_> = before.difference(&tags).map(|t| untag(*t)).collect();
    assert!(
        lost_before.is_empty(),
        "{ctx}: commits present in an earlier round vanished: {:?}",
        &lost_before[..lost_before.len().min(5)]
    );
    drop(tx);
    drop(db);
    Found { tags }
}

fn first_hole(s: &[i64]) -> Option<i64> {
    (0..s.len() as i64).find(|i| !s.contains(i))
}

/// What the child said on stdout.
enum Line {
    Ready,
    Ack,
}

fn crash_rounds(backend: Backend) {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let rounds = std::env::var("BRAID_CRASH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(ROUNDS);
    let mut before = BTreeSet::new();
    let (mut total_acked, mut killed_mid_stream, mut unacked_survivors) = (0usize, 0, 0usize);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ (backend_name(backend).len() as u64 * 0x1234_5678);
    for round in 0..rounds {
        seed = xorshift(seed ^ (round + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        // Every fourth round is killed early, counted from spawn (often during open or
        // recovery); the others at 20–300 ms after the child is ready.
        let early = round % 4 == 3;
        let delay = Duration::from_millis(if early { seed % 60 } else { 20 + seed % 281 });

        let mut child = Command::new(&exe)
            .args(["child_process", "--exact", "--nocapture", "--test-threads=1"])
            .env(ENV_DIR, dir.path())
            .env(ENV_BACKEND, backend_name(backend))
            .env(ENV_ROUND, round.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning the child");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                // A line cut short by the kill carries no acknowledgement.
                let Some(line) = line.strip_suffix('\n') else { break };
                // libtest prints "test child_process ... " without a newline before the
                // child's first line.
                if line.ends_with("READY") {
                    let _ = tx.send(Line::Ready);
                } else if let Some(t) = line.rfind("ACK ").map(|at| &line[at + 4..]) {
                    let t: i64 = t.parse().expect("ACK line");
                    acked.push(t);
                    let _ = tx.send(Line::Ack);
                }
            }
            acked
        });
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });

        if !early {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(Line::Ready) => {}
                other => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "{} round {round}: the child did not get ready ({}); stderr:\n{}",
                        backend_name(backend),
                        if other.is_err() { "timeout/eof" } else { "unexpected line" },
                        err_reader.join().unwrap()
                    );
                }
            }
        }
        std::thread::sleep(delay);
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{} round {round}: the child exited on its own with {status}; stderr:\n{}",
                backend_name(backend),
                err_reader.join().unwrap()
            );
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        let stderr = err_reader.join().unwrap();
        if !stderr.trim().is_empty() && stderr.contains("panicked") {
            panic!("{} round {round}: the child panicked:\n{stderr}", backend_name(backend));
        }
        drop(rx);

        let found = verify(dir.path(), backend, &acked, &before, round);
        total_acked += acked.len();
        if !acked.is_empty() {
            killed_mid_stream += 1;
        }
        let acked_set: BTreeSet<i64> = acked.iter().copied().collect();
        unacked_survivors += found.tags.difference(&before).filter(|t| !acked_set.contains(t)).count();
        before = found.tags;
    }
    println!(
        "crash[{}]: {rounds} rounds ({killed_mid_stream} killed after acknowledgements), {total_acked} acknowledged commits \
         checked, {} transactions present at the end ({unacked_survivors} committed but killed before the ACK), {:.1?}",
        backend_name(backend),
        before.len(),
        started.elapsed()
    );
    assert!(total_acked > 0, "no commit was ever acknowledged: the test tested nothing");
}

#[test]
fn crash_redb() {
    if std::env::var_os(ENV_DIR).is_some() {
        return;
    }
    crash_rounds(Backend::Redb);
}

#[test]
fn crash_sled() {
    if std::env::var_os(ENV_DIR).is_some() {
        return;
    }
    crash_rounds(Backend::Sled);
}
