//! Leaf operators: table scans, index scans, literal rows, CTE rows.

use std::ops::Bound;
use std::rc::Rc;

use braid_engine::storage::Direction;
use braid_engine::{TableDef, Value};

use super::super::context::{Ctx, Row};
use super::super::eval::eval;
use super::{BATCH, Operator};
use crate::error::{Error, Result};
use crate::plan::{Expr, IndexRange};
use crate::value::{GroupKey, sort_cmp};

type RowIter<'a> = Box<dyn Iterator<Item = Result<Row>> + 'a>;

/// Fills a batch from a row iterator.
fn fill(rows: &mut RowIter<'_>) -> Result<Option<Vec<Row>>> {
    let mut batch = Vec::with_capacity(BATCH);
    for row in rows.by_ref().take(BATCH) {
        batch.push(row?);
    }
    Ok((!batch.is_empty()).then_some(batch))
}

/// Evaluates a bound's expression.
fn bound_value(b: &Bound<Expr>, ctx: &Ctx) -> Result<Bound<Value>> {
    Ok(match b {
        Bound::Included(e) => Bound::Included(eval(e, &[], ctx)?),
        Bound::Excluded(e) => Bound::Excluded(eval(e, &[], ctx)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

/// Rows of a table in rowid order, each followed by its rowid.
pub(super) struct TableScan<'a> {
    rows: RowIter<'a>,
}

impl<'a> TableScan<'a> {
    pub fn new(
        table: &'a TableDef,
        rowids: &(Bound<Expr>, Bound<Expr>),
        reverse: bool,
        ctx: &'a Ctx<'a>,
    ) -> Result<Self> {
        let rowid = |b: Bound<Value>| -> Result<Bound<i64>> {
            Ok(match b {
                Bound::Included(Value::Integer(i)) => Bound::Included(i),
                Bound::Excluded(Value::Integer(i)) => Bound::Excluded(i),
                Bound::Unbounded => Bound::Unbounded,
                other => return Err(Error::invalid(format!("internal error: rowid bound {other:?}"))),
            })
        };
        let range = (rowid(bound_value(&rowids.0, ctx)?)?, rowid(bound_value(&rowids.1, ctx)?)?);
        let direction = if reverse { Direction::Reverse } else { Direction::Forward };
        let empty = matches!((range.0, range.1), (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) if a > b);
        if empty {
            return Ok(TableScan { rows: Box::new(std::iter::empty()) });
        }
        let scan = ctx.txn.scan_dir(table, range, direction)?;
        let rows = scan.map(|r| {
            let r = r?;
            let mut values = r.values()?;
            values.push(Value::Integer(r.rowid));
            Ok(values)
        });
        Ok(TableScan { rows: Box::new(rows) })
    }
}

impl Operator for TableScan<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        fill(&mut self.rows)
    }
}

/// Rows of a table found through an index, each followed by its rowid.
pub(super) struct IndexScan<'a> {
    rows: RowIter<'a>,
}

impl<'a> IndexScan<'a> {
    pub fn new(
        table: &'a TableDef,
        index: &'a str,
        range: &IndexRange,
        reverse: bool,
        ctx: &'a Ctx<'a>,
    ) -> Result<Self> {
        let direction = if reverse { Direction::Reverse } else { Direction::Forward };
        let ranges: Vec<(Bound<Vec<Value>>, Bound<Vec<Value>>)> = match range {
            IndexRange::Range { equal, lower, upper } => {
                let prefix = equal.iter().map(|e| eval(e, &[], ctx)).collect::<Result<Vec<_>>>()?;
                if prefix.iter().any(Value::is_null) {
                    vec![]
                } else {
                    let with = |b: Bound<Value>| match b {
                        Bound::Included(v) => Bound::Included([prefix.clone(), vec![v]].concat()),
                        Bound::Excluded(v) => Bound::Excluded([prefix.clone(), vec![v]].concat()),
                        Bound::Unbounded if prefix.is_empty() => Bound::Unbounded,
                        Bound::Unbounded => Bound::Included(prefix.clone()),
                    };
                    let (lo, hi) = (bound_value(lower, ctx)?, bound_value(upper, ctx)?);
                    if matches!(&lo, Bound::Included(v) | Bound::Excluded(v) if v.is_null())
                        || matches!(&hi, Bound::Included(v) | Bound::Excluded(v) if v.is_null())
                    {
                        vec![]
                    } else {
                        // Above NULLs: a range never matches them.
                        let lo = match lo {
                            Bound::Unbounded if !matches!(hi, Bound::Unbounded) => Bound::Excluded(Value::Null),
                            lo => lo,
                        };
                        vec![(with(lo), with(hi))]
                    }
                }
            }
            IndexRange::In(values) => {
                let mut keys: Vec<Value> = values.iter().map(|e| eval(e, &[], ctx)).collect::<Result<_>>()?;
                keys.retain(|v| !v.is_null());
                keys.sort_by(sort_cmp);
                keys.dedup_by(|a, b| GroupKey(vec![a.clone()]) == GroupKey(vec![b.clone()]));
                if reverse {
                    keys.reverse();
                }
                keys.into_iter().map(|k| (Bound::Included(vec![k.clone()]), Bound::Included(vec![k]))).collect()
            }
        };
        let txn = ctx.txn;
        let rows = ranges.into_iter().map(move |(lo, hi)| -> Result<RowIter<'a>> {
            let as_ref = |b: &Bound<Vec<Value>>| -> Bound<Vec<Value>> { b.clone() };
            let (lo, hi) = (as_ref(&lo), as_ref(&hi));
            let entries: Vec<i64> = {
                let lo_ref = match &lo {
                    Bound::Included(v) => Bound::Included(v.as_slice()),
                    Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
                    Bound::Unbounded => Bound::Unbounded,
                };
                let hi_ref = match &hi {
                    Bound::Included(v) => Bound::Included(v.as_slice()),
                    Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
                    Bound::Unbounded => Bound::Unbounded,
                };
                txn.index_scan(table, index, lo_ref, hi_ref, direction)?
                    .map(|e| e.map(|(_, rowid)| rowid))
                    .collect::<braid_engine::Result<_>>()?
            };
            Ok(Box::new(entries.into_iter().filter_map(move |rowid| match txn.get(table, rowid) {
                Ok(Some(mut values)) => {
                    values.push(Value::Integer(rowid));
                    Some(Ok(values))
                }
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            })))
        });
        let rows = rows.flat_map(|r: Result<RowIter<'a>>| -> RowIter<'a> {
            match r {
                Ok(it) => it,
                Err(e) => Box::new(std::iter::once(Err(e))),
            }
        });
        Ok(IndexScan { rows: Box::new(rows) })
    }
}

impl Operator for IndexScan<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        fill(&mut self.rows)
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

/// The rows of a CTE, computed before the query that reads them.
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
