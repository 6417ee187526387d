//! Roles and privileges: who may log in, who owns each object, who may do what to it.
//!
//! Two kinds of catalog record, both rkyv archives beside the table definitions and written
//! through the same transactions (so `CREATE ROLE` and `GRANT` commit or roll back):
//!
//! ```text
//!  Meta "role:{name}"         → RoleDef     (pg_authid's row: flags, SCRAM verifier)
//!  Meta "acl:r:{relation}"    → Privileges  (a table's, view's or sequence's owner and ACL)
//!  Meta "acl:n:{schema}"      → Privileges  (a schema's)
//! ```
//!
//! Roles are referred to by OID, as PostgreSQL does, so renaming a role touches one record.
//! The bootstrap superuser ([`BOOTSTRAP_NAME`], OID [`BOOTSTRAP_OID`], PostgreSQL's OID of
//! the role `initdb` makes) exists in every database: when no record of it is stored, one
//! is made up on reading, so databases older than roles have it too.
//!
//! An object without a [`Privileges`] record is owned by the bootstrap superuser and has the
//! default ACL (`acl: None`, PostgreSQL's NULL `relacl`): its owner may do anything, nobody
//! else anything. That keeps databases made before ownership existed opening unchanged, with
//! no format change: the records are additive.
//!
//! Privilege bits and their letters are PostgreSQL's (`ACL_INSERT` = 1 ← `a`, …), so an
//! [`AclItem`] renders as PostgreSQL's `aclitem` text (`alice=arw*/braid`). Role membership
//! (`GRANT role TO role`) is not kept: a role has its own privileges and PUBLIC's.

use rkyv::rancor;

use crate::error::{Error, Result};
use crate::keys::{Key, KeyPrefix};
use crate::mvcc::Transaction;
use crate::storage::Storage;

/// The bootstrap superuser's name: `current_user` of an embedded connection.
pub const BOOTSTRAP_NAME: &str = "braid";
/// The bootstrap superuser's OID (PostgreSQL's `BOOTSTRAP_SUPERUSERID`).
pub const BOOTSTRAP_OID: u32 = 10;
/// The grantee OID standing for PUBLIC (every role), as in PostgreSQL's `aclitem`.
pub const PUBLIC: u32 = 0;
/// The first OID of a role made by CREATE ROLE (roles share the object id counter with
/// tables, whose OIDs start here too, so the two never collide).
pub const FIRST_ROLE_OID: u32 = 16384;

/// A role: PostgreSQL's `pg_authid` row.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct RoleDef {
    pub oid: u32,
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub can_login: bool,
    pub replication: bool,
    pub bypass_rls: bool,
    /// `CONNECTION LIMIT` (-1: none).
    pub connection_limit: i32,
    /// `rolpassword`: a SCRAM-SHA-256 verifier in PostgreSQL's text form
    /// (`SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`), never the password.
    pub password: Option<String>,
    /// `VALID UNTIL`, as the text of a timestamp with time zone.
    pub valid_until: Option<String>,
}

impl RoleDef {
    /// A role with PostgreSQL's CREATE ROLE defaults (NOLOGIN, INHERIT, nothing else).
    pub fn new(name: impl Into<String>) -> RoleDef {
        RoleDef {
            oid: 0,
            name: name.into(),
            superuser: false,
            inherit: true,
            create_role: false,
            create_db: false,
            can_login: false,
            replication: false,
            bypass_rls: false,
            connection_limit: -1,
            password: None,
            valid_until: None,
        }
    }

    /// The bootstrap superuser as `initdb` makes it.
    pub fn bootstrap() -> RoleDef {
        RoleDef {
            oid: BOOTSTRAP_OID,
            superuser: true,
            create_role: true,
            create_db: true,
            can_login: true,
            replication: true,
            bypass_rls: true,
            ..RoleDef::new(BOOTSTRAP_NAME)
        }
    }

