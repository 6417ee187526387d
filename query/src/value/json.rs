//! JSON text: reading it, and printing it as PostgreSQL's `json` and `jsonb` do.
//!
//! Values of both types are TEXT at run time ([`super::declared`]); this module is what
//! gives that text its meaning. It has two representations, one per job:
//!
//! - [`Node`]: a parse that borrows the input and remembers each value's own slice of it.
//!   PostgreSQL's `json` keeps the text as given, and its operators (`->`, `json_each`, …)
//!   return sub-values exactly as they were written, spacing and duplicate keys included:
//!   a node's `text` is that answer without printing anything.
//! - [`Json`]: an owned value, objects with their keys deduplicated (the last wins) and in
//!   `jsonb`'s order (shorter keys first, then bytewise), numbers as PostgreSQL's `numeric`
//!   prints them (`1e3` is `1000`, `1.50` stays `1.50`). Printing it gives `jsonb`'s text:
//!   `{"a": 1, "b": [1, 2]}`. Since that text is canonical, two `jsonb` values are equal
//!   exactly when their texts are, which is how Braid compares them.
//!
//! Numbers are kept as their decimal text, never as floats, so no digit is lost; the cost
//! is that `jsonb` ordering (`<`, `>`) is text order, not PostgreSQL's numeric-aware order
//! of jsonb values. Only `=` and `<>` are exact.
//!
//! Errors are PostgreSQL's: malformed text is 22P02 `invalid input syntax for type json`,
//! `\u0000` (which `jsonb` cannot hold) 22P05.

use std::fmt::Write;

use crate::error::{DataError, Error, Result};

/// A JSON value parsed from borrowed text, each node with its own slice of that text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// The value's text as written (without surrounding whitespace).
    pub text: &'a str,
    pub shape: Shape<'a>,
}

