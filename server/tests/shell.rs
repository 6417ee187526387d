//! `braid shell`, fed a script on standard input (not a terminal): embedded on a data
//! directory, and remote on `braid serve` through a `postgres://` URL.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::Server;

/// Runs `braid shell TARGET` with `script` on standard input: (success, stdout, stderr).
fn shell(target: &str, script: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["shell", target])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SCRIPT: &str = "CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);\n\
    INSERT INTO pets VALUES (1, 'rex', 3),\n  (2, 'tom', NULL);\n\
    SELECT id, name, age\n  FROM pets\n  ORDER BY id;\n\
    \\dt\n\
    \\d pets\n";

#[test]
fn the_embedded_shell_runs_a_script_and_prints_aligned_tables() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out, err) = shell(data.to_str().unwrap(), SCRIPT);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("CREATE TABLE\nINSERT 0 2\n"), "{out}");
    assert!(out.contains(" id | name | age \n----+------+-----\n 1  | rex  | 3\n 2  | tom  |\n(2 rows)\n"), "{out}");
    assert!(out.contains(" pets | table"), "{out}");
    assert!(out.contains(" name   | text    | not null |"), "{out}");

    // The data stayed in the directory; a failing statement makes the exit status fail.
    let (ok, out, err) = shell(data.to_str().unwrap(), "SELECT count(*) AS n FROM pets;\nSELECT * FROM nope;\n");
    assert!(!ok);
    assert!(out.contains(" n \n---\n 2\n(1 row)"), "{out}");
    assert!(err.contains("ERROR:  relation \"nope\" does not exist"), "{err}");
}

#[test]
fn the_remote_shell_talks_to_braid_serve() {
    let server = Server::start(&[]);
    let url = format!("postgres://braid@{}/braid", server.addr);
    let (ok, out, err) = shell(&url, SCRIPT);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains(" id | name | age \n----+------+-----\n 1  | rex  | 3\n 2  | tom  |\n(2 rows)\n"), "{out}");
    assert!(out.contains(" pets | table"), "{out}");
    assert!(out.contains(" name   | int8") || out.contains(" name   | text"), "{out}");
}
