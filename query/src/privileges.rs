//! Privileges, enforced as PostgreSQL enforces them.
//!
//! The records are the engine's (`braid_engine::roles`): roles, and each object's owner and
//! ACL. This module decides with them:
//!
//! - **Statements that read or write rows.** The binder notes every relation a statement
//!   touches and the privilege it needs ([`Access`]: SELECT to read, INSERT / UPDATE /
//!   DELETE to write); [`check`] tests them each time the statement runs, against the
//!   current role — so a cached plan is re-checked after a GRANT or a `SET ROLE`, as
//!   PostgreSQL checks at executor start. The relations a view reads are checked against
//!   the view's owner, not the caller ([`Access::as_role`]). A superuser passes every
//!   check; so does the owner of an object while it keeps its privileges in the ACL.
//! - **DDL.** Dropping or altering a relation needs its ownership ([`require_owner`]);
//!   creating one needs CREATE on schema `public` ([`require_create`]), which PostgreSQL 15
//!   gives only the database owner (here: the bootstrap superuser) until granted.
//! - **Roles and grants.** CREATE / ALTER / DROP ROLE and GRANT / REVOKE run here
//!   ([`create_role`], [`alter_role`], [`drop_role`], [`grant`]).
//!
//! Messages and SQLSTATEs are PostgreSQL 15's (`permission denied for table t`, 42501;
//! `must be owner of table t`, 42501; `role "r" cannot be dropped because some objects
//! depend on it`, 2BP01). Not kept: role membership (`GRANT role TO role`), column
//! privileges, `GRANTED BY`, default privileges, row-level security.

use braid_engine::Txn;
use braid_engine::roles::{self as acl, BOOTSTRAP_OID, Object, PUBLIC, Privilege, Privileges, RoleDef};

use crate::error::{Error, Result};
use crate::plan::{Grant, GrantObjects, RoleOptions};
use crate::session::Session;
use crate::source::system::DATABASE_OWNER_OID;

/// What kind of relation a name is, for messages and the privileges it can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Table,
    View,
    Sequence,
}

impl RelKind {
    /// The noun PostgreSQL's messages use.
    pub fn noun(self) -> &'static str {
        match self {
            RelKind::Table => "table",
            RelKind::View => "view",
            RelKind::Sequence => "sequence",
        }
    }

    /// Every privilege a relation of this kind has.
    pub fn all(self) -> Privilege {
        match self {
            RelKind::Table | RelKind::View => acl::ALL_ON_TABLE,
            RelKind::Sequence => acl::ALL_ON_SEQUENCE,
        }
    }

    /// The kind of relation `name` is, if it is one.
    pub fn of(txn: &Txn, name: &str) -> Result<Option<RelKind>> {
        Ok(if txn.has_table(name)? {
            Some(RelKind::Table)
        } else if crate::bind::load_view(txn, name)?.is_some() {
            Some(RelKind::View)
        } else if txn.sequence(name)?.is_some() {
            Some(RelKind::Sequence)
        } else {
            None
        })
    }
}

/// A privilege a statement needs on a relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub relation: String,
    pub kind: RelKind,
    pub privilege: Privilege,
    /// The role to check instead of the current one: the owner of the view through which
    /// the relation is read.
    pub as_role: Option<u32>,
}

/// A role that is not (or no longer) in the catalog: it holds PUBLIC's privileges only.
fn nobody(name: &str) -> RoleDef {
    RoleDef { oid: u32::MAX, ..RoleDef::new(name) }
}

/// The current role (`current_user`).
pub fn current_role(txn: &Txn, session: &Session) -> Result<RoleDef> {
    let name = session.role();
    Ok(txn.role(&name)?.unwrap_or_else(|| nobody(&name)))
}

fn role_by_oid(txn: &Txn, oid: u32) -> Result<Option<RoleDef>> {
    Ok(txn.roles()?.into_iter().find(|r| r.oid == oid))
}

