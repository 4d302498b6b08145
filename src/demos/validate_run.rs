//! `:validate`: reports School documents whose category is not `#School`, from a view or resumably from the topic.
//!
//! # As the original demo (`:validate`)
//!
//! ```sql
//! CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS SELECT raw:edfidoc AS edfidoc
//!   FROM document WHERE raw:resourcename='School' AND raw:__deleted='false';
//! SELECT * FROM table(schools);   -- what the view holds so far (bounded)
//! SELECT * FROM schools;          -- then new rows as they arrive (until Ctrl-C)
//! ```
//!
//! Each row is checked with [`check_school`]: one
//! `❌ School <schoolId> has invalid category <descriptor>` line per category
//! that does not end in `#School`, and a `⚠ ... unreadable ...` line, with the
//! document's id, for a document that is not JSON or lacks the categories
//! (where the original crashes). The view only holds School documents
//! written after it was created, and a row arriving between the two SELECTs
//! is missed, as in the original.
//!
//! # Resumable (`:validate --resume`)
//!
//! Reads the topic itself, with the same filter, and the Kafka partition and
//! offset of each message:
//!
//! ```sql
//! SELECT _tp_shard, _tp_sn, raw FROM document
//! WHERE raw:resourcename='School' AND raw:__deleted='false'
//! SETTINGS seek_to='earliest'            -- first run: the whole topic
//! SETTINGS seek_to='<o0+1>,<o1+1>,…'     -- later runs: after the checkpoint
//! ```
//!
//! After each block of rows is checked and printed, the highest offset per
//! partition is saved atomically in the data dir, keyed by brokers + topic
//! ([`Checkpoint`]). A restart seeks to the next offset of each partition, so
//! no document is checked twice and none is skipped across Ctrl-C or a
//! restart; after a kill between printing and saving, at most that one block
//! is checked again (at-least-once). Rows at or below the checkpoint are
//! skipped if the server replays them.
//!
//! **The partition count.** Proton wants `seek_to` to have one entry per
//! partition (or exactly one entry, then used for every partition). The count
//! is taken, in order, from `--partitions N`; else from the bounded query
//! `SELECT max(_tp_shard) + 1 FROM table(document)` (partitions that have
//! messages), raised to cover every partition in the checkpoint. A partition
//! without a checkpoint entry starts at `earliest`: none of its School
//! documents was checked yet. Partitions at the end of the topic that never
//! had a message are invisible to that query; if Proton then refuses the
//! list, the error's hint says to pass `--partitions`. The first run (empty
//! checkpoint) needs no count: `seek_to='earliest'`.
//!
//! `--reset` forgets the checkpoint; alone it only does that, with `--resume`
//! it then validates the whole topic again. `--verbose` also prints a line
//! for every checked document (with its partition and offset when resuming).

use std::path::PathBuf;

use crate::run::Interrupts;

use super::checkpoint::Checkpoint;
use super::common::{
    create_stream, execute, run_query, text_column, DemoError, DemoOut, DemoSummary, Ended, Flags,
    Opt,
};
use super::config::DemoConfig;
use super::validate::{check_document, check_school, SchoolCheck, Summary};
use crate::wire::{Block, Connection};

/// The options of `:validate` (besides the common ones), for its parser, usage, help and completion.
pub(crate) const OPTIONS: &[Opt] = &[
    Opt {
        flag: "--resume",
        value: "",
        help: "read the topic itself and continue after the last checkpoint: every document exactly once across runs",
    },
    Opt {
        flag: "--reset",
        value: "",
        help: "forget the checkpoint (with --resume: start over from the earliest offset)",
    },
    Opt {
        flag: "--partitions",
        value: "N",
        help: "the topic's partition count for --resume (learned from the server when not given)",
    },
    Opt {
        flag: "--verbose",
        value: "",
        help: "also print the schools that are valid",
    },
];

/// Options of `:validate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidateOpts {
    /// Read the topic with partitions and offsets, and continue after the checkpoint.
    pub resume: bool,
    /// Forget the checkpoint first.
    pub reset: bool,
    /// The topic's partition count, for the resume `seek_to` list (else learned).
    pub partitions: Option<u32>,
    /// Print a line for every checked document, valid ones included.
    pub verbose: bool,
}

