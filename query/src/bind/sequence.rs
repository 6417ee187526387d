//! CREATE and ALTER SEQUENCE: their options read into a [`SequenceChange`].
//!
//! Most arrive as words ([`Parsed::Sequence`]), read here in any order as PostgreSQL reads
//! them; a CREATE SEQUENCE inside a multi-statement text arrives from sqlparser. Options
//! are integer constants; the sequence's type is one of the integer types.

use braid_engine::SequenceDef;
use sqlparser::ast;

use super::Binder;
use crate::error::{Error, Result};
use crate::names;
use crate::parse::Parsed;
use crate::plan::{SequenceChange, Statement};

impl Binder<'_> {
    /// `CREATE SEQUENCE`: a definition with PostgreSQL's defaults where options are missing.
    pub(super) fn create_sequence(&self, statement: &ast::Statement) -> Result<Statement> {
        let ast::Statement::CreateSequence { temporary, if_not_exists, name, data_type, sequence_options, owned_by } =
            statement
        else {
            return Err(Error::invalid("internal error: not a CREATE SEQUENCE"));
        };
        if *temporary {
            return Err(Error::unsupported("temporary sequences"));
        }
        let mut change = change(data_type.as_ref(), sequence_options, owned_by.as_ref())?;
        self.resolve_owner(&mut change)?;
        let def = new_definition(self.new_relation(name)?, &change);
        Ok(Statement::CreateSequence { def, if_not_exists: *if_not_exists })
    }

    /// `CREATE SEQUENCE` or `ALTER SEQUENCE` as [`crate::parse`] kept it: options in any
    /// order, as PostgreSQL takes them.
    pub(super) fn sequence_words(&self, parsed: &Parsed) -> Result<Statement> {
        let Parsed::Sequence { alter, if_exists, name, options, .. } = parsed else {
            return Err(Error::invalid("internal error: not a sequence statement"));
        };
        let (mut change, restart) = read_options(options, *alter)?;
        self.resolve_owner(&mut change)?;
        if *alter {
            let name = self.find_text(name)?;
            return Ok(Statement::AlterSequence { name, if_exists: *if_exists, change, restart });
        }
        let def = new_definition(self.create_text(name)?, &change);
        Ok(Statement::CreateSequence { def, if_not_exists: *if_exists })
    }

    /// OWNED BY's table, as written, to its stored name.
    fn resolve_owner(&self, change: &mut SequenceChange) -> Result<()> {
        if let Some(Some((table, _))) = &mut change.owned_by {
            *table = self.find_text(table)?;
        }
        Ok(())
    }

    /// `ALTER TABLE t ALTER COLUMN c ADD GENERATED … AS IDENTITY (…)`: a sequence of the
    /// column's integer type (named as given, or `t_c_seq`) OWNED BY the column, and the
    /// column filled from it.
    pub(super) fn add_identity(&self, parsed: &Parsed) -> Result<Statement> {
        let Parsed::AddIdentity { table, column, always, sequence, options } = parsed else {
            return Err(Error::invalid("internal error: not ADD GENERATED AS IDENTITY"));
        };
        let table = self.find_text(table)?;
        let def = self.txn.table(&table).map_err(|_| Error::not_found("relation", &table))?;
        let col = def.columns.iter().find(|c| c.name == *column).ok_or_else(|| Error::not_found("column", column))?;
        let type_oid = match col.declared.map(|d| d.oid) {
            Some(oid @ (20 | 21 | 23)) => oid,
            None if col.data_type == braid_engine::DataType::Integer => 20,
            _ => {
                return Err(Error::invalid(format!(
                    "identity column type must be smallint, integer, or bigint: column \"{column}\""
                )));
            }
        };
        let (mut change, _) = read_options(options, false)?;
        change.type_oid.get_or_insert(type_oid);
        change.owned_by = Some(Some((table.clone(), column.clone())));
        let name = match sequence {
            Some(name) => self.create_text(name)?,
            None => names::sibling(&table, &format!("{}_{column}_seq", names::bare(&table))),
        };
        let sequence = new_definition(name, &change);
        let identity = if *always { braid_engine::Identity::Always } else { braid_engine::Identity::ByDefault };
        let op = crate::plan::AlterOp::AlterColumn {
            column: column.clone(),
            change: crate::plan::ColumnChange::AddIdentity { identity, default: nextval_default(&sequence.name) },
        };
        Ok(Statement::Several(vec![
            Statement::CreateSequence { def: sequence, if_not_exists: false },
            Statement::AlterTable { table, op },
        ]))
    }
}

