//! Line formats for machines, byte-compatible with clickhouse-client: JSONEachRow, CSV, TabSeparated, TabSeparatedRaw.
//!
//! None prints a header line (ClickHouse's `CSV` and `TabSeparated` have none). NULL is `\N`
//! in CSV/TSV/raw (ClickHouse's default `format_*_null_representation`) and `null` in JSON.
//! Raw writes `string`/`fixed_string` values and enum names as their bytes, unescaped; other
//! values as in TabSeparated. Raw keeps `\N` for NULL as ClickHouse's TabSeparatedRaw does
//! (18.16 wrote `ᴺᵁᴸᴸ`): it is the only way a reader of raw lines can tell NULL from an empty
//! string.
//!
//! JSON writes 64-bit and wider integers as JSON numbers by default (valid JSON, and what
//! `jq` and most readers expect); [`RenderOpts::json_quote_64bit`] quotes them as ClickHouse's
//! JSONEachRow does by default, for readers that parse numbers as doubles: at any depth (an
//! `array(int64)` is an array of strings), and intervals too ([`Style::JsonQuote64`]).

use super::rows::{Key, Line, Lines};
use super::{clamp_rows, RenderOpts, Sink};
use crate::wire::{Block, Style};
use std::ops::Range;

/// JSON lines: `{"name":value,...}` per row, values in `Style::Json` (or
/// `Style::JsonQuote64`).
#[derive(Default)]
pub struct JsonSink {
    /// `"name":` for each column, escaped once.
    keys: Vec<Key>,
    quote_64bit: bool,
    rows: u64,
    lines: Lines,
}

impl JsonSink {
    pub fn new(opts: &RenderOpts) -> Self {
        JsonSink {
            quote_64bit: opts.json_quote_64bit,
            ..JsonSink::default()
        }
    }

    fn set_columns(&mut self, block: &Block) {
        self.keys = block.columns.iter().map(|c| Key::new(&c.name)).collect();
    }
}

impl Sink for JsonSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        self.set_columns(header);
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_rows(block, 0..block.rows, out);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        if self.keys.len() != block.columns.len() {
            self.set_columns(block);
        }
        let rows = clamp_rows(rows, block.rows);
        let line = Line::Json {
            keys: &self.keys,
            quote_64bit: self.quote_64bit,
        };
        self.lines.write(block, rows.clone(), line, out);
        self.rows += rows.len() as u64;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

/// Nothing at all: rows are counted, not shown (ClickHouse's `Null` format).
#[derive(Default)]
pub struct NullSink {
    rows: u64,
}

