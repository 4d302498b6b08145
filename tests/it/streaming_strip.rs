//! PTY tests of the status strip that explains a streaming query (issue 13 §3), against the Proton fixture.

use crate::support::fixture::{FValue, ProtonFixture, Response, Step};
use crate::support::pty::*;
use crate::support::TempDir;
use std::time::Duration;

/// A fixture with a quiet global aggregate (`idle_count`: one emit, then nothing but
/// heartbeats) and a windowed aggregate over a ticking stream (`tumble(ticker, 5s)`).
fn fixture() -> ProtonFixture {
    ProtonFixture::builder()
        .handler(|q| {
            let sql = q.sql.to_ascii_lowercase();
            if sql.contains("from idle_count") {
                return Some(Response::new(vec![
                    Step::header(&[("count()", "uint64")]),
                    Step::progress(5, 50),
                    Step::Rows(vec![vec![FValue::UInt(5)]]),
                    Step::Idle,
                ]));
            }
            if sql.contains("tumble(ticker") {
                return Some(Response::new(vec![Step::endless(
                    &[("window_start", "uint64"), ("count()", "uint64")],
                    1,
                    Duration::from_millis(200),
                    None,
                    |n| vec![FValue::UInt(n), FValue::UInt(10)],
                )]));
            }
            None
        })
        .start()
}

#[test]
fn a_quiet_global_aggregate_says_why_nothing_prints() {
    let fx = fixture();
    let dir = TempDir::new("strip-global");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT count() FROM idle_count;\r");
    // One emit arrived; after that no new events: the strip says since when, and why.
    sh.expect("1 emit, last");
    sh.expect("Proton emits only when rows arrive");
    sh.expect("no new events since ");
    sh.send(CTRL_C);
    sh.expect("Query cancelled");
    sh.expect(FX_PROMPT);
}

#[test]
fn a_windowed_aggregate_says_when_the_next_emit_comes() {
    let fx = fixture();
    let dir = TempDir::new("strip-window");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT window_start, count() FROM tumble(ticker, 5s) GROUP BY window_start;\r");
    sh.expect("5 s tumble windows emit when they close");
    sh.expect("events/s");
    sh.expect("emits, last");
    let screen = sh.all();
    assert!(screen.contains("next emit in ~"), "{screen}");
    sh.send(CTRL_C);
    sh.expect("Query cancelled");
}

#[test]
fn status_off_hides_the_strip() {
    let fx = fixture();
    let dir = TempDir::new("strip-off");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b":status off\r");
    sh.expect("status line off");
    sh.send(b"SELECT window_start, count() FROM tumble(ticker, 5s) GROUP BY window_start;\r");
    // Rows come; a few emits later the strip would long have been drawn.
    sh.expect("     5 │");
    sh.expect("     8 │");
    sh.send(CTRL_C);
    let screen = sh.expect("Query cancelled");
    assert!(!screen.contains("tumble windows emit"), "{screen}");
}
