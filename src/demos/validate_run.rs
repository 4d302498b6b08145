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
//! partition (or exactly one entry, then used for every partition). The first
//! run (empty checkpoint) reads with `seek_to='earliest'` and only keeps the
//! count. Every run takes it from `--partitions N`, else from
//! `SELECT count() FROM table(document) SETTINGS shards='100000'`, which
//! reads no message: Proton checks the `shards` setting against the topic's
//! metadata first and refuses it with error 471 "…the topic has only N
//! partitions" (v1.6.1 `Kafka.cpp` `getShardsToQuery`). Empty partitions count
//! too (the old `max(_tp_shard) + 1` scanned the whole topic and missed empty
//! last partitions). The count is kept in the checkpoint: a partition added
//! since is named and starts at `earliest`; if the server does not say the
//! count, the checkpoint's is used, and if Proton then refuses the list
//! (BAD_ARGUMENTS "It expected N … but only found M", `replicateForShards`)
//! the run retries once with N. Counts and partition numbers are bounded by
//! [`MAX_PARTITIONS`].
//!
//! **The positions.** Before resuming, each checkpointed partition is checked
//! with a bounded read of at most one message ([`position_sql`]): if the
//! checkpoint's offset is past the partition's end, the topic was recreated
//! or emptied, and the partition is checked again from its earliest offset
//! (a streaming read would otherwise start at the end, and the new messages'
//! low offsets would look checked); if messages after it were removed
//! (retention: the offset is below the low watermark, where Proton's
//! `auto.offset.reset=earliest` continues at the first message left), the
//! run names the offsets that were never checked.
//!
//! `--reset` forgets the checkpoint; alone it only does that, with `--resume`
//! it then validates the whole topic again. `--verbose` also prints a line
//! for every checked document (with its partition and offset when resuming).

use std::path::PathBuf;

use crate::run::Interrupts;

