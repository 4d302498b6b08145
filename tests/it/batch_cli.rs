//! Batch mode of the real binary (`-q`, `-f`, stdin): output snapshots for every format, exit codes, SIGINT, config precedence.
//!
//! Snapshots live in `tests/snapshots/batch/*.txt`. `UPDATE_SNAPSHOTS=1 cargo test --test batch_cli`
//! rewrites them; review the diff. ClickHouse tests need `CLICKHOUSE_TEST_ADDR` (scripts/test.sh
//! sets it) and fail without it; the Proton fixture runs in-process.


use crate::support::fixture::{FValue, ProtonFixture, Response};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_proton-shell");

/// host and port of the ClickHouse test server; fails (never skips) without one.
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

/// A hermetic command: no user config, no PROTON_* from the environment, no colour.
fn cmd(scratch: &Path) -> Command {
    let mut c = Command::new(BIN);
    for v in [
        "PROTON_HOST",
        "PROTON_PORT",
        "PROTON_USER",
        "PROTON_PASSWORD",
        "PROTON_DATABASE",
        "PROTON_HISTORY_FILE",
        "PROTON_SHELL_CONFIG",
    ] {
        c.env_remove(v);
    }
    c.env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_DATA_HOME", scratch.join("data"))
        .env("HOME", scratch)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "proton-shell-batch-{name}-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Wait for the child, killing it after `limit`.
fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "proton-shell did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn run(c: &mut Command) -> Output {
    wait(
        c.spawn().expect("spawn proton-shell"),
        Duration::from_secs(30),
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/batch")
        .join(format!("{name}.txt"));
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    match std::fs::read_to_string(&path) {
        Ok(expected) if !update => assert!(
            expected == actual,
            "snapshot {name} differs (UPDATE_SNAPSHOTS=1 rewrites it)\n--- expected ({})\n{expected}\n--- actual\n{actual}",
            path.display()
        ),
        Ok(_) => std::fs::write(&path, actual).unwrap(),
        Err(_) => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, actual).unwrap();
            assert!(
                update,
                "new snapshot {} written; review it and run again",
                path.display()
            );
        }
    }
}

const FORMATS: &[&str] = &["table", "vertical", "json", "csv", "tsv", "raw", "live"];

/// Several column types, a NULL, an array, a tab and a quote that need escaping.
const CH_QUERY: &str = "SELECT number AS n, toString(number) AS s, number / 4 AS f, \
     if(number % 2 = 1, NULL, number) AS maybe, [number, number + 1] AS arr, \
     concat('x\\ty\"', toString(number)) AS esc, toDate('2024-01-02') + number AS d \
     FROM system.numbers LIMIT 3";

#[test]
fn clickhouse_every_format_matches_its_snapshot() {
    let (host, port) = clickhouse();
    let dir = scratch("ch-formats");
    for format in FORMATS {
        let out = run(cmd(&dir)
            .args(["--host", &host, "--port", &port, "--format", format, "-q"])
            .arg(CH_QUERY));
        assert!(
            out.status.success(),
            "{format}: {:?}\n{}",
            out.status,
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stderr),
            "",
            "{format}: batch mode prints nothing on stderr"
        );
        check_snapshot(&format!("clickhouse_{format}"), &text(&out.stdout));
    }
}

#[test]
fn clickhouse_tsv_and_csv_are_byte_identical_to_clickhouse_client() {
    let (host, port) = clickhouse();
    let dir = scratch("ch-identity");
    for (ours, theirs) in [("tsv", "TabSeparated"), ("csv", "CSV")] {
        let mine = run(cmd(&dir)
            .args(["--host", &host, "--port", &port, "--format", ours, "-q"])
            .arg(CH_QUERY));
        let reference = Command::new("clickhouse-client")
            .args([
                "--host", &host, "--port", &port, "--format", theirs, "--query",
            ])
            .arg(CH_QUERY)
            .stdin(Stdio::null())
            .output()
            .expect("clickhouse-client is installed with the test server");
        assert!(reference.status.success(), "{}", text(&reference.stderr));
        assert_eq!(text(&mine.stdout), text(&reference.stdout), "{ours}");
    }
}