/// A role's name by OID, as the catalogs and `aclitem` text show it.
pub fn role_name(roles: &[RoleDef], oid: u32) -> String {
    match roles.iter().find(|r| r.oid == oid) {
        Some(r) => r.name.clone(),
        None if i64::from(oid) == DATABASE_OWNER_OID => "pg_database_owner".into(),
        None => oid.to_string(),
    }
}

/// A role's name as `aclitem` text writes it: double-quoted unless it is all letters,
/// digits and underscores (PostgreSQL's `putid`).
pub fn acl_name(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `aclitem` texts as an `aclitem[]` literal: `{a,b}`, an item quoted (with `\"` and `\\`)
/// where the array syntax needs it (PostgreSQL's `array_out`).
pub fn acl_array(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| {
            if i.is_empty() || i.chars().any(|c| matches!(c, '"' | ',' | '{' | '}' | '\\' | ' ')) {
                format!("\"{}\"", i.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                i.clone()
            }
        })
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// An object's owner and ACL: its record, or the bootstrap superuser's default (`public`:
/// `pg_database_owner`'s, as in PostgreSQL 15).
pub fn privileges_of(txn: &Txn, object: &Object) -> Result<Privileges> {
    let default_owner = match object {
        Object::Schema(_) => DATABASE_OWNER_OID as u32,
        Object::Relation(_) => BOOTSTRAP_OID,
    };
    Ok(txn.privileges(object)?.unwrap_or_else(|| Privileges::owned_by(default_owner)))
}

/// The ACL in force on a schema. By default its owner holds UC; on `public` PUBLIC also
/// holds U (PostgreSQL 15's `public`); on a schema CREATE SCHEMA made, nobody else does.
pub(crate) fn schema_acl(schema: &str, p: &Privileges) -> Vec<acl::AclItem> {
    let public_default = if schema == crate::names::PUBLIC { acl::USAGE } else { 0 };
    p.effective(acl::ALL_ON_SCHEMA, public_default)
}

/// The privileges `role` holds on `object` (and of those, the ones it may grant), owner
/// and superuser included.
fn held(txn: &Txn, role: &RoleDef, object: &Object, kind: Option<RelKind>) -> Result<(Privilege, Privilege)> {
    let p = privileges_of(txn, object)?;
    let all = kind.map_or(acl::ALL_ON_SCHEMA, RelKind::all);
    if role.superuser {
        return Ok((all, all));
    }
    // A role has what the roles it is a member of have (`GRANT role TO member`), as
    // PostgreSQL's INHERIT roles do; a member of the owning role is an owner.
    let roles = inherited_roles(txn, role)?;
    let owner = roles.contains(&p.owner) || (p.owner == DATABASE_OWNER_OID as u32 && role.oid == BOOTSTRAP_OID);
    let list = match object {
        Object::Schema(name) => schema_acl(name, &p),
        Object::Relation(_) => p.effective(all, 0),
    };
    let (mut privileges, mut grantable) = Privileges::held(&list, role.oid);
    for &other in roles.iter().skip(1) {
        privileges |= Privileges::held(&list, other).0;
    }
    if owner {
        // An owner may always grant what it holds (PostgreSQL's implicit grant options),
        // and `public`'s owner is whoever owns the database.
        if p.owner != role.oid {
            privileges |= Privileges::held(&list, p.owner).0;
        }
        grantable = privileges;
    }
    Ok((privileges, grantable))
}

/// `role` and the roles whose privileges it has: those it is a member of, and theirs in
/// turn, through roles that INHERIT (`role` first).
pub(crate) fn inherited_roles(txn: &Txn, role: &RoleDef) -> Result<Vec<u32>> {
    let mut roles = vec![role.oid];
    if !role.inherit {
        return Ok(roles);
    }
    let memberships = txn.memberships()?;
    if memberships.is_empty() {
        return Ok(roles);
    }
    let all = txn.roles()?;
    let inherits = |oid: u32| all.iter().any(|r| r.oid == oid && r.inherit);
    let mut i = 0;
    while i < roles.len() {
        let member = roles[i];
        if i == 0 || inherits(member) {
            for m in memberships.iter().filter(|m| m.member == member) {
                if !roles.contains(&m.role) {
                    roles.push(m.role);
                }
            }
        }
        i += 1;
    }
    Ok(roles)
}

/// Whether `member` is a member of `role`, directly or through other roles.
pub(crate) fn is_member(txn: &Txn, member: u32, role: u32) -> Result<bool> {
    let memberships = txn.memberships()?;
    let mut reached = vec![member];
    let mut i = 0;
    while i < reached.len() {
        let at = reached[i];
        for m in memberships.iter().filter(|m| m.member == at) {
            if m.role == role {
                return Ok(true);
            }
            if !reached.contains(&m.role) {
                reached.push(m.role);
            }
        }
        i += 1;
    }
    Ok(false)
}

/// `GRANT role, … TO member, … [WITH ADMIN OPTION]` (`grant`) or `REVOKE [ADMIN OPTION
/// FOR] role, … FROM member, …`, with PostgreSQL 15's checks: a superuser, a CREATEROLE
/// role (for roles that are not superusers) or a member holding the role WITH ADMIN OPTION
/// may; a role may not become a member of itself, directly or not.
pub(crate) fn membership(
    txn: &mut Txn,
    session: &Session,
    grant: bool,
    roles: &[String],
    members: &[String],
    admin: bool,
) -> Result<()> {
    let current = current_role(txn, session)?;
    let grantor = if current.oid == u32::MAX { BOOTSTRAP_OID } else { current.oid };
    for name in roles {
        let role = txn.role(name)?.ok_or_else(|| Error::not_found("role", name))?;
        let holds_admin = txn.memberships()?.iter().any(|m| m.role == role.oid && m.member == current.oid && m.admin);
        let allowed = current.superuser || (current.create_role && !role.superuser) || holds_admin;
        if !allowed {
            return Err(Error::InsufficientPrivilege(format!("must have admin option on role \"{name}\"")));
        }
        for member_name in members {
            let member = txn.role(member_name)?.ok_or_else(|| Error::not_found("role", member_name))?;
            let existing = txn.memberships()?.into_iter().find(|m| m.role == role.oid && m.member == member.oid);
            if grant {
                if member.oid == role.oid || is_member(txn, role.oid, member.oid)? {
                    return Err(Error::InvalidGrantOperation(format!(
                        "role \"{name}\" is a member of role \"{member_name}\""
                    )));
                }
                let admin = admin || existing.is_some_and(|m| m.admin);
                let grantor = existing.map_or(grantor, |m| m.grantor);
                txn.grant_membership(&braid_engine::Membership { role: role.oid, member: member.oid, grantor, admin })?;
            } else if let Some(m) = existing {
                if admin {
                    txn.grant_membership(&braid_engine::Membership { admin: false, ..m })?;
                } else {
                    txn.revoke_membership(role.oid, member.oid)?;
                }
            }
        }
    }
    Ok(())
}

/// Whether `role` holds every privilege of `privilege` on relation `name`.
pub fn has_relation_privilege(txn: &Txn, role: &RoleDef, name: &str, privilege: Privilege) -> Result<bool> {
    let kind = RelKind::of(txn, name)?.unwrap_or(RelKind::Table);
    Ok(held(txn, role, &Object::Relation(name.to_string()), Some(kind))?.0 & privilege == privilege)
}

/// Whether `role` holds `privilege` on schema `name`.
pub fn has_schema_privilege(txn: &Txn, role: &RoleDef, name: &str, privilege: Privilege) -> Result<bool> {
    Ok(held(txn, role, &Object::Schema(name.to_string()), None)?.0 & privilege == privilege)
}

fn denied(kind: RelKind, name: &str) -> Error {
    Error::InsufficientPrivilege(format!("permission denied for {} {name}", kind.noun()))
}

/// Fails with 42501 unless the current role (or, through a view, the view's owner) holds
/// every privilege the statement needs. `generation` is the schema's: whether the current
/// role is a superuser is remembered for it.
pub(crate) fn check(accesses: &[Access], txn: &Txn, session: &Session, generation: u64) -> Result<()> {
    if accesses.is_empty() {
        return Ok(());
    }
    let direct = accesses.iter().all(|a| a.as_role.is_none());
    if direct && session.cached_superuser(generation) == Some(true) {
        return Ok(());
    }
    let current = current_role(txn, session)?;
    session.cache_superuser(generation, current.superuser);
    if current.superuser && direct {
        return Ok(());
    }
    for access in accesses {
        let role = match access.as_role {
            Some(oid) => role_by_oid(txn, oid)?.unwrap_or_else(|| nobody("")),
            None => current.clone(),
        };
        // Reaching into a schema takes USAGE on it.
        let schema = crate::names::split(&access.relation).0;
        if schema != crate::names::PUBLIC && !has_schema_privilege(txn, &role, schema, acl::USAGE)? {
            return Err(Error::InsufficientPrivilege(format!("permission denied for schema {schema}")));
        }
        if !has_relation_privilege(txn, &role, &access.relation, access.privilege)? {
            return Err(denied(access.kind, &access.relation));
        }
    }
    Ok(())
}

/// `nextval` / `setval` / `currval` of a sequence: any one of `accepted` will do
/// (PostgreSQL: USAGE or UPDATE for `nextval`, UPDATE for `setval`, USAGE or SELECT for
/// `currval`).
pub(crate) fn check_sequence(txn: &Txn, session: &Session, name: &str, accepted: Privilege) -> Result<()> {
    let role = current_role(txn, session)?;
    if role.superuser {
        return Ok(());
    }
    let (held, _) = held(txn, &role, &Object::Relation(name.to_string()), Some(RelKind::Sequence))?;
    if held & accepted == 0 {
        return Err(denied(RelKind::Sequence, name));
    }
    Ok(())
}

/// Whether the current role owns relation `name` or is a superuser (a name that is no
/// relation's passes: the statement reports it missing).
pub(crate) fn is_owner(txn: &Txn, session: &Session, name: &str) -> Result<bool> {
    if RelKind::of(txn, name)?.is_none() {
        return Ok(true);
    }
    let role = current_role(txn, session)?;
    Ok(role.superuser || privileges_of(txn, &Object::Relation(name.to_string()))?.owner == role.oid)
}

/// Fails with 42501 unless the current role owns relation `name` (or is a superuser).
pub(crate) fn require_owner(txn: &Txn, session: &Session, name: &str) -> Result<()> {
    if is_owner(txn, session, name)? {
        return Ok(());
    }
    let kind = RelKind::of(txn, name)?.unwrap_or(RelKind::Table);
    Err(Error::InsufficientPrivilege(format!("must be owner of {} {name}", kind.noun())))
}

/// Fails with 42501 unless the current role may create relation `stored` in its schema.
pub(crate) fn require_create(txn: &Txn, session: &Session, stored: &str) -> Result<()> {
    let role = current_role(txn, session)?;
    let schema = crate::names::split(stored).0;
    if has_schema_privilege(txn, &role, schema, acl::CREATE)? {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!("permission denied for schema {schema}")))
}

/// Records a new relation as the current role's.
pub(crate) fn record_owner(txn: &mut Txn, session: &Session, name: &str) -> Result<()> {
    let owner = current_role(txn, session)?.oid;
    let owner = if owner == u32::MAX { BOOTSTRAP_OID } else { owner };
    txn.set_privileges(&Object::Relation(name.to_string()), Some(&Privileges::owned_by(owner)))?;
    Ok(())
}

/// Moves a relation's record to its new name (ALTER TABLE … RENAME TO).
pub(crate) fn rename_relation(txn: &mut Txn, from: &str, to: &str) -> Result<()> {
    let (old, new) = (Object::Relation(from.to_string()), Object::Relation(to.to_string()));
    let record = txn.privileges(&old)?;
    txn.set_privileges(&old, None)?;
    txn.set_privileges(&new, record.as_ref())?;
    Ok(())
}

/// `ALTER TABLE name OWNER TO role` (`None`: the current role).
pub(crate) fn change_owner(txn: &mut Txn, session: &Session, name: &str, role: Option<&str>) -> Result<()> {
    if RelKind::of(txn, name)?.is_none() {
        return Err(Error::not_found("relation", name));
    }
    require_owner(txn, session, name)?;
    let current = current_role(txn, session)?;
    let new = match role {
        Some(role) => txn.role(role)?.ok_or_else(|| Error::not_found("role", role))?,
        None => current.clone(),
    };
    if !current.superuser && new.oid != current.oid {
        return Err(Error::InsufficientPrivilege(format!("must be member of role \"{}\"", new.name)));
    }
    // The sequences OWNED BY the table's columns go with it, as in PostgreSQL.
    let owned = txn.sequences()?.into_iter().filter(|s| s.owned_by.as_ref().is_some_and(|(t, _)| t == name));
    let names: Vec<String> = std::iter::once(name.to_string()).chain(owned.map(|s| s.name)).collect();
    for name in names {
        let object = Object::Relation(name);
        let mut p = privileges_of(txn, &object)?;
        p.change_owner(new.oid);
        txn.set_privileges(&object, Some(&p))?;
    }
    Ok(())
}

/// `SET ROLE role`: the session's user must be a superuser, be that role, or be a member
/// of it (directly or through other roles, INHERIT or not); `None` (back to the session's
/// user) is always allowed.
pub(crate) fn may_set_role(txn: &Txn, session: &Session, role: Option<&str>) -> Result<()> {
    let Some(role) = role else { return Ok(()) };
    let Some(target) = txn.role(role)? else { return Err(Error::not_found("role", role)) };
    let user = session.user();
    let Some(user_role) = txn.role(&user)? else {
        return Err(Error::InsufficientPrivilege(format!("permission denied to set role \"{role}\"")));
    };
    if user_role.superuser || user == role || is_member(txn, user_role.oid, target.oid)? {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!("permission denied to set role \"{role}\"")))
}

