//! One-dimensional arrays in PostgreSQL's text form: `{a,"b c",NULL,"say \"hi\""}`.
//!
//! Braid has no array values yet: an array travels as this text (the catalogs' `int2vector`
//! and `text[]` columns, an array literal `'{1,2}'::int[]`, a client's array parameter), and
//! the functions that take arrays read it here. Elements are text; what they convert to is
//! decided where they are used (an element inserted into an integer column becomes one).
//!
//! The grammar, as PostgreSQL's `array_in` reads it for one dimension: braces around
//! elements separated by commas; an element is either quoted (`"…"`, where `\` escapes the
//! next character) or bare (surrounding white space dropped, `\` escapes; the bare word
//! `NULL`, in any case, is a NULL). `int2vector`'s form, numbers separated by spaces
//! without braces, is read too.

use braid_engine::Value;

use crate::error::{DataError, Error, Result};
use crate::value::to_text;

fn malformed(text: &str) -> Error {
    Error::data(DataError::InvalidTextRepresentation, format!("malformed array literal: \"{text}\""))
}

/// The elements of an array's text form (`None` for NULL).
pub fn parse(text: &str) -> Result<Vec<Option<String>>> {
    let trimmed = text.trim();
    let Some(inner) = trimmed.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        // int2vector / oidvector: `1 2 3`.
        if trimmed.split_whitespace().all(|w| w.parse::<i64>().is_ok()) {
            return Ok(trimmed.split_whitespace().map(|w| Some(w.to_string())).collect());
        }
        return Err(malformed(text));
    };
    let mut out = vec![];
    if inner.trim().is_empty() {
        return Ok(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut item = String::new();
        let mut quoted = false;
        if chars.next_if_eq(&'"').is_some() {
            quoted = true;
            loop {
                match chars.next() {
                    None => return Err(malformed(text)),
                    Some('"') => break,
                    Some('\\') => item.push(chars.next().ok_or_else(|| malformed(text))?),
                    Some(c) => item.push(c),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
        } else {
            while let Some(&c) = chars.peek() {
                match c {
                    ',' => break,
                    '{' | '}' | '"' => return Err(malformed(text)),
                    '\\' => {
                        chars.next();
                        item.push(chars.next().ok_or_else(|| malformed(text))?);
                    }
                    c => {
                        chars.next();
                        item.push(c);
                    }
                }
            }
            item.truncate(item.trim_end().len());
            if item.is_empty() {
                return Err(malformed(text));
            }
        }
        out.push((quoted || !item.eq_ignore_ascii_case("null")).then_some(item));
        match chars.next() {
            None => return Ok(out),
            Some(',') => {}
            Some(_) => return Err(malformed(text)),
        }
    }
}

/// An element's text inside an array, as PostgreSQL writes it: booleans `t` / `f`, reals
/// in their shortest form, bytes as `\x…` hex.
pub fn element_text(v: &Value) -> String {
    match v {
        Value::Boolean(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Real(r) if r.is_nan() => "NaN".to_string(),
        Value::Real(r) if r.is_infinite() => if *r > 0.0 { "Infinity" } else { "-Infinity" }.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Blob(b) => {
            let mut out = String::from("\\x");
            b.iter().for_each(|byte| out.push_str(&format!("{byte:02x}")));
            out
        }
        other => to_text(other),
    }
}

/// The text form of an array of elements (`None` for NULL), quoting what needs it.
pub fn format<'a>(items: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::from("{");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            None => out.push_str("NULL"),
            Some(s) => {
                let plain = !s.is_empty()
                    && !s.eq_ignore_ascii_case("null")
                    && !s.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
                if plain {
                    out.push_str(s);
                } else {
                    out.push('"');
                    for c in s.chars() {
                        if matches!(c, '"' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
            }
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_read_and_write_as_postgresql_spells_them() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(parse("{a,b}").unwrap(), [some("a"), some("b")]);
        assert_eq!(
            parse(" { a , \"b c\" ,NULL,\"NULL\", \"x\\\"y\"} ").unwrap(),
            [some("a"), some("b c"), None, some("NULL"), some("x\"y")]
        );
        assert_eq!(parse("{}").unwrap(), Vec::<Option<String>>::new());
        assert_eq!(parse("1 2 3").unwrap(), [some("1"), some("2"), some("3")]);
        for bad in ["{a", "a,b", "{a,,b}", "{\"a}", "{a\"b}", "{a,}", "{{a}}"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let items = ["a", "b c", "", "NULL", "x\"y"];
        let text = format(items.iter().map(|s| Some(*s)).chain([None]));
        assert_eq!(text, "{a,\"b c\",\"\",\"NULL\",\"x\\\"y\",NULL}");
        let back: Vec<Option<String>> = parse(&text).unwrap();
        assert_eq!(back[..5].iter().map(|s| s.as_deref().unwrap()).collect::<Vec<_>>(), items);
        assert_eq!(back[5], None);
    }
}
