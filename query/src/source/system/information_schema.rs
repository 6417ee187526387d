//! `information_schema`: the SQL standard's views of the schema, as PostgreSQL 15 defines
//! them (its column names and order; `yes_or_no` columns are `'YES'` / `'NO'`,
//! `cardinal_number` integers, `sql_identifier` and `character_data` text).

use braid_engine::DataType::{Integer as I, Text as T};
use braid_engine::{TableDef, Value};

use super::pg_catalog::Constraint;
use super::{CatalogView, SystemTable, int, text, type_info};
use crate::names;

const fn view(
    name: &'static str,
    columns: &'static [(&'static str, braid_engine::DataType)],
    rows: fn(&CatalogView) -> Vec<Vec<Value>>,
) -> SystemTable {
    SystemTable { schema: "information_schema", name, columns, needs_view_columns: false, rows }
}

fn none(_: &CatalogView) -> Vec<Vec<Value>> {
    vec![]
}

pub(super) static TABLES: &[SystemTable] = &[
    view(
        "schemata",
        &[
            ("catalog_name", T),
            ("schema_name", T),
            ("schema_owner", T),
            ("default_character_set_catalog", T),
            ("default_character_set_schema", T),
            ("default_character_set_name", T),
            ("sql_path", T),
        ],
        schemata,
    ),
    SystemTable {
        schema: "information_schema",
        name: "tables",
        columns: &[
            ("table_catalog", T),
            ("table_schema", T),
            ("table_name", T),
            ("table_type", T),
            ("self_referencing_column_name", T),
            ("reference_generation", T),
            ("user_defined_type_catalog", T),
            ("user_defined_type_schema", T),
            ("user_defined_type_name", T),
            ("is_insertable_into", T),
            ("is_typed", T),
            ("commit_action", T),
        ],
        needs_view_columns: false,
        rows: tables,
    },
    SystemTable {
        schema: "information_schema",
        name: "columns",
        columns: &[
            ("table_catalog", T),
            ("table_schema", T),
            ("table_name", T),
            ("column_name", T),
            ("ordinal_position", I),
            ("column_default", T),
            ("is_nullable", T),
            ("data_type", T),
            ("character_maximum_length", I),
            ("character_octet_length", I),
            ("numeric_precision", I),
            ("numeric_precision_radix", I),
            ("numeric_scale", I),
            ("datetime_precision", I),
            ("interval_type", T),
            ("interval_precision", I),
            ("character_set_catalog", T),
            ("character_set_schema", T),
            ("character_set_name", T),
            ("collation_catalog", T),
            ("collation_schema", T),
            ("collation_name", T),
            ("domain_catalog", T),
            ("domain_schema", T),
            ("domain_name", T),
            ("udt_catalog", T),
            ("udt_schema", T),
            ("udt_name", T),
            ("scope_catalog", T),
            ("scope_schema", T),
            ("scope_name", T),
            ("maximum_cardinality", I),
            ("dtd_identifier", T),
            ("is_self_referencing", T),
            ("is_identity", T),
            ("identity_generation", T),
            ("identity_start", T),
            ("identity_increment", T),
            ("identity_maximum", T),
            ("identity_minimum", T),
            ("identity_cycle", T),
            ("is_generated", T),
            ("generation_expression", T),
            ("is_updatable", T),
        ],
        needs_view_columns: true,
        rows: columns,
    },
    view(
        "views",
        &[
            ("table_catalog", T),
            ("table_schema", T),
            ("table_name", T),
            ("view_definition", T),
            ("check_option", T),
            ("is_updatable", T),
            ("is_insertable_into", T),
            ("is_trigger_updatable", T),
            ("is_trigger_deletable", T),
            ("is_trigger_insertable_into", T),
        ],
        views,
    ),
    view(
        "table_constraints",
        &[
            ("constraint_catalog", T),
            ("constraint_schema", T),
            ("constraint_name", T),
            ("table_catalog", T),
            ("table_schema", T),
            ("table_name", T),
            ("constraint_type", T),
            ("is_deferrable", T),
            ("initially_deferred", T),
            ("enforced", T),
            ("nulls_distinct", T),
        ],
        table_constraints,
    ),
    view(
        "key_column_usage",
        &[
            ("constraint_catalog", T),
            ("constraint_schema", T),
            ("constraint_name", T),
            ("table_catalog", T),
            ("table_schema", T),
            ("table_name", T),
            ("column_name", T),
            ("ordinal_position", I),
            ("position_in_unique_constraint", I),
        ],
        key_column_usage,
    ),
    view(
        "constraint_column_usage",
        &[
            ("table_catalog", T),
            ("table_schema", T),
            ("table_name", T),
            ("column_name", T),
            ("constraint_catalog", T),
            ("constraint_schema", T),
            ("constraint_name", T),
        ],
        constraint_column_usage,
    ),
    view(
        "check_constraints",
        &[("constraint_catalog", T), ("constraint_schema", T), ("constraint_name", T), ("check_clause", T)],
        check_constraints,
    ),
    view(
        "referential_constraints",
        &[
            ("constraint_catalog", T),
            ("constraint_schema", T),
            ("constraint_name", T),
            ("unique_constraint_catalog", T),
            ("unique_constraint_schema", T),
            ("unique_constraint_name", T),
            ("match_option", T),
            ("update_rule", T),
            ("delete_rule", T),
        ],
        referential_constraints,
    ),
    view(
        "sequences",
        &[
            ("sequence_catalog", T),
            ("sequence_schema", T),
            ("sequence_name", T),
            ("data_type", T),
            ("numeric_precision", I),
            ("numeric_precision_radix", I),
            ("numeric_scale", I),
            ("start_value", T),
            ("minimum_value", T),
            ("maximum_value", T),
            ("increment", T),
            ("cycle_option", T),
        ],
        sequences,
    ),
    view(
        "routines",
        &[
            ("specific_catalog", T),
            ("specific_schema", T),
            ("specific_name", T),
            ("routine_catalog", T),
            ("routine_schema", T),
            ("routine_name", T),
            ("routine_type", T),
            ("data_type", T),
            ("routine_body", T),
            ("routine_definition", T),
            ("external_language", T),
        ],
        none,
    ),
];

