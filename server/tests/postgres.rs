//! `braid serve` driven by tokio-postgres, a real PostgreSQL driver: the simple and the
//! extended protocol, every type in text and binary format, prepared statements reused,
//! transactions across statements, errors and their SQLSTATEs, restarts.

mod common;

use std::time::{Duration, SystemTime};

use common::Server;
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::SqlState;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The rows of a simple query, as text.
async fn simple_rows(client: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = client.simple_query(sql).await.unwrap();
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect()),
            _ => None,
        })
        .collect()
}

#[test]
fn simple_protocol_runs_scripts_and_reports_row_counts() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        let messages = client
            .simple_query(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, ok BOOLEAN); \
                 INSERT INTO t VALUES (1, 'one', 1.5, true), (2, NULL, -2.0, false); \
                 UPDATE t SET score = score * 2 WHERE id = 1",
            )
            .await
            .unwrap();
        let counts: Vec<u64> = messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .collect();
        assert_eq!(counts, [0, 2, 1]);
        let rows = simple_rows(&client, "SELECT id, name, score, ok FROM t ORDER BY id").await;
        assert_eq!(
            rows,
            [
                vec![Some("1".into()), Some("one".into()), Some("3".into()), Some("t".into())],
                vec![Some("2".into()), None, Some("-2".into()), Some("f".into())],
            ]
        );
    });
}

#[test]
fn every_type_round_trips_in_binary_and_text() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE v (id BIGINT PRIMARY KEY, b BOOLEAN, i BIGINT, r DOUBLE PRECISION, t TEXT, x BYTEA, ts TIMESTAMPTZ)",
            )
            .await
            .unwrap();
        let ts = SystemTime::UNIX_EPOCH + Duration::from_micros(1_764_435_723_123_456);
        let insert = client.prepare("INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7)").await.unwrap();
        let n = client
            .execute(&insert, &[&1_i64, &true, &-42_i64, &2.25_f64, &"héllo", &vec![0_u8, 255, 7], &ts])
            .await
            .unwrap();
        assert_eq!(n, 1);
        client
            .execute(
                &insert,
                &[
                    &2_i64,
                    &None::<bool>,
                    &None::<i64>,
                    &None::<f64>,
                    &None::<&str>,
                    &None::<Vec<u8>>,
                    &None::<SystemTime>,
                ],
            )
            .await
            .unwrap();

        // Binary results (tokio-postgres asks for binary).
        let row = client.query_one("SELECT b, i, r, t, x, ts FROM v WHERE id = $1", &[&1_i64]).await.unwrap();
        assert!(row.get::<_, bool>(0));
        assert_eq!(row.get::<_, i64>(1), -42);
        assert_eq!(row.get::<_, f64>(2), 2.25);
        assert_eq!(row.get::<_, &str>(3), "héllo");
        assert_eq!(row.get::<_, Vec<u8>>(4), vec![0, 255, 7]);
        assert_eq!(row.get::<_, SystemTime>(5), ts);
        let row = client.query_one("SELECT b, i, r, t, x, ts FROM v WHERE id = 2", &[]).await.unwrap();
        assert_eq!(row.get::<_, Option<bool>>(0), None);
        assert_eq!(row.get::<_, Option<i64>>(1), None);
        assert_eq!(row.get::<_, Option<SystemTime>>(5), None);

        // Text results.
        let rows = simple_rows(&client, "SELECT b, i, r, t, x, ts FROM v WHERE id = 1").await;
        assert_eq!(
            rows[0],
            ["t", "-42", "2.25", "héllo", "\\x00ff07", "2025-11-29 17:02:03.123456+00"].map(|s| Some(s.to_string()))
        );

        // Parameter types inferred at Describe time.
        let stmt = client.prepare("SELECT t FROM v WHERE i = $1 AND r > $2").await.unwrap();
        assert_eq!(stmt.params(), [tokio_postgres::types::Type::INT8, tokio_postgres::types::Type::FLOAT8]);
        let row = client.query_one(&stmt, &[&-42_i64, &2.0_f64]).await.unwrap();
        assert_eq!(row.get::<_, &str>(0), "héllo");
    });
}

