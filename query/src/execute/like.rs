//! Pattern matching: PostgreSQL's LIKE and ILIKE, and SQLite's GLOB.
//!
//! LIKE: `%` any run, `_` one character, an optional escape character; letters compared
//! exactly (LIKE) or after lower-casing both sides (ILIKE, as PostgreSQL's, for every
//! script, not only ASCII). GLOB: `*`, `?`, `[…]` classes (with `^` negation and ranges),
//! case-sensitive. One matcher, [`wildcard`], serves both, in time bounded by the product
//! of the two lengths.

/// How LIKE compares letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// LIKE: `'A'` does not match `'a'`.
    Exact,
    /// ILIKE: both sides lower-cased first.
    Folded,
}

/// Whether `text` matches a LIKE pattern.
pub(crate) fn like(text: &str, pattern: &str, escape: Option<char>, case: Case) -> bool {
    // ILIKE lower-cases text and pattern up front, as PostgreSQL's does; one character can
    // lower-case to several (`'İ'`), so this is done on the strings, not per character.
    let (t, p): (Vec<char>, Vec<char>) = match case {
        Case::Exact => (text.chars().collect(), pattern.chars().collect()),
        Case::Folded => (text.to_lowercase().chars().collect(), pattern.to_lowercase().chars().collect()),
    };
    wildcard(&t, &p, '%', |p, pi, ch| {
        let c = p[pi];
        if Some(c) == escape && pi + 1 < p.len() {
            Some((p[pi + 1] == ch, pi + 2))
        } else {
            Some((c == '_' || c == ch, pi + 1))
        }
    })
}

/// Whether `text` matches a GLOB pattern.
pub(crate) fn glob(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    wildcard(&t, &p, '*', |p, pi, ch| match p[pi] {
        '?' => Some((true, pi + 1)),
        '[' => class(&p[pi + 1..], ch).map(|(matched, after)| (matched, p.len() - after.len())),
        c => Some((c == ch, pi + 1)),
    })
}

/// Matches `t` against `p`, where `star` matches any run and every other pattern element
/// matches one character: `element(p, i, ch)` says whether the element at `p[i]` matches
/// `ch` and where the next element starts (`None`: the pattern is malformed there).
///
/// Iterative, backtracking only to the last star: O(|t|·|p|) at worst, with no recursion,
/// so a pattern of a million stars neither overflows the stack nor runs for ever.
fn wildcard(
    t: &[char],
    p: &[char],
    star: char,
    element: impl Fn(&[char], usize, char) -> Option<(bool, usize)>,
) -> bool {
    let (mut ti, mut pi) = (0, 0);
    // The pattern position after the last star, and the text position it was tried at.
    let mut last_star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() && p[pi] == star {
            pi += 1;
            last_star = Some((pi, ti));
            continue;
        }
        if ti < t.len()
            && pi < p.len()
            && let Some((true, next)) = element(p, pi, t[ti])
        {
            ti += 1;
            pi = next;
            continue;
        }
        if ti == t.len() && pi == p.len() {
            return true;
        }
        // Let the last star swallow one more character, if there is one.
        match last_star {
            Some((after, at)) if at < t.len() => {
                last_star = Some((after, at + 1));
                (ti, pi) = (at + 1, after);
            }
            _ => return false,
        }
    }
}

/// Matches `ch` against a `[…]` class whose body starts at `p`; returns whether it matched
/// and the pattern after the class (`None`: unterminated class).
fn class(p: &[char], ch: char) -> Option<(bool, &[char])> {
    let (negate, mut i) = if p.first() == Some(&'^') { (true, 1) } else { (false, 0) };
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= ch && ch <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == ch;
            i += 1;
        }
        first = false;
    }
    (i < p.len()).then(|| (matched != negate, &p[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_and_ilike_match_as_postgresql() {
        let like = |t: &str, p: &str, e| like(t, p, e, Case::Exact);
        assert!(!like("Hello", "h%O", None) && like("Hello", "H%o", None));
        assert!(super::like("Hello", "h%O", None, Case::Folded));
        assert!(super::like("ÉCOLE", "éc%", None, Case::Folded) && !like("ÉCOLE", "éc%", None));
        assert!(like("abc", "a_c", None));
        assert!(!like("abc", "a_", None));
        assert!(like("10%", "10!%", Some('!')));
        assert!(!like("100", "10!%", Some('!')));
        assert!(like("a%b", "a\\%b", Some('\\')) && !like("axb", "a\\%b", Some('\\')));
        assert!(like("abc", "%%c", None) && like("", "%", None) && !like("", "_", None));
    }

    #[test]
    fn glob_matches_as_sqlite() {
        assert!(glob("abc", "a*"));
        assert!(!glob("Abc", "a*"));
        assert!(glob("b", "[a-c]"));
        assert!(!glob("b", "[^a-c]"));
        assert!(glob("a]b", "a[]]b"));
        assert!(!glob("ab", "a[b"));
        assert!(glob("xaay", "x*a*y") && !glob("xaaz", "x*a*y"));
    }

    #[test]
    fn patterns_of_many_stars_neither_recurse_nor_backtrack_for_ever() {
        let text = "a".repeat(10_000);
        let stars = "%".repeat(100_000) + "b";
        assert!(!like(&text, &stars, None, Case::Exact));
        assert!(!glob(&text, &("*".repeat(100_000) + "b")));
        assert!(like(&text, &"%a".repeat(50), None, Case::Folded));
    }
}
