//! PostgreSQL's JSON functions and operators, over the text [`crate::value::json`] reads.
//!
//! Each operator is bound as a call of one of these functions (`a -> 'k'` is
//! [`JsonFunction::Field`]), so the binder only decides *which* function and the executor
//! only calls it. What the binder decides is what PostgreSQL decides from static types:
//! whether an operand is `json` or `jsonb` (`->` returns the same type as its left side;
//! `||` concatenates jsonb when either side is jsonb), and how a value of another type
//! becomes JSON. The latter is [`JsonFunction::From`], which the binder puts around every
//! non-JSON argument of `to_json`, `json_build_object`, `json_agg` and kin, with the
//! argument's declared type: at run time a `json` value and a `text` value are both TEXT,
//! so only the binder can tell `'{"a":1}'::json` (embedded as is) from `'x'::text`
//! (quoted). The builders themselves thus take JSON text only, SQL NULL meaning `null`.
//!
//! For `json` the results are slices of the input as written (PostgreSQL keeps `json`
//! text verbatim); for `jsonb` they are printed in its normal form.

use braid_engine::Value;

use crate::error::{DataError, Error, Result};
use crate::value::declared;
use crate::value::json::{self, Json, Node, Shape};
use crate::value::{array, to_i64_lossy, to_text};

/// Which of PostgreSQL's two JSON types a function reads or returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Json,
    Jsonb,
}

impl Kind {
    /// The type's OID (`json` 114, `jsonb` 3802).
    pub fn oid(self) -> u32 {
        match self {
            Kind::Json => declared::JSON,
            Kind::Jsonb => declared::JSONB,
        }
    }

    /// The kind a declared type OID is, if it is one of the two.
    pub fn of_oid(oid: u32) -> Option<Kind> {
        match oid {
            declared::JSON => Some(Kind::Json),
            declared::JSONB => Some(Kind::Jsonb),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Kind::Json => "json",
            Kind::Jsonb => "jsonb",
        }
    }

    /// A node as this type prints it: `json` its own text, `jsonb` the normal form.
    fn print(self, node: &Node) -> String {
        match self {
            Kind::Json => node.text.to_string(),
            Kind::Jsonb => node.to_json().to_string(),
        }
    }

    /// A node's text as `->>` gives it (a string unquoted, `null` as NULL).
    fn print_text(self, node: &Node) -> Value {
        match (&node.shape, self) {
            (Shape::Null, _) => Value::Null,
            (Shape::String(s), _) => Value::Text(s.clone()),
            _ => Value::Text(self.print(node)),
        }
    }
}

/// A JSON function or operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFunction {
    /// `x::json` (checked, kept) and `x::jsonb` (normalised); `to_jsonb` of a `json`.
    In(Kind),
    /// `to_json(x)`: a value of another type as JSON; the second argument is its declared
    /// type's OID (0 for none).
    From(Kind),
    /// `json_build_object(k1, v1, …)`: the values JSON text already ([`JsonFunction::From`]).
    BuildObject(Kind),
    /// `json_build_array(v1, …)`
    BuildArray(Kind),
    /// `json_typeof(j)`
    TypeOf,
    /// `json_array_length(j)`
    ArrayLength(Kind),
    /// `j -> key` or `j -> index`
    Field(Kind),
    /// `j ->> key` or `j ->> index`
    FieldText(Kind),
    /// `j #> '{a,0,b}'`
    Path(Kind),
    /// `j #>> '{a,0,b}'`
    PathText(Kind),
    /// `json_extract_path(j, 'a', '0', 'b')`
    ExtractPath(Kind),
    /// `json_extract_path_text(j, 'a', '0', 'b')`
    ExtractPathText(Kind),
    /// `a @> b` (and `b <@ a`)
    Contains,
    /// `j ? key`
    Exists,
    /// `j ?| '{a,b}'`
    ExistsAny,
    /// `j ?& '{a,b}'`
    ExistsAll,
    /// `a || b` of jsonb
    Concat,
    /// `j - key` or `j - index`
    Delete,
    /// `j #- '{a,0}'`
    DeletePath,
    /// `jsonb_set(target, path, value [, create_missing])`
    Set,
    /// `jsonb_insert(target, path, value [, insert_after])`
    Insert,
    /// `jsonb_strip_nulls(j)`
    StripNulls,
    /// `jsonb_pretty(j)`
    Pretty,
}

