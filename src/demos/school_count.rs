//! `:school-count`: the running count of School documents on the topic, as Proton's global aggregate emits it.
//!
//! The original demo (`echo_count_of_schools`) runs
//!
//! ```sql
//! SELECT count() FROM document WHERE raw:resourcename='School'
//! ```
//!
//! A streaming query on a Kafka external stream starts at the latest offset,
//! so this counts School messages added from now on. A global aggregation
//! emits about every 2 s, and only when new rows reached it: nothing is shown
//! (not even 0) until the first School message arrives. Updates and deletes
//! are messages too, so they count, as in the original.
//!
//! Options:
//! * `--all` adds `SETTINGS seek_to='earliest'`: the whole topic, then new messages.
//! * `--distinct` counts schools rather than messages:
//!
//!   ```sql
//!   SELECT unique_exact(raw:documentuuid) - unique_exact_if(raw:documentuuid, raw:__deleted='true')
//!   FROM document WHERE raw:resourcename='School'
//!   ```
//!
//!   i.e. the School documents seen (an update has the same `documentuuid`
//!   as its insert, so it adds nothing) minus those seen deleted (a delete
//!   message keeps the `documentuuid`). DMS never reuses a `documentuuid`, so
//!   this is the number of schools that exist, among those the query has
//!   seen. With `--all` that is every school on the topic.
//!
//! On a terminal the count is one live line, rewritten in place with the
//! change since the previous count and the time of the last change, the count
//! and the change highlighted on a colour terminal; otherwise each change is
//! one line `School messages: <n>  (last change HH:MM:SS)`.

use crate::run::Interrupts;
use crate::style;

use super::common::{create_stream, run_query, DemoError, DemoOut, DemoSummary, Ended, Flags, Opt};
use super::config::DemoConfig;
use crate::render::{ChartSink, ChartSpec, RenderOpts, Sink};
use crate::wire::{Block, Connection};

/// The options of `:school-count` (besides the common ones), for its parser, usage, help and completion.
pub(crate) const OPTIONS: &[Opt] = &[
    Opt {
        flag: "--all",
        value: "",
        help: "count the whole topic from its earliest offset, not only new messages",
    },
    Opt {
        flag: "--distinct",
        value: "",
        help: "count distinct School documents (by documentuuid), minus deleted ones",
    },
    Opt {
        flag: "--chart",
        value: "",
        help: "on a terminal, draw the count as a big number with a sparkline of its history",
    },
];

/// Options of `:school-count`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolCountOpts {
    /// Count from the earliest offset (`SETTINGS seek_to='earliest'`).
    pub all: bool,
    /// Count distinct `documentuuid`s minus deleted ones.
    pub distinct: bool,
    /// Draw the count as a chart (big number and sparkline) on a terminal.
    pub chart: bool,
}

impl SchoolCountOpts {
    pub(crate) fn parse_with_overrides(
        args: &[&str],
    ) -> Result<(Self, Vec<(String, String)>), String> {
        let mut flags = Flags::new("school-count", OPTIONS, args);
        let mut opts = SchoolCountOpts::default();
        while let Some((name, inline)) = flags.next_flag()? {
            match name {
                "--all" => opts.all = flags.switch(name, inline)?,
                "--distinct" => opts.distinct = flags.switch(name, inline)?,
                "--chart" => opts.chart = flags.switch(name, inline)?,
                _ => return Err(flags.unknown(name)),
            }
        }
        Ok((opts, flags.overrides))
    }
}

/// The counting query for `opts`.
pub fn school_count_sql(cfg: &DemoConfig, opts: &SchoolCountOpts) -> String {
    let what = if opts.distinct {
        "unique_exact(raw:documentuuid) - unique_exact_if(raw:documentuuid, raw:__deleted='true')"
    } else {
        "count()"
    };
    let mut sql = format!(
        "SELECT {what} FROM {} WHERE raw:resourcename='School'",
        cfg.stream_ident()
    );
    if opts.all {
        sql.push_str(" SETTINGS seek_to='earliest'");
    }
    sql
}

