//! What the four demo macros share: output, errors, summaries, argument parsing and the query loop.
//!
//! The shell calls [`parse_command_line`] (or [`parse_args`]) with the text
//! after `:school-count`, `:new-docs`, `:validate` or `:demo-load`, then
//! [`run`] with its connection, the current [`DemoConfig`], a [`DemoOut`] and
//! a `watch` channel that flips to `true` on Ctrl-C / SIGINT. Each macro can
//! also be called directly ([`super::school_count()`](super::school_count::school_count),
//! [`super::new_docs()`](super::new_docs::new_docs),
//! [`super::validate()`](super::validate_run::validate),
//! [`super::demo_load()`](super::demo_load::demo_load)).
//!
//! Every macro:
//! * echoes each statement before running it, dimmed on a colour terminal and
//!   as a `-- <sql>` line otherwise, so the macros teach the SQL;
//! * runs until its query ends or `stop` turns true; then it cancels the
//!   query (Cancel, then a drain of at most [`CANCEL_DEADLINE`]), prints its
//!   summary line and returns `Ok` with the [`DemoSummary`];
//! * returns a [`DemoError`] when a statement fails, with a hint for the
//!   usual causes (topic missing, broker unreachable...).
//!
//! The macros only write to [`DemoOut::out`] and never touch the terminal
//! otherwise: `tty` selects a live, rewritten line for `:school-count`, and
//! `color` selects ANSI styling. Output is flushed after every line.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use tokio::sync::watch;

use super::checkpoint::CheckpointError;
use super::config::DemoConfig;
use super::demo_load::{demo_load, DemoLoadOpts};
use super::new_docs::{new_docs, NewDocsOpts};
use super::school_count::{school_count, SchoolCountOpts};
use super::validate::Summary;
use super::validate_run::{validate, ValidateOpts};
use crate::wire::{Block, Connection, Error as WireError, Event};

/// How long a stopped macro waits for the server to confirm its Cancel
/// before it drops the connection (which then reconnects on next use).
pub const CANCEL_DEADLINE: Duration = Duration::from_secs(3);

/// Proton's RESOURCE_NOT_FOUND: "Could not find topic" on `CREATE EXTERNAL STREAM`.
pub const RESOURCE_NOT_FOUND: i32 = 2003;
/// Proton's NO_AVAILABLE_KAFKA_CONSUMER: more than 50 queries on one external stream.
pub const NO_AVAILABLE_KAFKA_CONSUMER: i32 = 2601;

const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Where a macro writes. Nothing else of the terminal is used.
pub struct DemoOut<'a> {
    /// All output goes here: SQL echo, notes, result lines, the summary.
    pub out: &'a mut (dyn Write + Send),
    /// The output is a terminal: `:school-count` keeps one live line, rewritten
    /// in place with `\r\x1b[K`, instead of printing a line per change.
    pub tty: bool,
    /// Use ANSI colours (dimmed SQL and notes). Without colour, SQL and notes
    /// are printed as `-- ` comment lines.
    pub color: bool,
}

impl<'a> DemoOut<'a> {
    pub fn new(out: &'a mut (dyn Write + Send), tty: bool, color: bool) -> Self {
        DemoOut { out, tty, color }
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
        for line in text.lines() {
            if self.color {
                writeln!(self.out, "{DIM}{line}{RESET}")?;
            } else {
                writeln!(self.out, "-- {line}")?;
            }
        }
        self.out.flush()
    }

    /// A result line, as is.
    pub(crate) fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }

    /// A result line that reports a problem: red on a colour terminal.
    pub(crate) fn bad(&mut self, text: &str) -> io::Result<()> {
        self.colored(RED, text)
    }

    /// A warning line: yellow on a colour terminal.
    pub(crate) fn warn(&mut self, text: &str) -> io::Result<()> {
        self.colored(YELLOW, text)
    }

    fn colored(&mut self, color: &str, text: &str) -> io::Result<()> {
        if self.color {
            writeln!(self.out, "{color}{text}{RESET}")?;
        } else {
            writeln!(self.out, "{text}")?;
        }
        self.out.flush()
    }

    /// Rewrites the live line (TTY) with `text`, without a newline.
    pub(crate) fn live(&mut self, text: &str) -> io::Result<()> {
        write!(self.out, "\r\x1b[K{text}")?;
        self.out.flush()
    }

    /// Ends a live line so that the next output starts on a fresh line.
    pub(crate) fn end_live(&mut self) -> io::Result<()> {
        writeln!(self.out)?;
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

    /// The hint shown after the error, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            DemoError::Query { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Query { what, source, hint } => {
                write!(f, "{what} failed: {source}")?;
                if let Some(hint) = hint {
                    write!(f, "\nhint: {hint}")?;
                }
                Ok(())
            }
            DemoError::Checkpoint(err) => write!(f, "{err}"),
            DemoError::Output(err) => write!(f, "cannot write the output: {err}"),
            DemoError::Unexpected(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DemoError::Query { source, .. } => Some(source.as_ref()),
            DemoError::Checkpoint(err) => Some(err),
            DemoError::Output(err) => Some(err),
            DemoError::Unexpected(_) => None,
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

/// One macro with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoMacro {
    SchoolCount(SchoolCountOpts),
    NewDocs(NewDocsOpts),
    Validate(ValidateOpts),
    DemoLoad(DemoLoadOpts),
}

