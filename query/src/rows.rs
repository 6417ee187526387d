//! Query results: [`Rows`] and [`Row`].
//!
//! A query's rows come from the executor either one vector a row or, from its fused
//! pipeline for a projection of a scan (`execute::operators::flat`), every row's values in
//! one vector. The second kind is handed out without a vector a row: each [`Row`] shares
//! the block and names its place in it, so a query's rows cost one allocation, not one
//! each (SQLite hands out its rows with none; ten rows' vectors were a tenth of
//! `ORDER BY score LIMIT 10`, callgrind).

use std::sync::Arc;

use braid_engine::Value;

use crate::error::{Error, Result};
use crate::value::FromValue;

/// A query's rows as the executor hands them over.
#[derive(Debug)]
pub(crate) enum ResultRows {
    /// One vector a row.
    Nested(Vec<Vec<Value>>),
    /// Every row's values in order, `width` (at least one) a row.
    Flat { width: usize, values: Vec<Value> },
}

impl From<Vec<Vec<Value>>> for ResultRows {
    fn from(rows: Vec<Vec<Value>>) -> Self {
        ResultRows::Nested(rows)
    }
}

/// The rows of a query, in order.
#[derive(Debug)]
pub struct Rows {
    columns: Arc<[String]>,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Nested(std::vec::IntoIter<Vec<Value>>),
    /// A flat block of rows, `width` values each; `next`: the next row's first value.
    Flat {
        block: Arc<Vec<Value>>,
        width: usize,
        next: usize,
    },
}

impl Rows {
    pub(crate) fn new(columns: impl Into<Arc<[String]>>, rows: Vec<Vec<Value>>) -> Self {
        Rows { columns: columns.into(), source: Source::Nested(rows.into_iter()) }
    }

    pub(crate) fn from_result(columns: impl Into<Arc<[String]>>, rows: ResultRows) -> Self {
        let source = match rows {
            ResultRows::Nested(rows) => Source::Nested(rows.into_iter()),
            ResultRows::Flat { width, values } => Source::Flat { block: Arc::new(values), width, next: 0 },
        };
        Rows { columns: columns.into(), source }
    }

    /// The names of the result columns.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows not yet read, each as its own vector of values: moved out, not copied,
    /// while no [`Row`] read before still shares them.
    pub fn into_value_rows(self) -> Vec<Vec<Value>> {
        match self.source {
            Source::Nested(rows) => rows.collect(),
            Source::Flat { block, width, next } => match Arc::try_unwrap(block) {
                Ok(mut values) => {
                    let mut rest = values.drain(next..);
                    let rows = rest.len() / width;
                    (0..rows).map(|_| rest.by_ref().take(width).collect()).collect()
                }
                Err(block) => block[next..].chunks(width).map(<[Value]>::to_vec).collect(),
            },
        }
    }
}

impl Iterator for Rows {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        let values = match &mut self.source {
            Source::Nested(rows) => RowValues::Owned(rows.next()?),
            Source::Flat { block, width, next } => {
                if *next >= block.len() {
                    return None;
                }
                let start = *next;
                *next += *width;
                RowValues::Shared { block: block.clone(), start, len: *width }
            }
        };
        Some(Ok(Row { columns: self.columns.clone(), values }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.source {
            Source::Nested(rows) => rows.size_hint(),
            Source::Flat { block, width, next } => {
                let n = (block.len() - next) / width;
                (n, Some(n))
            }
        }
    }
}

/// A row's values: its own, or its place in a block of rows it shares.
#[derive(Clone)]
enum RowValues {
    Owned(Vec<Value>),
    Shared { block: Arc<Vec<Value>>, start: usize, len: usize },
}

/// One result row.
#[derive(Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: RowValues,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row").field("columns", &self.columns).field("values", &self.values()).finish()
    }
}

/// A column position or name.
pub trait RowIndex {
    fn index(&self, columns: &[String]) -> Result<usize>;
}

impl RowIndex for usize {
    fn index(&self, columns: &[String]) -> Result<usize> {
        if *self < columns.len() {
            Ok(*self)
        } else {
            Err(Error::invalid(format!("column index {self} out of range: the row has {} columns", columns.len())))
        }
    }
}

impl RowIndex for &str {
    fn index(&self, columns: &[String]) -> Result<usize> {
        columns.iter().position(|c| c.eq_ignore_ascii_case(self)).ok_or_else(|| Error::not_found("column", self))
    }
}

impl Row {
    /// Column `index` (a position or a name) converted to `T`.
    pub fn get<T: FromValue>(&self, index: impl RowIndex) -> Result<T> {
        T::from_value(&self.values()[index.index(&self.columns)?])
    }

    /// Column `index`, as a value.
    pub fn value(&self, index: impl RowIndex) -> Result<&Value> {
        Ok(&self.values()[index.index(&self.columns)?])
    }

    pub fn values(&self) -> &[Value] {
        match &self.values {
            RowValues::Owned(values) => values,
            RowValues::Shared { block, start, len } => &block[*start..*start + *len],
        }
    }

    /// The row's values: its own moved out, or a copy of those it shares with the rows
    /// of its query ([`Rows::into_value_rows`] moves them).
    pub fn into_values(self) -> Vec<Value> {
        match self.values {
            RowValues::Owned(values) => values,
            RowValues::Shared { block, start, len } => block[start..start + len].to_vec(),
        }
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.values().len()
    }

    pub fn is_empty(&self) -> bool {
        self.values().is_empty()
    }
}
