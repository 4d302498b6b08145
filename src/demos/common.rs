//! What the demo macros share: their output, errors, summaries, flag parsing and the query helper built on `crate::run`.
//!
//! Every macro:
//! * echoes each statement before running it, dimmed on a colour terminal and
//!   as a `-- <sql>` line otherwise, so the macros teach the SQL;
//! * runs its queries through [`crate::run::execute`] (the shell's one
//!   execution path) until they end or Ctrl-C; then it prints its summary line
//!   and returns `Ok` with the [`DemoSummary`];
//! * returns a [`DemoError`] when a statement fails, with a hint for the
//!   usual causes (topic missing, broker unreachable...).
//!
//! The macros only write to [`DemoOut::out`]: `tty` selects a live, rewritten
//! line for `:school-count`, and `color` selects ANSI styling. Output is
//! flushed after every line, and every line is whole: a live line is ended
//! before anything else is printed.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use super::checkpoint::CheckpointError;
use super::config::DemoConfig;
use super::validate::Summary;
use crate::render::Sink;
use crate::run::{self, Ended as RunEnded, ExecOptions, Interrupts};
use crate::style;
use crate::tee::Tee;
use crate::wire::{Block, Connection, Error as WireError, Flavour};
use std::sync::{Arc, Mutex};

/// Proton's RESOURCE_NOT_FOUND: "Could not find topic" on `CREATE EXTERNAL STREAM`.
pub const RESOURCE_NOT_FOUND: i32 = 2003;
/// Proton's NO_AVAILABLE_KAFKA_CONSUMER: more than 50 queries on one external stream.
pub const NO_AVAILABLE_KAFKA_CONSUMER: i32 = 2601;
/// SYNTAX_ERROR: the parser refused the statement, which its message quotes (`brokers=…`).
const SYNTAX_ERROR: i32 = 62;

/// Where a macro writes. Nothing else of the terminal is used.
pub struct DemoOut<'a> {
    /// All output goes here: SQL echo, notes, result lines, the summary.
    pub out: &'a mut (dyn Write + Send),
    /// The output is a terminal: `:school-count` keeps one live line, rewritten
    /// in place, instead of printing a line per change.
    pub tty: bool,
    /// Use ANSI colours (dimmed SQL and notes). Without colour, SQL and notes
    /// are printed as `-- ` comment lines.
    pub color: bool,
    /// What is on screen without its newline yet.
    live_open: Live,
    /// `:tee` on: result lines (not notes, SQL or live lines) also go to the file.
    tee: Option<TeeLines>,
}

/// A tee shared with the macro while it runs, and the macro's name for each line.
#[derive(Clone)]
pub struct TeeLines {
    tee: Arc<Mutex<Tee>>,
    source: &'static str,
}

impl TeeLines {
    /// Lend the tee in `slot`, if one is on, to the macro called `source`.
    pub fn lend(slot: &mut Option<Tee>, source: &'static str) -> Option<TeeLines> {
        slot.take().map(|t| TeeLines {
            tee: Arc::new(Mutex::new(t)),
            source,
        })
    }

    /// Put a lent tee back into `slot` once the macro (and every copy it made) is done.
    pub fn give_back(lent: Option<TeeLines>, slot: &mut Option<Tee>) {
        *slot = lent
            .and_then(|t| Arc::try_unwrap(t.tee).ok())
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()));
    }

    fn append(&self, line: &str) {
        let mut tee = self.tee.lock().unwrap_or_else(|p| p.into_inner());
        tee.append_line(self.source, line);
    }
}

/// The unfinished line a macro keeps on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Live {
    #[default]
    None,
    /// A result line rewritten in place (`:school-count`): kept when it ends.
    Line,
    /// A status line (`:validate`'s counts): erased when other output comes,
    /// redrawn after it.
    Status,
}

impl<'a> DemoOut<'a> {
    pub fn new(out: &'a mut (dyn Write + Send), tty: bool, color: bool) -> Self {
        DemoOut {
            out,
            tty,
            color,
            live_open: Live::None,
            tee: None,
        }
    }

    /// The same output, with result lines also appended to a tee.
    pub fn with_tee(mut self, tee: Option<TeeLines>) -> Self {
        self.tee = tee;
        self
    }