/// Runs `:school-count` until `stop` turns true (or the query ends).
pub async fn school_count(
    conn: &mut Connection,
    cfg: &DemoConfig,
    opts: SchoolCountOpts,
    io: DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<DemoSummary, DemoError> {
    let mut io = io;
    let mut count: Option<i128> = None;
    let mut changes = 0u64;
    let summary = |count: Option<i128>, changes: u64| DemoSummary::SchoolCount {
        count,
        changes,
        distinct: opts.distinct,
    };

    if create_stream(conn, cfg, &mut io, stop).await? == Ended::Stopped {
        let summary = summary(count, changes);
        io.line(&summary.to_string())?;
        return Ok(summary);
    }
    io.note(&intro(cfg, &opts))?;
    let label = if opts.distinct {
        "distinct schools"
    } else {
        "School messages"
    };
    if io.tty {
        io.live(&format!("{label}: waiting for the first School message…"))?;
    }
    // With --chart on a terminal the count is drawn by the chart view (a single value with a
    // sparkline of its history), redrawn in place as it changes.
    let mut chart = (opts.chart && io.tty).then(|| {
        let render = RenderOpts {
            color: io.color,
            width: crate::run::width().unwrap_or(80),
            is_tty: true,
            width_now: Some(crate::run::width as fn() -> Option<usize>),
            ..RenderOpts::default()
        };
        (ChartSink::new(&render, ChartSpec::default()), false)
    });
    let sql = school_count_sql(cfg, &opts);
    let result = run_query(
        conn,
        cfg,
        &mut io,
        stop,
        &sql,
        "the school count query",
        |block, io| {
            let Some(latest) = last_count(block) else {
                return Err(DemoError::Unexpected(format!(
                    "the count query returned no integer (columns: {})",
                    column_names(block)
                )));
            };
            if count == Some(latest) {
                return Ok(());
            }
            let previous = count.replace(latest);
            changes += 1;
            if let Some((sink, started)) = chart.as_mut() {
                let mut frame = Vec::new();
                if !std::mem::replace(started, true) {
                    io.end_live()?;
                    sink.header(block, &mut frame);
                }
                sink.block(block, &mut frame);
                io.raw(&frame)?;
                return Ok(());
            }
            let when = chrono::Local::now().format("%H:%M:%S").to_string();
            show_count(io, label, previous, latest, &when)?;
            Ok(())
        },
    )
    .await;
    if let Some((mut sink, true)) = chart {
        let mut frame = Vec::new();
        sink.finish(&mut frame);
        io.raw(&frame)?;
    }
    if io.tty {
        io.end_live()?;
    }
    result?;
    let summary = summary(count, changes);
    io.line(&summary.to_string())?;
    Ok(summary)
}

/// Shows a new count. Without a terminal: one line per change,
/// `School messages: 20  (last change 12:00:03)`. On a terminal: the live
/// line, rewritten, with the change since the last count
/// (`School messages: 20 (+13)  (last change …)`), the count and the change
/// highlighted (bold yellow) on a colour terminal.
fn show_count(
    io: &mut DemoOut<'_>,
    label: &str,
    previous: Option<i128>,
    latest: i128,
    when: &str,
) -> Result<(), DemoError> {
    if !io.tty {
        io.line(&format!("{label}: {latest}  (last change {when})"))?;
        return Ok(());
    }
    let change = match previous {
        Some(previous) => {
            let delta = latest.saturating_sub(previous);
            if delta >= 0 {
                format!("+{delta}")
            } else {
                format!("−{}", delta.unsigned_abs())
            }
        }
        None => "first".to_owned(),
    };
    let (on, off) = if io.color {
        (style::HIGHLIGHT, style::RESET)
    } else {
        ("", "")
    };
    io.live(&format!(
        "{label}: {on}{latest}{off} ({on}{change}{off})  (last change {when})"
    ))?;
    Ok(())
}

fn intro(cfg: &DemoConfig, opts: &SchoolCountOpts) -> String {
    let what = if opts.distinct {
        "Counting distinct School documents (documentuuid), minus deleted ones,"
    } else {
        "Counting School messages (inserts, updates and deletes alike, as the original demo)"
    };
    let from = if opts.all {
        format!(
            "on topic {} from its earliest offset, then as new ones arrive.",
            cfg.topic
        )
    } else {
        format!(
            "added to topic {} from now on (a streaming query starts at the latest offset; --all counts the whole topic).",
            cfg.topic
        )
    };
    format!(
        "{what} {from}\nProton emits the running count about every 2 s, and only when new School messages \
         arrived: nothing shows until the first one. Ctrl-C stops."
    )
}

/// The count in the last row of the block's first column.
fn last_count(block: &Block) -> Option<i128> {
    let column = block.columns.first()?;
    let row = block.rows.checked_sub(1)?;
    column.value(row).as_i128()
}

fn column_names(block: &Block) -> String {
    block
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.type_name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_variants() {
        let cfg = DemoConfig::default();
        assert_eq!(
            school_count_sql(&cfg, &SchoolCountOpts::default()),
            "SELECT count() FROM document WHERE raw:resourcename='School'"
        );
        assert_eq!(
            school_count_sql(
                &cfg,
                &SchoolCountOpts {
                    all: true,
                    distinct: false,
                    chart: false
                }
            ),
            "SELECT count() FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"
        );
        assert_eq!(
            school_count_sql(&cfg, &SchoolCountOpts { all: true, distinct: true, chart: false }),
            "SELECT unique_exact(raw:documentuuid) - unique_exact_if(raw:documentuuid, raw:__deleted='true') \
             FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"
        );
    }

    fn shown(tty: bool, color: bool) -> String {
        let mut buf: Vec<u8> = Vec::new();
        {
            let mut io = DemoOut::new(&mut buf, tty, color);
            show_count(&mut io, "School messages", None, 3, "12:00:01").expect("write");
            show_count(&mut io, "School messages", Some(3), 20, "12:00:03").expect("write");
            show_count(&mut io, "School messages", Some(20), 18, "12:00:05").expect("write");
            io.end_live().expect("write");
        }
        String::from_utf8(buf).expect("utf8")
    }

    #[test]
    fn a_change_of_the_count_is_highlighted_on_a_colour_terminal() {
        assert_eq!(
            shown(true, true),
            "\r\x1b[KSchool messages: \x1b[1;33m3\x1b[0m (\x1b[1;33mfirst\x1b[0m)  (last change 12:00:01)\
             \r\x1b[KSchool messages: \x1b[1;33m20\x1b[0m (\x1b[1;33m+17\x1b[0m)  (last change 12:00:03)\
             \r\x1b[KSchool messages: \x1b[1;33m18\x1b[0m (\x1b[1;33m−2\x1b[0m)  (last change 12:00:05)\n"
        );
        assert_eq!(
            shown(true, false),
            "\r\x1b[KSchool messages: 3 (first)  (last change 12:00:01)\
             \r\x1b[KSchool messages: 20 (+17)  (last change 12:00:03)\
             \r\x1b[KSchool messages: 18 (−2)  (last change 12:00:05)\n"
        );
        // Not a terminal: unchanged, one plain line per change.
        for color in [false, true] {
            assert_eq!(
                shown(false, color),
                "School messages: 3  (last change 12:00:01)\n\
                 School messages: 20  (last change 12:00:03)\n\
                 School messages: 18  (last change 12:00:05)\n"
            );
        }
    }

    #[test]
    fn parse_separates_common_flags() {
        let (opts, overrides) =
            SchoolCountOpts::parse_with_overrides(&["--distinct", "--brokers", "x"]).unwrap();
        assert_eq!(
            opts,
            SchoolCountOpts {
                all: false,
                distinct: true,
                chart: false
            }
        );
        assert_eq!(
            overrides,
            vec![("demo.brokers".to_string(), "x".to_string())]
        );
    }
}
