//! Clients that misbehave: random bytes, a truncated or oversized startup packet, a client
//! that stops mid-message, a thousand connections at once. Each gets an error or a closed
//! connection; a well-behaved client beside them is served the whole time.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::Server;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Whether the server still answers a real client.
fn served(server: &Server, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let client = server.connect().await;
        let n: i32 = client.query_one("SELECT 40 + 2", &[]).await.unwrap().get(0);
        assert_eq!(n, 42);
    });
}

/// Reads what the server sends until it closes the connection (or `timeout` passes, which
/// fails the test): the server must not leave a bad client hanging forever.
fn read_until_closed(mut socket: TcpStream, timeout: Duration) -> Vec<u8> {
    socket.set_read_timeout(Some(timeout)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("server kept a bad connection open: {e}"),
        }
    }
}

/// A startup message for user `braid`.
fn startup() -> Vec<u8> {
    let mut body = 196_608_i32.to_be_bytes().to_vec(); // protocol 3.0
    body.extend_from_slice(b"user\0braid\0database\0braid\0\0");
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend_from_slice(&body);
    message
}

#[test]
fn random_bytes_get_an_error_or_a_closed_connection() {
    let server = Server::start(&[]);
    let rt = runtime();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..20 {
        let mut socket = TcpStream::connect(server.addr).unwrap();
        let bytes: Vec<u8> = (0..64 + round * 50)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let _ = socket.write_all(&bytes);
        let _ = socket.shutdown(std::net::Shutdown::Write);
        read_until_closed(socket, Duration::from_secs(10));
        served(&server, &rt);
    }
    // After startup, garbage in place of a message.
    let mut socket = TcpStream::connect(server.addr).unwrap();
    socket.write_all(&startup()).unwrap();
    socket.write_all(b"\xff\x00\x00\x00\x08garbage!").unwrap();
    let _ = socket.shutdown(std::net::Shutdown::Write);
    read_until_closed(socket, Duration::from_secs(10));
    served(&server, &rt);
}

#[test]
fn truncated_and_oversized_startup_packets_are_refused() {
    let server = Server::start(&[]);
    let rt = runtime();
    // Truncated: the length promises more than is sent, then the client hangs up.
    let mut socket = TcpStream::connect(server.addr).unwrap();
    socket.write_all(&startup()[..12]).unwrap();
    socket.shutdown(std::net::Shutdown::Write).unwrap();
    read_until_closed(socket, Duration::from_secs(10));
    // Oversized: a startup packet claiming a gigabyte.
    let mut socket = TcpStream::connect(server.addr).unwrap();
    socket.write_all(&0x3fff_ffff_i32.to_be_bytes()).unwrap();
    socket.write_all(&196_608_i32.to_be_bytes()).unwrap();
    read_until_closed(socket, Duration::from_secs(10));
    served(&server, &rt);
}

#[test]
fn a_client_that_stops_mid_message_does_not_block_others() {
    let server = Server::start(&[]);
    let rt = runtime();
    let mut stalled = Vec::new();
    for cut in [3, 9, 20] {
        let mut socket = TcpStream::connect(server.addr).unwrap();
        socket.write_all(&startup()[..cut]).unwrap();
        stalled.push(socket);
    }
    // And one stalled after startup, halfway through a Query message.
    let mut socket = TcpStream::connect(server.addr).unwrap();
    socket.write_all(&startup()).unwrap();
    socket.write_all(b"Q\x00\x00\x00\x40SELECT").unwrap();
    stalled.push(socket);
    for _ in 0..5 {
        served(&server, &rt);
    }
    drop(stalled);
    served(&server, &rt);
}

#[test]
fn a_thousand_connections_at_once_are_served_or_refused_cleanly() {
    let server = Server::start(&["--max-connections", "100"]);
    let rt = runtime();
    // A well-behaved client, connected before the flood, is served throughout it.
    let (client, connection) = rt.block_on(tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)).unwrap();
    rt.spawn(connection);
    let sockets: Vec<TcpStream> = (0..1000).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    for i in 0..20_i64 {
        let n: i64 = rt.block_on(client.query_one("SELECT $1 + 1", &[&i])).unwrap().get(0);
        assert_eq!(n, i + 1);
    }
    // A new client past the limit is told so, not left hanging.
    let refused = rt.block_on(tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)).err();
    assert_eq!(
        refused.as_ref().and_then(|e| e.code()),
        Some(&tokio_postgres::error::SqlState::TOO_MANY_CONNECTIONS),
        "{refused:?}"
    );
    // Those past the limit were answered with FATAL 53300 and closed; the others wait for
    // their startup packet. Poll without blocking until every socket has told its story.
    let mut answers: Vec<Option<Vec<u8>>> = vec![None; sockets.len()];
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        for (socket, answer) in sockets.iter().zip(&mut answers) {
            if answer.is_none() {
                socket.set_nonblocking(true).unwrap();
                let mut buf = [0u8; 256];
                match (&*socket).read(&mut buf) {
                    Ok(n) => *answer = Some(buf[..n].to_vec()),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => *answer = Some(vec![]),
                }
            }
        }
        let refused = answers
            .iter()
            .flatten()
            .filter(|a| a.first() == Some(&b'E') && a.windows(5).any(|w| w == b"53300"))
            .count();
        if refused == 901 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{refused} of the 901 connections past the limit were refused");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(answers.iter().filter(|a| a.is_none()).count(), 99, "the others are served");
    drop(sockets);
    drop(client);
    served(&server, &rt);
}

