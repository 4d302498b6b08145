//! Rows in ClickHouse's line formats (TabSeparated, CSV, JSONEachRow), with a fast path for unsigned 64-bit and short string columns.
//!
//! A block's columns are looked at once ([`FastColumn::of`]). When every column has a fast
//! form, rows are written through a [`Cursor`] into a scratch buffer that [`Lines`] keeps
//! between calls, and copied out a chunk at a time; a row with a cell the fast path does not
//! take (a long string, one that needs escaping) is written by the general path instead, in
//! its place. The bytes are the same either way: the general path is the reference, and the
//! tests compare the two.

use super::clamp_rows;
use super::short::{push_u64, Cursor, Short, Special, U64_ROOM, WINDOW};
use crate::wire::value::{csv_quote_into, json_escape_into, tsv_escape_into};
use crate::wire::{Block, Column, Data, Style, TypeDesc};
use std::ops::Range;

/// Append every row of `block` in `style` (TSV or CSV; other styles as tab-separated
/// cells), one line per row.
pub fn write_rows(block: &Block, style: Style, out: &mut Vec<u8>) {
    match style {
        Style::Tsv => Lines::default().write(block, 0..block.rows, Line::Tsv, out),
        Style::Csv => Lines::default().write(block, 0..block.rows, Line::Csv, out),
        _ => {
            for row in 0..block.rows {
                for (i, col) in block.columns.iter().enumerate() {
                    if i > 0 {
                        out.push(b'\t');
                    }
                    col.write_cell(row, style, out);
                }
                out.push(b'\n');
            }
        }
    }
}

/// How a row is laid out.
#[derive(Clone, Copy)]
pub(crate) enum Line<'k> {
    /// Cells escaped as TabSeparated, tab between them.
    Tsv,
    /// Cells as ClickHouse CSV, comma between them.
    Csv,
    /// `{"name":value,...}`, with the keys of the block's columns; `quote_64bit`: 64-bit and
    /// wider integers in quotes (`--json-quote-64bit`, [`Style::JsonQuote64`]).
    Json { keys: &'k [Key], quote_64bit: bool },
}

/// What TSV and CSV differ in: the separator, the style of their cells, and how they write a
/// string (escaped, or in double quotes).
#[derive(Clone, Copy)]
pub(crate) struct Separated {
    pub(crate) sep: u8,
    pub(crate) style: Style,
    pub(crate) escape: fn(&[u8], &mut Vec<u8>),
}

impl Line<'_> {
    /// TSV's and CSV's [`Separated`]; `None` for JSON.
    pub(crate) fn separated(self) -> Option<Separated> {
        match self {
            Line::Tsv => Some(Separated {
                sep: b'\t',
                style: Style::Tsv,
                escape: tsv_escape_into,
            }),
            Line::Csv => Some(Separated {
                sep: b',',
                style: Style::Csv,
                escape: csv_quote_into,
            }),
            Line::Json { .. } => None,
        }
    }
}

/// A JSON object key, `"name":` escaped, kept zero-padded to whole windows so it is copied
/// a window at a time, at constant size.
pub(crate) struct Key {
    padded: Vec<u8>,
    len: usize,
}

impl Key {
    pub(crate) fn new(name: &str) -> Key {
        let mut padded = Vec::with_capacity(name.len() + 3 + WINDOW);
        json_escape_into(name.as_bytes(), &mut padded);
        padded.push(b':');
        let len = padded.len();
        padded.resize(len.div_ceil(WINDOW) * WINDOW, 0);
        Key { padded, len }
    }

    fn bytes(&self) -> &[u8] {
        &self.padded[..self.len]
    }

    /// Room the key needs at a cursor: its whole windows.
    fn room(&self) -> usize {
        self.padded.len()
    }

