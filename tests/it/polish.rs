//! The prompt polish of issue 10, each point checked with the real binary (PTY for the interactive ones) against the fixture or ClickHouse.

use crate::support::fixture::{FValue, ProtonFixture, Response, Step};
use crate::support::pty::*;
use crate::support::{batch, run, text, TempDir};
use std::time::Duration;

/// Answers the queries these tests type; everything else goes to the built-in router.
fn fixture() -> ProtonFixture {
    ProtonFixture::builder()
        .handler(|q| {
            let sql = q.sql.to_ascii_lowercase();
            if sql.contains("from wide") {
                // 20 columns of 12-character values: 300 columns a row, wider than 120.
                let cols: Vec<(String, String)> = (0..20)
                    .map(|i| (format!("column_{i}"), "string".into()))
                    .collect();
                let cols: Vec<(&str, &str)> =
                    cols.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
                let row: Vec<FValue> = (0..20)
                    .map(|i| FValue::Str(format!("value-{i:06}")))
                    .collect();
                return Some(Response::table(&cols, vec![row]));
            }
            if sql.contains("heavy") {
                return Some(Response::new(vec![
                    Step::progress(784_660_000, 6_280_000_000),
                    Step::Sleep(Duration::from_millis(700)),
                    Step::progress(715_340_000, 5_720_000_000),
                    Step::header(&[("sum(number)", "uint64")]),
                    Step::Rows(vec![vec![FValue::UInt(42)]]),
                ]));
            }
            if sql.trim() == "select 1" && q.settings.iter().any(|(k, _)| k == "nonsense_setting") {
                return Some(Response::exception(115, "Unknown setting nonsense_setting"));
            }
            if sql.contains("from flood") {
                return Some(Response::new(vec![Step::endless(
                    &[("number", "uint64")],
                    2000,
                    Duration::from_millis(5),
                    None,
                    |n| vec![FValue::UInt(n)],
                )]));
            }
            if sql.contains("from nullable_s") {
                return Some(Response::table(
                    &[("s", "nullable(string)")],
                    vec![vec![FValue::Null], vec![FValue::Str("NULL".into())]],
                ));
            }
            None
        })
        .start()
}

/// Point 1: a row wider than the terminal comes out vertically, with a word on why.
#[test]
fn wide_rows_turn_vertical_and_a_forced_table_stays() {
    let fx = fixture();
    let dir = TempDir::new("polish-wide");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT * FROM wide;\r");
    sh.expect("Row 1:");
    sh.expect("column_19: value-000019");
    sh.expect("rows too wide for the terminal");
    sh.expect(FX_PROMPT);
    sh.send(b":format table\r");
    sh.expect("format: table");
    sh.send(b"SELECT * FROM wide;\r");
    let screen = sh.expect("1 row in");
    // A table, cut to the terminal: names and values end in `…`.
    assert!(screen.contains("colum… │"), "{screen}");
    assert!(!screen.contains("Row 1:"), "{screen}");
}

/// Point 2: what the server read shows while it runs and in the summary.
#[test]
fn server_progress_shows_while_running_and_in_the_summary() {
    let fx = fixture();
    let dir = TempDir::new("polish-progress");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT sum(number) FROM table(heavy);\r");
    sh.expect("read 784.7 M rows, 6.3 GB");
    sh.expect("1 row in ");
    sh.expect(FX_PROMPT);
    let screen = sh.all();
    assert!(screen.contains("· read 1.5 G rows, 12.0 GB"), "{screen}");
}

/// Point 4: Ctrl-C during a flood never cuts a row, and the count is the rows printed.
#[test]
fn ctrl_c_in_a_flood_leaves_whole_rows_and_counts_them() {
    let fx = fixture();
    let dir = TempDir::new("polish-flood");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b":status off\r");
    sh.expect("status line off");
    sh.send(b"SELECT * FROM flood;\r");
    sh.expect("100000\n");
    sh.send(CTRL_C);
    sh.expect("Query cancelled (");
    sh.expect(" rows)");
    let screen = sh.all();
    let table = screen
        .split("number\n")
        .nth(1)
        .expect("the table header")
        .split("Query cancelled (")
        .collect::<Vec<_>>();
    let count: u64 = table[1]
        .split(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    let rows: Vec<&str> = table[0]
        .lines()
        .filter(|l| !l.starts_with('─') && !l.trim().is_empty())
        .collect();
    for l in &rows {
        assert!(
            l.trim().parse::<u64>().is_ok(),
            "a cut or mixed line: {l:?}"
        );
    }
    assert_eq!(rows.len() as u64, count, "the count is the rows printed");
}

