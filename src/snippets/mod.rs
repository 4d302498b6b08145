//! Named SQL snippets with typed `{name:Type}` parameters: the shipped set and the user's own.
//!
//! # File format
//!
//! A snippet is a `.sql` file; its name is the file name without `.sql`
//! (letters, digits, `-` and `_`). It starts with a header of `--` comment
//! lines, ended by the first line that is not a comment (a blank line too):
//!
//! ```sql
//! -- title: Running count of School documents
//! -- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document
//! -- Any other comment lines of the header describe the snippet.
//! CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
//! SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String};
//! SELECT count() FROM document WHERE raw:resourcename='School';
//! ```
//!
//! * `title:` is a one-line title (default: the snippet's name).
//! * `params:` (or `param:`, on one or more lines) declares parameters as
//!   `name:Type[=default]`, separated by commas. A default runs to the next
//!   `, name:Type` or the end of the line; write it in double quotes
//!   (`"a,b"`, with `\"` and `\\` escapes) to keep such text or outer spaces.
//! * The body is everything after the header. It is returned as one string:
//!   splitting it into statements is the caller's job.
//!
//! # Parameters
//!
//! The body uses parameters with ClickHouse's query-parameter syntax
//! `{name:Type}`, but they are substituted here, client-side, by SQL text:
//!
//! * **The placeholder becomes a complete literal.** A `String` value is
//!   inserted as a quoted SQL string (`'...'`, with `\` and `'` escaped), so
//!   bodies write `brokers={brokers:String}`, **never**
//!   `brokers='{brokers:String}'`. A placeholder inside a quoted string is a
//!   parse error that says so.
//! * Placeholders in comments, strings and quoted identifiers are not
//!   substituted.
//! * A parameter used in the body but not declared in the header is a
//!   parameter without default. A declared type must match the body's.
//!
//! Types (names are case-insensitive, `String` = `string`):
//!
//! | type | accepted value | inserted as |
//! |---|---|---|
//! | `String`, `FixedString(N)` | any text | `'text'` |
//! | `Date`, `Date32` | `YYYY-MM-DD`, a real date in the type's range | `CAST('…' AS Date)` |
//! | `DateTime`, `DateTime(tz)`, `DateTime64(N[, tz])` | `YYYY-MM-DD hh:mm:ss[.fff]` (or `T` between; a date alone is midnight) | `CAST('…' AS DateTime)`; DateTime drops a fraction |
//! | `UUID` | `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex) | `CAST('…' AS UUID)` |
//! | `Int8` … `Int256`, `UInt8` … `UInt256` | an integer in range | the number |
//! | `Float32`, `Float64` | a finite decimal number | the number |
//! | `Bool` | `true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off` | `true` / `false` |
//! | `Identifier` | a stream, view or column name | the name, backquoted if needed |
//! | `Interval` | Proton's shorthand: `500ms`, `5s`, `1m`, `2h`, `1d`, `1w` (also `ns`, `us`) | as written |
//!
//! A cast names the type as the snippet spells it, so the value has that type on the server
//! (a `{t:DateTime}` is a DateTime there, not a String). `CAST(… AS type)` is the form
//! both servers read; date and time type names are case-insensitive on both, but `uuid` is
//! Proton's spelling and `UUID` ClickHouse's: write the one of the server the snippet is for.
//!
//! # Versions
//!
//! Where Proton 3.x spells a query differently (EMIT, session windows), a snippet has a
//! variant `NAME.vN.sql` for servers of major version N or newer; its header says so with
//! `-- proton: >=N`, the base file with `-- proton: <N`. The store picks the variant with the
//! largest N not above the connected server's major version, else the base file; the
//! snippet is still called NAME. A user's own NAME.sql replaces all shipped files of NAME.
//!
//! # Store
//!
//! [`SnippetStore`] finds snippets in, by precedence: the user directory
//! (given by the caller, in the config dir), the shipped directory found at
//! run time (next to the executable or in the source tree), and the copies
//! embedded in the binary ([`SHIPPED`]). A user snippet shadows a shipped one
//! of the same name.

use crate::sql::{self, TokenKind};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The shipped snippets, embedded in the binary: (name, file text).
pub static SHIPPED: &[(&str, &str)] = &[
    (
        "docs-per-resource",
        include_str!("../../snippets/docs-per-resource.sql"),
    ),
    ("emit", include_str!("../../snippets/emit.sql")),
    ("hop-window", include_str!("../../snippets/hop-window.sql")),
    (
        "json-shortcut",
        include_str!("../../snippets/json-shortcut.sql"),
    ),
    (
        "materialized-view",
        include_str!("../../snippets/materialized-view.sql"),
    ),
    ("new-docs", include_str!("../../snippets/new-docs.sql")),
    (
        "school-count",
        include_str!("../../snippets/school-count.sql"),
    ),
    ("seek-to", include_str!("../../snippets/seek-to.sql")),
    (
        "session-window",
        include_str!("../../snippets/session-window.sql"),
    ),
    (
        "stream-table-join",
        include_str!("../../snippets/stream-table-join.sql"),
    ),
    (
        "table-vs-stream",
        include_str!("../../snippets/table-vs-stream.sql"),
    ),
    (
        "time-travel",
        include_str!("../../snippets/time-travel.sql"),
    ),
    (
        "tumble-window",
        include_str!("../../snippets/tumble-window.sql"),
    ),
    ("validate", include_str!("../../snippets/validate.sql")),
];

/// Variants of shipped snippets for newer Proton versions: (`NAME.vN`, file text).
pub static SHIPPED_VARIANTS: &[(&str, &str)] = &[
    ("emit.v3", include_str!("../../snippets/emit.v3.sql")),
    (
        "session-window.v3",
        include_str!("../../snippets/session-window.v3.sql"),
    ),
];

/// The highest variant number looked for (`NAME.v9.sql`).
const MAX_VARIANT: u64 = 9;

/// Errors of parsing, rendering, finding or saving snippets.
#[derive(Debug, thiserror::Error)]
pub enum SnippetError {
    #[error("snippet {name}, line {line}: {message}")]
    Parse {
        name: String,
        line: usize,
        message: String,
    },
    #[error("missing value for parameter {0} (give it as {0}=VALUE)")]
    MissingParam(String),
    #[error("bad value for parameter {name} ({ty}): {value:?}: {reason}")]
    BadValue {
        name: String,
        ty: String,
        value: String,
        reason: String,
    },
    #[error("unknown parameter {name}; {}", known_list(.known))]
    UnknownParam { name: String, known: Vec<String> },
    #[error("expected NAME=VALUE, got {0:?}")]
    BadArgument(String),
    #[error("no snippet named {0} (:snippets lists them)")]
    NotFound(String),
    #[error("invalid snippet name {0:?}: use letters, digits, '-' and '_'")]
    InvalidName(String),
    #[error("no directory for user snippets is configured")]
    NoUserDir,
    #[error("a snippet named {name} already exists ({})", .path.display())]
    Exists { name: String, path: PathBuf },
    #[error(
        "{name} is a snippet that ships with proton-shell; one saved under that name would hide it"
    )]
    Shadows { name: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "this snippet takes no parameters".to_owned()
    } else {
        format!("its parameters are: {}", known.join(", "))
    }
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// The type as written, e.g. `String` or `UInt32`.
    pub ty: String,
    /// The default value as written (unquoted), if any.
    pub default: Option<String>,
}

/// A parsed snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub name: String,
    pub title: String,
    /// The header's other comment lines, joined with newlines.
    pub description: String,
    /// Header parameters in order, then undeclared body parameters in order
    /// of first use.
    pub params: Vec<Param>,
    /// The SQL after the header, with its placeholders.
    pub body: String,
    segments: Vec<Segment>,
    used: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Param(String),
}

/// How a parameter type renders its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int {
        signed: bool,
        bits: u16,
    },
    Float,
    Bool,
    Identifier,
    Interval,
    /// `Date`, `Date32`: `YYYY-MM-DD` within `range`.
    Date {
        range: DateRange,
    },
    /// `DateTime`, `DateTime64`: `YYYY-MM-DD hh:mm:ss[.fff]`; `fraction` keeps the
    /// fractional seconds (DateTime64), else they are dropped (DateTime counts seconds).
    DateTime {
        range: DateRange,
        fraction: bool,
    },
    Uuid,
}

/// The first and last (year, month, day) a date type holds, and the last second of that
/// last day it holds (for DateTime, whose range ends within a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateRange {
    first: (u32, u32, u32),
    last: (u32, u32, u32),
    last_time: (u32, u32, u32),
}

