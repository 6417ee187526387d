//! `pg_catalog`: PostgreSQL 15's system catalogs and views, with its column names, in its
//! column order, made from Braid's catalog.
//!
//! Types map as Braid holds them: `oid`, `int2`, `int4` and `xid` columns are integers,
//! `name` and `"char"` columns text, arrays (`int2vector`, `aclitem[]`, `text[]`) their text
//! form (`1 2`, `{a,b}`) or NULL.

use braid_engine::DataType::{Boolean as B, Integer as I, Real as R, Text as T};
use braid_engine::{IndexDef, TableDef, Value};

use crate::functions::quote_ident;
use crate::names;

use super::types::TYPES;
use super::{
    CatalogView, DATABASE_OID, PG_CATALOG_OID, PKEY_OID_BASE, SUPERUSER_OID, SystemTable, VIEW_OID_BASE, boolean,
    column_type, int, table_oid, text, type_info,
};

const fn table(
    name: &'static str,
    columns: &'static [(&'static str, braid_engine::DataType)],
    rows: fn(&CatalogView) -> Vec<Vec<Value>>,
) -> SystemTable {
    SystemTable { schema: "pg_catalog", name, columns, needs_view_columns: false, rows }
}

fn none(_: &CatalogView) -> Vec<Vec<Value>> {
    vec![]
}