fn yes(b: bool) -> Value {
    text(if b { "YES" } else { "NO" })
}

fn catalog_name(c: &CatalogView) -> Value {
    text(c.session.database())
}

/// The schema of a relation's stored name, as text.
fn schema_of(stored: &str) -> Value {
    text(names::split(stored).0)
}

/// The bare name of a relation's stored name, as text.
fn bare(stored: &str) -> Value {
    text(names::bare(stored))
}

fn schemata(c: &CatalogView) -> Vec<Vec<Value>> {
    c.schemas
        .all()
        .map(|(_, s)| {
            vec![catalog_name(c), text(s), text(c.session.user()), Value::Null, Value::Null, Value::Null, Value::Null]
        })
        .collect()
}

fn tables(c: &CatalogView) -> Vec<Vec<Value>> {
    let row = |name: &str, kind: &str, insertable: bool| {
        let mut r = vec![catalog_name(c), schema_of(name), bare(name), text(kind), Value::Null, Value::Null];
        r.extend([Value::Null, Value::Null, Value::Null, yes(insertable), yes(false), Value::Null]);
        r
    };
    let mut out: Vec<Vec<Value>> = c.sorted_tables().into_iter().map(|t| row(&t.name, "BASE TABLE", true)).collect();
    out.extend(c.sorted_views().into_iter().map(|v| row(&v.name, "VIEW", false)));
    out
}

/// What a `columns` row says of one column.
struct ColumnFacts<'a> {
    table: &'a str,
    name: &'a str,
    /// 1-based.
    position: usize,
    default: Option<&'a str>,
    nullable: bool,
    ty: braid_engine::DeclaredType,
    updatable: bool,
}

