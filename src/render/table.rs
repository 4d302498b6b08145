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
//! - When a later value is wider than its column, the column grows (never shrinks) with
//!   slack, to a quarter more than the value needs (at least 2 more), rounded up to a
//!   multiple of 4, and the header is printed again. After [`SLACK_RELAYOUTS`] such re-heads a
//!   growing column takes three times what it needs (within the terminal), so a steadily growing
//!   column re-heads only a handful of times, and at most a few more once it is cut.
//! - With a terminal width, a row never exceeds it: the widest columns give up space first
//!   (down to 6 columns each), and values too long for their column end in `…`. The width is
//!   asked again before each block ([`RenderOpts::width_now`]): after a resize the columns are
//!   fitted again and the header reprinted.
//! - Too wide for the terminal: when the first block's rows (names, type hints and values)
//!   need more columns than the terminal has, the whole query is shown by the vertical view
//!   instead, unless [`RenderOpts::auto_vertical`] is off. The choice is made once per query.
//! - Numbers are right-aligned. NULL is `ᴺᵁᴸᴸ` (dim with colour), so it never looks like the
//!   string `'NULL'`. Text is `Style::Plain` (control characters and invalid UTF-8 escaped)
//!   and measured in display columns.
//! - A block can be rendered in row ranges ([`Sink::block_rows`]): the whole block is measured
//!   at its first range, so the ranges' output is exactly the whole block's.

use super::text::{
    as_text, clean_name, pad, plain_cell, push_cut, push_styled, width, BOLD, DIM, HIGHLIGHT,
    NULL_GLYPH, NULL_WIDTH,
};
use super::vertical::VerticalSink;
use super::{clamp_rows, RenderOpts, Sink};
use crate::wire::{Block, Column};
use std::ops::Range;

