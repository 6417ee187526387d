//! Tables and btree indexes through the `Database` API: constraints, index maintenance on
//! every write, transactional DDL, persistence across reopen.

use std::ops::Bound;

use braid_engine::storage::Direction;
use braid_engine::{Backend, ColumnDef, DataType, Database, Error, Options, Synchronous, TableDef, Value};

fn people() -> TableDef {
    TableDef::new(
        "people",
        vec![
            ColumnDef::new("id", DataType::Integer),
            ColumnDef::new("email", DataType::Text).not_null().unique(),
            ColumnDef::new("city", DataType::Text),
            ColumnDef::new("age", DataType::Integer),
            ColumnDef::new("score", DataType::Real).default_sql("0.0"),
        ],
    )
    .primary_key(&["id"])
    .unwrap()
    .check_sql("age >= 0")
}

fn row(id: Option<i64>, email: &str, city: Option<&str>, age: i64) -> Vec<Value> {
    vec![id.into(), email.into(), city.into(), age.into(), Value::Integer(1)]
}

fn databases() -> Vec<(Database, tempfile::TempDir)> {
    [Backend::Memory, Backend::Redb, Backend::Sled]
        .into_iter()
        .map(|backend| {
            let dir = tempfile::tempdir().unwrap();
            (
                Database::open_with(dir.path(), Options { backend, synchronous: Synchronous::Off, cache_bytes: None })
                    .unwrap(),
                dir,
            )
        })
        .collect()
}

#[test]
fn integer_primary_key_aliases_the_rowid() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        assert_eq!(t.rowid_alias, Some(0));
        assert_eq!(tx.insert(&t, row(None, "a@x", None, 1)).unwrap(), 1);
        assert_eq!(tx.insert(&t, row(Some(-7), "b@x", None, 1)).unwrap(), -7);
        assert_eq!(tx.insert(&t, row(Some(40), "c@x", None, 1)).unwrap(), 40);
        assert_eq!(tx.insert(&t, row(None, "d@x", None, 1)).unwrap(), 41);
        let err = tx.insert(&t, row(Some(40), "e@x", None, 1)).unwrap_err();
        assert!(matches!(err, Error::Constraint { .. }), "{err}");
        // REAL columns take integers as reals.
        assert_eq!(tx.get(&t, 40).unwrap().unwrap()[4], Value::Real(1.0));
        let ids: Vec<i64> = tx.scan(&t, ..).unwrap().map(|r| r.unwrap().rowid).collect();
        assert_eq!(ids, [-7, 1, 40, 41]);
        let ids: Vec<i64> = tx.scan_dir(&t, 0..=40, Direction::Reverse).unwrap().map(|r| r.unwrap().rowid).collect();
        assert_eq!(ids, [40, 1]);
    }
}

#[test]
fn constraints_name_what_failed() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        tx.insert(&t, row(None, "a@x", None, 1)).unwrap();
        let unique = tx.insert(&t, row(None, "a@x", None, 2)).unwrap_err();
        assert!(unique.to_string().contains("people_email_key"), "{unique}");
        let not_null =
            tx.insert(&t, vec![Value::Null, Value::Null, Value::Null, Value::Null, Value::Null]).unwrap_err();
        assert!(not_null.to_string().contains("\"email\" of relation \"people\""), "{not_null}");
        let wrong_type =
            tx.insert(&t, vec![Value::Null, "z@x".into(), Value::Integer(3), Value::Null, Value::Null]).unwrap_err();
        assert!(
            matches!(wrong_type, Error::InvalidInput(_)) && wrong_type.to_string().contains("people.city"),
            "{wrong_type}"
        );
        let arity = tx.insert(&t, vec![Value::Null]).unwrap_err();
        assert!(matches!(arity, Error::InvalidInput(_)), "{arity}");
    }
}

