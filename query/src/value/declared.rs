//! Declared types: the PostgreSQL type a column was created with, over the storage type
//! that holds its values.
//!
//! A table column has two types. Its storage type ([`DataType`]) is one of six and decides
//! how values are kept, compared and encoded: every integer is an `i64`, every string UTF-8
//! text. Its declared type ([`DeclaredType`]: PostgreSQL's type OID and type modifier, as
//! `pg_attribute` holds them) is what the user wrote — `smallint`, `varchar(20)`, `date` —
//! and decides three things only:
//!
//! - what a value must satisfy to be stored ([`conform`]): the range of `smallint` and
//!   `integer` (22003), the length of `varchar(n)` and `char(n)` (22001), a `date` is a
//!   midnight;
//! - what the catalogs say (`pg_attribute.atttypid`, `format_type`, `information_schema`);
//! - what the wire protocol reports and how it encodes the column (`int4` is 4 bytes).
//!
//! Keeping one storage type per family keeps rows compact and the executor's fast paths few;
//! PostgreSQL's own catalogs make the same split (`atttypid` beside the storage class
//! `typstorage`).
//!
//! | declared                                  | OID  | storage   | typmod   |
//! |-------------------------------------------|------|-----------|----------|
//! | smallint, int2, smallserial               | 21   | INTEGER   | -1       |
//! | integer, int, int4, serial                | 23   | INTEGER   | -1       |
//! | bigint, int8, bigserial                   | 20   | INTEGER   | -1       |
//! | real, float4, float(1..24)                | 700  | REAL      | -1       |
//! | double precision, float8, float           | 701  | REAL      | -1       |
//! | boolean                                   | 16   | BOOLEAN   | -1       |
//! | text                                      | 25   | TEXT      | -1       |
//! | varchar(n), character varying(n)          | 1043 | TEXT      | n + 4    |
//! | char(n), character(n) (n = 1 if omitted)  | 1042 | TEXT      | n + 4    |
//! | bytea                                     | 17   | BLOB      | -1       |
//! | date                                      | 1082 | TIMESTAMP | -1       |
//! | timestamp [without time zone]             | 1114 | TIMESTAMP | -1       |
//! | timestamptz, timestamp with time zone     | 1184 | TIMESTAMP | -1       |
//! | uuid, json, jsonb                         | 2950, 114, 3802 | TEXT | -1   |
//! | numeric, decimal [(p [, s])]              | 1700 | NUMERIC   | (p << 16 \| s) + 4 |
//! | interval                                  | 1186 | INTERVAL  | -1       |
//! | time [(p)] [without time zone]            | 1083 | TIME      | p or -1  |
//!
//! `time with time zone` (`timetz`) has no storage type: the binder refuses it (0A000).
//! Databases made before NUMERIC existed keep their `numeric` columns as they were made:
//! double precision, declared as nothing. Arrays are TEXT in their
//! PostgreSQL text form ([`super::array`]); a query's array results (`array_agg`,
//! `ARRAY(SELECT …)`) carry their array type ([`array_of`]) so that drivers decode lists.
//!
//! `char(n)` is checked for length but not padded with spaces, and compares as text.
//!
//! `json` values are checked and kept as written; `jsonb` values are stored in the
//! normalised text PostgreSQL prints ([`super::json`]), so equal documents are equal text.

use braid_engine::{DataType, DeclaredType, Value};

use crate::error::{DataError, Error, Result};

pub const BOOL: u32 = 16;
pub const BYTEA: u32 = 17;
pub const INT8: u32 = 20;
pub const INT2: u32 = 21;
pub const INT4: u32 = 23;
pub const TEXT: u32 = 25;
pub const JSON: u32 = 114;
pub const FLOAT4: u32 = 700;
pub const FLOAT8: u32 = 701;
pub const BPCHAR: u32 = 1042;
pub const VARCHAR: u32 = 1043;
pub const DATE: u32 = 1082;
pub const TIME: u32 = 1083;
pub const TIMESTAMP: u32 = 1114;
pub const TIMESTAMPTZ: u32 = 1184;
pub const NUMERIC: u32 = 1700;
pub const INTERVAL: u32 = 1186;
pub const UUID: u32 = 2950;
pub const JSONB: u32 = 3802;

