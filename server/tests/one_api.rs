//! One API, embedded or remote: the same suite of `braid::Connection` cases runs on an
//! embedded connection (in memory, and on a data directory) and on a remote one
//! (`Connection::connect` to a `braid serve` started for the case). An application that
//! changes the line opening its connection should see no other difference, and this is
//! where that promise is checked.
//!
//! Each case is a function taking `&mut Connection` on a fresh, empty database; the
//! `suite!` macro makes one test of it per kind of connection (`memory::ddl_…`,
//! `disk::ddl_…`, `remote::ddl_…`).

mod common;

use std::time::Duration;

use braid::{Connection, Error, Value};
use common::Server;

/// A remote connection to `server`, by URL as an application would write it.
fn remote(server: &Server) -> Connection {
    Connection::connect(&format!("postgres://braid@{}/braid", server.addr)).expect("connect to braid serve")
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $case() {
                super::$case(&mut braid::Connection::open_in_memory().unwrap());
            })*
        }
        mod disk {
            $(#[test]
            fn $case() {
                let dir = tempfile::tempdir().unwrap();
                super::$case(&mut braid::Connection::open(dir.path().join("data")).unwrap());
            })*
        }
        mod remote {
            $(#[test]
            fn $case() {
                let server = super::Server::start(&[]);
                super::$case(&mut super::remote(&server));
            })*
        }
    };
}

suite!(
    ddl_then_parameters_of_every_type_and_typed_getters,
    nulls_in_and_out,
    a_prepared_statement_runs_many_times,
    a_transaction_commits,
    a_transaction_rolls_back_on_drop_and_on_request,
    errors_name_what_failed_and_leave_the_connection_usable,
    query_row_without_rows_is_not_found,
    execute_counts_changed_rows,
    a_statement_stops_on_timeout_or_interrupt,
);

const TABLE: &str =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, b BOOLEAN, i INTEGER, r REAL, s TEXT, x BLOB, ts TIMESTAMP)";

fn count(conn: &mut Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), (), |r| r.get(0)).unwrap()
}

fn ddl_then_parameters_of_every_type_and_typed_getters(conn: &mut Connection) {
    conn.execute_batch(TABLE).unwrap();
    conn.execute_batch("CREATE INDEX t_i ON t (i)").unwrap();
    let ts = 1_764_435_723_123_456; // 2025-11-29 17:02:03.123456 UTC, in microseconds
    let first_row = vec![
        Value::Integer(1),
        Value::Boolean(true),
        Value::Integer(-42),
        Value::Real(2.5),
        Value::Text("héllo".into()),
        Value::Blob(vec![0, 255, 7]),
        Value::Timestamp(ts),
    ];
    let n = conn.execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)", first_row.clone()).unwrap();
    assert_eq!(n, 1);
    // `?` placeholders and Rust values through tuples.
    let n = conn
        .execute("INSERT INTO t (id, b, i, r, s, x) VALUES (?, ?, ?, ?, ?, ?)", (2, false, 7, -0.25, "two", vec![1u8]))
        .unwrap();
    assert_eq!(n, 1);

    let mut rows = conn.query("SELECT id, b, i, r, s, x, ts FROM t ORDER BY id", ()).unwrap();
    assert_eq!(rows.columns(), ["id", "b", "i", "r", "s", "x", "ts"]);
    let first = rows.next().unwrap().unwrap();
    assert_eq!(first.values(), first_row);
    // By index and by name (any case), converted to Rust types.
    assert_eq!(first.get::<i64>(0).unwrap(), 1);
    assert!(first.get::<bool>("b").unwrap());
    assert_eq!(first.get::<i32>("I").unwrap(), -42);
    assert_eq!(first.get::<f64>(3).unwrap(), 2.5);
    assert_eq!(first.get::<String>("s").unwrap(), "héllo");
    assert_eq!(first.get::<Vec<u8>>("x").unwrap(), [0, 255, 7]);
    assert_eq!(first.value("ts").unwrap(), &Value::Timestamp(ts));
    assert!(matches!(first.get::<i64>("nope"), Err(Error::NotFound { kind: "column", .. })));
    assert!(first.get::<i64>(9).is_err());
    assert!(first.get::<i64>("s").is_err());
    let second = rows.next().unwrap().unwrap();
    assert_eq!((second.get::<bool>(1).unwrap(), second.get::<f64>("r").unwrap()), (false, -0.25));
    assert!(rows.next().is_none());

    // Parameters in WHERE, through the index, and a computed column.
    let s: String = conn.query_row("SELECT s FROM t WHERE i = $1", [7], |r| r.get(0)).unwrap();
    assert_eq!(s, "two");
    let sum: i64 = conn.query_row("SELECT i + ? AS total FROM t WHERE id = ?", (100, 1), |r| r.get("total")).unwrap();
    assert_eq!(sum, 58);
}

