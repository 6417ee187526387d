//! Binding queries: WITH, compound selects, SELECT … FROM … WHERE … GROUP BY … HAVING,
//! ORDER BY, LIMIT.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use sqlparser::ast;

use super::scope::{Scope, ScopeColumn};
use super::{Binder, CteInfo, ident, object_name};
use crate::error::{Error, Result};
use crate::functions::{AggregateFunction, ScalarFunction};
use crate::plan::{AggregateCall, Cte, Expr, JoinKind, Plan, SetOp, SortKey};
use crate::privileges::RelKind;
use crate::value::Affinity;
use braid_engine::roles::Object;

/// A bound query: its plan and output column names.
pub(super) type BoundQuery = (Plan, Vec<String>);

/// The ORDER BY and LIMIT of a query, applied around its body.
struct Tail<'q> {
    order_by: &'q [ast::OrderByExpr],
    limit: Option<&'q ast::Expr>,
    offset: Option<&'q ast::Expr>,
}

impl Binder<'_> {
    /// Binds a query in the current scope stack.
    pub(super) fn query(&mut self, q: &ast::Query) -> Result<BoundQuery> {
        let (plan, columns, _) = self.query_correlated(q)?;
        Ok((plan, columns))
    }

    /// Binds a query; also says whether it reads columns of enclosing queries.
    pub(super) fn query_correlated(&mut self, q: &ast::Query) -> Result<(Plan, Vec<String>, bool)> {
        let (plan, columns, correlated, ctes) = self.with_ctes(q.with.as_ref(), |b| b.query_body(q))?;
        let plan = if ctes.is_empty() { plan } else { Plan::With { ctes, input: Box::new(plan) } };
        Ok((plan, columns, correlated))
    }

    /// Binds a WITH clause's CTEs, then `body` with them in scope.
    fn with_ctes<T>(
        &mut self,
        with: Option<&ast::With>,
        body: impl FnOnce(&mut Self) -> Result<(Plan, T, bool)>,
    ) -> Result<(Plan, T, bool, Vec<Cte>)> {
        let Some(with) = with else {
            let (plan, t, correlated) = body(self)?;
            return Ok((plan, t, correlated, vec![]));
        };
        let mut ctes = vec![];
        self.ctes.push(HashMap::new());
        let result = (|| {
            for cte in &with.cte_tables {
                ctes.push(self.cte(cte, with.recursive)?);
            }
            body(self)
        })();
        self.ctes.pop();
        let (plan, t, correlated) = result?;
        Ok((plan, t, correlated, ctes))
    }

    /// `WITH … INSERT INTO … SELECT …`: the CTEs feed the insert's source.
    pub(super) fn with_insert(&mut self, q: &ast::Query, insert: &ast::Insert) -> Result<crate::plan::Statement> {
        let (_, statement, _, ctes) = self.with_ctes(q.with.as_ref(), |b| {
            let s = b.insert(insert)?;
            Ok((Plan::Values { rows: vec![], width: 0 }, s, false))
        })?;
        Ok(match statement {
            crate::plan::Statement::Insert { table, source, conflict, upsert, returning, checks, foreign_keys }
                if !ctes.is_empty() =>
            {
                let source = Plan::With { ctes, input: Box::new(source) };
                crate::plan::Statement::Insert { table, source, conflict, upsert, returning, checks, foreign_keys }
            }
            other => other,
        })
    }

    fn query_body(&mut self, q: &ast::Query) -> Result<(Plan, Vec<String>, bool)> {
        let order_by = match &q.order_by {
            Some(ast::OrderBy { kind: ast::OrderByKind::Expressions(list), .. }) => list.as_slice(),
            Some(_) => return Err(Error::unsupported("ORDER BY ALL")),
            None => &[],
        };
        let (limit, offset) = match &q.limit_clause {
            None => (None, None),
            Some(ast::LimitClause::LimitOffset { limit, offset, .. }) => {
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => (Some(limit), Some(offset)),
        };
        let tail = Tail { order_by, limit, offset };
        match q.body.as_ref() {
            ast::SetExpr::Select(select) => self.select(select, &tail),
            body => {
                let (plan, columns, correlated) = self.set_expr(body)?;
                let plan = self.compound_tail(plan, &columns, &tail)?;
                Ok((plan, columns, correlated))
            }
        }
    }

    fn set_expr(&mut self, body: &ast::SetExpr) -> Result<(Plan, Vec<String>, bool)> {
        match body {
            ast::SetExpr::Select(select) => self.select(select, &Tail { order_by: &[], limit: None, offset: None }),
            ast::SetExpr::Query(q) => self.query_correlated(q),
            ast::SetExpr::Values(values) => self.values(values),
            ast::SetExpr::SetOperation { .. } => {
                // SQLite gives every compound operator the same precedence, left to right
                // (sqlparser binds INTERSECT tighter, as standard SQL does).
                let mut operands = vec![];
                let mut ops = vec![];
                flatten(body, &mut operands, &mut ops);
                let (mut plan, columns, mut correlated) = self.set_expr(operands[0])?;
                for (operand, (op, quantifier)) in operands[1..].iter().zip(ops) {
                    let (right, rcols, rc) = self.set_expr(operand)?;
                    if columns.len() != rcols.len() {
                        return Err(Error::invalid(
                            "SELECTs to the left and right of a compound operator do not have the same number of result columns",
                        ));
                    }
                    let op = match op {
                        ast::SetOperator::Union => SetOp::Union,
                        ast::SetOperator::Intersect => SetOp::Intersect,
                        ast::SetOperator::Except | ast::SetOperator::Minus => SetOp::Except,
                    };
                    let all = matches!(quantifier, ast::SetQuantifier::All);
                    plan = Plan::SetOp { op, all, left: Box::new(plan), right: Box::new(right) };
                    correlated |= rc;
                }
                Ok((plan, columns, correlated))
            }
            other => Err(Error::unsupported(format!("query body {}", super::truncate(&other.to_string(), 40)))),
        }
    }

    /// `VALUES (…), (…)` as a query.
    fn values(&mut self, values: &ast::Values) -> Result<(Plan, Vec<String>, bool)> {
        let width = values.rows.first().map_or(0, |r| r.len());
        self.push_scope(Scope::default());
        let rows: Result<Vec<Vec<Expr>>> = values
            .rows
            .iter()
            .map(|row| {
                if row.len() != width {
                    return Err(Error::invalid("all VALUES must have the same number of terms"));
                }
                row.iter().map(|e| self.expr(e)).collect()
            })
            .collect();
        let correlated = self.pop_scope();
        let columns = (1..=width).map(|i| format!("column{i}")).collect();
        Ok((Plan::Values { rows: rows?, width }, columns, correlated))
    }

    /// ORDER BY and LIMIT of a compound select: terms name output columns (by position,
    /// name, or the text of a first-select expression).
    fn compound_tail(&mut self, plan: Plan, columns: &[String], tail: &Tail) -> Result<Plan> {
        let mut keys = vec![];
        for term in tail.order_by {
            let index = match &term.expr {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(n, _) => ordinal(n, columns.len())?,
                    _ => return Err(Error::invalid("ORDER BY term does not match any column in the result set")),
                },
                e => {
                    let name = match e {
                        ast::Expr::Identifier(i) => ident(i),
                        ast::Expr::CompoundIdentifier(parts) => parts.last().map(ident).unwrap_or_default(),
                        other => other.to_string().to_lowercase(),
                    };
                    columns.iter().position(|c| c.to_lowercase() == name).ok_or_else(|| {
                        Error::invalid(format!("ORDER BY term does not match any column in the result set: {e}"))
                    })?
                }
            };
            keys.push(sort_key(Expr::column(index, columns[index].as_str()), term));
        }
        let plan = if keys.is_empty() { plan } else { Plan::Sort { input: Box::new(plan), keys } };
        self.limit(plan, tail)
    }

    fn limit(&mut self, plan: Plan, tail: &Tail) -> Result<Plan> {
        if tail.limit.is_none() && tail.offset.is_none() {
            return Ok(plan);
        }
        self.push_scope(Scope::default());
        let limit = tail.limit.map(|e| self.expr(e)).transpose();
        let offset = tail.offset.map(|e| self.expr(e)).transpose();
        self.pop_scope();
        Ok(Plan::Limit { input: Box::new(plan), limit: limit?, offset: offset? })
    }

    pub(super) fn push_scope(&mut self, scope: Scope) {
        self.scopes.push(scope);
        self.correlated.push(false);
    }

    /// Pops the current scope; returns whether its query read enclosing queries' columns.
    pub(super) fn pop_scope(&mut self) -> bool {
        self.scopes.pop();
        self.correlated.pop().unwrap_or(false)
    }

    fn select(&mut self, select: &ast::Select, tail: &Tail) -> Result<(Plan, Vec<String>, bool)> {
        let (input, scope) = self.from(&select.from)?;
        self.push_scope(scope);
        if std::mem::take(&mut self.from_correlated)
            && let Some(flag) = self.correlated.last_mut()
        {
            *flag = true;
        }
        let result = self.select_in_scope(select, input, tail);
        let correlated = self.pop_scope();
        let (plan, columns) = result?;
        Ok((plan, columns, correlated))
    }

    fn select_in_scope(&mut self, select: &ast::Select, input: Plan, tail: &Tail) -> Result<BoundQuery> {
        let mut plan = input;
        // The SELECT list, with `*` expanded; its aliases may stand for their expressions
        // in WHERE, GROUP BY, HAVING and ORDER BY where no column has the name (SQLite).
        self.aggregates_allowed = true;
        self.set_functions_allowed = true;
        let items = self.select_items(&select.projection);
        self.set_functions_allowed = false;
        let saved_aliases = self.aliases.take();
        if let Ok((exprs, names)) = &items {
            let aliased = names.iter().cloned().zip(exprs.iter().cloned()).collect();
            self.aliases = Some((self.scopes.len(), aliased));
        }
        if let Some(w) = &select.selection {
            self.aggregates_allowed = false;
            let predicate = self.expr(w);
            self.aggregates_allowed = true;
            match predicate {
                Ok(predicate) => plan = Plan::Filter { input: Box::new(plan), predicate },
                Err(e) => {
                    self.aliases = saved_aliases;
                    return Err(e);
                }
            }
        }
        let group_by = match &select.group_by {
            ast::GroupByExpr::Expressions(exprs, _) => {
                self.aggregates_allowed = false;
                let g = exprs.iter().map(|e| self.group_term(e, items.as_ref().ok())).collect::<Result<Vec<_>>>();
                self.aggregates_allowed = true;
                g
            }
            ast::GroupByExpr::All(_) => Err(Error::unsupported("GROUP BY ALL")),
        };
        let having = select.having.as_ref().map(|h| self.expr(h)).transpose();
        let result = (|| {
            let (mut exprs, columns) = items?;
            let group_by = group_by?;
            let having = having?;
            // ORDER BY terms: output columns, or expressions over the input (hidden columns).
            let mut keys = vec![];
            let visible = exprs.len();
            for term in tail.order_by {
                let index = self.order_term(&term.expr, &exprs, &columns)?;
                let index = match index {
                    OrderTarget::Output(i) => i,
                    OrderTarget::Expr(e) => match exprs.iter().position(|x| *x == e) {
                        Some(i) => i,
                        None => {
                            exprs.push(e);
                            exprs.len() - 1
                        }
                    },
                };
                keys.push(sort_key(Expr::column(index, exprs[index].to_string()), term));
            }
            let aggregating = !group_by.is_empty() || having.is_some() || exprs.iter().any(Expr::has_aggregate);
            let mut distinct = matches!(select.distinct, Some(ast::Distinct::Distinct));
            if let Some(ast::Distinct::On(_)) = &select.distinct {
                return Err(Error::unsupported("DISTINCT ON"));
            }
            if aggregating {
                let (agg_plan, rewritten, having) = aggregate(plan, group_by, exprs, having)?;
                plan = agg_plan;
                exprs = rewritten;
                if let Some(h) = having {
                    plan = Plan::Filter { input: Box::new(plan), predicate: h };
                }
            }
            if exprs.iter().any(Expr::has_window) {
                (plan, exprs) = windows(plan, exprs);
            }
            if exprs.iter().any(Expr::has_set_function) {
                (plan, exprs) = set_functions(plan, exprs);
            }
            plan = Plan::Project { input: Box::new(plan), exprs };
            if distinct && plan.width() > visible {
                // Hidden sort columns would split groups of equal visible values.
                distinct = false;
                plan = Plan::Distinct { input: Box::new(plan) };
            }
            if distinct {
                plan = Plan::Distinct { input: Box::new(plan) };
            }
            if !keys.is_empty() {
                plan = Plan::Sort { input: Box::new(plan), keys };
            }
            plan = self.limit(plan, tail)?;
            if plan.width() > visible {
                let exprs = (0..visible).map(|i| Expr::column(i, columns[i].as_str())).collect();
                plan = Plan::Project { input: Box::new(plan), exprs };
            }
            Ok((plan, columns))
        })();
        self.aggregates_allowed = false;
        self.aliases = saved_aliases;
        result
    }

    /// The SELECT list: expressions and their output names.
    pub(super) fn select_items(&mut self, items: &[ast::SelectItem]) -> Result<(Vec<Expr>, Vec<String>)> {
        let mut exprs = vec![];
        let mut names = vec![];
        for item in items {
            match item {
                ast::SelectItem::UnnamedExpr(e) => {
                    exprs.push(self.expr(e)?);
                    names.push(output_name(e).unwrap_or_else(|| "?column?".to_string()));
                }
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    exprs.push(self.expr(expr)?);
                    names.push(alias.value.clone());
                }
                ast::SelectItem::Wildcard(_) => self.expand_star(None, &mut exprs, &mut names)?,
                ast::SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                    self.expand_star(Some(&object_name(name)?), &mut exprs, &mut names)?
                }
                other => return Err(Error::unsupported(format!("select item {other}"))),
            }
        }
        Ok((exprs, names))
    }

    fn expand_star(&mut self, table: Option<&str>, exprs: &mut Vec<Expr>, names: &mut Vec<String>) -> Result<()> {
        let scope = self.scopes.last().expect("a select has a scope");
        let before = exprs.len();
        for (index, c) in scope.columns.iter().enumerate() {
            let visible = match table {
                Some(t) => c.table.as_deref() == Some(t) && (!c.hidden || c.qualified_only),
                None => !c.hidden && !c.qualified_only,
            };
            if visible {
                exprs.push(Expr::column(index, c.name.clone()));
                names.push(c.name.to_string());
            }
        }
        if exprs.len() == before {
            return Err(match table {
                Some(t) => Error::not_found("table", t),
                None => Error::invalid("no tables specified"),
            });
        }
        Ok(())
    }

    /// A GROUP BY term: an output column by position or alias, else an input expression.
    fn group_term(&mut self, e: &ast::Expr, items: Option<&(Vec<Expr>, Vec<String>)>) -> Result<Expr> {
        if let (ast::Expr::Value(v), Some((exprs, _))) = (e, items)
            && let ast::Value::Number(n, _) = &v.value
        {
            return Ok(exprs[ordinal(n, exprs.len())?].clone());
        }
        match self.expr(e) {
            Err(Error::NotFound { .. }) if matches!(e, ast::Expr::Identifier(_)) && items.is_some() => {
                let (exprs, names) = items.expect("checked");
                let ast::Expr::Identifier(i) = e else { unreachable!("matched above") };
                let at = names.iter().position(|n| n.eq_ignore_ascii_case(&i.value));
                at.map(|a| exprs[a].clone()).ok_or_else(|| Error::not_found("column", ident(i)))
            }
            other => other,
        }
    }

    fn order_term(&mut self, e: &ast::Expr, exprs: &[Expr], names: &[String]) -> Result<OrderTarget> {
        if let ast::Expr::Value(v) = e
            && let ast::Value::Number(n, _) = &v.value
        {
            return Ok(OrderTarget::Output(ordinal(n, exprs.len())?));
        }
        if let ast::Expr::Identifier(i) = e {
            // An output alias wins over an input column of the same name (as SQLite).
            if let Some(at) = names.iter().position(|n| n.eq_ignore_ascii_case(&i.value)) {
                let is_input = self.scopes.last().is_some_and(|s| s.find(None, &ident(i)).ok().flatten().is_some());
                if !is_input || !matches!(exprs[at], Expr::Column { .. }) || exprs[at] == self.expr(e)? {
                    return Ok(OrderTarget::Output(at));
                }
            }
        }
        Ok(OrderTarget::Expr(self.expr(e)?))
    }

    /// The FROM clause: its plan and the scope of its columns. Comma-separated items are
    /// cross joins (the optimizer turns WHERE equalities into join conditions).
    fn from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Plan, Scope)> {
        let mut result: Option<(Plan, Scope)> = None;
        for item in from {
            let (mut plan, mut scope) = self.table_factor(&item.relation)?;
            for join in &item.joins {
                (plan, scope) = self.join(plan, scope, join)?;
            }
            if let Some((_, left)) = &result {
                refuse_shared_alias(left, &scope)?;
            }
            result = Some(match result {
                None => (plan, scope),
                Some((left, lscope)) => (
                    Plan::NestedLoopJoin {
                        left: Box::new(left),
                        right: Box::new(plan),
                        kind: JoinKind::Inner,
                        on: None,
                    },
                    Scope::join(lscope, scope),
                ),
            });
        }
        Ok(result.unwrap_or((Plan::Values { rows: vec![vec![]], width: 0 }, Scope::default())))
    }

    fn join(&mut self, left: Plan, lscope: Scope, join: &ast::Join) -> Result<(Plan, Scope)> {
        use ast::JoinOperator as J;
        let (right, rscope) = self.table_factor(&join.relation)?;
        refuse_shared_alias(&lscope, &rscope)?;
        let (kind, constraint) = match &join.join_operator {
            J::Join(c) | J::Inner(c) => (JoinKind::Inner, Some(c)),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, Some(c)),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, Some(c)),
            J::FullOuter(c) => (JoinKind::Full, Some(c)),
            J::CrossJoin(c) => (JoinKind::Inner, Some(c)),
            other => return Err(Error::unsupported(format!("join {other:?}"))),
        };
        let lwidth = lscope.columns.len();
        let mut scope = Scope::join(lscope, rscope);
        // USING and NATURAL: equalities on the shared names; the right copies become
        // reachable only qualified.
        let using: Vec<String> = match constraint {
            Some(ast::JoinConstraint::Using(names)) => names.iter().map(object_name).collect::<Result<_>>()?,
            Some(ast::JoinConstraint::Natural) => {
                let left: Vec<&Arc<str>> =
                    scope.columns[..lwidth].iter().filter(|c| !c.hidden).map(|c| &c.name).collect();
                scope.columns[lwidth..]
                    .iter()
                    .filter(|c| !c.hidden && left.contains(&&c.name))
                    .map(|c| c.name.to_string())
                    .collect()
            }
            _ => vec![],
        };
        let mut terms = vec![];
        for name in &using {
            let find = |cols: &[ScopeColumn]| cols.iter().position(|c| !c.qualified_only && &*c.name == name.as_str());
            let l = find(&scope.columns[..lwidth]).ok_or_else(|| Error::not_found("column", name))?;
            let r = lwidth + find(&scope.columns[lwidth..]).ok_or_else(|| Error::not_found("column", name))?;
            scope.columns[r].qualified_only = true;
            scope.columns[r].hidden = true;
            self.push_scope(scope.clone());
            let (le, re) = (Expr::column(l, name.as_str()), Expr::column(r, name.as_str()));
            terms.push(self.compare(crate::plan::CmpOp::Eq, le, re));
            self.pop_scope();
        }
        if let Some(ast::JoinConstraint::On(on)) = constraint {
            self.push_scope(scope.clone());
            let bound = self.expr(on);
            self.pop_scope();
            terms.push(bound?);
        }
        let on = Expr::and_all(terms);
        Ok((Plan::NestedLoopJoin { left: Box::new(left), right: Box::new(right), kind, on }, scope))
    }

    fn table_factor(&mut self, factor: &ast::TableFactor) -> Result<(Plan, Scope)> {
        match factor {
            ast::TableFactor::Table { name, alias, args: None, .. } => {
                let (schema, name) = super::qualified_name(name)?;
                let alias_name = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_else(|| name.clone());
                let (plan, scope) = match schema.as_deref() {
                    Some(s) if crate::source::system::is_system_schema(s) => {
                        self.system_relation(s, &name, &alias_name)?
                    }
                    schema => self.named_relation(schema, &name, &alias_name)?,
                };
                Ok((plan, rename_columns(scope, alias)))
            }
            ast::TableFactor::Derived { subquery, alias, lateral: false, .. } => {
                let (plan, columns) = self.query(subquery)?;
                let alias_name = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_default();
                let declared = crate::plan::declared::columns(&plan).unwrap_or_default();
                let scope =
                    Scope::table(&alias_name, columns.iter().map(|c| (c.to_lowercase(), Affinity::None)), false)
                        .with_declared(declared);
                Ok((plan, rename_columns(scope, alias)))
            }
            ast::TableFactor::NestedJoin { table_with_joins, alias: None } => {
                self.from(std::slice::from_ref(table_with_joins))
            }
            ast::TableFactor::Table { name, alias, args: Some(args), with_ordinality, .. } => {
                let exprs = args
                    .args
                    .iter()
                    .map(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                        other => Err(Error::unsupported(format!("argument {other} of a function in FROM"))),
                    })
                    .collect::<Result<Vec<_>>>()?;
                self.table_function(&name.to_string(), &exprs, *with_ordinality, alias)
            }
            ast::TableFactor::UNNEST { alias, array_exprs, with_offset: false, with_ordinality, .. } => {
                self.table_function("unnest", array_exprs, *with_ordinality, alias)
            }
            other => Err(Error::unsupported(format!("FROM item {}", super::truncate(&other.to_string(), 40)))),
        }
    }

    /// A set-returning function in FROM. Its columns are named after the function (or,
    /// for one column, after the alias), then renamed by the alias's column list.
    fn table_function(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        ordinality: bool,
        alias: &Option<ast::TableAlias>,
    ) -> Result<(Plan, Scope)> {
        let (function, min, max) = crate::functions::TableFunction::lookup(name)
            .ok_or_else(|| Error::not_found("function", format!("{name}() in FROM")))?;
        if args.len() < min || args.len() > max {
            return Err(Error::not_found("function", format!("{name}() with {} arguments", args.len())));
        }
        // The arguments may read the enclosing query's row (`unnest(outer.col)` in a
        // subquery): bound in a scope of their own, that row is at depth 1 where the scan
        // evaluates them, and the query that holds this FROM is correlated.
        self.push_scope(Scope::default());
        let args = args.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>>>();
        self.from_correlated |= self.pop_scope();
        let args = function.bind_args(args?);
        let columns = function.width(args.len());
        let width = columns + ordinality as usize;
        let alias_name = alias.as_ref().map(|a| ident(&a.name));
        let column = match (&alias_name, columns) {
            (Some(a), 1) => a.clone(),
            _ => function.name().to_string(),
        };
        let affinity = Affinity::of(function.column_type());
        let numbered = ordinality.then(|| ("ordinality".to_string(), Affinity::of(braid_engine::DataType::Integer)));
        let names: Vec<String> = match function.column_names() {
            Some(names) if !(columns == 1 && alias_name.is_some()) => names.iter().map(|n| n.to_string()).collect(),
            _ => vec![column; columns],
        };
        let scope = Scope::table(
            alias_name.as_deref().unwrap_or(function.name()),
            names.into_iter().map(|n| (n, affinity)).chain(numbered),
            false,
        )
        .with_declared((0..columns).map(|i| function.declared(i)));
        Ok((Plan::TableFunction { function, args, width, ordinality }, rename_columns(scope, alias)))
    }

    /// A table, view or CTE by name; a name of `pg_catalog` is found before the user's
    /// tables, as PostgreSQL searches `pg_catalog` first.
    /// A relation named in FROM: a CTE, a catalog of `pg_catalog` (searched first, as in
    /// PostgreSQL), a view, a sequence or a table.
    fn named_relation(&mut self, schema: Option<&str>, name: &str, alias: &str) -> Result<(Plan, Scope)> {
        if schema.is_none() {
            if let Some(cte) = self.ctes.iter().rev().find_map(|m| m.get(name)).cloned() {
                let plan = Plan::CteRef { id: cte.id, name: name.into(), width: cte.columns.len() };
                return Ok((plan, Scope::table(alias, cte.columns.into_iter().map(|c| (c, Affinity::None)), false)));
            }
            if crate::source::system::lookup(None, name).is_some() {
                return self.system_relation("pg_catalog", name, alias);
            }
        }
        let stored = self.find_qualified(schema, name)?;
        let name = stored.as_str();
        if let Some(sql) = super::load_view(self.txn, name)? {
            if self.expanding.iter().any(|v| v == name) {
                return Err(Error::invalid(format!("view {name} is circularly defined")));
            }
            let query = match crate::parse::parse(&sql)?.pop() {
                Some(crate::parse::Parsed::Sql(s, _)) => match *s {
                    ast::Statement::Query(q) => q,
                    _ => return Err(Error::invalid(format!("view {name} has a damaged definition"))),
                },
                _ => return Err(Error::invalid(format!("view {name} has a damaged definition"))),
            };
            self.access(name, RelKind::View, braid_engine::roles::SELECT);
            let owner = crate::privileges::privileges_of(self.txn, &Object::Relation(name.to_string()))?.owner;
            self.expanding.push(name.to_string());
            self.view_owners.push(owner);
            // A view's names are looked up as from its own schema, whatever the reader's path.
            let path = std::mem::replace(&mut self.path, crate::names::SearchPath::of_view(name));
            let result = self.query(&query);
            self.path = path;
            self.view_owners.pop();
            self.expanding.pop();
            let (plan, columns) = result?;
            let declared = crate::plan::declared::columns(&plan).unwrap_or_default();
            let scope = Scope::table(alias, columns.into_iter().map(|c| (c.to_lowercase(), Affinity::None)), false);
            return Ok((plan, scope.with_declared(declared)));
        }
        if let Some(sequence) = self.txn.sequence(name)? {
            self.access(name, RelKind::Sequence, braid_engine::roles::SELECT);
            return Ok(sequence_relation(&sequence, alias));
        }
        let table = Arc::new(self.txn.table(name).map_err(|e| match e {
            braid_engine::Error::NotFound { .. } => Error::not_found("table", name),
            e => e.into(),
        })?);
        self.access(name, RelKind::Table, braid_engine::roles::SELECT);
        let columns = table.columns.iter().map(|c| (c.name.clone(), Affinity::of(c.data_type)));
        let scope = Scope::table(alias, columns, true).with_declared(table.columns.iter().map(|c| c.declared));
        let plan = Plan::Scan {
            table: table.clone(),
            alias: alias.into(),
            rowids: (Bound::Unbounded, Bound::Unbounded),
            reverse: false,
            read: None,
        };
        Ok((plan, scope))
    }

    /// A system catalog, `schema.name`.
    fn system_relation(&mut self, schema: &str, name: &str, alias: &str) -> Result<(Plan, Scope)> {
        let table = crate::source::system::lookup(Some(schema), name)
            .ok_or_else(|| Error::not_found("relation", format!("{schema}.{name}")))?;
        // The one catalog that holds secrets (password verifiers) is PostgreSQL's one
        // catalog readable only by superusers: no ACL grants it.
        if table.name == "pg_authid" {
            self.access("pg_authid", RelKind::Table, braid_engine::roles::SELECT);
        }
        let views = if table.needs_view_columns && !self.listing_view_columns {
            self.views_with_columns()?
        } else {
            self.views_without_columns()?
        };
        let columns = table.columns.iter().map(|(c, t)| (c.to_string(), Affinity::of(*t)));
        let scope = Scope::table(alias, columns, false).with_hidden("tableoid", Affinity::Integer);
        Ok((Plan::SystemScan { table, alias: alias.into(), views: views.into() }, scope))
    }

    fn views_without_columns(&self) -> Result<Vec<crate::source::ViewInfo>> {
        let views = super::ddl::views(self.txn)?;
        Ok(views
            .into_iter()
            .map(|(name, sql)| crate::source::ViewInfo { name, sql, columns: None, declared: vec![] })
            .collect())
    }

    /// Every view with its result columns: each view's query is bound (a view that no
    /// longer binds is listed without columns).
    fn views_with_columns(&mut self) -> Result<Vec<crate::source::ViewInfo>> {
        let mut out = self.views_without_columns()?;
        for view in &mut out {
            let mut binder = Binder::new(self.txn, &[], crate::names::SearchPath::default());
            binder.listing_view_columns = true;
            let sql = format!("SELECT * FROM {}", crate::names::sql_name(&view.name));
            let description = match crate::parse::parse(&sql)?.pop() {
                Some(crate::parse::Parsed::Sql(s, _)) => match binder.statement(&s) {
                    Ok(bound) => bound.describe(),
                    Err(_) => continue,
                },
                _ => continue,
            };
            view.columns = Some(description.columns);
            view.declared = description.declared;
        }
        Ok(out)
    }

    /// Binds one CTE and makes it visible to the rest of the query.
    fn cte(&mut self, cte: &ast::Cte, recursive: bool) -> Result<Cte> {
        let name = ident(&cte.alias.name);
        let id = self.fresh_id();
        let declared: Vec<String> = cte.alias.columns.iter().map(|c| ident(&c.name)).collect();
        let body = cte.query.body.as_ref();
        let recursive_parts = match body {
            ast::SetExpr::SetOperation { left, op: ast::SetOperator::Union, set_quantifier, right }
                if recursive && references(right, &name) =>
            {
                Some((left, right, matches!(set_quantifier, ast::SetQuantifier::All)))
            }
            _ => None,
        };
        let Some((base, step, all)) = recursive_parts else {
            let (plan, columns) = self.query(&cte.query)?;
            let columns =
                if declared.is_empty() { columns.iter().map(|c| c.to_lowercase()).collect() } else { declared };
            if columns.len() != plan.width() {
                return Err(Error::invalid(format!(
                    "table {name} has {} values for {} columns",
                    plan.width(),
                    columns.len()
                )));
            }
            self.ctes.last_mut().expect("pushed by the caller").insert(name.clone(), CteInfo { id, columns });
            return Ok(Cte { id, name: name.into(), plan, recursive: None, limit: None });
        };
        let (base_plan, base_columns, _) = self.set_expr(base)?;
        let columns =
            if declared.is_empty() { base_columns.iter().map(|c| c.to_lowercase()).collect() } else { declared };
        self.ctes
            .last_mut()
            .expect("pushed by the caller")
            .insert(name.clone(), CteInfo { id, columns: columns.clone() });
        let (step_plan, step_columns, _) = self.set_expr(step)?;
        if step_columns.len() != columns.len() {
            return Err(Error::invalid("the parts of a recursive query have different numbers of columns"));
        }
        let step_plan =
            self.compound_tail(step_plan, &step_columns, &Tail { order_by: &[], limit: None, offset: None })?;
        if cte.query.order_by.is_some() {
            return Err(Error::unsupported("ORDER BY in a recursive query"));
        }
        let limit = match &cte.query.limit_clause {
            None => None,
            Some(ast::LimitClause::LimitOffset { limit, offset: None, .. }) => {
                self.push_scope(Scope::default());
                let bound = limit.as_ref().map(|l| self.expr(l)).transpose();
                self.pop_scope();
                bound?
            }
            Some(_) => return Err(Error::unsupported("OFFSET in a recursive query")),
        };
        Ok(Cte { id, name: name.into(), plan: base_plan, recursive: Some((step_plan, all)), limit })
    }
}

