//! The wire client against the Proton-shaped fixture server (handshake, types, heartbeats, Cancel, compression, a vanishing server).
//!
//! Covers lowercase type names, ProfileEvents, drain deadlines and reconnects as well.

use crate::support::fixture::{FValue, ProtonFixture, QueryEnd, Response, Step};
use crate::support::{connect_fixture as connect, fixture_opts as opts, WAIT};
use proton_shell::render::write_rows;
use proton_shell::wire::{CancelOutcome, Connection, Error, Event, Style};
use std::path::Path;
use std::time::{Duration, Instant};

/// Every event of a finished query, with data blocks rendered as TSV.
async fn run(conn: &mut Connection, sql: &str) -> (Vec<Event>, String) {
    let mut stream = conn.query(sql, &[], "").await.unwrap();
    let mut events = Vec::new();
    let mut out = Vec::new();
    while let Some(ev) = stream.next().await.unwrap_or_else(|e| panic!("{sql}: {e}")) {
        if let Event::Data(b) = &ev {
            write_rows(b, Style::Tsv, &mut out);
        }
        events.push(ev);
    }
    (events, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn handshake_negotiates_our_revision_and_keeps_server_facts() {
    let fx = ProtonFixture::builder().display_name("proton-box").start();
    let conn = connect(&fx).await;
    let info = conn.server_info();
    assert_eq!(info.name, "proton");
    assert_eq!(info.revision, 54459);
    assert_eq!(conn.revision(), 54453);
    assert_eq!(info.display_name, "proton-box");
    assert_eq!(info.timezone, "UTC");
    assert_eq!(info.version(), "1.6.1");
}

#[tokio::test]
async fn query_packet_carries_id_settings_and_sql() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    let settings = vec![
        ("max_block_size".to_string(), "3".to_string()),
        ("seek_to".to_string(), "earliest".to_string()),
    ];
    let mut stream = conn.query("SELECT 1", &settings, "qid-123").await.unwrap();
    while stream.next().await.unwrap().is_some() {}
    let q = fx.last_query().unwrap();
    assert_eq!(q.sql, "SELECT 1");
    assert_eq!(q.query_id, "qid-123");
    assert_eq!(q.settings, settings);
    assert_eq!(q.client_revision, 54453);
    assert_eq!(q.query_kind, 1);
    assert!(!q.compression);
}

#[tokio::test]
async fn a_full_select_yields_every_event_kind_in_order() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    let (events, tsv) = run(&mut conn, "SELECT * FROM profile_demo").await;
    assert!(
        matches!(events.first(), Some(Event::Header(_))),
        "{events:?}"
    );
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Header(_) => "header",
            Event::Data(_) => "data",
            Event::Progress(_) => "progress",
            Event::ProfileInfo(_) => "profile_info",
            Event::ProfileEvents(_) => "profile_events",
            Event::Totals(_) => "totals",
            Event::Extremes(_) => "extremes",
            Event::Log(_) => "log",
            Event::TableColumns { .. } => "table_columns",
        })
        .collect();
    for k in [
        "data",
        "progress",
        "profile_info",
        "profile_events",
        "totals",
        "extremes",
    ] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "header").count(), 1);
    assert!(!tsv.is_empty());
    // ProfileEvents are decoded with their lowercase types.
    let pe = events
        .iter()
        .find_map(|e| {
            if let Event::ProfileEvents(b) = e {
                Some(b)
            } else {
                None
            }
        })
        .unwrap();
    let types: Vec<_> = pe.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        [
            "string",
            "datetime",
            "uint64",
            "enum8('increment' = 1, 'gauge' = 2)",
            "string",
            "int64"
        ]
    );
    assert_eq!(conn.reconnect_count(), 0);
}

#[tokio::test]
async fn progress_increments_are_summed() {
    let fx = ProtonFixture::builder()
        .handler(|q| {
            (q.sql == "SELECT p").then(|| {
                Response::new(vec![
                    Step::header(&[("x", "uint8")]),
                    Step::progress(10, 100),
                    Step::Rows(vec![vec![FValue::UInt(1)]]),
                    Step::progress(5, 50),
                ])
                .with_ending(crate::support::fixture::Ending::EndOfStream)
            })
        })
        .start();
    let mut conn = connect(&fx).await;
    let (events, tsv) = run(&mut conn, "SELECT p").await;
    let progress: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let Event::Progress(p) = e {
                Some(*p)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        progress
            .iter()
            .map(|p| (p.rows, p.bytes))
            .collect::<Vec<_>>(),
        [(10, 100), (15, 150)]
    );
    assert_eq!(tsv, "1\n");
}

#[tokio::test]
async fn tp_time_and_lowercase_types_decode() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    let (events, tsv) = run(&mut conn, "SELECT * FROM tp_stream").await;
    let Event::Header(h) = &events[0] else {
        panic!("header first")
    };
    assert_eq!(h.columns[0].type_name, "datetime64(3, 'UTC')");
    assert_eq!(tsv.lines().count(), 3);
    let first = tsv.lines().next().unwrap();
    let ts = first.split('\t').next().unwrap();
    assert_eq!(ts.len(), "2024-01-01 00:00:00.000".len(), "{first}");
}

