//! Runs SQL from the command line against an in-memory database: `cargo run -p braid --example sql -- "SQL" …`
fn main() {
    let db = braid::Database::open_in_memory().unwrap();
    let mut conn = db.connect();
    for sql in std::env::args().skip(1) {
        match conn.query(&sql, ()) {
            Ok(rows) => {
                for row in rows {
                    println!("{:?}", row.unwrap().values());
                }
            }
            Err(e) => println!("error: {e}"),
        }
    }
}