enum OrderTarget {
    Output(usize),
    Expr(Expr),
}

/// Applies `AS alias(c1, c2, …)` column names.
fn rename_columns(mut scope: Scope, alias: &Option<ast::TableAlias>) -> Scope {
    if let Some(a) = alias {
        for (c, name) in scope.columns.iter_mut().filter(|c| !c.hidden).zip(&a.columns) {
            c.name = ident(&name.name).into();
        }
    }
    scope
}

/// The name PostgreSQL gives a result column that has no alias (its `FigureColname`): a
/// column's name, a function's name, a cast's operand's name or else its type's name,
/// `case`, `exists`; `None` for anything else (an operator, a literal), which is named
/// `?column?`.
pub(super) fn output_name(e: &ast::Expr) -> Option<String> {
    use ast::Expr as E;
    match e {
        E::Identifier(i) => Some(ident(i)),
        E::CompoundIdentifier(parts) => parts.last().map(ident),
        E::Nested(inner) => output_name(inner),
        E::Function(f) => match f.name.0.last() {
            Some(ast::ObjectNamePart::Identifier(i)) => Some(ident(i)),
            _ => None,
        },
        E::Cast { expr, data_type, .. } => output_name(expr).or_else(|| Some(pg_type_name(data_type))),
        E::TypedString(t) => Some(pg_type_name(&t.data_type)),
        E::Case { .. } => Some("case".into()),
        E::Exists { .. } => Some("exists".into()),
        E::Subquery(q) => match q.body.as_ref() {
            ast::SetExpr::Select(s) => match s.projection.as_slice() {
                [ast::SelectItem::UnnamedExpr(e)] => output_name(e),
                [ast::SelectItem::ExprWithAlias { alias, .. }] => Some(ident(alias)),
                _ => None,
            },
            _ => None,
        },
        E::Substring { .. } => Some("substring".into()),
        E::Trim { .. } => Some("btrim".into()),
        E::Extract { .. } => Some("extract".into()),
        E::Interval(_) => Some("interval".into()),
        E::Ceil { .. } => Some("ceil".into()),
        E::Floor { .. } => Some("floor".into()),
        E::Position { .. } => Some("position".into()),
        E::Array(_) => Some("array".into()),
        _ => None,
    }
}

