//! psql, PostgreSQL's own terminal client (Debian's `postgresql-client`, which `.ci/run`
//! installs), against `braid serve`: connecting, a script run with `-f`, and the describe
//! commands, side by side with PostgreSQL 15 on the same schema.

mod common;

use std::process::Command;

use common::Server;
use common::postgres::Postgres;

/// Runs psql against `server` with `args`; returns its standard output, failing the test
/// with psql's error output if it fails.
fn psql(server: &Server, args: &[&str]) -> String {
    psql_on(server.addr.port(), args)
}

/// Runs psql against the server on port `port` of 127.0.0.1.
fn psql_on(port: u16, args: &[&str]) -> String {
    let out = Command::new("psql")
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
        .args(["-p", &port.to_string(), "-U", "braid", "-d", "braid"])
        .args(args)
        .output()
        .expect("psql is needed: apt-get install postgresql-client");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "psql {args:?} failed:\n{stdout}\n{stderr}");
    stdout.into_owned()
}

#[test]
fn psql_runs_a_script_and_describes_tables() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("setup.sql");
    std::fs::write(
        &script,
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'none', price REAL);\n\
         CREATE UNIQUE INDEX items_name ON items (name);\n\
         INSERT INTO items VALUES (1, 'pen', 1.5), (2, 'ink', 4.25);\n\
         BEGIN;\n\
         UPDATE items SET price = price * 2\n  WHERE id = 2;\n\
         COMMIT;\n\
         SELECT name, price FROM items ORDER BY id;\n",
    )
    .unwrap();
    let out = psql(&server, &["-f", script.to_str().unwrap()]);
    assert!(out.contains("CREATE TABLE") && out.contains("INSERT 0 2") && out.contains("UPDATE 1"), "{out}");
    assert!(out.contains(" ink  |   8.5"), "{out}");

    let out = psql(&server, &["-c", "\\dt"]);
    assert!(out.contains("public | items | table | braid"), "{out}");
    let out = psql(&server, &["-c", "\\d items"]);
    assert!(out.contains("Table \"public.items\""), "{out}");
    // Read from the system catalogs, with the types the columns were declared with.
    assert!(out.contains(" id     | integer |           | not null | "), "{out}");
    assert!(out.contains(" name   | text    |           | not null | 'none'"), "{out}");
    assert!(out.contains(" price  | real    |           |          | "), "{out}");
    assert!(out.contains("\"items_pkey\" PRIMARY KEY, btree (id)"), "{out}");
    assert!(out.contains("\"items_name\" UNIQUE, btree (name)"), "{out}");
    let out = psql(&server, &["-c", "\\di"]);
    assert!(out.contains("items_name | index | braid | items"), "{out}");
    let out = psql(&server, &["-c", "\\l"]);
    assert!(out.contains(" braid     | braid | UTF8"), "{out}");
    // Results in psql's aligned format, with its row count.
    let out = psql(&server, &["-c", "SELECT count(*) AS n FROM items"]);
    assert!(out.contains(" n \n---\n 2\n(1 row)"), "{out}");
}

