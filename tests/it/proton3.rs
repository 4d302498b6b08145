//! Protocol parity with Proton 3.x (revision 54461) and 1.6 (54459) against the fixture: handshake, query id, Progress elapsed, Cancel, 3.x types, and the shell on a 3.x server.

use crate::support::fixture::{FValue, ProtonFixture, QueryEnd, Response, Step};
use crate::support::pty::{spawn_on_fixture, FX_PROMPT};
use crate::support::{batch, connect_fixture as connect, run, text, TempDir, WAIT};
use proton_shell::render::write_rows;
use proton_shell::wire::{CancelOutcome, Connection, Error, Event, Style};
use std::path::Path;
use std::time::Duration;

fn proton3() -> ProtonFixture {
    ProtonFixture::builder().proton3().start()
}

/// A fixture answering `SELECT * FROM <vector file stem>` with that committed 3.x vector.
fn proton3_with_vectors() -> ProtonFixture {
    ProtonFixture::builder()
        .proton3()
        .handler(|q| {
            let name = q.sql.strip_prefix("SELECT * FROM ")?.trim_end_matches(';');
            let bytes = std::fs::read(vector_dir().join(format!("{name}.bin"))).ok()?;
            Some(Response::new(vec![Step::RawBlock(bytes)]))
        })
        .start()
}

fn vector_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton3-vectors")
}

/// A block with one column of a type nobody knows (`frobnicate`), one row.
fn unknown_type_block() -> Vec<u8> {
    let mut b = vec![1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 1, 1];
    b.extend_from_slice(&[1, b'c', 10]);
    b.extend_from_slice(b"frobnicate");
    b.push(42);
    b
}

/// Every event of a finished query, data rendered as TSV, and the server's query id.
async fn run_query(
    conn: &mut Connection,
    sql: &str,
    id: &str,
) -> (Vec<Event>, String, Option<String>) {
    let mut stream = conn.query(sql, &[], id).await.unwrap();
    let mut events = Vec::new();
    let mut out = Vec::new();
    while let Some(ev) = stream.next().await.unwrap_or_else(|e| panic!("{sql}: {e}")) {
        if let Event::Data(b) = &ev {
            write_rows(b, Style::Tsv, &mut out);
        }
        events.push(ev);
    }
    let qid = conn.server_query_id().map(str::to_owned);
    (events, String::from_utf8(out).unwrap(), qid)
}

fn last_progress(events: &[Event]) -> proton_shell::wire::Progress {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Progress(p) => Some(*p),
            _ => None,
        })
        .expect("a Progress event")
}

// ---- handshake ------------------------------------------------------------------------------

#[tokio::test]
async fn a_3x_server_gets_54461_on_a_second_handshake() {
    let fx = proton3();
    let mut conn = connect(&fx).await;
    let info = conn.server_info().clone();
    assert_eq!(
        (info.name.as_str(), info.version()),
        ("proton", "3.0.3".into())
    );
    assert_eq!(info.revision, 54461);
    assert_eq!(conn.revision(), 54461);
    assert_eq!(conn.advertised_revision(), 54461);
    // First handshake at 54453, then the one that stays.
    assert_eq!(fx.connections(), 2);
    run_query(&mut conn, "SELECT 1", "").await;
    let q = fx.last_query().unwrap();
    assert_eq!(q.client_revision, 54461);
    assert_eq!(q.addendum.as_deref(), Some(""), "the quota-key addendum");
    assert!(q.parameters.is_empty(), "an empty parameters list");
}

#[tokio::test]
async fn a_16_server_keeps_54453_and_one_handshake() {
    let fx = ProtonFixture::start();
    let mut conn = connect(&fx).await;
    assert_eq!(conn.server_info().revision, 54459);
    assert_eq!(conn.revision(), 54453);
    assert_eq!(conn.advertised_revision(), 54453);
    let (events, tsv, qid) = run_query(&mut conn, "SELECT * FROM profile_demo", "").await;
    assert_eq!(tsv.lines().count(), 4, "{tsv}");
    assert_eq!(qid, None, "no query id below 54461");
    assert_eq!(
        last_progress(&events).elapsed_ns,
        0,
        "no elapsed below 54460"
    );
    let q = fx.last_query().unwrap();
    assert_eq!(q.client_revision, 54453);
    assert_eq!(q.addendum, None);
    assert_eq!(fx.connections(), 1);
}