    #[inline(always)]
    fn write(&self, cur: &mut Cursor) {
        let start = cur.pos();
        for window in self.padded.chunks_exact(WINDOW) {
            if let Some(window) = window.first_chunk::<WINDOW>() {
                cur.window(window, WINDOW);
            }
        }
        cur.rewind(start + self.len);
    }
}

/// Scratch space for the fast path, kept between calls so it is zeroed only once.
#[derive(Default)]
pub(crate) struct Lines {
    scratch: Vec<u8>,
}

/// Bytes of scratch written before they are copied out: fits the first-level cache.
const SCRATCH: usize = 32 * 1024;
/// A row needing more room than this goes the general way.
const MAX_ROW_ROOM: usize = 1 << 20;

impl Lines {
    /// Append rows `rows` of `block` in `line`'s layout, one line per row.
    pub(crate) fn write(
        &mut self,
        block: &Block,
        rows: Range<usize>,
        line: Line,
        out: &mut Vec<u8>,
    ) {
        let rows = clamp_rows(rows, block.rows);
        let cols: Vec<FastColumn> = block.columns.iter().map(FastColumn::of).collect();
        match row_room(&cols, line) {
            Some(room) if room <= MAX_ROW_ROOM => self.fast(&cols, rows, line, room, out),
            _ => {
                for row in rows {
                    general_row(&cols, row, line, out);
                }
            }
        }
    }

    /// Rows through the cursor, `room` bytes of scratch per row at most. The layout is
    /// chosen here, once, so each loop is compiled for its own.
    fn fast(
        &mut self,
        cols: &[FastColumn],
        rows: Range<usize>,
        line: Line,
        room: usize,
        out: &mut Vec<u8>,
    ) {
        match line {
            Line::Tsv => self.fast_with(cols, rows, line, room, out, tsv_row),
            Line::Csv => self.fast_with(cols, rows, line, room, out, csv_row),
            Line::Json { keys, quote_64bit } => {
                let row = |cols: &[FastColumn], row, cur: &mut Cursor| {
                    json_row(cols, keys, quote_64bit, row, cur)
                };
                self.fast_with(cols, rows, line, room, out, row)
            }
        }
    }

    #[inline(always)]
    fn fast_with(
        &mut self,
        cols: &[FastColumn],
        rows: Range<usize>,
        line: Line,
        room: usize,
        out: &mut Vec<u8>,
        fast_row: impl Fn(&[FastColumn], usize, &mut Cursor) -> bool,
    ) {
        let chunk = (SCRATCH / room).max(1);
        if self.scratch.len() < chunk * room {
            self.scratch.resize(chunk * room, 0);
        }
        let mut start = rows.start;
        while start < rows.end {
            let end = start.saturating_add(chunk).min(rows.end);
            let mut cur = Cursor::new(&mut self.scratch);
            for row in start..end {
                let mark = cur.pos();
                if !fast_row(cols, row, &mut cur) {
                    // Keep the order: what is written so far, then this row the general way.
                    cur.rewind(mark);
                    out.extend_from_slice(cur.written());
                    cur.rewind(0);
                    general_row(cols, row, line, out);
                }
            }
            out.extend_from_slice(cur.written());
            start = end;
        }
    }
}

/// Most bytes one row can take at a cursor, if every column has a fast form.
fn row_room(cols: &[FastColumn], line: Line) -> Option<usize> {
    let mut room: usize = 1; // the newline
    for (i, col) in cols.iter().enumerate() {
        let cell = match col {
            FastColumn::U64(_) => U64_ROOM + 2, // quotes, in JSON
            FastColumn::Str(..) => match line {
                Line::Json { .. } => 2 * WINDOW + 2, // quotes, and `/` written `\/`
                _ => WINDOW + 2,                     // quotes, in CSV
            },
            FastColumn::Other(_) => return None,
        };
        let key = match line {
            Line::Json { keys, .. } => keys.get(i)?.room(),
            _ => 0,
        };
        room = room.checked_add(cell + key + 1)?; // and a separator
    }
    Some(room + 2) // JSON's braces
}

