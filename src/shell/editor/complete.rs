//! Context-aware completion: keywords, streams after FROM/JOIN/INTO, columns of the statement's streams, functions, settings after SETTINGS and `:set`, the settings set after `:unset`, `:commands` and snippet names.
//!
//! Completion reads only in-memory snapshots (the [`Catalog`] via `try_read`, the snippet
//! list via `try_read`): a keystroke never waits on the network or on a lock. Matching is a
//! case-insensitive prefix match; keywords come back in the case the user is typing in.

use super::catalog::{Catalog, CatalogData};
use crate::commands::{self, Completion};
use crate::sql::{self, TokenKind};
use reedline::{CompletionResult, Partial, Span, Suggestion};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// Names shared with the shell, which may change them at any time.
pub type NameList = Arc<RwLock<Vec<String>>>;

/// What completion offers that only the shell knows: the snippet names (after `:run`,
/// `:show`, `:edit`) and the session settings set now (after `:unset`).
#[derive(Debug, Clone, Default)]
pub struct ShellNames {
    pub snippets: NameList,
    pub settings: NameList,
}

/// Commands whose first argument is a snippet name.
/// One completion: what replaces the word, and what the list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub display: String,
    pub replacement: String,
}

/// Table functions whose first argument is a stream.
const STREAM_ARG_FUNCTIONS: &[&str] = &["table", "tumble", "hop", "session", "dedup", "changelog"];

/// Settings worth offering even before (or without) the catalog: Proton query settings and
/// Kafka external stream settings, which `system.settings` may not list.
const BUILTIN_SETTINGS: &[&str] = &[
    "brokers",
    "data_format",
    "enable_optimize_predicate_expression",
    "format_schema",
    "kafka_schema_registry_url",
    "max_block_size",
    "max_execution_time",
    "max_threads",
    "message_key",
    "one_message_per_row",
    "password",
    "properties",
    "query_mode",
    "sasl_mechanism",
    "security_protocol",
    "seek_to",
    "shards",
    "sharding_expr",
    "skip_ssl_cert_check",
    "ssl_ca_cert_file",
    "topic",
    "type",
    "username",
];

/// What the word under the cursor is expected to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionContext {
    /// Inside a string, comment, JSON path or number: nothing to offer.
    Nothing,
    /// A stream/view/table name (after FROM, JOIN, INTO, DESCRIBE, `table(` …). After FROM
    /// and JOIN table functions are offered too; inside `table(` no space follows the name.
    Stream { after_from: bool, in_parens: bool },
    /// A name inside database `db` (after `db.`).
    InDatabase(String),
    /// Columns of one table or alias (after `t.`); may also be a database.
    Qualified(String),
    /// A database name (after USE, SHOW … FROM).
    Database,
    /// A setting name (after SETTINGS, SET, or a comma in a SETTINGS list).
    Setting,
    /// Anywhere else: columns of the statement's streams, functions, keywords.
    General,
}

/// The completer behind the shell's Tab key.
#[derive(Clone)]
pub struct SqlCompleter {
    catalog: Catalog,
    names: ShellNames,
}

impl SqlCompleter {
    pub fn new(catalog: Catalog, names: ShellNames) -> Self {
        SqlCompleter { catalog, names }
    }

