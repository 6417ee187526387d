//! pg_dump and pg_restore, PostgreSQL 15's (Debian's `postgresql-15`, which `.ci/run`
//! installs), against `braid serve`: a schema with a sequence OWNED BY a column, primary,
//! unique, foreign-key and check constraints, indexes, a view, comments and data (dates,
//! tabs, newlines, backslashes, quotes, NULLs) is dumped in the plain and the custom format,
//! restored into fresh servers with psql and pg_restore, and dumped again: the dumps are
//! identical. A PostgreSQL 15 dump of the same schema loads into Braid with every
//! constraint PostgreSQL lists, and one with identity columns dumps back as PostgreSQL
//! dumped it.

mod common;

use std::path::Path;
use std::process::Command;

use common::Server;
use common::postgres::Postgres;

const SCHEMA: &str = "\
CREATE SEQUENCE order_numbers START WITH 1000 INCREMENT BY 10;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, name TEXT, born DATE);
CREATE TABLE orders (id BIGINT PRIMARY KEY, number INTEGER NOT NULL DEFAULT nextval('order_numbers'),
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    total DOUBLE PRECISION CHECK (total >= 0), note TEXT);
ALTER SEQUENCE order_numbers OWNED BY orders.number;
CREATE INDEX orders_customer ON orders (customer_id);
CREATE UNIQUE INDEX orders_number ON orders (number);
CREATE UNIQUE INDEX customers_lower_email ON customers (lower(email)) WHERE born IS NOT NULL;
CREATE INDEX orders_big ON orders (customer_id) WHERE total > 100;
CREATE INDEX orders_double ON orders ((total * 2));
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
COMMENT ON TABLE customers IS 'who buys';
COMMENT ON COLUMN orders.total IS 'in euros';
INSERT INTO customers VALUES (1, 'a@x', 'Ann', '1990-05-01'), (2, 'b@x', 'Bob''s', NULL);
INSERT INTO orders (id, customer_id, total, note) VALUES (1, 1, 50, E'tab\\tand\\nnewline'), (2, 1, 150.5, NULL),
    (3, 2, 0, 'back\\slash');
CREATE SCHEMA shop;
CREATE TABLE shop.items (id SERIAL PRIMARY KEY, sku TEXT NOT NULL UNIQUE, customer_id INTEGER REFERENCES customers (id));
CREATE INDEX items_sku_lower ON shop.items (lower(sku));
CREATE VIEW shop.cheap AS SELECT id, sku FROM shop.items WHERE id < 10;
COMMENT ON SCHEMA shop IS 'the catalogue';
INSERT INTO shop.items (sku, customer_id) VALUES ('X1', 1), ('X2', NULL);
";

fn bin(name: &str) -> Command {
    let versioned = Path::new("/usr/lib/postgresql/15/bin").join(name);
    Command::new(if versioned.exists() { versioned.into_os_string() } else { name.into() })
}

fn url(port: u16) -> String {
    format!("host=127.0.0.1 port={port} user=braid dbname=braid")
}

/// Runs a PostgreSQL client program; returns its standard output, failing the test with
/// its error output if it fails.
fn run(mut command: Command) -> Vec<u8> {
    let out = command.output().expect("PostgreSQL 15's client programs are needed: apt-get install postgresql-15");
    assert!(out.status.success(), "{command:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn psql(port: u16, args: &[&str]) -> String {
    let mut c = bin("psql");
    c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url(port)]).args(args);
    String::from_utf8(run(c)).unwrap()
}

/// A plain dump, without the random `\restrict` key pg_dump 15.14 and later put around it.
fn plain_dump(port: u16) -> String {
    let mut c = bin("pg_dump");
    c.arg(url(port));
    unrestricted(run(c))
}

