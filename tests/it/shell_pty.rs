//! The interactive shell driven through a real pseudo-terminal (support::pty), against the Proton fixture and the ClickHouse test server.
//!
//! ClickHouse tests need `CLICKHOUSE_TEST_ADDR` (set by scripts/test.sh) and fail without it.

use crate::support::fixture::{ProtonFixture, Response, Step};
use crate::support::proxy::Proxy;
use crate::support::pty::*;
use crate::support::{clickhouse, clickhouse_running, wait_until, TempDir, WAIT};
use std::time::Duration;

// ---- start, query, output ----------------------------------------------------------------

#[test]
fn fixture_start_query_and_output() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("start");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    let banner = sh.expect(FX_PROMPT);
    assert!(banner.contains("connected to proton 1.6.1"), "{banner}");
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("1 row in"), "{out}");
    assert!(out.lines().any(|l| l.trim() == "1"), "{out}");
    sh.line("SELECT * FROM profile_demo;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("id │ name"), "{out}");
    assert!(out.contains("4 rows in"), "{out}");
}

#[test]
fn clickhouse_start_query_and_output() {
    let dir = TempDir::new("ch-start");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.line("SELECT number * 2 AS twice, toString(number) AS s FROM system.numbers LIMIT 3;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("twice │ s"), "{out}");
    assert!(out.contains("    4 │ 2"), "{out}");
    assert!(out.contains("3 rows in"), "{out}");
    // Two statements on one line run in order; \G is vertical.
    sh.line("SELECT 'first' AS a; SELECT 'second' AS b\\G");
    let out = sh.expect("1 row in");
    assert!(out.contains("first"), "{out}");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("b: second"), "{out}");
}

// ---- errors --------------------------------------------------------------------------------

#[test]
fn server_error_shows_code_and_the_shell_continues() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("err");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM missing;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("Code: 60."), "{out}");
    sh.line("garbage here;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("Code: 62."), "{out}");
    assert!(
        out.contains("  garbage here\n  ^"),
        "caret expected:\n{out}"
    );
    sh.line("SELECT 1;");
    assert!(sh.expect(FX_PROMPT).contains("1 row in"));
}

#[test]
fn clickhouse_syntax_error_has_a_caret() {
    let dir = TempDir::new("ch-caret");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.line("SELECT 1, (2 FROM x;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("Code: 62."), "{out}");
    // ClickHouse 18.16 reports this query's error at position 11 or 14, at random: the caret
    // must be under whichever position the server reported (1-based, in the statement sent).
    assert_caret_under_reported_position(&out, "SELECT 1, (2 FROM x");
}

// ---- Ctrl-C ----------------------------------------------------------------------------------

/// Endless stream, Ctrl-C: Cancel reaches the server, the prompt comes back, and the next
/// query answers on the same connection.
#[test]
fn fixture_ctrl_c_cancels_an_endless_query() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("cancel");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    sh.expect("streaming query: runs until Ctrl-C");
    sh.expect("row-10");
    sh.send(CTRL_C);
    let out = sh.expect("Query cancelled (");
    sh.expect(FX_PROMPT);
    assert!(!out.contains("^C"), "no ^C echo: {out}");
    assert!(
        fx.wait_until(WAIT, |f| f.cancels_received() == 1),
        "Cancel reached the server once: {}",
        fx.cancels_received()
    );
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("1 row in"), "{out}");
    assert!(
        !out.to_lowercase().contains("reconnected"),
        "the connection is reused: {out}"
    );
    // The hint is shown once per session.
    sh.line("SELECT * FROM ticker;");
    sh.expect("row-3");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("Query cancelled ("), "{out}");
    assert_eq!(sh.all().matches("streaming query:").count(), 1);
}

/// Marks the endless query so `system.processes` can be searched for it.
const ENDLESS_MARK: &str = "pty-ctrl-c-endless";

