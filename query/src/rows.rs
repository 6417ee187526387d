//! Query results: [`Rows`] and [`Row`].

use std::sync::Arc;

use braid_engine::Value;

use crate::error::{Error, Result};
use crate::value::FromValue;

/// The rows of a query, in order.
#[derive(Debug)]
pub struct Rows {
    columns: Arc<[String]>,
    rows: std::vec::IntoIter<Vec<Value>>,
}

impl Rows {
    pub(crate) fn new(columns: impl Into<Arc<[String]>>, rows: Vec<Vec<Value>>) -> Self {
        Rows { columns: columns.into(), rows: rows.into_iter() }
    }

    /// The names of the result columns.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }
}

impl Iterator for Rows {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        let values = self.rows.next()?;
        Some(Ok(Row { columns: self.columns.clone(), values }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
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
        T::from_value(&self.values[index.index(&self.columns)?])
    }

    /// Column `index`, as a value.
    pub fn value(&self, index: impl RowIndex) -> Result<&Value> {
        Ok(&self.values[index.index(&self.columns)?])
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
