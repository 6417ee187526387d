//! Schemas (namespaces) other than the built-in `public`: their names and ids.
//!
//! The engine keeps relations in one flat namespace; the SQL layer names a relation of a
//! schema other than `public` `schema.name` there. What the engine keeps per schema is only
//! that it exists and its id (from the object-id counter, so the SQL layer can give it a
//! stable OID). Its owner and ACL are a privileges record ([`crate::Object::Schema`]).
//!
//! `public` exists without a record (every database has it, databases made before schemas
//! too); `DROP SCHEMA public` leaves a marker that it is gone, and `CREATE SCHEMA public`
//! removes the marker, so the `DROP SCHEMA public CASCADE; CREATE SCHEMA public` reset that
//! test suites run works as on PostgreSQL.

use crate::error::{Error, Result};
use crate::keys::{Key, KeyPrefix};
use crate::mvcc::Transaction;
use crate::storage::Storage;

/// A schema made by CREATE SCHEMA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDef {
    pub name: String,
    pub id: u64,
}

const PREFIX: &str = "schema:";

fn key(name: &str) -> Vec<u8> {
    Key::Meta(&format!("{PREFIX}{name}")).encode()
}

fn decode_id(bytes: &[u8]) -> Result<u64> {
    Ok(u64::from_be_bytes(bytes.try_into().map_err(|_| Error::corrupt("schema record"))?))
}

pub(crate) fn get<S: Storage>(txn: &Transaction<S>, name: &str) -> Result<Option<SchemaDef>> {
    txn.get(&key(name))?
        .map(|bytes| Ok(SchemaDef { name: name.to_string(), id: decode_id(bytes.as_ref())? }))
        .transpose()
}

pub(crate) fn put<S: Storage>(txn: &mut Transaction<S>, schema: &SchemaDef) -> Result<()> {
    txn.set(key(&schema.name), schema.id.to_be_bytes().to_vec())
}

pub(crate) fn delete<S: Storage>(txn: &mut Transaction<S>, name: &str) -> Result<()> {
    txn.delete(key(name))
}

fn public_dropped_key() -> Vec<u8> {
    Key::Meta("schema-dropped:public").encode()
}

/// Whether `DROP SCHEMA public` ran and no `CREATE SCHEMA public` since.
pub(crate) fn public_dropped<S: Storage>(txn: &Transaction<S>) -> Result<bool> {
    Ok(txn.get(&public_dropped_key())?.is_some())
}

pub(crate) fn set_public_dropped<S: Storage>(txn: &mut Transaction<S>, dropped: bool) -> Result<()> {
    if dropped { txn.set(public_dropped_key(), vec![]) } else { txn.delete(public_dropped_key()) }
}

/// Every schema, by name.
pub(crate) fn list<S: Storage>(txn: &Transaction<S>) -> Result<Vec<SchemaDef>> {
    txn.scan_prefix(&KeyPrefix::MetaStartingWith(PREFIX).encode())?
        .map(|item| {
            let (key, value) = item?;
            let name = crate::keys::decode_meta_key(key.as_ref())?;
            Ok(SchemaDef { name: name[PREFIX.len()..].to_string(), id: decode_id(value.as_ref())? })
        })
        .collect()
}
