//! The embedded API as an application uses it: connections, parameters, prepared
//! statements, transactions, typed getters, errors, and many connections across threads.

use braid::{Database, Error, Value};

fn db() -> Database {
    let db = Database::open_in_memory().unwrap();
    db.connect()
        .execute_batch(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER CHECK (age >= 0), score REAL);
             INSERT INTO people VALUES (1, 'ann', 31, 1.5), (2, 'bob', 27, NULL), (3, 'cy', 45, 3.25)",
        )
        .unwrap();
    db
}

#[test]
fn parameters_by_position_anonymous_and_name() {
    let db = db();
    let mut conn = db.connect();
    let by_dollar: String = conn.query_row("SELECT name FROM people WHERE id = $1", [2], |r| r.get(0)).unwrap();
    let by_question: String =
        conn.query_row("SELECT name FROM people WHERE id = ? AND age > ?", (3, 40), |r| r.get(0)).unwrap();
    let by_name: i64 = conn
        .query_row("SELECT age FROM people WHERE name = :who", &[(":who", &"ann" as &dyn braid::ToValue)][..], |r| {
            r.get("age")
        })
        .unwrap();
    assert_eq!((by_dollar.as_str(), by_question.as_str(), by_name), ("bob", "cy", 31));
    // `?` counts in text order, though the SELECT list is bound after FROM and WHERE.
    let sum: i64 = conn.query_row("SELECT ? + age FROM people WHERE id = ?", (100, 1), |r| r.get(0)).unwrap();
    assert_eq!(sum, 131);
    assert!(matches!(conn.query("SELECT $2", [1]), Err(Error::InvalidInput(m)) if m.contains("$2")));
}

#[test]
fn prepared_statements_run_many_times_and_follow_schema_changes() {
    let db = db();
    let mut conn = db.connect();
    {
        let mut insert = conn.prepare("INSERT INTO people (name, age) VALUES ($1, $2)").unwrap();
        for i in 0..100 {
            assert_eq!(insert.execute((format!("p{i}"), i)).unwrap(), 1);
        }
    }
    let count: i64 = conn.query_row("SELECT count(*) FROM people", (), |r| r.get(0)).unwrap();
    assert_eq!(count, 103);
    let mut select = conn.prepare("SELECT * FROM people WHERE id = $1").unwrap();
    assert_eq!(select.query([1]).unwrap().next().unwrap().unwrap().len(), 4);
    // Another connection changes the table: the prepared plan is made again.
    db.connect().execute("ALTER TABLE people ADD COLUMN city TEXT DEFAULT 'x'", ()).unwrap();
    let row = select.query([1]).unwrap().next().unwrap().unwrap();
    assert_eq!(row.values().last(), Some(&Value::Text("x".into())));
}

#[test]
fn typed_getters_convert_and_refuse() {
    let db = db();
    let mut conn = db.connect();
    let row = conn
        .query("SELECT id, name, score, NULL AS nothing FROM people WHERE id = 1", ())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), 1);
    assert_eq!(row.get::<String>("name").unwrap(), "ann");
    assert_eq!(row.get::<f64>("score").unwrap(), 1.5);
    assert_eq!(row.get::<Option<i64>>("nothing").unwrap(), None);
    assert!(row.get::<i64>("name").is_err());
    assert!(matches!(row.get::<i64>("nope"), Err(Error::NotFound { .. })));
    assert!(row.get::<i64>(9).is_err());
}

#[test]
fn transactions_commit_roll_back_and_roll_back_on_drop() {
    let db = db();
    let mut conn = db.connect();
    {
        let mut tx = conn.transaction().unwrap();
        tx.execute("DELETE FROM people", ()).unwrap();
        // Dropped without commit.
    }
    let count = |conn: &mut braid::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM people", (), |r| r.get(0)).unwrap()
    };
    assert_eq!(count(&mut conn), 3);
    let mut tx = conn.transaction().unwrap();
    tx.execute("DELETE FROM people WHERE id = 1", ()).unwrap();
    tx.commit().unwrap();
    assert_eq!(count(&mut conn), 2);
    conn.execute_batch("BEGIN; DELETE FROM people; ROLLBACK").unwrap();
    assert_eq!(count(&mut conn), 2);
}

