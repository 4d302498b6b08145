//! A hostile native-protocol server for tests: answers the handshake like Proton, then replays crafted bytes.
//!
//! Each accepted connection runs the same script on its own thread. Everything is bounded:
//! a stalled connection is held for at most `HOLD_LIMIT`, drips stop after their byte count.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Longest a `Hold` keeps a connection open before the server closes it anyway.
pub const HOLD_LIMIT: Duration = Duration::from_secs(30);

/// Packet types the server sends.
pub const SRV_HELLO: u64 = 0;
pub const SRV_DATA: u64 = 1;
pub const SRV_PROGRESS: u64 = 3;
pub const SRV_END_OF_STREAM: u64 = 5;

/// How the server answers the client's Hello.
#[derive(Clone)]
pub enum Handshake {
    /// Proton 1.6.1's Hello, at once.
    Proton,
    /// Proton's Hello, one byte every `every`, for at most `limit` bytes (the Hello repeats).
    Drip { every: Duration, limit: usize },
    /// Read the Hello and say nothing (like an HTTP server waiting for the rest of a request);
    /// a second connection that sends `GET` gets an HTTP answer.
    SilentHttp,
}

/// One step after the client's first query arrived.
#[derive(Clone)]
pub enum Step {
    /// Write these bytes.
    Send(Vec<u8>),
    Sleep(Duration),
    /// Keep the connection open, sending nothing, until the client closes it (or `HOLD_LIMIT`).
    Hold,
}

pub struct Hostile {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    /// Listen on 127.0.0.1:0 and serve `script` to every connection.
    pub fn start(handshake: Handshake, script: Vec<Step>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        listener.set_nonblocking(true).expect("nonblocking");
        thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::Acquire) && started.elapsed() < Duration::from_secs(120) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        let (h, sc) = (handshake.clone(), script.clone());
                        thread::spawn(move || serve(conn, h, sc));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Hostile { port, stop }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn serve(mut s: TcpStream, handshake: Handshake, script: Vec<Step>) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 4096];
    let n = match s.read(&mut buf) {
        Ok(n) if n > 0 => n,
        _ => return,
    };
    if buf[..n].starts_with(b"GET ") {
        let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\nOk.\n");
        return;
    }
    match handshake {
        Handshake::Proton => {
            if s.write_all(&server_hello()).is_err() {
                return;
            }
        }
        Handshake::Drip { every, limit } => {
            let hello = server_hello();
            for i in 0..limit {
                thread::sleep(every);
                if s.write_all(&hello[i % hello.len()..][..1]).is_err() {
                    return;
                }
            }
            return;
        }
        Handshake::SilentHttp => {
            hold(&mut s);
            return;
        }
    }
    // The client's query (and its empty external-tables block) arrive in one write.
    match s.read(&mut buf) {
        Ok(n) if n > 0 => {}
        _ => return,
    }
    for step in script {
        match step {
            Step::Send(bytes) => {
                if s.write_all(&bytes).is_err() {
                    return;
                }
            }
            Step::Sleep(d) => thread::sleep(d),
            Step::Hold => hold(&mut s),
        }
    }
    // Half-close and wait for the client to close: closing with unread client bytes
    // (a Cancel, say) would send a reset that can overtake the data still in flight.
    let _ = s.shutdown(Shutdown::Write);
    hold(&mut s);
}

