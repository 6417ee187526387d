//! Scopes: the columns a query's expressions can name, and where each sits in the row.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::value::Affinity;

/// One column visible in a scope.
#[derive(Debug, Clone)]
pub(super) struct ScopeColumn {
    /// The table or alias it comes from.
    pub table: Option<Arc<str>>,
    pub name: Arc<str>,
    pub affinity: Affinity,
    /// The declared type of a table column (`jsonb`, …), which decides how JSON
    /// operators and functions read it.
    pub declared: Option<braid_engine::DeclaredType>,
    /// Not part of `*` (the rowid; the right side of a USING pair).
    pub hidden: bool,
    /// Only reachable qualified (the right side of a USING / NATURAL pair).
    pub qualified_only: bool,
}

/// The columns of a query's input row, in row order.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// A scope of one table's columns plus its hidden rowid (last).
    pub fn table(alias: &str, columns: impl IntoIterator<Item = (String, Affinity)>, rowid: bool) -> Scope {
        let table: Arc<str> = alias.into();
        let mut cols: Vec<ScopeColumn> = columns
            .into_iter()
            .map(|(name, affinity)| ScopeColumn {
                table: Some(table.clone()),
                name: name.into(),
                affinity,
                declared: None,
                hidden: false,
                qualified_only: false,
            })
            .collect();
        if rowid {
            cols.push(ScopeColumn {
                table: Some(table),
                name: "rowid".into(),
                affinity: Affinity::Integer,
                declared: None,
                hidden: true,
                qualified_only: false,
            });
        }
        Scope { columns: cols }
    }

    /// This scope with a hidden column after the others (found by name, not by `*`).
    pub fn with_hidden(mut self, name: &str, affinity: Affinity) -> Scope {
        let table = self.columns.first().and_then(|c| c.table.clone());
        self.columns.push(ScopeColumn {
            table,
            name: name.into(),
            affinity,
            declared: None,
            hidden: true,
            qualified_only: false,
        });
        self
    }

    /// This scope with its leading columns' declared types.
    pub fn with_declared(mut self, declared: impl IntoIterator<Item = Option<braid_engine::DeclaredType>>) -> Scope {
        for (c, d) in self.columns.iter_mut().zip(declared) {
            c.declared = d;
        }
        self
    }

    /// The scope of a join: left columns, then right columns.
    pub fn join(left: Scope, right: Scope) -> Scope {
        let mut columns = left.columns;
        columns.extend(right.columns);
        Scope { columns }
    }

    /// Finds a column: `Ok(None)` when absent, an error when ambiguous.
    pub fn find(&self, table: Option<&str>, name: &str) -> Result<Option<usize>> {
        let matches = |c: &ScopeColumn| match table {
            Some(t) => c.table.as_deref() == Some(t) && (*c.name == *name || is_rowid(name) && is_rowid(&c.name)),
            None => !c.qualified_only && *c.name == *name,
        };
        let mut found = self.columns.iter().enumerate().filter(|(_, c)| matches(c));
        let Some((first, _)) = found.next() else {
            // `rowid` names the hidden rowid when no column has that name.
            if table.is_none() && is_rowid(name) {
                let rowids: Vec<usize> = self
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.hidden && &*c.name == "rowid")
                    .map(|(i, _)| i)
                    .collect();
                if rowids.len() == 1 {
                    return Ok(Some(rowids[0]));
                }
            }
            return Ok(None);
        };
        // The hidden rowid of a table whose INTEGER PRIMARY KEY is also visible is not
        // ambiguous with it: prefer visible columns.
        let rest: Vec<usize> = found.filter(|(_, c)| !c.hidden).map(|(i, _)| i).collect();
        if !rest.is_empty() && !self.columns[first].hidden {
            let label = table.map_or(name.to_string(), |t| format!("{t}.{name}"));
            return Err(Error::invalid(format!("ambiguous column name: {label}")));
        }
        Ok(Some(if self.columns[first].hidden { rest.first().copied().unwrap_or(first) } else { first }))
    }

    /// Whether the scope has a table or alias of this name.
    pub fn has_table(&self, table: &str) -> bool {
        self.columns.iter().any(|c| c.table.as_deref() == Some(table))
    }
}

fn is_rowid(name: &str) -> bool {
    matches!(name, "rowid" | "_rowid_" | "oid")
}
