//! Access paths: a filtered table scan reads a rowid range or goes through an index.
//!
//! A WHERE term `column op bound`, where the bound reads nothing of the row (a literal, a
//! parameter, an enclosing query's column), can narrow the scan. In order of preference:
//! rowid equality; equality on an index's leading columns (longest first), with a range
//! on the next one; an IN list on an index's first column; a rowid range; a range on an
//! index's first column. The Filter stays above and rechecks every row, except for the
//! terms a rowid range answers exactly: the scan converts its bounds to integers as
//! SQLite compares (reals round inward, NULL and NaN match nothing, text and blobs sort
//! above every number), so a row the range yields passes those terms, and rechecking them
//! cost workload c a third of its time (profiled).

use std::ops::Bound;
use std::sync::Arc;

use braid_engine::{DataType, IndexDef, TableDef, Txn};

use super::bottom_up;
use crate::plan::{CmpOp, Expr, IndexRange, Plan};
use crate::value::zone::Zone;

pub(super) fn choose(plan: Plan, txn: &Txn, zone: Zone) -> Plan {
    bottom_up(plan, &mut |p| match p {
        Plan::Filter { input, predicate } => {
            let input = match *input {
                Plan::Scan { table, alias, rowids: (Bound::Unbounded, Bound::Unbounded), reverse: false, read } => {
                    access_path(txn, zone, &table, &alias, &predicate).unwrap_or(Plan::Scan {
                        table,
                        alias,
                        rowids: (Bound::Unbounded, Bound::Unbounded),
                        reverse: false,
                        read,
                    })
                }
                other => other,
            };
            let predicate = match &input {
                Plan::Scan { table, rowids, .. } => without_rowid_terms(predicate, table, rowids),
                _ => Some(predicate),
            };
            match predicate {
                Some(predicate) => Plan::Filter { input: Box::new(input), predicate },
                None => input,
            }
        }
        other => other,
    })
}

/// The predicate without the conjuncts that the scan's rowid range answers exactly
/// (`None`: nothing is left to check).
fn without_rowid_terms(predicate: Expr, table: &TableDef, rowids: &(Bound<Expr>, Bound<Expr>)) -> Option<Expr> {
    let rowid_columns = [Some(table.columns.len()), table.rowid_alias.map(|a| a as usize)];
    let on_rowid = |e: &Expr| column_of(e).is_some_and(|c| rowid_columns.contains(&Some(c)));
    // A bound evaluated once by the scan is the same bound per row only if it is
    // deterministic.
    let deterministic = |e: &Expr| {
        let mut ok = true;
        e.walk(&mut |x| ok &= !matches!(x, Expr::Function(f, _) if !f.is_deterministic()));
        ok
    };
    let is_bound_at = |b: &Bound<Expr>, e: &Expr, inclusive: bool| match b {
        Bound::Included(x) => inclusive && x == e,
        Bound::Excluded(x) => !inclusive && x == e,
        Bound::Unbounded => false,
    };
    // Whether `rowid op bound` is exactly what the range checks.
    let in_range = |op: CmpOp, bound: &Expr| match op {
        CmpOp::Eq => is_bound_at(&rowids.0, bound, true) && is_bound_at(&rowids.1, bound, true),
        CmpOp::GtEq => is_bound_at(&rowids.0, bound, true),
        CmpOp::Gt => is_bound_at(&rowids.0, bound, false),
        CmpOp::LtEq => is_bound_at(&rowids.1, bound, true),
        CmpOp::Lt => is_bound_at(&rowids.1, bound, false),
        _ => false,
    };
    let answered = |t: &Expr| match t {
        Expr::Compare(op, a, b) if on_rowid(a) && is_bound(b) && deterministic(b) => in_range(*op, b),
        Expr::Compare(op, a, b) if on_rowid(b) && is_bound(a) && deterministic(a) => in_range(op.flip(), a),
        Expr::Between { expr, low, high, negated: false } => {
            on_rowid(expr)
                && deterministic(low)
                && deterministic(high)
                && is_bound_at(&rowids.0, low, true)
                && is_bound_at(&rowids.1, high, true)
        }
        _ => false,
    };
    Expr::and_all(predicate.conjuncts().into_iter().filter(|t| !answered(t)))
}

/// Lower and upper bounds on a column.
type Range = (Bound<Expr>, Bound<Expr>);

/// One usable WHERE term: column `column` compared with `bound`.
#[derive(Debug, Clone)]
enum Term {
    Cmp { column: usize, op: CmpOp, bound: Expr },
    In { column: usize, list: Vec<Expr> },
}

impl Term {
    fn column(&self) -> usize {
        match self {
            Term::Cmp { column, .. } | Term::In { column, .. } => *column,
        }
    }
}