/// One `columns` row.
fn column_row(c: &CatalogView, f: ColumnFacts) -> Vec<Value> {
    let ColumnFacts { table, name, position, default, nullable, ty, updatable } = f;
    use crate::value::declared as d;
    let info = super::types::by_oid(ty.oid as i64).unwrap_or_else(|| type_info(braid_engine::DataType::Text));
    let (precision, radix, scale) = match ty.oid {
        d::INT2 => (int(16), int(2), int(0)),
        d::INT4 => (int(32), int(2), int(0)),
        d::INT8 => (int(64), int(2), int(0)),
        d::FLOAT4 => (int(24), int(2), Value::Null),
        d::FLOAT8 => (int(53), int(2), Value::Null),
        d::NUMERIC => match crate::value::numeric::modifier(ty.typmod) {
            Some((p, s)) => (int(p as i64), int(10), int(s as i64)),
            None => (Value::Null, int(10), Value::Null),
        },
        _ => (Value::Null, Value::Null, Value::Null),
    };
    let datetime_precision = match ty.oid {
        d::DATE => int(0),
        d::TIMESTAMP | d::TIMESTAMPTZ => int(6),
        d::TIME if ty.typmod >= 0 => int(i64::from(ty.typmod)),
        d::TIME => int(6),
        d::INTERVAL => int(i64::from(crate::value::interval_fields::precision(ty.typmod).unwrap_or(6))),
        _ => Value::Null,
    };
    let max_length = d::max_length(ty);
    let octet_length = match (max_length, info.category) {
        (Some(n), _) => int(n as i64 * 4),
        (None, "S") => int(1_073_741_824),
        _ => Value::Null,
    };
    let max_length = max_length.map_or(Value::Null, |n| int(n as i64));
    let mut r = vec![catalog_name(c), schema_of(table), bare(table), text(name), int(position as i64)];
    r.extend([default.map_or(Value::Null, text), yes(nullable), text(info.sql_name), max_length, octet_length]);
    let interval_type =
        if ty.oid == d::INTERVAL { crate::value::interval_fields::interval_type(ty.typmod) } else { None };
    r.extend([
        precision,
        radix,
        scale,
        datetime_precision,
        interval_type.map_or(Value::Null, Value::Text),
        Value::Null,
    ]);
    r.extend([Value::Null, Value::Null, Value::Null, Value::Null, Value::Null, Value::Null]);
    r.extend([Value::Null, Value::Null, Value::Null]);
    r.extend([catalog_name(c), text("pg_catalog"), text(info.name)]);
    r.extend([Value::Null, Value::Null, Value::Null, Value::Null, text(position.to_string()), yes(false)]);
    r.extend([yes(false), Value::Null, Value::Null, Value::Null, Value::Null, Value::Null, yes(false)]);
    r.extend([text("NEVER"), Value::Null, yes(updatable)]);
    r
}

fn columns(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for t in c.sorted_tables() {
        for (i, col) in t.columns.iter().enumerate() {
            let (nullable, default) = (!t.is_not_null(i), col.default.as_deref().filter(|_| col.identity.is_none()));
            let ty = col.declared.unwrap_or_else(|| crate::value::declared::of_storage(col.data_type));
            let (table, name) = (t.name.as_str(), col.name.as_str());
            out.push(column_row(
                c,
                ColumnFacts { table, name, position: i + 1, default, nullable, ty, updatable: true },
            ));
        }
    }
    for v in c.sorted_views() {
        for (i, (name, ty)) in v.columns.iter().flatten().enumerate() {
            let ty = v.column_type(i, *ty);
            let facts = ColumnFacts {
                table: &v.name,
                name,
                position: i + 1,
                default: None,
                nullable: true,
                ty,
                updatable: false,
            };
            out.push(column_row(c, facts));
        }
    }
    out
}

fn views(c: &CatalogView) -> Vec<Vec<Value>> {
    c.sorted_views()
        .into_iter()
        .map(|v| {
            let mut r = vec![catalog_name(c), schema_of(&v.name), bare(&v.name), text(v.sql.clone())];
            r.extend([text("NONE"), yes(false), yes(false), yes(false), yes(false), yes(false)]);
            r
        })
        .collect()
}

/// The kind of a constraint as `table_constraints` names it.
fn constraint_type(kind: &str) -> &'static str {
    match kind {
        "p" => "PRIMARY KEY",
        "u" => "UNIQUE",
        "f" => "FOREIGN KEY",
        _ => "CHECK",
    }
}

