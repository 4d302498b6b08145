//! Non-interactive runs (`-q`, `-f`, piped stdin): every statement's rows to stdout, in order, stopping at the first error.
//!
//! When stdout is not a terminal, output is plain: no colour, no status line, and the format
//! defaults to TSV, byte-identical to clickhouse-client's TabSeparated. On a terminal the
//! default is the table view, with colour and a status line on stderr. SIGINT cancels the
//! running query on the server and the process exits 130; a closed stdout (`| head`) cancels
//! it quietly. Input is split by `commands::split_input`, as typed input is; the demo macros
//! and `:set`/`:unset` run (`:set` checked by the server as in the shell, `run::SessionSettings`),
//! the interactive commands are refused.

use crate::commands::{self, Command, Entry};
use crate::demos::{self, DemoConfig, DemoOut};
use crate::errors::{self, AppError};
use crate::render::{sink_for, Format, RenderOpts};
use crate::run::{self, Ended, ExecOptions, Interrupts, SessionSettings};
use crate::wire::{self, Connection, Flavour};
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// What batch mode runs, and how it prints.
pub struct Batch {
    /// The input texts, in order: the `-q` and `-f` inputs as the command line gave them, or stdin.
    pub sources: Vec<String>,
    pub format: Format,
    /// Colour and width for the table views (all off when stdout is not a terminal).
    pub render: RenderOpts,
    /// Show the status line on stderr while a statement runs.
    pub status_line: bool,
    /// Session settings: the config file's, then `:set`.
    pub settings: SessionSettings,
    /// Print each statement's summary (`-t`) to stderr.
    pub print_time: bool,
    /// Settings of the demo macros (`-q ':validate'`).
    pub demo: DemoConfig,
    /// `--tee`: the rows shown also go to a file.
    pub tee: Option<crate::tee::Tee>,
}

/// Run every entry; the first failure stops the run.
pub async fn run(
    conn: &mut Connection,
    batch: &mut Batch,
    interrupts: &mut Interrupts,
) -> Result<(), AppError> {
    let sources = std::mem::take(&mut batch.sources);
    // A server that takes no settings per query gets the config file's as `SET`s now.
    if let Some((_, error)) = batch.settings.apply(conn).await.into_iter().next() {
        return Err(report_failure(error, None, conn.server_info().flavour()));
    }
    for entry in sources.iter().flat_map(|s| commands::split_input(s)) {
        match entry {
            Entry::Command(line) => run_command(conn, batch, &line, interrupts).await?,
            Entry::Sql(stmt) => {
                let a = crate::sql::analyze_for(&stmt.sql, conn.server_info().flavour());
                let format = Format::of_statement(stmt.vertical, a.format.as_deref())
                    .map_err(|msg| {
                        eprintln!("{msg}");
                        AppError::Reported(errors::code::USAGE)
                    })?
                    .unwrap_or(batch.format);
                let shape = run::Shape::from_analysis(&a);
                run_statement(conn, batch, &stmt.sql, format, shape, interrupts).await?;
            }
        }
    }
    let _ = io::stdout().flush();
    Ok(())
}

async fn run_statement(
    conn: &mut Connection,
    batch: &mut Batch,
    sql: &str,
    format: Format,
    shape: run::Shape,
    interrupts: &mut Interrupts,
) -> Result<(), AppError> {
    let started = Instant::now();
    let mut sink = sink_for(format, &batch.render);
    let opts = ExecOptions {
        settings: batch.settings.per_query(),
        status_line: batch.status_line,
        color: batch.render.color,
        grace: Duration::ZERO,
        shape,
    };
    let ended = run::execute_to_stdout(
        conn,
        sql,
        &opts,
        sink.as_mut(),
        batch.tee.as_mut(),
        interrupts,
    )
    .await;
    if ended.needs_drain()
        && conn.drain(run::CANCEL_DEADLINE).await == crate::wire::CancelOutcome::Dropped
        && ended.interrupted()
    {
        eprintln!("query cancelled; the server did not confirm in time, connection dropped");
    }
    match ended {
        Ended::Done {
            rows,
            result_set,
            progress,
        } => {
            if batch.print_time {
                let line = if result_set {
                    run::summary(rows, &progress, started.elapsed())
                } else {
                    run::summary_ok(started.elapsed())
                };
                eprintln!("{line}");
            }
            Ok(())
        }
        Ended::Interrupted { .. } | Ended::Aborted => Err(AppError::Interrupted),
        Ended::OutputClosed { error: None, .. } | Ended::Stopped { .. } => Ok(()),
        // A full disk or a closed descriptor: rows were lost, so the run must not look fine.
        Ended::OutputClosed { error: Some(e), .. } => {
            eprintln!("error: cannot write the output: {e}");
            Err(AppError::Reported(errors::code::QUERY))
        }
        Ended::Failed { error, .. } => Err(report_failure(
            error,
            Some(sql),
            conn.server_info().flavour(),
        )),
    }
}

/// A failed statement (`sql`) or `:set` (`None`): the server's error is printed here, with its
/// hints, and ends the run with the query exit code; other errors are the caller's to print.
fn report_failure(error: wire::Error, sql: Option<&str>, flavour: Flavour) -> AppError {
    if let wire::Error::Server(ex) = &error {
        eprintln!("{}", errors::format_exception(ex, sql, false));
        for h in errors::exception_hints(ex, flavour) {
            eprintln!("hint: {h}");
        }
        return AppError::Reported(errors::code::QUERY);
    }
    error.into()
}

/// A command line in batch input: the demo macros run (until SIGINT ends them with their
/// summary), `:set` (once the server accepts the value) and `:unset` change the session's
/// settings; the interactive commands are refused.
async fn run_command(
    conn: &mut Connection,
    batch: &mut Batch,
    line: &str,
    interrupts: &mut Interrupts,
) -> Result<(), AppError> {
    let usage = |msg: String| {
        eprintln!("{msg}");
        Err(AppError::Reported(errors::code::USAGE))
    };
    let cmd = match commands::parse(line) {
        Some(Ok(cmd)) => cmd,
        Some(Err(e)) => return usage(e),
        None => return Ok(()),
    };
    if !cmd.works_in_batch() {
        return usage(format!(
            "`{}` only works in the interactive shell; batch input runs SQL, :set and the demo macros",
            line.trim()
        ));
    }
    match cmd {
        Command::Macro(invocation) => {
            interrupts.clear().await;
            let tee = demos::TeeLines::lend(&mut batch.tee, invocation.name());
            let mut out = io::stdout();
            let io = DemoOut::new(&mut out, batch.render.is_tty, batch.render.color)
                .with_tee(tee.clone());
            let result = demos::run(conn, &batch.demo, &invocation, io, interrupts).await;
            demos::TeeLines::give_back(tee, &mut batch.tee);
            let _ = io::stdout().flush();
            result.map(|_| ()).map_err(|e| {
                eprintln!("{e}");
                AppError::Reported(errors::code::QUERY)
            })
        }
        Command::Set { name, value } if name.to_ascii_lowercase().starts_with("demo.") => {
            if batch.demo.apply_setting(&name, &value) {
                Ok(())
            } else {
                usage(format!("unknown demo setting `{name}`"))
            }
        }
        Command::Set { name, value } => {
            let flavour = conn.server_info().flavour();
            batch.settings.set(conn, &name, &value).await.map_err(|e| {
                let failed = report_failure(e, None, flavour);
                eprintln!("{}", crate::run::not_set(&name, &value));
                failed
            })
        }
        Command::Unset(name) => {
            batch.settings.unset(&name);
            Ok(())
        }
        _ => Ok(()),
    }
}