const END_OF_DAY: (u32, u32, u32) = (23, 59, 59);
/// Date: days since 1970 in 16 bits.
const DATE_RANGE: DateRange = DateRange {
    first: (1970, 1, 1),
    last: (2149, 6, 6),
    last_time: END_OF_DAY,
};
/// Date32 and DateTime64 (ClickHouse's and Proton's documented range).
const WIDE_RANGE: DateRange = DateRange {
    first: (1900, 1, 1),
    last: (2299, 12, 31),
    last_time: END_OF_DAY,
};
/// DateTime: seconds since 1970 in 32 bits (in UTC; the server's time zone shifts it).
const DATETIME_RANGE: DateRange = DateRange {
    first: (1970, 1, 1),
    last: (2106, 2, 7),
    last_time: (6, 28, 15),
};

fn kind_of(ty: &str) -> Option<Kind> {
    let lower = ty.trim().to_ascii_lowercase();
    let (base, has_args) = match lower.find('(') {
        Some(open) if lower.ends_with(')') => (lower[..open].trim(), true),
        Some(_) => return None,
        None => (lower.as_str(), false),
    };
    // Proton reads `datetime(3)` (a scale first) as datetime64(3); `datetime('UTC')` stays one.
    let scaled = lower.split_once('(').is_some_and(|(_, args)| {
        let args = args.trim_start();
        let digits = args
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(args.len());
        !args[..digits].trim_start_matches('0').is_empty()
    });
    let kind = match base {
        "string" | "fixedstring" | "fixed_string" => Kind::Str,
        "date" => Kind::Date { range: DATE_RANGE },
        "date32" => Kind::Date { range: WIDE_RANGE },
        "datetime" if scaled => Kind::DateTime {
            range: WIDE_RANGE,
            fraction: true,
        },
        "datetime" => Kind::DateTime {
            range: DATETIME_RANGE,
            fraction: false,
        },
        "datetime64" => Kind::DateTime {
            range: WIDE_RANGE,
            fraction: true,
        },
        "uuid" => Kind::Uuid,
        "float32" | "float64" => Kind::Float,
        "bool" | "boolean" => Kind::Bool,
        "identifier" => Kind::Identifier,
        "interval" => Kind::Interval,
        _ => {
            let (signed, digits) = match base.strip_prefix("uint") {
                Some(digits) => (false, digits),
                None => (true, base.strip_prefix("int")?),
            };
            let bits = match digits {
                "8" => 8,
                "16" => 16,
                "32" => 32,
                "64" => 64,
                "128" => 128,
                "256" => 256,
                _ => return None,
            };
            Kind::Int { signed, bits }
        }
    };
    let takes_args = matches!(
        base,
        "fixedstring" | "fixed_string" | "datetime64" | "datetime"
    );
    match (has_args, takes_args) {
        (true, false) => None,
        (false, _) if matches!(base, "fixedstring" | "fixed_string") => None,
        _ => Some(kind),
    }
}

/// Normalized type text, to compare a header type with a body type.
fn type_key(ty: &str) -> String {
    ty.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

const RESERVED: &[&str] = &[
    "all",
    "and",
    "array",
    "as",
    "between",
    "by",
    "case",
    "create",
    "database",
    "default",
    "distinct",
    "drop",
    "else",
    "emit",
    "end",
    "exists",
    "from",
    "group",
    "having",
    "if",
    "in",
    "insert",
    "interval",
    "into",
    "is",
    "join",
    "like",
    "limit",
    "not",
    "null",
    "on",
    "or",
    "order",
    "partition",
    "select",
    "settings",
    "stream",
    "table",
    "then",
    "union",
    "values",
    "view",
    "when",
    "where",
    "with",
];

fn is_plain_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_decimal_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// `YYYY-MM-DD` → (year, month, day), a real calendar date; `Err` is the reason.
fn parse_date(text: &str) -> Result<(u32, u32, u32), String> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(String::new());
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(String::new());
    }
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    };
    if d == 0 || d > month_days {
        return Err(format!("{text} is not a date"));
    }
    Ok((y, m, d))
}

/// `hh:mm:ss[.f…]` → ((hour, minute, second), fraction digits), `fraction` at most 9 digits.
fn parse_time(text: &str) -> Option<((u32, u32, u32), &str)> {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let b = clock.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |at: usize| -> Option<u32> {
        let part = clock.get(at..at + 2)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (h, m, s) = (two(0)?, two(3)?, two(6)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > 9
        || (text.contains('.') && fraction.is_empty())
        || !fraction.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some(((h, m, s), fraction))
}

fn out_of_range(ty: &str, range: DateRange, with_time: bool) -> String {
    let (y, m, d) = range.first;
    let (ly, lm, ld) = range.last;
    if with_time {
        let (h, mi, s) = range.last_time;
        format!(
            "out of range for {ty} ({y}-{m:02}-{d:02} 00:00:00 to \
             {ly}-{lm:02}-{ld:02} {h:02}:{mi:02}:{s:02})"
        )
    } else {
        format!("out of range for {ty} ({y}-{m:02}-{d:02} to {ly}-{lm:02}-{ld:02})")
    }
}

/// `CAST('text' AS Type)`, with the type as the snippet spells it: the server reads the
/// literal as that type on Proton and ClickHouse alike (see the module docs on UUID).
fn cast(text: &str, ty: &str) -> String {
    format!("CAST({} AS {})", crate::sql::sql_string(text), ty.trim())
}

/// Renders one value as SQL text for a parameter of type `ty` (of kind `kind`); `Err` is the
/// reason.
fn render_value(kind: Kind, ty: &str, value: &str) -> Result<String, String> {
    match kind {
        Kind::Str => Ok(crate::sql::sql_string(value)),
        Kind::Date { range } => {
            let text = value.trim();
            let date = parse_date(text).map_err(|reason| {
                if reason.is_empty() {
                    "expected a date YYYY-MM-DD, like 2024-01-31".to_owned()
                } else {
                    reason
                }
            })?;
            if date < range.first || date > range.last {
                return Err(out_of_range(ty.trim(), range, false));
            }
            Ok(cast(text, ty))
        }
        Kind::DateTime { range, fraction } => {
            let text = value.trim();
            let expected = || {
                "expected YYYY-MM-DD hh:mm:ss[.fff] (or a date alone, for midnight), \
                 like 2024-01-31 13:45:00"
                    .to_owned()
            };
            let (date_text, time_text) = match text.get(10..) {
                Some("") => (text, "00:00:00"),
                Some(rest) if rest.starts_with([' ', 'T']) => (&text[..10], &rest[1..]),
                _ => return Err(expected()),
            };
            let date = parse_date(date_text).map_err(|reason| {
                if reason.is_empty() {
                    expected()
                } else {
                    reason
                }
            })?;
            let (time, digits) = parse_time(time_text).ok_or_else(expected)?;
            if date < range.first || (date, time) > (range.last, range.last_time) {
                return Err(out_of_range(ty.trim(), range, true));
            }
            let (h, m, s) = time;
            let mut literal = format!("{date_text} {h:02}:{m:02}:{s:02}");
            if fraction && !digits.is_empty() {
                literal.push('.');
                literal.push_str(digits);
            }
            Ok(cast(&literal, ty))
        }
        Kind::Uuid => {
            let text = value.trim();
            let groups: Vec<&str> = text.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            let hex = groups
                .iter()
                .all(|g| g.bytes().all(|c| c.is_ascii_hexdigit()));
            if lengths != [8, 4, 4, 4, 12] || !hex {
                return Err("expected a UUID like 123e4567-e89b-12d3-a456-426614174000".to_owned());
            }
            Ok(cast(&text.to_ascii_lowercase(), ty))
        }
        Kind::Int { signed, bits } => render_int(value.trim(), signed, bits),
        Kind::Float => {
            let text = value.trim();
            let number: f64 = text
                .parse()
                .map_err(|_| "expected a decimal number, like 1.5 or 2e3".to_owned())?;
            if !is_decimal_number(text) || !number.is_finite() {
                return Err("expected a finite decimal number, like 1.5 or 2e3".to_owned());
            }
            Ok(text.to_owned())
        }
        Kind::Bool => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok("true".to_owned()),
            "false" | "0" | "no" | "off" => Ok("false".to_owned()),
            _ => Err("expected true or false".to_owned()),
        },
        Kind::Identifier => {
            let name = value.trim();
            if name.is_empty() {
                return Err("expected a name".to_owned());
            }
            if name.chars().any(char::is_control) {
                return Err("a name cannot hold control characters".to_owned());
            }
            let reserved = RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name));
            if is_plain_identifier(name) && !reserved {
                return Ok(name.to_owned());
            }
            let mut out = String::from('`');
            for c in name.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '`' => out.push_str("\\`"),
                    _ => out.push(c),
                }
            }
            out.push('`');
            Ok(out)
        }
        Kind::Interval => {
            let text = value.trim();
            let split = text
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len());
            let (count, unit) = text.split_at(split);
            let bad = || "expected an interval like 500ms, 5s, 1m, 2h or 1d".to_owned();
            if count.is_empty() || !matches!(unit, "ns" | "us" | "ms" | "s" | "m" | "h" | "d" | "w")
            {
                return Err(bad());
            }
            match count.parse::<u64>() {
                Ok(0) => Err("an interval must be longer than 0".to_owned()),
                Ok(_) => Ok(text.to_owned()),
                Err(_) => Err(bad()),
            }
        }
    }
}

