//! Aggregate functions and their accumulators.
//!
//! Semantics are SQLite's: over no rows (or only NULLs) `count` is 0, `sum`, `avg`, `min`,
//! `max` and `group_concat` are NULL, `total` is 0.0. `sum` of integers stays an integer
//! and overflowing it is an error; `avg` and `total` are reals. PostgreSQL's `array_agg`
//! (NULLs included, NULL over no rows), `bool_and` / `every` and `bool_or` are here too.
//!
//! An aggregate with `ORDER BY` inside its call (`string_agg(x, ',' ORDER BY y)`) gets its
//! sort keys as extra trailing arguments: it keeps every row's arguments, and at the end
//! sorts them and feeds them, keys dropped, to a plain accumulator of the same function.
//! Only the order-sensitive aggregates are worth it; the others ignore the order anyway.

use std::collections::HashSet;

use braid_engine::{Decimal, Interval, Value};

use crate::error::{DataError, Error, Result};
use crate::value::{GroupKey, array, numeric, sort_cmp, to_f64_lossy, to_number, to_text, truthy};

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    /// `count(*)` when called without arguments.
    Count,
    Sum,
    Total,
    Avg,
    Min,
    Max,
    /// `group_concat(x [, sep])` and `string_agg(x, sep)`.
    GroupConcat,
    /// Any one value of the group: a column named in a grouped SELECT but not in GROUP BY.
    AnyValue,
    /// `array_agg(x)`: the values, NULLs included, as an array (NULL over no rows).
    ArrayAgg,
    /// What `ARRAY(SELECT …)` builds: `array_agg` of the subquery's column, but `{}` over
    /// no rows. It has no name a query can call.
    ArrayOf,
    /// `bool_and(b)` / `every(b)`: whether every non-NULL input is true.
    BoolAnd,
    /// `bool_or(b)`: whether any input is true.
    BoolOr,
    /// `json_agg(x)` / `jsonb_agg(x)`: the values (JSON text, the binder converts them)
    /// as a JSON array, NULLs as `null`; NULL over no rows.
    JsonAgg(super::json::Kind),
    /// `json_object_agg(k, v)` / `jsonb_object_agg(k, v)`: a JSON object; NULL over no rows.
    JsonObjectAgg(super::json::Kind),
}

