//! The shell's session: one server connection, session settings and display options, and running a statement.
//!
//! The connection sits in an `Arc<tokio::sync::Mutex<Option<Connection>>>`. After Ctrl-C the
//! query's Cancel is sent at once and the guard moves into a background task that drains the
//! connection, so the prompt comes back immediately; the next statement waits for that task
//! (a second Ctrl-C while it waits drops the connection instead). `None` means "dropped":
//! the next statement connects again.
//!
//! This is also the API the demo commands use (see `demo_hook`): [`Session::run_sql`] runs a
//! statement the way typed SQL runs; [`Session::query_blocks`] and [`Session::stream`] give
//! the rows to the caller instead of printing them.

use super::editor::complete::SnippetList;
use super::exec::{pump, Ended, Interrupts, Output};
use super::status::{self, StatusLine};
use super::term::{self, EchoOff};
use crate::demos::DemoConfig;
use crate::errors::{self, paint};
use crate::render::{sink_for, Format, RenderOpts, Sink};
use crate::sql::{self, Analysis, Statement, StatementKind};
use crate::wire::protocol::REV_SETTINGS_AS_STRINGS;
use crate::wire::{self, Block, ConnectOptions, Connection, ServerInfo};
use nu_ansi_term::{Color, Style};
use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::task::JoinHandle;

/// How long a background drain may take before the connection is dropped instead.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(5);
/// An idle connection is checked with a Ping before the next statement after this long,
/// so a server restart shows up as "reconnected" rather than as a failed statement.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// Wait this long for a previous cancel before saying that the shell is waiting.
const WAIT_NOTICE_AFTER: Duration = Duration::from_millis(300);

pub const STREAMING_HINT: &str =
    "streaming query: runs until Ctrl-C; wrap the stream in table(...) for existing rows";

type ConnSlot = Arc<Mutex<Option<Connection>>>;
type ConnGuard = OwnedMutexGuard<Option<Connection>>;

/// How a statement ended, for the loop that runs a line of several statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StmtOutcome {
    Ok,
    Failed,
    /// Ctrl-C: the rest of the line is not run.
    Cancelled,
}

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

/// The state of one interactive session.
pub struct Session {
    opts: ConnectOptions,
    conn: ConnSlot,
    server: Option<ServerInfo>,
    drain: Option<JoinHandle<()>>,
    interrupts: Interrupts,
    last_used: Instant,
    last_elapsed: Duration,
    /// Session settings sent with every query (`:set`).
    pub settings: Vec<(String, String)>,
    /// The format the user chose (`:format`, `--format`); `None` = pick per statement.
    pub format: Option<Format>,
    pub timing: bool,
    pub hints: bool,
    hint_shown: bool,
    pub term: Terminal,
    /// Text to pre-fill the next prompt with (`:edit`).
    pub pending_input: Option<String>,
    /// The last SQL statement that ran (`:save`).
    pub last_sql: Option<String>,
    /// Set by statements that change the catalog (DDL), read by the loop to refresh completion.
    pub catalog_dirty: bool,
    /// Snippet names offered by completion after `:run`, `:show`, `:edit` (the demos fill it).
    pub snippets: SnippetList,
    /// Settings of the demo commands (`:set demo.<key>=…`, the config file's `[demo]`).
    pub demo: DemoConfig,
}

impl Session {
    /// A session around an established connection. Call inside the runtime (installs SIGINT).
    pub fn new(conn: Connection, term: Terminal, interrupts: Interrupts) -> Session {
        Session {
            opts: conn.options().clone(),
            server: Some(conn.server_info().clone()),
            conn: Arc::new(Mutex::new(Some(conn))),
            drain: None,
            interrupts,
            last_used: Instant::now(),
            last_elapsed: Duration::ZERO,
            settings: Vec::new(),
            format: None,
            timing: true,
            hints: true,
            hint_shown: false,
            term,
            pending_input: None,
            last_sql: None,
            catalog_dirty: false,
            snippets: SnippetList::default(),
            demo: DemoConfig::default(),
        }
    }

    pub fn connect_options(&self) -> &ConnectOptions {
        &self.opts
    }

    /// What the server said about itself at the last (re)connect.
    pub fn server_info(&self) -> Option<&ServerInfo> {
        self.server.as_ref()
    }