/// PostgreSQL's array types of the element types Braid lists in `pg_type`: (element,
/// array) OIDs. Arrays of dates, timestamps and bytes are not among them: their elements'
/// text is Braid's own, so such arrays go out as `text[]`.
const ARRAYS: &[(u32, u32)] = &[
    (BOOL, 1000),
    (19, 1003), // name
    (INT2, 1005),
    (INT4, 1007),
    (TEXT, 1009),
    (BPCHAR, 1014),
    (VARCHAR, 1015),
    (INT8, 1016),
    (FLOAT4, 1021),
    (FLOAT8, 1022),
    (26, 1028), // oid
    (JSON, 199),
    (NUMERIC, 1231),
    (TIME, 1183),
    (INTERVAL, 1187),
    (UUID, 2951),
    (JSONB, 3807),
];

/// The array type whose elements are `element` (`int4` → `_int4`), if there is one; the
/// element's modifier stays with it, as in `pg_attribute`.
pub fn array_of(element: DeclaredType) -> Option<DeclaredType> {
    let &(_, oid) = ARRAYS.iter().find(|(e, _)| *e == element.oid)?;
    Some(DeclaredType { oid, typmod: element.typmod })
}

/// The element type's OID of array type `oid`, if it is one.
pub fn element_of(oid: u32) -> Option<u32> {
    ARRAYS.iter().find(|(_, a)| *a == oid).map(|(e, _)| *e)
}

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

fn plain(oid: u32) -> DeclaredType {
    DeclaredType { oid, typmod: -1 }
}

