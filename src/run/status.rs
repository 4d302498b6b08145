//! The live status line on stderr while a stream runs, and the summary line after each statement.

use crate::wire::Progress;
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the status line is redrawn (at most).
pub const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// A quick query finishes before the status line would appear; it never flickers.
const SHOW_AFTER: Duration = Duration::from_millis(300);

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
}

impl StatusLine {
    /// `enabled` should be "stderr is a terminal" (and the shell is interactive).
    pub fn new(enabled: bool, color: bool, width: usize) -> StatusLine {
        StatusLine {
            enabled,
            color,
            width: width.max(20),
            started: Instant::now(),
            shown: false,
            last_draw: None,
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
        let mut text = status_text(rows, progress, elapsed);
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
        if i > 0 && (s.len() - i) % 3 == 0 {
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