    /// The current database as the prompt shows it.
    pub fn database(&self) -> &str {
        if self.opts.database.is_empty() {
            "default"
        } else {
            &self.opts.database
        }
    }

    /// `proton@localhost:default> `
    pub fn prompt(&self) -> String {
        let name = self
            .server
            .as_ref()
            .map(|s| s.display_name.as_str())
            .filter(|n| !n.is_empty())
            .or(self.server.as_ref().map(|s| s.name.as_str()))
            .unwrap_or("proton");
        format!("{name}@{}:{}> ", self.opts.host, self.database())
    }

    pub fn interrupts(&mut self) -> &mut Interrupts {
        &mut self.interrupts
    }

    // ---- messages (stderr) ----------------------------------------------------------------

    /// A dim note on stderr (summaries, hints).
    pub fn note(&self, msg: &str) {
        eprintln!(
            "{}",
            paint(self.term.err_color(), Style::new().dimmed(), msg)
        );
    }

    /// A yellow notice on stderr (cancels, reconnects).
    pub fn notice(&self, msg: &str) {
        eprintln!(
            "{}",
            paint(self.term.err_color(), Color::Yellow.normal(), msg)
        );
    }

    /// A red error on stderr.
    pub fn error(&self, msg: &str) {
        eprintln!("{}", paint(self.term.err_color(), Color::Red.bold(), msg));
    }

    /// A wire error, with the caret under `sql` for server errors that give a position.
    pub fn show_wire_error(&self, e: &wire::Error, sql: Option<&str>) {
        let color = self.term.err_color();
        match e {
            wire::Error::Server(ex) => eprintln!("{}", errors::format_exception(ex, sql, color)),
            other => eprintln!("{}", paint(color, Color::Red.bold(), &other.to_string())),
        }
        for h in errors::wire_hints(e) {
            self.note(&format!("hint: {h}"));
        }
    }

    // ---- the connection -------------------------------------------------------------------

    /// Take the connection, waiting for a background drain. Ctrl-C while waiting drops the
    /// connection (it reconnects on the next statement) and returns `None`.
    async fn acquire(&mut self) -> Option<ConnGuard> {
        if let Ok(g) = self.conn.clone().try_lock_owned() {
            self.drain = None;
            return Some(g);
        }
        let lock = self.conn.clone().lock_owned();
        tokio::pin!(lock);
        let notice = tokio::time::sleep(WAIT_NOTICE_AFTER);
        tokio::pin!(notice);
        let mut noticed = false;
        loop {
            tokio::select! {
                biased;
                g = &mut lock => {
                    self.drain = None;
                    return Some(g);
                }
                _ = self.interrupts.recv() => break,
                _ = &mut notice, if !noticed => {
                    noticed = true;
                    self.note("waiting for the server to finish cancelling the previous query (Ctrl-C drops the connection)");
                }
            }
        }
        if let Some(h) = self.drain.take() {
            h.abort();
            let _ = h.await;
        }
        let mut g = lock.await;
        *g = None;
        self.notice("Connection dropped; the shell reconnects on the next statement.");
        None
    }

    /// Make sure the guarded slot holds a live connection, reconnecting (and saying so) if
    /// it was dropped, broke, or went stale while idle. Ctrl-C abandons the attempt: `Ok(false)`.
    async fn connect_if_needed(&mut self, slot: &mut ConnGuard) -> Result<bool, wire::Error> {
        let why = match slot.as_mut() {
            None => Some("Reconnected"),
            Some(c) if !c.is_connected() => Some("Connection lost; reconnected"),
            Some(c) if self.last_used.elapsed() >= PING_AFTER_IDLE => {
                match tokio::time::timeout(PING_TIMEOUT, c.ping()).await {
                    Ok(Ok(())) => None,
                    _ => Some("Connection lost; reconnected"),
                }
            }
            Some(_) => None,
        };
        let Some(why) = why else {
            return Ok(true);
        };
        **slot = None;
        let fresh = tokio::select! {
            biased;
            _ = self.interrupts.recv() => {
                self.notice("Connect cancelled.");
                return Ok(false);
            }
            c = Connection::connect(self.opts.clone()) => c?,
        };
        self.server = Some(fresh.server_info().clone());
        **slot = Some(fresh);
        self.notice(&format!("{why} to {}.", self.opts.addr()));
        if let Some(c) = slot.as_mut() {
            self.apply_settings_on_old_server(c).await;
        }
        Ok(true)
    }

