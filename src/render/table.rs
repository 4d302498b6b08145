//! The streaming table view: header once, widths from types and the first block, re-headed when a column grows.
//!
//! ```text
//! id │ name   │ score
//! ───┼────────┼──────
//!  1 │ alice  │   1.5
//!  2 │ ᴺᵁᴸᴸ   │     2
//! ```
//!
//! - Widths start at the widest of the column name, the type's `display_width_hint` and the
//!   first block's values. Rows are printed block by block with those widths; nothing waits
//!   for the end of the query.
//! - When a later value is wider than its column, the column grows (never shrinks) and the
//!   header is printed again with the new widths, so the layout never breaks.
//! - With a terminal width, a row never exceeds it: the widest columns give up space first
//!   (down to 6 columns each), and values too long for their column end in `…`.
//! - Numbers are right-aligned. NULL is a dim `NULL` with colour and `ᴺᵁᴸᴸ` without, so it
//!   never looks like the string `'NULL'`. Text is `Style::Plain` (control characters and
//!   invalid UTF-8 escaped) and measured in display columns.

use super::text::{
    as_text, clean_name, null_text, pad, plain_cell, push_cut, push_styled, width, BOLD, DIM,
    HIGHLIGHT,
};
use super::{RenderOpts, Sink};
use crate::wire::{Block, Column};

const SEP: &str = " │ ";
const SEP_WIDTH: usize = 3;
/// Columns are not narrowed below this (or below their natural width, if smaller).
const MIN_WIDTH: usize = 6;

/// One cell ready for layout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellView<'a> {
    pub text: &'a str,
    pub width: usize,
    pub null: bool,
    /// Highlighted (Live: changed since the previous emit).
    pub mark: bool,
}

/// Column widths and the header/row writers shared by the table and live views.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    names: Vec<String>,
    name_widths: Vec<usize>,
    numeric: Vec<bool>,
    /// The width each column would like: name, type hint, widest value seen.
    natural: Vec<usize>,
    /// The widths in use.
    widths: Vec<usize>,
    /// Terminal columns; 0 = unlimited.
    max_width: usize,
    fitted: bool,
}

