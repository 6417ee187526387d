//! pgJDBC, Java's PostgreSQL driver, against `braid serve` (the program is
//! `tests/clients/BraidJdbc.java`, run with the JDK's single-file source launcher): the
//! driver's startup, prepared statements with a parameter of each type (past its
//! prepareThreshold, so server-side statements and binary results), commit and rollback,
//! SQLSTATEs, DatabaseMetaData.getTables / getColumns, and `information_schema`.
//!
//! `.ci/run` installs a JDK and the driver (Debian's `default-jdk-headless` and
//! `libpostgresql-jdbc-java`). Without `java` the test prints why and passes; with `java`
//! but without the driver's jar it fails, naming the package. `BRAID_PGJDBC_JAR` points
//! at another jar.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::Server;

/// The pgJDBC jar: `BRAID_PGJDBC_JAR`, or Debian's.
fn driver_jar() -> PathBuf {
    let jar = std::env::var_os("BRAID_PGJDBC_JAR")
        .map_or_else(|| PathBuf::from("/usr/share/java/postgresql.jar"), PathBuf::from);
    assert!(
        jar.exists(),
        "pgJDBC not found at {}: apt-get install libpostgresql-jdbc-java, or set BRAID_PGJDBC_JAR",
        jar.display()
    );
    jar
}

#[test]
fn pgjdbc_connects_prepares_commits_rolls_back_and_reads_metadata() {
    if Command::new("java").arg("-version").output().is_err() {
        eprintln!("SKIPPED: no `java` on PATH (apt-get install default-jdk-headless libpostgresql-jdbc-java)");
        return;
    }
    let jar = driver_jar();
    let server = Server::start(&[]);
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/BraidJdbc.java");
    let url = format!("jdbc:postgresql://{}:{}/braid?user=braid", server.addr.ip(), server.addr.port());
    let started = std::time::Instant::now();
    let out = Command::new("java").arg("-cp").arg(&jar).arg(program).arg(&url).output().expect("run java");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the JDBC program failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("JDBC OK"), "{stdout}");
    eprintln!("the JDBC program ran in {:?}", started.elapsed());
}