#[tokio::test]
async fn driver_vectors_served_by_the_fixture_decode_like_direct_reads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton-vectors");
    let fx = ProtonFixture::builder()
        .handler(move |q| {
            let file = q.sql.strip_prefix("SELECT * FROM vectors.")?;
            let bytes = std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/data/proton-vectors")
                    .join(file),
            )
            .ok()?;
            Some(Response::new(vec![Step::RawBlock(bytes)]))
        })
        .start();
    let mut conn = connect(&fx).await;
    let manifest: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for v in manifest.iter().filter(|v| v.get("file").is_some()) {
        let file = v["file"].as_str().unwrap();
        let (_, tsv) = run(&mut conn, &format!("SELECT * FROM vectors.{file}")).await;
        let want: Vec<&str> = v["tsv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(tsv.lines().collect::<Vec<_>>(), want, "{file}");
        checked += 1;
    }
    assert!(checked >= 45);
}

#[tokio::test]
async fn idle_streams_send_heartbeats_and_empty_blocks_are_no_ops() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    let mut stream = conn.query("SELECT * FROM idle", &[], "").await.unwrap();
    let Some(Event::Header(_)) = stream.next().await.unwrap() else {
        panic!("header first")
    };
    // Read until 6 heartbeats have come: the fixture sends a 0-row block with every 5th, which
    // must not surface as data. The ceiling only bounds a hang.
    let (mut progress, mut data) = (0, 0);
    let deadline = Instant::now() + WAIT;
    while progress < 6 {
        assert!(
            Instant::now() < deadline,
            "only {progress} heartbeats in {WAIT:?}"
        );
        match tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
            Ok(Ok(Some(Event::Progress(_)))) => progress += 1,
            Ok(Ok(Some(Event::Data(_)))) => data += 1,
            Ok(Ok(Some(_))) => {}
            Ok(other) => panic!("idle stream ended: {other:?}"),
            Err(_) => {}
        }
    }
    assert_eq!(data, 0, "0-row heartbeat blocks must not surface as data");
    assert_eq!(stream.cancel_and_drain(WAIT).await, CancelOutcome::Drained);
}

#[tokio::test]
async fn cancel_is_answered_and_the_connection_is_reused_without_ping() {
    let fx = ProtonFixture::builder().data_after_cancel(true).start();
    let mut conn = connect(&fx).await;
    for i in 0..20 {
        let mut stream = conn.query("SELECT * FROM ticker", &[], "").await.unwrap();
        let mut rows = 0;
        while rows < 2 {
            if let Some(Event::Data(b)) = stream.next().await.unwrap() {
                rows += b.rows;
            }
        }
        if i % 2 == 0 {
            // Drained: the server answered (the deadline only bounds a hang).
            assert_eq!(stream.cancel_and_drain(WAIT).await, CancelOutcome::Drained);
        } else {
            stream.cancel().unwrap();
        }
        let (_, tsv) = run(&mut conn, &format!("SELECT {i}")).await;
        assert_eq!(tsv, format!("{i}\n"));
    }
    assert_eq!(conn.reconnect_count(), 0);
    assert_eq!(fx.pings_received(), 0, "never Ping around queries");
    let cancelled = fx
        .outcomes()
        .iter()
        .filter(|o| o.end == QueryEnd::Cancelled)
        .count();
    assert_eq!(cancelled, 20);
    assert!(!fx
        .outcomes()
        .iter()
        .any(|o| o.end == QueryEnd::UnexpectedPacket));
}

#[tokio::test]
async fn ping_works_between_queries_only() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    conn.ping().await.unwrap();
    {
        let mut stream = conn.query("SELECT * FROM ticker", &[], "").await.unwrap();
        stream.next().await.unwrap();
    } // abandoned mid-query
      // The connection refuses to ping while the abandoned query still runs.
    assert!(matches!(conn.ping().await, Err(Error::Busy)));
    assert_eq!(fx.pings_received(), 1);
    let (_, tsv) = run(&mut conn, "SELECT 5").await;
    assert_eq!(tsv, "5\n");
    conn.ping().await.unwrap();
}

#[tokio::test]
async fn a_server_that_ignores_cancel_is_dropped_at_the_deadline_then_reconnected() {
    let fx = ProtonFixture::builder().ignore_cancel(true).start();
    let mut conn = connect(&fx).await;
    let mut stream = conn.query("SELECT * FROM ticker", &[], "").await.unwrap();
    stream.next().await.unwrap();
    let t = Instant::now();
    assert_eq!(
        stream.cancel_and_drain(Duration::from_millis(300)).await,
        CancelOutcome::Dropped
    );
    // Not dropped before its deadline (a lower bound holds on a loaded machine too; the upper
    // bound only catches a hang).
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(290) && took < WAIT,
        "{took:?}"
    );
    assert!(!conn.is_connected());
    let (_, tsv) = run(&mut conn, "SELECT 9").await;
    assert_eq!(tsv, "9\n");
    assert_eq!(conn.reconnect_count(), 1);
    assert!(fx.wait_until(WAIT, |f| f
        .outcomes()
        .iter()
        .any(|o| o.end == QueryEnd::ClientDisconnected)));
}

