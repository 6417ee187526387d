//! Leaf operators: table scans, index scans, literal rows, CTE rows.

use std::borrow::Cow;
use std::ops::Bound;
use std::rc::Rc;

use braid_engine::index::Rowids;
use braid_engine::storage::{AnySnapshot, AnyStorage, Direction};
use braid_engine::table::{RowScan, RowView};
use braid_engine::{DataType, TableDef, Txn, Value};
use rust_decimal::prelude::ToPrimitive;

use super::super::context::{Ctx, Row};
use super::super::eval::eval;
use super::{BATCH, BoxedOperator, Operator};
use crate::error::{Error, Result};
use crate::plan::{Expr, IndexRange};
use crate::value::sort_cmp;

type RowIter<'a> = Box<dyn Iterator<Item = Result<Row>> + 'a>;

/// Rows read lazily from storage, in batches that start small and double up to
/// [`BATCH`]: a query that stops early (LIMIT, EXISTS, a top-N over an index) reads a
/// few rows, not a full batch.
pub(super) struct Batches<'a> {
    rows: RowIter<'a>,
    size: usize,
}

/// The first batch's size.
const FIRST_BATCH: usize = 16;

impl<'a> Batches<'a> {
    fn new(rows: RowIter<'a>) -> Self {
        Batches { rows, size: FIRST_BATCH }
    }

    fn empty() -> Self {
        Self::new(Box::new(std::iter::empty()))
    }
}

/// The first batch's size for a consumer that will read at most `wanted` rows.
pub(super) fn first_batch_size(wanted: Option<usize>) -> usize {
    wanted.map_or(FIRST_BATCH, |w| w.clamp(1, BATCH))
}

/// A batch's size after one of `size`: twice as large, up to [`BATCH`].
pub(super) fn next_size(size: usize) -> usize {
    (size * 2).min(BATCH)
}

/// The next batch of `rows`: `size` of them, then twice as many next time, up to [`BATCH`].
fn next_batch_of(mut rows: impl Iterator<Item = Result<Row>>, size: &mut usize) -> Result<Option<Vec<Row>>> {
    super::super::interrupt::check()?;
    // The batch is allocated once a row is there for it: the call that finds the rows at
    // their end (one per query) allocates nothing.
    let Some(first) = rows.next() else { return Ok(None) };
    let mut batch = Vec::with_capacity(*size);
    batch.push(first?);
    for row in rows.take(*size - 1) {
        batch.push(row?);
    }
    *size = next_size(*size);
    Ok(Some(batch))
}

impl Operator for Batches<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        next_batch_of(self.rows.by_ref(), &mut self.size)
    }
}

