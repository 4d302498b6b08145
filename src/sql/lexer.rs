//! The SQL lexer: tokens that cover any input exactly (for highlighting, completion and statement splitting).

/// What a token is, as far as a lexer without a grammar can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A reserved word from [`KEYWORDS`], not right after a `.`.
    Keyword,
    /// A bare identifier or function name (also type names such as `int`).
    Ident,
    /// An identifier in backticks or double quotes.
    QuotedIdent,
    /// A string literal in single quotes (possibly unterminated).
    String,
    /// A number, including Proton's interval shorthand such as `5s` or `500ms`.
    Number,
    /// `-- …` to the end of the line, or `/* … */` (nestable, possibly unterminated).
    Comment,
    /// Operators and punctuation: `+ - * / % = < > ! | & ^ ~ ? : :: , ; . ( ) [ ] { }` and pairs.
    Operator,
    /// The `:a.b.c` part of Proton's JSON shortcut `raw:a.b.c`.
    JsonPath,
    /// A query parameter `{name:Type}`.
    Param,
    /// Spaces, tabs and newlines.
    Whitespace,
    /// Anything else, e.g. the `\G` terminator or a stray `$`.
    Other,
}

/// One token: its kind and its byte range in the input (always on `char` boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token's text in `input` (the string it was produced from).
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        &input[self.start..self.end]
    }
}

