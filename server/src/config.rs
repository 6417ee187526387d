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
//! max_message_bytes = 67108864  # the largest protocol message a client may send (64 MiB)
//! tls_cert = "server.crt"     # PEM; with tls_key, clients may use TLS
//! tls_key = "server.key"
//!
//! [settings]                  # every session's defaults, as postgresql.conf's
//! log_statement = "ddl"       # none | ddl | mod | all
//! log_min_error_statement = "error"
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
    /// The largest protocol message a client may send (its length field); a larger one
    /// ends the connection with FATAL 08P01 before its body is read.
    pub max_message_bytes: u32,
    /// Run-time settings every session starts with (`log_statement`, `search_path` …),
    /// checked when the config is read; a session changes its own with `SET`.
    pub settings: Vec<(String, String)>,
}

/// The default message size limit: room for a large statement or parameter, far below the
/// protocol's 1 GiB. COPY data comes in many messages, each limited on its own.
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 64 << 20;

/// The bounds of `max_message_bytes`: a startup packet must fit (pgwire allows startup
/// packets up to 10,000 bytes), and the protocol itself stops at 1 GiB (pgwire's limit).
pub const MAX_MESSAGE_BYTES_RANGE: std::ops::RangeInclusive<u32> = 16 << 10..=0x3fff_fffe;

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
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            settings: Vec::new(),
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
    pub max_message_bytes: Option<u64>,
    /// Session settings by name; values are strings, numbers or booleans as TOML writes
    /// them.
    pub settings: Option<std::collections::BTreeMap<String, toml::Value>>,
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
        if let Some(v) = self.max_message_bytes {
            config.max_message_bytes =
                u32::try_from(v).ok().filter(|v| MAX_MESSAGE_BYTES_RANGE.contains(v)).ok_or_else(|| {
                    format!(
                        "max_message_bytes: {v} is outside {}..={}",
                        MAX_MESSAGE_BYTES_RANGE.start(),
                        MAX_MESSAGE_BYTES_RANGE.end()
                    )
                })?;
        }
        match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => config.tls = Some((cert, key)),
            (None, None) => {}
            _ => return Err("TLS needs both tls_cert and tls_key".into()),
        }
        for (name, value) in self.settings.unwrap_or_default() {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => value.to_string(),
                other => return Err(format!("settings.{name}: {other} is not a setting's value")),
            };
            set(config, &name, &value)?;
        }
        Ok(())
    }
}

/// Adds a session setting to `config`, checked as `SET` checks it (a value it refuses
/// would otherwise fail every connection).
pub fn set(config: &mut Config, name: &str, value: &str) -> Result<(), String> {
    braid::session::Session::default().set(name, value).map_err(|e| format!("setting {name}: {e}"))?;
    config.settings.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    config.settings.push((name.to_string(), value.to_string()));
    Ok(())
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
        assert_eq!(config.max_message_bytes, DEFAULT_MAX_MESSAGE_BYTES);
        let file: FileConfig = toml::from_str("[settings]\nlog_statement = \"ddl\"\nextra_float_digits = 2").unwrap();
        file.apply(&mut config).unwrap();
        assert_eq!(
            config.settings,
            [("extra_float_digits".into(), "2".into()), ("log_statement".into(), "ddl".into())]
        );
        let bad: FileConfig = toml::from_str("[settings]\nlog_statement = \"loud\"").unwrap();
        assert!(bad.apply(&mut Config::default()).unwrap_err().starts_with("setting log_statement"));
        let file: FileConfig = toml::from_str("max_message_bytes = 1048576").unwrap();
        file.apply(&mut config).unwrap();
        assert_eq!(config.max_message_bytes, 1 << 20);
        for out_of_range in ["100", "1073741824", "99999999999"] {
            let file: FileConfig = toml::from_str(&format!("max_message_bytes = {out_of_range}")).unwrap();
            let err = file.apply(&mut config).unwrap_err();
            assert!(err.starts_with("max_message_bytes:"), "{err}");
        }
        assert_eq!(config.max_message_bytes, 1 << 20, "a refused value changes nothing");
    }
}
