//! Live terminal charts of a query's result: lines over a time column, bars per key, or a big single value with a sparkline; redrawn in place like the live view.
//!
//! The chart is chosen from the header (see [`choose`]), unless `:chart x=… y=… by=…` names
//! the columns:
//!
//! - **x**: `window_end`, `window_start`, `_tp_time`, else the first date/datetime column.
//! - **by** (the series key): every other column that is neither numeric nor a date/time,
//!   joined with `/` (a string, an enum, …).
//! - **y**: every other numeric column.
//!
//! With an x column it is a **line chart**, one series per key (and per y column when there
//! are several). Without one, a **bar chart** of the latest value per key; without a key
//! either, a **single value** in big digits with a sparkline of its history.
//!
//! Proton's emits map onto the chart without knowing the query: a value is stored per
//! (series, x), so a global aggregate re-emitted (same key, no x) updates in place, and a
//! windowed aggregate adds points as its windows close (new x values). `EMIT CHANGELOG`
//! results (`_tp_delta`) add `delta × value` to their point; a point whose rows were all
//! retracted goes away.
//!
//! Memory is flat for an endless query: at most `2 × plot columns` x values are kept (the
//! oldest dropped first), at most [`MAX_SERIES`] series (later keys are counted, not kept),
//! and a single value's history as long as the sparkline is wide.
//!
//! On a terminal every block redraws the frame in place (cursor up over the previous frame,
//! clear to the end of the screen, in a synchronized-update bracket) at the terminal's width
//! as of that block ([`RenderOpts::width_now`]), so a resize shows at the next emit; `finish`
//! leaves the last frame in the scrollback. With colour, lines are drawn in braille dots,
//! one colour per series, with a legend; without colour (`NO_COLOR`, `--no-color`) in plain
//! characters, a marker per series (`*`, `+`, `o`, …), and no escape sequences at all beyond
//! the cursor movement a redraw needs. Not on a terminal, nothing is printed until the query
//! ends (or is cancelled): then the final frame, 80 columns wide, once.

use super::live::EMIT_GAP;
use super::text::{clean_name, plain_cell, push_cut, width, DIM, RESET};
use super::{RenderOpts, Sink};
use crate::wire::{Block, Column, TypeDesc};
use chrono::TimeZone;
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Instant;

/// Plot rows when `height=` is not given.
pub const DEFAULT_HEIGHT: usize = 12;
/// Series (keys) kept at most; rows of further keys are counted only.
pub const MAX_SERIES: usize = 256;
/// Series drawn in a line chart (one colour or marker each).
const MAX_DRAWN: usize = 8;
/// The column `EMIT CHANGELOG` adds.
const DELTA_COLUMN: &str = "_tp_delta";
/// Columns laid out for when not on a terminal.
const PLAIN_WIDTH: usize = 80;

const COLORS: [&str; MAX_DRAWN] = [
    "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[31m", "\x1b[92m", "\x1b[93m",
];
const MARKERS: [char; MAX_DRAWN] = ['*', '+', 'o', 'x', '#', '@', '%', '&'];
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const PLAIN_SPARKS: [char; 8] = ['.', ':', '-', '=', '+', '*', '#', '%'];
const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// What `:chart` was given: columns to use instead of the automatic choice, and the height.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChartSpec {
    pub x: Option<String>,
    pub y: Vec<String>,
    pub by: Option<String>,
    pub height: Option<usize>,
}

impl ChartSpec {
    /// Parse `x=COL y=COL[,COL] by=COL height=N` (any order, each optional).
    pub fn parse(args: &str) -> Result<ChartSpec, String> {
        let mut spec = ChartSpec::default();
        for word in args.split_whitespace() {
            let Some((k, v)) = word.split_once('=') else {
                return Err(format!("expected key=value, got `{word}`"));
            };
            let v = v.trim();
            if v.is_empty() {
                return Err(format!("`{k}=` needs a value"));
            }
            match k.to_ascii_lowercase().as_str() {
                "x" => spec.x = Some(v.to_string()),
                "y" => {
                    spec.y = v
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                }
                "by" => spec.by = Some(v.to_string()),
                "height" | "h" => match v.parse::<usize>() {
                    Ok(n) if (3..=100).contains(&n) => spec.height = Some(n),
                    _ => return Err(format!("height must be a number from 3 to 100, got `{v}`")),
                },
                _ => return Err(format!("unknown key `{k}`; use x=, y=, by=, height=")),
            }
        }
        Ok(spec)
    }

    pub fn height(&self) -> usize {
        self.height.unwrap_or(DEFAULT_HEIGHT)
    }

    /// `x=auto y=a,b by=auto height=12`, for the shell's notes.
    pub fn describe(&self) -> String {
        let y = if self.y.is_empty() {
            "auto".to_string()
        } else {
            self.y.join(",")
        };
        format!(
            "x={} y={y} by={} height={}",
            self.x.as_deref().unwrap_or("auto"),
            self.by.as_deref().unwrap_or("auto"),
            self.height()
        )
    }
}

/// How x values read and print.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum XKind {
    /// Seconds since the epoch (`scale` converts the stored integer), shown in `tz`.
    Time {
        tz: Tz,
        scale: f64,
        date: bool,
    },
    Number,
}

/// Which column plays which part.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Roles {
    pub x: Option<(usize, XKind)>,
    pub keys: Vec<usize>,
    pub ys: Vec<usize>,
    pub delta: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Line,
    Bar,
    Single,
}

impl Roles {
    fn mode(&self) -> Mode {
        match (self.x.is_some(), self.keys.is_empty()) {
            (true, _) => Mode::Line,
            (false, false) => Mode::Bar,
            (false, true) => Mode::Single,
        }
    }
}

fn base(ty: &TypeDesc) -> &TypeDesc {
    match ty {
        TypeDesc::Nullable(t) | TypeDesc::LowCardinality(t) => base(t),
        t => t,
    }
}

fn time_kind(ty: &TypeDesc) -> Option<XKind> {
    Some(match base(ty) {
        TypeDesc::Date | TypeDesc::Date32 => XKind::Time {
            tz: Tz::UTC,
            scale: 86_400.0,
            date: true,
        },
        TypeDesc::DateTime(tz) => XKind::Time {
            tz: tz.unwrap_or(Tz::UTC),
            scale: 1.0,
            date: false,
        },
        TypeDesc::DateTime64 { precision, tz } => XKind::Time {
            tz: tz.unwrap_or(Tz::UTC),
            scale: 10f64.powi(-(*precision as i32)),
            date: false,
        },
        _ => return None,
    })
}

