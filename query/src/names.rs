//! Schemas and the names of the relations in them.
//!
//! The engine keeps relations (tables, views, sequences, indexes) in one flat namespace. A
//! relation of `public` is stored under its bare name, so databases made before schemas
//! open unchanged; a relation of any other schema is stored as `schema.name`. A bare name
//! holding a dot would read back as qualified, so CREATE refuses one (0A000). This module
//! is the one place that makes and reads the stored form, numbers the schemas (their OIDs),
//! and resolves a name as written through the session's `search_path`.

use braid_engine::{SchemaDef, Txn};

use crate::error::{Error, Result};
use crate::source::system::{FIRST_USER_OID, INFORMATION_SCHEMA_OID, PG_CATALOG_OID, PUBLIC_OID};

/// The schema every database has, where relations go by default.
pub const PUBLIC: &str = "public";

/// The built-in schemas and their OIDs (PostgreSQL 15's; `pg_toast` holds nothing here).
const BUILT_IN: [(&str, i64); 4] = [
    ("pg_toast", 99),
    ("pg_catalog", PG_CATALOG_OID),
    (PUBLIC, PUBLIC_OID),
    ("information_schema", INFORMATION_SCHEMA_OID),
];

/// The engine's name of relation `name` of `schema`.
pub fn stored(schema: &str, name: &str) -> String {
    if schema == PUBLIC { name.to_string() } else { format!("{schema}.{name}") }
}

/// The schema and the bare name of a stored name.
pub fn split(stored: &str) -> (&str, &str) {
    stored.split_once('.').unwrap_or((PUBLIC, stored))
}

/// The bare name of a stored name (what `pg_class.relname` shows).
pub fn bare(stored: &str) -> &str {
    split(stored).1
}

/// A stored name as SQL that finds it whatever the search path: `schema.name`, each part
/// quoted as needed.
pub fn sql_name(stored_name: &str) -> String {
    use crate::functions::quote_ident;
    let (schema, name) = split(stored_name);
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// A relation named `name` in the schema `like` is stored in: an index or sequence that
/// CREATE names after its table lives in the table's schema.
pub fn sibling(like: &str, name: &str) -> String {
    stored(split(like).0, name)
}

/// Refuses a bare name that would read back as qualified.
pub fn check_bare(name: &str) -> Result<()> {
    if name.contains('.') {
        return Err(Error::unsupported(format!("a relation name holding a dot (\"{name}\")")));
    }
    Ok(())
}

/// The schemas of the database: the built-in ones and those CREATE SCHEMA made.
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    made: Vec<SchemaDef>,
    /// `DROP SCHEMA public` ran (and no CREATE SCHEMA public since).
    public_dropped: bool,
}

impl Schemas {
    /// The schemas as `txn` sees them.
    pub fn load(txn: &Txn) -> Result<Self> {
        Ok(Schemas { made: txn.schemas()?, public_dropped: txn.public_schema_dropped()? })
    }

    /// The built-in schemas there are.
    fn built_in(&self) -> impl Iterator<Item = &(&'static str, i64)> {
        BUILT_IN.iter().filter(|(n, _)| !(self.public_dropped && *n == PUBLIC))
    }

    /// Whether a schema of that name exists.
    pub fn exists(&self, name: &str) -> bool {
        self.oid(name).is_some()
    }

    /// A schema's OID: PostgreSQL's for the built-in ones, a user OID for the others.
    pub fn oid(&self, name: &str) -> Option<i64> {
        self.built_in()
            .find(|(n, _)| *n == name)
            .map(|(_, oid)| *oid)
            .or_else(|| self.made.iter().find(|s| s.name == name).map(|s| FIRST_USER_OID + s.id as i64))
    }

    /// The name of the schema with this OID.
    pub fn name(&self, oid: i64) -> Option<&str> {
        self.all().find(|(o, _)| *o == oid).map(|(_, n)| n)
    }

