//! Differential test: random schemas, data and queries run on Braid and on SQLite (rusqlite,
//! in memory); both must return the same rows, or both must fail.
//!
//! ```text
//! cargo test --release -p braid --test differential
//! PROPTEST_CASES=2000 PROPTEST_RNG_SEED=7 cargo test --release -p braid --test differential
//! ```
//!
//! # Design
//!
//! A case ([`Case`]) is a schema (1–3 tables of 1–5 INTEGER/REAL/TEXT columns, sometimes an
//! INTEGER PRIMARY KEY, secondary indexes, some UNIQUE), 0–30 rows per table and a few queries.
//! Both engines get the same statements one by one; every statement must succeed on both or
//! fail on both, and every query must return the same rows.
//!
//! - **Data** values come from small domains ([`INT_DOMAIN`], ...) with NULLs, so equalities,
//!   duplicates and NULLs are common. Values always match the column type: Braid's columns are
//!   strictly typed (an INTEGER column refuses `'abc'`), a documented difference.
//! - **Queries** are produced by [`Gen`], a generator driven by a stream of choices (a
//!   `Vec<u16>` that proptest generates and shrinks): each decision consumes one number, and
//!   an exhausted stream answers 0, which always means the simplest option (a leaf, no
//!   clause). Generating from a stream keeps the generator plain Rust code that can follow
//!   scopes (which columns an expression may use, correlated subqueries, aggregate contexts),
//!   and proptest still shrinks a failure to a small query by shortening the stream. Schema
//!   and data are independent strategies (no `prop_flat_map`), so each shrinks on its own:
//!   data values are raw numbers interpreted by the column type.
//! - **Determinism.** SQLite leaves some results unspecified; the generator avoids them:
//!   scalar subqueries return one row (an aggregate, or `ORDER BY 1 LIMIT 1` of the value
//!   itself); bare columns in an aggregate query are only its GROUP BY columns; LIMIT/OFFSET
//!   only come with an ORDER BY that ends with every output column (a total order); the
//!   order of `group_concat` is unspecified, so it appears either under `length()` or as a
//!   whole output column whose pieces are compared as a multiset. Results of a query without
//!   such an ORDER BY are sorted before the comparison.
//! - **Errors** must not depend on evaluation order, which differs legitimately (SQLite skips
//!   the right side of an INTERSECT whose left side is empty): no integers near the limits
//!   in `sum()` and `abs()`, whose overflow is an error. Nor may a query be invalid because
//!   of SQLite's parser: an integer constant in ORDER BY is a column position, and the parser
//!   folds some expressions into one (`ORDER BY (0 IS NULL)` is `ORDER BY 0`), so the leading
//!   ORDER BY expression uses a column, inside a function call when it is an operator's.
//!   Braid panics are caught and always count as a difference.
//! - **Exact reals.** Data reals are short binary fractions, and reals are divided only by
//!   powers of two, so sums are exact in any order: a rounding difference from summing in
//!   another order would otherwise split a group or a UNION, or reorder rows. Only `avg`
//!   rounds (once, so both engines agree).
//! - **Comparison** ([`same_rows`]): Braid's `Boolean` counts as SQLite's integer 0/1;
//!   otherwise types must agree (Integer with Integer exactly, Real with Real within a
//!   relative 1e-9, Text exactly, NULL with NULL).
//! - **Reproducing.** The RNG seed is fixed ([`DEFAULT_SEED`]; `PROPTEST_RNG_SEED` overrides
//!   it), failures are not persisted to files, and a failure prints the shrunk case as an SQL
//!   script to paste into `sqlite3`, with both engines' answers.
//!
//! # Known differences excluded
//!
//! Differences found by this test and not fixed yet are kept out of the generator, each
//! behind a flag in [`known`] (with its minimal example there). To check a fix, set the flag
//! to `false` and run the test.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// Known differences between Braid and SQLite that the generator avoids for now. Each flag
/// is `true` while the difference exists; set it to `false` to generate the construct again.
mod known {
    /// `x IS y` and `x IS NOT y` with a right operand other than NULL are syntax errors.
    /// `SELECT 1 IS 1` -- SQLite: 1; Braid: "syntax error ... Expected: [NOT] NULL | TRUE |
    /// FALSE | DISTINCT ... after IS, found: 1". Generated instead: `IS [NOT] DISTINCT FROM`.
    pub const IS_OPERATOR: bool = true;

    /// A failed INSERT (here: a UNIQUE violation) still consumes a rowid; SQLite's next
    /// automatic rowid is max(rowid) + 1.
    /// `CREATE TABLE t(a INTEGER PRIMARY KEY, b INTEGER UNIQUE); INSERT INTO t VALUES(NULL, 1);
    /// INSERT INTO t VALUES(NULL, 1); INSERT INTO t VALUES(NULL, 2); SELECT a FROM t` --
    /// SQLite: 1, 2; Braid: 1, 3 (and after a failed `INSERT INTO t VALUES(5, 1)`: 1, 6).
    /// Avoided: an INTEGER PRIMARY KEY is never given NULL in a table with a UNIQUE index.
    pub const FAILED_INSERT_CONSUMES_ROWID: bool = true;

    /// After a comma join, a later JOIN's ON clause cannot see the tables left of the comma
    /// (PostgreSQL's precedence; in SQLite a comma is an ordinary join operator).
    /// `CREATE TABLE t(a INTEGER); SELECT * FROM t AS x, t AS y JOIN t AS z ON x.a = z.a` --
    /// SQLite: no rows; Braid: "no such column: x.a". Avoided: a comma only before the last
    /// table of a FROM clause.
    pub const COMMA_JOIN_SCOPE: bool = true;

    /// An IN list whose first element is a parenthesised subquery is a syntax error.
    /// `SELECT 1 IN ((SELECT 1), 2)` -- SQLite: 1; Braid: "syntax error ... Expected: ),
    /// found: ,". Avoided: the first element of an IN list is a literal.
    pub const IN_LIST_STARTING_WITH_SUBQUERY: bool = true;

    /// INTERSECT binds tighter than UNION and EXCEPT (PostgreSQL's rule); SQLite applies
    /// compound operators left to right. `SELECT 1 UNION SELECT 2 INTERSECT SELECT 2` --
    /// SQLite: 2; Braid: 1, 2. Avoided: INTERSECT only as the first compound operator.
    pub const INTERSECT_PRECEDENCE: bool = true;

    /// `x IN (SELECT y ...)` matches only values of the same type: neither SQLite's numeric
    /// equality of integers and reals nor its affinity conversions apply.
    /// `SELECT 2 IN (SELECT 2.0)` -- SQLite: 1; Braid: 0 (`2 IN (2.0)` is right).
    /// `CREATE TABLE t(a TEXT, b REAL); INSERT INTO t VALUES('1', 1.0);
    /// SELECT a IN (SELECT b FROM t) FROM t` -- SQLite: 1; Braid: 0 (`a = b` is right).
    /// Avoided: both sides of an IN subquery have the same type.
    pub const IN_SUBQUERY_TYPES: bool = true;

    /// `substr(x, 0, n)` is empty; SQLite's position 0 is just before the first character,
    /// so it returns the first n - 1 characters. `SELECT substr('abc', 0, 2)` -- SQLite: 'a';
    /// Braid: ''. Avoided: start 0 only without a length or with a length below 2.
    pub const SUBSTR_FROM_ZERO: bool = true;

    /// UNION, INTERSECT, EXCEPT, DISTINCT, GROUP BY and count(DISTINCT) tell an integer from
    /// a real of the same value; SQLite counts them as one value.
    /// `SELECT 1 INTERSECT SELECT 1.0` -- SQLite: 1; Braid: no rows.
    /// `SELECT count(DISTINCT x) FROM (SELECT 1 AS x UNION ALL SELECT 1.0)` -- SQLite: 1;
    /// Braid: 2. (Which of the two SQLite keeps is unspecified: `SELECT 0 UNION SELECT 0.0`
    /// gives 0.0, `SELECT 0.0 UNION SELECT 0` gives 0.) Avoided: a compound's column is never
    /// INTEGER in one member and REAL in another (the generator's other expressions keep one
    /// type per column), and compounds have no integers near the limits (whose arithmetic
    /// overflows to reals).
    pub const INT_REAL_DISTINCT: bool = true;

