//! The live status line on stderr while a statement runs (a strip that explains streaming for streaming queries), and the summary line after each statement.

use crate::sql::Window;
use crate::wire::Progress;
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the status line is redrawn (at most).
pub const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// A quick query finishes before the status line would appear; it never flickers.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// What the status line knows of a statement from its SQL, to explain a streaming query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// The query reads a stream and never ends by itself.
    pub streaming: bool,
    /// A streaming aggregate without a window: Proton emits only when new rows arrived.
    pub global_aggregate: bool,
    /// Its tumble/hop/session window.
    pub window: Option<Window>,
}

impl Shape {
    /// The shape from the statement's analysis (`sql::analyze`), made once by the caller.
    pub fn from_analysis(a: &crate::sql::Analysis) -> Shape {
        Shape {
            streaming: a.streaming,
            global_aggregate: a.aggregate_without_window,
            window: a.window,
        }
    }
}

/// Events seen by a streaming query, for the strip.
#[derive(Debug, Default)]
struct Flow {
    /// Data blocks with rows (each one an emit of a streaming aggregate).
    emits: u64,
    last_emit: Option<Instant>,
    /// Rows read so far and when that number last grew (wall clock for the text too).
    read: u64,
    last_new_events: Option<(Instant, chrono::DateTime<chrono::Local>)>,
    /// The read count a second or so ago, for a current rate rather than an average.
    sample: Option<(Instant, u64)>,
    rate: f64,
}

/// A one-line status on stderr (`\r\x1b[K`-redrawn in place), on a terminal only.
///
/// The caller clears it before every write to stdout, so rows and status never mix on
/// one line; it is redrawn by the next tick.
pub struct StatusLine {
    enabled: bool,
    color: bool,
    width: usize,
    started: Instant,
    shown: bool,
    last_draw: Option<Instant>,
    shape: Shape,
    flow: Flow,
}

impl StatusLine {
    /// `enabled` should be "stderr is a terminal" (and the shell is interactive).
    pub fn new(enabled: bool, color: bool, width: usize, shape: Shape) -> StatusLine {
        StatusLine {
            enabled,
            color,
            width: width.max(20),
            started: Instant::now(),
            shown: false,
            last_draw: None,
            shape,
            flow: Flow::default(),
        }
    }

    /// A block of rows arrived: for a streaming query, one emit.
    pub fn on_block(&mut self, rows: usize) {
        if rows > 0 {
            self.flow.emits += 1;
            self.flow.last_emit = Some(Instant::now());
        }
    }