#[test]
fn clickhouse_ctrl_c_cancels_an_endless_query() {
    let dir = TempDir::new("ch-cancel");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.line("SET max_block_size = 1;");
    sh.expect("OK");
    sh.expect(CH_PROMPT);
    sh.line(&format!(
        "SELECT number, sleepEachRow(0.01) FROM system.numbers /* {ENDLESS_MARK} */;"
    ));
    sh.expect("\n    20 │");
    sh.send(CTRL_C);
    let out = sh.expect("Query cancelled (");
    sh.expect(CH_PROMPT);
    assert!(!out.contains("^C"), "no ^C echo: {out}");
    // The server really stopped the query (looked up on a separate connection).
    assert!(
        wait_until(WAIT, || clickhouse_running(ENDLESS_MARK) == 0),
        "the endless query is still in system.processes after {WAIT:?}"
    );
    sh.line("SELECT 40 + 2 AS answer;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("42"), "{out}");
    assert!(
        !out.to_lowercase().contains("reconnected"),
        "the connection is reused: {out}"
    );
}

/// 50 Ctrl-C in one second, during a query and at the prompt: no crash, no garbage, and the
/// shell still answers.
#[test]
fn fifty_ctrl_c_in_a_second_do_no_harm() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("hammer");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    sh.expect("row-5");
    for _ in 0..50 {
        sh.send(CTRL_C);
        std::thread::sleep(Duration::from_millis(20));
    }
    // Also real SIGINTs, as `kill -INT` would send them, at the prompt.
    for _ in 0..20 {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(sh.pid(), libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(sh.is_alive(), "the shell died:\n{}", sh.all());
    sh.line("SELECT 1;");
    let out = sh.expect("1 row in");
    assert!(sh.is_alive());
    let all = sh.all();
    assert_eq!(all.matches("Query cancelled").count(), 1, "{all}");
    assert!(!all.contains("^C"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    // Ctrl-C on an empty prompt does not print a new prompt for every press: after the
    // cancel there is one prompt line (where `SELECT 1;` was typed), not fifty.
    let after = &all[all.find("Query cancelled").unwrap()..];
    let prompt_lines = after.lines().filter(|l| l.starts_with(FX_PROMPT)).count();
    assert!(prompt_lines <= 2, "{prompt_lines} prompt lines:\n{after}");
    assert!(out.contains("1"));
}

/// Ctrl-C at the prompt clears what was typed.
#[test]
fn ctrl_c_at_the_prompt_clears_the_line() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("clear");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT 'not this'");
    sh.expect("not this'");
    sh.send(CTRL_C);
    sh.expect(FX_PROMPT);
    sh.line("SELECT 1;");
    let out = sh.expect("1 row in");
    assert!(!out.contains("not this"), "{out}");
    assert!(fx.queries().iter().all(|q| !q.sql.contains("not this")));
}

/// The server never confirms the cancel: the prompt comes back all the same; the next
/// statement waits for the drain, and a second Ctrl-C drops the connection, which comes back
/// on the statement after.
#[test]
fn second_ctrl_c_while_draining_drops_the_connection() {
    let fx = ProtonFixture::builder().ignore_cancel(true).start();
    let dir = TempDir::new("drop");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    sh.expect("row-3");
    sh.send(CTRL_C);
    sh.expect("Query cancelled (");
    sh.expect(FX_PROMPT);
    sh.line("SELECT 1;");
    sh.expect("waiting for the server");
    sh.send(CTRL_C);
    sh.expect("Connection dropped");
    let out = sh.expect(FX_PROMPT);
    assert!(!out.contains("Query cancelled"), "nothing ran: {out}");
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("Reconnected to 127.0.0.1"), "{out}");
    assert!(out.contains("1 row in"), "{out}");
    assert!(sh.is_alive());
}

/// A streaming aggregate without a window is shown in the live view by default on a terminal:
/// each emit redraws the result in place, with an emit counter.
#[test]
fn streaming_aggregate_gets_the_live_view_by_default() {
    let fx = ProtonFixture::builder()
        .handler(|q| {
            (q.sql.trim() == "SELECT s, count() FROM ticker GROUP BY s").then(|| {
                let mut steps = vec![Step::header(&[("s", "string"), ("count()", "uint64")])];
                for i in 1..=3u64 {
                    steps.push(Step::Rows(vec![
                        vec!["a".into(), (10 * i).into()],
                        vec!["b".into(), i.into()],
                    ]));
                    steps.push(Step::Sleep(Duration::from_millis(150)));
                }
                steps.push(Step::Idle);
                Response::new(steps)
            })
        })
        .start();
    let dir = TempDir::new("live");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT s, count() FROM ticker GROUP BY s;");
    sh.expect("emit #3");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("Query cancelled (6 rows)"), "{out}");
    // :format table appends instead.
    sh.line(":format table");
    sh.line("SELECT s, count() FROM ticker GROUP BY s;");
    sh.expect("30\n");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(!out.contains("emit #"), "{out}");
}

// ---- connection loss -----------------------------------------------------------------------

#[test]
fn lost_connection_reconnects_on_the_next_statement_and_says_so() {
    let fx = ProtonFixture::builder()
        .handler(|q| (q.sql.trim() == "SELECT 'bye'").then(|| Response::new(vec![Step::Close])))
        .start();
    let dir = TempDir::new("lost");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT 'bye';");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("lost"), "{out}");
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("reconnected to 127.0.0.1"), "{out}");
    assert!(out.contains("1 row in"), "{out}");
}

