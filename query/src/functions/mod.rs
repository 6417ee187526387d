//! Built-in functions: scalar functions and aggregates, looked up by name.

mod aggregate;
mod scalar;

pub use self::aggregate::{Accumulator, AggregateFunction};
pub use self::scalar::ScalarFunction;