impl ValidateOpts {
    pub(crate) fn parse_with_overrides(
        args: &[&str],
    ) -> Result<(Self, Vec<(String, String)>), String> {
        let mut flags = Flags::new("validate", OPTIONS, args);
        let mut opts = ValidateOpts::default();
        while let Some((name, inline)) = flags.next_flag()? {
            match name {
                "--resume" => opts.resume = flags.switch(name, inline)?,
                "--reset" => opts.reset = flags.switch(name, inline)?,
                "--verbose" => opts.verbose = flags.switch(name, inline)?,
                "--partitions" => {
                    let value = flags.value(name, inline)?;
                    match value.trim().parse::<u32>() {
                        Ok(n) if n > 0 => opts.partitions = Some(n),
                        _ => {
                            return Err(flags.error(&format!(
                                "--partitions needs a positive number, not `{value}`"
                            )))
                        }
                    }
                }
                _ => return Err(flags.unknown(name)),
            }
        }
        if opts.partitions.is_some() && !opts.resume {
            return Err(flags.error("--partitions only applies with --resume"));
        }
        Ok((opts, flags.overrides))
    }
}

/// `CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS SELECT raw:edfidoc AS edfidoc FROM document
/// WHERE raw:resourcename='School' AND raw:__deleted='false'`.
pub fn view_sql(cfg: &DemoConfig) -> String {
    format!(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {} AS SELECT raw:edfidoc AS edfidoc FROM {} WHERE raw:resourcename='School' AND raw:__deleted='false'",
        cfg.view_ident(),
        cfg.stream_ident()
    )
}

/// `SELECT * FROM table(schools)`: the view's rows so far.
pub fn snapshot_sql(cfg: &DemoConfig) -> String {
    format!("SELECT * FROM table({})", cfg.view_ident())
}

/// `SELECT * FROM schools`: the view's new rows.
pub fn follow_sql(cfg: &DemoConfig) -> String {
    format!("SELECT * FROM {}", cfg.view_ident())
}

/// The bounded query that learns the partition count for `--resume`.
pub fn partitions_sql(cfg: &DemoConfig) -> String {
    format!(
        "SELECT max(_tp_shard) + 1 FROM table({})",
        cfg.stream_ident()
    )
}

/// The `--resume` read; `seek_to` is the quoted setting value
/// (`'earliest'` or [`Checkpoint::seek_to_setting`]).
pub fn resume_sql(cfg: &DemoConfig, seek_to: &str) -> String {
    format!(
        "SELECT _tp_shard, _tp_sn, raw FROM {} WHERE raw:resourcename='School' AND raw:__deleted='false' SETTINGS seek_to={seek_to}",
        cfg.stream_ident()
    )
}

