//! Window functions: each call adds a column computed over its partition of the rows.
//!
//! The input is materialised; for each call the rows are ordered by (PARTITION BY,
//! ORDER BY), and each partition is walked once. Ranking functions look at peers (rows
//! equal in ORDER BY); aggregates are computed over each row's frame, incrementally when
//! the frame starts at the partition's first row (the default frame), else row by row.
//! Rows come out in the first call's window order, as in SQLite.

use std::cmp::Ordering;

use braid_engine::Value;

use super::super::context::{Ctx, Row};
use super::super::eval::eval;
use super::sort::compare_keys;
use super::{Operator, Stream};
use crate::error::Result;
use crate::functions::Accumulator;
use crate::plan::{FrameBound, WindowCall, WindowFunction};
use crate::value::{sort_cmp, to_i64_lossy};

pub(super) struct Window<'a> {
    input: Option<Stream<'a>>,
    calls: &'a [WindowCall],
    ctx: &'a Ctx<'a>,
}

impl<'a> Window<'a> {
    pub fn new(input: Stream<'a>, calls: &'a [WindowCall], ctx: &'a Ctx<'a>) -> Self {
        Window { input: Some(input), calls, ctx }
    }
}

impl Operator for Window<'_> {
    fn next_batch(&mut self) -> Result<Option<Vec<Row>>> {
        let Some(input) = self.input.take() else { return Ok(None) };
        let mut rows = input.collect()?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut first_order = None;
        for call in self.calls {
            let (order, values) = compute(call, &rows, self.ctx)?;
            for (row, v) in rows.iter_mut().zip(values) {
                row.push(v);
            }
            first_order.get_or_insert(order);
        }
        let order = first_order.unwrap_or_default();
        let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
        Ok(Some(order.into_iter().filter_map(|i| slots[i].take()).collect()))
    }
}

/// The window order of the rows, and the call's value for each row (in input order).
fn compute(call: &WindowCall, rows: &[Row], ctx: &Ctx) -> Result<(Vec<usize>, Vec<Value>)> {
    let eval_all = |exprs: &mut dyn Iterator<Item = &crate::plan::Expr>, row: &Row| -> Result<Vec<Value>> {
        exprs.map(|e| eval(e, row, ctx)).collect()
    };
    let partitions: Vec<Vec<Value>> =
        rows.iter().map(|r| eval_all(&mut call.partition_by.iter(), r)).collect::<Result<_>>()?;
    let orders: Vec<Vec<Value>> =
        rows.iter().map(|r| eval_all(&mut call.order_by.iter().map(|k| &k.expr), r)).collect::<Result<_>>()?;
    let same_partition =
        |a: usize, b: usize| partitions[a].iter().zip(&partitions[b]).all(|(x, y)| sort_cmp(x, y).is_eq());
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let p = partitions[a].iter().zip(&partitions[b]).map(|(x, y)| sort_cmp(x, y)).find(|o| o.is_ne());
        p.unwrap_or_else(|| compare_keys(&call.order_by, &orders[a], &orders[b]))
    });
    let mut values = vec![Value::Null; rows.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && same_partition(order[start], order[end]) {
            end += 1;
        }
        partition(call, rows, &orders, &order[start..end], &mut values, ctx)?;
        start = end;
    }
    Ok((order, values))
}

