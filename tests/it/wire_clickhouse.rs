//! The wire client against a real ClickHouse 18.16 server (started by scripts/test.sh).

use proton_shell::render::write_rows;
use proton_shell::wire::{CancelOutcome, ConnectOptions, Connection, Error, Event, Style};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::Ordering;

use crate::support::proxy::Proxy;
use crate::support::{clickhouse as ch_addr, clickhouse_opts as opts, WAIT};

async fn connect() -> Connection {
    Connection::connect(opts())
        .await
        .expect("connect to ClickHouse")
}

/// All rows of `sql` as TabSeparated text, via our decoder and formatter.
async fn tsv(conn: &mut Connection, sql: &str) -> String {
    let result = conn
        .execute(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for b in &result.blocks {
        write_rows(b, Style::Tsv, &mut out);
    }
    String::from_utf8(out).expect("utf8")
}

fn clickhouse_client_tsv(sql: &str) -> String {
    String::from_utf8(crate::support::clickhouse_client("TabSeparated", sql)).expect("utf8")
}

const TYPES_QUERY: &str = r"SELECT
    toInt8(-1), toInt16(-300), toInt32(-70000), toInt64(-5000000000),
    toUInt8(255), toUInt16(65535), toUInt32(4294967295), toUInt64(18446744073709551615),
    toFloat32(1.5), toFloat64(0.1), 1e21, -1e-7, 1/0, -1/0, 0/0, 123456.789, toFloat64(number),
    'tab\there', 'nl\nx', 'bs\\x', 'q\'x', 'zero\0x', '',
    toFixedString('ab', 4), toDate('2024-02-29') + number, toDateTime('2024-02-29 12:34:56', 'UTC'),
    toDateTime('2024-07-01 12:00:00', 'Europe/London'), toDateTime(1700000000 + number),
    toDecimal32(1.25, 2), toDecimal64(-12345.6789, 4), toDecimal128(1, 6), CAST('-0.05' AS Decimal(9, 2)),
    toUUID('123e4567-e89b-12d3-a456-426614174000'),
    CAST('a' AS Enum8('a' = 1, 'b' = 2)), CAST('b' AS Enum16('a' = 1, 'b' = 1000)),
    toNullable(number), if(number = 1, NULL, 'x'), NULL,
    [1, 2], ['a', 'b\'c'], [1, NULL], [[1], [2, 3]], [], (1, 'a'), [(1, 'a')], [toDate('2024-01-01')],
    CAST('a' AS LowCardinality(String)), CAST(if(number = 1, NULL, 'lc') AS LowCardinality(Nullable(String))),
    toIntervalSecond(5), IPv4StringToNum('1.2.3.4')
FROM system.numbers LIMIT 3";

#[tokio::test]
async fn every_supported_type_matches_clickhouse_client_byte_for_byte() {
    let mut conn = connect().await;
    assert_eq!(conn.server_info().name, "ClickHouse");
    assert_eq!(conn.revision(), 54412, "18.16 negotiates its own revision");
    let ours = tsv(&mut conn, TYPES_QUERY).await;
    assert_eq!(ours, clickhouse_client_tsv(TYPES_QUERY));
    assert_eq!(ours.lines().count(), 3);
}

#[tokio::test]
async fn low_cardinality_with_many_keys_spans_dictionary_chunks() {
    let mut conn = connect().await;
    let sql = "SELECT CAST(toString(number % 20000) AS LowCardinality(String)), \
               CAST(if(number % 7 = 0, NULL, toString(number)) AS LowCardinality(Nullable(String))) \
               FROM system.numbers LIMIT 100000";
    let ours = tsv(&mut conn, sql).await;
    assert_eq!(ours.lines().count(), 100_000);
    assert_eq!(ours, clickhouse_client_tsv(sql));
}

#[tokio::test]
async fn header_event_comes_first_with_names_and_types() {
    let mut conn = connect().await;
    let mut stream = conn
        .query(
            "SELECT number AS n, toString(number) AS s FROM system.numbers LIMIT 5",
            &[],
            "",
        )
        .await
        .unwrap();
    let Some(Event::Header(h)) = stream.next().await.unwrap() else {
        panic!("no header first")
    };
    let cols: Vec<_> = h
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_name.as_str()))
        .collect();
    assert_eq!(cols, [("n", "UInt64"), ("s", "String")]);
    let mut rows = 0;
    while let Some(ev) = stream.next().await.unwrap() {
        if let Event::Data(b) = ev {
            rows += b.rows;
            assert_eq!(
                b.columns[1].value(0).as_str().unwrap(),
                b.columns[0].value(0).as_u64().unwrap().to_string()
            );
        }
    }
    assert_eq!(rows, 5);
}