/// Evaluates a bound's expression.
fn bound_value(b: &Bound<Expr>, ctx: &Ctx) -> Result<Bound<Value>> {
    Ok(match b {
        Bound::Included(e) => Bound::Included(eval(e, &[], ctx)?),
        Bound::Excluded(e) => Bound::Excluded(eval(e, &[], ctx)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

/// Where a value of another type falls among a column's values: SQL orders numbers before
/// text before blobs before intervals before times (`crate::value::sort_cmp`).
fn class(v: &Value) -> u8 {
    match v {
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
        Value::Interval(_) => 4,
        Value::Time(_) => 5,
        _ => 1,
    }
}

/// A range bound converted to the type of the column it bounds, as the index stores it.
/// `None`: the range matches nothing. `Unbounded`: it cannot narrow the scan (the Filter
/// above still checks every row).
fn convert_bound(b: Bound<Value>, t: DataType, lower: bool) -> Option<Bound<Value>> {
    let (v, inclusive) = match b {
        Bound::Unbounded => return Some(Bound::Unbounded),
        Bound::Included(v) => (v, true),
        Bound::Excluded(v) => (v, false),
    };
    let wrap = |v: Value| Some(if inclusive { Bound::Included(v) } else { Bound::Excluded(v) });
    match (t, v) {
        (_, Value::Null) => None,
        (DataType::Integer, Value::Integer(i)) | (DataType::Integer, Value::Timestamp(i)) => wrap(Value::Integer(i)),
        (DataType::Integer, Value::Boolean(x)) => wrap(Value::Integer(x as i64)),
        (DataType::Integer, Value::Real(r)) if r.is_nan() => None,
        (DataType::Integer, Value::Real(r)) => {
            let edge = if lower { r.ceil() } else { r.floor() };
            if edge >= crate::value::TWO_POW_63 {
                if lower { None } else { Some(Bound::Unbounded) }
            } else if edge < -crate::value::TWO_POW_63 {
                if lower { Some(Bound::Unbounded) } else { None }
            } else if edge == r {
                wrap(Value::Integer(r as i64))
            } else {
                Some(Bound::Included(Value::Integer(edge as i64)))
            }
        }
        // A NUMERIC bound on an integer column: the nearest integer inside the range.
        (DataType::Integer, Value::Numeric(d)) => {
            let edge = if lower { d.ceil() } else { d.floor() };
            match edge.to_i64() {
                Some(i) if edge == d => wrap(Value::Integer(i)),
                Some(i) => Some(Bound::Included(Value::Integer(i))),
                None if edge.is_sign_negative() == lower => Some(Bound::Unbounded),
                None => None,
            }
        }
        (DataType::Real, Value::Numeric(d)) => wrap(Value::Real(crate::value::numeric::to_f64(&d))),
        (DataType::Numeric, Value::Numeric(d)) => wrap(Value::Numeric(d)),
        (DataType::Numeric, Value::Integer(i) | Value::Timestamp(i)) => wrap(Value::Numeric(i.into())),
        (DataType::Numeric, Value::Boolean(x)) => wrap(Value::Numeric((x as i64).into())),
        // A float bound as the NUMERIC of its 15 digits, as a float becomes one; a NaN, an
        // infinity or a float past NUMERIC's range bounds nothing it can narrow.
        (DataType::Numeric, Value::Real(r)) => match crate::value::numeric::from_f64(r) {
            Ok(d) => wrap(Value::Numeric(d)),
            Err(_) if r.is_nan() => None,
            Err(_) if (r > 0.0) == lower => None,
            Err(_) => Some(Bound::Unbounded),
        },
        (DataType::Real, Value::Integer(i)) | (DataType::Real, Value::Timestamp(i)) => wrap(Value::Real(i as f64)),
        (DataType::Real, Value::Boolean(x)) => wrap(Value::Real(x as i64 as f64)),
        (DataType::Real, Value::Real(r)) => wrap(Value::Real(r)),
        (DataType::Text, Value::Text(s)) => wrap(Value::Text(s)),
        (DataType::Time, Value::Time(t)) => wrap(Value::Time(t)),
        (t, v) => {
            // Another class of value: the whole column lies on one side of it.
            let column_class = match t {
                DataType::Text => 2,
                DataType::Time => 5,
                _ => 1,
            };
            let column_below = column_class < class(&v);
            if column_below == lower { None } else { Some(Bound::Unbounded) }
        }
    }
}

/// An equality bound converted to a column's type; `None`: nothing can equal it (a
/// fraction never equals an integer).
fn convert_equal(v: Value, t: DataType) -> Option<Value> {
    let integral = match &v {
        Value::Real(r) => r.fract() == 0.0,
        Value::Numeric(d) => d.fract().is_zero(),
        _ => true,
    };
    if t == DataType::Integer && !integral {
        return None;
    }
    match convert_bound(Bound::Included(v), t, true)? {
        Bound::Included(v) => Some(v),
        _ => None,
    }
}

/// Which columns of a table's stored rows a scan turns into values.
#[derive(Clone, Copy)]
pub(super) struct RowShape<'a> {
    width: usize,
    /// The columns read (the others are NULL); `None`: every column.
    read: Option<&'a [usize]>,
    /// The INTEGER PRIMARY KEY column, whose value is the rowid: read from the row's key,
    /// not its bytes.
    alias: Option<usize>,
}

impl<'a> RowShape<'a> {
    pub(super) fn new(table: &TableDef, read: Option<&'a [usize]>) -> Self {
        RowShape { width: table.columns.len(), read, alias: table.rowid_alias.map(|c| c as usize) }
    }

    /// A stored row as values, followed by its rowid, each column validated as it is read.
    fn values(&self, row: &RowView<'_>) -> Result<Row> {
        // One allocation per row, sized for the rowid too (pushing it past a full vector
        // would reallocate every row).
        let mut values = Vec::with_capacity(self.width + 1);
        self.read_into(row, &mut values)?;
        Ok(values)
    }

    /// Column `c` of the row [`Self::values`] would make (`c` = the width: its rowid),
    /// alone; `None` for a shape that reads every column, whose rows are as wide as each
    /// stored row.
    #[inline]
    pub(super) fn value(&self, row: &RowView<'_>, c: usize) -> Option<Result<Value>> {
        let cols = self.read?;
        Some(if c == self.width || Some(c) == self.alias && cols.contains(&c) {
            Ok(Value::Integer(row.rowid))
        } else if !cols.contains(&c) {
            Ok(Value::Null)
        } else {
            row.column(c).map(|v| v.map_or(Value::Null, |v| v.to_value())).map_err(Into::into)
        })
    }

    /// [`Self::values`] into a reused row: only the columns read are overwritten (the
    /// others stay NULL from the first row on).
    fn read_into(&self, row: &RowView<'_>, buf: &mut Row) -> Result<()> {
        let width = self.width;
        match self.read {
            None => {
                buf.clear();
                buf.extend(row.values()?);
                buf.push(Value::Integer(row.rowid));
            }
            Some(cols) => {
                if buf.len() != width + 1 {
                    buf.clear();
                    // Not `resize`: it clones a NULL per column through `Value::clone`.
                    buf.resize_with(width + 1, || Value::Null);
                }
                for &c in cols {
                    buf[c] = if Some(c) == self.alias {
                        Value::Integer(row.rowid)
                    } else {
                        row.column(c)?.map_or(Value::Null, |v| v.to_value())
                    };
                }
                buf[width] = Value::Integer(row.rowid);
            }
        }
        Ok(())
    }
}

/// Rows of a table in rowid order, each followed by its rowid; `wanted`: the rows the
/// consumer will read at most.
pub(super) fn table_scan<'a>(
    table: &'a TableDef,
    rowids: &(Bound<Expr>, Bound<Expr>),
    reverse: bool,
    read: Option<&'a [usize]>,
    wanted: Option<usize>,
    ctx: &'a Ctx<'a>,
) -> Result<BoxedOperator<'a>> {
    let Some(range) = rowid_range(rowids, ctx)? else { return Ok(Box::new(Batches::empty())) };
    let shape = RowShape::new(table, read);
    if let (Bound::Included(a), Bound::Included(b)) = range
        && a == b
    {
        // `WHERE id = ?`: one lookup, not a range scan's cursor.
        let row = ctx.txn.get_ref(table, a)?.map(|r| shape.values(&r.view())).transpose()?;
        return Ok(Box::new(OneRow(row)));
    }
    let direction = if reverse { Direction::Reverse } else { Direction::Forward };
    let rows = ctx.txn.scan_dir(table, range, direction)?;
    let size = first_batch_size(wanted);
    Ok(Box::new(TableRows { rows, shape, size }))
}

/// The rowids a table scan reads, its bounds evaluated and made integers; `None`: none.
pub(super) fn rowid_range(rowids: &(Bound<Expr>, Bound<Expr>), ctx: &Ctx) -> Result<Option<(Bound<i64>, Bound<i64>)>> {
    let lower = bound_value(&rowids.0, ctx)?;
    // `WHERE id = e` bounds both ends by `e`: evaluated once (a point query's second
    // evaluation was a twentieth of it; and a volatile `e` has one value).
    let upper = match (&rowids.0, &rowids.1, &lower) {
        (Bound::Included(a), Bound::Included(b), Bound::Included(v)) if a == b => Bound::Included(v.clone()),
        _ => bound_value(&rowids.1, ctx)?,
    };
    let lower = convert_bound(lower, DataType::Integer, true);
    let upper = convert_bound(upper, DataType::Integer, false);
    let (Some(lower), Some(upper)) = (lower, upper) else { return Ok(None) };
    let rowid = |b: Bound<Value>| match b {
        Bound::Included(Value::Integer(i)) => Bound::Included(i),
        Bound::Excluded(Value::Integer(i)) => Bound::Excluded(i),
        _ => Bound::Unbounded,
    };
    let range = (rowid(lower), rowid(upper));
    if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) = range
        && a > b
    {
        return Ok(None);
    }
    Ok(Some(range))
}

