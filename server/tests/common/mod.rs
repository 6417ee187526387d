//! Starting `braid serve` for a test: the real binary, on a free port of 127.0.0.1, in a
//! temporary data directory; stopped (SIGKILL) when dropped unless stopped before.

#![allow(dead_code)] // each test file uses a different part

pub mod postgres;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `braid serve`.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub data: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server on a fresh data directory.
    pub fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut server = Server::start_on(&data, extra);
        server._dir = Some(dir);
        server
    }

    /// Starts a server on a fresh data directory with its log (`RUST_LOG=info`) kept in
    /// the returned lines, which fill as the server writes them.
    pub fn start_logged(extra: &[&str]) -> (Server, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut server = Server::spawn(&data, extra, "info", Stdio::piped());
        server._dir = Some(dir);
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stderr = server.child.stderr.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        (server, lines)
    }

    /// Starts a server on `data` (kept after the server stops).
    pub fn start_on(data: &Path, extra: &[&str]) -> Server {
        Server::spawn(data, extra, "warn", Stdio::inherit())
    }

    fn spawn(data: &Path, extra: &[&str], log: &str, stderr: Stdio) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(["serve", "--port", "0", "--data"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start braid serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("braid: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .unwrap();
        Server { child, addr, data: data.to_path_buf(), _dir: None }
    }

    /// A tokio-postgres connection string for this server.
    pub fn url(&self) -> String {
        format!("host={} port={} user=braid dbname=braid", self.addr.ip(), self.addr.port())
    }

    /// Connects with tokio-postgres; the connection task runs on the current runtime.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// Sends SIGTERM and waits for the exit status (the server shuts down gracefully).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        signal(&self.child, "TERM");
        wait_with_timeout(&mut self.child, Duration::from_secs(30))
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args(["-s", name, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < timeout, "server did not exit within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
