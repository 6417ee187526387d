//! COPY's three formats, rows in and rows out.
//!
//! - **text** (PostgreSQL's default): one row a line, fields split by the delimiter (tab),
//!   `\N` for NULL, and backslash escapes (`\t`, `\n`, `\\`, …) inside fields; a line `\.`
//!   ends the data.
//! - **csv**: fields split by the delimiter (`,`), quoted with `"` when they hold the
//!   delimiter, a quote or a line break (a quote inside is doubled); an unquoted empty field
//!   is NULL, a quoted one the empty string. A quoted field may span lines, so records are
//!   cut from the byte stream by [`Reader`], not by lines.
//! - **binary**: PostgreSQL's signature and header, then per row a 16-bit field count and
//!   each field as a 32-bit length (-1: NULL) and its binary wire form (as a binary
//!   parameter or result column carries it), and a count of -1 to end.
//!
//! CopyData messages split the stream anywhere; [`Reader`] keeps the unfinished tail of one
//! message until the next completes it.

use braid::Value;
use pgwire::api::Type;

/// The format options of one COPY.
#[derive(Debug, Clone)]
pub struct Format {
    pub csv: bool,
    pub binary: bool,
    pub delimiter: u8,
    pub null: String,
}

/// The longest record a COPY accepts. A record is buffered until its end arrives, so a
/// stream without a newline (or with an unclosed CSV quote) would otherwise grow without
/// bound, whatever the size of each CopyData message.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Cuts complete records out of a COPY FROM STDIN stream.
#[derive(Debug, Default)]
pub struct Reader {
    buffer: Vec<u8>,
    /// How much of `buffer` is known to hold no record end: the next search resumes there,
    /// so a long record arriving in many pieces is scanned once, not once per piece.
    scanned: usize,
    /// CSV: whether `buffer[..scanned]` ends inside a quoted field.
    quoted: bool,
    /// The text format's end marker `\.` (binary: the -1 field count) was seen: later
    /// data is ignored.
    ended: bool,
    /// Binary: the signature and header have been read.
    header_read: bool,
}

/// One record: its fields' bytes (text: UTF-8; binary: the wire form), `None` for NULL.
pub type Record = Vec<Option<Vec<u8>>>;

/// The first bytes of binary COPY data.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

impl Reader {
    /// Adds a CopyData message's bytes and returns the records it completed.
    pub fn push(&mut self, bytes: &[u8], format: &Format) -> Result<Vec<Record>, String> {
        if self.ended {
            return Ok(vec![]);
        }
        self.buffer.extend_from_slice(bytes);
        if format.binary {
            return self.binary_records();
        }
        let mut records = vec![];
        let mut start = 0;
        while let Some(at) = find_end(&self.buffer[self.scanned..], format, &mut self.quoted) {
            let end = self.scanned + at;
            let line = &self.buffer[start..end];
            (start, self.scanned) = (end + 1, end + 1);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line == b"\\." {
                self.ended = true;
                break;
            }
            records.push(parse(line, format)?);
        }
        self.buffer.drain(..start);
        self.scanned = self.buffer.len();
        if self.ended {
            self.buffer.clear();
            self.scanned = 0;
        }
        if self.buffer.len() > MAX_RECORD_BYTES {
            return Err(format!("a COPY record is longer than {} MiB", MAX_RECORD_BYTES >> 20));
        }
        Ok(records)
    }

