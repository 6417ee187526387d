//! node-postgres (npm `pg`, the usual Node.js driver) against `braid serve`: the script
//! `tests/clients/node_client.js` runs an application's workflow through `Client` and `Pool`
//! and checks that every type arrives as the JavaScript type PostgreSQL's would give (int4 a
//! number, int8 and numeric strings, timestamptz a Date), that errors carry PostgreSQL's
//! SQLSTATE, and that transactions commit and roll back. `.ci/run` installs Node and the
//! package (`tests/clients/package.json`); on a machine without the package the test runs
//! `npm install` there, and fails with the command to run if it cannot.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Makes sure `node` runs and `require('pg')` resolves, installing the package with npm if not.
fn ensure_pg() {
    let dir = clients_dir();
    let node = Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|o| o.status.success()), "Node.js is needed: apt-get install nodejs npm");
    if dir.join("node_modules/pg/package.json").exists() {
        return;
    }
    let installed = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .unwrap_or_else(|e| panic!("node-postgres is needed and npm did not run ({e}): apt-get install npm"));
    assert!(
        installed.success() && dir.join("node_modules/pg/package.json").exists(),
        "node-postgres is needed: cd {} && npm install",
        dir.display()
    );
}

#[test]
fn node_postgres_types_transactions_errors_and_pool() {
    ensure_pg();
    let server = Server::start(&[]);
    let script = clients_dir().join("node_client.js");
    let (host, port) = (server.addr.ip().to_string(), server.addr.port().to_string());
    let out = Command::new("node").arg(&script).args([&host, &port]).output().expect("run node");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "node-postgres script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("node-postgres: ok"), "{stdout}");
}