pub(super) static TABLES: &[SystemTable] = &[
    table("pg_namespace", &[("oid", I), ("nspname", T), ("nspowner", I), ("nspacl", T)], namespaces),
    table(
        "pg_class",
        &[
            ("oid", I),
            ("relname", T),
            ("relnamespace", I),
            ("reltype", I),
            ("reloftype", I),
            ("relowner", I),
            ("relam", I),
            ("relfilenode", I),
            ("reltablespace", I),
            ("relpages", I),
            ("reltuples", R),
            ("relallvisible", I),
            ("reltoastrelid", I),
            ("relhasindex", B),
            ("relisshared", B),
            ("relpersistence", T),
            ("relkind", T),
            ("relnatts", I),
            ("relchecks", I),
            ("relhasrules", B),
            ("relhastriggers", B),
            ("relhassubclass", B),
            ("relrowsecurity", B),
            ("relforcerowsecurity", B),
            ("relispopulated", B),
            ("relreplident", T),
            ("relispartition", B),
            ("relrewrite", I),
            ("relfrozenxid", I),
            ("relminmxid", I),
            ("relacl", T),
            ("reloptions", T),
            ("relpartbound", T),
        ],
        classes,
    ),
    SystemTable {
        schema: "pg_catalog",
        name: "pg_attribute",
        columns: &[
            ("attrelid", I),
            ("attname", T),
            ("atttypid", I),
            ("attstattarget", I),
            ("attlen", I),
            ("attnum", I),
            ("attndims", I),
            ("attcacheoff", I),
            ("atttypmod", I),
            ("attbyval", B),
            ("attalign", T),
            ("attstorage", T),
            ("attcompression", T),
            ("attnotnull", B),
            ("atthasdef", B),
            ("atthasmissing", B),
            ("attidentity", T),
            ("attgenerated", T),
            ("attisdropped", B),
            ("attislocal", B),
            ("attinhcount", I),
            ("attcollation", I),
            ("attacl", T),
            ("attoptions", T),
            ("attfdwoptions", T),
            ("attmissingval", T),
        ],
        needs_view_columns: true,
        rows: attributes,
    },
    table(
        "pg_type",
        &[
            ("oid", I),
            ("typname", T),
            ("typnamespace", I),
            ("typowner", I),
            ("typlen", I),
            ("typbyval", B),
            ("typtype", T),
            ("typcategory", T),
            ("typispreferred", B),
            ("typisdefined", B),
            ("typdelim", T),
            ("typrelid", I),
            ("typsubscript", T),
            ("typelem", I),
            ("typarray", I),
            ("typinput", T),
            ("typoutput", T),
            ("typreceive", T),
            ("typsend", T),
            ("typmodin", T),
            ("typmodout", T),
            ("typanalyze", T),
            ("typalign", T),
            ("typstorage", T),
            ("typnotnull", B),
            ("typbasetype", I),
            ("typtypmod", I),
            ("typndims", I),
            ("typcollation", I),
            ("typdefaultbin", T),
            ("typdefault", T),
            ("typacl", T),
        ],
        types,
    ),
    table(
        "pg_index",
        &[
            ("indexrelid", I),
            ("indrelid", I),
            ("indnatts", I),
            ("indnkeyatts", I),
            ("indisunique", B),
            ("indnullsnotdistinct", B),
            ("indisprimary", B),
            ("indisexclusion", B),
            ("indimmediate", B),
            ("indisclustered", B),
            ("indisvalid", B),
            ("indcheckxmin", B),
            ("indisready", B),
            ("indislive", B),
            ("indisreplident", B),
            ("indkey", T),
            ("indcollation", T),
            ("indclass", T),
            ("indoption", T),
            ("indexprs", T),
            ("indpred", T),
        ],
        index_rows,
    ),
    table(
        "pg_constraint",
        &[
            ("oid", I),
            ("conname", T),
            ("connamespace", I),
            ("contype", T),
            ("condeferrable", B),
            ("condeferred", B),
            ("convalidated", B),
            ("conrelid", I),
            ("contypid", I),
            ("conindid", I),
            ("conparentid", I),
            ("confrelid", I),
            ("confupdtype", T),
            ("confdeltype", T),
            ("confmatchtype", T),
            ("conislocal", B),
            ("coninhcount", I),
            ("connoinherit", B),
            ("conkey", T),
            ("confkey", T),
            ("conpfeqop", T),
            ("conppeqop", T),
            ("conffeqop", T),
            ("confdelsetcols", T),
            ("conexclop", T),
            ("conbin", T),
        ],
        constraints,
    ),
    table("pg_attrdef", &[("oid", I), ("adrelid", I), ("adnum", I), ("adbin", T)], defaults),
    table("pg_description", &[("objoid", I), ("classoid", I), ("objsubid", I), ("description", T)], descriptions),
    table(
        "pg_database",
        &[
            ("oid", I),
            ("datname", T),
            ("datdba", I),
            ("encoding", I),
            ("datlocprovider", T),
            ("datistemplate", B),
            ("datallowconn", B),
            ("datconnlimit", I),
            ("datfrozenxid", I),
            ("datminmxid", I),
            ("dattablespace", I),
            ("datcollate", T),
            ("datctype", T),
            ("daticulocale", T),
            ("datcollversion", T),
            ("datacl", T),
        ],
        databases,
    ),
    table(
        "pg_roles",
        &[
            ("rolname", T),
            ("rolsuper", B),
            ("rolinherit", B),
            ("rolcreaterole", B),
            ("rolcreatedb", B),
            ("rolcanlogin", B),
            ("rolreplication", B),
            ("rolconnlimit", I),
            ("rolpassword", T),
            ("rolvaliduntil", T),
            ("rolbypassrls", B),
            ("rolconfig", T),
            ("oid", I),
        ],
        roles,
    ),
    // Row-level security policies: Braid has none.
    table(
        "pg_policy",
        &[
            ("oid", I),
            ("polname", T),
            ("polrelid", I),
            ("polcmd", T),
            ("polpermissive", B),
            ("polroles", T),
            ("polqual", T),
            ("polwithcheck", T),
        ],
        none,
    ),
    // Role membership is not kept (`GRANT role TO role`): no rows.
    table("pg_auth_members", &[("roleid", I), ("member", I), ("grantor", I), ("admin_option", B)], members),
    table(
        "pg_authid",
        &[
            ("oid", I),
            ("rolname", T),
            ("rolsuper", B),
            ("rolinherit", B),
            ("rolcreaterole", B),
            ("rolcreatedb", B),
            ("rolcanlogin", B),
            ("rolreplication", B),
            ("rolbypassrls", B),
            ("rolconnlimit", I),
            ("rolpassword", T),
            ("rolvaliduntil", T),
        ],
        authid,
    ),
    table(
        "pg_user",
        &[
            ("usename", T),
            ("usesysid", I),
            ("usecreatedb", B),
            ("usesuper", B),
            ("userepl", B),
            ("usebypassrls", B),
            ("passwd", T),
            ("valuntil", T),
            ("useconfig", T),
        ],
        users,
    ),
    table(
        "pg_settings",
        &[
            ("name", T),
            ("setting", T),
            ("unit", T),
            ("category", T),
            ("short_desc", T),
            ("extra_desc", T),
            ("context", T),
            ("vartype", T),
            ("source", T),
            ("min_val", T),
            ("max_val", T),
            ("enumvals", T),
            ("boot_val", T),
            ("reset_val", T),
            ("sourcefile", T),
            ("sourceline", I),
            ("pending_restart", B),
        ],
        settings,
    ),
    table(
        "pg_tables",
        &[
            ("schemaname", T),
            ("tablename", T),
            ("tableowner", T),
            ("tablespace", T),
            ("hasindexes", B),
            ("hasrules", B),
            ("hastriggers", B),
            ("rowsecurity", B),
        ],
        pg_tables,
    ),
    table("pg_views", &[("schemaname", T), ("viewname", T), ("viewowner", T), ("definition", T)], pg_views),
    table(
        "pg_indexes",
        &[("schemaname", T), ("tablename", T), ("indexname", T), ("tablespace", T), ("indexdef", T)],
        pg_indexes,
    ),
    table("pg_am", &[("oid", I), ("amname", T), ("amhandler", T), ("amtype", T)], access_methods),
    table(
        "pg_tablespace",
        &[("oid", I), ("spcname", T), ("spcowner", I), ("spcacl", T), ("spcoptions", T)],
        tablespaces,
    ),
    table("pg_foreign_table", &[("ftrelid", I), ("ftserver", I), ("ftoptions", T)], none),
    // Catalogs of objects Braid does not have (operators and their classes, casts and
    // transforms, text search, foreign data, publications and subscriptions, large objects,
    // rules, event triggers, security labels, default privileges): PostgreSQL's columns,
    // no rows — what pg_dump and psql read of them is "none".
    table("pg_init_privs", &[("objoid", I), ("classoid", I), ("objsubid", I), ("privtype", T), ("initprivs", T)], none),
    table(
        "pg_cast",
        &[("oid", I), ("castsource", I), ("casttarget", I), ("castfunc", I), ("castcontext", T), ("castmethod", T)],
        none,
    ),
    table("pg_transform", &[("oid", I), ("trftype", I), ("trflang", I), ("trffromsql", I), ("trftosql", I)], none),
    table(
        "pg_operator",
        &[
            ("oid", I),
            ("oprname", T),
            ("oprnamespace", I),
            ("oprowner", I),
            ("oprkind", T),
            ("oprcanmerge", B),
            ("oprcanhash", B),
            ("oprleft", I),
            ("oprright", I),
            ("oprresult", I),
            ("oprcom", I),
            ("oprnegate", I),
            ("oprcode", T),
            ("oprrest", T),
            ("oprjoin", T),
        ],
        none,
    ),
    table(
        "pg_opclass",
        &[
            ("oid", I),
            ("opcmethod", I),
            ("opcname", T),
            ("opcnamespace", I),
            ("opcowner", I),
            ("opcfamily", I),
            ("opcintype", I),
            ("opcdefault", B),
            ("opckeytype", I),
        ],
        none,
    ),
    table("pg_opfamily", &[("oid", I), ("opfmethod", I), ("opfname", T), ("opfnamespace", I), ("opfowner", I)], none),
    table(
        "pg_conversion",
        &[
            ("oid", I),
            ("conname", T),
            ("connamespace", I),
            ("conowner", I),
            ("conforencoding", I),
            ("contoencoding", I),
            ("conproc", T),
            ("condefault", B),
        ],
        none,
    ),
    table("pg_ts_config", &[("oid", I), ("cfgname", T), ("cfgnamespace", I), ("cfgowner", I), ("cfgparser", I)], none),
    table(
        "pg_ts_dict",
        &[
            ("oid", I),
            ("dictname", T),
            ("dictnamespace", I),
            ("dictowner", I),
            ("dicttemplate", I),
            ("dictinitoption", T),
        ],
        none,
    ),
    table(
        "pg_ts_parser",
        &[
            ("oid", I),
            ("prsname", T),
            ("prsnamespace", I),
            ("prsstart", T),
            ("prstoken", T),
            ("prsend", T),
            ("prsheadline", T),
            ("prslextype", T),
        ],
        none,
    ),
    table(
        "pg_ts_template",
        &[("oid", I), ("tmplname", T), ("tmplnamespace", I), ("tmplinit", T), ("tmpllexize", T)],
        none,
    ),
    table(
        "pg_foreign_data_wrapper",
        &[
            ("oid", I),
            ("fdwname", T),
            ("fdwowner", I),
            ("fdwhandler", I),
            ("fdwvalidator", I),
            ("fdwacl", T),
            ("fdwoptions", T),
        ],
        none,
    ),
    table(
        "pg_foreign_server",
        &[
            ("oid", I),
            ("srvname", T),
            ("srvowner", I),
            ("srvfdw", I),
            ("srvtype", T),
            ("srvversion", T),
            ("srvacl", T),
            ("srvoptions", T),
        ],
        none,
    ),
    table("pg_user_mapping", &[("oid", I), ("umuser", I), ("umserver", I), ("umoptions", T)], none),
    table(
        "pg_default_acl",
        &[("oid", I), ("defaclrole", I), ("defaclnamespace", I), ("defaclobjtype", T), ("defaclacl", T)],
        none,
    ),
    table(
        "pg_event_trigger",
        &[
            ("oid", I),
            ("evtname", T),
            ("evtevent", T),
            ("evtowner", I),
            ("evtfoid", I),
            ("evtenabled", T),
            ("evttags", T),
        ],
        none,
    ),
    table(
        "pg_publication",
        &[
            ("oid", I),
            ("pubname", T),
            ("pubowner", I),
            ("puballtables", B),
            ("pubinsert", B),
            ("pubupdate", B),
            ("pubdelete", B),
            ("pubtruncate", B),
            ("pubviaroot", B),
        ],
        none,
    ),
    table("pg_publication_rel", &[("oid", I), ("prpubid", I), ("prrelid", I), ("prqual", T), ("prattrs", T)], none),
    table("pg_publication_namespace", &[("oid", I), ("pnpubid", I), ("pnnspid", I)], none),
    table(
        "pg_subscription",
        &[
            ("oid", I),
            ("subdbid", I),
            ("subname", T),
            ("subowner", I),
            ("subenabled", B),
            ("subconninfo", T),
            ("subslotname", T),
            ("subsynccommit", T),
            ("subpublications", T),
            ("subbinary", B),
            ("substream", B),
            ("subtwophasestate", T),
            ("subdisableonerr", B),
        ],
        none,
    ),
    table("pg_largeobject_metadata", &[("oid", I), ("lomowner", I), ("lomacl", T)], none),
    table(
        "pg_range",
        &[
            ("rngtypid", I),
            ("rngsubtype", I),
            ("rngmultitypid", I),
            ("rngcollation", I),
            ("rngsubopc", I),
            ("rngcanonical", T),
            ("rngsubdiff", T),
        ],
        none,
    ),
    table(
        "pg_amop",
        &[
            ("oid", I),
            ("amopfamily", I),
            ("amoplefttype", I),
            ("amoprighttype", I),
            ("amopstrategy", I),
            ("amopopr", I),
        ],
        none,
    ),
    table(
        "pg_amproc",
        &[
            ("oid", I),
            ("amprocfamily", I),
            ("amproclefttype", I),
            ("amprocrighttype", I),
            ("amprocnum", I),
            ("amproc", T),
        ],
        none,
    ),
    table(
        "pg_rewrite",
        &[
            ("oid", I),
            ("rulename", T),
            ("ev_class", I),
            ("ev_type", T),
            ("ev_enabled", T),
            ("is_instead", B),
            ("ev_qual", T),
            ("ev_action", T),
        ],
        none,
    ),
    table(
        "pg_statistic_ext",
        &[
            ("oid", I),
            ("stxrelid", I),
            ("stxname", T),
            ("stxnamespace", I),
            ("stxowner", I),
            ("stxstattarget", I),
            ("stxkeys", T),
            ("stxkind", T),
            ("stxexprs", T),
        ],
        none,
    ),
    table("pg_seclabel", &[("objoid", I), ("classoid", I), ("objsubid", I), ("provider", T), ("label", T)], none),
    table("pg_shseclabel", &[("objoid", I), ("classoid", I), ("provider", T), ("label", T)], none),
    table("pg_db_role_setting", &[("setdatabase", I), ("setrole", I), ("setconfig", T)], none),
    table("pg_shdescription", &[("objoid", I), ("classoid", I), ("description", T)], none),
    table(
        "pg_shdepend",
        &[
            ("dbid", I),
            ("classid", I),
            ("objid", I),
            ("objsubid", I),
            ("refclassid", I),
            ("refobjid", I),
            ("deptype", T),
        ],
        none,
    ),
    table(
        "pg_aggregate",
        &[
            ("aggfnoid", I),
            ("aggkind", T),
            ("aggnumdirectargs", I),
            ("aggtransfn", T),
            ("aggfinalfn", T),
            ("aggtranstype", I),
            ("agginitval", T),
        ],
        none,
    ),
    table(
        "pg_language",
        &[
            ("oid", I),
            ("lanname", T),
            ("lanowner", I),
            ("lanispl", B),
            ("lanpltrusted", B),
            ("lanplcallfoid", I),
            ("laninline", I),
            ("lanvalidator", I),
            ("lanacl", T),
        ],
        none,
    ),
    table(
        "pg_proc",
        &[
            ("oid", I),
            ("proname", T),
            ("pronamespace", I),
            ("proowner", I),
            ("prolang", I),
            ("procost", R),
            ("prorows", R),
            ("provariadic", I),
            ("prosupport", T),
            ("prokind", T),
            ("prosecdef", B),
            ("proleakproof", B),
            ("proisstrict", B),
            ("proretset", B),
            ("provolatile", T),
            ("proparallel", T),
            ("pronargs", I),
            ("pronargdefaults", I),
            ("prorettype", I),
            ("proargtypes", T),
            ("proallargtypes", T),
            ("proargmodes", T),
            ("proargnames", T),
            ("proargdefaults", T),
            ("protrftypes", T),
            ("prosrc", T),
            ("probin", T),
            ("prosqlbody", T),
            ("proconfig", T),
            ("proacl", T),
        ],
        none,
    ),
    table("pg_inherits", &[("inhrelid", I), ("inhparent", I), ("inhseqno", I), ("inhdetachpending", B)], none),
    table(
        "pg_partitioned_table",
        &[
            ("partrelid", I),
            ("partstrat", T),
            ("partnatts", I),
            ("partdefid", I),
            ("partattrs", T),
            ("partclass", T),
            ("partcollation", T),
            ("partexprs", T),
        ],
        none,
    ),
    table(
        "pg_sequence",
        &[
            ("seqrelid", I),
            ("seqtypid", I),
            ("seqstart", I),
            ("seqincrement", I),
            ("seqmax", I),
            ("seqmin", I),
            ("seqcache", I),
            ("seqcycle", B),
        ],
        sequences,
    ),
    table(
        "pg_extension",
        &[
            ("oid", I),
            ("extname", T),
            ("extowner", I),
            ("extnamespace", I),
            ("extrelocatable", B),
            ("extversion", T),
            ("extconfig", T),
            ("extcondition", T),
        ],
        none,
    ),
    table(
        "pg_collation",
        &[
            ("oid", I),
            ("collname", T),
            ("collnamespace", I),
            ("collowner", I),
            ("collprovider", T),
            ("collisdeterministic", B),
            ("collencoding", I),
            ("collcollate", T),
            ("collctype", T),
            ("colliculocale", T),
            ("collversion", T),
        ],
        collations,
    ),
    table("pg_enum", &[("oid", I), ("enumtypid", I), ("enumsortorder", R), ("enumlabel", T)], none),
    table(
        "pg_trigger",
        &[
            ("oid", I),
            ("tgrelid", I),
            ("tgparentid", I),
            ("tgname", T),
            ("tgfoid", I),
            ("tgtype", I),
            ("tgenabled", T),
            ("tgisinternal", B),
            ("tgconstrrelid", I),
            ("tgconstrindid", I),
            ("tgconstraint", I),
            ("tgdeferrable", B),
            ("tginitdeferred", B),
            ("tgnargs", I),
            ("tgattr", T),
            ("tgargs", T),
            ("tgqual", T),
            ("tgoldtable", T),
            ("tgnewtable", T),
        ],
        none,
    ),
    table(
        "pg_depend",
        &[
            ("classid", I),
            ("objid", I),
            ("objsubid", I),
            ("refclassid", I),
            ("refobjid", I),
            ("refobjsubid", I),
            ("deptype", T),
        ],
        depends,
    ),
    table(
        "pg_stat_activity",
        &[
            ("datid", I),
            ("datname", T),
            ("pid", I),
            ("usesysid", I),
            ("usename", T),
            ("application_name", T),
            ("client_addr", T),
            ("backend_start", T),
            ("state", T),
            ("query", T),
            ("backend_type", T),
        ],
        activity,
    ),
];