    /// `x IN (SELECT ...)` without a match is false even when the subquery returned a NULL
    /// (SQLite: NULL, so `NOT IN` is NULL too). `SELECT 1 IN (SELECT NULL)` -- SQLite: NULL;
    /// Braid: 0; `SELECT 1 NOT IN (SELECT NULL)` -- SQLite: NULL; Braid: 1 (the IN-list form
    /// `1 NOT IN (NULL)` is right). Avoided: an IN subquery filters out its NULLs.
    pub const IN_SUBQUERY_NULL: bool = true;

    /// `ORDER BY 0.0` (a real constant) is taken as a column position; SQLite takes only an
    /// integer constant as one. `SELECT 1 ORDER BY 0.0` -- SQLite: 1; Braid: "ORDER BY term
    /// out of range - should be between 1 and 1". Avoided: no ORDER BY term is a real
    /// constant.
    pub const ORDER_BY_REAL_CONSTANT: bool = true;

    /// A correlated subquery in an inner join's ON clause reads the other table's column
    /// when the join is planned with its sides swapped (here: more rows on the right, and a
    /// WHERE or a further join). `CREATE TABLE t0(a INTEGER, b INTEGER); INSERT INTO t0
    /// VALUES(1, 2); CREATE TABLE t1(a INTEGER, b INTEGER); INSERT INTO t1 VALUES(3, 4), (5, 6);
    /// SELECT y.b FROM t0 AS x JOIN t1 AS y ON (SELECT y.b) = 2 WHERE x.a = 1` -- SQLite: no
    /// rows; Braid: 4, 6 (`ON (SELECT x.b) = 4` gives 4; `ON EXISTS (SELECT 1 FROM t0 WHERE
    /// y.b = 2)` fails the same way). Avoided: no subquery in an inner join's ON clause.
    pub const INNER_JOIN_ON_SUBQUERY: bool = true;

    /// A real converted to text keeps 15 significant digits, and switches to exponent form
    /// from 1e15; SQLite prints up to 17 digits (the shortest that reads back the same) and
    /// 1e15 as 1000000000000000.0. `SELECT CAST(1.0 / 3 AS TEXT)` -- SQLite:
    /// '0.33333333333333331'; Braid: '0.333333333333333'. `SELECT CAST(1e15 AS TEXT)` --
    /// SQLite: '1000000000000000.0'; Braid: '1.0e+15'. Avoided: the reals converted to text
    /// (`||`, CAST AS TEXT, group_concat) are columns or literals, whose values are short,
    /// and the integer expressions converted have no integers near the limits (whose
    /// arithmetic overflows to reals).
    pub const REAL_TO_TEXT: bool = true;

    /// `IS [NOT] DISTINCT FROM` applies no affinity, unlike `=`. `CREATE TABLE t(a TEXT, b REAL);
    /// INSERT INTO t VALUES('1', 1.0); SELECT a IS NOT DISTINCT FROM b, a = b FROM t` --
    /// SQLite: 1, 1; Braid: 0, 1. Avoided (with [`IS_OPERATOR`]): both sides of `IS [NOT]
    /// DISTINCT FROM` have the same type.
    pub const IS_DISTINCT_FROM_AFFINITY: bool = true;

    /// An aggregate in the ORDER BY of a query that has none in its SELECT list (and no
    /// GROUP BY) makes it an aggregate query; SQLite refuses it.
    /// `CREATE TABLE t(a INTEGER); SELECT a FROM t ORDER BY count(*)` -- SQLite: "misuse of
    /// aggregate: count()"; Braid: one row (NULL). Avoided: an aggregate query without GROUP
    /// BY has only column positions in its ORDER BY.
    pub const ORDER_BY_AGGREGATE_IN_PLAIN_QUERY: bool = true;

    /// An ORDER BY term that is an integer constant with a sign or parentheses is a column
    /// position in SQLite, as a bare integer is; Braid takes it as a constant expression.
    /// `SELECT 5 ORDER BY -1` and `SELECT 5 ORDER BY (2)` -- SQLite: "1st ORDER BY term out of
    /// range - should be between 1 and 1"; Braid: 5. Avoided: no such ORDER BY term.
    pub const ORDER_BY_SIGNED_POSITION: bool = true;

    /// A scalar subquery has no affinity; in SQLite it has its result column's.
    /// `CREATE TABLE t(a TEXT, b INTEGER); INSERT INTO t VALUES('1', 1);
    /// SELECT (SELECT a FROM t) = 1, (SELECT b FROM t) = '1', a = 1 FROM t` -- SQLite: 1, 1,
    /// 1; Braid: 0, 0, 1. Avoided: a scalar subquery is compared only with a value of its
    /// type.
    pub const SCALAR_SUBQUERY_AFFINITY: bool = true;

    /// A TEXT column compared with a condition's value (a boolean) gets no affinity
    /// conversion, as it does with an integer. `CREATE TABLE t(a TEXT); INSERT INTO t
    /// VALUES('1'); SELECT a = (1 = 1), a = 1 FROM t` -- SQLite: 1, 1; Braid: 0, 1.
    /// Avoided: no condition's value inside a comparison of text with a number.
    pub const TEXT_VS_BOOLEAN: bool = true;

    /// `replace(x, '', NULL)` is NULL; SQLite returns x when the pattern is empty, before
    /// looking at the replacement. `SELECT replace('a', '', NULL)` -- SQLite: 'a'; Braid:
    /// NULL. Avoided: no NULL replacement for an empty pattern.
    pub const REPLACE_EMPTY_WITH_NULL: bool = true;

    /// CAST of text to INTEGER reads an exponent; SQLite stops at the 'e' (only CAST to
    /// REAL and affinity conversions read it). `SELECT CAST('1e1' AS INTEGER),
    /// CAST('2.5e1' AS INTEGER)` -- SQLite: 1, 2; Braid: 10, 25. Avoided: no text literal
    /// with an exponent ([`super::EXPONENT_TEXT`]).
    pub const CAST_EXPONENT_TO_INTEGER: bool = true;

    /// `sign()` of text that is not a number is 0; SQLite: NULL. `SELECT sign('a')` --
    /// SQLite: NULL; Braid: 0. Avoided: `sign()` of numbers only.
    pub const SIGN_OF_TEXT: bool = true;

    /// `sum()` of text that is not an integer is an integer; SQLite's is a real (as for
    /// any input that is not an integer). `SELECT sum('a')` -- SQLite: 0.0; Braid: 0.
    /// Avoided: `sum()` of numbers only.
    pub const SUM_OF_TEXT: bool = true;
}

/// Where PostgreSQL, Braid's dialect, errs and SQLite answers: by design, not bugs. The
/// generator keeps both engines on the ground they share, so that what the test compares is
/// the semantics they agree on.
mod dialect {
    /// Division by zero is an error (22012); SQLite: NULL. `SELECT 1 / 0`. Kept out: integer
    /// divisors are `nullif(d, 0)`, real divisors are never 0.0.
    pub const DIVISION_BY_ZERO_IS_AN_ERROR: bool = true;
    /// Integer overflow is an error (22003); SQLite switches to REAL.
    /// `SELECT 9223372036854775807 + 1`. Kept out: no integer literals near the limits.
    pub const INTEGER_OVERFLOW_IS_AN_ERROR: bool = true;
    /// CAST of text that is not a number to a number is an error (22P02), and a real cast to
    /// INTEGER rounds (halves to even); SQLite reads the numeric prefix (`'12abc'` is 12,
    /// `'a'` is 0) and truncates. `SELECT CAST('a' AS INTEGER), CAST(3.5 AS INTEGER)`. Kept
    /// out: CAST to INTEGER takes integers, CAST to REAL integers and reals.
    pub const CASTS_ARE_STRICT: bool = true;
}

/// Cases run by default (`PROPTEST_CASES` overrides).
const CASES: u32 = 2000;
/// The RNG seed used unless `PROPTEST_RNG_SEED` is set.
const DEFAULT_SEED: u64 = 0x000b_5a1d_d1ff;
/// Queries per case (the schema and data are set up once for all of them).
const MAX_QUERIES: usize = 8;
/// Length of a query's choice stream: longer streams give bigger queries.
const MAX_CHOICES: usize = 200;
const MAX_TABLES: usize = 3;
const MAX_COLUMNS: usize = 5;
const MAX_ROWS: usize = 30;
/// Subqueries nest at most this deep.
const MAX_NESTING: u32 = 2;