fn types_fixture() -> ProtonFixture {
    ProtonFixture::builder()
        .display_name("proton-fixture")
        .handler(|q| {
            (q.sql.trim() == "SELECT * FROM types").then(|| {
                Response::table(
                    &[
                        ("id", "uint64"),
                        ("name", "string"),
                        ("note", "nullable(string)"),
                        ("tags", "array(int32)"),
                        ("at", "datetime64(3, 'UTC')"),
                        ("ratio", "float64"),
                        ("ok", "bool"),
                    ],
                    vec![
                        vec![
                            FValue::UInt(1),
                            "alpha".into(),
                            FValue::Null,
                            FValue::Array(vec![FValue::Int(1), FValue::Int(-2)]),
                            FValue::Int(1_700_000_000_123),
                            FValue::Float(0.5),
                            FValue::Bool(true),
                        ],
                        vec![
                            FValue::UInt(2),
                            "tab\there, \"quoted\"".into(),
                            "a note".into(),
                            FValue::Array(vec![]),
                            FValue::Int(1_700_000_001_000),
                            FValue::Float(-3.25),
                            FValue::Bool(false),
                        ],
                    ],
                )
            })
        })
        .start()
}

#[test]
fn proton_fixture_every_format_matches_its_snapshot() {
    let fx = types_fixture();
    let dir = scratch("fx-formats");
    let port = fx.port().to_string();
    for format in FORMATS {
        let out = run(cmd(&dir).args([
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--format",
            format,
            "-q",
            "SELECT * FROM types",
        ]));
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        check_snapshot(&format!("proton_{format}"), &text(&out.stdout));
    }
}

#[test]
fn vertical_flag_and_trailing_g() {
    let fx = types_fixture();
    let dir = scratch("fx-vertical");
    let port = fx.port().to_string();
    let a = run(cmd(&dir).args([
        "--port",
        &port,
        "--host",
        "127.0.0.1",
        "-E",
        "-q",
        "SELECT * FROM types",
    ]));
    let b = run(cmd(&dir).args([
        "--port",
        &port,
        "--host",
        "127.0.0.1",
        "-q",
        "SELECT * FROM types\\G",
    ]));
    assert!(a.status.success() && b.status.success());
    assert_eq!(text(&a.stdout), text(&b.stdout));
    check_snapshot("proton_vertical", &text(&a.stdout));
}

