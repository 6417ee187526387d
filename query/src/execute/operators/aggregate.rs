//! Hash aggregation: groups by the GROUP BY values, one accumulator per aggregate.
//!
//! Groups are emitted in GROUP BY order (SQLite groups by sorting, and queries without
//! ORDER BY see that order).

use super::super::context::{Ctx, Row};
use super::super::eval::{eval, matches};
use super::{Operator, Stream};
use crate::error::Result;
use crate::functions::{Accumulator, AggregateFunction};
use crate::plan::{AggregateCall, Expr};
use crate::value::{GroupKey, GroupMap, sort_cmp};

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
        self.aggregates.iter().map(|a| Accumulator::new(a.function, a.distinct)).collect()
    }
}

impl Aggregate<'_> {
    /// Adds one input row to a group's accumulators.
    fn add_row(&self, accs: &mut [Accumulator], row: &Row, args: &mut Vec<braid_engine::Value>) -> Result<()> {
        let mut extreme_row = false;
        for (i, (acc, call)) in accs.iter_mut().zip(self.aggregates).enumerate() {
            if let Some(filter) = &call.filter
                && !matches(filter, row, self.ctx)?
            {
                continue;
            }
            args.clear();
            for a in &call.args {
                args.push(eval(a, row, self.ctx)?);
            }
            extreme_row |= acc.add(args)? && Some(i) == self.extreme;
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
        let mut args = Vec::new();
        if self.group_by.is_empty() {
            // One group, even over no rows: no key to build or hash per row.
            let mut accs = self.accumulators();
            while let Some(batch) = input.next_batch()? {
                for row in &batch {
                    self.add_row(&mut accs, row, &mut args)?;
                }
            }
            return Ok(Some(vec![accs.iter().map(Accumulator::finish).collect()]));
        }
        let mut groups: GroupMap<Vec<Accumulator>> = GroupMap::default();
        while let Some(batch) = input.next_batch()? {
            for row in &batch {
                let key = GroupKey(self.group_by.iter().map(|e| eval(e, row, self.ctx)).collect::<Result<_>>()?);
                let accs = match groups.get_mut(&key) {
                    Some(a) => a,
                    None => groups.entry(key).or_insert_with(|| self.accumulators()),
                };
                self.add_row(accs, row, &mut args)?;
            }
        }
        let mut rows: Vec<Row> = groups
            .into_iter()
            .map(|(key, accs)| {
                let mut row = key.0;
                row.extend(accs.iter().map(Accumulator::finish));
                row
            })
            .collect();
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