use super::checkpoint::{Checkpoint, MAX_PARTITIONS};
use super::common::{
    create_stream, execute, run_query, text_column, DemoError, DemoOut, DemoSummary, Ended, Flags,
    Opt,
};
use super::config::DemoConfig;
use super::docs::one_line;
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
                        Ok(n) if n > 0 && n <= MAX_PARTITIONS => opts.partitions = Some(n),
                        _ => {
                            return Err(flags.error(&format!(
                            "--partitions needs a number from 1 to {MAX_PARTITIONS}, not `{value}`"
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

/// `SHOW CREATE schools`: the existing view's definition, to compare with [`view_sql`].
pub fn show_view_sql(cfg: &DemoConfig) -> String {
    format!("SHOW CREATE {}", cfg.view_ident())
}

/// How an existing view's definition (as `SHOW CREATE` prints it) differs
/// from the one [`view_sql`] creates: one phrase per difference, empty when
/// it is the same view. The comparison looks at what matters, not the text,
/// since Proton stores the query reformatted (`raw:edfidoc` becomes
/// `json_value(raw, …)`, names get their database): the kind of object, the
/// stream it reads, the `edfidoc` column and the School / not-deleted filter.
pub fn view_differences(statement: &str, cfg: &DemoConfig) -> Vec<String> {
    let text: String = statement
        .to_lowercase()
        .replace(['`', '"'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = Vec::new();
    if !text.starts_with("create materialized view") {
        out.push("it is not a materialized view".to_owned());
        return out;
    }
    let source = text.split_once(" from ").map(|(_, rest)| {
        let token: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | ',' | ';'))
            .collect();
        token.rsplit('.').next().unwrap_or_default().to_owned()
    });
    let stream = cfg.stream.to_lowercase();
    let stream = stream.rsplit('.').next().unwrap_or_default();
    match source {
        Some(source) if source == stream => {}
        Some(source) if !source.is_empty() => {
            out.push(format!("it reads the stream {source}, not {}", cfg.stream));
        }
        _ => out.push(format!("it does not read the stream {}", cfg.stream)),
    }
    if !text.contains("edfidoc") {
        out.push("it has no edfidoc column".to_owned());
    }
    if !(text.contains("'school'") && text.contains("__deleted")) {
        out.push("it does not keep exactly the School documents that are not deleted".to_owned());
    }
    out
}

/// `SELECT * FROM table(schools)`: the view's rows so far.
pub fn snapshot_sql(cfg: &DemoConfig) -> String {
    format!("SELECT * FROM table({})", cfg.view_ident())
}

/// `SELECT * FROM schools`: the view's new rows.
pub fn follow_sql(cfg: &DemoConfig) -> String {
    format!("SELECT * FROM {}", cfg.view_ident())
}

/// The query that learns the partition count for `--resume` without reading
/// a message: `count()` of `table(…)` is answered from the watermarks
/// (`Kafka::totalRows`), and before that Proton checks the `shards` setting
/// against the topic's metadata (`getShardsToQuery`), refusing partition
/// [`MAX_PARTITIONS`] with error 471 "Invalid topic partition 100000, the topic
/// has only N partitions".
pub fn partitions_sql(cfg: &DemoConfig) -> String {
    format!(
        "SELECT count() FROM table({}) SETTINGS shards='{MAX_PARTITIONS}'",
        cfg.stream_ident()
    )
}

/// The bounded read of at most one message that checks a checkpointed
/// position: the first offset at or after `offset` in `partition`. A
/// historical read clamps an offset below the low watermark up to it and one
/// past the high watermark to the end (`Kafka::read`), so the answer is
/// `offset` itself (still there), a higher one (messages removed) or no row
/// (the offset is past the end).
pub fn position_sql(cfg: &DemoConfig, partition: i32, offset: i64) -> String {
    format!(
        "SELECT _tp_sn FROM table({}) LIMIT 1 SETTINGS shards='{partition}', seek_to='{offset}'",
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
        let result = if opts.resume {
            run_resumable(conn, cfg, &opts, &mut io, stop, &mut totals).await
        } else {
            run_view(conn, cfg, &opts, &mut io, stop, &mut totals).await
        };
        // The status line goes before an error is shown.
        io.end_live()?;
        result?;
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
    let Some(existed) = check_existing_view(conn, cfg, io, stop).await? else {
        return Ok(());
    };
    let what = format!("creating the materialized view {}", cfg.view);
    if execute(conn, cfg, io, stop, &view_sql(cfg), &what).await? == Ended::Stopped {
        return Ok(());
    }
    let since = if existed {
        format!("the view {} already existed", cfg.view)
    } else {
        format!(
            "the view {} was just created, so it is empty until new School documents arrive",
            cfg.view
        )
    };
    io.note(&format!(
        "Checking the schools the view {view} holds so far, then new ones as they arrive. \
         A materialized view sees only messages written after its creation: {since}; \
         documents already on the topic (e.g. from an earlier :demo-load) are not in it. \
         :validate --resume validates the existing data (it reads the topic itself). Ctrl-C stops.",
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
        io.status(&status_line(totals))?;
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

/// Runs [`show_view_sql`] and warns when the existing view is not the one
/// [`view_sql`] would create (`IF NOT EXISTS` keeps it silently). `Some(true)`
/// if the view exists, `Some(false)` if not (or the server would not say),
/// `None` when stopped.
async fn check_existing_view(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<Option<bool>, DemoError> {
    let mut statement: Option<String> = None;
    let sql = show_view_sql(cfg);
    let result = run_query(
        conn,
        cfg,
        io,
        stop,
        &sql,
        "reading the view's definition",
        |block, _| {
            if statement.is_none() && block.rows > 0 {
                statement = block
                    .columns
                    .first()
                    .and_then(|c| c.value(0).as_str())
                    .map(|s| s.chars().take(64 * 1024).collect());
            }
            Ok(())
        },
    );
    match result.await {
        Ok(Ended::Stopped) => return Ok(None),
        Ok(Ended::Finished) => {}
        // No such view (UNKNOWN_STREAM/UNKNOWN_TABLE), or a server that cannot
        // show it: CREATE … IF NOT EXISTS decides.
        Err(DemoError::Query { .. }) => return Ok(Some(false)),
        Err(err) => return Err(err),
    }
    let Some(statement) = statement else {
        return Ok(Some(false));
    };
    let differences = view_differences(&statement, cfg);
    if !differences.is_empty() {
        io.warn(&format!(
            "⚠ The view {view} already exists and is not the one :validate creates: {}. \
             CREATE MATERIALIZED VIEW IF NOT EXISTS keeps it as it is, so what follows checks that view.",
            differences.join("; "),
            view = cfg.view
        ))?;
        io.warn(&format!(
            "  To use the demo's view: DROP VIEW {view}, then :validate again; \
             or keep it and use another name: :validate --view NAME.",
            view = cfg.view_ident()
        ))?;
    }
    Ok(Some(true))
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
    let learned = match opts.partitions {
        Some(n) => Learned::Count(n),
        None => learn_partitions(conn, cfg, io, stop).await?,
    };
    let mut partitions: Option<u32> = None;
    if checkpoint.is_empty() {
        io.note(&format!(
            "No checkpoint for topic {} on {}: checking the whole topic from its earliest offset.",
            cfg.topic, cfg.brokers
        ))?;
        match learned {
            Learned::Stopped => return Ok(()),
            Learned::Count(n) => checkpoint.partitions = Some(n),
            Learned::NotSaid => {}
        }
    } else {
        let Some(count) = partition_count(cfg, learned, &checkpoint, io)? else {
            return Ok(());
        };
        if check_positions(conn, cfg, io, stop, &mut checkpoint, count).await? == Ended::Stopped {
            return Ok(());
        }
        checkpoint.partitions = Some(count);
        if !checkpoint.is_empty() {
            partitions = Some(count);
        }
    }
    io.note("Ctrl-C stops; the next :validate --resume continues from here.")?;
    let data_dir: PathBuf = cfg.data_dir.clone();
    // Proton may still refuse the seek_to list (a partition added after the
    // count was learned, or a count taken from the checkpoint): its error
    // says how many entries it expected; one retry with that count.
    let mut retried = false;
    loop {
        let seek_to = match partitions {
            Some(count) => {
                let seek_to = checkpoint
                    .seek_to_setting(count as usize)
                    .unwrap_or_else(|| "'earliest'".to_owned());
                io.note(&format!(
                    "Resuming after the checkpoint {} ({count} partition{}).",
                    Checkpoint::path(&cfg.data_dir, &cfg.brokers, &cfg.topic).display(),
                    if count == 1 { "" } else { "s" }
                ))?;
                seek_to
            }
            None => "'earliest'".to_owned(),
        };
        let result = run_query(
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
                        .and_then(|s| i32::try_from(s).ok())
                        .filter(|s| u32::try_from(*s).is_ok_and(|s| s < MAX_PARTITIONS));
                    let offset = offsets.value(row).as_i64().filter(|o| *o >= 0);
                    let (Some(partition), Some(offset)) = (shard, offset) else {
                        return Err(DemoError::Unexpected(format!(
                            "row {row} has no usable _tp_shard/_tp_sn (a partition 0 to {} and \
                             an offset of at least 0)",
                            MAX_PARTITIONS - 1
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
                io.status(&status_line(totals))?;
                Ok(())
            },
        )
        .await;
        match result {
            Err(err) if !retried && partitions.is_some() => {
                let expected = (err.server_code() == Some(BAD_ARGUMENTS))
                    .then(|| err.server_message().and_then(expected_seek_entries))
                    .flatten();
                match expected {
                    Some(Ok(count)) if Some(count) != partitions => {
                        io.warn(&format!(
                            "Proton expects {count} seek_to entries, one per partition: \
                             the topic has {count} partitions. Retrying with {count}."
                        ))?;
                        checkpoint.partitions = Some(count);
                        partitions = Some(count);
                        retried = true;
                    }
                    Some(Err(reason)) => return Err(DemoError::Unexpected(reason)),
                    _ => return Err(err),
                }
            }
            other => {
                other?;
                return Ok(());
            }
        }
    }
}

/// The topic's partition count for a resume: `--partitions`, else
/// [`partitions_sql`]'s answer, else (a server that does not say) the
/// checkpoint's. `None` when stopped.
fn partition_count(
    cfg: &DemoConfig,
    learned: Learned,
    checkpoint: &Checkpoint,
    io: &mut DemoOut<'_>,
) -> Result<Option<u32>, DemoError> {
    // The loader bounds partition numbers, so this cannot overflow.
    let known = checkpoint
        .offsets
        .keys()
        .max()
        .map_or(1, |p| u32::try_from(*p).unwrap_or(0).saturating_add(1));
    let count = match learned {
        Learned::Stopped => return Ok(None),
        Learned::Count(n) => n,
        Learned::NotSaid => {
            let count = checkpoint.partitions.unwrap_or(known).max(known);
            io.warn(&format!(
                "Proton did not say how many partitions topic {} has; assuming {count} \
                 (from the checkpoint). If it refuses the offsets, its error gives the count; \
                 --partitions N sets it.",
                cfg.topic
            ))?;
            count
        }
    };
    if let Some(before) = checkpoint.partitions.filter(|before| *before < count) {
        let added = if count - before == 1 {
            format!("partition {before} starts")
        } else {
            format!("partitions {before} to {} start", count - 1)
        };
        io.note(&format!(
            "Topic {} has {count} partitions now ({before} at the last run): {added} at the earliest offset.",
            cfg.topic
        ))?;
    }
    Ok(Some(count))
}

/// What [`learn_partitions`] found.
enum Learned {
    Count(u32),
    /// The server answered without a count we can read (another Proton version?).
    NotSaid,
    Stopped,
}

/// Proton's INVALID_SETTING_VALUE: "Invalid topic partition k, the topic has only N partitions".
pub const INVALID_SETTING_VALUE: i32 = 471;
/// ClickHouse's and Proton's BAD_ARGUMENTS: a `seek_to` list of the wrong length.
pub const BAD_ARGUMENTS: i32 = 36;

/// Runs [`partitions_sql`]: Proton refuses partition [`MAX_PARTITIONS`] of a
/// topic with fewer partitions, saying how many it has.
async fn learn_partitions(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<Learned, DemoError> {
    io.note(&format!(
        "Asking for partition {MAX_PARTITIONS} of topic {}: Proton refuses it and names the \
         partition count, from the topic's metadata (no message is read).",
        cfg.topic
    ))?;
    let result = run_query(
        conn,
        cfg,
        io,
        stop,
        &partitions_sql(cfg),
        "counting the topic's partitions",
        |_, _| Ok(()),
    )
    .await;
    match result {
        Ok(Ended::Stopped) => Ok(Learned::Stopped),
        Ok(Ended::Finished) => Err(DemoError::Unexpected(format!(
            "topic {} has more than {MAX_PARTITIONS} partitions; :validate --resume supports at most {MAX_PARTITIONS}",
            cfg.topic
        ))),
        Err(err) if err.server_code() == Some(INVALID_SETTING_VALUE) => {
            match err.server_message().and_then(partitions_in_message) {
                Some(Ok(count)) => Ok(Learned::Count(count)),
                Some(Err(reason)) => Err(DemoError::Unexpected(reason)),
                None => Ok(Learned::NotSaid),
            }
        }
        Err(err) => Err(err),
    }
}

/// The count in "…the topic has only N partitions" (Proton's
/// `getShardsToQuery`): `None` if the message does not say, an error if
/// the count is out of range.
pub fn partitions_in_message(message: &str) -> Option<Result<u32, String>> {
    number_after(message, "the topic has only ")
}

/// The count in "…It expected N timestamps or sequence numbers, but only found
/// M…" (Proton's `SeekToInfo::replicateForShards`).
pub fn expected_seek_entries(message: &str) -> Option<Result<u32, String>> {
    number_after(message, "expected ")
}

/// The decimal number right after `marker` in `message`, checked to be a
/// partition count (1 to [`MAX_PARTITIONS`]). At most 20 digits are looked at.
fn number_after(message: &str, marker: &str) -> Option<Result<u32, String>> {
    let at = message.find(marker)? + marker.len();
    let digits: String = message[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .take(21)
        .collect();
    if digits.is_empty() {
        return None;
    }
    Some(
        digits
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PARTITIONS).contains(n))
            .ok_or_else(|| {
                let shown: String = digits.chars().take(20).collect();
                format!(
                    "the server says the topic has {shown} partitions; :validate --resume supports 1 to {MAX_PARTITIONS}"
                )
            }),
    )
}

/// Before resuming, checks each checkpointed partition against the topic
/// with [`position_sql`] (one bounded read of at most one message each) and
/// says what Proton would otherwise do silently:
///
/// * the last checked offset is past the partition's end (the topic was
///   recreated or emptied): Proton would start at the end (`Consumer::
///   startConsume` seeks to `OFFSET_END` when the offset is above the high
///   watermark) and this macro would skip the new messages as "already
///   checked". The partition's entry is forgotten: it is checked again from its
///   earliest offset;
/// * messages after it are gone (retention or compaction; the offset is
///   below the low watermark): Proton starts at the earliest one left
///   (`auto.offset.reset=earliest`); the macro names the offsets it never
///   checked;
/// * a partition the topic no longer has is forgotten.
async fn check_positions(
    conn: &mut Connection,
    cfg: &DemoConfig,
    io: &mut DemoOut<'_>,
    stop: &mut Interrupts,
    checkpoint: &mut Checkpoint,
    partitions: u32,
) -> Result<Ended, DemoError> {
    let entries: Vec<(i32, i64)> = checkpoint.offsets.iter().map(|(p, o)| (*p, *o)).collect();
    for (partition, offset) in entries {
        if u32::try_from(partition).map_or(true, |p| p >= partitions) {
            checkpoint.forget(partition);
            io.warn(&format!(
                "Topic {} has {partitions} partition{}: the checkpoint's partition {partition} is gone; forgetting it.",
                cfg.topic,
                if partitions == 1 { "" } else { "s" }
            ))?;
            continue;
        }
        let mut first: Option<i64> = None;
        let ended = run_query(
            conn,
            cfg,
            io,
            stop,
            &position_sql(cfg, partition, offset),
            "checking the checkpoint against the topic",
            |block, _| {
                if first.is_none() && block.rows > 0 {
                    first = block.columns.first().and_then(|c| c.value(0).as_i64());
                }
                Ok(())
            },
        )
        .await?;
        if ended == Ended::Stopped {
            return Ok(Ended::Stopped);
        }
        match first {
            Some(found) if found == offset || found == offset.saturating_add(1) => {}
            Some(found) if found > offset => io.warn(&format!(
                "Partition {partition}: offsets {} to {} are no longer in topic {} (removed by \
                 retention or compaction before they were checked); continuing at offset {found}.",
                offset.saturating_add(1),
                found - 1,
                cfg.topic
            ))?,
            _ => {
                checkpoint.forget(partition);
                io.warn(&format!(
                    "Partition {partition}: the checkpoint's offset {offset} is past the end of topic {} \
                     (the topic was recreated or emptied); checking partition {partition} again from \
                     its earliest offset.",
                    cfg.topic
                ))?;
            }
        }
    }
    Ok(Ended::Finished)
}

/// The live status line of `:validate` on a terminal (redrawn after each block).
pub fn status_line(totals: &Summary) -> String {
    format!(
        "checked {} school{} · {} invalid · {} unreadable · Ctrl-C stops",
        totals.checked,
        if totals.checked == 1 { "" } else { "s" },
        totals.invalid,
        totals.unreadable
    )
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
            SchoolCheck::Valid { school_id } => format!("✓ School {} ok", one_line(school_id)),
            SchoolCheck::Invalid { school_id, bad } => format!(
                "✗ School {}: {} invalid categor{}",
                one_line(school_id),
                bad.len(),
                if bad.len() == 1 { "y" } else { "ies" }
            ),
            SchoolCheck::Unreadable { id, .. } => format!(
                "✗ School document {} unreadable",
                id.as_deref().map_or_else(|| "(no id)".to_owned(), one_line)
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
    fn verbose_lines_cannot_drive_the_terminal() {
        let osc52 = "\x1b]52;c;aGk=\x07";
        let checks = [
            SchoolCheck::Valid {
                school_id: format!("1{osc52}"),
            },
            SchoolCheck::Invalid {
                school_id: format!("2{osc52}"),
                bad: vec![format!("uri://x#Other{osc52}")],
            },
            SchoolCheck::Unreadable {
                id: Some(format!("u{osc52}")),
                reason: format!("no schoolId\r{osc52}"),
            },
        ];
        let mut buf = Vec::new();
        let mut io = DemoOut::plain(&mut buf);
        let mut totals = Summary::default();
        for check in &checks {
            report(&mut io, &mut totals, check, Some((0, 7)), true).unwrap();
        }
        drop(io);
        let text = String::from_utf8(buf).unwrap();
        assert!(
            !text.contains(|c: char| c.is_control() && c != '\n'),
            "{text:?}"
        );
        // A note per document, then the invalid category and the unreadable document.
        assert_eq!(text.lines().count(), 5, "{text}");
    }

    #[test]
    fn statements() {
        let cfg = DemoConfig::default();
        assert_eq!(
            view_sql(&cfg),
            "CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS SELECT raw:edfidoc AS edfidoc FROM document \
             WHERE raw:resourcename='School' AND raw:__deleted='false'"
        );
        assert_eq!(snapshot_sql(&cfg), "SELECT * FROM table(schools)");
        assert_eq!(show_view_sql(&cfg), "SHOW CREATE schools");
        assert_eq!(follow_sql(&cfg), "SELECT * FROM schools");
        assert_eq!(
            resume_sql(&cfg, "'37,5'"),
            "SELECT _tp_shard, _tp_sn, raw FROM document WHERE raw:resourcename='School' \
             AND raw:__deleted='false' SETTINGS seek_to='37,5'"
        );
        assert_eq!(
            partitions_sql(&cfg),
            "SELECT count() FROM table(document) SETTINGS shards='100000'"
        );
        assert_eq!(
            position_sql(&cfg, 2, 41),
            "SELECT _tp_sn FROM table(document) LIMIT 1 SETTINGS shards='2', seek_to='41'"
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
        assert!(
            ValidateOpts::parse_with_overrides(&["--resume", "--partitions", "100001"]).is_err()
        );
        assert!(
            ValidateOpts::parse_with_overrides(&["--resume", "--partitions", "2147483647"])
                .is_err()
        );
        assert_eq!(
            ValidateOpts::parse_with_overrides(&["--resume", "--partitions", "100000"])
                .map(|(o, _)| o.partitions),
            Ok(Some(100_000))
        );
    }

    #[test]
    fn view_definitions_compared_by_what_matters() {
        let cfg = DemoConfig::default();
        // As typed, and as Proton reformats it.
        assert!(view_differences(&view_sql(&cfg), &cfg).is_empty());
        let stored = "CREATE MATERIALIZED VIEW default.schools\n(\n  `edfidoc` string\n) AS\nSELECT\n  \
                      json_value(raw, '$.`edfidoc`') AS edfidoc\nFROM\n  default.document\nWHERE \
                      (json_value(raw, '$.`resourcename`') = 'School') AND (json_value(raw, '$.`__deleted`') = 'false')";
        assert!(view_differences(stored, &cfg).is_empty());
        let other = stored.replace("default.document", "default.old_docs");
        assert_eq!(
            view_differences(&other, &cfg),
            vec!["it reads the stream old_docs, not document".to_owned()]
        );
        let students = stored.replace("'School'", "'Student'");
        assert_eq!(view_differences(&students, &cfg).len(), 1);
        assert_eq!(
            view_differences("CREATE STREAM default.schools (x int)", &cfg),
            vec!["it is not a materialized view".to_owned()]
        );
    }

    #[test]
    fn counts_read_from_proton_messages() {
        // Proton 1.6.1 Kafka.cpp getShardsToQuery.
        let probe = "Invalid topic partition 100000, the topic has only 3 partitions";
        assert_eq!(partitions_in_message(probe), Some(Ok(3)));
        // SeekToInfo::replicateForShards.
        let seek = "Invalid seek to. 'seek_to' supports ... It expected 3 timestamps or sequence \
                    numbers, but only found 2 was specified";
        assert_eq!(expected_seek_entries(seek), Some(Ok(3)));
        assert_eq!(partitions_in_message("Unknown setting shards"), None);
        assert_eq!(
            partitions_in_message("the topic has only  partitions"),
            None
        );
        for huge in [
            "2147483647",
            "20000000",
            "100001",
            "0",
            "99999999999999999999999999999",
        ] {
            let message =
                format!("Invalid topic partition 100000, the topic has only {huge} partitions");
            let err = partitions_in_message(&message)
                .expect("a number")
                .expect_err("out of range");
            assert!(err.contains("supports 1 to 100000"), "{err}");
            assert!(err.len() < 200, "{err}");
        }
    }
}