/// PostgreSQL's internal name of a declared type (`integer` is `int4`), as it names a cast
/// column.
fn pg_type_name(t: &ast::DataType) -> String {
    let name = t.to_string().to_ascii_lowercase();
    let base = name.split('(').next().unwrap_or(&name).trim().to_string();
    match base.as_str() {
        "int" | "integer" | "int4" => "int4",
        "bigint" | "int8" => "int8",
        "smallint" | "int2" => "int2",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" => "float8",
        "boolean" | "bool" => "bool",
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "bpchar",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "decimal" | "numeric" => "numeric",
        other => return other.to_string(),
    }
    .to_string()
}

/// Whether a query body names `table` (a recursive CTE's recursive part does).
fn references(body: &ast::SetExpr, table: &str) -> bool {
    let text = body.to_string().to_lowercase();
    text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == table)
}

/// A 1-based output column position.
fn ordinal(n: &str, width: usize) -> Result<usize> {
    match n.parse::<usize>() {
        Ok(i) if (1..=width).contains(&i) => Ok(i - 1),
        _ => Err(Error::invalid(format!("ORDER BY term out of range - should be between 1 and {width}"))),
    }
}

pub(super) fn sort_key(expr: Expr, term: &ast::OrderByExpr) -> SortKey {
    let descending = matches!(term.options.sort, Some(ast::OrderBySort::Desc));
    // PostgreSQL: NULLs sort as if larger than any value (last ascending, first
    // descending), unless told.
    let nulls_first = term.options.nulls_first.unwrap_or(descending);
    SortKey { expr, descending, nulls_first }
}