    /// Servers before revision 54429 (ClickHouse ≤ 19.x) ignore per-query settings: send
    /// `SET` statements for the session instead.
    async fn apply_settings_on_old_server(&self, c: &mut Connection) {
        if c.revision() >= REV_SETTINGS_AS_STRINGS {
            return;
        }
        for (k, v) in &self.settings {
            if let Err(e) = c.execute(&set_statement(k, v), &[]).await {
                self.show_wire_error(&e, None);
            }
        }
    }

    fn spawn_drain(&mut self, mut guard: ConnGuard) {
        self.drain = Some(tokio::spawn(async move {
            if let Some(c) = guard.as_mut() {
                c.drain(DRAIN_DEADLINE).await;
            }
        }));
    }

    /// Connect to another server (`:connect`). The old connection stays if this fails.
    pub async fn reconnect_to(&mut self, host: String, port: Option<u16>) -> bool {
        let mut opts = self.opts.clone();
        opts.host = host;
        if let Some(p) = port {
            opts.port = p;
        }
        self.interrupts.clear().await;
        let Some(mut slot) = self.acquire().await else {
            return false;
        };
        let attempt = tokio::select! {
            biased;
            _ = self.interrupts.recv() => {
                self.notice("Connect cancelled.");
                return false;
            }
            c = Connection::connect(opts.clone()) => c,
        };
        match attempt {
            Ok(mut c) => {
                self.opts = opts;
                self.server = Some(c.server_info().clone());
                self.apply_settings_on_old_server(&mut c).await;
                *slot = Some(c);
                self.last_used = Instant::now();
                let info = self.server.as_ref().expect("just set");
                self.notice(&format!(
                    "Connected to {} {} at {}.",
                    info.name,
                    info.version(),
                    self.opts.addr()
                ));
                self.catalog_dirty = true;
                true
            }
            Err(e) => {
                self.show_wire_error(&e, None);
                self.note("still connected to the previous server");
                false
            }
        }
    }

    /// Add or replace a session setting; old servers get a `SET` right away.
    pub async fn set_setting(&mut self, name: String, value: String) {
        match self.settings.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value.clone(),
            None => self.settings.push((name.clone(), value.clone())),
        }
        self.interrupts.clear().await;
        if let Some(mut slot) = self.acquire().await {
            if let Some(c) = slot.as_mut() {
                if c.is_connected() && c.revision() < REV_SETTINGS_AS_STRINGS {
                    if let Err(e) = c.execute(&set_statement(&name, &value), &[]).await {
                        self.show_wire_error(&e, None);
                    }
                }
            }
        }
    }

    // ---- running statements ---------------------------------------------------------------

    /// The format for one statement: `\G`, then the user's choice, then by terminal and query.
    pub fn pick_format(&self, vertical: bool, a: &Analysis) -> Format {
        if vertical {
            Format::Vertical
        } else if let Some(f) = self.format {
            f
        } else if !self.term.stdout_tty {
            Format::Tsv
        } else if a.streaming && a.aggregate_without_window {
            Format::Live
        } else {
            Format::Table
        }
    }

    /// Render options for stdout as it is now (colour, terminal width).
    pub fn render_opts(&self) -> RenderOpts {
        RenderOpts {
            color: self.term.out_color(),
            width: if self.term.stdout_tty {
                term::width().unwrap_or(0)
            } else {
                0
            },
            is_tty: self.term.stdout_tty,
        }
    }

    /// Run one SQL statement the way typed SQL runs: hint, stream rows to stdout in the
    /// chosen format with a status line, Ctrl-C cancels, then a summary or an error.
    pub async fn run_sql(&mut self, stmt: &Statement) -> StmtOutcome {
        let sql = stmt.sql.as_str();
        let a = sql::analyze(sql);
        if a.streaming && self.hints && !self.hint_shown {
            self.hint_shown = true;
            self.notice(STREAMING_HINT);
        }
        let format = self.pick_format(stmt.vertical, &a);
        self.last_sql = Some(sql.to_string());
        let mut sink = sink_for(format, &self.render_opts());
        match self.stream_into(sql, sink.as_mut(), true).await {
            Ended::Done { rows, result_set } => {
                if a.is_ddl {
                    self.catalog_dirty = true;
                }
                if a.kind == StatementKind::Use {
                    if let Some(db) = use_target(sql) {
                        // Reconnects land in the same database, and completion follows it.
                        self.opts.database = db;
                        self.catalog_dirty = true;
                    }
                }
                if self.timing {
                    self.note(&if result_set {
                        status::summary(rows, self.last_elapsed)
                    } else {
                        status::summary_ok(self.last_elapsed)
                    });
                }
                StmtOutcome::Ok
            }
            Ended::Interrupted { rows } | Ended::OutputClosed { rows } => {
                self.notice(&format!("Query cancelled ({})", status::rows_text(rows)));
                StmtOutcome::Cancelled
            }
            // Ctrl-C before the query was sent: what happened was already said.
            Ended::Aborted => StmtOutcome::Cancelled,
            Ended::Failed { error, .. } => {
                self.show_wire_error(&error, Some(sql));
                StmtOutcome::Failed
            }
        }
    }
}

