//! Sequences: values outside transactions, durable across a reopen, never handed out twice.

use braid_engine::{Database, Error, SequenceDef};

#[test]
fn values_survive_rollback_and_reopen_and_are_never_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut txn = db.begin().unwrap();
    let def = txn.create_sequence(SequenceDef::new("s", 20, 1)).unwrap();
    txn.commit().unwrap();

    let txn = db.begin().unwrap();
    assert_eq!((txn.nextval(&def).unwrap(), txn.nextval(&def).unwrap()), (1, 2));
    // A rollback does not give values back.
    txn.rollback();
    let txn = db.begin().unwrap();
    assert_eq!(txn.nextval(&def).unwrap(), 3);
    txn.commit().unwrap();
    drop(db);

    // Reopened, the sequence goes on past every value handed out (some are skipped).
    let db = Database::open(dir.path()).unwrap();
    let txn = db.begin().unwrap();
    let def = txn.sequence("s").unwrap().unwrap();
    let next = txn.nextval(&def).unwrap();
    assert!(next > 3, "{next}");
    txn.setval(&def, 100, true).unwrap();
    assert_eq!(txn.nextval(&def).unwrap(), 101);
    txn.setval(&def, 7, false).unwrap();
    assert_eq!(txn.nextval(&def).unwrap(), 7);
    assert!(matches!(txn.setval(&def, 0, true), Err(Error::SequenceLimit(_))));
}

#[test]
fn concurrent_transactions_get_distinct_values() {
    let db = Database::open_in_memory().unwrap();
    let mut txn = db.begin().unwrap();
    let def = txn.create_sequence(SequenceDef::new("s", 23, 1)).unwrap();
    txn.commit().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (db, def) = (db.clone(), def.clone());
            std::thread::spawn(move || {
                let txn = db.begin().unwrap();
                (0..100).map(|_| txn.nextval(&def).unwrap()).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<i64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort();
    assert_eq!(all, (1..=400).collect::<Vec<_>>());
}

#[test]
fn a_sequence_created_after_a_rolled_back_one_starts_afresh() {
    let db = Database::open_in_memory().unwrap();
    let mut txn = db.begin().unwrap();
    let def = txn.create_sequence(SequenceDef::new("gone", 20, 1)).unwrap();
    assert_eq!(txn.nextval(&def).unwrap(), 1);
    assert_eq!(txn.nextval(&def).unwrap(), 2);
    txn.rollback();
    // The same object id comes back; the position does not.
    let mut txn = db.begin().unwrap();
    let fresh = txn.create_sequence(SequenceDef::new("fresh", 20, 1)).unwrap();
    assert_eq!(fresh.id, def.id);
    assert_eq!(txn.nextval(&fresh).unwrap(), 1);
}

#[test]
fn a_cycle_logs_its_position_again_after_wrapping() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut txn = db.begin().unwrap();
    let def = txn.create_sequence(SequenceDef { max: 100, cycle: true, ..SequenceDef::new("s", 20, 1) }).unwrap();
    txn.commit().unwrap();
    let txn = db.begin().unwrap();
    let values: Vec<i64> = (0..150).map(|_| txn.nextval(&def).unwrap()).collect();
    assert_eq!(values[149], 50);
    drop(txn);
    drop(db);
    // Reopened (as after a crash), it goes on past 50, not from a position logged before
    // the wrap.
    let db = Database::open(dir.path()).unwrap();
    let txn = db.begin().unwrap();
    let next = txn.nextval(&def).unwrap();
    assert!(next > 50, "{next}");
}

#[test]
fn definitions_are_transactional() {
    let db = Database::open_in_memory().unwrap();
    let mut txn = db.begin().unwrap();
    txn.create_sequence(SequenceDef::new("gone", 20, 1)).unwrap();
    txn.rollback();
    let mut txn = db.begin().unwrap();
    assert!(txn.sequence("gone").unwrap().is_none());
    txn.create_sequence(SequenceDef::new("s", 20, 1)).unwrap();
    assert!(matches!(txn.create_sequence(SequenceDef::new("s", 20, 1)), Err(Error::AlreadyExists { .. })));
    txn.drop_sequence("s").unwrap();
    assert!(txn.sequences().unwrap().is_empty());
}
