//! PostgreSQL's types as the catalogs describe them: `pg_type` rows, and which of them a
//! Braid column type is.

use braid_engine::DataType;

/// One row of `pg_type`, the facts clients read.
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo {
    pub oid: i64,
    pub name: &'static str,
    /// `typlen`: bytes, or -1 for variable length.
    pub len: i64,
    /// `typcategory`: B boolean, N numeric, S string, D date/time, U user, A array…
    pub category: &'static str,
    /// The array type of this one (0: none), or for an array the element type.
    pub array: i64,
    pub element: i64,
    /// The SQL standard's name (`information_schema.columns.data_type`).
    pub sql_name: &'static str,
}

const fn t(
    oid: i64,
    name: &'static str,
    len: i64,
    category: &'static str,
    array: i64,
    element: i64,
    sql_name: &'static str,
) -> TypeInfo {
    TypeInfo { oid, name, len, category, array, element, sql_name }
}

/// The types listed in `pg_type`: those Braid's columns have, and those clients look up by
/// OID when they decode results or describe parameters.
pub const TYPES: &[TypeInfo] = &[
    t(16, "bool", 1, "B", 1000, 0, "boolean"),
    t(17, "bytea", -1, "U", 1001, 0, "bytea"),
    t(18, "char", 1, "Z", 1002, 0, "\"char\""),
    t(19, "name", 64, "S", 1003, 0, "name"),
    t(20, "int8", 8, "N", 1016, 0, "bigint"),
    t(21, "int2", 2, "N", 1005, 0, "smallint"),
    t(22, "int2vector", -1, "A", 1006, 21, "ARRAY"),
    t(23, "int4", 4, "N", 1007, 0, "integer"),
    t(24, "regproc", 4, "N", 1008, 0, "regproc"),
    t(25, "text", -1, "S", 1009, 0, "text"),
    t(26, "oid", 4, "N", 1028, 0, "oid"),
    t(114, "json", -1, "U", 199, 0, "json"),
    t(700, "float4", 4, "N", 1021, 0, "real"),
    t(701, "float8", 8, "N", 1022, 0, "double precision"),
    t(705, "unknown", -2, "X", 0, 0, "unknown"),
    t(1000, "_bool", -1, "A", 0, 16, "ARRAY"),
    t(1001, "_bytea", -1, "A", 0, 17, "ARRAY"),
    t(1005, "_int2", -1, "A", 0, 21, "ARRAY"),
    t(1007, "_int4", -1, "A", 0, 23, "ARRAY"),
    t(1009, "_text", -1, "A", 0, 25, "ARRAY"),
    t(1016, "_int8", -1, "A", 0, 20, "ARRAY"),
    t(1021, "_float4", -1, "A", 0, 700, "ARRAY"),
    t(1022, "_float8", -1, "A", 0, 701, "ARRAY"),
    t(1042, "bpchar", -1, "S", 1014, 0, "character"),
    t(1043, "varchar", -1, "S", 1015, 0, "character varying"),
    t(1082, "date", 4, "D", 1182, 0, "date"),
    t(1083, "time", 8, "D", 1183, 0, "time without time zone"),
    t(1183, "_time", -1, "A", 0, 1083, "ARRAY"),
    t(1114, "timestamp", 8, "D", 1115, 0, "timestamp without time zone"),
    t(1184, "timestamptz", 8, "D", 1185, 0, "timestamp with time zone"),
    t(1186, "interval", 16, "T", 1187, 0, "interval"),
    t(1187, "_interval", -1, "A", 0, 1186, "ARRAY"),
    t(1231, "_numeric", -1, "A", 0, 1700, "ARRAY"),
    t(1700, "numeric", -1, "N", 1231, 0, "numeric"),
    t(2205, "regclass", 4, "N", 2210, 0, "regclass"),
    t(2206, "regtype", 4, "N", 2211, 0, "regtype"),
    t(2249, "record", -1, "P", 2287, 0, "record"),
    t(2278, "void", 4, "P", 0, 0, "void"),
    t(2950, "uuid", 16, "U", 2951, 0, "uuid"),
    t(3802, "jsonb", -1, "U", 3807, 0, "jsonb"),
];

/// The PostgreSQL type of a Braid column type (as the wire protocol reports it).
pub fn type_info(t: DataType) -> &'static TypeInfo {
    let oid = match t {
        DataType::Boolean => 16,
        DataType::Integer => 20,
        DataType::Real => 701,
        DataType::Blob => 17,
        DataType::Timestamp => 1184,
        DataType::Numeric => 1700,
        DataType::Interval => 1186,
        DataType::Time => 1083,
        _ => 25,
    };
    by_oid(oid).expect("every column type is listed")
}

/// The PostgreSQL type of a table column and its modifier: the type it was declared with,
/// or its storage type's.
pub fn column_type(column: &braid_engine::ColumnDef) -> (&'static TypeInfo, i64) {
    let declared = column.declared.unwrap_or_else(|| crate::value::declared::of_storage(column.data_type));
    match by_oid(declared.oid as i64) {
        Some(info) => (info, declared.typmod as i64),
        None => (type_info(column.data_type), -1),
    }
}

/// The type with this OID.
pub fn by_oid(oid: i64) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.oid == oid)
}

/// The OID of a type by its name (`int8`, `bigint`, `pg_catalog.text`, `integer`).
pub fn oid_by_name(name: &str) -> Option<i64> {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("pg_catalog.").unwrap_or(&name).trim_matches('"');
    let alias = match name {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        other => other,
    };
    TYPES.iter().find(|t| t.name == alias).map(|t| t.oid)
}

/// `format_type(oid, typmod)`: the SQL name PostgreSQL prints for a type.
pub fn format_type(oid: i64, typmod: i64) -> Option<String> {
    let t = by_oid(oid)?;
    if let (Ok(oid), Ok(typmod)) = (u32::try_from(oid), i32::try_from(typmod))
        && let Some(name) = crate::value::declared::format_with_modifier(braid_engine::DeclaredType { oid, typmod })
    {
        return Some(name);
    }
    Some(match t.sql_name {
        "ARRAY" => format!("{}[]", by_oid(t.element).map_or("unknown", |e| e.sql_name)),
        "\"char\"" => "\"char\"".to_string(),
        name => name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_elements_point_at_each_other() {
        for t in TYPES.iter().filter(|t| t.element != 0) {
            assert!(by_oid(t.element).is_some(), "{}", t.name);
        }
        assert_eq!(format_type(1009, -1).as_deref(), Some("text[]"));
        assert_eq!(format_type(20, -1).as_deref(), Some("bigint"));
        assert_eq!(format_type(1043, 24).as_deref(), Some("character varying(20)"));
        assert_eq!(format_type(1043, -1).as_deref(), Some("character varying"));
        assert_eq!(format_type(1042, 5).as_deref(), Some("character(1)"));
        assert_eq!(format_type(1700, (10 << 16 | 2) + 4).as_deref(), Some("numeric(10,2)"));
        assert_eq!(format_type(1700, -1).as_deref(), Some("numeric"));
        assert_eq!(type_info(DataType::Timestamp).name, "timestamptz");
    }
}
