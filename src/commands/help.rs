//! `:help`: the command table (from the command registry) and short topics that teach Proton SQL.
//!
//! Every topic ends in SQL you can paste and run. The examples build on two small streams,
//! `readings` (a normal stream you insert into) and `devices` (a random stream that produces
//! rows by itself), so they also work on a fresh Proton without Kafka.

use super::{lookup, CommandInfo, Group, COMMANDS};
use crate::style::{self, paint};
use nu_ansi_term::Color;
use unicode_width::UnicodeWidthStr;

/// One help topic.
pub struct Topic {
    pub name: &'static str,
    /// Other words that find this topic (`:help tumble` finds `windows`).
    pub aliases: &'static [&'static str],
    pub title: &'static str,
    /// Prose first, then SQL; lines starting with `--` are comments in the SQL.
    pub body: &'static str,
}

pub static TOPICS: &[Topic] = &[
    Topic {
        name: "streams",
        aliases: &["table", "table()", "bounded", "unbounded", "stream"],
        title: "Streams and table(): unbounded vs bounded queries",
        body: "\
A SELECT over a stream is unbounded: it starts at \"now\", prints rows as they arrive
and runs until you press Ctrl-C. Wrap the stream in table(...) to read the rows that are
already stored instead; that query ends like a normal database query. A LIMIT also ends
a streaming query once enough rows have arrived.

  CREATE STREAM IF NOT EXISTS readings(device string, temperature float32);
  INSERT INTO readings(device, temperature) VALUES ('a', 21.5), ('b', 19.0);
  SELECT * FROM table(readings);        -- the rows stored so far; ends
  SELECT * FROM readings;               -- waits for new rows; Ctrl-C stops it
  SELECT count() FROM table(readings);  -- a one-off count
  SELECT count() FROM readings;         -- a running count, every 2 s if rows arrived

`SETTINGS query_mode='table'` makes a whole query historical. System tables
(system.tables, …) are always bounded.",
    },
    Topic {
        name: "external",
        aliases: &["kafka", "external-streams", "redpanda"],
        title: "External streams: query a Kafka topic in place",
        body: "\
An external stream reads (and writes) a Kafka topic without copying it into Proton.
A single `raw string` column receives each message as text (data_format 'RawBLOB').
A streaming query starts at the latest offset; table(...) reads the topic from the start.

  CREATE EXTERNAL STREAM IF NOT EXISTS edfi_docs (raw string)
  SETTINGS type = 'kafka', brokers = 'redpanda:9092', topic = 'edfi.dms.document';
  SELECT count() FROM table(edfi_docs);                 -- messages already in the topic
  SELECT raw:resourcename AS resource, count() FROM edfi_docs GROUP BY resource;

The topic must exist before CREATE. Other SETTINGS: data_format ('JSONEachRow', 'CSV',
'Avro', …), security_protocol, sasl_mechanism, username, password, properties.
See also :help seek_to and :help virtual.",
    },
    Topic {
        name: "json",
        aliases: &["raw", "raw:", "json_value", "shortcut"],
        title: "JSON shortcut: raw:a.b",
        body: "\
`col:a.b.c` reads a path out of a JSON string column; it is short for
json_value(col, '$.a.b.c') and returns a string. Add `::type` to cast it. Keys with dots
go in backticks: raw:`a.b`.c. Objects and arrays come back as JSON text.

  CREATE STREAM IF NOT EXISTS events(raw string);
  INSERT INTO events(raw) VALUES ('{\"user\":{\"id\":7,\"name\":\"ann\"},\"tags\":[\"x\",\"y\"]}');
  SELECT raw:user.id::int + 1 AS next_id, raw:user.name AS name FROM table(events);
  SELECT array_join(json_extract_array(raw:tags)) AS tag FROM table(events);

Other JSON functions: json_extract_string(raw, 'user', 'name'), json_extract_int,
json_has, json_query(raw, '$.tags[*]'), is_valid_json.",
    },
    Topic {
        name: "windows",
        aliases: &["window", "tumble", "hop", "session", "window_start"],
        title: "Windows: tumble, hop and session",
        body: "\
Windowed aggregations group events by time (the _tp_time column unless you name another)
and emit one result per window when the window closes.

  CREATE RANDOM STREAM IF NOT EXISTS devices(
    device string DEFAULT concat('dev-', to_string(rand() % 4)),
    temperature float32 DEFAULT rand() % 1000 / 10
  ) SETTINGS eps = 5;
  -- tumble: fixed, non-overlapping 5 s windows
  SELECT window_start, device, count(), avg(temperature)
  FROM tumble(devices, 5s) GROUP BY window_start, device;
  -- hop: 10 s windows that start every 2 s (they overlap)
  SELECT window_start, window_end, max(temperature)
  FROM hop(devices, 2s, 10s) GROUP BY window_start, window_end;
  -- session: per device (PARTITION BY), closed after 3 s without events
  SELECT window_start, window_end, device, count()
  FROM session(devices, 3s) PARTITION BY device GROUP BY window_start, window_end, device;

A global aggregation (no window) instead sends its running result every 2 s, but only
after new rows arrived; see :help emit.",
    },
    Topic {
        name: "emit",
        aliases: &["periodic", "changelog", "watermark"],
        title: "EMIT: when a streaming query sends results",
        body: "\
Without a window, an aggregation emits its running result every 2 s (only when new rows
arrived). EMIT changes that. In this shell such results show in the live view, redrawn
in place; :format table appends them instead.

  SELECT device, count() FROM devices GROUP BY device EMIT PERIODIC 1s;
  -- one row per changed group, with _tp_delta = +1 / -1
  SELECT device, count() FROM devices GROUP BY device EMIT CHANGELOG;
  -- windows: emit when the watermark passes the window end, allowing 2 s of late events
  SELECT window_start, count() FROM tumble(devices, 5s)
  GROUP BY window_start EMIT AFTER WATERMARK WITH DELAY 2s;

This is the Proton 1.x spelling. Proton 3.x calls the last one AFTER WINDOW CLOSE, adds
EMIT PERIODIC … REPEAT (1.x has it from 1.6.2) and ON UPDATE WITH BATCH.",
    },
    Topic {
        name: "mv",
        aliases: &["materialized-view", "materialized", "view", "views"],
        title: "Materialized views: queries that keep running",
        body: "\
A materialized view runs its streaming query in the server all the time and stores the
results. Query it like a stream: plain SELECT for new results, table(...) for past ones.

  CREATE MATERIALIZED VIEW IF NOT EXISTS hot_devices AS
    SELECT window_start, device, max(temperature) AS max_t
    FROM tumble(devices, 5s) GROUP BY window_start, device;
  SELECT * FROM table(hot_devices);   -- every result so far; ends
  SELECT * FROM hot_devices;          -- results as they are produced
  DROP VIEW hot_devices;

`CREATE MATERIALIZED VIEW v INTO target AS …` writes into an existing stream (or a
Kafka external stream) instead.",
    },
    Topic {
        name: "seek_to",
        aliases: &["seek", "replay", "earliest", "offset"],
        title: "seek_to: start a streaming query in the past",
        body: "\
A streaming query starts at \"now\". SETTINGS seek_to starts it earlier and then keeps
streaming. Values: 'earliest', 'latest', a time, a relative time, or (Kafka) offsets.

  SELECT * FROM readings SETTINGS seek_to = 'earliest';
  SELECT * FROM readings SETTINGS seek_to = '-5m';          -- the last five minutes on
  SELECT * FROM readings SETTINGS seek_to = '2025-01-01 00:00:00';
  -- Kafka: one offset per partition, in partition order (inclusive)
  SELECT _tp_shard, _tp_sn, raw FROM edfi_docs SETTINGS seek_to = '5,3,11';

To resume a Kafka read, remember max(_tp_sn) per _tp_shard and seek to each plus one.",
    },
    Topic {
        name: "virtual",
        aliases: &[
            "_tp_time",
            "_tp_sn",
            "_tp_shard",
            "columns",
            "virtual-columns",
        ],
        title: "Virtual columns: _tp_time, _tp_sn, _tp_shard",
        body: "\
Every stream has an event-time column _tp_time (set on insert unless you give it, and
the default time column of windows). Kafka external streams also expose the message's
partition (_tp_shard) and offset (_tp_sn). SELECT * leaves them out: name them.

  SELECT _tp_time, * FROM table(readings);
  SELECT _tp_shard, _tp_sn, _tp_time, raw FROM table(edfi_docs) LIMIT 5;
  SELECT _tp_shard, max(_tp_sn) FROM table(edfi_docs) GROUP BY _tp_shard;

