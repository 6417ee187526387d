//! `braid`: the command-line entry point.
//!
//! - `braid serve`: opens (creating if needed) a data directory and serves it over the
//!   PostgreSQL wire protocol until SIGINT or SIGTERM; then stops accepting, lets open
//!   connections finish (bounded), flushes and exits 0.
//! - `braid shell [DIR | postgres://URL]`: an SQL shell, embedded or remote.
//! - `braid status`: what a data directory holds.

use std::path::PathBuf;
use std::process::ExitCode;

use braid_engine::{Backend, Database, Options, Synchronous};
use braid_server::config::{Config, FileConfig};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "braid", version, about = "Braid: relational tables, a key-value cache and time series in one engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a data directory over the PostgreSQL wire protocol until SIGINT/SIGTERM.
    Serve(ServeArgs),
    /// An interactive SQL shell on a data directory (embedded) or a server (postgres://URL);
    /// reads a script from standard input when it is not a terminal.
    Shell {
        #[arg(default_value = "./braid-data")]
        target: String,
    },
    /// Manage the users that log in with a password (SCRAM-SHA-256).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Open a data directory, print what it holds, and exit.
    Status {
        #[arg(default_value = "./braid-data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (or set a user's password): the password is read from the environment
    /// variable BRAID_PASSWORD, or else from the first line of standard input. Stop the
    /// server first: the data directory is opened directly.
    Add {
        name: String,
        #[arg(long, default_value = "./braid-data")]
        data: PathBuf,
    },
}

/// `braid serve`'s settings. Each flag overrides the config file, which overrides the
/// default shown.
#[derive(clap::Args)]
struct ServeArgs {
    /// The data directory, created if missing [default: ./braid-data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// The address to listen on [default: 127.0.0.1].
    #[arg(long)]
    host: Option<String>,
    /// The port to listen on; 0 picks a free one [default: 5433].
    #[arg(long)]
    port: Option<u16>,
    /// A TOML file with any of these settings (keys as the long flags, with `_`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Storage backend: redb, sled or memory [default: redb].
    #[arg(long)]
    backend: Option<Backend>,
    /// When commits reach disk: full, normal or off [default: full].
    #[arg(long)]
    synchronous: Option<Synchronous>,
    /// Connections served at once; more are refused with SQLSTATE 53300 [default: 100].
    #[arg(long)]
    max_connections: Option<usize>,
    /// Statements slower than this many milliseconds are logged [default: 1000].
    #[arg(long)]
    slow_statement_ms: Option<u64>,
    /// Statements running longer than this many milliseconds are stopped; 0: no limit
    /// [default: 0]. A session sets its own with `SET statement_timeout`.
    #[arg(long)]
    statement_timeout_ms: Option<u64>,
    /// Connections idle longer than this many milliseconds are closed; 0: never [default: 0].
    #[arg(long)]
    idle_timeout_ms: Option<u64>,
    /// The largest protocol message a client may send, in bytes; a larger one ends the
    /// connection with FATAL 08P01 before it is read. COPY data is limited per CopyData
    /// message, not per COPY [default: 67108864 (64 MiB); 16384 to 1073741822].
    #[arg(long)]
    max_message_bytes: Option<u64>,
    /// A PEM certificate chain: with --tls-key, clients may negotiate TLS.
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// A setting every session starts with, as `name=value` (repeatable), as
    /// PostgreSQL's `-c`: `--set log_statement=all`.
    #[arg(long = "set", short = 'c', value_name = "NAME=VALUE")]
    settings: Vec<String>,
}

impl ServeArgs {
    /// Defaults, then the config file, then the flags.
    fn config(self) -> Result<Config, String> {
        let mut config = Config::default();
        if let Some(path) = &self.config {
            FileConfig::load(path)?.apply(&mut config)?;
        }
        let flags = FileConfig {
            data: self.data,
            host: self.host,
            port: self.port,
            backend: None,
            synchronous: None,
            max_connections: self.max_connections,
            slow_statement_ms: self.slow_statement_ms,
            statement_timeout_ms: self.statement_timeout_ms,
            idle_timeout_ms: self.idle_timeout_ms,
            tls_cert: None,
            tls_key: None,
            max_message_bytes: self.max_message_bytes,
            settings: None,
        };
        flags.apply(&mut config)?;
        for setting in &self.settings {
            let (name, value) =
                setting.split_once('=').ok_or_else(|| format!("--set {setting}: expected NAME=VALUE"))?;
            braid_server::config::set(&mut config, name.trim(), value.trim())?;
        }
        match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => config.tls = Some((cert, key)),
            (None, None) => {}
            _ => return Err("TLS needs both --tls-cert and --tls-key".into()),
        }
        if let Some(b) = self.backend {
            config.backend = b;
        }
        if let Some(s) = self.synchronous {
            config.synchronous = s;
        }
        Ok(config)
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: a log file or a test reading the log gets text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match Cli::parse().command {
        Command::Serve(args) => args.config().and_then(|c| serve(c).map_err(|e| e.to_string())),
        Command::Status { data } => status(data).map_err(|e| e.to_string()),
        Command::User { command: UserCommand::Add { name, data } } => add_user(&data, &name),
        Command::Shell { target } => match braid_server::shell::run(&target) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("braid: {err}");
            ExitCode::FAILURE
        }
    }
}

fn add_user(data: &std::path::Path, name: &str) -> Result<(), String> {
    let password = match std::env::var("BRAID_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    let db = braid::Database::open(data).map_err(|e| e.to_string())?;
    braid_server::pg::auth::add_user(&db, name, &password)?;
    db.flush().map_err(|e| e.to_string())?;
    println!("user {name} added");
    Ok(())
}

fn open(data: &std::path::Path, backend: Backend, synchronous: Synchronous) -> braid_engine::Result<Database> {
    Database::open_with(data, Options { backend, synchronous, cache_bytes: None })
}

fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let options = braid::OpenOptions { backend: config.backend, synchronous: config.synchronous, cache_bytes: None };
    let db = braid::Database::open_with(&config.data, options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = braid_server::pg::Listener::bind(db.clone(), config.clone()).await?;
        let addr = listener.local_addr()?;
        tracing::info!(data = %config.data.display(), backend = ?config.backend, synchronous = ?config.synchronous, %addr, "serving");
        // A line for scripts and tests that start the server on port 0.
        println!("braid: listening on {addr}");
        listener.run(async { _ = shutdown_signal().await }).await
    })?;
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
