//! SCRAM-SHA-256 verifiers, as PostgreSQL stores them in `pg_authid.rolpassword`:
//!
//! ```text
//! SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>      (base64 each)
//! ```
//!
//! `SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations)`, `StoredKey =
//! SHA-256(HMAC(SaltedPassword, "Client Key"))`, `ServerKey = HMAC(SaltedPassword, "Server
//! Key")` (RFC 5802). The verifier lets a server check a client's proof and prove itself in
//! turn, but not log in as the client: unlike the salted password, it is not enough to
//! authenticate with. A password is taken as its UTF-8 bytes (PostgreSQL applies SASLprep
//! first, which leaves ASCII passwords unchanged).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::{digest, hmac, pbkdf2};

use crate::error::{Error, Result};

/// PBKDF2 rounds of a new verifier (PostgreSQL's `scram_iterations` default).
pub const ITERATIONS: u32 = 4096;

/// The parts of a verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

impl Verifier {
    /// A verifier of `password` over a fresh random 16-byte salt.
    pub fn new(password: &str) -> Result<Verifier> {
        let mut salt = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .map_err(|_| Error::invalid("no random bytes for a password salt"))?;
        Ok(Verifier::with_salt(password, &salt, ITERATIONS))
    }

    /// The verifier of `password` over `salt`.
    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        let mut salted = [0u8; 32];
        let rounds = std::num::NonZeroU32::new(iterations.max(1)).expect("at least one round");
        pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, password.as_bytes(), &mut salted);
        Verifier::from_salted_password(&salted, salt, iterations)
    }

    /// The verifier of a SCRAM SaltedPassword (what Braid stored for a user before roles).
    pub fn from_salted_password(salted: &[u8], salt: &[u8], iterations: u32) -> Verifier {
        let key = hmac::Key::new(hmac::HMAC_SHA256, salted);
        let client_key = hmac::sign(&key, b"Client Key");
        let stored_key = digest::digest(&digest::SHA256, client_key.as_ref()).as_ref().to_vec();
        let server_key = hmac::sign(&key, b"Server Key").as_ref().to_vec();
        Verifier { iterations, salt: salt.to_vec(), stored_key, server_key }
    }

    /// Reads PostgreSQL's text form; `None` if `text` is not one.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        let (head, keys) = rest.split_once('$')?;
        let (iterations, salt) = head.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let verifier = Verifier {
            iterations: iterations.parse().ok().filter(|&i| i > 0)?,
            salt: STANDARD.decode(salt).ok()?,
            stored_key: STANDARD.decode(stored).ok()?,
            server_key: STANDARD.decode(server).ok()?,
        };
        (verifier.stored_key.len() == 32 && verifier.server_key.len() == 32).then_some(verifier)
    }

    /// PostgreSQL's text form.
    pub fn text(&self) -> String {
        format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }

    /// Whether `password` is the one this verifies.
    pub fn verifies(&self, password: &str) -> bool {
        let other = Verifier::with_salt(password, &self.salt, self.iterations);
        // Compared in time that does not depend on where the keys differ.
        other.stored_key.len() == self.stored_key.len()
            && other.stored_key.iter().zip(&self.stored_key).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
    }
}

/// What `PASSWORD 'text'` stores: a verifier given as such is kept (as PostgreSQL keeps
/// one that pg_dumpall wrote), any other text is a password and gets a new verifier.
pub fn rolpassword(text: &str) -> Result<String> {
    match Verifier::parse(text) {
        Some(v) => Ok(v.text()),
        None => Ok(Verifier::new(text)?.text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verifier_of_rfc_7677s_example() {
        // RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==,
        // 4096 rounds; the server signature it shows is made with this ServerKey.
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = Verifier::with_salt("pencil", &salt, 4096);
        let text = v.text();
        assert!(text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"), "{text}");
        assert_eq!(Verifier::parse(&text), Some(v.clone()));
        assert!(v.verifies("pencil") && !v.verifies("pen"));
        // ServerSignature = HMAC(ServerKey, AuthMessage), as the RFC's exchange shows it.
        let auth = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                    s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let signature = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &v.server_key), auth.as_bytes());
        assert_eq!(STANDARD.encode(signature.as_ref()), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    #[test]
    fn a_verifier_given_as_the_password_is_kept_and_others_are_hashed() {
        let kept = Verifier::new("secret").unwrap().text();
        assert_eq!(rolpassword(&kept).unwrap(), kept);
        let made = rolpassword("secret").unwrap();
        assert_ne!(made, "secret");
        assert!(Verifier::parse(&made).unwrap().verifies("secret"));
        assert_eq!(Verifier::parse("SCRAM-SHA-256$4096:abc"), None);
    }
}