/// Columns go out as the type they were declared with, as PostgreSQL sends them: a client
/// that decodes `integer` as a 4-byte int, `real` as a float4 and `date` as a day count reads
/// Braid's rows as it reads PostgreSQL's.
#[test]
fn declared_types_go_out_as_postgresql_types() {
    use tokio_postgres::types::Type;
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE d (id SERIAL PRIMARY KEY, s SMALLINT, i INT, r REAL, v VARCHAR(5), c CHAR(2), \
                 day DATE, ts TIMESTAMP, u UUID);\
                 INSERT INTO d (s, i, r, v, c, day, ts, u) VALUES (-3, 70000, 0.5, 'abc', 'x', '2024-02-29', \
                 '2024-02-29 10:30:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')",
            )
            .await
            .unwrap();
        let stmt =
            client.prepare("SELECT id, s, i, r, v, c, day, ts, u, i + 1, count(*) OVER () FROM d").await.unwrap();
        let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        assert_eq!(
            types,
            [
                Type::INT4,
                Type::INT2,
                Type::INT4,
                Type::FLOAT4,
                Type::VARCHAR,
                Type::BPCHAR,
                Type::DATE,
                Type::TIMESTAMP,
                Type::UUID,
                // integer + integer is an integer; count(*) a bigint.
                Type::INT4,
                Type::INT8
            ]
        );
        // Binary results.
        let row = client.query_one(&stmt, &[]).await.unwrap();
        assert_eq!((row.get::<_, i32>(0), row.get::<_, i16>(1), row.get::<_, i32>(2)), (1, -3, 70000));
        assert_eq!((row.get::<_, f32>(3), row.get::<_, &str>(4), row.get::<_, &str>(5)), (0.5, "abc", "x"));
        let day = SystemTime::UNIX_EPOCH + Duration::from_secs(19_782 * 86_400);
        assert_eq!(row.get::<_, SystemTime>(7), day + Duration::from_secs(10 * 3600 + 1800));
        // Text results.
        let rows = simple_rows(&client, "SELECT s, i, r, day, ts, u FROM d").await;
        assert_eq!(
            rows[0],
            ["-3", "70000", "0.5", "2024-02-29", "2024-02-29 10:30:00", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]
                .map(|s| Some(s.to_string()))
        );
        // Values outside the declared type are refused with PostgreSQL's codes.
        let err = client.batch_execute("INSERT INTO d (s) VALUES (40000)").await.unwrap_err();
        assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::NUMERIC_VALUE_OUT_OF_RANGE), "{err}");
        let err = client.batch_execute("INSERT INTO d (v) VALUES ('toolong')").await.unwrap_err();
        assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::STRING_DATA_RIGHT_TRUNCATION), "{err}");
    });
}

#[test]
fn time_columns_round_trip_in_binary_and_text() {
    use chrono::NaiveTime;
    use tokio_postgres::types::Type;
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE shift (id INT PRIMARY KEY, starts TIME, ends TIME(0))").await.unwrap();
        // A binary parameter (microseconds since midnight) goes in as a time …
        let at = NaiveTime::from_hms_micro_opt(13, 45, 30, 123_456).unwrap();
        let insert = client.prepare("INSERT INTO shift VALUES ($1, $2, $3)").await.unwrap();
        assert_eq!(insert.params(), &[Type::INT4, Type::TIME, Type::TIME]);
        client.execute(&insert, &[&1i32, &at, &NaiveTime::from_hms_milli_opt(9, 0, 0, 600).unwrap()]).await.unwrap();
        // … and comes back as one, in binary, typed `time`.
        let select =
            client.prepare("SELECT starts, ends, starts - time '12:00' FROM shift WHERE starts = $1").await.unwrap();
        assert_eq!(select.columns()[0].type_(), &Type::TIME);
        let row = client.query_one(&select, &[&at]).await.unwrap();
        assert_eq!(row.get::<_, NaiveTime>(0), at);
        // time(0) rounds to whole seconds.
        assert_eq!(row.get::<_, NaiveTime>(1), NaiveTime::from_hms_opt(9, 0, 1).unwrap());
        // Text results as PostgreSQL prints them.
        let rows = simple_rows(&client, "SELECT starts, ends, starts - time '12:00', time '24:00' FROM shift").await;
        assert_eq!(
            rows[0],
            ["13:45:30.123456", "09:00:01", "01:45:30.123456", "24:00:00"].map(|s| Some(s.to_string()))
        );
        let err = client.batch_execute("SELECT '25:00'::time").await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::DATETIME_FIELD_OVERFLOW), "{err}");
        let err = client.batch_execute("SELECT 'noon'::time").await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::INVALID_DATETIME_FORMAT), "{err}");
    });
}

