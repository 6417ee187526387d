//! Sorting, and top-N (sort with a limit) without sorting every row.

use std::cmp::Ordering;

use braid_engine::Value;

use super::super::context::{Ctx, Row};
use super::super::eval::eval;
use super::basic::count;
use super::{Operator, Stream};
use crate::error::Result;
use crate::plan::{Expr, SortKey};
use crate::value::sort_cmp;

/// Compares two rows' sort keys.
pub(super) fn compare_keys(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for (k, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = sort_cmp(x, y);
                if k.descending { o.reverse() } else { o }
            }
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

pub(super) struct Sort<'a> {
    input: Option<Stream<'a>>,
    keys: &'a [SortKey],
    /// For top-N: LIMIT and OFFSET.
    limit: Option<(&'a Expr, Option<&'a Expr>)>,
    ctx: &'a Ctx<'a>,
}

impl<'a> Sort<'a> {
    pub fn new(
        input: Stream<'a>,
        keys: &'a [SortKey],
        limit: Option<(&'a Expr, Option<&'a Expr>)>,
        ctx: &'a Ctx<'a>,
    ) -> Self {
        Sort { input: Some(input), keys, limit, ctx }
    }
}

impl Operator for Sort<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let Some(input) = self.input.take() else { return Ok(None) };
        let rows = input.collect()?;
        let mut keyed: Vec<(Vec<Value>, Row)> = rows
            .into_iter()
            .map(|row| Ok((self.keys.iter().map(|k| eval(&k.expr, &row, self.ctx)).collect::<Result<_>>()?, row)))
            .collect::<Result<_>>()?;
        let cmp = |a: &(Vec<Value>, Row), b: &(Vec<Value>, Row)| compare_keys(self.keys, &a.0, &b.0);
        let (skip, take) = match self.limit {
            Some((limit, offset)) => {
                let skip = count(offset, self.ctx, "OFFSET")?.unwrap_or(0) as usize;
                (skip, count(Some(limit), self.ctx, "LIMIT")?.map(|l| l as usize))
            }
            None => (0, None),
        };
        if let Some(take) = take
            && skip + take < keyed.len()
        {
            // Partition the first skip + take rows to the front, then sort only those.
            keyed.select_nth_unstable_by(skip + take, cmp);
            keyed.truncate(skip + take);
        }
        keyed.sort_by(cmp);
        let rows: Vec<Row> = keyed.into_iter().skip(skip).take(take.unwrap_or(usize::MAX)).map(|(_, r)| r).collect();
        Ok((!rows.is_empty()).then_some(rows))
    }
}
