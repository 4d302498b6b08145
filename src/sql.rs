//! A small, forgiving SQL lexer and statement analyser for Proton: tokens for highlighting, statement ends for the line editor, and the few facts the shell needs (kind, DDL, streaming, changelog, secrets, tables).
//!
//! Nothing here parses SQL properly, and nothing here ever fails: every input, however broken
//! (an unterminated string, a stray backtick, half a comment), produces tokens that cover it.
//! The analysis is a heuristic over those tokens; the server stays the judge of what is valid.

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
        while j < s.len() && s[j] == b' ' {
            j += 1;
        }
        if j >= s.len() || !is_ident_start(s[j]) {
            return false;
        }
        while j < s.len() && is_ident_char(s[j]) {
            j += 1;
        }
        while j < s.len() && s[j] == b' ' {
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

fn is_terminator(t: &Token, input: &str) -> bool {
    match t.kind {
        TokenKind::Operator => t.text(input) == ";",
        TokenKind::Other => t.text(input) == "\\G",
        _ => false,
    }
}

/// Is this a shell command rather than SQL? (`:cmd …`, `exit`, `quit`.)
pub fn is_shell_command(input: &str) -> bool {
    let t = input.trim_start();
    if t.starts_with(':') {
        return true;
    }
    let word: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    let rest = t[word.len()..].trim();
    matches!(word.as_str(), "exit" | "quit") && (rest.is_empty() || rest == ";")
}

/// Whether the input is ready to run: it ends (ignoring trailing whitespace and comments) with
/// `;` or `\G` outside quotes, comments and backticks. Blank input, shell commands (see
/// [`is_shell_command`]) and input starting with a backslash (`\q`) are complete too.
pub fn is_complete(input: &str) -> bool {
    // `\q`, `\h` and friends (psql / clickhouse-client habits): never wait for a `;` after them
    if input.trim().is_empty() || is_shell_command(input) || input.trim_start().starts_with('\\') {
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

/// The statement's first verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    Select,
    Insert,
    Create,
    Drop,
    Alter,
    Set,
    Use,
    Show,
    Describe,
    Explain,
    Other,
}

/// What the shell wants to know about a statement before running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    pub kind: StatementKind,
    /// CREATE/DROP/ALTER/RENAME/TRUNCATE/ATTACH/DETACH/EXCHANGE: refresh the catalog afterwards.
    pub is_ddl: bool,
    /// A SELECT (or WITH) that reads some stream outside `table(...)`, not a system table or a
    /// table function, with no LIMIT and no `SETTINGS query_mode='table'`. A heuristic: plain
    /// tables on ClickHouse and views look like streams too.
    pub streaming: bool,
    /// Streaming, with GROUP BY or an aggregate function, and no tumble/hop/session window:
    /// Proton re-emits the whole result periodically.
    pub aggregate_without_window: bool,
    /// `EMIT CHANGELOG`: rows come with `_tp_delta`.
    pub changelog: bool,
    /// Contains `PASSWORD` (in any name, e.g. a Kafka `password=` setting) or `IDENTIFIED`.
    pub has_secret: bool,
    /// Names after FROM/JOIN/INTO (unwrapped from `table(x)`, `tumble(x, …)` and friends),
    /// as written (`db.name` when qualified), in order, without duplicates or CTE names.
    pub tables: Vec<String>,
}

/// Table functions whose first argument is a stream: the query streams unless it is `table(…)`.
const STREAM_WRAPPERS: &[&str] = &["tumble", "hop", "session", "dedup", "changelog"];
/// Functions that make a query windowed.
const WINDOW_FUNCTIONS: &[&str] = &["tumble", "hop", "session"];

/// Aggregate functions (lower case, Proton snake_case and ClickHouse camelCase).
const AGGREGATES: &[&str] = &[
    "any",
    "any_heavy",
    "any_last",
    "anyheavy",
    "anylast",
    "arg_max",
    "arg_min",
    "argmax",
    "argmin",
    "avg",
    "avg_weighted",
    "avgweighted",
    "corr",
    "count",
    "count_distinct",
    "covar_pop",
    "covar_samp",
    "earliest",
    "entropy",
    "first_value",
    "group_array",
    "group_array_last",
    "group_array_moving_avg",
    "group_array_moving_sum",
    "group_array_sample",
    "group_uniq_array",
    "grouparray",
    "groupuniqarray",
    "histogram",
    "kurt_pop",
    "kurt_samp",
    "last_value",
    "latest",
    "max",
    "max_k",
    "median",
    "min",
    "min_k",
    "p90",
    "p95",
    "p99",
    "skew_pop",
    "skew_samp",
    "stddev_pop",
    "stddev_samp",
    "stddevpop",
    "stddevsamp",
    "sum",
    "sum_with_overflow",
    "top_k",
    "top_k_weighted",
    "topk",
    "topkweighted",
    "uniq",
    "uniq_combined",
    "uniq_combined64",
    "uniq_exact",
    "uniq_hll12",
    "uniq_theta",
    "uniqcombined",
    "uniqexact",
    "unique",
    "unique_exact",
    "var_pop",
    "var_samp",
    "varpop",
    "varsamp",
];

/// Aggregate combinator suffixes (`count_if`, `sum_distinct`, `uniq_state`, `countIf` …).
const COMBINATORS: &[&str] = &[
    "_if",
    "_array",
    "_distinct",
    "_state",
    "_merge",
    "_or_null",
    "_or_default",
    "_for_each",
    "_resample",
    "if",
    "array",
    "distinct",
    "state",
    "merge",
    "ornull",
    "ordefault",
    "foreach",
];

/// Is `name` (any case) an aggregate function, possibly with combinators?
pub fn is_aggregate_function(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let mut n = lower.as_str();
    for _ in 0..4 {
        if AGGREGATES.binary_search(&n).is_ok()
            || n.starts_with("quantile")
            || n.starts_with("median_")
        {
            return true;
        }
        match COMBINATORS
            .iter()
            .find(|c| n.len() > c.len() && n.ends_with(**c))
        {
            Some(c) => n = &n[..n.len() - c.len()],
            None => return false,
        }
    }
    false
}

/// A significant token, with its text.
#[derive(Clone, Copy)]
struct Sig<'a> {
    kind: TokenKind,
    text: &'a str,
}