/// The server session's state, one `name: value` line per column (`\G`).
const SESSION_STATE: &str = "SELECT currentDatabase() AS db, \
     (SELECT value FROM system.settings WHERE name = 'max_block_size') AS mbs, \
     (SELECT value FROM system.settings WHERE name = 'max_threads') AS mt\\G";

/// On ClickHouse 18.16 an error (one the server rejects before reading the whole query, or
/// after) leaves the session as it was: database, `SET`s, temporary tables, prompt.
#[test]
fn clickhouse_errors_keep_the_database_settings_and_temporary_tables() {
    let dir = TempDir::new("ch-keep");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.line("USE system;");
    sh.expect(":system> ");
    sh.line("SET max_block_size = 3;");
    sh.expect(":system> ");
    sh.line("CREATE TEMPORARY TABLE pty_kept (x UInt8);");
    sh.expect(":system> ");
    sh.line("SELECT nosuch;");
    sh.expect("Code: 47.");
    sh.line("SELEC 1;");
    sh.expect("Code: 62.");
    sh.expect(":system> ");
    sh.line(SESSION_STATE);
    let out = sh.expect(":system> ");
    assert!(out.contains("db:  system"), "{out}");
    assert!(out.contains("mbs: 3"), "{out}");
    // Longer than the idle time after which the shell checks the connection (with a Ping).
    std::thread::sleep(Duration::from_millis(1500));
    sh.line("SELEC 2;");
    sh.expect("Code: 62.");
    sh.line("SELECT count() AS n FROM pty_kept;");
    let out = sh.expect(":system> ");
    assert!(out.contains("1 row in"), "{out}");
    let all = sh.all();
    assert!(!all.contains("reconnected"), "{all}");
    assert!(!all.contains("reset"), "{all}");
}

/// The shell on ClickHouse through `proxy` (which can cut its links), history in `dir`.
fn spawn_through(proxy: &Proxy, dir: &TempDir) -> Pty {
    let port = proxy.port.to_string();
    let hist = dir.join("history").display().to_string();
    Pty::spawn(
        &[
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--history-file",
            &hist,
        ],
        dir.path(),
    )
}

/// A new server session (the link was cut) gets the database, the SQL `SET`s and the `:set`s
/// back; the lost temporary table is reported, once.
#[test]
fn clickhouse_a_new_server_session_is_restored_and_what_is_lost_said_once() {
    let proxy = Proxy::start(clickhouse());
    let dir = TempDir::new("ch-restore");
    let mut sh = spawn_through(&proxy, &dir);
    sh.expect(CH_PROMPT);
    sh.line("USE system;");
    sh.expect(":system> ");
    sh.line("SET max_block_size = 3;");
    sh.expect(":system> ");
    sh.line(":set max_threads=2");
    sh.expect("sent with every query");
    sh.line("CREATE TEMPORARY TABLE pty_lost (x UInt8);");
    sh.expect(":system> ");
    proxy.cut_all();
    // Longer than the idle time after which the shell checks the connection.
    std::thread::sleep(Duration::from_millis(1500));
    sh.line(SESSION_STATE);
    let out = sh.expect(":system> ");
    assert!(out.contains("Connection lost; reconnected"), "{out}");
    assert!(
        out.contains("The server session was reset: temporary table pty_lost is gone."),
        "{out}"
    );
    assert!(out.contains("db:  system"), "{out}");
    assert!(out.contains("mbs: 3"), "{out}");
    assert!(out.contains("mt:  2"), "{out}");
    sh.line("SELECT 1 AS one;");
    let out = sh.expect(":system> ");
    assert!(out.contains("1 row in"), "{out}");
    assert_eq!(sh.all().matches("session was reset").count(), 1);
}