/// Runs `:validate` until `stop` turns true (or the queries end).
pub async fn validate(
    conn: &mut Connection,
    cfg: &DemoConfig,
    opts: ValidateOpts,
    io: DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<DemoSummary, DemoError> {
    let mut io = io;
    let checkpoint_path = Checkpoint::path(&cfg.data_dir, &cfg.brokers, &cfg.topic);
    if opts.reset {
        let removed = Checkpoint::reset(&cfg.data_dir, &cfg.brokers, &cfg.topic)?;
        if !opts.resume {
            let summary = DemoSummary::CheckpointReset {
                removed,
                path: checkpoint_path,
            };
            io.line(&summary.to_string())?;
            return Ok(summary);
        }
        io.note(&if removed {
            format!("Checkpoint forgotten ({}).", checkpoint_path.display())
        } else {
            "No checkpoint to forget.".to_owned()
        })?;
    }
    let mut totals = Summary::default();
    let checkpoint = opts.resume.then(|| checkpoint_path.clone());
    if create_stream(conn, cfg, &mut io, stop).await? == Ended::Finished {
        if opts.resume {
            run_resumable(conn, cfg, &opts, &mut io, stop, &mut totals).await?;
        } else {
            run_view(conn, cfg, &opts, &mut io, stop, &mut totals).await?;
        }
    }
    let summary = DemoSummary::Validate { totals, checkpoint };
    io.line(&summary.to_string())?;
    Ok(summary)
}

/// The original's way: materialized view, snapshot, then live rows.
async fn run_view(
    conn: &mut Connection,
    cfg: &DemoConfig,
    opts: &ValidateOpts,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
    totals: &mut Summary,
) -> Result<(), DemoError> {
    let what = format!("creating the materialized view {}", cfg.view);
    if execute(conn, cfg, io, stop, &view_sql(cfg), &what).await? == Ended::Stopped {
        return Ok(());
    }
    io.note(&format!(
        "Checking the schools the view {view} holds so far, then new ones as they arrive. \
         The view keeps School documents written since it was created; \
         :validate --resume reads the whole topic instead. Ctrl-C stops.",
        view = cfg.view
    ))?;
    let mut on_block = |block: &Block, io: &mut DemoOut<'_>| -> Result<(), DemoError> {
        let Some(column) = text_column(block, "edfidoc") else {
            return Err(DemoError::Unexpected(format!(
                "the view {} returned no columns",
                cfg.view
            )));
        };
        for row in 0..block.rows {
            let text = column.value(row).as_str().unwrap_or_default();
            let check = check_school(&text);
            report(io, totals, &check, None, opts.verbose)?;
        }
        Ok(())
    };
    let snapshot = run_query(
        conn,
        cfg,
        io,
        stop,
        &snapshot_sql(cfg),
        "reading the view snapshot",
        &mut on_block,
    )
    .await?;
    if snapshot == Ended::Stopped {
        return Ok(());
    }
    run_query(
        conn,
        cfg,
        io,
        stop,
        &follow_sql(cfg),
        "following the view",
        &mut on_block,
    )
    .await?;
    Ok(())
}

