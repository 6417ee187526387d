//! Functions of the session: its settings (`current_setting`, `set_config`), who and where
//! it is (`current_user`, `current_database`, `current_schema`, `pg_backend_pid`) and the
//! time its transaction began (`now()`). They are what clients call on connect (SQLAlchemy,
//! Django, pg_dump) and in catalog queries; none is constant, so none is folded into a
//! cached plan. Beside them, the pure helper those clients need with them (`quote_ident`).

use braid_engine::Value;

use super::ScalarFunction;
use crate::error::{Error, Result};
use crate::session::{Session, now_micros};
use crate::value::datetime::MICROS_PER_DAY;
use crate::value::{to_text, truthy};

/// Calls a session function (`ScalarFunction::reads_session`).
pub(super) fn call(f: ScalarFunction, args: &[Value], session: &Session) -> Result<Value> {
    use ScalarFunction::*;
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    Ok(match f {
        CurrentSetting if arg(0).is_null() => Value::Null,
        CurrentSetting => {
            let missing_ok = truthy(arg(1)) == Some(true);
            match session.get(&to_text(arg(0))) {
                Ok(v) => Value::Text(v),
                Err(_) if missing_ok => Value::Null,
                Err(e) => return Err(e),
            }
        }
        SetConfig => {
            if arg(0).is_null() {
                return Err(Error::invalid("SET requires parameter name"));
            }
            let (name, value) = (to_text(arg(0)), to_text(arg(1)));
            session.set(&name, &value)?;
            Value::Text(session.get(&name)?)
        }
        CurrentUser => Value::Text(session.role()),
        SessionUser => Value::Text(session.user()),
        CurrentDatabase => Value::Text(session.database()),
        BackendPid => Value::Integer(session.pid().into()),
        Now => Value::Timestamp(session.transaction_start()),
        ClockTimestamp => Value::Timestamp(now_micros()),
        CurrentDate => Value::Timestamp(session.transaction_start().div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY),
        other => return Err(Error::invalid(format!("internal error: {}() is not a session function", other.name()))),
    })
}

/// `current_schema()` and `current_schemas(implicit)`: the schemas of the search path that
/// exist (`pg_catalog` first with `implicit`, as it is searched first); `current_schema()`
/// is NULL when none does.
pub(super) fn schemas(f: ScalarFunction, args: &[Value], session: &Session, txn: &braid_engine::Txn) -> Result<Value> {
    let known = crate::names::Schemas::load(txn)?;
    let path = session.search_path();
    let mut schemas: Vec<&str> = path.schemas().iter().map(String::as_str).filter(|s| known.exists(s)).collect();
    if f == ScalarFunction::CurrentSchema {
        return Ok(schemas.first().map_or(Value::Null, |s| Value::Text(s.to_string())));
    }
    if args.first().is_some_and(|a| truthy(a) == Some(true)) && !schemas.contains(&"pg_catalog") {
        schemas.insert(0, "pg_catalog");
    }
    Ok(Value::Text(format!("{{{}}}", schemas.join(","))))
}

/// `quote_ident`: the name as is when it is a lower-case identifier that is not a keyword,
/// else in double quotes with inner quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_reserved(name);
    if plain { name.to_string() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// PostgreSQL's reserved keywords (those `quote_ident` must quote).
fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    RESERVED.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_they_need_it() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("MyTable"), "\"MyTable\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
    }

    #[test]
    fn the_reserved_list_is_sorted() {
        // binary_search needs it.
        assert!(is_reserved("with") && is_reserved("all") && !is_reserved("name"));
    }
}