#[tokio::test]
async fn a_timeplus_server_below_54461_and_a_non_timeplus_one_at_54461_keep_54453() {
    let fx = ProtonFixture::builder().revision(54460).start();
    let conn = connect(&fx).await;
    assert_eq!((conn.revision(), fx.connections()), (54453, 1));
    // ClickHouse numbers its revisions differently above 54460: never 54461 for it.
    let fx = ProtonFixture::builder()
        .proton3()
        .server_name("ClickHouse")
        .start();
    let conn = connect(&fx).await;
    assert_eq!((conn.revision(), fx.connections()), (54453, 1));
    let fx = ProtonFixture::builder()
        .proton3()
        .server_name("timeplusd")
        .start();
    let conn = connect(&fx).await;
    assert_eq!(conn.revision(), 54461);
}

// ---- queries ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_3x_query_reports_the_server_generated_id_and_elapsed() {
    let fx = proton3();
    let mut conn = connect(&fx).await;
    let (events, tsv, qid) = run_query(&mut conn, "SELECT * FROM profile_demo", "").await;
    assert_eq!(tsv.lines().count(), 4, "{tsv}");
    let qid = qid.expect("a query id from the server");
    assert_eq!(qid.len(), 36, "{qid}");
    assert_eq!(qid, fx.last_query().unwrap().effective_query_id);
    let p = last_progress(&events);
    assert!(p.elapsed_ns > 0, "{p:?}");
    assert_eq!(
        p.rows, 4,
        "Progress stays in step with its sixth field: {p:?}"
    );
    // A chosen id comes back as sent; each query starts without the previous one's.
    let (_, _, qid) = run_query(&mut conn, "SELECT 1", "my-id").await;
    assert_eq!(qid.as_deref(), Some("my-id"));
}

#[tokio::test]
async fn totals_extremes_and_compression_stay_in_step_at_54461() {
    let fx = ProtonFixture::builder()
        .proton3()
        .handler(|q| {
            (q.sql == "SELECT totals").then(|| {
                Response::new(vec![
                    Step::header(&[("n", "uint64")]),
                    Step::Rows(vec![vec![FValue::UInt(1)], vec![FValue::UInt(2)]]),
                    Step::progress(2, 16),
                    Step::Totals(vec![vec![FValue::UInt(3)]]),
                    Step::Extremes(vec![vec![FValue::UInt(1)], vec![FValue::UInt(2)]]),
                    Step::ProfileEvents,
                ])
            })
        })
        .start();
    let mut conn = connect(&fx).await;
    for compressed in [false, true] {
        conn.set_compression(compressed);
        let (events, tsv, qid) = run_query(&mut conn, "SELECT totals", "").await;
        assert_eq!(tsv, "1\n2\n");
        assert!(events.iter().any(|e| matches!(e, Event::Totals(_))));
        assert!(events.iter().any(|e| matches!(e, Event::Extremes(_))));
        assert_eq!(qid.map(|q| q.len()), Some(36));
        assert_eq!(fx.last_query().unwrap().compression, compressed);
    }
    assert_eq!(fx.connections(), 2, "no reconnect");
}

#[tokio::test]
async fn a_3x_stream_cancels_and_the_connection_stays_usable() {
    let fx = proton3();
    let mut conn = connect(&fx).await;
    let mut stream = conn.query("SELECT * FROM ticker", &[], "").await.unwrap();
    let mut rows = 0;
    while rows < 3 {
        match tokio::time::timeout(WAIT, stream.next()).await {
            Ok(Ok(Some(Event::Data(b)))) => rows += b.rows,
            Ok(Ok(Some(_))) => {}
            other => panic!("stream ended early: {other:?}"),
        }
    }
    assert_eq!(stream.server_query_id().map(str::len), Some(36));
    assert_eq!(stream.cancel_and_drain(WAIT).await, CancelOutcome::Drained);
    assert!(fx.wait_idle(WAIT));
    assert_eq!(fx.outcomes().last().unwrap().end, QueryEnd::Cancelled);
    let (_, tsv, _) = run_query(&mut conn, "SELECT 1", "").await;
    assert_eq!(tsv, "1\n");
    assert_eq!(fx.connections(), 2, "the same link after the cancel");
}