const SEP: &str = " │ ";
const SEP_WIDTH: usize = 3;
/// Columns are not narrowed below this (or below their natural width, if smaller).
const MIN_WIDTH: usize = 6;
/// Re-heads for growth with a quarter of slack; after these, a growing column takes three
/// times its need (within the terminal).
pub(crate) const SLACK_RELAYOUTS: usize = 2;
/// Blocks of up to this many cells are formatted once and kept while their ranges are
/// written; larger ones are measured in a first pass and formatted range by range, so memory
/// stays bounded whatever the block size.
const CACHE_CELLS: usize = 1 << 21;

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
    /// Times the widths grew after the first fit (resizes not counted).
    grown: usize,
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
            grown: 0,
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

    /// Lay out for a terminal `w` columns wide from now on (0 = unlimited); a change fits
    /// every column again at the next [`Layout::settle`].
    pub(crate) fn set_max_width(&mut self, w: usize) {
        if w != self.max_width {
            self.max_width = w;
            self.fitted = false;
        }
    }

    /// Columns a row would take with every column at its natural width (no cutting).
    pub(crate) fn natural_row_width(&self) -> usize {
        self.natural.iter().sum::<usize>() + SEP_WIDTH * self.len().saturating_sub(1)
    }

    /// Bring the widths in line with what has been observed: the first call (and the first
    /// after a resize) fits every column into the terminal; later calls only grow columns,
    /// with slack, into whatever room is left. Returns true when the widths are new (the
    /// header must be printed).
    pub(crate) fn settle(&mut self) -> bool {
        if !self.fitted {
            self.fitted = true;
            self.fit();
            return true;
        }
        if self.widths.iter().zip(&self.natural).all(|(w, n)| n <= w) {
            return false;
        }
        let mut room = self
            .available()
            .map(|a| a.saturating_sub(self.widths.iter().sum()));
        let generous = self.grown >= SLACK_RELAYOUTS;
        let mut changed = false;
        for (w, &n) in self.widths.iter_mut().zip(&self.natural) {
            if n <= *w {
                continue;
            }
            let want = grow_target(n, generous) - *w;
            let grow = match room.as_mut() {
                None => want,
                Some(r) => {
                    let g = want.min(*r);
                    *r -= g;
                    g
                }
            };
            *w += grow;
            changed |= grow > 0;
        }
        self.grown += changed as usize;
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
                (NULL_GLYPH, NULL_WIDTH)
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

/// The width a column needing `need` grows to: a quarter more (at least 2), rounded up to a
/// multiple of 4; `generous`: three times the need.
fn grow_target(need: usize, generous: bool) -> usize {
    let slack = if generous { 2 * need } else { need / 4 };
    (need + slack.max(2)).next_multiple_of(4)
}

/// The streaming table view (see the module doc).
pub struct TableSink {
    opts: RenderOpts,
    layout: Option<Layout>,
    header_printed: bool,
    rows: u64,
    /// The auto-vertical choice has been made (at the first rows).
    decided: bool,
    /// Rows too wide for the terminal: the query goes to the vertical view.
    vertical: Option<VerticalSink>,
    /// Plain text of the current block's cells (or range's, for a block too large to keep),
    /// and per cell (start, end, width, null).
    text: Vec<u8>,
    cells: Vec<(usize, usize, usize, bool)>,
    /// `cells` holds the whole current block.
    cached: bool,
    /// Blocks up to this many cells are kept formatted ([`CACHE_CELLS`]; tests lower it).
    cache_cells: usize,
}

impl TableSink {
    pub fn new(opts: &RenderOpts) -> Self {
        TableSink {
            opts: opts.clone(),
            layout: None,
            header_printed: false,
            rows: 0,
            decided: false,
            vertical: None,
            text: Vec::new(),
            cells: Vec::new(),
            cached: false,
            cache_cells: CACHE_CELLS,
        }
    }

    /// Whether the rows went to the vertical view because they were too wide.
    pub fn is_vertical(&self) -> bool {
        self.vertical.is_some()
    }
}

/// Append the `Style::Plain` text of rows `rows` of `block` to `text`, one
/// (start, end, width, null) entry per cell in `cells`; with `layout`, note each width.
fn format_cells(
    block: &Block,
    rows: Range<usize>,
    text: &mut Vec<u8>,
    cells: &mut Vec<(usize, usize, usize, bool)>,
    mut layout: Option<&mut Layout>,
) {
    for row in rows {
        for (i, col) in block.columns.iter().enumerate() {
            let start = text.len();
            let cell = match plain_cell(col, row, text) {
                None => (start, start, NULL_WIDTH, true),
                Some(()) => {
                    let w = width(as_text(&text[start..]));
                    (start, text.len(), w, false)
                }
            };
            if let Some(l) = layout.as_deref_mut() {
                l.observe(i, cell.2);
            }
            cells.push(cell);
        }
    }
}

impl Sink for TableSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        if let Some(v) = &mut self.vertical {
            return v.header(header, _out);
        }
        // Printed with the first rows, once their widths are known.
        self.layout = Some(Layout::new(&header.columns, self.opts.width));
        self.header_printed = false;
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_rows(block, 0..block.rows, out);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        if let Some(v) = &mut self.vertical {
            return v.block_rows(block, rows, out);
        }
        if block.columns.is_empty() {
            return;
        }
        let ncols = block.columns.len();
        let layout = match &mut self.layout {
            Some(l) if l.len() == ncols => l,
            _ => {
                // No header came, or the shape changed: start over from this block.
                self.header_printed = false;
                self.layout
                    .insert(Layout::new(&block.columns, self.opts.width))
            }
        };
        let rows = clamp_rows(rows, block.rows);
        if rows.start == 0 {
            // A new block: pick up a resize, then measure all of it.
            let w = self.opts.current_width();
            layout.set_max_width(w);
            if block.rows == 0 {
                return;
            }
            self.text.clear();
            self.cells.clear();
            self.cached = block.rows.saturating_mul(ncols) <= self.cache_cells;
            if self.cached {
                format_cells(
                    block,
                    0..block.rows,
                    &mut self.text,
                    &mut self.cells,
                    Some(layout),
                );
            } else {
                for row in 0..block.rows {
                    for (i, col) in block.columns.iter().enumerate() {
                        self.text.clear();
                        let w = match plain_cell(col, row, &mut self.text) {
                            None => NULL_WIDTH,
                            Some(()) => width(as_text(&self.text)),
                        };
                        layout.observe(i, w);
                    }
                }
            }
            if !self.decided {
                self.decided = true;
                if self.opts.auto_vertical && w > 0 && layout.natural_row_width() > w {
                    self.text = Vec::new();
                    self.cells = Vec::new();
                    let v = self.vertical.insert(VerticalSink::new(&self.opts));
                    return v.block_rows(block, rows, out);
                }
            }
            if layout.settle() || !self.header_printed {
                layout.write_header(self.opts.color, out);
                self.header_printed = true;
            }
        }
        if rows.is_empty() {
            return;
        }
        let first = if self.cached && self.cells.len() == block.rows * ncols {
            rows.start
        } else {
            self.text.clear();
            self.cells.clear();
            format_cells(block, rows.clone(), &mut self.text, &mut self.cells, None);
            0
        };
        let text = &self.text;
        let cells = &self.cells[first * ncols..(first + rows.len()) * ncols];
        for row in cells.chunks(ncols) {
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
        self.rows += rows.len() as u64;
        // Keep memory flat when one huge block has passed through.
        if rows.end == block.rows && self.text.capacity() > 16 << 20 {
            self.text = Vec::new();
            self.cells = Vec::new();
            self.cached = false;
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some(v) = &mut self.vertical {
            v.finish(out);
        }
    }

    fn rows(&self) -> u64 {
        self.rows + self.vertical.as_ref().map_or(0, |v| v.rows())
    }

    fn switched_to_vertical(&self) -> bool {
        self.is_vertical()
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
            ..RenderOpts::default()
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
        // It grew with slack (7 + 2, to a multiple of 4); narrower values keep that width.
        s.block(
            &block(vec![str_col("name", &["x"]), u64_col("n", &[3])]),
            &mut out,
        );
        assert_eq!(
            text(&out),
            "name │ n\n\
             ─────┼──\n\
             ab   │ 1\n\
             name         │ n\n\
             ─────────────┼──\n\
             abcdefg      │ 2\n\
             x            │ 3\n"
        );
    }

    #[test]
    fn long_values_are_cut_to_the_terminal_width() {
        let long = "x".repeat(100);
        let mut s = TableSink::new(&RenderOpts {
            auto_vertical: false,
            ..opts(40)
        });
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
            ..RenderOpts::default()
        });
        out.clear();
        s.block(
            &block(vec![nullable_str_col("v", &[None, Some("NULL")])]),
            &mut out,
        );
        let t = text(&out);
        assert!(t.contains("\x1b[2mᴺᵁᴸᴸ\x1b[0m\nNULL\n"), "{t:?}");
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

    /// A 25-column row like `SELECT * FROM types_showcase`.
    fn showcase(rows: usize) -> Block {
        let uuid: Vec<u8> = (0u8..16).collect();
        let mut cols = vec![
            u64_col("id", &vec![1; rows]),
            str_col("name", &vec!["alice"; rows]),
        ];
        for i in 0..3 {
            let v: Vec<&[u8]> = vec![&uuid; rows];
            cols.push(col(&format!("uuid_{i}"), "uuid", fixed(16, &v)));
            let t: &[u8] = &1_700_000_000u32.to_le_bytes();
            cols.push(col(
                &format!("ts_{i}"),
                "datetime",
                fixed(4, &vec![t; rows]),
            ));
            let d: &[u8] = &19_700u16.to_le_bytes();
            cols.push(col(&format!("day_{i}"), "date", fixed(2, &vec![d; rows])));
        }
        for i in 0..5 {
            cols.push(str_col(&format!("text_{i}"), &vec!["twelve chars"; rows]));
            cols.push(f64_col(&format!("ratio_{i}"), &vec![0.125; rows]));
        }
        for i in 0..4 {
            cols.push(nullable_str_col(&format!("opt_{i}"), &vec![None; rows]));
        }
        assert_eq!(cols.len(), 25);
        block(cols)
    }

    /// Times the header was printed: its rule line under the names.
    fn headers(t: &str) -> usize {
        t.lines()
            .filter(|l| l.starts_with('─') && l.chars().all(|c| c == '─' || c == '┼'))
            .count()
    }

    #[test]
    fn wide_rows_turn_vertical_at_140_and_60_columns() {
        for w in [140, 60] {
            let mut s = TableSink::new(&opts(w));
            let mut out = Vec::new();
            s.header(&showcase(0), &mut out);
            s.block(&showcase(2), &mut out);
            // Later blocks stay vertical, numbered on, even when they would fit.
            s.block(&block(vec![u64_col("id", &[3])]), &mut out);
            s.finish(&mut out);
            let t = text(&out);
            assert!(s.is_vertical() && s.switched_to_vertical(), "{w}: {t}");
            assert!(t.starts_with("Row 1:\n"), "{w}: {t}");
            assert!(!t.contains('│'), "{w}: {t}");
            assert!(!t.contains('…'), "nothing is cut: {t}");
            assert!(
                t.contains("\nuuid_2:  07060504-0302-0100-0f0e-0d0c0b0a0908\n"),
                "{t}"
            );
            assert!(t.contains("\nopt_3:   ᴺᵁᴸᴸ\n"), "{t}");
            assert!(t.ends_with("\nRow 3:\n──────\nid: 3\n"), "{t}");
            assert_eq!(s.rows(), 3);
        }
    }

    #[test]
    fn rows_that_fit_stay_a_table_and_forced_tables_stay_tables() {
        let narrow = || {
            block(vec![
                u64_col("id", &[1]),
                str_col("name", &["alice"]),
                f64_col("score", &[1.5]),
            ])
        };
        let mut s = TableSink::new(&opts(60));
        let mut out = Vec::new();
        s.block(&narrow(), &mut out);
        assert!(!s.is_vertical() && !s.switched_to_vertical());
        assert_eq!(headers(&text(&out)), 1);
        // Forced table (`:format table`): cut to the terminal, never vertical.
        let mut s = TableSink::new(&RenderOpts {
            auto_vertical: false,
            ..opts(140)
        });
        out.clear();
        s.block(&showcase(2), &mut out);
        assert!(!s.is_vertical());
        let t = text(&out);
        assert!(t.contains('│') && t.contains('…'), "{t}");
        // Not a terminal: the table as ever.
        let mut s = TableSink::new(&opts(0));
        out.clear();
        s.block(&showcase(1), &mut out);
        assert!(!s.is_vertical());
        assert!(!text(&out).contains('…'));
    }

    #[test]
    fn the_choice_is_made_once_from_the_first_rows() {
        // Fits at first; a later, wider value is cut, the query stays a table.
        let mut s = TableSink::new(&opts(40));
        let mut out = Vec::new();
        s.block(
            &block(vec![u64_col("id", &[1]), str_col("s", &["a"])]),
            &mut out,
        );
        let long = "y".repeat(100);
        s.block(
            &block(vec![u64_col("id", &[2]), str_col("s", &[long.as_str()])]),
            &mut out,
        );
        assert!(!s.is_vertical());
        let t = text(&out);
        assert!(t.lines().all(|l| width(l) <= 40), "{t}");
        assert!(t.contains("y…"), "{t}");
    }

    /// A string column growing by 2 characters every 15 rows for 600 rows, in blocks of
    /// `per_block` rows; the output.
    fn growing(width: usize, per_block: usize) -> String {
        let mut s = TableSink::new(&opts(width));
        let mut out = Vec::new();
        s.header(
            &block(vec![u64_col("id", &[]), str_col("s", &[])]),
            &mut out,
        );
        let values: Vec<String> = (0..600).map(|r| "x".repeat(2 + 2 * (r / 15))).collect();
        for start in (0..600).step_by(per_block) {
            let ids: Vec<u64> = (start as u64..(start + per_block) as u64).collect();
            let vs: Vec<&str> = values[start..start + per_block]
                .iter()
                .map(|v| v.as_str())
                .collect();
            s.block(
                &block(vec![u64_col("id", &ids), str_col("s", &vs)]),
                &mut out,
            );
        }
        assert_eq!(s.rows(), 600);
        text(&out)
    }

    #[test]
    fn a_growing_column_reheads_a_handful_of_times() {
        for (w, per_block) in [(140, 1), (140, 5), (80, 1), (0, 15), (0, 1)] {
            let t = growing(w, per_block);
            let n = headers(&t);
            // One header per widening would be 40.
            eprintln!("width {w}, {per_block}/block: {n} headers");
            assert!(
                (2..=6).contains(&n),
                "width {w}, {per_block}/block: {n} headers"
            );
            if w > 0 {
                assert!(t.lines().all(|l| width(l) <= w), "{t}");
            }
            if w != 80 {
                assert!(
                    !t.contains('…'),
                    "room enough, nothing cut (width {w}): {t}"
                );
            }
        }
    }

    #[test]
    fn slack_is_a_quarter_rounded_to_four_then_generous() {
        assert_eq!(grow_target(7, false), 12);
        assert_eq!(grow_target(2, false), 4);
        assert_eq!(grow_target(40, false), 52);
        assert_eq!(grow_target(40, true), 120);
        assert_eq!(grow_target(3, true), 12);
    }

    static TERM_WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(80);

    #[test]
    fn a_resize_is_picked_up_at_the_next_block() {
        use std::sync::atomic::Ordering;
        TERM_WIDTH.store(80, Ordering::Relaxed);
        let mut s = TableSink::new(&RenderOpts {
            width_now: Some(|| Some(TERM_WIDTH.load(Ordering::Relaxed))),
            ..opts(80)
        });
        let body = "b".repeat(60);
        let row = |id: u64| {
            block(vec![
                u64_col("id", &[id]),
                str_col("body", &[body.as_str()]),
            ])
        };
        let mut out = Vec::new();
        s.block(&row(1), &mut out);
        s.block(&row(2), &mut out);
        let before = text(&out);
        assert_eq!(headers(&before), 1);
        assert!(before.lines().any(|l| width(l) > 60), "{before}");
        TERM_WIDTH.store(40, Ordering::Relaxed);
        out.clear();
        s.block(&row(3), &mut out);
        let narrow = text(&out);
        assert_eq!(headers(&narrow), 1, "re-headed for the new width: {narrow}");
        assert!(narrow.lines().all(|l| width(l) <= 40), "{narrow}");
        assert!(narrow.contains("b…"), "{narrow}");
        TERM_WIDTH.store(120, Ordering::Relaxed);
        out.clear();
        s.block(&row(4), &mut out);
        let wide = text(&out);
        assert_eq!(headers(&wide), 1, "{wide}");
        assert!(wide.contains(&body), "uncut again: {wide}");
        assert!(!s.is_vertical());
    }

    #[test]
    fn huge_blocks_render_range_by_range_the_same() {
        let b = block(vec![
            u64_col("id", &(0..50).collect::<Vec<u64>>()),
            str_col(
                "s",
                &(0..50)
                    .map(|i| if i == 40 { "long value" } else { "v" })
                    .collect::<Vec<_>>(),
            ),
        ]);
        let mut whole = TableSink::new(&opts(0));
        let mut a = Vec::new();
        whole.block(&b, &mut a);
        let mut ranged = TableSink::new(&opts(0));
        ranged.cache_cells = 10;
        let mut c = Vec::new();
        for start in (0..50).step_by(7) {
            ranged.block_rows(&b, start..(start + 7).min(50), &mut c);
            assert_eq!(ranged.rows(), (start + 7).min(50) as u64);
        }
        assert_eq!(text(&a), text(&c));
        assert_eq!(headers(&text(&c)), 1, "measured whole before the first row");
    }
}
