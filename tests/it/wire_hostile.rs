//! Hostile-server scenarios (issue 9 D1, D2, D5, D6, timeouts; issue 10 point 8): clean errors, bounded memory, no panics.

use crate::support::hostile::*;
use proton_shell::wire::{ConnectOptions, Connection, DecodeLimits, Error, Event, Style, TypeDesc};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_proton-shell");
/// Peak RSS every crafted input must stay under, in KiB.
const RSS_CEILING_KIB: i64 = 200 * 1024;
/// Longest error message a hostile input may produce.
const SHORT: usize = 400;

fn opts(port: u16) -> ConnectOptions {
    ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        ..Default::default()
    }
}

/// Run `SELECT 1` against `port` and return how it ended: the error, or the rendered TSV.
async fn run_query(o: ConnectOptions) -> Result<String, Error> {
    let mut conn = Connection::connect(o).await?;
    let mut stream = conn.query("SELECT 1", &[], "").await?;
    let mut out = Vec::new();
    while let Some(ev) = stream.next().await? {
        if let Event::Data(b) = ev {
            for row in 0..b.rows {
                for c in &b.columns {
                    c.write_cell(row, Style::Tsv, &mut out);
                    out.push(b'\t');
                }
                out.push(b'\n');
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

async fn query_error(o: ConnectOptions) -> Error {
    match run_query(o).await {
        Err(e) => e,
        Ok(out) => panic!("expected an error, got {} bytes of output", out.len()),
    }
}

/// A server that answers every query with `packets` and then stops.
fn serve(packets: Vec<Vec<u8>>) -> Hostile {
    Hostile::start(
        Handshake::Proton,
        packets.into_iter().map(Step::Send).collect(),
    )
}

/// The real binary in batch mode against `port`: exit 3, a clear message, no panic, bounded memory.
fn assert_batch_fails_cleanly(port: u16, extra: &[&str], expect: &str) {
    let port = port.to_string();
    let mut args = vec!["-q", "SELECT 1", "--host", "127.0.0.1", "--port", &port];
    args.extend_from_slice(extra);
    let run = run_binary(BIN, &args);
    eprintln!(
        "{expect}: exit {}, peak RSS {} KiB",
        run.code, run.max_rss_kib
    );
    assert_eq!(run.signal, None, "killed by a signal: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, 3, "exit code; stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(expect),
        "stderr lacks {expect:?}: {}",
        run.stderr
    );
    assert!(
        run.stderr.len() < 2000,
        "stderr of {} bytes",
        run.stderr.len()
    );
    assert!(
        run.max_rss_kib < RSS_CEILING_KIB,
        "peak RSS {} KiB",
        run.max_rss_kib
    );
}

/// Runs the binary for `run_binary` when this executable is started as its helper.
#[test]
fn rss_helper() {
    crate::support::hostile::rss_helper();
}

fn u64s(vals: &[u64]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_le_bytes()).collect()
}

// ---------------------------------------------------------------------------
// D1: nesting depth
// ---------------------------------------------------------------------------

fn deep_array_packets(depth: usize) -> Vec<Vec<u8>> {
    // One row; every level holds one element; the leaf is int8 7.
    let mut data = u64s(&vec![1; depth]);
    data.push(7);
    vec![
        data_packet("c", &nested_type("array", "int8", depth), 1, &data),
        end_of_stream(),
    ]
}

#[tokio::test]
async fn d1_a_deeply_nested_array_type_is_refused_naming_the_limit() {
    let srv = serve(deep_array_packets(2450));
    let err = query_error(opts(srv.port())).await;
    let msg = err.to_string();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(msg.contains("64") && msg.contains("nests deeper"), "{msg}");
    assert!(msg.len() < SHORT, "{} bytes: {msg}", msg.len());
    assert_batch_fails_cleanly(srv.port(), &[], "nests deeper");
}

#[tokio::test]
async fn d1_a_type_at_the_depth_limit_decodes_and_renders() {
    let srv = serve(deep_array_packets(64));
    let out = run_query(opts(srv.port()))
        .await
        .expect("depth 64 is allowed");
    let expected = format!("{}7{}\t\n", "[".repeat(64), "]".repeat(64));
    assert_eq!(out, expected);
}

#[tokio::test]
async fn d1_maps_and_tuples_at_the_depth_limit_decode_and_render() {
    // 32 levels of map(string, tuple(…)) = 64 constructors; one entry per level, int8 7 at the leaf.
    let mut ty = "int8".to_string();
    for _ in 0..32 {
        ty = format!("map(string, tuple({ty}))");
    }
    let mut data = Vec::new();
    for _ in 0..32 {
        data.extend(u64s(&[1]));
        put_str(&mut data, "k");
    }
    data.push(7);
    let srv = serve(vec![data_packet("c", &ty, 1, &data), end_of_stream()]);
    let out = run_query(opts(srv.port()))
        .await
        .expect("depth 64 is allowed");
    assert_eq!(
        out,
        format!("{}7{}\t\n", "{'k':(".repeat(32), ")}".repeat(32))
    );
}

#[tokio::test]
async fn d1_json_prefixes_cannot_chain_past_the_limit() {
    // Each json column announces a concrete tuple that holds another json column.
    let mut data = Vec::new();
    for _ in 0..2000 {
        data.push(0);
        put_str(&mut data, "tuple(a json)");
    }
    let srv = serve(vec![data_packet("j", "json", 1, &data)]);
    let err = query_error(opts(srv.port())).await;
    let msg = err.to_string();
    assert!(msg.contains("nests deeper") && msg.contains("64"), "{msg}");
    assert!(msg.len() < SHORT, "{msg}");
}

// ---------------------------------------------------------------------------
// D5: error messages stay short at any depth
// ---------------------------------------------------------------------------

#[tokio::test]
async fn d5_a_deep_unknown_type_gives_a_short_error() {
    let srv = serve(vec![header_packet(
        "c",
        &nested_type("array", "frobnicate", 2300),
    )]);
    let err = query_error(opts(srv.port())).await;
    let msg = err.to_string();
    assert!(msg.len() < SHORT, "{} bytes: {msg}", msg.len());
    assert!(msg.contains("64"), "{msg}");

    // Within the limit the unknown part is named, and the message is still short.
    let srv = serve(vec![header_packet(
        "c",
        &nested_type("nullable", "frobnicate", 60),
    )]);
    let err = query_error(opts(srv.port())).await;
    let msg = err.to_string();
    assert!(matches!(err, Error::UnknownType(_)), "{err:?}");
    assert!(msg.contains("frobnicate") && msg.len() < SHORT, "{msg}");
}

// ---------------------------------------------------------------------------
// D2: zero-width values and block expansion
// ---------------------------------------------------------------------------

#[tokio::test]
async fn d2_zero_width_fixed_string_is_refused() {
    // One row of array(fixed_string(0)) whose offset claims 2^28 elements.
    let srv = serve(vec![data_packet(
        "c",
        "array(fixed_string(0))",
        1,
        &u64s(&[1 << 28]),
    )]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("fixed_string(0)"), "{err}");
    assert_batch_fails_cleanly(srv.port(), &[], "fixed_string(0)");
}

#[tokio::test]
async fn d2_a_tuple_of_zero_width_columns_is_refused() {
    let ty = format!("tuple({})", vec!["fixed_string(0)"; 50].join(", "));
    let srv = serve(vec![data_packet("c", &ty, 1 << 28, &[])]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("zero width"), "{err}");
}

/// low_cardinality(string) data: one chunk with a dictionary and `rows` 1-byte indexes.
fn lc_chunk(dict: &[&[u8]], indexes: &[u8]) -> Vec<u8> {
    let mut d = u64s(&[1, (1 << 9)]); // key version; flags: u8 indexes + additional keys
    d.extend(u64s(&[dict.len() as u64]));
    for k in dict {
        put_str(&mut d, k);
    }
    d.extend(u64s(&[indexes.len() as u64]));
    d.extend_from_slice(indexes);
    d
}

#[tokio::test]
async fn d2_a_low_cardinality_dictionary_cannot_expand_a_block() {
    // One 256 KiB entry shown on each of 2^20 rows: 1.3 MB on the wire, 256 GiB as text.
    let big = vec![b'x'; 256 << 10];
    let rows = 1 << 20;
    let data = lc_chunk(&[&big], &vec![0u8; rows]);
    let srv = serve(vec![data_packet(
        "c",
        "low_cardinality(string)",
        rows as u64,
        &data,
    )]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("expand"), "{err}");
    assert_batch_fails_cleanly(srv.port(), &[], "expand");
}

#[tokio::test]
async fn d2_enum_names_and_column_names_cannot_expand_a_block() {
    let long = "n".repeat(100_000);
    let rows = 1 << 20;
    let ty = format!("enum8('{long}' = 1)");
    let srv = serve(vec![data_packet("c", &ty, rows, &vec![1u8; rows as usize])]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("expand"), "{err}");

    // JSON output repeats a column's name on every row.
    let srv = serve(vec![data_packet(
        &long,
        "uint8",
        rows,
        &vec![1u8; rows as usize],
    )]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("expand"), "{err}");
}

#[tokio::test]
async fn d2_nullable_maps_of_empty_strings_stay_within_the_budget() {
    // 2^22 map entries of empty strings: 8 MiB of wire for 8 MiB of keys and 2 × 32 MiB of offsets.
    let n: u64 = 1 << 22;
    let mut data = vec![0u8]; // null map: one row, not null
    data.extend(u64s(&[n]));
    data.extend(vec![0u8; 2 * n as usize]); // keys then values, each an empty string
    let srv = serve(vec![
        data_packet("m", "nullable(map(string, string))", 1, &data),
        end_of_stream(),
    ]);
    // Within the limits this is a legitimate (if odd) value: it must decode.
    let out = run_query(opts(srv.port())).await.expect("decodes");
    assert!(out.len() > n as usize, "{out:.80}");
    // With a tight budget the same block is refused.
    let mut conn = Connection::connect_with_limits(
        opts(srv.port()),
        DecodeLimits {
            expansion_factor: 4,
            allowance: 1 << 20,
            ..Default::default()
        },
    )
    .await
    .expect("connect");
    let mut stream = conn.query("SELECT 1", &[], "").await.expect("query");
    let err = loop {
        match stream.next().await {
            Err(e) => break e,
            Ok(Some(_)) => {}
            Ok(None) => panic!("decoded beyond the budget"),
        }
    };
    assert!(err.to_string().contains("expand"), "{err}");
}

/// A 65 536-row block with strings, low_cardinality, arrays and nullables, as a server sends it.
fn real_block() -> Vec<u8> {
    let rows = 65_536usize;
    let mut o = block_head(4, rows as u64);
    o.extend(column_head("s", "string"));
    for i in 0..rows {
        put_str(&mut o, format!("row {i} {}", "text ".repeat(i % 40)));
    }
    o.extend(column_head("lc", "low_cardinality(string)"));
    let mut lc = u64s(&[1, 1 | (1 << 9), 1000]); // u16 indexes
    for k in 0..1000 {
        put_str(
            &mut lc,
            format!("https://example.com/{k}/{}", "p".repeat(100)),
        );
    }
    lc.extend(u64s(&[rows as u64]));
    for i in 0..rows {
        lc.extend(((i % 1000) as u16).to_le_bytes());
    }
    o.extend(lc);
    o.extend(column_head("a", "array(uint32)"));
    o.extend(u64s(&(1..=rows as u64).map(|i| i * 5).collect::<Vec<_>>()));
    for i in 0..rows * 5 {
        o.extend((i as u32).to_le_bytes());
    }
    o.extend(column_head("n", "nullable(uint64)"));
    o.extend((0..rows).map(|i| (i % 7 == 0) as u8));
    o.extend(u64s(&(0..rows as u64).collect::<Vec<_>>()));
    o
}

fn check_real_block_output(out: &str) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 65_536);
    assert!(
        lines[1].starts_with("row 1 text \thttps://example.com/1/p"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with("[5,6,7,8,9]\t1\t"), "{}", lines[1]);
    assert!(lines[7].ends_with("\t\\N\t"), "{}", lines[7]);
}

#[tokio::test]
async fn d2_a_real_65536_row_block_still_decodes() {
    // Uncompressed, the packet start is the same as for a compressed block.
    let mut p = compressed_data_start();
    p.extend(real_block());
    let srv = serve(vec![p, end_of_stream()]);
    check_real_block_output(&run_query(opts(srv.port())).await.expect("decodes"));
}

#[tokio::test]
async fn d2_a_real_65536_row_block_still_decodes_compressed() {
    let mut p = compressed_data_start();
    for chunk in real_block().chunks(1 << 20) {
        p.extend(lz4_frame(chunk));
    }
    let srv = serve(vec![p, end_of_stream()]);
    let mut o = opts(srv.port());
    o.compression = true;
    check_real_block_output(&run_query(o).await.expect("decodes"));
}

/// A compressed block of 2^28 empty strings: < 1 MB of LZ4 frames for 224 MiB of zeros.
fn lz4_bomb() -> Vec<u8> {
    let mut head = block_head(1, 1 << 28);
    head.extend(column_head("s", "string"));
    let mut p = compressed_data_start();
    p.extend(lz4_frame(&head));
    let zeros = lz4_frame(&vec![0u8; 8 << 20]);
    for _ in 0..28 {
        p.extend_from_slice(&zeros);
    }
    p
}

#[tokio::test]
async fn d2_an_lz4_bomb_is_stopped_by_the_budget() {
    let bomb = lz4_bomb();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let srv = serve(vec![bomb]);
    let mut o = opts(srv.port());
    o.compression = true;
    let err = query_error(o).await;
    assert!(err.to_string().contains("expand"), "{err}");
    assert_batch_fails_cleanly(srv.port(), &["--compression"], "expand");
}

#[tokio::test]
async fn d2_an_lz4_frame_declaring_a_huge_size_is_refused() {
    let mut head = block_head(1, 1);
    head.extend(column_head("s", "string"));
    let mut p = compressed_data_start();
    p.extend(lz4_frame_declaring(&head, u32::MAX >> 2));
    let srv = serve(vec![p]);
    let mut o = opts(srv.port());
    o.compression = true;
    let err = query_error(o).await;
    assert!(err.to_string().contains("more than LZ4 can"), "{err}");
    assert_batch_fails_cleanly(srv.port(), &["--compression"], "more than LZ4 can");
}

#[tokio::test]
async fn d2_the_decompressed_size_cap_is_configurable() {
    let mut p = compressed_data_start();
    for chunk in real_block().chunks(1 << 20) {
        p.extend(lz4_frame(chunk));
    }
    let srv = serve(vec![p, end_of_stream()]);
    let mut o = opts(srv.port());
    o.compression = true;
    let mut conn = Connection::connect(o).await.expect("connect");
    conn.set_decode_limits(DecodeLimits {
        max_decompressed: 1 << 20,
        ..Default::default()
    });
    let mut stream = conn.query("SELECT 1", &[], "").await.expect("query");
    let err = loop {
        match stream.next().await {
            Err(e) => break e,
            Ok(Some(_)) => {}
            Ok(None) => panic!("decoded beyond the cap"),
        }
    };
    assert!(err.to_string().contains("1048576-byte limit"), "{err}");
}

#[tokio::test]
async fn execute_cancels_a_result_larger_than_it_collects() {
    // Every block passes the decode budget; what `execute` keeps must be bounded too.
    let rows = 1_000_001u64;
    let srv = serve(vec![
        header_packet("n", "uint8"),
        data_packet("n", "uint8", rows, &vec![1u8; rows as usize]),
        end_of_stream(),
    ]);
    let mut conn = Connection::connect(opts(srv.port())).await.unwrap();
    let err = conn.execute("SELECT 1", &[]).await.unwrap_err();
    assert!(
        matches!(err, Error::Unsupported(_)) && err.to_string().contains("1000000 rows"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// D6: arithmetic on network numbers
// ---------------------------------------------------------------------------

#[tokio::test]
async fn d6_a_fixed_string_width_that_overflows_is_an_error() {
    for rows in [1u64, 2, 3] {
        let srv = serve(vec![data_packet(
            "c",
            "fixed_string(9223372036854775808)",
            rows,
            &[0; 16],
        )]);
        let err = query_error(opts(srv.port())).await;
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }
    let srv = serve(vec![data_packet(
        "c",
        "fixed_string(9223372036854775808)",
        2,
        &[0; 16],
    )]);
    assert_batch_fails_cleanly(srv.port(), &[], "overflows");
}

#[tokio::test]
async fn d6_an_out_of_range_low_cardinality_index_is_an_error() {
    let data = lc_chunk(&[b"a", b"b"], &[0, 5]);
    let srv = serve(vec![data_packet("c", "low_cardinality(string)", 2, &data)]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("out of range"), "{err}");
    assert_batch_fails_cleanly(srv.port(), &[], "out of range");

    // A second chunk's base plus an index of 2^64 - 1 must not wrap around to a valid key.
    let mut data = lc_chunk(&[b"a"], &[0]);
    data.extend(u64s(&[3 | (1 << 9), 1])); // u64 indexes, one more key
    put_str(&mut data, "b");
    data.extend(u64s(&[1, u64::MAX]));
    let srv = serve(vec![data_packet("c", "low_cardinality(string)", 2, &data)]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("out of range"), "{err}");
}

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_server_that_stalls_mid_query_ends_it_at_the_receive_timeout() {
    let srv = Hostile::start(
        Handshake::Proton,
        vec![Step::Send(header_packet("c", "uint8")), Step::Hold],
    );
    let mut o = opts(srv.port());
    o.receive_timeout = Some(Duration::from_millis(300));
    let err = query_error(o).await;
    assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
    assert!(err.to_string().contains("receive timeout"), "{err}");
}

#[test]
fn a_stalled_batch_run_ends_with_exit_3_at_its_receive_timeout() {
    let srv = Hostile::start(
        Handshake::Proton,
        vec![Step::Send(header_packet("c", "uint8")), Step::Hold],
    );
    assert_batch_fails_cleanly(srv.port(), &["--receive-timeout", "1"], "receive timeout");
}

#[tokio::test]
async fn progress_heartbeats_keep_a_streaming_query_alive() {
    // 12 heartbeats 100 ms apart: four times the receive timeout in all.
    let mut script = vec![Step::Send(header_packet("c", "uint8"))];
    for i in 0..12 {
        script.push(Step::Sleep(Duration::from_millis(100)));
        script.push(Step::Send(progress_packet(i)));
    }
    script.push(Step::Send(data_packet("c", "uint8", 1, &[42])));
    script.push(Step::Send(end_of_stream()));
    let srv = Hostile::start(Handshake::Proton, script);
    let mut o = opts(srv.port());
    o.receive_timeout = Some(Duration::from_millis(300));
    assert_eq!(run_query(o).await.expect("alive"), "42\t\n");
}

#[tokio::test]
async fn an_idle_connection_does_not_time_out() {
    let srv = serve(vec![data_packet("c", "uint8", 1, &[7]), end_of_stream()]);
    let mut o = opts(srv.port());
    o.receive_timeout = Some(Duration::from_millis(200));
    let mut conn = Connection::connect(o).await.expect("connect");
    // Silence between queries is not a stall.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let r = conn.execute("SELECT 7", &[]).await.expect("query");
    assert_eq!(r.rows, 1);
    assert_eq!(conn.reconnect_count(), 0);
}

#[tokio::test]
async fn a_dripping_handshake_fails_at_the_connect_deadline() {
    let srv = Hostile::start(
        Handshake::Drip {
            every: Duration::from_millis(100),
            limit: 300,
        },
        vec![],
    );
    let mut o = opts(srv.port());
    o.connect_timeout = Duration::from_millis(600);
    let err = match Connection::connect(o).await {
        Err(e) => e,
        Ok(_) => panic!("handshake completed"),
    };
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("handshake within"), "{err}");
}

// ---------------------------------------------------------------------------
// Issue 10 point 8: the HTTP port
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_silent_http_port_is_diagnosed_by_a_probe() {
    // The server reads our Hello and waits for the rest of a request; a GET gets HTTP.
    let srv = Hostile::start(Handshake::SilentHttp, vec![]);
    let err = match Connection::connect(opts(srv.port())).await {
        Err(e) => e,
        Ok(_) => panic!("connected to an HTTP port"),
    };
    let msg = err.to_string();
    // Only the probe says this; the 10 s deadline would say "no native-protocol Hello".
    assert!(msg.contains("speaks HTTP") && msg.contains("8463"), "{msg}");
    assert_batch_fails_cleanly(srv.port(), &[], "speaks HTTP");
}

/// The HTTP port of the ClickHouse test server: CLICKHOUSE_HTTP_PORT, or what the start
/// script reports for the server it runs (scripts/test.sh exports only the native address).
fn clickhouse_http_port() -> Option<u16> {
    if let Ok(p) = std::env::var("CLICKHOUSE_HTTP_PORT") {
        return p.parse().ok();
    }
    std::env::var("CLICKHOUSE_TEST_ADDR").ok()?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/clickhouse-test-server.sh"
    );
    let out = std::process::Command::new("bash")
        .args([script, "env"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("CLICKHOUSE_HTTP_PORT="))
        .and_then(|p| p.parse().ok())
}

#[tokio::test]
async fn clickhouse_http_port_is_diagnosed() {
    let Some(port) = clickhouse_http_port() else {
        panic!(
            "no ClickHouse HTTP port: set CLICKHOUSE_HTTP_PORT, or run scripts/test.sh \
             (it starts the server and exports it)"
        );
    };
    let err = match Connection::connect(opts(port)).await {
        Err(e) => e,
        Ok(_) => panic!("connected to an HTTP port"),
    };
    assert!(err.to_string().contains("speaks HTTP"), "{err}");
    assert_batch_fails_cleanly(port, &[], "speaks HTTP");
}

// ---------------------------------------------------------------------------
// Regressions found by the fuzz targets (scripts/fuzz.sh)
// ---------------------------------------------------------------------------

#[test]
fn fuzz_type_names_enum_names_with_backslashes_print_as_they_parse() {
    // type_names crash-d0d05aaa: an enum name with backslashes printed unescaped, so our
    // own spelling of the type parsed back to different names.
    let name = b"enum8('neg'\x00'it\\'s' \\\\\\\\\\\\\\\\\\\\\\=\x00\x00\x00\x00\x00\x00\x00 'inum8('neg'\x00'it\\'s' =\x00\x00\x00\x00\x00\x00\x00 'it\\'s' = 1t\\'s' = 128)";
    let name = std::str::from_utf8(name).unwrap();
    let t = TypeDesc::parse(name).expect("the fuzzer's input parses");
    let shown = t.to_string();
    assert_eq!(TypeDesc::parse(&shown).expect("our spelling parses"), t);
}

#[test]
fn fuzz_type_names_interval_kinds_are_words() {
    // type_names crash-699d5a35: `interval` followed by spaces and control bytes parsed as an
    // interval kind that printed differently; only alphabetic kinds are interval types.
    let name = b"iNterval                                                                B\x00\x00\x00\x00\x00\x00\x00                                                _";
    let name = std::str::from_utf8(name).unwrap();
    assert!(TypeDesc::parse(name).is_err());
    assert_eq!(
        TypeDesc::parse("IntervalSecond").unwrap().to_string(),
        "interval_second"
    );
}

#[tokio::test]
async fn fuzz_packets_rows_without_columns_cannot_expand_a_block() {
    // Found by the packets target (as a slow unit): a Totals block of no columns and 2^28
    // rows costs 5 bytes and rendered as 2^28 empty lines.
    let mut p = Vec::new();
    put_varint(&mut p, 7); // Totals
    put_str(&mut p, "");
    p.extend(block_head(0, 1 << 28));
    let srv = serve(vec![header_packet("c", "uint8"), p]);
    let err = query_error(opts(srv.port())).await;
    assert!(err.to_string().contains("expand"), "{err}");
}

#[test]
fn fuzz_type_names_element_names_that_need_backquotes_keep_them() {
    // type_names crash-ae011ffa: a backquoted element name with a space printed bare.
    for name in [
        "nested(a uint8, `bc ` array(enum8('x' = 1)))",
        "tuple(`a b` int8, c string)",
    ] {
        let t = TypeDesc::parse(name).expect("parses");
        assert_eq!(TypeDesc::parse(&t.to_string()).expect("reparses"), t);
    }
}
