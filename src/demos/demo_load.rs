//! `:demo-load`: writes the shipped Ed-Fi sample into the topic through Proton, for a demo without the DMS stack.
//!
//! ```sql
//! CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string) SETTINGS type='kafka', ...;
//! INSERT INTO document(raw) VALUES ('{"id":1,...}'), ('{"id":2,...}'), ...;
//! ```
//!
//! The stream has a single `string` column, so its format is `RawBLOB`, for
//! which Proton's `one_message_per_row` defaults to true: each row becomes
//! one Kafka message, byte for byte the sample line (the 38 message values of
//! [`super::EDFI_SAMPLE_JSONL`], in event order).
//!
//! Without `--pace` the messages go in as few statements as fit
//! [`MAX_STATEMENT_BYTES`] (one, for the shipped sample). With `--pace 500ms`
//! each message is its own INSERT, followed by that pause, so that
//! `:school-count`, `:new-docs` and `:validate` in another terminal have
//! something to show as it happens.
//!
//! **The topic.** Proton cannot create Kafka topics, and `CREATE EXTERNAL
//! STREAM` fails when the topic does not exist (RESOURCE_NOT_FOUND, with a
//! hint). This project's `docker-compose.yml` creates `edfi.dms.document` in
//! its one-shot `redpanda-init` service (`rpk topic create edfi.dms.document
//! -p 1`), and there the broker also answers to the default name `dms-kafka1:9092`:
//!
//! ```text
//! docker compose up -d
//! proton-shell
//! :demo-load --pace 1s
//! ```

use std::time::Duration;

use crate::run::Interrupts;

use super::common::{
    create_stream, run_query_echo, DemoError, DemoOut, DemoSummary, Ended, Flags, Opt,
};
use super::config::DemoConfig;
use super::docs::summarize;
use super::sample_messages;
use crate::sql::sql_string;
use crate::wire::Connection;

/// The largest INSERT statement written without `--pace` (Proton's default
/// `max_query_size` is 256 KiB).
pub const MAX_STATEMENT_BYTES: usize = 128 * 1024;

/// How long an INSERT already sent may still take to finish after a stop
/// before it is cancelled (Proton's Kafka producer waits for the broker
/// without a timeout, so an unreachable broker would hang it).
const INSERT_GRACE: Duration = Duration::from_secs(2);

/// How much of a message the echoed INSERT shows.
const ECHO_CHARS: usize = 60;

/// The options of `:demo-load` (besides the common ones), for its parser, usage, help and completion.
pub(crate) const OPTIONS: &[Opt] = &[Opt {
    flag: "--pace",
    value: "DURATION",
    help:
        "one message per INSERT with this pause after each (e.g. 500ms, 1s); all at once by default",
}];

/// Options of `:demo-load`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoLoadOpts {
    /// Write one message per statement, with this pause after each.
    pub pace: Option<Duration>,
}

impl DemoLoadOpts {
    pub(crate) fn parse_with_overrides(
        args: &[&str],
    ) -> Result<(Self, Vec<(String, String)>), String> {
        let mut flags = Flags::new("demo-load", OPTIONS, args);
        let mut opts = DemoLoadOpts::default();
        while let Some((name, inline)) = flags.next_flag()? {
            match name {
                "--pace" => {
                    let value = flags.value(name, inline)?;
                    opts.pace = Some(parse_pace(value).map_err(|e| flags.error(&e))?);
                }
                _ => return Err(flags.unknown(name)),
            }
        }
        Ok((opts, flags.overrides))
    }
}

/// Parses a pause: `500ms`, `1s`, `1.5s`, `2m`; a bare number is seconds.
pub fn parse_pace(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("--pace needs a duration such as 500ms, 1s or 2m, not `{text}`");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" | "sec" => number,
        "m" | "min" => number * 60.0,
        _ => return Err(bad()),
    };
    if !seconds.is_finite() || !(0.0..=3600.0).contains(&seconds) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `INSERT INTO document(raw) VALUES ('<message>'), ...` for these messages.
pub fn insert_sql(cfg: &DemoConfig, messages: &[&str]) -> String {
    let rows: Vec<String> = messages
        .iter()
        .map(|message| format!("({})", sql_string(message)))
        .collect();
    format!(
        "INSERT INTO {}(raw) VALUES {}",
        cfg.stream_ident(),
        rows.join(", ")
    )
}

/// The shortened echo of an INSERT: the first message cut short, the row count.
fn insert_echo(cfg: &DemoConfig, messages: &[&str]) -> String {
    let Some(first) = messages.first() else {
        return format!("INSERT INTO {}(raw) VALUES", cfg.stream_ident());
    };
    let mut cut: String = first.chars().take(ECHO_CHARS).collect();
    if cut.len() < first.len() {
        cut.push('…');
    }
    if messages.len() == 1 {
        format!(
            "INSERT INTO {}(raw) VALUES ({})  -- {}",
            cfg.stream_ident(),
            sql_string(&cut),
            summarize(first)
        )
    } else {
        format!(
            "INSERT INTO {}(raw) VALUES ({}), …  -- {} rows",
            cfg.stream_ident(),
            sql_string(&cut),
            messages.len()
        )
    }
}