    /// The complete binary records in the buffer, taken out of it. A record is parsed from
    /// its start again when more of it arrives: that costs a look at each field's length,
    /// not a scan of its bytes.
    fn binary_records(&mut self) -> Result<Vec<Record>, String> {
        let buf = &self.buffer;
        let mut at = 0;
        if !self.header_read {
            let Some(extension) = be_i32(buf, 15) else { return Ok(vec![]) };
            if buf[..11] != SIGNATURE[..] {
                return Err("COPY file signature not recognized".into());
            }
            if be_i32(buf, 11).is_some_and(|flags| flags & (1 << 16) != 0) {
                return Err("COPY data with OIDs is not supported".into());
            }
            let Ok(extension) = usize::try_from(extension) else { return Err("invalid COPY file header".into()) };
            if buf.len() < 19 + extension {
                return Ok(vec![]);
            }
            (at, self.header_read) = (19 + extension, true);
        }
        let mut records = vec![];
        'records: while let Some(count) = be_i16(buf, at) {
            if count == -1 {
                self.ended = true;
                break;
            }
            let count = usize::try_from(count).map_err(|_| format!("invalid COPY field count {count}"))?;
            let (mut p, mut fields) = (at + 2, Vec::with_capacity(count));
            for _ in 0..count {
                let Some(len) = be_i32(buf, p) else { break 'records };
                p += 4;
                if len == -1 {
                    fields.push(None);
                    continue;
                }
                let len = usize::try_from(len).map_err(|_| format!("invalid COPY field length {len}"))?;
                let Some(field) = buf.get(p..p + len) else { break 'records };
                fields.push(Some(field.to_vec()));
                p += len;
            }
            records.push(fields);
            at = p;
        }
        if self.ended {
            self.buffer.clear();
        } else {
            self.buffer.drain(..at);
        }
        if self.buffer.len() > MAX_RECORD_BYTES {
            return Err(format!("a COPY record is longer than {} MiB", MAX_RECORD_BYTES >> 20));
        }
        Ok(records)
    }

    /// The last record, when the stream ends without a final newline.
    pub fn finish(&mut self, format: &Format) -> Result<Option<Record>, String> {
        if format.binary {
            // Data may end after a whole record without the -1 trailer, not inside one.
            return match self.buffer.is_empty() {
                true => Ok(None),
                false => Err("unexpected EOF in COPY data".into()),
            };
        }
        let line = std::mem::take(&mut self.buffer);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if self.ended || line.is_empty() || line == b"\\." {
            return Ok(None);
        }
        if format.csv && record_end(&[line, b"\n"].concat(), format).is_none() {
            return Err("unterminated CSV quoted field".into());
        }
        parse(line, format).map(Some)
    }
}

fn be_i16(buf: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

fn be_i32(buf: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

/// Where the first complete record of `bytes` ends (its `\n`), if it is complete: in CSV a
/// newline inside quotes belongs to the field.
fn record_end(bytes: &[u8], format: &Format) -> Option<usize> {
    find_end(bytes, format, &mut false)
}

/// [`record_end`], resuming inside a quoted CSV field when `quoted`; leaves `quoted` as it
/// stands at the end of `bytes` when no record ends there, and false when one does.
fn find_end(bytes: &[u8], format: &Format, quoted: &mut bool) -> Option<usize> {
    if !format.csv {
        return bytes.iter().position(|&b| b == b'\n');
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => *quoted = !*quoted,
            b'\n' if !*quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// The fields of one record.
fn parse(line: &[u8], format: &Format) -> Result<Record, String> {
    let line = std::str::from_utf8(line).map_err(|_| "COPY data is not valid UTF-8".to_string())?;
    let fields = if format.csv { parse_csv(line, format) } else { parse_text(line, format)? };
    Ok(fields.into_iter().map(|f| f.map(String::into_bytes)).collect())
}

fn parse_text(line: &str, format: &Format) -> Result<Vec<Option<String>>, String> {
    line.split(format.delimiter as char)
        .map(|field| {
            if field == format.null {
                return Ok(None);
            }
            let mut out = String::with_capacity(field.len());
            let mut chars = field.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let next = chars.next();
                // \xHH and \NNN (octal): a byte, kept as the character of that code.
                if let Some(first @ ('x' | '0'..='7')) = next {
                    let (radix, max) = if first == 'x' { (16, 2) } else { (8, 3) };
                    let mut digits = if first == 'x' { String::new() } else { first.to_string() };
                    while digits.len() < max && chars.clone().next().is_some_and(|c| c.is_digit(radix)) {
                        digits.extend(chars.next());
                    }
                    if let Ok(code) = u8::from_str_radix(&digits, radix) {
                        out.push(char::from(code));
                        continue;
                    }
                    out.push(first);
                    out.push_str(&digits);
                    continue;
                }
                out.push(match next {
                    Some('t') => '\t',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('v') => '\u{b}',
                    Some(other) => other,
                    None => return Err("COPY text field ends with a lone backslash".to_string()),
                });
            }
            Ok(Some(out))
        })
        .collect()
}

fn parse_csv(line: &str, format: &Format) -> Vec<Option<String>> {
    let delimiter = format.delimiter as char;
    // An unquoted field equal to the NULL string is NULL; a quoted one is text.
    let finish = |field: String, was_quoted: bool| (was_quoted || field != format.null).then_some(field);
    let mut fields = vec![];
    let (mut field, mut quoted, mut was_quoted) = (String::new(), false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else if c == '"' {
            (quoted, was_quoted) = (true, true);
        } else if c == delimiter {
            fields.push(finish(std::mem::take(&mut field), was_quoted));
            was_quoted = false;
        } else {
            field.push(c);
        }
    }
    fields.push(finish(field, was_quoted));
    fields
}

/// One row as a COPY TO STDOUT line, each value in the text form of its column's type
/// (`types`; a value past them, or one its type cannot write, in its own type's form).
pub fn write_row(out: &mut Vec<u8>, row: &[Value], types: &[Type], format: &Format, zone: braid::value::zone::Zone) {
    for (i, value) in row.iter().enumerate() {
        if i > 0 {
            out.push(format.delimiter);
        }
        if value.is_null() {
            out.extend_from_slice(format.null.as_bytes());
            continue;
        }
        let text = text_of(value, types.get(i), zone);
        if format.csv {
            write_csv_field(out, &text, format);
        } else {
            write_text_field(out, &text, format.delimiter);
        }
    }
    out.push(b'\n');
}

/// Binary COPY's signature and header (no flags, no extension).
pub fn write_binary_header(out: &mut Vec<u8>) {
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
}

/// One row in binary COPY, each value in the binary form of its column's type.
pub fn write_binary_row(out: &mut Vec<u8>, row: &[Value], types: &[Type]) -> Result<(), String> {
    let count = i16::try_from(row.len()).map_err(|_| "too many columns for binary COPY".to_string())?;
    out.extend_from_slice(&count.to_be_bytes());
    let mut buf = bytes::BytesMut::new();
    for (value, ty) in row.iter().zip(types) {
        buf.clear();
        super::types::encode(&mut buf, value, ty, pgwire::api::results::FieldFormat::Binary).map_err(|e| e.0)?;
        out.extend_from_slice(&buf);
    }
    Ok(())
}

/// A header line of column names (CSV).
pub fn write_header(out: &mut Vec<u8>, names: &[String], format: &Format) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(format.delimiter);
        }
        write_csv_field(out, name, format);
    }
    out.push(b'\n');
}

/// A value's text form, as the text wire format writes it as `ty`.
fn text_of(value: &Value, ty: Option<&Type>, zone: braid::value::zone::Zone) -> String {
    let own = super::types::pg_type(value.data_type());
    for ty in ty.into_iter().chain([&own]) {
        let mut buf = bytes::BytesMut::new();
        if super::types::encode_in(&mut buf, value, ty, pgwire::api::results::FieldFormat::Text, zone).is_ok() {
            return String::from_utf8_lossy(&buf[4..]).into_owned();
        }
    }
    braid::value::to_text(value)
}

fn write_text_field(out: &mut Vec<u8>, text: &str, delimiter: u8) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' if delimiter == b'\t' => out.extend_from_slice(b"\\t"),
            b if b == delimiter => {
                out.push(b'\\');
                out.push(b);
            }
            b => out.push(b),
        }
    }
}