#[test]
fn timestamptz_text_follows_the_session_time_zone_and_binary_stays_utc() {
    use chrono::{DateTime, Utc};
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE ev (id INT PRIMARY KEY, at TIMESTAMPTZ)").await.unwrap();
        client.batch_execute("SET TIME ZONE 'Europe/Berlin'").await.unwrap();
        // Text without an offset is local time in the session's zone: 12:00 in Berlin in
        // July is 10:00 UTC.
        client
            .batch_execute("INSERT INTO ev VALUES (1, '2024-07-01 12:00'), (2, '2024-01-15 12:00+00')")
            .await
            .unwrap();
        let rows = simple_rows(&client, "SELECT at, at::timestamp, at::date FROM ev ORDER BY id").await;
        assert_eq!(
            rows[0],
            ["2024-07-01 12:00:00+02", "2024-07-01 12:00:00", "2024-07-01"].map(|s| Some(s.to_string()))
        );
        assert_eq!(
            rows[1],
            ["2024-01-15 13:00:00+01", "2024-01-15 13:00:00", "2024-01-15"].map(|s| Some(s.to_string()))
        );
        assert_eq!(simple_rows(&client, "SHOW TimeZone").await[0], [Some("Europe/Berlin".to_string())]);
        // Binary results are the instant, as PostgreSQL sends them (UTC microseconds).
        let row = client.query_one("SELECT at FROM ev WHERE id = 1", &[]).await.unwrap();
        let expected: DateTime<Utc> = "2024-07-01T10:00:00Z".parse().unwrap();
        assert_eq!(row.get::<_, DateTime<Utc>>(0), expected);
        // A binary parameter is an instant too.
        let found = client.query("SELECT id FROM ev WHERE at = $1", &[&expected]).await.unwrap();
        assert_eq!(found.len(), 1);
        // `$1::timestamptz` is described as a timestamptz, so a driver binds an instant.
        let echoed = client.query_one("SELECT $1::timestamptz", &[&expected]).await.unwrap();
        assert_eq!(echoed.get::<_, DateTime<Utc>>(0), expected);
        let err = client.batch_execute("SET TIME ZONE 'Mars/Base'").await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::INVALID_PARAMETER_VALUE), "{err}");
        assert_eq!(err.as_db_error().unwrap().message(), "invalid value for parameter \"TimeZone\": \"Mars/Base\"");
        client.batch_execute("SET TIME ZONE DEFAULT").await.unwrap();
        assert_eq!(
            simple_rows(&client, "SELECT at FROM ev WHERE id = 1").await[0],
            [Some("2024-07-01 10:00:00+00".to_string())]
        );
    });
}

#[test]
fn prepared_statements_are_reused_many_times() {
    let server = Server::start(&["--synchronous", "off"]);
    runtime().block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)").await.unwrap();
        let insert = client.prepare("INSERT INTO kv VALUES ($1, $2)").await.unwrap();
        let get = client.prepare("SELECT v FROM kv WHERE k = $1").await.unwrap();
        // `k` is an `integer`: its parameters are `int4`, as PostgreSQL describes them.
        assert_eq!(insert.params(), [tokio_postgres::types::Type::INT4, tokio_postgres::types::Type::TEXT]);
        for k in 0..1000_i32 {
            client.execute(&insert, &[&k, &format!("v{k}")]).await.unwrap();
        }
        for k in (0..1000_i32).step_by(7) {
            let v: String = client.query_one(&get, &[&k]).await.unwrap().get(0);
            assert_eq!(v, format!("v{k}"));
        }
        // A schema change between executions replans the statement.
        client.batch_execute("CREATE INDEX kv_v ON kv (v)").await.unwrap();
        let v: String = client.query_one(&get, &[&3_i32]).await.unwrap().get(0);
        assert_eq!(v, "v3");
        let count: i64 = client.query_one("SELECT count(*) FROM kv", &[]).await.unwrap().get(0);
        assert_eq!(count, 1000);
    });
}