/// A message header: type byte and a length (counting itself) of `len`.
fn header(kind: u8, len: u32) -> Vec<u8> {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes
}

#[test]
fn a_message_over_the_size_limit_is_refused_before_its_body_is_read() {
    let server = Server::start(&["--max-message-bytes", "1048576"]);
    let rt = runtime();
    // A well-behaved client, connected before, is served throughout.
    let (client, connection) = rt.block_on(tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)).unwrap();
    rt.spawn(connection);
    for len in [1_048_577, 0x3fff_fffe] {
        // A Query announcing more than the limit; its body never comes. Waiting for it would
        // hang the test (read_until_closed fails after 10 s).
        let started = std::time::Instant::now();
        let mut socket = TcpStream::connect(server.addr).unwrap();
        socket.write_all(&startup()).unwrap();
        socket.write_all(&header(b'Q', len)).unwrap();
        socket.write_all(b"SELECT '").unwrap();
        let got = read_until_closed(socket, Duration::from_secs(10));
        let text = String::from_utf8_lossy(&got);
        assert!(got.windows(6).any(|w| w == b"C08P01"), "FATAL 08P01 sent: {text:?}");
        assert!(text.contains("SFATAL") && text.contains("max_message_bytes"), "{text:?}");
        assert!(text.contains(&format!("'Q' message of {len} bytes")), "{text:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "refused at once, took {:?}", started.elapsed());
        let n: i64 = rt.block_on(client.query_one("SELECT $1 + 1", &[&41_i64])).unwrap().get(0);
        assert_eq!(n, 42);
    }
    // The same in the middle of a COPY: each CopyData message is limited.
    let mut socket = TcpStream::connect(server.addr).unwrap();
    socket.write_all(&startup()).unwrap();
    socket.write_all(&header(b'd', 2 << 20)).unwrap();
    let got = read_until_closed(socket, Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&got).contains("'d' message of 2097152 bytes"));
    served(&server, &rt);
}

#[test]
fn messages_up_to_the_limit_and_copies_beyond_it_still_work() {
    let limit = 1 << 20;
    let server = Server::start(&["--max-message-bytes", &limit.to_string()]);
    let rt = runtime();
    rt.block_on(async {
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT)").await.unwrap();
        // Simple protocol: a Query message of exactly the limit (4 length bytes, the text,
        // its NUL terminator).
        let prefix = "INSERT INTO big VALUES (1, '";
        let suffix = "')";
        let fill = limit as usize - 4 - 1 - prefix.len() - suffix.len();
        let sql = format!("{prefix}{}{suffix}", "x".repeat(fill));
        client.batch_execute(&sql).await.unwrap();
        // Extended protocol: a Bind carrying a parameter of most of the limit.
        let long = "y".repeat(limit as usize - 100);
        client.execute("INSERT INTO big VALUES (2, $1)", &[&long]).await.unwrap();
        let rows = client.query("SELECT id, length(body) FROM big ORDER BY id", &[]).await.unwrap();
        // `id` is declared INTEGER: int4 on the wire.
        let lengths: Vec<(i32, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert_eq!(lengths, vec![(1, fill as i64), (2, long.len() as i64)]);

        // A COPY of 4 MiB in 64 KiB CopyData messages: the limit is per message.
        use futures::SinkExt;
        let sink = client.copy_in("COPY big FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        let row = |id: i64| format!("{id}\t{}\n", "z".repeat(1000));
        let mut chunk = String::new();
        for id in 10..4_010 {
            chunk.push_str(&row(id));
            if chunk.len() > 64 << 10 {
                sink.send(bytes::Bytes::from(std::mem::take(&mut chunk))).await.unwrap();
            }
        }
        sink.send(bytes::Bytes::from(chunk)).await.unwrap();
        assert_eq!(sink.finish().await.unwrap(), 4_000);
        let n: i64 = client.query_one("SELECT count(*) FROM big", &[]).await.unwrap().get(0);
        assert_eq!(n, 4_002);
    });
}