/// Choose the columns of a chart from a header (see the module doc); `spec` overrides.
pub(crate) fn choose(block: &Block, spec: &ChartSpec) -> Result<Roles, String> {
    let cols = &block.columns;
    let delta = cols.iter().position(|c| c.name == DELTA_COLUMN);
    let find = |name: &str| {
        cols.iter()
            .position(|c| c.name == name)
            .or_else(|| cols.iter().position(|c| c.name.eq_ignore_ascii_case(name)))
            .ok_or_else(|| {
                let all: Vec<String> = cols.iter().map(|c| clean_name(&c.name)).collect();
                format!("no column `{name}` (columns: {})", all.join(", "))
            })
    };
    let x = match &spec.x {
        Some(name) => {
            let i = find(name)?;
            Some((i, time_kind(&cols[i].ty).unwrap_or(XKind::Number)))
        }
        None => ["window_end", "window_start", "_tp_time"]
            .iter()
            .find_map(|n| cols.iter().position(|c| c.name == *n))
            .or_else(|| cols.iter().position(|c| time_kind(&c.ty).is_some()))
            .map(|i| (i, time_kind(&cols[i].ty).unwrap_or(XKind::Number))),
    };
    let x_col = x.map(|(i, _)| i);
    let used = |i: usize| Some(i) == delta || Some(i) == x_col;
    let keys = match &spec.by {
        Some(name) => vec![find(name)?],
        None => (0..cols.len())
            .filter(|&i| !used(i) && !cols[i].ty.is_numeric() && time_kind(&cols[i].ty).is_none())
            .filter(|&i| spec.y.iter().all(|y| *y != cols[i].name))
            .collect(),
    };
    let ys = if spec.y.is_empty() {
        (0..cols.len())
            .filter(|&i| !used(i) && !keys.contains(&i) && cols[i].ty.is_numeric())
            .collect()
    } else {
        spec.y
            .iter()
            .map(|n| find(n))
            .collect::<Result<Vec<_>, _>>()?
    };
    if ys.is_empty() {
        return Err("no numeric column to chart; name one with `:chart y=COLUMN`".into());
    }
    Ok(Roles { x, keys, ys, delta })
}

/// A number, for charting: numeric types directly, anything else by its text.
fn number(col: &Column, row: usize) -> Option<f64> {
    let v = col.value(row);
    if v.is_null() {
        return None;
    }
    if let Some(f) = v.as_f64() {
        return Some(f);
    }
    let mut buf = Vec::new();
    col.write_cell(row, crate::wire::Style::Plain, &mut buf);
    std::str::from_utf8(&buf).ok()?.trim().parse().ok()
}

fn x_value(col: &Column, row: usize, kind: XKind) -> Option<f64> {
    match kind {
        XKind::Time { scale, .. } => col.value(row).as_i64().map(|v| v as f64 * scale),
        XKind::Number => number(col, row),
    }
}

/// `v` in at most about four characters with an SI suffix: `950`, `1.23k`, `45.6M`, `2G`.
pub fn si(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    // Beyond the largest suffix an exponent keeps the label short.
    if a != 0.0 && !(0.01..1e18).contains(&a) {
        return format!("{v:.1e}");
    }
    let (scaled, suffix) = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        .iter()
        .find(|(t, _)| a >= *t * 0.9995)
        .map_or((v, ""), |(t, s)| (v / t, *s));
    let digits = match scaled.abs() {
        x if x >= 99.95 => 0,
        x if x >= 9.995 => 1,
        _ => 2,
    };
    let mut s = format!("{scaled:.digits$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        s = "0".into();
    }
    s + suffix
}

/// An x value as an axis label: `HH:MM:SS` (in the column's timezone), a date, or a number.
fn x_label(x: f64, kind: XKind, span: f64) -> String {
    match kind {
        XKind::Number => si(x),
        XKind::Time { tz, date, .. } => {
            let secs = x.floor() as i64;
            let Some(t) = tz.timestamp_opt(secs, 0).single() else {
                return si(x);
            };
            let fmt = if date {
                "%Y-%m-%d"
            } else if span >= 86_400.0 {
                "%m-%d %H:%M"
            } else {
                "%H:%M:%S"
            };
            t.format(fmt).to_string()
        }
    }
}

/// A float with a total order, to key points by x.
#[derive(Clone, Copy, Debug, PartialEq)]
struct X(f64);
impl Eq for X {}
impl PartialOrd for X {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for X {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Point {
    /// The value, or in changelog mode the sum of delta × value.
    sum: f64,
    /// Rows behind the point (changelog: added minus retracted).
    n: i64,
}

#[derive(Debug)]
struct Series {
    name: String,
    /// Colour / marker slot, fixed when the series is created.
    slot: usize,
    points: BTreeMap<X, Point>,
    /// Single value: the values it had, oldest first.
    history: VecDeque<f64>,
}

/// The chart view (see the module doc).
pub struct ChartSink {
    opts: RenderOpts,
    spec: ChartSpec,
    width: usize,
    source_cols: usize,
    roles: Result<Roles, String>,
    names: Vec<String>,
    series: Vec<Series>,
    index: HashMap<String, usize>,
    next_slot: usize,
    /// Rows of keys beyond [`MAX_SERIES`], not kept.
    dropped_rows: u64,
    xs: BTreeSet<X>,
    emit: u64,
    last_block: Option<Instant>,
    last_wall: String,
    drawn_lines: usize,
    /// The terminal's rows as of the latest block, when known.
    term_rows: Option<usize>,
    rows: u64,
    seen_rows: bool,
    buf: Vec<u8>,
}

impl ChartSink {
    pub fn new(opts: &RenderOpts, spec: ChartSpec) -> Self {
        ChartSink {
            opts: opts.clone(),
            spec,
            width: opts.width,
            source_cols: 0,
            roles: Err("no columns yet".into()),
            names: Vec::new(),
            series: Vec::new(),
            index: HashMap::new(),
            next_slot: 0,
            dropped_rows: 0,
            xs: BTreeSet::new(),
            emit: 0,
            last_block: None,
            last_wall: String::new(),
            drawn_lines: 0,
            term_rows: None,
            rows: 0,
            seen_rows: false,
            buf: Vec::new(),
        }
    }

    fn set_columns(&mut self, block: &Block) {
        self.source_cols = block.columns.len();
        self.names = block.columns.iter().map(|c| clean_name(&c.name)).collect();
        self.roles = choose(block, &self.spec);
        self.series.clear();
        self.index.clear();
        self.xs.clear();
    }

    /// Plot rows: the asked height, less when the terminal is too short for the frame to
    /// be redrawn in place (the cursor cannot move above the top of the screen).
    fn plot_height(&self) -> usize {
        let h = self.spec.height();
        match self.term_rows {
            Some(rows) => h.min(rows.saturating_sub(6)).max(3),
            None => h,
        }
    }

    /// The width frames are laid out for.
    fn layout_width(&self) -> usize {
        if self.width == 0 {
            PLAIN_WIDTH
        } else {
            self.width.max(20)
        }
    }

    /// How many x values (and history entries) are kept: two per plot column (braille
    /// resolution).
    fn cap(&self) -> usize {
        (self.layout_width().saturating_sub(10) * 2).clamp(16, 2048)
    }

    /// `block`, arriving at `at` (a parameter so tests can choose emit boundaries).
    pub fn block_at(&mut self, block: &Block, at: Instant, out: &mut Vec<u8>) {
        if block.columns.is_empty() {
            return;
        }
        if self.source_cols != block.columns.len() {
            self.set_columns(block);
        }
        if block.rows == 0 {
            return;
        }
        self.width = self.opts.current_width();
        if self.opts.is_tty && self.opts.width_now.is_some() {
            self.term_rows = terminal_rows();
        }
        self.rows += block.rows as u64;
        self.seen_rows = true;
        if self
            .last_block
            .is_none_or(|t| at.saturating_duration_since(t) >= EMIT_GAP)
        {
            self.emit += 1;
            self.last_wall = chrono::Local::now().format("%H:%M:%S").to_string();
        }
        self.last_block = Some(at);
        self.ingest(block);
        if self.opts.is_tty {
            self.draw(out);
        }
    }