/// Splits a grouped SELECT into an Aggregate node and expressions over its output: group
/// terms become its first columns, each distinct aggregate call one more, and any other
/// column read (SQLite allows bare columns) an `any_value` of the group.
fn aggregate(
    input: Plan,
    group_by: Vec<Expr>,
    exprs: Vec<Expr>,
    having: Option<Expr>,
) -> Result<(Plan, Vec<Expr>, Option<Expr>)> {
    let mut aggregates: Vec<AggregateCall> = vec![];
    let groups = group_by.len();
    let rewrite = |e: Expr, aggregates: &mut Vec<AggregateCall>| -> Expr { lift(e, &group_by, aggregates, groups) };
    let exprs: Vec<Expr> = exprs.into_iter().map(|e| rewrite(e, &mut aggregates)).collect();
    let having = having.map(|h| rewrite(h, &mut aggregates));
    let plan = Plan::Aggregate { input: Box::new(input), group_by, aggregates };
    Ok((plan, exprs, having))
}

/// Rewrites one expression over the input row into one over the Aggregate node's output.
fn lift(e: Expr, group_by: &[Expr], aggregates: &mut Vec<AggregateCall>, groups: usize) -> Expr {
    if let Some(i) = group_by.iter().position(|g| *g == e) {
        return Expr::column(i, e.to_string());
    }
    // A correlated subquery reads this query's row by position: point it at the group's
    // values instead of the input row's.
    let mut outer = |c: usize| -> usize {
        let column = Expr::column(c, "");
        if let Some(i) = group_by.iter().position(|g| matches!(g, Expr::Column { depth: 0, index, .. } if *index == c))
        {
            return i;
        }
        let call = AggregateCall {
            function: AggregateFunction::AnyValue,
            args: vec![column],
            distinct: false,
            filter: None,
            order: vec![],
        };
        groups
            + aggregates.iter().position(|a| *a == call).unwrap_or_else(|| {
                aggregates.push(call);
                aggregates.len() - 1
            })
    };
    let e = match e {
        Expr::InSubquery { expr, subquery, negated } if subquery.correlated => {
            Expr::InSubquery { expr, subquery: crate::plan::remap_outer(subquery, &mut outer), negated }
        }
        Expr::Exists { subquery, negated } if subquery.correlated => {
            Expr::Exists { subquery: crate::plan::remap_outer(subquery, &mut outer), negated }
        }
        Expr::ScalarSubquery(subquery) if subquery.correlated => {
            Expr::ScalarSubquery(crate::plan::remap_outer(subquery, &mut outer))
        }
        other => other,
    };
    match e {
        Expr::Aggregate(call) => {
            let label = Expr::Aggregate(call.clone()).to_string();
            let i = aggregates.iter().position(|a| *a == *call).unwrap_or_else(|| {
                aggregates.push(*call);
                aggregates.len() - 1
            });
            Expr::column(groups + i, label)
        }
        Expr::Column { depth: 0, .. } => {
            let call = AggregateCall {
                function: AggregateFunction::AnyValue,
                args: vec![e.clone()],
                distinct: false,
                filter: None,
                order: vec![],
            };
            let i = aggregates.iter().position(|a| *a == call).unwrap_or_else(|| {
                aggregates.push(call);
                aggregates.len() - 1
            });
            Expr::column(groups + i, e.to_string())
        }
        Expr::Window(mut call) => {
            let mut l = |e: Expr| lift(e, group_by, aggregates, groups);
            call.args = std::mem::take(&mut call.args).into_iter().map(&mut l).collect();
            call.partition_by = std::mem::take(&mut call.partition_by).into_iter().map(&mut l).collect();
            for k in &mut call.order_by {
                k.expr = l(std::mem::replace(&mut k.expr, Expr::Literal(braid_engine::Value::Null)));
            }
            Expr::Window(call)
        }
        // Recurse one level at a time so that group terms inside are found first.
        other => map_children(other, &mut |c| lift(c, group_by, aggregates, groups)),
    }
}