impl Session {
    /// Stream `sql` into `sink`, writing what it renders to stdout. Handles everything around
    /// the query: waiting for a previous cancel, reconnecting, echo off, the status line (when
    /// `status_line` and stderr is a terminal), and on Ctrl-C sending Cancel and draining in
    /// the background. Prints nothing else: no summary, no error.
    pub async fn stream_into(
        &mut self,
        sql: &str,
        sink: &mut dyn Sink,
        status_line: bool,
    ) -> Ended {
        self.interrupts.clear().await;
        let Some(mut slot) = self.acquire().await else {
            return Ended::Aborted;
        };
        match self.connect_if_needed(&mut slot).await {
            Ok(true) => {}
            Ok(false) => return Ended::Aborted,
            Err(error) => return Ended::Failed { rows: 0, error },
        }
        let started = Instant::now();
        // Keys typed while rows stream must not be echoed into them (and ^C^C^C neither).
        let _echo = self.term.stdin_tty.then(EchoOff::stdin);
        let Some(conn) = slot.as_mut() else {
            return Ended::Failed {
                rows: 0,
                error: wire::Error::NotConnected,
            };
        };
        let mut stream = match conn.query(sql, &self.settings, "").await {
            Ok(s) => s,
            Err(error) => return Ended::Failed { rows: 0, error },
        };
        let mut status = StatusLine::new(
            status_line && self.term.stderr_tty,
            self.term.err_color(),
            term::width().unwrap_or(80),
        );
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let mut output = Output {
            out: &mut out,
            status: &mut status,
        };
        let ended = pump(&mut stream, sink, &mut output, &mut self.interrupts).await;
        drop(out);
        self.last_elapsed = started.elapsed();
        self.last_used = Instant::now();
        if matches!(
            ended,
            Ended::Interrupted { .. } | Ended::OutputClosed { .. }
        ) {
            // Cancel now, drain later: the prompt must not wait for the server.
            let _ = stream.cancel();
            self.spawn_drain(slot);
        }
        ended
    }

    /// The session's connection, connected and idle, for code that drives the wire client
    /// itself (the demo macros). Waits for a background drain first and reconnects (saying
    /// so) if needed; Ctrl-C while waiting gives `QueryError::Cancelled`. Statements wait
    /// while a lease is held, so hold it for one command only. Pair it with
    /// [`Session::interrupts`] to stop the work on Ctrl-C.
    pub async fn lease(&mut self) -> Result<Lease, QueryError> {
        self.interrupts.clear().await;
        let Some(mut slot) = self.acquire().await else {
            return Err(QueryError::Cancelled { rows: 0 });
        };
        if !self
            .connect_if_needed(&mut slot)
            .await
            .map_err(QueryError::Wire)?
        {
            return Err(QueryError::Cancelled { rows: 0 });
        }
        self.last_used = Instant::now();
        match slot.as_ref() {
            Some(_) => Ok(Lease(slot)),
            None => Err(QueryError::Wire(wire::Error::NotConnected)),
        }
    }

    /// How long the last streamed statement took.
    pub fn last_elapsed(&self) -> Duration {
        self.last_elapsed
    }