impl AggregateFunction {
    /// The aggregate of this name, if it is one (`min` and `max` with one argument only:
    /// with more they are scalar functions).
    pub fn lookup(name: &str, args: usize) -> Option<Self> {
        Some(match name {
            "count" => AggregateFunction::Count,
            "sum" => AggregateFunction::Sum,
            "total" => AggregateFunction::Total,
            "avg" => AggregateFunction::Avg,
            "min" if args == 1 => AggregateFunction::Min,
            "max" if args == 1 => AggregateFunction::Max,
            "group_concat" | "string_agg" => AggregateFunction::GroupConcat,
            "any_value" => AggregateFunction::AnyValue,
            "array_agg" => AggregateFunction::ArrayAgg,
            "bool_and" | "every" => AggregateFunction::BoolAnd,
            "bool_or" => AggregateFunction::BoolOr,
            "json_agg" => AggregateFunction::JsonAgg(super::json::Kind::Json),
            "jsonb_agg" => AggregateFunction::JsonAgg(super::json::Kind::Jsonb),
            "json_object_agg" => AggregateFunction::JsonObjectAgg(super::json::Kind::Json),
            "jsonb_object_agg" => AggregateFunction::JsonObjectAgg(super::json::Kind::Jsonb),
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            AggregateFunction::Count => "count",
            AggregateFunction::Sum => "sum",
            AggregateFunction::Total => "total",
            AggregateFunction::Avg => "avg",
            AggregateFunction::Min => "min",
            AggregateFunction::Max => "max",
            AggregateFunction::GroupConcat => "group_concat",
            AggregateFunction::AnyValue => "any_value",
            AggregateFunction::ArrayAgg => "array_agg",
            AggregateFunction::ArrayOf => "array",
            AggregateFunction::BoolAnd => "bool_and",
            AggregateFunction::BoolOr => "bool_or",
            AggregateFunction::JsonAgg(super::json::Kind::Json) => "json_agg",
            AggregateFunction::JsonAgg(super::json::Kind::Jsonb) => "jsonb_agg",
            AggregateFunction::JsonObjectAgg(super::json::Kind::Json) => "json_object_agg",
            AggregateFunction::JsonObjectAgg(super::json::Kind::Jsonb) => "jsonb_object_agg",
        }
    }
}

/// The running state of one aggregate over one group.
#[derive(Debug, Clone)]
pub struct Accumulator {
    function: AggregateFunction,
    state: State,
    /// Values seen, for DISTINCT aggregates.
    seen: Option<HashSet<GroupKey>>,
    /// For an aggregate with ORDER BY: the rows kept until the end, and how to sort them.
    sorted: Option<Sorted>,
}

/// One sort key's direction inside an aggregate call: descending, NULLs first.
pub type KeyOrder = (bool, bool);

#[derive(Debug, Clone)]
struct Sorted {
    /// One entry per trailing sort-key argument.
    order: Vec<KeyOrder>,
    rows: Vec<Vec<Value>>,
    distinct: bool,
}

#[derive(Debug, Clone)]
enum State {
    Count(i64),
    /// Integer sum while every input is an integer; a real sum once one is not. NUMERIC
    /// inputs are summed exactly apart, and make the result NUMERIC unless a real came too.
    Sum {
        int: i64,
        real: f64,
        is_real: bool,
        any: bool,
        numeric: Option<Decimal>,
        /// The sum of INTERVAL inputs (PostgreSQL's `sum(interval)`).
        interval: Option<Interval>,
    },
    /// The sum of the NUMERIC and integer inputs is kept exactly apart: over those alone the
    /// average is NUMERIC (PostgreSQL's `avg(numeric)` and `avg(integer)`), else a real.
    Avg {
        sum: f64,
        count: i64,
        numeric: Option<Decimal>,
        reals: bool,
        /// The sum of INTERVAL inputs: their average is an interval.
        interval: Option<Interval>,
    },
    Extreme(Value),
    Concat(Option<String>),
    Any(Option<Value>),
    Array(Vec<Value>),
    Bool(Option<bool>),
    /// JSON texts (`json_agg`), or keys and JSON texts (`json_object_agg`).
    Json(Vec<(Option<String>, Value)>),
}

impl Accumulator {
    pub fn new(function: AggregateFunction, distinct: bool) -> Self {
        let state = match function {
            AggregateFunction::Count => State::Count(0),
            AggregateFunction::Sum | AggregateFunction::Total => {
                State::Sum { int: 0, real: 0.0, is_real: false, any: false, numeric: None, interval: None }
            }
            AggregateFunction::Avg => State::Avg { sum: 0.0, count: 0, numeric: None, reals: false, interval: None },
            AggregateFunction::Min | AggregateFunction::Max => State::Extreme(Value::Null),
            AggregateFunction::GroupConcat => State::Concat(None),
            AggregateFunction::AnyValue => State::Any(None),
            AggregateFunction::ArrayAgg | AggregateFunction::ArrayOf => State::Array(vec![]),
            AggregateFunction::BoolAnd | AggregateFunction::BoolOr => State::Bool(None),
            AggregateFunction::JsonAgg(_) | AggregateFunction::JsonObjectAgg(_) => State::Json(vec![]),
        };
        Accumulator { function, state, seen: distinct.then(HashSet::new), sorted: None }
    }

    /// An accumulator for a call with ORDER BY: its last `order.len()` arguments are the
    /// sort keys.
    pub fn ordered(function: AggregateFunction, distinct: bool, order: &[KeyOrder]) -> Self {
        let mut acc = Accumulator::new(function, false);
        if !order.is_empty() {
            acc.sorted = Some(Sorted { order: order.to_vec(), rows: vec![], distinct });
        } else if distinct {
            acc.seen = Some(HashSet::new());
        }
        acc
    }

