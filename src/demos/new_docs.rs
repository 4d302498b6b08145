//! `:new-docs`: prints each document as it arrives on the topic, one compact line or pretty JSON.
//!
//! The original demo runs `SELECT * FROM document`: a tail of the topic from
//! the latest offset. Each row is one Kafka message value (the CDC JSON); it
//! is shown as [`super::docs::summarize`] renders it:
//!
//! ```text
//! School                  90b3f4b1-52c8-4e39-b0f9-6bf318f2ae37
//! School                  fb937fa1-4309-48a0-abd6-e954f37e8c58  DELETED
//! GradeLevelDescriptor    c06c3e0c-9ddf-49ac-b3a2-cab7b775f775
//! ```
//!
//! The resource names are padded to 22 characters, or to the widest name
//! seen so far (at most 48), so the ids line up.
//!
//! * `--json` prints each whole message as pretty JSON instead.
//! * `--resource School` keeps one resource type, filtered by Proton:
//!   `SELECT * FROM document WHERE raw:resourcename='School'`. The name is
//!   compared as is, and DMS writes it in PascalCase (`School`, `Student`,
//!   `GradeLevelDescriptor`...).
//! * `--all` adds `SETTINGS seek_to='earliest'`: the documents already on the
//!   topic first.

use crate::run::Interrupts;

use super::common::{
    create_stream, run_query, text_column, DemoError, DemoOut, DemoSummary, Ended, Flags, Opt,
};
use super::config::DemoConfig;
use super::docs::{summarize, DocLine, DELETED_MARKER, RESOURCE_WIDTH};
use crate::sql::sql_string;
use crate::wire::Connection;

/// The options of `:new-docs` (besides the common ones), for its parser, usage, help and completion.
pub(crate) const OPTIONS: &[Opt] = &[
    Opt {
        flag: "--json",
        value: "",
        help: "print each document as pretty JSON instead of one line",
    },
    Opt {
        flag: "--resource",
        value: "NAME",
        help: "only documents of this resource (exact, e.g. School)",
    },
    Opt {
        flag: "--all",
        value: "",
        help: "start at the earliest offset instead of new documents only",
    },
];

/// Options of `:new-docs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDocsOpts {
    /// Pretty JSON instead of one line per document.
    pub json: bool,
    /// Only this `resourcename` (exact, e.g. `School`).
    pub resource: Option<String>,
    /// Start at the earliest offset (`SETTINGS seek_to='earliest'`).
    pub all: bool,
}

impl NewDocsOpts {
    pub(crate) fn parse_with_overrides(
        args: &[&str],
    ) -> Result<(Self, Vec<(String, String)>), String> {
        let mut flags = Flags::new("new-docs", OPTIONS, args);
        let mut opts = NewDocsOpts::default();
        while let Some((name, inline)) = flags.next_flag()? {
            match name {
                "--json" => opts.json = flags.switch(name, inline)?,
                "--all" => opts.all = flags.switch(name, inline)?,
                "--resource" => {
                    let value = flags.value(name, inline)?.trim();
                    if value.is_empty() {
                        return Err(flags.error("--resource needs a value"));
                    }
                    opts.resource = Some(value.to_owned());
                }
                _ => return Err(flags.unknown(name)),
            }
        }
        Ok((opts, flags.overrides))
    }
}

/// The tail query for `opts`.
pub fn new_docs_sql(cfg: &DemoConfig, opts: &NewDocsOpts) -> String {
    let mut sql = format!("SELECT * FROM {}", cfg.stream_ident());
    if let Some(resource) = &opts.resource {
        sql.push_str(&format!(" WHERE raw:resourcename={}", sql_string(resource)));
    }
    if opts.all {
        sql.push_str(" SETTINGS seek_to='earliest'");
    }
    sql
}

/// Runs `:new-docs` until `stop` turns true (or the query ends).
pub async fn new_docs(
    conn: &mut Connection,
    cfg: &DemoConfig,
    opts: NewDocsOpts,
    io: DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<DemoSummary, DemoError> {
    let mut io = io;
    let mut shown = 0u64;
    let mut unreadable = 0u64;
    if create_stream(conn, cfg, &mut io, stop).await? == Ended::Finished {
        let what = match &opts.resource {
            Some(resource) => format!("{resource} documents"),
            None => "documents".to_owned(),
        };
        let when = if opts.all {
            "already on it, then as they arrive"
        } else {
            "as they arrive (from now on; --all shows those already there)"
        };
        io.note(&format!(
            "Showing {what} of topic {} {when}. Ctrl-C stops.",
            cfg.topic
        ))?;
        let sql = new_docs_sql(cfg, &opts);
        let mut width = RESOURCE_WIDTH;
        run_query(
            conn,
            cfg,
            &mut io,
            stop,
            &sql,
            "the new documents query",
            |block, io| {
                let Some(column) = text_column(block, "raw") else {
                    return Err(DemoError::Unexpected(
                        "the query returned no columns".to_owned(),
                    ));
                };
                for row in 0..block.rows {
                    let raw = column.value(row).as_str().unwrap_or_default();
                    let doc = summarize(&raw);
                    shown += 1;
                    if matches!(doc, DocLine::Unreadable { .. }) {
                        unreadable += 1;
                        io.warn(&doc.to_string())?;
                    } else if opts.json {
                        io.line(&doc.to_json_pretty())?;
                    } else if doc.is_deleted() && io.color {
                        let text = doc.aligned(&mut width);
                        let plain = text.strip_suffix(DELETED_MARKER).unwrap_or(&text);
                        io.line(&format!("{plain}\x1b[31m{DELETED_MARKER}\x1b[0m"))?;
                    } else {
                        io.line(&doc.aligned(&mut width))?;
                    }
                }
                Ok(())
            },
        )
        .await?;
    }
    let summary = DemoSummary::NewDocs { shown, unreadable };
    io.line(&summary.to_string())?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_variants() {
        let cfg = DemoConfig::default();
        assert_eq!(
            new_docs_sql(&cfg, &NewDocsOpts::default()),
            "SELECT * FROM document"
        );
        assert_eq!(
            new_docs_sql(
                &cfg,
                &NewDocsOpts {
                    json: true,
                    resource: Some("School".into()),
                    all: true
                }
            ),
            "SELECT * FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"
        );
        assert_eq!(
            new_docs_sql(
                &cfg,
                &NewDocsOpts {
                    resource: Some("O'Brien".into()),
                    ..Default::default()
                }
            ),
            r"SELECT * FROM document WHERE raw:resourcename='O\'Brien'"
        );
    }
}
