//! The shell's session: the connection slot (reconnect, background drain), session settings and display options, and running one SQL statement.
//!
//! The connection sits in an `Arc<tokio::sync::Mutex<Option<Connection>>>`. After Ctrl-C the
//! query's Cancel is sent at once (by `run::execute`) and the guard moves into a background
//! task that drains the connection, so the prompt comes back immediately; the next statement
//! waits for that task (a second Ctrl-C while it waits drops the connection instead).
//! `None` means "dropped": the next statement connects again.

use super::editor::ShellNames;
use super::server_session::ServerSession;
use crate::demos::DemoConfig;
use crate::errors;
use crate::render::{sink_for, ChartSink, ChartSpec, Format, RenderOpts, Sink};
use crate::run::{self, EchoOff, Ended, ExecOptions, Interrupts, SessionSettings, Terminal};
use crate::sql::{self, Analysis, SessionEffect, Statement};
use crate::style::{self, paint};
use crate::wire::{self, ConnectOptions, Connection, Flavour, ServerInfo};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::task::JoinHandle;

/// An idle connection is checked with a Ping before the next statement after this long,
/// so a server restart shows up as "reconnected" rather than as a failed statement.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest a `:set` waits for the server to accept the new setting (a `SELECT 1`).
const SET_CHECK_TIMEOUT: Duration = Duration::from_secs(30);
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

/// The state of one interactive session. Its fields are the shell's own (`shell::dispatch`
/// changes them); nothing outside `shell` sees them.
pub struct Session {
    opts: ConnectOptions,
    conn: ConnSlot,
    server: Option<ServerInfo>,
    drain: Option<JoinHandle<()>>,
    interrupts: Interrupts,
    last_used: Instant,
    /// Session settings sent with every query (`:set`).
    pub(super) settings: SessionSettings,
    /// What the statements left in the server session, put back after a reconnect.
    server_session: ServerSession,
    /// The format the user chose (`:format`, `--format`); `None` = pick per statement.
    pub(super) format: Option<Format>,
    /// The columns and height of the chart format (`:chart`).
    pub(super) chart: ChartSpec,
    /// The format before the chart went on, put back by `:chart off`.
    before_chart: Option<Format>,
    pub(super) timing: bool,
    pub(super) hints: bool,
    hint_shown: bool,
    pub(super) term: Terminal,
    /// Text to put on the next prompt for editing (`:edit`).
    pub(super) pending_input: Option<String>,
    /// The last SQL statement that ran (`:save`).
    pub(super) last_sql: Option<String>,
    /// Set by statements that change the catalog (DDL), read by the loop to refresh completion.
    pub(super) catalog_dirty: bool,
    /// Snippet and set setting names offered by completion (`:run`, `:unset`, …).
    pub(super) names: ShellNames,
    /// The prompt template (`--prompt`).
    pub(super) prompt: String,
    /// JSON output quotes 64-bit integers, as ClickHouse's JSONEachRow does.
    pub(super) json_quote_64bit: bool,
    /// The status line (and streaming strip) on stderr while a statement runs (`:status`).
    pub(super) status: bool,
    /// Rows shown are also written here (`:tee`).
    pub(super) tee: Option<crate::tee::Tee>,
    /// Settings of the demo commands (`:set demo.<key>=…`, the config file's `[demo]`).
    pub(super) demo: DemoConfig,
    /// The database the shell started in (`--database`, or the server's default): where a
    /// new link goes when the one `USE` chose is gone.
    first_database: String,
    /// Keys typed ahead during the last query, too many for the line editor (see
    /// `shell::typeahead`); the REPL replays them before it reads on.
    pub(super) typeahead: Vec<u8>,
}

/// The server's error code for a database that does not exist (ClickHouse and Proton).
const UNKNOWN_DATABASE: i32 = 81;