/// Whether an expression can bound a scan: it reads no column of the row and runs no
/// subquery.
fn is_bound(e: &Expr) -> bool {
    let mut ok = true;
    e.walk(&mut |x| {
        ok &= !matches!(
            x,
            Expr::Column { depth: 0, .. } | Expr::InSubquery { .. } | Expr::Exists { .. } | Expr::ScalarSubquery(_)
        )
    });
    ok
}

fn column_of(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column { depth: 0, index, .. } => Some(*index),
        _ => None,
    }
}

fn terms(predicate: &Expr) -> Vec<Term> {
    let mut out = vec![];
    for t in predicate.clone().conjuncts() {
        match t {
            Expr::Compare(op, a, b) if op != CmpOp::NotEq => {
                if let (Some(column), true) = (column_of(&a), is_bound(&b)) {
                    out.push(Term::Cmp { column, op, bound: *b });
                } else if let (Some(column), true) = (column_of(&b), is_bound(&a)) {
                    out.push(Term::Cmp { column, op: op.flip(), bound: *a });
                }
            }
            Expr::Between { expr, low, high, negated: false } => {
                if let (Some(column), true, true) = (column_of(&expr), is_bound(&low), is_bound(&high)) {
                    out.push(Term::Cmp { column, op: CmpOp::GtEq, bound: *low });
                    out.push(Term::Cmp { column, op: CmpOp::LtEq, bound: *high });
                }
            }
            Expr::InList { expr, list, negated: false } if !list.is_empty() => {
                if let (Some(column), true) = (column_of(&expr), list.iter().all(is_bound)) {
                    out.push(Term::In { column, list });
                }
            }
            _ => {}
        }
    }
    out
}

/// The tightest lower and upper bounds the terms put on a column (the first of each kind).
fn range_of(terms: &[Term], column: usize) -> (Bound<Expr>, Bound<Expr>) {
    let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
    for t in terms {
        if let Term::Cmp { column: c, op, bound } = t
            && *c == column
        {
            match op {
                CmpOp::Gt if matches!(lower, Bound::Unbounded) => lower = Bound::Excluded(bound.clone()),
                CmpOp::GtEq if matches!(lower, Bound::Unbounded) => lower = Bound::Included(bound.clone()),
                CmpOp::Lt if matches!(upper, Bound::Unbounded) => upper = Bound::Excluded(bound.clone()),
                CmpOp::LtEq if matches!(upper, Bound::Unbounded) => upper = Bound::Included(bound.clone()),
                _ => {}
            }
        }
    }
    (lower, upper)
}

fn equality(terms: &[Term], column: usize) -> Option<Expr> {
    terms.iter().find_map(|t| match t {
        Term::Cmp { column: c, op: CmpOp::Eq, bound } if *c == column => Some(bound.clone()),
        _ => None,
    })
}

/// Index columns whose type the scan can convert bounds to.
fn indexable(t: DataType) -> bool {
    matches!(t, DataType::Integer | DataType::Real | DataType::Text | DataType::Numeric | DataType::Time)
}

fn access_path(txn: &Txn, zone: Zone, table: &Arc<TableDef>, alias: &Arc<str>, predicate: &Expr) -> Option<Plan> {
    let terms = terms(predicate);
    let derived = Derived::of(txn, zone, table, predicate);
    if terms.is_empty() && derived.usable.is_empty() {
        return None;
    }
    // Plain indexes, and partial ones on plain columns whose predicate the WHERE implies.
    let indexes = || {
        table.indexes.iter().filter(|i| i.expressions.is_empty() && (i.predicate.is_none() || derived.usable(&i.name)))
    };
    let rowid_columns = [Some(table.columns.len()), table.rowid_alias.map(|a| a as usize)];
    let is_rowid = |c: usize| rowid_columns.contains(&Some(c));
    let scan = |rowids| Plan::Scan { table: table.clone(), alias: alias.clone(), rowids, reverse: false, read: None };
    let index_scan = |index: &str, range| Plan::IndexScan {
        table: table.clone(),
        alias: alias.clone(),
        index: index.to_string(),
        range,
        reverse: false,
        read: None,
    };
    // 1. rowid equality.
    if let Some(v) = rowid_columns.iter().flatten().find_map(|&c| equality(&terms, c)) {
        return Some(scan((Bound::Included(v.clone()), Bound::Included(v))));
    }
    // 2. equality on leading index columns, longest prefix first.
    let mut best: Option<(usize, &str, Vec<Expr>, Range)> = None;
    for index in indexes() {
        let mut equal = vec![];
        for &c in &index.columns {
            if !indexable(table.columns[c as usize].data_type) {
                break;
            }
            match equality(&terms, c as usize) {
                Some(v) => equal.push(v),
                None => break,
            }
        }
        if equal.is_empty() {
            continue;
        }
        let next = index.columns.get(equal.len()).map(|&c| c as usize);
        let range = next
            .filter(|&c| indexable(table.columns[c].data_type))
            .map_or((Bound::Unbounded, Bound::Unbounded), |c| range_of(&terms, c));
        let score = equal.len() * 2 + usize::from(!matches!(range, (Bound::Unbounded, Bound::Unbounded)));
        if best.as_ref().is_none_or(|b| score > b.0) {
            best = Some((score, &index.name, equal, range));
        }
    }
    if let Some((_, name, equal, (lower, upper))) = best {
        return Some(index_scan(name, IndexRange::Range { equal, lower, upper }));
    }
    // 2b. equality on an expression index's first part.
    if let Some((name, value)) = derived.expression_equality(predicate) {
        return Some(index_scan(
            &name,
            IndexRange::Range { equal: vec![value], lower: Bound::Unbounded, upper: Bound::Unbounded },
        ));
    }
    // 3. IN on an index's first column.
    for index in indexes() {
        let first = index.columns[0] as usize;
        if !indexable(table.columns[first].data_type) {
            continue;
        }
        if let Some(Term::In { list, .. }) = terms.iter().find(|t| matches!(t, Term::In { .. }) && t.column() == first)
        {
            return Some(index_scan(&index.name, IndexRange::In(list.clone())));
        }
    }
    // 4. rowid range.
    for &c in rowid_columns.iter().flatten() {
        let range = range_of(&terms, c);
        if !matches!(range, (Bound::Unbounded, Bound::Unbounded)) && is_rowid(c) {
            return Some(scan(range));
        }
    }
    // 5. range on an index's first column.
    for index in indexes() {
        let first = index.columns[0] as usize;
        if !indexable(table.columns[first].data_type) {
            continue;
        }
        let (lower, upper) = range_of(&terms, first);
        if !matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
            return Some(index_scan(&index.name, IndexRange::Range { equal: vec![], lower, upper }));
        }
    }
    None
}

