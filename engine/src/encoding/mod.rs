//! How values become bytes.
//!
//! - [`keycode`]: the order-preserving key codec. It is the only producer of key bytes.
//! - [`row`]: rows as validated rkyv archives, behind a format version byte.
//! - [`format`]: renders keys for humans (debugging, golden outputs).

pub mod format;
pub mod keycode;
pub mod row;