fn namespaces(c: &CatalogView) -> Vec<Vec<Value>> {
    c.schemas
        .all()
        .map(|(oid, name)| {
            if crate::source::system::is_system_schema(name) {
                return vec![int(oid), text(name), int(SUPERUSER_OID), Value::Null];
            }
            // PostgreSQL 15's `public` belongs to pg_database_owner, whoever owns the
            // database, and lists its ACL even before a GRANT; a schema CREATE SCHEMA made
            // lists none until one.
            let p = c.privileges(&braid_engine::Object::Schema(name.into()));
            let acl = match (&p.acl, name) {
                (None, n) if n != crate::names::PUBLIC => Value::Null,
                _ => c.acl_text(&crate::privileges::schema_acl(name, &p)),
            };
            vec![int(oid), text(name), int(i64::from(p.owner)), acl]
        })
        .collect()
}

/// The oid of a view by its position in name order.
fn views_sorted<'a>(c: &'a CatalogView) -> Vec<(i64, &'a super::ViewInfo)> {
    c.sorted_views().into_iter().enumerate().map(|(i, v)| (VIEW_OID_BASE + i as i64, v)).collect()
}

/// One index of a table as the catalogs list it: its OID, name, columns (0-based),
/// uniqueness and whether it is the primary key.
struct IndexEntry {
    oid: i64,
    name: String,
    /// The indexed columns (none for an expression index).
    columns: Vec<u32>,
    /// An expression index's parts, as SQL, a plain column as its position.
    expressions: Vec<Result<u32, String>>,
    /// A partial index's predicate, as SQL.
    predicate: Option<String>,
    unique: bool,
    primary: bool,
}