const INT_DOMAIN: &[&str] = &["0", "1", "2", "-1", "3", "5", "10"];
const REAL_DOMAIN: &[&str] = &["0.0", "1.0", "2.5", "-1.5", "0.5", "3.0", "-2.0"];
const TEXT_DOMAIN: &[&str] = &["'a'", "'b'", "''", "'ab'", "'B'", "'abc'", "'1'"];
/// Query literals only.
const NUMERIC_TEXT: &[&str] = &["' 1'", "'2.5'", "'-3'", "'12abc'", "'0x10'", "'1 '", "'+3'", "'.5'"];
/// Query literals only, unless [`known::CAST_EXPONENT_TO_INTEGER`].
const EXPONENT_TEXT: &[&str] = &["'1e1'", "'2.5e1'", "'-1e-1'"];
/// Query literals only.
const BIG_INTS: &[&str] = &["9223372036854775807", "-9223372036854775807", "4611686018427387904"];

#[test]
fn braid_matches_sqlite() {
    let mut config = Config { failure_persistence: None, max_shrink_iters: 20_000, ..Config::default() };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = CASES;
    }
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    let seed = config.rng_seed;
    let mut runner = TestRunner::new(config);
    let default_hook = panic::take_hook();
    // Braid panics are caught and reported as mismatches; keep shrinking quiet.
    panic::set_hook(Box::new(|_| {}));
    let result = runner.run(&case_strategy(), |case| run_case(&case).map_err(TestCaseError::fail));
    panic::set_hook(default_hook);
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, _)) => panic!("Braid and SQLite differ (PROPTEST_RNG_SEED={seed}):\n{reason}"),
        Err(TestError::Abort(reason)) => panic!("aborted (PROPTEST_RNG_SEED={seed}): {reason}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The case: schema, data, query streams

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Real,
    Text,
}

const TYPES: [Ty; 3] = [Ty::Int, Ty::Real, Ty::Text];

impl Ty {
    fn sql(self) -> &'static str {
        match self {
            Ty::Int => "INTEGER",
            Ty::Real => "REAL",
            Ty::Text => "TEXT",
        }
    }

    fn domain(self) -> &'static [&'static str] {
        match self {
            Ty::Int => INT_DOMAIN,
            Ty::Real => REAL_DOMAIN,
            Ty::Text => TEXT_DOMAIN,
        }
    }
}

#[derive(Clone, Debug)]
struct IndexDef {
    /// Column positions; taken modulo the table's width and deduplicated.
    columns: Vec<usize>,
    unique: bool,
}

#[derive(Clone, Debug)]
struct TableDef {
    columns: Vec<Ty>,
    /// Column 0 is an INTEGER PRIMARY KEY (and then of type INTEGER).
    pk: bool,
    indexes: Vec<IndexDef>,
}

#[derive(Clone, Debug)]
struct Case {
    tables: Vec<TableDef>,
    /// Per table, rows of raw values (see [`value_sql`]); extra rows or columns are ignored.
    data: Vec<Vec<Vec<u8>>>,
    /// One choice stream per query (see [`Gen`]).
    queries: Vec<Vec<u16>>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let tables = vec(table_strategy(), 1..=MAX_TABLES);
    let rows = vec(vec(vec(any::<u8>(), MAX_COLUMNS), 0..=MAX_ROWS), MAX_TABLES);
    let queries = vec(vec(any::<u16>(), 0..=MAX_CHOICES), 1..=MAX_QUERIES);
    (tables, rows, queries).prop_map(|(tables, data, queries)| Case { tables, data, queries })
}

fn table_strategy() -> impl Strategy<Value = TableDef> {
    let column = prop::sample::select(&TYPES[..]);
    let index = (vec(0..MAX_COLUMNS, 1..=2), prop::bool::weighted(0.3))
        .prop_map(|(columns, unique)| IndexDef { columns, unique });
    (vec(column, 1..=MAX_COLUMNS), prop::bool::weighted(0.3), vec(index, 0..=2)).prop_map(
        |(mut columns, pk, indexes)| {
            if pk {
                columns[0] = Ty::Int;
            }
            TableDef { columns, pk, indexes }
        },
    )
}

/// The SQL literal for raw value `raw` in a column of type `ty`: mostly the type's domain,
/// sometimes NULL. A primary key (`pk`) takes 1..=9, or NULL (a fresh rowid) if `auto_rowid`.
fn value_sql(ty: Ty, pk: bool, auto_rowid: bool, raw: u8) -> String {
    if pk {
        return match raw % 10 {
            9 if auto_rowid => "NULL".to_string(),
            k => (k % 9 + 1).to_string(),
        };
    }
    let domain = ty.domain();
    let k = usize::from(raw) % (domain.len() + 1);
    domain.get(k).map_or("NULL".to_string(), |v| v.to_string())
}

/// The statements that create and fill the case's tables, in order.
fn setup_statements(case: &Case) -> Vec<String> {
    let mut statements = Vec::new();
    for (t, table) in case.tables.iter().enumerate() {
        let columns: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(c, ty)| {
                let pk = if c == 0 && table.pk { " PRIMARY KEY" } else { "" };
                format!("c{c} {}{pk}", ty.sql())
            })
            .collect();
        statements.push(format!("CREATE TABLE t{t}({})", columns.join(", ")));
        for (i, index) in table.indexes.iter().enumerate() {
            let mut cols: Vec<usize> = index.columns.iter().map(|c| c % table.columns.len()).collect();
            cols.dedup();
            let cols: Vec<String> = cols.iter().map(|c| format!("c{c}")).collect();
            let unique = if index.unique { "UNIQUE " } else { "" };
            statements.push(format!("CREATE {unique}INDEX t{t}_i{i} ON t{t}({})", cols.join(", ")));
        }
        let has_unique = table.indexes.iter().any(|index| index.unique);
        let auto_rowid = !(known::FAILED_INSERT_CONSUMES_ROWID && has_unique);
        for row in &case.data[t] {
            let values: Vec<String> = table
                .columns
                .iter()
                .zip(row)
                .enumerate()
                .map(|(c, (&ty, &raw))| value_sql(ty, c == 0 && table.pk, auto_rowid, raw))
                .collect();
            statements.push(format!("INSERT INTO t{t} VALUES({})", values.join(", ")));
        }
    }
    statements
}

// ---------------------------------------------------------------------------------------------
// Query generation

/// A column an expression may use: its qualified name and type.
#[derive(Clone, Debug)]
struct Col {
    name: String,
    ty: Ty,
    /// The name may go without its table: the table is the only one in the innermost
    /// FROM clause.
    unqualified: bool,
}

impl Col {
    fn unqualified_name(&self) -> &str {
        self.name.split_once('.').map_or(&self.name, |(_, column)| column)
    }
}

/// Whether an expression mentions a column (`c0`, `a1.c2`, ...).
fn mentions_column(expr: &str) -> bool {
    expr.as_bytes().windows(2).any(|w| w[0] == b'c' && w[1].is_ascii_digit())
}

/// What an expression may refer to.
#[derive(Clone, Debug, Default)]
struct Scope {
    /// Columns that may appear bare.
    cols: Vec<Col>,
    /// In an aggregate context, the columns aggregate arguments range over; `None` where
    /// aggregates are not allowed.
    agg: Option<Vec<Col>>,
}

impl Scope {
    fn plain(cols: Vec<Col>) -> Self {
        Scope { cols, agg: None }
    }

    fn of_type(&self, ty: Ty) -> Vec<&Col> {
        self.cols.iter().filter(|c| c.ty == ty).collect()
    }
}

/// A generated query and how to compare its results.
#[derive(Debug)]
struct Query {
    sql: String,
    /// The query's ORDER BY orders its rows totally: compare in order.
    ordered: bool,
    /// Output columns that are a bare `group_concat` (with their separator): compared as
    /// multisets of pieces.
    concat: Vec<(usize, &'static str)>,
}

/// The query generator: every decision takes the next number of `choices` (0 once they run
/// out, and 0 is always the simplest option).
struct Gen<'a> {
    tables: &'a [TableDef],
    choices: &'a [u16],
    pos: usize,
    /// Subquery aliases are numbered across the query, so they never shadow an outer one.
    next_alias: usize,
    nesting: u32,
    /// Whether an integer expression may be a condition's value (0 or 1).
    booleans: bool,
    /// Whether integer literals may be near the limits. Not in `sum()` and `abs()`: their
    /// overflow errors depend on which rows the engine evaluates (SQLite skips the right
    /// side of an INTERSECT whose left side is empty).
    big_ints: bool,
    /// Whether INTEGER expressions must be integers (and REAL ones reals) whatever the data:
    /// no integer arithmetic that may overflow into a real, no `sum()` of text.
    exact_types: bool,
}

