//! Input at a real prompt (support::pty): pastes the terminal does not bracket, Tab in a burst of keys, the completion menu.
//!
//! The harness writes a paste in one write, as a terminal does without bracketed paste: the
//! shell sees every byte at once, with no paste markers around them.

use crate::support::fixture::ProtonFixture;
use crate::support::pty::*;
use crate::support::{clickhouse_running, wait_until, TempDir, WAIT};

/// `SELECT 'xx…x';` of exactly `len` bytes.
fn long_select(len: usize) -> String {
    let frame = "SELECT '';".len();
    format!("SELECT '{}';", "x".repeat(len - frame))
}

/// The SQL of the last query containing `needle` the fixture received, waiting (at most
/// [`WAIT`]) for one to arrive; without `;`.
fn received(fx: &ProtonFixture, needle: &str) -> String {
    let last = || {
        fx.queries()
            .into_iter()
            .rfind(|q| q.sql.contains(needle))
            .map(|q| q.sql.trim_end_matches(';').to_string())
    };
    wait_until(WAIT, || last().is_some());
    last().unwrap_or_else(|| panic!("no query with {needle:?}: {:?}", fx.queries()))
}

/// A one-line paste longer than the key reader's 1024-byte read runs as soon as it is in:
/// its Enter is not left waiting for another key.
#[test]
fn a_long_paste_without_bracketed_paste_runs_at_once() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("paste-long");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    for len in [500, 1025, 1100, 4800, 8 * 1024, 64 * 1024] {
        let stmt = long_select(len);
        assert_eq!(stmt.len(), len);
        sh.send(format!("{stmt}\r").as_bytes());
        sh.expect("1 row in");
        sh.expect(FX_PROMPT);
        let got = received(&fx, "SELECT 'x");
        assert_eq!(got.len(), len - 1, "the {len}-byte paste arrived cut");
    }
}

/// Tabs in a paste are whitespace, as with bracketed paste, and the paste's Enter runs it.
#[test]
fn tabs_in_a_paste_do_not_complete() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("paste-tabs");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT\t1 AS a,\t2 AS b;\r");
    assert_eq!(received(&fx, "AS b"), "SELECT\t1 AS a,\t2 AS b");
    // A multi-line paste whose next line starts with a tab: still text, still runs.
    sh.send(b"SELECT 3 AS c,\r\t4 AS d;\r");
    assert_eq!(received(&fx, "AS d"), "SELECT 3 AS c,\n\t4 AS d");
}

/// A Tab typed on its own still completes.
#[test]
fn a_typed_tab_completes() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("typed-tab");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT * FROM profile_demo WHER");
    sh.expect("profile_demo WHER");
    sh.send(b"\t");
    sh.expect("profile_demo WHERE ");
    sh.send(b"id = 1;\r");
    assert_eq!(
        received(&fx, "profile_demo"),
        "SELECT * FROM profile_demo WHERE id = 1"
    );
}

/// With the menu open, a Tab that extends the word to what the candidates share leaves the
/// first candidate highlighted: Enter then inserts what the line shows, not the next one.
#[test]
fn tab_that_extends_the_word_keeps_the_first_candidate() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("menu-extend");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT * FROM profile_demo W");
    sh.expect("profile_demo W");
    sh.send(b"\t");
    sh.expect("WITH");
    sh.send(b"H");
    sh.expect("profile_demo WH");
    // WHEN and WHERE share WHE: this Tab extends the word.
    sh.send(b"\t");
    sh.expect("profile_demo WHE");
    sh.send(b"\r");
    sh.expect("profile_demo WHEN ");
    sh.send(b"1;\r");
    assert_eq!(
        received(&fx, "profile_demo"),
        "SELECT * FROM profile_demo WHEN 1"
    );
}

/// A statement typed (or pasted) ahead while a query runs arrives whole, however long: the
/// shell keeps typed-ahead keys as bytes, not as a line the terminal cuts at 4095.
#[test]
fn clickhouse_a_long_statement_typed_ahead_during_a_query_arrives_whole() {
    let dir = TempDir::new("typeahead-long");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.send(b"SELECT sleep(2) AS typeahead_mark;\r");
    assert!(
        wait_until(WAIT, || clickhouse_running("typeahead_mark") > 0),
        "the first query never started"
    );
    let long = format!("SELECT length('{}') AS len;", "y".repeat(5000));
    sh.send(format!("{long}\r").as_bytes());
    let out = sh.expect("5000");
    assert!(out.contains("typeahead_mark"), "{out}");
}

/// Much typed ahead during a query (more than the line editor's key reader takes at once):
/// the shell replays it as the editor would, so each Enter runs its statement in order, and
/// what was not finished waits on the next prompt, editable.
#[test]
fn clickhouse_much_typed_ahead_runs_in_order_and_leaves_the_rest_on_the_prompt() {
    let dir = TempDir::new("typeahead-replay");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.send(b"SELECT sleep(2) AS typeahead_replay;\r");
    assert!(
        wait_until(WAIT, || clickhouse_running("typeahead_replay") > 0),
        "the first query never started"
    );
    let keys = format!(
        "SELECT length('{}') AS len;\rSELECT 7 AS seven;\rSELECT 8",
        "y".repeat(1500)
    );
    sh.send(keys.as_bytes());
    sh.expect("1500");
    sh.expect("seven");
    sh.expect("SELECT 8");
    sh.send(b" AS eight;\r");
    let out = sh.expect("eight");
    assert!(out.contains("eight"), "{out}");
    sh.expect("1 row in");
    let history = std::fs::read_to_string(dir.join("history")).unwrap_or_default();
    assert!(history.contains("SELECT 7 AS seven;"), "{history}");
}