    /// The server's totals changed (a Progress packet).
    pub fn on_progress(&mut self, progress: &Progress) {
        let now = Instant::now();
        if progress.rows > self.flow.read {
            self.flow.read = progress.rows;
            self.flow.last_new_events = Some((now, chrono::Local::now()));
        }
        match self.flow.sample {
            None => self.flow.sample = Some((now, progress.rows)),
            Some((at, n)) if now - at >= Duration::from_secs(1) => {
                let secs = (now - at).as_secs_f64();
                self.flow.rate = progress.rows.saturating_sub(n) as f64 / secs;
                self.flow.sample = Some((now, progress.rows));
            }
            Some(_) => {}
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Redraw with the current counts (throttled; a no-op when disabled or too early).
    pub fn tick(&mut self, rows: u64, progress: &Progress) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let elapsed = now - self.started;
        if elapsed < SHOW_AFTER {
            return;
        }
        // Throttle only redraws of a line that is still on screen: one that a write just
        // wiped comes back at once, or a trickling stream would make it flicker.
        if self.shown && self.last_draw.is_some_and(|t| now - t < REDRAW_EVERY / 2) {
            return;
        }
        self.last_draw = Some(now);
        let mut text = if self.shape.streaming {
            self.strip_text(rows, progress, elapsed, now)
        } else {
            status_text(rows, progress, elapsed)
        };
        // The terminal may have been resized since the statement started.
        if let Some(w) = super::width() {
            self.width = w.max(20);
        }
        truncate_to(&mut text, self.width.saturating_sub(1));
        let text = if self.color {
            crate::style::paint(true, crate::style::note(), &text)
        } else {
            text
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{}{text}", crate::style::REDRAW_LINE);
        let _ = err.flush();
        self.shown = true;
    }

    /// Erase the line (before stdout output, and at the end).
    pub fn clear(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(crate::style::REDRAW_LINE.as_bytes());
            let _ = err.flush();
            self.shown = false;
        }
    }
}

impl Drop for StatusLine {
    fn drop(&mut self) {
        self.clear();
    }
}

impl StatusLine {
    /// The strip for a streaming query: the rate of events read, emits and the time since
    /// the last, why or when the next emit comes, then totals. Most telling first, since a
    /// narrow terminal cuts the end.
    fn strip_text(
        &self,
        rows: u64,
        progress: &Progress,
        elapsed: Duration,
        now: Instant,
    ) -> String {
        let f = &self.flow;
        let mut parts = vec![per_second(f.rate).replace("row", "event")];
        parts.push(match f.last_emit {
            None => "no emit yet".to_string(),
            Some(at) => format!(
                "{} emit{}, last {} ago",
                group(f.emits),
                if f.emits == 1 { "" } else { "s" },
                clock(now - at)
            ),
        });
        if let Some(why) = explain(&self.shape, f, now, std::time::SystemTime::now()) {
            parts.push(why);
        }
        parts.push(format!("{} read", group(progress.rows)));
        parts.push(format!("{} out", rows_text(rows)));
        parts.push(bytes_text(progress.bytes));
        parts.push(clock(elapsed));
        parts.push("Ctrl-C cancels".into());
        parts.join(" · ")
    }
}

/// Why nothing prints, or when the next emit comes, for the statement's shape.
fn explain(shape: &Shape, f: &Flow, now: Instant, wall: std::time::SystemTime) -> Option<String> {
    if let Some(w) = shape.window {
        let every = w.every?;
        if w.kind == "session" {
            return Some(format!(
                "session windows close after {} without events",
                clock_short(every)
            ));
        }
        // Windows are aligned to multiples of their size (or step) since the epoch.
        let since_epoch = wall.duration_since(std::time::UNIX_EPOCH).ok()?;
        let every_ns = every.as_nanos().max(1);
        let left = every_ns - since_epoch.as_nanos() % every_ns;
        let left = Duration::from_nanos(u64::try_from(left).ok()?);
        return Some(format!(
            "next emit in ~{}: {} {} windows emit when they close",
            clock_short(left),
            clock_short(every),
            w.kind
        ));
    }
    if shape.global_aggregate {
        let quiet_for = f.last_new_events.map(|(at, _)| now - at);
        return match (quiet_for, f.last_new_events) {
            (Some(q), Some((_, when))) if q >= Duration::from_secs(2) => Some(format!(
                "no new events since {} — Proton emits only when rows arrive",
                when.format("%H:%M:%S")
            )),
            (None, _) => Some("no events yet — Proton emits only when rows arrive".into()),
            _ => Some("emits about every 2 s while rows arrive".into()),
        };
    }
    None
}

/// `3 s`, `500 ms`, `2 min`, `1 h` (for intervals in the strip).
fn clock_short(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{} s", (ms + 500) / 1000)
    } else if ms < 3_600_000 {
        format!("{} min", (ms + 30_000) / 60_000)
    } else {
        format!("{} h", (ms + 1_800_000) / 3_600_000)
    }
}

fn truncate_to(s: &mut String, max: usize) {
    if s.chars().count() > max {
        *s = s.chars().take(max).collect();
    }
}

/// While a statement runs: what the server read (from its Progress packets) when it says,
/// the rows that came back, the rate and the time:
/// `read 784.7 M rows, 6.3 GB (520.8 M rows/s) · 0 rows out · 1.5 s · Ctrl-C cancels`, or
/// `1,234 rows · 1.2 k rows/s · 3.4 s · Ctrl-C cancels` when the server reports no reads.
pub fn status_text(rows: u64, progress: &Progress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    if progress.rows > 0 {
        format!(
            "{} · {} out · {} · Ctrl-C cancels",
            read_text(progress, elapsed),
            rows_text(rows),
            clock(elapsed)
        )
    } else {
        format!(
            "{} · {} · {} · Ctrl-C cancels",
            rows_text(rows),
            per_second(rate(rows)),
            clock(elapsed)
        )
    }
}

/// `read 1.5 G rows, 12.0 GB (500.0 M rows/s)`.
fn read_text(progress: &Progress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let mut s = format!(
        "read {} {}, {}",
        si(progress.rows as f64),
        if progress.rows == 1 { "row" } else { "rows" },
        bytes_text(progress.bytes)
    );
    if secs >= 0.05 {
        s.push_str(&format!(" ({})", per_second(progress.rows as f64 / secs)));
    }
    s
}

/// `950 B`, `6.3 GB` (decimal units, as clickhouse-client).
fn bytes_text(bytes: u64) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else {
        format!("{}B", si(bytes as f64))
    }
}

/// `1 row/s`, `8.1 M rows/s`.
fn per_second(rate: f64) -> String {
    let n = si(rate);
    if n == "1" {
        "1 row/s".into()
    } else {
        format!("{n} rows/s")
    }
}

/// `1 row`, `1,234 rows`.
pub fn rows_text(rows: u64) -> String {
    if rows == 1 {
        "1 row".into()
    } else {
        format!("{} rows", group(rows))
    }
}

