//! Syntax highlighting from `sql::tokenize`: keywords, strings, numbers, comments, Proton's `raw:a.b` JSON shortcut, `{name:Type}` parameters and `:commands`; and the continuation marker drawn in the indentation of a continued statement.
//!
//! Highlighting never changes the display width of the line (rustyline positions the cursor
//! from the plain text), and with colour off it returns the input untouched.

use crate::sql::{self, TokenKind};
use nu_ansi_term::{Color, Style};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::IsTerminal;

/// The marker drawn at the end of a continuation line's indentation.
pub const CONTINUATION_MARKER: &str = "-> ";

/// Should the shell use colour? Off with `--no-color`, with `NO_COLOR` set (to anything but
/// the empty string, per no-color.org) and when stdout is not a terminal.
pub fn color_wanted(no_color_flag: bool) -> bool {
    !no_color_flag
        && !matches!(std::env::var_os("NO_COLOR"), Some(v) if !v.is_empty())
        && std::io::stdout().is_terminal()
}

/// The styles of each kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub keyword: Style,
    pub string: Style,
    pub number: Style,
    pub comment: Style,
    pub json_path: Style,
    pub param: Style,
    pub command: Style,
    pub terminator: Style,
    pub continuation: Style,
    pub hint: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            keyword: Color::Blue.bold(),
            string: Style::new().fg(Color::Green),
            number: Style::new().fg(Color::Cyan),
            comment: Style::new().dimmed(),
            json_path: Style::new().fg(Color::Magenta),
            param: Style::new().fg(Color::Yellow),
            command: Color::Yellow.bold(),
            terminator: Style::new().bold(),
            continuation: Style::new().dimmed(),
            hint: Style::new().dimmed(),
        }
    }
}

/// Colours SQL (and `:commands`) for the prompt line.
#[derive(Debug, Clone)]
pub struct SqlHighlighter {
    color: bool,
    theme: Theme,
}

impl SqlHighlighter {
    /// `color: false` turns every method into the identity (except the continuation marker,
    /// which is text, not colour).
    pub fn new(color: bool) -> Self {
        SqlHighlighter {
            color,
            theme: Theme::default(),
        }
    }

    pub fn with_theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    pub fn is_enabled(&self) -> bool {
        self.color
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// The line with ANSI colours; unchanged when colour is off.
    pub fn highlight<'l>(&self, line: &'l str) -> Cow<'l, str> {
        self.highlight_with_continuation(line, 0)
    }

    /// Like [`highlight`](Self::highlight), and where a line after a newline starts with at
    /// least `indent` spaces, the last three columns of that indentation show
    /// [`CONTINUATION_MARKER`] (dimmed when colour is on). `indent < 3` draws no marker.
    pub fn highlight_with_continuation<'l>(&self, line: &'l str, indent: usize) -> Cow<'l, str> {
        let marker = indent >= CONTINUATION_MARKER.len() && line.contains('\n');
        if !self.color && !marker {
            return Cow::Borrowed(line);
        }
        let mut out = String::with_capacity(line.len() * 2);
        if sql::is_shell_command(line) {
            self.command_line(line, &mut out);
            return Cow::Owned(out);
        }
        for t in sql::tokenize(line) {
            let text = t.text(line);
            if t.kind == TokenKind::Whitespace && marker {
                self.whitespace_with_markers(text, indent, &mut out);
                continue;
            }
            let style = match t.kind {
                TokenKind::Keyword => Some(self.theme.keyword),
                TokenKind::String => Some(self.theme.string),
                TokenKind::Number => Some(self.theme.number),
                TokenKind::Comment => Some(self.theme.comment),
                TokenKind::JsonPath => Some(self.theme.json_path),
                TokenKind::Param => Some(self.theme.param),
                TokenKind::Other if text == "\\G" => Some(self.theme.terminator),
                _ => None,
            };
            self.paint(style, text, &mut out);
        }
        Cow::Owned(out)
    }

    fn paint(&self, style: Option<Style>, text: &str, out: &mut String) {
        match style {
            Some(s) if self.color => {
                let _ = write!(out, "{}", s.paint(text));
            }
            _ => out.push_str(text),
        }
    }

    fn whitespace_with_markers(&self, text: &str, indent: usize, out: &mut String) {
        let mut lines = text.split('\n');
        if let Some(first) = lines.next() {
            out.push_str(first);
        }
        for l in lines {
            out.push('\n');
            let spaces = l.bytes().take_while(|b| *b == b' ').count();
            if spaces >= indent {
                let pad = indent - CONTINUATION_MARKER.len();
                out.push_str(&l[..pad]);
                self.paint(Some(self.theme.continuation), CONTINUATION_MARKER, out);
                out.push_str(&l[indent..]);
            } else {
                out.push_str(l);
            }
        }
    }

    /// `:cmd args` (or `exit`/`quit`): the command word styled, the rest plain.
    fn command_line(&self, line: &str, out: &mut String) {
        let lead = line.len() - line.trim_start().len();
        out.push_str(&line[..lead]);
        let rest = &line[lead..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ';')
            .unwrap_or(rest.len());
        self.paint(Some(self.theme.command), &rest[..end], out);
        out.push_str(&rest[end..]);
    }

    /// A hint (greyed-out suggestion after the cursor); unchanged when colour is off.
    pub fn hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(self.theme.hint.paint(hint).to_string())
        } else {
            Cow::Borrowed(hint)
        }
    }
}

