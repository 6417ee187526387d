//! placeholder
pub mod storage;
pub mod encoding;
pub mod error;
pub mod types;
pub use error::{Error, Result};