impl<'a> Gen<'a> {
    fn new(tables: &'a [TableDef], choices: &'a [u16]) -> Self {
        Gen { tables, choices, pos: 0, next_alias: 0, nesting: 0, booleans: true, big_ints: true, exact_types: false }
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        let choice = self.choices.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        // Scaled, not reduced modulo n: a smaller number is a simpler choice, so proptest's
        // shrinking (which halves numbers) moves toward simpler queries.
        (usize::from(choice) * n) >> 16
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) >= 100 - percent
    }

    fn weighted(&mut self, weights: &[usize]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        unreachable!("r is below the sum of the weights")
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn any_ty(&mut self) -> Ty {
        self.pick(&TYPES)
    }

    fn not(&mut self) -> &'static str {
        if self.chance(30) { "NOT " } else { "" }
    }

    // --- queries -------------------------------------------------------------------------

    fn query(&mut self) -> Query {
        match self.weighted(&[5, 3, 2]) {
            0 => self.simple_query(),
            1 => self.aggregate_query(),
            _ => {
                self.exact_types = known::INT_REAL_DISTINCT;
                self.compound_query()
            }
        }
    }

    /// The types of a SELECT list's items.
    fn item_types(&mut self, max: usize) -> Vec<Ty> {
        (0..1 + self.below(max)).map(|_| self.any_ty()).collect()
    }

    fn simple_query(&mut self) -> Query {
        let types = self.item_types(4);
        let n = types.len();
        let (sql, scope, distinct) = self.simple_core(&types);
        let order_scope = if distinct { None } else { Some(&scope) };
        self.finish(sql, n, order_scope, Vec::new())
    }

    fn aggregate_query(&mut self) -> Query {
        let types = self.item_types(4);
        let n = types.len();
        let ordered = self.chance(30);
        let mut concat = Vec::new();
        let (sql, scope) = self.aggregate_core(&types, (!ordered).then_some(&mut concat));
        if !ordered {
            return Query { sql, ordered, concat };
        }
        // Without GROUP BY, the query may have no aggregate in its SELECT list.
        let grouped = !scope.cols.is_empty();
        let order_scope = (grouped || !known::ORDER_BY_AGGREGATE_IN_PLAIN_QUERY).then_some(&scope);
        self.finish(sql, n, order_scope, concat)
    }

    fn compound_query(&mut self) -> Query {
        let types = self.item_types(3);
        let n = types.len();
        let mut sql = self.compound_core(&types);
        for i in 0..1 + self.weighted(&[4, 1]) {
            let mut op = self.pick(&["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]);
            if op == "INTERSECT" && i > 0 && known::INTERSECT_PRECEDENCE {
                op = "UNION";
            }
            sql = format!("{sql} {op} {}", self.compound_member(&types));
        }
        self.finish(sql, n, None, Vec::new())
    }

    /// A member of a compound SELECT: its items have the first member's `types`, except that
    /// a column may have another type in each member.
    fn compound_member(&mut self, types: &[Ty]) -> String {
        let mut member_types = types.to_vec();
        for (ty, &first) in member_types.iter_mut().zip(types) {
            if self.chance(30) {
                *ty = self.any_ty();
            }
            if known::INT_REAL_DISTINCT && *ty != first && *ty != Ty::Text && first != Ty::Text {
                *ty = first;
            }
        }
        self.compound_core(&member_types)
    }

    fn compound_core(&mut self, types: &[Ty]) -> String {
        if self.chance(25) { self.aggregate_core(types, None).0 } else { self.simple_core(types).0 }
    }

    /// Adds, sometimes, an ORDER BY that ends with every output column (a total order,
    /// optionally led by an expression over `scope`) and a LIMIT/OFFSET.
    fn finish(
        &mut self,
        mut sql: String,
        n: usize,
        scope: Option<&Scope>,
        concat: Vec<(usize, &'static str)>,
    ) -> Query {
        let ordered = concat.is_empty() && self.chance(35);
        if ordered {
            let mut terms = Vec::new();
            if let Some(scope) = scope.filter(|_| self.chance(50)) {
                let ty = self.any_ty();
                let depth = self.below(3) as u32;
                let expr = self.expr(scope, ty, depth);
                if let Some(term) = self.order_term(expr) {
                    terms.push(format!("{term}{}", self.direction()));
                }
            }
            for i in 1..=n {
                terms.push(format!("{i}{}", self.direction()));
            }
            write!(sql, " ORDER BY {}", terms.join(", ")).unwrap();
            if self.chance(70) {
                write!(sql, " LIMIT {}", self.below(6)).unwrap();
                if self.chance(30) {
                    write!(sql, " OFFSET {}", self.below(4)).unwrap();
                }
            }
        }
        Query { sql, ordered, concat }
    }

    /// `expr` as the leading ORDER BY term, if it can be one. An integer constant there is a
    /// column position (likely out of range), and SQLite's parser folds some expressions
    /// into integer constants (`ORDER BY (0 IS NULL)` and `ORDER BY (a.c0 = 1 AND 0)` are
    /// `ORDER BY 0`, an error): the term must use a column, and a parenthesised one (an
    /// operator's result) goes in a function call, which SQLite does not fold. Constants of
    /// known differences are let through once these are fixed.
    fn order_term(&self, expr: String) -> Option<String> {
        let signed: String = expr.chars().filter(|c| !"()+- ".contains(*c)).collect();
        let signed_position = expr.parse::<i64>().is_err() && signed.parse::<i64>().is_ok();
        let real = expr.parse::<f64>().is_ok() && expr.contains('.');
        if !mentions_column(&expr) {
            let known_difference =
                (signed_position && !known::ORDER_BY_SIGNED_POSITION) || (real && !known::ORDER_BY_REAL_CONSTANT);
            known_difference.then_some(expr)
        } else if expr.starts_with('(') {
            Some(format!("coalesce({expr}, NULL)"))
        } else {
            Some(expr)
        }
    }

    /// An ORDER BY term's direction, always with its NULL placement: SQLite's default
    /// (NULLs first ascending) is the opposite of PostgreSQL's, Braid's dialect.
    fn direction(&mut self) -> &'static str {
        let direction = self.pick(&["", " DESC", " ASC"]);
        match (direction, self.below(2)) {
            ("", 0) => " NULLS FIRST",
            ("", _) => " NULLS LAST",
            (" DESC", 0) => " DESC NULLS FIRST",
            (" DESC", _) => " DESC NULLS LAST",
            (_, 0) => " ASC NULLS FIRST",
            _ => " ASC NULLS LAST",
        }
    }

    /// `SELECT [DISTINCT] items FROM ... [WHERE ...]`: the SQL, the FROM clause's scope, and
    /// whether it is DISTINCT.
    fn simple_core(&mut self, types: &[Ty]) -> (String, Scope, bool) {
        let (from, cols) = self.gen_from();
        let scope = Scope::plain(cols);
        let distinct = self.chance(15);
        let items: Vec<String> = types.iter().map(|&ty| self.item(&scope, ty)).collect();
        let filter = self.opt_where(&scope);
        let keyword = if distinct { "DISTINCT " } else { "" };
        (format!("SELECT {keyword}{} FROM {from}{filter}", items.join(", ")), scope, distinct)
    }

    /// An aggregate SELECT (with or without GROUP BY, sometimes HAVING): the SQL and the
    /// aggregate scope. With `concat`, output columns may be bare `group_concat`s, recorded
    /// there.
    fn aggregate_core(&mut self, types: &[Ty], mut concat: Option<&mut Vec<(usize, &'static str)>>) -> (String, Scope) {
        let (from, cols) = self.gen_from();
        let filter = self.opt_where(&Scope::plain(cols.clone()));
        let mut group = Vec::new();
        if self.chance(75) {
            for _ in 0..1 + self.below(2) {
                let key = self.group_key(&cols);
                group.push(key);
            }
        }
        let scope = Scope { cols: group.clone(), agg: Some(cols) };
        let mut items = Vec::new();
        for (i, &ty) in types.iter().enumerate() {
            let group_cols = scope.of_type(ty);
            let item = match concat.as_deref_mut() {
                Some(concat) if ty == Ty::Text && self.chance(25) => {
                    let (item, separator) = self.group_concat(&scope);
                    concat.push((i, separator));
                    item
                }
                _ if !group_cols.is_empty() && self.chance(25) => group_cols[self.below(group_cols.len())].name.clone(),
                _ => self.item(&scope, ty),
            };
            items.push(item);
        }
        let mut sql = format!("SELECT {} FROM {from}{filter}", items.join(", "));
        if !group.is_empty() {
            let names: Vec<&str> = group.iter().map(|c| c.name.as_str()).collect();
            write!(sql, " GROUP BY {}", names.join(", ")).unwrap();
            if self.chance(30) {
                write!(sql, " HAVING {}", self.cond(&scope, 1)).unwrap();
            }
        }
        (sql, scope)
    }

    /// A GROUP BY term: mostly a column, sometimes an expression over the columns (without
    /// subqueries), which the SELECT list then uses like a column.
    fn group_key(&mut self, cols: &[Col]) -> Col {
        let column = cols[self.below(cols.len())].clone();
        if !self.chance(25) {
            return column;
        }
        let ty = self.any_ty();
        let nesting = std::mem::replace(&mut self.nesting, MAX_NESTING);
        // Qualified names only: a subquery may use the key, and its table names the same
        // columns.
        let qualified = cols.iter().map(|c| Col { unqualified: false, ..c.clone() }).collect();
        let expr = self.expr(&Scope::plain(qualified), ty, 1);
        self.nesting = nesting;
        // A constant would be a column position (and a boolean is not of its type).
        if mentions_column(&expr) && !expr.starts_with("((") {
            Col { name: expr, ty, unqualified: false }
        } else {
            column
        }
    }

    fn group_concat(&mut self, scope: &Scope) -> (String, &'static str) {
        let args = Scope::plain(scope.agg.clone().unwrap_or_default());
        let depth = self.below(2) as u32;
        let arg = self.text_source(&args, depth);
        match self.below(3) {
            0 => (format!("group_concat({arg})"), ","),
            1 => (format!("group_concat(DISTINCT {arg})"), ","),
            _ => (format!("group_concat({arg}, '|')"), "|"),
        }
    }

    fn item(&mut self, scope: &Scope, ty: Ty) -> String {
        let depth = self.weighted(&[3, 3, 2, 1]) as u32;
        self.expr(scope, ty, depth)
    }

    fn opt_where(&mut self, scope: &Scope) -> String {
        if self.chance(60) {
            let depth = 1 + self.below(2) as u32;
            format!(" WHERE {}", self.cond(scope, depth))
        } else {
            String::new()
        }
    }

    /// A FROM clause of 1–3 tables (inner, left and cross joins) aliased `a0`, `a1`, ...
    fn gen_from(&mut self) -> (String, Vec<Col>) {
        let n = 1 + self.weighted(&[4, 4, 2]);
        let mut sql = String::new();
        let mut cols = Vec::new();
        for k in 0..n {
            let t = self.below(self.tables.len());
            let alias = format!("a{k}");
            let table_cols = self.table_cols(t, &alias, n == 1);
            cols.extend(table_cols.iter().cloned());
            if k == 0 {
                sql = format!("t{t} AS {alias}");
                continue;
            }
            match self.weighted(&[3, 3, 1, 1]) {
                kind @ (0 | 1) => {
                    let nesting = self.nesting;
                    if kind == 0 && known::INNER_JOIN_ON_SUBQUERY {
                        self.nesting = MAX_NESTING;
                    }
                    let on = self.join_condition(&cols, &table_cols);
                    self.nesting = nesting;
                    let left = if kind == 1 { "LEFT " } else { "" };
                    write!(sql, " {left}JOIN t{t} AS {alias} ON {on}").unwrap();
                }
                3 if !known::COMMA_JOIN_SCOPE || k == n - 1 => write!(sql, ", t{t} AS {alias}").unwrap(),
                _ => write!(sql, " CROSS JOIN t{t} AS {alias}").unwrap(),
            }
        }
        (sql, cols)
    }

    fn table_cols(&self, t: usize, alias: &str, unqualified: bool) -> Vec<Col> {
        let columns = self.tables[t].columns.iter().enumerate();
        columns.map(|(c, &ty)| Col { name: format!("{alias}.c{c}"), ty, unqualified }).collect()
    }

    /// Mostly an equality between a column of the joined table and an earlier column of the
    /// same type, sometimes with another condition; otherwise any condition.
    fn join_condition(&mut self, cols: &[Col], right: &[Col]) -> String {
        let scope = Scope::plain(cols.to_vec());
        let left = &cols[..cols.len() - right.len()];
        let r = &right[self.below(right.len())];
        let candidates: Vec<&Col> = left.iter().filter(|c| c.ty == r.ty).collect();
        if candidates.is_empty() || self.chance(25) {
            return self.cond(&scope, 1);
        }
        let l = candidates[self.below(candidates.len())];
        let equality = format!("{} = {}", l.name, r.name);
        if self.chance(25) { format!("{equality} AND {}", self.cond(&scope, 1)) } else { equality }
    }

    // --- expressions ---------------------------------------------------------------------

    /// An expression of type `ty` (NULL aside) at most `depth` levels deep.
    fn expr(&mut self, scope: &Scope, ty: Ty, depth: u32) -> String {
        if depth == 0 {
            return self.leaf(scope, ty);
        }
        let d = depth - 1;
        match ty {
            Ty::Int => self.int_expr(scope, d),
            Ty::Real => self.real_expr(scope, d),
            Ty::Text => self.text_expr(scope, d),
        }
    }

    fn leaf(&mut self, scope: &Scope, ty: Ty) -> String {
        if scope.agg.is_some() && self.chance(60) {
            return self.aggregate(scope, ty);
        }
        self.plain_leaf(scope, ty)
    }

    /// A column or a literal.
    fn plain_leaf(&mut self, scope: &Scope, ty: Ty) -> String {
        let cols = scope.of_type(ty);
        if !cols.is_empty() && self.below(4) != 3 {
            let col = cols[self.below(cols.len())];
            let name = if col.unqualified && self.chance(25) { col.unqualified_name() } else { &col.name };
            return name.to_string();
        }
        self.literal(ty)
    }

    /// A literal: mostly from the data's domain, sometimes text that reads as a number
    /// (for conversions and affinity) or an integer near the limits (for overflow).
    fn literal(&mut self, ty: Ty) -> String {
        match (ty, self.below(100)) {
            (Ty::Text, 98..) if !known::CAST_EXPONENT_TO_INTEGER => self.pick(EXPONENT_TEXT).to_string(),
            (Ty::Text, 90..) => self.pick(NUMERIC_TEXT).to_string(),
            (Ty::Int, 97..) if self.big_ints && !self.exact_types && !dialect::INTEGER_OVERFLOW_IS_AN_ERROR => {
                self.pick(BIG_INTS).to_string()
            }
            // `2.5` is a NUMERIC in PostgreSQL's dialect and a float in SQLite's; the CAST
            // makes it a float in both.
            _ => match value_sql(ty, false, false, self.below(256) as u8) {
                real if ty == Ty::Real && real != "NULL" => format!("CAST({real} AS REAL)"),
                other => other,
            },
        }
    }

    fn int_expr(&mut self, s: &Scope, d: u32) -> String {
        match self.weighted(&[4, 4, 1, 1, 1, 1, 2, 2, 1, 1, 1]) {
            0 => self.leaf(s, Ty::Int),
            1 => {
                let op = self.pick(&["+", "-", "*", "/", "%"]);
                let (left, right) = (self.expr(s, Ty::Int, d), self.expr(s, Ty::Int, d));
                if matches!(op, "/" | "%") && dialect::DIVISION_BY_ZERO_IS_AN_ERROR {
                    format!("({left} {op} nullif({right}, 0))")
                } else {
                    format!("({left} {op} {right})")
                }
            }
            2 => format!("(- {})", self.expr(s, Ty::Int, d)),
            3 => format!("abs({})", self.without_big_ints(|g| g.expr(s, Ty::Int, d))),
            4 => format!("length({})", self.expr(s, Ty::Text, d)),
            5 => self.cast(s, Ty::Int, d),
            6 => self.case(s, Ty::Int, d),
            7 => self.coalesce(s, Ty::Int, d),
            8 => self.scalar_subquery(s, Ty::Int, d),
            9 => self.function(s, Ty::Int, d),
            _ if self.booleans => format!("({})", self.boolean(s, d)),
            _ => self.leaf(s, Ty::Int),
        }
    }

    fn real_expr(&mut self, s: &Scope, d: u32) -> String {
        match self.weighted(&[4, 4, 1, 1, 1, 2, 2, 1, 1]) {
            0 => self.leaf(s, Ty::Real),
            1 => {
                // One operand is REAL, so the result is.
                let op = self.pick(&["+", "-", "*", "/"]);
                if op == "/" {
                    // Only powers of two as divisors, so that reals stay exact (see the
                    // module documentation).
                    let numerator_ty = self.pick(&[Ty::Real, Ty::Int]);
                    let numerator = self.expr(s, numerator_ty, d);
                    let divisors: &[&str] = if dialect::DIVISION_BY_ZERO_IS_AN_ERROR {
                        &["2.0", "0.5", "-4.0", "1.0"]
                    } else {
                        &["2.0", "0.5", "-4.0", "1.0", "0.0"]
                    };
                    // A float in both dialects, as `literal` writes them.
                    return format!("({numerator} / CAST({} AS REAL))", self.pick(divisors));
                }
                let real = self.expr(s, Ty::Real, d);
                let other_ty = self.pick(&[Ty::Real, Ty::Int]);
                let other = self.expr(s, other_ty, d);
                if self.chance(50) { format!("({real} {op} {other})") } else { format!("({other} {op} {real})") }
            }
            2 => format!("(- {})", self.expr(s, Ty::Real, d)),
            3 => format!("abs({})", self.expr(s, Ty::Real, d)),
            4 => self.cast(s, Ty::Real, d),
            5 => self.case(s, Ty::Real, d),
            6 => self.coalesce(s, Ty::Real, d),
            7 => self.function(s, Ty::Real, d),
            _ => self.scalar_subquery(s, Ty::Real, d),
        }
    }

    fn text_expr(&mut self, s: &Scope, d: u32) -> String {
        match self.weighted(&[4, 3, 2, 2, 1, 2, 2, 2, 1]) {
            0 => self.leaf(s, Ty::Text),
            1 => format!("({} || {})", self.expr(s, Ty::Text, d), self.text_source(s, d)),
            2 => {
                let f = self.pick(&["upper", "lower"]);
                format!("{f}({})", self.expr(s, Ty::Text, d))
            }
            3 => {
                let text = self.expr(s, Ty::Text, d);
                let start = self.pick(&["1", "2", "0", "-1", "3"]);
                let length = self.pick(&["", "1", "2", "0", "-1"]);
                if length.is_empty() {
                    format!("substr({text}, {start})")
                } else if start == "0" && length == "2" && known::SUBSTR_FROM_ZERO {
                    format!("substr({text}, 1, {length})")
                } else {
                    format!("substr({text}, {start}, {length})")
                }
            }
            4 => self.cast(s, Ty::Text, d),
            5 => self.case(s, Ty::Text, d),
            6 => self.coalesce(s, Ty::Text, d),
            7 => self.function(s, Ty::Text, d),
            _ => self.scalar_subquery(s, Ty::Text, d),
        }
    }

    /// A call of one of the other scalar functions, of result type `ty`.
    fn function(&mut self, s: &Scope, ty: Ty, d: u32) -> String {
        match (ty, self.below(4)) {
            (_, 0) => {
                let f = self.pick(&["nullif", "ifnull", "max", "min"]);
                format!("{f}({}, {})", self.expr(s, ty, d), self.expr(s, ty, d))
            }
            (_, 1) => format!("iif({}, {}, {})", self.cond(s, d), self.expr(s, ty, d), self.expr(s, ty, d)),
            (Ty::Int, 2) => format!("instr({}, {})", self.expr(s, Ty::Text, d), self.expr(s, Ty::Text, d)),
            (Ty::Int, _) => {
                let ty = if known::SIGN_OF_TEXT { self.pick(&[Ty::Int, Ty::Real]) } else { self.any_ty() };
                format!("sign({})", self.expr(s, ty, d))
            }
            (Ty::Real, 2) => format!("round({})", self.expr(s, Ty::Real, d)),
            (Ty::Real, _) => format!("round({}, 1)", self.expr(s, Ty::Real, d)),
            (Ty::Text, 2) => {
                let f = self.pick(&["trim", "ltrim", "rtrim"]);
                format!("{f}({})", self.expr(s, Ty::Text, d))
            }
            (Ty::Text, _) => match self.below(2) {
                0 => format!("typeof({})", self.any_expr(s, d)),
                _ => {
                    let (text, from, mut to) =
                        (self.expr(s, Ty::Text, d), self.literal(Ty::Text), self.literal(Ty::Text));
                    if from == "''" && to == "NULL" && known::REPLACE_EMPTY_WITH_NULL {
                        to = "'x'".to_string();
                    }
                    format!("replace({text}, {from}, {to})")
                }
            },
        }
    }

    fn cast(&mut self, s: &Scope, ty: Ty, d: u32) -> String {
        let operand = match ty {
            Ty::Text => self.text_source(s, d),
            Ty::Int if dialect::CASTS_ARE_STRICT => self.expr(s, Ty::Int, d),
            Ty::Real if dialect::CASTS_ARE_STRICT => {
                let from = self.pick(&[Ty::Int, Ty::Real]);
                self.expr(s, from, d)
            }
            _ => self.any_expr(s, d),
        };
        format!("CAST({operand} AS {})", ty.sql())
    }

    fn any_expr(&mut self, s: &Scope, d: u32) -> String {
        let ty = self.any_ty();
        self.expr(s, ty, d)
    }

    /// An expression of any type that will be converted to text.
    fn text_source(&mut self, s: &Scope, d: u32) -> String {
        let ty = self.any_ty();
        if !known::REAL_TO_TEXT {
            return self.expr(s, ty, d);
        }
        if ty == Ty::Real {
            return self.plain_leaf(s, ty);
        }
        // Integer arithmetic near the limits gives reals.
        self.without_big_ints(|g| g.expr(s, ty, d))
    }

    fn without_big_ints(&mut self, f: impl FnOnce(&mut Self) -> String) -> String {
        let big_ints = std::mem::replace(&mut self.big_ints, false);
        let expr = f(self);
        self.big_ints = big_ints;
        expr
    }

    fn coalesce(&mut self, s: &Scope, ty: Ty, d: u32) -> String {
        let args: Vec<String> = (0..2 + self.below(2)).map(|_| self.expr(s, ty, d)).collect();
        format!("coalesce({})", args.join(", "))
    }

    /// A searched or simple CASE whose results all have type `ty`.
    fn case(&mut self, s: &Scope, ty: Ty, d: u32) -> String {
        let mut sql = String::from("CASE");
        let operand_ty = self.chance(30).then(|| self.any_ty());
        if let Some(operand_ty) = operand_ty {
            write!(sql, " {}", self.expr(s, operand_ty, d)).unwrap();
        }
        for _ in 0..1 + self.below(2) {
            let when = match operand_ty {
                Some(operand_ty) => self.expr(s, operand_ty, d),
                None => self.cond(s, d),
            };
            write!(sql, " WHEN {when} THEN {}", self.expr(s, ty, d)).unwrap();
        }
        if self.chance(60) {
            write!(sql, " ELSE {}", self.expr(s, ty, d)).unwrap();
        }
        sql + " END"
    }

    /// An aggregate call of result type `ty`; its arguments range over the scope's
    /// aggregate columns.
    fn aggregate(&mut self, scope: &Scope, ty: Ty) -> String {
        let args = Scope::plain(scope.agg.clone().unwrap_or_default());
        let depth = self.below(2) as u32;
        let distinct = if self.chance(15) { "DISTINCT " } else { "" };
        match ty {
            Ty::Int => match self.below(5) {
                0 => "count(*)".to_string(),
                1 => {
                    let arg_ty = self.any_ty();
                    format!("count({distinct}{})", self.expr(&args, arg_ty, depth))
                }
                2 => format!("sum({distinct}{})", self.without_big_ints(|g| g.expr(&args, Ty::Int, depth))),
                3 => {
                    let f = self.pick(&["min", "max"]);
                    format!("{f}({})", self.expr(&args, Ty::Int, depth))
                }
                _ => {
                    format!("length(group_concat({distinct}{}))", self.text_source(&args, depth))
                }
            },
            Ty::Real => match self.below(4) {
                0 => {
                    // Of text too: `sum()` of text that is not an integer is a real.
                    let f = self.pick(&["avg", "total", "sum"]);
                    let exact = f == "sum" && (self.exact_types || known::SUM_OF_TEXT);
                    let arg_ty = if exact { Ty::Real } else { self.any_ty() };
                    format!("{f}({distinct}{})", self.expr(&args, arg_ty, depth))
                }
                1 => format!("sum({distinct}{})", self.expr(&args, Ty::Real, depth)),
                _ => {
                    let f = self.pick(&["min", "max"]);
                    format!("{f}({})", self.expr(&args, Ty::Real, depth))
                }
            },
            Ty::Text => {
                let f = self.pick(&["min", "max"]);
                format!("{f}({})", self.expr(&args, Ty::Text, depth))
            }
        }
    }

    // --- conditions ----------------------------------------------------------------------

    /// A boolean condition at most `depth` levels deep.
    fn cond(&mut self, s: &Scope, depth: u32) -> String {
        self.condition(s, depth, true)
    }

    /// A condition whose value is a boolean (0, 1 or NULL in SQLite): no bare value.
    fn boolean(&mut self, s: &Scope, depth: u32) -> String {
        self.condition(s, depth, false)
    }

    fn condition(&mut self, s: &Scope, depth: u32, bare: bool) -> String {
        if depth == 0 {
            return self.comparison(s, 0);
        }
        let d = depth - 1;
        match self.weighted(&[5, 2, 2, 1, 2, 1, 2, 1, 1, 2, 1]) {
            0 => self.comparison(s, d),
            1 => format!("({} AND {})", self.cond(s, d), self.cond(s, d)),
            2 => format!("({} OR {})", self.cond(s, d), self.cond(s, d)),
            3 => format!("(NOT {})", self.cond(s, d)),
            4 => {
                let ty = self.any_ty();
                let e = self.expr(s, ty, d);
                format!("({e} IS {}NULL)", self.not())
            }
            5 => {
                let ty = self.any_ty();
                let (e, lo, hi) = (self.expr(s, ty, d), self.expr(s, ty, d), self.expr(s, ty, d));
                format!("({e} {}BETWEEN {lo} AND {hi})", self.not())
            }
            6 => self.in_list(s, d),
            7 => self.exists(s, d),
            8 => self.in_subquery(s, d),
            9 => self.column_filter(s, d),
            _ if !bare => self.comparison(s, d),
            _ => {
                // A bare value as a condition: its truth value.
                let ty = self.pick(&[Ty::Int, Ty::Real]);
                self.expr(s, ty, d)
            }
        }
    }

    /// A column against literals, often of another type: what index lookups and ranges
    /// serve, with the literal converted to the column's type (or not).
    fn column_filter(&mut self, s: &Scope, d: u32) -> String {
        if s.cols.is_empty() {
            return self.comparison(s, d);
        }
        let col = s.cols[self.below(s.cols.len())].clone();
        let literal = |g: &mut Self| {
            let ty = if g.chance(40) { g.any_ty() } else { col.ty };
            g.literal(ty)
        };
        match self.below(3) {
            0 => {
                let op = self.pick(&["=", "<", ">", "<=", ">=", "<>"]);
                format!("({} {op} {})", col.name, literal(self))
            }
            1 => {
                let (lo, hi) = (literal(self), literal(self));
                format!("({} {}BETWEEN {lo} AND {hi})", col.name, self.not())
            }
            _ => {
                let list: Vec<String> = (0..1 + self.below(3)).map(|_| literal(self)).collect();
                format!("({} {}IN ({}))", col.name, self.not(), list.join(", "))
            }
        }
    }

    fn comparison(&mut self, s: &Scope, d: u32) -> String {
        let ty = self.any_ty();
        let mut other_ty = if self.chance(15) { self.any_ty() } else { ty };
        let mut op = self.pick(&["=", "<", ">", "<=", ">=", "<>", "!=", "IS", "IS NOT"]);
        if known::IS_OPERATOR {
            op = match op {
                "IS" => "IS NOT DISTINCT FROM",
                "IS NOT" => "IS DISTINCT FROM",
                op => op,
            };
            if known::IS_DISTINCT_FROM_AFFINITY && op.ends_with("DISTINCT FROM") {
                other_ty = ty;
            }
        }
        let booleans = self.booleans;
        if (ty == Ty::Text) != (other_ty == Ty::Text) && known::TEXT_VS_BOOLEAN {
            self.booleans = false;
        }
        let left = self.expr(s, ty, d);
        let mut right = self.expr(s, other_ty, d);
        self.booleans = booleans;
        let subquery = left.starts_with("(SELECT ") || right.starts_with("(SELECT ");
        if other_ty != ty && subquery && known::SCALAR_SUBQUERY_AFFINITY {
            right = self.expr(s, ty, d);
        }
        format!("({left} {op} {right})")
    }

    fn in_list(&mut self, s: &Scope, d: u32) -> String {
        let ty = self.any_ty();
        let e = self.expr(s, ty, d);
        let list: Vec<String> = (0..1 + self.below(4))
            .map(|i| {
                if self.chance(70) || (i == 0 && known::IN_LIST_STARTING_WITH_SUBQUERY) {
                    self.literal(ty)
                } else {
                    self.expr(s, ty, d)
                }
            })
            .collect();
        format!("({e} {}IN ({}))", self.not(), list.join(", "))
    }

    fn exists(&mut self, s: &Scope, d: u32) -> String {
        let Some((from, _, inner)) = self.subquery_from(s) else { return self.comparison(s, d) };
        let filter = self.opt_where(&inner);
        self.nesting -= 1;
        format!("({}EXISTS (SELECT 1 FROM {from}{filter}))", self.not())
    }

    fn in_subquery(&mut self, s: &Scope, d: u32) -> String {
        let ty = self.any_ty();
        let e = self.expr(s, ty, d);
        let Some((from, _, inner)) = self.subquery_from(s) else { return self.comparison(s, d) };
        let mut inner_ty = if self.chance(10) { self.any_ty() } else { ty };
        if known::IN_SUBQUERY_TYPES {
            inner_ty = ty;
        }
        let item = self.expr(&inner, inner_ty, d);
        let mut filter = self.opt_where(&inner);
        if known::IN_SUBQUERY_NULL {
            filter = if filter.is_empty() {
                format!(" WHERE {item} IS NOT NULL")
            } else {
                format!(" WHERE ({}) AND {item} IS NOT NULL", &filter[" WHERE ".len()..])
            };
        }
        self.nesting -= 1;
        format!("({e} {}IN (SELECT {item} FROM {from}{filter}))", self.not())
    }

    /// A subquery returning one value of type `ty`: an aggregate, or the smallest (largest)
    /// value of an expression.
    fn scalar_subquery(&mut self, s: &Scope, ty: Ty, d: u32) -> String {
        let Some((from, table_cols, inner)) = self.subquery_from(s) else { return self.leaf(s, ty) };
        let sql = if self.chance(50) {
            let agg_scope = Scope { cols: s.cols.clone(), agg: Some(table_cols) };
            let item = self.aggregate(&agg_scope, ty);
            let filter = self.opt_where(&inner);
            format!("(SELECT {item} FROM {from}{filter})")
        } else {
            let item = self.expr(&inner, ty, d);
            let filter = self.opt_where(&inner);
            let direction = self.direction();
            format!("(SELECT {item} FROM {from}{filter} ORDER BY 1{direction} LIMIT 1)")
        };
        self.nesting -= 1;
        sql
    }

    /// Enters a subquery over one table (`None` when nested too deep): its FROM clause, the
    /// table's columns, and the scope inside (the table's columns, then the outer ones, for
    /// correlation). The caller decrements `nesting` when done.
    fn subquery_from(&mut self, outer: &Scope) -> Option<(String, Vec<Col>, Scope)> {
        if self.nesting >= MAX_NESTING {
            return None;
        }
        self.nesting += 1;
        let t = self.below(self.tables.len());
        let alias = format!("s{}", self.next_alias);
        self.next_alias += 1;
        let table_cols = self.table_cols(t, &alias, true);
        let mut cols = table_cols.clone();
        // Outer columns keep their table: the inner one may have a column of that name.
        cols.extend(outer.cols.iter().map(|c| Col { unqualified: false, ..c.clone() }));
        Some((format!("t{t} AS {alias}"), table_cols, Scope::plain(cols)))
    }
}

// ---------------------------------------------------------------------------------------------
// Running a case on both engines

/// A result value, normalised across engines.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

type Outcome = Result<Vec<Vec<V>>, String>;

/// Both engines, with the same statements applied.
struct Engines {
    sqlite: rusqlite::Connection,
    _braid_db: braid::Database,
    braid: braid::Connection,
}

impl Engines {
    fn open() -> Self {
        let braid_db = braid::Database::open_in_memory().expect("open Braid");
        let braid = braid_db.connect();
        Engines { sqlite: rusqlite::Connection::open_in_memory().expect("open SQLite"), _braid_db: braid_db, braid }
    }

    /// Runs a statement on both; `Ok(applied)` if they agree on success.
    fn execute(&mut self, sql: &str) -> Result<bool, String> {
        let sqlite = self.sqlite.execute_batch(sql).map_err(|e| e.to_string());
        let braid = guard(|| self.braid.execute_batch(sql).map_err(|e| e.to_string()));
        match (sqlite, braid) {
            (Ok(()), Ok(())) => Ok(true),
            (Err(e), Err(b)) if b.starts_with(PANIC) => Err(format!("SQLite: error: {e}\n-- Braid: {b}")),
            (Err(_), Err(_)) => Ok(false),
            (Ok(()), Err(e)) => Err(format!("SQLite: ok\n-- Braid: error: {e}")),
            (Err(e), Ok(())) => Err(format!("SQLite: error: {e}\n-- Braid: ok")),
        }
    }

    fn query_sqlite(&self, sql: &str) -> Outcome {
        let mut stmt = self.sqlite.prepare(sql).map_err(|e| e.to_string())?;
        let n = stmt.column_count();
        let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            out.push((0..n).map(|i| from_sqlite(row.get_ref(i).expect("column in range"))).collect());
        }
        Ok(out)
    }

    fn query_braid(&mut self, sql: &str) -> Outcome {
        guard(|| {
            let rows = self.braid.query(sql, ()).map_err(|e| e.to_string())?;
            let rows: Vec<braid::Row> = rows.collect::<braid::Result<_>>().map_err(|e| e.to_string())?;
            Ok(rows.iter().map(|row| row.values().iter().map(from_braid).collect()).collect())
        })
    }
}

/// How [`guard`] reports a panic: always a difference, even where SQLite fails.
const PANIC: &str = "panic: ";

/// Runs `f`, turning a panic into an error.
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("{PANIC}{message}"))
    })
}

fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> V {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => V::Null,
        ValueRef::Integer(i) => V::Int(i),
        ValueRef::Real(r) => V::Real(r),
        ValueRef::Text(t) => V::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => V::Blob(b.to_vec()),
    }
}

fn from_braid(value: &braid::Value) -> V {
    use braid::Value;
    match value {
        Value::Null => V::Null,
        Value::Boolean(b) => V::Int(i64::from(*b)),
        Value::Integer(i) => V::Int(*i),
        Value::Real(r) => V::Real(*r),
        // `avg` of integers is NUMERIC in PostgreSQL's dialect and a float in SQLite's:
        // compared as the float (literals are floats in both, see `literal`).
        Value::Numeric(d) => V::Real(braid::value::numeric::to_f64(d)),
        Value::Interval(i) => V::Text(format!("<interval {i:?}>")),
        Value::Time(t) => V::Text(format!("<time {t}>")),
        Value::Text(t) => V::Text(t.clone()),
        Value::Blob(b) => V::Blob(b.clone()),
        // Never produced from these schemas: show it, and it will not match.
        Value::Timestamp(t) => V::Text(format!("<timestamp {t}>")),
    }
}

/// Sets the case up on both engines and runs its queries; `Err` describes the first
/// difference as a script to paste.
fn run_case(case: &Case) -> Result<(), String> {
    let mut engines = Engines::open();
    let mut script = Vec::new();
    for statement in setup_statements(case) {
        match engines.execute(&statement) {
            Ok(true) => script.push(format!("{statement};")),
            Ok(false) => script.push(format!("{statement}; -- fails on both")),
            Err(difference) => return Err(report(&script, &statement, &difference)),
        }
    }
    for choices in &case.queries {
        let query = Gen::new(&case.tables, choices).query();
        let sqlite = engines.query_sqlite(&query.sql);
        let braid = engines.query_braid(&query.sql);
        if let Err(difference) = compare(&query, sqlite, braid) {
            return Err(report(&script, &query.sql, &difference));
        }
    }
    Ok(())
}

