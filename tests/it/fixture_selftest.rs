//! Self-tests for the Proton fixture (support::fixture), driven by a tiny raw client written here.
//!
//! The client is independent of the crate's own protocol code.

use crate::support::fixture::*;
use crate::support::WAIT;
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const REV: u64 = 54453;

// ---------------------------------------------------------------------------
// Raw client
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Pkt {
    Data(FBlock),
    Totals(FBlock),
    Extremes(FBlock),
    ProfileEvents(FBlock),
    Exception {
        code: i32,
        name: String,
        message: String,
    },
    Progress([u64; 5]),
    ProfileInfo {
        rows: u64,
        blocks: u64,
        bytes: u64,
    },
    Pong,
    EndOfStream,
}

impl Pkt {
    fn kind(&self) -> &'static str {
        match self {
            Pkt::Data(b) if b.columns.is_empty() => "End",
            Pkt::Data(b) if b.rows == 0 => "Header",
            Pkt::Data(_) => "Data",
            Pkt::Totals(_) => "Totals",
            Pkt::Extremes(_) => "Extremes",
            Pkt::ProfileEvents(_) => "ProfileEvents",
            Pkt::Exception { .. } => "Exception",
            Pkt::Progress(_) => "Progress",
            Pkt::ProfileInfo { .. } => "ProfileInfo",
            Pkt::Pong => "Pong",
            Pkt::EndOfStream => "EndOfStream",
        }
    }
}

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
    rev: u64,
    compression: bool,
}

fn hello_packet(rev: u64, user: &str, password: &str) -> Vec<u8> {
    let mut p = Vec::new();
    put_varint(&mut p, 0);
    put_str(&mut p, "selftest raw client");
    put_varint(&mut p, 1);
    put_varint(&mut p, 0);
    put_varint(&mut p, rev);
    put_str(&mut p, "");
    put_str(&mut p, user);
    put_str(&mut p, password);
    p
}

fn expected_server_hello(rev: u64, tz: &str, display: &str) -> Vec<u8> {
    let mut p = vec![0u8, 6];
    p.extend_from_slice(b"proton");
    p.extend_from_slice(&[1, 6, 0xBB, 0xA9, 0x03]); // 1, 6, varint 54459
    if rev >= 54058 {
        put_str(&mut p, tz);
    }
    if rev >= 54372 {
        put_str(&mut p, display);
    }
    if rev >= 54401 {
        p.push(1);
    }
    p
}

impl Client {
    fn raw(fx: &ProtonFixture) -> TcpStream {
        let s = TcpStream::connect(fx.addr()).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s
    }

    /// Connects, sends Hello, checks the server Hello byte for byte.
    fn connect_rev(fx: &ProtonFixture, rev: u64, display: &str) -> Client {
        let s = Self::raw(fx);
        let mut c = Client {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            rev,
            compression: false,
        };
        c.w.write_all(&hello_packet(rev, "default", "")).unwrap();
        let want = expected_server_hello(rev, "UTC", display);
        let mut got = vec![0u8; want.len()];
        c.r.read_exact(&mut got).unwrap();
        assert_eq!(got, want, "server Hello bytes");
        if rev >= 54458 {
            let mut a = Vec::new();
            put_str(&mut a, ""); // addendum: quota key
            c.w.write_all(&a).unwrap();
        }
        c
    }

    fn connect(fx: &ProtonFixture) -> Client {
        Self::connect_rev(fx, REV, "fixture")
    }

    fn send(&mut self, b: &[u8]) {
        self.w.write_all(b).unwrap();
    }