/// At most one row, read before the operator was built (a lookup by rowid): no iterator
/// boxed behind it, no batch allocated to find it gone.
struct OneRow(Option<Row>);

impl Operator for OneRow {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        Ok(self.0.take().map(|row| vec![row]))
    }
}

/// A range scan's stored rows: decoded into fresh rows a batch at a time, or one at a time
/// into a single reused row for [`Operator::for_each_row`].
struct TableRows<'a> {
    rows: RowScan<'a, AnySnapshot>,
    shape: RowShape<'a>,
    /// The next batch's size: small at first, doubling up to [`BATCH`] (see [`Batches`]).
    size: usize,
}

impl Operator for TableRows<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let shape = self.shape;
        next_batch_of(self.rows.by_ref().map(|row| shape.values(&row?.view())), &mut self.size)
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        let shape = self.shape;
        let mut buf = Vec::with_capacity(shape.width + 1);
        let mut n = 0usize;
        self.rows.for_each_row(|row| {
            if n.is_multiple_of(BATCH) {
                super::super::interrupt::check()?;
            }
            n += 1;
            shape.read_into(&row, &mut buf)?;
            f(&buf)
        })
    }
}

/// Key bounds of one index range: values of the leading columns, borrowed when they are
/// constants (the NULL bounds of an unbounded scan: each an allocation per query, else).
type KeyRange = (Bound<Cow<'static, [Value]>>, Bound<Cow<'static, [Value]>>);

