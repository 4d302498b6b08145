//! Terminal plumbing: what the terminal can do, echo off while a query runs, the no-echo password prompt, window width.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::{AsRawFd, RawFd};

/// What the terminal around the shell can do.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub stdin_tty: bool,
    /// Colour allowed by flags, env and config (before the terminal checks).
    pub color_allowed: bool,
}

impl Terminal {
    pub fn detect(color_allowed: bool) -> Terminal {
        Terminal {
            stdout_tty: io::stdout().is_terminal(),
            stderr_tty: io::stderr().is_terminal(),
            stdin_tty: io::stdin().is_terminal(),
            color_allowed,
        }
    }

    /// Colour for rows on stdout.
    pub fn out_color(&self) -> bool {
        self.color_allowed && self.stdout_tty
    }

    /// Colour for messages on stderr.
    pub fn err_color(&self) -> bool {
        self.color_allowed && self.stderr_tty
    }
}

/// Turns terminal echo off on stdin while it lives, keeping signals (Ctrl-C still raises SIGINT)
/// and Enter typed ahead as CR.
///
/// While a query streams, keys the user presses would otherwise be echoed into the rows, and
/// holding Ctrl-C would paint `^C^C^C` over the output. Type-ahead is kept: the next prompt
/// reads it.
pub struct EchoOff {
    fd: RawFd,
    saved: Option<libc::termios>,
}

impl EchoOff {
    pub fn stdin() -> EchoOff {
        let fd = io::stdin().as_raw_fd();
        let mut guard = EchoOff { fd, saved: None };
        if !io::stdin().is_terminal() {
            return guard;
        }
        if let Some(t) = get_attr(fd) {
            let mut quiet = t;
            quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
            // Ctrl-C must not make the kernel discard rows already written (and counted)
            // but not yet shown: they stay, so the screen ends on the rows counted.
            quiet.c_lflag |= libc::NOFLSH;
            // Enter typed ahead stays a CR (not turned into LF), so the line editor reads it
            // as Enter and runs every typed-ahead line.
            quiet.c_iflag &= !libc::ICRNL;
            // Keys are kept as bytes, not lines: a line is cut at 4095 bytes and the rest of
            // it dropped, while a byte queue only makes the terminal wait when full. Ctrl-C
            // still signals (ISIG is independent of this).
            quiet.c_lflag &= !libc::ICANON;
            quiet.c_cc[libc::VMIN] = 1;
            quiet.c_cc[libc::VTIME] = 0;
            if set_attr(fd, &quiet) {
                guard.saved = Some(t);
            }
        }
        guard
    }
}

impl EchoOff {
    /// Drop what was typed ahead (Ctrl-C stops the rest of what the user queued, as the
    /// kernel would have done without the NOFLSH this guard sets).
    pub fn discard_typeahead(&self) {
        if self.saved.is_some() {
            // SAFETY: tcflush on our own stdin descriptor.
            unsafe { libc::tcflush(self.fd, libc::TCIFLUSH) };
        }
    }
}

impl EchoOff {
    /// The keys typed ahead, read out of the terminal, if more than `more_than` bytes wait
    /// (at most 1 MiB; the rest stays for the line editor). `None` when fewer wait: the line
    /// editor reads those itself. See `shell::typeahead` for why.
    pub fn take_typeahead(&self, more_than: usize) -> Option<Vec<u8>> {
        const MAX: usize = 1 << 20;
        self.saved?;
        if unread(self.fd) <= more_than {
            return None;
        }
        let mut keys = Vec::new();
        loop {
            let mut n = unread(self.fd).min(MAX - keys.len());
            if n == 0 && keys.len() < MAX && more_within(self.fd, PASTE_GAP_MS) {
                // A paste larger than the terminal's queue is still being written; take it
                // all now, while echo is off, or its tail would be echoed before the editor
                // starts.
                n = unread(self.fd).min(MAX - keys.len());
            }
            if n == 0 {
                break;
            }
            let start = keys.len();
            keys.resize(start + n, 0);
            // SAFETY: reads at most `n` bytes into the `n` bytes just added; the terminal is
            // non-canonical with VMIN 1 (this guard), and `n` bytes wait, so it returns at once.
            let got = unsafe { libc::read(self.fd, keys[start..].as_mut_ptr().cast(), n) };
            keys.truncate(start + usize::try_from(got).unwrap_or(0));
            if got <= 0 {
                break;
            }
        }
        Some(keys)
    }
}

/// How long a paste may pause between the pieces a terminal writes it in.
const PASTE_GAP_MS: libc::c_int = 20;

/// Whether input arrives on `fd` within `ms` milliseconds.
fn more_within(fd: RawFd, ms: libc::c_int) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

/// On SIGTERM or SIGHUP, put the terminal back as it was when this was called (the line
/// editor's raw mode or a query's echo-off would otherwise outlive the process: no echo, no
/// line editing, for whatever runs next in that terminal), and exit with 128 + the signal,
/// as the default action would. For the interactive shell; call inside `rt`'s context.
pub fn restore_terminal_on_termination(rt: &tokio::runtime::Runtime) {
    let fd = libc::STDIN_FILENO;
    let Some(saved) = get_attr(fd) else {
        return;
    };
    rt.spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        let signo = tokio::select! {
            _ = term.recv() => libc::SIGTERM,
            _ = hup.recv() => libc::SIGHUP,
        };
        set_attr(fd, &saved);
        // Bracketed paste off and the cursor shown, as the line editor leaves them on exit.
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[?2004l\x1b[?25h");
        let _ = out.flush();
        std::process::exit(128 + signo);
    });
}

