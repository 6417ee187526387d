//! The sqllogictest runner: SQLite's sqllogictest corpus and the project's own `.slt` files,
//! run against Braid, counted record by record.
//!
//! ```text
//! cargo test --release -p braid --test sqllogictest                   # the whole corpus + query/tests/slt
//! cargo test --release -p braid --test sqllogictest -- PATH...        # .test/.slt files or folders
//! ```
//!
//! Cargo runs test binaries in the package folder, so relative paths start at `query/`
//! (`tests/slt`, `../../shared/sqllogictest/select1.test`).
//!
//! # What it does
//!
//! Each file runs on a fresh database, once per backend, and prints one line per file and
//! backend (`PASS [memory] path: passed/total records, time`). Every `statement`/`query` record
//! that runs under the engine label (`postgresql`; `sqlite` when the harness runs on SQLite) counts as passed or failed; records that
//! `skipif`/`onlyif` exclude are not counted. The closing line, `N passed, N failed`, totals
//! the records of every file over every backend run (per-backend totals are printed above it).
//!
//! Exit code: with explicit paths, non-zero if any record failed. On the default whole-corpus
//! run failures alone do not fail the run (SQLite itself fails one corpus record, and the corpus
//! is a target to climb towards); the gate is the ratchet: with `BRAID_SLT_RATCHET=1` (set by `.ci/run`) the number of corpus records
//! that passed on the memory backend must be at least the number in
//! `query/tests/sqllogictest.passcount` (raise that file by hand when it grows).
//!
//! # Environment
//!
//! - `BRAID_SLT_CORPUS`: the corpus folder (default: `shared/sqllogictest` in the nearest ancestor
//!   of the crate that has one, as `../shared` beside the repository; see `find_corpus`).
//! - `BRAID_SLT_BACKENDS`: the backends every file runs on, `memory,sled` by default. Both run
//!   the whole corpus: measured on 2 cores (release build), about 17 s on memory and 24 s on
//!   sled on an idle machine, 71 s for both while builds competed for the cores; small beside
//!   CI's 30-minute budget, so no backend gets a subset.
//! - `BRAID_SLT_ENGINE=sqlite`: run the records on SQLite (rusqlite, in memory) instead of Braid.
//!   This validates the harness itself: SQLite must fail exactly one record of the corpus (an
//!   overflowing `sum(x)` in evidence/slt_lang_aggfunc.test whose expected result is empty
//!   because SQLite's own harness swallows the error).
//! - `BRAID_SLT_VERBOSE=1`: print each failing record (SQL, expected, actual; truncated), at most
//!   `BRAID_SLT_MAX_FAILURES_SHOWN` of them (default 50).
//! - `BRAID_SLT_THREADS`: files run in parallel on this many threads (default: the core count);
//!   output stays in file order.
//! - `BRAID_SLT_TIMEOUT_SECS`: a record still running after this long (default 300) is abandoned:
//!   its thread is left behind, the rest of its file counts as failed, and the run goes on.
//!
//! # Design
//!
//! Records are parsed and run one by one with the `sqllogictest` crate's parser and `Runner`
//! (not `run_file`, which stops at the first failure), after fixing what the crate's defaults get
//! wrong for this corpus (see `/work/shared/sqllogictest/HARNESS-NOTES.md`):
//!
//! - the script is rewritten before parsing: trailing `# comments` are dropped from
//!   `skipif`/`onlyif` lines (the parser rejects them), and a guarded `halt` that does not apply
//!   to `sqlite` is blanked out (the crate obeys every `halt`, and would also carry its condition
//!   over to the next record); a `halt` that applies ends the file;
//! - the hash threshold starts at 8, the engine label is `postgresql` (Braid speaks PostgreSQL's
//!   dialect; `sqlite` under `BRAID_SLT_ENGINE=sqlite`);
//! - results are compared value by value (the corpus lists one value per line), after the
//!   crate's whitespace normalisation;
//! - values are rendered by the query's type letters, which the crate never hands to the
//!   database: the runner puts them in a [`TypeHint`] shared with the connection before each
//!   record. Rendering follows SQLite's C harness (`sqlite3_column_int64`, `%.3f`, text with
//!   `(empty)` and `@`); see [`render`].
//!
//! `harness = false` means `#[test]` functions would never run, so the rendering rules are
//! checked at startup instead ([`check_rendering`]): a table of cases, each compared with what
//! SQLite itself prints (through rusqlite) and with [`render`]. It takes microseconds, and a
//! runner whose rendering drifted from SQLite's would make every count meaningless.
//!
//! Each file runs on its own thread under `catch_unwind`: a panic in the engine counts the rest
//! of that file as failed (the line says so) and the run continues.

use std::collections::BTreeMap;
use std::fmt;
use std::future::{Ready, ready};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use braid::Value;
use sqllogictest::{ColumnType, Condition, DBOutput, Normalizer, QueryExpect, Record, Runner, TestError};

/// The label `skipif`/`onlyif` are evaluated against: `postgresql` for Braid, whose one SQL
/// dialect is PostgreSQL's, and `sqlite` when the harness is validated on SQLite itself. Set
/// once in `main`, before any file is read.
static ENGINE_LABEL: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