impl IndexEntry {
    /// The key's parts: a column (by position) or an expression.
    fn parts(&self) -> Vec<Result<u32, &str>> {
        if self.expressions.is_empty() {
            self.columns.iter().map(|&c| Ok(c)).collect()
        } else {
            self.expressions.iter().map(|e| e.as_ref().map(|&c| c).map_err(String::as_str)).collect()
        }
    }
}

/// A key part as `pg_get_indexdef` prints it: a column by name, a function call as it is,
/// another expression in parentheses (twice unless `pretty`, as PostgreSQL deparses an
/// operator).
fn index_part(t: &TableDef, part: Result<u32, &str>, pretty: bool) -> String {
    match part {
        Ok(c) => t.columns[c as usize].name.clone(),
        Err(sql) if is_call(sql) => sql.to_string(),
        Err(sql) => format!("({})", deparsed(sql, pretty)),
    }
}

/// Whether stored SQL is a function call (`lower(email)`), which PostgreSQL prints bare.
fn is_call(sql: &str) -> bool {
    let Some((name, args)) = sql.split_once('(') else { return false };
    let named = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    // The parenthesis after the name closes at the end (`f(a) || g(b)` is no call).
    let mut depth = 1;
    let closes_at_end = args.char_indices().all(|(i, c)| {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        depth > 0 || i == args.len() - 1
    });
    named && closes_at_end && depth == 0
}

/// An expression as PostgreSQL deparses it: not a call, it is in parentheses unless `pretty`.
fn deparsed(sql: &str, pretty: bool) -> String {
    if pretty || is_call(sql) { sql.to_string() } else { format!("({sql})") }
}

/// The name PostgreSQL gives a CHECK constraint: `table_column_check` when the expression
/// reads one column, else `table_check`, with a number appended while the name is taken.
pub(super) fn check_name(t: &TableDef, check: &str, taken: &[String]) -> String {
    let mut read: Vec<&str> = vec![];
    // Identifiers outside string literals (every other piece between quotes) that name a
    // column of the table.
    for word in check.split('\'').step_by(2) {
        for token in word.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"')) {
            let token = token.trim_matches('"');
            if let Some(c) = t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(token))
                && !read.contains(&c.name.as_str())
            {
                read.push(&c.name);
            }
        }
    }
    let base = match read.as_slice() {
        [column] => format!("{}_{column}_check", names::bare(&t.name)),
        _ => format!("{}_check", names::bare(&t.name)),
    };
    let mut name = base.clone();
    let mut n = 0;
    while taken.contains(&name) {
        n += 1;
        name = format!("{base}{n}");
    }
    name
}

/// A table's indexes: the rowid primary key (which has no index object) first.
fn indexes(t: &TableDef) -> Vec<IndexEntry> {
    let mut out = vec![];
    if let Some(alias) = t.rowid_alias {
        out.push(IndexEntry {
            oid: PKEY_OID_BASE + t.id as i64,
            name: format!("{}_pkey", t.name),
            columns: vec![alias],
            expressions: vec![],
            predicate: None,
            unique: true,
            primary: true,
        });
    }
    let pk_index = (t.rowid_alias.is_none() && !t.primary_key.is_empty())
        .then(|| t.indexes.iter().find(|i| i.unique && !i.is_derived() && i.columns == t.primary_key))
        .flatten()
        .map(|i| i.id);
    out.extend(t.indexes.iter().map(|i: &IndexDef| {
        IndexEntry {
            oid: super::FIRST_USER_OID + i.id as i64,
            name: i.name.clone(),
            columns: i.columns.clone(),
            expressions: i
                .expressions
                .iter()
                .map(|sql| {
                    let column = t.columns.iter().position(|c| *sql == c.name || *sql == format!("\"{}\"", c.name));
                    column.map(|c| c as u32).ok_or_else(|| sql.clone())
                })
                .collect(),
            predicate: i.predicate.clone(),
            unique: i.unique,
            primary: Some(i.id) == pk_index,
        }
    }));
    out
}

/// The OID of the index `name` of table `t`, if it has one of that name.
pub(super) fn index_oid(t: &TableDef, name: &str) -> Option<i64> {
    indexes(t).into_iter().find(|i| i.name == name).map(|i| i.oid)
}

/// The name of `t`'s index with this OID, if it has one.
pub(super) fn index_name(t: &TableDef, oid: i64) -> Option<String> {
    indexes(t).into_iter().find(|i| i.oid == oid).map(|i| i.name)
}

