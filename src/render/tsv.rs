//! ClickHouse-compatible TabSeparated output, with fast paths for the common column types.

use crate::wire::value::tsv_escape_into;
use crate::wire::{Block, Column, Data, Style, TypeDesc};
use std::ops::Range;

/// Append one cell in TSV, taking a direct route for plain integers and strings.
#[inline]
pub fn write_tsv_cell(col: &Column, row: usize, out: &mut Vec<u8>) {
    match (col.ty.as_ref(), &col.data) {
        (
            TypeDesc::Int {
                bits: 64,
                signed: false,
            },
            Data::Fixed { bytes, .. },
        ) => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[row * 8..row * 8 + 8]);
            out.extend_from_slice(itoa::Buffer::new().format(u64::from_le_bytes(b)).as_bytes());
        }
        (TypeDesc::String, Data::Str { offsets, bytes }) => {
            tsv_escape_into(&bytes[offsets[row]..offsets[row + 1]], out);
        }
        _ => col.write_cell(row, Style::Tsv, out),
    }
}

/// Append every row of `block` in `style` (TSV, CSV), one line per row.
pub fn write_rows(block: &Block, style: Style, out: &mut Vec<u8>) {
    write_rows_range(block, 0..block.rows, style, out)
}

/// Append rows `rows` of `block` in `style` (TSV, CSV), one line per row.
pub fn write_rows_range(block: &Block, rows: Range<usize>, style: Style, out: &mut Vec<u8>) {
    let sep = if style == Style::Csv { b',' } else { b'\t' };
    for row in super::clamp_rows(rows, block.rows) {
        for (i, col) in block.columns.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            if style == Style::Tsv {
                write_tsv_cell(col, row, out);
            } else {
                col.write_cell(row, style, out);
            }
        }
        out.push(b'\n');
    }
}
