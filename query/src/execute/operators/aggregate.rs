//! Hash aggregation: groups by the GROUP BY values, one accumulator per aggregate.
//!
//! The input is consumed row by row through [`Operator::for_each_row`] and grouped in a
//! [`GroupTable`]: a row that falls into an existing group allocates nothing.
//!
//! Groups are emitted in GROUP BY order (SQLite groups by sorting, and queries without
//! ORDER BY see that order).

use super::super::context::{Ctx, Row};
use super::super::eval::{eval, matches};
use super::groups::{GroupTable, RowKey};
use super::{Operator, Stream};
use crate::error::Result;
use crate::functions::{Accumulator, AggregateFunction};
use crate::plan::{AggregateCall, Expr};
use crate::value::sort_cmp;

pub(super) struct Aggregate<'a> {
    input: Option<Stream<'a>>,
    /// The one min() or max() call, if there is exactly one.
    extreme: Option<usize>,
    group_by: &'a [Expr],
    aggregates: &'a [AggregateCall],
    ctx: &'a Ctx<'a>,
}

impl<'a> Aggregate<'a> {
    pub fn new(input: Stream<'a>, group_by: &'a [Expr], aggregates: &'a [AggregateCall], ctx: &'a Ctx<'a>) -> Self {
        let extremes: Vec<usize> = aggregates
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a.function, AggregateFunction::Min | AggregateFunction::Max))
            .map(|(i, _)| i)
            .collect();
        let extreme = if extremes.len() == 1 { Some(extremes[0]) } else { None };
        Aggregate { input: Some(input), extreme, group_by, aggregates, ctx }
    }

    fn accumulators(&self) -> Vec<Accumulator> {
        self.aggregates.iter().map(|a| Accumulator::ordered(a.function, a.distinct, &a.order)).collect()
    }
}

impl Aggregate<'_> {
    /// Adds one input row to a group's accumulators.
    fn add_row(
        &self,
        accs: &mut [Accumulator],
        row: &[braid_engine::Value],
        args: &mut Vec<braid_engine::Value>,
    ) -> Result<()> {
        let mut extreme_row = false;
        for (i, (acc, call)) in accs.iter_mut().zip(self.aggregates).enumerate() {
            if let Some(filter) = &call.filter
                && !matches(filter, row, self.ctx)?
            {
                continue;
            }
            let added = match call.args.as_slice() {
                // A column's value is passed where it lies in the row, not copied.
                [Expr::Column { depth: 0, index, .. }] if *index < row.len() => {
                    acc.add(std::slice::from_ref(&row[*index]))?
                }
                exprs => {
                    args.clear();
                    for a in exprs {
                        args.push(eval(a, row, self.ctx)?);
                    }
                    acc.add(args)?
                }
            };
            extreme_row |= added && Some(i) == self.extreme;
        }
        // SQLite: with a single min() or max(), bare columns come from its row.
        if extreme_row {
            for (acc, call) in accs.iter_mut().zip(self.aggregates) {
                if call.function == AggregateFunction::AnyValue {
                    acc.take_value_of_row(&eval(&call.args[0], row, self.ctx)?);
                }
            }
        }
        Ok(())
    }
}

impl Operator for Aggregate<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let Some(mut input) = self.input.take() else { return Ok(None) };
        let this = &*self;
        let mut args = Vec::new();
        if this.group_by.is_empty() {
            // One group, even over no rows: no key to read or hash per row.
            let mut accs = this.accumulators();
            input.for_each_row(&mut |row| this.add_row(&mut accs, row, &mut args))?;
            return Ok(Some(vec![accs.iter().map(Accumulator::finish).collect::<Result<_>>()?]));
        }
        let mut groups: GroupTable<Vec<Accumulator>> = GroupTable::default();
        let mut key = RowKey::new(this.group_by);
        input.for_each_row(&mut |row| {
            let accs = groups.entry(&key.of(row, this.ctx)?, || this.accumulators());
            this.add_row(accs, row, &mut args)
        })?;
        let mut rows: Vec<Row> = groups
            .into_entries()
            .map(|(mut row, accs)| {
                for acc in &accs {
                    row.push(acc.finish()?);
                }
                Ok(row)
            })
            .collect::<Result<_>>()?;
        let width = self.group_by.len();
        rows.sort_by(|a, b| {
            a[..width]
                .iter()
                .zip(&b[..width])
                .map(|(x, y)| sort_cmp(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(Some(rows))
    }
}