/// What a [`Node`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<Node<'a>>),
    /// Keys in the order written, duplicates kept.
    Object(Vec<(String, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The member `key` of an object: the last one of that name, as PostgreSQL's json
    /// functions take it.
    pub fn field(&self, key: &str) -> Option<&Node<'a>> {
        match &self.shape {
            Shape::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Element `i` of an array, negative counting from the end.
    pub fn element(&self, i: i64) -> Option<&Node<'a>> {
        match &self.shape {
            Shape::Array(items) => items.get(index(i, items.len())?),
            _ => None,
        }
    }

    /// The text `->>` gives: a string's contents, `null` as SQL NULL, else the text.
    pub fn as_text(&self) -> Option<String> {
        match &self.shape {
            Shape::Null => None,
            Shape::String(s) => Some(s.clone()),
            _ => Some(self.text.to_string()),
        }
    }

    /// The name `json_typeof` gives this value's type.
    pub fn type_name(&self) -> &'static str {
        match self.shape {
            Shape::Null => "null",
            Shape::Bool(_) => "boolean",
            Shape::Number(_) => "number",
            Shape::String(_) => "string",
            Shape::Array(_) => "array",
            Shape::Object(_) => "object",
        }
    }

    /// The value as `jsonb` holds it.
    pub fn to_json(&self) -> Json {
        match &self.shape {
            Shape::Null => Json::Null,
            Shape::Bool(b) => Json::Bool(*b),
            Shape::Number(n) => Json::Number(canonical_number(n)),
            Shape::String(s) => Json::String(s.clone()),
            Shape::Array(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Shape::Object(members) => Json::object(members.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// Position `i` (negative: from the end) in a sequence of `len`, if inside it.
pub fn index(i: i64, len: usize) -> Option<usize> {
    let at = if i < 0 { i.checked_add(len as i64)? } else { i };
    usize::try_from(at).ok().filter(|&at| at < len)
}

/// An owned JSON value as `jsonb` holds it: see the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    /// Canonical `numeric` text.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Keys unique and in `jsonb` order ([`key_order`]).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object of these members: later duplicates replace earlier ones, keys sorted.
    pub fn object(members: Vec<(String, Json)>) -> Json {
        let mut sorted: Vec<(String, Json)> = Vec::with_capacity(members.len());
        for (k, v) in members {
            match sorted.binary_search_by(|(s, _)| key_order(s, &k)) {
                Ok(at) => sorted[at].1 = v,
                Err(at) => sorted.insert(at, (k, v)),
            }
        }
        Json::Object(sorted)
    }

    /// Reads JSON text into its `jsonb` form.
    pub fn parse(text: &str) -> Result<Json> {
        let node = parse(text)?;
        check_no_nul(&node)?;
        Ok(node.to_json())
    }

    /// The member `key` of an object.
    pub fn field(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Indented text, as `jsonb_pretty` prints it: four spaces a level, empty containers
    /// opened and closed on their own lines.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, depth: usize) {
        let pad = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("    ", depth));
        match self {
            Json::Array(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                    }
                    pad(out, depth + 1);
                    item.write_pretty(out, depth + 1);
                }
                if !items.is_empty() {
                    out.push('\n');
                }
                pad(out, depth);
                out.push(']');
            }
            Json::Object(members) => {
                out.push_str("{\n");
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                    }
                    pad(out, depth + 1);
                    write_string(out, k);
                    out.push_str(": ");
                    v.write_pretty(out, depth + 1);
                }
                if !members.is_empty() {
                    out.push('\n');
                }
                pad(out, depth);
                out.push('}');
            }
            scalar => _ = write!(out, "{scalar}"),
        }
    }
}

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => f.write_str(&quote(s)),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(members) => {
                f.write_str("{")?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {v}", quote(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

/// `jsonb`'s order of object keys: shorter first, then bytewise.
pub fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// A string as a JSON string literal, escaped as PostgreSQL escapes it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => _ = write!(out, "\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The error for text that is not JSON.
fn syntax() -> Error {
    Error::data(DataError::InvalidTextRepresentation, "invalid input syntax for type json")
}

/// Checks JSON text (what `json` input does: the text itself is kept).
pub fn validate(text: &str) -> Result<()> {
    parse(text).map(|_| ())
}

/// `jsonb` cannot hold `\u0000` in a string.
fn check_no_nul(node: &Node) -> Result<()> {
    let nul = || Error::data(DataError::UntranslatableCharacter, "unsupported Unicode escape sequence");
    match &node.shape {
        Shape::String(s) if s.contains('\0') => Err(nul()),
        Shape::Array(items) => items.iter().try_for_each(check_no_nul),
        Shape::Object(members) => members.iter().try_for_each(|(k, v)| {
            if k.contains('\0') {
                return Err(nul());
            }
            check_no_nul(v)
        }),
        _ => Ok(()),
    }
}

/// Parses JSON text (RFC 8259, as PostgreSQL reads it: whitespace is space, tab, CR, LF).
pub fn parse(text: &str) -> Result<Node<'_>> {
    let mut p = Parser { text, at: 0, depth: 0 };
    let node = p.value()?;
    p.skip_space();
    if p.at != text.len() {
        return Err(syntax());
    }
    Ok(node)
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 1000;

struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<()> {
        self.skip_space();
        if self.peek() != Some(b) {
            return Err(syntax());
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Node<'a>> {
        self.skip_space();
        let start = self.at;
        let shape = match self.peek().ok_or_else(syntax)? {
            b'{' => self.nested(Self::object)?,
            b'[' => self.nested(Self::array)?,
            b'"' => Shape::String(self.string()?),
            b'-' | b'0'..=b'9' => Shape::Number(self.number()?),
            _ => self.word()?,
        };
        Ok(Node { text: &self.text[start..self.at], shape })
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Shape<'a>>) -> Result<Shape<'a>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::invalid("stack depth limit exceeded"));
        }
        let shape = f(self);
        self.depth -= 1;
        shape
    }

    fn object(&mut self) -> Result<Shape<'a>> {
        self.at += 1;
        let mut members = vec![];
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Shape::Object(members));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(syntax());
            }
            let key = self.string()?;
            self.expect(b':')?;
            members.push((key, self.value()?));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Shape::Object(members));
                }
                _ => return Err(syntax()),
            }
        }
    }

    fn array(&mut self) -> Result<Shape<'a>> {
        self.at += 1;
        let mut items = vec![];
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Shape::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Shape::Array(items));
                }
                _ => return Err(syntax()),
            }
        }
    }

    fn word(&mut self) -> Result<Shape<'a>> {
        let rest = &self.text[self.at..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len());
        let shape = match &rest[..end] {
            "true" => Shape::Bool(true),
            "false" => Shape::Bool(false),
            "null" => Shape::Null,
            _ => return Err(syntax()),
        };
        self.at += end;
        Ok(shape)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<&'a str> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let first = self.peek();
        let n = self.digits();
        if n == 0 || (first == Some(b'0') && n > 1) {
            return Err(syntax());
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(syntax());
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(syntax());
            }
        }
        // `1x` is one bad token, not a number followed by garbage.
        if self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(syntax());
        }
        Ok(&self.text[start..self.at])
    }

    fn string(&mut self) -> Result<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.at..];
            let stop = rest.find(|c: char| c == '"' || c == '\\' || (c as u32) < 0x20).ok_or_else(syntax)?;
            out.push_str(&rest[..stop]);
            self.at += stop;
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                _ => return Err(syntax()),
            }
        }
    }

    fn escape(&mut self) -> Result<char> {
        let b = self.peek().ok_or_else(syntax)?;
        self.at += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) {
                    if !self.text[self.at..].starts_with("\\u") {
                        return Err(syntax());
                    }
                    self.at += 2;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(syntax());
                    }
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or_else(syntax)?
                } else {
                    char::from_u32(high).ok_or_else(syntax)?
                }
            }
            _ => return Err(syntax()),
        })
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.text.get(self.at..self.at + 4).ok_or_else(syntax)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(syntax());
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| syntax())
    }
}