/// The one-column key `(NULL)`, which bounds an unbounded scan on either side of its NULLs.
const NULL_KEY: &[Value] = &[Value::Null];

/// The key ranges an index scan reads, in order: a range or an unbounded scan's two (its
/// values, its NULLs) kept inline, an IN list's in a vector.
struct KeyRanges {
    first: Option<KeyRange>,
    second: Option<KeyRange>,
    rest: std::vec::IntoIter<KeyRange>,
}

impl KeyRanges {
    fn none() -> Self {
        KeyRanges { first: None, second: None, rest: Vec::new().into_iter() }
    }

    fn two(first: KeyRange, second: Option<KeyRange>) -> Self {
        KeyRanges { first: Some(first), second, ..Self::none() }
    }
}

impl Iterator for KeyRanges {
    type Item = KeyRange;

    fn next(&mut self) -> Option<KeyRange> {
        self.first.take().or_else(|| self.second.take()).or_else(|| self.rest.next())
    }
}

/// The key ranges an index scan reads, with bounds converted to the columns' types.
fn key_ranges(table: &TableDef, index: &str, range: &IndexRange, reverse: bool, ctx: &Ctx) -> Result<KeyRanges> {
    let def = table.index(index).ok_or_else(|| Error::not_found("index", index))?;
    // An expression index has no columns: the optimizer gave it bounds of its parts' types.
    let column_type = |i: usize| def.columns.get(i).map(|&c| table.columns[c as usize].data_type);
    let convert_equal = |v: Value, i: usize| match column_type(i) {
        Some(t) => convert_equal(v, t),
        None => (!v.is_null()).then_some(v),
    };
    let convert_bound = |b: Bound<Value>, i: usize, lower: bool| match column_type(i) {
        Some(t) => convert_bound(b, t, lower),
        None if matches!(&b, Bound::Included(Value::Null) | Bound::Excluded(Value::Null)) => None,
        None => Some(b),
    };
    match range {
        IndexRange::Range { equal, lower, upper } => {
            let mut prefix = vec![];
            for (i, e) in equal.iter().enumerate() {
                match convert_equal(eval(e, &[], ctx)?, i) {
                    Some(v) => prefix.push(v),
                    None => return Ok(KeyRanges::none()),
                }
            }
            let next = equal.len();
            let (lo, hi) = if next < def.key_width() {
                let lo = convert_bound(bound_value(lower, ctx)?, next, true);
                let hi = convert_bound(bound_value(upper, ctx)?, next, false);
                let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(KeyRanges::none()) };
                (lo, hi)
            } else {
                (Bound::Unbounded, Bound::Unbounded)
            };
            // A range on a column never matches its NULLs, which sort first.
            let lo = match lo {
                Bound::Unbounded if !matches!(hi, Bound::Unbounded) => Bound::Excluded(Value::Null),
                lo => lo,
            };
            let key = |v: Value| {
                let mut key = Vec::with_capacity(prefix.len() + 1);
                key.extend_from_slice(&prefix);
                key.push(v);
                Cow::Owned(key)
            };
            let with = |b: Bound<Value>| match b {
                Bound::Included(v) => Bound::Included(key(v)),
                Bound::Excluded(v) => Bound::Excluded(key(v)),
                Bound::Unbounded if prefix.is_empty() => Bound::Unbounded,
                Bound::Unbounded => Bound::Included(Cow::Owned(prefix.clone())),
            };
            Ok(KeyRanges::two((with(lo), with(hi)), None))
        }
        IndexRange::In(values) => {
            let mut keys = vec![];
            for e in values {
                keys.extend(convert_equal(eval(e, &[], ctx)?, 0));
            }
            keys.sort_by(sort_cmp);
            keys.dedup_by(|a, b| sort_cmp(a, b).is_eq());
            if reverse {
                keys.reverse();
            }
            let point = |k: Value| (Bound::Included(Cow::Owned(vec![k.clone()])), Bound::Included(Cow::Owned(vec![k])));
            Ok(KeyRanges { rest: keys.into_iter().map(point).collect::<Vec<_>>().into_iter(), ..KeyRanges::none() })
        }
        IndexRange::All { nulls_first } => {
            let nulls = (Bound::Included(Cow::Borrowed(NULL_KEY)), Bound::Included(Cow::Borrowed(NULL_KEY)));
            let others = (Bound::Excluded(Cow::Borrowed(NULL_KEY)), Bound::Unbounded);
            Ok(if *nulls_first { KeyRanges::two(nulls, Some(others)) } else { KeyRanges::two(others, Some(nulls)) })
        }
    }
}