/// `SET SESSION AUTHORIZATION user`: only a session that logged in as a superuser may.
pub(crate) fn may_set_session_user(txn: &Txn, session: &Session, user: Option<&str>) -> Result<()> {
    let Some(user) = user else { return Ok(()) };
    if txn.role(user)?.is_none() {
        return Err(Error::not_found("role", user));
    }
    let login = session.login();
    if login == user || txn.role(&login)?.is_some_and(|r| r.superuser) {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege("permission denied to set session authorization".into()))
}

// ---- roles ----

/// Who may create, alter or drop role `target`: a superuser, or a CREATEROLE role for
/// roles that are not superusers (PostgreSQL 15).
fn may_manage(current: &RoleDef, target_superuser: bool) -> bool {
    current.superuser || (current.create_role && !target_superuser)
}

fn apply(role: &mut RoleDef, o: &RoleOptions) {
    let set = |field: &mut bool, value: Option<bool>| {
        if let Some(v) = value {
            *field = v;
        }
    };
    set(&mut role.superuser, o.superuser);
    set(&mut role.create_db, o.create_db);
    set(&mut role.create_role, o.create_role);
    set(&mut role.inherit, o.inherit);
    set(&mut role.can_login, o.login);
    set(&mut role.replication, o.replication);
    set(&mut role.bypass_rls, o.bypass_rls);
    if let Some(limit) = o.connection_limit {
        role.connection_limit = limit;
    }
    if let Some(password) = &o.password {
        role.password = password.clone();
    }
    if let Some(until) = &o.valid_until {
        role.valid_until = Some(until.clone());
    }
}