#[tokio::test]
async fn compressed_results_match_and_bad_checksums_are_errors() {
    let fx = ProtonFixture::start();
    let mut o = opts(&fx);
    o.compression = true;
    let mut conn = Connection::connect(o.clone()).await.unwrap();
    let (_, compressed) = run(&mut conn, "SELECT * FROM tp_stream").await;
    assert!(fx.last_query().unwrap().compression);
    let (_, plain) = run(&mut connect(&fx).await, "SELECT * FROM tp_stream").await;
    assert_eq!(compressed, plain);

    let bad = ProtonFixture::builder().corrupt_checksums(true).start();
    let mut o = opts(&bad);
    o.compression = true;
    let mut conn = Connection::connect(o).await.unwrap();
    let mut stream = conn
        .query("SELECT * FROM tp_stream", &[], "")
        .await
        .unwrap();
    let err = loop {
        match stream.next().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("corrupted frames were accepted"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::Checksum), "{err}");
}

#[tokio::test]
async fn a_server_killed_mid_stream_is_a_clear_error_and_the_next_query_reconnects() {
    let fx = ProtonFixture::builder()
        .handler(|q| {
            (q.sql == "SELECT * FROM dies").then(|| {
                Response::new(vec![
                    Step::header(&[("n", "uint64")]),
                    Step::Rows(vec![vec![FValue::UInt(1)]]),
                    Step::Close,
                ])
            })
        })
        .start();
    let mut conn = connect(&fx).await;
    let mut stream = conn.query("SELECT * FROM dies", &[], "").await.unwrap();
    let err = loop {
        match stream.next().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("ended cleanly"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::ConnectionLost { .. }), "{err}");
    assert!(err.to_string().contains(&fx.addr().to_string()), "{err}");
    let (_, tsv) = run(&mut conn, "SELECT 3").await;
    assert_eq!(tsv, "3\n");
    assert_eq!(conn.reconnect_count(), 1);
}

#[tokio::test]
async fn malformed_server_bytes_are_errors_never_panics() {
    let garbage: Vec<Vec<u8>> = vec![
        vec![
            1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ], // Data with absurd BlockInfo
        vec![99], // unknown packet type
        vec![
            1, 0, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 1, 1, 1, b'c', 7, b'u', b'n', b'k', b'n',
            b'o', b'w', b'n',
        ],
        vec![2, 1, 0, 0], // truncated exception
    ];
    for (i, bytes) in garbage.into_iter().enumerate() {
        let fx = ProtonFixture::builder()
            .handler(move |_| {
                Some(
                    Response::new(vec![Step::Raw(bytes.clone()), Step::Close])
                        .with_ending(crate::support::fixture::Ending::Nothing),
                )
            })
            .start();
        let mut conn = connect(&fx).await;
        let mut stream = conn.query("SELECT x", &[], "").await.unwrap();
        let res = loop {
            match stream.next().await {
                Ok(Some(_)) => {}
                other => break other,
            }
        };
        assert!(res.is_err(), "garbage {i} accepted: {res:?}");
    }
}

#[tokio::test]
async fn server_exceptions_keep_code_name_and_message() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    let Err(Error::Server(e)) = conn.execute("SELECT * FROM missing", &[]).await else {
        panic!("exception expected")
    };
    assert_eq!(e.code, 60);
    assert_eq!(e.name, "DB::Exception");
    assert!(e.message.contains("missing"), "{}", e.message);
    assert!(!e.to_string().contains("DB::Exception: DB::Exception"));
    let Err(Error::Server(e)) = conn.execute("FROB nicate", &[]).await else {
        panic!("syntax error expected")
    };
    assert_eq!(e.code, 62);
    // Proton (unlike 18.x) keeps the connection in step after an error: no reconnect.
    let (_, tsv) = run(&mut conn, "SELECT 1").await;
    assert_eq!(tsv, "1\n");
    assert_eq!(fx.connections(), 1);
}

#[tokio::test]
async fn wrong_password_and_http_probe_are_clear() {
    let fx = ProtonFixture::builder().password("right").start();
    let mut o = opts(&fx);
    o.password = "wrong-secret".into();
    let err = Connection::connect(o).await.err().expect("auth must fail");
    let Error::Server(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 516);
    assert!(!err.to_string().contains("wrong-secret"));
}

#[tokio::test]
async fn insert_values_and_ddl_work_as_plain_text() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    conn.execute("CREATE STREAM s(a int32)", &[]).await.unwrap();
    let r = conn
        .execute("INSERT INTO s(a) VALUES (1), (2)", &[])
        .await
        .unwrap();
    assert_eq!(r.progress.written_rows, 2);
    let sqls: Vec<_> = fx.queries().into_iter().map(|q| q.sql).collect();
    assert_eq!(
        sqls,
        [
            "CREATE STREAM s(a int32)",
            "INSERT INTO s(a) VALUES (1), (2)"
        ]
    );
}
