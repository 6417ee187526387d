//! Statement parameters: what [`Params`] turns Rust values into, for either kind of
//! connection.

use braid_engine::Value;

use crate::value::ToValue;

/// Statement parameters: positional (`$1`, `?`) and named (`:name`).
#[derive(Debug, Clone, Default)]
pub struct ParamValues {
    pub positional: Vec<Value>,
    pub named: Vec<(String, Value)>,
}

/// A statement's parameters as one execution receives them.
pub(crate) enum Args<'p> {
    /// Lent by the caller: read, and copied where a value is kept.
    Lent(&'p ParamValues),
    /// Given to this execution alone: a single-row INSERT moves them into its row instead
    /// of copying them (a text copied is an allocation, and the caller's copy a free: 330
    /// instructions a row of a bulk insert, callgrind, `PROBE=a`).
    Given(ParamValues),
}

impl Args<'_> {
    pub(crate) fn values(&self) -> &ParamValues {
        match self {
            Args::Lent(p) => p,
            Args::Given(p) => p,
        }
    }
}

/// Anything that can be passed as statement parameters: `()`, arrays and slices of values,
/// tuples of Rust values, `Vec<Value>`, or named pairs `&[(":name", &value)]`.
pub trait Params {
    fn into_params(self) -> ParamValues;
}

impl Params for () {
    fn into_params(self) -> ParamValues {
        ParamValues::default()
    }
}

impl Params for Vec<Value> {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self, named: vec![] }
    }
}

impl Params for &[Value] {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self.to_vec(), named: vec![] }
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self.iter().map(ToValue::to_value).collect(), named: vec![] }
    }
}

impl Params for &[&dyn ToValue] {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self.iter().map(|v| v.to_value()).collect(), named: vec![] }
    }
}

impl Params for &[(&str, &dyn ToValue)] {
    fn into_params(self) -> ParamValues {
        let named = self.iter().map(|(n, v)| (n.trim_start_matches([':', '@', '$']).to_string(), v.to_value()));
        ParamValues { positional: vec![], named: named.collect() }
    }
}

macro_rules! tuple_params {
    ($($name:ident),+) => {
        impl<$($name: ToValue),+> Params for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_params(self) -> ParamValues {
                let ($($name,)+) = self;
                ParamValues { positional: vec![$($name.to_value()),+], named: vec![] }
            }
        }
    };
}

tuple_params!(A);
tuple_params!(A, B);
tuple_params!(A, B, C);
tuple_params!(A, B, C, D);
tuple_params!(A, B, C, D, E);
tuple_params!(A, B, C, D, E, F);
tuple_params!(A, B, C, D, E, F, G);
tuple_params!(A, B, C, D, E, F, G, H);
