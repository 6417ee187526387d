//! Authentication: a client logs in as a role (`CREATE ROLE … LOGIN`, `braid user add`),
//! as PostgreSQL's `pg_hba.conf` lines `host all all 127.0.0.1/32 trust` and `host all all
//! all scram-sha-256` would have it:
//!
//! - a role with a password logs in through SCRAM-SHA-256, checked against the verifier
//!   in `pg_authid.rolpassword` (StoredKey and ServerKey: a verifier is not enough to log
//!   in with, unlike the password or the salted password);
//! - a role without one is trusted on a loopback connection and refused (28000) from
//!   anywhere else (the server listens on 127.0.0.1 unless told otherwise);
//! - a name that is no role, or a role without LOGIN, is refused (28000), with
//!   PostgreSQL's messages.
//!
//! The handler decides per connection, at its Startup message, and makes the role the
//! session's user then: no statement runs before authentication ends, and one that fails
//! closes the connection.
//!
//! Before roles, `braid user add` kept a SCRAM SaltedPassword per user among the engine's
//! secrets; [`migrate_legacy_users`] turns each into the LOGIN role it stands for (its
//! verifier is derived from the salted password), so those users keep logging in.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures::Sink;
use parking_lot::Mutex;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{ScramAuth, ScramSecret};
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, ServerParameterProvider, StartupHandler,
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, PidSecretKeyGenerator};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::SecretKey;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::session::Session;

/// PBKDF2 rounds of a verifier (PostgreSQL's default).
pub const ITERATIONS: usize = braid::scram::ITERATIONS as usize;

/// The prefix of the secrets `braid user add` kept before roles (`user:NAME`).
const LEGACY_PREFIX: &str = "user:";

/// A name as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A text as a SQL string literal.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `braid user add NAME`: `CREATE ROLE name LOGIN PASSWORD '…'`, or, for a role that
/// exists, `ALTER ROLE name LOGIN PASSWORD '…'` (a new password).
pub fn add_user(db: &braid::Database, user: &str, password: &str) -> Result<(), String> {
    if user.is_empty() || password.is_empty() {
        return Err("a user needs a name and a non-empty password".into());
    }
    migrate_legacy_users(db)?;
    login_role(db, user, password)
}

/// Creates or alters `user` into a LOGIN role with `password` (a password, or a verifier
/// in PostgreSQL's text form), through SQL as any client would.
fn login_role(db: &braid::Database, user: &str, password: &str) -> Result<(), String> {
    let mut conn = db.connect();
    let exists: i64 = conn
        .query_row("SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = $1", [user], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    let verb = if exists > 0 { "ALTER" } else { "CREATE" };
    let sql = format!("{verb} ROLE {} WITH LOGIN PASSWORD {}", quote_ident(user), quote_literal(password));
    conn.execute(&sql, ()).map(|_| ()).map_err(|e| e.to_string())
}

/// Turns the users `braid user add` kept as secrets before roles into LOGIN roles with the
/// same password, and forgets the secrets. Idempotent: a user already made a role (an
/// interrupted migration) only loses its secret.
pub fn migrate_legacy_users(db: &braid::Database) -> Result<(), String> {
    let legacy = {
        let txn = db.engine().begin_read_only().map_err(|e| e.to_string())?;
        txn.secrets(LEGACY_PREFIX).map_err(|e| e.to_string())?
    };
    for (name, record) in &legacy {
        let user = &name[LEGACY_PREFIX.len()..];
        let salt_len = *record.first().ok_or("empty verifier record")? as usize;
        if record.len() < 1 + salt_len {
            return Err(format!("damaged verifier record for user {user}"));
        }
        let (salt, salted) = (&record[1..1 + salt_len], &record[1 + salt_len..]);
        let verifier = braid::scram::Verifier::from_salted_password(salted, salt, braid::scram::ITERATIONS);
        let known = {
            let txn = db.engine().begin_read_only().map_err(|e| e.to_string())?;
            txn.role(user).map_err(|e| e.to_string())?.is_some()
        };
        if !known {
            login_role(db, user, &verifier.text())?;
        }
        let mut txn = db.engine().begin().map_err(|e| e.to_string())?;
        txn.delete_secret(name).map_err(|e| e.to_string())?;
        txn.commit().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// How a role may log in.
#[derive(Debug, Clone, PartialEq)]
enum Login {
    /// With this SCRAM verifier.
    Scram(braid::scram::Verifier),
    /// Without a password (trusted on loopback only).
    NoPassword,
    /// Not at all: the reason, PostgreSQL's FATAL message.
    Refused(String),
}

/// How `user` may log in, from its role.
fn login(db: &braid::Database, user: &str) -> Result<Login, String> {
    let txn = db.engine().begin_read_only().map_err(|e| e.to_string())?;
    let Some(role) = txn.role(user).map_err(|e| e.to_string())? else {
        return Ok(Login::Refused(format!("role \"{user}\" does not exist")));
    };
    if !role.can_login {
        return Ok(Login::Refused(format!("role \"{user}\" is not permitted to log in")));
    }
    Ok(match role.password.as_deref().map(braid::scram::Verifier::parse) {
        None => Login::NoPassword,
        Some(Some(verifier)) => Login::Scram(verifier),
        // A password stored in a form SCRAM cannot check (an MD5 hash): no password can
        // match it, as in PostgreSQL under scram-sha-256.
        Some(None) => Login::Refused(format!("password authentication failed for user \"{user}\"")),
    })
}

/// The verifiers of the roles, as pgwire's SCRAM asks for them.
struct Verifiers {
    db: braid::Database,
}

impl Debug for Verifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifiers")
    }
}

#[async_trait]
impl AuthSource for Verifiers {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        Err(PgWireError::InvalidPassword(login.user().unwrap_or_default().to_string()))
    }

    async fn get_scram_secret(&self, info: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let user = info.user().unwrap_or_default().to_string();
        match login(&self.db, &user) {
            Ok(Login::Scram(v)) => Ok((
                ScramSecret::Verifier {
                    salt: v.salt,
                    iterations: v.iterations as usize,
                    stored_key: v.stored_key,
                    server_key: v.server_key,
                },
                None,
            )),
            _ => Err(PgWireError::InvalidPassword(user)),
        }
    }
}