impl Session {
    /// A session around an established connection. Call inside the runtime (installs SIGINT).
    pub fn new(conn: Connection, term: Terminal, interrupts: Interrupts) -> Session {
        Session {
            first_database: conn.options().database.clone(),
            typeahead: Vec::new(),
            opts: conn.options().clone(),
            server: Some(conn.server_info().clone()),
            conn: Arc::new(Mutex::new(Some(conn))),
            drain: None,
            interrupts,
            last_used: Instant::now(),
            settings: SessionSettings::default(),
            server_session: ServerSession::default(),
            format: None,
            chart: ChartSpec::default(),
            before_chart: None,
            timing: true,
            hints: true,
            hint_shown: false,
            term,
            pending_input: None,
            last_sql: None,
            catalog_dirty: false,
            names: ShellNames::default(),
            prompt: crate::cli::DEFAULT_PROMPT.to_string(),
            json_quote_64bit: false,
            status: true,
            tee: None,
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

    /// The SQL the server speaks: how statements are read and what the shell teaches.
    pub fn flavour(&self) -> Flavour {
        self.server
            .as_ref()
            .map(ServerInfo::flavour)
            .unwrap_or_default()
    }

    /// The major version of the Proton server, for teaching the SQL spelled for it; `None` when
    /// the server is not Proton (ClickHouse) or not known yet.
    pub fn proton_major(&self) -> Option<u64> {
        let info = self.server.as_ref()?;
        info.is_timeplus().then_some(info.version_major)
    }

    /// The current database as the prompt shows it.
    pub fn database(&self) -> &str {
        if self.opts.database.is_empty() {
            "default"
        } else {
            &self.opts.database
        }
    }

    /// The prompt template with its placeholders filled in (the prompt adds `> `):
    /// `{user}`, `{host}`, `{port}`, `{database}`, `{display_name}` (the server's name for
    /// itself, else its product name).
    pub fn prompt_left(&self) -> String {
        let display = self
            .server
            .as_ref()
            .map(|s| s.display_name.as_str())
            .filter(|n| !n.is_empty())
            .or(self.server.as_ref().map(|s| s.name.as_str()))
            .unwrap_or("proton");
        self.prompt
            .replace("{user}", &self.opts.user)
            .replace("{host}", &self.opts.host)
            .replace("{port}", &self.opts.port.to_string())
            .replace("{database}", self.database())
            .replace("{display_name}", display)
    }

    // ---- messages (stderr) ----------------------------------------------------------------

    /// A dim note on stderr (summaries, hints).
    pub fn note(&self, msg: &str) {
        eprintln!("{}", paint(self.term.err_color(), style::note(), msg));
    }

    /// A yellow notice on stderr (cancels, reconnects).
    pub fn notice(&self, msg: &str) {
        eprintln!("{}", paint(self.term.err_color(), style::notice(), msg));
    }

    /// A red error on stderr.
    pub fn error(&self, msg: &str) {
        eprintln!("{}", paint(self.term.err_color(), style::error(), msg));
    }

    /// A wire error, with the caret under `sql` for server errors that give a position.
    pub fn show_wire_error(&self, e: &wire::Error, sql: Option<&str>) {
        let color = self.term.err_color();
        match e {
            wire::Error::Server(ex) => eprintln!("{}", errors::format_exception(ex, sql, color)),
            // Not only our words: a type name or a protocol message can come from the server.
            other => eprintln!(
                "{}",
                paint(color, style::error(), &style::printable(&other.to_string()))
            ),
        }
        for h in errors::wire_hints(e, self.flavour()) {
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
    /// it was dropped, broke, or went stale while idle, and that the server session is the
    /// user's: a new one gets its settings back. Ctrl-C abandons the attempt: `Ok(false)`.
    async fn connect_if_needed(&mut self, slot: &mut ConnGuard) -> Result<bool, wire::Error> {
        let mut database_gone = false;
        loop {
            let why = match slot.as_mut() {
                None => Some("Reconnected"),
                // A planned resync is quiet: `ensure_connected` below does it.
                Some(c) if c.needs_resync() => None,
                Some(c) if !c.is_connected() => Some("Connection lost; reconnected"),
                Some(c) if self.last_used.elapsed() >= PING_AFTER_IDLE => {
                    match tokio::time::timeout(PING_TIMEOUT, c.ping()).await {
                        Ok(Ok(())) => None,
                        _ => Some("Connection lost; reconnected"),
                    }
                }
                Some(_) => None,
            };
            if let Some(why) = why {
                **slot = None;
                let Some((fresh, opts)) = self.connect_in_database(self.opts.clone()).await? else {
                    self.notice("Connect cancelled.");
                    return Ok(false);
                };
                self.opts = opts;
                self.server = Some(fresh.server_info().clone());
                **slot = Some(fresh);
                self.server_session.replaced();
                self.notice(&format!("{why} to {}.", self.opts.addr()));
            }
            let Some(c) = slot.as_mut() else {
                return Ok(false);
            };
            // Flushes what an old server left behind an error; a planned resync happens here.
            match c.ensure_connected().await {
                Ok(true) => self.notice(&format!(
                    "Connection lost; reconnected to {}.",
                    self.opts.addr()
                )),
                Ok(false) => {}
                // The link's own reconnect went to the database `USE` chose, which is gone
                // (the server was reset): once more, through the fallback above.
                Err(wire::Error::Server(ex)) if ex.code == UNKNOWN_DATABASE && !database_gone => {
                    database_gone = true;
                    **slot = None;
                    continue;
                }
                Err(e) => return Err(e),
            }
            if self.server_session.is_new(c) {
                self.restore_server_session(c).await;
            }
            return Ok(true);
        }
    }

    /// Connect with `opts`; if the server has no database `opts.database` (a reset server, or
    /// `:connect` to one without it), connect in the database the shell started in instead
    /// and say so, rather than fail every statement from now on. `None`: Ctrl-C.
    async fn connect_in_database(
        &mut self,
        mut opts: ConnectOptions,
    ) -> Result<Option<(Connection, ConnectOptions)>, wire::Error> {
        match run::connect(opts.clone(), &mut self.interrupts).await {
            Err(wire::Error::Server(ex))
                if ex.code == UNKNOWN_DATABASE && opts.database != self.first_database =>
            {
                let gone = std::mem::replace(&mut opts.database, self.first_database.clone());
                let Some(c) = run::connect(opts.clone(), &mut self.interrupts).await? else {
                    return Ok(None);
                };
                self.catalog_dirty = true;
                let now = if opts.database.is_empty() {
                    "the server's default database"
                } else {
                    opts.database.as_str()
                };
                self.notice(&style::printable(&format!(
                    "Database {gone} does not exist on {}; now in {now}.",
                    opts.addr()
                )));
                Ok(Some((c, opts)))
            }
            other => Ok(other?.map(|c| (c, opts))),
        }
    }

    /// `c` is in a new server session: put the user's settings back, and say once what could
    /// not be (temporary tables). The database needs nothing: links start in it.
    async fn restore_server_session(&mut self, c: &mut Connection) {
        let lost = self.server_session.restore(c, &self.settings).await;
        if !lost.is_empty() {
            self.notice(&style::printable(&format!(
                "The server session was reset: {}. The database and the other settings were restored.",
                lost.join("; ")
            )));
        }
    }

    fn spawn_drain(&mut self, mut guard: ConnGuard) {
        self.drain = Some(tokio::spawn(async move {
            if let Some(c) = guard.as_mut() {
                c.drain(run::CANCEL_DEADLINE).await;
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
        let attempt = match self.connect_in_database(opts).await {
            Ok(None) => {
                self.notice("Connect cancelled.");
                return false;
            }
            Ok(Some(c)) => Ok(c),
            Err(e) => Err(e),
        };
        match attempt {
            Ok((mut c, opts)) => {
                self.opts = opts;
                self.server = Some(c.server_info().clone());
                self.server_session.replaced();
                self.restore_server_session(&mut c).await;
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

    /// Add or replace a session setting once the server accepts it (see
    /// [`SessionSettings::set`]). A refused setting is not kept; the server's error is shown
    /// and `false` returned.
    pub async fn set_setting(&mut self, name: String, value: String) -> bool {
        self.interrupts.clear().await;
        let Some(mut slot) = self.acquire().await else {
            return false;
        };
        match self.connect_if_needed(&mut slot).await {
            Ok(true) => {}
            Ok(false) => return false,
            Err(e) => {
                self.show_wire_error(&e, None);
                return false;
            }
        }
        let Some(c) = slot.as_mut() else {
            return false;
        };
        // A server that keeps the check running (progress packets, a trickle of data) must
        // not hold the shell: Ctrl-C or the deadline gives up, and the query is drained.
        let checked = tokio::select! {
            biased;
            _ = self.interrupts.recv() => None,
            r = tokio::time::timeout(SET_CHECK_TIMEOUT, self.settings.set(c, &name, &value)) => Some(r),
        };
        self.last_used = Instant::now();
        match checked {
            Some(Ok(Ok(()))) => true,
            Some(Ok(Err(e))) => {
                self.show_wire_error(&e, None);
                false
            }
            Some(Err(_)) => {
                self.spawn_drain(slot);
                self.error(&format!(
                    "the server did not confirm the setting within {} s; {name} is unchanged",
                    SET_CHECK_TIMEOUT.as_secs()
                ));
                false
            }
            None => {
                self.spawn_drain(slot);
                self.notice(&format!("Cancelled; {name} is unchanged."));
                false
            }
        }
    }

    /// Let completion see the session settings set now (after `:unset`).
    pub(super) fn publish_setting_names(&self) {
        let names = self.settings.per_query().iter().map(|(k, _)| k.clone());
        *self
            .names
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner()) = names.collect();
    }

    /// Chart the following statements with `spec`, remembering the format before.
    pub(super) fn chart_on(&mut self, spec: ChartSpec) {
        if self.format != Some(Format::Chart) {
            self.before_chart = self.format;
        }
        self.chart = spec;
        self.format = Some(Format::Chart);
    }

    /// Put back the format from before the chart; false if the chart was not on.
    pub(super) fn chart_off(&mut self) -> bool {
        let on = self.format == Some(Format::Chart);
        if on {
            self.format = self.before_chart.take();
        }
        on
    }

    // ---- running statements ---------------------------------------------------------------

    /// The format for one statement: its own (`\G`, its `FORMAT` clause), then the user's
    /// choice, then by terminal and query. An error for a `FORMAT` the shell cannot write.
    pub fn pick_format(&self, vertical: bool, a: &Analysis) -> Result<Format, String> {
        if let Some(f) = Format::of_statement(vertical, a.format.as_deref())? {
            return Ok(f);
        }
        Ok(if let Some(f) = self.format {
            f
        } else if !self.term.stdout_tty {
            Format::Tsv
        } else if a.streaming && a.aggregate_without_window {
            Format::Live
        } else {
            Format::Table
        })
    }

    /// Render options for stdout as it is now (colour, terminal width).
    pub fn render_opts(&self) -> RenderOpts {
        RenderOpts {
            color: self.term.out_color(),
            width: if self.term.stdout_tty {
                run::width().unwrap_or(0)
            } else {
                0
            },
            is_tty: self.term.stdout_tty,
            // A table the user asked for stays a table; an automatic one turns vertical
            // when its rows are too wide.
            auto_vertical: self.format != Some(Format::Table),
            width_now: self
                .term
                .stdout_tty
                .then_some(run::width as fn() -> Option<usize>),
            json_quote_64bit: self.json_quote_64bit,
        }
    }

    /// Run one SQL statement the way typed SQL runs: hint, stream rows to stdout in the
    /// chosen format with a status line, Ctrl-C cancels, then a summary or an error.
    pub async fn run_sql(&mut self, stmt: &Statement) -> StmtOutcome {
        let sql = stmt.sql.as_str();
        let a = sql::analyze_for(sql, self.flavour());
        let hint = (a.streaming && self.hints && !self.hint_shown)
            .then(|| paint(self.term.err_color(), style::notice(), STREAMING_HINT));
        let format = match self.pick_format(stmt.vertical, &a) {
            Ok(f) => f,
            Err(msg) => {
                self.error(&msg);
                return StmtOutcome::Failed;
            }
        };
        self.last_sql = Some(sql.to_string());
        let inner: Box<dyn Sink> = match format {
            Format::Chart => Box::new(ChartSink::new(&self.render_opts(), self.chart.clone())),
            f => sink_for(f, &self.render_opts()),
        };
        // The hint comes once the server accepted the query (its header arrived), so an
        // error is never preceded by it.
        let mut sink = HintFirst { inner, hint };
        let started = Instant::now();
        let ended = self
            .stream_into(sql, run::Shape::from_analysis(&a), &mut sink)
            .await;
        // Shown once per session, once it really was shown (not for a query that failed).
        if a.streaming && sink.hint.is_none() {
            self.hint_shown = true;
        }
        if sink.switched_to_vertical() && self.hints {
            self.note(
                "rows too wide for the terminal: shown vertically (`:format table` keeps a table)",
            );
        }
        match ended {
            Ended::Done {
                rows,
                result_set,
                progress,
            } => {
                if a.is_ddl {
                    self.catalog_dirty = true;
                }
                if self.timing {
                    self.note(&if result_set {
                        run::summary(rows, &progress, started.elapsed())
                    } else {
                        run::summary_ok(started.elapsed())
                    });
                }
                StmtOutcome::Ok
            }
            Ended::OutputClosed {
                rows,
                error: Some(e),
            } => {
                self.error(&format!("cannot write the output: {e}"));
                self.notice(&format!("Query cancelled ({})", run::rows_text(rows)));
                StmtOutcome::Cancelled
            }
            Ended::Interrupted { rows }
            | Ended::OutputClosed { rows, error: None }
            | Ended::Stopped { rows } => {
                self.notice(&format!("Query cancelled ({})", run::rows_text(rows)));
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
    /// Stream `sql` (of `shape`, from its analysis) into `sink`, writing what it renders to stdout. Handles everything around
    /// the query: waiting for a previous cancel, reconnecting, echo off, the status line, and
    /// on Ctrl-C draining in the background. Prints nothing else: no summary, no error.
    async fn stream_into(&mut self, sql: &str, shape: run::Shape, sink: &mut dyn Sink) -> Ended {
        self.interrupts.clear().await;
        let Some(mut slot) = self.acquire().await else {
            return Ended::Aborted;
        };
        match self.connect_if_needed(&mut slot).await {
            Ok(true) => {}
            Ok(false) => return Ended::Aborted,
            Err(error) => return Ended::Failed { rows: 0, error },
        }
        // Keys typed while rows stream must not be echoed into them (and ^C^C^C neither).
        let echo_off = self.term.stdin_tty.then(EchoOff::stdin);
        let Some(conn) = slot.as_mut() else {
            return Ended::Failed {
                rows: 0,
                error: wire::Error::NotConnected,
            };
        };
        let opts = ExecOptions {
            settings: self.settings.per_query(),
            status_line: self.term.stderr_tty && self.status,
            color: self.term.err_color(),
            grace: Duration::ZERO,
            shape,
        };
        let ended = run::execute_to_stdout(
            conn,
            sql,
            &opts,
            sink,
            self.tee.as_mut(),
            &mut self.interrupts,
        )
        .await;
        self.last_used = Instant::now();
        if let Ended::Done { .. } = ended {
            if let Some(effect) = sql::session_effect(sql) {
                self.note_effect(conn, &effect);
            }
        }
        if let Some(echo) = &echo_off {
            if ended.interrupted() {
                echo.discard_typeahead();
            } else if let Some(keys) = echo.take_typeahead(super::typeahead::TAKEOVER) {
                self.typeahead.extend_from_slice(&keys);
            }
        }
        if ended.needs_drain() {
            // Cancel was sent; drain later: the prompt must not wait for the server.
            self.spawn_drain(slot);
        }
        ended
    }

    /// Keep what a statement that succeeded on `conn` changed in the server session.
    fn note_effect(&mut self, conn: &mut Connection, effect: &SessionEffect) {
        if let SessionEffect::Use(db) = effect {
            // New links (reconnects) start in it, and completion follows it.
            self.opts.database = db.clone();
            conn.set_database(db);
            self.catalog_dirty = true;
        }
        self.server_session.note(effect);
    }

    /// The session's connection, connected and idle, for code that drives the wire client
    /// itself (the demo macros), with the session's interrupts. Waits for a background drain
    /// first and reconnects (saying so) if needed; `None` after Ctrl-C while waiting or a
    /// failed reconnect (already reported). Statements wait while a lease is held, so hold it
    /// for one command only.
    pub(super) async fn lease(&mut self) -> Option<(Lease, &mut Interrupts)> {
        self.interrupts.clear().await;
        let mut slot = self.acquire().await?;
        match self.connect_if_needed(&mut slot).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                self.show_wire_error(&e, None);
                return None;
            }
        }
        self.last_used = Instant::now();
        slot.as_ref()?;
        Some((Lease(slot), &mut self.interrupts))
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

/// Prints a hint (on stderr) when the header arrives, then renders as `inner`.
struct HintFirst {
    inner: Box<dyn Sink>,
    hint: Option<String>,
}

impl Sink for HintFirst {
    fn header(&mut self, header: &crate::wire::Block, out: &mut Vec<u8>) {
        if let Some(h) = self.hint.take() {
            eprintln!("{h}");
        }
        self.inner.header(header, out);
    }
    fn block(&mut self, block: &crate::wire::Block, out: &mut Vec<u8>) {
        if let Some(h) = self.hint.take() {
            eprintln!("{h}");
        }
        self.inner.block(block, out);
    }
    fn block_rows(
        &mut self,
        block: &crate::wire::Block,
        rows: std::ops::Range<usize>,
        out: &mut Vec<u8>,
    ) {
        if let Some(h) = self.hint.take() {
            eprintln!("{h}");
        }
        self.inner.block_rows(block, rows, out);
    }
    fn switched_to_vertical(&self) -> bool {
        self.inner.switched_to_vertical()
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        self.inner.finish(out);
    }
    fn rows(&self) -> u64 {
        self.inner.rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::io::{put_str, put_varint};
    use crate::wire::protocol::{client, server};
    use std::io::{Read, Write};

    /// A server that greets like Proton 1.6, answers pings, and never answers a query;
    /// the receiver hears when the first query has arrived.
    fn server_that_holds_queries() -> (u16, std::sync::mpsc::Receiver<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut hello = Vec::new();
            put_varint(&mut hello, server::HELLO);
            put_str(&mut hello, "proton");
            for v in [1, 6, 54459] {
                put_varint(&mut hello, v);
            }
            put_str(&mut hello, "UTC");
            put_str(&mut hello, "held");
            put_varint(&mut hello, 1);
            let mut buf = [0u8; 4096];
            if !matches!(s.read(&mut buf), Ok(n) if n > 0) || s.write_all(&hello).is_err() {
                return;
            }
            // Hold whatever follows (the query, then its Cancel) until the client closes.
            while let Ok(n @ 1..) = s.read(&mut buf) {
                if buf[0] == client::PING as u8 && n == 1 {
                    let _ = s.write_all(&[server::PONG as u8]);
                } else {
                    let _ = tx.send(());
                }
            }
        });
        (port, rx)
    }

    #[tokio::test]
    async fn ctrl_c_ends_a_set_check_the_server_never_answers() {
        let (port, query_arrived) = server_that_holds_queries();
        let opts = ConnectOptions {
            host: "127.0.0.1".into(),
            port,
            receive_timeout: None,
            ..Default::default()
        };
        let conn = Connection::connect(opts).await.unwrap();
        let (interrupts, ctrl_c) = Interrupts::manual();
        let term = Terminal {
            stdout_tty: false,
            stderr_tty: false,
            stdin_tty: false,
            color_allowed: false,
        };
        let mut session = Session::new(conn, term, interrupts);
        // Ctrl-C once the check is on the wire (after `set_setting` has cleared old ones).
        std::thread::spawn(move || {
            if query_arrived.recv().is_ok() {
                ctrl_c.interrupt();
            }
        });
        let set = session.set_setting("max_threads".into(), "2".into());
        // Only a guard against hanging the test run; it never decides the outcome.
        let kept = tokio::time::timeout(Duration::from_secs(120), set)
            .await
            .expect("`:set` still waiting for the server after Ctrl-C");
        assert!(!kept);
        assert!(session.settings.is_empty(), "{:?}", session.settings);
        assert!(
            session.interrupts.fired(),
            "Ctrl-C, not the deadline, ended it"
        );
    }
}