    /// Take the rows of `block` into the series (no drawing).
    fn ingest(&mut self, block: &Block) {
        let Ok(roles) = self.roles.clone() else {
            return;
        };
        let mode = roles.mode();
        let cols = &block.columns;
        for row in 0..block.rows {
            let delta = roles
                .delta
                .map(|d| cols[d].value(row).as_i64().unwrap_or(1));
            let x = match roles.x {
                Some((i, kind)) => match x_value(&cols[i], row, kind) {
                    Some(x) => X(x),
                    None => continue,
                },
                None => X(0.0),
            };
            let mut key = String::new();
            for (n, &k) in roles.keys.iter().enumerate() {
                if n > 0 {
                    key.push('/');
                }
                self.buf.clear();
                match plain_cell(&cols[k], row, &mut self.buf) {
                    Some(()) => key.push_str(&String::from_utf8_lossy(&self.buf)),
                    None => key.push_str(super::text::NULL_GLYPH),
                }
            }
            for &y in &roles.ys {
                let Some(v) = number(&cols[y], row) else {
                    continue;
                };
                let name = match (key.is_empty(), roles.ys.len() > 1) {
                    (true, _) => self.names[y].clone(),
                    (false, false) => key.clone(),
                    (false, true) => format!("{key} · {}", self.names[y]),
                };
                let Some(s) = self.series_for(name) else {
                    self.dropped_rows += 1;
                    continue;
                };
                let s = &mut self.series[s];
                match delta {
                    Some(d) => {
                        let p = s.points.entry(x).or_default();
                        p.sum += d as f64 * v;
                        p.n += d.signum();
                        if p.n <= 0 {
                            s.points.remove(&x);
                        }
                    }
                    None => {
                        s.points.insert(x, Point { sum: v, n: 1 });
                    }
                }
                if mode == Mode::Single && delta.is_none() {
                    s.history.push_back(v);
                }
            }
            if mode == Mode::Line {
                self.xs.insert(x);
            }
        }
        if mode == Mode::Single && roles.delta.is_some() {
            for s in &mut self.series {
                let v = s.points.get(&X(0.0)).map_or(0.0, |p| p.sum);
                s.history.push_back(v);
            }
        }
        self.bound();
    }

    fn series_for(&mut self, name: String) -> Option<usize> {
        if let Some(&i) = self.index.get(&name) {
            return Some(i);
        }
        if self.series.len() >= MAX_SERIES {
            return None;
        }
        self.index.insert(name.clone(), self.series.len());
        self.series.push(Series {
            name,
            slot: self.next_slot,
            points: BTreeMap::new(),
            history: VecDeque::new(),
        });
        self.next_slot += 1;
        Some(self.series.len() - 1)
    }