/// A script without the `\restrict` / `\unrestrict` lines, whose keys are random.
fn unrestricted(script: Vec<u8>) -> String {
    String::from_utf8(script)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_dump_restored_into_braid_dumps_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let original = Server::start(&[]);
    psql(original.addr.port(), &["-c", SCHEMA]);
    let dump = plain_dump(original.addr.port());
    for expected in [
        "CREATE SEQUENCE public.order_numbers",
        "ALTER SEQUENCE public.order_numbers OWNED BY public.orders.number;",
        "number integer DEFAULT nextval('order_numbers') NOT NULL,",
        "CONSTRAINT orders_total_check CHECK (total >= 0)",
        "ADD CONSTRAINT customers_email_key UNIQUE (email);",
        "ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE CASCADE;",
        "CREATE SCHEMA shop;",
        "COMMENT ON SCHEMA shop IS 'the catalogue';",
        "id integer DEFAULT nextval('shop.items_id_seq'::regclass) NOT NULL,",
        "ADD CONSTRAINT items_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);",
        "CREATE INDEX items_sku_lower ON shop.items USING btree (lower(sku));",
        "COPY shop.items (id, sku, customer_id) FROM stdin;\n1\tX1\t1\n2\tX2\t\\N",
        "SELECT pg_catalog.setval('shop.items_id_seq', 2, true);",
        "CREATE UNIQUE INDEX orders_number ON public.orders USING btree (number);",
        "CREATE UNIQUE INDEX customers_lower_email ON public.customers USING btree (lower(email)) WHERE (born IS NOT NULL);",
        "CREATE INDEX orders_big ON public.orders USING btree (customer_id) WHERE (total > 100);",
        "CREATE INDEX orders_double ON public.orders USING btree (((total * 2)));",
        "COMMENT ON COLUMN public.orders.total IS 'in euros';",
        "1\ta@x\tAnn\t1990-05-01\n2\tb@x\tBob's\t\\N",
        "1\t1000\t1\t50\ttab\\tand\\nnewline",
        "3\t1020\t2\t0\tback\\\\slash",
        "SELECT pg_catalog.setval('public.order_numbers', 1020, true);",
    ] {
        assert!(dump.contains(expected), "the dump lacks {expected:?}:\n{dump}");
    }
    // The view comes after the table it reads.
    assert!(dump.find("CREATE VIEW public.big_orders").unwrap() > dump.find("CREATE TABLE public.orders").unwrap());

    // Plain format through psql.
    let plain = dir.path().join("dump.sql");
    std::fs::write(&plain, &dump).unwrap();
    let restored = Server::start(&[]);
    psql(restored.addr.port(), &["-f", plain.to_str().unwrap()]);
    assert_eq!(plain_dump(restored.addr.port()), dump);

    // Custom format through pg_restore.
    let custom = dir.path().join("dump.custom");
    let mut c = bin("pg_dump");
    c.args(["-Fc", "-f", custom.to_str().unwrap(), &url(original.addr.port())]);
    run(c);
    let restored = Server::start(&[]);
    let mut c = bin("pg_restore");
    c.args(["--exit-on-error", "-d", &url(restored.addr.port()), custom.to_str().unwrap()]);
    run(c);
    assert_eq!(plain_dump(restored.addr.port()), dump);
    // The restored sequence goes on where the original stood.
    let next = psql(restored.addr.port(), &["-tAc", "SELECT nextval('order_numbers')"]);
    assert_eq!(next.trim(), "1030");
}