/// A parameter compared with or stored into a column takes its declared type, as
/// PostgreSQL infers it, through filters, index and rowid lookups, IN lists, INSERT values
/// and UPDATE assignments: a driver that sends what it is told (tokio-postgres) binds an
/// i16 to a `smallint` and an f32 to a `real`.
#[test]
fn parameters_take_their_columns_declared_types() {
    use tokio_postgres::types::Type;
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE p (id integer PRIMARY KEY, s smallint, r real, vc varchar(10), d date, \
                 ts timestamp, u uuid, big bigint); CREATE INDEX p_s ON p (s); \
                 INSERT INTO p VALUES (1, 2, 1.5, 'a', '2024-01-02', '2024-01-02 03:04:05', \
                 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 7)",
            )
            .await
            .unwrap();
        let cases: &[(&str, &[Type])] = &[
            ("SELECT id FROM p WHERE s = $1", &[Type::INT2]),
            ("SELECT id FROM p WHERE r > $1 AND vc <> $2", &[Type::FLOAT4, Type::VARCHAR]),
            ("SELECT id FROM p WHERE id IN ($1, $2)", &[Type::INT4, Type::INT4]),
            ("SELECT id FROM p WHERE id = $1", &[Type::INT4]),
            ("SELECT id FROM p WHERE u = $1 OR d = $2", &[Type::UUID, Type::DATE]),
            ("INSERT INTO p (id, vc, d) VALUES ($1, $2, $3)", &[Type::INT4, Type::VARCHAR, Type::DATE]),
            ("UPDATE p SET ts = $1 WHERE big = $2", &[Type::TIMESTAMP, Type::INT8]),
            ("SELECT id FROM p WHERE EXISTS (SELECT 1 FROM p q WHERE q.s = $1)", &[Type::INT2]),
        ];
        for (sql, want) in cases {
            let statement = client.prepare(sql).await.unwrap();
            assert_eq!(statement.params(), *want, "{sql}");
        }
        let id = |rows: Vec<tokio_postgres::Row>| rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>();
        assert_eq!(id(client.query("SELECT id FROM p WHERE s = $1", &[&2i16]).await.unwrap()), [1]);
        let got = client.query("SELECT id FROM p WHERE r > $1 AND vc <> $2", &[&1.25f32, &"b"]).await.unwrap();
        assert_eq!(id(got), [1]);
        assert_eq!(id(client.query("SELECT id FROM p WHERE id IN ($1, $2)", &[&1i32, &5i32]).await.unwrap()), [1]);
        client.execute("INSERT INTO p (id, vc) VALUES ($1, $2)", &[&2i32, &"b"]).await.unwrap();
        let n = client.execute("UPDATE p SET vc = $1 WHERE s = $2", &[&"c", &2i16]).await.unwrap();
        assert_eq!(n, 1);
    });
}