/// `pg_get_indexdef(oid, column)`: the index's CREATE INDEX, or with `column` k > 0 the
/// name of its k-th column; `None` for an OID that is no index's.
pub(super) fn get_indexdef(tables: &[TableDef], oid: i64, column: i64, pretty: bool) -> Option<String> {
    tables.iter().find_map(|t| {
        let i = indexes(t).into_iter().find(|i| i.oid == oid)?;
        if column > 0 {
            let part = *i.parts().get(column as usize - 1)?;
            return Some(index_part(t, part, pretty));
        }
        Some(index_definition(t, &i, pretty))
    })
}

/// `pg_get_constraintdef(oid)`: `PRIMARY KEY (id)`, `UNIQUE (v)`, `CHECK (…)`.
pub(super) fn get_constraintdef(tables: &[TableDef], oid: i64, display: &dyn Fn(&str) -> String) -> Option<String> {
    tables.iter().find_map(|t| {
        let k = table_constraints(t).into_iter().find(|k| k.oid == oid)?;
        let names: Vec<&str> = k.columns.iter().map(|&c| t.columns[c as usize].name.as_str()).collect();
        Some(match (k.kind, &k.foreign) {
            ("p", _) => format!("PRIMARY KEY ({})", names.join(", ")),
            ("u", _) => format!("UNIQUE ({})", names.join(", ")),
            ("f", Some(fk)) => foreign_key_definition(fk, display),
            _ => format!("CHECK ({})", k.check.unwrap_or_default()),
        })
    })
}

/// `FOREIGN KEY (a) REFERENCES parent(id) ON DELETE CASCADE`, as `pg_get_constraintdef`
/// prints it (actions only where they are not NO ACTION).
fn foreign_key_definition(fk: &braid_engine::ForeignKeyDef, display: &dyn Fn(&str) -> String) -> String {
    use crate::plan::foreign_keys::action_sql;
    let action = |a| (a != braid_engine::ReferentialAction::NoAction).then(|| action_sql(a));
    let (columns, parent_columns) = (fk.columns.join(", "), fk.parent_columns.join(", "));
    let mut out = format!("FOREIGN KEY ({columns}) REFERENCES {}({parent_columns})", display(&fk.parent));
    if let Some(a) = action(fk.on_update) {
        out.push_str(&format!(" ON UPDATE {a}"));
    }
    if let Some(a) = action(fk.on_delete) {
        out.push_str(&format!(" ON DELETE {a}"));
    }
    match (fk.deferrable, fk.initially_deferred) {
        (_, true) => out.push_str(" DEFERRABLE INITIALLY DEFERRED"),
        (true, false) => out.push_str(" DEFERRABLE"),
        _ => {}
    }
    out
}

/// A referential action as `pg_constraint` codes it.
pub(super) fn action_code(a: braid_engine::ReferentialAction) -> &'static str {
    use braid_engine::ReferentialAction as A;
    match a {
        A::NoAction => "a",
        A::Restrict => "r",
        A::Cascade => "c",
        A::SetNull => "n",
        A::SetDefault => "d",
    }
}

/// `CREATE [UNIQUE] INDEX name ON public.table USING btree (a, lower(b)) WHERE (c > 0)`, as
/// `pg_get_indexdef` (`pretty`: the predicate without its outer parentheses).
fn index_definition(t: &TableDef, i: &IndexEntry, pretty: bool) -> String {
    let parts: Vec<String> = i.parts().into_iter().map(|p| index_part(t, p, pretty)).collect();
    let unique = if i.unique { "UNIQUE " } else { "" };
    let (name, table) = (quote_ident(names::bare(&i.name)), names::sql_name(&t.name));
    let mut def = format!("CREATE {unique}INDEX {name} ON {table} USING btree ({})", parts.join(", "));
    if let Some(predicate) = &i.predicate {
        def.push_str(&format!(" WHERE {}", deparsed(predicate, pretty)));
    }
    def
}

#[allow(clippy::too_many_arguments)]
fn class_row(
    oid: i64,
    stored: &str,
    namespace: Value,
    am: i64,
    kind: &str,
    natts: usize,
    has_index: bool,
    checks: usize,
    rules: bool,
    triggers: bool,
) -> Vec<Value> {
    vec![
        int(oid),
        text(names::bare(stored)),
        namespace,
        int(0),
        int(0),
        int(SUPERUSER_OID),
        int(am),
        int(oid),
        int(0),
        int(0),
        Value::Real(-1.0),
        int(0),
        int(0),
        boolean(has_index),
        boolean(false),
        text("p"),
        text(kind),
        int(natts as i64),
        int(checks as i64),
        boolean(rules),
        boolean(triggers),
        boolean(false),
        boolean(false),
        boolean(false),
        boolean(true),
        text("d"),
        boolean(false),
        int(0),
        int(0),
        int(0),
        Value::Null,
        Value::Null,
        Value::Null,
    ]
}

fn classes(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        let idx = indexes(t);
        // PostgreSQL enforces foreign keys with triggers on both tables, and clients (psql's
        // `\d`) look for foreign keys only where relhastriggers says there are some.
        let triggers = !t.foreign_keys.is_empty()
            || c.tables.iter().any(|o| o.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(&t.name)));
        let (natts, checks) = (t.columns.len(), t.checks.len());
        let owned = c.relation_owner_acl(&t.name, false);
        out.push(owned_by(
            class_row(
                table_oid(t),
                &t.name,
                c.namespace_of(&t.name),
                2,
                "r",
                natts,
                !idx.is_empty(),
                checks,
                false,
                triggers,
            ),
            &owned,
        ));
        for i in &idx {
            let row =
                class_row(i.oid, &i.name, c.namespace_of(&t.name), 403, "i", i.parts().len(), false, 0, false, false);
            out.push(owned_by(row, &(owned.0, Value::Null)));
        }
    }
    for (oid, v) in views_sorted(c) {
        let natts = v.columns.as_ref().map_or(0, Vec::len);
        let row = class_row(oid, &v.name, c.namespace_of(&v.name), 0, "v", natts, false, 0, true, false);
        out.push(owned_by(row, &c.relation_owner_acl(&v.name, false)));
    }
    for s in &c.sequences {
        let oid = crate::functions::sequence_oid(s);
        let row = class_row(oid, &s.name, c.namespace_of(&s.name), 0, "S", 3, false, 0, false, false);
        out.push(owned_by(row, &c.relation_owner_acl(&s.name, true)));
    }
    out
}

/// A `pg_class` row with its `relowner` and `relacl`.
fn owned_by(mut row: Vec<Value>, (owner, acl): &(i64, Value)) -> Vec<Value> {
    row[5] = int(*owner);
    row[30] = acl.clone();
    row
}