    /// Plain lines, as in batch use and tests: no live line, no colour.
    pub fn plain(out: &'a mut (dyn Write + Send)) -> Self {
        DemoOut::new(out, false, false)
    }

    /// Echoes a statement about to run.
    pub(crate) fn sql(&mut self, sql: &str) -> io::Result<()> {
        self.comment(sql)
    }

    /// An explanation: dimmed, or a `-- ` comment line.
    pub(crate) fn note(&mut self, text: &str) -> io::Result<()> {
        self.comment(text)
    }

    fn comment(&mut self, text: &str) -> io::Result<()> {
        self.end_live()?;
        for line in text.lines() {
            if self.color {
                writeln!(self.out, "{}", style::paint(true, style::note(), line))?;
            } else {
                writeln!(self.out, "-- {line}")?;
            }
        }
        self.out.flush()
    }

    /// A result line, as is.
    pub(crate) fn line(&mut self, text: &str) -> io::Result<()> {
        self.end_live()?;
        if let Some(t) = &self.tee {
            t.append(text);
        }
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }

    /// A result line that reports a problem: red on a colour terminal.
    pub(crate) fn bad(&mut self, text: &str) -> io::Result<()> {
        self.styled(style::bad(), text)
    }

    /// A warning line: yellow on a colour terminal.
    pub(crate) fn warn(&mut self, text: &str) -> io::Result<()> {
        self.styled(style::notice(), text)
    }

    fn styled(&mut self, s: nu_ansi_term::Style, text: &str) -> io::Result<()> {
        self.end_live()?;
        if let Some(t) = &self.tee {
            t.append(text);
        }
        writeln!(self.out, "{}", style::paint(self.color, s, text))?;
        self.out.flush()
    }

    /// Bytes a view rendered (a chart frame), after ending any live line.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.end_live()?;
        self.out.write_all(bytes)?;
        self.out.flush()
    }

    /// Rewrites the live line (TTY) with `text`, without a newline.
    pub(crate) fn live(&mut self, text: &str) -> io::Result<()> {
        write!(self.out, "{}{text}", style::REDRAW_LINE)?;
        self.live_open = Live::Line;
        self.out.flush()
    }

    /// Draws (or redraws) a status line in place, on a terminal only: it is
    /// erased before any other output, which the caller follows with
    /// another `status`. Without a terminal nothing is written.
    pub(crate) fn status(&mut self, text: &str) -> io::Result<()> {
        if !self.tty {
            return Ok(());
        }
        if self.live_open == Live::Line {
            self.end_live()?;
        }
        write!(
            self.out,
            "{}{}",
            style::REDRAW_LINE,
            style::paint(self.color, style::note(), text)
        )?;
        self.live_open = Live::Status;
        self.out.flush()
    }

    /// Ends a live line (if one is open) so that the next output starts on a
    /// fresh line: a result line is kept, a status line erased.
    pub(crate) fn end_live(&mut self) -> io::Result<()> {
        match std::mem::take(&mut self.live_open) {
            Live::None => return Ok(()),
            Live::Line => writeln!(self.out)?,
            Live::Status => write!(self.out, "{}", style::REDRAW_LINE)?,
        }
        self.out.flush()
    }
}

/// Why a macro failed. Its `Display` is one or two lines: what failed and
/// why, then `hint: ...` when there is a likely fix.
#[derive(Debug)]
pub enum DemoError {
    /// A statement failed (server exception, connection problem...).
    Query {
        /// What was being done, e.g. "creating the external stream document".
        what: String,
        source: Box<WireError>,
        hint: Option<String>,
    },
    /// `:validate --resume` could not read or write its checkpoint.
    Checkpoint(CheckpointError),
    /// Writing the output failed (e.g. a closed pipe).
    Output(io::Error),
    /// The server answered in a shape the macro cannot use.
    Unexpected(String),
    /// The server is not Proton (its name and version, e.g. `ClickHouse 18.16.1`): the macros
    /// need its Kafka external streams, so none of their statements is tried.
    NotProton(String),
}

impl DemoError {
    /// The server's exception code, if a statement failed on the server.
    pub fn server_code(&self) -> Option<i32> {
        match self {
            DemoError::Query { source, .. } => match source.as_ref() {
                WireError::Server(exception) => Some(exception.code),
                _ => None,
            },
            _ => None,
        }
    }