#[test]
fn indexes_follow_inserts_updates_and_deletes() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        tx.create_table(people()).unwrap();
        tx.create_index("people", "by_city_age", &["city", "age"], false).unwrap();
        let t = tx.table("people").unwrap();
        for (i, (city, age)) in
            [("Oslo", 30), ("Lima", 25), ("Oslo", 20), ("Oslo", 30), ("Lima", 40)].into_iter().enumerate()
        {
            tx.insert(&t, row(None, &format!("{i}@x"), Some(city), age)).unwrap();
        }
        tx.insert(&t, row(None, "null@x", None, 50)).unwrap();
        let oslo = [Value::from("Oslo")];
        assert_eq!(tx.index_lookup(&t, "by_city_age", &oslo).unwrap(), [3, 1, 4]);
        assert_eq!(tx.index_lookup(&t, "by_city_age", &[Value::from("Oslo"), Value::Integer(30)]).unwrap(), [1, 4]);
        // Range on the second column within the first.
        let lo = [Value::from("Oslo"), Value::Integer(20)];
        let hi = [Value::from("Oslo"), Value::Integer(30)];
        let rows: Vec<i64> = tx
            .index_scan(&t, "by_city_age", Bound::Excluded(&lo), Bound::Included(&hi), Direction::Reverse)
            .unwrap()
            .map(|e| e.unwrap().1)
            .collect();
        assert_eq!(rows, [4, 1]);
        // Update moves the entry; delete removes it.
        tx.update(&t, 1, row(Some(1), "0@x", Some("Lima"), 30)).unwrap();
        tx.delete(&t, 4).unwrap();
        assert_eq!(tx.index_lookup(&t, "by_city_age", &oslo).unwrap(), [3]);
        assert_eq!(tx.index_lookup(&t, "by_city_age", &[Value::from("Lima")]).unwrap(), [2, 1, 5]);
        // The unique index too: the freed email can be reused, a taken one cannot.
        tx.insert(&t, row(None, "3@x", None, 1)).unwrap();
        assert!(tx.update(&t, 2, row(Some(2), "0@x", Some("Lima"), 25)).is_err());
        // NULL cities sort first, then by age: row 7 (age 1) before row 6 (age 50).
        assert_eq!(tx.index_lookup(&t, "by_city_age", &[Value::Null]).unwrap(), [7, 6]);
        tx.commit().unwrap();
    }
}

#[test]
fn unique_index_on_existing_rows_refuses_duplicates() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        tx.insert(&t, row(None, "a@x", Some("Oslo"), 1)).unwrap();
        tx.insert(&t, row(None, "b@x", Some("Oslo"), 1)).unwrap();
        assert!(matches!(tx.create_index("people", "u_city", &["city"], true), Err(Error::Constraint { .. })));
        tx.create_index("people", "u_age_email", &["age", "email"], true).unwrap();
        assert!(matches!(tx.create_index("people", "u_age_email", &["age"], false), Err(Error::AlreadyExists { .. })));
        tx.drop_index("u_age_email").unwrap();
        assert!(tx.table("people").unwrap().index("u_age_email").is_none());
    }
}

#[test]
fn concurrent_inserts_of_one_unique_value_conflict() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        tx.commit().unwrap();
        let mut a = db.begin().unwrap();
        let mut b = db.begin().unwrap();
        a.insert(&t, row(None, "same@x", None, 1)).unwrap();
        b.insert(&t, row(None, "same@x", None, 1)).unwrap();
        a.commit().unwrap();
        assert_eq!(b.commit(), Err(Error::Serialization));
        // Different values in one table commit side by side (rowids come from memory).
        let mut a = db.begin().unwrap();
        let mut b = db.begin().unwrap();
        a.insert(&t, row(None, "one@x", None, 1)).unwrap();
        b.insert(&t, row(None, "two@x", None, 1)).unwrap();
        a.commit().unwrap();
        b.commit().unwrap();
    }
}

#[test]
fn ddl_is_transactional() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        tx.create_table(people()).unwrap();
        tx.rollback();
        assert!(!db.begin().unwrap().has_table("people").unwrap());

        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        tx.insert(&t, row(None, "a@x", None, 1)).unwrap();
        tx.commit().unwrap();
        let mut tx = db.begin().unwrap();
        tx.drop_table("people").unwrap();
        assert!(matches!(tx.table("people"), Err(Error::NotFound { .. })));
        tx.rollback();
        let tx = db.begin().unwrap();
        assert_eq!(tx.scan(&tx.table("people").unwrap(), ..).unwrap().count(), 1);
        assert!(matches!(db.begin().unwrap().create_table(people()), Err(Error::AlreadyExists { .. })));
    }
}