fn nulls_in_and_out(conn: &mut Connection) {
    conn.execute_batch(TABLE).unwrap();
    conn.execute("INSERT INTO t (id, i, s) VALUES ($1, $2, $3)", (1, None::<i64>, Some("x"))).unwrap();
    conn.execute(
        "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![Value::Integer(2), Value::Null, Value::Null, Value::Null, Value::Null, Value::Null, Value::Null],
    )
    .unwrap();
    let row = conn.query("SELECT * FROM t WHERE id = 2", ()).unwrap().next().unwrap().unwrap();
    assert!(row.values()[1..].iter().all(Value::is_null), "{row:?}");
    assert_eq!(row.get::<Option<i64>>("i").unwrap(), None);
    assert_eq!(row.get::<Option<String>>("s").unwrap(), None);
    assert!(row.get::<i64>("i").is_err(), "NULL is not an i64");
    let (i, s): (Option<i64>, Option<String>) =
        conn.query_row("SELECT i, s FROM t WHERE id = 1", (), |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((i, s.as_deref()), (None, Some("x")));
    let nulls: i64 = conn.query_row("SELECT count(*) FROM t WHERE i IS NULL", (), |r| r.get(0)).unwrap();
    assert_eq!(nulls, 2);
}

fn a_prepared_statement_runs_many_times(conn: &mut Connection) {
    conn.execute_batch("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, score REAL)").unwrap();
    {
        let mut insert = conn.prepare("INSERT INTO p VALUES ($1, $2, $3)").unwrap();
        for i in 0..300_i64 {
            // Every tenth score is NULL: the same statement takes both.
            let score = (i % 10 != 0).then_some(i as f64 / 2.0);
            assert_eq!(insert.execute((i, format!("n{i}"), score)).unwrap(), 1);
        }
    }
    assert_eq!(count(conn, "p"), 300);
    let mut select = conn.prepare("SELECT name, score FROM p WHERE id = $1").unwrap();
    for i in (0..300_i64).step_by(7) {
        let row = select.query([i]).unwrap().next().unwrap().unwrap();
        assert_eq!(row.get::<String>(0).unwrap(), format!("n{i}"));
        assert_eq!(row.get::<Option<f64>>("score").unwrap(), (i % 10 != 0).then_some(i as f64 / 2.0));
    }
    assert!(select.query([1000]).unwrap().next().is_none());
    // A value of another type than the parameter's inferred one: compared as embedded
    // compares it (by INTEGER affinity), through a second preparation remotely.
    for _ in 0..3 {
        let row = select.query(["7"]).unwrap().next().unwrap().unwrap();
        assert_eq!(row.get::<String>("name").unwrap(), "n7");
    }
    assert_eq!(select.query([7]).unwrap().count(), 1);
}

fn a_transaction_commits(conn: &mut Connection) {
    conn.execute_batch("CREATE TABLE a (x INTEGER)").unwrap();
    assert!(conn.is_autocommit());
    let mut tx = conn.transaction().unwrap();
    assert!(!tx.is_autocommit());
    tx.execute("INSERT INTO a VALUES ($1)", [1]).unwrap();
    tx.execute("INSERT INTO a VALUES ($1)", [2]).unwrap();
    assert_eq!(count(&mut tx, "a"), 2, "a transaction sees its own writes");
    tx.commit().unwrap();
    assert!(conn.is_autocommit());
    assert_eq!(count(conn, "a"), 2);
    // BEGIN and COMMIT as statements work too.
    conn.execute_batch("BEGIN; INSERT INTO a VALUES (3)").unwrap();
    assert!(!conn.is_autocommit());
    conn.execute("COMMIT", ()).unwrap();
    assert!(conn.is_autocommit());
    assert_eq!(count(conn, "a"), 3);
}

fn a_transaction_rolls_back_on_drop_and_on_request(conn: &mut Connection) {
    conn.execute_batch("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (0)").unwrap();
    {
        let mut tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO a VALUES (1)", ()).unwrap();
        tx.execute("DELETE FROM a WHERE x = 0", ()).unwrap();
        // Dropped without commit.
    }
    assert!(conn.is_autocommit());
    assert_eq!(conn.query_row("SELECT x FROM a", (), |r| r.get::<i64>(0)).unwrap(), 0);
    let mut tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO a VALUES (2)", ()).unwrap();
    tx.rollback().unwrap();
    assert_eq!(count(conn, "a"), 1);
    // The connection begins the next transaction normally.
    let mut tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO a VALUES (3)", ()).unwrap();
    tx.commit().unwrap();
    assert_eq!(count(conn, "a"), 2);
}

fn errors_name_what_failed_and_leave_the_connection_usable(conn: &mut Connection) {
    conn.execute_batch(
        "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, age INTEGER CHECK (age >= 0))",
    )
    .unwrap();
    conn.execute("INSERT INTO u VALUES (1, 'ann', 30)", ()).unwrap();

    let err = conn.query("SELECT * FROM nope", ()).unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "table", name } if name == "nope"), "{err:?}");
    assert_eq!(err.to_string(), "relation \"nope\" does not exist");
    let err = conn.execute("INSERT INTO nope VALUES ($1)", [1]).unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "table", .. }), "{err:?}");
    let err = conn.query("SELECT nope FROM u", ()).unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "column", .. }), "{err:?}");

    for (sql, what) in [
        ("INSERT INTO u VALUES (1, 'bob', 1)", "23505"),
        ("INSERT INTO u VALUES (2, 'ann', 1)", "23505"),
        ("INSERT INTO u VALUES (3, NULL, 1)", "23502"),
        ("INSERT INTO u VALUES (4, 'cy', -1)", "23514"),
    ] {
        let err = conn.execute(sql, ()).unwrap_err();
        assert!(matches!(&err, Error::Constraint { .. }) && err.sqlstate() == what, "{sql}: {err:?}");
    }
    let err = conn.execute("CREATE TABLE u (x INTEGER)", ()).unwrap_err();
    assert!(matches!(&err, Error::AlreadyExists { kind: "table", name } if name == "u"), "{err:?}");
    let err = conn.execute("SELEC 1", ()).unwrap_err();
    assert!(matches!(&err, Error::Syntax { .. }), "{err:?}");
    assert!(!err.is_retryable());

    // Nothing of the failed statements stayed, and the connection goes on.
    assert_eq!(count(conn, "u"), 1);
    conn.execute("INSERT INTO u VALUES ($1, $2, $3)", (2, "bob", 41)).unwrap();
    assert_eq!(count(conn, "u"), 2);
    // After a failed statement in a transaction, ROLLBACK ends it (on both kinds; a server
    // refuses other statements until then, as PostgreSQL does).
    let mut tx = conn.transaction().unwrap();
    assert!(tx.execute("INSERT INTO u VALUES (1, 'dup', 1)", ()).is_err());
    tx.rollback().unwrap();
    assert_eq!(count(conn, "u"), 2);
}