/// PostgreSQL reserves role names that start with `pg_` (42939).
fn check_name(name: &str) -> Result<()> {
    if name.starts_with("pg_") {
        return Err(Error::ReservedName(format!("role name \"{name}\" is reserved")));
    }
    if name.eq_ignore_ascii_case("public") || name.eq_ignore_ascii_case("none") {
        return Err(Error::ReservedName(format!("role name \"{name}\" is reserved")));
    }
    Ok(())
}

pub(crate) fn create_role(txn: &mut Txn, session: &Session, name: &str, options: &RoleOptions) -> Result<()> {
    let current = current_role(txn, session)?;
    let superuser = options.superuser == Some(true);
    if !may_manage(&current, superuser) {
        return Err(Error::InsufficientPrivilege(if superuser {
            "must be superuser to create superusers".into()
        } else {
            "permission denied to create role".into()
        }));
    }
    check_name(name)?;
    if txn.role(name)?.is_some() {
        return Err(Error::AlreadyExists { kind: "role", name: name.to_string() });
    }
    let mut role = RoleDef::new(name);
    apply(&mut role, options);
    txn.create_role(role)?;
    Ok(())
}

pub(crate) fn alter_role(
    txn: &mut Txn,
    session: &Session,
    name: &str,
    options: &RoleOptions,
    rename: Option<&str>,
) -> Result<()> {
    let current = current_role(txn, session)?;
    let Some(mut role) = txn.role(name)? else { return Err(Error::not_found("role", name)) };
    let only_password = *options == RoleOptions { password: options.password.clone(), ..RoleOptions::default() };
    let own_password = role.oid == current.oid && only_password && rename.is_none();
    let superuser_change = role.superuser || options.superuser == Some(true);
    if !own_password && !may_manage(&current, superuser_change) {
        return Err(Error::InsufficientPrivilege(if rename.is_some() {
            "permission denied to rename role".into()
        } else if superuser_change {
            "must be superuser to alter superuser roles or change superuser attribute".into()
        } else {
            "permission denied".into()
        }));
    }
    if let Some(new) = rename {
        if name == session.user() {
            return Err(Error::unsupported("session user cannot be renamed"));
        }
        if name == session.role() {
            return Err(Error::unsupported("current user cannot be renamed"));
        }
        check_name(new)?;
        if txn.role(new)?.is_some() {
            return Err(Error::AlreadyExists { kind: "role", name: new.to_string() });
        }
        role.name = new.to_string();
    }
    apply(&mut role, options);
    txn.alter_role(name, &role)?;
    Ok(())
}

