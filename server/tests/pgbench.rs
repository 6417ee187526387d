//! pgbench, PostgreSQL's benchmark client (Debian's `postgresql-15`, which `.ci/run`
//! installs), against `braid serve` as its users run it: `pgbench -i` (DROP TABLE a, b, c;
//! CREATE TABLE … WITH (fillfactor); TRUNCATE; COPY … WITH (FREEZE ON); VACUUM; ALTER TABLE
//! … ADD PRIMARY KEY), then its three built-in scripts under both query protocols.
//!
//! TPC-B-like transactions all update one branch row at scale 1, so under Braid's snapshot
//! isolation some fail with 40001 and pgbench counts them as failed (PostgreSQL's READ
//! COMMITTED makes them wait instead: the transactions issue). The other scripts must not
//! fail at all.

mod common;

use std::process::Command;

use common::Server;

/// The pgbench binary: Debian installs it beside the server, with a wrapper on the PATH.
fn pgbench() -> Command {
    let versioned = std::path::Path::new("/usr/lib/postgresql/15/bin/pgbench");
    Command::new(if versioned.exists() { versioned.as_os_str() } else { "pgbench".as_ref() })
}

/// Runs pgbench against `server` with `args`; returns its standard output and error,
/// failing the test if pgbench fails.
fn run(server: &Server, args: &[&str]) -> String {
    let out = pgbench()
        .args(["-h", &server.addr.ip().to_string(), "-p", &server.addr.port().to_string(), "-U", "braid"])
        .args(args)
        .arg("braid")
        .output()
        .expect("pgbench is needed: apt-get install postgresql-15");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "pgbench {args:?} failed:\n{text}");
    text
}

/// The number after `label` in pgbench's report (`361/400` gives 361).
fn figure(report: &str, label: &str) -> u64 {
    let line = report.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?} in\n{report}"));
    let digits: String = line[label.len()..].trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("{line}"))
}

#[test]
fn pgbench_initializes_and_runs_its_builtin_scripts() {
    let server = Server::start(&[]);
    let init = run(&server, &["-i", "-s", "2"]);
    assert!(init.contains("creating primary keys...") && init.contains("done in"), "{init}");
    // A second -i drops and makes everything again.
    run(&server, &["-i", "-s", "2", "-q"]);

    // pgbench empties pgbench_history before each run; each committed TPC-B-like or
    // simple-update transaction adds one row to it, and moves an account balance by its delta.
    let mut client = postgres_client(&server);
    let mut balance = 0;
    for script in ["tpcb-like", "simple-update", "select-only"] {
        for protocol in ["simple", "prepared"] {
            let report = run(&server, &["-b", script, "-M", protocol, "-c", "2", "-j", "2", "-t", "200"]);
            assert!(report.contains("scaling factor: 2"), "{report}");
            let processed = figure(&report, "number of transactions actually processed:");
            let failed = figure(&report, "number of failed transactions:");
            assert_eq!(processed + failed, 400, "{script} {protocol}:\n{report}");
            if script != "tpcb-like" {
                assert_eq!(failed, 0, "{script} {protocol}:\n{report}");
            }
            let history = client.query_one("SELECT count(*), coalesce(sum(delta), 0) FROM pgbench_history").unwrap();
            let (rows, deltas): (i64, i64) = (history.get(0), history.get(1));
            let expected_rows = if script == "select-only" { 0 } else { processed as i64 };
            assert_eq!(rows, expected_rows, "{script} {protocol}");
            balance += deltas;
            let accounts: i64 = client.query_one("SELECT sum(abalance) FROM pgbench_accounts").unwrap().get(0);
            assert_eq!(accounts, balance, "{script} {protocol}");
        }
    }
    let accounts: i64 = client.query_one("SELECT count(*) FROM pgbench_accounts").unwrap().get(0);
    assert_eq!(accounts, 200_000);
}

/// A blocking tokio-postgres client on its own runtime.
fn postgres_client(server: &Server) -> SyncClient {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = runtime.block_on(server.connect());
    SyncClient { runtime, client }
}

struct SyncClient {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl SyncClient {
    fn query_one(&mut self, sql: &str) -> Result<tokio_postgres::Row, tokio_postgres::Error> {
        self.runtime.block_on(self.client.query_one(sql, &[]))
    }
}
