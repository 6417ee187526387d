//! Binding expressions: names to row positions, literals to values, SQLite's affinity
//! rules on comparisons, functions and aggregates by name.

use std::sync::Arc;

use braid_engine::{DataType, Value};
use sqlparser::ast;

use super::{Binder, ident};
use crate::error::{Error, Result};
use crate::functions::{AggregateFunction, ScalarFunction, TimeFunction};
use crate::plan::{
    AggregateCall, CmpOp, Expr, Frame, FrameBound, Matching, Param, Plan, Subquery, WindowCall, WindowFunction,
};
use crate::value::{Affinity, BinaryArith};

impl Binder<'_> {
    /// Binds an expression in the current scope.
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Result<Expr> {
        use ast::Expr as E;
        let b = |x: Expr| Box::new(x);
        Ok(match e {
            E::Identifier(i) => self.column(None, &ident(i))?,
            E::CompoundIdentifier(parts) => match parts.as_slice() {
                [.., table, column] => self.column(Some(&ident(table)), &ident(column))?,
                _ => return Err(Error::invalid(format!("bad column reference {e}"))),
            },
            E::Value(v) => match &v.value {
                ast::Value::Placeholder(p) => self.parameter(p, (v.span.start.line, v.span.start.column))?,
                other => Expr::Literal(self.literal(other)?),
            },
            E::Nested(inner) => self.expr(inner)?,
            // `-9223372036854775808` is the smallest integer, not the negation of a real.
            E::UnaryOp { op: ast::UnaryOperator::Minus, expr: inner } if matches!(inner.as_ref(), E::Value(v) if matches!(&v.value, ast::Value::Number(n, _) if n == "9223372036854775808")) => {
                Expr::Literal(Value::Integer(i64::MIN))
            }
            E::UnaryOp { op, expr } => {
                let inner = self.expr(expr)?;
                match op {
                    // Unary plus is a no-op, but like SQLite it drops the operand's affinity.
                    ast::UnaryOperator::Plus => Expr::Affinity(b(inner), Affinity::None),
                    ast::UnaryOperator::Minus => Expr::Negate(b(inner)),
                    ast::UnaryOperator::Not => Expr::Not(b(inner)),
                    ast::UnaryOperator::BitwiseNot => Expr::BitNot(b(inner)),
                    other => return Err(Error::unsupported(format!("operator {other}"))),
                }
            }
            E::BinaryOp { left, op, right } => self.binary(left, op, right)?,
            E::IsNull(x) => Expr::IsNull { expr: b(self.expr(x)?), negated: false },
            E::IsNotNull(x) => Expr::IsNull { expr: b(self.expr(x)?), negated: true },
            E::IsDistinctFrom(l, r) => Expr::Is { left: b(self.expr(l)?), right: b(self.expr(r)?), negated: true },
            E::IsNotDistinctFrom(l, r) => Expr::Is { left: b(self.expr(l)?), right: b(self.expr(r)?), negated: false },
            E::IsTrue(x) => Expr::Is { left: b(self.truth(x)?), right: b(Expr::literal(true)), negated: false },
            E::IsNotTrue(x) => Expr::Is { left: b(self.truth(x)?), right: b(Expr::literal(true)), negated: true },
            E::IsFalse(x) => Expr::Is { left: b(self.truth(x)?), right: b(Expr::literal(false)), negated: false },
            E::IsNotFalse(x) => Expr::Is { left: b(self.truth(x)?), right: b(Expr::literal(false)), negated: true },
            E::Between { expr, negated, low, high } => {
                let (x, lo, hi) = (self.expr(expr)?, self.expr(low)?, self.expr(high)?);
                let affinity = self.affinity(&x);
                // A bound with numeric affinity converts the operand instead (SQLite's rule
                // for each of the two comparisons BETWEEN is): compare each pair apart.
                if !affinity.is_numeric() && (self.affinity(&lo).is_numeric() || self.affinity(&hi).is_numeric()) {
                    let both =
                        Expr::And(b(self.compare(CmpOp::GtEq, x.clone(), lo)), b(self.compare(CmpOp::LtEq, x, hi)));
                    return Ok(if *negated { Expr::Not(b(both)) } else { both });
                }
                let (lo, hi) = (with_affinity(lo, affinity), with_affinity(hi, affinity));
                let (lo, hi) = (self.read_as_temporal(&x, lo), self.read_as_temporal(&x, hi));
                Expr::Between { expr: b(x), low: b(lo), high: b(hi), negated: *negated }
            }
            E::InList { expr, list, negated } => {
                let x = self.expr(expr)?;
                let list = self.in_list(&x, list)?;
                Expr::InList { expr: b(x), list, negated: *negated }
            }
            // `x = ANY (ARRAY[…])` is `x IN (…)`, `x <> ALL (ARRAY[…])` is `x NOT IN (…)`
            // (SQLAlchemy writes its IN lists so). Arrays as values are not supported yet.
            E::AnyOp { left, compare_op: ast::BinaryOperator::Eq, right, .. }
            | E::AllOp { left, compare_op: ast::BinaryOperator::NotEq, right }
                if matches!(right.as_ref(), E::Array(_) | E::Nested(_)) =>
            {
                let list = match right.as_ref() {
                    E::Array(a) => &a.elem,
                    E::Nested(inner) => match inner.as_ref() {
                        E::Array(a) => &a.elem,
                        _ => return Err(Error::unsupported("ANY / ALL of an array value")),
                    },
                    _ => return Err(Error::unsupported("ANY / ALL of an array value")),
                };
                let x = self.expr(left)?;
                let list = self.in_list(&x, list)?;
                Expr::InList { expr: b(x), list, negated: matches!(e, E::AllOp { .. }) }
            }
            // Of an array value (a column, a parameter, a cast): a test of its elements.
            E::AnyOp { left, compare_op: ast::BinaryOperator::Eq, right, .. }
            | E::AllOp { left, compare_op: ast::BinaryOperator::NotEq, right } => {
                let contains = Expr::Function(ScalarFunction::ArrayContains, vec![self.expr(right)?, self.expr(left)?]);
                if matches!(e, E::AllOp { .. }) { Expr::Not(b(contains)) } else { contains }
            }
            E::InSubquery { expr, subquery, negated } => {
                let x = self.expr(expr)?;
                let subquery = self.subquery(subquery, Some(1))?;
                Expr::InSubquery { expr: b(x), subquery, negated: *negated }
            }
            E::Exists { subquery, negated } => {
                Expr::Exists { subquery: self.subquery(subquery, None)?, negated: *negated }
            }
            E::Subquery(q) => Expr::ScalarSubquery(self.subquery(q, Some(1))?),
            // `a[i]`, `a[i][j]`: one element at a time.
            E::CompoundFieldAccess { root, access_chain }
                if access_chain
                    .iter()
                    .all(|a| matches!(a, ast::AccessExpr::Subscript(ast::Subscript::Index { .. }))) =>
            {
                let mut e = self.expr(root)?;
                for access in access_chain {
                    if let ast::AccessExpr::Subscript(ast::Subscript::Index { index }) = access {
                        e = Expr::Function(ScalarFunction::Subscript, vec![e, self.expr(index)?]);
                    }
                }
                e
            }
            E::Like { negated, expr, pattern, escape_char, any: false } => {
                self.like(expr, pattern, escape_char, *negated, Matching::Like)?
            }
            E::ILike { negated, expr, pattern, escape_char, any: false } => {
                self.like(expr, pattern, escape_char, *negated, Matching::ILike)?
            }
            E::Case { operand, conditions, else_result, .. } => Expr::Case {
                operand: operand.as_deref().map(|o| self.expr(o)).transpose()?.map(Box::new),
                whens: conditions
                    .iter()
                    .map(|w| Ok((self.expr(&w.condition)?, self.expr(&w.result)?)))
                    .collect::<Result<_>>()?,
                otherwise: else_result.as_deref().map(|e| self.expr(e)).transpose()?.map(Box::new),
            },
            E::Cast { expr, data_type, .. } => match catalog_cast(data_type) {
                // `::regclass` and kin read names as OIDs through the catalog.
                Some(f) => Expr::Function(f, vec![self.expr(expr)?]),

                // An array is its text form (`crate::value::array`), checked as it is cast.
                None if matches!(data_type, ast::DataType::Array(_)) => {
                    Expr::Function(ScalarFunction::ArrayIn, vec![self.expr(expr)?])
                }
                None => {
                    let inner = self.expr(expr)?;
                    self.typed(inner, data_type)?
                }
            },
            // Braid compares text bytewise, which is the C collation, and the database's
            // default (pg_database.datcollate is C): these name what it already does.
            E::Collate { expr, collation }
                if matches!(
                    collation.to_string().to_ascii_lowercase().trim_matches('"'),
                    "binary" | "default" | "pg_catalog.default" | "c" | "pg_catalog.\"c\"" | "posix" | "ucs_basic"
                ) =>
            {
                self.expr(expr)?
            }
            E::Collate { collation, .. } => return Err(Error::unsupported(format!("collation {collation}"))),
            E::Function(f) => self.function(f)?,
            E::Ceil { expr, field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) } => {
                Expr::Function(ScalarFunction::Ceil, vec![self.expr(expr)?])
            }
            E::Floor { expr, field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) } => {
                Expr::Function(ScalarFunction::Floor, vec![self.expr(expr)?])
            }
            E::Substring { substring_from: None, substring_for: None, .. } => {
                return Err(Error::invalid("wrong number of arguments to function substr()"));
            }
            E::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.expr(expr)?];
                args.push(match substring_from {
                    Some(from) => self.expr(from)?,
                    None => Expr::literal(1i64),
                });
                if let Some(n) = substring_for {
                    args.push(self.expr(n)?);
                }
                Expr::Function(ScalarFunction::Substr, args)
            }
            E::Trim { expr, trim_where, trim_what, trim_characters } => {
                let f = match trim_where {
                    Some(ast::TrimWhereField::Leading) => ScalarFunction::Ltrim,
                    Some(ast::TrimWhereField::Trailing) => ScalarFunction::Rtrim,
                    _ => ScalarFunction::Trim,
                };
                let mut args = vec![self.expr(expr)?];
                if let Some(what) = trim_what {
                    args.push(self.expr(what)?);
                } else if let Some([chars]) = trim_characters.as_deref() {
                    args.push(self.expr(chars)?);
                }
                Expr::Function(f, args)
            }
            // `INTERVAL '1 day'`, `INTERVAL '90' MINUTE`: the text (with its unit) read as an
            // interval when the statement runs, or now when it is a literal (folded).
            E::Extract { field, expr, .. } => {
                let field = Expr::literal(field.to_string().to_ascii_lowercase());
                let expr = self.expr(expr)?;
                self.time_call(TimeFunction::Extract, vec![field, expr])
            }
            // `ts AT TIME ZONE z`: a `timestamptz` becomes the local time in `z`, anything
            // else is read as a local time in `z`.
            E::AtTimeZone { timestamp, time_zone } => {
                let (at, zone) = (self.expr(timestamp)?, self.expr(time_zone)?);
                let f =
                    if self.is_timestamptz(&at) { TimeFunction::AtZoneOfInstant } else { TimeFunction::AtZoneOfLocal };
                Expr::Function(ScalarFunction::Time(f), vec![at, zone])
            }
            // `INTERVAL '1-2' YEAR TO MONTH`, `INTERVAL '90' MINUTE`, `SECOND(2)`: the text read
            // and cut down as the qualifier says (`crate::value::interval_fields`).
            E::Interval(i) => {
                let value = self.expr(&i.value)?;
                let fields = match (&i.leading_field, &i.last_field) {
                    (None, _) => None,
                    (Some(first), None) => Some(first.to_string()),
                    (Some(first), Some(last)) => Some(format!("{first} TO {last}")),
                };
                // `SECOND(p)` alone carries its precision as the leading one.
                let precision =
                    i.fractional_seconds_precision.or(i.leading_precision.filter(|_| i.last_field.is_none()));
                if fields.is_none() && precision.is_none() {
                    Expr::Cast(b(value), DataType::Interval)
                } else {
                    let precision = precision.map(|p| i32::try_from(p).unwrap_or(i32::MAX));
                    let typmod =
                        crate::value::interval_fields::typmod(fields.as_deref(), precision).ok_or_else(|| {
                            Error::invalid(format!("invalid interval qualifier {}", fields.as_deref().unwrap_or("")))
                        })?;
                    Expr::Function(
                        ScalarFunction::Time(TimeFunction::IntervalTypmod),
                        vec![value, Expr::Literal(Value::Integer(typmod.into()))],
                    )
                }
            }
            E::TypedString(t) => {
                let text = match &t.value.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                };
                self.typed(Expr::literal(text), &t.data_type)?
            }
            other => return Err(Error::unsupported(format!("expression {}", super::truncate(&other.to_string(), 60)))),
        })
    }

    /// `inner` cast to `data_type`, with what the declared type adds to the storage type's
    /// cast: `json` / `jsonb` checked (and normalised), `numeric(p, s)` rounded and bounded,
    /// a `date` cut to its day, an `integer` / `smallint` checked for range, a `uuid` checked
    /// and written as PostgreSQL writes it; and OIDs printed as names (`::regclass::text`).
    fn typed(&self, inner: Expr, data_type: &ast::DataType) -> Result<Expr> {
        use crate::value::declared as d;
        let inner = match self.json_cast(data_type, inner) {
            Ok(json) => return Ok(json),
            Err(inner) => inner,
        };
        let (ty, declared) = column_type_of(data_type)?;
        let cast = |inner: Expr| Expr::Cast(Box::new(inner), ty);
        let zoned = |f, inner| Expr::Function(ScalarFunction::Time(f), vec![inner]);
        Ok(match (inner, declared.map(|d| (d.oid, d.typmod))) {
            (Expr::Function(f, args), _)
                if ty == DataType::Text
                    && let Some(name) = catalog_name(f) =>
            {
                Expr::Function(name, vec![Expr::Function(f, args)])
            }
            // A date as text is its day alone (`2024-02-29`).
            (inner, _) if ty == DataType::Text && self.is_date(&inner) => {
                Expr::Function(ScalarFunction::Time(TimeFunction::ToChar), vec![inner, Expr::literal("YYYY-MM-DD")])
            }
            // Timestamps as text: a `timestamptz` in the session's zone, a `timestamp`
            // without one.
            (inner, _) if ty == DataType::Text && self.is_timestamptz(&inner) => zoned(TimeFunction::TzText, inner),
            (inner, _) if ty == DataType::Text && self.declared_oid(&inner) == d::TIMESTAMP => {
                zoned(TimeFunction::LocalText, inner)
            }
            // A parameter keeps the plain cast, so that it is described as a timestamp (the
            // wire reads its text in the session's zone).
            (inner @ Expr::Param(_), Some((d::TIMESTAMPTZ | d::TIMESTAMP, _))) => cast(inner),
            // Between local time and instants, in the session's zone.
            (inner, Some((d::TIMESTAMPTZ, _))) => match self.declared_oid(&inner) {
                d::TIMESTAMPTZ => inner,
                d::TIMESTAMP | d::DATE => zoned(TimeFunction::FromLocal, inner),
                _ => zoned(TimeFunction::TzIn, inner),
            },
            (inner, Some((d::TIMESTAMP, _))) if self.is_timestamptz(&inner) => zoned(TimeFunction::ToLocal, inner),
            (inner, Some((d::TIMESTAMP, _))) if self.declared_oid(&inner) == d::TIMESTAMP => inner,
            (inner, Some((d::TIMESTAMP, _))) => zoned(TimeFunction::LocalIn, inner),
            (inner, Some((d::DATE | d::TIME, _))) if self.is_timestamptz(&inner) => {
                return self.typed(zoned(TimeFunction::ToLocal, inner), data_type);
            }
            (inner, Some((d::NUMERIC, typmod))) if typmod >= 0 => Expr::Function(
                ScalarFunction::NumericTypmod,
                vec![cast(inner), Expr::Literal(Value::Integer(typmod.into()))],
            ),
            (inner, Some((d::DATE, _))) => {
                Expr::Function(ScalarFunction::Time(TimeFunction::ToDate), vec![cast(inner)])
            }
            // The function casts, so that a value past the range is "integer out of range".
            (inner, Some((d::INT4, _))) => Expr::Function(ScalarFunction::Int4, vec![inner]),
            (inner, Some((d::INT2, _))) => Expr::Function(ScalarFunction::Int2, vec![inner]),
            (inner, Some((d::UUID, _))) => Expr::Function(ScalarFunction::Uuid, vec![cast(inner)]),
            // `interval(p)`, `interval day to second`: read and cut down as qualified.
            (inner, Some((d::INTERVAL, typmod))) if typmod >= 0 => Expr::Function(
                ScalarFunction::Time(TimeFunction::IntervalTypmod),
                vec![inner, Expr::Literal(Value::Integer(typmod.into()))],
            ),
            // `time(p)` rounds what the cast made to p fractional digits.
            (inner, Some((d::TIME, typmod))) if typmod >= 0 => Expr::Function(
                ScalarFunction::Time(TimeFunction::ToTime),
                vec![cast(inner), Expr::Literal(Value::Integer(typmod.into()))],
            ),
            (inner, _) => cast(inner),
        })
    }

    /// `e` read as a time, an interval or a timestamp when it is untyped text or a parameter
    /// beside `other`, one of those: PostgreSQL types an unknown literal by what it is
    /// compared with (`t = '13:45'`, `t BETWEEN '09:00' AND '17:00'`, `at = '2024-07-01'`
    /// in the session's time zone).
    fn read_as_temporal(&self, other: &Expr, e: Expr) -> Expr {
        if !matches!(e, Expr::Param(_) | Expr::Literal(Value::Text(_))) {
            return e;
        }
        let zoned = |f, e| Expr::Function(ScalarFunction::Time(f), vec![e]);
        let t = match (other, self.declared_oid(other)) {
            (Expr::Literal(Value::Time(_)), _) | (_, crate::value::declared::TIME) => DataType::Time,
            (Expr::Literal(Value::Interval(_)), _) | (_, crate::value::declared::INTERVAL) => DataType::Interval,
            // A `timestamptz` compared with text reads it in the session's zone (a parameter
            // keeps the column's type, which the wire reads in the zone).
            (_, crate::value::declared::TIMESTAMPTZ) if !matches!(e, Expr::Param(_)) => {
                return zoned(TimeFunction::TzIn, e);
            }
            (_, crate::value::declared::TIMESTAMP) if !matches!(e, Expr::Param(_)) => {
                return zoned(TimeFunction::LocalIn, e);
            }
            _ => return e,
        };
        Expr::Cast(Box::new(e), t)
    }

    /// A date or time function's call: its variant that reads a `timestamptz` in the
    /// session's time zone when that is what it is given (`functions::zoned`).
    fn time_call(&self, f: TimeFunction, mut args: Vec<Expr>) -> Expr {
        let time = |f, args| Expr::Function(ScalarFunction::Time(f), args);
        let at = match f {
            TimeFunction::ToChar | TimeFunction::ToDate => 0,
            _ => 1,
        };
        if !args.get(at).is_some_and(|a| self.is_timestamptz(a)) {
            return time(f, args);
        }
        match f.zoned() {
            Some(zoned) => time(zoned, args),
            // `date(timestamptz)`: the day of its local time.
            None if f == TimeFunction::ToDate => {
                args[0] =
                    time(TimeFunction::ToLocal, vec![std::mem::replace(&mut args[0], Expr::literal(Value::Null))]);
                time(f, args)
            }
            None => time(f, args),
        }
    }

    /// Whether an expression is a `timestamptz` (an instant, shown in the session's zone).
    fn is_timestamptz(&self, e: &Expr) -> bool {
        self.declared_oid(e) == crate::value::declared::TIMESTAMPTZ
    }

    /// Whether an expression is an `interval`.
    fn is_interval(&self, e: &Expr) -> bool {
        matches!(e, Expr::Literal(Value::Interval(_))) || self.declared_oid(e) == crate::value::declared::INTERVAL
    }

    /// Whether an expression is a `time` (of day).
    fn is_time(&self, e: &Expr) -> bool {
        matches!(e, Expr::Literal(Value::Time(_))) || self.declared_oid(e) == crate::value::declared::TIME
    }

    /// Whether an expression is a `date` (not a timestamp): a column declared so, a cast to
    /// it, `current_date`, or date arithmetic.
    fn is_date(&self, e: &Expr) -> bool {
        self.declared_oid(e) == crate::value::declared::DATE
    }

    /// Whether an expression beside a date is a number of days: an integer literal, a
    /// parameter, an integer column or cast, or integer arithmetic. Anything else (an
    /// interval, a timestamp) leaves `+` and `-` to timestamp arithmetic.
    fn is_integer(&self, e: &Expr) -> bool {
        use crate::value::declared as d;
        match e {
            Expr::Literal(Value::Integer(_)) | Expr::Param(_) => true,
            Expr::Negate(x) => self.is_integer(x),
            Expr::Arith(BinaryArith::Add | BinaryArith::Sub | BinaryArith::Mul | BinaryArith::Div, a, b) => {
                self.is_integer(a) && self.is_integer(b)
            }
            e => matches!(self.declared_oid(e), d::INT2 | d::INT4 | d::INT8),
        }
    }

    /// Whether an expression is an `integer` (or `smallint`): a literal in its range, a
    /// column or cast declared so, or `integer` arithmetic.
    fn is_int4(&self, e: &Expr) -> bool {
        use crate::value::declared as d;
        match e {
            Expr::Literal(Value::Integer(i)) => i32::try_from(*i).is_ok(),
            Expr::Negate(x) => self.is_int4(x),
            e => matches!(self.declared_oid(e), d::INT2 | d::INT4),
        }
    }

    /// An operand of IS TRUE / IS FALSE, as a boolean (NULL stays NULL).
    fn truth(&mut self, e: &ast::Expr) -> Result<Expr> {
        Ok(Expr::Cast(Box::new(self.expr(e)?), DataType::Boolean))
    }

    fn binary(&mut self, left: &ast::Expr, op: &ast::BinaryOperator, right: &ast::Expr) -> Result<Expr> {
        use ast::BinaryOperator as B;
        let (l, r) = (self.expr(left)?, self.expr(right)?);
        let (l, r) = match self.json_operator(op, l, r) {
            Ok(json) => return Ok(json),
            Err(operands) => operands,
        };
        // Dates: PostgreSQL's date operators count days (a date is a timestamp at midnight).
        let time = |f, args| Ok(Expr::Function(ScalarFunction::Time(f), args));
        match (op, self.is_date(&l), self.is_date(&r)) {
            (B::Minus, true, true) => return time(TimeFunction::DateMinusDate, vec![l, r]),
            (B::Plus, true, false) if self.is_integer(&r) => return time(TimeFunction::DatePlusDays, vec![l, r]),
            (B::Plus, false, true) if self.is_integer(&l) => return time(TimeFunction::DatePlusDays, vec![r, l]),
            (B::Minus, true, false) if self.is_integer(&r) => return time(TimeFunction::DateMinusDays, vec![l, r]),
            // `date + time` is a timestamp (a timestamp plus a time is 42883, as in PostgreSQL).
            (B::Plus, true, false) if self.is_time(&r) => return time(TimeFunction::DatePlusTime, vec![l, r]),
            (B::Plus, false, true) if self.is_time(&l) => return time(TimeFunction::DatePlusTime, vec![r, l]),
            _ => {}
        }
        // `timestamptz ± interval` counts days and months on the session zone's calendar.
        match op {
            B::Plus if self.is_timestamptz(&l) && self.is_interval(&r) => {
                return time(TimeFunction::TzPlusInterval, vec![l, r]);
            }
            B::Plus if self.is_interval(&l) && self.is_timestamptz(&r) => {
                return time(TimeFunction::TzPlusInterval, vec![r, l]);
            }
            B::Minus if self.is_timestamptz(&l) && self.is_interval(&r) => {
                return time(TimeFunction::TzMinusInterval, vec![l, r]);
            }
            _ => {}
        }
        let arith = |op, l, r| Expr::Arith(op, Box::new(l), Box::new(r));
        // `integer` arithmetic is `integer`: PostgreSQL raises 22003 where the result leaves
        // its range. Braid computes in 64 bits, where two `integer`s cannot overflow, and
        // checks the result (`smallint` operands count as `integer`, as PostgreSQL widens
        // them).
        if matches!(op, B::Plus | B::Minus | B::Multiply) && self.is_int4(&l) && self.is_int4(&r) {
            let op = match op {
                B::Plus => BinaryArith::Add,
                B::Minus => BinaryArith::Sub,
                _ => BinaryArith::Mul,
            };
            return Ok(Expr::Function(ScalarFunction::IntegerResult, vec![arith(op, l, r)]));
        }
        Ok(match op {
            B::Plus => arith(BinaryArith::Add, l, r),
            B::Minus => arith(BinaryArith::Sub, l, r),
            B::Multiply => arith(BinaryArith::Mul, l, r),
            B::Divide => arith(BinaryArith::Div, l, r),
            B::Modulo => arith(BinaryArith::Rem, l, r),
            B::StringConcat => arith(BinaryArith::Concat, l, r),
            B::BitwiseAnd => arith(BinaryArith::BitAnd, l, r),
            B::BitwiseOr => arith(BinaryArith::BitOr, l, r),
            B::PGBitwiseShiftLeft => arith(BinaryArith::ShiftLeft, l, r),
            B::PGBitwiseShiftRight => arith(BinaryArith::ShiftRight, l, r),
            B::And => Expr::And(Box::new(l), Box::new(r)),
            B::Or => Expr::Or(Box::new(l), Box::new(r)),
            B::Eq => self.compare(CmpOp::Eq, l, r),
            B::NotEq => self.compare(CmpOp::NotEq, l, r),
            B::Lt => self.compare(CmpOp::Lt, l, r),
            B::LtEq => self.compare(CmpOp::LtEq, l, r),
            B::Gt => self.compare(CmpOp::Gt, l, r),
            B::GtEq => self.compare(CmpOp::GtEq, l, r),
            B::Glob => like(l, r, Matching::Glob, false),
            // PostgreSQL's operator spellings of LIKE and ILIKE.
            B::PGLikeMatch => like(l, r, Matching::Like, false),
            B::PGILikeMatch => like(l, r, Matching::ILike, false),
            B::PGNotLikeMatch => like(l, r, Matching::Like, true),
            B::PGNotILikeMatch => like(l, r, Matching::ILike, true),
            B::PGRegexMatch => regex(l, r, false, false),
            B::PGRegexIMatch => regex(l, r, true, false),
            B::PGRegexNotMatch => regex(l, r, false, true),
            B::PGRegexNotIMatch => regex(l, r, true, true),
            // `OPERATOR(pg_catalog.~)`, as psql writes its operators.
            B::PGCustomBinaryOperator(parts)
                if parts.len() <= 2 && parts.first().is_some_and(|s| parts.len() == 1 || s == "pg_catalog") =>
            {
                match parts.last().map(String::as_str) {
                    Some("~") => regex(l, r, false, false),
                    Some("~*") => regex(l, r, true, false),
                    Some("!~") => regex(l, r, false, true),
                    Some("!~*") => regex(l, r, true, true),
                    Some("=") => self.compare(CmpOp::Eq, l, r),
                    Some("<>") => self.compare(CmpOp::NotEq, l, r),
                    Some("||") => arith(BinaryArith::Concat, l, r),
                    _ => return Err(Error::unsupported(format!("operator {op}"))),
                }
            }
            other => return Err(Error::unsupported(format!("operator {other}"))),
        })
    }

    /// A comparison, with SQLite's affinity applied to the operands: numeric affinity on
    /// one side converts text on the other; text affinity converts an operand that has none.
    pub(super) fn compare(&self, op: CmpOp, l: Expr, r: Expr) -> Expr {
        let (l, r) = self.json_comparands(l, r);
        // Text beside a `uuid` column is read as a uuid (any case, braces), as PostgreSQL
        // types an unknown literal or parameter by what it is compared with.
        let uuid = |e: &Expr| self.declared_oid(e) == crate::value::declared::UUID;
        let untyped = |e: &Expr| matches!(e, Expr::Param(_) | Expr::Literal(Value::Text(_)));
        let as_uuid = |e: Expr| Expr::Function(ScalarFunction::Uuid, vec![e]);
        let (l, r) = match (l, r) {
            (l, r) if uuid(&l) && untyped(&r) => (l, as_uuid(r)),
            (l, r) if uuid(&r) && untyped(&l) => (as_uuid(l), r),
            pair => pair,
        };
        // So is text beside a `time` or an `interval`.
        let r = self.read_as_temporal(&l, r);
        let l = self.read_as_temporal(&r, l);
        let (la, ra) = (self.affinity(&l), self.affinity(&r));
        let (l, r) = if la.is_numeric() && !ra.is_numeric() {
            (l, with_affinity(r, la))
        } else if ra.is_numeric() && !la.is_numeric() {
            (with_affinity(l, ra), r)
        } else if la == Affinity::Text && ra == Affinity::None {
            (l, with_affinity(r, Affinity::Text))
        } else if ra == Affinity::Text && la == Affinity::None {
            (with_affinity(l, Affinity::Text), r)
        } else {
            (l, r)
        };
        Expr::Compare(op, Box::new(l), Box::new(r))
    }

    /// The affinity of an expression: a column's declared type, a CAST's type, else none.
    pub(super) fn affinity(&self, e: &Expr) -> Affinity {
        match e {
            Expr::Column { depth, index, .. } => {
                let at = self.scopes.len().checked_sub(1 + depth);
                at.and_then(|s| self.scopes[s].columns.get(*index)).map_or(Affinity::None, |c| c.affinity)
            }
            Expr::Cast(_, t) => Affinity::of(*t),
            Expr::Affinity(_, a) => *a,
            _ => Affinity::None,
        }
    }

    fn like(
        &mut self,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: &Option<Box<ast::Expr>>,
        negated: bool,
        matching: Matching,
    ) -> Result<Expr> {
        Ok(Expr::Like {
            expr: Box::new(self.expr(expr)?),
            pattern: Box::new(self.expr(pattern)?),
            escape: escape.as_deref().map(|e| self.expr(e)).transpose()?.map(Box::new),
            negated,
            matching,
        })
    }

    /// Resolves a column name, innermost query first.
    fn column(&mut self, table: Option<&str>, name: &str) -> Result<Expr> {
        for depth in 0..self.scopes.len() {
            let level = self.scopes.len() - 1 - depth;
            let scope = &self.scopes[level];
            if let Some(t) = table
                && !scope.has_table(t)
            {
                continue;
            }
            if let Some(index) = scope.find(table, name)? {
                // Every query between here and the scope found reads from outside itself.
                for flag in &mut self.correlated[level + 1..] {
                    *flag = true;
                }
                let label: Arc<str> = match table {
                    Some(t) => format!("{t}.{name}").into(),
                    None => name.into(),
                };
                return Ok(Expr::Column { depth, index, name: label });
            }
        }
        if table.is_none()
            && let Some((level, aliases)) = &self.aliases
            && *level == self.scopes.len()
            && let Some((_, e)) = aliases.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        {
            if e.has_aggregate() && !self.aggregates_allowed {
                return Err(Error::invalid(format!("misuse of aggregate: {name}")));
            }
            return Ok(e.clone());
        }
        let label = table.map_or(name.to_string(), |t| format!("{t}.{name}"));
        Err(Error::not_found("column", label))
    }

    pub(super) fn literal(&self, v: &ast::Value) -> Result<Value> {
        use ast::Value as V;
        Ok(match v {
            V::Number(n, _) => parse_number(n)?,
            V::SingleQuotedString(s)
            | V::EscapedStringLiteral(s)
            | V::NationalStringLiteral(s)
            | V::TripleSingleQuotedString(s)
            | V::DoubleQuotedString(s) => Value::Text(s.clone()),
            V::DollarQuotedString(s) => Value::Text(s.value.clone()),
            V::HexStringLiteral(h) => Value::Blob(parse_hex(h)?),
            V::Boolean(x) => Value::Boolean(*x),
            V::Null => Value::Null,
            other => return Err(Error::unsupported(format!("literal {other}"))),
        })
    }

    /// A parameter: `$n` is the n-th positional value, `?` the next one, `:name` (or
    /// `@name`, `$name`) a named one. Its value is read when the statement runs.
    fn parameter(&mut self, p: &str, at: (u64, u64)) -> Result<Expr> {
        if p == "?" {
            // Numbered by position in the text, whatever order the clauses are bound in.
            let n = self.anonymous.iter().position(|&l| l == at).unwrap_or_else(|| {
                self.anonymous_params += 1;
                self.anonymous_params - 1
            });
            return Ok(Expr::Param(Param::Position(n)));
        }
        if let Some(n) = p.strip_prefix('$').or_else(|| p.strip_prefix('?')).and_then(|d| d.parse::<usize>().ok()) {
            let i = n.checked_sub(1).ok_or_else(|| Error::invalid(format!("bad parameter {p}")))?;
            return Ok(Expr::Param(Param::Position(i)));
        }
        Ok(Expr::Param(Param::Name(p.trim_start_matches([':', '@', '$']).into())))
    }

    /// The items of `x IN (…)`, each compared as `x` is: with its affinity, and text beside
    /// a date or time read as one.
    fn in_list(&mut self, x: &Expr, list: &[ast::Expr]) -> Result<Vec<Expr>> {
        let affinity = self.affinity(x);
        list.iter()
            .map(|e| {
                let item = with_affinity(self.expr(e)?, affinity);
                Ok(self.read_as_temporal(x, item))
            })
            .collect()
    }

    fn function(&mut self, f: &ast::Function) -> Result<Expr> {
        let name = super::object_name(&f.name)?;
        let (args, distinct, star) = match &f.args {
            ast::FunctionArguments::None => (vec![], false, false),
            ast::FunctionArguments::Subquery(q) if name == "array" => return self.array_subquery(q),
            ast::FunctionArguments::Subquery(_) => return Err(Error::unsupported("a subquery as function arguments")),
            ast::FunctionArguments::List(list) => {
                let distinct = matches!(list.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
                let mut args = vec![];
                let mut star = false;
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(e),
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => star = true,
                        other => return Err(Error::unsupported(format!("function argument {other}"))),
                    }
                }
                (args, distinct, star)
            }
        };
        let mut order_by: &[ast::OrderByExpr] = &[];
        if let ast::FunctionArguments::List(list) = &f.args {
            for clause in &list.clauses {
                match clause {
                    ast::FunctionArgumentClause::OrderBy(terms) if order_by.is_empty() => order_by = terms,
                    other => return Err(Error::unsupported(format!("{other} inside {name}()"))),
                }
            }
        }
        if !order_by.is_empty() && (f.over.is_some() || AggregateFunction::lookup(&name, args.len()).is_none()) {
            return Err(Error::invalid(format!("ORDER BY specified, but {name} is not an aggregate function")));
        }
        if !f.within_group.is_empty() {
            return Err(Error::unsupported("WITHIN GROUP"));
        }
        if let Some(over) = &f.over {
            if f.filter.is_some() {
                return Err(Error::unsupported("FILTER on a window function"));
            }
            return self.window(&name, &args, distinct, star, over);
        }
        if let Some(function) = AggregateFunction::lookup(&name, args.len()) {
            let clauses = AggregateClauses { distinct, star, filter: f.filter.as_deref(), order_by };
            return self.aggregate(function, &name, &args, clauses);
        }
        if let Some((function, min, max)) = crate::functions::TableFunction::lookup(&name) {
            return self.set_function(function, &name, &args, min, max);
        }
        if f.filter.is_some() {
            return Err(Error::invalid(format!("FILTER on {name}(), which is not an aggregate")));
        }
        if star || distinct {
            return Err(Error::invalid(format!("{name}() takes no * or DISTINCT")));
        }
        let function = ScalarFunction::lookup(&name, args.len())?
            .ok_or_else(|| Error::not_found("function", format!("{name}()")))?;
        let mut args: Vec<Expr> = args.into_iter().map(|a| self.expr(a)).collect::<Result<_>>()?;
        if let ScalarFunction::Json(f) = function {
            return Ok(self.json_call(f, args));
        }
        if let ScalarFunction::Time(f) = function {
            return Ok(self.time_call(f, args));
        }
        // `pg_typeof(x)`: the declared type the binder knows, else the value's own.
        if function == ScalarFunction::PgTypeOf {
            let known = self.declared_oid(&args[0]);
            args.push(Expr::literal(i64::from(known)));
        }
        // The size functions take a relation: a name or an OID, as `regclass` reads it.
        if matches!(
            function,
            ScalarFunction::RelationSize | ScalarFunction::IndexesSize | ScalarFunction::TotalRelationSize
        ) {
            args[0] = Expr::Function(
                ScalarFunction::RegClass,
                vec![std::mem::replace(&mut args[0], Expr::literal(Value::Null))],
            );
        }
        Ok(Expr::Function(function, args))
    }

    fn aggregate(
        &mut self,
        function: AggregateFunction,
        name: &str,
        args: &[&ast::Expr],
        clauses: AggregateClauses,
    ) -> Result<Expr> {
        let AggregateClauses { distinct, star, filter, order_by } = clauses;
        if !self.aggregates_allowed {
            return Err(Error::invalid(format!("misuse of aggregate function {name}()")));
        }
        let arity_ok = match function {
            AggregateFunction::Count => (star && args.is_empty() && !distinct) || (!star && args.len() == 1),
            AggregateFunction::GroupConcat => !star && (args.len() == 1 || (args.len() == 2 && !distinct)),
            AggregateFunction::JsonObjectAgg(_) => !star && args.len() == 2,
            _ => !star && args.len() == 1,
        };
        if !arity_ok {
            return Err(Error::invalid(format!("wrong arguments to aggregate {name}()")));
        }
        // No aggregates or set-returning functions inside aggregates.
        self.aggregates_allowed = false;
        let set_functions = std::mem::replace(&mut self.set_functions_allowed, false);
        let bound: Result<Vec<Expr>> =
            args.iter().copied().chain(order_by.iter().map(|t| &t.expr)).map(|a| self.expr(a)).collect();
        let filter = filter.map(|w| self.expr(w)).transpose();
        self.aggregates_allowed = true;
        self.set_functions_allowed = set_functions;
        let (mut args, filter) = (bound?, filter?.map(Box::new));
        // The documents' values are JSON, made so as `to_json` makes them.
        let values = match function {
            AggregateFunction::JsonAgg(_) => 0..1,
            AggregateFunction::JsonObjectAgg(_) => 1..2,
            _ => 0..0,
        };
        for i in values {
            let arg = std::mem::replace(&mut args[i], Expr::literal(Value::Null));
            args[i] = self.json_value(arg);
        }
        let order = order_by
            .iter()
            .map(|t| {
                let key = super::select::sort_key(Expr::Literal(Value::Null), t);
                (key.descending, key.nulls_first)
            })
            .collect();
        Ok(Expr::Aggregate(Box::new(AggregateCall { function, args, distinct, filter, order })))
    }

    /// A set-returning function in a SELECT list: `unnest(array)`, `generate_series(…)`,
    /// `generate_subscripts(array, dim)`, one row per value beside the others' rows.
    fn set_function(
        &mut self,
        function: crate::functions::TableFunction,
        name: &str,
        args: &[&ast::Expr],
        min: usize,
        max: usize,
    ) -> Result<Expr> {
        if !self.set_functions_allowed {
            return Err(Error::unsupported(format!("set-returning function {name}() outside a SELECT list or FROM")));
        }
        // A record-returning call in a SELECT list would be one column of records.
        if matches!(
            function,
            crate::functions::TableFunction::JsonEach(_) | crate::functions::TableFunction::JsonEachText(_)
        ) {
            return Err(Error::unsupported(format!("{name}() in a SELECT list: call it in FROM")));
        }
        // In a SELECT list each call is one column: several arrays unnest only in FROM.
        let max = if function.width(max) > 1 { 1 } else { max };
        if !(min..=max).contains(&args.len()) {
            return Err(Error::not_found("function", format!("{name}() with {} arguments", args.len())));
        }
        let allowed = std::mem::replace(&mut self.set_functions_allowed, false);
        let bound = args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>>>();
        self.set_functions_allowed = allowed;
        Ok(Expr::SetFunction(function, function.bind_args(bound?)))
    }

    /// `ARRAY(SELECT x …)`: the subquery's one column as an array, `{}` over no rows.
    fn array_subquery(&mut self, q: &ast::Query) -> Result<Expr> {
        let sq = self.subquery(q, Some(1))?;
        let input = Arc::try_unwrap(sq.plan).unwrap_or_else(|shared| (*shared).clone());
        let call = AggregateCall {
            function: AggregateFunction::ArrayOf,
            args: vec![Expr::column(0, "array")],
            distinct: false,
            filter: None,
            order: vec![],
        };
        let plan = Plan::Aggregate { input: Box::new(input), group_by: vec![], aggregates: vec![call] };
        Ok(Expr::ScalarSubquery(Subquery { plan: Arc::new(plan), ..sq }))
    }

    /// A window function call: `f(args) OVER (PARTITION BY … ORDER BY … frame)`.
    fn window(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        distinct: bool,
        star: bool,
        over: &ast::WindowType,
    ) -> Result<Expr> {
        let ast::WindowType::WindowSpec(spec) = over else {
            return Err(Error::unsupported("named windows"));
        };
        if !self.aggregates_allowed {
            return Err(Error::invalid(format!("misuse of window function {name}()")));
        }
        let arity = |lo: usize, hi: usize| {
            if star || distinct || args.len() < lo || args.len() > hi {
                Err(Error::invalid(format!("wrong number of arguments to window function {name}()")))
            } else {
                Ok(())
            }
        };
        let function = match name {
            "row_number" => arity(0, 0).map(|_| WindowFunction::RowNumber)?,
            "rank" => arity(0, 0).map(|_| WindowFunction::Rank)?,
            "dense_rank" => arity(0, 0).map(|_| WindowFunction::DenseRank)?,
            "lag" => arity(1, 3).map(|_| WindowFunction::Lag)?,
            "lead" => arity(1, 3).map(|_| WindowFunction::Lead)?,
            "first_value" => arity(1, 1).map(|_| WindowFunction::FirstValue)?,
            "nth_value" => arity(2, 2).map(|_| WindowFunction::NthValue)?,
            "ntile" => arity(1, 1).map(|_| WindowFunction::Ntile)?,
            "percent_rank" => arity(0, 0).map(|_| WindowFunction::PercentRank)?,
            "cume_dist" => arity(0, 0).map(|_| WindowFunction::CumeDist)?,
            "last_value" => arity(1, 1).map(|_| WindowFunction::LastValue)?,
            _ => match AggregateFunction::lookup(name, args.len()) {
                Some(a)
                    if (a == AggregateFunction::Count && star && args.is_empty()) || (!star && !args.is_empty()) =>
                {
                    WindowFunction::Aggregate(a)
                }
                _ => return Err(Error::not_found("window function", format!("{name}()"))),
            },
        };
        let args = args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>>>()?;
        let partition_by = spec.partition_by.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>>>()?;
        let mut order_by = vec![];
        for term in &spec.order_by {
            order_by.push(super::select::sort_key(self.expr(&term.expr)?, term));
        }
        let frame = match &spec.window_frame {
            None if order_by.is_empty() => {
                Frame { rows: true, start: FrameBound::UnboundedPreceding, end: FrameBound::UnboundedFollowing }
            }
            None => Frame { rows: false, start: FrameBound::UnboundedPreceding, end: FrameBound::CurrentRow },
            Some(f) => {
                let rows = match f.units {
                    ast::WindowFrameUnits::Rows => true,
                    ast::WindowFrameUnits::Range => false,
                    ast::WindowFrameUnits::Groups => return Err(Error::unsupported("GROUPS frames")),
                };
                let start = self.frame_bound(&f.start_bound, rows)?;
                let end = match &f.end_bound {
                    Some(b) => self.frame_bound(b, rows)?,
                    None => FrameBound::CurrentRow,
                };
                if start == FrameBound::UnboundedFollowing || end == FrameBound::UnboundedPreceding {
                    return Err(Error::invalid("bad window frame"));
                }
                Frame { rows, start, end }
            }
        };
        Ok(Expr::Window(Box::new(WindowCall { function, args, distinct, partition_by, order_by, frame })))
    }

    fn frame_bound(&self, b: &ast::WindowFrameBound, rows: bool) -> Result<FrameBound> {
        let offset = |e: &Option<Box<ast::Expr>>| -> Result<Option<u64>> {
            let Some(e) = e else { return Ok(None) };
            if !rows {
                return Err(Error::unsupported("RANGE frames with an offset"));
            }
            match e.as_ref() {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(n, _) => n
                        .parse::<u64>()
                        .map(Some)
                        .map_err(|_| Error::invalid("frame offset must be a non-negative integer")),
                    _ => Err(Error::invalid("frame offset must be a non-negative integer")),
                },
                _ => Err(Error::unsupported("a frame offset that is not a literal")),
            }
        };
        Ok(match b {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(e) => {
                offset(e)?.map_or(FrameBound::UnboundedPreceding, FrameBound::Preceding)
            }
            ast::WindowFrameBound::Following(e) => {
                offset(e)?.map_or(FrameBound::UnboundedFollowing, FrameBound::Following)
            }
        })
    }

    /// Binds a subquery in a new scope; `columns` is the number of columns it must return.
    fn subquery(&mut self, q: &ast::Query, columns: Option<usize>) -> Result<Subquery> {
        let allowed = std::mem::replace(&mut self.aggregates_allowed, false);
        let set_functions = std::mem::replace(&mut self.set_functions_allowed, false);
        let result = self.query_correlated(q);
        self.aggregates_allowed = allowed;
        self.set_functions_allowed = set_functions;
        let (plan, names, correlated) = result?;
        if let Some(n) = columns
            && names.len() != n
        {
            return Err(Error::invalid(format!("sub-select returns {} columns - expected {n}", names.len())));
        }
        Ok(Subquery { plan: Arc::new(plan), correlated, id: self.fresh_id() })
    }
}

