//! ClickHouse-compatible TabSeparated output, with fast paths for the common column types.

use crate::wire::value::tsv_escape_into;
use crate::wire::{Block, Column, Data, Style, TypeDesc};
use std::ops::Range;

/// Append every row of `block` in `style` (TSV, CSV), one line per row.
pub fn write_rows(block: &Block, style: Style, out: &mut Vec<u8>) {
    write_rows_range(block, 0..block.rows, style, out)
}

/// A column prepared for the TSV, CSV and JSON loops: the type dispatch is done once per
/// block, with direct routes for the common unsigned 64-bit and string columns.
pub(crate) enum TsvColumn<'a> {
    U64(&'a [u8]),
    Str(&'a [usize], &'a [u8]),
    Other(&'a Column),
}

impl<'a> TsvColumn<'a> {
    pub(crate) fn of(col: &'a Column) -> TsvColumn<'a> {
        match (col.ty.as_ref(), &col.data) {
            (
                TypeDesc::Int {
                    bits: 64,
                    signed: false,
                },
                Data::Fixed { bytes, .. },
            ) => TsvColumn::U64(bytes),
            (TypeDesc::String, Data::Str { offsets, bytes }) => TsvColumn::Str(offsets, bytes),
            _ => TsvColumn::Other(col),
        }
    }

    /// Append the cell in CSV: numbers as they are, strings in double quotes with `"`
    /// doubled (what clickhouse-client's CSV writes).
    #[inline]
    fn write_csv(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            TsvColumn::Str(offsets, bytes) => {
                let s = &bytes[offsets[row]..offsets[row + 1]];
                if s.len() <= SMALL && !s.contains(&b'"') {
                    out.push(b'"');
                    put_small(out, s);
                    out.push(b'"');
                } else {
                    crate::wire::value::csv_quote_into(s, out);
                }
            }
            TsvColumn::U64(_) => self.write(row, out),
            TsvColumn::Other(col) => col.write_cell(row, Style::Csv, out),
        }
    }

    /// Append the cell as a JSON value (`quoted`: 64-bit integers as strings).
    #[inline]
    pub(crate) fn write_json(&self, row: usize, quoted: bool, out: &mut Vec<u8>) {
        match self {
            TsvColumn::U64(_) if quoted => {
                out.push(b'"');
                self.write(row, out);
                out.push(b'"');
            }
            TsvColumn::U64(_) => self.write(row, out),
            TsvColumn::Str(offsets, bytes) => {
                let s = &bytes[offsets[row]..offsets[row + 1]];
                if s.len() <= SMALL
                    && s.iter()
                        .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
                {
                    out.push(b'"');
                    put_small(out, s);
                    out.push(b'"');
                } else {
                    crate::wire::value::json_escape_into(s, out);
                }
            }
            TsvColumn::Other(col) => super::lines::write_json_cell(col, row, quoted, out),
        }
    }

    #[inline]
    fn write(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            TsvColumn::U64(bytes) => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&bytes[row * 8..row * 8 + 8]);
                put_small(
                    out,
                    itoa::Buffer::new().format(u64::from_le_bytes(b)).as_bytes(),
                );
            }
            TsvColumn::Str(offsets, bytes) => {
                let s = &bytes[offsets[row]..offsets[row + 1]];
                if s.len() <= SMALL && !s.iter().any(|&c| needs_tsv_escape(c)) {
                    put_small(out, s);
                } else {
                    tsv_escape_into(s, out);
                }
            }
            TsvColumn::Other(col) => col.write_cell(row, Style::Tsv, out),
        }
    }
}

/// Strings up to this long are copied byte by byte: for a handful of bytes that beats a call
/// to `memcpy`, which is most of the cost of writing short cells.
const SMALL: usize = 24;

#[inline]
fn needs_tsv_escape(c: u8) -> bool {
    matches!(
        c,
        b'\t' | b'\n' | b'\\' | b'\'' | b'\0' | b'\r' | 0x08 | 0x0c
    )
}

/// Append a short slice without a `memcpy` call.
#[inline]
fn put_small(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() > SMALL {
        out.extend_from_slice(s);
        return;
    }
    out.reserve(s.len());
    let len = out.len();
    let spare = out.spare_capacity_mut();
    for (dst, &b) in spare.iter_mut().zip(s) {
        dst.write(b);
    }
    // SAFETY: `reserve` made room for `s.len()` bytes and the loop initialised exactly
    // that many (the zip stops at the shorter of the two, which is `s`).
    unsafe { out.set_len(len + s.len()) };
}

/// Append rows `rows` of `block` in `style` (TSV, CSV), one line per row.
pub fn write_rows_range(block: &Block, rows: Range<usize>, style: Style, out: &mut Vec<u8>) {
    let rows = super::clamp_rows(rows, block.rows);
    if style == Style::Tsv {
        let cols: Vec<TsvColumn> = block.columns.iter().map(TsvColumn::of).collect();
        out.reserve(rows.len().saturating_mul(cols.len() * 8 + 1).min(1 << 20));
        for row in rows {
            for (i, col) in cols.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                col.write(row, out);
            }
            out.push(b'\n');
        }
        return;
    }
    if style == Style::Csv {
        let cols: Vec<TsvColumn> = block.columns.iter().map(TsvColumn::of).collect();
        for row in rows {
            for (i, col) in cols.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                col.write_csv(row, out);
            }
            out.push(b'\n');
        }
        return;
    }
    let sep = b'\t';
    for row in rows {
        for (i, col) in block.columns.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            col.write_cell(row, style, out);
        }
        out.push(b'\n');
    }
}