fn render_int(text: &str, signed: bool, bits: u16) -> Result<String, String> {
    let unsigned_text = text.strip_prefix('+').unwrap_or(text);
    let (negative, digits) = match unsigned_text.strip_prefix('-') {
        Some(rest) if text == unsigned_text => (true, rest),
        _ => (false, unsigned_text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(if signed {
            "expected a whole number".to_owned()
        } else {
            "expected a whole number, 0 or more".to_owned()
        });
    }
    if negative && !signed {
        return Err("expected a whole number, 0 or more".to_owned());
    }
    let range_error = || {
        // "an 8-bit", "a 16-bit": the article follows the sound of the number.
        let a = if bits == 8 { "an" } else { "a" };
        let kind = if signed { "signed" } else { "unsigned" };
        format!("out of range for {a} {bits}-bit {kind} integer")
    };
    if bits > 128 {
        // Int256/UInt256: too wide to check exactly; 77 digits always fit.
        let significant = digits.trim_start_matches('0');
        if significant.len() > 77 {
            return Err(range_error());
        }
        let significant = if significant.is_empty() {
            "0"
        } else {
            significant
        };
        return Ok(if negative && significant != "0" {
            format!("-{significant}")
        } else {
            significant.to_owned()
        });
    }
    let magnitude: u128 = digits.parse().map_err(|_| range_error())?;
    if signed {
        let limit: u128 = 1u128 << (bits - 1);
        let fits = if negative {
            magnitude <= limit
        } else {
            magnitude < limit
        };
        if !fits {
            return Err(range_error());
        }
        Ok(if negative && magnitude != 0 {
            format!("-{magnitude}")
        } else {
            magnitude.to_string()
        })
    } else {
        if bits < 128 && magnitude >= (1u128 << bits) {
            return Err(range_error());
        }
        Ok(magnitude.to_string())
    }
}

/// A placeholder `{name:Type}` starting at `bytes[start] == b'{'`: returns
/// (end, name, type) with `end` just past the `}`.
fn match_placeholder(text: &str, start: usize) -> Option<(usize, &str, &str)> {
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        i
    };
    let ident_end = |mut i: usize| {
        if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
        }
        i
    };
    let name_start = skip_ws(start + 1);
    let name_end = ident_end(name_start);
    if name_end == name_start {
        return None;
    }
    let colon = skip_ws(name_end);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    let ty_start = skip_ws(colon + 1);
    if !bytes.get(ty_start).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut ty_end = ident_end(ty_start);
    if bytes.get(ty_end) == Some(&b'(') {
        let close = text[ty_end..].find(')')? + ty_end;
        if text[ty_end + 1..close].contains(['(', '{', '}', '\n']) {
            return None;
        }
        ty_end = close + 1;
    }
    let end = skip_ws(ty_end);
    if bytes.get(end) != Some(&b'}') {
        return None;
    }
    Some((
        end + 1,
        &text[name_start..name_end],
        &text[ty_start..ty_end],
    ))
}

/// A piece of a body: a segment, the placeholder's type, its byte offset.
type Scanned = (Segment, Option<String>, usize);