/// Write row `row` at the cursor as TSV; false (and part of it written) if a cell needs the
/// general path. So for the other layouts.
#[inline(always)]
fn tsv_row(cols: &[FastColumn], row: usize, cur: &mut Cursor) -> bool {
    separated_row(cols, row, cur, b'\t', |c, r, cur| {
        c.fast(r, Special::Tsv, false, false, cur)
    })
}

#[inline(always)]
fn csv_row(cols: &[FastColumn], row: usize, cur: &mut Cursor) -> bool {
    separated_row(cols, row, cur, b',', |c, r, cur| {
        c.fast(r, Special::Csv, true, false, cur)
    })
}

/// Cells written by `cell`, `sep` between them, and a newline.
#[inline(always)]
fn separated_row(
    cols: &[FastColumn],
    row: usize,
    cur: &mut Cursor,
    sep: u8,
    cell: impl Fn(&FastColumn<'_>, usize, &mut Cursor<'_>) -> bool,
) -> bool {
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            cur.byte(sep);
        }
        if !cell(col, row, cur) {
            return false;
        }
    }
    cur.byte(b'\n');
    true
}

#[inline(always)]
fn json_row(
    cols: &[FastColumn],
    keys: &[Key],
    quote_64bit: bool,
    row: usize,
    cur: &mut Cursor,
) -> bool {
    cur.byte(b'{');
    for (i, (col, key)) in cols.iter().zip(keys).enumerate() {
        if i > 0 {
            cur.byte(b',');
        }
        key.write(cur);
        if !col.fast(row, Special::Json, true, quote_64bit, cur) {
            return false;
        }
    }
    cur.byte(b'}');
    cur.byte(b'\n');
    true
}

/// Write row `row` to `out` the general way.
fn general_row(cols: &[FastColumn], row: usize, line: Line, out: &mut Vec<u8>) {
    if let Line::Json { keys, quote_64bit } = line {
        out.push(b'{');
        for (i, (col, key)) in cols.iter().zip(keys).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key.bytes());
            col.json(row, quote_64bit, out);
        }
        out.push(b'}');
    } else if let Some(separated) = line.separated() {
        for (i, col) in cols.iter().enumerate() {
            if i > 0 {
                out.push(separated.sep);
            }
            col.separated(row, separated, out);
        }
    }
    out.push(b'\n');
}

