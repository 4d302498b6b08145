//! Running one query's stream into a render sink: the loop shared by the shell, batch mode and the demos.
//!
//! The loop races the server's next event against Ctrl-C (SIGINT) and a redraw tick for the
//! status line. It never waits on the server after Ctrl-C: the caller decides whether to drain
//! now (batch) or in the background (the shell).

use super::status::StatusLine;
use crate::render::Sink;
use crate::wire::{self, Event, QueryStream};
use std::io::{self, Write};
use std::time::Duration;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// SIGINT as a stream of events. Creating it installs the handler, so from then on Ctrl-C
/// no longer kills the process: the shell decides what it means.
pub struct Interrupts {
    sig: Signal,
}

impl Interrupts {
    /// Install the SIGINT handler. Must run inside the tokio runtime.
    pub fn install() -> io::Result<Interrupts> {
        Ok(Interrupts {
            sig: signal(SignalKind::interrupt())?,
        })
    }

    /// Forget interrupts that arrived before now (e.g. Ctrl-C pressed between two queries).
    pub async fn clear(&mut self) {
        while let Ok(Some(())) = tokio::time::timeout(Duration::ZERO, self.sig.recv()).await {}
    }

    /// Has an interrupt arrived (without waiting)? Consumes it if so.
    pub async fn poll_now(&mut self) -> bool {
        tokio::select! {
            biased;
            _ = self.recv() => true,
            _ = std::future::ready(()) => false,
        }
    }

    /// The next interrupt. Cancel-safe.
    pub async fn recv(&mut self) {
        if self.sig.recv().await.is_none() {
            // The signal driver is gone (runtime shutting down): never fire.
            std::future::pending::<()>().await;
        }
    }
}

/// How a streamed query ended.
#[derive(Debug)]
pub enum Ended {
    /// EndOfStream. `result_set` is false for statements that return no columns (DDL, INSERT).
    Done {
        rows: u64,
        result_set: bool,
    },
    /// Ctrl-C. Cancel has not been sent yet: the caller sends it.
    Interrupted {
        rows: u64,
    },
    /// Ctrl-C before the query was sent (while waiting for the connection); nothing ran.
    Aborted,
    /// stdout went away (a closed pipe): stop the query like Ctrl-C, quietly.
    OutputClosed {
        rows: u64,
    },
    Failed {
        rows: u64,
        error: wire::Error,
    },
}

/// Output larger than this is written in pieces (cut after a newline), with a check for
/// Ctrl-C between pieces: a terminal takes a while to swallow a 65 536-row block.
const WRITE_PIECE: usize = 32 * 1024;

/// What a write came to.
enum Wrote {
    All,
    Interrupted,
    Closed,
}

/// Where the rendered bytes go, and what to do between writes.
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub status: &'a mut StatusLine,
}

impl Output<'_> {
    /// Write `bytes`, in newline-aligned pieces when they are large, stopping early (after a
    /// whole line) when Ctrl-C arrives.
    async fn write_interruptible(&mut self, bytes: &[u8], interrupts: &mut Interrupts) -> Wrote {
        let mut rest = bytes;
        while rest.len() > WRITE_PIECE {
            let cut = rest[..WRITE_PIECE]
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(WRITE_PIECE);
            if self.write(&rest[..cut]).is_err() {
                return Wrote::Closed;
            }
            rest = &rest[cut..];
            if interrupts.poll_now().await {
                return Wrote::Interrupted;
            }
        }
        match self.write(rest) {
            Ok(()) => Wrote::All,
            Err(_) => Wrote::Closed,
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

/// Pump `stream` into `sink` until it ends, fails, stdout closes or SIGINT arrives.
/// `sink.finish` is called in every case, so the final state stays on screen.
pub async fn pump(
    stream: &mut QueryStream<'_>,
    sink: &mut dyn Sink,
    output: &mut Output<'_>,
    interrupts: &mut Interrupts,
) -> Ended {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut result_set = false;
    let mut tick = tokio::time::interval(super::status::REDRAW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ended = loop {
        tokio::select! {
            biased;
            _ = interrupts.recv() => break Ended::Interrupted { rows: sink.rows() },
            ev = stream.next() => {
                buf.clear();
                match ev {
                    Ok(Some(Event::Header(b))) => {
                        result_set |= !b.columns.is_empty();
                        sink.header(&b, &mut buf);
                    }
                    Ok(Some(Event::Data(b))) => {
                        result_set = true;
                        sink.block(&b, &mut buf);
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break Ended::Done { rows: sink.rows(), result_set },
                    Err(error) => break Ended::Failed { rows: sink.rows(), error },
                }
                match output.write_interruptible(&buf, interrupts).await {
                    Wrote::All => {}
                    Wrote::Interrupted => break Ended::Interrupted { rows: sink.rows() },
                    Wrote::Closed => break Ended::OutputClosed { rows: sink.rows() },
                }
                // Redraw at once (throttled), so a fast stream shows its status too.
                output.status.tick(sink.rows());
            }
            _ = tick.tick(), if output.status.enabled() => output.status.tick(sink.rows()),
        }
    };
    buf.clear();
    sink.finish(&mut buf);
    let _ = output.write(&buf);
    output.status.clear();
    ended
}