/// The database `USE` chose is gone when the shell next connects (the server was reset, or
/// it was dropped elsewhere): the shell says so and goes on in the one it started in, rather
/// than fail every statement, `USE` and `:connect` included, from then on.
#[test]
fn clickhouse_a_vanished_database_falls_back_to_the_first_one() {
    let proxy = Proxy::start(clickhouse());
    let dir = TempDir::new("ch-gone-db");
    let mut sh = spawn_through(&proxy, &dir);
    sh.expect(CH_PROMPT);
    sh.line("CREATE DATABASE IF NOT EXISTS pty_gone;");
    sh.expect(CH_PROMPT);
    sh.line("USE pty_gone;");
    sh.expect(":pty_gone> ");
    crate::support::clickhouse_client("TabSeparated", "DROP DATABASE pty_gone");
    proxy.cut_all();
    // Longer than the idle time after which the shell checks the connection.
    std::thread::sleep(Duration::from_millis(1500));
    sh.line("SELECT currentDatabase() AS db;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("Database pty_gone does not exist"), "{out}");
    assert!(out.contains("1 row in"), "{out}");
    sh.line("SELECT 1 AS one;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("1 row in"), "{out}");
}

/// SIGTERM or SIGHUP at the prompt (the line editor's raw mode on) or during a query (echo
/// off): the terminal is given back as the shell found it, and the exit code is 128 + the
/// signal, as without a handler.
#[test]
fn sigterm_and_sighup_give_the_terminal_back() {
    let fx = ProtonFixture::start();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGHUP, 129)] {
        let dir = TempDir::new("sigterm");
        let mut sh = spawn_on_fixture(&fx, dir.path());
        sh.expect(FX_PROMPT);
        let before = libc::ECHO | libc::ICANON | libc::ISIG;
        assert_ne!(sh.local_modes() & before, before, "raw at the prompt");
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(sh.pid(), signal) };
        assert_eq!(sh.wait_exit(WAIT), Some(code));
        assert_eq!(sh.local_modes() & before, before, "signal {signal}");
    }
}

// ---- editing: multi-line, Ctrl-D, history ----------------------------------------------------

#[test]
fn multi_line_entry_continues_until_the_semicolon() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("multiline");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT *");
    sh.expect("-> ");
    sh.line("FROM profile_demo");
    sh.expect("-> ");
    sh.line(";");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("4 rows in"), "{out}");
    let q = fx
        .queries()
        .into_iter()
        .rfind(|q| q.sql.contains("profile_demo"))
        .unwrap();
    assert!(q.sql.starts_with("SELECT *\n"), "{:?}", q.sql);
    assert!(
        q.sql.trim_end().ends_with("FROM profile_demo"),
        "{:?}",
        q.sql
    );
}

#[test]
fn clickhouse_multi_line_entry_with_a_semicolon_in_a_string() {
    let dir = TempDir::new("ch-multiline");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.line("SELECT 'a;b' AS s,");
    sh.expect("-> ");
    sh.line("  2 AS n;");
    let out = sh.expect("1 row in");
    assert!(out.contains("a;b │"), "{out}");
    assert!(
        out.lines().any(|l| l.trim_end().ends_with("│   2")),
        "{out}"
    );
}

#[test]
fn ctrl_d_on_an_empty_line_exits() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("eof");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(CTRL_D);
    assert_eq!(sh.wait_exit(WAIT), Some(0));
}

#[test]
fn exit_words_leave_the_shell() {
    for word in ["exit", "quit", ":q"] {
        let fx = ProtonFixture::start();
        let dir = TempDir::new("exit");
        let mut sh = spawn_on_fixture(&fx, dir.path());
        sh.expect(FX_PROMPT);
        sh.line(word);
        assert_eq!(sh.wait_exit(WAIT), Some(0), "{word}");
    }
}

#[test]
fn history_is_written_and_recalled_with_up() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("history");
    {
        let mut sh = spawn_on_fixture(&fx, dir.path());
        sh.expect(FX_PROMPT);
        sh.line("SELECT 7;");
        sh.expect("1 row in");
        sh.expect(FX_PROMPT);
        sh.line(" SELECT 8;"); // leading space: not saved
        sh.expect("1 row in");
        sh.expect(FX_PROMPT);
        sh.send(CTRL_D);
        assert_eq!(sh.wait_exit(WAIT), Some(0));
    }
    let text = std::fs::read_to_string(dir.join("history")).unwrap();
    assert!(text.contains("SELECT 7;"), "{text}");
    assert!(!text.contains("SELECT 8"), "{text}");

    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(UP);
    sh.expect("SELECT 7;");
    sh.send(b"\r");
    sh.expect("SELECT 7;\n");
    let out = sh.expect("1 row in");
    assert!(out.lines().any(|l| l.trim() == "7"), "{out}");
}