/// The declared type a type name spells (`VARCHAR(20)`, `pg_catalog.int4`, `timestamp with
/// time zone`), or `None` for a name with no declared type of its own (see the module doc).
pub fn from_name(name: &str) -> Option<DeclaredType> {
    let upper = name.trim().to_ascii_uppercase().replace('"', "");
    let upper = upper.strip_prefix("PG_CATALOG.").unwrap_or(&upper);
    let (base, args) = match upper.split_once('(') {
        Some((base, rest)) => {
            let (args, after) = rest.split_once(')')?;
            // `TIMESTAMP(3) WITH TIME ZONE`: the words after the modifier belong to the name.
            (format!("{} {}", base.trim(), after.trim()).trim().to_string(), Some(args.trim().to_string()))
        }
        None => (upper.to_string(), None),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = |default: i32| -> Option<i32> {
        match &args {
            None => Some(default),
            Some(n) => n.parse::<i32>().ok().filter(|n| (1..=10_485_760).contains(n)).map(|n| n + 4),
        }
    };
    Some(match base.as_str() {
        "SMALLINT" | "INT2" | "SMALLSERIAL" | "SERIAL2" => plain(INT2),
        "INTEGER" | "INT" | "INT4" | "SERIAL" | "SERIAL4" => plain(INT4),
        "BIGINT" | "INT8" | "BIGSERIAL" | "SERIAL8" => plain(INT8),
        "REAL" | "FLOAT4" => plain(FLOAT4),
        "DOUBLE PRECISION" | "DOUBLE" | "FLOAT8" => plain(FLOAT8),
        "FLOAT" => match args.as_deref().map(str::parse::<u32>) {
            Some(Ok(1..=24)) => plain(FLOAT4),
            _ => plain(FLOAT8),
        },
        "BOOLEAN" | "BOOL" => plain(BOOL),
        "TEXT" => plain(TEXT),
        "VARCHAR" | "CHARACTER VARYING" | "CHAR VARYING" => DeclaredType { oid: VARCHAR, typmod: length(-1)? },
        "CHAR" | "CHARACTER" => DeclaredType { oid: BPCHAR, typmod: length(5)? },
        "BPCHAR" => DeclaredType { oid: BPCHAR, typmod: length(-1)? },
        "BYTEA" => plain(BYTEA),
        "DATE" => plain(DATE),
        "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => plain(TIMESTAMP),
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => plain(TIMESTAMPTZ),
        "UUID" => plain(UUID),
        "JSON" => plain(JSON),
        "JSONB" => plain(JSONB),
        // `interval(p)`, `interval day to second`, `interval minute to second(3)`.
        b if b == "INTERVAL" || b.starts_with("INTERVAL ") => {
            let fields = b["INTERVAL".len()..].trim();
            let precision = match args.as_deref().map(str::parse::<i32>) {
                None => None,
                Some(Ok(p)) => Some(p),
                Some(Err(_)) => return None,
            };
            if fields.is_empty() && precision.is_none() {
                plain(INTERVAL)
            } else {
                let typmod = super::interval_fields::typmod((!fields.is_empty()).then_some(fields), precision)?;
                DeclaredType { oid: INTERVAL, typmod }
            }
        }
        // `time(p)`: fractional digits 0 to 6, the typmod p itself (as PostgreSQL keeps it).
        "TIME" | "TIME WITHOUT TIME ZONE" => match args.as_deref().map(str::parse::<i32>) {
            None => plain(TIME),
            Some(Ok(p @ 0..=6)) => DeclaredType { oid: TIME, typmod: p },
            Some(_) => return None,
        },
        "NUMERIC" | "DECIMAL" | "DEC" => match args.as_deref() {
            None => plain(NUMERIC),
            Some(args) => numeric_modifier(args)?,
        },
        _ => return None,
    })
}

/// `numeric(p)` or `numeric(p, s)`: precision 1 to 1000 and scale 0 to p, as PostgreSQL
/// allows (Braid keeps 28 digits of them; see `super::numeric`).
fn numeric_modifier(args: &str) -> Option<DeclaredType> {
    let mut parts = args.split(',').map(|p| p.trim().parse::<u32>().ok());
    let precision = parts.next()??;
    let scale = parts.next().unwrap_or(Some(0))?;
    if parts.next().is_some() || !(1..=1000).contains(&precision) || scale > precision {
        return None;
    }
    Some(DeclaredType { oid: NUMERIC, typmod: super::numeric::make_modifier(precision, scale) })
}

/// The storage type of a declared type.
pub fn storage(declared: DeclaredType) -> DataType {
    match declared.oid {
        INT2 | INT4 | INT8 => DataType::Integer,
        FLOAT4 | FLOAT8 => DataType::Real,
        BOOL => DataType::Boolean,
        BYTEA => DataType::Blob,
        DATE | TIMESTAMP | TIMESTAMPTZ => DataType::Timestamp,
        NUMERIC => DataType::Numeric,
        INTERVAL => DataType::Interval,
        TIME => DataType::Time,
        _ => DataType::Text,
    }
}

/// The declared type a column of storage type `t` has when it was declared with none:
/// what it has always been reported as.
pub fn of_storage(t: DataType) -> DeclaredType {
    plain(match t {
        DataType::Boolean => BOOL,
        DataType::Integer => INT8,
        DataType::Real => FLOAT8,
        DataType::Blob => BYTEA,
        DataType::Timestamp => TIMESTAMPTZ,
        DataType::Numeric => NUMERIC,
        DataType::Interval => INTERVAL,
        DataType::Time => TIME,
        _ => TEXT,
    })
}

/// The maximum length in characters of a `varchar(n)` / `char(n)`, if it has one.
pub fn max_length(declared: DeclaredType) -> Option<usize> {
    matches!(declared.oid, VARCHAR | BPCHAR)
        .then(|| declared.typmod.checked_sub(4))
        .flatten()
        .filter(|n| *n > 0)
        .map(|n| n as usize)
}

/// `format_type(oid, typmod)`'s spelling of the types with a modifier: `character
/// varying(20)`, `character(1)`, and `bpchar` without one; `None` for any other.
pub fn format_with_modifier(declared: DeclaredType) -> Option<String> {
    if declared.oid == NUMERIC {
        let (p, s) = super::numeric::modifier(declared.typmod)?;
        return Some(format!("numeric({p},{s})"));
    }
    if declared.oid == INTERVAL {
        return super::interval_fields::format(declared.typmod);
    }
    if declared.oid == TIME {
        return (declared.typmod >= 0).then(|| format!("time({}) without time zone", declared.typmod));
    }
    let Some(n) = max_length(declared) else {
        return (declared.oid == BPCHAR).then(|| "bpchar".to_string());
    };
    Some(match declared.oid {
        VARCHAR => format!("character varying({n})"),
        _ => format!("character({n})"),
    })
}

/// Checks (and for `date` and over-long trailing spaces, adjusts) a value already converted
/// to the column's storage type, as PostgreSQL does on assignment to the declared type.
#[inline]
pub fn conform(value: Value, declared: Option<DeclaredType>) -> Result<Value> {
    let Some(declared) = declared else { return Ok(value) };
    match (declared.oid, value) {
        (INT4, Value::Integer(i)) if i32::try_from(i).is_err() => {
            Err(Error::data(DataError::NumericOutOfRange, "integer out of range"))
        }
        (INT2, Value::Integer(i)) if i16::try_from(i).is_err() => {
            Err(Error::data(DataError::NumericOutOfRange, "smallint out of range"))
        }
        (VARCHAR | BPCHAR, Value::Text(s)) => fit_length(s, declared),
        (DATE, Value::Timestamp(us)) => us
            .div_euclid(DAY_MICROS)
            .checked_mul(DAY_MICROS)
            .map(Value::Timestamp)
            .ok_or_else(|| Error::data(DataError::DatetimeFieldOverflow, "date out of range")),
        (NUMERIC, Value::Numeric(d)) => super::numeric::conform(d, declared.typmod).map(Value::Numeric),
        (TIME, Value::Time(t)) => Ok(Value::Time(super::time::round(t, declared.typmod))),
        (INTERVAL, Value::Interval(i)) if declared.typmod >= 0 => {
            Ok(Value::Interval(super::interval_fields::restrict(i, declared.typmod)))
        }
        (UUID, Value::Text(s)) => canonical_uuid(&s).map(Value::Text).ok_or_else(|| {
            Error::data(DataError::InvalidTextRepresentation, format!("invalid input syntax for type uuid: \"{s}\""))
        }),
        (JSON, Value::Text(s)) => super::json::validate(&s).map(|()| Value::Text(s)),
        (JSONB, Value::Text(s)) => Ok(Value::Text(super::json::Json::parse(&s)?.to_string())),
        (_, value) => Ok(value),
    }
}

/// A UUID as PostgreSQL prints it (lower case, hyphens after 8, 12, 16 and 20 digits), from
/// any form it reads: upper case, braces, hyphens after any group of four digits.
pub fn canonical_uuid(text: &str) -> Option<String> {
    let inner = text.trim();
    let inner = inner.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(inner);
    let mut digits = String::with_capacity(36);
    for part in inner.split('-') {
        if part.is_empty() || part.len() % 4 != 0 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        digits.push_str(part);
    }
    if digits.len() != 32 {
        return None;
    }
    let d = digits.to_ascii_lowercase();
    Some(format!("{}-{}-{}-{}-{}", &d[..8], &d[8..12], &d[12..16], &d[16..20], &d[20..]))
}

/// A string no longer than `varchar(n)` / `char(n)` allows: trailing spaces past the limit
/// are cut (as PostgreSQL does); anything else past it is 22001.
fn fit_length(s: String, declared: DeclaredType) -> Result<Value> {
    let Some(n) = max_length(declared) else { return Ok(Value::Text(s)) };
    // Most strings are ASCII and short: their byte length bounds their character count.
    if s.len() <= n {
        return Ok(Value::Text(s));
    }
    let Some((cut, _)) = s.char_indices().nth(n) else { return Ok(Value::Text(s)) };
    if s[cut..].bytes().all(|b| b == b' ') {
        let mut s = s;
        s.truncate(cut);
        return Ok(Value::Text(s));
    }
    let name = if declared.oid == VARCHAR { "character varying" } else { "character" };
    Err(Error::data(DataError::StringTooLong, format!("value too long for type {name}({n})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_spell_declared_types() {
        let d = |name| from_name(name).map(|d| (d.oid, d.typmod));
        assert_eq!(d("INTEGER"), Some((INT4, -1)));
        assert_eq!(d("int"), Some((INT4, -1)));
        assert_eq!(d("pg_catalog.int8"), Some((INT8, -1)));
        assert_eq!(d("SMALLINT"), Some((INT2, -1)));
        assert_eq!(d("VARCHAR(20)"), Some((VARCHAR, 24)));
        assert_eq!(d("character varying"), Some((VARCHAR, -1)));
        assert_eq!(d("CHAR"), Some((BPCHAR, 5)));
        assert_eq!(d("CHARACTER(84)"), Some((BPCHAR, 88)));
        assert_eq!(d("FLOAT(10)"), Some((FLOAT4, -1)));
        assert_eq!(d("FLOAT"), Some((FLOAT8, -1)));
        assert_eq!(d("DOUBLE PRECISION"), Some((FLOAT8, -1)));
        assert_eq!(d("TIMESTAMP(3) WITH TIME ZONE"), Some((TIMESTAMPTZ, -1)));
        assert_eq!(d("timestamp without time zone"), Some((TIMESTAMP, -1)));
        assert_eq!(d("VARCHAR(0)"), None);
        assert_eq!(d("VARCHAR(x)"), None);
        assert_eq!(d("NUMERIC(10,2)"), Some((NUMERIC, (10 << 16 | 2) + 4)));
        assert_eq!(d("decimal(7)"), Some((NUMERIC, (7 << 16) + 4)));
        assert_eq!(d("NUMERIC"), Some((NUMERIC, -1)));
        assert_eq!(d("NUMERIC(2,3)"), None);
        assert_eq!(d("BLOB"), None);
        assert_eq!(d("TIME"), Some((TIME, -1)));
        assert_eq!(d("time(3) without time zone"), Some((TIME, 3)));
        assert_eq!(d("TIME(7)"), None);
        assert_eq!(d("TIME WITH TIME ZONE"), None);
        assert_eq!(d("INTERVAL"), Some((INTERVAL, -1)));
        assert_eq!(d("INTERVAL DAY TO SECOND"), Some((INTERVAL, 470_351_871)));
        assert_eq!(d("INTERVAL(2)"), Some((INTERVAL, 2_147_418_114)));
        assert_eq!(d("interval minute to second(3)"), Some((INTERVAL, 402_653_187)));
    }

    #[test]
    fn values_conform_to_their_declared_type() {
        let int4 = Some(plain(INT4));
        assert_eq!(conform(Value::Integer(2_147_483_647), int4).unwrap(), Value::Integer(2_147_483_647));
        let err = conform(Value::Integer(2_147_483_648), int4).unwrap_err();
        assert_eq!(err.sqlstate(), "22003");
        assert_eq!(err.to_string(), "integer out of range");
        assert_eq!(
            conform(Value::Integer(-32_769), Some(plain(INT2))).unwrap_err().to_string(),
            "smallint out of range"
        );
        let v3 = Some(DeclaredType { oid: VARCHAR, typmod: 7 });
        assert_eq!(conform("abc".into(), v3).unwrap(), Value::from("abc"));
        assert_eq!(conform("héé".into(), v3).unwrap(), Value::from("héé"));
        assert_eq!(conform("abc   ".into(), v3).unwrap(), Value::from("abc"));
        let err = conform("abcd".into(), v3).unwrap_err();
        assert_eq!(
            (err.sqlstate(), err.to_string().as_str()),
            ("22001", "value too long for type character varying(3)")
        );
        let c1 = from_name("char");
        assert_eq!(conform("ab".into(), c1).unwrap_err().to_string(), "value too long for type character(1)");
        assert_eq!(conform(Value::Timestamp(DAY_MICROS + 5), Some(plain(DATE))).unwrap(), Value::Timestamp(DAY_MICROS));
        assert_eq!(conform(Value::Timestamp(-5), Some(plain(DATE))).unwrap(), Value::Timestamp(-DAY_MICROS));
        assert_eq!(conform(Value::Null, int4).unwrap(), Value::Null);
        let err = conform(Value::Timestamp(i64::MIN + 1), Some(plain(DATE))).unwrap_err();
        assert_eq!(err.sqlstate(), "22008");
        assert_eq!(max_length(DeclaredType { oid: VARCHAR, typmod: i32::MIN }), None);
        let uuid = Some(plain(UUID));
        let canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for form in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        ] {
            assert_eq!(conform(form.into(), uuid).unwrap(), Value::from(canonical), "{form}");
        }
        for bad in [
            "hello",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
            "é0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        ] {
            assert_eq!(conform(bad.into(), uuid).unwrap_err().sqlstate(), "22P02", "{bad}");
        }
    }
}
