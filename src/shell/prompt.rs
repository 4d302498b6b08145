//! The prompts: `name@host:db> ` and, on continuation lines, a `-> ` marker as wide as it (the prompt draws the marker; the buffer never holds it); and a one-line question's.

use reedline::{Prompt, PromptEditMode, PromptHistorySearch, PromptHistorySearchStatus};
use std::borrow::Cow;
use unicode_width::UnicodeWidthStr;

/// The marker at the end of a continuation line's indentation.
pub const CONTINUATION_MARKER: &str = "-> ";

/// What the shell shows before the input.
#[derive(Debug, Clone)]
pub struct ShellPrompt {
    /// `proton@localhost:default`
    left: String,
}

impl ShellPrompt {
    pub fn new(left: String) -> ShellPrompt {
        ShellPrompt { left }
    }

    /// The whole first-line prompt, as text.
    pub fn text(&self) -> String {
        format!("{}> ", self.left)
    }

    /// The continuation marker, right-aligned under the prompt: `                      -> `.
    pub fn continuation(&self) -> String {
        let width = UnicodeWidthStr::width(self.text().as_str());
        format!(
            "{}{CONTINUATION_MARKER}",
            " ".repeat(width.saturating_sub(CONTINUATION_MARKER.len()))
        )
    }
}

impl Prompt for ShellPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.left)
    }

    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }

    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Owned(self.continuation())
    }

    fn render_prompt_history_search_indicator(&self, search: PromptHistorySearch) -> Cow<'_, str> {
        let failed = match search.status {
            PromptHistorySearchStatus::Passing => "",
            PromptHistorySearchStatus::Failing => "failing ",
        };
        Cow::Owned(format!("({failed}reverse-search: {}) ", search.term))
    }

    fn get_prompt_color(&self) -> reedline::Color {
        reedline::Color::Green
    }
}

/// A one-line question, e.g. `:run`'s `t (DateTime): `: the text and nothing else.
#[derive(Debug, Clone)]
pub struct QuestionPrompt(pub String);

impl Prompt for QuestionPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }

    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_history_search_indicator(&self, _search: PromptHistorySearch) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn get_prompt_color(&self) -> reedline::Color {
        reedline::Color::Default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_up_with_the_prompt() {
        let p = ShellPrompt::new("proton@localhost:default".into());
        assert_eq!(p.text(), "proton@localhost:default> ");
        let c = p.continuation();
        assert_eq!(c.chars().count(), p.text().chars().count());
        assert!(c.ends_with("-> "));
        assert!(c.trim_start().starts_with("->"));
    }
}
