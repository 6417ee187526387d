//! UNION, INTERSECT and EXCEPT, with or without ALL.
//!
//! Without ALL the result is distinct and, as in SQLite (which computes them by sorting),
//! comes out in sorted order.

use super::super::context::Row;
use super::{Operator, Stream};
use crate::error::Result;
use crate::plan::SetOp;
use crate::value::{GroupKey, sort_cmp};

pub(super) struct SetOperation<'a> {
    op: SetOp,
    all: bool,
    inputs: Option<(Stream<'a>, Stream<'a>)>,
    /// UNION ALL streams the left input, then the right.
    streaming: Option<(Stream<'a>, Stream<'a>)>,
}

impl<'a> SetOperation<'a> {
    pub fn new(op: SetOp, all: bool, left: Stream<'a>, right: Stream<'a>) -> Self {
        if op == SetOp::Union && all {
            return SetOperation { op, all, inputs: None, streaming: Some((left, right)) };
        }
        SetOperation { op, all, inputs: Some((left, right)), streaming: None }
    }
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| {
        a.iter().zip(b).map(|(x, y)| sort_cmp(x, y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    });
    rows
}

impl Operator for SetOperation<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        if let Some((left, right)) = &mut self.streaming {
            if let Some(batch) = left.next_batch()? {
                return Ok(Some(batch));
            }
            return right.next_batch();
        }
        let Some((left, right)) = self.inputs.take() else { return Ok(None) };
        let (left, right) = (left.collect()?, right.collect()?);
        // How many times each right row appears.
        let mut counts: crate::value::GroupMap<usize> = crate::value::GroupMap::default();
        for r in right.iter().filter(|_| self.op != SetOp::Union) {
            *counts.entry(GroupKey(r.clone())).or_default() += 1;
        }
        let rows: Vec<Row> = match (self.op, self.all) {
            (SetOp::Union, _) => {
                let mut seen = crate::value::GroupSet::default();
                left.into_iter().chain(right).filter(|r| seen.insert(GroupKey(r.clone()))).collect()
            }
            (SetOp::Intersect, true) => left
                .into_iter()
                .filter(|r| match counts.get_mut(&GroupKey(r.clone())) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        true
                    }
                    _ => false,
                })
                .collect(),
            (SetOp::Except, true) => left
                .into_iter()
                .filter(|r| match counts.get_mut(&GroupKey(r.clone())) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                })
                .collect(),
            (op, false) => {
                let mut seen = crate::value::GroupSet::default();
                left.into_iter()
                    .filter(|r| {
                        let key = GroupKey(r.clone());
                        let in_right = counts.contains_key(&key);
                        (in_right == (op == SetOp::Intersect)) && seen.insert(key)
                    })
                    .collect()
            }
        };
        let rows = if self.all { rows } else { sorted(rows) };
        Ok((!rows.is_empty()).then_some(rows))
    }
}
