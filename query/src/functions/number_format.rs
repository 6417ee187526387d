//! `to_char(number, template)`: PostgreSQL's number template patterns.
//!
//! | pattern   | meaning                                                              |
//! |-----------|----------------------------------------------------------------------|
//! | `9`       | a digit; a leading zero is a blank                                   |
//! | `0`       | a digit; leading zeros from the first `0` on are printed             |
//! | `.` / `D` | the decimal point (the C locale's `.`)                               |
//! | `,` / `G` | a group separator (`,`); a blank among the leading blanks            |
//! | `S`       | the sign (`+` / `-`) next to the number, or where written after it   |
//! | `MI` `PL` `SG` | `-` if negative, `+` if positive, either: where written         |
//! | `PR`      | a negative number in angle brackets                                  |
//! | `L`       | the currency symbol: the C locale has none, so a blank              |
//! | `V`       | multiplies by ten for each digit after it                           |
//! | `EEEE`    | scientific notation (`1.235e+02`)                                    |
//! | `FM`      | fill mode: no leading blanks, no trailing zeros of `9` digits        |
//! | `"text"`  | copied; so is any other character                                    |
//!
//! Without `S`, `MI`, `SG` or `PR` the number gets a sign position of its own before its
//! first digit: a blank, or the `-` of a negative number, which moves right up to the first
//! printed digit (` -12`, `-0012`, ` -.50`). A number with more integer digits than the
//! template has is printed as `#` in every digit position. The value is rounded to the
//! template's fractional digits: halves away from zero for integers and NUMERIC, to even
//! for floats (PostgreSQL formats those with the C library's `printf`). Every output above
//! was checked against PostgreSQL 15 (`query/tests/slt/to_char.slt`).
//!
//! Not done: the roman numerals `RN` and the ordinal suffixes `TH` (refused, 0A000).

use braid_engine::{Decimal, Value};
use rust_decimal::RoundingStrategy;

use crate::error::{Error, Result};

/// One element of a template.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Nine,
    Zero,
    Point,
    Group,
    Sign,
    Minus,
    Plus,
    PlusMinus,
    Brackets,
    Currency,
    Shift,
    Exponent,
    Literal(String),
}

/// A template read into tokens, and whether it asks for fill mode.
fn tokens(template: &str) -> Result<(Vec<Token>, bool)> {
    let mut out = Vec::new();
    let mut fill = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let upper = rest.get(..4).map(str::to_ascii_uppercase).unwrap_or_default();
        let two = rest.get(..2).map(str::to_ascii_uppercase).unwrap_or_default();
        let (token, used) = match c {
            '"' => {
                let quoted = &rest[1..];
                let end = quoted.find('"').unwrap_or(quoted.len());
                out.push(Token::Literal(quoted[..end].to_string()));
                rest = quoted.get(end + 1..).unwrap_or("");
                continue;
            }
            _ if upper == "EEEE" => (Token::Exponent, 4),
            _ if two == "FM" => {
                fill = true;
                rest = &rest[2..];
                continue;
            }
            _ if two == "MI" => (Token::Minus, 2),
            _ if two == "PL" => (Token::Plus, 2),
            _ if two == "SG" => (Token::PlusMinus, 2),
            _ if two == "PR" => (Token::Brackets, 2),
            _ if two == "RN" || two == "TH" => {
                return Err(Error::unsupported(format!("to_char number pattern \"{}\"", &rest[..2])));
            }
            '9' => (Token::Nine, 1),
            '0' => (Token::Zero, 1),
            '.' | 'D' | 'd' => (Token::Point, 1),
            ',' | 'G' | 'g' => (Token::Group, 1),
            'S' | 's' => (Token::Sign, 1),
            'L' | 'l' => (Token::Currency, 1),
            'V' | 'v' => (Token::Shift, 1),
            c => (Token::Literal(c.to_string()), c.len_utf8()),
        };
        out.push(token);
        rest = &rest[used..];
    }
    Ok((out, fill))
}

/// One output character: a blank that fill mode drops, or a character that stays.
#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Blank,
    Fixed(char),
    /// A fractional `9` digit that is zero: dropped at the end in fill mode.
    TrailingZero,
}