    fn query_full(
        &mut self,
        id: &str,
        sql: &str,
        settings: &[(&str, &str)],
        compression: bool,
        short_info: bool,
    ) {
        self.compression = compression;
        let mut p = Vec::new();
        put_varint(&mut p, 1);
        put_str(&mut p, id);
        if short_info {
            p.push(0);
        } else {
            p.push(1); // INITIAL
            put_str(&mut p, "");
            put_str(&mut p, "");
            put_str(&mut p, "0.0.0.0:0");
            p.extend_from_slice(&0i64.to_le_bytes());
            p.push(1); // TCP
            put_str(&mut p, "me");
            put_str(&mut p, "localhost");
            put_str(&mut p, "selftest raw client");
            put_varint(&mut p, 1);
            put_varint(&mut p, 0);
            put_varint(&mut p, self.rev);
            put_str(&mut p, ""); // quota key
            put_varint(&mut p, 0); // distributed depth
            put_varint(&mut p, 0); // patch
            p.push(0); // no opentelemetry
            put_varint(&mut p, 0);
            put_varint(&mut p, 0);
            put_varint(&mut p, 0);
        }
        for (k, v) in settings {
            put_str(&mut p, k);
            put_varint(&mut p, 0);
            put_str(&mut p, v);
        }
        put_str(&mut p, "");
        put_str(&mut p, ""); // interserver hash
        put_varint(&mut p, 2);
        put_varint(&mut p, compression as u64);
        put_str(&mut p, sql);
        if self.rev >= 54459 {
            put_str(&mut p, "p1");
            put_varint(&mut p, 2);
            put_str(&mut p, "'v1'");
            put_str(&mut p, "");
        }
        // The empty Data block (external tables terminator).
        put_varint(&mut p, 2);
        put_str(&mut p, "");
        if compression {
            p.extend(compress_frame(&empty_block(), false));
        } else {
            p.extend(empty_block());
        }
        self.send(&p);
    }

    fn query(&mut self, sql: &str) {
        self.query_full("qid-1", sql, &[], false, false);
    }

    fn read_block(&mut self, compressed: bool) -> io::Result<FBlock> {
        let _table = read_str(&mut self.r)?;
        if compressed {
            decode_block_from(&mut FrameReader::new(&mut self.r))
        } else {
            decode_block_from(&mut self.r)
        }
    }

    fn packet(&mut self) -> io::Result<Pkt> {
        let c = self.compression;
        Ok(match read_varint(&mut self.r)? {
            1 => Pkt::Data(self.read_block(c)?),
            2 => {
                let code = read_i32(&mut self.r)?;
                let name = read_str(&mut self.r)?;
                let message = read_str(&mut self.r)?;
                let _stack = read_str(&mut self.r)?;
                assert_eq!(read_u8(&mut self.r)?, 0, "has_nested");
                Pkt::Exception {
                    code,
                    name,
                    message,
                }
            }
            3 => {
                let mut v = [0u64; 5];
                for x in &mut v {
                    *x = read_varint(&mut self.r)?;
                }
                Pkt::Progress(v)
            }
            4 => Pkt::Pong,
            5 => Pkt::EndOfStream,
            6 => {
                let rows = read_varint(&mut self.r)?;
                let blocks = read_varint(&mut self.r)?;
                let bytes = read_varint(&mut self.r)?;
                let _applied = read_u8(&mut self.r)?;
                let _rbl = read_varint(&mut self.r)?;
                let _calc = read_u8(&mut self.r)?;
                Pkt::ProfileInfo {
                    rows,
                    blocks,
                    bytes,
                }
            }
            7 => Pkt::Totals(self.read_block(c)?),
            8 => Pkt::Extremes(self.read_block(c)?),
            14 => Pkt::ProfileEvents(self.read_block(false)?),
            t => panic!("unexpected packet type {t}"),
        })
    }

    /// Reads until EndOfStream or Exception (inclusive).
    fn until_end(&mut self) -> Vec<Pkt> {
        let mut out = Vec::new();
        loop {
            let p = self.packet().expect("packet");
            let done = matches!(p, Pkt::EndOfStream | Pkt::Exception { .. });
            out.push(p);
            if done {
                return out;
            }
        }
    }

    fn cancel(&mut self) {
        self.send(&[3]);
    }

    /// Expects EOF (or reset) within `within`, skipping in-flight packets.
    fn expect_closed(&mut self, within: Duration) -> Vec<Pkt> {
        self.w.set_read_timeout(Some(within)).unwrap();
        let mut seen = Vec::new();
        let deadline = Instant::now() + within;
        loop {
            assert!(
                Instant::now() < deadline,
                "connection not closed; saw {:?}",
                kinds(&seen)
            );
            match self.packet() {
                Ok(p) => seen.push(p),
                Err(e) => {
                    assert!(
                        matches!(
                            e.kind(),
                            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                        ),
                        "expected EOF, got {e:?}"
                    );
                    return seen;
                }
            }
        }
    }
}