    /// Run `sql` and collect its data blocks without printing them (a status line shows on
    /// a terminal; Ctrl-C cancels). For small results: everything is kept in memory.
    pub async fn query_blocks(&mut self, sql: &str) -> Result<Vec<Block>, QueryError> {
        let mut sink = CollectSink::default();
        match self.stream_into(sql, &mut sink, true).await {
            Ended::Done { .. } => Ok(sink.blocks),
            Ended::Interrupted { rows } | Ended::OutputClosed { rows } => {
                Err(QueryError::Cancelled { rows })
            }
            Ended::Aborted => Err(QueryError::Cancelled { rows: 0 }),
            Ended::Failed { error, .. } => Err(QueryError::Wire(error)),
        }
    }

    /// Run `sql` and hand each data block to `on_block` as it arrives; whatever `on_block`
    /// appends to its `Vec<u8>` is written to stdout (between status-line redraws).
    /// Ctrl-C cancels the query; the result says how it ended. Nothing else is printed.
    pub async fn stream<F>(&mut self, sql: &str, on_block: F) -> Ended
    where
        F: FnMut(&Block, &mut Vec<u8>) + Send,
    {
        let mut sink = FnSink {
            f: on_block,
            rows: 0,
        };
        self.stream_into(sql, &mut sink, true).await
    }
}

/// The session's connection, lent out by [`Session::lease`].
pub struct Lease(ConnGuard);

impl std::ops::Deref for Lease {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0.as_ref().expect("a lease always holds a connection")
    }
}

impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Connection {
        self.0.as_mut().expect("a lease always holds a connection")
    }
}

/// Why [`Session::query_blocks`] returned no rows.
#[derive(Debug)]
pub enum QueryError {
    Cancelled { rows: u64 },
    Wire(wire::Error),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Cancelled { rows } => write!(f, "cancelled after {rows} rows"),
            QueryError::Wire(e) => write!(f, "{e}"),
        }
    }
}

/// Keeps every data block (and nothing is printed).
#[derive(Default)]
struct CollectSink {
    blocks: Vec<Block>,
    rows: u64,
}

impl Sink for CollectSink {
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}
    fn block(&mut self, block: &Block, _out: &mut Vec<u8>) {
        self.rows += block.rows as u64;
        self.blocks.push(block.clone());
    }
    fn finish(&mut self, _out: &mut Vec<u8>) {}
    fn rows(&self) -> u64 {
        self.rows
    }
}

/// Calls a closure per data block.
struct FnSink<F> {
    f: F,
    rows: u64,
}

impl<F: FnMut(&Block, &mut Vec<u8>) + Send> Sink for FnSink<F> {
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}
    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.rows += block.rows as u64;
        (self.f)(block, out);
    }
    fn finish(&mut self, _out: &mut Vec<u8>) {}
    fn rows(&self) -> u64 {
        self.rows
    }
}

/// `SET name = value`, quoting the value unless it is a number.
fn set_statement(name: &str, value: &str) -> String {
    if value.parse::<f64>().is_ok() {
        format!("SET {name} = {value}")
    } else {
        format!(
            "SET {name} = '{}'",
            value.replace('\\', "\\\\").replace('\'', "\\'")
        )
    }
}

/// The database named by `USE db` (quotes and backticks removed).
fn use_target(sql: &str) -> Option<String> {
    let t = sql.trim();
    let head = t.get(..3)?;
    if !head.eq_ignore_ascii_case("use") {
        return None;
    }
    if !t[3..].starts_with(char::is_whitespace) {
        return None;
    }
    let rest = t[3..].trim().trim_end_matches(';').trim();
    let db = match rest.chars().next()? {
        q @ ('`' | '"') => rest[1..].split(q).next()?,
        _ => rest.split_whitespace().next()?,
    };
    (!db.is_empty()).then(|| db.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_statements_quote_non_numbers() {
        assert_eq!(set_statement("max_threads", "4"), "SET max_threads = 4");
        assert_eq!(
            set_statement("query_mode", "table"),
            "SET query_mode = 'table'"
        );
        assert_eq!(set_statement("x", "it's"), "SET x = 'it\\'s'");
    }

    #[test]
    fn use_targets() {
        assert_eq!(use_target("USE system").as_deref(), Some("system"));
        assert_eq!(use_target("use `my db`").as_deref(), Some("my db"));
        assert_eq!(use_target("user"), None);
        assert_eq!(use_target("use \"x\";").as_deref(), Some("x"));
        assert_eq!(use_target("SELECT 1"), None);
        assert_eq!(use_target("USE"), None);
    }
}