On Proton 1.x the Kafka message key is _message_key; newer releases call it
_tp_message_key.",
    },
    Topic {
        name: "keys",
        aliases: &["shell", "keyboard", "shortcuts", "editing"],
        title: "Using the shell",
        // `\x20`: a `\` line continuation would eat the first line's indentation.
        body: "\
\x20 Enter           runs the statement once it ends with `;` (otherwise: next line)
  \\G at the end   shows that statement's rows vertically
  Ctrl-C          cancels the running query on the server; at the prompt, clears the line
  Ctrl-D          on an empty line, leaves the shell (so do `exit`, `quit`, `:q`)
  Ctrl-R          searches the history; Up/Down walk it
  Tab             completes keywords, streams, columns, functions, settings, :commands

A line starting with a space is not saved in the history, nor is a statement with a
password in it.",
    },
];

/// Topics whose SQL is spelled differently on Proton 3.x: (topic name, 3.x body). The base
/// body in [`TOPICS`] is the 1.x spelling; `:help` picks by the server's major version
/// (evidence for each example: docs/proton-sql.md).
static V3_BODIES: &[(&str, &str)] = &[
    (
        "windows",
        "\
For Proton 3.x. Windowed aggregations group events by time (the _tp_time column unless you
name another) and emit one result per window when the window closes (EMIT AFTER WINDOW
CLOSE, the default).

  CREATE RANDOM STREAM IF NOT EXISTS devices(
    device string DEFAULT concat('dev-', to_string(rand() % 4)),
    temperature float32 DEFAULT rand() % 1000 / 10
  ) SETTINGS eps = 5;
  -- tumble: fixed, non-overlapping 5 s windows
  SELECT window_start, device, count(), avg(temperature)
  FROM tumble(devices, 5s) GROUP BY window_start, device;
  -- hop: 10 s windows that start every 2 s (they overlap)
  SELECT window_start, window_end, max(temperature)
  FROM hop(devices, 2s, 10s) GROUP BY window_start, window_end;
  -- session: one session per device (the GROUP BY key), closed after 3 s without events
  SELECT window_start, window_end, device, count()
  FROM session(devices, 3s) GROUP BY window_start, window_end, device;

A global aggregation (no window) instead sends its running result every 2 s, but only
after new rows arrived; see :help emit.",
    ),
    (
        "emit",
        "\
For Proton 3.x. Without a window, an aggregation emits its running result every 2 s (only
when new rows arrived). EMIT changes that. In this shell such results show in the live
view, redrawn in place; :format table appends them instead.

  -- every second, even when nothing new arrived
  SELECT device, count() FROM devices GROUP BY device EMIT PERIODIC 1s REPEAT;
  -- the groups that changed, checked once a second
  SELECT device, count() FROM devices GROUP BY device EMIT ON UPDATE WITH BATCH 1s;
  -- one row per changed group, with _tp_delta = +1 / -1
  SELECT device, count() FROM devices GROUP BY device EMIT CHANGELOG;
  -- windows: emit when the window closes, allowing 2 s of late events
  SELECT window_start, count() FROM tumble(devices, 5s)
  GROUP BY window_start EMIT AFTER WINDOW CLOSE WITH DELAY 2s;