/// What a function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Json(Kind),
    Text,
    Integer,
    Boolean,
}

impl JsonFunction {
    /// The function of this name, with its least and greatest number of arguments.
    pub fn lookup(name: &str) -> Option<(JsonFunction, usize, usize)> {
        use JsonFunction::*;
        use Kind::{Json as J, Jsonb as B};
        Some(match name {
            "to_json" => (From(J), 1, 1),
            "to_jsonb" => (From(B), 1, 1),
            "json_build_object" => (BuildObject(J), 0, usize::MAX),
            "jsonb_build_object" => (BuildObject(B), 0, usize::MAX),
            "json_build_array" => (BuildArray(J), 0, usize::MAX),
            "jsonb_build_array" => (BuildArray(B), 0, usize::MAX),
            "json_typeof" | "jsonb_typeof" => (TypeOf, 1, 1),
            "json_array_length" => (ArrayLength(J), 1, 1),
            "jsonb_array_length" => (ArrayLength(B), 1, 1),
            "json_extract_path" => (ExtractPath(J), 1, usize::MAX),
            "jsonb_extract_path" => (ExtractPath(B), 1, usize::MAX),
            "json_extract_path_text" => (ExtractPathText(J), 1, usize::MAX),
            "jsonb_extract_path_text" => (ExtractPathText(B), 1, usize::MAX),
            "jsonb_set" => (Set, 3, 4),
            "jsonb_insert" => (Insert, 3, 4),
            "jsonb_strip_nulls" => (StripNulls, 1, 1),
            "jsonb_pretty" => (Pretty, 1, 1),
            "jsonb_contains" => (Contains, 2, 2),
            "jsonb_exists" => (Exists, 2, 2),
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use JsonFunction::*;
        match self {
            In(Kind::Json) => "json_in",
            In(Kind::Jsonb) => "jsonb_in",
            From(Kind::Json) => "to_json",
            From(Kind::Jsonb) => "to_jsonb",
            BuildObject(Kind::Json) => "json_build_object",
            BuildObject(Kind::Jsonb) => "jsonb_build_object",
            BuildArray(Kind::Json) => "json_build_array",
            BuildArray(Kind::Jsonb) => "jsonb_build_array",
            TypeOf => "json_typeof",
            ArrayLength(Kind::Json) => "json_array_length",
            ArrayLength(Kind::Jsonb) => "jsonb_array_length",
            Field(_) => "json_object_field",
            FieldText(_) => "json_object_field_text",
            Path(_) => "json_extract_path_op",
            PathText(_) => "json_extract_path_text_op",
            ExtractPath(Kind::Json) => "json_extract_path",
            ExtractPath(Kind::Jsonb) => "jsonb_extract_path",
            ExtractPathText(Kind::Json) => "json_extract_path_text",
            ExtractPathText(Kind::Jsonb) => "jsonb_extract_path_text",
            Contains => "jsonb_contains",
            Exists => "jsonb_exists",
            ExistsAny => "jsonb_exists_any",
            ExistsAll => "jsonb_exists_all",
            Concat => "jsonb_concat",
            Delete => "jsonb_delete",
            DeletePath => "jsonb_delete_path",
            Set => "jsonb_set",
            Insert => "jsonb_insert",
            StripNulls => "jsonb_strip_nulls",
            Pretty => "jsonb_pretty",
        }
    }

    /// The type of the result.
    pub fn returns(self) -> Returns {
        use JsonFunction::*;
        match self {
            In(k) | From(k) | BuildObject(k) | BuildArray(k) | Field(k) | Path(k) | ExtractPath(k) => Returns::Json(k),
            Concat | Delete | DeletePath | Set | Insert | StripNulls => Returns::Json(Kind::Jsonb),
            TypeOf | FieldText(_) | PathText(_) | ExtractPathText(_) | Pretty => Returns::Text,
            ArrayLength(_) => Returns::Integer,
            Contains | Exists | ExistsAny | ExistsAll => Returns::Boolean,
        }
    }

    /// Whether the function builds JSON from values of any type (the binder converts
    /// those arguments with [`JsonFunction::From`]): the indexes of such arguments.
    pub fn takes_values(self, i: usize) -> bool {
        match self {
            JsonFunction::BuildArray(_) => true,
            JsonFunction::BuildObject(_) => i % 2 == 1,
            _ => false,
        }
    }

    /// Calls the function.
    pub fn call(self, args: &[Value]) -> Result<Value> {
        use JsonFunction::*;
        let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
        match self {
            BuildObject(k) => return build_object(k, args),
            BuildArray(k) => return build_array(k, args),
            From(k) => return from_value(k, arg(0), to_i64_lossy(arg(1)) as u32),
            Set | Insert if args[..3].iter().any(Value::is_null) => return Ok(Value::Null),
            _ if args.iter().any(Value::is_null) => return Ok(Value::Null),
            _ => {}
        }
        let text = to_text(arg(0));
        let node = json::parse(&text)?;
        Ok(match self {
            In(Kind::Json) => Value::Text(text.clone()),
            In(Kind::Jsonb) => jsonb(node_to_jsonb(&node)?),
            TypeOf => Value::Text(node.type_name().into()),
            ArrayLength(_) => match &node.shape {
                Shape::Array(items) => Value::Integer(items.len() as i64),
                Shape::Object(_) => return Err(invalid("cannot get array length of a non-array")),
                _ => return Err(invalid("cannot get array length of a scalar")),
            },
            Field(k) | FieldText(k) => {
                let found = step(k, &node, arg(1));
                match (found, self) {
                    (None, _) => Value::Null,
                    (Some(n), Field(_)) => Value::Text(k.print(n)),
                    (Some(n), _) => k.print_text(n),
                }
            }
            Path(k) | PathText(k) | ExtractPath(k) | ExtractPathText(k) => {
                let path = match self {
                    Path(_) | PathText(_) => path_of(arg(1))?,
                    _ => args[1..].iter().map(to_text).collect(),
                };
                let mut at = Some(&node);
                for key in &path {
                    at = at.and_then(|n| match &n.shape {
                        Shape::Array(_) => key.trim().parse::<i64>().ok().and_then(|i| n.element(i)),
                        _ => n.field(key),
                    });
                }
                match (at, self) {
                    (None, _) => Value::Null,
                    (Some(n), Path(_) | ExtractPath(_)) => Value::Text(k.print(n)),
                    (Some(n), _) => k.print_text(n),
                }
            }
            Contains => Value::Boolean(contains(&node.to_json(), &Json::parse(&to_text(arg(1)))?, true)),
            Exists => Value::Boolean(exists(&node.to_json(), &to_text(arg(1)))),
            ExistsAny | ExistsAll => {
                let j = node.to_json();
                let keys = array::parse(&to_text(arg(1)))?;
                let mut found = keys.iter().flatten().map(|key| exists(&j, key));
                Value::Boolean(if self == ExistsAny { found.any(|f| f) } else { found.all(|f| f) })
            }
            Concat => jsonb(concat(node.to_json(), Json::parse(&to_text(arg(1)))?)),
            Delete => jsonb(delete(node.to_json(), arg(1))?),
            DeletePath => jsonb(delete_path(node.to_json(), &path_of(arg(1))?)?),
            Set | Insert => {
                let path = path_of(arg(1))?;
                let new = Json::parse(&to_text(arg(2)))?;
                let flag = args.get(3).is_some_and(is_true);
                let create = args.get(3).is_none_or(is_true);
                let j = node.to_json();
                if !matches!(j, Json::Array(_) | Json::Object(_)) {
                    return Err(invalid("cannot set path in scalar"));
                }
                let mode = if self == Set { Mode::Set { create } } else { Mode::Insert { after: flag } };
                jsonb(set_path(j, &path, 0, new, mode)?)
            }
            StripNulls => jsonb(strip_nulls(node.to_json())),
            Pretty => Value::Text(node.to_json().pretty()),
            BuildObject(_) | BuildArray(_) | From(_) => unreachable!("handled before parsing"),
        })
    }
}

/// A boolean argument, as a boolean or as its text (`true`, `t`, from a parameter).
fn is_true(v: &Value) -> bool {
    match v {
        Value::Text(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "t" | "yes" | "on" | "1"),
        other => crate::value::truthy(other) == Some(true),
    }
}

fn jsonb(j: Json) -> Value {
    Value::Text(j.to_string())
}

fn node_to_jsonb(node: &Node) -> Result<Json> {
    Json::parse(node.text)
}

/// 22023, the error of a JSON function applied to the wrong shape of value.
fn invalid(message: impl Into<String>) -> Error {
    Error::data(DataError::InvalidParameterValue, message.into())
}

/// `->`'s step: an integer selects an array element, text an object member. A jsonb
/// scalar is an array of itself, as PostgreSQL stores it.
fn step<'n, 'a>(kind: Kind, node: &'n Node<'a>, key: &Value) -> Option<&'n Node<'a>> {
    match key {
        Value::Integer(i) => match &node.shape {
            Shape::Array(_) => node.element(*i),
            Shape::Object(_) => None,
            _ if kind == Kind::Jsonb && json::index(*i, 1).is_some() => Some(node),
            _ => None,
        },
        other => node.field(&to_text(other)),
    }
}

/// A `text[]` path (`'{a,0,b}'`); a NULL element is an error where PostgreSQL's is.
fn path_of(v: &Value) -> Result<Vec<String>> {
    array::parse(&to_text(v))?
        .into_iter()
        .map(|e| e.ok_or_else(|| Error::data(DataError::NullValueNotAllowed, "path element must not be null")))
        .collect()
}

/// `json_build_object`: `{"a" : 1, "b" : 2}` for json, normalised for jsonb.
fn build_object(kind: Kind, args: &[Value]) -> Result<Value> {
    if !args.len().is_multiple_of(2) {
        return Err(invalid("argument list must have even number of elements"));
    }
    let mut out = String::from("{");
    for (i, pair) in args.chunks(2).enumerate() {
        if pair[0].is_null() {
            return Err(invalid(match kind {
                Kind::Json => format!("argument {} cannot be null", 2 * i + 1),
                Kind::Jsonb => format!("argument {}: key must not be null", 2 * i + 1),
            }));
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&json::quote(&key_text(&pair[0])));
        out.push_str(" : ");
        out.push_str(&value_text(&pair[1]));
    }
    out.push('}');
    finish(kind, out)
}

/// `json_build_array`: `[1, "a", null]` for json, normalised for jsonb.
fn build_array(kind: Kind, args: &[Value]) -> Result<Value> {
    let items: Vec<String> = args.iter().map(value_text).collect();
    finish(kind, format!("[{}]", items.join(", ")))
}

/// Built json text as the kind returns it.
pub(super) fn finish(kind: Kind, text: String) -> Result<Value> {
    Ok(Value::Text(match kind {
        Kind::Json => text,
        Kind::Jsonb => Json::parse(&text)?.to_string(),
    }))
}

/// An argument that is JSON text already, NULL meaning `null`.
pub(super) fn value_text(v: &Value) -> String {
    if v.is_null() { "null".into() } else { to_text(v) }
}

/// An object key: the text of any value, booleans as `true` / `false`.
pub(super) fn key_text(v: &Value) -> String {
    match v {
        Value::Boolean(b) => b.to_string(),
        other => to_text(other),
    }
}

/// `to_json(x)` for a value whose declared type is `oid` (0 for none): numbers bare,
/// booleans `true` / `false`, text quoted, timestamps ISO 8601, arrays as arrays.
fn from_value(kind: Kind, v: &Value, oid: u32) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    finish(kind, to_json_text(v, oid)?)
}

fn to_json_text(v: &Value, oid: u32) -> Result<String> {
    use crate::value::datetime::{Shown, write_datetime};
    Ok(match v {
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) if oid == declared::BOOL => (*i != 0).to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => float_json(*r),
        Value::Numeric(d) => d.to_string(),
        Value::Interval(i) => json::quote(&crate::value::interval::format(i)),
        Value::Time(t) => json::quote(&crate::value::time::format(*t)),
        Value::Timestamp(t) => {
            let shown = match oid {
                declared::DATE => Shown::Date,
                declared::TIMESTAMP => Shown::Timestamp,
                _ => Shown::TimestampTz,
            };
            let mut text = String::new();
            _ = write_datetime(&mut text, *t, shown);
            let mut text = text.replacen(' ', "T", 1);
            if shown == Shown::TimestampTz {
                text = text.replacen("+00", "+00:00", 1);
            }
            json::quote(&text)
        }
        Value::Blob(b) => json::quote(&format!("\\x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())),
        Value::Text(s) => match declared::element_of(oid) {
            Some(element) => array_json(s, element)?,
            None if Kind::of_oid(oid).is_some() => s.clone(),
            None => json::quote(s),
        },
    })
}

/// An array's text form as a JSON array of its elements, each as `to_json` makes it.
fn array_json(text: &str, element: u32) -> Result<String> {
    let items = array::parse(text)?;
    let items: Vec<String> = items
        .into_iter()
        .map(|item| match item {
            None => "null".to_string(),
            Some(s) => match element {
                declared::INT2 | declared::INT4 | declared::INT8 | 26 => s,
                declared::FLOAT4 | declared::FLOAT8 => match s.parse::<f64>() {
                    Ok(r) => float_json(r),
                    Err(_) => json::quote(&s),
                },
                declared::BOOL => (s == "t" || s == "true").to_string(),
                declared::JSON | declared::JSONB => s,
                _ => json::quote(&s),
            },
        })
        .collect();
    Ok(format!("[{}]", items.join(",")))
}

/// A float8 as PostgreSQL prints it (shortest digits; exponent form below 1e-4 and from
/// 1e15), bare, or as a string if it is not finite.
fn float_json(r: f64) -> String {
    if r.is_nan() {
        return "\"NaN\"".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "\"Infinity\"".into() } else { "\"-Infinity\"".into() };
    }
    let sci = format!("{r:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if r != 0.0 && !(-4..15).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{r}")
    }
}