    /// The server's exception message, if a statement failed on the server.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            DemoError::Query { source, .. } => match source.as_ref() {
                WireError::Server(exception) => Some(exception.message.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The hint shown after the error, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            DemoError::Query { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}

/// Escaped with [`style::printable`]: the server's exception messages and the names it sends
/// (columns, types) end up in these messages, and must not drive the terminal.
impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            DemoError::Query { what, source, hint } => match hint {
                Some(hint) => format!("{what} failed: {source}\nhint: {hint}"),
                None => format!("{what} failed: {source}"),
            },
            DemoError::Checkpoint(err) => err.to_string(),
            DemoError::Output(err) => format!("cannot write the output: {err}"),
            DemoError::Unexpected(text) => text.clone(),
            DemoError::NotProton(server) => format!(
                "this server is {server}, not Proton: the Ed-Fi macros need Proton's external streams"
            ),
        };
        f.write_str(&style::printable(&text))
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DemoError::Query { source, .. } => Some(source.as_ref()),
            DemoError::Checkpoint(err) => Some(err),
            DemoError::Output(err) => Some(err),
            DemoError::Unexpected(_) | DemoError::NotProton(_) => None,
        }
    }
}

impl From<io::Error> for DemoError {
    fn from(err: io::Error) -> Self {
        DemoError::Output(err)
    }
}

impl From<CheckpointError> for DemoError {
    fn from(err: CheckpointError) -> Self {
        DemoError::Checkpoint(err)
    }
}

/// What a macro did, returned when it ends (stopped or finished). The macro
/// has already printed it; `Display` gives the same line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoSummary {
    /// `:school-count`: the last count received and how many times it changed.
    SchoolCount {
        count: Option<i128>,
        changes: u64,
        distinct: bool,
    },
    /// `:new-docs`: documents printed, and how many of them were unreadable.
    NewDocs { shown: u64, unreadable: u64 },
    /// `:validate`: the totals, and for `--resume` the checkpoint file.
    Validate {
        totals: Summary,
        checkpoint: Option<std::path::PathBuf>,
    },
    /// `:validate --reset` without `--resume`: whether a checkpoint was removed.
    CheckpointReset {
        removed: bool,
        path: std::path::PathBuf,
    },
    /// `:demo-load`: messages written out of the sample's.
    DemoLoad {
        written: u64,
        total: u64,
        topic: String,
    },
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoSummary::SchoolCount {
                count,
                changes,
                distinct,
            } => {
                let what = if *distinct {
                    "distinct schools"
                } else {
                    "School messages"
                };
                match count {
                    Some(count) => write!(
                        f,
                        "{what}: {count} (the count changed {changes} time{})",
                        plural(*changes)
                    ),
                    None => write!(f, "{what}: no count received (no School message arrived)"),
                }
            }
            DemoSummary::NewDocs { shown, unreadable } => {
                write!(f, "shown {shown} document{}", plural(*shown))?;
                if *unreadable > 0 {
                    write!(f, " ({unreadable} unreadable)")?;
                }
                Ok(())
            }
            DemoSummary::Validate { totals, .. } => write!(f, "{totals}"),
            DemoSummary::CheckpointReset { removed, path } => {
                if *removed {
                    write!(f, "checkpoint forgotten ({})", path.display())
                } else {
                    write!(f, "no checkpoint to forget ({})", path.display())
                }
            }
            DemoSummary::DemoLoad {
                written,
                total,
                topic,
            } => write!(
                f,
                "wrote {written} of {total} sample messages to topic {topic}"
            ),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

/// One option of a macro: its flag, the name of its value (empty for a switch) and a
/// line of help. Each macro declares its own next to its parser; help, usage and
/// completion are made from these tables.
#[derive(Debug)]
pub struct Opt {
    pub flag: &'static str,
    pub value: &'static str,
    pub help: &'static str,
}

