//! Running one statement: the one loop that streams a query into a sink, raced once against Ctrl-C. Shell, batch and the demo macros all come through here.
//!
//! [`execute`] sends the statement, then [`pump`]s its events into a [`Sink`] until the query
//! ends, fails, stdout closes, the sink asks to stop, or Ctrl-C arrives. It never waits on
//! the server after Ctrl-C: it sends Cancel and returns, and the caller drains the
//! connection now ([`Connection::drain`] with [`CANCEL_DEADLINE`]: batch, macros) or in the
//! background (the shell, so the prompt comes back at once).

mod interrupts;
mod settings;
mod status;
mod term;

pub use interrupts::{Interrupts, Trigger};
pub use settings::{not_set, SessionSettings};
pub use status::{rows_text, summary, summary_ok, Shape};
pub use term::{
    announce_unread_input, pop_char, read_password, restore_terminal_on_termination, width,
    EchoOff, Terminal,
};

use crate::render::Sink;
use crate::wire::{self, Connection, Event, Progress};
use status::StatusLine;
use std::io::{self, Write};
use std::time::Duration;

/// How long a cancelled query may take to confirm before its connection is dropped (it
/// reconnects on next use). The one deadline for shell, batch and macros.
pub const CANCEL_DEADLINE: Duration = Duration::from_secs(3);

/// How a statement ended.
#[derive(Debug)]
pub enum Ended {
    /// EndOfStream. `result_set` is false for statements that return no columns (DDL, INSERT);
    /// `progress` is what the server said it read and wrote.
    Done {
        rows: u64,
        result_set: bool,
        progress: Progress,
    },
    /// Ctrl-C. Cancel was sent; the connection still has to be drained.
    Interrupted {
        rows: u64,
    },
    /// The sink asked to stop (see [`Sink::wants_stop`]). Cancel was sent.
    Stopped {
        rows: u64,
    },
    /// stdout went away: stopped like Ctrl-C. Cancel was sent. `error` is `None` for a
    /// closed pipe (`| head`: quiet, as other tools are), else why the write failed (a full
    /// disk, a closed descriptor), which the caller must report.
    OutputClosed {
        rows: u64,
        error: Option<io::Error>,
    },
    /// Ctrl-C before the statement was sent (e.g. while connecting); nothing ran.
    Aborted,
    Failed {
        rows: u64,
        error: wire::Error,
    },
}

impl Ended {
    /// Whether Cancel was sent and the connection must be drained before its next use.
    pub fn needs_drain(&self) -> bool {
        matches!(
            self,
            Ended::Interrupted { .. } | Ended::Stopped { .. } | Ended::OutputClosed { .. }
        )
    }

    /// Ctrl-C ended it, before or while it ran.
    pub fn interrupted(&self) -> bool {
        matches!(self, Ended::Interrupted { .. } | Ended::Aborted)
    }
}

/// How a statement runs, apart from its SQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecOptions<'a> {
    /// Settings sent with the query.
    pub settings: &'a [(String, String)],
    /// Draw the status line on stderr (a terminal and an interactive kind of run).
    pub status_line: bool,
    /// Colour for the status line.
    pub color: bool,
    /// After Ctrl-C, let the statement finish by itself for this long before cancelling it
    /// (an INSERT that was sent should rather complete). Zero for queries.
    pub grace: Duration,
    /// What the SQL says of the statement, for a status strip that explains streaming.
    pub shape: Shape,
}

/// Connect to the server, giving up when Ctrl-C arrives first (`Ok(None)`). The one place
/// that races a connection attempt against Ctrl-C (start-up, reconnects, `:connect`).
pub async fn connect(
    opts: wire::ConnectOptions,
    interrupts: &mut Interrupts,
) -> Result<Option<Connection>, wire::Error> {
    tokio::select! {
        biased;
        _ = interrupts.recv() => Ok(None),
        c = Connection::connect(opts) => c.map(Some),
    }
}

/// Send `sql` on `conn` and stream its output through `sink` into `out`. See the module docs.
pub async fn execute<W: Write + ?Sized>(
    conn: &mut Connection,
    sql: &str,
    opts: &ExecOptions<'_>,
    sink: &mut dyn Sink,
    out: &mut W,
    interrupts: &mut Interrupts,
) -> Ended {
    let started = tokio::select! {
        biased;
        _ = interrupts.recv() => return Ended::Aborted,
        started = conn.query(sql, opts.settings, "") => started,
    };
    let mut stream = match started {
        Ok(stream) => stream,
        Err(error) => return Ended::Failed { rows: 0, error },
    };
    let mut status = StatusLine::new(
        opts.status_line,
        opts.color,
        width().unwrap_or(80),
        opts.shape,
    );
    let mut output = Output {
        out,
        status: &mut status,
    };
    let ended = pump(&mut stream, sink, &mut output, interrupts, opts.grace).await;
    if ended.needs_drain() {
        // A failed send breaks the link; the next statement reconnects.
        let _ = stream.cancel();
    }
    ended
}

