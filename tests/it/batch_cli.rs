//! Batch mode of the real binary (`-q`, `-f`, stdin): output snapshots for every format, exit codes, SIGINT, config precedence.
//!
//! Snapshots live in `tests/snapshots/batch/*.txt`. `UPDATE_SNAPSHOTS=1 cargo test --test it batch_cli`
//! rewrites them; review the diff. ClickHouse tests need `CLICKHOUSE_TEST_ADDR` (scripts/test.sh
//! sets it) and fail without it; the Proton fixture runs in-process.

use crate::support::fixture::{FValue, ProtonFixture, Response};
use std::io::Read;
use std::path::Path;

use crate::support::{
    self, batch, clickhouse_client, clickhouse_running, run, run_with_stdin, sigint, text,
    wait_output, wait_until, TempDir, WAIT,
};

/// Host and port (as text) of the ClickHouse test server; fails (never skips) without one.
fn clickhouse() -> (String, String) {
    let (host, port) = support::clickhouse();
    (host, port.to_string())
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
    let dir = TempDir::new("ch-formats");
    for format in FORMATS {
        let out = run(batch(dir.path())
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
    let dir = TempDir::new("ch-identity");
    for (ours, theirs) in [("tsv", "TabSeparated"), ("csv", "CSV")] {
        let mine = run(batch(dir.path())
            .args(["--host", &host, "--port", &port, "--format", ours, "-q"])
            .arg(CH_QUERY));
        let reference = clickhouse_client(theirs, CH_QUERY);
        assert_eq!(text(&mine.stdout), text(&reference), "{ours}");
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
    let dir = TempDir::new("fx-formats");
    let port = fx.port().to_string();
    for format in FORMATS {
        let out = run(batch(dir.path()).args([
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
    let dir = TempDir::new("fx-vertical");
    let port = fx.port().to_string();
    let a = run(batch(dir.path()).args([
        "--port",
        &port,
        "--host",
        "127.0.0.1",
        "-E",
        "-q",
        "SELECT * FROM types",
    ]));
    let b = run(batch(dir.path()).args([
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
fn a_format_clause_picks_the_output_format_of_its_statement() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("ch-format-clause");
    let q = |sql: &str| {
        run(batch(dir.path())
            .args(["--host", &host, "--port", &port, "--format", "tsv", "-q"])
            .arg(sql))
    };
    // The clause wins over --format for its own statement only.
    let out = q(
        "SELECT number AS n, toString(number) AS s FROM system.numbers LIMIT 2 \
                 FORMAT JSONEachRow; SELECT 7",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"n\":0,\"s\":\"0\"}\n{\"n\":1,\"s\":\"1\"}\n7\n"
    );
    // Null: the rows are received and counted, nothing is shown.
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port, "--time", "-q"])
        .arg("SELECT number FROM system.numbers LIMIT 100000 FORMAT Null"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("100,000 rows"),
        "{}",
        text(&out.stderr)
    );
    // …WithNames: a line of column names first, escaped as the values are (as clickhouse-client).
    let out =
        q("SELECT number AS n, 'a\tb' AS `t\tx` FROM system.numbers LIMIT 2 FORMAT CSVWithNames");
    assert_eq!(
        text(&out.stdout),
        "\"n\",\"t\tx\"\n0,\"a\tb\"\n1,\"a\tb\"\n"
    );
    let out =
        q("SELECT number AS n, 'a\tb' AS `t\tx` FROM system.numbers LIMIT 2 FORMAT TSVWithNames");
    assert_eq!(text(&out.stdout), "n\tt\\tx\n0\ta\\tb\n1\ta\\tb\n");
    // A format the shell cannot write is refused before anything is sent: exit 2.
    let out = q("SELECT 1 FORMAT XML");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("FORMAT XML"),
        "{}",
        text(&out.stderr)
    );
    // FORMAT inside a string literal is not a clause.
    let out = q("SELECT 'x FORMAT XML' AS a FORMAT CSV");
    assert_eq!(text(&out.stdout), "\"x FORMAT XML\"\n");
}

#[test]
fn several_statements_from_q_f_and_stdin_run_in_order() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("sources");
    let file = dir.join("two.sql");
    std::fs::write(
        &file,
        "-- a comment; with a semicolon\nSELECT 3;\nSELECT ';4';\n",
    )
    .unwrap();
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port])
        .args(["-q", "SELECT 1; SELECT 2", "-f"])
        .arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n2\n3\n;4\n");

    let out = run_with_stdin(
        batch(dir.path()).args(["--host", &host, "--port", &port]),
        b"SELECT 'a';\nSELECT\n  'b'\n;\nSELECT 'c'",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a\nb\nc\n");
}

#[test]
fn exit_code_1_for_a_query_error_with_code_message_and_caret() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("qerr");
    let out = run(batch(dir.path())
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

    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port])
        .args(["-q", "SELECT * FROM no_such_table_here"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Code: 60."));
}

#[test]
fn exit_code_1_on_the_proton_fixture_too() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("fx-err");
    let out = run(batch(dir.path()).args([
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
    let dir = TempDir::new("refused");
    // Bind and drop to find a port nothing listens on.
    let port = support::dead_port();
    let out = run(batch(dir.path()).args([
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
fn a_password_value_on_the_command_line_warns_once() {
    let dir = TempDir::new("argv-pw");
    let port = support::dead_port().to_string();
    let args = ["--host", "127.0.0.1", "--port", &port, "-q", "SELECT 1"];
    let out = run(batch(dir.path()).args(args).args(["--password", "hunter2"]));
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("visible to other users in `ps`").count(),
        1,
        "{err}"
    );
    assert!(err.contains("PROTON_PASSWORD"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    // The same password from the environment is not on the command line: no warning.
    let out = run(batch(dir.path())
        .args(args)
        .env("PROTON_PASSWORD", "hunter2"));
    let err = text(&out.stderr);
    assert!(err.contains("cannot connect"), "{err}");
    assert!(!err.contains("`ps`"), "{err}");
}

#[test]
fn exit_code_2_for_usage_errors() {
    let dir = TempDir::new("usage");
    let out = run(batch(dir.path()).args(["--format", "xml", "-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown format"));
    let out = run(batch(dir.path()).args(["--no-such-flag"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(batch(dir.path()).args(["-f", "/nonexistent/file.sql"]));
    assert_eq!(out.status.code(), Some(2));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "prot = 1\n").unwrap();
    let out = run(batch(dir.path())
        .arg("--config")
        .arg(&bad)
        .args(["-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("prot"), "{}", text(&out.stderr));
}

#[test]
fn wrong_password_is_not_echoed() {
    let fx = ProtonFixture::builder().password("right").start();
    let dir = TempDir::new("pw");
    let out = run(batch(dir.path()).args([
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
    let dir = TempDir::new("precedence");
    let good = fx.port().to_string();
    let dead = support::dead_port().to_string();
    let conf = dir.join("config.toml");
    std::fs::write(&conf, format!("host = '127.0.0.1'\nport = {dead}\n")).unwrap();
    // File alone: the dead port.
    let out = run(batch(dir.path())
        .arg("--config")
        .arg(&conf)
        .args(["-q", "SELECT 1"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // Env beats the file.
    let out = run(batch(dir.path())
        .arg("--config")
        .arg(&conf)
        .env("PROTON_PORT", &good)
        .args(["-q", "SELECT 1"]));
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    // A flag beats the env.
    let out = run(batch(dir.path())
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
    let out = run(batch(dir.path()).args(["-q", "SELECT 1"]));
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
}

#[test]
fn settings_from_the_config_file_are_sent_with_every_query() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("settings");
    let conf = dir.join("c.toml");
    std::fs::write(&conf, "[settings]\nmax_threads = 3\n").unwrap();
    let out = run(batch(dir.path()).arg("--config").arg(&conf).args([
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

/// What ClickHouse says `max_block_size` is in the session.
const SHOW_BLOCK_SIZE: &str = "SELECT value FROM system.settings WHERE name = 'max_block_size'";

/// `:set` in batch input reaches the server as in the shell (on ClickHouse 18.16, which takes
/// no per-query settings, as a `SET`), whether it comes from stdin, `-q` or `-f`; a `;` after
/// it out of SQL habit is not part of the value.
#[test]
fn set_in_batch_input_takes_effect_from_stdin_q_and_f() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("batch-set");
    let script = format!(":set max_block_size=7\n{SHOW_BLOCK_SIZE};\n");

    let out = run_with_stdin(
        batch(dir.path()).args(["--host", &host, "--port", &port]),
        script.as_bytes(),
    );
    assert!(out.status.success(), "stdin: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "7\n", "stdin");

    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port])
        .args(["-q", ":set max_block_size=7;", "-q", SHOW_BLOCK_SIZE]));
    assert!(out.status.success(), "-q: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "7\n", "-q");

    let file = dir.join("set.sql");
    std::fs::write(&file, &script).unwrap();
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port, "-f"])
        .arg(&file));
    assert!(out.status.success(), "-f: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "7\n", "-f");
}

/// A limit set with `:set` holds in batch as interactively: the query breaking it fails, exit 1.
#[test]
fn a_limit_set_in_batch_input_holds() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("batch-set-limit");
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port])
        .args(["-q", ":set max_result_rows=1"])
        .args(["-q", "SELECT number FROM system.numbers LIMIT 5"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Code: 396."),
        "{}",
        text(&out.stderr)
    );
}

/// A value the server refuses stops the run with its error and exit 1, as any failed statement.
#[test]
fn a_refused_set_in_batch_input_exits_1_with_the_servers_error() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("batch-set-bad");
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port])
        .args([
            "-q",
            ":set max_block_size=abc",
            "-q",
            "SELECT 'not reached'",
        ]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Code: 70."),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("max_block_size is not set to `abc`"),
        "the value refused is named: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "");

    // On Proton the setting goes with every query once the trial `SELECT 1` carrying it
    // succeeded; this fixture refuses the trial as Proton refuses an unknown setting.
    let fx = ProtonFixture::builder()
        .handler(|q| {
            let refused = q.sql.trim() == "SELECT 1"
                && q.settings.iter().any(|(k, _)| k == "nonsense_setting");
            refused.then(|| Response::exception(115, "Unknown setting nonsense_setting"))
        })
        .start();
    let fx_port = fx.port().to_string();
    let out = run(batch(dir.path())
        .args(["--host", "127.0.0.1", "--port", &fx_port])
        .args(["-q", ":set nonsense_setting=1", "-q", "SELECT 2"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Unknown setting nonsense_setting"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "");
    let out = run(batch(dir.path())
        .args(["--host", "127.0.0.1", "--port", &fx_port])
        .args(["-q", ":set max_threads=2", "-q", "SELECT 2"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let q = fx.last_query().unwrap();
    assert!(
        q.settings.contains(&("max_threads".into(), "2".into())),
        "{:?}",
        q.settings
    );
}

/// SIGINT during an endless batch query: Cancel reaches the server and the process exits 130.
#[test]
fn sigint_cancels_on_the_server_and_exits_130() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("sigint");
    let mut child = batch(dir.path())
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
    sigint(child.id());
    let out = wait_output(child, WAIT);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(fx.cancels_received() >= 1, "Cancel was not sent");
    assert!(fx.wait_idle(WAIT), "the query still runs on the server");
}

#[test]
fn sigint_on_clickhouse_endless_query() {
    const MARK: &str = "batch-sigint-endless";
    let (host, port) = clickhouse();
    let dir = TempDir::new("ch-sigint");
    let mut child = batch(dir.path())
        .args(["--host", &host, "--port", &port, "-q"])
        .arg(format!(
            "SET max_block_size = 1; SELECT number, sleepEachRow(0.01) FROM system.numbers /* {MARK} */"
        ))
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4];
    stdout.read_exact(&mut first).unwrap();
    sigint(child.id());
    let out = wait_output(child, WAIT);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        wait_until(WAIT, || clickhouse_running(MARK) == 0),
        "the endless query is still in system.processes after {WAIT:?}"
    );
}

#[test]
fn closed_stdout_stops_the_query() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("epipe");
    let mut child = batch(dir.path())
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
    let out = wait_output(child, WAIT);
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        text(&out.stderr)
    );
    assert!(fx.wait_idle(WAIT), "query still running");
}

/// A write that fails for any reason but a closed pipe (here a full disk) loses rows: the
/// run says so and exits 1, where it used to stop quietly with 0.
#[test]
fn a_full_disk_under_stdout_is_an_error_not_a_quiet_stop() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("dev-full");
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port])
        .args(["-q", "SELECT number FROM system.numbers LIMIT 100000"])
        .stdout(full));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot write the output"),
        "{}",
        text(&out.stderr)
    );
}

/// A stderr that cannot be written (closed, or a full disk) must not turn a query error
/// into a panic (exit 101), nor stop the statements after a warning.
#[test]
fn an_unwritable_stderr_keeps_the_exit_codes() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("stderr-full");
    let err = |args: &[&str]| {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        run(batch(dir.path())
            .args(["--host", &host, "--port", &port])
            .args(args)
            .stderr(full))
    };
    assert_eq!(err(&["-q", "SELECT nosuch"]).status.code(), Some(1));
    let timed = err(&["--time", "-q", "SELECT 1; SELECT 2"]);
    assert_eq!(timed.status.code(), Some(0));
    assert_eq!(text(&timed.stdout), "1\n2\n");
}

/// A file saved with a byte-order mark (as Windows editors do) runs like any other.
#[test]
fn a_byte_order_mark_before_the_statements_is_ignored() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("bom");
    let file = dir.join("bom.sql");
    std::fs::write(&file, "\u{feff}SELECT 1;\n").unwrap();
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port, "-f"])
        .arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n");
    let out = run_with_stdin(
        batch(dir.path()).args(["--host", &host, "--port", &port]),
        "\u{feff}SELECT 2;".as_bytes(),
    );
    assert_eq!(text(&out.stdout), "2\n", "{}", text(&out.stderr));
}

/// `-f schema.sql -q 'INSERT …'` must run the file first: inputs run in command-line order.
#[test]
fn queries_and_files_run_in_command_line_order() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("input-order");
    let file = dir.join("a.sql");
    std::fs::write(&file, "SELECT 100;\n").unwrap();
    let out = run(batch(dir.path())
        .args(["--host", &host, "--port", &port, "-q", "SELECT 1", "-f"])
        .arg(&file)
        .args(["-q", "SELECT 2"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n100\n2\n");
}

/// `-f -` reads the statements from standard input, in its place among the inputs.
#[test]
fn dash_as_the_file_is_standard_input() {
    let (host, port) = clickhouse();
    let dir = TempDir::new("dash-file");
    let out = run_with_stdin(
        batch(dir.path()).args([
            "--host", &host, "--port", &port, "-q", "SELECT 1", "-f", "-",
        ]),
        b"SELECT 2;",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n2\n");
}
