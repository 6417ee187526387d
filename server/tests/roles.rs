//! Roles over the wire: a role made with CREATE ROLE logs in with SCRAM-SHA-256 through
//! tokio-postgres, its statements are checked against its privileges (42501), a GRANT
//! lets it in and a REVOKE shuts it out again; logins PostgreSQL refuses are refused; the
//! users `braid user add` kept before roles still log in.

mod common;

use common::Server;
use tokio_postgres::error::SqlState;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn url(server: &Server, user: &str, password: &str) -> String {
    format!("host={} port={} user={user} password='{password}' dbname=braid", server.addr.ip(), server.addr.port())
}

async fn connect_as(
    server: &Server,
    user: &str,
    password: &str,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(&url(server, user, password), tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

#[test]
fn a_role_logs_in_with_scram_and_reads_only_what_it_was_granted() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let admin = server.connect().await;
        admin
            .batch_execute(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'); \
                 CREATE ROLE alice LOGIN PASSWORD 'correct horse'",
            )
            .await
            .unwrap();

        let wrong = connect_as(&server, "alice", "wrong").await.expect_err("a wrong password is refused");
        assert_eq!(wrong.code(), Some(&SqlState::INVALID_PASSWORD), "{wrong:?}");

        let alice = connect_as(&server, "alice", "correct horse").await.expect("alice logs in with SCRAM");
        let who = alice.query_one("SELECT current_user, session_user", &[]).await.unwrap();
        assert_eq!((who.get::<_, String>(0), who.get::<_, String>(1)), ("alice".into(), "alice".into()));

        let denied = alice.query("SELECT v FROM t", &[]).await.unwrap_err();
        assert_eq!(denied.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{denied:?}");
        assert_eq!(denied.as_db_error().unwrap().message(), "permission denied for table t");

        admin.batch_execute("GRANT SELECT ON t TO alice").await.unwrap();
        // The same statement, prepared once, is checked again at each run.
        let select = alice.prepare("SELECT v FROM t WHERE id = $1").await.unwrap();
        let v: String = alice.query_one(&select, &[&1i32]).await.unwrap().get(0);
        assert_eq!(v, "one");
        let insert = alice.execute("INSERT INTO t VALUES (2, 'two')", &[]).await.unwrap_err();
        assert_eq!(insert.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{insert:?}");

        admin.batch_execute("REVOKE SELECT ON t FROM alice").await.unwrap();
        let again = alice.query(&select, &[&1i32]).await.unwrap_err();
        assert_eq!(again.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{again:?}");

        // What she may not do to the table or to roles.
        let drop = alice.batch_execute("DROP TABLE t").await.unwrap_err();
        assert_eq!(drop.as_db_error().unwrap().message(), "must be owner of table t");
        let create = alice.batch_execute("CREATE ROLE mallory SUPERUSER").await.unwrap_err();
        assert_eq!(create.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{create:?}");

        // Her own password she may change, and log in with the new one.
        alice.batch_execute("ALTER ROLE alice PASSWORD 'battery staple'").await.unwrap();
        connect_as(&server, "alice", "battery staple").await.expect("the new password works");
    });
}

#[test]
fn logins_postgresql_refuses_are_refused() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let admin = server.connect().await;
        admin.batch_execute("CREATE ROLE nologin; CREATE USER nopassword").await.unwrap();

        let unknown = connect_as(&server, "nobody", "").await.expect_err("no such role");
        assert_eq!(unknown.code(), Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION), "{unknown:?}");
        assert_eq!(unknown.as_db_error().unwrap().message(), "role \"nobody\" does not exist");

        let nologin = connect_as(&server, "nologin", "").await.expect_err("NOLOGIN");
        assert_eq!(nologin.as_db_error().unwrap().message(), "role \"nologin\" is not permitted to log in");

        // A LOGIN role without a password is trusted on loopback, as `braid` is.
        let trusted = connect_as(&server, "nopassword", "").await.expect("trusted on loopback");
        let me: String = trusted.query_one("SELECT current_user", &[]).await.unwrap().get(0);
        assert_eq!(me, "nopassword");
    });
}

/// Before roles, `braid user add` stored a SCRAM SaltedPassword per user among the engine's
/// secrets (`user:NAME`: salt length, salt, salted password). A database holding one must
/// still let that user in: the server turns it into a LOGIN role with the same password.
#[test]
fn users_added_before_roles_still_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let db = braid::Database::open(&data).unwrap();
        let salt = *b"0123456789abcdef";
        let salted = pgwire::api::auth::sasl::scram::gen_salted_password("old secret", &salt, 4096);
        let mut record = vec![salt.len() as u8];
        record.extend_from_slice(&salt);
        record.extend_from_slice(&salted);
        let mut txn = db.engine().begin().unwrap();
        txn.set_secret("user:olduser", record).unwrap();
        txn.commit().unwrap();
        db.flush().unwrap();
    }
    let server = Server::start_on(&data, &[]);
    runtime().block_on(async {
        let old = connect_as(&server, "olduser", "old secret").await.expect("the old user logs in");
        let can_login: bool =
            old.query_one("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'olduser'", &[]).await.unwrap().get(0);
        assert!(can_login);
        let wrong = connect_as(&server, "olduser", "new secret").await.expect_err("refused");
        assert_eq!(wrong.code(), Some(&SqlState::INVALID_PASSWORD), "{wrong:?}");
    });
}
