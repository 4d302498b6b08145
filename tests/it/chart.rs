//! PTY tests of the chart view (issue 13 §1) against the Proton fixture: axis labels and legend, redraw in place, resize, the final frame after Ctrl-C.

use crate::support::fixture::{FValue, ProtonFixture, Response, Step};
use crate::support::pty::*;
use crate::support::TempDir;
use std::time::Duration;

/// 2023-11-14 22:13:20 UTC: the first window of the fixture's windowed aggregate.
const FIRST_WINDOW: u64 = 1_700_000_000;

/// Two rows per emit, one per resource, each emit a new 10 s window (as a tumble window
/// aggregate emits when its window closes). `limit` rows, or endless.
fn windows(limit: Option<u64>) -> Step {
    Step::endless(
        &[
            ("window_start", "datetime('UTC')"),
            ("resource", "string"),
            ("cnt", "uint64"),
        ],
        2,
        Duration::from_millis(150),
        limit,
        |n| {
            let w = n / 2;
            let (resource, cnt) = if n % 2 == 0 {
                ("School", 1000 + (w * 37) % 500)
            } else {
                ("Student", 300 + (w * 11) % 100)
            };
            vec![
                FValue::UInt(FIRST_WINDOW + 10 * w),
                FValue::str(resource),
                FValue::UInt(cnt),
            ]
        },
    )
}

/// `tumble(docs…)`: the windowed aggregate, endless; `tumble(few…)`: 4 windows, then the end;
/// `from total`: a global count re-emitted with a growing value.
fn fixture() -> ProtonFixture {
    ProtonFixture::builder()
        .handler(|q| {
            let sql = q.sql.to_ascii_lowercase();
            if sql.contains("tumble(docs") {
                return Some(Response::new(vec![windows(None)]));
            }
            if sql.contains("tumble(few") {
                return Some(Response::new(vec![windows(Some(8))]));
            }
            if sql.contains("from total") {
                return Some(Response::new(vec![Step::endless(
                    &[("count()", "uint64")],
                    1,
                    Duration::from_millis(150),
                    None,
                    |n| vec![FValue::UInt(1000 + 250 * n)],
                )]));
            }
            None
        })
        .start()
}

const WINDOWED: &str = "SELECT window_start, raw:resourcename AS resource, count() AS cnt \
                        FROM tumble(docs, 10s) GROUP BY window_start, resource;";

/// Every in-place redraw in `raw`: (byte offset after it, lines moved up over).
fn redraws(raw: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = raw[from..].find("\x1b[") {
        let start = from + i + 2;
        let digits: String = raw[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = start + digits.len();
        if !digits.is_empty() && raw[after..].starts_with("A\x1b[J") {
            out.push((after + 4, digits.parse().unwrap()));
        }
        from = start;
    }
    out
}

/// The frame drawn after the redraw at `at`: its lines, ANSI stripped, up to its footer.
fn frame_at(raw: &str, at: usize) -> Vec<String> {
    let text = strip_ansi(&raw[at..]);
    let mut lines = Vec::new();
    for l in text.lines() {
        lines.push(l.to_string());
        if l.starts_with("emit #") {
            break;
        }
    }
    lines
}

fn axis_width(frame: &[String]) -> usize {
    frame
        .iter()
        .find(|l| l.contains('└'))
        .map(|l| l.chars().count())
        .unwrap_or_else(|| panic!("no x axis in {frame:#?}"))
}

#[test]
fn a_windowed_aggregate_charts_in_place_and_leaves_its_last_frame() {
    let fx = fixture();
    let dir = TempDir::new("chart-window");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b":chart height=8\r");
    sh.expect("chart: x=auto y=auto by=auto height=8");
    sh.expect(FX_PROMPT);
    sh.send(WINDOWED.as_bytes());
    sh.send(b"\r");
    // The first frame: time labels in the column's zone, SI values, the legend, the choice.
    sh.expect("22:13:20");
    sh.expect("● School  ● Student");
    sh.expect("emit #1 · last emit ");
    sh.expect("x=window_start y=cnt by=resource");
    sh.expect("emit #5 ·");
    let raw = sh.raw();
    let moves = redraws(&raw);
    assert!(moves.len() >= 4, "redrawn in place: {moves:?}");
    // 8 plot rows, axis, x labels, legend, footer: the same every time.
    assert!(moves.iter().all(|&(_, n)| n == 12), "{moves:?}");
    let frame = frame_at(&raw, moves.last().unwrap().0);
    assert_eq!(frame.len(), 12, "{frame:#?}");
    assert!(frame[0].trim_start().starts_with("2k ┤"), "{frame:#?}");
    assert!(frame[7].trim_start().starts_with("0 ┤"), "{frame:#?}");
    assert_eq!(axis_width(&frame), 120, "the chart fills the terminal");
    sh.send(CTRL_C);
    sh.expect("Query cancelled");
    sh.expect(FX_PROMPT);
    // The last frame stays, whole, above the cancel notice.
    let raw = sh.raw();
    let cancelled = raw.find("Query cancelled").unwrap();
    let &(at, n) = redraws(&raw[..cancelled]).last().unwrap();
    let last = frame_at(&raw, at);
    assert_eq!(last.len(), n, "{last:#?}");
    assert_eq!(last[10], "● School  ● Student");
    assert!(strip_ansi(&raw[at..cancelled]).contains("by=resource"));
}