/// Wraps an operand so a comparison sees it with `affinity` (a no-op for none).
/// `l ~ r` and its kin: a regular-expression match, negated for `!~`.
/// `l LIKE r` (or ILIKE, GLOB) with no ESCAPE clause, as the operator spellings write it.
fn like(l: Expr, r: Expr, matching: Matching, negated: bool) -> Expr {
    Expr::Like { expr: Box::new(l), pattern: Box::new(r), escape: None, negated, matching }
}

fn regex(l: Expr, r: Expr, insensitive: bool, negated: bool) -> Expr {
    let m = Expr::Function(ScalarFunction::RegexMatch, vec![l, r, Expr::literal(insensitive)]);
    if negated { Expr::Not(Box::new(m)) } else { m }
}

fn with_affinity(e: Expr, affinity: Affinity) -> Expr {
    if affinity == Affinity::None { e } else { Expr::Affinity(Box::new(e), affinity) }
}

fn parse_number(n: &str) -> Result<Value> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    if let Some(hex) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(|u| Value::Integer(u as i64))
            .map_err(|_| Error::invalid(format!("hexadecimal literal too big: {n}")));
    }
    crate::value::numeric::literal(n).ok_or_else(|| Error::invalid(format!("bad number {n}")))
}

fn parse_hex(h: &str) -> Result<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return Err(Error::invalid(format!("malformed blob literal X'{h}'")));
    }
    (0..h.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| Error::invalid(format!("malformed blob literal X'{h}'")))
        })
        .collect()
}