fn engine_label() -> &'static str {
    ENGINE_LABEL.get().copied().unwrap_or("postgresql")
}
/// The corpus's hash threshold when a file sets none.
const HASH_THRESHOLD: usize = 8;
/// Threads' stack: deeply nested expressions in random/expr recurse deeply in the engine.
const STACK_BYTES: usize = 64 << 20;
/// The most characters of one failure that verbose output prints.
const MAX_FAILURE_CHARS: usize = 3000;

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => return usage_error(&message),
    };
    let label = if config.backends == [Backend::Sqlite] { "sqlite" } else { "postgresql" };
    ENGINE_LABEL.set(label).expect("set once");
    if let Err(message) = check_rendering() {
        eprintln!("sqllogictest: the rendering self-check failed:\n{message}");
        return ExitCode::FAILURE;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let selection = match Selection::from_args(&args, &config) {
        Ok(selection) => selection,
        Err(message) => return usage_error(&message),
    };
    if selection.files.is_empty() {
        println!("sqllogictest: no test file or folder among the arguments {args:?}; nothing to run");
        return ExitCode::SUCCESS;
    }
    let started = Instant::now();
    let jobs = plan_jobs(&selection, &config);
    let reports = run_jobs(&jobs, &config);
    println!("{} file runs in {:.1}s", jobs.len(), started.elapsed().as_secs_f64());
    summarize(&jobs, &reports, &selection, &config)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("sqllogictest: {message}");
    ExitCode::from(2)
}

// ---------------------------------------------------------------------------------------------
// Configuration and file selection
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Backend {
    Memory,
    Redb,
    Sled,
    /// SQLite through rusqlite (`BRAID_SLT_ENGINE=sqlite`): validates the harness.
    Sqlite,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Redb => "redb",
            Backend::Sled => "sled",
            Backend::Sqlite => "sqlite",
        }
    }
}

struct Config {
    corpus: PathBuf,
    /// `BRAID_SLT_BACKENDS` (default memory, redb and sled), or SQLite under `BRAID_SLT_ENGINE=sqlite`.
    backends: Vec<Backend>,
    ratchet: bool,
    /// How many failing records to print (0 unless `BRAID_SLT_VERBOSE`).
    failures_shown: usize,
    threads: usize,
    record_timeout: Duration,
}

/// The corpus folder: `shared/sqllogictest` beside the repository (the layout the project
/// is developed in), found from any ancestor of the crate so that a clone placed one level
/// deeper still finds it; `/work/shared/sqllogictest` last.
fn find_corpus(manifest_dir: &Path) -> PathBuf {
    manifest_dir
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/sqllogictest"))
        .chain(std::iter::once(PathBuf::from("/work/shared/sqllogictest")))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| manifest_dir.join("../../shared/sqllogictest"))
}

impl Config {
    fn from_env() -> Result<Config, String> {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = env("BRAID_SLT_CORPUS").map_or_else(|| find_corpus(manifest_dir), PathBuf::from);
        let engine = env("BRAID_SLT_ENGINE").unwrap_or_else(|| "braid".to_string());
        let backends = match (engine.as_str(), env("BRAID_SLT_BACKENDS")) {
            ("sqlite", _) => vec![Backend::Sqlite],
            ("braid", None) => vec![Backend::Memory, Backend::Redb, Backend::Sled],
            ("braid", Some(list)) => list.split(',').map(parse_backend).collect::<Result<_, _>>()?,
            (other, _) => return Err(format!("BRAID_SLT_ENGINE={other}: expected braid or sqlite")),
        };
        let verbose = env("BRAID_SLT_VERBOSE").is_some_and(|v| v != "0");
        let default_threads = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Config {
            corpus,
            backends,
            ratchet: env("BRAID_SLT_RATCHET").is_some_and(|v| v != "0"),
            failures_shown: if verbose { env_number("BRAID_SLT_MAX_FAILURES_SHOWN", 50)? } else { 0 },
            threads: env_number("BRAID_SLT_THREADS", default_threads)?.max(1),
            record_timeout: Duration::from_secs(env_number("BRAID_SLT_TIMEOUT_SECS", 300)? as u64),
        })
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn env_number(name: &str, default: usize) -> Result<usize, String> {
    env(name).map_or(Ok(default), |value| value.parse().map_err(|_| format!("{name}={value}: expected a number")))
}

fn parse_backend(name: &str) -> Result<Backend, String> {
    match name.trim() {
        "memory" => Ok(Backend::Memory),
        "redb" => Ok(Backend::Redb),
        "sled" => Ok(Backend::Sled),
        other => Err(format!("BRAID_SLT_BACKENDS: unknown backend {other:?} (expected memory, redb, sled)")),
    }
}

struct TestFile {
    path: PathBuf,
    /// Part of the corpus (counted by the ratchet), as opposed to the project's own files.
    corpus: bool,
}

struct Selection {
    files: Vec<TestFile>,
    /// Paths were given on the command line (no ratchet; any failure fails the run).
    explicit: bool,
}

impl Selection {
    /// Arguments that name a file or folder select those; flags and other words (cargo test
    /// passes its flags and name filters to every test binary) are ignored, so a filter aimed
    /// at other tests runs nothing here; a missing path is an error. With no arguments: the
    /// corpus and `query/tests/slt`.
    fn from_args(args: &[String], config: &Config) -> Result<Selection, String> {
        if args.is_empty() {
            let corpus = config
                .corpus
                .canonicalize()
                .map_err(|e| format!("corpus {}: {e} (set BRAID_SLT_CORPUS to its folder)", config.corpus.display()))?;
            let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
            let mut files = test_files(&corpus, true)?;
            files.extend(test_files(&own, false)?);
            return Ok(Selection { files, explicit: false });
        }
        let corpus = config.corpus.canonicalize().ok();
        let mut files = Vec::new();
        for arg in args.iter().filter(|arg| !arg.starts_with('-')) {
            let path = Path::new(arg);
            if path.exists() {
                let in_corpus =
                    corpus.as_ref().is_some_and(|corpus| path.canonicalize().is_ok_and(|p| p.starts_with(corpus)));
                files.extend(test_files(path, in_corpus)?);
            } else if arg.contains('/') || arg.ends_with(".test") || arg.ends_with(".slt") {
                return Err(format!("{arg}: no such file or folder"));
            }
        }
        Ok(Selection { files, explicit: true })
    }
}

/// The `.test` and `.slt` files at `path` (a file, or a folder searched recursively), sorted.
fn test_files(path: &Path, corpus: bool) -> Result<Vec<TestFile>, String> {
    let mut paths = Vec::new();
    collect_paths(path, &mut paths).map_err(|e| format!("{}: {e}", path.display()))?;
    paths.sort();
    Ok(paths.into_iter().map(|path| TestFile { path, corpus }).collect())
}

fn collect_paths(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_paths(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "test" || ext == "slt") {
            out.push(path);
        }
    }
    Ok(())
}