#[test]
fn drop_table_removes_rows_and_index_entries() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        tx.insert(&t, row(None, "a@x", None, 1)).unwrap();
        tx.drop_table("people").unwrap();
        let all = tx.kv().scan((Bound::Unbounded, Bound::Unbounded), Direction::Forward).unwrap().count();
        // Only the format version and the object-id counter remain.
        assert_eq!(all, 2);
    }
}

#[test]
fn truncate_empties_rows_and_indexes_and_rolls_back() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        tx.insert(&t, row(None, "a@x", None, 1)).unwrap();
        tx.insert(&t, row(None, "b@x", None, 2)).unwrap();
        tx.commit().unwrap();

        // Rolled back: the rows are still there.
        let mut tx = db.begin().unwrap();
        tx.truncate("people").unwrap();
        assert_eq!(tx.scan(&t, ..).unwrap().count(), 0);
        tx.rollback();
        let tx = db.begin().unwrap();
        assert_eq!(tx.scan(&t, ..).unwrap().count(), 2);
        drop(tx);

        let mut tx = db.begin().unwrap();
        tx.truncate("people").unwrap();
        tx.commit().unwrap();
        let mut tx = db.begin().unwrap();
        let t = tx.table("people").unwrap();
        assert_eq!(tx.scan(&t, ..).unwrap().count(), 0);
        assert!(tx.index_lookup(&t, "people_email_key", &["a@x".into()]).unwrap().is_empty());
        // The unique index is empty, so the same email goes in again; rowids go on from
        // where they were.
        assert_eq!(tx.insert(&t, row(None, "a@x", None, 1)).unwrap(), 3);
        assert!(matches!(tx.truncate("nope"), Err(Error::NotFound { .. })));
    }
}

#[test]
fn catalog_rows_and_indexes_survive_reopen() {
    for backend in [Backend::Redb, Backend::Sled] {
        let dir = tempfile::tempdir().unwrap();
        let options = Options { backend, synchronous: Synchronous::Full, cache_bytes: None };
        {
            let db = Database::open_with(dir.path(), options.clone()).unwrap();
            let mut tx = db.begin().unwrap();
            let t = tx.create_table(people()).unwrap();
            for i in 0..10 {
                tx.insert(&t, row(None, &format!("{i}@x"), Some("Oslo"), i)).unwrap();
            }
            tx.create_index("people", "by_age", &["age"], false).unwrap();
            tx.commit().unwrap();
        }
        let db = Database::open_with(dir.path(), options).unwrap();
        let mut tx = db.begin().unwrap();
        let t = tx.table("people").unwrap();
        assert_eq!(t, people_with_ids(&t));
        assert_eq!(tx.index_lookup(&t, "by_age", &[Value::Integer(4)]).unwrap(), [5]);
        // The rowid counter restarts above the largest stored rowid.
        assert_eq!(tx.insert(&t, row(None, "new@x", None, 1)).unwrap(), 11);
    }
}

fn people_with_ids(stored: &TableDef) -> TableDef {
    // The stored definition is the declared one plus assigned ids and derived indexes.
    assert_eq!(stored.checks, ["age >= 0"]);
    assert_eq!(stored.columns[4].default.as_deref(), Some("0.0"));
    assert!(stored.index("people_email_key").is_some_and(|i| i.unique));
    stored.clone()
}

#[test]
fn opening_a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options { backend: Backend::Redb, synchronous: Synchronous::Full, cache_bytes: None };
    {
        let db = Database::open_with(dir.path(), options.clone()).unwrap();
        let mut tx = db.begin().unwrap();
        tx.kv().set(braid_engine::keys::Key::Meta("format").encode(), 99u64.to_be_bytes().to_vec()).unwrap();
        tx.commit().unwrap();
    }
    let err = Database::open_with(dir.path(), options).err().unwrap();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
}

