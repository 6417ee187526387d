//! `braid-server`: what the `braid` binary runs — the PostgreSQL-wire server ([`pg`]), its
//! configuration ([`config`]) and the SQL shell ([`shell`]). A library beside the binary so that tests and benches
//! can start a server in their own process.

pub mod config;
pub mod pg;
pub mod shell;
