//! Python's PostgreSQL driver, psycopg 3, against `braid serve` (the script is
//! `tests/clients/psycopg_client.py`). `.ci/run` installs psycopg; on a machine without it
//! the test installs it with pip, and fails if it cannot.

mod common;

use std::process::Command;

use common::Server;

/// Makes sure `import psycopg` works, installing psycopg with pip if needed.
fn ensure_psycopg() {
    let import = || Command::new("python3").args(["-c", "import psycopg"]).status().is_ok_and(|s| s.success());
    if import() {
        return;
    }
    let installed =
        Command::new("python3").args(["-m", "pip", "install", "--quiet", "psycopg[binary]"]).status().expect("run pip");
    assert!(installed.success() && import(), "psycopg is needed: python3 -m pip install 'psycopg[binary]'");
}

#[test]
fn psycopg_connects_binds_commits_rolls_back_and_sees_errors() {
    ensure_psycopg();
    let server = Server::start(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/psycopg_client.py");
    let out = Command::new("python3").arg(script).arg(server.url()).output().expect("run python3");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "psycopg script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("psycopg: ok"), "{stdout}");
}