#[allow(clippy::too_many_arguments)]
fn attribute_row(
    rel: i64,
    name: &str,
    (ty, typmod): (&super::TypeInfo, i64),
    num: usize,
    not_null: bool,
    has_default: bool,
    identity: &str,
) -> Vec<Value> {
    let collation = if ty.category == "S" { 100 } else { 0 };
    vec![
        int(rel),
        text(name),
        int(ty.oid),
        int(-1),
        int(ty.len),
        int(num as i64),
        int(0),
        int(-1),
        int(typmod),
        boolean(ty.len > 0 && ty.len <= 8),
        text(if ty.len == 8 { "d" } else { "i" }),
        text(if ty.len < 0 { "x" } else { "p" }),
        text(""),
        boolean(not_null),
        boolean(has_default),
        boolean(false),
        text(identity),
        text(""),
        boolean(false),
        boolean(true),
        int(0),
        int(collation),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ]
}

fn attributes(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        let oid = table_oid(t);
        for (i, col) in t.columns.iter().enumerate() {
            let ty = column_type(col);
            let identity = match col.identity {
                Some(braid_engine::Identity::Always) => "a",
                Some(braid_engine::Identity::ByDefault) => "d",
                None => "",
            };
            // An identity column's `nextval` is its identity, not a default (PostgreSQL
            // keeps no pg_attrdef row for it).
            let has_default = col.default.is_some() && col.identity.is_none();
            out.push(attribute_row(oid, &col.name, ty, i + 1, t.is_not_null(i), has_default, identity));
        }
        for idx in indexes(t) {
            for (k, part) in idx.parts().into_iter().enumerate() {
                let row = match part {
                    Ok(col) => {
                        let column = &t.columns[col as usize];
                        attribute_row(idx.oid, &column.name, column_type(column), k + 1, false, false, "")
                    }
                    // PostgreSQL names an expression's attribute after its function, else `expr`.
                    Err(sql) => {
                        let name = sql.split('(').next().filter(|f| sql.ends_with(')') && !f.is_empty());
                        let ty = (type_info(braid_engine::DataType::Text), -1);
                        attribute_row(idx.oid, name.unwrap_or("expr"), ty, k + 1, false, false, "")
                    }
                };
                out.push(row);
            }
        }
    }
    for (oid, v) in views_sorted(c) {
        for (i, (name, ty)) in v.columns.iter().flatten().enumerate() {
            let declared = v.column_type(i, *ty);
            let ty = super::types::by_oid(declared.oid as i64)
                .map_or((type_info(ty.unwrap_or(braid_engine::DataType::Text)), -1), |t| (t, declared.typmod as i64));
            out.push(attribute_row(oid, name, ty, i + 1, false, false, ""));
        }
    }
    out
}

fn types(_: &CatalogView) -> Vec<Vec<Value>> {
    TYPES
        .iter()
        .map(|t| {
            let io = |suffix: &str| text(format!("{}{suffix}", t.name.trim_start_matches('_')));
            vec![
                int(t.oid),
                text(t.name),
                int(PG_CATALOG_OID),
                int(SUPERUSER_OID),
                int(t.len),
                boolean(t.len > 0 && t.len <= 8),
                text(if t.category == "P" { "p" } else { "b" }),
                text(t.category),
                boolean(matches!(t.name, "bool" | "text" | "float8" | "oid" | "timestamptz")),
                boolean(true),
                text(","),
                int(0),
                text(if t.element != 0 { "array_subscript_handler" } else { "-" }),
                int(t.element),
                int(t.array),
                io("in"),
                io("out"),
                io("recv"),
                io("send"),
                text("-"),
                text("-"),
                text("-"),
                text(if t.len == 8 { "d" } else { "i" }),
                text(if t.len < 0 { "x" } else { "p" }),
                boolean(false),
                int(0),
                int(-1),
                int(0),
                int(if t.category == "S" { 100 } else { 0 }),
                Value::Null,
                Value::Null,
                Value::Null,
            ]
        })
        .collect()
}

fn index_rows(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        for i in indexes(t) {
            let parts = i.parts();
            // An expression's place in indkey is 0; its SQL is in indexprs.
            let key: Vec<String> = parts.iter().map(|p| p.map_or(0, |c| c + 1).to_string()).collect();
            let zeros = vec!["0"; parts.len()].join(" ");
            let n = parts.len() as i64;
            let sql: Vec<&str> = parts.iter().filter_map(|p| p.err()).collect();
            let expressions = (!sql.is_empty()).then(|| text(sql.join(", ")));
            out.push(vec![
                int(i.oid),
                int(table_oid(t)),
                int(n),
                int(n),
                boolean(i.unique),
                boolean(false),
                boolean(i.primary),
                boolean(false),
                boolean(true),
                boolean(false),
                boolean(true),
                boolean(false),
                boolean(true),
                boolean(true),
                boolean(false),
                text(key.join(" ")),
                text(zeros.clone()),
                text(zeros.clone()),
                text(zeros),
                expressions.unwrap_or(Value::Null),
                i.predicate.map_or(Value::Null, text),
            ]);
        }
    }
    out
}

/// A constraint row: `kind` p (primary key), u (unique), c (check).
fn constraint_row(
    oid: i64,
    name: &str,
    namespace: Value,
    kind: &str,
    rel: i64,
    index: i64,
    key: Option<String>,
) -> Vec<Value> {
    vec![
        int(oid),
        text(name),
        namespace,
        text(kind),
        boolean(false),
        boolean(false),
        boolean(true),
        int(rel),
        int(0),
        int(index),
        int(0),
        int(0),
        text(" "),
        text(" "),
        text(" "),
        boolean(true),
        int(0),
        boolean(false),
        key.map_or(Value::Null, Value::Text),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ]
}

