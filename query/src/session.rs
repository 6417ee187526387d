//! A connection's session: PostgreSQL's run-time settings and who the session is.
//!
//! Settings are what `SET`, `SHOW`, `RESET`, `current_setting()` and `set_config()` read
//! and write, embedded and over the wire alike (the server's sessions are embedded
//! connections, so a psql `SHOW` and an application's `current_setting` see one map).
//! Names are case-insensitive (kept lower case). The defaults are the values PostgreSQL 15
//! reports for the settings clients ask about on connect; an unknown name is an error
//! (42704) for `SHOW` and `current_setting`, and is accepted by `SET` only when it is a
//! custom (dotted) name, as PostgreSQL does.
//!
//! `statement_timeout` changes behaviour: the connection reads it before each statement.
//! So do `log_statement` and `log_min_error_statement`, which the server reads to decide
//! what it logs ([`LogStatement`]). So does `TimeZone`, resolved when it is set
//! ([`crate::value::zone`]) and kept beside the transaction's start, which the date and time
//! functions read together ([`Clock`]). The others are reported as set (dates are always
//! read and written in ISO form).
//!
//! The session also knows the time its transaction began, which `now()` and
//! `CURRENT_TIMESTAMP` return (PostgreSQL's transaction timestamp).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{DataError, Error, Result};
use crate::value::zone::Zone;

/// The PostgreSQL version Braid speaks: the major version whose catalogs, functions and
/// protocol Braid follows, and what psql, pg_dump and drivers check the server against.
pub const SERVER_VERSION: &str = "15.0";
/// [`SERVER_VERSION`] as `server_version_num`.
pub const SERVER_VERSION_NUM: &str = "150000";

/// What `version()` returns: PostgreSQL's form (drivers parse the leading
/// `PostgreSQL <major>.<minor>`), naming Braid in the parentheses where PostgreSQL names
/// its distribution.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (Braid {}) on {}-linux, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

/// What the date and time functions read of the session: when its transaction began
/// (`now()`, `age(ts)`) and its time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Microseconds since the epoch.
    pub started: i64,
    pub zone: Zone,
}

/// Session ids as `pg_backend_pid()` reports them: distinct per connection in a process.
static NEXT_PID: AtomicI32 = AtomicI32::new(1);

/// One connection's session state.
#[derive(Debug)]
pub struct Session {
    settings: Mutex<BTreeMap<String, String>>,
    /// `statement_timeout` in milliseconds (0: none), kept beside the map because every
    /// statement reads it: a map lookup with a lower-cased key and a parse was a fifth of a
    /// prepared point SELECT's time.
    statement_timeout_ms: AtomicU64,
    /// `lock_timeout` in milliseconds (0: none), beside the map for the same reason.
    lock_timeout_ms: AtomicU64,
    /// `log_statement` as a [`LogStatement`], and whether `log_min_error_statement` logs the
    /// statements of errors, kept beside the map as the timeout is.
    log_statement: AtomicU8,
    log_error_statements: AtomicBool,
    pid: i32,
    /// When the current transaction (or autocommit statement) began, and the resolved
    /// `TimeZone`: what the date and time functions read, in one lock.
    clock: Mutex<Clock>,
    /// Whether the zone is not UTC: a UTC session's zone is read without the lock (the
    /// bulk-insert path asks for it per row).
    zoned: AtomicBool,
    /// What `nextval` returned in this session: the last value of each sequence (by uid),
    /// for `currval`, and the last of all, for `lastval`.
    sequence_values: Mutex<(std::collections::HashMap<u64, i64>, Option<i64>)>,
    /// Whether the current role is a superuser, as of a schema generation:
    /// `(generation + 1) << 1 | superuser`, 0 when not known. Changes to roles are DDL,
    /// which moves the generation on, and a change of the session's role clears it, so a
    /// superuser's statement passes its privilege check with one atomic read (no catalog
    /// read, no settings lookup: the check runs before every statement).
    superuser: AtomicU64,
    /// A hash of `search_path`, kept beside the map (see [`Session::search_path_key`]).
    search_path_key: AtomicU64,
    /// `search_path` read, kept beside the map.
    search_path: Mutex<std::sync::Arc<crate::names::SearchPath>>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new("braid", "braid")
    }
}