    fn encode(&self) -> Result<Vec<u8>> {
        let bytes =
            rkyv::to_bytes::<rancor::Error>(self).map_err(|e| Error::invalid(format!("cannot encode role: {e}")))?;
        Ok(bytes.into_vec())
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        rkyv::from_bytes::<RoleDef, rancor::Error>(bytes).map_err(|e| Error::corrupt(format!("role: {e}")))
    }
}

/// What a [`Privileges`] record is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Object {
    /// A table, view or sequence (they share one namespace, as in PostgreSQL).
    Relation(String),
    Schema(String),
}

impl Object {
    fn key(&self) -> String {
        match self {
            Object::Relation(name) => format!("acl:r:{name}"),
            Object::Schema(name) => format!("acl:n:{name}"),
        }
    }

    fn from_key(key: &str) -> Result<Object> {
        match (key.strip_prefix("acl:r:"), key.strip_prefix("acl:n:")) {
            (Some(name), _) => Ok(Object::Relation(name.to_string())),
            (_, Some(name)) => Ok(Object::Schema(name.to_string())),
            _ => Err(Error::corrupt(format!("privileges key {key}"))),
        }
    }
}

/// One privilege bit (PostgreSQL's `AclMode`).
pub type Privilege = u32;
pub const INSERT: Privilege = 1 << 0;
pub const SELECT: Privilege = 1 << 1;
pub const UPDATE: Privilege = 1 << 2;
pub const DELETE: Privilege = 1 << 3;
pub const TRUNCATE: Privilege = 1 << 4;
pub const REFERENCES: Privilege = 1 << 5;
pub const TRIGGER: Privilege = 1 << 6;
pub const USAGE: Privilege = 1 << 8;
pub const CREATE: Privilege = 1 << 9;

/// Every privilege a table or view has (`arwdDxt`).
pub const ALL_ON_TABLE: Privilege = INSERT | SELECT | UPDATE | DELETE | TRUNCATE | REFERENCES | TRIGGER;
/// Every privilege a sequence has (`rwU`).
pub const ALL_ON_SEQUENCE: Privilege = SELECT | UPDATE | USAGE;
/// Every privilege a schema has (`UC`).
pub const ALL_ON_SCHEMA: Privilege = USAGE | CREATE;

/// The letters of `aclitem` text, bit by bit (PostgreSQL's `ACL_ALL_RIGHTS_STR`).
const LETTERS: &[(Privilege, char)] = &[
    (INSERT, 'a'),
    (SELECT, 'r'),
    (UPDATE, 'w'),
    (DELETE, 'd'),
    (TRUNCATE, 'D'),
    (REFERENCES, 'x'),
    (TRIGGER, 't'),
    (USAGE, 'U'),
    (CREATE, 'C'),
];

/// One entry of an ACL: what `grantor` granted `grantee` ([`PUBLIC`] for everyone), and
/// which of those privileges the grantee may grant on (`WITH GRANT OPTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct AclItem {
    pub grantee: u32,
    pub grantor: u32,
    pub privileges: Privilege,
    pub grantable: Privilege,
}

impl AclItem {
    /// PostgreSQL's `aclitem` text: `grantee=privileges/grantor`, an empty grantee for
    /// PUBLIC, `*` after a privilege held with grant option. `name` names a role by OID.
    pub fn text(&self, name: impl Fn(u32) -> String) -> String {
        let mut out = if self.grantee == PUBLIC { String::new() } else { name(self.grantee) };
        out.push('=');
        for (bit, letter) in LETTERS {
            if self.privileges & bit != 0 {
                out.push(*letter);
                if self.grantable & bit != 0 {
                    out.push('*');
                }
            }
        }
        out.push('/');
        out.push_str(&name(self.grantor));
        out
    }
}

/// An object's owner and access control list.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct Privileges {
    pub owner: u32,
    /// `None`: the default ACL, never granted or revoked (PostgreSQL's NULL `relacl`).
    pub acl: Option<Vec<AclItem>>,
}

