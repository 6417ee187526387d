//! Evaluating expressions over a row, with SQL's three-valued logic.

use std::cmp::Ordering;
use std::rc::Rc;

use braid_engine::Value;

use super::context::{Cached, Ctx};
use super::like::{Case, glob, like};
use super::operators;
use crate::error::{Error, Result};
use crate::plan::{CmpOp, Expr, Matching, Param, Subquery};
use crate::value::{GroupKey, apply_affinity, arith, cast, compare, negate, to_i64_lossy, to_text, truthy};

fn boolean(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Boolean)
}

/// Evaluates `e` over `row` (the current query's input row).
pub(crate) fn eval(e: &Expr, row: &[Value], ctx: &Ctx) -> Result<Value> {
    Ok(match e {
        Expr::Literal(v) => v.clone(),
        Expr::Column { depth: 0, index, .. } => row.get(*index).cloned().ok_or_else(|| internal(e))?,
        Expr::Column { depth, index, .. } => {
            ctx.outer.get(depth - 1).and_then(|r| r.get(*index)).cloned().ok_or_else(|| internal(e))?
        }
        Expr::Param(p) => param(p, ctx)?,
        Expr::Not(x) => boolean(truthy(&eval(x, row, ctx)?).map(|b| !b)),
        Expr::Negate(x) => negate(&eval(x, row, ctx)?)?,
        Expr::BitNot(x) => match eval(x, row, ctx)? {
            Value::Null => Value::Null,
            v => Value::Integer(!to_i64_lossy(&v)),
        },
        Expr::Arith(op, a, b) => arith(*op, &eval(a, row, ctx)?, &eval(b, row, ctx)?)?,
        Expr::Compare(op, a, b) => {
            let (a, b) = (eval(a, row, ctx)?, eval(b, row, ctx)?);
            boolean(compare(&a, &b).map(|o| holds(*op, o)))
        }
        Expr::And(a, b) => match truthy(&eval(a, row, ctx)?) {
            Some(false) => Value::Boolean(false),
            left => match (left, truthy(&eval(b, row, ctx)?)) {
                (_, Some(false)) => Value::Boolean(false),
                (Some(true), Some(true)) => Value::Boolean(true),
                _ => Value::Null,
            },
        },
        Expr::Or(a, b) => match truthy(&eval(a, row, ctx)?) {
            Some(true) => Value::Boolean(true),
            left => match (left, truthy(&eval(b, row, ctx)?)) {
                (_, Some(true)) => Value::Boolean(true),
                (Some(false), Some(false)) => Value::Boolean(false),
                _ => Value::Null,
            },
        },
        Expr::Is { left, right, negated } => {
            let (a, b) = (eval(left, row, ctx)?, eval(right, row, ctx)?);
            let same = match (a.is_null(), b.is_null()) {
                (true, true) => true,
                (false, false) => compare(&a, &b) == Some(Ordering::Equal),
                _ => false,
            };
            Value::Boolean(same != *negated)
        }
        Expr::IsNull { expr, negated } => Value::Boolean(eval(expr, row, ctx)?.is_null() != *negated),
        Expr::Between { expr, low, high, negated } => {
            let x = eval(expr, row, ctx)?;
            let lo = compare(&x, &eval(low, row, ctx)?).map(|o| o != Ordering::Less);
            let hi = compare(&x, &eval(high, row, ctx)?).map(|o| o != Ordering::Greater);
            let within = match (lo, hi) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            boolean(within.map(|w| w != *negated))
        }
        Expr::InList { expr, list, negated } => {
            if list.is_empty() {
                return Ok(Value::Boolean(*negated));
            }
            let x = eval(expr, row, ctx)?;
            if x.is_null() {
                return Ok(Value::Null);
            }
            let mut saw_null = false;
            let mut found = false;
            for item in list {
                match compare(&x, &eval(item, row, ctx)?) {
                    Some(Ordering::Equal) => {
                        found = true;
                        break;
                    }
                    None => saw_null = true,
                    _ => {}
                }
            }
            boolean(
                if found {
                    Some(true)
                } else if saw_null {
                    None
                } else {
                    Some(false)
                }
                .map(|f| f != *negated),
            )
        }
        Expr::InSubquery { expr, subquery, negated } => {
            let x = eval(expr, row, ctx)?;
            let Cached::Set(set, has_null) = subquery_result(subquery, SubqueryUse::Set, row, ctx)? else {
                return Err(internal(e));
            };
            if set.is_empty() && !has_null {
                return Ok(Value::Boolean(*negated));
            }
            if x.is_null() {
                return Ok(Value::Null);
            }
            let found = set.contains(&GroupKey(vec![x]));
            boolean(
                if found {
                    Some(true)
                } else if has_null {
                    None
                } else {
                    Some(false)
                }
                .map(|f| f != *negated),
            )
        }
        Expr::Exists { subquery, negated } => match subquery_result(subquery, SubqueryUse::Exists, row, ctx)? {
            Cached::Exists(found) => Value::Boolean(found != *negated),
            _ => return Err(internal(e)),
        },
        Expr::ScalarSubquery(subquery) => match subquery_result(subquery, SubqueryUse::Scalar, row, ctx)? {
            Cached::Scalar(v) => v,
            _ => return Err(internal(e)),
        },
        Expr::Like { expr, pattern, escape, negated, matching } => {
            let (text, pat) = (eval(expr, row, ctx)?, eval(pattern, row, ctx)?);
            let esc = escape.as_ref().map(|x| eval(x, row, ctx)).transpose()?;
            if text.is_null() || pat.is_null() || esc.as_ref().is_some_and(Value::is_null) {
                return Ok(Value::Null);
            }
            // PostgreSQL's LIKE escapes with a backslash unless ESCAPE names another
            // character, or none (`ESCAPE ''`).
            let esc = match esc.map(|v| to_text(&v)) {
                Some(s) if s.chars().count() > 1 => {
                    return Err(Error::invalid("ESCAPE expression must be a single character"));
                }
                Some(s) => s.chars().next(),
                None if *matching == Matching::Glob => None,
                None => Some('\\'),
            };
            let (text, pat) = (to_text(&text), to_text(&pat));
            let matched = match matching {
                Matching::Like => like(&text, &pat, esc, Case::Exact),
                Matching::ILike => like(&text, &pat, esc, Case::Folded),
                Matching::Glob => glob(&text, &pat),
            };
            Value::Boolean(matched != *negated)
        }
        Expr::Case { operand, whens, otherwise } => {
            let subject = operand.as_ref().map(|o| eval(o, row, ctx)).transpose()?;
            for (when, then) in whens {
                let w = eval(when, row, ctx)?;
                let hit = match &subject {
                    Some(s) => compare(s, &w) == Some(Ordering::Equal),
                    None => truthy(&w) == Some(true),
                };
                if hit {
                    return eval(then, row, ctx);
                }
            }
            match otherwise {
                Some(o) => eval(o, row, ctx)?,
                None => Value::Null,
            }
        }
        Expr::Cast(x, t) => cast(&eval(x, row, ctx)?, *t)?,
        Expr::Affinity(x, a) => apply_affinity(eval(x, row, ctx)?, *a),
        Expr::Function(f, args) => {
            let values = args.iter().map(|a| eval(a, row, ctx)).collect::<Result<Vec<_>>>()?;
            f.call(&values, ctx.session, ctx.txn)?
        }
        Expr::Aggregate(_) | Expr::Window(_) | Expr::SetFunction(..) => return Err(internal(e)),
    })
}