pub(crate) fn drop_role(txn: &mut Txn, session: &Session, name: &str, if_exists: bool) -> Result<()> {
    let current = current_role(txn, session)?;
    let Some(role) = txn.role(name)? else {
        return if if_exists { Ok(()) } else { Err(Error::not_found("role", name)) };
    };
    if !may_manage(&current, role.superuser) {
        return Err(Error::InsufficientPrivilege("permission denied to drop role".into()));
    }
    if name == session.role() {
        return Err(Error::ObjectInUse("current user cannot be dropped".into()));
    }
    if name == session.user() {
        return Err(Error::ObjectInUse("session user cannot be dropped".into()));
    }
    if role.oid == BOOTSTRAP_OID {
        return Err(Error::DependentObjects(format!(
            "cannot drop role {name} because it is required by the database system"
        )));
    }
    // Listed in OID order, as PostgreSQL lists them.
    let mut details = vec![];
    for (object, p) in txn.all_privileges()? {
        if !p.mentions(role.oid) {
            continue;
        }
        let (oid, what) = match &object {
            Object::Relation(r) => {
                let kind = RelKind::of(txn, r)?.unwrap_or(RelKind::Table);
                (relation_oid(txn, r)?, format!("{} {r}", kind.noun()))
            }
            Object::Schema(s) => (crate::names::Schemas::load(txn)?.oid(s).unwrap_or(0), format!("schema {s}")),
        };
        let detail = if p.owner == role.oid { format!("owner of {what}") } else { format!("privileges for {what}") };
        details.push((oid, detail));
    }
    details.sort();
    let details: Vec<String> = details.into_iter().map(|(_, d)| d).collect();
    if !details.is_empty() {
        return Err(Error::DependentObjects(format!(
            "role \"{name}\" cannot be dropped because some objects depend on it\nDETAIL:  {}",
            details.join("\n")
        )));
    }
    for m in txn.memberships()?.into_iter().filter(|m| m.role == role.oid || m.member == role.oid) {
        txn.revoke_membership(m.role, m.member)?;
    }
    txn.drop_role(name)?;
    Ok(())
}