struct Job<'a> {
    file: &'a TestFile,
    backend: Backend,
}

/// Every file on every backend, file by file.
fn plan_jobs<'a>(selection: &'a Selection, config: &Config) -> Vec<Job<'a>> {
    let files = selection.files.iter();
    files.flat_map(|file| config.backends.iter().map(move |&backend| Job { file, backend })).collect()
}

// ---------------------------------------------------------------------------------------------
// Running jobs on threads, reporting in order
// ---------------------------------------------------------------------------------------------

/// The outcome of one file on one backend.
struct Report {
    passed: usize,
    failed: usize,
    elapsed: Duration,
    /// Why the file stopped early (panic, timeout, unparsable, database not opened).
    note: Option<String>,
    /// The first failing records, rendered (only kept for verbose output).
    failures: Vec<String>,
}

/// What a running job shares with the main thread, which watches for records that hang.
#[derive(Default)]
struct Progress(Mutex<ProgressState>);

#[derive(Default)]
struct ProgressState {
    /// Line of the record running, and since when.
    line: u32,
    since: Option<Instant>,
    /// Records counted in the file (before any `halt`), and how many have passed or failed.
    total: usize,
    passed: usize,
    failed: usize,
    /// Failing records kept for verbose output, and how many to keep.
    failures: Vec<String>,
    keep_failures: usize,
}

impl Progress {
    fn lock(&self) -> MutexGuard<'_, ProgressState> {
        // A panic while holding the lock cannot leave the counters inconsistent.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn begin_record(&self, line: u32) {
        let mut state = self.lock();
        state.line = line;
        state.since = Some(Instant::now());
    }

    fn end_record(&self, result: Result<(), TestError>) {
        let mut state = self.lock();
        state.since = None;
        match result {
            Ok(()) => state.passed += 1,
            Err(error) => {
                state.failed += 1;
                if state.failures.len() < state.keep_failures {
                    state.failures.push(truncate(&error.display(false).to_string(), MAX_FAILURE_CHARS));
                }
            }
        }
    }

    /// How long the current record has been running, if one is.
    fn running_for(&self) -> Option<Duration> {
        self.lock().since.map(|since| since.elapsed())
    }

    /// The report of a file stopped early: every record not yet passed counts as failed.
    fn stopped_report(&self, started: Instant, why: String) -> Report {
        let mut state = self.lock();
        Report {
            passed: state.passed,
            failed: state.total.saturating_sub(state.passed).max(1),
            elapsed: started.elapsed(),
            note: Some(why),
            failures: std::mem::take(&mut state.failures),
        }
    }
}

/// Runs the jobs on `config.threads` threads and prints each report in job order as soon as
/// it and all the earlier ones are done.
fn run_jobs(jobs: &[Job<'_>], config: &Config) -> Vec<Report> {
    let (sender, receiver) = mpsc::channel::<(usize, Report)>();
    let mut reports: Vec<Option<Report>> = jobs.iter().map(|_| None).collect();
    let mut running: BTreeMap<usize, (Arc<Progress>, Instant)> = BTreeMap::new();
    let (mut next_job, mut next_print, mut shown) = (0, 0, 0);
    while next_print < jobs.len() {
        while running.len() < config.threads && next_job < jobs.len() {
            let progress = Arc::new(Progress::default());
            spawn_job(next_job, &jobs[next_job], &progress, config, sender.clone());
            running.insert(next_job, (progress, Instant::now()));
            next_job += 1;
        }
        match receiver.recv_timeout(Duration::from_millis(500)) {
            // A report from a job already abandoned for a timeout is dropped.
            Ok((index, report)) if running.remove(&index).is_some() => reports[index] = Some(report),
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("the sender lives in this function"),
        }
        abandon_hung_jobs(&mut running, &mut reports, config.record_timeout);
        while let Some(Some(report)) = reports.get(next_print) {
            print_report(&jobs[next_print], report, &mut shown, config.failures_shown);
            next_print += 1;
        }
    }
    reports.into_iter().map(|report| report.expect("every job reported")).collect()
}

fn spawn_job(
    index: usize,
    job: &Job<'_>,
    progress: &Arc<Progress>,
    config: &Config,
    sender: mpsc::Sender<(usize, Report)>,
) {
    let (path, backend, progress) = (job.file.path.clone(), job.backend, progress.clone());
    progress.lock().keep_failures = config.failures_shown;
    std::thread::Builder::new()
        .name(format!("slt-{index}"))
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let report = run_file(&path, backend, &progress);
            // The receiver is gone only if the run is over; nothing left to tell.
            let _ = sender.send((index, report));
        })
        .expect("spawn a test thread");
}