    /// Candidates for the word before `pos` in `line`: where the replacement starts, and the
    /// candidates (replacement may carry a trailing space; display never does).
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let mut pos = pos.min(line.len());
        while !line.is_char_boundary(pos) {
            pos -= 1;
        }
        if commands::is_command(line) || line.trim_start().starts_with(':') {
            return self.complete_command(line, pos);
        }
        let (start, ctx, prefix) = sql_context(line, pos);
        let snapshot = self.catalog.snapshot();
        let data = snapshot.as_deref();
        let mut c = Candidates::new(&prefix);
        match &ctx {
            CompletionContext::Nothing => {}
            CompletionContext::Stream {
                after_from,
                in_parens,
            } => {
                let space = if *in_parens { "" } else { " " };
                if let Some(d) = data {
                    for (name, _) in &d.streams {
                        c.add_name(name, space);
                    }
                    for db in &d.databases {
                        c.add_name(db, ".");
                    }
                }
                if *after_from {
                    match data {
                        Some(d) if !d.table_functions.is_empty() => {
                            for f in &d.table_functions {
                                c.add(f, "");
                            }
                        }
                        _ => {
                            for f in STREAM_ARG_FUNCTIONS {
                                c.add(f, "");
                            }
                        }
                    }
                }
            }
            CompletionContext::InDatabase(db) => {
                if let Some(d) = data {
                    for (_, name, _) in d.all_streams.iter().filter(|(x, _, _)| x == db) {
                        c.add_name(name, " ");
                    }
                }
            }
            CompletionContext::Qualified(q) => {
                if let Some(d) = data {
                    let stmt = statement_at(line, pos);
                    let table = sql::table_aliases(stmt)
                        .into_iter()
                        .find(|(a, _)| a == q)
                        .map(|(_, t)| t)
                        .unwrap_or_else(|| q.clone());
                    if let Some(cols) = d.columns_of(&table) {
                        for col in cols {
                            c.add_name(col, "");
                        }
                    }
                    if d.databases.iter().any(|db| db == q) {
                        for (_, name, _) in d.all_streams.iter().filter(|(x, _, _)| x == q) {
                            c.add_name(name, "");
                        }
                    }
                }
            }
            CompletionContext::Database => {
                if let Some(d) = data {
                    for db in &d.databases {
                        c.add_name(db, "");
                    }
                }
            }
            CompletionContext::Setting => add_settings(&mut c, data),
            CompletionContext::General => {
                if let Some(d) = data {
                    let stmt = statement_at(line, pos);
                    for table in sql::analyze(stmt).tables {
                        if let Some(cols) = d.columns_of(&table) {
                            for col in cols {
                                c.add_name(col, "");
                            }
                        }
                    }
                }
                let upper = keyword_upper(&prefix);
                for k in sql::KEYWORDS {
                    let k = if upper {
                        (*k).to_string()
                    } else {
                        k.to_ascii_lowercase()
                    };
                    c.add(&k, " ");
                }
                if let Some(d) = data {
                    for f in &d.functions {
                        c.add(f, "");
                    }
                }
            }
        }
        (start, c.into_pairs())
    }

    fn complete_command(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let lead = before.len() - before.trim_start().len();
        let word_start = before
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1)
            .max(lead);
        let prefix = &before[word_start..];
        if word_start == lead {
            let mut c = Candidates::new(prefix);
            for word in commands::completion_words() {
                c.add(&word, " ");
            }
            return (word_start, c.into_pairs());
        }
        let words: Vec<&str> = before[lead..word_start].split_whitespace().collect();
        let Some(info) = words.first().and_then(|w| commands::lookup(w)) else {
            return (pos, Vec::new());
        };
        // Flags go anywhere; everything else is the first argument only.
        if words.len() != 1 && info.completion != Completion::Flags {
            return (pos, Vec::new());
        }
        let mut c = Candidates::new(prefix);
        match info.completion {
            Completion::Snippets | Completion::SetSettings => {
                let list = match info.completion {
                    Completion::Snippets => &self.names.snippets,
                    _ => &self.names.settings,
                };
                if let Ok(list) = list.try_read() {
                    for s in list.iter() {
                        c.add(s, "");
                    }
                }
            }
            Completion::Settings => add_settings(&mut c, self.catalog.snapshot().as_deref()),
            _ => {}
        }
        let suffix = if info.completion == Completion::Flags {
            " "
        } else {
            ""
        };
        for a in info.argument_words() {
            c.add(&a, suffix);
        }
        (word_start, c.into_pairs())
    }
}