#[test]
fn transactions_span_statements_and_isolate_sessions() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut a = server.connect().await;
        let b = server.connect().await;
        a.batch_execute("CREATE TABLE acct (id BIGINT PRIMARY KEY, balance BIGINT)").await.unwrap();
        a.batch_execute("INSERT INTO acct VALUES (1, 100), (2, 0)").await.unwrap();

        let tx = a.transaction().await.unwrap();
        tx.execute("UPDATE acct SET balance = balance - 30 WHERE id = 1", &[]).await.unwrap();
        tx.execute("UPDATE acct SET balance = balance + 30 WHERE id = 2", &[]).await.unwrap();
        // Not visible to another session before commit.
        let total: i64 = b.query_one("SELECT balance FROM acct WHERE id = 2", &[]).await.unwrap().get(0);
        assert_eq!(total, 0);
        tx.commit().await.unwrap();
        let moved: i64 = b.query_one("SELECT balance FROM acct WHERE id = 2", &[]).await.unwrap().get(0);
        assert_eq!(moved, 30);

        let tx = a.transaction().await.unwrap();
        tx.execute("DELETE FROM acct", &[]).await.unwrap();
        tx.rollback().await.unwrap();
        let count: i64 = b.query_one("SELECT count(*) FROM acct", &[]).await.unwrap().get(0);
        assert_eq!(count, 2);
    });
}

#[test]
fn errors_carry_their_sqlstate_and_fail_the_transaction() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").await.unwrap();
        client.batch_execute("INSERT INTO u VALUES (1, 'a')").await.unwrap();
        let code = |e: tokio_postgres::Error| e.code().cloned();
        assert_eq!(code(client.batch_execute("SELEC 1").await.unwrap_err()), Some(SqlState::SYNTAX_ERROR));
        assert_eq!(code(client.query("SELECT * FROM nope", &[]).await.unwrap_err()), Some(SqlState::UNDEFINED_TABLE));
        assert_eq!(code(client.prepare("SELECT nope FROM u").await.unwrap_err()), Some(SqlState::UNDEFINED_COLUMN));
        assert_eq!(
            code(client.execute("INSERT INTO u VALUES (1, 'b')", &[]).await.unwrap_err()),
            Some(SqlState::UNIQUE_VIOLATION)
        );
        assert_eq!(
            code(client.execute("INSERT INTO u VALUES (2, NULL)", &[]).await.unwrap_err()),
            Some(SqlState::NOT_NULL_VIOLATION)
        );

        // After an error inside a transaction, PostgreSQL's rule: refused until it ends.
        client.batch_execute("BEGIN").await.unwrap();
        client.batch_execute("INSERT INTO u VALUES (5, 'e')").await.unwrap();
        assert!(client.batch_execute("INSERT INTO u VALUES (1, 'dup')").await.is_err());
        assert_eq!(code(client.query("SELECT 1", &[]).await.unwrap_err()), Some(SqlState::IN_FAILED_SQL_TRANSACTION));
        client.batch_execute("COMMIT").await.unwrap();
        let count: i64 = client.query_one("SELECT count(*) FROM u", &[]).await.unwrap().get(0);
        assert_eq!(count, 1, "the failed transaction's insert was rolled back");

        // The connection is still good.
        let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
        assert_eq!(one, 1);
    });
}

#[test]
fn committed_data_survives_sigterm_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rt = runtime();

    let server = Server::start_on(&data, &[]);
    rt.block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)").await.unwrap();
        client.batch_execute("INSERT INTO s VALUES (1, 'before sigterm')").await.unwrap();
    });
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");

    let server = Server::start_on(&data, &[]);
    rt.block_on(async {
        let client = server.connect().await;
        let v: String = client.query_one("SELECT v FROM s WHERE id = 1", &[]).await.unwrap().get(0);
        assert_eq!(v, "before sigterm");
        client.batch_execute("INSERT INTO s VALUES (2, 'before sigkill')").await.unwrap();
    });
    server.kill();

    let server = Server::start_on(&data, &[]);
    rt.block_on(async {
        let client = server.connect().await;
        let n: i64 = client.query_one("SELECT count(*) FROM s", &[]).await.unwrap().get(0);
        assert_eq!(n, 2, "an acknowledged commit (synchronous = full) survives SIGKILL");
    });
}