/// Regression: an insert that failed on its second unique index used to leave the first
/// index's entry behind, pointing at a row that did not exist, so a later insert of that
/// value failed with a false UNIQUE error. Constraints are now all checked before any write.
#[test]
fn failed_insert_or_update_leaves_no_trace() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx
            .create_table(TableDef::new(
                "pair",
                vec![ColumnDef::new("a", DataType::Text).unique(), ColumnDef::new("b", DataType::Text).unique()],
            ))
            .unwrap();
        let x = tx.insert(&t, vec!["x".into(), "y".into()]).unwrap();
        assert!(matches!(tx.insert(&t, vec!["z".into(), "y".into()]), Err(Error::Constraint { .. })));
        assert_eq!(tx.index_lookup(&t, "pair_a_key", &["z".into()]).unwrap(), Vec::<i64>::new());
        let z = tx.insert(&t, vec!["z".into(), "w".into()]).unwrap();
        // An update failing on `b` must not have moved `a`'s entry.
        assert!(matches!(tx.update(&t, z, vec!["q".into(), "y".into()]), Err(Error::Constraint { .. })));
        assert_eq!(tx.index_lookup(&t, "pair_a_key", &["z".into()]).unwrap(), [z]);
        assert_eq!(tx.index_lookup(&t, "pair_a_key", &["q".into()]).unwrap(), Vec::<i64>::new());
        assert_eq!(tx.index_lookup(&t, "pair_b_key", &["y".into()]).unwrap(), [x]);
        tx.commit().unwrap();
    }
}

/// Regression (found in review): CREATE INDEX scans the rows of its snapshot, and a
/// concurrent INSERT writes a row key the index build never writes, so both used to commit
/// and the index missed the row. Now each relies on what the other writes, and the later
/// committer gets a serialization error, in either order.
#[test]
fn create_index_and_a_concurrent_insert_cannot_both_commit() {
    for insert_first in [true, false] {
        for (db, _dir) in databases() {
            let mut tx = db.begin().unwrap();
            let t = tx.create_table(people()).unwrap();
            tx.insert(&t, row(None, "a@x", Some("Oslo"), 1)).unwrap();
            tx.commit().unwrap();
            let mut ddl = db.begin().unwrap();
            let mut dml = db.begin().unwrap();
            ddl.create_index("people", "by_city", &["city"], false).unwrap();
            dml.insert(&t, row(None, "b@x", Some("Oslo"), 2)).unwrap();
            let (first, second) = if insert_first { (dml, ddl) } else { (ddl, dml) };
            first.commit().unwrap();
            assert_eq!(second.commit(), Err(Error::Serialization));
            // Whatever committed, the index (if any) covers every row.
            let tx = db.begin_read_only().unwrap();
            let t = tx.table("people").unwrap();
            if t.index("by_city").is_some() {
                let rows = tx.scan(&t, ..).unwrap().count();
                assert_eq!(tx.index_lookup(&t, "by_city", &["Oslo".into()]).unwrap().len(), rows);
            }
        }
    }
}

/// Scans read own writes only where the transaction wrote; elsewhere rows come straight
/// from storage. Both paths, both directions, with columns read one at a time.
#[test]
fn scans_see_own_writes_in_range_and_stored_rows_elsewhere() {
    for (db, _dir) in databases() {
        let mut tx = db.begin().unwrap();
        let t = tx.create_table(people()).unwrap();
        for id in 1..=100 {
            tx.insert(&t, row(Some(id), &format!("p{id}@x"), None, id)).unwrap();
        }
        tx.commit().unwrap();

        let mut tx = db.begin().unwrap();
        tx.delete(&t, 10).unwrap();
        tx.update(&t, 11, row(Some(11), "p11@x", Some("Oslo"), 1000)).unwrap();
        tx.insert(&t, row(Some(150), "p150@x", None, 150)).unwrap();
        let ages = |rowids: std::ops::RangeInclusive<i64>, direction| -> Vec<(i64, i64)> {
            tx.scan_dir(&t, rowids, direction)
                .unwrap()
                .map(|r| {
                    let r = r.unwrap();
                    (r.rowid, r.column(3).unwrap().unwrap().as_i64().unwrap())
                })
                .collect()
        };
        // Untouched range: the stored path.
        assert_eq!(ages(50..=52, Direction::Forward), vec![(50, 50), (51, 51), (52, 52)]);
        assert_eq!(ages(50..=52, Direction::Reverse), vec![(52, 52), (51, 51), (50, 50)]);
        // A range holding own writes: merged.
        assert_eq!(ages(9..=12, Direction::Forward), vec![(9, 9), (11, 1000), (12, 12)]);
        assert_eq!(ages(99..=200, Direction::Reverse), vec![(150, 150), (100, 100), (99, 99)]);
        assert_eq!(tx.scan(&t, ..).unwrap().count(), 100);
        // Past the last column there is nothing, and that is not an error.
        assert!(tx.get_ref(&t, 50).unwrap().unwrap().column(9).unwrap().is_none());
    }
}