/// Setting names: the server's (from the catalog), then those it may not list.
fn add_settings(c: &mut Candidates, data: Option<&CatalogData>) {
    if let Some(d) = data {
        for s in &d.settings {
            c.add(s, "");
        }
    }
    for s in BUILTIN_SETTINGS {
        c.add(s, "");
    }
}

/// Candidate collector: case-insensitive prefix filter, first one wins on duplicates.
struct Candidates<'p> {
    prefix: &'p str,
    seen: HashSet<String>,
    pairs: Vec<Pair>,
}

impl<'p> Candidates<'p> {
    fn new(prefix: &'p str) -> Self {
        Candidates {
            prefix,
            seen: HashSet::new(),
            pairs: Vec::new(),
        }
    }

    fn add(&mut self, word: &str, suffix: &str) {
        if !starts_with_ignore_case(word, self.prefix) || !self.seen.insert(word.to_string()) {
            return;
        }
        self.pairs.push(Pair {
            display: word.to_string(),
            replacement: format!("{word}{suffix}"),
        });
    }

    /// A stream, column or database name: matched as written, inserted quoted if needed.
    fn add_name(&mut self, name: &str, suffix: &str) {
        if !starts_with_ignore_case(name, self.prefix) || !self.seen.insert(name.to_string()) {
            return;
        }
        let quoted = sql::quote_ident(name);
        let mut replacement = String::with_capacity(quoted.len() + suffix.len());
        replacement.push_str(&quoted);
        replacement.push_str(suffix);
        self.pairs.push(Pair {
            replacement,
            display: quoted,
        });
    }

    fn into_pairs(self) -> Vec<Pair> {
        self.pairs
    }
}

fn starts_with_ignore_case(word: &str, prefix: &str) -> bool {
    let (w, p) = (word.as_bytes(), prefix.as_bytes());
    if w.len() < p.len() {
        return false;
    }
    if w[..p.len()].eq_ignore_ascii_case(p) {
        return true;
    }
    // non-ASCII: compare lower-cased chars
    let mut wc = word.chars().flat_map(char::to_lowercase);
    prefix
        .chars()
        .flat_map(char::to_lowercase)
        .all(|pc| wc.next() == Some(pc))
}

/// Keywords in upper case unless the user is typing in lower case (`sel` → `select`,
/// `SEL`/`Sel`/nothing → `SELECT`).
fn keyword_upper(prefix: &str) -> bool {
    !prefix.chars().next().is_some_and(|c| c.is_lowercase())
}

/// The statement around `pos` (between the terminators before and after it).
fn statement_at(line: &str, pos: usize) -> &str {
    let tokens = sql::tokenize(line);
    let mut start = 0;
    let mut end = line.len();
    for t in &tokens {
        let term = match t.kind {
            TokenKind::Operator => t.text(line) == ";",
            TokenKind::Other => t.text(line) == "\\G",
            _ => false,
        };
        if !term {
            continue;
        }
        if t.end <= pos {
            start = t.end;
        } else if t.start >= pos {
            end = t.start;
            break;
        }
    }
    &line[start..end]
}