    /// Every schema's OID and name, the built-in ones first.
    pub fn all(&self) -> impl Iterator<Item = (i64, &str)> {
        self.built_in()
            .map(|(n, oid)| (*oid, *n))
            .chain(self.made.iter().map(|s| (FIRST_USER_OID + s.id as i64, s.name.as_str())))
    }

    /// Whether DROP SCHEMA may drop it: CREATE SCHEMA made it, or it is `public`.
    pub fn droppable(&self, name: &str) -> bool {
        self.made.iter().any(|s| s.name == name) || (name == PUBLIC && !self.public_dropped)
    }
}

/// The schemas a session's `search_path` names, in order (`"$user"` left out: Braid has no
/// per-user schemas). Schemas that do not exist are kept and skipped, as PostgreSQL does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPath(Vec<String>);

impl Default for SearchPath {
    fn default() -> Self {
        SearchPath(vec![PUBLIC.to_string()])
    }
}

impl SearchPath {
    /// The path as written in the setting: names folded to lower case unless quoted, as
    /// PostgreSQL reads identifiers.
    pub fn parse(setting: &str) -> Self {
        let name = |s: &str| match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => s.to_lowercase(),
        };
        SearchPath(setting.split(',').map(|s| name(s.trim())).filter(|s| !s.is_empty() && s != "$user").collect())
    }

    /// The path a view's query is bound in: the view's own schema, then `public`.
    pub fn of_view(view: &str) -> Self {
        let schema = split(view).0;
        SearchPath(if schema == PUBLIC { vec![PUBLIC.into()] } else { vec![schema.into(), PUBLIC.into()] })
    }

    /// The schemas named, existing or not.
    pub fn schemas(&self) -> &[String] {
        &self.0
    }

    /// The schemas of the path that exist, in order.
    fn existing<'a>(&'a self, schemas: &'a Schemas) -> impl Iterator<Item = &'a str> {
        self.0.iter().map(String::as_str).filter(|s| schemas.exists(s))
    }

    /// The schema CREATE puts an unqualified name in: the path's first existing schema.
    pub fn creation_schema<'a>(&'a self, schemas: &'a Schemas) -> Result<&'a str> {
        self.existing(schemas).find(|s| !crate::source::system::is_system_schema(s)).ok_or(Error::NoSchemaSelected)
    }

    /// The stored name a CREATE makes for `schema.name` (schema as written, if any).
    pub fn to_create(&self, schemas: &Schemas, schema: Option<&str>, name: &str) -> Result<String> {
        check_bare(name)?;
        let schema = match schema {
            Some(s) if !schemas.exists(s) => return Err(Error::not_found("schema", s)),
            Some(s) if crate::source::system::is_system_schema(s) => {
                return Err(Error::InsufficientPrivilege(format!("permission denied to create \"{s}.{name}\"")));
            }
            Some(s) => s,
            None => self.creation_schema(schemas)?,
        };
        Ok(stored(schema, name))
    }

    /// The stored name a reference to `schema.name` denotes: the named schema's relation,
    /// or the first one of the path for which `exists` holds. A name found nowhere is
    /// given in the path's first schema (bare in `public`), for the caller's not-found error.
    pub fn to_find(
        &self,
        schemas: &Schemas,
        schema: Option<&str>,
        name: &str,
        mut exists: impl FnMut(&str) -> Result<bool>,
    ) -> Result<String> {
        // A schema that does not exist holds nothing: the caller's lookup fails with
        // `relation "s.name" does not exist`, as PostgreSQL's SELECT does.
        if let Some(s) = schema {
            return Ok(stored(s, name));
        }
        let mut first = None;
        for s in self.existing(schemas).filter(|s| !crate::source::system::is_system_schema(s)) {
            let candidate = stored(s, name);
            if exists(&candidate)? {
                return Ok(candidate);
            }
            first.get_or_insert(candidate);
        }
        Ok(first.unwrap_or_else(|| name.to_string()))
    }

    /// Whether an unqualified reference to the bare name of `stored` finds it: its schema
    /// is on the path, and no schema before it holds a relation of that name.
    pub fn finds(&self, schemas: &Schemas, stored_name: &str, mut exists: impl FnMut(&str) -> bool) -> bool {
        let (schema, name) = split(stored_name);
        for s in self.existing(schemas) {
            if s == schema {
                return true;
            }
            if exists(&stored(s, name)) {
                return false;
            }
        }
        false
    }
}