fn query_row_without_rows_is_not_found(conn: &mut Connection) {
    conn.execute_batch("CREATE TABLE e (x INTEGER)").unwrap();
    let err = conn.query_row("SELECT x FROM e WHERE x = $1", [1], |r| r.get::<i64>(0)).unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "row", .. }), "{err:?}");
    assert_eq!(conn.query("SELECT x FROM e", ()).unwrap().count(), 0);
    assert_eq!(conn.query("SELECT x FROM e", ()).unwrap().columns(), ["x"]);
}

fn execute_counts_changed_rows(conn: &mut Connection) {
    conn.execute_batch("CREATE TABLE c (x INTEGER); INSERT INTO c VALUES (1), (2), (3)").unwrap();
    assert_eq!(conn.execute("UPDATE c SET x = x * 10 WHERE x >= $1", [2]).unwrap(), 2);
    assert_eq!(conn.execute("UPDATE c SET x = x + 1", ()).unwrap(), 3);
    // The last statement's count; statements returning rows change none.
    assert_eq!(conn.execute("INSERT INTO c VALUES (7); DELETE FROM c WHERE x > 20", ()).unwrap(), 2);
    assert_eq!(conn.execute("SELECT * FROM c", ()).unwrap(), 0);
    assert_eq!(conn.execute("CREATE TABLE d (y INTEGER)", ()).unwrap(), 0);
    assert_eq!(count(conn, "c"), 2);
}