/// Work out what is being completed at `pos`: (replacement start, context, typed prefix).
pub fn sql_context(line: &str, pos: usize) -> (usize, CompletionContext, String) {
    let before = &line[..pos];
    let (tokens, unterminated) = sql::tokenize_with_state(before);
    if unterminated {
        return (pos, CompletionContext::Nothing, String::new());
    }
    if let Some(last) = tokens.last() {
        if last.end == pos {
            match last.kind {
                TokenKind::Comment
                | TokenKind::JsonPath
                | TokenKind::Param
                | TokenKind::Number
                | TokenKind::String
                | TokenKind::QuotedIdent => {
                    return (pos, CompletionContext::Nothing, String::new());
                }
                _ => {}
            }
        }
    }
    // the word: identifier characters and dots
    let bytes = before.as_bytes();
    let mut ws = pos;
    while ws > 0 {
        let b = bytes[ws - 1];
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b >= 0x80 {
            ws -= 1;
        } else {
            break;
        }
    }
    while !before.is_char_boundary(ws) {
        ws += 1;
    }
    let word = &before[ws..];
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        return (pos, CompletionContext::Nothing, String::new());
    }
    let stmt_start = statement_start(&tokens, before);
    let prev: Vec<(TokenKind, &str)> = tokens
        .iter()
        .filter(|t| t.end <= ws && t.start >= stmt_start)
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .map(|t| (t.kind, t.text(before)))
        .collect();
    let p1 = prev.last().copied();
    let p2 = prev.len().checked_sub(2).map(|i| prev[i]);
    let first = prev.first().map(|(_, t)| t.to_ascii_lowercase());
    let is_kw = |p: Option<(TokenKind, &str)>, kw: &str| {
        p.is_some_and(|(k, t)| {
            matches!(k, TokenKind::Keyword | TokenKind::Ident) && t.eq_ignore_ascii_case(kw)
        })
    };

    if let Some(dot) = word.rfind('.') {
        let qualifier = word[..dot].to_string();
        let start = ws + dot + 1;
        let prefix = word[dot + 1..].to_string();
        if qualifier.is_empty() || qualifier.ends_with('.') {
            return (pos, CompletionContext::Nothing, String::new());
        }
        let after_source = ["from", "join", "into", "describe", "desc"]
            .iter()
            .any(|k| is_kw(p1, k));
        let ctx = if after_source {
            CompletionContext::InDatabase(qualifier)
        } else {
            CompletionContext::Qualified(qualifier)
        };
        return (start, ctx, prefix);
    }

    let prefix = word.to_string();
    let creating = first.as_deref() == Some("create");
    let stream = |after_from: bool, in_parens: bool| CompletionContext::Stream {
        after_from,
        in_parens,
    };
    let ctx = if p1.is_some_and(|(k, t)| k == TokenKind::Operator && t == "(")
        && p2.is_some_and(|(k, t)| {
            k == TokenKind::Ident
                && STREAM_ARG_FUNCTIONS
                    .iter()
                    .any(|f| t.eq_ignore_ascii_case(f))
        }) {
        stream(false, true)
    } else if creating
        && [
            "stream", "view", "exists", "database", "table", "function", "user", "role",
        ]
        .iter()
        .any(|k| is_kw(p1, k))
    {
        // a new name: nothing to complete
        CompletionContext::Nothing
    } else if is_kw(p1, "use")
        || is_kw(p1, "database")
        || (first.as_deref() == Some("show") && (is_kw(p1, "from") || is_kw(p1, "in")))
    {
        CompletionContext::Database
    } else if is_kw(p1, "from") || is_kw(p1, "join") {
        stream(true, false)
    } else if is_kw(p1, "into")
        || is_kw(p1, "truncate")
        || ((is_kw(p1, "describe") || is_kw(p1, "desc") || is_kw(p1, "explain")) && prev.len() == 1)
        || ["stream", "view", "exists", "table"]
            .iter()
            .any(|k| is_kw(p1, k))
    {
        stream(false, false)
    } else if is_kw(p1, "settings")
        || (is_kw(p1, "set") && prev.len() == 1)
        || in_settings_list(&prev)
    {
        CompletionContext::Setting
    } else {
        CompletionContext::General
    };
    (ws, ctx, prefix)
}

/// Start of the statement that `before` ends in.
fn statement_start(tokens: &[sql::Token], before: &str) -> usize {
    tokens
        .iter()
        .rev()
        .find(|t| {
            (t.kind == TokenKind::Operator && t.text(before) == ";")
                || (t.kind == TokenKind::Other && t.text(before) == "\\G")
        })
        .map_or(0, |t| t.end)
}