/// `to_char(value, template)` for an integer, a float or a NUMERIC.
pub fn to_char(value: &Value, template: &str) -> Result<String> {
    let (tokens, fill) = tokens(template)?;
    let (number, float) = match value {
        Value::Integer(i) => (Decimal::from(*i), false),
        Value::Numeric(d) => (*d, false),
        Value::Real(r) if !r.is_finite() => return Ok(overflow_text(&tokens)),
        Value::Real(r) => (crate::value::numeric::from_f64(*r)?, true),
        other => return Err(Error::type_error(format!("{other} is not a number"))),
    };
    if tokens.contains(&Token::Exponent) {
        return Ok(scientific(number, &tokens, fill));
    }
    let is_digit = |t: &Token| matches!(t, Token::Nine | Token::Zero);
    let point = tokens.iter().position(|t| *t == Token::Point);
    let shift = tokens.iter().position(|t| *t == Token::Shift);
    let digits_after = |at: Option<usize>| at.map_or(0, |p| tokens[p..].iter().filter(|t| is_digit(t)).count());
    let frac_positions = digits_after(point);
    let shift_digits = digits_after(shift) - digits_after(point.filter(|&p| shift.is_some_and(|s| p > s)));
    let int_positions = tokens.iter().take(point.unwrap_or(tokens.len())).filter(|t| is_digit(t)).count();

    let scaled = number * Decimal::from(10u64.pow(shift_digits.min(18) as u32));
    let strategy = if float { RoundingStrategy::MidpointNearestEven } else { RoundingStrategy::MidpointAwayFromZero };
    let rounded = scaled.round_dp_with_strategy(frac_positions as u32, strategy);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = rounded.abs().to_string();
    let (int_text, frac_text) = text.split_once('.').unwrap_or((&text, ""));
    let int_text = int_text.trim_start_matches('0');
    let frac_digits: Vec<char> = frac_text.chars().chain(std::iter::repeat('0')).take(frac_positions).collect();
    let overflow = int_text.len() > int_positions;
    // A zero with no fractional digits still shows one `0` (`to_char(0, '999')` is `   0`).
    let int_text = if int_text.is_empty() && frac_positions == 0 { "0" } else { int_text };
    let lead = int_positions.saturating_sub(int_text.len());
    let zero_start = tokens.iter().filter(|t| is_digit(t)).position(|t| *t == Token::Zero).unwrap_or(usize::MAX);

    let sign_placed =
        tokens.iter().any(|t| matches!(t, Token::Minus | Token::PlusMinus)) || tokens.contains(&Token::Sign);
    let first_numeric = tokens.iter().position(|t| is_digit(t) || matches!(t, Token::Point | Token::Group));
    let sign_before =
        tokens.iter().position(|t| *t == Token::Sign).is_some_and(|s| first_numeric.is_none_or(|f| s < f));
    let bracketed = tokens.contains(&Token::Brackets);

    let mut cells: Vec<Cell> = Vec::new();
    // Where the number's floating sign goes: the blank just before its first digit.
    let mut slot: Option<usize> = None;
    let (mut int_at, mut frac_at, mut printed) = (0usize, 0usize, false);
    for (i, token) in tokens.iter().enumerate() {
        if Some(i) == first_numeric && (!sign_placed || sign_before) {
            slot = Some(cells.len());
            cells.push(Cell::Blank);
        }
        match token {
            Token::Nine | Token::Zero if point.is_some_and(|p| i > p) => {
                let d = frac_digits[frac_at];
                frac_at += 1;
                cells.push(match (overflow, d, token) {
                    (true, ..) => Cell::Fixed('#'),
                    (false, '0', Token::Nine) => Cell::TrailingZero,
                    (false, d, _) => Cell::Fixed(d),
                });
            }
            Token::Nine | Token::Zero => {
                let at = int_at;
                int_at += 1;
                cells.push(if overflow {
                    Cell::Fixed('#')
                } else if at >= lead {
                    printed = true;
                    Cell::Fixed(int_text.as_bytes()[at - lead] as char)
                } else if at >= zero_start {
                    printed = true;
                    Cell::Fixed('0')
                } else {
                    Cell::Blank
                });
            }
            Token::Point => cells.push(Cell::Fixed('.')),
            Token::Group if printed || overflow => cells.push(Cell::Fixed(',')),
            Token::Group => cells.push(Cell::Blank),
            Token::Sign if !sign_before => cells.push(Cell::Fixed(if negative { '-' } else { '+' })),
            Token::Sign | Token::Shift | Token::Exponent => {}
            Token::Minus if negative => cells.push(Cell::Fixed('-')),
            Token::Plus if !negative => cells.push(Cell::Fixed('+')),
            Token::Minus | Token::Plus | Token::Currency => cells.push(Cell::Blank),
            Token::PlusMinus => cells.push(Cell::Fixed(if negative { '-' } else { '+' })),
            Token::Brackets => cells.push(if negative { Cell::Fixed('>') } else { Cell::Blank }),
            Token::Literal(s) => cells.extend(s.chars().map(Cell::Fixed)),
        }
    }
    let sign = match (sign_before, bracketed, negative) {
        (true, _, true) => Some('-'),
        (true, _, false) => Some('+'),
        (false, true, true) => Some('<'),
        (false, false, true) if !sign_placed => Some('-'),
        _ => None,
    };
    if let (Some(sign), Some(slot)) = (sign, slot) {
        // The sign moves right, over the blanks, up to the first character printed.
        let first = cells[slot..].iter().position(|c| *c != Cell::Blank).map_or(cells.len(), |p| slot + p);
        cells[first.max(slot + 1) - 1] = Cell::Fixed(sign);
    }
    Ok(render(cells, fill, point.is_some()))
}