/// Every constraint of every table, with its table.
fn all_constraints<'a>(c: &'a CatalogView) -> Vec<(&'a TableDef, Constraint)> {
    c.sorted_tables()
        .into_iter()
        .flat_map(|t| super::pg_catalog::table_constraints(t).into_iter().map(move |k| (t, k)))
        .collect()
}

fn table_constraints(c: &CatalogView) -> Vec<Vec<Value>> {
    all_constraints(c)
        .into_iter()
        .map(|(t, k)| {
            let (deferrable, deferred) =
                k.foreign.as_ref().map_or((false, false), |f| (f.deferrable, f.initially_deferred));
            let mut r = vec![catalog_name(c), schema_of(&t.name), text(k.name), catalog_name(c), schema_of(&t.name)];
            r.extend([bare(&t.name), text(constraint_type(k.kind)), yes(deferrable), yes(deferred), yes(true)]);
            r.push(if k.kind == "u" || k.kind == "p" { yes(true) } else { Value::Null });
            r
        })
        .collect()
}

fn key_column_usage(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for (t, k) in all_constraints(c) {
        for (n, &col) in k.columns.iter().enumerate() {
            let mut r =
                vec![catalog_name(c), schema_of(&t.name), text(k.name.clone()), catalog_name(c), schema_of(&t.name)];
            r.extend([bare(&t.name), text(t.columns[col as usize].name.clone()), int(n as i64 + 1)]);
            r.push(if k.kind == "f" { int(n as i64 + 1) } else { Value::Null });
            out.push(r);
        }
    }
    out
}

fn constraint_column_usage(c: &CatalogView) -> Vec<Vec<Value>> {
    let mut out = vec![];
    for (t, k) in all_constraints(c) {
        // A foreign key uses the columns it references.
        let (table, columns): (String, Vec<String>) = match &k.foreign {
            Some(fk) => (fk.parent.clone(), fk.parent_columns.clone()),
            None => (t.name.clone(), k.columns.iter().map(|&col| t.columns[col as usize].name.clone()).collect()),
        };
        for column in columns {
            let mut r = vec![catalog_name(c), schema_of(&table), bare(&table)];
            r.extend([text(column), catalog_name(c), schema_of(&t.name), text(k.name.clone())]);
            out.push(r);
        }
    }
    out
}

fn referential_constraints(c: &CatalogView) -> Vec<Vec<Value>> {
    use crate::plan::foreign_keys::action_sql as rule;
    let tables = c.sorted_tables();
    all_constraints(c)
        .into_iter()
        .filter_map(|(t, k)| {
            let fk = k.foreign?;
            let unique = super::pg_catalog::referenced(&tables, &fk).and_then(|(_, _, u)| u).map(|u| u.name);
            let mut r = vec![catalog_name(c), schema_of(&t.name), text(k.name)];
            r.extend([catalog_name(c), schema_of(&fk.parent), unique.map_or(Value::Null, |u| bare(&u))]);
            r.extend([text("NONE"), text(rule(fk.on_update)), text(rule(fk.on_delete))]);
            Some(r)
        })
        .collect()
}

fn check_constraints(c: &CatalogView) -> Vec<Vec<Value>> {
    all_constraints(c)
        .into_iter()
        .filter_map(|(t, k)| {
            k.check.map(|sql| vec![catalog_name(c), schema_of(&t.name), text(k.name), text(format!("({sql})"))])
        })
        .collect()
}

fn sequences(c: &CatalogView) -> Vec<Vec<Value>> {
    c.sequences
        .iter()
        .map(|s| {
            let (ty, bits) = match s.type_oid {
                21 => ("smallint", 16),
                23 => ("integer", 32),
                _ => ("bigint", 64),
            };
            vec![
                text(c.session.database()),
                schema_of(&s.name),
                bare(&s.name),
                text(ty),
                int(bits),
                int(2),
                int(0),
                text(s.start.to_string()),
                text(s.min.to_string()),
                text(s.max.to_string()),
                text(s.increment.to_string()),
                text(if s.cycle { "YES" } else { "NO" }),
            ]
        })
        .collect()
}