/// The options every macro takes: each overrides the `demo.<name>` setting for one run.
pub const COMMON_OPTS: &[Opt] = &[
    Opt {
        flag: "--stream",
        value: "S",
        help: "the external stream to read (demo.stream)",
    },
    Opt {
        flag: "--view",
        value: "V",
        help: "the materialized view `:validate` keeps (demo.view)",
    },
    Opt {
        flag: "--brokers",
        value: "B",
        help: "Kafka brokers, as Proton resolves them (demo.brokers)",
    },
    Opt {
        flag: "--topic",
        value: "T",
        help: "the Kafka topic (demo.topic)",
    },
];

/// `:name [--flag] [--flag VALUE] …` for a macro's own options and the common ones.
pub fn usage_line(name: &str, options: &[Opt]) -> String {
    let mut out = format!(":{name}");
    for o in options.iter().chain(COMMON_OPTS) {
        if o.value.is_empty() {
            out.push_str(&format!(" [{}]", o.flag));
        } else {
            out.push_str(&format!(" [{} {}]", o.flag, o.value));
        }
    }
    out
}

/// A flag parser over `args`: `--name value`, `--name=value` and bare `--name`, knowing
/// only the flags of its options table (and the common ones).
pub(crate) struct Flags<'a> {
    args: Vec<&'a str>,
    pos: usize,
    command: &'static str,
    options: &'static [Opt],
    pub(crate) overrides: Vec<(String, String)>,
}

impl<'a> Flags<'a> {
    pub(crate) fn new(command: &'static str, options: &'static [Opt], args: &[&'a str]) -> Self {
        Flags {
            args: args.iter().copied().filter(|a| !a.is_empty()).collect(),
            pos: 0,
            command,
            options,
            overrides: Vec::new(),
        }
    }

    /// The next flag name and its inline `=value`, after handling the common
    /// flags. `None` at the end.
    pub(crate) fn next_flag(&mut self) -> Result<Option<(&'a str, Option<&'a str>)>, String> {
        loop {
            let Some(arg) = self.args.get(self.pos).copied() else {
                return Ok(None);
            };
            self.pos += 1;
            if !arg.starts_with("--") {
                return Err(self.error(&format!("unexpected argument `{arg}`")));
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (arg, None),
            };
            if let Some(common) = COMMON_OPTS.iter().find(|o| o.flag == name) {
                let value = self.value(name, inline)?;
                let key = format!("demo.{}", &common.flag[2..]);
                self.overrides.push((key, value.to_owned()));
                continue;
            }
            if !self.options.iter().any(|o| o.flag == name) {
                return Err(self.unknown(name));
            }
            return Ok(Some((name, inline)));
        }
    }

    /// The value of a flag: inline, or the next argument.
    pub(crate) fn value(&mut self, name: &str, inline: Option<&'a str>) -> Result<&'a str, String> {
        if let Some(value) = inline {
            if value.is_empty() {
                return Err(self.error(&format!("{name} needs a value")));
            }
            return Ok(value);
        }
        match self.args.get(self.pos).copied() {
            Some(value) if !value.starts_with("--") => {
                self.pos += 1;
                Ok(value)
            }
            _ => Err(self.error(&format!("{name} needs a value"))),
        }
    }

    /// A bare flag must not have an inline value.
    pub(crate) fn switch(&self, name: &str, inline: Option<&str>) -> Result<bool, String> {
        match inline {
            None => Ok(true),
            Some(_) => Err(self.error(&format!("{name} takes no value"))),
        }
    }

    pub(crate) fn unknown(&self, name: &str) -> String {
        self.error(&format!("unknown option {name}"))
    }

    pub(crate) fn error(&self, text: &str) -> String {
        format!("{text}\nusage: {}", usage_line(self.command, self.options))
    }
}

/// Splits an argument string on whitespace, as a shell does: `'...'` and `"..."` group words
/// (quotes removed); outside quotes `\` takes the next character as it is (`a\ b` is one
/// word), inside double quotes only `\"` and `\\` are escapes, inside single quotes none.
pub fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' && matches!(chars.peek(), Some('"' | '\\')) => {
                current.extend(chars.next());
            }
            Some(_) => current.push(c),
            None if c == '\\' => {
                // A trailing backslash escapes nothing: it stays.
                current.push(chars.next().unwrap_or('\\'));
                in_word = true;
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed {q} in arguments"));
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

// ---------------------------------------------------------------------------
// Running queries
// ---------------------------------------------------------------------------

/// How a query loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The server ended the query (EndOfStream).
    Finished,
    /// Ctrl-C; the query was cancelled.
    Stopped,
}

/// Echoes `sql`, runs it and hands every non-empty data block to
/// `on_block`, until the query ends or Ctrl-C (then it is cancelled and
/// drained). An error from `on_block` cancels the query too.
pub(crate) async fn run_query<F>(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
    sql: &str,
    what: &str,
    on_block: F,
) -> Result<Ended, DemoError>
where
    F: FnMut(&Block, &mut DemoOut<'_>) -> Result<(), DemoError> + Send,
{
    run_query_echo(
        conn,
        cfg,
        io,
        stop,
        sql,
        sql,
        what,
        Duration::ZERO,
        on_block,
    )
    .await
}

/// [`run_query`] with another text echoed than the statement sent (e.g. a
/// long INSERT, shortened), and a `grace` period: after Ctrl-C the
/// statement still gets that long to finish by itself (an INSERT that was
/// sent should rather complete) before it is cancelled.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_query_echo<F>(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
    sql: &str,
    echo: &str,
    what: &str,
    grace: Duration,
    on_block: F,
) -> Result<Ended, DemoError>
where
    F: FnMut(&Block, &mut DemoOut<'_>) -> Result<(), DemoError> + Send,
{
    io.sql(echo)?;
    if stop.fired() {
        return Ok(Ended::Stopped);
    }
    let mut sink = BlockSink {
        on_block,
        tty: io.tty,
        color: io.color,
        live_open: io.live_open,
        tee: io.tee.clone(),
        rows: 0,
        failure: None,
    };
    let opts = ExecOptions {
        grace,
        ..ExecOptions::default()
    };
    let ended = run::execute(conn, sql, &opts, &mut sink, &mut *io.out, stop).await;
    io.live_open = sink.live_open;
    if ended.needs_drain() {
        conn.drain(run::CANCEL_DEADLINE).await;
    }
    if let Some(err) = sink.failure {
        return Err(err);
    }
    match ended {
        RunEnded::Done { .. } => Ok(Ended::Finished),
        RunEnded::Failed { error, .. } => Err(query_error(what, error, cfg)),
        RunEnded::OutputClosed { error, .. } => {
            Err(DemoError::Output(error.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::BrokenPipe, "the output was closed")
            })))
        }
        RunEnded::Interrupted { .. } | RunEnded::Stopped { .. } | RunEnded::Aborted => {
            Ok(Ended::Stopped)
        }
    }
}