    /// Adds one row's arguments (`count(*)` passes none). Returns whether this row became
    /// the group's minimum or maximum (for `min` and `max`).
    pub fn add(&mut self, args: &[Value]) -> Result<bool> {
        if let Some(sorted) = &mut self.sorted {
            sorted.rows.push(args.to_vec());
            return Ok(false);
        }
        let Some(v) = args.first() else {
            if let State::Count(n) = &mut self.state {
                *n += 1;
            }
            return Ok(false);
        };
        if v.is_null() && !matches!(self.state, State::Any(_) | State::Array(_) | State::Json(_)) {
            return Ok(false);
        }
        if let Some(seen) = &mut self.seen
            && !seen.insert(GroupKey(vec![v.clone()]))
        {
            return Ok(false);
        }
        match &mut self.state {
            State::Count(n) => *n += 1,
            State::Sum { real, is_real: true, any, .. } if let Value::Real(r) = v => {
                // The common case of a sum over a REAL column, without converting.
                *any = true;
                *real += r;
            }
            State::Sum { int, real, is_real, any, numeric, interval } => {
                *any = true;
                match to_number(v) {
                    Value::Numeric(d) => *numeric = Some(add_exact(*numeric, d)?),
                    Value::Interval(i) => {
                        *interval = Some(crate::value::interval::add(&interval.unwrap_or_default(), &i)?)
                    }
                    Value::Integer(i) if !*is_real => match int.checked_add(i) {
                        Some(s) => *int = s,
                        None if self.function == AggregateFunction::Total => {
                            *is_real = true;
                            *real = *int as f64 + i as f64;
                        }
                        None => return Err(Error::data(DataError::NumericOutOfRange, "bigint out of range")),
                    },
                    n => {
                        if !*is_real {
                            *is_real = true;
                            *real = *int as f64;
                        }
                        *real += to_f64_lossy(&n);
                    }
                }
            }
            State::Avg { sum, count, numeric, reals, interval } => {
                match v {
                    Value::Numeric(d) => *numeric = Some(add_exact(*numeric, *d)?),
                    // PostgreSQL's avg of integers is NUMERIC: summed exactly here too.
                    Value::Integer(i) => *numeric = Some(add_exact(*numeric, Decimal::from(*i))?),
                    Value::Interval(i) => {
                        *interval = Some(crate::value::interval::add(&interval.unwrap_or_default(), i)?)
                    }
                    v => {
                        *reals = true;
                        *sum += to_f64_lossy(v);
                    }
                }
                *count += 1;
            }
            State::Extreme(best) => {
                let better = best.is_null() || {
                    let o = sort_cmp(v, best);
                    if self.function == AggregateFunction::Min { o.is_lt() } else { o.is_gt() }
                };
                if better {
                    *best = v.clone();
                    return Ok(true);
                }
            }
            State::Concat(acc) => {
                let sep = match args.get(1) {
                    Some(Value::Null) => String::new(),
                    Some(s) => to_text(s),
                    None => ",".into(),
                };
                match acc {
                    Some(s) => {
                        s.push_str(&sep);
                        s.push_str(&to_text(v));
                    }
                    None => *acc = Some(to_text(v)),
                }
            }
            State::Any(any) => {
                if any.is_none() {
                    *any = Some(v.clone());
                }
            }
            State::Array(items) => items.push(v.clone()),
            State::Json(items) => match self.function {
                AggregateFunction::JsonObjectAgg(_) if v.is_null() => {
                    return Err(Error::data(DataError::InvalidParameterValue, "field name must not be null"));
                }
                AggregateFunction::JsonObjectAgg(_) => {
                    items.push((Some(super::json::key_text(v)), args.get(1).cloned().unwrap_or(Value::Null)))
                }
                _ => items.push((None, v.clone())),
            },
            State::Bool(acc) => {
                let Some(b) = truthy(v) else { return Ok(false) };
                *acc = Some(match (self.function, *acc) {
                    (AggregateFunction::BoolAnd, Some(a)) => a && b,
                    (_, Some(a)) => a || b,
                    (_, None) => b,
                });
            }
        }
        Ok(false)
    }

    /// Makes an `any_value` hold `v` (the row that holds the group's min or max).
    pub fn take_value_of_row(&mut self, v: &Value) {
        if let State::Any(any) = &mut self.state {
            *any = Some(v.clone());
        }
    }

