//! Hash aggregation: groups by the GROUP BY values, one accumulator per aggregate.
//!
//! Groups are emitted in GROUP BY order (SQLite groups by sorting, and queries without
//! ORDER BY see that order).

use std::collections::HashMap;

use super::super::context::{Ctx, Row};
use super::super::eval::eval;
use super::{Operator, Stream};
use crate::error::Result;
use crate::functions::Accumulator;
use crate::plan::{AggregateCall, Expr};
use crate::value::{GroupKey, sort_cmp};

pub(super) struct Aggregate<'a> {
    input: Option<Stream<'a>>,
    group_by: &'a [Expr],
    aggregates: &'a [AggregateCall],
    ctx: &'a Ctx<'a>,
}

impl<'a> Aggregate<'a> {
    pub fn new(input: Stream<'a>, group_by: &'a [Expr], aggregates: &'a [AggregateCall], ctx: &'a Ctx<'a>) -> Self {
        Aggregate { input: Some(input), group_by, aggregates, ctx }
    }

    fn accumulators(&self) -> Vec<Accumulator> {
        self.aggregates.iter().map(|a| Accumulator::new(a.function, a.distinct)).collect()
    }
}

impl Operator for Aggregate<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let Some(mut input) = self.input.take() else { return Ok(None) };
        let mut groups: HashMap<GroupKey, Vec<Accumulator>> = HashMap::new();
        let mut args = Vec::new();
        while let Some(batch) = input.next_batch()? {
            for row in &batch {
                let key = GroupKey(self.group_by.iter().map(|e| eval(e, row, self.ctx)).collect::<Result<_>>()?);
                let accs = match groups.get_mut(&key) {
                    Some(a) => a,
                    None => groups.entry(key).or_insert_with(|| self.accumulators()),
                };
                for (acc, call) in accs.iter_mut().zip(self.aggregates) {
                    args.clear();
                    for a in &call.args {
                        args.push(eval(a, row, self.ctx)?);
                    }
                    acc.add(&args)?;
                }
            }
        }
        // Without GROUP BY there is one group even over no rows.
        if groups.is_empty() && self.group_by.is_empty() {
            groups.insert(GroupKey(vec![]), self.accumulators());
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
