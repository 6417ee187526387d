//! Joins: nested loops (any condition) and hash joins (equalities).

use braid_engine::Value;

use super::super::context::{Ctx, Row};
use super::super::eval::matches;
use super::super::interrupt;
use super::groups::{GroupTable, RowKey};
use super::{BATCH, Operator, Stream};
use crate::error::Result;
use crate::plan::{Expr, JoinKind};

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
///
/// Keys are hashed and compared where they lie in the rows ([`GroupTable`]), and a
/// consumer that folds the joined rows (an aggregate above) gets them one at a time from
/// one reused buffer.
pub(super) struct HashJoin<'a> {
    left: Stream<'a>,
    /// Right rows by key; rows whose key has a NULL are not in it (NULL equals nothing).
    table: GroupTable<Vec<usize>>,
    right: Vec<Row>,
    widths: (usize, usize),
    kind: JoinKind,
    left_key: RowKey<'a>,
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
        let mut table: GroupTable<Vec<usize>> = GroupTable::default();
        let mut right_key = RowKey::new(keys.1);
        for (i, r) in right.iter().enumerate() {
            let key = right_key.of(r, ctx)?;
            if !key.has_null() {
                table.entry(&key, Vec::new).push(i);
            }
        }
        let matched = vec![false; right.len()];
        let left_key = RowKey::new(keys.0);
        Ok(HashJoin { left, table, right, widths, kind, left_key, residual, ctx, matched, done: false })
    }

    /// The left input, and what joins its rows.
    fn split(&mut self) -> (&mut Stream<'a>, Probe<'_, 'a>) {
        let probe = Probe {
            table: &self.table,
            right: &self.right,
            right_width: self.widths.1,
            kind: self.kind,
            key: &mut self.left_key,
            residual: self.residual,
            ctx: self.ctx,
            matched: &mut self.matched,
            out: Vec::with_capacity(self.widths.0 + self.widths.1),
            emitted: 0,
        };
        (&mut self.left, probe)
    }

    /// For RIGHT and FULL joins, once every left row is joined: the right rows no left row
    /// matched, with NULLs on the left.
    fn unmatched_right(&self) -> Vec<Row> {
        if !matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            return Vec::new();
        }
        let (right, matched) = (&self.right, &self.matched);
        right.iter().zip(matched).filter(|(_, m)| !**m).map(|(r, _)| joined(&nulls(self.widths.0), r)).collect()
    }
}

/// Joins left rows with the hash table's right rows.
struct Probe<'p, 'a> {
    table: &'p GroupTable<Vec<usize>>,
    right: &'p [Row],
    right_width: usize,
    kind: JoinKind,
    key: &'p mut RowKey<'a>,
    residual: Option<&'a Expr>,
    ctx: &'a Ctx<'a>,
    matched: &'p mut [bool],
    /// The joined row, reused.
    out: Row,
    /// Joined rows so far, for interrupt checks.
    emitted: u64,
}

impl Probe<'_, '_> {
    /// Hands `emit` each row that `left` joins into, in a buffer that `emit` may take (the
    /// batch path) or only read (the next row reuses it).
    fn join(&mut self, left: &[Value], emit: &mut dyn FnMut(&mut Row) -> Result<()>) -> Result<()> {
        let mut any = false;
        let key = self.key.of(left, self.ctx)?;
        let hits = if key.has_null() { None } else { self.table.get(&key) };
        for &i in hits.map_or(&[][..], Vec::as_slice) {
            self.out.clear();
            self.out.extend_from_slice(left);
            self.out.extend_from_slice(&self.right[i]);
            if match self.residual {
                Some(r) => matches(r, &self.out, self.ctx)?,
                None => true,
            } {
                any = true;
                self.matched[i] = true;
                self.emitted += 1;
                // One left row can join many right rows: a statement timeout must not wait
                // for the left input's next batch.
                if self.emitted.is_multiple_of(BATCH as u64) {
                    interrupt::check()?;
                }
                emit(&mut self.out)?;
            }
        }
        if !any && matches!(self.kind, JoinKind::Left | JoinKind::Full) {
            self.out.clear();
            self.out.extend_from_slice(left);
            self.out.resize(left.len() + self.right_width, Value::Null);
            emit(&mut self.out)?;
        }
        Ok(())
    }
}

impl Operator for HashJoin<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if self.done {
            return Ok(None);
        }
        let (left, mut probe) = self.split();
        while let Some(batch) = left.next_batch()? {
            let mut out = Vec::new();
            for l in &batch {
                probe.join(l, &mut |row| {
                    let width = row.len();
                    out.push(std::mem::replace(row, Vec::with_capacity(width)));
                    Ok(())
                })?;
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        self.done = true;
        let rest = self.unmatched_right();
        Ok((!rest.is_empty()).then_some(rest))
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        if self.done {
            return Ok(());
        }
        let (left, mut probe) = self.split();
        left.for_each_row(&mut |l| probe.join(l, &mut |row| f(row)))?;
        self.done = true;
        for row in self.unmatched_right() {
            f(&row)?;
        }
        Ok(())
    }
}