/// A declared SQL type as one of ours, by SQLite's affinity rules on its name (so any type
/// name is accepted): INT → INTEGER; CHAR, CLOB, TEXT → TEXT; BLOB or none → BLOB; REAL,
/// FLOA, DOUB → REAL; then BOOLEAN, TIMESTAMP/DATE/TIME; anything else (NUMERIC,
/// DECIMAL) → REAL.
/// What an aggregate call says besides its arguments: `DISTINCT`, `*`, `FILTER (WHERE …)`,
/// `ORDER BY …`.
struct AggregateClauses<'q> {
    distinct: bool,
    star: bool,
    filter: Option<&'q ast::Expr>,
    order_by: &'q [ast::OrderByExpr],
}

/// The function that prints an OID alias type's values (`regclass` → the relation's name).
fn catalog_name(f: ScalarFunction) -> Option<ScalarFunction> {
    Some(match f {
        ScalarFunction::RegClass => ScalarFunction::RegClassName,
        ScalarFunction::RegType => ScalarFunction::RegTypeName,
        ScalarFunction::RegNamespace => ScalarFunction::RegNamespaceName,
        _ => return None,
    })
}

/// A query's result columns that are `regclass`, `regtype` or `regnamespace` values come
/// out as names, as PostgreSQL prints them; inside the query they stay OIDs, so that they
/// compare with OID columns.
pub(super) fn catalog_names_out(plan: Plan) -> Plan {
    match plan {
        Plan::Project { input, exprs } => {
            let exprs = exprs
                .into_iter()
                .map(|e| match e {
                    Expr::Function(f, args) if let Some(name) = catalog_name(f) => {
                        Expr::Function(name, vec![Expr::Function(f, args)])
                    }
                    other => other,
                })
                .collect();
            Plan::Project { input, exprs }
        }
        Plan::Sort { .. } | Plan::Limit { .. } | Plan::Distinct { .. } | Plan::TopN { .. } => {
            plan.map_inputs(&mut catalog_names_out)
        }
        other => other,
    }
}