/// `SETTINGS a = 1, |`: a comma whose nearest keyword back is SETTINGS (or a leading SET).
fn in_settings_list(prev: &[(TokenKind, &str)]) -> bool {
    let Some((TokenKind::Operator, ",")) = prev.last().copied() else {
        return false;
    };
    for (i, (k, t)) in prev.iter().enumerate().rev() {
        if *k == TokenKind::Keyword {
            return t.eq_ignore_ascii_case("settings") || (i == 0 && t.eq_ignore_ascii_case("set"));
        }
        if *k == TokenKind::Operator && (*t == "(" || *t == ")") {
            return false;
        }
    }
    false
}

/// Most suggestions handed to the menu. The menu shows a screenful and pages through the rest;
/// beyond this it only costs time on every Tab (the editor measures and frees each one).
const MENU_LIMIT: usize = 1000;

impl reedline::Completer for SqlCompleter {
    fn complete(&mut self, line: &str, pos: usize) -> CompletionResult {
        let (start, mut pairs) = SqlCompleter::complete(self, line, pos);
        let end = pos.min(line.len()).max(start);
        let span = Span::new(start, end);
        // The editor extends the word by what its suggestions share; with the list cut, that
        // is computed here, over all of them.
        let partial = (pairs.len() > MENU_LIMIT).then(|| Partial {
            span,
            insert: shared_extension(line.get(start..end).unwrap_or(""), &pairs),
        });
        pairs.truncate(MENU_LIMIT);
        let suggestions: Vec<Suggestion> = pairs
            .into_iter()
            .map(
                |Pair {
                     display,
                     replacement,
                 }| Suggestion {
                    display_override: (display != replacement).then_some(display),
                    value: replacement,
                    span,
                    append_whitespace: false,
                    ..Suggestion::default()
                },
            )
            .collect();
        CompletionResult::fresh(suggestions).with_partial(partial)
    }
}