/// The significant tokens of `stmt`: no whitespace, no comments.
fn significant(stmt: &str) -> Vec<Sig<'_>> {
    tokenize(stmt)
        .iter()
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .map(|t| Sig {
            kind: t.kind,
            text: t.text(stmt),
        })
        .collect()
}

impl Sig<'_> {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.kind, TokenKind::Keyword | TokenKind::Ident)
            && self.text.eq_ignore_ascii_case(kw)
    }
    fn is_op(&self, op: &str) -> bool {
        self.kind == TokenKind::Operator && self.text == op
    }
    fn is_name(&self) -> bool {
        matches!(self.kind, TokenKind::Ident | TokenKind::QuotedIdent)
    }
}

fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'`' || b[0] == b'"') && b[b.len() - 1] == b[0] {
        let q = b[0] as char;
        let inner = &s[1..s.len() - 1];
        inner
            .replace(&format!("{q}{q}"), &q.to_string())
            .replace(&format!("\\{q}"), &q.to_string())
    } else if !b.is_empty() && (b[0] == b'`' || b[0] == b'"') {
        s[1..].to_string()
    } else {
        s.to_string()
    }
}

/// A (possibly qualified) name starting at `sig[i]`: its text and the index after it.
fn qualified_name(sig: &[Sig], i: usize) -> Option<(String, usize)> {
    let first = sig.get(i)?;
    if !first.is_name() {
        return None;
    }
    let mut name = unquote(first.text);
    let mut j = i + 1;
    while j + 1 < sig.len() && sig[j].is_op(".") && sig[j + 1].is_name() {
        name.push('.');
        name.push_str(&unquote(sig[j + 1].text));
        j += 2;
    }
    Some((name, j))
}

/// Is this name bounded by nature (a system table or one-row table)?
fn is_bounded_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("system.") || lower.starts_with("information_schema.")
}