fn kinds(p: &[Pkt]) -> Vec<&'static str> {
    p.iter().map(Pkt::kind).collect()
}

fn data_rows(p: &[Pkt]) -> Vec<Vec<FValue>> {
    p.iter()
        .filter_map(|p| match p {
            Pkt::Data(b) => Some(b.row_values()),
            _ => None,
        })
        .flatten()
        .collect()
}

const SELECT_END: &[&str] = &[
    "ProfileInfo",
    "Progress",
    "ProfileEvents",
    "End",
    "Progress",
    "EndOfStream",
];

// ---------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------

#[test]
fn handshake_bytes_follow_client_revision() {
    let fx = ProtonFixture::builder().display_name("dn").start();
    for rev in [54453, 54401, 54372, 54058, 54032] {
        let mut c = Client::connect_rev(&fx, rev, "dn");
        if rev >= 54429 {
            c.query("SELECT 1");
            assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
        }
    }
    // 54459: addendum, then parameters in the Query packet.
    let mut c = Client::connect_rev(&fx, 54459, "dn");
    c.query("SELECT 1");
    assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
    let q = fx.last_query().unwrap();
    assert_eq!(q.client_revision, 54459);
    assert_eq!(q.parameters, vec![("p1".to_string(), "'v1'".to_string())]);
}

#[test]
fn wrong_password_gets_exception_516_then_close() {
    let fx = ProtonFixture::builder().password("secret").start();
    let s = Client::raw(&fx);
    let mut c = Client {
        r: BufReader::new(s.try_clone().unwrap()),
        w: s,
        rev: REV,
        compression: false,
    };
    c.send(&hello_packet(REV, "default", "nope"));
    match c.packet().unwrap() {
        Pkt::Exception {
            code,
            name,
            message,
        } => {
            assert_eq!(code, 516);
            assert_eq!(name, "DB::Exception");
            assert!(message.contains("Authentication failed"), "{message}");
        }
        p => panic!("expected exception, got {p:?}"),
    }
    c.expect_closed(WAIT);

    // Right password works.
    let s = Client::raw(&fx);
    let mut c = Client {
        r: BufReader::new(s.try_clone().unwrap()),
        w: s,
        rev: REV,
        compression: false,
    };
    c.send(&hello_packet(REV, "default", "secret"));
    let want = expected_server_hello(REV, "UTC", "fixture");
    let mut got = vec![0u8; want.len()];
    c.r.read_exact(&mut got).unwrap();
    assert_eq!(got, want);
}

#[test]
fn empty_user_is_rejected() {
    let fx = ProtonFixture::start();
    let s = Client::raw(&fx);
    let mut c = Client {
        r: BufReader::new(s.try_clone().unwrap()),
        w: s,
        rev: REV,
        compression: false,
    };
    c.send(&hello_packet(REV, "", ""));
    assert!(matches!(
        c.packet().unwrap(),
        Pkt::Exception { code: 102, .. }
    ));
    c.expect_closed(WAIT);
}

#[test]
fn http_probe_gets_400_answer() {
    let fx = ProtonFixture::start();
    let mut s = Client::raw(&fx);
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, HTTP_PROBE_ANSWER);
    assert_eq!(
        std::str::from_utf8(&got).unwrap(),
        "HTTP/1.0 400 Bad Request\r\n\r\nPort 8463 is for clickhouse-client program\r\n"
    );
}