#[test]
fn several_statements_from_q_f_and_stdin_run_in_order() {
    let (host, port) = clickhouse();
    let dir = scratch("sources");
    let file = dir.join("two.sql");
    std::fs::write(
        &file,
        "-- a comment; with a semicolon\nSELECT 3;\nSELECT ';4';\n",
    )
    .unwrap();
    let out = run(cmd(&dir)
        .args(["--host", &host, "--port", &port])
        .args(["-q", "SELECT 1; SELECT 2", "-f"])
        .arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n2\n3\n;4\n");

    let mut child = cmd(&dir)
        .args(["--host", &host, "--port", &port])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT 'a';\nSELECT\n  'b'\n;\nSELECT 'c'")
        .unwrap();
    let out = wait(child, Duration::from_secs(20));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a\nb\nc\n");
}

#[test]
fn exit_code_1_for_a_query_error_with_code_message_and_caret() {
    let (host, port) = clickhouse();
    let dir = scratch("qerr");
    let out = run(cmd(&dir)
        .args(["--host", &host, "--port", &port])
        .args(["-q", "SELECT 1; SELECT (1 FROM nowhere; SELECT 2"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "1\n", "stops at the first error");
    let err = text(&out.stderr);
    assert!(err.contains("Code: 62."), "{err}");
    assert!(err.contains("  SELECT (1 FROM nowhere\n"), "{err}");
    assert!(err.contains("^"), "{err}");
    assert!(
        !err.contains("\x1b["),
        "no colour when not a terminal: {err:?}"
    );

    let out = run(cmd(&dir)
        .args(["--host", &host, "--port", &port])
        .args(["-q", "SELECT * FROM no_such_table_here"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Code: 60."));
}

#[test]
fn exit_code_1_on_the_proton_fixture_too() {
    let fx = ProtonFixture::start();
    let dir = scratch("fx-err");
    let out = run(cmd(&dir).args([
        "--host",
        "127.0.0.1",
        "--port",
        &fx.port().to_string(),
        "-q",
        "SELECT * FROM missing",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("Code: 60."), "{err}");
    assert!(err.contains("SHOW STREAMS"), "hint expected: {err}");
}

#[test]
fn exit_code_3_when_nothing_listens() {
    let dir = scratch("refused");
    // Bind and drop to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(cmd(&dir).args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--password",
        "hunter2",
        "-q",
        "SELECT 1",
    ]));
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("cannot connect"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password must never be printed: {err}"
    );
}

#[test]
fn exit_code_2_for_usage_errors() {
    let dir = scratch("usage");
    let out = run(cmd(&dir).args(["--format", "xml", "-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown format"));
    let out = run(cmd(&dir).args(["--no-such-flag"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(cmd(&dir).args(["-f", "/nonexistent/file.sql"]));
    assert_eq!(out.status.code(), Some(2));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "prot = 1\n").unwrap();
    let out = run(cmd(&dir).arg("--config").arg(&bad).args(["-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("prot"), "{}", text(&out.stderr));
}

#[test]
fn wrong_password_is_not_echoed() {
    let fx = ProtonFixture::builder().password("right").start();
    let dir = scratch("pw");
    let out = run(cmd(&dir).args([
        "--host",
        "127.0.0.1",
        "--port",
        &fx.port().to_string(),
        "--password",
        "wrong-secret-value",
        "-q",
        "SELECT 1",
    ]));
    assert_ne!(out.status.code(), Some(0));
    let all = text(&out.stderr) + &text(&out.stdout);
    assert!(!all.contains("wrong-secret-value"), "{all}");
}

#[test]
fn flags_beat_env_which_beats_the_config_file() {
    let fx = ProtonFixture::start();
    let dir = scratch("precedence");
    let good = fx.port().to_string();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let conf = dir.join("config.toml");
    std::fs::write(&conf, format!("host = '127.0.0.1'\nport = {dead}\n")).unwrap();
    // File alone: the dead port.
    let out = run(cmd(&dir)
        .arg("--config")
        .arg(&conf)
        .args(["-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // Env beats the file.
    let out = run(cmd(&dir)
        .arg("--config")
        .arg(&conf)
        .env("PROTON_PORT", &good)
        .args(["-q", "SELECT 1"]));
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    // A flag beats the env.
    let out = run(cmd(&dir)
        .arg("--config")
        .arg(&conf)
        .env("PROTON_PORT", &dead)
        .args(["--port", &good, "-q", "SELECT 1"]));
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    // The default config file location (XDG_CONFIG_HOME/proton-shell/config.toml) is read.
    let xdg = dir.join("config/proton-shell");
    std::fs::create_dir_all(&xdg).unwrap();
    std::fs::write(
        xdg.join("config.toml"),
        format!("port = {good}\nhost = '127.0.0.1'\n"),
    )
    .unwrap();
    let out = run(cmd(&dir).args(["-q", "SELECT 1"]));
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
}

#[test]
fn settings_from_the_config_file_are_sent_with_every_query() {
    let fx = ProtonFixture::start();
    let dir = scratch("settings");
    let conf = dir.join("c.toml");
    std::fs::write(&conf, "[settings]\nmax_threads = 3\n").unwrap();
    let out = run(cmd(&dir).arg("--config").arg(&conf).args([
        "--host",
        "127.0.0.1",
        "--port",
        &fx.port().to_string(),
        "-q",
        "SELECT 1",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let q = fx.last_query().unwrap();
    assert!(
        q.settings
            .contains(&("max_threads".to_string(), "3".to_string())),
        "{:?}",
        q.settings
    );
}

/// SIGINT during an endless batch query: Cancel reaches the server and the process exits 130 quickly.
#[test]
fn sigint_cancels_on_the_server_and_exits_130() {
    let fx = ProtonFixture::start();
    let dir = scratch("sigint");
    let mut child = cmd(&dir)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &fx.port().to_string(),
            "-q",
            "SELECT * FROM ticker",
        ])
        .spawn()
        .unwrap();
    // Wait for rows to flow.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    stdout.read_exact(&mut first).unwrap();
    let sent = Instant::now();
    // SAFETY: plain kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = wait(child, Duration::from_secs(5));
    let took = sent.elapsed();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(took < Duration::from_millis(500), "exit took {took:?}");
    assert!(fx.cancels_received() >= 1, "Cancel was not sent");
}

#[test]
fn sigint_on_clickhouse_endless_query() {
    let (host, port) = clickhouse();
    let dir = scratch("ch-sigint");
    let mut child = cmd(&dir)
        .args(["--host", &host, "--port", &port, "-q"])
        .arg("SET max_block_size = 1; SELECT number, sleepEachRow(0.01) FROM system.numbers")
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4];
    stdout.read_exact(&mut first).unwrap();
    let sent = Instant::now();
    // SAFETY: plain kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = wait(child, Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        sent.elapsed() < Duration::from_millis(500),
        "{:?}",
        sent.elapsed()
    );
}

#[test]
fn closed_stdout_stops_the_query() {
    let fx = ProtonFixture::start();
    let dir = scratch("epipe");
    let mut child = cmd(&dir)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &fx.port().to_string(),
            "-q",
            "SELECT * FROM ticker",
        ])
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -1`
    let out = wait(child, Duration::from_secs(5));
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        text(&out.stderr)
    );
    assert!(fx.wait_idle(Duration::from_secs(3)), "query still running");
}