#[tokio::test]
async fn a_dropped_3x_link_reconnects_at_54461_directly() {
    let fx = ProtonFixture::builder()
        .proton3()
        .handler(|q| (q.sql == "SELECT die").then(|| Response::new(vec![Step::Close])))
        .start();
    let mut conn = connect(&fx).await;
    let mut stream = conn.query("SELECT die", &[], "").await.unwrap();
    while let Ok(Some(_)) = stream.next().await {}
    assert!(!conn.is_connected());
    let (_, tsv, _) = run_query(&mut conn, "SELECT 1", "").await;
    assert_eq!(tsv, "1\n");
    assert_eq!(conn.revision(), 54461);
    assert_eq!(fx.connections(), 3, "one handshake for the reconnect");
    assert_eq!(conn.reconnect_count(), 1);
}

// ---- 3.x types ---------------------------------------------------------------------------------

#[tokio::test]
async fn every_3x_vector_decodes_over_a_3x_connection() {
    let fx = proton3_with_vectors();
    let mut conn = connect(&fx).await;
    let manifest: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(vector_dir().join("manifest.json")).unwrap())
            .unwrap();
    for v in manifest {
        let file = v["file"].as_str().unwrap();
        let stem = file.trim_end_matches(".bin");
        let (_, tsv, _) = run_query(&mut conn, &format!("SELECT * FROM {stem}"), "").await;
        let want: Vec<&str> = v["tsv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(tsv, format!("{}\n", want.join("\n")), "{file}");
    }
    assert_eq!(fx.connections(), 2);
}

#[tokio::test]
async fn an_unknown_type_names_itself_and_the_next_query_reconnects_quietly() {
    let fx = ProtonFixture::builder()
        .proton3()
        .handler(|q| {
            (q.sql == "SELECT frob")
                .then(|| Response::new(vec![Step::RawBlock(unknown_type_block())]))
        })
        .start();
    let mut conn = connect(&fx).await;
    let mut stream = conn.query("SELECT frob", &[], "").await.unwrap();
    let err = loop {
        match stream.next().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the unknown type was not reported"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::UnknownType(_)), "{err:?}");
    assert!(err.to_string().contains("frobnicate"), "{err}");
    assert!(conn.needs_resync(), "a quiet reconnect is planned");
    let (_, tsv, _) = run_query(&mut conn, "SELECT 1", "").await;
    assert_eq!(tsv, "1\n");
    assert_eq!(
        conn.reconnect_count(),
        0,
        "not counted as a lost connection"
    );
    assert_eq!(conn.revision(), 54461);
}

// ---- the shell on a 3.x server ------------------------------------------------------------------

#[test]
fn the_batch_shell_runs_queries_and_3x_types_on_a_3x_server() {
    let fx = proton3_with_vectors();
    let dir = TempDir::new("p3-batch");
    let port = fx.port().to_string();
    let out = run(batch(dir.path())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--format",
            "tsv",
            "-q",
        ])
        .arg("SELECT * FROM profile_demo; SELECT * FROM dynamic_int64_string"));
    assert!(
        out.status.success(),
        "{:?}\n{}",
        out.status,
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("1\t"), "{stdout}");
    assert!(stdout.ends_with("42\nhi\n\\N\n1.5\n-7\n"), "{stdout}");
    assert!(fx.queries().iter().all(|q| q.client_revision == 54461));
    let out = run(batch(dir.path())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--format",
            "json",
            "-q",
        ])
        .arg("SELECT * FROM json3_object"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(r#"{"a":{"b":2},"d":{"e":"zz"}}"#),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_interactive_shell_teaches_3x_on_a_3x_server_and_survives_an_unknown_type() {
    let fx = ProtonFixture::builder()
        .proton3()
        .handler(|q| {
            (q.sql == "SELECT frob")
                .then(|| Response::new(vec![Step::RawBlock(unknown_type_block())]))
        })
        .start();
    let dir = TempDir::new("p3-pty");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    let banner = sh.expect(FX_PROMPT);
    assert!(banner.contains("proton 3.0.3"), "{banner}");
    sh.line(":help emit");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("For Proton 3.x"), "{out}");
    sh.line("SELECT frob;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("frobnicate"), "{out}");
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("1 row in"), "{out}");
    assert!(!out.to_lowercase().contains("reconnect"), "quietly: {out}");
    sh.line(":quit");
    sh.wait_exit(Duration::from_secs(30));
}

#[test]
fn the_interactive_shell_teaches_1x_on_a_16_server() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("p16-pty");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":help emit");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("For Proton 1.x"), "{out}");
    assert!(fx.queries().iter().all(|q| q.client_revision == 54453));
}
