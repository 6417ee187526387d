//! The privilege inquiry functions (`has_table_privilege` and kin) and `pg_get_userbyid`,
//! answered from the roles and ACLs of the catalog (`crate::privileges`).
//!
//! Each takes an optional role first (a name, or an OID), then the object (a name, or an
//! OID for relations), then privilege words (`'SELECT'`, `'select, insert'`: any of them;
//! `'UPDATE WITH GRANT OPTION'`). Without a role, the current one is asked about. As in
//! PostgreSQL, a missing object or role is an error, and NULL arguments give NULL.

use braid_engine::roles::Object;
use braid_engine::{RoleDef, Txn, Value};

use super::PrivilegeOn;
use crate::error::{Error, Result};
use crate::privileges::{self, RelKind};
use crate::session::Session;
use crate::value::{to_i64_lossy, to_text};

pub(super) fn call(on: PrivilegeOn, args: &[Value], session: &Session, txn: &Txn) -> Result<Value> {
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    // has_column_privilege([role,] table, column, privilege): the column is not asked about.
    let (role, rest) = match (on, args.len()) {
        (PrivilegeOn::Column, 4)
        | (PrivilegeOn::Table | PrivilegeOn::Schema | PrivilegeOn::Sequence | PrivilegeOn::Other, 3) => {
            (role(txn, &args[0])?, &args[1..])
        }
        _ => (privileges::current_role(txn, session)?, args),
    };
    let (object, words) = (&rest[0], to_text(&rest[rest.len() - 1]));
    let wanted = privileges::parse_privilege_words(&words)?;
    let held = match on {
        PrivilegeOn::Table | PrivilegeOn::Column | PrivilegeOn::Sequence => {
            let name = relation(txn, session, object)?;
            let kind = RelKind::of(txn, &name)?.ok_or_else(|| Error::not_found("relation", &name))?;
            if on == PrivilegeOn::Sequence && kind != RelKind::Sequence {
                return Err(Error::WrongObjectType(format!("\"{name}\" is not a sequence")));
            }
            privileges::holds_any(txn, &role, &Object::Relation(name), Some(kind), &wanted)?
        }
        PrivilegeOn::Schema => {
            let name = match object {
                Value::Integer(oid) => crate::names::Schemas::load(txn)?.name(*oid).map(str::to_string),
                other => Some(to_text(other)).filter(|n| crate::names::Schemas::load(txn).is_ok_and(|s| s.exists(n))),
            };
            let name = name.ok_or_else(|| Error::not_found("schema", to_text(object)))?;
            if crate::source::system::is_system_schema(&name) {
                // The catalogs' schemas: everyone may look (USAGE), only a superuser create.
                wanted.iter().any(|&(bit, _)| bit != braid_engine::roles::CREATE || role.superuser)
            } else {
                privileges::holds_any(txn, &role, &Object::Schema(name), None, &wanted)?
            }
        }
        PrivilegeOn::Other => wanted.iter().any(|&(bit, _)| bit == 0 || role.superuser),
    };
    Ok(Value::Boolean(held))
}

/// A role named by name or OID.
fn role(txn: &Txn, arg: &Value) -> Result<RoleDef> {
    let found = match arg {
        Value::Integer(oid) => txn.roles()?.into_iter().find(|r| i64::from(r.oid) == *oid),
        other => txn.role(&to_text(other))?,
    };
    found.ok_or_else(|| Error::not_found("role", to_text(arg)))
}

/// A relation named by name (possibly qualified) or OID: its stored name.
fn relation(txn: &Txn, session: &crate::session::Session, arg: &Value) -> Result<String> {
    use crate::source::system::RelationName;
    match arg {
        Value::Integer(oid) => match super::catalog::relation_of_oid(txn, *oid)? {
            Some(RelationName::Stored(name) | RelationName::System(name)) => Ok(name),
            None => Err(Error::not_found("relation", oid)),
        },
        other => {
            let text = to_text(other);
            Ok(crate::names::find_text(txn, &session.search_path(), &text)?.unwrap_or(text))
        }
    }
}

/// `pg_get_userbyid(oid)`: the role's name, or `unknown (OID=n)`.
pub(super) fn user_by_id(args: &[Value], txn: &Txn) -> Result<Value> {
    let Some(arg) = args.first().filter(|a| !a.is_null()) else { return Ok(Value::Null) };
    let oid = to_i64_lossy(arg);
    let roles = txn.roles()?;
    Ok(Value::Text(match roles.iter().find(|r| i64::from(r.oid) == oid) {
        Some(r) => r.name.clone(),
        None if oid == crate::source::system::DATABASE_OWNER_OID => "pg_database_owner".into(),
        None => format!("unknown (OID={oid})"),
    }))
}

/// `acldefault(kind, owner)`: the ACL an object of `kind` (`'r'` relation, `'s'` sequence,
/// `'n'` schema, `'f'` function, …) owned by `owner` has before any GRANT, as PostgreSQL's
/// `aclitem[]` text (pg_dump compares the stored ACL with it to write GRANTs and REVOKEs).
pub(super) fn acl_default(args: &[Value], txn: &Txn) -> Result<Value> {
    let (Some(kind), Some(owner)) = (args.first().filter(|a| !a.is_null()), args.get(1).filter(|a| !a.is_null()))
    else {
        return Ok(Value::Null);
    };
    let Value::Text(name) = user_by_id(std::slice::from_ref(owner), txn)? else { return Ok(Value::Null) };
    let name = privileges::acl_name(&name);
    // (PUBLIC's privileges, the owner's), as PostgreSQL's `acldefault` gives them.
    let (world, mine) = match to_text(kind).as_str() {
        "r" => ("", "arwdDxt"),
        "s" => ("", "rwU"),
        "n" => ("", "UC"),
        "d" => ("Tc", "CTc"),
        "f" => ("X", "X"),
        "l" | "T" => ("U", "U"),
        "L" => ("", "rw"),
        "t" => ("", "C"),
        "F" | "S" => ("", "U"),
        "c" | "p" => ("", ""),
        other => return Err(Error::invalid(format!("unrecognized object type abbreviation: {other}"))),
    };
    let mut items = vec![];
    if !world.is_empty() {
        items.push(format!("={world}/{name}"));
    }
    if !mine.is_empty() {
        items.push(format!("{name}={mine}/{name}"));
    }
    Ok(Value::Text(privileges::acl_array(&items)))
}
