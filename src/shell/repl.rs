//! The interactive loop: rustyline reads statements on the main thread, the tokio runtime runs them.
//!
//! A line that starts with `:` (or is `exit`/`quit`/`help`) is a command; anything else is SQL,
//! collected over continuation lines until it ends with `;` or `\G`, then split into
//! statements that run in order. Ctrl-C at the prompt clears the statement being typed;
//! Ctrl-D on an empty line leaves.

use super::commands::{self, Command};
use super::demo_hook;
use super::editor::{self, Catalog, ShellHelper};
use super::help;
use super::session::{Session, StmtOutcome};
use crate::cli::Config;
use crate::errors::AppError;
use crate::render::Format;
use crate::sql;
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::{
    Cmd, ConditionalEventHandler, Editor, Event, EventContext, EventHandler, KeyEvent, RepeatCount,
};
use std::path::PathBuf;
use tokio::runtime::Runtime;

type LineEditor = Editor<editor::ShellHelper, FileHistory>;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// The REPL: the session (connection, settings), the line editor and the runtime.
pub struct Repl<'rt> {
    rt: &'rt Runtime,
    pub session: Session,
    editor: LineEditor,
    history_path: Option<PathBuf>,
    catalog: Catalog,
}

impl<'rt> Repl<'rt> {
    /// Set up the editor (history, completion catalog) around a connected session.
    pub fn new(
        rt: &'rt Runtime,
        mut session: Session,
        cfg: &Config,
    ) -> Result<Repl<'rt>, AppError> {
        session.settings = cfg.settings.clone();
        for k in session.demo.apply_settings(&cfg.demo_settings) {
            session.error(&format!("config file: unknown demo setting `{k}`"));
        }
        session.timing = cfg.timing;
        session.hints = cfg.hints;
        session.format = cfg.format.as_deref().and_then(Format::parse);
        let catalog = Catalog::new();
        {
            let _guard = rt.enter();
            catalog.refresh_in_background(session.connect_options().clone());
        }
        let history_path = editor::history::history_path(cfg.history_file.as_deref());
        let mut helper = ShellHelper::new(
            session.term.out_color(),
            catalog.clone(),
            commands::completion_words(),
            session.snippets.clone(),
        );
        let mut format_names: Vec<String> = vec!["auto".into()];
        format_names.extend(Format::ALL.iter().map(|f| f.name().to_string()));
        helper
            .completer_mut()
            .set_command_args(":format", format_names);
        helper.completer_mut().set_command_args(
            ":help",
            help::TOPICS.iter().map(|t| t.name.to_string()).collect(),
        );
        for c in [":timing", ":hints"] {
            helper
                .completer_mut()
                .set_command_args(c, vec!["on".into(), "off".into()]);
        }
        let mut editor = editor::make_editor(helper, history_path.as_deref())
            .map_err(|e| AppError::io("cannot set up the line editor", std::io::Error::other(e)))?;
        editor.bind_sequence(
            KeyEvent::ctrl('c'),
            EventHandler::Conditional(Box::new(CtrlCAtPrompt)),
        );
        Ok(Repl {
            rt,
            session,
            editor,
            history_path,
            catalog,
        })
    }

    /// Read and run until `:quit` or Ctrl-D.
    pub fn run(&mut self) {
        self.welcome();
        let mut buffer = String::new();
        loop {
            let plain = if buffer.is_empty() {
                self.session.prompt()
            } else {
                continuation_prompt(&self.session.prompt())
            };
            let prompt = if self.session.term.out_color() {
                paint_prompt(&plain)
            } else {
                plain
            };
            let read = match self.session.pending_input.take() {
                Some(text) => {
                    if let Some(h) = self.editor.helper() {
                        h.set_prompt(&prompt);
                    }
                    self.editor.readline_with_initial(&prompt, (&text, ""))
                }
                None => editor::helper::readline(&mut self.editor, &prompt),
            };
            let line = match read {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    buffer.clear();
                    continue;
                }
                Err(ReadlineError::Eof) => {
                    if buffer.is_empty() {
                        break;
                    }
                    // Ctrl-D inside a statement drops the statement, not the shell.
                    buffer.clear();
                    continue;
                }
                Err(e) => {
                    self.session.error(&format!("cannot read input: {e}"));
                    break;
                }
            };
            if buffer.is_empty() {
                if line.trim().is_empty() {
                    continue;
                }
                if let Some(parsed) = commands::parse(&line) {
                    self.remember(&line);
                    match parsed {
                        Ok(cmd) => {
                            if self.run_command(cmd) == Flow::Quit {
                                break;
                            }
                        }
                        Err(msg) => self.session.error(&msg),
                    }
                    continue;
                }
            } else {
                buffer.push('\n');
            }
            buffer.push_str(&line);
            if !sql::is_complete(&buffer) {
                continue;
            }
            let entry = std::mem::take(&mut buffer);
            self.remember(&entry);
            self.run_sql_text(&entry);
        }
    }

    fn welcome(&self) {
        let info = self.session.server_info();
        let server = info
            .map(|i| format!("{} {}", i.name, i.version()))
            .unwrap_or_else(|| "the server".into());
        self.session.note(&format!(
            "proton-shell {} · connected to {server} at {} · :help for help, Ctrl-D to exit",
            env!("CARGO_PKG_VERSION"),
            self.session.connect_options().addr(),
        ));
    }

    /// Save an entry in the history (memory and file), unless the history policy says no.
    fn remember(&mut self, entry: &str) {
        // Appends under a file lock, merging with other shells' entries; skips secrets,
        // lines starting with a space and repeats.
        let _ = editor::history::record(&mut self.editor, self.history_path.as_deref(), entry);
    }

    /// Run every statement of a complete entry; Ctrl-C stops the rest.
    pub fn run_sql_text(&mut self, text: &str) {
        for stmt in sql::split_statements(text) {
            let outcome = self.rt.block_on(self.session.run_sql(&stmt));
            self.after_statement();
            if outcome == StmtOutcome::Cancelled {
                break;
            }
        }
    }

    fn after_statement(&mut self) {
        if std::mem::take(&mut self.session.catalog_dirty) {
            let _guard = self.rt.enter();
            self.catalog
                .refresh_in_background(self.session.connect_options().clone());
        }
    }

    /// Run one `:command`.
    pub fn run_command(&mut self, cmd: Command) -> Flow {
        let s = &mut self.session;
        match cmd {
            Command::Quit => return Flow::Quit,
            Command::Help(topic) => match help::help_for(topic.as_deref(), s.term.out_color()) {
                Ok(text) => println!("{}", text.trim_end()),
                Err(msg) => s.error(&msg),
            },
            Command::Format(None) => {
                let current = match s.format {
                    Some(f) => f.name().to_string(),
                    None => "auto (table on a terminal; live for streaming aggregates)".into(),
                };
                let all: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                println!("format: {current}\nchoices: auto, {}", all.join(", "));
            }
            Command::Format(Some(name)) => {
                if name.eq_ignore_ascii_case("auto") {
                    s.format = None;
                    s.note("format: auto");
                } else {
                    match Format::parse(&name) {
                        Some(f) => {
                            s.format = Some(f);
                            s.note(&format!("format: {}", f.name()));
                        }
                        None => {
                            let all: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                            s.error(&format!(
                                "unknown format `{name}`; choose auto, {}",
                                all.join(", ")
                            ));
                        }
                    }
                }
            }
            Command::Timing(v) => {
                s.timing = v.unwrap_or(!s.timing);
                s.note(&format!("timing {}", on_off(s.timing)));
            }
            Command::Hints(v) => {
                s.hints = v.unwrap_or(!s.hints);
                s.note(&format!("hints {}", on_off(s.hints)));
            }
            Command::Refresh => {
                s.catalog_dirty = true;
                s.note("refreshing streams, columns and functions in the background");
            }
            Command::Connect { host, port } => {
                self.rt.block_on(s.reconnect_to(host, port));
            }
            Command::Set { name, value } if is_demo_setting(&name) => {
                if s.demo.apply_setting(&name, &value) {
                    s.note(&format!("{name} = {value} (for the demo commands)"));
                } else {
                    s.error(&format!(
                        "unknown demo setting `{name}`; known: {}",
                        crate::demos::config::SETTING_KEYS.join(", ")
                    ));
                }
            }
            Command::Set { name, value } => {
                self.rt.block_on(s.set_setting(name.clone(), value.clone()));
                s.note(&format!("{name} = {value} (sent with every query)"));
            }
            Command::Unset(name) if is_demo_setting(&name) => {
                if s.demo.apply_setting(&name, "") {
                    s.note(&format!("{name} is back to its default"));
                } else {
                    s.error(&format!("unknown demo setting `{name}`"));
                }
            }
            Command::Unset(name) => {
                let before = s.settings.len();
                s.settings.retain(|(k, _)| *k != name);
                if s.settings.len() == before {
                    s.error(&format!(
                        "`{name}` is not a session setting (see :settings)"
                    ));
                } else {
                    s.note(&format!("{name} is no longer sent"));
                }
            }
            Command::Settings => self.print_settings(),
            Command::History(n) => {
                let h = self.editor.history();
                let n = n.unwrap_or(20).min(h.len());
                let start = h.len() - n;
                for i in start..h.len() {
                    if let Ok(Some(entry)) = h.get(i, rustyline::history::SearchDirection::Forward)
                    {
                        let text = entry.entry.replace('\n', "\n      ");
                        println!("{:>5} {text}", i + 1);
                    }
                }
            }
            Command::Demo(d) => {
                self.rt.block_on(demo_hook::run(&mut self.session, &d));
            }
        }
        self.after_statement();
        Flow::Continue
    }

    fn print_settings(&self) {
        let s = &self.session;
        let o = s.connect_options();
        let server = s
            .server_info()
            .map(|i| format!("{} {} (revision {})", i.name, i.version(), i.revision))
            .unwrap_or_else(|| "not connected".into());
        println!("server    {server} at {}", o.addr());
        println!("user      {}", o.user);
        println!("database  {}", s.database());
        println!("format    {}", s.format.map(|f| f.name()).unwrap_or("auto"));
        println!("timing    {}", on_off(s.timing));
        println!("hints     {}", on_off(s.hints));
        println!(
            "history   {}",
            self.history_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(not saved)".into())
        );
        if s.settings.is_empty() {
            println!("session settings: none (`:set name=value` adds one)");
        } else {
            println!("session settings (sent with every query):");
            for (k, v) in &s.settings {
                println!("  {k} = {v}");
            }
        }
        println!("demo settings (`:set demo.NAME=VALUE`):");
        for (k, v) in s.demo.settings() {
            println!("  {k} = {v}");
        }
    }
}

