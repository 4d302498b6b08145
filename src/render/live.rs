//! The live view for streaming aggregates: the latest result set, redrawn in place on every emit.
//!
//! Proton re-emits a streaming aggregate's whole result every period (about 2 s). Each emit
//! arrives as one or more blocks in quick succession; a block that comes [`EMIT_GAP`] or more
//! after the previous one starts a new emit. On a terminal:
//!
//! - Every block redraws the table in place: the cursor moves up over the previous drawing
//!   (`ESC[{n}A`), the rest of the screen is cleared (`ESC[J`) and the table is printed again,
//!   inside a synchronized-update bracket (`ESC[?2026h` … `ESC[?2026l`) where the terminal
//!   supports it. The caller must leave the cursor where the drawing left it (column 0 of the
//!   line under the footer): anything it prints in between (e.g. a status line) must be
//!   erased again before the next `out` is written.
//! - Cells that differ from the previous emit are highlighted (bold yellow, with colour).
//!   Rows are matched to the previous emit by their non-numeric columns (the group keys of
//!   a typical aggregate), and in order among rows with equal keys; an unmatched row is
//!   highlighted whole.
//! - A footer says `emit #N · last emit HH:MM:SS · R rows` (local time).
//! - At most `max_rows` rows are drawn (the rest are counted in a `… N more rows` line), so the
//!   drawing fits the screen and the cursor can move back over it.
//! - `EMIT CHANGELOG` results (a `_tp_delta` column) keep a set of rows: +1 adds a row, -1
//!   removes a row with equal values in every other column (found through a hash of its
//!   cells, not a scan). A row added in the same emit as a removal takes the place of a
//!   removed row with the same non-numeric cells, else of the earliest removed one, so an
//!   updated group stays where it was with its changed cells highlighted. At most
//!   [`KEEP_ROWS`] rows are kept, as without a changelog: further additions are only
//!   counted (and a removal that matches no kept row uncounts one). `_tp_delta` is not shown.
//! - `finish` leaves the last drawing in the scrollback.
//!
//! Without a terminal each emit is printed as a plain table (received rows, `_tp_delta`
//! included) after a `-- emit #N` line.
//!
//! NULL is `ᴺᵁᴸᴸ` (dim with colour), as in the table view. The terminal width is asked again
//! before each block ([`RenderOpts::width_now`]), so a resize shows at the next redraw.
//!
//! Row ranges ([`Sink::block_rows`]): the view redraws whole emits, so it renders a block
//! with the range that reaches the block's end and nothing for earlier ranges; [`Sink::rows`]
//! counts a block's rows once it has been drawn. A caller that stops between ranges leaves
//! the previous drawing, whole, on screen.

use super::table::{CellView, Layout, TableSink};
use super::text::{as_text, plain_cell, push_cut, push_styled, width, DIM, NULL_WIDTH};
use super::{RenderOpts, Sink};
use crate::wire::{Block, Column};
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

/// Blocks closer together than this belong to the same emit.
pub const EMIT_GAP: Duration = Duration::from_millis(50);

/// Rows kept: per emit, or in the changelog state; beyond this they are only counted.
const KEEP_ROWS: usize = 10_000;

/// The column `EMIT CHANGELOG` adds: +1 for an added row, -1 for a removed one.
const DELTA_COLUMN: &str = "_tp_delta";

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Cell {
    text: Box<str>,
    width: usize,
    null: bool,
}

#[derive(Clone, Debug)]
struct Row {
    cells: Vec<Cell>,
    /// Per cell: changed since the previous emit.
    marks: Vec<bool>,
    /// Changelog: removed during the current emit (dropped at the next one).
    gone: bool,
}

