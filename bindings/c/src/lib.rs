//! `braid-c`: the C ABI of Braid (a cdylib and staticlib with a cbindgen-generated
//! `braid.h`, tested from C). It will be built once the SQL API exists (bindings issue);
//! until then the crate is empty on purpose and exports nothing.