/// What Tab puts in place of `entered`: the longest prefix all replacements share when it
/// extends what was typed (the editor's own rule), else `entered` as it is.
fn shared_extension(entered: &str, pairs: &[Pair]) -> String {
    let mut shared = pairs.first().map_or("", |p| p.replacement.as_str());
    for p in pairs {
        let len = shared
            .char_indices()
            .zip(p.replacement.chars())
            .find_map(|((i, a), b)| (a != b).then_some(i))
            .unwrap_or(shared.len().min(p.replacement.len()));
        shared = &shared[..len];
    }
    let extends = !shared.is_empty()
        && shared != entered
        && shared.to_lowercase().contains(&entered.to_lowercase());
    if extends { shared } else { entered }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::editor::catalog::CatalogData;

    fn catalog() -> Catalog {
        let mut d = CatalogData {
            databases: vec!["default".into(), "system".into(), "edfi".into()],
            current_database: "default".into(),
            streams: vec![
                ("document".into(), "ExternalStream".into()),
                ("schools".into(), "Stream".into()),
                ("school_counts".into(), "MaterializedView".into()),
                ("my stream".into(), "Stream".into()),
            ],
            functions: vec![
                "count".into(),
                "count_if".into(),
                "json_extract_string".into(),
                "lower".into(),
                "to_string".into(),
            ],
            table_functions: vec!["table".into(), "tumble".into(), "numbers".into()],
            settings: vec!["max_threads".into(), "seek_to".into(), "query_mode".into()],
            loaded: true,
            ..Default::default()
        };
        d.all_streams = vec![
            ("default".into(), "document".into(), "ExternalStream".into()),
            ("edfi".into(), "students".into(), "Stream".into()),
            ("system".into(), "tables".into(), "SystemTables".into()),
        ];
        let cols = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        d.columns
            .insert("document".into(), cols(&["raw", "_tp_time", "_tp_sn"]));
        d.columns.insert(
            "default.document".into(),
            cols(&["raw", "_tp_time", "_tp_sn"]),
        );
        d.columns.insert(
            "schools".into(),
            cols(&["school_id", "name", "Region Name"]),
        );
        d.columns
            .insert("edfi.students".into(), cols(&["student_id", "school_id"]));
        Catalog::from_data(d)
    }

    fn completer() -> SqlCompleter {
        let list = |l: &[&str]| Arc::new(RwLock::new(l.iter().map(|s| s.to_string()).collect()));
        let names = ShellNames {
            snippets: list(&["daily_counts", "dedup_check"]),
            settings: list(&["max_threads", "max_block_size"]),
        };
        SqlCompleter::new(catalog(), names)
    }

    /// Candidates (replacements) for the line with the cursor at `|` (or at the end).
    fn complete(line: &str) -> (usize, Vec<String>) {
        let pos = line.find('|').unwrap_or(line.len());
        let line = line.replacen('|', "", 1);
        let (start, pairs) = completer().complete(&line, pos);
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    fn words(line: &str) -> Vec<String> {
        complete(line).1
    }

    #[test]
    fn a_long_menu_is_cut_but_tab_still_extends_by_what_all_share() {
        let big = |extra: &[&str]| {
            let mut streams: Vec<(String, String)> = (0..5000)
                .map(|i| (format!("zq{i:05}"), "Stream".to_string()))
                .collect();
            streams.extend(extra.iter().map(|s| (s.to_string(), "Stream".to_string())));
            let d = CatalogData {
                databases: vec!["default".into()],
                current_database: "default".into(),
                streams,
                loaded: true,
                ..Default::default()
            };
            SqlCompleter::new(Catalog::from_data(d), ShellNames::default())
        };
        let line = "SELECT * FROM zq";
        let partial_of = |r: &CompletionResult| match r {
            CompletionResult::Fresh { partial, .. } => partial.clone().map(|p| p.insert),
            _ => None,
        };
        // The first 1000 share `zq00`; all 5000 share only `zq0`.
        let r = reedline::Completer::complete(&mut big(&[]), line, line.len());
        assert_eq!(r.suggestions().len(), MENU_LIMIT);
        assert_eq!(partial_of(&r).as_deref(), Some("zq0"));
        // With `zqx` too, nothing beyond `zq` is shared: Tab must not extend the word.
        let r = reedline::Completer::complete(&mut big(&["zqx"]), line, line.len());
        assert_eq!(partial_of(&r).as_deref(), Some("zq"));
        // A short list is left to the editor, as before.
        let r = reedline::Completer::complete(&mut completer(), "SELECT * FROM sch", 17);
        assert_eq!(partial_of(&r), None);
        assert_eq!(r.suggestions().len(), 2);
    }

    #[test]
    fn keywords_in_the_case_typed() {
        assert!(words("SEL").contains(&"SELECT ".to_string()));
        assert!(words("sel").contains(&"select ".to_string()));
        assert!(words("Sel").contains(&"SELECT ".to_string()));
        let w = words("SELECT * FROM schools WHE");
        assert_eq!(w, vec!["WHEN ", "WHERE "]);
        let w = words("select * from schools wher");
        assert_eq!(w, vec!["where "]);
        assert_eq!(complete("SELECT * FROM schools WH").0, 22);
    }

    #[test]
    fn streams_after_from_join_into() {
        let w = words("SELECT * FROM sch");
        assert_eq!(w, vec!["schools ", "school_counts "]);
        let w = words("select * from DOC");
        assert_eq!(w, vec!["document "]);
        let w = words("SELECT * FROM t");
        assert!(w.contains(&"table".to_string()) && w.contains(&"tumble".to_string()));
        let w = words("SELECT * FROM ");
        assert!(w.contains(&"document ".to_string()));
        assert!(w.contains(&"system.".to_string()));
        assert!(w.contains(&"`my stream` ".to_string()));
        assert!(w.contains(&"numbers".to_string()));
        assert!(
            !w.iter().any(|x| x.starts_with("SELECT")),
            "no keywords after FROM"
        );
        assert_eq!(
            words("SELECT * FROM a JOIN sc"),
            vec!["schools ", "school_counts "]
        );
        assert_eq!(words("INSERT INTO doc"), vec!["document "]);
        assert_eq!(words("DESCRIBE sch"), vec!["schools ", "school_counts "]);
        assert_eq!(
            words("DROP STREAM IF EXISTS sch"),
            vec!["schools ", "school_counts "]
        );
        assert_eq!(words("SHOW CREATE STREAM doc"), vec!["document "]);
        // inside table(…) and windows: no trailing space
        assert_eq!(
            words("SELECT * FROM table(sch"),
            vec!["schools", "school_counts"]
        );
        assert_eq!(words("SELECT * FROM tumble(doc"), vec!["document"]);
        // a new name is not completed
        assert_eq!(words("CREATE STREAM sch"), Vec::<String>::new());
    }

    #[test]
    fn database_qualified_names() {
        let (start, w) = complete("SELECT * FROM edfi.st");
        assert_eq!(start, 19);
        assert_eq!(w, vec!["students "]);
        assert_eq!(words("SELECT * FROM system."), vec!["tables "]);
        assert_eq!(words("SELECT * FROM table(system.ta"), vec!["tables"]);
        assert_eq!(words("USE ed"), vec!["edfi"]);
        assert_eq!(words("SHOW STREAMS FROM sy"), vec!["system"]);
    }

    #[test]
    fn columns_of_the_statement() {
        let w = words("SELECT sch| FROM schools");
        assert_eq!(w, vec!["school_id"]);
        let w = words("SELECT r| FROM document WHERE 1");
        assert!(w.contains(&"raw".to_string()));
        assert!(w.contains(&"random ".to_string()) && w.contains(&"range ".to_string()));
        let w = words("SELECT count() FROM table(document) WHERE _tp");
        assert_eq!(w, vec!["_tp_time", "_tp_sn"]);
        let w = words("SELECT * FROM tumble(document, 5s) WHERE _tp_s");
        assert_eq!(w, vec!["_tp_sn"]);
        // quoted when needed
        assert_eq!(words("SELECT Reg| FROM schools"), vec!["`Region Name`"]);
        // the statement under the cursor, not the one before
        let w = words("SELECT * FROM schools; SELECT sch| FROM document");
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn qualified_columns_and_aliases() {
        assert_eq!(words("SELECT d.r| FROM document AS d"), vec!["raw"]);
        assert_eq!(words("SELECT s.na| FROM table(schools) s"), vec!["name"]);
        assert_eq!(
            words("SELECT schools.school| FROM schools"),
            vec!["school_id"]
        );
        assert_eq!(
            words("SELECT x.stu| FROM edfi.students AS x"),
            vec!["student_id"]
        );
        let (start, _) = complete("SELECT d.r| FROM document AS d");
        assert_eq!(start, 9);
    }

    #[test]
    fn functions_elsewhere() {
        let w = words("SELECT cou");
        assert_eq!(w, vec!["count", "count_if"]);
        let w = words("SELECT json_");
        assert_eq!(w, vec!["json_extract_string"]);
        let w = words("SELECT to_s");
        assert_eq!(w, vec!["to_string"]);
    }

    #[test]
    fn settings_after_settings() {
        let w = words("SELECT * FROM document SETTINGS se");
        assert_eq!(w, vec!["seek_to", "security_protocol"]);
        let w = words("SELECT * FROM document SETTINGS seek_to='earliest', query");
        assert_eq!(w, vec!["query_mode"]);
        let w = words("SET max_t");
        assert_eq!(w, vec!["max_threads"]);
        let w = words("CREATE EXTERNAL STREAM k (raw string) SETTINGS type='kafka', bro");
        assert_eq!(w, vec!["brokers"]);
        // a comma in the select list is not a settings list
        let w = words("SELECT a, max_t");
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn set_command_completes_setting_names_like_settings() {
        assert_eq!(words(":set max_t"), words("SELECT 1 SETTINGS max_t"));
        assert_eq!(words(":set max_bl"), vec!["max_block_size"]);
        assert_eq!(words(":set se"), vec!["seek_to", "security_protocol"]);
        assert_eq!(complete(":set max_bl").0, 5);
        // and the demo's own settings
        assert_eq!(words(":set demo.t"), vec!["demo.topic"]);
        // only the name: nothing after it
        assert!(words(":set max_threads=4 x").is_empty());
    }

    #[test]
    fn nothing_inside_strings_comments_and_paths() {
        assert!(words("SELECT * FROM document WHERE raw:school").is_empty());
        assert!(words("SELECT 'sel").is_empty());
        assert!(words("SELECT 1 -- sel").is_empty());
        assert!(words("SELECT 1 /* sel").is_empty());
        assert!(words("SELECT `sel").is_empty());
        assert!(words("SELECT 5s").is_empty());
        assert!(!words("SELECT 1 /* x */ SEL").is_empty());
    }

    #[test]
    fn commands_and_snippets() {
        let all = words(":");
        assert_eq!(all.len(), crate::commands::completion_words().len());
        assert!(all.contains(&":validate ".to_string()));
        assert_eq!(words(":ref"), vec![":refresh "]);
        assert_eq!(words("  :fo"), vec![":format "]);
        assert_eq!(complete("  :fo").0, 2);
        assert_eq!(words(":run "), vec!["daily_counts", "dedup_check"]);
        assert_eq!(words(":run da"), vec!["daily_counts"]);
        assert_eq!(words(":show d"), vec!["daily_counts", "dedup_check"]);
        assert_eq!(words(":edit ded"), vec!["dedup_check"]);
        assert_eq!(complete(":run da").0, 5);
        assert_eq!(words(":format v"), vec!["vertical"]);
        assert!(words(":help xyz").is_empty());
        assert!(words(":help win").contains(&"windows".to_string()));
        // only the first argument, except flags
        assert!(words(":run daily_counts d").is_empty());
        assert_eq!(words(":validate --res"), vec!["--resume ", "--reset "]);
        assert_eq!(words(":validate --resume --ve"), vec!["--verbose "]);
    }

    #[test]
    fn unset_offers_the_settings_set_now() {
        assert_eq!(words(":unset "), vec!["max_threads", "max_block_size"]);
        assert_eq!(words(":unset max_b"), vec!["max_block_size"]);
        assert!(words(":unset max_threads m").is_empty());
        let none = SqlCompleter::new(catalog(), ShellNames::default());
        assert!(none.complete(":unset ", 7).1.is_empty());
    }

    #[test]
    fn never_waits_on_a_busy_catalog() {
        let cat = catalog();
        let c2 = SqlCompleter::new(cat.clone(), ShellNames::default());
        let guard = cat_write(&cat);
        let (_, pairs) = c2.complete("SELECT * FROM sch", 17);
        assert!(pairs.is_empty(), "no catalog while it is being written");
        let (_, pairs) = c2.complete("SEL", 3);
        assert_eq!(pairs[0].replacement, "SELECT ", "keywords still work");
        drop(guard);
        let (_, pairs) = c2.complete("SELECT * FROM sch", 17);
        assert_eq!(pairs.len(), 2);
    }

    fn cat_write(cat: &Catalog) -> std::sync::RwLockWriteGuard<'_, CatalogData> {
        cat.write_lock_for_tests()
    }

    #[test]
    fn prefix_match_ignores_case() {
        assert!(starts_with_ignore_case("Schools", "sch"));
        assert!(starts_with_ignore_case("ÄBC", "äb"));
        assert!(!starts_with_ignore_case("ab", "abc"));
        assert!(starts_with_ignore_case("x", ""));
    }
}