/// Whether a unique index is a constraint's (PRIMARY KEY or UNIQUE in CREATE TABLE) rather
/// than one made by CREATE UNIQUE INDEX, which PostgreSQL lists as an index only. The
/// indexes made for constraints are named `{table}_pkey` and `{table}_{columns}_key`
/// (possibly numbered); databases made before this naming have `autoindex_{table}_{n}`.
fn is_constraint_index(t: &TableDef, i: &IndexEntry) -> bool {
    if !i.expressions.is_empty() || i.predicate.is_some() {
        return false;
    }
    let columns: Vec<&str> = i.columns.iter().map(|&c| t.columns[c as usize].name.as_str()).collect();
    let key = format!("{}_{}_key", t.name, columns.join("_"));
    i.primary
        || i.name == format!("{}_pkey", t.name)
        || i.name.starts_with(&format!("autoindex_{}_", t.name))
        || i.name.strip_prefix(&key).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

/// One constraint of a table.
pub(super) struct Constraint {
    pub oid: i64,
    pub name: String,
    /// `contype`: p (primary key), u (unique), c (check).
    pub kind: &'static str,
    /// The constrained columns (0-based); none for a CHECK.
    pub columns: Vec<u32>,
    /// A CHECK's expression, as SQL.
    pub check: Option<String>,
    /// A FOREIGN KEY's definition.
    pub foreign: Option<braid_engine::ForeignKeyDef>,
}

/// The constraints of a table: its primary key and unique constraints (each backed by its
/// index, whose OID the constraint shares in its `conindid`), then its CHECKs.
pub(super) fn table_constraints(t: &TableDef) -> Vec<Constraint> {
    let mut out = vec![];
    for i in indexes(t).into_iter().filter(|i| i.unique && is_constraint_index(t, i)) {
        let kind = if i.primary { "p" } else { "u" };
        let name = names::bare(&if i.primary { format!("{}_pkey", t.name) } else { i.name.clone() }).to_string();
        out.push(Constraint { oid: i.oid, name, kind, columns: i.columns, check: None, foreign: None });
    }
    for (n, (check, name)) in t.checks.iter().zip(super::check_names(t)).enumerate() {
        // Check constraints have no object of their own: OIDs past the table's indexes'.
        let oid = PKEY_OID_BASE + (1 << 20) + t.id as i64 * 64 + n as i64;
        out.push(Constraint { oid, name, kind: "c", columns: vec![], check: Some(check.clone()), foreign: None });
    }
    for (n, fk) in t.foreign_keys.iter().enumerate() {
        let oid = PKEY_OID_BASE + (1 << 22) + t.id as i64 * 64 + n as i64;
        let columns = fk
            .columns
            .iter()
            .filter_map(|c| t.columns.iter().position(|col| col.name == *c))
            .map(|c| c as u32)
            .collect();
        let foreign = Some(fk.clone());
        out.push(Constraint { oid, name: fk.name.clone(), kind: "f", columns, check: None, foreign });
    }
    out
}

/// The referenced table of a foreign key, the positions (1-based) of its referenced columns,
/// and the constraint (primary key or unique) they make up.
pub(super) fn referenced<'a>(
    tables: &[&'a TableDef],
    fk: &braid_engine::ForeignKeyDef,
) -> Option<(&'a TableDef, Vec<i64>, Option<Constraint>)> {
    let parent = tables.iter().find(|t| t.name == fk.parent)?;
    let positions: Vec<i64> = fk
        .parent_columns
        .iter()
        .filter_map(|c| parent.columns.iter().position(|col| col.name == *c))
        .map(|p| p as i64 + 1)
        .collect();
    let mut wanted: Vec<u32> = positions.iter().map(|&p| p as u32 - 1).collect();
    wanted.sort_unstable();
    let unique = table_constraints(parent).into_iter().find(|k| {
        let mut cols = k.columns.clone();
        cols.sort_unstable();
        matches!(k.kind, "p" | "u") && cols == wanted
    });
    Some((parent, positions, unique))
}

fn constraints(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        for k in table_constraints(t) {
            let numbers: Vec<String> = k.columns.iter().map(|c| (c + 1).to_string()).collect();
            let key = (!k.columns.is_empty()).then(|| format!("{{{}}}", numbers.join(",")));
            // A foreign key's index is the referenced one, set below.
            let index = if matches!(k.kind, "c" | "f") { 0 } else { k.oid };
            let mut row = constraint_row(k.oid, &k.name, c.namespace_of(&t.name), k.kind, table_oid(t), index, key);
            if let Some(check) = k.check {
                row[25] = text(check);
            }
            if let Some(fk) = &k.foreign {
                let tables = c.sorted_tables();
                if let Some((parent, positions, unique)) = referenced(&tables, fk) {
                    let numbers: Vec<String> = positions.iter().map(|p| p.to_string()).collect();
                    row[9] = int(unique.map_or(0, |u| u.oid));
                    row[11] = int(table_oid(parent));
                    row[19] = text(format!("{{{}}}", numbers.join(",")));
                }
                row[4] = boolean(fk.deferrable);
                row[5] = boolean(fk.initially_deferred);
                row[12] = text(action_code(fk.on_update));
                row[13] = text(action_code(fk.on_delete));
                row[14] = text("s");
            }
            out.push(row);
        }
    }
    out
}

fn defaults(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        for (i, col) in t.columns.iter().enumerate().filter(|(_, col)| col.identity.is_none()) {
            if let Some(sql) = &col.default {
                let oid = PKEY_OID_BASE + (1 << 21) + t.id as i64 * 1024 + i as i64;
                out.push(vec![int(oid), int(table_oid(t)), int(i as i64 + 1), text(sql.clone())]);
            }
        }
    }
    out
}

/// The database the session is in, and template1. Braid serves one database under any name
/// a client connects with; template1 is listed for the tools that look for it, but takes no
/// connections (`datallowconn`), so that pg_dumpall does not dump the one database twice.
fn databases(c: &CatalogView) -> Vec<Vec<Value>> {
    let template = |oid: i64, name: &str, template: bool| {
        vec![
            int(oid),
            text(name),
            int(SUPERUSER_OID),
            int(6),
            text("c"),
            boolean(template),
            boolean(!template),
            int(-1),
            int(0),
            int(1),
            int(1663),
            text("C"),
            text("C"),
            Value::Null,
            Value::Null,
            Value::Null,
        ]
    };
    let name = c.session.database();
    let mut out = vec![template(DATABASE_OID, &name, false)];
    if name != "template1" {
        out.push(template(1, "template1", true));
    }
    out
}

fn sequences(c: &CatalogView) -> Vec<Vec<Value>> {
    c.sequences
        .iter()
        .map(|s| {
            vec![
                int(crate::functions::sequence_oid(s)),
                int(s.type_oid),
                int(s.start),
                int(s.increment),
                int(s.max),
                int(s.min),
                int(s.cache),
                boolean(s.cycle),
            ]
        })
        .collect()
}

/// Dependencies clients follow: a sequence OWNED BY a column depends on it automatically
/// (`a`), or internally (`i`) when it fills an identity column, which is how psql and
/// pg_dump find a SERIAL's or an identity's sequence; a view depends normally
/// (`n`) on the tables and views it reads, which is how pg_dump orders it after them.
fn depends(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    let pg_class = super::CATALOG_OIDS.iter().find(|(n, _)| *n == "pg_class").map_or(1259, |(_, o)| *o);
    let views = views_sorted(c);
    for (oid, v) in &views {
        // The names the view's text mentions outside string literals that are relations
        // (a column named like a table, or a table of that name in another schema, adds an
        // edge too, which orders no worse).
        let mut read: Vec<i64> = vec![];
        for piece in v.sql.split('\'').step_by(2) {
            for word in piece.split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '"')) {
                let word = word.trim_matches('"');
                // By bare name, in any schema (`shop.items` is two words).
                let named = |stored: &str| names::bare(stored).eq_ignore_ascii_case(word);
                let target = c
                    .tables
                    .iter()
                    .find(|t| named(&t.name))
                    .map(table_oid)
                    .or_else(|| views.iter().find(|(o, w)| o != oid && named(&w.name)).map(|(o, _)| *o));
                if let Some(target) = target.filter(|t| !read.contains(t)) {
                    read.push(target);
                }
            }
        }
        for target in read {
            out.push(vec![int(pg_class), int(*oid), int(0), int(pg_class), int(target), int(0), text("n")]);
        }
    }
    for s in &c.sequences {
        let Some((table, column)) = &s.owned_by else { continue };
        let Some(t) = c.tables.iter().find(|t| t.name == *table) else { continue };
        let Some(n) = t.columns.iter().position(|col| col.name == *column) else { continue };
        out.push(vec![
            int(pg_class),
            int(crate::functions::sequence_oid(s)),
            int(0),
            int(pg_class),
            int(table_oid(t)),
            int(n as i64 + 1),
            text(if t.columns[n].identity.is_some() { "i" } else { "a" }),
        ]);
    }
    out
}