#[test]
fn garbage_does_not_kill_the_fixture() {
    let fx = ProtonFixture::start();
    for junk in [
        &[
            0x00u8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ][..],
        &[0x09, 1, 2, 3][..],
        &[][..],
    ] {
        let mut s = Client::raw(&fx);
        s.write_all(junk).unwrap();
        let _ = s.shutdown(Shutdown::Write);
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    // After a valid Hello: a truncated/garbled Query.
    let mut c = Client::connect(&fx);
    c.send(&[
        1, 3, b'a', b'b', b'c', 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ]);
    c.expect_closed(WAIT);
    // Still serving.
    let mut c = Client::connect(&fx);
    c.query("SELECT 1");
    assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
}

// ---------------------------------------------------------------------------
// Finite queries
// ---------------------------------------------------------------------------

#[test]
fn select_1_packet_sequence_and_recorded_query() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query_full(
        "my-id",
        "SELECT 1",
        &[("max_block_size", "10"), ("query_mode", "table")],
        false,
        false,
    );
    let p = c.until_end();
    let mut want = vec!["Header", "Data"];
    want.extend_from_slice(SELECT_END);
    assert_eq!(kinds(&p), want);
    match &p[0] {
        Pkt::Data(b) => {
            assert_eq!(b.column_names(), vec!["1"]);
            assert_eq!(b.column_types(), vec!["uint8"]);
            assert_eq!((b.is_overflows, b.bucket_num), (false, -1));
        }
        _ => unreachable!(),
    }
    assert_eq!(data_rows(&p), vec![vec![FValue::UInt(1)]]);
    assert!(matches!(
        p[2],
        Pkt::ProfileInfo {
            rows: 1,
            blocks: 1,
            ..
        }
    ));
    match &p[4] {
        Pkt::ProfileEvents(b) => {
            assert_eq!(
                b.column_types(),
                vec![
                    "string",
                    "datetime",
                    "uint64",
                    "enum8('increment' = 1, 'gauge' = 2)",
                    "string",
                    "int64"
                ]
            );
            assert_eq!(b.columns[3].values[0], FValue::str("increment"));
        }
        _ => unreachable!(),
    }
    assert_eq!(p[6], Pkt::Progress([0; 5]));

    let q = fx.last_query().unwrap();
    assert_eq!(q.query_id, "my-id");
    assert_eq!(q.sql, "SELECT 1");
    assert!(!q.compression);
    assert_eq!(q.query_kind, 1);
    assert_eq!(q.stage, 2);
    assert_eq!(q.setting("query_mode"), Some("table"));
    assert_eq!(q.settings.len(), 2);
    assert!(fx.wait_idle(WAIT));
    assert_eq!(fx.outcomes()[0].end, QueryEnd::Completed);

    // Same connection again, short ClientInfo, canned version(); Ping -> Pong.
    c.query_full("", "select version();", &[], false, true);
    let p = c.until_end();
    assert_eq!(data_rows(&p), vec![vec![FValue::str("1.6.1")]]);
    assert_eq!(fx.last_query().unwrap().query_kind, 0);
    c.send(&[4]);
    assert_eq!(c.packet().unwrap(), Pkt::Pong);
    assert_eq!(fx.pings_received(), 1);
    // Cancel between queries is ignored.
    c.cancel();
    c.query("SELECT 1");
    assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
}

#[test]
fn compressed_select_roundtrips_and_corruption_is_detectable() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query_full("", "SELECT * FROM tp_stream", &[], true, false);
    let p = c.until_end();
    let mut want = vec!["Header", "Data"];
    want.extend_from_slice(SELECT_END);
    assert_eq!(kinds(&p), want);
    assert!(fx.last_query().unwrap().compression);
    match &p[1] {
        Pkt::Data(b) => {
            assert_eq!(
                b.column_types(),
                vec!["datetime64(3, 'UTC')", "int64", "string"]
            );
            assert_eq!(b.column_names(), vec!["_tp_time", "id", "v"]);
            assert_eq!(b.rows, 3);
            assert_eq!(b.columns[0].values[0], FValue::Int(1_700_000_000_000));
        }
        _ => unreachable!(),
    }

    let fx = ProtonFixture::builder().corrupt_checksums(true).start();
    let mut c = Client::connect(&fx);
    c.query_full("", "SELECT 1", &[], true, false);
    let err = c.packet().unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn frame_checksum_matches_a_real_server_frame() {
    // A compressed frame as written by a ClickHouse server (block: one
    // string column `s` with value "abc").
    let frame: [u8; 50] = [
        245, 5, 222, 235, 225, 158, 59, 108, 225, 31, 65, 215, 66, 66, 36, 92, 130, 34, 0, 0, 0,
        23, 0, 0, 0, 240, 8, 1, 0, 2, 255, 255, 255, 255, 0, 1, 1, 1, 115, 6, 83, 116, 114, 105,
        110, 103, 3, 97, 98, 99,
    ];
    assert_eq!(frame_checksum(&frame[16..]), frame[..16]);
    let raw = read_frame(&mut &frame[..]).unwrap();
    assert_eq!(raw.len(), 23);
    assert!(raw.ends_with(b"\x01s\x06String\x03abc")); // ClickHouse-style type name
                                                       // Our own frames decode back.
    let body = encode_block(&[("x", "string", vec!["hello".into(); 100])]);
    assert_eq!(
        read_frame(&mut &compress_frame(&body, false)[..]).unwrap(),
        body
    );
    assert!(read_frame(&mut &compress_frame(&body, true)[..]).is_err());
}

