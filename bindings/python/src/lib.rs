//! `braid-python`: the PyO3 module `braid`, a PEP 249 (DB-API 2.0) driver built with
//! maturin. It will be built once the SQL API exists (bindings issue); until then the crate
//! is empty on purpose and exports nothing.