#[test]
fn copy_moves_rows_both_ways_in_text_and_csv() {
    use futures::{SinkExt, TryStreamExt};
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT, score REAL)").await.unwrap();

        // COPY FROM STDIN, text format, data split across messages at awkward places.
        let sink = client.copy_in("COPY c FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        for chunk in ["1\tone\t1.5\n2\ttw", "o\t\\N\n3\ttab\\there\t-2\n"] {
            sink.send(bytes::Bytes::from(chunk)).await.unwrap();
        }
        assert_eq!(sink.finish().await.unwrap(), 3);

        // COPY FROM STDIN, CSV with a header and quoted fields.
        let sink = client.copy_in("COPY c (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(bytes::Bytes::from("id,name\n4,\"comma, and \"\"quote\"\"\"\n5,\n")).await.unwrap();
        assert_eq!(sink.finish().await.unwrap(), 2);

        let count: i64 = client.query_one("SELECT count(*) FROM c", &[]).await.unwrap().get(0);
        assert_eq!(count, 5);
        let name: String = client.query_one("SELECT name FROM c WHERE id = 4", &[]).await.unwrap().get(0);
        assert_eq!(name, "comma, and \"quote\"");

        // COPY TO STDOUT in both formats.
        let text: Vec<bytes::Bytes> = client.copy_out("COPY c TO STDOUT").await.unwrap().try_collect().await.unwrap();
        let text: String = text.iter().map(|b| String::from_utf8_lossy(b)).collect();
        assert_eq!(text, "1\tone\t1.5\n2\ttwo\t\\N\n3\ttab\\there\t-2\n4\tcomma, and \"quote\"\t\\N\n5\t\\N\t\\N\n");
        let csv: Vec<bytes::Bytes> = client
            .copy_out("COPY (SELECT id, name FROM c WHERE id >= 4 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let csv: String = csv.iter().map(|b| String::from_utf8_lossy(b)).collect();
        assert_eq!(csv, "id,name\n4,\"comma, and \"\"quote\"\"\"\n5,\n");

        // A bad row fails the whole COPY: nothing of it remains.
        let sink = client.copy_in("COPY c FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(bytes::Bytes::from("6\tsix\t6\n1\tduplicate\t0\n")).await.unwrap();
        let err = sink.finish().await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION), "{err}");
        let count: i64 = client.query_one("SELECT count(*) FROM c", &[]).await.unwrap().get(0);
        assert_eq!(count, 5, "the failed COPY left nothing behind");
    });
}

/// `log_statement` (set for every session by `--set`, and by a session's own SET) logs
/// the statements of its class before they run, by either protocol, with their
/// parameters; `log_min_error_statement` logs each failed statement with its error.
#[test]
fn statements_and_errors_are_logged_as_the_settings_ask() {
    let (server, log) = Server::start_logged(&["--set", "log_statement=mod"]);
    runtime().block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE logged (id INTEGER PRIMARY KEY, v TEXT)").await.unwrap();
        client.batch_execute("INSERT INTO logged VALUES (1, 'one')").await.unwrap();
        client.batch_execute("SELECT * FROM logged WHERE v = 'quiet select'").await.unwrap();
        let err = client.batch_execute("INSERT INTO logged VALUES (1, 'again')").await.unwrap_err();
        assert_eq!(err.code().unwrap().code(), "23505");
        client.execute("UPDATE logged SET v = $1 WHERE id = $2", &[&"it's", &1i32]).await.unwrap();
        client.query("SELECT v FROM logged WHERE id = $1", &[&1i32]).await.unwrap();
        assert_eq!(simple_rows(&client, "SHOW log_statement").await, [[Some("mod".to_string())]]);
        client.batch_execute("SET log_statement = 'all'").await.unwrap();
        client.batch_execute("SELECT 'loud select'").await.unwrap();
        let err = client.batch_execute("SET log_statement = 'some'").await.unwrap_err();
        assert_eq!(err.code().unwrap().code(), "22023");
    });
    assert!(server.terminate().success());
    let log = log.lock().unwrap().join("\n");
    let logged = |text: &str| log.lines().any(|l| l.contains("braid::statement") && l.contains(text));
    assert!(logged("statement: CREATE TABLE logged"), "{log}");
    assert!(logged("statement: INSERT INTO logged VALUES (1, 'one')"), "{log}");
    assert!(!logged("quiet select"), "{log}");
    assert!(logged("error: duplicate key") && logged("statement: INSERT INTO logged VALUES (1, 'again')"), "{log}");
    assert!(logged("execute: UPDATE logged SET v = $1 WHERE id = $2; parameters: $1 = 'it''s', $2 = '1'"), "{log}");
    assert!(!logged("SELECT v FROM logged"), "{log}");
    assert!(logged("statement: SELECT 'loud select'"), "{log}");
    assert!(logged("invalid value for parameter"), "{log}");
}