fn as_slices<'b>(b: &'b Bound<Cow<'static, [Value]>>) -> Bound<&'b [Value]> {
    match b {
        Bound::Included(v) => Bound::Included(v),
        Bound::Excluded(v) => Bound::Excluded(v),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Rows of a table found through an index, each followed by its rowid, read lazily in
/// index order; `wanted`: the rows the consumer will read at most.
pub(super) fn index_scan<'a>(
    table: &'a TableDef,
    index: &'a str,
    range: &IndexRange,
    reverse: bool,
    read: Option<&'a [usize]>,
    wanted: Option<usize>,
    ctx: &'a Ctx<'a>,
) -> Result<IndexRows<'a>> {
    Ok(IndexRows {
        table,
        index,
        ranges: key_ranges(table, index, range, reverse, ctx)?,
        direction: if reverse { Direction::Reverse } else { Direction::Forward },
        scan: None,
        // Sized for the first batch: growing it to ten rowids reallocated three times.
        rowids: Vec::with_capacity(first_batch_size(wanted)),
        shape: RowShape::new(table, read),
        txn: ctx.txn,
        size: first_batch_size(wanted),
    })
}

/// An index scan: each batch is a run of rowids read from the index, then their rows, each
/// one lookup (batches sized as in [`Batches`]).
pub(super) struct IndexRows<'a> {
    table: &'a TableDef,
    index: &'a str,
    /// The key ranges not yet opened, in scan order.
    ranges: KeyRanges,
    direction: Direction,
    /// The open range's rowids.
    scan: Option<Rowids<'a, AnyStorage>>,
    /// A reused buffer of rowids read from the index.
    rowids: Vec<i64>,
    shape: RowShape<'a>,
    txn: &'a Txn,
    size: usize,
}

