//! The read loop: reedline reads an entry on the main thread, `commands::split_input` splits it into commands and statements, and each runs in order on the tokio runtime.
//!
//! An entry is whatever Enter submitted: one line, several pasted statements, a multi-line
//! statement. Ctrl-C while a statement runs cancels it and skips the rest of the entry;
//! Ctrl-C at the prompt clears the input; Ctrl-D on an empty prompt leaves.

use super::editor::{self, Catalog, HistoryProblem, ShellHistory};
use super::prompt::ShellPrompt;
use super::session::{Session, StmtOutcome};
use super::typeahead;
use crate::cli::Config;
use crate::commands::{self, Entry};
use crate::errors::AppError;
use crate::render::Format;
use reedline::{EditCommand, HistoryItem, Reedline, Signal};
use std::path::PathBuf;
use tokio::runtime::Runtime;

/// What the loop does after an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    /// Ctrl-C: the rest of the entry is not run.
    Cancelled,
    Quit,
}

/// Read errors in a row after which the input is taken to be gone (a closed terminal).
const MAX_READ_ERRORS: u32 = 3;

/// The REPL: the session (connection, settings), the line editor and the runtime.
pub struct Repl<'rt> {
    pub(super) rt: &'rt Runtime,
    pub(super) session: Session,
    pub(super) editor: Reedline,
    pub(super) history_path: Option<PathBuf>,
    pub(super) catalog: Catalog,
    /// A history file problem waiting to be said (see [`HistoryProblem`]).
    history_problem: HistoryProblem,
}

impl<'rt> Repl<'rt> {
    /// Set up the editor (history, completion catalog) around a connected session.
    pub fn new(rt: &'rt Runtime, mut session: Session, cfg: &Config) -> Repl<'rt> {
        session.settings = crate::run::SessionSettings::new(cfg.settings.clone());
        for k in session.demo.apply_settings(&cfg.demo_settings) {
            session.error(&format!("config file: unknown demo setting `{k}`"));
        }
        session.timing = cfg.timing;
        session.hints = cfg.hints;
        session.format = cfg.format.as_deref().and_then(Format::parse);
        session.prompt = cfg.prompt.clone();
        session.json_quote_64bit = cfg.json_quote_64bit;
        session.status = cfg.status;
        let catalog = Catalog::new();
        {
            let _guard = rt.enter();
            catalog.refresh_in_background(session.connect_options().clone());
        }
        let history_path = editor::history_path(cfg.history_file.as_deref());
        *session
            .names
            .snippets
            .write()
            .unwrap_or_else(|p| p.into_inner()) = super::dispatch::snippet_store().names();
        session.publish_setting_names();
        let history_problem = HistoryProblem::default();
        let editor = editor::make_editor(
            session.term.out_color(),
            catalog.clone(),
            session.names.clone(),
            ShellHistory::open(history_path.clone(), history_problem.clone()),
        );
        Repl {
            rt,
            session,
            editor,
            history_path,
            catalog,
            history_problem,
        }
    }

    /// Read and run until `:quit` or Ctrl-D. An input that keeps failing (the terminal went
    /// away) ends the shell with an error, so a wrapper does not see success.
    pub fn run(&mut self) -> Result<(), AppError> {
        self.welcome();
        let mut errors = 0;
        loop {
            if let Some(problem) = self.history_problem.take() {
                self.session.error(&problem);
            }
            let prompt = ShellPrompt::new(self.session.prompt_left());
            if !self.session.typeahead.is_empty() {
                if self.replay_typeahead(&prompt) == Flow::Quit {
                    return Ok(());
                }
                continue;
            }
            if let Some(text) = self.session.pending_input.take() {
                self.editor
                    .run_edit_commands(&[EditCommand::InsertString(text)]);
            }
            match self.editor.read_line(&prompt) {
                Ok(Signal::Success(entry)) => {
                    errors = 0;
                    // Saving `entry` may just have failed: said before it runs.
                    if let Some(problem) = self.history_problem.take() {
                        self.session.error(&problem);
                    }
                    if self.run_entry(&entry) == Flow::Quit {
                        return Ok(());
                    }
                }
                Ok(Signal::CtrlD) => return Ok(()),
                Ok(_) => {}
                Err(e) => {
                    errors += 1;
                    self.session.error(&format!("cannot read input: {e}"));
                    if errors >= MAX_READ_ERRORS {
                        return Err(AppError::io("cannot read input", e));
                    }
                }
            }
        }
    }

    /// Run what the keys typed ahead during the last query submitted, each shown after the
    /// prompt as if typed and kept in the history, and leave their unfinished line on the
    /// next prompt (see `shell::typeahead`).
    fn replay_typeahead(&mut self, prompt: &ShellPrompt) -> Flow {
        let keys = std::mem::take(&mut self.session.typeahead);
        let (entries, rest) = typeahead::replay(&keys, commands::is_complete);
        if !rest.is_empty() {
            let pending = self.session.pending_input.take().unwrap_or_default();
            self.session.pending_input = Some(pending + &rest);
        }
        for entry in entries {
            let shown = entry.replace('\n', &format!("\n{}", prompt.continuation()));
            println!("{}{shown}", prompt.text());
            let _ = self
                .editor
                .history_mut()
                .save(HistoryItem::from_command_line(&entry));
            if self.run_entry(&entry) == Flow::Quit {
                return Flow::Quit;
            }
        }
        Flow::Continue
    }

    fn welcome(&self) {
        let info = self.session.server_info();
        let server = info
            .map(|i| format!("{} {}", i.name, i.version()))
            .unwrap_or_else(|| "the server".into());
        self.session.note(&format!(
            "proton-shell {} · connected to {server} at {}\n\
             Statements end with `;` · :help for help · Ctrl-D exits",
            env!("CARGO_PKG_VERSION"),
            self.session.connect_options().addr(),
        ));
    }

    /// Run every command and statement of an entry, in order; Ctrl-C stops the rest.
    pub(super) fn run_entry(&mut self, text: &str) -> Flow {
        for entry in commands::split_input(text) {
            match entry {
                Entry::Command(line) => {
                    let flow = match commands::parse(&line) {
                        Some(Ok(cmd)) => self.run_command(cmd),
                        Some(Err(msg)) => {
                            self.session.error(&msg);
                            Flow::Continue
                        }
                        None => Flow::Continue,
                    };
                    self.after_statement();
                    match flow {
                        Flow::Quit => return Flow::Quit,
                        Flow::Cancelled => break,
                        Flow::Continue => {}
                    }
                }
                Entry::Sql(stmt) => {
                    let outcome = self.rt.block_on(self.session.run_sql(&stmt));
                    self.after_statement();
                    if outcome == StmtOutcome::Cancelled {
                        break;
                    }
                }
            }
        }
        Flow::Continue
    }

    /// Bring completion up to date with what the command or statement changed.
    pub(super) fn after_statement(&mut self) {
        self.session.publish_setting_names();
        if std::mem::take(&mut self.session.catalog_dirty) {
            let _guard = self.rt.enter();
            self.catalog
                .refresh_in_background(self.session.connect_options().clone());
        }
    }
}