Proton 1.x spells the last one AFTER WATERMARK WITH DELAY 2s; REPEAT needs 1.6.2 or newer.",
    ),
];

impl Topic {
    /// The body for a server of major version `major` (`None`: not a Proton server, or not
    /// known; the 1.x spelling, with a note when a 3.x one exists).
    pub fn body_for(&self, major: Option<u64>) -> String {
        let v3 = V3_BODIES
            .iter()
            .find(|(n, _)| *n == self.name)
            .map(|(_, b)| *b);
        match (v3, major) {
            (Some(body), Some(m)) if m >= 3 => body.to_string(),
            (Some(_), Some(_)) => format!("For Proton 1.x (the server's version).\n{}", self.body),
            (Some(_), None) => format!(
                "For Proton 1.x. When the shell is connected to Proton 3.x, `:help {}` shows the 3.x spelling.\n{}",
                self.name, self.body
            ),
            (None, _) => self.body.to_string(),
        }
    }
}

/// A topic by name or alias (case-insensitive).
pub fn topic(name: &str) -> Option<&'static Topic> {
    let n = name.trim().trim_start_matches(':').to_ascii_lowercase();
    TOPICS
        .iter()
        .find(|t| t.name == n || t.aliases.contains(&n.as_str()))
}

fn bold(color: bool, s: &str) -> String {
    paint(color, style::heading(), s)
}