/// Ctrl-C at the prompt: clears a statement being typed (the old text stays visible above a
/// fresh prompt); on an empty prompt it does nothing, so holding Ctrl-C down after cancelling
/// a query does not fill the screen with prompts.
struct CtrlCAtPrompt;

impl ConditionalEventHandler for CtrlCAtPrompt {
    fn handle(
        &self,
        _evt: &Event,
        _n: RepeatCount,
        _positive: bool,
        ctx: &EventContext<'_>,
    ) -> Option<Cmd> {
        if ctx.line().is_empty() {
            Some(Cmd::Noop)
        } else {
            Some(Cmd::Interrupt)
        }
    }
}

/// `proton@localhost:default> ` with the `name@host:db` part in bold green.
fn paint_prompt(prompt: &str) -> String {
    match prompt.strip_suffix("> ") {
        Some(head) if !head.trim().is_empty() => {
            format!("{}> ", nu_ansi_term::Color::Green.bold().paint(head))
        }
        _ => prompt.to_string(),
    }
}

fn is_demo_setting(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("demo.")
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// The prompt for the second and later lines of a statement, as wide as the first:
/// `proton@localhost:default> ` becomes `                      -> `.
pub fn continuation_prompt(prompt: &str) -> String {
    let width = prompt.chars().count();
    format!("{}-> ", " ".repeat(width.saturating_sub(3)))
}

#[cfg(test)]
mod tests {
    use super::continuation_prompt;

    #[test]
    fn continuation_prompt_lines_up_with_the_prompt() {
        let p = "proton@localhost:default> ";
        let c = continuation_prompt(p);
        assert_eq!(c.chars().count(), p.chars().count());
        assert!(c.ends_with("-> "));
    }
}