impl Layout {
    pub(crate) fn new<'a>(columns: impl IntoIterator<Item = &'a Column>, max_width: usize) -> Self {
        let mut l = Layout {
            names: Vec::new(),
            name_widths: Vec::new(),
            numeric: Vec::new(),
            natural: Vec::new(),
            widths: Vec::new(),
            max_width,
            fitted: false,
        };
        for c in columns {
            let name = clean_name(&c.name);
            let nw = width(&name);
            l.natural
                .push(nw.max(c.ty.display_width_hint().unwrap_or(0)).max(1));
            l.name_widths.push(nw);
            l.names.push(name);
            l.numeric.push(c.ty.is_numeric());
        }
        l.widths = l.natural.clone();
        l
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Note that a value `w` columns wide belongs in column `i`.
    #[inline]
    pub(crate) fn observe(&mut self, i: usize, w: usize) {
        if let Some(n) = self.natural.get_mut(i) {
            if w > *n {
                *n = w;
            }
        }
    }

    /// Bring the widths in line with what has been observed: the first call fits every column
    /// into the terminal; later calls only grow columns, into whatever room is left.
    /// Returns true when the widths are new (the header must be printed).
    pub(crate) fn settle(&mut self) -> bool {
        if !self.fitted {
            self.fitted = true;
            self.fit();
            return true;
        }
        let mut slack = self
            .available()
            .map(|a| a.saturating_sub(self.widths.iter().sum()));
        let mut changed = false;
        for (w, &n) in self.widths.iter_mut().zip(&self.natural) {
            if n > *w {
                let grow = match slack.as_mut() {
                    None => n - *w,
                    Some(s) => {
                        let g = (n - *w).min(*s);
                        *s -= g;
                        g
                    }
                };
                *w += grow;
                changed |= grow > 0;
            }
        }
        changed
    }

    /// Columns left for values once separators are paid for; `None` when unlimited.
    fn available(&self) -> Option<usize> {
        (self.max_width > 0).then(|| {
            self.max_width
                .saturating_sub(SEP_WIDTH * self.len().saturating_sub(1))
        })
    }

    /// Fit the natural widths into the terminal: cap every column at one level, the highest
    /// that fits, so the widest columns shrink first; no column goes below `MIN_WIDTH`.
    fn fit(&mut self) {
        self.widths = self.natural.clone();
        let Some(avail) = self.available() else {
            return;
        };
        if self.natural.iter().sum::<usize>() <= avail {
            return;
        }
        let mins: Vec<usize> = self.natural.iter().map(|&n| n.min(MIN_WIDTH)).collect();
        let capped = |level: usize| -> usize {
            self.natural
                .iter()
                .zip(&mins)
                .map(|(&n, &m)| n.min(level).max(m))
                .sum()
        };
        if capped(0) >= avail {
            self.widths = mins;
            return;
        }
        // The highest level whose total still fits (capped() is monotone in level).
        let (mut lo, mut hi) = (0, self.natural.iter().copied().max().unwrap_or(0));
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if capped(mid) <= avail {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let mut spare = avail - capped(lo);
        for ((w, &n), &m) in self.widths.iter_mut().zip(&self.natural).zip(&mins) {
            *w = n.min(lo).max(m);
            if spare > 0 && n > *w {
                *w += 1;
                spare -= 1;
            }
        }
    }

    /// Total columns one row takes.
    pub(crate) fn row_width(&self) -> usize {
        self.widths.iter().sum::<usize>() + SEP_WIDTH * self.len().saturating_sub(1)
    }

    pub(crate) fn write_header(&self, color: bool, out: &mut Vec<u8>) {
        let last = self.len().saturating_sub(1);
        for (i, name) in self.names.iter().enumerate() {
            if i > 0 {
                push_styled(SEP, DIM, color, out);
            }
            let w = self.widths[i];
            let mut cell = Vec::with_capacity(name.len() + 3);
            let used = push_cut(name, self.name_widths[i], w, &mut cell);
            if self.numeric[i] {
                pad(w - used, out);
            }
            push_styled(as_text(&cell), BOLD, color, out);
            if !self.numeric[i] && i < last {
                pad(w - used, out);
            }
        }
        out.push(b'\n');
        let mut rule = String::with_capacity(self.row_width() * 3);
        for (i, &w) in self.widths.iter().enumerate() {
            if i > 0 {
                rule.push_str("─┼─");
            }
            rule.extend(std::iter::repeat_n('─', w));
        }
        push_styled(&rule, DIM, color, out);
        out.push(b'\n');
    }

    /// Write one row; cells beyond the layout's columns are ignored, missing ones left blank.
    pub(crate) fn write_row<'a>(
        &self,
        cells: impl IntoIterator<Item = CellView<'a>>,
        color: bool,
        out: &mut Vec<u8>,
    ) {
        let last = self.len().saturating_sub(1);
        let mut cut = Vec::new();
        for (i, cell) in cells.into_iter().enumerate().take(self.len()) {
            if i > 0 {
                push_styled(SEP, DIM, color, out);
            }
            let w = self.widths[i];
            let (text, tw) = if cell.null {
                let t = null_text(color);
                (t, width(t))
            } else {
                (cell.text, cell.width)
            };
            let (text, used) = if tw <= w {
                (text, tw)
            } else {
                cut.clear();
                let used = push_cut(text, tw, w, &mut cut);
                (as_text(&cut), used)
            };
            let attr = if cell.mark {
                HIGHLIGHT
            } else if cell.null {
                DIM
            } else {
                ""
            };
            if self.numeric[i] {
                pad(w - used, out);
            }
            push_styled(text, attr, color, out);
            if !self.numeric[i] && i < last {
                pad(w - used, out);
            }
        }
        out.push(b'\n');
    }
}

/// The streaming table view (see the module doc).
pub struct TableSink {
    opts: RenderOpts,
    layout: Option<Layout>,
    header_printed: bool,
    rows: u64,
    /// Plain text of the current block's cells, and per cell (start, end, width, null).
    text: Vec<u8>,
    cells: Vec<(usize, usize, usize, bool)>,
}