/// `a @> b`: jsonb containment as PostgreSQL defines it. At the top level an array
/// contains a scalar that is one of its elements.
fn contains(a: &Json, b: &Json, top: bool) -> bool {
    match (a, b) {
        (Json::Object(_), Json::Object(wanted)) => wanted.iter().all(|(k, bv)| match a.field(k) {
            Some(av) if is_container(bv) => contains(av, bv, false),
            Some(av) => scalar_eq(av, bv),
            None => false,
        }),
        (Json::Array(items), Json::Array(wanted)) => wanted.iter().all(|w| {
            if is_container(w) {
                items.iter().any(|i| contains(i, w, false))
            } else {
                items.iter().any(|i| scalar_eq(i, w))
            }
        }),
        (Json::Array(items), scalar) if top && !is_container(scalar) => items.iter().any(|i| scalar_eq(i, scalar)),
        (a, b) if !is_container(a) && !is_container(b) => scalar_eq(a, b),
        _ => false,
    }
}

fn is_container(j: &Json) -> bool {
    matches!(j, Json::Array(_) | Json::Object(_))
}

/// Scalars equal as jsonb compares them: numbers by value (`1.0` = `1`).
fn scalar_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => number_key(x) == number_key(y),
        _ => a == b,
    }
}

/// A canonical number with trailing fractional zeros dropped: equal values, equal keys.
fn number_key(n: &str) -> &str {
    if !n.contains('.') {
        return n;
    }
    let t = n.trim_end_matches('0');
    let t = t.strip_suffix('.').unwrap_or(t);
    if t == "-0" { "0" } else { t }
}

