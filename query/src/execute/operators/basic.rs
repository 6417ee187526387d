//! Filter, Project, ProjectSet, Limit and Distinct.

use braid_engine::Value;

use super::super::context::{Ctx, Row};
use super::super::eval::{eval, matches};
use super::{BATCH, Operator, Stream};
use crate::error::{Error, Result};
use crate::plan::Expr;
use crate::value::{GroupKey, to_i64_lossy};

/// Keeps the rows for which the predicate is true.
pub(super) struct Filter<'a> {
    pub input: Stream<'a>,
    pub predicate: &'a Expr,
    pub ctx: &'a Ctx<'a>,
}

impl Operator for Filter<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        while let Some(mut batch) = self.input.next_batch()? {
            let mut keep = Ok(());
            batch.retain(|row| match matches(self.predicate, row, self.ctx) {
                Ok(m) => m,
                Err(e) => {
                    keep = Err(e);
                    false
                }
            });
            keep?;
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        let (predicate, ctx) = (self.predicate, self.ctx);
        self.input.for_each_row(&mut |row| if matches(predicate, row, ctx)? { f(row) } else { Ok(()) })
    }
}

/// Repeats each input row once per value of the set-returning calls beside it (see
/// [`crate::plan::Plan::ProjectSet`]). The calls' values are produced as they are read, a
/// batch at a time: `SELECT generate_series(1, 1e12) LIMIT 3` reads three.
pub(super) struct ProjectSet<'a> {
    input: Stream<'a>,
    calls: &'a [(crate::functions::TableFunction, Vec<Expr>)],
    ctx: &'a Ctx<'a>,
    /// Input rows not yet expanded.
    pending: std::vec::IntoIter<Row>,
    /// The row being expanded, and its calls' rows still to come.
    current: Option<(Row, Vec<crate::functions::TableRows>)>,
}

impl<'a> ProjectSet<'a> {
    pub fn new(input: Stream<'a>, calls: &'a [(crate::functions::TableFunction, Vec<Expr>)], ctx: &'a Ctx<'a>) -> Self {
        ProjectSet { input, calls, ctx, pending: Vec::new().into_iter(), current: None }
    }
}

impl Operator for ProjectSet<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let mut out = vec![];
        while out.len() < BATCH {
            let Some((row, calls)) = &mut self.current else {
                let row = match self.pending.next() {
                    Some(row) => row,
                    None => match self.input.next_batch()? {
                        Some(batch) => {
                            self.pending = batch.into_iter();
                            continue;
                        }
                        None => break,
                    },
                };
                let mut calls = Vec::with_capacity(self.calls.len());
                for (function, args) in self.calls {
                    let args = args.iter().map(|a| eval(a, &row, self.ctx)).collect::<Result<Vec<_>>>()?;
                    calls.push(function.rows(&args)?);
                }
                self.current = Some((row, calls));
                continue;
            };
            // Each call here returns one column; a finished call is NULL beside the others.
            let values: Vec<Option<Value>> = calls
                .iter_mut()
                .map(|c| c.next().map(|mut r| if r.is_empty() { Value::Null } else { r.swap_remove(0) }))
                .collect();
            if values.iter().all(Option::is_none) {
                self.current = None;
                continue;
            }
            let mut r = row.clone();
            r.extend(values.into_iter().map(Option::unwrap_or_default));
            out.push(r);
        }
        Ok((!out.is_empty()).then_some(out))
    }
}

/// Computes new rows from expressions over each input row.
pub(super) struct Project<'a> {
    input: Stream<'a>,
    exprs: &'a [Expr],
    /// How each row is projected: see [`Projection`].
    projection: Projection,
    ctx: &'a Ctx<'a>,
}

/// How a projection makes its rows.
enum Projection {
    /// Every expression is a column of the input row, each further right than the one
    /// before: each row is projected in place (the common `SELECT a, c FROM t`; no list of
    /// columns is allocated for it, which cost a point query an allocation).
    InPlace,
    /// Every expression is a different column of the input row: those columns, which are
    /// moved out of each input row rather than copied (a text copied is an allocation).
    Moved(Vec<usize>),
    /// Each expression evaluated.
    Evaluated,
}

/// The input column an expression names, if it is one.
pub(super) fn column(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column { depth: 0, index, .. } => Some(*index),
        _ => None,
    }
}

impl<'a> Project<'a> {
    pub fn new(input: Stream<'a>, exprs: &'a [Expr], ctx: &'a Ctx<'a>) -> Self {
        let ascending = exprs.iter().map(column).try_fold(None, |last: Option<usize>, c| match (last, c) {
            (_, None) => Err(()),
            (Some(last), Some(c)) if c <= last => Err(()),
            (_, c) => Ok(c),
        });
        let projection = if ascending.is_ok() {
            Projection::InPlace
        } else {
            let columns: Option<Vec<usize>> = exprs.iter().map(column).collect();
            let distinct = |c: &Vec<usize>| c.iter().enumerate().all(|(i, x)| !c[..i].contains(x));
            columns.filter(distinct).map_or(Projection::Evaluated, Projection::Moved)
        };
        Project { input, exprs, projection, ctx }
    }
}