/// Gives up on jobs whose current record has run longer than `timeout`: their threads are left
/// to finish (or not) on their own, and their files are reported as stopped.
fn abandon_hung_jobs(
    running: &mut BTreeMap<usize, (Arc<Progress>, Instant)>,
    reports: &mut [Option<Report>],
    timeout: Duration,
) {
    running.retain(|&index, (progress, started)| {
        if progress.running_for().is_none_or(|elapsed| elapsed <= timeout) {
            return true;
        }
        let line = progress.lock().line;
        let why = format!(
            "the record at line {line} was still running after {}s; abandoned, the rest of the file counted as failed",
            timeout.as_secs()
        );
        reports[index] = Some(progress.stopped_report(*started, why));
        false
    });
}

fn print_report(job: &Job<'_>, report: &Report, shown: &mut usize, max_shown: usize) {
    let verdict = if report.failed == 0 { "PASS" } else { "FAIL" };
    let total = report.passed + report.failed;
    let secs = report.elapsed.as_secs_f64();
    let note = report.note.as_ref().map(|note| format!(" ({note})")).unwrap_or_default();
    println!(
        "{verdict} [{}] {}: {}/{total} records, {secs:.2}s{note}",
        job.backend.name(),
        job.file.path.display(),
        report.passed
    );
    for failure in &report.failures {
        if *shown >= max_shown {
            break;
        }
        *shown += 1;
        println!("--- failure {shown}/{max_shown} [{}]\n{failure}", job.backend.name());
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}\n... (truncated)", &text[..end]),
        None => text.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Summary and ratchet
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Totals {
    passed: usize,
    failed: usize,
    corpus_passed: usize,
    elapsed: Duration,
}

fn summarize(jobs: &[Job<'_>], reports: &[Report], selection: &Selection, config: &Config) -> ExitCode {
    let mut per_backend: BTreeMap<Backend, Totals> = BTreeMap::new();
    for (job, report) in jobs.iter().zip(reports) {
        let totals = per_backend.entry(job.backend).or_default();
        totals.passed += report.passed;
        totals.failed += report.failed;
        totals.elapsed += report.elapsed;
        if job.file.corpus {
            totals.corpus_passed += report.passed;
        }
    }
    for (backend, totals) in &per_backend {
        println!(
            "{}: {} passed, {} failed ({} corpus records passed; {:.1}s of file time)",
            backend.name(),
            totals.passed,
            totals.failed,
            totals.corpus_passed,
            totals.elapsed.as_secs_f64()
        );
    }
    let ratchet_ok = !config.ratchet
        || selection.explicit
        || check_ratchet(per_backend.get(&Backend::Memory).map(|totals| totals.corpus_passed));
    let passed: usize = per_backend.values().map(|totals| totals.passed).sum();
    let failed: usize = per_backend.values().map(|totals| totals.failed).sum();
    println!("{passed} passed, {failed} failed");
    let failures_fail_the_run = selection.explicit && failed > 0;
    if ratchet_ok && !failures_fail_the_run { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Compares the corpus records passed on the memory backend with the recorded pass count.
fn check_ratchet(memory_corpus_passed: Option<usize>) -> bool {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sqllogictest.passcount");
    let Some(passed) = memory_corpus_passed else {
        println!("ratchet: FAILED, the memory backend did not run (check BRAID_SLT_BACKENDS / BRAID_SLT_ENGINE)");
        return false;
    };
    let recorded = match std::fs::read_to_string(&path).map(|text| text.trim().parse::<usize>()) {
        Ok(Ok(recorded)) => recorded,
        Ok(Err(e)) => {
            println!("ratchet: FAILED, {} does not hold a number: {e}", path.display());
            return false;
        }
        Err(e) => {
            println!("ratchet: FAILED, cannot read {}: {e}", path.display());
            return false;
        }
    };
    if passed < recorded {
        println!(
            "ratchet: FAILED, {passed} corpus records passed on memory, fewer than the {recorded} recorded in {}",
            path.display()
        );
        return false;
    }
    println!("ratchet: ok, {passed} corpus records passed on memory; {recorded} recorded in {}", path.display());
    if passed > recorded {
        println!("ratchet: more than recorded; raise {} to {passed}", path.display());
    }
    true
}

// ---------------------------------------------------------------------------------------------
// One file on one backend
// ---------------------------------------------------------------------------------------------

fn run_file(path: &Path, backend: Backend, progress: &Progress) -> Report {
    let started = Instant::now();
    let records = match load_records(path) {
        Ok(records) => records,
        Err(e) => return progress.stopped_report(started, format!("cannot parse: {e}")),
    };
    progress.lock().total = records.iter().filter(|record| matches!(step(record), Step::Check { .. })).count();
    match panic::catch_unwind(AssertUnwindSafe(|| run_records(records, backend, progress))) {
        Ok(Ok(())) => {
            let mut state = progress.lock();
            let failures = std::mem::take(&mut state.failures);
            Report { passed: state.passed, failed: state.failed, elapsed: started.elapsed(), note: None, failures }
        }
        Ok(Err(e)) => progress.stopped_report(started, format!("cannot open the database: {e}")),
        Err(panic) => {
            let line = progress.lock().line;
            let why =
                format!("panicked at line {line}: {}; the rest of the file counted as failed", panic_message(&panic));
            progress.stopped_report(started, why)
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let message = panic.downcast_ref::<&str>().map(|s| s.to_string());
    message.or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "(no message)".to_string())
}

/// The file's records, up to the first `halt` that applies to SQLite.
fn load_records(path: &Path) -> Result<Vec<Record<TypeLetter>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut records =
        sqllogictest::parse_with_name(&prepare_script(&text), path.display().to_string()).map_err(|e| e.to_string())?;
    if let Some(halt) = records.iter().position(|record| matches!(record, Record::Halt { .. })) {
        records.truncate(halt);
    }
    Ok(records)
}

/// Rewrites a script for the crate's parser: drops trailing comments from `skipif`/`onlyif`
/// lines, and blanks out each guarded `halt` (with its conditions) that does not apply to
/// SQLite. Blanked lines become `#` so that line numbers stay those of the file.
fn prepare_script(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        let conditions: Vec<Condition> = lines[i..].iter().map_while(|line| parse_condition(line)).collect();
        let end = i + conditions.len();
        if conditions.is_empty() {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
        } else if lines.get(end).is_some_and(|line| line.trim() == "halt") {
            out.push_str(&"#\n".repeat(conditions.len()));
            out.push_str(if runs_here(&conditions) { "halt\n" } else { "#\n" });
            i = end + 1;
        } else {
            for condition in &conditions {
                let (keyword, label) = match condition {
                    Condition::SkipIf { label } => ("skipif", label),
                    Condition::OnlyIf { label } => ("onlyif", label),
                };
                out.push_str(&format!("{keyword} {label}\n"));
            }
            i = end;
        }
    }
    out
}

/// `skipif LABEL` or `onlyif LABEL`, with or without a trailing `# comment`.
fn parse_condition(line: &str) -> Option<Condition> {
    let words: Vec<&str> = line.split('#').next()?.split_whitespace().collect();
    match words[..] {
        ["skipif", label] => Some(Condition::SkipIf { label: label.to_string() }),
        ["onlyif", label] => Some(Condition::OnlyIf { label: label.to_string() }),
        _ => None,
    }
}

/// Whether a record with these conditions runs under the engine label.
fn runs_here(conditions: &[Condition]) -> bool {
    conditions.iter().all(|condition| match condition {
        Condition::OnlyIf { label } => label == engine_label(),
        Condition::SkipIf { label } => label != engine_label(),
    })
}

/// What the runner does with a record.
enum Step {
    /// A `statement` or `query` that runs here and is counted; `types` are a query's type letters.
    Check { line: u32, types: Option<Vec<TypeLetter>> },
    /// A `statement` or `query` that `skipif`/`onlyif` exclude: not run, not counted.
    Skip,
    /// Anything else (`hash-threshold`, `control`, comments): handed to the crate's runner.
    Configure,
}

fn step(record: &Record<TypeLetter>) -> Step {
    match record {
        Record::Statement { conditions, .. } | Record::Query { conditions, .. } if !runs_here(conditions) => Step::Skip,
        Record::Statement { loc, .. } => Step::Check { line: loc.line(), types: None },
        // A `query error` record has no type letters; it runs like a statement.
        Record::Query { loc, expected, .. } => Step::Check {
            line: loc.line(),
            types: match expected {
                QueryExpect::Results { types, .. } => Some(types.clone()),
                QueryExpect::Error(_) => None,
            },
        },
        _ => Step::Configure,
    }
}

fn run_records(records: Vec<Record<TypeLetter>>, backend: Backend, progress: &Progress) -> Result<(), EngineError> {
    let store = Store::open(backend)?;
    let hint = TypeHint::default();
    let mut runner = Runner::new(|| store.connect(&hint));
    runner.with_hash_threshold(HASH_THRESHOLD);
    runner.with_validator(value_wise);
    for record in records {
        match step(&record) {
            Step::Skip => {}
            Step::Configure => {
                // Not counted, whatever the outcome.
                let _ = runner.run(record);
            }
            Step::Check { line, types } => {
                progress.begin_record(line);
                hint.set(types);
                progress.end_record(runner.run(record).map(drop));
            }
        }
    }
    Ok(())
}

/// Compares the values one by one: the corpus lists one value per line, whatever the row
/// width (and a hashed result is one value).
fn value_wise(normalizer: Normalizer, actual: &[Vec<String>], expected: &[String]) -> bool {
    let mut values = actual.iter().flatten();
    expected.iter().all(|want| values.next().is_some_and(|got| normalizer(got) == normalizer(want)))
        && values.next().is_none()
}

// ---------------------------------------------------------------------------------------------
// The database under test, as the crate sees it
// ---------------------------------------------------------------------------------------------

/// A query's type letter (`I`, `R`, `T`), kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TypeLetter(char);

impl ColumnType for TypeLetter {
    fn from_char(letter: char) -> Option<Self> {
        Some(TypeLetter(letter))
    }

    fn to_char(&self) -> char {
        self.0
    }
}

/// The type letters of the record about to run, from the runner to the connection (the crate
/// passes only the SQL): `Some` runs the SQL as a query rendered by those letters, `None` runs
/// it as a batch of statements.
#[derive(Clone, Default)]
struct TypeHint(Arc<Mutex<Option<Vec<TypeLetter>>>>);

impl TypeHint {
    fn set(&self, types: Option<Vec<TypeLetter>>) {
        *self.0.lock().expect("type hint lock") = types;
    }

    fn take(&self) -> Option<Vec<TypeLetter>> {
        self.0.lock().expect("type hint lock").take()
    }
}

/// The database one file runs on.
enum Store {
    /// Braid; the temporary folder of an on-disk backend is removed after the database closes.
    Braid {
        db: braid::Database,
        _dir: Option<tempfile::TempDir>,
    },
    Sqlite,
}

impl Store {
    fn open(backend: Backend) -> Result<Store, EngineError> {
        Ok(match backend {
            Backend::Memory => Store::Braid { db: braid::Database::open_in_memory()?, _dir: None },
            Backend::Sled | Backend::Redb => {
                let dir = tempfile::TempDir::new()?;
                let backend = if backend == Backend::Sled { braid::Backend::Sled } else { braid::Backend::Redb };
                let options = braid::OpenOptions { backend, synchronous: braid::Synchronous::Off, cache_bytes: None };
                Store::Braid { db: braid::Database::open_with(dir.path(), options)?, _dir: Some(dir) }
            }
            Backend::Sqlite => Store::Sqlite,
        })
    }

    /// A connection for the crate's runner (which asks for one per `connection` name; the
    /// corpus uses only the default one).
    fn connect(&self, hint: &TypeHint) -> Ready<Result<TestDb, EngineError>> {
        let conn = match self {
            Store::Braid { db, .. } => Ok(Conn::Braid(Box::new(db.connect()))),
            Store::Sqlite => rusqlite::Connection::open_in_memory().map(Conn::Sqlite).map_err(EngineError::from),
        };
        ready(conn.map(|conn| TestDb { conn, hint: hint.clone() }))
    }
}

enum Conn {
    Braid(Box<braid::Connection>),
    Sqlite(rusqlite::Connection),
}

impl Conn {
    fn execute_batch(&mut self, sql: &str) -> Result<(), EngineError> {
        match self {
            Conn::Braid(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
        }
    }

    /// Runs a query and renders its rows by `types`.
    fn query(&mut self, sql: &str, types: &[TypeLetter]) -> Result<Vec<Vec<String>>, EngineError> {
        match self {
            Conn::Braid(conn) => {
                let rows = conn.query(sql, ())?;
                check_width(rows.columns().len(), types)?;
                rows.map(|row| Ok(render_row(row?.values(), types))).collect()
            }
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare(sql)?;
                let width = statement.column_count();
                check_width(width, types)?;
                let mut rows = statement.query([])?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let values: Vec<Value> =
                        (0..width).map(|i| row.get_ref(i).map(from_sqlite)).collect::<Result<_, _>>()?;
                    out.push(render_row(&values, types));
                }
                Ok(out)
            }
        }
    }
}

fn check_width(width: usize, types: &[TypeLetter]) -> Result<(), EngineError> {
    if width == types.len() {
        Ok(())
    } else {
        Err(EngineError(format!("the query returned {width} columns; the record expects {}", types.len())))
    }
}

fn render_row(values: &[Value], types: &[TypeLetter]) -> Vec<String> {
    values.iter().zip(types).map(|(value, letter)| render(value, letter.0)).collect()
}

/// A SQLite value as Braid's; text that is not UTF-8 stays bytes (it renders the same).
fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(bytes) => {
            String::from_utf8(bytes.to_vec()).map_or_else(|e| Value::Blob(e.into_bytes()), Value::Text)
        }
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

struct TestDb {
    conn: Conn,
    hint: TypeHint,
}

impl sqllogictest::DB for TestDb {
    type Error = EngineError;
    type ColumnType = TypeLetter;

    fn run(&mut self, sql: &str) -> Result<DBOutput<TypeLetter>, EngineError> {
        match self.hint.take() {
            Some(types) => Ok(DBOutput::Rows { rows: self.conn.query(sql, &types)?, types }),
            None => self.conn.execute_batch(sql).map(|()| DBOutput::StatementComplete(0)),
        }
    }

    fn engine_name(&self) -> &str {
        engine_label()
    }
}

/// An error from the engine under test, as text (all the runner needs).
#[derive(Debug)]
struct EngineError(String);

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EngineError {}

impl From<braid::Error> for EngineError {
    fn from(e: braid::Error) -> Self {
        EngineError(e.to_string())
    }
}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        EngineError(e.to_string())
    }
}

impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        EngineError(e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering values as SQLite's C harness prints them
// ---------------------------------------------------------------------------------------------

/// A value as the corpus expects it, by the query's type letter (not the value's type):
/// NULL is `NULL`; `I` is the integer `sqlite3_column_int64` gives; `R` is `%.3f` as SQLite's
/// printf writes it; anything else is the text (`(empty)` if empty, `@` for each byte outside
/// 0x20..=0x7E). Booleans are SQLite's integers 1 and 0; timestamps render as their integer.
fn render(value: &Value, letter: char) -> String {
    match (value, letter) {
        (Value::Null, _) => "NULL".to_string(),
        (_, 'I') => as_integer(value).to_string(),
        (_, 'R') => format_real(as_real(value)),
        _ => render_text(&as_text(value)),
    }
}

fn as_integer(value: &Value) -> i64 {
    match value {
        Value::Null => 0,
        Value::Boolean(b) => i64::from(*b),
        Value::Integer(i) | Value::Timestamp(i) => *i,
        // Saturating, like sqlite3RealToI64.
        Value::Real(r) => *r as i64,
        Value::Numeric(d) => braid::value::numeric::to_f64(d) as i64,
        Value::Interval(_) | Value::Time(_) => 0,
        Value::Text(text) => text_to_integer(text.as_bytes()),
        Value::Blob(bytes) => text_to_integer(bytes),
    }
}

fn as_real(value: &Value) -> f64 {
    match value {
        Value::Real(r) => *r,
        Value::Numeric(d) => braid::value::numeric::to_f64(d),
        Value::Text(text) => text_to_real(text.as_bytes()),
        Value::Blob(bytes) => text_to_real(bytes),
        _ => as_integer(value) as f64,
    }
}

fn as_text(value: &Value) -> Vec<u8> {
    match value {
        Value::Text(text) => text.clone().into_bytes(),
        Value::Blob(bytes) => bytes.clone(),
        Value::Real(r) => real_to_text(*r).into_bytes(),
        Value::Numeric(d) => d.to_string().into_bytes(),
        Value::Interval(i) => braid::value::interval::format(i).into_bytes(),
        Value::Time(t) => braid::value::time::format(*t).into_bytes(),
        _ => as_integer(value).to_string().into_bytes(),
    }
}

fn render_text(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".to_string();
    }
    bytes.iter().map(|&b| if (0x20..=0x7e).contains(&b) { char::from(b) } else { '@' }).collect()
}

