//! Values as text (`CAST(x AS TEXT)`, `||`, results): numbers the way SQLite renders them,
//! timestamps in PostgreSQL's ISO form.

use braid_engine::Value;

/// A real as SQLite prints it: `%!.15g`, 15 significant digits, always with a decimal point
/// or an exponent (`1.0`, `0.1`, `1.0e+20`, `-1.5e-07`).
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if r == 0.0 {
        return "0.0".into();
    }
    // Round to 15 significant digits first: the exponent is that of the rounded value.
    let sci = format!("{:.14e}", r);
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    if !(-4..15).contains(&exp) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = (14 - exp).max(0) as usize;
    trim_fraction(&format!("{:.*}", decimals, r))
}

/// Drops trailing zeros of a fraction, keeping at least one digit after the point.
fn trim_fraction(s: &str) -> String {
    if !s.contains('.') {
        return format!("{s}.0");
    }
    let t = s.trim_end_matches('0');
    if t.ends_with('.') { format!("{t}0") } else { t.to_string() }
}

/// A value as text: numbers rendered, text as is, NULL as the empty string (callers
/// handle NULL first where it matters).
pub fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Boolean(b) => if *b { "1" } else { "0" }.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Timestamp(t) => super::datetime::format_timestamp(*t),
        Value::Real(r) => format_real(*r),
        Value::Numeric(d) => d.to_string(),
        Value::Interval(i) => super::interval::format(i),
        Value::Time(t) => super::time::format(*t),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_as_in_sqlite() {
        assert_eq!(format_real(1.0), "1.0");
        assert_eq!(format_real(0.1), "0.1");
        assert_eq!(format_real(-2.5), "-2.5");
        assert_eq!(format_real(1e20), "1.0e+20");
        assert_eq!(format_real(123456789012345.0), "123456789012345.0");
        assert_eq!(format_real(1234567890123456.0), "1.23456789012346e+15");
        assert_eq!(format_real(0.0001), "0.0001");
        assert_eq!(format_real(0.00001), "1.0e-05");
        assert_eq!(format_real(1.0 / 3.0), "0.333333333333333");
    }
}