/// The cells as text: in fill mode without blanks and trailing zeros of `9` digits (and a
/// `0` when no digit would be left, as PostgreSQL prints `to_char(0, 'FM9.99')` as `0.`).
fn render(mut cells: Vec<Cell>, fill: bool, has_point: bool) -> String {
    if !fill {
        return cells
            .iter()
            .map(|c| match c {
                Cell::Fixed(c) => *c,
                Cell::Blank => ' ',
                Cell::TrailingZero => '0',
            })
            .collect();
    }
    while let Some(at) = cells.iter().rposition(|c| *c != Cell::Blank) {
        if cells[at] != Cell::TrailingZero {
            break;
        }
        cells.remove(at);
    }
    let mut out: String = cells
        .iter()
        .filter_map(|c| match c {
            Cell::Fixed(c) => Some(*c),
            Cell::TrailingZero => Some('0'),
            Cell::Blank => None,
        })
        .collect();
    if !out.bytes().any(|b| b.is_ascii_digit() || b == b'#') {
        match out.find('.').filter(|_| has_point) {
            Some(at) => out.insert(at, '0'),
            None => out.push('0'),
        }
    }
    out
}

/// What a number that does not fit prints: `#` in each digit position.
fn overflow_text(tokens: &[Token]) -> String {
    let mut out = String::from(" ");
    for t in tokens {
        match t {
            Token::Nine | Token::Zero => out.push('#'),
            Token::Point => out.push('.'),
            Token::Group => out.push(','),
            _ => {}
        }
    }
    out
}

/// `9.99EEEE`: one digit, the fraction the template asks for, and a two-digit exponent.
fn scientific(number: Decimal, tokens: &[Token], fill: bool) -> String {
    let point = tokens.iter().position(|t| *t == Token::Point);
    let frac = point.map_or(0, |p| tokens[p..].iter().filter(|t| matches!(t, Token::Nine | Token::Zero)).count());
    let value = crate::value::numeric::to_f64(&number);
    let text = format!("{:.*e}", frac, value.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if value < 0.0 {
        "-"
    } else if fill {
        ""
    } else {
        " "
    };
    let exp_sign = if exponent < 0 { '-' } else { '+' };
    format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: Value, t: &str) -> String {
        to_char(&v, t).unwrap()
    }

    fn n(s: &str) -> Value {
        Value::Numeric(s.parse().unwrap())
    }

    #[test]
    fn postgresql_number_templates() {
        for (v, t, out) in [
            ("1234.5", "FM9,999.00", "1,234.50"),
            ("1234.5", "9,999.00", " 1,234.50"),
            ("-1234.5", "9,999.00", "-1,234.50"),
            ("1234.5", "999", " ###"),
            ("-12", "999", " -12"),
            ("-12", "0000", "-0012"),
            ("12", "S9999", "  +12"),
            ("12", "9999S", "  12+"),
            ("-12", "9999MI", "  12-"),
            ("-12", "9999PR", "  <12>"),
            ("12", "9999PR", "   12 "),
            ("1234.5", "9G999D99", " 1,234.50"),
            ("-12", "L999", "  -12"),
            ("0", "999", "   0"),
            ("0.5", "9.99", "  .50"),
            ("-0.5", "9.99", " -.50"),
            ("1234", "FM9999.99", "1234."),
            ("12345", "9,999", " #,###"),
            ("5", "9.9EEEE", " 5.0e+00"),
            ("12", "SG9999", "+  12"),
            ("-12", "PL9999", "   -12"),
            ("12", "99V9", " 120"),
            ("0", "FM9.99", "0."),
            ("0", "FM9.00", ".00"),
            ("485", "$999", "$ 485"),
            ("-1234.5", "FM9G999D00PR", "<1,234.50>"),
            ("-12", "MI9999", "-  12"),
        ] {
            assert_eq!(fmt(n(v), t), out, "to_char({v}, '{t}')");
        }
        assert_eq!(fmt(Value::Real(2.5), "9"), " 2");
        assert_eq!(fmt(Value::Integer(-125), "FM9,999"), "-125");
        assert_eq!(to_char(&Value::Integer(12), "RN").unwrap_err().sqlstate(), "0A000");
    }
}