/// SQLite's text-to-integer conversion (sqlite3Atoi64): leading spaces, a sign and the digits
/// that follow; the rest is ignored; out of range saturates.
fn text_to_integer(text: &[u8]) -> i64 {
    let text = trim_start(text);
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u128, |acc, b| (acc * 10 + u128::from(b - b'0')).min(1 << 64));
    if negative {
        i64::try_from(-(magnitude.min(1 << 63) as i128)).expect("at least i64::MIN")
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    }
}

/// SQLite's text-to-real conversion (sqlite3AtoF): the longest prefix (after spaces) that
/// reads as a number, else 0.
fn text_to_real(text: &[u8]) -> f64 {
    let text = trim_start(text);
    let prefix = &text[..numeric_prefix_len(text)];
    std::str::from_utf8(prefix).ok().and_then(|number| number.parse().ok()).unwrap_or(0.0)
}

/// The length of `[+-]digits[.digits][e[+-]digits]` (at least one mantissa digit) at the start.
fn numeric_prefix_len(text: &[u8]) -> usize {
    let digits_at =
        |from: usize| text.get(from..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count());
    let mut end = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let integer_digits = digits_at(end);
    end += integer_digits;
    let fraction_digits = if text.get(end) == Some(&b'.') { digits_at(end + 1) } else { 0 };
    if integer_digits + fraction_digits == 0 {
        return 0;
    }
    if text.get(end) == Some(&b'.') {
        end += 1 + fraction_digits;
    }
    if matches!(text.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(text.get(end + 1), Some(b'+' | b'-')));
        let exponent_digits = digits_at(end + 1 + sign);
        if exponent_digits > 0 {
            end += 1 + sign + exponent_digits;
        }
    }
    end
}

