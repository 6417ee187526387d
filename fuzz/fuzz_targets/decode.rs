//! Every decoder of on-disk bytes, on arbitrary input: an error is fine, a panic is a bug.
#![no_main]

use braid_engine::encoding::{keycode, row};
use braid_engine::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = keycode::decode_values(data);
    let _ = row::decode(data);
    let _ = keys::decode_row_key(data);
    let _ = keys::decode_index_key(data, 2);
});