impl Privileges {
    /// An object owned by `owner`, with the default ACL.
    pub fn owned_by(owner: u32) -> Privileges {
        Privileges { owner, acl: None }
    }

    /// The ACL in force: the stored one, or the default for an object whose privileges are
    /// `all` — its owner holds them all, and on a schema PUBLIC holds `public_default`
    /// (PostgreSQL 15's `public` schema: USAGE). An owner may always grant what it holds,
    /// so its entry carries no grant options, as in PostgreSQL's `acldefault`.
    pub fn effective(&self, all: Privilege, public_default: Privilege) -> Vec<AclItem> {
        if let Some(acl) = &self.acl {
            return acl.clone();
        }
        let mut acl = vec![AclItem { grantee: self.owner, grantor: self.owner, privileges: all, grantable: 0 }];
        if public_default != 0 {
            acl.push(AclItem { grantee: PUBLIC, grantor: self.owner, privileges: public_default, grantable: 0 });
        }
        acl
    }

    /// The privileges `role` holds (its own and PUBLIC's) out of an ACL.
    pub fn held(acl: &[AclItem], role: u32) -> (Privilege, Privilege) {
        acl.iter()
            .filter(|i| i.grantee == role || i.grantee == PUBLIC)
            .fold((0, 0), |(p, g), i| (p | i.privileges, g | i.grantable))
    }

    /// Adds `privileges` (and `grantable` of them with grant option) granted by `grantor`
    /// to `grantee`, merging with what `grantor` had granted it already.
    pub fn grant(acl: &mut Vec<AclItem>, grantee: u32, grantor: u32, privileges: Privilege, grantable: Privilege) {
        match acl.iter_mut().find(|i| i.grantee == grantee && i.grantor == grantor) {
            Some(item) => {
                item.privileges |= privileges;
                item.grantable |= grantable;
            }
            None => acl.push(AclItem { grantee, grantor, privileges, grantable }),
        }
    }

    /// Takes `privileges` granted by `grantor` from `grantee` (only the grant option of
    /// them if `option_only`); entries left with nothing go.
    pub fn revoke(acl: &mut Vec<AclItem>, grantee: u32, grantor: u32, privileges: Privilege, option_only: bool) {
        for item in acl.iter_mut().filter(|i| i.grantee == grantee && i.grantor == grantor) {
            if !option_only {
                item.privileges &= !privileges;
            }
            item.grantable &= !privileges & item.privileges;
        }
        acl.retain(|i| i.privileges != 0);
    }

    /// Gives the object to `new`: the old owner's entries, as grantee and as grantor, become
    /// the new owner's (PostgreSQL's `aclnewowner`).
    pub fn change_owner(&mut self, new: u32) {
        let old = self.owner;
        self.owner = new;
        if let Some(acl) = self.acl.take() {
            let mut merged = Vec::with_capacity(acl.len());
            for mut item in acl {
                item.grantee = if item.grantee == old { new } else { item.grantee };
                item.grantor = if item.grantor == old { new } else { item.grantor };
                Privileges::grant(&mut merged, item.grantee, item.grantor, item.privileges, item.grantable);
            }
            self.acl = Some(merged);
        }
    }

    /// Whether `role` appears in this record: as owner, grantee or grantor.
    pub fn mentions(&self, role: u32) -> bool {
        self.owner == role || self.acl.iter().flatten().any(|i| i.grantee == role || i.grantor == role)
    }

    fn encode(&self) -> Result<Vec<u8>> {
        let bytes = rkyv::to_bytes::<rancor::Error>(self)
            .map_err(|e| Error::invalid(format!("cannot encode privileges: {e}")))?;
        Ok(bytes.into_vec())
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        rkyv::from_bytes::<Privileges, rancor::Error>(bytes).map_err(|e| Error::corrupt(format!("privileges: {e}")))
    }
}

fn role_key(name: &str) -> Vec<u8> {
    Key::Meta(&format!("role:{name}")).encode()
}