/// psql's describe commands give what PostgreSQL 15 gives for the same schema, character
/// for character, roles and grants included. Left out: what depends on how data is stored (the sizes of `\dt+` and
/// `\di+`), on PostgreSQL's deparser (a view's definition in `\d+ VIEW`, a CHECK over a
/// cast), and on what PostgreSQL installs (`\l`'s template0, `\dx`'s plpgsql, `\dn+`'s
/// grants and comment on `public`).
#[test]
fn psql_describes_a_schema_as_postgresql_15_does() {
    let postgres = Postgres::start();
    let server = Server::start(&[]);
    let schema = "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, born DATE, \
                      rating REAL DEFAULT 0, bio TEXT);
                  CREATE TABLE books (id BIGINT PRIMARY KEY, author_id INTEGER REFERENCES authors (id) ON DELETE CASCADE, \
                      title TEXT NOT NULL, pages SMALLINT CHECK (pages > 0), isbn CHAR(13), added TIMESTAMP WITH TIME ZONE, \
                      price DOUBLE PRECISION, flag BOOLEAN DEFAULT false);
                  CREATE INDEX books_title ON books (title);
                  CREATE UNIQUE INDEX books_isbn ON books (isbn, author_id);
                  CREATE TABLE reviews (book_id BIGINT REFERENCES books (id), stars INTEGER NOT NULL, body TEXT, \
                      UNIQUE (book_id, stars));
                  CREATE VIEW titles AS SELECT id, title, pages FROM books;
                  CREATE ROLE reader LOGIN PASSWORD 'r34d3r';
                  CREATE ROLE editor NOLOGIN CREATEDB CONNECTION LIMIT 2;
                  GRANT SELECT ON books, titles TO reader;
                  GRANT SELECT, INSERT, UPDATE ON reviews TO reader WITH GRANT OPTION;
                  GRANT SELECT ON authors TO PUBLIC;
                  ALTER TABLE reviews OWNER TO editor;
                  CREATE SCHEMA shop AUTHORIZATION editor;
                  CREATE TABLE shop.items (id SERIAL PRIMARY KEY, sku TEXT NOT NULL UNIQUE, \
                      author_id INTEGER REFERENCES authors (id));
                  CREATE INDEX items_sku_lower ON shop.items (lower(sku));
                  COMMENT ON SCHEMA shop IS 'what we sell';";
    for port in [postgres.port, server.addr.port()] {
        psql_on(port, &["-q", "-c", schema]);
    }
    let commands = [
        "\\d",
        "\\dt",
        "\\d authors",
        "\\d books",
        "\\d reviews",
        "\\d titles",
        "\\di",
        "\\dv",
        "\\ds",
        "\\df",
        "\\dn",
        "\\du",
        "\\dT",
        "\\dp",
        "\\d+ authors",
        "\\d+ books",
        "\\d+ reviews",
        "\\dv+",
        "\\d books_title",
        "\\dn+",
        "\\dt shop.*",
        "\\d shop.items",
        "\\di shop.*",
        "\\ds shop.*",
    ];
    for command in commands {
        let expected = psql_on(postgres.port, &["-c", command]);
        let got = psql_on(server.addr.port(), &["-c", command]);
        assert_eq!(got, expected, "psql -c '{command}' differs from PostgreSQL 15's");
    }
}

#[test]
fn psql_copies_files_in_and_out() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let mut csv = String::from("id,name,price\n");
    for i in 1..=2000 {
        csv.push_str(&format!("{i},\"item {i}, boxed\",{}.5\n", i % 10));
    }
    std::fs::write(&input, csv).unwrap();
    psql(&server, &["-c", "CREATE TABLE stock (id INTEGER PRIMARY KEY, name TEXT, price REAL)"]);
    let out = psql(&server, &["-c", &format!("\\copy stock FROM '{}' WITH (FORMAT csv, HEADER)", input.display())]);
    assert!(out.contains("COPY 2000"), "{out}");
    let output = dir.path().join("out.tsv");
    let out = psql(
        &server,
        &["-c", &format!("\\copy (SELECT id, name FROM stock WHERE id <= 3 ORDER BY id) TO '{}'", output.display())],
    );
    assert!(out.contains("COPY 3"), "{out}");
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written, "1\titem 1, boxed\n2\titem 2, boxed\n3\titem 3, boxed\n");
    let out = psql(&server, &["-At", "-c", "SELECT count(*), sum(price) FROM stock"]);
    assert_eq!(out.trim(), "2000|10000");
}

