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
//! On a terminal the count is one live line, rewritten in place with the time
//! of the last change; otherwise each change is one line
//! `School messages: <n>  (last change HH:MM:SS)`.

use crate::run::Interrupts;

use super::common::{create_stream, run_query, DemoError, DemoOut, DemoSummary, Ended, Flags, Opt};
use super::config::DemoConfig;
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
];

/// Options of `:school-count`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolCountOpts {
    /// Count from the earliest offset (`SETTINGS seek_to='earliest'`).
    pub all: bool,
    /// Count distinct `documentuuid`s minus deleted ones.
    pub distinct: bool,
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
            count = Some(latest);
            changes += 1;
            let when = chrono::Local::now().format("%H:%M:%S");
            let text = format!("{label}: {latest}  (last change {when})");
            if io.tty {
                io.live(&text)?;
            } else {
                io.line(&text)?;
            }
            Ok(())
        },
    )
    .await;
    if io.tty {
        io.end_live()?;
    }
    result?;
    let summary = summary(count, changes);
    io.line(&summary.to_string())?;
    Ok(summary)
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
                    distinct: false
                }
            ),
            "SELECT count() FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"
        );
        assert_eq!(
            school_count_sql(&cfg, &SchoolCountOpts { all: true, distinct: true }),
            "SELECT unique_exact(raw:documentuuid) - unique_exact_if(raw:documentuuid, raw:__deleted='true') \
             FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"
        );
    }

    #[test]
    fn parse_separates_common_flags() {
        let (opts, overrides) =
            SchoolCountOpts::parse_with_overrides(&["--distinct", "--brokers", "x"]).unwrap();
        assert_eq!(
            opts,
            SchoolCountOpts {
                all: false,
                distinct: true
            }
        );
        assert_eq!(
            overrides,
            vec![("demo.brokers".to_string(), "x".to_string())]
        );
    }
}