/// Hands each data block to a macro's callback, with a [`DemoOut`] that writes into the
/// bytes the runner prints; the first error stops the query.
struct BlockSink<F> {
    on_block: F,
    tty: bool,
    color: bool,
    live_open: Live,
    tee: Option<TeeLines>,
    rows: u64,
    failure: Option<DemoError>,
}

impl<F> Sink for BlockSink<F>
where
    F: FnMut(&Block, &mut DemoOut<'_>) -> Result<(), DemoError> + Send,
{
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        if block.rows == 0 || self.failure.is_some() {
            return;
        }
        self.rows += block.rows as u64;
        let mut io = DemoOut::new(out, self.tty, self.color).with_tee(self.tee.clone());
        io.live_open = self.live_open;
        if let Err(err) = (self.on_block)(block, &mut io) {
            self.failure = Some(err);
        }
        self.live_open = io.live_open;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }

    fn wants_stop(&self) -> bool {
        self.failure.is_some()
    }
}

/// Echoes and runs a statement that returns no rows worth showing (DDL,
/// INSERT). `Ended::Stopped` after Ctrl-C.
pub(crate) async fn execute(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
    sql: &str,
    what: &str,
) -> Result<Ended, DemoError> {
    run_query(conn, cfg, io, stop, sql, what, |_, _| Ok(())).await
}