/// `--resume`: the topic with offsets, after the checkpoint.
async fn run_resumable(
    conn: &mut Connection,
    cfg: &DemoConfig,
    opts: &ValidateOpts,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
    totals: &mut Summary,
) -> Result<(), DemoError> {
    let mut checkpoint = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic)?;
    let seek_to = if checkpoint.is_empty() {
        io.note(&format!(
            "No checkpoint for topic {} on {}: checking the whole topic from its earliest offset.",
            cfg.topic, cfg.brokers
        ))?;
        "'earliest'".to_owned()
    } else {
        let known = checkpoint
            .offsets
            .keys()
            .max()
            .map_or(0, |p| i64::from(*p) + 1);
        let partitions = match opts.partitions {
            Some(n) => i64::from(n),
            None => match learn_partitions(conn, cfg, io, stop).await? {
                Some(found) => found.max(known),
                None => return Ok(()),
            },
        };
        let partitions = usize::try_from(partitions.max(1)).unwrap_or(1);
        let Some(seek_to) = checkpoint.seek_to_setting(partitions) else {
            return Err(DemoError::Unexpected(
                "the checkpoint gives no seek_to setting".to_owned(),
            ));
        };
        io.note(&format!(
            "Resuming after the checkpoint {} ({} partition{}).",
            Checkpoint::path(&cfg.data_dir, &cfg.brokers, &cfg.topic).display(),
            partitions,
            if partitions == 1 { "" } else { "s" }
        ))?;
        seek_to
    };
    io.note("Ctrl-C stops; the next :validate --resume continues from here.")?;
    let data_dir: PathBuf = cfg.data_dir.clone();
    run_query(
        conn,
        cfg,
        io,
        stop,
        &resume_sql(cfg, &seek_to),
        "reading the topic",
        |block, io| {
            let (Some(shards), Some(offsets), Some(raws)) = (
                block.column("_tp_shard"),
                block.column("_tp_sn"),
                block.column("raw"),
            ) else {
                return Err(DemoError::Unexpected(
                    "the topic query did not return _tp_shard, _tp_sn and raw".to_owned(),
                ));
            };
            let mut advanced = false;
            for row in 0..block.rows {
                let shard = shards
                    .value(row)
                    .as_i64()
                    .and_then(|s| i32::try_from(s).ok());
                let (Some(partition), Some(offset)) = (shard, offsets.value(row).as_i64()) else {
                    return Err(DemoError::Unexpected(format!(
                        "row {row} has no integer _tp_shard/_tp_sn"
                    )));
                };
                if checkpoint.is_processed(partition, offset) {
                    continue;
                }
                let raw = raws.value(row).as_str().unwrap_or_default();
                if let Some(check) = check_document(&raw) {
                    report(io, totals, &check, Some((partition, offset)), opts.verbose)?;
                }
                checkpoint.record(partition, offset);
                advanced = true;
            }
            if advanced {
                // What is saved has been printed: a crash between the two
                // replays this block, never skips it.
                io.out.flush()?;
                checkpoint.save(&data_dir, &cfg.brokers, &cfg.topic)?;
            }
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// Runs [`partitions_sql`]; `None` when stopped.
async fn learn_partitions(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<Option<i64>, DemoError> {
    let mut found: Option<i64> = None;
    let ended = run_query(
        conn,
        cfg,
        io,
        stop,
        &partitions_sql(cfg),
        "counting the topic's partitions",
        |block, _| {
            if let Some(column) = block.columns.first() {
                for row in 0..block.rows {
                    if let Some(value) = column.value(row).as_i64() {
                        found = Some(found.map_or(value, |f| f.max(value)));
                    }
                }
            }
            Ok(())
        },
    )
    .await?;
    Ok(match ended {
        Ended::Stopped => None,
        Ended::Finished => Some(found.unwrap_or(1).max(1)),
    })
}

/// Prints the lines for one checked document and adds it to the totals.
fn report(
    io: &mut DemoOut<'_>,
    totals: &mut Summary,
    check: &SchoolCheck,
    at: Option<(i32, i64)>,
    verbose: bool,
) -> Result<(), DemoError> {
    totals.record(check);
    if verbose {
        let outcome = match check {
            SchoolCheck::Valid { school_id } => format!("✓ School {school_id} ok"),
            SchoolCheck::Invalid { school_id, bad } => format!(
                "✗ School {school_id}: {} invalid categor{}",
                bad.len(),
                if bad.len() == 1 { "y" } else { "ies" }
            ),
            SchoolCheck::Unreadable { id, .. } => format!(
                "✗ School document {} unreadable",
                id.as_deref().unwrap_or("(no id)")
            ),
        };
        match at {
            Some((partition, offset)) => io.note(&format!(
                "{outcome} at partition {partition} offset {offset}"
            ))?,
            None => io.note(&outcome)?,
        }
    }
    for line in check.report_lines() {
        if matches!(check, SchoolCheck::Unreadable { .. }) {
            io.warn(&line)?;
        } else {
            io.bad(&line)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        let cfg = DemoConfig::default();
        assert_eq!(
            view_sql(&cfg),
            "CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS SELECT raw:edfidoc AS edfidoc FROM document \
             WHERE raw:resourcename='School' AND raw:__deleted='false'"
        );
        assert_eq!(snapshot_sql(&cfg), "SELECT * FROM table(schools)");
        assert_eq!(follow_sql(&cfg), "SELECT * FROM schools");
        assert_eq!(
            resume_sql(&cfg, "'37,5'"),
            "SELECT _tp_shard, _tp_sn, raw FROM document WHERE raw:resourcename='School' \
             AND raw:__deleted='false' SETTINGS seek_to='37,5'"
        );
        assert_eq!(
            partitions_sql(&cfg),
            "SELECT max(_tp_shard) + 1 FROM table(document)"
        );
    }

    #[test]
    fn options() {
        assert_eq!(
            ValidateOpts::parse_with_overrides(&["--resume", "--verbose"]).map(|(o, _)| o),
            Ok(ValidateOpts {
                resume: true,
                verbose: true,
                ..Default::default()
            })
        );
        assert!(ValidateOpts::parse_with_overrides(&["--partitions", "2"]).is_err());
        assert!(ValidateOpts::parse_with_overrides(&["--resume", "--partitions", "0"]).is_err());
    }
}