/// A role by name; the bootstrap superuser is there even when no record of it is stored.
pub(crate) fn get_role<S: Storage>(txn: &Transaction<S>, name: &str) -> Result<Option<RoleDef>> {
    match txn.get(&role_key(name))? {
        Some(bytes) => Ok(Some(RoleDef::decode(&bytes)?)),
        None if name == BOOTSTRAP_NAME && !bootstrap_stored(txn)? => Ok(Some(RoleDef::bootstrap())),
        None => Ok(None),
    }
}

/// Whether the bootstrap superuser has a record of its own (it was altered or renamed).
fn bootstrap_stored<S: Storage>(txn: &Transaction<S>) -> Result<bool> {
    Ok(txn.get(&Key::Meta("role-bootstrap-stored").encode())?.is_some())
}

/// Every role, by name.
pub(crate) fn list_roles<S: Storage>(txn: &Transaction<S>) -> Result<Vec<RoleDef>> {
    let mut roles: Vec<RoleDef> = txn
        .scan_prefix(&KeyPrefix::MetaStartingWith("role:").encode())?
        .map(|item| RoleDef::decode(&item?.1))
        .collect::<Result<_>>()?;
    if !bootstrap_stored(txn)? {
        roles.push(RoleDef::bootstrap());
    }
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(roles)
}

/// Stores a role under its name (`old_name`: the name it was stored under, when renamed).
pub(crate) fn put_role<S: Storage>(txn: &mut Transaction<S>, role: &RoleDef, old_name: Option<&str>) -> Result<()> {
    if let Some(old) = old_name.filter(|old| *old != role.name) {
        txn.delete(role_key(old))?;
    }
    if role.oid == BOOTSTRAP_OID {
        txn.set(Key::Meta("role-bootstrap-stored").encode(), vec![1])?;
    }
    txn.set(role_key(&role.name), role.encode()?)
}

pub(crate) fn delete_role<S: Storage>(txn: &mut Transaction<S>, name: &str) -> Result<()> {
    txn.delete(role_key(name))
}

/// `GRANT role TO member`: `member` is a member of `role` (PostgreSQL's `pg_auth_members`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub role: u32,
    pub member: u32,
    pub grantor: u32,
    /// `WITH ADMIN OPTION`: the member may grant the role on.
    pub admin: bool,
}

const MEMBERSHIP_PREFIX: &str = "member:";

fn membership_key(role: u32, member: u32) -> Vec<u8> {
    Key::Meta(&format!("{MEMBERSHIP_PREFIX}{role:010}:{member:010}")).encode()
}

pub(crate) fn put_membership<S: Storage>(txn: &mut Transaction<S>, m: &Membership) -> Result<()> {
    let mut value = m.grantor.to_be_bytes().to_vec();
    value.push(m.admin as u8);
    txn.set(membership_key(m.role, m.member), value)
}

pub(crate) fn delete_membership<S: Storage>(txn: &mut Transaction<S>, role: u32, member: u32) -> Result<()> {
    txn.delete(membership_key(role, member))
}

/// Every membership, by role then member.
pub(crate) fn list_memberships<S: Storage>(txn: &Transaction<S>) -> Result<Vec<Membership>> {
    txn.scan_prefix(&KeyPrefix::MetaStartingWith(MEMBERSHIP_PREFIX).encode())?
        .map(|item| {
            let (key, value) = item?;
            let key = crate::keys::decode_meta_key(key.as_ref())?;
            let bad = || Error::corrupt(format!("membership {key}"));
            let (role, member) = key[MEMBERSHIP_PREFIX.len()..].split_once(':').ok_or_else(bad)?;
            let value = value.as_ref();
            let grantor = value.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes).ok_or_else(bad)?;
            Ok(Membership {
                role: role.parse().map_err(|_| bad())?,
                member: member.parse().map_err(|_| bad())?,
                grantor,
                admin: value.get(4) == Some(&1),
            })
        })
        .collect()
}