/// Splits a body into text and placeholders, using the SQL lexer: placeholders are its
/// `Param` tokens, so comments, strings and quoted identifiers are never substituted.
/// A placeholder written inside a string literal is an error that says so.
/// Errors: (byte offset, message).
fn scan_body(body: &str) -> Result<Vec<Scanned>, (usize, String)> {
    let mut segments = Vec::new();
    let mut text_start = 0;
    for t in sql::tokenize(body) {
        let text = t.text(body);
        match t.kind {
            TokenKind::Param => {
                let Some((end, name, ty)) = match_placeholder(text, 0) else {
                    continue;
                };
                if end != text.len() {
                    continue;
                }
                if text_start < t.start {
                    let before = body[text_start..t.start].to_owned();
                    segments.push((Segment::Text(before), None, text_start));
                }
                segments.push((
                    Segment::Param(name.to_owned()),
                    Some(ty.to_owned()),
                    t.start,
                ));
                text_start = t.end;
            }
            TokenKind::String if text.starts_with('\'') => {
                let found = text.match_indices('{').find_map(|(at, _)| {
                    match_placeholder(text, at).map(|(_, name, ty)| (at, name, ty))
                });
                if let Some((at, name, ty)) = found {
                    return Err((
                        t.start + at,
                        format!(
                            "placeholder {{{name}:{ty}}} inside a quoted string: write \
                             {{{name}:{ty}}} without the quotes, the value is quoted for you"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    if text_start < body.len() {
        segments.push((
            Segment::Text(body[text_start..].to_owned()),
            None,
            text_start,
        ));
    }
    Ok(segments)
}

/// Splits a `params:` list into `name:Type[=default]` entries.
fn split_param_entries(list: &str) -> Vec<&str> {
    let bytes = list.as_bytes();
    let mut entries = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_quotes => i += 1,
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes && starts_param_entry(&list[i + 1..]) => {
                entries.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    entries.push(&list[start..]);
    entries
        .into_iter()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect()
}

/// Whether text begins with `name:Type` (the type starting with a letter).
fn starts_param_entry(text: &str) -> bool {
    let text = text.trim_start();
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    if name_len == 0 || !is_plain_identifier(&text[..name_len]) {
        return false;
    }
    let rest = text[name_len..].trim_start();
    rest.strip_prefix(':').is_some_and(|ty| {
        ty.trim_start()
            .starts_with(|c: char| c.is_ascii_alphabetic())
    })
}

/// Parses one `name:Type[=default]` entry.
fn parse_param_entry(entry: &str) -> Result<Param, String> {
    let (decl, default) = match entry.split_once('=') {
        Some((decl, default)) => (decl, Some(default.trim())),
        None => (entry, None),
    };
    let Some((name, ty)) = decl.split_once(':') else {
        return Err(format!(
            "parameter {entry:?} has no type: write name:Type[=default]"
        ));
    };
    let (name, ty) = (name.trim(), ty.trim());
    if !is_plain_identifier(name) {
        return Err(format!("bad parameter name {name:?}"));
    }
    if kind_of(ty).is_none() {
        return Err(format!(
            "parameter {name} has unknown type {ty:?}; {}",
            TYPES_HINT
        ));
    }
    let default = match default {
        None => None,
        Some(text) if text.starts_with('"') => Some(unquote_default(text).ok_or_else(|| {
            format!("parameter {name}: the quoted default {text} is not closed properly")
        })?),
        Some(text) => Some(text.to_owned()),
    };
    Ok(Param {
        name: name.to_owned(),
        ty: ty.to_owned(),
        default,
    })
}

const TYPES_HINT: &str = "known types: String, Int8..Int256, UInt8..UInt256, Float32, Float64, \
                          Bool, Identifier, Interval, Date, DateTime, DateTime64(N), UUID, FixedString(N)";

/// `"text"` with `\"` and `\\` escapes → text. `None` if not exactly one quoted string.
fn unquote_default(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.strip_prefix('"')?.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(out),
            _ => out.push(c),
        }
    }
    None
}

/// Parses a snippet's text.
pub fn parse(name: &str, text: &str) -> Result<Snippet, SnippetError> {
    let text = text.replace("\r\n", "\n");
    let parse_error = |line: usize, message: String| SnippetError::Parse {
        name: name.to_owned(),
        line,
        message,
    };

    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut index = 0;
    while index < lines.len() && lines[index].trim().is_empty() {
        index += 1;
    }
    let mut title = None;
    let mut description = Vec::new();
    let mut header_params: Vec<(Param, usize)> = Vec::new();
    while index < lines.len() {
        let Some(comment) = lines[index].trim().strip_prefix("--") else {
            break;
        };
        let line_number = index + 1;
        let comment = comment.trim();
        let (key, value) = comment.split_once(':').unwrap_or(("", comment));
        match key.trim().to_ascii_lowercase().as_str() {
            "title" => title = Some(value.trim().to_owned()),
            // Which Proton versions the file is written for (see "Versions" above); it
            // documents the file, it is not description.
            "proton" => {}
            "params" | "param" => {
                for entry in split_param_entries(value) {
                    let param =
                        parse_param_entry(entry).map_err(|msg| parse_error(line_number, msg))?;
                    if header_params.iter().any(|(p, _)| p.name == param.name) {
                        return Err(parse_error(
                            line_number,
                            format!("parameter {} is declared twice", param.name),
                        ));
                    }
                    header_params.push((param, line_number));
                }
            }
            _ => description.push(comment.to_owned()),
        }
        index += 1;
    }
    while index < lines.len() && lines[index].trim().is_empty() {
        index += 1;
    }
    let body_first_line = index + 1;
    let body = lines[index.min(lines.len())..]
        .concat()
        .trim_end()
        .to_owned();

    let line_of = |offset: usize| body_first_line + body[..offset].matches('\n').count();
    let scanned = scan_body(&body).map_err(|(offset, msg)| parse_error(line_of(offset), msg))?;

    let mut params: Vec<Param> = Vec::new();
    for (param, line) in &header_params {
        if let Some(default) = &param.default {
            let kind = kind_of(&param.ty).ok_or_else(|| {
                parse_error(*line, format!("parameter {} has unknown type", param.name))
            })?;
            render_value(kind, &param.ty, default).map_err(|reason| {
                parse_error(
                    *line,
                    format!(
                        "the default of parameter {} ({}) is bad: {default:?}: {reason}",
                        param.name, param.ty
                    ),
                )
            })?;
        }
        params.push(param.clone());
    }

    let mut segments = Vec::with_capacity(scanned.len());
    let mut used = BTreeSet::new();
    for (segment, ty, offset) in scanned {
        if let (Segment::Param(param_name), Some(ty)) = (&segment, &ty) {
            let here = line_of(offset);
            if kind_of(ty).is_none() {
                return Err(parse_error(
                    here,
                    format!("placeholder {{{param_name}:{ty}}} has an unknown type; {TYPES_HINT}"),
                ));
            }
            match params.iter().find(|p| &p.name == param_name) {
                Some(known) if type_key(&known.ty) != type_key(ty) => {
                    return Err(parse_error(
                        here,
                        format!(
                            "parameter {param_name} is {} elsewhere but {ty} here",
                            known.ty
                        ),
                    ))
                }
                Some(_) => {}
                None => params.push(Param {
                    name: param_name.clone(),
                    ty: ty.clone(),
                    default: None,
                }),
            }
            used.insert(param_name.clone());
        }
        segments.push(segment);
    }

    Ok(Snippet {
        name: name.to_owned(),
        title: title
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| name.to_owned()),
        description: description.join("\n"),
        params,
        body,
        segments,
        used,
    })
}

impl Param {
    /// `value` as SQL of this parameter's type, or why it is not one.
    pub fn render(&self, value: &str) -> Result<String, SnippetError> {
        let bad = |reason: String| SnippetError::BadValue {
            name: self.name.clone(),
            ty: self.ty.clone(),
            value: value.to_owned(),
            reason,
        };
        let kind = kind_of(&self.ty).ok_or_else(|| bad("unknown type".to_owned()))?;
        render_value(kind, &self.ty, value).map_err(bad)
    }
}

/// An answer typed at a parameter question as the value it means: trimmed, and one level of
/// matching quotes around it removed, as the `:run` command line's splitting removes them.
pub fn answer_value(line: &str) -> &str {
    let t = line.trim();
    ['\'', '"']
        .iter()
        .find_map(|q| t.strip_prefix(*q)?.strip_suffix(*q))
        .unwrap_or(t)
}

impl Snippet {
    /// The parameters the body uses that have neither a default nor a value
    /// in `args`: the ones to prompt for.
    pub fn missing_params(&self, args: &BTreeMap<String, String>) -> Vec<&Param> {
        self.params
            .iter()
            .filter(|p| self.used.contains(&p.name) && p.default.is_none())
            .filter(|p| !args.contains_key(&p.name))
            .collect()
    }

    /// The body with every placeholder replaced by its value from `args`, or
    /// its default. Values are checked against their types; names in `args`
    /// that are not parameters are an error (a typo would otherwise go
    /// unnoticed).
    pub fn render(&self, args: &BTreeMap<String, String>) -> Result<String, SnippetError> {
        if let Some(unknown) = args
            .keys()
            .find(|k| !self.params.iter().any(|p| &p.name == *k))
        {
            return Err(SnippetError::UnknownParam {
                name: unknown.clone(),
                known: self.params.iter().map(|p| p.name.clone()).collect(),
            });
        }
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        for param in &self.params {
            let value = match (args.get(&param.name), &param.default) {
                (Some(value), _) | (None, Some(value)) => value,
                (None, None) if self.used.contains(&param.name) => {
                    return Err(SnippetError::MissingParam(param.name.clone()))
                }
                (None, None) => continue,
            };
            values.insert(&param.name, param.render(value)?);
        }
        let mut out = String::with_capacity(self.body.len());
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Param(name) => match values.get(name.as_str()) {
                    Some(value) => out.push_str(value),
                    None => return Err(SnippetError::MissingParam(name.clone())),
                },
            }
        }
        Ok(out)
    }
}

/// Parses `NAME=VALUE` arguments (as given to `:run`) into a map. The value
/// is everything after the first `=`; a later duplicate wins.
pub fn parse_assignments<'a, I>(items: I) -> Result<BTreeMap<String, String>, SnippetError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut args = BTreeMap::new();
    for item in items {
        match item.split_once('=') {
            Some((name, value)) if is_plain_identifier(name.trim()) => {
                args.insert(name.trim().to_owned(), value.to_owned());
            }
            _ => return Err(SnippetError::BadArgument(item.to_owned())),
        }
    }
    Ok(args)
}

/// Whether `name` can name a snippet: letters, digits, `-` and `_`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Where a snippet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Shipped,
    User,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Shipped => "shipped",
            Origin::User => "user",
        })
    }
}

/// One line of `:snippets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetEntry {
    pub name: String,
    pub title: String,
    pub origin: Origin,
    /// A user snippet that hides a shipped one of the same name.
    pub shadows_shipped: bool,
    /// Why the snippet does not parse, if it does not.
    pub error: Option<String>,
}

/// A snippet's text and where it was found, for `:show` and `:edit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetSource {
    pub name: String,
    pub text: String,
    pub origin: Origin,
    /// The file, or `None` for a copy embedded in the binary.
    pub path: Option<PathBuf>,
}

/// The snippets of the user directory and the shipped set.
#[derive(Debug, Clone, Default)]
pub struct SnippetStore {
    /// The source tree's or installation's `snippets/` directory; its files
    /// take precedence over the embedded [`SHIPPED`] copies.
    pub shipped_dir: Option<PathBuf>,
    /// The user's snippets (in the config dir); shadow shipped ones.
    pub user_dir: Option<PathBuf>,
    /// The connected Proton's major version: picks `NAME.vN` variants (`None`: base files).
    pub major: Option<u64>,
}

impl SnippetStore {
    /// A store with the shipped directory found by [`Self::find_shipped_dir`].
    pub fn new(user_dir: Option<PathBuf>) -> Self {
        Self {
            shipped_dir: Self::find_shipped_dir(),
            user_dir,
            major: None,
        }
    }

    /// The same store, picking the variants written for Proton `major` (if any).
    pub fn for_server(mut self, major: Option<u64>) -> Self {
        self.major = major;
        self
    }

    /// A store with both directories given.
    #[cfg(test)]
    pub fn with_dirs(shipped_dir: Option<PathBuf>, user_dir: Option<PathBuf>) -> Self {
        Self {
            shipped_dir,
            user_dir,
            major: None,
        }
    }