/// Groups messages into statements of at most [`MAX_STATEMENT_BYTES`].
fn batches<'m>(messages: &[&'m str]) -> Vec<Vec<&'m str>> {
    let mut out: Vec<Vec<&'m str>> = Vec::new();
    let mut size = 0usize;
    for message in messages {
        let cost = message.len() + 8;
        match out.last_mut() {
            Some(batch) if size + cost <= MAX_STATEMENT_BYTES => {
                batch.push(message);
                size += cost;
            }
            _ => {
                out.push(vec![message]);
                size = cost;
            }
        }
    }
    out
}

/// Runs `:demo-load`: the sample into the topic, until done or `stop`.
pub async fn demo_load(
    conn: &mut Connection,
    cfg: &DemoConfig,
    opts: DemoLoadOpts,
    io: DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<DemoSummary, DemoError> {
    let mut io = io;
    let messages: Vec<&str> = sample_messages().collect();
    let total = messages.len() as u64;
    let mut written = 0u64;

    if create_stream(conn, cfg, &mut io, stop).await? == Ended::Finished {
        let how = match opts.pace {
            Some(pace) => format!("one every {}", format_pace(pace)),
            None => "all at once".to_owned(),
        };
        io.note(&format!(
            "Writing the {total} Ed-Fi sample messages to topic {} through the external stream {} ({how}); \
             each row is one Kafka message.",
            cfg.topic, cfg.stream
        ))?;
        let groups: Vec<Vec<&str>> = match opts.pace {
            Some(_) => messages.iter().map(|m| vec![*m]).collect(),
            None => batches(&messages),
        };
        let count = groups.len();
        for (index, group) in groups.into_iter().enumerate() {
            if stop.fired() {
                break;
            }
            let ended = run_query_echo(
                conn,
                cfg,
                &mut io,
                stop,
                &insert_sql(cfg, &group),
                &insert_echo(cfg, &group),
                &format!("writing to the external stream {}", cfg.stream),
                INSERT_GRACE,
                |_, _| Ok(()),
            )
            .await?;
            if ended == Ended::Stopped {
                break;
            }
            written += group.len() as u64;
            if let Some(pace) = opts.pace {
                if index + 1 < count {
                    tokio::select! {
                        biased;
                        _ = stop.recv() => break,
                        _ = tokio::time::sleep(pace) => {}
                    }
                }
            }
        }
    }
    let summary = DemoSummary::DemoLoad {
        written,
        total,
        topic: cfg.topic.clone(),
    };
    io.line(&summary.to_string())?;
    Ok(summary)
}

fn format_pace(pace: Duration) -> String {
    if pace.subsec_millis() == 0 && pace.as_secs() > 0 {
        format!("{}s", pace.as_secs())
    } else {
        format!("{}ms", pace.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_values() {
        assert_eq!(parse_pace("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_pace("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_pace("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_pace("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_pace("2"), Ok(Duration::from_secs(2)));
        assert!(parse_pace("fast").is_err());
        assert!(parse_pace("1h").is_err());
        assert!(parse_pace("").is_err());
        assert_eq!(format_pace(Duration::from_millis(500)), "500ms");
        assert_eq!(format_pace(Duration::from_secs(1)), "1s");
    }

    #[test]
    fn insert_statement_escapes() {
        let cfg = DemoConfig::default();
        assert_eq!(
            insert_sql(&cfg, &[r#"{"a":"it's \"x\""}"#, "{}"]),
            r#"INSERT INTO document(raw) VALUES ('{"a":"it\'s \\"x\\""}'), ('{}')"#
        );
    }

    #[test]
    fn the_sample_fits_one_statement() {
        let messages: Vec<&str> = sample_messages().collect();
        let groups = batches(&messages);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].len(), 38);
        let echo = insert_echo(&DemoConfig::default(), &groups[0]);
        assert!(echo.ends_with("…'), …  -- 38 rows"), "{echo}");
        let one = insert_echo(&DemoConfig::default(), &messages[30..31]);
        assert!(
            one.ends_with("-- School  90b3f4b1-52c8-4e39-b0f9-6bf318f2ae37"),
            "{one}"
        );
    }

    #[test]
    fn big_inputs_split() {
        let big = "x".repeat(MAX_STATEMENT_BYTES / 2);
        let messages = vec![big.as_str(); 5];
        let groups = batches(&messages);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 5);
        assert!(groups.len() >= 3);
    }
}