impl Operator for Project<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let Some(mut batch) = self.input.next_batch()? else { return Ok(None) };
        match &self.projection {
            // The last column is the rightmost: every row that has it has them all.
            Projection::InPlace if batch.iter().all(|row| self.exprs.last().and_then(column) < Some(row.len())) => {
                for row in &mut batch {
                    // Column `c ≥ i` moves to `i`, and no later column is below `c`, so
                    // nothing moved aside is wanted again.
                    for (i, c) in self.exprs.iter().filter_map(column).enumerate() {
                        row.swap(i, c);
                    }
                    row.truncate(self.exprs.len());
                }
                return Ok(Some(batch));
            }
            Projection::Moved(columns) if batch.iter().all(|row| columns.iter().all(|&c| c < row.len())) => {
                for row in &mut batch {
                    *row = columns.iter().map(|&c| std::mem::take(&mut row[c])).collect();
                }
                return Ok(Some(batch));
            }
            _ => {}
        }
        let rows = batch
            .iter()
            .map(|row| self.exprs.iter().map(|e| eval(e, row, self.ctx)).collect::<Result<Row>>())
            .collect::<Result<Vec<Row>>>()?;
        Ok(Some(rows))
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        let (exprs, ctx) = (self.exprs, self.ctx);
        let mut out = Vec::with_capacity(exprs.len());
        self.input.for_each_row(&mut |row| {
            out.clear();
            for e in exprs {
                out.push(eval(e, row, ctx)?);
            }
            f(&out)
        })
    }
}

/// Evaluates a LIMIT or OFFSET term: an integer; a negative LIMIT means none.
pub(super) fn count(e: Option<&Expr>, ctx: &Ctx, what: &str) -> Result<Option<u64>> {
    let Some(e) = e else { return Ok(None) };
    let v = eval(e, &[], ctx)?;
    let n = match v {
        Value::Integer(i) => i,
        Value::Real(r) if r.fract() == 0.0 => r as i64,
        ref other if matches!(other, Value::Text(_)) => to_i64_lossy(other),
        other => return Err(Error::type_error(format!("{what} must be an integer, not {other}"))),
    };
    Ok((n >= 0).then_some(n as u64))
}

/// Skips `offset` rows, then passes at most `limit`.
pub(super) struct Limit<'a> {
    input: Stream<'a>,
    skip: u64,
    left: Option<u64>,
}

/// A LIMIT's and OFFSET's row counts, evaluated once when the operator is built.
#[derive(Debug, Clone, Copy)]
pub(super) struct LimitCounts {
    pub skip: u64,
    pub left: Option<u64>,
}

impl LimitCounts {
    pub fn new(limit: &Option<Expr>, offset: &Option<Expr>, ctx: &Ctx) -> Result<Self> {
        let left = count(limit.as_ref(), ctx, "LIMIT")?;
        let skip = count(offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0);
        Ok(LimitCounts { skip, left })
    }

    /// No LIMIT, no OFFSET.
    pub const NONE: LimitCounts = LimitCounts { skip: 0, left: None };

    /// The rows the input must produce at most: `None` without a LIMIT.
    pub fn wanted(&self) -> Option<usize> {
        self.left.map(|left| left.saturating_add(self.skip).try_into().unwrap_or(usize::MAX))
    }
}

impl<'a> Limit<'a> {
    pub fn new(input: Stream<'a>, counts: LimitCounts) -> Self {
        Limit { input, skip: counts.skip, left: counts.left }
    }
}

impl Operator for Limit<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if self.left == Some(0) {
            return Ok(None);
        }
        while let Some(mut batch) = self.input.next_batch()? {
            if self.skip > 0 {
                let n = (self.skip as usize).min(batch.len());
                batch.drain(..n);
                self.skip -= n as u64;
            }
            if let Some(left) = &mut self.left {
                batch.truncate(*left as usize);
                *left -= batch.len() as u64;
            }
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
            if self.left == Some(0) {
                break;
            }
        }
        Ok(None)
    }
}

/// Passes the first of each set of equal rows.
pub(super) struct Distinct<'a> {
    input: Stream<'a>,
    seen: crate::value::GroupSet,
}

impl<'a> Distinct<'a> {
    pub fn new(input: Stream<'a>) -> Self {
        Distinct { input, seen: crate::value::GroupSet::default() }
    }
}

impl Operator for Distinct<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        while let Some(mut batch) = self.input.next_batch()? {
            batch.retain(|row| self.seen.insert(GroupKey(row.clone())));
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }
}