/// `j ? key`: a top-level key, or a string element of a top-level array (or the string
/// itself).
fn exists(j: &Json, key: &str) -> bool {
    match j {
        Json::Object(_) => j.field(key).is_some(),
        Json::Array(items) => items.iter().any(|i| matches!(i, Json::String(s) if s == key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

/// `a || b`: objects merge (the right side wins); otherwise arrays concatenate, a
/// non-array counting as an array of itself.
fn concat(a: Json, b: Json) -> Json {
    match (a, b) {
        (Json::Object(mut am), Json::Object(bm)) => {
            am.extend(bm);
            Json::object(am)
        }
        (a, b) => {
            let as_items = |j: Json| match j {
                Json::Array(items) => items,
                other => vec![other],
            };
            let mut items = as_items(a);
            items.extend(as_items(b));
            Json::Array(items)
        }
    }
}

/// `j - key` (an object's member, or an array's string elements equal to it) and
/// `j - index` (an array's element).
fn delete(j: Json, key: &Value) -> Result<Json> {
    Ok(match (j, key) {
        (Json::Array(mut items), Value::Integer(i)) => {
            if let Some(at) = json::index(*i, items.len()) {
                items.remove(at);
            }
            Json::Array(items)
        }
        (Json::Object(_), Value::Integer(_)) => {
            return Err(invalid("cannot delete from object using integer index"));
        }
        (Json::Object(members), key) => {
            let key = to_text(key);
            Json::Object(members.into_iter().filter(|(k, _)| *k != key).collect())
        }
        (Json::Array(items), key) => {
            let key = to_text(key);
            Json::Array(items.into_iter().filter(|i| !matches!(i, Json::String(s) if *s == key)).collect())
        }
        _ => return Err(invalid("cannot delete from scalar")),
    })
}

/// An array index on a path: an integer, else 22P02 naming the position (from 1).
fn path_index(key: &str, at: usize) -> Result<i64> {
    key.trim().parse::<i64>().map_err(|_| {
        Error::data(
            DataError::InvalidTextRepresentation,
            format!("path element at position {} is not an integer: \"{key}\"", at + 1),
        )
    })
}

/// `j #- path`: the value with the member or element at `path` removed.
fn delete_path(j: Json, path: &[String]) -> Result<Json> {
    if !is_container(&j) {
        return Err(invalid("cannot delete path in scalar"));
    }
    fn go(j: Json, path: &[String], at: usize) -> Result<Json> {
        let Some(key) = path.get(at) else { return Ok(j) };
        let last = at + 1 == path.len();
        Ok(match j {
            Json::Object(mut members) => {
                if let Some(pos) = members.iter().position(|(k, _)| k == key) {
                    if last {
                        members.remove(pos);
                    } else {
                        let child = std::mem::replace(&mut members[pos].1, Json::Null);
                        members[pos].1 = go(child, path, at + 1)?;
                    }
                }
                Json::Object(members)
            }
            Json::Array(mut items) => {
                let i = path_index(key, at)?;
                if let Some(pos) = json::index(i, items.len()) {
                    if last {
                        items.remove(pos);
                    } else {
                        let child = std::mem::replace(&mut items[pos], Json::Null);
                        items[pos] = go(child, path, at + 1)?;
                    }
                }
                Json::Array(items)
            }
            scalar => scalar,
        })
    }
    go(j, path, 0)
}

/// What `jsonb_set` and `jsonb_insert` do at the end of the path.
#[derive(Clone, Copy)]
enum Mode {
    Set { create: bool },
    Insert { after: bool },
}

/// The value with `new` set (or inserted) at `path[at..]`; a path that leaves the value
/// changes nothing.
fn set_path(j: Json, path: &[String], at: usize, new: Json, mode: Mode) -> Result<Json> {
    let Some(key) = path.get(at) else { return Ok(j) };
    let last = at + 1 == path.len();
    Ok(match j {
        Json::Object(mut members) => match members.iter().position(|(k, _)| k == key) {
            Some(_) if last && matches!(mode, Mode::Insert { .. }) => {
                return Err(invalid("cannot replace existing key"));
            }
            Some(pos) if last => {
                members[pos].1 = new;
                Json::Object(members)
            }
            Some(pos) => {
                let child = std::mem::replace(&mut members[pos].1, Json::Null);
                members[pos].1 = set_path(child, path, at + 1, new, mode)?;
                Json::Object(members)
            }
            None if last && !matches!(mode, Mode::Set { create: false }) => {
                members.push((key.clone(), new));
                Json::object(members)
            }
            None => Json::Object(members),
        },
        Json::Array(mut items) => {
            let i = path_index(key, at)?;
            let len = items.len() as i64;
            let pos = if i < 0 { i + len } else { i };
            match mode {
                _ if !last => {
                    if let Ok(p) = usize::try_from(pos)
                        && p < items.len()
                    {
                        let child = std::mem::replace(&mut items[p], Json::Null);
                        items[p] = set_path(child, path, at + 1, new, mode)?;
                    }
                }
                Mode::Set { create } => {
                    if (0..len).contains(&pos) {
                        items[pos as usize] = new;
                    } else if create && pos < 0 {
                        items.insert(0, new);
                    } else if create {
                        items.push(new);
                    }
                }
                Mode::Insert { after } => {
                    let p = pos.clamp(0, len) as usize;
                    let p = if after && (0..len).contains(&pos) { p + 1 } else { p };
                    items.insert(p.min(items.len()), new);
                }
            }
            Json::Array(items)
        }
        scalar => scalar,
    })
}

/// `jsonb_strip_nulls`: object members whose value is `null` removed, at every depth.
fn strip_nulls(j: Json) -> Json {
    match j {
        Json::Object(members) => Json::Object(
            members.into_iter().filter(|(_, v)| *v != Json::Null).map(|(k, v)| (k, strip_nulls(v))).collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(strip_nulls).collect()),
        scalar => scalar,
    }
}

/// The rows of the JSON set-returning functions: `json_each` (key and value),
/// `json_each_text`, `json_object_keys`, `json_array_elements` and `_text`.
pub(super) fn rows(name: &str, kind: Kind, text_values: bool, value: &Value) -> Result<Vec<Vec<Value>>> {
    if value.is_null() {
        return Ok(vec![]);
    }
    let text = to_text(value);
    let node = json::parse(&text)?;
    let print = |n: &Node| if text_values { kind.print_text(n) } else { Value::Text(kind.print(n)) };
    let jsonb = |node: &Node| -> Result<Json> { node_to_jsonb(node) };
    let shape_name = |n: &Node| match n.shape {
        Shape::Array(_) => "an array",
        Shape::Object(_) => "an object",
        _ => "a scalar",
    };
    let full = format!("{}{name}", kind.prefix());
    match name {
        "_object_keys" => {
            let keys: Vec<String> = match (&node.shape, kind) {
                (Shape::Object(members), Kind::Json) => members.iter().map(|(k, _)| k.clone()).collect(),
                (Shape::Object(_), Kind::Jsonb) => match jsonb(&node)? {
                    Json::Object(members) => members.into_iter().map(|(k, _)| k).collect(),
                    _ => vec![],
                },
                _ => return Err(invalid(format!("cannot call {full} on {}", shape_name(&node)))),
            };
            Ok(keys.into_iter().map(|k| vec![Value::Text(k)]).collect())
        }
        "_each" | "_each_text" => {
            let Shape::Object(members) = &node.shape else {
                return Err(invalid(match kind {
                    Kind::Json if matches!(node.shape, Shape::Array(_)) => {
                        "cannot deconstruct an array as an object".to_string()
                    }
                    Kind::Json => "cannot deconstruct a scalar".to_string(),
                    Kind::Jsonb => format!("cannot call {full} on a non-object"),
                }));
            };
            match kind {
                Kind::Json => Ok(members.iter().map(|(k, v)| vec![Value::Text(k.clone()), print(v)]).collect()),
                Kind::Jsonb => {
                    let Json::Object(members) = jsonb(&node)? else { return Ok(vec![]) };
                    Ok(members
                        .into_iter()
                        .map(|(k, v)| {
                            let v = match (&v, text_values) {
                                (Json::Null, true) => Value::Null,
                                (Json::String(s), true) => Value::Text(s.clone()),
                                _ => Value::Text(v.to_string()),
                            };
                            vec![Value::Text(k), v]
                        })
                        .collect())
                }
            }
        }
        _ => {
            let Shape::Array(items) = &node.shape else {
                return Err(invalid(match kind {
                    Kind::Json => format!("cannot call {full} on a non-array"),
                    Kind::Jsonb => format!("cannot extract elements from {}", shape_name(&node)),
                }));
            };
            Ok(items.iter().map(|i| vec![print(i)]).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: JsonFunction, args: &[&str]) -> Result<Value> {
        let args: Vec<Value> = args.iter().map(|a| Value::Text(a.to_string())).collect();
        f.call(&args)
    }

    fn text(f: JsonFunction, args: &[&str]) -> String {
        to_text(&call(f, args).unwrap())
    }

    #[test]
    fn containment_follows_postgresql() {
        let c = |a: &str, b: &str| text(JsonFunction::Contains, &[a, b]);
        assert_eq!(c(r#"{"a":1.0,"b":2}"#, r#"{"a":1}"#), "1");
        assert_eq!(c("[1,[2,3]]", "[[3]]"), "1");
        assert_eq!(c("[1,2]", "1"), "1");
        assert_eq!(c("1", "[1]"), "0");
        assert_eq!(c(r#"{"a":[1,2]}"#, r#"{"a":1}"#), "0");
        assert_eq!(c(r#"{"a":{"b":[1,2],"c":3}}"#, r#"{"a":{"b":[2]}}"#), "1");
    }

    #[test]
    fn set_and_insert_follow_postgresql() {
        let set = |args: &[&str]| text(JsonFunction::Set, args);
        assert_eq!(set(&[r#"{"a":[1,2]}"#, "{a,-5}", "0"]), r#"{"a": [0, 1, 2]}"#);
        assert_eq!(set(&[r#"{"a":[1,2]}"#, "{a,9}", "0"]), r#"{"a": [1, 2, 0]}"#);
        assert_eq!(set(&[r#"{"a":[1,2]}"#, "{b,9}", "0"]), r#"{"a": [1, 2]}"#);
        assert_eq!(set(&[r#"{"a":1}"#, "{b}", "0", "false"]), r#"{"a": 1}"#);
        let insert = |args: &[&str]| text(JsonFunction::Insert, args);
        assert_eq!(insert(&["[1,2]", "{1}", "9", "true"]), "[1, 2, 9]");
        assert_eq!(insert(&["[1,2]", "{-1}", "9"]), "[1, 9, 2]");
        let err = call(JsonFunction::Set, &["[1]", "{a}", "2"]).unwrap_err();
        assert_eq!(err.to_string(), r#"path element at position 1 is not an integer: "a""#);
        assert_eq!(call(JsonFunction::Set, &["1", "{a}", "2"]).unwrap_err().sqlstate(), "22023");
    }

    #[test]
    fn values_become_json_as_to_json_makes_them() {
        let j = |v: Value, oid: u32| to_text(&from_value(Kind::Json, &v, oid).unwrap());
        assert_eq!(j(Value::Real(1.5), 0), "1.5");
        assert_eq!(j(Value::Numeric(crate::value::numeric::parse("1.50").unwrap()), 0), "1.50");
        assert_eq!(j(Value::Real(1e20), 0), "1e+20");
        assert_eq!(j(Value::Real(f64::INFINITY), 0), "\"Infinity\"");
        assert_eq!(j(Value::Boolean(true), 0), "true");
        assert_eq!(j(Value::from("a\"b"), 0), r#""a\"b""#);
        assert_eq!(j(Value::from("{1,2}"), 1007), "[1,2]");
        assert_eq!(j(Value::from("{a,NULL}"), 1009), r#"["a",null]"#);
        assert_eq!(j(Value::Timestamp(1_577_872_800_000_000), declared::TIMESTAMPTZ), r#""2020-01-01T10:00:00+00:00""#);
        assert_eq!(j(Value::Timestamp(1_577_836_800_000_000), declared::DATE), r#""2020-01-01""#);
        assert_eq!(from_value(Kind::Json, &Value::Null, 0).unwrap(), Value::Null);
    }

    #[test]
    fn concatenation_and_deletion() {
        assert_eq!(text(JsonFunction::Concat, &[r#"{"a":1}"#, "1"]), r#"[{"a": 1}, 1]"#);
        assert_eq!(text(JsonFunction::Concat, &[r#"{"a":1}"#, r#"{"a":2,"b":3}"#]), r#"{"a": 2, "b": 3}"#);
        assert_eq!(text(JsonFunction::Delete, &[r#"["a","b"]"#, "a"]), r#"["b"]"#);
        assert_eq!(text(JsonFunction::DeletePath, &[r#"{"a":{"b":1,"c":2}}"#, "{a,b}"]), r#"{"a": {"c": 2}}"#);
        assert_eq!(call(JsonFunction::Delete, &["1", "a"]).unwrap_err().to_string(), "cannot delete from scalar");
    }
}
