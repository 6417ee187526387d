//! What a PostgreSQL client sends that Braid's server code parses itself, on arbitrary
//! input: COPY data in text and CSV (cut into messages anywhere), parameters in text and
//! binary for every type, and timestamps. An error is fine, a panic is a bug.
#![no_main]

use braid_server::pg::{copy, types};
use libfuzzer_sys::fuzz_target;
use pgwire::api::Type;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else { return };
    for csv in [false, true] {
        let format = copy::Format { csv, delimiter: if csv { b',' } else { b'\t' }, null: String::new() };
        let mut reader = copy::Reader::default();
        let at = (cut as usize).min(rest.len());
        let _ = reader.push(&rest[..at], &format);
        let _ = reader.push(&rest[at..], &format);
        let _ = reader.finish(&format);
    }
    for ty in [Type::BOOL, Type::INT2, Type::INT4, Type::INT8, Type::FLOAT4, Type::FLOAT8, Type::TEXT, Type::BYTEA, Type::TIMESTAMPTZ, Type::NUMERIC] {
        let _ = types::decode(Some(rest), &ty, true);
        let _ = types::decode(Some(rest), &ty, false);
    }
    if let Ok(text) = std::str::from_utf8(rest) {
        let _ = types::parse_timestamp(text);
    }
});
