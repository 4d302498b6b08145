//! The PTY harness: the real binary on a pseudo-terminal (openpty + setsid, no extra crates), typed into and read back with ANSI stripped.
//!
//! It answers the line editor's cursor-position queries the way a terminal would. `expect`
//! waits at most [`WAIT`] for text to appear: a ceiling for hangs, never a speed check.

use super::fixture::ProtonFixture;
use super::{clickhouse, hermetic, WAIT};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CTRL_C: &[u8] = b"\x03";
pub const CTRL_D: &[u8] = b"\x04";
pub const UP: &[u8] = b"\x1b[A";
/// The prompt of the shell connected to the Proton fixture.
pub const FX_PROMPT: &str = "default@127.0.0.1:default> ";
/// The end of the prompt of the shell connected to the ClickHouse test server.
pub const CH_PROMPT: &str = ":default> ";

/// Remove ANSI escape sequences (CSI, OSC, and two-byte ESC sequences) and carriage returns.
pub fn strip_ansi(s: &str) -> String {
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
pub struct Pty {
    master: File,
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    /// Byte offset in `screen` where the next `expect` starts looking.
    mark: usize,
}

impl Pty {
    pub fn spawn(args: &[&str], dir: &Path) -> Pty {
        Self::spawn_with(args, dir, &[])
    }

    pub fn spawn_with(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Pty {
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
        let mut cmd = hermetic(dir);
        cmd.args(args).env("TERM", "xterm-256color");
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

    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
        self.master.flush().unwrap();
    }

    /// Type a line, press Enter, and wait for the editor to finish echoing it, so that later
    /// `expect`s only see what came after (the editor redraws the prompt as you type).
    pub fn line(&mut self, text: &str) {
        self.send(text.as_bytes());
        self.send(b"\r");
        self.expect(&format!("{text}\n"));
    }

    /// Everything on the screen so far (ANSI stripped).
    pub fn all(&self) -> String {
        strip_ansi(&String::from_utf8_lossy(&self.screen.lock().unwrap()))
    }

    /// Everything the program wrote, ANSI sequences and carriage returns included.
    pub fn raw(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Screen text since the mark.
    pub fn since_mark(&self) -> String {
        let s = self.screen.lock().unwrap();
        strip_ansi(&String::from_utf8_lossy(&s[self.mark.min(s.len())..]))
    }

    /// Wait until `needle` shows up after the mark; move the mark past it. Returns the text
    /// from the old mark to the end of the match.
    pub fn expect(&mut self, needle: &str) -> String {
        self.expect_within(needle, WAIT)
    }

    pub fn expect_within(&mut self, needle: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            {
                let s = self.screen.lock().unwrap();
                let raw = &s[self.mark.min(s.len())..];
                let text = strip_ansi(&String::from_utf8_lossy(raw));
                if let Some(i) = text.find(needle) {
                    // Advance the mark: find how many raw bytes cover the match. Usually the
                    // needle is in the raw bytes as it is (linear); else grow a prefix.
                    let want = &text[..i + needle.len()];
                    let literal = raw
                        .windows(needle.len().max(1))
                        .position(|w| w == needle.as_bytes())
                        .map(|p| p + needle.len())
                        .filter(|&n| {
                            strip_ansi(&String::from_utf8_lossy(&raw[..n])).len() == want.len()
                        });
                    let n = literal.unwrap_or_else(|| {
                        // The stripped length grows with the prefix: binary search for the
                        // shortest prefix that covers the match (a flood makes this large).
                        let covers = |n: usize| {
                            strip_ansi(&String::from_utf8_lossy(&raw[..n])).len() >= want.len()
                        };
                        let (mut lo, mut hi) = (0, raw.len());
                        while lo < hi {
                            let mid = (lo + hi) / 2;
                            if covers(mid) {
                                hi = mid;
                            } else {
                                lo = mid + 1;
                            }
                        }
                        lo
                    });
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
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
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

    /// Resize the terminal (TIOCSWINSZ on the master; the kernel sends SIGWINCH to the
    /// foreground process group), as a person dragging the window would.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads a winsize through a valid pointer; the fd is our master.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
        assert_eq!(rc, 0, "TIOCSWINSZ failed");
    }

    /// The terminal's local modes (`c_lflag`: ECHO, ICANON, ISIG …) as the shell left them:
    /// termios calls on a pty master read its slave's.
    pub fn local_modes(&self) -> libc::tcflag_t {
        // SAFETY: tcgetattr writes into the zeroed struct; the fd is our master.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(self.master.as_raw_fd(), &mut t), 0);
            t.c_lflag
        }
    }

    pub fn is_alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn pid(&self) -> i32 {
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

pub fn fixture_args(fx: &ProtonFixture, dir: &Path) -> Vec<String> {
    vec![
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        fx.port().to_string(),
        "--history-file".into(),
        dir.join("history").display().to_string(),
    ]
}

pub fn spawn_on_fixture(fx: &ProtonFixture, dir: &Path) -> Pty {
    let args = fixture_args(fx, dir);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Pty::spawn(&args, dir)
}

pub fn spawn_on_clickhouse(dir: &Path) -> Pty {
    let (host, port) = clickhouse();
    let port = port.to_string();
    let hist = dir.join("history").display().to_string();
    Pty::spawn(
        &["--host", &host, "--port", &port, "--history-file", &hist],
        dir,
    )
}

/// The screen shows `statement` indented by two spaces, the next line a caret under the character
/// at the "position N" the server's message reported.
pub fn assert_caret_under_reported_position(out: &str, statement: &str) {
    let pos = reported_position(out).unwrap_or_else(|| panic!("no position reported:\n{out}"));
    assert!(
        (1..=statement.chars().count()).contains(&pos),
        "position {pos} outside {statement:?}:\n{out}"
    );
    let shown = format!("  {statement}\n");
    let at = out
        .find(&shown)
        .unwrap_or_else(|| panic!("statement not echoed under the error:\n{out}"));
    let caret_line = out[at + shown.len()..].lines().next().unwrap_or_default();
    let want = format!("{}^", " ".repeat(2 + pos - 1));
    assert!(
        caret_line.trim_end() == want,
        "caret expected under position {pos} ({:?}):\n{out}",
        statement.chars().nth(pos - 1)
    );
}

/// The number after "position " in a server error message.
pub fn reported_position(message: &str) -> Option<usize> {
    let rest = &message[message.find("position ")? + "position ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