#[tokio::test]
async fn server_errors_keep_code_and_message_and_the_connection_survives() {
    let mut conn = connect().await;
    let err = conn.execute("SELEC 1", &[]).await.unwrap_err();
    let Error::Server(ex) = err else {
        panic!("expected a server exception, got {err}")
    };
    assert_eq!(ex.code, 62);
    assert!(ex.message.contains("Syntax error"), "{}", ex.message);
    assert_eq!(ex.position(), Some(1), "{}", ex.message);

    let err = conn
        .execute("SELECT * FROM no_such_table_here", &[])
        .await
        .unwrap_err();
    let Error::Server(ex) = err else {
        panic!("expected a server exception, got {err}")
    };
    assert_eq!(ex.code, 60);
    assert!(ex.message.contains("no_such_table_here"), "{}", ex.message);

    assert_eq!(tsv(&mut conn, "SELECT 1").await, "1\n");
    assert_eq!(conn.reconnect_count(), 0);
}

/// 18.16 leaves the external-tables block unread behind a syntax error and answers its bytes
/// with stray exceptions: flushed with a Ping, not a reconnect, so the server session (its
/// database, `SET`s and temporary tables) outlives errors of either kind.
#[tokio::test]
async fn errors_keep_the_server_session_database_settings_and_temporary_tables() {
    let mut conn = connect().await;
    conn.execute("USE system", &[]).await.unwrap();
    conn.execute("SET max_block_size = 3", &[]).await.unwrap();
    conn.execute("CREATE TEMPORARY TABLE kept (x UInt8)", &[])
        .await
        .unwrap();
    for bad in ["SELEC 1", "SELECT nosuch", "SELEC 2", "SELEC 3"] {
        let err = conn.execute(bad, &[]).await.unwrap_err();
        // Its own error, never a stray one the last query left behind.
        assert!(
            matches!(&err, Error::Server(e) if e.code != 101),
            "{bad}: {err}"
        );
    }
    let state = "SELECT currentDatabase(), \
                 (SELECT value FROM system.settings WHERE name = 'max_block_size'), \
                 (SELECT count() FROM kept)";
    assert_eq!(tsv(&mut conn, state).await, "system\t3\t0\n");
    assert_eq!(conn.reconnect_count(), 0);
    assert_eq!(conn.server_session(), 0, "no new server session");
}

/// With compression on, 18.16 closes the link while reading the block it left unread: the next
/// query still gets its own answer, on a new link that reports a new server session (for the
/// shell to restore) and starts in the database of the last `USE`.
#[tokio::test]
async fn with_compression_a_syntax_error_costs_a_new_server_session_in_the_same_database() {
    let mut o = opts();
    o.compression = true;
    let mut conn = Connection::connect(o).await.unwrap();
    conn.execute("USE system", &[]).await.unwrap();
    conn.set_database("system");
    let err = conn.execute("SELEC 1", &[]).await.unwrap_err();
    assert!(matches!(&err, Error::Server(e) if e.code == 62), "{err}");
    assert_eq!(tsv(&mut conn, "SELECT currentDatabase()").await, "system\n");
    assert_eq!(conn.server_session(), 1);
}

