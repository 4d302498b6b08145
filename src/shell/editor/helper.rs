//! The rustyline glue: `ShellHelper` (completer, hinter, highlighter, validator), the Enter key that continues an incomplete statement under an aligned `-> ` marker, and `make_editor`.
//!
//! Continuation lines: rustyline has no continuation prompt, and a highlighter may not change
//! the display width of the line. So when Enter is pressed on an incomplete statement, the
//! newline is followed by as many spaces as the prompt is wide, and the highlighter draws the
//! last three of them as `-> `. The text stays plain SQL (indentation is harmless to the
//! server), the cursor maths stays right, and a recalled entry shows the same layout. Inside an
//! open string or quoted name no indentation is inserted, so literals are never changed.

use super::catalog::Catalog;
use super::complete::{SnippetList, SqlCompleter};
use super::highlight::{display_width, SqlHighlighter};
use super::history;
use crate::sql;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::{FileHistory, SearchDirection};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{
    Cmd, ColorMode, CompletionType, ConditionalEventHandler, Config, Context, EditMode, Editor,
    Event, EventContext, EventHandler, Helper, KeyCode, KeyEvent, Modifiers, RepeatCount,
};
use std::borrow::Cow;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Everything the line editor asks of the shell while a line is being typed.
#[derive(Helper)]
pub struct ShellHelper {
    highlighter: SqlHighlighter,
    completer: SqlCompleter,
    /// Fish-style greyed-out suggestion from history (single-line entries only).
    hints: bool,
    /// Width of the current prompt: the indentation of continuation lines.
    prompt_width: Arc<AtomicUsize>,
}

impl ShellHelper {
    /// `color`: highlight (the caller decides from TTY, `NO_COLOR`, `--no-color`).
    /// `commands`: command names, with or without `:`. `snippets`: shared snippet names.
    pub fn new(
        color: bool,
        catalog: Catalog,
        commands: Vec<String>,
        snippets: SnippetList,
    ) -> Self {
        ShellHelper {
            highlighter: SqlHighlighter::new(color),
            completer: SqlCompleter::new(catalog, commands, snippets),
            hints: color,
            prompt_width: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Remember the prompt's display width (continuation lines are indented to it).
    /// [`readline`] does this; `highlight_prompt` does it too when colour is on.
    pub fn set_prompt(&self, prompt: &str) {
        self.prompt_width
            .store(display_width(prompt), Ordering::Relaxed);
    }

    /// Indentation inserted after Enter on an incomplete statement.
    pub fn continuation_indent(&self) -> usize {
        self.prompt_width.load(Ordering::Relaxed)
    }

    /// History suggestions after the cursor (on by default when colour is on).
    pub fn set_hints(&mut self, on: bool) {
        self.hints = on;
    }

    pub fn catalog(&self) -> &Catalog {
        self.completer.catalog()
    }

    pub fn completer(&self) -> &SqlCompleter {
        &self.completer
    }

    /// For `set_command_args` (e.g. format names after `:format`).
    pub fn completer_mut(&mut self) -> &mut SqlCompleter {
        &mut self.completer
    }

    pub fn highlighter(&self) -> &SqlHighlighter {
        &self.highlighter
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.completer.complete(line, pos))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if !self.hints || line.trim().is_empty() || pos < line.len() || line.contains('\n') {
            return None;
        }
        let history = ctx.history();
        let start = if ctx.history_index() == history.len() {
            ctx.history_index().saturating_sub(1)
        } else {
            ctx.history_index()
        };
        let found = history
            .starts_with(line, start, SearchDirection::Reverse)
            .ok()
            .flatten()?;
        let entry = found.entry;
        if entry.len() <= line.len() || entry.contains('\n') || !entry.is_char_boundary(pos) {
            return None;
        }
        Some(entry[pos..].to_string())
    }
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        self.highlighter
            .highlight_with_continuation(line, self.continuation_indent())
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if default {
            self.set_prompt(prompt);
        }
        Cow::Borrowed(prompt)
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        self.highlighter.hint(hint)
    }

    fn highlight_char(&self, line: &str, _pos: usize, kind: CmdKind) -> bool {
        // colours depend on the whole line (a keyword appears as its last letter is typed),
        // not on the cursor
        kind != CmdKind::MoveCursor && (self.highlighter.is_enabled() || line.contains('\n'))
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(validate_input(ctx.input()))
    }
}