fn dim(color: bool, s: &str) -> String {
    paint(color, style::note(), s)
}

/// The widest the short overview gets (it fits an 80×24 terminal).
const OVERVIEW_WIDTH: usize = 80;

/// `:help` with no argument: every command and topic by name, a screen's worth, at most
/// `width` columns wide; `:help commands` has the table with a line on each.
pub fn overview(color: bool, width: usize) -> String {
    let width = width.min(OVERVIEW_WIDTH);
    let mut out = String::new();
    let label = |t: &str| format!("{t:<12}");
    for g in Group::ALL {
        let names: Vec<String> = COMMANDS
            .iter()
            .filter(|c| c.group == g)
            .map(|c| c.synopsis())
            .collect();
        wrap_into(&mut out, &bold(color, &label(g.title())), &names, width);
    }
    let topics: Vec<String> = TOPICS.iter().map(|t| t.name.to_string()).collect();
    wrap_into(&mut out, &bold(color, &label("Topics")), &topics, width);
    out.push('\n');
    out.push_str(&dim(
        color,
        "`:help commands` describes every command; `:help NAME` one command or topic.\n\
         Statements end with `;`. Ctrl-C cancels a query, Ctrl-D exits.",
    ));
    out
}

/// `label` then the entries two spaces apart, wrapped at `width` under the label's width; an
/// entry is never split.
fn wrap_into(out: &mut String, label: &str, entries: &[String], width: usize) {
    const INDENT: usize = 12;
    out.push_str(label);
    let mut col = INDENT;
    for (i, e) in entries.iter().enumerate() {
        let w = e.chars().count();
        if i > 0 && col + 2 + w > width {
            out.push('\n');
            out.push_str(&" ".repeat(INDENT));
            col = INDENT;
        } else if i > 0 {
            out.push_str("  ");
            col += 2;
        }
        out.push_str(e);
        col += w;
    }
    out.push('\n');
}

/// The widest synopsis that shares its line with the summary in `:help commands`; a longer
/// one has the summary on the next line, so one long usage does not squeeze every summary.
const SYNOPSIS_COLUMN: usize = 28;

/// `:help commands`: every command by group with a line on it, then the topics; wrapped to
/// `width` by [`help_for`].
pub fn command_table(color: bool) -> String {
    let mut out = String::new();
    let width = COMMANDS
        .iter()
        .map(|c| c.synopsis().chars().count())
        .filter(|&w| w <= SYNOPSIS_COLUMN)
        .max()
        .unwrap_or(0);
    for g in Group::ALL {
        let rows: Vec<&CommandInfo> = COMMANDS.iter().filter(|c| c.group == g).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&bold(color, g.title()));
        out.push('\n');
        for c in rows {
            let usage = c.synopsis();
            match width.checked_sub(usage.chars().count()) {
                Some(pad) => {
                    out.push_str(&format!("  {usage}{}  {}\n", " ".repeat(pad), c.summary()))
                }
                None => out.push_str(&format!(
                    "  {usage}\n{}{}\n",
                    " ".repeat(width + 4),
                    c.summary()
                )),
            }
        }
        out.push('\n');
    }
    out.push_str(&bold(color, "Topics"));
    out.push_str(&dim(color, " (`:help NAME`)"));
    out.push('\n');
    let tw = TOPICS.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for t in TOPICS {
        out.push_str(&format!("  {:tw$}  {}\n", t.name, t.title));
    }
    out.push_str(&dim(
        color,
        "\nStatements end with `;`. Ctrl-C cancels a query, Ctrl-D exits.",
    ));
    out
}