    /// The shipped `snippets/` directory: next to the executable, in
    /// `<exe>/../share/proton-shell/snippets`, or in the source tree the
    /// binary was built from. `None` if none exists (the embedded copies are
    /// then used).
    pub fn find_shipped_dir() -> Option<PathBuf> {
        let mut candidates = Vec::new();
        if let Some(exe_dir) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
        {
            candidates.push(exe_dir.join("snippets"));
            candidates.push(exe_dir.join("../share/proton-shell/snippets"));
        }
        candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("snippets"));
        candidates.into_iter().find(|dir| dir.is_dir())
    }

    /// `name.sql` files of a directory, by name. A missing or unreadable
    /// directory has none.
    fn dir_files(dir: Option<&Path>) -> BTreeMap<String, PathBuf> {
        let mut files = BTreeMap::new();
        let Some(entries) = dir.and_then(|d| fs::read_dir(d).ok()) else {
            return files;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("sql") || !path.is_file() {
                continue;
            }
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                if is_valid_name(stem) {
                    files.insert(stem.to_owned(), path);
                }
            }
        }
        files
    }

    fn read(path: &Path) -> Result<String, SnippetError> {
        fs::read_to_string(path).map_err(|source| SnippetError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The shipped snippet `name`, in the variant for the server's version (see the module
    /// docs), else the base file.
    fn shipped_source(&self, name: &str) -> Result<Option<SnippetSource>, SnippetError> {
        let newest = self.major.unwrap_or(0).min(MAX_VARIANT);
        for n in (2..=newest).rev() {
            if let Some(mut source) = self.shipped_file(&format!("{name}.v{n}"))? {
                source.name = name.to_owned();
                return Ok(Some(source));
            }
        }
        self.shipped_file(name)
    }

    /// One shipped file by its stem: from the shipped directory, else embedded.
    fn shipped_file(&self, name: &str) -> Result<Option<SnippetSource>, SnippetError> {
        if let Some(dir) = &self.shipped_dir {
            let path = dir.join(format!("{name}.sql"));
            if path.is_file() {
                return Ok(Some(SnippetSource {
                    name: name.to_owned(),
                    text: Self::read(&path)?,
                    origin: Origin::Shipped,
                    path: Some(path),
                }));
            }
        }
        Ok(SHIPPED
            .iter()
            .chain(SHIPPED_VARIANTS)
            .find(|(shipped, _)| *shipped == name)
            .map(|(_, text)| SnippetSource {
                name: name.to_owned(),
                text: (*text).to_owned(),
                origin: Origin::Shipped,
                path: None,
            }))
    }

    /// The path of the user snippet `name` (which may not exist).
    pub fn user_path(&self, name: &str) -> Result<PathBuf, SnippetError> {
        if !is_valid_name(name) {
            return Err(SnippetError::InvalidName(name.to_owned()));
        }
        let dir = self.user_dir.as_ref().ok_or(SnippetError::NoUserDir)?;
        Ok(dir.join(format!("{name}.sql")))
    }

    /// The text of snippet `name`: the user's if there is one, else the
    /// shipped one.
    pub fn source(&self, name: &str) -> Result<SnippetSource, SnippetError> {
        if !is_valid_name(name) {
            return Err(SnippetError::InvalidName(name.to_owned()));
        }
        if self.user_dir.is_some() {
            let path = self.user_path(name)?;
            if path.is_file() {
                return Ok(SnippetSource {
                    name: name.to_owned(),
                    text: Self::read(&path)?,
                    origin: Origin::User,
                    path: Some(path),
                });
            }
        }
        self.shipped_source(name)?
            .ok_or_else(|| SnippetError::NotFound(name.to_owned()))
    }

    /// Snippet `name`, parsed.
    pub fn get(&self, name: &str) -> Result<Snippet, SnippetError> {
        let source = self.source(name)?;
        parse(name, &source.text)
    }

    /// All snippet names, sorted (for completion).
    pub fn names(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = SHIPPED.iter().map(|(n, _)| (*n).to_owned()).collect();
        names.extend(Self::dir_files(self.shipped_dir.as_deref()).into_keys());
        names.extend(Self::dir_files(self.user_dir.as_deref()).into_keys());
        names.into_iter().collect()
    }

    /// Every snippet with its title, sorted by name; a user snippet replaces
    /// a shipped one of the same name.
    pub fn list(&self) -> Vec<SnippetEntry> {
        let user = Self::dir_files(self.user_dir.as_deref());
        let mut shipped: BTreeSet<String> = SHIPPED.iter().map(|(n, _)| (*n).to_owned()).collect();
        shipped.extend(Self::dir_files(self.shipped_dir.as_deref()).into_keys());

        let mut entries = Vec::new();
        for name in self.names() {
            let (origin, text) = if let Some(path) = user.get(&name) {
                (Origin::User, Self::read(path))
            } else {
                match self.shipped_source(&name) {
                    Ok(Some(source)) => (Origin::Shipped, Ok(source.text)),
                    Ok(None) => continue,
                    Err(err) => (Origin::Shipped, Err(err)),
                }
            };
            let parsed = text.and_then(|text| parse(&name, &text));
            let (title, error) = match parsed {
                Ok(snippet) => (snippet.title, None),
                Err(err) => (String::new(), Some(err.to_string())),
            };
            entries.push(SnippetEntry {
                shadows_shipped: origin == Origin::User && shipped.contains(&name),
                name,
                title,
                origin,
                error,
            });
        }
        entries
    }

    /// Saves `sql` as the user snippet `name`. A user snippet already there is an
    /// [`SnippetError::Exists`] unless `replace` (it may be hand-written: never lost silently);
    /// likewise [`SnippetError::Shadows`] for the name of a shipped snippet, which it would hide.
    /// A `-- title: <name>` header is added when the text has no title.
    /// The text must parse. Returns the file's path.
    pub fn save(&self, name: &str, sql: &str, replace: bool) -> Result<PathBuf, SnippetError> {
        let path = self.user_path(name)?;
        if !replace && fs::symlink_metadata(&path).is_ok() {
            return Err(SnippetError::Exists {
                name: name.to_owned(),
                path,
            });
        }
        if !replace && self.shipped_source(name)?.is_some() {
            return Err(SnippetError::Shadows {
                name: name.to_owned(),
            });
        }
        let sql = sql.trim();
        let has_title = sql
            .lines()
            .take_while(|l| l.trim_start().starts_with("--"))
            .any(|l| {
                l.trim_start()
                    .trim_start_matches('-')
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("title:")
            });
        let text = if has_title {
            format!("{sql}\n")
        } else {
            format!("-- title: {name}\n\n{sql}\n")
        };
        parse(name, &text)?;
        Self::write_user_file(&path, &text)?;
        Ok(path)
    }

    fn write_user_file(path: &Path, text: &str) -> Result<(), SnippetError> {
        crate::demos::checkpoint::write_atomically(path, text.as_bytes()).map_err(|source| {
            SnippetError::Io {
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    use crate::testutil::TempDir;

    const EXPECTED_SHIPPED: [&str; 14] = [
        "docs-per-resource",
        "emit",
        "hop-window",
        "json-shortcut",
        "materialized-view",
        "new-docs",
        "school-count",
        "seek-to",
        "session-window",
        "stream-table-join",
        "table-vs-stream",
        "time-travel",
        "tumble-window",
        "validate",
    ];

    #[test]
    fn an_answer_loses_one_pair_of_matching_quotes() {
        assert_eq!(answer_value("  '2024-01-01' "), "2024-01-01");
        assert_eq!(answer_value("\"  padded  \""), "  padded  ");
        assert_eq!(answer_value("''x''"), "'x'");
        assert_eq!(answer_value("'x\""), "'x\"");
        assert_eq!(answer_value("'"), "'");
        assert_eq!(answer_value(" it's "), "it's");
    }

    #[test]
    fn variants_follow_the_server_version() {
        let store = SnippetStore::with_dirs(None, None);
        let base = store.get("emit").expect("base");
        assert!(!base.body.contains("REPEAT"), "{}", base.body);
        let v3 = store.clone().for_server(Some(3)).get("emit").expect("v3");
        assert_eq!(v3.name, "emit");
        assert!(v3.body.contains("REPEAT"), "{}", v3.body);
        let v1 = store.clone().for_server(Some(1)).get("emit").expect("v1");
        assert_eq!(v1.body, base.body);
        // a later major still takes the newest variant below it
        let v4 = store.for_server(Some(4)).get("session-window").expect("v4");
        assert!(!v4.body.contains("PARTITION BY"), "{}", v4.body);
        for (name, text) in SHIPPED_VARIANTS {
            let (base, n) = name.split_once(".v").expect("NAME.vN");
            assert!(SHIPPED.iter().any(|(b, _)| *b == base), "{name}");
            assert!(text.contains(&format!("-- proton: >={n}")), "{name}");
            let parsed = parse(base, text).expect("parses");
            assert!(!parsed.description.contains("proton:"), "{name}");
        }
    }

    #[test]
    fn shipped_list_matches_the_directory() {
        let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, EXPECTED_SHIPPED);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snippets");
        let on_disk: Vec<String> = SnippetStore::dir_files(Some(&dir)).into_keys().collect();
        assert_eq!(on_disk, EXPECTED_SHIPPED);
    }

    #[test]
    fn every_shipped_snippet_parses_and_renders_with_defaults() {
        for (name, text) in SHIPPED {
            let snippet = parse(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                text.starts_with("-- title: "),
                "{name} must start with a title line"
            );
            assert_ne!(snippet.title, *name, "{name} has no title");
            assert!(!snippet.description.is_empty(), "{name} has no description");
            assert!(
                snippet.params.iter().all(|p| p.default.is_some()),
                "{name}: every shipped parameter has a default"
            );
            assert!(snippet.missing_params(&BTreeMap::new()).is_empty());
            let sql = snippet
                .render(&BTreeMap::new())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                !sql.contains("{brokers") && !sql.contains(":String}"),
                "{name}: placeholder left in {sql}"
            );
            assert!(
                sql.starts_with(
                    "CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)\nSETTINGS \
                     type='kafka', brokers='dms-kafka1:9092', topic='edfi.dms.document', \
                     skip_ssl_cert_check='true';"
                ),
                "{name}: {sql}"
            );
            // Shipped snippets avoid ';' in comments, so any splitter copes.
            for line in text.lines().filter(|l| l.trim_start().starts_with("--")) {
                assert!(!line.contains(';'), "{name}: ';' in comment {line:?}");
            }
        }
    }

    #[test]
    fn demo_snippets_render_the_demo_sql() {
        let store = SnippetStore::with_dirs(None, None);
        let sql = store
            .get("school-count")
            .and_then(|s| s.render(&args(&[("brokers", "redpanda:9092")])))
            .expect("school-count");
        assert!(sql.contains("brokers='redpanda:9092', topic='edfi.dms.document'"));
        assert!(sql.ends_with("SELECT count() FROM document WHERE raw:resourcename='School';"));

        let sql = store
            .get("validate")
            .and_then(|s| s.render(&BTreeMap::new()))
            .expect("validate");
        assert!(sql.contains(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS\nSELECT raw:edfidoc FROM document\n\
             WHERE raw:resourcename='School' AND raw:__deleted='false';"
        ));
        assert!(sql.contains("SELECT * FROM table(schools);"));
        assert!(sql.ends_with("SELECT * FROM schools;"));

        let sql = store
            .get("new-docs")
            .and_then(|s| s.render(&BTreeMap::new()))
            .expect("new-docs");
        assert!(sql.ends_with("\n\nSELECT * FROM document;"));
    }

    #[test]
    fn header_fields() {
        let snippet = parse(
            "t",
            "\n-- title: A title\n-- params: a:String=x:1, n:UInt8=3\n-- param: id:Identifier\n\
             -- Explains it.\n-- More.\n\nSELECT {n:UInt8}, {a:String} FROM {id:Identifier}\n\n",
        )
        .expect("parse");
        assert_eq!(snippet.title, "A title");
        assert_eq!(snippet.description, "Explains it.\nMore.");
        assert_eq!(
            snippet.params,
            vec![
                Param {
                    name: "a".into(),
                    ty: "String".into(),
                    default: Some("x:1".into())
                },
                Param {
                    name: "n".into(),
                    ty: "UInt8".into(),
                    default: Some("3".into())
                },
                Param {
                    name: "id".into(),
                    ty: "Identifier".into(),
                    default: None
                },
            ]
        );
        assert_eq!(
            snippet.body,
            "SELECT {n:UInt8}, {a:String} FROM {id:Identifier}"
        );
        let missing: Vec<&str> = snippet
            .missing_params(&BTreeMap::new())
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(missing, ["id"]);
        assert!(snippet.missing_params(&args(&[("id", "s")])).is_empty());
        assert_eq!(
            snippet
                .render(&args(&[("id", "my stream")]))
                .expect("render"),
            "SELECT 3, 'x:1' FROM `my stream`"
        );
    }

    #[test]
    fn defaults_with_commas() {
        let snippet = parse(
            "t",
            "-- params: brokers:String=k1:9092,k2:9092, quoted:String=\" a, b:String \\\"q\\\" \"\n\
             SELECT {brokers:String}, {quoted:String}",
        )
        .expect("parse");
        assert_eq!(
            snippet.params[0].default.as_deref(),
            Some("k1:9092,k2:9092")
        );
        assert_eq!(
            snippet.params[1].default.as_deref(),
            Some(" a, b:String \"q\" ")
        );
        assert_eq!(
            snippet.render(&BTreeMap::new()).expect("render"),
            "SELECT 'k1:9092,k2:9092', ' a, b:String \"q\" '"
        );
    }

    #[test]
    fn no_header() {
        let snippet = parse("bare", "SELECT {x:Int32} + 1").expect("parse");
        assert_eq!(snippet.title, "bare");
        assert_eq!(snippet.params.len(), 1);
        assert!(matches!(
            snippet.render(&BTreeMap::new()),
            Err(SnippetError::MissingParam(name)) if name == "x"
        ));
        assert_eq!(
            snippet.render(&args(&[("x", "-5")])).expect("render"),
            "SELECT -5 + 1"
        );
    }

    #[test]
    fn string_values_are_escaped() {
        let snippet = parse("s", "SELECT {s:String}").expect("parse");
        assert_eq!(
            snippet
                .render(&args(&[("s", r"it's a \ test")]))
                .expect("render"),
            r"SELECT 'it\'s a \\ test'"
        );
        assert_eq!(
            snippet.render(&args(&[("s", "ñ 学")])).expect("render"),
            "SELECT 'ñ 学'"
        );
    }

    #[test]
    fn numbers_are_validated() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("UInt8", "255", Some("255")),
            ("UInt8", "256", None),
            ("UInt8", "-1", None),
            ("UInt8", "+7", Some("7")),
            ("Int8", "-128", Some("-128")),
            ("Int8", "128", None),
            ("int64", "9223372036854775807", Some("9223372036854775807")),
            ("Int64", "9223372036854775808", None),
            (
                "Int64",
                "-9223372036854775808",
                Some("-9223372036854775808"),
            ),
            (
                "UInt64",
                "18446744073709551615",
                Some("18446744073709551615"),
            ),
            ("UInt64", "18446744073709551616", None),
            (
                "UInt128",
                "340282366920938463463374607431768211455",
                Some("340282366920938463463374607431768211455"),
            ),
            (
                "Int128",
                "-170141183460469231731687303715884105728",
                Some("-170141183460469231731687303715884105728"),
            ),
            ("UInt256", "00012", Some("12")),
            ("Int32", "1.5", None),
            ("Int32", "", None),
            ("Int32", "1; DROP STREAM x", None),
            ("Int32", "-0", Some("0")),
            ("Float64", "1.5", Some("1.5")),
            ("Float64", "-2e3", Some("-2e3")),
            ("Float64", ".5", Some(".5")),
            ("Float64", "inf", None),
            ("Float64", "NaN", None),
            ("Float64", "1e400", None),
            ("Float64", "1.5)", None),
            ("Bool", "YES", Some("true")),
            ("Bool", "0", Some("false")),
            ("Bool", "maybe", None),
            ("Interval", "5s", Some("5s")),
            ("Interval", "500ms", Some("500ms")),
            ("Interval", "0s", None),
            ("Interval", "5 s", None),
            ("Interval", "5M", None),
            ("Interval", "s", None),
            ("Identifier", "document", Some("document")),
            ("Identifier", "table", Some("`table`")),
            ("Identifier", "a`b", Some("`a\\`b`")),
            ("Identifier", "", None),
            ("FixedString(4)", "abcd", Some("'abcd'")),
        ];
        for (ty, value, want) in cases {
            let snippet = parse("n", &format!("SELECT {{v:{ty}}}")).expect("parse");
            match (snippet.render(&args(&[("v", value)])), want) {
                (Ok(sql), Some(want)) => assert_eq!(sql, format!("SELECT {want}"), "{ty} {value}"),
                (Err(SnippetError::BadValue { name, .. }), None) => assert_eq!(name, "v"),
                (other, _) => panic!("{ty} {value:?}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn integer_range_errors_read_as_english() {
        let msg = |ty: &str, v: &str| {
            let snippet = parse("n", &format!("SELECT {{v:{ty}}}")).expect("parse");
            match snippet.render(&args(&[("v", v)])) {
                Err(e) => e.to_string(),
                Ok(sql) => panic!("{ty} {v} rendered {sql}"),
            }
        };
        assert!(msg("UInt8", "256").contains("for an 8-bit unsigned integer"));
        assert!(msg("Int16", "40000").contains("for a 16-bit signed integer"));
    }

    #[test]
    fn dates_times_and_uuids_are_checked_and_cast_to_their_type() {
        let cases: &[(&str, &str, Result<&str, &str>)] = &[
            ("Date", "2024-02-29", Ok("CAST('2024-02-29' AS Date)")),
            ("date", " 2024-01-31 ", Ok("CAST('2024-01-31' AS date)")),
            ("Date", "2023-02-29", Err("2023-02-29 is not a date")),
            ("Date", "2024-13-01", Err("2024-13-01 is not a date")),
            ("Date", "notadate", Err("expected a date YYYY-MM-DD")),
            ("Date", "2024-1-5", Err("expected a date YYYY-MM-DD")),
            (
                "Date",
                "2024-01-01 00:00:00",
                Err("expected a date YYYY-MM-DD"),
            ),
            ("Date", "1969-12-31", Err("out of range for Date")),
            ("Date", "2149-06-06", Ok("CAST('2149-06-06' AS Date)")),
            ("Date", "2149-06-07", Err("out of range for Date")),
            ("Date32", "1900-01-01", Ok("CAST('1900-01-01' AS Date32)")),
            (
                "DateTime",
                "2024-01-01 13:45:06",
                Ok("CAST('2024-01-01 13:45:06' AS DateTime)"),
            ),
            (
                "DateTime",
                "2024-01-01T13:45:06",
                Ok("CAST('2024-01-01 13:45:06' AS DateTime)"),
            ),
            // a date alone is midnight; DateTime counts whole seconds, so a fraction goes
            (
                "DateTime",
                "2024-01-01",
                Ok("CAST('2024-01-01 00:00:00' AS DateTime)"),
            ),
            (
                "DateTime",
                "2024-01-01 00:00:00.250",
                Ok("CAST('2024-01-01 00:00:00' AS DateTime)"),
            ),
            (
                "DateTime('UTC')",
                "2024-01-01 00:00:00",
                Ok("CAST('2024-01-01 00:00:00' AS DateTime('UTC'))"),
            ),
            (
                "DateTime",
                "banana",
                Err("expected YYYY-MM-DD hh:mm:ss[.fff]"),
            ),
            (
                "DateTime",
                "2024-01-01 24:00:00",
                Err("expected YYYY-MM-DD hh:mm:ss[.fff]"),
            ),
            (
                "DateTime",
                "2024-01-01 00:60:00",
                Err("expected YYYY-MM-DD hh:mm:ss[.fff]"),
            ),
            (
                "DateTime",
                "2024-01-01 00:00:00.",
                Err("expected YYYY-MM-DD hh:mm:ss[.fff]"),
            ),
            (
                "DateTime",
                "2024-01-01 00:00:00; DROP STREAM x",
                Err("expected YYYY-MM-DD hh:mm:ss[.fff]"),
            ),
            ("DateTime", "2024-02-30 00:00:00", Err("is not a date")),
            (
                "DateTime",
                "2106-02-07 06:28:16",
                Err("out of range for DateTime"),
            ),
            (
                "DateTime64(3)",
                "2025-01-01 00:00:00.123",
                Ok("CAST('2025-01-01 00:00:00.123' AS DateTime64(3))"),
            ),
            (
                "DateTime64(3)",
                "1950-06-01 12:00:00",
                Ok("CAST('1950-06-01 12:00:00' AS DateTime64(3))"),
            ),
            (
                "datetime(3)",
                "2025-01-01 00:00:00.5",
                Ok("CAST('2025-01-01 00:00:00.5' AS datetime(3))"),
            ),
            (
                "DateTime64(9)",
                "2025-01-01 00:00:00.1234567891",
                Err("expected YYYY-MM-DD hh:mm:ss[.fff]"),
            ),
            (
                "UUID",
                "123E4567-e89b-12d3-a456-426614174000",
                Ok("CAST('123e4567-e89b-12d3-a456-426614174000' AS UUID)"),
            ),
            (
                "uuid",
                "123e4567-e89b-12d3-a456-426614174000",
                Ok("CAST('123e4567-e89b-12d3-a456-426614174000' AS uuid)"),
            ),
            ("UUID", "notauuid", Err("expected a UUID")),
            (
                "UUID",
                "123e4567e89b12d3a456426614174000",
                Err("expected a UUID"),
            ),
            (
                "UUID",
                "123e4567-e89b-12d3-a456-42661417400g",
                Err("expected a UUID"),
            ),
        ];
        for (ty, value, want) in cases {
            let snippet = parse("t", &format!("SELECT {{v:{ty}}}")).expect("parse");
            match (snippet.render(&args(&[("v", value)])), want) {
                (Ok(sql), Ok(want)) => assert_eq!(sql, format!("SELECT {want}"), "{ty} {value}"),
                (Err(err @ SnippetError::BadValue { .. }), Err(reason)) => {
                    let message = err.to_string();
                    assert!(
                        message.starts_with(&format!("bad value for parameter v ({ty})")),
                        "{message}"
                    );
                    assert!(message.contains(reason), "{ty} {value:?}: {message}");
                }
                (other, _) => panic!("{ty} {value:?}: unexpected {other:?}"),
            }
        }
        // A bad default is a parse error of the snippet, naming the parameter.
        let bad_default = parse("e", "-- params: d:Date=today\nSELECT {d:Date}").unwrap_err();
        assert!(
            bad_default
                .to_string()
                .contains("the default of parameter d (Date) is bad"),
            "{bad_default}"
        );
    }

    #[test]
    fn errors() {
        let unknown_type = parse("e", "-- title: x\n\nSELECT {a:Strng}").unwrap_err();
        assert!(
            matches!(&unknown_type, SnippetError::Parse { line: 3, message, .. } if message.contains("unknown type")),
            "{unknown_type}"
        );
        let quoted = parse("e", "-- title: x\nSELECT 1;\nSELECT '{b:String}'").unwrap_err();
        let message = quoted.to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("without the quotes"), "{message}");
        let conflict = parse("e", "-- params: a:String=x\nSELECT {a:UInt8}").unwrap_err();
        assert!(conflict
            .to_string()
            .contains("parameter a is String elsewhere but UInt8 here"));
        let twice = parse("e", "-- params: a:String, a:String\nSELECT 1").unwrap_err();
        assert!(twice.to_string().contains("declared twice"));
        let untyped = parse("e", "-- params: a=1\nSELECT 1").unwrap_err();
        assert!(untyped.to_string().contains("has no type"));
        let bad_default = parse("e", "-- params: n:UInt8=300\nSELECT {n:UInt8}").unwrap_err();
        assert!(bad_default
            .to_string()
            .contains("the default of parameter n"));
        let unclosed = parse("e", "-- params: s:String=\"abc\nSELECT 1").unwrap_err();
        assert!(unclosed.to_string().contains("not closed"));
        let args_on_int = parse("e", "SELECT {a:Int32(3)}").unwrap_err();
        assert!(args_on_int.to_string().contains("unknown type"));

        let snippet = parse("e", "-- params: a:String=x\nSELECT {a:String}").expect("parse");
        let unknown = snippet.render(&args(&[("b", "1")])).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "unknown parameter b; its parameters are: a"
        );
        let bad = parse("e", "SELECT {n:UInt8}")
            .expect("parse")
            .render(&args(&[("n", "x")]))
            .unwrap_err();
        assert_eq!(
            bad.to_string(),
            "bad value for parameter n (UInt8): \"x\": expected a whole number, 0 or more"
        );
        assert_eq!(
            SnippetError::MissingParam("brokers".into()).to_string(),
            "missing value for parameter brokers (give it as brokers=VALUE)"
        );
    }

    #[test]
    fn placeholders_in_comments_strings_and_identifiers_stay() {
        let text = "SELECT {a:UInt8}, '{\"json\":1}', \"{a:UInt8}\", `{a:UInt8}` -- {a:UInt8}\n\
                    /* {a:UInt8} */ {not a placeholder} {x:} {:T} map{'k':1}";
        let snippet = parse("p", text).expect("parse");
        assert_eq!(snippet.params.len(), 1);
        let sql = snippet.render(&args(&[("a", "7")])).expect("render");
        assert_eq!(
            sql,
            "SELECT 7, '{\"json\":1}', \"{a:UInt8}\", `{a:UInt8}` -- {a:UInt8}\n\
             /* {a:UInt8} */ {not a placeholder} {x:} {:T} map{'k':1}"
        );
    }

    #[test]
    fn escaped_quotes_in_strings() {
        let snippet = parse("q", r"SELECT 'it\'s', 'a''b', {x:UInt8}").expect("parse");
        assert_eq!(
            snippet.render(&args(&[("x", "1")])).expect("render"),
            r"SELECT 'it\'s', 'a''b', 1"
        );
    }

    #[test]
    fn spaces_in_placeholders_and_repeats() {
        let snippet =
            parse("r", "SELECT { v : UInt8 }, {v:uint8}, {w:DateTime64(3)}").expect("parse");
        assert_eq!(snippet.params.len(), 2);
        assert_eq!(
            snippet
                .render(&args(&[("v", "2"), ("w", "2025-01-01")]))
                .expect("render"),
            "SELECT 2, 2, CAST('2025-01-01 00:00:00' AS DateTime64(3))"
        );
    }

    #[test]
    fn assignments() {
        let parsed = parse_assignments(["brokers=a:1,b:2", "topic=x=y", "n= 3"]).expect("parse");
        assert_eq!(parsed["brokers"], "a:1,b:2");
        assert_eq!(parsed["topic"], "x=y");
        assert_eq!(parsed["n"], " 3");
        assert!(matches!(
            parse_assignments(["novalue"]),
            Err(SnippetError::BadArgument(_))
        ));
        assert!(matches!(
            parse_assignments(["=x"]),
            Err(SnippetError::BadArgument(_))
        ));
    }

    #[test]
    fn store_shadowing_and_listing() {
        let user = TempDir::new("user");
        let store = SnippetStore::with_dirs(None, Some(user.0.clone()));
        let listed = store.list();
        assert_eq!(listed.len(), SHIPPED.len());
        assert!(listed
            .iter()
            .all(|e| e.origin == Origin::Shipped && e.error.is_none()));
        let titles: Vec<&str> = listed.iter().map(|e| e.title.as_str()).collect();
        assert!(titles.contains(&"Running count of School documents"));

        fs::write(
            user.0.join("school-count.sql"),
            "-- title: My count\n-- params: brokers:String=mine:9092\nSELECT {brokers:String}\n",
        )
        .expect("write");
        fs::write(user.0.join("aaa.sql"), "-- title: First\nSELECT 1\n").expect("write");
        fs::write(user.0.join("broken.sql"), "SELECT {a:Nope}\n").expect("write");
        fs::write(user.0.join("not a name.sql"), "SELECT 1\n").expect("write");
        fs::write(user.0.join("notes.txt"), "x").expect("write");

        let listed = store.list();
        let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), SHIPPED.len() + 2);
        let own = listed
            .iter()
            .find(|e| e.name == "school-count")
            .expect("entry");
        assert_eq!(own.title, "My count");
        assert_eq!(own.origin, Origin::User);
        assert!(own.shadows_shipped);
        let first = &listed[0];
        assert_eq!((first.name.as_str(), first.origin), ("aaa", Origin::User));
        assert!(!first.shadows_shipped);
        let broken = listed.iter().find(|e| e.name == "broken").expect("broken");
        assert!(broken
            .error
            .as_deref()
            .is_some_and(|e| e.contains("unknown type")));

        let snippet = store.get("school-count").expect("get");
        assert_eq!(
            snippet.render(&BTreeMap::new()).expect("render"),
            "SELECT 'mine:9092'"
        );
        assert!(matches!(
            store.get("broken"),
            Err(SnippetError::Parse { .. })
        ));
        assert!(matches!(store.get("nope"), Err(SnippetError::NotFound(_))));
        assert!(matches!(
            store.get("../x"),
            Err(SnippetError::InvalidName(_))
        ));
        assert_eq!(store.source("emit").expect("emit").origin, Origin::Shipped);
        assert!(store.names().contains(&"aaa".to_owned()));
    }

    #[test]
    fn save_does_not_hide_a_shipped_snippet_unless_told_to() {
        let user = TempDir::new("save-shadow");
        let store = SnippetStore::with_dirs(None, Some(user.0.clone()));
        assert_eq!(store.source("emit").expect("emit").origin, Origin::Shipped);
        let refused = store.save("emit", "SELECT 1 AS mine", false).unwrap_err();
        assert!(
            matches!(&refused, SnippetError::Shadows { name } if name == "emit"),
            "{refused:?}"
        );
        assert!(!user.0.join("emit.sql").exists());
        store
            .save("emit", "SELECT 1 AS mine", true)
            .expect("forced");
        assert!(store.get("emit").expect("emit").body.contains("mine"));
    }

    #[test]
    fn save_keeps_an_existing_snippet_unless_told_to_replace() {
        let user = TempDir::new("save-exists");
        let store = SnippetStore::with_dirs(None, Some(user.0.clone()));
        let own = "-- title: Hand written\n-- params: n:UInt8=1\nSELECT {n:UInt8} AS n;\n";
        let path = user.0.join("inj.sql");
        fs::write(&path, own).expect("write");

        let refused = store
            .save("inj", "SELECT 1 AS saved_one", false)
            .unwrap_err();
        assert!(
            matches!(&refused, SnippetError::Exists { name, path: p } if name == "inj" && *p == path),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("already exists"), "{refused}");
        assert_eq!(fs::read_to_string(&path).expect("read"), own);

        store
            .save("inj", "SELECT 1 AS saved_one", true)
            .expect("replace");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "-- title: inj\n\nSELECT 1 AS saved_one\n"
        );
    }

    #[test]
    fn shipped_dir_overrides_embedded() {
        let shipped = TempDir::new("shipped");
        fs::write(
            shipped.0.join("emit.sql"),
            "-- title: Newer emit\nSELECT 1\n",
        )
        .expect("write");
        fs::write(shipped.0.join("extra.sql"), "-- title: Extra\nSELECT 2\n").expect("write");
        let store = SnippetStore::with_dirs(Some(shipped.0.clone()), None);
        assert_eq!(store.get("emit").expect("emit").title, "Newer emit");
        assert_eq!(store.get("extra").expect("extra").body, "SELECT 2");
        let source = store.source("emit").expect("source");
        assert_eq!(source.path, Some(shipped.0.join("emit.sql")));
        let listed = store.list();
        assert_eq!(listed.len(), SHIPPED.len() + 1);
        assert!(listed
            .iter()
            .all(|e| e.origin == Origin::Shipped && !e.shadows_shipped));
        // Without a user dir, saving is an error.
        assert!(matches!(
            store.save("x", "SELECT 1", false),
            Err(SnippetError::NoUserDir)
        ));
    }

    #[test]
    fn save_and_edit() {
        let user = TempDir::new("save");
        let nested = user.0.join("snippets");
        let store = SnippetStore::with_dirs(None, Some(nested.clone()));

        let path = store
            .save(
                "mine",
                "-- counts\nSELECT count() FROM table({s:Identifier});",
                false,
            )
            .expect("save");
        assert_eq!(path, nested.join("mine.sql"));
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "-- title: mine\n\n-- counts\nSELECT count() FROM table({s:Identifier});\n"
        );
        let snippet = store.get("mine").expect("get");
        assert_eq!(
            snippet.body,
            "-- counts\nSELECT count() FROM table({s:Identifier});"
        );
        assert_eq!(
            snippet.render(&args(&[("s", "document")])).expect("render"),
            "-- counts\nSELECT count() FROM table(document);"
        );

        let path = store
            .save("titled", "-- title: Has one\nSELECT 1", false)
            .expect("save");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "-- title: Has one\nSELECT 1\n"
        );
        assert!(matches!(
            store.save("bad name", "SELECT 1", false),
            Err(SnippetError::InvalidName(_))
        ));
        assert!(matches!(
            store.save("quoted", "SELECT '{a:String}'", false),
            Err(SnippetError::Parse { .. })
        ));
        assert!(!nested.join("quoted.sql").exists());

        let mut names: Vec<String> = fs::read_dir(&nested)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["mine.sql", "titled.sql"]);
    }
}