/// The default of a column filled from a sequence: `nextval('name'::regclass)`, the name
/// qualified when the sequence is not in `public`, as PostgreSQL prints it.
pub(super) fn nextval_default(sequence: &str) -> String {
    let text = match names::split(sequence) {
        (names::PUBLIC, name) => crate::functions::quote_ident(name),
        _ => names::sql_name(sequence),
    };
    format!("nextval('{}'::regclass)", text.replace('\'', "''"))
}

/// The sequence of a SERIAL or identity column of a new table: `{table}_{column}_seq`, of
/// the column's integer type, OWNED BY it, with the identity's options.
pub(super) fn for_column(
    table: &str,
    column: &braid_engine::ColumnDef,
    options: &[ast::SequenceOptions],
) -> Result<SequenceDef> {
    let mut change = change(None, options, None)?;
    // An integer column declared without a PostgreSQL type is a bigint.
    let type_oid = column.declared.map(|d| d.oid).filter(|oid| matches!(oid, 20 | 21 | 23)).unwrap_or(20);
    change.type_oid.get_or_insert(type_oid);
    change.owned_by = Some(Some((table.to_string(), column.name.clone())));
    Ok(new_definition(names::sibling(table, &format!("{}_{}_seq", names::bare(table), column.name)), &change))
}

/// A new sequence's definition: PostgreSQL's defaults where options are missing.
fn new_definition(name: String, change: &SequenceChange) -> SequenceDef {
    let base = SequenceDef::new(name, change.type_oid.unwrap_or(20), change.increment.unwrap_or(1));
    let mut def = change.apply(base);
    if change.start.is_none() {
        def.start = if def.increment > 0 { def.min } else { def.max };
    }
    def
}

/// Reads option words: `AS type`, `INCREMENT [BY] n`, `[NO] MINVALUE [n]`, `[NO] MAXVALUE
/// [n]`, `START [WITH] n`, `CACHE n`, `[NO] CYCLE`, `OWNED BY t.c | NONE`, and for ALTER
/// `RESTART [[WITH] n]`.
fn read_options(words: &[String], alter: bool) -> Result<(SequenceChange, Option<Option<i64>>)> {
    let mut change = SequenceChange::default();
    let mut restart = None;
    let mut i = 0;
    let upper = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let number = |i: usize| -> Result<i64> {
        let w = words.get(i).ok_or_else(|| Error::invalid("a sequence option needs a number"))?;
        w.parse().map_err(|_| Error::invalid(format!("sequence option value {w} is not an integer")))
    };
    while i < words.len() {
        match upper(i).as_str() {
            "AS" => {
                let declared = crate::value::declared::from_name(words.get(i + 1).map_or("", String::as_str))
                    .filter(|d| matches!(d.oid, 20 | 21 | 23))
                    .ok_or_else(|| Error::invalid("sequence type must be smallint, integer, or bigint"))?;
                change.type_oid = Some(declared.oid);
                i += 2;
            }
            "INCREMENT" => {
                i += if upper(i + 1) == "BY" { 2 } else { 1 };
                change.increment = Some(number(i)?);
                i += 1;
            }
            "MINVALUE" => {
                change.min = Some(Some(number(i + 1)?));
                i += 2;
            }
            "MAXVALUE" => {
                change.max = Some(Some(number(i + 1)?));
                i += 2;
            }
            "NO" => {
                match upper(i + 1).as_str() {
                    "MINVALUE" => change.min = Some(None),
                    "MAXVALUE" => change.max = Some(None),
                    "CYCLE" => change.cycle = Some(false),
                    other => return Err(Error::invalid(format!("unknown sequence option NO {other}"))),
                }
                i += 2;
            }
            "START" => {
                i += if upper(i + 1) == "WITH" { 2 } else { 1 };
                change.start = Some(number(i)?);
                i += 1;
            }
            "RESTART" if alter => {
                i += if upper(i + 1) == "WITH" { 2 } else { 1 };
                match words.get(i).and_then(|w| w.parse().ok()) {
                    Some(n) => {
                        restart = Some(Some(n));
                        i += 1;
                    }
                    None => restart = Some(None),
                }
            }
            "CACHE" => {
                change.cache = Some(number(i + 1)?);
                i += 2;
            }
            "CYCLE" => {
                change.cycle = Some(true);
                i += 1;
            }
            "OWNED" if upper(i + 1) == "BY" => {
                let target = words.get(i + 2).ok_or_else(|| Error::invalid("OWNED BY needs table.column or NONE"))?;
                let parts = crate::source::system::split_qualified(target);
                change.owned_by = Some(match parts.as_slice() {
                    [none] if none == "none" => None,
                    [table @ .., column] if !table.is_empty() => Some((quoted(table), column.clone())),
                    _ => return Err(Error::invalid("OWNED BY needs table.column or NONE")),
                });
                i += 3;
            }
            other => {
                return Err(Error::invalid(format!("syntax error at or near \"{other}\" in a sequence definition")));
            }
        }
    }
    Ok((change, restart))
}

