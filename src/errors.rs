//! One place that maps every failure to an exit code, a message and a hint for what to do next.

use crate::style::{self, paint};
use crate::wire::{self, Flavour, ServerException};
use std::fmt;
use std::process::ExitCode;

/// Exit codes of the binary. Interactive sessions exit 0 unless they never got going.
pub mod code {
    /// A statement failed on the server (or its result could not be decoded).
    pub const QUERY: u8 = 1;
    /// Bad flags, bad config file, unknown format, unreadable `-f` file.
    pub const USAGE: u8 = 2;
    /// Could not connect, or the connection broke.
    pub const CONNECTION: u8 = 3;
    /// Interrupted by SIGINT (128 + 2).
    pub const INTERRUPTED: u8 = 130;
}

/// Everything that ends a run of the binary early.
#[derive(Debug)]
pub enum AppError {
    /// The command line or the config file is wrong.
    Usage(String),
    /// A protocol-level failure: connecting, a lost link, or a server exception.
    Wire(wire::Error),
    /// Local I/O (reading `-f`, stdin, the terminal).
    Io {
        context: String,
        source: std::io::Error,
    },
    /// SIGINT in batch mode: the query was cancelled on the server.
    Interrupted,
    /// Already shown to the user (e.g. a server error with its caret); only the exit code is left.
    Reported(u8),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Usage(m) => f.write_str(m),
            AppError::Wire(e) => write!(f, "{e}"),
            AppError::Io { context, source } => write!(f, "{context}: {source}"),
            AppError::Interrupted => f.write_str("interrupted"),
            AppError::Reported(code) => write!(f, "failed (exit code {code})"),
        }
    }
}

impl From<wire::Error> for AppError {
    fn from(e: wire::Error) -> Self {
        AppError::Wire(e)
    }
}

impl AppError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        AppError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Usage(_) => code::USAGE,
            AppError::Wire(e) => wire_exit_code(e),
            AppError::Io { .. } => code::USAGE,
            AppError::Interrupted => code::INTERRUPTED,
            AppError::Reported(code) => *code,
        }
    }
}

/// Server codes that mean "who you are was refused": UNKNOWN_USER, WRONG_PASSWORD,
/// REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED, AUTHENTICATION_FAILED. Connection failures,
/// not query errors.
const AUTH_FAILURES: [i32; 5] = [192, 193, 194, 195, 516];

/// The exit code for a wire error: server-side failures are query errors, link failures connection errors.
pub fn wire_exit_code(e: &wire::Error) -> u8 {
    match e {
        wire::Error::Server(ex) if AUTH_FAILURES.contains(&ex.code) => code::CONNECTION,
        wire::Error::Server(_) | wire::Error::UnknownType(_) | wire::Error::Unsupported(_) => {
            code::QUERY
        }
        wire::Error::Connect { .. }
        | wire::Error::ConnectionLost { .. }
        | wire::Error::Protocol(_)
        | wire::Error::Checksum
        | wire::Error::Busy
        | wire::Error::NotConnected => code::CONNECTION,
    }
}

/// Print `proton-shell: error: …` and any hints to stderr, and return the exit code.
pub fn report(err: &AppError, color: bool) -> ExitCode {
    if !matches!(err, AppError::Interrupted | AppError::Reported(_)) {
        let msg = match err {
            AppError::Wire(wire::Error::Server(ex)) => format_exception(ex, None, color),
            // Non-server errors can carry server text too (a type name, a protocol message).
            other => paint(
                color,
                style::error(),
                &style::printable(&format!("error: {other}")),
            ),
        };
        eprintln!("{msg}");
        for h in hints(err) {
            eprintln!("{}", paint(color, style::note(), &format!("hint: {h}")));
        }
    }
    ExitCode::from(err.exit_code())
}

