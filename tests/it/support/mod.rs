//! The shared test harness: temp dirs, the hermetic command for the real binary, server addresses, output capture.
//!
//! Waits in this harness are ceilings that only bound a hang ([`WAIT`]); no test asserts how
//! fast something happened (latency belongs in `bench/`).

#![allow(dead_code)]

pub mod demo;
pub mod fixture;
pub mod hostile;
pub mod proxy;
pub mod pty;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The real binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_proton-shell");

/// How long to wait for something that should happen soon. Only a hang hits it: it is generous
/// so that a loaded machine (two busy loops on two cores) never fails a test by being slow.
pub const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Temp dirs
// ---------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "proton-shell-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// The hermetic command
// ---------------------------------------------------------------------------

/// The real binary, isolated from the user running the tests: every `PROTON_*` variable and
/// `NO_COLOR`/`EDITOR`/`VISUAL` removed, `HOME` and the XDG dirs inside `home`, and the history
/// file (`PROTON_SHELL_HISTORY`) at `home/history`. Stdio is left to the caller.
pub fn hermetic(home: &Path) -> Command {
    let mut c = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PROTON_") {
            c.env_remove(&name);
        }
    }
    for v in ["NO_COLOR", "EDITOR", "VISUAL"] {
        c.env_remove(v);
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PROTON_SHELL_HISTORY", home.join("history"));
    c
}