/// `fixtures/format1.tar.gz` is a data directory written by the last build of format 1
/// (before columns kept their declared types): `people (id INTEGER PRIMARY KEY, name
/// VARCHAR(20) NOT NULL UNIQUE, age SMALLINT DEFAULT 7, born DATE, CHECK (age >= 0))` with
/// two rows, an index on age and a view. Opening it migrates it to the current format, with
/// its rows, indexes and constraints intact.
#[test]
fn a_format_1_database_opens_and_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/format1.tar.gz");
    let status = std::process::Command::new("tar").args(["xzf", fixture, "-C"]).arg(dir.path()).status().unwrap();
    assert!(status.success());
    for _ in 0..2 {
        let db = Database::open(dir.path()).unwrap();
        let tx = db.begin().unwrap();
        let people = tx.table("people").unwrap();
        let names: Vec<&str> = people.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "name", "age", "born"]);
        assert!(people.columns.iter().all(|c| c.declared.is_none()));
        assert_eq!(people.rowid_alias, Some(0));
        assert_eq!(people.checks.len(), 1);
        assert_eq!(tx.get(&people, 2).unwrap().unwrap()[1], Value::from("grace"));
        assert_eq!(tx.index_lookup(&people, "people_name_key", &["ada".into()]).unwrap(), [1]);
        assert_eq!(tx.index_lookup(&people, "people_age", &[Value::Integer(85)]).unwrap(), [2]);
        let format = tx.kv_ref().get(&braid_engine::keys::Key::Meta("format").encode()).unwrap().unwrap();
        assert_eq!(format.as_ref(), braid_engine::FORMAT_VERSION.to_be_bytes());
    }
}

/// `fixtures/format2.tar.gz` is a data directory written by the last build of format 2
/// (before indexes could hold expressions and predicates): `parents (id INTEGER PRIMARY
/// KEY, code TEXT NOT NULL UNIQUE, price NUMERIC(8,2))` and `kids (id serial PRIMARY KEY,
/// parent INTEGER REFERENCES parents(id) ON DELETE CASCADE, name VARCHAR(20), age
/// SMALLINT)`, indexes `kids_age (age, name)` and unique `kids_name (name)`, two rows each.
/// Opening it migrates it to the current format with everything intact.
#[test]
fn a_format_2_database_opens_and_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/format2.tar.gz");
    let status = std::process::Command::new("tar").args(["xzf", fixture, "-C"]).arg(dir.path()).status().unwrap();
    assert!(status.success());
    for _ in 0..2 {
        let db = Database::open(dir.path()).unwrap();
        let tx = db.begin().unwrap();
        let kids = tx.table("kids").unwrap();
        assert_eq!(kids.foreign_keys.len(), 1);
        assert_eq!(kids.foreign_keys[0].parent, "parents");
        let age = kids.index("kids_age").unwrap();
        assert_eq!((age.columns.as_slice(), age.unique), ([3, 2].as_slice(), false));
        assert!(age.expressions.is_empty() && age.predicate.is_none());
        assert_eq!(tx.index_lookup(&kids, "kids_name", &["y".into()]).unwrap(), [2]);
        assert_eq!(tx.index_lookup(&kids, "kids_age", &[Value::Integer(3)]).unwrap(), [1]);
        let parents = tx.table("parents").unwrap();
        assert_eq!(tx.get(&parents, 1).unwrap().unwrap()[1], Value::from("a"));
        assert_eq!(tx.index_lookup(&parents, "parents_code_key", &["b".into()]).unwrap(), [2]);
        let format = tx.kv_ref().get(&braid_engine::keys::Key::Meta("format").encode()).unwrap().unwrap();
        assert_eq!(format.as_ref(), braid_engine::FORMAT_VERSION.to_be_bytes());
    }
}