/// The validator's rule: complete input (see [`sql::is_complete`]) is submitted, anything
/// else continues on a new line.
pub fn validate_input(input: &str) -> ValidationResult {
    if sql::is_complete(input) {
        ValidationResult::Valid(None)
    } else {
        ValidationResult::Incomplete
    }
}

/// Enter: submit a complete statement (the default), or continue an incomplete one on a new,
/// indented line.
struct EnterHandler {
    prompt_width: Arc<AtomicUsize>,
}

impl EnterHandler {
    fn command(&self, line: &str, pos: usize) -> Option<Cmd> {
        if sql::is_complete(line) {
            return None;
        }
        let pos = pos.min(line.len());
        let inside_literal = line.is_char_boundary(pos) && sql::tokenize_with_state(&line[..pos]).1;
        let indent = if inside_literal {
            0
        } else {
            self.prompt_width.load(Ordering::Relaxed)
        };
        Some(Cmd::Insert(1, format!("\n{}", " ".repeat(indent))))
    }
}

impl ConditionalEventHandler for EnterHandler {
    fn handle(
        &self,
        _evt: &Event,
        _n: RepeatCount,
        _positive: bool,
        ctx: &EventContext<'_>,
    ) -> Option<Cmd> {
        self.command(ctx.line(), ctx.pos())
    }
}

/// The editor configuration: emacs keys, Ctrl-R search, bracketed paste, psql-like list
/// completion, no automatic history (the shell calls [`history::record`]).
pub fn editor_config() -> Config {
    let builder = Config::builder()
        .auto_add_history(false)
        .history_ignore_space(true)
        .completion_type(CompletionType::List)
        .completion_prompt_limit(200)
        .edit_mode(EditMode::Emacs)
        .bracketed_paste(true)
        // Our highlighter decides about colour itself; rustyline only has to call it on a TTY.
        .color_mode(ColorMode::Enabled)
        .tab_stop(4);
    builder
        .max_history_size(history::MAX_ENTRIES)
        .and_then(|b| b.history_ignore_dups(true))
        .map(|b| b.build())
        .unwrap_or_default()
}

/// A configured editor with `helper`, history loaded from `history_path` (a missing file is
/// fine) and Enter bound to continue incomplete statements.
pub fn make_editor(
    helper: ShellHelper,
    history_path: Option<&Path>,
) -> rustyline::Result<Editor<ShellHelper, FileHistory>> {
    let config = editor_config();
    let mut hist = FileHistory::with_config(config);
    if let Some(p) = history_path {
        // An unreadable history file must not keep the shell from starting.
        let _ = history::load(&mut hist, p);
    }
    let prompt_width = helper.prompt_width.clone();
    let mut editor = Editor::with_history(config, hist)?;
    editor.set_helper(Some(helper));
    editor.bind_sequence(
        KeyEvent(KeyCode::Enter, Modifiers::NONE),
        EventHandler::Conditional(Box::new(EnterHandler { prompt_width })),
    );
    Ok(editor)
}

