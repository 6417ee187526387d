//! `braid-server`: what the `braid` binary runs — the PostgreSQL-wire server ([`pg`]) and
//! its configuration ([`config`]). A library beside the binary so that tests and benches
//! can start a server in their own process.

pub mod config;
pub mod pg;
