//! Harness for the demo-macro tests (fixture and live): run a macro with captured output and stop it when its output says so.

use super::SharedOut;
use proton_shell::demos::{
    demo_load, new_docs, parse_args, run, school_count, validate, DemoConfig, DemoError,
    DemoInvocation, DemoLoadOpts, DemoOut, DemoSummary, NewDocsOpts, SchoolCountOpts, ValidateOpts,
};
use proton_shell::run::Interrupts;
use proton_shell::wire::Connection;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Which macro to run, with its options.
pub enum Macro {
    SchoolCount(SchoolCountOpts),
    NewDocs(NewDocsOpts),
    Validate(ValidateOpts),
    DemoLoad(DemoLoadOpts),
    /// Parsed from a command line, as the shell would (`parse_args(name, args)`).
    Parsed(DemoInvocation),
}

impl Macro {
    /// `:name args…` parsed the way the shell parses it.
    pub fn parse(name: &str, args: &[&str]) -> Macro {
        Macro::Parsed(parse_args(name, args).unwrap_or_else(|e| panic!("parse {name}: {e}")))
    }

    /// Runs the macro on `conn` with `io` until it ends or `stop` flips.
    pub async fn call(
        &self,
        conn: &mut Connection,
        cfg: &DemoConfig,
        io: DemoOut<'_>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<DemoSummary, DemoError> {
        // The macros take Ctrl-C as `Interrupts`; the switch becomes one interrupt.
        let (mut interrupts, trigger) = Interrupts::manual();
        if *stop.borrow() {
            // Already stopped: the interrupt is there before the macro starts.
            trigger.interrupt();
        }
        let relay = tokio::spawn(async move {
            if stop.wait_for(|stopped| *stopped).await.is_ok() {
                trigger.interrupt();
            }
        });
        let stop = &mut interrupts;
        let result = match self {
            Macro::SchoolCount(o) => school_count(conn, cfg, o.clone(), io, stop).await,
            Macro::NewDocs(o) => new_docs(conn, cfg, o.clone(), io, stop).await,
            Macro::Validate(o) => validate(conn, cfg, o.clone(), io, stop).await,
            Macro::DemoLoad(o) => demo_load(conn, cfg, o.clone(), io, stop).await,
            Macro::Parsed(inv) => run(conn, cfg, inv, io, stop).await,
        };
        relay.abort();
        result
    }
}

/// What a macro run left behind: its result, its output, and whether the stop condition held.
pub struct Ran {
    pub summary: Result<DemoSummary, DemoError>,
    pub out: SharedOut,
    /// The stop condition was met before its ceiling.
    pub met: bool,
}

impl Ran {
    pub fn text(&self) -> String {
        self.out.text()
    }

    /// The summary; panics with the output if the macro failed.
    pub fn summary(&self) -> &DemoSummary {
        match &self.summary {
            Ok(s) => s,
            Err(e) => panic!("the macro failed: {e}\n{}", self.out.text()),
        }
    }
}

/// How a macro's output is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Plain lines, no colour (a pipe).
    Plain,
    /// A colour terminal: the live line rewritten in place.
    Tty,
}

/// Runs `mac` with captured output; `stopper` gets the output and the stop switch and decides
/// when to flip it (its result is `met`).
pub async fn run_with<F, S>(
    conn: &mut Connection,
    cfg: &DemoConfig,
    mac: &Macro,
    screen: Screen,
    stopper: S,
) -> Ran
where
    S: FnOnce(SharedOut, watch::Sender<bool>) -> F,
    F: Future<Output = bool>,
{
    let out = SharedOut::default();
    let mut writer = out.clone();
    let (tx, rx) = watch::channel(false);
    let io = match screen {
        Screen::Plain => DemoOut::plain(&mut writer),
        Screen::Tty => DemoOut::new(&mut writer, true, true),
    };
    let (summary, met) = tokio::join!(mac.call(conn, cfg, io, rx), stopper(out.clone(), tx));
    Ran { summary, out, met }
}

/// Runs `mac` until `cond` holds on its output (or `ceiling` passes), then stops it.
pub async fn run_until(
    conn: &mut Connection,
    cfg: &DemoConfig,
    mac: &Macro,
    screen: Screen,
    ceiling: Duration,
    cond: impl Fn(&str) -> bool,
) -> Ran {
    run_with(conn, cfg, mac, screen, |out, tx| async move {
        stop_when(&out, &tx, ceiling, cond).await
    })
    .await
}

/// Runs `mac` to its end with nothing asking it to stop (`stop` given as already flipped when
/// `stopped` is true).
pub async fn run_to_end(
    conn: &mut Connection,
    cfg: &DemoConfig,
    mac: &Macro,
    stopped: bool,
) -> Ran {
    let out = SharedOut::default();
    let mut writer = out.clone();
    let (_tx, rx) = watch::channel(stopped);
    let summary = mac.call(conn, cfg, DemoOut::plain(&mut writer), rx).await;
    Ran {
        summary,
        out,
        met: true,
    }
}

/// Waits until `cond` holds on the output (or `ceiling`), then flips `stop`. True if it held.
pub async fn stop_when(
    out: &SharedOut,
    stop: &watch::Sender<bool>,
    ceiling: Duration,
    cond: impl Fn(&str) -> bool,
) -> bool {
    let met = poll_until(ceiling, || cond(&out.text())).await;
    let _ = stop.send(true);
    met
}

/// Polls `cond` every few milliseconds until it holds (true) or `ceiling` passes (false).
pub async fn poll_until(ceiling: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + ceiling;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
