//! Physical operators: one per plan node, pulled a batch of rows at a time.
//!
//! Batches amortise the per-call cost of the operator tree (a virtual call and a branch per
//! batch rather than per row); each operator is a small state machine over its inputs'
//! batches. [`build`] turns a plan into a [`Stream`] of rows.
//!
//! A consumer that folds its input (an aggregate, a hash join's probe side) drains it with
//! [`Operator::for_each_row`] instead: every remaining row, by reference, in a buffer the
//! producer reuses for the next row (so the consumer copies what it keeps). Operators that
//! override it produce rows without allocating each one, and must check for interrupts
//! themselves (every [`BATCH`] rows), as `next_batch` does once per batch.

mod aggregate;
mod basic;
mod flat;
mod groups;
mod join;
mod scan;
mod setop;
mod sort;
mod window;
mod with;

use braid_engine::Value;

pub(crate) use self::flat::collect_flat;
use super::context::{Ctx, Row};
use crate::error::Result;
use crate::plan::Plan;

/// Rows per batch.
pub(crate) const BATCH: usize = 1024;

/// A running operator.
pub(crate) trait Operator {
    /// The next non-empty batch of rows, or `None` when done.
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>>;

    /// Hands every remaining row to `f`, by reference.
    ///
    /// A consumer that folds rows rather than keeping them (an aggregate, a join's probe
    /// side) calls this instead of pulling batches. Operators that override it produce
    /// each row into one reused buffer: no allocation per row, and a row is still in the
    /// cache when it is consumed. Profiled, allocating and freeing rows in batches of 1,024
    /// was a quarter of a range SUM.
    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        while let Some(batch) = self.next_batch()? {
            for row in &batch {
                f(row)?;
            }
        }
        Ok(())
    }
}

pub(crate) type BoxedOperator<'a> = Box<dyn Operator + 'a>;

/// An operator's rows, one at a time or all at once.
pub(crate) struct Stream<'a> {
    op: BoxedOperator<'a>,
    buffered: std::vec::IntoIter<Row>,
}

impl<'a> Stream<'a> {
    pub fn new(op: BoxedOperator<'a>) -> Self {
        Stream { op, buffered: Vec::new().into_iter() }
    }

    pub fn next_row(&mut self) -> Result<Option<Row>> {
        loop {
            if let Some(row) = self.buffered.next() {
                return Ok(Some(row));
            }
            match self.op.next_batch()? {
                Some(batch) => self.buffered = batch.into_iter(),
                None => return Ok(None),
            }
        }
    }

    pub fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let rest: Vec<Row> = self.buffered.by_ref().collect();
        if !rest.is_empty() {
            return Ok(Some(rest));
        }
        self.op.next_batch()
    }

    pub fn collect(mut self) -> Result<Vec<Row>> {
        let mut rows: Vec<Row> = self.buffered.by_ref().collect();
        while let Some(batch) = self.op.next_batch()? {
            if rows.is_empty() {
                rows = batch;
            } else {
                rows.extend(batch);
            }
        }
        Ok(rows)
    }
}

impl Operator for Stream<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        Stream::next_batch(self)
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        for row in self.buffered.by_ref() {
            f(&row)?;
        }
        self.op.for_each_row(f)
    }
}

/// Counts an operator's rows and time, for EXPLAIN ANALYZE.
struct Instrumented<'a> {
    op: BoxedOperator<'a>,
    node: usize,
    ctx: &'a Ctx<'a>,
}

impl Operator for Instrumented<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let start = std::time::Instant::now();
        let batch = self.op.next_batch()?;
        if let Some(stats) = &self.ctx.shared.stats {
            let mut stats = stats.borrow_mut();
            let s = stats.entry(self.node).or_default();
            s.time += start.elapsed();
            s.rows += batch.as_ref().map_or(0, |b| b.len() as u64);
        }
        Ok(batch)
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> {
        let start = std::time::Instant::now();
        let (mut rows, mut consumer) = (0, std::time::Duration::ZERO);
        let result = self.op.for_each_row(&mut |row| {
            rows += 1;
            // The consumer's own work is its node's time, not this one's.
            let handed = std::time::Instant::now();
            let result = f(row);
            consumer += handed.elapsed();
            result
        });
        if let Some(stats) = &self.ctx.shared.stats {
            let mut stats = stats.borrow_mut();
            let s = stats.entry(self.node).or_default();
            s.time += start.elapsed().saturating_sub(consumer);
            s.rows += rows;
        }
        result
    }
}

