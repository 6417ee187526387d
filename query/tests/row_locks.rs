//! Row locks through SQL, embedded: a second writer of a row waits for the first instead of
//! racing it; `lock_timeout` bounds the wait (55P03); two writers locking in opposite orders
//! deadlock and one is the victim (40P01); an autocommit statement that waited runs again
//! on the newest data, so no update is lost and none fails.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use braid::{Connection, Database};

fn counters() -> Database {
    let db = Database::open_in_memory().unwrap();
    let mut conn = db.connect();
    conn.execute_batch("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO c VALUES (1, 0), (2, 0)")
        .unwrap();
    db
}

fn value(conn: &mut Connection, id: i64) -> i64 {
    conn.query_row("SELECT n FROM c WHERE id = $1", (id,), |r| r.get(0)).unwrap()
}

/// Runs `sql` on a new connection on another thread; the receiver gets its SQLSTATE or "ok".
fn in_background(db: &Database, sql: &'static str) -> mpsc::Receiver<String> {
    let (done, result) = mpsc::channel();
    let db = db.clone();
    thread::spawn(move || {
        let mut conn = db.connect();
        let outcome = conn.execute_batch(sql).map_or_else(|e| e.sqlstate().to_string(), |_| "ok".to_string());
        let _ = done.send(outcome);
    });
    result
}

#[test]
fn an_autocommit_update_waits_for_the_holder_then_applies_to_its_commit() {
    let db = counters();
    let mut holder = db.connect();
    holder.execute_batch("BEGIN; UPDATE c SET n = n + 1 WHERE id = 1").unwrap();
    let waiter = in_background(&db, "UPDATE c SET n = n + 10 WHERE id = 1");
    assert!(waiter.recv_timeout(Duration::from_millis(200)).is_err(), "the row is locked: the update waits");
    holder.execute("COMMIT", ()).unwrap();
    assert_eq!(waiter.recv_timeout(Duration::from_secs(10)).unwrap(), "ok");
    // Both increments count: the waiter ran again on the committed row.
    assert_eq!(value(&mut db.connect(), 1), 11);
}

#[test]
fn a_waiter_goes_on_when_the_holder_rolls_back() {
    let db = counters();
    let mut holder = db.connect();
    holder.execute_batch("BEGIN; DELETE FROM c WHERE id = 2").unwrap();
    let waiter = in_background(&db, "BEGIN; UPDATE c SET n = 5 WHERE id = 2; COMMIT");
    assert!(waiter.recv_timeout(Duration::from_millis(200)).is_err());
    holder.execute("ROLLBACK", ()).unwrap();
    assert_eq!(waiter.recv_timeout(Duration::from_secs(10)).unwrap(), "ok");
    assert_eq!(value(&mut db.connect(), 2), 5);
}

#[test]
fn inside_a_transaction_a_row_changed_by_the_holder_fails_the_waiter_at_once() {
    let db = counters();
    let mut holder = db.connect();
    let mut other = db.connect();
    // The waiter's snapshot is taken before the holder commits.
    other.execute_batch("BEGIN; SELECT * FROM c").unwrap();
    holder.execute_batch("BEGIN; UPDATE c SET n = 1 WHERE id = 1").unwrap();
    let (done, result) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let e = other.execute("UPDATE c SET n = 2 WHERE id = 1", ()).unwrap_err();
        done.send(e.sqlstate().to_string()).unwrap();
        other
    });
    assert!(result.recv_timeout(Duration::from_millis(200)).is_err());
    holder.execute("COMMIT", ()).unwrap();
    assert_eq!(result.recv_timeout(Duration::from_secs(10)).unwrap(), "40001");
    let mut other = waiter.join().unwrap();
    other.execute("ROLLBACK", ()).unwrap();
    assert_eq!(value(&mut other, 1), 1, "the holder's update stands");
}

#[test]
fn lock_timeout_bounds_the_wait() {
    let db = counters();
    let mut holder = db.connect();
    holder.execute_batch("BEGIN; UPDATE c SET n = 1 WHERE id = 1").unwrap();
    let mut waiter = db.connect();
    waiter.execute("SET lock_timeout = '50ms'", ()).unwrap();
    let started = Instant::now();
    let e = waiter.execute("UPDATE c SET n = 2 WHERE id = 1", ()).unwrap_err();
    assert_eq!(e.sqlstate(), "55P03", "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The session is usable, and the other row was never locked.
    waiter.execute("UPDATE c SET n = 3 WHERE id = 2", ()).unwrap();
    holder.execute("COMMIT", ()).unwrap();
    assert_eq!(value(&mut waiter, 1), 1);
}

#[test]
fn opposite_lock_orders_deadlock_and_one_transaction_is_the_victim() {
    let db = counters();
    let mut first = db.connect();
    first.execute_batch("BEGIN; UPDATE c SET n = 1 WHERE id = 1").unwrap();
    let second = in_background(&db, "BEGIN; UPDATE c SET n = 2 WHERE id = 2; UPDATE c SET n = 2 WHERE id = 1; COMMIT");
    // Give the second time to lock row 2 and wait for row 1.
    thread::sleep(Duration::from_millis(200));
    let outcome = first.execute("UPDATE c SET n = 1 WHERE id = 2", ());
    match outcome {
        // This one closed the cycle: it is the victim, the other finishes.
        Err(e) => {
            assert_eq!(e.sqlstate(), "40P01", "{e}");
            first.execute("ROLLBACK", ()).unwrap();
            assert_eq!(second.recv_timeout(Duration::from_secs(10)).unwrap(), "ok");
            assert_eq!((value(&mut first, 1), value(&mut first, 2)), (2, 2));
        }
        Ok(_) => panic!("both transactions hold a row the other wants: one must be the victim"),
    }
}