impl TableSink {
    pub fn new(opts: &RenderOpts) -> Self {
        TableSink {
            opts: opts.clone(),
            layout: None,
            header_printed: false,
            rows: 0,
            text: Vec::new(),
            cells: Vec::new(),
        }
    }
}

impl Sink for TableSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        // Printed with the first rows, once their widths are known.
        self.layout = Some(Layout::new(&header.columns, self.opts.width));
        self.header_printed = false;
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        if block.columns.is_empty() {
            return;
        }
        let layout = match &mut self.layout {
            Some(l) if l.len() == block.columns.len() => l,
            _ => {
                // No header came, or the shape changed: start over from this block.
                self.header_printed = false;
                self.layout
                    .insert(Layout::new(&block.columns, self.opts.width))
            }
        };
        if block.rows == 0 {
            return;
        }
        self.text.clear();
        self.cells.clear();
        for row in 0..block.rows {
            for (i, col) in block.columns.iter().enumerate() {
                let start = self.text.len();
                let cell = match plain_cell(col, row, &mut self.text) {
                    None => (start, start, 4, true),
                    Some(()) => {
                        let w = width(as_text(&self.text[start..]));
                        (start, self.text.len(), w, false)
                    }
                };
                layout.observe(i, cell.2);
                self.cells.push(cell);
            }
        }
        if layout.settle() || !self.header_printed {
            layout.write_header(self.opts.color, out);
            self.header_printed = true;
        }
        let text = &self.text;
        for row in self.cells.chunks(block.columns.len()) {
            layout.write_row(
                row.iter().map(|&(s, e, w, null)| CellView {
                    text: as_text(&text[s..e]),
                    width: w,
                    null,
                    mark: false,
                }),
                self.opts.color,
                out,
            );
        }
        self.rows += block.rows as u64;
        // Keep memory flat when one huge block passes through.
        if self.text.capacity() > 16 << 20 {
            self.text = Vec::new();
            self.cells = Vec::new();
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

    fn opts(width: usize) -> RenderOpts {
        RenderOpts {
            color: false,
            width,
            is_tty: true,
        }
    }

    #[test]
    fn header_once_then_rows_stream() {
        let mut s = TableSink::new(&opts(0));
        let hdr = block(vec![u64_col("id", &[]), str_col("name", &[])]);
        let mut out = Vec::new();
        s.header(&hdr, &mut out);
        assert!(out.is_empty(), "the header waits for the first rows");
        s.block(
            &block(vec![
                u64_col("id", &[1, 22]),
                str_col("name", &["ann", "bo"]),
            ]),
            &mut out,
        );
        s.block(
            &block(vec![u64_col("id", &[3]), str_col("name", &["cy"])]),
            &mut out,
        );
        s.finish(&mut out);
        assert_eq!(
            text(&out),
            "id │ name\n\
             ───┼─────\n \
              1 │ ann\n\
             22 │ bo\n \
              3 │ cy\n"
        );
        assert_eq!(s.rows(), 3);
    }

    #[test]
    fn wider_value_reprints_header_with_new_widths() {
        let mut s = TableSink::new(&opts(0));
        let mut out = Vec::new();
        s.header(
            &block(vec![str_col("name", &[]), u64_col("n", &[])]),
            &mut out,
        );
        s.block(
            &block(vec![str_col("name", &["ab"]), u64_col("n", &[1])]),
            &mut out,
        );
        s.block(
            &block(vec![str_col("name", &["abcdefg"]), u64_col("n", &[2])]),
            &mut out,
        );
        // Narrower values later keep the grown width.
        s.block(
            &block(vec![str_col("name", &["x"]), u64_col("n", &[3])]),
            &mut out,
        );
        assert_eq!(
            text(&out),
            "name │ n\n\
             ─────┼──\n\
             ab   │ 1\n\
             name    │ n\n\
             ────────┼──\n\
             abcdefg │ 2\n\
             x       │ 3\n"
        );
    }

    #[test]
    fn long_values_are_cut_to_the_terminal_width() {
        let long = "x".repeat(100);
        let mut s = TableSink::new(&opts(40));
        let mut out = Vec::new();
        s.block(
            &block(vec![
                u64_col("id", &[7]),
                str_col("body", &[long.as_str()]),
                str_col("tag", &["short"]),
            ]),
            &mut out,
        );
        // A later, even longer value does not re-head: there is no room left to grow.
        s.block(
            &block(vec![
                u64_col("id", &[8]),
                str_col("body", &[&"y".repeat(200)]),
                str_col("tag", &["t"]),
            ]),
            &mut out,
        );
        let t = text(&out);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        for l in &lines {
            assert!(width(l) <= 40, "{l:?} is {} wide", width(l));
        }
        assert_eq!(lines[0], format!("id │ body{} │ tag", " ".repeat(23)));
        assert!(lines[2].ends_with("x… │ short"), "{}", lines[2]);
        assert!(lines[3].contains("y…"), "{}", lines[3]);
        assert_eq!(width(lines[2]), 40);
    }

    #[test]
    fn widest_columns_shrink_first_but_not_below_six() {
        let cols = vec![
            str_col("a", &["aaaaaaaaaaaaaaaaaaaa"]),           // 20
            str_col("b", &["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]), // 30
            str_col("c", &["cc"]),
        ];
        let b = block(cols);
        let mut l = Layout::new(&b.columns, 40);
        for (i, c) in b.columns.iter().enumerate() {
            l.observe(i, width(&c.value(0).to_string()));
        }
        assert!(l.settle());
        // 40 - 2 separators of 3 = 34 for values: c keeps 2, a and b share 32.
        assert_eq!(l.widths, vec![16, 16, 2]);
        let mut l = Layout::new(&b.columns, 10);
        for (i, c) in b.columns.iter().enumerate() {
            l.observe(i, width(&c.value(0).to_string()));
        }
        l.settle();
        assert_eq!(l.widths, vec![6, 6, 2], "minimums win over the terminal");
    }

    #[test]
    fn null_is_distinct_from_the_string_null() {
        let mut s = TableSink::new(&opts(0));
        let mut out = Vec::new();
        s.block(
            &block(vec![nullable_str_col("v", &[None, Some("NULL")])]),
            &mut out,
        );
        assert_eq!(text(&out), "v\n────\nᴺᵁᴸᴸ\nNULL\n");
        let mut s = TableSink::new(&RenderOpts {
            color: true,
            width: 0,
            is_tty: true,
        });
        out.clear();
        s.block(
            &block(vec![nullable_str_col("v", &[None, Some("NULL")])]),
            &mut out,
        );
        let t = text(&out);
        assert!(t.contains("\x1b[2mNULL\x1b[0m\nNULL\n"), "{t:?}");
        assert!(t.starts_with("\x1b[1mv\x1b[0m\n"), "bold header: {t:?}");
    }

    #[test]
    fn floats_and_wide_chars_align() {
        let mut s = TableSink::new(&opts(0));
        let mut out = Vec::new();
        s.block(
            &block(vec![
                str_col("city", &["東京", "Oslo"]),
                f64_col("t", &[1.5, -10.25]),
            ]),
            &mut out,
        );
        assert_eq!(
            text(&out),
            "city │      t\n\
             ─────┼───────\n\
             東京 │    1.5\n\
             Oslo │ -10.25\n"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = TableSink::new(&opts(0));
        let mut out = Vec::new();
        s.block(&block(vec![str_col("s", &["a\nb\x1b[2J"])]), &mut out);
        assert_eq!(text(&out), "s\n───────────\na\\nb\\x1b[2J\n");
    }

    #[test]
    fn type_hints_set_initial_widths() {
        let mut s = TableSink::new(&opts(0));
        let mut out = Vec::new();
        s.header(&block(vec![col("d", "date", fixed(2, &[]))]), &mut out);
        s.block(
            &block(vec![col("d", "date", fixed(2, &[&[0, 0]]))]),
            &mut out,
        );
        assert_eq!(text(&out), "d\n──────────\n1970-01-01\n");
    }
}
