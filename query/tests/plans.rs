//! Golden plan tests: one query per optimizer rule, its EXPLAIN text checked against
//! `tests/plans/NAME.plan`. Run with `BRAID_BLESS=1` to write the files after a deliberate
//! change, then review the diff.

use braid::Database;

const SCHEMA: &str = "
    CREATE TABLE big (id INTEGER PRIMARY KEY, k INTEGER);
    INSERT INTO big SELECT x, x % 10 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x FROM c);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, status TEXT, note TEXT);
    CREATE INDEX orders_customer ON orders (customer);
    CREATE INDEX orders_status_amount ON orders (status, amount);
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT);
";

/// (name, rule shown, query)
const CASES: &[(&str, &str, &str)] = &[
    ("constant_folding", "constant subexpressions become literals", "SELECT id FROM orders WHERE amount > 10 * 2 + 1"),
    ("rowid_equality", "rowid equality reads one row", "SELECT note FROM orders WHERE id = 42"),
    ("rowid_range", "a rowid range bounds the scan", "SELECT sum(amount) FROM orders WHERE id BETWEEN 100 AND 199"),
    ("index_equality", "equality on an indexed column", "SELECT id FROM orders WHERE customer = 7"),
    (
        "index_prefix_and_range",
        "equality on a leading column, range on the next",
        "SELECT id FROM orders WHERE status = 'open' AND amount >= 50",
    ),
    ("index_in_list", "an IN list on an indexed column", "SELECT id FROM orders WHERE customer IN (1, 2, 3)"),
    (
        "predicate_pushdown_and_hash_join",
        "WHERE terms move below the join; the equality becomes a hash join",
        "SELECT c.name, o.amount FROM orders o, customers c WHERE o.customer = c.id AND c.region = 'eu' AND o.amount > 5",
    ),
    (
        "left_join_keeps_right_filters_above",
        "a WHERE term on a LEFT JOIN's right side stays above the join",
        "SELECT o.id FROM orders o LEFT JOIN customers c ON o.customer = c.id WHERE c.name IS NULL",
    ),
    (
        "order_by_index",
        "ORDER BY an indexed column reads the index in order, its NULLs last",
        "SELECT id FROM orders ORDER BY customer LIMIT 10",
    ),
    (
        "order_by_index_desc",
        "NULLs sort first descending (PostgreSQL's default): a scan of the NULLs, then of the others",
        "SELECT id FROM orders ORDER BY customer DESC LIMIT 10",
    ),
    (
        "order_by_rowid_desc",
        "ORDER BY the rowid descending reads backwards",
        "SELECT id FROM orders ORDER BY id DESC LIMIT 3",
    ),
    ("top_n", "a sort under a limit keeps only the first rows", "SELECT id FROM orders ORDER BY amount DESC LIMIT 5"),
    (
        "join_order",
        "the hash table is built on the smaller input whatever the FROM order",
        "SELECT c.name, count(*) FROM customers c JOIN big b ON b.k = c.id GROUP BY c.name",
    ),
    (
        "projection_pushdown",
        "scans decode only the columns read above them",
        "SELECT status, count(*) FROM orders GROUP BY status",
    ),
];

#[test]
fn plans_match_their_golden_files() {
    let db = Database::open_in_memory().unwrap();
    let mut conn = db.connect();
    conn.execute_batch(SCHEMA).unwrap();
    let bless = std::env::var("BRAID_BLESS").is_ok_and(|v| v == "1");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plans");
    let mut mismatches = vec![];
    for (name, rule, sql) in CASES {
        let plan: Vec<String> =
            conn.query(&format!("EXPLAIN {sql}"), ()).unwrap().map(|r| r.unwrap().get::<String>(0).unwrap()).collect();
        let text = format!("-- {rule}\n-- {sql}\n{}\n", plan.join("\n"));
        let path = dir.join(format!("{name}.plan"));
        if bless {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            mismatches.push(format!("{}:\n{text}", path.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "plans differ from their golden files (BRAID_BLESS=1 rewrites them):\n{}",
        mismatches.join("\n")
    );
}