/// Point 5: a setting the server refuses is not kept.
#[test]
fn a_refused_setting_is_not_kept() {
    let fx = fixture();
    let dir = TempDir::new("polish-set");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b":set nonsense_setting=1\r");
    sh.expect("Unknown setting nonsense_setting");
    sh.expect("nonsense_setting is not set to `1`");
    sh.send(b":settings\r");
    sh.expect("session settings: none");
    sh.send(b":set max_threads=2\r");
    sh.expect("max_threads = 2 (sent with every query)");
}

/// Point 6: the streaming hint comes with the header, never before an error.
#[test]
fn the_streaming_hint_follows_the_header_not_an_error() {
    let fx = fixture();
    let dir = TempDir::new("polish-hint");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT * FROM no_such_stream;\r");
    let screen = sh.expect("no_such_stream");
    sh.expect(FX_PROMPT);
    assert!(
        !sh.all().contains("streaming query: runs until Ctrl-C"),
        "{screen}"
    );
    sh.send(b"SELECT * FROM ticker;\r");
    sh.expect("streaming query: runs until Ctrl-C");
    sh.expect("n │ s");
    sh.send(CTRL_C);
    sh.expect("Query cancelled");
}

/// Point 7: a wrong password is a connection (authentication) failure: exit 3.
#[test]
fn a_wrong_password_exits_3() {
    let fx = ProtonFixture::builder().password("right").start();
    let dir = TempDir::new("polish-auth");
    let out = run(batch(dir.path())
        .env("PROTON_PASSWORD", "wrong")
        .args(["--host", "127.0.0.1", "--port", &fx.port().to_string()])
        .args(["-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Authentication failed"));
    assert!(!text(&out.stderr).contains("wrong"));
}

/// Point 9: after a syntax error on ClickHouse 18.16 the planned resync is silent.
#[test]
fn no_spurious_reconnect_after_a_syntax_error_on_clickhouse() {
    let dir = TempDir::new("polish-resync");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.send(b"SELEC 42;\r");
    sh.expect("Syntax error");
    sh.expect(CH_PROMPT);
    // Longer than the idle time after which the shell checks the connection.
    std::thread::sleep(Duration::from_millis(1500));
    sh.send(b"SELECT 42 AS x;\r");
    sh.expect("1 row in");
    assert!(!sh.all().contains("Connection lost"), "{}", sh.all());
}

/// Point 11: NULL is a glyph in the human views and `\N` in TSV.
#[test]
fn null_is_a_glyph_for_people_and_backslash_n_for_machines() {
    let fx = fixture();
    let dir = TempDir::new("polish-null");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT s FROM nullable_s;\r");
    let screen = sh.expect("2 rows in");
    assert!(screen.contains("ᴺᵁᴸᴸ"), "{screen}");
    assert!(
        screen.lines().any(|l| l.trim_end() == "NULL"),
        "the string 'NULL' as it is: {screen}"
    );
    let out = run(batch(dir.path())
        .args(["--host", "127.0.0.1", "--port", &fx.port().to_string()])
        .args(["-q", "SELECT s FROM nullable_s"]));
    assert_eq!(text(&out.stdout), "\\N\nNULL\n");
}

/// Point 12: the prompt template.
#[test]
fn the_prompt_follows_its_template() {
    let fx = fixture();
    let dir = TempDir::new("polish-prompt");
    let mut args = fixture_args(&fx, dir.path());
    args.extend([
        "--prompt".into(),
        "[{display_name} {user}:{port}/{database}]".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut sh = Pty::spawn(&args, dir.path());
    sh.expect(&format!("default:{}/default]> ", fx.port()));
    sh.send(b"exit\r");
    assert_eq!(sh.wait_exit(crate::support::WAIT), Some(0));
}

/// Point 13: JSON numbers by default, ClickHouse's quoting on request.
#[test]
fn json_64bit_integers_quoted_on_request() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("polish-json");
    let base = |extra: &[&str]| {
        let mut c = batch(dir.path());
        c.args(["--host", "127.0.0.1", "--port", &fx.port().to_string()])
            .args(["--format", "json", "-q", "SELECT * FROM ticker LIMIT 2"])
            .args(extra);
        text(&run(&mut c).stdout)
    };
    assert!(base(&[]).starts_with("{\"n\":0,"), "{}", base(&[]));
    let quoted = base(&["--json-quote-64bit"]);
    assert!(quoted.starts_with("{\"n\":\"0\","), "{quoted}");
}