/// Analyse one statement (without its terminator). Never fails; see [`Analysis`].
pub fn analyze(stmt: &str) -> Analysis {
    let sig = significant(stmt);

    let first = sig.iter().find(|s| !s.is_op("("));
    let verb = first
        .map(|s| s.text.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = match verb.as_str() {
        "select" | "with" => StatementKind::Select,
        "insert" => StatementKind::Insert,
        "create" => StatementKind::Create,
        "drop" => StatementKind::Drop,
        "alter" => StatementKind::Alter,
        "set" => StatementKind::Set,
        "use" => StatementKind::Use,
        "show" => StatementKind::Show,
        "describe" | "desc" => StatementKind::Describe,
        "explain" => StatementKind::Explain,
        _ => StatementKind::Other,
    };
    let is_ddl = matches!(
        verb.as_str(),
        "create" | "drop" | "alter" | "rename" | "truncate" | "attach" | "detach" | "exchange"
    );

    let has_secret = sig.iter().any(|s| {
        (matches!(
            s.kind,
            TokenKind::Keyword | TokenKind::Ident | TokenKind::QuotedIdent | TokenKind::JsonPath
        ) && s.text.to_ascii_lowercase().contains("password"))
            || s.is_kw("identified")
    });

    let changelog = sig
        .windows(2)
        .any(|w| w[0].is_kw("emit") && w[1].is_kw("changelog"));

    // CTE names: `WITH name AS (` … , `name AS (` …
    let mut ctes: Vec<String> = Vec::new();
    for w in sig.windows(3) {
        if w[0].is_name() && w[1].is_kw("as") && w[2].is_op("(") {
            ctes.push(unquote(w[0].text));
        }
    }

    // Walk the tokens, tracking which parentheses hold a subquery: a FROM counts only at the top
    // level or directly inside a subquery (not in `extract(x FROM d)` or `trim(… FROM s)`).
    let mut tables: Vec<String> = Vec::new();
    let mut stream_source = false;
    let mut windowed = false;
    let mut has_aggregate = false;
    let mut has_group_by = false;
    let mut has_limit = false;
    let mut table_mode = false;
    let mut stack: Vec<bool> = Vec::new(); // true = subquery parenthesis
    let in_query = |stack: &Vec<bool>| stack.iter().all(|q| *q);
    let add_table = |name: String, tables: &mut Vec<String>| {
        if !ctes.iter().any(|c| c == &name) && !tables.contains(&name) {
            tables.push(name);
        }
    };
    let mut i = 0;
    while i < sig.len() {
        let s = sig[i];
        if s.is_op("(") {
            let sub = sig
                .get(i + 1)
                .is_some_and(|n| n.is_kw("select") || n.is_kw("with"));
            stack.push(sub);
        } else if s.is_op(")") {
            stack.pop();
        } else if s.is_name() && sig.get(i + 1).is_some_and(|n| n.is_op("(")) {
            let f = s.text.to_ascii_lowercase();
            if WINDOW_FUNCTIONS.contains(&f.as_str()) {
                windowed = true;
            }
            if is_aggregate_function(&f) {
                has_aggregate = true;
            }
        } else if s.is_kw("group") && sig.get(i + 1).is_some_and(|n| n.is_kw("by")) {
            has_group_by = true;
        } else if s.is_kw("limit") {
            has_limit = true;
        } else if s.text.eq_ignore_ascii_case("query_mode")
            && sig.get(i + 1).is_some_and(|n| n.is_op("="))
            && sig.get(i + 2).is_some_and(|n| {
                n.kind == TokenKind::String && n.text.eq_ignore_ascii_case("'table'")
            })
        {
            table_mode = true;
        }

        let source_kw = s.is_kw("from")
            || s.is_kw("join")
            || (s.is_kw("into") && kind == StatementKind::Insert);
        if source_kw && in_query(&stack) {
            // FROM name | FROM db.name | FROM fn(name, …) | FROM fn(table(name), …) | FROM (SELECT …)
            if let Some((name, next)) = qualified_name(&sig, i + 1) {
                if !s.is_kw("into") && sig.get(next).is_some_and(|n| n.is_op("(")) {
                    let f = name.to_ascii_lowercase();
                    let arg = next + 1;
                    if f == "table" {
                        if let Some((inner, _)) = qualified_name(&sig, arg) {
                            add_table(inner, &mut tables);
                        }
                    } else if STREAM_WRAPPERS.contains(&f.as_str()) {
                        if let Some((inner, after)) = qualified_name(&sig, arg) {
                            if inner.eq_ignore_ascii_case("table")
                                && sig.get(after).is_some_and(|n| n.is_op("("))
                            {
                                if let Some((inner2, _)) = qualified_name(&sig, after + 1) {
                                    add_table(inner2, &mut tables);
                                }
                            } else {
                                stream_source |= !is_bounded_name(&inner);
                                add_table(inner, &mut tables);
                            }
                        }
                    }
                    // other table functions (numbers, remote, url, file, values …) are bounded
                } else {
                    let is_cte = ctes.iter().any(|c| c == &name);
                    if !s.is_kw("into") && !is_cte && !is_bounded_name(&name) {
                        stream_source = true;
                    }
                    add_table(name, &mut tables);
                }
            }
        }
        i += 1;
    }

    let streaming = kind == StatementKind::Select
        && first.is_some_and(|f| f.is_kw("select") || f.is_kw("with"))
        && stream_source
        && !has_limit
        && !table_mode;
    let aggregate_without_window = streaming && (has_group_by || has_aggregate) && !windowed;

    Analysis {
        kind,
        is_ddl,
        streaming,
        aggregate_without_window,
        changelog,
        has_secret,
        tables,
    }
}

/// Aliases given to FROM/JOIN sources (`FROM s AS a`, `JOIN table(t) b`): `(alias, table)` pairs,
/// for completing `a.` with the columns of `s`.
pub fn table_aliases(stmt: &str) -> Vec<(String, String)> {
    let sig = significant(stmt);
    let mut out = Vec::new();
    for (i, s) in sig.iter().enumerate() {
        if !(s.is_kw("from") || s.is_kw("join")) {
            continue;
        }
        let Some((name, mut next)) = qualified_name(&sig, i + 1) else {
            continue;
        };
        let mut table = name;
        if sig.get(next).is_some_and(|n| n.is_op("(")) {
            // a table function: its (first) stream argument, then skip to the closing paren
            let mut arg = next + 1;
            if let Some((inner, after)) = qualified_name(&sig, arg) {
                if inner.eq_ignore_ascii_case("table")
                    && sig.get(after).is_some_and(|n| n.is_op("("))
                {
                    arg = after + 1;
                }
            }
            match qualified_name(&sig, arg) {
                Some((inner, _)) => table = inner,
                None => continue,
            }
            let mut depth = 0i32;
            while next < sig.len() {
                if sig[next].is_op("(") {
                    depth += 1;
                } else if sig[next].is_op(")") {
                    depth -= 1;
                    if depth == 0 {
                        next += 1;
                        break;
                    }
                }
                next += 1;
            }
        }
        if sig.get(next).is_some_and(|n| n.is_kw("as")) {
            next += 1;
        }
        if let Some(a) = sig.get(next) {
            if a.is_name() {
                out.push((unquote(a.text), table));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(s: &str) -> Vec<(TokenKind, &str)> {
        tokenize(s)
            .into_iter()
            .filter(|t| t.kind != Whitespace)
            .map(|t| (t.kind, t.text(s)))
            .collect()
    }

    fn covers(s: &str) {
        let toks = tokenize(s);
        let mut at = 0;
        for t in &toks {
            assert_eq!(t.start, at, "gap in {s:?}: {toks:?}");
            assert!(t.end > t.start, "empty token in {s:?}");
            assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end));
            at = t.end;
        }
        assert_eq!(at, s.len(), "tokens do not reach the end of {s:?}");
    }

    #[test]
    fn keywords_sorted_uppercase_for_binary_search() {
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort();
        assert_eq!(sorted, KEYWORDS, "KEYWORDS must stay sorted");
        assert!(KEYWORDS
            .iter()
            .all(|k| k.chars().all(|c| c.is_ascii_uppercase())));
        let mut aggs = AGGREGATES.to_vec();
        aggs.sort();
        assert_eq!(aggs, AGGREGATES, "AGGREGATES must stay sorted");
        assert!(is_keyword("select") && is_keyword("Emit") && !is_keyword("table"));
        assert!(!is_keyword("tumble") && !is_keyword("hop") && !is_keyword("session"));
    }

    #[test]
    fn basic_tokens() {
        assert_eq!(
            kinds("SELECT a, 1.5 FROM s -- c\n/* b */ 'x'"),
            vec![
                (Keyword, "SELECT"),
                (Ident, "a"),
                (Operator, ","),
                (Number, "1.5"),
                (Keyword, "FROM"),
                (Ident, "s"),
                (Comment, "-- c"),
                (Comment, "/* b */"),
                (String, "'x'"),
            ]
        );
    }

    #[test]
    fn strings_with_escapes_and_doubled_quotes() {
        assert_eq!(kinds(r"'it\'s'"), vec![(String, r"'it\'s'")]);
        assert_eq!(kinds("'it''s' x"), vec![(String, "'it''s'"), (Ident, "x")]);
        assert_eq!(kinds(r"'a\\' b"), vec![(String, r"'a\\'"), (Ident, "b")]);
        assert_eq!(kinds("'unterminated"), vec![(String, "'unterminated")]);
        assert_eq!(
            kinds(r"'ends in backslash\"),
            vec![(String, r"'ends in backslash\")]
        );
    }

    #[test]
    fn quoted_identifiers() {
        assert_eq!(
            kinds("`my stream`.`a``b` \"x\""),
            vec![
                (QuotedIdent, "`my stream`"),
                (Operator, "."),
                (QuotedIdent, "`a``b`"),
                (QuotedIdent, "\"x\""),
            ]
        );
        assert_eq!(kinds("`open"), vec![(QuotedIdent, "`open")]);
    }

    #[test]
    fn comments() {
        assert_eq!(
            kinds("/* a /* nested */ b */x"),
            vec![(Comment, "/* a /* nested */ b */"), (Ident, "x")]
        );
        assert_eq!(kinds("/* open"), vec![(Comment, "/* open")]);
        assert_eq!(kinds("a--b"), vec![(Ident, "a"), (Comment, "--b")]);
        assert_eq!(
            kinds("a - -b"),
            vec![(Ident, "a"), (Operator, "-"), (Operator, "-"), (Ident, "b")]
        );
    }

    #[test]
    fn numbers_and_intervals() {
        assert_eq!(
            kinds("1 2.5 1e-3 0x1F 5s 500ms .5 3."),
            vec![
                (Number, "1"),
                (Number, "2.5"),
                (Number, "1e-3"),
                (Number, "0x1F"),
                (Number, "5s"),
                (Number, "500ms"),
                (Number, ".5"),
                (Number, "3."),
            ]
        );
        // tuple access t.1 is a name, a dot and a number
        assert_eq!(
            kinds("t.1"),
            vec![(Ident, "t"), (Operator, "."), (Number, "1")]
        );
    }

    #[test]
    fn json_shortcut() {
        let k = kinds("raw:a.b.c::int");
        assert_eq!(
            k,
            vec![
                (Ident, "raw"),
                (JsonPath, ":a.b.c"),
                (Operator, "::"),
                (Ident, "int")
            ]
        );
        assert_eq!(
            kinds("raw:`a.b`.c"),
            vec![(Ident, "raw"), (JsonPath, ":`a.b`.c")]
        );
        assert_eq!(
            kinds("x:payload.after.id = 1"),
            vec![
                (Ident, "x"),
                (JsonPath, ":payload.after.id"),
                (Operator, "="),
                (Number, "1")
            ]
        );
        // a cast is not a path; nor is the ternary
        assert_eq!(
            kinds("x::string"),
            vec![(Ident, "x"), (Operator, "::"), (Ident, "string")]
        );
        assert_eq!(
            kinds("c ? a:b"),
            vec![
                (Ident, "c"),
                (Operator, "?"),
                (Ident, "a"),
                (Operator, ":"),
                (Ident, "b")
            ]
        );
        // keywords are never JSON roots
        assert_eq!(
            kinds("raw:resourcename='School'")[1],
            (JsonPath, ":resourcename")
        );
    }

    #[test]
    fn params_and_backslash_g() {
        assert_eq!(
            kinds("WHERE id = {id:uint32} AND t IN {xs:array(string)}"),
            vec![
                (Keyword, "WHERE"),
                (Ident, "id"),
                (Operator, "="),
                (Param, "{id:uint32}"),
                (Keyword, "AND"),
                (Ident, "t"),
                (Keyword, "IN"),
                (Param, "{xs:array(string)}"),
            ]
        );
        assert_eq!(kinds("{a, b}")[0], (Operator, "{"));
        assert_eq!(
            kinds("SELECT 1\\G"),
            vec![(Keyword, "SELECT"), (Number, "1"), (Other, "\\G")]
        );
    }

    #[test]
    fn keywords_after_dot_and_function_like() {
        assert_eq!(
            kinds("system.tables"),
            vec![(Ident, "system"), (Operator, "."), (Ident, "tables")]
        );
        assert_eq!(kinds("t.from")[2], (Ident, "from"));
        assert_eq!(kinds("left(s, 2)")[0], (Ident, "left"));
        assert_eq!(kinds("LEFT JOIN")[0], (Keyword, "LEFT"));
        assert_eq!(kinds("table(s)")[0], (Ident, "table"));
    }

    #[test]
    fn never_panics_and_covers_input() {
        let nasty = [
            "",
            "'",
            "`",
            "\"",
            "/*",
            "/* /*",
            "--",
            "\\",
            "{",
            "{a:",
            "{a:b",
            "raw:",
            "raw:`",
            "raw:a.",
            "raw:a.`b",
            "0x",
            "1e",
            "1e-",
            "1.e5",
            "..",
            "é'ü`ß",
            "SELECT 'ä' FROM ö WHERE raw:ü.ß = 1",
            "a\u{00a0}b",
            "日本語:パス",
            "'\\",
            "`a``",
            "x ? raw:a",
            "{{{}}}",
            "$$ @ # \u{1F600}",
        ];
        for s in nasty {
            covers(s);
            let _ = is_complete(s);
            let _ = split_statements(s);
            let _ = analyze(s);
        }
        // every prefix of a realistic statement
        let s = "SELECT raw:a.`b.c`::int, {p:string} /* x */ FROM `s` WHERE x = 'it''s\\'' -- c\n\\G; é";
        for (i, _) in s.char_indices() {
            covers(&s[..i]);
            let _ = is_complete(&s[..i]);
            let _ = analyze(&s[..i]);
        }
    }

    #[test]
    fn completeness() {
        assert!(is_complete(""));
        assert!(is_complete("   \n "));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1;  \n"));
        assert!(is_complete("SELECT 1; -- trailing comment"));
        assert!(is_complete("SELECT 1; /* trailing */"));
        assert!(is_complete("SELECT 1\\G"));
        assert!(is_complete("SELECT 1 \\G  "));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';'"));
        assert!(is_complete("SELECT ';';"));
        assert!(!is_complete("SELECT 'a;"));
        assert!(!is_complete("SELECT 'it\\';"));
        assert!(is_complete("SELECT 'it\\'';"));
        assert!(!is_complete("SELECT 'it'';"));
        assert!(is_complete("SELECT 'it''';"));
        assert!(!is_complete("SELECT 1 -- ;"));
        assert!(!is_complete("SELECT 1 /* ; */"));
        assert!(!is_complete("SELECT 1; /* open"));
        assert!(!is_complete("SELECT `a;"));
        assert!(!is_complete("SELECT `a;`"));
        assert!(!is_complete("SELECT 1;\nSELECT 2"));
        assert!(is_complete("SELECT 1; SELECT 2;"));
        assert!(!is_complete("SELECT '\\G'"));
        // shell commands and exit words
        assert!(is_complete(":help"));
        assert!(is_complete("  :format live"));
        assert!(is_complete("exit"));
        assert!(is_complete("QUIT"));
        assert!(is_complete("quit;"));
        assert!(!is_complete("exit_code"));
        assert!(!is_complete("exited from s"));
        assert!(is_complete("\\q"));
    }

    #[test]
    fn splitting() {
        let st = split_statements("SELECT 1; SELECT ';' ; SELECT `a;b`\\G /* ; */ -- ;\n;;");
        assert_eq!(
            st,
            vec![
                Statement {
                    sql: "SELECT 1".into(),
                    vertical: false
                },
                Statement {
                    sql: "SELECT ';'".into(),
                    vertical: false
                },
                Statement {
                    sql: "SELECT `a;b`".into(),
                    vertical: true
                },
            ]
        );
        assert_eq!(split_statements("  ;; ; "), vec![]);
        assert_eq!(split_statements("-- only a comment\n;"), vec![]);
        assert_eq!(
            split_statements("SELECT 1;\nSELECT 2"),
            vec![
                Statement {
                    sql: "SELECT 1".into(),
                    vertical: false
                },
                Statement {
                    sql: "SELECT 2".into(),
                    vertical: false
                },
            ]
        );
        let multi = split_statements("SELECT\n  a,\n  b\nFROM t\n;");
        assert_eq!(multi.len(), 1);
        assert_eq!(multi[0].sql, "SELECT\n  a,\n  b\nFROM t");
        let escaped = split_statements(r"SELECT 'a\';b'; SELECT 'c''d;'");
        assert_eq!(escaped.len(), 2);
        assert_eq!(escaped[0].sql, r"SELECT 'a\';b'");
        assert_eq!(escaped[1].sql, "SELECT 'c''d;'");
    }

    #[test]
    fn statement_kinds() {
        let k = |s: &str| analyze(s).kind;
        assert_eq!(k("select 1"), StatementKind::Select);
        assert_eq!(
            k("WITH x AS (SELECT 1) SELECT * FROM x"),
            StatementKind::Select
        );
        assert_eq!(k("(SELECT 1)"), StatementKind::Select);
        assert_eq!(k("-- hi\nINSERT INTO s VALUES (1)"), StatementKind::Insert);
        assert_eq!(k("CREATE STREAM s (a int)"), StatementKind::Create);
        assert_eq!(k("DROP STREAM s"), StatementKind::Drop);
        assert_eq!(k("ALTER STREAM s ADD COLUMN b int"), StatementKind::Alter);
        assert_eq!(k("SET x = 1"), StatementKind::Set);
        assert_eq!(k("USE db"), StatementKind::Use);
        assert_eq!(k("SHOW STREAMS"), StatementKind::Show);
        assert_eq!(k("DESC s"), StatementKind::Describe);
        assert_eq!(k("DESCRIBE s"), StatementKind::Describe);
        assert_eq!(k("EXPLAIN SELECT 1"), StatementKind::Explain);
        assert_eq!(k("KILL QUERY WHERE 1"), StatementKind::Other);
        assert_eq!(k(""), StatementKind::Other);
        for ddl in [
            "CREATE STREAM s (a int)",
            "drop view v",
            "ALTER STREAM s DELETE WHERE 1",
            "RENAME STREAM a TO b",
            "TRUNCATE STREAM s",
        ] {
            assert!(analyze(ddl).is_ddl, "{ddl}");
        }
        assert!(!analyze("SELECT 1").is_ddl);
        assert!(!analyze("INSERT INTO s VALUES (1)").is_ddl);
    }

    #[test]
    fn streaming_detection() {
        let a = analyze("SELECT count() FROM document WHERE raw:resourcename='School'");
        assert!(a.streaming && a.aggregate_without_window && !a.changelog);
        assert_eq!(a.tables, vec!["document"]);

        let a = analyze("SELECT * FROM table(schools)");
        assert!(!a.streaming && !a.aggregate_without_window);
        assert_eq!(a.tables, vec!["schools"]);

        let a = analyze("SELECT window_start, count() FROM tumble(s, 5s) GROUP BY window_start");
        assert!(a.streaming && !a.aggregate_without_window);
        assert_eq!(a.tables, vec!["s"]);

        let a = analyze(
            "SELECT window_start, count() FROM hop(table(s), 1s, 5s) GROUP BY window_start",
        );
        assert!(!a.streaming);
        assert_eq!(a.tables, vec!["s"]);

        let a = analyze("SELECT k, count() FROM s GROUP BY k EMIT CHANGELOG");
        assert!(a.streaming && a.aggregate_without_window && a.changelog);

        assert!(!analyze("SELECT * FROM s LIMIT 3").streaming);
        assert!(!analyze("SELECT * FROM s SETTINGS query_mode='table'").streaming);
        assert!(analyze("SELECT * FROM s SETTINGS seek_to='earliest'").streaming);
        assert!(!analyze("SELECT * FROM system.tables").streaming);
        assert!(!analyze("select * from SYSTEM.numbers").streaming);
        assert!(!analyze("SELECT * FROM numbers(10)").streaming);
        assert!(!analyze("SELECT 1").streaming);
        assert!(!analyze("SELECT extract(YEAR FROM now())").streaming);
        assert!(!analyze("SELECT trim(BOTH ' ' FROM x)").streaming);
        assert!(!analyze("INSERT INTO s SELECT * FROM t").streaming);
        assert!(!analyze("CREATE MATERIALIZED VIEW mv AS SELECT count() FROM s").streaming);
        assert!(!analyze("EXPLAIN SELECT * FROM s").streaming);

        let a = analyze("SELECT * FROM s");
        assert!(a.streaming && !a.aggregate_without_window);
        // subqueries and CTEs
        assert!(analyze("SELECT * FROM (SELECT a FROM s) WHERE a > 1").streaming);
        assert!(!analyze("SELECT * FROM (SELECT a FROM table(s)) WHERE a > 1").streaming);
        assert!(!analyze("WITH x AS (SELECT * FROM table(s)) SELECT count() FROM x").streaming);
        let a = analyze("WITH x AS (SELECT * FROM s) SELECT count() FROM x");
        assert!(a.streaming && a.aggregate_without_window);
        assert_eq!(a.tables, vec!["s"]);
        // joins
        let a = analyze("SELECT * FROM table(a) JOIN b ON a.id = b.id");
        assert!(a.streaming);
        assert_eq!(a.tables, vec!["a", "b"]);
        // aggregates by combinator, by GROUP BY, and not-aggregates
        assert!(analyze("SELECT count_if(x > 1) FROM s").aggregate_without_window);
        assert!(analyze("SELECT uniq_exact(x) FROM s").aggregate_without_window);
        assert!(analyze("SELECT top_k(x, 3) FROM s").aggregate_without_window);
        assert!(analyze("SELECT latest(x) FROM s").aggregate_without_window);
        assert!(analyze("SELECT k FROM s GROUP BY k").aggregate_without_window);
        assert!(analyze("SELECT groupArray(x) FROM s").aggregate_without_window);
        assert!(
            !analyze("SELECT * FROM s WHERE _tp_time > earliest_ts()").aggregate_without_window
        );
        assert!(!analyze("SELECT lower(x), to_string(y) FROM s").aggregate_without_window);
        // qualified and quoted names
        assert_eq!(analyze("SELECT * FROM db.`my s`").tables, vec!["db.my s"]);
        assert_eq!(analyze("INSERT INTO s (a) VALUES (1)").tables, vec!["s"]);
        assert_eq!(
            analyze("SELECT a FROM t1 LEFT JOIN t2 USING a JOIN t1 ON 1").tables,
            vec!["t1", "t2"]
        );
    }

    #[test]
    fn aggregate_names() {
        for f in [
            "count",
            "COUNT",
            "sum",
            "avg",
            "min",
            "max",
            "uniq",
            "any",
            "group_array",
            "top_k",
            "latest",
            "earliest",
            "quantile",
            "quantile_exact",
            "p90",
            "count_distinct",
            "sum_if",
            "avg_state",
            "min_merge",
            "countIf",
            "uniqExact",
            "argMax",
        ] {
            assert!(is_aggregate_function(f), "{f}");
        }
        for f in [
            "lower",
            "to_string",
            "earliest_ts",
            "earliest_timestamp",
            "now",
            "json_extract_string",
            "if",
            "array_join",
            "lag",
            "tumble",
        ] {
            assert!(!is_aggregate_function(f), "{f}");
        }
    }

    #[test]
    fn aliases() {
        assert_eq!(
            table_aliases("SELECT a.x, b.y FROM s AS a JOIN table(t) b ON a.id = b.id"),
            vec![
                ("a".to_string(), "s".to_string()),
                ("b".to_string(), "t".to_string())
            ]
        );
        assert_eq!(
            table_aliases("SELECT w.x FROM tumble(db.s, 5s) AS w"),
            vec![("w".to_string(), "db.s".to_string())]
        );
        assert_eq!(table_aliases("SELECT * FROM s WHERE x"), vec![]);
        assert_eq!(table_aliases("SELECT * FROM s"), vec![]);
    }

    #[test]
    fn secrets() {
        assert!(analyze("ALTER USER x IDENTIFIED BY 'p'").has_secret);
        assert!(analyze("create user bob identified with sha256_password by 'x'").has_secret);
        assert!(analyze("CREATE EXTERNAL STREAM k (raw string) SETTINGS type='kafka', username='u', password='p'").has_secret);
        assert!(
            analyze("CREATE EXTERNAL STREAM k (raw string) SETTINGS sasl_password='p'").has_secret
        );
        assert!(!analyze("SELECT 1 -- password").has_secret);
        assert!(!analyze("SELECT 'password'").has_secret);
        assert!(!analyze("SELECT * FROM users").has_secret);
    }
}
