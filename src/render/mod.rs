//! Values to text: the output formats (table, live, chart, vertical, JSON lines, CSV, TSV, raw) shared by batch mode and the shell.
//!
//! A query's output goes through a [`Sink`] made by [`sink_for`]: `header` once, `block` for
//! each block of rows as it arrives, `finish` at the end (or on cancel). Every call appends
//! bytes to `out` and never buffers rows for later, so streaming queries print as they run.
//! Cell text always comes from `crate::wire::value` (`Style::Plain` for people, the
//! ClickHouse styles for machine formats); this module only lays it out.

mod chart;
mod lines;
mod live;
mod rows;
mod safe;
mod short;
mod table;
mod text;
mod vertical;

#[cfg(test)]
mod testutil;

pub use chart::{ChartSink, ChartSpec};
pub use lines::{JsonSink, NullSink, RawSink, SeparatedSink};
pub use live::LiveSink;
pub use rows::write_rows;
pub use table::TableSink;
pub use vertical::VerticalSink;

use crate::wire::Block;

/// An output format, as chosen by `--format` or `:format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns, streamed: the header is printed once and re-printed when columns widen;
    /// rows too wide for the terminal turn the query vertical (see [`RenderOpts::auto_vertical`]).
    Table,
    /// One `name: value` line per column, rows one after another (`\G`).
    Vertical,
    /// JSON lines (ClickHouse JSONEachRow): one object per row.
    Json,
    /// ClickHouse CSV, no header line.
    Csv,
    /// ClickHouse CSVWithNames: CSV after a line of the column names.
    CsvWithNames,
    /// ClickHouse TabSeparated, no header line.
    Tsv,
    /// ClickHouse TabSeparatedWithNames: TSV after a line of the column names.
    TsvWithNames,
    /// ClickHouse TabSeparatedRaw: tab-separated, strings as raw bytes.
    Raw,
    /// The latest result set of a streaming aggregate, redrawn in place on each emit.
    Live,
    /// A chart redrawn in place: lines over a time column, bars per key, or a single value
    /// with a sparkline (see [`ChartSink`]).
    Chart,
    /// Nothing: rows are received, decoded and counted, not shown (ClickHouse's `Null`), to
    /// time a query or the transfer alone.
    Null,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Table,
        Format::Vertical,
        Format::Json,
        Format::Csv,
        Format::CsvWithNames,
        Format::Tsv,
        Format::TsvWithNames,
        Format::Raw,
        Format::Live,
        Format::Chart,
        Format::Null,
    ];

    /// Parse a format name (case-insensitive). ClickHouse's names for the same formats
    /// (`JSONEachRow`, `TabSeparated`, `TabSeparatedRaw`, `PrettyCompact`, `Null`, ...) are
    /// accepted too; every `Pretty…` variant is the table.
    pub fn parse(s: &str) -> Option<Format> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("pretty") {
            return Some(Format::Table);
        }
        Some(match s.as_str() {
            "table" => Format::Table,
            "vertical" => Format::Vertical,
            "json" | "jsonl" | "jsonlines" | "ndjson" | "jsoneachrow" => Format::Json,
            "csv" => Format::Csv,
            "csvwithnames" => Format::CsvWithNames,
            "tsv" | "tabseparated" => Format::Tsv,
            "tsvwithnames" | "tabseparatedwithnames" => Format::TsvWithNames,
            "raw" | "tsvraw" | "tabseparatedraw" => Format::Raw,
            "live" => Format::Live,
            "chart" => Format::Chart,
            "null" => Format::Null,
            _ => return None,
        })
    }

    /// The format a statement asks for itself, if any: a trailing `\G` (vertical), else its
    /// `FORMAT name` clause; `None` leaves the choice to the shell or the batch run. An error
    /// for a clause the shell cannot write. The clause is sent to the server as written (it
    /// ignores it for a native client).
    pub fn of_statement(vertical: bool, clause: Option<&str>) -> Result<Option<Format>, String> {
        if vertical {
            return Ok(Some(Format::Vertical));
        }
        let Some(name) = clause else {
            return Ok(None);
        };
        if name.trim().eq_ignore_ascii_case("json") {
            // ClickHouse's JSON, not the shell's `json` (JSON lines).
            return Err(format!(
                "FORMAT {name}: ClickHouse's JSON is one document, which a stream would never \
                 close; FORMAT JSONEachRow writes an object per row. {REFUSAL}"
            ));
        }
        match Format::parse(name) {
            Some(Format::Live | Format::Chart) | None => Err(format!("FORMAT {name}: {REFUSAL}")),
            Some(f) => Ok(Some(f)),
        }
    }

    /// The canonical name, as `parse` accepts it and `:format` lists it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Vertical => "vertical",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::CsvWithNames => "csvwithnames",
            Format::Tsv => "tsv",
            Format::TsvWithNames => "tsvwithnames",
            Format::Raw => "raw",
            Format::Live => "live",
            Format::Chart => "chart",
            Format::Null => "null",
        }
    }
}

