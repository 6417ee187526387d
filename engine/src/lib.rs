//! placeholder
pub mod encoding;
pub mod error;
pub mod types;
