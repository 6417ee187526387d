//! Joins: nested loops (any condition) and hash joins (equalities).

use crate::value::GroupMap;

use braid_engine::Value;

use super::super::context::{Ctx, Row};
use super::super::eval::{eval, matches};
use super::{Operator, Stream};
use crate::error::Result;
use crate::plan::{Expr, JoinKind};
use crate::value::GroupKey;

/// Left and right rows concatenated.
fn joined(left: &[Value], right: &[Value]) -> Row {
    let mut row = Vec::with_capacity(left.len() + right.len());
    row.extend_from_slice(left);
    row.extend_from_slice(right);
    row
}

fn nulls(n: usize) -> Vec<Value> {
    vec![Value::Null; n]
}

/// For each left row, every right row (materialised once) that satisfies `on`.
pub(super) struct NestedLoopJoin<'a> {
    left: Stream<'a>,
    right: Vec<Row>,
    right_width: usize,
    left_width: usize,
    kind: JoinKind,
    on: Option<&'a Expr>,
    ctx: &'a Ctx<'a>,
    /// Right rows matched so far (RIGHT and FULL joins).
    matched: Vec<bool>,
    done: bool,
}

impl<'a> NestedLoopJoin<'a> {
    pub fn new(
        left: Stream<'a>,
        right: Stream<'a>,
        right_width: usize,
        left_width: usize,
        kind: JoinKind,
        on: Option<&'a Expr>,
        ctx: &'a Ctx<'a>,
    ) -> Result<Self> {
        let right = right.collect()?;
        let matched = vec![false; right.len()];
        Ok(NestedLoopJoin { left, right, right_width, left_width, kind, on, ctx, matched, done: false })
    }
}

impl Operator for NestedLoopJoin<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if self.done {
            return Ok(None);
        }
        while let Some(batch) = self.left.next_batch()? {
            let mut out = Vec::new();
            for l in &batch {
                // Each left row may meet many right rows: stop between them if asked.
                super::super::interrupt::check()?;
                let mut any = false;
                for (i, r) in self.right.iter().enumerate() {
                    let row = joined(l, r);
                    if match self.on {
                        Some(on) => matches(on, &row, self.ctx)?,
                        None => true,
                    } {
                        any = true;
                        self.matched[i] = true;
                        out.push(row);
                    }
                }
                if !any && matches!(self.kind, JoinKind::Left | JoinKind::Full) {
                    out.push(joined(l, &nulls(self.right_width)));
                }
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        self.done = true;
        if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            let out: Vec<Row> = self
                .right
                .iter()
                .zip(&self.matched)
                .filter(|(_, m)| !**m)
                .map(|(r, _)| joined(&nulls(self.left_width), r))
                .collect();
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        Ok(None)
    }
}

/// An equi-join: a hash table on the right rows' keys, probed with each left row.
pub(super) struct HashJoin<'a> {
    left: Stream<'a>,
    table: GroupMap<Vec<usize>>,
    right: Vec<Row>,
    widths: (usize, usize),
    kind: JoinKind,
    left_keys: &'a [Expr],
    residual: Option<&'a Expr>,
    ctx: &'a Ctx<'a>,
    matched: Vec<bool>,
    done: bool,
}

impl<'a> HashJoin<'a> {
    pub fn new(
        left: Stream<'a>,
        right: Stream<'a>,
        widths: (usize, usize),
        kind: JoinKind,
        keys: (&'a [Expr], &'a [Expr]),
        residual: Option<&'a Expr>,
        ctx: &'a Ctx<'a>,
    ) -> Result<Self> {
        let right = right.collect()?;
        let mut table: GroupMap<Vec<usize>> = GroupMap::default();
        for (i, r) in right.iter().enumerate() {
            let key: Vec<Value> = keys.1.iter().map(|e| eval(e, r, ctx)).collect::<Result<_>>()?;
            // NULL never equals anything: such rows cannot match.
            if !key.iter().any(Value::is_null) {
                table.entry(GroupKey(key)).or_default().push(i);
            }
        }
        let matched = vec![false; right.len()];
        Ok(HashJoin { left, table, right, widths, kind, left_keys: keys.0, residual, ctx, matched, done: false })
    }
}

impl Operator for HashJoin<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if self.done {
            return Ok(None);
        }
        while let Some(batch) = self.left.next_batch()? {
            let mut out = Vec::new();
            for l in &batch {
                let key: Vec<Value> = self.left_keys.iter().map(|e| eval(e, l, self.ctx)).collect::<Result<_>>()?;
                let mut any = false;
                if let Some(hits) = self.table.get(&GroupKey(key)) {
                    for &i in hits {
                        let row = joined(l, &self.right[i]);
                        if match self.residual {
                            Some(r) => matches(r, &row, self.ctx)?,
                            None => true,
                        } {
                            any = true;
                            self.matched[i] = true;
                            out.push(row);
                        }
                    }
                }
                if !any && matches!(self.kind, JoinKind::Left | JoinKind::Full) {
                    out.push(joined(l, &nulls(self.widths.1)));
                }
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        self.done = true;
        if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            let out: Vec<Row> = self
                .right
                .iter()
                .zip(&self.matched)
                .filter(|(_, m)| !**m)
                .map(|(r, _)| joined(&nulls(self.widths.0), r))
                .collect();
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        Ok(None)
    }
}
