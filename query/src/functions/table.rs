//! Set-returning functions: `generate_series(start, stop [, step])`,
//! `unnest(array [, array …])` and `generate_subscripts(array, dim [, reverse])`.
//!
//! In FROM each is a relation of its own (`Plan::TableFunction`), its arguments evaluated
//! once when the scan starts; in a SELECT list each call is a column of a ProjectSet node,
//! called once per input row. `generate_series` produces its rows as they are read, so
//! `generate_series(1, 100000000)` costs no memory up front; `unnest` zips its arrays
//! (in their text form, [`crate::value::array`]) into rows, the shorter ones padded with
//! NULL, as PostgreSQL's multi-argument `unnest` in FROM does. The JSON ones
//! (`json_each`, `json_object_keys`, `json_array_elements`, …) are [`super::json`]'s.

use braid_engine::{DataType, Value};

use super::json::{self, Kind};
use crate::error::{DataError, Error, Result};
use crate::value::{array, to_i64_lossy, to_text};

/// A function that returns rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFunction {
    GenerateSeries,
    Unnest,
    GenerateSubscripts,
    /// `pg_partition_ancestors(regclass)`: the relation and the partitioned tables above it;
    /// Braid has no partitions, so only the relation itself.
    PartitionAncestors,
    /// `pg_options_to_table(options)`: an options array (`{fillfactor=70,…}`) as rows of
    /// `option_name`, `option_value`.
    OptionsToTable,
    /// `json_each(j)` / `jsonb_each(j)`: an object's `key` and `value` (JSON) rows.
    JsonEach(Kind),
    /// `json_each_text(j)`: the same with the values as text.
    JsonEachText(Kind),
    /// `json_object_keys(j)`: an object's keys.
    JsonObjectKeys(Kind),
    /// `json_array_elements(j)`: an array's elements (JSON), as `value`.
    JsonArrayElements(Kind),
    /// `json_array_elements_text(j)`: the same as text.
    JsonArrayElementsText(Kind),
}

impl TableFunction {
    /// The function of this name, with its least and greatest number of arguments.
    pub fn lookup(name: &str) -> Option<(TableFunction, usize, usize)> {
        let name = name.to_ascii_lowercase();
        Some(match name.strip_prefix("pg_catalog.").unwrap_or(&name) {
            "generate_series" => (TableFunction::GenerateSeries, 2, 3),
            "unnest" => (TableFunction::Unnest, 1, usize::MAX),
            "generate_subscripts" => (TableFunction::GenerateSubscripts, 2, 3),
            "pg_partition_ancestors" => (TableFunction::PartitionAncestors, 1, 1),
            "pg_options_to_table" => (TableFunction::OptionsToTable, 1, 1),
            "json_each" => (TableFunction::JsonEach(Kind::Json), 1, 1),
            "jsonb_each" => (TableFunction::JsonEach(Kind::Jsonb), 1, 1),
            "json_each_text" => (TableFunction::JsonEachText(Kind::Json), 1, 1),
            "jsonb_each_text" => (TableFunction::JsonEachText(Kind::Jsonb), 1, 1),
            "json_object_keys" => (TableFunction::JsonObjectKeys(Kind::Json), 1, 1),
            "jsonb_object_keys" => (TableFunction::JsonObjectKeys(Kind::Jsonb), 1, 1),
            "json_array_elements" => (TableFunction::JsonArrayElements(Kind::Json), 1, 1),
            "jsonb_array_elements" => (TableFunction::JsonArrayElements(Kind::Jsonb), 1, 1),
            "json_array_elements_text" => (TableFunction::JsonArrayElementsText(Kind::Json), 1, 1),
            "jsonb_array_elements_text" => (TableFunction::JsonArrayElementsText(Kind::Jsonb), 1, 1),
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TableFunction::GenerateSeries => "generate_series",
            TableFunction::Unnest => "unnest",
            TableFunction::GenerateSubscripts => "generate_subscripts",
            TableFunction::PartitionAncestors => "pg_partition_ancestors",
            TableFunction::OptionsToTable => "pg_options_to_table",
            TableFunction::JsonEach(Kind::Json) => "json_each",
            TableFunction::JsonEach(Kind::Jsonb) => "jsonb_each",
            TableFunction::JsonEachText(Kind::Json) => "json_each_text",
            TableFunction::JsonEachText(Kind::Jsonb) => "jsonb_each_text",
            TableFunction::JsonObjectKeys(Kind::Json) => "json_object_keys",
            TableFunction::JsonObjectKeys(Kind::Jsonb) => "jsonb_object_keys",
            TableFunction::JsonArrayElements(Kind::Json) => "json_array_elements",
            TableFunction::JsonArrayElements(Kind::Jsonb) => "jsonb_array_elements",
            TableFunction::JsonArrayElementsText(Kind::Json) => "json_array_elements_text",
            TableFunction::JsonArrayElementsText(Kind::Jsonb) => "jsonb_array_elements_text",
        }
    }

    /// The arguments as the function reads them: a relation argument is a `regclass`, the
    /// OID a name or a number denotes.
    pub fn bind_args(self, mut args: Vec<crate::plan::Expr>) -> Vec<crate::plan::Expr> {
        if self == TableFunction::PartitionAncestors {
            args = args
                .into_iter()
                .map(|a| crate::plan::Expr::Function(super::ScalarFunction::RegClass, vec![a]))
                .collect();
        }
        args
    }

    /// How many columns it returns for `args` arguments.
    pub fn width(self, args: usize) -> usize {
        match self {
            TableFunction::GenerateSeries | TableFunction::GenerateSubscripts | TableFunction::PartitionAncestors => 1,
            TableFunction::Unnest => args,
            TableFunction::OptionsToTable | TableFunction::JsonEach(_) | TableFunction::JsonEachText(_) => 2,
            TableFunction::JsonObjectKeys(_)
            | TableFunction::JsonArrayElements(_)
            | TableFunction::JsonArrayElementsText(_) => 1,
        }
    }

    /// The names of its columns, where PostgreSQL gives them names of their own (the
    /// others are named after the function, or the alias).
    pub fn column_names(self) -> Option<&'static [&'static str]> {
        match self {
            TableFunction::OptionsToTable => Some(&["option_name", "option_value"]),
            TableFunction::PartitionAncestors => Some(&["relid"]),
            TableFunction::JsonEach(_) | TableFunction::JsonEachText(_) => Some(&["key", "value"]),
            TableFunction::JsonArrayElements(_) | TableFunction::JsonArrayElementsText(_) => Some(&["value"]),
            _ => None,
        }
    }