/// The live view (see the module doc).
pub struct LiveSink {
    opts: RenderOpts,
    /// Terminal columns as of the latest block (0 = unlimited).
    width: usize,
    max_rows: usize,
    layout: Option<Layout>,
    /// Source columns, and which of them (if any) is `_tp_delta`.
    source_cols: usize,
    delta: Option<usize>,
    /// Visible columns that are numeric (not part of the matching key).
    numeric: Vec<bool>,
    /// The rows on screen: this emit's rows so far (or the changelog state).
    shown: Vec<Row>,
    /// Rows of the current emit beyond `KEEP_ROWS` (not kept); with a changelog, rows added
    /// beyond `KEEP_ROWS` and not removed since.
    dropped: usize,
    /// Previous emit's rows by key, in order, for matching (plain mode).
    prev: HashMap<String, VecDeque<Vec<Cell>>>,
    had_prev: bool,
    /// Changelog: positions in `shown` removed during this emit and free for an added row,
    /// by when they were removed (a count).
    holes: BTreeMap<u64, usize>,
    /// Changelog: the same holes by a hash of the removed row's non-numeric cells (its key).
    holes_by_key: HashMap<u64, BTreeMap<u64, usize>>,
    /// Changelog: removals so far, to order `holes`.
    removals: u64,
    /// Changelog: positions of the rows in `shown` that are not `gone`, by a hash of all their
    /// cells, so a -1 finds its row without a scan.
    index: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
    emit: u64,
    last_block: Option<Instant>,
    last_wall: String,
    drawn_lines: usize,
    rows: u64,
    /// Without a terminal: the table of the current emit.
    plain: Option<TableSink>,
    cell_buf: Vec<u8>,
}

impl LiveSink {
    pub fn new(opts: &RenderOpts) -> Self {
        LiveSink {
            opts: opts.clone(),
            width: opts.width,
            max_rows: default_max_rows(),
            layout: None,
            source_cols: 0,
            delta: None,
            numeric: Vec::new(),
            shown: Vec::new(),
            dropped: 0,
            prev: HashMap::new(),
            had_prev: false,
            holes: BTreeMap::new(),
            holes_by_key: HashMap::new(),
            removals: 0,
            index: HashMap::new(),
            hasher: RandomState::new(),
            emit: 0,
            last_block: None,
            last_wall: String::new(),
            drawn_lines: 0,
            rows: 0,
            plain: None,
            cell_buf: Vec::new(),
        }
    }

    /// Draw at most `n` rows (the screen height less a few lines is right).
    pub fn with_max_rows(mut self, n: usize) -> Self {
        self.max_rows = n.max(1);
        self
    }