#[test]
fn a_failed_statement_in_a_transaction_undoes_only_itself() {
    let db = db();
    let mut conn = db.connect();
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO people (id, name, age) VALUES (10, 'dee', 20)", ()).unwrap();
    // The second row breaks the CHECK: the whole statement goes, the first row too.
    let err =
        conn.execute("INSERT INTO people (id, name, age) VALUES (11, 'eve', 1), (12, 'fay', -1)", ()).unwrap_err();
    assert!(matches!(&err, Error::Constraint { kind: braid::ConstraintKind::Check, .. }), "{err}");
    assert_eq!(err.sqlstate(), "23514");
    conn.execute("SAVEPOINT s", ()).unwrap();
    conn.execute("DELETE FROM people WHERE id = 10", ()).unwrap();
    conn.execute("ROLLBACK TO s", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    let ids: Vec<i64> =
        conn.query("SELECT id FROM people ORDER BY id", ()).unwrap().map(|r| r.unwrap().get(0).unwrap()).collect();
    assert_eq!(ids, vec![1, 2, 3, 10]);
}

#[test]
fn errors_name_what_failed() {
    let db = db();
    let mut conn = db.connect();
    match conn.query("SELECT 1;\nSELECT name FROM people WHERE", ()) {
        Err(Error::Syntax { line, column, .. }) => assert_eq!((line, column > 0), (2, true)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(
        matches!(conn.query("SELECT * FROM nobody", ()), Err(Error::NotFound { kind: "table", name }) if name == "nobody")
    );
    assert!(
        matches!(conn.query("SELECT nope FROM people", ()), Err(Error::NotFound { kind: "column", name }) if name == "nope")
    );
    let err = conn.execute("INSERT INTO people (id, name) VALUES (1, 'dup')", ()).unwrap_err();
    assert!(matches!(&err, Error::Constraint { kind: braid::ConstraintKind::Unique, .. }), "{err}");
    assert_eq!(err.sqlstate(), "23505");
    let err = conn.execute("INSERT INTO people (id) VALUES (99)", ()).unwrap_err();
    assert!(err.to_string().contains("not-null") && err.to_string().contains("name"), "{err}");
    assert_eq!(err.sqlstate(), "23502");
    let err = conn.query("SELECT sum(x) FROM (VALUES (9223372036854775807), (1)) AS v(x)", ()).unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
    assert_eq!(err.sqlstate(), "22003");
    let err = conn.execute("INSERT INTO people (id, name, age) VALUES (50, 'x', 'old')", ()).unwrap_err();
    // PostgreSQL: text that does not spell a number is 22P02 (invalid text representation).
    assert!(matches!(&err, Error::Data { kind: braid::DataError::InvalidTextRepresentation, .. }), "{err}");
    assert_eq!(err.sqlstate(), "22P02");
    // Nothing of the failed statements is left.
    let count: i64 = conn.query_row("SELECT count(*) FROM people", (), |r| r.get(0)).unwrap();
    assert_eq!(count, 3);
}

#[test]
fn connections_on_threads_see_committed_snapshots() {
    let db = db();
    let mut reader = db.connect();
    reader.execute("BEGIN READ ONLY", ()).unwrap();
    let before: i64 = reader.query_row("SELECT count(*) FROM people", (), |r| r.get(0)).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut conn = db.connect();
                for i in 0..25 {
                    conn.execute("INSERT INTO people (name, age) VALUES ($1, $2)", (format!("t{t}-{i}"), i)).unwrap();
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    // The open transaction still sees its snapshot; a new statement sees every commit.
    let during: i64 = reader.query_row("SELECT count(*) FROM people", (), |r| r.get(0)).unwrap();
    reader.execute("COMMIT", ()).unwrap();
    let after: i64 = reader.query_row("SELECT count(*) FROM people", (), |r| r.get(0)).unwrap();
    assert_eq!((before, during, after), (3, 3, 103));
    assert!(matches!(
        reader.execute("BEGIN READ ONLY; INSERT INTO people (name) VALUES ('z')", ()),
        Err(Error::ReadOnly)
    ));
}

#[test]
fn explain_shows_the_plan_and_analyze_adds_rows_and_time() {
    let db = db();
    let mut conn = db.connect();
    conn.execute("CREATE INDEX people_age ON people (age)", ()).unwrap();
    let lines = |conn: &mut braid::Connection, sql: &str| -> Vec<String> {
        conn.query(sql, ()).unwrap().map(|r| r.unwrap().get::<String>(0).unwrap()).collect()
    };
    let plan = lines(&mut conn, "EXPLAIN SELECT name FROM people WHERE age = 27");
    assert!(plan.iter().any(|l| l.contains("IndexScan: people USING people_age")), "{plan:#?}");
    let analyzed = lines(&mut conn, "EXPLAIN ANALYZE SELECT name FROM people WHERE age > 30");
    assert!(analyzed.iter().any(|l| l.contains("rows=2") && l.contains("time=")), "{analyzed:#?}");
}

#[test]
fn a_running_statement_stops_on_interrupt_or_timeout_and_undoes_its_writes() {
    let db = braid::Database::open_in_memory().unwrap();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE n (x INTEGER PRIMARY KEY); \
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO n SELECT x FROM c; \
         CREATE TABLE out (v INTEGER)",
    )
    .unwrap();
    // Minutes of work unless stopped; it writes as it goes.
    let long = "INSERT INTO out SELECT a.x FROM n a, n b WHERE a.x + b.x < 0";

    conn.set_statement_timeout(Some(std::time::Duration::from_millis(100)));
    let started = std::time::Instant::now();
    let err = conn.execute(long, ()).unwrap_err();
    assert!(matches!(err, braid::Error::Cancelled { timeout: true }), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    conn.set_statement_timeout(None);

    let handle = conn.interrupt_handle();
    let interrupter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        handle.interrupt();
    });
    let err = conn.execute(long, ()).unwrap_err();
    assert!(matches!(err, braid::Error::Cancelled { timeout: false }), "{err}");
    assert_eq!(err.to_string(), "canceling statement due to user request");
    interrupter.join().unwrap();

    // An interrupt before a statement starts does not stop it; nothing was written.
    conn.interrupt_handle().interrupt();
    let n: i64 = conn.query_row("SELECT count(*) FROM out", (), |r| r.get(0)).unwrap();
    assert_eq!(n, 0);

    // A hash join whose few left rows each join every right row (4e8 rows) stops too,
    // though its left input hands it rows far apart.
    conn.execute_batch("CREATE TABLE k (x INTEGER, one INTEGER); INSERT INTO k SELECT x, 1 FROM n").unwrap();
    conn.set_statement_timeout(Some(std::time::Duration::from_millis(100)));
    let started = std::time::Instant::now();
    let err = conn.query("SELECT count(*) FROM k a JOIN k b ON a.one = b.one", ()).unwrap_err();
    assert!(matches!(err, braid::Error::Cancelled { timeout: true }), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// Two transactions that each look fine alone: one adds a child row referencing a parent,
/// the other deletes that parent. Under snapshot isolation neither sees the other's write,
/// so without more both would commit and leave an orphan. Each foreign-key check declares
/// what it relied on, so whichever commits second fails with a serialization error (40001),
/// in either order.
#[test]
fn concurrent_child_insert_and_parent_delete_cannot_both_commit() {
    for child_first in [true, false] {
        let db = Database::open_in_memory().unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
                 CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p, code TEXT REFERENCES p (code));
                 INSERT INTO p VALUES (1, 'a'), (2, 'b')",
            )
            .unwrap();
        let (mut child, mut parent) = (db.connect(), db.connect());
        child.execute_batch("BEGIN; INSERT INTO c VALUES (1, 1, 'b')").unwrap();
        parent.execute_batch("BEGIN; DELETE FROM p WHERE id = 1").unwrap();
        let (first, second) = if child_first { (&mut child, &mut parent) } else { (&mut parent, &mut child) };
        first.execute_batch("COMMIT").unwrap();
        let err = second.execute_batch("COMMIT").unwrap_err();
        assert!(err.is_retryable(), "{err}");
        let orphans: i64 = db
            .connect()
            .query_row("SELECT count(*) FROM c WHERE pid NOT IN (SELECT id FROM p)", (), |r| r.get(0))
            .unwrap();
        assert_eq!(orphans, 0);
    }
}

/// A prepared single-row INSERT run inside a transaction moves its parameters into the
/// row rather than copying them, when each value is a different parameter: the rows must
/// be the same as when they are copied (a parameter used twice, in another order, or inside
/// an expression), and a row refused by a constraint must not spoil the next execution.
#[test]
fn prepared_inserts_in_a_transaction_write_their_parameters_whether_moved_or_copied() {
    let db = db();
    let mut conn = db.connect();
    let mut tx = conn.transaction().unwrap();
    {
        let mut moved = tx.prepare("INSERT INTO people VALUES ($1, $2, $3, $4)").unwrap();
        moved.execute((10, "dee", 20, 2.5)).unwrap();
        assert!(moved.execute((11, "eve", -1, 0.5)).is_err(), "CHECK (age >= 0)");
        moved.execute((11, "eve", 22, 0.5)).unwrap();
    }
    let mut reordered = tx.prepare("INSERT INTO people (score, name, age, id) VALUES ($1, $2, $3, $4)").unwrap();
    reordered.execute((4.5, "fay", 33, 12)).unwrap();
    drop(reordered);
    tx.prepare("INSERT INTO people VALUES ($1, $2, $1, $3)").unwrap().execute((13, "gus", 1.0)).unwrap();
    tx.prepare("INSERT INTO people VALUES ($1 + 1, $2, $3, $4)").unwrap().execute((13, "hal", 40, 9.0)).unwrap();
    tx.commit().unwrap();
    let rows: Vec<(i64, String, i64, f64)> = conn
        .query("SELECT id, name, age, score FROM people WHERE id >= 10 ORDER BY id", ())
        .unwrap()
        .map(|r| r.unwrap())
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap(), r.get(3).unwrap()))
        .collect();
    let expected =
        [(10, "dee", 20, 2.5), (11, "eve", 22, 0.5), (12, "fay", 33, 4.5), (13, "gus", 13, 1.0), (14, "hal", 40, 9.0)];
    let expected: Vec<(i64, String, i64, f64)> =
        expected.iter().map(|&(id, name, age, score)| (id, name.to_string(), age, score)).collect();
    assert_eq!(rows, expected);
}