fn trim_start(text: &[u8]) -> &[u8] {
    let spaces = text.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).count();
    &text[spaces..]
}

/// A positive number as decimal digits: value = 0.d₁d₂d₃… × 10^`point`.
struct Decimal {
    digits: Vec<u8>,
    point: i32,
}

impl Decimal {
    /// From Rust's `{:e}` formatting of a positive number (`d.ddde±x`).
    fn from_scientific(text: &str) -> Decimal {
        let (mantissa, exponent) = text.split_once('e').expect("{:e} output has an exponent");
        Decimal {
            digits: mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect(),
            point: exponent.parse::<i32>().expect("{:e} exponent") + 1,
        }
    }

    /// Keeps `n` significant digits, rounding half up (as SQLite does on its decimal digits).
    fn round(&mut self, n: usize) {
        if self.digits.len() <= n {
            return;
        }
        let round_up = self.digits[n] >= 5;
        self.digits.truncate(n);
        if round_up {
            match self.digits.iter().rposition(|&d| d < 9) {
                Some(i) => {
                    self.digits[i] += 1;
                    self.digits.truncate(i + 1);
                }
                None => {
                    self.digits = vec![1];
                    self.point += 1;
                }
            }
        }
    }

    /// The digit at `index` counted from the decimal point (0 = first after it); 0 past the end.
    fn digit_after_point(&self, index: i32) -> u8 {
        usize::try_from(self.point + index).ok().and_then(|i| self.digits.get(i).copied()).unwrap_or(0)
    }

    /// The integer part's digits (`0` if none).
    fn integer_part(&self) -> String {
        if self.point <= 0 {
            return "0".to_string();
        }
        (0..self.point).map(|i| char::from(b'0' + self.digit_after_point(i - self.point))).collect()
    }
}

/// `%.3f` as SQLite's printf writes it: like C's, but rounding half up on at most 16
/// significant digits (sqlite3FpDecode; so -9.2233720368547758e18 prints as
/// `-9223372036854776000.000`), and `-0.0` prints as `0.000`.
fn format_real(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-Inf" } else { "Inf" }.to_string();
    }
    if x == 0.0 {
        return "0.000".to_string();
    }
    // SQLite starts from 18 significant digits.
    let mut decimal = Decimal::from_scientific(&format!("{:.17e}", x.abs()));
    let keep = decimal.point + 3;
    if keep == 0 && decimal.digits[0] >= 5 {
        decimal = Decimal { digits: vec![1], point: decimal.point + 1 };
    } else if keep > 0 {
        decimal.round(keep.min(16) as usize);
    }
    let fraction: String = (0..3).map(|i| char::from(b'0' + decimal.digit_after_point(i))).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{}.{fraction}", decimal.integer_part())
}

/// A real as SQLite's text (`%!.17g`): `1.0`, `0.1`, `1.0e+20`, `1.5e-07`. The digits are the
/// shortest that read back as the same number; SQLite keeps 17 digits for some values (1/3 is
/// `0.33333333333333331` there, `0.3333333333333333` here), which the corpus never shows as text.
fn real_to_text(x: f64) -> String {
    if x.is_nan() || x.is_infinite() || x == 0.0 {
        return format_real(x).replace(".000", ".0");
    }
    let decimal = Decimal::from_scientific(&format!("{:e}", x.abs()));
    let sign = if x < 0.0 { "-" } else { "" };
    let exponent = decimal.point - 1;
    if !(-4..=16).contains(&exponent) {
        let rest: String = decimal.digits[1..].iter().map(|&d| char::from(b'0' + d)).collect();
        let rest = if rest.is_empty() { "0".to_string() } else { rest };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{}.{rest}e{exponent_sign}{:02}", decimal.digits[0], exponent.abs());
    }
    let fraction_len = (decimal.digits.len() as i32 - decimal.point).max(1);
    let fraction: String = (0..fraction_len).map(|i| char::from(b'0' + decimal.digit_after_point(i))).collect();
    format!("{sign}{}.{fraction}", decimal.integer_part())
}