impl<'a> IndexRows<'a> {
    /// Hands up to `n` more rows to `f`, in index order, until it returns `false`; how many
    /// it was handed (0: the scan is done).
    pub(super) fn read(&mut self, n: usize, mut f: impl FnMut(&RowView<'_>) -> Result<bool>) -> Result<usize> {
        let mut read = 0;
        while read < n {
            let Some(scan) = &mut self.scan else {
                let Some((lo, hi)) = self.ranges.next() else { break };
                let scan =
                    self.txn.index_scan(self.table, self.index, as_slices(&lo), as_slices(&hi), self.direction)?;
                self.scan = Some(scan.rowids());
                continue;
            };
            self.rowids.clear();
            match scan.fill(&mut self.rowids, n - read) {
                Ok(true) => {}
                Ok(false) => self.scan = None,
                Err(e) => {
                    // A failed index scan ends the whole scan, not just its range.
                    self.scan = None;
                    self.ranges = KeyRanges::none();
                    return Err(e.into());
                }
            }
            for &rowid in &self.rowids {
                // An entry without its row cannot be (they are written together); skip it
                // as a lookup by rowid would.
                if let Some(row) = self.txn.get_ref(self.table, rowid)? {
                    read += 1;
                    if !f(&row.view())? {
                        return Ok(read);
                    }
                }
            }
        }
        Ok(read)
    }
}

impl Operator for IndexRows<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        super::super::interrupt::check()?;
        let (shape, size) = (self.shape, self.size);
        let mut batch = Vec::with_capacity(size);
        self.read(size, |row| {
            batch.push(shape.values(row)?);
            Ok(true)
        })?;
        self.size = next_size(size);
        Ok((!batch.is_empty()).then_some(batch))
    }
}

/// Literal rows.
pub(super) struct Values<'a> {
    rows: &'a [Vec<Expr>],
    ctx: &'a Ctx<'a>,
    done: bool,
}

impl<'a> Values<'a> {
    pub fn new(rows: &'a [Vec<Expr>], ctx: &'a Ctx<'a>) -> Self {
        Values { rows, ctx, done: false }
    }
}

impl Operator for Values<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if self.done || self.rows.is_empty() {
            return Ok(None);
        }
        self.done = true;
        let rows = self
            .rows
            .iter()
            .map(|r| r.iter().map(|e| eval(e, &[], self.ctx)).collect::<Result<Row>>())
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(rows))
    }
}

/// The rows of a set-returning function, a batch at a time.
pub(super) struct FunctionScan {
    rows: crate::functions::TableRows,
    /// `WITH ORDINALITY`: the number the next row gets.
    ordinal: Option<i64>,
}

impl FunctionScan {
    pub fn new(function: crate::functions::TableFunction, args: &[Expr], ordinality: bool, ctx: &Ctx) -> Result<Self> {
        let args = args.iter().map(|e| eval(e, &[], ctx)).collect::<Result<Vec<_>>>()?;
        Ok(FunctionScan { rows: function.rows(&args)?, ordinal: ordinality.then_some(1) })
    }
}

impl Operator for FunctionScan {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let mut batch: Vec<Row> = self.rows.by_ref().take(1024).collect();
        if let Some(n) = &mut self.ordinal {
            for row in &mut batch {
                row.push(Value::Integer(*n));
                *n += 1;
            }
        }
        Ok((!batch.is_empty()).then_some(batch))
    }
}

/// Rows computed before the query reads them: a CTE's, or a system catalog's.
pub(super) struct CteScan {
    rows: Rc<Vec<Row>>,
    at: usize,
}

impl CteScan {
    pub fn new(id: usize, name: &str, ctx: &Ctx) -> Result<Self> {
        let rows = ctx.shared.ctes.borrow().get(&id).cloned();
        let rows = rows.ok_or_else(|| Error::invalid(format!("internal error: CTE {name} not computed")))?;
        Ok(CteScan { rows, at: 0 })
    }

    /// The rows of a system catalog, made now from the transaction's catalog.
    pub fn system(table: &crate::source::SystemTable, views: &[crate::source::ViewInfo], ctx: &Ctx) -> Result<Self> {
        let catalog = crate::source::system::CatalogView {
            tables: ctx.txn.tables()?,
            views,
            sequences: ctx.txn.sequences()?,
            comments: ctx.txn.comments()?,
            roles: ctx.txn.roles()?,
            memberships: ctx.txn.memberships()?,
            privileges: ctx.txn.all_privileges()?.into_iter().collect(),
            session: ctx.session,
            schemas: crate::names::Schemas::load(ctx.txn)?,
            path: (*ctx.session.search_path()).clone(),
        };
        Ok(CteScan { rows: Rc::new(table.rows(&catalog)), at: 0 })
    }
}

impl Operator for CteScan {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if self.at >= self.rows.len() {
            return Ok(None);
        }
        let end = (self.at + BATCH).min(self.rows.len());
        let batch = self.rows[self.at..end].to_vec();
        self.at = end;
        Ok(Some(batch))
    }
}