/// What to try next, for errors where the message alone does not say. The run ended before
/// the shell knew the server (connecting failed), so hints speak Proton, the shell's own.
pub fn hints(err: &AppError) -> Vec<String> {
    match err {
        // Batch mode stops at a lost connection: the shell's "reconnects" hint is not for it.
        AppError::Wire(wire::Error::ConnectionLost { .. }) => {
            vec!["the statements after this one were not run".into()]
        }
        AppError::Wire(e) => wire_hints(e, Flavour::default()),
        AppError::Usage(_) => vec!["see `proton-shell --help`".into()],
        _ => Vec::new(),
    }
}

/// Hints for a wire error (also used by the shell after a failed statement), for a server of
/// `flavour`.
pub fn wire_hints(e: &wire::Error, flavour: Flavour) -> Vec<String> {
    match e {
        wire::Error::Connect { reason, .. } => {
            let mut v = Vec::new();
            if reason.contains("refused") {
                v.push(
                    "start a local Proton with `docker compose up -d`, or point --host/--port (PROTON_HOST/PROTON_PORT) at one"
                        .into(),
                );
            }
            if reason.contains("HTTP") {
                v.push("Proton's native TCP port is 8463; 8123 and 3218 are its HTTP ports".into());
            }
            v
        }
        wire::Error::Server(ex) => exception_hints(ex, flavour),
        wire::Error::ConnectionLost { .. } => {
            vec!["the shell reconnects on the next statement".into()]
        }
        _ => Vec::new(),
    }
}

/// Teaching hints for common server errors, keyed by the error code, in the words of a
/// server of `flavour` (Proton has streams and snake_case functions, ClickHouse tables and
/// camelCase ones).
pub fn exception_hints(ex: &ServerException, flavour: Flavour) -> Vec<String> {
    let proton = flavour == Flavour::Proton;
    let function = unknown_function_name(ex.short_message()).unwrap_or("");
    let h: &[&str] = match ex.code {
        // UNKNOWN_TABLE / UNKNOWN_STREAM
        60 if proton => &["`SHOW STREAMS` lists the streams of the current database"],
        60 => &["`SHOW TABLES` lists the tables of the current database"],
        // UNKNOWN_FUNCTION: a name spelled for the other flavour.
        46 if proton && function.chars().any(|c| c.is_ascii_uppercase()) => &[
            "Proton's function names are snake_case: to_string, to_datetime, json_extract_string",
        ],
        46 if !proton && function.contains('_') && !function.chars().any(|c| c.is_ascii_uppercase()) => &[
            "ClickHouse's function names are camelCase: toString, toDateTime, JSONExtractString",
        ],
        // UNKNOWN_IDENTIFIER
        47 if proton => &["`DESCRIBE <stream>` shows a stream's columns"],
        47 => &["`DESCRIBE <table>` shows a table's columns"],
        // AUTHENTICATION_FAILED, UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD
        516 | 192 | 193 | 194 => &[
            "check --user and --password (or PROTON_USER / PROTON_PASSWORD); `--password` alone prompts for it",
        ],
        // TIMEOUT_EXCEEDED
        159 => &["`:set max_execution_time=0` lifts the session's time limit"],
        // RESOURCE_NOT_FOUND (Kafka topic missing)
        2003 if proton => &["a Kafka external stream needs its topic to exist before CREATE"],
        // NO_AVAILABLE_KAFKA_CONSUMER
        2601 if proton => &["each running query on an external stream holds a Kafka consumer; stop some queries"],
        _ => &[],
    };
    h.iter().map(|s| s.to_string()).collect()
}

/// `toString` from "Unknown function toString".
fn unknown_function_name(msg: &str) -> Option<&str> {
    let rest = &msg[msg.find("function ")? + "function ".len()..];
    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
}