#[test]
fn a_postgresql_dump_loads_with_its_constraints() {
    let postgres = Postgres::start();
    psql(postgres.port, &["-c", SCHEMA]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postgres.sql");
    std::fs::write(&file, plain_dump(postgres.port)).unwrap();
    let braid = Server::start(&[]);
    psql(braid.addr.port(), &["-f", file.to_str().unwrap()]);
    let constraints = "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint \
                       WHERE connamespace = 'public'::regnamespace ORDER BY conname";
    let listed = |port| psql(port, &["-tAc", constraints]);
    let (theirs, ours) = (listed(postgres.port), listed(braid.addr.port()));
    let names =
        |text: &str| text.lines().map(|l| l.split('|').take(2).collect::<Vec<_>>().join("|")).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs), "constraints after loading PostgreSQL's dump:\n{ours}");
    let indexes = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1";
    assert_eq!(psql(braid.addr.port(), &["-tAc", indexes]), psql(postgres.port, &["-tAc", indexes]));
    // PostgreSQL's deparsed partial expression index (`lower((email)::text)`) holds.
    let refused = |sql: &str| {
        let mut c = bin("psql");
        c.args(["-X", "-q", "-d", &url(braid.addr.port()), "-c", sql]);
        let out = c.output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let error = refused("INSERT INTO customers VALUES (9, 'A@X', 'Al', '2001-01-01')");
    assert!(error.contains("customers_lower_email"), "{error}");
    let rows = "SELECT count(*), sum(total), max(number) FROM orders";
    assert_eq!(psql(braid.addr.port(), &["-tAc", rows]), psql(postgres.port, &["-tAc", rows]));
    // The key from schema shop to public holds: customer 1 has an item.
    let error = refused("DELETE FROM customers WHERE id = 1");
    assert!(error.contains("items_customer_id_fkey"), "{error}");
    let items = "SELECT id, sku, customer_id FROM shop.items ORDER BY id";
    assert_eq!(psql(braid.addr.port(), &["-tAc", items]), psql(postgres.port, &["-tAc", items]));
    // Deleting a customer cascades to its orders, as the foreign key says.
    psql(braid.addr.port(), &["-c", "DELETE FROM shop.items; DELETE FROM customers WHERE id = 1"]);
    assert_eq!(psql(braid.addr.port(), &["-tAc", "SELECT count(*) FROM orders"]).trim(), "1");
}