/// A relation's OID, as the catalogs give it (0 if it has none any more).
fn relation_oid(txn: &Txn, name: &str) -> Result<i64> {
    if let Some(s) = txn.sequence(name)? {
        return Ok(crate::functions::sequence_oid(&s));
    }
    let views: Vec<String> = crate::bind::ddl::views(txn)?.into_iter().map(|(n, _)| n).collect();
    Ok(crate::source::system::relation_oid(&txn.tables()?, &views, name).unwrap_or(0))
}

// ---- GRANT and REVOKE ----

/// The objects a GRANT names, each with its kind (`None`: a schema).
fn targets(txn: &Txn, objects: &GrantObjects) -> Result<Vec<(Object, Option<RelKind>, String)>> {
    let known = crate::names::Schemas::load(txn)?;
    let schema =
        |s: &String| -> Result<()> { if known.exists(s) { Ok(()) } else { Err(Error::not_found("schema", s)) } };
    let in_schemas = |name: &str, schemas: &[String]| schemas.iter().any(|s| s == crate::names::split(name).0);
    let mut out = vec![];
    match objects {
        GrantObjects::Tables(names) | GrantObjects::Sequences(names) => {
            for name in names {
                let kind = RelKind::of(txn, name)?.ok_or_else(|| Error::not_found("relation", name))?;
                if matches!(objects, GrantObjects::Sequences(_)) && kind != RelKind::Sequence {
                    return Err(Error::WrongObjectType(format!("\"{name}\" is not a sequence")));
                }
                out.push((Object::Relation(name.clone()), Some(kind), name.clone()));
            }
        }
        GrantObjects::AllTablesInSchema(schemas) => {
            schemas.iter().try_for_each(schema)?;
            for t in txn.tables()?.into_iter().filter(|t| in_schemas(&t.name, schemas)) {
                out.push((Object::Relation(t.name.clone()), Some(RelKind::Table), t.name));
            }
            for (v, _) in crate::bind::ddl::views(txn)?.into_iter().filter(|(v, _)| in_schemas(v, schemas)) {
                out.push((Object::Relation(v.clone()), Some(RelKind::View), v));
            }
        }
        GrantObjects::AllSequencesInSchema(schemas) => {
            schemas.iter().try_for_each(schema)?;
            for s in txn.sequences()?.into_iter().filter(|s| in_schemas(&s.name, schemas)) {
                out.push((Object::Relation(s.name.clone()), Some(RelKind::Sequence), s.name));
            }
        }
        GrantObjects::Schemas(names) => {
            for name in names {
                schema(name)?;
                out.push((Object::Schema(name.clone()), None, name.clone()));
            }
        }
    }
    Ok(out)
}

