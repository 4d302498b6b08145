//! Ctrl-C as a stream of events: SIGINT in the binary, a manual trigger in tests.

use std::io;
use std::time::Duration;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

enum Source {
    Signal(Signal),
    Manual(mpsc::UnboundedReceiver<()>),
}

/// Interrupts (Ctrl-C). Creating one with [`Interrupts::install`] installs the SIGINT handler,
/// so from then on Ctrl-C no longer kills the process: whoever holds this decides what it
/// means. It also remembers whether one arrived since the last [`clear`](Self::clear), so a
/// long command made of several steps can wind down after the first.
pub struct Interrupts {
    source: Source,
    fired: bool,
}

/// Fires a manual [`Interrupts`] (tests, embedding).
#[derive(Clone)]
pub struct Trigger(mpsc::UnboundedSender<()>);

impl Trigger {
    /// Deliver one interrupt, as one Ctrl-C would.
    pub fn interrupt(&self) {
        let _ = self.0.send(());
    }
}

impl Interrupts {
    /// Install the SIGINT handler. Must run inside the tokio runtime.
    pub fn install() -> io::Result<Interrupts> {
        Ok(Interrupts {
            source: Source::Signal(signal(SignalKind::interrupt())?),
            fired: false,
        })
    }

    /// Interrupts that only [`Trigger::interrupt`] delivers.
    pub fn manual() -> (Interrupts, Trigger) {
        let (tx, rx) = mpsc::unbounded_channel();
        let interrupts = Interrupts {
            source: Source::Manual(rx),
            fired: false,
        };
        (interrupts, Trigger(tx))
    }

    /// Forget interrupts that arrived before now (e.g. Ctrl-C pressed between two queries).
    pub async fn clear(&mut self) {
        while let Ok(Some(())) = tokio::time::timeout(Duration::ZERO, self.next()).await {}
        self.fired = false;
    }

    /// Has an interrupt arrived (without waiting)? Consumes it if so.
    pub async fn poll_now(&mut self) -> bool {
        tokio::select! {
            biased;
            _ = self.recv() => true,
            _ = std::future::ready(()) => false,
        }
    }

    /// Whether an interrupt arrived since the last [`clear`](Self::clear).
    pub fn fired(&self) -> bool {
        self.fired
    }

    /// The next interrupt. Cancel-safe.
    pub async fn recv(&mut self) {
        if self.next().await.is_none() {
            // The signal driver or the trigger is gone: never fire.
            std::future::pending::<()>().await;
        }
        self.fired = true;
    }

    async fn next(&mut self) -> Option<()> {
        match &mut self.source {
            Source::Signal(s) => s.recv().await,
            Source::Manual(rx) => rx.recv().await,
        }
    }
}