/// A column as the line formats see it: the type dispatch done once per block, with direct
/// routes for the common unsigned 64-bit and string columns.
pub(crate) enum FastColumn<'a> {
    U64(&'a [u8]),
    Str(&'a [usize], &'a [u8]),
    Other(&'a Column),
}

impl<'a> FastColumn<'a> {
    pub(crate) fn of(col: &'a Column) -> FastColumn<'a> {
        match (col.ty.as_ref(), &col.data) {
            (
                TypeDesc::Int {
                    bits: 64,
                    signed: false,
                },
                Data::Fixed { bytes, .. },
            ) => FastColumn::U64(bytes),
            (TypeDesc::String, Data::Str { offsets, bytes }) => FastColumn::Str(offsets, bytes),
            _ => FastColumn::Other(col),
        }
    }

    #[inline(always)]
    fn u64_at(bytes: &[u8], row: usize) -> u64 {
        let at = row * 8;
        bytes
            .get(at..at + 8)
            .and_then(|b| b.first_chunk::<8>())
            .map_or(0, |b| u64::from_le_bytes(*b))
    }

    /// The cell as a short string, if it is one.
    #[inline(always)]
    fn short(offsets: &'a [usize], bytes: &'a [u8], row: usize) -> Option<Short<'a>> {
        Short::of(bytes, offsets[row], offsets[row + 1])
    }

    /// Write the cell at the cursor, if the fast path takes it: a number (in quotes with
    /// `quote_numbers`), or a short string without a `special` byte (in quotes with
    /// `quote_strings`). False otherwise, with nothing written for the cell.
    #[inline(always)]
    fn fast(
        &self,
        row: usize,
        special: Special,
        quote_strings: bool,
        quote_numbers: bool,
        cur: &mut Cursor,
    ) -> bool {
        let quote = |on: bool, cur: &mut Cursor| {
            if on {
                cur.byte(b'"');
            }
        };
        match self {
            FastColumn::U64(bytes) => {
                quote(quote_numbers, cur);
                cur.u64(Self::u64_at(bytes, row));
                quote(quote_numbers, cur);
            }
            FastColumn::Str(offsets, bytes) => match Self::short(offsets, bytes, row) {
                Some(short) if !short.has(special) => {
                    quote(quote_strings, cur);
                    short.write(cur);
                    quote(quote_strings, cur);
                }
                // JSON writes `/` as `\/`: short cells with no other escape stay here.
                Some(short) if matches!(special, Special::Json) => match short.json_slashes() {
                    Some(slashed) => {
                        quote(quote_strings, cur);
                        slashed.write(cur);
                        quote(quote_strings, cur);
                    }
                    None => return false,
                },
                _ => return false,
            },
            FastColumn::Other(_) => return false,
        }
        true
    }

    /// The cell in TSV or CSV, as `separated` says.
    fn separated(&self, row: usize, separated: Separated, out: &mut Vec<u8>) {
        match self {
            FastColumn::U64(bytes) => push_u64(out, Self::u64_at(bytes, row)),
            FastColumn::Str(offsets, bytes) => {
                (separated.escape)(&bytes[offsets[row]..offsets[row + 1]], out)
            }
            FastColumn::Other(col) => col.write_cell(row, separated.style, out),
        }
    }

    /// The cell as a JSON value (`quote_64bit`: 64-bit integers as strings, at any depth).
    fn json(&self, row: usize, quote_64bit: bool, out: &mut Vec<u8>) {
        match self {
            FastColumn::U64(bytes) if quote_64bit => {
                out.push(b'"');
                push_u64(out, Self::u64_at(bytes, row));
                out.push(b'"');
            }
            FastColumn::U64(bytes) => push_u64(out, Self::u64_at(bytes, row)),
            FastColumn::Str(offsets, bytes) => {
                json_escape_into(&bytes[offsets[row]..offsets[row + 1]], out)
            }
            FastColumn::Other(col) => {
                let style = if quote_64bit {
                    Style::JsonQuote64
                } else {
                    Style::Json
                };
                col.write_cell(row, style, out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::*;

    /// Every row the general way, for comparison.
    fn general(block: &Block, line: Line) -> Vec<u8> {
        let cols: Vec<FastColumn> = block.columns.iter().map(FastColumn::of).collect();
        let mut out = Vec::new();
        for row in 0..block.rows {
            general_row(&cols, row, line, &mut out);
        }
        out
    }

    /// A mix that exercises every path: short and long strings, strings that need escaping
    /// in each format, strings at the very end of the column's bytes, numbers of every length.
    fn mixed(n: usize) -> Block {
        let specials = [
            "\t", "\n", "\\", "'", "\"", "\0", "\r", "é", "\u{7f}", "\u{1}", "/", "\u{2028}",
        ];
        let nums: Vec<u64> = (0..n as u64)
            .map(|i| match i % 4 {
                0 => i,
                1 => u64::MAX - i,
                2 => 10u64.pow((i % 20) as u32),
                _ => i * 1_000_003,
            })
            .collect();
        let strs: Vec<String> = (0..n)
            .map(|i| {
                let base = "x".repeat(i % 23);
                match i % 5 {
                    0 => format!("{base}{}", specials[i % specials.len()]),
                    1 => format!("{}{base}", specials[(i / 5) % specials.len()]),
                    _ => base,
                }
            })
            .collect();
        let refs: Vec<&str> = strs.iter().map(String::as_str).collect();
        // `t` in another order, so that a cell the fast path must refuse is also found in a
        // row whose other cells it takes.
        let other: Vec<&str> = (0..n).map(|i| refs[(i * 7 + 3) % n]).collect();
        block(vec![
            u64_col("n", &nums),
            str_col("s", &refs),
            str_col("t", &other),
        ])
    }

    #[test]
    fn the_fast_path_writes_what_the_general_path_writes() {
        let b = mixed(997);
        let keys: Vec<Key> = b.columns.iter().map(|c| Key::new(&c.name)).collect();
        let long_keys: Vec<Key> = (0..3)
            .map(|i| Key::new(&format!("{i}{}", "k".repeat(40))))
            .collect();
        for quote_64bit in [false, true] {
            for line in [
                Line::Tsv,
                Line::Csv,
                Line::Json {
                    keys: &keys,
                    quote_64bit,
                },
                Line::Json {
                    keys: &long_keys,
                    quote_64bit,
                },
            ] {
                let want = general(&b, line);
                // One call, and the rows split into ranges of every awkward size.
                let mut lines = Lines::default();
                let mut out = Vec::new();
                lines.write(&b, 0..b.rows, line, &mut out);
                assert_eq!(out, want);
                for step in [1, 7, 64, 500] {
                    let mut out = Vec::new();
                    let mut start = 0;
                    while start < b.rows {
                        lines.write(&b, start..start + step, line, &mut out);
                        start += step;
                    }
                    assert_eq!(out, want, "step {step}");
                }
            }
        }
    }

    #[test]
    fn json_slashes_are_escaped_on_the_fast_path_too() {
        // Short cells whose only escape is `/` (dates, paths): up to twice their length.
        let cells: Vec<String> = (0..200)
            .map(|i| match i % 4 {
                0 => "/".repeat(i % 17),
                1 => format!("{}/{}", "a".repeat(i % 9), "b".repeat(i % 7)),
                2 => "2024/01/02".to_string(),
                _ => format!("/{}\"", "c".repeat(i % 13)),
            })
            .collect();
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        let b = block(vec![u64_col("n", &[7; 200]), str_col("s", &refs)]);
        let keys: Vec<Key> = b.columns.iter().map(|c| Key::new(&c.name)).collect();
        let line = Line::Json {
            keys: &keys,
            quote_64bit: false,
        };
        let mut out = Vec::new();
        Lines::default().write(&b, 0..b.rows, line, &mut out);
        assert_eq!(out, general(&b, line));
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("{\"n\":7,\"s\":\"\"}\n{\"n\":7,\"s\":\"a\\/b\"}\n"));
        let sixteen = format!("\"{}\"", "\\/".repeat(16));
        assert!(text.contains(&sixteen), "{text}");
    }

    #[test]
    fn tsv_and_csv_match_clickhouse_for_the_tricky_bytes() {
        let b = block(vec![str_col(
            "s",
            &["a\tb", "it's", "q\"q", "back\\slash", "nl\n", ""],
        )]);
        let mut out = Vec::new();
        write_rows(&b, Style::Tsv, &mut out);
        assert_eq!(out, b"a\\tb\nit\\'s\nq\"q\nback\\\\slash\nnl\\n\n\n");
        let mut out = Vec::new();
        write_rows(&b, Style::Csv, &mut out);
        assert_eq!(
            out,
            b"\"a\tb\"\n\"it's\"\n\"q\"\"q\"\n\"back\\slash\"\n\"nl\n\"\n\"\"\n"
        );
    }

    #[test]
    fn blocks_with_other_columns_take_the_general_path_whole() {
        let b = block(vec![u64_col("n", &[1, 2]), i8_col("i", &[-1, 5])]);
        let mut out = Vec::new();
        write_rows(&b, Style::Tsv, &mut out);
        assert_eq!(out, b"1\t-1\n2\t5\n");
    }
}
