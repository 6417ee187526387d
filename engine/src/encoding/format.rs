//! Renders raw keys and values for humans: debugging output and golden test files.

use std::fmt::Write;

/// Bytes as a readable string: printable ASCII as itself, everything else as `\xNN`.
pub fn bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_graphic() || c == b' ' {
            out.push(c as char);
        } else {
            let _ = write!(out, "\\x{c:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_unprintables() {
        assert_eq!(super::bytes(b"a\x00b\xff"), "a\\x00b\\xff");
    }
}