/// Runs the macros' first statement, `CREATE EXTERNAL STREAM IF NOT EXISTS ...`, on Proton
/// only: on any other server it says so instead ([`DemoError::NotProton`]) and runs nothing.
pub(crate) async fn create_stream(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<Ended, DemoError> {
    let server = conn.server_info();
    if server.flavour() != Flavour::Proton {
        return Err(DemoError::NotProton(format!(
            "{} {}",
            server.name,
            server.version()
        )));
    }
    let what = format!("creating the external stream {}", cfg.stream);
    execute(conn, cfg, io, stop, &cfg.create_stream_sql(), &what).await
}

/// Wraps a wire error with what was being done and a hint for the usual causes.
pub(crate) fn query_error(what: &str, source: WireError, cfg: &DemoConfig) -> DemoError {
    let hint = hint_for(&source, cfg);
    DemoError::Query {
        what: what.to_owned(),
        source: Box::new(source),
        hint,
    }
}

/// A hint about Kafka (topic, brokers, consumers, offsets) only for an error about Kafka: a
/// syntax error quotes the statement, whose `brokers=` and `seek_to` say nothing of Kafka.
fn hint_for(err: &WireError, cfg: &DemoConfig) -> Option<String> {
    let WireError::Server(exception) = err else {
        return None;
    };
    if exception.code == SYNTAX_ERROR {
        return None;
    }
    let message = exception.message.to_ascii_lowercase();
    let topic_missing = exception.code == RESOURCE_NOT_FOUND
        || message.contains("could not find topic")
        || message.contains("has no paritions")
        || message.contains("has no partitions");
    if topic_missing {
        return Some(format!(
            "the Kafka topic '{topic}' does not exist on '{brokers}' (Proton needs it before \
             CREATE EXTERNAL STREAM). With this project's docker-compose.yml, `docker compose up -d` \
             creates it (service redpanda-init) and the broker answers to the default name \
             dms-kafka1:9092 there; then `:demo-load` fills it with the sample. \
             Elsewhere create it with your broker's tools, e.g. `rpk topic create {topic}`, \
             or start the Ed-Fi DMS stack.",
            topic = cfg.topic,
            brokers = cfg.brokers
        ));
    }
    if exception.code == NO_AVAILABLE_KAFKA_CONSUMER || message.contains("reached consumers limit")
    {
        return Some(consumers_hint(&cfg.stream));
    }
    let broker_trouble = ["broker", "transport failure", "resolve", "all brokers down"]
        .iter()
        .any(|needle| message.contains(needle));
    if broker_trouble {
        return Some(format!(
            "Proton could not reach the Kafka brokers '{}'. The name is resolved by Proton, not \
             by this shell: this project's docker-compose.yml gives its broker the name dms-kafka1 \
             (the default); next to the Ed-Fi DMS stack it works once Proton joins the `dms` network. \
             An existing stream keeps its brokers: `DROP STREAM {}` to recreate it.",
            cfg.brokers, cfg.stream
        ));
    }
    if message.contains("seek_to") || message.contains("partition") {
        return Some(
            "the resume offsets do not fit the topic's partitions: pass the topic's partition \
             count with `:validate --resume --partitions N`, or start over with `:validate --reset --resume`"
                .to_owned(),
        );
    }
    None
}

/// The hint for NO_AVAILABLE_KAFKA_CONSUMER (2601), thrown by Proton's
/// `Kafka::getConsumer` (v1.6.1 `Kafka.cpp:565-577`): each query reading a
/// Kafka external stream holds one of the stream's consumers while it runs,
/// `external_stream.kafka.max_consumers_per_stream` of them (default 50).
fn consumers_hint(stream: &str) -> String {
    format!(
        "every query reading the external stream {stream} holds one of its Kafka consumers while it \
         runs (streaming queries until they are stopped, materialized views reading it for as long \
         as they exist), at most 50 per stream by default, and they are all taken. Stop the \
         queries you no longer need: list them with `SELECT query_id, query FROM system.processes` \
         and stop one with `KILL QUERY WHERE query_id='…'`. Or raise \
         external_stream.kafka.max_consumers_per_stream in the server's configuration \
         (config.yaml on Proton 1.x, timeplusd.yml on 3.x) and restart it."
    )
}

/// The first column of `block` that is not a Proton `_tp_*` column, or the
/// column named `name` when there is one.
pub(crate) fn text_column<'b>(block: &'b Block, name: &str) -> Option<&'b crate::wire::Column> {
    block
        .column(name)
        .or_else(|| block.columns.iter().find(|c| !c.name.starts_with("_tp_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_cannot_drive_the_terminal() {
        let exception = crate::wire::ServerException {
            code: 2003,
            name: "DB::Exception".into(),
            message: "DB::Exception: no topic \x1b]52;c;aGk=\x07\r".into(),
            stack_trace: String::new(),
            nested: Vec::new(),
        };
        let errors = [
            DemoError::Query {
                what: "creating the external stream document".into(),
                source: Box::new(WireError::Server(exception)),
                hint: Some("create the topic".into()),
            },
            DemoError::Unexpected("columns: raw\x1b[2J string".into()),
        ];
        for e in errors {
            let text = e.to_string();
            assert!(
                !text.contains(|c: char| c.is_control() && c != '\n'),
                "{text:?}"
            );
            assert!(text.contains("\\x1b"), "{text:?}");
        }
    }

    #[test]
    fn split_args_quotes() {
        assert_eq!(
            split_args(r#" a  'b c' "d'e" '' "#).expect("split"),
            vec!["a", "b c", "d'e", ""]
        );
    }

    #[test]
    fn split_args_keeps_quotes_apart_from_errors() {
        assert!(split_args("'open").is_err());
    }

    #[test]
    fn split_args_backslash_escapes_like_a_shell() {
        assert_eq!(
            split_args(r#"t=2024-01-01\ 00:00:00 a\'b "q\"\\" 'raw\n' x=\"#).expect("split"),
            vec!["t=2024-01-01 00:00:00", "a'b", "q\"\\", "raw\\n", "x=\\"]
        );
        assert_eq!(
            split_args(r#"t="2024-01-01 00:00:00" name='a b'"#).expect("split"),
            vec!["t=2024-01-01 00:00:00", "name=a b"]
        );
        // In double quotes only \" and \\ are escapes; other backslashes stay.
        assert_eq!(split_args(r#""a\b""#).expect("split"), vec!["a\\b"]);
    }

    #[test]
    fn output_styles() {
        let mut buf: Vec<u8> = Vec::new();
        {
            let mut io = DemoOut::plain(&mut buf);
            io.sql("SELECT 1").expect("write");
            io.note("two\nlines").expect("write");
            io.bad("❌ x").expect("write");
        }
        assert_eq!(
            String::from_utf8(buf).expect("utf8"),
            "-- SELECT 1\n-- two\n-- lines\n❌ x\n"
        );
        let mut buf: Vec<u8> = Vec::new();
        {
            let mut io = DemoOut::new(&mut buf, true, true);
            io.sql("SELECT 1").expect("write");
            io.live("n: 1").expect("write");
            io.live("n: 2").expect("write");
            io.end_live().expect("write");
        }
        assert_eq!(
            String::from_utf8(buf).expect("utf8"),
            "\x1b[2mSELECT 1\x1b[0m\n\r\x1b[Kn: 1\r\x1b[Kn: 2\n"
        );
    }

    #[test]
    fn a_status_line_is_erased_around_other_lines_and_only_on_a_terminal() {
        for color in [false, true] {
            let mut buf: Vec<u8> = Vec::new();
            {
                let mut io = DemoOut::new(&mut buf, true, color);
                io.status("checked 1").expect("write");
                io.status("checked 2").expect("write");
                io.bad("❌ x").expect("write");
                io.status("checked 3").expect("write");
                io.line("done").expect("write");
            }
            let text = String::from_utf8(buf).expect("utf8");
            let (dim, reset) = if color {
                ("\x1b[2m", "\x1b[0m")
            } else {
                ("", "")
            };
            let bad = if color {
                "\x1b[31m❌ x\x1b[0m"
            } else {
                "❌ x"
            };
            assert_eq!(
                text,
                format!(
                    "\r\x1b[K{dim}checked 1{reset}\r\x1b[K{dim}checked 2{reset}\r\x1b[K{bad}\n\
                     \r\x1b[K{dim}checked 3{reset}\r\x1b[Kdone\n"
                )
            );
        }
        // Not a terminal: the lines only, as before.
        let mut buf: Vec<u8> = Vec::new();
        {
            let mut io = DemoOut::plain(&mut buf);
            io.status("checked 1").expect("write");
            io.bad("❌ x").expect("write");
            io.status("checked 2").expect("write");
            io.line("done").expect("write");
        }
        assert_eq!(String::from_utf8(buf).expect("utf8"), "❌ x\ndone\n");
    }

    #[test]
    fn a_syntax_error_gets_no_kafka_hint() {
        // ClickHouse's parser quotes the statement, `brokers=` and all: that is no broker trouble.
        let err = query_error(
            "creating the external stream document",
            WireError::Server(crate::wire::ServerException {
                code: 62,
                name: "DB::Exception".into(),
                message: format!(
                    "DB::Exception: Syntax error: failed at position 8: EXTERNAL {}. Expected \
                     one of: VIEW, MATERIALIZED, DATABASE, TEMPORARY, TABLE",
                    &DemoConfig::default().create_stream_sql()["CREATE EXTERNAL ".len()..]
                ),
                stack_trace: String::new(),
                nested: Vec::new(),
            }),
            &DemoConfig::default(),
        );
        assert!(
            err.to_string().contains("brokers='dms-kafka1:9092'"),
            "{err}"
        );
        assert_eq!(err.hint(), None, "{err}");
    }

    #[test]
    fn topic_missing_hint() {
        let err = query_error(
            "creating the external stream document",
            WireError::Server(crate::wire::ServerException {
                code: 2003,
                name: "DB::Exception".into(),
                message: "DB::Exception: Could not find topic edfi.dms.document".into(),
                stack_trace: String::new(),
                nested: Vec::new(),
            }),
            &DemoConfig::default(),
        );
        let text = err.to_string();
        assert!(
            text.starts_with("creating the external stream document failed: Code: 2003."),
            "{text}"
        );
        assert!(
            text.contains("\nhint: the Kafka topic 'edfi.dms.document'"),
            "{text}"
        );
        assert!(text.contains("docker compose up -d"), "{text}");
        assert!(text.contains(":demo-load"), "{text}");
        assert_eq!(err.server_code(), Some(2003));
    }

    #[test]
    fn consumer_exhaustion_hint() {
        let exception = |code: i32, message: &str| {
            WireError::Server(crate::wire::ServerException {
                code,
                name: "DB::Exception".into(),
                message: message.into(),
                stack_trace: String::new(),
                nested: Vec::new(),
            })
        };
        // Proton 1.6.1's message, and the same text under another code.
        let message = "Reached consumers limit 50. Existing queries need to be stopped before running \
                       other queries. Or update external_stream.kafka.max_consumers_per_stream to a \
                       bigger number in the config file";
        for code in [2601, 1002] {
            let err = query_error("counting", exception(code, message), &DemoConfig::default());
            let hint = err.hint().expect("a hint");
            assert!(hint.contains("external stream document"), "{hint}");
            assert!(hint.contains("at most 50 per stream by default"), "{hint}");
            assert!(hint.contains("KILL QUERY WHERE query_id="), "{hint}");
            assert!(hint.contains("system.processes"), "{hint}");
            assert!(
                hint.contains("external_stream.kafka.max_consumers_per_stream"),
                "{hint}"
            );
            assert!(hint.contains("timeplusd.yml"), "{hint}");
            assert!(!hint.contains("--partitions"), "{hint}");
        }
        // The code alone is enough (the 3.x message may differ).
        let err = query_error("x", exception(2601, "no consumer"), &DemoConfig::default());
        assert!(err.hint().is_some_and(|h| h.contains("Kafka consumers")));
    }

    #[test]
    fn summaries() {
        assert_eq!(
            DemoSummary::SchoolCount {
                count: Some(19),
                changes: 1,
                distinct: false
            }
            .to_string(),
            "School messages: 19 (the count changed 1 time)"
        );
        assert_eq!(
            DemoSummary::Validate {
                totals: Summary {
                    checked: 19,
                    invalid: 6,
                    unreadable: 2
                },
                checkpoint: None
            }
            .to_string(),
            "checked 19 schools: 6 invalid categories, 2 unreadable"
        );
        assert_eq!(
            DemoSummary::NewDocs {
                shown: 1,
                unreadable: 0
            }
            .to_string(),
            "shown 1 document"
        );
    }
}