/// What a statement's `FORMAT` clause may name, said when it names something else: the
/// ClickHouse formats the shell writes as clickhouse-client does (and their aliases).
const REFUSAL: &str = "proton-shell writes Pretty… (a table), Vertical, JSONEachRow (JSONLines), \
     CSV, CSVWithNames, TabSeparated (TSV), TabSeparatedWithNames (TSVWithNames), \
     TabSeparatedRaw (TSVRaw) or Null; drop the clause to use the shell's format (`:format`)";

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the terminal can take, and how the output should look.
///
/// Build it with `..RenderOpts::default()` so new knobs get their defaults.
#[derive(Clone, Debug)]
pub struct RenderOpts {
    /// Emit ANSI colour and attributes.
    pub color: bool,
    /// Terminal columns; 0 = unlimited (nothing is cut, the table never turns vertical).
    pub width: usize,
    /// stdout is a terminal (Live redraws in place only then).
    pub is_tty: bool,
    /// Table: when the first rows would not fit `width`, show the query vertically instead
    /// (as psql's `\x auto`). True by default; false when the user forced the table.
    pub auto_vertical: bool,
    /// The terminal width as it is now, asked before each block so a resize is picked up
    /// at the next block (table and live). `None` from the callback keeps the last width;
    /// ignored when `width` is 0 (not a terminal). Typically `Some(crate::run::width)`.
    pub width_now: Option<fn() -> Option<usize>>,
    /// JSON: write 64-bit and wider integers as strings, as ClickHouse's JSONEachRow does
    /// by default (`output_format_json_quote_64bit_integers=1`). Off: plain JSON numbers.
    pub json_quote_64bit: bool,
}

impl Default for RenderOpts {
    fn default() -> Self {
        RenderOpts {
            color: false,
            width: 0,
            is_tty: false,
            auto_vertical: true,
            width_now: None,
            json_quote_64bit: false,
        }
    }
}

impl RenderOpts {
    /// The width to lay out with now: `width_now` when it answers, else `width`.
    pub(crate) fn current_width(&self) -> usize {
        if self.width == 0 {
            return 0;
        }
        self.width_now.and_then(|f| f()).unwrap_or(self.width)
    }
}

/// Receives one query's output as it streams and appends terminal bytes to `out`
/// (the caller writes `out` to stdout after each call).
///
/// Every call appends whole lines only: a row is never split across calls, so the caller may
/// stop writing between any two calls and the screen still ends on a complete row.
pub trait Sink: Send {
    /// A 0-row block with the column names and types; called once, before any block.
    /// Sinks also cope with a server that sends no header (the first block then serves).
    fn header(&mut self, header: &Block, out: &mut Vec<u8>);
    /// Rows as they arrive: the whole block at once.
    fn block(&mut self, block: &Block, out: &mut Vec<u8>);
    /// Rows `rows` of `block`, so a large block can be rendered and written in bounded
    /// pieces (and Ctrl-C honoured between them). The caller passes consecutive ranges that
    /// start at 0 and end at `block.rows` (one `0..0` call for an empty block); the
    /// concatenated output is exactly that of `block`. After each call, [`Sink::rows`]
    /// counts the rows whose lines are in `out`.
    ///
    /// The default renders the whole block with the range that reaches its end (and nothing
    /// before): right for sinks that redraw whole blocks, such as the live view.
    fn block_rows(&mut self, block: &Block, rows: std::ops::Range<usize>, out: &mut Vec<u8>) {
        if rows.end >= block.rows {
            self.block(block, out);
        }
    }
    /// The query ended or was cancelled: leave the final state in the scrollback.
    fn finish(&mut self, out: &mut Vec<u8>);
    /// Rows rendered so far, i.e. whose lines have been appended to `out` (for
    /// "Query cancelled (N rows)").
    fn rows(&self) -> u64;
    /// The sink has seen enough (a macro that hit an error): the query is cancelled.
    fn wants_stop(&self) -> bool {
        false
    }
    /// The table turned vertical because its rows were too wide for the terminal (see
    /// [`RenderOpts::auto_vertical`]); the caller may say so, e.g. in a hint on stderr.
    fn switched_to_vertical(&self) -> bool {
        false
    }
}

