//! The line editor (reedline), one concern per file: highlighting, completion, the menu that shows it and the catalog it reads, keys in bursts (pastes), history policy and persistence; here the validator, the editor's assembly and the one-line question.
//!
//! The [`InputValidator`] alone decides whether Enter submits the input or continues it on
//! a new line (`commands::is_complete`); the prompt draws the continuation marker
//! (`shell::prompt`), so the buffer holds exactly what was typed.

mod burst;
mod catalog;
mod complete;
mod highlight;
mod history;
mod menu;

pub use catalog::Catalog;
pub use complete::ShellNames;
pub use history::{history_path, HistoryProblem, ShellHistory};

use crate::commands;
use burst::BurstKeys;
use complete::SqlCompleter;
use highlight::SqlHighlighter;
use menu::CompletionMenu;
use nu_ansi_term::Style;
use reedline::{
    default_emacs_keybindings, ColumnarMenu, DefaultHinter, EditCommand, Emacs, KeyCode,
    KeyModifiers, MenuBuilder, Reedline, ReedlineEvent, ReedlineMenu, Signal, ValidationResult,
    Validator,
};

/// Enter submits complete input (a command, or SQL ending in `;` or `\G`) and continues
/// anything else on a new line.
pub struct InputValidator;

impl Validator for InputValidator {
    fn validate(&self, line: &str) -> ValidationResult {
        if commands::is_complete(line) {
            ValidationResult::Complete
        } else {
            ValidationResult::Incomplete
        }
    }
}

const COMPLETION_MENU: &str = "completion_menu";

/// The configured editor: emacs keys (where Tab is a tab within a burst of keys, see
/// [`burst`]), Tab completion menu ([`menu`]), history hints (with colour), Ctrl-R search,
/// bracketed paste, and Ctrl-C that clears the input in place (on an empty prompt it does
/// nothing, so holding Ctrl-C down after a cancel does not fill the screen).
pub fn make_editor(
    color: bool,
    catalog: Catalog,
    names: ShellNames,
    history: ShellHistory,
) -> Reedline {
    let mut keys = default_emacs_keybindings();
    keys.add_binding(
        KeyModifiers::NONE,
        KeyCode::Tab,
        ReedlineEvent::UntilFound(vec![
            ReedlineEvent::Menu(COMPLETION_MENU.to_string()),
            ReedlineEvent::MenuNext,
        ]),
    );
    keys.add_binding(
        KeyModifiers::CONTROL,
        KeyCode::Char('c'),
        ReedlineEvent::Multiple(vec![
            ReedlineEvent::Esc,
            ReedlineEvent::Edit(vec![EditCommand::Clear]),
        ]),
    );
    let menu = CompletionMenu::new(ColumnarMenu::default().with_name(COMPLETION_MENU));
    let mut editor = Reedline::create()
        .with_history(Box::new(history))
        .with_validator(Box::new(InputValidator))
        .with_highlighter(Box::new(SqlHighlighter::new(color)))
        .with_completer(Box::new(SqlCompleter::new(catalog, names)))
        .with_menu(ReedlineMenu::EngineCompleter(Box::new(menu)))
        .with_quick_completions(true)
        .with_partial_completions(true)
        .with_edit_mode(Box::new(BurstKeys::new(Emacs::new(keys))))
        .with_ansi_colors(color)
        .use_bracketed_paste(true);
    if color {
        editor = editor.with_hinter(Box::new(
            DefaultHinter::default().with_style(Style::new().dimmed()),
        ));
    }
    editor
}

/// What a one-line question got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Line(String),
    /// Ctrl-C, or Ctrl-D on an empty line.
    Cancelled,
}

/// Asks one question on the terminal (`:run`'s missing parameters), with line editing and no
/// history. Ctrl-C cancels, as at the main prompt, and so does Ctrl-D on an empty line. The
/// terminal is in raw mode while it reads, so Ctrl-C is a key here, not a signal.
pub fn ask(question: &str, color: bool) -> std::io::Result<Answer> {
    let mut editor = Reedline::create().with_ansi_colors(color);
    let prompt = super::prompt::QuestionPrompt(question.to_owned());
    Ok(match editor.read_line(&prompt)? {
        Signal::Success(line) => Answer::Line(line),
        _ => Answer::Cancelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_knows_commands_quotes_and_terminators() {
        let v = InputValidator;
        let complete = |s: &str| matches!(v.validate(s), ValidationResult::Complete);
        assert!(!complete("SELECT ';'"));
        assert!(complete("SELECT ';';"));
        assert!(complete("SELECT 1\\G"));
        assert!(!complete("SELECT `;"));
        assert!(complete(":help"));
        assert!(complete("help"));
        assert!(complete("logout"));
        assert!(complete(""));
        assert!(complete("SELECT 1 AS a,\n2 AS b\n;"));
    }

    #[test]
    fn editor_builds_without_a_terminal() {
        let _ = make_editor(
            false,
            Catalog::new(),
            ShellNames::default(),
            ShellHistory::open(None, HistoryProblem::default()),
        );
    }
}