/// The letters of privilege bits, for messages (`invalid privilege type USAGE for table`).
fn privilege_name(bit: Privilege) -> &'static str {
    match bit {
        acl::INSERT => "INSERT",
        acl::SELECT => "SELECT",
        acl::UPDATE => "UPDATE",
        acl::DELETE => "DELETE",
        acl::TRUNCATE => "TRUNCATE",
        acl::REFERENCES => "REFERENCES",
        acl::TRIGGER => "TRIGGER",
        acl::USAGE => "USAGE",
        _ => "CREATE",
    }
}

pub(crate) fn grant(txn: &mut Txn, session: &Session, g: &Grant) -> Result<()> {
    let current = current_role(txn, session)?;
    let mut grantees = Vec::with_capacity(g.grantees.len());
    for name in &g.grantees {
        grantees.push(match name {
            None => PUBLIC,
            Some(name) => txn.role(name)?.ok_or_else(|| Error::not_found("role", name))?.oid,
        });
    }
    for (object, kind, name) in targets(txn, &g.objects)? {
        let all = kind.map_or(acl::ALL_ON_SCHEMA, RelKind::all);
        let mut wanted = g.privileges.unwrap_or(all);
        if wanted & !all != 0 {
            // A sequence named by GRANT … ON TABLE gets what a sequence can have.
            if kind == Some(RelKind::Sequence) && matches!(g.objects, GrantObjects::Tables(_)) {
                wanted &= all;
            } else {
                let bad = (0..32).map(|b| 1 << b).find(|b| wanted & !all & b != 0).unwrap_or(0);
                let noun = kind.map_or("schema", |k| if k == RelKind::View { "table" } else { k.noun() });
                return Err(Error::InvalidGrantOperation(format!(
                    "invalid privilege type {} for {noun}",
                    privilege_name(bad)
                )));
            }
        }
        let mut p = privileges_of(txn, &object)?;
        let (held, grantable) = held(txn, &current, &object, kind)?;
        // A superuser's or the owner's grants are the owner's; anyone else grants what it
        // holds with grant option, in its own name (and nothing, without one: PostgreSQL
        // warns and goes on).
        let owner_like = current.superuser
            || p.owner == current.oid
            || (p.owner == DATABASE_OWNER_OID as u32 && current.oid == BOOTSTRAP_OID);
        let (grantor, may) = if owner_like { (p.owner, all) } else { (current.oid, grantable) };
        if held == 0 && !owner_like {
            return Err(match kind {
                Some(k) => denied(k, &name),
                None => Error::InsufficientPrivilege(format!("permission denied for schema {name}")),
            });
        }
        let wanted = wanted & may;
        if wanted == 0 {
            continue;
        }
        let mut list = match &object {
            Object::Relation(_) => p.effective(all, 0),
            Object::Schema(schema) => schema_acl(schema, &p),
        };
        for &grantee in &grantees {
            if g.revoke {
                Privileges::revoke(&mut list, grantee, grantor, wanted, g.grant_option);
            } else {
                Privileges::grant(&mut list, grantee, grantor, wanted, if g.grant_option { wanted } else { 0 });
            }
        }
        p.acl = Some(list);
        txn.set_privileges(&object, Some(&p))?;
    }
    Ok(())
}