    /// The type of its columns.
    pub fn column_type(self) -> DataType {
        match self {
            TableFunction::GenerateSeries | TableFunction::GenerateSubscripts | TableFunction::PartitionAncestors => {
                DataType::Integer
            }
            _ => DataType::Text,
        }
    }

    /// The declared type of column `i` where it has one: the `json` / `jsonb` values of
    /// `json_each` and `json_array_elements`.
    pub fn declared(self, i: usize) -> Option<braid_engine::DeclaredType> {
        let kind = match (self, i) {
            (TableFunction::JsonEach(kind), 1) | (TableFunction::JsonArrayElements(kind), 0) => kind,
            _ => return None,
        };
        Some(braid_engine::DeclaredType { oid: kind.oid(), typmod: -1 })
    }

    /// Its rows for these argument values.
    pub fn rows(self, args: &[Value]) -> Result<Rows> {
        match self {
            TableFunction::GenerateSeries => {
                if args.iter().any(Value::is_null) {
                    return Ok(Rows::Series { next: 1, stop: 0, step: 1 });
                }
                for a in args {
                    if !matches!(a, Value::Integer(_)) {
                        return Err(Error::unsupported(format!("generate_series over {}", to_text(a))));
                    }
                }
                let step = args.get(2).map_or(1, to_i64_lossy);
                if step == 0 {
                    return Err(Error::data(DataError::InvalidParameterValue, "step size cannot equal zero"));
                }
                Ok(Rows::Series { next: to_i64_lossy(&args[0]), stop: to_i64_lossy(&args[1]), step })
            }
            TableFunction::OptionsToTable => {
                let options = if args[0].is_null() { vec![] } else { array::parse(&to_text(&args[0]))? };
                let rows: Vec<Vec<Value>> = options
                    .into_iter()
                    .flatten()
                    .map(|o| match o.split_once('=') {
                        Some((k, v)) => vec![Value::Text(k.to_string()), Value::Text(v.to_string())],
                        None => vec![Value::Text(o), Value::Null],
                    })
                    .collect();
                Ok(Rows::Listed(rows.into_iter()))
            }
            TableFunction::PartitionAncestors => Ok(Rows::Listed(
                args.iter().filter(|a| !a.is_null()).map(|a| vec![a.clone()]).collect::<Vec<_>>().into_iter(),
            )),
            // Arrays have one dimension and start at 1; an `int2vector` / `oidvector` (no
            // braces) starts at 0, as PostgreSQL's do.
            TableFunction::GenerateSubscripts => {
                let (len, first) = match (&args[0], to_i64_lossy(&args[1])) {
                    (Value::Null, _) | (_, i64::MIN..=0 | 2..) => (0, 1),
                    (a, _) => {
                        let text = to_text(a);
                        let first = if text.trim_start().starts_with('{') { 1 } else { 0 };
                        (array::parse(&text)?.len() as i64, first)
                    }
                };
                let last = first + len - 1;
                let reverse = args.get(2).is_some_and(|r| crate::value::truthy(r) == Some(true));
                Ok(if reverse {
                    Rows::Series { next: last, stop: first, step: -1 }
                } else {
                    Rows::Series { next: first, stop: last, step: 1 }
                })
            }
            TableFunction::JsonEach(kind) => Ok(Rows::Listed(json::rows("_each", kind, false, &args[0])?.into_iter())),
            TableFunction::JsonEachText(kind) => {
                Ok(Rows::Listed(json::rows("_each_text", kind, true, &args[0])?.into_iter()))
            }
            TableFunction::JsonObjectKeys(kind) => {
                Ok(Rows::Listed(json::rows("_object_keys", kind, false, &args[0])?.into_iter()))
            }
            TableFunction::JsonArrayElements(kind) => {
                Ok(Rows::Listed(json::rows("_array_elements", kind, false, &args[0])?.into_iter()))
            }
            TableFunction::JsonArrayElementsText(kind) => {
                Ok(Rows::Listed(json::rows("_array_elements_text", kind, true, &args[0])?.into_iter()))
            }
            TableFunction::Unnest => {
                let arrays: Vec<Vec<Option<String>>> = args
                    .iter()
                    .map(|a| if a.is_null() { Ok(vec![]) } else { array::parse(&to_text(a)) })
                    .collect::<Result<_>>()?;
                let len = arrays.iter().map(Vec::len).max().unwrap_or(0);
                let rows = (0..len)
                    .map(|i| {
                        arrays.iter().map(|a| a.get(i).cloned().flatten().map_or(Value::Null, Value::Text)).collect()
                    })
                    .collect::<Vec<Vec<Value>>>();
                Ok(Rows::Listed(rows.into_iter()))
            }
        }
    }
}

