//! The one painter: every styled message of the shell goes through [`paint`] with one of the named styles here.
//!
//! The renderers write their own escape sequences on the hot path; they take them from the
//! constants at the bottom so that there is still one list of codes.

use nu_ansi_term::{Color, Style};

/// Summaries, echoed SQL, hints: dimmed.
pub fn note() -> Style {
    Style::new().dimmed()
}

/// Cancels, reconnects, warnings: yellow.
pub fn notice() -> Style {
    Color::Yellow.normal()
}

/// Errors: bold red.
pub fn error() -> Style {
    Color::Red.bold()
}

/// A result line that reports a problem (`:validate` findings): red.
pub fn bad() -> Style {
    Color::Red.normal()
}

/// Headings in help: bold.
pub fn heading() -> Style {
    Style::new().bold()
}

/// `text` in `style` when `color` is on, else as is.
pub fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        style.paint(text).to_string()
    } else {
        text.to_string()
    }
}

/// `text` from outside (a server's message, a document's field) made safe to print: each line
/// as `Style::Plain` shows a cell (ESC and the other C0/C1 control characters escaped, so the
/// text cannot drive the terminal), the newlines between lines kept.
pub fn printable(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        crate::wire::value::plain_escape_into(line.as_bytes(), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Raw codes for the renderers (rows are styled per cell, without allocating).
pub(crate) const BOLD: &str = "\x1b[1m";
pub(crate) const DIM: &str = "\x1b[2m";
pub(crate) const HIGHLIGHT: &str = "\x1b[1;33m";
pub(crate) const RESET: &str = "\x1b[0m";
/// Carriage return and erase to the end of the line: redraws a status or live line in place.
pub(crate) const REDRAW_LINE: &str = "\r\x1b[K";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_only_with_colour() {
        assert_eq!(paint(false, error(), "x"), "x");
        assert_eq!(paint(true, note(), "x"), "\x1b[2mx\x1b[0m");
    }

    #[test]
    fn printable_escapes_controls_and_keeps_newlines() {
        let osc52 = "copy\x1b]52;c;aGk=\x07 now\ncsi \u{9b}31m\r done";
        assert_eq!(
            printable(osc52),
            "copy\\x1b]52;c;aGk=\\x07 now\ncsi \\x9b31m\\r done"
        );
        assert_eq!(printable("plain é text\n"), "plain é text\n");
    }
}
