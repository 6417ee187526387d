//! Binding JSON: which of `json` and `jsonb` an expression is, and the calls its
//! operators, casts and value-building functions become ([`crate::functions::JsonFunction`]).
//!
//! PostgreSQL picks a JSON operator's meaning from its operands' static types: `->` of a
//! `json` returns `json` text as written, of a `jsonb` the normal form; `||` is jsonb
//! concatenation only when a side is `jsonb`; `to_json(x)` embeds a `json` value but quotes
//! a `text` one. Values carry no such type at run time (both are TEXT), so the binder reads
//! it from where it is known — a table column's declared type, a cast, a JSON function's
//! result — and binds the call that does the right thing. An operand of no known JSON type
//! (a parameter, an untyped literal) is read as `jsonb`, where PostgreSQL would ask for a
//! cast.

use braid_engine::Value;
use sqlparser::ast;

use super::Binder;
use crate::functions::{AggregateFunction, JsonFunction, JsonKind, JsonReturns, ScalarFunction};
use crate::plan::Expr;

impl Binder<'_> {
    /// `json` or `jsonb`, if the expression is known to be one.
    pub(super) fn json_kind(&self, e: &Expr) -> Option<JsonKind> {
        match e {
            Expr::Function(ScalarFunction::Json(f), _) => match f.returns() {
                JsonReturns::Json(kind) => Some(kind),
                _ => None,
            },
            Expr::Aggregate(call) => match call.function {
                AggregateFunction::JsonAgg(kind) | AggregateFunction::JsonObjectAgg(kind) => Some(kind),
                _ => None,
            },
            _ => JsonKind::of_oid(self.declared_oid(e)),
        }
    }

    /// The OID of the declared type an expression has, 0 if it has none.
    pub(super) fn declared_oid(&self, e: &Expr) -> u32 {
        match e {
            Expr::Column { depth, index, .. } => {
                let at = self.scopes.len().checked_sub(1 + depth);
                at.and_then(|s| self.scopes[s].columns.get(*index)).and_then(|c| c.declared).map_or(0, |d| d.oid)
            }
            Expr::Cast(_, t) => crate::value::declared::of_storage(*t).oid,
            Expr::Function(f, _) if let Some(oid) = f.declared_result() => oid,
            // A timestamp plus or minus an interval is a timestamp of the same kind.
            Expr::Arith(crate::value::BinaryArith::Add | crate::value::BinaryArith::Sub, a, b)
                if matches!(
                    self.declared_oid(a),
                    crate::value::declared::TIMESTAMP | crate::value::declared::TIMESTAMPTZ
                ) && matches!(self.declared_oid(b), 0 | crate::value::declared::INTERVAL) =>
            {
                self.declared_oid(a)
            }
            Expr::ScalarSubquery(s) => {
                crate::plan::declared::columns(&s.plan).and_then(|c| c.first().copied().flatten()).map_or(0, |d| d.oid)
            }
            _ => 0,
        }
    }

    /// An argument that goes into a JSON document: JSON already, or made JSON as
    /// `to_json` makes a value of its type.
    pub(super) fn json_value(&self, e: Expr) -> Expr {
        if self.json_kind(&e).is_some() {
            return e;
        }
        let oid = Expr::literal(i64::from(self.declared_oid(&e)));
        Expr::Function(ScalarFunction::Json(JsonFunction::From(JsonKind::Json)), vec![e, oid])
    }

    /// A call of a JSON function: `to_json` of a JSON value is that value (as the wanted
    /// type), the builders' values are made JSON.
    pub(super) fn json_call(&self, f: JsonFunction, args: Vec<Expr>) -> Expr {
        let call = |f, args| Expr::Function(ScalarFunction::Json(f), args);
        match f {
            JsonFunction::From(kind) => {
                let mut args = args;
                let arg = args.remove(0);
                match self.json_kind(&arg) {
                    Some(_) => call(JsonFunction::In(kind), vec![arg]),
                    None => {
                        let oid = Expr::literal(i64::from(self.declared_oid(&arg)));
                        call(f, vec![arg, oid])
                    }
                }
            }
            _ => {
                let args =
                    args.into_iter().enumerate().map(|(i, a)| if f.takes_values(i) { self.json_value(a) } else { a });
                call(f, args.collect())
            }
        }
    }

    /// A cast to `json` or `jsonb`, if `t` is one of them: the text checked (and for jsonb
    /// normalised) as it is cast.
    pub(super) fn json_cast(&self, t: &ast::DataType, e: Expr) -> std::result::Result<Expr, Expr> {
        let kind = crate::value::declared::from_name(&t.to_string()).and_then(|d| JsonKind::of_oid(d.oid));
        match kind {
            Some(kind) => Ok(Expr::Function(ScalarFunction::Json(JsonFunction::In(kind)), vec![e])),
            None => Err(e),
        }
    }

    /// A JSON operator applied to `l` and `r`, or `None` if `op` is none (for these
    /// operands: `||` and `-` are JSON operators only beside a `jsonb`).
    pub(super) fn json_operator(&self, op: &ast::BinaryOperator, l: Expr, r: Expr) -> Result<Expr, (Expr, Expr)> {
        use JsonFunction::*;
        use ast::BinaryOperator as B;
        let kind = self.json_kind(&l).unwrap_or(JsonKind::Jsonb);
        let is_jsonb = |e: &Expr| self.json_kind(e) == Some(JsonKind::Jsonb);
        let (f, args) = match op {
            B::Arrow => (Field(kind), vec![l, r]),
            B::LongArrow => (FieldText(kind), vec![l, r]),
            B::HashArrow => (Path(kind), vec![l, r]),
            B::HashLongArrow => (PathText(kind), vec![l, r]),
            B::AtArrow => (Contains, vec![l, r]),
            B::ArrowAt => (Contains, vec![r, l]),
            B::Question => (Exists, vec![l, r]),
            B::QuestionPipe => (ExistsAny, vec![l, r]),
            B::QuestionAnd => (ExistsAll, vec![l, r]),
            B::HashMinus => (DeletePath, vec![l, r]),
            B::StringConcat if is_jsonb(&l) || is_jsonb(&r) => (Concat, vec![l, r]),
            B::Minus if is_jsonb(&l) => (Delete, vec![l, r]),
            _ => return Err((l, r)),
        };
        Ok(Expr::Function(ScalarFunction::Json(f), args))
    }

    /// The operands of a comparison, a `jsonb` beside a value of no JSON type reading that
    /// value as `jsonb` (PostgreSQL's `jsonb = unknown`), so that equal documents compare
    /// equal whatever their spacing.
    pub(super) fn json_comparands(&self, l: Expr, r: Expr) -> (Expr, Expr) {
        let jsonb = |e| Expr::Function(ScalarFunction::Json(JsonFunction::In(JsonKind::Jsonb)), vec![e]);
        match (self.json_kind(&l), self.json_kind(&r)) {
            (Some(JsonKind::Jsonb), None) if !matches!(r, Expr::Literal(Value::Null)) => (l, jsonb(r)),
            (None, Some(JsonKind::Jsonb)) if !matches!(l, Expr::Literal(Value::Null)) => (jsonb(l), r),
            _ => (l, r),
        }
    }
}