/// Read one entry (possibly several lines) with `prompt`; continuation lines are indented to
/// the prompt's width.
pub fn readline(
    editor: &mut Editor<ShellHelper, FileHistory>,
    prompt: &str,
) -> rustyline::Result<String> {
    if let Some(h) = editor.helper() {
        h.set_prompt(prompt);
    }
    editor.readline(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::editor::catalog::CatalogData;
    use rustyline::history::History;
    use std::sync::RwLock;

    fn helper(color: bool) -> ShellHelper {
        ShellHelper::new(
            color,
            Catalog::from_data(CatalogData::default()),
            vec![":help".into(), "quit".into()],
            Arc::new(RwLock::new(vec!["daily".into()])),
        )
    }

    #[test]
    fn validator_knows_quotes() {
        assert!(matches!(
            validate_input("SELECT ';'"),
            ValidationResult::Incomplete
        ));
        assert!(matches!(
            validate_input("SELECT ';';"),
            ValidationResult::Valid(None)
        ));
        assert!(matches!(
            validate_input("SELECT 1\\G"),
            ValidationResult::Valid(None)
        ));
        assert!(matches!(
            validate_input("SELECT `;"),
            ValidationResult::Incomplete
        ));
        assert!(matches!(
            validate_input(":help"),
            ValidationResult::Valid(None)
        ));
        assert!(matches!(validate_input(""), ValidationResult::Valid(None)));
    }

    #[test]
    fn enter_continues_with_indentation() {
        let h = EnterHandler {
            prompt_width: Arc::new(AtomicUsize::new(8)),
        };
        assert_eq!(h.command("SELECT 1;", 9), None);
        assert_eq!(
            h.command("SELECT 1", 8),
            Some(Cmd::Insert(1, format!("\n{}", " ".repeat(8))))
        );
        // inside a string: a bare newline, so the literal is not changed
        assert_eq!(
            h.command("SELECT 'abc", 11),
            Some(Cmd::Insert(1, "\n".into()))
        );
        // the cursor in the middle of an incomplete statement
        assert_eq!(
            h.command("SELECT 'a', b", 7),
            Some(Cmd::Insert(1, format!("\n{}", " ".repeat(8))))
        );
        assert_eq!(h.command(":help", 5), None);
    }

    #[test]
    fn prompt_width_and_continuation_highlight() {
        let h = helper(false);
        assert_eq!(h.continuation_indent(), 0);
        h.set_prompt("proton@localhost:default> ");
        assert_eq!(h.continuation_indent(), 26);
        let hl = Highlighter::highlight_prompt(&h, "\x1b[1mab\x1b[0m> ", true);
        assert_eq!(hl, "\x1b[1mab\x1b[0m> ");
        assert_eq!(h.continuation_indent(), 4);
        // a non-default prompt (reverse search) leaves the width alone
        let _ = Highlighter::highlight_prompt(&h, "(reverse-i-search)`': ", false);
        assert_eq!(h.continuation_indent(), 4);
        let line = "SELECT\n    1;";
        assert_eq!(Highlighter::highlight(&h, line, 0), "SELECT\n -> 1;");
        // colour off and one line: untouched
        assert!(matches!(
            Highlighter::highlight(&h, "SELECT 1;", 0),
            Cow::Borrowed("SELECT 1;")
        ));
    }

    #[test]
    fn highlight_char_refreshes_only_when_needed() {
        let on = helper(true);
        let off = helper(false);
        assert!(on.highlight_char("SELEC", 5, CmdKind::Other));
        assert!(!on.highlight_char("SELEC", 5, CmdKind::MoveCursor));
        assert!(!off.highlight_char("SELEC", 5, CmdKind::Other));
        assert!(off.highlight_char("SELECT\n  1", 5, CmdKind::Other));
    }

    #[test]
    fn hints_come_from_single_line_history() {
        let h = helper(true);
        let mut hist = history::new_history();
        hist.add("SELECT count() FROM s;").unwrap();
        hist.add("SELECT\n  multi;").unwrap();
        let ctx = Context::new(&hist);
        assert_eq!(
            h.hint("SELECT c", 8, &ctx).as_deref(),
            Some("ount() FROM s;")
        );
        // the newest match is multi-line: no hint rather than a broken one
        assert_eq!(h.hint("SELECT", 6, &ctx), None);
        assert_eq!(h.hint("SELECT c", 3, &ctx), None);
        let off = helper(false);
        assert_eq!(off.hint("SELECT c", 8, &ctx), None);
    }

    #[test]
    fn completer_is_wired() {
        let h = helper(false);
        let hist = history::new_history();
        let ctx = Context::new(&hist);
        let (start, c) = Completer::complete(&h, ":he", 3, &ctx).unwrap();
        assert_eq!(start, 0);
        assert_eq!(c[0].replacement, ":help ");
        let (start, c) = Completer::complete(&h, ":run d", 6, &ctx).unwrap();
        assert_eq!(start, 5);
        assert_eq!(c[0].replacement, "daily");
    }

    #[test]
    fn editor_builds_without_a_terminal() {
        let dir = std::env::temp_dir().join(format!("proton-shell-editor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history");
        std::fs::write(&path, "#V2\nSELECT\\n  1;\n").unwrap();
        let ed = make_editor(helper(false), Some(&path)).unwrap();
        assert_eq!(ed.history().len(), 1);
        assert_eq!(
            ed.history().iter().next().map(String::as_str),
            Some("SELECT\n  1;")
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