#[test]
fn the_chart_follows_a_resize_at_the_next_emit() {
    let fx = fixture();
    let dir = TempDir::new("chart-resize");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    // The status line keeps the width it started with (run/status.rs): off, so only the
    // chart draws.
    sh.send(b":status off\r");
    sh.expect("status line off");
    sh.send(b":chart\r");
    sh.expect("(the following queries");
    sh.send(WINDOWED.as_bytes());
    sh.send(b"\r");
    sh.expect("emit #2 ·");
    let before = redraws(&sh.raw()).len();
    sh.resize(30, 70);
    // Three redraws later the new width is certainly in use.
    let raw = loop {
        let raw = sh.raw();
        if redraws(&raw).len() >= before + 3 {
            break raw;
        }
        sh.expect("emit #");
    };
    let moves = redraws(&raw);
    let first = frame_at(&raw, moves[0].0);
    assert_eq!(axis_width(&first), 120, "{first:#?}");
    let last = frame_at(&raw, moves.last().unwrap().0);
    assert_eq!(axis_width(&last), 70, "{last:#?}");
    assert!(last.iter().all(|l| l.chars().count() <= 70), "{last:#?}");
    assert!(
        moves.iter().all(|&(_, n)| n == moves[0].1),
        "the height stays: {moves:?}"
    );
    sh.send(CTRL_C);
    sh.expect("Query cancelled");
}

#[test]
fn a_global_count_is_a_big_value_with_a_sparkline() {
    let fx = fixture();
    let dir = TempDir::new("chart-single");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b":format chart\r");
    sh.expect("format: chart");
    sh.send(b"SELECT count() FROM total;\r");
    sh.expect("emit #3 ·");
    sh.expect("y=count()");
    let raw = sh.raw();
    let &(at, n) = redraws(&raw).last().unwrap();
    let frame = frame_at(&raw, at);
    // name, three rows of big digits, sparkline, footer
    assert_eq!(n, 6, "{frame:#?}");
    assert_eq!(frame[0], "count()");
    assert!(
        frame[1].contains('█') && frame[3].contains('▀'),
        "{frame:#?}"
    );
    assert!(
        frame[4].starts_with('▁') && frame[4].ends_with('█'),
        "{frame:#?}"
    );
    sh.send(CTRL_C);
    sh.expect("Query cancelled");
}

#[test]
fn batch_format_chart_on_a_terminal_without_colour() {
    let fx = fixture();
    let dir = TempDir::new("chart-batch");
    let mut args = fixture_args(&fx, dir.path());
    args.extend(["--format".into(), "chart".into(), "-q".into()]);
    args.push("SELECT window_start, resource, cnt FROM tumble(few, 10s)".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut sh = Pty::spawn_with(&args, dir.path(), &[("NO_COLOR", "1")]);
    sh.expect("* School  + Student");
    sh.expect("x=window_start y=cnt by=resource");
    assert_eq!(sh.wait_exit(Duration::from_secs(20)), Some(0));
    let raw = sh.raw();
    let text = sh.all();
    assert!(
        text.contains("22:13:20") && text.contains("22:13:50"),
        "{text}"
    );
    assert!(text.contains("+----------"), "{text}");
    // Plain characters only: no colour, no braille, no box drawing.
    assert!(
        !raw.contains("\x1b[3") && !raw.contains("\x1b[9"),
        "{raw:?}"
    );
    assert!(!text.contains('└') && !text.chars().any(|c| ('\u{2800}'..='\u{28ff}').contains(&c)));
    // Four windows arrived; the final frame says so.
    assert!(text.contains("emit #4 ·"), "{text}");
}

#[test]
fn chart_off_goes_back_to_the_format_chosen_before() {
    let fx = fixture();
    let dir = TempDir::new("chart-off");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":format csv");
    sh.expect("format: csv");
    sh.line(":chart y=cnt");
    sh.expect("(the following queries");
    // `:format chart` after `:chart` still remembers csv, not chart.
    sh.line(":format chart");
    sh.expect("format: chart");
    sh.line(":chart off");
    sh.expect("chart off; format: csv");
    sh.line(":chart off");
    sh.expect("chart was not on; format: csv");
    sh.line(":format auto");
    sh.line(":chart");
    sh.line(":chart off");
    sh.expect("chart off; format: auto");
}
