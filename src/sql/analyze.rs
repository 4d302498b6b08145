//! The few facts the shell needs about a statement before running it (kind, DDL, streaming, secrets, tables).

use super::lexer::{tokenize, TokenKind};
use crate::wire::Flavour;

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
    /// On Proton, a SELECT (or WITH) that reads some stream outside `table(...)`, not a system
    /// table or a table function, with no LIMIT and no `SETTINGS query_mode='table'`. A
    /// heuristic: Proton's tables and views look like streams too. Never on ClickHouse, whose
    /// queries all end.
    pub streaming: bool,
    /// Streaming, with GROUP BY or an aggregate function, and no tumble/hop/session window:
    /// Proton re-emits the whole result periodically.
    pub aggregate_without_window: bool,
    /// `EMIT CHANGELOG`: rows come with `_tp_delta`.
    pub changelog: bool,
    /// The first tumble/hop/session window and how often it emits, if any (Proton only).
    pub window: Option<Window>,
    /// Names after FROM/JOIN/INTO (unwrapped from `table(x)`, `tumble(x, …)` and friends),
    /// as written (`db.name` when qualified), in order, without duplicates or CTE names.
    pub tables: Vec<String>,
    /// The output format a top-level `FORMAT name` clause asks for, as written (not for
    /// INSERT, where `FORMAT` names the format of the data that follows).
    pub format: Option<String>,
}

/// A time window of a streaming query, as far as the statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// `tumble`, `hop` or `session`.
    pub kind: &'static str,
    /// How often windows close: a tumble's size, a hop's step; a session's idle gap.
    /// `None` when the interval is not a literal the shell reads (`5s`, `INTERVAL 5 SECOND`).
    pub every: Option<std::time::Duration>,
}

/// Proton's interval shorthand (`500ms`, `5s`, `2m`, `1h`, `1d`, `1w`, also `us`, `ns`).
pub fn parse_interval(text: &str) -> Option<std::time::Duration> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = text.get(..digits)?.parse().ok()?;
    let unit = text[digits..].trim().to_ascii_lowercase();
    let nanos: u64 = match unit.as_str() {
        "ns" | "nanosecond" => 1,
        "us" | "microsecond" => 1_000,
        "ms" | "millisecond" => 1_000_000,
        "s" | "second" => 1_000_000_000,
        "m" | "minute" => 60_000_000_000,
        "h" | "hour" => 3_600_000_000_000,
        "d" | "day" => 86_400_000_000_000,
        "w" | "week" => 604_800_000_000_000,
        _ => return None,
    };
    n.checked_mul(nanos).map(std::time::Duration::from_nanos)
}

/// The top-level arguments of the call whose `(` is `sig[open]`, as token slices.
fn call_arguments<'s, 'a>(sig: &'s [Sig<'a>], open: usize) -> Vec<&'s [Sig<'a>]> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    for (i, s) in sig.iter().enumerate().skip(open) {
        if s.is_op("(") || s.is_op("[") {
            depth += 1;
        } else if s.is_op(")") || s.is_op("]") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                if i > start {
                    args.push(&sig[start..i]);
                }
                break;
            }
        } else if s.is_op(",") && depth == 1 {
            args.push(&sig[start..i]);
            start = i + 1;
        }
    }
    args
}

/// An interval argument: `5s` or `INTERVAL 5 SECOND`.
fn interval_arg(arg: &[Sig]) -> Option<std::time::Duration> {
    match arg {
        [one] if one.kind == TokenKind::Number => parse_interval(one.text),
        [kw, n, unit] if kw.is_kw("interval") && n.kind == TokenKind::Number => {
            parse_interval(&format!("{}{}", n.text, unit.text.trim_end_matches('s')))
        }
        _ => None,
    }
}

/// The first window function call and how often its windows close.
fn window_of(sig: &[Sig]) -> Option<Window> {
    let at = sig.iter().enumerate().position(|(i, s)| {
        s.is_name()
            && WINDOW_FUNCTIONS.contains(&s.text.to_ascii_lowercase().as_str())
            && sig.get(i + 1).is_some_and(|n| n.is_op("("))
    })?;
    let kind = WINDOW_FUNCTIONS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(sig[at].text))?;
    let intervals: Vec<std::time::Duration> = call_arguments(sig, at + 1)
        .into_iter()
        .filter_map(interval_arg)
        .collect();
    // tumble(s, [ts,] size); hop(s, [ts,] step, size); session(s, [ts,] gap, …)
    let every = match kind {
        "hop" if intervals.len() >= 2 => intervals.get(intervals.len() - 2).copied(),
        "tumble" => intervals.last().copied(),
        _ => intervals.first().copied(),
    };
    Some(Window { kind, every })
}

/// Table functions whose first argument is a stream: the query streams unless it is `table(…)`.
const STREAM_WRAPPERS: &[&str] = &["tumble", "hop", "session", "dedup", "changelog"];
/// Functions that make a query windowed.
const WINDOW_FUNCTIONS: &[&str] = &["tumble", "hop", "session"];

/// Aggregate functions (lower case, Proton snake_case and ClickHouse camelCase).
pub(super) const AGGREGATES: &[&str] = &[
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

/// A name without its backticks or double quotes (and their escapes).
pub(super) fn unquote(s: &str) -> String {
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

/// Analyse one statement (without its terminator) as Proton reads it. Never fails; see
/// [`Analysis`]. For what does not depend on the server (kind, tables); running a statement
/// asks [`analyze_for`].
pub fn analyze(stmt: &str) -> Analysis {
    analyze_for(stmt, Flavour::Proton)
}

/// The analysis of `stmt` as a server of `flavour` runs it: only Proton streams. What runs a
/// statement asks this, with the connected server's flavour; the streaming hint, the live
/// view for aggregates and the status strip all follow from its answer.
pub fn analyze_for(stmt: &str, flavour: Flavour) -> Analysis {
    let streams = flavour == Flavour::Proton;
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

    let changelog = sig
        .windows(2)
        .any(|w| w[0].is_kw("emit") && w[1].is_kw("changelog"));
    let window = window_of(&sig).filter(|_| streams);

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
    let mut format = None;
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
        } else if s.is_kw("format") && stack.is_empty() && kind != StatementKind::Insert {
            // `Null` lexes as a keyword.
            format = sig
                .get(i + 1)
                .filter(|n| n.is_name() || n.kind == TokenKind::Keyword)
                .map(|n| unquote(n.text));
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

    let streaming = streams
        && kind == StatementKind::Select
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
        window,
        tables,
        format,
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