#[test]
fn statement_timeouts_and_cancel_requests_stop_a_running_statement() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE n (x INTEGER PRIMARY KEY); \
                 WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) \
                 INSERT INTO n SELECT x FROM c",
            )
            .await
            .unwrap();
        // 400 million pairs: minutes of work, unless stopped.
        let long = "SELECT count(*) FROM n a, n b WHERE a.x + b.x < 0";

        client.batch_execute("SET statement_timeout = 200").await.unwrap();
        let started = std::time::Instant::now();
        let err = client.query(long, &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
        assert!(err.as_db_error().unwrap().message().contains("statement timeout"), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(20), "stopped after {:?}", started.elapsed());
        client.batch_execute("SET statement_timeout = 0").await.unwrap();

        let token = client.cancel_token();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            token.cancel_query(tokio_postgres::NoTls).await.unwrap();
        });
        let started = std::time::Instant::now();
        let err = client.query(long, &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
        assert!(err.as_db_error().unwrap().message().contains("user request"), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(20), "stopped after {:?}", started.elapsed());
        canceller.await.unwrap();

        // The session goes on.
        let n: i64 = client.query_one("SELECT count(*) FROM n", &[]).await.unwrap().get(0);
        assert_eq!(n, 20_000);
    });
}

/// Connects and returns the client with its connection task, whose result is the error
/// that ended the connection (an ErrorResponse no request asked for ends it).
async fn connect_watched(
    server: &Server,
) -> (tokio_postgres::Client, tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>) {
    let (client, connection) = tokio_postgres::connect(&server.url(), tokio_postgres::NoTls).await.unwrap();
    (client, tokio::spawn(connection))
}

#[test]
fn idle_connections_are_told_why_and_closed_but_busy_ones_are_not() {
    let server = Server::start(&["--idle-timeout-ms", "300"]);
    runtime().block_on(async {
        let busy = server.connect().await;
        busy.batch_execute(
            "CREATE TABLE n (x INTEGER PRIMARY KEY); \
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) \
             INSERT INTO n SELECT x FROM c",
        )
        .await
        .unwrap();
        // Four million pairs: longer than the idle timeout, and not idle.
        let started = std::time::Instant::now();
        let n: i64 = busy.query_one("SELECT count(*) FROM n a, n b WHERE a.x + b.x > 0", &[]).await.unwrap().get(0);
        assert_eq!(n, 4_000_000);
        let long = started.elapsed();

        // Idle outside a transaction: FATAL 57P05, as PostgreSQL's idle_session_timeout.
        let (idle, connection) = connect_watched(&server).await;
        idle.query_one("SELECT 1", &[]).await.unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), connection).await.expect("closed in time").unwrap();
        let err = ended.expect_err("the connection ends with the server's error");
        assert_eq!(err.code(), Some(&SqlState::IDLE_SESSION_TIMEOUT), "{err:?}");
        let message = err.as_db_error().map(|e| e.message());
        assert_eq!(message, Some("terminating connection due to idle-session timeout"));
        assert!(idle.query_one("SELECT 1", &[]).await.is_err());
        assert!(idle.is_closed());

        // Idle inside a transaction: FATAL 25P03, and the transaction's writes are undone.
        let (idle, connection) = connect_watched(&server).await;
        idle.batch_execute("BEGIN; INSERT INTO n VALUES (-1)").await.unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), connection).await.expect("closed in time").unwrap();
        let err = ended.expect_err("the connection ends with the server's error");
        assert_eq!(err.code(), Some(&SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT), "{err:?}");
        let check = server.connect().await;
        let n: i64 = check.query_one("SELECT count(*) FROM n WHERE x < 0", &[]).await.unwrap().get(0);
        assert_eq!(n, 0, "the idle transaction was rolled back");
        eprintln!("the busy statement ran {long:?}");
    });
}