/// Send nothing until the peer closes or `HOLD_LIMIT` passes; discard what it sends.
fn hold(s: &mut TcpStream) {
    let until = Instant::now() + HOLD_LIMIT;
    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0u8; 4096];
    while Instant::now() < until {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding helpers (independent of the crate's own encoder)
// ---------------------------------------------------------------------------

// The wire primitives are the fixture's own (also independent of the crate's).
pub use super::fixture::{put_str, put_varint};

/// Proton 1.6.1's Hello (revision 54459, timezone UTC).
pub fn server_hello() -> Vec<u8> {
    let mut o = Vec::new();
    put_varint(&mut o, SRV_HELLO);
    put_str(&mut o, "proton");
    put_varint(&mut o, 1);
    put_varint(&mut o, 6);
    put_varint(&mut o, 54459);
    put_str(&mut o, "UTC");
    put_str(&mut o, "hostile");
    put_varint(&mut o, 1);
    o
}

/// BlockInfo, column and row counts: what starts every block.
pub fn block_head(ncols: u64, nrows: u64) -> Vec<u8> {
    let mut o = Vec::new();
    put_varint(&mut o, 1);
    o.push(0);
    put_varint(&mut o, 2);
    o.extend_from_slice(&(-1i32).to_le_bytes());
    put_varint(&mut o, 0);
    put_varint(&mut o, ncols);
    put_varint(&mut o, nrows);
    o
}

/// A column's name and type, before its data.
pub fn column_head(name: &str, ty: &str) -> Vec<u8> {
    let mut o = Vec::new();
    put_str(&mut o, name);
    put_str(&mut o, ty);
    o
}

/// An uncompressed Data packet with one column of raw `data`.
pub fn data_packet(name: &str, ty: &str, rows: u64, data: &[u8]) -> Vec<u8> {
    let mut o = Vec::new();
    put_varint(&mut o, SRV_DATA);
    put_str(&mut o, "");
    o.extend(block_head(1, rows));
    o.extend(column_head(name, ty));
    o.extend_from_slice(data);
    o
}

/// The Data packet header for a compressed block: packet type and table name; frames follow.
pub fn compressed_data_start() -> Vec<u8> {
    let mut o = Vec::new();
    put_varint(&mut o, SRV_DATA);
    put_str(&mut o, "");
    o
}

/// The header block a query answers with first (zero rows).
pub fn header_packet(name: &str, ty: &str) -> Vec<u8> {
    data_packet(name, ty, 0, &[])
}

/// A Progress packet (revision ≥ 54420 carries written rows and bytes).
pub fn progress_packet(rows: u64) -> Vec<u8> {
    let mut o = Vec::new();
    put_varint(&mut o, SRV_PROGRESS);
    for v in [rows, rows * 8, 0, 0, 0] {
        put_varint(&mut o, v);
    }
    o
}

pub fn end_of_stream() -> Vec<u8> {
    let mut o = Vec::new();
    put_varint(&mut o, SRV_END_OF_STREAM);
    o
}

/// CityHash128 v1.0.2 as ClickHouse writes it ahead of each compressed frame.
pub fn frame_checksum(body: &[u8]) -> [u8; 16] {
    let h = cityhash_rs::cityhash_102_128(body);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&((h >> 64) as u64).to_le_bytes());
    out[8..].copy_from_slice(&(h as u64).to_le_bytes());
    out
}

/// An LZ4 frame whose header claims `declared` decompressed bytes, with a valid checksum.
pub fn lz4_frame_declaring(payload: &[u8], declared: u32) -> Vec<u8> {
    let compressed = lz4_flex::block::compress(payload);
    let mut body = vec![0x82];
    body.extend_from_slice(&((9 + compressed.len()) as u32).to_le_bytes());
    body.extend_from_slice(&declared.to_le_bytes());
    body.extend_from_slice(&compressed);
    let mut out = frame_checksum(&body).to_vec();
    out.extend(body);
    out
}

/// A valid LZ4 frame of `data`.
pub fn lz4_frame(data: &[u8]) -> Vec<u8> {
    lz4_frame_declaring(data, data.len() as u32)
}

/// `wrap(` × depth, `leaf`, `)` × depth.
pub fn nested_type(wrap: &str, leaf: &str, depth: usize) -> String {
    format!(
        "{}{leaf}{}",
        format!("{wrap}(").repeat(depth),
        ")".repeat(depth)
    )
}

// ---------------------------------------------------------------------------
// Running the real binary
// ---------------------------------------------------------------------------

/// What one run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set of the child, in KiB (from wait4's rusage).
    pub max_rss_kib: i64,
}

/// Set in a fresh copy of the test executable that runs only [`rss_helper`].
pub const HELPER_ENV: &str = "PROTON_SHELL_HOSTILE_HELPER";
/// The name of the test that calls [`rss_helper`]; every test file using `run_binary` has one.
pub const HELPER_TEST: &str = "wire_hostile::rss_helper";

/// Run `proton-shell` with `args` in a scratch home; stdout, stderr, exit and peak RSS.
///
/// Linux records a new program's peak RSS from the address space it replaced, which for a
/// spawned child is its parent's: a test process that built large payloads would inflate it.
/// So the binary is started by a fresh copy of the test executable (a few MB), which reaps
/// it with wait4 and leaves the results in files.
pub fn run_binary(bin: &str, args: &[&str]) -> Run {
    use std::process::{Command, Stdio};
    let scratch = std::env::temp_dir().join(format!(
        "proton-shell-hostile-{}-{:?}",
        std::process::id(),
        thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut spec = vec![bin.to_string()];
    spec.extend(args.iter().map(|a| a.to_string()));
    let exe = std::env::current_exe().expect("test executable");
    let status = Command::new(exe)
        .args(["--exact", HELPER_TEST, "--nocapture", "--test-threads=1"])
        .env(HELPER_ENV, spec.join("\u{1f}"))
        .env("PROTON_SHELL_HOSTILE_DIR", &scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run the helper");
    assert!(status.success(), "helper failed: {status}");
    let read = |name: &str| {
        String::from_utf8_lossy(&std::fs::read(scratch.join(name)).unwrap_or_default()).into_owned()
    };
    let result = read("result");
    let nums: Vec<i64> = result
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(nums.len(), 3, "helper result {result:?}");
    let run = Run {
        code: nums[0] as i32,
        signal: (nums[1] != 0).then_some(nums[1] as i32),
        stdout: read("stdout"),
        stderr: read("stderr"),
        max_rss_kib: nums[2],
    };
    let _ = std::fs::remove_dir_all(&scratch);
    run
}

/// The helper's side of [`run_binary`]; does nothing unless `HELPER_ENV` is set.
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn rss_helper() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let Ok(spec) = std::env::var(HELPER_ENV) else {
        return;
    };
    let dir = std::path::PathBuf::from(std::env::var("PROTON_SHELL_HOSTILE_DIR").expect("dir"));
    let mut parts = spec.split('\u{1f}');
    let bin = parts.next().expect("binary");
    let file = |name: &str| std::fs::File::create(dir.join(name)).expect("output file");
    let child = Command::new(bin)
        .args(parts)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", &dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("spawn proton-shell");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let st = std::process::ExitStatus::from_raw(status);
    std::fs::write(
        dir.join("result"),
        format!(
            "{} {} {}",
            st.code().unwrap_or(-1),
            st.signal().unwrap_or(0),
            usage.ru_maxrss
        ),
    )
    .expect("result file");
}