/// [`execute`] into stdout, with every row shown also appended to `tee` when one is on.
pub async fn execute_to_stdout(
    conn: &mut Connection,
    sql: &str,
    opts: &ExecOptions<'_>,
    sink: &mut dyn Sink,
    tee: Option<&mut crate::tee::Tee>,
    interrupts: &mut Interrupts,
) -> Ended {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match tee {
        Some(tee) => {
            let mut teed = tee.wrap(sink);
            execute(conn, sql, opts, &mut teed, &mut out, interrupts).await
        }
        None => execute(conn, sql, opts, sink, &mut out, interrupts).await,
    }
}

/// A block is rendered and written in row ranges of about this many bytes: memory stays
/// bounded for a huge block, Ctrl-C is checked between ranges (a terminal takes a while to
/// swallow a 65 536-row block), and every write holds whole lines only.
const WRITE_PIECE: usize = 32 * 1024;

/// Rows of the first range of a block; later ranges are sized from the bytes per row seen.
const FIRST_RANGE_ROWS: usize = 256;

/// What writing a block came to.
enum Wrote {
    All,
    Interrupted,
    Closed(io::Error),
}

/// Where the rendered bytes go, and the status line to wipe before they do.
struct Output<'a, W: ?Sized> {
    out: &'a mut W,
    status: &'a mut StatusLine,
}

impl<W: Write + ?Sized> Output<'_, W> {
    /// Render `block` through `sink` in bounded row ranges and write each range whole,
    /// stopping between ranges when Ctrl-C arrives. The sink's row count is then exactly the
    /// rows on screen.
    async fn write_block(
        &mut self,
        sink: &mut dyn Sink,
        block: &crate::wire::Block,
        buf: &mut Vec<u8>,
        interrupts: &mut Interrupts,
    ) -> Wrote {
        let (mut start, mut step) = (0usize, FIRST_RANGE_ROWS);
        loop {
            let end = start.saturating_add(step).min(block.rows);
            buf.clear();
            sink.block_rows(block, start..end, buf);
            if let Err(e) = self.write(buf) {
                return Wrote::Closed(e);
            }
            if end >= block.rows {
                return Wrote::All;
            }
            if interrupts.poll_now().await {
                return Wrote::Interrupted;
            }
            let per_row = (buf.len() / (end - start).max(1)).max(1);
            step = (WRITE_PIECE / per_row).clamp(1, 65_536);
            start = end;
        }
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        // Never interleave: the status line (stderr) is wiped before rows go to stdout.
        self.status.clear();
        self.out.write_all(bytes)?;
        self.out.flush()
    }
}

/// Pump `stream` into `sink` until it ends, fails, stdout closes, the sink asks to stop or
/// Ctrl-C arrives (after `grace`, if any). `sink.finish` is called in every case, so the final
/// state stays on screen. This is the one place that races a running statement against Ctrl-C.
async fn pump<W: Write + ?Sized>(
    stream: &mut wire::QueryStream<'_>,
    sink: &mut dyn Sink,
    output: &mut Output<'_, W>,
    interrupts: &mut Interrupts,
    grace: Duration,
) -> Ended {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut result_set = false;
    let mut tick = tokio::time::interval(status::REDRAW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut give_up: Option<tokio::time::Instant> = None;
    let mut progress = Progress::default();
    let ended = loop {
        tokio::select! {
            biased;
            _ = interrupts.recv(), if give_up.is_none() => {
                if grace.is_zero() {
                    break Ended::Interrupted { rows: sink.rows() };
                }
                give_up = Some(tokio::time::Instant::now() + grace);
            }
            _ = tokio::time::sleep_until(give_up.unwrap_or_else(tokio::time::Instant::now)), if give_up.is_some() => {
                break Ended::Interrupted { rows: sink.rows() };
            }
            ev = stream.next() => {
                buf.clear();
                let wrote = match ev {
                    Ok(Some(Event::Header(b))) => {
                        result_set |= !b.columns.is_empty();
                        sink.header(&b, &mut buf);
                        match output.write(&buf) { Ok(()) => Wrote::All, Err(e) => Wrote::Closed(e) }
                    }
                    Ok(Some(Event::Data(b))) => {
                        result_set = true;
                        output.status.on_block(b.rows);
                        output.write_block(sink, &b, &mut buf, interrupts).await
                    }
                    Ok(Some(Event::Progress(p))) => {
                        progress = p;
                        output.status.on_progress(&p);
                        Wrote::All
                    }
                    Ok(Some(_)) => Wrote::All,
                    Ok(None) => break Ended::Done { rows: sink.rows(), result_set, progress },
                    Err(error) => break Ended::Failed { rows: sink.rows(), error },
                };
                match wrote {
                    Wrote::All => {}
                    Wrote::Interrupted => break Ended::Interrupted { rows: sink.rows() },
                    Wrote::Closed(e) => break Ended::OutputClosed {
                        rows: sink.rows(),
                        error: (e.kind() != io::ErrorKind::BrokenPipe).then_some(e),
                    },
                }
                if sink.wants_stop() {
                    break Ended::Stopped { rows: sink.rows() };
                }
                // Redraw at once (throttled), so a fast stream shows its status too.
                output.status.tick(sink.rows(), &progress);
            }
            _ = tick.tick(), if output.status.enabled() => output.status.tick(sink.rows(), &progress),
        }
    };
    buf.clear();
    sink.finish(&mut buf);
    let _ = output.write(&buf);
    output.status.clear();
    ended
}