fn param(p: &Param, ctx: &Ctx) -> Result<Value> {
    let found = match p {
        Param::Position(i) => ctx.params.positional.get(*i),
        Param::Name(n) => ctx.params.named.iter().find(|(name, _)| **name == **n).map(|(_, v)| v),
    };
    found.cloned().ok_or_else(|| Error::invalid(format!("no value given for parameter {}", Expr::Param(p.clone()))))
}

/// Whether a comparison operator holds for an ordering.
pub(crate) fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::NotEq => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::LtEq => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::GtEq => o != Ordering::Less,
    }
}

/// Evaluates a predicate: true only when it is true (NULL is not).
#[inline]
pub(crate) fn matches(predicate: &Expr, row: &[Value], ctx: &Ctx) -> Result<bool> {
    Ok(truthy(&eval(predicate, row, ctx)?) == Some(true))
}

fn internal(e: &Expr) -> Error {
    Error::invalid(format!("internal error: cannot evaluate {e} here"))
}

#[derive(Clone, Copy)]
enum SubqueryUse {
    Scalar,
    Exists,
    Set,
}

/// Runs a subquery (or reuses its cached result when it is uncorrelated).
fn subquery_result(s: &Subquery, usage: SubqueryUse, row: &[Value], ctx: &Ctx) -> Result<Cached> {
    if !s.correlated
        && let Some(c) = ctx.shared.subqueries.borrow().get(&s.id)
    {
        return Ok(c.clone());
    }
    let nested = ctx.nested(row);
    let mut op = operators::build(&s.plan, &nested)?;
    let result = match usage {
        SubqueryUse::Exists => Cached::Exists(op.next_row()?.is_some()),
        SubqueryUse::Scalar => Cached::Scalar(op.next_row()?.and_then(|r| r.into_iter().next()).unwrap_or(Value::Null)),
        SubqueryUse::Set => {
            let mut set = crate::value::GroupSet::default();
            let mut has_null = false;
            while let Some(mut r) = op.next_row()? {
                let v = r.swap_remove(0);
                if v.is_null() {
                    has_null = true;
                } else {
                    set.insert(GroupKey(vec![v]));
                }
            }
            Cached::Set(Rc::new(set), has_null)
        }
    };
    if !s.correlated {
        ctx.shared.subqueries.borrow_mut().insert(s.id, result.clone());
    }
    Ok(result)
}
