//! The interactive shell driven through a real pseudo-terminal, against the Proton fixture and the ClickHouse test server.
//!
//! A small PTY harness (openpty + setsid, no extra crates) runs the real binary, types into
//! it and waits for text to appear on the screen (ANSI sequences stripped). It answers the
//! line editor's cursor-position queries the way a terminal would. ClickHouse tests need
//! `CLICKHOUSE_TEST_ADDR` (set by scripts/test.sh) and fail without it.


use crate::support::fixture::{ProtonFixture, Response, Step};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_proton-shell");
const WAIT: Duration = Duration::from_secs(10);
const CTRL_C: &[u8] = b"\x03";
const CTRL_D: &[u8] = b"\x04";
const UP: &[u8] = b"\x1b[A";

fn clickhouse() -> (String, String) {
    let addr = std::env::var("CLICKHOUSE_TEST_ADDR").unwrap_or_default();
    assert!(
        !addr.is_empty(),
        "CLICKHOUSE_TEST_ADDR is not set: run the tests with scripts/test.sh, which starts a \
         ClickHouse test server (or `eval \"$(scripts/clickhouse-test-server.sh start)\"` first)"
    );
    let (h, p) = addr
        .rsplit_once(':')
        .expect("CLICKHOUSE_TEST_ADDR is host:port");
    (h.to_string(), p.to_string())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "proton-shell-pty-{name}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Remove ANSI escape sequences (CSI, OSC, and two-byte ESC sequences) and carriage returns.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\x1b' => match it.next() {
                Some('[') => {
                    for c in it.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = it.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' {
                            it.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The binary running on a pseudo-terminal.
struct Pty {
    master: File,
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    /// Byte offset in `screen` where the next `expect` starts looking.
    mark: usize,
}

impl Pty {
    fn spawn(args: &[&str], dir: &Path) -> Pty {
        Self::spawn_with(args, dir, &[])
    }

    fn spawn_with(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let ws = libc::winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two fds; the winsize pointer is valid.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(rc, 0, "openpty failed");
        // SAFETY: both fds were just returned by openpty and are owned here.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        for v in [
            "PROTON_HOST",
            "PROTON_PORT",
            "PROTON_USER",
            "PROTON_PASSWORD",
            "PROTON_DATABASE",
            "PROTON_SHELL_HISTORY",
            "PROTON_SHELL_CONFIG",
            "NO_COLOR",
        ] {
            cmd.env_remove(v);
        }
        cmd.env("TERM", "xterm-256color")
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("HOME", dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn proton-shell on a pty");
        drop(cmd); // closes our copies of the slave side
        let master = File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let mut answer = master.try_clone().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break, // EIO once the child has gone
                    Ok(n) => {
                        let chunk = &buf[..n];
                        // Answer "where is the cursor?" like a terminal would.
                        if chunk.windows(4).any(|w| w == b"\x1b[6n") {
                            let _ = answer.write_all(b"\x1b[1;1R");
                        }
                        sink.lock().unwrap().extend_from_slice(chunk);
                    }
                }
            }
        });
        Pty {
            master,
            child,
            screen,
            mark: 0,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
        self.master.flush().unwrap();
    }

    /// Type a line, press Enter, and wait for the editor to finish echoing it, so that later
    /// `expect`s only see what came after (the editor redraws the prompt as you type).
    fn line(&mut self, text: &str) {
        self.send(text.as_bytes());
        self.send(b"\r");
        self.expect(&format!("{text}\n"));
    }

    /// Everything on the screen so far (ANSI stripped).
    fn all(&self) -> String {
        strip_ansi(&String::from_utf8_lossy(&self.screen.lock().unwrap()))
    }

    /// Screen text since the mark.
    fn since_mark(&self) -> String {
        let s = self.screen.lock().unwrap();
        strip_ansi(&String::from_utf8_lossy(&s[self.mark.min(s.len())..]))
    }

    /// Wait until `needle` shows up after the mark; move the mark past it. Returns the text
    /// from the old mark to the end of the match.
    fn expect(&mut self, needle: &str) -> String {
        self.expect_within(needle, WAIT)
    }

    fn expect_within(&mut self, needle: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            {
                let s = self.screen.lock().unwrap();
                let raw = &s[self.mark.min(s.len())..];
                let text = strip_ansi(&String::from_utf8_lossy(raw));
                if let Some(i) = text.find(needle) {
                    // Advance the mark: find how many raw bytes cover the match.
                    let want = &text[..i + needle.len()];
                    let mut n = 0;
                    while n < raw.len() {
                        n += 1;
                        if strip_ansi(&String::from_utf8_lossy(&raw[..n])).len() >= want.len() {
                            break;
                        }
                    }
                    self.mark += n;
                    return want.to_string();
                }
            }
            if start.elapsed() > limit {
                panic!(
                    "waited {limit:?} for {needle:?}; screen since mark:\n{}\n--- whole screen:\n{}",
                    self.since_mark(),
                    self.all()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait for the process to exit; its exit code.
    fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "the shell did not exit within {limit:?}; screen:\n{}",
                    self.all()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn is_alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.master.as_raw_fd();
    }
}

fn fixture_args(fx: &ProtonFixture, dir: &Path) -> Vec<String> {
    vec![
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        fx.port().to_string(),
        "--history-file".into(),
        dir.join("history").display().to_string(),
    ]
}

fn spawn_on_fixture(fx: &ProtonFixture, dir: &Path) -> Pty {
    let args = fixture_args(fx, dir);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Pty::spawn(&args, dir)
}

fn spawn_on_clickhouse(dir: &Path) -> Pty {
    let (host, port) = clickhouse();
    let hist = dir.join("history").display().to_string();
    Pty::spawn(
        &["--host", &host, "--port", &port, "--history-file", &hist],
        dir,
    )
}

const FX_PROMPT: &str = "fixture@127.0.0.1:default> ";

// ---- start, query, output ----------------------------------------------------------------

#[test]
fn fixture_start_query_and_output() {
    let fx = ProtonFixture::start();
    let dir = scratch("start");
    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("ch-start");
    let mut sh = spawn_on_clickhouse(&dir);
    sh.expect(":default> ");
    sh.line("SELECT number * 2 AS twice, toString(number) AS s FROM system.numbers LIMIT 3;");
    let out = sh.expect(":default> ");
    assert!(out.contains("twice │ s"), "{out}");
    assert!(out.contains("    4 │ 2"), "{out}");
    assert!(out.contains("3 rows in"), "{out}");
    // Two statements on one line run in order; \G is vertical.
    sh.line("SELECT 'first' AS a; SELECT 'second' AS b\\G");
    let out = sh.expect("1 row in");
    assert!(out.contains("first"), "{out}");
    let out = sh.expect(":default> ");
    assert!(out.contains("b: second"), "{out}");
}

// ---- errors --------------------------------------------------------------------------------

#[test]
fn server_error_shows_code_and_the_shell_continues() {
    let fx = ProtonFixture::start();
    let dir = scratch("err");
    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("ch-caret");
    let mut sh = spawn_on_clickhouse(&dir);
    sh.expect(":default> ");
    sh.line("SELECT 1, (2 FROM x;");
    let out = sh.expect(":default> ");
    assert!(out.contains("Code: 62."), "{out}");
    assert!(
        out.contains("  SELECT 1, (2 FROM x\n               ^"),
        "{out}"
    );
}

// ---- Ctrl-C ----------------------------------------------------------------------------------

/// Endless stream, Ctrl-C: Cancel reaches the server, the prompt is back at once, and the
/// next query answers on the same connection.
#[test]
fn fixture_ctrl_c_cancels_an_endless_query() {
    let fx = ProtonFixture::start();
    let dir = scratch("cancel");
    let mut sh = spawn_on_fixture(&fx, &dir);
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    sh.expect("streaming query: runs until Ctrl-C");
    sh.expect("row-10");
    let sent = Instant::now();
    sh.send(CTRL_C);
    let out = sh.expect("Query cancelled (");
    sh.expect(FX_PROMPT);
    let latency = sent.elapsed();
    assert!(
        latency < Duration::from_millis(1000),
        "prompt after {latency:?}"
    );
    assert!(!out.contains("^C"), "no ^C echo: {out}");
    assert!(fx.wait_until(Duration::from_secs(2), |f| f.cancels_received() == 1));
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

#[test]
fn clickhouse_ctrl_c_cancels_an_endless_query() {
    let dir = scratch("ch-cancel");
    let mut sh = spawn_on_clickhouse(&dir);
    sh.expect(":default> ");
    sh.line("SET max_block_size = 1;");
    sh.expect("OK");
    sh.expect(":default> ");
    sh.line("SELECT number, sleepEachRow(0.01) FROM system.numbers;");
    sh.expect("\n    20 │");
    let sent = Instant::now();
    sh.send(CTRL_C);
    sh.expect("Query cancelled (");
    sh.expect(":default> ");
    assert!(
        sent.elapsed() < Duration::from_millis(1000),
        "{:?}",
        sent.elapsed()
    );
    sh.line("SELECT 40 + 2 AS answer;");
    let out = sh.expect(":default> ");
    assert!(out.contains("42"), "{out}");
}

/// 50 Ctrl-C in one second, during a query and at the prompt: no crash, no garbage, and the
/// shell still answers.
#[test]
fn fifty_ctrl_c_in_a_second_do_no_harm() {
    let fx = ProtonFixture::start();
    let dir = scratch("hammer");
    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("clear");
    let mut sh = spawn_on_fixture(&fx, &dir);
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

/// The server never confirms the cancel: the prompt is back at once all the same; the next
/// statement waits for the drain, and a second Ctrl-C drops the connection, which comes back
/// on the statement after.
#[test]
fn second_ctrl_c_while_draining_drops_the_connection() {
    let fx = ProtonFixture::builder().ignore_cancel(true).start();
    let dir = scratch("drop");
    let mut sh = spawn_on_fixture(&fx, &dir);
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    sh.expect("row-3");
    let sent = Instant::now();
    sh.send(CTRL_C);
    sh.expect("Query cancelled (");
    sh.expect(FX_PROMPT);
    assert!(sent.elapsed() < Duration::from_millis(1000));
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
    let dir = scratch("live");
    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("lost");
    let mut sh = spawn_on_fixture(&fx, &dir);
    sh.expect(FX_PROMPT);
    sh.line("SELECT 'bye';");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("lost"), "{out}");
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("reconnected to 127.0.0.1"), "{out}");
    assert!(out.contains("1 row in"), "{out}");
}

// ---- editing: multi-line, Ctrl-D, history ----------------------------------------------------

#[test]
fn multi_line_entry_continues_until_the_semicolon() {
    let fx = ProtonFixture::start();
    let dir = scratch("multiline");
    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("ch-multiline");
    let mut sh = spawn_on_clickhouse(&dir);
    sh.expect(":default> ");
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
    let dir = scratch("eof");
    let mut sh = spawn_on_fixture(&fx, &dir);
    sh.expect(FX_PROMPT);
    sh.send(CTRL_D);
    assert_eq!(sh.wait_exit(Duration::from_secs(5)), Some(0));
}

#[test]
fn exit_words_leave_the_shell() {
    for word in ["exit", "quit", ":q"] {
        let fx = ProtonFixture::start();
        let dir = scratch("exit");
        let mut sh = spawn_on_fixture(&fx, &dir);
        sh.expect(FX_PROMPT);
        sh.line(word);
        assert_eq!(sh.wait_exit(Duration::from_secs(5)), Some(0), "{word}");
    }
}

#[test]
fn history_is_written_and_recalled_with_up() {
    let fx = ProtonFixture::start();
    let dir = scratch("history");
    {
        let mut sh = spawn_on_fixture(&fx, &dir);
        sh.expect(FX_PROMPT);
        sh.line("SELECT 7;");
        sh.expect("1 row in");
        sh.expect(FX_PROMPT);
        sh.line(" SELECT 8;"); // leading space: not saved
        sh.expect("1 row in");
        sh.expect(FX_PROMPT);
        sh.send(CTRL_D);
        assert_eq!(sh.wait_exit(Duration::from_secs(5)), Some(0));
    }
    let text = std::fs::read_to_string(dir.join("history")).unwrap();
    assert!(text.contains("SELECT 7;"), "{text}");
    assert!(!text.contains("SELECT 8"), "{text}");

    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("ch-history");
    {
        let mut sh = spawn_on_clickhouse(&dir);
        sh.expect(":default> ");
        sh.line("SELECT 1 AS one,");
        sh.expect("-> ");
        sh.line("2 AS two;");
        sh.expect("1 row in");
        sh.expect(":default> ");
        sh.send(CTRL_D);
        assert_eq!(sh.wait_exit(Duration::from_secs(5)), Some(0));
    }
    let mut sh = spawn_on_clickhouse(&dir);
    sh.expect(":default> ");
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
    let dir = scratch("set");
    let mut sh = spawn_on_fixture(&fx, &dir);
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
    let dir = scratch("status");
    let mut sh = spawn_on_fixture(&fx, &dir);
    sh.expect(FX_PROMPT);
    sh.line("SELECT * FROM ticker;");
    sh.expect("rows/s");
    sh.expect("Ctrl-C cancels");
    sh.send(CTRL_C);
    sh.expect(FX_PROMPT);
}

#[test]
fn password_flag_without_value_prompts_without_echo() {
    let fx = ProtonFixture::builder().password("s3cret-pw").start();
    let dir = scratch("password");
    let mut args = fixture_args(&fx, &dir);
    args.push("--password".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut sh = Pty::spawn(&args, &dir);
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
/// `cargo test --test shell_pty serve_fixture -- --ignored --nocapture` then
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
    let dir = scratch("batch-tty");
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
        &dir,
    );
    let out = sh.expect(" 4 │ d");
    assert!(out.contains("id │ name"), "{out}");
    assert_eq!(sh.wait_exit(Duration::from_secs(5)), Some(0));
}