/// Identity columns as PostgreSQL dumps them (`ALTER TABLE … ADD GENERATED … AS IDENTITY
/// (SEQUENCE NAME …)`, then COPY with the ids, then `setval`): loaded into Braid they go on
/// from where PostgreSQL stood, and Braid's dump of them is PostgreSQL's.
#[test]
fn identity_columns_from_a_postgresql_dump_dump_the_same() {
    let postgres = Postgres::start();
    let schema = "CREATE TABLE items (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT);
        CREATE TABLE tags (k TEXT PRIMARY KEY, n INTEGER GENERATED ALWAYS AS IDENTITY (START WITH 5 INCREMENT BY 5));
        INSERT INTO items (name) VALUES ('a'), ('b');
        INSERT INTO tags (k) VALUES ('x'), ('y');";
    psql(postgres.port, &["-c", schema]);
    let theirs = plain_dump(postgres.port);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postgres.sql");
    std::fs::write(&file, &theirs).unwrap();
    let braid = Server::start(&[]);
    psql(braid.addr.port(), &["-f", file.to_str().unwrap()]);
    let without_versions =
        |dump: &str| dump.lines().filter(|l| !l.starts_with("-- Dumped from")).collect::<Vec<_>>().join("\n");
    assert_eq!(without_versions(&plain_dump(braid.addr.port())), without_versions(&theirs));
    let next = "INSERT INTO items (name) VALUES ('c') RETURNING id";
    assert_eq!(psql(braid.addr.port(), &["-tAc", next]).lines().next(), Some("3"));
    let next = "INSERT INTO tags (k) VALUES ('z') RETURNING n";
    assert_eq!(psql(braid.addr.port(), &["-tAc", next]).lines().next(), Some("15"));
    // GENERATED ALWAYS refuses a value given by INSERT (COPY's stand, as in PostgreSQL).
    let out = Command::new("psql")
        .args(["-X", "-d", &url(braid.addr.port()), "-c", "INSERT INTO tags VALUES ('w', 1)"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("GENERATED ALWAYS"), "{out:?}");
}

/// Owners and grants travel in a dump as `ALTER TABLE … OWNER TO` and GRANT statements
/// (roles are the cluster's, so both sides make them first): loaded into Braid, a
/// PostgreSQL dump with them dumps the same, which needs `relacl`, `relowner` and
/// `acldefault` to read as PostgreSQL's (a superuser's GRANT on another's table is made in
/// the owner's name).
#[test]
fn owners_and_grants_from_a_postgresql_dump_dump_the_same() {
    let postgres = Postgres::start();
    let roles = "CREATE ROLE dump_reader LOGIN; CREATE ROLE dump_owner;";
    let schema = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
        CREATE TABLE audit (at TIMESTAMP, what TEXT);
        CREATE SEQUENCE tickets;
        GRANT SELECT, INSERT ON notes TO dump_reader;
        GRANT UPDATE ON notes TO dump_reader WITH GRANT OPTION;
        GRANT USAGE ON SEQUENCE tickets TO dump_reader;
        ALTER TABLE audit OWNER TO dump_owner;
        GRANT SELECT ON audit TO PUBLIC;
        REVOKE TRUNCATE ON notes FROM braid;";
    psql(postgres.port, &["-c", roles]);
    psql(postgres.port, &["-c", schema]);
    let theirs = plain_dump(postgres.port);
    assert!(theirs.contains("GRANT SELECT,INSERT ON TABLE public.notes TO dump_reader;"), "{theirs}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postgres.sql");
    std::fs::write(&file, &theirs).unwrap();
    let braid = Server::start(&[]);
    psql(braid.addr.port(), &["-c", roles]);
    psql(braid.addr.port(), &["-v", "ON_ERROR_STOP=1", "-f", file.to_str().unwrap()]);
    let without_versions =
        |dump: &str| dump.lines().filter(|l| !l.starts_with("-- Dumped from")).collect::<Vec<_>>().join("\n");
    assert_eq!(without_versions(&plain_dump(braid.addr.port())), without_versions(&theirs));
}

/// A pg_dumpall script, without the random `\restrict` keys.
fn dumpall(port: u16) -> String {
    let mut c = bin("pg_dumpall");
    c.args(["-d", &url(port)]);
    unrestricted(run(c))
}

/// pg_dumpall: the roles (with their grants) and the one database, once; restored with
/// psql into a fresh server, it dumps the same again.
#[test]
fn a_dumpall_restored_into_braid_dumps_the_same() {
    let original = Server::start(&[]);
    psql(original.addr.port(), &["-c", SCHEMA]);
    let roles = "CREATE ROLE reader LOGIN; GRANT SELECT ON customers TO reader; CREATE ROLE readers; \
                 GRANT readers TO reader WITH ADMIN OPTION; GRANT USAGE ON SCHEMA shop TO readers";
    psql(original.addr.port(), &["-c", roles]);
    let dump = dumpall(original.addr.port());
    for expected in [
        "CREATE ROLE reader;",
        "GRANT readers TO reader WITH ADMIN OPTION GRANTED BY braid;",
        "GRANT USAGE ON SCHEMA shop TO readers;",
        "ALTER ROLE reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN",
        "GRANT SELECT ON TABLE public.customers TO reader;",
        "CREATE INDEX orders_big ON public.orders USING btree (customer_id) WHERE (total > 100);",
    ] {
        assert!(dump.contains(expected), "the dumpall lacks {expected:?}:\n{dump}");
    }
    // The one database is dumped once (template1 takes no connections).
    assert_eq!(dump.matches("CREATE TABLE public.orders").count(), 1, "{dump}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.sql");
    std::fs::write(&file, &dump).unwrap();
    let restored = Server::start(&[]);
    // As into a PostgreSQL cluster that has them: the restoring role and the database
    // exist already, and those two statements fail; everything else must not.
    let mut c = bin("psql");
    c.args(["-X", "-q", "-d", &url(restored.addr.port()), "-f", file.to_str().unwrap()]);
    let out = c.output().unwrap();
    let errors: Vec<String> =
        String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains("ERROR")).map(str::to_string).collect();
    assert!(
        errors.len() == 2
            && errors.iter().all(|e| {
                e.contains("role \"braid\" already exists") || e.contains("database \"braid\" already exists")
            }),
        "{errors:#?}"
    );
    assert_eq!(dumpall(restored.addr.port()), dump);
}
