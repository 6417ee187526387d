//! The sequence functions: `nextval`, `currval`, `setval`, `lastval`,
//! `pg_get_serial_sequence`, and the columns of a sequence read as a relation.
//!
//! A sequence argument is what `regclass` reads: an OID, or a name (qualified or quoted).
//! The values themselves are the engine's (`braid_engine::sequence`); what this session
//! took is the session's.

use braid_engine::roles as acl;
use braid_engine::{SequenceDef, Txn, Value};

use super::ScalarFunction;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::value::{to_i64_lossy, to_text, truthy};

/// A sequence's OID: in the one space of relation OIDs.
pub fn oid(def: &SequenceDef) -> i64 {
    crate::source::system::FIRST_USER_OID + def.id as i64
}

/// The sequence an argument names.
fn sequence(txn: &Txn, session: &Session, arg: &Value) -> Result<SequenceDef> {
    let found = match arg {
        Value::Integer(o) => txn.sequences()?.into_iter().find(|s| oid(s) == *o),
        other => match crate::names::find_text(txn, &session.search_path(), &to_text(other))? {
            Some(name) => txn.sequence(&name)?,
            None => None,
        },
    };
    found.ok_or_else(|| Error::not_found("relation", to_text(arg)))
}

pub(super) fn call(f: ScalarFunction, args: &[Value], session: &Session, txn: &Txn) -> Result<Value> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    if f != ScalarFunction::Lastval && arg(0).is_null() {
        return Ok(Value::Null);
    }
    Ok(match f {
        ScalarFunction::Nextval => {
            if session.transaction_read_only() {
                return Err(Error::ReadOnly);
            }
            let def = sequence(txn, session, arg(0))?;
            crate::privileges::check_sequence(txn, session, &def.name, acl::USAGE | acl::UPDATE)?;
            let value = txn.nextval(&def)?;
            session.took_sequence_value(def.uid, value);
            Value::Integer(value)
        }
        ScalarFunction::Currval => {
            let def = sequence(txn, session, arg(0))?;
            crate::privileges::check_sequence(txn, session, &def.name, acl::USAGE | acl::SELECT)?;
            let value = session.currval(def.uid).ok_or_else(|| {
                Error::NotInPrerequisiteState(format!(
                    "currval of sequence \"{}\" is not yet defined in this session",
                    def.name
                ))
            })?;
            Value::Integer(value)
        }
        ScalarFunction::Lastval => Value::Integer(
            session
                .lastval()
                .ok_or_else(|| Error::NotInPrerequisiteState("lastval is not yet defined in this session".into()))?,
        ),
        ScalarFunction::Setval if session.transaction_read_only() => return Err(Error::ReadOnly),
        ScalarFunction::Setval => {
            if arg(1).is_null() {
                return Ok(Value::Null);
            }
            let def = sequence(txn, session, arg(0))?;
            crate::privileges::check_sequence(txn, session, &def.name, acl::UPDATE)?;
            let value = to_i64_lossy(arg(1));
            let called = args.get(2).is_none_or(|c| truthy(c) == Some(true));
            txn.setval(&def, value, called)?;
            Value::Integer(value)
        }
        ScalarFunction::SequenceColumn => {
            let def = sequence(txn, session, arg(0))?;
            let position = txn.sequence_position(&def)?;
            match to_i64_lossy(arg(1)) {
                0 => Value::Integer(position.last),
                1 => Value::Integer(0),
                _ => Value::Boolean(position.called),
            }
        }
        ScalarFunction::SerialSequence => {
            let text = to_text(arg(0));
            let column = to_text(arg(1));
            let table = crate::names::find_text(txn, &session.search_path(), &text)?
                .filter(|t| txn.has_table(t).unwrap_or(false))
                .ok_or_else(|| Error::not_found("relation", text))?;
            let owned = txn
                .sequences()?
                .into_iter()
                .find(|s| s.owned_by.as_ref().is_some_and(|(t, c)| *t == table && c.eq_ignore_ascii_case(&column)));
            owned.map_or(Value::Null, |s| Value::Text(crate::names::sql_name(&s.name)))
        }
        other => return Err(Error::invalid(format!("internal error: {}() is no sequence function", other.name()))),
    })
}