/// Whether a relation (table, view, sequence or index) is stored under `stored`.
pub fn relation_exists(txn: &Txn, stored: &str) -> Result<bool> {
    Ok(txn.has_table(stored)?
        || crate::bind::load_view(txn, stored)?.is_some()
        || txn.sequence(stored)?.is_some()
        || txn.tables()?.iter().any(|t| t.index(stored).is_some()))
}

/// The stored name of the existing relation that `text` names at run time (`'app.t'`,
/// `'"T"'`, or `'t'` through `path`, as `regclass` and `nextval` read it), if there is one.
pub fn find_text(txn: &Txn, path: &SearchPath, text: &str) -> Result<Option<String>> {
    let mut parts = crate::source::system::split_qualified(text);
    let name = parts.pop().unwrap_or_default();
    let schema = parts.pop();
    let found = if schema.is_none() && path.0 == [PUBLIC] {
        // The default path: no schema to look through (`nextval` runs per row).
        name
    } else {
        path.to_find(&Schemas::load(txn)?, schema.as_deref(), &name, |n| relation_exists(txn, n))?
    };
    Ok(relation_exists(txn, &found)?.then_some(found))
}

/// A relation's stored name as `regclass` prints it for a session on `path`: bare (quoted
/// as needed) where an unqualified reference finds it, else qualified.
pub fn display(stored_name: &str, path: &SearchPath, schemas: &Schemas, exists: impl FnMut(&str) -> bool) -> String {
    if path.finds(schemas, stored_name, exists) {
        crate::functions::quote_ident(bare(stored_name))
    } else {
        sql_name(stored_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_names_are_stored_bare_and_others_qualified() {
        assert_eq!(stored("public", "t"), "t");
        assert_eq!(stored("app", "t"), "app.t");
        assert_eq!(split("app.t"), ("app", "t"));
        assert_eq!(split("t"), ("public", "t"));
        assert_eq!(sibling("app.t", "t_pkey"), "app.t_pkey");
        assert!(check_bare("a.b").is_err());
    }

    #[test]
    fn the_path_skips_missing_schemas_and_finds_the_first_holder() {
        let schemas = Schemas { made: vec![SchemaDef { name: "app".into(), id: 7 }], public_dropped: false };
        assert_eq!(SearchPath::parse("App, \"Mixed\", public").schemas(), ["app", "Mixed", "public"]);
        let path = SearchPath::parse("\"$user\", nope, app, public");
        assert_eq!(path.creation_schema(&schemas).unwrap(), "app");
        let found = path.to_find(&schemas, None, "t", |n| Ok(n == "t")).unwrap();
        assert_eq!(found, "t");
        let found = path.to_find(&schemas, None, "t", |n| Ok(n == "t" || n == "app.t")).unwrap();
        assert_eq!(found, "app.t");
        assert_eq!(path.to_find(&schemas, None, "u", |_| Ok(false)).unwrap(), "app.u");
        assert_eq!(path.to_find(&schemas, Some("nope"), "t", |_| Ok(true)).unwrap(), "nope.t");
        assert!(path.to_create(&schemas, Some("nope"), "t").is_err());
        assert!(path.finds(&schemas, "app.t", |_| true));
        assert!(!path.finds(&schemas, "t", |n| n == "app.t"));
        assert_eq!(schemas.oid("app"), Some(FIRST_USER_OID + 7));
        assert_eq!(schemas.name(PUBLIC_OID), Some("public"));
        let empty = SearchPath::parse("");
        assert!(empty.creation_schema(&schemas).is_err());
    }
}