/// A JSON number as PostgreSQL's `numeric` prints it: the exponent applied, the scale the
/// written digits imply kept (`1.50e1` is `15.0`), no sign on zero.
pub fn canonical_number(n: &str) -> String {
    let (negative, n) = match n.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    let (mantissa, exponent) = match n.find(['e', 'E']) {
        Some(at) => (&n[..at], n[at + 1..].parse::<i64>().unwrap_or(0)),
        None => (n, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{whole}{fraction}");
    // The decimal point sits after `point` digits; `scale` digits follow it.
    let point = whole.len() as i64 + exponent;
    let scale = (fraction.len() as i64 - exponent).max(0) as usize;
    let mut int_part = String::new();
    let mut frac_part = String::new();
    if point <= 0 {
        frac_part.extend(std::iter::repeat_n('0', (-point) as usize));
        frac_part.push_str(&digits);
    } else if point as usize >= digits.len() {
        int_part.push_str(&digits);
        int_part.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        int_part.push_str(&digits[..point as usize]);
        frac_part.push_str(&digits[point as usize..]);
    }
    frac_part.truncate(scale);
    while frac_part.len() < scale {
        frac_part.push('0');
    }
    let int_part = int_part.trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let zero = int_part == "0" && frac_part.bytes().all(|b| b == b'0');
    let mut out = String::with_capacity(int_part.len() + frac_part.len() + 2);
    if negative && !zero {
        out.push('-');
    }
    out.push_str(int_part);
    if !frac_part.is_empty() {
        out.push('.');
        out.push_str(&frac_part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jsonb(text: &str) -> String {
        Json::parse(text).unwrap().to_string()
    }

    #[test]
    fn jsonb_text_is_normalised_as_postgresql_prints_it() {
        assert_eq!(jsonb(r#"{"b":1,"aa":2,"a":[1,2,{"c":null}]}"#), r#"{"a": [1, 2, {"c": null}], "b": 1, "aa": 2}"#);
        assert_eq!(jsonb(r#"{"a":1,"a":2}"#), r#"{"a": 2}"#);
        assert_eq!(jsonb(" [ ] "), "[]");
        assert_eq!(jsonb("{}"), "{}");
        assert_eq!(jsonb(r#""\u00e9\n\u0001\/""#), "\"é\\n\\u0001/\"");
        assert_eq!(jsonb(r#""\ud83d\ude00""#), "\"😀\"");
    }

    #[test]
    fn numbers_print_as_numeric() {
        for (input, printed) in [
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("1e3", "1000"),
            ("1.50e1", "15.0"),
            ("1e-3", "0.001"),
            ("-1.5E+2", "-150"),
            ("0.0001e2", "0.01"),
            ("1e-7", "0.0000001"),
            ("12345678901234567890.123", "12345678901234567890.123"),
        ] {
            assert_eq!(canonical_number(input), printed, "{input}");
        }
    }

    #[test]
    fn bad_text_is_invalid_input_syntax() {
        for bad in ["", "{", "[1,]", r#"{"a":1,}"#, "01", "1.", ".5", "tru", "nul", "\"a\nb\"", "1 2", "[1]x", "'a'"] {
            let err = parse(bad).unwrap_err();
            assert_eq!((err.sqlstate(), err.to_string().as_str()), ("22P02", "invalid input syntax for type json"));
        }
        assert_eq!(Json::parse(r#""\u0000""#).unwrap_err().sqlstate(), "22P05");
        assert!(validate(r#""\u0000""#).is_ok());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
        let nested = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(Json::parse(&nested).unwrap().to_string(), nested);
    }

    #[test]
    fn nodes_keep_their_own_text() {
        let node = parse(r#"{"a": [1,  2], "a": 3 , "b" : { "c":true }}"#).unwrap();
        assert_eq!(node.field("a").unwrap().text, "3");
        assert_eq!(node.field("b").unwrap().text, r#"{ "c":true }"#);
        let array = parse("[1, [2,  3], 4]").unwrap();
        assert_eq!(array.element(-2).unwrap().text, "[2,  3]");
        assert_eq!(array.element(3), None);
        assert_eq!(array.element(-4), None);
    }

    #[test]
    fn pretty_indents_by_four() {
        let pretty = Json::parse(r#"{"a":[1,{"b":2}],"c":{}}"#).unwrap().pretty();
        assert_eq!(
            pretty,
            "{\n    \"a\": [\n        1,\n        {\n            \"b\": 2\n        }\n    ],\n    \"c\": {\n    }\n}"
        );
    }
}