impl Sink for NullSink {
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}

    fn block(&mut self, block: &Block, _out: &mut Vec<u8>) {
        self.rows += block.rows as u64;
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, _out: &mut Vec<u8>) {
        self.rows += clamp_rows(rows, block.rows).len() as u64;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

/// ClickHouse CSV or TabSeparated (`line`), with no header or (CSVWithNames,
/// TabSeparatedWithNames) a line of the column names first.
pub struct SeparatedSink {
    line: Line<'static>,
    rows: u64,
    lines: Lines,
    /// The names line is still to be written: once, from the header block, or from the first
    /// block if a server sends no header.
    names_due: bool,
}

impl SeparatedSink {
    /// `line` is [`Line::Tsv`] or [`Line::Csv`].
    pub(crate) fn new(line: Line<'static>, with_names: bool) -> Self {
        SeparatedSink {
            line,
            rows: 0,
            lines: Lines::default(),
            names_due: with_names,
        }
    }
}

impl Sink for SeparatedSink {
    fn header(&mut self, header: &Block, out: &mut Vec<u8>) {
        if !self.names_due || header.columns.is_empty() {
            return;
        }
        if let Some(separated) = self.line.separated() {
            for (i, col) in header.columns.iter().enumerate() {
                if i > 0 {
                    out.push(separated.sep);
                }
                (separated.escape)(col.name.as_bytes(), out);
            }
            out.push(b'\n');
        }
        self.names_due = false;
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_rows(block, 0..block.rows, out);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        self.header(block, out);
        let rows = clamp_rows(rows, block.rows);
        self.lines.write(block, rows.clone(), self.line, out);
        self.rows += rows.len() as u64;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

/// ClickHouse TabSeparatedRaw: strings unescaped, for piping.
#[derive(Default)]
pub struct RawSink {
    rows: u64,
}

impl Sink for RawSink {
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_rows(block, 0..block.rows, out);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        let rows = clamp_rows(rows, block.rows);
        for row in rows.clone() {
            for (i, col) in block.columns.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                let v = col.value(row);
                match v.as_bytes().or_else(|| Some(v.enum_name()?.as_bytes())) {
                    Some(b) => out.extend_from_slice(b),
                    None => col.write_cell(row, Style::Tsv, out),
                }
            }
            out.push(b'\n');
        }
        self.rows += rows.len() as u64;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{sink_for, Format, RenderOpts};
    use super::*;
    use crate::wire::Data;

    fn sample() -> Block {
        block(vec![
            u64_col("id", &[1, 2]),
            nullable_str_col("s", &[Some("a\t\"b\"\n"), None]),
            f64_col("x", &[0.5, -3.0]),
        ])
    }

    fn run(format: Format) -> String {
        let mut s = sink_for(format, &RenderOpts::default());
        let mut out = Vec::new();
        let b = sample();
        s.header(&block(vec![]), &mut out);
        s.block(&b, &mut out);
        s.block(&b, &mut out);
        s.finish(&mut out);
        assert_eq!(s.rows(), 4);
        text(&out)
    }

    #[test]
    fn csv_bytes_match_clickhouse() {
        let one = "1,\"a\t\"\"b\"\"\n\",0.5\n2,\\N,-3\n";
        assert_eq!(run(Format::Csv), one.repeat(2));
    }

    #[test]
    fn tsv_bytes_match_clickhouse() {
        let one = "1\ta\\t\"b\"\\n\t0.5\n2\t\\N\t-3\n";
        assert_eq!(run(Format::Tsv), one.repeat(2));
    }

    #[test]
    fn raw_leaves_strings_alone() {
        let one = "1\ta\t\"b\"\n\t0.5\n2\t\\N\t-3\n";
        assert_eq!(run(Format::Raw), one.repeat(2));
    }

    #[test]
    fn raw_writes_enum_names_as_they_are() {
        // As ClickHouse's TabSeparatedRaw: an enum name is text, unescaped like a string.
        let e = "enum8('it\\'s' = 1, 'a\tb\\\\' = 2)";
        let b = block(vec![
            col("e", e, fixed(1, &[&[1], &[2]])),
            col(
                "n",
                &format!("nullable({e})"),
                Data::Nullable {
                    nulls: vec![0, 1],
                    inner: Box::new(fixed(1, &[&[1], &[1]])),
                },
            ),
        ]);
        let mut s = sink_for(Format::Raw, &RenderOpts::default());
        let mut out = Vec::new();
        s.block(&b, &mut out);
        assert_eq!(text(&out), "it's\tit's\na\tb\\\t\\N\n");
        let mut s = sink_for(Format::Tsv, &RenderOpts::default());
        let mut out = Vec::new();
        s.block(&b, &mut out);
        assert_eq!(text(&out), "it\\'s\tit\\'s\na\\tb\\\\\t\\N\n");
    }

    #[test]
    fn json_lines_parse() {
        let t = run(Format::Json);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v, serde_json::json!({"id": 1, "s": "a\t\"b\"\n", "x": 0.5}));
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v, serde_json::json!({"id": 2, "s": null, "x": -3}));
        // Key order follows the columns.
        assert!(lines[0].starts_with("{\"id\":1,\"s\":"));
    }

    #[test]
    fn json_escapes_column_names() {
        let mut s = JsonSink::default();
        let mut out = Vec::new();
        s.block(&block(vec![u64_col("a\"b", &[1])]), &mut out);
        assert_eq!(text(&out), "{\"a\\\"b\":1}\n");
    }

    fn wide_ints() -> Block {
        let i128_max = i128::MAX.to_le_bytes();
        let mut u256 = [0u8; 32];
        u256[..16].copy_from_slice(&(1u128 << 100).to_le_bytes());
        u256[31] = 0x80; // 2^255 + 2^100
        block(vec![
            col("a", "int64", fixed(8, &[&(-5i64).to_le_bytes()])),
            col("b", "uint64", fixed(8, &[&u64::MAX.to_le_bytes()])),
            col("c", "int128", fixed(16, &[&i128_max])),
            col("d", "uint256", fixed(32, &[&u256])),
            col(
                "e",
                "nullable(int64)",
                Data::Nullable {
                    nulls: vec![1],
                    inner: Box::new(fixed(8, &[&[0; 8]])),
                },
            ),
            col("f", "int32", fixed(4, &[&7i32.to_le_bytes()])),
        ])
    }

    fn json(quote: bool) -> String {
        let mut s = sink_for(
            Format::Json,
            &RenderOpts {
                json_quote_64bit: quote,
                ..RenderOpts::default()
            },
        );
        let mut out = Vec::new();
        s.block(&wide_ints(), &mut out);
        text(&out)
    }

    const U256: &str =
        "57896044618658097711785492504343953926634992334087932619957021405453268025344";

    #[test]
    fn json_64bit_integers_are_numbers_by_default() {
        let t = json(false);
        assert_eq!(
            t,
            format!(
                "{{\"a\":-5,\"b\":18446744073709551615,\"c\":{},\"d\":{U256},\"e\":null,\"f\":7}}\n",
                i128::MAX
            )
        );
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["b"].as_u64(), Some(u64::MAX));
    }

    #[test]
    fn json_quote_64bit_quotes_as_clickhouse() {
        let t = json(true);
        assert_eq!(
            t,
            format!(
                "{{\"a\":\"-5\",\"b\":\"18446744073709551615\",\"c\":\"{}\",\"d\":\"{U256}\",\"e\":null,\"f\":7}}\n",
                i128::MAX
            )
        );
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["d"].as_str(), Some(U256));
    }
}