    /// The aggregate's value over what was added.
    pub fn finish(&self) -> Result<Value> {
        if let Some(sorted) = &self.sorted {
            return sorted.finish(self.function);
        }
        Ok(match &self.state {
            State::Count(n) => Value::Integer(*n),
            State::Sum { interval: Some(i), .. } => Value::Interval(*i),
            State::Sum { int, real, is_real, any, numeric, .. } => {
                let exact = numeric.map_or(0.0, |d| numeric::to_f64(&d));
                match (self.function, *is_real, *any, numeric) {
                    (AggregateFunction::Total, false, _, _) => Value::Real(*int as f64 + exact),
                    (AggregateFunction::Total, true, _, _) | (_, true, true, _) => Value::Real(*real + exact),
                    // Integers seen beside the NUMERICs (an integer literal in a CASE) join the sum.
                    (_, false, true, Some(d)) => Value::Numeric(add_exact(Some(*d), Decimal::from(*int))?),
                    (_, false, true, None) => Value::Integer(*int),
                    (_, _, false, _) => Value::Null,
                }
            }
            State::Avg { count: 0, .. } => Value::Null,
            State::Avg { count, interval: Some(i), .. } => {
                Value::Interval(crate::value::interval::scale(i, 1.0 / *count as f64)?)
            }
            State::Avg { count, numeric: Some(d), reals: false, .. } => Value::Numeric(numeric::average(d, *count)?),
            State::Avg { sum, count, numeric, .. } => {
                Value::Real((sum + numeric.map_or(0.0, |d| numeric::to_f64(&d))) / *count as f64)
            }
            State::Extreme(v) => v.clone(),
            State::Concat(s) => s.clone().map_or(Value::Null, Value::Text),
            State::Any(v) => v.clone().unwrap_or(Value::Null),
            State::Array(items) if items.is_empty() && self.function == AggregateFunction::ArrayAgg => Value::Null,
            State::Array(items) => {
                let texts: Vec<Option<String>> =
                    items.iter().map(|v| (!v.is_null()).then(|| array::element_text(v))).collect();
                Value::Text(array::format(texts.iter().map(Option::as_deref)))
            }
            State::Bool(b) => b.map_or(Value::Null, Value::Boolean),
            State::Json(items) if items.is_empty() => Value::Null,
            State::Json(items) => json_document(self.function, items)?,
        })
    }
}

/// `sum + d`, exactly, at PostgreSQL's scale (`0.00 + 0` is `0.00`); 22003 past NUMERIC's
/// range.
fn add_exact(sum: Option<Decimal>, d: Decimal) -> Result<Decimal> {
    match sum {
        None => Ok(d),
        Some(sum) => numeric::arith(crate::value::BinaryArith::Add, &sum, &d),
    }
}

/// The document `json_agg` / `json_object_agg` built: `[1, 2]`, `{ "a" : 1, "b" : 2 }`
/// as PostgreSQL's json aggregates print them, normalised for jsonb.
fn json_document(function: AggregateFunction, items: &[(Option<String>, Value)]) -> Result<Value> {
    use super::json::{Kind, finish, value_text};
    let (kind, text) = match function {
        AggregateFunction::JsonObjectAgg(kind) => {
            let members: Vec<String> = items
                .iter()
                .map(|(k, v)| {
                    let key = crate::value::json::quote(k.as_deref().unwrap_or_default());
                    format!("{key} : {}", value_text(v))
                })
                .collect();
            (kind, format!("{{ {} }}", members.join(", ")))
        }
        AggregateFunction::JsonAgg(kind) => {
            let values: Vec<String> = items.iter().map(|(_, v)| value_text(v)).collect();
            (kind, format!("[{}]", values.join(", ")))
        }
        _ => (Kind::Json, String::new()),
    };
    finish(kind, text)
}

impl Sorted {
    /// Sorts the kept rows by their trailing keys (stably: ties keep their input order) and
    /// aggregates their leading arguments in that order.
    fn finish(&self, function: AggregateFunction) -> Result<Value> {
        let keys = self.order.len();
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.rows[a], &self.rows[b]);
            let (ka, kb) = (&a[a.len() - keys..], &b[b.len() - keys..]);
            ka.iter()
                .zip(kb)
                .zip(&self.order)
                .map(|((x, y), &(descending, nulls_first))| match (x.is_null(), y.is_null()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) if nulls_first => std::cmp::Ordering::Less,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) if nulls_first => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ if descending => sort_cmp(x, y).reverse(),
                    _ => sort_cmp(x, y),
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut plain = Accumulator::new(function, self.distinct);
        for i in order {
            let row = &self.rows[i];
            plain.add(&row[..row.len() - keys])?;
        }
        plain.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: AggregateFunction, distinct: bool, values: &[Value]) -> Result<Value> {
        let mut acc = Accumulator::new(f, distinct);
        for v in values {
            acc.add(std::slice::from_ref(v))?;
        }
        acc.finish()
    }

    #[test]
    fn aggregates_over_nothing_and_nulls() {
        use AggregateFunction::*;
        for f in [Sum, Avg, Min, Max, GroupConcat] {
            assert_eq!(run(f, false, &[Value::Null]).unwrap(), Value::Null, "{f:?}");
        }
        assert_eq!(run(Total, false, &[]).unwrap(), Value::Real(0.0));
        assert_eq!(run(Count, false, &[Value::Null, Value::Integer(1)]).unwrap(), Value::Integer(1));
    }

    #[test]
    fn sums_stay_integer_until_a_real_and_overflow_is_an_error() {
        use AggregateFunction::*;
        assert_eq!(run(Sum, false, &[Value::Integer(1), Value::Integer(2)]).unwrap(), Value::Integer(3));
        assert_eq!(run(Sum, false, &[Value::Integer(1), Value::Real(0.5)]).unwrap(), Value::Real(1.5));
        assert!(run(Sum, false, &[Value::Integer(i64::MAX), Value::Integer(1)]).is_err());
        assert_eq!(
            run(Count, true, &[Value::Integer(1), Value::Real(1.0), Value::Integer(2)]).unwrap(),
            Value::Integer(2)
        );
    }
}