/// Applies `f` to each direct child of `e`.
fn map_children(e: Expr, f: &mut impl FnMut(Expr) -> Expr) -> Expr {
    let mut b = |x: Box<Expr>| Box::new(f(*x));
    match e {
        Expr::Not(x) => Expr::Not(b(x)),
        Expr::Negate(x) => Expr::Negate(b(x)),
        Expr::BitNot(x) => Expr::BitNot(b(x)),
        Expr::Cast(x, t) => Expr::Cast(b(x), t),
        Expr::Affinity(x, a) => Expr::Affinity(b(x), a),
        Expr::IsNull { expr, negated } => Expr::IsNull { expr: b(expr), negated },
        Expr::InSubquery { expr, subquery, negated } => Expr::InSubquery { expr: b(expr), subquery, negated },
        Expr::Arith(op, x, y) => Expr::Arith(op, b(x), b(y)),
        Expr::Compare(op, x, y) => Expr::Compare(op, b(x), b(y)),
        Expr::And(x, y) => Expr::And(b(x), b(y)),
        Expr::Or(x, y) => Expr::Or(b(x), b(y)),
        Expr::Is { left, right, negated } => Expr::Is { left: b(left), right: b(right), negated },
        Expr::Between { expr, low, high, negated } => {
            Expr::Between { expr: b(expr), low: b(low), high: b(high), negated }
        }
        Expr::InList { expr, list, negated } => {
            let expr = b(expr);
            Expr::InList { expr, list: list.into_iter().map(&mut *f).collect(), negated }
        }
        Expr::Like { expr, pattern, escape, negated, matching } => {
            let (expr, pattern) = (b(expr), b(pattern));
            Expr::Like { expr, pattern, escape: escape.map(b), negated, matching }
        }
        Expr::Case { operand, whens, otherwise } => {
            let operand = operand.map(&mut b);
            let whens = whens.into_iter().map(|(w, t)| (f(w), f(t))).collect();
            Expr::Case { operand, whens, otherwise: otherwise.map(|o| Box::new(f(*o))) }
        }
        Expr::Function(func, args) => Expr::Function(func, args.into_iter().map(f).collect()),
        Expr::SetFunction(func, args) => Expr::SetFunction(func, args.into_iter().map(f).collect()),
        leaf => leaf,
    }
}

