//! INSERT, UPDATE and DELETE.

use braid_engine::{ColumnDef, DataType, TableDef, Txn, Value};

use super::context::{Ctx, Row, Shared};
use super::eval::eval;
use super::foreign_keys as fk;
use super::{Outcome, operators};
use crate::connection::ParamValues;
use crate::error::{ConstraintKind, Error, Result};
use crate::plan::foreign_keys::ForeignKeys;
use crate::plan::{Conflict, Expr, Param, Plan, Statement, Upsert};
use crate::rows::ResultRows;
use crate::session::Session;
use crate::value::coerce_for_column;
use crate::value::zone::Zone;

/// Runs a write statement.
pub(super) fn run(statement: &Statement, txn: &mut Txn, params: &ParamValues, session: &Session) -> Result<Outcome> {
    let (table, source) = match statement {
        Statement::Insert { table, source, .. }
        | Statement::Update { table, source, .. }
        | Statement::Delete { table, source, .. } => (table, source),
        _ => unreachable!("write::run is called for writes"),
    };
    if let Some(one) = SingleInsert::of(statement) {
        return insert_one(txn, &one, None, params, session);
    }
    let foreign_keys = match statement {
        Statement::Insert { foreign_keys, .. }
        | Statement::Update { foreign_keys, .. }
        | Statement::Delete { foreign_keys, .. } => foreign_keys,
        _ => unreachable!("matched above"),
    };
    // The links of the written table, when there are any to follow.
    let links = foreign_keys.of(&table.name).filter(|_| !foreign_keys.is_empty());
    let env = fk::Env { params, session };
    let mut pending = fk::Pending::default();
    let shared = Shared::default();
    // Read everything first; the writes below must not see their own effects.
    // New rows are converted to the column types and checked against CHECK constraints
    // before anything is written.
    let zone = session.zone();
    let (rows, updates) = {
        let ctx = Ctx::new(txn, params, session, &shared);
        let mut rows = match source {
            // INSERT … VALUES: the rows straight from their expressions, without an
            // operator tree built and torn down per statement (a prepared single-row
            // INSERT is the bulk-load path).
            Plan::Values { rows, .. } => rows
                .iter()
                .map(|row| row.iter().map(|e| eval(e, &[], &ctx)).collect::<Result<Row>>())
                .collect::<Result<Vec<Row>>>()?,
            _ => operators::build(source, &ctx)?.collect()?,
        };
        let updates = match statement {
            Statement::Insert { checks, conflict, .. } => {
                rows = rows.into_iter().map(|r| coerce_row(table, r, zone)).collect::<Result<_>>()?;
                if !checks.is_empty() {
                    let mut kept = Vec::with_capacity(rows.len());
                    for row in rows {
                        if passes_checks(checks, &with_rowid(row.clone(), None), *conflict, &ctx)? {
                            kept.push(row);
                        }
                    }
                    rows = kept;
                }
                None
            }
            Statement::Update { assignments, checks, .. } => {
                let new = new_rows(table, &rows, assignments, &ctx)?;
                let new = new.into_iter().map(|r| coerce_row(table, r, zone)).collect::<Result<Vec<_>>>()?;
                for (old, row) in rows.iter().zip(&new) {
                    check(checks, &with_rowid(row.clone(), Some(rowid_of(old)?)), &ctx)?;
                }
                Some(new)
            }
            _ => None,
        };
        (rows, updates)
    };
    let mut changed = 0u64;
    let mut written: Vec<Row> = vec![];
    match statement {
        Statement::Insert { conflict, upsert, returning, .. } => {
            // The rows written are kept for RETURNING, and for the foreign-key checks at the
            // statement's end.
            let checked = links.is_some_and(|l| !l.parents.is_empty());
            let keep = returning.is_some() || checked;
            for row in rows {
                let result = match upsert {
                    None => {
                        let kept = keep.then(|| row.clone());
                        insert(txn, table, row, *conflict)?.map(|rowid| (kept, rowid))
                    }
                    Some(upsert) => {
                        insert_or_update(txn, table, row, upsert, params, session)?.map(|(r, id)| (Some(r), id))
                    }
                };
                let Some((row, rowid)) = result else { continue };
                changed += 1;
                if let Some(mut row) = row.filter(|_| keep) {
                    // An INTEGER PRIMARY KEY given as NULL was assigned the rowid.
                    if let Some(alias) = table.rowid_alias {
                        row[alias as usize] = Value::Integer(rowid);
                    }
                    if checked {
                        pending.written(&table.name, None, row.clone());
                    }
                    if returning.is_some() {
                        written.push(with_rowid(row, Some(rowid)));
                    }
                }
            }
        }
        Statement::Update { conflict, .. } => {
            for (old, new) in rows.iter().zip(updates.expect("computed for updates")) {
                let rowid = rowid_of(old)?;
                match txn.update(table, rowid, new.clone()) {
                    Ok(_) => {
                        if links.is_some() {
                            let old = &old[..table.columns.len()];
                            pending.written(&table.name, Some(old), new.clone());
                            fk::updated(txn, foreign_keys, &table.name, old, &new, &mut pending, &env)?;
                        }
                        changed += 1;
                        written.push(with_rowid(new, Some(rowid)));
                    }
                    Err(braid_engine::Error::Constraint { .. }) if *conflict == Conflict::Ignore => {}
                    Err(braid_engine::Error::Constraint { .. }) if *conflict == Conflict::Replace => {
                        remove_conflicts(txn, table, &new, Some(rowid))?;
                        txn.update(table, rowid, new.clone())?;
                        changed += 1;
                        written.push(with_rowid(new, Some(rowid)));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Statement::Delete { .. } => {
            for row in rows {
                if txn.delete(table, rowid_of(&row)?)? {
                    if links.is_some() {
                        let old = &row[..table.columns.len()];
                        fk::deleted(txn, foreign_keys, &table.name, old, &mut pending, &env)?;
                    }
                    changed += 1;
                    written.push(row);
                }
            }
        }
        _ => unreachable!("matched above"),
    }
    fk::check_pending(txn, foreign_keys, pending)?;
    let returning = match statement {
        Statement::Insert { returning, .. }
        | Statement::Update { returning, .. }
        | Statement::Delete { returning, .. } => returning,
        _ => &None,
    };
    match returning {
        None => Ok(Outcome::Changed(changed)),
        Some((exprs, columns)) => {
            let ctx = Ctx::new(txn, params, session, &shared);
            let rows = written
                .iter()
                .map(|row| exprs.iter().map(|e| eval(e, row, &ctx)).collect::<Result<Row>>())
                .collect::<Result<_>>()?;
            Ok(Outcome::Rows { columns: columns.clone().into(), rows: ResultRows::Nested(rows) })
        }
    }
}

/// A single-row `INSERT … VALUES` without RETURNING or upsert, the statement a bulk load
/// prepares and runs per row: each value is evaluated and converted in one pass, and no
/// statement-wide lists of rows are built (their allocations were a tenth of a bulk insert,
/// profiled).
struct SingleInsert<'s> {
    table: &'s TableDef,
    exprs: &'s [Expr],
    checks: &'s [(String, Expr)],
    foreign_keys: &'s ForeignKeys,
    conflict: Conflict,
}

impl<'s> SingleInsert<'s> {
    fn of(statement: &'s Statement) -> Option<Self> {
        let Statement::Insert {
            table,
            source: Plan::Values { rows, .. },
            conflict,
            upsert: None,
            returning: None,
            checks,
            foreign_keys,
        } = statement
        else {
            return None;
        };
        let [exprs] = rows.as_slice() else { return None };
        Some(SingleInsert { table, exprs, checks, foreign_keys, conflict: *conflict })
    }
}

/// [`run`], with parameters given to this execution alone: a single-row INSERT whose
/// values are each a different positional parameter moves them into its row.
pub(super) fn run_given(
    statement: &Statement,
    txn: &mut Txn,
    mut params: ParamValues,
    session: &Session,
) -> Result<Outcome> {
    if let Some(one) = SingleInsert::of(statement)
        && let Some(row) = take_params(one.exprs, &mut params.positional)
    {
        return insert_one(txn, &one, Some(row), &params, session);
    }
    run(statement, txn, &params, session)
}

/// The values of `exprs` moved out of `positional` (NULLs left behind; or the vector itself,
/// when it holds exactly those values in order), when each expression is a different
/// positional parameter; `None`, with nothing moved, otherwise. Used once, a parameter need
/// not be copied.
fn take_params(exprs: &[Expr], positional: &mut Vec<Value>) -> Option<Vec<Value>> {
    let mut seen = 0u64;
    let mut in_order = exprs.len() == positional.len();
    for (at, e) in exprs.iter().enumerate() {
        let Expr::Param(Param::Position(i)) = e else { return None };
        if *i >= positional.len().min(64) || seen & (1 << i) != 0 {
            return None;
        }
        seen |= 1 << i;
        in_order &= *i == at;
    }
    if in_order {
        // `VALUES ($1, …, $n)` given exactly n parameters: their vector is the row (the
        // usual prepared INSERT; a new vector and freeing the old one were about 200
        // instructions a row of a bulk insert, callgrind `PROBE=a`). A CHECK's rowid slot,
        // when there is one, grows it.
        return Some(std::mem::take(positional));
    }
    // Room for the rowid a CHECK constraint sees after the columns.
    let mut row = Vec::with_capacity(exprs.len() + 1);
    for e in exprs {
        if let Expr::Param(Param::Position(i)) = e {
            row.push(std::mem::take(&mut positional[*i]));
        }
    }
    Some(row)
}

/// Writes a [`SingleInsert`]'s row: `given`, its values already moved out of the
/// parameters ([`take_params`]; 330 instructions a row of a bulk insert went to copying a
/// text parameter and freeing the caller's copy, callgrind), or else its expressions
/// evaluated.
fn insert_one(
    txn: &mut Txn,
    one: &SingleInsert,
    given: Option<Vec<Value>>,
    params: &ParamValues,
    session: &Session,
) -> Result<Outcome> {
    let SingleInsert { table, exprs, checks, foreign_keys, conflict } = *one;
    let shared = Shared::default();
    let row = {
        let ctx = Ctx::new(txn, params, session, &shared);
        let zone = session.zone();
        let mut row = match given {
            Some(mut row) => {
                row.truncate(table.columns.len());
                for (v, column) in row.iter_mut().zip(&table.columns) {
                    *v = coerce_value(table, column, std::mem::take(v), zone)?;
                }
                row
            }
            None => {
                // Room for the rowid a CHECK constraint sees after the columns.
                let mut row = Vec::with_capacity(exprs.len() + 1);
                for (e, column) in exprs.iter().zip(&table.columns) {
                    row.push(coerce_value(table, column, eval(e, &[], &ctx)?, zone)?);
                }
                row
            }
        };
        if !checks.is_empty() {
            row.push(Value::Null);
            if !passes_checks(checks, &row, conflict, &ctx)? {
                return Ok(Outcome::Changed(0));
            }
            row.pop();
        }
        row
    };
    // Most tables have no foreign keys: no lookup by name on the bulk-load path.
    let check = if foreign_keys.tables.is_empty() {
        None
    } else {
        foreign_keys.of(&table.name).filter(|links| !links.parents.is_empty()).map(|l| (l, row.clone()))
    };
    let Some(rowid) = insert(txn, table, row, conflict)? else { return Ok(Outcome::Changed(0)) };
    if let Some((links, mut row)) = check {
        // An INTEGER PRIMARY KEY given as NULL was assigned the rowid.
        if let Some(alias) = table.rowid_alias {
            row[alias as usize] = Value::Integer(rowid);
        }
        fk::check_parents(txn, links, &table.name, &row)?;
    }
    Ok(Outcome::Changed(1))
}

/// Whether a new row (its columns, then its rowid) passes the CHECK constraints: under OR
/// IGNORE a row that breaks one is skipped (`false`), otherwise that is an error.
fn passes_checks(checks: &[(String, Expr)], row: &[Value], conflict: Conflict, ctx: &Ctx) -> Result<bool> {
    match check(checks, row, ctx) {
        Ok(()) => Ok(true),
        Err(Error::Constraint { .. }) if conflict == Conflict::Ignore => Ok(false),
        Err(e) => Err(e),
    }
}

/// Fails on the first CHECK constraint the row breaks (NULL passes, as in SQL).
fn check(checks: &[(String, Expr)], row: &[Value], ctx: &Ctx) -> Result<()> {
    for (message, e) in checks {
        if crate::value::truthy(&eval(e, row, ctx)?) == Some(false) {
            return Err(Error::constraint(ConstraintKind::Check, message.clone()));
        }
    }
    Ok(())
}

/// A row followed by its rowid (NULL while not yet assigned).
fn with_rowid(mut row: Row, rowid: Option<i64>) -> Row {
    row.push(rowid.map_or(Value::Null, Value::Integer));
    row
}

/// The rowid at the end of a scanned row.
fn rowid_of(row: &[Value]) -> Result<i64> {
    match row.last() {
        Some(Value::Integer(r)) => Ok(*r),
        _ => Err(Error::invalid("internal error: a scanned row has no rowid")),
    }
}

/// The new values of updated rows, computed from the old ones.
fn new_rows(table: &TableDef, rows: &[Row], assignments: &[(usize, Expr)], ctx: &Ctx) -> Result<Vec<Row>> {
    rows.iter()
        .map(|old| {
            let mut new: Row = old[..table.columns.len()].to_vec();
            for (column, e) in assignments {
                new[*column] = eval(e, old, ctx)?;
            }
            Ok(new)
        })
        .collect()
}

/// Converts each value to its column's type (SQLite's affinity, where it gives one).
fn coerce_row(table: &TableDef, mut row: Row, zone: Zone) -> Result<Row> {
    row.truncate(table.columns.len());
    for (v, column) in row.iter_mut().zip(&table.columns) {
        *v = coerce_value(table, column, std::mem::take(v), zone)?;
    }
    Ok(row)
}

/// Whether a column holds `timestamptz` values (declared so, or a timestamp declared as
/// nothing, which is reported as one).
fn is_timestamptz(column: &ColumnDef) -> bool {
    column.data_type == braid_engine::DataType::Timestamp
        && column.declared.is_none_or(|d| d.oid == crate::value::declared::TIMESTAMPTZ)
}

/// Converts a value to its column's type and checks it against the declared type (range,
/// length); an error names `table.column`.
fn coerce_value(table: &TableDef, column: &ColumnDef, v: Value, zone: Zone) -> Result<Value> {
    // A value already of its column's type needs no conversion (only the declared type's
    // checks): the common case of a bulk load, where moving each value through the general
    // conversion's match cost about 120 instructions (callgrind, `PROBE=a`).
    let v = match (column.data_type, v) {
        (DataType::Integer, v @ Value::Integer(_)) | (DataType::Text, v @ Value::Text(_)) | (_, v @ Value::Null) => {
            return crate::value::declared::conform(v, column.declared);
        }
        (DataType::Real, Value::Real(r)) => return crate::value::declared::conform(Value::real(r), column.declared),
        (_, v) => v,
    };
    // Text for a `timestamptz` without an offset is a local time in the session's zone.
    let v = match v {
        Value::Text(s) if zone != Zone::Utc && is_timestamptz(column) => {
            match crate::value::datetime::parse_with_offset(&s)? {
                (at, Some(_)) => Value::Timestamp(at),
                (local, None) => Value::Timestamp(zone.from_local(local)),
            }
        }
        v => v,
    };
    let v = coerce_for_column(v, column.data_type, &format_args!("{}.{}", table.name, column.name))?;
    crate::value::declared::conform(v, column.declared)
}

/// Inserts a row under a conflict policy; `None` when the row was skipped.
fn insert(txn: &mut Txn, table: &TableDef, row: Row, conflict: Conflict) -> Result<Option<i64>> {
    if conflict == Conflict::Replace {
        remove_conflicts(txn, table, &row, None)?;
    }
    match txn.insert(table, row) {
        Ok(rowid) => Ok(Some(rowid)),
        Err(braid_engine::Error::Constraint { .. }) if conflict == Conflict::Ignore => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// INSERT … ON CONFLICT DO UPDATE: inserts the row, or updates the one it collides with.
/// Returns the row written and its rowid, or `None` when the update's WHERE said no.
fn insert_or_update(
    txn: &mut Txn,
    table: &TableDef,
    row: Row,
    upsert: &Upsert,
    params: &ParamValues,
    session: &Session,
) -> Result<Option<(Row, i64)>> {
    let err = match txn.insert(table, row.clone()) {
        Ok(rowid) => return Ok(Some((row, rowid))),
        Err(e @ braid_engine::Error::Constraint { .. }) => e,
        Err(e) => return Err(e.into()),
    };
    let Some(rowid) = colliding(txn, table, &row, None)?.into_iter().next() else { return Err(err.into()) };
    let Some(old) = txn.get(table, rowid)? else { return Err(err.into()) };
    let new = {
        let shared = Shared::default();
        let ctx = Ctx::new(txn, params, session, &shared);
        let mut both = with_rowid(old.clone(), Some(rowid));
        both.extend(row);
        if let Some(filter) = &upsert.filter
            && crate::value::truthy(&eval(filter, &both, &ctx)?) != Some(true)
        {
            return Ok(None);
        }
        let mut new = old;
        for (column, e) in &upsert.assignments {
            new[*column] = eval(e, &both, &ctx)?;
        }
        coerce_row(table, new, session.zone())?
    };
    txn.update(table, rowid, new.clone())?;
    Ok(Some((new, rowid)))
}

/// The rows `row` would collide with: the same rowid, or the same values in a unique
/// index (NULLs never collide); `keep` is the row being updated, which does not count.
fn colliding(txn: &Txn, table: &TableDef, row: &[Value], keep: Option<i64>) -> Result<Vec<i64>> {
    let mut victims = vec![];
    if let Some(alias) = table.rowid_alias
        && let Value::Integer(rowid) = row[alias as usize]
        && txn.get_ref(table, rowid)?.is_some()
    {
        victims.push(rowid);
    }
    for index in table.indexes.iter().filter(|i| i.unique) {
        let Some(values) = txn.index_key(table, index, row)? else { continue };
        if values.iter().any(Value::is_null) {
            continue;
        }
        victims.extend(txn.index_lookup(table, &index.name, &values)?);
    }
    victims.sort_unstable();
    victims.dedup();
    victims.retain(|r| Some(*r) != keep);
    Ok(victims)
}

/// Deletes the rows that `row` would collide with: the same rowid, or the same values in
/// a unique index (NULLs never collide). `keep` is the row being updated.
fn remove_conflicts(txn: &mut Txn, table: &TableDef, row: &[Value], keep: Option<i64>) -> Result<()> {
    for rowid in colliding(txn, table, row, keep)? {
        txn.delete(table, rowid)?;
    }
    Ok(())
}
