//! Python's PostgreSQL clients against `braid serve`: the driver psycopg 3
//! (`tests/clients/psycopg_client.py`), SQLAlchemy 2 on it (`tests/clients/sqlalchemy_client.py`)
//! and Django 5 (`tests/clients/django_client.py`). `.ci/run` installs them; on a machine
//! without them the test installs them with pip, and fails if it cannot.

mod common;

use std::process::Command;

use common::Server;

/// Makes sure `import module` works, installing `package` with pip if needed.
fn ensure(module: &str, package: &str) {
    let import =
        || Command::new("python3").args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success());
    if import() {
        return;
    }
    let installed =
        Command::new("python3").args(["-m", "pip", "install", "--quiet", package]).status().expect("run pip");
    assert!(installed.success() && import(), "{module} is needed: python3 -m pip install '{package}'");
}

fn ensure_psycopg() {
    ensure("psycopg", "psycopg[binary]");
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

#[test]
fn sqlalchemy_creates_inserts_selects_and_reflects() {
    ensure_psycopg();
    ensure("sqlalchemy", "sqlalchemy>=2");
    let server = Server::start(&[]);
    let url = format!("postgresql+psycopg://braid@{}/braid", server.addr);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/sqlalchemy_client.py");
    let out = Command::new("python3").arg(script).arg(&url).output().expect("run python3");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "SQLAlchemy script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("sqlalchemy: ok"), "{stdout}");
}

#[test]
fn django_migrates_and_runs_its_orm_workflow() {
    ensure_psycopg();
    ensure("django", "django>=5,<6");
    let server = Server::start(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/django_client.py");
    let (host, port) = (server.addr.ip().to_string(), server.addr.port().to_string());
    let out = Command::new("python3").arg(script).args([&host, &port]).output().expect("run python3");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "Django script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("django: ok"), "{stdout}");
}
