//! Server settings: defaults, a TOML file (`--config FILE`), and command-line flags, in
//! that order of precedence (flags win).
//!
//! ```toml
//! data = "./braid-data"
//! host = "127.0.0.1"
//! port = 5433
//! backend = "redb"            # redb | sled | memory
//! synchronous = "full"        # full | normal | off
//! max_connections = 100
//! slow_statement_ms = 1000
//! statement_timeout_ms = 0    # 0: no limit
//! idle_timeout_ms = 0         # 0: never
//! tls_cert = "server.crt"     # PEM; with tls_key, clients may use TLS
//! tls_key = "server.key"
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use braid::{Backend, Synchronous};
use serde::Deserialize;

/// Everything `braid serve` needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub host: String,
    /// 0 picks a free port (tests); the bound address is printed on standard output.
    pub port: u16,
    pub backend: Backend,
    pub synchronous: Synchronous,
    /// Connections served at once; one more is refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// Statements slower than this are logged as warnings.
    pub slow_statement: Duration,
    /// Statements running longer are stopped with SQLSTATE 57014 (`None`: no limit); a
    /// session changes its own with `SET statement_timeout`.
    pub statement_timeout: Option<Duration>,
    /// Connections idle (no message, no statement running) longer are closed (`None`:
    /// never).
    pub idle_timeout: Option<Duration>,
    /// TLS: a PEM certificate chain and private key; clients may then negotiate TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("./braid-data"),
            host: "127.0.0.1".to_string(),
            port: 5433,
            backend: Backend::Redb,
            synchronous: Synchronous::Full,
            max_connections: 100,
            slow_statement: Duration::from_secs(1),
            statement_timeout: None,
            idle_timeout: None,
            tls: None,
        }
    }
}

/// The settings a config file may hold; each one it leaves out keeps its default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub backend: Option<String>,
    pub synchronous: Option<String>,
    pub max_connections: Option<usize>,
    pub slow_statement_ms: Option<u64>,
    /// 0: no limit.
    pub statement_timeout_ms: Option<u64>,
    /// 0: never.
    pub idle_timeout_ms: Option<u64>,
    /// PEM files; both or neither.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl FileConfig {
    /// Reads and parses a TOML config file.
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Applies the file's settings over `config`.
    pub fn apply(self, config: &mut Config) -> Result<(), String> {
        if let Some(v) = self.data {
            config.data = v;
        }
        if let Some(v) = self.host {
            config.host = v;
        }
        if let Some(v) = self.port {
            config.port = v;
        }
        if let Some(v) = self.backend {
            config.backend = v.parse().map_err(|e| format!("backend: {e}"))?;
        }
        if let Some(v) = self.synchronous {
            config.synchronous = v.parse().map_err(|e| format!("synchronous: {e}"))?;
        }
        if let Some(v) = self.max_connections {
            config.max_connections = v;
        }
        if let Some(v) = self.slow_statement_ms {
            config.slow_statement = Duration::from_millis(v);
        }
        if let Some(v) = self.statement_timeout_ms {
            config.statement_timeout = (v > 0).then(|| Duration::from_millis(v));
        }
        if let Some(v) = self.idle_timeout_ms {
            config.idle_timeout = (v > 0).then(|| Duration::from_millis(v));
        }
        match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => config.tls = Some((cert, key)),
            (None, None) => {}
            _ => return Err("TLS needs both tls_cert and tls_key".into()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults_and_unknown_keys_are_refused() {
        let file: FileConfig = toml::from_str("port = 6000\nsynchronous = \"normal\"").unwrap();
        let mut config = Config::default();
        file.apply(&mut config).unwrap();
        assert_eq!(config.port, 6000);
        assert_eq!(config.synchronous, Synchronous::Normal);
        assert_eq!(config.host, "127.0.0.1");
        assert!(toml::from_str::<FileConfig>("prot = 1").is_err());
        let bad: FileConfig = toml::from_str("backend = \"nope\"").unwrap();
        assert!(bad.apply(&mut Config::default()).is_err());
    }
}
