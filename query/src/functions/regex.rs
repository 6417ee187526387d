//! PostgreSQL's regular expressions (`~`, `~*`, `!~`, `!~*`), on the `regex` crate.
//!
//! PostgreSQL's flavour (ARE) and the crate's agree on what clients send (anchors, classes,
//! groups, alternation, repetition: psql's `^(items)$`, `^pg_`); the crate has no
//! backreferences, so a pattern with one is an invalid regular expression here (2201B).
//! Compiled patterns are kept per thread (a catalog query matches one pattern against every
//! row): at most [`CACHED`] of them, the cache emptied when full.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use crate::error::{DataError, Error, Result};

/// Patterns kept compiled per thread.
const CACHED: usize = 64;
/// The most memory one compiled pattern may take: a client's pattern cannot exhaust it.
const SIZE_LIMIT: usize = 1 << 20;

thread_local! {
    static COMPILED: RefCell<HashMap<(String, bool), Regex>> = RefCell::new(HashMap::new());
}

/// Whether `pattern` matches somewhere in `text` (`~`; without case for `~*`).
pub(super) fn is_match(text: &str, pattern: &str, insensitive: bool) -> Result<bool> {
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (pattern.to_string(), insensitive);
        if let Some(re) = cache.get(&key) {
            return Ok(re.is_match(text));
        }
        let re = RegexBuilder::new(pattern)
            .case_insensitive(insensitive)
            .dot_matches_new_line(true)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| {
                Error::data(DataError::InvalidRegularExpression, format!("invalid regular expression: {e}"))
            })?;
        let matched = re.is_match(text);
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(key, re);
        Ok(matched)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_postgresql_means_them() {
        assert!(is_match("items", "^(items)$", false).unwrap());
        assert!(!is_match("items2", "^(items)$", false).unwrap());
        assert!(is_match("pg_toast", "^pg_", false).unwrap());
        assert!(is_match("ABC", "b", true).unwrap());
        assert!(!is_match("ABC", "b", false).unwrap());
        assert_eq!(is_match("x", "(", false).unwrap_err().sqlstate(), "2201B");
    }
}