/// SQL and Proton keywords. Functions that look like keywords (`table`, `tumble`, `hop`,
/// `session`, `if`) are deliberately absent, and so are type names.
pub const KEYWORDS: &[&str] = &[
    "ADD",
    "AFTER",
    "ALIAS",
    "ALL",
    "ALTER",
    "AND",
    "ANTI",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASOF",
    "ASYNC",
    "ATTACH",
    "BATCH",
    "BETWEEN",
    "BOTH",
    "BY",
    "CASE",
    "CAST",
    "CHANGELOG",
    "CHECK",
    "CLEAR",
    "CLOSE",
    "CLUSTER",
    "CODEC",
    "COLLATE",
    "COLUMN",
    "COMMENT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT",
    "DATABASE",
    "DATABASES",
    "DEFAULT",
    "DELAY",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DETACH",
    "DICTIONARY",
    "DISTINCT",
    "DROP",
    "ELSE",
    "EMIT",
    "END",
    "ENGINE",
    "EPHEMERAL",
    "EXCEPT",
    "EXCHANGE",
    "EXISTS",
    "EXPIRE",
    "EXPLAIN",
    "EXTERNAL",
    "FALSE",
    "FINAL",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FORMAT",
    "FROM",
    "FULL",
    "FUNCTION",
    "GLOBAL",
    "GRANT",
    "GROUP",
    "HAVING",
    "IDENTIFIED",
    "IGNORE",
    "ILIKE",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "KILL",
    "LAST",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCAL",
    "MATERIALIZED",
    "MODIFY",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OPTIMIZE",
    "OR",
    "ORDER",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PARTITION",
    "PERIODIC",
    "PRECEDING",
    "PREWHERE",
    "PRIMARY",
    "PROCESSLIST",
    "PROCTIME",
    "QUERY",
    "RANDOM",
    "RANGE",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REVOKE",
    "RIGHT",
    "ROLE",
    "ROLLUP",
    "ROW",
    "ROWS",
    "SAMPLE",
    "SELECT",
    "SEMI",
    "SET",
    "SETTINGS",
    "SHOW",
    "STREAM",
    "STREAMS",
    "SYNC",
    "TABLES",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TIMEOUT",
    "TO",
    "TOTALS",
    "TRAILING",
    "TRUE",
    "TRUNCATE",
    "TTL",
    "UNBOUNDED",
    "UNION",
    "UPDATE",
    "USE",
    "USER",
    "USING",
    "VALUES",
    "VIEW",
    "VIEWS",
    "WATERMARK",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Keywords that are also functions: written directly before `(` they are identifiers.
const FUNCTION_LIKE_KEYWORDS: &[&str] = &["database", "key", "left", "replace", "right", "view"];

/// True if `word` (any case) is one of [`KEYWORDS`].
pub fn is_keyword(word: &str) -> bool {
    word.len() <= 16
        && KEYWORDS
            .binary_search_by(|k| cmp_ignore_ascii_case(k, word))
            .is_ok()
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_uppercase())
        .cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The lexer. Works on bytes; every non-ASCII byte counts as an identifier character, so a
/// multi-byte character is never split and every token boundary is a `char` boundary.
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    tokens: Vec<Token>,
    /// The last token is a string, quoted identifier or block comment that never closed.
    unterminated: bool,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer {
            s: input.as_bytes(),
            i: 0,
            tokens: Vec::new(),
            unterminated: false,
        }
    }

    fn peek(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.i,
        });
    }

    /// The last token that is not whitespace or a comment.
    fn last_significant(&self) -> Option<&Token> {
        self.tokens
            .iter()
            .rev()
            .find(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
    }

    fn run(mut self) -> (Vec<Token>, bool) {
        while self.i < self.s.len() {
            self.unterminated = false;
            let start = self.i;
            let b = self.s[self.i];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                    while matches!(
                        self.peek(0),
                        Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
                    ) {
                        self.i += 1;
                    }
                    self.push(TokenKind::Whitespace, start);
                }
                b'-' if self.peek(1) == Some(b'-') => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                    self.push(TokenKind::Comment, start);
                }
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(start),
                b'\'' => {
                    self.quoted(b'\'');
                    self.push(TokenKind::String, start);
                }
                b'`' | b'"' => {
                    self.quoted(b);
                    self.push(TokenKind::QuotedIdent, start);
                    self.json_path();
                }
                b'0'..=b'9' => self.number(start),
                b'.' if self.peek(1).is_some_and(|c| c.is_ascii_digit()) && !self.after_name() => {
                    self.number(start)
                }
                b'{' if self.param() => self.push(TokenKind::Param, start),
                b'\\' => {
                    self.i += 1;
                    if matches!(self.peek(0), Some(b'G' | b'g')) {
                        self.i += 1;
                    }
                    self.push(TokenKind::Other, start);
                }
                _ if is_ident_start(b) => {
                    while self.peek(0).is_some_and(is_ident_char) {
                        self.i += 1;
                    }
                    let word = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                    let after_dot = self.last_significant().is_some_and(|t| {
                        t.end == start && t.kind == TokenKind::Operator && self.s[t.start] == b'.'
                    });
                    let before_paren = self.peek(0) == Some(b'(');
                    let kind = if !after_dot
                        && is_keyword(word)
                        && !(before_paren
                            && FUNCTION_LIKE_KEYWORDS
                                .iter()
                                .any(|k| k.eq_ignore_ascii_case(word)))
                    {
                        TokenKind::Keyword
                    } else {
                        TokenKind::Ident
                    };
                    self.push(kind, start);
                    if kind == TokenKind::Ident {
                        self.json_path();
                    }
                }
                _ => self.operator(start),
            }
        }
        (self.tokens, self.unterminated)
    }

    /// Whether the previous token ends right here and is a name (so `.5` is a member access).
    fn after_name(&self) -> bool {
        self.tokens.last().is_some_and(|t| {
            t.end == self.i
                && matches!(
                    t.kind,
                    TokenKind::Ident | TokenKind::QuotedIdent | TokenKind::Keyword
                )
        })
    }

    fn block_comment(&mut self, start: usize) {
        self.i += 2;
        let mut depth = 1usize;
        while self.i < self.s.len() {
            if self.s[self.i] == b'*' && self.peek(1) == Some(b'/') {
                self.i += 2;
                depth -= 1;
                if depth == 0 {
                    break;
                }
            } else if self.s[self.i] == b'/' && self.peek(1) == Some(b'*') {
                self.i += 2;
                depth += 1;
            } else {
                self.i += 1;
            }
        }
        self.push(TokenKind::Comment, start);
        self.unterminated = depth > 0;
    }

    /// A quoted run closed by `q`; `\x` escapes and a doubled `qq` stays inside.
    fn quoted(&mut self, q: u8) {
        self.i += 1;
        loop {
            match self.peek(0) {
                None => {
                    self.unterminated = true;
                    return;
                }
                Some(b'\\') => self.i = (self.i + 2).min(self.s.len()),
                Some(c) if c == q => {
                    self.i += 1;
                    if self.peek(0) == Some(q) {
                        self.i += 1;
                    } else {
                        return;
                    }
                }
                Some(_) => self.i += 1,
            }
        }
    }

    fn number(&mut self, start: usize) {
        if self.s[self.i] == b'0' && matches!(self.peek(1), Some(b'x' | b'X' | b'b' | b'B')) {
            self.i += 2;
        }
        loop {
            match self.peek(0) {
                Some(c) if is_ident_char(c) => {
                    self.i += 1;
                    // exponent sign: 1e-3, 2.5E+10
                    if matches!(c, b'e' | b'E')
                        && matches!(self.peek(0), Some(b'+' | b'-'))
                        && self.peek(1).is_some_and(|d| d.is_ascii_digit())
                        && self.s[start..self.i - 1]
                            .iter()
                            .all(|d| d.is_ascii_digit() || *d == b'.')
                    {
                        self.i += 1;
                    }
                }
                Some(b'.') if self.peek(1).is_some_and(|d| d.is_ascii_digit()) => self.i += 1,
                Some(b'.')
                    if !self.s[start..self.i].contains(&b'.')
                        && !self.peek(1).is_some_and(is_ident_start) =>
                {
                    // `1.` is a number; `t.1.x` is not our business
                    self.i += 1;
                }
                _ => break,
            }
        }
        self.push(TokenKind::Number, start);
    }

    /// `:a.b.c` right after a name: Proton's JSON shortcut. Not after `?` (the ternary).
    fn json_path(&mut self) {
        if self.peek(0) != Some(b':') || self.peek(1) == Some(b':') {
            return;
        }
        let Some(next) = self.peek(1) else { return };
        if !(is_ident_start(next) || next == b'`') {
            return;
        }
        // the name itself is the last token; look at what precedes it
        let n = self.tokens.len();
        let before = self.tokens[..n.saturating_sub(1)]
            .iter()
            .rev()
            .find(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment));
        if before.is_some_and(|t| t.kind == TokenKind::Operator && self.s[t.start] == b'?') {
            return;
        }
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek(0) {
                Some(b'`') => {
                    self.quoted(b'`');
                    if self.unterminated {
                        break;
                    }
                }
                Some(c) if is_ident_start(c) => {
                    while self.peek(0).is_some_and(is_ident_char) {
                        self.i += 1;
                    }
                }
                _ => break,
            }
            if self.peek(0) == Some(b'.')
                && self.peek(1).is_some_and(|c| is_ident_start(c) || c == b'`')
            {
                self.i += 1;
            } else {
                break;
            }
        }
        self.push(TokenKind::JsonPath, start);
    }

    /// `{name:Type}` on one line. Leaves `i` past the `}` and returns true if it is one.
    fn param(&mut self) -> bool {
        let mut j = self.i + 1;
        let s = self.s;
        while j < s.len() && matches!(s[j], b' ' | b'\t') {
            j += 1;
        }
        if j >= s.len() || !is_ident_start(s[j]) {
            return false;
        }
        while j < s.len() && is_ident_char(s[j]) {
            j += 1;
        }
        while j < s.len() && matches!(s[j], b' ' | b'\t') {
            j += 1;
        }
        if j >= s.len() || s[j] != b':' {
            return false;
        }
        let mut depth = 0i32;
        while j < s.len() {
            match s[j] {
                b'\n' | b'{' | b';' => return false,
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'}' if depth <= 0 => {
                    self.i = j + 1;
                    return true;
                }
                _ => {}
            }
            j += 1;
        }
        false
    }

    fn operator(&mut self, start: usize) {
        let b = self.s[self.i];
        let two = [b, self.peek(1).unwrap_or(0)];
        let len = match &two {
            b"::" | b"<=" | b">=" | b"!=" | b"<>" | b"||" | b"->" | b"==" | b"&&" => 2,
            _ => 1,
        };
        self.i += len;
        let kind = if b"+-*/%=<>!|&^~?:,;.()[]{}".contains(&b) {
            TokenKind::Operator
        } else {
            TokenKind::Other
        };
        self.push(kind, start);
    }
}

/// Split `input` into tokens that cover it exactly, in order. Never panics.
pub fn tokenize(input: &str) -> Vec<Token> {
    Lexer::new(input).run().0
}

/// Tokens plus whether the last one (a string, quoted name or block comment) never closed.
pub fn tokenize_with_state(input: &str) -> (Vec<Token>, bool) {
    Lexer::new(input).run()
}