#[tokio::test]
async fn ddl_and_select_work_and_inline_insert_is_refused_clearly() {
    let mut conn = connect().await;
    let t = format!("wire_ddl_{}", std::process::id());
    conn.execute(
        &format!("CREATE TABLE {t} (a UInt8, s String) ENGINE = Memory"),
        &[],
    )
    .await
    .unwrap();
    // ClickHouse 18.16 wants INSERT rows as client blocks: a clear error, no hang, nothing inserted.
    let err = conn
        .execute(&format!("INSERT INTO {t} VALUES (1, 'x')"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
    conn.execute(&format!("INSERT INTO {t} SELECT 7, 'y'"), &[])
        .await
        .unwrap();
    assert_eq!(
        tsv(&mut conn, &format!("SELECT * FROM {t}")).await,
        "7\ty\n"
    );
    conn.execute(&format!("DROP TABLE {t}"), &[]).await.unwrap();
    assert_eq!(conn.reconnect_count(), 0);
}

async fn read_rows(stream: &mut proton_shell::wire::QueryStream<'_>, at_least: usize) -> usize {
    let mut rows = 0;
    while rows < at_least {
        match stream.next().await.unwrap() {
            Some(Event::Data(b)) => rows += b.rows,
            Some(_) => {}
            None => panic!("endless stream ended"),
        }
    }
    rows
}

#[tokio::test]
async fn endless_query_is_cancelled_and_the_connection_is_reused_at_once() {
    let mut conn = connect().await;
    let mut stream = conn
        .query("SELECT number FROM system.numbers", &[], "")
        .await
        .unwrap();
    assert!(read_rows(&mut stream, 100_000).await >= 100_000);
    // Drained (not dropped at the deadline, which only bounds a hang).
    assert_eq!(stream.cancel_and_drain(WAIT).await, CancelOutcome::Drained);
    assert_eq!(tsv(&mut conn, "SELECT 42").await, "42\n");
    assert_eq!(
        conn.reconnect_count(),
        0,
        "cancel must not cost a reconnect"
    );
}

#[tokio::test]
async fn hundred_cancel_and_requery_cycles_never_desync() {
    let mut conn = connect().await;
    // Let the server notice Cancel every 10 ms instead of 100 ms (session setting).
    conn.execute("SET interactive_delay = 10000", &[])
        .await
        .unwrap();
    for i in 0..100u64 {
        let sql = format!("SELECT number + {i} FROM system.numbers");
        let mut stream = conn.query(&sql, &[], "").await.unwrap();
        let mut first = None;
        while first.is_none() {
            if let Some(Event::Data(b)) = stream.next().await.unwrap() {
                first = b.columns[0].value(0).as_u64();
            }
        }
        assert_eq!(first, Some(i), "cycle {i} read another query's rows");
        if i % 2 == 0 {
            assert_eq!(stream.cancel_and_drain(WAIT).await, CancelOutcome::Drained);
        } else {
            // Cancel without waiting: the next query drains first.
            stream.cancel().unwrap();
        }
        if i % 10 == 9 {
            assert_eq!(
                tsv(&mut conn, &format!("SELECT {i}")).await,
                format!("{i}\n")
            );
        }
    }
    assert_eq!(conn.reconnect_count(), 0);
}

#[tokio::test]
async fn abandoned_stream_is_cancelled_by_the_next_query() {
    let mut conn = connect().await;
    {
        let mut stream = conn
            .query("SELECT number FROM system.numbers", &[], "")
            .await
            .unwrap();
        read_rows(&mut stream, 1).await;
    } // dropped mid-stream
    assert_eq!(tsv(&mut conn, "SELECT 'next'").await, "next\n");
}

#[tokio::test]
async fn compression_on_and_off_give_identical_values() {
    let plain = tsv(&mut connect().await, TYPES_QUERY).await;
    let mut o = opts();
    o.compression = true;
    let mut conn = Connection::connect(o).await.unwrap();
    assert_eq!(tsv(&mut conn, TYPES_QUERY).await, plain);
    // Large enough to span many frames.
    let big = "SELECT number, toString(number * 7919) FROM system.numbers LIMIT 300000";
    let compressed = tsv(&mut conn, big).await;
    assert_eq!(compressed, tsv(&mut connect().await, big).await);
    assert_eq!(compressed.lines().count(), 300_000);
    // Cancel works with compression too.
    let mut stream = conn
        .query("SELECT number FROM system.numbers", &[], "")
        .await
        .unwrap();
    read_rows(&mut stream, 10).await;
    assert_eq!(stream.cancel_and_drain(WAIT).await, CancelOutcome::Drained);
    assert_eq!(tsv(&mut conn, "SELECT 2").await, "2\n");
}

#[tokio::test]
async fn server_killed_mid_stream_gives_a_clear_error_then_reconnects() {
    let proxy = Proxy::start(ch_addr());
    let mut conn = Connection::connect(ConnectOptions {
        host: "127.0.0.1".into(),
        port: proxy.port,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut stream = conn
        .query("SELECT number FROM system.numbers", &[], "")
        .await
        .unwrap();
    read_rows(&mut stream, 1000).await;
    proxy.cut_all();
    let err = loop {
        match stream.next().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("stream ended cleanly after the server died"),
            Err(e) => break e,
        }
    };
    let msg = err.to_string();
    assert!(matches!(err, Error::ConnectionLost { .. }), "{msg}");
    assert!(
        msg.contains(&format!("127.0.0.1:{}", proxy.port)),
        "error names the address: {msg}"
    );
    assert!(!conn.is_connected());
    // "Server" comes back: the next query reconnects.
    assert_eq!(tsv(&mut conn, "SELECT 'back'").await, "back\n");
    assert_eq!(conn.reconnect_count(), 1);

    // While it is down, a query fails with a connection error naming host:port, and the shell can retry later.
    proxy.kill.store(true, Ordering::SeqCst);
    proxy.cut_all();
    let _ = conn.execute("SELECT 1", &[]).await; // notices the cut
    let err = conn.execute("SELECT 1", &[]).await.unwrap_err();
    assert!(err.is_fatal_for_connection(), "{err}");
    proxy.kill.store(false, Ordering::SeqCst);
    assert_eq!(tsv(&mut conn, "SELECT 'again'").await, "again\n");
}

#[tokio::test]
async fn connection_errors_say_what_was_tried() {
    // Nothing listens on a port we just freed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Connection::connect(ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        ..Default::default()
    })
    .await
    .err()
    .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("refused"),
        "{msg}"
    );

    // Wrong password: the server's own exception, code 516 or 192 on 18.16.
    let mut o = opts();
    o.user = "nobody_here".into();
    o.password = "secret-pw".into();
    let err = Connection::connect(o).await.err().expect("auth fails");
    assert!(
        !err.to_string().contains("secret-pw"),
        "password leaked: {err}"
    );
    assert!(matches!(err, Error::Server(_)), "{err}");
}

#[tokio::test]
async fn an_http_port_is_recognised() {
    // A server that answers like an HTTP endpoint does to garbage.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 256];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.0 400 Bad Request\r\n\r\nPort 8463 is for clickhouse-client program\r\n",
            );
        }
    });
    let err = Connection::connect(ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        ..Default::default()
    })
    .await
    .err()
    .expect("not a native port");
    let msg = err.to_string();
    assert!(msg.contains("HTTP") && msg.contains("8463"), "{msg}");
}