#[test]
fn profile_demo_sequence() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM profile_demo");
    let p = c.until_end();
    let mut want = vec![
        "Header",
        "Data",
        "Progress",
        "ProfileEvents",
        "Data",
        "Progress",
        "Totals",
        "Extremes",
    ];
    want.extend_from_slice(SELECT_END);
    assert_eq!(kinds(&p), want);
    assert_eq!(data_rows(&p).len(), 4);
    assert!(matches!(
        p[8],
        Pkt::ProfileInfo {
            rows: 4,
            blocks: 2,
            ..
        }
    ));
    assert!(matches!(&p[6], Pkt::Totals(b) if b.rows == 1));
    assert!(matches!(&p[7], Pkt::Extremes(b) if b.rows == 2));
}

#[test]
fn errors_ddl_and_insert() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM missing");
    match c.until_end().as_slice() {
        [Pkt::Exception {
            code: 60, message, ..
        }] => {
            assert!(
                message.contains("Stream default.missing doesn't exist"),
                "{message}"
            )
        }
        p => panic!("{p:?}"),
    }
    c.query("selec 1");
    match c.until_end().as_slice() {
        [Pkt::Exception {
            code: 62, message, ..
        }] => {
            assert!(
                message.contains("Syntax error: failed at position 1"),
                "{message}"
            )
        }
        p => panic!("{p:?}"),
    }
    c.query("CREATE STREAM s (a int)");
    assert_eq!(kinds(&c.until_end()), vec!["EndOfStream"]);
    c.query("INSERT INTO s (a) VALUES (1), (2)");
    let p = c.until_end();
    assert_eq!(kinds(&p), vec!["Progress", "EndOfStream"]);
    assert_eq!(p[0], Pkt::Progress([0, 0, 0, 2, 16]));
    c.query("SELECT 1");
    assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
    let ends: Vec<QueryEnd> = fx.outcomes().iter().map(|o| o.end).collect();
    assert_eq!(ends[..2], [QueryEnd::Exception, QueryEnd::Exception]);
}

#[test]
fn custom_handler_raw_block_and_close() {
    let fx = ProtonFixture::builder()
        .handler(|q: &ReceivedQuery| match q.sql.as_str() {
            "raw" => Some(Response::new(vec![
                Step::header(&[("a", "array(string)")]),
                Step::RawBlock(encode_block(&[(
                    "a",
                    "array(string)",
                    vec![vec!["x", "y"].into()],
                )])),
            ])),
            "close" => Some(Response::new(vec![
                Step::header(&[("a", "string")]),
                Step::Close,
            ])),
            "limited" => Some(Response::new(vec![Step::endless(
                &[("n", "uint64")],
                2,
                Duration::from_millis(1),
                Some(5),
                |n| vec![n.into()],
            )])),
            "panic" => panic!("boom"),
            _ => None,
        })
        .start();
    let mut c = Client::connect(&fx);
    c.query("raw");
    let p = c.until_end();
    assert_eq!(
        data_rows(&p),
        vec![vec![FValue::Array(vec!["x".into(), "y".into()])]]
    );
    c.query("limited");
    let p = c.until_end();
    let rows: Vec<FValue> = data_rows(&p).into_iter().flatten().collect();
    assert_eq!(rows, (0..5u64).map(FValue::UInt).collect::<Vec<_>>());
    assert_eq!(&kinds(&p)[kinds(&p).len() - 6..], SELECT_END);
    c.query("panic");
    assert!(matches!(
        c.until_end().as_slice(),
        [Pkt::Exception { code: 1001, .. }]
    ));
    c.query("SELECT 1"); // falls through to the built-ins
    assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
    c.query("close");
    let seen = c.expect_closed(WAIT);
    assert_eq!(kinds(&seen), vec!["Header"]);
    assert!(fx.wait_until(WAIT, |f| f.outcomes().last().map(|o| o.end)
        == Some(QueryEnd::ClosedByScript)));
}

