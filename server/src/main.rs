//! `braid`: the command-line entry point.
//!
//! Today it opens (creating if needed) a data directory and keeps the database open until
//! SIGINT or SIGTERM, then flushes and exits 0. It will grow the PostgreSQL-wire and RESP
//! listeners (`pg/`, `resp/`), `braid shell` and `braid user add` with the network-server
//! issue; the flags below are already the ones that issue specifies.

use std::path::PathBuf;
use std::process::ExitCode;

use braid_engine::{Backend, Database, Options, Synchronous};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "braid", version, about = "Braid: relational tables, a key-value cache and time series in one engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Open the database in a data directory and serve it until SIGINT/SIGTERM.
    Serve {
        /// The data directory (created if missing).
        #[arg(long, default_value = "./braid-data")]
        data: PathBuf,
        /// Storage backend: redb (default), sled or memory.
        #[arg(long, default_value = "redb")]
        backend: Backend,
        /// When commits reach disk: full, normal or off.
        #[arg(long, default_value = "full")]
        synchronous: Synchronous,
    },
    /// Open a data directory, print what it holds, and exit.
    Status {
        #[arg(default_value = "./braid-data")]
        data: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::Serve { data, backend, synchronous } => serve(data, backend, synchronous),
        Command::Status { data } => status(data),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("braid: {err}");
            ExitCode::FAILURE
        }
    }
}

fn open(data: &std::path::Path, backend: Backend, synchronous: Synchronous) -> braid_engine::Result<Database> {
    Database::open_with(data, Options { backend, synchronous, cache_bytes: None })
}

fn serve(data: PathBuf, backend: Backend, synchronous: Synchronous) -> braid_engine::Result<()> {
    let db = open(&data, backend, synchronous)?;
    let tables = db.begin_read_only()?.tables()?.len();
    tracing::info!(data = %data.display(), ?backend, ?synchronous, tables, "database open");
    tracing::warn!(
        "network listeners are not built yet (PostgreSQL wire and RESP come with the server issue); holding the database open"
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(shutdown_signal())?;
    tracing::info!("shutting down: flushing");
    db.flush()?;
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

fn status(data: PathBuf) -> braid_engine::Result<()> {
    if !data.exists() {
        return Err(braid_engine::Error::NotFound { kind: "data directory", name: data.display().to_string() });
    }
    let db = open(&data, Backend::Redb, Synchronous::Full)?;
    let store = braid_engine::storage::Storage::status(db.storage())?;
    println!("{}: {} backend, {} bytes on disk", data.display(), store.backend, store.disk_bytes);
    let tx = db.begin_read_only()?;
    for table in tx.tables()? {
        let rows = tx.scan(&table, ..)?.count();
        println!(
            "  table {} ({} columns, {} indexes, {rows} rows)",
            table.name,
            table.columns.len(),
            table.indexes.len()
        );
    }
    Ok(())
}