/// The rows of a table function, produced as they are read.
pub enum Rows {
    Series { next: i64, stop: i64, step: i64 },
    Listed(std::vec::IntoIter<Vec<Value>>),
}

impl Iterator for Rows {
    type Item = Vec<Value>;

    fn next(&mut self) -> Option<Vec<Value>> {
        match self {
            Rows::Series { next, stop, step } => {
                let done = if *step > 0 { *next > *stop } else { *next < *stop };
                if done {
                    return None;
                }
                let value = *next;
                // Past i64's end the series is over (no overflow, no wrap).
                match next.checked_add(*step) {
                    Some(n) => *next = n,
                    None => *stop = if *step > 0 { i64::MIN } else { i64::MAX },
                }
                Some(vec![Value::Integer(value)])
            }
            Rows::Listed(rows) => rows.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(rows: Rows) -> Vec<i64> {
        rows.map(|r| to_i64_lossy(&r[0])).collect()
    }

    #[test]
    fn series_count_both_ways_and_stop_at_the_end_of_i64() {
        let f = TableFunction::GenerateSeries;
        assert_eq!(ints(f.rows(&[1.into(), 3.into()]).unwrap()), [1, 2, 3]);
        assert_eq!(ints(f.rows(&[5.into(), 1.into(), (-2).into()]).unwrap()), [5, 3, 1]);
        assert_eq!(ints(f.rows(&[3.into(), 1.into()]).unwrap()), Vec::<i64>::new());
        assert_eq!(ints(f.rows(&[(i64::MAX - 1).into(), i64::MAX.into()]).unwrap()), [i64::MAX - 1, i64::MAX]);
        assert!(f.rows(&[1.into(), 3.into(), 0.into()]).is_err());
        assert_eq!(ints(f.rows(&[Value::Null, 3.into()]).unwrap()), Vec::<i64>::new());
    }

    #[test]
    fn unnest_zips_arrays_padding_with_null() {
        let rows: Vec<Vec<Value>> =
            TableFunction::Unnest.rows(&["{a,b,c}".into(), "{1,NULL}".into()]).unwrap().collect();
        assert_eq!(
            rows,
            [
                vec![Value::from("a"), Value::from("1")],
                vec![Value::from("b"), Value::Null],
                vec![Value::from("c"), Value::Null]
            ]
        );
    }
}