// ---------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------

#[test]
fn cancel_on_ticker_ends_with_empty_block_progress_eos() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM ticker");
    let mut seen = Vec::new();
    while data_rows(&seen).len() < 5 {
        seen.push(c.packet().unwrap());
    }
    assert_eq!(seen[0].kind(), "Header");
    assert!(fx.active_queries() == 1);
    c.cancel();
    let rest = c.until_end();
    let k = kinds(&rest);
    assert_eq!(&k[k.len() - 3..], ["End", "Progress", "EndOfStream"]);
    let rows = data_rows(&seen);
    assert_eq!(rows[0], vec![FValue::UInt(0), FValue::str("row-0")]);
    assert_eq!(rows[4], vec![FValue::UInt(4), FValue::str("row-4")]);
    assert_eq!(fx.cancels_received(), 1);
    assert!(fx.wait_idle(WAIT));
    assert_eq!(fx.outcomes()[0].end, QueryEnd::Cancelled);
    // The connection stays usable.
    c.query("SELECT 1");
    assert_eq!(kinds(&c.until_end()).last(), Some(&"EndOfStream"));
}

#[test]
fn ping_during_query_closes_connection() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM ticker");
    assert_eq!(c.packet().unwrap().kind(), "Header");
    c.send(&[4]);
    let seen = c.expect_closed(WAIT);
    assert!(!seen.contains(&Pkt::Pong));
    assert!(fx.wait_idle(WAIT));
    assert_eq!(fx.outcomes()[0].end, QueryEnd::UnexpectedPacket);
    assert_eq!(fx.pings_received(), 0);
}

#[test]
fn idle_sends_heartbeats_and_notices_disconnect() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM idle");
    // Read up to the 10th heartbeat and what follows it (ProfileEvents every 10th, a 0-row
    // block every 5th). Reads time out after WAIT, which only bounds a hang.
    let start = Instant::now();
    let mut seen = vec![c.packet().unwrap()];
    let heartbeats = |seen: &[Pkt]| seen.iter().filter(|p| **p == Pkt::Progress([0; 5])).count();
    while heartbeats(&seen) < 10 || !kinds(&seen).contains(&"ProfileEvents") {
        seen.push(c.packet().unwrap());
    }
    seen.push(c.packet().unwrap()); // the 0-row block after the 10th heartbeat
    let took = start.elapsed();
    let k = kinds(&seen);
    assert_eq!(k[0], "Header");
    // Heartbeats come at most once per interval (100 ms): ten of them take at least nine
    // intervals, however slow the machine.
    assert!(took >= Duration::from_millis(900), "{took:?} for {k:?}");
    assert!(k.contains(&"ProfileEvents"), "{k:?}");
    assert!(
        seen.iter()
            .any(|p| matches!(p, Pkt::Data(b) if b.rows == 0 && b.column_names() == ["x"]))
            && k.iter().filter(|&&x| x == "Header").count() >= 2,
        "{k:?}"
    );
    assert!(!k.contains(&"Data") && !k.contains(&"End"), "{k:?}");
    drop(c);
    assert!(fx.wait_idle(WAIT));
    assert_eq!(fx.outcomes()[0].end, QueryEnd::ClientDisconnected);
}

#[test]
fn ignore_cancel_keeps_streaming() {
    let fx = ProtonFixture::builder().ignore_cancel(true).start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM ticker");
    c.packet().unwrap();
    c.cancel();
    assert!(fx.wait_until(WAIT, |f| f.cancels_received() == 1));
    // Rows keep coming after the Cancel: read five more (reads time out after WAIT).
    let mut after = Vec::new();
    while data_rows(&after).len() < 5 {
        after.push(c.packet().unwrap());
    }
    assert!(data_rows(&after).len() >= 5);
    assert!(!kinds(&after).contains(&"EndOfStream"));
    assert_eq!(fx.active_queries(), 1);
    drop(c);
    assert!(fx.wait_idle(WAIT));
    assert_eq!(fx.outcomes()[0].end, QueryEnd::ClientDisconnected);
    assert_eq!(fx.outcomes()[0].cancels, 1);
}

