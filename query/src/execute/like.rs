//! LIKE and GLOB pattern matching, as SQLite does it.
//!
//! LIKE: `%` any run, `_` one character, ASCII letters case-insensitive, an optional
//! escape character. GLOB: `*`, `?`, `[…]` classes (with `^` negation and ranges),
//! case-sensitive.

/// Whether `text` matches a LIKE pattern.
pub(crate) fn like(text: &str, pattern: &str, escape: Option<char>) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    like_at(&t, &p, escape)
}

fn like_at(t: &[char], p: &[char], escape: Option<char>) -> bool {
    let (mut ti, mut pi) = (0, 0);
    // Backtracking point for the last `%`: pattern position after it, text position.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            let c = p[pi];
            if Some(c) == escape && pi + 1 < p.len() {
                if p[pi + 1].eq_ignore_ascii_case(&t[ti]) {
                    ti += 1;
                    pi += 2;
                    continue;
                }
            } else if c == '%' {
                star = Some((pi + 1, ti));
                pi += 1;
                continue;
            } else if c == '_' || c.eq_ignore_ascii_case(&t[ti]) {
                ti += 1;
                pi += 1;
                continue;
            }
        }
        match &mut star {
            Some((sp, st)) => {
                *st += 1;
                ti = *st;
                pi = *sp;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

/// Whether `text` matches a GLOB pattern.
pub(crate) fn glob(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    glob_at(&t, &p)
}

fn glob_at(t: &[char], p: &[char]) -> bool {
    let Some((&c, rest)) = p.split_first() else { return t.is_empty() };
    match c {
        '*' => (0..=t.len()).any(|i| glob_at(&t[i..], rest)),
        '?' => !t.is_empty() && glob_at(&t[1..], rest),
        '[' => {
            let Some((&ch, trest)) = t.split_first() else { return false };
            match class(rest, ch) {
                Some((true, after)) => glob_at(trest, after),
                _ => false,
            }
        }
        _ => t.first() == Some(&c) && glob_at(&t[1..], rest),
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
    fn like_and_glob_match_as_sqlite() {
        assert!(like("Hello", "h%O", None));
        assert!(like("abc", "a_c", None));
        assert!(!like("abc", "a_", None));
        assert!(like("10%", "10!%", Some('!')));
        assert!(!like("100", "10!%", Some('!')));
        assert!(glob("abc", "a*"));
        assert!(!glob("Abc", "a*"));
        assert!(glob("b", "[a-c]"));
        assert!(!glob("b", "[^a-c]"));
    }
}