#[test]
fn users_added_with_braid_user_add_log_in_with_scram() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let added = std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["user", "add", "alice", "--data"])
        .arg(&data)
        .env("BRAID_PASSWORD", "correct horse")
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let server = Server::start_on(&data, &[]);
    runtime().block_on(async {
        let url = |user: &str, password: &str| {
            format!(
                "host={} port={} user={user} password='{password}' dbname=braid",
                server.addr.ip(),
                server.addr.port()
            )
        };
        let (client, connection) = tokio_postgres::connect(&url("alice", "correct horse"), tokio_postgres::NoTls)
            .await
            .expect("alice logs in with her password");
        tokio::spawn(connection);
        let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
        assert_eq!(one, 1);

        let err = tokio_postgres::connect(&url("alice", "wrong"), tokio_postgres::NoTls).await.err().expect("refused");
        assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD), "{err:?}");

        // A name without a verifier is trusted (loopback).
        let (client, connection) = tokio_postgres::connect(&url("braid", ""), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.query_one("SELECT 1", &[]).await.unwrap();
    });
    // The verifier is not visible to SQL, and the password is nowhere in the data files.
    drop(server);
    let mut found = false;
    for entry in std::fs::read_dir(&data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        found |= bytes.windows(b"correct horse".len()).any(|w| w == b"correct horse");
    }
    assert!(!found, "the password was stored");
}

#[test]
fn information_schema_answers_queries_with_where_order_by_and_parameters() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL DEFAULT 0.5); \
                 CREATE TABLE u (x BLOB, at TIMESTAMP); \
                 CREATE VIEW v AS SELECT name FROM t",
            )
            .await
            .unwrap();
        // Simple protocol.
        let tables =
            simple_rows(&client, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
                .await;
        let mut tables: Vec<String> = tables.into_iter().map(|r| r[0].clone().unwrap()).collect();
        tables.sort();
        assert_eq!(tables, ["t", "u", "v"]);
        let kinds = simple_rows(
            &client,
            "SELECT table_type, count(*) FROM information_schema.tables GROUP BY table_type ORDER BY table_type",
        )
        .await;
        let some = |s: &str| Some(s.to_string());
        assert_eq!(kinds, vec![vec![some("BASE TABLE"), some("2")], vec![some("VIEW"), some("1")]]);
        // Extended protocol, a parameter, typed results.
        let rows = client
            .query(
                "SELECT column_name, data_type, ordinal_position, is_nullable, column_default \
                 FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position DESC",
                &[&"t"],
            )
            .await
            .unwrap();
        let columns: Vec<(String, String, i64, String, Option<String>)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect();
        assert_eq!(
            columns,
            vec![
                ("score".into(), "real".into(), 3, "YES".into(), Some("0.5".into())),
                ("name".into(), "text".into(), 2, "NO".into(), None),
                ("id".into(), "integer".into(), 1, "NO".into(), None),
            ]
        );
        let types: Vec<String> = client
            .query("SELECT data_type FROM information_schema.columns WHERE table_name = 'u'", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(types, ["bytea", "timestamp without time zone"]);
        // It is read-only, its errors are ordinary errors, and a failed transaction refuses it.
        let err = client.batch_execute("DELETE FROM information_schema.tables").await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::FEATURE_NOT_SUPPORTED), "{err:?}");
        let err = client.query("SELECT nope FROM information_schema.tables", &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::UNDEFINED_COLUMN), "{err:?}");
        client.batch_execute("BEGIN").await.unwrap();
        assert!(client.batch_execute("SELECT * FROM no_such_table").await.is_err());
        let err = client.query("SELECT table_name FROM information_schema.tables", &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::IN_FAILED_SQL_TRANSACTION), "{err:?}");
        client.batch_execute("ROLLBACK").await.unwrap();
        assert_eq!(
            simple_rows(&client, "SELECT count(*) FROM information_schema.schemata").await,
            vec![vec![some("4")]]
        );
    });
}
