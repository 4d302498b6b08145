//! What a statement leaves in the server's session: the database `USE` picks, the settings `SET` assigns, the temporary tables `CREATE TEMPORARY TABLE` adds and `DROP TABLE` may remove.

use super::analyze::unquote;
use super::lexer::{tokenize, TokenKind};

/// A statement's lasting effect on the server session, as far as its tokens tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEffect {
    /// `USE db`: the database (unquoted).
    Use(String),
    /// `SET a = 1, b = 'x'`: each setting's name and its assignment as written (`b = 'x'`).
    Set(Vec<(String, String)>),
    /// `CREATE TEMPORARY TABLE [IF NOT EXISTS] name …`
    CreateTemporary(String),
    /// `DROP [TEMPORARY] TABLE [IF EXISTS] name`: drops the temporary table of that name, if any.
    DropTable(String),
}

/// A significant token: its kind, text and byte range in the statement.
struct Tok<'a> {
    kind: TokenKind,
    text: &'a str,
    start: usize,
    end: usize,
}

impl Tok<'_> {
    fn is_word(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Keyword | TokenKind::Ident | TokenKind::QuotedIdent
        )
    }
    fn is(&self, word: &str) -> bool {
        matches!(self.kind, TokenKind::Keyword | TokenKind::Ident)
            && self.text.eq_ignore_ascii_case(word)
    }
    fn is_op(&self, op: &str) -> bool {
        self.kind == TokenKind::Operator && self.text == op
    }
}

/// The effect of `stmt` (one statement, with or without its `;`) on the server session.
pub fn session_effect(stmt: &str) -> Option<SessionEffect> {
    let mut toks: Vec<Tok> = tokenize(stmt)
        .iter()
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .map(|t| Tok {
            kind: t.kind,
            text: t.text(stmt),
            start: t.start,
            end: t.end,
        })
        .collect();
    while toks.last().is_some_and(|t| t.is_op(";")) {
        toks.pop();
    }
    let first = toks.first()?;
    if first.is("use") {
        return match &toks[1..] {
            [db] if db.is_word() => Some(SessionEffect::Use(unquote(db.text))),
            _ => None,
        };
    }
    if first.is("set") {
        return set_assignments(stmt, &toks[1..]).map(SessionEffect::Set);
    }
    let mut i = 1;
    let skip = |words: &[&str], i: &mut usize| {
        let all = words
            .iter()
            .enumerate()
            .all(|(k, w)| toks.get(*i + k).is_some_and(|t| t.is(w)));
        if all {
            *i += words.len();
        }
        all
    };
    let effect: fn(String) -> SessionEffect = if first.is("create") {
        if !skip(&["temporary", "table"], &mut i) {
            return None;
        }
        skip(&["if", "not", "exists"], &mut i);
        SessionEffect::CreateTemporary
    } else if first.is("drop") {
        skip(&["temporary"], &mut i);
        if !skip(&["table"], &mut i) {
            return None;
        }
        skip(&["if", "exists"], &mut i);
        SessionEffect::DropTable
    } else {
        return None;
    };
    let name = toks.get(i).filter(|t| t.is_word())?;
    // A qualified name is never a temporary table.
    if toks.get(i + 1).is_some_and(|t| t.is_op(".")) {
        return None;
    }
    Some(effect(unquote(name.text)))
}

/// The assignments after `SET`, split at top-level commas; `None` for `SET ROLE` and
/// `SET DEFAULT ROLE` (access control, not settings) or when there are none.
fn set_assignments(stmt: &str, toks: &[Tok]) -> Option<Vec<(String, String)>> {
    if toks
        .first()
        .is_some_and(|t| t.is("role") || t.is("default"))
    {
        return None;
    }
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut piece_start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "(" | "[" | "{" if t.kind == TokenKind::Operator => depth += 1,
            ")" | "]" | "}" if t.kind == TokenKind::Operator => depth = depth.saturating_sub(1),
            "," if t.kind == TokenKind::Operator && depth == 0 => {
                out.extend(assignment(stmt, &toks[piece_start..i]));
                piece_start = i + 1;
            }
            _ => {}
        }
    }
    out.extend(assignment(stmt, &toks[piece_start..]));
    (!out.is_empty()).then_some(out)
}

/// One `name = value` (or a bare `name`): the setting's name and the text as written.
fn assignment(stmt: &str, piece: &[Tok]) -> Option<(String, String)> {
    let (first, last) = (piece.first()?, piece.last()?);
    first
        .is_word()
        .then(|| (unquote(first.text), stmt[first.start..last.end].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionEffect::*;

    #[test]
    fn use_names_the_database() {
        assert_eq!(session_effect("USE system"), Some(Use("system".into())));
        assert_eq!(session_effect("use `my db`;"), Some(Use("my db".into())));
        assert_eq!(session_effect(" use \"x\" "), Some(Use("x".into())));
        assert_eq!(session_effect("USE default"), Some(Use("default".into())));
        assert_eq!(session_effect("user"), None);
        assert_eq!(session_effect("USE"), None);
        assert_eq!(session_effect("USE a b"), None);
        assert_eq!(session_effect("SELECT 1"), None);
    }

    #[test]
    fn set_keeps_each_assignment_as_written() {
        assert_eq!(
            session_effect("SET max_block_size = 3"),
            Some(Set(vec![(
                "max_block_size".into(),
                "max_block_size = 3".into()
            )]))
        );
        assert_eq!(
            session_effect("set a=1, `b` = 'x, y', c = (1, 2) -- done\n;"),
            Some(Set(vec![
                ("a".into(), "a=1".into()),
                ("b".into(), "`b` = 'x, y'".into()),
                ("c".into(), "c = (1, 2)".into()),
            ]))
        );
        assert_eq!(session_effect("SET ROLE admin"), None);
        assert_eq!(session_effect("SET DEFAULT ROLE admin TO bob"), None);
        assert_eq!(session_effect("SET"), None);
        assert_eq!(session_effect("SETTINGS x = 1"), None);
    }

    #[test]
    fn temporary_tables_created_and_dropped() {
        assert_eq!(
            session_effect("CREATE TEMPORARY TABLE t (x UInt8)"),
            Some(CreateTemporary("t".into()))
        );
        assert_eq!(
            session_effect("create temporary table if not exists `T 2` (x int)"),
            Some(CreateTemporary("T 2".into()))
        );
        assert_eq!(session_effect("CREATE TABLE t (x UInt8)"), None);
        assert_eq!(
            session_effect("DROP TEMPORARY TABLE t"),
            Some(DropTable("t".into()))
        );
        assert_eq!(
            session_effect("DROP TABLE IF EXISTS t;"),
            Some(DropTable("t".into()))
        );
        assert_eq!(session_effect("DROP TABLE db.t"), None);
        assert_eq!(session_effect("DROP STREAM s"), None);
    }
}
