//! Where statements end: completeness for the line editor and splitting input into statements.

use super::lexer::{tokenize, tokenize_with_state, Token, TokenKind};

fn is_terminator(t: &Token, input: &str) -> bool {
    match t.kind {
        TokenKind::Operator => t.text(input) == ";",
        TokenKind::Other => t.text(input) == "\\G",
        _ => false,
    }
}

/// Whether SQL is ready to run: it ends (ignoring trailing whitespace and comments) with
/// `;` or `\G` outside quotes, comments and backticks. Blank input is complete too. (Shell
/// commands are `crate::commands`' business: see `commands::is_complete`.)
pub fn is_complete(input: &str) -> bool {
    if input.trim().is_empty() {
        return true;
    }
    let (tokens, unterminated) = tokenize_with_state(input);
    if unterminated {
        return false;
    }
    tokens
        .iter()
        .rev()
        .find(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .is_some_and(|t| is_terminator(t, input))
}

/// One statement to run: its text without the terminator, and whether it ended in `\G`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub vertical: bool,
}

/// Split input into statements at `;` and `\G` (outside strings, comments and backticks).
/// Statements that hold only whitespace and comments are dropped; a last statement without a
/// terminator is kept.
pub fn split_statements(input: &str) -> Vec<Statement> {
    let tokens = tokenize(input);
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut has_content = false;
    let mut flush = |start: usize, end: usize, vertical: bool, has_content: bool| {
        if has_content {
            out.push(Statement {
                sql: input[start..end].trim().to_string(),
                vertical,
            });
        }
    };
    for t in &tokens {
        if is_terminator(t, input) {
            flush(start, t.start, t.kind == TokenKind::Other, has_content);
            start = t.end;
            has_content = false;
        } else if !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment) {
            has_content = true;
        }
    }
    flush(start, input.len(), false, has_content);
    out
}

/// Whether `input` holds anything but whitespace and comments.
pub fn has_content(input: &str) -> bool {
    let (tokens, unterminated) = tokenize_with_state(input);
    unterminated
        || tokens
            .iter()
            .any(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
}