/// Bytes waiting unread on the terminal `fd`.
fn unread(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the valid pointer.
    let ok = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } == 0;
    if ok {
        usize::try_from(n).unwrap_or(0)
    } else {
        0
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(t) = self.saved.take() {
            set_attr(self.fd, &t);
        }
    }
}

/// Whether keys wait unread on stdin; if they do, have the terminal announce them again.
///
/// The line editor's key reader (crossterm) reads at most 1024 bytes each time the kernel
/// says input arrived (edge-triggered epoll), and reads no more until the next such notice.
/// A paste the terminal did not bracket, longer than that and in at once, would leave its
/// tail (and the Enter that runs it) unread until another key came. Setting the terminal's
/// attributes to what they already are wakes its readers (Linux's tty layer does so on
/// every attribute change), so the reader's next wait returns at once and it reads on.
/// Nothing is read, dropped or changed here.
pub fn announce_unread_input() -> bool {
    let fd = libc::STDIN_FILENO;
    if unread(fd) == 0 {
        return false;
    }
    if let Some(t) = get_attr(fd) {
        set_attr(fd, &t);
    }
    true
}

fn get_attr(fd: RawFd) -> Option<libc::termios> {
    // SAFETY: tcgetattr only writes into the zeroed struct we hand it.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        (libc::tcgetattr(fd, &mut t) == 0).then_some(t)
    }
}

fn set_attr(fd: RawFd, t: &libc::termios) -> bool {
    // SAFETY: `t` is a valid termios obtained from tcgetattr.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, t) == 0 }
}

/// Restores the terminal attributes it saved, even if the reader bails out early.
struct Restore<'a> {
    fd: RawFd,
    saved: libc::termios,
    _tty: &'a File,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        set_attr(self.fd, &self.saved);
    }
}

/// Read a password from the controlling terminal without echo.
///
/// Reads byte by byte with signals off, so Ctrl-C aborts the prompt (an `Interrupted` error)
/// instead of killing the process with echo still disabled. Backspace and Ctrl-U edit.
pub fn read_password(prompt: &str) -> io::Result<String> {
    let mut tty = File::options().read(true).write(true).open("/dev/tty")?;
    let fd = tty.as_raw_fd();
    let saved = get_attr(fd).ok_or_else(io::Error::last_os_error)?;
    let mut raw = saved;
    raw.c_lflag &= !(libc::ECHO | libc::ECHONL | libc::ICANON | libc::ISIG);
    raw.c_cc[libc::VMIN] = 1;
    raw.c_cc[libc::VTIME] = 0;
    let reader = tty.try_clone()?;
    let result = {
        // Echo goes off before the prompt shows: a password typed (or sent by a password
        // manager) the moment `Password: ` appears must not be echoed.
        if !set_attr(fd, &raw) {
            return Err(io::Error::last_os_error());
        }
        let _restore = Restore {
            fd,
            saved,
            _tty: &tty,
        };
        (&tty).write_all(prompt.as_bytes())?;
        (&tty).flush()?;
        read_secret_line(reader)
    };
    tty.write_all(b"\n")?;
    result
}

/// Backspace over typed bytes: remove the last character, all the bytes of it (UTF-8).
pub fn pop_char(line: &mut Vec<u8>) {
    while let Some(b) = line.pop() {
        if b & 0xc0 != 0x80 {
            break;
        }
    }
}

/// The line editing of the password prompt, over any byte source.
fn read_secret_line(mut r: impl Read) -> io::Result<String> {
    let mut buf: Vec<u8> = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match r.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        match byte[0] {
            b'\r' | b'\n' => break,
            3 => return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled")),
            4 if buf.is_empty() => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no password"))
            }
            0x7f | 8 => pop_char(&mut buf),
            0x15 => buf.clear(),
            b => buf.push(b),
        }
    }
    String::from_utf8(buf).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

/// Columns of the terminal on stdout (or stderr), if either is one.
pub fn width() -> Option<usize> {
    for fd in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: TIOCGWINSZ fills a winsize struct; we pass a valid pointer.
        let ws = unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            (libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0).then_some(ws)
        };
        if let Some(ws) = ws {
            if ws.ws_col > 0 {
                return Some(ws.ws_col as usize);
            }
        }
    }
    std::env::var("COLUMNS").ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::read_secret_line;

    #[test]
    fn password_line_editing() {
        assert_eq!(read_secret_line(&b"abc\n"[..]).unwrap(), "abc");
        assert_eq!(read_secret_line(&b"abx\x7fc\r"[..]).unwrap(), "abc");
        assert_eq!(read_secret_line(&b"zz\x15pw\n"[..]).unwrap(), "pw");
        assert_eq!(read_secret_line("pé\x7f\x7fok\n".as_bytes()).unwrap(), "ok");
        assert!(read_secret_line(&b"ab\x03"[..]).is_err());
        assert!(read_secret_line(&b"\x04"[..]).is_err());
    }
}