/// Builds the operators of a plan (instrumented when the statement is analyzed).
pub(crate) fn build<'a>(plan: &'a Plan, ctx: &'a Ctx<'a>) -> Result<Stream<'a>> {
    build_wanting(plan, ctx, None)
}

/// [`build`], for a consumer that will read at most `wanted` rows (a LIMIT above): a scan
/// then reads that many in its first batch, not a fixed first batch that is either too
/// small (a second round trip through the operators) or too big (rows read, decoded and
/// projected for nothing: 16 rows for a LIMIT 10 cost 40% more than 10).
fn build_wanting<'a>(plan: &'a Plan, ctx: &'a Ctx<'a>, wanted: Option<usize>) -> Result<Stream<'a>> {
    let stream = build_node(plan, ctx, wanted)?;
    let Some(stats) = &ctx.shared.stats else { return Ok(stream) };
    let node = plan as *const Plan as usize;
    stats.borrow_mut().entry(node).or_default().runs += 1;
    Ok(Stream::new(Box::new(Instrumented { op: Box::new(stream), node, ctx })))
}

fn build_node<'a>(plan: &'a Plan, ctx: &'a Ctx<'a>, wanted: Option<usize>) -> Result<Stream<'a>> {
    let input = |p: &'a Plan| build(p, ctx);
    let op: BoxedOperator<'a> = match plan {
        Plan::Values { rows, .. } => Box::new(scan::Values::new(rows, ctx)),
        Plan::TableFunction { function, args, ordinality, .. } => {
            Box::new(scan::FunctionScan::new(*function, args, *ordinality, ctx)?)
        }
        Plan::Scan { table, rowids, reverse, read, .. } => {
            scan::table_scan(table, rowids, *reverse, read.as_deref(), wanted, ctx)?
        }
        Plan::IndexScan { table, index, range, reverse, read, .. } => {
            Box::new(scan::index_scan(table, index, range, *reverse, read.as_deref(), wanted, ctx)?)
        }
        Plan::CteRef { id, name, .. } => Box::new(scan::CteScan::new(*id, name, ctx)?),
        Plan::SystemScan { table, views, .. } => Box::new(scan::CteScan::system(table, views, ctx)?),
        Plan::Filter { input: i, predicate } => Box::new(basic::Filter { input: input(i)?, predicate, ctx }),
        // A projection passes on as many rows as it reads.
        Plan::Project { input: i, exprs } => Box::new(basic::Project::new(build_wanting(i, ctx, wanted)?, exprs, ctx)),
        Plan::Limit { input: i, limit, offset } => {
            let counts = basic::LimitCounts::new(limit, offset, ctx)?;
            Box::new(basic::Limit::new(build_wanting(i, ctx, counts.wanted())?, counts))
        }
        Plan::Distinct { input: i } => Box::new(basic::Distinct::new(input(i)?)),
        Plan::Aggregate { input: i, group_by, aggregates } => {
            Box::new(aggregate::Aggregate::new(input(i)?, group_by, aggregates, ctx))
        }
        Plan::NestedLoopJoin { left, right, kind, on } => Box::new(join::NestedLoopJoin::new(
            input(left)?,
            input(right)?,
            right.width(),
            left.width(),
            *kind,
            on.as_ref(),
            ctx,
        )?),
        Plan::HashJoin { left, right, kind, left_keys, right_keys, residual } => Box::new(join::HashJoin::new(
            input(left)?,
            input(right)?,
            (left.width(), right.width()),
            *kind,
            (left_keys, right_keys),
            residual.as_ref(),
            ctx,
        )?),
        Plan::Sort { input: i, keys } => Box::new(sort::Sort::new(input(i)?, keys, None, ctx)),
        Plan::Window { input: i, calls } => Box::new(window::Window::new(input(i)?, calls, ctx)),
        Plan::ProjectSet { input: i, calls } => Box::new(basic::ProjectSet::new(input(i)?, calls, ctx)),
        Plan::TopN { input: i, keys, limit, offset } => {
            Box::new(sort::Sort::new(input(i)?, keys, Some((limit, offset.as_ref())), ctx))
        }
        Plan::SetOp { op, all, left, right } => {
            Box::new(setop::SetOperation::new(*op, *all, input(left)?, input(right)?))
        }
        Plan::With { ctes, input: i } => {
            with::compute(ctes, ctx)?;
            return input(i);
        }
    };
    Ok(Stream::new(op))
}