/// Moves window function calls into a Window node under the projection: each becomes a
/// column appended to the input row.
fn windows(input: Plan, exprs: Vec<Expr>) -> (Plan, Vec<Expr>) {
    let width = input.width();
    let mut calls: Vec<crate::plan::WindowCall> = vec![];
    let exprs = exprs
        .into_iter()
        .map(|e| {
            e.transform(&mut |x| match x {
                Expr::Window(call) => {
                    let label = Expr::Window(call.clone()).to_string();
                    let i = calls.iter().position(|c| *c == *call).unwrap_or_else(|| {
                        calls.push(*call);
                        calls.len() - 1
                    });
                    Expr::column(width + i, label)
                }
                other => other,
            })
        })
        .collect();
    (Plan::Window { input: Box::new(input), calls }, exprs)
}

/// A sequence read as a relation: one row of `last_value`, `log_cnt` and `is_called`,
/// read from the sequence when the query runs (what pg_dump asks of each sequence).
fn sequence_relation(sequence: &braid_engine::SequenceDef, alias: &str) -> (Plan, Scope) {
    use braid_engine::DataType;
    let oid = Expr::literal(crate::functions::sequence_oid(sequence));
    let column = |i: i64, ty: DataType| {
        let read = Expr::Function(ScalarFunction::SequenceColumn, vec![oid.clone(), Expr::literal(i)]);
        Expr::Cast(Box::new(read), ty)
    };
    let row = vec![column(0, DataType::Integer), column(1, DataType::Integer), column(2, DataType::Boolean)];
    let names = [("last_value", Affinity::Integer), ("log_cnt", Affinity::Integer), ("is_called", Affinity::None)];
    let scope = Scope::table(alias, names.into_iter().map(|(n, a)| (n.to_string(), a)), false);
    (Plan::Values { rows: vec![row], width: 3 }, scope)
}