/// Binary COPY both ways with PostgreSQL 15: what PostgreSQL writes loads into Braid, and
/// what Braid writes back is byte for byte what PostgreSQL wrote.
#[test]
fn binary_copy_moves_rows_between_postgresql_and_braid() {
    let postgres = Postgres::start();
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let schema = "CREATE TABLE bin (i INTEGER, s SMALLINT, b BIGINT, r REAL, d DOUBLE PRECISION, t TEXT, \
                  v VARCHAR(10), ok BOOLEAN, day DATE, at TIMESTAMP, atz TIMESTAMPTZ, n NUMERIC(12, 3), \
                  raw BYTEA, u UUID, j JSONB, span INTERVAL)";
    let rows = "INSERT INTO bin VALUES \
                (1, -2, 9000000000, 1.5, -2.25, 'héllo', 'ten chars!', true, '2024-02-29', \
                 '2024-01-02 03:04:05.678', '1999-12-31 23:59:59+00', 123456789.125, '\\x00ff10', \
                 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '1 year 2 mons 3 days 04:05:06'), \
                (NULL, NULL, NULL, NULL, NULL, '', NULL, false, NULL, NULL, NULL, -0.5, '\\x', NULL, 'null', '-1 day')";
    let from_postgres = dir.path().join("pg.bin");
    let from_braid = dir.path().join("braid.bin");
    psql_on(postgres.port, &["-q", "-c", schema, "-c", rows]);
    psql_on(postgres.port, &["-c", &format!("\\copy bin TO '{}' WITH (FORMAT binary)", from_postgres.display())]);
    psql(&server, &["-q", "-c", schema]);
    let out = psql(&server, &["-c", &format!("\\copy bin FROM '{}' WITH (FORMAT binary)", from_postgres.display())]);
    assert!(out.contains("COPY 2"), "{out}");
    let out = psql(&server, &["-c", &format!("\\copy bin TO '{}' (FORMAT binary)", from_braid.display())]);
    assert!(out.contains("COPY 2"), "{out}");
    assert_eq!(std::fs::read(&from_braid).unwrap(), std::fs::read(&from_postgres).unwrap());
    let text = |port| psql_on(port, &["-At", "-c", "SELECT * FROM bin ORDER BY i NULLS LAST"]);
    assert_eq!(text(server.addr.port()), text(postgres.port));
    // PostgreSQL's refusals of text options in binary mode.
    let out = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &server.addr.port().to_string(), "-U", "braid", "-d", "braid"])
        .args(["-c", "COPY bin TO STDOUT WITH (FORMAT binary, DELIMITER ',')"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot specify DELIMITER in BINARY mode"), "{out:?}");
}

#[test]
fn psql_connects_over_tls_when_the_server_has_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl makes the test certificate");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let server = Server::start(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    let out = Command::new("psql")
        .arg(format!("host={} port={} user=braid dbname=braid sslmode=require", server.addr.ip(), server.addr.port()))
        .args(["-X", "-At", "-c", "SELECT 40 + 2", "-c", "\\conninfo"])
        .output()
        .expect("psql is needed: apt-get install postgresql-client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("42\n"), "{stdout}");
    assert!(stdout.contains("SSL connection (protocol: TLSv1.3"), "{stdout}");
}

#[test]
fn psql_reports_errors_with_their_message() {
    let server = Server::start(&[]);
    let out = Command::new("psql")
        .args(["-X", "-h", &server.addr.ip().to_string(), "-p", &server.addr.port().to_string()])
        .args(["-U", "braid", "-d", "braid", "-c", "SELECT * FROM missing"])
        .output()
        .expect("psql is needed: apt-get install postgresql-client");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ERROR:  relation \"missing\" does not exist"), "{stderr}");
}

/// Drives an interactive psql through a pseudo-terminal: types `input`, presses Tab twice,
/// and returns what psql echoed and listed (its readline completion, which reads the
/// server's catalogs).
const COMPLETE: &str = r#"
import os, pty, select, sys, time
port, text = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["PAGER"] = "cat"
    os.execvp("psql", ["psql", "-X", f"host=127.0.0.1 port={port} user=braid dbname=braid"])
def read(quiet):
    out, last = b"", time.time()
    while time.time() - last < quiet:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            out, last = out + chunk, time.time()
    return out
read(1.0)
os.write(fd, text.encode() + b"\t\t")
sys.stdout.write(read(0.8).decode(errors="replace"))
os.write(fd, b"\x03\\q\n")
read(0.3)
"#;

fn completion(port: u16, input: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("complete.py");
    std::fs::write(&script, COMPLETE).unwrap();
    let out = Command::new("python3").arg(&script).arg(port.to_string()).arg(input).output().expect("python3");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn psql_tab_completion_offers_what_postgresql_15_offers() {
    let postgres = Postgres::start();
    let server = Server::start(&[]);
    let schema = "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT, born DATE);
                  CREATE TABLE authorships (author_id INTEGER REFERENCES authors (id), book TEXT);
                  CREATE INDEX authorships_book ON authorships (book);
                  CREATE VIEW author_names AS SELECT name FROM authors;
                  CREATE SEQUENCE author_numbers;
                  CREATE SCHEMA shop;
                  CREATE TABLE shop.items (id SERIAL PRIMARY KEY, sku TEXT);
                  CREATE ROLE auditor;";
    for port in [postgres.port, server.addr.port()] {
        psql_on(port, &["-q", "-c", schema]);
    }
    for input in [
        "SELECT * FROM auth",
        "SELECT * FROM shop.",
        "SELECT * FROM sh",
        "INSERT INTO authors (",
        "UPDATE authorships SET ",
        "\\d author",
        "DROP INDEX auth",
        "DROP SEQUENCE auth",
        "DROP VIEW auth",
        "DROP SCHEMA ",
        "ALTER TABLE authorships ",
        "GRANT SELECT ON authors TO aud",
        "SELECT name FROM authors WHERE ",
    ] {
        let expected = completion(postgres.port, input);
        let got = completion(server.addr.port(), input);
        assert_eq!(got, expected, "completing {input:?} differs from PostgreSQL 15's");
    }
}