/// `:help TOPIC` for a server of major version `major` (see [`Topic::body_for`]), its prose
/// reflowed for `width` columns.
pub fn render_topic(t: &Topic, color: bool, major: Option<u64>, width: usize) -> String {
    let mut out = bold(color, t.title);
    out.push_str("\n\n");
    for line in reflow(&t.body_for(major), width).lines() {
        let is_sql = line.starts_with("  ");
        if is_sql && color {
            // Comments dimmed, SQL in cyan: easy to tell the example from the prose.
            let (code, comment) = match line.find("--") {
                Some(i) => line.split_at(i),
                None => (line, ""),
            };
            out.push_str(&Color::Cyan.paint(code).to_string());
            out.push_str(&dim(true, comment));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `:help COMMAND`.
pub fn render_command(c: &CommandInfo, color: bool) -> String {
    let mut out = format!("{}  {}", bold(color, &c.usage()), c.summary());
    if !c.aliases.is_empty() {
        let a: Vec<String> = c.aliases.iter().map(|a| format!(":{a}")).collect();
        out.push_str(&dim(color, &format!("\n  also: {}", a.join(", "))));
    }
    let detail = c.detail();
    if !detail.is_empty() {
        out.push_str("\n\n");
        out.push_str(&detail);
    }
    out
}

/// The text for `:help ARG`: a topic (in the spelling of Proton `major`), a command, or a
/// list of what exists; wrapped at word boundaries to `width` columns (the terminal's).
pub fn help_for(
    arg: Option<&str>,
    color: bool,
    major: Option<u64>,
    width: usize,
) -> Result<String, String> {
    let Some(arg) = arg else {
        return Ok(wrap(&overview(color, width), width));
    };
    if arg.eq_ignore_ascii_case("commands") {
        return Ok(wrap(&command_table(color), width));
    }
    if let Some(t) = topic(arg) {
        return Ok(wrap(&render_topic(t, color, major, width), width));
    }
    if let Some(c) = lookup(arg) {
        return Ok(wrap(&render_command(c, color), width));
    }
    let names: Vec<&str> = TOPICS.iter().map(|t| t.name).collect();
    Err(format!(
        "no help for `{arg}`; topics: {} (or a :command)",
        names.join(", ")
    ))
}

/// `s` without its colour sequences (`ESC [ … m`): the text a terminal shows.
fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
        } else if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// Columns `s` takes on a terminal; colour sequences take none.
fn columns(s: &str) -> usize {
    UnicodeWidthStr::width(visible(s).as_str())
}

/// Where the continuation of a too-wide line starts. An indented line (a table row, an option,
/// an SQL example) continues under its second column, the text after its first run of two or
/// more spaces, or else under its indentation (if that leaves room); prose at the margin.
fn hang_of(line: &str, width: usize) -> usize {
    let line = visible(line);
    let rest = line.trim_start_matches(' ');
    let indent = line.len() - rest.len();
    if indent == 0 {
        return 0;
    }
    let hang = match rest.find("  ") {
        Some(at) => {
            let run = rest[at..].len() - rest[at..].trim_start_matches(' ').len();
            indent + UnicodeWidthStr::width(&rest[..at]) + run
        }
        None => indent,
    };
    if hang <= width / 2 {
        hang
    } else {
        (indent + 4).min(width / 2)
    }
}

/// Joins each paragraph of prose (unindented lines between blank or indented ones) into one
/// line when one of its lines is wider than `width`, for [`wrap`] to break evenly: the topics
/// are written wrapped at about 88 columns, and a narrower terminal would otherwise break
/// every other line twice. Paragraphs that fit keep their lines.
fn reflow(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, out: &mut Vec<String>| {
        if paragraph.iter().any(|l| columns(l) > width) {
            out.push(paragraph.join(" "));
        } else {
            out.extend(paragraph.iter().map(|l| l.to_string()));
        }
        paragraph.clear();
    };
    for line in text.split('\n') {
        if line.is_empty() || line.starts_with(' ') {
            flush(&mut paragraph, &mut out);
            out.push(line.to_owned());
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut out);
    out.join("\n")
}

/// Wraps each line of `text` wider than `width` columns at spaces, never inside a word (a word
/// wider than the line keeps a line of its own), continuing where [`hang_of`] says. Lines that
/// fit, blank lines and the final newline are kept as they are.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if columns(line) <= width {
            out.push_str(line);
            continue;
        }
        let hang = hang_of(line, width);
        let mut col = 0;
        let mut has_word = false;
        let mut rest = line;
        while !rest.is_empty() {
            let gap = rest.len() - rest.trim_start_matches(' ').len();
            let word_len = rest[gap..].find(' ').unwrap_or(rest.len() - gap);
            let word = &rest[gap..gap + word_len];
            let w = columns(word);
            if has_word && w > 0 && col + gap + w > width {
                out.push('\n');
                out.push_str(&" ".repeat(hang));
                col = hang;
            } else {
                out.push_str(&rest[..gap]);
                col += gap;
            }
            out.push_str(word);
            col += w;
            has_word |= w > 0;
            rest = &rest[gap + word_len..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wider than any help line: nothing wraps.
    const WIDE: usize = 1000;

    #[test]
    fn wrap_breaks_between_words_and_hangs_under_the_second_column() {
        assert_eq!(wrap("short line\n", 20), "short line\n");
        assert_eq!(
            wrap("one two three four five six", 10),
            "one two\nthree four\nfive six"
        );
        // An indented row continues under its second column.
        assert_eq!(
            wrap("  --flag X    the flag that does things", 28),
            "  --flag X    the flag that\n              does things"
        );
        // ... unless that leaves too little room: then a little under the indentation.
        assert_eq!(
            wrap("  --flag X    the flag that does things", 24),
            "  --flag X    the flag\n      that does things"
        );
        // Indented without a second column: under the indentation.
        assert_eq!(wrap("    aa bb cc", 8), "    aa\n    bb\n    cc");
        // A word longer than the line stays whole on a line of its own.
        assert_eq!(
            wrap("see FILE-0001.EXT, FILE-0002.EXT", 10),
            "see\nFILE-0001.EXT,\nFILE-0002.EXT"
        );
        // Colour takes no columns and a line that fits is left alone.
        let bold = "\x1b[1mTitle\x1b[0m words here";
        assert_eq!(wrap(bold, 16), bold);
        assert_eq!(wrap(bold, 11), "\x1b[1mTitle\x1b[0m words\nhere");
        let sql = "\x1b[36m  SELECT a, b\x1b[0m";
        assert_eq!(wrap(sql, 11), "\x1b[36m  SELECT a,\n  b\x1b[0m");
        // Several lines, blank ones and the final newline are kept.
        assert_eq!(wrap("a b\n\nc d\n", 3), "a b\n\nc d\n");
    }

    #[test]
    fn all_help_fits_the_terminal_without_splitting_words() {
        let mut texts = vec![
            help_for(None, false, None, 60).unwrap(),
            help_for(Some("commands"), false, None, 60).unwrap(),
        ];
        for c in COMMANDS {
            texts.push(help_for(Some(c.name), false, None, 60).unwrap());
        }
        for t in TOPICS {
            texts.push(help_for(Some(t.name), false, Some(1), 60).unwrap());
            texts.push(help_for(Some(t.name), false, Some(3), 60).unwrap());
        }
        for text in &texts {
            for line in text.lines() {
                assert!(line.chars().count() <= 60, "{line:?}\n{text}");
            }
        }
        let tee = help_for(Some("tee"), false, None, 60).unwrap();
        assert!(tee.contains("FILE-0002.EXT"), "{tee}");
        let table = help_for(Some("commands"), false, None, 80).unwrap();
        for c in COMMANDS {
            assert!(table.contains(&c.synopsis()), "{}: {table}", c.name);
        }
        assert!(table.contains("tsvwithnames"), "{table}");
        // the same text unwrapped, at any width
        let words = |t: &str| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            words(&help_for(Some("chart"), false, None, 40).unwrap()),
            words(&help_for(Some("chart"), false, None, WIDE).unwrap())
        );
    }

    #[test]
    fn prose_that_does_not_fit_is_reflowed_as_a_paragraph() {
        let text = "a long first line\nsecond\n\n  code stays\nshort\nlines";
        assert_eq!(reflow(text, 80), text);
        assert_eq!(
            reflow(text, 10),
            "a long first line second\n\n  code stays\nshort\nlines"
        );
        let keys = help_for(Some("keys"), false, None, 60).unwrap();
        assert!(
            keys.ends_with("A line starting with a space is not saved in the history,\nnor is a statement with a password in it.\n"),
            "{keys}"
        );
    }

    #[test]
    fn the_keys_topic_lines_up() {
        let keys = help_for(Some("keys"), false, None, WIDE).unwrap();
        assert!(keys.contains("\n  Enter  "), "{keys}");
    }

    #[test]
    fn every_topic_has_a_runnable_example() {
        // `keys` is about the shell itself, not Proton SQL.
        for t in TOPICS.iter().filter(|t| t.name != "keys") {
            assert!(
                t.body.lines().any(
                    |l| l.starts_with("  ") && l.trim_end().ends_with(';') || l.contains(";  ")
                ),
                "topic {} has no SQL example",
                t.name
            );
        }
    }

    #[test]
    fn required_topics_exist() {
        for n in [
            "table",
            "external",
            "raw:",
            "tumble",
            "hop",
            "session",
            "emit",
            "mv",
            "seek_to",
            "_tp_time",
            "_tp_sn",
            "_tp_shard",
        ] {
            assert!(topic(n).is_some(), "{n}");
        }
    }

    #[test]
    fn overview_fits_an_80_by_24_terminal() {
        let o = overview(false, WIDE);
        assert!(o.lines().count() <= 20, "{o}");
        assert!(o.lines().all(|l| l.chars().count() <= 80), "{o}");
        for c in COMMANDS {
            assert!(o.contains(&c.synopsis()), "{}", c.name);
        }
        for t in TOPICS {
            assert!(o.contains(t.name));
        }
        assert!(help_for(Some("commands"), false, None, WIDE)
            .unwrap()
            .contains("teaching hints"));
    }

    #[test]
    fn command_table_lists_every_command_and_topic() {
        let o = command_table(false);
        for c in COMMANDS {
            assert!(o.contains(&c.synopsis()), "{}", c.name);
        }
        for t in TOPICS {
            assert!(o.contains(t.name));
        }
    }

    #[test]
    fn emit_and_windows_follow_the_server_version() {
        let emit = help_for(Some("emit"), false, Some(3), WIDE).unwrap();
        assert!(
            emit.contains("EMIT AFTER WINDOW CLOSE WITH DELAY 2s"),
            "{emit}"
        );
        assert!(emit.contains("For Proton 3.x"));
        assert!(!emit.contains("GROUP BY window_start EMIT AFTER WATERMARK"));
        let emit1 = help_for(Some("emit"), false, Some(1), WIDE).unwrap();
        assert!(
            emit1.contains("EMIT AFTER WATERMARK WITH DELAY 2s"),
            "{emit1}"
        );
        assert!(emit1.contains("For Proton 1.x"));
        let unknown = help_for(Some("emit"), false, None, WIDE).unwrap();
        assert!(unknown.contains("3.x spelling"), "{unknown}");
        let w3 = help_for(Some("windows"), false, Some(3), WIDE).unwrap();
        assert!(!w3.contains("PARTITION BY"), "{w3}");
        let w1 = help_for(Some("windows"), false, Some(1), WIDE).unwrap();
        assert!(w1.contains("PARTITION BY device"), "{w1}");
        // topics without a 3.x body read the same everywhere
        assert_eq!(
            help_for(Some("streams"), false, Some(3), WIDE),
            help_for(Some("streams"), false, Some(1), WIDE)
        );
        for (name, body) in V3_BODIES {
            assert!(topic(name).is_some(), "{name}");
            assert!(body.starts_with("For Proton 3.x"), "{name}");
        }
    }

    #[test]
    fn macro_help_lists_every_option() {
        let h = help_for(Some("validate"), false, None, WIDE).unwrap();
        for flag in [
            "--resume",
            "--reset",
            "--partitions N",
            "--verbose",
            "--brokers B",
        ] {
            assert!(h.contains(flag), "{flag}: {h}");
        }
    }

    #[test]
    fn help_for_command_and_unknown() {
        assert!(help_for(Some(":format"), false, None, WIDE)
            .unwrap()
            .contains(":format"));
        assert!(help_for(Some("nope"), false, None, WIDE)
            .unwrap_err()
            .contains("streams"));
    }

    #[test]
    fn topic_names_and_aliases_are_unique() {
        let mut all: Vec<&str> = TOPICS
            .iter()
            .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(n, all.len());
    }
}