fn descriptions(c: &CatalogView) -> Vec<Vec<Value>> {
    let views: Vec<String> = c.views.iter().map(|v| v.name.clone()).collect();
    super::descriptions(&c.tables, &views, &c.sequences, &c.comments, &c.schemas)
        .into_iter()
        .map(|(oid, class, sub, text)| vec![int(oid), int(class), int(sub), super::text(text)])
        .collect()
}

/// `pg_authid`'s rows: every role, then `pg_database_owner` (which owns `public`).
fn role_rows(c: &CatalogView) -> Vec<braid_engine::RoleDef> {
    let owner = braid_engine::RoleDef {
        oid: super::DATABASE_OWNER_OID as u32,
        inherit: false,
        ..braid_engine::RoleDef::new("pg_database_owner")
    };
    c.roles.iter().cloned().chain([owner]).collect()
}

fn members(c: &CatalogView) -> Vec<Vec<Value>> {
    c.memberships
        .iter()
        .map(|m| vec![int(i64::from(m.role)), int(i64::from(m.member)), int(i64::from(m.grantor)), boolean(m.admin)])
        .collect()
}

fn roles(c: &CatalogView) -> Vec<Vec<Value>> {
    role_rows(c)
        .into_iter()
        .map(|r| {
            vec![
                text(r.name),
                boolean(r.superuser),
                boolean(r.inherit),
                boolean(r.create_role),
                boolean(r.create_db),
                boolean(r.can_login),
                boolean(r.replication),
                int(r.connection_limit),
                // pg_roles hides every password, set or not.
                text("********"),
                r.valid_until.map_or(Value::Null, text),
                boolean(r.bypass_rls),
                Value::Null,
                int(r.oid),
            ]
        })
        .collect()
}

fn authid(c: &CatalogView) -> Vec<Vec<Value>> {
    role_rows(c)
        .into_iter()
        .map(|r| {
            vec![
                int(r.oid),
                text(r.name),
                boolean(r.superuser),
                boolean(r.inherit),
                boolean(r.create_role),
                boolean(r.create_db),
                boolean(r.can_login),
                boolean(r.replication),
                boolean(r.bypass_rls),
                int(r.connection_limit),
                r.password.map_or(Value::Null, text),
                r.valid_until.map_or(Value::Null, text),
            ]
        })
        .collect()
}

fn users(c: &CatalogView) -> Vec<Vec<Value>> {
    c.roles
        .iter()
        .filter(|r| r.can_login)
        .map(|r| {
            vec![
                text(r.name.clone()),
                int(r.oid),
                boolean(r.create_db),
                boolean(r.superuser),
                boolean(r.replication),
                boolean(r.bypass_rls),
                text("********"),
                r.valid_until.clone().map_or(Value::Null, text),
                Value::Null,
            ]
        })
        .collect()
}

fn settings(c: &CatalogView) -> Vec<Vec<Value>> {
    c.session
        .all()
        .into_iter()
        .filter(|(name, _)| !name.starts_with("braid."))
        .map(|(name, setting)| {
            let mut row = vec![text(name), text(setting.clone())];
            row.extend([Value::Null, text("Braid"), text(""), Value::Null, text("user"), text("string")]);
            row.extend([text("session"), Value::Null, Value::Null, Value::Null, text(setting.clone())]);
            row.extend([text(setting), Value::Null, Value::Null, boolean(false)]);
            row
        })
        .collect()
}

fn pg_tables(c: &CatalogView) -> Vec<Vec<Value>> {
    c.sorted_tables()
        .into_iter()
        .map(|t| {
            let has_indexes = !indexes(t).is_empty();
            let owner = c.relation_owner_acl(&t.name, false).0;
            vec![
                text(names::split(&t.name).0),
                text(names::bare(&t.name)),
                text(c.role_name(owner as u32)),
                Value::Null,
                boolean(has_indexes),
                boolean(false),
                boolean(false),
                boolean(false),
            ]
        })
        .collect()
}

fn pg_views(c: &CatalogView) -> Vec<Vec<Value>> {
    views_sorted(c)
        .into_iter()
        .map(|(_, v)| {
            let owner = c.role_name(c.relation_owner_acl(&v.name, false).0 as u32);
            let (schema, name) = names::split(&v.name);
            vec![text(schema), text(name), text(owner), text(format!("{};", v.sql))]
        })
        .collect()
}

fn pg_indexes(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        for i in indexes(t) {
            let def = index_definition(t, &i, false);
            let (schema, table) = names::split(&t.name);
            out.push(vec![text(schema), text(table), text(names::bare(&i.name)), Value::Null, text(def)]);
        }
    }
    out
}

/// PostgreSQL's two built-in tablespaces; every relation is in the default one.
fn tablespaces(_: &CatalogView) -> Vec<Vec<Value>> {
    let row = |oid: i64, name: &str| vec![int(oid), text(name), int(SUPERUSER_OID), Value::Null, Value::Null];
    vec![row(1663, "pg_default"), row(1664, "pg_global")]
}

fn access_methods(_: &CatalogView) -> Vec<Vec<Value>> {
    vec![
        vec![int(2), text("heap"), text("heap_tableam_handler"), text("t")],
        vec![int(403), text("btree"), text("bthandler"), text("i")],
    ]
}

fn collations(_: &CatalogView) -> Vec<Vec<Value>> {
    let row = |oid: i64, name: &str, provider: &str| {
        vec![
            int(oid),
            text(name),
            int(PG_CATALOG_OID),
            int(SUPERUSER_OID),
            text(provider),
            boolean(true),
            int(-1),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ]
    };
    vec![row(100, "default", "d"), row(950, "C", "c"), row(951, "POSIX", "c")]
}

fn activity(c: &CatalogView) -> Vec<Vec<Value>> {
    vec![vec![
        int(DATABASE_OID),
        text(c.session.database()),
        int(c.session.pid()),
        int(SUPERUSER_OID),
        text(c.session.user()),
        text(c.session.try_get("application_name").unwrap_or_default()),
        Value::Null,
        Value::Null,
        text("active"),
        Value::Null,
        text("client backend"),
    ]]
}