    /// Keep memory flat: the newest `cap` x values and history entries, and no empty series.
    fn bound(&mut self) {
        let cap = self.cap();
        while self.xs.len() > cap {
            if let Some(old) = self.xs.pop_first() {
                for s in &mut self.series {
                    s.points.remove(&old);
                }
            }
        }
        for s in &mut self.series {
            while s.history.len() > cap {
                s.history.pop_front();
            }
        }
        let before = self.series.len();
        self.series
            .retain(|s| !s.points.is_empty() || !s.history.is_empty());
        if self.series.len() != before {
            self.index = self
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), i))
                .collect();
        }
    }

    fn draw(&mut self, out: &mut Vec<u8>) {
        let lines = self.frame();
        if self.opts.color {
            out.extend_from_slice(b"\x1b[?2026h");
        }
        if self.drawn_lines > 0 {
            out.extend_from_slice(format!("\x1b[{}A\x1b[J", self.drawn_lines).as_bytes());
        }
        for l in &lines {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        if self.opts.color {
            out.extend_from_slice(b"\x1b[?2026l");
        }
        self.drawn_lines = lines.len();
    }

    /// The lines of the current frame (escapes included when colour is on), each at most
    /// the layout width wide on screen.
    fn frame(&self) -> Vec<String> {
        let w = self.layout_width();
        let mut lines = match &self.roles {
            Err(e) => vec![cut(&format!("chart: {e}"), w)],
            Ok(roles) => match roles.mode() {
                Mode::Line => self.line_frame(roles, w),
                Mode::Bar => self.bar_frame(w),
                Mode::Single => self.single_frame(w),
            },
        };
        lines.push(self.footer(w));
        lines
    }

    fn paint(&self, attr: &str, s: &str) -> String {
        if self.opts.color && !attr.is_empty() {
            format!("{attr}{s}{RESET}")
        } else {
            s.to_string()
        }
    }

    fn footer(&self, w: usize) -> String {
        let mut parts = vec![format!(
            "emit #{} · last emit {}",
            self.emit, self.last_wall
        )];
        if let Ok(r) = &self.roles {
            let mut which = String::new();
            if let Some((x, _)) = r.x {
                which += &format!("x={} ", self.names[x]);
            }
            let ys: Vec<&str> = r.ys.iter().map(|&i| self.names[i].as_str()).collect();
            which += &format!("y={}", ys.join(","));
            if !r.keys.is_empty() {
                let ks: Vec<&str> = r.keys.iter().map(|&i| self.names[i].as_str()).collect();
                which += &format!(" by={}", ks.join(","));
            }
            // Before the columns, which are known already: this says something is missing.
            let skipped = match r.mode() {
                Mode::Line => self
                    .drawn()
                    .iter()
                    .flat_map(|s| s.points.iter())
                    .filter(|(x, p)| !x.0.is_finite() || !p.sum.is_finite())
                    .count(),
                Mode::Bar => self.bars().0.iter().filter(|(_, v)| !v.is_finite()).count(),
                Mode::Single => 0,
            };
            if skipped > 0 {
                parts.push(format!("{skipped} inf/NaN not drawn"));
            }
            parts.push(which);
        }
        if self.dropped_rows > 0 {
            parts.push(format!(
                "{} rows of keys beyond {MAX_SERIES} not charted",
                self.dropped_rows
            ));
        }
        self.paint(DIM, &cut(&parts.join(" · "), w))
    }

    /// The series a line chart draws: the first [`MAX_DRAWN`] with points.
    fn drawn(&self) -> Vec<&Series> {
        self.series
            .iter()
            .filter(|s| !s.points.is_empty())
            .take(MAX_DRAWN)
            .collect()
    }

    fn line_frame(&self, roles: &Roles, w: usize) -> Vec<String> {
        let h = self.plot_height();
        let color = self.opts.color;
        let drawn = self.drawn();
        let kind = roles.x.map_or(XKind::Number, |(_, k)| k);
        // The scales span the finite values only: an infinity or NaN is not drawn (the
        // footer counts them), and cannot stretch the axes.
        let values = || {
            drawn
                .iter()
                .flat_map(|s| s.points.iter())
                .filter(|(x, p)| x.0.is_finite() && p.sum.is_finite())
                .map(|(_, p)| p.sum)
        };
        let (lo, hi) = values().fold((0f64, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (ymin, ymax) = nice_range(lo, if hi.is_finite() { hi } else { 1.0 });
        let xkeys = || {
            drawn
                .iter()
                .flat_map(|s| s.points.keys().map(|x| x.0))
                .filter(|x| x.is_finite())
        };
        let xmin = xkeys().fold(f64::INFINITY, f64::min);
        let xmax = xkeys().fold(f64::NEG_INFINITY, f64::max);
        // Labels: the top, the bottom, and the round middle value on its nearest row.
        let mid = (ymax + ymin) / 2.0;
        let mid_row = ((ymax / 2.0 - mid / 2.0) / (ymax / 2.0 - ymin / 2.0) * (h - 1) as f64)
            .round() as usize;
        let labels: Vec<(usize, String)> =
            vec![(0, si(ymax)), (mid_row, si(mid)), (h - 1, si(ymin))];
        let lw = labels.iter().map(|(_, l)| l.len()).max().unwrap_or(1);
        let cols = w.saturating_sub(lw + 2).max(4);
        // The canvas: braille dots (2×4 per cell) with colour, else one marker per cell.
        let (sx, sy) = if color { (2, 4) } else { (1, 1) };
        let (dw, dh) = (cols * sx, h * sy);
        let mut cells: Vec<(u8, Option<usize>)> = vec![(0, None); cols * h];
        let mut marks: Vec<Option<usize>> = vec![None; cols * h];
        let px = |x: f64| -> i64 {
            if xmax > xmin {
                ((x - xmin) / (xmax - xmin) * (dw - 1) as f64).round() as i64
            } else {
                0
            }
        };
        // Halves, so that a range as wide as f64 allows does not overflow to infinity.
        let py = |y: f64| -> i64 {
            ((ymax / 2.0 - y / 2.0) / (ymax / 2.0 - ymin / 2.0) * (dh - 1) as f64).round() as i64
        };
        for (n, s) in drawn.iter().enumerate() {
            let mut prev: Option<(i64, i64)> = None;
            for (x, p) in &s.points {
                if !x.0.is_finite() || !p.sum.is_finite() {
                    // A gap in the line where the value is not a number.
                    prev = None;
                    continue;
                }
                let pt = (px(x.0), py(p.sum));
                let from = prev.unwrap_or(pt);
                for (dx, dy) in line_points(from, pt, dw, dh) {
                    let i = dy / sy * cols + dx / sx;
                    if color {
                        cells[i].0 |= braille_bit(dx % 2, dy % 4);
                        cells[i].1 = Some(s.slot % MAX_DRAWN);
                    } else {
                        marks[i] = Some(n);
                    }
                }
                prev = Some(pt);
            }
        }
        let mut lines = Vec::with_capacity(h + 3);
        for r in 0..h {
            let mut line = String::new();
            let label = labels
                .iter()
                .find(|(at, _)| *at == r)
                .map_or(String::new(), |(_, l)| l.clone());
            line += &format!("{label:>lw$} ");
            line += if label.is_empty() {
                if color {
                    "│"
                } else {
                    "|"
                }
            } else if color {
                "┤"
            } else {
                "+"
            };
            let mut current: Option<usize> = None;
            // Up to the last mark on the row: no trailing blanks after a colour reset.
            let used = (0..cols)
                .rev()
                .find(|&c| cells[r * cols + c].0 != 0 || marks[r * cols + c].is_some())
                .map_or(0, |c| c + 1);
            for c in 0..used {
                let i = r * cols + c;
                if color {
                    let (bits, slot) = cells[i];
                    if bits == 0 {
                        line.push(' ');
                        continue;
                    }
                    if slot != current {
                        if current.is_some() {
                            line += RESET;
                        }
                        if let Some(s) = slot {
                            line += COLORS[s];
                        }
                        current = slot;
                    }
                    line.push(char::from_u32(0x2800 + bits as u32).unwrap_or(' '));
                } else {
                    line.push(marks[i].map_or(' ', |n| MARKERS[n]));
                }
            }
            if current.is_some() {
                line += RESET;
            }
            lines.push(line.trim_end().to_string());
        }
        let axis = if color {
            format!("{} └{}", " ".repeat(lw), "─".repeat(cols))
        } else {
            format!("{} +{}", " ".repeat(lw), "-".repeat(cols))
        };
        lines.push(axis);
        // x labels: first and last, and evenly spaced ones in between where they fit.
        let mut row: Vec<char> = vec![' '; cols];
        if xmax >= xmin {
            let span = xmax - xmin;
            let sample = x_label(xmax, kind, span);
            let room = width(&sample) + 3;
            let n = if xmax > xmin {
                (cols / room).clamp(2, 8)
            } else {
                1
            };
            let mut free_from = 0;
            // Each label on the data's x value nearest its place (windows start on round times).
            let known: BTreeSet<X> = xkeys().map(X).collect();
            let nearest = |want: f64| -> f64 {
                let after = known.range(X(want)..).next().map(|x| x.0);
                let before = known.range(..X(want)).next_back().map(|x| x.0);
                match (before, after) {
                    (Some(b), Some(a)) if want - b < a - want => b,
                    (_, Some(a)) => a,
                    (Some(b), None) => b,
                    (None, None) => want,
                }
            };
            for i in 0..n {
                let x = if n == 1 {
                    xmin
                } else {
                    nearest(xmin + span * i as f64 / (n - 1) as f64)
                };
                let text: Vec<char> = x_label(x, kind, span).chars().collect();
                let at = (px(x).clamp(0, dw as i64 - 1) as usize) / sx;
                let start = at
                    .saturating_sub(text.len() / 2)
                    .min(cols.saturating_sub(text.len()));
                if start < free_from || start + text.len() > cols {
                    continue;
                }
                row[start..start + text.len()].copy_from_slice(&text);
                free_from = start + text.len() + 1;
            }
        }
        let xs: String = row.into_iter().collect();
        lines.push(
            format!("{} {}", " ".repeat(lw + 1), xs)
                .trim_end()
                .to_string(),
        );
        lines.push(self.legend(&drawn, w));
        lines
    }

    fn legend(&self, drawn: &[&Series], w: usize) -> String {
        let mut plain = String::new();
        let mut styled = String::new();
        for (n, s) in drawn.iter().enumerate() {
            let (mark, color) = if self.opts.color {
                ("●".to_string(), COLORS[s.slot % MAX_DRAWN])
            } else {
                (MARKERS[n].to_string(), "")
            };
            let item = format!("{}{mark} {}", if n == 0 { "" } else { "  " }, s.name);
            if width(&plain) + width(&item) > w {
                break;
            }
            plain += &item;
            styled += if n == 0 { "" } else { "  " };
            styled += &self.paint(color, &mark);
            styled += &format!(" {}", s.name);
        }
        let live = self.series.iter().filter(|s| !s.points.is_empty()).count();
        if live > drawn.len() {
            let more = format!("  +{} more", live - drawn.len());
            if width(&plain) + width(&more) <= w {
                styled += &self.paint(DIM, &more);
            }
        }
        styled
    }

    /// The bars a bar chart shows (one per series, as many as fit the plot height) and
    /// how many series have a bar.
    fn bars(&self) -> (Vec<(&Series, f64)>, usize) {
        let mut bars: Vec<(&Series, f64)> = self
            .series
            .iter()
            .filter_map(|s| s.points.get(&X(0.0)).map(|p| (s, p.sum)))
            .collect();
        let all = bars.len();
        bars.truncate(self.plot_height());
        (bars, all)
    }

    fn bar_frame(&self, w: usize) -> Vec<String> {
        let (shown, all) = self.bars();
        let name_w = shown
            .iter()
            .map(|(s, _)| width(&s.name))
            .max()
            .unwrap_or(0)
            .min(w / 3);
        let labels: Vec<String> = shown.iter().map(|(_, v)| si(*v)).collect();
        let val_w = labels.iter().map(|l| l.len()).max().unwrap_or(1);
        let bar_w = w.saturating_sub(name_w + val_w + 2).max(1);
        // The scale spans the finite values only: an infinity or NaN gets no bar (the
        // footer counts them), and cannot flatten the others.
        let vmax = shown
            .iter()
            .map(|(_, v)| v.abs())
            .filter(|v| v.is_finite())
            .fold(0f64, f64::max);
        let mut lines = Vec::new();
        for ((s, v), label) in shown.iter().zip(&labels) {
            let mut line = cut(&s.name, name_w);
            line += &" ".repeat(name_w.saturating_sub(width(&line)));
            line.push(' ');
            let frac = if vmax > 0.0 && v.is_finite() {
                v.max(0.0) / vmax
            } else {
                0.0
            };
            let bar = if self.opts.color {
                let eighths = (frac * (bar_w * 8) as f64).round() as usize;
                let mut b = "█".repeat(eighths / 8);
                b += EIGHTHS[eighths % 8];
                b
            } else {
                "#".repeat((frac * bar_w as f64).round() as usize)
            };
            let bw = width(&bar);
            line += &self.paint(COLORS[s.slot % MAX_DRAWN], &bar);
            line += &" ".repeat(bar_w - bw.min(bar_w) + 1);
            line += &format!("{label:>val_w$}");
            lines.push(line);
        }
        if all > shown.len() {
            lines.push(self.paint(DIM, &format!("… {} more", all - shown.len())));
        }
        lines
    }

    fn single_frame(&self, w: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let color = self.opts.color;
        let one = self.series.len() == 1;
        let name_w = self
            .series
            .iter()
            .map(|s| width(&s.name))
            .max()
            .unwrap_or(0)
            .min(w / 3);
        for s in &self.series {
            let v = s.history.back().copied().unwrap_or(0.0);
            let text = value_text(v);
            if one {
                lines.push(self.paint(DIM, &cut(&s.name, w)));
                if color {
                    for row in big(&text) {
                        lines.push(self.paint(COLORS[s.slot % MAX_DRAWN], &cut(&row, w)));
                    }
                } else {
                    lines.push(cut(&text, w));
                }
                lines.push(self.paint(
                    COLORS[s.slot % MAX_DRAWN],
                    &sparkline(&s.history, w.saturating_sub(1).max(1), color),
                ));
            } else {
                let mut line = cut(&s.name, name_w);
                line += &" ".repeat(name_w.saturating_sub(width(&line)));
                let text = format!(" {text:>8} ");
                let room = w.saturating_sub(name_w + width(&text)).max(1);
                line += &text;
                line += &self.paint(
                    COLORS[s.slot % MAX_DRAWN],
                    &sparkline(&s.history, room, color),
                );
                lines.push(line);
            }
        }
        lines
    }
}

/// The rows of the terminal on stdout, if it is one.
fn terminal_rows() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a winsize struct through a valid pointer.
    let ws = unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0).then_some(ws)
    }?;
    (ws.ws_row > 0).then_some(ws.ws_row as usize)
}