/// The process id and secret key a connection reports, for cancel requests.
#[derive(Debug, Clone, Copy)]
pub struct Keys(pub i32, pub i32);

impl PidSecretKeyGenerator for Keys {
    fn generate(&self, _client: &dyn ClientInfo) -> (i32, SecretKey) {
        (self.0, SecretKey::I32(self.1))
    }
}

/// Trust: no password asked.
struct Trust {
    keys: Keys,
    parameters: Parameters,
}

/// pgwire's trust handler (`NoopStartupHandler`) reports pgwire's own parameters
/// (`server_version` 16.6-pgwire-…, which pg_dumpall refuses); this one reports Braid's.
#[async_trait]
impl StartupHandler for Trust {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let PgWireFrontendMessage::Startup(ref startup) = message {
            protocol_negotiation(client, startup).await?;
            save_startup_parameters_to_metadata(client, startup);
            let (pid, secret_key) = self.keys.generate(client);
            client.set_pid_and_secret_key(pid, secret_key);
            finish_authentication(client, &self.parameters).await?;
        }
        Ok(())
    }
}

/// The ParameterStatus messages every client gets after authenticating: PostgreSQL's
/// version Braid speaks (`braid::session::SERVER_VERSION`), UTF8, ISO dates in UTC, and
/// whether the role that logged in is a superuser (psql's `#` prompt).
#[derive(Clone, Default)]
struct Parameters {
    superuser: Arc<AtomicBool>,
}

impl ServerParameterProvider for Parameters {
    fn server_parameters<C: ClientInfo>(&self, client: &C) -> Option<std::collections::HashMap<String, String>> {
        let mut p = DefaultServerParameterProvider::default();
        p.server_version = braid::session::SERVER_VERSION.to_string();
        p.time_zone = "UTC".into();
        p.date_style = "ISO, MDY".into();
        p.is_superuser = self.superuser.load(Ordering::Relaxed);
        p.server_parameters(client)
    }
}

/// How a connection authenticates.
#[derive(Debug, Clone)]
enum Method {
    Scram,
    Trust,
    Refuse(String),
}

/// One connection's startup: SCRAM, trust or refusal, chosen by the role it names.
pub struct Startup {
    db: braid::Database,
    /// The session that the authenticated role becomes the user of.
    session: Arc<Mutex<Session>>,
    trust: Trust,
    scram: SASLAuthStartupHandler<Parameters>,
    parameters: Parameters,
    /// Decided at the Startup message.
    method: Mutex<Option<Method>>,
}

impl Startup {
    pub fn new(db: braid::Database, session: Arc<Mutex<Session>>, keys: Keys) -> Self {
        let mut scram = ScramAuth::new(Arc::new(Verifiers { db: db.clone() }));
        scram.set_iterations(ITERATIONS);
        let parameters = Parameters::default();
        let scram = SASLAuthStartupHandler::new(Arc::new(parameters.clone()))
            .with_scram(scram)
            .with_pid_secret_key_generator(Arc::new(keys));
        let trust = Trust { keys, parameters: parameters.clone() };
        Startup { db, session, trust, scram, parameters, method: Mutex::new(None) }
    }

    /// How a connection authenticates, from the role it names.
    fn decide(&self, parameters: &BTreeMap<String, String>) -> Method {
        let user = parameters.get("user").map(String::as_str).unwrap_or_default();
        let superuser = self.db.engine().begin_read_only().ok().and_then(|txn| txn.role(user).ok().flatten());
        self.parameters.superuser.store(superuser.is_some_and(|r| r.superuser), Ordering::Relaxed);
        match login(&self.db, user) {
            Ok(Login::Scram(_)) => Method::Scram,
            Ok(Login::NoPassword) => Method::Trust,
            Ok(Login::Refused(why)) => Method::Refuse(why),
            Err(e) => Method::Refuse(e),
        }
    }
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(pgwire::error::ErrorInfo::new("FATAL".into(), code.into(), message)))
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let decided = self.method.lock().clone();
        let method = match (decided, &message) {
            (Some(m), _) => m,
            (None, PgWireFrontendMessage::Startup(startup)) => {
                let m = self.decide(&startup.parameters);
                // No statement runs before authentication ends, and a failure closes the
                // connection: the session may take its user now.
                let m = match startup.parameters.get("user").map(|user| self.session.lock().set_user(user)) {
                    Some(Err(e)) => Method::Refuse(e.to_string()),
                    _ => m,
                };
                *self.method.lock() = Some(m.clone());
                m
            }
            (None, _) => Method::Refuse("authentication began without a startup message".into()),
        };
        match method {
            Method::Scram => self.scram.on_startup(client, message).await,
            Method::Trust if client.socket_addr().ip().is_loopback() => self.trust.on_startup(client, message).await,
            Method::Trust => {
                Err(fatal("28000", "no password is set for this user, and only local connections are trusted".into()))
            }
            Method::Refuse(why) => Err(fatal("28000", why)),
        }
    }
}