/// A parsed macro command line: the macro, its options, and the
/// `--stream/--view/--brokers/--topic` overrides for this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInvocation {
    pub demo: DemoMacro,
    /// `(demo.<key>, value)` pairs, applied with [`DemoConfig::apply_setting`]
    /// on a copy of the configuration.
    pub overrides: Vec<(String, String)>,
}

impl DemoInvocation {
    /// The configuration for this run: `base` with the flags applied.
    pub fn config(&self, base: &DemoConfig) -> DemoConfig {
        let mut cfg = base.clone();
        for (key, value) in &self.overrides {
            cfg.apply_setting(key, value);
        }
        cfg
    }
}

/// The flags every macro takes, with the setting each one overrides.
const COMMON_FLAGS: [(&str, &str); 4] = [
    ("--stream", "demo.stream"),
    ("--view", "demo.view"),
    ("--brokers", "demo.brokers"),
    ("--topic", "demo.topic"),
];

/// The macro names [`parse_args`] knows (without the leading `:`).
pub const MACRO_NAMES: [&str; 4] = ["school-count", "new-docs", "validate", "demo-load"];

/// The usage line of a macro, for help and errors.
pub fn usage(command: &str) -> Option<&'static str> {
    Some(match command.trim_start_matches(':') {
        "school-count" => ":school-count [--all] [--distinct] [--stream S] [--brokers B] [--topic T]",
        "new-docs" => ":new-docs [--json] [--resource NAME] [--all] [--stream S] [--brokers B] [--topic T]",
        "validate" => ":validate [--resume] [--reset] [--partitions N] [--verbose] [--view V] [--stream S] [--brokers B] [--topic T]",
        "demo-load" => ":demo-load [--pace 500ms] [--stream S] [--brokers B] [--topic T]",
        _ => return None,
    })
}

/// A flag parser over `args`: `--name value`, `--name=value` and bare `--name`.
pub(crate) struct Flags<'a> {
    args: Vec<&'a str>,
    pos: usize,
    command: &'static str,
    pub(crate) overrides: Vec<(String, String)>,
}