pub(crate) fn get_privileges<S: Storage>(txn: &Transaction<S>, object: &Object) -> Result<Option<Privileges>> {
    txn.get(&Key::Meta(&object.key()).encode())?.map(|bytes| Privileges::decode(&bytes)).transpose()
}

pub(crate) fn put_privileges<S: Storage>(txn: &mut Transaction<S>, object: &Object, p: &Privileges) -> Result<()> {
    txn.set(Key::Meta(&object.key()).encode(), p.encode()?)
}

pub(crate) fn delete_privileges<S: Storage>(txn: &mut Transaction<S>, object: &Object) -> Result<()> {
    txn.delete(Key::Meta(&object.key()).encode())
}

/// Every stored privileges record, with its object.
pub(crate) fn list_privileges<S: Storage>(txn: &Transaction<S>) -> Result<Vec<(Object, Privileges)>> {
    txn.scan_prefix(&KeyPrefix::MetaStartingWith("acl:").encode())?
        .map(|item| {
            let (key, value) = item?;
            let object = Object::from_key(&crate::keys::decode_meta_key(key.as_ref())?)?;
            Ok((object, Privileges::decode(&value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(oid: u32) -> String {
        match oid {
            BOOTSTRAP_OID => "braid".into(),
            _ => format!("r{oid}"),
        }
    }

    #[test]
    fn the_default_acl_reads_as_postgresql_writes_it() {
        let p = Privileges::owned_by(BOOTSTRAP_OID);
        let texts: Vec<String> = p.effective(ALL_ON_TABLE, 0).iter().map(|i| i.text(names)).collect();
        assert_eq!(texts, ["braid=arwdDxt/braid"]);
        let schema: Vec<String> = p.effective(ALL_ON_SCHEMA, USAGE).iter().map(|i| i.text(names)).collect();
        assert_eq!(schema, ["braid=UC/braid", "=U/braid"]);
    }

    #[test]
    fn grants_merge_and_revokes_take_back() {
        let mut acl = vec![];
        Privileges::grant(&mut acl, 20000, BOOTSTRAP_OID, SELECT, 0);
        Privileges::grant(&mut acl, 20000, BOOTSTRAP_OID, INSERT | UPDATE, UPDATE);
        Privileges::grant(&mut acl, PUBLIC, BOOTSTRAP_OID, SELECT, 0);
        let texts: Vec<String> = acl.iter().map(|i| i.text(names)).collect();
        assert_eq!(texts, ["r20000=arw*/braid", "=r/braid"]);
        assert_eq!(Privileges::held(&acl, 20000), (INSERT | SELECT | UPDATE, UPDATE));
        assert_eq!(Privileges::held(&acl, 30000), (SELECT, 0));

        Privileges::revoke(&mut acl, 20000, BOOTSTRAP_OID, UPDATE, true);
        assert_eq!(acl[0].text(names), "r20000=arw/braid");
        Privileges::revoke(&mut acl, 20000, BOOTSTRAP_OID, ALL_ON_TABLE, false);
        assert_eq!(acl.len(), 1, "an entry left with nothing goes");
        // A revoke by another grantor takes nothing.
        Privileges::revoke(&mut acl, PUBLIC, 20000, SELECT, false);
        assert_eq!(acl.len(), 1);
    }

    #[test]
    fn a_new_owner_takes_the_old_owners_entries() {
        let mut p = Privileges { owner: BOOTSTRAP_OID, acl: Some(vec![]) };
        let acl = p.acl.as_mut().unwrap();
        Privileges::grant(acl, BOOTSTRAP_OID, BOOTSTRAP_OID, ALL_ON_TABLE, ALL_ON_TABLE);
        Privileges::grant(acl, 20000, BOOTSTRAP_OID, SELECT, 0);
        p.change_owner(20000);
        let texts: Vec<String> = p.acl.as_ref().unwrap().iter().map(|i| i.text(names)).collect();
        assert_eq!(texts, ["r20000=a*r*w*d*D*x*t*/r20000"]);
        assert!(p.mentions(20000) && !p.mentions(BOOTSTRAP_OID));
    }
}