#[test]
fn cancel_delay_and_in_flight_block() {
    let fx = ProtonFixture::builder()
        .cancel_delay(Duration::from_millis(300))
        .data_after_cancel(true)
        .start();
    let mut c = Client::connect(&fx);
    c.query("SELECT * FROM ticker");
    c.packet().unwrap();
    let t = Instant::now();
    c.cancel();
    let rest = c.until_end();
    assert!(t.elapsed() >= Duration::from_millis(300));
    let k = kinds(&rest);
    assert_eq!(
        &k[k.len() - 4..],
        ["Data", "End", "Progress", "EndOfStream"]
    );
}

#[test]
fn numbers_fast_streams_big_blocks_and_cancels() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query_full("", "SELECT * FROM numbers_fast", &[], true, false);
    let mut next = 0u64;
    let mut blocks = 0;
    while blocks < 4 {
        if let Pkt::Data(b) = c.packet().unwrap() {
            if b.rows > 0 {
                assert_eq!(b.rows, 65536);
                assert_eq!(b.columns[0].values[0], FValue::UInt(next));
                assert_eq!(b.columns[0].values[65535], FValue::UInt(next + 65535));
                next += 65536;
                blocks += 1;
            }
        }
    }
    c.cancel();
    let k = kinds(&c.until_end());
    assert_eq!(&k[k.len() - 3..], ["End", "Progress", "EndOfStream"]);
    assert!(fx.wait_idle(WAIT));
}

#[test]
fn ticker_with_limit_finishes_normally() {
    let fx = ProtonFixture::start();
    let mut c = Client::connect(&fx);
    c.query("select * from default.ticker limit 3;");
    let p = c.until_end();
    assert_eq!(data_rows(&p).len(), 3);
    let k = kinds(&p);
    assert_eq!(&k[k.len() - 6..], SELECT_END);
}

// ---------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------

#[test]
fn encoder_layout_and_roundtrip() {
    // uint64 column with one row, byte for byte.
    let b = encode_block(&[("n", "uint64", vec![FValue::UInt(7)])]);
    let mut want = vec![1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 1, 1, 1, b'n', 6];
    want.extend_from_slice(b"uint64");
    want.extend_from_slice(&7u64.to_le_bytes());
    assert_eq!(b, want);
    assert_eq!(
        empty_block(),
        vec![1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]
    );

    let cols: Vec<(&str, &str, Vec<FValue>)> = vec![
        ("u8", "uint8", vec![1u8.into(), 255u8.into()]),
        ("u16", "uint16", vec![1u16.into(), 65535u16.into()]),
        ("u32", "uint32", vec![1u32.into(), 7u32.into()]),
        ("i8", "int8", vec![(-1i8).into(), 5i8.into()]),
        ("i16", "int16", vec![(-300i16).into(), 5i16.into()]),
        ("i32", "int32", vec![(-1i32).into(), 5i32.into()]),
        ("i64", "int64", vec![i64::MIN.into(), 5i64.into()]),
        ("f", "float64", vec![1.5f64.into(), (-0.25f64).into()]),
        ("s", "string", vec!["".into(), "héllo".into()]),
        ("b", "bool", vec![true.into(), false.into()]),
        (
            "dt",
            "datetime",
            vec![FValue::UInt(1_700_000_000), FValue::UInt(0)],
        ),
        (
            "dt64",
            "datetime64(3, 'UTC')",
            vec![FValue::Int(1_700_000_000_123), FValue::Int(-1)],
        ),
        ("ns", "nullable(string)", vec![FValue::Null, "x".into()]),
        ("ni", "nullable(int64)", vec![5i64.into(), FValue::Null]),
        (
            "as",
            "array(string)",
            vec![vec!["a", "b"].into(), FValue::Array(vec![])],
        ),
        (
            "an",
            "array(nullable(int64))",
            vec![vec![Some(1i64), None].into(), vec![Some(3i64)].into()],
        ),
        (
            "e",
            PROFILE_EVENTS_TYPE,
            vec!["gauge".into(), "increment".into()],
        ),
        (
            "fs",
            "fixed_string(3)",
            vec![
                FValue::Bytes(b"ab\0".to_vec()),
                FValue::Bytes(b"xyz".to_vec()),
            ],
        ),
    ];
    let bytes = encode_block(&cols);
    let back = decode_block(&bytes).unwrap();
    assert_eq!(back.rows, 2);
    for ((name, ty, vals), col) in cols.iter().zip(&back.columns) {
        assert_eq!((&col.name[..], &col.type_name[..]), (*name, *ty));
        assert_eq!(&col.values, vals, "column {name}");
    }
    // nullable(string) layout: null map, then values with "" under NULL.
    let b = encode_block(&[("ns", "nullable(string)", vec![FValue::Null, "x".into()])]);
    assert!(b.ends_with(&[1, 0, 0, 1, b'x']));
    // array(string) layout: u64 offsets then flattened strings.
    let b = encode_block(&[(
        "a",
        "array(string)",
        vec![vec!["a"].into(), FValue::Array(vec![])],
    )]);
    let mut tail = 1u64.to_le_bytes().to_vec();
    tail.extend_from_slice(&1u64.to_le_bytes());
    tail.extend_from_slice(&[1, b'a']);
    assert!(b.ends_with(&tail));
    // ProfileEvents sample block decodes.
    let pe = decode_block(&profile_events_block("h", 3)).unwrap();
    assert_eq!(pe.columns[5].values[0], FValue::Int(3));
}

