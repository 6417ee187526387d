//! A PostgreSQL 15 server for side-by-side tests: Debian's `postgresql-15` (which `.ci/run`
//! installs), initialised in a temporary directory with trust authentication for the user
//! `braid` and a database `braid`, listening on a free port of 127.0.0.1; stopped when
//! dropped. PostgreSQL refuses to run as root, so under root it runs as the `postgres`
//! user the package creates.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct Postgres {
    child: Child,
    pub port: u16,
    data: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL program as the user that may run it.
fn as_owner(program: &str) -> Command {
    let path = Path::new(BIN).join(program);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

impl Postgres {
    pub fn start() -> Postgres {
        assert!(Path::new(BIN).join("postgres").exists(), "PostgreSQL 15 is needed: apt-get install postgresql-15");
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let ok = Command::new("chown").arg("postgres").arg(dir.path()).status().unwrap().success();
            assert!(ok, "chown the PostgreSQL directory");
        }
        let data = dir.path().join("data");
        let out = as_owner("initdb")
            .args(["-U", "braid", "--auth=trust", "--no-sync", "--locale=C", "--encoding=UTF8", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = as_owner("postgres")
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(dir.path())
            .args(["-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pg = Postgres { child, port, data, _dir: dir };
        let started = Instant::now();
        loop {
            let out = pg.psql("postgres", "CREATE DATABASE braid");
            if out.status.success() {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "PostgreSQL did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        pg
    }

    /// A libpq connection string for database `braid`.
    pub fn url(&self) -> String {
        format!("host=127.0.0.1 port={} user=braid dbname=braid", self.port)
    }

    fn psql(&self, database: &str, sql: &str) -> std::process::Output {
        Command::new("psql")
            .args(["-X", "-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "braid", "-d", database, "-c", sql])
            .output()
            .unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_owner("pg_ctl").args(["stop", "-m", "immediate", "-D"]).arg(&self.data).output();
        let _ = self.child.wait();
    }
}