fn report(script: &[String], statement: &str, difference: &str) -> String {
    let mut out = String::from("-- schema and data\n");
    for s in script {
        writeln!(out, "{s}").unwrap();
    }
    writeln!(out, "-- the statement that differs\n{statement};\n-- {difference}").unwrap();
    out
}

// ---------------------------------------------------------------------------------------------
// Comparing results

fn compare(query: &Query, sqlite: Outcome, braid: Outcome) -> Result<(), String> {
    let (mut sqlite, mut braid) = match (sqlite, braid) {
        (Ok(s), Ok(b)) => (s, b),
        (Err(e), Err(b)) if b.starts_with(PANIC) => return Err(format!("SQLite: error: {e}\n-- Braid: {b}")),
        (Err(_), Err(_)) => return Ok(()),
        (Ok(s), Err(e)) => return Err(format!("SQLite: {}\n-- Braid: error: {e}", show_rows(&s))),
        (Err(e), Ok(b)) => return Err(format!("SQLite: error: {e}\n-- Braid: {}", show_rows(&b))),
    };
    for rows in [&mut sqlite, &mut braid] {
        normalise_concat(rows, &query.concat);
        if !query.ordered {
            rows.sort_by(|a, b| compare_rows(a, b));
        }
    }
    if same_rows(&sqlite, &braid) {
        Ok(())
    } else {
        let order = if query.ordered { "in order" } else { "sorted" };
        Err(format!("SQLite ({order}): {}\n-- Braid ({order}): {}", show_rows(&sqlite), show_rows(&braid)))
    }
}