/// Lifts the set-returning calls of a SELECT list into a ProjectSet node below it: each
/// call becomes a column of that node, which repeats its input row once per value.
fn set_functions(input: Plan, exprs: Vec<Expr>) -> (Plan, Vec<Expr>) {
    let width = input.width();
    let mut calls: Vec<(crate::functions::TableFunction, Vec<Expr>)> = vec![];
    let exprs = exprs
        .into_iter()
        .map(|e| {
            e.transform(&mut |x| match x {
                Expr::SetFunction(function, args) => {
                    let label = Expr::SetFunction(function, args.clone()).to_string();
                    calls.push((function, args));
                    Expr::column(width + calls.len() - 1, label)
                }
                other => other,
            })
        })
        .collect();
    (Plan::ProjectSet { input: Box::new(input), calls }, exprs)
}

/// The operands and operators of a chain of compound selects, in text order.
fn flatten<'q>(
    body: &'q ast::SetExpr,
    operands: &mut Vec<&'q ast::SetExpr>,
    ops: &mut Vec<(ast::SetOperator, ast::SetQuantifier)>,
) {
    match body {
        ast::SetExpr::SetOperation { left, op, set_quantifier, right } => {
            flatten(left, operands, ops);
            ops.push((*op, *set_quantifier));
            flatten(right, operands, ops);
        }
        other => operands.push(other),
    }
}

/// Two items of one FROM may not have the same name or alias.
fn refuse_shared_alias(left: &Scope, right: &Scope) -> Result<()> {
    let names =
        |s: &Scope| s.columns.iter().filter_map(|c| c.table.clone()).filter(|t| !t.is_empty()).collect::<Vec<_>>();
    let left = names(left);
    match names(right).into_iter().find(|t| left.contains(t)) {
        Some(t) => Err(Error::invalid(format!("ambiguous table name or alias in FROM: {t}"))),
        None => Ok(()),
    }
}
