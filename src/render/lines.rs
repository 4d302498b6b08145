//! Line formats for machines, byte-compatible with clickhouse-client: JSONEachRow, CSV, TabSeparated, TabSeparatedRaw.
//!
//! None prints a header line (ClickHouse's `CSV` and `TabSeparated` have none). NULL is `\N`
//! in CSV/TSV/raw and `null` in JSON. Raw writes `string`/`fixed_string` values as their bytes,
//! unescaped; other values as in TabSeparated.

use super::tsv::write_rows;
use super::Sink;
use crate::wire::value::json_escape_into;
use crate::wire::{Block, Style};

/// JSON lines: `{"name":value,...}` per row, values in `Style::Json`.
#[derive(Default)]
pub struct JsonSink {
    /// `"name":` for each column, escaped once.
    keys: Vec<Vec<u8>>,
    rows: u64,
}

impl JsonSink {
    fn set_columns(&mut self, block: &Block) {
        self.keys = block
            .columns
            .iter()
            .map(|c| {
                let mut k = Vec::with_capacity(c.name.len() + 3);
                json_escape_into(c.name.as_bytes(), &mut k);
                k.push(b':');
                k
            })
            .collect();
    }
}

impl Sink for JsonSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        self.set_columns(header);
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        if self.keys.len() != block.columns.len() {
            self.set_columns(block);
        }
        for row in 0..block.rows {
            out.push(b'{');
            for (i, (key, col)) in self.keys.iter().zip(&block.columns).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                col.write_cell(row, Style::Json, out);
            }
            out.extend_from_slice(b"}\n");
        }
        self.rows += block.rows as u64;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

/// ClickHouse CSV, no header.
#[derive(Default)]
pub struct CsvSink {
    rows: u64,
}

impl Sink for CsvSink {
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        write_rows(block, Style::Csv, out);
        self.rows += block.rows as u64;
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

/// ClickHouse TabSeparated, no header.
#[derive(Default)]
pub struct TsvSink {
    rows: u64,
}

impl Sink for TsvSink {
    fn header(&mut self, _header: &Block, _out: &mut Vec<u8>) {}

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        write_rows(block, Style::Tsv, out);
        self.rows += block.rows as u64;
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
        for row in 0..block.rows {
            for (i, col) in block.columns.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                match col.value(row).as_bytes() {
                    Some(b) => out.extend_from_slice(b),
                    None => col.write_cell(row, Style::Tsv, out),
                }
            }
            out.push(b'\n');
        }
        self.rows += block.rows as u64;
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
}