/// A server exception for people: code and message in red, then the statement with a caret
/// under the position the server reported (when it reported one and the statement is known).
/// The message's control characters are escaped ([`style::printable`]): a server must not be
/// able to drive the terminal.
pub fn format_exception(ex: &ServerException, sql: Option<&str>, color: bool) -> String {
    let head = format!(
        "Code: {}. {}",
        ex.code,
        style::printable(&shorten_expected(first_line(ex.short_message())))
    );
    let mut out = paint(color, style::error(), &head);
    let rest: Vec<&str> = ex.short_message().lines().skip(1).collect();
    for l in rest.iter().filter(|l| !l.trim().is_empty()).take(4) {
        out.push('\n');
        out.push_str(&paint(color, style::bad(), &style::printable(l)));
    }
    if let (Some(sql), Some(pos)) = (sql, ex.position()) {
        if let Some(caret) = caret_lines(sql, pos) {
            out.push('\n');
            out.push_str(&caret.0);
            out.push('\n');
            out.push_str(&paint(color, style::error(), &caret.1));
        }
    }
    out
}

/// The parser's "Expected one of: …" list can run to fifty entries; keep the first few.
fn shorten_expected(msg: &str) -> String {
    const KEEP: usize = 8;
    let Some(i) = msg.find("Expected one of: ") else {
        return msg.to_string();
    };
    let (head, list) = msg.split_at(i + "Expected one of: ".len());
    let items: Vec<&str> = list.split(", ").collect();
    if items.len() <= KEEP {
        return msg.to_string();
    }
    format!(
        "{head}{}, … ({} more)",
        items[..KEEP].join(", "),
        items.len() - KEEP
    )
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The line of `sql` holding byte `pos` (1-based, as servers count) and a `^` line under it.
/// Returns `None` if the position is outside the statement.
pub fn caret_lines(sql: &str, pos: usize) -> Option<(String, String)> {
    let idx = pos.checked_sub(1)?;
    if idx > sql.len() {
        return None;
    }
    let mut idx = idx.min(sql.len());
    while !sql.is_char_boundary(idx) {
        idx -= 1;
    }
    let line_start = sql[..idx].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = sql[idx..].find('\n').map(|i| idx + i).unwrap_or(sql.len());
    let line = &sql[line_start..line_end];
    // Tabs would misplace the caret: show them as single spaces on both lines.
    let shown: String = line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let col = sql[line_start..idx].chars().count();
    let prefix = "  ";
    Some((
        format!("{prefix}{}", shown.trim_end()),
        format!("{prefix}{}^", " ".repeat(col)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(code: i32, message: &str) -> ServerException {
        ServerException {
            code,
            name: "DB::Exception".into(),
            message: message.into(),
            stack_trace: String::new(),
            nested: Vec::new(),
        }
    }

    #[test]
    fn batch_is_not_promised_a_reconnect_the_shell_makes() {
        let lost = wire::Error::ConnectionLost {
            addr: "127.0.0.1:1".into(),
            reason: "the server closed the connection".into(),
        };
        assert!(wire_hints(&lost, Flavour::Proton)
            .iter()
            .any(|h| h.contains("reconnects")));
        let batch = hints(&AppError::Wire(lost));
        assert!(!batch.iter().any(|h| h.contains("reconnect")), "{batch:?}");
        assert!(batch.iter().any(|h| h.contains("not run")), "{batch:?}");
    }

    #[test]
    fn caret_points_at_the_reported_position() {
        let (l, c) = caret_lines("SELECT FORM t", 8).unwrap();
        assert_eq!(l, "  SELECT FORM t");
        assert_eq!(c, "         ^");
    }

    #[test]
    fn caret_on_later_line_of_a_multi_line_statement() {
        let sql = "SELECT a\nFROM t\nWHER x";
        let pos = sql.find("WHER").unwrap() + 1;
        let (l, c) = caret_lines(sql, pos).unwrap();
        assert_eq!(l, "  WHER x");
        assert_eq!(c, "  ^");
    }

    #[test]
    fn caret_counts_characters_not_bytes() {
        let sql = "SELECT 'héllo' FORM";
        let pos = sql.find("FORM").unwrap() + 1;
        let (_, c) = caret_lines(sql, pos).unwrap();
        assert_eq!(c.len() - 2, "SELECT 'héllo' ".chars().count() + 1);
    }

    #[test]
    fn caret_outside_the_statement_is_none() {
        assert!(caret_lines("SELECT 1", 50).is_none());
        assert!(caret_lines("SELECT 1", 0).is_none());
    }

    #[test]
    fn exception_shows_code_message_and_caret_without_color() {
        let e = ex(
            62,
            "DB::Exception: Syntax error: failed at position 8: FORM t. Expected one of: FROM",
        );
        let s = format_exception(&e, Some("SELECT FORM t"), false);
        assert_eq!(
            s,
            "Code: 62. Syntax error: failed at position 8: FORM t. Expected one of: FROM\n  SELECT FORM t\n         ^"
        );
    }

    #[test]
    fn a_hostile_message_cannot_drive_the_terminal() {
        let e = ex(
            1001,
            "DB::Exception: boom\x1b]52;c;aGk=\x07\r\nsecond \u{9b}2J line\n\tthird\x1b[2J",
        );
        for color in [false, true] {
            let s = format_exception(&e, None, color);
            for bad in ["\x1b]", "\x07", "\r", "\u{9b}", "\x1b[2J", "\t"] {
                assert!(!s.contains(bad), "{bad:?} in {s:?}");
            }
            assert!(s.contains("boom\\x1b]52;c;aGk=\\x07"), "{s:?}");
            assert_eq!(s.lines().count(), 3, "{s:?}");
        }
    }

    #[test]
    fn long_expected_lists_are_cut() {
        let list: Vec<String> = (0..20).map(|i| format!("T{i}")).collect();
        let msg = format!(
            "Syntax error: failed at position 1: x. Expected one of: {}",
            list.join(", ")
        );
        let short = shorten_expected(&msg);
        assert!(short.ends_with("T7, … (12 more)"), "{short}");
        assert_eq!(
            shorten_expected("Expected one of: A, B"),
            "Expected one of: A, B"
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(AppError::Usage("x".into()).exit_code(), 2);
        assert_eq!(
            AppError::Wire(wire::Error::Server(ex(60, "x"))).exit_code(),
            1
        );
        let c = wire::Error::Connect {
            addr: "a".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(AppError::Wire(c).exit_code(), 3);
        assert_eq!(AppError::Interrupted.exit_code(), 130);
    }

    #[test]
    fn snake_case_hint_for_camel_case_function() {
        let h = exception_hints(&ex(46, "Unknown function toString"), Flavour::Proton);
        assert!(h[0].contains("snake_case"));
        assert!(exception_hints(&ex(46, "Unknown function foo"), Flavour::Proton).is_empty());
    }

    #[test]
    fn clickhouse_gets_its_own_names_in_hints() {
        let ch = |code, msg| exception_hints(&ex(code, msg), Flavour::ClickHouse).join("\n");
        // camelCase is right on ClickHouse: no snake_case advice.
        assert_eq!(ch(46, "Unknown function toStrin"), "");
        let h = ch(46, "Unknown function to_string");
        assert!(h.contains("camelCase: toString"), "{h}");
        let h = ch(60, "Table default.t doesn't exist.");
        assert!(h.contains("SHOW TABLES") && !h.contains("stream"), "{h}");
        let h = ch(47, "Unknown identifier: x");
        assert!(
            h.contains("DESCRIBE <table>") && !h.contains("stream"),
            "{h}"
        );
        // Proton's own hints stay Proton's.
        let proton = |code, msg| exception_hints(&ex(code, msg), Flavour::Proton).join("\n");
        assert!(proton(60, "Stream default.t doesn't exist").contains("SHOW STREAMS"));
        assert!(proton(47, "Unknown identifier: x").contains("DESCRIBE <stream>"));
        assert_eq!(proton(46, "Unknown function to_strin"), "");
    }
}
