//! The vertical view (`\G`): each row as `name: value` lines under a `Row N:` heading, as ClickHouse's Vertical.
//!
//! ```text
//! Row 1:
//! ──────
//! id:   1
//! name: alice
//! ```
//!
//! Values are `Style::Plain` and never cut; NULL is the dim glyph `ᴺᵁᴸᴸ`, as in the table view.
//! The table view hands its rows to this view when they are too wide for the terminal.

use super::text::{clean_name, pad, plain_cell, push_styled, width, BOLD, DIM, NULL_GLYPH};
use super::{clamp_rows, RenderOpts, Sink};
use crate::wire::Block;
use std::ops::Range;

pub struct VerticalSink {
    color: bool,
    /// Column names, and the widest name.
    names: Vec<(String, usize)>,
    name_width: usize,
    rows: u64,
    cell: Vec<u8>,
}

impl VerticalSink {
    pub fn new(opts: &RenderOpts) -> Self {
        VerticalSink {
            color: opts.color,
            names: Vec::new(),
            name_width: 0,
            rows: 0,
            cell: Vec::new(),
        }
    }

    fn set_columns(&mut self, block: &Block) {
        self.names = block
            .columns
            .iter()
            .map(|c| {
                let n = clean_name(&c.name);
                let w = width(&n);
                (n, w)
            })
            .collect();
        self.name_width = self.names.iter().map(|n| n.1).max().unwrap_or(0);
    }
}

impl Sink for VerticalSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        self.set_columns(header);
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_rows(block, 0..block.rows, out);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        if self.names.len() != block.columns.len() {
            self.set_columns(block);
        }
        for row in clamp_rows(rows, block.rows) {
            self.rows += 1;
            if self.rows > 1 {
                out.push(b'\n');
            }
            let title = format!("Row {}:", self.rows);
            push_styled(&title, BOLD, self.color, out);
            out.push(b'\n');
            push_styled(&"─".repeat(title.len()), DIM, self.color, out);
            out.push(b'\n');
            for ((name, nw), col) in self.names.iter().zip(&block.columns) {
                push_styled(name, BOLD, self.color, out);
                out.push(b':');
                pad(self.name_width - nw + 1, out);
                self.cell.clear();
                match plain_cell(col, row, &mut self.cell) {
                    Some(()) => out.extend_from_slice(&self.cell),
                    None => push_styled(NULL_GLYPH, DIM, self.color, out),
                }
                out.push(b'\n');
            }
        }
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn rows(&self) -> u64 {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn rows_are_numbered_across_blocks_with_aligned_names() {
        let mut s = VerticalSink::new(&RenderOpts::default());
        let mut out = Vec::new();
        s.header(
            &block(vec![u64_col("id", &[]), nullable_str_col("name", &[])]),
            &mut out,
        );
        s.block(
            &block(vec![
                u64_col("id", &[1]),
                nullable_str_col("name", &[Some("alice")]),
            ]),
            &mut out,
        );
        s.block(
            &block(vec![u64_col("id", &[2]), nullable_str_col("name", &[None])]),
            &mut out,
        );
        s.finish(&mut out);
        assert_eq!(
            text(&out),
            "Row 1:\n──────\nid:   1\nname: alice\n\nRow 2:\n──────\nid:   2\nname: ᴺᵁᴸᴸ\n"
        );
        assert_eq!(s.rows(), 2);
    }

    #[test]
    fn null_is_the_glyph_dim_in_colour() {
        let b = block(vec![nullable_str_col("v", &[None, Some("NULL")])]);
        let mut s = VerticalSink::new(&RenderOpts::default());
        let mut out = Vec::new();
        s.block(&b, &mut out);
        assert_eq!(
            text(&out),
            "Row 1:\n──────\nv: ᴺᵁᴸᴸ\n\nRow 2:\n──────\nv: NULL\n"
        );
        let mut s = VerticalSink::new(&RenderOpts {
            color: true,
            ..RenderOpts::default()
        });
        out.clear();
        s.block(&b, &mut out);
        let t = text(&out);
        assert!(t.contains(": \x1b[2mᴺᵁᴸᴸ\x1b[0m\n"), "{t:?}");
        assert!(t.ends_with(": NULL\n"), "the string stays plain: {t:?}");
    }
}