/// Sorts the pieces of `group_concat` output columns, whose order is unspecified.
fn normalise_concat(rows: &mut [Vec<V>], concat: &[(usize, &str)]) {
    for row in rows {
        for &(column, separator) in concat {
            if let Some(V::Text(text)) = row.get_mut(column) {
                let mut pieces: Vec<&str> = text.split(separator).collect();
                pieces.sort_unstable();
                *text = pieces.join(separator);
            }
        }
    }
}

fn same_rows(a: &[Vec<V>], b: &[Vec<V>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(u, v)| same_value(u, v)))
}

fn same_value(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Real(x), V::Real(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

/// A total order on rows, to sort results: NULL, numbers, text, blobs (SQLite's order).
fn compare_rows(a: &[V], b: &[V]) -> Ordering {
    a.iter().zip(b).map(|(x, y)| compare_values(x, y)).find(|o| o.is_ne()).unwrap_or(a.len().cmp(&b.len()))
}

fn compare_values(a: &V, b: &V) -> Ordering {
    fn rank(v: &V) -> u8 {
        match v {
            V::Null => 0,
            V::Int(_) | V::Real(_) => 1,
            V::Text(_) => 2,
            V::Blob(_) => 3,
        }
    }
    fn number(v: &V) -> f64 {
        match v {
            V::Int(i) => *i as f64,
            V::Real(r) => *r,
            _ => 0.0,
        }
    }
    match (a, b) {
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Text(x), V::Text(y)) => x.cmp(y),
        (V::Blob(x), V::Blob(y)) => x.cmp(y),
        _ => rank(a)
            .cmp(&rank(b))
            // -0.0 and 0.0 are equal, as in `same_value`; there are no NaNs.
            .then(number(a).partial_cmp(&number(b)).unwrap_or(Ordering::Equal))
            .then(matches!(a, V::Real(_)).cmp(&matches!(b, V::Real(_)))),
    }
}

fn show_rows(rows: &[Vec<V>]) -> String {
    const SHOWN: usize = 30;
    let mut out = format!("{} row(s)", rows.len());
    for row in rows.iter().take(SHOWN) {
        let values: Vec<String> = row.iter().map(show_value).collect();
        write!(out, "\n--   ({})", values.join(", ")).unwrap();
    }
    if rows.len() > SHOWN {
        write!(out, "\n--   ...").unwrap();
    }
    out
}

fn show_value(v: &V) -> String {
    match v {
        V::Null => "NULL".to_string(),
        V::Int(i) => i.to_string(),
        V::Real(r) => format!("{r:?}"),
        V::Text(t) => format!("'{}'", t.replace('\'', "''")),
        V::Blob(b) => format!("x'{}'", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}