/// Thousands separators: `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `8.1 M`, `950`, `12.3 k`.
pub fn si(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.1} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// `3.4 s`, `2m05s`, `1h02m`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// The line after a statement: `N rows in 0.123 s (8.1 M rows/s)`; the rate only when the
/// statement ran long enough for it to mean something. When the server reported what it
/// read, that follows: `1 row in 3.003 s · read 1.5 G rows, 12.0 GB (500.0 M rows/s)`.
pub fn summary(rows: u64, progress: &Progress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let mut s = format!("{} in {secs:.3} s", rows_text(rows));
    if progress.rows > rows {
        s.push_str(&format!(" · {}", read_text(progress, elapsed)));
    } else if rows > 0 && secs >= 0.05 {
        s.push_str(&format!(" ({})", per_second(rows as f64 / secs)));
    }
    s
}

/// The line after a statement that returned no result set (DDL, INSERT, SET).
pub fn summary_ok(elapsed: Duration) -> String {
    format!("OK ({:.3} s)", elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let none = Progress::default();
        assert_eq!(
            summary(10_000_000, &none, Duration::from_millis(1234)),
            "10,000,000 rows in 1.234 s (8.1 M rows/s)"
        );
        assert_eq!(
            summary(1, &none, Duration::from_millis(2)),
            "1 row in 0.002 s"
        );
        assert_eq!(
            summary(0, &none, Duration::from_millis(500)),
            "0 rows in 0.500 s"
        );
        assert_eq!(
            summary(1, &none, Duration::from_secs(1)),
            "1 row in 1.000 s (1 row/s)"
        );
        let read = Progress {
            rows: 1_500_000_000,
            bytes: 12_000_000_000,
            ..Progress::default()
        };
        assert_eq!(
            summary(1, &read, Duration::from_secs(3)),
            "1 row in 3.000 s · read 1.5 G rows, 12.0 GB (500.0 M rows/s)"
        );
        assert_eq!(summary_ok(Duration::from_millis(12)), "OK (0.012 s)");
    }

    #[test]
    fn the_strip_explains_windows_and_quiet_aggregates() {
        let now = Instant::now();
        let epoch = std::time::UNIX_EPOCH;
        let tumble = Shape {
            streaming: true,
            global_aggregate: false,
            window: Some(Window {
                kind: "tumble",
                every: Some(Duration::from_secs(5)),
            }),
        };
        let f = Flow::default();
        assert_eq!(
            explain(&tumble, &f, now, epoch + Duration::from_secs(1_000_002)).as_deref(),
            Some("next emit in ~3 s: 5 s tumble windows emit when they close")
        );
        let global = Shape {
            streaming: true,
            global_aggregate: true,
            window: None,
        };
        assert_eq!(
            explain(&global, &f, now, epoch).as_deref(),
            Some("no events yet — Proton emits only when rows arrive")
        );
        let stamp = chrono::Local::now();
        let quiet = Flow {
            last_new_events: Some((now - Duration::from_secs(12), stamp)),
            ..Flow::default()
        };
        let text = explain(&global, &quiet, now, epoch).unwrap();
        assert!(text.starts_with("no new events since "), "{text}");
        assert!(text.contains(&stamp.format("%H:%M:%S").to_string()));
        let busy = Flow {
            last_new_events: Some((now, stamp)),
            ..Flow::default()
        };
        assert!(explain(&global, &busy, now, epoch)
            .unwrap()
            .contains("every 2 s"));
        let plain = Shape {
            streaming: true,
            ..Shape::default()
        };
        assert_eq!(explain(&plain, &f, now, epoch), None);
    }

    #[test]
    fn the_strip_counts_emits_and_events() {
        let mut s = StatusLine::new(
            false,
            false,
            200,
            Shape {
                streaming: true,
                ..Shape::default()
            },
        );
        s.on_block(0);
        s.on_block(3);
        s.on_block(2);
        s.on_progress(&Progress {
            rows: 40,
            bytes: 4000,
            ..Progress::default()
        });
        let text = s.strip_text(
            5,
            &Progress {
                rows: 40,
                bytes: 4000,
                ..Progress::default()
            },
            Duration::from_secs(4),
            Instant::now(),
        );
        assert!(text.contains("2 emits, last 0.0 s ago"), "{text}");
        assert!(text.contains("40 read"), "{text}");
        assert!(text.contains("5 rows out"), "{text}");
        assert!(text.contains("4.0 kB"), "{text}");
    }

    #[test]
    fn grouping_and_units() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(si(950.0), "950");
        assert_eq!(si(12_345.0), "12.3 k");
        assert_eq!(clock(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn status_text_reads_well() {
        let none = Progress::default();
        assert_eq!(
            status_text(2500, &none, Duration::from_secs(2)),
            "2,500 rows · 1.2 k rows/s · 2.0 s · Ctrl-C cancels"
        );
        let read = Progress {
            rows: 784_660_000,
            bytes: 6_280_000_000,
            ..Progress::default()
        };
        assert_eq!(
            status_text(0, &read, Duration::from_millis(1500)),
            "read 784.7 M rows, 6.3 GB (523.1 M rows/s) · 0 rows out · 1.5 s · Ctrl-C cancels"
        );
        assert_eq!(bytes_text(950), "950 B");
    }
}
