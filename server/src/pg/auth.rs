//! Authentication: SCRAM-SHA-256 for the users made with `braid user add`, trust for any
//! other name (the default on loopback, where the server listens unless told otherwise).
//!
//! What the catalog keeps for a user is the SCRAM *SaltedPassword* (PBKDF2-HMAC-SHA-256 of
//! the password over a random 16-byte salt, [`ITERATIONS`] rounds), never the password.
//! pgwire's SCRAM exchange derives the client and server keys from it. Unlike PostgreSQL's
//! StoredKey/ServerKey pair, a SaltedPassword is enough to log in, so the data directory
//! must be guarded as the passwords would be.
//!
//! The handler decides per connection, at its Startup message: a user with a verifier (or
//! whose verifier cannot be read) goes through pgwire's SASL handler, which refuses what it
//! cannot verify; any other name is trusted on a loopback connection and refused (28000)
//! from anywhere else.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use parking_lot::Mutex;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler, finish_authentication,
    protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, PidSecretKeyGenerator};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::SecretKey;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

/// PBKDF2 rounds of a verifier (PostgreSQL's default).
pub const ITERATIONS: usize = 4096;

/// The catalog name of a user's verifier.
fn secret_name(user: &str) -> String {
    format!("user:{user}")
}

/// `braid user add NAME`: stores the verifier of `password` for `user` (replacing one).
pub fn add_user(db: &braid::Database, user: &str, password: &str) -> Result<(), String> {
    if user.is_empty() || password.is_empty() {
        return Err("a user needs a name and a non-empty password".into());
    }
    let mut salt = [0u8; 16];
    getrandom(&mut salt)?;
    let salted = gen_salted_password(password, &salt, ITERATIONS);
    let mut record = vec![salt.len() as u8];
    record.extend_from_slice(&salt);
    record.extend_from_slice(&salted);
    let mut txn = db.engine().begin().map_err(|e| e.to_string())?;
    txn.set_secret(&secret_name(user), record).map_err(|e| e.to_string())?;
    txn.commit().map(|_| ()).map_err(|e| e.to_string())
}

/// A user's salt and SCRAM SaltedPassword.
pub struct Verifier {
    pub salt: Vec<u8>,
    pub salted_password: Vec<u8>,
}

/// The verifier of `user`, if the user was added.
pub fn verifier(db: &braid::Database, user: &str) -> Result<Option<Verifier>, String> {
    let txn = db.engine().begin_read_only().map_err(|e| e.to_string())?;
    let Some(record) = txn.secret(&secret_name(user)).map_err(|e| e.to_string())? else { return Ok(None) };
    let salt_len = *record.first().ok_or("empty verifier record")? as usize;
    if record.len() < 1 + salt_len {
        return Err(format!("damaged verifier record for user {user}"));
    }
    Ok(Some(Verifier { salt: record[1..1 + salt_len].to_vec(), salted_password: record[1 + salt_len..].to_vec() }))
}

/// Random bytes from the kernel.
fn getrandom(buf: &mut [u8]) -> Result<(), String> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)).map_err(|e| format!("/dev/urandom: {e}"))
}

/// The verifiers in the catalog, as pgwire's SCRAM asks for them.
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
        let user = login.user().unwrap_or_default().to_string();
        match verifier(&self.db, &user) {
            Ok(Some(v)) => Ok(Password::new(Some(v.salt), v.salted_password)),
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
            finish_authentication(client, &server_parameters()).await?;
        }
        Ok(())
    }
}

/// The ParameterStatus messages every client gets after authenticating: PostgreSQL's
/// version Braid speaks (`braid::session::SERVER_VERSION`), UTF8, ISO dates in UTC.
fn server_parameters() -> DefaultServerParameterProvider {
    let mut p = DefaultServerParameterProvider::default();
    p.server_version = braid::session::SERVER_VERSION.to_string();
    p.time_zone = "UTC".into();
    p.date_style = "ISO, MDY".into();
    p
}

/// How a connection authenticates.
#[derive(Debug, Clone, Copy)]
enum Method {
    Scram,
    Trust,
}

/// One connection's startup: SCRAM or trust, chosen by the user it names.
pub struct Startup {
    db: braid::Database,
    trust: Trust,
    scram: SASLAuthStartupHandler<DefaultServerParameterProvider>,
    /// Decided at the Startup message.
    method: Mutex<Option<Method>>,
}

impl Startup {
    pub fn new(db: braid::Database, keys: Keys) -> Self {
        let mut scram = ScramAuth::new(Arc::new(Verifiers { db: db.clone() }));
        scram.set_iterations(ITERATIONS);
        let scram = SASLAuthStartupHandler::new(Arc::new(server_parameters()))
            .with_scram(scram)
            .with_pid_secret_key_generator(Arc::new(keys));
        Startup { db, trust: Trust { keys }, scram, method: Mutex::new(None) }
    }

    /// How a connection authenticates: SCRAM unless the user surely has no verifier.
    fn decide(&self, parameters: &BTreeMap<String, String>) -> Method {
        let user = parameters.get("user").map(String::as_str).unwrap_or_default();
        match verifier(&self.db, user) {
            Ok(None) => Method::Trust,
            Ok(Some(_)) | Err(_) => Method::Scram,
        }
    }
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let decided = *self.method.lock();
        let method = match (decided, &message) {
            (Some(m), _) => m,
            (None, PgWireFrontendMessage::Startup(startup)) => {
                let m = self.decide(&startup.parameters);
                *self.method.lock() = Some(m);
                m
            }
            (None, _) => Method::Scram,
        };
        match method {
            Method::Scram => self.scram.on_startup(client, message).await,
            Method::Trust if client.socket_addr().ip().is_loopback() => self.trust.on_startup(client, message).await,
            Method::Trust => Err(PgWireError::UserError(Box::new(pgwire::error::ErrorInfo::new(
                "FATAL".into(),
                "28000".into(),
                "no password is set for this user, and only local connections are trusted".into(),
            )))),
        }
    }
}