impl<'a> Flags<'a> {
    pub(crate) fn new(command: &'static str, args: &[&'a str]) -> Self {
        Flags {
            args: args.iter().copied().filter(|a| !a.is_empty()).collect(),
            pos: 0,
            command,
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
            if let Some((_, key)) = COMMON_FLAGS.iter().find(|(flag, _)| *flag == name) {
                let value = self.value(name, inline)?;
                self.overrides.push(((*key).to_owned(), value.to_owned()));
                continue;
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
        match usage(self.command) {
            Some(usage) => format!("{text}\nusage: {usage}"),
            None => text.to_owned(),
        }
    }
}

/// Parses a macro's arguments. `command` is the macro name, with or without
/// the leading `:` (`school-count`, `new-docs`, `validate`, `demo-load`).
pub fn parse_args(command: &str, args: &[&str]) -> Result<DemoInvocation, String> {
    let (demo, overrides) = match command.trim().trim_start_matches(':') {
        "school-count" => {
            let (opts, overrides) = SchoolCountOpts::parse_with_overrides(args)?;
            (DemoMacro::SchoolCount(opts), overrides)
        }
        "new-docs" => {
            let (opts, overrides) = NewDocsOpts::parse_with_overrides(args)?;
            (DemoMacro::NewDocs(opts), overrides)
        }
        "validate" => {
            let (opts, overrides) = ValidateOpts::parse_with_overrides(args)?;
            (DemoMacro::Validate(opts), overrides)
        }
        "demo-load" => {
            let (opts, overrides) = DemoLoadOpts::parse_with_overrides(args)?;
            (DemoMacro::DemoLoad(opts), overrides)
        }
        other => return Err(format!("unknown demo macro `{other}`")),
    };
    Ok(DemoInvocation { demo, overrides })
}

/// The result of a macro's own flag parser, refusing the common flags (`--stream`, `--brokers`…)
/// that only [`parse_args`] accepts.
pub(crate) fn without_overrides<T>(
    parsed: Result<(T, Vec<(String, String)>), String>,
) -> Result<T, String> {
    let (opts, overrides) = parsed?;
    match overrides.first() {
        None => Ok(opts),
        Some((key, _)) => Err(format!("{key} cannot be given here")),
    }
}

/// [`parse_args`] on the raw text after the command name: split on
/// whitespace, with `'...'` and `"..."` quoting.
pub fn parse_command_line(command: &str, args: &str) -> Result<DemoInvocation, String> {
    let words = split_args(args)?;
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    parse_args(command, &refs)
}

/// Splits an argument string on whitespace; `'...'` and `"..."` group words
/// (quotes removed, no escapes).
pub fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
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

/// Runs a parsed macro with `base` plus the invocation's overrides.
pub async fn run(
    conn: &mut Connection,
    base: &DemoConfig,
    invocation: &DemoInvocation,
    io: DemoOut<'_>,
    stop: watch::Receiver<bool>,
) -> Result<DemoSummary, DemoError> {
    let cfg = invocation.config(base);
    match &invocation.demo {
        DemoMacro::SchoolCount(opts) => school_count(conn, &cfg, opts.clone(), io, stop).await,
        DemoMacro::NewDocs(opts) => new_docs(conn, &cfg, opts.clone(), io, stop).await,
        DemoMacro::Validate(opts) => validate(conn, &cfg, opts.clone(), io, stop).await,
        DemoMacro::DemoLoad(opts) => demo_load(conn, &cfg, opts.clone(), io, stop).await,
    }
}

// ---------------------------------------------------------------------------
// Running queries
// ---------------------------------------------------------------------------

/// Resolves once `stop` holds `true`; never when its sender is gone.
pub(crate) async fn wait_stop(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stopped| *stopped).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Whether `stop` is already `true`.
pub(crate) fn is_stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow()
}

/// How a query loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The server ended the query (EndOfStream).
    Finished,
    /// `stop` turned true; the query was cancelled.
    Stopped,
}