    fn set_columns(&mut self, block: &Block) {
        self.source_cols = block.columns.len();
        self.delta = block.columns.iter().position(|c| c.name == DELTA_COLUMN);
        let visible: Vec<&Column> = block
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.delta)
            .map(|(_, c)| c)
            .collect();
        self.numeric = visible.iter().map(|c| c.ty.is_numeric()).collect();
        self.layout = Some(Layout::new(visible, self.width));
        // Holes are found by key, which the numeric columns define.
        self.holes.clear();
        self.holes_by_key.clear();
    }

    /// `block`, arriving at `at` (the clock is a parameter so tests can choose emit boundaries).
    pub fn block_at(&mut self, block: &Block, at: Instant, out: &mut Vec<u8>) {
        if block.columns.is_empty() {
            return;
        }
        if self.layout.is_none() || self.source_cols != block.columns.len() {
            self.set_columns(block);
        }
        if block.rows == 0 {
            return;
        }
        self.width = self.opts.current_width();
        if let Some(l) = &mut self.layout {
            l.set_max_width(self.width);
        }
        self.rows += block.rows as u64;
        let new_emit = self
            .last_block
            .is_none_or(|t| at.saturating_duration_since(t) >= EMIT_GAP);
        self.last_block = Some(at);
        if new_emit {
            self.emit += 1;
            self.last_wall = chrono::Local::now().format("%H:%M:%S").to_string();
        }
        if !self.opts.is_tty {
            if new_emit {
                out.extend_from_slice(format!("-- emit #{}\n", self.emit).as_bytes());
                // A plain table per emit, whatever its width.
                let opts = RenderOpts {
                    auto_vertical: false,
                    ..self.opts.clone()
                };
                self.plain = Some(TableSink::new(&opts));
            }
            if let Some(t) = &mut self.plain {
                t.block(block, out);
            }
            return;
        }
        if new_emit {
            self.start_emit();
        }
        match self.delta {
            Some(d) => self.apply_changelog(block, d),
            None => self.append(block),
        }
        self.draw(out);
    }

    fn start_emit(&mut self) {
        if self.delta.is_some() {
            self.shown.retain(|r| !r.gone);
            for r in &mut self.shown {
                r.marks.iter_mut().for_each(|m| *m = false);
            }
            self.holes.clear();
            self.holes_by_key.clear();
            // Positions moved up over the removed rows.
            self.index.clear();
            for (p, r) in self.shown.iter().enumerate() {
                let h = self.hasher.hash_one(&r.cells);
                self.index.entry(h).or_default().push(p);
            }
        } else {
            self.prev.clear();
            self.had_prev = !self.shown.is_empty();
            for r in std::mem::take(&mut self.shown) {
                let key = key_of(&r.cells, &self.numeric);
                self.prev.entry(key).or_default().push_back(r.cells);
            }
            self.dropped = 0;
        }
    }

    /// The visible cells of `row` of `block`.
    fn cells(&mut self, block: &Block, row: usize) -> Vec<Cell> {
        let mut cells = Vec::with_capacity(block.columns.len());
        for (i, col) in block.columns.iter().enumerate() {
            if Some(i) == self.delta {
                continue;
            }
            self.cell_buf.clear();
            cells.push(match plain_cell(col, row, &mut self.cell_buf) {
                None => Cell {
                    text: "".into(),
                    width: NULL_WIDTH,
                    null: true,
                },
                Some(()) => {
                    let t = as_text(&self.cell_buf);
                    Cell {
                        width: width(t),
                        text: t.into(),
                        null: false,
                    }
                }
            });
        }
        cells
    }

    fn append(&mut self, block: &Block) {
        for row in 0..block.rows {
            if self.shown.len() >= KEEP_ROWS {
                self.dropped += block.rows - row;
                break;
            }
            let cells = self.cells(block, row);
            let marks = match self
                .prev
                .get_mut(&key_of(&cells, &self.numeric))
                .and_then(|q| q.pop_front())
            {
                Some(old) => cells.iter().zip(&old).map(|(a, b)| a != b).collect(),
                None => vec![self.had_prev; cells.len()],
            };
            self.shown.push(Row {
                cells,
                marks,
                gone: false,
            });
        }
    }

    fn apply_changelog(&mut self, block: &Block, delta: usize) {
        let deltas = &block.columns[delta];
        for row in 0..block.rows {
            let d = deltas.value(row).as_i64().unwrap_or(1);
            let cells = self.cells(block, row);
            let h = self.hasher.hash_one(&cells);
            if d < 0 {
                self.remove(&cells, h);
                continue;
            }
            match self.take_hole(&cells) {
                Some(p) => {
                    let marks = cells
                        .iter()
                        .zip(&self.shown[p].cells)
                        .map(|(a, b)| a != b)
                        .collect();
                    self.shown[p] = Row {
                        cells,
                        marks,
                        gone: false,
                    };
                    self.index.entry(h).or_default().push(p);
                }
                // No place free: a new row, if there is room.
                None if self.shown.len() >= KEEP_ROWS => self.dropped += 1,
                None => {
                    self.index.entry(h).or_default().push(self.shown.len());
                    let marks = vec![self.emit > 1; cells.len()];
                    self.shown.push(Row {
                        cells,
                        marks,
                        gone: false,
                    });
                }
            }
        }
    }

    /// Changelog -1: mark a row equal to `cells` (whose hash is `h`) gone and free its place.
    fn remove(&mut self, cells: &[Cell], h: u64) {
        let found = self.index.get_mut(&h).and_then(|ps| {
            let i = ps.iter().rposition(|&p| self.shown[p].cells == cells)?;
            Some(ps.swap_remove(i))
        });
        let Some(p) = found else {
            // Not kept: one of the rows only counted, if there are any.
            self.dropped = self.dropped.saturating_sub(1);
            return;
        };
        if self.index.get(&h).is_some_and(Vec::is_empty) {
            self.index.remove(&h);
        }
        self.shown[p].gone = true;
        self.removals += 1;
        self.holes.insert(self.removals, p);
        let k = self.key_hash(cells);
        self.holes_by_key
            .entry(k)
            .or_default()
            .insert(self.removals, p);
    }

    /// Changelog +1: a free place for `cells`, taken: the earliest removed row with the same
    /// key, else the earliest removed row.
    fn take_hole(&mut self, cells: &[Cell]) -> Option<usize> {
        let same_key = |old: &[Cell]| {
            old.iter()
                .zip(cells)
                .zip(&self.numeric)
                .all(|((a, b), &num)| num || a == b)
        };
        // The first of the bucket unless another key's hash collides with this one.
        let by_key = self.holes_by_key.get(&self.key_hash(cells)).and_then(|q| {
            q.iter()
                .find(|(_, &p)| self.shown[p].gone && same_key(&self.shown[p].cells))
        });
        let (&n, &p) = by_key.or_else(|| self.holes.first_key_value())?;
        self.holes.remove(&n);
        let k = self.key_hash(&self.shown[p].cells);
        if let Some(q) = self.holes_by_key.get_mut(&k) {
            q.remove(&n);
            if q.is_empty() {
                self.holes_by_key.remove(&k);
            }
        }
        Some(p)
    }

    /// A hash of the non-numeric cells of a row (what [`key_of`] matches rows by).
    fn key_hash(&self, cells: &[Cell]) -> u64 {
        let key: Vec<&Cell> = cells
            .iter()
            .zip(&self.numeric)
            .filter(|(_, &num)| !num)
            .map(|(c, _)| c)
            .collect();
        self.hasher.hash_one(&key)
    }

    fn draw(&mut self, out: &mut Vec<u8>) {
        let Some(layout) = &mut self.layout else {
            return;
        };
        let color = self.opts.color;
        let visible: Vec<&Row> = self.shown.iter().filter(|r| !r.gone).collect();
        let total = visible.len() + self.dropped;
        let drawn = &visible[..visible.len().min(self.max_rows)];
        for r in drawn {
            for (i, c) in r.cells.iter().enumerate() {
                layout.observe(i, c.width);
            }
        }
        layout.settle();
        out.extend_from_slice(b"\x1b[?2026h");
        if self.drawn_lines > 0 {
            out.extend_from_slice(format!("\x1b[{}A\x1b[J", self.drawn_lines).as_bytes());
        }
        layout.write_header(color, out);
        for r in drawn {
            layout.write_row(
                r.cells.iter().zip(&r.marks).map(|(c, &mark)| CellView {
                    text: &c.text,
                    width: c.width,
                    null: c.null,
                    mark,
                }),
                color,
                out,
            );
        }
        let mut lines = 2 + drawn.len() + 1;
        let limit = if self.width > 0 {
            self.width
        } else {
            usize::MAX
        };
        if total > drawn.len() {
            let more = format!("… {} more rows", total - drawn.len());
            push_line(&more, limit, color, out);
            lines += 1;
        }
        let plural = if total == 1 { "" } else { "s" };
        let footer = format!(
            "emit #{} · last emit {} · {total} row{plural}",
            self.emit, self.last_wall
        );
        push_line(&footer, limit, color, out);
        out.extend_from_slice(b"\x1b[?2026l");
        self.drawn_lines = lines;
    }
}