fn write_csv_field(out: &mut Vec<u8>, text: &str, format: &Format) {
    let needs_quotes = text.is_empty()
        || text == format.null
        || text.bytes().any(|b| b == format.delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if !needs_quotes {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_format() -> Format {
        Format { csv: false, binary: false, delimiter: b'\t', null: "\\N".into() }
    }

    fn csv_format() -> Format {
        Format { csv: true, binary: false, delimiter: b',', null: String::new() }
    }

    fn binary_format() -> Format {
        Format { csv: false, binary: true, delimiter: b'\t', null: String::new() }
    }

    fn s(v: &str) -> Option<Vec<u8>> {
        Some(v.as_bytes().to_vec())
    }

    /// Binary rows written read back the same, however the stream is cut; a damaged or
    /// unfinished stream is an error.
    #[test]
    fn binary_rows_round_trip_split_anywhere() {
        let rows = [
            vec![Value::Integer(7), Value::Text("héllo".into()), Value::Null],
            vec![Value::Integer(-1), Value::Text(String::new()), Value::Real(2.5)],
        ];
        let types = [Type::INT4, Type::TEXT, Type::FLOAT8];
        let mut out = vec![];
        write_binary_header(&mut out);
        for row in &rows {
            write_binary_row(&mut out, row, &types).unwrap();
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        let want: Vec<Record> = vec![
            vec![Some(7i32.to_be_bytes().to_vec()), s("héllo"), None],
            vec![Some((-1i32).to_be_bytes().to_vec()), s(""), Some(2.5f64.to_be_bytes().to_vec())],
        ];
        for cut in 0..out.len() {
            let mut r = Reader::default();
            let mut got = r.push(&out[..cut], &binary_format()).unwrap();
            got.extend(r.push(&out[cut..], &binary_format()).unwrap());
            assert_eq!(got, want, "cut at {cut}");
            assert_eq!(r.finish(&binary_format()).unwrap(), None);
        }
        let mut r = Reader::default();
        assert!(r.push(b"PGCOPY\nXXXXXXXXXXXXXXXX", &binary_format()).is_err());
        let mut r = Reader::default();
        r.push(&out[..out.len() - 5], &binary_format()).unwrap();
        assert!(r.finish(&binary_format()).is_err());
        let mut bad = out[..19].to_vec();
        bad.extend_from_slice(&1i16.to_be_bytes());
        bad.extend_from_slice(&(-5i32).to_be_bytes());
        assert!(Reader::default().push(&bad, &binary_format()).is_err());
    }

    #[test]
    fn text_records_split_anywhere_across_messages() {
        let mut r = Reader::default();
        let f = text_format();
        assert_eq!(r.push(b"1\tone\n2\t", &f).unwrap(), vec![vec![s("1"), s("one")]]);
        assert_eq!(r.push(b"a\\tb\\\\c\n3\t\\N\n", &f).unwrap(), vec![vec![s("2"), s("a\tb\\c")], vec![s("3"), None]]);
        assert_eq!(r.push(b"\\.\n4\tignored\n", &f).unwrap(), Vec::<Record>::new());
        assert_eq!(r.finish(&f).unwrap(), None);
    }

    #[test]
    fn csv_quotes_hold_delimiters_quotes_and_newlines() {
        let mut r = Reader::default();
        let f = csv_format();
        let got = r.push(b"1,\"a,b\",\"say \"\"hi\"\"\"\n2,\"line\nbreak\",\n3,\"\",x", &f).unwrap();
        assert_eq!(got, vec![vec![s("1"), s("a,b"), s("say \"hi\"")], vec![s("2"), s("line\nbreak"), None]]);
        assert_eq!(r.finish(&f).unwrap(), Some(vec![s("3"), s(""), s("x")]));
    }

    #[test]
    fn records_arriving_in_pieces_are_found_once_and_an_endless_one_is_refused() {
        let f = csv_format();
        let mut r = Reader::default();
        // A quoted newline split from its opening quote by a message boundary.
        assert_eq!(r.push(b"1,\"a", &f).unwrap(), Vec::<Record>::new());
        assert_eq!(r.push(b"\nb\"", &f).unwrap(), Vec::<Record>::new());
        assert_eq!(r.push(b",x\n2,y\n", &f).unwrap(), vec![vec![s("1"), s("a\nb"), s("x")], vec![s("2"), s("y")]]);
        let mut r = Reader::default();
        let piece = vec![b'a'; 1 << 20];
        let err = (0..=64).find_map(|_| r.push(&piece, &text_format()).err());
        assert_eq!(err.as_deref(), Some("a COPY record is longer than 64 MiB"));
    }

    #[test]
    fn rows_written_read_back_the_same() {
        let rows = [
            vec![Value::Integer(1), Value::Text("tab\there, comma, \"quote\"\nline".into()), Value::Null],
            vec![Value::Integer(2), Value::Text(String::new()), Value::Real(2.5)],
        ];
        for f in [text_format(), csv_format()] {
            let mut out = vec![];
            rows.iter().for_each(|row| write_row(&mut out, row, &[], &f, Default::default()));
            let mut r = Reader::default();
            let got = r.push(&out, &f).unwrap();
            assert_eq!(got[0], vec![s("1"), s("tab\there, comma, \"quote\"\nline"), None], "{f:?}");
            assert_eq!(got[1], vec![s("2"), s(""), s("2.5")], "{f:?}");
        }
    }

    #[test]
    fn octal_and_hex_escapes_and_the_end_marker_in_csv() {
        let mut r = Reader::default();
        assert_eq!(r.push(b"\\x41\\101\\7z\\x\n", &text_format()).unwrap(), vec![vec![s("AA\u{7}zx")]]);
        let mut r = Reader::default();
        assert_eq!(r.push(b"1,a\n\\.\n2,b\n", &csv_format()).unwrap(), vec![vec![s("1"), s("a")]]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut r = Reader::default();
        assert!(r.push(b"a\\\n", &text_format()).is_err());
        let mut r = Reader::default();
        assert!(r.push(&[0xff, b'\n'], &text_format()).is_err());
        let mut r = Reader::default();
        r.push(b"1,\"open", &csv_format()).unwrap();
        assert!(r.finish(&csv_format()).is_err());
    }
}