impl Session {
    /// A session of `user` on `database`.
    pub fn new(user: &str, database: &str) -> Session {
        let mut settings = defaults();
        settings.insert("session_authorization".into(), user.into());
        settings.insert("braid.user".into(), user.into());
        settings.insert("braid.login".into(), user.into());
        settings.insert("braid.database".into(), database.into());
        let path = crate::names::SearchPath::parse(settings.get("search_path").map_or("", String::as_str));
        Session {
            statement_timeout_ms: AtomicU64::new(timeout_ms(&settings, "statement_timeout")),
            lock_timeout_ms: AtomicU64::new(timeout_ms(&settings, "lock_timeout")),
            log_statement: AtomicU8::new(LogStatement::None as u8),
            log_error_statements: AtomicBool::new(true),
            settings: Mutex::new(settings),
            pid: NEXT_PID.fetch_add(1, Ordering::Relaxed),
            clock: Mutex::new(Clock { started: now_micros(), zone: Zone::Utc }),
            zoned: AtomicBool::new(false),
            search_path_key: AtomicU64::new(0),
            search_path: Mutex::new(std::sync::Arc::new(path)),
            sequence_values: Mutex::default(),
            superuser: AtomicU64::new(0),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a value `nextval` of sequence `id` returned.
    pub fn took_sequence_value(&self, id: u64, value: i64) {
        let mut values = self.sequence_values.lock().unwrap_or_else(|e| e.into_inner());
        values.0.insert(id, value);
        values.1 = Some(value);
    }

    /// The value this session's last `nextval` of sequence `id` returned.
    pub fn currval(&self, id: u64) -> Option<i64> {
        self.sequence_values.lock().unwrap_or_else(|e| e.into_inner()).0.get(&id).copied()
    }

    /// The value this session's last `nextval` returned.
    pub fn lastval(&self) -> Option<i64> {
        self.sequence_values.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    /// A setting's value, or 42704 when there is no such setting.
    pub fn get(&self, name: &str) -> Result<String> {
        self.try_get(name).ok_or_else(|| unrecognized(name))
    }

    /// A setting's value, if it exists.
    pub fn try_get(&self, name: &str) -> Option<String> {
        self.map().get(&name.to_ascii_lowercase()).cloned()
    }

    /// Sets a setting (`SET`, `set_config`). Known settings with a checked form are checked;
    /// unknown names are refused unless they are custom (`prefix.name`).
    pub fn set(&self, name: &str, value: &str) -> Result<()> {
        let name = name.to_ascii_lowercase();
        let value = match name.as_str() {
            "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => {
                let d = parse_duration(value).ok_or_else(|| invalid_value(&name, value))?;
                d.as_millis().to_string()
            }
            // `SET TIME ZONE LOCAL` is the default zone, as `DEFAULT` is.
            "timezone" if value.eq_ignore_ascii_case("local") || value.eq_ignore_ascii_case("default") => {
                return self.reset(&name);
            }
            // Kept as `SHOW` prints it (`Europe/Berlin` for `europe/berlin`); resolved again
            // in `cache`.
            "timezone" => Zone::parse(value).ok_or_else(|| invalid_value("TimeZone", value))?.1,
            "log_statement" => {
                let value = value.to_ascii_lowercase();
                LogStatement::parse(&value).ok_or_else(|| invalid_value(&name, &value))?;
                value
            }
            "log_min_error_statement" => {
                let value = value.to_ascii_lowercase();
                error_statements_logged(&value).ok_or_else(|| invalid_value(&name, &value))?;
                value
            }
            // Who the session is changes only through the statements that check it (SET
            // ROLE, SET SESSION AUTHORIZATION, a login), never as a setting.
            "server_version" | "server_version_num" | "server_encoding" | "max_identifier_length" | "is_superuser" => {
                return Err(Error::invalid(format!("parameter \"{name}\" cannot be changed")));
            }
            internal if internal.starts_with("braid.") => {
                return Err(Error::invalid(format!("parameter \"{name}\" cannot be changed")));
            }
            _ => value.to_string(),
        };
        let mut map = self.map();
        if !map.contains_key(&name) && !name.contains('.') {
            return Err(unrecognized(&name));
        }
        map.insert(name, value);
        self.cache(&map);
        Ok(())
    }

    /// `RESET name`: back to the default.
    pub fn reset(&self, name: &str) -> Result<()> {
        let name = name.to_ascii_lowercase();
        if name.starts_with("braid.") || name == "is_superuser" {
            return Err(Error::invalid(format!("parameter \"{name}\" cannot be changed")));
        }
        let default = defaults().remove(&name);
        let mut map = self.map();
        match default {
            Some(v) => {
                map.insert(name, v);
            }
            None if name.contains('.') => {
                map.remove(&name);
            }
            None => return Err(unrecognized(&name)),
        }
        self.cache(&map);
        Ok(())
    }

    /// Copies the settings read before every statement out of the map.
    fn cache(&self, map: &BTreeMap<String, String>) {
        let zone = map.get("timezone").and_then(|z| Zone::parse(z)).map_or(Zone::Utc, |(zone, _)| zone);
        self.clock.lock().unwrap_or_else(|e| e.into_inner()).zone = zone;
        self.zoned.store(zone != Zone::Utc, Ordering::Relaxed);
        self.statement_timeout_ms.store(timeout_ms(map, "statement_timeout"), Ordering::Relaxed);
        self.lock_timeout_ms.store(timeout_ms(map, "lock_timeout"), Ordering::Relaxed);
        let log = map.get("log_statement").and_then(|v| LogStatement::parse(v)).unwrap_or(LogStatement::None);
        self.log_statement.store(log as u8, Ordering::Relaxed);
        let errors = map.get("log_min_error_statement").and_then(|v| error_statements_logged(v)).unwrap_or(true);
        self.log_error_statements.store(errors, Ordering::Relaxed);
        let path = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            map.get("search_path").hash(&mut hasher);
            hasher.finish()
        };
        self.search_path_key.store(path, Ordering::Relaxed);
        let parsed = crate::names::SearchPath::parse(map.get("search_path").map_or("", String::as_str));
        *self.search_path.lock().unwrap_or_else(|e| e.into_inner()) = std::sync::Arc::new(parsed);
    }

    /// Which statements are logged before they run (`log_statement`).
    pub fn log_statement(&self) -> LogStatement {
        LogStatement::from_u8(self.log_statement.load(Ordering::Relaxed))
    }

    /// Whether a statement that fails is logged with its error (`log_min_error_statement`
    /// at `error` or below, PostgreSQL's default).
    pub fn log_error_statements(&self) -> bool {
        self.log_error_statements.load(Ordering::Relaxed)
    }

    /// Every setting, by name (for `SHOW ALL` and `pg_settings`).
    pub fn all(&self) -> Vec<(String, String)> {
        self.map().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The statement timeout, if one is set.
    pub fn statement_timeout(&self) -> Option<Duration> {
        let ms = self.statement_timeout_ms.load(Ordering::Relaxed);
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// How long a statement waits for a row lock (`lock_timeout`), if bounded.
    pub fn lock_timeout(&self) -> Option<Duration> {
        let ms = self.lock_timeout_ms.load(Ordering::Relaxed);
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// The session's user (`session_user`): the role it logged in as, or the one `SET
    /// SESSION AUTHORIZATION` chose.
    pub fn user(&self) -> String {
        self.try_get("braid.user").unwrap_or_default()
    }

    /// The role privileges are checked against (`current_user`): the one `SET ROLE` chose,
    /// else the session's user.
    pub fn role(&self) -> String {
        self.try_get("braid.role").unwrap_or_else(|| self.user())
    }

    /// The role the session authenticated as, which `SET SESSION AUTHORIZATION` checks.
    pub fn login(&self) -> String {
        self.try_get("braid.login").unwrap_or_default()
    }

    /// Logs the session in as `user` (the server, once the client has authenticated):
    /// its session user and current role become `user`.
    pub fn set_login(&self, user: &str) {
        let mut map = self.map();
        for key in ["braid.login", "braid.user", "session_authorization"] {
            map.insert(key.into(), user.into());
        }
        map.remove("braid.role");
        map.insert("role".into(), "none".into());
        self.role_changed();
    }

    /// Reports whether the current role is a superuser (the `is_superuser` setting).
    pub(crate) fn note_superuser(&self, superuser: bool) {
        self.map().insert("is_superuser".into(), if superuser { "on" } else { "off" }.into());
    }

    /// Whether the current role was a superuser at schema generation `generation`, if
    /// known.
    pub(crate) fn cached_superuser(&self, generation: u64) -> Option<bool> {
        let cached = self.superuser.load(Ordering::Relaxed);
        (cached >> 1 == generation.wrapping_add(1)).then_some(cached & 1 == 1)
    }

    /// Notes whether the current role is a superuser at schema generation `generation`.
    pub(crate) fn cache_superuser(&self, generation: u64, superuser: bool) {
        self.superuser.store(generation.wrapping_add(1) << 1 | superuser as u64, Ordering::Relaxed);
    }

    /// Forgets whether the current role is a superuser: it changed.
    fn role_changed(&self) {
        self.superuser.store(0, Ordering::Relaxed);
    }

    /// `SET ROLE name` (`None`: `SET ROLE NONE`, `RESET ROLE`); `SHOW role` reads it.
    pub fn set_role(&self, role: Option<&str>) {
        let mut map = self.map();
        match role {
            Some(role) => map.insert("braid.role".into(), role.into()),
            None => map.remove("braid.role"),
        };
        map.insert("role".into(), role.unwrap_or("none").into());
        self.role_changed();
    }

    /// `SET SESSION AUTHORIZATION name` (`None`: back to the role that logged in); the
    /// current role follows, as `SET ROLE NONE` would.
    pub fn set_session_user(&self, user: Option<&str>) {
        let user = user.map_or_else(|| self.login(), str::to_string);
        let mut map = self.map();
        map.insert("braid.user".into(), user.clone());
        map.insert("session_authorization".into(), user);
        map.remove("braid.role");
        map.insert("role".into(), "none".into());
        self.role_changed();
    }

    /// Marks the transaction read-only or not (`BEGIN READ ONLY`; its end clears it), as
    /// `transaction_read_only` shows.
    pub fn set_transaction_read_only(&self, read_only: bool) {
        self.map().insert("transaction_read_only".into(), if read_only { "on" } else { "off" }.into());
    }

    /// Whether the transaction was begun READ ONLY (an autocommitted query's read-only
    /// snapshot is not: it may still call `nextval`).
    pub fn transaction_read_only(&self) -> bool {
        self.map().get("transaction_read_only").is_some_and(|v| v == "on")
    }

    /// The database the session is connected to (`current_database()`).
    pub fn database(&self) -> String {
        self.try_get("braid.database").unwrap_or_default()
    }

    /// The schemas of `search_path`, read when it was set (`nextval` asks per row).
    pub fn search_path(&self) -> std::sync::Arc<crate::names::SearchPath> {
        self.search_path.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A number that changes when `search_path` does: plans bind names through the path,
    /// so a plan is kept only while it is the same.
    pub fn search_path_key(&self) -> u64 {
        self.search_path_key.load(Ordering::Relaxed)
    }

    /// `pg_backend_pid()`.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// When the current transaction began (`now()`), in microseconds since the epoch.
    pub fn transaction_start(&self) -> i64 {
        self.clock().started
    }

    /// A session of its own in time zone `zone`, for evaluating constants while planning.
    pub(crate) fn detached(zone: Zone) -> Session {
        let session = Session::default();
        session.clock.lock().unwrap_or_else(|e| e.into_inner()).zone = zone;
        session.zoned.store(zone != Zone::Utc, Ordering::Relaxed);
        session
    }

    /// The transaction's start and the session's time zone.
    pub fn clock(&self) -> Clock {
        *self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session's `TimeZone`, resolved.
    pub fn zone(&self) -> Zone {
        if !self.zoned.load(Ordering::Relaxed) {
            return Zone::Utc;
        }
        self.clock().zone
    }

    /// Marks the start of a transaction (or of an autocommit statement).
    pub fn begin_transaction(&self) {
        self.clock.lock().unwrap_or_else(|e| e.into_inner()).started = now_micros();
    }
}

/// The current time in microseconds since the epoch (`clock_timestamp()`).
pub fn now_micros() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    since.as_micros().min(i64::MAX as u128) as i64
}

fn unrecognized(name: &str) -> Error {
    Error::NotFound { kind: "configuration parameter", name: name.to_ascii_lowercase() }
}

fn invalid_value(name: &str, value: &str) -> Error {
    Error::data(DataError::InvalidParameterValue, format!("invalid value for parameter \"{name}\": \"{value}\""))
}

/// Which statements are logged before they run, as PostgreSQL's `log_statement`: each
/// level logs those of the levels before it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogStatement {
    None = 0,
    /// CREATE, ALTER, DROP, COMMENT, GRANT, REVOKE and their kin.
    Ddl = 1,
    /// Also INSERT, UPDATE, DELETE, MERGE, TRUNCATE and COPY FROM.
    Mod = 2,
    All = 3,
}

impl LogStatement {
    fn parse(value: &str) -> Option<LogStatement> {
        Some(match value {
            "none" => LogStatement::None,
            "ddl" => LogStatement::Ddl,
            "mod" => LogStatement::Mod,
            "all" => LogStatement::All,
            _ => return None,
        })
    }

    fn from_u8(n: u8) -> LogStatement {
        [LogStatement::None, LogStatement::Ddl, LogStatement::Mod, LogStatement::All][n as usize & 3]
    }

    /// The lowest level that logs a statement of this command tag (`copy_from`: a COPY
    /// that writes into a table), as PostgreSQL classifies them.
    pub fn of(command: &str, copy_from: bool) -> LogStatement {
        let first = command.split(' ').next().unwrap_or("");
        match first {
            "CREATE" | "ALTER" | "DROP" | "COMMENT" | "GRANT" | "REVOKE" | "SECURITY" | "REINDEX" | "CLUSTER" => {
                LogStatement::Ddl
            }
            "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "TRUNCATE" => LogStatement::Mod,
            "COPY" if copy_from => LogStatement::Mod,
            _ => LogStatement::All,
        }
    }
}

/// Whether `log_min_error_statement` = `level` logs the statements of errors: every level
/// up to `error` does. `None`: not a level.
fn error_statements_logged(level: &str) -> Option<bool> {
    match level {
        "debug5" | "debug4" | "debug3" | "debug2" | "debug1" | "info" | "notice" | "warning" | "error" => Some(true),
        "log" | "fatal" | "panic" => Some(false),
        _ => None,
    }
}

/// A timeout setting of a settings map, in milliseconds (0: none).
fn timeout_ms(settings: &BTreeMap<String, String>, name: &str) -> u64 {
    settings.get(name).and_then(|ms| ms.parse().ok()).unwrap_or(0)
}

/// A duration as PostgreSQL settings write it: milliseconds, or a number with a unit
/// (`us`, `ms`, `s`, `min`, `h`, `d`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim().trim_matches('\'');
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let ms = match unit.trim() {
        "" | "ms" => number,
        "us" => number / 1000.0,
        "s" => number * 1000.0,
        "min" => number * 60_000.0,
        "h" => number * 3_600_000.0,
        "d" => number * 86_400_000.0,
        _ => return None,
    };
    (ms.is_finite() && (0.0..1e15).contains(&ms)).then(|| Duration::from_micros((ms * 1000.0) as u64))
}

/// The settings before any SET: those clients read on connect, with PostgreSQL 15's
/// defaults (Braid's own where its behaviour differs: UTC, repeatable read).
fn defaults() -> BTreeMap<String, String> {
    [
        ("server_version", SERVER_VERSION),
        ("server_version_num", SERVER_VERSION_NUM),
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO, MDY"),
        ("intervalstyle", "postgres"),
        ("timezone", "UTC"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("transaction_isolation", "repeatable read"),
        ("default_transaction_isolation", "repeatable read"),
        ("transaction_read_only", "off"),
        ("default_transaction_read_only", "off"),
        ("search_path", "\"$user\", public"),
        ("max_identifier_length", "63"),
        ("application_name", ""),
        ("extra_float_digits", "1"),
        ("statement_timeout", "0"),
        ("lock_timeout", "0"),
        ("idle_in_transaction_session_timeout", "0"),
        ("client_min_messages", "notice"),
        ("row_security", "on"),
        ("check_function_bodies", "on"),
        ("default_tablespace", ""),
        ("default_table_access_method", "heap"),
        ("synchronous_commit", "on"),
        ("xmloption", "content"),
        ("bytea_output", "hex"),
        ("lc_messages", "C"),
        ("lc_monetary", "C"),
        ("lc_numeric", "C"),
        ("lc_time", "C"),
        ("is_superuser", "on"),
        ("role", "none"),
        ("in_hot_standby", "off"),
        ("max_connections", "100"),
        ("work_mem", "4MB"),
        ("enable_seqscan", "on"),
        // Read by pg_dump, which sets them; they change nothing in Braid.
        ("synchronize_seqscans", "on"),
        ("quote_all_identifiers", "off"),
        ("lo_compat_privileges", "off"),
        ("log_statement", "none"),
        ("log_min_error_statement", "error"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_case_insensitive_and_custom_names_are_allowed() {
        let s = Session::default();
        assert_eq!(s.get("TimeZone").unwrap(), "UTC");
        s.set("TimeZone", "europe/berlin").unwrap();
        assert_eq!((s.get("timezone").unwrap().as_str(), s.zone() != Zone::Utc), ("Europe/Berlin", true));
        let err = s.set("TimeZone", "Mars/Base").unwrap_err();
        assert_eq!(err.sqlstate(), "22023");
        assert_eq!(err.to_string(), "invalid value for parameter \"TimeZone\": \"Mars/Base\"");
        s.set("TimeZone", "local").unwrap();
        assert_eq!((s.get("timezone").unwrap().as_str(), s.zone()), ("UTC", Zone::Utc));
        s.set("application_name", "psql").unwrap();
        assert_eq!(s.get("APPLICATION_NAME").unwrap(), "psql");
        assert_eq!(s.get("no_such").unwrap_err().sqlstate(), "42704");
        assert_eq!(s.set("no_such", "1").unwrap_err().sqlstate(), "42704");
        s.set("myapp.tenant", "7").unwrap();
        assert_eq!(s.get("myapp.tenant").unwrap(), "7");
        s.reset("myapp.tenant").unwrap();
        assert!(s.try_get("myapp.tenant").is_none());
    }

    /// Who the session is cannot be set as a setting (`set_config('braid.user', …)` would
    /// otherwise make anyone the superuser).
    #[test]
    fn the_session_s_identity_is_not_a_setting() {
        let s = Session::new("alice", "braid");
        for name in ["braid.user", "BRAID.ROLE", "braid.login", "braid.database", "is_superuser"] {
            assert!(s.set(name, "braid").is_err(), "{name}");
            assert!(s.reset(name).is_err(), "{name}");
        }
        assert_eq!(s.role(), "alice");
        s.cache_superuser(3, false);
        assert_eq!(s.cached_superuser(3), Some(false));
        assert_eq!(s.cached_superuser(4), None);
        s.set_role(Some("bob"));
        assert_eq!(s.cached_superuser(3), None, "a new role is checked again");
    }

    #[test]
    fn log_settings_are_checked_and_read_before_each_statement() {
        let s = Session::default();
        assert_eq!(s.log_statement(), LogStatement::None);
        assert!(s.log_error_statements());
        s.set("log_statement", "MOD").unwrap();
        assert_eq!(s.get("log_statement").unwrap(), "mod");
        assert_eq!(s.log_statement(), LogStatement::Mod);
        assert_eq!(s.set("log_statement", "some").unwrap_err().sqlstate(), "22023");
        s.set("log_min_error_statement", "panic").unwrap();
        assert!(!s.log_error_statements());
        assert_eq!(s.set("log_min_error_statement", "loud").unwrap_err().sqlstate(), "22023");
        s.reset("log_statement").unwrap();
        assert_eq!(s.log_statement(), LogStatement::None);
        let logged = |c: &str, from: bool| LogStatement::of(c, from);
        assert_eq!(logged("CREATE TABLE", false), LogStatement::Ddl);
        assert_eq!(logged("GRANT", false), LogStatement::Ddl);
        assert_eq!(logged("INSERT", false), LogStatement::Mod);
        assert_eq!(logged("COPY", true), LogStatement::Mod);
        assert_eq!(logged("COPY", false), LogStatement::All);
        assert_eq!(logged("SELECT", false), LogStatement::All);
    }

    #[test]
    fn timeouts_are_read_with_units() {
        let s = Session::default();
        s.set("statement_timeout", "2s").unwrap();
        assert_eq!(s.get("statement_timeout").unwrap(), "2000");
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(s.set("statement_timeout", "soon").unwrap_err().sqlstate(), "22023");
        s.reset("statement_timeout").unwrap();
        assert_eq!(s.statement_timeout(), None);
    }

    #[test]
    fn the_search_path_leaves_out_the_user_schema() {
        let s = Session::default();
        assert_eq!(s.search_path().schemas(), ["public"]);
        let key = s.search_path_key();
        s.set("search_path", "").unwrap();
        assert!(s.search_path().schemas().is_empty());
        assert_ne!(s.search_path_key(), key);
        assert!(version_string().starts_with("PostgreSQL 15.0 (Braid "));
    }
}