/// A dim line, cut to the terminal.
fn push_line(s: &str, limit: usize, color: bool, out: &mut Vec<u8>) {
    let mut cut = Vec::new();
    push_cut(s, width(s), limit, &mut cut);
    push_styled(as_text(&cut), DIM, color, out);
    out.push(b'\n');
}

/// What matches a row to its predecessor: its non-numeric cells.
fn key_of(cells: &[Cell], numeric: &[bool]) -> String {
    let mut k = String::new();
    for (c, &num) in cells.iter().zip(numeric) {
        if !num {
            k.push(if c.null { '\u{1}' } else { '\u{2}' });
            k.push_str(&c.text);
            k.push('\u{0}');
        }
    }
    k
}

/// Rows that fit a screen of `$LINES` lines with room for the header, footer and prompt.
fn default_max_rows() -> usize {
    std::env::var("LINES")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .map_or(20, |h| h.saturating_sub(7).max(3))
}

impl Sink for LiveSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        self.set_columns(header);
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_at(block, Instant::now(), out);
    }

    fn finish(&mut self, _out: &mut Vec<u8>) {
        // The last drawing stays; it already ends with a newline after the footer.
        self.drawn_lines = 0;
    }

    fn rows(&self) -> u64 {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn tty(color: bool) -> RenderOpts {
        RenderOpts {
            color,
            width: 80,
            is_tty: true,
            ..RenderOpts::default()
        }
    }

    /// The drawing with the clock masked and the synchronized-update bracket removed.
    fn masked(out: &[u8]) -> String {
        let t = text(out)
            .replace("\x1b[?2026h", "")
            .replace("\x1b[?2026l", "");
        let mut s = String::new();
        let mut rest = t.as_str();
        while let Some(i) = rest.find("last emit ") {
            let (a, b) = rest.split_at(i + "last emit ".len());
            s.push_str(a);
            s.push_str("HH:MM:SS");
            rest = &b[8.min(b.len())..];
        }
        s.push_str(rest);
        s
    }

    fn agg(keys: &[&str], counts: &[u64]) -> Block {
        block(vec![str_col("k", keys), u64_col("n", counts)])
    }

    #[test]
    fn redraws_in_place_and_highlights_changes() {
        let t0 = Instant::now();
        let mut s = LiveSink::new(&tty(true)).with_max_rows(10);
        let mut out = Vec::new();
        s.header(&agg(&[], &[]), &mut out);
        s.block_at(&agg(&["a", "b"], &[1, 2]), t0, &mut out);
        let first = masked(&out);
        assert!(
            !first.contains("\x1b[1;33m"),
            "nothing highlighted at first"
        );
        assert!(first.ends_with("\x1b[2memit #1 · last emit HH:MM:SS · 2 rows\x1b[0m\n"));
        assert!(
            !first.contains("\x1b[J"),
            "nothing to move over yet: {first:?}"
        );

        out.clear();
        // b changes, a does not; the emit comes back in another order.
        s.block_at(
            &agg(&["b", "a"], &[5, 1]),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        let second = masked(&out);
        // header + rule + 2 rows + footer = 5 lines to move back over.
        assert!(second.starts_with("\x1b[5A\x1b[J"), "{second:?}");
        assert!(second.contains("\x1b[1;33m5\x1b[0m"), "{second:?}");
        assert!(
            !second.contains("\x1b[1;33m1\x1b[0m"),
            "unchanged a=1 not highlighted: {second:?}"
        );
        assert!(second.contains("emit #2"));
        assert_eq!(s.rows(), 4);
    }

    #[test]
    fn blocks_in_quick_succession_are_one_emit() {
        let t0 = Instant::now();
        let mut s = LiveSink::new(&tty(false)).with_max_rows(10);
        let mut out = Vec::new();
        s.block_at(&agg(&["a"], &[1]), t0, &mut out);
        s.block_at(&agg(&["b"], &[2]), t0 + Duration::from_millis(10), &mut out);
        out.clear();
        s.block_at(&agg(&["c"], &[3]), t0 + Duration::from_millis(20), &mut out);
        assert_eq!(
            masked(&out),
            "\x1b[5A\x1b[Jk │ n\n──┼──\na │ 1\nb │ 2\nc │ 3\n\
             emit #1 · last emit HH:MM:SS · 3 rows\n"
        );
        out.clear();
        s.block_at(&agg(&["a"], &[1]), t0 + Duration::from_secs(2), &mut out);
        assert_eq!(
            masked(&out),
            "\x1b[6A\x1b[Jk │ n\n──┼──\na │ 1\n\
             emit #2 · last emit HH:MM:SS · 1 row\n"
        );
    }

    #[test]
    fn changelog_adds_and_removes_by_value() {
        let t0 = Instant::now();
        let mut s = LiveSink::new(&tty(true)).with_max_rows(10);
        let mut out = Vec::new();
        let cl = |keys: &[&str], counts: &[u64], d: &[i8]| {
            block(vec![
                str_col("k", keys),
                u64_col("n", counts),
                i8_col("_tp_delta", d),
            ])
        };
        s.header(&cl(&[], &[], &[]), &mut out);
        s.block_at(&cl(&["a", "b"], &[1, 1], &[1, 1]), t0, &mut out);
        let first = masked(&out);
        assert!(!first.contains("_tp_delta"), "{first:?}");
        out.clear();
        // a: 1 -> 3 (retract then add); b removed; c added.
        s.block_at(
            &cl(&["a", "b", "a", "c"], &[1, 1, 3, 7], &[-1, -1, 1, 1]),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        let t = masked(&out);
        let body: Vec<&str> = t.lines().collect();
        // Row a kept its place with the count highlighted, b is gone, c is new.
        assert!(body[2].starts_with("a"), "{t:?}");
        assert!(body[2].contains("\x1b[1;33m3\x1b[0m"), "{t:?}");
        assert!(!body[2].contains("\x1b[1;33ma"), "key unchanged: {t:?}");
        assert!(body[3].contains("\x1b[1;33mc\x1b[0m"), "{t:?}");
        assert!(!t.contains(" b "), "{t:?}");
        assert!(t.contains("emit #2 · last emit HH:MM:SS · 2 rows"), "{t:?}");
        assert_eq!(s.shown.iter().filter(|r| !r.gone).count(), 2);
        // A removal of a row that is not there changes nothing.
        out.clear();
        s.block_at(
            &cl(&["zzz"], &[9], &[-1]),
            t0 + Duration::from_secs(4),
            &mut out,
        );
        assert!(masked(&out).contains("· 2 rows"));
    }

    fn changelog(keys: &[&str], n: &[u64], m: &[u64], d: &[i8]) -> Block {
        block(vec![
            str_col("k", keys),
            u64_col("n", n),
            u64_col("m", m),
            i8_col("_tp_delta", d),
        ])
    }

    #[test]
    fn a_changelog_keeps_at_most_keep_rows_and_counts_the_rest() {
        let t0 = Instant::now();
        let mut s = LiveSink::new(&tty(false)).with_max_rows(3);
        let mut out = Vec::new();
        let names: Vec<String> = (0..KEEP_ROWS + 5).map(|i| format!("k{i}")).collect();
        let keys: Vec<&str> = names.iter().map(String::as_str).collect();
        let ones = vec![1u64; keys.len()];
        let adds = vec![1i8; keys.len()];
        s.block_at(&changelog(&keys, &ones, &ones, &adds), t0, &mut out);
        assert_eq!(s.shown.len(), KEEP_ROWS, "the state is capped");
        assert_eq!(s.dropped, 5);
        let t = masked(&out);
        assert!(t.contains(&format!("… {} more rows", KEEP_ROWS + 2)), "{t}");
        assert!(t.contains(&format!("· {} rows", KEEP_ROWS + 5)), "{t}");
        // Updating every row, the ones not kept included, keeps the count steady.
        let mut keys2 = keys.clone();
        keys2.extend(&keys);
        let mut n2 = ones.clone();
        n2.extend(vec![2u64; keys.len()]);
        let m2 = vec![1u64; keys2.len()];
        let mut d2 = vec![-1i8; keys.len()];
        d2.extend(&adds);
        out.clear();
        s.block_at(
            &changelog(&keys2, &n2, &m2, &d2),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        assert!(s.shown.len() <= KEEP_ROWS);
        let t = masked(&out);
        assert!(t.contains(&format!("· {} rows", KEEP_ROWS + 5)), "{t}");
        // Removing rows frees room again.
        out.clear();
        s.block_at(
            &changelog(&keys[..10], &[2; 10], &[1; 10], &[-1; 10]),
            t0 + Duration::from_secs(4),
            &mut out,
        );
        out.clear();
        s.block_at(
            &changelog(&["new"], &[1], &[1], &[1]),
            t0 + Duration::from_secs(6),
            &mut out,
        );
        assert!(s.shown.iter().any(|r| &*r.cells[0].text == "new"));
        assert!(masked(&out).contains(&format!("· {} rows", KEEP_ROWS - 4)));
    }

    #[test]
    fn a_changelog_update_takes_the_place_of_its_own_key() {
        let t0 = Instant::now();
        let mut s = LiveSink::new(&tty(false)).with_max_rows(10);
        let mut out = Vec::new();
        s.block_at(
            &changelog(&["a", "b", "c"], &[5, 7, 1], &[5, 7, 1], &[1, 1, 1]),
            t0,
            &mut out,
        );
        // a and b retracted; a comes back with b's numbers, then b with new ones.
        s.block_at(
            &changelog(
                &["a", "b", "a", "b"],
                &[5, 7, 7, 8],
                &[5, 7, 7, 8],
                &[-1, -1, 1, 1],
            ),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        let keys: Vec<&str> = s.shown.iter().map(|r| &*r.cells[0].text).collect();
        assert_eq!(keys, ["a", "b", "c"], "each update in its own row's place");
        assert_eq!(s.shown[0].marks, [false, true, true]);
        // Equal rows: one -1 removes one of them.
        s.block_at(
            &changelog(&["c", "c"], &[1, 1], &[1, 1], &[1, -1]),
            t0 + Duration::from_secs(4),
            &mut out,
        );
        s.block_at(
            &changelog(&["x"], &[0], &[0], &[-1]),
            t0 + Duration::from_secs(6),
            &mut out,
        );
        let keys: Vec<&str> = s.shown.iter().map(|r| &*r.cells[0].text).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn an_emit_that_never_ends_keeps_its_changelog_bookkeeping_bounded() {
        // One emit (all at t0): each row retracted as the next, another key, comes in.
        let n = KEEP_ROWS + 10;
        let names: Vec<String> = (0..=n).map(|i| format!("k{i}")).collect();
        let (mut keys, mut d) = (vec![names[0].as_str()], vec![1i8]);
        for i in 0..n {
            keys.extend([names[i].as_str(), names[i + 1].as_str()]);
            d.extend([-1i8, 1]);
        }
        let ones = vec![1u64; keys.len()];
        let mut s = LiveSink::new(&tty(false)).with_max_rows(3);
        s.block_at(
            &changelog(&keys, &ones, &ones, &d),
            Instant::now(),
            &mut Vec::new(),
        );
        let live: Vec<&Row> = s.shown.iter().filter(|r| !r.gone).collect();
        assert_eq!(live.len(), 1);
        assert_eq!(&*live[0].cells[0].text, names[n].as_str());
        assert_eq!(s.shown.len(), 1, "each new row took the freed place");
        assert!(s.holes.is_empty() && s.holes_by_key.is_empty());
        assert_eq!(s.index.values().map(Vec::len).sum::<usize>(), 1);
    }

    #[test]
    fn rows_beyond_the_screen_are_counted() {
        let mut s = LiveSink::new(&tty(false)).with_max_rows(2);
        let mut out = Vec::new();
        s.block_at(&agg(&["a", "b", "c"], &[1, 2, 3]), Instant::now(), &mut out);
        let t = masked(&out);
        assert_eq!(
            t,
            "k │ n\n──┼──\na │ 1\nb │ 2\n… 1 more rows\n\
             emit #1 · last emit HH:MM:SS · 3 rows\n"
        );
        assert_eq!(s.drawn_lines, 6);
    }

    #[test]
    fn without_a_terminal_each_emit_is_a_table() {
        let t0 = Instant::now();
        let mut s = LiveSink::new(&RenderOpts::default());
        let mut out = Vec::new();
        s.header(&agg(&[], &[]), &mut out);
        s.block_at(&agg(&["a"], &[1]), t0, &mut out);
        s.block_at(&agg(&["b"], &[2]), t0 + Duration::from_millis(5), &mut out);
        s.block_at(&agg(&["a"], &[3]), t0 + Duration::from_secs(2), &mut out);
        s.finish(&mut out);
        assert_eq!(
            text(&out),
            "-- emit #1\nk │ n\n──┼──\na │ 1\nb │ 2\n-- emit #2\nk │ n\n──┼──\na │ 3\n"
        );
        assert_eq!(s.rows(), 3);
    }

    #[test]
    fn null_is_the_glyph_dim_in_colour() {
        let b = block(vec![
            str_col("k", &["x", "y"]),
            nullable_str_col("v", &[None, Some("NULL")]),
        ]);
        let mut s = LiveSink::new(&tty(false)).with_max_rows(10);
        let mut out = Vec::new();
        s.block_at(&b, Instant::now(), &mut out);
        let t = masked(&out);
        assert!(t.contains("\nx │ ᴺᵁᴸᴸ\ny │ NULL\n"), "{t:?}");
        let mut s = LiveSink::new(&tty(true)).with_max_rows(10);
        out.clear();
        s.block_at(&b, Instant::now(), &mut out);
        let t = masked(&out);
        assert!(t.contains("\x1b[2mᴺᵁᴸᴸ\x1b[0m\n"), "{t:?}");
        assert!(t.contains("\x1b[0mNULL\n"), "the string stays plain: {t:?}");
    }

    static TERM_WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(80);

    #[test]
    fn a_resize_shows_at_the_next_redraw() {
        use std::sync::atomic::Ordering;
        TERM_WIDTH.store(80, Ordering::Relaxed);
        let mut s = LiveSink::new(&RenderOpts {
            width_now: Some(|| Some(TERM_WIDTH.load(Ordering::Relaxed))),
            ..tty(false)
        })
        .with_max_rows(10);
        let long = "k".repeat(50);
        let b = agg(&[long.as_str()], &[1]);
        let t0 = Instant::now();
        let mut out = Vec::new();
        s.block_at(&b, t0, &mut out);
        assert!(masked(&out).contains(&long));
        TERM_WIDTH.store(30, Ordering::Relaxed);
        out.clear();
        s.block_at(&b, t0 + Duration::from_secs(2), &mut out);
        let t = masked(&out);
        let t = t.split_once("\x1b[J").map_or(t.as_str(), |x| x.1);
        assert!(t.lines().all(|l| width(l) <= 30), "{t}");
        assert!(t.contains("k…"), "{t}");
    }
}