/// Computes a call over one partition (`part`: row indexes in window order).
fn partition(
    call: &WindowCall,
    rows: &[Row],
    orders: &[Vec<Value>],
    part: &[usize],
    out: &mut [Value],
    ctx: &Ctx,
) -> Result<()> {
    let n = part.len();
    let peers =
        |a: usize, b: usize| compare_keys(&call.order_by, &orders[part[a]], &orders[part[b]]) == Ordering::Equal;
    // For each position, the first and one-past-last index of its peer group.
    let mut group_start = vec![0; n];
    let mut group_end = vec![n; n];
    for j in 1..n {
        group_start[j] = if peers(j - 1, j) { group_start[j - 1] } else { j };
    }
    for j in (0..n.saturating_sub(1)).rev() {
        group_end[j] = if peers(j, j + 1) { group_end[j + 1] } else { j + 1 };
    }
    let arg = |j: usize, i: usize| -> Result<Value> {
        call.args.get(i).map_or(Ok(Value::Null), |e| eval(e, &rows[part[j]], ctx))
    };
    let frame = |j: usize| -> (usize, usize) {
        let f = call.frame;
        let start = match f.start {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::Preceding(k) => j.saturating_sub(k as usize),
            FrameBound::CurrentRow if f.rows => j,
            FrameBound::CurrentRow => group_start[j],
            FrameBound::Following(k) => j.saturating_add(k as usize).min(n),
            FrameBound::UnboundedFollowing => n,
        };
        let end = match f.end {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::Preceding(k) => (j + 1).saturating_sub(k as usize),
            FrameBound::CurrentRow if f.rows => j + 1,
            FrameBound::CurrentRow => group_end[j],
            FrameBound::Following(k) => j.saturating_add(k as usize + 1).min(n),
            FrameBound::UnboundedFollowing => n,
        };
        (start, end.max(start))
    };
    let mut dense = 0;
    // Incremental aggregation while frames start at the partition's first row.
    let mut running: Option<(Accumulator, usize)> = None;
    for j in 0..n {
        let v = match call.function {
            WindowFunction::RowNumber => Value::Integer(j as i64 + 1),
            WindowFunction::Rank => Value::Integer(group_start[j] as i64 + 1),
            WindowFunction::DenseRank => {
                if group_start[j] == j {
                    dense += 1;
                }
                Value::Integer(dense)
            }
            WindowFunction::Lag | WindowFunction::Lead => {
                let offset = if call.args.len() > 1 { to_i64_lossy(&arg(j, 1)?) } else { 1 };
                let target = if call.function == WindowFunction::Lag { j as i64 - offset } else { j as i64 + offset };
                if (0..n as i64).contains(&target) { arg(target as usize, 0)? } else { arg(j, 2)? }
            }
            WindowFunction::FirstValue => {
                let (s, e) = frame(j);
                if s < e { arg(s, 0)? } else { Value::Null }
            }
            WindowFunction::LastValue => {
                let (s, e) = frame(j);
                if s < e { arg(e - 1, 0)? } else { Value::Null }
            }
            WindowFunction::NthValue => {
                let (s, e) = frame(j);
                let k = to_i64_lossy(&arg(j, 1)?);
                if k <= 0 {
                    return Err(crate::error::Error::invalid(
                        "second argument to nth_value must be a positive integer",
                    ));
                }
                let at = s.saturating_add(k as usize - 1);
                if at < e { arg(at, 0)? } else { Value::Null }
            }
            WindowFunction::Ntile => {
                let buckets = to_i64_lossy(&arg(j, 0)?);
                if buckets <= 0 {
                    return Err(crate::error::Error::invalid("argument of ntile must be a positive integer"));
                }
                // The first n % buckets buckets get one row more, as in SQLite.
                let (b, n64, j64) = (buckets as u64, n as u64, j as u64);
                let (size, extra) = (n64 / b, n64 % b);
                let big = extra * (size + 1);
                let bucket = if j64 < big { j64 / (size + 1) } else { extra + (j64 - big) / size.max(1) };
                Value::Integer(bucket as i64 + 1)
            }
            WindowFunction::PercentRank => {
                Value::Real(if n > 1 { group_start[j] as f64 / (n - 1) as f64 } else { 0.0 })
            }
            WindowFunction::CumeDist => Value::Real(group_end[j] as f64 / n as f64),
            WindowFunction::Aggregate(function) => {
                let (s, e) = frame(j);
                let feed = |acc: &mut Accumulator, k: usize| -> Result<()> {
                    let args = (0..call.args.len()).map(|i| arg(k, i)).collect::<Result<Vec<_>>>()?;
                    acc.add(&args).map(|_| ())
                };
                if s == 0 {
                    let (acc, upto) = running.get_or_insert_with(|| (Accumulator::new(function, call.distinct), 0));
                    if *upto > e {
                        *acc = Accumulator::new(function, call.distinct);
                        *upto = 0;
                    }
                    while *upto < e {
                        feed(acc, *upto)?;
                        *upto += 1;
                    }
                    acc.finish()?
                } else {
                    let mut acc = Accumulator::new(function, call.distinct);
                    for k in s..e {
                        feed(&mut acc, k)?;
                    }
                    acc.finish()?
                }
            }
        };
        out[part[j]] = v;
    }
    Ok(())
}