// ---------------------------------------------------------------------------------------------
// Rendering self-check (runs at startup)
// ---------------------------------------------------------------------------------------------

/// Values, a type letter, and what SQLite's C harness prints for them.
fn rendering_cases() -> Vec<(Value, char, &'static str)> {
    let text = |s: &str| Value::Text(s.to_string());
    vec![
        (Value::Integer(-7), 'I', "-7"),
        (Value::Boolean(true), 'I', "1"),
        (Value::Real(2.9), 'I', "2"),
        (Value::Real(-2.9), 'I', "-2"),
        (Value::Real(1e300), 'I', "9223372036854775807"),
        (Value::Real(-1e300), 'I', "-9223372036854775808"),
        (text("abc"), 'I', "0"),
        (text("12x"), 'I', "12"),
        (text(" \t-0012.9"), 'I', "-12"),
        (text("1e3"), 'I', "1"),
        (text("99999999999999999999"), 'I', "9223372036854775807"),
        (text("-9223372036854775808"), 'I', "-9223372036854775808"),
        (text("-99999999999999999999"), 'I', "-9223372036854775808"),
        (Value::Blob(b"42".to_vec()), 'I', "42"),
        (Value::Integer(3), 'R', "3.000"),
        (Value::Integer(i64::MIN), 'R', "-9223372036854776000.000"),
        (Value::Real(2f64.powi(63)), 'R', "9223372036854776000.000"),
        (Value::Real(-(2f64.powi(64))), 'R', "-18446744073709550000.000"),
        (Value::Real(12345678901234.567), 'R', "12345678901234.570"),
        (Value::Real(1.0 / 3.0), 'R', "0.333"),
        (Value::Real(2.0 / 3.0), 'R', "0.667"),
        (Value::Real(0.0625), 'R', "0.063"),
        (Value::Real(-0.0625), 'R', "-0.063"),
        (Value::Real(0.0005), 'R', "0.001"),
        (Value::Real(0.0004), 'R', "0.000"),
        (Value::Real(-0.0001), 'R', "-0.000"),
        (Value::Real(-0.0), 'R', "0.000"),
        (Value::Real(999.9996), 'R', "1000.000"),
        (Value::Real(1e-300), 'R', "0.000"),
        (text("12.5abc"), 'R', "12.500"),
        (text(" -.5e1x"), 'R', "-5.000"),
        (text("7."), 'R', "7.000"),
        (text("1e"), 'R', "1.000"),
        (text("abc"), 'R', "0.000"),
        (text("-"), 'R', "0.000"),
        (text(""), 'T', "(empty)"),
        (text("a b"), 'T', "a b"),
        (text("tab\there, é"), 'T', "tab@here, @@"),
        (Value::Blob(vec![b'A', 0x7f, b'B']), 'T', "A@B"),
        (Value::Integer(-42), 'T', "-42"),
        (Value::Boolean(false), 'T', "0"),
        (Value::Real(1.0), 'T', "1.0"),
        (Value::Real(-2.5), 'T', "-2.5"),
        (Value::Real(0.1), 'T', "0.1"),
        (Value::Real(100.0), 'T', "100.0"),
        (Value::Real(1e20), 'T', "1.0e+20"),
        (Value::Real(1e16), 'T', "10000000000000000.0"),
        (Value::Real(1e17), 'T', "1.0e+17"),
        (Value::Real(123456789012345680.0), 'T', "1.2345678901234568e+17"),
        (Value::Real(0.0001), 'T', "0.0001"),
        (Value::Real(-1.5e-7), 'T', "-1.5e-07"),
        (Value::Real(0.0), 'T', "0.0"),
        (Value::Null, 'I', "NULL"),
        (Value::Null, 'R', "NULL"),
        (Value::Null, 'T', "NULL"),
    ]
}

/// Checks [`render`] on [`rendering_cases`], and the cases themselves against SQLite: the
/// harness's conversions are `printf('%d' | '%.3f' | '%s', value)` in SQL, which convert their
/// argument exactly as `sqlite3_column_int64` / `_double` / `_text` do.
fn check_rendering() -> Result<(), String> {
    let sqlite = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    for (value, letter, expected) in rendering_cases() {
        let ours = render(&value, letter);
        let sqlites = sqlite_rendering(&sqlite, &value, letter).map_err(|e| e.to_string())?;
        if ours != expected || sqlites != expected {
            problems.push(format!(
                "{value:?} as {letter}: expected {expected:?}, render gives {ours:?}, SQLite {sqlites:?}"
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

fn sqlite_rendering(sqlite: &rusqlite::Connection, value: &Value, letter: char) -> rusqlite::Result<String> {
    use rusqlite::types::Value as Sqlite;
    let bound = match value {
        Value::Null => return Ok("NULL".to_string()),
        Value::Real(r) => Sqlite::Real(*r),
        Value::Text(text) => Sqlite::Text(text.clone()),
        Value::Blob(bytes) => Sqlite::Blob(bytes.clone()),
        _ => Sqlite::Integer(as_integer(value)),
    };
    let format = match letter {
        'I' => "%d",
        'R' => "%.3f",
        _ => "%s",
    };
    let printed: Vec<u8> =
        sqlite.query_row("SELECT CAST(printf(?1, ?2) AS BLOB)", rusqlite::params![format, bound], |row| row.get(0))?;
    Ok(if letter == 'T' { render_text(&printed) } else { String::from_utf8_lossy(&printed).into_owned() })
}