fn change(
    data_type: Option<&ast::DataType>,
    options: &[ast::SequenceOptions],
    owned_by: Option<&ast::ObjectName>,
) -> Result<SequenceChange> {
    let mut change = SequenceChange::default();
    if let Some(t) = data_type {
        let declared = crate::value::declared::from_name(&t.to_string())
            .filter(|d| matches!(d.oid, 20 | 21 | 23))
            .ok_or_else(|| Error::invalid("sequence type must be smallint, integer, or bigint"))?;
        change.type_oid = Some(declared.oid);
    }
    for option in options {
        match option {
            ast::SequenceOptions::IncrementBy(e, _) => change.increment = Some(constant(e)?),
            ast::SequenceOptions::MinValue(e) => change.min = Some(e.as_ref().map(constant).transpose()?),
            ast::SequenceOptions::MaxValue(e) => change.max = Some(e.as_ref().map(constant).transpose()?),
            ast::SequenceOptions::StartWith(e, _) => change.start = Some(constant(e)?),
            ast::SequenceOptions::Cache(e) => change.cache = Some(constant(e)?),
            // sqlparser's `Cycle(true)` is `NO CYCLE`.
            ast::SequenceOptions::Cycle(no) => change.cycle = Some(!*no),
        }
    }
    if let Some(target) = owned_by {
        let parts: Vec<String> = target.0.iter().filter_map(|p| p.as_ident()).map(super::ident).collect();
        change.owned_by = Some(match parts.as_slice() {
            [none] if none.eq_ignore_ascii_case("none") => None,
            [table @ .., column] if !table.is_empty() => Some((quoted(table), column.clone())),
            _ => return Err(Error::invalid("OWNED BY needs table.column or NONE")),
        });
    }
    Ok(change)
}

/// A possibly qualified name's parts as text [`Binder::find_text`] reads back.
fn quoted(parts: &[String]) -> String {
    parts.iter().map(|p| crate::functions::quote_ident(p)).collect::<Vec<_>>().join(".")
}

/// An option's number: an integer literal, possibly negative.
fn constant(e: &ast::Expr) -> Result<i64> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().map_err(|_| Error::invalid(format!("{n} is not a bigint"))),
            other => Err(Error::invalid(format!("sequence option {other} is not a number"))),
        },
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => {
            constant(expr)?.checked_neg().ok_or_else(|| Error::invalid("sequence option out of range"))
        }
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Plus, expr } => constant(expr),
        other => Err(Error::invalid(format!("sequence option {other} is not a number"))),
    }
}
