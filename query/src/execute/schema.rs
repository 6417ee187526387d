//! Running CREATE SCHEMA, the last step of DROP SCHEMA, and ALTER SCHEMA … OWNER TO.
//!
//! A schema is a record in the engine (its name and id) and a privileges record (its owner
//! and ACL), as PostgreSQL's `pg_namespace` row is.

use braid_engine::roles::Object;
use braid_engine::{Privileges, Txn};

use crate::error::{Error, Result};
use crate::privileges;
use crate::session::Session;

/// `CREATE SCHEMA name [AUTHORIZATION role]`: only the database's owner (a superuser) may,
/// as PostgreSQL grants CREATE on a database to nobody else by default.
pub(super) fn create(
    txn: &mut Txn,
    session: &Session,
    name: &str,
    owner: Option<&str>,
    if_not_exists: bool,
) -> Result<()> {
    let current = privileges::current_role(txn, session)?;
    if !current.superuser {
        return Err(Error::InsufficientPrivilege(format!("permission denied for database {}", session.database())));
    }
    if crate::names::Schemas::load(txn)?.exists(name) {
        return if if_not_exists { Ok(()) } else { Err(Error::AlreadyExists { kind: "schema", name: name.into() }) };
    }
    let owner = match owner {
        Some(role) => txn.role(role)?.ok_or_else(|| Error::not_found("role", role))?.oid,
        None => current.oid,
    };
    if name == crate::names::PUBLIC {
        // `public` has no record (and keeps its OID); it was dropped, and is back.
        txn.set_public_schema_dropped(false)?;
    } else {
        txn.create_schema(name)?;
    }
    txn.set_privileges(&Object::Schema(name.to_string()), Some(&Privileges::owned_by(owner)))?;
    Ok(())
}

/// Drops a schema's record, its privileges and its comment (what it held is gone by now).
pub(super) fn drop(txn: &mut Txn, session: &Session, name: &str) -> Result<()> {
    require_owner(txn, session, name)?;
    if name == crate::names::PUBLIC {
        txn.set_public_schema_dropped(true)?;
    } else {
        txn.drop_schema(name)?;
    }
    txn.set_privileges(&Object::Schema(name.to_string()), None)?;
    let comment =
        braid_engine::CommentTarget { kind: braid_engine::CommentKind::Schema, name: name.into(), column: None };
    Ok(txn.set_comment(&comment, None)?)
}

/// `ALTER SCHEMA name OWNER TO role` (`None`: the current user).
pub(super) fn change_owner(txn: &mut Txn, session: &Session, name: &str, role: Option<&str>) -> Result<()> {
    require_owner(txn, session, name)?;
    let current = privileges::current_role(txn, session)?;
    let new = match role {
        Some(role) => txn.role(role)?.ok_or_else(|| Error::not_found("role", role))?,
        None => current.clone(),
    };
    if !current.superuser && new.oid != current.oid {
        return Err(Error::InsufficientPrivilege(format!("must be member of role \"{}\"", new.name)));
    }
    let object = Object::Schema(name.to_string());
    let mut p = privileges::privileges_of(txn, &object)?;
    p.change_owner(new.oid);
    Ok(txn.set_privileges(&object, Some(&p))?)
}

fn require_owner(txn: &Txn, session: &Session, name: &str) -> Result<()> {
    let current = privileges::current_role(txn, session)?;
    let owner = privileges::privileges_of(txn, &Object::Schema(name.to_string()))?.owner;
    if current.superuser || current.oid == owner {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!("must be owner of schema {name}")))
}