fn a_statement_stops_on_timeout_or_interrupt(conn: &mut Connection) {
    conn.execute_batch(
        "CREATE TABLE n (x INTEGER PRIMARY KEY); \
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO n SELECT x FROM c; \
         CREATE TABLE out (v INTEGER)",
    )
    .unwrap();
    // Minutes of work unless stopped; it writes as it goes.
    let long = "INSERT INTO out SELECT a.x FROM n a, n b WHERE a.x + b.x < 0";

    conn.set_statement_timeout(Some(Duration::from_millis(100)));
    let err = conn.execute(long, ()).unwrap_err();
    assert!(matches!(err, Error::Cancelled { timeout: true }), "{err:?}");
    conn.set_statement_timeout(None);

    let handle = conn.interrupt_handle();
    let interrupter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        handle.interrupt();
    });
    let err = conn.execute(long, ()).unwrap_err();
    assert!(matches!(err, Error::Cancelled { timeout: false }), "{err:?}");
    assert_eq!(err.to_string(), "canceling statement due to user request");
    interrupter.join().unwrap();
    assert_eq!(count(conn, "out"), 0);
}

/// The same failing statements give the same error, printed the same, on both kinds.
#[test]
fn errors_print_the_same_embedded_and_remote() {
    let server = Server::start(&[]);
    let setup = "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, age INTEGER CHECK (age >= 0)); \
                 INSERT INTO u VALUES (1, 'ann', 30)";
    let failing = [
        "SELECT * FROM nope",
        "SELECT nope FROM u",
        "INSERT INTO u VALUES (1, 'bob', 1)",
        "INSERT INTO u VALUES (2, 'ann', 1)",
        "INSERT INTO u VALUES (3, NULL, 1)",
        "INSERT INTO u VALUES (4, 'cy', -1)",
        "CREATE TABLE u (x INTEGER)",
        "SELEC 1",
        "SELECT 1 FROM u WHERE",
    ];
    let mut embedded = Connection::open_in_memory().unwrap();
    let mut remote = remote(&server);
    embedded.execute_batch(setup).unwrap();
    remote.execute_batch(setup).unwrap();
    for sql in failing {
        let (a, b) = (embedded.execute(sql, ()).unwrap_err(), remote.execute(sql, ()).unwrap_err());
        assert_eq!(a.to_string(), b.to_string(), "{sql}");
        assert_eq!(std::mem::discriminant(&a), std::mem::discriminant(&b), "{sql}: {a:?} vs {b:?}");
    }
}

/// What only a remote connection does: refuse what is embedded-only, and fail to connect
/// with an error rather than a panic.
#[test]
fn remote_refuses_embedded_only_calls_with_errors() {
    let server = Server::start(&[]);
    let mut conn = remote(&server);
    assert!(conn.is_remote() && conn.database().is_none());
    assert!(matches!(conn.prepare_all("SELECT 1"), Err(Error::Unsupported(_))));
    let named = conn.query("SELECT :x", &[(":x", &1 as &dyn braid::ToValue)][..]);
    assert!(matches!(named, Err(Error::Unsupported(_))));
    assert_eq!(conn.query_row("SELECT 1 + 1", (), |r| r.get::<i64>(0)).unwrap(), 2);
    // A query is one statement remotely (the extended protocol's unit).
    assert!(conn.query("SELECT 1; SELECT 2", ()).is_err());
    // A failed statement fails the open transaction until it ends (PostgreSQL's rule).
    let mut tx = conn.transaction().unwrap();
    assert!(tx.execute("SELECT * FROM nope", ()).is_err());
    let err = tx.execute("SELECT 1", ()).unwrap_err();
    assert!(matches!(&err, Error::Remote { code, .. } if code == "25P02"), "{err:?}");
    drop(tx);
    assert!(conn.is_autocommit());
    assert_eq!(conn.query_row("SELECT 2", (), |r| r.get::<i64>(0)).unwrap(), 2);

    let embedded = Connection::open_in_memory().unwrap();
    assert!(!embedded.is_remote() && embedded.database().is_some());

    drop(conn);
    drop(server);
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let err = Connection::connect(&format!("postgres://braid@{free}/braid")).unwrap_err();
    assert!(matches!(&err, Error::Remote { code, .. } if code == "08001"), "{err:?}");
    assert!(matches!(Connection::connect("postgres://[nonsense"), Err(Error::InvalidInput(_))));
}