/// [`hermetic`] for batch runs: no colour, stdin from /dev/null, stdout and stderr captured.
pub fn batch(home: &Path) -> Command {
    let mut c = hermetic(home);
    c.env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Waits for the child; after `limit` it is killed and the test fails (a hang, not slowness).
pub fn wait_output(mut child: Child, limit: Duration) -> Output {
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

/// Spawns `c` and waits for it (at most [`WAIT`]).
pub fn run(c: &mut Command) -> Output {
    wait_output(c.spawn().expect("spawn proton-shell"), WAIT)
}

/// Spawns `c` with `input` on its stdin (then closed) and waits for it (at most [`WAIT`]).
pub fn run_with_stdin(c: &mut Command, input: &[u8]) -> Output {
    let mut child = c.stdin(Stdio::piped()).spawn().expect("spawn proton-shell");
    // A child that exits before reading all of it is the test's to judge from its output.
    let _ = child.stdin.take().expect("piped stdin").write_all(input);
    wait_output(child, WAIT)
}

/// `sql` as clickhouse-client writes it in `format` (a ClickHouse format name) from the
/// test server; the client's own failure fails the test.
pub fn clickhouse_client(format: &str, sql: &str) -> Vec<u8> {
    let (host, port) = clickhouse();
    let out = Command::new("clickhouse-client")
        .args(["--host", &host, "--port", &port.to_string()])
        .args(["--format", format, "--query", sql])
        .stdin(Stdio::null())
        .output()
        .expect("clickhouse-client is installed with the test server");
    assert!(
        out.status.success(),
        "clickhouse-client --format {format}: {sql}\n{}",
        text(&out.stderr)
    );
    out.stdout
}

/// Bytes as text, lossily.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Sends SIGINT to a child process, as Ctrl-C or `kill -INT` would.
pub fn sigint(pid: u32) {
    // SAFETY: plain kill(2) on a child we spawned.
    let rc = unsafe { libc::kill(pid as i32, libc::SIGINT) };
    assert_eq!(rc, 0, "kill -INT {pid}");
}

/// Polls `cond` every few milliseconds until it holds (true) or `limit` passes (false).
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

/// Host and port of the ClickHouse test server (`CLICKHOUSE_TEST_ADDR`); fails, never skips,
/// without one.
pub fn clickhouse() -> (String, u16) {
    let addr = std::env::var("CLICKHOUSE_TEST_ADDR").unwrap_or_default();
    assert!(
        !addr.trim().is_empty(),
        "CLICKHOUSE_TEST_ADDR is not set: run the tests with scripts/test.sh, which starts a \
         ClickHouse test server (or `eval \"$(scripts/clickhouse-test-server.sh start)\"` first)"
    );
    split_addr("CLICKHOUSE_TEST_ADDR", &addr)
}

/// `--host H --port P` for the ClickHouse test server.
pub fn clickhouse_args() -> Vec<String> {
    let (host, port) = clickhouse();
    vec!["--host".into(), host, "--port".into(), port.to_string()]
}

/// Connection options for the ClickHouse test server.
pub fn clickhouse_opts() -> proton_shell::wire::ConnectOptions {
    let (host, port) = clickhouse();
    proton_shell::wire::ConnectOptions {
        host,
        port,
        ..Default::default()
    }
}

/// Connection options for the live Proton (`PROTON_TEST_ADDR`, `PROTON_TEST_USER`,
/// `PROTON_TEST_PASSWORD`). Only the live tests call it; they are compiled as ignored unless
/// `PROTON_TEST_ADDR` was set at build time (see build.rs), so reaching this without the
/// variable is a failure, not a skip.
pub fn proton_live_opts() -> proton_shell::wire::ConnectOptions {
    let addr = std::env::var("PROTON_TEST_ADDR").unwrap_or_default();
    assert!(
        !addr.trim().is_empty(),
        "PROTON_TEST_ADDR is not set: start Proton (`docker compose up -d`) and set \
         PROTON_TEST_ADDR=localhost:8463"
    );
    let (host, port) = split_addr("PROTON_TEST_ADDR", &addr);
    proton_shell::wire::ConnectOptions {
        host,
        port,
        user: std::env::var("PROTON_TEST_USER").unwrap_or_else(|_| "default".into()),
        password: std::env::var("PROTON_TEST_PASSWORD").unwrap_or_default(),
        ..Default::default()
    }
}

/// `host:port` (or `[v6]:port`) from the variable `var`.
fn split_addr(var: &str, addr: &str) -> (String, u16) {
    let (host, port) = addr
        .trim()
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("{var} is host:port, not {addr:?}"));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = port
        .parse()
        .unwrap_or_else(|_| panic!("{var}: bad port in {addr:?}"));
    (host.to_string(), port)
}

/// How many queries containing `mark` the ClickHouse test server is running (not counting the
/// lookup itself), asked with the real binary in batch mode.
pub fn clickhouse_running(mark: &str) -> u64 {
    let home = TempDir::new("ch-processes");
    let sql = format!(
        "SELECT count() FROM system.processes WHERE query LIKE '%{mark}%' \
         AND query NOT LIKE '%system.processes%'"
    );
    let out = run(batch(home.path())
        .args(clickhouse_args())
        .args(["-q", &sql]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().parse().expect("a count")
}

/// Connection options for a Proton fixture.
pub fn fixture_opts(fx: &fixture::ProtonFixture) -> proton_shell::wire::ConnectOptions {
    proton_shell::wire::ConnectOptions {
        host: fx.host(),
        port: fx.port(),
        ..Default::default()
    }
}

/// A connection to a Proton fixture.
pub async fn connect_fixture(fx: &fixture::ProtonFixture) -> proton_shell::wire::Connection {
    proton_shell::wire::Connection::connect(fixture_opts(fx))
        .await
        .expect("connect to the fixture")
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------
// Output capture
// ---------------------------------------------------------------------------

/// A writer whose bytes the test reads while the writer is still in use.
#[derive(Clone, Default)]
pub struct SharedOut(Arc<Mutex<Vec<u8>>>);

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedOut {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }
}

/// A child's output read to its end on a thread, so a test can watch it while the child runs.
pub struct Capture {
    out: SharedOut,
    thread: std::thread::JoinHandle<()>,
}

impl Capture {
    pub fn new(mut r: impl io::Read + Send + 'static) -> Capture {
        let out = SharedOut::default();
        let mut sink = out.clone();
        let thread = std::thread::spawn(move || {
            let _ = io::copy(&mut r, &mut sink);
        });
        Capture { out, thread }
    }

    /// What has arrived so far.
    pub fn text(&self) -> String {
        self.out.text()
    }

    /// Everything, once the writer has closed its end.
    pub fn finish(self) -> String {
        self.thread.join().expect("capture thread");
        self.out.text()
    }
}