/// Compares our encoder to the committed vectors written by Timeplus's Python
/// driver (tests/data/proton-vectors, see its README): every vector whose type
/// the fixture supports must decode and re-encode byte for byte.
#[test]
fn encoder_matches_committed_vectors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton-vectors");
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.json")) else {
        eprintln!("no vectors at {}; skipping", dir.display());
        return;
    };
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let mut checked = Vec::new();
    for entry in manifest.as_array().unwrap() {
        let (Some(file), Some(ty)) = (entry["file"].as_str(), entry["type"].as_str()) else {
            continue;
        };
        if parse_type(ty).is_err() {
            continue; // a type the fixture does not encode (decimal, uuid, low_cardinality, ...)
        }
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let block = decode_block(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(block.rows as u64, entry["rows"].as_u64().unwrap(), "{file}");
        assert_eq!(block.column_names(), vec!["c"], "{file}");
        assert_eq!(block.column_types(), vec![ty], "{file}");
        let cols: Vec<(&str, &str, Vec<FValue>)> = block
            .columns
            .iter()
            .map(|c| (&c.name[..], &c.type_name[..], c.values.clone()))
            .collect();
        assert_eq!(
            encode_block(&cols),
            bytes,
            "{file}: re-encoded bytes differ"
        );
        // Integers: the decoded values must also match the manifest's text.
        if ty.starts_with("int") || ty.starts_with("uint") {
            let text: Vec<String> = block.columns[0]
                .values
                .iter()
                .map(|v| match v {
                    FValue::UInt(x) => x.to_string(),
                    FValue::Int(x) => x.to_string(),
                    other => panic!("{file}: {other:?}"),
                })
                .collect();
            let tsv: Vec<String> = entry["tsv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            assert_eq!(text, tsv, "{file}");
        }
        checked.push(ty.to_string());
    }
    for required in [
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
        "float32",
        "float64",
        "bool",
        "string",
        "fixed_string(4)",
        "date",
        "date32",
        "datetime",
        "datetime64(3)",
        "datetime64(6, 'UTC')",
        "nullable(int32)",
        "nullable(string)",
        "array(int32)",
        "array(array(string))",
        "array(nullable(uint8))",
        "enum8('a' = 1, 'b' = 2)",
        "enum8('neg' = -128, 'it\\'s' = 127)",
    ] {
        assert!(
            checked.iter().any(|t| t == required),
            "vector for {required} not checked; checked {checked:?}"
        );
    }
}