/// The expression and partial indexes of a table, bound, as far as a WHERE clause can use
/// them: a partial index only if the WHERE implies its predicate (each of its conjuncts is
/// one of the WHERE's), or it would miss the rows it leaves out.
struct Derived {
    /// Usable indexes: name, key parts (none: plain columns).
    usable: Vec<(String, Vec<Expr>)>,
    table: Arc<TableDef>,
}

impl Derived {
    fn of(txn: &Txn, zone: Zone, table: &Arc<TableDef>, predicate: &Expr) -> Derived {
        let mut usable = vec![];
        if table.indexes.iter().any(IndexDef::is_derived) {
            let have: Vec<Expr> = predicate.clone().conjuncts().into_iter().map(anonymous).collect();
            for index in table.indexes.iter().filter(|i| i.is_derived()) {
                // An index whose SQL no longer binds is not used (writes report the error).
                let Ok((parts, filter)) = crate::index_keys::definition(txn, table, index) else { continue };
                // Folded as the query was, so that `n > 1` compares equal to `n > 1`.
                let same = |e: Expr| anonymous(super::fold::fold_expr(e, txn, zone));
                let implied = filter.is_none_or(|f| same(f).conjuncts().into_iter().all(|c| have.contains(&c)));
                if implied {
                    usable.push((index.name.clone(), parts.into_iter().map(same).collect()));
                }
            }
        }
        Derived { usable, table: table.clone() }
    }

    fn usable(&self, name: &str) -> bool {
        self.usable.iter().any(|(n, _)| n == name)
    }

    /// An expression index whose first part a WHERE conjunct sets equal to a bound of the
    /// same type (the index holds the expression's values as they are, so a bound of
    /// another type would be looked up under another key).
    fn expression_equality(&self, predicate: &Expr) -> Option<(String, Expr)> {
        if self.usable.iter().all(|(_, parts)| parts.is_empty()) {
            return None;
        }
        let scan = Plan::Scan {
            table: self.table.clone(),
            alias: "".into(),
            rowids: (Bound::Unbounded, Bound::Unbounded),
            reverse: false,
            read: None,
        };
        let type_of = |e: &Expr| crate::plan::expr_type(&scan, e);
        for t in predicate.clone().conjuncts() {
            let Expr::Compare(CmpOp::Eq, a, b) = t else { continue };
            for (side, bound) in [(&a, &b), (&b, &a)] {
                if !is_bound(bound) {
                    continue;
                }
                let side = anonymous((**side).clone());
                for (name, parts) in &self.usable {
                    if parts.first() == Some(&side)
                        && let Some(ty) = type_of(&side)
                        && indexable(ty)
                        && type_of(bound) == Some(ty)
                    {
                        return Some((name.clone(), (**bound).clone()));
                    }
                }
            }
        }
        None
    }
}

/// An expression with its columns' names left out, to compare what two expressions compute
/// (a column is its position; the binder names it by how the query spelled it).
fn anonymous(e: Expr) -> Expr {
    e.transform(&mut |x| match x {
        Expr::Column { depth, index, .. } => Expr::Column { depth, index, name: "".into() },
        other => other,
    })
}