/// The function a cast to an OID alias type (`regclass`, `regtype`, `regnamespace`) is.
fn catalog_cast(t: &ast::DataType) -> Option<ScalarFunction> {
    let name = t.to_string().to_ascii_lowercase();
    match name.strip_prefix("pg_catalog.").unwrap_or(&name) {
        "regclass" => Some(ScalarFunction::RegClass),
        "regtype" => Some(ScalarFunction::RegType),
        "regnamespace" => Some(ScalarFunction::RegNamespace),
        "regproc" | "regprocedure" => Some(ScalarFunction::RegProc),
        _ => None,
    }
}

/// A column's storage type and declared type (see [`crate::value::declared`]).
/// `time with time zone` is refused (0A000): PostgreSQL itself advises against it, and
/// Braid keeps no zone with a time of day.
pub(crate) fn column_type_of(t: &ast::DataType) -> Result<(DataType, Option<braid_engine::DeclaredType>)> {
    let name = t.to_string();
    if matches!(t, ast::DataType::Time(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz))
        || name.eq_ignore_ascii_case("timetz")
    {
        return Err(Error::unsupported(
            "type time with time zone: use time (without time zone) or timestamp with time zone",
        ));
    }
    Ok(match crate::value::declared::from_name(&name) {
        Some(declared) => (crate::value::declared::storage(declared), Some(declared)),
        None => (type_from_name(&name), None),
    })
}

pub(crate) fn type_from_name(name: &str) -> DataType {
    let n = name.to_ascii_uppercase();
    // PostgreSQL's object identifiers are integers; `name` is text.
    let n = n.strip_prefix("PG_CATALOG.").unwrap_or(&n);
    if matches!(n, "OID" | "REGCLASS" | "REGTYPE" | "REGPROC" | "REGNAMESPACE" | "REGROLE" | "XID" | "CID" | "TID") {
        return DataType::Integer;
    }
    if n == "NAME" {
        return DataType::Text;
    }
    if n.contains("SERIAL") {
        return DataType::Integer;
    }
    if n.contains("INT") {
        DataType::Integer
    } else if n.contains("CHAR") || n.contains("CLOB") || n.contains("TEXT") || n.contains("STRING") {
        DataType::Text
    } else if n.contains("BLOB") || n.contains("BYTEA") || n.is_empty() {
        DataType::Blob
    } else if n.contains("BOOL") {
        DataType::Boolean
    } else if n.contains("TIMESTAMP") || n.contains("DATE") || n.contains("TIME") {
        DataType::Timestamp
    } else {
        DataType::Real
    }
}
