//! Syntax highlighting from `sql::tokenize`: keywords, strings, numbers, comments, Proton's `raw:a.b` JSON shortcut, `{name:Type}` parameters and `:commands`.
//!
//! The highlighter only styles: the text it returns is the buffer, byte for byte. With colour
//! off it returns one unstyled piece.

use crate::commands;
use crate::sql::{self, TokenKind};
use nu_ansi_term::{Color, Style};
use reedline::{Highlighter, StyledText};

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
        }
    }
}

/// Colours SQL (and `:commands`) as it is typed.
#[derive(Debug, Clone)]
pub struct SqlHighlighter {
    color: bool,
    theme: Theme,
}

impl SqlHighlighter {
    /// `color: false` styles nothing.
    pub fn new(color: bool) -> Self {
        SqlHighlighter {
            color,
            theme: Theme::default(),
        }
    }

    /// The pieces of `line` with their styles; they concatenate to `line`.
    pub fn pieces(&self, line: &str) -> Vec<(Style, String)> {
        let plain = Style::default();
        if !self.color {
            return vec![(plain, line.to_string())];
        }
        if !line.contains('\n') && commands::is_command(line) {
            return self.command_line(line);
        }
        let mut out: Vec<(Style, String)> = Vec::new();
        for t in sql::tokenize(line) {
            let text = t.text(line);
            let style = match t.kind {
                TokenKind::Keyword => self.theme.keyword,
                TokenKind::String => self.theme.string,
                TokenKind::Number => self.theme.number,
                TokenKind::Comment => self.theme.comment,
                TokenKind::JsonPath => self.theme.json_path,
                TokenKind::Param => self.theme.param,
                TokenKind::Other if text == "\\G" => self.theme.terminator,
                _ => plain,
            };
            match out.last_mut() {
                Some((s, acc)) if *s == style => acc.push_str(text),
                _ => out.push((style, text.to_string())),
            }
        }
        out
    }

    /// `:cmd args` (or `exit`/`quit`): the command word styled, the rest plain.
    fn command_line(&self, line: &str) -> Vec<(Style, String)> {
        let lead = line.len() - line.trim_start().len();
        let rest = &line[lead..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ';')
            .unwrap_or(rest.len());
        vec![
            (Style::default(), line[..lead].to_string()),
            (self.theme.command, rest[..end].to_string()),
            (Style::default(), rest[end..].to_string()),
        ]
    }
}

impl Highlighter for SqlHighlighter {
    fn highlight(&self, line: &str, _cursor: usize) -> StyledText {
        let mut text = StyledText::new();
        for piece in self.pieces(line) {
            text.push(piece);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str =
        "SELECT raw:a.b::int, 'x', 42, {p:string} FROM s -- note\nWHERE x = 1 /* c */\\G";

    fn joined(p: &[(Style, String)]) -> String {
        p.iter().map(|(_, t)| t.as_str()).collect()
    }

    fn style_of<'a>(p: &'a [(Style, String)], text: &str) -> Option<&'a Style> {
        p.iter().find(|(_, t)| t == text).map(|(s, _)| s)
    }

    #[test]
    fn disabled_styles_nothing() {
        let h = SqlHighlighter::new(false);
        for s in [SQL, ":help", "", "'open", "exit"] {
            let p = h.pieces(s);
            assert_eq!(p.len(), 1);
            assert_eq!(joined(&p), s);
            assert_eq!(p[0].0, Style::default());
        }
    }

    #[test]
    fn enabled_colours_each_kind_and_keeps_the_text() {
        let h = SqlHighlighter::new(true);
        let p = h.pieces(SQL);
        assert_eq!(joined(&p), SQL, "colouring must not change the text");
        let t = Theme::default();
        assert_eq!(style_of(&p, "SELECT"), Some(&t.keyword));
        assert_eq!(style_of(&p, ":a.b"), Some(&t.json_path));
        assert_eq!(style_of(&p, "'x'"), Some(&t.string));
        assert_eq!(style_of(&p, "42"), Some(&t.number));
        assert_eq!(style_of(&p, "-- note"), Some(&t.comment));
        assert_eq!(style_of(&p, "{p:string}"), Some(&t.param));
        assert_eq!(style_of(&p, "\\G"), Some(&t.terminator));
    }

    #[test]
    fn commands_are_highlighted() {
        let h = SqlHighlighter::new(true);
        let p = h.pieces("  :format live");
        assert_eq!(joined(&p), "  :format live");
        assert_eq!(style_of(&p, ":format"), Some(&Theme::default().command));
        let p = h.pieces("logout");
        assert_eq!(style_of(&p, "logout"), Some(&Theme::default().command));
    }
}