/// Clamp `rows` to the rows of a block with `n` rows.
#[inline]
pub(crate) fn clamp_rows(rows: std::ops::Range<usize>, n: usize) -> std::ops::Range<usize> {
    let end = rows.end.min(n);
    rows.start.min(end)..end
}

/// The sink for `format`; machine formats shown on a terminal go through [`safe::TerminalSafe`].
pub fn sink_for(format: Format, opts: &RenderOpts) -> Box<dyn Sink> {
    let machine = matches!(
        format,
        Format::Json
            | Format::Csv
            | Format::CsvWithNames
            | Format::Tsv
            | Format::TsvWithNames
            | Format::Raw
    );
    let sink = sink_of(format, opts);
    if machine && opts.is_tty {
        // Byte for byte into pipes; on a terminal, values must not run as its commands.
        Box::new(safe::TerminalSafe::new(sink, format == Format::Json))
    } else {
        sink
    }
}

fn sink_of(format: Format, opts: &RenderOpts) -> Box<dyn Sink> {
    match format {
        Format::Table => Box::new(TableSink::new(opts)),
        Format::Vertical => Box::new(VerticalSink::new(opts)),
        Format::Json => Box::new(JsonSink::new(opts)),
        Format::Csv => Box::new(SeparatedSink::new(rows::Line::Csv, false)),
        Format::CsvWithNames => Box::new(SeparatedSink::new(rows::Line::Csv, true)),
        Format::Tsv => Box::new(SeparatedSink::new(rows::Line::Tsv, false)),
        Format::TsvWithNames => Box::new(SeparatedSink::new(rows::Line::Tsv, true)),
        Format::Raw => Box::new(RawSink::default()),
        Format::Live => Box::new(LiveSink::new(opts)),
        Format::Chart => Box::new(ChartSink::new(opts, ChartSpec::default())),
        Format::Null => Box::new(NullSink::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    /// Rows of varied widths (the widest late), NULLs and wide integers.
    fn varied(n: usize) -> Block {
        let ids: Vec<u64> = (0..n as u64).map(|i| i * i * 1_000_003).collect();
        let words = ["a", "bb", "a\tb", "", "ünïcødé", "東京"];
        let mut s: Vec<String> = (0..n).map(|i| words[i % words.len()].to_string()).collect();
        if let Some(last) = s.last_mut() {
            *last = "the widest value comes last".into();
        }
        let opt: Vec<Option<&str>> = s
            .iter()
            .enumerate()
            .map(|(i, v)| (i % 3 != 1).then_some(v.as_str()))
            .collect();
        let strs: Vec<&str> = s.iter().map(|v| v.as_str()).collect();
        let floats: Vec<f64> = (0..n).map(|i| i as f64 / 8.0 - 3.0).collect();
        block(vec![
            u64_col("id", &ids),
            str_col("s", &strs),
            nullable_str_col("maybe", &opt),
            f64_col("x", &floats),
        ])
    }

    /// `format`'s output for `blocks`, each fed whole or in ranges of `step` rows.
    fn render(format: Format, opts: &RenderOpts, blocks: &[Block], step: Option<usize>) -> String {
        let mut s = sink_for(format, opts);
        let mut out = Vec::new();
        s.header(&varied(0), &mut out);
        let mut seen = 0;
        for b in blocks {
            match step {
                None => s.block(b, &mut out),
                Some(step) => {
                    let mut start = 0;
                    loop {
                        let end = (start + step).min(b.rows);
                        s.block_rows(b, start..end, &mut out);
                        if !matches!(format, Format::Live | Format::Chart) {
                            assert_eq!(s.rows(), (seen + end) as u64, "{format} rows()");
                            assert!(out.is_empty() || out.ends_with(b"\n"), "{format}");
                        }
                        if end == b.rows {
                            break;
                        }
                        start = end;
                    }
                }
            }
            seen += b.rows;
            assert_eq!(s.rows(), seen as u64, "{format}: every row counted");
        }
        s.finish(&mut out);
        text(&out)
    }

    #[test]
    fn ranges_concatenate_to_the_whole_block_in_every_format() {
        let blocks = [varied(23), varied(0), varied(9)];
        for &format in Format::ALL {
            // Live and chart redraw per emit, timed by the clock: one block, one emit.
            let redraws = matches!(format, Format::Live | Format::Chart);
            let blocks = if redraws { &blocks[..1] } else { &blocks[..] };
            for (color, width, is_tty) in [(false, 0, false), (true, 40, true), (false, 200, true)]
            {
                let opts = RenderOpts {
                    color,
                    width,
                    is_tty,
                    json_quote_64bit: width == 40,
                    ..RenderOpts::default()
                };
                let whole = render(format, &opts, blocks, None);
                if format == Format::Null {
                    assert_eq!(whole, "", "null shows nothing");
                } else {
                    assert!(whole.lines().count() >= 9, "{format}: {whole}");
                }
                for step in [1, 2, 7, 100] {
                    assert_eq!(
                        render(format, &opts, blocks, Some(step)),
                        whole,
                        "{format} in ranges of {step} ({color}, {width})"
                    );
                }
            }
        }
    }

    #[test]
    fn live_draws_a_block_with_its_last_range() {
        let opts = RenderOpts {
            is_tty: true,
            width: 80,
            ..RenderOpts::default()
        };
        let mut s = sink_for(Format::Live, &opts);
        let b = varied(5);
        let mut out = Vec::new();
        s.block_rows(&b, 0..3, &mut out);
        assert!(out.is_empty());
        assert_eq!(s.rows(), 0, "nothing drawn, nothing counted");
        s.block_rows(&b, 3..5, &mut out);
        assert_eq!(s.rows(), 5);
        assert!(text(&out).contains("5 rows"), "{}", text(&out));
    }

    #[test]
    fn current_width_follows_the_callback_on_a_terminal_only() {
        let mut o = RenderOpts {
            width: 80,
            width_now: Some(|| Some(33)),
            ..RenderOpts::default()
        };
        assert_eq!(o.current_width(), 33);
        o.width_now = Some(|| None);
        assert_eq!(o.current_width(), 80, "no answer: the last width");
        o.width = 0;
        o.width_now = Some(|| Some(33));
        assert_eq!(o.current_width(), 0, "not a terminal: unlimited");
        assert!(RenderOpts::default().auto_vertical);
    }

    #[test]
    fn a_format_clause_is_refused_unless_the_shell_writes_it_as_clickhouse_does() {
        // Every name the refusal lists is accepted, as the format it names.
        for (name, f) in [
            ("PrettyCompact", Format::Table),
            ("Vertical", Format::Vertical),
            ("JSONEachRow", Format::Json),
            ("JSONLines", Format::Json),
            ("CSV", Format::Csv),
            ("CSVWithNames", Format::CsvWithNames),
            ("TabSeparated", Format::Tsv),
            ("TSV", Format::Tsv),
            ("TabSeparatedWithNames", Format::TsvWithNames),
            ("TSVWithNames", Format::TsvWithNames),
            ("TabSeparatedRaw", Format::Raw),
            ("TSVRaw", Format::Raw),
            ("Null", Format::Null),
        ] {
            assert_eq!(
                Format::of_statement(false, Some(name)),
                Ok(Some(f)),
                "{name}"
            );
            assert!(
                REFUSAL.contains(name) || name.starts_with("Pretty"),
                "{name}"
            );
        }
        // ClickHouse's JSON is one document (meta, data, statistics), not JSON lines, though
        // `:format json` is JSON lines.
        for name in [
            "JSON",
            "json",
            "XML",
            "Values",
            "JSONCompact",
            "live",
            "chart",
        ] {
            let err = Format::of_statement(false, Some(name)).unwrap_err();
            assert!(err.starts_with(&format!("FORMAT {name}: ")), "{err}");
            assert!(err.contains(REFUSAL), "{err}");
        }
        let err = Format::of_statement(false, Some("JSON")).unwrap_err();
        assert!(err.contains("FORMAT JSONEachRow"), "{err}");
        assert_eq!(Format::parse("json"), Some(Format::Json));
        assert_eq!(Format::of_statement(false, None), Ok(None));
    }

    #[test]
    fn format_names_round_trip() {
        for &f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
            assert_eq!(Format::parse(&f.name().to_uppercase()), Some(f));
        }
        assert_eq!(Format::parse("JSONEachRow"), Some(Format::Json));
        assert_eq!(Format::parse("jsonl"), Some(Format::Json));
        assert_eq!(Format::parse("TabSeparated"), Some(Format::Tsv));
        assert_eq!(Format::parse("TabSeparatedRaw"), Some(Format::Raw));
        assert_eq!(Format::parse("PrettyCompactMonoBlock"), Some(Format::Table));
        assert_eq!(Format::parse("Null"), Some(Format::Null));
        assert_eq!(Format::parse("CSVWithNames"), Some(Format::CsvWithNames));
        assert_eq!(
            Format::parse("TabSeparatedWithNames"),
            Some(Format::TsvWithNames)
        );
        assert_eq!(Format::parse("xml"), None);
    }
}