#[test]
fn clickhouse_history_recalls_a_multi_line_statement_as_one_entry() {
    let dir = TempDir::new("ch-history");
    {
        let mut sh = spawn_on_clickhouse(dir.path());
        sh.expect(CH_PROMPT);
        sh.line("SELECT 1 AS one,");
        sh.expect("-> ");
        sh.line("2 AS two;");
        sh.expect("1 row in");
        sh.expect(CH_PROMPT);
        sh.send(CTRL_D);
        assert_eq!(sh.wait_exit(WAIT), Some(0));
    }
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.send(UP);
    sh.expect("2 AS two;");
    sh.send(b"\r");
    sh.expect("2 AS two;\n");
    let out = sh.expect("1 row in");
    assert!(out.contains("one │ two"), "{out}");
}

// ---- commands and settings -------------------------------------------------------------------

#[test]
fn set_sends_a_session_setting_with_every_query() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("set");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":set max_threads=2");
    sh.expect("sent with every query");
    sh.line("SELECT 1;");
    sh.expect("1 row in");
    let q = fx
        .queries()
        .into_iter()
        .rfind(|q| q.sql.trim() == "SELECT 1")
        .unwrap();
    assert!(
        q.settings.contains(&("max_threads".into(), "2".into())),
        "{:?}",
        q.settings
    );
    sh.line(":set demo.brokers=redpanda:9092");
    sh.expect("for the demo commands");
    sh.line(":settings");
    let out = sh.expect("demo.topic");
    assert!(out.contains("demo.brokers = redpanda:9092"), "{out}");
    assert!(out.contains("max_threads = 2"), "{out}");
    sh.line(":help windows");
    sh.expect("tumble(devices, 5s)");
    sh.line(":nosuch");
    sh.expect("unknown command");
    sh.line(":timing");
    sh.expect("timing off");
    sh.line("SELECT 1;");
    sh.expect(FX_PROMPT);
    sh.line("SELECT 2;");
    let out = sh.expect(FX_PROMPT);
    assert!(!out.contains("row in"), "{out}");
}

#[test]
fn status_line_shows_while_a_stream_runs() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("status");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    // A streaming query: the strip with the events read and the emits.
    sh.expect("events/s");
    sh.expect("emits, last");
    sh.expect("Ctrl-C cancels");
    sh.send(CTRL_C);
    sh.expect(FX_PROMPT);
}

#[test]
fn password_flag_without_value_prompts_without_echo() {
    let fx = ProtonFixture::builder().password("s3cret-pw").start();
    let dir = TempDir::new("password");
    let mut args = fixture_args(&fx, dir.path());
    args.push("--password".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut sh = Pty::spawn(&args, dir.path());
    sh.expect("Password: ");
    sh.send(b"s3cret-pw\r");
    sh.expect(FX_PROMPT);
    sh.line("SELECT 1;");
    sh.expect("1 row in");
    assert!(!sh.all().contains("s3cret-pw"), "{}", sh.all());
    let hist = std::fs::read_to_string(dir.join("history")).unwrap_or_default();
    assert!(!hist.contains("s3cret-pw"));
}

/// Not a test: serves the Proton fixture for trying the shell by hand, e.g.
/// `cargo test --test it serve_fixture -- --ignored --nocapture` then
/// `proton-shell --host 127.0.0.1 --port <printed port>`. Runs for FIXTURE_SECONDS (default 600).
#[test]
#[ignore]
fn serve_fixture() {
    let fx = ProtonFixture::builder()
        .display_name("proton")
        .handler(|q| {
            // A streaming aggregate, re-emitted every second (try the live view).
            (q.sql.trim() == "SELECT s, count() FROM ticker GROUP BY s").then(|| {
                let mut steps = vec![Step::header(&[("s", "string"), ("count()", "uint64")])];
                for i in 1..=60u64 {
                    steps.push(Step::Rows(vec![
                        vec!["a".into(), (10 * i).into()],
                        vec!["b".into(), (i / 3).into()],
                        vec!["c".into(), 7u64.into()],
                    ]));
                    steps.push(Step::Sleep(Duration::from_secs(1)));
                }
                Response::new(steps)
            })
        })
        .start();
    let secs: u64 = std::env::var("FIXTURE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    println!("fixture listening on {}", fx.addr());
    std::thread::sleep(Duration::from_secs(secs));
}

/// `-q` with a terminal on stdout: the table view (and exit 0); TSV is for pipes.
#[test]
fn batch_on_a_terminal_prints_a_table() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("batch-tty");
    let port = fx.port().to_string();
    let mut sh = Pty::spawn(
        &[
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "-q",
            "SELECT * FROM profile_demo",
        ],
        dir.path(),
    );
    let out = sh.expect(" 4 │ d");
    assert!(out.contains("id │ name"), "{out}");
    assert_eq!(sh.wait_exit(WAIT), Some(0));
}