/// A projection of an index or table scan under LIMIT and OFFSET runs fused, its rows
/// sharing one block of values: each row must still read as its own, outlive the
/// iterator, and move out whole.
#[test]
fn rows_of_a_fused_scan_read_as_their_own() {
    let db = db();
    let mut conn = db.connect();
    conn.execute("CREATE INDEX people_age ON people (age)", ()).unwrap();
    let rows: Vec<braid::Row> = conn
        .query("SELECT name, id FROM people ORDER BY age LIMIT 2 OFFSET 1", ())
        .unwrap()
        .collect::<braid::Result<_>>()
        .unwrap();
    let names: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0).unwrap(), r.get("id").unwrap())).collect();
    assert_eq!(names, [("ann".to_string(), 1), ("cy".to_string(), 3)]);
    assert_eq!(rows[1].clone().into_values(), [Value::Text("cy".into()), Value::Integer(3)]);
    assert_eq!(format!("{:?}", rows[0]), r#"Row { columns: ["name", "id"], values: [Text("ann"), Integer(1)] }"#);
    let mut by_id = conn.query("SELECT age, name FROM people WHERE id >= 2", ()).unwrap();
    let first = by_id.next().unwrap().unwrap();
    assert_eq!(first.len(), 2);
    // The rest moved out, the row already read still whole.
    assert_eq!(by_id.into_value_rows(), [vec![Value::Integer(45), Value::Text("cy".into())]]);
    assert_eq!(first.values(), [Value::Integer(27), Value::Text("bob".into())]);
    let none = conn.query("SELECT name FROM people ORDER BY age LIMIT 0", ()).unwrap();
    assert_eq!(none.count(), 0);
    let point: String = conn.query_row("SELECT name FROM people WHERE id = 3", (), |r| r.get(0)).unwrap();
    assert_eq!(point, "cy");
}