/// Echoes `sql`, runs it and hands every non-empty data block to
/// `on_block`, until the query ends or `stop` turns true (then it is
/// cancelled and drained). An error from `on_block` cancels the query too.
pub(crate) async fn run_query<F>(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut watch::Receiver<bool>,
    sql: &str,
    what: &str,
    on_block: F,
) -> Result<Ended, DemoError>
where
    F: FnMut(&Block, &mut DemoOut<'_>) -> Result<(), DemoError>,
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
/// long INSERT, shortened), and a `grace` period: once `stop` turns true the
/// statement still gets that long to finish by itself (an INSERT that was
/// sent should rather complete) before it is cancelled.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_query_echo<F>(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut watch::Receiver<bool>,
    sql: &str,
    echo: &str,
    what: &str,
    grace: Duration,
    mut on_block: F,
) -> Result<Ended, DemoError>
where
    F: FnMut(&Block, &mut DemoOut<'_>) -> Result<(), DemoError>,
{
    io.sql(echo)?;
    if is_stopped(stop) {
        return Ok(Ended::Stopped);
    }
    let fail = |source: WireError| query_error(what, source, cfg);
    let started = tokio::select! {
        biased;
        _ = wait_stop(stop) => None,
        started = conn.query(sql, &[], "") => Some(started),
    };
    let mut stream = match started {
        None => {
            // Stopped before the query was sent: nothing to cancel.
            return Ok(Ended::Stopped);
        }
        Some(started) => started.map_err(fail)?,
    };
    let mut failure = None;
    let mut give_up: Option<tokio::time::Instant> = None;
    loop {
        let event = tokio::select! {
            biased;
            _ = wait_stop(stop), if give_up.is_none() => {
                if grace.is_zero() {
                    break;
                }
                give_up = Some(tokio::time::Instant::now() + grace);
                continue;
            }
            _ = tokio::time::sleep_until(give_up.unwrap_or_else(tokio::time::Instant::now)), if give_up.is_some() => break,
            event = stream.next() => event,
        };
        match event {
            Ok(None) => return Ok(Ended::Finished),
            Ok(Some(Event::Data(block))) if block.rows > 0 => {
                if let Err(err) = on_block(&block, io) {
                    failure = Some(err);
                    break;
                }
            }
            Ok(Some(_)) => {}
            Err(source) => return Err(fail(source)),
        }
    }
    stream.cancel_and_drain(CANCEL_DEADLINE).await;
    match failure {
        Some(err) => Err(err),
        None => Ok(Ended::Stopped),
    }
}

/// Echoes and runs a statement that returns no rows worth showing (DDL,
/// INSERT). `Ended::Stopped` when `stop` turned true first.
pub(crate) async fn execute(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut watch::Receiver<bool>,
    sql: &str,
    what: &str,
) -> Result<Ended, DemoError> {
    run_query(conn, cfg, io, stop, sql, what, |_, _| Ok(())).await
}

/// Runs the macros' first statement, `CREATE EXTERNAL STREAM IF NOT EXISTS ...`.
pub(crate) async fn create_stream(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut watch::Receiver<bool>,
) -> Result<Ended, DemoError> {
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

fn hint_for(err: &WireError, cfg: &DemoConfig) -> Option<String> {
    let WireError::Server(exception) = err else {
        return None;
    };
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
    if exception.code == NO_AVAILABLE_KAFKA_CONSUMER {
        return Some(format!(
            "too many queries read the external stream {} at once (Proton allows 50); \
             stop some, e.g. with KILL QUERY",
            cfg.stream
        ));
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
    use std::time::Duration;

    /// Compiles only if the macro futures are `Send`, so the shell may spawn them.
    #[allow(dead_code)]
    fn run_future_is_send(
        conn: &mut Connection,
        cfg: &DemoConfig,
        invocation: &DemoInvocation,
        out: &mut (dyn Write + Send),
        stop: watch::Receiver<bool>,
    ) {
        fn is_send<T: Send>(_: T) {}
        is_send(run(conn, cfg, invocation, DemoOut::plain(out), stop));
    }

    #[test]
    fn parse_each_macro() {
        let inv = parse_args("school-count", &["--all", "--distinct"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::SchoolCount(SchoolCountOpts {
                all: true,
                distinct: true
            })
        );
        let inv = parse_args(":new-docs", &["--json", "--resource", "School"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::NewDocs(NewDocsOpts {
                json: true,
                resource: Some("School".into()),
                all: false
            })
        );
        let inv =
            parse_args("validate", &["--resume", "--reset", "--partitions=3"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::Validate(ValidateOpts {
                resume: true,
                reset: true,
                partitions: Some(3),
                verbose: false
            })
        );
        let inv = parse_args("demo-load", &["--pace", "500ms"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::DemoLoad(DemoLoadOpts {
                pace: Some(Duration::from_millis(500))
            })
        );
    }

    #[test]
    fn common_flags_override_the_config() {
        let inv = parse_command_line(
            "validate",
            "--brokers redpanda:9092 --topic=t2 --stream 'my doc' --view v --resume",
        )
        .expect("parse");
        let cfg = inv.config(&DemoConfig::default());
        assert_eq!(cfg.brokers, "redpanda:9092");
        assert_eq!(cfg.topic, "t2");
        assert_eq!(cfg.stream, "my doc");
        assert_eq!(cfg.view, "v");
    }

    #[test]
    fn bad_arguments_are_clear() {
        let err = parse_args("school-count", &["--bogus"]).expect_err("bad flag");
        assert!(err.contains("unknown option --bogus"), "{err}");
        assert!(err.contains("usage: :school-count"), "{err}");
        let err = parse_args("new-docs", &["--resource"]).expect_err("no value");
        assert!(err.contains("--resource needs a value"), "{err}");
        let err = parse_args("demo-load", &["--pace", "fast"]).expect_err("bad pace");
        assert!(err.contains("fast"), "{err}");
        let err = parse_args("validate", &["extra"]).expect_err("positional");
        assert!(err.contains("unexpected argument `extra`"), "{err}");
        let err = parse_args("validate", &["--resume=yes"]).expect_err("switch value");
        assert!(err.contains("takes no value"), "{err}");
        assert!(parse_args("nope", &[]).is_err());
        assert!(split_args("'open").is_err());
    }

    #[test]
    fn split_args_quotes() {
        assert_eq!(
            split_args(r#" a  'b c' "d'e" '' "#).expect("split"),
            vec!["a", "b c", "d'e", ""]
        );
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