/// A value as the single-value view shows it: exact when it is a modest integer.
fn value_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{}", v as i64)
    } else {
        si(v)
    }
}

/// `s` cut to `w` columns (with `…`).
fn cut(s: &str, w: usize) -> String {
    let mut out = Vec::new();
    push_cut(s, width(s), w, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A range from `lo` to `hi` (0 included), the top rounded up to 1, 2, 2.5 or 5 × 10ⁿ.
fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.min(0.0);
    let hi = hi.max(lo);
    let top = |v: f64| -> f64 {
        if v <= 0.0 {
            return 0.0;
        }
        let p = 10f64.powf(v.log10().floor());
        [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * p)
            .find(|t| t.is_finite() && *t >= v * (1.0 - 1e-12))
            .unwrap_or(v)
    };
    let (a, b) = (-top(-lo), top(hi));
    if b > a {
        (a, b)
    } else {
        (a, a + 1.0)
    }
}

/// The braille dot for column `x` (0..2) and row `y` (0..4) of a cell.
fn braille_bit(x: usize, y: usize) -> u8 {
    const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
    BITS[x][y]
}

/// The points of a straight line from `a` to `b`, both included (Bresenham), on a `w` × `h`
/// canvas: the ends are first clamped into it, so the points (and the work) are at most
/// `max(w, h)` whatever the coordinates.
fn line_points(a: (i64, i64), b: (i64, i64), w: usize, h: usize) -> Vec<(usize, usize)> {
    if w == 0 || h == 0 {
        return Vec::new();
    }
    // Inside the canvas every difference below is small: no overflow.
    let inside = |(x, y): (i64, i64)| (x.clamp(0, w as i64 - 1), y.clamp(0, h as i64 - 1));
    let (a, b) = (inside(a), inside(b));
    let (mut x, mut y) = a;
    let (dx, dy) = ((b.0 - a.0).abs(), -(b.1 - a.1).abs());
    let (stx, sty) = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
    let mut err = dx + dy;
    let mut out = Vec::with_capacity(dx.max(-dy) as usize + 1);
    loop {
        out.push((x as usize, y as usize));
        if (x, y) == b {
            return out;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += stx;
        }
        if e2 <= dx {
            err += dx;
            y += sty;
        }
    }
}

/// The last `w` values of `history` as a sparkline, scaled to their own range.
fn sparkline(history: &VecDeque<f64>, w: usize, color: bool) -> String {
    let skip = history.len().saturating_sub(w);
    let vals: Vec<f64> = history.iter().skip(skip).copied().collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let glyphs = if color { &SPARKS } else { &PLAIN_SPARKS };
    vals.iter()
        .map(|v| {
            let level = if hi > lo {
                ((v - lo) / (hi - lo) * 7.0).round() as usize
            } else {
                3
            };
            glyphs[level.min(7)]
        })
        .collect()
}

/// `text` in three-row block digits (other characters sit on the bottom row).
fn big(text: &str) -> [String; 3] {
    let mut rows: [String; 3] = Default::default();
    for (n, c) in text.chars().enumerate() {
        let g: [&str; 3] = match c {
            '0' => ["█▀█", "█ █", "▀▀▀"],
            '1' => ["▀█ ", " █ ", "▀▀▀"],
            '2' => ["▀▀█", "█▀▀", "▀▀▀"],
            '3' => ["▀▀█", " ▀█", "▀▀▀"],
            '4' => ["█ █", "▀▀█", "  ▀"],
            '5' => ["█▀▀", "▀▀█", "▀▀▀"],
            '6' => ["█▀▀", "█▀█", "▀▀▀"],
            '7' => ["▀▀█", "  █", "  ▀"],
            '8' => ["█▀█", "█▀█", "▀▀▀"],
            '9' => ["█▀█", "▀▀█", "▀▀▀"],
            '-' => ["   ", "▀▀▀", "   "],
            '.' => [" ", " ", "▀"],
            _ => ["", "", ""],
        };
        for (r, row) in rows.iter_mut().enumerate() {
            if n > 0 {
                row.push(' ');
            }
            if g[0].is_empty() {
                // A suffix or sign letter: on the bottom row.
                row.push(if r == 2 { c } else { ' ' });
            } else {
                row.push_str(g[r]);
            }
        }
    }
    rows
}

impl Sink for ChartSink {
    fn header(&mut self, header: &Block, _out: &mut Vec<u8>) {
        if !header.columns.is_empty() {
            self.set_columns(header);
        }
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_at(block, Instant::now(), out);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.opts.is_tty {
            // The last frame stays; it already ends with a newline after the footer.
            self.drawn_lines = 0;
        } else if self.seen_rows {
            for l in self.frame() {
                out.extend_from_slice(l.as_bytes());
                out.push(b'\n');
            }
        }
    }

    fn rows(&self) -> u64 {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::wire::Data;
    use std::time::Duration;

    fn tty(color: bool, width: usize) -> RenderOpts {
        RenderOpts {
            color,
            width,
            is_tty: true,
            ..RenderOpts::default()
        }
    }

    fn dt_col(name: &str, secs: &[u32]) -> Column {
        let bytes = secs.iter().flat_map(|v| v.to_le_bytes()).collect();
        col(name, "datetime('UTC')", Data::Fixed { width: 4, bytes })
    }

    fn windows(starts: &[u32], keys: &[&str], counts: &[u64]) -> Block {
        block(vec![
            dt_col("window_start", starts),
            str_col("resource", keys),
            u64_col("cnt", counts),
        ])
    }

    /// Text without escape sequences.
    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                if it.next() == Some('[') {
                    for c in it.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn frame_text(s: &ChartSink) -> Vec<String> {
        s.frame().iter().map(|l| strip(l)).collect()
    }

    #[test]
    fn columns_are_chosen_from_the_header() {
        let b = block(vec![
            u64_col("n", &[]),
            dt_col("window_end", &[]),
            dt_col("window_start", &[]),
            str_col("resource", &[]),
            f64_col("avg", &[]),
            i8_col("_tp_delta", &[]),
        ]);
        let r = choose(&b, &ChartSpec::default()).unwrap();
        assert_eq!(r.x.map(|x| x.0), Some(1), "window_end first");
        assert_eq!(r.keys, vec![3], "the time column left over is not a key");
        assert_eq!(r.ys, vec![0, 4]);
        assert_eq!(r.delta, Some(5));
        assert_eq!(r.mode(), Mode::Line);

        let spec = ChartSpec::parse("x=window_start y=avg by=resource").unwrap();
        let r = choose(&b, &spec).unwrap();
        assert_eq!(
            (r.x.map(|x| x.0), r.keys, r.ys),
            (Some(2), vec![3], vec![4])
        );

        let err = choose(&b, &ChartSpec::parse("y=nope").unwrap()).unwrap_err();
        assert!(
            err.contains("no column `nope`") && err.contains("window_end"),
            "{err}"
        );

        let bar = block(vec![str_col("k", &[]), u64_col("c", &[])]);
        assert_eq!(
            choose(&bar, &ChartSpec::default()).unwrap().mode(),
            Mode::Bar
        );
        let one = block(vec![u64_col("count()", &[])]);
        assert_eq!(
            choose(&one, &ChartSpec::default()).unwrap().mode(),
            Mode::Single
        );
        let text = block(vec![str_col("k", &[])]);
        assert!(choose(&text, &ChartSpec::default()).is_err());
    }

    #[test]
    fn the_spec_parses_and_refuses_nonsense() {
        let s = ChartSpec::parse("y=a,b height=8 BY=k").unwrap();
        assert_eq!(s.y, ["a", "b"]);
        assert_eq!(s.by.as_deref(), Some("k"));
        assert_eq!(s.height(), 8);
        assert_eq!(ChartSpec::parse("").unwrap().height(), DEFAULT_HEIGHT);
        assert!(ChartSpec::parse("height=1").is_err());
        assert!(ChartSpec::parse("z=1").is_err());
        assert!(ChartSpec::parse("x").is_err());
        assert_eq!(
            ChartSpec::parse("y=a").unwrap().describe(),
            "x=auto y=a by=auto height=12"
        );
    }

    #[test]
    fn si_labels() {
        assert_eq!(si(0.0), "0");
        assert_eq!(si(999.0), "999");
        assert_eq!(si(1234.0), "1.23k");
        assert_eq!(si(12_345.0), "12.3k");
        assert_eq!(si(999_999.0), "1M");
        assert_eq!(si(1_500_000.0), "1.5M");
        assert_eq!(si(2e9), "2G");
        assert_eq!(si(-2500.0), "-2.5k");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(si(12.5), "12.5");
        assert_eq!(si(0.001), "1.0e-3");
        assert_eq!(si(2.5e20), "2.5e20");
    }

    #[test]
    fn a_line_chart_has_axes_labels_and_a_legend() {
        let opts = tty(false, 70);
        let mut s = ChartSink::new(&opts, ChartSpec::parse("height=6").unwrap());
        let t0 = Instant::now();
        let mut out = Vec::new();
        // 12:00:00, 12:00:10, 12:00:20 UTC; two resources.
        let base = 1_700_000_000 - 1_700_000_000 % 86_400 + 12 * 3600;
        for (i, t) in [base, base + 10, base + 20].iter().enumerate() {
            let b = windows(
                &[*t, *t],
                &["School", "Student"],
                &[1500 * (i as u64 + 1), 20],
            );
            s.block_at(&b, t0 + Duration::from_secs(i as u64 * 2), &mut out);
        }
        let f = frame_text(&s);
        // 6 plot rows, axis, x labels, legend, footer.
        assert_eq!(f.len(), 10, "{f:#?}");
        assert!(f.iter().all(|l| width(l) <= 70), "{f:#?}");
        assert_eq!(f[0], "  5k +", "top label, nice-rounded: {f:#?}");
        assert!(f[3].starts_with("2.5k +"), "the middle: {f:#?}");
        assert!(f[5].trim_start().starts_with("0 +"), "{f:#?}");
        assert!(f[6].contains("+------"), "{f:#?}");
        assert!(
            f[7].contains("12:00:00") && f[7].contains("12:00:20"),
            "{f:#?}"
        );
        assert_eq!(f[8], "* School  + Student");
        assert!(f[9].starts_with("emit #3 · last emit "), "{f:#?}");
        assert!(f[9].ends_with("x=window_start y=cnt by=resource"), "{f:#?}");
        let plot = f[..6].join("\n");
        assert!(plot.contains('*') && plot.contains('+'), "{plot}");
        // No escapes at all without colour, apart from the cursor movement of a redraw.
        let raw = text(&out);
        let no_moves = raw.replace("\x1b[10A\x1b[J", "");
        assert!(!no_moves.contains('\x1b'), "{raw:?}");
        assert!(raw.contains("\x1b[10A\x1b[J"), "redraws in place: {raw:?}");
    }

    #[test]
    fn with_colour_lines_are_braille_in_series_colours() {
        let mut s = ChartSink::new(&tty(true, 50), ChartSpec::parse("height=4").unwrap());
        let mut out = Vec::new();
        s.block_at(
            &windows(&[0, 0, 60, 60], &["a", "b", "a", "b"], &[1, 2, 3, 1]),
            Instant::now(),
            &mut out,
        );
        let raw = text(&out);
        assert!(raw.starts_with("\x1b[?2026h") && raw.ends_with("\x1b[?2026l"));
        assert!(
            raw.contains(COLORS[0]) && raw.contains(COLORS[1]),
            "{raw:?}"
        );
        assert!(raw.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)));
        let f = frame_text(&s);
        assert!(f.iter().all(|l| width(l) <= 50), "{f:#?}");
        assert!(f.iter().any(|l| l == "● a  ● b"), "{f:#?}");
        assert!(f
            .iter()
            .any(|l| l.contains("00:00:00") && l.contains("00:01:00")));
    }

    #[test]
    fn infinite_and_nan_values_are_left_out_of_a_line_chart() {
        let series = |vals: &[f64]| {
            let starts: Vec<u32> = (0..vals.len() as u32).map(|i| i * 10).collect();
            let keys = vec!["a"; vals.len()];
            block(vec![
                dt_col("window_start", &starts),
                str_col("k", &keys),
                f64_col("v", vals),
            ])
        };
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        for color in [false, true] {
            // Non-finite values among small ones, and 1e15 next to them and an infinity.
            for (vals, top) in [
                (&[1.0, 1e15, inf, 2.0][..], "1P"),
                (&[1.0, inf, 3.0, -inf, nan, 2.0][..], "5"),
                (&[inf, -inf, nan][..], "1"),
                (&[f64::MAX, 1.0, -f64::MAX][..], "1.8e308"),
            ] {
                let mut s = ChartSink::new(&tty(color, 60), ChartSpec::parse("height=5").unwrap());
                s.block_at(&series(vals), Instant::now(), &mut Vec::new());
                let f = frame_text(&s);
                assert_eq!(f.len(), 9, "{vals:?}: {f:#?}");
                assert!(f.iter().all(|l| width(l) <= 60), "{vals:?}: {f:#?}");
                assert_eq!(f[0].split_whitespace().next(), Some(top), "{f:#?}");
                let skipped = vals.iter().filter(|v| !v.is_finite()).count();
                let said = format!("{skipped} inf/NaN not drawn");
                assert_eq!(f[8].contains(&said), skipped > 0, "{vals:?}: {f:#?}");
                assert!(
                    f[..5].iter().any(|l| l.trim_start().starts_with("0 ")),
                    "the middle label: {f:#?}"
                );
            }
        }
    }

    #[test]
    fn a_per_key_aggregate_is_a_bar_chart_updated_in_place() {
        let mut s = ChartSink::new(&tty(false, 40), ChartSpec::default());
        let agg = |k: &[&str], n: &[u64]| block(vec![str_col("k", k), u64_col("n", n)]);
        let t0 = Instant::now();
        let mut out = Vec::new();
        s.block_at(&agg(&["a", "bb"], &[10, 5]), t0, &mut out);
        s.block_at(
            &agg(&["a", "bb"], &[20, 5]),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        let f = frame_text(&s);
        assert_eq!(f.len(), 3, "{f:#?}");
        assert_eq!(f[0], format!("a  {} 20", "#".repeat(34)));
        assert_eq!(f[1], format!("bb {}{} 5", "#".repeat(9), " ".repeat(26)));
        assert!(f[2].starts_with("emit #2"), "{f:#?}");
        assert!(f.iter().all(|l| width(l) <= 40), "{f:#?}");
    }

    #[test]
    fn infinite_and_nan_bars_are_not_drawn_and_do_not_flatten_the_others() {
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        for color in [false, true] {
            // One value column; and a count next to it, a bar per key and column.
            for (cols, finite_max) in [
                (vec![f64_col("f", &[5.0, inf, 2.5])], "5"),
                (
                    vec![u64_col("n", &[1, 1, 1]), f64_col("f", &[5.0, -inf, nan])],
                    "5",
                ),
            ] {
                let mut all = vec![str_col("k", &["🚀 rocket", "plain", "日本語"])];
                all.extend(cols);
                let ys = all.len() - 1;
                let mut s = ChartSink::new(&tty(color, 60), ChartSpec::default());
                s.block_at(&block(all), Instant::now(), &mut Vec::new());
                let f = frame_text(&s);
                let bar = |l: &str| l.chars().filter(|c| *c == '#' || *c == '█').count();
                let skipped = f
                    .iter()
                    .filter(|l| l.ends_with("inf") || l.ends_with("NaN"));
                let skipped = skipped.inspect(|l| assert_eq!(bar(l), 0, "{f:#?}")).count();
                assert_eq!(skipped, if ys == 1 { 1 } else { 2 }, "{f:#?}");
                let top = f.iter().find(|l| l.ends_with(&format!(" {finite_max}")));
                assert!(bar(top.expect("the largest finite bar")) > 40, "{f:#?}");
                let said = format!("{skipped} inf/NaN not drawn");
                assert!(f.last().unwrap().contains(&said), "{f:#?}");
                assert!(f.iter().all(|l| width(l) <= 60), "{f:#?}");
            }
        }
        // All finite: nothing is said.
        let mut s = ChartSink::new(&tty(false, 60), ChartSpec::default());
        let b = block(vec![str_col("k", &["a", "b"]), f64_col("f", &[1.0, 2.0])]);
        s.block_at(&b, Instant::now(), &mut Vec::new());
        assert!(!frame_text(&s).last().unwrap().contains("not drawn"));
    }

    #[test]
    fn an_emoji_in_a_series_name_keeps_the_names_aligned() {
        // "❤\u{FE0F}" is two columns as a string but one per character: the name cut to
        // the name column must measure as the padding does.
        let heart = format!("\u{2764}\u{FE0F}{}", "a".repeat(40));
        let mut out = Vec::new();
        // A bar per key, not on a terminal: the names get 80 / 3 = 26 columns.
        let mut s = ChartSink::new(&RenderOpts::default(), ChartSpec::default());
        s.block_at(
            &block(vec![str_col("k", &[&heart, "b"]), u64_col("n", &[3, 1])]),
            Instant::now(),
            &mut out,
        );
        let f = frame_text(&s);
        assert!(
            f[0].starts_with('\u{2764}') && f[0].ends_with(" 3"),
            "{f:#?}"
        );
        let bar_at = |l: &str| width(&l[..l.find('#').unwrap()]);
        assert_eq!(bar_at(&f[0]), 27, "{f:#?}");
        assert_eq!(bar_at(&f[0]), bar_at(&f[1]), "{f:#?}");
        assert!(f.iter().all(|l| width(l) <= PLAIN_WIDTH), "{f:#?}");
        // Several single values: one row each, the name column padded the same way.
        let mut s = ChartSink::new(&RenderOpts::default(), ChartSpec::default());
        s.block_at(
            &block(vec![u64_col(&heart, &[7]), u64_col("b", &[9])]),
            Instant::now(),
            &mut out,
        );
        let f = frame_text(&s);
        let value_at = |l: &str, v: char| width(&l[..l.find(v).unwrap()]);
        assert_eq!(value_at(&f[0], '7'), value_at(&f[1], '9'), "{f:#?}");
        assert!(f.iter().all(|l| width(l) <= PLAIN_WIDTH), "{f:#?}");
    }

    #[test]
    fn a_one_row_aggregate_is_a_big_value_with_a_sparkline() {
        let mut s = ChartSink::new(&tty(true, 40), ChartSpec::default());
        let t0 = Instant::now();
        let mut out = Vec::new();
        for (i, n) in [3u64, 5, 9, 12].iter().enumerate() {
            let b = block(vec![u64_col("count()", &[*n])]);
            s.block_at(&b, t0 + Duration::from_secs(2 * i as u64), &mut out);
        }
        let f = frame_text(&s);
        assert_eq!(f[0], "count()");
        assert_eq!(
            &f[1..4],
            &["▀█  ▀▀█", " █  █▀▀", "▀▀▀ ▀▀▀"],
            "12 in big digits"
        );
        assert_eq!(f[4], "▁▃▆█");
        assert!(f[5].starts_with("emit #4") && f[5].ends_with("y=count()"));
        // Without colour: the number as text, the sparkline in plain characters.
        let mut s = ChartSink::new(&tty(false, 40), ChartSpec::default());
        for (i, n) in [3u64, 5, 9, 1_234_567_890].iter().enumerate() {
            let b = block(vec![u64_col("count()", &[*n])]);
            s.block_at(&b, t0 + Duration::from_secs(2 * i as u64), &mut out);
        }
        let f = frame_text(&s);
        assert_eq!(&f[..3], &["count()", "1.23G", "...%"]);
    }

    #[test]
    fn changelog_deltas_add_and_retract() {
        let mut s = ChartSink::new(&tty(false, 40), ChartSpec::default());
        let cl = |k: &[&str], n: &[u64], d: &[i8]| {
            block(vec![
                str_col("k", k),
                u64_col("n", n),
                i8_col("_tp_delta", d),
            ])
        };
        let mut out = Vec::new();
        let t0 = Instant::now();
        s.block_at(&cl(&["a", "b"], &[4, 2], &[1, 1]), t0, &mut out);
        // a: 4 -> 8; b retracted.
        s.block_at(
            &cl(&["a", "a", "b"], &[4, 8, 2], &[-1, 1, -1]),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        let f = frame_text(&s);
        assert_eq!(f.len(), 2, "b is gone: {f:#?}");
        assert!(f[0].starts_with("a ") && f[0].ends_with(" 8"), "{f:#?}");
        assert!(
            f[1].ends_with("y=n by=k"),
            "_tp_delta is not charted: {f:#?}"
        );
        // A global aggregate in changelog mode: the history follows the sum.
        let mut s = ChartSink::new(&tty(false, 40), ChartSpec::default());
        let g = |n: &[u64], d: &[i8]| block(vec![u64_col("c", n), i8_col("_tp_delta", d)]);
        s.block_at(&g(&[5], &[1]), t0, &mut out);
        s.block_at(&g(&[5, 7], &[-1, 1]), t0 + Duration::from_secs(2), &mut out);
        assert_eq!(s.series[0].history, [5.0, 7.0]);
        assert_eq!(frame_text(&s)[1], "7");
    }

    #[test]
    fn history_stays_bounded_for_an_endless_query() {
        let mut s = ChartSink::new(&tty(false, 80), ChartSpec::default());
        let keys = ["a", "b", "c"];
        s.set_columns(&windows(&[], &[], &[]));
        for i in 0..100_000u32 {
            let k = keys[i as usize % 3];
            s.ingest(&windows(&[i], &[k], &[i as u64]));
        }
        let cap = s.cap();
        assert_eq!(cap, 140);
        assert_eq!(s.xs.len(), cap);
        assert!(s.series.iter().map(|x| x.points.len()).sum::<usize>() <= cap);
        assert_eq!(s.series.len(), 3);
        // Ever new keys: at most MAX_SERIES kept, the rest counted; old ones age out.
        for i in 0..10_000u32 {
            s.ingest(&windows(&[200_000 + i], &[&format!("k{i}")], &[1]));
        }
        assert!(s.series.len() <= cap.min(MAX_SERIES), "{}", s.series.len());
        // A single value's history too.
        let mut s = ChartSink::new(&tty(false, 80), ChartSpec::default());
        let b = block(vec![u64_col("count()", &[1])]);
        s.set_columns(&b);
        for _ in 0..100_000 {
            s.ingest(&b);
        }
        assert_eq!(s.series[0].history.len(), cap);
        assert_eq!(frame_text(&s)[1], "1");
    }

    static TERM_WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(80);

    #[test]
    fn a_resize_shows_at_the_next_block() {
        use std::sync::atomic::Ordering;
        TERM_WIDTH.store(100, Ordering::Relaxed);
        let opts = RenderOpts {
            width_now: Some(|| Some(TERM_WIDTH.load(Ordering::Relaxed))),
            ..tty(true, 100)
        };
        let mut s = ChartSink::new(&opts, ChartSpec::default());
        let mut out = Vec::new();
        let t0 = Instant::now();
        s.block_at(&windows(&[0], &["a"], &[1]), t0, &mut out);
        let wide = frame_text(&s);
        assert!(wide.iter().any(|l| width(l) > 60), "{wide:#?}");
        TERM_WIDTH.store(40, Ordering::Relaxed);
        s.block_at(
            &windows(&[10], &["a"], &[2]),
            t0 + Duration::from_secs(2),
            &mut out,
        );
        let narrow = frame_text(&s);
        assert!(narrow.iter().all(|l| width(l) <= 40), "{narrow:#?}");
        assert_eq!(wide.len(), narrow.len(), "the height does not change");
    }

    #[test]
    fn not_on_a_terminal_only_the_final_frame_is_printed() {
        let mut s = ChartSink::new(
            &RenderOpts::default(),
            ChartSpec::parse("height=3").unwrap(),
        );
        let mut out = Vec::new();
        s.header(&windows(&[], &[], &[]), &mut out);
        s.block_at(&windows(&[0], &["a"], &[1]), Instant::now(), &mut out);
        s.block(&windows(&[10], &["a"], &[2]), &mut out);
        assert!(out.is_empty());
        s.finish(&mut out);
        let t = text(&out);
        assert!(!t.contains('\x1b'), "{t:?}");
        assert_eq!(t.lines().count(), 7, "{t}");
        assert!(t.lines().all(|l| width(l) <= PLAIN_WIDTH));
        assert_eq!(s.rows(), 2);
        // A query that returned nothing prints nothing.
        let mut s = ChartSink::new(&RenderOpts::default(), ChartSpec::default());
        let mut out = Vec::new();
        s.finish(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_bad_column_name_is_said_in_the_frame() {
        let mut s = ChartSink::new(&tty(false, 80), ChartSpec::parse("x=nope").unwrap());
        let mut out = Vec::new();
        s.block_at(&windows(&[0], &["a"], &[1]), Instant::now(), &mut out);
        let f = frame_text(&s);
        assert!(f[0].starts_with("chart: no column `nope`"), "{f:#?}");
    }

    #[test]
    fn a_short_terminal_gets_a_lower_plot() {
        let mut s = ChartSink::new(&tty(false, 80), ChartSpec::parse("height=20").unwrap());
        s.set_columns(&windows(&[], &[], &[]));
        s.ingest(&windows(&[0, 10], &["a", "a"], &[1, 2]));
        assert_eq!(frame_text(&s).len(), 24);
        s.term_rows = Some(16);
        assert_eq!(s.plot_height(), 10);
        assert_eq!(frame_text(&s).len(), 14, "fits 16 rows with the prompt");
        s.term_rows = Some(4);
        assert_eq!(s.plot_height(), 3);
    }

    #[test]
    fn a_line_far_off_the_canvas_is_clamped_to_it() {
        let pts = line_points((i64::MIN, i64::MAX), (i64::MAX, i64::MIN), 8, 4);
        assert_eq!(pts.first(), Some(&(0, 3)));
        assert_eq!(pts.last(), Some(&(7, 0)));
        assert_eq!(pts.len(), 8, "{pts:?}");
        assert!(pts.iter().all(|&(x, y)| x < 8 && y < 4), "{pts:?}");
        assert_eq!(line_points((5, 5), (9, 9), 0, 4), []);
    }

    #[test]
    fn lines_are_bresenham() {
        assert_eq!(
            line_points((0, 0), (3, 1), 10, 10),
            [(0, 0), (1, 0), (2, 1), (3, 1)]
        );
        assert_eq!(line_points((2, 2), (2, 2), 10, 10), [(2, 2)]);
        assert_eq!(
            line_points((3, 0), (0, 2), 10, 10),
            [(3, 0), (2, 1), (1, 1), (0, 2)]
        );
        assert_eq!(nice_range(0.0, 3000.0), (0.0, 5000.0));
        assert_eq!(nice_range(-3.0, 0.0), (-5.0, 0.0));
        assert_eq!(nice_range(0.0, 0.0), (0.0, 1.0));
    }
}