/// Display width of a prompt: characters outside ANSI escape sequences (`ESC [ … letter`).
pub fn display_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        if !c.is_control() {
            width += 1;
        }
    }
    width
}

/// Strip ANSI escape sequences (for tests and width checks).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str =
        "SELECT raw:a.b::int, 'x', 42, {p:string} FROM s -- note\nWHERE x = 1 /* c */\\G";

    #[test]
    fn disabled_returns_input_unchanged() {
        let h = SqlHighlighter::new(false);
        assert!(!h.is_enabled());
        for s in [SQL, ":help", "", "'open", "exit"] {
            let out = h.highlight(s);
            assert!(matches!(out, Cow::Borrowed(_)), "{s:?} was copied");
            assert_eq!(out, s);
        }
        assert!(matches!(h.hint("abc"), Cow::Borrowed("abc")));
    }

    #[test]
    fn enabled_colours_each_kind() {
        let h = SqlHighlighter::new(true);
        let out = h.highlight(SQL);
        assert_eq!(strip_ansi(&out), SQL, "colouring must not change the text");
        assert!(out.contains("\x1b[1;34mSELECT\x1b[0m"), "{out:?}");
        assert!(out.contains("\x1b[1;34mFROM\x1b[0m"));
        assert!(out.contains("\x1b[35m:a.b\x1b[0m"), "json path: {out:?}");
        assert!(out.contains("\x1b[32m'x'\x1b[0m"), "string: {out:?}");
        assert!(out.contains("\x1b[36m42\x1b[0m"), "number: {out:?}");
        assert!(out.contains("\x1b[2m-- note\x1b[0m"), "comment: {out:?}");
        assert!(out.contains("\x1b[2m/* c */\x1b[0m"));
        assert!(out.contains("\x1b[33m{p:string}\x1b[0m"), "param: {out:?}");
        // identifiers and the cast type stay plain
        assert!(out.contains("raw\x1b[35m"));
        assert!(out.contains("::int,"));
    }

    #[test]
    fn commands_are_highlighted() {
        let h = SqlHighlighter::new(true);
        let out = h.highlight("  :format live");
        assert_eq!(out, "  \x1b[1;33m:format\x1b[0m live");
        assert_eq!(h.highlight("quit"), "\x1b[1;33mquit\x1b[0m");
    }

    #[test]
    fn continuation_marker_keeps_width() {
        for color in [false, true] {
            let h = SqlHighlighter::new(color);
            let line = "SELECT 1,\n          2\n  FROM s";
            let out = h.highlight_with_continuation(line, 10);
            let plain = strip_ansi(&out);
            assert_eq!(plain, "SELECT 1,\n       -> 2\n  FROM s");
            assert_eq!(plain.len(), line.len());
            // no marker without indentation or without newlines
            assert_eq!(
                strip_ansi(&h.highlight_with_continuation("SELECT 1", 10)),
                "SELECT 1"
            );
        }
        // strings spanning lines are never touched
        let h = SqlHighlighter::new(false);
        let s = "SELECT 'a\n          b'";
        assert_eq!(h.highlight_with_continuation(s, 10), s);
    }

    #[test]
    fn width_of_coloured_prompt() {
        assert_eq!(display_width("proton@localhost:default> "), 26);
        assert_eq!(display_width("\x1b[1;32mproton\x1b[0m> "), 8);
    }
}