/// `has_table_privilege` and kin: the privilege words PostgreSQL takes (`SELECT`, `select
/// with grant option`, several separated by commas: any of them) as bits, each with
/// whether its grant option is asked.
pub fn parse_privilege_words(text: &str) -> Result<Vec<(Privilege, bool)>> {
    text.split(',')
        .map(|word| {
            let word = word.trim().to_ascii_uppercase();
            let (word, option) = match word.strip_suffix("WITH GRANT OPTION") {
                Some(w) => (w.trim_end().to_string(), true),
                None => (word, false),
            };
            let bit = match word.as_str() {
                "SELECT" => acl::SELECT,
                "INSERT" => acl::INSERT,
                "UPDATE" => acl::UPDATE,
                "DELETE" => acl::DELETE,
                "TRUNCATE" => acl::TRUNCATE,
                "REFERENCES" => acl::REFERENCES,
                "TRIGGER" => acl::TRIGGER,
                "USAGE" => acl::USAGE,
                "CREATE" => acl::CREATE,
                // Privileges of objects Braid keeps no ACL for (databases, functions):
                // held by everyone, as PostgreSQL's defaults give them to PUBLIC.
                "CONNECT" | "TEMP" | "TEMPORARY" | "EXECUTE" => 0,
                _ => return Err(Error::invalid(format!("unrecognized privilege type: \"{}\"", word.to_lowercase()))),
            };
            Ok((bit, option))
        })
        .collect()
}

/// Whether `role` holds any of `wanted` on `object` (`kind` `None`: a schema).
pub fn holds_any(
    txn: &Txn,
    role: &RoleDef,
    object: &Object,
    kind: Option<RelKind>,
    wanted: &[(Privilege, bool)],
) -> Result<bool> {
    let (privileges, grantable) = held(txn, role, object, kind)?;
    Ok(wanted.iter().any(|&(bit, option)| {
        let from = if option { grantable } else { privileges };
        bit == 0 || from & bit == bit
    }))
}
